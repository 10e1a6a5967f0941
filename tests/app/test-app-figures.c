/* test-app-figures.c: the day's figures and the preferences, against the real
 * till-server --training (a child process on an ephemeral port) with orders paid at its
 * simulator in the test: the page's numbers are those orders', the window reaches the page
 * and back, the CSV export parses back to the same orders (and a cashier is told why not),
 * and the preferences write their keys. Screenshots of both go to the build directory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "till-application.h"
#include "till-checkout.h"
#include "till-client.h"
#include "till-figures-page-private.h"
#include "till-money-label.h"
#include "till-preferences-window-private.h"
#include "till-test-app-server.h"
#include "till-test-gtk.h"
#include "till-window-private.h"

typedef struct
{
  char        *tmpdir;
  char        *db;
  GSubprocess *server;
  char        *url;
  char        *admin_token;
  char        *cashier_token;
  /* what the test sold */
  gint64 gross;
  gint64 refunds;
  gint64 count;
  guint  orders; /* all made, pending too */
} Fixture;

static GSubprocessLauncher *
new_launcher (Fixture *f)
{
  GSubprocessLauncher *launcher = till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);

  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", f->tmpdir, TRUE);
  return launcher;
}

static char *
add_terminal (Fixture *f, const char *name, const char *role)
{
  g_autofree char *server =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  const char *argv[] = { server, "--db", f->db, "terminal", "add", name, "--role", role, NULL };
  g_autoptr (GSubprocessLauncher) launcher = new_launcher (f);
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;

  g_assert_cmpint (till_test_run_launcher (launcher, argv, &out, NULL), ==, 0);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  return g_strdup (lines[g_strv_length (lines) - 1]);
}

static gboolean
client_online (gpointer data)
{
  return till_client_get_state (TILL_CLIENT (data)) == TILL_CONNECTION_ONLINE;
}

static TillClient *
new_client (Fixture *f, const char *token)
{
  TillClient *client = till_client_new ();

  till_client_set_server (client, f->url, token);
  g_assert_true (till_test_wait_until (client_online, client, 20000));
  return client;
}

static void
refund (Fixture *f, gint64 order_id, gint64 amount)
{
  g_autofree char *uri =
      g_strdup_printf ("%s/api/v1/orders/%" G_GINT64_FORMAT "/refunds", f->url, order_id);
  g_autofree char *json = g_strdup_printf ("{\"amount\": %" G_GINT64_FORMAT "}", amount);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", uri);
  g_autofree char *auth = g_strconcat ("Bearer ", f->admin_token, NULL);
  g_autoptr (GBytes) body = g_bytes_new (json, strlen (json));
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 201);
}

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
  return products;
}

/* A sale of @quantity × products[@first] and 1 × products[@first + 1]; paid unless @pending. */
static TillOrder *
sell (TillClient *client, GPtrArray *products, guint first, gint64 quantity, gboolean pending)
{
  const TillStoreConfig *config = till_client_get_config (client);
  g_autoptr (TillCartModel) cart =
      till_cart_model_new (config->currency, config->prices_include_tax);
  g_autoptr (TillCheckoutResult) checkout = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;
  TillOrder    *order;

  till_cart_model_add_product (cart, g_ptr_array_index (products, first), quantity, &error);
  g_assert_no_error (error);
  till_cart_model_add_product (cart, g_ptr_array_index (products, first + 1), 1, &error);
  g_assert_no_error (error);
  till_checkout_start_async (client, cart, NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  checkout = till_checkout_start_finish (result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  if (pending)
    return g_steal_pointer (&checkout->response->order);

  till_test_confirm_at_stripe (config, checkout->response);
  till_client_sync_order_async (client, checkout->response->order->id, NULL, till_test_store_result,
                                &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  order = till_client_order_action_finish (client, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpint (order->status, ==, TILL_ORDER_PAID);
  return order;
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autofree char *server =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TillClient) client = NULL;
  g_autoptr (GPtrArray) products = NULL;

  f->tmpdir = till_test_make_tmpdir ("till-figures-test");
  f->db = g_build_filename (f->tmpdir, "till.db", NULL);
  f->admin_token = add_terminal (f, "figures-admin", "admin");
  f->cashier_token = add_terminal (f, "figures-cashier", "cashier");
  launcher = new_launcher (f);
  {
    const char *argv[] = { server, "--listen", "127.0.0.1:0", "--db", f->db, "--training", NULL };

    f->server = till_test_spawn (launcher, argv, &f->url, NULL, &error);
    g_assert_no_error (error);
  }

  /* Four sales, one of them partly refunded, and an order never paid. */
  client = new_client (f, f->cashier_token);
  products = fetch_products (client);
  g_assert_cmpuint (products->len, >=, 8);
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr (TillOrder) order = sell (client, products, i * 2, i + 1, FALSE);

      f->gross += order->total;
      f->count++;
      f->orders++;
      if (i == 1)
        {
          refund (f, order->id, 50);
          f->refunds += 50;
        }
    }
  {
    g_autoptr (TillOrder) pending = sell (client, products, 0, 1, TRUE);
    f->orders++;
  }
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->server != NULL)
    till_test_stop_process (f->server, SIGTERM);
  g_clear_object (&f->server);
  till_test_remove_tree (f->tmpdir);
  g_free (f->tmpdir);
  g_free (f->db);
  g_free (f->url);
  g_free (f->admin_token);
  g_free (f->cashier_token);
}

/* Rendering */

typedef struct
{
  GtkWidget *widget;
  int        width;
  int        frames;
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

  GtkWidget *stack = NULL;

  /* The window's pages crossfade: the new one alone. */
  if (TILL_IS_WINDOW (wait->widget))
    stack = gtk_widget_get_parent (
        GTK_WIDGET (till_window_get_figures_page (TILL_WINDOW (wait->widget))));
  return gtk_widget_get_mapped (wait->widget) && gtk_widget_get_width (wait->widget) > 0 &&
         wait->frames >= 30 &&
         (stack == NULL || !gtk_stack_get_transition_running (GTK_STACK (stack)));
}

/* A few frames drawn at the window's size, then the window into @name's PNG. */
static void
screenshot (GtkWindow *window, const char *name)
{
  FrameWait wait = { GTK_WIDGET (window), 0, 0 };
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

/* The figures */

static gboolean
figures_loaded (gpointer data)
{
  return till_figures_page_is_loaded (TILL_FIGURES_PAGE (data));
}

static gboolean
figures_failed (gpointer data)
{
  return till_figures_page_get_error_title (TILL_FIGURES_PAGE (data)) != NULL;
}

static gboolean
export_done (gpointer data)
{
  return !till_figures_page_is_exporting (TILL_FIGURES_PAGE (data));
}

static void
assert_figure (TillFiguresPage *page, TillFigure figure, gint64 amount)
{
  g_autofree char *expected = till_money_label (amount, "EUR");

  g_assert_cmpstr (till_figures_page_get_figure (page, figure), ==, expected);
}

static guint
n_rows (GtkListBox *list)
{
  guint n = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    n++;
  return n;
}

/* The CSV export parsed back: a row per order made today, their totals the sales'. */
static void
assert_csv (Fixture *f, const char *path)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  const TillCurrency *eur = till_currency_lookup ("EUR");
  gint64              gross = 0, refunded = 0;
  guint               rows = 0;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (text, "\r\n"));
  lines = g_strsplit (text, "\r\n", -1);
  g_assert_cmpstr (lines[0], ==,
                   "number,created_at,status,currency,subtotal,discount,tax,rounding,total,"
                   "refunded,payment_intent,card_brand,card_last4");
  for (guint i = 1; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      g_auto (GStrv) cells = g_strsplit (lines[i], ",", -1);
      gint64 total, back;

      g_assert_cmpuint (g_strv_length (cells), ==, 13);
      g_assert_cmpstr (cells[3], ==, "EUR");
      g_assert_true (till_money_parse (cells[8], eur, TILL_PARSE_DEFAULT, &total, &error));
      g_assert_no_error (error);
      g_assert_true (till_money_parse (cells[9], eur, TILL_PARSE_DEFAULT, &back, &error));
      g_assert_no_error (error);
      if (g_str_equal (cells[2], "paid") || g_str_equal (cells[2], "partially_refunded"))
        {
          gross += total;
          refunded += back;
          g_assert_cmpstr (cells[11], ==, "visa");
          g_assert_cmpstr (cells[12], ==, "4242");
        }
      else
        g_assert_cmpstr (cells[2], ==, "pending_payment");
      rows++;
    }
  g_assert_cmpuint (rows, ==, f->orders);
  g_assert_cmpint (gross, ==, f->gross);
  g_assert_cmpint (refunded, ==, f->refunds);
}

static gboolean
mode_is (gpointer data)
{
  return g_strcmp0 (till_window_get_mode (TILL_WINDOW (data)), "sell") == 0;
}

static void
test_figures (Fixture *f, gconstpointer data)
{
  g_autoptr (TillClient) client = new_client (f, f->admin_token);
  g_autofree char *carts = g_build_filename (f->tmpdir, "carts", NULL);
  g_autoptr (GFile) carts_dir = g_file_new_for_path (carts);
  g_autoptr (TillCatalog) catalog = till_catalog_new ();
  g_autoptr (TillCartStore) store = till_cart_store_new (carts_dir);
  g_autofree char *csv = g_build_filename (f->tmpdir, "orders.csv", NULL);
  g_autoptr (GFile) csv_file = g_file_new_for_path (csv);
  TillWindow      *window = till_window_new (NULL, catalog, store, client);
  TillFiguresPage *page = till_window_get_figures_page (window);
  JsonObject      *report, *today;
  JsonArray       *days;
  gint64           start;

  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  gtk_window_present (GTK_WINDOW (window));

  /* From the menu's action (Ctrl+Shift+F): the page, loaded with the server's report. */
  start = g_get_monotonic_time ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-figures", NULL));
  g_assert_cmpstr (till_window_get_mode (window), ==, "figures");
  g_assert_true (till_test_wait_until (figures_loaded, page, 20000));
  g_test_message ("figures shown %" G_GINT64_FORMAT " ms after the action",
                  (g_get_monotonic_time () - start) / 1000);

  /* The numbers are those of the orders made above. */
  report = till_figures_page_get_report (page);
  g_assert_cmpint (json_object_get_int_member (report, "gross"), ==, f->gross);
  g_assert_cmpint (json_object_get_int_member (report, "count"), ==, f->count);
  assert_figure (page, TILL_FIGURE_GROSS, f->gross);
  assert_figure (page, TILL_FIGURE_REFUNDS, f->refunds);
  assert_figure (page, TILL_FIGURE_NET, f->gross - f->refunds);
  assert_figure (page, TILL_FIGURE_AVERAGE, (f->gross + f->count / 2) / f->count);
  {
    g_autofree char *count = g_strdup_printf ("%" G_GINT64_FORMAT, f->count);
    g_assert_cmpstr (till_figures_page_get_figure (page, TILL_FIGURE_COUNT), ==, count);
  }
  /* Visa only; the demo catalog's rates. */
  g_assert_cmpuint (n_rows (till_figures_page_get_list (page, FALSE)), ==, 1);
  g_assert_cmpuint (n_rows (till_figures_page_get_list (page, TRUE)), ==,
                    json_array_get_length (json_object_get_array_member (report, "by_tax_rate")));
  {
    GtkWidget *rate =
        gtk_widget_get_first_child (GTK_WIDGET (till_figures_page_get_list (page, TRUE)));
    g_autofree char *title = g_strdup_printf (
        "Tax %" G_GINT64_FORMAT " %%",
        json_object_get_int_member (
            json_array_get_object_element (json_object_get_array_member (report, "by_tax_rate"), 0),
            "tax_rate") /
            100);

    g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (rate)), ==, title);
  }
  days = json_object_get_array_member (till_figures_page_get_trend (page), "days");
  g_assert_cmpuint (json_array_get_length (days), ==, 7);
  screenshot (GTK_WINDOW (window), "figures-800x600.png");

  /* The 30 days' trend: today is its last day, with the report's net. */
  till_figures_page_set_trend_days (page, 30);
  g_assert_false (till_figures_page_is_loaded (page));
  g_assert_true (till_test_wait_until (figures_loaded, page, 20000));
  days = json_object_get_array_member (till_figures_page_get_trend (page), "days");
  g_assert_cmpuint (json_array_get_length (days), ==, 30);
  today = json_array_get_object_element (days, 29);
  g_assert_cmpstr (json_object_get_string_member (today, "date"), ==,
                   json_object_get_string_member (report, "date"));
  g_assert_cmpint (json_object_get_int_member (today, "net"), ==, f->gross - f->refunds);
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 768);
  screenshot (GTK_WINDOW (window), "figures-1024x768.png");
  /* All of it: by method and by tax rate below the charts. */
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 1000);
  screenshot (GTK_WINDOW (window), "figures-900x1000.png");

  /* The export, as the file chooser's Export does it, parsed back. */
  till_figures_page_export_to (page, csv_file);
  g_assert_true (till_test_wait_until (export_done, page, 20000));
  g_assert_cmpstr (till_figures_page_get_last_message (page), ==, "Orders exported.");
  assert_csv (f, csv);

  /* The day before: nothing sold. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-figures", NULL);
  g_assert_cmpstr (till_window_get_mode (window), ==, "sell");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-figures", NULL);
  g_assert_true (till_test_wait_until (figures_loaded, page, 20000));
  {
    g_autoptr (GDateTime) now = g_date_time_new_now_local ();
    g_autoptr (GDateTime) yesterday = g_date_time_add_days (now, -1);
    GDate day;

    g_date_set_dmy (&day, g_date_time_get_day_of_month (yesterday),
                    g_date_time_get_month (yesterday), g_date_time_get_year (yesterday));
    till_figures_page_show_day (page, &day);
    g_assert_true (till_test_wait_until (figures_loaded, page, 20000));
    g_assert_cmpint (json_object_get_int_member (till_figures_page_get_report (page), "count"), ==,
                     0);
    assert_figure (page, TILL_FIGURE_GROSS, 0);
  }

  /* Escape: back to the sale. */
  g_signal_emit_by_name (page, "done");
  g_assert_true (till_test_wait_until (mode_is, window, 5000));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A cashier sees the figures, but is told that only an admin may export, and no file is
 * made; a server that is gone is said in plain words. */
static void
test_cashier_and_offline (Fixture *f, gconstpointer data)
{
  g_autoptr (TillClient) client = new_client (f, f->cashier_token);
  g_autofree char *csv = g_build_filename (f->tmpdir, "refused.csv", NULL);
  g_autoptr (GFile) csv_file = g_file_new_for_path (csv);
  TillFiguresPage *page = till_figures_page_new (client);
  GtkWidget       *window = gtk_window_new ();

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  gtk_window_present (GTK_WINDOW (window));
  till_figures_page_show_day (page, NULL);
  g_assert_true (till_test_wait_until (figures_loaded, page, 20000));
  assert_figure (page, TILL_FIGURE_GROSS, f->gross);

  till_figures_page_export_to (page, csv_file);
  g_assert_true (till_test_wait_until (export_done, page, 20000));
  g_assert_cmpstr (till_figures_page_get_last_message (page), ==,
                   "Only an admin terminal may export orders. Ask an administrator.");
  g_assert_false (g_file_test (csv, G_FILE_TEST_EXISTS));

  till_test_stop_process (f->server, SIGTERM);
  g_clear_object (&f->server);
  till_figures_page_reload (page);
  g_assert_true (till_test_wait_until (figures_failed, page, 20000));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The preferences write their keys at once, and follow the keys. */
/* The application's app.connect, which the server row's button activates. */
static void
add_app_actions (GtkWidget *window)
{
  g_autoptr (GSimpleActionGroup) group = g_simple_action_group_new ();
  g_autoptr (GSimpleAction) connect = g_simple_action_new ("connect", NULL);

  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (connect));
  gtk_widget_insert_action_group (window, "app", G_ACTION_GROUP (group));
}

static void
test_preferences (void)
{
  g_autoptr (GSettings) settings = g_settings_new ("io.github.tillpos.Till");
  TillPreferencesWindow *window =
      till_preferences_window_new (NULL, settings, "https://till.example:8787");
  AdwPreferencesPage *extra = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());
  g_autofree char    *scheme = NULL;
  g_autofree char    *view = NULL;

  g_assert_cmpstr (till_preferences_window_get_server_text (window), ==,
                   "https://till.example:8787");

  gtk_check_button_set_active (till_preferences_window_get_scheme_button (window, 2), TRUE);
  scheme = g_settings_get_string (settings, "color-scheme");
  g_assert_cmpstr (scheme, ==, "dark");
  g_settings_set_string (settings, "color-scheme", "light");
  g_assert_true (
      gtk_check_button_get_active (till_preferences_window_get_scheme_button (window, 1)));

  gtk_spin_button_set_value (till_preferences_window_get_interval_spin (window), 80);
  g_assert_cmpuint (g_settings_get_uint (settings, "scanner-max-interval"), ==, 80);
  /* Beyond the schema's range: the spin button stops at its end, the key stays valid. */
  gtk_spin_button_set_value (till_preferences_window_get_interval_spin (window), 100000);
  g_assert_cmpuint (g_settings_get_uint (settings, "scanner-max-interval"), ==, 500);
  g_settings_set_uint (settings, "scanner-min-length", 6);
  g_assert_cmpint (
      gtk_spin_button_get_value_as_int (till_preferences_window_get_length_spin (window)), ==, 6);

  adw_combo_row_set_selected (till_preferences_window_get_catalog_row (window), 1);
  view = g_settings_get_string (settings, "catalog-view");
  g_assert_cmpstr (view, ==, "list");

  /* As a merchant first sees it, tall enough for the scanner's rows. */
  add_app_actions (GTK_WIDGET (window));
  g_settings_reset (settings, "color-scheme");
  g_settings_reset (settings, "catalog-view");
  g_settings_reset (settings, "scanner-max-interval");
  g_settings_reset (settings, "scanner-min-length");
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 800);
  gtk_window_present (GTK_WINDOW (window));
  screenshot (GTK_WINDOW (window), "preferences-640x800.png");

  /* Another part's page goes in next to the general one. */
  adw_preferences_page_set_title (extra, "Extra");
  till_preferences_window_add_page (window, extra);
  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (window), extra);
  g_assert_true (adw_preferences_window_get_visible_page (ADW_PREFERENCES_WINDOW (window)) ==
                 extra);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* In Turkish (LANGUAGE=tr, the build tree's translations), at 800×600: in a process of its
 * own, whose locale the other tests do not share. */
static void
test_turkish (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *po = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
      Fixture          fixture = { 0 };
      g_autoptr (TillClient) client = NULL;
      g_autoptr (GSettings) settings = g_settings_new ("io.github.tillpos.Till");
      TillFiguresPage       *page;
      TillPreferencesWindow *preferences;
      GtkWidget             *window = gtk_window_new ();
      AdwActionRow          *row;

      g_setenv ("TILL_LOCALEDIR", po, TRUE);
      g_setenv ("LANGUAGE", "tr", TRUE);
      setlocale (LC_ALL, "");
      till_application_bind_textdomain ();
      setup (&fixture, NULL);
      client = new_client (&fixture, fixture.admin_token);
      page = till_figures_page_new (client);
      gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
      gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
      gtk_window_present (GTK_WINDOW (window));
      till_figures_page_show_day (page, NULL);
      g_assert_true (till_test_wait_until (figures_loaded, page, 20000));
      row = ADW_ACTION_ROW (
          gtk_widget_get_first_child (GTK_WIDGET (till_figures_page_get_list (page, FALSE))));
      g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, "4 satış, €0.50 iade edildi");
      screenshot (GTK_WINDOW (window), "figures-tr-800x600.png");
      gtk_window_destroy (GTK_WINDOW (window));

      preferences = till_preferences_window_new (NULL, settings, fixture.url);
      add_app_actions (GTK_WIDGET (preferences));
      gtk_window_set_default_size (GTK_WINDOW (preferences), 800, 600);
      gtk_window_present (GTK_WINDOW (preferences));
      screenshot (GTK_WINDOW (preferences), "preferences-tr-800x600.png");
      gtk_window_destroy (GTK_WINDOW (preferences));
      teardown (&fixture, NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static gboolean
report_shown (gpointer data)
{
  return till_figures_page_is_report_shown (TILL_FIGURES_PAGE (data));
}

static gboolean
page_loaded (gpointer data)
{
  return till_figures_page_is_loaded (TILL_FIGURES_PAGE (data));
}

/* The day's figures are shown as soon as their answer is in, while the trend's is still on
 * its way; the trend's chart fills in when it comes. */
static void
test_report_before_trend (void)
{
  TillTestAppServer *server = till_test_app_server_new (FALSE, 0);
  g_autoptr (TillClient) client = till_client_new ();
  GtkWindow       *window = GTK_WINDOW (gtk_window_new ());
  TillFiguresPage *page;
  GDate            day;

  till_client_set_server (client, till_test_app_server_get_url (server), TILL_TEST_APP_TOKEN);
  g_assert_true (till_test_wait_until (client_online, client, 5000));
  page = till_figures_page_new (client);
  gtk_window_set_default_size (window, 800, 600);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);
  till_test_app_server_hold_days (server);
  g_date_clear (&day, 1);
  g_date_set_dmy (&day, 6, 12, 2026);
  till_figures_page_show_day (page, &day);

  g_assert_true (till_test_wait_until (report_shown, page, TILL_TEST_DEADLINE_MS));
  g_assert_null (till_figures_page_get_trend (page));
  g_assert_false (till_figures_page_is_loaded (page));
  g_assert_cmpstr (till_figures_page_get_figure (page, TILL_FIGURE_COUNT), ==, "2");
  g_assert_nonnull (strstr (till_figures_page_get_figure (page, TILL_FIGURE_GROSS), "12"));

  till_test_app_server_release_days (server);
  g_assert_true (till_test_wait_until (page_loaded, page, TILL_TEST_DEADLINE_MS));
  g_assert_nonnull (till_figures_page_get_trend (page));
  g_assert_cmpstr (till_figures_page_get_figure (page, TILL_FIGURE_COUNT), ==, "2");
  gtk_window_destroy (window);
  g_clear_object (&client);
  till_test_app_server_free (server);
}

int
main (int argc, char *argv[])
{
  till_test_init_gtk (&argc, &argv);
  {
    g_autoptr (GtkCssProvider) css = gtk_css_provider_new ();
    gtk_css_provider_load_from_resource (css, "/io/github/tillpos/Till/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }
  g_test_add ("/app/figures/report", Fixture, NULL, setup, test_figures, teardown);
  g_test_add ("/app/figures/cashier-and-offline", Fixture, NULL, setup, test_cashier_and_offline,
              teardown);
  g_test_add_func ("/app/figures/report-before-trend", test_report_before_trend);
  g_test_add_func ("/app/figures/preferences", test_preferences);
  g_test_add_func ("/app/figures/turkish", test_turkish);
  return g_test_run ();
}
