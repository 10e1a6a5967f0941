/* till-stripe-sim-idempotency-private.h: Idempotency-Key handling.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-stripe-sim-private.h"

G_BEGIN_DECLS

typedef enum
{
  TILL_SIM_IDEMPOTENCY_NEW,       /* run the request; the key is now held in flight */
  TILL_SIM_IDEMPOTENCY_REPLAY,    /* answer with the saved reply */
  TILL_SIM_IDEMPOTENCY_MISMATCH,  /* same key, different parameters: 400 */
  TILL_SIM_IDEMPOTENCY_IN_FLIGHT, /* the first request still runs: 409 */
} TillSimIdempotencyResult;

typedef struct _TillSimIdempotency TillSimIdempotency;

TillSimIdempotency *till_sim_idempotency_new (gint64 ttl_seconds);
void                till_sim_idempotency_free (TillSimIdempotency *self);
/* Saved answers are forgotten @ttl_seconds after their request ended, and beyond
 * @max_keys (0: no limit) the oldest first. Keys of requests still running always stay. */
void till_sim_idempotency_set_limits (TillSimIdempotency *self, gint64 ttl_seconds, guint max_keys);
/* For tests: moves the table's clock on by @offset_us. */
void  till_sim_idempotency_set_clock_offset (TillSimIdempotency *self, gint64 offset_us);
guint till_sim_idempotency_get_count (TillSimIdempotency *self);
/* Forgets what is past its time to live or beyond the count now; returns how many. */
guint till_sim_idempotency_prune (TillSimIdempotency *self);

/* @scope is the API key the request used: keys of different accounts never meet. */
TillSimIdempotencyResult till_sim_idempotency_begin (TillSimIdempotency *self,
                                                     const char         *scope,
                                                     const char         *key,
                                                     const char         *fingerprint,
                                                     TillSimReply      **saved,
                                                     char              **original_request_id);
/* Ends what begin() returned NEW for: keeps @reply (if it is to be saved) or forgets the
 * key, so a retry runs again. */
void till_sim_idempotency_end (TillSimIdempotency *self,
                               const char         *scope,
                               const char         *key,
                               const TillSimReply *reply,
                               const char         *request_id);
/* Forgets every saved answer at once, as Stripe may once a key is a day old (keys of
 * requests still running stay); returns how many. */
guint till_sim_idempotency_forget (TillSimIdempotency *self);

G_END_DECLS
