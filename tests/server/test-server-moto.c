/* test-server-moto.c: POST /api/v1/orders/{id}/confirm, a card a cashier typed confirmed by
 * the server as a mail or telephone order (MOTO): paid, declined, refused for a kiosk and
 * when [stripe] moto is off, and sent again after a lost answer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-stripe-sim.h"
#include "till-test-fixture.h"

/* [stripe] moto=true, and the simulator an account Stripe approved for MOTO. */
static void
enable_moto (Fixture *fixture)
{
  fixture->server->api->config->moto = TRUE;
  till_stripe_sim_set_moto_enabled (TILL_STRIPE_SIM (fixture->sim->sim), TRUE);
}

static TillTestResponse *
confirm (Fixture *fixture, gint64 order_id, const char *payment_method, gboolean kiosk)
{
  g_autofree char *body = g_strdup_printf ("{\"payment_method\": \"%s\", \"kiosk\": %s}",
                                           payment_method, kiosk ? "true" : "false");

  return post_order (fixture, order_id, "confirm", fixture->server->cashier_token, body);
}

static gint64
new_order (Fixture *fixture, char **out_intent)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);

  g_assert_cmpuint (created->status, ==, 201);
  *out_intent = g_strdup (intent_of (created));
  return json_object_get_int_member (order_of (created), "id");
}

/* How many charges Stripe made for @intent. */
static guint
charges_of (Fixture *fixture, const char *intent)
{
  g_autoptr (TillTestResponse) response = NULL;
  JsonObject *json = sim_intent (fixture, intent, &response);

  return json_array_get_length (
      json_object_get_array_member (json_object_get_object_member (json, "charges"), "data"));
}

/* The app learns from the config whether to send typed cards here. */
static void
test_moto_config (Fixture *fixture, gconstpointer data)
{
  enable_moto (fixture);
  {
    g_autoptr (TillTestResponse) config = till_test_request (
        fixture->server, "GET", "/api/v1/config", fixture->server->cashier_token, NULL);

    g_assert_cmpuint (config->status, ==, 200);
    g_assert_true (json_object_get_boolean_member (config->json, "moto"));
  }
}

static void
test_moto_pays (Fixture *fixture, gconstpointer data)
{
  g_autofree char *intent = NULL;
  gint64           order_id;

  enable_moto (fixture);
  order_id = new_order (fixture, &intent);
  {
    g_autoptr (TillTestResponse) paid = confirm (fixture, order_id, "pm_card_visa", FALSE);

    g_assert_cmpuint (paid->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (paid->json, "status"), ==, "paid");
    g_assert_cmpstr (payment_member (paid->json, "status"), ==, "succeeded");
    g_assert_cmpstr (payment_member (paid->json, "card_last4"), ==, "4242");
  }
  /* Sent again: the paid order, nothing charged twice. */
  {
    g_autoptr (TillTestResponse) again = confirm (fixture, order_id, "pm_card_visa", FALSE);

    g_assert_cmpuint (again->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (again->json, "status"), ==, "paid");
  }
  g_assert_cmpuint (charges_of (fixture, intent), ==, 1);
}

/* A card that asks for 3-D Secure when the customer types it is not asked for it as MOTO. */
static void
test_moto_no_authentication (Fixture *fixture, gconstpointer data)
{
  g_autofree char *intent = NULL;
  gint64           order_id;

  enable_moto (fixture);
  order_id = new_order (fixture, &intent);
  {
    g_autoptr (TillTestResponse) paid =
        confirm (fixture, order_id, "pm_card_authenticationRequired", FALSE);

    g_assert_cmpuint (paid->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (paid->json, "status"), ==, "paid");
  }
}

static void
test_moto_declined (Fixture *fixture, gconstpointer data)
{
  g_autofree char *intent = NULL;
  gint64           order_id;

  enable_moto (fixture);
  order_id = new_order (fixture, &intent);
  {
    g_autoptr (TillTestResponse) declined =
        confirm (fixture, order_id, "pm_card_chargeDeclinedInsufficientFunds", FALSE);

    g_assert_cmpuint (declined->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (declined->json, "status"), ==,
                     "pending_payment");
    g_assert_cmpstr (payment_member (declined->json, "status"), ==, "requires_payment_method");
    g_assert_cmpstr (payment_member (declined->json, "decline_code"), ==, "insufficient_funds");
  }
  /* Another card on the same order: a new confirmation, not the first one's answer again. */
  {
    g_autoptr (TillTestResponse) paid = confirm (fixture, order_id, "pm_card_mastercard", FALSE);

    g_assert_cmpuint (paid->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (paid->json, "status"), ==, "paid");
    g_assert_cmpstr (payment_member (paid->json, "card_brand"), ==, "mastercard");
    g_assert_null (payment_member (paid->json, "decline_code"));
  }
}

/* Stripe's answer is lost after it confirmed: the retry with the same key gets that answer
 * back, so the order is paid once. */
static void
test_moto_retry (Fixture *fixture, gconstpointer data)
{
  g_autofree char *intent = NULL;
  gint64           order_id;

  enable_moto (fixture);
  order_id = new_order (fixture, &intent);
  till_test_sim_fault (fixture->sim, "drop-after", 1);
  {
    g_autoptr (TillTestResponse) paid = confirm (fixture, order_id, "pm_card_visa", FALSE);

    g_assert_cmpuint (paid->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (paid->json, "status"), ==, "paid");
  }
  till_test_sim_clear_faults (fixture->sim);
  g_assert_cmpuint (charges_of (fixture, intent), ==, 1);
}

static void
test_moto_refused (Fixture *fixture, gconstpointer data)
{
  g_autofree char *intent = NULL;
  gint64           order_id = new_order (fixture, &intent);

  /* [stripe] moto is off. */
  {
    g_autoptr (TillTestResponse) refused = confirm (fixture, order_id, "pm_card_visa", FALSE);

    assert_json_error (refused, 409, "moto_not_allowed");
  }
  enable_moto (fixture);
  /* A kiosk: the customer types their own card. */
  {
    g_autoptr (TillTestResponse) refused = confirm (fixture, order_id, "pm_card_visa", TRUE);

    assert_json_error (refused, 409, "moto_not_allowed");
  }
  /* Bad requests: nothing sent to Stripe. */
  {
    g_autoptr (TillTestResponse) bad = confirm (fixture, order_id, "pi_123_secret_456", FALSE);

    assert_json_error (bad, 400, "invalid_field");
  }
  {
    g_autoptr (TillTestResponse) bad =
        post_order (fixture, order_id, "confirm", fixture->server->cashier_token,
                    "{\"payment_method\": \"pm_card_visa\"}");

    assert_json_error (bad, 400, "missing_field");
  }
  g_assert_cmpuint (charges_of (fixture, intent), ==, 0);
  {
    g_autofree char *status = NULL;

    g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "pending_payment");
  }
  /* The account not approved by Stripe: Stripe's refusal, the order still to pay. */
  till_stripe_sim_set_moto_enabled (TILL_STRIPE_SIM (fixture->sim->sim), FALSE);
  {
    g_autoptr (TillTestResponse) refused = confirm (fixture, order_id, "pm_card_visa", FALSE);

    assert_json_error (refused, 409, "moto_not_allowed");
    g_assert_nonnull (strstr (error_message (refused), "Stripe has not approved"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-moto");

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/server/moto/config", test_moto_config);
  ADD ("/server/moto/pays", test_moto_pays);
  ADD ("/server/moto/no-authentication", test_moto_no_authentication);
  ADD ("/server/moto/declined", test_moto_declined);
  ADD ("/server/moto/retry", test_moto_retry);
  ADD ("/server/moto/refused", test_moto_refused);
#undef ADD

  return g_test_run ();
}
