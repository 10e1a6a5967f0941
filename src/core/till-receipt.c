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
add_row (GString    *out,
         const char *left,
         const char *right,
         int         width)
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
add_centered (GString    *out,
              const char *text,
              int         width)
{
  glong len = g_utf8_strlen (text, -1);

  for (glong i = 0; i < (width - len) / 2; i++)
    g_string_append_c (out, ' ');
  g_string_append (out, text);
  g_string_append_c (out, '\n');
}

static void
add_rule (GString *out,
          int      width)
{
  for (int i = 0; i < width; i++)
    g_string_append_c (out, '-');
  g_string_append_c (out, '\n');
}

static char *
money (gint64              amount,
       const TillCurrency *currency,
       const char         *locale)
{
  return till_money_format (amount, currency, locale);
}

/**
 * till_receipt_format:
 * @store_name: (nullable): printed at the top
 * @locale: (nullable): the ICU locale amounts are written in
 * @width: characters per line (TILL_RECEIPT_WIDTH for a receipt printer)
 *
 * Returns: (transfer full): the receipt, one line per `\n`. Amounts come from the order as
 *   the server recorded it; nothing is computed again.
 */
char *
till_receipt_format (const TillOrder *order,
                     const char      *store_name,
                     gboolean         prices_include_tax,
                     const char      *locale,
                     int              width)
{
  const TillCurrency *currency = till_currency_lookup (order->currency);
  g_autoptr (GString) out = g_string_new (NULL);

  g_return_val_if_fail (order != NULL, NULL);
  g_return_val_if_fail (currency != NULL, NULL);

  if (store_name != NULL && *store_name != '\0')
    add_centered (out, store_name, width);
  {
    g_autofree char *when = NULL;
    /* Translators: on a receipt; %s is the order number. */
    g_autofree char *number = g_strdup_printf (_("Order %s"), order->number);

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
      g_autofree char *label = g_strdup_printf ("%" G_GINT64_FORMAT " × %s", line->quantity,
                                                line->name);
      g_autofree char *total = money (line->total, currency, locale);

      add_row (out, label, total, width);
      if (line->quantity > 1)
        {
          g_autofree char *unit = money (line->unit_amount, currency, locale);
          /* Translators: under a receipt line; %s is the price of one item. */
          g_autofree char *each = g_strdup_printf (_("    %s each"), unit);
          add_row (out, each, "", width);
        }
      if (line->discount > 0)
        {
          g_autofree char *amount = money (-line->discount, currency, locale);
          add_row (out, _("    Discount"), amount, width);
        }
    }
  add_rule (out, width);

  {
    g_autofree char *subtotal = money (order->subtotal, currency, locale);
    add_row (out, _("Subtotal"), subtotal, width);
  }
  if (order->discount > 0)
    {
      g_autofree char *discount = money (-order->discount, currency, locale);
      add_row (out, _("Discount"), discount, width);
    }
  {
    g_autofree char *tax = money (order->tax, currency, locale);
    add_row (out, prices_include_tax ? _("Tax included") : _("Tax"), tax, width);
  }
  if (order->rounding != 0)
    {
      g_autofree char *rounding = money (order->rounding, currency, locale);
      add_row (out, _("Rounding"), rounding, width);
    }
  {
    g_autofree char *total = money (order->total, currency, locale);
    add_row (out, _("TOTAL"), total, width);
  }
  if (order->refunded > 0)
    {
      g_autofree char *refunded = money (-order->refunded, currency, locale);
      add_row (out, _("Refunded"), refunded, width);
    }

  if (order->card_last4 != NULL)
    {
      g_autofree char *brand = g_strdup (order->card_brand ? order->card_brand : "");
      g_autofree char *paid = NULL;

      if (*brand != '\0')
        brand[0] = g_ascii_toupper (brand[0]);
      /* Translators: on a receipt: card brand and its last four digits. */
      paid = g_strdup_printf (_("Paid by card: %s •••• %s"), brand, order->card_last4);
      g_string_append_c (out, '\n');
      add_row (out, paid, "", width);
    }
  g_string_append_c (out, '\n');
  add_centered (out, _("Thank you!"), width);

  return g_string_free (g_steal_pointer (&out), FALSE);
}
