/* till-stripe-sim-webhooks-private.h: signed event delivery.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-stripe-sim-state-private.h"

G_BEGIN_DECLS

typedef struct _TillSimWebhooks TillSimWebhooks;

TillSimWebhooks *till_sim_webhooks_new         (void);
void             till_sim_webhooks_free        (TillSimWebhooks *self);
void             till_sim_webhooks_configure   (TillSimWebhooks *self,
                                                const char      *url,
                                                const char      *secret);
gboolean         till_sim_webhooks_is_configured (TillSimWebhooks *self);
void             till_sim_webhooks_set_retry   (TillSimWebhooks *self,
                                                guint            first_delay_ms,
                                                guint            max_attempts);
/* Queues @events (TillSimEvent *) for delivery, in order unless @reorder; twice each if
 * @duplicate. */
void             till_sim_webhooks_enqueue     (TillSimWebhooks *self,
                                                GPtrArray       *events,
                                                gboolean         duplicate,
                                                gboolean         reorder);
guint            till_sim_webhooks_get_pending (TillSimWebhooks *self);

/* "t=…,v1=…": the Stripe-Signature value for @payload signed at @timestamp. */
char            *till_sim_webhooks_sign        (const char      *secret,
                                                gint64           timestamp,
                                                const char      *payload,
                                                gsize            length);

G_END_DECLS
