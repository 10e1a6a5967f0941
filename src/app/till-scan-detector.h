/* till-scan-detector.h: tells a barcode scanner (a USB keyboard wedge) from a person typing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A scanner types a whole code in a burst, each key less than 50 ms after the previous one,
 * and ends with Enter. The detector sees every key press first (the window feeds it from a
 * capture-phase GtkEventControllerKey) and holds printable keys back while they could still
 * be a scan, so a scan never reaches the focused widget. Held keys that turn out to be
 * typing are handed back through ::flush, in order, before the next key goes on.
 *
 * Time comes only from the events (their millisecond timestamps), never from a clock, so
 * tests drive the detector with synthetic, timed key presses. The one timer (to hand back
 * the last keys a person typed) can be fired early with till_scan_detector_flush().
 */
#pragma once

#include <gdk/gdk.h>

G_BEGIN_DECLS

#define TILL_SCAN_MAX_INTERVAL_MS 50
#define TILL_SCAN_MIN_LENGTH 4
#define TILL_SCAN_MAX_LENGTH 64

#define TILL_TYPE_SCAN_DETECTOR (till_scan_detector_get_type ())
G_DECLARE_FINAL_TYPE (TillScanDetector, till_scan_detector, TILL, SCAN_DETECTOR, GObject)

TillScanDetector *till_scan_detector_new (void);
void              till_scan_detector_set_max_interval (TillScanDetector *self, guint ms);
void              till_scan_detector_set_min_length (TillScanDetector *self, guint length);
/* Returns TRUE when the detector took the key (held it, or it ended a scan): the caller
 * must then stop the event. */
gboolean till_scan_detector_key_pressed (TillScanDetector *self,
                                         guint             keyval,
                                         GdkModifierType   state,
                                         guint32           time_ms);
/* Hands back whatever is held, now. */
void till_scan_detector_flush (TillScanDetector *self);
/* What is held right now (for tests). */
const char *till_scan_detector_peek_held (TillScanDetector *self);

G_END_DECLS
