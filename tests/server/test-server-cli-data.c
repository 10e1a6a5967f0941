/* test-server-cli-data.c: the till-server commands that move data: catalog import, backup
 * and restore.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "till-products.h"
#include "till-database.h"
#include "till-terminals.h"

#include "till-test-cli.h"

static void
test_catalog_import (CliFixture *fixture, gconstpointer data)
{
  g_autofree char *good =
      cli_write_file (fixture, "good.csv",
                      "\xef\xbb\xbfsku,barcode,name,price,currency,tax_rate,category\r\n"
                      "S-1,4006381333931,İstanbul Simidi,12.50,USD,8.5,Bakery\r\n"
                      "S-2,,\"Käsekuchen, groß\",3,USD,18,Cakes\r\n"
                      "\r\n"
                      "S-3,96385074,\"Çay \"\"ince belli\"\"\",0.75,usd,0,\r\n",
                      0644);
  g_autofree char *bad = cli_write_file (fixture, "bad.csv",
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
  g_autofree char *header = cli_write_file (fixture, "header.csv", "name,price\nX,1\n", 0644);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *config = cli_write_file (fixture, "till.conf", "[store]\ncurrency=USD\n", 0644);

  {
    const char *argv[] = {
      "--config", config, "--db", fixture->db, "catalog", "import", bad, NULL
    };
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 1);
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
  g_assert_cmpuint (cli_count_products (fixture), ==, 0);
  {
    const char *argv[] = { "--db", fixture->db, "catalog", "import", header, NULL };
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "header"));
  }
  {
    const char *argv[] = {
      "--config", config, "--db", fixture->db, "catalog", "import", good, NULL
    };
    g_assert_cmpint (cli_run (argv, NULL, &out, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "3"));
  }
  g_assert_cmpuint (cli_count_products (fixture), ==, 3);
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
    g_assert_cmpint (cli_run (argv, NULL, NULL, NULL), ==, 0);
  }
  g_assert_cmpuint (cli_count_products (fixture), ==, 3);
}

static void
test_backup (CliFixture *fixture, gconstpointer data)
{
  g_autofree char *token G_GNUC_UNUSED = cli_add_terminal (fixture, "till", "cashier");
  g_autofree char       *copy = g_build_filename (fixture->dir, "copy.db", NULL);
  const char            *argv[] = { "--db", fixture->db, "backup", copy, NULL };
  g_autoptr (TillDatabase) db = NULL;
  g_autoptr (GPtrArray) terminals = NULL;
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  g_assert_cmpint (cli_run (argv, NULL, NULL, NULL), ==, 0);
  g_assert_cmpint (g_stat (copy, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 077, ==, 0);
  db = till_database_open (copy, &error);
  g_assert_no_error (error);
  terminals = till_terminals_list (db, &error);
  g_assert_cmpuint (terminals->len, ==, 1);
  g_assert_cmpstr (till_database_get_instance (db), !=, NULL);
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
test_restore (CliFixture *fixture, gconstpointer data)
{
  g_autofree char *first = cli_add_terminal (fixture, "before backup", "cashier");
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

  g_assert_cmpint (cli_run (backup, NULL, NULL, NULL), ==, 0);
  second = cli_add_terminal (fixture, "after backup", "cashier");
  g_assert_cmpuint (count_terminals (fixture->db), ==, 2);

  /* A server serves the database. */
  {
    TillTestCli *running = cli_start (serve, NULL);

    g_assert_cmpint (cli_run (restore, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "A till-server is serving"));
    cli_stop (running, FALSE);
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
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 1);
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
    g_assert_cmpint (cli_run (argv, NULL, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "not a Till database"));
  }
  g_assert_cmpuint (count_terminals (fixture->db), ==, 2);

  /* Restored; the database as it was kept aside. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli_run (restore, NULL, &out, &err), ==, 0);
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
    TillTestCli *running = cli_start (serve, NULL);

    cli_stop (running, FALSE);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-cli-data");

#define ADD(path, func)                                                                            \
  g_test_add (path, CliFixture, NULL, cli_fixture_setup, func, cli_fixture_teardown)
  ADD ("/server/cli/catalog-import", test_catalog_import);
  ADD ("/server/cli/backup", test_backup);
  ADD ("/server/cli/restore", test_restore);
#undef ADD

  return g_test_run ();
}
