/* test-app-training.c: "Try It in Training Mode" with nothing else installed, as in the
 * Flatpak: the whole application, no server configured and none answering where training
 * servers listen, starts its own till-server --training (found in the build tree, as the
 * Flatpak's is beside the app), connects to it, sells, and stops it when it quits.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "till-application.h"
#include "till-cart-view.h"
#include "till-test-gtk.h"
#include "till-window-private.h"
#include "till-test-asan.h"

typedef struct
{
  TillApplication      *app;
  char                 *refused_url;
  char                 *old_reference; /* of the cart left in dollars by the old USD training */
  TillCartModel        *cart;
  TillCheckoutResponse *response;
  TillOrder            *synced;
  GError               *error;
  char                 *server_pid;
  char                 *server_url;
  gboolean              checked;
} Run;

static TillConnectDialog *
find_connect_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);
      if (TILL_IS_CONNECT_DIALOG (window))
        return TILL_CONNECT_DIALOG (window);
    }
  return NULL;
}

static gboolean
connect_dialog_shown (gpointer data)
{
  return find_connect_dialog () != NULL;
}

static gboolean
online_in_training (gpointer data)
{
  TillClient *client = data;

  return till_client_get_state (client) == TILL_CONNECTION_ONLINE &&
         till_store_config_is_training (till_client_get_config (client));
}

static gboolean
scanned (gpointer data)
{
  TillWindow    *window = data;
  TillCartModel *cart = till_cart_view_get_selected_cart (till_window_get_cart_view (window));

  return cart != NULL && till_cart_model_get_n_items (cart) > 0;
}

static void
on_payment_requested (TillWindow           *window,
                      TillCartModel        *cart,
                      TillCheckoutResponse *response,
                      Run                  *run)
{
  run->response = till_checkout_response_copy (response);
  run->cart = cart;
}

static gboolean
handed_off (gpointer data)
{
  return ((Run *) data)->response != NULL;
}

static void
on_synced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;

  run->synced = till_client_order_action_finish (TILL_CLIENT (source), result, &run->error);
  if (run->synced == NULL && run->error == NULL)
    run->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "no order");
}

static gboolean
synced (gpointer data)
{
  return ((Run *) data)->synced != NULL || ((Run *) data)->error != NULL;
}

static void
on_carts_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_assert_true (till_cart_store_load_finish (TILL_CART_STORE (source), result, NULL));
  *(gboolean *) user_data = TRUE;
}

/* The dollar cart was kept aside as it was: never sent to the euro store, nor changed. */
static void
assert_dollar_cart_kept (const char *reference)
{
  g_autoptr (GFile) dir = till_cart_store_get_default_directory ();
  g_autoptr (TillCartStore) store = till_cart_store_new (dir);
  GListModel *carts = till_cart_store_get_carts (store);
  gboolean    loaded = FALSE, found = FALSE;

  till_cart_store_load_async (store, NULL, on_carts_loaded, &loaded);
  g_assert_true (till_test_wait_for (&loaded, 5000));
  for (guint i = 0; i < g_list_model_get_n_items (carts); i++)
    {
      g_autoptr (TillCartModel) cart = g_list_model_get_item (carts, i);

      if (g_strcmp0 (till_cart_model_get_client_reference (cart), reference) != 0)
        continue;
      g_assert_cmpstr (till_cart_model_get_currency (cart), ==, "USD");
      g_assert_cmpuint (till_cart_model_get_n_lines (cart), ==, 1);
      found = TRUE;
    }
  g_assert_true (found);
}

static gboolean
sell_in_training (gpointer data)
{
  Run                *run = data;
  TillClient         *client = till_application_get_client (run->app);
  TillTrainingServer *server;
  TillWindow         *window;
  TillCartView       *view;
  GtkWidget          *training;

  g_assert_true (till_test_wait_until (connect_dialog_shown, NULL, 10000));
  training = GTK_WIDGET (gtk_widget_get_template_child (
      GTK_WIDGET (find_connect_dialog ()), TILL_TYPE_CONNECT_DIALOG, "training_button"));
  g_signal_emit_by_name (training, "clicked");

  /* Nothing answered at the usual address: the app's own server (a first start creates
   * its database and loads the demo catalog). */
  g_assert_true (till_test_wait_until (online_in_training, client, 60000));
  server = till_application_get_training_server (run->app);
  g_assert_nonnull (server);
  g_assert_nonnull (till_training_server_get_url (server));
  g_assert_true (g_str_has_prefix (till_training_server_get_url (server), "http://127.0.0.1:"));
  g_assert_cmpstr (till_training_server_get_url (server), !=, run->refused_url);
  g_assert_cmpstr (till_client_get_base_url (client), ==, till_training_server_get_url (server));
  g_assert_false (connect_dialog_shown (NULL));
  run->server_pid = g_strdup (till_training_server_get_identifier (server));
  run->server_url = g_strdup (till_training_server_get_url (server));

  /* The store sells the demo catalog in its own euros, tax included; the empty cart made
   * in the dollars remembered from before follows it, and is the one on screen. */
  g_assert_cmpstr (till_client_get_config (client)->currency, ==, "EUR");
  g_assert_true (till_client_get_config (client)->prices_include_tax);
  window = TILL_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (run->app)));
  view = till_window_get_cart_view (window);
  g_assert_cmpstr (till_cart_model_get_currency (till_cart_view_get_selected_cart (view)), ==,
                   "EUR");
  g_assert_cmpuint (till_cart_model_get_n_lines (till_cart_view_get_selected_cart (view)), ==, 0);
  g_assert_cmpstr (till_cart_view_get_charge_label (view), ==, "Charge €0.00");

  /* Scan, Charge, pay with a test card, and the server says paid. */
  g_assert_true (till_window_get_training_shown (window));
  g_signal_connect (window, "payment-requested", G_CALLBACK (on_payment_requested), run);
  /* Once: online, a code the catalog on this computer does not know yet is asked of the
   * server (a scan per loop iteration would leave lookups answering during the checkout). */
  till_window_handle_barcode (window, "8691234000014"); /* İstanbul Simidi */
  g_assert_true (till_test_wait_until (scanned, window, 30000));
  g_assert_cmpuint (till_cart_model_get_n_items (till_cart_view_get_selected_cart (view)), ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.charge", NULL);
  g_assert_true (till_test_wait_until (handed_off, run, 20000));
  g_assert_cmpint (run->response->order->total, >, 0);
  till_test_confirm_at_stripe (till_client_get_config (client), run->response);
  till_client_sync_order_async (client, run->response->order->id, NULL, on_synced, run);
  g_assert_true (till_test_wait_until (synced, run, 20000));
  g_assert_no_error (run->error);
  g_assert_cmpint (run->synced->status, ==, TILL_ORDER_PAID);
  g_assert_cmpstr (run->synced->currency, ==, "EUR");
  /* Simit: €0.90, tax included. */
  g_assert_cmpint (run->synced->total, ==, 90);
  assert_dollar_cart_kept (run->old_reference);

  run->checked = TRUE;
  g_application_quit (G_APPLICATION (run->app));
  return G_SOURCE_REMOVE;
}

/* An address where nothing answers: a port that was free a moment ago. */
static char *
refused_url (void)
{
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_socket_listener_add_address (listener, any, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error));
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  return g_strdup_printf ("http://127.0.0.1:%u",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
}

static void
on_old_carts_written (TillCartStore *store, GParamSpec *pspec, gboolean *written)
{
  *written = !till_cart_store_is_busy (store);
}

/* What a till used with the training of old, which sold in dollars, left: the currency
 * remembered, an empty cart in it, and a cart with a line and a client reference. */
static char *
leave_dollar_carts (void)
{
  g_autoptr (GSettings) settings = g_settings_new ("io.github.tillpos.Till");
  g_autoptr (GFile) dir = till_cart_store_get_default_directory ();
  g_autoptr (TillCartStore) store = till_cart_store_new (dir);
  g_autoptr (TillProduct) simit =
      till_product_new (1, "İstanbul Simidi", "SIM-001", "8691234000014", "Bakery", "USD", 90, 800);
  g_autoptr (GError) error = NULL;
  TillCartModel *cart;
  gboolean       written = FALSE;
  char          *reference;

  g_settings_set_string (settings, "currency", "USD");
  g_settings_set_boolean (settings, "prices-include-tax", FALSE);
  till_cart_store_new_cart (store, "USD", FALSE);
  /* Opened last, so it is the one on screen when the carts come back. */
  cart = till_cart_store_new_cart (store, "USD", FALSE);
  g_assert_cmpint (till_cart_model_add_product (cart, simit, 1, &error), ==, 0);
  g_assert_no_error (error);
  reference = g_strdup (till_cart_model_ensure_client_reference (cart));
  g_signal_connect (store, "notify::busy", G_CALLBACK (on_old_carts_written), &written);
  g_assert_true (till_cart_store_is_busy (store));
  g_assert_true (till_test_wait_for (&written, 5000));
  g_signal_handlers_disconnect_by_data (store, &written);
  return reference;
}

static void
test_try_training (void)
{
  g_autoptr (TillTokenStore) tokens = till_memory_token_store_new ();
  g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr (GSocketConnection) after = NULL;
  g_autoptr (GUri) server_uri = NULL;
  g_autoptr (GError) error = NULL;
  Run run = { 0 };
  int status;

  /* The data (carts), cache (catalog) and state (the app's private training database)
   * directories were set in main (). */
  run.old_reference = leave_dollar_carts ();
  run.app = till_application_new ();
  run.refused_url = refused_url ();
  g_application_set_flags (G_APPLICATION (run.app), G_APPLICATION_NON_UNIQUE);
  till_application_set_token_store (run.app, tokens);
  till_application_set_training_url (run.app, run.refused_url);
  g_idle_add (sell_in_training, &run);
  status = g_application_run (G_APPLICATION (run.app), 0, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (run.checked);

  /* Quitting stopped the server: its process is gone, its port closed. */
  g_assert_nonnull (run.server_pid);
  g_assert_cmpint (kill ((pid_t) g_ascii_strtoll (run.server_pid, NULL, 10), 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
  server_uri = g_uri_parse (run.server_url, G_URI_FLAGS_NONE, NULL);
  after = g_socket_client_connect_to_host (socket_client, "127.0.0.1", g_uri_get_port (server_uri),
                                           NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  /* Its database is the app's, in its state directory. */
  {
    g_autofree char *db = g_build_filename (g_get_user_state_dir (), "till", "training.db", NULL);
    g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));
  }

  till_checkout_response_free (run.response);
  g_clear_pointer (&run.synced, till_order_free);
  g_free (run.refused_url);
  g_free (run.old_reference);
  g_free (run.server_pid);
  g_free (run.server_url);
  g_clear_object (&run.app);
}

/* The helper: an app that starts its training server, says its pid, and waits to be killed. */
static void
on_helper_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url =
      till_training_server_start_finish (TILL_TRAINING_SERVER (source), result, &error);

  g_assert_no_error (error);
  g_print ("%s\n", till_training_server_get_identifier (TILL_TRAINING_SERVER (source)));
  fflush (stdout);
}

static int
run_helper (void)
{
  g_autofree char *program = till_training_server_find_program ();
  g_autofree char *db = till_training_server_default_database ();
  g_autoptr (TillTrainingServer) server = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_assert_nonnull (program);
  server = till_training_server_new (program, db);
  till_training_server_start_async (server, NULL, on_helper_started, NULL);
  g_main_loop_run (loop);
  return 0;
}

typedef struct
{
  char    *line;
  gboolean done;
} Line;

static void
on_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Line *line = user_data;

  line->line =
      g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  line->done = TRUE;
}

static gboolean
line_read (gpointer data)
{
  return ((Line *) data)->done;
}

/* Gone, or a zombie nobody has reaped yet: no longer running. */
static gboolean
process_gone (gpointer data)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%s/stat", (const char *) data);
  g_autofree char *stat = NULL;
  const char      *end;

  if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
    return TRUE;
  end = strrchr (stat, ')');
  return end != NULL && end[1] == ' ' && end[2] == 'Z';
}

/* An app killed with SIGKILL (no shutdown runs) takes its training server with it. */
static void
test_killed_app (void)
{
  g_autoptr (GSubprocess) helper = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GError) error = NULL;
  Line     line = { NULL, FALSE };
  gboolean gone;

  helper = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "/proc/self/exe",
                             "--helper-training-server", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (helper));
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, on_line, &line);
  g_assert_true (till_test_wait_until (line_read, &line, 60000));
  g_assert_nonnull (line.line);
  g_assert_false (process_gone (line.line));

  g_subprocess_force_exit (helper);
  g_assert_true (g_subprocess_wait (helper, NULL, &error));
  /* Nothing wakes the loop when the kernel delivers the server's SIGTERM: the wait looks
   * again every few milliseconds. */
  gone = till_test_wait_until (process_gone, line.line, 20000);
  if (!gone)
    kill ((pid_t) g_ascii_strtoll (line.line, NULL, 10), SIGKILL); /* not left behind */
  g_assert_true (gone);
  g_free (line.line);
}

int
main (int argc, char *argv[])
{
  g_autofree char *home = NULL;
  int              status;

  if (argc == 2 && g_str_equal (argv[1], "--helper-training-server"))
    return run_helper ();
  home = till_test_make_tmpdir ("till-app-training");

  /* Before anything asks GLib for them: GTK's start reads the data directory, and GLib
   * keeps the first answer, so set later the app's carts would be the user's own. */
  for (guint i = 0; i < 3; i++)
    {
      static const char *const vars[] = { "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME" };
      g_autofree char         *dir = g_build_filename (home, vars[i], NULL);

      g_setenv (vars[i], dir, TRUE);
    }
  till_test_init_gtk (&argc, &argv);
  /* First: the whole app's test leaves its window's web view behind. */
  g_test_add_func ("/app/training/killed-app", test_killed_app);
  g_test_add_func ("/app/training/try-it-with-own-server", test_try_training);
  status = g_test_run ();
  till_test_remove_tree (home);
  return status;
}
