/* till-stripe-sim-terminal.c: Stripe Terminal's locations and smart readers, driven by the
 * API (the server-driven integration: docs.stripe.com/terminal/payments/collect-payment
 * ?terminal-sdk-platform=server-driven, and stripe/FACTS.md).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every reader here is a simulated one (registration codes simulated-wpe and simulated-s700).
 * As with Stripe, a reader's action is asynchronous: process_payment_intent leaves it
 * in_progress until a card is presented (the present_payment_method test helper), the action
 * is canceled, or the reader times out; the outcome comes as terminal.reader.action_succeeded
 * or terminal.reader.action_failed. Like the state, this file returns TillSimResults and
 * never renders.
 */
#include "config.h"

#include <string.h>

#include "till-currency.h"
#include "till-stripe-sim-terminal-private.h"

#define MAX_AMOUNT G_GINT64_CONSTANT (99999999)
#define MAX_LINE_ITEMS 100

struct _TillSimTerminal
{
  TillSimState   *state;
  GHashTable     *locations;      /* id → TillSimLocation */
  GPtrArray      *location_order; /* oldest first (owned by locations) */
  GHashTable     *readers;        /* id → TillSimReader */
  GPtrArray      *reader_order;   /* oldest first (owned by readers) */
  guint           max_each;       /* 0: no limit */
  guint           next_serial;
  TillSimDeleted *deleted; /* the last DELETE's answer, until the next one */
};

static void
location_free (TillSimLocation *location)
{
  g_free (location->id);
  g_free (location->display_name);
  json_object_unref (location->address);
  json_object_unref (location->metadata);
  g_free (location);
}

static void
clear_action (TillSimReader *reader)
{
  g_clear_pointer (&reader->action_type, g_free);
  g_clear_pointer (&reader->action_status, g_free);
  g_clear_pointer (&reader->action_failure_code, g_free);
  g_clear_pointer (&reader->action_failure_message, g_free);
  g_clear_pointer (&reader->action_intent, g_free);
  g_clear_pointer (&reader->action_cart, json_node_unref);
  reader->action_skip_tipping = FALSE;
}

static void
reader_free (TillSimReader *reader)
{
  clear_action (reader);
  g_free (reader->id);
  g_free (reader->serial_number);
  g_free (reader->label);
  g_free (reader->location);
  json_object_unref (reader->metadata);
  g_free (reader);
}

static void
deleted_free (TillSimDeleted *deleted)
{
  if (deleted == NULL)
    return;
  g_free (deleted->id);
  g_free (deleted);
}

TillSimTerminal *
till_sim_terminal_new (TillSimState *state)
{
  TillSimTerminal *terminal = g_new0 (TillSimTerminal, 1);

  terminal->state = state;
  terminal->locations =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) location_free);
  terminal->location_order = g_ptr_array_new ();
  terminal->readers =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) reader_free);
  terminal->reader_order = g_ptr_array_new ();
  return terminal;
}

void
till_sim_terminal_free (TillSimTerminal *terminal)
{
  if (terminal == NULL)
    return;
  g_ptr_array_unref (terminal->location_order);
  g_ptr_array_unref (terminal->reader_order);
  g_hash_table_unref (terminal->locations);
  g_hash_table_unref (terminal->readers);
  deleted_free (terminal->deleted);
  g_free (terminal);
}

void
till_sim_terminal_set_retention (TillSimTerminal *terminal, guint max_each)
{
  terminal->max_each = max_each;
}

guint
till_sim_terminal_prune (TillSimTerminal *terminal)
{
  guint forgotten = 0;

  while (terminal->max_each > 0 && terminal->reader_order->len > terminal->max_each)
    {
      TillSimReader *reader = g_ptr_array_steal_index (terminal->reader_order, 0);

      g_hash_table_remove (terminal->readers, reader->id);
      forgotten++;
    }
  while (terminal->max_each > 0 && terminal->location_order->len > terminal->max_each)
    {
      TillSimLocation *location = g_ptr_array_steal_index (terminal->location_order, 0);

      g_hash_table_remove (terminal->locations, location->id);
      forgotten++;
    }
  return forgotten;
}

void
till_sim_terminal_get_counts (TillSimTerminal *terminal, guint *locations, guint *readers)
{
  *locations = g_hash_table_size (terminal->locations);
  *readers = g_hash_table_size (terminal->readers);
}

TillSimReader *
till_sim_terminal_lookup_reader (TillSimTerminal *terminal, const char *id)
{
  return id ? g_hash_table_lookup (terminal->readers, id) : NULL;
}

/* --- parameters and errors ---------------------------------------------------------- */

static JsonNode *
param (JsonNode *params, const char *name)
{
  if (params == NULL || !JSON_NODE_HOLDS_OBJECT (params))
    return NULL;
  return json_object_get_member (json_node_get_object (params), name);
}

static const char *
param_string (JsonNode *params, const char *name)
{
  JsonNode *node = param (params, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  return json_node_get_string (node);
}

static gboolean
param_int (JsonNode *params, const char *name, gint64 *value)
{
  const char *text = param_string (params, name);

  if (text == NULL)
    return FALSE;
  *value = g_ascii_strtoll (text, NULL, 10);
  return TRUE;
}

/* Nothing here expands: expand[] names an unknown field. */
static TillSimResult *
check_expand (JsonNode *params)
{
  JsonNode *node = param (params, "expand");

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) ||
      json_array_get_length (json_node_get_array (node)) == 0)
    return NULL;
  return till_sim_result_new_error (
      400, "invalid_request_error", NULL, "expand[0]", "This property cannot be expanded (%s).",
      json_array_get_string_element (json_node_get_array (node), 0) ?: "");
}

static TillSimResult *
saved (TillSimResult *result)
{
  /* An error of the endpoint once it looked at the objects: kept for replays. */
  result->save = TRUE;
  return result;
}

static TillSimResult *
no_such_reader (const char *id)
{
  return till_sim_result_new_error (404, "invalid_request_error", "resource_missing", "reader",
                                    "No such reader: '%s'", id);
}

static TillSimResult *
reader_offline (void)
{
  return saved (till_sim_result_new_error (
      400, "invalid_request_error", "terminal_reader_offline", NULL,
      "Reader is currently offline, please ensure the reader is powered on and connected to the "
      "internet before retrying your request. Reference the integration guide at "
      "https://stripe.com/docs/terminal/payments/collect-payment?terminal-sdk-platform="
      "server-driven#handle-errors for details on how to handle this error."));
}

/* Not kept for replays, like Stripe's lock_timeout: a retry with the same key, once the
 * reader is free, runs. The pipeline adds Stripe-Should-Retry: false (retrying at once only
 * finds it busy again). */
static TillSimResult *
reader_busy (void)
{
  return (till_sim_result_new_error (
      409, "invalid_request_error", "terminal_reader_busy", NULL,
      "Reader is currently busy processing another request. Please reference the integration "
      "guide at https://stripe.com/docs/terminal/payments/collect-payment?terminal-sdk-platform="
      "server-driven#handle-errors for details on how to handle this error."));
}

static gboolean
action_in_progress (TillSimReader *reader)
{
  return g_strcmp0 (reader->action_status, "in_progress") == 0;
}

/* A reader that can take an action now, or the error Stripe answers. */
static TillSimResult *
usable_reader (TillSimTerminal *terminal, const char *id, TillSimReader **out)
{
  TillSimReader *reader = till_sim_terminal_lookup_reader (terminal, id);

  *out = NULL;
  if (reader == NULL)
    return no_such_reader (id);
  if (reader->offline)
    return reader_offline ();
  *out = reader;
  return NULL;
}

static TillSimResult *
reader_result (TillSimReader *reader)
{
  return till_sim_result_new_object (200, TILL_SIM_OBJECT_READER, reader);
}

static void
start_action (TillSimTerminal *terminal, TillSimReader *reader, const char *type)
{
  clear_action (reader);
  reader->action_type = g_strdup (type);
  reader->action_status = g_strdup ("in_progress");
  reader->action_serial = ++terminal->next_serial;
}

static void
finish_action (TillSimTerminal *terminal,
               TillSimRequest  *request,
               TillSimReader   *reader,
               const char      *failure_code,
               const char      *failure_message)
{
  g_free (reader->action_status);
  reader->action_status = g_strdup (failure_code ? "failed" : "succeeded");
  g_free (reader->action_failure_code);
  reader->action_failure_code = g_strdup (failure_code);
  g_free (reader->action_failure_message);
  reader->action_failure_message = g_strdup (failure_message);
  till_sim_state_emit (terminal->state, request,
                       failure_code ? "terminal.reader.action_failed"
                                    : "terminal.reader.action_succeeded",
                       TILL_SIM_OBJECT_READER, reader);
}

/* --- locations ---------------------------------------------------------------------- */

TillSimResult *
till_sim_terminal_create_location (TillSimTerminal *terminal,
                                   TillSimRequest  *request,
                                   JsonNode        *params)
{
  const char      *display_name = param_string (params, "display_name");
  JsonNode        *address = param (params, "address");
  const char      *country = param_string (address, "country");
  TillSimLocation *location;
  TillSimResult   *error;

  if ((error = check_expand (params)) != NULL)
    return error;
  if (display_name == NULL || *display_name == '\0')
    return till_sim_result_new_error (400, "invalid_request_error", "parameter_missing",
                                      "display_name", "Missing required param: display_name.");
  if (address == NULL || !JSON_NODE_HOLDS_OBJECT (address))
    return till_sim_result_new_error (400, "invalid_request_error", "parameter_missing", "address",
                                      "Missing required param: address.");
  if (country == NULL || strlen (country) != 2 || !g_ascii_isupper (country[0]) ||
      !g_ascii_isupper (country[1]))
    return till_sim_result_new_error (400, "invalid_request_error", "parameter_invalid",
                                      "address[country]",
                                      "Country '%s' is unknown. Try using a 2-character "
                                      "alphanumeric country code instead, such as 'US', 'EG', "
                                      "or 'GB'. A full list of country codes is available at "
                                      "https://stripe.com/docs/api#country_codes",
                                      country ? country : "");
  if ((error = till_sim_state_check_metadata (NULL, param (params, "metadata"))) != NULL)
    return error;

  location = g_new0 (TillSimLocation, 1);
  location->id = till_sim_random_id ("tml_", 24);
  location->created = till_sim_state_now (terminal->state);
  location->display_name = g_strdup (display_name);
  location->address = json_object_new ();
  for (const char *const *field = (const char *const[]){ "city", "country", "line1", "line2",
                                                         "postal_code", "state", NULL };
       *field != NULL; field++)
    {
      const char *value = param_string (address, *field);

      if (value != NULL && *value != '\0')
        json_object_set_string_member (location->address, *field, value);
    }
  location->metadata = json_object_new ();
  till_sim_state_apply_metadata (location->metadata, param (params, "metadata"));
  g_hash_table_insert (terminal->locations, location->id, location);
  g_ptr_array_add (terminal->location_order, location);
  return till_sim_result_new_object (200, TILL_SIM_OBJECT_LOCATION, location);
}

TillSimResult *
till_sim_terminal_retrieve_location (TillSimTerminal *terminal,
                                     TillSimRequest  *request,
                                     const char      *id,
                                     JsonNode        *params)
{
  TillSimLocation *location = g_hash_table_lookup (terminal->locations, id);
  TillSimResult   *error;

  if ((error = check_expand (params)) != NULL)
    return error;
  if (location == NULL)
    return till_sim_result_new_error (404, "invalid_request_error", "resource_missing", "location",
                                      "No such location: '%s'", id);
  return till_sim_result_new_object (200, TILL_SIM_OBJECT_LOCATION, location);
}

static const char *
location_id (gpointer item)
{
  return ((TillSimLocation *) item)->id;
}

static gboolean
location_matches (gpointer item, JsonNode *params)
{
  return TRUE;
}

TillSimResult *
till_sim_terminal_list_locations (TillSimTerminal *terminal,
                                  TillSimRequest  *request,
                                  JsonNode        *params)
{
  return till_sim_state_list_page (TILL_SIM_OBJECT_LOCATION, terminal->location_order, params,
                                   "/v1/terminal/locations", "location", location_id,
                                   location_matches);
}

/* --- readers ------------------------------------------------------------------------ */

TillSimResult *
till_sim_terminal_create_reader (TillSimTerminal *terminal,
                                 TillSimRequest  *request,
                                 JsonNode        *params)
{
  const char      *code = param_string (params, "registration_code");
  const char      *location = param_string (params, "location");
  const char      *label = param_string (params, "label");
  const char      *device_type;
  TillSimReader   *reader;
  TillSimResult   *error;
  g_autofree char *suffix = NULL;

  if ((error = check_expand (params)) != NULL)
    return error;
  if (code == NULL)
    return till_sim_result_new_error (400, "invalid_request_error", "parameter_missing",
                                      "registration_code",
                                      "Missing required param: registration_code.");
  /* The simulator has no hardware: only Stripe's codes for simulated readers register. */
  if (g_str_equal (code, "simulated-wpe"))
    device_type = "simulated_wisepos_e";
  else if (g_str_equal (code, "simulated-s700"))
    device_type = "simulated_stripe_s700";
  else
    return till_sim_result_new_error (
        400, "invalid_request_error", NULL, "registration_code",
        "The registration code you provided is invalid. The simulator registers simulated "
        "readers only: use registration_code=simulated-wpe or simulated-s700.");
  if (location != NULL && g_hash_table_lookup (terminal->locations, location) == NULL)
    return till_sim_result_new_error (400, "invalid_request_error", "resource_missing", "location",
                                      "No such location: '%s'", location);
  if ((error = till_sim_state_check_metadata (NULL, param (params, "metadata"))) != NULL)
    return error;

  reader = g_new0 (TillSimReader, 1);
  reader->id = till_sim_random_id ("tmr_", 24);
  reader->created = till_sim_state_now (terminal->state);
  reader->device_type = device_type;
  suffix = till_sim_random_id ("", 12);
  reader->serial_number =
      g_strdup_printf ("%s-%.3s-%.3s-%.2s-%.3s", code, suffix, suffix + 3, suffix + 6, suffix + 8);
  reader->label = g_strdup (label != NULL && *label != '\0' ? label : reader->serial_number);
  reader->location = g_strdup (location);
  reader->metadata = json_object_new ();
  till_sim_state_apply_metadata (reader->metadata, param (params, "metadata"));
  g_hash_table_insert (terminal->readers, reader->id, reader);
  g_ptr_array_add (terminal->reader_order, reader);
  return reader_result (reader);
}

TillSimResult *
till_sim_terminal_retrieve_reader (TillSimTerminal *terminal,
                                   TillSimRequest  *request,
                                   const char      *id,
                                   JsonNode        *params)
{
  TillSimReader *reader = till_sim_terminal_lookup_reader (terminal, id);
  TillSimResult *error;

  if ((error = check_expand (params)) != NULL)
    return error;
  if (reader == NULL)
    return no_such_reader (id);
  return reader_result (reader);
}

TillSimResult *
till_sim_terminal_update_reader (TillSimTerminal *terminal,
                                 TillSimRequest  *request,
                                 const char      *id,
                                 JsonNode        *params)
{
  TillSimReader *reader = till_sim_terminal_lookup_reader (terminal, id);
  const char    *label = param_string (params, "label");
  TillSimResult *error;

  if ((error = check_expand (params)) != NULL)
    return error;
  if (reader == NULL)
    return no_such_reader (id);
  if ((error = till_sim_state_check_metadata (reader->metadata, param (params, "metadata"))) !=
      NULL)
    return error;
  if (label != NULL)
    {
      g_free (reader->label);
      /* An empty label goes back to the serial number, as for a reader registered without. */
      reader->label = g_strdup (*label != '\0' ? label : reader->serial_number);
    }
  till_sim_state_apply_metadata (reader->metadata, param (params, "metadata"));
  return reader_result (reader);
}

TillSimResult *
till_sim_terminal_delete_reader (TillSimTerminal *terminal,
                                 TillSimRequest  *request,
                                 const char      *id,
                                 JsonNode        *params)
{
  TillSimReader *reader = till_sim_terminal_lookup_reader (terminal, id);

  if (reader == NULL)
    return no_such_reader (id);

  deleted_free (terminal->deleted);
  terminal->deleted = g_new0 (TillSimDeleted, 1);
  terminal->deleted->id = g_strdup (reader->id);
  terminal->deleted->object = "terminal.reader";
  g_ptr_array_remove (terminal->reader_order, reader);
  g_hash_table_remove (terminal->readers, id);
  return till_sim_result_new_object (200, TILL_SIM_OBJECT_DELETED, terminal->deleted);
}

static const char *
reader_id (gpointer item)
{
  return ((TillSimReader *) item)->id;
}

static gboolean
reader_matches (gpointer item, JsonNode *params)
{
  TillSimReader *reader = item;
  const char    *device_type = param_string (params, "device_type");
  const char    *location = param_string (params, "location");
  const char    *status = param_string (params, "status");
  const char    *serial = param_string (params, "serial_number");

  return (device_type == NULL || g_str_equal (device_type, reader->device_type)) &&
         (location == NULL || g_strcmp0 (location, reader->location) == 0) &&
         (status == NULL || g_str_equal (status, reader->offline ? "offline" : "online")) &&
         (serial == NULL || g_str_equal (serial, reader->serial_number));
}

TillSimResult *
till_sim_terminal_list_readers (TillSimTerminal *terminal,
                                TillSimRequest  *request,
                                JsonNode        *params)
{
  return till_sim_state_list_page (TILL_SIM_OBJECT_READER, terminal->reader_order, params,
                                   "/v1/terminal/readers", "reader", reader_id, reader_matches);
}

/* --- actions ------------------------------------------------------------------------ */

TillSimResult *
till_sim_terminal_process_payment_intent (TillSimTerminal *terminal,
                                          TillSimRequest  *request,
                                          const char      *id,
                                          JsonNode        *params)
{
  const char    *intent_id = param_string (params, "payment_intent");
  JsonNode      *config = param (params, "process_config");
  TillSimReader *reader;
  TillSimIntent *intent;
  TillSimResult *error;
  gboolean       card_present = FALSE;

  if ((error = check_expand (params)) != NULL)
    return error;
  if (intent_id == NULL)
    return till_sim_result_new_error (400, "invalid_request_error", "parameter_missing",
                                      "payment_intent", "Missing required param: payment_intent.");
  if ((error = usable_reader (terminal, id, &reader)) != NULL)
    return error;
  if (action_in_progress (reader))
    return reader_busy ();

  intent = till_sim_state_lookup_intent (terminal->state, intent_id);
  if (intent == NULL)
    return till_sim_result_new_error (400, "invalid_request_error", "resource_missing",
                                      "payment_intent", "No such payment_intent: '%s'", intent_id);
  for (guint i = 0; i < intent->payment_method_types->len; i++)
    card_present |=
        g_str_equal (g_ptr_array_index (intent->payment_method_types, i), "card_present");
  if (!card_present)
    return saved (till_sim_result_new_error (
        400, "invalid_request_error", "payment_intent_invalid_parameter", "payment_intent",
        "This PaymentIntent cannot be processed by a reader: its payment_method_types must "
        "include card_present."));
  if (!g_str_equal (intent->status, "requires_payment_method"))
    return saved (till_sim_result_new_error (
        400, "invalid_request_error", "intent_invalid_state", "payment_intent",
        "PaymentIntent %s has a status of %s, but must be in requires_payment_method to be "
        "processed by a reader.",
        intent->id, intent->status));
  /* One intent on one reader at a time: a second reader would take a second card. */
  for (guint i = 0; i < terminal->reader_order->len; i++)
    {
      TillSimReader *other = g_ptr_array_index (terminal->reader_order, i);

      if (other != reader && action_in_progress (other) &&
          g_strcmp0 (other->action_intent, intent->id) == 0)
        return saved (till_sim_result_new_error (
            400, "invalid_request_error", "intent_invalid_state", "payment_intent",
            "PaymentIntent %s is being processed by another reader (%s).", intent->id, other->id));
    }

  start_action (terminal, reader, "process_payment_intent");
  reader->action_intent = g_strdup (intent->id);
  reader->action_skip_tipping = g_strcmp0 (param_string (config, "skip_tipping"), "true") == 0;
  return reader_result (reader);
}

TillSimResult *
till_sim_terminal_cancel_action (TillSimTerminal *terminal,
                                 TillSimRequest  *request,
                                 const char      *id,
                                 JsonNode        *params)
{
  TillSimReader *reader;
  TillSimResult *error;

  if ((error = check_expand (params)) != NULL)
    return error;
  if ((error = usable_reader (terminal, id, &reader)) != NULL)
    return error;
  if (!action_in_progress (reader))
    return saved (till_sim_result_new_error (
        400, "invalid_request_error", NULL, NULL,
        "This reader has no action in progress to cancel: its action is %s.",
        reader->action_status ? reader->action_status : "null"));

  /* Stripe answers with the reader as it is left: the action failed, canceled. */
  g_free (reader->action_status);
  reader->action_status = g_strdup ("failed");
  g_free (reader->action_failure_code);
  reader->action_failure_code = g_strdup ("canceled");
  g_free (reader->action_failure_message);
  reader->action_failure_message = g_strdup ("The action was canceled.");
  return reader_result (reader);
}

static TillSimResult *
check_cart (JsonNode *cart, const char **currency_out)
{
  const char         *currency = param_string (cart, "currency");
  JsonNode           *items = param (cart, "line_items");
  const TillCurrency *cur;
  gint64              value;

  if (cart == NULL || !JSON_NODE_HOLDS_OBJECT (cart))
    return till_sim_result_new_error (400, "invalid_request_error", "parameter_missing", "cart",
                                      "Missing required param: cart.");
  cur = currency ? till_currency_lookup (currency) : NULL;
  if (cur == NULL)
    return till_sim_result_new_error (400, "invalid_request_error", NULL, "cart[currency]",
                                      "Invalid currency: %s.", currency ? currency : "");
  if (items != NULL && JSON_NODE_HOLDS_ARRAY (items) &&
      json_array_get_length (json_node_get_array (items)) > MAX_LINE_ITEMS)
    return till_sim_result_new_error (400, "invalid_request_error", "parameter_invalid",
                                      "cart[line_items]", "A cart can have at most %d line items.",
                                      MAX_LINE_ITEMS);
  for (guint i = 0; items != NULL && JSON_NODE_HOLDS_ARRAY (items) &&
                    i < json_array_get_length (json_node_get_array (items));
       i++)
    {
      JsonNode        *item = json_array_get_element (json_node_get_array (items), i);
      g_autofree char *prefix = g_strdup_printf ("cart[line_items][%u]", i);

      if (param_int (item, "quantity", &value) && value < 1)
        return till_sim_result_new_error (400, "invalid_request_error", "parameter_invalid_integer",
                                          prefix, "Invalid quantity: must be at least 1.");
      if (param_int (item, "amount", &value) && (value < 0 || value > MAX_AMOUNT))
        return till_sim_result_new_error (
            400, "invalid_request_error", "parameter_invalid_integer", prefix,
            "Invalid amount: must be between 0 and %" G_GINT64_FORMAT ".", MAX_AMOUNT);
    }
  if ((param_int (cart, "total", &value) && (value < 0 || value > MAX_AMOUNT)) ||
      (param_int (cart, "tax", &value) && (value < 0 || value > MAX_AMOUNT)))
    return till_sim_result_new_error (
        400, "invalid_request_error", "parameter_invalid_integer", "cart[total]",
        "Invalid amount: must be between 0 and %" G_GINT64_FORMAT ".", MAX_AMOUNT);
  *currency_out = till_currency_get_stripe_code (cur);
  return NULL;
}

/* The cart as Stripe shows it back: numbers as numbers (the form gave strings). */
static JsonNode *
typed_cart (JsonNode *cart, const char *currency)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  JsonNode *items = param (cart, "line_items");
  gint64    value;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, currency);
  json_builder_set_member_name (builder, "line_items");
  json_builder_begin_array (builder);
  for (guint i = 0; items != NULL && JSON_NODE_HOLDS_ARRAY (items) &&
                    i < json_array_get_length (json_node_get_array (items));
       i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (items), i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "amount");
      json_builder_add_int_value (builder, param_int (item, "amount", &value) ? value : 0);
      json_builder_set_member_name (builder, "description");
      json_builder_add_string_value (builder, param_string (item, "description") ?: "");
      json_builder_set_member_name (builder, "quantity");
      json_builder_add_int_value (builder, param_int (item, "quantity", &value) ? value : 1);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "tax");
  if (param_int (cart, "tax", &value))
    json_builder_add_int_value (builder, value);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "total");
  json_builder_add_int_value (builder, param_int (cart, "total", &value) ? value : 0);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

TillSimResult *
till_sim_terminal_set_reader_display (TillSimTerminal *terminal,
                                      TillSimRequest  *request,
                                      const char      *id,
                                      JsonNode        *params)
{
  JsonNode      *cart = param (params, "cart");
  const char    *currency = NULL;
  TillSimReader *reader;
  TillSimResult *error;

  if ((error = check_expand (params)) != NULL)
    return error;
  if ((error = check_cart (cart, &currency)) != NULL)
    return error;
  if ((error = usable_reader (terminal, id, &reader)) != NULL)
    return error;
  if (action_in_progress (reader))
    return reader_busy ();

  /* The reader shows the cart at once: the action succeeds as it starts. */
  start_action (terminal, reader, "set_reader_display");
  reader->action_cart = typed_cart (cart, currency);
  finish_action (terminal, request, reader, NULL, NULL);
  return reader_result (reader);
}

TillSimResult *
till_sim_terminal_present_payment_method (TillSimTerminal *terminal,
                                          TillSimRequest  *request,
                                          const char      *id,
                                          JsonNode        *params)
{
  const char            *type = param_string (params, "type");
  const char            *number = param_string (param (params, "card_present"), "number");
  const char            *failure_code = NULL, *failure_message = NULL;
  const TillSimTestCard *card;
  TillSimReader         *reader;
  TillSimIntent         *intent;
  TillSimResult         *error;
  gint64                 tip = 0;

  if ((error = check_expand (params)) != NULL)
    return error;
  if (type != NULL && !g_str_equal (type, "card_present"))
    return till_sim_result_new_error (400, "invalid_request_error", "parameter_invalid", "type",
                                      "The simulator's readers take card_present payments only, "
                                      "not %s.",
                                      type);
  if (param_int (params, "amount_tip", &tip) && tip < 0)
    return till_sim_result_new_error (400, "invalid_request_error", "parameter_invalid_integer",
                                      "amount_tip", "amount_tip must be at least 0.");
  card = till_sim_test_card_lookup (number ? number : "4242424242424242");
  if (card == NULL)
    return till_sim_result_new_error (
        400, "invalid_request_error", "parameter_invalid", "card_present[number]",
        "card_present[number] must be one of Stripe's test card numbers "
        "(https://docs.stripe.com/terminal/references/testing#standard-test-cards).");

  if ((error = usable_reader (terminal, id, &reader)) != NULL)
    return error;
  if (!action_in_progress (reader) ||
      g_strcmp0 (reader->action_type, "process_payment_intent") != 0)
    return saved (till_sim_result_new_error (
        400, "invalid_request_error", NULL, NULL,
        "This reader has no process_payment_intent action in progress to present a payment "
        "method to."));
  intent = till_sim_state_lookup_intent (terminal->state, reader->action_intent);
  if (intent == NULL || !g_str_equal (intent->status, "requires_payment_method"))
    {
      /* The intent went (canceled, or forgotten) while the reader waited. */
      finish_action (terminal, request, reader, "intent_invalid_state",
                     "The PaymentIntent is no longer in requires_payment_method.");
      return reader_result (reader);
    }
  if (reader->action_skip_tipping)
    tip = 0;
  if (tip > MAX_AMOUNT - intent->amount)
    return till_sim_result_new_error (
        400, "invalid_request_error", "parameter_invalid_integer", "amount_tip",
        "The amount with the tip must be at most %" G_GINT64_FORMAT ".", MAX_AMOUNT);

  till_sim_state_present_card (terminal->state, request, intent, card, "contactless_emv", tip,
                               &failure_code, &failure_message);
  finish_action (terminal, request, reader, failure_code, failure_message);
  return reader_result (reader);
}

guint
till_sim_terminal_get_action_serial (TillSimTerminal *terminal, const char *id)
{
  TillSimReader *reader = till_sim_terminal_lookup_reader (terminal, id);

  return reader != NULL && action_in_progress (reader) ? reader->action_serial : 0;
}

gboolean
till_sim_terminal_time_out (TillSimTerminal *terminal,
                            TillSimRequest  *request,
                            const char      *id,
                            guint            serial)
{
  TillSimReader *reader = till_sim_terminal_lookup_reader (terminal, id);

  if (reader == NULL || !action_in_progress (reader) || reader->action_serial != serial)
    return FALSE;
  finish_action (terminal, request, reader, "terminal_reader_timeout",
                 "The reader did not answer in time. Check that it is powered on and connected "
                 "to the internet, then try again.");
  return TRUE;
}

gboolean
till_sim_terminal_set_offline (TillSimTerminal *terminal, const char *id, gboolean offline)
{
  TillSimReader *reader = till_sim_terminal_lookup_reader (terminal, id);

  if (reader == NULL)
    return FALSE;
  reader->offline = !!offline;
  return TRUE;
}
