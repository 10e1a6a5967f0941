/* test-app-run.c: running the app from the build tree — the message without the settings
 * schema, `meson devenv`, and the translations it finds there. A program of its own: it
 * starts other processes, and changes its locale.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>
#include <sys/wait.h>

#include "till-application.h"
#include "till-test-gtk.h"

/* The program from the build tree without its schema (no `meson devenv`): a clear message and
 * status 1, not GSettings' abort. */
static void
test_application_schema_missing (void)
{
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "..", "src", "app", "till", NULL);
  g_autofree char *empty = till_test_make_tmpdir ("till-app-test");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto (GStrv) env = g_get_environ ();
  const char *argv[] = { program, NULL };
  g_autoptr (GError) error = NULL;
  int status;

  env = g_environ_unsetenv (env, "GSETTINGS_SCHEMA_DIR");
  env = g_environ_setenv (env, "XDG_DATA_DIRS", empty, TRUE);
  env = g_environ_setenv (env, "XDG_DATA_HOME", empty, TRUE);
  env = g_environ_unsetenv (env, "DISPLAY");
  env = g_environ_unsetenv (env, "WAYLAND_DISPLAY");
  g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_assert_nonnull (strstr (err, "io.github.tillpos.Till"));
  g_assert_nonnull (strstr (err, "meson devenv -C _build ./src/app/till"));
  till_test_remove_tree (empty);
}

/* `meson devenv` (which tools/run uses) points the app at the build tree's schema and
 * translations. */
static void
test_application_devenv (void)
{
  g_autofree char *build = g_test_build_filename (G_TEST_BUILT, "..", NULL);
  g_autofree char *meson = g_find_program_in_path ("meson");
  g_autofree char *dump = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { meson, "devenv", "-C", build, "--dump", NULL };
  int         status;

  if (meson == NULL)
    {
      g_test_skip ("meson is not in PATH");
      return;
    }
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &dump, NULL,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (dump, "GSETTINGS_SCHEMA_DIR="));
  g_assert_nonnull (strstr (dump, "TILL_LOCALEDIR="));
}

/* What the program does first, with the build tree's po/ as TILL_LOCALEDIR: Turkish under
 * LANGUAGE=tr. In a process of its own, whose locale the other tests do not share. */
static void
test_application_translations (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *po = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);

      g_setenv ("TILL_LOCALEDIR", po, TRUE);
      g_setenv ("LANGUAGE", "tr", TRUE);
      setlocale (LC_ALL, ""); /* C.UTF-8 in the tests: LANGUAGE counts (not under plain C) */
      till_application_bind_textdomain ();
      g_print ("%s\n", g_dgettext (GETTEXT_PACKAGE, "Offline"));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*Çevrimdışı*");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/run/schema-missing", test_application_schema_missing);
  g_test_add_func ("/app/run/devenv", test_application_devenv);
  g_test_add_func ("/app/run/translations", test_application_translations);

  return g_test_run ();
}
