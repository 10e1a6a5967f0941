/* test-stripe-sim-rate.c: the simulator's rate limiter, as Stripe's answers it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Stripe counts an account's API requests, every key and endpoint alike, and answers 429
 * `rate_limit` past its limit (docs.stripe.com/rate-limits). The in-process cases move the
 * simulator's clock on instead of waiting for the window to pass.
 */
#include "config.h"

#include <signal.h>

#include "sim-test-util.h"
#include "till-stripe-sim-private.h"

#define PUBLISHABLE_KEY "pk_test_till_simulator_tests"

typedef struct
{
  TillStripeSim *sim;
  SoupSession   *session;
  char          *intents;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->sim = till_stripe_sim_new (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (till_stripe_sim_listen (f->sim, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  f->session = soup_session_new ();
  f->intents = g_strconcat (till_stripe_sim_get_base_uri (f->sim), "v1/payment_intents", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_free (f->intents);
  g_object_unref (f->session);
  till_stripe_sim_disconnect (f->sim);
  g_object_unref (f->sim);
}

static guint
refused (Fixture *f)
{
  TillStripeSimCounts counts;

  till_stripe_sim_get_counts (f->sim, &counts);
  return counts.rate_limited;
}

/* Stripe's answer past the limit, word for word where its libraries read it. */
static void
assert_rate_limited (SimResponse *r)
{
  g_assert_cmpuint (r->status, ==, 429);
  g_assert_cmpstr (sim_json_string (r->json, "error.type"), ==, "invalid_request_error");
  g_assert_cmpstr (sim_json_string (r->json, "error.code"), ==, "rate_limit");
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Stripe-Should-Retry"), ==, "true");
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Stripe-Rate-Limited-Reason"), ==,
                   "global-rate");
  g_assert_nonnull (soup_message_headers_get_one (r->headers, "Request-Id"));
  /* Stripe asks for backoff; it names no time. */
  g_assert_null (soup_message_headers_get_one (r->headers, "Retry-After"));
}

/* Three requests a second: the fourth in the same second is refused, before idempotency
 * (its key is not kept: the same key later makes the intent), whatever the key or
 * endpoint; a second later there is room again. */
static void
test_limit (Fixture *f, gconstpointer data)
{
  gint64 started = g_get_monotonic_time ();
  g_autoptr (SimResponse) first = NULL;
  g_autoptr (SimResponse) second = NULL;
  g_autoptr (SimResponse) third = NULL;
  g_autoptr (SimResponse) over = NULL;
  g_autoptr (SimResponse) over_publishable = NULL;
  g_autoptr (SimResponse) later = NULL;
  g_autoptr (SimResponse) again = NULL;
  g_autofree char *retrieve = NULL;

  g_assert_cmpuint (till_stripe_sim_get_rate_limit (f->sim), ==, 0);
  till_stripe_sim_set_rate_limit (f->sim, 3);
  g_assert_cmpuint (till_stripe_sim_get_rate_limit (f->sim), ==, 3);

  first =
      sim_request (f->session, "POST", f->intents, SIM_TEST_KEY, "amount=1250&currency=usd", NULL);
  g_assert_cmpuint (first->status, ==, 200);
  retrieve = g_strdup_printf ("%s/%s", f->intents, sim_json_string (first->json, "id"));
  second = sim_request (f->session, "GET", retrieve, SIM_TEST_KEY, NULL, NULL);
  third =
      sim_request (f->session, "GET", f->intents, "sk_test_another_key_of_the_account", NULL, NULL);
  over = sim_request (f->session, "POST", f->intents, SIM_TEST_KEY, "amount=700&currency=usd",
                      "Idempotency-Key", "rate-limited-key", NULL);
  over_publishable = sim_request (f->session, "GET", retrieve, PUBLISHABLE_KEY, NULL, NULL);
  if (g_get_monotonic_time () - started >= G_USEC_PER_SEC)
    {
      /* The machine is too slow for five requests in a second: the window passed. */
      g_test_skip ("five requests took a second");
      return;
    }
  g_assert_cmpuint (second->status, ==, 200);
  g_assert_cmpuint (third->status, ==, 200);
  assert_rate_limited (over);
  assert_rate_limited (over_publishable);
  g_assert_cmpuint (refused (f), ==, 2);

  /* A second on: the key refused before was never kept, so it makes the intent now. */
  till_stripe_sim_advance_clock (f->sim, 1);
  later = sim_request (f->session, "POST", f->intents, SIM_TEST_KEY, "amount=700&currency=usd",
                       "Idempotency-Key", "rate-limited-key", NULL);
  g_assert_cmpuint (later->status, ==, 200);
  g_assert_null (soup_message_headers_get_one (later->headers, "Idempotent-Replayed"));
  g_assert_cmpint (sim_json_int (later->json, "amount"), ==, 700);

  /* No limit again. */
  till_stripe_sim_set_rate_limit (f->sim, 0);
  for (guint i = 0; i < 6; i++)
    {
      g_autoptr (SimResponse) r =
          sim_request (f->session, "GET", retrieve, SIM_TEST_KEY, NULL, NULL);

      g_assert_cmpuint (r->status, ==, 200);
    }
  again = sim_request (f->session, "GET", f->intents, SIM_TEST_KEY, NULL, NULL);
  g_assert_cmpuint (again->status, ==, 200);
}

/* The injected 429 is the limiter's answer, headers and all. */
static void
test_injected_fault (Fixture *f, gconstpointer data)
{
  g_autoptr (SimResponse) r = NULL;

  till_stripe_sim_set_faults_enabled (f->sim, TRUE);
  r = sim_request (f->session, "POST", f->intents, SIM_TEST_KEY, "amount=1250&currency=usd",
                   "Till-Sim-Fault", "429", NULL);
  assert_rate_limited (r);
}

/* Requests refused for their key are not counted: the limit is the account's. */
static void
test_unauthenticated_not_counted (Fixture *f, gconstpointer data)
{
  g_autoptr (SimResponse) ok = NULL;

  till_stripe_sim_set_rate_limit (f->sim, 1);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (SimResponse) r =
          sim_request (f->session, "GET", f->intents, "sk_live_not_for_the_simulator", NULL, NULL);

      g_assert_cmpuint (r->status, ==, 401);
    }
  ok = sim_request (f->session, "GET", f->intents, SIM_TEST_KEY, NULL, NULL);
  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_cmpuint (refused (f), ==, 0);
}

static GSubprocess *
program_start (const char *const *argv, char **out_url)
{
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_SIM_SECRET_KEY");
  process = till_test_spawn (launcher, argv, out_url, NULL, &error);
  g_assert_no_error (error);
  return process;
}

/* --rate-limit 1: of requests sent one after another, one is refused within a second. */
static void
test_program_option (void)
{
  const char      *argv[] = { SIM_PROGRAM, "--listen", "127.0.0.1:0", "--rate-limit", "1", NULL };
  g_autofree char *url = NULL;
  GSubprocess     *process = program_start (argv, &url);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *uri = NULL;
  guint            ok = 0, limited = 0;

  g_assert_nonnull (url);
  uri = g_strconcat (url, "v1/payment_intents", NULL);
  for (guint i = 0; i < 10 && limited == 0; i++)
    {
      g_autoptr (SimResponse) r = sim_request (session, "GET", uri, "sk_test_program", NULL, NULL);

      if (r->status == 429)
        {
          assert_rate_limited (r);
          limited++;
        }
      else
        {
          g_assert_cmpuint (r->status, ==, 200);
          ok++;
        }
    }
  g_assert_cmpuint (limited, ==, 1);
  g_assert_cmpuint (ok, >=, 1);
  g_assert_cmpint (till_test_stop_process (process, SIGTERM), ==, 0);
  g_object_unref (process);
}

/* A limit that is not a count the simulator can keep is refused with the range. */
static void
test_program_bad_option (void)
{
  static const char *const values[] = { "-1", "100001", "many" };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      const char *argv[] = {
        SIM_PROGRAM, "--listen", "127.0.0.1:0", "--rate-limit", values[i], NULL
      };
      g_autoptr (GSubprocessLauncher) launcher =
          till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
      g_assert_cmpint (till_test_run_launcher (launcher, argv, &out, &err), ==, 2);
      g_assert_cmpstr (out, ==, "");
      g_assert_nonnull (strstr (err, "rate-limit"));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/stripe-sim/rate-limit/limit", test_limit);
  ADD ("/stripe-sim/rate-limit/injected-fault", test_injected_fault);
  ADD ("/stripe-sim/rate-limit/unauthenticated", test_unauthenticated_not_counted);
#undef ADD
  g_test_add_func ("/stripe-sim/rate-limit/program", test_program_option);
  g_test_add_func ("/stripe-sim/rate-limit/program-bad-option", test_program_bad_option);
  return g_test_run ();
}
