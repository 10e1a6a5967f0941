/* till-cash-dialog.h: the cash keypad: what is due (and the cash rounding), what the customer
 * hands over, typed or from quick buttons, and the change, large.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TILL_TYPE_CASH_DIALOG (till_cash_dialog_get_type ())
G_DECLARE_FINAL_TYPE (TillCashDialog, till_cash_dialog, TILL, CASH_DIALOG, AdwWindow)

TillCashDialog *till_cash_dialog_new (GtkWindow  *parent,
                                      const char *currency,
                                      gint64      amount,
                                      gint64      rounding_increment);
gint64          till_cash_dialog_get_rounding (TillCashDialog *self);
gboolean        till_cash_dialog_get_tendered (TillCashDialog *self, gint64 *out_tendered);
gboolean        till_cash_dialog_get_change (TillCashDialog *self, gint64 *out_change);
const char     *till_cash_dialog_get_change_text (TillCashDialog *self);
GtkEditable    *till_cash_dialog_get_entry (TillCashDialog *self);
GPtrArray      *till_cash_dialog_get_quick_buttons (TillCashDialog *self);
const char     *till_cash_dialog_get_message (TillCashDialog *self);
void till_cash_dialog_set_busy (TillCashDialog *self, gboolean busy, const char *message);

G_END_DECLS
