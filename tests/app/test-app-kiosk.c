/* test-app-kiosk.c: kiosk mode against the real till-server --training: the lockdown comes
 * from the server's word on the terminal (a kiosk terminal is locked down, a cashier's is
 * not, whatever the app was told), escape shortcuts and closing do nothing, the app's own
 * actions are taken away, and the attendant's PIN pad: the right PIN leaves, 5 wrong ones
 * lock it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <signal.h>
#include <string.h>

#include "till-kiosk-private.h"
#include "till-test-asan.h"
#include "till-test-gtk.h"
#include "till-window-private.h"

#define PIN "2468"

typedef struct
{
  char           *tmpdir;
  char           *db;
  GSubprocess    *server;
  char           *url;
  char           *kiosk_token;
  char           *cashier_token;
  GtkApplication *application;
  TillCatalog    *catalog;
  TillCartStore  *store;
  TillClient     *client;
  TillWindow     *window;
  TillKiosk      *kiosk;
  gboolean        quit;
} Fixture;

/* till-server with @args on the fixture's database, @input on its standard input: the last
 * line it printed (a new terminal's token). */
static char *
run_server_command (Fixture *f, const char *const *args, const char *input)
{
  g_autofree char *server =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;

  g_ptr_array_add (argv, server);
  g_ptr_array_add (argv, (char *) "--db");
  g_ptr_array_add (argv, f->db);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  return g_strdup (lines[g_strv_length (lines) - 1]);
}

static void
on_quit (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  Fixture *f = user_data;

  f->quit = TRUE;
}

static gboolean
window_mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

static gboolean
client_online (gpointer data)
{
  return till_client_get_state (TILL_CLIENT (data)) == TILL_CONNECTION_ONLINE;
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *server =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSimpleAction) quit = g_simple_action_new ("quit", NULL);
  g_autoptr (GFile) dir = NULL;
  g_autoptr (GError) error = NULL;
  const char *kiosk_args[] = { "terminal", "add", "Kiosk 1", "--role", "kiosk", "--pin", NULL };
  const char *cashier_args[] = { "terminal", "add", "Till 1", NULL };

  /* What an earlier case's kiosk remembered (GSettings' memory backend lives as long as the
   * program) is not this one's. */
  {
    g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);

    g_settings_reset (settings, "kiosk-policy");
  }
  f->tmpdir = till_test_make_tmpdir ("till-app-kiosk");
  f->db = g_build_filename (f->tmpdir, "till.db", NULL);
  f->kiosk_token = run_server_command (f, kiosk_args, PIN "\n");
  f->cashier_token = run_server_command (f, cashier_args, NULL);
  {
    const char *argv[] = { server, "--listen", "127.0.0.1:0", "--db", f->db, "--training", NULL };

    launcher = till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", f->tmpdir, TRUE);
    f->server = till_test_spawn (launcher, argv, &f->url, NULL, &error);
    g_assert_no_error (error);
  }

  /* An application with a quit action and its Ctrl+Q, as the app has. */
  /* An id of its own each time: an application stays exported while anything holds it. */
  {
    static guint     n;
    g_autofree char *id = g_strdup_printf ("io.github.tillpos.Till.KioskTest%u", n++);

    f->application = gtk_application_new (id, G_APPLICATION_NON_UNIQUE);
  }
  g_signal_connect (quit, "activate", G_CALLBACK (on_quit), f);
  g_action_map_add_action (G_ACTION_MAP (f->application), G_ACTION (quit));
  gtk_application_set_accels_for_action (f->application, "app.quit",
                                         (const char *const[]){ "<Primary>q", NULL });
  g_application_register (G_APPLICATION (f->application), NULL, &error);
  g_assert_no_error (error);

  dir = g_file_new_for_path (f->tmpdir);
  f->catalog = till_catalog_new ();
  f->store = till_cart_store_new (dir);
  f->client = till_client_new ();
  till_client_set_retry_delays (f->client, 20, 200);
  f->window = till_window_new (f->application, f->catalog, f->store, f->client);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1024, 768);
  f->kiosk = till_kiosk_new (f->window, f->client);
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (till_test_wait_until (window_mapped, f->window, 5000));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->kiosk);
  /* An entry destroyed with the focus (and its blinking cursor) warns. */
  gtk_window_set_focus (GTK_WINDOW (f->window), NULL);
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->client);
  g_clear_object (&f->store);
  g_clear_object (&f->catalog);
  g_clear_object (&f->application);
  till_test_stop_process (f->server, SIGTERM);
  g_clear_object (&f->server);
  till_test_remove_tree (f->tmpdir);
  g_free (f->tmpdir);
  g_free (f->db);
  g_free (f->url);
  g_free (f->kiosk_token);
  g_free (f->cashier_token);
}

static gboolean
kiosk_locked (gpointer data)
{
  return till_kiosk_get_locked (TILL_KIOSK (data));
}

static gboolean
kiosk_unlocked (gpointer data)
{
  return !till_kiosk_get_locked (TILL_KIOSK (data));
}

/* Connected as the server's kiosk terminal, and locked down. */
static void
connect_kiosk (Fixture *f)
{
  till_client_set_server (f->client, f->url, f->kiosk_token);
  g_assert_true (till_test_wait_until (client_online, f->client, 20000));
  g_assert_true (till_test_wait_until (kiosk_locked, f->kiosk, 5000));
}

static GtkWidget *
find_tab_bar (GtkWidget *widget)
{
  if (ADW_IS_TAB_BAR (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_tab_bar (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
header_bar (Fixture *f)
{
  GtkWidget *widget = gtk_widget_get_first_child (GTK_WIDGET (f->window));

  /* The window's content: the kiosk's overlay, the toast overlay, its box, the header bar. */
  while (widget != NULL && !ADW_IS_HEADER_BAR (widget))
    widget = gtk_widget_get_first_child (widget);
  g_assert_nonnull (widget);
  return widget;
}

/* Activating @name on @widget opens nothing: no dialog, no other page. */
static void
assert_does_nothing (Fixture *f, GtkWidget *widget, const char *name)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint       before = g_list_model_get_n_items (toplevels);

  g_test_message ("%s", name);
  gtk_widget_activate_action (widget, name, NULL);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (g_list_model_get_n_items (toplevels), ==, before);
  g_assert_cmpstr (till_window_get_mode (f->window), ==, "sell");
}

static void
assert_locked_down (Fixture *f)
{
  GAction *quit = g_action_map_lookup_action (G_ACTION_MAP (f->application), "quit");
  g_auto (GStrv) accels = gtk_application_get_accels_for_action (f->application, "app.quit");

  g_assert_true (till_kiosk_get_locked (f->kiosk));
  g_assert_false (gtk_widget_get_visible (header_bar (f)));
  g_assert_false (g_action_get_enabled (quit));
  g_assert_cmpuint (g_strv_length (accels), ==, 0);
  assert_does_nothing (f, GTK_WIDGET (f->window), "win.cart-discount");
  assert_does_nothing (f, GTK_WIDGET (f->window), "win.show-orders");
  assert_does_nothing (f, GTK_WIDGET (f->window), "win.show-figures");
  assert_does_nothing (f, GTK_WIDGET (till_window_get_cart_view (f->window)), "cart.note");
  assert_does_nothing (f, GTK_WIDGET (till_window_get_cart_view (f->window)), "cart.discount");
  g_assert_null (till_window_get_dialog (f->window));
  /* No cart tabs: a customer cannot close (discard) or add carts. */
  g_assert_false (gtk_widget_get_visible (find_tab_bar (GTK_WIDGET (f->window))));
}

/* The server says kiosk: locked down; closing the window is refused. */
static void
test_policy_kiosk (Fixture *f, gconstpointer data)
{
  g_assert_false (till_kiosk_get_locked (f->kiosk));
  g_assert_true (gtk_widget_get_visible (header_bar (f)));
  connect_kiosk (f);
  assert_locked_down (f);

  gtk_window_close (GTK_WINDOW (f->window));
  g_main_context_iteration (NULL, FALSE);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window)));
  g_assert_true (till_kiosk_get_locked (f->kiosk));
  g_assert_false (f->quit);
}

static gboolean
client_says_cashier (gpointer data)
{
  const TillStoreConfig *config = till_client_get_config (TILL_CLIENT (data));

  return config != NULL && !till_store_config_is_kiosk (config);
}

/* A kiosk that starts again while its server is out of reach is still a kiosk, with the
 * policy it last had (its PIN too); a cashier's till that starts offline is none. */
static void
test_restart_offline (Fixture *f, gconstpointer data)
{
  g_autofree char *closed = till_test_closed_port_url ();
  g_autoptr (TillClient) offline = till_client_new ();
  g_autoptr (TillKiosk) again = NULL;

  connect_kiosk (f);
  g_clear_object (&f->kiosk);
  till_client_set_server (offline, closed, f->kiosk_token);
  again = till_kiosk_new (f->window, offline);
  g_assert_true (till_kiosk_get_locked (again));
  assert_does_nothing (f, GTK_WIDGET (f->window), "win.cart-discount");
  g_clear_object (&again);
  till_window_set_locked (f->window, FALSE);

  /* The server said cashier: nothing is remembered. */
  till_client_set_server (f->client, f->url, f->cashier_token);
  g_assert_true (till_test_wait_until (client_says_cashier, f->client, 20000));
  f->kiosk = till_kiosk_new (f->window, f->client);
  g_assert_false (till_kiosk_get_locked (f->kiosk));
  g_clear_object (&f->kiosk);
  again = till_kiosk_new (f->window, offline);
  g_assert_false (till_kiosk_get_locked (again));
}

/* A cashier's terminal is no kiosk; the same app then connected as the kiosk is one, and
 * the cashier's again is not. */
static void
test_policy_cashier (Fixture *f, gconstpointer data)
{
  GAction *quit = g_action_map_lookup_action (G_ACTION_MAP (f->application), "quit");

  till_client_set_server (f->client, f->url, f->cashier_token);
  g_assert_true (till_test_wait_until (client_online, f->client, 20000));
  g_assert_false (till_kiosk_get_locked (f->kiosk));
  g_assert_true (gtk_widget_get_visible (header_bar (f)));
  g_assert_true (g_action_get_enabled (quit));

  connect_kiosk (f);
  assert_locked_down (f);

  till_client_set_server (f->client, f->url, f->cashier_token);
  g_assert_true (till_test_wait_until (client_online, f->client, 20000));
  g_assert_true (till_test_wait_until (kiosk_unlocked, f->kiosk, 20000));
  g_assert_true (gtk_widget_get_visible (header_bar (f)));
  g_assert_true (g_action_get_enabled (quit));
  {
    g_auto (GStrv) accels = gtk_application_get_accels_for_action (f->application, "app.quit");

    g_assert_cmpstrv (accels, ((const char *const[]){ "<Control>q", NULL }));
  }
}

/* Every shortcut that could escape is swallowed while locked; what a customer or a barcode
 * scanner types is not. */
static void
test_keys (Fixture *f, gconstpointer data)
{
  static const struct
  {
    guint           keyval;
    GdkModifierType state;
  } escapes[] = {
    { GDK_KEY_q, GDK_CONTROL_MASK },
    { GDK_KEY_w, GDK_CONTROL_MASK },
    { GDK_KEY_F11, 0 },
    { GDK_KEY_Escape, 0 },
    { GDK_KEY_F4, GDK_ALT_MASK },
    { GDK_KEY_comma, GDK_CONTROL_MASK },
    { GDK_KEY_o, GDK_CONTROL_MASK },
    { GDK_KEY_t, GDK_CONTROL_MASK },
    { GDK_KEY_d, GDK_CONTROL_MASK },
    { GDK_KEY_I, GDK_CONTROL_MASK | GDK_SHIFT_MASK },
    { GDK_KEY_Tab, GDK_ALT_MASK },
    { GDK_KEY_F12, 0 },
    { GDK_KEY_F1, 0 },
    { GDK_KEY_Super_L, 0 },
    { GDK_KEY_Menu, 0 },
    { GDK_KEY_question, GDK_CONTROL_MASK | GDK_SHIFT_MASK },
  };
  static const struct
  {
    guint           keyval;
    GdkModifierType state;
  } typed[] = {
    { GDK_KEY_8, 0 },         { GDK_KEY_Return, 0 },
    { GDK_KEY_a, 0 },         { GDK_KEY_A, GDK_SHIFT_MASK },
    { GDK_KEY_BackSpace, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (escapes); i++)
    g_assert_false (till_kiosk_filter_key (f->kiosk, escapes[i].keyval, escapes[i].state));
  connect_kiosk (f);
  for (guint i = 0; i < G_N_ELEMENTS (escapes); i++)
    {
      g_test_message ("key %s, state %x", gdk_keyval_name (escapes[i].keyval), escapes[i].state);
      g_assert_true (till_kiosk_filter_key (f->kiosk, escapes[i].keyval, escapes[i].state));
    }
  for (guint i = 0; i < G_N_ELEMENTS (typed); i++)
    g_assert_false (till_kiosk_filter_key (f->kiosk, typed[i].keyval, typed[i].state));
  g_assert_false (till_kiosk_get_pin_pad_open (f->kiosk));
  assert_locked_down (f);
  g_assert_false (f->quit);
}

static gboolean
pin_checked (gpointer data)
{
  return !till_kiosk_get_checking (TILL_KIOSK (data));
}

static void
submit_pin (Fixture *f, const char *pin)
{
  till_kiosk_submit_pin (f->kiosk, pin);
  g_assert_true (till_test_wait_until (pin_checked, f->kiosk, 20000));
}

/* Ctrl+Alt+Shift+A opens the pad; a wrong PIN keeps the kiosk, the right one leaves it for
 * the normal till, which the server's next word does not lock again. */
static void
test_pin_pad (Fixture *f, gconstpointer data)
{
  GAction *quit = g_action_map_lookup_action (G_ACTION_MAP (f->application), "quit");

  connect_kiosk (f);
  g_assert_false (till_kiosk_get_pin_pad_open (f->kiosk));
  g_assert_true (till_kiosk_filter_key (f->kiosk, GDK_KEY_A,
                                        GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK));
  g_assert_true (till_kiosk_get_pin_pad_open (f->kiosk));

  submit_pin (f, "1357");
  g_assert_true (till_kiosk_get_locked (f->kiosk));
  g_assert_cmpstr (till_kiosk_get_pin_message (f->kiosk), ==, "Wrong PIN. Try again.");
  assert_locked_down (f);

  submit_pin (f, PIN);
  g_assert_false (till_kiosk_get_locked (f->kiosk));
  g_assert_false (till_kiosk_get_pin_pad_open (f->kiosk));
  g_assert_true (gtk_widget_get_visible (header_bar (f)));
  g_assert_true (g_action_get_enabled (quit));
  g_assert_false (till_kiosk_filter_key (f->kiosk, GDK_KEY_q, GDK_CONTROL_MASK));

  /* The server still says kiosk: the attendant's exit holds until the app starts again. */
  till_client_reconnect (f->client);
  g_assert_true (till_test_wait_until (client_online, f->client, 20000));
  g_assert_false (till_kiosk_get_locked (f->kiosk));
}

static gboolean
pad_unlocked (gpointer data)
{
  return !till_kiosk_get_pin_pad_locked (TILL_KIOSK (data));
}

/* 5 wrong PINs lock the pad: not even the right PIN is taken until the lockout ends. */
static void
test_pin_lockout (Fixture *f, gconstpointer data)
{
  connect_kiosk (f);
  till_kiosk_set_lockout_seconds (f->kiosk, 1);
  till_kiosk_open_pin_pad (f->kiosk);
  for (guint i = 0; i < 4; i++)
    {
      submit_pin (f, "0000");
      g_assert_false (till_kiosk_get_pin_pad_locked (f->kiosk));
    }
  submit_pin (f, "0000");
  g_assert_true (till_kiosk_get_pin_pad_locked (f->kiosk));
  g_assert_cmpstr (till_kiosk_get_pin_message (f->kiosk), ==,
                   "Too many wrong PINs: the pad is locked for a minute.");
  submit_pin (f, PIN);
  g_assert_true (till_kiosk_get_locked (f->kiosk));
  g_assert_true (till_kiosk_get_pin_pad_locked (f->kiosk));

  g_assert_true (till_test_wait_until (pad_unlocked, f->kiosk, 10000));
  submit_pin (f, PIN);
  g_assert_false (till_kiosk_get_locked (f->kiosk));
}

int
main (int argc, char **argv)
{
  till_test_init_gtk (&argc, &argv);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/app/kiosk/policy/kiosk", test_policy_kiosk);
  ADD ("/app/kiosk/policy/cashier", test_policy_cashier);
  ADD ("/app/kiosk/restart-offline", test_restart_offline);
  ADD ("/app/kiosk/keys", test_keys);
  ADD ("/app/kiosk/pin-pad", test_pin_pad);
  ADD ("/app/kiosk/pin-lockout", test_pin_lockout);
#undef ADD

  return g_test_run ();
}
