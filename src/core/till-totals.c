/* till-totals.c: the one place where tax and discounts are computed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "till-money.h"
#include "till-totals.h"

typedef __int128 wide;

/* n × num / den rounded half-up, for n, num ≥ 0 and den > 0; exact in 128 bits. */
static gint64
mul_div_half_up (gint64 n, gint64 num, gint64 den)
{
  wide product = (wide) n * num;

  return (gint64) ((2 * product + den) / (2 * (wide) den));
}

static gboolean
add_checked (gint64 *sum, gint64 value, GError **error)
{
  if (__builtin_add_overflow (*sum, value, sum) || *sum > TILL_AMOUNT_MAX)
    {
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_OVERFLOW,
                   _ ("The total is too large"));
      return FALSE;
    }
  return TRUE;
}

gboolean
till_discount_validate (const TillDiscount *discount, GError **error)
{
  switch (discount->kind)
    {
      case TILL_DISCOUNT_NONE:
        return TRUE;
      case TILL_DISCOUNT_PERCENT:
        if (discount->value < 0 || discount->value > 10000)
          {
            g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID,
                         _ ("A discount must be between 0 and 100 %%"));
            return FALSE;
          }
        return TRUE;
      case TILL_DISCOUNT_AMOUNT:
        if (discount->value < 0 || discount->value > TILL_AMOUNT_MAX)
          {
            g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID,
                         _ ("A discount amount cannot be negative or that large"));
            return FALSE;
          }
        return TRUE;
      default:
        g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID,
                     _ ("Unknown kind of discount"));
        return FALSE;
    }
}

/* How much @discount takes off @base: never more than @base, never below zero. */
static gint64
discount_amount (const TillDiscount *discount, gint64 base)
{
  switch (discount->kind)
    {
      case TILL_DISCOUNT_PERCENT:
        return MIN (mul_div_half_up (base, discount->value, 10000), base);
      case TILL_DISCOUNT_AMOUNT:
        return MIN (discount->value, base);
      case TILL_DISCOUNT_NONE:
      default:
        return 0;
    }
}

static gboolean
validate_line (const TillTotalsLine *line, guint index, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (line->quantity < 1 || line->quantity > TILL_QUANTITY_MAX)
    {
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID,
                   _ ("Line %u: the quantity must be between 1 and %d"), index + 1,
                   TILL_QUANTITY_MAX);
      return FALSE;
    }
  if (line->unit_amount < 0 || line->unit_amount > TILL_AMOUNT_MAX)
    {
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID,
                   _ ("Line %u: the price cannot be negative or that large"), index + 1);
      return FALSE;
    }
  if (line->tax_rate < 0 || line->tax_rate > TILL_TAX_RATE_MAX)
    {
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID,
                   _ ("Line %u: the tax rate must be between 0 and 100 %%"), index + 1);
      return FALSE;
    }
  if (!till_discount_validate (&line->discount, &local_error))
    {
      g_set_error (error, TILL_MONEY_ERROR, local_error->code, _ ("Line %u: %s"), index + 1,
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* Spreads @total over @n parts in proportion to @weights (largest remainder, earlier parts
 * first on ties), so the shares add up to @total exactly. Requires @total ≤ Σ weights. */
static void
spread (gint64 total, const gint64 *weights, guint n, gint64 weight_sum, gint64 *shares)
{
  g_autofree gint64 *remainders = g_new (gint64, n);
  gint64             given = 0;

  for (guint i = 0; i < n; i++)
    {
      wide product = (wide) total * weights[i];

      shares[i] = (gint64) (product / weight_sum);
      remainders[i] = (gint64) (product % weight_sum);
      given += shares[i];
    }

  for (gint64 left = total - given; left > 0; left--)
    {
      guint best = 0;

      for (guint i = 1; i < n; i++)
        if (remainders[i] > remainders[best])
          best = i;
      shares[best]++;
      remainders[best] = -1;
    }
}

/**
 * till_totals_compute:
 * @currency: the cart's currency (for the charge increment)
 * @prices_include_tax: whether unit amounts already include tax
 * @lines: (array length=n_lines): the cart's lines
 * @cart_discount: (nullable): a discount on the whole cart
 * @out_lines: (out caller-allocates) (array length=n_lines) (nullable): per-line results
 * @out_totals: (out caller-allocates): the cart's totals
 *
 * Computes the cart as described in till-totals.h. Fails (and writes nothing) on a line
 * out of range or a total beyond TILL_AMOUNT_MAX.
 */
gboolean
till_totals_compute (const TillCurrency   *currency,
                     gboolean              prices_include_tax,
                     const TillTotalsLine *lines,
                     guint                 n_lines,
                     const TillDiscount   *cart_discount,
                     TillLineTotals       *out_lines,
                     TillTotals           *out_totals,
                     GError              **error)
{
  g_autofree TillLineTotals *result = g_new0 (TillLineTotals, MAX (n_lines, 1));
  g_autofree gint64         *remaining = g_new0 (gint64, MAX (n_lines, 1));
  g_autofree gint64         *shares = g_new0 (gint64, MAX (n_lines, 1));
  TillTotals                 totals = {
                    0,
  };
  gint64 remaining_sum = 0;
  gint64 before_rounding = 0;
  gint64 rounded;

  g_return_val_if_fail (currency != NULL, FALSE);
  g_return_val_if_fail (lines != NULL || n_lines == 0, FALSE);
  g_return_val_if_fail (out_totals != NULL, FALSE);

  if (cart_discount != NULL && !till_discount_validate (cart_discount, error))
    return FALSE;

  for (guint i = 0; i < n_lines; i++)
    {
      if (!validate_line (&lines[i], i, error))
        return FALSE;

      if (__builtin_mul_overflow (lines[i].unit_amount, lines[i].quantity, &result[i].gross) ||
          result[i].gross > TILL_AMOUNT_MAX)
        {
          g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_OVERFLOW,
                       _ ("Line %u: the amount is too large"), i + 1);
          return FALSE;
        }
      result[i].line_discount = discount_amount (&lines[i].discount, result[i].gross);
      remaining[i] = result[i].gross - result[i].line_discount;
      if (!add_checked (&remaining_sum, remaining[i], error))
        return FALSE;
    }

  if (cart_discount != NULL && remaining_sum > 0)
    spread (discount_amount (cart_discount, remaining_sum), remaining, n_lines, remaining_sum,
            shares);

  for (guint i = 0; i < n_lines; i++)
    {
      TillLineTotals *line = &result[i];
      gint64          net;
      int             rate = lines[i].tax_rate;

      line->cart_discount_share = shares[i];
      line->discount = line->line_discount + line->cart_discount_share;
      net = line->gross - line->discount;
      if (prices_include_tax)
        {
          line->tax = mul_div_half_up (net, rate, 10000 + rate);
          line->total = net;
        }
      else
        {
          line->tax = mul_div_half_up (net, rate, 10000);
          line->total = net + line->tax;
        }

      if (!add_checked (&totals.subtotal, line->gross, error) ||
          !add_checked (&totals.discount, line->discount, error) ||
          !add_checked (&totals.tax, line->tax, error) ||
          !add_checked (&before_rounding, line->total, error))
        return FALSE;
    }

  rounded = till_money_round_to_increment (before_rounding,
                                           till_currency_get_charge_increment (currency));
  totals.rounding = rounded - before_rounding;
  totals.total = rounded;
  if (totals.total > TILL_AMOUNT_MAX)
    {
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_OVERFLOW,
                   _ ("The total is too large"));
      return FALSE;
    }

  if (out_lines != NULL && n_lines > 0)
    memcpy (out_lines, result, n_lines * sizeof *result);
  *out_totals = totals;
  return TRUE;
}
