/* till-server-main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#if TILL_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#include "till-server-cli.h"

/* For --version: which malloc this process runs on. */
static char *
describe_allocator (void)
{
#if TILL_WITH_MIMALLOC
  int version = mi_version ();
  /* Linked is not enough: malloc () itself must be mimalloc's. */
  void    *probe = malloc (16);
  gboolean replaced = mi_is_in_heap_region (probe);

  free (probe);
  return g_strdup_printf ("mimalloc %d.%d.%d%s", version / 100, version / 10 % 10, version % 10,
                          replaced ? "" : " (linked, but not the process's malloc)");
#else
  return g_strdup ("system malloc");
#endif
}

int
main (int argc, char **argv)
{
  g_autofree char *allocator = describe_allocator ();

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* Logs go to stderr, all of them: stdout carries what the commands print (the address
   * the server listens on, a new terminal's token). */
  g_log_writer_default_set_use_stderr (TRUE);

  return till_server_cli_run (argc, argv, allocator);
}
