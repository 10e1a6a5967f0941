/* till-currency.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-currency.h"

/*
 * exponent:         ISO 4217 minor-unit digits; Till's amounts count this unit.
 * stripe_exponent:  the digits Stripe's `amount` parameter uses (differs for ISK).
 * charge_increment: in Till's minor units; Stripe requires three-decimal amounts to end
 *                   in 0, so those currencies are charged in steps of 10.
 * stripe_minimum:   the smallest charge Stripe accepts, in Stripe's units: the figures of
 *                   Stripe's "minimum charge amounts" table where it lists the currency
 *                   (USD 0.50, GBP 0.30, HUF 175.00, JPY 50, …), otherwise about USD 0.50.
 */
struct _TillCurrency
{
  char   code[4];
  char   stripe_code[4];
  guint8 exponent;
  guint8 stripe_exponent;
  guint8 charge_increment;
  gint64 stripe_minimum;
};

#define CUR(c, lc, e, se, inc, min)                                                                \
  {                                                                                                \
    c, lc, e, se, inc, min                                                                         \
  }

/* Sorted by code: looked up with bsearch(). */
static const TillCurrency currencies[] = {
  CUR ("AED", "aed", 2, 2, 1, 200),   CUR ("AUD", "aud", 2, 2, 1, 50),
  CUR ("BGN", "bgn", 2, 2, 1, 100),   CUR ("BHD", "bhd", 3, 3, 10, 200),
  CUR ("BIF", "bif", 0, 0, 1, 1000),  CUR ("BRL", "brl", 2, 2, 1, 50),
  CUR ("CAD", "cad", 2, 2, 1, 50),    CUR ("CHF", "chf", 2, 2, 1, 50),
  CUR ("CLP", "clp", 0, 0, 1, 500),   CUR ("CZK", "czk", 2, 2, 1, 1500),
  CUR ("DJF", "djf", 0, 0, 1, 100),   CUR ("DKK", "dkk", 2, 2, 1, 250),
  CUR ("EUR", "eur", 2, 2, 1, 50),    CUR ("GBP", "gbp", 2, 2, 1, 30),
  CUR ("GNF", "gnf", 0, 0, 1, 5000),  CUR ("HKD", "hkd", 2, 2, 1, 400),
  CUR ("HUF", "huf", 2, 2, 1, 17500), CUR ("INR", "inr", 2, 2, 1, 50),
  CUR ("ISK", "isk", 0, 2, 1, 10000), CUR ("JOD", "jod", 3, 3, 10, 400),
  CUR ("JPY", "jpy", 0, 0, 1, 50),    CUR ("KMF", "kmf", 0, 0, 1, 250),
  CUR ("KRW", "krw", 0, 0, 1, 700),   CUR ("KWD", "kwd", 3, 3, 10, 200),
  CUR ("MGA", "mga", 0, 0, 1, 2500),  CUR ("MXN", "mxn", 2, 2, 1, 1000),
  CUR ("MYR", "myr", 2, 2, 1, 200),   CUR ("NOK", "nok", 2, 2, 1, 300),
  CUR ("NZD", "nzd", 2, 2, 1, 50),    CUR ("OMR", "omr", 3, 3, 10, 200),
  CUR ("PLN", "pln", 2, 2, 1, 200),   CUR ("PYG", "pyg", 0, 0, 1, 4000),
  CUR ("RON", "ron", 2, 2, 1, 200),   CUR ("RWF", "rwf", 0, 0, 1, 600),
  CUR ("SEK", "sek", 2, 2, 1, 300),   CUR ("SGD", "sgd", 2, 2, 1, 50),
  CUR ("THB", "thb", 2, 2, 1, 1000),  CUR ("TND", "tnd", 3, 3, 10, 1500),
  CUR ("TRY", "try", 2, 2, 1, 1500),  CUR ("UGX", "ugx", 0, 0, 1, 2000),
  CUR ("USD", "usd", 2, 2, 1, 50),    CUR ("VND", "vnd", 0, 0, 1, 12500),
  CUR ("VUV", "vuv", 0, 0, 1, 60),    CUR ("XAF", "xaf", 0, 0, 1, 300),
  CUR ("XOF", "xof", 0, 0, 1, 300),   CUR ("XPF", "xpf", 0, 0, 1, 60),
  CUR ("ZAR", "zar", 2, 2, 1, 900),
};

#undef CUR

static int
compare_code (const void *key, const void *member)
{
  const TillCurrency *currency = member;

  return strcmp (key, currency->code);
}

/**
 * till_currency_lookup:
 * @code: an ISO 4217 code, upper or lower case ("USD", "usd")
 *
 * Returns: (nullable): the currency, or %NULL if Till does not know @code.
 */
const TillCurrency *
till_currency_lookup (const char *code)
{
  char upper[4];

  if (code == NULL || strlen (code) != 3)
    return NULL;

  for (guint i = 0; i < 3; i++)
    {
      if (!g_ascii_isalpha (code[i]))
        return NULL;
      upper[i] = g_ascii_toupper (code[i]);
    }
  upper[3] = '\0';

  return bsearch (upper, currencies, G_N_ELEMENTS (currencies), sizeof currencies[0], compare_code);
}

/* "USD": the code Till shows and stores. */
const char *
till_currency_get_code (const TillCurrency *currency)
{
  g_return_val_if_fail (currency != NULL, NULL);

  return currency->code;
}

/* "usd": the code Stripe's API takes and returns. */
const char *
till_currency_get_stripe_code (const TillCurrency *currency)
{
  g_return_val_if_fail (currency != NULL, NULL);

  return currency->stripe_code;
}

int
till_currency_get_exponent (const TillCurrency *currency)
{
  g_return_val_if_fail (currency != NULL, 2);

  return currency->exponent;
}

int
till_currency_get_stripe_exponent (const TillCurrency *currency)
{
  g_return_val_if_fail (currency != NULL, 2);

  return currency->stripe_exponent;
}

/* The step, in Till's minor units, in which this currency can be charged. */
gint64
till_currency_get_charge_increment (const TillCurrency *currency)
{
  g_return_val_if_fail (currency != NULL, 1);

  return currency->charge_increment;
}

/* The smallest amount Stripe charges, in Stripe's units for this currency. */
gint64
till_currency_get_stripe_minimum (const TillCurrency *currency)
{
  g_return_val_if_fail (currency != NULL, 1);

  return currency->stripe_minimum;
}

gboolean
till_currency_is_zero_decimal (const TillCurrency *currency)
{
  g_return_val_if_fail (currency != NULL, FALSE);

  return currency->exponent == 0;
}

/**
 * till_currency_list_codes:
 *
 * Returns: (transfer none): the codes Till knows, sorted, %NULL-terminated.
 */
const char *const *
till_currency_list_codes (void)
{
  static const char **codes;

  if (g_once_init_enter (&codes))
    {
      const char **list = g_new0 (const char *, G_N_ELEMENTS (currencies) + 1);

      for (guint i = 0; i < G_N_ELEMENTS (currencies); i++)
        list[i] = currencies[i].code;
      g_once_init_leave (&codes, list);
    }

  return codes;
}
