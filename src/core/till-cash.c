/* till-cash.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "till-cash.h"
#include "till-money.h"

/* clang-format off */
G_DEFINE_QUARK (till-cash-error-quark, till_cash_error)
/* clang-format on */

/*
 * Where a country has taken its smallest coins out of circulation, cash totals are rounded
 * to the smallest coin left (card payments are not rounded):
 * - CHF 0.05: the 2-Rappen coin went in 1978, the 1-Rappen coin in 2007 (Swiss Federal Mint).
 * - SEK 1.00: the 50-öre coin stopped being legal tender on 30 September 2010 (Riksbank);
 *   cash is rounded to whole kronor.
 * - NOK 1.00: the 50-øre coin was withdrawn on 1 May 2012 (Norges Bank); whole kroner.
 * - DKK 0.50: the 25-øre coin was withdrawn on 1 October 2008 (Danmarks Nationalbank); the
 *   50-øre coin is the smallest, so cash is rounded to 50 øre, not to whole kroner.
 * - CAD 0.05: the Mint stopped distributing the cent on 4 February 2013.
 * - AUD 0.05: the 1- and 2-cent coins were withdrawn in 1992.
 * - NZD 0.10: the 5-cent coin was withdrawn in 2006; the 10-cent coin is the smallest.
 * Euro rounding is decided per country (Finland, the Netherlands, Belgium, Ireland, Italy,
 * Slovakia and others round to 0.05), not per currency, so EUR has no default here.
 */
typedef struct
{
  const char *code;
  gint64      rounding;
  gint64      smallest_note;
  gint64      values[16]; /* ascending, 0-terminated */
} Denominations;

/* Sorted by code. Notes and coins in circulation, in minor units. */
static const Denominations tables[] = {
  { "AUD", 5, 500, { 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000 } },
  { "CAD", 5, 500, { 5, 10, 25, 100, 200, 500, 1000, 2000, 5000, 10000 } },
  { "CHF", 5, 1000, { 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 100000 } },
  { "DKK", 50, 5000, { 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000 } },
  { "EUR", 0, 500, { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000 } },
  { "GBP", 0, 500, { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000 } },
  { "JPY", 0, 1000, { 1, 5, 10, 50, 100, 500, 1000, 2000, 5000, 10000 } },
  { "NOK", 100, 5000, { 100, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000 } },
  { "NZD", 10, 500, { 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000 } },
  { "SEK", 100, 2000, { 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000 } },
  { "TRY", 0, 500, { 1, 5, 10, 25, 50, 100, 500, 1000, 2000, 5000, 10000, 20000 } },
  { "USD", 0, 100, { 1, 5, 10, 25, 50, 100, 200, 500, 1000, 2000, 5000, 10000 } },
};

static const Denominations *
lookup_table (const TillCurrency *currency)
{
  const char *code = till_currency_get_code (currency);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    if (strcmp (tables[i].code, code) == 0)
      return &tables[i];
  return NULL;
}

/**
 * till_cash_round:
 * @amount: in minor units, may be negative (a refund)
 * @increment: 0 or 1 for no rounding, else the step (5 for CHF 0.05)
 *
 * Returns: @amount rounded to a multiple of @increment as @mode says.
 */
gint64
till_cash_round (gint64 amount, gint64 increment, TillCashRound mode)
{
  gint64 remainder;

  g_return_val_if_fail (increment >= 0, amount);

  if (increment <= 1)
    return amount;

  remainder = amount % increment; /* has the sign of amount */
  if (remainder == 0)
    return amount;

  switch (mode)
    {
      case TILL_CASH_ROUND_DOWN:
        return remainder > 0 ? amount - remainder : amount - remainder - increment;
      case TILL_CASH_ROUND_UP:
        return remainder > 0 ? amount - remainder + increment : amount - remainder;
      case TILL_CASH_ROUND_NEAREST:
      default:
        return till_money_round_to_increment (amount, increment);
    }
}

/* The increments `[store] cash-rounding` may take: none, or 0.05, 0.10, 0.50, 1.00 in a
 * two-decimal currency. */
gboolean
till_cash_rounding_is_valid (gint64 increment)
{
  return increment == 0 || increment == 5 || increment == 10 || increment == 50 || increment == 100;
}

/* The rounding the currency's country applies to cash, 0 where there is none or where it
 * depends on the country (EUR). */
gint64
till_cash_rounding_for_currency (const TillCurrency *currency)
{
  const Denominations *table;

  g_return_val_if_fail (currency != NULL, 0);

  table = lookup_table (currency);
  return table != NULL ? table->rounding : 0;
}

/**
 * till_cash_change:
 * @due: what the customer owes, > 0
 * @tendered: what the customer handed over
 *
 * Refuses @tendered < @due (TILL_CASH_ERROR_SHORT).
 */
gboolean
till_cash_change (gint64 due, gint64 tendered, gint64 *out_change, GError **error)
{
  g_return_val_if_fail (out_change != NULL, FALSE);

  if (due < 0 || tendered < 0 || due > TILL_AMOUNT_MAX || tendered > TILL_AMOUNT_MAX)
    {
      g_set_error_literal (error, TILL_CASH_ERROR, TILL_CASH_ERROR_INVALID,
                           _ ("A cash amount must be between zero and the largest amount"));
      return FALSE;
    }
  if (tendered < due)
    {
      g_set_error_literal (error, TILL_CASH_ERROR, TILL_CASH_ERROR_SHORT,
                           _ ("The cash tendered is less than the amount due"));
      return FALSE;
    }

  *out_change = tendered - due;
  return TRUE;
}

/**
 * till_cash_tender:
 * @amount: the cash part of an order, before cash rounding, > 0
 * @increment: the store's cash rounding (0 for none)
 * @tendered: what the customer handed over
 * @out_rounding: (out): what rounding adds to @amount (negative when it takes off)
 * @out_change: (out): @tendered − (@amount + rounding)
 *
 * The drawer takes @amount + rounding. CHF 12.32 with 0.05 rounding: rounding −0.02, so
 * 12.30 is due; 20.00 tendered gives 7.70 change.
 */
gboolean
till_cash_tender (gint64   amount,
                  gint64   increment,
                  gint64   tendered,
                  gint64  *out_rounding,
                  gint64  *out_change,
                  GError **error)
{
  gint64 due;

  g_return_val_if_fail (out_rounding != NULL && out_change != NULL, FALSE);

  if (!till_cash_rounding_is_valid (increment))
    {
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, increment);
      g_set_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_ROUNDING,
                   _ ("%s is not a cash rounding Till offers"), text);
      return FALSE;
    }
  if (amount <= 0 || amount > TILL_AMOUNT_MAX)
    {
      g_set_error_literal (error, TILL_CASH_ERROR, TILL_CASH_ERROR_INVALID,
                           _ ("A cash amount must be more than zero"));
      return FALSE;
    }

  due = till_cash_round (amount, increment, TILL_CASH_ROUND_NEAREST);
  if (!till_cash_change (due, tendered, out_change, error))
    return FALSE;

  *out_rounding = due - amount;
  return TRUE;
}

/**
 * till_cash_split_card_part:
 * @total: the order's total
 * @cash_part: what is paid in cash (before cash rounding), 0 < @cash_part < @total
 * @out_card_part: (out): @total − @cash_part
 *
 * Refuses a card part Stripe would not charge: under the currency's minimum or, for a
 * three-decimal currency, not ending in 0 (TILL_CASH_ERROR_CARD_MINIMUM).
 */
gboolean
till_cash_split_card_part (gint64              total,
                           gint64              cash_part,
                           const TillCurrency *currency,
                           gint64             *out_card_part,
                           GError            **error)
{
  g_autoptr (GError) stripe_error = NULL;
  gint64 card_part;
  gint64 stripe_amount;

  g_return_val_if_fail (currency != NULL && out_card_part != NULL, FALSE);

  if (cash_part <= 0 || total <= 0 || cash_part >= total)
    {
      g_set_error_literal (error, TILL_CASH_ERROR, TILL_CASH_ERROR_INVALID,
                           _ ("The cash part of a split payment must be more than zero and "
                              "less than the total"));
      return FALSE;
    }

  card_part = total - cash_part;
  if (!till_money_to_stripe (card_part, currency, &stripe_amount, &stripe_error))
    {
      g_set_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_CARD_MINIMUM,
                   _ ("The card part cannot be charged: %s"), stripe_error->message);
      return FALSE;
    }

  *out_card_part = card_part;
  return TRUE;
}

/**
 * till_cash_split_refund:
 * @refund: the amount to give back, at most @cash_paid + @card_paid
 * @out_cash: (out): the part given back in cash
 * @out_card: (out): the part refunded to the card
 *
 * Splits a refund between the tenders in proportion to what each paid, the card part
 * rounded half-up to the currency's charge increment; the parts add up to @refund.
 */
void
till_cash_split_refund (gint64              refund,
                        gint64              cash_paid,
                        gint64              card_paid,
                        const TillCurrency *currency,
                        gint64             *out_cash,
                        gint64             *out_card)
{
  gint64 paid = cash_paid + card_paid;
  gint64 card;

  g_return_if_fail (currency != NULL && out_cash != NULL && out_card != NULL);
  g_return_if_fail (refund >= 0 && cash_paid >= 0 && card_paid >= 0);

  if (card_paid == 0 || paid == 0)
    card = 0;
  else if (cash_paid == 0)
    card = refund;
  else
    {
      /* refund and card_paid are each at most TILL_AMOUNT_MAX: their product needs more
       * than 64 bits. */
      unsigned __int128 product = (unsigned __int128) refund * (unsigned __int128) card_paid;

      card = (gint64) ((product + (unsigned __int128) (paid / 2)) / (unsigned __int128) paid);
      card = till_money_round_to_increment (card, till_currency_get_charge_increment (currency));
    }

  card = CLAMP (card, MAX (0, refund - cash_paid), MIN (refund, card_paid));
  *out_card = card;
  *out_cash = refund - card;
}

/**
 * till_cash_get_denominations:
 * @out_n_values: (out): how many
 *
 * Returns: (nullable) (transfer none): the currency's notes and coins in minor units,
 *   ascending, or %NULL if Till has no table for it.
 */
const gint64 *
till_cash_get_denominations (const TillCurrency *currency, guint *out_n_values)
{
  const Denominations *table;
  guint                n = 0;

  g_return_val_if_fail (currency != NULL && out_n_values != NULL, NULL);

  table = lookup_table (currency);
  if (table == NULL)
    {
      *out_n_values = 0;
      return NULL;
    }

  while (n < G_N_ELEMENTS (table->values) && table->values[n] != 0)
    n++;
  *out_n_values = n;
  return table->values;
}

/* The smallest banknote, in minor units; 0 without a table. */
gint64
till_cash_get_smallest_note (const TillCurrency *currency)
{
  const Denominations *table;

  g_return_val_if_fail (currency != NULL, 0);

  table = lookup_table (currency);
  return table != NULL ? table->smallest_note : 0;
}

/**
 * till_cash_count_total:
 * @denominations: (array length=n_values): note and coin values in minor units
 * @quantities: (array length=n_values): how many of each, 0..TILL_CASH_QUANTITY_MAX
 * @out_total: (out): the sum
 *
 * A drawer count: each denomination must be one of the currency's notes or coins (any
 * value in a currency without a table); refuses a sum over TILL_AMOUNT_MAX.
 */
gboolean
till_cash_count_total (const TillCurrency *currency,
                       const gint64       *denominations,
                       const gint64       *quantities,
                       guint               n_values,
                       gint64             *out_total,
                       GError            **error)
{
  const gint64 *known;
  guint         n_known;
  gint64        total = 0;

  g_return_val_if_fail (currency != NULL && out_total != NULL, FALSE);
  g_return_val_if_fail (n_values == 0 || (denominations != NULL && quantities != NULL), FALSE);

  known = till_cash_get_denominations (currency, &n_known);
  for (guint i = 0; i < n_values; i++)
    {
      gboolean found = (known == NULL && denominations[i] > 0);

      for (guint k = 0; k < n_known && !found; k++)
        found = known[k] == denominations[i];
      if (!found)
        {
          g_autofree char *text = till_money_to_decimal_string (denominations[i], currency);
          g_set_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_DENOMINATION,
                       _ ("%s %s is not a note or coin of this currency"),
                       text != NULL ? text : "?", till_currency_get_code (currency));
          return FALSE;
        }
      if (quantities[i] < 0 || quantities[i] > TILL_CASH_QUANTITY_MAX)
        {
          g_set_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_INVALID,
                       _ ("A count of notes or coins must be between 0 and %d"),
                       TILL_CASH_QUANTITY_MAX);
          return FALSE;
        }
      /* denominations[i] ≤ TILL_AMOUNT_MAX when known; check before multiplying. */
      if (denominations[i] > TILL_AMOUNT_MAX ||
          (quantities[i] > 0 && denominations[i] > (TILL_AMOUNT_MAX - total) / quantities[i]))
        {
          g_set_error_literal (error, TILL_CASH_ERROR, TILL_CASH_ERROR_OVERFLOW,
                               _ ("The count is larger than the largest amount"));
          return FALSE;
        }
      total += denominations[i] * quantities[i];
    }

  *out_total = total;
  return TRUE;
}

static int
compare_amounts (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/**
 * till_cash_quick_amounts:
 * @due: the amount due, > 0
 * @max_values: at most this many amounts, ≥ 1
 *
 * The amounts a cash keypad offers: @due exactly, then each banknote's next multiple above
 * it, ascending and without repeats. EUR 13.40 → 13.40, 15, 20, 50, 100, ….
 *
 * Returns: (transfer full) (element-type gint64): the amounts
 */
GArray *
till_cash_quick_amounts (gint64 due, const TillCurrency *currency, guint max_values)
{
  g_autoptr (GArray) amounts = g_array_new (FALSE, FALSE, sizeof (gint64));
  const gint64 *values;
  guint         n_values;
  gint64        smallest_note;

  g_return_val_if_fail (currency != NULL, NULL);

  if (due <= 0 || due > TILL_AMOUNT_MAX || max_values == 0)
    return g_steal_pointer (&amounts);

  g_array_append_val (amounts, due);

  values = till_cash_get_denominations (currency, &n_values);
  smallest_note = till_cash_get_smallest_note (currency);
  for (guint i = 0; i < n_values; i++)
    {
      gint64 next;

      if (values[i] < smallest_note)
        continue;
      /* The smallest multiple of the note above the amount due. */
      next = (due / values[i] + 1) * values[i];
      if (next > TILL_AMOUNT_MAX)
        continue;
      g_array_append_val (amounts, next);
    }

  g_array_sort (amounts, compare_amounts);
  for (guint i = 1; i < amounts->len;)
    {
      if (g_array_index (amounts, gint64, i) == g_array_index (amounts, gint64, i - 1))
        g_array_remove_index (amounts, i);
      else
        i++;
    }
  if (amounts->len > max_values)
    g_array_set_size (amounts, max_values);

  return g_steal_pointer (&amounts);
}
