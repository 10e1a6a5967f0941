/* test-app-token-store.c: where the app keeps its terminal token — the keyring when a Secret
 * Service is usable, else a file only the user can read (a kiosk's auto-login session). A
 * program of its own: it runs its own session bus (nothing on it can be activated, so no
 * gnome-keyring starts unless a test starts one) and its own XDG directories.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "till-application.h"
#include "till-client.h"
#include "till-test-asan.h"
#include "till-test-util.h"
#include "till-token-store.h"

#define SERVER "https://till.example:8787"
#define OTHER_SERVER "https://other.example:8787"

static char            *top;
static GDBusConnection *connection;

/* The bus and the keyring end with the test, even one that aborts. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static char *
lookup (TillTokenStore *store, const char *server_url, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  till_token_store_lookup_async (store, server_url, NULL, till_test_store_result, &result);
  g_assert_nonnull (till_test_wait_result (&result, TILL_TEST_DEADLINE_MS));
  return till_token_store_lookup_finish (store, result, error);
}

static gboolean
store (TillTokenStore *store, const char *server_url, const char *token, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  till_token_store_store_async (store, server_url, token, NULL, till_test_store_result, &result);
  g_assert_nonnull (till_test_wait_result (&result, TILL_TEST_DEADLINE_MS));
  return till_token_store_store_finish (store, result, error);
}

static guint
mode_of (const char *path)
{
  struct stat st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

static char *
read_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  return contents;
}

static void
remove_token_file (void)
{
  g_autofree char *directory = g_build_filename (g_get_user_config_dir (), "till", NULL);

  till_test_remove_tree (directory);
}

/* No Secret Service on the bus: the token goes into $XDG_CONFIG_HOME/till/terminal-token,
 * 0600 in a 0700 directory, and comes back from there; for another server there is none. */
static void
check_file_fallback (gboolean prompt)
{
  g_autoptr (TillTokenStore) token_store = till_secret_token_store_new ();
  const char      *file = till_secret_token_store_get_file (TILL_SECRET_TOKEN_STORE (token_store));
  g_autofree char *expected =
      g_build_filename (g_get_user_config_dir (), "till", "terminal-token", NULL);
  g_autofree char *directory = g_path_get_dirname (file);
  g_autofree char *token = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;

  remove_token_file ();
  till_secret_token_store_set_prompt (TILL_SECRET_TOKEN_STORE (token_store), prompt);
  g_assert_cmpstr (file, ==, expected);

  token = lookup (token_store, SERVER, &error);
  g_assert_no_error (error);
  g_assert_null (token);

  g_assert_true (store (token_store, SERVER, "tok_first", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mode_of (file), ==, 0600);
  g_assert_cmpuint (mode_of (directory), ==, 0700);
  contents = read_file (file);
  g_assert_nonnull (strstr (contents, "server=" SERVER "\n"));

  token = lookup (token_store, SERVER, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "tok_first");
  g_clear_pointer (&token, g_free);
  token = lookup (token_store, OTHER_SERVER, &error);
  g_assert_no_error (error);
  g_assert_null (token);

  /* Connecting again replaces it, still private; a new store (the app started again) reads
   * it back. */
  g_assert_true (store (token_store, SERVER, "tok_second", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mode_of (file), ==, 0600);
  g_clear_object (&token_store);
  token_store = till_secret_token_store_new ();
  token = lookup (token_store, SERVER, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "tok_second");
}

static void
test_file_no_service (void)
{
  check_file_fallback (TRUE);
}

static void
test_file_no_service_kiosk (void)
{
  check_file_fallback (FALSE);
}

/* A token file others can read is not used, and the message says why without the token. */
static void
test_file_readable_by_others (void)
{
  g_autoptr (TillTokenStore) token_store = till_secret_token_store_new ();
  const char      *file = till_secret_token_store_get_file (TILL_SECRET_TOKEN_STORE (token_store));
  g_autofree char *token = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;

  remove_token_file ();
  g_assert_true (store (token_store, SERVER, "tok_exposed", &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (file, 0644), ==, 0);

  token = lookup (token_store, SERVER, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_null (token);
  g_assert_nonnull (strstr (error->message, file));
  g_assert_null (strstr (error->message, "tok_exposed"));
  /* Left as it was, for the admin to look at. */
  contents = read_file (file);
  g_assert_nonnull (strstr (contents, "tok_exposed"));
  g_assert_cmpuint (mode_of (file), ==, 0644);
}

/* A file that is not a token file: a clear error that quotes none of it. */
static void
test_file_invalid (void)
{
  g_autoptr (TillTokenStore) token_store = till_secret_token_store_new ();
  const char      *file = till_secret_token_store_get_file (TILL_SECRET_TOKEN_STORE (token_store));
  g_autofree char *directory = g_path_get_dirname (file);
  g_autofree char *token = NULL;
  g_autoptr (GError) error = NULL;
  const char *bad[] = { "tok_no_group\n", "[terminal]\ntoken=tok_no_server\n",
                        "[terminal]\nserver=" SERVER "\n",
                        "[terminal]\nserver=" SERVER "\ntoken=\n" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      remove_token_file ();
      g_assert_cmpint (g_mkdir_with_parents (directory, 0700), ==, 0);
      g_assert_true (
          g_file_set_contents_full (file, bad[i], -1, G_FILE_SET_CONTENTS_NONE, 0600, &error));
      g_assert_no_error (error);

      token = lookup (token_store, SERVER, &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_null (token);
      g_assert_null (strstr (error->message, "tok_"));
      g_clear_error (&error);
    }
  /* Storing a token mends it. */
  g_assert_true (store (token_store, SERVER, "tok_mended", &error));
  g_assert_no_error (error);
  token = lookup (token_store, SERVER, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "tok_mended");
}

static void
on_name_appeared (GDBusConnection *connection, const char *name, const char *owner, gpointer flag)
{
  *(gboolean *) flag = TRUE;
}

/* gnome-keyring on the test's bus, its login keyring made and unlocked with a password on
 * stdin (--unlock), or locked (started without it: an auto-login session). */
static GSubprocess *
start_keyring (gboolean unlock)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *program = g_find_program_in_path ("gnome-keyring-daemon");
  GSubprocess     *daemon;
  gboolean         appeared = FALSE;
  const char      *argv[] = { program, "--foreground", "--components=secrets",
                         unlock ? "--unlock" : NULL, NULL };
  guint            watch;

  launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  /* gnome-keyring 42 warns when an item is replaced: not fatal to it. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  daemon = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  if (unlock)
    g_assert_true (g_output_stream_write_all (g_subprocess_get_stdin_pipe (daemon), "password", 8,
                                              NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (g_subprocess_get_stdin_pipe (daemon), NULL, &error));
  g_assert_no_error (error);

  watch = g_bus_watch_name (G_BUS_TYPE_SESSION, "org.freedesktop.secrets",
                            G_BUS_NAME_WATCHER_FLAGS_NONE, on_name_appeared, NULL, &appeared, NULL);
  g_assert_true (till_test_wait_for (&appeared, TILL_TEST_DEADLINE_MS));
  g_bus_unwatch_name (watch);
  return daemon;
}

static void
stop_keyring (GSubprocess *daemon)
{
  g_autoptr (SecretService) service = secret_service_get_sync (SECRET_SERVICE_NONE, NULL, NULL);

  till_test_stop_process (daemon, SIGTERM);
  /* libsecret keeps the service and its session: the next daemon is a new one. */
  if (service != NULL)
    secret_service_disconnect ();
}

/* A Secret Service with an unlocked keyring is preferred: the token goes there (no file), and
 * a token file left from a time without a keyring is removed once the keyring has the token.
 * Then the keyring locked, as an auto-login kiosk finds it: a kiosk (no prompts) keeps the
 * token in the file instead of asking, and finds it there. */
static void
test_keyring_preferred (void)
{
  g_autofree char *program = g_find_program_in_path ("gnome-keyring-daemon");
  g_autoptr (TillTokenStore) token_store = NULL;
  g_autoptr (GSubprocess) daemon = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  const char      *file;

  if (program == NULL)
    {
      g_test_skip ("gnome-keyring-daemon is not installed");
      return;
    }
  remove_token_file ();
  token_store = till_secret_token_store_new ();
  file = till_secret_token_store_get_file (TILL_SECRET_TOKEN_STORE (token_store));
  /* A token stored while there was no keyring. */
  g_assert_true (store (token_store, SERVER, "tok_from_file", &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (file, G_FILE_TEST_EXISTS));

  daemon = start_keyring (TRUE);
  for (int prompt = 1; prompt >= 0; prompt--)
    {
      till_secret_token_store_set_prompt (TILL_SECRET_TOKEN_STORE (token_store), prompt);
      gboolean stored =
          store (token_store, SERVER, prompt ? "tok_keyring" : "tok_keyring_kiosk", &error);

      g_assert_no_error (error);
      g_assert_true (stored);
      g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
      token = lookup (token_store, SERVER, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (token, ==, prompt ? "tok_keyring" : "tok_keyring_kiosk");
      g_clear_pointer (&token, g_free);
    }
  /* A file written by hand beside it does not win over the keyring. */
  g_assert_true (g_file_set_contents_full (file, "[terminal]\nserver=" SERVER "\ntoken=tok_other\n",
                                           -1, G_FILE_SET_CONTENTS_NONE, 0600, &error));
  token = lookup (token_store, SERVER, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "tok_keyring_kiosk");
  g_clear_pointer (&token, g_free);
  remove_token_file ();
  stop_keyring (daemon);
  g_clear_object (&daemon);

  /* The same keyring, locked. */
  daemon = start_keyring (FALSE);
  till_secret_token_store_set_prompt (TILL_SECRET_TOKEN_STORE (token_store), FALSE);
  g_assert_true (store (token_store, SERVER, "tok_locked_kiosk", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mode_of (file), ==, 0600);
  token = lookup (token_store, SERVER, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "tok_locked_kiosk");
  stop_keyring (daemon);
}

typedef struct
{
  TillApplication *app;
  gboolean         online;
} AppRun;

static gboolean
check_online (gpointer data)
{
  AppRun     *run = data;
  TillClient *client = till_application_get_client (run->app);

  if (client == NULL || till_client_get_state (client) != TILL_CONNECTION_ONLINE)
    return G_SOURCE_CONTINUE;
  run->online = TRUE;
  g_application_quit (G_APPLICATION (run->app));
  return G_SOURCE_REMOVE;
}

static gboolean
give_up (gpointer data)
{
  AppRun *run = data;

  g_application_quit (G_APPLICATION (run->app));
  return G_SOURCE_REMOVE;
}

/* The app as a kiosk starts, with no Secret Service on its bus, and connects with the token
 * in the file: a kiosk's auto-login session. */
static void
test_app_kiosk_from_file (void)
{
  g_autofree char *server =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  g_autofree char *db = g_build_filename (top, "kiosk.db", NULL);
  g_autoptr (TillTokenStore) token_store = till_secret_token_store_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *url = NULL;
  g_auto (GStrv) lines = NULL;
  AppRun run = { 0 };
  guint  poll, deadline;
  int    status;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_test_skip ("no display");
      return;
    }
  remove_token_file ();
  out = till_test_run_program (
      (const char *const[]){ server, "--db", db, "terminal", "add", "Kiosk 1", NULL }, &error);
  g_assert_no_error (error);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  till_secret_token_store_set_prompt (TILL_SECRET_TOKEN_STORE (token_store), FALSE);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  process = till_test_spawn (
      launcher,
      (const char *const[]){ server, "--listen", "127.0.0.1:0", "--db", db, "--training", NULL },
      &url, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (url);
  g_assert_true (store (token_store, url, lines[g_strv_length (lines) - 1], &error));
  g_assert_no_error (error);

  run.app = till_application_new ();
  g_application_set_flags (G_APPLICATION (run.app), G_APPLICATION_NON_UNIQUE);
  poll = g_timeout_add (20, check_online, &run);
  deadline = g_timeout_add (TILL_TEST_DEADLINE_MS, give_up, &run);
  status = g_application_run (G_APPLICATION (run.app), 4,
                              (char *[]){ "till", "--kiosk", "--server", url, NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_true (run.online);
  g_source_remove (deadline);
  if (!run.online)
    g_source_remove (poll);
  g_clear_object (&run.app);
  till_test_stop_process (process, SIGTERM);
}

/* A session bus of the test's own, on which nothing can be activated. */
static GSubprocess *
start_bus (void)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *config = g_build_filename (top, "bus.conf", NULL);
  g_autofree char *socket_dir = g_build_filename (top, "bus", NULL);
  g_autofree char *config_text = NULL;
  g_autofree char *address = NULL;
  g_autofree char *config_arg = NULL;
  GSubprocess     *bus;

  g_assert_cmpint (g_mkdir (socket_dir, 0700), ==, 0);
  config_text = g_strdup_printf (
      "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
      " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
      "<busconfig><type>session</type><listen>unix:dir=%s</listen><auth>EXTERNAL</auth>\n"
      "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
      "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n",
      socket_dir);
  g_assert_true (g_file_set_contents (config, config_text, -1, &error));
  g_assert_no_error (error);
  config_arg = g_strconcat ("--config-file=", config, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  bus = till_test_spawn_full (
      launcher,
      (const char *const[]){ "dbus-daemon", config_arg, "--nofork", "--print-address=1", NULL },
      &address, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (address);
  g_strstrip (address);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  /* The bus ends before the test does: no SIGTERM for that. Kept, or a new connection (libsecret
   * makes one) would exit on close again. */
  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  return bus;
}

int
main (int argc, char **argv)
{
  g_autoptr (GSubprocess) bus = NULL;
  g_autofree char *config_home = NULL;
  g_autofree char *data_home = NULL;
  g_autofree char *runtime = NULL;
  g_autofree char *dbus_daemon = NULL;
  int              status;

  g_test_init (&argc, &argv, NULL);
  dbus_daemon = g_find_program_in_path ("dbus-daemon");
  if (dbus_daemon == NULL)
    {
      g_test_message ("dbus-daemon is not installed: skipped");
      return 77;
    }

  /* Before anything asks GLib for the user's directories or the session bus. */
  top = till_test_make_tmpdir ("till-token-test");
  config_home = g_build_filename (top, "config", NULL);
  data_home = g_build_filename (top, "data", NULL);
  runtime = g_build_filename (top, "run", NULL);
  g_assert_cmpint (g_mkdir (runtime, 0700), ==, 0);
  g_setenv ("XDG_CONFIG_HOME", config_home, TRUE);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("XDG_CACHE_HOME", data_home, TRUE);
  /* The test's bus has no accessibility bus either. */
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_setenv ("XDG_STATE_HOME", data_home, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);
  bus = start_bus ();

  g_test_add_func ("/app/token-store/file/no-service", test_file_no_service);
  g_test_add_func ("/app/token-store/file/no-service-kiosk", test_file_no_service_kiosk);
  g_test_add_func ("/app/token-store/file/readable-by-others", test_file_readable_by_others);
  g_test_add_func ("/app/token-store/file/invalid", test_file_invalid);
  g_test_add_func ("/app/token-store/app/kiosk-from-file", test_app_kiosk_from_file);
  g_test_add_func ("/app/token-store/keyring/preferred", test_keyring_preferred);
  status = g_test_run ();

  till_test_stop_process (bus, SIGTERM);
  g_clear_object (&connection);
  till_test_remove_tree (top);
  g_free (top);
  return status;
}
