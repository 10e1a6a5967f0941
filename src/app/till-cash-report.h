/* till-cash-report.h: X and Z reports as text, on the receipt printer (ESC/POS) or through the
 * print dialog (A4, and "Print to File" for a PDF).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

char    *till_cash_report_format (JsonObject *report, const char *currency, int width);
void     till_cash_report_print_async (JsonObject         *report,
                                       const char         *currency,
                                       GtkWindow          *parent,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
gboolean till_cash_report_print_finish (GAsyncResult *result, GError **error);

G_END_DECLS
