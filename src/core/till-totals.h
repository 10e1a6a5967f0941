/* till-totals.h: tax and discounts, computed identically by the app and the server.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rules (also in HACKING.md and shown on receipts):
 * - A line's gross is unit_amount × quantity.
 * - A line discount (percent, rounded half-up, or an amount capped at the gross) comes off
 *   the line first. A cart discount is then spread over the lines in proportion to what is
 *   left of each (largest remainder, so the shares add up exactly), capped at what is left.
 * - Tax is computed per line on what remains after both discounts, rounded half-up:
 *   exclusive prices: tax = net × rate; inclusive prices: tax = net × rate / (1 + rate).
 * - Three-decimal currencies are charged in multiples of 10 minor units: the total is
 *   rounded half-up to the charge increment and the difference is shown as `rounding`.
 * Nothing goes below zero; every sum is checked for overflow.
 */
#pragma once

#include <glib.h>

#include "till-currency.h"

G_BEGIN_DECLS

typedef enum
{
  TILL_DISCOUNT_NONE,
  TILL_DISCOUNT_PERCENT, /* value: basis points, 0..10000 */
  TILL_DISCOUNT_AMOUNT,  /* value: minor units, ≥ 0 */
} TillDiscountKind;

typedef struct
{
  TillDiscountKind kind;
  gint64           value;
} TillDiscount;

#define TILL_TAX_RATE_MAX 10000 /* 100 % in basis points */
#define TILL_QUANTITY_MAX 9999

typedef struct
{
  gint64       unit_amount; /* as the catalog has it: tax-inclusive when the store's prices are */
  gint64       quantity;    /* 1..TILL_QUANTITY_MAX */
  int          tax_rate;    /* basis points, 0..TILL_TAX_RATE_MAX */
  TillDiscount discount;
} TillTotalsLine;

typedef struct
{
  gint64 gross; /* unit_amount × quantity */
  gint64 line_discount;
  gint64 cart_discount_share;
  gint64 discount; /* line_discount + cart_discount_share */
  gint64 tax;
  gint64 total; /* what the customer pays for the line */
} TillLineTotals;

typedef struct
{
  gint64 subtotal; /* Σ gross */
  gint64 discount; /* Σ discount */
  gint64 tax;      /* Σ tax (included in subtotal when prices include tax) */
  gint64 rounding; /* to the currency's charge increment; usually 0 */
  gint64 total;    /* the amount to charge */
} TillTotals;

gboolean till_discount_validate (const TillDiscount *discount, GError **error);
gboolean till_totals_compute (const TillCurrency   *currency,
                              gboolean              prices_include_tax,
                              const TillTotalsLine *lines,
                              guint                 n_lines,
                              const TillDiscount   *cart_discount,
                              TillLineTotals       *out_lines,
                              TillTotals           *out_totals,
                              GError              **error);

G_END_DECLS
