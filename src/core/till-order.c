/* till-order.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "till-json.h"
#include "till-money.h"
#include "till-order.h"

static const char *status_names[] = {
  [TILL_ORDER_PENDING_PAYMENT] = "pending_payment",
  [TILL_ORDER_PAID] = "paid",
  [TILL_ORDER_PARTIALLY_REFUNDED] = "partially_refunded",
  [TILL_ORDER_REFUNDED] = "refunded",
  [TILL_ORDER_CANCELED] = "canceled",
};

const char *
till_order_status_to_string (TillOrderStatus status)
{
  g_return_val_if_fail (status <= TILL_ORDER_CANCELED, NULL);

  return status_names[status];
}

gboolean
till_order_status_from_string (const char      *text,
                               TillOrderStatus *out_status)
{
  for (guint i = 0; i < G_N_ELEMENTS (status_names); i++)
    {
      if (g_strcmp0 (text, status_names[i]) == 0)
        {
          *out_status = i;
          return TRUE;
        }
    }
  return FALSE;
}

/**
 * till_order_status_can_become:
 *
 * Orders only move forward: pending_payment → paid → partially_refunded → refunded, and
 * pending_payment → canceled. Staying in the same status is allowed (a no-op), and so is
 * partially_refunded → partially_refunded (another partial refund).
 */
gboolean
till_order_status_can_become (TillOrderStatus from,
                              TillOrderStatus to)
{
  if (from == to)
    return TRUE;

  switch (from)
    {
    case TILL_ORDER_PENDING_PAYMENT:
      return to == TILL_ORDER_PAID || to == TILL_ORDER_CANCELED;
    case TILL_ORDER_PAID:
      return to == TILL_ORDER_PARTIALLY_REFUNDED || to == TILL_ORDER_REFUNDED;
    case TILL_ORDER_PARTIALLY_REFUNDED:
      return to == TILL_ORDER_REFUNDED;
    case TILL_ORDER_REFUNDED:
    case TILL_ORDER_CANCELED:
    default:
      return FALSE;
    }
}

TillOrderLine *
till_order_line_new (void)
{
  return g_new0 (TillOrderLine, 1);
}

void
till_order_line_free (TillOrderLine *line)
{
  if (line == NULL)
    return;
  g_free (line->name);
  g_free (line);
}

TillOrder *
till_order_new (void)
{
  TillOrder *order = g_new0 (TillOrder, 1);

  order->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) till_order_line_free);
  return order;
}

void
till_order_free (TillOrder *order)
{
  if (order == NULL)
    return;
  g_free (order->number);
  g_free (order->currency);
  g_free (order->client_reference);
  g_ptr_array_unref (order->lines);
  g_free (order->payment_intent);
  g_free (order->payment_status);
  g_free (order->card_brand);
  g_free (order->card_last4);
  g_free (order->decline_code);
  g_free (order->decline_message);
  g_clear_pointer (&order->created_at, g_date_time_unref);
  g_clear_pointer (&order->paid_at, g_date_time_unref);
  g_free (order);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_string_or_null (JsonBuilder *builder,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_time_or_null (JsonBuilder *builder,
                  const char  *name,
                  GDateTime   *time)
{
  g_autofree char *text = NULL;

  if (time != NULL)
    {
      g_autoptr (GDateTime) utc = g_date_time_to_utc (time);
      text = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
    }
  add_string_or_null (builder, name, text);
}

/* The order JSON of DESIGN.md; the client secret is never part of it. */
JsonNode *
till_order_to_json (const TillOrder *order)
{
  g_autoptr (JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  add_int (builder, "id", order->id);
  add_string_or_null (builder, "number", order->number);
  add_string_or_null (builder, "status", till_order_status_to_string (order->status));
  add_string_or_null (builder, "currency", order->currency);
  add_string_or_null (builder, "client_reference", order->client_reference);

  json_builder_set_member_name (builder, "lines");
  json_builder_begin_array (builder);
  for (guint i = 0; i < order->lines->len; i++)
    {
      const TillOrderLine *line = g_ptr_array_index (order->lines, i);

      json_builder_begin_object (builder);
      add_int (builder, "product_id", line->product_id);
      add_string_or_null (builder, "name", line->name);
      add_int (builder, "quantity", line->quantity);
      add_int (builder, "unit_amount", line->unit_amount);
      add_int (builder, "tax_rate", line->tax_rate);
      add_int (builder, "discount", line->discount);
      add_int (builder, "tax", line->tax);
      add_int (builder, "total", line->total);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  add_int (builder, "subtotal", order->subtotal);
  add_int (builder, "discount", order->discount);
  add_int (builder, "tax", order->tax);
  add_int (builder, "rounding", order->rounding);
  add_int (builder, "total", order->total);
  add_int (builder, "refunded", order->refunded);

  json_builder_set_member_name (builder, "payment");
  if (order->payment_intent != NULL)
    {
      json_builder_begin_object (builder);
      add_string_or_null (builder, "payment_intent", order->payment_intent);
      add_string_or_null (builder, "status", order->payment_status);
      add_string_or_null (builder, "card_brand", order->card_brand);
      add_string_or_null (builder, "card_last4", order->card_last4);
      add_string_or_null (builder, "decline_code", order->decline_code);
      add_string_or_null (builder, "decline_message", order->decline_message);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);

  add_time_or_null (builder, "created_at", order->created_at);
  add_time_or_null (builder, "paid_at", order->paid_at);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static gboolean
get_time (JsonObject  *object,
          const char  *member,
          gboolean     required,
          GDateTime  **out,
          GError     **error)
{
  g_autofree char *text = NULL;

  if (!till_json_get_string (object, NULL, member, required, 64, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;

  *out = g_date_time_new_from_iso8601 (text, NULL);
  if (*out == NULL)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   _("Field “%s” is not an RFC 3339 time"), member);
      return FALSE;
    }
  return TRUE;
}

/**
 * till_order_from_json:
 *
 * Reads an order as the server sends it. Fields it does not know are skipped (a newer
 * server may add some); known fields of the wrong type fail.
 */
TillOrder *
till_order_from_json (JsonObject  *object,
                      GError     **error)
{
  g_autoptr (TillOrder) order = till_order_new ();
  g_autofree char *status = NULL;
  JsonArray *lines = NULL;
  JsonObject *payment = NULL;

  if (!till_json_get_int (object, NULL, "id", TRUE, 1, G_MAXINT64, &order->id, error) ||
      !till_json_get_string (object, NULL, "number", TRUE, 64, &order->number, error) ||
      !till_json_get_string (object, NULL, "status", TRUE, 32, &status, error) ||
      !till_json_get_string (object, NULL, "currency", TRUE, 3, &order->currency, error) ||
      !till_json_get_string (object, NULL, "client_reference", FALSE, 64,
                             &order->client_reference, error) ||
      !till_json_get_array (object, NULL, "lines", TRUE, &lines, error) ||
      !till_json_get_int (object, NULL, "subtotal", TRUE, 0, TILL_AMOUNT_MAX, &order->subtotal,
                          error) ||
      !till_json_get_int (object, NULL, "discount", TRUE, 0, TILL_AMOUNT_MAX, &order->discount,
                          error) ||
      !till_json_get_int (object, NULL, "tax", TRUE, 0, TILL_AMOUNT_MAX, &order->tax, error) ||
      !till_json_get_int (object, NULL, "rounding", FALSE, -TILL_AMOUNT_MAX, TILL_AMOUNT_MAX,
                          &order->rounding, error) ||
      !till_json_get_int (object, NULL, "total", TRUE, 0, TILL_AMOUNT_MAX, &order->total, error) ||
      !till_json_get_int (object, NULL, "refunded", FALSE, 0, TILL_AMOUNT_MAX, &order->refunded,
                          error) ||
      !till_json_get_object (object, NULL, "payment", FALSE, &payment, error) ||
      !get_time (object, "created_at", TRUE, &order->created_at, error) ||
      !get_time (object, "paid_at", FALSE, &order->paid_at, error))
    return NULL;

  if (!till_order_status_from_string (status, &order->status))
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   _("Field “status”: unknown order status “%s”"), status);
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonNode *node = json_array_get_element (lines, i);
      g_autofree char *path = g_strdup_printf ("lines[%u]", i);
      g_autoptr (TillOrderLine) line = till_order_line_new ();
      gint64 tax_rate = 0;
      JsonObject *line_object;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_TYPE, _("Field “%s” must be %s"),
                       path, _("an object"));
          return NULL;
        }
      line_object = json_node_get_object (node);
      if (!till_json_get_int (line_object, path, "product_id", TRUE, 1, G_MAXINT64,
                              &line->product_id, error) ||
          !till_json_get_string (line_object, path, "name", TRUE, 200, &line->name, error) ||
          !till_json_get_int (line_object, path, "quantity", TRUE, 1, G_MAXINT32,
                              &line->quantity, error) ||
          !till_json_get_int (line_object, path, "unit_amount", TRUE, 0, TILL_AMOUNT_MAX,
                              &line->unit_amount, error) ||
          !till_json_get_int (line_object, path, "tax_rate", FALSE, 0, 10000, &tax_rate, error) ||
          !till_json_get_int (line_object, path, "discount", TRUE, 0, TILL_AMOUNT_MAX,
                              &line->discount, error) ||
          !till_json_get_int (line_object, path, "tax", TRUE, 0, TILL_AMOUNT_MAX, &line->tax,
                              error) ||
          !till_json_get_int (line_object, path, "total", TRUE, 0, TILL_AMOUNT_MAX, &line->total,
                              error))
        return NULL;
      line->tax_rate = (int) tax_rate;
      g_ptr_array_add (order->lines, g_steal_pointer (&line));
    }

  if (payment != NULL &&
      (!till_json_get_string (payment, "payment", "payment_intent", TRUE, 255,
                              &order->payment_intent, error) ||
       !till_json_get_string (payment, "payment", "status", FALSE, 64, &order->payment_status,
                              error) ||
       !till_json_get_string (payment, "payment", "card_brand", FALSE, 32, &order->card_brand,
                              error) ||
       !till_json_get_string (payment, "payment", "card_last4", FALSE, 4, &order->card_last4,
                              error) ||
       !till_json_get_string (payment, "payment", "decline_code", FALSE, 64,
                              &order->decline_code, error) ||
       !till_json_get_string (payment, "payment", "decline_message", FALSE, 500,
                              &order->decline_message, error)))
    return NULL;

  return g_steal_pointer (&order);
}
