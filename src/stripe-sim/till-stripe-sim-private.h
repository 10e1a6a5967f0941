/* till-stripe-sim-private.h: what the simulator's files share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "till-stripe-sim.h"

G_BEGIN_DECLS

/* One answer of the API: an HTTP status and a JSON body (an object or an error). */
typedef struct
{
  guint    status;
  char    *body; /* JSON text */
  gboolean save; /* store it as the idempotent result of the request */
} TillSimReply;

TillSimReply *till_sim_reply_new (guint status, JsonNode *body);
TillSimReply *till_sim_reply_new_text (guint status, const char *body);
TillSimReply *till_sim_reply_error (
    guint status, const char *type, const char *code, const char *param, const char *format, ...)
    G_GNUC_PRINTF (5, 6);
void          till_sim_reply_free (TillSimReply *reply);
TillSimReply *till_sim_reply_copy (const TillSimReply *reply);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillSimReply, till_sim_reply_free)

/* Error bodies as Stripe writes them. extra (nullable) is merged into "error". */
JsonNode *till_sim_error_node (const char *type,
                               const char *code,
                               const char *decline_code,
                               const char *param,
                               const char *message,
                               JsonObject *extra);

void till_sim_reply_send (SoupServerMessage *msg, const TillSimReply *reply);
void till_sim_send_error (SoupServerMessage *msg,
                          guint              status,
                          const char        *type,
                          const char        *code,
                          const char        *param,
                          const char        *message);

/* A timeout in the thread-default main context (the simulator's), not the global one. */
GSource *till_sim_timeout_source_new (guint interval_ms, GSourceFunc func, gpointer data);
void     till_sim_source_clear (GSource **source);

/* For tests (till-stripe-sim.c): what the simulator holds now, and its clock. */
typedef struct
{
  guint intents;
  guint charges;
  guint refunds;
  guint payment_methods;
  guint events;
  guint idempotency_keys; /* saved answers and requests in flight */
  guint webhooks;         /* deliveries queued or in flight */
  guint rate_limited;     /* requests refused by the rate limiter */
  guint locations;        /* Terminal's */
  guint readers;
} TillStripeSimCounts;

void till_stripe_sim_get_counts (TillStripeSim *self, TillStripeSimCounts *counts);
/* Moves the simulator's clock (objects' `created`, ages, idempotency keys) on. */
void till_stripe_sim_advance_clock (TillStripeSim *self, guint seconds);
/* How often the simulator forgets what is too old while no request comes (default 60 s). */
void till_stripe_sim_set_prune_interval (TillStripeSim *self, guint interval_ms);

char *till_sim_json_to_string (JsonNode *node, gboolean pretty);
char *till_sim_random_id (const char *prefix, guint length);

G_END_DECLS
