/* till-test-cli.h: the till-server program in a process, for the tests of its command line:
 * commands run to their end, servers started and stopped, in a fresh directory per test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-database.h"
#include "till-test-server.h"

G_BEGIN_DECLS

/* The user the tests that need file permissions to count run till-server as, when they run
 * as root (for whom every file is writable). */
#define UNPRIVILEGED_UID 65534

typedef struct
{
  char *dir; /* a fresh temporary directory, removed at the end */
  char *db;  /* till.db in it */
} CliFixture;

void cli_fixture_setup (CliFixture *fixture, gconstpointer data);
void cli_fixture_teardown (CliFixture *fixture, gconstpointer data);

/* Runs till-server with @argv to its end with a clean environment (no Stripe keys) plus
 * @env (NAME=VALUE, …, or NULL), as UNPRIVILEGED_UID if @unprivileged and the test runs as
 * root: its exit status, what it printed in *@out_stdout and *@out_stderr (or NULL). */
int cli_run_full (const char *const *argv,
                  const char *const *env,
                  gboolean           unprivileged,
                  char             **out_stdout,
                  char             **out_stderr);
int cli_run (const char *const *argv, const char *const *env, char **out_stdout, char **out_stderr);

/* A till-server serving in the background. */
typedef struct
{
  GSubprocess *process;
  char        *first_line; /* "… listening on URL (MODE mode)" */
  char        *base;       /* its URL */
} TillTestCli;

/* Starts till-server with @argv and @env (as cli_run ()) and waits for its first line. Its
 * log goes to PROGRAM-server-N.log in till_test_log_dir (), for the secrets test. */
TillTestCli *cli_start (const char *const *argv, const char *const *env);
/* Stops it with SIGTERM (it must exit with 0) or, if @kill_hard, SIGKILL. */
void cli_stop (TillTestCli *running, gboolean kill_hard);

/* Writes @contents to @name in the fixture's directory, with @mode: its path. */
char *cli_write_file (CliFixture *fixture, const char *name, const char *contents, int mode);
/* "terminal add @name --role @role": the new terminal's token. */
char *cli_add_terminal (CliFixture *fixture, const char *name, const char *role);
/* How many products the fixture's database holds. */
guint cli_count_products (CliFixture *fixture);

G_END_DECLS
