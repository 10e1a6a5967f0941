/* test-server-storage.c: the SQLite layer: pragmas, migrations, the monotonic order trigger,
 * the intents an order may record, transactions, checkpoints, backup.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
/* sched_setaffinity (), SCHED_IDLE */
#define _GNU_SOURCE
#include "config.h"

#include <sys/resource.h>

#include <glib/gstdio.h>
#include <sched.h>

#include "till-products.h"
#include "till-database.h"
#include "till-orders.h"
#include "till-server-error.h"
#include "till-test-server.h"
#include "till-webhooks.h"

typedef struct
{
  char         *dir;
  char         *path;
  TillDatabase *db;
} Fixture;

static void
fixture_setup (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = till_test_make_tmpdir ("till-storage-test");
  fixture->path = g_build_filename (fixture->dir, "sub", "till.db", NULL);
  fixture->db = till_database_open (fixture->path, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fixture, gconstpointer data)
{
  g_autofree char *sub = g_path_get_dirname (fixture->path);
  g_autoptr (GDir) dir = NULL;
  const char *name;

  g_clear_object (&fixture->db);
  dir = g_dir_open (sub, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (sub, name, NULL);
      g_unlink (child);
    }
  g_rmdir (sub);
  g_rmdir (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static char *
query_text (TillDatabase *db, const char *sql)
{
  sqlite3_stmt *stmt = till_database_prepare (db, sql, NULL);
  char         *text;

  g_assert_nonnull (stmt);
  g_assert_cmpint (till_database_step (db, stmt, NULL), ==, SQLITE_ROW);
  text = till_database_column_dup (stmt, 0);
  sqlite3_reset (stmt);
  return text;
}

/* What the WAL is cut back to once it starts again: 8,000 frames (its size between two
 * checkpoints) of 4 kB pages and their 24-byte headers, and the file's header. */
#define WAL_LIMIT (8000 * (4096 + 24) + 32)

static void
test_pragmas (Fixture *fixture, gconstpointer data)
{
  g_autofree char *journal = query_text (fixture->db, "PRAGMA journal_mode");
  g_autofree char *keys = query_text (fixture->db, "PRAGMA foreign_keys");
  g_autofree char *synchronous = query_text (fixture->db, "PRAGMA synchronous");
  g_autofree char *limit = query_text (fixture->db, "PRAGMA journal_size_limit");
  g_autofree char *timeout = query_text (fixture->db, "PRAGMA busy_timeout");
  GStatBuf         st;

  g_assert_cmpstr (journal, ==, "wal");
  /* FULL (2): every commit is on disk when it returns. */
  g_assert_cmpstr (synchronous, ==, "2");
  g_assert_cmpint (g_ascii_strtoll (limit, NULL, 10), ==, WAL_LIMIT);
  g_assert_cmpstr (keys, ==, "1");
  g_assert_cmpint (atoi (timeout), >=, 1000);
  g_assert_cmpint (till_database_get_version (fixture->db), >=, 7);
  g_assert_cmpuint (strlen (till_database_get_instance (fixture->db)), ==, 36);
  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 077, ==, 0);
}

static void
test_reopen_and_too_new (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *instance = g_strdup (till_database_get_instance (fixture->db));
  g_autoptr (TillDatabase) again = NULL;

  g_clear_object (&fixture->db);
  again = till_database_open (fixture->path, &error);
  g_assert_no_error (error);
  /* Migrations ran once; the instance stays. */
  g_assert_cmpstr (till_database_get_instance (again), ==, instance);
  g_assert_true (till_database_exec (again, "PRAGMA user_version = 99", NULL));
  g_clear_object (&again);

  fixture->db = till_database_open (fixture->path, &error);
  g_assert_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_TOO_NEW);
  g_assert_null (fixture->db);

  /* Not a database at all. */
  g_clear_error (&error);
  {
    g_autofree char *junk = g_build_filename (fixture->dir, "junk.db", NULL);
    g_assert_true (g_file_set_contents (junk,
                                        "this is not SQLite, just some bytes that are long "
                                        "enough to look like a header, and more",
                                        -1, NULL));
    g_assert_null (till_database_open (junk, &error));
    g_assert_nonnull (error);
    g_unlink (junk);
  }
}

static void
test_foreign_keys_and_trigger (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  TillDatabase *db = fixture->db;

  /* An order line for an order that does not exist. */
  g_assert_false (till_database_exec (
      db,
      "INSERT INTO order_lines (order_id, position, product_id, name, quantity, unit_amount,"
      " tax_rate, discount, tax, total) VALUES (42, 0, 1, 'x', 1, 1, 0, 0, 0, 1)",
      &error));
  g_assert_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_CONSTRAINT);
  g_clear_error (&error);

  g_assert_true (till_database_exec (
      db,
      "INSERT INTO orders (id, number, status, currency, subtotal, discount, tax, rounding,"
      " total, created_at, updated_at) VALUES (1, 'T-1', 'pending_payment', 'USD', 100, 0, 0,"
      " 0, 100, 0, 0)",
      &error));
  g_assert_no_error (error);

  /* Forward moves are allowed… */
  g_assert_true (till_database_exec (db, "UPDATE orders SET status = 'paid' WHERE id = 1", NULL));
  g_assert_true (till_database_exec (
      db, "UPDATE orders SET status = 'partially_refunded' WHERE id = 1", NULL));
  /* …backward ones and skips to a wrong state are not, whatever the code tries. */
  for (guint i = 0; i < 3; i++)
    {
      static const char *sql[] = {
        "UPDATE orders SET status = 'paid' WHERE id = 1",
        "UPDATE orders SET status = 'pending_payment' WHERE id = 1",
        "UPDATE orders SET status = 'canceled' WHERE id = 1",
      };

      g_assert_false (till_database_exec (db, sql[i], &error));
      g_assert_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_CONSTRAINT);
      g_assert_nonnull (strstr (error->message, "backwards"));
      g_clear_error (&error);
    }
  /* More refunded than paid. */
  g_assert_false (till_database_exec (db, "UPDATE orders SET refunded = 101 WHERE id = 1", &error));
  g_assert_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_CONSTRAINT);
  g_clear_error (&error);
  /* An unknown status. */
  g_assert_false (
      till_database_exec (db, "UPDATE orders SET status = 'lost' WHERE id = 1", &error));
  g_assert_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_CONSTRAINT);
}

/* Whether writing a row of @table evaluates its CHECKs through a temporary b-tree. */
static gboolean
insert_uses_ephemeral_table (TillDatabase *db, const char *insert)
{
  g_autofree char *sql = g_strconcat ("EXPLAIN ", insert, NULL);
  sqlite3_stmt    *stmt = till_database_prepare (db, sql, NULL);
  gboolean         found = FALSE;

  g_assert_nonnull (stmt);
  while (till_database_step (db, stmt, NULL) == SQLITE_ROW)
    if (g_strcmp0 ((const char *) sqlite3_column_text (stmt, 1), "OpenEphemeral") == 0)
      found = TRUE;
  sqlite3_reset (stmt);
  return found;
}

#define INSERT_ORDER                                                                               \
  "INSERT INTO orders (id, number, status, currency, subtotal, discount, tax, rounding,"           \
  " total, created_at, updated_at) VALUES (7, 'T-7', 'pending_payment', 'USD', 100, 0, 0,"         \
  " 0, 100, 0, 0)"
#define INSERT_REFUND                                                                              \
  "INSERT INTO refunds (order_id, request_id, amount, status, created_at)"                         \
  " VALUES (7, 'r-1', 10, 'pending', 0)"

static void
assert_status_checks (TillDatabase *db)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (insert_uses_ephemeral_table (db, INSERT_ORDER));
  g_assert_false (insert_uses_ephemeral_table (db, INSERT_REFUND));
  g_assert_false (
      till_database_exec (db, "UPDATE orders SET status = 'lost' WHERE id = 7", &error));
  g_assert_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_CONSTRAINT);
  g_clear_error (&error);
  g_assert_false (till_database_exec (db, "UPDATE refunds SET status = 'maybe'", &error));
  g_assert_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_CONSTRAINT);
  g_clear_error (&error);
  g_assert_true (till_database_exec (db, "UPDATE refunds SET status = 'succeeded'", NULL));
}

/* Rewrites the SQL of @table in the schema, as an older till-server would have left it. */
static void
edit_schema (const char *path, const char *table, const char *from, const char *to)
{
  sqlite3      *raw = NULL;
  sqlite3_stmt *stmt = NULL;
  int           version;

  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "BEGIN; PRAGMA writable_schema = ON", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (raw,
                                       "UPDATE sqlite_schema SET sql = replace (sql, ?2, ?3)"
                                       " WHERE name = ?1",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, table, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, from, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, to, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  g_assert_cmpint (sqlite3_changes (raw), ==, 1);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (raw, "PRAGMA schema_version", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  {
    g_autofree char *sql = g_strdup_printf ("PRAGMA schema_version = %d;"
                                            "PRAGMA writable_schema = OFF;"
                                            "PRAGMA user_version = 1; COMMIT",
                                            version + 1);

    g_assert_cmpint (sqlite3_exec (raw, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  }
  sqlite3_close (raw);
}

#define ORDERS_CHECK_1                                                                             \
  "CHECK (status IN ('pending_payment', 'paid', 'partially_refunded',"                             \
  "                                         'refunded', 'canceled'))"
#define ORDERS_CHECK_2                                                                             \
  "CHECK (status = 'pending_payment' OR status = 'paid' OR status = 'partially_refunded'"          \
  " OR status = 'refunded' OR status = 'canceled')"
/* Version 14 adds partially_paid to it. */
#define ORDERS_CHECK_14                                                                            \
  "CHECK (status = 'pending_payment' OR status = 'paid' OR status = 'partially_refunded'"          \
  " OR status = 'refunded' OR status = 'canceled' OR status = 'partially_paid')"

/* Schema version 2 has the status CHECKs as comparisons; a version 1 database (written
 * with IN lists) is brought to it with its rows untouched. */
static void
test_status_checks_migration (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *schema = NULL;
  g_autofree char *number = NULL;

  g_assert_true (till_database_exec (fixture->db, INSERT_ORDER, NULL));
  g_assert_true (till_database_exec (fixture->db, INSERT_REFUND, NULL));
  assert_status_checks (fixture->db);
  g_clear_object (&fixture->db);

  /* Only the refunds' check as version 1 had it: the migration does not recognize the
   * schema and refuses it, changing nothing. */
  edit_schema (fixture->path, "refunds",
               "CHECK (status = 'pending' OR status = 'succeeded' OR status = 'failed'"
               " OR status = 'canceled')",
               "CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled'))");
  fixture->db = till_database_open (fixture->path, &error);
  g_assert_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "orders"));
  g_assert_null (fixture->db);
  g_clear_error (&error);

  /* Both: a version 1 database. */
  edit_schema (fixture->path, "orders", ORDERS_CHECK_14, ORDERS_CHECK_1);
  fixture->db = till_database_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (till_database_get_version (fixture->db), >=, 7);
  number = query_text (fixture->db, "SELECT number FROM orders WHERE id = 7");
  g_assert_cmpstr (number, ==, "T-7");
  schema = query_text (fixture->db, "SELECT sql FROM sqlite_schema WHERE name = 'orders'");
  g_assert_nonnull (strstr (schema, ORDERS_CHECK_14));
  g_assert_null (strstr (schema, "status IN"));
  assert_status_checks (fixture->db);
}

#define INSERT_PAYMENT                                                                             \
  "INSERT INTO payments (order_id, payment_intent, status, amount, card_brand, card_last4,"        \
  " updated_at) VALUES (7, 'pi_old', 'succeeded', 100, 'visa', '4242', 5)"

static gint64
query_int (TillDatabase *db, const char *sql)
{
  g_autofree char *text = query_text (db, sql);

  return g_ascii_strtoll (text, NULL, 10);
}

/* Schema version 4 has no index of the intents' ids: a version 3 database's payments are
 * copied into a table without it, every column kept, its foreign key still enforced. */
static void
test_payments_migration (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *row = NULL;
  g_autofree char *integrity = NULL;
  sqlite3         *raw = NULL;

  g_assert_true (till_database_exec (fixture->db, INSERT_ORDER, NULL));
  g_assert_true (till_database_exec (fixture->db, INSERT_PAYMENT, NULL));
  g_clear_object (&fixture->db);

  /* The payments table as versions 1 to 3 made it. */
  g_assert_cmpint (sqlite3_open (fixture->path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_exec (
          raw,
          "BEGIN;"
          "CREATE TABLE payments_v3 ("
          "  order_id INTEGER PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,"
          "  payment_intent TEXT UNIQUE, status TEXT, amount INTEGER NOT NULL, card_brand TEXT,"
          "  card_last4 TEXT, decline_code TEXT, decline_message TEXT,"
          "  updated_at INTEGER NOT NULL);"
          "INSERT INTO payments_v3 SELECT * FROM payments;"
          "DROP TABLE payments;"
          "ALTER TABLE payments_v3 RENAME TO payments;"
          "PRAGMA user_version = 3;"
          "COMMIT",
          NULL, NULL, NULL),
      ==, SQLITE_OK);
  sqlite3_close (raw);

  fixture->db = till_database_open (fixture->path, &error);
  g_assert_no_error (error);
  /* Version 4 copied the table without its UNIQUE constraint, version 5 indexed the
   * intents' ids again, unique, version 6 the cards' last 4 digits (and 7 the receipt
   * pages' tokens). */
  g_assert_cmpint (till_database_get_version (fixture->db), >=, 7);
  g_assert_cmpint (query_int (fixture->db, "SELECT count (*) FROM sqlite_schema"
                                           " WHERE tbl_name = 'payments' AND type = 'index'"
                                           " AND name = 'payments_payment_intent'"
                                           " AND sql LIKE 'CREATE UNIQUE INDEX%'"),
                   ==, 1);
  g_assert_cmpint (query_int (fixture->db, "SELECT count (*) FROM sqlite_schema"
                                           " WHERE tbl_name = 'payments' AND type = 'index'"),
                   ==, 2);
  row = query_text (fixture->db,
                    "SELECT printf ('%d %s %s %d %s %s %s %s %d', order_id, payment_intent,"
                    " status, amount, card_brand, card_last4, decline_code, decline_message,"
                    " updated_at) FROM payments");
  g_assert_cmpstr (row, ==, "7 pi_old succeeded 100 visa 4242   5");
  integrity = query_text (fixture->db, "PRAGMA integrity_check");
  g_assert_cmpstr (integrity, ==, "ok");
  /* The foreign key and its cascade came along. */
  g_assert_false (till_database_exec (fixture->db,
                                      "INSERT INTO payments (order_id, amount, updated_at)"
                                      " VALUES (8, 1, 0)",
                                      NULL));
  /* One intent, one order. */
  g_assert_true (till_database_exec (fixture->db,
                                     "INSERT INTO orders (id, number, status, currency, subtotal,"
                                     " discount, tax, rounding, total, created_at, updated_at)"
                                     " VALUES (9, 'T-9', 'pending_payment', 'USD', 100, 0, 0, 0,"
                                     " 100, 0, 0)",
                                     NULL));
  g_assert_false (till_database_exec (fixture->db,
                                      "INSERT INTO payments (order_id, payment_intent, amount,"
                                      " updated_at) VALUES (9, 'pi_old', 1, 0)",
                                      NULL));
  g_assert_true (till_database_exec (fixture->db, "DELETE FROM orders WHERE id = 7", NULL));
  g_assert_cmpint (query_int (fixture->db, "SELECT count (*) FROM payments"), ==, 0);
}

static JsonObject *
intent_naming (TillDatabase *db, const char *intent_id, const char *order_id, const char *instance)
{
  g_autofree char *text = g_strdup_printf (
      "{\"id\": \"%s\", \"object\": \"payment_intent\","
      " \"status\": \"requires_payment_method\","
      " \"metadata\": {\"till_order_id\": \"%s\","
      " \"till_instance\": \"%s\"}}",
      intent_id, order_id, instance != NULL ? instance : till_database_get_instance (db));
  g_autoptr (GError) error = NULL;
  JsonObject *intent = till_json_parse_object (text, -1, &error);

  g_assert_no_error (error);
  return intent;
}

/* With no index of intents' ids, nothing but this keeps one intent from two orders: an order
 * records only an intent whose metadata names it, in this database. */
static void
test_intent_names_order (Fixture *fixture, gconstpointer data)
{
  TillDatabase *db = fixture->db;
  g_autoptr (JsonObject) other_order = intent_naming (db, "pi_a", "8", NULL);
  g_autoptr (JsonObject) other_till = intent_naming (db, "pi_b", "7", "another-till");
  g_autoptr (JsonObject) not_a_number = intent_naming (db, "pi_c", "7x", NULL);
  g_autoptr (JsonObject) ours = intent_naming (db, "pi_d", "7", NULL);
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  g_autoptr (GPtrArray) intents = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  gint64 seven = 7;

  g_assert_true (till_database_exec (db, INSERT_ORDER, NULL));
  g_assert_true (till_database_exec (db,
                                     "INSERT INTO payments (order_id, amount, updated_at)"
                                     " VALUES (7, 100, 0)",
                                     NULL));
  g_assert_cmpint (till_orders_order_of_intent (db, other_order), ==, 8);
  g_assert_cmpint (till_orders_order_of_intent (db, other_till), ==, 0);
  g_assert_cmpint (till_orders_order_of_intent (db, not_a_number), ==, 0);
  g_assert_cmpint (till_orders_order_of_intent (db, ours), ==, 7);

  g_assert_false (till_orders_apply_intent (db, 7, other_order, NULL, &error));
  g_assert_error (error, TILL_API_ERROR, TILL_API_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_false (till_orders_apply_intent (db, 7, other_till, NULL, &error));
  g_assert_error (error, TILL_API_ERROR, TILL_API_ERROR_CONFLICT);
  g_clear_error (&error);
  /* A batch's new intents (the checkouts' path) skip it too, and record the right one. */
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (ids, &seven);
  g_ptr_array_add (intents, other_order);
  g_ptr_array_add (intents, not_a_number);
  g_ptr_array_add (intents, ours);
  g_assert_true (till_orders_apply_intents (db, ids, intents, &error));
  g_assert_no_error (error);
  {
    g_autofree char *recorded = query_text (db, "SELECT payment_intent FROM payments");

    g_assert_cmpstr (recorded, ==, "pi_d");
  }
}

/* The oldest events go first, at most the limit at a time, and only those old enough. */
static void
test_forget_events (Fixture *fixture, gconstpointer data)
{
  TillDatabase *db = fixture->db;
  g_autoptr (GError) error = NULL;
  g_autofree char *left = NULL;

  /* In the order received; evt_4's clock was set back. */
  g_assert_true (till_database_exec (
      db,
      "INSERT INTO stripe_events (id, type, created, received_at) VALUES"
      " ('evt_1', 't', 0, 100), ('evt_2', 't', 0, 200), ('evt_3', 't', 0, 5000),"
      " ('evt_4', 't', 0, 300), ('evt_5', 't', 0, 400)",
      NULL));

  g_assert_true (till_database_begin (db, &error));
  g_assert_cmpint (till_webhook_forget_events (db, 1000, 2, &error), ==, 2);
  g_assert_true (till_database_commit (db, &error));
  /* The next two oldest: one of them is recent. */
  g_assert_true (till_database_begin (db, &error));
  g_assert_cmpint (till_webhook_forget_events (db, 1000, 2, &error), ==, 1);
  g_assert_true (till_database_commit (db, &error));
  g_assert_true (till_database_begin (db, &error));
  g_assert_cmpint (till_webhook_forget_events (db, 1000, 10, &error), ==, 1);
  g_assert_cmpint (till_webhook_forget_events (db, 1000, 10, &error), ==, 0);
  g_assert_true (till_database_commit (db, &error));
  g_assert_no_error (error);
  left = query_text (db, "SELECT group_concat (id) FROM stripe_events");
  g_assert_cmpstr (left, ==, "evt_3");
}

static void
test_transactions (Fixture *fixture, gconstpointer data)
{
  TillDatabase *db = fixture->db;
  g_autoptr (TillProductRecord) product = g_new0 (TillProductRecord, 1);
  g_autoptr (GError) error = NULL;

  product->name = g_strdup ("Simit");
  product->currency = g_strdup ("TRY");
  product->unit_amount = 1500;
  product->tax_rate = 100;
  product->active = TRUE;
  g_assert_true (till_database_begin (db, &error));
  g_assert_true (till_products_save (db, product, &error));
  till_database_rollback (db);
  g_assert_cmpint (till_products_count (db, NULL), ==, 0);

  product->id = 0;
  g_assert_true (till_database_begin (db, &error));
  g_assert_true (till_products_save (db, product, &error));
  g_assert_true (till_database_commit (db, &error));
  g_assert_cmpint (till_products_count (db, NULL), ==, 1);
}

static goffset
file_size (const char *path)
{
  GStatBuf buf;

  return g_stat (path, &buf) == 0 ? (goffset) buf.st_size : 0;
}

static void
fill (TillDatabase *db, guint commits)
{
  g_autoptr (GError) error = NULL;

  /* What these commits show is the checkpoints, which sync the same either way: without a
   * sync of the WAL at each commit (synchronous=FULL's), tens of thousands take seconds,
   * not a minute, on a slow disk. */
  g_assert_true (till_database_exec (db, "PRAGMA synchronous = NORMAL", &error));
  /* Each commit writes four pages or more. */
  for (guint i = 0; i < commits; i++)
    {
      g_assert_true (till_database_begin (db, &error));
      g_assert_true (
          till_database_exec (db, "INSERT INTO filler (x) VALUES (randomblob (12000))", &error));
      g_assert_true (till_database_commit (db, &error));
      g_assert_no_error (error);
    }
}

/* Field @field (as in proc(5): 19 is the nice value, 41 the scheduling policy) of the
 * stat of this process's thread named @name (at most 15 bytes), or -1 if there is none. */
static int
thread_stat_field (const char *name, guint field)
{
  g_autoptr (GDir) tasks = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;

  g_assert_nonnull (tasks);
  while ((tid = g_dir_read_name (tasks)) != NULL)
    {
      g_autofree char *comm_path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
      g_autofree char *stat_path = g_build_filename ("/proc/self/task", tid, "stat", NULL);
      g_autofree char *comm = NULL;
      g_autofree char *stat = NULL;
      g_auto (GStrv) fields = NULL;

      if (!g_file_get_contents (comm_path, &comm, NULL, NULL) ||
          !g_str_equal (g_strchomp (comm), name) ||
          !g_file_get_contents (stat_path, &stat, NULL, NULL))
        continue;
      /* What follows "pid (comm) " starts at field 3. */
      fields = g_strsplit (strrchr (stat, ')') + 2, " ", -1);
      g_assert_cmpuint (g_strv_length (fields), >, field - 3);
      return atoi (fields[field - 3]);
    }
  return -1;
}

/* Commits that fill the WAL wake the checkpointer thread; once it has caught up, the WAL is
 * reused from its start instead of growing. Under a stream of commits that never lets it
 * catch up, the WAL stops growing at about 32,000 frames. Nothing is lost. */
static void
test_checkpoints (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char    *wal = g_strconcat (fixture->path, "-wal", NULL);
  g_autofree char    *count = NULL;
  g_autofree char    *expected = NULL;
  guint               rounds;
  TillCheckpointStats stats;
  goffset             size;

  g_assert_true (till_database_exec (fixture->db, "CREATE TABLE filler (x BLOB)", &error));
  g_assert_no_error (error);
  g_assert_false (till_database_wait_checkpoints (fixture->db, 1, 0));
  fill (fixture->db, 100);
  /* 400–500 frames: not yet a write-back. */
  till_database_get_checkpoint_stats (fixture->db, &stats);
  g_assert_cmpuint (stats.write_backs, ==, 0);
  fill (fixture->db, 2000);
  g_assert_true (till_database_wait_checkpoints (fixture->db, 1, 20000));
  /* Every 1,024 frames on the way to the first checkpoint, the kernel was asked to start
   * writing the WAL back (some of those asks may have come while one was being made). */
  till_database_get_checkpoint_stats (fixture->db, &stats);
  g_assert_cmpuint (stats.write_backs, >=, 1);
  /* That first checkpoint of a full WAL ran in a thread at the lowest priority (on a busy
   * machine it may have been taken back, and a commit that could not start the WAL again
   * may have asked for another); the checkpointer thread itself, which runs the short ones
   * after it, did not change. */
  g_assert_cmpuint (stats.low_priority, >=, 1);
  g_assert_cmpint (thread_stat_field ("till-checkpoint", 41), ==, SCHED_OTHER);
  /* As nice as the process (which may run under nice). */
  g_assert_cmpint (thread_stat_field ("till-checkpoint", 19), ==, getpriority (PRIO_PROCESS, 0));
  size = file_size (wal);
  g_assert_cmpint (size, >, 8000 * 4096);
  /* Everything was copied: the next commits start the WAL again, the file does not grow
   * (the first of them cuts it back to the limit). */
  fill (fixture->db, 100);
  g_assert_cmpint (file_size (wal), <=, size);
  g_assert_cmpint (file_size (wal), <=, WAL_LIMIT);

  /* 15,000 commits in a row, about 60,000 frames, faster than the thread's checkpoints
   * can keep up with. Past 32,000 frames the committing thread checkpoints itself (at each
   * commit, until the thread's checkpoint in progress is done), and the WAL starts again.
   * How far it grows first depends on how long that checkpoint takes (with 16,000 frames
   * as the limit, 180 MB, 44,000 frames, was seen on a slow disk), so no size is asserted
   * here. What is certain: once
   * the checkpoints are done (the one in progress, then the one the next commit makes or
   * asks for), the next commits reuse the WAL instead of growing it. */
  fill (fixture->db, 15000);
  g_assert_true (till_database_wait_checkpoints (fixture->db, 1, 20000));
  /* Under a slow build (the sanitizers) on a busy machine the checkpoint that ends the burst
   * may have had to leave frames behind; the next commit asks for another. A few rounds at
   * most, each ended by a finished checkpoint. */
  for (rounds = 1; rounds <= 5; rounds++)
    {
      fill (fixture->db, 1);
      g_assert_true (till_database_wait_checkpoints (fixture->db, 1, 20000));
      size = file_size (wal);
      fill (fixture->db, 100);
      if (file_size (wal) <= size)
        break;
    }
  g_assert_cmpint (file_size (wal), <=, size);
  /* The WAL grew far past the limit meanwhile; starting again cut it back. */
  g_assert_cmpint (file_size (wal), <=, WAL_LIMIT);
  count = query_text (fixture->db, "SELECT count(*) FROM filler");
  expected = g_strdup_printf ("%u", 17200 + MIN (rounds, 5) * 101);
  g_assert_cmpstr (count, ==, expected);

  /* Everything is still there after closing and opening again. */
  g_clear_object (&fixture->db);
  fixture->db = till_database_open (fixture->path, &error);
  g_assert_no_error (error);
  g_clear_pointer (&count, g_free);
  count = query_text (fixture->db, "SELECT count(*) FROM filler");
  g_assert_cmpstr (count, ==, expected);
}

/* Closing the database right after the commits that asked for the checkpoint of a full
 * WAL (then most likely still running in the low-priority thread) waits for it, and loses
 * nothing; three times. */
static void
test_checkpoint_stopped (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *count = NULL;
  g_autofree char *check = NULL;

  g_assert_true (till_database_exec (fixture->db, "CREATE TABLE filler (x BLOB)", &error));
  g_assert_no_error (error);
  for (guint round = 0; round < 3; round++)
    {
      fill (fixture->db, 2100);
      g_clear_object (&fixture->db);
      fixture->db = till_database_open (fixture->path, &error);
      g_assert_no_error (error);
    }
  count = query_text (fixture->db, "SELECT count(*) FROM filler");
  g_assert_cmpstr (count, ==, "6300");
  check = query_text (fixture->db, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
}

static gpointer
spin (gpointer data)
{
  int *stop = data;

  while (!g_atomic_int_get (stop))
    ;
  return NULL;
}

/* On a CPU that another thread keeps busy, the low-priority thread gets almost no CPU for
 * the checkpoint of a full WAL (seconds for its 15–40 ms). The checkpointer takes it back
 * after half a second and does it at normal priority, and the WAL is reused. */
static void
test_checkpoint_taken_back (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  g_autofree char *count = NULL;
  g_autoptr (GThread) spinner = NULL;
  cpu_set_t           all, one;
  TillCheckpointStats stats;
  int                 stop = FALSE;
  int                 cpu = 0;
  goffset             size;

  g_assert_true (till_database_exec (fixture->db, "CREATE TABLE filler (x BLOB)", &error));
  g_assert_no_error (error);
  /* This thread, the spinner and the checkpoint threads (started by the first commit that
   * needs them) on one CPU. */
  g_assert_cmpint (sched_getaffinity (0, sizeof all, &all), ==, 0);
  while (!CPU_ISSET (cpu, &all))
    cpu++;
  CPU_ZERO (&one);
  CPU_SET (cpu, &one);
  g_assert_cmpint (sched_setaffinity (0, sizeof one, &one), ==, 0);
  spinner = g_thread_new ("spinner", spin, &stop);

  fill (fixture->db, 2100);
  g_assert_true (till_database_wait_checkpoints (fixture->db, 1, 20000));
  till_database_get_checkpoint_stats (fixture->db, &stats);
  g_assert_cmpuint (stats.taken_back, >=, 1);
  g_assert_cmpuint (stats.low_priority, >=, stats.taken_back);
  size = file_size (wal);
  fill (fixture->db, 100);
  g_assert_cmpint (file_size (wal), <=, size);

  g_atomic_int_set (&stop, TRUE);
  g_thread_join (g_steal_pointer (&spinner));
  g_assert_cmpint (sched_setaffinity (0, sizeof all, &all), ==, 0);
  count = query_text (fixture->db, "SELECT count(*) FROM filler");
  g_assert_cmpstr (count, ==, "2200");
}

static void
test_backup (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *copy = g_build_filename (fixture->dir, "sub", "copy.db", NULL);
  g_autoptr (TillDatabase) restored = NULL;

  g_assert_true (till_api_load_demo_catalog (fixture->db, "EUR", &error));
  g_assert_true (till_database_backup (fixture->db, copy, &error));
  g_assert_no_error (error);
  restored = till_database_open (copy, &error);
  g_assert_no_error (error);
  g_assert_cmpint (till_products_count (restored, NULL), ==, 60);
  g_assert_cmpstr (till_database_get_instance (restored), ==,
                   till_database_get_instance (fixture->db));
  /* Into a place that cannot be written. */
  g_assert_false (till_database_backup (fixture->db, "/proc/till/backup.db", &error));
}

/* Version 7 gives every order from before it its receipt page token: 128 random bits each,
 * base64url, none shared; orders that have one keep it. */
static void
test_receipt_tokens_migration (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *kept = NULL;
  sqlite3         *raw = NULL;

  g_assert_true (till_database_exec (fixture->db, INSERT_ORDER, NULL));
  g_assert_true (till_database_exec (fixture->db,
                                     "INSERT INTO orders (id, number, status, currency, subtotal,"
                                     " discount, tax, rounding, total, created_at, updated_at)"
                                     " VALUES (8, 'T-8', 'pending_payment', 'USD', 100, 0, 0, 0,"
                                     " 100, 0, 0)",
                                     NULL));
  g_clear_object (&fixture->db);
  /* A version 6 database: no table of tokens. */
  g_assert_cmpint (sqlite3_open (fixture->path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_exec (raw, "DROP TABLE receipt_tokens; PRAGMA user_version = 6", NULL, NULL, NULL),
      ==, SQLITE_OK);
  sqlite3_close (raw);

  fixture->db = till_database_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (till_database_get_version (fixture->db), >=, 7);
  g_assert_cmpint (query_int (fixture->db, "SELECT count (DISTINCT token) FROM receipt_tokens"
                                           " WHERE order_id IN (7, 8)"),
                   ==, 2);
  first = query_text (fixture->db, "SELECT token FROM receipt_tokens WHERE order_id = 7");
  g_assert_cmpuint (strlen (first), ==, 22);
  g_assert_cmpuint (strspn (first, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-_"),
                    ==, 22);

  /* Run again over a table that has them: nothing changes. */
  g_clear_object (&fixture->db);
  g_assert_cmpint (sqlite3_open (fixture->path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "PRAGMA user_version = 6", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);
  fixture->db = till_database_open (fixture->path, &error);
  g_assert_no_error (error);
  kept = query_text (fixture->db, "SELECT token FROM receipt_tokens WHERE order_id = 7");
  g_assert_cmpstr (kept, ==, first);
}

/* Versions 8 to 12 add cash tenders, drawer sessions, Z reports, offline sales and cash
 * refunds: a
 * version 7 database
 * opens with its orders as they were, and takes cash. */
static void
test_cash_tenders_migration (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  sqlite3 *raw = NULL;

  g_assert_true (till_database_exec (fixture->db, INSERT_ORDER, NULL));
  g_clear_object (&fixture->db);
  g_assert_cmpint (sqlite3_open (fixture->path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_exec (raw,
                    "DROP TABLE cash_tenders; DROP TABLE drawer_movements;"
                    " DROP TABLE drawer_sessions; DROP TABLE z_reports; DROP TABLE offline_sales;"
                    " DROP TABLE cash_refunds; DROP TABLE drawer_close_keys;"
                    " PRAGMA user_version = 7",
                    NULL, NULL, NULL),
      ==, SQLITE_OK);
  sqlite3_close (raw);

  fixture->db = till_database_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (till_database_get_version (fixture->db), >=, 14);
  g_assert_cmpint (query_int (fixture->db, "SELECT count (*) FROM cash_refunds"), ==, 0);
  g_assert_cmpint (query_int (fixture->db, "SELECT count (*) FROM offline_sales"), ==, 0);
  g_assert_cmpint (query_int (fixture->db, "SELECT count (*) FROM z_reports"), ==, 0);
  g_assert_cmpint (query_int (fixture->db, "SELECT count (*) FROM cash_tenders"), ==, 0);
  g_assert_cmpint (query_int (fixture->db, "SELECT count (*) FROM drawer_sessions"), ==, 0);
  g_assert_cmpint (query_int (fixture->db, "SELECT count (*) FROM drawer_movements"), ==, 0);
  {
    g_autoptr (TillOrder) order = till_orders_get (fixture->db, 7, &error);

    g_assert_no_error (error);
    g_assert_null (order->tender);
    g_assert_cmpint (order->paid_amount, ==, 0);
    g_assert_cmpuint (order->tenders->len, ==, 0);
  }
  /* A tender must add up: what the drawer took is what was handed over less the change. */
  g_assert_false (till_database_exec (fixture->db,
                                      "INSERT INTO cash_tenders (order_id, request_key, amount,"
                                      " rounding, tendered, change, created_at)"
                                      " VALUES (7, 'k', 100, 0, 500, 300, 0)",
                                      NULL));
  g_assert_true (till_database_exec (fixture->db,
                                     "INSERT INTO cash_tenders (order_id, request_key, amount,"
                                     " rounding, tendered, change, created_at)"
                                     " VALUES (7, 'k', 100, 0, 500, 400, 0)",
                                     NULL));
}

/* Version 15 keeps when an order was canceled; orders canceled before get their last change's
 * time, the others none; run again over a database that has the column, nothing changes. */
static void
test_canceled_at_migration (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  sqlite3 *raw = NULL;

  g_assert_true (till_database_exec (fixture->db, INSERT_ORDER, NULL));
  g_assert_true (till_database_exec (fixture->db,
                                     "INSERT INTO orders (id, number, status, currency, subtotal,"
                                     " discount, tax, rounding, total, created_at, updated_at)"
                                     " VALUES (8, 'T-8', 'canceled', 'USD', 100, 0, 0, 0,"
                                     " 100, 1000, 5000)",
                                     NULL));
  g_clear_object (&fixture->db);
  /* A version 14 database: no canceled_at. */
  g_assert_cmpint (sqlite3_open (fixture->path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw,
                                 "ALTER TABLE orders DROP COLUMN canceled_at;"
                                 " PRAGMA user_version = 14",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (raw);

  for (guint i = 0; i < 2; i++)
    {
      fixture->db = till_database_open (fixture->path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (till_database_get_version (fixture->db), >=, 15);
      g_assert_cmpint (query_int (fixture->db, "SELECT canceled_at FROM orders WHERE id = 8"), ==,
                       5000);
      g_assert_cmpint (
          query_int (fixture->db,
                     "SELECT count (*) FROM orders WHERE id = 7 AND canceled_at IS NULL"),
          ==, 1);
      g_clear_object (&fixture->db);
      g_assert_cmpint (sqlite3_open (fixture->path, &raw), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_exec (raw, "PRAGMA user_version = 14", NULL, NULL, NULL), ==,
                       SQLITE_OK);
      sqlite3_close (raw);
    }
  fixture->db = till_database_open (fixture->path, &error);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/server/storage/pragmas", test_pragmas);
  ADD ("/server/storage/reopen-and-too-new", test_reopen_and_too_new);
  ADD ("/server/storage/foreign-keys-and-trigger", test_foreign_keys_and_trigger);
  ADD ("/server/storage/status-checks-migration", test_status_checks_migration);
  ADD ("/server/storage/payments-migration", test_payments_migration);
  ADD ("/server/storage/receipt-tokens-migration", test_receipt_tokens_migration);
  ADD ("/server/storage/cash-tenders-migration", test_cash_tenders_migration);
  ADD ("/server/storage/canceled-at-migration", test_canceled_at_migration);
  ADD ("/server/storage/intent-names-order", test_intent_names_order);
  ADD ("/server/storage/forget-events", test_forget_events);
  ADD ("/server/storage/transactions", test_transactions);
  ADD ("/server/storage/backup", test_backup);
  ADD ("/server/storage/checkpoints", test_checkpoints);
  ADD ("/server/storage/checkpoint-stopped", test_checkpoint_stopped);
  ADD ("/server/storage/checkpoint-taken-back", test_checkpoint_taken_back);
#undef ADD

  return g_test_run ();
}
