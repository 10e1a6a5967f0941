/* fuzz-cart-json.c: libFuzzer target for the strict cart and checkout JSON readers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whatever the input, reading must not crash; an accepted cart must write out and read back
 * to the same cart, and its totals must compute or fail cleanly.
 */
#include "config.h"

#include "till-core.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_round_trip (const TillCart *cart, gboolean saved)
{
  g_autoptr (JsonNode) node = saved ? till_cart_to_json (cart) : till_cart_to_checkout_json (cart);
  g_autoptr (TillCart) back = NULL;
  g_autoptr (GError) error = NULL;

  back = saved ? till_cart_from_json (json_node_get_object (node), &error)
               : till_cart_from_checkout_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->lines->len, ==, cart->lines->len);
  g_assert_cmpstr (back->currency, ==, cart->currency);
  for (guint i = 0; i < cart->lines->len; i++)
    {
      const TillCartLine *a = g_ptr_array_index (cart->lines, i);
      const TillCartLine *b = g_ptr_array_index (back->lines, i);
      g_assert_cmpint (a->product_id, ==, b->product_id);
      g_assert_cmpint (a->quantity, ==, b->quantity);
      g_assert_cmpint (a->discount.kind, ==, b->discount.kind);
      g_assert_cmpint (a->discount.value, ==, b->discount.value);
      g_assert_cmpint (a->unit_amount, ==, b->unit_amount);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;

  if (size > 64 * 1024)
    return 0;

  object = till_json_parse_object ((const char *) data, size, &error);
  if (object == NULL)
    {
      g_assert_nonnull (error);
      return 0;
    }

  {
    g_autoptr (GError) local_error = NULL;
    g_autoptr (TillCart) cart = till_cart_from_checkout_json (object, &local_error);
    if (cart != NULL)
      check_round_trip (cart, FALSE);
    else
      g_assert_nonnull (local_error);
  }
  {
    g_autoptr (GError) local_error = NULL;
    g_autoptr (TillCart) cart = till_cart_from_json (object, &local_error);
    if (cart != NULL)
      {
        TillTotals totals;
        g_autoptr (GError) totals_error = NULL;

        check_round_trip (cart, TRUE);
        if (till_cart_compute_totals (cart, NULL, &totals, &totals_error))
          g_assert_cmpint (totals.total, >=, 0);
        else
          g_assert_nonnull (totals_error);
      }
    else
      g_assert_nonnull (local_error);
  }
  {
    g_autoptr (GError) local_error = NULL;
    g_autoptr (TillOrder) order = till_order_from_json (object, &local_error);
    if (order == NULL)
      g_assert_nonnull (local_error);
  }
  return 0;
}
