/* till-database.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A connection, used by one thread at a time (the model is at the top of till-database.h),
 * and the pool of worker connections it lends to worker threads. WAL journal, foreign keys
 * on, a busy timeout, prepared statements cached by their SQL text, and versioned
 * migrations kept in PRAGMA user_version. Order status transitions are enforced by a trigger, so no
 * code path can move an order backwards.
 *
 * Checkpoints (copying the WAL back into the database file, with its fsyncs) do not run in
 * the committing thread: a commit that leaves CHECKPOINT_FRAMES or more frames in the WAL
 * wakes a checkpointer thread, which runs a PASSIVE checkpoint on a connection of its own.
 * Writers are never blocked by it; the WAL is reused from its start by the next write once
 * everything in it has been copied. The long copy of a full WAL runs in a thread started for
 * it at the lowest CPU priority, so that it does not take a core from requests, and is taken
 * back if it has not had the CPU for LOW_CHECKPOINT_WAIT_MS (see checkpoint ()). As the WAL
 * grows, the checkpointer has the kernel write it back (write_back_wal ()).
 *
 * Longer than our files usually are: the connection, its cached statements, the migrations and
 * the checkpointer share one private struct and its locks.
 */
/* SCHED_IDLE, sync_file_range () */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <sys/random.h>
#include <string.h>

#include "till-database.h"

struct _TillDatabase
{
  GObject parent_instance;

  sqlite3          *db;
  char             *path;
  char             *instance;
  GHashTable       *statements; /* SQL text → sqlite3_stmt */
  GAsyncQueue      *workers;    /* TillDatabase *: idle worker connections (take_worker ()) */
  gboolean          in_transaction;
  TillDatabaseError last_error; /* of the last statement that failed, and its result code */
  int               last_rc;
  /* Moves on when terminals or products change (see till_database_get_generation ()). */
  guint64 generation;
  gint64  data_version;

  /* The checkpointer, started at the first commit that needs it, and its connection, also
   * lent to a thread at low priority for the long checkpoints (checkpoint ()). */
  GThread *checkpointer;
  sqlite3 *checkpoint_db;
  GMutex   checkpoint_mutex;
  GCond    checkpoint_cond;
  gboolean checkpoint_wanted;
  gboolean checkpoint_long; /* the one wanted copies a full WAL */
  gboolean write_back_wanted;
  int      write_back_block; /* frames / WRITE_BACK_FRAMES at the last commit (committing thread) */
  int      wal_fd;           /* the checkpointer's, for write_back_wal () */
  guint    write_backs;      /* started so far */
  gboolean checkpoint_quit;
  gboolean checkpoint_running;
  guint    checkpoints;     /* done so far */
  guint    low_checkpoints; /* run at low priority so far, and of those: */
  guint    low_taken_back;  /* interrupted and done at normal priority */
  gboolean low_done;        /* the low-priority thread's checkpoint, and its result */
  int      low_rc;
};

G_DEFINE_FINAL_TYPE (TillDatabase, till_database, G_TYPE_OBJECT)

/* The quark's name, dashes and all, becomes a string. */
/* clang-format off */
G_DEFINE_QUARK (till-database-error-quark, till_database_error)
/* clang-format on */

#define BUSY_TIMEOUT_MS 5000
/* Eight times SQLite's wal_autocheckpoint (a WAL of 32 MB): the pages written again and
 * again (the last leaves of the tables and indexes) are copied once per checkpoint, so fewer
 * checkpoints copy less (bench/README.md has what that saves under load). */
#define CHECKPOINT_FRAMES 8000
/* The WAL is reused from its start only when a write begins after a checkpoint that copied
 * all of it. Under a steady stream of commits the thread's checkpoints keep finishing just
 * behind the writer; past this size the committing thread checkpoints itself, as SQLite
 * would, but with most frames already copied by the thread that is short. */
#define CHECKPOINT_FRAMES_INLINE (4 * CHECKPOINT_FRAMES)
/* What a WAL that grew past a checkpoint's worth of frames (a burst of writes, a long read
 * holding a checkpoint back) is cut back to, at the first commit that starts it again: the
 * WAL at rest takes at most this much of a small kiosk disk. Not less: a WAL truncated
 * below what the writes between two checkpoints fill would be grown again every time, and
 * with synchronous=FULL, every commit that grows the file also syncs its new size. */
#define WAL_SIZE_LIMIT ((gint64) CHECKPOINT_FRAMES * (4096 + 24) + 32)
/* How long the checkpointer waits for the low-priority thread's checkpoint before it
 * interrupts it and checkpoints at normal priority: on a machine kept busy by other work,
 * that thread gets almost no CPU, and the WAL would grow meanwhile (the committing thread's
 * own checkpoint cannot run while another one does). Well past how long that checkpoint
 * takes, unloaded or under load. */
#define LOW_CHECKPOINT_WAIT_MS 500
/* Every 4 MB of WAL, the checkpointer has the kernel start writing it to disk:
 * write_back_wal (). */
#define WRITE_BACK_FRAMES 1024

/* Migrations: index i brings the schema from version i to i + 1. Append only. Each is SQL,
 * or a function for what SQL alone cannot do. */
typedef gboolean (*MigrationFunc) (TillDatabase *self, GError **error);

static gboolean rewrite_status_checks (TillDatabase *self, GError **error);
static gboolean add_receipt_tokens (TillDatabase *self, GError **error);
static gboolean add_partially_paid (TillDatabase *self, GError **error);
static gboolean add_canceled_at (TillDatabase *self, GError **error);
static gboolean allow_kiosk_role (TillDatabase *self, GError **error);

typedef struct
{
  const char   *sql;
  MigrationFunc func;
} Migration;

static const Migration migrations[] = {
  /* 1: the first schema */
  { "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ");"
    "CREATE TABLE terminals ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('cashier', 'admin')),"
    "  token_hash BLOB NOT NULL UNIQUE CHECK (length (token_hash) = 32),"
    "  created_at INTEGER NOT NULL,"
    "  revoked_at INTEGER"
    ");"
    "CREATE TABLE products ("
    "  id INTEGER PRIMARY KEY,"
    "  sku TEXT UNIQUE,"
    "  barcode TEXT UNIQUE,"
    "  name TEXT NOT NULL CHECK (length (name) > 0),"
    "  search_key TEXT NOT NULL,"
    "  unit_amount INTEGER NOT NULL CHECK (unit_amount >= 0),"
    "  currency TEXT NOT NULL CHECK (length (currency) = 3),"
    "  tax_rate INTEGER NOT NULL CHECK (tax_rate BETWEEN 0 AND 10000),"
    "  category TEXT,"
    "  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX products_category ON products (category, id);"
    "CREATE TABLE orders ("
    "  id INTEGER PRIMARY KEY,"
    "  number TEXT NOT NULL UNIQUE,"
    "  client_reference TEXT UNIQUE,"
    "  terminal_id INTEGER REFERENCES terminals (id),"
    "  status TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'partially_refunded',"
    "                                         'refunded', 'canceled')),"
    "  currency TEXT NOT NULL,"
    "  subtotal INTEGER NOT NULL,"
    "  discount INTEGER NOT NULL,"
    "  tax INTEGER NOT NULL,"
    "  rounding INTEGER NOT NULL,"
    "  total INTEGER NOT NULL CHECK (total >= 0),"
    "  refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= total),"
    "  created_at INTEGER NOT NULL,"
    "  paid_at INTEGER,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX orders_status_created ON orders (status, created_at);"
    "CREATE INDEX orders_created ON orders (created_at);"
    "CREATE TABLE order_lines ("
    "  id INTEGER PRIMARY KEY,"
    "  order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"
    "  product_id INTEGER NOT NULL REFERENCES products (id),"
    "  name TEXT NOT NULL,"
    "  quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 9999),"
    "  unit_amount INTEGER NOT NULL,"
    "  tax_rate INTEGER NOT NULL,"
    "  discount INTEGER NOT NULL,"
    "  tax INTEGER NOT NULL,"
    "  total INTEGER NOT NULL,"
    "  UNIQUE (order_id, position)"
    ");"
    "CREATE TABLE payments ("
    "  order_id INTEGER PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,"
    "  payment_intent TEXT UNIQUE,"
    "  status TEXT,"
    "  amount INTEGER NOT NULL,"
    "  card_brand TEXT,"
    "  card_last4 TEXT,"
    "  decline_code TEXT,"
    "  decline_message TEXT,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE refunds ("
    "  id INTEGER PRIMARY KEY,"
    "  order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,"
    "  request_id TEXT NOT NULL UNIQUE,"
    "  stripe_refund TEXT UNIQUE,"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  reason TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE stripe_events ("
    "  id TEXT PRIMARY KEY,"
    "  type TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  received_at INTEGER NOT NULL"
    ");"
    /* Monotonic order states, enforced here whatever the code does. */
    "CREATE TRIGGER orders_status_monotonic BEFORE UPDATE OF status ON orders "
    "WHEN NOT (OLD.status = NEW.status"
    "  OR (OLD.status = 'pending_payment' AND NEW.status IN ('paid', 'canceled'))"
    "  OR (OLD.status = 'paid' AND NEW.status IN ('partially_refunded', 'refunded'))"
    "  OR (OLD.status = 'partially_refunded' AND NEW.status = 'refunded')) "
    "BEGIN SELECT RAISE (ABORT, 'order status cannot move backwards'); END;",
    NULL },
  /* 2: the same status checks, without IN (see rewrite_status_checks ()) */
  { NULL, rewrite_status_checks },
  /* 3: one index fewer to write per order; a day's report reads orders_status_created with
   * every status (till-reports.c) */
  { "DROP INDEX IF EXISTS orders_created;", NULL },
  /* 4: payments without the unique index of the intents' ids, copied (SQLite drops a
   * constraint only with its table: https://sqlite.org/lang_altertable.html#otheralter;
   * nothing refers to payments). Migration 5 makes the index again. */
  { "CREATE TABLE payments_new ("
    "  order_id INTEGER PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,"
    "  payment_intent TEXT,"
    "  status TEXT,"
    "  amount INTEGER NOT NULL,"
    "  card_brand TEXT,"
    "  card_last4 TEXT,"
    "  decline_code TEXT,"
    "  decline_message TEXT,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "INSERT INTO payments_new (order_id, payment_intent, status, amount, card_brand, card_last4,"
    "                          decline_code, decline_message, updated_at)"
    "  SELECT order_id, payment_intent, status, amount, card_brand, card_last4, decline_code,"
    "         decline_message, updated_at FROM payments;"
    "DROP TABLE payments;"
    "ALTER TABLE payments_new RENAME TO payments;",
    NULL },
  /* 5: the index of intents' ids again, unique: a webhook or a search by an intent finds its
   * order from the database alone, offline too, and whatever its metadata says (anyone can
   * edit that in Stripe's Dashboard). It costs a page written per checkout; Stripe accepts
   * at most 100 operations a second per account, far below what that cost ever mattered
   * for. Intents were already kept to one order each (till_orders_order_of_intent ()), so
   * no row can break it. */
  { "CREATE UNIQUE INDEX payments_payment_intent ON payments (payment_intent);", NULL },
  /* 6: the orders page finds an order by its card's last 4 digits or by its total. */
  { "CREATE INDEX IF NOT EXISTS payments_card_last4 ON payments (card_last4);"
    "CREATE INDEX IF NOT EXISTS orders_total ON orders (total);",
    NULL },
  /* 7: each order's receipt page token (till_orders_receipt_token ()), made with the order;
   * orders from before get theirs here, so that reading an order never writes. */
  { NULL, add_receipt_tokens },
  /* 8: cash tenders (issue 25): the cash part of an order, what the drawer took for it
   * (amount + rounding), what was handed over and the change. `request_key` makes a cash
   * payment exactly once (a checkout's client_reference, or an Idempotency-Key);
   * `session_id` is the drawer session it went into. */
  { "CREATE TABLE IF NOT EXISTS cash_tenders ("
    "  id INTEGER PRIMARY KEY,"
    "  order_id INTEGER NOT NULL REFERENCES orders (id),"
    "  terminal_id INTEGER REFERENCES terminals (id),"
    "  session_id INTEGER,"
    "  request_key TEXT NOT NULL UNIQUE,"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  rounding INTEGER NOT NULL,"
    "  tendered INTEGER NOT NULL CHECK (tendered >= 0),"
    "  change INTEGER NOT NULL CHECK (change >= 0 AND tendered - change = amount + rounding),"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX IF NOT EXISTS cash_tenders_order ON cash_tenders (order_id);",
    NULL },
  /* 9: drawer sessions, at most one open per terminal, and their pay-ins, pay-outs and
   * no-sale openings. A closed session keeps what was expected and counted, and is never
   * changed again. */
  { "CREATE TABLE IF NOT EXISTS drawer_sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  terminal_id INTEGER NOT NULL REFERENCES terminals (id),"
    "  opened_at INTEGER NOT NULL,"
    "  float INTEGER NOT NULL CHECK (float >= 0),"
    "  closed_at INTEGER,"
    "  expected INTEGER,"
    "  counted INTEGER CHECK (counted >= 0)"
    ");"
    "CREATE UNIQUE INDEX IF NOT EXISTS drawer_sessions_open ON drawer_sessions (terminal_id)"
    "  WHERE closed_at IS NULL;"
    "CREATE TRIGGER IF NOT EXISTS drawer_sessions_closed BEFORE UPDATE ON drawer_sessions "
    "WHEN OLD.closed_at IS NOT NULL "
    "BEGIN SELECT RAISE (ABORT, 'a closed drawer session cannot change'); END;"
    "CREATE TABLE IF NOT EXISTS drawer_movements ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL REFERENCES drawer_sessions (id),"
    "  terminal_id INTEGER NOT NULL REFERENCES terminals (id),"
    "  type TEXT NOT NULL CHECK (type = 'pay_in' OR type = 'pay_out' OR type = 'no_sale'),"
    "  amount INTEGER NOT NULL CHECK (amount >= 0),"
    "  reason TEXT,"
    "  request_key TEXT UNIQUE,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX IF NOT EXISTS drawer_movements_session ON drawer_movements (session_id);"
    "CREATE INDEX IF NOT EXISTS cash_tenders_session ON cash_tenders (session_id);",
    NULL },
  /* 10: Z reports, numbered for the store, each the JSON of what its terminal did in its
   * period, written once and never changed or deleted. A terminal's sales are found by when
   * they were paid. */
  { "CREATE TABLE IF NOT EXISTS z_reports ("
    "  id INTEGER PRIMARY KEY,"
    "  number TEXT NOT NULL UNIQUE,"
    "  terminal_id INTEGER NOT NULL REFERENCES terminals (id),"
    "  period_from INTEGER NOT NULL,"
    "  period_to INTEGER NOT NULL CHECK (period_to > period_from),"
    "  request_key TEXT,"
    "  body TEXT NOT NULL,"
    "  UNIQUE (terminal_id, request_key)"
    ");"
    "CREATE INDEX IF NOT EXISTS z_reports_terminal ON z_reports (terminal_id, period_to);"
    "CREATE TRIGGER IF NOT EXISTS z_reports_unchanged BEFORE UPDATE ON z_reports "
    "BEGIN SELECT RAISE (ABORT, 'a Z report never changes'); END;"
    "CREATE TRIGGER IF NOT EXISTS z_reports_kept BEFORE DELETE ON z_reports "
    "BEGIN SELECT RAISE (ABORT, 'a Z report is never deleted'); END;"
    "CREATE INDEX IF NOT EXISTS orders_terminal_paid ON orders (terminal_id, paid_at);"
    "CREATE INDEX IF NOT EXISTS cash_tenders_terminal ON cash_tenders (terminal_id, created_at);"
    "CREATE INDEX IF NOT EXISTS drawer_movements_terminal"
    "  ON drawer_movements (terminal_id, created_at);",
    NULL },
  /* 11: cash sales a till made while it could not reach the server, uploaded later: when
   * they were sold (the order's created_at) and how far the prices charged were from the
   * catalog's when uploaded (Σ (charged − catalog) × quantity). */
  { "CREATE TABLE IF NOT EXISTS offline_sales ("
    "  order_id INTEGER PRIMARY KEY REFERENCES orders (id),"
    "  sold_at INTEGER NOT NULL,"
    "  catalog_difference INTEGER NOT NULL"
    ");",
    NULL },
  /* 12: refunds given back in cash from a drawer: the session and the terminal that gave
   * them (a refund here never goes to Stripe). */
  { "CREATE TABLE IF NOT EXISTS cash_refunds ("
    "  refund_id INTEGER PRIMARY KEY REFERENCES refunds (id),"
    "  session_id INTEGER NOT NULL REFERENCES drawer_sessions (id),"
    "  terminal_id INTEGER NOT NULL REFERENCES terminals (id)"
    ");"
    "CREATE INDEX IF NOT EXISTS cash_refunds_session ON cash_refunds (session_id);",
    NULL },
  /* 13: the Idempotency-Key a drawer session was closed with: a close sent again after its
   * answer was lost gets the same session back. */
  { "CREATE TABLE IF NOT EXISTS drawer_close_keys ("
    "  session_id INTEGER PRIMARY KEY REFERENCES drawer_sessions (id),"
    "  terminal_id INTEGER NOT NULL REFERENCES terminals (id),"
    "  request_key TEXT NOT NULL,"
    "  UNIQUE (terminal_id, request_key)"
    ");",
    NULL },
  /* 14: the status partially_paid (a split payment with its cash part paid), in the orders'
   * status check (add_partially_paid ()) and in the trigger of forward moves. */
  { NULL, add_partially_paid },
  /* 15: when an order was canceled (add_canceled_at ()). */
  { NULL, add_canceled_at },
  /* 16 and 17: the kiosk role (allow_kiosk_role ()), and each kiosk's policy: absent, the defaults
   * (till-terminals.h). The PIN is a PBKDF2 hash (till-pin.h), never the PIN. */
  { NULL, allow_kiosk_role },
  { "CREATE TABLE IF NOT EXISTS kiosk_policies ("
    "  terminal_id INTEGER PRIMARY KEY REFERENCES terminals (id),"
    "  idle_timeout INTEGER NOT NULL,"
    "  countdown INTEGER NOT NULL,"
    "  tenders TEXT NOT NULL,"
    "  pin_salt BLOB,"
    "  pin_hash BLOB CHECK (pin_hash IS NULL OR length (pin_hash) = 32),"
    "  pin_iterations INTEGER,"
    "  updated_at INTEGER NOT NULL"
    ");",
    NULL },
};

static void
statement_finalize (gpointer data)
{
  sqlite3_finalize (data);
}

static void
stop_checkpointer (TillDatabase *self)
{
  if (self->checkpointer == NULL)
    return;
  g_mutex_lock (&self->checkpoint_mutex);
  self->checkpoint_quit = TRUE;
  g_cond_broadcast (&self->checkpoint_cond);
  g_mutex_unlock (&self->checkpoint_mutex);
  g_thread_join (g_steal_pointer (&self->checkpointer));
}

static void
till_database_finalize (GObject *object)
{
  TillDatabase *self = TILL_DATABASE (object);

  /* Its connection goes first: closing the last one checkpoints and removes the WAL. */
  stop_checkpointer (self);
  g_mutex_clear (&self->checkpoint_mutex);
  g_cond_clear (&self->checkpoint_cond);
  g_clear_pointer (&self->workers, g_async_queue_unref);
  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self->path);
  g_free (self->instance);

  G_OBJECT_CLASS (till_database_parent_class)->finalize (object);
}

static void
till_database_class_init (TillDatabaseClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_database_finalize;
}

static void
till_database_init (TillDatabase *self)
{
  /* Keyed by the address of the SQL text: callers pass string constants. */
  self->statements =
      g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, statement_finalize);
  self->workers = g_async_queue_new_full (g_object_unref);
  self->wal_fd = -1;
  g_mutex_init (&self->checkpoint_mutex);
  g_cond_init (&self->checkpoint_cond);
}

/* One checkpoint, at the lowest priority: see low_priority_checkpoint (). */
static gpointer
low_priority_thread (gpointer data)
{
  TillDatabase *self = data;
  gboolean      lowered = FALSE;
  int           rc;

#ifdef SCHED_IDLE
  /* This thread only (0), on Linux. Lower than the highest nice value: a thread woken on a
   * CPU that runs only SCHED_IDLE work takes it at once, and the scheduler counts that CPU
   * as idle when it places woken threads, which a nice value does not make it do. Where it
   * is refused, the checkpoint runs at normal priority. */
  struct sched_param param = { 0 };

  lowered = sched_setscheduler (0, SCHED_IDLE, &param) == 0;
  if (!lowered)
    g_debug ("Cannot lower the priority of a checkpoint: %s", g_strerror (errno));
#endif
  rc = sqlite3_wal_checkpoint_v2 (self->checkpoint_db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  g_mutex_lock (&self->checkpoint_mutex);
  self->low_checkpoints += lowered;
  self->low_rc = rc;
  self->low_done = TRUE;
  g_cond_broadcast (&self->checkpoint_cond);
  g_mutex_unlock (&self->checkpoint_mutex);
  return NULL;
}

/* The checkpoint of a full WAL, on the checkpointer's connection, in a thread started for it
 * at the lowest priority, with checkpoint_mutex held (released meanwhile). Its result, or
 * SQLITE_INTERRUPT if it was taken back (no CPU for LOW_CHECKPOINT_WAIT_MS) or the database
 * is closing. A thread of its own each time, rather than one kept: what its allocator holds
 * goes with it, rather than staying between checkpoints. */
static int
low_priority_checkpoint (TillDatabase *self)
{
  gint64 deadline = g_get_monotonic_time () + LOW_CHECKPOINT_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  g_autoptr (GError) error = NULL;
  GThread *thread;
  int      rc = SQLITE_INTERRUPT;

  self->low_done = FALSE;
  thread = g_thread_try_new ("till-ckpt-low", low_priority_thread, self, &error);
  if (thread == NULL)
    {
      /* At normal priority, then. */
      g_debug ("Cannot start a thread for a checkpoint: %s", error->message);
      return rc;
    }
  while (!self->low_done && !self->checkpoint_quit &&
         g_cond_wait_until (&self->checkpoint_cond, &self->checkpoint_mutex, deadline))
    ;
  if (self->low_done)
    rc = self->low_rc;
  else
    {
      if (!self->checkpoint_quit)
        {
          g_debug ("No CPU for a checkpoint at low priority in %u ms: at normal priority now",
                   LOW_CHECKPOINT_WAIT_MS);
          self->low_taken_back++;
        }
      /* Safe from another thread; the connection outlives the thread. */
      sqlite3_interrupt (self->checkpoint_db);
    }
  g_mutex_unlock (&self->checkpoint_mutex);
  g_thread_join (thread);
  g_mutex_lock (&self->checkpoint_mutex);
  return rc;
}

/* Runs the wanted checkpoint, with checkpoint_mutex held (released meanwhile).
 *
 * A checkpoint asked for while none was running or wanted starts on a full WAL: it copies
 * CHECKPOINT_FRAMES frames or more, a long while for a core. At normal priority, on a busy
 * machine, requests and Stripe's answers waited for that core: the slowest checkouts under
 * load overlapped one. So that one runs at a
 * priority that gives it only the CPU nothing else wants (low_priority_checkpoint ()), and
 * is taken back after LOW_CHECKPOINT_WAIT_MS without.
 *
 * The checkpoints asked for while one runs copy only what was committed meanwhile, and the
 * WAL starts again only after one that ends before the next commit: they stay at normal
 * priority, short enough for that. */
static void
checkpoint (TillDatabase *self)
{
  gboolean full_wal = self->checkpoint_long;
  int      rc = SQLITE_INTERRUPT;

  self->checkpoint_wanted = FALSE;
  self->checkpoint_long = FALSE;
  self->checkpoint_running = TRUE;
  if (full_wal)
    rc = low_priority_checkpoint (self);
  /* An interrupt that came after the checkpoint it was meant for interrupts the next one
   * once: hence two tries. */
  for (guint i = 0; i < 2 && rc == SQLITE_INTERRUPT && !self->checkpoint_quit; i++)
    {
      g_mutex_unlock (&self->checkpoint_mutex);
      rc = sqlite3_wal_checkpoint_v2 (self->checkpoint_db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
                                      NULL);
      g_mutex_lock (&self->checkpoint_mutex);
    }
  /* Busy: the committing thread's own checkpoint (CHECKPOINT_FRAMES_INLINE) runs. */
  if (rc != SQLITE_OK && rc != SQLITE_BUSY && !self->checkpoint_quit)
    g_warning ("Checkpoint of %s failed: %s", self->path, sqlite3_errstr (rc));
  self->checkpoint_running = FALSE;
}

/* Starts writing the WAL's pages to disk, in the checkpointer thread, without waiting for
 * them (and without making anything durable: only a sync does). Without it, the first thing
 * a checkpoint does, its fdatasync () of the WAL, would write what the kernel still holds of
 * 32 MB at once, and the writes the server makes meanwhile would wait behind them: with a
 * write-back every WRITE_BACK_FRAMES frames it finds little left (bench/README.md has what
 * that does to the p99). Linux only; elsewhere, nothing. */
static void
write_back_wal (TillDatabase *self)
{
#ifdef SYNC_FILE_RANGE_WRITE
  if (self->wal_fd < 0)
    {
      g_autofree char *wal = g_strconcat (self->path, "-wal", NULL);

      self->wal_fd = g_open (wal, O_RDONLY | O_CLOEXEC, 0);
    }
  /* The whole file: pages being written already are skipped. */
  if (self->wal_fd >= 0 && sync_file_range (self->wal_fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0)
    {
      g_mutex_lock (&self->checkpoint_mutex);
      self->write_backs++;
      g_mutex_unlock (&self->checkpoint_mutex);
    }
#endif
}

static gpointer
checkpointer_thread (gpointer data)
{
  TillDatabase *self = data;
  sqlite3      *db = NULL;

  if (sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
      SQLITE_OK)
    {
      g_warning ("Cannot open %s for checkpoints: %s", self->path,
                 db != NULL ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close (db);
      return NULL;
    }
  /* Closing this connection must not checkpoint again, nor touch the WAL. */
  sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  /* A new connection knows the database is in WAL mode only once it has read it. */
  if (sqlite3_exec (db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK)
    g_warning ("Cannot read %s for checkpoints: %s", self->path, sqlite3_errmsg (db));
  self->checkpoint_db = db;
  g_mutex_lock (&self->checkpoint_mutex);
  for (;;)
    {
      while (!self->checkpoint_wanted && !self->write_back_wanted && !self->checkpoint_quit)
        g_cond_wait (&self->checkpoint_cond, &self->checkpoint_mutex);
      if (self->checkpoint_quit)
        break;
      if (self->write_back_wanted)
        {
          self->write_back_wanted = FALSE;
          g_mutex_unlock (&self->checkpoint_mutex);
          write_back_wal (self);
          g_mutex_lock (&self->checkpoint_mutex);
        }
      if (!self->checkpoint_wanted)
        continue;
      checkpoint (self);
      self->checkpoints++;
      g_cond_broadcast (&self->checkpoint_cond);
    }
  g_mutex_unlock (&self->checkpoint_mutex);
  if (self->wal_fd >= 0)
    g_close (self->wal_fd, NULL);
  self->wal_fd = -1;
  sqlite3_close (db);
  return NULL;
}

/* With checkpoint_mutex held: starts the checkpointer, or wakes it for what it is asked. */
static void
wake_checkpointer (TillDatabase *self)
{
  if (self->checkpointer == NULL && !self->checkpoint_quit)
    self->checkpointer = g_thread_new ("till-checkpoint", checkpointer_thread, self);
  g_cond_broadcast (&self->checkpoint_cond);
}

/* Called by SQLite after each commit, in the committing thread. */
static int
on_wal_commit (void *data, sqlite3 *db, const char *name, int frames)
{
  TillDatabase *self = data;

  if (frames / WRITE_BACK_FRAMES != self->write_back_block)
    {
      self->write_back_block = frames / WRITE_BACK_FRAMES;
      if (self->write_back_block > 0)
        {
          g_mutex_lock (&self->checkpoint_mutex);
          self->write_back_wanted = TRUE;
          wake_checkpointer (self);
          g_mutex_unlock (&self->checkpoint_mutex);
        }
    }
  if (frames < CHECKPOINT_FRAMES)
    return SQLITE_OK;
  if (frames >= CHECKPOINT_FRAMES_INLINE)
    {
      /* Busy while the thread's checkpoint runs: tried again at the next commit, and the
       * thread is not asked again meanwhile. */
      sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      return SQLITE_OK;
    }
  /* While one runs, this asks for another once it is done: so the last frames before the
   * writes stop are copied too, and the next write starts the WAL again. */
  g_mutex_lock (&self->checkpoint_mutex);
  if (!self->checkpoint_running && !self->checkpoint_wanted)
    self->checkpoint_long = TRUE;
  self->checkpoint_wanted = TRUE;
  wake_checkpointer (self);
  g_mutex_unlock (&self->checkpoint_mutex);
  return SQLITE_OK;
}

gboolean
till_database_wait_checkpoints (TillDatabase *self, guint count, guint timeout_ms)
{
  gint64   deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  gboolean reached;

  g_mutex_lock (&self->checkpoint_mutex);
  while ((self->checkpoints < count || self->checkpoint_wanted || self->checkpoint_running) &&
         g_cond_wait_until (&self->checkpoint_cond, &self->checkpoint_mutex, deadline))
    ;
  reached = self->checkpoints >= count && !self->checkpoint_wanted && !self->checkpoint_running;
  g_mutex_unlock (&self->checkpoint_mutex);
  return reached;
}

void
till_database_get_checkpoint_stats (TillDatabase *self, TillCheckpointStats *stats)
{
  g_mutex_lock (&self->checkpoint_mutex);
  stats->low_priority = self->low_checkpoints;
  stats->taken_back = self->low_taken_back;
  stats->write_backs = self->write_backs;
  g_mutex_unlock (&self->checkpoint_mutex);
}

/* What a failed call's result code means to the callers. A full disk comes as SQLITE_FULL (a
 * write the file system refused for lack of space, or past max_page_count), or as an I/O
 * error whose errno says so (an fsync, or a truncation). */
static TillDatabaseError
error_code_of (sqlite3 *db, int rc)
{
  int primary = rc & 0xff;

  if (primary == SQLITE_CONSTRAINT)
    return TILL_DATABASE_ERROR_CONSTRAINT;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    return TILL_DATABASE_ERROR_BUSY;
  if (primary == SQLITE_FULL)
    return TILL_DATABASE_ERROR_FULL;
  if (primary == SQLITE_IOERR && db != NULL &&
      (sqlite3_system_errno (db) == ENOSPC || sqlite3_system_errno (db) == EDQUOT))
    return TILL_DATABASE_ERROR_FULL;
  if (primary == SQLITE_READONLY)
    return TILL_DATABASE_ERROR_READ_ONLY;
  return TILL_DATABASE_ERROR_FAILED;
}

static void
set_sqlite_error (TillDatabase *self, int rc, GError **error)
{
  self->last_error = error_code_of (self->db, rc);
  self->last_rc = rc;
  g_set_error (error, TILL_DATABASE_ERROR, self->last_error, "%s",
               self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
}

gboolean
till_database_exec (TillDatabase *self, const char *sql, GError **error)
{
  char *message = NULL;
  int   rc;

  g_return_val_if_fail (TILL_IS_DATABASE (self), FALSE);

  rc = sqlite3_exec (self->db, sql, NULL, NULL, &message);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, TILL_DATABASE_ERROR, error_code_of (self->db, rc), "%s",
                   message != NULL ? message : sqlite3_errstr (rc));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

/* Every row this connection inserts, updates or deletes. */
static void
on_row_changed (
    void *data, int operation, const char *database, const char *table, sqlite3_int64 rowid)
{
  TillDatabase *self = data;

  if (strcmp (table, "terminals") == 0 || strcmp (table, "products") == 0)
    self->generation++;
}

guint64
till_database_get_generation (TillDatabase *self)
{
  return self->generation;
}

guint64
till_database_check_generation (TillDatabase *self)
{
  sqlite3_stmt *stmt;
  gint64        version = -1;

  g_return_val_if_fail (self->in_transaction, self->generation);

  stmt = till_database_prepare (self, "PRAGMA data_version", NULL);
  if (stmt != NULL && till_database_step (self, stmt, NULL) == SQLITE_ROW)
    version = sqlite3_column_int64 (stmt, 0);
  if (stmt != NULL)
    sqlite3_reset (stmt);
  /* Another connection committed: anything may have changed. */
  if (version < 0 || version != self->data_version)
    self->generation++;
  self->data_version = version;
  return self->generation;
}

gboolean
till_database_run (TillDatabase *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = till_database_prepare (self, sql, error);
  int           rc;

  if (stmt == NULL)
    return FALSE;
  rc = till_database_step (self, stmt, error);
  sqlite3_reset (stmt);
  return rc >= 0;
}

sqlite3_stmt *
till_database_prepare (TillDatabase *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt;
  int           rc;

  g_return_val_if_fail (TILL_IS_DATABASE (self), NULL);

  stmt = g_hash_table_lookup (self->statements, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }
  g_hash_table_insert (self->statements, (gpointer) sql, stmt);
  return stmt;
}

int
till_database_step (TillDatabase *self, sqlite3_stmt *stmt, GError **error)
{
  int rc;

  /* After SQLITE_FULL, an I/O error or SQLITE_NOMEM, SQLite may have rolled back the whole
   * transaction by itself. What follows would then run outside any transaction, each
   * statement committed alone: half an order could be stored. Refused until the rollback. */
  if (G_UNLIKELY (self->in_transaction && sqlite3_get_autocommit (self->db)))
    {
      g_set_error (error, TILL_DATABASE_ERROR, self->last_error,
                   "The transaction was rolled back after an error (%s)",
                   sqlite3_errstr (self->last_rc));
      return -1;
    }
  rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;
  set_sqlite_error (self, rc, error);
  sqlite3_reset (stmt);
  return -1;
}

gint64
till_database_last_insert_id (TillDatabase *self)
{
  return sqlite3_last_insert_rowid (self->db);
}

int
till_database_changes (TillDatabase *self)
{
  return sqlite3_changes (self->db);
}

gboolean
till_database_begin (TillDatabase *self, GError **error)
{
  g_return_val_if_fail (!self->in_transaction, FALSE);

  if (!till_database_run (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  self->in_transaction = TRUE;
  return TRUE;
}

gboolean
till_database_try_begin (TillDatabase *self, GError **error)
{
  gboolean begun;

  sqlite3_busy_timeout (self->db, 0);
  begun = till_database_begin (self, error);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  return begun;
}

gboolean
till_database_is_locked_elsewhere (TillDatabase *self)
{
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (!self->in_transaction, FALSE);

  if (till_database_try_begin (self, &error))
    {
      till_database_rollback (self);
      return FALSE;
    }
  return g_error_matches (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_BUSY);
}

gboolean
till_database_commit (TillDatabase *self, GError **error)
{
  g_return_val_if_fail (self->in_transaction, FALSE);

  if (!till_database_run (self, "COMMIT", error))
    {
      till_database_rollback (self);
      return FALSE;
    }
  self->in_transaction = FALSE;
  return TRUE;
}

void
till_database_rollback (TillDatabase *self)
{
  if (!self->in_transaction)
    return;
  /* Statements still stepping would keep the transaction open. */
  {
    GHashTableIter iter;
    gpointer       stmt;

    g_hash_table_iter_init (&iter, self->statements);
    while (g_hash_table_iter_next (&iter, NULL, &stmt))
      sqlite3_reset (stmt);
  }
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  self->in_transaction = FALSE;
}

void
till_database_bind_text (sqlite3_stmt *stmt, int index, const char *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

char *
till_database_column_dup (sqlite3_stmt *stmt, int column)
{
  const unsigned char *text = sqlite3_column_text (stmt, column);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

static int
read_user_version (TillDatabase *self)
{
  sqlite3_stmt *stmt = NULL;
  int           version = -1;

  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

int
till_database_get_version (TillDatabase *self)
{
  return read_user_version (self);
}

/* A CHECK of `status IN (…)` with more than two values is evaluated through a temporary
 * b-tree built for every row written (five inserts into it for the orders' statuses): a
 * fifth of a checkout's SQL. The same checks as comparisons cost nothing. SQLite cannot
 * alter a constraint; since the rows on disk do not change, its documented procedure for
 * such changes applies (https://sqlite.org/lang_altertable.html#otheralter): the table's
 * SQL is edited in sqlite_schema, the schema version bumped, and the result checked. */
typedef struct
{
  const char *table;
  const char *before;
  const char *after;
} TableCheck;

static const TableCheck status_checks[] = {
  { "orders",
    "CHECK (status IN ('pending_payment', 'paid', 'partially_refunded',"
    "                                         'refunded', 'canceled'))",
    "CHECK (status = 'pending_payment' OR status = 'paid' OR status = 'partially_refunded'"
    " OR status = 'refunded' OR status = 'canceled')" },
  { "refunds", "CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled'))",
    "CHECK (status = 'pending' OR status = 'succeeded' OR status = 'failed'"
    " OR status = 'canceled')" },
};

static gboolean
table_sql_contains (TillDatabase *self, const char *table, const char *text)
{
  sqlite3_stmt *stmt = NULL;
  gboolean      found = FALSE;

  /* Not cached: it runs once in the database's life. */
  if (sqlite3_prepare_v2 (self->db,
                          "SELECT instr (sql, ?2) > 0 FROM sqlite_schema"
                          " WHERE type = 'table' AND name = ?1",
                          -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, table, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, text, -1, SQLITE_STATIC);
      found = sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int (stmt, 0) != 0;
    }
  sqlite3_finalize (stmt);
  return found;
}

static gboolean
rewrite_checks (TillDatabase *self, const TableCheck *checks, guint n_checks, GError **error)
{
  sqlite3_stmt    *stmt;
  g_autofree char *bump = NULL;
  gint64           schema_version = -1;
  gboolean         bumped;

  stmt = till_database_prepare (self, "PRAGMA schema_version", error);
  if (stmt == NULL)
    return FALSE;
  if (till_database_step (self, stmt, error) == SQLITE_ROW)
    schema_version = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (schema_version < 0)
    {
      g_set_error_literal (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                           "cannot read the schema version");
      return FALSE;
    }
  if (!till_database_exec (self, "PRAGMA writable_schema = ON", error))
    return FALSE;
  for (guint i = 0; i < n_checks; i++)
    {
      /* Not cached: it runs once in the database's life. */
      sqlite3_stmt *update = NULL;
      int           rc = sqlite3_prepare_v2 (self->db,
                                             "UPDATE sqlite_schema SET sql = replace (sql, ?2, ?3)"
                                                       " WHERE type = 'table' AND name = ?1 AND instr (sql, ?2) > 0",
                                             -1, &update, NULL);

      if (rc == SQLITE_OK)
        {
          sqlite3_bind_text (update, 1, checks[i].table, -1, SQLITE_STATIC);
          sqlite3_bind_text (update, 2, checks[i].before, -1, SQLITE_STATIC);
          sqlite3_bind_text (update, 3, checks[i].after, -1, SQLITE_STATIC);
          rc = sqlite3_step (update);
        }
      sqlite3_finalize (update);
      /* A check already rewritten (a database whose version was set back) is kept. */
      if (rc == SQLITE_DONE && sqlite3_changes (self->db) == 0 &&
          table_sql_contains (self, checks[i].table, checks[i].after))
        continue;
      if (rc != SQLITE_DONE || sqlite3_changes (self->db) != 1)
        {
          till_database_exec (self, "PRAGMA writable_schema = OFF", NULL);
          g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                       "the check of %s is not the expected one", checks[i].table);
          return FALSE;
        }
    }
  bump = g_strdup_printf ("PRAGMA schema_version = %" G_GINT64_FORMAT, schema_version + 1);
  bumped = till_database_exec (self, bump, error);
  /* Off again whatever failed: the pragma is the connection's, a rollback keeps it. */
  if (!till_database_exec (self, "PRAGMA writable_schema = OFF", bumped ? error : NULL) || !bumped)
    return FALSE;

  stmt = till_database_prepare (self, "PRAGMA integrity_check", error);
  if (stmt == NULL)
    return FALSE;
  if (till_database_step (self, stmt, error) != SQLITE_ROW ||
      g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), "ok") != 0)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                     "integrity check failed: %s", sqlite3_column_text (stmt, 0));
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
rewrite_status_checks (TillDatabase *self, GError **error)
{
  return rewrite_checks (self, status_checks, G_N_ELEMENTS (status_checks), error);
}

/* Terminals may be kiosks: the role's check widened in place, as the status checks were. */
static gboolean
allow_kiosk_role (TillDatabase *self, GError **error)
{
  static const TableCheck checks[] = {
    { "terminals", "CHECK (role IN ('cashier', 'admin'))",
      "CHECK (role = 'cashier' OR role = 'admin' OR role = 'kiosk')" },
  };

  return rewrite_checks (self, checks, G_N_ELEMENTS (checks), error);
}

/* The orders' status check gains partially_paid, edited in sqlite_schema as
 * rewrite_status_checks () does; then the trigger is made again with its moves. */
static gboolean
add_partially_paid (TillDatabase *self, GError **error)
{
  static const char *before = " OR status = 'canceled')";
  static const char *after = " OR status = 'canceled' OR status = 'partially_paid')";
  sqlite3_stmt      *stmt;
  g_autofree char   *bump = NULL;
  gint64             schema_version = -1;
  gboolean           done = FALSE;
  int                rc;

  stmt = till_database_prepare (self,
                                "SELECT instr (sql, 'partially_paid') > 0 FROM sqlite_schema"
                                " WHERE type = 'table' AND name = 'orders'",
                                error);
  if (stmt == NULL || till_database_step (self, stmt, error) != SQLITE_ROW)
    return FALSE;
  done = sqlite3_column_int (stmt, 0) != 0;
  sqlite3_reset (stmt);

  if (!done)
    {
      sqlite3_stmt *update = NULL;

      stmt = till_database_prepare (self, "PRAGMA schema_version", error);
      if (stmt == NULL || till_database_step (self, stmt, error) != SQLITE_ROW)
        return FALSE;
      schema_version = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
      if (!till_database_exec (self, "PRAGMA writable_schema = ON", error))
        return FALSE;
      rc = sqlite3_prepare_v2 (self->db,
                               "UPDATE sqlite_schema SET sql = replace (sql, ?1, ?2)"
                               " WHERE type = 'table' AND name = 'orders' AND instr (sql, ?1) > 0",
                               -1, &update, NULL);
      if (rc == SQLITE_OK)
        {
          sqlite3_bind_text (update, 1, before, -1, SQLITE_STATIC);
          sqlite3_bind_text (update, 2, after, -1, SQLITE_STATIC);
          rc = sqlite3_step (update);
        }
      sqlite3_finalize (update);
      if (rc != SQLITE_DONE || sqlite3_changes (self->db) != 1)
        {
          till_database_exec (self, "PRAGMA writable_schema = OFF", NULL);
          g_set_error_literal (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                               "the status check of orders is not the expected one");
          return FALSE;
        }
      bump = g_strdup_printf ("PRAGMA schema_version = %" G_GINT64_FORMAT, schema_version + 1);
      if (!till_database_exec (self, bump, error))
        {
          till_database_exec (self, "PRAGMA writable_schema = OFF", NULL);
          return FALSE;
        }
      if (!till_database_exec (self, "PRAGMA writable_schema = OFF", error))
        return FALSE;
      stmt = till_database_prepare (self, "PRAGMA integrity_check", error);
      if (stmt == NULL)
        return FALSE;
      if (till_database_step (self, stmt, error) != SQLITE_ROW ||
          g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), "ok") != 0)
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                         "integrity check failed: %s", sqlite3_column_text (stmt, 0));
          sqlite3_reset (stmt);
          return FALSE;
        }
      sqlite3_reset (stmt);
    }
  return till_database_exec (
      self,
      "DROP TRIGGER IF EXISTS orders_status_monotonic;"
      "CREATE TRIGGER orders_status_monotonic BEFORE UPDATE OF status ON orders "
      "WHEN NOT (OLD.status = NEW.status"
      "  OR (OLD.status = 'pending_payment'"
      "      AND NEW.status IN ('paid', 'canceled', 'partially_paid'))"
      "  OR (OLD.status = 'partially_paid' AND NEW.status = 'paid')"
      "  OR (OLD.status = 'paid' AND NEW.status IN ('partially_refunded', 'refunded'))"
      "  OR (OLD.status = 'partially_refunded' AND NEW.status = 'refunded')) "
      "BEGIN SELECT RAISE (ABORT, 'order status cannot move backwards'); END;",
      error);
}

char *
till_database_new_receipt_token (GError **error)
{
  guint8 raw[16];
  gsize  done = 0;
  char  *token;

  while (done < sizeof raw)
    {
      ssize_t n = getrandom (raw + done, sizeof raw - done, 0);

      if (n < 0)
        {
          int saved = errno;

          if (saved == EINTR)
            continue;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _ ("Cannot get random bytes: %s"), g_strerror (saved));
          return NULL;
        }
      done += n;
    }
  token = g_base64_encode (raw, sizeof raw);
  for (char *p = token; *p; p++)
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
    else if (*p == '=')
      *p = '\0';
  return token;
}

static gboolean
add_receipt_tokens (TillDatabase *self, GError **error)
{
  sqlite3_stmt *select = NULL;
  sqlite3_stmt *insert = NULL;
  int           rc;

  if (!till_database_exec (
          self,
          "CREATE TABLE IF NOT EXISTS receipt_tokens ("
          "  order_id INTEGER PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,"
          "  token TEXT NOT NULL UNIQUE"
          ")",
          error))
    return FALSE;
  /* Not cached: it runs once in the database's life. */
  rc = sqlite3_prepare_v2 (self->db,
                           "SELECT id FROM orders"
                           " WHERE id NOT IN (SELECT order_id FROM receipt_tokens)",
                           -1, &select, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2 (self->db, "INSERT INTO receipt_tokens (order_id, token) VALUES (?, ?)",
                             -1, &insert, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step (select)) == SQLITE_ROW)
    {
      g_autofree char *token = till_database_new_receipt_token (error);

      if (token == NULL)
        break;
      sqlite3_bind_int64 (insert, 1, sqlite3_column_int64 (select, 0));
      sqlite3_bind_text (insert, 2, token, -1, SQLITE_TRANSIENT);
      rc = sqlite3_step (insert);
      sqlite3_reset (insert);
      rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
  sqlite3_finalize (select);
  sqlite3_finalize (insert);
  if (error != NULL && *error != NULL)
    return FALSE;
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                   "cannot make the receipt tokens: %s", sqlite3_errmsg (self->db));
      return FALSE;
    }
  return TRUE;
}

/* orders.canceled_at, for an order's history. Orders canceled before get their last change's
 * time, which is their cancellation unless something touched them later: the best the
 * database knows. A column already there (a database whose version was set back) is kept. */
static gboolean
add_canceled_at (TillDatabase *self, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean      present = FALSE;

  /* Not cached: it runs once in the database's life. */
  if (sqlite3_prepare_v2 (self->db,
                          "SELECT 1 FROM pragma_table_info ('orders') WHERE name = 'canceled_at'",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                   "cannot read the orders' columns: %s", sqlite3_errmsg (self->db));
      return FALSE;
    }
  present = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  if (present)
    return TRUE;
  return till_database_exec (self,
                             "ALTER TABLE orders ADD COLUMN canceled_at INTEGER;"
                             "UPDATE orders SET canceled_at = updated_at WHERE status = 'canceled'",
                             error);
}

static gboolean
migrate (TillDatabase *self, GError **error)
{
  int version = read_user_version (self);
  int latest = G_N_ELEMENTS (migrations);

  if (version < 0)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                   _ ("Cannot read the schema version of the database"));
      return FALSE;
    }
  if (version > latest)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_TOO_NEW,
                   _ ("The database has schema version %d, newer than this till-server knows (%d)"),
                   version, latest);
      return FALSE;
    }

  for (; version < latest; version++)
    {
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", version + 1);

      if (!till_database_begin (self, error))
        return FALSE;
      if ((migrations[version].sql != NULL &&
           !till_database_exec (self, migrations[version].sql, error)) ||
          (migrations[version].func != NULL && !migrations[version].func (self, error)) ||
          !till_database_exec (self, bump, error))
        {
          till_database_rollback (self);
          g_prefix_error (error, _ ("Migration to schema version %d failed: "), version + 1);
          return FALSE;
        }
      if (version == 0)
        {
          g_autofree char *uuid = g_uuid_string_random ();
          g_autofree char *sql =
              g_strdup_printf ("INSERT INTO meta (key, value) VALUES ('instance', '%s')", uuid);

          if (!till_database_exec (self, sql, error))
            {
              till_database_rollback (self);
              return FALSE;
            }
        }
      if (!till_database_commit (self, error))
        return FALSE;
      g_debug ("Database migrated to schema version %d", version + 1);
    }
  return TRUE;
}

static gboolean
load_instance (TillDatabase *self, GError **error)
{
  sqlite3_stmt *stmt =
      till_database_prepare (self, "SELECT value FROM meta WHERE key = 'instance'", error);

  if (stmt == NULL)
    return FALSE;
  if (till_database_step (self, stmt, error) != SQLITE_ROW)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                     _ ("The database has no instance id"));
      return FALSE;
    }
  self->instance = till_database_column_dup (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

/* A server that cannot write its database would start, say it listens, then fail every
 * write: it refuses to start instead. SQLite needs the file, and the directory, where it
 * makes the -wal and -shm files. A missing file is created here, empty (SQLite takes an
 * empty file for an empty database), and readable by its owner only: it will hold orders.
 * An existing file's mode is the operator's and is left alone. */
static gboolean
check_writable (const char *path, const char *dir, GError **error)
{
  int fd;

  if (g_access (dir, W_OK | X_OK) != 0)
    {
      int saved = errno;

      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_READ_ONLY,
                   _ ("Cannot write in %s, the database’s directory, where its -wal and -shm "
                      "files go: %s"),
                   dir, g_strerror (saved));
      return FALSE;
    }
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      g_close (fd, NULL);
      return TRUE;
    }
  if (errno != EEXIST)
    {
      int saved = errno;

      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_READ_ONLY,
                   _ ("Cannot create the database %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  if (g_access (path, R_OK | W_OK) != 0)
    {
      int saved = errno;

      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_READ_ONLY,
                   _ ("Cannot write the database %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* Before SQLite's first use in the process: no memory statistics (they take a global
 * mutex on every allocation, and nothing reads them). Too late if something else in the
 * process already used SQLite: then it stays as it was. */
static void
configure_sqlite_once (void)
{
  static gsize configured = 0;

  if (g_once_init_enter (&configured))
    {
      sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
      g_once_init_leave (&configured, 1);
    }
}

TillDatabase *
till_database_open (const char *path, GError **error)
{
  g_autoptr (TillDatabase) self = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *limit = NULL;
  int              rc;

  g_return_val_if_fail (path != NULL, NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _ ("Cannot create the directory %s: %s"), dir, g_strerror (saved));
      return NULL;
    }

  if (!check_writable (path, dir, error))
    return NULL;

  configure_sqlite_once ();
  self = g_object_new (TILL_TYPE_DATABASE, NULL);
  self->path = g_strdup (path);

  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                   _ ("Cannot open the database %s: %s"), path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  /* Where it could only be opened read-only, SQLite did so without a word. */
  if (sqlite3_db_readonly (self->db, "main") == 1)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_READ_ONLY,
                   _ ("The database %s can only be read: till-server must write it"), path);
      return NULL;
    }

  /* synchronous=FULL: in WAL mode, every commit syncs the WAL before it returns, so a
   * committed order or payment survives a power cut (NORMAL syncs only at checkpoints, and
   * can lose the last commits). See HACKING.md for why that costs the server nothing it
   * needs. */
  limit = g_strdup_printf ("PRAGMA journal_size_limit = %" G_GINT64_FORMAT, WAL_SIZE_LIMIT);
  if (!till_database_exec (self, "PRAGMA journal_mode = WAL", error) ||
      !till_database_exec (self, "PRAGMA synchronous = FULL", error) ||
      !till_database_exec (self, limit, error) ||
      !till_database_exec (self, "PRAGMA foreign_keys = ON", error) ||
      !till_database_exec (self, "PRAGMA temp_store = MEMORY", error) || !migrate (self, error) ||
      !load_instance (self, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  /* Replaces SQLite's automatic checkpoints in the committing thread. */
  sqlite3_wal_hook (self->db, on_wal_commit, self);
  sqlite3_update_hook (self->db, on_row_changed, self);
  self->data_version = -1;

  return g_steal_pointer (&self);
}

/* Worker connections kept for the next worker thread; more are opened while more run at
 * once. */
#define IDLE_WORKERS_MAX 2

TillDatabase *
till_database_take_worker (TillDatabase *self, GError **error)
{
  TillDatabase *db = g_async_queue_try_pop (self->workers);

  if (db == NULL)
    {
      db = till_database_open (self->path, error);
      /* What a worker reads it reads once, in order: the OS caches the file; a page cache of
       * its own (2 MB by default) would only stay allocated while the connection idles. */
      if (db != NULL)
        till_database_exec (db, "PRAGMA cache_size = -256", NULL);
    }
  return db;
}

void
till_database_give_back (TillDatabase *self, TillDatabase *worker)
{
  sqlite3_stmt *stmt = NULL;

  /* A statement stopped before its last row would keep a read transaction open while the
   * connection idles, and the WAL could not be checkpointed past it. */
  while ((stmt = sqlite3_next_stmt (worker->db, stmt)) != NULL)
    sqlite3_reset (stmt);
  if (!worker->in_transaction && g_async_queue_length (self->workers) < IDLE_WORKERS_MAX)
    g_async_queue_push (self->workers, worker);
  else
    g_object_unref (worker);
}

const char *
till_database_get_path (TillDatabase *self)
{
  return self->path;
}

const char *
till_database_get_instance (TillDatabase *self)
{
  return self->instance;
}

gboolean
till_database_backup (TillDatabase *self, const char *destination, GError **error)
{
  sqlite3        *target = NULL;
  sqlite3_backup *backup;
  int             fd;
  int             rc;

  /* A new copy is its owner's alone, like the database; an existing file keeps its mode. */
  fd = g_open (destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0)
    g_close (fd, NULL);
  rc = sqlite3_open_v2 (destination, &target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED, _ ("Cannot open %s: %s"),
                   destination, target != NULL ? sqlite3_errmsg (target) : sqlite3_errstr (rc));
      sqlite3_close (target);
      return FALSE;
    }
  backup = sqlite3_backup_init (target, "main", self->db, "main");
  if (backup == NULL)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                   _ ("Cannot back up into %s: %s"), destination, sqlite3_errmsg (target));
      sqlite3_close (target);
      return FALSE;
    }
  /* Copy in steps so writers are not locked out for long. */
  do
    {
      rc = sqlite3_backup_step (backup, 256);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        sqlite3_sleep (10);
    }
  while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish (backup);

  if (rc != SQLITE_DONE)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                   _ ("Backup into %s failed: %s"), destination, sqlite3_errstr (rc));
      sqlite3_close (target);
      return FALSE;
    }
  sqlite3_close (target);
  return TRUE;
}

/* What is wrong with the would-be backup @db, or NULL: its integrity, and a schema version
 * from 1 (a Till database) to what this till-server knows. */
static char *
check_restorable (sqlite3 *db, int latest)
{
  g_autoptr (GString) problems = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;
  int           version = -1;
  int           rc;

  if (sqlite3_prepare_v2 (db, "PRAGMA integrity_check(20)", -1, &stmt, NULL) != SQLITE_OK)
    return g_strdup (sqlite3_errmsg (db));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *line = (const char *) sqlite3_column_text (stmt, 0);

      if (g_strcmp0 (line, "ok") != 0)
        g_string_append_printf (problems, "%s%s", problems->len > 0 ? "; " : "", line);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return g_strdup (sqlite3_errmsg (db));
  if (problems->len > 0)
    return g_strdup_printf (_ ("it is damaged: %s"), problems->str);

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  if (version < 1)
    return g_strdup (_ ("it is not a Till database"));
  if (version > latest)
    return g_strdup_printf (_ ("it has schema version %d, newer than this till-server knows (%d)"),
                            version, latest);
  return NULL;
}

gboolean
till_database_check_backup (const char *source, GError **error)
{
  g_autofree char *problem = NULL;
  sqlite3         *from = NULL;
  int              rc;

  if (!g_file_test (source, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, _ ("%s: no such file"), source);
      return FALSE;
    }
  configure_sqlite_once ();
  rc = sqlite3_open_v2 (source, &from, SQLITE_OPEN_READONLY, NULL);
  if (rc == SQLITE_OK)
    problem = check_restorable (from, G_N_ELEMENTS (migrations));
  else
    problem = g_strdup (from != NULL ? sqlite3_errmsg (from) : sqlite3_errstr (rc));
  sqlite3_close (from);
  if (problem != NULL)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                   _ ("Cannot restore from %s: %s"), source, problem);
      return FALSE;
    }
  return TRUE;
}

gboolean
till_database_restore (TillDatabase *self, const char *source, GError **error)
{
  sqlite3        *from = NULL;
  sqlite3_backup *backup;
  int             rc;

  if (!till_database_check_backup (source, error))
    return FALSE;
  rc = sqlite3_open_v2 (source, &from, SQLITE_OPEN_READONLY, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                   _ ("Cannot restore from %s: %s"), source,
                   from != NULL ? sqlite3_errmsg (from) : sqlite3_errstr (rc));
      sqlite3_close (from);
      return FALSE;
    }

  /* Into the open database: one write transaction, through its WAL, so it is all or
   * nothing, and other connections see the old or the new contents. */
  backup = sqlite3_backup_init (self->db, "main", from, "main");
  if (backup == NULL)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                   _ ("Cannot restore from %s: %s"), source, sqlite3_errmsg (self->db));
      sqlite3_close (from);
      return FALSE;
    }
  rc = sqlite3_backup_step (backup, -1);
  sqlite3_backup_finish (backup);
  sqlite3_close (from);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FAILED,
                   _ ("Restoring from %s failed: %s"), source, sqlite3_errstr (rc));
      return FALSE;
    }
  return TRUE;
}
