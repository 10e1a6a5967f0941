/* till-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "till-test-util.h"

static gboolean
check_flag (gpointer data)
{
  return *(gboolean *) data;
}

gboolean
till_test_wait_for (gboolean *flag,
                    guint     timeout_ms)
{
  return till_test_wait_until (check_flag, flag, timeout_ms);
}

static gboolean
on_deadline (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
till_test_wait_until (gboolean (*check) (gpointer data),
                      gpointer  data,
                      guint     timeout_ms)
{
  gboolean timed_out = FALSE;
  guint source = g_timeout_add (timeout_ms, on_deadline, &timed_out);
  gboolean ok;

  /* Blocks until something happens; the deadline source wakes us up at the latest. */
  while (!(ok = check (data)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (source);
  return ok;
}

char *
till_test_make_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *path = g_dir_make_tmp ("till-app-test-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

void
till_test_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_remove (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        till_test_remove_tree (child);
      else
        g_remove (child);
    }
  g_rmdir (path);
}

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
till_test_init_gtk (int    *argc,
                    char ***argv)
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
till_test_watch_connect (TillConnectDialog *dialog,
                         TillTestConnect   *connect)
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
