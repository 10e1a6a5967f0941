/* till-server-cli.h: the till-server command line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parses @argv and runs the server or one of its commands; returns the exit status. */
int till_server_cli_run (int    argc,
                         char **argv);

G_END_DECLS
