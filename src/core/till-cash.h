/* till-cash.h: the money rules of cash, shared by the app and the server.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Change, cash rounding, the card part of a split payment, refunds split between tenders,
 * drawer counts from denominations and the quick amounts of a cash keypad. Every amount is
 * a gint64 count of the currency's minor unit.
 */
#pragma once

#include <glib.h>

#include "till-currency.h"

G_BEGIN_DECLS

#define TILL_CASH_ERROR (till_cash_error_quark ())

typedef enum
{
  TILL_CASH_ERROR_INVALID,      /* a negative or zero amount where one is needed */
  TILL_CASH_ERROR_SHORT,        /* less tendered than is due */
  TILL_CASH_ERROR_OVERFLOW,     /* a count or sum beyond TILL_AMOUNT_MAX */
  TILL_CASH_ERROR_CARD_MINIMUM, /* a card part Stripe would not charge */
  TILL_CASH_ERROR_DENOMINATION, /* a note or coin the currency does not have */
  TILL_CASH_ERROR_ROUNDING,     /* a rounding increment Till does not offer */
} TillCashError;

typedef enum
{
  TILL_CASH_ROUND_NEAREST, /* half away from zero: CHF 1.025 → 1.05, −1.025 → −1.05 */
  TILL_CASH_ROUND_DOWN,    /* toward minus infinity */
  TILL_CASH_ROUND_UP,      /* toward plus infinity */
} TillCashRound;

/* A quantity of one note or coin in a count, at most this many. */
#define TILL_CASH_QUANTITY_MAX 1000000

GQuark till_cash_error_quark (void);

gint64        till_cash_round (gint64 amount, gint64 increment, TillCashRound mode);
gboolean      till_cash_rounding_is_valid (gint64 increment);
gint64        till_cash_rounding_for_currency (const TillCurrency *currency);
gboolean      till_cash_change (gint64 due, gint64 tendered, gint64 *out_change, GError **error);
gboolean      till_cash_tender (gint64   amount,
                                gint64   increment,
                                gint64   tendered,
                                gint64  *out_rounding,
                                gint64  *out_change,
                                GError **error);
gboolean      till_cash_split_card_part (gint64              total,
                                         gint64              cash_part,
                                         const TillCurrency *currency,
                                         gint64             *out_card_part,
                                         GError            **error);
void          till_cash_split_refund (gint64              refund,
                                      gint64              cash_paid,
                                      gint64              card_paid,
                                      const TillCurrency *currency,
                                      gint64             *out_cash,
                                      gint64             *out_card);
const gint64 *till_cash_get_denominations (const TillCurrency *currency, guint *out_n_values);
gint64        till_cash_get_smallest_note (const TillCurrency *currency);
gboolean      till_cash_count_total (const TillCurrency *currency,
                                     const gint64       *denominations,
                                     const gint64       *quantities,
                                     guint               n_values,
                                     gint64             *out_total,
                                     GError            **error);
GArray       *till_cash_quick_amounts (gint64 due, const TillCurrency *currency, guint max_values);

G_END_DECLS
