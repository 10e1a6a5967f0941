/* test-server-checkout.c: checkout, orders, refunds, webhooks and reconciliation against the
 * real Stripe simulator, both on loopback.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-api-private.h"
#include "till-stripe-sim.h"
#include "till-test-server.h"
#include "till-webhooks.h"

typedef struct
{
  TillTestSim *sim;
  TillTestServer *server;
} Fixture;

/* What a test case needs: store currency, webhooks, a fault, expected amounts. */
typedef struct
{
  const char *currency;
  gboolean webhooks;
  const char *fault;
  guint fault_count;
  const char *stripe_timeout_ms;
  const char *retry_base_ms;
  const char *busy_wait_ms;
  gboolean card_only;
  gint64 unit_amount;   /* ISO minor units */
  gint64 total;         /* what the order charges, ISO minor units */
  gint64 stripe_amount; /* what Stripe gets */
} Setup;

static void
configure (TillServerConfig *config,
           gpointer          user_data)
{
  const Setup *setup = user_data;

  if (setup != NULL && setup->currency != NULL)
    {
      g_free (config->currency);
      config->currency = g_strdup (setup->currency);
    }
  if (setup != NULL && setup->card_only)
    {
      const char *types[] = { "card", NULL };

      config->payment_method_types = g_strdupv ((char **) types);
    }
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  const Setup *setup = data;
  g_autoptr(GError) error = NULL;

  fixture->sim = till_test_sim_new ();
  if (setup != NULL && setup->stripe_timeout_ms != NULL)
    g_setenv ("TILL_STRIPE_TIMEOUT_MS", setup->stripe_timeout_ms, TRUE);
  if (setup != NULL && setup->retry_base_ms != NULL)
    g_setenv ("TILL_STRIPE_RETRY_BASE_MS", setup->retry_base_ms, TRUE);
  if (setup != NULL && setup->busy_wait_ms != NULL)
    g_setenv ("TILL_DATABASE_BUSY_WAIT_MS", setup->busy_wait_ms, TRUE);
  fixture->server = till_test_server_new (fixture->sim->base, configure, (gpointer) setup);
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

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  till_test_server_free (fixture->server);
  till_test_sim_free (fixture->sim);
}

static gint64
product_id (Fixture    *fixture,
            const char *sku)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/products?q=%s", sku);
  g_autoptr(TillTestResponse) response = till_test_request (fixture->server, "GET", path,
                                                            fixture->server->cashier_token, NULL);
  JsonArray *products = json_object_get_array_member (response->json, "products");

  g_assert_cmpuint (json_array_get_length (products), ==, 1);
  return json_object_get_int_member (json_array_get_object_element (products, 0), "id");
}

static gint64
add_product (Fixture    *fixture,
             const char *sku,
             gint64      unit_amount,
             int         tax_rate)
{
  g_autofree char *body = g_strdup_printf ("{\"sku\": \"%s\", \"name\": \"Test %s\","
                                           " \"unit_amount\": %" G_GINT64_FORMAT ","
                                           " \"tax_rate\": %d}", sku, sku, unit_amount, tax_rate);
  g_autoptr(TillTestResponse) response = till_test_request (fixture->server, "POST",
                                                            "/api/v1/products",
                                                            fixture->server->admin_token, body);

  g_assert_cmpuint (response->status, ==, 201);
  return json_object_get_int_member (response->json, "id");
}

/* A three-line cart of demo products. */
static char *
cart_body (Fixture    *fixture,
           const char *reference)
{
  return g_strdup_printf ("{\"client_reference\": \"%s\", \"currency\": \"%s\", \"lines\": ["
                          "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 2},"
                          "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1},"
                          "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 3}]}",
                          reference, till_api_get_config (fixture->server->api)->currency,
                          product_id (fixture, "BAK-001"), product_id (fixture, "CAK-001"),
                          product_id (fixture, "HOT-001"));
}

static TillTestResponse *
checkout (Fixture    *fixture,
          const char *body)
{
  return till_test_request (fixture->server, "POST", "/api/v1/checkouts",
                            fixture->server->cashier_token, body);
}

static JsonObject *
order_of (TillTestResponse *response)
{
  return json_object_get_object_member (response->json, "order");
}

static const char *
intent_of (TillTestResponse *response)
{
  return json_object_get_string_member (json_object_get_object_member (response->json, "payment"),
                                        "payment_intent");
}

static const char *
secret_of (TillTestResponse *response)
{
  return json_object_get_string_member (json_object_get_object_member (response->json, "payment"),
                                        "client_secret");
}

static TillTestResponse *
post_order (Fixture    *fixture,
            gint64      order_id,
            const char *action,
            const char *token,
            const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT "/%s", order_id,
                                           action);

  return till_test_request (fixture->server, "POST", path, token, body != NULL ? body : "{}");
}

static TillTestResponse *
get_order (Fixture *fixture,
           gint64   order_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT, order_id);

  return till_test_request (fixture->server, "GET", path, fixture->server->cashier_token, NULL);
}

static const char *
payment_member (JsonObject *order,
                const char *member)
{
  JsonNode *payment = json_object_get_member (order, "payment");

  if (payment == NULL || !JSON_NODE_HOLDS_OBJECT (payment))
    return NULL;
  return json_object_get_string_member_with_default (json_node_get_object (payment), member, NULL);
}

static JsonObject *
sim_intent (Fixture    *fixture,
            const char *intent,
            TillTestResponse **out_response)
{
  g_autofree char *path = g_strdup_printf ("/v1/payment_intents/%s", intent);
  TillTestResponse *response = till_test_sim_call (fixture->sim, "GET", path, NULL);

  g_assert_cmpuint (response->status, ==, 200);
  *out_response = response;
  return response->json;
}

/* ---------------------------------------------------------------------------------------- */

static void
test_happy_path (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  g_autoptr(TillTestResponse) intent_response = NULL;
  JsonObject *order, *intent;
  gint64 order_id;
  const char *secret;

  g_assert_cmpuint (created->status, ==, 201);
  order = order_of (created);
  order_id = json_object_get_int_member (order, "id");
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "pending_payment");
  g_assert_cmpstr (json_object_get_string_member (order, "number"), ==, "T-000001");
  /* 2 × 0.90 @7 % + 1 × 2.90 @7 % + 3 × 1.50 @19 %: tax 13 + 20 + 86. */
  g_assert_cmpint (json_object_get_int_member (order, "subtotal"), ==, 180 + 290 + 450);
  g_assert_cmpint (json_object_get_int_member (order, "tax"), ==, 13 + 20 + 86);
  g_assert_cmpint (json_object_get_int_member (order, "total"), ==, 920 + 119);
  secret = json_object_get_string_member (json_object_get_object_member (created->json, "payment"),
                                          "client_secret");
  g_assert_true (g_str_has_prefix (secret, intent_of (created)));

  {
    /* Read straight back: the intent is recorded. */
    g_autoptr(TillTestResponse) stored = get_order (fixture, order_id);

    g_assert_cmpstr (payment_member (stored->json, "payment_intent"), ==, intent_of (created));
    g_assert_cmpstr (payment_member (stored->json, "status"), ==, "requires_payment_method");
    g_assert_cmpstr (payment_member (order, "payment_intent"), ==, intent_of (created));
  }
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  g_assert_cmpint (json_object_get_int_member (intent, "amount"), ==, 1039);
  g_assert_cmpstr (json_object_get_string_member (intent, "currency"), ==, "usd");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (intent, "metadata"),
                                                  "till_order_number"), ==, "T-000001");
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (intent,
                                                                                "automatic_payment_methods"),
                                                 "enabled"));
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);

  /* Paid with Visa at the simulator; sync moves the order. */
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  {
    g_autoptr(TillTestResponse) synced = post_order (fixture, order_id, "sync",
                                                     fixture->server->cashier_token, NULL);

    g_assert_cmpuint (synced->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (synced->json, "status"), ==, "paid");
    g_assert_cmpstr (payment_member (synced->json, "card_brand"), ==, "visa");
    g_assert_cmpstr (payment_member (synced->json, "card_last4"), ==, "4242");
    g_assert_false (json_object_get_null_member (synced->json, "paid_at"));
  }
  {
    /* A paid order cannot be canceled. */
    g_autoptr(TillTestResponse) canceled = post_order (fixture, order_id, "cancel",
                                                       fixture->server->cashier_token, NULL);
    g_assert_cmpuint (canceled->status, ==, 409);
  }
  {
    /* Same client reference after payment: the same order, no new intent. */
    g_autoptr(TillTestResponse) again = checkout (fixture, body);
    g_assert_cmpuint (again->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (order_of (again), "id"), ==, order_id);
    g_assert_cmpstr (intent_of (again), ==, intent_of (created));
    g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);
  }
}

static void
test_amounts (Fixture       *fixture,
              gconstpointer  data)
{
  const Setup *c = data;
  gint64 id = add_product (fixture, "AMOUNT-1", c->unit_amount, 0);
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = g_strdup_printf (
      "{\"client_reference\": \"%s\", \"currency\": \"%s\", \"lines\": ["
      "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}", reference, c->currency, id);
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  g_autoptr(TillTestResponse) intent_response = NULL;
  g_autofree char *lower = g_ascii_strdown (c->currency, -1);
  JsonObject *intent;

  g_assert_cmpuint (created->status, ==, 201);
  g_assert_cmpint (json_object_get_int_member (order_of (created), "total"), ==, c->total);
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  g_assert_cmpint (json_object_get_int_member (intent, "amount"), ==, c->stripe_amount);
  g_assert_cmpstr (json_object_get_string_member (intent, "currency"), ==, lower);
}

static void
test_tampered_totals (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = g_strdup_printf (
      "{\"client_reference\": \"%s\", \"currency\": \"USD\", \"lines\": ["
      "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 2, \"unit_amount\": 1,"
      " \"tax\": 0, \"total\": 2, \"name\": \"Free\"}],"
      " \"subtotal\": 2, \"tax\": 0, \"rounding\": 0, \"total\": 2}",
      reference, product_id (fixture, "CAK-005"));
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  g_autoptr(TillTestResponse) intent_response = NULL;
  JsonObject *line;

  g_assert_cmpuint (created->status, ==, 201);
  line = json_array_get_object_element (json_object_get_array_member (order_of (created), "lines"), 0);
  g_assert_cmpint (json_object_get_int_member (line, "unit_amount"), ==, 520);
  g_assert_cmpstr (json_object_get_string_member (line, "name"), ==, "Künefe");
  /* 2 × 5.20 + 7 % = 11.13 */
  g_assert_cmpint (json_object_get_int_member (order_of (created), "total"), ==, 1113);
  g_assert_cmpint (json_object_get_int_member (sim_intent (fixture, intent_of (created),
                                                           &intent_response), "amount"), ==, 1113);
}

typedef struct
{
  Fixture *fixture;
  guint pending;
  GPtrArray *responses;
} Concurrent;

static void
on_concurrent_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Concurrent *concurrent = user_data;
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  g_ptr_array_add (concurrent->responses,
                   g_strdup_printf ("%u %.*s", soup_message_get_status (msg),
                                    (int) (body ? g_bytes_get_size (body) : 0),
                                    body ? (const char *) g_bytes_get_data (body, NULL) : ""));
  g_clear_pointer (&body, g_bytes_unref);
  concurrent->pending--;
}

static gboolean
concurrent_done (gpointer user_data)
{
  return ((Concurrent *) user_data)->pending == 0;
}

typedef struct
{
  guint pending;
  guint status[16];
  JsonObject *json[16];
} Batch;

typedef struct
{
  Batch *batch;
  guint index;
} BatchItem;

static void
on_batch_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  BatchItem *item = user_data;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              NULL);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(JsonParser) parser = json_parser_new ();

  item->batch->status[item->index] = soup_message_get_status (msg);
  if (body != NULL &&
      json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                  NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    item->batch->json[item->index] = json_object_ref (json_node_get_object (
        json_parser_get_root (parser)));
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
  guint count;
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
static void
checkout_together_as (Fixture            *fixture,
                      const char * const *bodies,
                      const char * const *tokens,
                      guint               n,
                      Batch              *batch)
{
  g_autofree char *url = g_strconcat (fixture->server->base, "/api/v1/checkouts", NULL);
  Pending pending = { fixture, n };

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (batch->status));
  till_api_hold_checkouts (fixture->server->api, TRUE);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (bodies[i], strlen (bodies[i]));
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

static void
checkout_together (Fixture            *fixture,
                   const char * const *bodies,
                   guint               n,
                   Batch              *batch)
{
  checkout_together_as (fixture, bodies, NULL, n, batch);
}

static void
batch_clear (Batch *batch)
{
  for (guint i = 0; i < G_N_ELEMENTS (batch->json); i++)
    g_clear_pointer (&batch->json[i], json_object_unref);
}

/* Group commit: checkouts that arrive before the main loop is idle are stored in one
 * transaction (here: held back until all twelve are there). Each still gets its own order
 * and exactly one intent, a bad cart among them fails alone, and a client_reference repeated
 * inside the batch gives the same order. */
static void
test_group_commit (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *shared = till_test_new_reference ();
  g_auto(GStrv) bodies = g_new0 (char *, 13);
  g_autofree char *bad = NULL;
  g_autofree char *bad_reference = till_test_new_reference ();
  g_autoptr(GHashTable) ids = g_hash_table_new (g_int64_hash, g_int64_equal);
  Batch batch = { 0 };
  const guint n = 12, bad_index = 5, shared_from = 9;
  gint64 shared_id = 0, order_ids[16] = { 0 };

  bad = g_strdup_printf ("{\"client_reference\": \"%s\", \"currency\": \"%s\", \"lines\": ["
                         "{\"product_id\": 999999, \"quantity\": 1}]}", bad_reference,
                         till_api_get_config (fixture->server->api)->currency);
  /* Held back until all twelve are there, so that they share one transaction. */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *reference = i >= shared_from ? g_strdup (shared) : till_test_new_reference ();

      bodies[i] = i == bad_index ? g_strdup (bad) : cart_body (fixture, reference);
    }
  checkout_together (fixture, (const char * const *) bodies, n, &batch);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *order, *payment;
      const char *intent;

      g_assert_nonnull (batch.json[i]);
      if (i == bad_index)
        {
          JsonObject *error = json_object_get_object_member (batch.json[i], "error");

          g_assert_cmpuint (batch.status[i], ==, 422);
          g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "invalid_cart");
          continue;
        }
      g_assert_true (batch.status[i] == 201 || (i >= shared_from && batch.status[i] == 200));
      order = json_object_get_object_member (batch.json[i], "order");
      payment = json_object_get_object_member (batch.json[i], "payment");
      order_ids[i] = json_object_get_int_member (order, "id");
      intent = json_object_get_string_member (payment, "payment_intent");
      g_assert_true (g_str_has_prefix (intent, "pi_"));
      g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "pending_payment");
      g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_ids[i]), ==, 1);
      if (i >= shared_from)
        {
          if (shared_id == 0)
            shared_id = order_ids[i];
          g_assert_cmpint (order_ids[i], ==, shared_id);
        }
      else
        g_assert_false (g_hash_table_contains (ids, &order_ids[i]));
      g_hash_table_add (ids, &order_ids[i]);
    }
  /* Nine orders: eight single ones and the shared one, which was created once. */
  g_assert_cmpuint (g_hash_table_size (ids), ==, n - 1 - (n - shared_from - 1));
  {
    guint created = 0;

    for (guint i = shared_from; i < n; i++)
      created += batch.status[i] == 201;
    g_assert_cmpuint (created, ==, 1);
  }

  /* Every order has its intent recorded (read back from the database). */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = NULL;
      g_autoptr(TillTestResponse) answer = NULL;
      JsonObject *payment;

      if (i == bad_index)
        continue;
      path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT, order_ids[i]);
      answer = till_test_request (fixture->server, "GET", path, fixture->server->cashier_token,
                                  NULL);
      g_assert_cmpuint (answer->status, ==, 200);
      payment = json_object_get_object_member (answer->json, "payment");
      g_assert_true (g_str_has_prefix (json_object_get_string_member (payment, "payment_intent"),
                                       "pi_"));
      /* The checkout answered the order as it is stored (it was not read back). */
      {
        g_autoptr(JsonNode) stored = json_node_init_object (json_node_alloc (), answer->json);
        g_autoptr(JsonNode) answered = json_node_init_object (
            json_node_alloc (), json_object_get_object_member (batch.json[i], "order"));

        g_assert_true (json_node_equal (stored, answered));
      }
    }
  {
    g_autoptr(TillTestResponse) list = till_test_request (fixture->server, "GET", "/api/v1/orders",
                                                          fixture->server->cashier_token, NULL);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list->json, "orders")),
                      ==, g_hash_table_size (ids));
  }
  batch_clear (&batch);
}

static gint64
count_rows (Fixture    *fixture,
            const char *sql,
            const char *text)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  sqlite3_stmt *stmt = till_database_prepare (db, sql, NULL);
  gint64 count;

  g_assert_nonnull (stmt);
  if (sqlite3_bind_parameter_count (stmt) > 0)
    till_database_bind_text (stmt, 1, text);
  g_assert_cmpint (till_database_step (db, stmt, NULL), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

/* A write that fails after every check passed (the disk, a constraint nobody foresaw: here
 * a trigger) in the middle of a group commit, stored without a savepoint per order: the
 * transaction is rolled back and the batch stored again, each order in a savepoint of its
 * own, so only that one fails, leaving nothing behind. */
static void
test_group_commit_write_fails (Fixture       *fixture,
                               gconstpointer  data)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autofree char *failing_reference = till_test_new_reference ();
  g_autofree char *first_reference = till_test_new_reference ();
  g_autofree char *last_reference = till_test_new_reference ();
  g_auto(GStrv) bodies = g_new0 (char *, 4);
  g_autoptr(TillTestResponse) again = NULL;
  Batch batch = { 0 };

  g_assert_true (till_database_exec (db,
      "CREATE TRIGGER test_disk_on_fire BEFORE INSERT ON order_lines WHEN NEW.quantity = 77"
      " BEGIN SELECT RAISE (ABORT, 'disk on fire'); END", NULL));
  bodies[0] = cart_body (fixture, first_reference);
  bodies[1] = g_strdup_printf ("{\"client_reference\": \"%s\", \"currency\": \"%s\", \"lines\": ["
                               "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1},"
                               "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 77}]}",
                               failing_reference,
                               till_api_get_config (fixture->server->api)->currency,
                               product_id (fixture, "BAK-001"), product_id (fixture, "CAK-001"));
  bodies[2] = cart_body (fixture, last_reference);
  checkout_together (fixture, (const char * const *) bodies, 3, &batch);

  /* The database refused it: a conflict, with an error the app can show. */
  g_assert_cmpuint (batch.status[1], ==, 409);
  g_assert_true (json_object_has_member (batch.json[1], "error"));
  for (guint i = 0; i < 3; i += 2)
    {
      JsonObject *order = json_object_get_object_member (batch.json[i], "order");
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT,
                                             json_object_get_int_member (order, "id"));

      g_assert_cmpuint (batch.status[i], ==, 201);
      g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM order_lines WHERE order_id = ?",
                                   id), ==, 3);
      g_assert_cmpuint (till_test_sim_count_intents (fixture->sim,
                                                     json_object_get_int_member (order, "id")),
                        ==, 1);
    }
  /* Nothing of the failed one: no order, no line, no payment. */
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders WHERE client_reference = ?",
                               failing_reference), ==, 0);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM order_lines WHERE quantity = 77",
                               NULL), ==, 0);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM payments", NULL), ==,
                   count_rows (fixture, "SELECT count (*) FROM orders", NULL));

  /* Once the fault is gone, the same checkout goes through. */
  g_assert_true (till_database_exec (db, "DROP TRIGGER test_disk_on_fire", NULL));
  again = checkout (fixture, bodies[1]);
  g_assert_cmpuint (again->status, ==, 201);
  batch_clear (&batch);
}

/* Holds the database at the pages it has now, as a full disk would: SQLite answers
 * SQLITE_FULL to any write that needs a new page (max_page_count, the portable stand-in for
 * ENOSPC). */
static void
fill_disk (TillDatabase *db)
{
  g_autofree char *pages = NULL;
  sqlite3_stmt *stmt = till_database_prepare (db, "PRAGMA page_count", NULL);

  g_assert_nonnull (stmt);
  g_assert_cmpint (till_database_step (db, stmt, NULL), ==, SQLITE_ROW);
  pages = g_strdup_printf ("PRAGMA max_page_count = %" G_GINT64_FORMAT,
                           (gint64) sqlite3_column_int64 (stmt, 0));
  sqlite3_reset (stmt);
  g_assert_true (till_database_exec (db, pages, NULL));
}

/* A full disk: every write is answered 507 storage_full with nothing of it stored, and the
 * same request goes through once there is space again, without a restart. */
static void
test_disk_full (Fixture       *fixture,
                gconstpointer  data)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autoptr(TillTestResponse) refused = NULL;
  g_autoptr(TillTestResponse) again = NULL;
  g_autofree char *body = NULL;
  g_autofree char *product = NULL;
  gint64 orders, lines, payments, products;

  fill_disk (db);
  /* The pages there are still have room for a few orders; the first that needs another
   * page is refused. */
  for (guint i = 0; i < 500 && refused == NULL; i++)
    {
      g_autofree char *reference = till_test_new_reference ();
      g_autoptr(TillTestResponse) response = NULL;

      g_clear_pointer (&body, g_free);
      body = cart_body (fixture, reference);
      orders = count_rows (fixture, "SELECT count (*) FROM orders", NULL);
      lines = count_rows (fixture, "SELECT count (*) FROM order_lines", NULL);
      payments = count_rows (fixture, "SELECT count (*) FROM payments", NULL);
      response = checkout (fixture, body);
      if (response->status != 201)
        refused = g_steal_pointer (&response);
    }
  g_assert_nonnull (refused);
  g_assert_cmpuint (refused->status, ==, 507);
  g_assert_cmpstr (till_test_error_code (refused), ==, "storage_full");
  g_assert_nonnull (strstr (json_object_get_string_member (
      json_object_get_object_member (refused->json, "error"), "message"), "disk is full"));
  /* Nothing half-written. */
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders", NULL), ==, orders);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM order_lines", NULL), ==, lines);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM payments", NULL), ==, payments);

  /* Another write route: products, until one needs a page. */
  g_clear_pointer (&refused, till_test_response_free);
  products = count_rows (fixture, "SELECT count (*) FROM products", NULL);
  for (guint i = 0; i < 500 && refused == NULL; i++)
    {
      g_autoptr(TillTestResponse) response = NULL;

      g_clear_pointer (&product, g_free);
      product = g_strdup_printf ("{\"sku\": \"FULL-%u\", \"name\": \"A product with a name long "
                                 "enough to fill pages %u\", \"unit_amount\": 100,"
                                 " \"tax_rate\": 0}", i, i);
      response = till_test_request (fixture->server, "POST", "/api/v1/products",
                                    fixture->server->admin_token, product);
      if (response->status == 201)
        products++;
      else
        refused = g_steal_pointer (&response);
    }
  g_assert_nonnull (refused);
  g_assert_cmpuint (refused->status, ==, 507);
  g_assert_cmpstr (till_test_error_code (refused), ==, "storage_full");
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM products", NULL), ==, products);

  /* Space again: the same checkout and the same product go through. */
  g_assert_true (till_database_exec (db, "PRAGMA max_page_count = 1073741823", NULL));
  again = checkout (fixture, body);
  g_assert_cmpuint (again->status, ==, 201);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders", NULL), ==, orders + 1);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM order_lines", NULL), ==, lines + 3);
  g_clear_pointer (&again, till_test_response_free);
  again = till_test_request (fixture->server, "POST", "/api/v1/products",
                             fixture->server->admin_token, product);
  g_assert_cmpuint (again->status, ==, 201);
}

static gboolean
keep_busy (gpointer user_data)
{
  guint *turns = user_data;

  (*turns)++;
  return G_SOURCE_CONTINUE;
}

/* A main loop that is never idle (here a source always ready at the default priority, as in
 * a server flooded with requests) still stores checkouts: their batch waits for an idle
 * turn only a moment (the deadline of schedule_flush ()). */
static void
test_group_commit_busy_loop (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *first_reference = till_test_new_reference ();
  g_autofree char *second_reference = till_test_new_reference ();
  g_auto(GStrv) bodies = g_new0 (char *, 3);
  Batch batch = { 0 };
  guint turns = 0, busy;

  bodies[0] = cart_body (fixture, first_reference);
  bodies[1] = cart_body (fixture, second_reference);
  busy = g_idle_add_full (G_PRIORITY_DEFAULT, keep_busy, &turns, NULL);
  checkout_together (fixture, (const char * const *) bodies, 2, &batch);
  g_source_remove (busy);
  g_assert_cmpuint (turns, >, 0);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpuint (batch.status[i], ==, 201);
  batch_clear (&batch);
}

static guint
checkout_status (Fixture    *fixture,
                 const char *token)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) response = till_test_request (fixture->server, "POST",
                                                             "/api/v1/checkouts", token, body);

  return response->status;
}

/* Another connection to the server's database, as another process (the command line)
 * would have. */
static TillDatabase *
open_elsewhere (Fixture *fixture)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autoptr(GError) error = NULL;
  TillDatabase *other = till_database_open (till_database_get_path (db), &error);

  g_assert_no_error (error);
  return other;
}

static void
revoke_elsewhere (Fixture    *fixture,
                  const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillDatabase) other = open_elsewhere (fixture);

  g_assert_true (till_terminals_revoke (other, name, &error));
  g_assert_no_error (error);
}

static gboolean
one_pending (gpointer user_data)
{
  Fixture *fixture = user_data;

  return till_api_get_pending_checkouts (fixture->server->api) == 1;
}

static gboolean
one_waiting_write (gpointer user_data)
{
  Fixture *fixture = user_data;

  return till_api_get_waiting_writes (fixture->server->api) == 1;
}

static void
on_held_checkout (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  guint *status = user_data;
  g_autoptr(GBytes) body G_GNUC_UNUSED = soup_session_send_and_read_finish (SOUP_SESSION (source),
                                                                            result, NULL);

  *status = soup_message_get_status (soup_session_get_async_result_message (
      SOUP_SESSION (source), result));
}

static gboolean
status_known (gpointer user_data)
{
  return *(guint *) user_data != 0;
}

/* Sends a POST with @headers (name, value, …, NULL: its credentials) without waiting for its
 * answer, whose status lands in @status. */
static void
post_async (Fixture           *fixture,
            const char        *path,
            const char * const *headers,
            const char        *body,
            guint             *status)
{
  g_autofree char *url = g_strconcat (fixture->server->base, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  for (guint i = 0; headers[i] != NULL; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (msg), headers[i],
                                  headers[i + 1]);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_session_send_and_read_async (fixture->server->session, msg, G_PRIORITY_DEFAULT, NULL,
                                    on_held_checkout, status);
}

static void
post_api_async (Fixture    *fixture,
                const char *path,
                const char *token,
                const char *body,
                guint      *status)
{
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  const char *headers[] = { "Authorization", authorization, NULL };

  post_async (fixture, path, headers, body, status);
}

static void
checkout_async (Fixture    *fixture,
                const char *reference,
                guint      *status)
{
  g_autofree char *body = cart_body (fixture, reference);

  post_api_async (fixture, "/api/v1/checkouts", fixture->server->cashier_token, body, status);
}

/* Checkouts take their terminal from a cache; a revoked token is refused all the same: by
 * this server's connection, by another one (`till-server terminal revoke`), also while the
 * checkout waits for its transaction. */
static void
test_terminal_cache (Fixture       *fixture,
                     gconstpointer  data)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autoptr(GError) error = NULL;
  g_autofree char *here = till_terminals_add (db, "here", TILL_ROLE_CASHIER, NULL, &error);
  g_autofree char *elsewhere = till_terminals_add (db, "elsewhere", TILL_ROLE_CASHIER, NULL,
                                                   &error);
  g_autofree char *waiting = till_terminals_add (db, "waiting", TILL_ROLE_CASHIER, NULL, &error);
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  guint status = 0;

  g_assert_no_error (error);
  /* Each is cached by a first checkout. */
  g_assert_cmpuint (checkout_status (fixture, here), ==, 201);
  g_assert_cmpuint (checkout_status (fixture, elsewhere), ==, 201);
  g_assert_cmpuint (checkout_status (fixture, waiting), ==, 201);
  g_assert_cmpuint (checkout_status (fixture, here), ==, 201);

  g_assert_true (till_terminals_revoke (db, "here", &error));
  g_assert_cmpuint (checkout_status (fixture, here), ==, 401);

  revoke_elsewhere (fixture, "elsewhere");
  g_assert_cmpuint (checkout_status (fixture, elsewhere), ==, 401);

  /* Accepted from the cache, then revoked before its transaction. */
  till_api_hold_checkouts (fixture->server->api, TRUE);
  post_api_async (fixture, "/api/v1/checkouts", waiting, body, &status);
  g_assert_true (till_test_wait_until (one_pending, fixture, 20000));
  revoke_elsewhere (fixture, "waiting");
  till_api_hold_checkouts (fixture->server->api, FALSE);
  g_assert_true (till_test_wait_until (status_known, &status, 20000));
  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpint (till_orders_find_by_reference (db, reference, NULL), ==, 0);

  /* The others still work. */
  g_assert_cmpuint (checkout_status (fixture, fixture->server->cashier_token), ==, 201);
}

/* Another process holds the write lock (a big `catalog import` from the command line): the
 * checkouts and the other writes wait for it from the main loop, which answers every read
 * meanwhile, and go through once it is released. */
static void
test_database_locked (Fixture       *fixture,
                      gconstpointer  data)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autoptr(GError) error = NULL;
  g_autoptr(TillDatabase) other = open_elsewhere (fixture);
  g_autofree char *first_reference = till_test_new_reference ();
  g_autofree char *first_body = cart_body (fixture, first_reference);
  g_autofree char *reference = till_test_new_reference ();
  g_autoptr(TillTestResponse) first = NULL;
  g_autoptr(TillTestResponse) read = NULL;
  g_autoptr(TillTestResponse) products = NULL;
  g_autoptr(TillTestResponse) again = NULL;
  g_autoptr(TillTestResponse) created = NULL;
  gint64 first_id;
  guint status = 0;
  guint product_status = 0;

  /* Its intent is answered from memory: it waits for the next transaction. */
  first = checkout (fixture, first_body);
  g_assert_cmpuint (first->status, ==, 201);
  first_id = json_object_get_int_member (order_of (first), "id");

  g_assert_true (till_database_begin (other, &error));
  checkout_async (fixture, reference, &status);
  g_assert_true (till_test_wait_until (one_pending, fixture, 20000));
  post_api_async (fixture, "/api/v1/products", fixture->server->admin_token,
                  "{\"sku\": \"LOCKED-1\", \"name\": \"Ayran\", \"unit_amount\": 150,"
                  " \"tax_rate\": 800}", &product_status);
  g_assert_true (till_test_wait_until (one_waiting_write, fixture, 20000));

  /* Reads do not wait for the lock, nor for the intents that cannot be written yet. */
  read = get_order (fixture, first_id);
  g_assert_cmpuint (read->status, ==, 200);
  products = till_test_request (fixture->server, "GET", "/api/v1/products",
                                fixture->server->cashier_token, NULL);
  g_assert_cmpuint (products->status, ==, 200);
  g_assert_cmpuint (status, ==, 0);
  g_assert_cmpuint (product_status, ==, 0);
  g_assert_cmpuint (till_api_get_pending_checkouts (fixture->server->api), ==, 1);

  g_assert_true (till_database_commit (other, &error));
  g_assert_true (till_test_wait_until (status_known, &status, 20000));
  g_assert_cmpuint (status, ==, 201);
  g_assert_true (till_test_wait_until (status_known, &product_status, 20000));
  g_assert_cmpuint (product_status, ==, 201);
  g_assert_cmpint (till_orders_find_by_reference (db, reference, NULL), >, 0);
  /* The first order's intent was written with the waiting checkout. */
  g_clear_pointer (&read, till_test_response_free);
  read = get_order (fixture, first_id);
  g_assert_cmpstr (payment_member (read->json, "payment_intent"), ==, intent_of (first));

  /* Locked for longer than the server waits: a clean 503, nothing stored; the same
   * checkout goes through later. */
  status = 0;
  g_clear_pointer (&reference, g_free);
  reference = till_test_new_reference ();
  product_status = 0;
  g_assert_true (till_database_begin (other, &error));
  checkout_async (fixture, reference, &status);
  post_api_async (fixture, "/api/v1/products", fixture->server->admin_token,
                  "{\"sku\": \"LOCKED-2\", \"name\": \"Şalgam\", \"unit_amount\": 150,"
                  " \"tax_rate\": 800}", &product_status);
  g_assert_true (till_test_wait_until (status_known, &status, 20000));
  g_assert_cmpuint (status, ==, 503);
  g_assert_true (till_test_wait_until (status_known, &product_status, 20000));
  g_assert_cmpuint (product_status, ==, 503);
  g_assert_true (till_database_commit (other, &error));
  created = till_test_request (fixture->server, "GET", "/api/v1/products?q=LOCKED",
                               fixture->server->cashier_token, NULL);
  g_assert_cmpuint (created->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (created->json,
                                                                         "products")), ==, 1);
  g_assert_cmpint (till_orders_find_by_reference (db, reference, NULL), ==, 0);
  {
    g_autofree char *body = cart_body (fixture, reference);

    again = checkout (fixture, body);
  }
  g_assert_cmpuint (again->status, ==, 201);
}

static gint64
one_line_total (Fixture *fixture,
                gint64   product,
                guint    expected_status)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = g_strdup_printf (
      "{\"client_reference\": \"%s\", \"currency\": \"%s\", \"lines\": ["
      "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}", reference,
      till_api_get_config (fixture->server->api)->currency, product);
  g_autoptr(TillTestResponse) response = checkout (fixture, body);

  g_assert_cmpuint (response->status, ==, expected_status);
  return expected_status == 201 ? json_object_get_int_member (order_of (response), "total") : 0;
}

/* Checkouts price from a product cache; a product changed by the API or by another
 * connection (`till-server catalog import`) is priced anew at once. */
static void
test_product_cache (Fixture       *fixture,
                    gconstpointer  data)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  gint64 id = product_id (fixture, "BAK-001");
  g_autofree char *path = g_strdup_printf ("/api/v1/products/%" G_GINT64_FORMAT, id);
  g_autofree char *update = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TillDatabase) other = NULL;
  gint64 before = one_line_total (fixture, id, 201);

  g_assert_cmpint (one_line_total (fixture, id, 201), ==, before);
  {
    g_autoptr(TillTestResponse) patched = till_test_request (fixture->server, "PATCH", path,
                                                             fixture->server->admin_token,
                                                             "{\"unit_amount\": 10000}");
    g_assert_cmpuint (patched->status, ==, 200);
  }
  g_assert_cmpint (one_line_total (fixture, id, 201), !=, before);
  before = one_line_total (fixture, id, 201);

  other = till_database_open (till_database_get_path (db), &error);
  g_assert_no_error (error);
  update = g_strdup_printf ("UPDATE products SET unit_amount = 20000 WHERE id = %" G_GINT64_FORMAT,
                            id);
  g_assert_true (till_database_exec (other, update, &error));
  g_assert_cmpint (one_line_total (fixture, id, 201), >, before);

  g_clear_pointer (&update, g_free);
  update = g_strdup_printf ("UPDATE products SET active = 0 WHERE id = %" G_GINT64_FORMAT, id);
  g_assert_true (till_database_exec (other, update, &error));
  g_assert_no_error (error);
  one_line_total (fixture, id, 422);
}

/* Deleting a product that was sold keeps it for its order lines, inactive; one never sold
 * goes. Either way the server serves meanwhile (the lines are looked for on a thread). */
static void
test_product_delete (Fixture       *fixture,
                     gconstpointer  data)
{
  gint64 sold = product_id (fixture, "BAK-001");
  g_autofree char *sold_path = g_strdup_printf ("/api/v1/products/%" G_GINT64_FORMAT, sold);
  g_autoptr(TillTestResponse) created = NULL;
  g_autoptr(TillTestResponse) deleted = NULL;
  g_autoptr(TillTestResponse) read = NULL;

  one_line_total (fixture, sold, 201);
  deleted = till_test_request (fixture->server, "DELETE", sold_path,
                               fixture->server->admin_token, NULL);
  g_assert_cmpuint (deleted->status, ==, 200);
  g_assert_false (json_object_get_boolean_member (deleted->json, "active"));
  read = till_test_request (fixture->server, "GET", sold_path, fixture->server->cashier_token,
                            NULL);
  g_assert_cmpuint (read->status, ==, 404);
  one_line_total (fixture, sold, 422);

  created = till_test_request (fixture->server, "POST", "/api/v1/products",
                               fixture->server->admin_token,
                               "{\"name\": \"Boza\", \"unit_amount\": 300, \"tax_rate\": 800}");
  g_assert_cmpuint (created->status, ==, 201);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/products/%" G_GINT64_FORMAT,
                                             json_object_get_int_member (created->json, "id"));
    g_autoptr(TillTestResponse) gone = till_test_request (fixture->server, "DELETE", path,
                                                          fixture->server->admin_token, NULL);
    g_autoptr(TillTestResponse) again = NULL;

    g_assert_cmpuint (gone->status, ==, 204);
    again = till_test_request (fixture->server, "GET", path, fixture->server->admin_token, NULL);
    g_assert_cmpuint (again->status, ==, 404);
    g_clear_pointer (&again, till_test_response_free);
    again = till_test_request (fixture->server, "DELETE", path, fixture->server->admin_token,
                               NULL);
    g_assert_cmpuint (again->status, ==, 404);
  }
}

static void
test_duplicate_reference (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autofree char *url = g_strconcat (fixture->server->base, "/api/v1/checkouts", NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", fixture->server->cashier_token, NULL);
  Concurrent concurrent = { fixture, 0, g_ptr_array_new_with_free_func (g_free) };
  guint created = 0, repeated = 0;
  gint64 order_id = 0;

  /* Eight at once, on separate connections. */
  for (guint i = 0; i < 8; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    authorization);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      concurrent.pending++;
      soup_session_send_and_read_async (fixture->server->session, msg, G_PRIORITY_DEFAULT, NULL,
                                        on_concurrent_done, &concurrent);
    }
  g_assert_true (till_test_wait_until (concurrent_done, &concurrent, 20000));

  for (guint i = 0; i < concurrent.responses->len; i++)
    {
      const char *text = concurrent.responses->pdata[i];
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *order;
      gint64 id;

      if (g_str_has_prefix (text, "201 "))
        created++;
      else if (g_str_has_prefix (text, "200 "))
        repeated++;
      else
        g_error ("unexpected answer: %s", text);
      g_assert_true (json_parser_load_from_data (parser, text + 4, -1, NULL));
      order = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                             "order");
      id = json_object_get_int_member (order, "id");
      if (order_id == 0)
        order_id = id;
      g_assert_cmpint (id, ==, order_id);
    }
  g_assert_cmpuint (created, ==, 1);
  g_assert_cmpuint (repeated, ==, 7);
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);
  g_ptr_array_unref (concurrent.responses);

  {
    g_autoptr(TillTestResponse) list = till_test_request (fixture->server, "GET", "/api/v1/orders",
                                                          fixture->server->cashier_token, NULL);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list->json, "orders")),
                      ==, 1);
  }
}

/* A client_reference is its terminal's: another terminal sending it gets neither the order
 * nor its client secret, also when both come in the same transaction. */
static void
test_reference_other_terminal (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autofree char *other = till_terminals_add (till_api_get_database (fixture->server->api),
                                               "till 2", TILL_ROLE_CASHIER, NULL, &error);
  gint64 order_id;

  g_assert_no_error (error);
  {
    g_autoptr(TillTestResponse) response = checkout (fixture, body);

    g_assert_cmpuint (response->status, ==, 201);
    g_assert_nonnull (secret_of (response));
    order_id = json_object_get_int_member (order_of (response), "id");
  }
  {
    g_autoptr(TillTestResponse) response = till_test_request (fixture->server, "POST",
                                                              "/api/v1/checkouts", other, body);
    const char *text = g_bytes_get_data (response->body, NULL);

    g_assert_cmpuint (response->status, ==, 409);
    g_assert_cmpstr (till_test_error_code (response), ==, "client_reference_conflict");
    g_assert_false (json_object_has_member (response->json, "order"));
    g_assert_false (json_object_has_member (response->json, "payment"));
    g_assert_null (g_strstr_len (text, g_bytes_get_size (response->body), "secret"));
    g_assert_null (g_strstr_len (text, g_bytes_get_size (response->body), "pi_"));
  }
  /* Its own terminal still gets its order again, which still has one intent. */
  {
    g_autoptr(TillTestResponse) response = checkout (fixture, body);

    g_assert_cmpuint (response->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (order_of (response), "id"), ==, order_id);
    g_assert_nonnull (secret_of (response));
  }
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);

  /* In one transaction: the first one stored makes the order, the other is refused. */
  {
    g_autofree char *shared = till_test_new_reference ();
    g_autofree char *first = cart_body (fixture, shared);
    const char *bodies[] = { first, first };
    const char *tokens[] = { fixture->server->cashier_token, other };
    Batch batch = { 0 };

    guint made;

    checkout_together_as (fixture, bodies, tokens, 2, &batch);
    /* Either may have come first. */
    made = batch.status[0] == 201 ? 0 : 1;
    g_assert_cmpuint (batch.status[made], ==, 201);
    g_assert_nonnull (json_object_get_object_member (batch.json[made], "payment"));
    g_assert_cmpuint (batch.status[1 - made], ==, 409);
    g_assert_false (json_object_has_member (batch.json[1 - made], "order"));
    g_assert_false (json_object_has_member (batch.json[1 - made], "payment"));
    g_assert_cmpstr (json_object_get_string_member (
                         json_object_get_object_member (batch.json[1 - made], "error"), "code"),
                     ==, "client_reference_conflict");
    batch_clear (&batch);
  }
}

static void
test_fault (Fixture       *fixture,
            gconstpointer  data)
{
  const Setup *setup = data;
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) created = NULL;
  gint64 order_id;

  /* The first attempts fail in the way under test; a later one goes through. */
  till_test_sim_fault (fixture->sim, setup->fault, setup->fault_count);
  created = checkout (fixture, body);
  g_assert_cmpuint (created->status, ==, 201);
  order_id = json_object_get_int_member (order_of (created), "id");
  g_assert_nonnull (intent_of (created));
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);

  /* A retry by the app after all: still one intent. */
  {
    g_autoptr(TillTestResponse) again = checkout (fixture, body);
    g_assert_cmpuint (again->status, ==, 200);
    g_assert_cmpstr (intent_of (again), ==, intent_of (created));
  }
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);
}

static void
test_fault_exhausted (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  gint64 order_id;

  /* The first attempt is processed but its answer dropped, every retry meets a 500: the
   * app hears 503, the order waits. */
  till_test_sim_fault (fixture->sim, "drop-after", 1);
  till_test_sim_fault (fixture->sim, "500", 8);
  {
    g_autoptr(TillTestResponse) failed = checkout (fixture, body);
    g_assert_cmpuint (failed->status, ==, 503);
  }
  till_test_sim_clear_faults (fixture->sim);
  {
    g_autoptr(TillTestResponse) list = till_test_request (fixture->server, "GET",
                                                          "/api/v1/orders",
                                                          fixture->server->cashier_token, NULL);
    JsonObject *order = json_array_get_object_element (json_object_get_array_member (list->json,
                                                                                     "orders"), 0);
    order_id = json_object_get_int_member (order, "id");
    g_assert_null (payment_member (order, "payment_intent"));
  }
  /* The intent exists at Stripe though; the app's retry finds that same one. */
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);
  {
    g_autoptr(TillTestResponse) again = checkout (fixture, body);
    g_assert_cmpuint (again->status, ==, 200);
    g_assert_nonnull (intent_of (again));
  }
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);
}

static void
test_decline_and_retry (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created),
                                           "pm_card_chargeDeclinedInsufficientFunds"), ==, 402);
  {
    g_autoptr(TillTestResponse) synced = post_order (fixture, order_id, "sync",
                                                     fixture->server->cashier_token, NULL);
    g_assert_cmpuint (synced->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (synced->json, "status"), ==,
                     "pending_payment");
    g_assert_cmpstr (payment_member (synced->json, "decline_code"), ==, "insufficient_funds");
    g_assert_cmpstr (payment_member (synced->json, "decline_message"), ==,
                     "The card has insufficient funds.");
  }
  /* Another card on the same intent. */
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created),
                                           "pm_card_mastercard"), ==, 200);
  {
    g_autoptr(TillTestResponse) synced = post_order (fixture, order_id, "sync",
                                                     fixture->server->cashier_token, NULL);
    g_assert_cmpstr (json_object_get_string_member (synced->json, "status"), ==, "paid");
    g_assert_cmpstr (payment_member (synced->json, "card_brand"), ==, "mastercard");
    g_assert_cmpstr (payment_member (synced->json, "card_last4"), ==, "4444");
    g_assert_null (payment_member (synced->json, "decline_code"));
  }
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  g_autoptr(TillTestResponse) intent_response = NULL;
  gint64 order_id = json_object_get_int_member (order_of (created), "id");

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(TillTestResponse) canceled = post_order (fixture, order_id, "cancel",
                                                         fixture->server->cashier_token, NULL);
      g_assert_cmpuint (canceled->status, ==, 200);
      g_assert_cmpstr (json_object_get_string_member (canceled->json, "status"), ==, "canceled");
    }
  g_assert_cmpstr (json_object_get_string_member (sim_intent (fixture, intent_of (created),
                                                              &intent_response), "status"), ==,
                   "canceled");
  /* Nothing moves it back: not a sync, not a refund. */
  {
    g_autoptr(TillTestResponse) synced = post_order (fixture, order_id, "sync",
                                                     fixture->server->cashier_token, NULL);
    g_assert_cmpstr (json_object_get_string_member (synced->json, "status"), ==, "canceled");
  }
  {
    g_autoptr(TillTestResponse) refund = post_order (fixture, order_id, "refunds",
                                                     fixture->server->admin_token, NULL);
    g_assert_cmpuint (refund->status, ==, 409);
  }
}

static gint64
paid_order (Fixture     *fixture,
            char       **out_intent)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");
  g_autoptr(TillTestResponse) synced = NULL;

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  synced = post_order (fixture, order_id, "sync", fixture->server->cashier_token, NULL);
  g_assert_cmpstr (json_object_get_string_member (synced->json, "status"), ==, "paid");
  if (out_intent != NULL)
    *out_intent = g_strdup (intent_of (created));
  return order_id;
}

static TillTestResponse *
refund (Fixture    *fixture,
        gint64      order_id,
        const char *request_id,
        const char *body)
{
  g_autofree char *url = g_strdup_printf ("%s/api/v1/orders/%" G_GINT64_FORMAT "/refunds",
                                          fixture->server->base, order_id);
  g_autofree char *authorization = g_strconcat ("Bearer ", fixture->server->admin_token, NULL);
  const char *headers[] = { "Authorization", authorization, "Idempotency-Key", request_id, NULL };

  return till_test_request_full (fixture->server->session, "POST", url, headers,
                                 "application/json", body, -1);
}

static void
test_refunds (Fixture       *fixture,
              gconstpointer  data)
{
  gint64 order_id = paid_order (fixture, NULL);
  gint64 first_refund;

  {
    g_autoptr(TillTestResponse) forbidden = post_order (fixture, order_id, "refunds",
                                                        fixture->server->cashier_token,
                                                        "{\"amount\": 100}");
    g_assert_cmpuint (forbidden->status, ==, 403);
  }
  {
    g_autoptr(TillTestResponse) bad = refund (fixture, order_id, "r-bad",
                                              "{\"amount\": 100, \"reason\": \"because\"}");
    g_assert_cmpuint (bad->status, ==, 400);
  }
  {
    g_autoptr(TillTestResponse) partial = refund (fixture, order_id, "r-1",
                                                  "{\"amount\": 300, \"reason\": \"requested_by_customer\"}");
    JsonObject *order;

    g_assert_cmpuint (partial->status, ==, 201);
    order = order_of (partial);
    g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "partially_refunded");
    g_assert_cmpint (json_object_get_int_member (order, "refunded"), ==, 300);
    first_refund = json_object_get_int_member (json_object_get_object_member (partial->json,
                                                                              "refund"), "id");
  }
  {
    /* The same request again: the same refund, nothing more refunded. */
    g_autoptr(TillTestResponse) repeated = refund (fixture, order_id, "r-1",
                                                   "{\"amount\": 300, \"reason\": \"requested_by_customer\"}");
    g_assert_cmpuint (repeated->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (repeated->json,
                                                                                "refund"), "id"),
                     ==, first_refund);
    g_assert_cmpint (json_object_get_int_member (order_of (repeated), "refunded"), ==, 300);
  }
  {
    /* More than what remains (1039 − 300 = 739). */
    g_autoptr(TillTestResponse) too_much = refund (fixture, order_id, "r-2", "{\"amount\": 740}");
    g_assert_cmpuint (too_much->status, ==, 409);
    g_assert_cmpstr (till_test_error_code (too_much), ==, "invalid_state");
  }
  {
    /* No body at all: the rest. */
    g_autoptr(TillTestResponse) rest = refund (fixture, order_id, "r-3", NULL);
    g_assert_cmpuint (rest->status, ==, 201);
    g_assert_cmpstr (json_object_get_string_member (order_of (rest), "status"), ==, "refunded");
    g_assert_cmpint (json_object_get_int_member (order_of (rest), "refunded"), ==, 1039);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (order_of (rest),
                                                                           "refunds")), ==, 2);
  }
  {
    g_autoptr(TillTestResponse) nothing_left = refund (fixture, order_id, "r-4", "{\"amount\": 1}");
    g_assert_cmpuint (nothing_left->status, ==, 409);
  }
  {
    /* Nothing moves a refunded order back. */
    g_autoptr(TillTestResponse) synced = post_order (fixture, order_id, "sync",
                                                     fixture->server->cashier_token, NULL);
    g_assert_cmpstr (json_object_get_string_member (synced->json, "status"), ==, "refunded");
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Webhooks */

static TillTestResponse *
send_webhook (Fixture    *fixture,
              const char *payload,
              const char *signature)
{
  g_autofree char *url = g_strconcat (fixture->server->base, "/stripe/webhook", NULL);
  const char *headers[] = { "Stripe-Signature", signature, NULL };

  return till_test_request_full (fixture->server->session, "POST", url,
                                 signature != NULL ? headers : NULL, "application/json",
                                 payload, -1);
}

static char *
event_json (const char *event_id,
            const char *type,
            JsonObject *intent)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) object = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (object, intent);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, event_id);
  json_builder_set_member_name (builder, "object");
  json_builder_add_string_value (builder, "event");
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_set_member_name (builder, "created");
  json_builder_add_int_value (builder, g_get_real_time () / G_USEC_PER_SEC);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "object");
  json_builder_add_value (builder, json_node_ref (object));
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static char *
sign_now (const char *payload,
          gint64      offset)
{
  return till_webhook_sign ((const guint8 *) payload, strlen (payload), TILL_TEST_WEBHOOK_SECRET,
                            g_get_real_time () / G_USEC_PER_SEC + offset);
}

static const char *
order_status (Fixture *fixture,
              gint64   order_id,
              char   **out)
{
  g_autoptr(TillTestResponse) response = get_order (fixture, order_id);

  *out = g_strdup (json_object_get_string_member (response->json, "status"));
  return *out;
}

static void
test_webhook_signatures (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  g_autoptr(TillTestResponse) intent_response = NULL;
  gint64 order_id = json_object_get_int_member (order_of (created), "id");
  g_autofree char *payload = NULL;
  g_autofree char *status = NULL;
  JsonObject *intent;

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  payload = event_json ("evt_test_1", "payment_intent.succeeded", intent);

  {
    /* No signature, a forged one, one with the wrong secret, a stale one, a tampered body. */
    g_autofree char *forged = g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%064d",
                                               g_get_real_time () / G_USEC_PER_SEC, 0);
    g_autofree char *wrong_secret = till_webhook_sign ((const guint8 *) payload, strlen (payload),
                                                       "whsec_other",
                                                       g_get_real_time () / G_USEC_PER_SEC);
    g_autofree char *stale = sign_now (payload, -301);
    g_autofree char *future = sign_now (payload, 400);
    g_autofree char *good = sign_now (payload, 0);
    g_autofree char *tampered = g_strdup (payload);
    const char *bad[] = { NULL, forged, wrong_secret, stale, future, "t=abc,v1=00", "v1=", "" };

    *strstr (tampered, "succeeded") = 'S';
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(TillTestResponse) refused = send_webhook (fixture, payload, bad[i]);
        g_assert_cmpuint (refused->status, ==, 400);
      }
    {
      g_autoptr(TillTestResponse) refused = send_webhook (fixture, tampered, good);
      g_assert_cmpuint (refused->status, ==, 400);
    }
    g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "pending_payment");
  }
  {
    /* Several v1 values and a v0: any matching v1 passes. */
    g_autofree char *good = sign_now (payload, -299);
    g_autofree char *header = g_strdup_printf ("%s,v1=%064d,v0=abc", good, 1);
    g_autoptr(TillTestResponse) accepted = send_webhook (fixture, payload, header);

    g_assert_cmpuint (accepted->status, ==, 200);
    g_assert_false (json_object_get_boolean_member (accepted->json, "duplicate"));
    g_clear_pointer (&status, g_free);
    g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "paid");
  }
  {
    /* Replayed: seen before, nothing happens. */
    g_autofree char *good = sign_now (payload, 0);
    g_autoptr(TillTestResponse) replayed = send_webhook (fixture, payload, good);

    g_assert_cmpuint (replayed->status, ==, 200);
    g_assert_true (json_object_get_boolean_member (replayed->json, "duplicate"));
  }
}

/* A webhook that comes while another process holds the write lock waits for it, paused,
 * and is applied once the lock is free; the loop answers reads meanwhile. */
static void
test_webhook_database_locked (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillDatabase) other = open_elsewhere (fixture);
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");
  g_autoptr(TillTestResponse) paid_response = NULL;
  g_autoptr(TillTestResponse) read = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *signature = NULL;
  guint status = 0;

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  payload = event_json ("evt_locked", "payment_intent.succeeded",
                        sim_intent (fixture, intent_of (created), &paid_response));
  signature = sign_now (payload, 0);

  g_assert_true (till_database_begin (other, &error));
  post_async (fixture, "/stripe/webhook", (const char *[]) { "Stripe-Signature", signature, NULL },
              payload, &status);
  g_assert_true (till_test_wait_until (one_waiting_write, fixture, 20000));
  read = get_order (fixture, order_id);
  g_assert_cmpuint (read->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (read->json, "status"), ==, "pending_payment");
  g_assert_cmpuint (status, ==, 0);

  g_assert_true (till_database_commit (other, &error));
  g_assert_true (till_test_wait_until (status_known, &status, 20000));
  g_assert_cmpuint (status, ==, 200);
  g_clear_pointer (&read, till_test_response_free);
  read = get_order (fixture, order_id);
  g_assert_cmpstr (json_object_get_string_member (read->json, "status"), ==, "paid");
}

static void
test_webhook_out_of_order (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");
  g_autoptr(TillTestResponse) declined_response = NULL;
  g_autoptr(TillTestResponse) paid_response = NULL;
  g_autofree char *failed_payload = NULL;
  g_autofree char *succeeded_payload = NULL;
  g_autofree char *status = NULL;

  /* A decline, then a success: capture each intent state. */
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created),
                                           "pm_card_chargeDeclined"), ==, 402);
  failed_payload = event_json ("evt_failed", "payment_intent.payment_failed",
                               sim_intent (fixture, intent_of (created), &declined_response));
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  succeeded_payload = event_json ("evt_succeeded", "payment_intent.succeeded",
                                  sim_intent (fixture, intent_of (created), &paid_response));

  /* Delivered the other way round, and the success twice. */
  {
    g_autofree char *signature = sign_now (succeeded_payload, 0);
    g_autoptr(TillTestResponse) first = send_webhook (fixture, succeeded_payload, signature);
    g_autoptr(TillTestResponse) second = send_webhook (fixture, succeeded_payload, signature);

    g_assert_cmpuint (first->status, ==, 200);
    g_assert_cmpuint (second->status, ==, 200);
    g_assert_true (json_object_get_boolean_member (second->json, "duplicate"));
  }
  {
    g_autofree char *signature = sign_now (failed_payload, 0);
    g_autoptr(TillTestResponse) late = send_webhook (fixture, failed_payload, signature);

    g_assert_cmpuint (late->status, ==, 200);
  }
  {
    g_autoptr(TillTestResponse) order = get_order (fixture, order_id);

    g_assert_cmpstr (json_object_get_string_member (order->json, "status"), ==, "paid");
    g_assert_cmpstr (payment_member (order->json, "card_last4"), ==, "4242");
    g_assert_null (payment_member (order->json, "decline_code"));
  }
  /* An event about an intent that is not ours changes nothing. */
  {
    g_autofree char *foreign = g_strdup (succeeded_payload);
    char *id = strstr (foreign, intent_of (created));
    g_autofree char *signature = NULL;
    g_autoptr(TillTestResponse) answer = NULL;

    g_assert_nonnull (id);
    id[3] = id[3] == 'x' ? 'y' : 'x';
    *strstr (foreign, "evt_succeeded") = 'E';
    signature = sign_now (foreign, 0);
    answer = send_webhook (fixture, foreign, signature);
    g_assert_cmpuint (answer->status, ==, 200);
  }
  g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "paid");
}

static void
test_payment_method_types (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  g_autoptr(TillTestResponse) intent_response = NULL;
  JsonObject *intent;
  JsonArray *types;

  g_assert_cmpuint (created->status, ==, 201);
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  types = json_object_get_array_member (intent, "payment_method_types");
  g_assert_cmpuint (json_array_get_length (types), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (types, 0), ==, "card");
  g_assert_true (json_object_get_null_member (intent, "automatic_payment_methods"));
}

static void
test_refund_events (Fixture       *fixture,
                    gconstpointer  data)
{
  gint64 order_id = paid_order (fixture, NULL);
  g_autoptr(TillTestResponse) refunded = refund (fixture, order_id, "ev-1", "{\"amount\": 500}");
  JsonObject *refund_json = json_object_get_object_member (refunded->json, "refund");
  g_autoptr(JsonObject) event_object = json_object_new ();
  g_autofree char *payload = NULL;
  g_autofree char *signature = NULL;

  g_assert_cmpuint (refunded->status, ==, 201);
  json_object_set_string_member (event_object, "id",
                                 json_object_get_string_member (refund_json, "refund"));
  json_object_set_string_member (event_object, "object", "refund");
  json_object_set_string_member (event_object, "status", "failed");
  payload = event_json ("evt_refund_failed", "refund.updated", event_object);
  signature = sign_now (payload, 0);
  {
    g_autoptr(TillTestResponse) answer = send_webhook (fixture, payload, signature);
    g_autoptr(TillTestResponse) order = get_order (fixture, order_id);
    JsonObject *stored = json_array_get_object_element (json_object_get_array_member (order->json,
                                                                                      "refunds"), 0);

    g_assert_cmpuint (answer->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (stored, "status"), ==, "failed");
    /* The money did not go back; the order still never moves backwards. */
    g_assert_cmpint (json_object_get_int_member (order->json, "refunded"), ==, 0);
    g_assert_cmpstr (json_object_get_string_member (order->json, "status"), ==,
                     "partially_refunded");
  }
  {
    /* The same event again changes nothing. */
    g_autoptr(TillTestResponse) answer = send_webhook (fixture, payload, signature);
    g_assert_true (json_object_get_boolean_member (answer->json, "duplicate"));
  }
}

typedef struct
{
  TillTestSim *sim;
  gboolean want_delayed;
} DelayWait;

static gboolean
delayed_state_reached (gpointer user_data)
{
  DelayWait *wait = user_data;
  g_autoptr(TillTestResponse) faults = till_test_sim_call (wait->sim, "GET", "/_sim/faults", NULL);

  return (json_object_get_int_member (faults->json, "delayed_requests") > 0) == wait->want_delayed;
}

static void
on_abandoned_sent (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body G_GNUC_UNUSED = soup_session_send_and_read_finish (SOUP_SESSION (source),
                                                                            result, &error);
  gboolean *done = user_data;

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  *done = TRUE;
}

static gboolean
flag_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

typedef struct
{
  Fixture *fixture;
  gint64 order_id;
} IntentWait;

static gboolean
order_has_intent (gpointer user_data)
{
  IntentWait *wait = user_data;
  g_autoptr(TillTestResponse) order = get_order (wait->fixture, wait->order_id);

  return order->status == 200 && payment_member (order->json, "payment_intent") != NULL;
}

/* The app gives up while till-server waits for Stripe: the order still gets its intent, and
 * nothing is written to a connection that is gone. */
static void
test_client_gone (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autofree char *url = g_strconcat (fixture->server->base, "/api/v1/checkouts", NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", fixture->server->cashier_token, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  DelayWait wait = { fixture->sim, TRUE };
  gboolean done = FALSE;

  till_test_sim_fault (fixture->sim, "delay=500", 1);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                authorization);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_session_send_and_read_async (fixture->server->session, msg, G_PRIORITY_DEFAULT,
                                    cancellable, on_abandoned_sent, &done);
  g_assert_true (till_test_wait_until (delayed_state_reached, &wait, 10000));
  g_cancellable_cancel (cancellable);
  g_assert_true (till_test_wait_until (flag_set, &done, 10000));

  wait.want_delayed = FALSE;
  g_assert_true (till_test_wait_until (delayed_state_reached, &wait, 10000));
  {
    /* The answer came back with nobody to give it to: it is recorded all the same. */
    IntentWait recorded = { fixture, 1 };

    g_assert_true (till_test_wait_until (order_has_intent, &recorded, 10000));
  }
  {
    /* The same reference again: the order, now with its intent. */
    g_autoptr(TillTestResponse) again = checkout (fixture, body);

    g_assert_cmpuint (again->status, ==, 200);
    g_assert_nonnull (intent_of (again));
    g_assert_cmpuint (till_test_sim_count_intents (fixture->sim,
                                                   json_object_get_int_member (order_of (again),
                                                                               "id")), ==, 1);
  }
}

/* The intent's answer never reached till-server; its webhook finds the order by metadata,
 * but only when the intent was made by this database. */
static void
test_webhook_lost_intent (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autofree char *intent_id = NULL;
  g_autofree char *status = NULL;
  g_autoptr(TillTestResponse) intent_response = NULL;
  g_autoptr(TillTestResponse) events = NULL;
  JsonObject *intent;
  gint64 order_id;

  till_test_sim_fault (fixture->sim, "drop-after", 1);
  till_test_sim_fault (fixture->sim, "500", 8);
  {
    g_autoptr(TillTestResponse) failed = checkout (fixture, body);
    g_assert_cmpuint (failed->status, ==, 503);
  }
  till_test_sim_clear_faults (fixture->sim);
  events = till_test_sim_call (fixture->sim, "GET",
                               "/v1/events?type=payment_intent.created&limit=1", NULL);
  intent = json_object_get_object_member (json_object_get_object_member (
      json_array_get_object_element (json_object_get_array_member (events->json, "data"), 0),
      "data"), "object");
  intent_id = g_strdup (json_object_get_string_member (intent, "id"));
  order_id = g_ascii_strtoll (json_object_get_string_member (json_object_get_object_member (intent,
                                                                                            "metadata"),
                                                             "till_order_id"), NULL, 10);
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_id, "pm_card_visa"), ==, 200);
  intent = sim_intent (fixture, intent_id, &intent_response);

  {
    /* From another till on the same account: same order id, another instance. */
    g_autoptr(JsonObject) foreign = json_object_ref (intent);
    g_autofree char *payload = NULL;
    g_autofree char *signature = NULL;
    g_autoptr(TillTestResponse) answer = NULL;
    JsonObject *metadata = json_object_get_object_member (foreign, "metadata");
    g_autofree char *instance = g_strdup (json_object_get_string_member (metadata, "till_instance"));

    json_object_set_string_member (metadata, "till_instance", "another-till");
    payload = event_json ("evt_foreign", "payment_intent.succeeded", foreign);
    json_object_set_string_member (metadata, "till_instance", instance);
    signature = sign_now (payload, 0);
    answer = send_webhook (fixture, payload, signature);
    g_assert_cmpuint (answer->status, ==, 200);
    g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "pending_payment");
    g_clear_pointer (&status, g_free);
  }
  {
    g_autofree char *payload = event_json ("evt_ours", "payment_intent.succeeded", intent);
    g_autofree char *signature = sign_now (payload, 0);
    g_autoptr(TillTestResponse) answer = send_webhook (fixture, payload, signature);
    g_autoptr(TillTestResponse) order = NULL;

    g_assert_cmpuint (answer->status, ==, 200);
    order = get_order (fixture, order_id);
    g_assert_cmpstr (json_object_get_string_member (order->json, "status"), ==, "paid");
    g_assert_cmpstr (payment_member (order->json, "payment_intent"), ==, intent_id);
  }
}

typedef struct
{
  Fixture *fixture;
  gint64 order_id;
  const char *want;
} WaitStatus;

static gboolean
status_reached (gpointer user_data)
{
  WaitStatus *wait = user_data;
  g_autofree char *status = NULL;

  return g_strcmp0 (order_status (wait->fixture, wait->order_id, &status), wait->want) == 0;
}

static void
test_webhook_from_simulator (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  WaitStatus wait = { fixture, json_object_get_int_member (order_of (created), "id"), "paid" };

  /* No sync: the simulator's signed webhook alone pays the order. */
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  g_assert_true (till_test_wait_until (status_reached, &wait, 10000));
}

/* ---------------------------------------------------------------------------------------- */
/* Reconciliation */

typedef struct
{
  gboolean done;
  guint changed;
} Reconciled;

static void
on_reconciled (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Reconciled *reconciled = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (till_reconciler_round_finish (TILL_RECONCILER (source), result,
                                               &reconciled->changed, &error));
  g_assert_no_error (error);
  reconciled->done = TRUE;
}

static gboolean
reconciled_done (gpointer user_data)
{
  return ((Reconciled *) user_data)->done;
}

static void
configure_reconcile (TillServerConfig *config,
                     gpointer          user_data)
{
  config->reconcile_sync_after = 1;
  config->reconcile_cancel_after = GPOINTER_TO_INT (user_data);
}

/* Replaces the fixture's server with one that syncs orders and refunds older than 1 s (and
 * cancels none), with the demo catalog. */
static void
use_reconciling_server (Fixture *fixture)
{
  till_test_server_free (fixture->server);
  fixture->server = till_test_server_new (fixture->sim->base, configure_reconcile,
                                          GINT_TO_POINTER (3600));
  till_api_load_demo_catalog (till_api_get_database (fixture->server->api), "USD", NULL);
}

static void
test_reconcile (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *reference_paid = till_test_new_reference ();
  g_autofree char *reference_lost = till_test_new_reference ();
  g_autofree char *body_paid = NULL;
  g_autofree char *body_lost = NULL;
  g_autoptr(TillTestResponse) created = NULL;
  g_autofree char *status = NULL;
  Reconciled reconciled = { FALSE, 0 };
  gint64 paid_id, lost_id;

  use_reconciling_server (fixture);
  body_paid = cart_body (fixture, reference_paid);
  body_lost = cart_body (fixture, reference_lost);

  /* Paid at Stripe, but the app never came back to sync. */
  created = checkout (fixture, body_paid);
  paid_id = json_object_get_int_member (order_of (created), "id");
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  /* An order whose intent's answer was lost every time. */
  till_test_sim_fault (fixture->sim, "drop-after", 1);
  till_test_sim_fault (fixture->sim, "500", 8);
  {
    g_autoptr(TillTestResponse) failed = checkout (fixture, body_lost);
    g_assert_cmpuint (failed->status, ==, 503);
  }
  till_test_sim_clear_faults (fixture->sim);
  lost_id = paid_id + 1;

  /* Orders younger than sync-after are left alone. */
  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                               on_reconciled, &reconciled);
  g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 10000));
  g_assert_cmpstr (order_status (fixture, paid_id, &status), ==, "pending_payment");
  g_clear_pointer (&status, g_free);

  /* Older than that: synced. Rewind the clock in the database rather than wait. */
  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 5000000", NULL));
  reconciled.done = FALSE;
  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                               on_reconciled, &reconciled);
  g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 10000));
  g_assert_cmpuint (reconciled.changed, ==, 2);
  g_assert_cmpstr (order_status (fixture, paid_id, &status), ==, "paid");
  g_clear_pointer (&status, g_free);
  {
    /* The lost intent was found again with the same key, not made twice. */
    g_autoptr(TillTestResponse) lost = get_order (fixture, lost_id);
    g_assert_nonnull (payment_member (lost->json, "payment_intent"));
    g_assert_cmpstr (json_object_get_string_member (lost->json, "status"), ==, "pending_payment");
  }
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, lost_id), ==, 1);

  /* Abandoned for longer than cancel-after: its intent is canceled, and the order. */
  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 7200000000", NULL));
  reconciled.done = FALSE;
  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                               on_reconciled, &reconciled);
  g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 10000));
  g_assert_cmpstr (order_status (fixture, lost_id, &status), ==, "canceled");
  g_clear_pointer (&status, g_free);
  g_assert_cmpstr (order_status (fixture, paid_id, &status), ==, "paid");
}

/* More orders stay pending than a round takes (customers who walked away): a newer order paid
 * at Stripe, whose webhook and sync never came, is still reached by the next rounds. */
static void
test_reconcile_many_pending (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(TillTestResponse) paid = NULL;
  g_autofree char *status = NULL;
  Reconciled reconciled = { FALSE, 0 };
  gint64 paid_id;
  guint rounds;

  use_reconciling_server (fixture);
  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *reference = till_test_new_reference ();
      g_autofree char *body = cart_body (fixture, reference);
      g_autoptr(TillTestResponse) unpaid = checkout (fixture, body);

      g_assert_cmpuint (unpaid->status, ==, 201);
    }
  {
    g_autofree char *reference = till_test_new_reference ();
    g_autofree char *body = cart_body (fixture, reference);

    paid = checkout (fixture, body);
  }
  g_assert_cmpuint (paid->status, ==, 201);
  paid_id = json_object_get_int_member (order_of (paid), "id");
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (paid), "pm_card_visa"), ==,
                    200);
  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 5000000", NULL));

  for (rounds = 1; rounds <= 4; rounds++)
    {
      reconciled.done = FALSE;
      till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                                   on_reconciled, &reconciled);
      g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 20000));
      g_clear_pointer (&status, g_free);
      if (g_str_equal (order_status (fixture, paid_id, &status), "paid"))
        break;
    }
  g_assert_cmpstr (status, ==, "paid");
  /* The second round took the orders after the first round's 50. */
  g_assert_cmpuint (rounds, ==, 2);
}

/* Refunds whose Stripe call never answered are made again by the reconciler, 50 a round. When
 * Stripe keeps failing the 50 oldest, the next round goes on with the ones after them, so a
 * newer refund is not held back behind them for as long as they fail. */
static void
test_reconcile_refunds_walk (Fixture       *fixture,
                             gconstpointer  data)
{
  TillDatabase *db;
  g_autofree char *intent = NULL;
  g_autofree char *sql = NULL;
  gint64 order_id;

  use_reconciling_server (fixture);
  db = till_api_get_database (fixture->server->api);
  order_id = paid_order (fixture, &intent);
  /* 60 refunds of 0.01, reserved long ago, never made at Stripe. */
  sql = g_strdup_printf ("WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                         " WHERE i < 60) INSERT INTO refunds (order_id, request_id, amount,"
                         " status, created_at) SELECT %" G_GINT64_FORMAT ", 'stuck-' || i, 1,"
                         " 'pending', 1 FROM n", order_id);
  g_assert_true (till_database_exec (db, sql, NULL));

  /* Round 1: Stripe fails every call; the 50 oldest stay pending. */
  till_test_sim_fault (fixture->sim, "500", 1000);
  {
    Reconciled reconciled = { FALSE, 0 };

    till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                                 on_reconciled, &reconciled);
    g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 30000));
  }
  till_test_sim_clear_faults (fixture->sim);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM refunds WHERE status = 'pending'",
                               NULL), ==, 60);

  /* Round 2 takes the 10 after them: the newest is made. */
  {
    Reconciled reconciled = { FALSE, 0 };

    till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                                 on_reconciled, &reconciled);
    g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 30000));
  }
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM refunds WHERE request_id ="
                                        " 'stuck-60' AND status = 'succeeded'", NULL), ==, 1);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM refunds WHERE status = 'pending'",
                               NULL), ==, 50);
}

/* The training simulator forgets old intents: a pending order whose intent Stripe no longer
 * knows is never marked paid, stays pending while it is young, and is canceled once
 * abandoned, so it never holds up the reconciler's rounds. */
static void
test_reconcile_forgotten_intent (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *reference_old = till_test_new_reference ();
  g_autofree char *reference_new = till_test_new_reference ();
  g_autofree char *body_old = NULL;
  g_autofree char *body_new = NULL;
  g_autoptr(TillTestResponse) old_created = NULL;
  g_autoptr(TillTestResponse) new_created = NULL;
  g_autoptr(TillTestResponse) missing = NULL;
  g_autofree char *path = NULL;
  g_autofree char *status = NULL;
  Reconciled reconciled = { FALSE, 0 };
  gint64 old_id, new_id;

  use_reconciling_server (fixture);
  body_old = cart_body (fixture, reference_old);
  body_new = cart_body (fixture, reference_new);
  till_stripe_sim_set_retention (TILL_STRIPE_SIM (fixture->sim->sim), 0, 1, 0, 0);

  old_created = checkout (fixture, body_old);
  old_id = json_object_get_int_member (order_of (old_created), "id");
  new_created = checkout (fixture, body_new);
  new_id = json_object_get_int_member (order_of (new_created), "id");
  path = g_strconcat ("/v1/payment_intents/", intent_of (old_created), NULL);
  missing = till_test_sim_call (fixture->sim, "GET", path, NULL);
  g_assert_cmpuint (missing->status, ==, 404);

  /* Past sync-after: the forgotten intent leaves its order as it was. */
  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 5000000", NULL));
  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                               on_reconciled, &reconciled);
  g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 10000));
  g_assert_cmpstr (order_status (fixture, old_id, &status), ==, "pending_payment");
  g_clear_pointer (&status, g_free);
  g_assert_cmpstr (order_status (fixture, new_id, &status), ==, "pending_payment");
  g_clear_pointer (&status, g_free);

  /* Abandoned: canceled, the one Stripe forgot as the one it still has. */
  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 7200000000", NULL));
  reconciled.done = FALSE;
  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                               on_reconciled, &reconciled);
  g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 10000));
  g_assert_cmpuint (reconciled.changed, ==, 2);
  g_assert_cmpstr (order_status (fixture, old_id, &status), ==, "canceled");
  g_clear_pointer (&status, g_free);
  g_assert_cmpstr (order_status (fixture, new_id, &status), ==, "canceled");
  g_clear_pointer (&status, g_free);
  {
    g_autoptr(TillTestResponse) order = get_order (fixture, old_id);

    g_assert_cmpstr (payment_member (order->json, "payment_intent"), ==,
                     intent_of (old_created));
  }
}

/* Sends @payload, signed now: whether it was a duplicate. */
static gboolean
deliver (Fixture    *fixture,
         const char *payload)
{
  g_autofree char *signature = sign_now (payload, 0);
  g_autoptr(TillTestResponse) answer = send_webhook (fixture, payload, signature);

  g_assert_cmpuint (answer->status, ==, 200);
  return json_object_get_boolean_member_with_default (answer->json, "duplicate", FALSE);
}

/* Webhook events are remembered for duplicates TILL_WEBHOOK_EVENTS_KEPT_DAYS, then forgotten
 * by the reconciler's rounds; one delivered again after that is handled again, harmlessly. */
static void
test_webhook_events_forgotten (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");
  g_autoptr(TillTestResponse) intent_response = NULL;
  g_autofree char *old_payload = NULL;
  g_autofree char *recent_payload = NULL;
  g_autofree char *status = NULL;
  g_autofree char *backdate = g_strdup_printf (
      "UPDATE stripe_events SET received_at = received_at - %" G_GINT64_FORMAT,
      (gint64) (TILL_WEBHOOK_EVENTS_KEPT_DAYS + 1) * G_TIME_SPAN_DAY);
  Reconciled reconciled = { FALSE, 0 };
  JsonObject *intent;

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  old_payload = event_json ("evt_forgotten", "payment_intent.succeeded", intent);
  recent_payload = event_json ("evt_kept", "payment_intent.succeeded", intent);

  g_assert_false (deliver (fixture, old_payload));
  g_assert_true (deliver (fixture, old_payload));
  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api), backdate,
                                     NULL));
  g_assert_false (deliver (fixture, recent_payload));

  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                               on_reconciled, &reconciled);
  g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 10000));
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM stripe_events WHERE id = ?",
                               "evt_forgotten"), ==, 0);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM stripe_events WHERE id = ?",
                               "evt_kept"), ==, 1);

  /* Delivered again: handled as new, and the order stays as it was. */
  g_assert_false (deliver (fixture, old_payload));
  g_assert_true (deliver (fixture, recent_payload));
  g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "paid");
}

/* Someone removed the intent's metadata in Stripe's Dashboard: its webhook still pays the
 * order that recorded it (the database's index of intents' ids), and the order is still found
 * by that intent's id. */
static void
test_webhook_without_metadata (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");
  g_autoptr(TillTestResponse) intent_response = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *status = NULL;
  JsonObject *intent;

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  json_object_set_object_member (intent, "metadata", json_object_new ());
  payload = event_json ("evt_no_metadata", "payment_intent.succeeded", intent);
  g_assert_false (deliver (fixture, payload));
  g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "paid");
}

/* An intent whose answer was lost, and which was paid meanwhile: Stripe answers its key again
 * with the intent as it was made, unpaid. The order is still paid, at once: by the same
 * checkout sent again, or by the first round of the reconciler. */
static void
test_lost_intent_paid (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = NULL;
  g_autofree char *other_reference = till_test_new_reference ();
  g_autofree char *other_body = NULL;
  g_autofree char *status = NULL;
  Reconciled reconciled = { FALSE, 0 };
  gint64 order_id, other_id;

  use_reconciling_server (fixture);
  body = cart_body (fixture, reference);
  other_body = cart_body (fixture, other_reference);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(TillTestResponse) failed = NULL;
      g_autofree char *intent = NULL;

      till_test_sim_fault (fixture->sim, "drop-after", 1);
      till_test_sim_fault (fixture->sim, "500", 8);
      failed = checkout (fixture, i == 0 ? body : other_body);
      g_assert_cmpuint (failed->status, ==, 503);
      till_test_sim_clear_faults (fixture->sim);
      intent = till_test_sim_find_intent (fixture->sim, i + 1);
      g_assert_nonnull (intent);
      g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent, "pm_card_visa"), ==, 200);
    }
  order_id = 1;
  other_id = 2;

  {
    g_autoptr(TillTestResponse) again = checkout (fixture, body);

    g_assert_cmpuint (again->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (order_of (again), "id"), ==, order_id);
    g_assert_cmpstr (json_object_get_string_member (order_of (again), "status"), ==, "paid");
  }

  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 5000000", NULL));
  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                               on_reconciled, &reconciled);
  g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 10000));
  g_assert_cmpstr (order_status (fixture, other_id, &status), ==, "paid");
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, other_id), ==, 1);
}

/* A checkout whose intent is made at Stripe (@made) or not, and whose answer never comes
 * back; returns the order's id. */
static gint64
lose_intent (Fixture    *fixture,
             const char *reference,
             const char *body,
             gboolean    made)
{
  g_autoptr(TillTestResponse) failed = NULL;

  if (made)
    till_test_sim_fault (fixture->sim, "drop-after", 1);
  till_test_sim_fault (fixture->sim, "500", 8);
  failed = checkout (fixture, body);
  g_assert_cmpuint (failed->status, ==, 503);
  till_test_sim_clear_faults (fixture->sim);
  return till_orders_find_by_reference (till_api_get_database (fixture->server->api),
                                        reference, NULL);
}

static const char *
sim_intent_status (Fixture  *fixture,
                   gint64    order_id,
                   char    **out)
{
  g_autofree char *intent = till_test_sim_find_intent (fixture->sim, order_id);
  g_autoptr(TillTestResponse) response = NULL;

  g_assert_nonnull (intent);
  *out = g_strdup (json_object_get_string_member (sim_intent (fixture, intent, &response),
                                                  "status"));
  return *out;
}

/* A checkout sent again for an order Stripe no longer knows the intent of (the training
 * simulator restarted, its intents gone): the order is canceled and the answer says so
 * (409 order_canceled), never 502, also when asked again; a canceled order that never had
 * an intent gets the same answer, not an order without its payment. A new client_reference
 * then checks out as usual. */
static void
test_checkout_canceled_order (Fixture       *fixture,
                              gconstpointer  data)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autofree char *never_reference = till_test_new_reference ();
  g_autofree char *never_body = cart_body (fixture, never_reference);
  g_autofree char *new_reference = till_test_new_reference ();
  g_autofree char *new_body = cart_body (fixture, new_reference);
  g_autofree char *forget = NULL;
  g_autofree char *status = NULL;
  gint64 order_id, never_id;

  {
    g_autoptr(TillTestResponse) created = checkout (fixture, body);

    g_assert_cmpuint (created->status, ==, 201);
    order_id = json_object_get_int_member (order_of (created), "id");
  }
  /* Read once, so that its intent is written; then Stripe forgets it. */
  g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "pending_payment");
  g_clear_pointer (&status, g_free);
  forget = g_strdup_printf ("UPDATE payments SET payment_intent = 'pi_unknown%" G_GINT64_FORMAT
                            "' WHERE order_id = %" G_GINT64_FORMAT, order_id, order_id);
  g_assert_true (till_database_exec (db, forget, NULL));

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(TillTestResponse) again = checkout (fixture, body);

      g_assert_cmpuint (again->status, ==, 409);
      g_assert_cmpstr (till_test_error_code (again), ==, "order_canceled");
      g_assert_false (json_object_has_member (again->json, "payment"));
      g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "canceled");
      g_clear_pointer (&status, g_free);
    }

  /* Canceled a day later without Stripe ever having made its intent. */
  never_id = lose_intent (fixture, never_reference, never_body, FALSE);
  g_assert_cmpint (never_id, >, 0);
  till_test_sim_forget_keys (fixture->sim);
  g_free (forget);
  forget = g_strdup_printf ("UPDATE orders SET created_at = created_at - 90000000000"
                            " WHERE id = %" G_GINT64_FORMAT, never_id);
  g_assert_true (till_database_exec (db, forget, NULL));
  {
    g_autoptr(TillTestResponse) canceled = post_order (fixture, never_id, "cancel",
                                                       fixture->server->cashier_token, NULL);

    g_assert_cmpuint (canceled->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (canceled->json, "status"), ==, "canceled");
    g_assert_null (payment_member (canceled->json, "payment_intent"));
  }
  {
    g_autoptr(TillTestResponse) again = checkout (fixture, never_body);

    g_assert_cmpuint (again->status, ==, 409);
    g_assert_cmpstr (till_test_error_code (again), ==, "order_canceled");
  }
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, never_id), ==, 0);

  /* The same cart with a new reference: a new order, paid as usual. */
  {
    g_autoptr(TillTestResponse) created = checkout (fixture, new_body);

    g_assert_cmpuint (created->status, ==, 201);
    g_assert_cmpint (json_object_get_int_member (order_of (created), "id"), >, never_id);
    g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"),
                      ==, 200);
  }
}

/* Stripe forgets an idempotency key a day after its first use: an order whose intent's
 * answer was lost more than a day ago is looked for among Stripe's intents by its metadata,
 * by the reconciler, by the same checkout sent again, and by a cancel. A second intent is
 * never made for it, and a paid one is never left behind a canceled order. */
static void
test_lost_intent_key_forgotten (Fixture       *fixture,
                                gconstpointer  data)
{
  enum { PAID, UNPAID, NEVER_MADE, CANCELED, CHECKOUT_PAID, CHECKOUT_NEVER_MADE, N_ORDERS };
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  gint64 ids[N_ORDERS];
  g_autofree char *status = NULL;
  Reconciled reconciled = { FALSE, 0 };

  use_reconciling_server (fixture);
  for (guint i = 0; i < N_ORDERS; i++)
    {
      g_autofree char *reference = till_test_new_reference ();

      g_ptr_array_add (bodies, cart_body (fixture, reference));
      ids[i] = lose_intent (fixture, reference, bodies->pdata[i],
                            i != NEVER_MADE && i != CHECKOUT_NEVER_MADE);
      g_assert_cmpint (ids[i], >, 0);
    }
  for (guint i = 0; i < N_ORDERS; i++)
    if (i == PAID || i == CHECKOUT_PAID)
      {
        g_autofree char *intent = till_test_sim_find_intent (fixture->sim, ids[i]);

        g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent, "pm_card_visa"), ==, 200);
      }
  /* A day and an hour later. */
  till_test_sim_forget_keys (fixture->sim);
  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 90000000000",
                                     NULL));

  /* Stripe does not answer: nothing is decided, nothing is made. */
  till_test_sim_fault (fixture->sim, "500", 100);
  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                               on_reconciled, &reconciled);
  g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 20000));
  till_test_sim_clear_faults (fixture->sim);
  g_assert_cmpuint (reconciled.changed, ==, 0);
  for (guint i = 0; i < N_ORDERS; i++)
    {
      g_assert_cmpstr (order_status (fixture, ids[i], &status), ==, "pending_payment");
      g_clear_pointer (&status, g_free);
      g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, ids[i]), ==,
                        i == NEVER_MADE || i == CHECKOUT_NEVER_MADE ? 0 : 1);
    }

  /* The same checkout again: the paid intent is found, or one is made now. */
  {
    g_autoptr(TillTestResponse) again = checkout (fixture, bodies->pdata[CHECKOUT_PAID]);

    g_assert_cmpuint (again->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (order_of (again), "status"), ==, "paid");
    g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, ids[CHECKOUT_PAID]), ==, 1);
  }
  {
    g_autoptr(TillTestResponse) again = checkout (fixture, bodies->pdata[CHECKOUT_NEVER_MADE]);
    g_autofree char *made = till_test_sim_find_intent (fixture->sim, ids[CHECKOUT_NEVER_MADE]);

    g_assert_cmpuint (again->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (order_of (again), "status"), ==,
                     "pending_payment");
    g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, ids[CHECKOUT_NEVER_MADE]), ==,
                      1);
    g_assert_cmpstr (intent_of (again), ==, made);
  }
  /* A cancel: the intent found is canceled at Stripe too. */
  {
    g_autoptr(TillTestResponse) canceled = post_order (fixture, ids[CANCELED], "cancel",
                                                       fixture->server->cashier_token, NULL);

    g_assert_cmpuint (canceled->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (canceled->json, "status"), ==, "canceled");
    g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, ids[CANCELED]), ==, 1);
    g_assert_cmpstr (sim_intent_status (fixture, ids[CANCELED], &status), ==, "canceled");
    g_clear_pointer (&status, g_free);
  }

  /* The reconciler: the paid intent found, the unpaid one canceled, and the order that never
   * had one canceled without asking Stripe to make one. */
  reconciled.done = FALSE;
  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                               on_reconciled, &reconciled);
  g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 20000));
  g_assert_cmpuint (reconciled.changed, ==, 4);
  g_assert_cmpstr (order_status (fixture, ids[PAID], &status), ==, "paid");
  g_clear_pointer (&status, g_free);
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, ids[PAID]), ==, 1);
  g_assert_cmpstr (order_status (fixture, ids[UNPAID], &status), ==, "canceled");
  g_clear_pointer (&status, g_free);
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, ids[UNPAID]), ==, 1);
  g_assert_cmpstr (sim_intent_status (fixture, ids[UNPAID], &status), ==, "canceled");
  g_clear_pointer (&status, g_free);
  g_assert_cmpstr (order_status (fixture, ids[NEVER_MADE], &status), ==, "canceled");
  g_clear_pointer (&status, g_free);
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, ids[NEVER_MADE]), ==, 0);
}

static void
test_reconcile_refund (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *intent = NULL;
  gint64 order_id;
  Reconciled reconciled = { FALSE, 0 };

  use_reconciling_server (fixture);
  order_id = paid_order (fixture, &intent);

  /* Stripe makes the refund, but till-server never hears back. */
  till_test_sim_fault (fixture->sim, "drop-after", 1);
  till_test_sim_fault (fixture->sim, "500", 8);
  {
    g_autoptr(TillTestResponse) lost = refund (fixture, order_id, "lost-refund", "{\"amount\": 400}");
    g_assert_cmpuint (lost->status, ==, 503);
  }
  till_test_sim_clear_faults (fixture->sim);
  {
    /* Reserved meanwhile: the remainder is 1039 − 400. */
    g_autoptr(TillTestResponse) too_much = refund (fixture, order_id, "other", "{\"amount\": 1039}");
    g_assert_cmpuint (too_much->status, ==, 409);
  }
  {
    g_autoptr(TillTestResponse) order = get_order (fixture, order_id);
    g_assert_cmpstr (json_object_get_string_member (order->json, "status"), ==, "paid");
  }

  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE refunds SET created_at = created_at - 5000000", NULL));
  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                               on_reconciled, &reconciled);
  g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 10000));
  g_assert_cmpuint (reconciled.changed, ==, 1);
  {
    g_autoptr(TillTestResponse) order = get_order (fixture, order_id);
    JsonObject *stored = json_array_get_object_element (json_object_get_array_member (order->json,
                                                                                      "refunds"), 0);

    g_assert_cmpstr (json_object_get_string_member (order->json, "status"), ==,
                     "partially_refunded");
    g_assert_cmpint (json_object_get_int_member (order->json, "refunded"), ==, 400);
    g_assert_cmpstr (json_object_get_string_member (stored, "status"), ==, "succeeded");
  }
  {
    /* Exactly one refund at Stripe. */
    g_autoptr(TillTestResponse) events = till_test_sim_call (
        fixture->sim, "GET", "/v1/events?type=refund.created&limit=100", NULL);
    JsonArray *list = json_object_get_array_member (events->json, "data");
    guint count = 0;

    g_assert_cmpuint (events->status, ==, 200);
    for (guint i = 0; i < json_array_get_length (list); i++)
      {
        JsonObject *object = json_object_get_object_member (
            json_object_get_object_member (json_array_get_object_element (list, i), "data"),
            "object");

        if (g_strcmp0 (json_object_get_string_member_with_default (object, "payment_intent", ""),
                       intent) == 0)
          count++;
      }
    g_assert_cmpuint (count, ==, 1);
  }
}

typedef struct
{
  Fixture *fixture;
  gint64 order_id;
  guint count;
} RefundCount;

/* The order has @count refunds stored (reserved before Stripe is asked). */
static gboolean
refunds_stored (gpointer user_data)
{
  RefundCount *wanted = user_data;
  g_autoptr(GPtrArray) refunds = till_orders_list_refunds (
      till_api_get_database (wanted->fixture->server->api), wanted->order_id, NULL);

  return refunds != NULL && refunds->len == wanted->count;
}

static JsonObject *
refund_of (TillTestResponse *order,
           guint             index)
{
  return json_array_get_object_element (json_object_get_array_member (order->json, "refunds"),
                                        index);
}

/* Stripe answers while another process holds the write lock: the answer waits for it from
 * the main loop, which answers every read meanwhile, and is written once the lock is free.
 * Locked for longer than the server waits, the call gets 503 busy and nothing is lost: the
 * refund stays reserved and the reconciler finishes it. The reconciler's answers wait too. */
static void
test_answer_database_locked (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillDatabase) other = NULL;
  const char *headers[] = { "Authorization", NULL, "Idempotency-Key", NULL, NULL };
  g_autofree char *authorization = NULL;
  g_autofree char *path = NULL;
  RefundCount stored = { fixture, 0, 1 };
  Reconciled reconciled = { FALSE, 0 };
  gint64 order_id, unsynced_id;
  guint status = 0;

  /* A server that reconciles orders and refunds older than 1 s, waiting 300 ms for locks. */
  g_setenv ("TILL_DATABASE_BUSY_WAIT_MS", "300", TRUE);
  use_reconciling_server (fixture);
  g_unsetenv ("TILL_DATABASE_BUSY_WAIT_MS");
  other = open_elsewhere (fixture);
  authorization = g_strconcat ("Bearer ", fixture->server->admin_token, NULL);
  headers[1] = authorization;
  order_id = paid_order (fixture, NULL);
  stored.order_id = order_id;
  path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT "/refunds", order_id);

  /* The refund is reserved, Stripe is asked (and answers 300 ms later), and the lock is
   * taken meanwhile. */
  till_test_sim_fault (fixture->sim, "delay=300", 1);
  headers[3] = "locked-1";
  post_async (fixture, path, headers, "{\"amount\": 100}", &status);
  g_assert_true (till_test_wait_until (refunds_stored, &stored, 20000));
  g_assert_true (till_database_begin (other, &error));
  g_assert_true (till_test_wait_until (one_waiting_write, fixture, 20000));
  {
    g_autoptr(TillTestResponse) read = get_order (fixture, order_id);

    g_assert_cmpuint (read->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (refund_of (read, 0), "status"), ==,
                     "pending");
  }
  g_assert_cmpuint (status, ==, 0);
  g_assert_true (till_database_commit (other, &error));
  g_assert_true (till_test_wait_until (status_known, &status, 20000));
  g_assert_cmpuint (status, ==, 201);
  {
    g_autoptr(TillTestResponse) read = get_order (fixture, order_id);

    g_assert_cmpstr (json_object_get_string_member (read->json, "status"), ==,
                     "partially_refunded");
    g_assert_cmpint (json_object_get_int_member (read->json, "refunded"), ==, 100);
    g_assert_cmpstr (json_object_get_string_member (refund_of (read, 0), "status"), ==,
                     "succeeded");
  }

  /* Locked for longer than the server waits: 503, the refund stays reserved... */
  status = 0;
  stored.count = 2;
  till_test_sim_fault (fixture->sim, "delay=300", 1);
  headers[3] = "locked-2";
  post_async (fixture, path, headers, "{\"amount\": 200}", &status);
  g_assert_true (till_test_wait_until (refunds_stored, &stored, 20000));
  g_assert_true (till_database_begin (other, &error));
  g_assert_true (till_test_wait_until (status_known, &status, 20000));
  g_assert_cmpuint (status, ==, 503);
  g_assert_cmpuint (till_api_get_waiting_writes (fixture->server->api), ==, 0);
  g_assert_true (till_database_commit (other, &error));
  {
    g_autoptr(TillTestResponse) read = get_order (fixture, order_id);

    g_assert_cmpint (json_object_get_int_member (read->json, "refunded"), ==, 100);
    g_assert_cmpstr (json_object_get_string_member (refund_of (read, 1), "status"), ==,
                     "pending");
  }

  /* ... and an order paid at Stripe is not synced yet. Then the reconciler's answers find
   * the database locked: they wait, the server answers meanwhile. */
  {
    g_autofree char *reference = till_test_new_reference ();
    g_autofree char *body = cart_body (fixture, reference);
    g_autoptr(TillTestResponse) created = checkout (fixture, body);

    unsynced_id = json_object_get_int_member (order_of (created), "id");
    g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"),
                      ==, 200);
    /* A read writes its intent first (it waits for the next batch otherwise). */
    g_clear_pointer (&created, till_test_response_free);
    created = get_order (fixture, unsynced_id);
    g_assert_nonnull (payment_member (created->json, "payment_intent"));
  }
  g_assert_true (till_database_exec (other, "UPDATE refunds SET created_at = created_at - 5000000;"
                                     "UPDATE orders SET created_at = created_at - 5000000", NULL));
  g_assert_true (till_database_begin (other, &error));
  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL,
                               on_reconciled, &reconciled);
  g_assert_true (till_test_wait_until (one_waiting_write, fixture, 20000));
  {
    g_autoptr(TillTestResponse) read = get_order (fixture, unsynced_id);

    g_assert_cmpuint (read->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (read->json, "status"), ==, "pending_payment");
  }
  g_assert_false (reconciled.done);
  g_assert_true (till_database_commit (other, &error));
  g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 20000));
  g_assert_cmpuint (reconciled.changed, ==, 2);
  {
    g_autoptr(TillTestResponse) read = get_order (fixture, order_id);

    g_assert_cmpint (json_object_get_int_member (read->json, "refunded"), ==, 300);
    g_assert_cmpstr (json_object_get_string_member (refund_of (read, 1), "status"), ==,
                     "succeeded");
  }
  {
    g_autoptr(TillTestResponse) read = get_order (fixture, unsynced_id);

    g_assert_cmpstr (json_object_get_string_member (read->json, "status"), ==, "paid");
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Reports */

static void
test_reports (Fixture       *fixture,
              gconstpointer  data)
{
  gint64 first = paid_order (fixture, NULL);
  gint64 second = paid_order (fixture, NULL);
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Istanbul");
  g_autoptr(GDateTime) now = g_date_time_new_now (tz);
  g_autofree char *day = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *path = g_strdup_printf ("/api/v1/reports/daily?date=%s", day);
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) pending = checkout (fixture, body);
  g_autofree char *by_intent = g_strconcat ("?q=", intent_of (pending), NULL);
  g_autofree char *by_reference = g_strconcat ("?q=", reference, NULL);

  {
    g_autoptr(TillTestResponse) refunded = refund (fixture, second, "report-refund",
                                                   "{\"amount\": 39}");
    g_assert_cmpuint (refunded->status, ==, 201);
  }
  {
    g_autoptr(TillTestResponse) report = till_test_request (fixture->server, "GET", path,
                                                            fixture->server->cashier_token, NULL);
    JsonArray *hours;
    gint64 sum = 0;

    g_assert_cmpuint (report->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (report->json, "gross"), ==, 2 * 1039);
    g_assert_cmpint (json_object_get_int_member (report->json, "refunds"), ==, 39);
    g_assert_cmpint (json_object_get_int_member (report->json, "net"), ==, 2 * 1039 - 39);
    g_assert_cmpint (json_object_get_int_member (report->json, "count"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (report->json, "average"), ==, 1039);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (report->json,
                                                                                "by_status"),
                                                 "pending_payment"), ==, 1);
    hours = json_object_get_array_member (report->json, "by_hour");
    for (guint i = 0; i < json_array_get_length (hours); i++)
      sum += json_object_get_int_member (json_array_get_object_element (hours, i), "gross");
    g_assert_cmpint (sum, ==, 2 * 1039);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (hours,
                                                                                g_date_time_get_hour (now)),
                                                 "count"), >=, 1);
  }
  {
    /* The order list's filters. The search goes through indexes: a number or its beginning
     * (as typed or in capitals), a number's digits, an intent, a client reference; GLOB's
     * own characters are taken as they are. */
    const struct { const char *query; guint count; } filters[] = {
      { "", 3 },
      { "?q=t-000002", 1 },
      { "?q=3", 1 },
      { "?q=000003", 1 },
      { by_intent, 1 },
      { "?q=pi_NoSuchIntent", 0 },
      { "?q=pi_a%2Fb", 0 },
      { by_reference, 1 },
      { "?q=T-00000%3F", 0 },
      { "?q=T-*", 0 },
      { "?status=paid", 1 },
      { "?status=partially_refunded", 1 },
      { "?status=pending_payment", 1 },
      { "?q=T-000002", 1 },
      { "?q=T-0000", 3 },
      { "?q=crash", 0 },
      { "?from=2000-01-01T00:00:00Z", 3 },
      { "?from=2999-01-01T00:00:00Z", 0 },
      { "?to=2000-01-01T00:00:00Z", 0 },
      { "?from=2000-01-01T00:00:00%2B03:00&to=2999-01-01T00:00:00Z&status=paid", 1 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
      {
        g_autofree char *list_path = g_strconcat ("/api/v1/orders", filters[i].query, NULL);
        g_autoptr(TillTestResponse) list = till_test_request (fixture->server, "GET", list_path,
                                                              fixture->server->cashier_token,
                                                              NULL);

        g_test_message ("%s", list_path);
        g_assert_cmpuint (list->status, ==, 200);
        g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list->json,
                                                                               "orders")),
                          ==, filters[i].count);
      }
    {
      g_autoptr(TillTestResponse) bad = till_test_request (fixture->server, "GET",
                                                           "/api/v1/orders?from=yesterday",
                                                           fixture->server->cashier_token, NULL);
      g_assert_cmpuint (bad->status, ==, 400);
    }
    {
      /* A client secret is not an intent's id: nothing is asked of Stripe (whose failed
       * requests are logged with their path: server-secrets-in-logs would find it). Not
       * printed here either, unlike the filters above. */
      g_autofree char *escaped = g_uri_escape_string (secret_of (pending), NULL, FALSE);
      g_autofree char *list_path = g_strconcat ("/api/v1/orders?q=", escaped, NULL);
      g_autoptr(TillTestResponse) list = till_test_request (fixture->server, "GET", list_path,
                                                            fixture->server->cashier_token,
                                                            NULL);

      g_assert_cmpuint (list->status, ==, 200);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list->json,
                                                                             "orders")),
                        ==, 0);
    }
    {
      /* A search by an intent's id needs no Stripe: the database's index of intents finds
       * the order while Stripe cannot be reached too. */
      g_autofree char *list_path = g_strconcat ("/api/v1/orders", by_intent, NULL);
      g_autoptr(TillTestResponse) offline = NULL;

      till_test_sim_fault (fixture->sim, "500", 8);
      offline = till_test_request (fixture->server, "GET", list_path,
                                   fixture->server->cashier_token, NULL);
      till_test_sim_clear_faults (fixture->sim);
      g_assert_cmpuint (offline->status, ==, 200);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (offline->json,
                                                                             "orders")),
                        ==, 1);
    }
  }
  {
    g_autoptr(TillTestResponse) csv = till_test_request (fixture->server, "GET",
                                                         "/api/v1/orders.csv?status=paid",
                                                         fixture->server->admin_token, NULL);
    const char *text = g_bytes_get_data (csv->body, NULL);

    g_assert_cmpuint (csv->status, ==, 200);
    g_assert_nonnull (strstr (text, "T-000001,"));
    g_assert_null (strstr (text, "T-000002,"));
    g_assert_nonnull (strstr (text, ",USD,9.20,0.00,1.19,0.00,10.39,0.00,pi_"));
    g_assert_nonnull (strstr (text, ",visa,4242\r\n"));
  }
  (void) first;
}

static gboolean
no_export_running (gpointer user_data)
{
  return till_api_get_running_exports () == 0;
}

typedef struct
{
  GAsyncResult *result;
  gboolean done;
} Awaited;

static void
on_awaited (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Awaited *awaited = user_data;

  awaited->result = g_object_ref (result);
  awaited->done = TRUE;
}

static gboolean
awaited_done (gpointer user_data)
{
  return ((Awaited *) user_data)->done;
}

/* Orders E-@first … E-@last of 10.80 USD, pending, written straight into the database. */
static void
insert_orders (TillDatabase *db,
               guint         first,
               guint         last)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = g_strdup_printf (
      "WITH RECURSIVE n (i) AS (SELECT %u UNION ALL SELECT i + 1 FROM n WHERE i < %u)"
      " INSERT INTO orders (number, client_reference, status, currency, subtotal, discount, tax,"
      "                     rounding, total, created_at, updated_at)"
      " SELECT 'E-' || i, 'export-' || i, 'pending_payment', 'USD', 1000, 0, 80, 0, 1080,"
      "        1795000000000000 + i, 1795000000000000 + i FROM n", first, last);

  g_assert_true (till_database_exec (db, sql, &error));
  g_assert_no_error (error);
}

typedef struct
{
  gboolean done;
  guint status;           /* 0 if the connection closed first */
  GBytes *body;
} Got;

static void
on_got (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Got *got = user_data;

  got->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  got->status = soup_message_get_status (soup_session_get_async_result_message (
      SOUP_SESSION (source), result));
  got->done = TRUE;
}

static void
get_async (Fixture     *fixture,
           SoupSession *session,
           const char  *path,
           const char  *token,
           Got         *got)
{
  g_autofree char *url = g_strconcat (fixture->server->base, path, NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                authorization);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_got, got);
}

typedef struct
{
  TillApi *api;
  guint count;
} HeldReads;

static gboolean
reads_held (gpointer user_data)
{
  HeldReads *held = user_data;

  return till_api_get_held_page_reads (held->api) == held->count;
}

/* An order list filtered by status or time, and a catalog search, may read every row: they
 * run on threads with read connections of their own. While they read, the loop goes on
 * serving checkouts and the other reads. */
static void
test_reads_off_loop (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr(TillTestResponse) first = checkout (fixture, body);
  g_autofree char *other_reference = till_test_new_reference ();
  /* Made before the reads are held: it looks its products up with a search. */
  g_autofree char *other_body = cart_body (fixture, other_reference);
  HeldReads held = { fixture->server->api, 0 };
  Got orders = { FALSE, 0, NULL }, products = { FALSE, 0, NULL };
  /* Of their own: a session keeps two connections to a host at most. */
  g_autoptr(SoupSession) session = soup_session_new ();

  g_assert_cmpuint (first->status, ==, 201);
  till_api_hold_page_reads (fixture->server->api, TRUE);
  get_async (fixture, session, "/api/v1/orders?status=pending_payment",
             fixture->server->admin_token, &orders);
  get_async (fixture, session, "/api/v1/products?q=a", fixture->server->cashier_token,
             &products);
  held.count = 2;
  g_assert_true (till_test_wait_until (reads_held, &held, 20000));
  {
    g_autoptr(TillTestResponse) other = checkout (fixture, other_body);
    g_autoptr(TillTestResponse) page = till_test_request (fixture->server, "GET",
                                                          "/api/v1/products?limit=5",
                                                          fixture->server->cashier_token, NULL);

    g_assert_cmpuint (other->status, ==, 201);
    g_assert_cmpuint (page->status, ==, 200);
  }
  g_assert_false (orders.done);
  g_assert_false (products.done);

  till_api_hold_page_reads (fixture->server->api, FALSE);
  g_assert_true (till_test_wait_until (flag_set, &orders.done, 20000));
  g_assert_true (till_test_wait_until (flag_set, &products.done, 20000));
  g_assert_cmpuint (orders.status, ==, 200);
  g_assert_cmpuint (products.status, ==, 200);
  {
    g_autoptr(JsonObject) list = till_json_parse_object (g_bytes_get_data (orders.body, NULL),
                                                         g_bytes_get_size (orders.body), NULL);
    g_autoptr(JsonObject) found = till_json_parse_object (g_bytes_get_data (products.body, NULL),
                                                          g_bytes_get_size (products.body), NULL);

    /* Read once released: both orders are there. */
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "orders")), ==,
                      2);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (found, "products")),
                      >, 0);
  }
  g_bytes_unref (orders.body);
  g_bytes_unref (products.body);

  /* Stopped while a read waits: the read is let go, its client gets an answer or a closed
   * connection, and nothing else happens. */
  {
    Got stopped = { FALSE, 0, NULL };

    held.count = 1;
    till_api_hold_page_reads (fixture->server->api, TRUE);
    get_async (fixture, session, "/api/v1/orders?status=paid", fixture->server->admin_token,
               &stopped);
    g_assert_true (till_test_wait_until (reads_held, &held, 20000));
    g_clear_pointer (&fixture->server, till_test_server_free);
    g_assert_true (till_test_wait_until (flag_set, &stopped.done, 20000));
    g_assert_true (stopped.status == 0 || stopped.status >= 500);
    g_clear_pointer (&stopped.body, g_bytes_unref);
  }
}

/* Reads what @stream gives next, running the main loop meanwhile; 0 at its end. */
static gssize
read_some (GInputStream *stream,
           char         *buffer,
           gsize         size)
{
  g_autoptr(GError) error = NULL;
  Awaited awaited = { NULL, FALSE };
  gssize got;

  g_input_stream_read_async (stream, buffer, size, G_PRIORITY_DEFAULT, NULL, on_awaited,
                             &awaited);
  g_assert_true (till_test_wait_until (awaited_done, &awaited, 20000));
  got = g_input_stream_read_finish (stream, awaited.result, &error);
  g_clear_object (&awaited.result);
  /* A connection cut short may also end with a reset. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    return 0;
  g_assert_no_error (error);
  return got;
}

/* A client of GET /api/v1/orders.csv on a socket of its own, which has read the first bytes
 * of the answer (the status line is checked) and reads nothing more until told. */
static GSocketConnection *
start_export_reader (Fixture    *fixture,
                     const char *authorization)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GUri) uri = g_uri_parse (fixture->server->base, G_URI_FLAGS_NONE, &error);
  GSocketConnection *connection;
  g_autofree char *request = NULL;
  Awaited awaited = { NULL, FALSE };
  char buffer[1024] = "";

  g_assert_no_error (error);
  g_socket_client_connect_to_host_async (client, g_uri_get_host (uri),
                                         (guint16) g_uri_get_port (uri), NULL, on_awaited,
                                         &awaited);
  g_assert_true (till_test_wait_until (awaited_done, &awaited, 20000));
  connection = g_socket_client_connect_to_host_finish (client, awaited.result, &error);
  g_assert_no_error (error);
  g_clear_object (&awaited.result);
  /* A few hundred bytes: the socket takes them at once. */
  request = g_strdup_printf ("GET /api/v1/orders.csv HTTP/1.1\r\nHost: %s\r\n"
                             "Authorization: %s\r\n\r\n", g_uri_get_host (uri), authorization);
  g_assert_true (g_output_stream_write_all (
      g_io_stream_get_output_stream (G_IO_STREAM (connection)), request, strlen (request),
      NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (read_some (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buffer,
                              sizeof buffer - 1), >, 0);
  g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 200"));
  return connection;
}

typedef struct
{
  guint count;
} RunningExports;

static gboolean
exports_running (gpointer user_data)
{
  return till_api_get_running_exports () == ((RunningExports *) user_data)->count;
}

/* Every order as CSV, sent as it is written (chunked), from a thread: 20,000 orders here. A
 * client that goes away midway stops the export, and so does one that stalls; at most two
 * run at once. */
static void
test_orders_export (Fixture       *fixture,
                    gconstpointer  data)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autoptr(TillTestResponse) csv = NULL;
  g_autofree char *url = g_strconcat (fixture->server->base, "/api/v1/orders.csv", NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", fixture->server->admin_token, NULL);
  const char *headers[] = { "Authorization", authorization, NULL };
  g_auto(GStrv) lines = NULL;
  const char *text;

  insert_orders (db, 1, 20000);

  csv = till_test_request_full (fixture->server->session, "GET", url, headers, NULL, NULL, -1);
  g_assert_cmpuint (csv->status, ==, 200);
  g_assert_cmpint (soup_message_headers_get_encoding (csv->headers), ==, SOUP_ENCODING_CHUNKED);
  g_assert_cmpstr (soup_message_headers_get_content_type (csv->headers, NULL), ==, "text/csv");
  text = g_bytes_get_data (csv->body, NULL);
  g_assert_true (g_str_has_prefix (text, "number,created_at,status,"));
  g_assert_true (g_str_has_suffix (text, "\r\n"));
  lines = g_strsplit (text, "\r\n", -1);
  /* The header, 20,000 orders, and the empty string after the last line break. */
  g_assert_cmpuint (g_strv_length (lines), ==, 20002);
  g_assert_true (g_str_has_prefix (lines[1], "E-1,"));
  g_assert_true (g_str_has_prefix (lines[20000], "E-20000,"));
  g_assert_nonnull (strstr (lines[20000], ",pending_payment,USD,10.00,0.00,0.80,0.00,10.80,0.00,"));
  g_assert_true (till_test_wait_until (no_export_running, NULL, 20000));

  /* Clients that read a little of a bigger export (300,000 orders, more than the socket
   * buffers hold) and then nothing: two exports run, waiting for them; a third is refused
   * until one is done. One client goes away: its thread stops. */
  insert_orders (db, 20001, 300000);
  {
    g_autoptr(GSocketConnection) first = start_export_reader (fixture, authorization);
    g_autoptr(GSocketConnection) second = start_export_reader (fixture, authorization);
    g_autoptr(TillTestResponse) refused = NULL;
    RunningExports running = { 2 };

    g_assert_true (till_test_wait_until (exports_running, &running, 20000));
    refused = till_test_request_full (fixture->server->session, "GET", url, headers, NULL, NULL,
                                      -1);
    g_assert_cmpuint (refused->status, ==, 429);
    g_assert_cmpstr (till_test_error_code (refused), ==, "rate_limited");
    g_assert_cmpstr (soup_message_headers_get_one (refused->headers, "Retry-After"), ==, "10");

    g_io_stream_close (G_IO_STREAM (first), NULL, NULL);
    running.count = 1;
    g_assert_true (till_test_wait_until (exports_running, &running, 20000));
    g_io_stream_close (G_IO_STREAM (second), NULL, NULL);
  }
  g_assert_true (till_test_wait_until (no_export_running, NULL, 20000));

  /* A client that stalls is cut off, without the last chunk: it cannot take what it got for
   * the whole file. */
  till_api_set_export_stall_timeout (fixture->server->api, 300);
  {
    g_autoptr(GSocketConnection) stalled = start_export_reader (fixture, authorization);
    GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (stalled));
    g_autoptr(GByteArray) rest = g_byte_array_new ();
    char buffer[65536];
    gssize got;

    g_assert_true (till_test_wait_until (no_export_running, NULL, 20000));
    while ((got = read_some (input, buffer, sizeof buffer)) > 0)
      g_byte_array_append (rest, (const guint8 *) buffer, (guint) got);
    g_assert_cmpuint (rest->len, >, 0);
    g_assert_cmpuint (rest->len, <, 30000000);
    g_assert_false (rest->len >= 5 && memcmp (rest->data + rest->len - 5, "0\r\n\r\n", 5) == 0);
  }
  {
    g_autoptr(TillTestResponse) products = till_test_request (fixture->server, "GET",
                                                              "/api/v1/products",
                                                              fixture->server->cashier_token,
                                                              NULL);
    g_assert_cmpuint (products->status, ==, 200);
  }
}

int
main (int    argc,
      char **argv)
{
  static const Setup webhooks = { .webhooks = TRUE };
  static const Setup card_only = { .card_only = TRUE };
  static const Setup busy_wait = { .busy_wait_ms = "300" };
  static const Setup amounts[] = {
    { "USD", .unit_amount = 1250, .total = 1250, .stripe_amount = 1250 },
    { "JPY", .unit_amount = 1000, .total = 1000, .stripe_amount = 1000 },
    /* KWD 5.125 is charged as 5.130: three-decimal amounts must end in 0. */
    { "KWD", .unit_amount = 5125, .total = 5130, .stripe_amount = 5130 },
    /* ISK is zero-decimal, but Stripe takes it with two decimals. */
    { "ISK", .unit_amount = 500, .total = 500, .stripe_amount = 50000 },
  };
  static const Setup faults[] = {
    { .fault = "drop-after", .fault_count = 2 },
    { .fault = "500", .fault_count = 2 },
    { .fault = "429", .fault_count = 2 },
    /* The answer comes after the client gave up; meanwhile the key is in flight (409). */
    { .fault = "delay=1200", .fault_count = 1, .stripe_timeout_ms = "400",
      .retry_base_ms = "300" },
  };
  static const char *fault_paths[] = {
    "/server/checkout/faults/drop-after", "/server/checkout/faults/500",
    "/server/checkout/faults/429", "/server/checkout/faults/timeout",
  };
  static const char *amount_paths[] = {
    "/server/checkout/amounts/usd", "/server/checkout/amounts/jpy",
    "/server/checkout/amounts/kwd", "/server/checkout/amounts/isk",
  };

  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-checkout");

#define ADD(path, setup, func) \
  g_test_add (path, Fixture, setup, fixture_setup, func, fixture_teardown)
  ADD ("/server/checkout/happy-path", NULL, test_happy_path);
  ADD ("/server/checkout/tampered-totals", NULL, test_tampered_totals);
  ADD ("/server/checkout/client-gone", NULL, test_client_gone);
  ADD ("/server/checkout/duplicate-reference", NULL, test_duplicate_reference);
  ADD ("/server/checkout/reference-other-terminal", NULL, test_reference_other_terminal);
  ADD ("/server/checkout/canceled-order", NULL, test_checkout_canceled_order);
  ADD ("/server/checkout/group-commit", NULL, test_group_commit);
  ADD ("/server/checkout/group-commit-write-fails", NULL, test_group_commit_write_fails);
  ADD ("/server/checkout/group-commit-busy-loop", NULL, test_group_commit_busy_loop);
  ADD ("/server/checkout/disk-full", NULL, test_disk_full);
  ADD ("/server/checkout/terminal-cache", NULL, test_terminal_cache);
  ADD ("/server/checkout/product-cache", NULL, test_product_cache);
  ADD ("/server/catalog/delete", NULL, test_product_delete);
  ADD ("/server/checkout/database-locked", &busy_wait, test_database_locked);
  ADD ("/server/checkout/faults/exhausted", NULL, test_fault_exhausted);
  for (guint i = 0; i < G_N_ELEMENTS (amounts); i++)
    ADD (amount_paths[i], &amounts[i], test_amounts);
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    ADD (fault_paths[i], &faults[i], test_fault);
  ADD ("/server/orders/decline-and-retry", NULL, test_decline_and_retry);
  ADD ("/server/orders/cancel", NULL, test_cancel);
  ADD ("/server/orders/refunds", NULL, test_refunds);
  ADD ("/server/webhooks/signatures", NULL, test_webhook_signatures);
  ADD ("/server/webhooks/out-of-order", NULL, test_webhook_out_of_order);
  ADD ("/server/webhooks/database-locked", &busy_wait, test_webhook_database_locked);
  ADD ("/server/webhooks/from-simulator", &webhooks, test_webhook_from_simulator);
  ADD ("/server/webhooks/lost-intent", NULL, test_webhook_lost_intent);
  ADD ("/server/webhooks/refund-events", NULL, test_refund_events);
  ADD ("/server/checkout/payment-method-types", &card_only, test_payment_method_types);
  ADD ("/server/reconcile", NULL, test_reconcile);
  ADD ("/server/reconcile/forgotten-intent", NULL, test_reconcile_forgotten_intent);
  ADD ("/server/webhooks/events-forgotten", NULL, test_webhook_events_forgotten);
  ADD ("/server/webhooks/without-metadata", NULL, test_webhook_without_metadata);
  ADD ("/server/reconcile-refund", NULL, test_reconcile_refund);
  ADD ("/server/reconcile-refunds-walk", NULL, test_reconcile_refunds_walk);
  ADD ("/server/reconcile-many-pending", NULL, test_reconcile_many_pending);
  ADD ("/server/reconcile-lost-intent-paid", NULL, test_lost_intent_paid);
  ADD ("/server/reconcile-lost-intent-key-forgotten", NULL, test_lost_intent_key_forgotten);
  ADD ("/server/answers/database-locked", NULL, test_answer_database_locked);
  ADD ("/server/reports", NULL, test_reports);
  ADD ("/server/orders/export", NULL, test_orders_export);
  ADD ("/server/reads-off-loop", NULL, test_reads_off_loop);
#undef ADD

  return g_test_run ();
}
