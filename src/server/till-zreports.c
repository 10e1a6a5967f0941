/* till-zreports.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A report covers what a terminal did after its last Z (or since it was added) up to now:
 * each figure is read by the time of its event (an order's paid_at, a refund's or a
 * movement's created_at, a void's updated_at, a drawer session's closed_at), in (from, to].
 * So a refund made after a Z, of an order on it, goes on the next Z, and a stored Z, written
 * once, never has to change (triggers refuse any UPDATE or DELETE of one).
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "till-server-error.h"
#include "till-zreports.h"

#define SALE_STATUSES "('paid', 'partially_refunded', 'refunded')"

static GDateTime *
time_from_us (gint64 us)
{
  g_autoptr (GDateTime) seconds = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);

  if (seconds == NULL)
    return NULL;
  return g_date_time_add (seconds, us % G_USEC_PER_SEC);
}

/* Prepares @sql with ?1 the terminal, ?2 and ?3 the period. */
static sqlite3_stmt *
prepare_period (TillDatabase *db,
                const char   *sql,
                gint64        terminal_id,
                gint64        from_us,
                gint64        to_us,
                GError      **error)
{
  sqlite3_stmt *stmt = till_database_prepare (db, sql, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, terminal_id);
  sqlite3_bind_int64 (stmt, 2, from_us);
  sqlite3_bind_int64 (stmt, 3, to_us);
  return stmt;
}

static void
write_nullable_int (TillJsonWriter *writer, const char *name, sqlite3_stmt *stmt, int column)
{
  till_json_writer_name (writer, name);
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    till_json_writer_null (writer);
  else
    till_json_writer_int (writer, sqlite3_column_int64 (stmt, column));
}

char *
till_zreports_compute (TillDatabase *db,
                       gint64        terminal_id,
                       const char   *number,
                       gint64        from_us,
                       gint64        to_us,
                       const char   *currency,
                       GError      **error)
{
  g_autoptr (GString) text = g_string_sized_new (2048);
  g_autoptr (GDateTime) from = time_from_us (from_us);
  g_autoptr (GDateTime) to = time_from_us (to_us);
  g_autofree char *terminal = NULL;
  g_autofree char *first_order = NULL;
  g_autofree char *last_order = NULL;
  gint64           count = 0, amount = 0, discounts = 0;
  sqlite3_stmt    *stmt;
  TillJsonWriter   writer;
  int              rc;

  stmt = till_database_prepare (db, "SELECT name FROM terminals WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, terminal_id);
  if (till_database_step (db, stmt, error) == SQLITE_ROW)
    terminal = till_database_column_dup (stmt, 0);
  sqlite3_reset (stmt);

  till_json_writer_init (&writer, text);
  till_json_writer_begin_object (&writer);
  till_json_writer_member_string (&writer, "number", number);
  till_json_writer_member_string (&writer, "terminal", terminal);
  till_json_writer_name (&writer, "from");
  till_json_writer_time (&writer, from);
  till_json_writer_name (&writer, "to");
  till_json_writer_time (&writer, to);
  till_json_writer_member_string (&writer, "currency", currency);

  /* The sales, and by tender: the cash parts (all of a cash order), the card parts (the
   * rest of an order with a card payment). */
  stmt =
      prepare_period (db,
                      "SELECT count (*), coalesce (sum (total), 0), coalesce (sum (discount), 0),"
                      " min (number), max (number) FROM orders"
                      " WHERE terminal_id = ?1 AND paid_at > ?2 AND paid_at <= ?3"
                      " AND status IN " SALE_STATUSES,
                      terminal_id, from_us, to_us, error);
  if (stmt == NULL || till_database_step (db, stmt, error) != SQLITE_ROW)
    {
      if (stmt != NULL)
        sqlite3_reset (stmt);
      return NULL;
    }
  count = sqlite3_column_int64 (stmt, 0);
  amount = sqlite3_column_int64 (stmt, 1);
  discounts = sqlite3_column_int64 (stmt, 2);
  first_order = till_database_column_dup (stmt, 3);
  last_order = till_database_column_dup (stmt, 4);
  sqlite3_reset (stmt);

  stmt = prepare_period (
      db,
      "SELECT 'cash', count (DISTINCT t.order_id), coalesce (sum (t.amount), 0)"
      " FROM cash_tenders t JOIN orders o ON o.id = t.order_id"
      " WHERE o.terminal_id = ?1 AND o.paid_at > ?2 AND o.paid_at <= ?3"
      " AND o.status IN " SALE_STATUSES
      " UNION ALL SELECT 'card', count (*), coalesce (sum (o.total - (SELECT coalesce"
      " (sum (t.amount), 0) FROM cash_tenders t WHERE t.order_id = o.id)), 0)"
      " FROM orders o JOIN payments p ON p.order_id = o.id"
      " WHERE o.terminal_id = ?1 AND o.paid_at > ?2 AND o.paid_at <= ?3"
      " AND o.status IN " SALE_STATUSES,
      terminal_id, from_us, to_us, error);
  if (stmt == NULL)
    return NULL;
  till_json_writer_name (&writer, "by_tender");
  till_json_writer_begin_array (&writer);
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    {
      if (sqlite3_column_int64 (stmt, 1) == 0)
        continue;
      till_json_writer_begin_object (&writer);
      till_json_writer_member_string (&writer, "method",
                                      (const char *) sqlite3_column_text (stmt, 0));
      till_json_writer_member_int (&writer, "count", sqlite3_column_int64 (stmt, 1));
      till_json_writer_member_int (&writer, "amount", sqlite3_column_int64 (stmt, 2));
      till_json_writer_end_object (&writer);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  till_json_writer_end_array (&writer);
  till_json_writer_name (&writer, "sales");
  till_json_writer_begin_object (&writer);
  till_json_writer_member_int (&writer, "count", count);
  till_json_writer_member_int (&writer, "amount", amount);
  till_json_writer_end_object (&writer);
  till_json_writer_member_int (&writer, "discounts", discounts);

  stmt =
      prepare_period (db,
                      "SELECT l.tax_rate, sum (l.tax), sum (l.total) FROM orders o"
                      " JOIN order_lines l ON l.order_id = o.id"
                      " WHERE o.terminal_id = ?1 AND o.paid_at > ?2 AND o.paid_at <= ?3"
                      " AND o.status IN " SALE_STATUSES " GROUP BY l.tax_rate ORDER BY l.tax_rate",
                      terminal_id, from_us, to_us, error);
  if (stmt == NULL)
    return NULL;
  till_json_writer_name (&writer, "by_tax_rate");
  till_json_writer_begin_array (&writer);
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    {
      till_json_writer_begin_object (&writer);
      till_json_writer_member_int (&writer, "tax_rate", sqlite3_column_int64 (stmt, 0));
      till_json_writer_member_int (&writer, "tax", sqlite3_column_int64 (stmt, 1));
      till_json_writer_member_int (&writer, "total", sqlite3_column_int64 (stmt, 2));
      till_json_writer_end_object (&writer);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  till_json_writer_end_array (&writer);

  /* Refunds made in the period: in cash from this terminal's drawer, or to the card of one
   * of its orders. */
  stmt =
      prepare_period (db,
                      "SELECT CASE WHEN c.refund_id IS NULL THEN 'card' ELSE 'cash' END, count (*),"
                      " sum (r.amount) FROM refunds r JOIN orders o ON o.id = r.order_id"
                      " LEFT JOIN cash_refunds c ON c.refund_id = r.id"
                      " WHERE coalesce (c.terminal_id, o.terminal_id) = ?1"
                      " AND r.created_at > ?2 AND r.created_at <= ?3"
                      " AND r.status IN ('pending', 'succeeded') GROUP BY 1 ORDER BY 1",
                      terminal_id, from_us, to_us, error);
  if (stmt == NULL)
    return NULL;
  till_json_writer_name (&writer, "refunds");
  till_json_writer_begin_array (&writer);
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    {
      till_json_writer_begin_object (&writer);
      till_json_writer_member_string (&writer, "method",
                                      (const char *) sqlite3_column_text (stmt, 0));
      till_json_writer_member_int (&writer, "count", sqlite3_column_int64 (stmt, 1));
      till_json_writer_member_int (&writer, "amount", sqlite3_column_int64 (stmt, 2));
      till_json_writer_end_object (&writer);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  till_json_writer_end_array (&writer);

  /* Voids: this terminal's orders canceled in the period. */
  stmt = prepare_period (db,
                         "SELECT count (*), coalesce (sum (total), 0) FROM orders"
                         " WHERE terminal_id = ?1 AND status = 'canceled'"
                         " AND updated_at > ?2 AND updated_at <= ?3",
                         terminal_id, from_us, to_us, error);
  if (stmt == NULL || till_database_step (db, stmt, error) != SQLITE_ROW)
    {
      if (stmt != NULL)
        sqlite3_reset (stmt);
      return NULL;
    }
  till_json_writer_name (&writer, "voids");
  till_json_writer_begin_object (&writer);
  till_json_writer_member_int (&writer, "count", sqlite3_column_int64 (stmt, 0));
  till_json_writer_member_int (&writer, "amount", sqlite3_column_int64 (stmt, 1));
  till_json_writer_end_object (&writer);
  sqlite3_reset (stmt);

  stmt = prepare_period (db,
                         "SELECT coalesce (sum (rounding), 0) FROM cash_tenders"
                         " WHERE terminal_id = ?1 AND created_at > ?2 AND created_at <= ?3",
                         terminal_id, from_us, to_us, error);
  if (stmt == NULL || till_database_step (db, stmt, error) != SQLITE_ROW)
    {
      if (stmt != NULL)
        sqlite3_reset (stmt);
      return NULL;
    }
  till_json_writer_member_int (&writer, "cash_rounding", sqlite3_column_int64 (stmt, 0));
  sqlite3_reset (stmt);

  stmt = prepare_period (
      db,
      "SELECT coalesce (sum (CASE WHEN type = 'pay_in' THEN amount END), 0),"
      " coalesce (sum (CASE WHEN type = 'pay_out' THEN amount END), 0),"
      " count (CASE WHEN type = 'no_sale' THEN 1 END)"
      " FROM drawer_movements WHERE terminal_id = ?1 AND created_at > ?2 AND created_at <= ?3",
      terminal_id, from_us, to_us, error);
  if (stmt == NULL || till_database_step (db, stmt, error) != SQLITE_ROW)
    {
      if (stmt != NULL)
        sqlite3_reset (stmt);
      return NULL;
    }
  till_json_writer_name (&writer, "movements");
  till_json_writer_begin_object (&writer);
  till_json_writer_member_int (&writer, "pay_ins", sqlite3_column_int64 (stmt, 0));
  till_json_writer_member_int (&writer, "pay_outs", sqlite3_column_int64 (stmt, 1));
  till_json_writer_member_int (&writer, "no_sales", sqlite3_column_int64 (stmt, 2));
  till_json_writer_end_object (&writer);
  sqlite3_reset (stmt);

  /* The drawer sessions closed in the period (null without one). */
  stmt = prepare_period (db,
                         "SELECT sum (float), sum (expected), sum (counted),"
                         " sum (counted - expected) FROM drawer_sessions"
                         " WHERE terminal_id = ?1 AND closed_at > ?2 AND closed_at <= ?3",
                         terminal_id, from_us, to_us, error);
  if (stmt == NULL || till_database_step (db, stmt, error) != SQLITE_ROW)
    {
      if (stmt != NULL)
        sqlite3_reset (stmt);
      return NULL;
    }
  write_nullable_int (&writer, "float", stmt, 0);
  write_nullable_int (&writer, "expected", stmt, 1);
  write_nullable_int (&writer, "counted", stmt, 2);
  write_nullable_int (&writer, "over_short", stmt, 3);
  sqlite3_reset (stmt);

  till_json_writer_member_string (&writer, "first_order", first_order);
  till_json_writer_member_string (&writer, "last_order", last_order);
  till_json_writer_end_object (&writer);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Where the terminal's next report starts: its last Z's end, or when it was added. */
static gboolean
period_start (TillDatabase *db, gint64 terminal_id, gint64 *out_from, GError **error)
{
  sqlite3_stmt *stmt;
  int           rc;

  stmt = till_database_prepare (
      db,
      "SELECT coalesce ((SELECT max (period_to) FROM z_reports WHERE terminal_id = ?1),"
      " (SELECT created_at * 1000000 FROM terminals WHERE id = ?1), 0)",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, terminal_id);
  rc = till_database_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    *out_from = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW;
}

char *
till_zreports_current (TillDatabase *db, gint64 terminal_id, const char *currency, GError **error)
{
  gint64 from = 0;

  if (!period_start (db, terminal_id, &from, error))
    return NULL;
  return till_zreports_compute (db, terminal_id, NULL, from, MAX (g_get_real_time (), from),
                                currency, error);
}

static char *
find_body (TillDatabase *db, const char *sql, const char *text, gint64 terminal_id, GError **error)
{
  sqlite3_stmt *stmt = till_database_prepare (db, sql, error);
  char         *body = NULL;
  int           rc;

  if (stmt == NULL)
    return NULL;
  till_database_bind_text (stmt, 1, text);
  sqlite3_bind_int64 (stmt, 2, terminal_id);
  rc = till_database_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    body = till_database_column_dup (stmt, 0);
  sqlite3_reset (stmt);
  return body;
}

char *
till_zreports_make (TillDatabase *db,
                    gint64        terminal_id,
                    const char   *currency,
                    const char   *request_key,
                    gboolean     *out_existing,
                    GError      **error)
{
  g_autofree char *number = NULL;
  g_autofree char *body = NULL;
  g_autoptr (GError) local = NULL;
  sqlite3_stmt *stmt;
  gint64        from = 0, to, next = 0;

  *out_existing = FALSE;
  if (request_key != NULL)
    {
      body =
          find_body (db, "SELECT body FROM z_reports WHERE request_key = ?1 AND terminal_id = ?2",
                     request_key, terminal_id, &local);
      if (body != NULL)
        {
          *out_existing = TRUE;
          return g_steal_pointer (&body);
        }
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
    }

  if (!till_database_begin (db, error))
    return NULL;
  stmt = till_database_prepare (db, "SELECT coalesce (max (id), 0) + 1 FROM z_reports", error);
  if (stmt == NULL || till_database_step (db, stmt, error) != SQLITE_ROW)
    {
      if (stmt != NULL)
        sqlite3_reset (stmt);
      till_database_rollback (db);
      return NULL;
    }
  next = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (!period_start (db, terminal_id, &from, error))
    {
      till_database_rollback (db);
      return NULL;
    }
  to = MAX (g_get_real_time (), from + 1);
  number = g_strdup_printf ("Z-%04" G_GINT64_FORMAT, next);
  body = till_zreports_compute (db, terminal_id, number, from, to, currency, error);
  if (body == NULL)
    {
      till_database_rollback (db);
      return NULL;
    }
  stmt = till_database_prepare (db,
                                "INSERT INTO z_reports (id, number, terminal_id, period_from,"
                                " period_to, request_key, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                error);
  if (stmt == NULL)
    {
      till_database_rollback (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, next);
  till_database_bind_text (stmt, 2, number);
  sqlite3_bind_int64 (stmt, 3, terminal_id);
  sqlite3_bind_int64 (stmt, 4, from);
  sqlite3_bind_int64 (stmt, 5, to);
  till_database_bind_text (stmt, 6, request_key);
  till_database_bind_text (stmt, 7, body);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    {
      till_database_rollback (db);
      return NULL;
    }
  if (!till_database_commit (db, error))
    return NULL;
  return g_steal_pointer (&body);
}

char *
till_zreports_get_by_key (TillDatabase *db,
                          gint64        terminal_id,
                          const char   *request_key,
                          GError      **error)
{
  return find_body (db, "SELECT body FROM z_reports WHERE request_key = ?1 AND terminal_id = ?2",
                    request_key, terminal_id, error);
}

char *
till_zreports_get (TillDatabase *db, const char *number, gint64 terminal_id, GError **error)
{
  g_autoptr (GError) local = NULL;
  char *body = find_body (db,
                          "SELECT body FROM z_reports WHERE number = ?1"
                          " AND (?2 = 0 OR terminal_id = ?2)",
                          number, terminal_id, &local);

  if (body == NULL && local == NULL)
    g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_NOT_FOUND, _ ("No such Z report"));
  else if (body == NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  return body;
}

GPtrArray *
till_zreports_list (TillDatabase *db,
                    gint64        terminal_id,
                    gint64        before_id,
                    guint         limit,
                    gint64       *out_next,
                    GError      **error)
{
  g_autoptr (GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  gint64        last = 0;
  int           rc;

  stmt = till_database_prepare (db,
                                "SELECT id, body FROM z_reports WHERE (?1 = 0 OR terminal_id = ?1)"
                                " AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3",
                                error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, terminal_id);
  sqlite3_bind_int64 (stmt, 2, before_id);
  sqlite3_bind_int64 (stmt, 3, limit + 1);
  *out_next = 0;
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    {
      if (bodies->len == limit)
        {
          *out_next = last;
          break;
        }
      last = sqlite3_column_int64 (stmt, 0);
      g_ptr_array_add (bodies, till_database_column_dup (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&bodies);
}
