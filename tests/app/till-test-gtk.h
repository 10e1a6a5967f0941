/* till-test-gtk.h: what the app's widget tests share (waiting and processes: till-test-util.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "till-client.h"
#include "till-connect-dialog.h"
#include "till-test-util.h"

G_BEGIN_DECLS

/* The environment the app's widget tests draw in (software GL avoided: see the .c); before
 * GTK's init. */
void till_test_set_drawing_env (void);
/* till_test_set_drawing_env(), empty XDG user directories of the program's own, then
 * gtk_test_init() and adw_init(). */
void till_test_init_gtk (int *argc, char ***argv);

/* What a TillConnectDialog's "connect" signal said. */
typedef struct
{
  char    *url;
  char    *token;
  char    *pin;
  gboolean emitted;
} TillTestConnect;

/* Records @dialog's "connect" in @connect (zeroed first; free with till_test_connect_clear()). */
void till_test_watch_connect (TillConnectDialog *dialog, TillTestConnect *connect);
void till_test_connect_clear (TillTestConnect *connect);

/* Pays @response's intent as the card form would, at the training server's simulator. */
void till_test_confirm_at_stripe (const TillStoreConfig      *config,
                                  const TillCheckoutResponse *response);

G_END_DECLS
