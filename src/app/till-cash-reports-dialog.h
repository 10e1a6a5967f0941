/* till-cash-reports-dialog.h: X and Z reports: the X report now, the Z report that closes the
 * day, the list of Z reports, and printing any of them again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-client.h"

G_BEGIN_DECLS

#define TILL_TYPE_CASH_REPORTS_DIALOG (till_cash_reports_dialog_get_type ())
G_DECLARE_FINAL_TYPE (
    TillCashReportsDialog, till_cash_reports_dialog, TILL, CASH_REPORTS_DIALOG, AdwWindow)

TillCashReportsDialog *till_cash_reports_dialog_new (GtkWindow *parent, TillClient *client);
gboolean               till_cash_reports_dialog_is_busy (TillCashReportsDialog *self);
const char            *till_cash_reports_dialog_get_message (TillCashReportsDialog *self);
JsonObject            *till_cash_reports_dialog_get_report (TillCashReportsDialog *self);
char                  *till_cash_reports_dialog_get_text (TillCashReportsDialog *self);
guint                  till_cash_reports_dialog_get_n_listed (TillCashReportsDialog *self);
void                   till_cash_reports_dialog_show_x (TillCashReportsDialog *self);
void                   till_cash_reports_dialog_make_z (TillCashReportsDialog *self);
void till_cash_reports_dialog_show_z (TillCashReportsDialog *self, const char *number);
void till_cash_reports_dialog_print (TillCashReportsDialog *self);

G_END_DECLS
