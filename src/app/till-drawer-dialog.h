/* till-drawer-dialog.h: this till's cash drawer session: open it with a counted float, pay in
 * and out with a reason, No Sale, and close it with a blind count, then expected, counted and
 * over/short.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-drawer-count.h"
#include "till-client.h"

G_BEGIN_DECLS

#define TILL_TYPE_DRAWER_DIALOG (till_drawer_dialog_get_type ())
G_DECLARE_FINAL_TYPE (TillDrawerDialog, till_drawer_dialog, TILL, DRAWER_DIALOG, AdwWindow)

TillDrawerDialog *till_drawer_dialog_new (GtkWindow *parent, TillClient *client);
const char       *till_drawer_dialog_get_page (TillDrawerDialog *self);
gboolean          till_drawer_dialog_is_busy (TillDrawerDialog *self);
const char       *till_drawer_dialog_get_message (TillDrawerDialog *self);
TillDrawerCount  *till_drawer_dialog_get_count (TillDrawerDialog *self);
JsonObject       *till_drawer_dialog_get_closed_session (TillDrawerDialog *self);
const char       *till_drawer_dialog_get_result_text (TillDrawerDialog *self);
void              till_drawer_dialog_open_drawer (TillDrawerDialog *self);
void              till_drawer_dialog_start_close (TillDrawerDialog *self);
void              till_drawer_dialog_close_drawer (TillDrawerDialog *self);
void              till_drawer_dialog_movement (TillDrawerDialog *self,
                                               const char       *type,
                                               gint64            amount,
                                               const char       *reason);

G_END_DECLS
