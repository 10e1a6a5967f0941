/* test-app-e2e.c: the app's client against the real till-server --training (a child
 * process on an ephemeral port): configuration, catalog pages, a checkout retried with
 * the same client_reference, which must give the same order, and "Try It in Training
 * Mode", which gets a terminal from the server and connects with it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "till-checkout.h"
#include "till-client.h"
#include "till-connect-dialog.h"
#include "till-test-gtk.h"
#include "till-test-asan.h"

typedef struct
{
  char        *tmpdir;
  GSubprocess *server;
  char        *url;
  char        *token;
  char        *db;
} Fixture;

/* till-server on a free port, in training mode or in test mode (a made-up test key: only
 * its own routes are used); its first line says where it listens. */
static GSubprocess *
spawn_server (GSubprocessLauncher *launcher, const char *db, gboolean training, char **out_url)
{
  g_autofree char *server =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  const char *argv[] = { server, "--listen", "127.0.0.1:0",
                         "--db", db,         training ? "--training" : NULL,
                         NULL };
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  if (!training)
    g_subprocess_launcher_setenv (launcher, "TILL_STRIPE_SECRET_KEY", "sk_test_app_e2e_only", TRUE);
  process = till_test_spawn (launcher, argv, out_url, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*out_url);
  return process;
}

static GSubprocessLauncher *
new_launcher (Fixture *f)
{
  GSubprocessLauncher *launcher = till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);

  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", f->tmpdir, TRUE);
  return launcher;
}

/* A cashier terminal added with the command line: its token is the last line printed. */
static char *
add_terminal (Fixture *f, const char *name)
{
  g_autofree char *server =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  const char *argv[] = { server, "--db", f->db, "terminal", "add", name, NULL };
  g_autoptr (GSubprocessLauncher) launcher = new_launcher (f);
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;

  g_assert_cmpint (till_test_run_launcher (launcher, argv, &out, NULL), ==, 0);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  return g_strdup (lines[g_strv_length (lines) - 1]);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;

  f->tmpdir = till_test_make_tmpdir ("till-app-test");
  f->db = g_build_filename (f->tmpdir, "till.db", NULL);
  f->token = add_terminal (f, "app-e2e");

  /* The server, in training mode, on a free port. */
  launcher = new_launcher (f);
  f->server = spawn_server (launcher, f->db, TRUE, &f->url);
}

static void
stop_server (Fixture *f)
{
  till_test_stop_process (f->server, SIGTERM);
  g_clear_object (&f->server);
}

/* The training server stopped and started again on the same database: its simulator, and
 * every PaymentIntent it had, is new. */
static void
restart_server (Fixture *f)
{
  g_autoptr (GSubprocessLauncher) launcher = new_launcher (f);

  stop_server (f);
  g_clear_pointer (&f->url, g_free);
  f->server = spawn_server (launcher, f->db, TRUE, &f->url);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  stop_server (f);
  till_test_remove_tree (f->tmpdir);
  g_free (f->tmpdir);
  g_free (f->url);
  g_free (f->token);
  g_free (f->db);
}

static gboolean
client_online (gpointer data)
{
  return till_client_get_state (TILL_CLIENT (data)) == TILL_CONNECTION_ONLINE;
}

/* The server's whole catalog, all pages, through the client; at least two products. */
static GPtrArray *
fetch_products (TillClient *client)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *etag = NULL;
  GAsyncResult    *result = NULL;
  GPtrArray       *products = NULL;

  till_client_fetch_products_async (client, NULL, NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  g_assert_true (till_client_fetch_products_finish (client, result, &products, &etag, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (products->len, >=, 2);
  return products;
}

static void
test_checkout_retry (Fixture *f, gconstpointer data)
{
  g_autoptr (TillClient) client = till_client_new ();
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (TillCartModel) cart = NULL;
  g_autoptr (TillCheckoutResult) first = NULL;
  g_autoptr (TillCheckoutResult) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char       *reference = NULL;
  const TillStoreConfig *config;
  GAsyncResult          *result = NULL;
  TillDiscount           ten = { TILL_DISCOUNT_PERCENT, 1000 };
  TillTotals             totals;

  till_client_set_server (client, f->url, f->token);
  g_assert_true (till_test_wait_until (client_online, client, 20000));
  config = till_client_get_config (client);
  g_assert_true (till_store_config_is_training (config));

  /* The training catalog, all pages. */
  products = fetch_products (client);

  /* A cart priced by the app (core) exactly as the server prices it. */
  cart = till_cart_model_new (config->currency, config->prices_include_tax);
  g_assert_cmpint (till_cart_model_add_product (cart, g_ptr_array_index (products, 0), 3, &error),
                   ==, 0);
  g_assert_cmpint (till_cart_model_add_product (cart, g_ptr_array_index (products, 1), 1, &error),
                   ==, 1);
  g_assert_true (till_cart_model_set_line_discount (cart, 0, &ten, &error));
  g_assert_true (till_cart_model_compute_totals (cart, NULL, &totals, &error));

  till_checkout_start_async (client, cart, NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  first = till_checkout_start_finish (result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_false (first->price_changed);
  g_assert_cmpint (first->response->order->total, ==, totals.total);
  g_assert_cmpint (first->response->order->tax, ==, totals.tax);
  g_assert_cmpint (first->response->order->discount, ==, totals.discount);
  g_assert_nonnull (first->response->client_secret);
  reference = g_strdup (till_cart_model_get_client_reference (cart));

  /* The retry after a timeout: same reference, so the same order, not a second one. */
  till_checkout_start_async (client, cart, NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  again = till_checkout_start_finish (result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpstr (till_cart_model_get_client_reference (cart), ==, reference);
  g_assert_cmpint (again->response->order->id, ==, first->response->order->id);
  g_assert_cmpstr (again->response->order->number, ==, first->response->order->number);
  g_assert_cmpstr (again->response->payment_intent, ==, first->response->payment_intent);
}

static TillCheckoutResult *
start_checkout (TillClient *client, TillCartModel *cart)
{
  g_autoptr (GError) error = NULL;
  GAsyncResult       *result = NULL;
  TillCheckoutResult *checkout;

  till_checkout_start_async (client, cart, NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  checkout = till_checkout_start_finish (result, &error);
  g_assert_no_error (error);
  g_object_unref (result);
  return checkout;
}

static TillCartModel *
new_cart (TillClient *client, GPtrArray *products)
{
  const TillStoreConfig *config = till_client_get_config (client);
  TillCartModel         *cart = till_cart_model_new (config->currency, config->prices_include_tax);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (till_cart_model_add_product (cart, g_ptr_array_index (products, 0), 2, &error),
                   ==, 0);
  g_assert_no_error (error);
  return cart;
}

/* A cart restored after the training server restarted: its order's PaymentIntent is gone
 * with the old simulator. Charge does not fail (it did, with 502, until an item changed):
 * the server cancels that order, and the cart checks out once more with a new reference. */
static void
test_checkout_after_restart (Fixture *f, gconstpointer data)
{
  g_autoptr (TillClient) client = till_client_new ();
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (TillCartModel) cart = NULL;
  g_autoptr (TillCheckoutResult) first = NULL;
  g_autoptr (TillCheckoutResult) renewed = NULL;
  g_autoptr (TillCheckoutResult) again = NULL;
  g_autoptr (TillOrder) old = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *reference = NULL;
  GAsyncResult    *result = NULL;

  till_client_set_server (client, f->url, f->token);
  g_assert_true (till_test_wait_until (client_online, client, 20000));
  products = fetch_products (client);
  cart = new_cart (client, products);
  first = start_checkout (client, cart);
  reference = g_strdup (till_cart_model_get_client_reference (cart));

  restart_server (f);
  till_client_set_server (client, f->url, f->token);
  g_assert_true (till_test_wait_until (client_online, client, 20000));

  renewed = start_checkout (client, cart);
  g_assert_cmpstr (till_cart_model_get_client_reference (cart), !=, reference);
  g_assert_cmpint (renewed->response->order->id, !=, first->response->order->id);
  g_assert_cmpint (renewed->response->order->status, ==, TILL_ORDER_PENDING_PAYMENT);
  g_assert_cmpstr (renewed->response->payment_intent, !=, first->response->payment_intent);
  g_assert_nonnull (renewed->response->client_secret);

  /* The old order can never be paid: it is canceled. */
  till_client_sync_order_async (client, first->response->order->id, NULL, till_test_store_result,
                                &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  old = till_client_order_action_finish (client, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpint (old->status, ==, TILL_ORDER_CANCELED);

  /* The new reference is kept: a retry gets the new order again. */
  g_free (reference);
  reference = g_strdup (till_cart_model_get_client_reference (cart));
  again = start_checkout (client, cart);
  g_assert_cmpstr (till_cart_model_get_client_reference (cart), ==, reference);
  g_assert_cmpint (again->response->order->id, ==, renewed->response->order->id);
}

/* The till re-added with a new token, charging a cart it checked out under the old one:
 * the server refuses that reference to the new terminal (409 client_reference_conflict),
 * so the cart gets a new one and checks out once more, instead of failing every Charge. */
static void
test_checkout_reference_conflict (Fixture *f, gconstpointer data)
{
  g_autoptr (TillClient) client = till_client_new ();
  g_autoptr (TillClient) readded = till_client_new ();
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (TillCartModel) cart = NULL;
  g_autoptr (TillCheckoutResult) first = NULL;
  g_autoptr (TillCheckoutResult) second = NULL;
  g_autofree char *token = add_terminal (f, "app-e2e again");
  g_autofree char *reference = NULL;

  till_client_set_server (client, f->url, f->token);
  g_assert_true (till_test_wait_until (client_online, client, 20000));
  products = fetch_products (client);
  cart = new_cart (client, products);
  first = start_checkout (client, cart);
  reference = g_strdup (till_cart_model_get_client_reference (cart));

  till_client_set_server (readded, f->url, token);
  g_assert_true (till_test_wait_until (client_online, readded, 20000));
  second = start_checkout (readded, cart);
  g_assert_cmpstr (till_cart_model_get_client_reference (cart), !=, reference);
  g_assert_cmpint (second->response->order->id, !=, first->response->order->id);
  g_assert_nonnull (second->response->client_secret);
}

/* "Try It in Training Mode": the dialog finds the training server, gets a cashier terminal
 * from it and connects with it, no token typed. The token sells; it does not edit the
 * catalog; a test-mode server would not have handed it out (tests/server). */
static void
test_training_terminal (Fixture *f, gconstpointer data)
{
  g_autoptr (TillClient) probe_client = till_client_new ();
  g_autoptr (TillClient) client = till_client_new ();
  TillConnectDialog *dialog = till_connect_dialog_new (NULL, probe_client, NULL);
  GtkWidget         *training = GTK_WIDGET (gtk_widget_get_template_child (
              GTK_WIDGET (dialog), TILL_TYPE_CONNECT_DIALOG, "training_button"));
  TillTestConnect    connected;
  g_autoptr (GPtrArray) products = NULL;

  till_connect_dialog_set_training_url (dialog, f->url);
  till_test_watch_connect (dialog, &connected);
  gtk_window_present (GTK_WINDOW (dialog));
  g_signal_emit_by_name (training, "clicked");
  g_assert_true (till_test_wait_for (&connected.emitted, 20000));
  g_assert_cmpstr (connected.url, ==, f->url);
  g_assert_nonnull (connected.token);
  g_assert_cmpstr (connected.token, !=, f->token);
  g_assert_null (connected.pin);

  till_client_set_server (client, connected.url, connected.token);
  g_assert_true (till_test_wait_until (client_online, client, 20000));
  g_assert_true (till_store_config_is_training (till_client_get_config (client)));
  products = fetch_products (client);

  till_test_connect_clear (&connected);
}

/* A dialog closed while it gets a terminal connects nothing: the cashier said no. */
static void
test_training_terminal_closed (Fixture *f, gconstpointer data)
{
  g_autoptr (TillClient) probe_client = till_client_new ();
  TillConnectDialog *dialog = till_connect_dialog_new (NULL, probe_client, NULL);
  GtkWidget         *training = GTK_WIDGET (gtk_widget_get_template_child (
              GTK_WIDGET (dialog), TILL_TYPE_CONNECT_DIALOG, "training_button"));
  TillTestConnect    connected;

  till_connect_dialog_set_training_url (dialog, f->url);
  till_test_watch_connect (dialog, &connected);
  g_object_ref (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  g_signal_emit_by_name (training, "clicked");
  gtk_window_close (GTK_WINDOW (dialog));
  /* The training server answers in milliseconds: seconds are plenty for a connect to come. */
  g_assert_false (till_test_wait_for (&connected.emitted, 3000));
  g_object_unref (dialog);
  till_test_connect_clear (&connected);
}

static gboolean
label_says_token (gpointer data)
{
  return strstr (gtk_label_get_text (GTK_LABEL (data)), "terminal add") != NULL;
}

/* A server that answers but hands out no terminal (one in test mode, as a real shop's
 * would be at that address): the dialog says so and asks for the token by hand, emitting
 * nothing. */
static void
test_training_terminal_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (TillClient) client = till_client_new ();
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *db = g_build_filename (f->tmpdir, "test-mode.db", NULL);
  g_autofree char *url = NULL;
  g_autoptr (GSubprocess) server = NULL;
  TillConnectDialog *dialog = till_connect_dialog_new (NULL, client, NULL);
  GtkWidget         *training = GTK_WIDGET (gtk_widget_get_template_child (
              GTK_WIDGET (dialog), TILL_TYPE_CONNECT_DIALOG, "training_button"));
  GtkWidget         *status = GTK_WIDGET (gtk_widget_get_template_child (
              GTK_WIDGET (dialog), TILL_TYPE_CONNECT_DIALOG, "status_label"));
  TillTestConnect    connected;

  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", f->tmpdir, TRUE);
  server = spawn_server (launcher, db, FALSE, &url);
  till_connect_dialog_set_training_url (dialog, url);
  till_test_watch_connect (dialog, &connected);
  gtk_window_present (GTK_WINDOW (dialog));
  g_signal_emit_by_name (training, "clicked");
  g_assert_true (till_test_wait_until (label_says_token, status, 20000));
  g_assert_false (connected.emitted);
  g_assert_true (gtk_widget_get_sensitive (training));
  gtk_window_destroy (GTK_WINDOW (dialog));

  till_test_stop_process (server, SIGTERM);
}

int
main (int argc, char *argv[])
{
  till_test_init_gtk (&argc, &argv);

  g_test_add ("/app/e2e/checkout-retry", Fixture, NULL, setup, test_checkout_retry, teardown);
  g_test_add ("/app/e2e/checkout-after-restart", Fixture, NULL, setup, test_checkout_after_restart,
              teardown);
  g_test_add ("/app/e2e/checkout-reference-conflict", Fixture, NULL, setup,
              test_checkout_reference_conflict, teardown);
  g_test_add ("/app/e2e/training-terminal", Fixture, NULL, setup, test_training_terminal, teardown);
  g_test_add ("/app/e2e/training-terminal-closed", Fixture, NULL, setup,
              test_training_terminal_closed, teardown);
  g_test_add ("/app/e2e/training-terminal-refused", Fixture, NULL, setup,
              test_training_terminal_refused, teardown);

  return g_test_run ();
}
