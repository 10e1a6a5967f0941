/* till-webhooks.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Delivery is at least once and in any order: events are deduplicated by id, and applying
 * one goes through the same monotonic order updates as sync, so an old event never moves
 * an order backwards.
 *
 * An event comes in the API version of the webhook endpoint (set in Stripe's Dashboard), not
 * in the Stripe-Version till-server pins (https://docs.stripe.com/webhooks/versioning): up to
 * 2022-11-15 a PaymentIntent carries its `charges` list, with the card; from then on only
 * `latest_charge`, an id, and the card is on the Charge, which till-api-webhooks.c fetches
 * (till_webhook_charge_to_fetch ()) before the event is applied.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-orders.h"
#include "till-server-error.h"
#include "till-terminals.h"
#include "till-webhooks.h"

static char *
hmac_hex (const char *secret, gint64 timestamp, const guint8 *body, gsize length)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
  g_autofree char *prefix = g_strdup_printf ("%" G_GINT64_FORMAT ".", timestamp);

  g_hmac_update (hmac, (const guchar *) prefix, strlen (prefix));
  g_hmac_update (hmac, body, length);
  return g_strdup (g_hmac_get_string (hmac));
}

char *
till_webhook_sign (const guint8 *body, gsize length, const char *secret, gint64 timestamp)
{
  g_autofree char *signature = hmac_hex (secret, timestamp, body, length);

  return g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s", timestamp, signature);
}

gboolean
till_webhook_verify (const char   *header,
                     const guint8 *body,
                     gsize         length,
                     const char   *secret,
                     gint64        now,
                     gint64        tolerance,
                     GError      **error)
{
  g_auto (GStrv) parts = NULL;
  g_autofree char *expected = NULL;
  gint64           timestamp = -1;
  gboolean         matched = FALSE;
  guint            n_v1 = 0;

  if (secret == NULL || *secret == '\0')
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_REQUEST,
                   _ ("Webhooks are not configured on this server"));
      return FALSE;
    }
  if (header == NULL || strlen (header) > 8192)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_REQUEST,
                   _ ("Missing Stripe-Signature header"));
      return FALSE;
    }

  parts = g_strsplit (header, ",", 64);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *part = g_strstrip (parts[i]);

      if (g_str_has_prefix (part, "t="))
        {
          guint64 t;

          if (timestamp >= 0 ||
              !g_ascii_string_to_unsigned (part + 2, 10, 0, G_MAXINT64 / 2, &t, NULL))
            {
              timestamp = -1;
              break;
            }
          timestamp = (gint64) t;
        }
    }
  if (timestamp < 0)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_REQUEST,
                   _ ("The Stripe-Signature header has no valid timestamp"));
      return FALSE;
    }

  expected = hmac_hex (secret, timestamp, body, length);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *part = parts[i];

      if (!g_str_has_prefix (part, "v1="))
        continue;
      n_v1++;
      /* Every candidate is compared in full, even after a match. */
      if (strlen (part + 3) == strlen (expected) &&
          till_constant_time_equal ((const guint8 *) part + 3, (const guint8 *) expected,
                                    strlen (expected)))
        matched = TRUE;
    }
  if (n_v1 == 0 || !matched)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_REQUEST,
                   _ ("The webhook signature does not match"));
      return FALSE;
    }
  if (ABS (now - timestamp) > tolerance)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_REQUEST,
                   _ ("The webhook timestamp is outside the tolerance"));
      return FALSE;
    }
  return TRUE;
}

static const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
object_member (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
seen_event (TillDatabase *db, const char *id)
{
  sqlite3_stmt *stmt = till_database_prepare (db, "SELECT 1 FROM stripe_events WHERE id = ?", NULL);

  if (stmt == NULL)
    return FALSE;
  till_database_bind_text (stmt, 1, id);
  return till_database_step (db, stmt, NULL) == SQLITE_ROW;
}

static gboolean
is_charge_id (const char *id)
{
  if (id == NULL || !g_str_has_prefix (id, "ch_") || strlen (id) > 255)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

const char *
till_webhook_charge_to_fetch (TillDatabase *db, JsonObject *event)
{
  const char *id = string_member (event, "id");
  const char *type = string_member (event, "type");
  JsonObject *intent = object_member (object_member (event, "data"), "object");
  const char *charge = string_member (intent, "latest_charge");
  const char *intent_id = string_member (intent, "id");
  g_autoptr (TillOrder) order = NULL;
  gint64 order_id;

  if (id == NULL || type == NULL || !g_str_has_prefix (type, "payment_intent.") ||
      g_strcmp0 (string_member (intent, "status"), "succeeded") != 0 || !is_charge_id (charge) ||
      json_object_has_member (intent, "charges") || intent_id == NULL)
    return NULL;
  /* Only what will be applied: not a delivery seen before, nor another till's intent. */
  if (seen_event (db, id))
    return NULL;
  order_id = till_orders_find_by_intent (db, intent_id, NULL);
  if (order_id <= 0)
    order_id = till_orders_order_of_intent (db, intent);
  if (order_id <= 0)
    return NULL;
  order = till_orders_get (db, order_id, NULL);
  if (order == NULL || order->status != TILL_ORDER_PENDING_PAYMENT)
    return NULL;
  return charge;
}

void
till_webhook_attach_charge (JsonObject *event, JsonObject *charge)
{
  JsonObject *intent = object_member (object_member (event, "data"), "object");

  if (intent != NULL)
    json_object_set_object_member (intent, "latest_charge", json_object_ref (charge));
}

static gboolean
remember_event (TillDatabase *db,
                const char   *id,
                const char   *type,
                gint64        created,
                gboolean     *out_duplicate,
                GError      **error)
{
  sqlite3_stmt *stmt = till_database_prepare (
      db,
      "INSERT INTO stripe_events (id, type, created, received_at) VALUES (?, ?, ?, ?)"
      " ON CONFLICT (id) DO NOTHING",
      error);

  if (stmt == NULL)
    return FALSE;
  till_database_bind_text (stmt, 1, id);
  till_database_bind_text (stmt, 2, type);
  sqlite3_bind_int64 (stmt, 3, created);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time ());
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return FALSE;
  *out_duplicate = till_database_changes (db) == 0;
  return TRUE;
}

static void
forget_event (TillDatabase *db, const char *id)
{
  sqlite3_stmt *stmt = till_database_prepare (db, "DELETE FROM stripe_events WHERE id = ?", NULL);

  if (stmt == NULL)
    return;
  till_database_bind_text (stmt, 1, id);
  till_database_step (db, stmt, NULL);
}

gint
till_webhook_forget_events (TillDatabase *db, gint64 received_before, guint limit, GError **error)
{
  /* The oldest by rowid, which grows with each event remembered: at most @limit rows read,
   * without an index of the time (one more to write for each event). */
  sqlite3_stmt *stmt = till_database_prepare (
      db,
      "DELETE FROM stripe_events WHERE rowid IN"
      " (SELECT rowid FROM stripe_events ORDER BY rowid LIMIT ?2) AND received_at < ?1",
      error);

  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, received_before);
  sqlite3_bind_int64 (stmt, 2, limit);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return -1;
  return till_database_changes (db);
}

static gboolean
apply_refund_object (TillDatabase *db, JsonObject *refund, GError **error)
{
  const char *id = string_member (refund, "id");
  const char *status = string_member (refund, "status");
  g_autoptr (GError) local = NULL;

  if (id == NULL || status == NULL)
    return TRUE;
  if (!till_orders_update_refund_status (db, id, status, &local) && local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

gboolean
till_webhook_handle_event (TillDatabase *db,
                           JsonObject   *event,
                           gboolean     *out_duplicate,
                           GError      **error)
{
  const char *id = string_member (event, "id");
  const char *type = string_member (event, "type");
  JsonObject *object = object_member (object_member (event, "data"), "object");
  JsonNode   *created_node = json_object_get_member (event, "created");
  gint64      created = 0;
  g_autoptr (GError) local = NULL;
  gboolean ok = TRUE;

  *out_duplicate = FALSE;
  if (id == NULL || type == NULL || object == NULL)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_REQUEST, _ ("Not a Stripe event"));
      return FALSE;
    }
  if (created_node != NULL && JSON_NODE_HOLDS_VALUE (created_node) &&
      json_node_get_value_type (created_node) == G_TYPE_INT64)
    created = json_node_get_int (created_node);

  if (!remember_event (db, id, type, created, out_duplicate, error))
    return FALSE;
  if (*out_duplicate)
    {
      g_debug ("Webhook event %s (%s) seen before", id, type);
      return TRUE;
    }

  if (g_str_has_prefix (type, "payment_intent."))
    {
      /* The order that recorded it, or else (an intent made but not recorded yet: its
       * checkout's answer was lost) the one its metadata names, if it is an intent of this
       * database's (not another till's on the same account); till_orders_apply_intent ()
       * checks that the order has no other. */
      const char *intent_id = json_object_get_string_member_with_default (object, "id", NULL);
      gint64 order_id = intent_id != NULL ? till_orders_find_by_intent (db, intent_id, NULL) : 0;

      if (order_id <= 0)
        order_id = till_orders_order_of_intent (db, object);

      if (order_id > 0)
        {
          gboolean changed = FALSE;

          ok = till_orders_apply_intent (db, order_id, object, &changed, &local);
          if (!ok && local->domain == TILL_API_ERROR &&
              (local->code == TILL_API_ERROR_NOT_FOUND || local->code == TILL_API_ERROR_CONFLICT))
            {
              /* Not ours (another till, another order): acknowledge, change nothing. */
              g_debug ("Webhook event %s: %s", id, local->message);
              g_clear_error (&local);
              ok = TRUE;
            }
        }
    }
  else if (g_strcmp0 (type, "refund.updated") == 0 || g_strcmp0 (type, "refund.created") == 0)
    ok = apply_refund_object (db, object, &local);
  else if (g_strcmp0 (type, "charge.refunded") == 0)
    {
      JsonObject *refunds = object_member (object, "refunds");
      JsonNode   *data = refunds != NULL ? json_object_get_member (refunds, "data") : NULL;

      if (data != NULL && JSON_NODE_HOLDS_ARRAY (data))
        {
          JsonArray *array = json_node_get_array (data);

          for (guint i = 0; ok && i < json_array_get_length (array); i++)
            {
              JsonNode *element = json_array_get_element (array, i);

              if (JSON_NODE_HOLDS_OBJECT (element))
                ok = apply_refund_object (db, json_node_get_object (element), &local);
            }
        }
    }

  if (!ok)
    {
      /* Let Stripe deliver it again. */
      forget_event (db, id);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}
