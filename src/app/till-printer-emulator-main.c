/* till-printer-emulator-main.c: the ESC/POS printer emulator as a program, for training: the
 * till prints to it as to a network receipt printer, and each receipt comes out as text on
 * standard output and, with --out, as a PNG.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <string.h>

#include "till-application.h"
#include "till-core.h"
#include "till-printer-emulator.h"

static char *listen_address = NULL;
static char *out_dir = NULL;
static int   paper_mm = 80;

static const GOptionEntry options[] = {
  { "listen", 0, 0, G_OPTION_ARG_STRING, &listen_address,
    N_ ("Where to listen (default 127.0.0.1:9100; port 0 for any free one)"), N_ ("HOST:PORT") },
  { "paper", 0, 0, G_OPTION_ARG_INT, &paper_mm, N_ ("The roll: 58 or 80 (default)"), N_ ("MM") },
  { "out", 0, 0, G_OPTION_ARG_FILENAME, &out_dir, N_ ("Write each receipt there as receipt-N.png"),
    N_ ("DIR") },
  { NULL },
};

static void
on_printed (TillPrinterEmulator *printer, guint index, gpointer data)
{
  g_autofree char *text = till_printer_emulator_get_text (printer, index);

  g_print ("--- receipt %u ---\n%s--- end of receipt %u ---\n", index + 1, text, index + 1);
  if (out_dir != NULL)
    {
      g_autofree char *name = g_strdup_printf ("receipt-%u.png", index + 1);
      g_autofree char *path = g_build_filename (out_dir, name, NULL);
      g_autoptr (GError) error = NULL;

      if (!till_printer_emulator_render_png (till_printer_emulator_get_job (printer, index),
                                             paper_mm, path, &error))
        g_printerr ("%s\n", error->message);
      else
        g_print ("%s\n", path);
    }
}

static void
on_drawer_kicked (TillPrinterEmulator *printer, guint n_pulses, gpointer data)
{
  g_print ("--- drawer opened (%u) ---\n", n_pulses);
}

static gboolean
on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TillPrinterEmulator) printer = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree char *host = NULL;
  const char      *colon;
  guint64          port = 9100;
  guint16          bound;

  setlocale (LC_ALL, "");
  till_application_bind_textdomain ();
  g_option_context_add_main_entries (context, options, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _ ("An ESC/POS receipt printer on a TCP port, for "
                                            "training: receipts come out as text and PNG."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (paper_mm != 58 && paper_mm != 80)
    {
      g_printerr (_ ("--paper is 58 or 80, not %d\n"), paper_mm);
      return 2;
    }
  if (out_dir != NULL && !g_file_test (out_dir, G_FILE_TEST_IS_DIR))
    {
      g_printerr (_ ("--out: %s is not a directory\n"), out_dir);
      return 2;
    }
  host = g_strdup (listen_address ? listen_address : "127.0.0.1");
  colon = strrchr (host, ':');
  if (listen_address != NULL && colon != NULL)
    {
      if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, &error))
        {
          g_printerr ("--listen: %s\n", error->message);
          return 2;
        }
      host[colon - host] = '\0';
    }
  printer = till_printer_emulator_new ();
  bound = till_printer_emulator_listen (printer, host, (guint16) port, &error);
  if (bound == 0)
    {
      g_printerr ("%s:%u: %s\n", host, (guint) port, error->message);
      return 1;
    }
  g_print ("ESC/POS printer emulator listening on %s:%u (%d mm)\n", host, bound, paper_mm);
  g_signal_connect (printer, "printed", G_CALLBACK (on_printed), NULL);
  g_signal_connect (printer, "drawer-kicked", G_CALLBACK (on_drawer_kicked), NULL);
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);
  return 0;
}
