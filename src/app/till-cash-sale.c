/* till-cash-sale.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exactly once: the cart's client_reference is saved before anything leaves, and the same
 * reference goes to the server whether the sale is sent now or uploaded from the journal
 * later, so the server records it once however often it is sent. With the server unreachable
 * (or silent: a timeout leaves the outcome unknown) and the store allowing offline cash, the
 * sale is written to the journal, as sold (the prices the app charged), and the cashier is
 * told it waits to upload; cards are never taken offline.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-cash-dialog.h"
#include "till-cash-drawer.h"
#include "till-cash-sale.h"
#include "till-core.h"
#include "till-money-label.h"
#include "till-receipt-printer.h"

void
till_cash_sale_result_free (TillCashSaleResult *result)
{
  if (result == NULL)
    return;
  g_free (result->currency);
  g_free (result->order_number);
  g_free (result);
}

/**
 * till_cash_sale_body:
 * @cart: with its client_reference
 * @tendered: what the customer handed over
 * @offline_sold_at: (nullable): for a sale made offline, when: the lines then carry the prices
 *   the app charged (`unit_amount`, `tax_rate`), for the server to record as sold
 *
 * Returns: (transfer full): the body of POST /api/v1/checkouts, tender cash.
 */
JsonNode *
till_cash_sale_body (const TillCart *cart, gint64 tendered, GDateTime *offline_sold_at)
{
  /* Offline: as the app saves the cart, with the prices it charged (each line's name,
   * unit_amount and tax_rate, and prices_include_tax), for the server to record as sold. */
  JsonNode *body =
      offline_sold_at != NULL ? till_cart_to_json (cart) : till_cart_to_checkout_json (cart);
  JsonObject *object = json_node_get_object (body);
  JsonObject *cash = json_object_new ();

  json_object_set_string_member (object, "tender", "cash");
  json_object_set_int_member (cash, "tendered", tendered);
  json_object_set_object_member (object, "cash", cash);
  if (offline_sold_at != NULL)
    {
      JsonObject *offline = json_object_new ();
      g_autoptr (GDateTime) utc = g_date_time_to_utc (offline_sold_at);
      g_autofree char *sold_at = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");

      json_object_set_string_member (offline, "sold_at", sold_at);
      json_object_set_object_member (object, "offline", offline);
    }
  return body;
}

/**
 * till_cash_sale_offline_allowed:
 * @config: (nullable): the server's, or NULL when the till started without reaching it
 *
 * Whether the store takes cash while the server is unreachable: as @config says, or as the
 * server last said (GSettings `offline-cash`, kept by the application).
 */
gboolean
till_cash_sale_offline_allowed (const TillStoreConfig *config)
{
  g_autoptr (GSettings) settings = NULL;

  if (config != NULL)
    return config->offline_cash;
  settings = g_settings_new (TILL_APP_ID);
  return g_settings_get_boolean (settings, "offline-cash");
}

/* The store's cash rounding increment, from @config or as the server last said. */
gint64
till_cash_sale_rounding (const TillStoreConfig *config)
{
  g_autoptr (GSettings) settings = NULL;

  if (config != NULL)
    return config->cash_rounding;
  settings = g_settings_new (TILL_APP_ID);
  return g_settings_get_int64 (settings, "cash-rounding");
}

typedef struct
{
  TillClient      *client;
  TillCashJournal *journal; /* nullable */
  TillCartModel   *cart;
  TillCashDialog  *dialog;
  gint64           tendered;
  gboolean         returned;
  gboolean         sending; /* the sale is on its way: the keypad stays until it is answered */
} Sale;

static void
sale_free (Sale *sale)
{
  g_clear_object (&sale->client);
  g_clear_object (&sale->journal);
  g_clear_object (&sale->cart);
  g_clear_object (&sale->dialog);
  g_free (sale);
}

static gboolean
has_escpos_printer (void)
{
  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  g_autofree char *address = g_settings_get_string (settings, "receipt-printer");

  return *g_strstrip (address) != '\0';
}

static void
on_kicked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!till_cash_drawer_kick_finish (result, &error))
    g_message ("The cash drawer did not open: %s", error->message);
}

static void
on_printed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!till_receipt_print_finish (result, &error))
    g_message ("The cash sale's receipt was not printed: %s", error->message);
}

/* The drawer opens, then the receipt prints (on an ESC/POS printer: A4 would ask each time). */
static void
open_drawer_and_print (Sale *sale, const TillOrder *order)
{
  if (!has_escpos_printer ())
    return;
  till_cash_drawer_kick_async (NULL, on_kicked, NULL);
  if (order != NULL)
    till_receipt_print_async (sale->client, order, NULL, NULL, on_printed, NULL);
}

static void
finish (GTask *task, TillCashSaleResult *result)
{
  Sale *sale = g_task_get_task_data (task);

  sale->returned = TRUE;
  g_task_return_pointer (task, result, (GDestroyNotify) till_cash_sale_result_free);
  gtk_window_close (GTK_WINDOW (sale->dialog));
}

static gboolean
keep_offline (GTask *task, GError **error)
{
  Sale                  *sale = g_task_get_task_data (task);
  const TillStoreConfig *config = till_client_get_config (sale->client);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (JsonNode) body = NULL;
  TillCashSaleResult *result;

  if (sale->journal == NULL || !till_cash_sale_offline_allowed (config))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _ ("The server cannot be reached, and this store does not take cash "
                      "without it. Try again when the connection is back."));
      return FALSE;
    }
  body = till_cash_sale_body (till_cart_model_get_cart (sale->cart), sale->tendered, now);
  if (!till_cash_journal_add_sale (sale->journal, till_cart_model_get_client_reference (sale->cart),
                                   body, error))
    return FALSE;
  result = g_new0 (TillCashSaleResult, 1);
  result->offline = TRUE;
  till_cash_dialog_get_change (sale->dialog, &result->change);
  result->currency = g_strdup (till_cart_model_get_currency (sale->cart));
  open_drawer_and_print (sale, NULL);
  finish (task, result);
  return TRUE;
}

static gboolean
is_unreachable (const GError *error)
{
  return g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NETWORK) ||
         g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_TIMEOUT) ||
         g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NOT_CONFIGURED);
}

/* What the keypad says when the server did not take the sale. */
static const char *
cash_error_text (const GError *error)
{
  if (g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_CONFLICT) &&
      strstr (error->message, "no_drawer_session") != NULL)
    return _ ("No drawer session is open on this till. Open the drawer with its float first "
              "(Cash Drawer in the menu).");
  return error->message;
}

static void
on_checkout_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Sale *sale = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (TillCashCheckout) checkout =
      till_client_cash_checkout_finish (TILL_CLIENT (source), result, &error);
  TillCashSaleResult *done;

  sale->sending = FALSE;
  if (sale->returned)
    return;
  if (checkout == NULL)
    {
      g_autoptr (GError) offline_error = NULL;

      g_message ("Cash checkout failed: %s", error->message);
      if (is_unreachable (error) && keep_offline (task, &offline_error))
        return;
      till_cash_dialog_set_busy (sale->dialog, FALSE,
                                 offline_error != NULL ? offline_error->message
                                                       : cash_error_text (error));
      return;
    }
  done = g_new0 (TillCashSaleResult, 1);
  done->change = checkout->change;
  done->currency = g_strdup (checkout->order->currency);
  done->order_number = g_strdup (checkout->order->number);
  open_drawer_and_print (sale, checkout->order);
  finish (task, done);
}

static void
on_take_cash (TillCashDialog *dialog, gint64 tendered, GTask *task)
{
  g_autoptr (GTask) hold = g_object_ref (task);
  Sale *sale = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  sale->tendered = tendered;
  till_cash_dialog_set_busy (dialog, TRUE, NULL);
  till_cart_model_ensure_client_reference (sale->cart);
  if (till_client_get_state (sale->client) != TILL_CONNECTION_ONLINE)
    {
      if (!keep_offline (task, &error))
        till_cash_dialog_set_busy (dialog, FALSE, error->message);
      return;
    }
  {
    g_autoptr (JsonNode) body =
        till_cash_sale_body (till_cart_model_get_cart (sale->cart), tendered, NULL);

    sale->sending = TRUE;
    till_client_cash_checkout_async (sale->client, body, g_task_get_cancellable (task),
                                     on_checkout_done, g_object_ref (task));
  }
}

static gboolean
on_close_request (TillCashDialog *dialog, GTask *task)
{
  Sale *sale = g_task_get_task_data (task);

  /* Going back while the server decides would leave the sale unknown on screen. */
  if (sale->sending)
    return TRUE;
  if (!sale->returned)
    {
      sale->returned = TRUE;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The cashier went back");
    }
  g_object_unref (task);
  return FALSE;
}

/**
 * till_cash_sale_run_async:
 * @journal: (nullable): where sales go while the server is unreachable; NULL: nowhere
 *
 * Shows the cash keypad for @cart and records the sale. It ends with the sale recorded (on
 * the server or in the journal), or %G_IO_ERROR_CANCELLED when the cashier went back; errors
 * on the way are shown in the keypad, which stays open.
 */
void
till_cash_sale_run_async (GtkWindow          *parent,
                          TillClient         *client,
                          TillCashJournal    *journal,
                          TillCartModel      *cart,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  GTask                 *task = g_task_new (NULL, cancellable, callback, user_data);
  const TillStoreConfig *config = till_client_get_config (client);
  Sale                  *sale = g_new0 (Sale, 1);
  TillTotals             totals = { 0 };

  g_task_set_source_tag (task, till_cash_sale_run_async);
  sale->client = g_object_ref (client);
  sale->journal = journal != NULL ? g_object_ref (journal) : NULL;
  sale->cart = g_object_ref (cart);
  g_task_set_task_data (task, sale, (GDestroyNotify) sale_free);
  if (!till_cart_model_compute_totals (cart, NULL, &totals, NULL))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _ ("This cart cannot be totaled."));
      g_object_unref (task);
      return;
    }
  sale->dialog = g_object_ref_sink (till_cash_dialog_new (
      parent, till_cart_model_get_currency (cart), totals.total, till_cash_sale_rounding (config)));
  g_signal_connect (sale->dialog, "take-cash", G_CALLBACK (on_take_cash), task);
  /* The dialog holds the task until it closes. */
  g_signal_connect (sale->dialog, "close-request", G_CALLBACK (on_close_request), task);
  gtk_window_present (GTK_WINDOW (sale->dialog));
}

TillCashSaleResult *
till_cash_sale_run_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Split, cash first: how much in cash, the keypad for it, then the card for exactly the rest
 * on the payment page. The cash part is recorded with the order (partially paid) before the
 * card is tried: a declined card leaves it recorded. */

typedef struct
{
  TillClient     *client;
  TillCartModel  *cart;
  GtkWindow      *parent;
  TillCashDialog *dialog;
  gint64          total;
  gint64          cash_part;
  gboolean        returned;
  gboolean        sending;
} Split;

static void
split_free (Split *split)
{
  g_clear_object (&split->client);
  g_clear_object (&split->cart);
  g_clear_object (&split->parent);
  g_clear_object (&split->dialog);
  g_free (split);
}

static void ask_cash_part (GTask *task, const char *problem);

static void
on_split_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Split *split = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  TillCheckoutResponse *response =
      till_client_create_checkout_finish (TILL_CLIENT (source), result, &error);

  split->sending = FALSE;
  if (split->returned)
    {
      g_clear_pointer (&response, till_checkout_response_free);
      return;
    }
  if (response == NULL)
    {
      g_message ("Split checkout failed: %s", error->message);
      till_cash_dialog_set_busy (split->dialog, FALSE, cash_error_text (error));
      return;
    }
  split->returned = TRUE;
  g_task_return_pointer (task, response, (GDestroyNotify) till_checkout_response_free);
  if (has_escpos_printer ())
    till_cash_drawer_kick_async (NULL, on_kicked, NULL);
  gtk_window_close (GTK_WINDOW (split->dialog));
}

static void
on_split_take_cash (TillCashDialog *dialog, gint64 tendered, GTask *task)
{
  g_autoptr (GTask) hold = g_object_ref (task);
  Split *split = g_task_get_task_data (task);
  g_autoptr (JsonNode) body = NULL;
  JsonObject *cash = json_object_new ();

  till_cash_dialog_set_busy (dialog, TRUE, NULL);
  till_cart_model_ensure_client_reference (split->cart);
  body = till_cart_to_checkout_json (till_cart_model_get_cart (split->cart));
  json_object_set_string_member (json_node_get_object (body), "tender", "split");
  json_object_set_int_member (cash, "amount", split->cash_part);
  json_object_set_int_member (cash, "tendered", tendered);
  json_object_set_object_member (json_node_get_object (body), "cash", cash);
  split->sending = TRUE;
  till_client_split_checkout_async (split->client, body, g_task_get_cancellable (task),
                                    on_split_done, g_object_ref (task));
}

static gboolean
on_split_close_request (TillCashDialog *dialog, GTask *task)
{
  Split *split = g_task_get_task_data (task);

  if (split->sending)
    return TRUE;
  if (!split->returned)
    {
      split->returned = TRUE;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The cashier went back");
    }
  g_object_unref (task);
  return FALSE;
}

static void
on_cash_part (AdwMessageDialog *question, const char *response, GTask *task)
{
  Split              *split = g_task_get_task_data (task);
  const char         *currency = till_cart_model_get_currency (split->cart);
  const TillCurrency *cur = till_currency_lookup (currency);
  GtkEditable        *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (question));
  g_autofree char    *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  g_autoptr (GError) error = NULL;
  gint64 card_part = 0;

  /* One answer: closing the question afterwards would give its close response too. */
  g_signal_handlers_disconnect_by_func (question, on_cash_part, task);
  if (g_strcmp0 (response, "continue") != 0)
    {
      split->returned = TRUE;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The cashier went back");
      g_object_unref (task);
      return;
    }
  if (!till_money_parse_localized (text, cur, till_money_label_locale (), TILL_PARSE_DEFAULT,
                                   &split->cash_part, &error) ||
      !till_cash_split_card_part (split->total, split->cash_part, cur, &card_part, &error))
    {
      ask_cash_part (task, error->message);
      return;
    }
  split->dialog =
      g_object_ref_sink (till_cash_dialog_new (split->parent, currency, split->cash_part, 0));
  g_signal_connect (split->dialog, "take-cash", G_CALLBACK (on_split_take_cash), task);
  g_signal_connect (split->dialog, "close-request", G_CALLBACK (on_split_close_request), task);
  gtk_window_present (GTK_WINDOW (split->dialog));
}

static void
on_cash_part_activate (GtkEntry *entry, AdwMessageDialog *question)
{
  adw_message_dialog_response (question, "continue");
  gtk_window_close (GTK_WINDOW (question));
}

/* The question, again with @problem when the last answer would not do. */
static void
ask_cash_part (GTask *task, const char *problem)
{
  Split           *split = g_task_get_task_data (task);
  g_autofree char *total =
      till_money_label (split->total, till_cart_model_get_currency (split->cart));
  AdwMessageDialog *question = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (split->parent, _ ("How Much Is Paid in Cash?"), NULL));
  GtkWidget *entry = gtk_entry_new ();

  if (problem != NULL)
    adw_message_dialog_format_body (question, "%s", problem);
  else
    /* Translators: %s is the total; the split payment's question. */
    adw_message_dialog_format_body (question, _ ("Total %s. The rest is paid by card."), total);
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_NUMBER);
  g_signal_connect (entry, "activate", G_CALLBACK (on_cash_part_activate), question);
  adw_message_dialog_set_extra_child (question, entry);
  adw_message_dialog_add_response (question, "cancel", _ ("_Back"));
  adw_message_dialog_add_response (question, "continue", _ ("C_ontinue"));
  adw_message_dialog_set_response_appearance (question, "continue", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (question, "continue");
  adw_message_dialog_set_close_response (question, "cancel");
  g_signal_connect (question, "response", G_CALLBACK (on_cash_part), task);
  gtk_window_present (GTK_WINDOW (question));
  gtk_widget_grab_focus (entry);
}

/**
 * till_cash_sale_split_async:
 *
 * A split payment, cash first: it ends with the checkout's answer (the order, its cash part
 * recorded, and the PaymentIntent for exactly the rest) for the payment page, or
 * %G_IO_ERROR_CANCELLED when the cashier went back.
 */
void
till_cash_sale_split_async (GtkWindow          *parent,
                            TillClient         *client,
                            TillCartModel      *cart,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  GTask     *task = g_task_new (NULL, cancellable, callback, user_data);
  Split     *split = g_new0 (Split, 1);
  TillTotals totals = { 0 };

  g_task_set_source_tag (task, till_cash_sale_split_async);
  split->client = g_object_ref (client);
  split->cart = g_object_ref (cart);
  split->parent = parent != NULL ? g_object_ref (parent) : NULL;
  g_task_set_task_data (task, split, (GDestroyNotify) split_free);
  if (!till_cart_model_compute_totals (cart, NULL, &totals, NULL))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _ ("This cart cannot be totaled."));
      g_object_unref (task);
      return;
    }
  split->total = totals.total;
  ask_cash_part (task, NULL);
}

TillCheckoutResponse *
till_cash_sale_split_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Uploading the journal */

typedef struct
{
  TillCashJournal *journal;
  TillClient      *client;
  GPtrArray       *pending; /* of TillCashJournalSale, owned by the journal */
  guint            next;
  guint            uploaded;
} Upload;

static void
upload_free (Upload *upload)
{
  g_clear_object (&upload->journal);
  g_clear_object (&upload->client);
  g_clear_pointer (&upload->pending, g_ptr_array_unref);
  g_free (upload);
}

static void upload_next (GTask *task);

static void
on_uploaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Upload              *upload = g_task_get_task_data (task);
  TillCashJournalSale *sale = g_ptr_array_index (upload->pending, upload->next);
  g_autoptr (TillCashCheckout) checkout = NULL;
  GError *error = NULL;

  checkout = till_client_cash_checkout_finish (TILL_CLIENT (source), result, &error);
  if (checkout == NULL || !till_cash_journal_mark_uploaded (upload->journal, sale->client_reference,
                                                            checkout->order->number, &error))
    {
      /* Kept in the journal: sent again next time, under the same reference. */
      g_message ("An offline cash sale was not uploaded: %s", error->message);
      g_task_return_error (task, error);
      return;
    }
  g_debug ("Offline cash sale uploaded as order %s%s", checkout->order->number,
           checkout->replayed ? " (the server had it already)" : "");
  upload->uploaded++;
  upload->next++;
  upload_next (task);
}

static void
upload_next (GTask *task)
{
  Upload              *upload = g_task_get_task_data (task);
  TillCashJournalSale *sale;

  if (upload->next >= upload->pending->len)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  sale = g_ptr_array_index (upload->pending, upload->next);
  till_client_cash_checkout_async (upload->client, sale->request, g_task_get_cancellable (task),
                                   on_uploaded, g_object_ref (task));
}

/**
 * till_cash_sale_upload_async:
 *
 * Sends the journal's pending sales to the server, oldest first, one at a time, each marked
 * uploaded in the journal once the server has answered with its order. It stops at the first
 * one the server does not take (unreachable, or refused): that one and those after it stay
 * pending.
 */
void
till_cash_sale_upload_async (TillCashJournal    *journal,
                             TillClient         *client,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Upload *upload = g_new0 (Upload, 1);

  g_return_if_fail (TILL_IS_CASH_JOURNAL (journal));
  g_return_if_fail (TILL_IS_CLIENT (client));

  g_task_set_source_tag (task, till_cash_sale_upload_async);
  upload->journal = g_object_ref (journal);
  upload->client = g_object_ref (client);
  upload->pending = till_cash_journal_get_pending (journal);
  g_task_set_task_data (task, upload, (GDestroyNotify) upload_free);
  upload_next (task);
}

/* *@out_uploaded: how many were uploaded, also when it fails. */
gboolean
till_cash_sale_upload_finish (GAsyncResult *result, guint *out_uploaded, GError **error)
{
  Upload *upload;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  upload = g_task_get_task_data (G_TASK (result));
  if (out_uploaded != NULL)
    *out_uploaded = upload->uploaded;
  return g_task_propagate_boolean (G_TASK (result), error);
}
