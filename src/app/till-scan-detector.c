/* till-scan-detector.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-scan-detector.h"

struct _TillScanDetector
{
  GObject parent_instance;

  guint    max_interval;
  guint    min_length;
  GString *held;
  guint32  last_time;
  guint    flush_source;
};

G_DEFINE_FINAL_TYPE (TillScanDetector, till_scan_detector, G_TYPE_OBJECT)

enum
{
  SCANNED,
  FLUSH,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
till_scan_detector_finalize (GObject *object)
{
  TillScanDetector *self = TILL_SCAN_DETECTOR (object);

  g_clear_handle_id (&self->flush_source, g_source_remove);
  g_string_free (self->held, TRUE);

  G_OBJECT_CLASS (till_scan_detector_parent_class)->finalize (object);
}

static void
till_scan_detector_class_init (TillScanDetectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_scan_detector_finalize;

  /**
   * TillScanDetector::scanned:
   * @code: the scanned code, without the Enter
   */
  signals[SCANNED] = g_signal_new ("scanned", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * TillScanDetector::flush:
   * @text: keys that were typed by a person: insert them where the focus is
   */
  signals[FLUSH] = g_signal_new ("flush", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
till_scan_detector_init (TillScanDetector *self)
{
  self->max_interval = TILL_SCAN_MAX_INTERVAL_MS;
  self->min_length = TILL_SCAN_MIN_LENGTH;
  self->held = g_string_new (NULL);
}

TillScanDetector *
till_scan_detector_new (void)
{
  return g_object_new (TILL_TYPE_SCAN_DETECTOR, NULL);
}

void
till_scan_detector_set_max_interval (TillScanDetector *self, guint ms)
{
  g_return_if_fail (TILL_IS_SCAN_DETECTOR (self));
  self->max_interval = MAX (ms, 1);
}

void
till_scan_detector_set_min_length (TillScanDetector *self, guint length)
{
  g_return_if_fail (TILL_IS_SCAN_DETECTOR (self));
  self->min_length = MAX (length, 1);
}

const char *
till_scan_detector_peek_held (TillScanDetector *self)
{
  g_return_val_if_fail (TILL_IS_SCAN_DETECTOR (self), NULL);
  return self->held->str;
}

void
till_scan_detector_flush (TillScanDetector *self)
{
  g_autofree char *text = NULL;

  g_return_if_fail (TILL_IS_SCAN_DETECTOR (self));

  g_clear_handle_id (&self->flush_source, g_source_remove);
  if (self->held->len == 0)
    return;
  text = g_strdup (self->held->str);
  g_string_truncate (self->held, 0);
  g_signal_emit (self, signals[FLUSH], 0, text);
}

static gboolean
on_flush_timeout (gpointer user_data)
{
  TillScanDetector *self = user_data;

  self->flush_source = 0;
  till_scan_detector_flush (self);
  return G_SOURCE_REMOVE;
}

static gboolean
is_modifier_key (guint keyval)
{
  switch (keyval)
    {
      case GDK_KEY_Shift_L:
      case GDK_KEY_Shift_R:
      case GDK_KEY_Control_L:
      case GDK_KEY_Control_R:
      case GDK_KEY_Alt_L:
      case GDK_KEY_Alt_R:
      case GDK_KEY_Meta_L:
      case GDK_KEY_Meta_R:
      case GDK_KEY_Super_L:
      case GDK_KEY_Super_R:
      case GDK_KEY_Caps_Lock:
      case GDK_KEY_Num_Lock:
      case GDK_KEY_ISO_Level3_Shift:
        return TRUE;
      default:
        return FALSE;
    }
}

gboolean
till_scan_detector_key_pressed (TillScanDetector *self,
                                guint             keyval,
                                GdkModifierType   state,
                                guint32           time_ms)
{
  gboolean in_burst;
  gunichar c;

  g_return_val_if_fail (TILL_IS_SCAN_DETECTOR (self), FALSE);

  /* Scanners press Shift for capitals: it neither ends nor breaks a burst. */
  if (is_modifier_key (keyval))
    return FALSE;

  in_burst = self->held->len > 0 && (guint32) (time_ms - self->last_time) <= self->max_interval;

  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK | GDK_META_MASK))
    {
      till_scan_detector_flush (self);
      return FALSE;
    }

  if (keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter)
    {
      if (in_burst && g_utf8_strlen (self->held->str, -1) >= (glong) self->min_length)
        {
          g_autofree char *code = g_strdup (self->held->str);

          g_clear_handle_id (&self->flush_source, g_source_remove);
          g_string_truncate (self->held, 0);
          g_signal_emit (self, signals[SCANNED], 0, code);
          return TRUE;
        }
      /* A person pressed Enter: what they typed goes first, then the Enter. */
      till_scan_detector_flush (self);
      return FALSE;
    }

  c = gdk_keyval_to_unicode (keyval);
  if (c == 0 || !g_unichar_isprint (c))
    {
      till_scan_detector_flush (self);
      return FALSE;
    }

  if (!in_burst || self->held->len >= TILL_SCAN_MAX_LENGTH)
    till_scan_detector_flush (self);

  g_string_append_unichar (self->held, c);
  self->last_time = time_ms;

  /* Hand typing back soon; twice the interval leaves room for a busy main loop. */
  g_clear_handle_id (&self->flush_source, g_source_remove);
  self->flush_source = g_timeout_add (self->max_interval * 2, on_flush_timeout, self);
  g_source_set_name_by_id (self->flush_source, "[till] scan flush");
  return TRUE;
}
