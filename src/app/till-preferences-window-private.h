/* till-preferences-window-private.h: for tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-preferences-window.h"

G_BEGIN_DECLS

/* 0 follow the system, 1 light, 2 dark. */
GtkCheckButton *till_preferences_window_get_scheme_button (TillPreferencesWindow *self,
                                                           guint                  index);
GtkSpinButton  *till_preferences_window_get_interval_spin (TillPreferencesWindow *self);
GtkSpinButton  *till_preferences_window_get_length_spin (TillPreferencesWindow *self);
AdwComboRow    *till_preferences_window_get_catalog_row (TillPreferencesWindow *self);
const char     *till_preferences_window_get_server_text (TillPreferencesWindow *self);

G_END_DECLS
