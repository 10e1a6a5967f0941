/* till-drawer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-drawer.h"
#include "till-server-error.h"

gboolean
till_drawer_find_cash (TillDatabase    *db,
                       const char      *request_key,
                       TillCashPayment *out_payment,
                       GError         **error)
{
  sqlite3_stmt *stmt;
  int           rc;

  stmt = till_database_prepare (db,
                                "SELECT id, order_id, amount, rounding, tendered, change"
                                " FROM cash_tenders WHERE request_key = ?",
                                error);
  if (stmt == NULL)
    return FALSE;
  till_database_bind_text (stmt, 1, request_key);
  rc = till_database_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    {
      out_payment->id = sqlite3_column_int64 (stmt, 0);
      out_payment->order_id = sqlite3_column_int64 (stmt, 1);
      out_payment->amount = sqlite3_column_int64 (stmt, 2);
      out_payment->rounding = sqlite3_column_int64 (stmt, 3);
      out_payment->tendered = sqlite3_column_int64 (stmt, 4);
      out_payment->change = sqlite3_column_int64 (stmt, 5);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW;
}

gboolean
till_drawer_record_cash_locked (TillDatabase    *db,
                                gint64           order_id,
                                gint64           terminal_id,
                                gint64           session_id,
                                const char      *request_key,
                                gint64           amount,
                                gint64           increment,
                                gint64           tendered,
                                TillCashPayment *out_payment,
                                gboolean        *out_existing,
                                GError         **error)
{
  g_autoptr (GError) local = NULL;
  TillCashPayment payment = { 0 };
  sqlite3_stmt   *stmt;

  *out_existing = FALSE;
  if (till_drawer_find_cash (db, request_key, out_payment, &local))
    {
      *out_existing = TRUE;
      return TRUE;
    }
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }

  if (!till_cash_tender (amount, increment, tendered, &payment.rounding, &payment.change, error))
    return FALSE;
  payment.order_id = order_id;
  payment.amount = amount;
  payment.tendered = tendered;

  stmt = till_database_prepare (
      db,
      "INSERT INTO cash_tenders (order_id, terminal_id, request_key, amount, rounding, tendered,"
      " change, created_at, session_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order_id);
  if (terminal_id > 0)
    sqlite3_bind_int64 (stmt, 2, terminal_id);
  till_database_bind_text (stmt, 3, request_key);
  sqlite3_bind_int64 (stmt, 4, payment.amount);
  sqlite3_bind_int64 (stmt, 5, payment.rounding);
  sqlite3_bind_int64 (stmt, 6, payment.tendered);
  sqlite3_bind_int64 (stmt, 7, payment.change);
  sqlite3_bind_int64 (stmt, 8, g_get_real_time ());
  if (session_id > 0)
    sqlite3_bind_int64 (stmt, 9, session_id);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return FALSE;
  payment.id = till_database_last_insert_id (db);
  *out_payment = payment;
  return TRUE;
}

gboolean
till_drawer_complete_order_locked (TillDatabase *db, gint64 order_id, GError **error)
{
  sqlite3_stmt *stmt;
  gint64        now = g_get_real_time ();

  stmt = till_database_prepare (db,
                                "UPDATE orders SET status = 'paid', paid_at = ?2, updated_at = ?2"
                                " WHERE id = ?1 AND status = 'pending_payment'",
                                error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order_id);
  sqlite3_bind_int64 (stmt, 2, now);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return FALSE;
  if (till_database_changes (db) != 1)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_STATE,
                   _ ("The order is not waiting for a payment"));
      return FALSE;
    }
  return TRUE;
}

gboolean
till_drawer_split_order_locked (TillDatabase *db, gint64 order_id, gint64 card_part, GError **error)
{
  sqlite3_stmt       *stmt;
  const TillCurrency *currency = NULL;
  gint64              stripe_amount;
  gint64              now = g_get_real_time ();
  int                 rc;

  stmt = till_database_prepare (db, "SELECT currency FROM orders WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order_id);
  rc = till_database_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    currency = till_currency_lookup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (currency == NULL || !till_money_to_stripe (card_part, currency, &stripe_amount, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_NOT_FOUND, _ ("No such order"));
      return FALSE;
    }
  stmt = till_database_prepare (db,
                                "UPDATE orders SET status = 'partially_paid', updated_at = ?2"
                                " WHERE id = ?1 AND status = 'pending_payment'",
                                error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order_id);
  sqlite3_bind_int64 (stmt, 2, now);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return FALSE;
  if (till_database_changes (db) != 1)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_STATE,
                   _ ("The order is not waiting for a payment"));
      return FALSE;
    }
  stmt = till_database_prepare (
      db, "UPDATE payments SET amount = ?2, updated_at = ?3 WHERE order_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order_id);
  sqlite3_bind_int64 (stmt, 2, stripe_amount);
  sqlite3_bind_int64 (stmt, 3, now);
  return till_database_step (db, stmt, error) == SQLITE_DONE;
}

void
till_cash_payment_write_json (const TillCashPayment *payment, TillJsonWriter *writer)
{
  till_json_writer_begin_object (writer);
  till_json_writer_member_int (writer, "amount", payment->amount);
  till_json_writer_member_int (writer, "rounding", payment->rounding);
  till_json_writer_member_int (writer, "tendered", payment->tendered);
  till_json_writer_member_int (writer, "change", payment->change);
  till_json_writer_end_object (writer);
}

void
till_drawer_session_free (TillDrawerSession *session)
{
  if (session == NULL)
    return;
  g_free (session->terminal);
  g_free (session);
}

void
till_drawer_movement_free (TillDrawerMovement *movement)
{
  if (movement == NULL)
    return;
  g_free (movement->type);
  g_free (movement->reason);
  g_free (movement->terminal);
  g_free (movement);
}

static GDateTime *
time_from_us (gint64 us)
{
  g_autoptr (GDateTime) seconds = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);

  if (seconds == NULL)
    return NULL;
  return g_date_time_add (seconds, us % G_USEC_PER_SEC);
}

static void
write_time (TillJsonWriter *writer, const char *name, gint64 us)
{
  g_autoptr (GDateTime) time = us != 0 ? time_from_us (us) : NULL;

  till_json_writer_name (writer, name);
  till_json_writer_time (writer, time);
}

static void
write_amount (TillJsonWriter *writer, const char *name, gboolean shown, gint64 amount)
{
  till_json_writer_name (writer, name);
  if (shown)
    till_json_writer_int (writer, amount);
  else
    till_json_writer_null (writer);
}

void
till_drawer_session_write_json (const TillDrawerSession *session, TillJsonWriter *writer)
{
  gboolean closed = session->closed_at != 0;

  till_json_writer_begin_object (writer);
  till_json_writer_member_int (writer, "id", session->id);
  till_json_writer_member_string (writer, "terminal", session->terminal);
  till_json_writer_member_string (writer, "status", closed ? "closed" : "open");
  write_time (writer, "opened_at", session->opened_at);
  write_time (writer, "closed_at", session->closed_at);
  till_json_writer_member_int (writer, "float", session->float_amount);
  write_amount (writer, "cash_sales", closed, session->cash_sales);
  write_amount (writer, "cash_refunds", closed, session->cash_refunds);
  till_json_writer_member_int (writer, "pay_ins", session->pay_ins);
  till_json_writer_member_int (writer, "pay_outs", session->pay_outs);
  till_json_writer_member_int (writer, "no_sales", session->no_sales);
  write_amount (writer, "expected", closed, session->expected);
  write_amount (writer, "counted", closed, session->counted);
  write_amount (writer, "over_short", closed, session->counted - session->expected);
  till_json_writer_end_object (writer);
}

void
till_drawer_movement_write_json (const TillDrawerMovement *movement, TillJsonWriter *writer)
{
  till_json_writer_begin_object (writer);
  till_json_writer_member_int (writer, "id", movement->id);
  till_json_writer_member_string (writer, "type", movement->type);
  till_json_writer_member_int (writer, "amount", movement->amount);
  till_json_writer_member_string (writer, "reason", movement->reason);
  till_json_writer_member_string (writer, "terminal", movement->terminal);
  write_time (writer, "created_at", movement->created_at);
  till_json_writer_end_object (writer);
}

gint64
till_drawer_find_open (TillDatabase *db, gint64 terminal_id, GError **error)
{
  sqlite3_stmt *stmt;
  gint64        id = 0;
  int           rc;

  stmt = till_database_prepare (
      db, "SELECT id FROM drawer_sessions WHERE terminal_id = ? AND closed_at IS NULL", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, terminal_id);
  rc = till_database_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return rc < 0 ? -1 : id;
}

TillDrawerSession *
till_drawer_get (TillDatabase *db, gint64 session_id, GError **error)
{
  g_autoptr (TillDrawerSession) session = NULL;
  sqlite3_stmt *stmt;
  int           rc;

  stmt = till_database_prepare (
      db,
      "SELECT s.id, s.terminal_id, t.name, s.opened_at, coalesce (s.closed_at, 0), s.float,"
      " coalesce (s.counted, 0),"
      " (SELECT coalesce (sum (c.amount + c.rounding), 0) FROM cash_tenders c"
      "  WHERE c.session_id = s.id),"
      " (SELECT coalesce (sum (m.amount), 0) FROM drawer_movements m"
      "  WHERE m.session_id = s.id AND m.type = 'pay_in'),"
      " (SELECT coalesce (sum (m.amount), 0) FROM drawer_movements m"
      "  WHERE m.session_id = s.id AND m.type = 'pay_out'),"
      " (SELECT count (*) FROM drawer_movements m WHERE m.session_id = s.id"
      "  AND m.type = 'no_sale'),"
      " (SELECT coalesce (sum (r.amount), 0) FROM cash_refunds c JOIN refunds r"
      "  ON r.id = c.refund_id WHERE c.session_id = s.id)"
      " FROM drawer_sessions s JOIN terminals t ON t.id = s.terminal_id WHERE s.id = ?",
      error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, session_id);
  rc = till_database_step (db, stmt, error);
  if (rc != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      if (rc >= 0)
        g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_NOT_FOUND, _ ("No such drawer session"));
      return NULL;
    }
  session = g_new0 (TillDrawerSession, 1);
  session->id = sqlite3_column_int64 (stmt, 0);
  session->terminal_id = sqlite3_column_int64 (stmt, 1);
  session->terminal = till_database_column_dup (stmt, 2);
  session->opened_at = sqlite3_column_int64 (stmt, 3);
  session->closed_at = sqlite3_column_int64 (stmt, 4);
  session->float_amount = sqlite3_column_int64 (stmt, 5);
  session->counted = sqlite3_column_int64 (stmt, 6);
  session->cash_sales = sqlite3_column_int64 (stmt, 7);
  session->pay_ins = sqlite3_column_int64 (stmt, 8);
  session->pay_outs = sqlite3_column_int64 (stmt, 9);
  session->no_sales = sqlite3_column_int64 (stmt, 10);
  session->cash_refunds = sqlite3_column_int64 (stmt, 11);
  sqlite3_reset (stmt);
  session->expected = session->float_amount + session->cash_sales - session->cash_refunds +
                      session->pay_ins - session->pay_outs;
  return g_steal_pointer (&session);
}

static GError *
no_session_error (void)
{
  return g_error_new_literal (TILL_API_ERROR, TILL_API_ERROR_NO_DRAWER_SESSION,
                              _ ("This terminal has no drawer session open; open the drawer "
                                 "with its float first"));
}

TillDrawerSession *
till_drawer_open (TillDatabase *db, gint64 terminal_id, gint64 float_amount, GError **error)
{
  sqlite3_stmt *stmt;
  gint64        existing, id;

  if (!till_database_begin (db, error))
    return NULL;
  existing = till_drawer_find_open (db, terminal_id, error);
  if (existing != 0)
    {
      till_database_rollback (db);
      if (existing > 0)
        g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_STATE,
                     _ ("This terminal's drawer session is open already; close it first"));
      return NULL;
    }
  stmt = till_database_prepare (
      db, "INSERT INTO drawer_sessions (terminal_id, opened_at, float) VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    {
      till_database_rollback (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, terminal_id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  sqlite3_bind_int64 (stmt, 3, float_amount);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    {
      till_database_rollback (db);
      return NULL;
    }
  id = till_database_last_insert_id (db);
  if (!till_database_commit (db, error))
    return NULL;
  return till_drawer_get (db, id, error);
}

static TillDrawerMovement *
get_movement (TillDatabase *db, const char *sql, gint64 id, const char *key, GError **error)
{
  TillDrawerMovement *movement;
  sqlite3_stmt       *stmt = till_database_prepare (db, sql, error);
  int                 rc;

  if (stmt == NULL)
    return NULL;
  if (key != NULL)
    till_database_bind_text (stmt, 1, key);
  else
    sqlite3_bind_int64 (stmt, 1, id);
  rc = till_database_step (db, stmt, error);
  if (rc != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      return NULL;
    }
  movement = g_new0 (TillDrawerMovement, 1);
  movement->id = sqlite3_column_int64 (stmt, 0);
  movement->session_id = sqlite3_column_int64 (stmt, 1);
  movement->type = till_database_column_dup (stmt, 2);
  movement->amount = sqlite3_column_int64 (stmt, 3);
  movement->reason = till_database_column_dup (stmt, 4);
  movement->terminal = till_database_column_dup (stmt, 5);
  movement->created_at = sqlite3_column_int64 (stmt, 6);
  sqlite3_reset (stmt);
  return movement;
}

#define MOVEMENT_COLUMNS                                                                           \
  "SELECT m.id, m.session_id, m.type, m.amount, m.reason, t.name, m.created_at"                    \
  " FROM drawer_movements m JOIN terminals t ON t.id = m.terminal_id"

TillDrawerMovement *
till_drawer_add_movement (TillDatabase *db,
                          gint64        terminal_id,
                          const char   *type,
                          gint64        amount,
                          const char   *reason,
                          const char   *request_key,
                          gboolean     *out_existing,
                          GError      **error)
{
  g_autoptr (GError) local = NULL;
  TillDrawerMovement *movement;
  sqlite3_stmt       *stmt;
  gint64              session_id, id;

  *out_existing = FALSE;
  if (request_key != NULL)
    {
      movement =
          get_movement (db, MOVEMENT_COLUMNS " WHERE m.request_key = ?", 0, request_key, &local);
      if (movement != NULL)
        {
          *out_existing = TRUE;
          return movement;
        }
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
    }
  if (!till_database_begin (db, error))
    return NULL;
  session_id = till_drawer_find_open (db, terminal_id, error);
  if (session_id <= 0)
    {
      till_database_rollback (db);
      if (session_id == 0)
        g_propagate_error (error, no_session_error ());
      return NULL;
    }
  stmt = till_database_prepare (db,
                                "INSERT INTO drawer_movements (session_id, terminal_id, type,"
                                " amount, reason, request_key, created_at)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                                error);
  if (stmt == NULL)
    {
      till_database_rollback (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, session_id);
  sqlite3_bind_int64 (stmt, 2, terminal_id);
  till_database_bind_text (stmt, 3, type);
  sqlite3_bind_int64 (stmt, 4, amount);
  till_database_bind_text (stmt, 5, reason);
  till_database_bind_text (stmt, 6, request_key);
  sqlite3_bind_int64 (stmt, 7, g_get_real_time ());
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    {
      till_database_rollback (db);
      return NULL;
    }
  id = till_database_last_insert_id (db);
  if (!till_database_commit (db, error))
    return NULL;
  movement = get_movement (db, MOVEMENT_COLUMNS " WHERE m.id = ?", id, NULL, error);
  if (movement == NULL && error != NULL && *error == NULL)
    g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INTERNAL,
                 "movement %" G_GINT64_FORMAT " not found", id);
  return movement;
}

gint64
till_drawer_find_closed (TillDatabase *db,
                         gint64        terminal_id,
                         const char   *request_key,
                         GError      **error)
{
  sqlite3_stmt *stmt;
  gint64        id = 0;
  int           rc;

  stmt = till_database_prepare (db,
                                "SELECT session_id FROM drawer_close_keys"
                                " WHERE terminal_id = ? AND request_key = ?",
                                error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, terminal_id);
  till_database_bind_text (stmt, 2, request_key);
  rc = till_database_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return rc < 0 ? -1 : id;
}

TillDrawerSession *
till_drawer_close (
    TillDatabase *db, gint64 terminal_id, gint64 counted, const char *request_key, GError **error)
{
  g_autoptr (TillDrawerSession) session = NULL;
  sqlite3_stmt *stmt;
  gint64        session_id;

  if (!till_database_begin (db, error))
    return NULL;
  session_id = till_drawer_find_open (db, terminal_id, error);
  if (session_id <= 0)
    {
      till_database_rollback (db);
      if (session_id == 0)
        g_propagate_error (error, no_session_error ());
      return NULL;
    }
  session = till_drawer_get (db, session_id, error);
  if (session == NULL)
    {
      till_database_rollback (db);
      return NULL;
    }
  stmt = till_database_prepare (db,
                                "UPDATE drawer_sessions SET closed_at = ?2, counted = ?3,"
                                " expected = ?4 WHERE id = ?1 AND closed_at IS NULL",
                                error);
  if (stmt == NULL)
    {
      till_database_rollback (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, session_id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  sqlite3_bind_int64 (stmt, 3, counted);
  sqlite3_bind_int64 (stmt, 4, session->expected);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    {
      till_database_rollback (db);
      return NULL;
    }
  if (request_key != NULL)
    {
      stmt = till_database_prepare (db,
                                    "INSERT INTO drawer_close_keys (session_id, terminal_id,"
                                    " request_key) VALUES (?, ?, ?)",
                                    error);
      if (stmt == NULL)
        {
          till_database_rollback (db);
          return NULL;
        }
      sqlite3_bind_int64 (stmt, 1, session_id);
      sqlite3_bind_int64 (stmt, 2, terminal_id);
      till_database_bind_text (stmt, 3, request_key);
      if (till_database_step (db, stmt, error) != SQLITE_DONE)
        {
          till_database_rollback (db);
          return NULL;
        }
    }
  if (!till_database_commit (db, error))
    return NULL;
  return till_drawer_get (db, session_id, error);
}
