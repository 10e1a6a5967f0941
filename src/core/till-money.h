/* till-money.h: exact decimal parsing, Stripe encoding and locale display of amounts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An amount is a gint64 count of its currency's ISO 4217 minor unit, never a double.
 */
#pragma once

#include <glib.h>

#include "till-currency.h"

G_BEGIN_DECLS

#define TILL_MONEY_ERROR (till_money_error_quark ())

typedef enum
{
  TILL_MONEY_ERROR_INVALID,           /* not a plain decimal number */
  TILL_MONEY_ERROR_TOO_MANY_DECIMALS, /* more digits after the point than the currency has */
  TILL_MONEY_ERROR_NEGATIVE,          /* a sign where none is allowed */
  TILL_MONEY_ERROR_OVERFLOW,          /* beyond TILL_AMOUNT_MAX, or a sum that would be */
  TILL_MONEY_ERROR_UNKNOWN_CURRENCY,
  TILL_MONEY_ERROR_STRIPE_MAXIMUM,   /* more than Stripe's 8 digits */
  TILL_MONEY_ERROR_STRIPE_MINIMUM,   /* less than Stripe charges in this currency */
  TILL_MONEY_ERROR_STRIPE_INCREMENT, /* three-decimal amount not ending in 0 */
} TillMoneyError;

typedef enum
{
  TILL_PARSE_DEFAULT = 0,
  TILL_PARSE_ALLOW_NEGATIVE = 1 << 0,
} TillParseFlags;

/* The largest amount Till handles, in minor units (a quadrillion minus one). */
#define TILL_AMOUNT_MAX G_GINT64_CONSTANT (999999999999999)
/* Stripe's `amount` has at most 8 digits. */
#define TILL_STRIPE_AMOUNT_MAX G_GINT64_CONSTANT (99999999)

GQuark till_money_error_quark (void);

gboolean till_decimal_parse (
    const char *text, int exponent, TillParseFlags flags, gint64 *out_value, GError **error);
gboolean till_money_parse (const char         *text,
                           const TillCurrency *currency,
                           TillParseFlags      flags,
                           gint64             *out_amount,
                           GError            **error);
gboolean till_money_parse_localized (const char         *text,
                                     const TillCurrency *currency,
                                     const char         *locale,
                                     TillParseFlags      flags,
                                     gint64             *out_amount,
                                     GError            **error);
gboolean till_tax_rate_parse (const char *text, int *out_basis_points, GError **error);
char    *till_money_to_decimal_string (gint64 amount, const TillCurrency *currency);
char    *till_tax_rate_to_string (int basis_points);
char    *till_money_format (gint64 amount, const TillCurrency *currency, const char *locale);
gboolean till_money_to_stripe (gint64              amount,
                               const TillCurrency *currency,
                               gint64             *out_stripe_amount,
                               GError            **error);
gboolean till_money_to_stripe_refund (gint64              amount,
                                      const TillCurrency *currency,
                                      gint64             *out_stripe_amount,
                                      GError            **error);
gboolean till_money_from_stripe (gint64              stripe_amount,
                                 const TillCurrency *currency,
                                 gint64             *out_amount,
                                 GError            **error);
gint64   till_money_round_to_increment (gint64 amount, gint64 increment);

G_END_DECLS
