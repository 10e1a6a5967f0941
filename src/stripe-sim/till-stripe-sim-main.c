/* till-stripe-sim-main.c: the standalone simulator program.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * till-stripe-sim --listen HOST:PORT [--webhook-url URL --webhook-secret whsec_…
 *                 [--webhook-api-version VERSION]] [--moto] [--faults]
 *                 [--fault-rate RATE [--fault-kinds LIST] [--fault-seed N]]
 *                 [--max-age SECONDS] [--max-intents N] [--max-events N]
 *                 [--max-idempotency-keys N] [--rate-limit N]
 *
 * Prints the URL it listens on (one line on stdout) once it is ready, so a test can start it
 * on port 0 and read where it is; runs until SIGINT or SIGTERM. The secret key it accepts
 * can be pinned with TILL_STRIPE_SIM_SECRET_KEY (any sk_test_ key otherwise; a live key is
 * refused), and the webhook secret can come from TILL_STRIPE_SIM_WEBHOOK_SECRET instead of
 * the command line. --fault-rate gives that share of the requests a random fault from
 * --fault-kinds (seeded, so that a fault campaign can be run again), and enables faults.
 * --rate-limit answers 429 past N API requests in any second, as Stripe does past 25 in test
 * mode and 100 in live mode; without it there is no limit.
 */
#include "config.h"

#include <glib.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "till-stripe-sim.h"

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_listen (const char *listen, char **host, guint16 *port, GError **error)
{
  const char *colon = strrchr (listen, ':');
  guint64     value;

  if (colon == NULL || colon == listen ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("--listen wants HOST:PORT, not “%s”"), listen);
      return FALSE;
    }
  *host = g_strndup (listen, colon - listen);
  /* "[::1]:0" */
  if (**host == '[' && (*host)[strlen (*host) - 1] == ']')
    {
      char *inner = g_strndup (*host + 1, strlen (*host) - 2);

      g_free (*host);
      *host = inner;
    }
  *port = (guint16) value;
  return TRUE;
}

/* A --max-… value: a count or a number of seconds, 0 for no limit. */
static gboolean
check_limit (const char *option, gint64 value, guint *out, GError **error)
{
  if (value < 0 || value > G_MAXUINT)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("%s wants a number from 0 (no limit) to %u"), option, G_MAXUINT);
      return FALSE;
    }
  *out = (guint) value;
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *listen = NULL;
  g_autofree char *webhook_url = NULL;
  g_autofree char *webhook_secret = NULL;
  g_autofree char *webhook_api_version = NULL;
  g_autofree char *host = NULL;
  g_autofree char *fault_kinds = NULL;
  gboolean         faults = FALSE;
  gboolean         moto = FALSE;
  double           fault_rate = 0.0;
  gint64           fault_seed = 0;
  gint64           max_age = 0, max_intents = 0, max_keys = 0;
  gint64           max_events = TILL_STRIPE_SIM_DEFAULT_MAX_EVENTS;
  gint64           rate_limit = 0;
  guint            limits[5] = { 0 };
  guint16          port = 0;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillStripeSim) sim = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  const char  *secret_key;
  GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      N_ ("Address to listen on (default 127.0.0.1:0, any free port)"), N_ ("HOST:PORT") },
    { "webhook-url", 0, 0, G_OPTION_ARG_STRING, &webhook_url,
      N_ ("Where to send signed webhook events"), N_ ("URL") },
    { "webhook-secret", 0, 0, G_OPTION_ARG_STRING, &webhook_secret,
      N_ ("Endpoint secret that signs webhooks (or TILL_STRIPE_SIM_WEBHOOK_SECRET)"),
      N_ ("whsec_…") },
    { "webhook-api-version", 0, 0, G_OPTION_ARG_STRING, &webhook_api_version,
      N_ ("The API version events are sent in (default: a current one, as for a new endpoint)"),
      N_ ("VERSION") },
    { "moto", 0, 0, G_OPTION_ARG_NONE, &moto,
      N_ ("Act as an account Stripe has approved for mail and telephone orders (MOTO)"), NULL },
    { "faults", 0, 0, G_OPTION_ARG_NONE, &faults,
      N_ ("Enable fault injection (Till-Sim-Fault header, /_sim/faults)"), NULL },
    { "fault-rate", 0, 0, G_OPTION_ARG_DOUBLE, &fault_rate,
      N_ ("Give this share of the requests (0 to 1) a random fault; enables faults"), N_ ("RATE") },
    { "fault-kinds", 0, 0, G_OPTION_ARG_STRING, &fault_kinds,
      N_ ("The random faults to pick from, separated by commas (default: all but delays)"),
      N_ ("LIST") },
    { "fault-seed", 0, 0, G_OPTION_ARG_INT64, &fault_seed,
      N_ ("Seed of the random faults (default 0)"), N_ ("N") },
    { "max-age", 0, 0, G_OPTION_ARG_INT64, &max_age,
      N_ ("Forget intents, events and idempotency keys older than this (default 0: no limit; "
          "keys never outlive a day)"),
      N_ ("SECONDS") },
    { "max-intents", 0, 0, G_OPTION_ARG_INT64, &max_intents,
      N_ ("Keep at most this many PaymentIntents, with their charges and refunds (default 0: "
          "no limit)"),
      N_ ("N") },
    { "max-events", 0, 0, G_OPTION_ARG_INT64, &max_events,
      N_ ("Keep at most this many events (default 10000; 0: no limit)"), N_ ("N") },
    { "max-idempotency-keys", 0, 0, G_OPTION_ARG_INT64, &max_keys,
      N_ ("Keep at most this many idempotency keys (default 0: no limit)"), N_ ("N") },
    { "rate-limit", 0, 0, G_OPTION_ARG_INT64, &rate_limit,
      N_ ("Answer 429 past this many API requests a second, as Stripe does past 25 in test mode "
          "(default 0: no limit)"),
      N_ ("N") },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _ ("A Stripe API simulator for training and tests "
                                            "(test keys only)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      !parse_listen (listen ? listen : "127.0.0.1:0", &host, &port, &error) ||
      !check_limit ("--max-age", max_age, &limits[0], &error) ||
      !check_limit ("--max-intents", max_intents, &limits[1], &error) ||
      !check_limit ("--max-events", max_events, &limits[2], &error) ||
      !check_limit ("--max-idempotency-keys", max_keys, &limits[3], &error) ||
      !check_limit ("--rate-limit", rate_limit, &limits[4], &error))
    {
      g_printerr ("till-stripe-sim: %s\n", error->message);
      return 2;
    }
  if (limits[4] > TILL_STRIPE_SIM_MAX_RATE_LIMIT)
    {
      g_autofree char *message =
          g_strdup_printf (_ ("--rate-limit wants a number from 0 (no limit) to %u"),
                           TILL_STRIPE_SIM_MAX_RATE_LIMIT);

      g_printerr ("till-stripe-sim: %s\n", message);
      return 2;
    }

  if (webhook_secret == NULL && g_getenv ("TILL_STRIPE_SIM_WEBHOOK_SECRET") != NULL)
    webhook_secret = g_strdup (g_getenv ("TILL_STRIPE_SIM_WEBHOOK_SECRET"));

  secret_key = g_getenv ("TILL_STRIPE_SIM_SECRET_KEY");
  if (secret_key != NULL && *secret_key == '\0')
    secret_key = NULL;
  sim = till_stripe_sim_new (secret_key, &error);
  if (sim == NULL)
    {
      g_printerr ("till-stripe-sim: %s\n", error->message);
      return 1;
    }

  if ((webhook_url != NULL &&
       !till_stripe_sim_set_webhook (sim, webhook_url, webhook_secret, &error)) ||
      (webhook_api_version != NULL &&
       !till_stripe_sim_set_webhook_api_version (sim, webhook_api_version, &error)))
    {
      g_printerr ("till-stripe-sim: %s\n", error->message);
      return 2;
    }
  till_stripe_sim_set_faults_enabled (sim, faults);
  till_stripe_sim_set_moto_enabled (sim, moto);
  if (fault_seed < 0 || fault_seed > G_MAXUINT32)
    {
      g_printerr ("till-stripe-sim: %s\n", _ ("--fault-seed must be between 0 and 4294967295"));
      return 2;
    }
  if ((fault_rate != 0.0 || fault_kinds != NULL) &&
      !till_stripe_sim_set_random_faults (sim, fault_rate, fault_kinds, (guint32) fault_seed,
                                          &error))
    {
      g_printerr ("till-stripe-sim: %s\n", error->message);
      return 2;
    }
  till_stripe_sim_set_retention (sim, limits[0], limits[1], limits[2], limits[3]);
  till_stripe_sim_set_rate_limit (sim, limits[4]);

  if (!till_stripe_sim_listen (sim, host, port, &error))
    {
      g_printerr ("till-stripe-sim: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);

  printf ("%s\n", till_stripe_sim_get_base_uri (sim));
  fflush (stdout);

  g_main_loop_run (loop);
  return 0;
}
