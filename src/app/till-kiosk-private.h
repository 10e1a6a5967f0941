/* till-kiosk-private.h: TillKiosk's insides, for tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "till-kiosk.h"

G_BEGIN_DECLS

/* What the kiosk's capture-phase key controller does with a key press: TRUE = swallowed. */
gboolean till_kiosk_filter_key (TillKiosk *self, guint keyval, GdkModifierType state);
/* The attendant's gesture or key combination: the PIN pad. */
void     till_kiosk_open_pin_pad (TillKiosk *self);
gboolean till_kiosk_get_pin_pad_open (TillKiosk *self);
/* As if @pin was typed on the pad and OK pressed; the answer comes later (a slow hash). */
void     till_kiosk_submit_pin (TillKiosk *self, const char *pin);
gboolean till_kiosk_get_checking (TillKiosk *self);
/* Locked after too many wrong PINs. */
gboolean    till_kiosk_get_pin_pad_locked (TillKiosk *self);
const char *till_kiosk_get_pin_message (TillKiosk *self);
/* How long the pad stays locked (tests: shorter than a minute). */
void till_kiosk_set_lockout_seconds (TillKiosk *self, guint seconds);

G_END_DECLS
