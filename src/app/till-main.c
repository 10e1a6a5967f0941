/* till-main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "till-application.h"

int
main (int argc, char **argv)
{
  g_autoptr (TillApplication) app = NULL;
  g_autofree char *token = g_strdup (g_getenv ("TILL_TERMINAL_TOKEN"));
  g_autoptr (GError) error = NULL;

  /* Taken out of the environment while there is still only one thread, so no child
   * process (WebKit's among them) inherits it. */
  g_unsetenv ("TILL_TERMINAL_TOKEN");

  setlocale (LC_ALL, "");
  till_application_bind_textdomain ();

  if (!till_application_check_schema (&error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  app = till_application_new ();
  till_application_set_session_token (app, token);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
