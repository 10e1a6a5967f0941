/* test-wal-vfs.c: till-wal-vfs.c over a VFS that counts, and can refuse, the writes to a
 * WAL: a transaction's frames reach the file in one write, before the commit is seen by
 * another connection, and a write that fails fails the commit and loses nothing else.
 *
 * A program of its own: the counting VFS must be SQLite's default before Till's VFS wraps
 * it, once per process.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "till-wal-vfs.h"

/* The default VFS, with the writes to a WAL counted (and refused while `refuse_writes`). */
static sqlite3_vfs counting_vfs;
static sqlite3_vfs *unix_vfs;
static sqlite3_io_methods counting_wal_methods;
static const sqlite3_io_methods *unix_methods;
static guint wal_writes;
static gint64 wal_bytes;
static gboolean refuse_writes;

static int
counting_write (sqlite3_file *file,
                const void   *data,
                int           amount,
                sqlite3_int64 offset)
{
  if (refuse_writes)
    return SQLITE_IOERR_WRITE;
  wal_writes++;
  wal_bytes += amount;
  return unix_methods->xWrite (file, data, amount, offset);
}

static int
counting_open (sqlite3_vfs      *vfs,
               sqlite3_filename  name,
               sqlite3_file     *file,
               int               flags,
               int              *out_flags)
{
  int rc = unix_vfs->xOpen (unix_vfs, name, file, flags, out_flags);

  if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL))
    {
      unix_methods = file->pMethods;
      counting_wal_methods = *file->pMethods;
      counting_wal_methods.xWrite = counting_write;
      file->pMethods = &counting_wal_methods;
    }
  return rc;
}

/* The frames in the writer's WAL after its last commit. */
static int wal_frames;

static int
on_wal_commit (void       *data,
               sqlite3    *db,
               const char *name,
               int         frames)
{
  wal_frames = frames;
  return SQLITE_OK;
}

typedef struct
{
  char *dir;
  char *path;
  sqlite3 *writer;
  sqlite3 *reader;
} Fixture;

static void
exec_ok (sqlite3    *db,
         const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static gint64
query_int (sqlite3    *db,
           const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static sqlite3 *
open_connection (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                    NULL), ==, SQLITE_OK);
  exec_ok (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  return db;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("till-wal-vfs-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "test.db", NULL);
  fixture->writer = open_connection (fixture->path);
  /* In place of the automatic checkpoints: every frame written stays in the WAL, to be
   * counted. */
  sqlite3_wal_hook (fixture->writer, on_wal_commit, NULL);
  exec_ok (fixture->writer,
           "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v BLOB NOT NULL)");
  fixture->reader = open_connection (fixture->path);
  refuse_writes = FALSE;
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (fixture->path, "-shm", NULL);

  /* Every commit's frames were written by the commit's own writes. */
  g_assert_cmpuint (till_wal_vfs_get_late_flushes (), ==, 0);

  g_assert_cmpint (sqlite3_close (fixture->reader), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (fixture->writer), ==, SQLITE_OK);
  g_unlink (wal);
  g_unlink (shm);
  g_unlink (fixture->path);
  g_rmdir (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

/* @rows rows of 500 random bytes at random keys: pages all over the table and its index. */
static void
insert_rows (sqlite3 *db,
             int      first,
             int      rows)
{
  g_autofree char *sql =
    g_strdup_printf ("WITH RECURSIVE n (i) AS (SELECT %d UNION ALL SELECT i + 1 FROM n "
                     "WHERE i < %d) INSERT INTO t (id, k, v) "
                     "SELECT i, hex (randomblob (8)), randomblob (500) FROM n",
                     first, first + rows - 1);

  exec_ok (db, sql);
}

static void
test_one_write_per_commit (Fixture       *fixture,
                           gconstpointer  data)
{
  int page_size = (int) query_int (fixture->writer, "PRAGMA page_size");

  for (int i = 0; i < 20; i++)
    {
      int frames_before = wal_frames, frames;
      guint writes_before = wal_writes;
      gint64 bytes_before = wal_bytes;

      insert_rows (fixture->writer, 1 + i * 30, 30);
      frames = wal_frames - frames_before;
      /* Thirty rows of 500 bytes: several pages, and a frame for each. */
      g_assert_cmpint (frames, >=, 4);
      g_assert_cmpuint (wal_writes - writes_before, ==, 1);
      g_assert_cmpint (wal_bytes - bytes_before, ==, (gint64) frames * (24 + page_size));

      /* The other connection sees it at once, read from the WAL's file. */
      g_assert_cmpint (query_int (fixture->reader, "SELECT count (*) FROM t"), ==, 30 * (i + 1));
      g_assert_cmpint (query_int (fixture->reader, "SELECT sum (length (v)) FROM t"), ==,
                       500 * 30 * (i + 1));
    }
}

/* More than the VFS keeps (128 kB): SQLite spills pages before the commit, and the VFS writes
 * in pieces; everything arrives, and only the commit is seen. */
static void
test_large_transaction (Fixture       *fixture,
                        gconstpointer  data)
{
  guint writes_before = wal_writes;

  exec_ok (fixture->writer, "PRAGMA cache_size = 20");
  exec_ok (fixture->writer, "BEGIN");
  insert_rows (fixture->writer, 1, 3000);
  g_assert_cmpint (query_int (fixture->reader, "SELECT count (*) FROM t"), ==, 0);
  /* Spilled before the commit, in pieces of at most 128 kB. */
  g_assert_cmpuint (wal_writes - writes_before, >, 1);
  /* Pages already spilled to the WAL, changed again: SQLite writes over their frames, and
   * rewrites the checksums of the frames after them at the commit. */
  exec_ok (fixture->writer, "UPDATE t SET v = randomblob (500) WHERE id <= 100");
  exec_ok (fixture->writer, "COMMIT");
  g_assert_cmpint (query_int (fixture->reader, "SELECT count (*) FROM t"), ==, 3000);
  g_assert_cmpint (query_int (fixture->reader, "SELECT count (DISTINCT k) FROM t"), ==, 3000);
  g_assert_cmpint (query_int (fixture->reader, "SELECT sum (length (v)) FROM t"), ==,
                   500 * 3000);
  g_assert_cmpint (query_int (fixture->reader, "SELECT count (*) FROM pragma_integrity_check "
                                               "WHERE integrity_check != 'ok'"), ==, 0);
}

static void
test_refused_write (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  char *message = NULL;
  int rc;

  insert_rows (fixture->writer, 1, 10);

  /* The disk refuses: the commit fails, and nobody sees any of it. */
  refuse_writes = TRUE;
  rc = sqlite3_exec (fixture->writer, "INSERT INTO t (id, k, v) VALUES (100, 'x', zeroblob (9))",
                     NULL, NULL, &message);
  g_assert_cmpint (rc & 0xff, ==, SQLITE_IOERR);
  sqlite3_free (message);
  g_assert_cmpint (query_int (fixture->reader, "SELECT count (*) FROM t"), ==, 10);

  /* Then it takes writes again: the next commit is whole, and the failed one stays lost, also
   * once the WAL is read back from its file by a connection of its own. */
  refuse_writes = FALSE;
  insert_rows (fixture->writer, 11, 10);
  g_assert_cmpint (query_int (fixture->reader, "SELECT count (*) FROM t"), ==, 20);
  g_assert_cmpint (query_int (fixture->reader, "SELECT count (*) FROM t WHERE id = 100"), ==,
                   0);
  g_assert_cmpint (sqlite3_close (fixture->reader), ==, SQLITE_OK);
  fixture->reader = NULL;
  {
    g_autofree char *copy = g_build_filename (fixture->dir, "copy.db", NULL);
    g_autofree char *copy_wal = g_strconcat (copy, "-wal", NULL);
    g_autofree char *contents = NULL;
    g_autoptr(GError) error = NULL;
    gsize length;
    sqlite3 *recovered;

    /* A copy of the database and its WAL as a crash would leave them. */
    g_assert_true (g_file_get_contents (fixture->path, &contents, &length, &error));
    g_assert_true (g_file_set_contents (copy, contents, (gssize) length, &error));
    g_clear_pointer (&contents, g_free);
    g_assert_true (g_file_get_contents (wal, &contents, &length, &error));
    g_assert_true (g_file_set_contents (copy_wal, contents, (gssize) length, &error));
    recovered = open_connection (copy);
    g_assert_cmpint (query_int (recovered, "SELECT count (*) FROM t"), ==, 20);
    g_assert_cmpint (query_int (recovered, "SELECT count (*) FROM t WHERE id = 100"), ==, 0);
    g_assert_cmpint (query_int (recovered, "SELECT count (*) FROM pragma_integrity_check "
                                           "WHERE integrity_check != 'ok'"), ==, 0);
    g_assert_cmpint (sqlite3_close (recovered), ==, SQLITE_OK);
    g_unlink (copy_wal);
    g_unlink (copy);
  }
  fixture->reader = open_connection (fixture->path);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  unix_vfs = sqlite3_vfs_find (NULL);
  counting_vfs = *unix_vfs;
  counting_vfs.zName = "counting";
  counting_vfs.xOpen = counting_open;
  counting_vfs.pNext = NULL;
  g_assert_cmpint (sqlite3_vfs_register (&counting_vfs, 1), ==, SQLITE_OK);
  g_assert_true (till_wal_vfs_register ());
  g_assert_cmpstr (sqlite3_vfs_find (NULL)->zName, ==, "till-wal");

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/server/wal-vfs/one-write-per-commit", test_one_write_per_commit);
  ADD ("/server/wal-vfs/large-transaction", test_large_transaction);
  ADD ("/server/wal-vfs/refused-write", test_refused_write);
#undef ADD

  return g_test_run ();
}
