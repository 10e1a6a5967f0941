/* till-test-util.h: helpers shared by the app's tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "till-connect-dialog.h"

G_BEGIN_DECLS

/* Iterates the default main context until *@flag is TRUE or @timeout_ms passed. */
gboolean till_test_wait_for (gboolean *flag,
                             guint     timeout_ms);
/* Iterates until @check (@data) returns TRUE or the deadline passes. */
gboolean till_test_wait_until (gboolean (*check) (gpointer data),
                               gpointer  data,
                               guint     timeout_ms);
/* A fresh temporary directory, removed by till_test_remove_tree(). */
char    *till_test_make_tmpdir (void);
void     till_test_remove_tree (const char *path);
/* The environment the app's widget tests draw in (software GL avoided: see the .c); before
 * GTK's init. */
void     till_test_set_drawing_env (void);
/* till_test_set_drawing_env(), then gtk_test_init() and adw_init(). */
void     till_test_init_gtk    (int        *argc,
                                char     ***argv);

/* What a TillConnectDialog's "connect" signal said. */
typedef struct
{
  char *url;
  char *token;
  char *pin;
  gboolean emitted;
} TillTestConnect;

/* Records @dialog's "connect" in @connect (zeroed first; free with till_test_connect_clear()). */
void     till_test_watch_connect (TillConnectDialog *dialog,
                                  TillTestConnect   *connect);
void     till_test_connect_clear (TillTestConnect   *connect);

G_END_DECLS
