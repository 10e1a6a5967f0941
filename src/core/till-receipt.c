/* till-receipt.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "till-money.h"
#include "till-receipt.h"

/* Appends "left ……… right" as one line of @width characters (more if it cannot fit). */
static void
add_row (GString *out, const char *left, const char *right, int width)
{
  glong used = g_utf8_strlen (left, -1) + g_utf8_strlen (right, -1);

  g_string_append (out, left);
  if (*right == '\0')
    {
      g_string_append_c (out, '\n');
      return;
    }
  for (glong i = used; i < width; i++)
    g_string_append_c (out, ' ');
  if (used >= width)
    g_string_append_c (out, ' ');
  g_string_append (out, right);
  g_string_append_c (out, '\n');
}

static void
add_centered (GString *out, const char *text, int width)
{
  glong len = g_utf8_strlen (text, -1);

  for (glong i = 0; i < (width - len) / 2; i++)
    g_string_append_c (out, ' ');
  g_string_append (out, text);
  g_string_append_c (out, '\n');
}

static void
add_rule (GString *out, int width)
{
  for (int i = 0; i < width; i++)
    g_string_append_c (out, '-');
  g_string_append_c (out, '\n');
}

static char *
money (gint64 amount, const TillCurrency *currency, const char *locale)
{
  return till_money_format (amount, currency, locale);
}

/* Appends @text cut into lines of at most @width characters, at spaces where it can, each
 * line starting with @indent. */
static void
add_wrapped (GString *out, const char *text, const char *indent, int width)
{
  glong room = MAX (width - (glong) g_utf8_strlen (indent, -1), 8);
  g_auto (GStrv) paragraphs = g_strsplit (text, "\n", -1);

  for (guint p = 0; paragraphs[p] != NULL; p++)
    {
      const char *rest = g_strstrip (paragraphs[p]);

      while (*rest != '\0')
        {
          const char *end = rest;
          const char *cut = NULL;
          glong       n = 0;

          while (*end != '\0' && n < room)
            {
              if (*end == ' ')
                cut = end;
              end = g_utf8_next_char (end);
              n++;
            }
          if (*end != '\0' && *end != ' ' && cut != NULL)
            end = cut;
          g_string_append (out, indent);
          g_string_append_len (out, rest, end - rest);
          g_string_append_c (out, '\n');
          rest = end;
          while (*rest == ' ')
            rest++;
        }
    }
}

/* One rate's share of the order: what it was charged on, without tax, and the tax. */
typedef struct
{
  int    rate;
  gint64 base;
  gint64 tax;
} TaxRow;

static int
compare_tax_rows (gconstpointer a, gconstpointer b)
{
  const TaxRow *ra = a, *rb = b;

  return (ra->rate > rb->rate) - (ra->rate < rb->rate);
}

static GArray *
tax_rows (const TillOrder *order)
{
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (TaxRow));

  for (guint i = 0; i < order->lines->len; i++)
    {
      const TillOrderLine *line = g_ptr_array_index (order->lines, i);
      TaxRow              *row = NULL;

      for (guint j = 0; j < rows->len && row == NULL; j++)
        if (g_array_index (rows, TaxRow, j).rate == line->tax_rate)
          row = &g_array_index (rows, TaxRow, j);
      if (row == NULL)
        {
          TaxRow fresh = { line->tax_rate, 0, 0 };

          g_array_append_val (rows, fresh);
          row = &g_array_index (rows, TaxRow, rows->len - 1);
        }
      /* Both ways of pricing: the line's total is its net plus its tax (exclusive prices)
       * or already holds its tax (inclusive prices, where total = net). */
      row->base += line->total - line->tax;
      row->tax += line->tax;
    }
  g_array_sort (rows, compare_tax_rows);
  return rows;
}

static void
add_training_mark (GString *out, int width)
{
  /* Translators: at the top and the bottom of a receipt printed in training mode. */
  add_centered (out, _ ("*** TRAINING — NOT A RECEIPT ***"), width);
  /* Translators: under the training mark of a receipt. */
  add_centered (out, _ ("No card was charged"), width);
}

/**
 * till_receipt_format_full:
 * @order: the order as the server recorded it
 * @options: the store's details and how to print
 *
 * Each line shows what its items cost before discounts (quantity × price); its discount,
 * if any, is printed under it. Subtotal, discount, tax per rate (what it is charged on and
 * the tax) and the total follow, so that the figures add up as printed: with exclusive
 * prices total = subtotal − discount + tax; with inclusive prices the tax is part of
 * subtotal − discount and said to be included.
 *
 * Returns: (transfer full): the receipt, one line per `\n`. Amounts come from the order as
 *   the server recorded it; nothing is computed again but sums and differences of them.
 */
char *
till_receipt_format_full (const TillOrder *order, const TillReceiptOptions *options)
{
  const TillCurrency *currency;
  const char         *locale;
  int                 width;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GArray) taxes = NULL;

  g_return_val_if_fail (order != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);
  currency = till_currency_lookup (order->currency);
  g_return_val_if_fail (currency != NULL, NULL);
  locale = options->locale;
  width = options->width > 0 ? options->width : TILL_RECEIPT_WIDTH;

  if (options->training)
    {
      add_training_mark (out, width);
      g_string_append_c (out, '\n');
    }
  if (options->store_name != NULL && *options->store_name != '\0')
    add_centered (out, options->store_name, width);
  if (options->store_address != NULL && *options->store_address != '\0')
    {
      g_auto (GStrv) lines = g_strsplit (options->store_address, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        if (*g_strstrip (lines[i]) != '\0')
          add_centered (out, lines[i], width);
    }
  if (options->store_tax_id != NULL && *options->store_tax_id != '\0')
    {
      /* Translators: on a receipt, under the store's address; %s is its tax (VAT) number. */
      g_autofree char *tax_id = g_strdup_printf (_ ("Tax number: %s"), options->store_tax_id);
      add_centered (out, tax_id, width);
    }
  {
    g_autofree char *when = NULL;
    /* Translators: on a receipt; %s is the order number. */
    g_autofree char *number = g_strdup_printf (_ ("Order %s"), order->number);

    if (order->created_at != NULL)
      {
        g_autoptr (GDateTime) local = g_date_time_to_local (order->created_at);
        when = g_date_time_format (local, "%Y-%m-%d %H:%M");
      }
    add_row (out, number, when ? when : "", width);
  }
  add_rule (out, width);

  for (guint i = 0; i < order->lines->len; i++)
    {
      const TillOrderLine *line = g_ptr_array_index (order->lines, i);
      g_autofree char     *label =
          g_strdup_printf ("%" G_GINT64_FORMAT " × %s", line->quantity, line->name);
      /* Before discounts, as the subtotal counts it. */
      gint64 gross = line->total + line->discount - (options->prices_include_tax ? 0 : line->tax);
      g_autofree char *amount = money (gross, currency, locale);

      add_row (out, label, amount, width);
      if (line->quantity > 1)
        {
          g_autofree char *unit = money (line->unit_amount, currency, locale);
          /* Translators: under a receipt line; %s is the price of one item. */
          g_autofree char *each = g_strdup_printf (_ ("    %s each"), unit);
          add_row (out, each, "", width);
        }
      if (line->discount > 0)
        {
          g_autofree char *discount = money (-line->discount, currency, locale);
          add_row (out, _ ("    Discount"), discount, width);
        }
    }
  add_rule (out, width);

  {
    g_autofree char *subtotal = money (order->subtotal, currency, locale);
    add_row (out, _ ("Subtotal"), subtotal, width);
  }
  if (order->discount > 0)
    {
      g_autofree char *discount = money (-order->discount, currency, locale);
      add_row (out, _ ("Discount"), discount, width);
    }
  taxes = tax_rows (order);
  for (guint i = 0; i < taxes->len; i++)
    {
      const TaxRow    *row = &g_array_index (taxes, TaxRow, i);
      g_autofree char *rate = till_tax_rate_to_string (row->rate);
      g_autofree char *base = money (row->base, currency, locale);
      g_autofree char *tax = money (row->tax, currency, locale);
      g_autofree char *label = NULL;

      if (options->prices_include_tax)
        /* Translators: on a receipt: the tax rate ("7") and what it is charged on, for
         * prices that include tax; the tax amount follows on the right. */
        label = g_strdup_printf (_ ("Incl. tax %s %% on %s"), rate, base);
      else
        /* Translators: on a receipt: the tax rate ("7") and what it is charged on; the
         * tax amount follows on the right. */
        label = g_strdup_printf (_ ("Tax %s %% on %s"), rate, base);
      add_row (out, label, tax, width);
    }
  if (order->rounding != 0)
    {
      g_autofree char *rounding = money (order->rounding, currency, locale);
      add_row (out, _ ("Rounding"), rounding, width);
    }
  {
    g_autofree char *total = money (order->total, currency, locale);
    add_row (out, _ ("TOTAL"), total, width);
  }
  if (order->refunded > 0)
    {
      g_autofree char *refunded = money (-order->refunded, currency, locale);
      add_row (out, _ ("Refunded"), refunded, width);
    }

  if (order->card_last4 != NULL)
    {
      g_autofree char *brand = g_strdup (order->card_brand ? order->card_brand : "");
      g_autofree char *paid = NULL;

      if (*brand != '\0')
        brand[0] = g_ascii_toupper (brand[0]);
      /* Translators: on a receipt: card brand and its last four digits. */
      paid = g_strdup_printf (_ ("Paid by card: %s •••• %s"), brand, order->card_last4);
      g_string_append_c (out, '\n');
      add_row (out, paid, "", width);
    }
  if (options->note != NULL && *options->note != '\0')
    {
      g_string_append_c (out, '\n');
      /* Translators: on a receipt, before the cart's note. */
      add_row (out, _ ("Note:"), "", width);
      add_wrapped (out, options->note, "  ", width);
    }
  g_string_append_c (out, '\n');
  add_centered (out, _ ("Thank you!"), width);
  if (options->training)
    {
      g_string_append_c (out, '\n');
      add_training_mark (out, width);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * till_receipt_format:
 * @store_name: (nullable): printed at the top
 * @locale: (nullable): the ICU locale amounts are written in
 * @width: characters per line (TILL_RECEIPT_WIDTH for a receipt printer)
 *
 * till_receipt_format_full() with only a store name.
 *
 * Returns: (transfer full): the receipt, one line per `\n`.
 */
char *
till_receipt_format (const TillOrder *order,
                     const char      *store_name,
                     gboolean         prices_include_tax,
                     const char      *locale,
                     int              width)
{
  TillReceiptOptions options = {
    .store_name = store_name,
    .prices_include_tax = prices_include_tax,
    .locale = locale,
    .width = width,
  };

  return till_receipt_format_full (order, &options);
}
