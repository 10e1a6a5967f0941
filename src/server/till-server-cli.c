/* till-server-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include "till-api.h"
#include "till-products.h"
#include "till-currency.h"
#include "till-kiosk-policies.h"
#include "till-server-cli.h"
#include "till-zreports.h"
#include "till-server-selftest.h"
#include "till-terminals.h"

typedef struct
{
  char    *config_file;
  char    *listen;
  char    *database;
  char    *tls_certificate;
  char    *tls_key;
  char    *role;
  char    *webhook_url;
  int      webhook_wait;
  int      idle_timeout; /* the kiosk policy's options; 0, NULL and FALSE: unchanged */
  int      countdown;
  char    *tenders;
  gboolean pin;
  gboolean no_pin;
  gboolean skip_webhook;
  gboolean training;
  gboolean behind_proxy;
  gboolean version;
} Options;

static void
options_clear (Options *options)
{
  g_free (options->config_file);
  g_free (options->listen);
  g_free (options->database);
  g_free (options->tls_certificate);
  g_free (options->tls_key);
  g_free (options->role);
  g_free (options->webhook_url);
  g_free (options->tenders);
}

static const char *
help_description (void)
{
  return _ ("Commands:\n"
            "  (none)                        serve the API, the payment page and webhooks\n"
            "  terminal add NAME [--role R]  add a terminal (R: cashier or admin) and print its\n"
            "                                token on the last line; it is shown only once\n"
            "  terminal list                 list terminals\n"
            "  terminal revoke ID|NAME       revoke a terminal's token\n"
            "  catalog import FILE.csv       import products: header\n"
            "                                sku,barcode,name,price,currency,tax_rate,category;\n"
            "                                nothing is imported if any row is bad\n"
            "  backup FILE                   copy the database with SQLite's online backup\n"
            "                                (consistent while the server runs)\n"
            "  restore FILE                  replace the database with a backup: refused while\n"
            "                                a till-server serves it, or when FILE fails\n"
            "                                PRAGMA integrity_check; the database as it was\n"
            "                                is kept as DATABASE.before-restore-TIME\n"
            "\n"
            "Modes:\n"
            "  training  --training: the Stripe simulator runs inside the server, no keys\n"
            "            needed; live keys are refused. The demo catalog is loaded into an\n"
            "            empty database.\n"
            "  test      a secret key starting with sk_test_\n"
            "  live      a secret key starting with sk_live_; needs --tls-certificate and\n"
            "            --tls-key, or --behind-proxy when a TLS proxy is in front\n"
            "\n"
            "Configuration file (key file; must be readable by its owner only when it holds\n"
            "secrets):\n"
            "  [store]       name, currency (ISO 4217, any case), prices-include-tax, timezone,\n"
            "                order-number-prefix, address (up to 4 lines, \\n between them) and\n"
            "                tax-id (for receipts)\n"
            "  [server]      listen, database, tls-certificate, tls-key, behind-proxy,\n"
            "                max-body-kib, checkout-rate-per-minute, header-timeout,\n"
            "                body-timeout, idle-timeout (seconds; 10, 30, 60),\n"
            "                max-connections (0: what the descriptors allow),\n"
            "                max-connections-per-peer (64; 0: none, the default behind-proxy)\n"
            "  [reconciler]  interval, sync-after, cancel-after (seconds; cancel-after 1800)\n"
            "  [stripe]      api-base, js-url, publishable-key, secret-key, webhook-secret,\n"
            "                payment-method-types, timeout, connect-timeout, max-retries\n"
            "  [training]    max-age (seconds; 86400), max-intents (2000), max-events\n"
            "                (6000), max-idempotency-keys (2000): what the simulator keeps;\n"
            "                0: no limit\n"
            "\n"
            "systemd credentials (LoadCredential=; override the file): the files\n"
            "  stripe-secret-key and stripe-webhook-secret in $CREDENTIALS_DIRECTORY\n"
            "\n"
            "Environment (overrides the file and the credentials; secrets never go on the\n"
            "command line):\n"
            "  TILL_STRIPE_SECRET_KEY, TILL_STRIPE_PUBLISHABLE_KEY, TILL_STRIPE_WEBHOOK_SECRET,\n"
            "  TILL_STRIPE_API_BASE, TILL_STRIPE_JS_URL\n"
            "\n"
            "The database defaults to $XDG_STATE_HOME/till/till.db, the address to\n"
            "127.0.0.1:8787.");
}

static const char *
help_selftest (void)
{
  return _ (
      "Before going live (a test key only):\n"
      "  selftest      create, confirm (pm_card_visa), refund and cancel at Stripe with\n"
      "                the settings above, then check that Stripe's signed event reached\n"
      "                this server's webhook (--webhook-url, --webhook-wait, --skip-webhook)");
}

static const char *
help_kiosk (void)
{
  return _ ("Self-checkout kiosks:\n"
            "  terminal add NAME --role kiosk  a kiosk terminal, with the policy options below\n"
            "  terminal policy ID|NAME       show or change a kiosk's policy: --idle-timeout,\n"
            "                                --countdown, --tenders, --pin (the attendant's\n"
            "                                PIN, read from standard input), --no-pin");
}

static TillServerConfig *
load_config (Options *options, GError **error)
{
  g_autoptr (TillServerConfig) config = till_server_config_new ();

  if (options->config_file != NULL &&
      !till_server_config_load_file (config, options->config_file, error))
    return NULL;
  if (!till_server_config_load_credentials (config, error))
    return NULL;
  till_server_config_apply_environment (config);
  if (options->listen != NULL)
    {
      g_free (config->listen);
      config->listen = g_strdup (options->listen);
    }
  if (options->database != NULL)
    {
      g_free (config->database);
      config->database = g_strdup (options->database);
    }
  if (options->tls_certificate != NULL)
    {
      g_free (config->tls_certificate);
      config->tls_certificate = g_strdup (options->tls_certificate);
    }
  if (options->tls_key != NULL)
    {
      g_free (config->tls_key);
      config->tls_key = g_strdup (options->tls_key);
    }
  if (options->behind_proxy)
    config->behind_proxy = TRUE;
  config->training = options->training;
  if (config->database == NULL)
    config->database = till_server_default_database ();
  return g_steal_pointer (&config);
}

static int
fail (const char *what, const GError *error)
{
  g_printerr ("till-server: %s%s%s\n", what != NULL ? what : "", what != NULL ? ": " : "",
              error->message);
  return 1;
}

static int
usage (const char *message)
{
  g_printerr ("till-server: %s\n%s\n", message, _ ("Run till-server --help for the commands."));
  return 2;
}

/* A server holds a shared lock of DATABASE.lock while it serves; a restore takes it
 * exclusively, so neither runs while the other does. A file of its own: closing any
 * descriptor of the database file itself would drop SQLite's POSIX locks in this process.
 * Returns the descriptor that holds the lock, or -1. */
static int
lock_database (const char *database, gboolean exclusive, GError **error)
{
  g_autofree char *path = g_strconcat (database, ".lock", NULL);
  int              fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  int              saved;

  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), _ ("Cannot open %s: %s"),
                   path, g_strerror (saved));
      return -1;
    }
  if (flock (fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
    return fd;
  saved = errno;
  close (fd);
  if (saved == EWOULDBLOCK)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                 exclusive ? _ ("A till-server is serving %s: stop it first")
                           : _ ("%s is being restored from a backup"),
                 database);
  else
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), _ ("Cannot lock %s: %s"),
                 path, g_strerror (saved));
  return -1;
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

/* A training database made when training sold in dollars holds its demo catalog in
 * dollars: its store goes on selling in that currency (a new database gets euros), or
 * every product would be refused by its own store. A configured [store] currency wins. */
static gboolean
keep_training_catalog_currency (TillServerConfig *config, GError **error)
{
  g_autoptr (TillDatabase) db = NULL;
  sqlite3_stmt *stmt;
  const char   *currency;
  int           step;

  if (!config->training || config->currency_configured ||
      !g_file_test (config->database, G_FILE_TEST_EXISTS))
    return TRUE;
  db = till_database_open (config->database, error);
  if (db == NULL)
    return FALSE;
  stmt = till_database_prepare (db, "SELECT currency FROM products LIMIT 1", error);
  if (stmt == NULL)
    return FALSE;
  step = till_database_step (db, stmt, error);
  if (step < 0)
    return FALSE;
  if (step != SQLITE_ROW)
    return TRUE;
  currency = (const char *) sqlite3_column_text (stmt, 0);
  if (currency == NULL || g_ascii_strcasecmp (currency, config->currency) == 0 ||
      till_currency_lookup (currency) == NULL)
    return TRUE;
  g_message ("This training database's catalog is in %s, made before training sold in EUR: "
             "its store goes on selling in %s (a new database sells in EUR)",
             currency, currency);
  g_free (config->currency);
  config->currency = g_strdup (till_currency_get_code (till_currency_lookup (currency)));
  if (!config->prices_include_tax_configured)
    config->prices_include_tax = FALSE;
  return TRUE;
}

static int
run_server (Options *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillServerConfig) config = load_config (options, &error);
  g_autoptr (TillApi) api = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree char *database = NULL;
  TillServerMode   mode;
  guint            sigint, sigterm;
  int              lock;

  if (config == NULL || !till_server_config_validate (config, &error) ||
      !keep_training_catalog_currency (config, &error))
    return fail (NULL, error);
  mode = config->mode;
  database = g_strdup (config->database);

  api = till_api_new (g_steal_pointer (&config), &error);
  if (api == NULL)
    return fail (NULL, error);
  lock = lock_database (database, FALSE, &error);
  if (lock < 0 || !till_api_start (api, &error))
    {
      g_clear_object (&api);
      if (lock >= 0)
        close (lock);
      return fail (NULL, error);
    }

  loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  /* The first line on stdout is the address (tests start us on port 0 and read it). */
  g_print ("till-server listening on %s (%s mode)\n", till_api_get_base_uri (api),
           till_server_mode_to_string (mode));
  fflush (stdout);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  till_api_stop (api);
  g_clear_object (&api);
  close (lock);
  return 0;
}

static TillDatabase *
open_database (Options *options, GError **error)
{
  g_autoptr (TillServerConfig) config = load_config (options, error);

  if (config == NULL)
    return NULL;
  return till_database_open (config->database, error);
}

/* A kiosk's PIN, from standard input: typed at a prompt without echo, or one line from a
 * pipe. Never an argument, which every user of the machine could read in ps. */
static char *
read_pin (GError **error)
{
  struct termios saved, quiet;
  gboolean       terminal = isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0;
  char           line[64];
  char          *end;

  if (terminal)
    {
      g_printerr ("%s", _ ("Attendant PIN (4 to 12 digits): "));
      quiet = saved;
      quiet.c_lflag &= ~ECHO;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }
  end = fgets (line, sizeof line, stdin);
  if (terminal)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      g_printerr ("\n");
    }
  if (end == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _ ("--pin reads the PIN from standard input, and it was empty"));
      return NULL;
    }
  line[strcspn (line, "\r\n")] = '\0';
  return g_strdup (line);
}

static gboolean
has_policy_options (const Options *options)
{
  return options->idle_timeout != 0 || options->countdown != 0 || options->tenders != NULL ||
         options->pin || options->no_pin;
}

static gboolean
apply_policy_options (const Options *options, TillKioskPolicy *policy, GError **error)
{
  if (options->pin && options->no_pin)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _ ("--pin and --no-pin cannot go together"));
      return FALSE;
    }
  if (options->idle_timeout != 0)
    policy->idle_timeout = CLAMP (options->idle_timeout, 0, G_MAXINT);
  if (options->countdown != 0)
    policy->countdown = CLAMP (options->countdown, 0, G_MAXINT);
  if (options->tenders != NULL)
    {
      g_auto (GStrv) tenders = g_strsplit (options->tenders, ",", -1);

      if (!till_kiosk_policy_set_tenders (policy, (const char *const *) tenders, error))
        return FALSE;
    }
  if (!till_kiosk_policy_check (policy, error))
    return FALSE;
  if (options->no_pin)
    return till_kiosk_policy_set_pin (policy, NULL, error);
  if (options->pin)
    {
      g_autofree char *pin = read_pin (error);
      gboolean         set = pin != NULL && till_kiosk_policy_set_pin (policy, pin, error);

      if (pin != NULL)
        memset (pin, 0, strlen (pin));
      return set;
    }
  return TRUE;
}

static void
print_policy (const TillTerminal *terminal, const TillKioskPolicy *policy)
{
  g_autofree char *tenders = g_strjoinv (",", policy->tenders);

  g_print (_ ("Kiosk “%s”: idle timeout %u s, countdown %u s, tenders %s, %s\n"), terminal->name,
           policy->idle_timeout, policy->countdown, tenders,
           policy->pin_hash != NULL ? _ ("attendant PIN set") : _ ("no attendant PIN"));
}

static int
run_terminal_policy (Options *options, TillDatabase *db, const char *what)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillTerminal) terminal = till_terminals_find (db, what, &error);
  g_autoptr (TillKioskPolicy) policy = NULL;

  if (terminal == NULL)
    return fail (NULL, error);
  if (terminal->role != TILL_ROLE_KIOSK)
    return usage (_ ("Only a kiosk has a policy: add it with --role kiosk"));
  policy = till_kiosk_policy_load (db, terminal->id, &error);
  if (policy == NULL || !apply_policy_options (options, policy, &error))
    return fail (NULL, error);
  if (has_policy_options (options) && !till_kiosk_policy_save (db, policy, &error))
    return fail (_ ("Cannot change the policy"), error);
  print_policy (terminal, policy);
  return 0;
}

static int
run_terminal (Options *options, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) db = NULL;

  if (argc < 3)
    return usage (_ ("terminal needs add, list, revoke or policy"));

  db = open_database (options, &error);
  if (db == NULL)
    return fail (NULL, error);

  if (g_str_equal (argv[2], "add"))
    {
      g_autofree char *token = NULL;
      g_autofree char *id_text = NULL;
      g_autoptr (TillKioskPolicy) policy = NULL;
      TillRole role = TILL_ROLE_CASHIER;
      gint64   id = 0;

      if (argc != 4)
        return usage (_ ("terminal add takes one NAME"));
      if (options->role != NULL && !till_role_from_string (options->role, &role))
        return usage (_ ("--role must be cashier, admin or kiosk"));
      if (role != TILL_ROLE_KIOSK && has_policy_options (options))
        return usage (_ ("Only a kiosk has a policy: add it with --role kiosk"));
      if (role == TILL_ROLE_KIOSK)
        {
          policy = till_kiosk_policy_new (0);
          if (!apply_policy_options (options, policy, &error))
            return fail (NULL, error);
        }
      if (!till_database_begin (db, &error))
        return fail (NULL, error);
      token = till_terminals_add (db, argv[3], role, &id, &error);
      if (token != NULL && policy != NULL)
        {
          policy->terminal_id = id;
          if (!till_kiosk_policy_save (db, policy, &error))
            g_clear_pointer (&token, g_free);
        }
      if (token != NULL && !till_database_commit (db, &error))
        g_clear_pointer (&token, g_free);
      if (token == NULL)
        {
          till_database_rollback (db);
          return fail (_ ("Cannot add the terminal"), error);
        }
      id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
      g_print (_ ("Terminal %s “%s” (%s) added. Its token, shown only this once:\n"), id_text,
               argv[3], till_role_to_string (role));
      g_print ("%s\n", token);
      return 0;
    }
  if (g_str_equal (argv[2], "list"))
    {
      g_autoptr (GPtrArray) terminals = NULL;

      if (argc != 3)
        return usage (_ ("terminal list takes no arguments"));
      terminals = till_terminals_list (db, &error);
      if (terminals == NULL)
        return fail (NULL, error);
      for (guint i = 0; i < terminals->len; i++)
        {
          TillTerminal *terminal = terminals->pdata[i];
          g_autoptr (GDateTime) created = g_date_time_new_from_unix_local (terminal->created_at);
          g_autofree char *when = g_date_time_format (created, "%Y-%m-%d %H:%M");

          g_print ("%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s\n", terminal->id, terminal->name,
                   till_role_to_string (terminal->role), when,
                   terminal->revoked_at != 0 ? _ ("revoked") : _ ("active"));
        }
      return 0;
    }
  if (g_str_equal (argv[2], "revoke"))
    {
      if (argc != 4)
        return usage (_ ("terminal revoke takes one ID or NAME"));
      if (!till_terminals_revoke (db, argv[3], &error))
        return fail (NULL, error);
      g_print (_ ("Terminal “%s” revoked\n"), argv[3]);
      return 0;
    }
  if (g_str_equal (argv[2], "policy"))
    {
      if (argc != 4)
        return usage (_ ("terminal policy takes one ID or NAME"));
      return run_terminal_policy (options, db, argv[3]);
    }
  return usage (_ ("terminal needs add, list, revoke or policy"));
}

static int
run_catalog (Options *options, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillServerConfig) config = NULL;
  g_autoptr (TillDatabase) db = NULL;
  g_autoptr (GPtrArray) line_errors = NULL;
  g_autofree char *contents = NULL;
  gsize            length = 0;
  guint            imported = 0;

  if (argc != 4 || !g_str_equal (argv[2], "import"))
    return usage (_ ("catalog needs: import FILE.csv"));

  config = load_config (options, &error);
  if (config == NULL)
    return fail (NULL, error);
  if (!g_file_get_contents (argv[3], &contents, &length, &error))
    return fail (NULL, error);
  if (length > 64 * 1024 * 1024)
    return usage (_ ("The file is larger than 64 MiB"));
  db = till_database_open (config->database, &error);
  if (db == NULL)
    return fail (NULL, error);
  if (!till_products_import_csv (db, contents, length, config->currency, &imported, &line_errors,
                                 &error))
    {
      for (guint i = 0; line_errors != NULL && i < line_errors->len; i++)
        g_printerr ("%s: %s\n", argv[3], (char *) line_errors->pdata[i]);
      return fail (argv[3], error);
    }
  g_print (
      g_dngettext (GETTEXT_PACKAGE, "Imported %u product\n", "Imported %u products\n", imported),
      imported);
  return 0;
}

static const char *
help_z_report (void)
{
  return _ ("Z reports (the tills close their days with them; stored as made):\n"
            "  z-report list                 list them, newest first: number, terminal, end,\n"
            "                                sales, amount (minor units), currency\n"
            "  z-report show NUMBER          print one (Z-0001) as it was made, in JSON");
}

/* z-report list | show NUMBER: the Z reports the tills made, read from the database. */
static int
run_z_report (Options *options, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) db = NULL;
  gint64 before = 0;

  if (argc < 3 || (!g_str_equal (argv[2], "list") && !g_str_equal (argv[2], "show")))
    return usage (_ ("z-report needs list or show"));
  if (g_str_equal (argv[2], "list") ? argc != 3 : argc != 4)
    return usage (_ ("z-report list takes nothing, z-report show one NUMBER"));
  db = open_database (options, &error);
  if (db == NULL)
    return fail (NULL, error);

  if (g_str_equal (argv[2], "show"))
    {
      g_autofree char *body = till_zreports_get (db, argv[3], 0, &error);

      if (body == NULL)
        return fail (argv[3], error);
      g_print ("%s\n", body);
      return 0;
    }
  do
    {
      g_autoptr (GPtrArray) bodies = till_zreports_list (db, 0, before, 100, &before, &error);

      if (bodies == NULL)
        return fail (NULL, error);
      for (guint i = 0; i < bodies->len; i++)
        {
          const char *text = bodies->pdata[i];
          g_autoptr (JsonObject) report = till_json_parse_object (text, strlen (text), &error);
          JsonObject *sales;

          if (report == NULL)
            return fail (NULL, error);
          sales = json_object_get_object_member (report, "sales");
          g_print ("%s\t%s\t%s\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\t%s\n",
                   json_object_get_string_member (report, "number"),
                   json_object_get_string_member_with_default (report, "terminal", ""),
                   json_object_get_string_member (report, "to"),
                   json_object_get_int_member (sales, "count"),
                   json_object_get_int_member (sales, "amount"),
                   json_object_get_string_member (report, "currency"));
        }
    }
  while (before > 0);
  return 0;
}

static int
run_backup (Options *options, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) db = NULL;

  if (argc != 3)
    return usage (_ ("backup takes one FILE"));
  db = open_database (options, &error);
  if (db == NULL)
    return fail (NULL, error);
  if (!till_database_backup (db, argv[2], &error))
    return fail (NULL, error);
  g_print (_ ("Backed up %s to %s\n"), till_database_get_path (db), argv[2]);
  return 0;
}

static int
run_restore (Options *options, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillServerConfig) config = NULL;
  g_autoptr (TillDatabase) db = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *aside = NULL;
  g_autofree char *dir = NULL;
  gboolean         existed;
  int              lock;

  if (argc != 3)
    return usage (_ ("restore takes one FILE"));
  config = load_config (options, &error);
  if (config == NULL)
    return fail (NULL, error);
  if (!g_file_test (argv[2], G_FILE_TEST_IS_REGULAR))
    return usage (_ ("restore: the backup FILE does not exist"));
  dir = g_path_get_dirname (config->database);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", dir,
                   g_strerror (saved));
      return fail (NULL, error);
    }
  lock = lock_database (config->database, TRUE, &error);
  if (lock < 0)
    return fail (_ ("Nothing was restored"), error);

  existed = g_file_test (config->database, G_FILE_TEST_EXISTS);
  if (till_database_check_backup (argv[2], &error))
    db = till_database_open (config->database, &error);
  if (db != NULL && existed)
    {
      /* The database as it was, beside it, before anything is overwritten. */
      aside = g_strdup_printf ("%s.before-restore-%s", config->database, stamp);
      for (guint n = 2; g_file_test (aside, G_FILE_TEST_EXISTS); n++)
        {
          g_free (aside);
          aside = g_strdup_printf ("%s.before-restore-%s-%u", config->database, stamp, n);
        }
      if (!till_database_backup (db, aside, &error))
        g_clear_object (&db);
    }
  if (db == NULL || !till_database_restore (db, argv[2], &error))
    {
      g_clear_object (&db);
      close (lock);
      return fail (_ ("Nothing was restored"), error);
    }
  g_clear_object (&db);
  close (lock);
  g_print (_ ("Restored %s from %s\n"), config->database, argv[2]);
  if (aside != NULL)
    g_print (_ ("The database as it was is kept in %s\n"), aside);
  return 0;
}

static int
run_selftest (Options *options, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillServerConfig) config = NULL;
  TillSelftestOptions selftest = { options->webhook_url, (guint) options->webhook_wait,
                                   options->skip_webhook };

  if (argc != 2)
    return usage (_ ("selftest takes no arguments"));
  if (options->webhook_wait < 1 || options->webhook_wait > 3600)
    return usage (_ ("--webhook-wait must be 1 to 3600 seconds"));
  config = load_config (options, &error);
  if (config == NULL)
    return fail (NULL, error);
  return till_server_selftest_run (config, &selftest);
}

int
till_server_cli_run (int argc, char **argv, const char *allocator)
{
  Options      options = { .webhook_wait = 60 };
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options.config_file,
      N_ ("Read settings from FILE (a key file)"), N_ ("FILE") },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &options.listen,
      N_ ("Listen on HOST:PORT (default 127.0.0.1:8787; port 0 picks a free one)"),
      N_ ("HOST:PORT") },
    { "db", 'd', 0, G_OPTION_ARG_FILENAME, &options.database,
      N_ ("The SQLite database (default $XDG_STATE_HOME/till/till.db)"), N_ ("PATH") },
    { "training", 't', 0, G_OPTION_ARG_NONE, &options.training,
      N_ ("Training mode: the Stripe simulator in-process, no keys, demo catalog"), NULL },
    { "tls-certificate", 0, 0, G_OPTION_ARG_FILENAME, &options.tls_certificate,
      N_ ("Serve HTTPS with this PEM certificate"), N_ ("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &options.tls_key,
      N_ ("The PEM private key of the certificate"), N_ ("FILE") },
    { "behind-proxy", 0, 0, G_OPTION_ARG_NONE, &options.behind_proxy,
      N_ ("A TLS proxy stands in front (allows live mode without --tls-certificate)"), NULL },
    { "role", 0, 0, G_OPTION_ARG_STRING, &options.role,
      N_ ("terminal add: cashier (default), admin or kiosk"), N_ ("ROLE") },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &options.idle_timeout,
      N_ ("kiosk: seconds without a touch before it asks whether the customer is there (60)"),
      N_ ("SECONDS") },
    { "countdown", 0, 0, G_OPTION_ARG_INT, &options.countdown,
      N_ ("kiosk: seconds it asks before it starts again (20)"), N_ ("SECONDS") },
    { "tenders", 0, 0, G_OPTION_ARG_STRING, &options.tenders,
      N_ ("kiosk: what customers pay with, comma-separated (card)"), N_ ("TENDERS") },
    { "pin", 0, 0, G_OPTION_ARG_NONE, &options.pin,
      N_ ("kiosk: read the attendant PIN from standard input"), NULL },
    { "no-pin", 0, 0, G_OPTION_ARG_NONE, &options.no_pin,
      N_ ("kiosk: no attendant PIN (the kiosk cannot be left)"), NULL },
    { "webhook-url", 0, 0, G_OPTION_ARG_STRING, &options.webhook_url,
      N_ ("selftest: the server's webhook (default: its own, from [server] listen)"), N_ ("URL") },
    { "webhook-wait", 0, 0, G_OPTION_ARG_INT, &options.webhook_wait,
      N_ ("selftest: seconds to wait for Stripe's delivery (60)"), N_ ("SECONDS") },
    { "skip-webhook", 0, 0, G_OPTION_ARG_NONE, &options.skip_webhook,
      N_ ("selftest: check the payments only, not the webhook"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options.version, N_ ("Print the version"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("[COMMAND …]"));
  g_autoptr (GError) error = NULL;
  g_autofree char *description = NULL;
  int              status;

  g_option_context_set_summary (context, _ ("The Till backend: catalog, checkout, orders, "
                                            "refunds, reports and Stripe webhooks."));
  description = g_strconcat (help_description (), "\n\n", help_selftest (), "\n\n",
                             help_z_report (), "\n\n", help_kiosk (), NULL);
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      options_clear (&options);
      return usage (error->message);
    }

  if (options.version)
    {
      g_print ("till-server %s\n", PACKAGE_VERSION);
      g_print ("malloc: %s\n", allocator);
      status = 0;
    }
  else if (argc < 2)
    status = run_server (&options);
  else if (g_str_equal (argv[1], "terminal"))
    status = run_terminal (&options, argc, argv);
  else if (g_str_equal (argv[1], "catalog"))
    status = run_catalog (&options, argc, argv);
  else if (g_str_equal (argv[1], "backup"))
    status = run_backup (&options, argc, argv);
  else if (g_str_equal (argv[1], "z-report"))
    status = run_z_report (&options, argc, argv);
  else if (g_str_equal (argv[1], "restore"))
    status = run_restore (&options, argc, argv);
  else if (g_str_equal (argv[1], "selftest"))
    status = run_selftest (&options, argc, argv);
  else
    status = usage (_ ("unknown command"));

  options_clear (&options);
  return status;
}
