/* test-server-checkout.c: checkouts against the Stripe simulator on loopback: amounts per currency,
 * totals the server prices itself, duplicates and client references, caches, faults at Stripe
 * and the Stripe client's form encoding.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-stripe-client.h"
#include "till-terminals.h"
#include "till-orders.h"
#include "till-test-fixture.h"

static gint64
add_product (Fixture *fixture, const char *sku, gint64 unit_amount, int tax_rate)
{
  g_autofree char *body = g_strdup_printf ("{\"sku\": \"%s\", \"name\": \"Test %s\","
                                           " \"unit_amount\": %" G_GINT64_FORMAT ","
                                           " \"tax_rate\": %d}",
                                           sku, sku, unit_amount, tax_rate);
  g_autoptr (TillTestResponse) response = till_test_request (
      fixture->server, "POST", "/api/v1/products", fixture->server->admin_token, body);

  g_assert_cmpuint (response->status, ==, 201);
  return json_object_get_int_member (response->json, "id");
}

/* ---------------------------------------------------------------------------------------- */

static void
test_happy_path (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  g_autoptr (TillTestResponse) intent_response = NULL;
  JsonObject *order, *intent;
  gint64      order_id;
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
    g_autoptr (TillTestResponse) stored = get_order (fixture, order_id);

    g_assert_cmpstr (payment_member (stored->json, "payment_intent"), ==, intent_of (created));
    g_assert_cmpstr (payment_member (stored->json, "status"), ==, "requires_payment_method");
    g_assert_cmpstr (payment_member (order, "payment_intent"), ==, intent_of (created));
  }
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  g_assert_cmpint (json_object_get_int_member (intent, "amount"), ==, 1039);
  g_assert_cmpstr (json_object_get_string_member (intent, "currency"), ==, "usd");
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (intent, "metadata"), "till_order_number"),
                   ==, "T-000001");
  /* Cards only by default: they complete inside the app's view (see till-payment-view.c). */
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (intent, "payment_method_types")), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (
                       json_object_get_array_member (intent, "payment_method_types"), 0),
                   ==, "card");
  g_assert_true (json_object_get_null_member (intent, "automatic_payment_methods"));
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);

  /* Paid with Visa at the simulator; sync moves the order. */
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  {
    g_autoptr (TillTestResponse) synced =
        post_order (fixture, order_id, "sync", fixture->server->cashier_token, NULL);

    g_assert_cmpuint (synced->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (synced->json, "status"), ==, "paid");
    g_assert_cmpstr (payment_member (synced->json, "card_brand"), ==, "visa");
    g_assert_cmpstr (payment_member (synced->json, "card_last4"), ==, "4242");
    g_assert_false (json_object_get_null_member (synced->json, "paid_at"));
  }
  {
    /* A paid order cannot be canceled. */
    g_autoptr (TillTestResponse) canceled =
        post_order (fixture, order_id, "cancel", fixture->server->cashier_token, NULL);
    g_assert_cmpuint (canceled->status, ==, 409);
  }
  {
    /* Same client reference after payment: the same order, no new intent. */
    g_autoptr (TillTestResponse) again = checkout (fixture, body);
    g_assert_cmpuint (again->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (order_of (again), "id"), ==, order_id);
    g_assert_cmpstr (intent_of (again), ==, intent_of (created));
    g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);
  }
}

static void
test_amounts (Fixture *fixture, gconstpointer data)
{
  const Setup     *c = data;
  gint64           id = add_product (fixture, "AMOUNT-1", c->unit_amount, 0);
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body =
      g_strdup_printf ("{\"client_reference\": \"%s\", \"currency\": \"%s\", \"lines\": ["
                       "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}",
                       reference, c->currency, id);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  g_autoptr (TillTestResponse) intent_response = NULL;
  g_autofree char *lower = g_ascii_strdown (c->currency, -1);
  JsonObject      *intent;

  g_assert_cmpuint (created->status, ==, 201);
  g_assert_cmpint (json_object_get_int_member (order_of (created), "total"), ==, c->total);
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  g_assert_cmpint (json_object_get_int_member (intent, "amount"), ==, c->stripe_amount);
  g_assert_cmpstr (json_object_get_string_member (intent, "currency"), ==, lower);
}

static void
test_tampered_totals (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body =
      g_strdup_printf ("{\"client_reference\": \"%s\", \"currency\": \"USD\", \"lines\": ["
                       "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 2, \"unit_amount\": 1,"
                       " \"tax\": 0, \"total\": 2, \"name\": \"Free\"}],"
                       " \"subtotal\": 2, \"tax\": 0, \"rounding\": 0, \"total\": 2}",
                       reference, product_id (fixture, "CAK-005"));
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  g_autoptr (TillTestResponse) intent_response = NULL;
  JsonObject *line;

  g_assert_cmpuint (created->status, ==, 201);
  line =
      json_array_get_object_element (json_object_get_array_member (order_of (created), "lines"), 0);
  g_assert_cmpint (json_object_get_int_member (line, "unit_amount"), ==, 520);
  g_assert_cmpstr (json_object_get_string_member (line, "name"), ==, "Künefe");
  /* 2 × 5.20 + 7 % = 11.13 */
  g_assert_cmpint (json_object_get_int_member (order_of (created), "total"), ==, 1113);
  g_assert_cmpint (json_object_get_int_member (
                       sim_intent (fixture, intent_of (created), &intent_response), "amount"),
                   ==, 1113);
}

typedef struct
{
  Fixture   *fixture;
  guint      pending;
  GPtrArray *responses;
} Concurrent;

static void
on_concurrent_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Concurrent  *concurrent = user_data;
  GBytes      *body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
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

static guint
checkout_status (Fixture *fixture, const char *token)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) response =
      till_test_request (fixture->server, "POST", "/api/v1/checkouts", token, body);

  return response->status;
}

static void
revoke_elsewhere (Fixture *fixture, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) other = open_elsewhere (fixture);

  g_assert_true (till_terminals_revoke (other, name, &error));
  g_assert_no_error (error);
}

/* Checkouts take their terminal from a cache; a revoked token is refused all the same: by
 * this server's connection, by another one (`till-server terminal revoke`), also while the
 * checkout waits for its transaction. */
static void
test_terminal_cache (Fixture *fixture, gconstpointer data)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autoptr (GError) error = NULL;
  g_autofree char *here = till_terminals_add (db, "here", TILL_ROLE_CASHIER, NULL, &error);
  g_autofree char *elsewhere =
      till_terminals_add (db, "elsewhere", TILL_ROLE_CASHIER, NULL, &error);
  g_autofree char *waiting = till_terminals_add (db, "waiting", TILL_ROLE_CASHIER, NULL, &error);
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  guint            status = 0;

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

static gint64
one_line_total (Fixture *fixture, gint64 product, guint expected_status)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body =
      g_strdup_printf ("{\"client_reference\": \"%s\", \"currency\": \"%s\", \"lines\": ["
                       "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}",
                       reference, till_api_get_config (fixture->server->api)->currency, product);
  g_autoptr (TillTestResponse) response = checkout (fixture, body);

  g_assert_cmpuint (response->status, ==, expected_status);
  return expected_status == 201 ? json_object_get_int_member (order_of (response), "total") : 0;
}

/* Checkouts price from a product cache; a product changed by the API or by another
 * connection (`till-server catalog import`) is priced anew at once. */
static void
test_product_cache (Fixture *fixture, gconstpointer data)
{
  TillDatabase    *db = till_api_get_database (fixture->server->api);
  gint64           id = product_id (fixture, "BAK-001");
  g_autofree char *path = g_strdup_printf ("/api/v1/products/%" G_GINT64_FORMAT, id);
  g_autofree char *update = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) other = NULL;
  gint64 before = one_line_total (fixture, id, 201);

  g_assert_cmpint (one_line_total (fixture, id, 201), ==, before);
  {
    g_autoptr (TillTestResponse) patched = till_test_request (
        fixture->server, "PATCH", path, fixture->server->admin_token, "{\"unit_amount\": 10000}");
    g_assert_cmpuint (patched->status, ==, 200);
  }
  g_assert_cmpint (one_line_total (fixture, id, 201), !=, before);
  before = one_line_total (fixture, id, 201);

  other = till_database_open (till_database_get_path (db), &error);
  g_assert_no_error (error);
  update =
      g_strdup_printf ("UPDATE products SET unit_amount = 20000 WHERE id = %" G_GINT64_FORMAT, id);
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
test_product_delete (Fixture *fixture, gconstpointer data)
{
  gint64           sold = product_id (fixture, "BAK-001");
  g_autofree char *sold_path = g_strdup_printf ("/api/v1/products/%" G_GINT64_FORMAT, sold);
  g_autoptr (TillTestResponse) created = NULL;
  g_autoptr (TillTestResponse) deleted = NULL;
  g_autoptr (TillTestResponse) read = NULL;

  one_line_total (fixture, sold, 201);
  deleted =
      till_test_request (fixture->server, "DELETE", sold_path, fixture->server->admin_token, NULL);
  g_assert_cmpuint (deleted->status, ==, 200);
  g_assert_false (json_object_get_boolean_member (deleted->json, "active"));
  read =
      till_test_request (fixture->server, "GET", sold_path, fixture->server->cashier_token, NULL);
  g_assert_cmpuint (read->status, ==, 404);
  one_line_total (fixture, sold, 422);

  created =
      till_test_request (fixture->server, "POST", "/api/v1/products", fixture->server->admin_token,
                         "{\"name\": \"Boza\", \"unit_amount\": 300, \"tax_rate\": 800}");
  g_assert_cmpuint (created->status, ==, 201);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/products/%" G_GINT64_FORMAT,
                                             json_object_get_int_member (created->json, "id"));
    g_autoptr (TillTestResponse) gone =
        till_test_request (fixture->server, "DELETE", path, fixture->server->admin_token, NULL);
    g_autoptr (TillTestResponse) again = NULL;

    g_assert_cmpuint (gone->status, ==, 204);
    again = till_test_request (fixture->server, "GET", path, fixture->server->admin_token, NULL);
    g_assert_cmpuint (again->status, ==, 404);
    g_clear_pointer (&again, till_test_response_free);
    again = till_test_request (fixture->server, "DELETE", path, fixture->server->admin_token, NULL);
    g_assert_cmpuint (again->status, ==, 404);
  }
}

static void
test_duplicate_reference (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autofree char *url = g_strconcat (fixture->server->base, "/api/v1/checkouts", NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", fixture->server->cashier_token, NULL);
  Concurrent       concurrent = { fixture, 0, g_ptr_array_new_with_free_func (g_free) };
  guint            created = 0, repeated = 0;
  gint64           order_id = 0;

  /* Eight at once, on separate connections. */
  for (guint i = 0; i < 8; i++)
    {
      g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

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
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *order;
      gint64      id;

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
    g_autoptr (TillTestResponse) list = till_test_request (fixture->server, "GET", "/api/v1/orders",
                                                           fixture->server->cashier_token, NULL);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list->json, "orders")),
                      ==, 1);
  }
}

/* A client_reference is its terminal's: another terminal sending it gets neither the order
 * nor its client secret, also when both come in the same transaction. */
static void
test_reference_other_terminal (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autofree char *other = till_terminals_add (till_api_get_database (fixture->server->api),
                                               "till 2", TILL_ROLE_CASHIER, NULL, &error);
  gint64           order_id;

  g_assert_no_error (error);
  {
    g_autoptr (TillTestResponse) response = checkout (fixture, body);

    g_assert_cmpuint (response->status, ==, 201);
    g_assert_nonnull (secret_of (response));
    order_id = json_object_get_int_member (order_of (response), "id");
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (fixture->server, "POST", "/api/v1/checkouts", other, body);
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
    g_autoptr (TillTestResponse) response = checkout (fixture, body);

    g_assert_cmpuint (response->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (order_of (response), "id"), ==, order_id);
    g_assert_nonnull (secret_of (response));
  }
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);

  /* In one transaction: the first one stored makes the order, the other is refused. */
  {
    g_autofree char *shared = till_test_new_reference ();
    g_autofree char *first = cart_body (fixture, shared);
    const char      *bodies[] = { first, first };
    const char      *tokens[] = { fixture->server->cashier_token, other };
    Batch            batch = { 0 };

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
test_fault (Fixture *fixture, gconstpointer data)
{
  const Setup     *setup = data;
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = NULL;
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
    g_autoptr (TillTestResponse) again = checkout (fixture, body);
    g_assert_cmpuint (again->status, ==, 200);
    g_assert_cmpstr (intent_of (again), ==, intent_of (created));
  }
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);
}

static void
test_fault_exhausted (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  gint64           order_id;

  /* The first attempt is processed but its answer dropped, every retry meets a 500: the
   * app hears 503, the order waits. */
  till_test_sim_fault (fixture->sim, "drop-after", 1);
  till_test_sim_fault (fixture->sim, "500", 8);
  {
    g_autoptr (TillTestResponse) failed = checkout (fixture, body);
    g_assert_cmpuint (failed->status, ==, 503);
  }
  till_test_sim_clear_faults (fixture->sim);
  {
    g_autoptr (TillTestResponse) list = till_test_request (fixture->server, "GET", "/api/v1/orders",
                                                           fixture->server->cashier_token, NULL);
    JsonObject *order =
        json_array_get_object_element (json_object_get_array_member (list->json, "orders"), 0);
    order_id = json_object_get_int_member (order, "id");
    g_assert_null (payment_member (order, "payment_intent"));
  }
  /* The intent exists at Stripe though; the app's retry finds that same one. */
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);
  {
    g_autoptr (TillTestResponse) again = checkout (fixture, body);
    g_assert_cmpuint (again->status, ==, 200);
    g_assert_nonnull (intent_of (again));
  }
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);
}

/* payment-method-types=automatic: Stripe's automatic payment methods. */
static void
test_payment_method_types (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  g_autoptr (TillTestResponse) intent_response = NULL;
  JsonObject *intent;

  g_assert_cmpuint (created->status, ==, 201);
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  g_assert_true (json_object_get_boolean_member (
      json_object_get_object_member (intent, "automatic_payment_methods"), "enabled"));
}

typedef struct
{
  TillTestSim *sim;
  gboolean     want_delayed;
} DelayWait;

static gboolean
delayed_state_reached (gpointer user_data)
{
  DelayWait *wait = user_data;
  g_autoptr (TillTestResponse) faults = till_test_sim_call (wait->sim, "GET", "/_sim/faults", NULL);

  return (json_object_get_int_member (faults->json, "delayed_requests") > 0) == wait->want_delayed;
}

static void
on_abandoned_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body G_GNUC_UNUSED =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  gboolean *done = user_data;

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  *done = TRUE;
}

typedef struct
{
  Fixture *fixture;
  gint64   order_id;
} IntentWait;

static gboolean
order_has_intent (gpointer user_data)
{
  IntentWait *wait = user_data;
  g_autoptr (TillTestResponse) order = get_order (wait->fixture, wait->order_id);

  return order->status == 200 && payment_member (order->json, "payment_intent") != NULL;
}

/* The app gives up while till-server waits for Stripe: the order still gets its intent, and
 * nothing is written to a connection that is gone. */
static void
test_client_gone (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autofree char *url = g_strconcat (fixture->server->base, "/api/v1/checkouts", NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", fixture->server->cashier_token, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  DelayWait wait = { fixture->sim, TRUE };
  gboolean  done = FALSE;

  till_test_sim_fault (fixture->sim, "delay=500", 1);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                authorization);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_session_send_and_read_async (fixture->server->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    on_abandoned_sent, &done);
  g_assert_true (till_test_wait_until (delayed_state_reached, &wait, 10000));
  g_cancellable_cancel (cancellable);
  g_assert_true (till_test_wait_until (till_test_flag_is_set, &done, 10000));

  wait.want_delayed = FALSE;
  g_assert_true (till_test_wait_until (delayed_state_reached, &wait, 10000));
  {
    /* The answer came back with nobody to give it to: it is recorded all the same. */
    IntentWait recorded = { fixture, 1 };

    g_assert_true (till_test_wait_until (order_has_intent, &recorded, 10000));
  }
  {
    /* The same reference again: the order, now with its intent. */
    g_autoptr (TillTestResponse) again = checkout (fixture, body);

    g_assert_cmpuint (again->status, ==, 200);
    g_assert_nonnull (intent_of (again));
    g_assert_cmpuint (till_test_sim_count_intents (
                          fixture->sim, json_object_get_int_member (order_of (again), "id")),
                      ==, 1);
  }
}

/* A checkout sent again for an order Stripe no longer knows the intent of (the training
 * simulator restarted, its intents gone): the order is canceled and the answer says so
 * (409 order_canceled), never 502, also when asked again; a canceled order that never had
 * an intent gets the same answer, not an order without its payment. A new client_reference
 * then checks out as usual. */
static void
test_checkout_canceled_order (Fixture *fixture, gconstpointer data)
{
  TillDatabase    *db = till_api_get_database (fixture->server->api);
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autofree char *never_reference = till_test_new_reference ();
  g_autofree char *never_body = cart_body (fixture, never_reference);
  g_autofree char *new_reference = till_test_new_reference ();
  g_autofree char *new_body = cart_body (fixture, new_reference);
  g_autofree char *forget = NULL;
  g_autofree char *status = NULL;
  gint64           order_id, never_id;

  {
    g_autoptr (TillTestResponse) created = checkout (fixture, body);

    g_assert_cmpuint (created->status, ==, 201);
    order_id = json_object_get_int_member (order_of (created), "id");
  }
  /* Read once, so that its intent is written; then Stripe forgets it. */
  g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "pending_payment");
  g_clear_pointer (&status, g_free);
  forget = g_strdup_printf ("UPDATE payments SET payment_intent = 'pi_unknown%" G_GINT64_FORMAT
                            "' WHERE order_id = %" G_GINT64_FORMAT,
                            order_id, order_id);
  g_assert_true (till_database_exec (db, forget, NULL));

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (TillTestResponse) again = checkout (fixture, body);

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
                            " WHERE id = %" G_GINT64_FORMAT,
                            never_id);
  g_assert_true (till_database_exec (db, forget, NULL));
  {
    g_autoptr (TillTestResponse) canceled =
        post_order (fixture, never_id, "cancel", fixture->server->cashier_token, NULL);

    g_assert_cmpuint (canceled->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (canceled->json, "status"), ==, "canceled");
    g_assert_null (payment_member (canceled->json, "payment_intent"));
  }
  {
    g_autoptr (TillTestResponse) again = checkout (fixture, never_body);

    g_assert_cmpuint (again->status, ==, 409);
    g_assert_cmpstr (till_test_error_code (again), ==, "order_canceled");
  }
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, never_id), ==, 0);

  /* The same cart with a new reference: a new order, paid as usual. */
  {
    g_autoptr (TillTestResponse) created = checkout (fixture, new_body);

    g_assert_cmpuint (created->status, ==, 201);
    g_assert_cmpint (json_object_get_int_member (order_of (created), "id"), >, never_id);
    g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                      200);
  }
}

static void
test_form_encoding (void)
{
  g_autoptr (TillStripeForm) form = till_stripe_form_new ();
  g_autofree char *encoded = NULL;

  till_stripe_form_add_int (form, "amount", 1039);
  till_stripe_form_add (form, "automatic_payment_methods[enabled]", "true");
  till_stripe_form_add (form, "payment_method_types[]", "card");
  till_stripe_form_add (form, "metadata[till_order_number]", "T-000001");
  till_stripe_form_add (form, "description", "Köşe Büfe & Co: 100% = T-1");
  encoded = till_stripe_form_encode (form);
  g_assert_cmpstr (encoded, ==,
                   "amount=1039&automatic_payment_methods[enabled]=true&payment_method_types[]=card"
                   "&metadata[till_order_number]=T-000001"
                   "&description=K%C3%B6%C5%9Fe%20B%C3%BCfe%20%26%20Co%3A%20100%25%20%3D%20T-1");
}

int
main (int argc, char **argv)
{
  static const Setup automatic = { .automatic_payment_methods = TRUE };
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
    { .fault = "delay=1200", .fault_count = 1, .stripe_timeout_ms = "400", .retry_base_ms = "300" },
  };
  static const char *fault_paths[] = {
    "/server/checkout/faults/drop-after",
    "/server/checkout/faults/500",
    "/server/checkout/faults/429",
    "/server/checkout/faults/timeout",
  };
  static const char *amount_paths[] = {
    "/server/checkout/amounts/usd",
    "/server/checkout/amounts/jpy",
    "/server/checkout/amounts/kwd",
    "/server/checkout/amounts/isk",
  };

  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-checkout");

#define ADD(path, setup, func)                                                                     \
  g_test_add (path, Fixture, setup, fixture_setup, func, fixture_teardown)
  ADD ("/server/checkout/happy-path", NULL, test_happy_path);
  ADD ("/server/checkout/tampered-totals", NULL, test_tampered_totals);
  ADD ("/server/checkout/client-gone", NULL, test_client_gone);
  ADD ("/server/checkout/duplicate-reference", NULL, test_duplicate_reference);
  ADD ("/server/checkout/reference-other-terminal", NULL, test_reference_other_terminal);
  ADD ("/server/checkout/canceled-order", NULL, test_checkout_canceled_order);
  ADD ("/server/checkout/terminal-cache", NULL, test_terminal_cache);
  ADD ("/server/checkout/product-cache", NULL, test_product_cache);
  ADD ("/server/catalog/delete", NULL, test_product_delete);
  ADD ("/server/checkout/faults/exhausted", NULL, test_fault_exhausted);
  for (guint i = 0; i < G_N_ELEMENTS (amounts); i++)
    ADD (amount_paths[i], &amounts[i], test_amounts);
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    ADD (fault_paths[i], &faults[i], test_fault);
  ADD ("/server/checkout/payment-method-types", &automatic, test_payment_method_types);
#undef ADD
  g_test_add_func ("/server/stripe-form-encoding", test_form_encoding);

  return g_test_run ();
}
