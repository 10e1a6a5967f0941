/* test-cash.c: change, cash rounding, split parts, drawer counts and quick amounts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-core.h"

static void
test_round (void)
{
  /* CHF to 0.05, half up. */
  g_assert_cmpint (till_cash_round (1232, 5, TILL_CASH_ROUND_NEAREST), ==, 1230);
  g_assert_cmpint (till_cash_round (1233, 5, TILL_CASH_ROUND_NEAREST), ==, 1235);
  g_assert_cmpint (till_cash_round (1237, 5, TILL_CASH_ROUND_NEAREST), ==, 1235);
  g_assert_cmpint (till_cash_round (1238, 5, TILL_CASH_ROUND_NEAREST), ==, 1240);
  g_assert_cmpint (till_cash_round (1235, 5, TILL_CASH_ROUND_NEAREST), ==, 1235);
  /* SEK to whole kronor: 0.50 goes up. */
  g_assert_cmpint (till_cash_round (1249, 100, TILL_CASH_ROUND_NEAREST), ==, 1200);
  g_assert_cmpint (till_cash_round (1250, 100, TILL_CASH_ROUND_NEAREST), ==, 1300);
  /* DKK to 50 øre: 0.25 goes up. */
  g_assert_cmpint (till_cash_round (1224, 50, TILL_CASH_ROUND_NEAREST), ==, 1200);
  g_assert_cmpint (till_cash_round (1225, 50, TILL_CASH_ROUND_NEAREST), ==, 1250);
  g_assert_cmpint (till_cash_round (1275, 50, TILL_CASH_ROUND_NEAREST), ==, 1300);
  /* Negative amounts (refunds) round symmetrically. */
  g_assert_cmpint (till_cash_round (-1232, 5, TILL_CASH_ROUND_NEAREST), ==, -1230);
  g_assert_cmpint (till_cash_round (-1233, 5, TILL_CASH_ROUND_NEAREST), ==, -1235);
  g_assert_cmpint (till_cash_round (-2, 5, TILL_CASH_ROUND_NEAREST), ==, 0);
  /* Down and up. */
  g_assert_cmpint (till_cash_round (1234, 5, TILL_CASH_ROUND_DOWN), ==, 1230);
  g_assert_cmpint (till_cash_round (-1234, 5, TILL_CASH_ROUND_DOWN), ==, -1235);
  g_assert_cmpint (till_cash_round (1231, 5, TILL_CASH_ROUND_UP), ==, 1235);
  g_assert_cmpint (till_cash_round (-1231, 5, TILL_CASH_ROUND_UP), ==, -1230);
  /* No rounding. */
  g_assert_cmpint (till_cash_round (1233, 0, TILL_CASH_ROUND_NEAREST), ==, 1233);
  g_assert_cmpint (till_cash_round (1233, 1, TILL_CASH_ROUND_NEAREST), ==, 1233);
  /* The largest amount stays exact. */
  g_assert_cmpint (till_cash_round (TILL_AMOUNT_MAX, 100, TILL_CASH_ROUND_NEAREST), ==,
                   TILL_AMOUNT_MAX + 1);
  g_assert_cmpint (till_cash_round (TILL_AMOUNT_MAX, 5, TILL_CASH_ROUND_DOWN), ==,
                   TILL_AMOUNT_MAX - 4);
}

static void
test_rounding_table (void)
{
  struct
  {
    const char *code;
    gint64      increment;
  } expected[] = {
    { "CHF", 5 }, { "SEK", 100 }, { "NOK", 100 }, { "DKK", 50 }, { "CAD", 5 },
    { "AUD", 5 }, { "NZD", 10 },  { "EUR", 0 },   { "USD", 0 },  { "GBP", 0 },
    { "TRY", 0 }, { "JPY", 0 },   { "KWD", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      gint64 increment = till_cash_rounding_for_currency (till_currency_lookup (expected[i].code));

      g_test_message ("%s", expected[i].code);
      g_assert_cmpint (increment, ==, expected[i].increment);
      g_assert_true (till_cash_rounding_is_valid (increment));
    }

  g_assert_true (till_cash_rounding_is_valid (0));
  g_assert_false (till_cash_rounding_is_valid (1));
  g_assert_false (till_cash_rounding_is_valid (25));
  g_assert_false (till_cash_rounding_is_valid (-5));
}

static void
test_change (void)
{
  g_autoptr (GError) error = NULL;
  gint64 change = 42;

  g_assert_true (till_cash_change (1340, 2000, &change, &error));
  g_assert_no_error (error);
  g_assert_cmpint (change, ==, 660);

  g_assert_true (till_cash_change (1340, 1340, &change, &error));
  g_assert_cmpint (change, ==, 0);

  change = 42;
  g_assert_false (till_cash_change (1340, 1339, &change, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_SHORT);
  g_assert_cmpint (change, ==, 42);
  g_clear_error (&error);

  g_assert_false (till_cash_change (1340, -1, &change, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (till_cash_change (1340, TILL_AMOUNT_MAX + 1, &change, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_INVALID);
}

static void
test_tender (void)
{
  g_autoptr (GError) error = NULL;
  gint64 rounding = 42;
  gint64 change = 42;

  /* CHF 12.32, rounded to 12.30; 20 tendered. */
  g_assert_true (till_cash_tender (1232, 5, 2000, &rounding, &change, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rounding, ==, -2);
  g_assert_cmpint (change, ==, 770);

  /* CHF 12.33, rounded up to 12.35: 12.33 tendered is short. */
  g_assert_false (till_cash_tender (1233, 5, 1233, &rounding, &change, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_SHORT);
  g_clear_error (&error);
  g_assert_true (till_cash_tender (1233, 5, 1235, &rounding, &change, &error));
  g_assert_cmpint (rounding, ==, 2);
  g_assert_cmpint (change, ==, 0);

  /* No rounding. */
  g_assert_true (till_cash_tender (1233, 0, 1300, &rounding, &change, &error));
  g_assert_cmpint (rounding, ==, 0);
  g_assert_cmpint (change, ==, 67);

  g_assert_false (till_cash_tender (0, 5, 100, &rounding, &change, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (till_cash_tender (100, 3, 100, &rounding, &change, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_ROUNDING);
}

static void
test_split (void)
{
  g_autoptr (GError) error = NULL;
  const TillCurrency *eur = till_currency_lookup ("EUR");
  const TillCurrency *kwd = till_currency_lookup ("KWD");
  gint64              card = 42;

  g_assert_true (till_cash_split_card_part (5000, 2000, eur, &card, &error));
  g_assert_no_error (error);
  g_assert_cmpint (card, ==, 3000);

  /* The card part at Stripe's minimum (EUR 0.50) passes, below it is refused. */
  g_assert_true (till_cash_split_card_part (5000, 4950, eur, &card, &error));
  g_assert_cmpint (card, ==, 50);
  card = 42;
  g_assert_false (till_cash_split_card_part (5000, 4951, eur, &card, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_CARD_MINIMUM);
  g_assert_nonnull (strstr (error->message, "0.50"));
  g_assert_cmpint (card, ==, 42);
  g_clear_error (&error);

  /* A three-decimal card part must end in 0. */
  g_assert_false (till_cash_split_card_part (5000, 1005, kwd, &card, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_CARD_MINIMUM);
  g_clear_error (&error);

  /* All cash, or no cash, is not a split. */
  g_assert_false (till_cash_split_card_part (5000, 5000, eur, &card, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (till_cash_split_card_part (5000, 0, eur, &card, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_INVALID);
}

static void
test_split_refund (void)
{
  const TillCurrency *eur = till_currency_lookup ("EUR");
  const TillCurrency *kwd = till_currency_lookup ("KWD");
  gint64              cash, card;

  /* 20 cash + 30 card: a 10 refund is 4 cash and 6 card. */
  till_cash_split_refund (1000, 2000, 3000, eur, &cash, &card);
  g_assert_cmpint (cash, ==, 400);
  g_assert_cmpint (card, ==, 600);

  /* The whole order back. */
  till_cash_split_refund (5000, 2000, 3000, eur, &cash, &card);
  g_assert_cmpint (cash, ==, 2000);
  g_assert_cmpint (card, ==, 3000);

  /* 1/3 of 1.00: the parts add up. */
  till_cash_split_refund (100, 100, 200, eur, &cash, &card);
  g_assert_cmpint (cash + card, ==, 100);
  g_assert_cmpint (card, ==, 67);

  /* One tender only. */
  till_cash_split_refund (700, 1000, 0, eur, &cash, &card);
  g_assert_cmpint (cash, ==, 700);
  g_assert_cmpint (card, ==, 0);
  till_cash_split_refund (700, 0, 1000, eur, &cash, &card);
  g_assert_cmpint (cash, ==, 0);
  g_assert_cmpint (card, ==, 700);

  /* KWD: the card part ends in 0. */
  till_cash_split_refund (1001, 1000, 1000, kwd, &cash, &card);
  g_assert_cmpint (card % 10, ==, 0);
  g_assert_cmpint (cash + card, ==, 1001);

  /* Large amounts do not overflow. */
  till_cash_split_refund (TILL_AMOUNT_MAX - 1, TILL_AMOUNT_MAX / 2, TILL_AMOUNT_MAX / 2 + 1, eur,
                          &cash, &card);
  g_assert_cmpint (cash + card, ==, TILL_AMOUNT_MAX - 1);
  g_assert_cmpint (cash, <=, TILL_AMOUNT_MAX / 2);
  g_assert_cmpint (card, <=, TILL_AMOUNT_MAX / 2 + 1);
}

static void
test_denominations (void)
{
  const char *codes[] = { "EUR", "USD", "GBP", "CHF", "TRY", "SEK",
                          "NOK", "DKK", "CAD", "AUD", "NZD", "JPY" };
  guint       n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      const TillCurrency *currency = till_currency_lookup (codes[i]);
      const gint64       *values = till_cash_get_denominations (currency, &n);
      gint64              smallest_note = till_cash_get_smallest_note (currency);
      gboolean            note_found = FALSE;

      g_test_message ("%s", codes[i]);
      g_assert_nonnull (values);
      g_assert_cmpuint (n, >=, 6);
      for (guint k = 0; k < n; k++)
        {
          g_assert_cmpint (values[k], >, 0);
          if (k > 0)
            g_assert_cmpint (values[k], >, values[k - 1]);
          note_found |= values[k] == smallest_note;
        }
      g_assert_true (note_found);
      /* Where cash is rounded, it is rounded to the smallest coin. */
      if (till_cash_rounding_for_currency (currency) != 0)
        g_assert_cmpint (till_cash_rounding_for_currency (currency), ==, values[0]);
    }

  g_assert_null (till_cash_get_denominations (till_currency_lookup ("KWD"), &n));
  g_assert_cmpuint (n, ==, 0);
}

static void
test_count (void)
{
  g_autoptr (GError) error = NULL;
  const TillCurrency *eur = till_currency_lookup ("EUR");
  const TillCurrency *chf = till_currency_lookup ("CHF");
  gint64              denominations[] = { 5000, 2000, 1000, 200, 5 };
  gint64              quantities[] = { 2, 3, 1, 4, 7 };
  gint64              total = 42;

  g_assert_true (till_cash_count_total (eur, denominations, quantities, 5, &total, &error));
  g_assert_no_error (error);
  g_assert_cmpint (total, ==, 10000 + 6000 + 1000 + 800 + 35);

  g_assert_true (till_cash_count_total (eur, NULL, NULL, 0, &total, &error));
  g_assert_cmpint (total, ==, 0);

  /* CHF has no 1- or 2-Rappen coin. */
  total = 42;
  denominations[4] = 2;
  g_assert_false (till_cash_count_total (chf, denominations, quantities, 5, &total, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_DENOMINATION);
  g_assert_cmpint (total, ==, 42);
  g_clear_error (&error);

  denominations[4] = 5;
  quantities[0] = -1;
  g_assert_false (till_cash_count_total (chf, denominations, quantities, 5, &total, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_INVALID);
  g_clear_error (&error);

  quantities[0] = TILL_CASH_QUANTITY_MAX + 1;
  g_assert_false (till_cash_count_total (chf, denominations, quantities, 5, &total, &error));
  g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_INVALID);
  g_clear_error (&error);

  /* A currency without a table takes any positive value, overflow-checked. */
  {
    const TillCurrency *kwd = till_currency_lookup ("KWD");
    gint64              big[] = { TILL_AMOUNT_MAX / 2, TILL_AMOUNT_MAX / 2 };
    gint64              ones[] = { 1, 1 };
    gint64              twos[] = { 2, 1 };

    g_assert_true (till_cash_count_total (kwd, big, ones, 2, &total, &error));
    g_assert_cmpint (total, ==, (TILL_AMOUNT_MAX / 2) * 2);
    g_assert_false (till_cash_count_total (kwd, big, twos, 2, &total, &error));
    g_assert_error (error, TILL_CASH_ERROR, TILL_CASH_ERROR_OVERFLOW);
  }
}

static void
assert_quick (gint64 due, const char *code, guint max, const gint64 *expected, guint n_expected)
{
  g_autoptr (GArray) amounts = till_cash_quick_amounts (due, till_currency_lookup (code), max);

  g_test_message ("%s %" G_GINT64_FORMAT, code, due);
  g_assert_cmpuint (amounts->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    g_assert_cmpint (g_array_index (amounts, gint64, i), ==, expected[i]);
}

static void
test_quick_amounts (void)
{
  const gint64 eur[] = { 1340, 1500, 2000, 5000 };
  const gint64 eur_round[] = { 2000, 2500, 3000, 4000, 5000, 10000 };
  const gint64 usd[] = { 1340, 1400, 1500, 2000, 5000, 10000 };
  const gint64 jpy[] = { 1340, 2000, 5000, 10000 };
  const gint64 kwd[] = { 1340 };

  assert_quick (1340, "EUR", 4, eur, G_N_ELEMENTS (eur));
  assert_quick (2000, "EUR", 6, eur_round, G_N_ELEMENTS (eur_round));
  assert_quick (1340, "USD", 10, usd, G_N_ELEMENTS (usd));
  assert_quick (1340, "JPY", 10, jpy, G_N_ELEMENTS (jpy));
  /* Without a table, only the exact amount. */
  assert_quick (1340, "KWD", 10, kwd, G_N_ELEMENTS (kwd));
  assert_quick (0, "EUR", 10, NULL, 0);
  assert_quick (1340, "EUR", 1, eur, 1);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/cash/round", test_round);
  g_test_add_func ("/core/cash/rounding-table", test_rounding_table);
  g_test_add_func ("/core/cash/change", test_change);
  g_test_add_func ("/core/cash/tender", test_tender);
  g_test_add_func ("/core/cash/split", test_split);
  g_test_add_func ("/core/cash/split-refund", test_split_refund);
  g_test_add_func ("/core/cash/denominations", test_denominations);
  g_test_add_func ("/core/cash/count", test_count);
  g_test_add_func ("/core/cash/quick-amounts", test_quick_amounts);

  return g_test_run ();
}
