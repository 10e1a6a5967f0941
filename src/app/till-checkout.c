/* till-checkout.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-checkout.h"

void
till_checkout_result_free (TillCheckoutResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->response, till_checkout_response_free);
  g_free (result);
}

typedef struct
{
  gint64   app_total;
  gboolean renewed; /* the cart's reference was spent and replaced, once */
} StartData;

/* The server will never give an order for the cart's reference again: its order was
 * canceled (its payment unknown to Stripe, say after the training server restarted), or
 * the reference is another terminal's (this till re-added with a new token). Nothing was or
 * can be charged under it, so the cart gets a new one. */
static gboolean
reference_is_spent (const GError *error)
{
  return g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_ORDER_CANCELED) ||
         g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_REFERENCE_CONFLICT);
}

static void
on_checkout_created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  StartData *data = g_task_get_task_data (task);
  g_autoptr (TillCheckoutResponse) response = NULL;
  TillCheckoutResult *checkout;
  GError             *error = NULL;

  response = till_client_create_checkout_finish (TILL_CLIENT (source), result, &error);
  if (response == NULL && reference_is_spent (error) && !data->renewed)
    {
      TillCartModel *cart = g_task_get_source_object (task);
      /* Read before the steal: the order of a call's arguments is unspecified. */
      GCancellable *cancellable = g_task_get_cancellable (task);

      g_message ("Checkout: %s; again with a new client reference", error->message);
      g_clear_error (&error);
      data->renewed = TRUE;
      till_cart_model_forget_client_reference (cart);
      till_cart_model_ensure_client_reference (cart);
      till_client_create_checkout_async (TILL_CLIENT (source), till_cart_model_get_cart (cart),
                                         cancellable, on_checkout_created, g_steal_pointer (&task));
      return;
    }
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  checkout = g_new0 (TillCheckoutResult, 1);
  checkout->app_total = data->app_total;
  checkout->price_changed = response->order->total != data->app_total;
  checkout->response = g_steal_pointer (&response);
  g_task_return_pointer (task, checkout, (GDestroyNotify) till_checkout_result_free);
}

void
till_checkout_start_async (TillClient         *client,
                           TillCartModel      *cart,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  TillTotals totals;
  StartData *data;

  g_return_if_fail (TILL_IS_CLIENT (client));
  g_return_if_fail (TILL_IS_CART_MODEL (cart));

  task = g_task_new (cart, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_checkout_start_async);

  if (till_cart_model_get_n_lines (cart) == 0)
    {
      g_task_return_new_error (task, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_QUANTITY,
                               _ ("The cart is empty."));
      return;
    }
  if (!till_cart_model_compute_totals (cart, NULL, &totals, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_new0 (StartData, 1);
  data->app_total = totals.total;
  g_task_set_task_data (task, data, g_free);

  /* Created and saved now; reused by every retry until the cart changes. */
  till_cart_model_ensure_client_reference (cart);
  till_client_create_checkout_async (client, till_cart_model_get_cart (cart), cancellable,
                                     on_checkout_created, g_steal_pointer (&task));
}

TillCheckoutResult *
till_checkout_start_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
