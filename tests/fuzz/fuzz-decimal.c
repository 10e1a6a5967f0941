/* fuzz-decimal.c: libFuzzer target for the decimal and localized amount parsers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whatever the input, parsing must not crash, and an accepted amount must come back
 * unchanged through till_money_to_decimal_string() and till_money_parse().
 */
#include "config.h"

#include "till-core.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const char *codes[] = { "USD", "JPY", "KWD", "ISK", "HUF" };
  static const char *locales[] = { "en_US", "tr_TR", "de_DE" };
  g_autofree char   *text = g_strndup ((const char *) data, size);

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      const TillCurrency *currency = till_currency_lookup (codes[i]);
      g_autoptr (GError) error = NULL;
      gint64 amount;

      if (till_money_parse (text, currency, TILL_PARSE_ALLOW_NEGATIVE, &amount, &error))
        {
          g_autofree char *again = till_money_to_decimal_string (amount, currency);
          gint64           back;

          g_assert_true (
              till_money_parse (again, currency, TILL_PARSE_ALLOW_NEGATIVE, &back, NULL));
          g_assert_cmpint (back, ==, amount);
          g_assert_cmpint (ABS (amount), <=, TILL_AMOUNT_MAX);
        }
      else
        g_assert_nonnull (error);
    }

  for (guint i = 0; i < G_N_ELEMENTS (locales); i++)
    {
      gint64 amount;
      g_autoptr (GError) error = NULL;

      if (!till_money_parse_localized (text, till_currency_lookup ("EUR"), locales[i],
                                       TILL_PARSE_DEFAULT, &amount, &error))
        g_assert_nonnull (error);
      else
        g_assert_cmpint (amount, >=, 0);
    }

  {
    int bp;
    if (till_tax_rate_parse (text, &bp, NULL))
      g_assert_true (bp >= 0 && bp <= 10000);
  }
  return 0;
}
