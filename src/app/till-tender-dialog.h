/* till-tender-dialog.h: how the customer pays, asked at Charge: Card or Cash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

AdwMessageDialog *
till_tender_dialog_new (GtkWindow *parent, const char *total_label, gboolean split);

GtkWidget *till_tender_dialog_new_preferences_page (void);

G_END_DECLS
