/* test-stripe-sim-program.c: the standalone till-stripe-sim program.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "sim-test-util.h"

typedef struct
{
  GSubprocess *process;
  char        *url;
} Program;

/* Starts the program and reads the URL it prints (NULL if it printed none). */
static Program *
program_start (const char *const *argv, const char *secret_key_env)
{
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr (GError) error = NULL;
  Program *program = g_new0 (Program, 1);

  if (secret_key_env != NULL)
    g_subprocess_launcher_setenv (launcher, "TILL_STRIPE_SIM_SECRET_KEY", secret_key_env, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_SIM_SECRET_KEY");
  program->process = till_test_spawn (launcher, argv, &program->url, NULL, &error);
  g_assert_no_error (error);
  return program;
}

static int
program_stop (Program *program)
{
  int status = till_test_stop_process (program->process, SIGTERM);

  g_object_unref (program->process);
  g_free (program->url);
  g_free (program);
  return status;
}

static void
test_listen_and_stop (void)
{
  const char *argv[] = { SIM_PROGRAM, "--listen", "127.0.0.1:0", NULL };
  Program    *program = program_start (argv, NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *uri = NULL;
  g_autoptr (SimResponse) r = NULL;
  g_autoptr (SimResponse) fault = NULL;

  g_assert_nonnull (program->url);
  g_assert_true (g_str_has_prefix (program->url, "http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (program->url, "/"));
  uri = g_strconcat (program->url, "v1/payment_intents", NULL);
  r = sim_request (session, "POST", uri, "sk_test_program", "amount=1250&currency=usd", NULL);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "requires_payment_method");
  /* Faults are off unless --faults. */
  fault = sim_request (session, "POST", uri, "sk_test_program", "amount=1250&currency=usd",
                       "Till-Sim-Fault", "503", NULL);
  g_assert_cmpuint (fault->status, ==, 200);

  /* SIGTERM ends it cleanly. */
  g_assert_cmpint (program_stop (program), ==, 0);
}

static void
test_live_key_refused (void)
{
  const char *argv[] = { SIM_PROGRAM, "--listen", "127.0.0.1:0", NULL };
  Program    *program = program_start (argv, "sk_live_fake_key_for_tests");

  /* It never listened: no URL, exit status 1. */
  g_assert_null (program->url);
  g_assert_cmpint (program_stop (program), ==, 1);

  program = program_start (argv, "pk_test_0123456789abcdef");
  g_assert_null (program->url);
  g_assert_cmpint (program_stop (program), ==, 1);
}

static void
test_bad_arguments (void)
{
  const char *argv1[] = { SIM_PROGRAM, "--listen", "nowhere", NULL };
  const char *argv2[] = { SIM_PROGRAM,        "--webhook-url", "http://127.0.0.1:9/",
                          "--webhook-secret", "nope",          NULL };
  Program    *program = program_start (argv1, NULL);

  g_assert_null (program->url);
  g_assert_cmpint (program_stop (program), ==, 2);
  program = program_start (argv2, NULL);
  g_assert_null (program->url);
  g_assert_cmpint (program_stop (program), ==, 2);
  {
    /* A webhook API version the simulator cannot render. */
    const char *argv3[] = { SIM_PROGRAM,           "--webhook-url",
                            "http://127.0.0.1:9/", "--webhook-secret",
                            "whsec_0123456789",    "--webhook-api-version",
                            "2019-12-03",          NULL };

    program = program_start (argv3, NULL);
    g_assert_null (program->url);
    g_assert_cmpint (program_stop (program), ==, 2);
  }

  /* Limits are whole numbers from 0. */
  {
    const char *bad[][3] = { { "--max-intents", "-1" },
                             { "--max-age", "a day" },
                             { "--max-events", "4294967296" },
                             { "--max-idempotency-keys", "1.5" } };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        const char *argv[] = { SIM_PROGRAM, bad[i][0], bad[i][1], NULL };

        program = program_start (argv, NULL);
        g_assert_null (program->url);
        g_assert_cmpint (program_stop (program), ==, 2);
      }
  }
}

/* --max-intents: the oldest intent is forgotten, a 404 as for any unknown id. */
static void
test_retention (void)
{
  const char *argv[] = {
    SIM_PROGRAM, "--listen",     "127.0.0.1:0", "--max-intents",          "2", "--max-age",
    "86400",     "--max-events", "4",           "--max-idempotency-keys", "2", NULL
  };
  Program *program = program_start (argv, NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strconcat (program->url, "v1/payment_intents", NULL);
  char            *ids[3] = { NULL };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr (SimResponse) r =
          sim_request (session, "POST", uri, "sk_test_program", "amount=1250&currency=usd", NULL);

      g_assert_cmpuint (r->status, ==, 200);
      ids[i] = g_strdup (sim_json_string (r->json, "id"));
    }
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *path = g_strconcat (uri, "/", ids[i], NULL);
      g_autoptr (SimResponse) r = sim_request (session, "GET", path, "sk_test_program", NULL, NULL);

      g_assert_cmpuint (r->status, ==, i == 0 ? 404 : 200);
      if (i == 0)
        g_assert_cmpstr (sim_json_string (r->json, "error.code"), ==, "resource_missing");
    }
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_free (ids[i]);
  g_assert_cmpint (program_stop (program), ==, 0);
}

static gboolean
received_one (gpointer data)
{
  SimReceiver *receiver = data;

  return receiver->bodies->len > 0;
}

static void
test_webhooks_and_faults (void)
{
  g_autoptr (SimReceiver) receiver = sim_receiver_new ();
  const char *argv[] = { SIM_PROGRAM,
                         "--listen",
                         "127.0.0.1:0",
                         "--webhook-url",
                         receiver->url,
                         "--webhook-secret",
                         "whsec_program_secret_123",
                         "--webhook-api-version",
                         "2020-08-27",
                         "--faults",
                         NULL };
  Program    *program = program_start (argv, "sk_test_pinned_key");
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strconcat (program->url, "v1/payment_intents", NULL);
  g_autoptr (SimResponse) wrong_key = NULL;
  g_autoptr (SimResponse) fault = NULL;
  g_autoptr (SimResponse) r = NULL;

  wrong_key =
      sim_request (session, "POST", uri, "sk_test_other_key", "amount=1250&currency=usd", NULL);
  g_assert_cmpuint (wrong_key->status, ==, 401);
  fault = sim_request (session, "POST", uri, "sk_test_pinned_key", "amount=1250&currency=usd",
                       "Till-Sim-Fault", "503", NULL);
  g_assert_cmpuint (fault->status, ==, 503);
  r = sim_request (session, "POST", uri, "sk_test_pinned_key", "amount=1250&currency=usd", NULL);
  g_assert_cmpuint (r->status, ==, 200);

  /* The creation event arrives, signed with the secret from the command line. */
  g_assert_true (till_test_wait_until (received_one, receiver, SIM_TEST_DEADLINE_MS));
  {
    const char *signature = g_ptr_array_index (receiver->signatures, 0);
    GBytes     *body = g_ptr_array_index (receiver->bodies, 0);
    g_auto (GStrv) items = g_strsplit (signature, ",", -1);
    g_autoptr (GString) payload = g_string_new (items[0] + 2);
    g_autofree char *expected = NULL;
    g_autofree char *wanted = NULL;

    g_assert_true (g_str_has_prefix (items[0], "t="));
    g_string_append_c (payload, '.');
    g_string_append_len (payload, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
    expected = g_compute_hmac_for_data (
        G_CHECKSUM_SHA256, (const guchar *) "whsec_program_secret_123",
        strlen ("whsec_program_secret_123"), (const guchar *) payload->str, payload->len);
    wanted = g_strconcat ("v1=", expected, NULL);
    g_assert_cmpstr (items[1], ==, wanted);
    /* In the endpoint's version from the command line. */
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      g_autoptr (JsonNode) event = json_from_string (text, NULL);

      g_assert_cmpstr (sim_json_string (event, "api_version"), ==, "2020-08-27");
    }
  }

  g_assert_cmpint (program_stop (program), ==, 0);
}

/* --fault-rate and --fault-kinds: random faults from the command line; bad values refused. */
static void
test_random_faults (void)
{
  const char *argv[] = {
    SIM_PROGRAM,    "--listen", "127.0.0.1:0", "--fault-rate", "1", "--fault-kinds", "429",
    "--fault-seed", "3",        NULL
  };
  const char *bad_rate[] = { SIM_PROGRAM, "--fault-rate", "2", NULL };
  const char *bad_kind[] = { SIM_PROGRAM,     "--fault-rate", "0.5",
                             "--fault-kinds", "503,explode",  NULL };
  const char *bad_seed[] = { SIM_PROGRAM, "--fault-rate", "0.5", "--fault-seed", "-1", NULL };
  Program    *program = program_start (argv, NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strconcat (program->url, "v1/payment_intents", NULL);
  g_autofree char *control = g_strconcat (program->url, "_sim/faults", NULL);
  g_autoptr (SimResponse) faulted = NULL;
  g_autoptr (SimResponse) spared = NULL;
  g_autoptr (SimResponse) counts = NULL;

  faulted = sim_request (session, "POST", uri, "sk_test_program", "amount=1250&currency=usd", NULL);
  g_assert_cmpuint (faulted->status, ==, 429);
  spared = sim_request (session, "POST", uri, "sk_test_program", "amount=1250&currency=usd",
                        "Till-Sim-Fault", "none", NULL);
  g_assert_cmpuint (spared->status, ==, 200);
  counts = sim_request (session, "GET", control, "sk_test_program", NULL, NULL);
  g_assert_cmpuint (counts->status, ==, 200);
  g_assert_cmpint (sim_json_int (counts->json, "injected.429"), ==, 1);
  g_assert_cmpint (program_stop (program), ==, 0);

  program = program_start (bad_rate, NULL);
  g_assert_null (program->url);
  g_assert_cmpint (program_stop (program), ==, 2);
  program = program_start (bad_kind, NULL);
  g_assert_null (program->url);
  g_assert_cmpint (program_stop (program), ==, 2);
  program = program_start (bad_seed, NULL);
  g_assert_null (program->url);
  g_assert_cmpint (program_stop (program), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sim/program/listen-and-stop", test_listen_and_stop);
  g_test_add_func ("/sim/program/live-key-refused", test_live_key_refused);
  g_test_add_func ("/sim/program/bad-arguments", test_bad_arguments);
  g_test_add_func ("/sim/program/webhooks-and-faults", test_webhooks_and_faults);
  g_test_add_func ("/sim/program/random-faults", test_random_faults);
  g_test_add_func ("/sim/program/retention", test_retention);

  return g_test_run ();
}
