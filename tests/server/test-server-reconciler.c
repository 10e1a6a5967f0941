/* test-server-reconciler.c: the reconciler's rounds: orders and refunds whose Stripe answer never
 * came, intents Stripe forgot, rounds over more than one page.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-stripe-sim.h"
#include "till-test-fixture.h"

static void
test_reconcile (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference_paid = till_test_new_reference ();
  g_autofree char *reference_lost = till_test_new_reference ();
  g_autofree char *body_paid = NULL;
  g_autofree char *body_lost = NULL;
  g_autoptr (TillTestResponse) created = NULL;
  g_autofree char *status = NULL;
  guint            changed;
  gint64           paid_id, lost_id;

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
    g_autoptr (TillTestResponse) failed = checkout (fixture, body_lost);
    g_assert_cmpuint (failed->status, ==, 503);
  }
  till_test_sim_clear_faults (fixture->sim);
  lost_id = paid_id + 1;

  /* Orders younger than sync-after are left alone. */
  reconcile_round (fixture);
  g_assert_cmpstr (order_status (fixture, paid_id, &status), ==, "pending_payment");
  g_clear_pointer (&status, g_free);

  /* Older than that: synced. Rewind the clock in the database rather than wait. */
  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 5000000", NULL));
  changed = reconcile_round (fixture);
  g_assert_cmpuint (changed, ==, 2);
  g_assert_cmpstr (order_status (fixture, paid_id, &status), ==, "paid");
  g_clear_pointer (&status, g_free);
  {
    /* The lost intent was found again with the same key, not made twice. */
    g_autoptr (TillTestResponse) lost = get_order (fixture, lost_id);
    g_assert_nonnull (payment_member (lost->json, "payment_intent"));
    g_assert_cmpstr (json_object_get_string_member (lost->json, "status"), ==, "pending_payment");
  }
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, lost_id), ==, 1);

  /* Abandoned for longer than cancel-after: its intent is canceled, and the order. */
  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 7200000000",
                                     NULL));
  reconcile_round (fixture);
  g_assert_cmpstr (order_status (fixture, lost_id, &status), ==, "canceled");
  g_clear_pointer (&status, g_free);
  g_assert_cmpstr (order_status (fixture, paid_id, &status), ==, "paid");
}

/* More orders stay pending than a round takes (customers who walked away): a newer order paid
 * at Stripe, whose webhook and sync never came, is still reached by the next rounds. */
static void
test_reconcile_many_pending (Fixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestResponse) paid = NULL;
  g_autofree char *status = NULL;
  gint64           paid_id;
  guint            rounds;

  use_reconciling_server (fixture);
  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *reference = till_test_new_reference ();
      g_autofree char *body = cart_body (fixture, reference);
      g_autoptr (TillTestResponse) unpaid = checkout (fixture, body);

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
      reconcile_round (fixture);
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
test_reconcile_refunds_walk (Fixture *fixture, gconstpointer data)
{
  TillDatabase    *db;
  g_autofree char *intent = NULL;
  g_autofree char *sql = NULL;
  gint64           order_id;

  use_reconciling_server (fixture);
  db = till_api_get_database (fixture->server->api);
  order_id = paid_order (fixture, &intent);
  /* 60 refunds of 0.01, reserved long ago, never made at Stripe. */
  sql = g_strdup_printf ("WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                         " WHERE i < 60) INSERT INTO refunds (order_id, request_id, amount,"
                         " status, created_at) SELECT %" G_GINT64_FORMAT ", 'stuck-' || i, 1,"
                         " 'pending', 1 FROM n",
                         order_id);
  g_assert_true (till_database_exec (db, sql, NULL));

  /* Round 1: Stripe fails every call; the 50 oldest stay pending. */
  till_test_sim_fault (fixture->sim, "500", 1000);
  reconcile_round (fixture);
  till_test_sim_clear_faults (fixture->sim);
  g_assert_cmpint (
      count_rows (fixture, "SELECT count (*) FROM refunds WHERE status = 'pending'", NULL), ==, 60);

  /* Round 2 takes the 10 after them: the newest is made. */
  reconcile_round (fixture);
  g_assert_cmpint (count_rows (fixture,
                               "SELECT count (*) FROM refunds WHERE request_id ="
                               " 'stuck-60' AND status = 'succeeded'",
                               NULL),
                   ==, 1);
  g_assert_cmpint (
      count_rows (fixture, "SELECT count (*) FROM refunds WHERE status = 'pending'", NULL), ==, 50);
}

/* The training simulator forgets old intents: a pending order whose intent Stripe no longer
 * knows is never marked paid, stays pending while it is young, and is canceled once
 * abandoned, so it never holds up the reconciler's rounds. */
static void
test_reconcile_forgotten_intent (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference_old = till_test_new_reference ();
  g_autofree char *reference_new = till_test_new_reference ();
  g_autofree char *body_old = NULL;
  g_autofree char *body_new = NULL;
  g_autoptr (TillTestResponse) old_created = NULL;
  g_autoptr (TillTestResponse) new_created = NULL;
  g_autoptr (TillTestResponse) missing = NULL;
  g_autofree char *path = NULL;
  g_autofree char *status = NULL;
  guint            changed;
  gint64           old_id, new_id;

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
  reconcile_round (fixture);
  g_assert_cmpstr (order_status (fixture, old_id, &status), ==, "pending_payment");
  g_clear_pointer (&status, g_free);
  g_assert_cmpstr (order_status (fixture, new_id, &status), ==, "pending_payment");
  g_clear_pointer (&status, g_free);

  /* Abandoned: canceled, the one Stripe forgot as the one it still has. */
  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 7200000000",
                                     NULL));
  changed = reconcile_round (fixture);
  g_assert_cmpuint (changed, ==, 2);
  g_assert_cmpstr (order_status (fixture, old_id, &status), ==, "canceled");
  g_clear_pointer (&status, g_free);
  g_assert_cmpstr (order_status (fixture, new_id, &status), ==, "canceled");
  g_clear_pointer (&status, g_free);
  {
    g_autoptr (TillTestResponse) order = get_order (fixture, old_id);

    g_assert_cmpstr (payment_member (order->json, "payment_intent"), ==, intent_of (old_created));
  }
}

/* An intent whose answer was lost, and which was paid meanwhile: Stripe answers its key again
 * with the intent as it was made, unpaid. The order is still paid, at once: by the same
 * checkout sent again, or by the first round of the reconciler. */
static void
test_lost_intent_paid (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = NULL;
  g_autofree char *other_reference = till_test_new_reference ();
  g_autofree char *other_body = NULL;
  g_autofree char *status = NULL;
  gint64           order_id, other_id;

  use_reconciling_server (fixture);
  body = cart_body (fixture, reference);
  other_body = cart_body (fixture, other_reference);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (TillTestResponse) failed = NULL;
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
    g_autoptr (TillTestResponse) again = checkout (fixture, body);

    g_assert_cmpuint (again->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (order_of (again), "id"), ==, order_id);
    g_assert_cmpstr (json_object_get_string_member (order_of (again), "status"), ==, "paid");
  }

  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 5000000", NULL));
  reconcile_round (fixture);
  g_assert_cmpstr (order_status (fixture, other_id, &status), ==, "paid");
  g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, other_id), ==, 1);
}

static const char *
sim_intent_status (Fixture *fixture, gint64 order_id, char **out)
{
  g_autofree char *intent = till_test_sim_find_intent (fixture->sim, order_id);
  g_autoptr (TillTestResponse) response = NULL;

  g_assert_nonnull (intent);
  *out =
      g_strdup (json_object_get_string_member (sim_intent (fixture, intent, &response), "status"));
  return *out;
}

/* Stripe forgets an idempotency key a day after its first use: an order whose intent's
 * answer was lost more than a day ago is looked for among Stripe's intents by its metadata,
 * by the reconciler, by the same checkout sent again, and by a cancel. A second intent is
 * never made for it, and a paid one is never left behind a canceled order. */
static void
test_lost_intent_key_forgotten (Fixture *fixture, gconstpointer data)
{
  enum
  {
    PAID,
    UNPAID,
    NEVER_MADE,
    CANCELED,
    CHECKOUT_PAID,
    CHECKOUT_NEVER_MADE,
    N_ORDERS
  };
  g_autoptr (GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  gint64           ids[N_ORDERS];
  g_autofree char *status = NULL;
  guint            changed;

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
  changed = reconcile_round (fixture);
  till_test_sim_clear_faults (fixture->sim);
  g_assert_cmpuint (changed, ==, 0);
  for (guint i = 0; i < N_ORDERS; i++)
    {
      g_assert_cmpstr (order_status (fixture, ids[i], &status), ==, "pending_payment");
      g_clear_pointer (&status, g_free);
      g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, ids[i]), ==,
                        i == NEVER_MADE || i == CHECKOUT_NEVER_MADE ? 0 : 1);
    }

  /* The same checkout again: the paid intent is found, or one is made now. */
  {
    g_autoptr (TillTestResponse) again = checkout (fixture, bodies->pdata[CHECKOUT_PAID]);

    g_assert_cmpuint (again->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (order_of (again), "status"), ==, "paid");
    g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, ids[CHECKOUT_PAID]), ==, 1);
  }
  {
    g_autoptr (TillTestResponse) again = checkout (fixture, bodies->pdata[CHECKOUT_NEVER_MADE]);
    g_autofree char *made = till_test_sim_find_intent (fixture->sim, ids[CHECKOUT_NEVER_MADE]);

    g_assert_cmpuint (again->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (order_of (again), "status"), ==,
                     "pending_payment");
    g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, ids[CHECKOUT_NEVER_MADE]), ==, 1);
    g_assert_cmpstr (intent_of (again), ==, made);
  }
  /* A cancel: the intent found is canceled at Stripe too. */
  {
    g_autoptr (TillTestResponse) canceled =
        post_order (fixture, ids[CANCELED], "cancel", fixture->server->cashier_token, NULL);

    g_assert_cmpuint (canceled->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (canceled->json, "status"), ==, "canceled");
    g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, ids[CANCELED]), ==, 1);
    g_assert_cmpstr (sim_intent_status (fixture, ids[CANCELED], &status), ==, "canceled");
    g_clear_pointer (&status, g_free);
  }

  /* The reconciler: the paid intent found, the unpaid one canceled, and the order that never
   * had one canceled without asking Stripe to make one. */
  changed = reconcile_round (fixture);
  g_assert_cmpuint (changed, ==, 4);
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
test_reconcile_refund (Fixture *fixture, gconstpointer data)
{
  g_autofree char *intent = NULL;
  gint64           order_id;
  guint            changed;

  use_reconciling_server (fixture);
  order_id = paid_order (fixture, &intent);

  /* Stripe makes the refund, but till-server never hears back. */
  till_test_sim_fault (fixture->sim, "drop-after", 1);
  till_test_sim_fault (fixture->sim, "500", 8);
  {
    g_autoptr (TillTestResponse) lost =
        refund (fixture, order_id, "lost-refund", "{\"amount\": 400}");
    g_assert_cmpuint (lost->status, ==, 503);
  }
  till_test_sim_clear_faults (fixture->sim);
  {
    /* Reserved meanwhile: the remainder is 1039 − 400. */
    g_autoptr (TillTestResponse) too_much =
        refund (fixture, order_id, "other", "{\"amount\": 1039}");
    g_assert_cmpuint (too_much->status, ==, 409);
  }
  {
    g_autoptr (TillTestResponse) order = get_order (fixture, order_id);
    g_assert_cmpstr (json_object_get_string_member (order->json, "status"), ==, "paid");
  }

  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE refunds SET created_at = created_at - 5000000", NULL));
  changed = reconcile_round (fixture);
  g_assert_cmpuint (changed, ==, 1);
  {
    g_autoptr (TillTestResponse) order = get_order (fixture, order_id);
    JsonObject *stored =
        json_array_get_object_element (json_object_get_array_member (order->json, "refunds"), 0);

    g_assert_cmpstr (json_object_get_string_member (order->json, "status"), ==,
                     "partially_refunded");
    g_assert_cmpint (json_object_get_int_member (order->json, "refunded"), ==, 400);
    g_assert_cmpstr (json_object_get_string_member (stored, "status"), ==, "succeeded");
  }
  {
    /* Exactly one refund at Stripe. */
    g_autoptr (TillTestResponse) events =
        till_test_sim_call (fixture->sim, "GET", "/v1/events?type=refund.created&limit=100", NULL);
    JsonArray *list = json_object_get_array_member (events->json, "data");
    guint      count = 0;

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

/* A split order's card part paid at Stripe, its webhook and sync lost: the reconciler pays
 * the order; long after, it is still not canceled (its cash is in a drawer). */
static void
test_reconcile_partially_paid (Fixture *fixture, gconstpointer data)
{
  g_autofree char *status = NULL;
  g_autofree char *body = NULL;
  g_autoptr (TillTestResponse) opened = NULL;
  g_autoptr (TillTestResponse) created = NULL;
  g_autoptr (TillTestResponse) unpaid = NULL;
  g_autofree char *unpaid_body = NULL;
  gint64           paid_id, unpaid_id;

  use_reconciling_server (fixture);
  opened = till_test_request (fixture->server, "POST", "/api/v1/drawer/open",
                              fixture->server->cashier_token, "{\"float\": 0}");
  g_assert_cmpuint (opened->status, ==, 201);
  body = g_strdup_printf ("{\"client_reference\": \"split-r1\", \"currency\": \"USD\","
                          " \"tender\": \"split\", \"cash\": {\"amount\": 100, \"tendered\": 100},"
                          " \"lines\": [{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 3}]}",
                          product_id (fixture, "BAK-004"));
  created = checkout (fixture, body);
  g_assert_cmpuint (created->status, ==, 201);
  paid_id = json_object_get_int_member (order_of (created), "id");
  unpaid_body =
      g_strdup_printf ("{\"client_reference\": \"split-r2\", \"currency\": \"USD\","
                       " \"tender\": \"split\", \"cash\": {\"amount\": 100, \"tendered\": 100},"
                       " \"lines\": [{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 3}]}",
                       product_id (fixture, "BAK-004"));
  unpaid = checkout (fixture, unpaid_body);
  g_assert_cmpuint (unpaid->status, ==, 201);
  unpaid_id = json_object_get_int_member (order_of (unpaid), "id");
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);

  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 5000000", NULL));
  reconcile_round (fixture);
  g_assert_cmpstr (order_status (fixture, paid_id, &status), ==, "paid");
  g_clear_pointer (&status, g_free);

  /* Long past cancel-after: the unpaid one keeps its cash part and its intent. */
  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api),
                                     "UPDATE orders SET created_at = created_at - 7200000000",
                                     NULL));
  reconcile_round (fixture);
  g_assert_cmpstr (order_status (fixture, unpaid_id, &status), ==, "partially_paid");
  {
    g_autoptr (TillTestResponse) at_stripe = NULL;
    JsonObject *intent = sim_intent (fixture, intent_of (unpaid), &at_stripe);

    g_assert_cmpstr (json_object_get_string_member (intent, "status"), ==,
                     "requires_payment_method");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-reconciler");

#define ADD(path, setup, func)                                                                     \
  g_test_add (path, Fixture, setup, fixture_setup, func, fixture_teardown)
  ADD ("/server/reconcile", NULL, test_reconcile);
  ADD ("/server/reconcile/forgotten-intent", NULL, test_reconcile_forgotten_intent);
  ADD ("/server/reconcile-refund", NULL, test_reconcile_refund);
  ADD ("/server/reconcile-refunds-walk", NULL, test_reconcile_refunds_walk);
  ADD ("/server/reconcile-many-pending", NULL, test_reconcile_many_pending);
  ADD ("/server/reconcile-lost-intent-paid", NULL, test_lost_intent_paid);
  ADD ("/server/reconcile-lost-intent-key-forgotten", NULL, test_lost_intent_key_forgotten);
  ADD ("/server/reconcile-partially-paid", NULL, test_reconcile_partially_paid);
#undef ADD

  return g_test_run ();
}
