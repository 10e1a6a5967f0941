/* till-server-cli.h: the till-server command line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parses @argv and runs the server or one of its commands; returns the exit status.
 * @allocator names the malloc in use, for --version. */
int till_server_cli_run (int argc, char **argv, const char *allocator);

G_END_DECLS
