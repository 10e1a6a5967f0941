/* till-test-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

#include "till-products.h"
#include "till-test-cli.h"
#include "till-test-server.h"

void
cli_fixture_setup (CliFixture *fixture, gconstpointer data)
{
  fixture->dir = till_test_make_tmpdir ("till-cli-test");
  fixture->db = g_build_filename (fixture->dir, "till.db", NULL);
}

void
cli_fixture_teardown (CliFixture *fixture, gconstpointer data)
{
  till_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->db);
}

static void
drop_privileges (gpointer user_data)
{
  till_test_child_dies_with_parent ();
  if (setgid (UNPRIVILEGED_UID) != 0 || setuid (UNPRIVILEGED_UID) != 0)
    _exit (125);
}

int
cli_run_full (const char *const *argv,
              const char *const *env,
              gboolean           unprivileged,
              char             **out_stdout,
              char             **out_stderr)
{
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  int              status;

  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_SECRET_KEY");
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_PUBLISHABLE_KEY");
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_WEBHOOK_SECRET");
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_API_BASE");
  till_test_launcher_set_env (launcher, env);
  if (unprivileged && getuid () == 0)
    g_subprocess_launcher_set_child_setup (launcher, drop_privileges, NULL, NULL);
  g_ptr_array_add (args, (gpointer) TILL_SERVER_PATH);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);

  /* A command that should end but serves instead is stopped, and the test fails. */
  status = till_test_run_launcher (launcher, (const char *const *) args->pdata, &out, &err);
  /* Its log (stderr) is part of what the secrets test reads. Its stdout is not a log: it
   * carries a new terminal's token on purpose. */
  g_debug ("till-server stderr: %s", err);
  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&out);
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&err);
  return status;
}

int
cli_run (const char *const *argv, const char *const *env, char **out_stdout, char **out_stderr)
{
  return cli_run_full (argv, env, FALSE, out_stdout, out_stderr);
}

TillTestCli *
cli_start (const char *const *argv, const char *const *env)
{
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  TillTestCli     *running = g_new0 (TillTestCli, 1);
  static guint     started;
  g_autofree char *program = g_path_get_basename (g_get_prgname ());
  g_autofree char *log =
      g_strdup_printf ("%s/%s-server-%u.log", till_test_log_dir (), program, ++started);

  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_SECRET_KEY");
  till_test_launcher_set_env (launcher, env);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  /* Its log goes where the secrets test reads it. */
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_ptr_array_add (args, (gpointer) TILL_SERVER_PATH);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);

  running->process = till_test_spawn_full (launcher, (const char *const *) args->pdata,
                                           &running->first_line, &running->base, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (running->first_line);
  g_test_message ("till-server: %s", running->first_line);
  g_assert_nonnull (strstr (running->first_line, "listening on "));
  g_assert_nonnull (running->base);
  return running;
}

void
cli_stop (TillTestCli *running, gboolean kill_hard)
{
  int status = till_test_stop_process (running->process, kill_hard ? SIGKILL : SIGTERM);

  if (!kill_hard)
    g_assert_cmpint (status, ==, 0);
  g_object_unref (running->process);
  g_free (running->first_line);
  g_free (running->base);
  g_free (running);
}

char *
cli_write_file (CliFixture *fixture, const char *name, const char *contents, int mode)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (fixture->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

char *
cli_add_terminal (CliFixture *fixture, const char *name, const char *role)
{
  g_autofree char *out = NULL;
  const char      *argv[] = { "--db", fixture->db, "terminal", "add", name, "--role", role, NULL };
  g_auto (GStrv) lines = NULL;
  guint n;

  g_assert_cmpint (cli_run (argv, NULL, &out, NULL), ==, 0);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  n = g_strv_length (lines);
  g_assert_true (g_str_has_prefix (lines[n - 1], "till_"));
  return g_strdup (lines[n - 1]);
}

guint
cli_count_products (CliFixture *fixture)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) db = till_database_open (fixture->db, &error);

  g_assert_no_error (error);
  return (guint) till_products_count (db, NULL);
}
