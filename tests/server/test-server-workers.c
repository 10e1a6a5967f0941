/* test-server-workers.c: the worker connections of till-database.h's model.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "till-database.h"

typedef struct
{
  char         *dir;
  char         *path;
  TillDatabase *db;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("till-database-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "till.db", NULL);
  fixture->db = till_database_open (fixture->path, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (fixture->path, "-shm", NULL);

  g_clear_object (&fixture->db);
  g_unlink (wal);
  g_unlink (shm);
  g_unlink (fixture->path);
  g_rmdir (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

/* The log and checkpointed columns of PRAGMA wal_checkpoint (TRUNCATE): busy is 1 when a
 * reader kept it from copying the whole WAL. */
static gint64
checkpoint_busy (TillDatabase *db)
{
  g_autoptr (GError) error = NULL;
  sqlite3_stmt *stmt = till_database_prepare (db, "PRAGMA wal_checkpoint(TRUNCATE)", &error);
  gint64        busy;

  g_assert_no_error (error);
  g_assert_cmpint (till_database_step (db, stmt, &error), ==, SQLITE_ROW);
  busy = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return busy;
}

/* A worker given back mid-statement (an export whose client went away) keeps no read
 * transaction open while it idles in the pool: the WAL can still be checkpointed whole. */
static void
test_worker_given_back_idle (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  TillDatabase *worker;
  TillDatabase *again;
  sqlite3_stmt *stmt;

  g_assert_true (till_database_exec (
      fixture->db, "INSERT INTO meta (key, value) VALUES ('a', '1'), ('b', '2')", &error));
  g_assert_no_error (error);

  worker = till_database_take_worker (fixture->db, &error);
  g_assert_no_error (error);
  g_assert_nonnull (worker);
  g_assert_true (worker != fixture->db);
  stmt = till_database_prepare (worker, "SELECT key FROM meta", &error);
  g_assert_no_error (error);
  g_assert_cmpint (till_database_step (worker, stmt, &error), ==, SQLITE_ROW);
  till_database_give_back (fixture->db, worker);

  /* Written after the worker's read began: only a reader of the old snapshot holds it. */
  g_assert_true (
      till_database_exec (fixture->db, "INSERT INTO meta (key, value) VALUES ('c', '3')", &error));
  g_assert_no_error (error);
  g_assert_cmpint (checkpoint_busy (fixture->db), ==, 0);

  /* The idle worker is lent again. */
  again = till_database_take_worker (fixture->db, &error);
  g_assert_no_error (error);
  g_assert_true (again == worker);
  till_database_give_back (fixture->db, again);
}

/* A worker given back inside a transaction (its commit failed) is closed, not lent again. */
static void
test_worker_in_transaction_closed (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  TillDatabase *worker = till_database_take_worker (fixture->db, &error);
  TillDatabase *next;
  GWeakRef      ref;

  g_assert_no_error (error);
  g_weak_ref_init (&ref, worker);
  g_assert_true (till_database_begin (worker, &error));
  g_assert_no_error (error);
  till_database_give_back (fixture->db, worker);
  g_assert_null (g_weak_ref_get (&ref));
  g_weak_ref_clear (&ref);

  /* Its write lock went with it. */
  g_assert_false (till_database_is_locked_elsewhere (fixture->db));
  next = till_database_take_worker (fixture->db, &error);
  g_assert_no_error (error);
  till_database_give_back (fixture->db, next);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server/database/worker-given-back-idle", Fixture, NULL, fixture_set_up,
              test_worker_given_back_idle, fixture_tear_down);
  g_test_add ("/server/database/worker-in-transaction-closed", Fixture, NULL, fixture_set_up,
              test_worker_in_transaction_closed, fixture_tear_down);
  return g_test_run ();
}
