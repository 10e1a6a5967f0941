/* till-cash-drawer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The drawer hangs off the receipt printer (its RJ-11 drawer port): the pulse is a print job of
 * its own, sent to the ESC/POS printer the preferences name, so that a "No sale" opens the
 * drawer without paper and a cash sale opens it before its receipt is printed.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-cash-drawer.h"
#include "till-core.h"
#include "till-receipt-printer.h"

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (till_receipt_printer_send_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * till_cash_drawer_kick_async:
 *
 * Opens the drawer through the ESC/POS printer chosen in the preferences (GSettings
 * `receipt-printer`). With none chosen it fails with %G_IO_ERROR_NOT_FOUND: an A4 printer has
 * no drawer port.
 */
void
till_cash_drawer_kick_async (GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  g_autofree char *address = g_settings_get_string (settings, "receipt-printer");

  g_task_set_source_tag (task, till_cash_drawer_kick_async);
  if (*g_strstrip (address) == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _ ("No receipt printer is set up to open the cash drawer."));
      return;
    }
  {
    g_autoptr (GBytes) pulse = till_escpos_drawer_pulse ();

    till_receipt_printer_send_async (address, pulse, cancellable, on_sent, g_object_ref (task));
  }
}

gboolean
till_cash_drawer_kick_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
