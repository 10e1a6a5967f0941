/* test-app-cash-e2e.c: cash against the real till-server --training: a cash sale with change
 * (and refused with no drawer open), CHF cash rounding on the cash part only, drawer sessions
 * with pay in and out and blind counts over and short, the drawer pulses seen by the printer
 * emulator, and the Z report that does not change afterwards.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>

#include "till-cash-dialog.h"
#include "till-cash-journal.h"
#include "till-cash-report.h"
#include "till-cash-reports-dialog.h"
#include "till-cash-sale.h"
#include "till-drawer-dialog.h"
#include "till-printer-emulator.h"
#include "till-product.h"
#include "till-tender-dialog.h"
#include "till-window-private.h"
#include "till-core.h"
#include "till-money-label.h"
#include "till-test-asan.h"
#include "till-test-gtk.h"
#include "till-test-util.h"

typedef struct
{
  GtkWidget *widget;
  guint      frames;
} FrameWait;

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  ((FrameWait *) data)->frames++;
  return G_SOURCE_CONTINUE;
}

static gboolean
laid_out (gpointer data)
{
  FrameWait *wait = data;

  return gtk_widget_get_mapped (wait->widget) && gtk_widget_get_width (wait->widget) > 0 &&
         wait->frames >= 30;
}

/* A few frames drawn, then @window into @name's PNG in the build tree (the source of
 * data/screenshots/). */
static void
screenshot (GtkWindow *window, const char *name)
{
  FrameWait wait = { GTK_WIDGET (window), 0 };
  guint     tick = gtk_widget_add_tick_callback (GTK_WIDGET (window), on_tick, &wait, NULL);
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "app", name, NULL);
  int              width, height;

  g_assert_true (till_test_wait_until (laid_out, &wait, 5000));
  gtk_widget_remove_tick_callback (GTK_WIDGET (window), tick);
  width = gtk_widget_get_width (GTK_WIDGET (window));
  height = gtk_widget_get_height (GTK_WIDGET (window));
  paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

/* Against the real till-server --training */

typedef struct
{
  char                *tmpdir;
  char                *db;
  char                *url;
  char                *token;
  GSubprocess         *server;
  TillClient          *client;
  TillPrinterEmulator *printer;
  GSettings           *settings;
  TillCatalog         *catalog;
  TillCartStore       *store;
  TillWindow          *window;
  TillCashJournal     *journal;
} Fixture;

static gboolean
client_online (gpointer data)
{
  return till_client_get_state (TILL_CLIENT (data)) == TILL_CONNECTION_ONLINE;
}

static gboolean
catalog_filled (gpointer catalog)
{
  return till_catalog_get_n_products (catalog) > 0;
}

static char *
add_terminal (Fixture *f, const char *name)
{
  g_autofree char *server =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;

  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", f->tmpdir, TRUE);
  g_assert_cmpint (till_test_run_launcher (launcher,
                                           (const char *[]){ server, "--db", f->db, "terminal",
                                                             "add", name, "--role", "admin", NULL },
                                           &out, NULL),
                   ==, 0);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  return g_strdup (lines[g_strv_length (lines) - 1]);
}

/* The server, on the fixture's database and configuration, on a free port. */
static void
start_server (Fixture *f)
{
  g_autofree char *server =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  g_autofree char *config = g_build_filename (f->tmpdir, "till.conf", NULL);
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", f->tmpdir, TRUE);
  g_clear_pointer (&f->url, g_free);
  f->server = till_test_spawn (launcher,
                               (const char *[]){ server, "--config", config, "--listen",
                                                 "127.0.0.1:0", "--db", f->db, "--training", NULL },
                               &f->url, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->url);
}

/* @data: the server's configuration file. */
static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *config = NULL;
  g_autofree char *carts = NULL;
  g_autofree char *journal = NULL;
  g_autoptr (GFile) carts_dir = NULL;
  g_autoptr (GError) error = NULL;
  guint16 port;

  f->tmpdir = till_test_make_tmpdir ("till-cash-test");
  f->db = g_build_filename (f->tmpdir, "till.db", NULL);
  config = g_build_filename (f->tmpdir, "till.conf", NULL);
  g_assert_true (g_file_set_contents (config, data != NULL ? data : "", -1, NULL));
  f->token = add_terminal (f, "front");
  start_server (f);

  f->printer = till_printer_emulator_new ();
  port = till_printer_emulator_listen (f->printer, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  f->settings = g_settings_new (TILL_APP_ID);
  {
    g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);
    g_settings_set_string (f->settings, "receipt-printer", address);
  }
  g_settings_set_uint (f->settings, "receipt-paper-width", 80);

  f->client = till_client_new ();
  till_client_set_timeout (f->client, 5);
  till_client_set_retry_delays (f->client, 50, 200);
  till_client_set_server (f->client, f->url, f->token);
  g_assert_true (till_test_wait_until (client_online, f->client, 20000));
  carts = g_build_filename (f->tmpdir, "carts", NULL);
  carts_dir = g_file_new_for_path (carts);
  f->catalog = till_catalog_new ();
  f->store = till_cart_store_new (carts_dir);
  journal = g_build_filename (f->tmpdir, "data", "till", "cash-journal", NULL);
  f->journal = till_cash_journal_open (journal, &error);
  g_assert_no_error (error);
  f->window = till_window_new (NULL, f->catalog, f->store, f->client);
  till_window_set_cash_journal (f->window, f->journal);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 800, 600);
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (till_test_wait_until (catalog_filled, f->catalog, 20000));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  /* The search entry lets go of the focus first, or GtkText warns as it goes. */
  gtk_window_set_focus (GTK_WINDOW (f->window), NULL);
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->journal);
  g_clear_object (&f->store);
  g_clear_object (&f->catalog);
  g_clear_object (&f->client);
  g_settings_reset (f->settings, "receipt-printer");
  g_settings_reset (f->settings, "receipt-paper-width");
  g_clear_object (&f->settings);
  till_printer_emulator_stop (f->printer);
  g_clear_object (&f->printer);
  if (f->server != NULL)
    till_test_stop_process (f->server, SIGTERM);
  g_clear_object (&f->server);
  till_test_remove_tree (f->tmpdir);
  g_free (f->tmpdir);
  g_free (f->db);
  g_free (f->url);
  g_free (f->token);
}

/* A request of the fixture's terminal: the answer, which must come. */
static JsonObject *
request (Fixture *f, const char *path, const char *body_json)
{
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;
  JsonObject   *answer;

  if (body_json != NULL)
    {
      g_autoptr (JsonObject) object = till_json_parse_object (body_json, -1, &error);

      g_assert_no_error (error);
      body = json_node_init_object (json_node_alloc (), object);
    }
  till_client_cash_request_async (f->client, path, body, NULL, NULL, till_test_store_result,
                                  &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  answer = till_client_cash_request_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_object_unref (result);
  return answer;
}

/* The active cart with one of the catalog's first product. */
static TillCartModel *
fill_cart (Fixture *f, guint index, gint64 quantity)
{
  const TillStoreConfig *config = till_client_get_config (f->client);
  TillCartModel         *cart =
      till_cart_store_new_cart (f->store, config->currency, config->prices_include_tax);
  g_autoptr (TillProduct) product = till_catalog_dup_product (f->catalog, index);
  g_autoptr (GError) error = NULL;

  till_cart_model_add_product (cart, product, quantity, &error);
  g_assert_no_error (error);
  return cart;
}

static TillCashDialog *
find_cash_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (TILL_IS_CASH_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return TILL_CASH_DIALOG (window);
    }
  return NULL;
}

static gboolean
cash_dialog_shown (gpointer data)
{
  return find_cash_dialog () != NULL;
}

static gboolean
cart_gone (gpointer data)
{
  Fixture       *f = ((gpointer *) data)[0];
  TillCartModel *cart = ((gpointer *) data)[1];
  GListModel    *carts = till_cart_store_get_carts (f->store);

  for (guint i = 0; i < g_list_model_get_n_items (carts); i++)
    {
      g_autoptr (TillCartModel) item = g_list_model_get_item (carts, i);

      if (item == cart)
        return FALSE;
    }
  return !till_window_is_charging (f->window);
}

static gboolean
pulses_and_job (gpointer data)
{
  return till_printer_emulator_get_n_pulses (data) >= 1 &&
         till_printer_emulator_get_n_jobs (data) >= 1;
}

static JsonObject *
order_of (Fixture *f, const char *reference)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders?q=%s", reference);
  g_autoptr (JsonObject) answer = request (f, path, NULL);
  JsonArray *orders = json_object_get_array_member (answer, "orders");

  g_assert_cmpuint (json_array_get_length (orders), ==, 1);
  {
    gint64 id = json_object_get_int_member (json_array_get_object_element (orders, 0), "id");
    g_autofree char *one = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT, id);

    return request (f, one, NULL);
  }
}

/* Charge → Cash → tendered typed → Return: the order is paid in cash on the server once,
 * the drawer opens and the receipt prints; the toast gives the change. @tendered_text as
 * typed. Returns: (transfer full): the order as the server has it. */
static JsonObject *
cash_sale (Fixture *f, TillCartModel *cart, const char *tendered_text, gint64 *out_rounding)
{
  g_autofree char *reference = NULL;
  gpointer         gone[] = { f, cart };
  TillCashDialog  *dialog;

  /* The Charge button: it asks how the customer pays. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (till_window_get_cart_view (f->window)),
                                             "cart.charge", NULL));
  g_assert_nonnull (till_window_get_dialog (f->window));
  {
    AdwMessageDialog *tender = till_window_get_dialog (f->window);

    adw_message_dialog_response (tender, "cash");
    gtk_window_close (GTK_WINDOW (tender));
  }
  g_assert_true (till_test_wait_until (cash_dialog_shown, NULL, 20000));
  dialog = find_cash_dialog ();
  if (out_rounding != NULL)
    *out_rounding = till_cash_dialog_get_rounding (dialog);
  gtk_editable_set_text (till_cash_dialog_get_entry (dialog), tendered_text);
  g_signal_emit_by_name (till_cash_dialog_get_entry (dialog), "activate");
  reference = g_strdup (till_cart_model_get_client_reference (cart));
  g_assert_true (till_test_wait_until (cart_gone, gone, 20000));
  g_assert_null (find_cash_dialog ());
  g_assert_true (till_test_wait_until (pulses_and_job, f->printer, 20000));
  return order_of (f, reference);
}

static JsonObject *
first_tender (JsonObject *order)
{
  JsonArray *tenders = json_object_get_array_member (order, "tenders");

  g_assert_cmpuint (json_array_get_length (tenders), ==, 1);
  return json_array_get_object_element (tenders, 0);
}

static gboolean
drawer_kicked (gpointer data)
{
  return till_printer_emulator_get_n_pulses (data) > 0;
}

static gboolean
keypad_says (gpointer dialog)
{
  return *till_cash_dialog_get_message (dialog) != '\0';
}

/* A cash sale with change, the keypad driven as the keyboard does; with no drawer open, the
 * keypad says so and keeps the sale. */
static void
test_sale_with_change (Fixture *f, gconstpointer data)
{
  TillCartModel *cart = fill_cart (f, 0, 3);
  TillTotals     totals = { 0 };
  g_autoptr (JsonObject) order = NULL;
  g_autoptr (JsonObject) session = NULL;
  JsonObject      *tender;
  g_autofree char *expected_toast = NULL;
  g_autofree char *change = NULL;
  TillCashDialog  *dialog;

  g_assert_true (till_cart_model_compute_totals (cart, NULL, &totals, NULL));

  /* No drawer session yet: refused, said, the keypad stays with the cart. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.charge-cash", NULL));
  g_assert_true (till_test_wait_until (cash_dialog_shown, NULL, 20000));
  dialog = find_cash_dialog ();
  gtk_editable_set_text (till_cash_dialog_get_entry (dialog), "1000");
  g_signal_emit_by_name (till_cash_dialog_get_entry (dialog), "activate");
  g_assert_true (till_test_wait_until (keypad_says, dialog, 20000));
  g_assert_nonnull (strstr (till_cash_dialog_get_message (dialog), "No drawer session"));
  g_assert_true (find_cash_dialog () == dialog);
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_cmpuint (till_printer_emulator_get_n_pulses (f->printer), ==, 0);

  session = request (f, "/api/v1/drawer/open", "{\"float\": 10000}");
  order = cash_sale (f, cart, "1000", NULL);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "paid");
  tender = first_tender (order);
  g_assert_cmpstr (json_object_get_string_member (tender, "method"), ==, "cash");
  g_assert_cmpint (json_object_get_int_member (tender, "tendered"), ==, 100000);
  g_assert_cmpint (json_object_get_int_member (tender, "change"), ==, 100000 - totals.total);
  change =
      till_money_label (100000 - totals.total, json_object_get_string_member (order, "currency"));
  expected_toast = g_strdup_printf ("Paid in cash. Change: %s", change);
  g_assert_cmpstr (till_window_get_last_toast (f->window), ==, expected_toast);
  g_assert_cmpuint (till_printer_emulator_get_n_pulses (f->printer), ==, 1);
}

/* CHF with [store] cash-rounding = 5: the rounding is on the keypad's line and on the cash
 * tender, and the order's total is not rounded. */
static void
test_chf_rounding_e2e (Fixture *f, gconstpointer data)
{
  TillCartModel *cart = NULL;
  TillTotals     totals = { 0 };
  g_autoptr (JsonObject) session = request (f, "/api/v1/drawer/open", "{\"float\": 10000}");
  g_autoptr (JsonObject) order = NULL;
  JsonObject *tender;
  gint64      rounding = 0;

  g_assert_cmpint (till_client_get_config (f->client)->cash_rounding, ==, 5);
  /* A cart whose total is not a multiple of 0.05 (prices include tax in training). */
  g_assert_true (till_client_get_config (f->client)->prices_include_tax);
  for (guint i = 0; i < till_catalog_get_n_products (f->catalog) && cart == NULL; i++)
    {
      g_autoptr (TillProduct) product = till_catalog_dup_product (f->catalog, i);

      if (till_product_get_unit_amount (product) % 5 != 0)
        cart = fill_cart (f, i, 1);
    }
  g_assert_true (till_cart_model_compute_totals (cart, NULL, &totals, NULL));
  g_assert_nonnull (cart);
  order = cash_sale (f, cart, "100", &rounding);
  g_assert_cmpint (rounding, ==,
                   till_cash_round (totals.total, 5, TILL_CASH_ROUND_NEAREST) - totals.total);
  g_assert_cmpint (rounding, !=, 0);
  g_assert_cmpint (json_object_get_int_member (order, "total"), ==, totals.total);
  tender = first_tender (order);
  g_assert_cmpint (json_object_get_int_member (tender, "amount"), ==, totals.total);
  g_assert_cmpint (json_object_get_int_member (tender, "rounding"), ==, rounding);
  g_assert_cmpint (json_object_get_int_member (tender, "change"), ==,
                   10000 - (totals.total + rounding));
}

static TillDrawerDialog *
find_drawer_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (TILL_IS_DRAWER_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return TILL_DRAWER_DIALOG (window);
    }
  return NULL;
}

static gboolean
drawer_settled (gpointer dialog)
{
  return !till_drawer_dialog_is_busy (dialog) &&
         g_strcmp0 (till_drawer_dialog_get_page (dialog), "loading") != 0;
}

static void
wait_drawer (TillDrawerDialog *dialog, const char *page)
{
  g_assert_true (till_test_wait_until (drawer_settled, dialog, 20000));
  g_assert_cmpstr (till_drawer_dialog_get_message (dialog), ==,
                   g_str_equal (page, "open-recorded") ? "Recorded." : "");
  g_assert_cmpstr (till_drawer_dialog_get_page (dialog), ==,
                   g_str_equal (page, "open-recorded") ? "open" : page);
}

/* One session: @float_50s notes of 50 opened, a pay in of 20 and a pay out of 5 with their
 * reasons, a No Sale, and a blind count of @counted_50s notes of 50 and @counted_10s of 10:
 * the expected amount comes only with the server's answer to the close. */
static JsonObject *
drawer_session (Fixture *f, guint float_50s, guint counted_50s, guint counted_10s)
{
  TillDrawerDialog *dialog;
  guint             pulses = till_printer_emulator_get_n_pulses (f->printer);
  g_autoptr (JsonObject) open = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.show-drawer", NULL));
  dialog = find_drawer_dialog ();
  g_assert_nonnull (dialog);
  wait_drawer (dialog, "closed");
  till_drawer_count_set_quantity (till_drawer_dialog_get_count (dialog), 5000, float_50s);
  till_drawer_dialog_open_drawer (dialog);
  wait_drawer (dialog, "open");

  /* A pay out without a reason is not sent. */
  till_drawer_dialog_movement (dialog, "pay_in", 2000, "Change from the bank");
  wait_drawer (dialog, "open-recorded");
  till_drawer_dialog_movement (dialog, "pay_out", 500, "Window cleaner");
  wait_drawer (dialog, "open-recorded");
  till_drawer_dialog_movement (dialog, "no_sale", 0, NULL);
  wait_drawer (dialog, "open-recorded");
  g_assert_true (till_test_wait_until (drawer_kicked, f->printer, 20000));

  /* Blind: the open session does not say what it expects. */
  open = request (f, "/api/v1/drawer", NULL);
  g_assert_true (json_object_get_null_member (open, "expected"));
  till_drawer_dialog_start_close (dialog);
  g_assert_cmpstr (till_drawer_dialog_get_page (dialog), ==, "count");
  if (counted_10s == 0)
    {
      till_drawer_count_set_quantity (till_drawer_dialog_get_count (dialog), 5000, counted_50s);
      screenshot (GTK_WINDOW (dialog), "cash-drawer-count.png");
    }
  g_assert_null (till_drawer_dialog_get_closed_session (dialog));
  till_drawer_count_set_quantity (till_drawer_dialog_get_count (dialog), 5000, counted_50s);
  till_drawer_count_set_quantity (till_drawer_dialog_get_count (dialog), 1000, counted_10s);
  till_drawer_dialog_close_drawer (dialog);
  wait_drawer (dialog, "result");
  g_assert_cmpuint (till_printer_emulator_get_n_pulses (f->printer), >=, pulses + 1);
  {
    JsonObject *closed = json_object_ref (till_drawer_dialog_get_closed_session (dialog));

    gtk_window_close (GTK_WINDOW (dialog));
    return closed;
  }
}

/* A drawer session short, then one over: pay in and out with reasons, No Sale, blind
 * counts; expected, counted and over/short as the server works them out. */
static void
test_drawer_sessions (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonObject) first = drawer_session (f, 3, 3, 0);
  g_autoptr (JsonObject) second = NULL;

  /* 150 + 20 − 5 = 165 expected, 150 counted: short by 15. */
  g_assert_cmpint (json_object_get_int_member (first, "float"), ==, 15000);
  g_assert_cmpint (json_object_get_int_member (first, "expected"), ==, 16500);
  g_assert_cmpint (json_object_get_int_member (first, "counted"), ==, 15000);
  g_assert_cmpint (json_object_get_int_member (first, "over_short"), ==, -1500);

  /* 100 + 20 − 5 = 115 expected, 120 counted: over by 5. */
  second = drawer_session (f, 2, 2, 2);
  g_assert_cmpint (json_object_get_int_member (second, "expected"), ==, 11500);
  g_assert_cmpint (json_object_get_int_member (second, "over_short"), ==, 500);
}

static gboolean
reports_idle (gpointer dialog)
{
  return !till_cash_reports_dialog_is_busy (dialog);
}

static gboolean
more_jobs (gpointer data)
{
  Fixture *f = ((gpointer *) data)[0];

  return till_printer_emulator_get_n_jobs (f->printer) > GPOINTER_TO_UINT (((gpointer *) data)[1]);
}

/* Prints the report shown; the emulator's text of it. */
static char *
print_report (Fixture *f, TillCashReportsDialog *dialog)
{
  guint    jobs = till_printer_emulator_get_n_jobs (f->printer);
  gpointer wait[] = { f, GUINT_TO_POINTER (jobs) };

  till_cash_reports_dialog_print (dialog);
  g_assert_true (till_test_wait_until (more_jobs, wait, 20000));
  g_assert_true (till_test_wait_until (reports_idle, dialog, 20000));
  return till_printer_emulator_get_text (f->printer, jobs);
}

/* The Z report closes the day: numbered, printed, listed and printed again the same; a cash
 * refund after it lands on the next Z, and the first one does not change. */
static void
test_z_report (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonObject) session = request (f, "/api/v1/drawer/open", "{\"float\": 10000}");
  TillCartModel *cart = fill_cart (f, 0, 2);
  g_autoptr (JsonObject) order = cash_sale (f, cart, "100", NULL);
  g_autoptr (JsonObject) closed = request (f, "/api/v1/drawer/close", "{\"counted\": 10000}");
  g_autoptr (JsonObject) reopened = NULL;
  g_autoptr (JsonObject) refund = NULL;
  TillCashReportsDialog *dialog;
  g_autofree char       *first_text = NULL;
  g_autofree char       *printed = NULL;
  g_autofree char       *again = NULL;
  g_autofree char       *second_text = NULL;
  g_autofree char       *png =
      g_test_build_filename (G_TEST_BUILT, "app", "z-report-80mm-escpos.png", NULL);
  g_autofree char *refund_path = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (
      gtk_widget_activate_action (GTK_WIDGET (f->window), "win.show-cash-reports", NULL));
  {
    GListModel *toplevels = gtk_window_get_toplevels ();

    dialog = NULL;
    for (guint i = 0; i < g_list_model_get_n_items (toplevels) && dialog == NULL; i++)
      {
        g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

        if (TILL_IS_CASH_REPORTS_DIALOG (window))
          dialog = TILL_CASH_REPORTS_DIALOG (window);
      }
  }
  g_assert_nonnull (dialog);
  g_assert_true (till_test_wait_until (reports_idle, dialog, 20000));
  g_assert_cmpuint (till_cash_reports_dialog_get_n_listed (dialog), ==, 0);

  /* X: nothing closed. */
  till_cash_reports_dialog_show_x (dialog);
  g_assert_true (till_test_wait_until (reports_idle, dialog, 20000));
  g_assert_cmpstr (till_cash_reports_dialog_get_message (dialog), ==, "");
  {
    g_autofree char *x = till_cash_reports_dialog_get_text (dialog);
    g_assert_nonnull (strstr (x, "X REPORT"));
  }

  /* Z-0001: the sale, in cash; printed, listed. */
  till_cash_reports_dialog_make_z (dialog);
  g_assert_true (till_test_wait_until (reports_idle, dialog, 20000));
  g_assert_cmpstr (till_cash_reports_dialog_get_message (dialog), ==, "");
  g_assert_cmpstr (
      json_object_get_string_member (till_cash_reports_dialog_get_report (dialog), "number"), ==,
      "Z-0001");
  first_text = till_cash_reports_dialog_get_text (dialog);
  g_test_message ("%s", first_text);
  g_assert_nonnull (strstr (first_text, "Z REPORT Z-0001"));
  g_assert_nonnull (strstr (first_text, "Cash (1)"));
  g_assert_cmpuint (till_cash_reports_dialog_get_n_listed (dialog), ==, 1);
  printed = print_report (f, dialog);
  g_assert_nonnull (strstr (printed, "Z REPORT Z-0001"));
  g_assert_true (till_printer_emulator_render_png (
      till_printer_emulator_get_job (f->printer, till_printer_emulator_get_n_jobs (f->printer) - 1),
      80, png, &error));
  g_assert_no_error (error);

  /* A cash refund of that sale, after the Z: on the next one. */
  reopened = request (f, "/api/v1/drawer/open", "{\"float\": 10000}");
  refund_path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT "/refunds",
                                 json_object_get_int_member (order, "id"));
  refund = request (f, refund_path, "{\"amount\": 100}");
  g_clear_pointer (&reopened, json_object_unref);
  reopened = request (f, "/api/v1/drawer/close", "{\"counted\": 9900}");
  till_cash_reports_dialog_make_z (dialog);
  g_assert_true (till_test_wait_until (reports_idle, dialog, 20000));
  g_assert_cmpstr (till_cash_reports_dialog_get_message (dialog), ==, "");
  second_text = till_cash_reports_dialog_get_text (dialog);
  g_test_message ("%s", second_text);
  g_assert_nonnull (strstr (second_text, "Z REPORT Z-0002"));
  g_assert_nonnull (strstr (second_text, "Refunds"));

  /* Z-0001 again, from the list: as it was. */
  till_cash_reports_dialog_show_z (dialog, "Z-0001");
  g_assert_true (till_test_wait_until (reports_idle, dialog, 20000));
  again = till_cash_reports_dialog_get_text (dialog);
  g_assert_cmpstr (again, ==, first_text);
  gtk_window_close (GTK_WINDOW (dialog));
}

int
main (int argc, char **argv)
{
  till_test_init_gtk (&argc, &argv);
  g_test_add ("/app/cash/e2e/sale-with-change", Fixture, NULL, setup, test_sale_with_change,
              teardown);
  g_test_add ("/app/cash/e2e/chf-rounding", Fixture,
              "[store]\ncurrency=CHF\nprices-include-tax=true\ncash-rounding=5\n", setup,
              test_chf_rounding_e2e, teardown);
  g_test_add ("/app/cash/e2e/drawer-sessions", Fixture, NULL, setup, test_drawer_sessions,
              teardown);
  g_test_add ("/app/cash/e2e/z-report", Fixture, NULL, setup, test_z_report, teardown);
  return g_test_run ();
}
