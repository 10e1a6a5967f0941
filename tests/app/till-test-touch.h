/* till-test-touch.h: real touch events for GUI tests. Xvfb has no touch device, but GTK's
 * Broadway backend takes touch from its browser client: till_test_touch_start() runs
 * gtk4-broadwayd and points GDK at it, and the test then speaks to the daemon's websocket as
 * the browser does (broadway.js: touch begin, update and end, each with its sequence), so
 * the events come to the widgets through GDK as a touchscreen's would.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct _TillTestTouch TillTestTouch;

/* Starts gtk4-broadwayd on a free port and sets GDK_BACKEND=broadway and BROADWAY_DISPLAY for
 * this process: call it before GTK's init. NULL with @error when the daemon cannot run. */
TillTestTouch *till_test_touch_start (GError **error);
/* Connects as the browser (a screen of @width × @height): after GTK's init. */
gboolean till_test_touch_connect (TillTestTouch *touch, int width, int height, GError **error);
/* Disconnects; the daemon ends with the process (GDK needs it until then). */
void till_test_touch_free (TillTestTouch *touch);

/* A finger (@sequence, 1 and up) put down, moved to or lifted at (@x, @y) in @widget's
 * coordinates. The events are on their way once these return: wait for what they do. */
void
till_test_touch_begin (TillTestTouch *touch, GtkWidget *widget, double x, double y, guint sequence);
void till_test_touch_update (
    TillTestTouch *touch, GtkWidget *widget, double x, double y, guint sequence);
void
till_test_touch_end (TillTestTouch *touch, GtkWidget *widget, double x, double y, guint sequence);

/* A tap at @widget's centre. */
void till_test_touch_tap (TillTestTouch *touch, GtkWidget *widget);
/* A finger drawn across @widget from (@x, @y) by (@dx, @dy) in @steps moves, one every 16 ms
 * (the main loop iterated meanwhile), then lifted. */
void till_test_touch_drag (
    TillTestTouch *touch, GtkWidget *widget, double x, double y, double dx, double dy, guint steps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillTestTouch, till_test_touch_free)

G_END_DECLS
