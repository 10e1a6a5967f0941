/* till-reports.c: the daily report and the CSV export.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-api-private.h"
#include "till-core.h"
#include "till-server-error.h"

static const char *statuses[] = {
  "pending_payment", "paid", "partially_refunded", "refunded", "canceled", "partially_paid",
};

/* The day's orders and their cards. Every status is listed, so that the (status, created_at)
 * index serves the day's range; the list is statuses[], so a new status cannot be left out.
 * Made once: the database caches statements by their text's address. */
static const char *
daily_orders_sql (void)
{
  static const char *sql;

  if (g_once_init_enter (&sql))
    {
      GString *text =
          g_string_new ("SELECT o.status, o.total, o.refunded, o.created_at, p.card_brand,"
                        " p.order_id IS NULL,"
                        " (SELECT coalesce (sum (t.amount), 0) FROM cash_tenders t"
                        "  WHERE t.order_id = o.id)"
                        " FROM orders o LEFT JOIN payments p ON p.order_id = o.id"
                        " WHERE o.status IN (");

      for (gsize i = 0; i < G_N_ELEMENTS (statuses); i++)
        g_string_append_printf (text, "%s'%s'", i > 0 ? ", " : "", statuses[i]);
      g_string_append (text, ") AND o.created_at >= ? AND o.created_at < ?");
      g_once_init_leave (&sql, g_string_free (text, FALSE));
    }
  return sql;
}

static gboolean
is_sale (const char *status)
{
  return g_strcmp0 (status, "paid") == 0 || g_strcmp0 (status, "partially_refunded") == 0 ||
         g_strcmp0 (status, "refunded") == 0;
}

/* Midnight of @date (YYYY-MM-DD) in @tz, or of today for NULL. */
static GDateTime *
day_start (GTimeZone *tz, const char *date, GError **error)
{
  GDateTime *start = NULL;

  if (date == NULL)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now (tz);
      start = g_date_time_new (tz, g_date_time_get_year (now), g_date_time_get_month (now),
                               g_date_time_get_day_of_month (now), 0, 0, 0);
    }
  else
    {
      guint64 y, m, d;
      g_auto (GStrv) parts = g_strsplit (date, "-", 4);

      if (strlen (date) == 10 && g_strv_length (parts) == 3 &&
          g_ascii_string_to_unsigned (parts[0], 10, 1970, 9999, &y, NULL) &&
          g_ascii_string_to_unsigned (parts[1], 10, 1, 12, &m, NULL) &&
          g_ascii_string_to_unsigned (parts[2], 10, 1, 31, &d, NULL) &&
          g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
        start = g_date_time_new (tz, (int) y, (int) m, (int) d, 0, 0, 0);
    }
  if (start == NULL)
    g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_REQUEST,
                 _ ("date: must be a day as YYYY-MM-DD"));
  return start;
}

typedef struct
{
  gboolean cash;  /* else a card */
  char    *brand; /* or NULL: a card of no known brand, or cash */
  gint64   count, gross, refunds;
} MethodSum;

static void
method_sum_free (gpointer data)
{
  MethodSum *sum = data;

  g_free (sum->brand);
  g_free (sum);
}

/* Adds a sale (or its part paid by one tender) to its method's sums. */
static void
add_to_method (GPtrArray *methods, gboolean cash, const char *brand, gint64 gross, gint64 refunds)
{
  MethodSum *method = NULL;

  for (guint i = 0; i < methods->len && method == NULL; i++)
    if (((MethodSum *) methods->pdata[i])->cash == cash &&
        g_strcmp0 (((MethodSum *) methods->pdata[i])->brand, brand) == 0)
      method = methods->pdata[i];
  if (method == NULL)
    {
      method = g_new0 (MethodSum, 1);
      method->cash = cash;
      method->brand = g_strdup (brand);
      g_ptr_array_add (methods, method);
    }
  method->count++;
  method->gross += gross;
  method->refunds += refunds;
}

static int
method_sum_compare (gconstpointer a, gconstpointer b)
{
  const MethodSum *x = *(MethodSum *const *) a, *y = *(MethodSum *const *) b;

  if (x->gross != y->gross)
    return x->gross > y->gross ? -1 : 1;
  if (x->cash != y->cash)
    return x->cash ? -1 : 1;
  return g_strcmp0 (x->brand, y->brand);
}

/* The day's sales' lines by tax rate. */
static gboolean
add_tax_rates (
    TillDatabase *db, gint64 start_us, gint64 end_us, JsonBuilder *builder, GError **error)
{
  sqlite3_stmt *stmt;
  int           rc;

  stmt = till_database_prepare (
      db,
      "SELECT l.tax_rate, sum (l.tax), sum (l.total) FROM orders o"
      " JOIN order_lines l ON l.order_id = o.id"
      " WHERE o.status IN ('paid', 'partially_refunded', 'refunded')"
      " AND o.created_at >= ? AND o.created_at < ? GROUP BY l.tax_rate ORDER BY l.tax_rate",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, start_us);
  sqlite3_bind_int64 (stmt, 2, end_us);
  json_builder_set_member_name (builder, "by_tax_rate");
  json_builder_begin_array (builder);
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "tax_rate");
      json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 0));
      json_builder_set_member_name (builder, "tax");
      json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 1));
      json_builder_set_member_name (builder, "total");
      json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 2));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return rc == SQLITE_DONE;
}

JsonNode *
till_reports_daily (
    TillDatabase *db, const char *currency, GTimeZone *tz, const char *date, GError **error)
{
  g_autoptr (GDateTime) start = NULL;
  g_autoptr (GDateTime) end = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GPtrArray) methods = g_ptr_array_new_with_free_func (method_sum_free);
  g_autofree char *day = NULL;
  gint64           gross = 0, refunds = 0, count = 0;
  gint64           hour_count[24] = { 0 }, hour_gross[24] = { 0 };
  gint64           status_count[G_N_ELEMENTS (statuses)] = { 0 };
  sqlite3_stmt    *stmt;
  int              rc;

  start = day_start (tz, date, error);
  if (start == NULL)
    return NULL;
  end = g_date_time_add_days (start, 1);
  day = g_date_time_format (start, "%Y-%m-%d");

  stmt = till_database_prepare (db, daily_orders_sql (), error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, g_date_time_to_unix (start) * G_USEC_PER_SEC);
  sqlite3_bind_int64 (stmt, 2, g_date_time_to_unix (end) * G_USEC_PER_SEC);
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    {
      const char *status = (const char *) sqlite3_column_text (stmt, 0);
      gint64      total = sqlite3_column_int64 (stmt, 1);
      gint64      refunded = sqlite3_column_int64 (stmt, 2);
      const char *brand = (const char *) sqlite3_column_text (stmt, 4);
      /* An order without a card payment was paid in cash; a split one, its cash part. */
      gboolean cash = sqlite3_column_int (stmt, 5) != 0;
      gint64   cash_part = sqlite3_column_int64 (stmt, 6);
      g_autoptr (GDateTime) utc =
          g_date_time_new_from_unix_utc (sqlite3_column_int64 (stmt, 3) / G_USEC_PER_SEC);
      g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, tz);
      int hour = g_date_time_get_hour (local);

      for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
        if (g_strcmp0 (status, statuses[i]) == 0)
          status_count[i]++;
      if (!is_sale (status))
        continue;
      gross += total;
      refunds += refunded;
      count++;
      hour_count[hour]++;
      hour_gross[hour] += total;
      if (cash)
        add_to_method (methods, TRUE, NULL, total, refunded);
      else
        {
          if (cash_part > 0)
            add_to_method (methods, TRUE, NULL, cash_part, 0);
          add_to_method (methods, FALSE, brand, total - cash_part, refunded);
        }
    }
  if (rc < 0)
    return NULL;
  g_ptr_array_sort (methods, method_sum_compare);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "date");
  json_builder_add_string_value (builder, day);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, currency);
  json_builder_set_member_name (builder, "gross");
  json_builder_add_int_value (builder, gross);
  json_builder_set_member_name (builder, "refunds");
  json_builder_add_int_value (builder, refunds);
  json_builder_set_member_name (builder, "net");
  json_builder_add_int_value (builder, gross - refunds);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, count);
  json_builder_set_member_name (builder, "average");
  json_builder_add_int_value (builder, count > 0 ? (gross + count / 2) / count : 0);
  json_builder_set_member_name (builder, "by_hour");
  json_builder_begin_array (builder);
  for (int h = 0; h < 24; h++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "hour");
      json_builder_add_int_value (builder, h);
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, hour_count[h]);
      json_builder_set_member_name (builder, "gross");
      json_builder_add_int_value (builder, hour_gross[h]);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "by_status");
  json_builder_begin_object (builder);
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      json_builder_set_member_name (builder, statuses[i]);
      json_builder_add_int_value (builder, status_count[i]);
    }
  json_builder_end_object (builder);
  /* A method is "card" and its brand, or "cash" (brand null). */
  json_builder_set_member_name (builder, "by_method");
  json_builder_begin_array (builder);
  for (guint i = 0; i < methods->len; i++)
    {
      MethodSum *method = methods->pdata[i];

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "method");
      json_builder_add_string_value (builder, method->cash ? "cash" : "card");
      json_builder_set_member_name (builder, "brand");
      if (method->brand != NULL)
        json_builder_add_string_value (builder, method->brand);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, method->count);
      json_builder_set_member_name (builder, "gross");
      json_builder_add_int_value (builder, method->gross);
      json_builder_set_member_name (builder, "refunds");
      json_builder_add_int_value (builder, method->refunds);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  if (!add_tax_rates (db, g_date_time_to_unix (start) * G_USEC_PER_SEC,
                      g_date_time_to_unix (end) * G_USEC_PER_SEC, builder, error))
    return NULL;
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

JsonNode *
till_reports_days (TillDatabase *db,
                   const char   *currency,
                   GTimeZone    *tz,
                   const char   *date,
                   guint         days,
                   GError      **error)
{
  g_autoptr (GDateTime) last = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  last = day_start (tz, date, error);
  if (last == NULL)
    return NULL;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, currency);
  json_builder_set_member_name (builder, "days");
  json_builder_begin_array (builder);
  /* One aggregate a day, each a range of the (status, created_at) index: days in the store's
   * zone, whatever their length. */
  for (int i = (int) days - 1; i >= 0; i--)
    {
      g_autoptr (GDateTime) start = g_date_time_add_days (last, -i);
      g_autoptr (GDateTime) end = g_date_time_add_days (start, 1);
      g_autofree char *day = g_date_time_format (start, "%Y-%m-%d");
      sqlite3_stmt    *stmt;
      gint64           count, gross, refunds;

      stmt = till_database_prepare (db,
                                    "SELECT count (*), total (total), total (refunded) FROM orders"
                                    " WHERE status IN ('paid', 'partially_refunded', 'refunded')"
                                    " AND created_at >= ? AND created_at < ?",
                                    error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, g_date_time_to_unix (start) * G_USEC_PER_SEC);
      sqlite3_bind_int64 (stmt, 2, g_date_time_to_unix (end) * G_USEC_PER_SEC);
      if (till_database_step (db, stmt, error) != SQLITE_ROW)
        return NULL;
      count = sqlite3_column_int64 (stmt, 0);
      gross = sqlite3_column_int64 (stmt, 1);
      refunds = sqlite3_column_int64 (stmt, 2);
      sqlite3_reset (stmt);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "date");
      json_builder_add_string_value (builder, day);
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, count);
      json_builder_set_member_name (builder, "gross");
      json_builder_add_int_value (builder, gross);
      json_builder_set_member_name (builder, "refunds");
      json_builder_add_int_value (builder, refunds);
      json_builder_set_member_name (builder, "net");
      json_builder_add_int_value (builder, gross - refunds);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* The export of a range of days; made once, as daily_orders_sql (). */
static const char *
ranged_export_sql (void)
{
  static const char *sql;

  if (g_once_init_enter (&sql))
    {
      GString *text = g_string_new (
          "SELECT o.number, o.created_at, o.status, o.currency, o.subtotal, o.discount, o.tax,"
          " o.rounding, o.total, o.refunded, p.payment_intent, p.card_brand, p.card_last4"
          " FROM orders o LEFT JOIN payments p ON p.order_id = o.id WHERE o.status IN (");

      for (gsize i = 0; i < G_N_ELEMENTS (statuses); i++)
        g_string_append_printf (text, "%s'%s'", i > 0 ? ", " : "", statuses[i]);
      g_string_append (text, ") AND (?1 IS NULL OR o.status = ?1) AND o.created_at >= ?2"
                             " AND o.created_at < ?3 ORDER BY o.id");
      g_once_init_leave (&sql, g_string_free (text, FALSE));
    }
  return sql;
}

static void
csv_field (GString *out, const char *value)
{
  if (value == NULL)
    value = "";
  /* Spreadsheets run cells that start with these as formulas. */
  if (*value == '=' || *value == '+' || *value == '-' || *value == '@')
    {
      g_string_append (out, "\"'");
      for (const char *p = value; *p; p++)
        g_string_append_printf (out, *p == '"' ? "\"\"" : "%c", *p);
      g_string_append_c (out, '"');
      return;
    }
  if (strpbrk (value, ",\"\r\n") != NULL)
    {
      g_string_append_c (out, '"');
      for (const char *p = value; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
      return;
    }
  g_string_append (out, value);
}

gboolean
till_reports_write_orders_csv (TillDatabase *db,
                               const char   *status,
                               gint64        from_us,
                               gint64        to_us,
                               GTimeZone    *tz,
                               gsize         chunk_size,
                               TillCsvFlush  flush,
                               gpointer      user_data,
                               GError      **error)
{
  g_autoptr (GString) out = g_string_sized_new (chunk_size + 1024);
  gboolean      stopped = FALSE;
  sqlite3_stmt *stmt;
  int           rc;

  g_string_append (out, "number,created_at,status,currency,subtotal,discount,tax,rounding,total,"
                        "refunded,payment_intent,card_brand,card_last4\r\n");
  /* One statement: one read transaction, so the export is of one moment. A range of days
   * is read through the (status, created_at) index, every status listed (a day of a
   * million orders: a scan of them all otherwise). */
  if (from_us == 0 && to_us == 0)
    stmt = till_database_prepare (
        db,
        "SELECT o.number, o.created_at, o.status, o.currency, o.subtotal, o.discount, o.tax,"
        " o.rounding, o.total, o.refunded, p.payment_intent, p.card_brand, p.card_last4"
        " FROM orders o LEFT JOIN payments p ON p.order_id = o.id"
        " WHERE (?1 IS NULL OR o.status = ?1) ORDER BY o.id",
        error);
  else
    stmt = till_database_prepare (db, ranged_export_sql (), error);
  if (stmt == NULL)
    return FALSE;
  till_database_bind_text (stmt, 1, status);
  if (from_us != 0 || to_us != 0)
    {
      sqlite3_bind_int64 (stmt, 2, from_us);
      sqlite3_bind_int64 (stmt, 3, to_us != 0 ? to_us : G_MAXINT64);
    }
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    {
      const char         *code = (const char *) sqlite3_column_text (stmt, 3);
      const TillCurrency *currency = till_currency_lookup (code);
      g_autoptr (GDateTime) utc =
          g_date_time_new_from_unix_utc (sqlite3_column_int64 (stmt, 1) / G_USEC_PER_SEC);
      g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, tz);
      /* RFC 3339 wants the offset's minutes too ("+03:00"), which ISO 8601 may leave out. */
      g_autofree char *created = g_date_time_format (local, g_date_time_get_utc_offset (local) == 0
                                                                ? "%Y-%m-%dT%H:%M:%SZ"
                                                                : "%Y-%m-%dT%H:%M:%S%:z");

      csv_field (out, (const char *) sqlite3_column_text (stmt, 0));
      g_string_append_c (out, ',');
      csv_field (out, created);
      g_string_append_c (out, ',');
      csv_field (out, (const char *) sqlite3_column_text (stmt, 2));
      g_string_append_c (out, ',');
      csv_field (out, (const char *) sqlite3_column_text (stmt, 3));
      for (int column = 4; column <= 9; column++)
        {
          g_autofree char *amount = NULL;

          if (currency != NULL)
            amount = till_money_to_decimal_string (sqlite3_column_int64 (stmt, column), currency);
          g_string_append_c (out, ',');
          if (amount != NULL)
            g_string_append (out, amount);
          else
            g_string_append_printf (out, "%" G_GINT64_FORMAT,
                                    (gint64) sqlite3_column_int64 (stmt, column));
        }
      for (int column = 10; column <= 12; column++)
        {
          g_string_append_c (out, ',');
          csv_field (out, (const char *) sqlite3_column_text (stmt, column));
        }
      g_string_append (out, "\r\n");
      if (out->len >= chunk_size && !flush (out, user_data))
        {
          stopped = TRUE;
          break;
        }
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return FALSE;
  if (!stopped && out->len > 0)
    stopped = !flush (out, user_data);
  if (stopped)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The export was stopped");
      return FALSE;
    }
  return TRUE;
}
