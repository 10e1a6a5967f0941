/* test-server-cash.c: cash checkouts (issue 25): change, exactly once, cash rounding on the
 * cash part only, and what they refuse.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

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

int
main (int argc, char **argv)
{
  static const Setup chf = { .currency = "CHF", .cash_rounding = 5 };

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

  return g_test_run ();
}
