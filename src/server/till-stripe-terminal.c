/* till-stripe-terminal.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Stripe Terminal's server-driven integration (docs.stripe.com/terminal/payments/
 * collect-payment?terminal-sdk-platform=server-driven; stripe/FACTS.md): till-server, which
 * holds the key, hands a card_present PaymentIntent to a smart reader with
 * process_payment_intent; the reader's action stays in_progress until the customer taps,
 * inserts or swipes, and its outcome comes by webhook (terminal.reader.action_succeeded or
 * _failed) or by reading the reader again. This file has the requests (their forms and
 * idempotency keys) and reads the answers strictly; what the checkout does with them is the
 * caller's.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "till-core.h"
#include "till-orders.h"
#include "till-payments.h"
#include "till-stripe-terminal.h"

#define MAX_ID 255
#define MAX_TEXT 5000

void
till_stripe_reader_free (TillStripeReader *reader)
{
  if (reader == NULL)
    return;
  g_free (reader->id);
  g_free (reader->label);
  g_free (reader->device_type);
  g_free (reader->location);
  g_free (reader->action_type);
  g_free (reader->action_payment_intent);
  g_free (reader->failure_code);
  g_free (reader->failure_message);
  g_free (reader);
}

static gboolean
parse_action (JsonObject *action, TillStripeReader *reader, GError **error)
{
  g_autofree char *status = NULL;
  JsonObject      *process = NULL;

  if (!till_json_get_string (action, "action.", "type", TRUE, MAX_ID, &reader->action_type,
                             error) ||
      !till_json_get_string (action, "action.", "status", TRUE, MAX_ID, &status, error) ||
      !till_json_get_string (action, "action.", "failure_code", FALSE, MAX_ID,
                             &reader->failure_code, error) ||
      !till_json_get_string (action, "action.", "failure_message", FALSE, MAX_TEXT,
                             &reader->failure_message, error) ||
      !till_json_get_object (action, "action.", "process_payment_intent", FALSE, &process, error))
    return FALSE;
  if (process != NULL &&
      !till_json_get_string (process, "action.process_payment_intent.", "payment_intent", TRUE,
                             MAX_ID, &reader->action_payment_intent, error))
    return FALSE;

  if (g_str_equal (status, "in_progress"))
    reader->action_status = TILL_STRIPE_READER_ACTION_IN_PROGRESS;
  else if (g_str_equal (status, "succeeded"))
    reader->action_status = TILL_STRIPE_READER_ACTION_SUCCEEDED;
  else if (g_str_equal (status, "failed"))
    reader->action_status = TILL_STRIPE_READER_ACTION_FAILED;
  else
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   "action.status: “%s” is not a reader action's status", status);
      return FALSE;
    }
  return TRUE;
}

/**
 * till_stripe_reader_parse:
 * @object: a terminal.reader
 *
 * Returns: (transfer full) (nullable): the reader, or %NULL when @object is not one (an
 *   unknown action status included: a reader we cannot read is not taken as idle).
 */
TillStripeReader *
till_stripe_reader_parse (JsonObject *object, GError **error)
{
  g_autoptr (TillStripeReader) reader = g_new0 (TillStripeReader, 1);
  g_autofree char *type = NULL;
  g_autofree char *status = NULL;
  JsonObject      *action = NULL;

  if (!till_json_get_string (object, "", "object", TRUE, MAX_ID, &type, error))
    return NULL;
  if (!g_str_equal (type, "terminal.reader"))
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   "object: “%s” is not a terminal.reader", type);
      return NULL;
    }
  if (!till_json_get_string (object, "", "id", TRUE, MAX_ID, &reader->id, error) ||
      !till_json_get_string (object, "", "label", FALSE, MAX_TEXT, &reader->label, error) ||
      !till_json_get_string (object, "", "device_type", TRUE, MAX_ID, &reader->device_type,
                             error) ||
      !till_json_get_string (object, "", "location", FALSE, MAX_ID, &reader->location, error) ||
      !till_json_get_string (object, "", "status", FALSE, MAX_ID, &status, error) ||
      !till_json_get_object (object, "", "action", FALSE, &action, error))
    return NULL;
  reader->online = g_strcmp0 (status, "online") == 0;
  if (action != NULL && !parse_action (action, reader, error))
    return NULL;
  return g_steal_pointer (&reader);
}

void
till_card_present_free (TillCardPresent *details)
{
  if (details == NULL)
    return;
  g_free (details->brand);
  g_free (details->last4);
  g_free (details->read_method);
  g_free (details->application_name);
  g_free (details->application_id);
  g_free (details->account_type);
  g_free (details->authorization_code);
  g_free (details->authorization_response_code);
  g_free (details->cardholder_verification);
  g_free (details);
}

/* A charge's payment_method_details.card_present, or NULL (no error) when it has none. */
static JsonObject *
charge_card_present (JsonObject *charge, GError **error)
{
  JsonObject *details = NULL;
  JsonObject *card_present = NULL;

  if (!till_json_get_object (charge, "charge.", "payment_method_details", FALSE, &details, error) ||
      details == NULL ||
      !till_json_get_object (details, "charge.payment_method_details.", "card_present", FALSE,
                             &card_present, error))
    return NULL;
  return card_present;
}

/**
 * till_card_present_parse:
 * @object: a PaymentIntent (2020-08-27, with its charges list) or a Charge
 *
 * Returns: (transfer full) (nullable): the newest charge's card-present details
 */
TillCardPresent *
till_card_present_parse (JsonObject *object, GError **error)
{
  g_autoptr (TillCardPresent) details = g_new0 (TillCardPresent, 1);
  g_autofree char *type = NULL;
  JsonObject      *card_present = NULL;
  JsonObject      *receipt = NULL;
  const char      *path = "card_present.";
  const char      *receipt_path = "card_present.receipt.";

  if (!till_json_get_string (object, "", "object", TRUE, MAX_ID, &type, error))
    return NULL;
  if (g_str_equal (type, "charge"))
    card_present = charge_card_present (object, error);
  else if (g_str_equal (type, "payment_intent"))
    {
      JsonObject *charges = NULL;
      JsonArray  *data = NULL;

      /* Newest first, as Stripe lists. */
      if (!till_json_get_object (object, "", "charges", FALSE, &charges, error) ||
          (charges != NULL &&
           !till_json_get_array (charges, "charges.", "data", TRUE, &data, error)))
        return NULL;
      if (data != NULL && json_array_get_length (data) > 0)
        {
          JsonNode *first = json_array_get_element (data, 0);

          if (!JSON_NODE_HOLDS_OBJECT (first))
            {
              g_set_error_literal (error, TILL_JSON_ERROR, TILL_JSON_ERROR_TYPE,
                                   "charges.data[0]: not an object");
              return NULL;
            }
          card_present = charge_card_present (json_node_get_object (first), error);
        }
    }
  if (error != NULL && *error != NULL)
    return NULL;
  if (card_present == NULL)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_MISSING,
                   "payment_method_details.card_present: the %s has no card-present charge", type);
      return NULL;
    }

  if (!till_json_get_string (card_present, path, "brand", TRUE, MAX_ID, &details->brand, error) ||
      !till_json_get_string (card_present, path, "last4", TRUE, 4, &details->last4, error) ||
      !till_json_get_string (card_present, path, "read_method", FALSE, MAX_ID,
                             &details->read_method, error) ||
      !till_json_get_object (card_present, path, "receipt", FALSE, &receipt, error))
    return NULL;
  if (receipt != NULL &&
      (!till_json_get_string (receipt, receipt_path, "application_preferred_name", FALSE, MAX_TEXT,
                              &details->application_name, error) ||
       !till_json_get_string (receipt, receipt_path, "dedicated_file_name", FALSE, MAX_ID,
                              &details->application_id, error) ||
       !till_json_get_string (receipt, receipt_path, "account_type", FALSE, MAX_ID,
                              &details->account_type, error) ||
       !till_json_get_string (receipt, receipt_path, "authorization_code", FALSE, MAX_ID,
                              &details->authorization_code, error) ||
       !till_json_get_string (receipt, receipt_path, "authorization_response_code", FALSE, MAX_ID,
                              &details->authorization_response_code, error) ||
       !till_json_get_string (receipt, receipt_path, "cardholder_verification_method", FALSE,
                              MAX_ID, &details->cardholder_verification, error)))
    return NULL;
  return g_steal_pointer (&details);
}

/* --- requests ----------------------------------------------------------------------- */

char *
till_stripe_reader_path (TillStripeReaderCall call, const char *reader_id)
{
  g_autofree char *id = g_uri_escape_string (reader_id, NULL, FALSE);

  switch (call)
    {
      case TILL_STRIPE_READER_RETRIEVE:
        return g_strdup_printf ("/v1/terminal/readers/%s", id);
      case TILL_STRIPE_READER_PROCESS_PAYMENT_INTENT:
        return g_strdup_printf ("/v1/terminal/readers/%s/process_payment_intent", id);
      case TILL_STRIPE_READER_CANCEL_ACTION:
        return g_strdup_printf ("/v1/terminal/readers/%s/cancel_action", id);
      case TILL_STRIPE_READER_SET_READER_DISPLAY:
        return g_strdup_printf ("/v1/terminal/readers/%s/set_reader_display", id);
      case TILL_STRIPE_READER_PRESENT_PAYMENT_METHOD:
        return g_strdup_printf ("/v1/test_helpers/terminal/readers/%s/present_payment_method", id);
      default:
        g_return_val_if_reached (NULL);
    }
}

void
till_stripe_reader_call_async (TillStripeClient    *client,
                               TillStripeReaderCall call,
                               const char          *reader_id,
                               TillStripeForm      *form,
                               const char          *idempotency_key,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autofree char *path = till_stripe_reader_path (call, reader_id);
  gboolean         get = call == TILL_STRIPE_READER_RETRIEVE;

  till_stripe_client_request_async (client, get ? "GET" : "POST", path, get ? NULL : form,
                                    get ? NULL : idempotency_key, cancellable, callback, user_data);
}

TillStripeForm *
till_stripe_terminal_location_form (const char *display_name,
                                    const char *line1,
                                    const char *city,
                                    const char *postal_code,
                                    const char *country)
{
  TillStripeForm *form = till_stripe_form_new ();

  till_stripe_form_add (form, "display_name", display_name);
  if (line1 != NULL)
    till_stripe_form_add (form, "address[line1]", line1);
  if (city != NULL)
    till_stripe_form_add (form, "address[city]", city);
  if (postal_code != NULL)
    till_stripe_form_add (form, "address[postal_code]", postal_code);
  till_stripe_form_add (form, "address[country]", country);
  return form;
}

TillStripeForm *
till_stripe_terminal_register_form (const char *code, const char *label, const char *location)
{
  TillStripeForm *form = till_stripe_form_new ();

  till_stripe_form_add (form, "registration_code", code);
  if (label != NULL)
    till_stripe_form_add (form, "label", label);
  if (location != NULL)
    till_stripe_form_add (form, "location", location);
  return form;
}

TillStripeForm *
till_stripe_terminal_intent_form (TillDatabase    *db,
                                  const TillOrder *order,
                                  const char      *store_name,
                                  gboolean         manual_capture,
                                  GError         **error)
{
  g_autoptr (TillStripeForm) form = till_stripe_form_new ();
  const TillCurrency *currency = till_currency_lookup (order->currency);
  g_autofree char    *description = NULL;
  gint64              amount;

  if (currency == NULL || !till_money_to_stripe (order->total, currency, &amount, error))
    return NULL;
  till_stripe_form_add_int (form, "amount", amount);
  till_stripe_form_add (form, "currency", till_currency_get_stripe_code (currency));
  till_stripe_form_add (form, "payment_method_types[]", "card_present");
  till_stripe_form_add (form, "capture_method", manual_capture ? "manual" : "automatic");
  /* The metadata of every intent of ours (till_payments_intent_form ()). */
  till_stripe_form_add_int (form, "metadata[till_order_id]", order->id);
  till_stripe_form_add (form, "metadata[till_order_number]", order->number);
  till_stripe_form_add (form, "metadata[till_instance]", till_database_get_instance (db));
  description = g_strdup_printf ("%s %s", store_name, order->number);
  if (g_utf8_strlen (description, -1) > 1000)
    *g_utf8_offset_to_pointer (description, 1000) = '\0';
  till_stripe_form_add (form, "description", description);
  return g_steal_pointer (&form);
}

char *
till_stripe_terminal_intent_key (TillDatabase *db, gint64 order_id)
{
  return till_payments_key (db, order_id, "payment-intent-card-present");
}

TillStripeForm *
till_stripe_terminal_process_form (const char *payment_intent)
{
  TillStripeForm *form = till_stripe_form_new ();

  till_stripe_form_add (form, "payment_intent", payment_intent);
  return form;
}

char *
till_stripe_terminal_process_key (TillDatabase *db, gint64 order_id, guint attempt)
{
  g_autofree char *what = g_strdup_printf ("reader-process-%u", attempt);

  return till_payments_key (db, order_id, what);
}

/* Line amounts in Stripe's units without Stripe's minimum charge: a line may cost less. */
TillStripeForm *
till_stripe_terminal_display_form (const TillOrder *order, GError **error)
{
  g_autoptr (TillStripeForm) form = till_stripe_form_new ();
  const TillCurrency *currency = till_currency_lookup (order->currency);
  gint64              amount;

  if (currency == NULL)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID, "unknown currency “%s”",
                   order->currency);
      return NULL;
    }
  till_stripe_form_add (form, "type", "cart");
  till_stripe_form_add (form, "cart[currency]", till_currency_get_stripe_code (currency));
  for (guint i = 0; i < order->lines->len; i++)
    {
      const TillOrderLine *line = g_ptr_array_index (order->lines, i);
      g_autofree char     *amount_key = g_strdup_printf ("cart[line_items][%u][amount]", i);
      g_autofree char *description_key = g_strdup_printf ("cart[line_items][%u][description]", i);
      g_autofree char *quantity_key = g_strdup_printf ("cart[line_items][%u][quantity]", i);

      if (!till_money_to_stripe_refund (line->unit_amount, currency, &amount, error))
        return NULL;
      till_stripe_form_add (form, description_key, line->name);
      till_stripe_form_add_int (form, amount_key, amount);
      till_stripe_form_add_int (form, quantity_key, line->quantity);
    }
  if (!till_money_to_stripe_refund (order->tax, currency, &amount, error))
    return NULL;
  till_stripe_form_add_int (form, "cart[tax]", amount);
  if (!till_money_to_stripe_refund (order->total, currency, &amount, error))
    return NULL;
  till_stripe_form_add_int (form, "cart[total]", amount);
  return g_steal_pointer (&form);
}

char *
till_stripe_terminal_describe_failure (const char *code)
{
  static const struct
  {
    const char *code;
    const char *words;
  } failures[] = {
    { "terminal_reader_busy", N_ ("The card reader is busy with another payment.") },
    { "terminal_reader_offline",
      N_ ("The card reader is offline. Check that it is on and connected.") },
    { "terminal_reader_timeout",
      N_ ("The card reader did not answer in time. Check that it is on and connected.") },
    { "canceled", N_ ("The payment on the card reader was canceled.") },
    { "intent_invalid_state", N_ ("The payment is not in a state the card reader can take.") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (failures); i++)
    if (g_strcmp0 (code, failures[i].code) == 0)
      return g_strdup (_ (failures[i].words));
  {
    g_autoptr (JsonObject) error = json_object_new ();

    /* A decline on the reader: the card's own words (till_stripe_describe_error ()). */
    json_object_set_string_member (error, "code", code ? code : "");
    json_object_set_string_member (error, "type", "card_error");
    return till_stripe_describe_error (error);
  }
}
