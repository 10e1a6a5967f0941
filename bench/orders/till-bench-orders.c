/* till-bench-orders.c: fills a till-server database with many orders, fast (bench/README.md).
 *
 *   till-bench-orders DATABASE [ORDERS] [DAYS]     # 1,000,000 orders over 365 days
 *
 * The schema is the server's own: the database is opened (and created, or migrated) by
 * till_database_open (), then the orders go in through plain INSERTs in one transaction,
 * prepared once. They are spread over the last DAYS days up to now, in the store's opening
 * hours (08:00–20:00 in the machine's zone), ids in time order as checkouts make them; each
 * has one or two lines of the demo products (inserted when the catalog is empty), and a
 * card payment. Statuses: 2 % pending, 3 % canceled, 2 % refunded, 3 % partially refunded,
 * the rest paid; cards Visa, Mastercard or Amex with random last 4 digits. Not a test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>

#include "till-database.h"

#define N_PRODUCTS 8
#define HOUR_US ((gint64) 3600 * G_USEC_PER_SEC)

static const struct
{
  const char *name;
  gint64      unit_amount;
  int         tax_rate;
} products[N_PRODUCTS] = {
  { "İstanbul Simidi", 90, 100 }, { "Brötchen", 45, 700 },      { "Çay", 150, 1000 },
  { "Käsekuchen", 350, 700 },     { "Ayran", 120, 100 },        { "Pide", 160, 100 },
  { "Türk Kahvesi", 250, 2000 },  { "Apfelstrudel", 420, 700 },
};

static sqlite3_stmt *
prepare (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  return stmt;
}

static void
step (sqlite3 *db, sqlite3_stmt *stmt)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_error ("%s", sqlite3_errmsg (db));
  sqlite3_reset (stmt);
}

static void
exec (sqlite3 *db, const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* Tax included in the price, rounded half-up, as till_totals_compute () does. */
static gint64
included_tax (gint64 amount, int basis_points)
{
  return (amount * basis_points * 2 + (10000 + basis_points)) / ((10000 + basis_points) * 2);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) database = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (24);
  gint64        orders = argc > 2 ? g_ascii_strtoll (argv[2], NULL, 10) : 1000000;
  gint64        days = argc > 3 ? g_ascii_strtoll (argv[3], NULL, 10) : 365;
  gint64        product_ids[N_PRODUCTS];
  gint64        first_id, start_us, now_us, step_us, began = g_get_monotonic_time ();
  sqlite3      *db;
  sqlite3_stmt *order_stmt, *line_stmt, *payment_stmt, *refund_stmt, *stmt;
  GTimeZone    *zone = g_time_zone_new_local ();

  if (argc < 2 || orders < 1 || days < 1)
    {
      g_printerr ("Usage: %s DATABASE [ORDERS] [DAYS]\n", argv[0]);
      return 2;
    }
  database = till_database_open (argv[1], &error);
  if (database == NULL)
    g_error ("%s: %s", argv[1], error->message);
  if (sqlite3_open_v2 (argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    g_error ("%s: %s", argv[1], sqlite3_errmsg (db));
  exec (db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;"
            "BEGIN IMMEDIATE");

  /* The products the lines name: the catalog's first ones, or ours. */
  stmt = prepare (db, "SELECT id FROM products ORDER BY id LIMIT 8");
  for (guint i = 0; i < N_PRODUCTS; i++)
    product_ids[i] = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  sqlite3_finalize (stmt);
  if (product_ids[N_PRODUCTS - 1] == 0)
    {
      stmt = prepare (db, "INSERT INTO products (name, search_key, unit_amount, currency,"
                          " tax_rate, updated_at) VALUES (?, lower (?), ?, 'EUR', ?, 0)");
      for (guint i = 0; i < N_PRODUCTS; i++)
        {
          sqlite3_bind_text (stmt, 1, products[i].name, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 2, products[i].name, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, 3, products[i].unit_amount);
          sqlite3_bind_int (stmt, 4, products[i].tax_rate);
          step (db, stmt);
          product_ids[i] = sqlite3_last_insert_rowid (db);
        }
      sqlite3_finalize (stmt);
    }

  stmt = prepare (db, "SELECT coalesce (max (id), 0) + 1 FROM orders");
  sqlite3_step (stmt);
  first_id = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);

  order_stmt =
      prepare (db, "INSERT INTO orders (id, number, client_reference, status, currency, subtotal,"
                   " discount, tax, rounding, total, refunded, created_at, paid_at, updated_at)"
                   " VALUES (?1, ?2, ?3, ?4, 'EUR', ?5, 0, ?6, 0, ?5, ?7, ?8, ?9, ?8)");
  line_stmt =
      prepare (db, "INSERT INTO order_lines (order_id, position, product_id, name, quantity,"
                   " unit_amount, tax_rate, discount, tax, total)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)");
  payment_stmt = prepare (db, "INSERT INTO payments (order_id, payment_intent, status, amount,"
                              " card_brand, card_last4, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  refund_stmt = prepare (db, "INSERT INTO refunds (order_id, request_id, stripe_refund, amount,"
                             " reason, status, created_at)"
                             " VALUES (?, ?, ?, ?, 'requested_by_customer', 'succeeded', ?)");

  now_us = g_get_real_time ();
  start_us = now_us - days * 24 * HOUR_US;
  /* The opening hours of each day, 12 of 24, share the orders: a step in opening time. */
  step_us = days * 12 * HOUR_US / orders;
  for (gint64 n = 0; n < orders; n++)
    {
      gint64      id = first_id + n;
      gint64      open_us = n * step_us;
      gint64      day = open_us / (12 * HOUR_US);
      gint64      created, subtotal = 0, tax = 0, refunded = 0;
      guint       kind = (guint) g_rand_int_range (rand, 0, 100);
      const char *status = kind < 2    ? "pending_payment"
                           : kind < 5  ? "canceled"
                           : kind < 7  ? "refunded"
                           : kind < 10 ? "partially_refunded"
                                       : "paid";
      gboolean    sale = kind >= 5;
      guint       brand = (guint) g_rand_int_range (rand, 0, 10);
      char        number[32], reference[48], intent[48], last4[8];
      int         n_lines = g_rand_int_range (rand, 1, 3);

      {
        /* The day's 08:00 in the local zone, then the time into its opening hours. */
        g_autoptr (GDateTime) first =
            g_date_time_new_from_unix_local ((start_us + day * 24 * HOUR_US) / G_USEC_PER_SEC);
        g_autoptr (GDateTime) opening =
            g_date_time_new (zone, g_date_time_get_year (first), g_date_time_get_month (first),
                             g_date_time_get_day_of_month (first), 8, 0, 0);

        created = g_date_time_to_unix (opening) * G_USEC_PER_SEC + (open_us - day * 12 * HOUR_US);
      }
      g_snprintf (number, sizeof number, "T-%06" G_GINT64_FORMAT, id);
      g_snprintf (reference, sizeof reference, "bench-%" G_GINT64_FORMAT, id);
      g_snprintf (intent, sizeof intent, "pi_bench%" G_GINT64_FORMAT, id);
      g_snprintf (last4, sizeof last4, "%04d", g_rand_int_range (rand, 0, 10000));

      struct
      {
        guint  product;
        gint64 quantity, total, tax;
      } lines[2];

      for (int l = 0; l < n_lines; l++)
        {
          lines[l].product = (guint) g_rand_int_range (rand, 0, N_PRODUCTS);
          lines[l].quantity = g_rand_int_range (rand, 1, 4);
          lines[l].total = products[lines[l].product].unit_amount * lines[l].quantity;
          lines[l].tax = included_tax (lines[l].total, products[lines[l].product].tax_rate);
          subtotal += lines[l].total;
          tax += lines[l].tax;
        }
      if (g_str_equal (status, "refunded"))
        refunded = subtotal;
      else if (g_str_equal (status, "partially_refunded"))
        refunded = MAX (1, subtotal / 3);

      sqlite3_bind_int64 (order_stmt, 1, id);
      sqlite3_bind_text (order_stmt, 2, number, -1, SQLITE_STATIC);
      sqlite3_bind_text (order_stmt, 3, reference, -1, SQLITE_STATIC);
      sqlite3_bind_text (order_stmt, 4, status, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (order_stmt, 5, subtotal);
      sqlite3_bind_int64 (order_stmt, 6, tax);
      sqlite3_bind_int64 (order_stmt, 7, refunded);
      sqlite3_bind_int64 (order_stmt, 8, created);
      if (sale)
        sqlite3_bind_int64 (order_stmt, 9, created + 20 * G_USEC_PER_SEC);
      else
        sqlite3_bind_null (order_stmt, 9);
      step (db, order_stmt);

      for (int l = 0; l < n_lines; l++)
        {
          guint p = lines[l].product;

          sqlite3_bind_int64 (line_stmt, 1, id);
          sqlite3_bind_int (line_stmt, 2, l);
          sqlite3_bind_int64 (line_stmt, 3, product_ids[p]);
          sqlite3_bind_text (line_stmt, 4, products[p].name, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (line_stmt, 5, lines[l].quantity);
          sqlite3_bind_int64 (line_stmt, 6, products[p].unit_amount);
          sqlite3_bind_int (line_stmt, 7, products[p].tax_rate);
          sqlite3_bind_int64 (line_stmt, 8, lines[l].tax);
          sqlite3_bind_int64 (line_stmt, 9, lines[l].total);
          step (db, line_stmt);
        }

      sqlite3_bind_int64 (payment_stmt, 1, id);
      sqlite3_bind_text (payment_stmt, 2, intent, -1, SQLITE_STATIC);
      sqlite3_bind_text (payment_stmt, 3,
                         sale       ? "succeeded"
                         : kind < 2 ? "requires_payment_method"
                                    : "canceled",
                         -1, SQLITE_STATIC);
      sqlite3_bind_int64 (payment_stmt, 4, subtotal);
      if (sale)
        {
          sqlite3_bind_text (payment_stmt, 5,
                             brand < 6   ? "visa"
                             : brand < 9 ? "mastercard"
                                         : "amex",
                             -1, SQLITE_STATIC);
          sqlite3_bind_text (payment_stmt, 6, last4, -1, SQLITE_STATIC);
        }
      else
        {
          sqlite3_bind_null (payment_stmt, 5);
          sqlite3_bind_null (payment_stmt, 6);
        }
      sqlite3_bind_int64 (payment_stmt, 7, created);
      step (db, payment_stmt);

      if (refunded > 0)
        {
          char request[48], stripe_refund[48];

          g_snprintf (request, sizeof request, "bench-refund-%" G_GINT64_FORMAT, id);
          g_snprintf (stripe_refund, sizeof stripe_refund, "re_bench%" G_GINT64_FORMAT, id);
          sqlite3_bind_int64 (refund_stmt, 1, id);
          sqlite3_bind_text (refund_stmt, 2, request, -1, SQLITE_STATIC);
          sqlite3_bind_text (refund_stmt, 3, stripe_refund, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (refund_stmt, 4, refunded);
          sqlite3_bind_int64 (refund_stmt, 5, created + HOUR_US);
          step (db, refund_stmt);
        }
      if ((n + 1) % 100000 == 0)
        g_printerr ("%" G_GINT64_FORMAT " orders, %.1f s\n", n + 1,
                    (g_get_monotonic_time () - began) / 1e6);
    }
  exec (db, "COMMIT");
  sqlite3_finalize (order_stmt);
  sqlite3_finalize (line_stmt);
  sqlite3_finalize (payment_stmt);
  sqlite3_finalize (refund_stmt);
  exec (db, "ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close (db);
  g_time_zone_unref (zone);
  g_print ("%" G_GINT64_FORMAT " orders (ids %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT
           ") over %" G_GINT64_FORMAT " days in %.1f s\n",
           orders, first_id, first_id + orders - 1, days, (g_get_monotonic_time () - began) / 1e6);
  return 0;
}
