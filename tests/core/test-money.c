/* test-money.c: currencies, exact parsing, Stripe encoding and locale display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-core.h"

static void
assert_parses (const char *text, const char *code, gint64 expected)
{
  g_autoptr (GError) error = NULL;
  gint64 value = -1;

  g_test_message ("parse “%s” %s", text, code);
  g_assert_true (
      till_money_parse (text, till_currency_lookup (code), TILL_PARSE_DEFAULT, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, expected);
}

static void
assert_parse_fails (const char *text, const char *code, TillParseFlags flags, int code_expected)
{
  g_autoptr (GError) error = NULL;
  gint64 value = 42;

  g_test_message ("parse “%s” %s fails", text, code);
  g_assert_false (till_money_parse (text, till_currency_lookup (code), flags, &value, &error));
  g_assert_error (error, TILL_MONEY_ERROR, code_expected);
  g_assert_cmpint (value, ==, 42);
  g_assert_nonnull (error->message);
}

static void
test_currency_table (void)
{
  const char         *zero_decimal[] = { "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
                                         "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF" };
  const char         *three_decimal[] = { "BHD", "JOD", "KWD", "OMR", "TND" };
  const char *const  *codes = till_currency_list_codes ();
  const TillCurrency *usd = till_currency_lookup ("usd");

  g_assert_nonnull (usd);
  g_assert_true (usd == till_currency_lookup ("USD"));
  g_assert_cmpstr (till_currency_get_code (usd), ==, "USD");
  g_assert_cmpstr (till_currency_get_stripe_code (usd), ==, "usd");
  g_assert_cmpint (till_currency_get_exponent (usd), ==, 2);
  g_assert_cmpint (till_currency_get_stripe_minimum (usd), ==, 50);

  for (guint i = 0; i < G_N_ELEMENTS (zero_decimal); i++)
    {
      const TillCurrency *c = till_currency_lookup (zero_decimal[i]);
      g_assert_nonnull (c);
      g_assert_true (till_currency_is_zero_decimal (c));
      g_assert_cmpint (till_currency_get_stripe_exponent (c), ==, 0);
      g_assert_cmpint (till_currency_get_charge_increment (c), ==, 1);
    }
  for (guint i = 0; i < G_N_ELEMENTS (three_decimal); i++)
    {
      const TillCurrency *c = till_currency_lookup (three_decimal[i]);
      g_assert_nonnull (c);
      g_assert_cmpint (till_currency_get_exponent (c), ==, 3);
      g_assert_cmpint (till_currency_get_stripe_exponent (c), ==, 3);
      g_assert_cmpint (till_currency_get_charge_increment (c), ==, 10);
    }

  /* ISK: zero-decimal for people, two decimals on Stripe's wire. HUF: two decimals. */
  g_assert_cmpint (till_currency_get_exponent (till_currency_lookup ("ISK")), ==, 0);
  g_assert_cmpint (till_currency_get_stripe_exponent (till_currency_lookup ("ISK")), ==, 2);
  g_assert_cmpint (till_currency_get_exponent (till_currency_lookup ("HUF")), ==, 2);
  g_assert_cmpint (till_currency_get_stripe_exponent (till_currency_lookup ("HUF")), ==, 2);

  g_assert_null (till_currency_lookup ("XXX"));
  g_assert_null (till_currency_lookup ("US"));
  g_assert_null (till_currency_lookup ("USDD"));
  g_assert_null (till_currency_lookup ("U$D"));
  g_assert_null (till_currency_lookup (""));
  g_assert_null (till_currency_lookup (NULL));

  /* The table is sorted: every listed code is found again. */
  for (guint i = 0; codes[i] != NULL; i++)
    {
      g_assert_nonnull (till_currency_lookup (codes[i]));
      if (i > 0)
        g_assert_cmpint (strcmp (codes[i - 1], codes[i]), <, 0);
    }
}

static void
test_parse_valid (void)
{
  assert_parses ("12.50", "USD", 1250);
  assert_parses ("12.5", "USD", 1250);
  assert_parses ("12", "USD", 1200);
  assert_parses ("0.01", "USD", 1);
  assert_parses ("0", "USD", 0);
  assert_parses ("007.10", "USD", 710);
  assert_parses ("12.500", "USD", 1250); /* zeros beyond the exponent lose nothing */
  assert_parses ("1000", "JPY", 1000);
  assert_parses ("1000.0", "JPY", 1000);
  assert_parses ("5.125", "KWD", 5125);
  assert_parses ("5.1", "KWD", 5100);
  assert_parses ("5", "ISK", 5);
  assert_parses ("1234.56", "HUF", 123456);
  assert_parses ("9999999999999.99", "USD", TILL_AMOUNT_MAX);
  assert_parses ("999999999999999", "JPY", TILL_AMOUNT_MAX);
}

static void
test_parse_invalid (void)
{
  const char *garbage[] = { "",    ".",     "12.",  ".5", "1,000", "1 000", "1e3", " 12", "12 ",
                            "abc", "12.5x", "0x10", "١٢", "12..5", "1.2.3", "NaN", "∞",   "−5" };

  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    assert_parse_fails (garbage[i], "USD", TILL_PARSE_DEFAULT, TILL_MONEY_ERROR_INVALID);

  assert_parse_fails ("12.505", "USD", TILL_PARSE_DEFAULT, TILL_MONEY_ERROR_TOO_MANY_DECIMALS);
  assert_parse_fails ("12.001", "USD", TILL_PARSE_DEFAULT, TILL_MONEY_ERROR_TOO_MANY_DECIMALS);
  assert_parse_fails ("1000.5", "JPY", TILL_PARSE_DEFAULT, TILL_MONEY_ERROR_TOO_MANY_DECIMALS);
  assert_parse_fails ("5.1255", "KWD", TILL_PARSE_DEFAULT, TILL_MONEY_ERROR_TOO_MANY_DECIMALS);
  assert_parse_fails ("5.5", "ISK", TILL_PARSE_DEFAULT, TILL_MONEY_ERROR_TOO_MANY_DECIMALS);

  assert_parse_fails ("-5", "USD", TILL_PARSE_DEFAULT, TILL_MONEY_ERROR_NEGATIVE);
  assert_parse_fails ("+5", "USD", TILL_PARSE_DEFAULT, TILL_MONEY_ERROR_NEGATIVE);
  assert_parse_fails ("+5", "USD", TILL_PARSE_ALLOW_NEGATIVE, TILL_MONEY_ERROR_NEGATIVE);
  assert_parse_fails ("--5", "USD", TILL_PARSE_ALLOW_NEGATIVE, TILL_MONEY_ERROR_INVALID);

  assert_parse_fails ("10000000000000.00", "USD", TILL_PARSE_DEFAULT, TILL_MONEY_ERROR_OVERFLOW);
  assert_parse_fails ("1000000000000000", "JPY", TILL_PARSE_DEFAULT, TILL_MONEY_ERROR_OVERFLOW);
  assert_parse_fails ("99999999999999999999999999", "USD", TILL_PARSE_DEFAULT,
                      TILL_MONEY_ERROR_OVERFLOW);
}

static void
test_parse_negative (void)
{
  gint64 value = 0;

  g_assert_true (till_money_parse ("-5", till_currency_lookup ("USD"), TILL_PARSE_ALLOW_NEGATIVE,
                                   &value, NULL));
  g_assert_cmpint (value, ==, -500);
  g_assert_true (till_money_parse ("-0.05", till_currency_lookup ("USD"), TILL_PARSE_ALLOW_NEGATIVE,
                                   &value, NULL));
  g_assert_cmpint (value, ==, -5);
}

static void
test_parse_localized (void)
{
  const struct
  {
    const char *text;
    const char *locale;
    const char *code;
    gint64      expected; /* -1: must fail */
  } cases[] = {
    { "1.234,50", "tr_TR", "TRY", 123450 },
    { "12,5", "tr_TR", "TRY", 1250 },
    { " 12,50 ", "tr_TR", "TRY", 1250 },
    { "1234", "tr_TR", "TRY", 123400 },
    { "1.5", "tr_TR", "TRY", -1 }, /* a grouping point, not a decimal one */
    { "12.50", "tr_TR", "TRY", -1 },
    { "1,234.50", "en_US", "USD", 123450 },
    { "1,234,567.89", "en_US", "USD", 123456789 },
    { "12,34", "en_US", "USD", -1 },
    { "1,2345", "en_US", "USD", -1 },
    { "1.234.567,89", "de_DE", "EUR", 123456789 },
    { "1,235", "ja_JP", "JPY", 1235 },
    { "12,505", "de_DE", "EUR", -1 },
    { "", "de_DE", "EUR", -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      gint64   value = 0;
      gboolean ok;

      g_test_message ("localized “%s” in %s", cases[i].text, cases[i].locale);
      ok = till_money_parse_localized (cases[i].text, till_currency_lookup (cases[i].code),
                                       cases[i].locale, TILL_PARSE_DEFAULT, &value, &error);
      if (cases[i].expected < 0)
        {
          g_assert_false (ok);
          g_assert_error (error, TILL_MONEY_ERROR, error->code);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_cmpint (value, ==, cases[i].expected);
        }
    }
}

static void
test_tax_rate (void)
{
  g_autoptr (GError) error = NULL;
  int bp = -1;

  g_assert_true (till_tax_rate_parse ("18", &bp, NULL));
  g_assert_cmpint (bp, ==, 1800);
  g_assert_true (till_tax_rate_parse ("8.5", &bp, NULL));
  g_assert_cmpint (bp, ==, 850);
  g_assert_true (till_tax_rate_parse ("8.25", &bp, NULL));
  g_assert_cmpint (bp, ==, 825);
  g_assert_true (till_tax_rate_parse ("0", &bp, NULL));
  g_assert_cmpint (bp, ==, 0);
  g_assert_true (till_tax_rate_parse ("100", &bp, NULL));
  g_assert_cmpint (bp, ==, 10000);

  g_assert_false (till_tax_rate_parse ("100.01", &bp, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_OVERFLOW);
  g_clear_error (&error);
  g_assert_false (till_tax_rate_parse ("8.125", &bp, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_TOO_MANY_DECIMALS);
  g_clear_error (&error);
  g_assert_false (till_tax_rate_parse ("-1", &bp, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NEGATIVE);
  g_clear_error (&error);
  g_assert_false (till_tax_rate_parse ("18%", &bp, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID);
}

static void
test_to_string (void)
{
  const struct
  {
    gint64      amount;
    const char *code;
    const char *expected;
  } cases[] = {
    { 123450, "USD", "1234.50" },
    { -5, "USD", "-0.05" },
    { 0, "USD", "0.00" },
    { 1000, "JPY", "1000" },
    { 5125, "KWD", "5.125" },
    { 5, "ISK", "5" },
    { TILL_AMOUNT_MAX, "USD", "9999999999999.99" },
  };
  const struct
  {
    int         bp;
    const char *expected;
  } rates[] = { { 1800, "18" }, { 850, "8.5" },   { 825, "8.25" },
                { 0, "0" },     { 10000, "100" }, { 5, "0.05" } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const TillCurrency *currency = till_currency_lookup (cases[i].code);
      g_autofree char    *text = till_money_to_decimal_string (cases[i].amount, currency);
      gint64              back = 0;

      g_assert_cmpstr (text, ==, cases[i].expected);
      g_assert_true (till_money_parse (text, currency, TILL_PARSE_ALLOW_NEGATIVE, &back, NULL));
      g_assert_cmpint (back, ==, cases[i].amount);
    }
  for (guint i = 0; i < G_N_ELEMENTS (rates); i++)
    {
      g_autofree char *text = till_tax_rate_to_string (rates[i].bp);
      g_assert_cmpstr (text, ==, rates[i].expected);
    }
}

static void
test_format_locales (void)
{
  const struct
  {
    gint64      amount;
    const char *code;
    const char *locale;
    const char *expected;
  } cases[] = {
    { 123450, "TRY", "tr_TR", "₺1.234,50" },
    { 123450, "USD", "en_US", "$1,234.50" },
    { 123450, "EUR", "de_DE", "1.234,50\u00a0€" },
    { 1235, "JPY", "ja_JP", "￥1,235" },
    { 1235, "JPY", "en_US", "¥1,235" },
    { 5125, "KWD", "en_US", "KWD\u00a05.125" },
    { 1234, "ISK", "en_US", "ISK\u00a01,234" }, /* ISO's zero decimals, not ICU's */
    { 123450, "HUF", "hu_HU", "1\u00a0234,50\u00a0Ft" },
    { -550, "USD", "en_US", "-$5.50" },
    { 0, "TRY", "tr_TR", "₺0,00" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = till_money_format (
          cases[i].amount, till_currency_lookup (cases[i].code), cases[i].locale);
      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
assert_stripe (gint64 amount, const char *code, gint64 expected)
{
  const TillCurrency *currency = till_currency_lookup (code);
  g_autoptr (GError) error = NULL;
  gint64 stripe = 0;
  gint64 back = 0;

  g_assert_true (till_money_to_stripe (amount, currency, &stripe, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stripe, ==, expected);
  g_assert_true (till_money_from_stripe (stripe, currency, &back, &error));
  g_assert_cmpint (back, ==, amount);
}

static void
assert_stripe_fails (gint64 amount, const char *code, int expected)
{
  g_autoptr (GError) error = NULL;
  gint64 stripe = 7;

  g_assert_false (till_money_to_stripe (amount, till_currency_lookup (code), &stripe, &error));
  g_assert_error (error, TILL_MONEY_ERROR, expected);
  g_assert_cmpint (stripe, ==, 7);
}

static void
test_stripe_encoding (void)
{
  g_autoptr (GError) error = NULL;
  gint64 value;

  assert_stripe (1250, "USD", 1250);
  assert_stripe (50, "USD", 50);
  assert_stripe (99999999, "USD", 99999999);
  assert_stripe (1000, "JPY", 1000);
  assert_stripe (5120, "KWD", 5120);
  assert_stripe (500, "ISK", 50000); /* ISK 500 goes out with two decimals */
  assert_stripe (999999, "ISK", 99999900);
  assert_stripe (17500, "HUF", 17500);

  assert_stripe_fails (49, "USD", TILL_MONEY_ERROR_STRIPE_MINIMUM);
  assert_stripe_fails (0, "USD", TILL_MONEY_ERROR_STRIPE_MINIMUM);
  assert_stripe_fails (-100, "USD", TILL_MONEY_ERROR_STRIPE_MINIMUM);
  assert_stripe_fails (100000000, "USD", TILL_MONEY_ERROR_STRIPE_MAXIMUM);
  assert_stripe_fails (1000000, "ISK", TILL_MONEY_ERROR_STRIPE_MAXIMUM);
  assert_stripe_fails (5, "ISK", TILL_MONEY_ERROR_STRIPE_MINIMUM);
  assert_stripe_fails (5125, "KWD", TILL_MONEY_ERROR_STRIPE_INCREMENT);
  assert_stripe_fails (5124, "KWD", TILL_MONEY_ERROR_STRIPE_INCREMENT);
  assert_stripe_fails (17499, "HUF", TILL_MONEY_ERROR_STRIPE_MINIMUM);
  assert_stripe_fails (TILL_AMOUNT_MAX, "JPY", TILL_MONEY_ERROR_STRIPE_MAXIMUM);

  /* Refunds: no minimum charge, but positive and in the charge increment. */
  g_assert_true (till_money_to_stripe_refund (10, till_currency_lookup ("USD"), &value, NULL));
  g_assert_cmpint (value, ==, 10);
  g_assert_true (till_money_to_stripe_refund (1, till_currency_lookup ("ISK"), &value, NULL));
  g_assert_cmpint (value, ==, 100);
  g_assert_false (till_money_to_stripe_refund (0, till_currency_lookup ("USD"), &value, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_STRIPE_MINIMUM);
  g_clear_error (&error);
  g_assert_false (till_money_to_stripe_refund (5, till_currency_lookup ("KWD"), &value, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_STRIPE_INCREMENT);
  g_clear_error (&error);
  g_assert_false (
      till_money_to_stripe_refund (100000000, till_currency_lookup ("USD"), &value, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_STRIPE_MAXIMUM);
  g_clear_error (&error);

  g_assert_false (till_money_from_stripe (50050, till_currency_lookup ("ISK"), &value, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID);
}

static void
test_round_to_increment (void)
{
  g_assert_cmpint (till_money_round_to_increment (5124, 10), ==, 5120);
  g_assert_cmpint (till_money_round_to_increment (5125, 10), ==, 5130);
  g_assert_cmpint (till_money_round_to_increment (5126, 10), ==, 5130);
  g_assert_cmpint (till_money_round_to_increment (5130, 10), ==, 5130);
  g_assert_cmpint (till_money_round_to_increment (4, 10), ==, 0);
  g_assert_cmpint (till_money_round_to_increment (5, 10), ==, 10);
  g_assert_cmpint (till_money_round_to_increment (-5125, 10), ==, -5130);
  g_assert_cmpint (till_money_round_to_increment (-5124, 10), ==, -5120);
  g_assert_cmpint (till_money_round_to_increment (1234, 1), ==, 1234);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/currency/table", test_currency_table);
  g_test_add_func ("/core/money/parse/valid", test_parse_valid);
  g_test_add_func ("/core/money/parse/invalid", test_parse_invalid);
  g_test_add_func ("/core/money/parse/negative", test_parse_negative);
  g_test_add_func ("/core/money/parse/localized", test_parse_localized);
  g_test_add_func ("/core/money/tax-rate", test_tax_rate);
  g_test_add_func ("/core/money/to-string", test_to_string);
  g_test_add_func ("/core/money/format", test_format_locales);
  g_test_add_func ("/core/money/stripe", test_stripe_encoding);
  g_test_add_func ("/core/money/round-to-increment", test_round_to_increment);

  return g_test_run ();
}
