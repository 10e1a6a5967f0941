/* till-orders.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every status change is an UPDATE … WHERE status IN (the states it may come from), and a
 * trigger in the schema refuses any other transition, so concurrent paths (sync, webhook,
 * reconciler) can race freely: the first one wins and the others change nothing.
 *
 * Longer than our files usually are: every rule of the orders, payments and refunds tables
 * (states, refund reservations, searches) in one place, so that no other file writes them.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-products.h"
#include "till-orders.h"
#include "till-server-error.h"
#include "till-stripe-client.h"

#define ORDER_COLUMNS                                                                              \
  "o.id, o.number, o.client_reference, o.status, o.currency, o.subtotal, o.discount, o.tax,"       \
  " o.rounding, o.total, o.refunded, o.created_at, o.paid_at, p.payment_intent, p.status,"         \
  " p.card_brand, p.card_last4, p.decline_code, p.decline_message,"                                \
  " (SELECT coalesce (sum (t.amount), 0) FROM cash_tenders t WHERE t.order_id = o.id),"            \
  " f.order_id IS NOT NULL, f.catalog_difference"                                                  \
  " FROM orders o LEFT JOIN payments p ON p.order_id = o.id"                                       \
  " LEFT JOIN offline_sales f ON f.order_id = o.id"

/* till_orders_list ()'s filters, order and page, with or without a search. */
#define LIST_FILTERS                                                                               \
  " (?1 = 0 OR o.id < ?1) AND (?2 IS NULL OR o.status = ?2)"                                       \
  " AND (?3 = 0 OR o.created_at >= ?3) AND (?4 = 0 OR o.created_at < ?4)"                          \
  " ORDER BY o.id DESC LIMIT ?7"

void
till_refund_free (TillRefund *refund)
{
  if (refund == NULL)
    return;
  g_free (refund->request_id);
  g_free (refund->stripe_refund);
  g_free (refund->reason);
  g_free (refund->status);
  g_free (refund);
}

static GDateTime *
date_time_from_us (gint64 us)
{
  g_autoptr (GDateTime) seconds = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);

  if (seconds == NULL)
    return NULL;
  return g_date_time_add (seconds, us % G_USEC_PER_SEC);
}

void
till_refund_write_json (const TillRefund *refund, TillJsonWriter *writer)
{
  g_autoptr (GDateTime) created = date_time_from_us (refund->created_at);

  till_json_writer_begin_object (writer);
  till_json_writer_member_int (writer, "id", refund->id);
  till_json_writer_member_int (writer, "amount", refund->amount);
  till_json_writer_member_string (writer, "status", refund->status);
  till_json_writer_member_string (writer, "reason", refund->reason);
  till_json_writer_member_string (writer, "refund", refund->stripe_refund);
  till_json_writer_name (writer, "created_at");
  till_json_writer_time (writer, created);
  till_json_writer_end_object (writer);
}

static TillOrder *
order_from_row (sqlite3_stmt *stmt)
{
  TillOrder *order = till_order_new ();
  gint64     cash;

  order->id = sqlite3_column_int64 (stmt, 0);
  order->number = till_database_column_dup (stmt, 1);
  order->client_reference = till_database_column_dup (stmt, 2);
  till_order_status_from_string ((const char *) sqlite3_column_text (stmt, 3), &order->status);
  order->currency = till_database_column_dup (stmt, 4);
  order->subtotal = sqlite3_column_int64 (stmt, 5);
  order->discount = sqlite3_column_int64 (stmt, 6);
  order->tax = sqlite3_column_int64 (stmt, 7);
  order->rounding = sqlite3_column_int64 (stmt, 8);
  order->total = sqlite3_column_int64 (stmt, 9);
  order->refunded = sqlite3_column_int64 (stmt, 10);
  order->created_at = date_time_from_us (sqlite3_column_int64 (stmt, 11));
  if (sqlite3_column_type (stmt, 12) != SQLITE_NULL)
    order->paid_at = date_time_from_us (sqlite3_column_int64 (stmt, 12));
  order->payment_intent = till_database_column_dup (stmt, 13);
  order->payment_status = till_database_column_dup (stmt, 14);
  order->card_brand = till_database_column_dup (stmt, 15);
  order->card_last4 = till_database_column_dup (stmt, 16);
  order->decline_code = till_database_column_dup (stmt, 17);
  order->decline_message = till_database_column_dup (stmt, 18);
  cash = sqlite3_column_int64 (stmt, 19);
  order->offline = sqlite3_column_int (stmt, 20) != 0;
  order->catalog_difference = sqlite3_column_int64 (stmt, 21);
  if (cash > 0 && order->payment_intent != NULL)
    order->tender = g_strdup ("split");
  else if (cash > 0)
    order->tender = g_strdup ("cash");
  else if (order->payment_intent != NULL)
    order->tender = g_strdup ("card");
  switch (order->status)
    {
      case TILL_ORDER_PAID:
      case TILL_ORDER_PARTIALLY_REFUNDED:
      case TILL_ORDER_REFUNDED:
        order->paid_amount = order->total;
        break;
      case TILL_ORDER_PENDING_PAYMENT:
      case TILL_ORDER_CANCELED:
      default:
        order->paid_amount = cash;
        break;
    }
  return order;
}

static gboolean
load_lines (TillDatabase *db, TillOrder *order, GError **error)
{
  sqlite3_stmt *stmt;
  int           rc;

  stmt = till_database_prepare (
      db,
      "SELECT product_id, name, quantity, unit_amount, tax_rate, discount, tax, total "
      "FROM order_lines WHERE order_id = ? ORDER BY position",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order->id);
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    {
      TillOrderLine *line = till_order_line_new ();

      line->product_id = sqlite3_column_int64 (stmt, 0);
      line->name = till_database_column_dup (stmt, 1);
      line->quantity = sqlite3_column_int64 (stmt, 2);
      line->unit_amount = sqlite3_column_int64 (stmt, 3);
      line->tax_rate = sqlite3_column_int (stmt, 4);
      line->discount = sqlite3_column_int64 (stmt, 5);
      line->tax = sqlite3_column_int64 (stmt, 6);
      line->total = sqlite3_column_int64 (stmt, 7);
      g_ptr_array_add (order->lines, line);
    }
  return rc == SQLITE_DONE;
}

/* A single order's tenders: its cash payments, then its card payment, if any. */
static gboolean
load_tenders (TillDatabase *db, TillOrder *order, GError **error)
{
  sqlite3_stmt *stmt;
  gint64        cash = 0;
  int           rc;

  order->tenders = g_ptr_array_new_with_free_func ((GDestroyNotify) till_order_tender_free);
  stmt = till_database_prepare (db,
                                "SELECT id, amount, rounding, tendered, change, created_at"
                                " FROM cash_tenders WHERE order_id = ? ORDER BY id",
                                error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order->id);
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    {
      TillOrderTender *tender = till_order_tender_new ();

      tender->id = sqlite3_column_int64 (stmt, 0);
      tender->method = g_strdup ("cash");
      tender->amount = sqlite3_column_int64 (stmt, 1);
      tender->rounding = sqlite3_column_int64 (stmt, 2);
      tender->tendered = sqlite3_column_int64 (stmt, 3);
      tender->change = sqlite3_column_int64 (stmt, 4);
      tender->status = g_strdup ("succeeded");
      tender->created_at = date_time_from_us (sqlite3_column_int64 (stmt, 5));
      cash += tender->amount;
      g_ptr_array_add (order->tenders, tender);
    }
  if (rc != SQLITE_DONE)
    return FALSE;
  if (order->payment_intent != NULL)
    {
      TillOrderTender *tender = till_order_tender_new ();

      tender->method = g_strdup ("card");
      tender->amount = order->total - cash;
      tender->payment_intent = g_strdup (order->payment_intent);
      tender->status = g_strdup (order->payment_status);
      g_ptr_array_add (order->tenders, tender);
    }
  return TRUE;
}

/* Runs @sql, whose one parameter is an order id, and returns it on that order's row (the
 * caller resets it); NULL with TILL_API_ERROR_NOT_FOUND when there is no such order. */
static sqlite3_stmt *
step_order_row (TillDatabase *db, const char *sql, gint64 order_id, GError **error)
{
  sqlite3_stmt *stmt = till_database_prepare (db, sql, error);
  int           rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, order_id);
  rc = till_database_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    return stmt;
  sqlite3_reset (stmt);
  if (rc >= 0)
    g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_NOT_FOUND, _ ("No such order"));
  return NULL;
}

TillOrder *
till_orders_get (TillDatabase *db, gint64 id, GError **error)
{
  g_autoptr (TillOrder) order = NULL;
  sqlite3_stmt *stmt;

  stmt = step_order_row (db, "SELECT " ORDER_COLUMNS " WHERE o.id = ?", id, error);
  if (stmt == NULL)
    return NULL;
  order = order_from_row (stmt);
  sqlite3_reset (stmt);
  if (!load_lines (db, order, error) || !load_tenders (db, order, error))
    return NULL;
  return g_steal_pointer (&order);
}

/* The first column of @sql's row for @value (0 when none, -1 on an error), and the second
 * in *@out_second when asked for (0 for none). */
static gint64
find_id (TillDatabase *db, const char *sql, const char *value, gint64 *out_second, GError **error)
{
  sqlite3_stmt *stmt = till_database_prepare (db, sql, error);
  gint64        id = 0;
  int           rc;

  if (out_second != NULL)
    *out_second = 0;
  if (stmt == NULL)
    return -1;
  till_database_bind_text (stmt, 1, value);
  rc = till_database_step (db, stmt, error);
  if (rc < 0)
    return -1;
  if (rc == SQLITE_ROW)
    {
      id = sqlite3_column_int64 (stmt, 0);
      if (out_second != NULL)
        *out_second = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  return id;
}

/* The order with @client_reference (0 when none, -1 on an error) and in @out_terminal_id the
 * terminal that made it (0 for none). */
static gint64
find_reference (TillDatabase *db,
                const char   *client_reference,
                gint64       *out_terminal_id,
                GError      **error)
{
  return find_id (db, "SELECT id, terminal_id FROM orders WHERE client_reference = ?",
                  client_reference, out_terminal_id, error);
}

gint64
till_orders_find_by_reference (TillDatabase *db, const char *client_reference, GError **error)
{
  gint64 terminal_id;

  return find_reference (db, client_reference, &terminal_id, error);
}

static gboolean
insert_order (TillDatabase         *db,
              const TillOrderRules *rules,
              const TillCart       *cart,
              gint64                terminal_id,
              TillProductCache     *cache,
              gint64               *out_id,
              TillOrder           **out_order,
              GError              **error)
{
  g_autoptr (GPtrArray) products =
      g_ptr_array_new_with_free_func ((GDestroyNotify) till_product_record_free);
  g_autofree TillTotalsLine *lines = NULL;
  g_autofree TillLineTotals *line_totals = NULL;
  g_autofree char           *number = NULL;
  g_autofree char           *receipt_token = NULL;
  const TillCurrency        *currency = till_currency_lookup (rules->currency);
  TillTotals                 totals = { 0 };
  g_autoptr (GError) local = NULL;
  gint64        stripe_amount = 0, id, now = g_get_real_time (), created;
  gint64        catalog_difference = 0;
  sqlite3_stmt *stmt;
  guint         n = cart->lines->len;

  if (g_strcmp0 (cart->currency, rules->currency) != 0)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_UNPROCESSABLE,
                   _ ("currency: the store sells in %s, not %s"), rules->currency, cart->currency);
      return FALSE;
    }
  if (n == 0)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_UNPROCESSABLE,
                   _ ("lines: the cart is empty"));
      return FALSE;
    }

  lines = g_new0 (TillTotalsLine, n);
  line_totals = g_new0 (TillLineTotals, n);
  for (guint i = 0; i < n; i++)
    {
      const TillCartLine *line = cart->lines->pdata[i];
      TillProductRecord  *product = cache != NULL
                                        ? till_product_cache_get (cache, db, line->product_id, NULL)
                                        : till_products_get (db, line->product_id, NULL);

      if (product == NULL || (!product->active && !rules->as_sold))
        {
          g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, line->product_id);

          g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_UNPROCESSABLE,
                       product == NULL
                           ? _ ("lines[%u].product_id: product %s is not in the catalog")
                           : _ ("lines[%u].product_id: product %s is not on sale"),
                       i, id_text);
          till_product_record_free (product);
          return FALSE;
        }
      if (g_strcmp0 (product->currency, rules->currency) != 0)
        {
          g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, line->product_id);

          g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_UNPROCESSABLE,
                       _ ("lines[%u].product_id: product %s is priced in %s"), i, id_text,
                       product->currency);
          till_product_record_free (product);
          return FALSE;
        }
      if (line->quantity < 1 || line->quantity > TILL_QUANTITY_MAX)
        {
          g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_UNPROCESSABLE,
                       _ ("lines[%u].quantity: must be between 1 and %d"), i, TILL_QUANTITY_MAX);
          till_product_record_free (product);
          return FALSE;
        }
      /* Only the catalog's price and tax rate count; but for a sale made offline, what the
       * till charged then (its totals are computed here, from those). */
      lines[i].unit_amount = rules->as_sold ? line->unit_amount : product->unit_amount;
      lines[i].tax_rate = rules->as_sold ? line->tax_rate : product->tax_rate;
      catalog_difference += (lines[i].unit_amount - product->unit_amount) * line->quantity;
      lines[i].quantity = line->quantity;
      lines[i].discount = line->discount;
      g_ptr_array_add (products, product);
    }

  if (!till_totals_compute (currency, rules->prices_include_tax, lines, n, &cart->discount,
                            line_totals, &totals, &local))
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_UNPROCESSABLE, "%s", local->message);
      return FALSE;
    }
  if (rules->cash && totals.total <= 0)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_UNPROCESSABLE,
                   _ ("total: a cash sale must be more than zero"));
      return FALSE;
    }
  if (!rules->cash && !till_money_to_stripe (totals.total, currency, &stripe_amount, &local))
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_UNPROCESSABLE, _ ("total: %s"),
                   local->message);
      return FALSE;
    }

  /* Writes are serialized by BEGIN IMMEDIATE, so the next id is ours. */
  stmt = till_database_prepare (db, "SELECT coalesce (max (id), 0) + 1 FROM orders", error);
  if (stmt == NULL || till_database_step (db, stmt, error) != SQLITE_ROW)
    return FALSE;
  id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  number = g_strdup_printf ("%s%06" G_GINT64_FORMAT, rules->number_prefix, id);

  stmt = till_database_prepare (
      db,
      "INSERT INTO orders (id, number, client_reference, terminal_id, status, currency,"
      " subtotal, discount, tax, rounding, total, created_at, updated_at)"
      " VALUES (?1, ?2, ?3, ?4, 'pending_payment', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  till_database_bind_text (stmt, 2, number);
  till_database_bind_text (stmt, 3, cart->client_reference);
  if (terminal_id > 0)
    sqlite3_bind_int64 (stmt, 4, terminal_id);
  till_database_bind_text (stmt, 5, rules->currency);
  sqlite3_bind_int64 (stmt, 6, totals.subtotal);
  sqlite3_bind_int64 (stmt, 7, totals.discount);
  sqlite3_bind_int64 (stmt, 8, totals.tax);
  sqlite3_bind_int64 (stmt, 9, totals.rounding);
  sqlite3_bind_int64 (stmt, 10, totals.total);
  created = rules->as_sold ? rules->sold_at : now;
  sqlite3_bind_int64 (stmt, 11, created);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return FALSE;
  if (rules->as_sold)
    {
      stmt = till_database_prepare (db,
                                    "INSERT INTO offline_sales (order_id, sold_at,"
                                    " catalog_difference) VALUES (?, ?, ?)",
                                    error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, id);
      sqlite3_bind_int64 (stmt, 2, rules->sold_at);
      sqlite3_bind_int64 (stmt, 3, catalog_difference);
      if (till_database_step (db, stmt, error) != SQLITE_DONE)
        return FALSE;
    }

  receipt_token = till_database_new_receipt_token (error);
  if (receipt_token == NULL)
    return FALSE;
  stmt = till_database_prepare (db, "INSERT INTO receipt_tokens (order_id, token) VALUES (?, ?)",
                                error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  till_database_bind_text (stmt, 2, receipt_token);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      TillProductRecord  *product = products->pdata[i];
      const TillCartLine *cart_line = cart->lines->pdata[i];

      stmt = till_database_prepare (
          db,
          "INSERT INTO order_lines (order_id, position, product_id, name, quantity,"
          " unit_amount, tax_rate, discount, tax, total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, id);
      sqlite3_bind_int (stmt, 2, i);
      sqlite3_bind_int64 (stmt, 3, product->id);
      till_database_bind_text (
          stmt, 4, rules->as_sold && cart_line->name != NULL ? cart_line->name : product->name);
      sqlite3_bind_int64 (stmt, 5, lines[i].quantity);
      sqlite3_bind_int64 (stmt, 6, lines[i].unit_amount);
      sqlite3_bind_int (stmt, 7, lines[i].tax_rate);
      sqlite3_bind_int64 (stmt, 8, line_totals[i].discount);
      sqlite3_bind_int64 (stmt, 9, line_totals[i].tax);
      sqlite3_bind_int64 (stmt, 10, line_totals[i].total);
      if (till_database_step (db, stmt, error) != SQLITE_DONE)
        return FALSE;
    }

  /* A cash order has no card payment (a split one gets its own when the card part is
   * made). */
  if (!rules->cash)
    {
      stmt = till_database_prepare (
          db, "INSERT INTO payments (order_id, amount, updated_at) VALUES (?, ?, ?)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, id);
      sqlite3_bind_int64 (stmt, 2, stripe_amount);
      sqlite3_bind_int64 (stmt, 3, now);
      if (till_database_step (db, stmt, error) != SQLITE_DONE)
        return FALSE;
    }

  *out_id = id;
  if (out_order != NULL)
    {
      /* As till_orders_get () would read it back. */
      TillOrder *order = till_order_new ();

      order->id = id;
      order->number = g_steal_pointer (&number);
      order->client_reference = g_strdup (cart->client_reference);
      order->status = TILL_ORDER_PENDING_PAYMENT;
      order->currency = g_strdup (rules->currency);
      order->subtotal = totals.subtotal;
      order->discount = totals.discount;
      order->tax = totals.tax;
      order->rounding = totals.rounding;
      order->total = totals.total;
      order->refunded = 0;
      order->created_at = date_time_from_us (created);
      order->offline = rules->as_sold;
      order->catalog_difference = catalog_difference;
      for (guint i = 0; i < n; i++)
        {
          TillProductRecord *product = products->pdata[i];
          TillOrderLine     *line = till_order_line_new ();

          line->product_id = product->id;
          line->name = g_strdup (rules->as_sold && ((TillCartLine *) cart->lines->pdata[i])->name
                                     ? ((TillCartLine *) cart->lines->pdata[i])->name
                                     : product->name);
          line->quantity = lines[i].quantity;
          line->unit_amount = lines[i].unit_amount;
          line->tax_rate = lines[i].tax_rate;
          line->discount = line_totals[i].discount;
          line->tax = line_totals[i].tax;
          line->total = line_totals[i].total;
          g_ptr_array_add (order->lines, line);
        }
      *out_order = order;
    }
  return TRUE;
}

TillOrder *
till_orders_create_locked (TillDatabase         *db,
                           const TillOrderRules *rules,
                           const TillCart       *cart,
                           gint64                terminal_id,
                           TillProductCache     *products,
                           gboolean              guarded,
                           gint64               *out_existing,
                           GError              **error)
{
  g_autoptr (TillOrder) order = NULL;
  gint64 id = 0;

  *out_existing = 0;
  if (cart->client_reference != NULL)
    {
      gint64 owner = 0;
      gint64 existing = find_reference (db, cart->client_reference, &owner, error);

      if (existing > 0 && owner != terminal_id)
        {
          /* Another terminal's: neither its order nor its intent's client secret. */
          g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_REFERENCE_CONFLICT,
                       _ ("client_reference: another terminal has an order with it; send the "
                          "checkout with a new reference"));
          return NULL;
        }
      if (existing != 0)
        {
          *out_existing = existing;
          return NULL;
        }
    }
  /* Its checks come before its first write: a bad cart leaves nothing to undo. */
  if (!guarded)
    {
      if (!insert_order (db, rules, cart, terminal_id, products, &id, &order, error))
        return NULL;
      return g_steal_pointer (&order);
    }
  /* A savepoint: whatever fails is undone alone; the others of the transaction still count. */
  if (!till_database_run (db, "SAVEPOINT checkout", error))
    return NULL;
  if (!insert_order (db, rules, cart, terminal_id, products, &id, &order, error))
    {
      till_database_run (db, "ROLLBACK TO checkout", NULL);
      till_database_run (db, "RELEASE checkout", NULL);
      return NULL;
    }
  if (!till_database_run (db, "RELEASE checkout", error))
    return NULL;
  return g_steal_pointer (&order);
}

TillOrder *
till_orders_create (TillDatabase         *db,
                    const TillOrderRules *rules,
                    const TillCart       *cart,
                    gint64                terminal_id,
                    GError              **error)
{
  gint64 id = 0;

  if (!till_database_begin (db, error))
    return NULL;
  if (!insert_order (db, rules, cart, terminal_id, NULL, &id, NULL, error))
    {
      till_database_rollback (db);
      return NULL;
    }
  if (!till_database_commit (db, error))
    return NULL;
  return till_orders_get (db, id, error);
}

/* Records the PaymentIntent of an order; an order never changes its intent. Only through
 * apply_intent_locked (), which checks that the intent names the order. */
static gboolean
record_intent (TillDatabase *db,
               gint64        order_id,
               const char   *payment_intent,
               const char   *status,
               GError      **error)
{
  sqlite3_stmt *stmt;

  stmt = till_database_prepare (
      db,
      "UPDATE payments SET payment_intent = ?2, status = coalesce (status, ?3), updated_at = ?4"
      " WHERE order_id = ?1 AND (payment_intent IS NULL OR payment_intent = ?2)",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order_id);
  till_database_bind_text (stmt, 2, payment_intent);
  till_database_bind_text (stmt, 3, status);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time ());
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return FALSE;
  if (till_database_changes (db) == 0)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_CONFLICT,
                   _ ("The order already has another payment"));
      return FALSE;
    }
  return TRUE;
}

/* Runs @sql, an UPDATE of one order (a string constant, as for till_database_prepare ()),
 * with ?1 the order's id and ?2 the time now. */
static gboolean
update_order (TillDatabase *db, const char *sql, gint64 order_id, GError **error)
{
  sqlite3_stmt *stmt = till_database_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order_id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  return till_database_step (db, stmt, error) == SQLITE_DONE;
}

gboolean
till_orders_cancel_without_intent (TillDatabase *db,
                                   gint64        order_id,
                                   gboolean     *out_changed,
                                   GError      **error)
{
  /* One statement: atomic, and no intent recorded meanwhile can slip under it. */
  if (!update_order (db,
                     "UPDATE orders SET status = 'canceled', updated_at = ?2"
                     " WHERE id = ?1 AND status = 'pending_payment' AND NOT EXISTS"
                     " (SELECT 1 FROM payments WHERE order_id = ?1"
                     "  AND payment_intent IS NOT NULL)",
                     order_id, error))
    return FALSE;
  if (out_changed != NULL)
    *out_changed = till_database_changes (db) == 1;
  return TRUE;
}

static const char *
get_string (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
get_object (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

static gint64
get_int (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  return json_node_get_int (node);
}

gint64
till_orders_find_by_intent (TillDatabase *db, const char *intent_id, GError **error)
{
  return find_id (db, "SELECT order_id FROM payments WHERE payment_intent = ?", intent_id, NULL,
                  error);
}

gint64
till_orders_order_of_intent (TillDatabase *db, JsonObject *intent)
{
  JsonObject *metadata = get_object (intent, "metadata");
  const char *order = get_string (metadata, "till_order_id");
  guint64     id;

  if (order == NULL ||
      g_strcmp0 (get_string (metadata, "till_instance"), till_database_get_instance (db)) != 0 ||
      !g_ascii_string_to_unsigned (order, 10, 1, G_MAXINT64, &id, NULL))
    return 0;
  return (gint64) id;
}

/* The charge that paid: the expanded latest_charge, or the newest of `charges`. */
static JsonObject *
find_charge (JsonObject *intent)
{
  JsonObject *charge = get_object (intent, "latest_charge");
  JsonObject *charges;
  JsonNode   *data;

  if (charge != NULL)
    return charge;
  charges = get_object (intent, "charges");
  data = charges != NULL ? json_object_get_member (charges, "data") : NULL;
  if (data != NULL && JSON_NODE_HOLDS_ARRAY (data))
    {
      JsonArray *array = json_node_get_array (data);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_OBJECT (element) &&
              g_strcmp0 (get_string (json_node_get_object (element), "status"), "succeeded") == 0)
            return json_node_get_object (element);
        }
    }
  return NULL;
}

static gboolean
update_payment (TillDatabase *db,
                gint64        order_id,
                const char   *status,
                const char   *brand,
                const char   *last4,
                const char   *decline_code,
                const char   *decline_message,
                GError      **error)
{
  sqlite3_stmt *stmt;

  stmt = till_database_prepare (
      db,
      "UPDATE payments SET status = ?2, card_brand = coalesce (?3, card_brand),"
      " card_last4 = coalesce (?4, card_last4), decline_code = ?5, decline_message = ?6,"
      " updated_at = ?7 WHERE order_id = ?1",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order_id);
  till_database_bind_text (stmt, 2, status);
  till_database_bind_text (stmt, 3, brand);
  till_database_bind_text (stmt, 4, last4);
  till_database_bind_text (stmt, 5, decline_code);
  till_database_bind_text (stmt, 6, decline_message);
  sqlite3_bind_int64 (stmt, 7, g_get_real_time ());
  return till_database_step (db, stmt, error) == SQLITE_DONE;
}

gboolean
till_orders_cancel_lost_intent (
    TillDatabase *db, gint64 order_id, const char *intent_id, gboolean *out_changed, GError **error)
{
  sqlite3_stmt *stmt;
  gboolean      changed;

  /* Only the order whose recorded intent is the one Stripe does not know. */
  stmt = till_database_prepare (db,
                                "UPDATE orders SET status = 'canceled', updated_at = ?2"
                                " WHERE id = ?1 AND status = 'pending_payment' AND EXISTS"
                                " (SELECT 1 FROM payments WHERE order_id = ?1"
                                "  AND payment_intent = ?3)",
                                error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order_id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  sqlite3_bind_text (stmt, 3, intent_id, -1, SQLITE_TRANSIENT);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return FALSE;
  changed = till_database_changes (db) == 1;
  if (changed && !update_payment (db, order_id, "canceled", NULL, NULL, NULL, NULL, error))
    return FALSE;
  if (out_changed != NULL)
    *out_changed = changed;
  return TRUE;
}

static gboolean
apply_intent_locked (
    TillDatabase *db, gint64 order_id, JsonObject *intent, gboolean *out_changed, GError **error)
{
  const char      *status = get_string (intent, "status");
  const char      *intent_id = get_string (intent, "id");
  sqlite3_stmt    *stmt;
  g_autofree char *known_intent = NULL, *order_status = NULL, *currency = NULL;
  g_autofree char *payment_status = NULL;
  gint64           expected_amount = 0;

  *out_changed = FALSE;
  if (status == NULL || intent_id == NULL)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_PAYMENT_PROVIDER,
                   _ ("The payment provider sent a payment without id or status"));
      return FALSE;
    }

  stmt = step_order_row (
      db,
      "SELECT p.payment_intent, o.status, p.amount, o.currency, p.status FROM orders o"
      " JOIN payments p ON p.order_id = o.id WHERE o.id = ?",
      order_id, error);
  if (stmt == NULL)
    return FALSE;
  known_intent = till_database_column_dup (stmt, 0);
  order_status = till_database_column_dup (stmt, 1);
  expected_amount = sqlite3_column_int64 (stmt, 2);
  currency = till_database_column_dup (stmt, 3);
  payment_status = till_database_column_dup (stmt, 4);
  sqlite3_reset (stmt);

  if (known_intent == NULL)
    {
      /* The intent was created but its answer was lost (crash, dropped response); or it
       * is the first answer, as it is for a new order. Only if it was made for this order. */
      if (till_orders_order_of_intent (db, intent) != order_id)
        {
          g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_CONFLICT,
                       _ ("The payment does not belong to this order"));
          return FALSE;
        }
      if (!record_intent (db, order_id, intent_id, status, error))
        return FALSE;
      *out_changed = TRUE;
    }
  else if (g_strcmp0 (known_intent, intent_id) != 0)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_CONFLICT,
                   _ ("The payment does not belong to this order"));
      return FALSE;
    }

  /* paid, refunded or canceled: nothing an intent says moves it back; a partially paid
   * order (its cash part taken) waits for its card part. */
  if (g_strcmp0 (order_status, "pending_payment") != 0 &&
      g_strcmp0 (order_status, "partially_paid") != 0)
    return TRUE;

  if (g_strcmp0 (status, "succeeded") == 0)
    {
      JsonObject         *charge = find_charge (intent);
      JsonObject         *details = get_object (charge, "payment_method_details");
      JsonObject         *card = get_object (details, "card");
      const TillCurrency *cur = till_currency_lookup (currency);
      gint64              received = get_int (intent, "amount_received");
      const char         *intent_currency = get_string (intent, "currency");

      if (received != expected_amount || cur == NULL ||
          g_ascii_strcasecmp (intent_currency != NULL ? intent_currency : "",
                              till_currency_get_stripe_code (cur)) != 0)
        {
          g_warning ("Order %" G_GINT64_FORMAT ": payment %s received %" G_GINT64_FORMAT
                     " %s, expected %" G_GINT64_FORMAT "; not marking it paid",
                     order_id, intent_id, received, intent_currency, expected_amount);
          g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_CONFLICT,
                       _ ("The payment’s amount does not match the order"));
          return FALSE;
        }

      if (!update_order (db,
                         "UPDATE orders SET status = 'paid', paid_at = ?2, updated_at = ?2"
                         " WHERE id = ?1 AND status IN ('pending_payment', 'partially_paid')",
                         order_id, error))
        return FALSE;
      if (!update_payment (db, order_id, status, get_string (card, "brand"),
                           get_string (card, "last4"), NULL, NULL, error))
        return FALSE;
      *out_changed = TRUE;
      return TRUE;
    }

  if (g_strcmp0 (status, "canceled") == 0)
    {
      if (!update_order (db,
                         "UPDATE orders SET status = 'canceled', updated_at = ?2"
                         " WHERE id = ?1 AND status = 'pending_payment'",
                         order_id, error) ||
          !update_payment (db, order_id, status, NULL, NULL, NULL, NULL, error))
        return FALSE;
      *out_changed = TRUE;
      return TRUE;
    }

  {
    JsonObject      *last_error = get_object (intent, "last_payment_error");
    const char      *code = NULL;
    g_autofree char *words = NULL;

    if (last_error != NULL)
      {
        code = get_string (last_error, "decline_code");
        if (code == NULL)
          code = get_string (last_error, "code");
        words = till_stripe_describe_error (last_error);
      }
    /* A new intent on a payment that had none: record_intent () wrote its status,
     * and there is no card and no decline to record. */
    if (known_intent == NULL && payment_status == NULL && last_error == NULL)
      return TRUE;
    if (!update_payment (db, order_id, status, NULL, NULL, code, words, error))
      return FALSE;
    *out_changed = TRUE;
  }
  return TRUE;
}

gboolean
till_orders_apply_intent (
    TillDatabase *db, gint64 order_id, JsonObject *intent, gboolean *out_changed, GError **error)
{
  gboolean changed = FALSE;

  if (!till_database_begin (db, error))
    return FALSE;
  if (!apply_intent_locked (db, order_id, intent, &changed, error))
    {
      till_database_rollback (db);
      return FALSE;
    }
  if (!till_database_commit (db, error))
    return FALSE;
  if (out_changed != NULL)
    *out_changed = changed;
  return TRUE;
}

gboolean
till_orders_apply_intents (TillDatabase *db,
                           GPtrArray    *order_ids,
                           GPtrArray    *intents,
                           GError      **error)
{
  if (!till_database_begin (db, error))
    return FALSE;
  if (!till_orders_apply_intents_locked (db, order_ids, intents, error))
    return FALSE;
  return till_database_commit (db, error);
}

/* The common case, in one statement (atomic without a savepoint): a new intent that asks
 * for a card, on a payment that has none yet. apply_intent_locked () would do the same
 * (record_intent () and nothing else); FALSE for everything else. */
static gboolean
set_first_intent (TillDatabase *db, gint64 order_id, JsonObject *intent)
{
  const char   *intent_id = get_string (intent, "id");
  sqlite3_stmt *stmt;

  if (intent_id == NULL ||
      g_strcmp0 (get_string (intent, "status"), "requires_payment_method") != 0 ||
      get_object (intent, "last_payment_error") != NULL ||
      till_orders_order_of_intent (db, intent) != order_id)
    return FALSE;
  stmt = till_database_prepare (
      db,
      "UPDATE payments SET payment_intent = ?2, status = 'requires_payment_method',"
      " updated_at = ?3 WHERE order_id = ?1 AND payment_intent IS NULL AND status IS NULL",
      NULL);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order_id);
  till_database_bind_text (stmt, 2, intent_id);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  return till_database_step (db, stmt, NULL) == SQLITE_DONE && till_database_changes (db) == 1;
}

gboolean
till_orders_apply_intents_locked (TillDatabase *db,
                                  GPtrArray    *order_ids,
                                  GPtrArray    *intents,
                                  GError      **error)
{
  g_return_val_if_fail (order_ids->len == intents->len, FALSE);

  for (guint i = 0; i < intents->len; i++)
    {
      g_autoptr (GError) local = NULL;
      gint64   order_id = *(gint64 *) order_ids->pdata[i];
      gboolean changed = FALSE;

      if (set_first_intent (db, order_id, intents->pdata[i]))
        continue;

      /* One savepoint each: a bad one is undone alone and the others still count. */
      if (!till_database_run (db, "SAVEPOINT intent", error))
        {
          till_database_rollback (db);
          return FALSE;
        }
      if (!apply_intent_locked (db, order_id, intents->pdata[i], &changed, &local))
        {
          g_message ("Order %" G_GINT64_FORMAT ": %s", order_id, local->message);
          till_database_run (db, "ROLLBACK TO intent", NULL);
        }
      if (!till_database_run (db, "RELEASE intent", error))
        {
          till_database_rollback (db);
          return FALSE;
        }
    }
  return TRUE;
}

GPtrArray *
till_orders_list (TillDatabase *db,
                  const char   *status,
                  gint64        from_us,
                  gint64        to_us,
                  const char   *query,
                  gint64        intent_order,
                  gint64        amount,
                  gint64        before_id,
                  guint         limit,
                  gint64       *out_next_before,
                  GError      **error)
{
  g_autoptr (GPtrArray) orders = g_ptr_array_new_with_free_func ((GDestroyNotify) till_order_free);
  g_autofree char *pattern = NULL;
  g_autofree char *upper = NULL;
  gboolean         searching = query != NULL && *query != '\0';
  sqlite3_stmt    *stmt;
  int              rc;

  limit = CLAMP (limit, 1, 200);
  /* @query finds orders through indexes only, never by reading them all: a number or its
   * beginning (as typed, or in capitals), the digits of a number (its id), a client
   * reference, or a payment intent's id if it is the intent of @intent_order (the order its
   * metadata names, which the caller asked Stripe for: intents' ids have no index), a card's
   * last 4 digits, or a total (@amount). */
  if (searching)
    stmt = till_database_prepare (
        db,
        "SELECT " ORDER_COLUMNS " WHERE o.id IN ("
        "      SELECT id FROM orders WHERE number GLOB ?5"
        "      UNION SELECT id FROM orders WHERE number GLOB ?9"
        "      UNION SELECT id FROM orders WHERE client_reference = ?6"
        "      UNION SELECT order_id FROM payments WHERE order_id = ?10 AND payment_intent = ?6"
        "      UNION SELECT order_id FROM payments WHERE card_last4 = ?11"
        "      UNION SELECT id FROM orders WHERE total = ?12"
        "      UNION SELECT ?8) AND" LIST_FILTERS,
        error);
  else
    stmt = till_database_prepare (db, "SELECT " ORDER_COLUMNS " WHERE" LIST_FILTERS, error);
  if (stmt == NULL)
    return NULL;
  if (searching)
    {
      GString *p = g_string_new (NULL);
      guint64  id;

      /* GLOB's own characters stand for themselves in brackets. */
      for (const char *c = query; *c; c++)
        {
          if (*c == '*' || *c == '?' || *c == '[')
            g_string_append_printf (p, "[%c]", *c);
          else
            g_string_append_c (p, *c);
        }
      g_string_append_c (p, '*');
      pattern = g_string_free (p, FALSE);
      if (g_ascii_string_to_unsigned (query, 10, 1, G_MAXINT64, &id, NULL))
        sqlite3_bind_int64 (stmt, 8, (gint64) id);
      else
        sqlite3_bind_null (stmt, 8);
      till_database_bind_text (stmt, 5, pattern);
      upper = g_ascii_strup (pattern, -1);
      till_database_bind_text (stmt, 9, upper);
      till_database_bind_text (stmt, 6, query);
      sqlite3_bind_int64 (stmt, 10, intent_order);
      if (strlen (query) == 4 && g_ascii_isdigit (query[0]) && g_ascii_isdigit (query[1]) &&
          g_ascii_isdigit (query[2]) && g_ascii_isdigit (query[3]))
        till_database_bind_text (stmt, 11, query);
      else
        sqlite3_bind_null (stmt, 11);
      if (amount >= 0)
        sqlite3_bind_int64 (stmt, 12, amount);
      else
        sqlite3_bind_null (stmt, 12);
    }
  sqlite3_bind_int64 (stmt, 1, before_id);
  till_database_bind_text (stmt, 2, status);
  sqlite3_bind_int64 (stmt, 3, from_us);
  sqlite3_bind_int64 (stmt, 4, to_us);
  sqlite3_bind_int (stmt, 7, limit + 1);
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (orders, order_from_row (stmt));
  if (rc < 0)
    return NULL;
  *out_next_before = 0;
  if (orders->len > limit)
    {
      g_ptr_array_set_size (orders, limit);
      *out_next_before = ((TillOrder *) orders->pdata[limit - 1])->id;
    }
  return g_steal_pointer (&orders);
}

GArray *
till_orders_list_pending (TillDatabase *db,
                          gint64        older_than_us,
                          gint64        after_created_us,
                          gint64        after_id,
                          guint         limit,
                          gint64       *out_last_created_us,
                          GError      **error)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;
  int           rc;

  /* orders_status_created (status, created_at, then the id) gives them in this order. */
  stmt = till_database_prepare (
      db,
      "SELECT id, created_at FROM orders"
      " WHERE status IN ('pending_payment', 'partially_paid') AND created_at < ?"
      " AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?",
      error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, older_than_us);
  sqlite3_bind_int64 (stmt, 2, after_created_us);
  sqlite3_bind_int64 (stmt, 3, after_id);
  sqlite3_bind_int (stmt, 4, limit);
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
      if (out_last_created_us != NULL)
        *out_last_created_us = sqlite3_column_int64 (stmt, 1);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&ids);
}

static TillRefund *
refund_from_row (sqlite3_stmt *stmt)
{
  TillRefund *refund = g_new0 (TillRefund, 1);

  refund->id = sqlite3_column_int64 (stmt, 0);
  refund->order_id = sqlite3_column_int64 (stmt, 1);
  refund->request_id = till_database_column_dup (stmt, 2);
  refund->stripe_refund = till_database_column_dup (stmt, 3);
  refund->amount = sqlite3_column_int64 (stmt, 4);
  refund->reason = till_database_column_dup (stmt, 5);
  refund->status = till_database_column_dup (stmt, 6);
  refund->created_at = sqlite3_column_int64 (stmt, 7);
  return refund;
}

#define REFUND_COLUMNS                                                                             \
  "id, order_id, request_id, stripe_refund, amount, reason, status, created_at FROM refunds"

static TillRefund *
reserve_refund_locked (TillDatabase *db,
                       gint64        order_id,
                       const char   *request_id,
                       gint64        amount,
                       const char   *reason,
                       gboolean     *out_existing,
                       GError      **error)
{
  g_autofree char *status = NULL;
  gint64           total, reserved, id;
  sqlite3_stmt    *stmt;
  int              rc;

  stmt = till_database_prepare (db, "SELECT " REFUND_COLUMNS " WHERE request_id = ?", error);
  if (stmt == NULL)
    return NULL;
  till_database_bind_text (stmt, 1, request_id);
  rc = till_database_step (db, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    {
      TillRefund *existing = refund_from_row (stmt);

      sqlite3_reset (stmt);
      if (existing->order_id != order_id)
        {
          till_refund_free (existing);
          g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_CONFLICT,
                       _ ("This request id was used for another order's refund"));
          return NULL;
        }
      *out_existing = TRUE;
      return existing;
    }

  stmt =
      step_order_row (db,
                      "SELECT o.status, o.total, (SELECT coalesce (sum (amount), 0) FROM refunds r"
                      "  WHERE r.order_id = o.id AND r.status IN ('pending', 'succeeded'))"
                      " FROM orders o WHERE o.id = ?",
                      order_id, error);
  if (stmt == NULL)
    return NULL;
  status = till_database_column_dup (stmt, 0);
  total = sqlite3_column_int64 (stmt, 1);
  reserved = sqlite3_column_int64 (stmt, 2);
  sqlite3_reset (stmt);

  if (g_strcmp0 (status, "paid") != 0 && g_strcmp0 (status, "partially_refunded") != 0)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_STATE,
                   _ ("Only a paid order can be refunded; this one is %s"), status);
      return NULL;
    }
  if (amount == 0)
    amount = total - reserved;
  if (amount <= 0 || amount > total - reserved)
    {
      g_autofree char *left = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (0, total - reserved));

      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_STATE,
                   _ ("amount: at most %s is left to refund"), left);
      return NULL;
    }

  stmt = till_database_prepare (
      db,
      "INSERT INTO refunds (order_id, request_id, amount, reason, status, created_at)"
      " VALUES (?, ?, ?, ?, 'pending', ?)",
      error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, order_id);
  till_database_bind_text (stmt, 2, request_id);
  sqlite3_bind_int64 (stmt, 3, amount);
  till_database_bind_text (stmt, 4, reason);
  sqlite3_bind_int64 (stmt, 5, g_get_real_time ());
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return NULL;
  id = till_database_last_insert_id (db);

  stmt = till_database_prepare (db, "SELECT " REFUND_COLUMNS " WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  if (till_database_step (db, stmt, error) != SQLITE_ROW)
    return NULL;
  {
    TillRefund *refund = refund_from_row (stmt);
    sqlite3_reset (stmt);
    *out_existing = FALSE;
    return refund;
  }
}

TillRefund *
till_orders_reserve_refund (TillDatabase *db,
                            gint64        order_id,
                            const char   *request_id,
                            gint64        amount,
                            const char   *reason,
                            gboolean     *out_existing,
                            GError      **error)
{
  TillRefund *refund;

  if (!till_database_begin (db, error))
    return NULL;
  refund = reserve_refund_locked (db, order_id, request_id, amount, reason, out_existing, error);
  if (refund == NULL)
    {
      till_database_rollback (db);
      return NULL;
    }
  if (!till_database_commit (db, error))
    {
      till_refund_free (refund);
      return NULL;
    }
  return refund;
}

/* refunded = what Stripe accepted (pending or succeeded with a Stripe id), and what was
 * given back in cash. */
static gboolean
recompute_refunded (TillDatabase *db, gint64 order_id, GError **error)
{
  sqlite3_stmt *stmt;

  if (!update_order (db,
                     "UPDATE orders SET refunded = (SELECT coalesce (sum (amount), 0) FROM refunds"
                     "   WHERE order_id = ?1 AND (stripe_refund IS NOT NULL"
                     "   OR id IN (SELECT refund_id FROM cash_refunds))"
                     "   AND status IN ('pending', 'succeeded')),"
                     " updated_at = ?2 WHERE id = ?1",
                     order_id, error))
    return FALSE;

  stmt = till_database_prepare (
      db,
      "UPDATE orders SET status = CASE WHEN refunded >= total THEN 'refunded'"
      "   ELSE 'partially_refunded' END"
      " WHERE id = ? AND refunded > 0 AND status IN ('paid', 'partially_refunded')",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order_id);
  return till_database_step (db, stmt, error) == SQLITE_DONE;
}

gboolean
till_orders_finish_refund (TillDatabase *db,
                           gint64        refund_id,
                           const char   *stripe_refund,
                           const char   *status,
                           GError      **error)
{
  sqlite3_stmt *stmt;
  gint64        order_id = 0;
  int           rc;

  if (g_strcmp0 (status, "requires_action") == 0)
    status = "pending";
  if (!till_database_begin (db, error))
    return FALSE;
  stmt = till_database_prepare (
      db,
      "UPDATE refunds SET stripe_refund = coalesce (?2, stripe_refund), status = ?3"
      " WHERE id = ?1 RETURNING order_id",
      error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, refund_id);
  till_database_bind_text (stmt, 2, stripe_refund);
  till_database_bind_text (stmt, 3, status);
  rc = till_database_step (db, stmt, error);
  if (rc < 0)
    goto fail;
  if (rc == SQLITE_ROW)
    order_id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (order_id != 0 && !recompute_refunded (db, order_id, error))
    goto fail;
  return till_database_commit (db, error);

fail:
  till_database_rollback (db);
  return FALSE;
}

gboolean
till_orders_update_refund_status (TillDatabase *db,
                                  const char   *stripe_refund,
                                  const char   *status,
                                  GError      **error)
{
  gint64 id =
      find_id (db, "SELECT id FROM refunds WHERE stripe_refund = ?", stripe_refund, NULL, error);

  if (id <= 0)
    return FALSE;
  return till_orders_finish_refund (db, id, NULL, status, error);
}

GPtrArray *
till_orders_list_refunds (TillDatabase *db, gint64 order_id, GError **error)
{
  g_autoptr (GPtrArray) refunds =
      g_ptr_array_new_with_free_func ((GDestroyNotify) till_refund_free);
  sqlite3_stmt *stmt;
  int           rc;

  stmt =
      till_database_prepare (db, "SELECT " REFUND_COLUMNS " WHERE order_id = ? ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, order_id);
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (refunds, refund_from_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&refunds);
}

GPtrArray *
till_orders_list_stuck_refunds (
    TillDatabase *db, gint64 older_than_us, gint64 after_id, guint limit, GError **error)
{
  g_autoptr (GPtrArray) refunds =
      g_ptr_array_new_with_free_func ((GDestroyNotify) till_refund_free);
  sqlite3_stmt *stmt;
  int           rc;

  stmt = till_database_prepare (db,
                                "SELECT " REFUND_COLUMNS
                                " WHERE status = 'pending' AND stripe_refund IS NULL"
                                " AND created_at < ? AND id > ? ORDER BY id LIMIT ?",
                                error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, older_than_us);
  sqlite3_bind_int64 (stmt, 2, after_id);
  sqlite3_bind_int (stmt, 3, limit);
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (refunds, refund_from_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&refunds);
}

char *
till_orders_get_receipt_token (TillDatabase *db, gint64 order_id, GError **error)
{
  sqlite3_stmt *stmt =
      till_database_prepare (db, "SELECT token FROM receipt_tokens WHERE order_id = ?", error);
  char *token = NULL;
  int   rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, order_id);
  rc = till_database_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    token = till_database_column_dup (stmt, 0);
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_NOT_FOUND, _ ("No such order"));
  return token;
}

gint64
till_orders_find_by_receipt_token (TillDatabase *db, const char *token, GError **error)
{
  return find_id (db, "SELECT order_id FROM receipt_tokens WHERE token = ?", token, NULL, error);
}

void
till_orders_write_json (const TillOrder *order,
                        GPtrArray       *refunds,
                        const char      *receipt_url,
                        TillJsonWriter  *writer)
{
  till_json_writer_begin_object (writer);
  till_order_write_members (order, writer);
  if (receipt_url != NULL)
    till_json_writer_member_string (writer, "receipt_url", receipt_url);
  till_json_writer_name (writer, "refunds");
  till_json_writer_begin_array (writer);
  for (guint i = 0; i < refunds->len; i++)
    till_refund_write_json (refunds->pdata[i], writer);
  till_json_writer_end_array (writer);
  till_json_writer_end_object (writer);
}

TillRefund *
till_orders_refund_cash (TillDatabase *db,
                         gint64        order_id,
                         gint64        terminal_id,
                         const char   *request_id,
                         gint64        amount,
                         const char   *reason,
                         gboolean     *out_existing,
                         GError      **error)
{
  g_autoptr (TillRefund) refund = NULL;
  sqlite3_stmt *stmt;
  gint64        session_id = 0;
  int           rc;

  if (!till_database_begin (db, error))
    return NULL;
  refund = reserve_refund_locked (db, order_id, request_id, amount, reason, out_existing, error);
  if (refund == NULL)
    {
      till_database_rollback (db);
      return NULL;
    }
  if (*out_existing)
    {
      till_database_rollback (db);
      return g_steal_pointer (&refund);
    }
  stmt = till_database_prepare (
      db, "SELECT id FROM drawer_sessions WHERE terminal_id = ? AND closed_at IS NULL", error);
  if (stmt == NULL)
    {
      till_database_rollback (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, terminal_id);
  rc = till_database_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    session_id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (session_id == 0)
    {
      till_database_rollback (db);
      if (rc >= 0)
        g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_NO_DRAWER_SESSION,
                     _ ("This terminal has no drawer session open; open the drawer with its "
                        "float first"));
      return NULL;
    }
  stmt = till_database_prepare (
      db, "INSERT INTO cash_refunds (refund_id, session_id, terminal_id) VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    {
      till_database_rollback (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, refund->id);
  sqlite3_bind_int64 (stmt, 2, session_id);
  sqlite3_bind_int64 (stmt, 3, terminal_id);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    {
      till_database_rollback (db);
      return NULL;
    }
  stmt = till_database_prepare (db, "UPDATE refunds SET status = 'succeeded' WHERE id = ?", error);
  if (stmt == NULL)
    {
      till_database_rollback (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, refund->id);
  if (till_database_step (db, stmt, error) != SQLITE_DONE ||
      !recompute_refunded (db, order_id, error))
    {
      till_database_rollback (db);
      return NULL;
    }
  if (!till_database_commit (db, error))
    return NULL;
  g_free (refund->status);
  refund->status = g_strdup ("succeeded");
  return g_steal_pointer (&refund);
}
