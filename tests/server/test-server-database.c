/* test-server-database.c: the server's database under its API: checkouts committed in groups, a
 * full disk, another process holding the write lock (for checkouts, writes and Stripe's answers),
 * and the long reads that run off the main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-orders.h"
#include "till-test-fixture.h"

static void
checkout_together (Fixture *fixture, const char *const *bodies, guint n, Batch *batch)
{
  checkout_together_as (fixture, bodies, NULL, n, batch);
}

/* Group commit: checkouts that arrive before the main loop is idle are stored in one
 * transaction (here: held back until all twelve are there). Each still gets its own order
 * and exactly one intent, a bad cart among them fails alone, and a client_reference repeated
 * inside the batch gives the same order. */
static void
test_group_commit (Fixture *fixture, gconstpointer data)
{
  g_autofree char *shared = till_test_new_reference ();
  g_auto (GStrv) bodies = g_new0 (char *, 13);
  g_autofree char *bad = NULL;
  g_autofree char *bad_reference = till_test_new_reference ();
  g_autoptr (GHashTable) ids = g_hash_table_new (g_int64_hash, g_int64_equal);
  Batch       batch = { 0 };
  const guint n = 12, bad_index = 5, shared_from = 9;
  gint64      shared_id = 0, order_ids[16] = { 0 };

  bad = g_strdup_printf ("{\"client_reference\": \"%s\", \"currency\": \"%s\", \"lines\": ["
                         "{\"product_id\": 999999, \"quantity\": 1}]}",
                         bad_reference, till_api_get_config (fixture->server->api)->currency);
  /* Held back until all twelve are there, so that they share one transaction. */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *reference =
          i >= shared_from ? g_strdup (shared) : till_test_new_reference ();

      bodies[i] = i == bad_index ? g_strdup (bad) : cart_body (fixture, reference);
    }
  checkout_together (fixture, (const char *const *) bodies, n, &batch);

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
      g_autoptr (TillTestResponse) answer = NULL;
      JsonObject *payment;

      if (i == bad_index)
        continue;
      path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT, order_ids[i]);
      answer =
          till_test_request (fixture->server, "GET", path, fixture->server->cashier_token, NULL);
      g_assert_cmpuint (answer->status, ==, 200);
      payment = json_object_get_object_member (answer->json, "payment");
      g_assert_true (
          g_str_has_prefix (json_object_get_string_member (payment, "payment_intent"), "pi_"));
      /* The checkout answered the order as it is stored (it was not read back). */
      {
        g_autoptr (JsonNode) stored = json_node_init_object (json_node_alloc (), answer->json);
        g_autoptr (JsonNode) answered = json_node_init_object (
            json_node_alloc (), json_object_get_object_member (batch.json[i], "order"));

        g_assert_true (json_node_equal (stored, answered));
      }
    }
  {
    g_autoptr (TillTestResponse) list = till_test_request (fixture->server, "GET", "/api/v1/orders",
                                                           fixture->server->cashier_token, NULL);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list->json, "orders")),
                      ==, g_hash_table_size (ids));
  }
  batch_clear (&batch);
}

/* A write that fails after every check passed (the disk, a constraint nobody foresaw: here
 * a trigger) in the middle of a group commit, stored without a savepoint per order: the
 * transaction is rolled back and the batch stored again, each order in a savepoint of its
 * own, so only that one fails, leaving nothing behind. */
static void
test_group_commit_write_fails (Fixture *fixture, gconstpointer data)
{
  TillDatabase    *db = till_api_get_database (fixture->server->api);
  g_autofree char *failing_reference = till_test_new_reference ();
  g_autofree char *first_reference = till_test_new_reference ();
  g_autofree char *last_reference = till_test_new_reference ();
  g_auto (GStrv) bodies = g_new0 (char *, 4);
  g_autoptr (TillTestResponse) again = NULL;
  Batch batch = { 0 };

  g_assert_true (till_database_exec (
      db,
      "CREATE TRIGGER test_disk_on_fire BEFORE INSERT ON order_lines WHEN NEW.quantity = 77"
      " BEGIN SELECT RAISE (ABORT, 'disk on fire'); END",
      NULL));
  bodies[0] = cart_body (fixture, first_reference);
  bodies[1] =
      g_strdup_printf ("{\"client_reference\": \"%s\", \"currency\": \"%s\", \"lines\": ["
                       "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1},"
                       "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 77}]}",
                       failing_reference, till_api_get_config (fixture->server->api)->currency,
                       product_id (fixture, "BAK-001"), product_id (fixture, "CAK-001"));
  bodies[2] = cart_body (fixture, last_reference);
  checkout_together (fixture, (const char *const *) bodies, 3, &batch);

  /* The database refused it: a conflict, with an error the app can show. */
  g_assert_cmpuint (batch.status[1], ==, 409);
  g_assert_true (json_object_has_member (batch.json[1], "error"));
  for (guint i = 0; i < 3; i += 2)
    {
      JsonObject      *order = json_object_get_object_member (batch.json[i], "order");
      g_autofree char *id =
          g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (order, "id"));

      g_assert_cmpuint (batch.status[i], ==, 201);
      g_assert_cmpint (
          count_rows (fixture, "SELECT count (*) FROM order_lines WHERE order_id = ?", id), ==, 3);
      g_assert_cmpuint (
          till_test_sim_count_intents (fixture->sim, json_object_get_int_member (order, "id")), ==,
          1);
    }
  /* Nothing of the failed one: no order, no line, no payment. */
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders WHERE client_reference = ?",
                               failing_reference),
                   ==, 0);
  g_assert_cmpint (
      count_rows (fixture, "SELECT count (*) FROM order_lines WHERE quantity = 77", NULL), ==, 0);
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
  sqlite3_stmt    *stmt = till_database_prepare (db, "PRAGMA page_count", NULL);

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
test_disk_full (Fixture *fixture, gconstpointer data)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autoptr (TillTestResponse) refused = NULL;
  g_autoptr (TillTestResponse) again = NULL;
  g_autofree char *body = NULL;
  g_autofree char *product = NULL;
  gint64           orders, lines, payments, products;

  fill_disk (db);
  /* The pages there are still have room for a few orders; the first that needs another
   * page is refused. */
  for (guint i = 0; i < 500 && refused == NULL; i++)
    {
      g_autofree char *reference = till_test_new_reference ();
      g_autoptr (TillTestResponse) response = NULL;

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
                                json_object_get_object_member (refused->json, "error"), "message"),
                            "disk is full"));
  /* Nothing half-written. */
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders", NULL), ==, orders);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM order_lines", NULL), ==, lines);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM payments", NULL), ==, payments);

  /* Another write route: products, until one needs a page. */
  g_clear_pointer (&refused, till_test_response_free);
  products = count_rows (fixture, "SELECT count (*) FROM products", NULL);
  for (guint i = 0; i < 500 && refused == NULL; i++)
    {
      g_autoptr (TillTestResponse) response = NULL;

      g_clear_pointer (&product, g_free);
      product = g_strdup_printf ("{\"sku\": \"FULL-%u\", \"name\": \"A product with a name long "
                                 "enough to fill pages %u\", \"unit_amount\": 100,"
                                 " \"tax_rate\": 0}",
                                 i, i);
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
test_group_commit_busy_loop (Fixture *fixture, gconstpointer data)
{
  g_autofree char *first_reference = till_test_new_reference ();
  g_autofree char *second_reference = till_test_new_reference ();
  g_auto (GStrv) bodies = g_new0 (char *, 3);
  Batch batch = { 0 };
  guint turns = 0, busy;

  bodies[0] = cart_body (fixture, first_reference);
  bodies[1] = cart_body (fixture, second_reference);
  busy = g_idle_add_full (G_PRIORITY_DEFAULT, keep_busy, &turns, NULL);
  checkout_together (fixture, (const char *const *) bodies, 2, &batch);
  g_source_remove (busy);
  g_assert_cmpuint (turns, >, 0);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpuint (batch.status[i], ==, 201);
  batch_clear (&batch);
}

static void
checkout_async (Fixture *fixture, const char *reference, guint *status)
{
  g_autofree char *body = cart_body (fixture, reference);

  post_api_async (fixture, "/api/v1/checkouts", fixture->server->cashier_token, body, status);
}

/* Another process holds the write lock (a big `catalog import` from the command line): the
 * checkouts and the other writes wait for it from the main loop, which answers every read
 * meanwhile, and go through once it is released. */
static void
test_database_locked (Fixture *fixture, gconstpointer data)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) other = open_elsewhere (fixture);
  g_autofree char *first_reference = till_test_new_reference ();
  g_autofree char *first_body = cart_body (fixture, first_reference);
  g_autofree char *reference = till_test_new_reference ();
  g_autoptr (TillTestResponse) first = NULL;
  g_autoptr (TillTestResponse) read = NULL;
  g_autoptr (TillTestResponse) products = NULL;
  g_autoptr (TillTestResponse) again = NULL;
  g_autoptr (TillTestResponse) created = NULL;
  gint64 first_id;
  guint  status = 0;
  guint  product_status = 0;

  /* Its intent is answered from memory: it waits for the next transaction. */
  first = checkout (fixture, first_body);
  g_assert_cmpuint (first->status, ==, 201);
  first_id = json_object_get_int_member (order_of (first), "id");

  g_assert_true (till_database_begin (other, &error));
  checkout_async (fixture, reference, &status);
  g_assert_true (till_test_wait_until (one_pending, fixture, 20000));
  post_api_async (fixture, "/api/v1/products", fixture->server->admin_token,
                  "{\"sku\": \"LOCKED-1\", \"name\": \"Ayran\", \"unit_amount\": 150,"
                  " \"tax_rate\": 800}",
                  &product_status);
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
                  " \"tax_rate\": 800}",
                  &product_status);
  g_assert_true (till_test_wait_until (status_known, &status, 20000));
  g_assert_cmpuint (status, ==, 503);
  g_assert_true (till_test_wait_until (status_known, &product_status, 20000));
  g_assert_cmpuint (product_status, ==, 503);
  g_assert_true (till_database_commit (other, &error));
  created = till_test_request (fixture->server, "GET", "/api/v1/products?q=LOCKED",
                               fixture->server->cashier_token, NULL);
  g_assert_cmpuint (created->status, ==, 200);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (created->json, "products")), ==, 1);
  g_assert_cmpint (till_orders_find_by_reference (db, reference, NULL), ==, 0);
  {
    g_autofree char *body = cart_body (fixture, reference);

    again = checkout (fixture, body);
  }
  g_assert_cmpuint (again->status, ==, 201);
}

typedef struct
{
  Fixture *fixture;
  gint64   order_id;
  guint    count;
} RefundCount;

/* The order has @count refunds stored (reserved before Stripe is asked). */
static gboolean
refunds_stored (gpointer user_data)
{
  RefundCount *wanted = user_data;
  g_autoptr (GPtrArray) refunds = till_orders_list_refunds (
      till_api_get_database (wanted->fixture->server->api), wanted->order_id, NULL);

  return refunds != NULL && refunds->len == wanted->count;
}

static JsonObject *
refund_of (TillTestResponse *order, guint index)
{
  return json_array_get_object_element (json_object_get_array_member (order->json, "refunds"),
                                        index);
}

/* Stripe answers while another process holds the write lock: the answer waits for it from
 * the main loop, which answers every read meanwhile, and is written once the lock is free.
 * Locked for longer than the server waits, the call gets 503 busy and nothing is lost: the
 * refund stays reserved and the reconciler finishes it. The reconciler's answers wait too. */
static void
test_answer_database_locked (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) other = NULL;
  const char      *headers[] = { "Authorization", NULL, "Idempotency-Key", NULL, NULL };
  g_autofree char *authorization = NULL;
  g_autofree char *path = NULL;
  RefundCount      stored = { fixture, 0, 1 };
  Reconciled       reconciled = { FALSE, 0 };
  gint64           order_id, unsynced_id;
  guint            status = 0;

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
    g_autoptr (TillTestResponse) read = get_order (fixture, order_id);

    g_assert_cmpuint (read->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (refund_of (read, 0), "status"), ==, "pending");
  }
  g_assert_cmpuint (status, ==, 0);
  g_assert_true (till_database_commit (other, &error));
  g_assert_true (till_test_wait_until (status_known, &status, 20000));
  g_assert_cmpuint (status, ==, 201);
  {
    g_autoptr (TillTestResponse) read = get_order (fixture, order_id);

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
    g_autoptr (TillTestResponse) read = get_order (fixture, order_id);

    g_assert_cmpint (json_object_get_int_member (read->json, "refunded"), ==, 100);
    g_assert_cmpstr (json_object_get_string_member (refund_of (read, 1), "status"), ==, "pending");
  }

  /* ... and an order paid at Stripe is not synced yet. Then the reconciler's answers find
   * the database locked: they wait, the server answers meanwhile. */
  {
    g_autofree char *reference = till_test_new_reference ();
    g_autofree char *body = cart_body (fixture, reference);
    g_autoptr (TillTestResponse) created = checkout (fixture, body);

    unsynced_id = json_object_get_int_member (order_of (created), "id");
    g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                      200);
    /* A read writes its intent first (it waits for the next batch otherwise). */
    g_clear_pointer (&created, till_test_response_free);
    created = get_order (fixture, unsynced_id);
    g_assert_nonnull (payment_member (created->json, "payment_intent"));
  }
  g_assert_true (till_database_exec (other,
                                     "UPDATE refunds SET created_at = created_at - 5000000;"
                                     "UPDATE orders SET created_at = created_at - 5000000",
                                     NULL));
  g_assert_true (till_database_begin (other, &error));
  till_reconciler_round_async (till_api_get_reconciler (fixture->server->api), NULL, on_reconciled,
                               &reconciled);
  g_assert_true (till_test_wait_until (one_waiting_write, fixture, 20000));
  {
    g_autoptr (TillTestResponse) read = get_order (fixture, unsynced_id);

    g_assert_cmpuint (read->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (read->json, "status"), ==, "pending_payment");
  }
  g_assert_false (reconciled.done);
  g_assert_true (till_database_commit (other, &error));
  g_assert_true (till_test_wait_until (reconciled_done, &reconciled, 20000));
  g_assert_cmpuint (reconciled.changed, ==, 2);
  {
    g_autoptr (TillTestResponse) read = get_order (fixture, order_id);

    g_assert_cmpint (json_object_get_int_member (read->json, "refunded"), ==, 300);
    g_assert_cmpstr (json_object_get_string_member (refund_of (read, 1), "status"), ==,
                     "succeeded");
  }
  {
    g_autoptr (TillTestResponse) read = get_order (fixture, unsynced_id);

    g_assert_cmpstr (json_object_get_string_member (read->json, "status"), ==, "paid");
  }
}

typedef struct
{
  gboolean done;
  guint    status; /* 0 if the connection closed first */
  GBytes  *body;
} Got;

static void
on_got (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Got *got = user_data;

  got->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  got->status = soup_message_get_status (
      soup_session_get_async_result_message (SOUP_SESSION (source), result));
  got->done = TRUE;
}

static void
get_async (Fixture *fixture, SoupSession *session, const char *path, const char *token, Got *got)
{
  g_autofree char *url = g_strconcat (fixture->server->base, path, NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                authorization);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_got, got);
}

typedef struct
{
  TillApi *api;
  guint    count;
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
test_reads_off_loop (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) first = checkout (fixture, body);
  g_autofree char *other_reference = till_test_new_reference ();
  /* Made before the reads are held: it looks its products up with a search. */
  g_autofree char *other_body = cart_body (fixture, other_reference);
  HeldReads        held = { fixture->server->api, 0 };
  Got              orders = { FALSE, 0, NULL }, products = { FALSE, 0, NULL };
  /* Of their own: a session keeps two connections to a host at most. */
  g_autoptr (SoupSession) session = soup_session_new ();

  g_assert_cmpuint (first->status, ==, 201);
  till_api_hold_page_reads (fixture->server->api, TRUE);
  get_async (fixture, session, "/api/v1/orders?status=pending_payment",
             fixture->server->admin_token, &orders);
  get_async (fixture, session, "/api/v1/products?q=a", fixture->server->cashier_token, &products);
  held.count = 2;
  g_assert_true (till_test_wait_until (reads_held, &held, 20000));
  {
    g_autoptr (TillTestResponse) other = checkout (fixture, other_body);
    g_autoptr (TillTestResponse) page = till_test_request (
        fixture->server, "GET", "/api/v1/products?limit=5", fixture->server->cashier_token, NULL);

    g_assert_cmpuint (other->status, ==, 201);
    g_assert_cmpuint (page->status, ==, 200);
  }
  g_assert_false (orders.done);
  g_assert_false (products.done);

  till_api_hold_page_reads (fixture->server->api, FALSE);
  g_assert_true (till_test_wait_until (till_test_flag_is_set, &orders.done, 20000));
  g_assert_true (till_test_wait_until (till_test_flag_is_set, &products.done, 20000));
  g_assert_cmpuint (orders.status, ==, 200);
  g_assert_cmpuint (products.status, ==, 200);
  {
    g_autoptr (JsonObject) list = till_json_parse_object (g_bytes_get_data (orders.body, NULL),
                                                          g_bytes_get_size (orders.body), NULL);
    g_autoptr (JsonObject) found = till_json_parse_object (g_bytes_get_data (products.body, NULL),
                                                           g_bytes_get_size (products.body), NULL);

    /* Read once released: both orders are there. */
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "orders")), ==, 2);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (found, "products")), >,
                      0);
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
    g_assert_true (till_test_wait_until (till_test_flag_is_set, &stopped.done, 20000));
    g_assert_true (stopped.status == 0 || stopped.status >= 500);
    g_clear_pointer (&stopped.body, g_bytes_unref);
  }
}

int
main (int argc, char **argv)
{
  static const Setup busy_wait = { .busy_wait_ms = "300" };

  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-database");

#define ADD(path, setup, func)                                                                     \
  g_test_add (path, Fixture, setup, fixture_setup, func, fixture_teardown)
  ADD ("/server/checkout/group-commit", NULL, test_group_commit);
  ADD ("/server/checkout/group-commit-write-fails", NULL, test_group_commit_write_fails);
  ADD ("/server/checkout/group-commit-busy-loop", NULL, test_group_commit_busy_loop);
  ADD ("/server/checkout/disk-full", NULL, test_disk_full);
  ADD ("/server/checkout/database-locked", &busy_wait, test_database_locked);
  ADD ("/server/answers/database-locked", NULL, test_answer_database_locked);
  ADD ("/server/reads-off-loop", NULL, test_reads_off_loop);
#undef ADD

  return g_test_run ();
}
