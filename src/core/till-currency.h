/* till-currency.h: ISO 4217 currencies with the exponents Stripe uses.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Till keeps every amount as a gint64 count of the currency's ISO 4217 minor unit
 * (USD cents, JPY yen, KWD fils, ISK krónur). Stripe's API sometimes wants a different
 * exponent (ISK is sent with two decimals) and three-decimal currencies must be charged in
 * multiples of ten; this one table is what display, parsing and the Stripe encoding use.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TillCurrency TillCurrency;

const TillCurrency *till_currency_lookup (const char *code);
const char         *till_currency_get_code (const TillCurrency *currency);
const char         *till_currency_get_stripe_code (const TillCurrency *currency);
int                 till_currency_get_exponent (const TillCurrency *currency);
int                 till_currency_get_stripe_exponent (const TillCurrency *currency);
gint64              till_currency_get_charge_increment (const TillCurrency *currency);
gint64              till_currency_get_stripe_minimum (const TillCurrency *currency);
gboolean            till_currency_is_zero_decimal (const TillCurrency *currency);
const char *const  *till_currency_list_codes (void);

G_END_DECLS
