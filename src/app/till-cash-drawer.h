/* till-cash-drawer.h: the cash drawer, opened by a pulse through the receipt printer's drawer
 * port (ESC/POS ESC p).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void     till_cash_drawer_kick_async (GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
gboolean till_cash_drawer_kick_finish (GAsyncResult *result, GError **error);

G_END_DECLS
