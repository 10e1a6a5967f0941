/* test-test-util.c: the shared test library's own promises.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "till-test-util.h"

/* The helper: starts a child with till_test_launcher_new (), writes its pid to @path, and
 * aborts as a failing assertion does, with nothing cleaned up. */
static int
abort_with_child (const char *path)
{
  g_autoptr (GSubprocessLauncher) launcher = till_test_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  const char  *argv[] = { "sleep", "600", NULL };
  GSubprocess *child = g_subprocess_launcher_spawnv (launcher, argv, NULL);

  if (child == NULL || !g_file_set_contents (path, g_subprocess_get_identifier (child), -1, NULL))
    return 1;
  abort ();
}

/* Gone, or a zombie waiting for whoever adopted it to reap it. */
static gboolean
process_gone (gpointer data)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", (const char *) data);
  g_autofree char *stat = NULL;
  const char      *end;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;
  end = strrchr (stat, ')');
  return end != NULL && end[1] == ' ' && end[2] == 'Z';
}

static void
test_child_ends_with_aborted_test (void)
{
  g_autofree char *dir = till_test_make_tmpdir ("till-test-util");
  g_autofree char *path = g_build_filename (dir, "pid", NULL);
  g_autofree char *pid = NULL;
  g_autoptr (GSubprocess) helper = NULL;
  g_autoptr (GError) error = NULL;

  helper = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "/proc/self/exe",
                             "--abort-with-child", path, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait (helper, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (helper));
  g_assert_true (g_file_get_contents (path, &pid, NULL, &error));
  g_assert_no_error (error);
  /* What the helper started must not outlive it: a server left by an aborted test keeps its
   * port and the test runner's pipes, and the runner waits for it. */
  if (!till_test_wait_until (process_gone, pid, TILL_TEST_DEADLINE_MS))
    {
      kill (atoi (pid), SIGKILL);
      g_test_fail_printf ("the child %s outlived the test that started it", pid);
    }
  till_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "--abort-with-child") == 0)
    return abort_with_child (argv[2]);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/test-util/child-ends-with-aborted-test", test_child_ends_with_aborted_test);
  return g_test_run ();
}
