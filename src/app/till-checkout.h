/* till-checkout.h: starting a checkout (POST /api/v1/checkouts) for a cart, safely.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The cart's client_reference is created (and saved) before the request leaves and is kept
 * until the cart changes: a retry after a timeout or a crash sends the same reference and the
 * server answers with the same order, never a second one. A reference the server will not
 * answer an order for any more (409 order_canceled, client_reference_conflict) is replaced,
 * once, and the checkout sent again. The server prices the cart itself;
 * the app's own total (from core) is kept next to the answer so a difference (a price that
 * changed meanwhile) can be shown before anyone pays.
 */
#pragma once

#include "till-cart-model.h"
#include "till-client.h"

G_BEGIN_DECLS

typedef struct
{
  TillCheckoutResponse *response;      /* order + payment intent + client secret */
  gint64                app_total;     /* what the cart showed */
  gboolean              price_changed; /* the server's total is not app_total */
} TillCheckoutResult;

void till_checkout_result_free (TillCheckoutResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillCheckoutResult, till_checkout_result_free)

void                till_checkout_start_async (TillClient         *client,
                                               TillCartModel      *cart,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
TillCheckoutResult *till_checkout_start_finish (GAsyncResult *result, GError **error);

G_END_DECLS
