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
  gint64 app_total;
} StartData;

static void
on_checkout_created (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  StartData *data = g_task_get_task_data (task);
  g_autoptr (TillCheckoutResponse) response = NULL;
  TillCheckoutResult *checkout;
  GError *error = NULL;

  response = till_client_create_checkout_finish (TILL_CLIENT (source), result, &error);
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
till_checkout_start_async (TillClient          *client,
                           TillCartModel       *cart,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
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
                               _("The cart is empty."));
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
till_checkout_start_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
