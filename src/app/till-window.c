/* till-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Longer than our files usually are: the window's actions, the scanner, Charge and its dialogs,
 * and payment recovery share the window's state; the pages it shows (catalog, carts, payment,
 * orders, figures) are widgets of their own.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-app-resources.h"
#include "till-cash-reports-dialog.h"
#include "till-cash-sale.h"
#include "till-checkout.h"
#include "till-drawer-dialog.h"
#include "till-error-message.h"
#include "till-money-label.h"
#include "till-orders-page.h"
#include "till-payment-page.h"
#include "till-tender-dialog.h"
#include "till-window-private.h"

struct _TillWindow
{
  AdwApplicationWindow parent_instance;

  TillCatalog      *catalog;
  TillCartStore    *store;
  TillClient       *client;
  TillScanDetector *detector;
  GCancellable     *cancellable;
  char             *last_toast;
  AdwToast         *toast;  /* the one shown or about to be, until dismissed */
  AdwMessageDialog *dialog; /* weak */
  gboolean          charging;
  GtkWidget        *header_bar; /* hidden at a kiosk */

  AdwToastOverlay    *toast_overlay;
  AdwWindowTitle     *window_title;
  GtkButton          *connection_button;
  GtkImage           *connection_icon;
  GtkLabel           *connection_label;
  GtkRevealer        *training_revealer;
  GtkRevealer        *connection_revealer;
  GtkWidget          *connection_banner;
  GtkLabel           *connection_banner_label;
  AdwFlap            *flap;
  GtkWidget          *cart_toggle;
  GtkLabel           *cart_summary_label;
  AdwToast           *added_toast; /* weak: the "added" toast while it is shown */
  guint               fold_idle;
  TillCatalogView    *catalog_view;
  TillCartView       *cart_view;
  GtkStack           *main_stack;
  TillPaymentPage    *payment_page;
  TillFiguresPage    *figures_page;
  TillOrdersPage     *orders_page;    /* made when first shown */
  GHashTable         *recovery_tried; /* client references already looked up since start */
  TillConnectionState shown_state;
  TillCashJournal    *cash_journal; /* nullable: no offline cash */
  const char         *next_tender;  /* "cash" after F2, until Charge takes it */
  gboolean            uploading;
};

G_DEFINE_FINAL_TYPE (TillWindow, till_window, ADW_TYPE_APPLICATION_WINDOW)

enum
{
  PROP_0,
  PROP_CATALOG,
  PROP_STORE,
  PROP_CLIENT,
  N_PROPS
};

enum
{
  PAYMENT_REQUESTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

static void
on_toast_dismissed (AdwToast *toast, TillWindow *self)
{
  if (self->toast == toast)
    g_clear_object (&self->toast);
}

/* The message on screen goes for good: AdwToastOverlay would show a toast pushed aside by a
 * newer one again afterwards ("Paid." back after "Payment stopped."). */
static void
dismiss_toast (TillWindow *self)
{
  g_autoptr (AdwToast) toast = g_steal_pointer (&self->toast);

  if (toast != NULL)
    adw_toast_dismiss (toast);
}

void
till_window_show_toast (TillWindow *self, const char *title)
{
  AdwToast *toast;

  g_return_if_fail (TILL_IS_WINDOW (self));

  g_free (self->last_toast);
  self->last_toast = g_strdup (title);
  /* A message still up is replaced in place: libadwaita 1.2 crashes when a toast is dismissed
   * and another added while the first one's animation runs (a scan per key during a
   * checkout's start). */
  if (self->toast != NULL)
    {
      adw_toast_set_title (self->toast, title);
      return;
    }
  toast = adw_toast_new (title);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  self->toast = g_object_ref (toast);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_toast_dismissed), self, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
show_error_toast (TillWindow *self, const GError *error)
{
  g_autoptr (TillErrorMessage) message =
      till_error_message_new_for_server (error, till_client_get_base_url (self->client));
  g_autofree char *text = g_strdup_printf ("%s %s", message->title, message->next_step);

  till_window_show_toast (self, text);
}

/* The cart's summary (items and total) beside the cart button, for when the cart is folded
 * away on a small screen. Returns the text, e.g. "3 items, $4.50" (empty with no cart). */
static char *
cart_summary (TillWindow *self)
{
  /* The selected cart: the active one would make a cart when there is none. */
  TillCartModel   *cart = till_cart_view_get_selected_cart (self->cart_view);
  TillTotals       totals = { 0 };
  g_autofree char *total = NULL;
  gint64           n;

  if (cart == NULL)
    return g_strdup ("");
  /* At most 9999 per line: an int, for gettext's plural and printf. */
  n = MIN (till_cart_model_get_n_items (cart), G_MAXINT);
  if (!till_cart_model_compute_totals (cart, NULL, &totals, NULL))
    totals.total = 0;
  total = till_money_label (totals.total, till_cart_model_get_currency (cart));
  /* Translators: the cart's summary on a small screen, e.g. "3 items, $4.50". */
  return g_strdup_printf (ngettext ("%d item, %s", "%d items, %s", (gulong) n), (int) n, total);
}

static void
update_cart_summary (TillWindow *self)
{
  g_autofree char *summary = cart_summary (self);

  gtk_label_set_text (self->cart_summary_label, summary);
}

static void
on_cart_changed (TillWindow *self)
{
  update_cart_summary (self);
}

static void
watch_carts (TillWindow *self)
{
  GListModel *carts = till_cart_store_get_carts (self->store);

  for (guint i = 0; i < g_list_model_get_n_items (carts); i++)
    {
      g_autoptr (TillCartModel) cart = g_list_model_get_item (carts, i);

      if (g_object_get_data (G_OBJECT (cart), "till-window-watched") == self)
        continue;
      g_object_set_data (G_OBJECT (cart), "till-window-watched", self);
      g_signal_connect_object (cart, "changed", G_CALLBACK (on_cart_changed), self,
                               G_CONNECT_SWAPPED);
    }
  update_cart_summary (self);
}

/* A tap with the cart out of sight: say what it did, in one toast that follows the taps. */
static void
show_added (TillWindow *self, TillProduct *product)
{
  g_autofree char *summary = cart_summary (self);
  g_autofree char *text = NULL;

  if (!adw_flap_get_folded (self->flap) || adw_flap_get_reveal_flap (self->flap))
    return;
  /* Translators: after a tap on a small screen, e.g. "Simit added: 3 items, $4.50". */
  text = g_strdup_printf (_ ("%s added: %s"), till_product_get_name (product), summary);
  g_free (self->last_toast);
  self->last_toast = g_strdup (text);
  if (self->added_toast != NULL)
    {
      adw_toast_set_title (self->added_toast, text);
      return;
    }
  self->added_toast = adw_toast_new (text);
  adw_toast_set_timeout (self->added_toast, 2);
  g_object_add_weak_pointer (G_OBJECT (self->added_toast), (gpointer *) &self->added_toast);
  adw_toast_overlay_add_toast (self->toast_overlay, self->added_toast);
}

/* Adding products */

static void
add_product (TillWindow *self, TillProduct *product, gint64 quantity)
{
  TillCartModel *cart;
  TillCartModel *parked;
  g_autoptr (GError) error = NULL;

  if (self->charging)
    {
      till_window_show_toast (self, _ ("Wait for the payment to start, or open a new cart."));
      return;
    }
  parked = till_cart_view_get_selected_cart (self->cart_view);
  if (parked != NULL && !till_cart_model_get_parked (parked))
    parked = NULL;
  cart = till_cart_view_get_active_cart (self->cart_view);
  if (cart == NULL)
    {
      till_window_show_toast (
          self, _ ("Not connected yet: connect to the server once to start selling."));
      return;
    }
  if (till_cart_model_add_product (cart, product, quantity, &error) < 0)
    show_error_toast (self, error);
  else if (parked != NULL)
    {
      /* Translators: %s is the title of a parked cart, e.g. "Cart 2". */
      g_autofree char *text = g_strdup_printf (_ ("“%s” is parked, so this went to a new cart. "
                                                  "Resume it to add to it."),
                                               till_cart_model_get_title (parked));
      till_window_show_toast (self, text);
    }
  else
    show_added (self, product);
}

static void
on_product_activated (TillWindow *self, TillProduct *product)
{
  add_product (self, product, till_catalog_view_take_multiplier (self->catalog_view));
}

typedef struct
{
  TillWindow *window;
  char       *code;
  gint64      quantity;
} BarcodeLookup;

static void
barcode_lookup_free (BarcodeLookup *lookup)
{
  g_clear_object (&lookup->window);
  g_free (lookup->code);
  g_free (lookup);
}

static void
show_unknown_barcode (TillWindow *self, const char *code)
{
  g_autofree char *title = NULL;

  /* Translators: %s is the barcode that was scanned, e.g. 8690504012345. */
  title = g_strdup_printf (_ ("Unknown barcode %s"), code);
  till_window_show_toast (self, title);
}

static void
on_barcode_looked_up (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BarcodeLookup *lookup = user_data;
  g_autoptr (TillProduct) product = NULL;
  g_autoptr (GError) error = NULL;

  product = till_client_lookup_barcode_finish (TILL_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    ;
  else if (product != NULL)
    add_product (lookup->window, product, lookup->quantity);
  else if (g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NOT_FOUND))
    show_unknown_barcode (lookup->window, lookup->code);
  else
    show_error_toast (lookup->window, error);
  barcode_lookup_free (lookup);
}

void
till_window_handle_barcode (TillWindow *self, const char *code)
{
  g_autoptr (TillProduct) product = NULL;
  gint64 quantity;

  g_return_if_fail (TILL_IS_WINDOW (self));

  quantity = till_catalog_view_take_multiplier (self->catalog_view);
  product = till_catalog_lookup_barcode (self->catalog, code);
  if (product != NULL)
    {
      add_product (self, product, quantity);
      return;
    }
  /* Not in the local catalog: the server may know it (a product added a minute ago). */
  if (till_client_get_state (self->client) == TILL_CONNECTION_ONLINE)
    {
      BarcodeLookup *lookup = g_new0 (BarcodeLookup, 1);

      lookup->window = g_object_ref (self);
      lookup->code = g_strdup (code);
      lookup->quantity = quantity;
      till_client_lookup_barcode_async (self->client, code, self->cancellable, on_barcode_looked_up,
                                        lookup);
      return;
    }
  show_unknown_barcode (self, code);
}

/* Scanner */

static void
on_scanned (TillWindow *self, const char *code)
{
  till_window_handle_barcode (self, code);
}

static void
on_flush (TillWindow *self, const char *text)
{
  GtkWidget   *focus = gtk_root_get_focus (GTK_ROOT (self));
  GtkEditable *editable = NULL;
  int          position;

  /* Typing goes where the focus is; with nothing editable focused it searches. */
  if (focus != NULL && GTK_IS_EDITABLE (focus) && gtk_editable_get_editable (GTK_EDITABLE (focus)))
    editable = GTK_EDITABLE (focus);
  else
    {
      editable = GTK_EDITABLE (till_catalog_view_get_search_entry (self->catalog_view));
      gtk_widget_grab_focus (GTK_WIDGET (editable));
      gtk_editable_set_position (editable, -1);
    }
  gtk_editable_delete_selection (editable);
  position = gtk_editable_get_position (editable);
  gtk_editable_insert_text (editable, text, -1, &position);
  gtk_editable_set_position (editable, position);
}

gboolean
till_window_handle_key (TillWindow *self, guint keyval, GdkModifierType state, guint32 time_ms)
{
  g_return_val_if_fail (TILL_IS_WINDOW (self), FALSE);

  /* While a card is being paid, every key belongs to the card form: a fast typist's digits
   * must not be taken for a scan (and a scan then has no cart to go to). Away from the sale
   * (the orders), keys are typed into that page. */
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "sell") != 0)
    return FALSE;
  /* The figures have no cart to scan into. */
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "figures") == 0)
    return FALSE;

  /* Dialogs are their own windows; a scan while one is up goes nowhere. */
  return till_scan_detector_key_pressed (self->detector, keyval, state, time_ms);
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                TillWindow            *self)
{
  guint32 time = gtk_event_controller_get_current_event_time (GTK_EVENT_CONTROLLER (controller));

  return till_window_handle_key (self, keyval, state, time);
}

/* Connection */

static void
update_connection (TillWindow *self)
{
  const TillStoreConfig *config = till_client_get_config (self->client);
  TillConnectionState    state = till_client_get_state (self->client);
  const GError          *error = till_client_get_last_error (self->client);
  const char            *icon = "network-offline-symbolic";
  const char            *label = "";
  g_autofree char       *banner = NULL;

  switch (state)
    {
      case TILL_CONNECTION_UNCONFIGURED:
        label = _ ("Not Connected");
        banner = g_strdup (_ (
            "This till is not connected to a server. Choose “Connect to a Server…” in the menu."));
        break;
      case TILL_CONNECTION_CONNECTING:
        icon = "network-transmit-receive-symbolic";
        label = _ ("Connecting…");
        break;
      case TILL_CONNECTION_ONLINE:
        icon = "network-wired-symbolic";
        label = _ ("Online");
        break;
      case TILL_CONNECTION_OFFLINE:
        label = _ ("Offline");
        if (self->cash_journal != NULL && till_cash_sale_offline_allowed (config))
          banner = g_strdup (_ ("The server cannot be reached. Cash sales are kept on this till "
                                "and uploaded when it is back; cards wait. Reconnecting…"));
        else
          banner =
              g_strdup (_ ("The server cannot be reached. You can keep adding items; payment waits "
                           "until the connection is back. Reconnecting…"));
        break;
      case TILL_CONNECTION_REFUSED:
      default:
        {
          g_autoptr (TillErrorMessage) message = till_error_message_new (error);

          icon = "dialog-warning-symbolic";
          label = _ ("Refused");
          banner = g_strdup_printf ("%s %s", message->title, message->next_step);
        }
        break;
    }

  gtk_image_set_from_icon_name (self->connection_icon, icon);
  gtk_label_set_text (self->connection_label, label);
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "pay") == 0)
    {
      /* Someone may be typing a card number: a banner would move the form under their
       * fingers. The header shows the state, a toast says it; the banner waits for the sale. */
      if (state == TILL_CONNECTION_OFFLINE && state != self->shown_state)
        till_window_show_toast (self, _ ("Offline: the server cannot be reached. Reconnecting…"));
      else if (state == TILL_CONNECTION_ONLINE && self->shown_state == TILL_CONNECTION_OFFLINE)
        till_window_show_toast (self, _ ("Online again."));
    }
  else
    {
      gtk_label_set_text (self->connection_banner_label, banner ? banner : "");
      gtk_revealer_set_reveal_child (self->connection_revealer, banner != NULL);
    }
  self->shown_state = state;

  adw_window_title_set_title (self->window_title,
                              config && config->store_name ? config->store_name : _ ("Till"));
  adw_window_title_set_subtitle (self->window_title,
                                 till_store_config_is_training (config) ? _ ("Training") : NULL);
  gtk_revealer_set_reveal_child (self->training_revealer, till_store_config_is_training (config));
}

static void
on_catalog_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!till_catalog_save_cache_finish (TILL_CATALOG (source), result, &error))
    g_warning ("Could not save the catalog cache: %s", error->message);
}

/* A refresh that fails because the server cannot be reached is part of a shop's day (the
 * server restarted, the cable pulled): the banner already says so, and the app sells from its
 * cache. Anything else is worth a warning. */
static void
report_refresh_failed (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NETWORK) ||
      g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_TIMEOUT) ||
      g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NOT_CONFIGURED))
    g_message ("Could not refresh the catalog: %s", error->message);
  else
    g_warning ("Could not refresh the catalog: %s", error->message);
}

static void
on_catalog_replaced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = NULL;

  if (!till_catalog_replace_finish (TILL_CATALOG (source), result, &error))
    {
      report_refresh_failed (error);
      return;
    }
  file = till_catalog_get_default_cache_file ();
  till_catalog_save_cache_async (TILL_CATALOG (source), file, NULL, on_catalog_saved, NULL);
}

static void
on_products_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillWindow) self = user_data;
  g_autoptr (GPtrArray) products = NULL;
  g_autofree char *etag = NULL;
  g_autoptr (GError) error = NULL;

  if (!till_client_fetch_products_finish (TILL_CLIENT (source), result, &products, &etag, &error))
    {
      report_refresh_failed (error);
      return;
    }
  if (products == NULL)
    return; /* 304: the cache is current */
  /* The compact form is built on a worker thread; then it is the cache file's content. */
  till_catalog_replace_async (self->catalog, products, etag, self->cancellable, on_catalog_replaced,
                              NULL);
}

/* Recovery. A cart that still holds the client reference of a checkout may have been paid
 * while Till was down (killed after the card was confirmed, say). The server answers the
 * same order for the same reference, the order is synced with Stripe, and a paid one is
 * shown as paid and its cart closed. Nothing is charged twice: a pending order simply goes
 * on when the cart is charged again. */

typedef struct
{
  TillWindow           *window;
  TillCartModel        *cart;
  TillCheckoutResponse *response;
} Recovery;

static void
recovery_free (Recovery *recovery)
{
  g_object_unref (recovery->window);
  g_object_unref (recovery->cart);
  g_clear_pointer (&recovery->response, till_checkout_response_free);
  g_free (recovery);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Recovery, recovery_free)

static gboolean
order_is_paid (const TillOrder *order)
{
  return order->status == TILL_ORDER_PAID || order->status == TILL_ORDER_PARTIALLY_REFUNDED ||
         order->status == TILL_ORDER_REFUNDED;
}

static void
recovery_show (Recovery *recovery)
{
  TillWindow      *self = recovery->window;
  const TillOrder *order = recovery->response->order;

  if (order_is_paid (order))
    {
      if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "pay") == 0)
        {
          /* Another sale is on screen: close this cart quietly, and say so. */
          g_autofree char *text =
              g_strdup_printf (_ ("Order %s was paid while Till was closed."), order->number);
          till_cart_store_remove (self->store, recovery->cart);
          till_window_show_toast (self, text);
          return;
        }
      dismiss_toast (self);
      gtk_stack_set_visible_child_name (self->main_stack, "pay");
      till_payment_page_begin (self->payment_page, recovery->cart, recovery->response);
    }
  else if (order->status == TILL_ORDER_CANCELED)
    till_cart_model_forget_client_reference (recovery->cart);
}

static void
on_recovery_synced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Recovery) recovery = user_data;
  g_autoptr (GError) error = NULL;
  TillOrder *order = till_client_order_action_finish (TILL_CLIENT (source), result, &error);

  if (order == NULL)
    {
      g_debug ("Could not sync a pending order: %s", error->message);
      return;
    }
  till_order_free (recovery->response->order);
  recovery->response->order = order;
  recovery_show (recovery);
}

static void
on_recovery_checkout (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Recovery) recovery = user_data;
  g_autoptr (GError) error = NULL;

  recovery->response = till_client_create_checkout_finish (TILL_CLIENT (source), result, &error);
  if (g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_ORDER_CANCELED))
    {
      /* Its order can never be paid (e.g. its payment is unknown to a restarted training
       * server, which canceled it): Charge makes a new one. */
      g_message ("A restored cart's order was canceled; the cart is kept");
      till_cart_model_forget_client_reference (recovery->cart);
      return;
    }
  if (recovery->response == NULL)
    {
      /* A cart the server does not price any more, or no server: nothing to recover. */
      g_debug ("No pending order to recover: %s", error->message);
      return;
    }
  if (recovery->response->order->status == TILL_ORDER_PENDING_PAYMENT ||
      recovery->response->order->status == TILL_ORDER_PARTIALLY_PAID)
    {
      /* Read before the steal: the order of a call's arguments is unspecified. */
      TillWindow *self = recovery->window;
      gint64      order_id = recovery->response->order->id;

      till_client_sync_order_async (self->client, order_id, self->cancellable, on_recovery_synced,
                                    g_steal_pointer (&recovery));
    }
  else
    recovery_show (recovery);
}

static void
recover_payments (TillWindow *self)
{
  GListModel            *carts = till_cart_store_get_carts (self->store);
  const TillStoreConfig *config = till_client_get_config (self->client);

  if (till_client_get_state (self->client) != TILL_CONNECTION_ONLINE || config == NULL)
    return;

  for (guint i = 0; i < g_list_model_get_n_items (carts); i++)
    {
      g_autoptr (TillCartModel) cart = g_list_model_get_item (carts, i);
      const char *reference = till_cart_model_get_client_reference (cart);
      Recovery   *recovery;

      /* A cart in another currency was charged, if at all, at another store (or this one
       * before it changed currency): this store refuses it, and it is kept aside as it is. */
      if (reference == NULL || till_cart_model_is_empty (cart) ||
          g_ascii_strcasecmp (till_cart_model_get_currency (cart), config->currency) != 0 ||
          g_hash_table_contains (self->recovery_tried, reference))
        continue;
      g_hash_table_add (self->recovery_tried, g_strdup (reference));

      recovery = g_new0 (Recovery, 1);
      recovery->window = g_object_ref (self);
      recovery->cart = g_object_ref (cart);
      till_client_create_checkout_async (self->client, till_cart_model_get_cart (cart),
                                         self->cancellable, on_recovery_checkout, recovery);
    }
}

static void upload_cash_journal (TillWindow *self);

static void
on_client_state (TillWindow *self)
{
  update_connection (self);
  if (till_client_get_state (self->client) == TILL_CONNECTION_ONLINE)
    {
      till_client_fetch_products_async (self->client, till_catalog_get_etag (self->catalog),
                                        self->cancellable, on_products_fetched,
                                        g_object_ref (self));
      recover_payments (self);
      upload_cash_journal (self);
    }
}

static void
on_client_config (TillWindow *self)
{
  const TillStoreConfig *config = till_client_get_config (self->client);

  if (config != NULL)
    till_cart_view_set_currency (self->cart_view, config->currency, config->prices_include_tax);
  /* Load the card form now, so Charge shows it at once. */
  if (config != NULL && self->payment_page != NULL)
    till_payment_page_prepare (self->payment_page);
  update_connection (self);
}

/* Charge */

static void
present_dialog (TillWindow *self, AdwMessageDialog *dialog)
{
  g_set_weak_pointer (&self->dialog, dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
hand_off (TillWindow *self, TillCartModel *cart, TillCheckoutResponse *response)
{
  /* Tests may take the payment step over. */
  if (g_signal_has_handler_pending (self, signals[PAYMENT_REQUESTED], 0, FALSE))
    {
      g_signal_emit (self, signals[PAYMENT_REQUESTED], 0, cart, response);
      return;
    }
  /* The last sale's message does not stay over this customer's card form. */
  dismiss_toast (self);
  /* Shown first, so the card form can take the keyboard focus. */
  gtk_stack_set_visible_child_name (self->main_stack, "pay");
  till_payment_page_begin (self->payment_page, cart, response);
}

static void
on_payment_finished (TillWindow *self, TillCartModel *cart, gboolean paid, TillPaymentPage *page)
{
  gtk_stack_set_visible_child_name (self->main_stack, "sell");
  if (cart == NULL)
    return;
  if (paid)
    {
      /* The server says paid: only now does the cart go. The next sale starts in an empty
       * cart, never in a parked one. */
      till_cart_store_remove (self->store, cart);
      till_cart_view_next_customer (self->cart_view);
      till_window_show_toast (self, _ ("Paid. Ready for the next sale."));
    }
  else
    {
      /* The order is canceled; charging the cart again makes a new one. */
      till_cart_model_forget_client_reference (cart);
      till_window_show_toast (
          self, _ ("Payment stopped. The cart is back: change it or charge it again."));
    }
}

typedef struct
{
  TillWindow         *window;
  TillCartModel      *cart;
  TillCheckoutResult *result;
} PendingCharge;

static void
pending_charge_free (PendingCharge *pending)
{
  g_clear_object (&pending->window);
  g_clear_object (&pending->cart);
  g_clear_pointer (&pending->result, till_checkout_result_free);
  g_free (pending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PendingCharge, pending_charge_free)

static void
pending_charge_closure_free (gpointer data, GClosure *closure)
{
  pending_charge_free (data);
}

static void
on_price_changed_response (AdwMessageDialog *dialog, const char *response, PendingCharge *pending)
{
  if (g_strcmp0 (response, "continue") == 0)
    hand_off (pending->window, pending->cart, pending->result->response);
}

static void charge_cart (TillWindow *self, TillCartModel *cart);

static void
on_error_response (AdwMessageDialog *dialog, const char *response, PendingCharge *pending)
{
  if (g_strcmp0 (response, "retry") == 0)
    charge_cart (pending->window, pending->cart);
}

static void
on_checkout_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PendingCharge *pending = user_data;
  TillWindow    *self = pending->window;
  g_autoptr (GError) error = NULL;
  AdwMessageDialog *dialog;

  self->charging = FALSE;
  till_cart_view_set_busy (self->cart_view, FALSE);

  pending->result = till_checkout_start_finish (result, &error);
  if (pending->result == NULL)
    {
      g_autoptr (TillErrorMessage) message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          pending_charge_free (pending);
          return;
        }
      message = till_error_message_new_for_server (error, till_client_get_base_url (self->client));
      g_message ("Checkout failed: %s", error->message);
      dialog = ADW_MESSAGE_DIALOG (
          adw_message_dialog_new (GTK_WINDOW (self), message->title, message->next_step));
      adw_message_dialog_add_response (dialog, "close", _ ("_Close"));
      if (message->kind == TILL_NEXT_STEP_RETRY || message->kind == TILL_NEXT_STEP_CHECK_CONNECTION)
        {
          adw_message_dialog_add_response (dialog, "retry", _ ("_Try Again"));
          adw_message_dialog_set_response_appearance (dialog, "retry", ADW_RESPONSE_SUGGESTED);
          adw_message_dialog_set_default_response (dialog, "retry");
        }
      g_signal_connect_data (dialog, "response", G_CALLBACK (on_error_response), pending,
                             pending_charge_closure_free, 0);
      present_dialog (self, dialog);
      return;
    }

  if (pending->result->price_changed)
    {
      const char      *currency = pending->result->response->order->currency;
      g_autofree char *app_total = till_money_label (pending->result->app_total, currency);
      g_autofree char *server_total =
          till_money_label (pending->result->response->order->total, currency);

      dialog = ADW_MESSAGE_DIALOG (
          adw_message_dialog_new (GTK_WINDOW (self), _ ("The Total Has Changed"), NULL));
      adw_message_dialog_format_body (dialog,
                                      _ ("The cart showed %s, but the server’s prices make it %s. "
                                         "Tell the customer the new total before going on."),
                                      app_total, server_total);
      adw_message_dialog_add_response (dialog, "cancel", _ ("_Cancel"));
      {
        /* Translators: %s is the new total. */
        g_autofree char *label = g_strdup_printf (_ ("_Charge %s"), server_total);
        adw_message_dialog_add_response (dialog, "continue", label);
      }
      adw_message_dialog_set_response_appearance (dialog, "continue", ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_close_response (dialog, "cancel");
      g_signal_connect_data (dialog, "response", G_CALLBACK (on_price_changed_response), pending,
                             pending_charge_closure_free, 0);
      present_dialog (self, dialog);
      return;
    }

  hand_off (self, pending->cart, pending->result->response);
  pending_charge_free (pending);
}

static void
start_checkout (PendingCharge *pending)
{
  TillWindow *self = pending->window;

  /* The card form is mounted for the cart's total while the server makes the order. */
  if (!g_signal_has_handler_pending (self, signals[PAYMENT_REQUESTED], 0, FALSE))
    till_payment_page_prepare_sale (self->payment_page, pending->cart);
  till_checkout_start_async (self->client, pending->cart, self->cancellable, on_checkout_started,
                             pending);
}

static void
on_store_busy (TillCartStore *store, GParamSpec *pspec, PendingCharge *pending)
{
  if (till_cart_store_is_busy (store))
    return;
  g_signal_handlers_disconnect_by_func (store, on_store_busy, pending);
  start_checkout (pending);
}

static void
charge_cart (TillWindow *self, TillCartModel *cart)
{
  PendingCharge *pending;

  if (self->charging)
    return;
  self->charging = TRUE;
  till_cart_view_set_busy (self->cart_view, TRUE);

  pending = g_new0 (PendingCharge, 1);
  pending->window = g_object_ref (self);
  pending->cart = g_object_ref (cart);
  /* The cart's client reference is on disk before the checkout leaves: killed in between,
   * Till would come back with a cart that makes a second order. */
  till_cart_model_ensure_client_reference (cart);
  if (till_cart_store_is_busy (self->store))
    g_signal_connect (self->store, "notify::busy", G_CALLBACK (on_store_busy), pending);
  else
    start_checkout (pending);
}

static void charge_cash (TillWindow *self, TillCartModel *cart);
static void charge_split (TillWindow *self, TillCartModel *cart);

static void
on_tender_chosen (AdwMessageDialog *dialog, const char *response, PendingCharge *pending)
{
  if (g_strcmp0 (response, "card") == 0)
    charge_cart (pending->window, pending->cart);
  else if (g_strcmp0 (response, "cash") == 0)
    charge_cash (pending->window, pending->cart);
  else if (g_strcmp0 (response, "split") == 0)
    charge_split (pending->window, pending->cart);
}

/* The Charge button asks Card, Cash or Split when the store takes cash; F12 (win.charge) is
 * the card at once, F2 (win.charge-cash) cash at once. */
static void
on_charge (TillWindow *self, TillCartModel *cart)
{
  const TillStoreConfig *config = till_client_get_config (self->client);
  const char            *tender = g_steal_pointer (&self->next_tender);
  PendingCharge         *pending;
  TillTotals             totals = { 0 };
  g_autofree char       *total = NULL;

  /* Started without the server: cards cannot be taken, cash can if the store allowed it. */
  if (config == NULL && !self->charging && self->cash_journal != NULL &&
      till_cash_sale_offline_allowed (NULL))
    {
      charge_cash (self, cart);
      return;
    }
  if (self->charging || !till_store_config_takes_tender (config, "cash"))
    {
      charge_cart (self, cart);
      return;
    }
  if (g_strcmp0 (tender, "cash") == 0)
    {
      charge_cash (self, cart);
      return;
    }
  if (g_strcmp0 (tender, "card") == 0)
    {
      charge_cart (self, cart);
      return;
    }
  pending = g_new0 (PendingCharge, 1);
  pending->window = g_object_ref (self);
  pending->cart = g_object_ref (cart);
  if (!till_cart_model_compute_totals (cart, NULL, &totals, NULL))
    totals.total = 0;
  total = till_money_label (totals.total, till_cart_model_get_currency (cart));
  {
    AdwMessageDialog *dialog = till_tender_dialog_new (
        GTK_WINDOW (self), total, till_store_config_takes_tender (config, "split"));

    g_signal_connect_data (dialog, "response", G_CALLBACK (on_tender_chosen), pending,
                           pending_charge_closure_free, 0);
    present_dialog (self, dialog);
  }
}

/* Cash (till-cash-sale.c does the work) */

static void
on_cash_sale_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PendingCharge) pending = user_data;
  TillWindow *self = pending->window;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillCashSaleResult) sale = till_cash_sale_run_finish (result, &error);
  g_autofree char *change = NULL;
  g_autofree char *text = NULL;

  self->charging = FALSE;
  till_cart_view_set_busy (self->cart_view, FALSE);
  if (sale == NULL)
    return; /* the cashier went back: the cart is as it was */
  /* Focus back from the keypad may be in the paid cart's widgets, which go now. */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  till_cart_store_remove (self->store, pending->cart);
  till_cart_view_next_customer (self->cart_view);
  change = till_money_label (sale->change, sale->currency);
  if (sale->offline)
    {
      guint n = till_cash_journal_get_n_pending (self->cash_journal);

      /* Translators: a cash sale made offline; %s is the change, %u how many wait. */
      text = g_strdup_printf (ngettext ("Change: %s. Kept on this till: %u cash sale waiting to "
                                        "upload.",
                                        "Change: %s. Kept on this till: %u cash sales waiting to "
                                        "upload.",
                                        n),
                              change, n);
    }
  else
    /* Translators: %s is the change, e.g. "€6.60". */
    text = g_strdup_printf (_ ("Paid in cash. Change: %s"), change);
  till_window_show_toast (self, text);
}

static void
charge_cash (TillWindow *self, TillCartModel *cart)
{
  PendingCharge *pending;

  if (self->charging)
    return;
  self->charging = TRUE;
  till_cart_view_set_busy (self->cart_view, TRUE);
  pending = g_new0 (PendingCharge, 1);
  pending->window = g_object_ref (self);
  pending->cart = g_object_ref (cart);
  /* The last sale's toast stays until this one's replaces it in place: libadwaita 1.2 crashes
   * when a toast is dismissed and the next added during its animation (quick cash sales). */
  till_cash_sale_run_async (GTK_WINDOW (self), self->client, self->cash_journal, cart,
                            self->cancellable, on_cash_sale_done, pending);
}

static void
on_split_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PendingCharge) pending = user_data;
  TillWindow *self = pending->window;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillCheckoutResponse) response = till_cash_sale_split_finish (result, &error);

  self->charging = FALSE;
  till_cart_view_set_busy (self->cart_view, FALSE);
  if (response != NULL)
    hand_off (self, pending->cart, response);
}

/* Split, cash first: the cash part is recorded, then the payment page takes the rest. */
static void
charge_split (TillWindow *self, TillCartModel *cart)
{
  PendingCharge *pending;

  if (self->charging)
    return;
  self->charging = TRUE;
  till_cart_view_set_busy (self->cart_view, TRUE);
  pending = g_new0 (PendingCharge, 1);
  pending->window = g_object_ref (self);
  pending->cart = g_object_ref (cart);
  till_cash_sale_split_async (GTK_WINDOW (self), self->client, cart, self->cancellable,
                              on_split_started, pending);
}

static void
on_journal_uploaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  guint uploaded = 0;

  self->uploading = FALSE;
  if (!till_cash_sale_upload_finish (result, &uploaded, &error))
    g_message ("Offline cash sales wait: %s", error->message);
  if (uploaded > 0)
    {
      g_autofree char *text = g_strdup_printf (
          ngettext ("%u offline cash sale uploaded.", "%u offline cash sales uploaded.", uploaded),
          uploaded);
      till_window_show_toast (self, text);
    }
}

/* Back online: the journal's sales go to the server, each once. */
static void
upload_cash_journal (TillWindow *self)
{
  if (self->cash_journal == NULL || self->uploading ||
      till_client_get_state (self->client) != TILL_CONNECTION_ONLINE ||
      till_cash_journal_get_n_pending (self->cash_journal) == 0)
    return;
  self->uploading = TRUE;
  till_cash_sale_upload_async (self->cash_journal, self->client, self->cancellable,
                               on_journal_uploaded, g_object_ref (self));
}

/* The drawer: win.show-drawer (Ctrl+Shift+D). */
static void
show_drawer_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);

  if (till_client_get_config (self->client) == NULL)
    {
      till_window_show_toast (self, _ ("Connect to the server to open or close the drawer."));
      return;
    }
  gtk_window_present (GTK_WINDOW (till_drawer_dialog_new (GTK_WINDOW (self), self->client)));
}

/* X and Z reports: win.show-cash-reports (Ctrl+Shift+Z). */
static void
show_cash_reports_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);

  if (till_client_get_config (self->client) == NULL)
    {
      till_window_show_toast (self, _ ("Connect to the server to see the X and Z reports."));
      return;
    }
  gtk_window_present (GTK_WINDOW (till_cash_reports_dialog_new (GTK_WINDOW (self), self->client)));
}

void
till_window_set_cash_journal (TillWindow *self, TillCashJournal *journal)
{
  g_return_if_fail (TILL_IS_WINDOW (self));

  g_set_object (&self->cash_journal, journal);
  upload_cash_journal (self);
}

TillCashJournal *
till_window_get_cash_journal (TillWindow *self)
{
  g_return_val_if_fail (TILL_IS_WINDOW (self), NULL);

  return self->cash_journal;
}

/* Actions */

static void
forward_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);
  const char *target = NULL;

  if (g_str_equal (action_name, "win.new-cart"))
    target = "cart.new";
  else if (g_str_equal (action_name, "win.close-cart"))
    target = "cart.close";
  else if (g_str_equal (action_name, "win.park-cart"))
    target = "cart.park";
  else if (g_str_equal (action_name, "win.charge"))
    {
      self->next_tender = "card"; /* F12, Ctrl+Return: the card, as ever; the button asks */
      target = "cart.charge";
    }
  else if (g_str_equal (action_name, "win.charge-cash"))
    {
      self->next_tender = "cash";
      target = "cart.charge";
    }
  else if (g_str_equal (action_name, "win.cart-discount"))
    target = "cart.discount";
  else if (g_str_equal (action_name, "win.change-last"))
    target = "cart.change-last";
  g_return_if_fail (target != NULL);
  gtk_widget_activate_action_variant (GTK_WIDGET (self->cart_view), target, parameter);
  self->next_tender = NULL; /* a cart that could not be charged does not keep it */
}

/* The orders page: made on first use, read again from the server each time it is shown. */
static void
show_orders_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "pay") == 0)
    return; /* a payment is finished first */
  if (self->orders_page == NULL)
    {
      self->orders_page = till_orders_page_new (self->client);
      gtk_stack_add_named (self->main_stack, GTK_WIDGET (self->orders_page), "orders");
    }
  gtk_stack_set_visible_child_name (self->main_stack, "orders");
  till_orders_page_reload (self->orders_page);
}

static void
show_sell_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "pay") != 0)
    gtk_stack_set_visible_child_name (self->main_stack, "sell");
}

static void
focus_search_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);

  if (self->orders_page != NULL &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "orders") == 0)
    till_orders_page_focus_search (self->orders_page);
  else
    gtk_widget_grab_focus (GTK_WIDGET (till_catalog_view_get_search_entry (self->catalog_view)));
}

static void
toggle_cart_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);

  adw_flap_set_reveal_flap (self->flap, !adw_flap_get_reveal_flap (self->flap));
}

static void
reconnect_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);

  if (till_client_get_state (self->client) == TILL_CONNECTION_UNCONFIGURED)
    {
      GApplication *app = g_application_get_default ();
      if (app != NULL)
        g_action_group_activate_action (G_ACTION_GROUP (app), "connect", NULL);
      return;
    }
  till_client_reconnect (self->client);
}

/* Adaptive layout */

static gboolean
update_cart_toggle (gpointer user_data)
{
  TillWindow *self = user_data;

  self->fold_idle = 0;
  gtk_widget_set_visible (self->cart_toggle, adw_flap_get_folded (self->flap));
  update_cart_summary (self);
  return G_SOURCE_REMOVE;
}

static void
on_flap_folded (TillWindow *self)
{
  /* AdwFlap folds while it is being allocated: show the toggle after that, not during. */
  if (self->fold_idle == 0)
    self->fold_idle = g_idle_add (update_cart_toggle, self);
}

/* The day's figures */

static void
on_figures_done (TillWindow *self)
{
  gtk_stack_set_visible_child_name (self->main_stack, "sell");
}

static void
show_figures_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);
  const char *shown = gtk_stack_get_visible_child_name (self->main_stack);

  if (g_strcmp0 (shown, "pay") == 0)
    {
      till_window_show_toast (self, _ ("Finish or stop the payment first."));
      return;
    }
  if (g_strcmp0 (shown, "figures") == 0)
    {
      on_figures_done (self);
      return;
    }
  till_figures_page_show_day (self->figures_page, NULL);
  gtk_stack_set_visible_child_name (self->main_stack, "figures");
  gtk_widget_grab_focus (GTK_WIDGET (self->figures_page));
}

static void
add_figures_page (TillWindow *self)
{
  self->figures_page = till_figures_page_new (self->client);
  gtk_stack_add_named (self->main_stack, GTK_WIDGET (self->figures_page), "figures");
  g_signal_connect_object (self->figures_page, "done", G_CALLBACK (on_figures_done), self,
                           G_CONNECT_SWAPPED);
}

/* GObject */

static void
till_window_constructed (GObject *object)
{
  TillWindow            *self = TILL_WINDOW (object);
  const TillStoreConfig *config;

  G_OBJECT_CLASS (till_window_parent_class)->constructed (object);

  self->recovery_tried = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect_object (till_cart_store_get_carts (self->store), "items-changed",
                           G_CALLBACK (recover_payments), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (till_cart_store_get_carts (self->store), "items-changed",
                           G_CALLBACK (watch_carts), self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self->flap, "notify::reveal-flap", G_CALLBACK (update_cart_summary),
                            self);

  self->payment_page = till_payment_page_new (self->client);
  gtk_stack_add_named (self->main_stack, GTK_WIDGET (self->payment_page), "pay");
  g_signal_connect_object (self->payment_page, "finished", G_CALLBACK (on_payment_finished), self,
                           G_CONNECT_SWAPPED);

  g_return_if_fail (self->catalog && self->store && self->client);

  add_figures_page (self);

  till_catalog_view_set_catalog (self->catalog_view, self->catalog);
  config = till_client_get_config (self->client);
  if (config != NULL)
    till_cart_view_set_currency (self->cart_view, config->currency, config->prices_include_tax);
  till_cart_view_set_store (self->cart_view, self->store);

  g_signal_connect_object (self->client, "notify::state", G_CALLBACK (on_client_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::config", G_CALLBACK (on_client_config), self,
                           G_CONNECT_SWAPPED);
  /* Back to the sale: the banner catches up with the connection. */
  g_signal_connect_swapped (self->main_stack, "notify::visible-child-name",
                            G_CALLBACK (update_connection), self);
  on_client_state (self);
  watch_carts (self);
}

static void
till_window_dispose (GObject *object)
{
  TillWindow *self = TILL_WINDOW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->recovery_tried, g_hash_table_unref);
  g_clear_weak_pointer (&self->dialog);
  g_clear_handle_id (&self->fold_idle, g_source_remove);
  g_clear_weak_pointer (&self->added_toast);
  if (self->detector != NULL)
    g_signal_handlers_disconnect_by_data (self->detector, self);
  g_clear_object (&self->detector);
  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_WINDOW);
  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_object (&self->client);
  g_clear_object (&self->cash_journal);
  g_clear_pointer (&self->last_toast, g_free);
  g_clear_object (&self->toast);

  G_OBJECT_CLASS (till_window_parent_class)->dispose (object);
}

static void
till_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  TillWindow *self = TILL_WINDOW (object);

  switch (prop_id)
    {
      case PROP_CATALOG:
        self->catalog = g_value_dup_object (value);
        break;
      case PROP_STORE:
        self->store = g_value_dup_object (value);
        break;
      case PROP_CLIENT:
        self->client = g_value_dup_object (value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_window_class_init (TillWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = till_window_constructed;
  object_class->dispose = till_window_dispose;
  object_class->set_property = till_window_set_property;

  properties[PROP_CATALOG] =
      g_param_spec_object ("catalog", NULL, NULL, TILL_TYPE_CATALOG,
                           G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORE] =
      g_param_spec_object ("cart-store", NULL, NULL, TILL_TYPE_CART_STORE,
                           G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLIENT] =
      g_param_spec_object ("client", NULL, NULL, TILL_TYPE_CLIENT,
                           G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PAYMENT_REQUESTED] = g_signal_new (
      "payment-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, TILL_TYPE_CART_MODEL, till_checkout_response_get_type ());

  /* Pulls the resources' object file out of the static library (its constructor registers
   * them), so every program linking libtill-app has its .ui files. */
  g_assert (till_app_get_resource () != NULL);
  g_type_ensure (TILL_TYPE_CATALOG_VIEW);
  g_type_ensure (TILL_TYPE_CART_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tillpos/Till/till-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TillWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, connection_button);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, connection_icon);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, connection_label);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, training_revealer);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, connection_revealer);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, connection_banner);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, connection_banner_label);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, flap);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, cart_toggle);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, cart_summary_label);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, catalog_view);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, cart_view);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, main_stack);
  gtk_widget_class_bind_template_callback (widget_class, on_product_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_charge);

  gtk_widget_class_install_action (widget_class, "win.new-cart", NULL, forward_action);
  gtk_widget_class_install_action (widget_class, "win.close-cart", NULL, forward_action);
  gtk_widget_class_install_action (widget_class, "win.park-cart", NULL, forward_action);
  gtk_widget_class_install_action (widget_class, "win.charge", NULL, forward_action);
  gtk_widget_class_install_action (widget_class, "win.charge-cash", NULL, forward_action);
  gtk_widget_class_install_action (widget_class, "win.cart-discount", NULL, forward_action);
  gtk_widget_class_install_action (widget_class, "win.change-last", "i", forward_action);
  gtk_widget_class_install_action (widget_class, "win.focus-search", NULL, focus_search_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-cart", NULL, toggle_cart_action);
  gtk_widget_class_install_action (widget_class, "win.reconnect", NULL, reconnect_action);
  gtk_widget_class_install_action (widget_class, "win.show-figures", NULL, show_figures_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.show-figures", NULL);
  gtk_widget_class_install_action (widget_class, "win.show-orders", NULL, show_orders_action);
  gtk_widget_class_install_action (widget_class, "win.show-sell", NULL, show_sell_action);
  gtk_widget_class_install_action (widget_class, "win.show-drawer", NULL, show_drawer_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.show-drawer", NULL);
  gtk_widget_class_install_action (widget_class, "win.show-cash-reports", NULL,
                                   show_cash_reports_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.show-cash-reports", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.show-orders", NULL);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK, "win.new-cart",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "win.close-cart",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK, "win.park-cart",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F12, 0, "win.charge", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F2, 0, "win.charge-cash", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.charge",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK,
                                       "win.cart-discount", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK,
                                       "win.change-last", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK,
                                       "win.change-last", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK,
                                       "win.change-last", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "win.focus-search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F3, 0, "win.focus-search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "win.toggle-cart", NULL);
}

static void
till_window_init (TillWindow *self)
{
  GtkEventController *controller;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->detector = till_scan_detector_new ();
  g_signal_connect_swapped (self->detector, "scanned", G_CALLBACK (on_scanned), self);
  g_signal_connect_swapped (self->detector, "flush", G_CALLBACK (on_flush), self);

  g_signal_connect_swapped (self->flap, "notify::folded", G_CALLBACK (on_flap_folded), self);

  /* Capture phase: the scanner wins over whatever has the focus. */
  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

TillWindow *
till_window_new (GtkApplication *application,
                 TillCatalog    *catalog,
                 TillCartStore  *store,
                 TillClient     *client)
{
  return g_object_new (TILL_TYPE_WINDOW, "application", application, "catalog", catalog,
                       "cart-store", store, "client", client, NULL);
}

/* Private API */

TillCatalogView *
till_window_get_catalog_view (TillWindow *self)
{
  return self->catalog_view;
}

TillCartView *
till_window_get_cart_view (TillWindow *self)
{
  return self->cart_view;
}

TillScanDetector *
till_window_get_scan_detector (TillWindow *self)
{
  return self->detector;
}

const char *
till_window_get_last_toast (TillWindow *self)
{
  return self->last_toast;
}

AdwToast *
till_window_get_toast (TillWindow *self)
{
  return self->toast;
}

gboolean
till_window_get_training_shown (TillWindow *self)
{
  return gtk_revealer_get_reveal_child (self->training_revealer);
}

const char *
till_window_get_cart_summary (TillWindow *self)
{
  return gtk_label_get_text (self->cart_summary_label);
}

const char *
till_window_get_connection_text (TillWindow *self)
{
  return gtk_label_get_text (self->connection_label);
}

gboolean
till_window_get_banner_shown (TillWindow *self)
{
  return gtk_revealer_get_reveal_child (self->connection_revealer);
}

AdwMessageDialog *
till_window_get_dialog (TillWindow *self)
{
  return self->dialog;
}

gboolean
till_window_is_charging (TillWindow *self)
{
  return self->charging;
}

TillOrdersPage *
till_window_get_orders_page (TillWindow *self)
{
  return self->orders_page;
}

TillPaymentPage *
till_window_get_payment_page (TillWindow *self)
{
  g_return_val_if_fail (TILL_IS_WINDOW (self), NULL);
  return self->payment_page;
}

TillFiguresPage *
till_window_get_figures_page (TillWindow *self)
{
  g_return_val_if_fail (TILL_IS_WINDOW (self), NULL);
  return self->figures_page;
}

const char *
till_window_get_mode (TillWindow *self)
{
  g_return_val_if_fail (TILL_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->main_stack);
}

/* A kiosk (till-kiosk.c): no header bar and its menus, nothing that changes prices or carts,
 * opens the orders or the figures, or reconnects elsewhere. */
void
till_window_set_locked (TillWindow *self, gboolean locked)
{
  static const char *actions[] = { "win.new-cart",      "win.close-cart",   "win.park-cart",
                                   "win.cart-discount", "win.show-figures", "win.show-orders",
                                   "win.reconnect",     "win.toggle-cart",  NULL };

  g_return_if_fail (TILL_IS_WINDOW (self));
  gtk_widget_set_visible (self->header_bar, !locked);
  for (guint i = 0; actions[i] != NULL; i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), actions[i], !locked);
  till_cart_view_set_locked (self->cart_view, locked);
  till_payment_page_set_kiosk (self->payment_page, locked);
}
