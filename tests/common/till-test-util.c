/* till-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "till-test-util.h"

static gboolean
on_deadline (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
till_test_child_dies_with_parent (void)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
die_with_parent (gpointer user_data)
{
  till_test_child_dies_with_parent ();
}

GSubprocessLauncher *
till_test_launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  return launcher;
}

gboolean
till_test_wait_until (TillTestCheck check, gpointer data, guint timeout_ms)
{
  gboolean expired = FALSE;
  guint    deadline = g_timeout_add (timeout_ms, on_deadline, &expired);
  /* What another thread or process changes wakes no main loop: look again every 10 ms. */
  guint tick = g_timeout_add (10, on_tick, NULL);

  while (!check (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  if (!expired)
    g_source_remove (deadline);
  return check (data);
}

gboolean
till_test_flag_is_set (gpointer flag)
{
  return *(gboolean *) flag;
}

gboolean
till_test_time_passed (gpointer deadline)
{
  return g_get_monotonic_time () >= *(gint64 *) deadline;
}

gboolean
till_test_wait_for (gboolean *flag, guint timeout_ms)
{
  return till_test_wait_until (till_test_flag_is_set, flag, timeout_ms);
}

static gboolean
result_arrived (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

GAsyncResult *
till_test_wait_result (GAsyncResult **result, guint timeout_ms)
{
  till_test_wait_until (result_arrived, result, timeout_ms);
  return *result;
}

void
till_test_store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

char *
till_test_closed_port_url (void)
{
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  g_autoptr (GError) error = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

  g_assert_no_error (error);
  g_socket_listener_close (listener);
  return g_strdup_printf ("http://127.0.0.1:%u", port);
}

guint16
till_test_reusable_port (void)
{
  g_autofree char *range = NULL;
  guint            low = 32768;

  if (g_file_get_contents ("/proc/sys/net/ipv4/ip_local_port_range", &range, NULL, NULL))
    low = (guint) g_ascii_strtoull (range, NULL, 10);
  low = CLAMP (low, 2048, 65535);
  for (guint attempt = 0; attempt < 200; attempt++)
    {
      guint16 port = g_random_int_range (1024, low);
      g_autoptr (GSocketListener) listener = g_socket_listener_new ();

      if (g_socket_listener_add_inet_port (listener, port, NULL, NULL))
        {
          g_socket_listener_close (listener);
          return port;
        }
    }
  g_error ("no free port below %u", low);
}

char *
till_test_make_tmpdir (const char *prefix)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *template = g_strconcat (prefix, "-XXXXXX", NULL);
  char *path = g_dir_make_tmp (template, &error);

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

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        till_test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

void
till_test_launcher_set_env (GSubprocessLauncher *launcher, const char *const *env)
{
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto (GStrv) pair = g_strsplit (env[i], "=", 2);

      g_assert_nonnull (pair[1]);
      g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
}

GSubprocess *
till_test_spawn (GSubprocessLauncher *launcher,
                 const char *const   *argv,
                 char               **out_url,
                 GDataInputStream   **out_stdout,
                 GError             **error)
{
  return till_test_spawn_full (launcher, argv, NULL, out_url, out_stdout, error);
}

GSubprocess *
till_test_spawn_full (GSubprocessLauncher *launcher,
                      const char *const   *argv,
                      char               **out_line,
                      char               **out_url,
                      GDataInputStream   **out_stdout,
                      GError             **error)
{
  g_autoptr (GSubprocess) process = g_subprocess_launcher_spawnv (launcher, argv, error);
  g_autoptr (GDataInputStream) lines = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autofree char *line = NULL;
  const char      *url;

  if (out_line != NULL)
    *out_line = NULL;
  if (out_url != NULL)
    *out_url = NULL;
  if (process == NULL)
    return NULL;
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  if (out_url == NULL && out_line == NULL)
    {
      if (out_stdout != NULL)
        *out_stdout = g_steal_pointer (&lines);
      return g_steal_pointer (&process);
    }
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, till_test_store_result,
                                       &result);
  if (till_test_wait_result (&result, TILL_TEST_DEADLINE_MS) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s printed no line in %u ms", argv[0],
                   TILL_TEST_DEADLINE_MS);
      g_subprocess_force_exit (process);
      return NULL;
    }
  line = g_data_input_stream_read_line_finish_utf8 (lines, result, NULL, NULL);
  url = line != NULL ? strstr (line, "http://") : NULL;
  if (url == NULL && line != NULL)
    url = strstr (line, "https://");
  if (url != NULL && out_url != NULL)
    *out_url = g_strndup (url, strcspn (url, " \t"));
  if (out_line != NULL)
    *out_line = g_steal_pointer (&line);
  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&lines);
  return g_steal_pointer (&process);
}
int
till_test_stop_process (GSubprocess *process, int signum)
{
  g_autoptr (GAsyncResult) result = NULL;

  g_subprocess_send_signal (process, signum);
  g_subprocess_wait_async (process, NULL, till_test_store_result, &result);
  if (till_test_wait_result (&result, TILL_TEST_DEADLINE_MS) == NULL)
    {
      g_subprocess_force_exit (process);
      g_assert_nonnull (till_test_wait_result (&result, TILL_TEST_DEADLINE_MS));
      g_error ("%s did not end within %u ms of signal %d", g_subprocess_get_identifier (process),
               TILL_TEST_DEADLINE_MS, signum);
    }
  g_subprocess_wait_finish (process, result, NULL);
  return g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
}

/* Waits for @process to end, with what it printed: FALSE (and @error) at the deadline, when
 * it is killed. */
static gboolean
communicate (GSubprocess *process, char **out_stdout, char **out_stderr, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  g_subprocess_communicate_utf8_async (process, NULL, NULL, till_test_store_result, &result);
  if (till_test_wait_result (&result, TILL_TEST_DEADLINE_MS) == NULL)
    {
      g_subprocess_force_exit (process);
      till_test_wait_result (&result, TILL_TEST_DEADLINE_MS);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s did not end in %u ms",
                   g_subprocess_get_identifier (process), TILL_TEST_DEADLINE_MS);
      return FALSE;
    }
  return g_subprocess_communicate_utf8_finish (process, result, out_stdout, out_stderr, error);
}

char *
till_test_run_program (const char *const *argv, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GSubprocess) process = g_subprocess_launcher_spawnv (launcher, argv, error);
  g_autofree char *out = NULL;

  if (process == NULL || !communicate (process, &out, NULL, error))
    return NULL;
  if (!g_subprocess_get_successful (process))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed", argv[0]);
      return NULL;
    }
  return g_steal_pointer (&out);
}

int
till_test_run_launcher (GSubprocessLauncher *launcher,
                        const char *const   *argv,
                        char               **out_stdout,
                        char               **out_stderr)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_no_error (error);
  communicate (process, &out, &err, &error);
  g_assert_no_error (error);
  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&out);
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&err);
  return g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
}
