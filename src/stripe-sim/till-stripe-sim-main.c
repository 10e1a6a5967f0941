/* till-stripe-sim-main.c: the standalone simulator program.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "till-stripe-sim.h"

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_printerr (_("till-stripe-sim: the simulator (Stripe API %s) is not built yet.\n"),
              till_stripe_sim_get_api_version ());
  return 2;
}
