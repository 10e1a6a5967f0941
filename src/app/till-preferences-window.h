/* till-preferences-window.h: what a merchant sets on a till.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TILL_TYPE_PREFERENCES_WINDOW (till_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (
    TillPreferencesWindow, till_preferences_window, TILL, PREFERENCES_WINDOW, AdwPreferencesWindow)

/* Over @settings (the app's io.github.tillpos.Till); @server_url is the address in use
 * (NULL: none). */
TillPreferencesWindow *
till_preferences_window_new (GtkWindow *parent, GSettings *settings, const char *server_url);
/* Another part's page (the receipt printer's), after the general one. */
void till_preferences_window_add_page (TillPreferencesWindow *self, AdwPreferencesPage *page);

G_END_DECLS
