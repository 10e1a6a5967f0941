/* till-stripe-sim-render.c: the simulator's objects as Stripe's JSON.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shapes follow API version 2020-08-27 (the subset's): a PaymentIntent carries its
 * `charges` list, and also `latest_charge` (newer versions), which expand[] can turn into
 * the Charge object. Webhook events can be rendered in a later version
 * (till_sim_render_event ()).
 */
#include "config.h"

#include <string.h>

#include "till-json.h"
#include "till-stripe-sim-render-private.h"
#include "till-stripe-sim-terminal-private.h"

static void
add_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_bool (JsonBuilder *builder, const char *name, gboolean value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

static void
add_null (JsonBuilder *builder, const char *name)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_null_value (builder);
}

static void
add_metadata (JsonBuilder *builder, JsonObject *metadata)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), metadata);

  /* A copy: the state keeps changing its own. */
  json_builder_set_member_name (builder, "metadata");
  json_builder_add_value (builder, json_node_copy (node));
}

static gboolean
expanded (GPtrArray *expand, const char *field)
{
  for (guint i = 0; expand != NULL && i < expand->len; i++)
    if (g_str_equal (g_ptr_array_index (expand, i), field))
      return TRUE;
  return FALSE;
}

static void
add_card_details (JsonBuilder *builder, TillSimPaymentMethod *pm)
{
  const char *number = pm->card->number;

  json_builder_begin_object (builder);
  add_string (builder, "brand", pm->card->brand);
  json_builder_set_member_name (builder, "checks");
  json_builder_begin_object (builder);
  add_null (builder, "address_line1_check");
  add_null (builder, "address_postal_code_check");
  add_string (builder, "cvc_check", "pass");
  json_builder_end_object (builder);
  add_string (builder, "country", pm->card->country);
  add_int (builder, "exp_month", pm->exp_month);
  add_int (builder, "exp_year", pm->exp_year);
  add_string (builder, "fingerprint", NULL);
  add_string (builder, "funding", pm->card->funding);
  add_string (builder, "last4", number + strlen (number) - 4);
  json_builder_set_member_name (builder, "networks");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "available");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, pm->card->brand);
  json_builder_end_array (builder);
  add_null (builder, "preferred");
  json_builder_end_object (builder);
  add_null (builder, "three_d_secure_usage");
  add_null (builder, "wallet");
  json_builder_end_object (builder);
}

/* The EMV application of a brand: its AID (dedicated_file_name) and preferred name. */
static void
emv_application (TillSimPaymentMethod *pm, const char **aid, const char **name)
{
  gboolean credit = g_strcmp0 (pm->card->funding, "credit") == 0;

  if (g_str_equal (pm->card->brand, "mastercard"))
    {
      *aid = "A0000000041010";
      *name = credit ? "Mastercard" : "Debit Mastercard";
    }
  else if (g_str_equal (pm->card->brand, "amex"))
    {
      *aid = "A00000002501";
      *name = "American Express";
    }
  else
    {
      *aid = "A0000000031010";
      *name = credit ? "Visa Credit" : "Visa Debit";
    }
}

/* payment_method_details.card_present (and a card_present PaymentMethod's card_present):
 * with @charge, the receipt fields Terminal receipts must print. */
static void
add_card_present_details (JsonBuilder *builder, TillSimPaymentMethod *pm, TillSimCharge *charge)
{
  const char *number = pm->card->number;
  const char *aid, *name;

  emv_application (pm, &aid, &name);
  json_builder_begin_object (builder);
  if (charge != NULL)
    add_int (builder, "amount_authorized",
             g_str_equal (charge->status, "succeeded") ? charge->amount : 0);
  add_string (builder, "brand", pm->card->brand);
  /* A manual capture must come within two days of the authorization on a reader. */
  if (charge != NULL && g_str_equal (charge->status, "succeeded") && !charge->captured)
    add_int (builder, "capture_before", charge->created + 2 * 24 * 60 * 60);
  add_null (builder, "cardholder_name");
  add_string (builder, "country", pm->card->country);
  add_int (builder, "exp_month", pm->exp_month);
  add_int (builder, "exp_year", pm->exp_year);
  add_null (builder, "fingerprint");
  add_string (builder, "funding", pm->card->funding);
  add_null (builder, "generated_card");
  add_bool (builder, "incremental_authorization_supported", FALSE);
  add_string (builder, "last4", number + strlen (number) - 4);
  add_string (builder, "network", pm->card->brand);
  add_bool (builder, "overcapture_supported", FALSE);
  add_string (builder, "read_method", pm->read_method);
  json_builder_set_member_name (builder, "receipt");
  if (charge != NULL)
    {
      gboolean approved = g_str_equal (charge->status, "succeeded");

      json_builder_begin_object (builder);
      add_string (builder, "account_type",
                  g_strcmp0 (pm->card->funding, "credit") == 0  ? "credit"
                  : g_strcmp0 (pm->card->funding, "debit") == 0 ? "checking"
                                                                : "unknown");
      add_string (builder, "application_cryptogram", "6A8E1D2F3B4C5D6E");
      add_string (builder, "application_preferred_name", name);
      add_string (builder, "authorization_code", approved ? "123456" : NULL);
      /* ISO 8583's response code as two ASCII characters in hex: "00", or "05" declined. */
      add_string (builder, "authorization_response_code", approved ? "3030" : "3035");
      add_string (builder, "cardholder_verification_method", "none");
      add_string (builder, "dedicated_file_name", aid);
      add_string (builder, "terminal_verification_results", "0000000000");
      add_string (builder, "transaction_status_information", "0000");
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}

/* iDEAL: the bank, once named; the rest is known only after the bank's answer. */
static void
add_ideal_details (JsonBuilder *builder, TillSimPaymentMethod *pm)
{
  json_builder_begin_object (builder);
  add_string (builder, "bank", pm->bank);
  add_null (builder, "bic");
  json_builder_end_object (builder);
}

JsonNode *
till_sim_render_payment_method (TillSimPaymentMethod *pm)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "id", pm->id);
  add_string (builder, "object", "payment_method");
  json_builder_set_member_name (builder, "billing_details");
  json_builder_begin_object (builder);
  add_null (builder, "address");
  add_null (builder, "email");
  add_null (builder, "name");
  add_null (builder, "phone");
  json_builder_end_object (builder);
  if (pm->card != NULL && g_str_equal (pm->type, "card_present"))
    {
      json_builder_set_member_name (builder, "card_present");
      add_card_present_details (builder, pm, NULL);
    }
  else if (pm->card != NULL)
    {
      json_builder_set_member_name (builder, "card");
      add_card_details (builder, pm);
    }
  add_int (builder, "created", pm->created);
  add_null (builder, "customer");
  add_bool (builder, "livemode", FALSE);
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  json_builder_end_object (builder);
  if (pm->card == NULL)
    {
      json_builder_set_member_name (builder, pm->type);
      add_ideal_details (builder, pm);
    }
  add_string (builder, "type", pm->type);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static void
add_list (JsonBuilder *builder, const char *name, GPtrArray *nodes, const char *url)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  add_string (builder, "object", "list");
  json_builder_set_member_name (builder, "data");
  json_builder_begin_array (builder);
  for (guint i = 0; i < nodes->len; i++)
    json_builder_add_value (builder, json_node_ref (g_ptr_array_index (nodes, i)));
  json_builder_end_array (builder);
  add_bool (builder, "has_more", FALSE);
  add_int (builder, "total_count", nodes->len);
  add_string (builder, "url", url);
  json_builder_end_object (builder);
}

JsonNode *
till_sim_render_charge (TillSimState *state, TillSimCharge *charge, GPtrArray *expand)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GPtrArray) refunds = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autofree char      *refunds_url = g_strdup_printf ("/v1/charges/%s/refunds", charge->id);
  TillSimPaymentMethod *pm = till_sim_state_lookup_pm (state, charge->payment_method);
  gboolean              succeeded = g_str_equal (charge->status, "succeeded");

  /* Newest first, as Stripe lists. */
  for (guint i = charge->refunds->len; i > 0; i--)
    {
      TillSimRefund *refund =
          till_sim_state_lookup_refund (state, g_ptr_array_index (charge->refunds, i - 1));
      if (refund != NULL)
        g_ptr_array_add (refunds, till_sim_render_refund (state, refund, NULL));
    }

  json_builder_begin_object (builder);
  add_string (builder, "id", charge->id);
  add_string (builder, "object", "charge");
  add_int (builder, "amount", charge->amount);
  add_int (builder, "amount_captured", charge->amount_captured);
  add_int (builder, "amount_refunded", charge->amount_refunded);
  add_null (builder, "application");
  add_null (builder, "application_fee");
  add_null (builder, "application_fee_amount");
  add_null (builder, "balance_transaction");
  json_builder_set_member_name (builder, "billing_details");
  json_builder_begin_object (builder);
  add_null (builder, "address");
  add_null (builder, "email");
  add_null (builder, "name");
  add_null (builder, "phone");
  json_builder_end_object (builder);
  add_null (builder, "calculated_statement_descriptor");
  add_bool (builder, "captured", charge->captured);
  add_int (builder, "created", charge->created);
  add_string (builder, "currency", charge->currency);
  add_null (builder, "customer");
  add_string (builder, "description", charge->description);
  add_bool (builder, "disputed", FALSE);
  add_null (builder, "failure_balance_transaction");
  add_string (builder, "failure_code", charge->failure_code);
  add_string (builder, "failure_message", charge->failure_message);
  json_builder_set_member_name (builder, "fraud_details");
  json_builder_begin_object (builder);
  json_builder_end_object (builder);
  add_null (builder, "invoice");
  add_bool (builder, "livemode", FALSE);
  add_metadata (builder, charge->metadata);
  add_null (builder, "on_behalf_of");
  json_builder_set_member_name (builder, "outcome");
  json_builder_begin_object (builder);
  if (!succeeded && pm != NULL && pm->card != NULL && pm->card->blocked)
    {
      /* Radar's block: the payment never reached the card network. */
      add_string (builder, "network_status", "not_sent_to_network");
      add_string (builder, "reason", "highest_risk_level");
      add_string (builder, "risk_level", "highest");
      add_int (builder, "risk_score", 95);
      add_string (builder, "seller_message", "Stripe blocked this payment as too risky.");
      add_string (builder, "type", "blocked");
    }
  else
    {
      add_string (builder, "network_status",
                  succeeded ? "approved_by_network" : "declined_by_network");
      add_string (builder, "reason",
                  succeeded              ? NULL
                  : charge->decline_code ? charge->decline_code
                                         : charge->failure_code);
      add_string (builder, "risk_level", "normal");
      add_int (builder, "risk_score", 20);
      add_string (builder, "seller_message",
                  succeeded ? "Payment complete."
                            : "The bank did not return any further details with this decline.");
      add_string (builder, "type", succeeded ? "authorized" : "issuer_declined");
    }
  json_builder_end_object (builder);
  add_bool (builder, "paid", succeeded);
  if (expanded (expand, "payment_intent"))
    {
      TillSimIntent *intent = till_sim_state_lookup_intent (state, charge->payment_intent);

      json_builder_set_member_name (builder, "payment_intent");
      json_builder_add_value (builder, till_sim_render_intent (state, intent, NULL));
    }
  else
    add_string (builder, "payment_intent", charge->payment_intent);
  add_string (builder, "payment_method", charge->payment_method);
  json_builder_set_member_name (builder, "payment_method_details");
  if (pm != NULL)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, pm->type);
      if (pm->card != NULL && g_str_equal (pm->type, "card_present"))
        add_card_present_details (builder, pm, charge);
      else if (pm->card != NULL)
        add_card_details (builder, pm);
      else
        add_ideal_details (builder, pm);
      add_string (builder, "type", pm->type);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  add_string (builder, "receipt_email", charge->receipt_email);
  add_null (builder, "receipt_number");
  add_null (builder, "receipt_url");
  add_bool (builder, "refunded",
            charge->amount_refunded > 0 && charge->amount_refunded >= charge->amount);
  add_list (builder, "refunds", refunds, refunds_url);
  add_null (builder, "review");
  add_null (builder, "shipping");
  add_null (builder, "source_transfer");
  add_null (builder, "statement_descriptor");
  add_null (builder, "statement_descriptor_suffix");
  add_string (builder, "status", charge->status);
  add_null (builder, "transfer_data");
  add_null (builder, "transfer_group");
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

JsonNode *
till_sim_render_refund (TillSimState *state, TillSimRefund *refund, GPtrArray *expand)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "id", refund->id);
  add_string (builder, "object", "refund");
  add_int (builder, "amount", refund->amount);
  add_null (builder, "balance_transaction");
  if (expanded (expand, "charge"))
    {
      json_builder_set_member_name (builder, "charge");
      json_builder_add_value (
          builder, till_sim_render_charge (
                       state, till_sim_state_lookup_charge (state, refund->charge), NULL));
    }
  else
    add_string (builder, "charge", refund->charge);
  add_int (builder, "created", refund->created);
  add_string (builder, "currency", refund->currency);
  add_metadata (builder, refund->metadata);
  if (expanded (expand, "payment_intent"))
    {
      json_builder_set_member_name (builder, "payment_intent");
      json_builder_add_value (
          builder, till_sim_render_intent (
                       state, till_sim_state_lookup_intent (state, refund->payment_intent), NULL));
    }
  else
    add_string (builder, "payment_intent", refund->payment_intent);
  add_string (builder, "reason", refund->reason);
  add_null (builder, "receipt_number");
  add_null (builder, "source_transfer_reversal");
  add_string (builder, "status", refund->status);
  add_null (builder, "transfer_reversal");
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

JsonNode *
till_sim_render_intent (TillSimState *state, TillSimIntent *intent, GPtrArray *expand)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GPtrArray) charges = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autofree char *charges_url = g_strdup_printf ("/v1/charges?payment_intent=%s", intent->id);
  TillSimCharge   *latest = till_sim_state_lookup_charge (state, intent->latest_charge);

  for (guint i = intent->charges->len; i > 0; i--)
    {
      TillSimCharge *charge =
          till_sim_state_lookup_charge (state, g_ptr_array_index (intent->charges, i - 1));
      if (charge != NULL)
        g_ptr_array_add (charges, till_sim_render_charge (state, charge, NULL));
    }

  json_builder_begin_object (builder);
  add_string (builder, "id", intent->id);
  add_string (builder, "object", "payment_intent");
  add_int (builder, "amount", intent->amount);
  add_int (builder, "amount_capturable", intent->amount_capturable);
  json_builder_set_member_name (builder, "amount_details");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tip");
  json_builder_begin_object (builder);
  if (intent->amount_tip > 0)
    add_int (builder, "amount", intent->amount_tip);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  add_int (builder, "amount_received", intent->amount_received);
  add_null (builder, "application");
  add_null (builder, "application_fee_amount");
  json_builder_set_member_name (builder, "automatic_payment_methods");
  if (intent->automatic_payment_methods)
    {
      json_builder_begin_object (builder);
      add_bool (builder, "enabled", TRUE);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  if (intent->canceled_at != 0)
    add_int (builder, "canceled_at", intent->canceled_at);
  else
    add_null (builder, "canceled_at");
  add_string (builder, "cancellation_reason", intent->cancellation_reason);
  add_string (builder, "capture_method", intent->capture_method);
  add_list (builder, "charges", charges, charges_url);
  add_string (builder, "client_secret", intent->client_secret);
  add_string (builder, "confirmation_method", intent->confirmation_method);
  add_int (builder, "created", intent->created);
  add_string (builder, "currency", intent->currency);
  add_null (builder, "customer");
  add_string (builder, "description", intent->description);
  add_null (builder, "invoice");
  json_builder_set_member_name (builder, "last_payment_error");
  if (intent->last_payment_error != NULL)
    json_builder_add_value (builder, json_node_copy (intent->last_payment_error));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "latest_charge");
  if (latest != NULL && expanded (expand, "latest_charge"))
    json_builder_add_value (builder, till_sim_render_charge (state, latest, NULL));
  else if (latest != NULL)
    json_builder_add_string_value (builder, latest->id);
  else
    json_builder_add_null_value (builder);
  add_bool (builder, "livemode", FALSE);
  add_metadata (builder, intent->metadata);
  json_builder_set_member_name (builder, "next_action");
  if (intent->action_nonce != NULL)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "redirect_to_url");
      json_builder_begin_object (builder);
      add_string (builder, "return_url", intent->return_url);
      add_string (builder, "url", intent->action_url);
      json_builder_end_object (builder);
      add_string (builder, "type", "redirect_to_url");
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  add_null (builder, "on_behalf_of");
  json_builder_set_member_name (builder, "payment_method");
  {
    TillSimPaymentMethod *pm = till_sim_state_lookup_pm (state, intent->payment_method);

    if (pm != NULL && expanded (expand, "payment_method"))
      json_builder_add_value (builder, till_sim_render_payment_method (pm));
    else if (pm != NULL)
      json_builder_add_string_value (builder, pm->id);
    else
      json_builder_add_null_value (builder);
  }
  json_builder_set_member_name (builder, "payment_method_options");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "card");
  json_builder_begin_object (builder);
  add_null (builder, "installments");
  add_null (builder, "mandate_options");
  add_null (builder, "network");
  add_string (builder, "request_three_d_secure", "automatic");
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "payment_method_types");
  json_builder_begin_array (builder);
  for (guint i = 0; i < intent->payment_method_types->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (intent->payment_method_types, i));
  json_builder_end_array (builder);
  add_null (builder, "processing");
  add_string (builder, "receipt_email", intent->receipt_email);
  add_null (builder, "review");
  add_string (builder, "setup_future_usage", intent->setup_future_usage);
  add_null (builder, "shipping");
  add_null (builder, "source");
  add_string (builder, "statement_descriptor", intent->statement_descriptor);
  add_string (builder, "statement_descriptor_suffix", intent->statement_descriptor_suffix);
  add_string (builder, "status", intent->status);
  add_null (builder, "transfer_data");
  add_null (builder, "transfer_group");
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

gboolean
till_sim_render_api_version_valid (const char *api_version)
{
  gsize length = api_version != NULL ? strlen (api_version) : 0;

  if (length < 10 || (length > 10 && api_version[10] != '.') || length > 40)
    return FALSE;
  for (gsize i = 0; i < 10; i++)
    if ((i == 4 || i == 7) ? api_version[i] != '-' : !g_ascii_isdigit (api_version[i]))
      return FALSE;
  for (gsize i = 11; i < length; i++)
    if (!g_ascii_islower (api_version[i]))
      return FALSE;
  /* Dates compare as strings; older versions than the subset's are not simulated. */
  return strncmp (api_version, TILL_SIM_API_VERSION, 10) >= 0;
}

/* @object (a snapshot in this file's 2020-08-27 shape) as @api_version shows it. Stripe
 * renders an event in the API version of the webhook endpoint (set in the Dashboard, usually
 * the newest), not in the Stripe-Version of the request that caused it
 * (https://docs.stripe.com/webhooks/versioning). From 2022-11-15 a PaymentIntent has no
 * `charges` list, only `latest_charge`, an id unless expanded
 * (https://docs.stripe.com/changelog/2022-11-15/removes-charges-attribute-paymentintent),
 * and a Charge no longer carries its `refunds` list
 * (https://docs.stripe.com/changelog/2022-11-15/deprecates-charges-auto-expand). */
static void
shape_for_version (JsonObject *object, const char *api_version)
{
  const char *type = json_object_get_string_member_with_default (object, "object", "");

  if (strncmp (api_version, TILL_SIM_API_VERSION_NO_CHARGES, 10) < 0)
    return;
  if (g_str_equal (type, "payment_intent"))
    json_object_remove_member (object, "charges");
  else if (g_str_equal (type, "charge"))
    json_object_remove_member (object, "refunds");
}

JsonNode *
till_sim_render_event (TillSimEvent *event, const char *api_version)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "id", event->id);
  add_string (builder, "object", "event");
  add_string (builder, "api_version", api_version);
  add_int (builder, "created", event->created);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "object");
  {
    /* The object as it was when the event happened, as this simulator wrote it. */
    g_autoptr (JsonObject) object = till_json_parse_object (event->object, -1, NULL);

    if (object != NULL)
      shape_for_version (object, api_version);
    json_builder_add_value (builder, object != NULL
                                         ? json_node_init_object (json_node_alloc (), object)
                                         : json_node_new (JSON_NODE_NULL));
  }
  json_builder_end_object (builder);
  add_bool (builder, "livemode", FALSE);
  add_int (builder, "pending_webhooks", event->pending_webhooks);
  json_builder_set_member_name (builder, "request");
  json_builder_begin_object (builder);
  add_string (builder, "id", event->request_id);
  add_string (builder, "idempotency_key", event->idempotency_key);
  json_builder_end_object (builder);
  add_string (builder, "type", event->type);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* --- Terminal ----------------------------------------------------------------------- */

static JsonNode *
render_location (const TillSimLocation *location)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "id", location->id);
  add_string (builder, "object", "terminal.location");
  json_builder_set_member_name (builder, "address");
  json_builder_begin_object (builder);
  for (const char *const *field = (const char *const[]){ "city", "country", "line1", "line2",
                                                         "postal_code", "state", NULL };
       *field != NULL; field++)
    add_string (builder, *field,
                json_object_get_string_member_with_default (location->address, *field, NULL));
  json_builder_end_object (builder);
  add_string (builder, "display_name", location->display_name);
  add_bool (builder, "livemode", FALSE);
  add_metadata (builder, location->metadata);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static JsonNode *
render_reader (const TillSimReader *reader)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "id", reader->id);
  add_string (builder, "object", "terminal.reader");
  json_builder_set_member_name (builder, "action");
  if (reader->action_type != NULL)
    {
      json_builder_begin_object (builder);
      add_string (builder, "failure_code", reader->action_failure_code);
      add_string (builder, "failure_message", reader->action_failure_message);
      json_builder_set_member_name (builder, reader->action_type);
      json_builder_begin_object (builder);
      if (reader->action_cart != NULL)
        {
          add_string (builder, "type", "cart");
          json_builder_set_member_name (builder, "cart");
          json_builder_add_value (builder, json_node_copy (reader->action_cart));
        }
      else
        {
          add_string (builder, "payment_intent", reader->action_intent);
          json_builder_set_member_name (builder, "process_config");
          json_builder_begin_object (builder);
          add_bool (builder, "skip_tipping", reader->action_skip_tipping);
          json_builder_end_object (builder);
        }
      json_builder_end_object (builder);
      add_string (builder, "status", reader->action_status);
      add_string (builder, "type", reader->action_type);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  add_string (builder, "device_sw_version", "2.37.2.0");
  add_string (builder, "device_type", reader->device_type);
  add_string (builder, "ip_address", "0.0.0.0");
  add_string (builder, "label", reader->label);
  add_null (builder, "last_seen_at");
  add_bool (builder, "livemode", FALSE);
  add_string (builder, "location", reader->location);
  add_metadata (builder, reader->metadata);
  add_string (builder, "serial_number", reader->serial_number);
  add_string (builder, "status", reader->offline ? "offline" : "online");
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static JsonNode *
render_deleted (const TillSimDeleted *deleted)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "id", deleted->id);
  add_string (builder, "object", deleted->object);
  add_bool (builder, "deleted", TRUE);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static JsonNode *
render_object (TillSimState *state, TillSimObjectType type, gconstpointer object, GPtrArray *expand)
{
  switch (type)
    {
      case TILL_SIM_OBJECT_INTENT:
        return till_sim_render_intent (state, (TillSimIntent *) object, expand);
      case TILL_SIM_OBJECT_CHARGE:
        return till_sim_render_charge (state, (TillSimCharge *) object, expand);
      case TILL_SIM_OBJECT_REFUND:
        return till_sim_render_refund (state, (TillSimRefund *) object, expand);
      case TILL_SIM_OBJECT_PAYMENT_METHOD:
        return till_sim_render_payment_method ((TillSimPaymentMethod *) object);
      case TILL_SIM_OBJECT_EVENT:
        /* Through the API, events come in the account's version (the one the simulator
         * speaks), whatever the endpoints' versions are. */
        return till_sim_render_event ((TillSimEvent *) object, TILL_SIM_API_VERSION);
      case TILL_SIM_OBJECT_LOCATION:
        return render_location (object);
      case TILL_SIM_OBJECT_READER:
        return render_reader (object);
      case TILL_SIM_OBJECT_DELETED:
        return render_deleted (object);
      default:
        g_assert_not_reached ();
    }
}

JsonNode *
till_sim_render_snapshot (TillSimState *state, TillSimObjectType type, gconstpointer object)
{
  return render_object (state, type, object, NULL);
}

static JsonNode *
render_error (TillSimState *state, const TillSimResult *result)
{
  g_autoptr (JsonObject) extra = NULL;

  if (result->error_charge != NULL || result->error_intent != NULL ||
      result->error_payment_method != NULL)
    {
      extra = json_object_new ();
      if (result->error_charge != NULL)
        json_object_set_string_member (extra, "charge", result->error_charge);
      if (result->error_intent != NULL)
        json_object_set_member (extra, "payment_intent",
                                till_sim_render_intent (state, result->error_intent, NULL));
      if (result->error_payment_method != NULL)
        json_object_set_member (extra, "payment_method",
                                till_sim_render_payment_method (result->error_payment_method));
    }
  return till_sim_error_node (result->error_type, result->error_code, result->error_decline_code,
                              result->error_param, result->error_message, extra);
}

TillSimReply *
till_sim_render_result (TillSimState *state, const TillSimResult *result)
{
  TillSimReply *reply;

  if (result->error_type != NULL)
    reply = till_sim_reply_new (result->status, render_error (state, result));
  else if (result->items != NULL)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      add_string (builder, "object", "list");
      json_builder_set_member_name (builder, "data");
      json_builder_begin_array (builder);
      for (guint i = 0; i < result->items->len; i++)
        json_builder_add_value (builder, render_object (state, result->type,
                                                        g_ptr_array_index (result->items, i),
                                                        result->expand));
      json_builder_end_array (builder);
      add_bool (builder, "has_more", result->has_more);
      add_string (builder, "url", result->url);
      json_builder_end_object (builder);
      reply = till_sim_reply_new (result->status, json_builder_get_root (builder));
    }
  else
    reply = till_sim_reply_new (
        result->status, render_object (state, result->type, result->object, result->expand));
  reply->save = result->save;
  return reply;
}
