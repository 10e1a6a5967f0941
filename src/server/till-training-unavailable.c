/* till-training-unavailable.c: used only while the simulator library has no embeddable
 * TillStripeSim (meson picks till-training.c as soon as it has).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <gio/gio.h>

#include "till-training.h"

GObject *
till_training_start (TillServerConfig  *config,
                     GError           **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               _("Training mode needs the Stripe simulator, which this build does not have"));
  return NULL;
}

gboolean
till_training_set_webhook (GObject     *sim,
                           const char  *url,
                           const char  *secret,
                           GError     **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               _("Training mode needs the Stripe simulator, which this build does not have"));
  return FALSE;
}

void
till_training_stop (GObject *sim)
{
}
