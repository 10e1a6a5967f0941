/* test-server-cash.c: cash checkouts (issue 25): change, exactly once, cash rounding on the
 * cash part only, and what they refuse.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-test-fixture.h"

/* A checkout of one product paid in cash: @tendered handed over. */
static char *
cash_body (Fixture *fixture, const char *reference, const char *sku, gint64 tendered)
{
  return g_strdup_printf ("{\"client_reference\": \"%s\", \"currency\": \"%s\", \"tender\": "
                          "\"cash\", \"cash\": {\"tendered\": %" G_GINT64_FORMAT "},"
                          " \"lines\": [{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}",
                          reference, till_api_get_config (fixture->server->api)->currency, tendered,
                          product_id (fixture, sku));
}

static gint64
member_int (JsonObject *object, const char *member)
{
  return json_object_get_int_member (object, member);
}

static TillTestResponse *
drawer_post (Fixture *fixture, const char *action, const char *token, const char *body)
{
  g_autofree char *path = g_strconcat ("/api/v1/drawer/", action, NULL);

  return till_test_request (fixture->server, "POST", path,
                            token != NULL ? token : fixture->server->cashier_token, body);
}

static gboolean
same_body (TillTestResponse *a, TillTestResponse *b)
{
  return g_bytes_equal (a->body, b->body);
}

/* The fixture, with the cashier's drawer open on an empty float. */
static void
cash_setup (Fixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestResponse) opened = NULL;

  fixture_setup (fixture, data);
  opened = drawer_post (fixture, "open", NULL, "{\"float\": 0}");
  g_assert_cmpuint (opened->status, ==, 201);
}

/* A cash sale with change: the order is paid with no card, its tender recorded once; the
 * same checkout again answers the same, and records nothing. */
static void
test_sale_with_change (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cash_body (fixture, reference, "BAK-004", 2000);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  g_autoptr (TillTestResponse) again = NULL;
  g_autoptr (TillTestResponse) other = NULL;
  g_autoptr (TillTestResponse) read = NULL;
  JsonObject *order, *cash, *tender;
  JsonArray  *tenders;
  gint64      total;

  g_assert_cmpuint (created->status, ==, 201);
  order = order_of (created);
  total = member_int (order, "total");
  g_assert_cmpint (total, >, 0);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "paid");
  g_assert_cmpstr (json_object_get_string_member (order, "tender"), ==, "cash");
  g_assert_cmpint (member_int (order, "paid_amount"), ==, total);
  g_assert_cmpint (member_int (order, "amount_due"), ==, 0);
  g_assert_true (json_object_get_null_member (order, "payment"));
  g_assert_nonnull (json_object_get_string_member (order, "paid_at"));
  g_assert_true (json_object_get_null_member (created->json, "payment"));
  cash = json_object_get_object_member (created->json, "cash");
  g_assert_cmpint (member_int (cash, "amount"), ==, total);
  g_assert_cmpint (member_int (cash, "rounding"), ==, 0);
  g_assert_cmpint (member_int (cash, "tendered"), ==, 2000);
  g_assert_cmpint (member_int (cash, "change"), ==, 2000 - total);
  tenders = json_object_get_array_member (order, "tenders");
  g_assert_cmpuint (json_array_get_length (tenders), ==, 1);
  tender = json_array_get_object_element (tenders, 0);
  g_assert_cmpstr (json_object_get_string_member (tender, "method"), ==, "cash");
  g_assert_cmpint (member_int (tender, "amount"), ==, total);
  g_assert_cmpint (member_int (tender, "change"), ==, 2000 - total);
  g_assert_true (json_object_get_null_member (tender, "payment_intent"));
  g_assert_cmpstr (json_object_get_string_member (tender, "status"), ==, "succeeded");
  /* No Stripe call. */
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, member_int (order, "id")), ==, 0);

  /* A retry after a timeout: the same order, the same cash, nothing recorded again. */
  again = checkout (fixture, body);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpint (member_int (order_of (again), "id"), ==, member_int (order, "id"));
  g_assert_cmpint (member_int (json_object_get_object_member (again->json, "cash"), "change"), ==,
                   2000 - total);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM cash_tenders", NULL), ==, 1);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders", NULL), ==, 1);

  /* Another terminal's reference. */
  other = till_test_request (fixture->server, "POST", "/api/v1/checkouts",
                             fixture->server->admin_token, body);
  assert_json_error (other, 409, "client_reference_conflict");

  /* The order as read, and in the list. */
  read = get_order (fixture, member_int (order, "id"));
  g_assert_cmpuint (read->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (read->json, "tender"), ==, "cash");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (read->json, "tenders")),
                    ==, 1);
  {
    g_autoptr (TillTestResponse) list = api_get (fixture, "/api/v1/orders");
    JsonObject *first =
        json_array_get_object_element (json_object_get_array_member (list->json, "orders"), 0);

    g_assert_cmpstr (json_object_get_string_member (first, "tender"), ==, "cash");
    g_assert_cmpint (member_int (first, "paid_amount"), ==, total);
    g_assert_false (json_object_has_member (first, "tenders"));
  }
  /* The day's report counts it as cash. */
  {
    g_autoptr (TillTestResponse) daily = api_get (fixture, "/api/v1/reports/daily");
    JsonArray  *methods = json_object_get_array_member (daily->json, "by_method");
    JsonObject *method;

    g_assert_cmpuint (json_array_get_length (methods), ==, 1);
    method = json_array_get_object_element (methods, 0);
    g_assert_cmpstr (json_object_get_string_member (method, "method"), ==, "cash");
    g_assert_true (json_object_get_null_member (method, "brand"));
    g_assert_cmpint (member_int (method, "count"), ==, 1);
    g_assert_cmpint (member_int (method, "gross"), ==, total);
  }
}

/* Less than is due is refused, and leaves nothing behind; the exact amount is no change. */
static void
test_short (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *probe = cash_body (fixture, reference, "BAK-004", 100000);
  g_autoptr (TillTestResponse) paid = checkout (fixture, probe);
  gint64           total = member_int (order_of (paid), "total");
  g_autofree char *second = till_test_new_reference ();
  g_autofree char *short_body = cash_body (fixture, second, "BAK-004", total - 1);
  g_autofree char *exact_body = cash_body (fixture, second, "BAK-004", total);
  g_autoptr (TillTestResponse) refused = checkout (fixture, short_body);
  g_autoptr (TillTestResponse) exact = NULL;

  assert_json_error (refused, 422, "invalid_amount");
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders", NULL), ==, 1);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM cash_tenders", NULL), ==, 1);

  /* The same reference, now with enough: the order is made. */
  exact = checkout (fixture, exact_body);
  g_assert_cmpuint (exact->status, ==, 201);
  g_assert_cmpint (member_int (json_object_get_object_member (exact->json, "cash"), "change"), ==,
                   0);
}

/* Bad requests: 400 naming the member, nothing stored. */
static void
test_bad_requests (Fixture *fixture, gconstpointer data)
{
  const char *bodies[][2] = {
    { "\"tender\": \"bitcoin\"", "invalid_field" },
    { "\"tender\": \"cash\"", "missing_field" },
    { "\"cash\": {\"tendered\": 100}", "invalid_field" },
    { "\"tender\": \"cash\", \"cash\": {\"tendered\": -1}", "invalid_field" },
    { "\"tender\": \"cash\", \"cash\": {\"tendered\": 100, \"tip\": 5}", "unknown_field" },
    { "\"tender\": \"cash\", \"cash\": {}", "missing_field" },
    { "\"tender\": 3, \"cash\": {\"tendered\": 100}", "invalid_field" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autofree char *body = g_strdup_printf (
          "{\"client_reference\": \"bad-%u\", \"currency\": \"USD\", %s, \"lines\": "
          "[{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}",
          i, bodies[i][0], product_id (fixture, "BAK-004"));
      g_autoptr (TillTestResponse) response = checkout (fixture, body);

      g_test_message ("%s", bodies[i][0]);
      assert_json_error (response, 400, bodies[i][1]);
    }
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders", NULL), ==, 0);
}

/* Two tills send the same cash checkout at once (one transaction): one order, one tender. */
static void
test_same_checkout_together (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cash_body (fixture, reference, "BAK-004", 1000);
  const char      *bodies[] = { body, body };
  Batch            batch = { 0 };

  checkout_together_as (fixture, bodies, NULL, 2, &batch);
  g_assert_cmpuint (batch.status[0] + batch.status[1], ==, 201 + 200);
  g_assert_cmpint (member_int (json_object_get_object_member (batch.json[0], "order"), "id"), ==,
                   member_int (json_object_get_object_member (batch.json[1], "order"), "id"));
  g_assert_cmpint (member_int (json_object_get_object_member (batch.json[0], "cash"), "change"), ==,
                   member_int (json_object_get_object_member (batch.json[1], "cash"), "change"));
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM cash_tenders", NULL), ==, 1);
  batch_clear (&batch);
}

/* CHF rounds cash to 0.05: the cash part is rounded, shown as the tender's rounding, and
 * the order's total is not; a card pays the exact total. */
static void
test_chf_rounding (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *probe = cash_body (fixture, reference, "BAK-004", 100000);
  g_autoptr (TillTestResponse) paid = checkout (fixture, probe);
  JsonObject      *cash = json_object_get_object_member (paid->json, "cash");
  gint64           total = member_int (order_of (paid), "total");
  gint64           due = till_cash_round (total, 5, TILL_CASH_ROUND_NEAREST);
  g_autofree char *short_reference = till_test_new_reference ();
  g_autofree char *card_reference = till_test_new_reference ();
  g_autoptr (TillTestResponse) card = NULL;
  g_autoptr (TillTestResponse) config = api_get (fixture, "/api/v1/config");

  g_assert_cmpuint (paid->status, ==, 201);
  /* The product's price makes a total that is not a multiple of 0.05. */
  g_assert_cmpint (total % 5, !=, 0);
  g_assert_cmpint (member_int (cash, "amount"), ==, total);
  g_assert_cmpint (member_int (cash, "rounding"), ==, due - total);
  g_assert_cmpint (member_int (cash, "change"), ==, 100000 - due);
  g_assert_cmpint (member_int (order_of (paid), "paid_amount"), ==, total);
  g_assert_cmpint (member_int (json_array_get_object_element (
                                   json_object_get_array_member (order_of (paid), "tenders"), 0),
                               "rounding"),
                   ==, due - total);

  /* Exactly the rounded amount is enough; one less is short. */
  {
    g_autofree char *body = cash_body (fixture, short_reference, "BAK-004", due - 1);
    g_autofree char *exact = cash_body (fixture, short_reference, "BAK-004", due);
    g_autoptr (TillTestResponse) refused = checkout (fixture, body);
    g_autoptr (TillTestResponse) taken = NULL;

    assert_json_error (refused, 422, "invalid_amount");
    taken = checkout (fixture, exact);
    g_assert_cmpuint (taken->status, ==, 201);
    g_assert_cmpint (member_int (json_object_get_object_member (taken->json, "cash"), "change"), ==,
                     0);
  }

  /* A card is charged the exact total. */
  {
    g_autofree char *body = g_strdup_printf (
        "{\"client_reference\": \"%s\", \"currency\": \"CHF\", \"lines\": [{\"product_id\": "
        "%" G_GINT64_FORMAT ", \"quantity\": 1}]}",
        card_reference, product_id (fixture, "BAK-004"));
    g_autoptr (TillTestResponse) at_stripe = NULL;
    JsonObject *intent;

    card = checkout (fixture, body);
    g_assert_cmpuint (card->status, ==, 201);
    g_assert_cmpint (member_int (order_of (card), "total"), ==, total);
    intent = sim_intent (fixture, intent_of (card), &at_stripe);
    g_assert_cmpint (json_object_get_int_member (intent, "amount"), ==, total);
    g_assert_cmpstr (json_object_get_string_member (order_of (card), "tender"), ==, "card");
    g_assert_cmpint (member_int (order_of (card), "amount_due"), ==, total);
  }

  g_assert_cmpint (member_int (config->json, "cash_rounding"), ==, 5);
  g_assert_true (json_object_get_boolean_member (config->json, "offline_cash"));
}

/* A cash sale under the card minimum (USD 0.50) is fine. */
static void
test_small_sale (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cash_body (fixture, reference, "BAK-002", 100);
  g_autoptr (TillTestResponse) response = checkout (fixture, body);

  g_assert_cmpuint (response->status, ==, 201);
  g_assert_cmpint (member_int (order_of (response), "total"), <, 50);
  g_assert_cmpstr (json_object_get_string_member (order_of (response), "status"), ==, "paid");
}

/* Cash needs an open drawer session on the terminal; a retry of a sale already recorded
 * does not. */
static void
test_no_drawer (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cash_body (fixture, reference, "BAK-004", 2000);
  g_autoptr (TillTestResponse) refused = checkout (fixture, body);
  g_autoptr (TillTestResponse) opened = NULL;
  g_autoptr (TillTestResponse) sold = NULL;
  g_autoptr (TillTestResponse) closed = NULL;
  g_autoptr (TillTestResponse) again = NULL;

  assert_json_error (refused, 409, "no_drawer_session");
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders", NULL), ==, 0);

  opened = drawer_post (fixture, "open", NULL, "{\"float\": 0}");
  g_assert_cmpuint (opened->status, ==, 201);
  sold = checkout (fixture, body);
  g_assert_cmpuint (sold->status, ==, 201);
  closed = drawer_post (fixture, "close", NULL, "{\"counted\": 0}");
  g_assert_cmpuint (closed->status, ==, 200);
  again = checkout (fixture, body);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpint (member_int (order_of (again), "id"), ==, member_int (order_of (sold), "id"));
}

static TillTestResponse *
get_drawer (Fixture *fixture)
{
  return api_get (fixture, "/api/v1/drawer");
}

/* A day at the drawer: a float counted by denomination, a pay-in, a pay-out, a no-sale and
 * a cash sale; while open the session does not tell the expected amount (a blind count);
 * closed, it tells it and the over or short. */
static void
test_session (Fixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestResponse) none = get_drawer (fixture);
  g_autoptr (TillTestResponse) opened = NULL;
  g_autoptr (TillTestResponse) twice = NULL;
  g_autoptr (TillTestResponse) open_now = NULL;
  g_autoptr (TillTestResponse) pay_in = NULL;
  g_autoptr (TillTestResponse) pay_out = NULL;
  g_autoptr (TillTestResponse) no_sale = NULL;
  g_autoptr (TillTestResponse) closed = NULL;
  g_autoptr (TillTestResponse) after = NULL;
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cash_body (fixture, reference, "BAK-004", 2000);
  g_autoptr (TillTestResponse) sale = NULL;
  JsonObject *session, *movement;
  gint64      took, expected;

  assert_json_error (none, 404, "not_found");

  /* A float of 2 × 20 + 3 × 5 + 4 × 0.25 dollars. */
  opened =
      drawer_post (fixture, "open", NULL, "{\"counts\": {\"2000\": 2, \"500\": 3, \"25\": 4}}");
  g_assert_cmpuint (opened->status, ==, 201);
  g_assert_cmpint (member_int (opened->json, "float"), ==, 5600);
  g_assert_cmpstr (json_object_get_string_member (opened->json, "status"), ==, "open");
  g_assert_cmpstr (json_object_get_string_member (opened->json, "terminal"), ==, "till 1");
  twice = drawer_post (fixture, "open", NULL, "{\"float\": 100}");
  assert_json_error (twice, 409, "invalid_state");

  pay_in = drawer_post (
      fixture, "movements", NULL,
      "{\"type\": \"pay_in\", \"amount\": 1000, \"reason\": \"Change from the bank\"}");
  g_assert_cmpuint (pay_in->status, ==, 201);
  movement = json_object_get_object_member (pay_in->json, "movement");
  g_assert_cmpstr (json_object_get_string_member (movement, "type"), ==, "pay_in");
  g_assert_cmpstr (json_object_get_string_member (movement, "reason"), ==, "Change from the bank");
  g_assert_cmpstr (json_object_get_string_member (movement, "terminal"), ==, "till 1");
  g_assert_nonnull (json_object_get_string_member (movement, "created_at"));
  pay_out =
      drawer_post (fixture, "movements", NULL,
                   "{\"type\": \"pay_out\", \"amount\": 350, \"reason\": \"Window cleaner\"}");
  g_assert_cmpuint (pay_out->status, ==, 201);
  no_sale = drawer_post (fixture, "movements", NULL, "{\"type\": \"no_sale\", \"amount\": 0}");
  g_assert_cmpuint (no_sale->status, ==, 201);
  sale = checkout (fixture, body);
  g_assert_cmpuint (sale->status, ==, 201);
  took = member_int (order_of (sale), "total");

  /* Blind: nothing that gives the expected amount away. */
  open_now = get_drawer (fixture);
  g_assert_cmpuint (open_now->status, ==, 200);
  g_assert_true (json_object_get_null_member (open_now->json, "expected"));
  g_assert_true (json_object_get_null_member (open_now->json, "cash_sales"));
  g_assert_true (json_object_get_null_member (open_now->json, "over_short"));
  g_assert_true (json_object_get_null_member (open_now->json, "closed_at"));
  g_assert_cmpint (member_int (open_now->json, "pay_ins"), ==, 1000);
  g_assert_cmpint (member_int (open_now->json, "pay_outs"), ==, 350);
  g_assert_cmpint (member_int (open_now->json, "no_sales"), ==, 1);

  /* Counted: a dollar over. */
  expected = 5600 + 1000 - 350 + took;
  {
    g_autofree char *count =
        g_strdup_printf ("{\"counted\": %" G_GINT64_FORMAT "}", expected + 100);

    closed = drawer_post (fixture, "close", NULL, count);
  }
  g_assert_cmpuint (closed->status, ==, 200);
  session = closed->json;
  g_assert_cmpstr (json_object_get_string_member (session, "status"), ==, "closed");
  g_assert_cmpint (member_int (session, "cash_sales"), ==, took);
  g_assert_cmpint (member_int (session, "cash_refunds"), ==, 0);
  g_assert_cmpint (member_int (session, "expected"), ==, expected);
  g_assert_cmpint (member_int (session, "counted"), ==, expected + 100);
  g_assert_cmpint (member_int (session, "over_short"), ==, 100);
  g_assert_nonnull (json_object_get_string_member (session, "closed_at"));

  /* The close sent again after its answer was lost: the same session, as it was closed. */
  {
    g_autofree char  *url = g_strconcat (fixture->server->base, "/api/v1/drawer/close", NULL);
    g_autofree char  *auth = g_strconcat ("Bearer ", fixture->server->cashier_token, NULL);
    const char *const keyed[] = { "Authorization", auth, "Idempotency-Key", "close-1", NULL };
    g_autoptr (TillTestResponse) opened_again =
        drawer_post (fixture, "open", NULL, "{\"float\": 0}");
    g_autoptr (TillTestResponse) first = till_test_request_full (
        fixture->server->session, "POST", url, keyed, "application/json", "{\"counted\": 5}", -1);
    g_autoptr (TillTestResponse) retry = till_test_request_full (
        fixture->server->session, "POST", url, keyed, "application/json", "{\"counted\": 5}", -1);

    g_assert_cmpuint (opened_again->status, ==, 201);
    g_assert_cmpuint (first->status, ==, 200);
    g_assert_cmpuint (retry->status, ==, 200);
    g_assert_true (same_body (first, retry));
    g_assert_cmpint (member_int (retry->json, "over_short"), ==, 5);
  }

  /* Closed: no session, no cash, no movement. */
  after = get_drawer (fixture);
  assert_json_error (after, 404, "not_found");
  {
    g_autoptr (TillTestResponse) move =
        drawer_post (fixture, "movements", NULL, "{\"type\": \"no_sale\", \"amount\": 0}");
    g_autoptr (TillTestResponse) close = drawer_post (fixture, "close", NULL, "{\"counted\": 0}");

    assert_json_error (move, 409, "no_drawer_session");
    assert_json_error (close, 409, "no_drawer_session");
  }
  /* A closed session is never changed. */
  g_assert_false (till_database_exec (till_api_get_database (fixture->server->api),
                                      "UPDATE drawer_sessions SET counted = 0", NULL));

  /* The next session, counted short by denominations. */
  {
    g_autoptr (TillTestResponse) next = drawer_post (fixture, "open", NULL, "{\"float\": 5000}");
    g_autoptr (TillTestResponse) shut = NULL;

    g_assert_cmpuint (next->status, ==, 201);
    g_assert_cmpint (member_int (next->json, "id"), !=, member_int (session, "id"));
    shut =
        drawer_post (fixture, "close", NULL, "{\"counts\": {\"2000\": 2, \"500\": 1, \"100\": 4}}");
    g_assert_cmpuint (shut->status, ==, 200);
    g_assert_cmpint (member_int (shut->json, "expected"), ==, 5000);
    g_assert_cmpint (member_int (shut->json, "counted"), ==, 4900);
    g_assert_cmpint (member_int (shut->json, "over_short"), ==, -100);
  }
}

/* Each terminal has its own drawer: a sale goes into the session of the till that took it. */
static void
test_per_terminal (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cash_body (fixture, reference, "BAK-004", 2000);
  g_autoptr (TillTestResponse) admin_open =
      drawer_post (fixture, "open", fixture->server->admin_token, "{\"float\": 700}");
  g_autoptr (TillTestResponse) sale = till_test_request (
      fixture->server, "POST", "/api/v1/checkouts", fixture->server->admin_token, body);
  g_autoptr (TillTestResponse) mine = drawer_post (fixture, "close", NULL, "{\"counted\": 0}");
  g_autoptr (TillTestResponse) theirs =
      drawer_post (fixture, "close", fixture->server->admin_token, "{\"counted\": 700}");

  g_assert_cmpuint (admin_open->status, ==, 201);
  g_assert_cmpuint (sale->status, ==, 201);
  g_assert_cmpint (member_int (mine->json, "cash_sales"), ==, 0);
  g_assert_cmpint (member_int (mine->json, "over_short"), ==, 0);
  g_assert_cmpint (member_int (theirs->json, "cash_sales"), ==,
                   member_int (order_of (sale), "total"));
  g_assert_cmpint (member_int (theirs->json, "over_short"), ==,
                   -member_int (order_of (sale), "total"));
}

/* Movements are recorded once per Idempotency-Key; bad ones are refused with the member. */
static void
test_movements (Fixture *fixture, gconstpointer data)
{
  const char *bad[][2] = {
    { "{\"type\": \"pay_in\", \"amount\": 100}", "invalid_field" },
    { "{\"type\": \"pay_in\", \"amount\": 100, \"reason\": \"  \"}", "invalid_field" },
    { "{\"type\": \"pay_out\", \"amount\": 0, \"reason\": \"x\"}", "invalid_field" },
    { "{\"type\": \"no_sale\", \"amount\": 5}", "invalid_field" },
    { "{\"type\": \"refund\", \"amount\": 5, \"reason\": \"x\"}", "invalid_field" },
    { "{\"type\": \"pay_in\", \"amount\": -5, \"reason\": \"x\"}", "invalid_field" },
    { "{\"type\": \"pay_in\", \"amount\": 5, \"reason\": \"x\", \"who\": 1}", "unknown_field" },
    { "{\"amount\": 5, \"reason\": \"x\"}", "missing_field" },
  };
  g_autofree char *long_reason = g_strnfill (201, 'x');
  g_autofree char *too_long =
      g_strdup_printf ("{\"type\": \"pay_in\", \"amount\": 5, \"reason\": \"%s\"}", long_reason);
  g_autofree char  *url = g_strconcat (fixture->server->base, "/api/v1/drawer/movements", NULL);
  g_autofree char  *auth = g_strconcat ("Bearer ", fixture->server->cashier_token, NULL);
  const char *const keyed[] = { "Authorization", auth, "Idempotency-Key", "pay-in-1", NULL };
  const char       *body = "{\"type\": \"pay_in\", \"amount\": 500, \"reason\": \"Float top-up\"}";
  g_autoptr (TillTestResponse) first = till_test_request_full (
      fixture->server->session, "POST", url, keyed, "application/json", body, -1);
  g_autoptr (TillTestResponse) again = till_test_request_full (
      fixture->server->session, "POST", url, keyed, "application/json", body, -1);
  g_autoptr (TillTestResponse) refused = drawer_post (fixture, "movements", NULL, too_long);

  g_assert_cmpuint (first->status, ==, 201);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpint (member_int (json_object_get_object_member (first->json, "movement"), "id"), ==,
                   member_int (json_object_get_object_member (again->json, "movement"), "id"));
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM drawer_movements", NULL), ==, 1);
  assert_json_error (refused, 400, "invalid_field");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (TillTestResponse) response = drawer_post (fixture, "movements", NULL, bad[i][0]);

      g_test_message ("%s", bad[i][0]);
      assert_json_error (response, 400, bad[i][1]);
    }
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM drawer_movements", NULL), ==, 1);

  /* Counts: a coin the currency does not have, both forms, neither. */
  {
    g_autoptr (TillTestResponse) coin =
        drawer_post (fixture, "close", NULL, "{\"counts\": {\"3\": 1}}");
    g_autoptr (TillTestResponse) word =
        drawer_post (fixture, "close", NULL, "{\"counts\": {\"ten\": 1}}");
    g_autoptr (TillTestResponse) both =
        drawer_post (fixture, "close", NULL, "{\"counted\": 1, \"counts\": {\"100\": 1}}");
    g_autoptr (TillTestResponse) neither = drawer_post (fixture, "close", NULL, "{}");

    assert_json_error (coin, 422, "invalid_amount");
    assert_json_error (word, 400, "invalid_field");
    assert_json_error (both, 400, "invalid_field");
    assert_json_error (neither, 400, "missing_field");
  }
  /* Still open. */
  {
    g_autoptr (TillTestResponse) open_now = get_drawer (fixture);

    g_assert_cmpuint (open_now->status, ==, 200);
  }
}

static TillTestResponse *
make_z (Fixture *fixture, const char *token, const char *key, const char *body)
{
  g_autofree char *url = g_strconcat (fixture->server->base, "/api/v1/reports/z", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  const char      *headers[] = { "Authorization", auth, key != NULL ? "Idempotency-Key" : NULL, key,
                                 NULL };

  return till_test_request_full (fixture->server->session, "POST", url, headers,
                                 body != NULL ? "application/json" : NULL, body, -1);
}

static JsonObject *
tender_row (JsonObject *report, const char *list, const char *method)
{
  JsonArray *rows = json_object_get_array_member (report, list);

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (g_strcmp0 (json_object_get_string_member (row, "method"), method) == 0)
        return row;
    }
  return NULL;
}

/* The Z report: numbered, made once per key, closing the drawer with its count; stored as
 * made: a refund after it of an order on it does not change it, and goes on the next Z. */
static void
test_z_report (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cash_body (fixture, reference, "BAK-004", 2000);
  g_autoptr (TillTestResponse) cash = checkout (fixture, body);
  gint64 card_order = paid_order (fixture, NULL);
  g_autoptr (TillTestResponse) card = get_order (fixture, card_order);
  gint64 cash_total = member_int (order_of (cash), "total");
  gint64 card_total = member_int (card->json, "total");
  g_autoptr (TillTestResponse) x = api_get (fixture, "/api/v1/reports/x");
  g_autoptr (TillTestResponse) open_drawer =
      make_z (fixture, fixture->server->cashier_token, NULL, NULL);
  g_autoptr (TillTestResponse) z1 = NULL;
  g_autoptr (TillTestResponse) z1_again = NULL;
  g_autoptr (TillTestResponse) refunded = NULL;
  g_autoptr (TillTestResponse) z1_later = NULL;
  g_autoptr (TillTestResponse) x2 = NULL;
  g_autoptr (TillTestResponse) z2 = NULL;
  g_autoptr (TillTestResponse) list = NULL;
  g_autofree char *count = NULL;

  g_assert_cmpuint (cash->status, ==, 201);
  g_assert_cmpuint (x->status, ==, 200);
  g_assert_true (json_object_get_null_member (x->json, "number"));
  g_assert_cmpint (member_int (json_object_get_object_member (x->json, "sales"), "count"), ==, 2);
  g_assert_cmpint (member_int (tender_row (x->json, "by_tender", "cash"), "amount"), ==,
                   cash_total);
  g_assert_cmpint (member_int (tender_row (x->json, "by_tender", "card"), "amount"), ==,
                   card_total);
  g_assert_true (json_object_get_null_member (x->json, "expected"));

  /* The drawer is open: the Z needs its count. */
  assert_json_error (open_drawer, 409, "invalid_state");
  count = g_strdup_printf ("{\"counted\": %" G_GINT64_FORMAT "}", cash_total - 10);
  z1 = make_z (fixture, fixture->server->cashier_token, "z-day-1", count);
  g_assert_cmpuint (z1->status, ==, 201);
  g_assert_cmpstr (json_object_get_string_member (z1->json, "number"), ==, "Z-0001");
  g_assert_cmpstr (json_object_get_string_member (z1->json, "terminal"), ==, "till 1");
  g_assert_cmpint (member_int (json_object_get_object_member (z1->json, "sales"), "amount"), ==,
                   cash_total + card_total);
  g_assert_cmpint (member_int (z1->json, "float"), ==, 0);
  g_assert_cmpint (member_int (z1->json, "expected"), ==, cash_total);
  g_assert_cmpint (member_int (z1->json, "counted"), ==, cash_total - 10);
  g_assert_cmpint (member_int (z1->json, "over_short"), ==, -10);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (z1->json, "refunds")), ==,
                    0);
  g_assert_nonnull (json_object_get_string_member (z1->json, "first_order"));
  g_assert_nonnull (json_object_get_string_member (z1->json, "from"));
  g_assert_nonnull (json_object_get_string_member (z1->json, "to"));
  {
    g_autoptr (TillTestResponse) drawer = api_get (fixture, "/api/v1/drawer");

    assert_json_error (drawer, 404, "not_found");
  }

  /* A retry: the same report, no other made. */
  z1_again = make_z (fixture, fixture->server->cashier_token, "z-day-1", count);
  g_assert_cmpuint (z1_again->status, ==, 200);
  g_assert_true (same_body (z1, z1_again));
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM z_reports", NULL), ==, 1);

  /* A refund of the card sale, after the Z. */
  refunded = refund (fixture, card_order, "z-refund-1", "{\"amount\": 100}");
  g_assert_cmpuint (refunded->status, ==, 201);
  z1_later = api_get (fixture, "/api/v1/reports/z/Z-0001");
  g_assert_cmpuint (z1_later->status, ==, 200);
  g_assert_true (same_body (z1, z1_later));
  g_assert_false (till_database_exec (till_api_get_database (fixture->server->api),
                                      "UPDATE z_reports SET body = '{}'", NULL));
  g_assert_false (till_database_exec (till_api_get_database (fixture->server->api),
                                      "DELETE FROM z_reports", NULL));

  /* The refund is on the X now, and on the next Z; the sales are not. */
  x2 = api_get (fixture, "/api/v1/reports/x");
  g_assert_cmpint (member_int (json_object_get_object_member (x2->json, "sales"), "count"), ==, 0);
  g_assert_cmpint (member_int (tender_row (x2->json, "refunds", "card"), "amount"), ==, 100);
  z2 = make_z (fixture, fixture->server->cashier_token, NULL, NULL);
  g_assert_cmpuint (z2->status, ==, 201);
  g_assert_cmpstr (json_object_get_string_member (z2->json, "number"), ==, "Z-0002");
  g_assert_cmpint (member_int (tender_row (z2->json, "refunds", "card"), "count"), ==, 1);
  g_assert_cmpint (member_int (tender_row (z2->json, "refunds", "card"), "amount"), ==, 100);
  g_assert_cmpint (member_int (json_object_get_object_member (z2->json, "sales"), "count"), ==, 0);
  g_assert_true (json_object_get_null_member (z2->json, "counted"));
  g_assert_cmpstr (json_object_get_string_member (z2->json, "from"), ==,
                   json_object_get_string_member (z1->json, "to"));

  /* Listed newest first; a cashier sees its own, an admin all. */
  {
    g_autoptr (TillTestResponse) admin_z =
        make_z (fixture, fixture->server->admin_token, NULL, "{}");
    g_autoptr (TillTestResponse) admin_list = till_test_request (
        fixture->server, "GET", "/api/v1/reports/z", fixture->server->admin_token, NULL);
    g_autoptr (TillTestResponse) theirs = api_get (fixture, "/api/v1/reports/z/Z-0003");
    JsonArray *reports;

    g_assert_cmpuint (admin_z->status, ==, 201);
    list = api_get (fixture, "/api/v1/reports/z");
    reports = json_object_get_array_member (list->json, "reports");
    g_assert_cmpuint (json_array_get_length (reports), ==, 2);
    g_assert_cmpstr (
        json_object_get_string_member (json_array_get_object_element (reports, 0), "number"), ==,
        "Z-0002");
    g_assert_true (json_object_get_null_member (list->json, "next_cursor"));
    g_assert_cmpuint (
        json_array_get_length (json_object_get_array_member (admin_list->json, "reports")), ==, 3);
    assert_json_error (theirs, 404, "not_found");
  }
}

/* An offline sale of @quantity × BAK-004 charged @unit_amount each, sold an hour ago. */
static char *
offline_body (
    Fixture *fixture, const char *reference, gint64 unit_amount, gint64 quantity, const char *extra)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) sold = g_date_time_add_hours (now, -1);
  g_autofree char *sold_at = g_date_time_format_iso8601 (sold);

  return g_strdup_printf (
      "{\"client_reference\": \"%s\", \"currency\": \"USD\", \"prices_include_tax\": false,"
      " \"tender\": \"cash\", \"cash\": {\"tendered\": 100000},"
      " \"offline\": {\"sold_at\": \"%s\"}%s,"
      " \"lines\": [{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": %" G_GINT64_FORMAT ","
      " \"name\": \"Roggenbrot\", \"unit_amount\": %" G_GINT64_FORMAT ", \"tax_rate\": 700}]}",
      reference, sold_at, extra != NULL ? extra : "", product_id (fixture, "BAK-004"), quantity,
      unit_amount);
}

/* Cash sales made while the server was down are uploaded once: as they were sold (the
 * till's prices, when it sold them), flagged offline with the difference from the catalog;
 * the same upload again, or twice at once, records one. */
static void
test_offline_upload (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = offline_body (fixture, reference, 300, 2, NULL);
  g_autoptr (TillTestResponse) uploaded = checkout (fixture, body);
  g_autoptr (TillTestResponse) again = checkout (fixture, body);
  g_autoptr (TillTestResponse) catalog = api_get (fixture, "/api/v1/products?q=BAK-004");
  gint64 catalog_price = member_int (
      json_array_get_object_element (json_object_get_array_member (catalog->json, "products"), 0),
      "unit_amount");
  JsonObject *order;
  g_autoptr (GDateTime) created = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  g_assert_cmpuint (uploaded->status, ==, 201);
  order = order_of (uploaded);
  g_assert_true (json_object_get_boolean_member (order, "offline"));
  g_assert_cmpint (member_int (order, "catalog_difference"), ==, (300 - catalog_price) * 2);
  /* 2 × 3.00 and 7 % tax on top. */
  g_assert_cmpint (member_int (order, "subtotal"), ==, 600);
  g_assert_cmpint (member_int (order, "tax"), ==, 42);
  g_assert_cmpint (member_int (order, "total"), ==, 642);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "paid");
  g_assert_cmpstr (
      json_object_get_string_member (
          json_array_get_object_element (json_object_get_array_member (order, "lines"), 0), "name"),
      ==, "Roggenbrot");
  created =
      g_date_time_new_from_iso8601 (json_object_get_string_member (order, "created_at"), NULL);
  g_assert_cmpint (g_date_time_difference (now, created), >, 59 * G_TIME_SPAN_MINUTE);

  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpint (member_int (order_of (again), "id"), ==, member_int (order, "id"));
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders", NULL), ==, 1);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM cash_tenders", NULL), ==, 1);

  /* Another sale, uploaded twice at once over two connections. */
  {
    g_autofree char *second = till_test_new_reference ();
    g_autofree char *both = offline_body (fixture, second, 349, 1, NULL);
    const char      *bodies[] = { both, both };
    Batch            batch = { 0 };

    checkout_together_as (fixture, bodies, NULL, 2, &batch);
    g_assert_cmpuint (batch.status[0] + batch.status[1], ==, 201 + 200);
    g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders", NULL), ==, 2);
    g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM cash_tenders", NULL), ==, 2);
    g_assert_cmpint (
        member_int (json_object_get_object_member (batch.json[0], "order"), "catalog_difference"),
        ==, 349 - catalog_price);
    batch_clear (&batch);
  }

  /* Not offline: catalog prices, no difference. */
  {
    g_autofree char *third = till_test_new_reference ();
    g_autofree char *online = cash_body (fixture, third, "BAK-004", 2000);
    g_autoptr (TillTestResponse) sold = checkout (fixture, online);

    g_assert_false (json_object_get_boolean_member (order_of (sold), "offline"));
    g_assert_true (json_object_get_null_member (order_of (sold), "catalog_difference"));
  }
}

/* What an upload must be: consistent, in the store's pricing, a cash sale, not from the
 * future. */
static void
test_offline_refused (Fixture *fixture, gconstpointer data)
{
  g_autofree char *wrong_total = offline_body (fixture, "off-1", 300, 2, ", \"total\": 640");
  g_autofree char *right_total = offline_body (fixture, "off-2", 300, 2, ", \"total\": 642");
  g_autoptr (TillTestResponse) inconsistent = checkout (fixture, wrong_total);
  g_autoptr (TillTestResponse) consistent = checkout (fixture, right_total);
  g_autofree char *card = g_strdup_printf (
      "{\"client_reference\": \"off-3\", \"currency\": \"USD\", \"offline\": {\"sold_at\":"
      " \"2026-01-01T10:00:00Z\"}, \"lines\": [{\"product_id\": %" G_GINT64_FORMAT
      ", \"quantity\": 1}]}",
      product_id (fixture, "BAK-004"));
  g_autoptr (TillTestResponse) card_refused = checkout (fixture, card);
  g_autofree char *future = g_strdup_printf (
      "{\"client_reference\": \"off-4\", \"currency\": \"USD\", \"prices_include_tax\": false,"
      " \"tender\": \"cash\", \"cash\": {\"tendered\": 100000}, \"offline\": {\"sold_at\":"
      " \"2999-01-01T10:00:00Z\"}, \"lines\": [{\"product_id\": %" G_GINT64_FORMAT
      ", \"quantity\": 1, \"name\": \"x\", \"unit_amount\": 1, \"tax_rate\": 0}]}",
      product_id (fixture, "BAK-004"));
  g_autoptr (TillTestResponse) future_refused = checkout (fixture, future);
  g_autofree char *pricing = offline_body (fixture, "off-5", 300, 2, NULL);
  g_autoptr (TillTestResponse) pricing_refused = NULL;
  char *inclusive = strstr (pricing, "\"prices_include_tax\": false");

  assert_json_error (inconsistent, 422, "invalid_cart");
  g_assert_cmpuint (consistent->status, ==, 201);
  assert_json_error (card_refused, 400, "invalid_field");
  assert_json_error (future_refused, 400, "invalid_field");
  memcpy (inclusive, "\"prices_include_tax\": true ", strlen ("\"prices_include_tax\": true "));
  pricing_refused = checkout (fixture, pricing);
  assert_json_error (pricing_refused, 422, "invalid_cart");
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders", NULL), ==, 1);
}

/* A store that forbids offline cash refuses the upload. */
static void
test_offline_forbidden (Fixture *fixture, gconstpointer data)
{
  g_autofree char *body = offline_body (fixture, "off-forbidden", 300, 1, NULL);
  g_autoptr (TillTestResponse) refused = checkout (fixture, body);
  g_autoptr (TillTestResponse) config = api_get (fixture, "/api/v1/config");

  assert_json_error (refused, 409, "offline_cash_forbidden");
  g_assert_false (json_object_get_boolean_member (config->json, "offline_cash"));
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders", NULL), ==, 0);
}

/* An offline sale uploaded after a Z, sold before it, goes on the next Z. */
static void
test_offline_after_z (Fixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestResponse) z1 =
      make_z (fixture, fixture->server->cashier_token, NULL, "{\"counted\": 0}");
  g_autoptr (TillTestResponse) opened = drawer_post (fixture, "open", NULL, "{\"float\": 0}");
  g_autofree char *body = offline_body (fixture, "off-after-z", 300, 1, NULL);
  g_autoptr (TillTestResponse) uploaded = checkout (fixture, body);
  g_autoptr (TillTestResponse) z2 = NULL;

  g_assert_cmpuint (z1->status, ==, 201);
  g_assert_cmpuint (uploaded->status, ==, 201);
  z2 = make_z (fixture, fixture->server->cashier_token, NULL, "{\"counted\": 321}");
  g_assert_cmpuint (z2->status, ==, 201);
  g_assert_cmpint (member_int (json_object_get_object_member (z2->json, "sales"), "count"), ==, 1);
  g_assert_cmpint (member_int (z2->json, "expected"), ==,
                   member_int (order_of (uploaded), "total"));
}

/* A cash order's refund is given back in cash at once, from the refunding terminal's
 * drawer (never Stripe); it counts there and on that terminal's Z. */
static void
test_cash_refund (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cash_body (fixture, reference, "BAK-004", 2000);
  g_autoptr (TillTestResponse) sold = checkout (fixture, body);
  gint64 order_id = member_int (order_of (sold), "id");
  gint64 total = member_int (order_of (sold), "total");
  g_autoptr (TillTestResponse) no_drawer =
      refund (fixture, order_id, "cash-refund-1", "{\"amount\": 100}");
  g_autoptr (TillTestResponse) opened =
      drawer_post (fixture, "open", fixture->server->admin_token, "{\"float\": 1000}");
  g_autoptr (TillTestResponse) given =
      refund (fixture, order_id, "cash-refund-1", "{\"amount\": 100}");
  g_autoptr (TillTestResponse) again =
      refund (fixture, order_id, "cash-refund-1", "{\"amount\": 100}");
  g_autoptr (TillTestResponse) too_much =
      refund (fixture, order_id, "cash-refund-2", "{\"amount\": 100000}");
  g_autoptr (TillTestResponse) closed = NULL;
  g_autoptr (TillTestResponse) z = NULL;
  JsonObject *given_refund;

  /* (The requests above ran in order: the first, with no drawer open, stored nothing.) */
  assert_json_error (no_drawer, 409, "no_drawer_session");
  g_assert_cmpuint (opened->status, ==, 201);
  g_assert_cmpuint (given->status, ==, 201);
  given_refund = json_object_get_object_member (given->json, "refund");
  g_assert_cmpstr (json_object_get_string_member (given_refund, "status"), ==, "succeeded");
  g_assert_true (json_object_get_null_member (given_refund, "refund"));
  g_assert_cmpstr (json_object_get_string_member (order_of (given), "status"), ==,
                   "partially_refunded");
  g_assert_cmpint (member_int (order_of (given), "refunded"), ==, 100);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpint (member_int (json_object_get_object_member (again->json, "refund"), "id"), ==,
                   member_int (given_refund, "id"));
  assert_json_error (too_much, 409, "invalid_state");
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM refunds", NULL), ==, 1);

  /* The refunding terminal's drawer gave it; the selling one's did not. */
  closed = drawer_post (fixture, "close", fixture->server->admin_token, "{\"counted\": 900}");
  g_assert_cmpint (member_int (closed->json, "cash_refunds"), ==, 100);
  g_assert_cmpint (member_int (closed->json, "expected"), ==, 900);
  g_assert_cmpint (member_int (closed->json, "over_short"), ==, 0);
  z = make_z (fixture, fixture->server->admin_token, NULL, NULL);
  g_assert_cmpuint (z->status, ==, 201);
  g_assert_cmpint (member_int (tender_row (z->json, "refunds", "cash"), "amount"), ==, 100);
  g_assert_null (tender_row (z->json, "refunds", "card"));
  {
    g_autofree char *count = g_strdup_printf ("{\"counted\": %" G_GINT64_FORMAT "}", total);
    g_autoptr (TillTestResponse) mine = drawer_post (fixture, "close", NULL, count);

    g_assert_cmpint (member_int (mine->json, "cash_refunds"), ==, 0);
    g_assert_cmpint (member_int (mine->json, "over_short"), ==, 0);
  }
}

/* A split sale, cash first: the cash part is recorded and the order partially paid; the card
 * pays exactly the rest; a declined card leaves the cash recorded, another card pays. */
static void
test_split_declined_then_paid (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = g_strdup_printf (
      "{\"client_reference\": \"%s\", \"currency\": \"USD\", \"tender\": \"split\","
      " \"cash\": {\"amount\": 500, \"tendered\": 1000},"
      " \"lines\": [{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 3}]}",
      reference, product_id (fixture, "BAK-004"));
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  g_autoptr (TillTestResponse) at_stripe = NULL;
  g_autoptr (TillTestResponse) canceled = NULL;
  g_autoptr (TillTestResponse) declined = NULL;
  g_autoptr (TillTestResponse) paid = NULL;
  g_autoptr (TillTestResponse) again = NULL;
  JsonObject *order = order_of (created);
  gint64      order_id = member_int (order, "id");
  gint64      total = member_int (order, "total");
  JsonArray  *tenders;

  g_assert_cmpuint (created->status, ==, 201);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "partially_paid");
  g_assert_cmpstr (json_object_get_string_member (order, "tender"), ==, "split");
  g_assert_cmpint (member_int (order, "paid_amount"), ==, 500);
  g_assert_cmpint (member_int (order, "amount_due"), ==, total - 500);
  g_assert_nonnull (secret_of (created));
  g_assert_cmpint (
      json_object_get_int_member (sim_intent (fixture, intent_of (created), &at_stripe), "amount"),
      ==, total - 500);
  tenders = json_object_get_array_member (order, "tenders");
  g_assert_cmpuint (json_array_get_length (tenders), ==, 2);
  g_assert_cmpint (member_int (json_array_get_object_element (tenders, 0), "change"), ==, 500);
  g_assert_cmpint (member_int (json_array_get_object_element (tenders, 1), "amount"), ==,
                   total - 500);

  /* Its cash is in the drawer: it cannot be canceled. */
  canceled = post_order (fixture, order_id, "cancel", fixture->server->cashier_token, NULL);
  assert_json_error (canceled, 409, "invalid_state");

  /* A declined card: still partially paid, the cash recorded. */
  g_assert_cmpuint (
      till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa_chargeDeclined"), ==,
      402);
  declined = post_order (fixture, order_id, "sync", fixture->server->cashier_token, NULL);
  g_assert_cmpstr (json_object_get_string_member (declined->json, "status"), ==, "partially_paid");
  g_assert_cmpint (member_int (declined->json, "paid_amount"), ==, 500);
  g_assert_nonnull (payment_member (declined->json, "decline_code"));

  /* Another card pays the same intent, the rest. */
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  paid = post_order (fixture, order_id, "sync", fixture->server->cashier_token, NULL);
  g_assert_cmpstr (json_object_get_string_member (paid->json, "status"), ==, "paid");
  g_assert_cmpint (member_int (paid->json, "paid_amount"), ==, total);
  g_assert_cmpint (member_int (paid->json, "amount_due"), ==, 0);
  tenders = json_object_get_array_member (paid->json, "tenders");
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (tenders, 1), "status"), ==,
      "succeeded");

  /* A refund goes back to the card: its part at most. */
  {
    g_autoptr (TillTestResponse) too_much =
        refund (fixture, order_id, "split-refund-1", "{\"amount\": 100000}");
    g_autoptr (TillTestResponse) rest = refund (fixture, order_id, "split-refund-2", "{}");

    assert_json_error (too_much, 409, "invalid_state");
    g_assert_cmpuint (rest->status, ==, 201);
    g_assert_cmpint (member_int (json_object_get_object_member (rest->json, "refund"), "amount"),
                     ==, total - 500);
  }

  /* The same checkout again: the same order, no second cash part. */
  again = checkout (fixture, body);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpint (member_int (order_of (again), "id"), ==, order_id);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM cash_tenders", NULL), ==, 1);

  /* The drawer took the cash part; the day counts each part by its tender. */
  {
    g_autoptr (TillTestResponse) daily = api_get (fixture, "/api/v1/reports/daily");
    g_autoptr (TillTestResponse) x = api_get (fixture, "/api/v1/reports/x");
    g_autoptr (TillTestResponse) closed =
        drawer_post (fixture, "close", NULL, "{\"counted\": 500}");

    g_assert_cmpint (member_int (tender_row (daily->json, "by_method", "cash"), "gross"), ==, 500);
    g_assert_cmpint (member_int (tender_row (x->json, "by_tender", "cash"), "amount"), ==, 500);
    g_assert_cmpint (member_int (tender_row (x->json, "by_tender", "card"), "amount"), ==,
                     total - 500);
    g_assert_cmpint (member_int (json_object_get_object_member (x->json, "sales"), "amount"), ==,
                     total);
    g_assert_cmpint (member_int (closed->json, "cash_sales"), ==, 500);
    g_assert_cmpint (member_int (closed->json, "over_short"), ==, 0);
  }
}

/* A card part Stripe would not charge is refused, and nothing is stored. */
static void
test_split_refused (Fixture *fixture, gconstpointer data)
{
  g_autofree char *body = g_strdup_printf (
      "{\"client_reference\": \"split-small\", \"currency\": \"USD\", \"tender\": \"split\","
      " \"cash\": {\"amount\": 350, \"tendered\": 350},"
      " \"lines\": [{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}",
      product_id (fixture, "BAK-004"));
  g_autoptr (TillTestResponse) refused = checkout (fixture, body);

  assert_json_error (refused, 422, "invalid_amount");
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM orders", NULL), ==, 0);
  g_assert_cmpint (count_rows (fixture, "SELECT count (*) FROM cash_tenders", NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  static const Setup chf = { .currency = "CHF", .cash_rounding = 5 };
  static const Setup no_offline = { .no_offline_cash = TRUE };

  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-cash");

#define ADD(path, setup, func) g_test_add (path, Fixture, setup, cash_setup, func, fixture_teardown)
#define ADD_CLOSED(path, setup, func)                                                              \
  g_test_add (path, Fixture, setup, fixture_setup, func, fixture_teardown)
  ADD ("/server/cash/sale-with-change", NULL, test_sale_with_change);
  ADD ("/server/cash/short", NULL, test_short);
  ADD ("/server/cash/bad-requests", NULL, test_bad_requests);
  ADD ("/server/cash/same-checkout-together", NULL, test_same_checkout_together);
  ADD ("/server/cash/chf-rounding", &chf, test_chf_rounding);
  ADD ("/server/cash/small-sale", NULL, test_small_sale);
  ADD_CLOSED ("/server/cash/no-drawer", NULL, test_no_drawer);
  ADD_CLOSED ("/server/drawer/session", NULL, test_session);
  ADD ("/server/drawer/per-terminal", NULL, test_per_terminal);
  ADD ("/server/drawer/movements", NULL, test_movements);
  ADD ("/server/z-report/immutable", NULL, test_z_report);
  ADD ("/server/cash/refund", NULL, test_cash_refund);
  ADD ("/server/split/declined-then-paid", NULL, test_split_declined_then_paid);
  ADD ("/server/split/refused", NULL, test_split_refused);
  ADD ("/server/offline/upload-once", NULL, test_offline_upload);
  ADD ("/server/offline/refused", NULL, test_offline_refused);
  ADD ("/server/offline/forbidden", &no_offline, test_offline_forbidden);
  ADD ("/server/offline/after-z", NULL, test_offline_after_z);

  return g_test_run ();
}
