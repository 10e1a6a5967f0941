/* till-kiosk.h: a self-checkout kiosk's lockdown, in force while the server says this
 * terminal is a kiosk, and the attendant's way out (a PIN pad).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-client.h"
#include "till-window.h"

G_BEGIN_DECLS

#define TILL_TYPE_KIOSK (till_kiosk_get_type ())
G_DECLARE_FINAL_TYPE (TillKiosk, till_kiosk, TILL, KIOSK, GObject)

/* Watches @client's configuration and locks @window down while it says "kiosk". */
TillKiosk *till_kiosk_new (TillWindow *window, TillClient *client);
/* Whether the lockdown is in force ("locked" notifies). */
gboolean till_kiosk_get_locked (TillKiosk *self);

G_END_DECLS
