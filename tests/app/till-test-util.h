/* till-test-util.h: helpers shared by the app's tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

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

G_END_DECLS
