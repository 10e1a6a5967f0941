/* till-server-main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "till-server-cli.h"

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* Logs go to stderr, all of them: stdout carries what the commands print (the address
   * the server listens on, a new terminal's token). */
  g_log_writer_default_set_use_stderr (TRUE);

  return till_server_cli_run (argc, argv);
}
