/* test-server-cli.c: the till-server program: --help, configuration and modes, terminal,
 * catalog import and backup commands, training mode, and a kill -9 in the middle of a
 * checkout followed by a restart that reconciles.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include "till-products.h"
#include "till-database.h"
#include "till-terminals.h"
#include "till-test-server.h"

typedef struct
{
  char *dir;
  char *db;
} Fixture;

static void
fixture_setup (Fixture *fixture, gconstpointer data)
{
  fixture->dir = till_test_make_tmpdir ("till-cli-test");
  fixture->db = g_build_filename (fixture->dir, "till.db", NULL);
}

static void
fixture_teardown (Fixture *fixture, gconstpointer data)
{
  till_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->db);
}

/* The user the tests that need file permissions to count run till-server as, when they run
 * as root (for whom every file is writable). */
#define UNPRIVILEGED_UID 65534

static void
drop_privileges (gpointer user_data)
{
  if (setgid (UNPRIVILEGED_UID) != 0 || setuid (UNPRIVILEGED_UID) != 0)
    _exit (125);
}

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
communicated (gpointer user_data)
{
  return *(GAsyncResult **) user_data != NULL;
}

/* Runs till-server to completion with a clean environment plus @env (NAME=VALUE, …), as
 * UNPRIVILEGED_UID if @unprivileged and the test runs as root. */
static int
run_full (const char *const *argv,
          const char *const *env,
          gboolean           unprivileged,
          char             **out_stdout,
          char             **out_stderr)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  GAsyncResult    *result = NULL;

  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_SECRET_KEY");
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_PUBLISHABLE_KEY");
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_WEBHOOK_SECRET");
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_API_BASE");
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto (GStrv) pair = g_strsplit (env[i], "=", 2);
      g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
  if (unprivileged && getuid () == 0)
    g_subprocess_launcher_set_child_setup (launcher, drop_privileges, NULL, NULL);
  g_ptr_array_add (args, (gpointer) TILL_SERVER_PATH);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) args->pdata, &error);
  g_assert_no_error (error);
  /* A command that should end but serves instead is stopped, and the test fails. */
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated, &result);
  if (!till_test_wait_until (communicated, &result, 30000))
    {
      g_subprocess_force_exit (process);
      g_assert_true (till_test_wait_until (communicated, &result, 30000));
    }
  g_assert_true (g_subprocess_communicate_utf8_finish (process, result, &out, &err, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  /* Its log (stderr) is part of what the secrets test reads. Its stdout is not a log: it
   * carries a new terminal's token on purpose. */
  g_debug ("till-server stderr: %s", err);
  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&out);
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&err);
  return g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
}

static int
run (const char *const *argv, const char *const *env, char **out_stdout, char **out_stderr)
{
  return run_full (argv, env, FALSE, out_stdout, out_stderr);
}

/* ---------------------------------------------------------------------------------------- */
/* A till-server running in the background */

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
  char             *first_line;
  gboolean          line_done;
  char             *base;
  gboolean          exited;
} Running;

static void
on_first_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Running *running = user_data;

  running->first_line =
      g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  running->line_done = TRUE;
}

static gboolean
line_done (gpointer user_data)
{
  return ((Running *) user_data)->line_done;
}

static gboolean
process_exited (gpointer user_data)
{
  return ((Running *) user_data)->exited;
}

static void
on_waited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Running *running = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  running->exited = TRUE;
}

/* Starts till-server and reads its first line ("… listening on URL (MODE mode)"). */
static Running *
start (const char *const *argv, const char *const *env)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  Running         *running = g_new0 (Running, 1);
  static guint     started;
  g_autofree char *log =
      g_strdup_printf ("%s/till-server-process-%u.log", till_test_log_dir (), ++started);
  const char *listening;

  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_SECRET_KEY");
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto (GStrv) pair = g_strsplit (env[i], "=", 2);
      g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  /* Its log goes where the secrets test reads it. */
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_ptr_array_add (args, (gpointer) TILL_SERVER_PATH);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);

  running->process =
      g_subprocess_launcher_spawnv (launcher, (const char *const *) args->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (running->process, NULL, on_waited, running);
  running->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (running->process));
  g_data_input_stream_read_line_async (running->out, G_PRIORITY_DEFAULT, NULL, on_first_line,
                                       running);
  g_assert_true (till_test_wait_until (line_done, running, 20000));
  g_assert_nonnull (running->first_line);
  g_test_message ("till-server: %s", running->first_line);
  listening = strstr (running->first_line, "listening on ");
  g_assert_nonnull (listening);
  running->base = g_strndup (listening + strlen ("listening on "),
                             strchr (listening + strlen ("listening on "), ' ') -
                                 (listening + strlen ("listening on ")));
  return running;
}

static void
stop (Running *running, gboolean kill_hard)
{
  if (kill_hard)
    g_subprocess_force_exit (running->process);
  else
    g_subprocess_send_signal (running->process, SIGTERM);
  g_assert_true (till_test_wait_until (process_exited, running, 20000));
  if (!kill_hard)
    {
      g_assert_true (g_subprocess_get_if_exited (running->process));
      g_assert_cmpint (g_subprocess_get_exit_status (running->process), ==, 0);
    }
  g_object_unref (running->out);
  g_object_unref (running->process);
  g_free (running->first_line);
  g_free (running->base);
  g_free (running);
}

static char *
write_file (Fixture *fixture, const char *name, const char *contents, int mode)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (fixture->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

static char *
add_terminal (Fixture *fixture, const char *name, const char *role)
{
  g_autofree char *out = NULL;
  const char      *argv[] = { "--db", fixture->db, "terminal", "add", name, "--role", role, NULL };
  g_auto (GStrv) lines = NULL;
  guint n;

  g_assert_cmpint (run (argv, NULL, &out, NULL), ==, 0);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  n = g_strv_length (lines);
  g_assert_true (g_str_has_prefix (lines[n - 1], "till_"));
  return g_strdup (lines[n - 1]);
}

/* ---------------------------------------------------------------------------------------- */

static void
test_help (Fixture *fixture, gconstpointer data)
{
  const char        *argv[] = { "--help", NULL };
  const char        *version[] = { "--version", NULL };
  g_autofree char   *out = NULL, *version_out = NULL;
  static const char *mentions[] = {
    "--config",
    "--listen",
    "--db",
    "--training",
    "--tls-certificate",
    "--behind-proxy",
    "terminal add",
    "terminal list",
    "terminal revoke",
    "catalog import",
    "backup",
    "restore",
    "TILL_STRIPE_SECRET_KEY",
    "TILL_STRIPE_API_BASE",
    "[stripe]",
    "webhook-secret",
    "sk_live_",
    "cancel-after",
    "[training]",
    "max-intents",
    "CREDENTIALS_DIRECTORY",
    "stripe-secret-key",
    "stripe-webhook-secret",
  };

  g_assert_cmpint (run (version, NULL, &version_out, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (version_out, "till-server " PACKAGE_VERSION "\n"));
  /* The allocator the build chose, in use for the whole process. */
  g_assert_nonnull (strstr (version_out, TILL_WITH_MIMALLOC ? "\nmalloc: mimalloc "
                                                            : "\nmalloc: system malloc\n"));
  g_assert_null (strstr (version_out, "not the process's malloc"));

  g_assert_cmpint (run (argv, NULL, &out, NULL), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (mentions); i++)
    {
      if (strstr (out, mentions[i]) == NULL)
        g_error ("--help does not mention %s", mentions[i]);
    }
  {
    const char      *bad[] = { "frobnicate", NULL };
    g_autofree char *err = NULL;

    g_assert_cmpint (run (bad, NULL, NULL, &err), ==, 2);
    g_assert_nonnull (strstr (err, "unknown command"));
  }
}

static void
test_terminals (Fixture *fixture, gconstpointer data)
{
  g_autofree char *cashier = add_terminal (fixture, "Kasse 1", "cashier");
  g_autofree char *admin = add_terminal (fixture, "Büro", "admin");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpstr (cashier, !=, admin);
  g_assert_cmpuint (strlen (cashier), >=, 40);
  {
    const char *argv[] = { "--db", fixture->db, "terminal", "list", NULL };
    g_assert_cmpint (run (argv, NULL, &out, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "Kasse 1\tcashier"));
    g_assert_nonnull (strstr (out, "Büro\tadmin"));
    /* Tokens are never shown again. */
    g_assert_null (strstr (out, cashier));
    g_assert_null (strstr (out, "till_"));
  }
  {
    const char *argv[] = { "--db", fixture->db, "terminal", "add", "x", "--role", "boss", NULL };
    g_assert_cmpint (run (argv, NULL, NULL, NULL), ==, 2);
  }
  {
    const char *argv[] = { "--db", fixture->db, "terminal", "revoke", "Kasse 1", NULL };
    g_assert_cmpint (run (argv, NULL, NULL, NULL), ==, 0);
  }
  {
    const char *argv[] = { "--db", fixture->db, "terminal", "revoke", "Kasse 1", NULL };
    g_assert_cmpint (run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "Kasse 1"));
  }
  {
    const char *argv[] = { "--db", fixture->db, "terminal", "list", NULL };
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (run (argv, NULL, &out, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "revoked"));
  }
  {
    /* Only hashes are stored. */
    g_autofree char *contents = NULL;
    gsize            length;

    g_assert_true (g_file_get_contents (fixture->db, &contents, &length, NULL));
    g_assert_null (g_strstr_len (contents, length, admin));
  }
}

static guint
count_products (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) db = till_database_open (fixture->db, &error);

  g_assert_no_error (error);
  return (guint) till_products_count (db, NULL);
}

static void
test_catalog_import (Fixture *fixture, gconstpointer data)
{
  g_autofree char *good =
      write_file (fixture, "good.csv",
                  "\xef\xbb\xbfsku,barcode,name,price,currency,tax_rate,category\r\n"
                  "S-1,4006381333931,İstanbul Simidi,12.50,USD,8.5,Bakery\r\n"
                  "S-2,,\"Käsekuchen, groß\",3,USD,18,Cakes\r\n"
                  "\r\n"
                  "S-3,96385074,\"Çay \"\"ince belli\"\"\",0.75,usd,0,\r\n",
                  0644);
  g_autofree char *bad = write_file (fixture, "bad.csv",
                                     "sku,barcode,name,price,currency,tax_rate,category\n"
                                     "B-1,,Good one,1.00,USD,10,\n"
                                     "B-2,,Bad price,1.005,USD,10,\n"
                                     "B-3,4006381333932,Bad barcode,1.00,USD,10,\n"
                                     "B-4,,Good too,2.00,USD,10,\n"
                                     "B-5,,Other currency,2.00,EUR,10,\n"
                                     "B-1,,Twice,1.00,USD,10,\n"
                                     "B-6,,Bad tax,1.00,USD,ten,\n"
                                     "B-7,,Too few\n"
                                     "B-8,,-1.00,USD,10,\n",
                                     0644);
  g_autofree char *header = write_file (fixture, "header.csv", "name,price\nX,1\n", 0644);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *config = write_file (fixture, "till.conf", "[store]\ncurrency=USD\n", 0644);

  {
    const char *argv[] = {
      "--config", config, "--db", fixture->db, "catalog", "import", bad, NULL
    };
    g_assert_cmpint (run (argv, NULL, NULL, &err), ==, 1);
    for (guint line = 3; line <= 10; line++)
      {
        g_autofree char *needle = g_strdup_printf ("line %u:", line);

        if (line == 5)
          continue; /* "Good too" */
        if (strstr (err, needle) == NULL)
          g_error ("no error for %s in: %s", needle, err);
      }
    g_assert_null (strstr (err, "line 2:"));
    g_assert_null (strstr (err, "line 5:"));
    g_assert_nonnull (strstr (err, "price"));
    g_assert_nonnull (strstr (err, "barcode"));
    g_assert_nonnull (strstr (err, "currency"));
    g_assert_nonnull (strstr (err, "tax_rate"));
    g_assert_nonnull (strstr (err, "nothing was imported"));
  }
  g_assert_cmpuint (count_products (fixture), ==, 0);
  {
    const char *argv[] = { "--db", fixture->db, "catalog", "import", header, NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "header"));
  }
  {
    const char *argv[] = {
      "--config", config, "--db", fixture->db, "catalog", "import", good, NULL
    };
    g_assert_cmpint (run (argv, NULL, &out, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "3"));
  }
  g_assert_cmpuint (count_products (fixture), ==, 3);
  {
    g_autoptr (TillDatabase) db = till_database_open (fixture->db, NULL);
    g_autoptr (TillProductRecord) simit = till_products_get_by_barcode (db, "4006381333931", NULL);
    g_autoptr (TillProductRecord) cay = till_products_get_by_barcode (db, "96385074", NULL);

    g_assert_cmpstr (simit->name, ==, "İstanbul Simidi");
    g_assert_cmpint (simit->unit_amount, ==, 1250);
    g_assert_cmpint (simit->tax_rate, ==, 850);
    g_assert_cmpstr (cay->name, ==, "Çay \"ince belli\"");
    g_assert_null (cay->category);
  }
  /* Importing again updates by SKU instead of duplicating. */
  {
    const char *argv[] = {
      "--config", config, "--db", fixture->db, "catalog", "import", good, NULL
    };
    g_assert_cmpint (run (argv, NULL, NULL, NULL), ==, 0);
  }
  g_assert_cmpuint (count_products (fixture), ==, 3);
}

/* "currency=usd" in the configuration is USD for every command, not only for serving; a
 * code Till does not know is refused before anything is read. */
static void
test_config_currency_case (Fixture *fixture, gconstpointer data)
{
  g_autofree char *good = write_file (fixture, "good.csv",
                                      "sku,barcode,name,price,currency,tax_rate,category\n"
                                      "S-1,,Simit,0.90,USD,8,Bakery\n"
                                      "S-2,,Çay,0.75,usd,0,\n",
                                      0644);
  g_autofree char *lower = write_file (fixture, "lower.conf", "[store]\ncurrency=usd\n", 0644);
  g_autofree char *unknown = write_file (fixture, "unknown.conf", "[store]\ncurrency=usx\n", 0644);
  g_autofree char *err = NULL;

  {
    const char *argv[] = {
      "--config", lower, "--db", fixture->db, "catalog", "import", good, NULL
    };
    g_assert_cmpint (run (argv, NULL, NULL, &err), ==, 0);
  }
  g_assert_cmpuint (count_products (fixture), ==, 2);
  {
    const char *argv[] = {
      "--config", unknown, "--db", fixture->db, "catalog", "import", good, NULL
    };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "[store] currency: “usx” is not a currency Till knows"));
  }
}

/* Gives @path to the user run_full () runs an unprivileged till-server as (when the test runs
 * as root), with @mode. */
static void
give (const char *path, int mode)
{
  if (getuid () == 0)
    g_assert_cmpint (chown (path, UNPRIVILEGED_UID, UNPRIVILEGED_UID), ==, 0);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

/* A database till-server could only read: it refuses to start, says which file and why,
 * and never says it listens. The same for a directory it cannot make the -wal and -shm
 * files in. */
static void
test_database_read_only (Fixture *fixture, gconstpointer data)
{
  const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
  const char *env[] = { "TILL_STRIPE_SECRET_KEY=sk_test_read_only_0123",
                        "TILL_STRIPE_API_BASE=http://127.0.0.1:9", NULL };
  g_autoptr (TillDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  GStatBuf         st;

  db = till_database_open (fixture->db, &error);
  g_assert_no_error (error);
  g_clear_object (&db);
  give (fixture->dir, 0700);
  give (fixture->db, 0400);

  g_assert_cmpint (run_full (argv, env, TRUE, &out, &err), ==, 1);
  expected = g_strdup_printf ("Cannot write the database %s: Permission denied", fixture->db);
  g_assert_nonnull (strstr (err, expected));
  g_assert_null (strstr (out, "listening"));
  /* Its mode is the operator's. */
  g_assert_cmpint (g_stat (fixture->db, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0400);

  /* The file can be written, its directory not. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&expected, g_free);
  give (fixture->db, 0600);
  g_assert_cmpint (g_chmod (fixture->dir, 0500), ==, 0);
  g_assert_cmpint (run_full (argv, env, TRUE, &out, &err), ==, 1);
  expected = g_strdup_printf ("Cannot write in %s, the database’s directory", fixture->dir);
  g_assert_nonnull (strstr (err, expected));
  g_assert_null (strstr (out, "listening"));
  g_assert_cmpint (g_chmod (fixture->dir, 0700), ==, 0);
}

/* The operator's database file keeps the mode it has (here readable by its group, for a
 * backup user); one till-server creates is its owner's alone. */
static void
test_database_mode_kept (Fixture *fixture, gconstpointer data)
{
  const char            *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
  const char            *env[] = { "TILL_STRIPE_SECRET_KEY=sk_test_mode_kept_0123",
                                   "TILL_STRIPE_API_BASE=http://127.0.0.1:9", NULL };
  g_autofree char *token G_GNUC_UNUSED = add_terminal (fixture, "till", "cashier");
  Running               *running;
  GStatBuf               st;

  g_assert_cmpint (g_stat (fixture->db, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_chmod (fixture->db, 0640), ==, 0);
  running = start (argv, env);
  g_assert_cmpint (g_stat (fixture->db, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);
  stop (running, FALSE);
  g_assert_cmpint (g_stat (fixture->db, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);
}

static void
test_backup (Fixture *fixture, gconstpointer data)
{
  g_autofree char *token G_GNUC_UNUSED = add_terminal (fixture, "till", "cashier");
  g_autofree char       *copy = g_build_filename (fixture->dir, "copy.db", NULL);
  const char            *argv[] = { "--db", fixture->db, "backup", copy, NULL };
  g_autoptr (TillDatabase) db = NULL;
  g_autoptr (GPtrArray) terminals = NULL;
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  g_assert_cmpint (run (argv, NULL, NULL, NULL), ==, 0);
  g_assert_cmpint (g_stat (copy, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 077, ==, 0);
  db = till_database_open (copy, &error);
  g_assert_no_error (error);
  terminals = till_terminals_list (db, &error);
  g_assert_cmpuint (terminals->len, ==, 1);
  g_assert_cmpstr (till_database_get_instance (db), !=, NULL);
}

static void
test_config_and_modes (Fixture *fixture, gconstpointer data)
{
  g_autofree char *secret_conf = NULL;
  g_autofree char *err = NULL;
  g_autofree char *contents = g_strdup_printf (
      "[store]\nname=Köşe Büfe\ncurrency=TRY\n[server]\nlisten=127.0.0.1:0\ndatabase=%s\n"
      "[stripe]\nsecret-key=sk_test_from_file_123\napi-base=http://127.0.0.1:9\n",
      fixture->db);

  /* A key file with a secret, readable by others: refused. */
  secret_conf = write_file (fixture, "secret.conf", contents, 0644);
  {
    const char *argv[] = { "--config", secret_conf, NULL };
    g_assert_cmpint (run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "chmod 600"));
    g_assert_null (strstr (err, "sk_test_from_file"));
  }
  /* Owner-only: starts in test mode. */
  g_assert_cmpint (g_chmod (secret_conf, 0600), ==, 0);
  {
    const char *argv[] = { "--config", secret_conf, NULL };
    Running    *running = start (argv, NULL);

    g_assert_nonnull (strstr (running->first_line, "(test mode)"));
    stop (running, FALSE);
  }
  /* No key at all. */
  {
    const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "TILL_STRIPE_SECRET_KEY"));
  }
  /* A live key needs TLS or --behind-proxy. */
  {
    const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
    const char *env[] = { "TILL_STRIPE_SECRET_KEY=sk_live_fake_key_for_tests", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (argv, env, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "HTTPS"));
    g_assert_null (strstr (err, "sk_live_fake_key_for_tests"));
  }
  {
    const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", "--behind-proxy", NULL };
    const char *env[] = { "TILL_STRIPE_SECRET_KEY=sk_live_fake_key_for_tests", NULL };
    Running    *running = start (argv, env);

    g_assert_nonnull (strstr (running->first_line, "(live mode)"));
    stop (running, FALSE);
  }
  /* Keys that do not match, or are not keys. */
  {
    const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
    const char *env[] = { "TILL_STRIPE_SECRET_KEY=sk_test_abc",
                          "TILL_STRIPE_PUBLISHABLE_KEY=pk_live_abc", NULL };
    g_assert_cmpint (run (argv, env, NULL, NULL), ==, 1);
  }
  {
    const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
    const char *env[] = { "TILL_STRIPE_SECRET_KEY=pk_test_abc", NULL };
    g_assert_cmpint (run (argv, env, NULL, NULL), ==, 1);
  }
  /* Training refuses a live key. */
  {
    const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", "--training", NULL };
    const char *env[] = { "TILL_STRIPE_SECRET_KEY=sk_live_fake_key_for_tests", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (argv, env, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "live"));
  }
  /* The environment overrides the file. */
  {
    const char *argv[] = { "--config", secret_conf, NULL };
    const char *env[] = { "TILL_STRIPE_SECRET_KEY=sk_live_fake_key_for_tests", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (argv, env, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "HTTPS"));
  }
  /* Bad values name what is wrong. */
  {
    g_autofree char *bad = write_file (fixture, "bad.conf", "[store]\ncurrency=ABC\n", 0644);
    const char      *argv[] = { "--config", bad, "--training", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "currency"));
  }
  {
    g_autofree char *bad =
        write_file (fixture, "bad-training.conf", "[training]\nmax-intents=-1\n", 0644);
    const char *argv[] = { "--config", bad, "--training", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "[training] max-intents"));
  }
  {
    const char *argv[] = { "--db", fixture->db, "--training", "--listen", "nowhere", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "HOST:PORT"));
  }
}

static guint
count_terminals (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) db = till_database_open (path, &error);
  g_autoptr (GPtrArray) terminals = NULL;

  g_assert_no_error (error);
  terminals = till_terminals_list (db, &error);
  g_assert_no_error (error);
  return terminals->len;
}

/* restore FILE: refused while a server serves the database, and for a damaged file or one
 * that is not a Till database, with nothing changed; otherwise the backup's contents, and
 * the database as it was kept beside it. */
static void
test_restore (Fixture *fixture, gconstpointer data)
{
  g_autofree char *first = add_terminal (fixture, "before backup", "cashier");
  g_autofree char *copy = g_build_filename (fixture->dir, "copy.db", NULL);
  g_autofree char *damaged = g_build_filename (fixture->dir, "damaged.db", NULL);
  g_autofree char *foreign = g_build_filename (fixture->dir, "foreign.db", NULL);
  g_autofree char *second = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char      *backup[] = { "--db", fixture->db, "backup", copy, NULL };
  const char      *restore[] = { "--db", fixture->db, "restore", copy, NULL };
  const char      *serve[] = { "--db", fixture->db, "--training", "--listen", "127.0.0.1:0", NULL };
  const char      *kept;
  gsize            length = 0;
  sqlite3         *plain = NULL;

  g_assert_cmpint (run (backup, NULL, NULL, NULL), ==, 0);
  second = add_terminal (fixture, "after backup", "cashier");
  g_assert_cmpuint (count_terminals (fixture->db), ==, 2);

  /* A server serves the database. */
  {
    Running *running = start (serve, NULL);

    g_assert_cmpint (run (restore, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "A till-server is serving"));
    stop (running, FALSE);
  }
  g_assert_cmpuint (count_terminals (fixture->db), ==, 2);

  /* A damaged copy: its later pages overwritten. */
  g_assert_true (g_file_get_contents (copy, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 3 * 4096);
  memset (contents + 2 * 4096, 0x5a, length - 2 * 4096);
  g_assert_true (g_file_set_contents (damaged, contents, length, NULL));
  {
    const char *argv[] = { "--db", fixture->db, "restore", damaged, NULL };

    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "Nothing was restored"));
  }
  g_assert_cmpuint (count_terminals (fixture->db), ==, 2);

  /* An SQLite database that is not Till's. */
  g_assert_cmpint (sqlite3_open (foreign, &plain), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (plain, "CREATE TABLE notes (text TEXT)", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  sqlite3_close (plain);
  {
    const char *argv[] = { "--db", fixture->db, "restore", foreign, NULL };

    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "not a Till database"));
  }
  g_assert_cmpuint (count_terminals (fixture->db), ==, 2);

  /* Restored; the database as it was kept aside. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (restore, NULL, &out, &err), ==, 0);
  g_assert_cmpuint (count_terminals (fixture->db), ==, 1);
  kept = strstr (out, "is kept in ");
  g_assert_nonnull (kept);
  {
    g_autofree char *aside =
        g_strndup (kept + strlen ("is kept in "), strcspn (kept + strlen ("is kept in "), "\n"));

    g_assert_true (g_str_has_prefix (aside, fixture->db));
    g_assert_cmpuint (count_terminals (aside), ==, 2);
  }
  /* And it serves again. */
  {
    Running *running = start (serve, NULL);

    stop (running, FALSE);
  }
}

/* systemd's LoadCredential=: the secret key and webhook secret are read from files in
 * $CREDENTIALS_DIRECTORY (a final newline dropped); the environment still overrides them;
 * an empty credential is refused without starting. */
static void
test_credentials (Fixture *fixture, gconstpointer data)
{
  g_autofree char *credentials = g_build_filename (fixture->dir, "credentials", NULL);
  g_autofree char *key = g_build_filename (credentials, "stripe-secret-key", NULL);
  g_autofree char *webhook = g_build_filename (credentials, "stripe-webhook-secret", NULL);
  g_autofree char *directory = g_strconcat ("CREDENTIALS_DIRECTORY=", credentials, NULL);
  const char      *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
  g_autofree char *err = NULL;

  g_assert_cmpint (g_mkdir (credentials, 0700), ==, 0);
  g_assert_true (g_file_set_contents (key, "sk_live_fake_key_from_credential\n", -1, NULL));
  g_assert_true (g_file_set_contents (webhook, "whsec_from_credential\n", -1, NULL));
  {
    const char *env[] = { directory, "TILL_STRIPE_API_BASE=http://127.0.0.1:9", NULL };

    g_assert_cmpint (run (argv, env, NULL, &err), ==, 1);
    /* The live key was read: live mode wants HTTPS. */
    g_assert_nonnull (strstr (err, "HTTPS"));
    g_assert_null (strstr (err, "sk_live_fake_key_from_credential"));
  }
  {
    const char *live[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", "--behind-proxy", NULL };
    const char *env[] = { directory, NULL };
    Running    *running = start (live, env);

    g_assert_nonnull (strstr (running->first_line, "(live mode)"));
    stop (running, FALSE);
  }
  {
    const char *env[] = { directory, "TILL_STRIPE_SECRET_KEY=sk_test_from_environment",
                          "TILL_STRIPE_API_BASE=http://127.0.0.1:9", NULL };
    Running    *running = start (argv, env);

    g_assert_nonnull (strstr (running->first_line, "(test mode)"));
    stop (running, FALSE);
  }
  g_assert_true (g_file_set_contents (key, "\n", -1, NULL));
  {
    const char *env[] = { directory, NULL };

    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (argv, env, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "stripe-secret-key"));
  }
}

typedef struct
{
  SoupSession *session;
  const char  *url;
  const char  *token;
  const char  *want;
} Poll;

static gboolean
order_has_status (gpointer user_data)
{
  Poll            *poll = user_data;
  g_autofree char *authorization = g_strconcat ("Bearer ", poll->token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };
  g_autoptr (TillTestResponse) response =
      till_test_request_full (poll->session, "GET", poll->url, headers, NULL, NULL, 0);

  return response->status == 200 &&
         g_strcmp0 (json_object_get_string_member (response->json, "status"), poll->want) == 0;
}

static void
test_training (Fixture *fixture, gconstpointer data)
{
  g_autofree char *token = add_terminal (fixture, "kiosk", "cashier");
  const char      *argv[] = { "--db", fixture->db, "--training", "--listen", "127.0.0.1:0", NULL };
  Running         *running = start (argv, NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };

  g_assert_nonnull (strstr (running->first_line, "(training mode)"));
  {
    g_autofree char *url = g_strconcat (running->base, "/healthz", NULL);
    g_autoptr (TillTestResponse) health =
        till_test_request_full (session, "GET", url, NULL, NULL, NULL, 0);
    g_assert_cmpuint (health->status, ==, 200);
  }
  {
    g_autofree char *url = g_strconcat (running->base, "/api/v1/config", NULL);
    g_autoptr (TillTestResponse) config =
        till_test_request_full (session, "GET", url, headers, NULL, NULL, 0);
    g_assert_cmpstr (json_object_get_string_member (config->json, "mode"), ==, "training");
    /* The demo catalog's own currency and prices, tax included, as its shops write them:
     * not its euro figures shown as dollars. */
    g_assert_cmpstr (json_object_get_string_member (config->json, "currency"), ==, "EUR");
    g_assert_true (json_object_get_boolean_member (config->json, "prices_include_tax"));
    g_assert_true (g_str_has_prefix (json_object_get_string_member (config->json, "stripe_js_url"),
                                     "http://127.0.0.1:"));
  }
  {
    g_autofree char *url = g_strconcat (running->base, "/api/v1/products?q=simid", NULL);
    g_autoptr (TillTestResponse) products =
        till_test_request_full (session, "GET", url, headers, NULL, NULL, 0);
    JsonArray  *list = json_object_get_array_member (products->json, "products");
    JsonObject *simit;

    g_assert_cmpuint (json_array_get_length (list), ==, 1);
    /* "İstanbul Simidi,0.90,EUR" in data/demo-catalog.csv. */
    simit = json_array_get_object_element (list, 0);
    g_assert_cmpstr (json_object_get_string_member (simit, "currency"), ==, "EUR");
    g_assert_cmpint (json_object_get_int_member (simit, "unit_amount"), ==, 90);
  }
  {
    /* "Try It in Training Mode": a cashier terminal for this computer, only for a JSON body
     * (a browser page cannot send one without a preflight). */
    g_autofree char *url = g_strconcat (running->base, "/api/v1/training/terminals", NULL);
    g_autoptr (TillTestResponse) plain =
        till_test_request_full (session, "POST", url, NULL, "text/plain", "{}", -1);
    g_autoptr (TillTestResponse) extra = till_test_request_full (
        session, "POST", url, NULL, "application/json", "{\"role\": \"admin\"}", -1);
    g_autoptr (TillTestResponse) handed =
        till_test_request_full (session, "POST", url, NULL, "application/json", "{}", -1);
    g_autofree char *products_url = g_strconcat (running->base, "/api/v1/products", NULL);
    g_autofree char *bearer = NULL;
    const char      *token;

    g_assert_cmpuint (plain->status, ==, 415);
    g_assert_cmpuint (extra->status, ==, 400);
    g_assert_cmpuint (handed->status, ==, 201);
    g_assert_cmpstr (json_object_get_string_member (handed->json, "role"), ==, "cashier");
    token = json_object_get_string_member (handed->json, "token");
    g_assert_nonnull (token);
    bearer = g_strconcat ("Bearer ", token, NULL);
    {
      const char *with_token[] = { "Authorization", bearer, NULL };
      g_autoptr (TillTestResponse) products =
          till_test_request_full (session, "GET", products_url, with_token, NULL, NULL, 0);
      g_autoptr (TillTestResponse) create = till_test_request_full (
          session, "POST", products_url, with_token, "application/json",
          "{\"name\": \"Ayran\", \"unit_amount\": 100, \"tax_rate\": 800}", -1);

      g_assert_cmpuint (products->status, ==, 200);
      /* A cashier: it sells, it does not edit the catalog. */
      g_assert_cmpuint (create->status, ==, 403);
    }
    {
      /* Every "Try It" adds a terminal; only the 8 newest stay valid. */
      const char      *with_token[] = { "Authorization", bearer, NULL };
      g_autofree char *newest = NULL;
      g_autofree char *newest_bearer = NULL;

      for (guint i = 0; i < 8; i++)
        {
          g_autoptr (TillTestResponse) again =
              till_test_request_full (session, "POST", url, NULL, "application/json", "{}", -1);
          g_assert_cmpuint (again->status, ==, 201);
          g_free (newest);
          newest = g_strdup (json_object_get_string_member (again->json, "token"));
        }
      newest_bearer = g_strconcat ("Bearer ", newest, NULL);
      {
        const char *with_newest[] = { "Authorization", newest_bearer, NULL };
        g_autoptr (TillTestResponse) oldest =
            till_test_request_full (session, "GET", products_url, with_token, NULL, NULL, 0);
        g_autoptr (TillTestResponse) latest =
            till_test_request_full (session, "GET", products_url, with_newest, NULL, NULL, 0);
        g_autoptr (TillTestResponse) kiosk =
            till_test_request_full (session, "GET", products_url, headers, NULL, NULL, 0);

        g_assert_cmpuint (oldest->status, ==, 401);
        g_assert_cmpuint (latest->status, ==, 200);
        /* Terminals added by an admin are not touched. */
        g_assert_cmpuint (kiosk->status, ==, 200);
      }
    }
  }
  {
    /* A whole sale against the embedded simulator, paid through its webhook. */
    g_autofree char *url = g_strconcat (running->base, "/api/v1/checkouts", NULL);
    g_autoptr (TillTestResponse) created =
        till_test_request_full (session, "POST", url, headers, "application/json",
                                "{\"client_reference\": \"training-1\", \"currency\": \"EUR\","
                                " \"lines\": [{\"product_id\": 1, \"quantity\": 2}]}",
                                -1);
    JsonObject *payment;

    g_assert_cmpuint (created->status, ==, 201);
    payment = json_object_get_object_member (created->json, "payment");
    g_assert_true (
        g_str_has_prefix (json_object_get_string_member (payment, "payment_intent"), "pi_"));
    g_assert_nonnull (json_object_get_string_member (payment, "client_secret"));
  }
  stop (running, FALSE);

  /* A second start keeps the catalog as it is. */
  running = start (argv, NULL);
  {
    g_autofree char *url = g_strconcat (running->base, "/api/v1/orders", NULL);
    g_autoptr (TillTestResponse) orders =
        till_test_request_full (session, "GET", url, headers, NULL, NULL, 0);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (orders->json, "orders")),
                      ==, 1);
  }
  stop (running, FALSE);
  g_assert_cmpuint (count_products (fixture), ==, 60);
}

/* A training database made when training sold in dollars goes on selling in dollars, so
 * that its catalog is not refused by its own store; a new one sells in euros (test_training). */
static void
test_training_old_database (Fixture *fixture, gconstpointer data)
{
  g_autofree char *csv = write_file (fixture, "dollars.csv",
                                     "sku,barcode,name,price,currency,tax_rate,category\n"
                                     "S-1,,Simit,0.90,USD,7,Bakery\n",
                                     0644);
  g_autofree char *dollars = write_file (fixture, "dollars.conf", "[store]\ncurrency=USD\n", 0644);
  g_autofree char *token = add_terminal (fixture, "kiosk", "cashier");
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };
  const char      *serve[] = { "--db", fixture->db, "--training", "--listen", "127.0.0.1:0", NULL };
  g_autoptr (SoupSession) session = soup_session_new ();
  Running *running;

  {
    const char *argv[] = {
      "--config", dollars, "--db", fixture->db, "catalog", "import", csv, NULL
    };
    g_assert_cmpint (run (argv, NULL, NULL, NULL), ==, 0);
  }
  running = start (serve, NULL);
  {
    g_autofree char *url = g_strconcat (running->base, "/api/v1/config", NULL);
    g_autoptr (TillTestResponse) config =
        till_test_request_full (session, "GET", url, headers, NULL, NULL, 0);

    g_assert_cmpstr (json_object_get_string_member (config->json, "currency"), ==, "USD");
    g_assert_false (json_object_get_boolean_member (config->json, "prices_include_tax"));
  }
  {
    g_autofree char *url = g_strconcat (running->base, "/api/v1/checkouts", NULL);
    g_autoptr (TillTestResponse) created =
        till_test_request_full (session, "POST", url, headers, "application/json",
                                "{\"client_reference\": \"old-1\", \"currency\": \"USD\","
                                " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
                                -1);

    g_assert_cmpuint (created->status, ==, 201);
  }
  stop (running, FALSE);
}

/* [training] bounds what the embedded simulator remembers: past max-intents the oldest
 * intent is unknown to it. */
static void
test_training_retention (Fixture *fixture, gconstpointer data)
{
  g_autofree char *token = add_terminal (fixture, "kiosk", "cashier");
  g_autofree char *contents = g_strdup_printf (
      "[server]\nlisten=127.0.0.1:0\ndatabase=%s\n"
      "[training]\nmax-age=3600\nmax-intents=1\nmax-events=10\nmax-idempotency-keys=10\n",
      fixture->db);
  g_autofree char *config = write_file (fixture, "training.conf", contents, 0644);
  const char      *argv[] = { "--config", config, "--training", NULL };
  Running         *running = start (argv, NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };
  const char      *sim_headers[] = { "Authorization", "Bearer sk_test_till_training_mode", NULL };
  g_autofree char *config_url = g_strconcat (running->base, "/api/v1/config", NULL);
  g_autoptr (TillTestResponse) answer =
      till_test_request_full (session, "GET", config_url, headers, NULL, NULL, 0);
  g_autofree char *sim_base =
      g_strdup (json_object_get_string_member (answer->json, "stripe_js_url"));
  char *intents[2] = { NULL };

  /* http://127.0.0.1:PORT/v3/ */
  g_assert_true (g_str_has_suffix (sim_base, "/v3/"));
  sim_base[strlen (sim_base) - strlen ("v3/")] = '\0';
  for (guint i = 0; i < G_N_ELEMENTS (intents); i++)
    {
      g_autofree char *url = g_strconcat (running->base, "/api/v1/checkouts", NULL);
      g_autofree char *body =
          g_strdup_printf ("{\"client_reference\": \"retention-%u\", \"currency\": \"EUR\","
                           " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
                           i);
      g_autoptr (TillTestResponse) created =
          till_test_request_full (session, "POST", url, headers, "application/json", body, -1);

      g_assert_cmpuint (created->status, ==, 201);
      intents[i] = g_strdup (json_object_get_string_member (
          json_object_get_object_member (created->json, "payment"), "payment_intent"));
    }
  for (guint i = 0; i < G_N_ELEMENTS (intents); i++)
    {
      g_autofree char *url = g_strconcat (sim_base, "v1/payment_intents/", intents[i], NULL);
      g_autoptr (TillTestResponse) intent =
          till_test_request_full (session, "GET", url, sim_headers, NULL, NULL, 0);

      g_assert_cmpuint (intent->status, ==, i == 0 ? 404 : 200);
      g_free (intents[i]);
    }
  stop (running, FALSE);
}

static gboolean
on_accept_certificate (SoupMessage         *msg,
                       GTlsCertificate     *certificate,
                       GTlsCertificateFlags errors,
                       gpointer             user_data)
{
  GTlsCertificate *expected = user_data;

  /* Pinned: exactly the test certificate, whatever else is wrong with it. */
  return g_tls_certificate_is_same (certificate, expected);
}

static void
test_live_tls (Fixture *fixture, gconstpointer data)
{
  g_autofree char *cert = g_test_build_filename (G_TEST_DIST, "server", "tls-test-cert.pem", NULL);
  g_autofree char *key = g_test_build_filename (G_TEST_DIST, "server", "tls-test-key.pem", NULL);
  const char      *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", "--tls-certificate",
                              cert,   "--tls-key", key,        NULL };
  const char      *env[] = { "TILL_STRIPE_SECRET_KEY=sk_live_tls_test_123", NULL };
  g_autoptr (GTlsCertificate) expected = g_tls_certificate_new_from_file (cert, NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  Running *running;

  g_assert_nonnull (expected);
  running = start (argv, env);
  g_assert_nonnull (strstr (running->first_line, "(live mode)"));
  g_assert_true (g_str_has_prefix (running->base, "https://"));
  {
    g_autofree char *url = g_strconcat (running->base, "/pay/", NULL);
    g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
    g_autoptr (GBytes) body = NULL;
    g_autoptr (GError) error = NULL;

    g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate), expected);
    body = soup_session_send_and_read (session, msg, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    g_assert_nonnull (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Strict-Transport-Security"));
    /* Live mode: the page may load Stripe.js only from js.stripe.com. */
    g_assert_nonnull (strstr (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                            "Content-Security-Policy"),
                              "script-src 'self' https://js.stripe.com"));
  }
  {
    /* Plain HTTP to the TLS port gets nowhere. */
    g_autofree char *plain =
        g_strconcat ("http://", running->base + strlen ("https://"), "/healthz", NULL);
    g_autoptr (SoupMessage) msg = soup_message_new ("GET", plain);
    g_autoptr (GBytes) body G_GNUC_UNUSED = soup_session_send_and_read (session, msg, NULL, NULL);

    g_assert_cmpuint (soup_message_get_status (msg), !=, 200);
  }
  stop (running, FALSE);

  /* A certificate without its key. */
  {
    const char      *half[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", "--tls-certificate",
                                cert,   NULL };
    g_autofree char *err = NULL;

    g_assert_cmpint (run (half, env, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "TLS"));
  }
}

typedef struct
{
  TillTestSim *sim;
} SimPoll;

static gboolean
sim_has_delayed_request (gpointer user_data)
{
  SimPoll *poll = user_data;
  g_autoptr (TillTestResponse) faults = till_test_sim_call (poll->sim, "GET", "/_sim/faults", NULL);

  return json_object_get_int_member (faults->json, "delayed_requests") > 0;
}

static gboolean
sim_has_no_delayed_request (gpointer user_data)
{
  return !sim_has_delayed_request (user_data);
}

static char *
find_intent_of_order (TillTestSim *sim, gint64 order_id)
{
  g_autoptr (TillTestResponse) events =
      till_test_sim_call (sim, "GET", "/v1/events?type=payment_intent.created&limit=100", NULL);
  JsonArray       *data = json_object_get_array_member (events->json, "data");
  g_autofree char *wanted = g_strdup_printf ("%" G_GINT64_FORMAT, order_id);

  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *intent = json_object_get_object_member (
          json_object_get_object_member (json_array_get_object_element (data, i), "data"),
          "object");

      if (g_strcmp0 (json_object_get_string_member (
                         json_object_get_object_member (intent, "metadata"), "till_order_id"),
                     wanted) == 0)
        return g_strdup (json_object_get_string_member (intent, "id"));
    }
  return NULL;
}

static gint64
count_payments_with (Fixture *fixture, const char *intent)
{
  g_autoptr (TillDatabase) db = till_database_open (fixture->db, NULL);
  sqlite3_stmt *stmt;
  gint64        count;

  g_assert_nonnull (db);
  stmt =
      till_database_prepare (db, "SELECT count (*) FROM payments WHERE payment_intent = ?", NULL);
  till_database_bind_text (stmt, 1, intent);
  g_assert_cmpint (till_database_step (db, stmt, NULL), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

/* A checkout's answer carries the client secret a till charges with: the intent it names is
 * in the database before the answer leaves, so a kill -9 right after the answer (or a power
 * cut) never leaves an order a card was charged for without its intent. */
static void
test_intent_stored_before_answer (Fixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestSim) sim = till_test_sim_new ();
  g_autofree char *token = add_terminal (fixture, "till", "cashier");
  g_autofree char *catalog = write_file (fixture, "catalog.csv",
                                         "sku,barcode,name,price,currency,tax_rate,category\n"
                                         "A,,Ayran,1.40,USD,8,Drinks\n",
                                         0644);
  g_autofree char *contents =
      g_strdup_printf ("[store]\ncurrency=USD\n[server]\nlisten=127.0.0.1:0\ndatabase=%s\n"
                       "[reconciler]\ninterval=3600\n"
                       "[stripe]\napi-base=%s\nsecret-key=%s\n",
                       fixture->db, sim->base, TILL_TEST_SECRET_KEY);
  g_autofree char *config = write_file (fixture, "till.conf", contents, 0600);
  const char      *argv[] = { "--config", config, NULL };
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autoptr (GPtrArray) answered = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *url = NULL;
  Running         *running;

  {
    const char *import[] = { "--config", config, "catalog", "import", catalog, NULL };
    g_assert_cmpint (run (import, NULL, NULL, NULL), ==, 0);
  }
  running = start (argv, NULL);
  url = g_strconcat (running->base, "/api/v1/checkouts", NULL);
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"client_reference\": \"kill-%u\","
                                               " \"currency\": \"USD\", \"lines\": ["
                                               "{\"product_id\": 1, \"quantity\": %u}]}",
                                               i, i);
      g_autoptr (TillTestResponse) created =
          till_test_request_full (session, "POST", url, headers, "application/json", body, -1);

      g_assert_cmpuint (created->status, ==, 201);
      g_ptr_array_add (answered, g_strdup (json_object_get_string_member (
                                     json_object_get_object_member (created->json, "payment"),
                                     "payment_intent")));
      /* Committed by the time the answer is read (another connection sees it). */
      g_assert_cmpint (count_payments_with (fixture, answered->pdata[i - 1]), ==, 1);
    }
  /* And after a kill -9 at once. */
  stop (running, TRUE);
  for (guint i = 0; i < answered->len; i++)
    g_assert_cmpint (count_payments_with (fixture, answered->pdata[i]), ==, 1);
}

static void
test_crash_and_reconcile (Fixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestSim) sim = till_test_sim_new ();
  g_autofree char *token = add_terminal (fixture, "till", "cashier");
  g_autofree char *catalog = write_file (fixture, "catalog.csv",
                                         "sku,barcode,name,price,currency,tax_rate,category\n"
                                         "A,,Ayran,1.40,USD,8,Drinks\nB,,Börek,3.20,USD,8,Deli\n",
                                         0644);
  /* The first run never reconciles (nothing may touch the simulator's fault queue but the
   * checkout under test); the second reconciles every second. */
  g_autofree char *contents =
      g_strdup_printf ("[store]\ncurrency=USD\n[server]\nlisten=127.0.0.1:0\ndatabase=%s\n"
                       "[reconciler]\ninterval=3600\nsync-after=1\n"
                       "[stripe]\napi-base=%s\nsecret-key=%s\n",
                       fixture->db, sim->base, TILL_TEST_SECRET_KEY);
  g_autofree char *restart_contents =
      g_strdup_printf ("[store]\ncurrency=USD\n[server]\nlisten=127.0.0.1:0\ndatabase=%s\n"
                       "[reconciler]\ninterval=1\nsync-after=1\n"
                       "[stripe]\napi-base=%s\nsecret-key=%s\n",
                       fixture->db, sim->base, TILL_TEST_SECRET_KEY);
  g_autofree char *config = write_file (fixture, "till.conf", contents, 0600);
  g_autofree char *restart_config = write_file (fixture, "restart.conf", restart_contents, 0600);
  const char      *argv[] = { "--config", config, NULL };
  const char      *restart_argv[] = { "--config", restart_config, NULL };
  const char      *env[] = { "TILL_STRIPE_RETRY_BASE_MS=10", NULL };
  g_autoptr (GPtrArray) intents = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autofree char *url = NULL;
  Running         *running;
  SimPoll          sim_poll = { sim };

  {
    const char *import[] = { "--config", config, "catalog", "import", catalog, NULL };
    g_assert_cmpint (run (import, NULL, NULL, NULL), ==, 0);
  }
  running = start (argv, env);
  url = g_strconcat (running->base, "/api/v1/checkouts", NULL);

  /* Five sales; three are paid at Stripe, none synced. */
  for (guint i = 1; i <= 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"client_reference\": \"crash-%u\","
                                               " \"currency\": \"USD\", \"lines\": ["
                                               "{\"product_id\": 1, \"quantity\": %u},"
                                               "{\"product_id\": 2, \"quantity\": 1}]}",
                                               i, i);
      g_autoptr (TillTestResponse) created =
          till_test_request_full (session, "POST", url, headers, "application/json", body, -1);
      const char *intent;

      g_assert_cmpuint (created->status, ==, 201);
      intent = json_object_get_string_member (
          json_object_get_object_member (created->json, "payment"), "payment_intent");
      g_ptr_array_add (intents, g_strdup (intent));
      if (i <= 3)
        g_assert_cmpuint (till_test_sim_confirm (sim, intent, "pm_card_visa"), ==, 200);
    }

  /* The sixth: killed while Stripe is still working on its intent. */
  till_test_sim_fault (sim, "delay=1500", 1);
  {
    g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
    static const char body[] = "{\"client_reference\": \"crash-6\", \"currency\": \"USD\","
                               " \"lines\": [{\"product_id\": 2, \"quantity\": 4}]}";
    g_autoptr (GBytes) bytes = g_bytes_new_static (body, strlen (body));

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  authorization);
    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  }
  g_assert_true (till_test_wait_until (sim_has_delayed_request, &sim_poll, 10000));
  stop (running, TRUE);

  /* Stripe finishes the intent anyway, and (say) the customer pays it. */
  {
    g_autofree char *sixth = NULL;

    g_assert_true (till_test_wait_until (sim_has_no_delayed_request, &sim_poll, 10000));
    sixth = find_intent_of_order (sim, 6);
    g_assert_nonnull (sixth);
    g_assert_cmpuint (till_test_sim_confirm (sim, sixth, "pm_card_visa"), ==, 200);
    g_ptr_array_add (intents, g_steal_pointer (&sixth));
  }

  /* Restart: the reconciler finds every succeeded intent and pays its order. */
  running = start (restart_argv, env);
  for (guint i = 0; i < intents->len; i++)
    {
      gint64           order_id = i + 1;
      g_autofree char *order_url =
          g_strdup_printf ("%s/api/v1/orders/%" G_GINT64_FORMAT, running->base, order_id);
      Poll poll = { session, order_url, token, i < 3 || i == 5 ? "paid" : "pending_payment" };

      if (!till_test_wait_until (order_has_status, &poll, 20000))
        g_error ("order %" G_GINT64_FORMAT " did not become %s", order_id, poll.want);
      g_assert_cmpuint (till_test_sim_count_intents (sim, order_id), ==, 1);
    }
  stop (running, FALSE);
}

/* The first product a fresh till-server saves opens ICU for its search key (on a thread,
 * the request paused): saved and found again, also renamed. */
static void
test_first_product_saved (Fixture *fixture, gconstpointer data)
{
  g_autofree char *admin = add_terminal (fixture, "Büro", "admin");
  const char      *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
  const char      *env[] = { "TILL_STRIPE_SECRET_KEY=sk_test_first_product_0123",
                             "TILL_STRIPE_API_BASE=http://127.0.0.1:9", NULL };
  Running         *running = start (argv, env);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *authorization = g_strconcat ("Bearer ", admin, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };
  g_autofree char *products = g_strconcat (running->base, "/api/v1/products", NULL);
  g_autofree char *found_url = g_strconcat (products, "?q=%C4%B1stanbul", NULL);
  g_autofree char *renamed_url = g_strconcat (products, "?q=grosse", NULL);
  g_autofree char *product_url = NULL;
  g_autoptr (TillTestResponse) created = NULL;
  g_autoptr (TillTestResponse) found = NULL;
  g_autoptr (TillTestResponse) renamed = NULL;
  g_autoptr (TillTestResponse) found_renamed = NULL;

  g_assert_nonnull (strstr (running->first_line, "(test mode)"));
  created = till_test_request_full (session, "POST", products, headers, "application/json",
                                    "{\"name\": \"İstanbul Simidi\", \"unit_amount\": 150,"
                                    " \"tax_rate\": 800}",
                                    -1);
  g_assert_cmpuint (created->status, ==, 201);
  found = till_test_request_full (session, "GET", found_url, headers, NULL, NULL, 0);
  g_assert_cmpuint (found->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (found->json, "products")),
                    ==, 1);
  product_url = g_strdup_printf ("%s/%" G_GINT64_FORMAT, products,
                                 json_object_get_int_member (created->json, "id"));
  renamed = till_test_request_full (session, "PATCH", product_url, headers, "application/json",
                                    "{\"name\": \"Große Brezel\"}", -1);
  g_assert_cmpuint (renamed->status, ==, 200);
  found_renamed = till_test_request_full (session, "GET", renamed_url, headers, NULL, NULL, 0);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (found_renamed->json, "products")), ==,
      1);
  stop (running, FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-cli");

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/server/cli/help", test_help);
  ADD ("/server/cli/terminals", test_terminals);
  ADD ("/server/cli/catalog-import", test_catalog_import);
  ADD ("/server/cli/config-currency-case", test_config_currency_case);
  ADD ("/server/cli/backup", test_backup);
  ADD ("/server/cli/restore", test_restore);
  ADD ("/server/cli/config-and-modes", test_config_and_modes);
  ADD ("/server/cli/credentials", test_credentials);
  ADD ("/server/cli/training", test_training);
  ADD ("/server/cli/training-retention", test_training_retention);
  ADD ("/server/cli/training-old-database", test_training_old_database);
  ADD ("/server/cli/live-tls", test_live_tls);
  ADD ("/server/cli/intent-stored-before-answer", test_intent_stored_before_answer);
  ADD ("/server/cli/crash-and-reconcile", test_crash_and_reconcile);
  ADD ("/server/cli/first-product-saved", test_first_product_saved);
  /* Last: the secrets test expects the first server started above to have logged. */
  ADD ("/server/cli/database-read-only", test_database_read_only);
  ADD ("/server/cli/database-mode-kept", test_database_mode_kept);
#undef ADD

  return g_test_run ();
}
