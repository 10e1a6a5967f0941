/* till-payments.h: the requests an order's payment and refunds make to Stripe.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-database.h"
#include "till-orders.h"
#include "till-server-config.h"
#include "till-stripe-client.h"

G_BEGIN_DECLS

typedef enum
{
  TILL_LOST_INTENT_UNKNOWN,    /* Stripe gave no list, or the search stopped: ask again later */
  TILL_LOST_INTENT_FOUND,      /* the order's intent, as it is now */
  TILL_LOST_INTENT_NEVER_MADE, /* no intent Stripe made since the order is for it */
} TillLostIntent;

/* The Stripe idempotency key of @what ("payment-intent", "cancel") for order @order_id. */
char *till_payments_key (TillDatabase *db, gint64 order_id, const char *what);
/* The PaymentIntent creation request of an order: the same for every retry. */
TillStripeForm *till_payments_intent_form (const TillServerConfig *config,
                                           TillDatabase           *db,
                                           const TillOrder        *order,
                                           GError                **error);
/* Whether Stripe may have forgotten the key of @order's intent (made 23 h ago or more). */
gboolean till_payments_key_may_be_forgotten (const TillOrder *order);
/* Blocks: for worker threads. See till-payments.c. */
gboolean       till_payments_find_lost_intents (TillStripeClient *stripe,
                                                TillDatabase     *db,
                                                GHashTable       *wanted,
                                                gint64            since,
                                                GCancellable     *cancellable);
TillLostIntent till_payments_find_lost_intent (TillStripeClient *stripe,
                                               TillDatabase     *db,
                                               gint64            order_id,
                                               gint64            created,
                                               GCancellable     *cancellable,
                                               JsonObject      **out_intent);
/* The refund request and its key: the same for the first call and every retry. */
TillStripeForm *till_payments_refund_form (const char       *payment_intent,
                                           const TillRefund *refund,
                                           gint64            stripe_amount);
char           *till_payments_refund_key (TillDatabase *db, const TillRefund *refund);

G_END_DECLS
