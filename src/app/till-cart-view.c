/* till-cart-view.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-cart-row.h"
#include "till-cart-view.h"
#include "till-money-label.h"

struct _TillCartView
{
  GtkWidget parent_instance;

  TillCartStore *store;
  char          *currency;
  gboolean       prices_include_tax;
  gboolean       busy;
  gboolean       locked; /* a kiosk: till_cart_view_set_locked () */
  guint          leave_foreign_idle;

  AdwTabBar  *tab_bar;
  AdwTabView *tab_view;
  GtkLabel   *subtotal_label;
  GtkLabel   *discount_title;
  GtkWidget  *note_box;
  GtkLabel   *note_label;
  GtkLabel   *foreign_label;
  GtkLabel   *discount_label;
  GtkLabel   *tax_title;
  GtkLabel   *tax_label;
  GtkLabel   *rounding_title;
  GtkLabel   *rounding_label;
  GtkLabel   *total_label;
  GtkButton  *charge_button;
  GtkLabel   *charge_label;
};

G_DEFINE_FINAL_TYPE (TillCartView, till_cart_view, GTK_TYPE_WIDGET)

enum
{
  CHARGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Each tab's child is a GtkStack ("empty" status page, "lines" list) holding its cart. */
#define PAGE_CART_KEY "till-cart"
#define PAGE_LIST_KEY "till-list"

static TillCartModel *
page_get_cart (AdwTabPage *page)
{
  return g_object_get_data (G_OBJECT (adw_tab_page_get_child (page)), PAGE_CART_KEY);
}

static AdwTabPage *
find_page (TillCartView *self, TillCartModel *cart)
{
  int n = adw_tab_view_get_n_pages (self->tab_view);

  for (int i = 0; i < n; i++)
    {
      AdwTabPage *page = adw_tab_view_get_nth_page (self->tab_view, i);
      if (page_get_cart (page) == cart)
        return page;
    }
  return NULL;
}

TillCartModel *
till_cart_view_get_selected_cart (TillCartView *self)
{
  AdwTabPage *page;

  g_return_val_if_fail (TILL_IS_CART_VIEW (self), NULL);

  page = adw_tab_view_get_selected_page (self->tab_view);
  return page ? page_get_cart (page) : NULL;
}

/* A cart with lines priced in another currency than the connected store's (made while
 * connected to another server): kept as it was, read-only, and never charged here. */
static gboolean
is_foreign (TillCartView *self, TillCartModel *cart)
{
  return cart != NULL && self->currency != NULL && till_cart_model_get_n_lines (cart) > 0 &&
         g_ascii_strcasecmp (till_cart_model_get_currency (cart), self->currency) != 0;
}

/* An empty cart follows the store; one with lines in another currency is kept aside. */
static void
follow_store (TillCartView *self, TillCartModel *cart)
{
  if (cart != NULL && self->currency != NULL && till_cart_model_get_n_lines (cart) == 0)
    till_cart_model_set_currency (cart, self->currency, self->prices_include_tax);
}

static void
update_totals (TillCartView *self)
{
  TillCartModel *cart = till_cart_view_get_selected_cart (self);
  g_autoptr (GError) error = NULL;
  g_autofree char *subtotal = NULL, *discount = NULL, *tax = NULL, *rounding = NULL;
  g_autofree char *total = NULL, *charge = NULL;
  const char      *currency = cart ? till_cart_model_get_currency (cart) : self->currency;
  TillTotals       totals = { 0 };
  gboolean         ok = TRUE;
  gboolean         can_charge;
  gboolean         prices_include_tax = self->prices_include_tax;

  if (cart != NULL)
    ok = till_cart_model_compute_totals (cart, NULL, &totals, &error);
  if (!ok)
    g_warning ("Cart totals refused by core: %s", error->message);

  subtotal = till_money_label (totals.subtotal, currency);
  discount = till_money_label (-totals.discount, currency);
  tax = till_money_label (totals.tax, currency);
  rounding = till_money_label (totals.rounding, currency);
  total = till_money_label (totals.total, currency);

  gtk_label_set_text (self->subtotal_label, subtotal);
  gtk_label_set_text (self->discount_label, discount);
  {
    const TillCart  *core_cart = cart ? till_cart_model_get_cart (cart) : NULL;
    g_autofree char *cart_discount = NULL;
    g_autofree char *title = NULL;

    if (core_cart != NULL && core_cart->discount.kind == TILL_DISCOUNT_PERCENT)
      {
        g_autofree char *rate = till_tax_rate_to_string ((int) core_cart->discount.value);
        /* Translators: the cart's discount row; %s is a number like "10" or "12.5". */
        title = g_strdup_printf (_ ("Discount (%s %% off the cart)"), rate);
      }
    else if (core_cart != NULL && core_cart->discount.kind == TILL_DISCOUNT_AMOUNT)
      {
        cart_discount = till_money_label (core_cart->discount.value, currency);
        /* Translators: the cart's discount row; %s is an amount like "$2.00". */
        title = g_strdup_printf (_ ("Discount (%s off the cart)"), cart_discount);
      }
    gtk_label_set_text (self->discount_title, title ? title : _ ("Discount"));

    gtk_label_set_text (self->note_label, core_cart && core_cart->note ? core_cart->note : "");
    gtk_widget_set_visible (GTK_WIDGET (self->note_box), core_cart && core_cart->note);
    if (core_cart != NULL)
      prices_include_tax = core_cart->prices_include_tax;
  }
  gtk_widget_set_visible (GTK_WIDGET (self->discount_title), totals.discount != 0);
  gtk_widget_set_visible (GTK_WIDGET (self->discount_label), totals.discount != 0);
  gtk_label_set_text (self->tax_label, tax);
  gtk_label_set_text (self->tax_title, prices_include_tax ? _ ("Tax (included)") : _ ("Tax"));
  gtk_label_set_text (self->rounding_label, rounding);
  gtk_widget_set_visible (GTK_WIDGET (self->rounding_title), totals.rounding != 0);
  gtk_widget_set_visible (GTK_WIDGET (self->rounding_label), totals.rounding != 0);
  gtk_label_set_text (self->total_label, total);

  {
    gboolean foreign = is_foreign (self, cart);

    if (foreign)
      {
        g_autofree char *notice = g_strdup_printf (
            /* Translators: %s are currency codes, e.g. "USD" and "TRY". */
            _ ("This cart is priced in %s, but this store sells in %s. It is kept as it was "
               "and cannot be changed or charged here: sell the items again in a new cart, "
               "then close this one."),
            till_cart_model_get_currency (cart), self->currency);
        gtk_label_set_text (self->foreign_label, notice);
      }
    gtk_widget_set_visible (GTK_WIDGET (self->foreign_label), foreign);
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "cart.park", !foreign && !self->locked);
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "cart.discount", !foreign && !self->locked);
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "cart.note", !foreign && !self->locked);
    if (foreign)
      {
        /* Translators: the Charge button of a cart in another currency; %s: "USD". */
        charge = g_strdup_printf (_ ("Priced in %s: Not Sold Here"),
                                  till_cart_model_get_currency (cart));
        gtk_label_set_text (self->charge_label, charge);
        gtk_widget_action_set_enabled (GTK_WIDGET (self), "cart.charge", FALSE);
        return;
      }
  }

  if (self->busy)
    charge = g_strdup (_ ("Starting payment…"));
  else if (cart != NULL && till_cart_model_get_parked (cart))
    charge = g_strdup (_ ("Resume This Cart"));
  else if (!ok)
    charge = g_strdup (_ ("Cannot Total This Cart"));
  else
    /* Translators: the big button; %s is the total, e.g. "$12.50". */
    charge = g_strdup_printf (_ ("Charge %s"), total);
  gtk_label_set_text (self->charge_label, charge);

  can_charge = !self->busy && cart != NULL && ok &&
               (till_cart_model_get_parked (cart) || till_cart_model_get_n_lines (cart) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "cart.charge", can_charge);
}

static void
sync_page (TillCartView *self, TillCartModel *cart)
{
  AdwTabPage                *page = find_page (self, cart);
  GtkStack                  *stack;
  GtkListBox                *list;
  g_autofree TillLineTotals *line_totals = NULL;
  TillTotals                 totals;
  guint                      n_lines = till_cart_model_get_n_lines (cart);
  guint                      n_rows;
  guint                      i = 0;
  GtkWidget                 *row;
  g_autofree char           *title = NULL;

  if (page == NULL)
    return;
  stack = GTK_STACK (adw_tab_page_get_child (page));
  list = g_object_get_data (G_OBJECT (stack), PAGE_LIST_KEY);

  /* Only the cart on screen has rows: a row is a few dozen widgets, and
   * carts waiting in other tabs can hold many lines. Selecting a tab makes its rows. */
  n_rows = page == adw_tab_view_get_selected_page (self->tab_view) ? n_lines : 0;
  if (n_rows > 0 && !till_cart_model_compute_totals (cart, &line_totals, &totals, NULL))
    g_clear_pointer (&line_totals, g_free);

  /* Reuse the rows so a quantity being typed keeps its focus. */
  row = gtk_widget_get_first_child (GTK_WIDGET (list));
  for (i = 0; i < n_rows; i++)
    {
      if (row == NULL)
        {
          row = GTK_WIDGET (till_cart_row_new (cart));
          gtk_list_box_append (list, row);
        }
      till_cart_row_update (TILL_CART_ROW (row), i, line_totals ? &line_totals[i] : NULL);
      row = gtk_widget_get_next_sibling (row);
    }
  while (row != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (row);
      gtk_list_box_remove (list, row);
      row = next;
    }

  gtk_stack_set_visible_child_name (stack, n_lines > 0 ? "lines" : "empty");
  gtk_widget_set_sensitive (GTK_WIDGET (list), !is_foreign (self, cart));

  if (till_cart_model_get_n_items (cart) > 0)
    title = g_strdup_printf ("%s (%" G_GINT64_FORMAT ")", till_cart_model_get_title (cart),
                             till_cart_model_get_n_items (cart));
  else
    title = g_strdup (till_cart_model_get_title (cart));
  adw_tab_page_set_title (page, title);
  if (till_cart_model_get_parked (cart))
    {
      g_autoptr (GIcon) icon = g_themed_icon_new ("media-playback-pause-symbolic");
      adw_tab_page_set_icon (page, icon);
      adw_tab_page_set_tooltip (page, _ ("Parked"));
    }
  else
    {
      adw_tab_page_set_icon (page, NULL);
      adw_tab_page_set_tooltip (page, NULL);
    }

  if (cart == till_cart_view_get_selected_cart (self))
    update_totals (self);
}

static void
on_cart_changed (TillCartModel *cart, TillCartView *self)
{
  /* Emptied, it sells in the store's currency again. */
  follow_store (self, cart);
  sync_page (self, cart);
}

static AdwTabPage *
add_page (TillCartView *self, TillCartModel *cart, int position)
{
  GtkWidget  *stack = gtk_stack_new ();
  GtkWidget  *empty = adw_status_page_new ();
  GtkWidget  *scrolled = gtk_scrolled_window_new ();
  GtkWidget  *list = gtk_list_box_new ();
  AdwTabPage *page;

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "edit-paste-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _ ("Empty Cart"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _ ("Scan a barcode or tap a product to add it."));
  gtk_widget_add_css_class (empty, "compact");
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "navigation-sidebar");
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_stack_add_named (GTK_STACK (stack), empty, "empty");
  gtk_stack_add_named (GTK_STACK (stack), scrolled, "lines");
  g_object_set_data_full (G_OBJECT (stack), PAGE_CART_KEY, g_object_ref (cart), g_object_unref);
  g_object_set_data (G_OBJECT (stack), PAGE_LIST_KEY, list);

  page = adw_tab_view_insert (self->tab_view, stack, position);
  g_signal_connect (cart, "changed", G_CALLBACK (on_cart_changed), self);
  /* A cart restored or made after the store's configuration came follows it too. */
  follow_store (self, cart);
  sync_page (self, cart);
  return page;
}

/* The cart on screen sells in another currency (kept aside, read-only): the next
 * customer's cart is shown instead, so the first scan and the first Charge are in the
 * store's currency. */
static void
leave_foreign (TillCartView *self)
{
  if (is_foreign (self, till_cart_view_get_selected_cart (self)))
    till_cart_view_next_customer (self);
}

static gboolean
leave_foreign_cb (gpointer data)
{
  TillCartView *self = data;

  self->leave_foreign_idle = 0;
  leave_foreign (self);
  return G_SOURCE_REMOVE;
}

static void
on_store_items_changed (
    GListModel *model, guint position, guint removed, guint added, TillCartView *self)
{
  int n = adw_tab_view_get_n_pages (self->tab_view);

  /* Drop pages whose cart left the store. */
  for (int i = n - 1; i >= 0; i--)
    {
      AdwTabPage    *page = adw_tab_view_get_nth_page (self->tab_view, i);
      TillCartModel *cart = page_get_cart (page);
      guint          found;

      if (!g_list_store_find (G_LIST_STORE (model), cart, &found))
        {
          g_signal_handlers_disconnect_by_data (cart, self);
          g_object_set_data (G_OBJECT (page), "till-closing", GINT_TO_POINTER (1));
          adw_tab_view_close_page (self->tab_view, page);
        }
    }
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (TillCartModel) cart = g_list_model_get_item (model, i);

      if (find_page (self, cart) == NULL)
        {
          AdwTabPage *page =
              add_page (self, cart, (int) MIN ((int) i, adw_tab_view_get_n_pages (self->tab_view)));
          adw_tab_view_set_selected_page (self->tab_view, page);
        }
    }
  update_totals (self);
  /* Not while the store is telling its listeners about this change: the next customer's
   * cart may be a new one. */
  if (added > 0 && self->leave_foreign_idle == 0 &&
      is_foreign (self, till_cart_view_get_selected_cart (self)))
    self->leave_foreign_idle = g_idle_add (leave_foreign_cb, self);
}

static void confirm_close (TillCartView *self, TillCartModel *cart);

static gboolean
on_close_page (TillCartView *self, AdwTabPage *page)
{
  TillCartModel *cart = page_get_cart (page);

  if (self->locked && g_object_get_data (G_OBJECT (page), "till-closing") == NULL)
    {
      adw_tab_view_close_page_finish (self->tab_view, page, FALSE);
      return GDK_EVENT_STOP; /* a kiosk's customer */
    }
  if (g_object_get_data (G_OBJECT (page), "till-closing") != NULL || self->store == NULL)
    {
      adw_tab_view_close_page_finish (self->tab_view, page, TRUE);
      return GDK_EVENT_STOP;
    }
  /* The store removes it (and its file) after asking when it is not empty; the store's
   * items-changed then closes the page. */
  adw_tab_view_close_page_finish (self->tab_view, page, FALSE);
  if (cart != NULL)
    {
      g_object_ref (cart);
      confirm_close (self, cart);
      g_object_unref (cart);
    }
  return GDK_EVENT_STOP;
}

static void
on_selected_page_changed (TillCartView *self)
{
  /* The cart shown gets its rows; the one that was shown lets them go. */
  for (int i = 0; i < adw_tab_view_get_n_pages (self->tab_view); i++)
    {
      AdwTabPage *page = adw_tab_view_get_nth_page (self->tab_view, i);
      GtkWidget *list = g_object_get_data (G_OBJECT (adw_tab_page_get_child (page)), PAGE_LIST_KEY);
      gboolean   selected = page == adw_tab_view_get_selected_page (self->tab_view);

      if (page_get_cart (page) != NULL && list != NULL &&
          (selected || gtk_widget_get_first_child (list) != NULL))
        sync_page (self, page_get_cart (page));
    }
  update_totals (self);
}

/* Actions */

static TillCartModel *
new_cart (TillCartView *self)
{
  TillCartModel *cart;

  if (self->store == NULL || self->currency == NULL)
    return NULL;
  cart = till_cart_store_new_cart (self->store, self->currency, self->prices_include_tax);
  till_cart_view_select_cart (self, cart);
  return cart;
}

static void
new_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  if (TILL_CART_VIEW (widget)->locked)
    return; /* a kiosk's customer */
  new_cart (TILL_CART_VIEW (widget));
}

static void
discard_response (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  TillCartView  *self = TILL_CART_VIEW (g_object_get_data (G_OBJECT (dialog), "view"));
  TillCartModel *cart = user_data;

  if (g_strcmp0 (response, "discard") == 0 && self->store != NULL)
    till_cart_store_remove (self->store, cart);
  g_object_unref (cart);
}

static void
confirm_close (TillCartView *self, TillCartModel *cart)
{
  AdwMessageDialog *dialog;

  if (cart == NULL || self->store == NULL)
    return;
  if (till_cart_model_is_empty (cart))
    {
      till_cart_store_remove (self->store, cart);
      return;
    }
  /* Nothing a cashier added is thrown away without asking. */
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), _ ("Discard This Cart?"), NULL));
  {
    int n_items = (int) MIN (till_cart_model_get_n_items (cart), G_MAXINT);

    adw_message_dialog_format_body (
        dialog,
        g_dngettext (GETTEXT_PACKAGE, "“%s” has %d item. It will be removed.",
                     "“%s” has %d items. They will be removed.", n_items),
        till_cart_model_get_title (cart), n_items);
  }
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Keep"), "discard", _ ("_Discard"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data (G_OBJECT (dialog), "view", self);
  g_signal_connect (dialog, "response", G_CALLBACK (discard_response), g_object_ref (cart));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
close_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  if (TILL_CART_VIEW (widget)->locked)
    return; /* a kiosk's customer */
  TillCartView *self = TILL_CART_VIEW (widget);

  confirm_close (self, till_cart_view_get_selected_cart (self));
}

static void
park_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillCartView  *self = TILL_CART_VIEW (widget);
  TillCartModel *cart = till_cart_view_get_selected_cart (self);

  if (self->locked)
    return; /* a kiosk's customer */

  if (cart == NULL)
    return;
  if (till_cart_model_get_parked (cart))
    {
      till_cart_model_set_parked (cart, FALSE);
      return;
    }
  if (till_cart_model_get_n_lines (cart) == 0)
    return;
  till_cart_model_set_parked (cart, TRUE);
  till_cart_view_next_customer (self);
}

static void
charge_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillCartView  *self = TILL_CART_VIEW (widget);
  TillCartModel *cart = till_cart_view_get_selected_cart (self);

  if (cart == NULL || self->busy)
    return;
  if (till_cart_model_get_parked (cart))
    {
      till_cart_model_set_parked (cart, FALSE);
      return;
    }
  g_signal_emit (self, signals[CHARGE], 0, cart);
}

typedef struct
{
  TillCartModel *cart;
  guint          index;
  TillCartLine  *line;
} Removed;

static void
removed_free (Removed *removed)
{
  g_clear_object (&removed->cart);
  g_clear_pointer (&removed->line, till_cart_line_free);
  g_free (removed);
}

static void
removed_closure_free (gpointer data, GClosure *closure)
{
  removed_free (data);
}

static void
on_undo_clicked (AdwToast *toast, Removed *removed)
{
  if (removed->line != NULL)
    till_cart_model_insert_line (removed->cart, removed->index, g_steal_pointer (&removed->line));
}

static void
show_toast (TillCartView *self, AdwToast *toast)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
  else
    g_object_unref (g_object_ref_sink (toast));
}

static void
remove_line_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillCartView    *self = TILL_CART_VIEW (widget);
  TillCartModel   *cart = till_cart_view_get_selected_cart (self);
  guint            index = g_variant_get_uint32 (parameter);
  Removed         *removed;
  AdwToast        *toast;
  g_autofree char *title = NULL;

  if (cart == NULL || index >= till_cart_model_get_n_lines (cart) || self->busy)
    return;

  removed = g_new0 (Removed, 1);
  removed->cart = g_object_ref (cart);
  removed->index = index;
  removed->line = till_cart_model_remove_line (cart, index);

  /* Translators: %s is a product name. */
  title = g_strdup_printf (_ ("“%s” removed"), removed->line->name ? removed->line->name : "");
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _ ("_Undo"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect_data (toast, "button-clicked", G_CALLBACK (on_undo_clicked), removed,
                         removed_closure_free, 0);
  show_toast (self, toast);
}

/* Discount and note dialogs */

typedef struct
{
  TillCartView    *view;
  TillCartModel   *cart;
  int              line; /* -1 for the cart */
  GtkEntry        *entry;
  GtkToggleButton *percent;
  GtkLabel        *error_label;
} DiscountDialog;

static void
discount_dialog_free (DiscountDialog *data)
{
  g_clear_object (&data->cart);
  g_free (data);
}

static gboolean
parse_discount (DiscountDialog *data, TillDiscount *out, GError **error)
{
  const char      *text = gtk_editable_get_text (GTK_EDITABLE (data->entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  if (*stripped == '\0')
    {
      out->kind = TILL_DISCOUNT_NONE;
      out->value = 0;
      return TRUE;
    }
  if (gtk_toggle_button_get_active (data->percent))
    {
      int basis_points;

      if (!till_tax_rate_parse (stripped, &basis_points, error))
        return FALSE;
      out->kind = TILL_DISCOUNT_PERCENT;
      out->value = basis_points;
    }
  else
    {
      const TillCurrency *currency =
          till_currency_lookup (till_cart_model_get_currency (data->cart));
      gint64 amount;

      if (currency == NULL ||
          !till_money_parse_localized (stripped, currency, till_money_label_locale (),
                                       TILL_PARSE_DEFAULT, &amount, error))
        return FALSE;
      out->kind = TILL_DISCOUNT_AMOUNT;
      out->value = amount;
    }
  return till_discount_validate (out, error);
}

static void
on_discount_input_changed (AdwMessageDialog *dialog)
{
  DiscountDialog *data = g_object_get_data (G_OBJECT (dialog), "data");
  g_autoptr (GError) error = NULL;
  TillDiscount discount;
  gboolean     valid = parse_discount (data, &discount, &error);

  adw_message_dialog_set_response_enabled (dialog, "apply", valid);
  gtk_label_set_text (data->error_label, valid ? "" : _ ("Type a number, like 10 or 2.50."));
}

static void
on_discount_response (AdwMessageDialog *dialog, const char *response)
{
  DiscountDialog *data = g_object_get_data (G_OBJECT (dialog), "data");
  g_autoptr (GError) error = NULL;
  TillDiscount discount = { TILL_DISCOUNT_NONE, 0 };
  gboolean     ok;

  if (g_strcmp0 (response, "apply") != 0 && g_strcmp0 (response, "remove") != 0)
    return;
  if (g_strcmp0 (response, "apply") == 0 && !parse_discount (data, &discount, &error))
    return;
  if (data->line < 0)
    ok = till_cart_model_set_discount (data->cart, &discount, &error);
  else if ((guint) data->line < till_cart_model_get_n_lines (data->cart))
    ok = till_cart_model_set_line_discount (data->cart, data->line, &discount, &error);
  else
    ok = TRUE;
  if (!ok)
    show_toast (data->view, adw_toast_new (error->message));
}

static void
open_discount_dialog (TillCartView *self, TillCartModel *cart, int line)
{
  AdwMessageDialog   *dialog;
  DiscountDialog     *data;
  GtkWidget          *box, *entry_box, *amount, *percent, *error_label;
  const TillDiscount *current = line < 0 ? &till_cart_model_get_cart (cart)->discount
                                         : &till_cart_model_get_line (cart, line)->discount;

  dialog = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                              line < 0 ? _ ("Cart Discount") : _ ("Line Discount"), NULL));
  if (line >= 0)
    adw_message_dialog_set_body (dialog, till_cart_model_get_line (cart, line)->name);

  data = g_new0 (DiscountDialog, 1);
  data->view = self;
  data->cart = g_object_ref (cart);
  data->line = line;

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  entry_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  data->entry = GTK_ENTRY (gtk_entry_new ());
  gtk_entry_set_input_purpose (data->entry, GTK_INPUT_PURPOSE_NUMBER);
  gtk_entry_set_activates_default (data->entry, TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (data->entry), TRUE);
  percent = gtk_toggle_button_new_with_label ("%");
  amount = gtk_toggle_button_new_with_label (till_cart_model_get_currency (cart));
  gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (amount), GTK_TOGGLE_BUTTON (percent));
  data->percent = GTK_TOGGLE_BUTTON (percent);
  gtk_toggle_button_set_active (
      GTK_TOGGLE_BUTTON (current->kind == TILL_DISCOUNT_AMOUNT ? amount : percent), TRUE);
  if (current->kind == TILL_DISCOUNT_PERCENT)
    {
      g_autofree char *text = till_tax_rate_to_string ((int) current->value);
      gtk_editable_set_text (GTK_EDITABLE (data->entry), text);
    }
  else if (current->kind == TILL_DISCOUNT_AMOUNT)
    {
      const TillCurrency *currency = till_currency_lookup (till_cart_model_get_currency (cart));
      g_autofree char    *text =
          currency ? till_money_to_decimal_string (current->value, currency) : NULL;
      gtk_editable_set_text (GTK_EDITABLE (data->entry), text ? text : "");
    }
  gtk_box_append (GTK_BOX (entry_box), GTK_WIDGET (data->entry));
  gtk_box_append (GTK_BOX (entry_box), percent);
  gtk_box_append (GTK_BOX (entry_box), amount);
  error_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (error_label, "error");
  gtk_widget_add_css_class (error_label, "caption");
  data->error_label = GTK_LABEL (error_label);
  gtk_box_append (GTK_BOX (box), entry_box);
  gtk_box_append (GTK_BOX (box), error_label);
  adw_message_dialog_set_extra_child (dialog, box);

  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), NULL);
  if (current->kind != TILL_DISCOUNT_NONE)
    {
      adw_message_dialog_add_response (dialog, "remove", _ ("_Remove Discount"));
      adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
    }
  adw_message_dialog_add_response (dialog, "apply", _ ("_Apply"));
  adw_message_dialog_set_response_appearance (dialog, "apply", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "apply");
  adw_message_dialog_set_close_response (dialog, "cancel");

  g_object_set_data_full (G_OBJECT (dialog), "data", data, (GDestroyNotify) discount_dialog_free);
  g_signal_connect_swapped (data->entry, "changed", G_CALLBACK (on_discount_input_changed), dialog);
  g_signal_connect_swapped (percent, "toggled", G_CALLBACK (on_discount_input_changed), dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (on_discount_response), NULL);
  on_discount_input_changed (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (GTK_WIDGET (data->entry));
}

static void
discount_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillCartView  *self = TILL_CART_VIEW (widget);
  TillCartModel *cart = till_cart_view_get_selected_cart (self);

  if (self->locked)
    return; /* a kiosk's customer */

  if (cart == NULL || self->busy)
    return;
  if (parameter != NULL)
    {
      guint index = g_variant_get_uint32 (parameter);
      if (index < till_cart_model_get_n_lines (cart))
        open_discount_dialog (self, cart, (int) index);
    }
  else
    open_discount_dialog (self, cart, -1);
}

static void
on_note_response (AdwMessageDialog *dialog, const char *response)
{
  TillCartView  *self = g_object_get_data (G_OBJECT (dialog), "view");
  TillCartModel *cart = g_object_get_data (G_OBJECT (dialog), "cart");
  GtkEditable   *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  int            line = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "line"));
  g_autoptr (GError) error = NULL;
  gboolean ok = TRUE;

  if (g_strcmp0 (response, "save") != 0)
    return;
  if (line < 0)
    ok = till_cart_model_set_note (cart, gtk_editable_get_text (entry), &error);
  else if ((guint) line < till_cart_model_get_n_lines (cart))
    ok = till_cart_model_set_line_note (cart, line, gtk_editable_get_text (entry), &error);
  if (!ok)
    show_toast (self, adw_toast_new (error->message));
}

static void
note_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillCartView     *self = TILL_CART_VIEW (widget);
  TillCartModel    *cart = till_cart_view_get_selected_cart (self);
  AdwMessageDialog *dialog;
  GtkWidget        *entry;
  const char       *current;
  int               line = -1;

  if (self->locked)
    return; /* a kiosk's customer */

  if (cart == NULL || self->busy)
    return;
  if (parameter != NULL)
    {
      line = (int) g_variant_get_uint32 (parameter);
      if ((guint) line >= till_cart_model_get_n_lines (cart))
        return;
      current = till_cart_model_get_line (cart, line)->note;
    }
  else
    current = till_cart_model_get_cart (cart)->note;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                                       line < 0 ? _ ("Cart Note") : _ ("Line Note"),
                                                       NULL));
  entry = gtk_entry_new ();
  gtk_entry_set_max_length (GTK_ENTRY (entry), TILL_NOTE_MAX);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_editable_set_text (GTK_EDITABLE (entry), current ? current : "");
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "save", _ ("_Save"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "save");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data (G_OBJECT (dialog), "view", self);
  g_object_set_data_full (G_OBJECT (dialog), "cart", g_object_ref (cart), g_object_unref);
  g_object_set_data (G_OBJECT (dialog), "line", GINT_TO_POINTER (line));
  g_signal_connect (dialog, "response", G_CALLBACK (on_note_response), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
change_last_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillCartView  *self = TILL_CART_VIEW (widget);
  TillCartModel *cart = till_cart_view_get_selected_cart (self);
  guint          n;

  if (cart == NULL || self->busy || (n = till_cart_model_get_n_lines (cart)) == 0)
    return;
  till_cart_model_change_quantity (cart, n - 1, g_variant_get_int32 (parameter), NULL);
}

/* GObject */

static void
till_cart_view_dispose (GObject *object)
{
  TillCartView *self = TILL_CART_VIEW (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (till_cart_store_get_carts (self->store), self);
  if (self->tab_view != NULL)
    {
      int n = adw_tab_view_get_n_pages (self->tab_view);
      for (int i = 0; i < n; i++)
        g_signal_handlers_disconnect_by_data (
            page_get_cart (adw_tab_view_get_nth_page (self->tab_view, i)), self);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_CART_VIEW);
  /* The template's root box is not a bound child: unparent it ourselves. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_handle_id (&self->leave_foreign_idle, g_source_remove);
  g_clear_object (&self->store);
  g_clear_pointer (&self->currency, g_free);

  G_OBJECT_CLASS (till_cart_view_parent_class)->dispose (object);
}

static void
till_cart_view_class_init (TillCartViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_cart_view_dispose;

  signals[CHARGE] = g_signal_new ("charge", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                  NULL, NULL, G_TYPE_NONE, 1, TILL_TYPE_CART_MODEL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tillpos/Till/till-cart-view.ui");
  gtk_widget_class_bind_template_child (widget_class, TillCartView, tab_bar);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, tab_view);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, subtotal_label);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, discount_title);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, discount_label);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, note_box);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, note_label);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, foreign_label);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, tax_title);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, tax_label);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, rounding_title);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, rounding_label);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, total_label);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, charge_button);
  gtk_widget_class_bind_template_child (widget_class, TillCartView, charge_label);
  gtk_widget_class_bind_template_callback (widget_class, on_selected_page_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_close_page);

  gtk_widget_class_install_action (widget_class, "cart.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "cart.close", NULL, close_action);
  gtk_widget_class_install_action (widget_class, "cart.park", NULL, park_action);
  gtk_widget_class_install_action (widget_class, "cart.charge", NULL, charge_action);
  gtk_widget_class_install_action (widget_class, "cart.discount", NULL, discount_action);
  gtk_widget_class_install_action (widget_class, "cart.note", NULL, note_action);
  gtk_widget_class_install_action (widget_class, "cart.remove-line", "u", remove_line_action);
  gtk_widget_class_install_action (widget_class, "cart.line-discount", "u", discount_action);
  gtk_widget_class_install_action (widget_class, "cart.line-note", "u", note_action);
  gtk_widget_class_install_action (widget_class, "cart.change-last", "i", change_last_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
till_cart_view_init (TillCartView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update_totals (self);
}

TillCartView *
till_cart_view_new (void)
{
  return g_object_new (TILL_TYPE_CART_VIEW, NULL);
}

void
till_cart_view_set_store (TillCartView *self, TillCartStore *store)
{
  GListModel *carts;

  g_return_if_fail (TILL_IS_CART_VIEW (self));
  g_return_if_fail (self->store == NULL);

  self->store = g_object_ref (store);
  carts = till_cart_store_get_carts (store);
  g_signal_connect (carts, "items-changed", G_CALLBACK (on_store_items_changed), self);
  on_store_items_changed (carts, 0, 0, g_list_model_get_n_items (carts), self);
}

void
till_cart_view_set_currency (TillCartView *self, const char *currency, gboolean prices_include_tax)
{
  g_return_if_fail (TILL_IS_CART_VIEW (self));

  g_free (self->currency);
  self->currency = g_strdup (currency);
  self->prices_include_tax = prices_include_tax;
  for (int i = 0; i < adw_tab_view_get_n_pages (self->tab_view); i++)
    {
      TillCartModel *cart = page_get_cart (adw_tab_view_get_nth_page (self->tab_view, i));

      follow_store (self, cart);
      sync_page (self, cart);
    }
  update_totals (self);
  leave_foreign (self);
}

/**
 * till_cart_view_next_customer:
 *
 * Selects the cart of the next customer: an empty cart that is not parked, or a new one.
 * A parked cart is never chosen: it comes back only when someone resumes it.
 *
 * Returns: (transfer none) (nullable): the cart selected, or %NULL without a store or a
 *   currency yet
 */
TillCartModel *
till_cart_view_next_customer (TillCartView *self)
{
  int n;

  g_return_val_if_fail (TILL_IS_CART_VIEW (self), NULL);

  n = adw_tab_view_get_n_pages (self->tab_view);
  for (int i = 0; i < n; i++)
    {
      TillCartModel *other = page_get_cart (adw_tab_view_get_nth_page (self->tab_view, i));
      if (!till_cart_model_get_parked (other) && till_cart_model_get_n_lines (other) == 0)
        {
          till_cart_view_select_cart (self, other);
          return other;
        }
    }
  return new_cart (self);
}

/* The cart an item scanned or tapped goes to: the one on screen, unless it is parked (then
 * the next customer's: adding never resumes a parked cart). */
/* A kiosk: no carts opened, closed or parked, no discounts, no notes; lines can still be
 * removed and quantities changed. */
void
till_cart_view_set_locked (TillCartView *self, gboolean locked)
{
  static const char *actions[] = { "cart.new",       "cart.close", "cart.park",
                                   "cart.discount",  "cart.note",  "cart.line-discount",
                                   "cart.line-note", NULL };

  g_return_if_fail (TILL_IS_CART_VIEW (self));
  self->locked = !!locked;
  gtk_widget_set_visible (GTK_WIDGET (self->tab_bar), !self->locked);
  for (guint i = 0; actions[i] != NULL; i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), actions[i], !self->locked);
  update_totals (self);
}

TillCartModel *
till_cart_view_get_active_cart (TillCartView *self)
{
  TillCartModel *cart;

  g_return_val_if_fail (TILL_IS_CART_VIEW (self), NULL);

  cart = till_cart_view_get_selected_cart (self);
  follow_store (self, cart);
  if (cart != NULL && is_foreign (self, cart))
    cart = NULL;
  if (cart == NULL || till_cart_model_get_parked (cart))
    cart = till_cart_view_next_customer (self);
  return cart;
}

void
till_cart_view_select_cart (TillCartView *self, TillCartModel *cart)
{
  AdwTabPage *page;

  g_return_if_fail (TILL_IS_CART_VIEW (self));

  page = find_page (self, cart);
  if (page != NULL)
    adw_tab_view_set_selected_page (self->tab_view, page);
}

AdwTabView *
till_cart_view_get_tab_view (TillCartView *self)
{
  g_return_val_if_fail (TILL_IS_CART_VIEW (self), NULL);
  return self->tab_view;
}

void
till_cart_view_set_busy (TillCartView *self, gboolean busy)
{
  g_return_if_fail (TILL_IS_CART_VIEW (self));

  self->busy = !!busy;
  gtk_widget_set_sensitive (GTK_WIDGET (self->tab_view), !busy);
  update_totals (self);
}

const char *
till_cart_view_get_charge_label (TillCartView *self)
{
  g_return_val_if_fail (TILL_IS_CART_VIEW (self), NULL);
  return gtk_label_get_text (self->charge_label);
}

GtkListBox *
till_cart_view_get_list_box (TillCartView *self, TillCartModel *cart)
{
  AdwTabPage *page;

  g_return_val_if_fail (TILL_IS_CART_VIEW (self), NULL);

  page = find_page (self, cart);
  if (page == NULL)
    return NULL;
  return g_object_get_data (G_OBJECT (adw_tab_page_get_child (page)), PAGE_LIST_KEY);
}
