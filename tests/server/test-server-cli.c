/* test-server-cli.c: the till-server program: --help, terminals, configuration, keys and
 * modes, credentials, TLS, and the database's file and its mode. Catalog import, backup and
 * restore are in test-server-cli-data.c, training mode in test-server-cli-training.c, a
 * kill -9 and the restart after it in test-server-cli-crash.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <unistd.h>

#include "till-database.h"

#include "till-test-cli.h"
#include "till-zreports.h"

static void
test_help (CliFixture *fixture, gconstpointer data)
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

  g_assert_cmpint (cli_run (version, NULL, &version_out, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (version_out, "till-server " PACKAGE_VERSION "\n"));
  /* The allocator the build chose, in use for the whole process. */
  g_assert_nonnull (strstr (version_out, TILL_WITH_MIMALLOC ? "\nmalloc: mimalloc "
                                                            : "\nmalloc: system malloc\n"));
  g_assert_null (strstr (version_out, "not the process's malloc"));

  g_assert_cmpint (cli_run (argv, NULL, &out, NULL), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (mentions); i++)
    {
      if (strstr (out, mentions[i]) == NULL)
        g_error ("--help does not mention %s", mentions[i]);
    }
  {
    const char      *bad[] = { "frobnicate", NULL };
    g_autofree char *err = NULL;

    g_assert_cmpint (cli_run (bad, NULL, NULL, &err), ==, 2);
    g_assert_nonnull (strstr (err, "unknown command"));
  }
}

static void
test_terminals (CliFixture *fixture, gconstpointer data)
{
  g_autofree char *cashier = cli_add_terminal (fixture, "Kasse 1", "cashier");
  g_autofree char *admin = cli_add_terminal (fixture, "Büro", "admin");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpstr (cashier, !=, admin);
  g_assert_cmpuint (strlen (cashier), >=, 40);
  {
    const char *argv[] = { "--db", fixture->db, "terminal", "list", NULL };
    g_assert_cmpint (cli_run (argv, NULL, &out, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "Kasse 1\tcashier"));
    g_assert_nonnull (strstr (out, "Büro\tadmin"));
    /* Tokens are never shown again. */
    g_assert_null (strstr (out, cashier));
    g_assert_null (strstr (out, "till_"));
  }
  {
    const char *argv[] = { "--db", fixture->db, "terminal", "add", "x", "--role", "boss", NULL };
    g_assert_cmpint (cli_run (argv, NULL, NULL, NULL), ==, 2);
  }
  {
    const char *argv[] = { "--db", fixture->db, "terminal", "revoke", "Kasse 1", NULL };
    g_assert_cmpint (cli_run (argv, NULL, NULL, NULL), ==, 0);
  }
  {
    const char *argv[] = { "--db", fixture->db, "terminal", "revoke", "Kasse 1", NULL };
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "Kasse 1"));
  }
  {
    const char *argv[] = { "--db", fixture->db, "terminal", "list", NULL };
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (cli_run (argv, NULL, &out, NULL), ==, 0);
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

/* "currency=usd" in the configuration is USD for every command, not only for serving; a
 * code Till does not know is refused before anything is read. */
static void
test_config_currency_case (CliFixture *fixture, gconstpointer data)
{
  g_autofree char *good = cli_write_file (fixture, "good.csv",
                                          "sku,barcode,name,price,currency,tax_rate,category\n"
                                          "S-1,,Simit,0.90,USD,8,Bakery\n"
                                          "S-2,,Çay,0.75,usd,0,\n",
                                          0644);
  g_autofree char *lower = cli_write_file (fixture, "lower.conf", "[store]\ncurrency=usd\n", 0644);
  g_autofree char *unknown =
      cli_write_file (fixture, "unknown.conf", "[store]\ncurrency=usx\n", 0644);
  g_autofree char *err = NULL;

  {
    const char *argv[] = {
      "--config", lower, "--db", fixture->db, "catalog", "import", good, NULL
    };
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 0);
  }
  g_assert_cmpuint (cli_count_products (fixture), ==, 2);
  {
    const char *argv[] = {
      "--config", unknown, "--db", fixture->db, "catalog", "import", good, NULL
    };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "[store] currency: “usx” is not a currency Till knows"));
  }
}

/* Gives @path to the user cli_run_full () runs an unprivileged till-server as (when the test runs
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
test_database_read_only (CliFixture *fixture, gconstpointer data)
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

  g_assert_cmpint (cli_run_full (argv, env, TRUE, &out, &err), ==, 1);
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
  g_assert_cmpint (cli_run_full (argv, env, TRUE, &out, &err), ==, 1);
  expected = g_strdup_printf ("Cannot write in %s, the database’s directory", fixture->dir);
  g_assert_nonnull (strstr (err, expected));
  g_assert_null (strstr (out, "listening"));
  g_assert_cmpint (g_chmod (fixture->dir, 0700), ==, 0);
}

/* The operator's database file keeps the mode it has (here readable by its group, for a
 * backup user); one till-server creates is its owner's alone. */
static void
test_database_mode_kept (CliFixture *fixture, gconstpointer data)
{
  const char            *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
  const char            *env[] = { "TILL_STRIPE_SECRET_KEY=sk_test_mode_kept_0123",
                                   "TILL_STRIPE_API_BASE=http://127.0.0.1:9", NULL };
  g_autofree char *token G_GNUC_UNUSED = cli_add_terminal (fixture, "till", "cashier");
  TillTestCli           *running;
  GStatBuf               st;

  g_assert_cmpint (g_stat (fixture->db, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_chmod (fixture->db, 0640), ==, 0);
  running = cli_start (argv, env);
  g_assert_cmpint (g_stat (fixture->db, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);
  cli_stop (running, FALSE);
  g_assert_cmpint (g_stat (fixture->db, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);
}

static void
test_config_and_modes (CliFixture *fixture, gconstpointer data)
{
  g_autofree char *secret_conf = NULL;
  g_autofree char *err = NULL;
  g_autofree char *contents = g_strdup_printf (
      "[store]\nname=Köşe Büfe\ncurrency=TRY\n[server]\nlisten=127.0.0.1:0\ndatabase=%s\n"
      "[stripe]\nsecret-key=sk_test_from_file_123\napi-base=http://127.0.0.1:9\n",
      fixture->db);

  /* A key file with a secret, readable by others: refused. */
  secret_conf = cli_write_file (fixture, "secret.conf", contents, 0644);
  {
    const char *argv[] = { "--config", secret_conf, NULL };
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "chmod 600"));
    g_assert_null (strstr (err, "sk_test_from_file"));
  }
  /* Owner-only: starts in test mode. */
  g_assert_cmpint (g_chmod (secret_conf, 0600), ==, 0);
  {
    const char  *argv[] = { "--config", secret_conf, NULL };
    TillTestCli *running = cli_start (argv, NULL);

    g_assert_nonnull (strstr (running->first_line, "(test mode)"));
    cli_stop (running, FALSE);
  }
  /* No key at all. */
  {
    const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "TILL_STRIPE_SECRET_KEY"));
  }
  /* A live key needs TLS or --behind-proxy. */
  {
    const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
    const char *env[] = { "TILL_STRIPE_SECRET_KEY=sk_live_fake_key_for_tests", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli_run (argv, env, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "HTTPS"));
    g_assert_null (strstr (err, "sk_live_fake_key_for_tests"));
  }
  {
    const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", "--behind-proxy", NULL };
    const char *env[] = { "TILL_STRIPE_SECRET_KEY=sk_live_fake_key_for_tests", NULL };
    TillTestCli *running = cli_start (argv, env);

    g_assert_nonnull (strstr (running->first_line, "(live mode)"));
    cli_stop (running, FALSE);
  }
  /* Keys that do not match, or are not keys. */
  {
    const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
    const char *env[] = { "TILL_STRIPE_SECRET_KEY=sk_test_abc",
                          "TILL_STRIPE_PUBLISHABLE_KEY=pk_live_abc", NULL };
    g_assert_cmpint (cli_run (argv, env, NULL, NULL), ==, 1);
  }
  {
    const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
    const char *env[] = { "TILL_STRIPE_SECRET_KEY=pk_test_abc", NULL };
    g_assert_cmpint (cli_run (argv, env, NULL, NULL), ==, 1);
  }
  /* Training refuses a live key. */
  {
    const char *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", "--training", NULL };
    const char *env[] = { "TILL_STRIPE_SECRET_KEY=sk_live_fake_key_for_tests", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli_run (argv, env, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "live"));
  }
  /* The environment overrides the file. */
  {
    const char *argv[] = { "--config", secret_conf, NULL };
    const char *env[] = { "TILL_STRIPE_SECRET_KEY=sk_live_fake_key_for_tests", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli_run (argv, env, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "HTTPS"));
  }
  /* Bad values name what is wrong. */
  {
    g_autofree char *bad = cli_write_file (fixture, "bad.conf", "[store]\ncurrency=ABC\n", 0644);
    const char      *argv[] = { "--config", bad, "--training", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "currency"));
  }
  {
    g_autofree char *bad =
        cli_write_file (fixture, "bad-training.conf", "[training]\nmax-intents=-1\n", 0644);
    const char *argv[] = { "--config", bad, "--training", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "[training] max-intents"));
  }
  {
    const char *argv[] = { "--db", fixture->db, "--training", "--listen", "nowhere", NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "HOST:PORT"));
  }
}

/* systemd's LoadCredential=: the secret key and webhook secret are read from files in
 * $CREDENTIALS_DIRECTORY (a final newline dropped); the environment still overrides them;
 * an empty credential is refused without starting. */
static void
test_credentials (CliFixture *fixture, gconstpointer data)
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

    g_assert_cmpint (cli_run (argv, env, NULL, &err), ==, 1);
    /* The live key was read: live mode wants HTTPS. */
    g_assert_nonnull (strstr (err, "HTTPS"));
    g_assert_null (strstr (err, "sk_live_fake_key_from_credential"));
  }
  {
    const char *live[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", "--behind-proxy", NULL };
    const char *env[] = { directory, NULL };
    TillTestCli *running = cli_start (live, env);

    g_assert_nonnull (strstr (running->first_line, "(live mode)"));
    cli_stop (running, FALSE);
  }
  {
    const char  *env[] = { directory, "TILL_STRIPE_SECRET_KEY=sk_test_from_environment",
                           "TILL_STRIPE_API_BASE=http://127.0.0.1:9", NULL };
    TillTestCli *running = cli_start (argv, env);

    g_assert_nonnull (strstr (running->first_line, "(test mode)"));
    cli_stop (running, FALSE);
  }
  g_assert_true (g_file_set_contents (key, "\n", -1, NULL));
  {
    const char *env[] = { directory, NULL };

    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli_run (argv, env, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "stripe-secret-key"));
  }
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
test_live_tls (CliFixture *fixture, gconstpointer data)
{
  g_autofree char *cert = g_test_build_filename (G_TEST_DIST, "server", "tls-test-cert.pem", NULL);
  g_autofree char *key = g_test_build_filename (G_TEST_DIST, "server", "tls-test-key.pem", NULL);
  const char      *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", "--tls-certificate",
                              cert,   "--tls-key", key,        NULL };
  const char      *env[] = { "TILL_STRIPE_SECRET_KEY=sk_live_tls_test_123", NULL };
  g_autoptr (GTlsCertificate) expected = g_tls_certificate_new_from_file (cert, NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  TillTestCli *running;

  g_assert_nonnull (expected);
  running = cli_start (argv, env);
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
  cli_stop (running, FALSE);

  /* A certificate without its key. */
  {
    const char      *half[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", "--tls-certificate",
                                cert,   NULL };
    g_autofree char *err = NULL;

    g_assert_cmpint (cli_run (half, env, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "TLS"));
  }
}

/* The first product a fresh till-server saves opens ICU for its search key (on a thread,
 * the request paused): saved and found again, also renamed. */
static void
test_first_product_saved (CliFixture *fixture, gconstpointer data)
{
  g_autofree char *admin = cli_add_terminal (fixture, "Büro", "admin");
  const char      *argv[] = { "--db", fixture->db, "--listen", "127.0.0.1:0", NULL };
  const char      *env[] = { "TILL_STRIPE_SECRET_KEY=sk_test_first_product_0123",
                             "TILL_STRIPE_API_BASE=http://127.0.0.1:9", NULL };
  TillTestCli     *running = cli_start (argv, env);
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
  cli_stop (running, FALSE);
}

/* z-report list and show read the Z reports the tills made. */
static void
test_z_reports (CliFixture *fixture, gconstpointer data)
{
  g_autofree char *token = cli_add_terminal (fixture, "Kasse 1", "cashier");
  g_autoptr (GError) error = NULL;
  g_autofree char *made = NULL;
  g_autofree char *out = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *err = NULL;
  gboolean         existing = FALSE;

  {
    g_autoptr (TillDatabase) db = till_database_open (fixture->db, &error);

    g_assert_no_error (error);
    made = till_zreports_make (db, 1, "USD", NULL, &existing, &error);
    g_assert_no_error (error);
    g_assert_nonnull (made);
  }
  {
    const char *argv[] = { "--db", fixture->db, "z-report", "list", NULL };
    g_assert_cmpint (cli_run (argv, NULL, &out, NULL), ==, 0);
    g_assert_true (g_str_has_prefix (out, "Z-0001\tKasse 1\t"));
    g_assert_true (g_str_has_suffix (out, "\t0\t0\tUSD\n"));
  }
  {
    const char *argv[] = { "--db", fixture->db, "z-report", "show", "Z-0001", NULL };
    g_assert_cmpint (cli_run (argv, NULL, &shown, NULL), ==, 0);
    g_assert_true (g_str_has_prefix (shown, made));
  }
  {
    const char *argv[] = { "--db", fixture->db, "z-report", "show", "Z-0002", NULL };
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "Z-0002"));
  }
  {
    const char *argv[] = { "--db", fixture->db, "z-report", "print", NULL };
    g_assert_cmpint (cli_run (argv, NULL, NULL, NULL), ==, 2);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-cli");

#define ADD(path, func)                                                                            \
  g_test_add (path, CliFixture, NULL, cli_fixture_setup, func, cli_fixture_teardown)
  ADD ("/server/cli/help", test_help);
  ADD ("/server/cli/terminals", test_terminals);
  ADD ("/server/cli/config-currency-case", test_config_currency_case);
  ADD ("/server/cli/config-and-modes", test_config_and_modes);
  ADD ("/server/cli/credentials", test_credentials);
  ADD ("/server/cli/z-reports", test_z_reports);
  ADD ("/server/cli/live-tls", test_live_tls);
  ADD ("/server/cli/first-product-saved", test_first_product_saved);
  /* Last: the secrets test expects the first server started above to have logged. */
  ADD ("/server/cli/database-read-only", test_database_read_only);
  ADD ("/server/cli/database-mode-kept", test_database_mode_kept);
#undef ADD

  return g_test_run ();
}
