/* till-stripe-sim-webhooks-private.h: signed event delivery.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-stripe-sim-state-private.h"

G_BEGIN_DECLS

typedef struct _TillSimWebhooks TillSimWebhooks;

/* Called when a delivery of event @event_id ends, delivered or given up on. */
typedef void (*TillSimDeliveryDone) (const char *event_id, gboolean delivered, gpointer user_data);

TillSimWebhooks *till_sim_webhooks_new (TillSimDeliveryDone done, gpointer user_data);
void             till_sim_webhooks_free (TillSimWebhooks *self);
void     till_sim_webhooks_configure (TillSimWebhooks *self, const char *url, const char *secret);
gboolean till_sim_webhooks_is_configured (TillSimWebhooks *self);
void till_sim_webhooks_set_retry (TillSimWebhooks *self, guint first_delay_ms, guint max_attempts);
/* The API version events are rendered in from now on (a valid one: render-private.h). */
void till_sim_webhooks_set_api_version (TillSimWebhooks *self, const char *api_version);
/* Queues @events (TillSimEvent *) for delivery, in order unless @reorder; twice each if
 * @duplicate. */
void till_sim_webhooks_enqueue (TillSimWebhooks *self,
                                GPtrArray       *events,
                                gboolean         duplicate,
                                gboolean         reorder);
/* At most @max_queued deliveries wait (0: no limit); past that the oldest are given up on. */
void  till_sim_webhooks_set_max_queued (TillSimWebhooks *self, guint max_queued);
guint till_sim_webhooks_get_pending (TillSimWebhooks *self);

/* "t=…,v1=…": the Stripe-Signature value for @payload signed at @timestamp. */
char *
till_sim_webhooks_sign (const char *secret, gint64 timestamp, const char *payload, gsize length);

G_END_DECLS
