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
  [TILL_ORDER_PARTIALLY_PAID] = "partially_paid",
};

const char *
till_order_status_to_string (TillOrderStatus status)
{
  g_return_val_if_fail (status <= TILL_ORDER_PARTIALLY_PAID, NULL);

  return status_names[status];
}

gboolean
till_order_status_from_string (const char *text, TillOrderStatus *out_status)
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
 * Orders only move forward: pending_payment → paid → partially_refunded → refunded,
 * pending_payment → canceled, and pending_payment → partially_paid → paid (a split payment).
 * Staying in the same status is allowed (a no-op), and so is partially_refunded →
 * partially_refunded (another partial refund).
 */
gboolean
till_order_status_can_become (TillOrderStatus from, TillOrderStatus to)
{
  if (from == to)
    return TRUE;

  switch (from)
    {
      case TILL_ORDER_PENDING_PAYMENT:
        return to == TILL_ORDER_PAID || to == TILL_ORDER_CANCELED ||
               to == TILL_ORDER_PARTIALLY_PAID;
      case TILL_ORDER_PARTIALLY_PAID:
        return to == TILL_ORDER_PAID;
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

TillOrderTender *
till_order_tender_new (void)
{
  TillOrderTender *tender = g_new0 (TillOrderTender, 1);

  tender->tendered = -1;
  tender->change = -1;
  return tender;
}

void
till_order_tender_free (TillOrderTender *tender)
{
  if (tender == NULL)
    return;
  g_free (tender->method);
  g_free (tender->payment_intent);
  g_free (tender->status);
  g_clear_pointer (&tender->created_at, g_date_time_unref);
  g_free (tender);
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
  g_free (order->receipt_url);
  g_free (order->tender);
  g_clear_pointer (&order->tenders, g_ptr_array_unref);
  g_clear_pointer (&order->created_at, g_date_time_unref);
  g_clear_pointer (&order->paid_at, g_date_time_unref);
  g_free (order);
}

static void
write_lines (const TillOrder *order, TillJsonWriter *writer)
{
  till_json_writer_name (writer, "lines");
  till_json_writer_begin_array (writer);
  for (guint i = 0; i < order->lines->len; i++)
    {
      const TillOrderLine *line = g_ptr_array_index (order->lines, i);

      till_json_writer_begin_object (writer);
      till_json_writer_member_int (writer, "product_id", line->product_id);
      till_json_writer_member_string (writer, "name", line->name);
      till_json_writer_member_int (writer, "quantity", line->quantity);
      till_json_writer_member_int (writer, "unit_amount", line->unit_amount);
      till_json_writer_member_int (writer, "tax_rate", line->tax_rate);
      till_json_writer_member_int (writer, "discount", line->discount);
      till_json_writer_member_int (writer, "tax", line->tax);
      till_json_writer_member_int (writer, "total", line->total);
      till_json_writer_end_object (writer);
    }
  till_json_writer_end_array (writer);
}

static void
write_optional_int (TillJsonWriter *writer, const char *name, gint64 value)
{
  if (value >= 0)
    till_json_writer_member_int (writer, name, value);
  else
    {
      till_json_writer_name (writer, name);
      till_json_writer_null (writer);
    }
}

static void
write_tenders (const TillOrder *order, TillJsonWriter *writer)
{
  till_json_writer_name (writer, "tenders");
  till_json_writer_begin_array (writer);
  for (guint i = 0; i < order->tenders->len; i++)
    {
      const TillOrderTender *tender = g_ptr_array_index (order->tenders, i);

      till_json_writer_begin_object (writer);
      write_optional_int (writer, "id", tender->id > 0 ? tender->id : -1);
      till_json_writer_member_string (writer, "method", tender->method);
      till_json_writer_member_int (writer, "amount", tender->amount);
      till_json_writer_member_int (writer, "rounding", tender->rounding);
      write_optional_int (writer, "tendered", tender->tendered);
      write_optional_int (writer, "change", tender->change);
      till_json_writer_member_string (writer, "payment_intent", tender->payment_intent);
      till_json_writer_member_string (writer, "status", tender->status);
      till_json_writer_name (writer, "created_at");
      till_json_writer_time (writer, tender->created_at);
      till_json_writer_end_object (writer);
    }
  till_json_writer_end_array (writer);
}

static void
write_members (const TillOrder *order, gboolean with_lines, TillJsonWriter *writer)
{
  till_json_writer_member_int (writer, "id", order->id);
  till_json_writer_member_string (writer, "number", order->number);
  till_json_writer_member_string (writer, "status", till_order_status_to_string (order->status));
  till_json_writer_member_string (writer, "currency", order->currency);
  till_json_writer_member_string (writer, "client_reference", order->client_reference);

  if (with_lines)
    write_lines (order, writer);

  till_json_writer_member_int (writer, "subtotal", order->subtotal);
  till_json_writer_member_int (writer, "discount", order->discount);
  till_json_writer_member_int (writer, "tax", order->tax);
  till_json_writer_member_int (writer, "rounding", order->rounding);
  till_json_writer_member_int (writer, "total", order->total);
  till_json_writer_member_int (writer, "refunded", order->refunded);
  till_json_writer_member_string (writer, "tender", order->tender);
  till_json_writer_member_int (writer, "paid_amount", order->paid_amount);
  till_json_writer_member_int (writer, "amount_due", order->total - order->paid_amount);
  if (with_lines && order->tenders != NULL)
    write_tenders (order, writer);
  till_json_writer_name (writer, "offline");
  till_json_writer_boolean (writer, order->offline);
  till_json_writer_name (writer, "catalog_difference");
  if (order->offline)
    till_json_writer_int (writer, order->catalog_difference);
  else
    till_json_writer_null (writer);

  till_json_writer_name (writer, "payment");
  if (order->payment_intent != NULL)
    {
      till_json_writer_begin_object (writer);
      till_json_writer_member_string (writer, "payment_intent", order->payment_intent);
      till_json_writer_member_string (writer, "status", order->payment_status);
      till_json_writer_member_string (writer, "card_brand", order->card_brand);
      till_json_writer_member_string (writer, "card_last4", order->card_last4);
      till_json_writer_member_string (writer, "decline_code", order->decline_code);
      till_json_writer_member_string (writer, "decline_message", order->decline_message);
      till_json_writer_end_object (writer);
    }
  else
    till_json_writer_null (writer);

  till_json_writer_name (writer, "created_at");
  till_json_writer_time (writer, order->created_at);
  till_json_writer_name (writer, "paid_at");
  till_json_writer_time (writer, order->paid_at);
  if (order->receipt_url != NULL)
    till_json_writer_member_string (writer, "receipt_url", order->receipt_url);
}

void
till_order_write_members (const TillOrder *order, TillJsonWriter *writer)
{
  write_members (order, TRUE, writer);
}

void
till_order_write_json (const TillOrder *order, TillJsonWriter *writer)
{
  till_json_writer_begin_object (writer);
  write_members (order, TRUE, writer);
  till_json_writer_end_object (writer);
}

/* As in lists of orders: without `lines`, which are not loaded for them. */
void
till_order_write_summary_json (const TillOrder *order, TillJsonWriter *writer)
{
  till_json_writer_begin_object (writer);
  write_members (order, FALSE, writer);
  till_json_writer_end_object (writer);
}

JsonNode *
till_order_to_json (const TillOrder *order)
{
  g_autoptr (GString) text = g_string_sized_new (1024);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  TillJsonWriter writer;

  till_json_writer_init (&writer, text);
  till_order_write_json (order, &writer);
  /* The writer's output is always valid JSON. */
  if ((object = till_json_parse_object (text->str, text->len, &error)) == NULL)
    g_return_val_if_reached (NULL);
  return json_node_init_object (json_node_alloc (), object);
}

static gboolean
get_time (
    JsonObject *object, const char *member, gboolean required, GDateTime **out, GError **error)
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
                   _ ("Field “%s” is not an RFC 3339 time"), member);
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
static gboolean
tenders_from_json (JsonArray *array, TillOrder *order, GError **error)
{
  order->tenders = g_ptr_array_new_with_free_func ((GDestroyNotify) till_order_tender_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode        *node = json_array_get_element (array, i);
      g_autofree char *path = g_strdup_printf ("tenders[%u]", i);
      g_autoptr (TillOrderTender) tender = till_order_tender_new ();
      JsonObject *item;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_TYPE, _ ("Field “%s” must be %s"),
                       path, _ ("an object"));
          return FALSE;
        }
      item = json_node_get_object (node);
      if (!till_json_get_int (item, path, "id", FALSE, 1, G_MAXINT64, &tender->id, error) ||
          !till_json_get_string (item, path, "method", TRUE, 16, &tender->method, error) ||
          !till_json_get_int (item, path, "amount", TRUE, 0, TILL_AMOUNT_MAX, &tender->amount,
                              error) ||
          !till_json_get_int (item, path, "rounding", FALSE, -TILL_AMOUNT_MAX, TILL_AMOUNT_MAX,
                              &tender->rounding, error) ||
          !till_json_get_int (item, path, "tendered", FALSE, 0, TILL_AMOUNT_MAX, &tender->tendered,
                              error) ||
          !till_json_get_int (item, path, "change", FALSE, 0, TILL_AMOUNT_MAX, &tender->change,
                              error) ||
          !till_json_get_string (item, path, "payment_intent", FALSE, 255, &tender->payment_intent,
                                 error) ||
          !till_json_get_string (item, path, "status", FALSE, 64, &tender->status, error))
        return FALSE;
      g_ptr_array_add (order->tenders, g_steal_pointer (&tender));
    }
  return TRUE;
}

TillOrder *
till_order_from_json (JsonObject *object, GError **error)
{
  g_autoptr (TillOrder) order = till_order_new ();
  g_autofree char *status = NULL;
  JsonArray       *lines = NULL;
  JsonArray       *tenders = NULL;
  JsonObject      *payment = NULL;

  if (!till_json_get_int (object, NULL, "id", TRUE, 1, G_MAXINT64, &order->id, error) ||
      !till_json_get_string (object, NULL, "number", TRUE, 64, &order->number, error) ||
      !till_json_get_string (object, NULL, "status", TRUE, 32, &status, error) ||
      !till_json_get_string (object, NULL, "currency", TRUE, 3, &order->currency, error) ||
      !till_json_get_string (object, NULL, "client_reference", FALSE, 64, &order->client_reference,
                             error) ||
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
      !get_time (object, "paid_at", FALSE, &order->paid_at, error) ||
      !till_json_get_string (object, NULL, "receipt_url", FALSE, 2048, &order->receipt_url,
                             error) ||
      !till_json_get_string (object, NULL, "tender", FALSE, 16, &order->tender, error) ||
      !till_json_get_int (object, NULL, "paid_amount", FALSE, 0, TILL_AMOUNT_MAX,
                          &order->paid_amount, error) ||
      !till_json_get_array (object, NULL, "tenders", FALSE, &tenders, error) ||
      !till_json_get_boolean (object, NULL, "offline", FALSE, &order->offline, error) ||
      !till_json_get_int (object, NULL, "catalog_difference", FALSE, -TILL_AMOUNT_MAX,
                          TILL_AMOUNT_MAX, &order->catalog_difference, error))
    return NULL;
  if (tenders != NULL && !tenders_from_json (tenders, order, error))
    return NULL;

  if (!till_order_status_from_string (status, &order->status))
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   _ ("Field “status”: unknown order status “%s”"), status);
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonNode        *node = json_array_get_element (lines, i);
      g_autofree char *path = g_strdup_printf ("lines[%u]", i);
      g_autoptr (TillOrderLine) line = till_order_line_new ();
      gint64      tax_rate = 0;
      JsonObject *line_object;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_TYPE, _ ("Field “%s” must be %s"),
                       path, _ ("an object"));
          return NULL;
        }
      line_object = json_node_get_object (node);
      if (!till_json_get_int (line_object, path, "product_id", TRUE, 1, G_MAXINT64,
                              &line->product_id, error) ||
          !till_json_get_string (line_object, path, "name", TRUE, 200, &line->name, error) ||
          !till_json_get_int (line_object, path, "quantity", TRUE, 1, G_MAXINT32, &line->quantity,
                              error) ||
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

  if (payment != NULL && (!till_json_get_string (payment, "payment", "payment_intent", TRUE, 255,
                                                 &order->payment_intent, error) ||
                          !till_json_get_string (payment, "payment", "status", FALSE, 64,
                                                 &order->payment_status, error) ||
                          !till_json_get_string (payment, "payment", "card_brand", FALSE, 32,
                                                 &order->card_brand, error) ||
                          !till_json_get_string (payment, "payment", "card_last4", FALSE, 4,
                                                 &order->card_last4, error) ||
                          !till_json_get_string (payment, "payment", "decline_code", FALSE, 64,
                                                 &order->decline_code, error) ||
                          !till_json_get_string (payment, "payment", "decline_message", FALSE, 500,
                                                 &order->decline_message, error)))
    return NULL;

  return g_steal_pointer (&order);
}
