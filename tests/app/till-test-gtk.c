/* till-test-gtk.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "till-test-gtk.h"

void
till_test_set_drawing_env (void)
{
  /* Software GL (llvmpipe) JIT-compiles shaders, slowly and with leaks LeakSanitizer cannot
   * attribute (the driver is unloaded at exit); the cairo renderer draws the same widgets. */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  g_setenv ("WEBKIT_DISABLE_COMPOSITING_MODE", "1", FALSE);
}

void
till_test_init_gtk (int *argc, char ***argv)
{
  till_test_set_drawing_env ();
  gtk_test_init (argc, argv, NULL);
  adw_init ();
}

static void
on_connect (TillConnectDialog *dialog,
            const char        *url,
            const char        *token,
            const char        *pin,
            TillTestConnect   *connect)
{
  till_test_connect_clear (connect);
  connect->url = g_strdup (url);
  connect->token = g_strdup (token);
  connect->pin = g_strdup (pin);
  connect->emitted = TRUE;
}

void
till_test_watch_connect (TillConnectDialog *dialog, TillTestConnect *connect)
{
  memset (connect, 0, sizeof *connect);
  g_signal_connect (dialog, "connect", G_CALLBACK (on_connect), connect);
}

void
till_test_connect_clear (TillTestConnect *connect)
{
  g_clear_pointer (&connect->url, g_free);
  g_clear_pointer (&connect->token, g_free);
  g_clear_pointer (&connect->pin, g_free);
  connect->emitted = FALSE;
}
