/* test-server-selftest.c: `till-server selftest` against the simulator, pointed at it with
 * the setting the server itself uses (TILL_STRIPE_API_BASE), with a till-server receiving the
 * simulator's signed webhooks; and what it refuses before sending anything.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-stripe-sim.h"
#include "till-test-cli.h"

#define OTHER_SECRET "whsec_till_server_tests_another_one"

typedef struct
{
  TillTestSim    *sim;
  TillTestServer *server;
  char           *webhook_url;
  char           *api_base;
} Fixture;

/* @sim_secret: what the simulator (Stripe) signs its deliveries with. */
static void
fixture_setup (Fixture *fixture, const char *sim_secret)
{
  g_autoptr (GError) error = NULL;

  fixture->sim = till_test_sim_new ();
  fixture->server = till_test_server_new (fixture->sim->base, NULL, NULL);
  fixture->webhook_url = g_strconcat (fixture->server->base, "/stripe/webhook", NULL);
  fixture->api_base = g_strconcat ("TILL_STRIPE_API_BASE=", fixture->sim->base, NULL);
  g_assert_true (till_stripe_sim_set_webhook (TILL_STRIPE_SIM (fixture->sim->sim),
                                              fixture->webhook_url, sim_secret, &error));
  g_assert_no_error (error);
  till_stripe_sim_set_webhook_retry (TILL_STRIPE_SIM (fixture->sim->sim), 20, 3);
}

static void
fixture_teardown (Fixture *fixture)
{
  till_test_server_free (fixture->server);
  till_test_sim_free (fixture->sim);
  g_free (fixture->webhook_url);
  g_free (fixture->api_base);
}

/* `till-server selftest --webhook-url … [@extra]` with the test key and @webhook_secret. */
static int
run_selftest (Fixture    *fixture,
              const char *webhook_secret,
              const char *extra,
              char      **out_stdout,
              char      **out_stderr)
{
  g_autofree char *secret = g_strconcat ("TILL_STRIPE_WEBHOOK_SECRET=", webhook_secret, NULL);
  const char      *env[] = { fixture->api_base, "TILL_STRIPE_SECRET_KEY=" TILL_TEST_SECRET_KEY,
                             "TILL_STRIPE_RETRY_BASE_MS=10", secret, NULL };
  const char      *argv[] = {
         "--db", "/nonexistent/till.db", "selftest", "--webhook-url", fixture->webhook_url, extra, NULL
  };

  return cli_run (argv, env, out_stdout, out_stderr);
}

static guint
count_intents (Fixture *fixture, const char *status)
{
  g_autoptr (TillTestResponse) list =
      till_test_sim_call (fixture->sim, "GET", "/v1/payment_intents?limit=100", NULL);
  JsonArray *data = json_object_get_array_member (list->json, "data");
  guint      count = 0;

  g_assert_cmpuint (list->status, ==, 200);
  for (guint i = 0; i < json_array_get_length (data); i++)
    if (status == NULL || g_str_equal (json_object_get_string_member (
                                           json_array_get_object_element (data, i), "status"),
                                       status))
      count++;
  return count;
}

static void
test_passes (void)
{
  Fixture          fixture = { 0 };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (TillTestResponse) refunds = NULL;

  fixture_setup (&fixture, TILL_TEST_WEBHOOK_SECRET);
  g_assert_cmpint (run_selftest (&fixture, TILL_TEST_WEBHOOK_SECRET, NULL, &out, &err), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "test mode, API version 2020-08-27"));
  g_assert_nonnull (strstr (out, "with pm_card_visa: succeeded, charge ch_"));
  g_assert_nonnull (strstr (out, "and canceled it"));
  g_assert_nonnull (strstr (out, "refuses an event with a wrong signature"));
  g_assert_nonnull (strstr (out, "passed its signature check"));
  g_assert_nonnull (strstr (out, "\nSelf-test passed\n"));
  g_assert_null (strstr (out, "FAIL"));
  /* What Stripe holds afterwards: one intent refunded in full, one canceled. */
  g_assert_cmpuint (count_intents (&fixture, "succeeded"), ==, 1);
  g_assert_cmpuint (count_intents (&fixture, "canceled"), ==, 1);
  refunds = till_test_sim_call (fixture.sim, "GET", "/v1/refunds", NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (refunds->json, "data")),
                    ==, 1);
  fixture_teardown (&fixture);
}

/* The Dashboard's endpoint signs with a secret the server does not have: Stripe's delivery
 * is refused, and the self-test says where to look. */
static void
test_dashboard_secret_differs (void)
{
  Fixture          fixture = { 0 };
  g_autofree char *out = NULL, *err = NULL;
  const char      *argv_wait = "--webhook-wait=2";

  fixture_setup (&fixture, OTHER_SECRET);
  g_assert_cmpint (run_selftest (&fixture, TILL_TEST_WEBHOOK_SECRET, argv_wait, &out, &err), ==, 1);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "and canceled it"));
  g_assert_nonnull (strstr (out, "had not received evt_"));
  g_assert_nonnull (strstr (out, "signing secret is the server’s webhook secret"));
  g_assert_null (strstr (out, "Self-test passed"));
  g_assert_nonnull (strstr (err, "The self-test failed"));
  fixture_teardown (&fixture);
}

/* The selftest is given a secret the running server does not have. */
static void
test_server_secret_differs (void)
{
  Fixture          fixture = { 0 };
  g_autofree char *out = NULL, *err = NULL;

  fixture_setup (&fixture, TILL_TEST_WEBHOOK_SECRET);
  g_assert_cmpint (run_selftest (&fixture, OTHER_SECRET, NULL, &out, &err), ==, 1);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "refused an event signed with this configuration’s webhook "
                                 "secret (400)"));
  g_assert_null (strstr (out, "Self-test passed"));
  fixture_teardown (&fixture);
}

static void
test_skip_webhook (void)
{
  Fixture          fixture = { 0 };
  g_autofree char *out = NULL, *err = NULL;

  fixture_setup (&fixture, OTHER_SECRET);
  g_assert_cmpint (run_selftest (&fixture, TILL_TEST_WEBHOOK_SECRET, "--skip-webhook", &out, &err),
                   ==, 0);
  g_assert_nonnull (strstr (out, "Self-test passed; the webhook was not checked"));
  fixture_teardown (&fixture);
}

/* Refused before anything is sent to Stripe: exit 2, a clear message, no intent made. */
static void
test_refused (void)
{
  Fixture fixture = { 0 };
  struct
  {
    const char *env[4];
    const char *extra;
    const char *message;
  } cases[] = {
    { { NULL }, NULL, "No Stripe secret key" },
    { { "TILL_STRIPE_SECRET_KEY=sk_live_till_server_tests_0123456789", NULL },
      NULL,
      "test key (sk_test_…) only" },
    { { "TILL_STRIPE_SECRET_KEY=" TILL_TEST_SECRET_KEY, NULL }, NULL, "No webhook secret" },
    { { "TILL_STRIPE_SECRET_KEY=" TILL_TEST_SECRET_KEY,
        "TILL_STRIPE_WEBHOOK_SECRET=" TILL_TEST_WEBHOOK_SECRET, NULL },
      "--webhook-url=ftp://example.com/",
      "--webhook-url must be" },
    { { "TILL_STRIPE_SECRET_KEY=" TILL_TEST_SECRET_KEY, NULL },
      "--training",
      "training mode has none" },
    { { "TILL_STRIPE_SECRET_KEY=" TILL_TEST_SECRET_KEY, NULL },
      "--webhook-wait=0",
      "--webhook-wait must be" },
  };

  fixture_setup (&fixture, TILL_TEST_WEBHOOK_SECRET);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      g_autoptr (GPtrArray) env = g_ptr_array_new ();
      const char *argv[] = { "--db", "/nonexistent/till.db", "selftest", cases[i].extra, NULL };

      g_ptr_array_add (env, fixture.api_base);
      for (guint j = 0; cases[i].env[j] != NULL; j++)
        g_ptr_array_add (env, (gpointer) cases[i].env[j]);
      g_ptr_array_add (env, NULL);
      g_assert_cmpint (cli_run (argv, (const char *const *) env->pdata, &out, &err), ==, 2);
      g_test_message ("%s", err);
      g_assert_nonnull (strstr (err, cases[i].message));
    }
  g_assert_cmpuint (count_intents (&fixture, NULL), ==, 0);
  fixture_teardown (&fixture);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-selftest");

  g_test_add_func ("/server/selftest/passes", test_passes);
  g_test_add_func ("/server/selftest/dashboard-secret-differs", test_dashboard_secret_differs);
  g_test_add_func ("/server/selftest/server-secret-differs", test_server_secret_differs);
  g_test_add_func ("/server/selftest/skip-webhook", test_skip_webhook);
  g_test_add_func ("/server/selftest/refused", test_refused);

  return g_test_run ();
}
