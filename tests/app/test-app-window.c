/* test-app-window.c: the main window under Xvfb — scanner bursts wherever the focus is,
 * unknown barcodes, the multiplier, banners, the adaptive layout and Charge.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "till-demo.h"
#include "till-test-app-server.h"
#include "till-test-gtk.h"
#include "till-application.h"
#include "till-connect-dialog.h"
#include "till-product-list.h"
#include "till-payment-view.h"
#include "till-window-private.h"
#include "till-test-asan.h"

typedef struct
{
  char              *tmpdir;
  TillTestAppServer *server;
  TillCatalog       *catalog;
  TillCartStore     *store;
  TillClient        *client;
  TillWindow        *window;
  guint32            time;
} Fixture;

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

static gboolean
client_offline (gpointer data)
{
  return till_client_get_state (TILL_CLIENT (data)) == TILL_CONNECTION_OFFLINE;
}

static gboolean
catalog_loaded (gpointer data)
{
  return till_catalog_get_n_products (TILL_CATALOG (data)) > 0;
}

static void
fill_local_catalog (TillCatalog *catalog)
{
  g_autoptr (GPtrArray) products = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (
      products, till_product_new (1, "Simit", "SIM-1", "8690000000017", "Bakery", "USD", 150, 800));
  g_ptr_array_add (
      products, till_product_new (2, "Ayran", "AYR-2", "8690000000024", "Drinks", "USD", 250, 800));
  till_catalog_replace (catalog, products, NULL);
}

/* data: "online", "training", "offline" or NULL (no server at all). */
static void
setup (Fixture *f, gconstpointer data)
{
  const char *mode = data;
  g_autoptr (GFile) dir = NULL;

  f->tmpdir = till_test_make_tmpdir ("till-app-test");
  dir = g_file_new_for_path (f->tmpdir);
  f->catalog = till_catalog_new ();
  f->store = till_cart_store_new (dir);
  f->client = till_client_new ();
  till_client_set_retry_delays (f->client, 20, 200);
  f->time = 10000;

  if (g_strcmp0 (mode, "online") == 0 || g_strcmp0 (mode, "training") == 0)
    {
      f->server = till_test_app_server_new (g_str_equal (mode, "training"), 0);
      till_demo_fill_server (f->server);
      till_client_set_server (f->client, till_test_app_server_get_url (f->server),
                              TILL_TEST_APP_TOKEN);
      g_assert_true (till_test_wait_until (client_online, f->client, 5000));
    }
  else
    fill_local_catalog (f->catalog);

  f->window = till_window_new (NULL, f->catalog, f->store, f->client);
  till_cart_view_set_currency (till_window_get_cart_view (f->window), "USD", FALSE);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1024, 600);
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (till_test_wait_until (window_mapped, f->window, 5000));
  if (f->server != NULL)
    g_assert_true (till_test_wait_until (catalog_loaded, f->catalog, 5000));
}

static gboolean
store_idle (gpointer data)
{
  return !till_cart_store_is_busy (TILL_CART_STORE (data));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog = till_window_get_dialog (f->window);

  if (dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_assert_true (till_test_wait_until (store_idle, f->store, 5000));
  g_clear_object (&f->client);
  g_clear_object (&f->store);
  g_clear_object (&f->catalog);
  if (f->server != NULL)
    till_test_app_server_free (f->server);
  till_test_remove_tree (f->tmpdir);
  g_free (f->tmpdir);
}

/* Feeds @text as key presses @gap ms apart, as the window's capture controller would; keys
 * the detector does not take are typed into the focused editable, as GTK would. */
static void
press_keys (Fixture *f, const char *text, guint gap, gboolean enter)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      f->time += gap;
      if (!till_window_handle_key (f->window, gdk_unicode_to_keyval ((guchar) *p), 0, f->time))
        {
          GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));
          int        position;
          char       c[2] = { *p, 0 };

          g_assert_true (GTK_IS_EDITABLE (focus));
          position = gtk_editable_get_position (GTK_EDITABLE (focus));
          gtk_editable_insert_text (GTK_EDITABLE (focus), c, 1, &position);
          gtk_editable_set_position (GTK_EDITABLE (focus), position);
        }
    }
  if (enter)
    {
      f->time += gap;
      if (!till_window_handle_key (f->window, GDK_KEY_Return, 0, f->time))
        {
          GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));
          if (GTK_IS_TEXT (focus))
            g_signal_emit_by_name (focus, "activate");
        }
    }
}

static TillCartModel *
selected_cart (Fixture *f)
{
  return till_cart_view_get_selected_cart (till_window_get_cart_view (f->window));
}

static const char *
search_text (Fixture *f)
{
  return gtk_editable_get_text (
      GTK_EDITABLE (till_catalog_view_get_search_entry (till_window_get_catalog_view (f->window))));
}

static void
focus_search (Fixture *f)
{
  gtk_widget_grab_focus (
      GTK_WIDGET (till_catalog_view_get_search_entry (till_window_get_catalog_view (f->window))));
}

static void
test_scan_in_search_entry (Fixture *f, gconstpointer data)
{
  TillCartModel *cart;

  /* The cashier is typing in the search entry… */
  focus_search (f);
  press_keys (f, "si", 200, FALSE);
  till_scan_detector_flush (till_window_get_scan_detector (f->window));
  g_assert_cmpstr (search_text (f), ==, "si");

  /* …when a scan arrives: the product is added, the entry keeps "si" and the focus. */
  press_keys (f, "8690000000017", 8, TRUE);
  cart = selected_cart (f);
  g_assert_nonnull (cart);
  g_assert_cmpuint (till_cart_model_get_n_lines (cart), ==, 1);
  g_assert_cmpint (till_cart_model_get_line (cart, 0)->quantity, ==, 1);
  g_assert_cmpstr (search_text (f), ==, "si");
  g_assert_true (gtk_widget_is_ancestor (
      gtk_root_get_focus (GTK_ROOT (f->window)),
      GTK_WIDGET (till_catalog_view_get_search_entry (till_window_get_catalog_view (f->window)))));

  /* The same code again adds a second one. */
  press_keys (f, "8690000000017", 8, TRUE);
  g_assert_cmpint (till_cart_model_get_line (cart, 0)->quantity, ==, 2);
  g_assert_cmpstr (search_text (f), ==, "si");

  /* Typing goes on where it was. */
  f->time += 500;
  press_keys (f, "m", 200, FALSE);
  till_scan_detector_flush (till_window_get_scan_detector (f->window));
  g_assert_cmpstr (search_text (f), ==, "sim");
  /* The Charge button shows the total from core: 2 × 1.50 + 8 % = 3.24. */
  g_assert_cmpstr (till_cart_view_get_charge_label (till_window_get_cart_view (f->window)), ==,
                   "Charge $3.24");
}

static void
test_scan_focus_elsewhere (Fixture *f, gconstpointer data)
{
  TillCartModel *cart;

  /* Focus on a button (the connection indicator): the scan still adds the product. */
  gtk_widget_grab_focus (GTK_WIDGET (till_window_get_cart_view (f->window)));
  press_keys (f, "8690000000024", 5, TRUE);
  cart = selected_cart (f);
  g_assert_cmpuint (till_cart_model_get_n_lines (cart), ==, 1);
  g_assert_cmpint (till_cart_model_get_line (cart, 0)->product_id, ==, 2);
  /* Slow typing with nothing editable focused goes to the search. */
  press_keys (f, "ay", 300, FALSE);
  till_scan_detector_flush (till_window_get_scan_detector (f->window));
  g_assert_cmpstr (search_text (f), ==, "ay");
}

static gboolean
toast_shown (gpointer data)
{
  return till_window_get_last_toast (TILL_WINDOW (data)) != NULL;
}

static void
test_unknown_barcode (Fixture *f, gconstpointer data)
{
  focus_search (f);
  press_keys (f, "8690000099999", 8, TRUE);
  /* Online, the server is asked first (it may know a product added a minute ago). */
  g_assert_true (till_test_wait_until (toast_shown, f->window, 5000));
  g_assert_cmpstr (till_window_get_last_toast (f->window), ==, "Unknown barcode 8690000099999");
  g_assert_cmpstr (search_text (f), ==, "");
  g_assert_true (selected_cart (f) == NULL || till_cart_model_get_n_lines (selected_cart (f)) == 0);
}

static void
test_manual_barcode (Fixture *f, gconstpointer data)
{
  /* A barcode typed by hand and confirmed with Enter. */
  focus_search (f);
  press_keys (f, "8690000000024", 150, TRUE);
  g_assert_cmpuint (till_cart_model_get_n_lines (selected_cart (f)), ==, 1);
  g_assert_cmpstr (search_text (f), ==, "");
}

static void
test_multiplier (Fixture *f, gconstpointer data)
{
  TillCartModel *cart;

  focus_search (f);
  press_keys (f, "3*", 200, FALSE);
  till_scan_detector_flush (till_window_get_scan_detector (f->window));
  g_assert_cmpint (till_catalog_view_get_multiplier (till_window_get_catalog_view (f->window)), ==,
                   3);
  press_keys (f, "8690000000017", 8, TRUE);
  cart = selected_cart (f);
  g_assert_cmpint (till_cart_model_get_line (cart, 0)->quantity, ==, 3);
  /* Used once: the entry is cleared, the next scan adds one. */
  g_assert_cmpstr (search_text (f), ==, "");
  press_keys (f, "8690000000017", 8, TRUE);
  g_assert_cmpint (till_cart_model_get_line (cart, 0)->quantity, ==, 4);
}

/* The texts of the labels shown under @widget, in the order of the widget tree, joined
 * with "|". */
static void
collect_labels (GtkWidget *widget, GString *out)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  if (GTK_IS_LABEL (widget) && *gtk_label_get_text (GTK_LABEL (widget)) != '\0')
    g_string_append_printf (out, "%s|", gtk_label_get_text (GTK_LABEL (widget)));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, out);
}

static char *
cart_text (Fixture *f)
{
  GString *out = g_string_new ("|");

  while (g_main_context_iteration (NULL, FALSE))
    ;
  collect_labels (GTK_WIDGET (till_window_get_cart_view (f->window)), out);
  return g_string_free (out, FALSE);
}

static void
assert_shows (const char *text, const char *expected)
{
  if (strstr (text, expected) == NULL)
    g_error ("The cart shows “%s”, not “%s”", text, expected);
}

/* The cart's figures add up as shown: a line is quantity × price, the subtotal is their
 * sum, then the discounts (each line's with what it takes off; the cart's named) and, for
 * prices without tax, the tax on what is left. Simit: 1.50 at 8 %. */
static void
test_prices_add_up (Fixture *f, gconstpointer data)
{
  TillCartModel   *cart;
  g_autofree char *plain = NULL, *discounted = NULL;
  TillDiscount     ten_percent = { TILL_DISCOUNT_PERCENT, 1000 };
  TillDiscount     fifty_cents = { TILL_DISCOUNT_AMOUNT, 50 };

  till_window_handle_barcode (f->window, "8690000000017");
  cart = selected_cart (f);
  g_assert_nonnull (cart);
  g_assert_cmpuint (till_cart_model_get_n_lines (cart), ==, 1);

  /* Not "$1.50 … $1.62": the line is before tax, as the subtotal. */
  plain = cart_text (f);
  assert_shows (plain, "|Simit|$1.50|$1.50|Subtotal|$1.50|Tax|$0.12|Total|$1.62|");

  /* 2 × 1.50 = 3.00, 10 % off the line (−0.30), 0.50 off the cart: 3.00 − 0.80 = 2.20,
   * tax 8 % = 0.18 (0.176), total 2.38. */
  g_assert_true (till_cart_model_set_quantity (cart, 0, 2, NULL));
  g_assert_true (till_cart_model_set_line_discount (cart, 0, &ten_percent, NULL));
  g_assert_true (till_cart_model_set_discount (cart, &fifty_cents, NULL));
  g_assert_true (till_cart_model_set_note (cart, "Deliver to table 4", NULL));
  discounted = cart_text (f);
  assert_shows (discounted, "|Simit|$1.50 · 10 % off (-$0.30)|$3.00|");
  assert_shows (discounted, "|Deliver to table 4|Subtotal|$3.00|Discount ($0.50 off the cart)|"
                            "-$0.80|Tax|$0.18|Total|$2.38|");
}

/* The store changes currency (another server): an empty cart follows it by itself; a cart
 * with lines priced in USD is kept as it was, read-only, with a notice, and the next scan
 * starts a new cart in the store's currency instead of failing on it. */
static void
test_currency_follows_store (Fixture *f, gconstpointer data)
{
  TillCartView *view = till_window_get_cart_view (f->window);
  g_autoptr (GPtrArray) products = g_ptr_array_new_with_free_func (g_object_unref);
  TillCartModel   *usd_cart, *empty_cart, *try_cart;
  g_autofree char *text = NULL;

  till_window_handle_barcode (f->window, "8690000000017");
  usd_cart = selected_cart (f);
  g_assert_cmpuint (till_cart_model_get_n_lines (usd_cart), ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (view), "cart.new", NULL);
  empty_cart = selected_cart (f);
  g_assert_true (empty_cart != usd_cart);
  g_assert_cmpstr (till_cart_model_get_currency (empty_cart), ==, "USD");

  /* Connected to a store selling in TRY, with its catalog. */
  g_ptr_array_add (products, till_product_new (11, "Simit", "SIM-1", "8690000000017", "Bakery",
                                               "TRY", 1500, 1000));
  till_catalog_replace (f->catalog, products, NULL);
  till_cart_view_set_currency (view, "TRY", TRUE);

  g_assert_cmpstr (till_cart_model_get_currency (empty_cart), ==, "TRY");
  g_assert_cmpstr (till_cart_model_get_currency (usd_cart), ==, "USD");
  g_assert_cmpuint (till_cart_model_get_n_lines (usd_cart), ==, 1);

  till_cart_view_select_cart (view, usd_cart);
  text = cart_text (f);
  assert_shows (text, "|This cart is priced in USD, but this store sells in TRY.");
  assert_shows (text, "|Priced in USD: Not Sold Here|");
  g_assert_false (
      gtk_widget_get_sensitive (GTK_WIDGET (till_cart_view_get_list_box (view, usd_cart))));
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (view), "cart.charge", NULL) &&
                  till_window_is_charging (f->window));

  /* A scan while the USD cart is shown goes to a cart in TRY. */
  till_window_handle_barcode (f->window, "8690000000017");
  try_cart = selected_cart (f);
  g_assert_true (try_cart != usd_cart);
  g_assert_cmpstr (till_cart_model_get_currency (try_cart), ==, "TRY");
  g_assert_cmpuint (till_cart_model_get_n_lines (try_cart), ==, 1);
  g_assert_cmpuint (till_cart_model_get_n_lines (usd_cart), ==, 1);
  g_clear_pointer (&text, g_free);
  text = cart_text (f);
  g_assert_null (strstr (text, "Not Sold Here"));
  g_assert_null (strstr (text, "is priced in"));

  /* Emptied, the USD cart sells in TRY again. */
  till_cart_line_free (till_cart_model_remove_line (usd_cart, 0));
  g_assert_cmpstr (till_cart_model_get_currency (usd_cart), ==, "TRY");
}

/* Messages in quick succession (a scan per key while a checkout starts): each replaces the
 * last, and the window survives libadwaita 1.2's toast animations. */
static void
test_toasts_in_a_row (Fixture *f, gconstpointer data)
{
  gint64 until;

  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *text = g_strdup_printf ("Message %u", i);

      till_window_show_toast (f->window, text);
      for (guint j = 0; j < i % 4; j++)
        g_main_context_iteration (NULL, FALSE);
    }
  until = g_get_monotonic_time () + 600 * 1000;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpstr (till_window_get_last_toast (f->window), ==, "Message 39");
}

static TillCartModel *
find_cart (TillCartStore *store, const char *id)
{
  GListModel *carts = till_cart_store_get_carts (store);

  for (guint i = 0; i < g_list_model_get_n_items (carts); i++)
    {
      g_autoptr (TillCartModel) cart = g_list_model_get_item (carts, i);

      if (g_str_equal (till_cart_model_get_id (cart), id))
        return cart;
    }
  return NULL;
}

static void
test_remove_and_actions (Fixture *f, gconstpointer data)
{
  TillCartView  *view = till_window_get_cart_view (f->window);
  TillCartModel *cart;

  press_keys (f, "8690000000017", 8, TRUE);
  press_keys (f, "8690000000024", 8, TRUE);
  cart = selected_cart (f);
  g_assert_cmpuint (till_cart_model_get_n_lines (cart), ==, 2);

  /* The same actions the keyboard shortcuts use. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.change-last", "i", 1);
  g_assert_cmpint (till_cart_model_get_line (cart, 1)->quantity, ==, 2);
  gtk_widget_activate_action (GTK_WIDGET (view), "cart.remove-line", "u", 0);
  g_assert_cmpuint (till_cart_model_get_n_lines (cart), ==, 1);
  g_assert_cmpstr (till_cart_model_get_line (cart, 0)->name, ==, "Ayran");

  /* Park: the cart waits, a new one serves the next customer. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.park-cart", NULL);
  g_assert_true (till_cart_model_get_parked (cart));
  g_assert_true (selected_cart (f) != cart);
  g_assert_cmpuint (g_list_model_get_n_items (till_cart_store_get_carts (f->store)), ==, 2);
  /* Resume it by selecting it and pressing the (now "Resume") button. */
  till_cart_view_select_cart (view, cart);
  g_assert_cmpstr (till_cart_view_get_charge_label (view), ==, "Resume This Cart");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.charge", NULL);
  g_assert_false (till_cart_model_get_parked (cart));

  /* Closing a cart with items asks first; Keep keeps it. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.close-cart", NULL);
  {
    GListModel       *toplevels = gtk_window_get_toplevels ();
    AdwMessageDialog *dialog = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (toplevels) && dialog == NULL; i++)
      {
        g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);
        if (ADW_IS_MESSAGE_DIALOG (window))
          dialog = ADW_MESSAGE_DIALOG (window);
      }
    g_assert_nonnull (dialog);
    g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Discard This Cart?");
    adw_message_dialog_response (dialog, "cancel");
    gtk_window_destroy (GTK_WINDOW (dialog));
  }
  g_assert_cmpuint (g_list_model_get_n_items (till_cart_store_get_carts (f->store)), ==, 2);
  /* An empty cart closes at once. */
  till_cart_view_select_cart (view, cart);
  till_cart_model_clear (cart);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.close-cart", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (till_cart_store_get_carts (f->store)), ==, 1);
}

/* After a paid sale, New Sale opens an empty cart, never a parked one; a scan never resumes
 * a parked cart (issue 22: one customer's coffee went on another's bill). */
static void
test_new_sale_not_parked (Fixture *f, gconstpointer data)
{
  TillCartView    *view = till_window_get_cart_view (f->window);
  TillPaymentPage *page = till_window_get_payment_page (f->window);
  TillCartModel   *parked;
  TillCartModel   *paid;
  TillCartModel   *next;

  /* A cart parked, the next customer's cart, and that one paid. */
  press_keys (f, "8690000000017", 8, TRUE);
  parked = selected_cart (f);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.park-cart", NULL);
  g_assert_true (till_cart_model_get_parked (parked));
  press_keys (f, "8690000000024", 8, TRUE);
  paid = selected_cart (f);
  g_assert_true (paid != parked);
  g_assert_cmpuint (till_cart_model_get_n_lines (paid), ==, 1);
  /* New Sale on the Paid page: the payment step finishes, paid. */
  g_signal_emit_by_name (page, "finished", paid, TRUE);

  next = selected_cart (f);
  g_assert_nonnull (next);
  g_assert_true (next != parked);
  g_assert_false (till_cart_model_get_parked (next));
  g_assert_cmpuint (till_cart_model_get_n_lines (next), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (till_cart_store_get_carts (f->store)), ==, 2);

  /* The next scan goes to the new cart; the parked one is as it was. */
  press_keys (f, "8690000000024", 8, TRUE);
  g_assert_cmpuint (till_cart_model_get_n_lines (next), ==, 1);
  g_assert_true (till_cart_model_get_parked (parked));
  g_assert_cmpuint (till_cart_model_get_n_lines (parked), ==, 1);
  g_assert_cmpstr (till_cart_model_get_line (parked, 0)->name, ==, "Simit");

  /* Even with the parked cart on screen, a scan does not resume it: it goes to an empty
   * cart, and a toast says so. */
  till_cart_view_select_cart (view, parked);
  press_keys (f, "8690000000024", 8, TRUE);
  g_assert_true (till_cart_model_get_parked (parked));
  g_assert_cmpuint (till_cart_model_get_n_lines (parked), ==, 1);
  g_assert_true (selected_cart (f) != parked);
  g_assert_true (selected_cart (f) != next);
  g_assert_cmpuint (till_cart_model_get_n_lines (selected_cart (f)), ==, 1);
  g_assert_nonnull (strstr (till_window_get_last_toast (f->window), "is parked"));
}

static const char *
shown_name (GListModel *model, guint position)
{
  g_autoptr (TillProductSlot) slot = g_list_model_get_item (model, position);
  TillProduct *product = slot ? till_product_slot_get_product (slot) : NULL;

  return product ? till_product_get_name (product) : NULL;
}

/* The grid's model follows the query (stricter, looser, different), the category and a
 * new catalog; Enter adds the single match. */
static void
test_catalog_search (Fixture *f, gconstpointer data)
{
  TillCatalogView   *view = till_window_get_catalog_view (f->window);
  GListModel        *model = till_catalog_view_get_model (view);
  GtkEditable       *entry = GTK_EDITABLE (till_catalog_view_get_search_entry (view));
  TillCatalogFilter *filter = till_catalog_view_get_filter (view);

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  g_assert_cmpstr (shown_name (model, 0), ==, "Simit");
  till_catalog_filter_set_query (filter, "a");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  g_assert_cmpstr (shown_name (model, 0), ==, "Ayran");
  till_catalog_filter_set_query (filter, "ayr");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  till_catalog_filter_set_query (filter, "AYRAN SKU");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  till_catalog_filter_set_query (filter, "sim-1");
  g_assert_cmpstr (shown_name (model, 0), ==, "Simit");
  till_catalog_filter_set_query (filter, "");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);

  till_catalog_view_set_category (view, "Drinks");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  g_assert_cmpstr (shown_name (model, 0), ==, "Ayran");
  till_catalog_view_set_category (view, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  till_catalog_view_set_view_mode (view, "list");
  till_catalog_filter_set_query (filter, "simit");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  till_catalog_view_set_view_mode (view, "grid");

  /* A new catalog: the same query searches the new products. */
  {
    g_autoptr (GPtrArray) products = g_ptr_array_new_with_free_func (g_object_unref);

    g_ptr_array_add (products,
                     till_product_new (7, "Simit Tost", NULL, NULL, NULL, "USD", 300, 800));
    g_ptr_array_add (products, till_product_new (8, "Simit", NULL, NULL, NULL, "USD", 160, 800));
    till_catalog_replace (f->catalog, products, NULL);
  }
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  g_assert_cmpstr (shown_name (model, 0), ==, "Simit Tost");
  till_catalog_filter_set_query (filter, "tost");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);

  /* Enter on a single match adds it. */
  gtk_editable_set_text (entry, "tost");
  g_signal_emit_by_name (entry, "activate");
  g_assert_cmpuint (till_cart_model_get_n_lines (selected_cart (f)), ==, 1);
  g_assert_cmpint (till_cart_model_get_line (selected_cart (f), 0)->product_id, ==, 7);
}

static void
collect_menu_buttons (GtkWidget *widget, GPtrArray *buttons)
{
  if (GTK_IS_MENU_BUTTON (widget) &&
      g_strcmp0 (gtk_widget_get_tooltip_text (widget), "Discount and Note") == 0)
    g_ptr_array_add (buttons, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_menu_buttons (child, buttons);
}

/* A line's menu is made when opened, for the line it is on now. */
static void
test_line_menu (Fixture *f, gconstpointer data)
{
  TillCartView *view = till_window_get_cart_view (f->window);
  g_autoptr (GPtrArray) buttons = g_ptr_array_new ();
  GMenuModel *menu;
  g_autoptr (GVariant) target = NULL;
  g_autofree char *action = NULL;

  press_keys (f, "8690000000017", 8, TRUE);
  press_keys (f, "8690000000024", 8, TRUE);
  collect_menu_buttons (GTK_WIDGET (view), buttons);
  g_assert_cmpuint (buttons->len, ==, 2);
  g_assert_null (gtk_menu_button_get_menu_model (g_ptr_array_index (buttons, 1)));
  g_assert_true (gtk_widget_get_sensitive (g_ptr_array_index (buttons, 1)));

  gtk_menu_button_popup (g_ptr_array_index (buttons, 1));
  menu = gtk_menu_button_get_menu_model (g_ptr_array_index (buttons, 1));
  g_assert_nonnull (menu);
  g_assert_cmpint (g_menu_model_get_n_items (menu), ==, 2);
  g_assert_true (g_menu_model_get_item_attribute (menu, 0, G_MENU_ATTRIBUTE_ACTION, "s", &action));
  g_assert_cmpstr (action, ==, "cart.line-discount");
  target = g_menu_model_get_item_attribute_value (menu, 0, G_MENU_ATTRIBUTE_TARGET,
                                                  G_VARIANT_TYPE_UINT32);
  g_assert_cmpuint (g_variant_get_uint32 (target), ==, 1);
  gtk_menu_button_popdown (g_ptr_array_index (buttons, 1));

  /* The first line goes: the second row's line moved to index 0 and its menu is made again. */
  gtk_widget_activate_action (GTK_WIDGET (view), "cart.remove-line", "u", 0);
  g_ptr_array_set_size (buttons, 0);
  collect_menu_buttons (GTK_WIDGET (view), buttons);
  g_assert_cmpuint (buttons->len, ==, 1);
  g_assert_null (gtk_menu_button_get_menu_model (g_ptr_array_index (buttons, 0)));
  gtk_menu_button_popup (g_ptr_array_index (buttons, 0));
  menu = gtk_menu_button_get_menu_model (g_ptr_array_index (buttons, 0));
  g_clear_pointer (&target, g_variant_unref);
  target = g_menu_model_get_item_attribute_value (menu, 1, G_MENU_ATTRIBUTE_TARGET,
                                                  G_VARIANT_TYPE_UINT32);
  g_assert_cmpuint (g_variant_get_uint32 (target), ==, 0);
  gtk_menu_button_popdown (g_ptr_array_index (buttons, 0));

  /* Only the cart on screen has rows; selecting a cart makes its rows again. */
  {
    TillCartModel *first = selected_cart (f);

    gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-cart", NULL);
    g_assert_true (selected_cart (f) != first);
    press_keys (f, "8690000000017", 8, TRUE);
    press_keys (f, "8690000000024", 8, TRUE);
    g_ptr_array_set_size (buttons, 0);
    collect_menu_buttons (GTK_WIDGET (view), buttons);
    g_assert_cmpuint (buttons->len, ==, 2);
    till_cart_view_select_cart (view, first);
    g_ptr_array_set_size (buttons, 0);
    collect_menu_buttons (GTK_WIDGET (view), buttons);
    g_assert_cmpuint (buttons->len, ==, 1);
    /* A change to a cart in the background makes no rows. */
    {
      GListModel *carts = till_cart_store_get_carts (f->store);

      for (guint i = 0; i < g_list_model_get_n_items (carts); i++)
        {
          g_autoptr (TillCartModel) cart = g_list_model_get_item (carts, i);
          if (cart != first)
            g_assert_true (till_cart_model_set_quantity (cart, 0, 3, NULL));
        }
    }
    g_ptr_array_set_size (buttons, 0);
    collect_menu_buttons (GTK_WIDGET (view), buttons);
    g_assert_cmpuint (buttons->len, ==, 1);
  }
}

static void wait_frames (GtkWidget *widget, guint n);

static gboolean
flap_folded (gpointer data)
{
  return adw_flap_get_folded (ADW_FLAP (data));
}

static void
test_adaptive (Fixture *f, gconstpointer data)
{
  AdwFlap *flap = ADW_FLAP (
      gtk_widget_get_ancestor (GTK_WIDGET (till_window_get_cart_view (f->window)), ADW_TYPE_FLAP));

  g_assert_false (adw_flap_get_folded (flap));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 800, 600);
  g_assert_true (till_test_wait_until (flap_folded, flap, 5000));
}

/* At 800×600 the cart is folded away: a tap says what it added, and the cart button shows
 * the cart's items and total. */
static void
test_small_screen (Fixture *f, gconstpointer data)
{
  AdwFlap *flap = ADW_FLAP (
      gtk_widget_get_ancestor (GTK_WIDGET (till_window_get_cart_view (f->window)), ADW_TYPE_FLAP));
  TillCatalogView *catalog_view = till_window_get_catalog_view (f->window);
  g_autoptr (TillProduct) simit = till_catalog_lookup_id (f->catalog, 1);

  gtk_window_set_default_size (GTK_WINDOW (f->window), 800, 600);
  g_assert_true (till_test_wait_until (flap_folded, flap, 5000));
  g_assert_false (adw_flap_get_reveal_flap (flap));

  g_signal_emit_by_name (catalog_view, "product-activated", simit);
  g_assert_cmpstr (till_window_get_last_toast (f->window), ==, "Simit added: 1 item, $1.62");
  g_assert_cmpstr (till_window_get_cart_summary (f->window), ==, "1 item, $1.62");
  g_signal_emit_by_name (catalog_view, "product-activated", simit);
  g_assert_cmpstr (till_window_get_last_toast (f->window), ==, "Simit added: 2 items, $3.24");
  g_assert_cmpstr (till_window_get_cart_summary (f->window), ==, "2 items, $3.24");

  /* A change made in the cart shows too. */
  till_cart_model_clear (selected_cart (f));
  g_assert_cmpstr (till_window_get_cart_summary (f->window), ==, "0 items, $0.00");
}

static gboolean
chips_fit (gpointer data)
{
  GtkWidget *more =
      GTK_WIDGET (gtk_widget_get_template_child (data, TILL_TYPE_CATALOG_VIEW, "chips_more"));

  return !gtk_widget_get_visible (more);
}

static gboolean
chips_overflow_shown (gpointer data)
{
  GtkWidget *view = data;
  GtkWidget *more =
      GTK_WIDGET (gtk_widget_get_template_child (view, TILL_TYPE_CATALOG_VIEW, "chips_more"));

  return gtk_widget_get_visible (more);
}

/* At 1024 px the demo catalog's categories do not fit: an arrow says more follow, and shows
 * them; then the arrow back appears. */
static void
test_category_chips (Fixture *f, gconstpointer data)
{
  GtkWidget         *view = GTK_WIDGET (till_window_get_catalog_view (f->window));
  GtkScrolledWindow *scroller = GTK_SCROLLED_WINDOW (
      gtk_widget_get_template_child (view, TILL_TYPE_CATALOG_VIEW, "chips_scroller"));
  GtkWidget *back =
      GTK_WIDGET (gtk_widget_get_template_child (view, TILL_TYPE_CATALOG_VIEW, "chips_back"));
  GtkWidget *more =
      GTK_WIDGET (gtk_widget_get_template_child (view, TILL_TYPE_CATALOG_VIEW, "chips_more"));
  GtkAdjustment *adjustment = gtk_scrolled_window_get_hadjustment (scroller);

  g_assert_true (till_test_wait_until (chips_overflow_shown, view, 5000));
  g_assert_cmpfloat (gtk_adjustment_get_upper (adjustment), >,
                     gtk_adjustment_get_page_size (adjustment));
  g_assert_false (gtk_widget_get_visible (back));

  while (gtk_widget_get_visible (more))
    g_signal_emit_by_name (more, "clicked");
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), ==,
                     gtk_adjustment_get_upper (adjustment) -
                         gtk_adjustment_get_page_size (adjustment));
  g_assert_true (gtk_widget_get_visible (back));
  g_signal_emit_by_name (back, "clicked");
  g_assert_true (gtk_widget_get_visible (more));

  /* Wide enough for all of them: no arrows. */
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1920, 1080);
  g_assert_true (till_test_wait_until (chips_fit, view, 5000));
  g_assert_false (gtk_widget_get_visible (back));
}

static void
test_training_banner (Fixture *f, gconstpointer data)
{
  g_assert_true (till_window_get_training_shown (f->window));
  g_assert_false (till_window_get_banner_shown (f->window));
  g_assert_cmpstr (till_window_get_connection_text (f->window), ==, "Online");
}

static void
test_offline_banner (Fixture *f, gconstpointer data)
{
  g_autofree char *url = till_test_closed_port_url ();

  till_client_set_server (f->client, url, TILL_TEST_APP_TOKEN);
  g_assert_true (till_test_wait_until (client_offline, f->client, 5000));
  g_assert_true (till_window_get_banner_shown (f->window));
  g_assert_false (till_window_get_training_shown (f->window));
  g_assert_cmpstr (till_window_get_connection_text (f->window), ==, "Offline");

  /* Still selling from the local catalog. */
  press_keys (f, "8690000000017", 8, TRUE);
  g_assert_cmpuint (till_cart_model_get_n_lines (selected_cart (f)), ==, 1);
}

typedef struct
{
  TillCheckoutResponse *response;
  TillCartModel        *cart;
} HandOff;

static void
on_payment_requested (TillWindow           *window,
                      TillCartModel        *cart,
                      TillCheckoutResponse *response,
                      HandOff              *hand_off)
{
  hand_off->response = till_checkout_response_copy (response);
  hand_off->cart = cart;
}

static gboolean
handed_off (gpointer data)
{
  return ((HandOff *) data)->response != NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return till_window_get_dialog (TILL_WINDOW (data)) != NULL;
}

static void
test_charge (Fixture *f, gconstpointer data)
{
  HandOff        hand_off = { NULL, NULL };
  TillCartModel *cart;

  g_signal_connect (f->window, "payment-requested", G_CALLBACK (on_payment_requested), &hand_off);
  press_keys (f, "8690000000017", 8, TRUE); /* Simit 1.50 */
  press_keys (f, "8690000000123", 8, TRUE); /* Ceramic Mug 14.50 at 18 % */
  cart = selected_cart (f);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.charge", NULL);
  g_assert_true (till_window_is_charging (f->window));
  g_assert_true (till_test_wait_until (handed_off, &hand_off, 5000));
  g_assert_true (hand_off.cart == cart);
  /* 1.62 + 17.11 */
  g_assert_cmpint (hand_off.response->order->total, ==, 1873);
  g_assert_cmpstr (hand_off.response->client_secret, ==, "pi_test_1_secret_test");
  g_assert_cmpstr (hand_off.response->order->client_reference, ==,
                   till_cart_model_get_client_reference (cart));
  g_assert_false (till_window_is_charging (f->window));
  till_checkout_response_free (hand_off.response);
}

static void
test_charge_price_changed (Fixture *f, gconstpointer data)
{
  HandOff           hand_off = { NULL, NULL };
  AdwMessageDialog *dialog;

  g_signal_connect (f->window, "payment-requested", G_CALLBACK (on_payment_requested), &hand_off);
  press_keys (f, "8690000000017", 8, TRUE);
  till_test_app_server_set_price (f->server, 1, 200);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.charge", NULL);
  g_assert_true (till_test_wait_until (dialog_shown, f->window, 5000));
  dialog = till_window_get_dialog (f->window);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "The Total Has Changed");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "$1.62"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "$2.16"));
  g_assert_null (hand_off.response);
  adw_message_dialog_response (dialog, "continue");
  g_assert_true (till_test_wait_until (handed_off, &hand_off, 5000));
  g_assert_cmpint (hand_off.response->order->total, ==, 216);
  till_checkout_response_free (hand_off.response);
}

static gboolean
paying (gpointer data)
{
  return g_strcmp0 (till_window_get_mode (data), "pay") == 0;
}

static void
test_charge_opens_payment (Fixture *f, gconstpointer data)
{
  press_keys (f, "8690000000017", 8, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.charge", NULL);
  /* The order is made and the window turns to the payment step. */
  g_assert_true (till_test_wait_until (paying, f->window, 5000));
  g_assert_nonnull (till_window_get_payment_page (f->window));
  /* The cart is kept until the server says paid. */
  g_assert_cmpuint (till_cart_model_get_n_lines (selected_cart (f)), ==, 1);
}

typedef struct
{
  GtkWidget *widget;
  gint64     until;
} Frames;

static gboolean
frames_drawn (gpointer data)
{
  Frames        *frames = data;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (frames->widget);

  gtk_widget_queue_draw (frames->widget);
  return gdk_frame_clock_get_frame_counter (clock) >= frames->until;
}

/* Lets the window lay itself out and draw @n more frames (transitions included). */
static void
wait_frames (GtkWidget *widget, guint n)
{
  Frames frames = { widget, 0 };

  frames.until = gdk_frame_clock_get_frame_counter (gtk_widget_get_frame_clock (widget)) + n;
  g_assert_true (till_test_wait_until (frames_drawn, &frames, 5000));
}

static gboolean
header_offline (gpointer data)
{
  return g_strcmp0 (till_window_get_connection_text (data), "Offline") == 0;
}

static gboolean
banner_revealed (gpointer data)
{
  return till_window_get_banner_shown (data);
}

static void
page_origin (Fixture *f, graphene_point_t *origin)
{
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (till_window_get_payment_page (f->window)),
                                            GTK_WIDGET (f->window), &bounds));
  *origin = bounds.origin;
}

static gboolean
pay_page_settled (gpointer data)
{
  GtkWidget *view = GTK_WIDGET (till_payment_page_get_view (data));

  for (GtkWidget *child = gtk_widget_get_first_child (view); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (WEBKIT_IS_WEB_VIEW (child))
      return !webkit_web_view_is_loading (WEBKIT_WEB_VIEW (child));
  return FALSE;
}

/* The server goes away while the card form is up: the header and a toast say so, the banner
 * waits for the sale, so the form does not move under the cashier's fingers. */
static void
test_offline_while_paying (Fixture *f, gconstpointer data)
{
  graphene_point_t before, after;

  press_keys (f, "8690000000017", 8, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.charge", NULL);
  g_assert_true (till_test_wait_until (paying, f->window, 5000));
  /* The test server has no card form page: let its answer finish loading before it stops. */
  g_assert_true (
      till_test_wait_until (pay_page_settled, till_window_get_payment_page (f->window), 10000));
  wait_frames (GTK_WIDGET (f->window), 3);
  page_origin (f, &before);

  g_clear_pointer (&f->server, till_test_app_server_free);
  g_assert_true (till_test_wait_until (client_offline, f->client, 5000));
  g_assert_true (till_test_wait_until (header_offline, f->window, 5000));
  g_assert_false (till_window_get_banner_shown (f->window));
  g_assert_cmpstr (till_window_get_last_toast (f->window), ==,
                   "Offline: the server cannot be reached. Reconnecting…");
  wait_frames (GTK_WIDGET (f->window), 10);
  page_origin (f, &after);
  g_assert_cmpfloat (before.y, ==, after.y);

  /* Back to the sale: the banner shows. */
  gtk_stack_set_visible_child_name (
      GTK_STACK (gtk_widget_get_parent (GTK_WIDGET (till_window_get_payment_page (f->window)))),
      "sell");
  g_assert_true (till_test_wait_until (banner_revealed, f->window, 5000));
}

static gboolean
page_shows_error (gpointer data)
{
  return g_strcmp0 (till_payment_page_get_state (data), "error") == 0;
}

/* Stripe does not answer the server, which does: the payment page says so in the words the
 * rest of the app uses, and not "cannot be reached" (nor HTTP codes) under a header that
 * says Online. */
static void
test_check_payment_provider_down (Fixture *f, gconstpointer data)
{
  TillPaymentPage *page;
  AdwStatusPage   *status;
  const char      *text;

  press_keys (f, "8690000000017", 8, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.charge", NULL);
  g_assert_true (till_test_wait_until (paying, f->window, 5000));
  page = till_window_get_payment_page (f->window);
  till_test_app_server_fail_syncs (f->server, 1);
  gtk_widget_activate_action (GTK_WIDGET (page), "payment.check", NULL);
  g_assert_true (till_test_wait_until (page_shows_error, page, 5000));

  status = ADW_STATUS_PAGE (
      gtk_widget_get_template_child (GTK_WIDGET (page), TILL_TYPE_PAYMENT_PAGE, "error_status"));
  text = adw_status_page_get_description (status);
  g_assert_cmpint (till_client_get_state (f->client), ==, TILL_CONNECTION_ONLINE);
  g_assert_nonnull (strstr (text, "The card payment service is not answering."));
  g_assert_null (strstr (text, "cannot be reached"));
  g_assert_null (strstr (text, "HTTP"));
  g_assert_null (strstr (text, "payment_provider"));
}

static void
test_charge_offline (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;

  /* Never connected: the local catalog sells, Charge explains what to do. */
  press_keys (f, "8690000000017", 8, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.charge", NULL);
  g_assert_true (till_test_wait_until (dialog_shown, f->window, 5000));
  dialog = till_window_get_dialog (f->window);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==,
                   "This till is not connected to a server yet.");
  g_assert_cmpuint (till_cart_model_get_n_lines (selected_cart (f)), ==, 1);
}

/* A server on this computer that stopped: no cables or Wi-Fi to check, the server program
 * is not answering. */
static void
test_charge_server_here_down (Fixture *f, gconstpointer data)
{
  AdwMessageDialog *dialog;

  till_window_handle_barcode (f->window, "8690000000017");
  till_test_app_server_free (f->server);
  f->server = NULL;
  till_client_reconnect (f->client);
  g_assert_true (till_test_wait_until (client_offline, f->client, 5000));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.charge", NULL);
  g_assert_true (till_test_wait_until (dialog_shown, f->window, 5000));
  dialog = till_window_get_dialog (f->window);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==,
                   "The server on this computer is not answering.");
  g_assert_null (strstr (adw_message_dialog_get_body (dialog), "cable"));
  g_assert_null (strstr (adw_message_dialog_get_body (dialog), "Wi-Fi"));
  g_assert_cmpuint (till_cart_model_get_n_lines (selected_cart (f)), ==, 1);
}

/* Server down, a scan, Charge, the error closed, the server back: the app finds the order of
 * the cart's client reference and syncs it, without crashing (issue 22: the recovery read
 * the pointer it stole in the same call). Then the same at a restart with that cart. */

typedef struct
{
  TillTestAppServer *server;
  guint              n;
} SyncCount;

static gboolean
synced (gpointer data)
{
  SyncCount *count = data;

  return till_test_app_server_get_n_sync_requests (count->server) >= count->n;
}

static void
on_store_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (till_cart_store_load_finish (TILL_CART_STORE (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
test_recovery_after_reconnect (Fixture *f, gconstpointer data)
{
  guint port = till_test_app_server_get_port (f->server);
  g_autoptr (GFile) dir = g_file_new_for_path (f->tmpdir);
  AdwMessageDialog *dialog;
  TillCartModel    *cart;
  SyncCount         count = { NULL, 1 };
  gboolean          loaded = FALSE;
  g_autofree char  *reference = NULL;

  till_test_app_server_free (f->server);
  f->server = NULL;
  g_assert_true (till_test_wait_until (client_offline, f->client, 5000));

  press_keys (f, "8690000000017", 8, TRUE);
  cart = selected_cart (f);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.charge", NULL);
  g_assert_true (till_test_wait_until (dialog_shown, f->window, 5000));
  dialog = till_window_get_dialog (f->window);
  adw_message_dialog_response (dialog, "close");
  gtk_window_destroy (GTK_WINDOW (dialog));
  reference = g_strdup (till_cart_model_get_client_reference (cart));
  g_assert_nonnull (reference);

  /* The server is back, on the same address. */
  f->server = till_test_app_server_new (FALSE, port);
  till_demo_fill_server (f->server);
  count.server = f->server;
  g_assert_true (till_test_wait_until (client_online, f->client, 5000));
  g_assert_true (till_test_wait_until (synced, &count, 5000));
  g_assert_true (till_test_wait_until (store_idle, f->store, 5000));
  /* Pending and unpaid: the cart stays as it was, for Charge. */
  g_assert_cmpstr (till_window_get_mode (f->window), ==, "sell");
  g_assert_cmpuint (g_list_model_get_n_items (till_cart_store_get_carts (f->store)), ==, 1);
  g_assert_cmpstr (till_cart_model_get_client_reference (cart), ==, reference);

  /* A restart with that cart saved. */
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_assert_true (till_test_wait_until (store_idle, f->store, 5000));
  g_clear_object (&f->store);
  f->store = till_cart_store_new (dir);
  till_cart_store_load_async (f->store, NULL, on_store_loaded, &loaded);
  g_assert_true (till_test_wait_for (&loaded, 5000));
  g_assert_cmpuint (g_list_model_get_n_items (till_cart_store_get_carts (f->store)), ==, 1);
  f->window = till_window_new (NULL, f->catalog, f->store, f->client);
  gtk_window_present (GTK_WINDOW (f->window));
  count.n = 2;
  g_assert_true (till_test_wait_until (synced, &count, 5000));
  g_assert_true (till_test_wait_until (store_idle, f->store, 5000));
  g_assert_cmpstr (till_window_get_mode (f->window), ==, "sell");
  g_assert_cmpuint (till_test_app_server_get_n_orders (f->server), ==, 1);
}

/* Carts that come back after the store's configuration (loaded late, or left by a till
 * connected to a store in euros): the empty one follows the store; the one with lines in
 * euros is kept aside as it was, and never sent to this store for recovery, which would
 * refuse it; a dollar cart with a client reference is recovered as before. */
static void
test_restored_carts_follow_store (Fixture *f, gconstpointer data)
{
  g_autoptr (GFile) dir = g_file_new_for_path (f->tmpdir);
  g_autoptr (TillProduct) euro_simit =
      till_product_new (1, "Simit", "SIM-1", "8690000000017", "Bakery", "EUR", 150, 800);
  g_autoptr (TillProduct) dollar_simit =
      till_product_new (1, "Simit", "SIM-1", "8690000000017", "Bakery", "USD", 150, 800);
  g_autofree char *empty_id = NULL, *euro_id = NULL, *euro_reference = NULL;
  SyncCount        count = { f->server, 1 };
  TillCartModel   *empty, *euros;
  gboolean         loaded = FALSE;

  gtk_window_destroy (GTK_WINDOW (f->window));
  g_assert_true (till_test_wait_until (store_idle, f->store, 5000));
  g_clear_object (&f->store);
  {
    g_autoptr (TillCartStore) old = till_cart_store_new (dir);
    TillCartModel *dollars;

    empty = till_cart_store_new_cart (old, "EUR", TRUE);
    empty_id = g_strdup (till_cart_model_get_id (empty));
    euros = till_cart_store_new_cart (old, "EUR", TRUE);
    g_assert_cmpint (till_cart_model_add_product (euros, euro_simit, 2, NULL), ==, 0);
    euro_id = g_strdup (till_cart_model_get_id (euros));
    euro_reference = g_strdup (till_cart_model_ensure_client_reference (euros));
    dollars = till_cart_store_new_cart (old, "USD", FALSE);
    g_assert_cmpint (till_cart_model_add_product (dollars, dollar_simit, 1, NULL), ==, 0);
    till_cart_model_ensure_client_reference (dollars);
    g_assert_true (till_test_wait_until (store_idle, old, 5000));
  }

  /* The window knows the store (USD) before the carts are read. */
  f->store = till_cart_store_new (dir);
  f->window = till_window_new (NULL, f->catalog, f->store, f->client);
  gtk_window_present (GTK_WINDOW (f->window));
  till_cart_store_load_async (f->store, NULL, on_store_loaded, &loaded);
  g_assert_true (till_test_wait_for (&loaded, 5000));
  /* The dollar cart's order is found and synced; the euro cart was looked at before it. */
  g_assert_true (till_test_wait_until (synced, &count, 5000));
  g_assert_true (till_test_wait_until (store_idle, f->store, 5000));
  g_assert_cmpuint (till_test_app_server_get_n_checkout_requests (f->server), ==, 1);
  g_assert_cmpuint (till_test_app_server_get_n_orders (f->server), ==, 1);

  empty = find_cart (f->store, empty_id);
  g_assert_nonnull (empty);
  g_assert_cmpstr (till_cart_model_get_currency (empty), ==, "USD");
  euros = find_cart (f->store, euro_id);
  g_assert_nonnull (euros);
  g_assert_cmpstr (till_cart_model_get_currency (euros), ==, "EUR");
  g_assert_cmpuint (till_cart_model_get_n_items (euros), ==, 2);
  g_assert_cmpstr (till_cart_model_get_client_reference (euros), ==, euro_reference);
  /* Not left on screen: the cart shown sells in dollars. */
  g_assert_cmpstr (till_cart_model_get_currency (selected_cart (f)), ==, "USD");
}

/* The server goes away just as the app, back online, asks for the catalog: the refresh fails
 * quietly (the banner says the app is offline), and the app keeps selling from its cache. */

static void
on_online_stop_server (TillClient *client, GParamSpec *pspec, Fixture *f)
{
  if (till_client_get_state (client) != TILL_CONNECTION_ONLINE || f->server == NULL)
    return;
  /* Runs after the window's own handler, which has just asked for the products. */
  till_test_app_server_free (f->server);
  f->server = NULL;
}

static void
test_server_gone_while_refreshing (Fixture *f, gconstpointer data)
{
  guint  port = till_test_app_server_get_port (f->server);
  gulong handler;

  till_test_app_server_free (f->server);
  f->server = NULL;
  g_assert_true (till_test_wait_until (client_offline, f->client, 5000));

  handler = g_signal_connect (f->client, "notify::state", G_CALLBACK (on_online_stop_server), f);
  f->server = till_test_app_server_new (FALSE, port);
  till_demo_fill_server (f->server);
  g_assert_true (till_test_wait_until (client_online, f->client, 5000));
  g_assert_null (f->server);
  g_signal_handler_disconnect (f->client, handler);

  g_assert_true (till_test_wait_until (client_offline, f->client, 5000));
  g_assert_true (till_window_get_banner_shown (f->window));
  press_keys (f, "8690000000017", 8, TRUE);
  g_assert_cmpuint (till_cart_model_get_n_lines (selected_cart (f)), ==, 1);
}

static gboolean
label_changed (gpointer data)
{
  return g_strcmp0 (gtk_label_get_text (GTK_LABEL (data)), "Checking…") != 0;
}

static GtkWidget *
find_child (GtkWidget *root, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (root, TILL_TYPE_CONNECT_DIALOG, name));
}

static void
test_connect_dialog (Fixture *f, gconstpointer data)
{
  TillConnectDialog *dialog = till_connect_dialog_new (GTK_WINDOW (f->window), f->client, NULL);
  GtkWidget         *url_row = find_child (GTK_WIDGET (dialog), "url_row");
  GtkWidget         *token_row = find_child (GTK_WIDGET (dialog), "token_row");
  GtkWidget         *status = find_child (GTK_WIDGET (dialog), "status_label");
  GtkWidget         *check = find_child (GTK_WIDGET (dialog), "check_button");
  GtkWidget         *connect_button = find_child (GTK_WIDGET (dialog), "connect_button");
  AdwActionRow *fingerprint = ADW_ACTION_ROW (find_child (GTK_WIDGET (dialog), "fingerprint_row"));
  TillTestConnect connect;

  till_test_watch_connect (dialog, &connect);
  gtk_window_present (GTK_WINDOW (dialog));

  /* Connect needs an address and a token. */
  g_assert_false (gtk_widget_get_sensitive (connect_button));
  gtk_editable_set_text (GTK_EDITABLE (url_row), till_test_app_server_get_url (f->server));
  g_assert_false (gtk_widget_get_sensitive (connect_button));
  gtk_editable_set_text (GTK_EDITABLE (token_row), TILL_TEST_APP_TOKEN);
  g_assert_true (gtk_widget_get_sensitive (connect_button));

  /* Check Server: it answers; plain HTTP has no certificate to pin. */
  g_signal_emit_by_name (check, "clicked");
  g_assert_true (till_test_wait_until (label_changed, status, 5000));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (status)), ==, "The server answers.");
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (fingerprint), "None: "));

  g_signal_emit_by_name (connect_button, "clicked");
  g_assert_true (connect.emitted);
  g_assert_cmpstr (connect.url, ==, till_test_app_server_get_url (f->server));
  g_assert_cmpstr (connect.token, ==, TILL_TEST_APP_TOKEN);
  g_assert_null (connect.pin);
  till_test_connect_clear (&connect);
}

/* The whole application on first run: no server yet, so the window opens with the connect
 * dialog over it; the shortcuts window (gtk/help-overlay.ui) is loaded with the window. */

typedef struct
{
  GtkApplication *app;
  gboolean        checked;
} AppRun;

static gboolean
connect_dialog_shown (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);
      if (TILL_IS_CONNECT_DIALOG (window))
        return TRUE;
    }
  return FALSE;
}

static gboolean
check_first_run (gpointer data)
{
  AppRun    *run = data;
  GtkWindow *window;

  g_assert_true (till_test_wait_until (connect_dialog_shown, NULL, 10000));
  window = gtk_application_get_active_window (run->app);
  g_assert_true (TILL_IS_WINDOW (window));
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));
  g_assert_cmpstr (till_window_get_connection_text (TILL_WINDOW (window)), ==, "Not Connected");
  g_assert_true (till_window_get_banner_shown (TILL_WINDOW (window)));
  /* The About window's icon, from the app's resources when Till is not installed. */
  g_assert_true (gtk_icon_theme_has_icon (
      gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (window))),
      "io.github.tillpos.Till"));
  run->checked = TRUE;
  g_application_quit (G_APPLICATION (run->app));
  return G_SOURCE_REMOVE;
}

static void
test_application_first_run (void)
{
  g_autoptr (TillApplication) app = NULL;
  g_autoptr (TillTokenStore) tokens = till_memory_token_store_new ();
  AppRun run = { NULL, FALSE };
  int    status;

  /* No carts or catalog of an earlier run: the program's XDG directories (till_test_init_gtk)
   * are its own, not the user's. */
  app = till_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  till_application_set_token_store (app, tokens);
  run.app = GTK_APPLICATION (app);
  g_idle_add (check_first_run, &run);
  status = g_application_run (G_APPLICATION (app), 0, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (run.checked);
}

int
main (int argc, char *argv[])
{
  till_test_init_gtk (&argc, &argv);

#define ADD(path, mode, func) g_test_add (path, Fixture, mode, setup, func, teardown)

  ADD ("/app/window/scan-in-search-entry", NULL, test_scan_in_search_entry);
  ADD ("/app/window/scan-focus-elsewhere", NULL, test_scan_focus_elsewhere);
  ADD ("/app/window/unknown-barcode", NULL, test_unknown_barcode);
  ADD ("/app/window/unknown-barcode-online", "online", test_unknown_barcode);
  ADD ("/app/window/manual-barcode", NULL, test_manual_barcode);
  ADD ("/app/window/multiplier", NULL, test_multiplier);
  ADD ("/app/window/prices-add-up", NULL, test_prices_add_up);
  ADD ("/app/window/currency-follows-store", NULL, test_currency_follows_store);
  ADD ("/app/window/toasts-in-a-row", NULL, test_toasts_in_a_row);
  ADD ("/app/window/remove-park-resume", NULL, test_remove_and_actions);
  ADD ("/app/window/new-sale-not-parked", NULL, test_new_sale_not_parked);
  ADD ("/app/window/catalog-search", NULL, test_catalog_search);
  ADD ("/app/window/line-menu", NULL, test_line_menu);
  ADD ("/app/window/adaptive", NULL, test_adaptive);
  ADD ("/app/window/small-screen", NULL, test_small_screen);
  ADD ("/app/window/category-chips", "online", test_category_chips);
  ADD ("/app/window/training-banner", "training", test_training_banner);
  ADD ("/app/window/offline-banner", NULL, test_offline_banner);
  ADD ("/app/window/charge", "online", test_charge);
  ADD ("/app/window/charge-price-changed", "online", test_charge_price_changed);
  ADD ("/app/window/charge-opens-payment", "online", test_charge_opens_payment);
  ADD ("/app/window/offline-while-paying", "online", test_offline_while_paying);
  ADD ("/app/window/charge-offline", NULL, test_charge_offline);
  ADD ("/app/window/charge-server-here-down", "online", test_charge_server_here_down);
  ADD ("/app/window/recovery-after-reconnect", "online", test_recovery_after_reconnect);
  ADD ("/app/window/restored-carts-follow-store", "online", test_restored_carts_follow_store);
  ADD ("/app/window/server-gone-while-refreshing", "online", test_server_gone_while_refreshing);
  ADD ("/app/window/check-payment-provider-down", "online", test_check_payment_provider_down);
  ADD ("/app/window/connect-dialog", "online", test_connect_dialog);
  g_test_add_func ("/app/application/first-run", test_application_first_run);

  return g_test_run ();
}
