/* test-app-cash.c: the cash keypad: the cash rounding on its own line (on the cash part only),
 * quick amounts from core, the change, and Return taking the cash only once it covers what
 * is due.
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

static void
on_take_cash (TillCashDialog *dialog, gint64 tendered, gint64 *out)
{
  *out = tendered;
}

static void
assert_change (TillCashDialog *dialog, gint64 amount, const char *currency)
{
  g_autofree char *label = till_money_label (amount, currency);
  gint64           change = -1;

  g_assert_true (till_cash_dialog_get_change (dialog, &change));
  g_assert_cmpint (change, ==, amount);
  g_assert_cmpstr (till_cash_dialog_get_change_text (dialog), ==, label);
}

/* CHF 13.42 with the store's 0.05 cash rounding: due in cash 13.40 (−0.02 shown), quick
 * amounts 13.40, 20, 50, 100; 20 tendered gives 6.60 change; 13 is short and Return does
 * nothing. */
static void
test_chf_rounding (void)
{
  TillCashDialog *dialog = till_cash_dialog_new (NULL, "CHF", 1342, 5);
  GPtrArray      *quick = till_cash_dialog_get_quick_buttons (dialog);
  gint64          taken = -1;
  const gint64    expected[] = { 1340, 2000, 5000, 10000 };

  g_object_ref_sink (dialog);
  g_signal_connect (dialog, "take-cash", G_CALLBACK (on_take_cash), &taken);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpint (till_cash_dialog_get_rounding (dialog), ==, -2);
  g_assert_cmpuint (quick->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < quick->len; i++)
    {
      g_autofree char *label = till_money_label (expected[i], "CHF");

      g_assert_cmpstr (gtk_button_get_label (g_ptr_array_index (quick, i)), ==, label);
    }

  gtk_editable_set_text (till_cash_dialog_get_entry (dialog), "13");
  g_assert_false (till_cash_dialog_get_change (dialog, NULL));
  g_signal_emit_by_name (till_cash_dialog_get_entry (dialog), "activate");
  g_assert_cmpint (taken, ==, -1);

  gtk_editable_set_text (till_cash_dialog_get_entry (dialog), "20");
  assert_change (dialog, 660, "CHF");
  screenshot (GTK_WINDOW (dialog), "cash-keypad.png");
  g_signal_emit_by_name (till_cash_dialog_get_entry (dialog), "activate");
  g_assert_cmpint (taken, ==, 2000);

  /* The exact quick amount: no change. Alt+1 is the first quick amount. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "cash.quick", "i", 0);
  assert_change (dialog, 0, "CHF");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "cash.take", NULL);
  g_assert_cmpint (taken, ==, 1340);

  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
}

/* No rounding (EUR): the amount is due as it is; the quick amounts are the next notes up;
 * what does not read as an amount is said so. */
static void
test_eur (void)
{
  TillCashDialog *dialog = till_cash_dialog_new (NULL, "EUR", 1340, 0);
  GPtrArray      *quick = till_cash_dialog_get_quick_buttons (dialog);
  const gint64    expected[] = { 1340, 1500, 2000, 5000 };

  g_object_ref_sink (dialog);
  g_assert_cmpint (till_cash_dialog_get_rounding (dialog), ==, 0);
  for (guint i = 0; i < quick->len; i++)
    {
      g_autofree char *label = till_money_label (expected[i], "EUR");

      g_assert_cmpstr (gtk_button_get_label (g_ptr_array_index (quick, i)), ==, label);
    }
  gtk_editable_set_text (till_cash_dialog_get_entry (dialog), "20.005");
  g_assert_false (till_cash_dialog_get_change (dialog, NULL));
  gtk_editable_set_text (till_cash_dialog_get_entry (dialog), "50");
  assert_change (dialog, 3660, "EUR");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
}

static void
on_response (AdwMessageDialog *dialog, const char *response, char **out)
{
  g_free (*out);
  *out = g_strdup (response);
}

/* The key a cashier presses in the tender dialog: its response. */
static char *
press (guint keyval)
{
  AdwMessageDialog *dialog = till_tender_dialog_new (NULL, "€13.40", TRUE);
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (dialog));
  char    *response = NULL;
  gboolean handled = FALSE;

  g_signal_connect (dialog, "response", G_CALLBACK (on_response), &response);
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !handled; i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
        g_signal_emit_by_name (controller, "key-pressed", keyval, 0, (GdkModifierType) 0, &handled);
    }
  if (response == NULL)
    {
      /* Unhandled: the default response is what Return gives. */
      g_assert_false (handled);
      response = g_strdup ("unhandled");
    }
  gtk_window_destroy (GTK_WINDOW (dialog));
  return response;
}

static GtkWidget *
find_combo_row (GtkWidget *widget)
{
  if (ADW_IS_COMBO_ROW (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_combo_row (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Card is C (and Return: the default response), Cash is A or F2, one key each. */
static void
test_tender_keys (void)
{
  AdwMessageDialog *dialog = till_tender_dialog_new (NULL, "€13.40", TRUE);
  struct
  {
    guint       keyval;
    const char *response;
  } cases[] = {
    { GDK_KEY_c, "card" },  { GDK_KEY_C, "card" },  { GDK_KEY_a, "cash" },
    { GDK_KEY_F2, "cash" }, { GDK_KEY_s, "split" }, { GDK_KEY_x, "unhandled" },
  };

  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  AdwMessageDialog *cash_first;
  GtkWidget        *page;

  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "card");
  g_assert_cmpstr (adw_message_dialog_get_close_response (dialog), ==, "cancel");

  /* A cashier who takes mostly cash makes Return choose it, in the preferences. */
  page = g_object_ref_sink (till_tender_dialog_new_preferences_page ());
  {
    GtkWidget *row = find_combo_row (page);

    g_assert_nonnull (row);
    adw_combo_row_set_selected (ADW_COMBO_ROW (row), 1);
  }
  g_object_unref (page);
  {
    g_autofree char *tender = g_settings_get_string (settings, "default-tender");
    g_assert_cmpstr (tender, ==, "cash");
  }
  cash_first = till_tender_dialog_new (NULL, "€13.40", FALSE);
  g_assert_cmpstr (adw_message_dialog_get_default_response (cash_first), ==, "cash");
  g_assert_false (adw_message_dialog_has_response (cash_first, "split"));
  gtk_window_destroy (GTK_WINDOW (cash_first));
  g_settings_reset (settings, "default-tender");
  gtk_window_present (GTK_WINDOW (dialog));
  screenshot (GTK_WINDOW (dialog), "cash-tender-choice.png");
  gtk_window_destroy (GTK_WINDOW (dialog));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *response = press (cases[i].keyval);

      g_assert_cmpstr (response, ==, cases[i].response);
    }
}

/* A Z report as docs/contract.md shapes it. */
static const char z_report[] =
    "{\"number\":\"Z-0001\",\"terminal\":\"front\",\"from\":\"2026-12-07T08:00:00Z\","
    "\"to\":\"2026-12-07T18:00:00Z\",\"currency\":\"EUR\",\"sales\":{\"count\":3,"
    "\"amount\":4650},\"by_tender\":[{\"method\":\"cash\",\"count\":2,\"amount\":2650},"
    "{\"method\":\"card\",\"count\":1,\"amount\":2000}],\"by_tax_rate\":[{\"tax_rate\":1900,"
    "\"tax\":742}],\"refunds\":[{\"method\":\"cash\",\"count\":1,\"amount\":500}],"
    "\"discounts\":0,\"voids\":{\"count\":1,\"amount\":300},\"cash_rounding\":0,"
    "\"movements\":{\"pay_ins\":1000,\"pay_outs\":250,\"no_sales\":1},\"float\":15000,"
    "\"expected\":17900,\"counted\":17850,\"over_short\":-50,\"first_order\":\"0001\","
    "\"last_order\":\"0003\"}";

static gboolean
has_job (gpointer data)
{
  return till_printer_emulator_get_n_jobs (data) > 0;
}

/* A Z report on the ESC/POS printer: its number, the tenders, the drawer's figures and the
 * short; the emulator's PNG of it is the screenshot's source. */
static void
test_report_escpos (void)
{
  g_autoptr (TillPrinterEmulator) printer = till_printer_emulator_new ();
  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  g_autoptr (JsonObject) report = till_json_parse_object (z_report, -1, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *text = NULL;
  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "app", "z-report-sample.png", NULL);
  GAsyncResult    *result = NULL;
  guint16          port = till_printer_emulator_listen (printer, "127.0.0.1", 0, &error);

  g_assert_no_error (error);
  g_assert_nonnull (report);
  address = g_strdup_printf ("127.0.0.1:%u", port);
  g_settings_set_string (settings, "receipt-printer", address);
  g_settings_set_uint (settings, "receipt-paper-width", 80);
  till_cash_report_print_async (report, "EUR", NULL, NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  g_assert_true (till_cash_report_print_finish (result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_true (till_test_wait_until (has_job, printer, 20000));
  text = till_printer_emulator_get_text (printer, 0);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "Z REPORT Z-0001"));
  g_assert_nonnull (strstr (text, "Cash (2)"));
  g_assert_nonnull (strstr (text, "Card (1)"));
  g_assert_nonnull (strstr (text, "Pay ins"));
  g_assert_nonnull (strstr (text, "Short"));
  g_assert_true (g_str_has_suffix (text, "[cut]\n"));
  g_assert_true (till_printer_emulator_render_png (till_printer_emulator_get_job (printer, 0), 80,
                                                   png, &error));
  g_assert_no_error (error);
  g_settings_reset (settings, "receipt-printer");
  g_settings_reset (settings, "receipt-paper-width");
  till_printer_emulator_stop (printer);
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
error_shown (gpointer window)
{
  return !till_window_is_charging (window) && till_window_get_dialog (window) != NULL;
}

static gboolean
not_charging (gpointer window)
{
  return !till_window_is_charging (window) && find_cash_dialog () == NULL;
}

/* A till that starts while its server cannot be reached, in a store that allowed offline cash
 * when it last said: Charge goes to the cash keypad (no card offline); the sale is kept in the
 * journal, as sold, and the cashier told it waits to upload. Where the store forbids it, the
 * keypad says so and nothing is kept. */
static void
test_offline_start (void)
{
  g_autofree char *dir = till_test_make_tmpdir ("till-cash-offline");
  g_autofree char *carts = g_build_filename (dir, "carts", NULL);
  g_autofree char *path = g_build_filename (dir, "cash-journal", NULL);
  g_autofree char *url = till_test_closed_port_url ();
  g_autoptr (GFile) carts_dir = g_file_new_for_path (carts);
  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  g_autoptr (TillClient) client = till_client_new ();
  g_autoptr (TillCatalog) catalog = till_catalog_new ();
  g_autoptr (TillCartStore) store = till_cart_store_new (carts_dir);
  g_autoptr (TillCashJournal) journal = till_cash_journal_open (path, NULL);
  g_autoptr (JsonObject) json = till_json_parse_object (
      "{\"id\": 7, \"name\": \"Simit\", \"currency\": \"CHF\", \"unit_amount\": 1342, "
      "\"tax_rate\": 810}",
      -1, NULL);
  g_autoptr (TillProduct) product = till_product_new_from_json (json, NULL);
  g_autoptr (GPtrArray) pending = NULL;
  TillCartModel  *cart;
  TillWindow     *window;
  TillCashDialog *dialog;
  JsonObject     *request;
  JsonObject     *line;

  g_settings_set_boolean (settings, "offline-cash", FALSE);
  g_settings_set_int64 (settings, "cash-rounding", 5);
  till_client_set_retry_delays (client, 60000, 60000);
  till_client_set_server (client, url, "token-of-a-server-that-is-down");
  window = till_window_new (NULL, catalog, store, client);
  till_window_set_cash_journal (window, journal);
  gtk_window_present (GTK_WINDOW (window));
  cart = till_cart_store_new_cart (store, "CHF", TRUE);
  g_assert_cmpint (till_cart_model_add_product (cart, product, 1, NULL), >=, 0);

  /* Forbidden: Charge is the card's checkout, which fails as it always did; nothing kept. */
  g_assert_null (till_client_get_config (client));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.charge", NULL));
  g_assert_true (till_test_wait_until (error_shown, window, 20000));
  g_assert_null (find_cash_dialog ());
  adw_message_dialog_response (till_window_get_dialog (window), "close");
  gtk_window_destroy (GTK_WINDOW (till_window_get_dialog (window)));
  g_assert_cmpuint (till_cash_journal_get_n_pending (journal), ==, 0);

  /* Allowed when the server last said: the keypad, with the rounding it last said. */
  g_settings_set_boolean (settings, "offline-cash", TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.charge", NULL));
  g_assert_true (till_test_wait_until (cash_dialog_shown, NULL, 20000));
  dialog = find_cash_dialog ();
  g_assert_cmpint (till_cash_dialog_get_rounding (dialog), ==, -2);
  gtk_editable_set_text (till_cash_dialog_get_entry (dialog), "20");
  g_signal_emit_by_name (till_cash_dialog_get_entry (dialog), "activate");
  g_assert_true (till_test_wait_until (not_charging, window, 20000));
  g_assert_cmpuint (g_list_model_get_n_items (till_cart_store_get_carts (store)), ==, 0);
  g_assert_nonnull (strstr (till_window_get_last_toast (window), "1 cash sale waiting to upload"));

  pending = till_cash_journal_get_pending (journal);
  g_assert_cmpuint (pending->len, ==, 1);
  request =
      json_node_get_object (((TillCashJournalSale *) g_ptr_array_index (pending, 0))->request);
  g_assert_cmpstr (json_object_get_string_member (request, "tender"), ==, "cash");
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (request, "cash"), "tendered"), ==,
      2000);
  g_assert_nonnull (json_object_get_string_member (
      json_object_get_object_member (request, "offline"), "sold_at"));
  line = json_array_get_object_element (json_object_get_array_member (request, "lines"), 0);
  g_assert_cmpint (json_object_get_int_member (line, "unit_amount"), ==, 1342);
  g_assert_cmpint (json_object_get_int_member (line, "tax_rate"), ==, 810);

  gtk_window_destroy (GTK_WINDOW (window));
  g_settings_reset (settings, "offline-cash");
  g_settings_reset (settings, "cash-rounding");
  till_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  till_test_init_gtk (&argc, &argv);
  g_test_add_func ("/app/cash/keypad/chf-rounding", test_chf_rounding);
  g_test_add_func ("/app/cash/keypad/eur", test_eur);
  g_test_add_func ("/app/cash/report/escpos", test_report_escpos);
  g_test_add_func ("/app/cash/tender/keys", test_tender_keys);
  g_test_add_func ("/app/cash/offline-start", test_offline_start);
  return g_test_run ();
}
