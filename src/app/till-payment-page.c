/* till-payment-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The payment step of a sale. The card form (TillPaymentView, created once and kept warm)
 * takes the card; its result is only a hint, so the page then asks the server to sync the
 * order with Stripe and shows the server's verdict natively: paid (amount, card, order
 * number), declined (the reason in plain words, Try Again on the same PaymentIntent, or
 * Back to the Cart) or an error with what to do. "finished" tells the window whether the sale
 * was paid (the cart can go) or canceled (the cart stays, for another attempt).
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "till-app-resources.h"
#include "till-checkout.h"
#include "till-decline-words.h"
#include "till-error-message.h"
#include "till-core.h"
#include "till-money-label.h"
#include "till-payment-page.h"
#include "till-receipt-printer.h"

struct _TillPaymentPage
{
  AdwBin parent_instance;

  TillClient      *client;
  TillPaymentView *view;
  char            *view_base_url; /* the server the view was made for */
  char            *view_js_url;   /* and its Stripe.js (the simulator's moves when it restarts) */
  GCancellable    *cancellable;

  /* The sale in progress. */
  TillCartModel *cart;
  TillOrder     *order;
  char          *payment_intent;
  char          *client_secret;
  gboolean       hinted_success; /* the page said succeeded; the server may not agree yet */
  gboolean       cancel_asked;   /* the cashier pressed Back to the Cart */
  gboolean       renewed;        /* a new checkout replaced an order canceled under us, once */
  gboolean       kiosk;          /* customers pay themselves: large, touch-friendly fields */

  GtkStack      *stack;
  GtkLabel      *form_title;
  AdwBin        *form_bin;
  AdwStatusPage *paid_status;
  AdwStatusPage *declined_status;
  AdwStatusPage *error_status;
  GtkWidget     *new_sale_button;
  GtkWidget     *try_again_button;
  GtkWidget     *retry_button;
  GtkWidget     *form_cancel_button;
  GtkLabel      *receipt_label;
  const char    *receipt_status; /* "none", "sending", "sent" or "failed" */
  char          *receipt_email;  /* as typed last for this sale: a failed send retypes nothing */
  GtkButton     *print_button;
  const char    *print_status; /* "none", "printing", "printed" or "failed" */
};

G_DEFINE_FINAL_TYPE (TillPaymentPage, till_payment_page, ADW_TYPE_BIN)

enum
{
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
wipe_secret (TillPaymentPage *self)
{
  if (self->client_secret != NULL)
    {
      memset (self->client_secret, 0, strlen (self->client_secret));
      g_clear_pointer (&self->client_secret, g_free);
    }
}

/* The card has yet to pay: a pending order, or a split one whose cash part is paid. */
static gboolean
awaits_card (const TillOrder *order)
{
  return order->status == TILL_ORDER_PENDING_PAYMENT || order->status == TILL_ORDER_PARTIALLY_PAID;
}

/* The order on the page was paid (and maybe refunded since): it has a receipt, and the sale
 * is done. */
static gboolean
has_paid_order (TillPaymentPage *self)
{
  return self->order != NULL && !awaits_card (self->order) &&
         self->order->status != TILL_ORDER_CANCELED;
}

static void
clear_sale (TillPaymentPage *self)
{
  wipe_secret (self);
  g_clear_pointer (&self->payment_intent, g_free);
  g_clear_pointer (&self->order, till_order_free);
  g_clear_object (&self->cart);
  g_clear_pointer (&self->receipt_email, g_free);
  self->receipt_status = "none";
  self->hinted_success = FALSE;
  self->cancel_asked = FALSE;
  self->renewed = FALSE;
}

/**
 * till_payment_page_describe_decline:
 * @decline_code: (nullable): Stripe's decline code or error code
 * @server_message: (nullable): the server's own words, used when the code is unknown
 *
 * Returns: (transfer full): why the card was declined and what to do next, in words a
 *   cashier can say to the customer.
 */
char *
till_payment_page_describe_decline (const char *decline_code, const char *server_message)
{
  const char *words = till_decline_words_lookup (decline_code);

  if (words != NULL)
    return g_strdup (words);
  if (server_message != NULL && *server_message != '\0')
    return g_strdup (server_message);
  return g_strdup (till_decline_words_generic ());
}

/* Shows a status page and puts the focus on its main button, whose accessible description
 * carries the outcome so a screen reader says it with the button. */
static void
show_status (TillPaymentPage *self, const char *name, AdwStatusPage *status, GtkWidget *focus)
{
  g_autofree char *summary = NULL;

  g_debug ("The payment page shows %s", name);
  /* At once, not faded in: the crossfade held the outcome back from the cashier for its
   * length. */
  gtk_stack_set_visible_child_full (self->stack, name, GTK_STACK_TRANSITION_TYPE_NONE);
  if (status != NULL)
    {
      summary = g_strdup_printf (
          "%s. %s", adw_status_page_get_title (status),
          adw_status_page_get_description (status) ? adw_status_page_get_description (status) : "");
      gtk_accessible_update_property (GTK_ACCESSIBLE (focus), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      summary, -1);
    }
  if (focus != NULL)
    gtk_widget_grab_focus (focus);
}

static void
show_error (TillPaymentPage *self, const char *title, const char *description)
{
  adw_status_page_set_title (self->error_status, title);
  adw_status_page_set_description (self->error_status, description);
  show_status (self, "error", self->error_status, self->retry_button);
}

/* What the card pays of @order: its total less any cash part (a split sale, whose
 * PaymentIntent is for the rest only). */
static gint64
card_amount (const TillOrder *order)
{
  gint64 cash = 0;

  if (order->tenders != NULL)
    {
      for (guint i = 0; i < order->tenders->len; i++)
        {
          const TillOrderTender *tender = g_ptr_array_index (order->tenders, i);

          if (g_strcmp0 (tender->method, "cash") == 0)
            cash += tender->amount;
        }
    }
  else if (order->status == TILL_ORDER_PENDING_PAYMENT ||
           order->status == TILL_ORDER_PARTIALLY_PAID)
    cash = order->paid_amount;
  return CLAMP (order->total - cash, 0, order->total);
}

static char *
format_total (const TillOrder *order)
{
  /* As the cart shows it, in the monetary locale: the card's part of it. */
  return till_money_label (card_amount (order), order->currency);
}

/* Receipts on the printer chosen in the preferences: after the sale, and again with Reprint.
 * The sale never waits for them; the page says how it went. */

static gboolean
has_receipt_printer (void)
{
  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  g_autofree char *address = g_settings_get_string (settings, "receipt-printer");

  return *g_strstrip (address) != '\0';
}

typedef struct
{
  TillPaymentPage *page;
  gint64           order_id;
} ReceiptPrinting;

static void
on_receipt_printed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ReceiptPrinting *printing = user_data;
  g_autoptr (TillPaymentPage) self = printing->page;
  g_autoptr (GError) error = NULL;
  gint64 order_id = printing->order_id;

  g_free (printing);
  if (till_receipt_print_finish (result, &error))
    g_debug ("The receipt was printed");
  if (self->order == NULL || self->order->id != order_id || !has_paid_order (self))
    return; /* the page has moved on to another sale */
  if (error != NULL)
    {
      self->print_status = "failed";
      gtk_label_set_text (self->receipt_label, error->message);
      gtk_button_set_label (self->print_button, _ ("_Reprint Receipt"));
    }
  else
    {
      self->print_status = "printed";
      gtk_label_set_text (self->receipt_label, _ ("The receipt was printed."));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->receipt_label), TRUE);
}

static void
print_on_receipt_printer (TillPaymentPage *self)
{
  GtkRoot         *root = gtk_widget_get_root (GTK_WIDGET (self));
  ReceiptPrinting *printing = g_new0 (ReceiptPrinting, 1);

  printing->page = g_object_ref (self);
  printing->order_id = self->order->id;
  self->print_status = "printing";
  gtk_label_set_text (self->receipt_label, _ ("Printing the receipt…"));
  gtk_widget_set_visible (GTK_WIDGET (self->receipt_label), TRUE);
  /* Not the sale's cancellable: a receipt on its way still prints after New Sale. */
  till_receipt_print_async (self->client, self->order,
                            GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, NULL,
                            on_receipt_printed, printing);
}

static void
print_after_sale (TillPaymentPage *self)
{
  gtk_button_set_label (self->print_button, _ ("_Print Receipt"));
  self->print_status = "none";
  if (has_receipt_printer ())
    print_on_receipt_printer (self);
}

/* "none", "printing", "printed" or "failed": the receipt printer's last receipt of the order
 * shown. */
const char *
till_payment_page_get_print_status (TillPaymentPage *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_PAGE (self), NULL);

  return self->print_status;
}

static void
show_paid (TillPaymentPage *self)
{
  g_autofree char *amount = format_total (self->order);
  g_autofree char *description = NULL;

  if (self->order->card_last4 != NULL)
    {
      g_autofree char *brand = g_strdup (self->order->card_brand ? self->order->card_brand : "");
      if (*brand != '\0')
        brand[0] = g_ascii_toupper (brand[0]);
      /* Translators: amount, card brand, last four digits, order number. */
      description = g_strdup_printf (_ ("%s with %s •••• %s\nOrder %s"), amount, brand,
                                     self->order->card_last4, self->order->number);
    }
  else
    /* Translators: amount and order number. */
    description = g_strdup_printf (_ ("%s\nOrder %s"), amount, self->order->number);

  adw_status_page_set_description (self->paid_status, description);
  gtk_widget_set_visible (GTK_WIDGET (self->receipt_label), FALSE);
  self->receipt_status = "none";
  print_after_sale (self);
  wipe_secret (self);
  till_payment_view_reset (self->view);
  show_status (self, "paid", self->paid_status, self->new_sale_button);
}

static void
show_declined (TillPaymentPage *self)
{
  g_autofree char *reason =
      till_payment_page_describe_decline (self->order->decline_code, self->order->decline_message);

  adw_status_page_set_description (self->declined_status, reason);
  show_status (self, "declined", self->declined_status, self->try_again_button);
}

static void
finish (TillPaymentPage *self, gboolean paid)
{
  g_autoptr (TillCartModel) cart = self->cart ? g_object_ref (self->cart) : NULL;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->view != NULL)
    till_payment_view_reset (self->view);
  clear_sale (self);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, cart, paid);
}

/* What went wrong in the words the rest of the app uses for it (a server on this computer,
 * Stripe behind a server that answers, …), so the page never contradicts the connection
 * shown in the header; then what this page adds. */
static char *
describe_failure (TillPaymentPage *self, const GError *error, const char *then)
{
  g_autoptr (TillErrorMessage) message =
      till_error_message_new_for_server (error, till_client_get_base_url (self->client));

  g_message ("Payment page: %s", error->message);
  return g_strdup_printf ("%s %s %s", message->title, message->next_step, then);
}

static void
take_order (TillPaymentPage *self, TillOrder *order)
{
  g_clear_pointer (&self->order, till_order_free);
  self->order = order;
}

static void show_form (TillPaymentPage *self);
static void check_payment (TillPaymentPage *self);

static void
on_renewed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillPaymentPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillCheckoutResult) checkout = till_checkout_start_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->order == NULL)
    return;
  if (checkout == NULL)
    {
      g_autofree char *description =
          describe_failure (self, error,
                            _ ("The old order was canceled and nothing was charged. Go back to "
                               "the cart and charge it again."));
      show_error (self, _ ("Could Not Start the Payment Again"), description);
      return;
    }
  g_message ("Order %s was canceled; the cart goes on as order %s", self->order->number,
             checkout->response->order->number);
  {
    g_autoptr (JsonNode) node = till_order_to_json (checkout->response->order);
    take_order (self, till_order_from_json (json_node_get_object (node), NULL));
  }
  g_free (self->payment_intent);
  self->payment_intent = g_strdup (checkout->response->payment_intent);
  wipe_secret (self);
  self->client_secret = g_strdup (checkout->response->client_secret);
  if (self->order == NULL || !awaits_card (self->order))
    {
      if (self->order != NULL)
        check_payment (self);
      return;
    }
  show_form (self);
}

/* A new checkout for the cart of an order canceled under us: a new client reference, so
 * the server makes a new order (and PaymentIntent); nothing of the old one can be paid. */
static void
renew_checkout (TillPaymentPage *self)
{
  self->renewed = TRUE;
  gtk_stack_set_visible_child_name (self->stack, "checking");
  till_cart_model_forget_client_reference (self->cart);
  till_checkout_start_async (self->client, self->cart, self->cancellable, on_renewed,
                             g_object_ref (self));
}

/* The server's verdict on the order, after a sync or a cancel. */
static void
show_order (TillPaymentPage *self)
{
  switch (self->order->status)
    {
      case TILL_ORDER_PAID:
      case TILL_ORDER_PARTIALLY_REFUNDED:
      case TILL_ORDER_REFUNDED:
        show_paid (self);
        break;

      case TILL_ORDER_CANCELED:
        /* Not by the cashier: its payment was abandoned, or is unknown to Stripe (the
         * training server restarted). The cart is charged again, once, as a new order. */
        if (!self->cancel_asked && !self->renewed && self->cart != NULL)
          renew_checkout (self);
        else
          show_error (self, _ ("This Sale Was Canceled"),
                      _ ("The order was canceled, so it cannot be paid any more. Cancel the sale "
                         "here and charge the cart again."));
        break;

      case TILL_ORDER_PENDING_PAYMENT:
      case TILL_ORDER_PARTIALLY_PAID:
      default:
        if (self->order->decline_code != NULL || self->order->decline_message != NULL)
          show_declined (self);
        else if (self->hinted_success)
          show_error (self, _ ("Not Confirmed Yet"),
                      _ ("Stripe has not confirmed this payment. Check again in a moment; do not "
                         "hand over the goods until it says Paid."));
        else
          show_error (self, _ ("Not Paid"),
                      _ ("The payment did not go through. Try the card again, or go back to the "
                         "cart."));
        break;
    }
}

static void
on_sync_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillPaymentPage) self = user_data;
  g_autoptr (GError) error = NULL;
  TillOrder *order = till_client_order_action_finish (TILL_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->order == NULL)
    return;
  if (order == NULL)
    {
      g_autofree char *description =
          describe_failure (self, error,
                            _ ("Nothing is lost: check again in a moment. Do not hand over the "
                               "goods until it says Paid."));
      show_error (self, _ ("Could Not Check the Payment"), description);
      return;
    }
  take_order (self, order);
  show_order (self);
}

static void
check_payment (TillPaymentPage *self)
{
  gtk_stack_set_visible_child_name (self->stack, "checking");
  till_client_sync_order_async (self->client, self->order->id, self->cancellable, on_sync_done,
                                g_object_ref (self));
}

static void
on_view_result (TillPaymentView *view, TillPayMessage *message, TillPaymentPage *self)
{
  if (self->order == NULL)
    return;
  self->hinted_success = g_strcmp0 (message->status, "succeeded") == 0 ||
                         g_strcmp0 (message->status, "processing") == 0;
  check_payment (self);
}

/* With [stripe] moto, the card the cashier typed is confirmed by the server as MOTO; its
 * answer is the order as after a sync, and shown the same way. */
static void
on_view_payment_method (TillPaymentView *view, TillPayMessage *message, TillPaymentPage *self)
{
  if (self->order == NULL)
    return;
  self->hinted_success = FALSE;
  gtk_stack_set_visible_child_name (self->stack, "checking");
  till_client_confirm_order_async (self->client, self->order->id, message->payment_method,
                                   self->kiosk, self->cancellable, on_sync_done,
                                   g_object_ref (self));
}

static void
on_view_load_error (TillPaymentView *view, const char *message, TillPaymentPage *self)
{
  if (self->order == NULL)
    return;
  show_error (self, _ ("The Card Form Is Not Available"), message);
}

static void
on_view_crashed (TillPaymentView *view, TillPaymentPage *self)
{
  /* The view reloads the page and hands the payment over again by itself. */
  g_message ("The card form restarted");
}

/* The card form's arguments for @total in @currency: FALSE if Stripe cannot take it. */
static gboolean
form_args (TillPaymentPage *self,
           gint64           total,
           const char      *currency,
           const char      *amount_label,
           TillPaymentArgs *args)
{
  const TillStoreConfig *config = till_client_get_config (self->client);
  const TillCurrency    *known = till_currency_lookup (currency);

  *args = (TillPaymentArgs){
    .publishable_key = config ? config->publishable_key : NULL,
    .amount_label = amount_label,
    .currency = currency,
    .dark = adw_style_manager_get_dark (adw_style_manager_get_default ()),
    .kiosk = self->kiosk,
    .moto = config != NULL && config->moto && !self->kiosk,
  };
  return known != NULL && till_money_to_stripe (total, known, &args->stripe_amount, NULL);
}

static void
show_form (TillPaymentPage *self)
{
  g_autofree char *amount = format_total (self->order);
  g_autofree char *title = NULL;
  TillPaymentArgs  args;

  if (!form_args (self, card_amount (self->order), self->order->currency, amount, &args))
    {
      /* The server made the intent, so Stripe took the amount; core knows every currency
       * the server does. */
      g_message ("Payment page: the order’s total cannot be given to Stripe.js");
      show_error (self, _ ("The Card Form Is Not Available"),
                  _ ("This amount cannot be paid by card. Go back to the cart."));
      return;
    }
  args.payment_intent = self->payment_intent;
  args.client_secret = self->client_secret;
  /* Translators: order number and amount, above the card form. */
  title = g_strdup_printf (_ ("Order %s · %s"), self->order->number, amount);
  gtk_label_set_text (self->form_title, title);
  self->hinted_success = FALSE;
  till_payment_view_start (self->view, &args);
  show_status (self, "form", NULL, GTK_WIDGET (till_payment_view_get_web_view (self->view)));
}

/**
 * till_payment_page_prepare_sale:
 * @cart: the cart about to be charged
 *
 * Called at Charge, before the checkout: mounts the card form for the cart's total in the
 * store's currency (Stripe's deferred intent) while the server makes the order and its
 * PaymentIntent, so that till_payment_page_begin () finds it ready. Nothing is shown, and a
 * cart the form cannot take now is left to begin ().
 */
void
till_payment_page_prepare_sale (TillPaymentPage *self, TillCartModel *cart)
{
  const TillStoreConfig *config = till_client_get_config (self->client);
  g_autofree char       *amount = NULL;
  TillTotals             totals;
  TillPaymentArgs        args;

  g_return_if_fail (TILL_IS_PAYMENT_PAGE (self));
  g_return_if_fail (TILL_IS_CART_MODEL (cart));

  if (config == NULL || config->currency == NULL || !till_payment_page_prepare (self) ||
      !till_cart_model_compute_totals (cart, NULL, &totals, NULL))
    return;
  amount = till_money_label (totals.total, config->currency);
  if (form_args (self, totals.total, config->currency, amount, &args))
    till_payment_view_prepare (self->view, &args);
}

/**
 * till_payment_page_prepare:
 *
 * Creates the card form for the client's server (once per server), so that it is loaded
 * and warm before anyone presses Charge. Returns FALSE while the server is not known.
 */
gboolean
till_payment_page_prepare (TillPaymentPage *self)
{
  const char            *base = till_client_get_base_url (self->client);
  const TillStoreConfig *config = till_client_get_config (self->client);
  g_autofree char       *page = NULL;
  g_autofree char       *js_origin = NULL;
  g_autoptr (GUri) js = NULL;
  const char *origins[2] = { NULL, NULL };

  g_return_val_if_fail (TILL_IS_PAYMENT_PAGE (self), FALSE);

  if (base == NULL || config == NULL)
    return FALSE;
  if (self->view != NULL && g_strcmp0 (self->view_base_url, base) == 0 &&
      g_strcmp0 (self->view_js_url, config->stripe_js_url) == 0)
    return TRUE;

  page = g_strconcat (base, g_str_has_suffix (base, "/") ? "" : "/", "pay/", NULL);
  /* In training (and tests) Stripe.js comes from the simulator: its origin is allowed too. */
  if (config->stripe_js_url != NULL &&
      (js = g_uri_parse (config->stripe_js_url, G_URI_FLAGS_NONE, NULL)) != NULL &&
      g_uri_get_host (js) != NULL)
    {
      if (g_uri_get_port (js) > 0)
        js_origin = g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (js), g_uri_get_host (js),
                                     g_uri_get_port (js));
      else
        js_origin = g_strdup_printf ("%s://%s", g_uri_get_scheme (js), g_uri_get_host (js));
      origins[0] = js_origin;
    }

  self->view = till_payment_view_new (page, origins);
  till_payment_view_set_training (self->view, g_strcmp0 (config->mode, "training") == 0);
  g_signal_connect_object (self->view, "result", G_CALLBACK (on_view_result), self, 0);
  g_signal_connect_object (self->view, "payment-method", G_CALLBACK (on_view_payment_method), self,
                           0);
  g_signal_connect_object (self->view, "load-error", G_CALLBACK (on_view_load_error), self, 0);
  g_signal_connect_object (self->view, "crashed", G_CALLBACK (on_view_crashed), self, 0);
  adw_bin_set_child (self->form_bin, GTK_WIDGET (self->view));
  g_free (self->view_base_url);
  self->view_base_url = g_strdup (base);
  g_free (self->view_js_url);
  self->view_js_url = g_strdup (config->stripe_js_url);
  /* A form on screen moves to the new view (the old one would stay blank). */
  if (self->order != NULL && self->client_secret != NULL &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "form") == 0)
    show_form (self);
  return TRUE;
}

/**
 * till_payment_page_begin:
 * @cart: the cart being paid (kept until the sale is paid or canceled)
 * @response: the server's checkout answer: the order, its PaymentIntent and client secret
 */
void
till_payment_page_begin (TillPaymentPage            *self,
                         TillCartModel              *cart,
                         const TillCheckoutResponse *response)
{
  g_return_if_fail (TILL_IS_PAYMENT_PAGE (self));
  g_return_if_fail (response != NULL && response->order != NULL);

  clear_sale (self);
  self->cart = g_object_ref (cart);
  {
    g_autoptr (JsonNode) node = till_order_to_json (response->order);
    self->order = till_order_from_json (json_node_get_object (node), NULL);
  }
  g_return_if_fail (self->order != NULL);
  self->payment_intent = g_strdup (response->payment_intent);
  self->client_secret = g_strdup (response->client_secret);

  if (!till_payment_page_prepare (self))
    {
      show_error (self, _ ("Not Connected"),
                  _ ("Till is not connected to the server, so the card cannot be charged. "
                     "Check the connection and try again."));
      return;
    }

  /* Already paid (a checkout repeated after a crash): say so rather than ask again. */
  if (!awaits_card (self->order))
    {
      check_payment (self);
      return;
    }
  show_form (self);
}

/* In kiosk mode the card form has large, touch-friendly fields. */
void
till_payment_page_set_kiosk (TillPaymentPage *self, gboolean kiosk)
{
  g_return_if_fail (TILL_IS_PAYMENT_PAGE (self));

  self->kiosk = kiosk;
}

/* "none", "sending", "sent" or "failed": the last Email Receipt of the order shown. */
const char *
till_payment_page_get_receipt_status (TillPaymentPage *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_PAGE (self), NULL);

  return self->receipt_status;
}

const char *
till_payment_page_get_state (TillPaymentPage *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

TillPaymentView *
till_payment_page_get_view (TillPaymentPage *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_PAGE (self), NULL);

  return self->view;
}

static void
on_cancel_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillPaymentPage) self = user_data;
  g_autoptr (GError) error = NULL;
  TillOrder *order = till_client_order_action_finish (TILL_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->order == NULL)
    return;
  if (order == NULL)
    {
      g_autofree char *description = describe_failure (
          self, error, _ ("The payment is not stopped yet; try again in a moment."));
      show_error (self, _ ("Could Not Stop the Payment"), description);
      return;
    }
  take_order (self, order);
  if (order->status == TILL_ORDER_CANCELED)
    finish (self, FALSE);
  else
    show_order (self); /* it was paid meanwhile: a paid order is refunded, not canceled */
}

/**
 * till_payment_page_print_receipt:
 * @export_pdf: (nullable): write a PDF there instead of asking which printer
 *
 * Prints the receipt of the order shown as paid.
 */
char *
till_payment_page_format_receipt (const TillOrder       *order,
                                  const TillStoreConfig *config,
                                  const char            *note)
{
  return till_receipt_printer_format (order, config, note, TILL_RECEIPT_WIDTH);
}

gboolean
till_payment_page_print_receipt (TillPaymentPage *self, const char *export_pdf, GError **error)
{
  const TillStoreConfig *config = till_client_get_config (self->client);
  g_autoptr (GtkPrintOperation) operation = NULL;
  g_autofree char        *text = NULL;
  GtkPrintOperationResult result;
  GtkRoot                *root = gtk_widget_get_root (GTK_WIDGET (self));

  g_return_val_if_fail (TILL_IS_PAYMENT_PAGE (self), FALSE);

  if (!has_paid_order (self))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("There is no paid order to print a receipt for."));
      return FALSE;
    }

  text = till_payment_page_format_receipt (
      self->order, config, self->cart ? till_cart_model_get_cart (self->cart)->note : NULL);
  operation =
      till_receipt_printer_new_operation (text, self->order->number, self->order->receipt_url);

  if (export_pdf != NULL)
    {
      gtk_print_operation_set_export_filename (operation, export_pdf);
      result = gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_EXPORT, NULL, error);
    }
  else
    {
      gtk_print_operation_set_allow_async (operation, TRUE);
      result = gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, error);
    }
  return result != GTK_PRINT_OPERATION_RESULT_ERROR;
}

static void
on_receipt_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillPaymentPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillOrder) order =
      till_client_order_action_finish (TILL_CLIENT (source), result, &error);
  g_autofree char *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (order == NULL)
    {
      /* Translators: %s says why, in the server's words. */
      text = g_strdup_printf (_ ("The receipt was not sent: %s"), error->message);
      self->receipt_status = "failed";
    }
  else
    {
      /* The simulator sends no mail: say so rather than promise one. */
      if (till_store_config_is_training (till_client_get_config (self->client)))
        text = g_strdup (_ ("Training: the address was accepted, but no email is sent."));
      else
        text = g_strdup (_ ("Stripe is emailing the receipt."));
      self->receipt_status = "sent";
    }
  gtk_label_set_text (self->receipt_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->receipt_label), TRUE);
}

/**
 * till_payment_page_send_receipt:
 * @email: the customer's address (given to Stripe only; never stored or logged here)
 *
 * Asks the server to have Stripe email the receipt of the order shown as paid; the outcome
 * appears under the buttons.
 */
void
till_payment_page_send_receipt (TillPaymentPage *self, const char *email)
{
  g_return_if_fail (TILL_IS_PAYMENT_PAGE (self));

  if (!has_paid_order (self) || !till_payment_page_email_is_valid (email))
    return;
  self->receipt_status = "sending";
  gtk_label_set_text (self->receipt_label, _ ("Sending the receipt…"));
  gtk_widget_set_visible (GTK_WIDGET (self->receipt_label), TRUE);
  till_client_send_receipt_async (self->client, self->order->id, email, self->cancellable,
                                  on_receipt_sent, g_object_ref (self));
}

static void
on_email_response (AdwMessageDialog *dialog, const char *response, TillPaymentPage *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));

  if (g_strcmp0 (response, "send") != 0)
    return;
  g_free (self->receipt_email);
  self->receipt_email = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  till_payment_page_send_receipt (self, self->receipt_email);
}

/**
 * till_payment_page_email_is_valid:
 * @email: (nullable): what was typed, spaces around it allowed
 *
 * Whether @email looks like an address a receipt can go to: one "@" with something before
 * it, a domain with a dot inside, no spaces, at most 254 characters. Stripe checks it again.
 */
gboolean
till_payment_page_email_is_valid (const char *email)
{
  g_autofree char *text = g_strstrip (g_strdup (email ? email : ""));
  const char      *at = strchr (text, '@');
  const char      *dot;

  if (*text == '\0' || strlen (text) > 254 || !g_utf8_validate (text, -1, NULL) || at == NULL ||
      at == text || strchr (at + 1, '@') != NULL)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p))
      return FALSE;
  dot = strchr (at + 1, '.');
  return dot != NULL && dot != at + 1 && dot[1] != '\0' && text[strlen (text) - 1] != '.' &&
         strstr (at, "..") == NULL;
}

/* Send needs an address. */
static void
on_email_changed (GtkEditable *entry, AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (
      dialog, "send", till_payment_page_email_is_valid (gtk_editable_get_text (entry)));
}

static void
email_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillPaymentPage  *self = TILL_PAYMENT_PAGE (widget);
  GtkRoot          *root = gtk_widget_get_root (widget);
  AdwMessageDialog *dialog;
  GtkWidget        *entry;

  if (!has_paid_order (self))
    return;
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _ ("Email Receipt"), NULL));
  adw_message_dialog_format_body (dialog,
                                  _ ("Stripe will send the receipt of order %s to this "
                                     "address."),
                                  self->order->number);
  entry = gtk_entry_new ();
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_EMAIL);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Customer’s email address"), -1);
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "send", _ ("_Send"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "send", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "send");
  g_signal_connect (entry, "changed", G_CALLBACK (on_email_changed), dialog);
  gtk_editable_set_text (GTK_EDITABLE (entry), self->receipt_email ? self->receipt_email : "");
  on_email_changed (GTK_EDITABLE (entry), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_email_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
print_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillPaymentPage *self = TILL_PAYMENT_PAGE (widget);
  g_autoptr (GError) error = NULL;

  if (has_receipt_printer () && has_paid_order (self))
    {
      print_on_receipt_printer (self);
      return;
    }
  if (!till_payment_page_print_receipt (self, NULL, &error))
    g_warning ("The receipt could not be printed: %s", error->message);
}

static void
cancel_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillPaymentPage *self = TILL_PAYMENT_PAGE (widget);

  if (self->order == NULL)
    return;
  self->cancel_asked = TRUE;
  gtk_stack_set_visible_child_name (self->stack, "checking");
  till_client_cancel_order_async (self->client, self->order->id, self->cancellable, on_cancel_done,
                                  g_object_ref (self));
}

static void
try_again_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillPaymentPage *self = TILL_PAYMENT_PAGE (widget);

  if (self->order == NULL)
    return;
  /* A canceled order's form could never be paid: a new order instead. */
  if (self->order->status == TILL_ORDER_CANCELED)
    show_order (self);
  else if (self->client_secret != NULL)
    show_form (self);
}

static void
check_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillPaymentPage *self = TILL_PAYMENT_PAGE (widget);

  if (self->order != NULL)
    check_payment (self);
}

static void
done_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillPaymentPage *self = TILL_PAYMENT_PAGE (widget);

  if (has_paid_order (self))
    finish (self, TRUE);
}

static void
till_payment_page_dispose (GObject *object)
{
  TillPaymentPage *self = TILL_PAYMENT_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  clear_sale (self);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (till_payment_page_parent_class)->dispose (object);
}

static void
till_payment_page_finalize (GObject *object)
{
  TillPaymentPage *self = TILL_PAYMENT_PAGE (object);

  g_free (self->view_base_url);
  g_free (self->view_js_url);

  G_OBJECT_CLASS (till_payment_page_parent_class)->finalize (object);
}

static void
till_payment_page_class_init (TillPaymentPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_payment_page_dispose;
  object_class->finalize = till_payment_page_finalize;

  /* The sale is over: paid (TRUE; the cart can go) or canceled (FALSE; the cart stays). */
  signals[SIGNAL_FINISHED] =
      g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 2, TILL_TYPE_CART_MODEL, G_TYPE_BOOLEAN);

  (void) till_app_get_resource (); /* keeps the static library's resources linked */
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tillpos/Till/till-payment-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TillPaymentPage, stack);
  gtk_widget_class_bind_template_child (widget_class, TillPaymentPage, form_title);
  gtk_widget_class_bind_template_child (widget_class, TillPaymentPage, form_bin);
  gtk_widget_class_bind_template_child (widget_class, TillPaymentPage, paid_status);
  gtk_widget_class_bind_template_child (widget_class, TillPaymentPage, declined_status);
  gtk_widget_class_bind_template_child (widget_class, TillPaymentPage, error_status);
  gtk_widget_class_bind_template_child (widget_class, TillPaymentPage, new_sale_button);
  gtk_widget_class_bind_template_child (widget_class, TillPaymentPage, try_again_button);
  gtk_widget_class_bind_template_child (widget_class, TillPaymentPage, retry_button);
  gtk_widget_class_bind_template_child (widget_class, TillPaymentPage, form_cancel_button);
  gtk_widget_class_bind_template_child (widget_class, TillPaymentPage, receipt_label);
  gtk_widget_class_bind_template_child (widget_class, TillPaymentPage, print_button);

  gtk_widget_class_install_action (widget_class, "payment.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "payment.try-again", NULL, try_again_action);
  gtk_widget_class_install_action (widget_class, "payment.check", NULL, check_action);
  gtk_widget_class_install_action (widget_class, "payment.done", NULL, done_action);
  gtk_widget_class_install_action (widget_class, "payment.print", NULL, print_action);
  gtk_widget_class_install_action (widget_class, "payment.email", NULL, email_action);
}

static void
till_payment_page_init (TillPaymentPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->receipt_status = "none";
  self->print_status = "none";
}

TillPaymentPage *
till_payment_page_new (TillClient *client)
{
  TillPaymentPage *self = g_object_new (TILL_TYPE_PAYMENT_PAGE, NULL);

  self->client = g_object_ref (client);
  return self;
}
