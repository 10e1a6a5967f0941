/* till-money.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <unicode/unum.h>
#include <unicode/ustring.h>

#include "till-money.h"

/* The quark's name, dashes and all, becomes a string. */
/* clang-format off */
G_DEFINE_QUARK (till-money-error-quark, till_money_error)
/* clang-format on */

/* Quote at most this many characters of what the user typed in an error message. */
#define QUOTE_MAX 24

static char *
quote_input (const char *text)
{
  if (g_utf8_validate (text, -1, NULL) && g_utf8_strlen (text, -1) <= QUOTE_MAX)
    return g_strdup (text);
  if (!g_utf8_validate (text, -1, NULL))
    return g_strdup ("…");

  g_autofree char *head = g_utf8_substring (text, 0, QUOTE_MAX);
  return g_strconcat (head, "…", NULL);
}

static gint64
power_of_ten (int exponent)
{
  gint64 value = 1;

  for (int i = 0; i < exponent; i++)
    value *= 10;
  return value;
}

/**
 * till_decimal_parse:
 * @text: a plain decimal number: digits, optionally a point and more digits ("12.50")
 * @exponent: how many decimals the result keeps (2 turns "12.5" into 1250)
 * @flags: %TILL_PARSE_ALLOW_NEGATIVE to accept a leading minus
 * @out_value: (out): the number × 10^@exponent, exactly
 *
 * Strict: no spaces, no grouping, no exponent, no plus sign, at least one digit on each
 * side of a point. Decimals beyond @exponent are accepted only when they are zeros
 * ("12.500" is 1250), since nothing is lost; anything else is never rounded.
 */
gboolean
till_decimal_parse (
    const char *text, int exponent, TillParseFlags flags, gint64 *out_value, GError **error)
{
  const char *p = text;
  gboolean    negative = FALSE;
  gint64      value = 0;
  int         int_digits = 0;
  int         frac_digits = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (exponent >= 0 && exponent <= 6, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (*p == '-' || *p == '+')
    {
      if (*p == '+' || !(flags & TILL_PARSE_ALLOW_NEGATIVE))
        {
          g_autofree char *quoted = quote_input (text);
          g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NEGATIVE,
                       _ ("“%s” has a sign; write the amount without + or −"), quoted);
          return FALSE;
        }
      negative = TRUE;
      p++;
    }

  for (; g_ascii_isdigit (*p); p++, int_digits++)
    {
      if (value > (TILL_AMOUNT_MAX - (*p - '0')) / 10)
        goto overflow;
      value = value * 10 + (*p - '0');
    }

  if (*p == '.')
    {
      p++;
      for (; g_ascii_isdigit (*p); p++, frac_digits++)
        {
          if (frac_digits >= exponent)
            {
              if (*p != '0')
                {
                  g_autofree char *quoted = quote_input (text);
                  if (exponent == 0)
                    g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_TOO_MANY_DECIMALS,
                                 _ ("“%s” has decimals, but this amount is in whole units"),
                                 quoted);
                  else
                    g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_TOO_MANY_DECIMALS,
                                 ngettext ("“%s” has too many decimals: at most %d is allowed",
                                           "“%s” has too many decimals: at most %d are allowed",
                                           exponent),
                                 quoted, exponent);
                  return FALSE;
                }
              continue;
            }
          if (value > (TILL_AMOUNT_MAX - (*p - '0')) / 10)
            goto overflow;
          value = value * 10 + (*p - '0');
        }
      if (frac_digits == 0)
        goto invalid;
    }

  if (*p != '\0' || int_digits == 0)
    goto invalid;

  for (int i = MIN (frac_digits, exponent); i < exponent; i++)
    {
      if (value > TILL_AMOUNT_MAX / 10)
        goto overflow;
      value *= 10;
    }

  *out_value = negative ? -value : value;
  return TRUE;

invalid:
  {
    g_autofree char *quoted = quote_input (text);
    g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID,
                 _ ("“%s” is not a number: use digits and a point, like 12.50"), quoted);
    return FALSE;
  }
overflow:
  {
    g_autofree char *quoted = quote_input (text);
    g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_OVERFLOW, _ ("“%s” is too large"),
                 quoted);
    return FALSE;
  }
}

/**
 * till_money_parse:
 * @text: a decimal string in @currency's major unit ("12.50" USD, "1000" JPY, "5.125" KWD)
 * @out_amount: (out): the amount in @currency's minor units
 */
gboolean
till_money_parse (const char         *text,
                  const TillCurrency *currency,
                  TillParseFlags      flags,
                  gint64             *out_amount,
                  GError            **error)
{
  g_return_val_if_fail (currency != NULL, FALSE);

  return till_decimal_parse (text, till_currency_get_exponent (currency), flags, out_amount, error);
}

static gboolean
get_symbol (UNumberFormat *fmt, UNumberFormatSymbol symbol, char *buf, gsize size)
{
  UChar      usym[16];
  UErrorCode status = U_ZERO_ERROR;
  int32_t    len = unum_getSymbol (fmt, symbol, usym, G_N_ELEMENTS (usym), &status);

  if (U_FAILURE (status))
    return FALSE;
  u_strToUTF8 (buf, size, NULL, usym, len, &status);
  return U_SUCCESS (status);
}

/**
 * till_money_parse_localized:
 * @text: an amount as a person types it in @locale: "1.234,50" (tr_TR, de_DE),
 *   "1,234.50" (en_US); spaces around it are ignored
 * @locale: (nullable): an ICU locale ("tr_TR"), or %NULL for the default one
 *
 * Grouping separators are accepted only between groups of three digits, so "1.5" in
 * Turkish is an error rather than fifteen.
 */
gboolean
till_money_parse_localized (const char         *text,
                            const TillCurrency *currency,
                            const char         *locale,
                            TillParseFlags      flags,
                            gint64             *out_amount,
                            GError            **error)
{
  UErrorCode     status = U_ZERO_ERROR;
  UNumberFormat *fmt;
  char           decimal[16], grouping[16];
  g_autoptr (GString) plain = NULL;
  g_autofree char *stripped = NULL;
  const char      *p;
  const char      *int_start;
  gboolean         seen_group = FALSE;
  int              group_digits = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (currency != NULL, FALSE);

  fmt = unum_open (UNUM_DECIMAL, NULL, 0, locale, NULL, &status);
  if (U_FAILURE (status) ||
      !get_symbol (fmt, UNUM_DECIMAL_SEPARATOR_SYMBOL, decimal, sizeof decimal) ||
      !get_symbol (fmt, UNUM_GROUPING_SEPARATOR_SYMBOL, grouping, sizeof grouping))
    {
      if (fmt != NULL)
        unum_close (fmt);
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID,
                   _ ("Amounts cannot be read in this language"));
      return FALSE;
    }
  unum_close (fmt);

  stripped = g_strstrip (g_strdup (text));
  plain = g_string_new (NULL);
  p = stripped;
  if (*p == '-' || *p == '+')
    g_string_append_c (plain, *p++);
  int_start = p;

  while (*p != '\0')
    {
      if (g_ascii_isdigit (*p))
        {
          g_string_append_c (plain, *p++);
          group_digits++;
        }
      else if (p != int_start && g_str_has_prefix (p, grouping) &&
               (!seen_group ? group_digits <= 3 : group_digits == 3))
        {
          seen_group = TRUE;
          group_digits = 0;
          p += strlen (grouping);
        }
      else if (g_str_has_prefix (p, decimal))
        {
          if (seen_group && group_digits != 3)
            break;
          seen_group = FALSE;
          g_string_append_c (plain, '.');
          g_string_append (plain, p + strlen (decimal));
          p = "";
        }
      else
        break;
    }

  if (*p != '\0' || (seen_group && group_digits != 3))
    {
      g_autofree char *quoted = quote_input (text);
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID,
                   _ ("“%s” is not an amount: write it like %s"), quoted,
                   decimal[0] == ',' ? "1.234,50" : "1,234.50");
      return FALSE;
    }

  return till_money_parse (plain->str, currency, flags, out_amount, error);
}

/**
 * till_tax_rate_parse:
 * @text: a percentage as a decimal string: "18", "8.5", "0"
 * @out_basis_points: (out): the rate in basis points (1800, 850, 0)
 */
gboolean
till_tax_rate_parse (const char *text, int *out_basis_points, GError **error)
{
  gint64 value;

  if (!till_decimal_parse (text, 2, TILL_PARSE_DEFAULT, &value, error))
    return FALSE;

  if (value > 10000)
    {
      g_autofree char *quoted = quote_input (text);
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_OVERFLOW,
                   _ ("A tax rate of %s %% is more than 100 %%"), quoted);
      return FALSE;
    }

  *out_basis_points = (int) value;
  return TRUE;
}

static char *
decimal_string (gint64 value, int exponent)
{
  guint64 magnitude = value < 0 ? -(guint64) value : (guint64) value;
  guint64 scale = (guint64) power_of_ten (exponent);

  if (exponent == 0)
    return g_strdup_printf ("%s%" G_GUINT64_FORMAT, value < 0 ? "-" : "", magnitude);

  return g_strdup_printf ("%s%" G_GUINT64_FORMAT ".%0*" G_GUINT64_FORMAT, value < 0 ? "-" : "",
                          magnitude / scale, exponent, magnitude % scale);
}

/* 123450 USD → "1234.50"; 1000 JPY → "1000"; -5 USD → "-0.05". The inverse of till_money_parse. */
char *
till_money_to_decimal_string (gint64 amount, const TillCurrency *currency)
{
  g_return_val_if_fail (currency != NULL, NULL);

  return decimal_string (amount, till_currency_get_exponent (currency));
}

/* 1800 → "18", 850 → "8.5", 825 → "8.25". */
char *
till_tax_rate_to_string (int basis_points)
{
  char *text = decimal_string (basis_points, 2);
  char *end = text + strlen (text) - 1;

  if (strchr (text, '.') == NULL)
    return text;
  while (*end == '0')
    *end-- = '\0';
  if (*end == '.')
    *end = '\0';
  return text;
}

typedef struct
{
  char           key[64];
  UNumberFormat *fmt;
} FormatterCache;

static void
formatter_cache_free (gpointer data)
{
  FormatterCache *cache = data;

  if (cache->fmt != NULL)
    unum_close (cache->fmt);
  g_free (cache);
}

/* Opening an ICU formatter costs far more than formatting; keep the last one per thread. */
static GPrivate formatter_cache = G_PRIVATE_INIT (formatter_cache_free);

static UNumberFormat *
get_formatter (const TillCurrency *currency, const char *locale)
{
  FormatterCache *cache = g_private_get (&formatter_cache);
  char            key[64];
  UChar           ucode[4];
  UErrorCode      status = U_ZERO_ERROR;
  UNumberFormat  *fmt;
  int             exponent = till_currency_get_exponent (currency);

  g_snprintf (key, sizeof key, "%s|%s", locale ? locale : "", till_currency_get_code (currency));
  if (cache != NULL && strcmp (cache->key, key) == 0)
    return cache->fmt;

  fmt = unum_open (UNUM_CURRENCY, NULL, 0, locale, NULL, &status);
  if (U_FAILURE (status))
    return NULL;

  u_charsToUChars (till_currency_get_code (currency), ucode, 3);
  ucode[3] = 0;
  unum_setTextAttribute (fmt, UNUM_CURRENCY_CODE, ucode, 3, &status);
  /* Till's minor unit is ISO's; ICU's own digits for a currency (HUF, ISK, TWD) may differ. */
  unum_setAttribute (fmt, UNUM_MIN_FRACTION_DIGITS, exponent);
  unum_setAttribute (fmt, UNUM_MAX_FRACTION_DIGITS, exponent);
  if (U_FAILURE (status))
    {
      unum_close (fmt);
      return NULL;
    }

  if (cache == NULL)
    {
      cache = g_new0 (FormatterCache, 1);
      g_private_set (&formatter_cache, cache);
    }
  if (cache->fmt != NULL)
    unum_close (cache->fmt);
  g_strlcpy (cache->key, key, sizeof cache->key);
  cache->fmt = fmt;
  return fmt;
}

/**
 * till_money_format:
 * @locale: (nullable): an ICU locale such as "tr_TR", or %NULL for the default one
 *
 * Returns: (transfer full): @amount for display: "₺1.234,50" (tr_TR), "$1,234.50" (en_US),
 *   "1.234,50 €" (de_DE), "￥1,235" (ja_JP). Never fails: without ICU data it falls back to
 *   "1234.50 USD".
 */
char *
till_money_format (gint64 amount, const TillCurrency *currency, const char *locale)
{
  g_autofree char *decimal = NULL;
  UNumberFormat   *fmt;
  UChar            ubuf[128];
  char             buf[512];
  UErrorCode       status = U_ZERO_ERROR;
  int32_t          len;

  g_return_val_if_fail (currency != NULL, NULL);

  decimal = till_money_to_decimal_string (amount, currency);
  fmt = get_formatter (currency, locale);
  if (fmt == NULL)
    goto fallback;

  len = unum_formatDecimal (fmt, decimal, -1, ubuf, G_N_ELEMENTS (ubuf), NULL, &status);
  if (U_FAILURE (status))
    goto fallback;
  u_strToUTF8 (buf, sizeof buf, NULL, ubuf, len, &status);
  if (U_FAILURE (status))
    goto fallback;
  return g_strdup (buf);

fallback:
  return g_strdup_printf ("%s %s", decimal, till_currency_get_code (currency));
}

static gint64
stripe_scale (const TillCurrency *currency)
{
  return power_of_ten (till_currency_get_stripe_exponent (currency) -
                       till_currency_get_exponent (currency));
}

static gboolean
to_stripe (gint64              amount,
           const TillCurrency *currency,
           gboolean            charge,
           gint64             *out_stripe_amount,
           GError            **error)
{
  gint64 stripe_amount;
  gint64 increment;

  g_return_val_if_fail (currency != NULL, FALSE);

  increment = till_currency_get_charge_increment (currency);
  if (amount % increment != 0)
    {
      g_autofree char *text = till_money_to_decimal_string (amount, currency);
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_STRIPE_INCREMENT,
                   _ ("%s %s cannot be charged: the last digit must be 0"), text,
                   till_currency_get_code (currency));
      return FALSE;
    }

  if (amount > TILL_STRIPE_AMOUNT_MAX / stripe_scale (currency))
    {
      g_autofree char *text = till_money_to_decimal_string (amount, currency);
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_STRIPE_MAXIMUM,
                   _ ("%s %s is more than a card payment can take"), text,
                   till_currency_get_code (currency));
      return FALSE;
    }

  stripe_amount = amount * stripe_scale (currency);
  if (stripe_amount < (charge ? till_currency_get_stripe_minimum (currency) : 1))
    {
      g_autofree char *text = till_money_to_decimal_string (amount, currency);
      g_autofree char *minimum = NULL;
      gint64           min_amount =
          charge ? till_currency_get_stripe_minimum (currency) / stripe_scale (currency)
                           : increment;

      minimum = till_money_to_decimal_string (min_amount, currency);
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_STRIPE_MINIMUM,
                   charge ? _ ("%s %s is less than the smallest card payment (%s %s)")
                          : _ ("%s %s is less than the smallest refund (%s %s)"),
                   text, till_currency_get_code (currency), minimum,
                   till_currency_get_code (currency));
      return FALSE;
    }

  *out_stripe_amount = stripe_amount;
  return TRUE;
}

/**
 * till_money_to_stripe:
 * @amount: a charge in Till's minor units, already rounded to the currency's charge
 *   increment (till_totals_compute() does that)
 * @out_stripe_amount: (out): the `amount` parameter Stripe expects
 *
 * USD 12.50 (1250) → 1250; JPY 1000 → 1000; KWD 5.120 (5120) → 5120; ISK 5 → 500.
 * Fails, rather than rounding, for a three-decimal amount not ending in 0, an amount
 * under Stripe's minimum or over its 8 digits.
 */
gboolean
till_money_to_stripe (gint64              amount,
                      const TillCurrency *currency,
                      gint64             *out_stripe_amount,
                      GError            **error)
{
  return to_stripe (amount, currency, TRUE, out_stripe_amount, error);
}

/**
 * till_money_to_stripe_refund:
 *
 * As till_money_to_stripe(), for a refund: Stripe's minimum charge does not apply (a
 * 0.10 refund of a 5.00 sale is fine), but the amount must be positive.
 */
gboolean
till_money_to_stripe_refund (gint64              amount,
                             const TillCurrency *currency,
                             gint64             *out_stripe_amount,
                             GError            **error)
{
  return to_stripe (amount, currency, FALSE, out_stripe_amount, error);
}

/* The inverse of till_money_to_stripe(): ISK 500 → 5. Fails when Stripe's amount has
 * a fraction Till's unit cannot hold. */
gboolean
till_money_from_stripe (gint64              stripe_amount,
                        const TillCurrency *currency,
                        gint64             *out_amount,
                        GError            **error)
{
  gint64 scale;

  g_return_val_if_fail (currency != NULL, FALSE);

  scale = stripe_scale (currency);
  if (stripe_amount % scale != 0)
    {
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, stripe_amount);
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID,
                   _ ("Stripe amount %s %s is not a whole number of units"), text,
                   till_currency_get_code (currency));
      return FALSE;
    }

  *out_amount = stripe_amount / scale;
  return TRUE;
}

/* Rounds half away from zero to a multiple of @increment: 5124 → 5120, 5125 → 5130. */
gint64
till_money_round_to_increment (gint64 amount, gint64 increment)
{
  gint64 remainder;

  g_return_val_if_fail (increment > 0, amount);

  remainder = amount % increment;
  if (remainder == 0)
    return amount;
  if (amount > 0)
    return remainder * 2 >= increment ? amount - remainder + increment : amount - remainder;
  return -remainder * 2 >= increment ? amount - remainder - increment : amount - remainder;
}
