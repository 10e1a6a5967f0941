/* till-test-fixture.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-stripe-sim.h"
#include "till-terminals.h"
#include "till-test-fixture.h"

static void
configure (TillServerConfig *config, gpointer user_data)
{
  const Setup *setup = user_data;

  if (setup != NULL && setup->currency != NULL)
    {
      g_free (config->currency);
      config->currency = g_strdup (setup->currency);
    }
  if (setup != NULL && setup->public_url != NULL)
    config->public_url = g_strdup (setup->public_url);
  if (setup != NULL && setup->store_address != NULL)
    config->store_address = g_strdup (setup->store_address);
  if (setup != NULL && setup->automatic_payment_methods)
    g_clear_pointer (&config->payment_method_types, g_strfreev);
  if (setup != NULL)
    config->cash_rounding = setup->cash_rounding;
  if (setup != NULL && setup->no_offline_cash)
    config->offline_cash = FALSE;
}

void
fixture_setup (Fixture *fixture, gconstpointer data)
{
  const Setup *setup = data;
  g_autoptr (GError) error = NULL;

  if (setup == NULL || !setup->offline)
    fixture->sim = till_test_sim_new ();
  if (setup != NULL && setup->stripe_timeout_ms != NULL)
    g_setenv ("TILL_STRIPE_TIMEOUT_MS", setup->stripe_timeout_ms, TRUE);
  if (setup != NULL && setup->retry_base_ms != NULL)
    g_setenv ("TILL_STRIPE_RETRY_BASE_MS", setup->retry_base_ms, TRUE);
  if (setup != NULL && setup->busy_wait_ms != NULL)
    g_setenv ("TILL_DATABASE_BUSY_WAIT_MS", setup->busy_wait_ms, TRUE);
  fixture->server = till_test_server_new (fixture->sim != NULL ? fixture->sim->base : NULL,
                                          configure, (gpointer) setup);
  g_unsetenv ("TILL_DATABASE_BUSY_WAIT_MS");
  g_unsetenv ("TILL_STRIPE_TIMEOUT_MS");
  g_setenv ("TILL_STRIPE_RETRY_BASE_MS", "10", TRUE);
  till_api_load_demo_catalog (till_api_get_database (fixture->server->api),
                              setup != NULL && setup->currency != NULL ? setup->currency : "USD",
                              &error);
  g_assert_no_error (error);
  if (setup != NULL && setup->webhooks)
    {
      g_autofree char *url = g_strconcat (fixture->server->base, "/stripe/webhook", NULL);

      g_assert_true (till_stripe_sim_set_webhook (TILL_STRIPE_SIM (fixture->sim->sim), url,
                                                  TILL_TEST_WEBHOOK_SECRET, &error));
      g_assert_no_error (error);
      till_stripe_sim_set_webhook_retry (TILL_STRIPE_SIM (fixture->sim->sim), 20, 3);
    }
}

void
fixture_teardown (Fixture *fixture, gconstpointer data)
{
  till_test_server_free (fixture->server);
  till_test_sim_free (fixture->sim);
}

gint64
product_id (Fixture *fixture, const char *sku)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/products?q=%s", sku);
  g_autoptr (TillTestResponse) response = api_get (fixture, path);
  JsonArray *products = json_object_get_array_member (response->json, "products");

  g_assert_cmpuint (json_array_get_length (products), ==, 1);
  return json_object_get_int_member (json_array_get_object_element (products, 0), "id");
}

TillTestResponse *
api_get (Fixture *fixture, const char *path)
{
  return till_test_request (fixture->server, "GET", path, fixture->server->cashier_token, NULL);
}

void
assert_json_error (TillTestResponse *response, guint status, const char *code)
{
  g_assert_cmpuint (response->status, ==, status);
  g_assert_nonnull (response->json);
  g_assert_cmpstr (till_test_error_code (response), ==, code);
  g_assert_cmpstr (soup_message_headers_get_content_type (response->headers, NULL), ==,
                   "application/json");
}

const char *
error_message (TillTestResponse *response)
{
  return json_object_get_string_member (json_object_get_object_member (response->json, "error"),
                                        "message");
}

/* A three-line cart of demo products. */
char *
cart_body (Fixture *fixture, const char *reference)
{
  return g_strdup_printf ("{\"client_reference\": \"%s\", \"currency\": \"%s\", \"lines\": ["
                          "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 2},"
                          "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1},"
                          "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 3}]}",
                          reference, till_api_get_config (fixture->server->api)->currency,
                          product_id (fixture, "BAK-001"), product_id (fixture, "CAK-001"),
                          product_id (fixture, "HOT-001"));
}

TillTestResponse *
checkout (Fixture *fixture, const char *body)
{
  return till_test_request (fixture->server, "POST", "/api/v1/checkouts",
                            fixture->server->cashier_token, body);
}

JsonObject *
order_of (TillTestResponse *response)
{
  return json_object_get_object_member (response->json, "order");
}

const char *
intent_of (TillTestResponse *response)
{
  return json_object_get_string_member (json_object_get_object_member (response->json, "payment"),
                                        "payment_intent");
}

const char *
secret_of (TillTestResponse *response)
{
  return json_object_get_string_member (json_object_get_object_member (response->json, "payment"),
                                        "client_secret");
}

TillTestResponse *
post_order (
    Fixture *fixture, gint64 order_id, const char *action, const char *token, const char *body)
{
  g_autofree char *path =
      g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT "/%s", order_id, action);

  return till_test_request (fixture->server, "POST", path, token, body != NULL ? body : "{}");
}

TillTestResponse *
get_order (Fixture *fixture, gint64 order_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT, order_id);

  return till_test_request (fixture->server, "GET", path, fixture->server->cashier_token, NULL);
}

const char *
payment_member (JsonObject *order, const char *member)
{
  JsonNode *payment = json_object_get_member (order, "payment");

  if (payment == NULL || !JSON_NODE_HOLDS_OBJECT (payment))
    return NULL;
  return json_object_get_string_member_with_default (json_node_get_object (payment), member, NULL);
}

JsonObject *
sim_intent (Fixture *fixture, const char *intent, TillTestResponse **out_response)
{
  g_autofree char  *path = g_strdup_printf ("/v1/payment_intents/%s", intent);
  TillTestResponse *response = till_test_sim_call (fixture->sim, "GET", path, NULL);

  g_assert_cmpuint (response->status, ==, 200);
  *out_response = response;
  return response->json;
}

typedef struct
{
  Batch *batch;
  guint  index;
} BatchItem;

static void
on_batch_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BatchItem *item = user_data;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (JsonParser) parser = json_parser_new ();

  item->batch->status[item->index] = soup_message_get_status (msg);
  if (body != NULL &&
      json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                  NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    item->batch->json[item->index] =
        json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  item->batch->pending--;
  g_free (item);
}

static gboolean
batch_done (gpointer user_data)
{
  return ((Batch *) user_data)->pending == 0;
}

typedef struct
{
  Fixture *fixture;
  guint    count;
} Pending;

static gboolean
all_pending (gpointer user_data)
{
  Pending *pending = user_data;

  return till_api_get_pending_checkouts (pending->fixture->server->api) == pending->count;
}

/* Sends the @n checkouts of @bodies, each with the token of @tokens (NULL: all the cashier's),
 * held back until all are there so that they share one transaction, and waits for their
 * answers in @batch. */
void
checkout_together_as (
    Fixture *fixture, const char *const *bodies, const char *const *tokens, guint n, Batch *batch)
{
  g_autofree char *url = g_strconcat (fixture->server->base, "/api/v1/checkouts", NULL);
  Pending          pending = { fixture, n };

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (batch->status));
  till_api_hold_checkouts (fixture->server->api, TRUE);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr (GBytes) bytes = g_bytes_new (bodies[i], strlen (bodies[i]));
      g_autofree char *authorization = g_strconcat (
          "Bearer ", tokens != NULL ? tokens[i] : fixture->server->cashier_token, NULL);
      BatchItem *item = g_new0 (BatchItem, 1);

      item->batch = batch;
      item->index = i;
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    authorization);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      batch->pending++;
      soup_session_send_and_read_async (fixture->server->session, msg, G_PRIORITY_DEFAULT, NULL,
                                        on_batch_done, item);
    }
  g_assert_true (till_test_wait_until (all_pending, &pending, 20000));
  g_assert_cmpuint (batch->pending, ==, n);
  till_api_hold_checkouts (fixture->server->api, FALSE);
  g_assert_true (till_test_wait_until (batch_done, batch, 20000));
  g_assert_cmpuint (till_api_get_pending_checkouts (fixture->server->api), ==, 0);
}

void
batch_clear (Batch *batch)
{
  for (guint i = 0; i < G_N_ELEMENTS (batch->json); i++)
    g_clear_pointer (&batch->json[i], json_object_unref);
}

gint64
count_rows (Fixture *fixture, const char *sql, const char *text)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  sqlite3_stmt *stmt = till_database_prepare (db, sql, NULL);
  gint64        count;

  g_assert_nonnull (stmt);
  if (sqlite3_bind_parameter_count (stmt) > 0)
    till_database_bind_text (stmt, 1, text);
  g_assert_cmpint (till_database_step (db, stmt, NULL), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

/* Another connection to the server's database, as another process (the command line)
 * would have. */
TillDatabase *
open_elsewhere (Fixture *fixture)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autoptr (GError) error = NULL;
  TillDatabase *other = till_database_open (till_database_get_path (db), &error);

  g_assert_no_error (error);
  return other;
}

gboolean
one_pending (gpointer user_data)
{
  Fixture *fixture = user_data;

  return till_api_get_pending_checkouts (fixture->server->api) == 1;
}

gboolean
one_waiting_write (gpointer user_data)
{
  Fixture *fixture = user_data;

  return till_api_get_waiting_writes (fixture->server->api) == 1;
}

static void
on_held_checkout (GObject *source, GAsyncResult *result, gpointer user_data)
{
  guint                  *status = user_data;
  g_autoptr (GBytes) body G_GNUC_UNUSED =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  *status = soup_message_get_status (
      soup_session_get_async_result_message (SOUP_SESSION (source), result));
}

gboolean
status_known (gpointer user_data)
{
  return *(guint *) user_data != 0;
}

/* Sends a POST with @headers (name, value, …, NULL: its credentials) without waiting for its
 * answer, whose status lands in @status. */
void
post_async (
    Fixture *fixture, const char *path, const char *const *headers, const char *body, guint *status)
{
  g_autofree char *url = g_strconcat (fixture->server->base, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

  for (guint i = 0; headers[i] != NULL; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (msg), headers[i],
                                  headers[i + 1]);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_session_send_and_read_async (fixture->server->session, msg, G_PRIORITY_DEFAULT, NULL,
                                    on_held_checkout, status);
}

void
post_api_async (
    Fixture *fixture, const char *path, const char *token, const char *body, guint *status)
{
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };

  post_async (fixture, path, headers, body, status);
}

gint64
paid_order (Fixture *fixture, char **out_intent)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");
  g_autoptr (TillTestResponse) synced = NULL;

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  synced = post_order (fixture, order_id, "sync", fixture->server->cashier_token, NULL);
  g_assert_cmpstr (json_object_get_string_member (synced->json, "status"), ==, "paid");
  if (out_intent != NULL)
    *out_intent = g_strdup (intent_of (created));
  return order_id;
}

TillTestResponse *
refund (Fixture *fixture, gint64 order_id, const char *request_id, const char *body)
{
  g_autofree char *url = g_strdup_printf ("%s/api/v1/orders/%" G_GINT64_FORMAT "/refunds",
                                          fixture->server->base, order_id);
  g_autofree char *authorization = g_strconcat ("Bearer ", fixture->server->admin_token, NULL);
  const char *headers[] = { "Authorization", authorization, "Idempotency-Key", request_id, NULL };

  return till_test_request_full (fixture->server->session, "POST", url, headers, "application/json",
                                 body, -1);
}

const char *
order_status (Fixture *fixture, gint64 order_id, char **out)
{
  g_autoptr (TillTestResponse) response = get_order (fixture, order_id);

  *out = g_strdup (json_object_get_string_member (response->json, "status"));
  return *out;
}

void
on_reconciled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reconciled *reconciled = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (till_reconciler_round_finish (TILL_RECONCILER (source), result,
                                               &reconciled->changed, &error));
  g_assert_no_error (error);
  reconciled->done = TRUE;
}

gboolean
reconciled_done (gpointer user_data)
{
  return ((Reconciled *) user_data)->done;
}

static void
configure_reconcile (TillServerConfig *config, gpointer user_data)
{
  config->reconcile_sync_after = 1;
  config->reconcile_cancel_after = GPOINTER_TO_INT (user_data);
}

/* Replaces the fixture's server with one that syncs orders and refunds older than 1 s (and
 * cancels none), with the demo catalog. */
void
use_reconciling_server (Fixture *fixture)
{
  till_test_server_free (fixture->server);
  fixture->server =
      till_test_server_new (fixture->sim->base, configure_reconcile, GINT_TO_POINTER (3600));
  till_api_load_demo_catalog (till_api_get_database (fixture->server->api), "USD", NULL);
}

/* A checkout whose intent is made at Stripe (@made) or not, and whose answer never comes
 * back; returns the order's id. */
gint64
lose_intent (Fixture *fixture, const char *reference, const char *body, gboolean made)
{
  g_autoptr (TillTestResponse) failed = NULL;

  if (made)
    till_test_sim_fault (fixture->sim, "drop-after", 1);
  till_test_sim_fault (fixture->sim, "500", 8);
  failed = checkout (fixture, body);
  g_assert_cmpuint (failed->status, ==, 503);
  till_test_sim_clear_faults (fixture->sim);
  return till_orders_find_by_reference (till_api_get_database (fixture->server->api), reference,
                                        NULL);
}

/* Runs one round of the reconciler and waits for it: how many orders and refunds it changed. */
guint
reconcile_round (Fixture *fixture)
{
  Reconciled reconciled = { FALSE, 0 };

  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL, on_reconciled,
                               &reconciled);
  g_assert_true (till_test_wait_for (&reconciled.done, 30000));
  return reconciled.changed;
}
