/* till-database.h: SQLite as a GObject with GError: WAL, migrations, cached statements.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How till-server uses the database (one model, everywhere):
 *
 * - The main thread owns the read-write connection the server opened. Every request's
 *   reads that use an index, and every write but one, run there, on the main loop, one
 *   transaction per write. The checkouts received until the loop is idle, and the intents
 *   of new orders, share one transaction (group commit: one WAL sync for all); a checkout is
 *   answered only once the transaction that holds its intent is committed.
 * - Slow work runs off the main thread, always the same way: a GTask in GLib's thread pool
 *   (g_task_run_in_thread ()) with a worker connection borrowed from the main connection's
 *   pool (till_database_take_worker (), till_database_give_back (); both thread-safe, the
 *   only calls a worker thread makes on the main connection), never the main connection
 *   itself. That is a page whose filter no index serves, the export of the orders as CSV
 *   (one SELECT: one moment), and deleting a product. Deleting is the one write made there:
 *   the foreign key check reads every order line when the product was never sold, which
 *   would stall the loop; it takes the write lock like another process would.
 * - GTasks that call Stripe (the reconciler's rounds, the search of a lost intent) use no
 *   connection at all: they return what Stripe said, and the main thread writes it.
 * - Another process may write too (`catalog import`, `terminal revoke`). While it (or a
 *   worker) holds the write lock, the main loop's writes wait from the loop, retried every
 *   TILL_DATABASE_BUSY_RETRY_MS for up to TILL_DATABASE_BUSY_WAIT_MS (then 503 busy), and
 *   never sleep in SQLite's busy handler with the loop.
 * - Every commit syncs the WAL (synchronous=FULL). TillDatabase's own threads are its
 *   checkpointer and, for the long checkpoint of a full WAL, a short-lived thread at idle
 *   priority: they copy the WAL into the database off the committing thread, so that no
 *   request waits for a checkpoint (till-database.c). No other code starts a thread.
 */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

G_BEGIN_DECLS

#define TILL_DATABASE_ERROR (till_database_error_quark ())

typedef enum
{
  TILL_DATABASE_ERROR_FAILED,
  TILL_DATABASE_ERROR_CONSTRAINT, /* a UNIQUE, CHECK, FOREIGN KEY or trigger refused a write */
  TILL_DATABASE_ERROR_BUSY,
  TILL_DATABASE_ERROR_TOO_NEW,   /* written by a newer till-server */
  TILL_DATABASE_ERROR_FULL,      /* the disk (or the file system's quota) is full */
  TILL_DATABASE_ERROR_READ_ONLY, /* the file, or its directory, cannot be written */
} TillDatabaseError;

#define TILL_TYPE_DATABASE (till_database_get_type ())
G_DECLARE_FINAL_TYPE (TillDatabase, till_database, TILL, DATABASE, GObject)

/* While another process holds the write lock (a `catalog import`), the main loop's writes
 * are tried again this often, from the loop, for up to TILL_DATABASE_BUSY_WAIT_MS. */
#define TILL_DATABASE_BUSY_RETRY_MS 5
#define TILL_DATABASE_BUSY_WAIT_MS 5000

GQuark till_database_error_quark (void);

TillDatabase *till_database_open (const char *path, GError **error);
const char   *till_database_get_path (TillDatabase *self);
int           till_database_get_version (TillDatabase *self);
/* A random id made when the database was created; part of Stripe idempotency keys. */
const char *till_database_get_instance (TillDatabase *self);

/* A worker connection to the same file for a worker thread (a GTask): an idle one, or a
 * new one. Give it back with till_database_give_back () from the same thread. */
TillDatabase *till_database_take_worker (TillDatabase *self, GError **error);
void          till_database_give_back (TillDatabase *self, TillDatabase *worker);

gboolean till_database_exec (TillDatabase *self, const char *sql, GError **error);
/* Runs one statement that returns no rows ("SAVEPOINT x", "COMMIT"), prepared once: @sql
 * must be a string constant, as for till_database_prepare (). */
gboolean till_database_run (TillDatabase *self, const char *sql, GError **error);
/* A prepared statement from the cache, reset and with its bindings cleared. Owned by the
 * database; valid until the next call with the same SQL text. The cache is keyed by the
 * address of @sql, which must be a string constant (never built at run time). */
sqlite3_stmt *till_database_prepare (TillDatabase *self, const char *sql, GError **error);
/* sqlite3_step with errors mapped: returns SQLITE_ROW, SQLITE_DONE, or -1 with @error set. */
int    till_database_step (TillDatabase *self, sqlite3_stmt *stmt, GError **error);
gint64 till_database_last_insert_id (TillDatabase *self);
int    till_database_changes (TillDatabase *self);

/* A number that moves on whenever this connection changes a terminal or a product; and,
 * for till_database_check_generation () (inside a transaction), whenever another connection
 * (the command line's `terminal revoke`, `catalog import`) committed anything since the last
 * check. What is cached from those tables is good while it stays the same. */
guint64 till_database_get_generation (TillDatabase *self);
guint64 till_database_check_generation (TillDatabase *self);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Not nestable. */
gboolean till_database_begin (TillDatabase *self, GError **error);
/* The same, but fails at once with TILL_DATABASE_ERROR_BUSY while another connection holds
 * the write lock (a `catalog import` from the command line): for callers that would rather
 * try again from the main loop than sleep in SQLite's busy handler. */
gboolean till_database_try_begin (TillDatabase *self, GError **error);
/* Whether another connection holds the write lock right now (a BEGIN IMMEDIATE that would
 * have to wait; nothing is written). */
gboolean till_database_is_locked_elsewhere (TillDatabase *self);
gboolean till_database_commit (TillDatabase *self, GError **error);
void     till_database_rollback (TillDatabase *self);

/* Waits until the checkpointer thread has run @count checkpoints and has no other to run,
 * or @timeout_ms passed; TRUE if it has (for tests). */
gboolean till_database_wait_checkpoints (TillDatabase *self, guint count, guint timeout_ms);
/* What the checkpointer did so far (for tests). */
typedef struct
{
  guint low_priority; /* checkpoints of a full WAL run at the lowest priority */
  guint taken_back;   /* of those, interrupted for want of CPU, done at normal priority */
  guint write_backs;  /* times it had the kernel start writing the WAL back */
} TillCheckpointStats;

void till_database_get_checkpoint_stats (TillDatabase *self, TillCheckpointStats *stats);

/* Online backup of the whole database into @destination (overwritten). */
gboolean till_database_backup (TillDatabase *self, const char *destination, GError **error);

/* Whether @source can be restored: it passes PRAGMA integrity_check and is a Till database
 * of a schema this till-server knows (an older one is migrated when next opened). */
gboolean till_database_check_backup (const char *source, GError **error);
/* Replaces the whole database with @source (checked as above), in one transaction through
 * SQLite's backup API. */
gboolean till_database_restore (TillDatabase *self, const char *source, GError **error);

/* 128 random bits from the kernel, base64url without padding (22 characters): a receipt
 * page's token, which whoever holds it may use to read that order's receipt. */
char *till_database_new_receipt_token (GError **error);

/* Binding helpers: NULL text binds SQL NULL. */
void  till_database_bind_text (sqlite3_stmt *stmt, int index, const char *text);
char *till_database_column_dup (sqlite3_stmt *stmt, int column);

G_END_DECLS
