/* till-stripe-sim-state.c: PaymentIntents, charges, refunds and events.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The handlers here get parameters that already passed the OpenAPI checks; they add the
 * rules the spec cannot say (currency minimums, card outcomes, state transitions) and
 * return what Stripe would answer as a TillSimResult (an object, a list page or an error),
 * which the request pipeline renders (till-stripe-sim-render.c): the state writes no JSON
 * answers. A result's `save` says whether the idempotency layer keeps it: errors found
 * before anything ran (bad amount, unknown object) are not kept, as Stripe keeps no result
 * for requests that fail validation.
 *
 * Longer than our files usually are: Stripe's objects (intents, charges, refunds,
 * PaymentMethods, events) and their state machine read and change each other's private fields in
 * every transition, so they stay in one file behind one private header.
 */
#include "config.h"

#include <string.h>

#include "till-currency.h"
#include "till-stripe-sim-state-private.h"

#define MAX_AMOUNT G_GINT64_CONSTANT (99999999)

struct _TillSimState
{
  GHashTable         *intents; /* id → TillSimIntent */
  GHashTable         *charges;
  GHashTable         *refunds;
  GHashTable         *payment_methods;
  GQueue              loose_pms;    /* TillSimPaymentMethod * no intent owns, oldest first */
  GHashTable         *events;       /* id → TillSimEvent (owned by the queue) */
  GQueue              event_queue;  /* newest first */
  GPtrArray          *intent_order; /* TillSimIntent *, oldest first (owned by intents) */
  GPtrArray          *refund_order; /* TillSimRefund *, oldest first (owned by refunds) */
  gint64              max_age;      /* seconds; 0: no limit */
  guint               max_intents;  /* 0: no limit */
  guint               max_events;   /* 0: no limit */
  gint64              clock_offset; /* seconds */
  gboolean            moto_enabled; /* Stripe approved the account for MOTO */
  TillSimSnapshotFunc snapshot;
};

static const char *const cancelable_states[] = {
  "requires_payment_method", "requires_capture", "requires_confirmation",
  "requires_action",         "processing",       NULL
};

static const char *const updatable_states[] = { "requires_payment_method", "requires_confirmation",
                                                "requires_action", NULL };

/* --- objects ------------------------------------------------------------------------ */

static void
intent_free (TillSimIntent *intent)
{
  g_free (intent->id);
  g_free (intent->client_secret);
  g_free (intent->currency);
  g_free (intent->status);
  g_free (intent->capture_method);
  g_free (intent->confirmation_method);
  g_ptr_array_unref (intent->payment_method_types);
  g_free (intent->payment_method);
  g_free (intent->latest_charge);
  g_ptr_array_unref (intent->charges);
  g_ptr_array_unref (intent->payment_methods);
  g_free (intent->description);
  g_free (intent->receipt_email);
  g_free (intent->statement_descriptor);
  g_free (intent->statement_descriptor_suffix);
  g_free (intent->setup_future_usage);
  g_free (intent->cancellation_reason);
  g_free (intent->return_url);
  g_free (intent->action_nonce);
  g_free (intent->action_url);
  g_free (intent->action_payment_method);
  g_clear_pointer (&intent->last_payment_error, json_node_unref);
  json_object_unref (intent->metadata);
  g_free (intent);
}

static void
charge_free (TillSimCharge *charge)
{
  g_free (charge->id);
  g_free (charge->payment_intent);
  g_free (charge->payment_method);
  g_free (charge->currency);
  g_free (charge->status);
  g_free (charge->failure_code);
  g_free (charge->failure_message);
  g_free (charge->decline_code);
  g_free (charge->description);
  g_free (charge->receipt_email);
  g_ptr_array_unref (charge->refunds);
  json_object_unref (charge->metadata);
  g_free (charge);
}

static void
refund_free (TillSimRefund *refund)
{
  g_free (refund->id);
  g_free (refund->charge);
  g_free (refund->payment_intent);
  g_free (refund->currency);
  g_free (refund->reason);
  g_free (refund->status);
  json_object_unref (refund->metadata);
  g_free (refund);
}

static void
pm_free (TillSimPaymentMethod *pm)
{
  g_free (pm->id);
  g_free (pm->bank);
  g_free (pm);
}

static void
event_free (TillSimEvent *event)
{
  g_free (event->id);
  g_free (event->type);
  g_free (event->request_id);
  g_free (event->idempotency_key);
  g_free (event->object);
  g_free (event);
}

TillSimState *
till_sim_state_new (TillSimSnapshotFunc snapshot)
{
  TillSimState *state = g_new0 (TillSimState, 1);

  state->snapshot = snapshot;
  state->intents =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) intent_free);
  state->charges =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) charge_free);
  state->refunds =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) refund_free);
  state->payment_methods =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) pm_free);
  state->events = g_hash_table_new (g_str_hash, g_str_equal);
  state->intent_order = g_ptr_array_new ();
  state->refund_order = g_ptr_array_new ();
  g_queue_init (&state->event_queue);
  g_queue_init (&state->loose_pms);
  state->max_events = TILL_STRIPE_SIM_DEFAULT_MAX_EVENTS;
  return state;
}

void
till_sim_state_free (TillSimState *state)
{
  g_ptr_array_unref (state->intent_order);
  g_ptr_array_unref (state->refund_order);
  g_hash_table_unref (state->intents);
  g_hash_table_unref (state->charges);
  g_hash_table_unref (state->refunds);
  g_queue_clear (&state->loose_pms);
  g_hash_table_unref (state->payment_methods);
  g_hash_table_unref (state->events);
  g_queue_clear_full (&state->event_queue, (GDestroyNotify) event_free);
  g_free (state);
}

TillSimIntent *
till_sim_state_lookup_intent (TillSimState *state, const char *id)
{
  return id ? g_hash_table_lookup (state->intents, id) : NULL;
}

TillSimCharge *
till_sim_state_lookup_charge (TillSimState *state, const char *id)
{
  return id ? g_hash_table_lookup (state->charges, id) : NULL;
}

TillSimRefund *
till_sim_state_lookup_refund (TillSimState *state, const char *id)
{
  return id ? g_hash_table_lookup (state->refunds, id) : NULL;
}

TillSimPaymentMethod *
till_sim_state_lookup_pm (TillSimState *state, const char *id)
{
  return id ? g_hash_table_lookup (state->payment_methods, id) : NULL;
}

TillSimEvent *
till_sim_state_lookup_event (TillSimState *state, const char *id)
{
  return id ? g_hash_table_lookup (state->events, id) : NULL;
}

static gint64
now_seconds (TillSimState *state)
{
  return g_get_real_time () / G_USEC_PER_SEC + state->clock_offset;
}

/* Whether the account may flag payments as mail or telephone orders (off, as for a new
 * Stripe account). */
void
till_sim_state_set_moto_enabled (TillSimState *state, gboolean enabled)
{
  state->moto_enabled = !!enabled;
}

void
till_sim_state_set_clock_offset (TillSimState *state, gint64 offset)
{
  state->clock_offset = offset;
}

void
till_sim_state_get_counts (TillSimState *state, TillStripeSimCounts *counts)
{
  counts->intents = g_hash_table_size (state->intents);
  counts->charges = g_hash_table_size (state->charges);
  counts->refunds = g_hash_table_size (state->refunds);
  counts->payment_methods = g_hash_table_size (state->payment_methods);
  counts->events = g_hash_table_size (state->events);
}

/* --- retention ---------------------------------------------------------------------- */

void
till_sim_state_set_retention (TillSimState *state,
                              gint64        max_age,
                              guint         max_intents,
                              guint         max_events)
{
  state->max_age = MAX (max_age, 0);
  state->max_intents = max_intents;
  state->max_events = max_events;
}

/* Forgets the @count oldest intents, each with its charges, their refunds, and the
 * PaymentMethods made for it, so that no object left points to a forgotten one (events
 * hold snapshots, not pointers). */
static void
forget_oldest_intents (TillSimState *state, guint count)
{
  g_autoptr (GHashTable) refunds = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < count; i++)
    {
      TillSimIntent *intent = g_ptr_array_index (state->intent_order, i);

      for (guint c = 0; c < intent->charges->len; c++)
        {
          TillSimCharge *charge = till_sim_state_lookup_charge (state, intent->charges->pdata[c]);

          for (guint r = 0; charge != NULL && r < charge->refunds->len; r++)
            {
              TillSimRefund *refund =
                  till_sim_state_lookup_refund (state, charge->refunds->pdata[r]);

              if (refund != NULL)
                g_hash_table_add (refunds, refund);
            }
        }
    }

  /* Out of the refunds' list first, in one pass, while the pointers are still good. */
  if (g_hash_table_size (refunds) > 0)
    {
      guint kept = 0;

      for (guint i = 0; i < state->refund_order->len; i++)
        if (!g_hash_table_contains (refunds, state->refund_order->pdata[i]))
          state->refund_order->pdata[kept++] = state->refund_order->pdata[i];
      g_ptr_array_set_size (state->refund_order, kept);
    }

  for (guint i = 0; i < count; i++)
    {
      TillSimIntent *intent = g_ptr_array_index (state->intent_order, i);

      for (guint c = 0; c < intent->charges->len; c++)
        {
          TillSimCharge *charge = till_sim_state_lookup_charge (state, intent->charges->pdata[c]);

          for (guint r = 0; charge != NULL && r < charge->refunds->len; r++)
            g_hash_table_remove (state->refunds, charge->refunds->pdata[r]);
          g_hash_table_remove (state->charges, intent->charges->pdata[c]);
        }
      for (guint p = 0; p < intent->payment_methods->len; p++)
        g_hash_table_remove (state->payment_methods, intent->payment_methods->pdata[p]);
      g_hash_table_remove (state->intents, intent->id);
    }
  g_ptr_array_remove_range (state->intent_order, 0, count);
}

guint
till_sim_state_prune (TillSimState *state)
{
  gint64 now = now_seconds (state);
  guint  intents = 0, events = 0;

  /* Both lists are in order of creation: what goes is at their old end. */
  while (intents < state->intent_order->len)
    {
      TillSimIntent *intent = g_ptr_array_index (state->intent_order, intents);
      gboolean       too_many =
          state->max_intents > 0 && state->intent_order->len - intents > state->max_intents;
      gboolean too_old = state->max_age > 0 && now - intent->created > state->max_age;

      if (!too_many && !too_old)
        break;
      intents++;
    }
  if (intents > 0)
    forget_oldest_intents (state, intents);

  /* A PaymentMethod no intent took (POST /v1/payment_methods, or a confirmation refused
   * after it was made) goes by the intents' limits. */
  while (state->loose_pms.head != NULL)
    {
      TillSimPaymentMethod *pm = state->loose_pms.head->data;
      gboolean too_many = state->max_intents > 0 && state->loose_pms.length > state->max_intents;
      gboolean too_old = state->max_age > 0 && now - pm->created > state->max_age;

      if (!too_many && !too_old)
        break;
      g_queue_pop_head (&state->loose_pms);
      g_hash_table_remove (state->payment_methods, pm->id);
    }

  while (state->event_queue.tail != NULL)
    {
      TillSimEvent *event = state->event_queue.tail->data;
      gboolean too_many = state->max_events > 0 && state->event_queue.length > state->max_events;
      gboolean too_old = state->max_age > 0 && now - event->created > state->max_age;

      if (!too_many && !too_old)
        break;
      /* A delivery of it still waiting holds its own copy of the payload. */
      g_queue_pop_tail (&state->event_queue);
      g_hash_table_remove (state->events, event->id);
      event_free (event);
      events++;
    }

  return intents + events;
}

static gboolean
str_in (const char *value, const char *const *list)
{
  return value != NULL && g_strv_contains (list, value);
}

/* --- results ------------------------------------------------------------------------ */

void
till_sim_result_free (TillSimResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->items, g_ptr_array_unref);
  g_clear_pointer (&result->expand, g_ptr_array_unref);
  g_free (result->error_type);
  g_free (result->error_code);
  g_free (result->error_decline_code);
  g_free (result->error_param);
  g_free (result->error_message);
  g_free (result->error_charge);
  g_free (result);
}

/* A copy of @expand (borrowed strings, or NULL): the result outlives the parameters. */
static GPtrArray *
copy_expand (GPtrArray *expand)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; expand != NULL && i < expand->len; i++)
    g_ptr_array_add (copy, g_strdup (g_ptr_array_index (expand, i)));
  return copy;
}

static TillSimResult *
result_object (guint status, TillSimObjectType type, gpointer object, GPtrArray *expand)
{
  TillSimResult *result = g_new0 (TillSimResult, 1);

  result->status = status;
  result->save = TRUE;
  result->type = type;
  result->object = object;
  if (expand != NULL)
    result->expand = copy_expand (expand);
  return result;
}

static TillSimResult *
result_list (
    TillSimObjectType type, GPtrArray *items, gboolean has_more, const char *url, GPtrArray *expand)
{
  TillSimResult *result = result_object (200, type, NULL, expand);

  result->items = g_ptr_array_ref (items);
  result->has_more = has_more;
  result->url = url;
  return result;
}

/* Errors found before the endpoint ran are not kept for idempotent replays: save is FALSE. */
static TillSimResult *G_GNUC_PRINTF (5, 6) result_error (
    guint status, const char *type, const char *code, const char *param, const char *format, ...)
{
  TillSimResult *result = g_new0 (TillSimResult, 1);
  va_list        args;

  result->status = status;
  result->error_type = g_strdup (type);
  result->error_code = g_strdup (code);
  result->error_param = g_strdup (param);
  va_start (args, format);
  result->error_message = g_strdup_vprintf (format, args);
  va_end (args);
  return result;
}

/* --- events ------------------------------------------------------------------------- */

static void
emit (TillSimState *state, TillSimRequest *request, const char *type, JsonNode *object)
{
  TillSimEvent *event = g_new0 (TillSimEvent, 1);

  event->id = till_sim_random_id ("evt_", 24);
  event->created = now_seconds (state);
  event->type = g_strdup (type);
  event->request_id = g_strdup (request->request_id);
  event->idempotency_key = g_strdup (request->idempotency_key);
  event->object = till_sim_json_to_string (object, FALSE);
  json_node_unref (object);

  g_queue_push_head (&state->event_queue, event);
  g_hash_table_insert (state->events, event->id, event);
  if (request->events != NULL)
    g_ptr_array_add (request->events, event);
  /* Old events are forgotten by till_sim_state_prune () once the request is over: until
   * then request->events may point to any of them. */
}

static void
emit_intent (TillSimState *state, TillSimRequest *request, const char *type, TillSimIntent *intent)
{
  emit (state, request, type, state->snapshot (state, TILL_SIM_OBJECT_INTENT, intent));
}

static void
emit_charge (TillSimState *state, TillSimRequest *request, const char *type, TillSimCharge *charge)
{
  emit (state, request, type, state->snapshot (state, TILL_SIM_OBJECT_CHARGE, charge));
}

/* --- parameters --------------------------------------------------------------------- */

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

static gboolean
param_bool (JsonNode *params, const char *name)
{
  return g_strcmp0 (param_string (params, name), "true") == 0;
}

static TillSimResult *
no_such (const char *what, const char *param_name, const char *id)
{
  return result_error (404, "invalid_request_error", "resource_missing", param_name,
                       "No such %s: '%s'", what, id);
}

/* expand[] against the fields this object can expand. */
static TillSimResult *
parse_expand (JsonNode *params, const char *const *allowed, GPtrArray **expand)
{
  JsonNode  *node = param (params, "expand");
  JsonArray *array;

  *expand = g_ptr_array_new ();
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      const char *field = json_array_get_string_element (array, i);

      if (field == NULL || !g_strv_contains (allowed, field))
        {
          g_autofree char *name = g_strdup_printf ("expand[%u]", i);

          g_clear_pointer (expand, g_ptr_array_unref);
          return result_error (400, "invalid_request_error", NULL, name,
                               "This property cannot be expanded (%s).", field ? field : "");
        }
      g_ptr_array_add (*expand, (gpointer) field);
    }
  return NULL;
}

static const char *const intent_expandable[] = {
  "latest_charge", "payment_method", "customer", "invoice", "review", "application", NULL
};
static const char *const refund_expandable[] = { "charge", "payment_intent", "balance_transaction",
                                                 NULL };

static TillSimResult *
intent_reply (TillSimState *state, TillSimIntent *intent, JsonNode *params, guint status)
{
  g_autoptr (GPtrArray) expand = NULL;
  TillSimResult *error = parse_expand (params, intent_expandable, &expand);

  if (error != NULL)
    return error;
  return result_object (status, TILL_SIM_OBJECT_INTENT, intent, expand);
}

/* "50" in usd → "0.50 usd", for Stripe's amount messages. */
static char *
format_amount (gint64 amount, const char *currency)
{
  const TillCurrency *cur = till_currency_lookup (currency);
  int                 exponent = cur ? till_currency_get_stripe_exponent (cur) : 2;
  gint64              scale = 1;

  for (int i = 0; i < exponent; i++)
    scale *= 10;
  if (exponent == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " %s", amount, currency);
  return g_strdup_printf ("%" G_GINT64_FORMAT ".%0*" G_GINT64_FORMAT " %s", amount / scale,
                          exponent, amount % scale, currency);
}

static TillSimResult *
check_currency (const char *currency, const TillCurrency **out)
{
  const TillCurrency *cur = till_currency_lookup (currency);

  if (cur == NULL)
    {
      g_autofree char *list = g_strjoinv (", ", (char **) till_currency_list_codes ());
      g_autofree char *lower = g_ascii_strdown (list, -1);

      return result_error (400, "invalid_request_error", "parameter_invalid", "currency",
                           "Invalid currency: %s. Stripe currently supports these "
                           "currencies: %s",
                           currency, lower);
    }
  *out = cur;
  return NULL;
}

static TillSimResult *
check_amount (gint64 amount, const TillCurrency *cur)
{
  const char *code = till_currency_get_stripe_code (cur);

  if (amount < 1)
    return result_error (400, "invalid_request_error", "parameter_invalid_integer", "amount",
                         "This value must be greater than or equal to 1.");
  if (amount > MAX_AMOUNT)
    {
      g_autofree char *max = format_amount (MAX_AMOUNT, code);

      return result_error (400, "invalid_request_error", "amount_too_large", "amount",
                           "Amount must be no more than %s", max);
    }
  if (amount < till_currency_get_stripe_minimum (cur))
    {
      g_autofree char *min = format_amount (till_currency_get_stripe_minimum (cur), code);

      return result_error (400, "invalid_request_error", "amount_too_small", "amount",
                           "Amount must be at least %s", min);
    }
  if (till_currency_get_stripe_exponent (cur) == 3 && amount % 10 != 0)
    return result_error (400, "invalid_request_error", "parameter_invalid_integer", "amount",
                         "Invalid amount: amounts in %s must be a multiple of 10 (the "
                         "last of the three decimals must be 0).",
                         code);
  return NULL;
}

/* Metadata: merge; "" removes a key; metadata="" clears everything. */
static TillSimResult *
check_metadata (JsonObject *current, JsonNode *node)
{
  g_autoptr (GList) keys = NULL;
  guint count = current ? json_object_get_size (current) : 0;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  keys = json_object_get_members (json_node_get_object (node));
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char      *key = l->data;
      const char      *value = json_object_get_string_member (json_node_get_object (node), key);
      g_autofree char *name = g_strdup_printf ("metadata[%s]", key);

      if (g_utf8_strlen (key, -1) > 40)
        return result_error (400, "invalid_request_error", "parameter_invalid", name,
                             "Invalid metadata: metadata keys can be at most 40 "
                             "characters long.");
      if (value != NULL && g_utf8_strlen (value, -1) > 500)
        return result_error (400, "invalid_request_error", "parameter_invalid", name,
                             "Invalid metadata: metadata values can be at most 500 "
                             "characters long.");
      if (current == NULL || !json_object_has_member (current, key))
        count++;
    }
  if (count > 50)
    return result_error (400, "invalid_request_error", "parameter_invalid", "metadata",
                         "Invalid metadata: metadata can have at most 50 keys.");
  return NULL;
}

static void
apply_metadata (JsonObject *target, JsonNode *node)
{
  g_autoptr (GList) keys = NULL;

  if (node == NULL)
    return;
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      /* metadata="" unsets every key. */
      g_autoptr (GList) old = json_object_get_members (target);

      for (GList *l = old; l != NULL; l = l->next)
        json_object_remove_member (target, l->data);
      return;
    }

  keys = json_object_get_members (json_node_get_object (node));
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *value = json_object_get_string_member (json_node_get_object (node), l->data);

      if (value == NULL || *value == '\0')
        json_object_remove_member (target, l->data);
      else
        json_object_set_string_member (target, l->data, value);
    }
}

static TillSimResult *
check_email (const char *email)
{
  const char *at;

  if (email == NULL || *email == '\0')
    return NULL;
  at = strchr (email, '@');
  if (at == NULL || at == email || strchr (at + 1, '.') == NULL || strchr (email, ' ') != NULL)
    return result_error (400, "invalid_request_error", "email_invalid", "receipt_email",
                         "Invalid email address: %s", email);
  return NULL;
}

static void
set_string (char **field, const char *value)
{
  if (value == NULL)
    return;
  g_free (*field);
  *field = *value != '\0' ? g_strdup (value) : NULL;
}

/* --- payment methods ---------------------------------------------------------------- */

static TillSimResult *
card_error (const char *code, const char *param_name, const char *message)
{
  TillSimResult *reply = result_error (402, "card_error", code, param_name, "%s", message);

  /* A card error happens once the endpoint runs: it is kept for replays. */
  reply->save = TRUE;
  return reply;
}

/* A PaymentMethod made for @intent, or first used by it, lives as long as it does. */
static void
adopt_payment_method (TillSimState *state, TillSimIntent *intent, TillSimPaymentMethod *pm)
{
  if (pm == NULL || pm->owned)
    return;
  pm->owned = TRUE;
  if (pm->loose != NULL)
    g_queue_delete_link (&state->loose_pms, g_steal_pointer (&pm->loose));
  g_ptr_array_add (intent->payment_methods, g_strdup (pm->id));
}

static TillSimPaymentMethod *
add_payment_method (TillSimState *state, const TillSimTestCard *card, int exp_month, int exp_year)
{
  TillSimPaymentMethod *pm = g_new0 (TillSimPaymentMethod, 1);

  pm->id = till_sim_random_id ("pm_", 24);
  pm->created = now_seconds (state);
  pm->card = card;
  pm->type = "card";
  pm->exp_month = exp_month;
  pm->exp_year = exp_year;
  g_hash_table_insert (state->payment_methods, pm->id, pm);
  g_queue_push_tail (&state->loose_pms, pm);
  pm->loose = state->loose_pms.tail;
  return pm;
}

/* A card's number, expiry and CVC (@card_params, sent as @prefix[number] and so on) as a
 * new PaymentMethod, or the card error Stripe gives for them. */
static TillSimResult *
card_payment_method (TillSimState          *state,
                     JsonObject            *card_params,
                     const char            *prefix,
                     TillSimPaymentMethod **out)
{
  g_autoptr (GString) digits = g_string_new (NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char       *number_param = g_strdup_printf ("%s[number]", prefix);
  g_autofree char       *month_param = g_strdup_printf ("%s[exp_month]", prefix);
  g_autofree char       *year_param = g_strdup_printf ("%s[exp_year]", prefix);
  g_autofree char       *cvc_param = g_strdup_printf ("%s[cvc]", prefix);
  const TillSimTestCard *card;
  const char            *number, *cvc;
  gint64                 exp_month, exp_year;

  number = json_object_get_string_member_with_default (card_params, "number", "");
  cvc = json_object_get_string_member_with_default (card_params, "cvc", NULL);
  exp_month = g_ascii_strtoll (
      json_object_get_string_member_with_default (card_params, "exp_month", "0"), NULL, 10);
  exp_year = g_ascii_strtoll (
      json_object_get_string_member_with_default (card_params, "exp_year", "0"), NULL, 10);

  for (const char *p = number; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        g_string_append_c (digits, *p);
      else if (*p != ' ' && *p != '-')
        {
          g_string_truncate (digits, 0);
          break;
        }
    }

  card = till_sim_test_card_lookup (digits->str);
  if (!till_sim_luhn_valid (digits->str) || card == NULL)
    return card_error ("incorrect_number", number_param, "Your card number is incorrect.");
  if (exp_month < 1 || exp_month > 12)
    return card_error ("invalid_expiry_month", month_param,
                       "Your card's expiration month is invalid.");
  if (exp_year >= 0 && exp_year < 100)
    exp_year += 2000;
  if (exp_year < g_date_time_get_year (now) || exp_year > g_date_time_get_year (now) + 50)
    return card_error ("invalid_expiry_year", year_param,
                       "Your card's expiration year is invalid.");
  if (exp_year == g_date_time_get_year (now) && exp_month < g_date_time_get_month (now))
    return card_error ("invalid_expiry_month", month_param,
                       "Your card's expiration month is invalid.");
  if (cvc != NULL)
    {
      gsize    length = strlen (cvc);
      gboolean ok = length >= 3 && length <= 4;

      for (const char *p = cvc; ok && *p != '\0'; p++)
        ok = g_ascii_isdigit (*p);
      if (!ok)
        return card_error ("invalid_cvc", cvc_param, "Your card's security code is invalid.");
    }

  *out = add_payment_method (state, card, exp_month, exp_year);
  return NULL;
}

/* payment_method=pm_… or pm_card_…, or payment_method_data[type]=card with [card][…]. */
static TillSimResult *
resolve_payment_method (TillSimState *state, JsonNode *params, TillSimPaymentMethod **out)
{
  const char *id = param_string (params, "payment_method");
  JsonNode   *data = param (params, "payment_method_data");

  *out = NULL;

  if (id != NULL && *id != '\0')
    {
      const TillSimTestCard *card = till_sim_test_card_lookup_alias (id);
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

      if (card != NULL)
        *out = add_payment_method (state, card, 12, g_date_time_get_year (now) + 3);
      else
        *out = till_sim_state_lookup_pm (state, id);
      if (*out == NULL)
        return result_error (400, "invalid_request_error", "resource_missing", "payment_method",
                             "No such PaymentMethod: '%s'", id);
      return NULL;
    }

  if (data != NULL && JSON_NODE_HOLDS_OBJECT (data))
    {
      JsonObject *object = json_node_get_object (data);
      const char *type = json_object_get_string_member_with_default (object, "type", "");
      JsonNode   *card_node = json_object_get_member (object, "card");

      /* iDEAL, a bank redirect: the customer authorizes the payment on the bank's page. */
      if (g_str_equal (type, "ideal"))
        {
          JsonNode *ideal = json_object_get_member (object, "ideal");

          *out = add_payment_method (state, NULL, 0, 0);
          (*out)->type = "ideal";
          if (ideal != NULL && JSON_NODE_HOLDS_OBJECT (ideal))
            (*out)->bank = g_strdup (json_object_get_string_member_with_default (
                json_node_get_object (ideal), "bank", NULL));
          return NULL;
        }
      if (!g_str_equal (type, "card"))
        return result_error (400, "invalid_request_error", "payment_method_invalid_parameter",
                             "payment_method_data[type]",
                             "The simulator only supports card and ideal payment methods "
                             "(payment_method_data[type]=card or ideal), not '%s'.",
                             type);
      if (card_node == NULL || !JSON_NODE_HOLDS_OBJECT (card_node))
        return result_error (400, "invalid_request_error", "parameter_missing",
                             "payment_method_data[card]",
                             "Missing required param: payment_method_data[card].");
      return card_payment_method (state, json_node_get_object (card_node),
                                  "payment_method_data[card]", out);
    }

  return NULL;
}

/* POST /v1/payment_methods: type=card with card[number], card[exp_month], card[exp_year]
 * and card[cvc], as Stripe.js's createPaymentMethod() sends them with the publishable key.
 * The PaymentMethod waits for an intent to use it; no intent taking it, it is forgotten by
 * the intents' retention (till_sim_state_prune ()). */
TillSimResult *
till_sim_state_create_payment_method (TillSimState   *state,
                                      TillSimRequest *request,
                                      JsonNode       *params)
{
  const char              *type = param_string (params, "type");
  JsonNode                *card = param (params, "card");
  TillSimPaymentMethod    *pm = NULL;
  TillSimResult           *error;
  static const char *const expandable[] = { NULL };
  g_autoptr (GPtrArray) expand = NULL;

  if ((error = parse_expand (params, expandable, &expand)) != NULL)
    return error;
  if (type == NULL)
    return result_error (400, "invalid_request_error", "parameter_missing", "type",
                         "Missing required param: type.");
  if (!g_str_equal (type, "card"))
    return result_error (400, "invalid_request_error", "payment_method_invalid_parameter", "type",
                         "The simulator only supports card payment methods (type=card), not "
                         "'%s'.",
                         type);
  if (card == NULL || !JSON_NODE_HOLDS_OBJECT (card))
    return result_error (400, "invalid_request_error", "parameter_missing", "card",
                         "Missing required param: card.");
  if ((error = card_payment_method (state, json_node_get_object (card), "card", &pm)) != NULL)
    return error;
  return result_object (200, TILL_SIM_OBJECT_PAYMENT_METHOD, pm, expand);
}

/* --- the state machine -------------------------------------------------------------- */

static TillSimCharge *
add_charge (TillSimState         *state,
            TillSimIntent        *intent,
            TillSimPaymentMethod *pm,
            gboolean              succeeded)
{
  TillSimCharge *charge = g_new0 (TillSimCharge, 1);

  charge->id = till_sim_random_id ("ch_", 24);
  charge->created = now_seconds (state);
  charge->payment_intent = g_strdup (intent->id);
  charge->payment_method = g_strdup (pm->id);
  charge->currency = g_strdup (intent->currency);
  charge->status = g_strdup (succeeded ? "succeeded" : "failed");
  charge->amount = intent->amount;
  charge->description = g_strdup (intent->description);
  charge->receipt_email = g_strdup (intent->receipt_email);
  charge->refunds = g_ptr_array_new_with_free_func (g_free);
  charge->metadata = json_object_new ();
  {
    g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), intent->metadata);
    apply_metadata (charge->metadata, node);
  }
  g_hash_table_insert (state->charges, charge->id, charge);

  g_ptr_array_add (intent->charges, g_strdup (charge->id));
  g_free (intent->latest_charge);
  intent->latest_charge = g_strdup (charge->id);
  return charge;
}

static void
clear_action (TillSimIntent *intent)
{
  g_clear_pointer (&intent->action_nonce, g_free);
  g_clear_pointer (&intent->action_url, g_free);
  g_clear_pointer (&intent->action_payment_method, g_free);
}

static void
set_status (TillSimIntent *intent, const char *status)
{
  g_free (intent->status);
  intent->status = g_strdup (status);
}

static void
charge_succeeds (TillSimState         *state,
                 TillSimRequest       *request,
                 TillSimIntent        *intent,
                 TillSimPaymentMethod *pm)
{
  TillSimCharge *charge = add_charge (state, intent, pm, TRUE);
  gboolean       manual = g_strcmp0 (intent->capture_method, "manual") == 0;

  clear_action (intent);
  g_clear_pointer (&intent->last_payment_error, json_node_unref);
  g_free (intent->payment_method);
  intent->payment_method = g_strdup (pm->id);

  if (manual)
    {
      charge->captured = FALSE;
      intent->amount_capturable = intent->amount;
      set_status (intent, "requires_capture");
      emit_charge (state, request, "charge.succeeded", charge);
      emit_intent (state, request, "payment_intent.amount_capturable_updated", intent);
    }
  else
    {
      charge->captured = TRUE;
      charge->amount_captured = intent->amount;
      intent->amount_received = intent->amount;
      set_status (intent, "succeeded");
      emit_charge (state, request, "charge.succeeded", charge);
      emit_intent (state, request, "payment_intent.succeeded", intent);
    }
}

static JsonNode *
payment_error_node (TillSimState         *state,
                    const char           *code,
                    const char           *decline_code,
                    const char           *message,
                    const char           *charge_id,
                    TillSimPaymentMethod *pm)
{
  g_autoptr (JsonObject) extra = json_object_new ();

  if (charge_id != NULL)
    json_object_set_string_member (extra, "charge", charge_id);
  if (pm != NULL)
    json_object_set_member (extra, "payment_method",
                            state->snapshot (state, TILL_SIM_OBJECT_PAYMENT_METHOD, pm));
  return till_sim_error_node ("card_error", code, decline_code, NULL, message, extra);
}

/* A failed attempt: back to requires_payment_method with last_payment_error. Returns the
 * 402 Stripe answers the confirming call with. */
static TillSimResult *
attempt_fails (TillSimState         *state,
               TillSimRequest       *request,
               TillSimIntent        *intent,
               TillSimPaymentMethod *pm,
               const char           *code,
               const char           *decline_code,
               const char           *message,
               gboolean              with_charge)
{
  TillSimCharge *charge = NULL;
  TillSimResult *result;

  if (with_charge)
    {
      charge = add_charge (state, intent, pm, FALSE);
      charge->failure_code = g_strdup (code);
      charge->failure_message = g_strdup (message);
      charge->decline_code = g_strdup (decline_code);
    }

  clear_action (intent);
  g_clear_pointer (&intent->last_payment_error, json_node_unref);
  {
    JsonNode *full =
        payment_error_node (state, code, decline_code, message, charge ? charge->id : NULL, pm);

    /* The intent keeps the inner object of {"error": …}. */
    intent->last_payment_error =
        json_node_copy (json_object_get_member (json_node_get_object (full), "error"));
    json_node_unref (full);
  }
  g_clear_pointer (&intent->payment_method, g_free);
  set_status (intent, "requires_payment_method");

  if (charge != NULL)
    emit_charge (state, request, "charge.failed", charge);
  emit_intent (state, request, "payment_intent.payment_failed", intent);

  result = result_error (402, "card_error", code, NULL, "%s", message);
  result->save = TRUE;
  result->error_decline_code = g_strdup (decline_code);
  result->error_charge = charge ? g_strdup (charge->id) : NULL;
  result->error_intent = intent;
  result->error_payment_method = pm;
  return result;
}

/* One confirmation attempt with @pm: the outcome the test card dictates. */
static TillSimResult *
attempt (TillSimState         *state,
         TillSimRequest       *request,
         TillSimIntent        *intent,
         TillSimPaymentMethod *pm,
         JsonNode             *params)
{
  /* A bank redirect: Stripe sends the customer to hooks.stripe.com, which sends them on to
   * the bank's page (the issuer's origin here, /sim/redirect/ then /bank/); the bank's
   * answer comes back to Stripe and the customer to the return_url. */
  if (pm->card == NULL)
    {
      clear_action (intent);
      intent->action_nonce = till_sim_random_id ("", 24);
      intent->action_url = g_strdup_printf ("%ssim/redirect/%s/%s", request->base_uri, intent->id,
                                            intent->action_nonce);
      intent->action_payment_method = g_strdup (pm->id);
      g_free (intent->payment_method);
      intent->payment_method = g_strdup (pm->id);
      g_clear_pointer (&intent->last_payment_error, json_node_unref);
      set_status (intent, "requires_action");
      emit_intent (state, request, "payment_intent.requires_action", intent);
      return intent_reply (state, intent, params, 200);
    }

  switch (pm->card->outcome)
    {
      case TILL_SIM_CARD_SUCCEEDS:
        charge_succeeds (state, request, intent, pm);
        return intent_reply (state, intent, params, 200);

      case TILL_SIM_CARD_DECLINES:
        return attempt_fails (state, request, intent, pm, pm->card->code, pm->card->decline_code,
                              pm->card->message, TRUE);

      case TILL_SIM_CARD_AUTHENTICATES:
      case TILL_SIM_CARD_ALWAYS_AUTHENTICATES:
        /* Out of scope for strong customer authentication: the bank is not asked. */
        if (intent->moto)
          {
            charge_succeeds (state, request, intent, pm);
            return intent_reply (state, intent, params, 200);
          }
        if (param_bool (params, "error_on_requires_action"))
          return attempt_fails (
              state, request, intent, pm, "authentication_required", "authentication_required",
              "Your card was declined. This transaction requires authentication.", TRUE);
        clear_action (intent);
        intent->action_nonce = till_sim_random_id ("", 24);
        intent->action_url = g_strdup_printf ("%ssim/3ds/%s/%s", request->base_uri, intent->id,
                                              intent->action_nonce);
        intent->action_payment_method = g_strdup (pm->id);
        g_free (intent->payment_method);
        intent->payment_method = g_strdup (pm->id);
        g_clear_pointer (&intent->last_payment_error, json_node_unref);
        set_status (intent, "requires_action");
        emit_intent (state, request, "payment_intent.requires_action", intent);
        return intent_reply (state, intent, params, 200);

      default:
        g_assert_not_reached ();
    }
}

/* payment_method_options[card][moto]=true: a mail or telephone order, out of scope for
 * strong customer authentication. Stripe takes it only from accounts it has approved, and
 * only with the secret key: a page confirming with the publishable key cannot claim it. */
static TillSimResult *
check_moto (TillSimState *state, TillSimRequest *request, JsonNode *params, gboolean *moto)
{
  JsonNode *options = param (params, "payment_method_options");
  JsonNode *card = param (options, "card");
  JsonNode *value = param (card, "moto");

  *moto = FALSE;
  if (value == NULL)
    return NULL;
  if (request->publishable)
    return result_error (400, "invalid_request_error", "parameter_unknown",
                         "payment_method_options[card][moto]",
                         "Received unknown parameter: payment_method_options[card][moto]");
  if (!state->moto_enabled)
    return result_error (400, "invalid_request_error", "parameter_unknown",
                         "payment_method_options[card][moto]",
                         "Received unknown parameter: payment_method_options[card][moto]. MOTO "
                         "payments are available only to accounts Stripe has approved for them: "
                         "contact Stripe support.");
  *moto = param_bool (card, "moto");
  return NULL;
}

static TillSimResult *
unexpected_state (TillSimIntent *intent, const char *action, const char *allowed)
{
  TillSimResult *reply;

  reply = result_error (400, "invalid_request_error", "payment_intent_unexpected_state", NULL,
                        "You cannot %s this PaymentIntent because it has a status of "
                        "%s.%s%s",
                        action, intent->status, allowed ? " " : "", allowed ? allowed : "");
  reply->save = TRUE;
  return reply;
}

static gboolean
intent_allows (TillSimIntent *intent, const char *type)
{
  for (guint i = 0; i < intent->payment_method_types->len; i++)
    if (g_str_equal (g_ptr_array_index (intent->payment_method_types, i), type))
      return TRUE;
  return FALSE;
}

static char *
allowed_types (TillSimIntent *intent)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < intent->payment_method_types->len; i++)
    g_string_append_printf (text, "%s%s", i ? ", " : "",
                            (char *) g_ptr_array_index (intent->payment_method_types, i));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The intent takes @pm's type; a bank redirect needs somewhere to come back to. */
static TillSimResult *
check_payment_method (TillSimIntent *intent, TillSimPaymentMethod *pm, const char *return_url)
{
  if (!intent_allows (intent, pm->type))
    {
      g_autofree char *allowed = allowed_types (intent);

      return result_error (400, "invalid_request_error",
                           "payment_intent_incompatible_payment_method", "payment_method",
                           "The PaymentMethod provided (%s) is not allowed for this "
                           "PaymentIntent. Please attach a PaymentMethod of one of the "
                           "following types: %s.",
                           pm->type, allowed);
    }
  if (pm->card == NULL && (return_url == NULL || *return_url == '\0'))
    return result_error (400, "invalid_request_error", "parameter_missing", "return_url",
                         "A return_url must be specified because the payment method type %s "
                         "requires a redirect to the customer's bank.",
                         pm->type);
  return NULL;
}

static TillSimResult *
confirm (TillSimState *state, TillSimRequest *request, TillSimIntent *intent, JsonNode *params)
{
  TillSimPaymentMethod *pm = NULL;
  TillSimResult        *error;
  const char           *return_url = param_string (params, "return_url");
  const char           *email = param_string (params, "receipt_email");
  gboolean              moto = FALSE;

  if (!str_in (intent->status, updatable_states))
    return unexpected_state (intent, "confirm",
                             "Only a PaymentIntent with one of the following statuses may be "
                             "confirmed: requires_payment_method, requires_confirmation, "
                             "requires_action.");

  if ((error = check_email (email)) != NULL)
    return error;
  if ((error = check_moto (state, request, params, &moto)) != NULL)
    return error;
  error = resolve_payment_method (state, params, &pm);
  if (error != NULL)
    return error;
  adopt_payment_method (state, intent, pm);

  if (pm == NULL)
    {
      pm = till_sim_state_lookup_pm (state, intent->payment_method);
      if (pm == NULL)
        {
          TillSimResult *reply = result_error (
              400, "invalid_request_error", "payment_intent_unexpected_state", "payment_method",
              "You cannot confirm this PaymentIntent because it's missing "
              "a payment method. You can either update the PaymentIntent "
              "with a payment method and then confirm it again, or confirm "
              "it again directly with a payment method.");
          reply->save = TRUE;
          return reply;
        }
    }

  if ((error = check_payment_method (intent, pm, return_url)) != NULL)
    return error;

  set_string (&intent->receipt_email, email);
  set_string (&intent->return_url, return_url);
  intent->moto = moto;
  return attempt (state, request, intent, pm, params);
}

static TillSimResult *
lookup_intent_checked (TillSimState   *state,
                       TillSimRequest *request,
                       const char     *id,
                       JsonNode       *params,
                       TillSimIntent **out)
{
  TillSimIntent *intent = till_sim_state_lookup_intent (state, id);

  *out = NULL;
  if (intent == NULL)
    return no_such ("payment_intent", "intent", id);

  if (request->publishable)
    {
      const char *secret = param_string (params, "client_secret");

      if (secret == NULL)
        return result_error (400, "invalid_request_error", "parameter_missing", "client_secret",
                             "Missing required param: client_secret.");
      if (!g_str_equal (secret, intent->client_secret))
        return result_error (400, "invalid_request_error", "parameter_invalid", "client_secret",
                             "The client_secret provided does not match the "
                             "client_secret associated with the PaymentIntent.");
    }

  *out = intent;
  return NULL;
}

/* --- endpoints ---------------------------------------------------------------------- */

TillSimResult *
till_sim_state_create_intent (TillSimState *state, TillSimRequest *request, JsonNode *params)
{
  const TillCurrency   *cur = NULL;
  TillSimIntent        *intent;
  TillSimPaymentMethod *pm = NULL;
  TillSimResult        *error;
  JsonNode             *types = param (params, "payment_method_types");
  JsonNode             *apm = param (params, "automatic_payment_methods");
  g_autoptr (GPtrArray) expand = NULL;
  gint64 amount = 0;

  param_int (params, "amount", &amount);
  if ((error = check_currency (param_string (params, "currency"), &cur)) != NULL)
    return error;
  if ((error = check_amount (amount, cur)) != NULL)
    return error;
  if ((error = check_metadata (NULL, param (params, "metadata"))) != NULL)
    return error;
  if ((error = check_email (param_string (params, "receipt_email"))) != NULL)
    return error;
  if ((error = parse_expand (params, intent_expandable, &expand)) != NULL)
    return error;
  if (types != NULL && apm != NULL)
    return result_error (400, "invalid_request_error", "parameter_invalid",
                         "automatic_payment_methods",
                         "You may only specify one of these parameters: "
                         "automatic_payment_methods, payment_method_types.");
  if (types != NULL)
    {
      JsonArray *array = json_node_get_array (types);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          const char      *type = json_array_get_string_element (array, i);
          g_autofree char *name = g_strdup_printf ("payment_method_types[%u]", i);

          if (g_strcmp0 (type, "card") != 0 && g_strcmp0 (type, "ideal") != 0 &&
              g_strcmp0 (type, "card_present") != 0)
            return result_error (400, "invalid_request_error", "payment_intent_invalid_parameter",
                                 name,
                                 "The payment method type \"%s\" is invalid. The "
                                 "simulator supports \"card\", \"card_present\" and "
                                 "\"ideal\" only.",
                                 type);
          /* iDEAL takes euros only. */
          if (g_str_equal (type, "ideal") &&
              !g_str_equal (till_currency_get_stripe_code (cur), "eur"))
            return result_error (400, "invalid_request_error", "payment_intent_invalid_parameter",
                                 name,
                                 "The currency provided (%s) is invalid for one or more payment "
                                 "method types on this PaymentIntent. ideal accepts: eur.",
                                 till_currency_get_stripe_code (cur));
        }
    }
  if (param_bool (params, "confirm") == FALSE &&
      (param (params, "payment_method_data") != NULL || param (params, "return_url") != NULL))
    return result_error (400, "invalid_request_error", "parameter_invalid",
                         param (params, "return_url") ? "return_url" : "payment_method_data",
                         "This parameter can only be used with confirm=true.");

  /* Card details are checked before anything exists, like Stripe's PaymentMethod creation. */
  error = resolve_payment_method (state, params, &pm);
  if (error != NULL)
    {
      error->save = FALSE;
      return error;
    }

  intent = g_new0 (TillSimIntent, 1);
  intent->id = till_sim_random_id ("pi_", 24);
  {
    g_autofree char *secret = till_sim_random_id ("", 25);

    intent->client_secret = g_strdup_printf ("%s_secret_%s", intent->id, secret);
  }
  intent->created = now_seconds (state);
  intent->amount = amount;
  intent->currency = g_strdup (till_currency_get_stripe_code (cur));
  intent->capture_method = g_strdup (param_string (params, "capture_method") ?: "automatic");
  intent->confirmation_method =
      g_strdup (param_string (params, "confirmation_method") ?: "automatic");
  intent->automatic_payment_methods =
      apm != NULL && g_strcmp0 (json_object_get_string_member_with_default (
                                    json_node_get_object (apm), "enabled", ""),
                                "true") == 0;
  intent->payment_method_types = g_ptr_array_new_with_free_func (g_free);
  if (types != NULL)
    {
      JsonArray *array = json_node_get_array (types);

      for (guint i = 0; i < json_array_get_length (array); i++)
        g_ptr_array_add (intent->payment_method_types,
                         g_strdup (json_array_get_string_element (array, i)));
    }
  else
    g_ptr_array_add (intent->payment_method_types, g_strdup ("card"));
  /* Automatic payment methods: what a Dashboard would have on for the currency; for euros
   * that includes a bank redirect, as in live mode. */
  if (intent->automatic_payment_methods && g_str_equal (intent->currency, "eur"))
    g_ptr_array_add (intent->payment_method_types, g_strdup ("ideal"));
  intent->charges = g_ptr_array_new_with_free_func (g_free);
  intent->payment_methods = g_ptr_array_new_with_free_func (g_free);
  adopt_payment_method (state, intent, pm);
  intent->metadata = json_object_new ();
  apply_metadata (intent->metadata, param (params, "metadata"));
  set_string (&intent->description, param_string (params, "description"));
  set_string (&intent->receipt_email, param_string (params, "receipt_email"));
  set_string (&intent->statement_descriptor, param_string (params, "statement_descriptor"));
  set_string (&intent->statement_descriptor_suffix,
              param_string (params, "statement_descriptor_suffix"));
  set_string (&intent->setup_future_usage, param_string (params, "setup_future_usage"));
  set_string (&intent->return_url, param_string (params, "return_url"));
  if (pm != NULL)
    intent->payment_method = g_strdup (pm->id);
  intent->status = g_strdup (pm != NULL ? "requires_confirmation" : "requires_payment_method");
  g_hash_table_insert (state->intents, intent->id, intent);
  g_ptr_array_add (state->intent_order, intent);

  emit_intent (state, request, "payment_intent.created", intent);

  if (param_bool (params, "confirm"))
    {
      if (pm == NULL)
        {
          TillSimResult *reply = result_error (
              400, "invalid_request_error", "payment_intent_unexpected_state", "payment_method",
              "You cannot confirm this PaymentIntent because it's missing "
              "a payment method.");
          reply->save = TRUE;
          return reply;
        }
      if ((error = check_payment_method (intent, pm, intent->return_url)) != NULL)
        return error;
      return attempt (state, request, intent, pm, params);
    }

  return result_object (200, TILL_SIM_OBJECT_INTENT, intent, expand);
}

TillSimResult *
till_sim_state_retrieve_intent (TillSimState   *state,
                                TillSimRequest *request,
                                const char     *id,
                                JsonNode       *params)
{
  TillSimIntent *intent;
  TillSimResult *error = lookup_intent_checked (state, request, id, params, &intent);

  if (error != NULL)
    return error;
  return intent_reply (state, intent, params, 200);
}

TillSimResult *
till_sim_state_update_intent (TillSimState   *state,
                              TillSimRequest *request,
                              const char     *id,
                              JsonNode       *params)
{
  TillSimIntent        *intent = till_sim_state_lookup_intent (state, id);
  TillSimPaymentMethod *pm = NULL;
  const TillCurrency   *cur = NULL;
  TillSimResult        *error;
  const char           *currency = param_string (params, "currency");
  g_autoptr (GPtrArray) expand = NULL;
  gint64   amount;
  gboolean money_change;

  if (intent == NULL)
    return no_such ("payment_intent", "intent", id);

  money_change = param (params, "amount") != NULL || currency != NULL ||
                 param (params, "payment_method") != NULL ||
                 param (params, "payment_method_data") != NULL ||
                 param (params, "payment_method_types") != NULL;

  if (g_str_equal (intent->status, "canceled"))
    {
      TillSimResult *reply =
          result_error (400, "invalid_request_error", "payment_intent_unexpected_state", NULL,
                        "You cannot update this PaymentIntent because it has a status "
                        "of canceled.");
      reply->save = TRUE;
      return reply;
    }

  /* Metadata, description and receipt_email stay editable on a succeeded intent (as on
   * Stripe); what would change the payment does not. */
  if (money_change && !str_in (intent->status, updatable_states))
    {
      TillSimResult *reply =
          result_error (400, "invalid_request_error", "payment_intent_unexpected_state", NULL,
                        "This PaymentIntent's amount, currency or payment method could "
                        "not be updated because it has a status of %s. You may only "
                        "update them on a PaymentIntent with one of the following "
                        "statuses: requires_payment_method, requires_confirmation, "
                        "requires_action.",
                        intent->status);
      reply->save = TRUE;
      return reply;
    }

  if ((error = check_currency (currency ? currency : intent->currency, &cur)) != NULL)
    return error;
  amount = intent->amount;
  param_int (params, "amount", &amount);
  if ((error = check_amount (amount, cur)) != NULL)
    return error;
  if ((error = check_metadata (intent->metadata, param (params, "metadata"))) != NULL)
    return error;
  if ((error = check_email (param_string (params, "receipt_email"))) != NULL)
    return error;
  if ((error = parse_expand (params, intent_expandable, &expand)) != NULL)
    return error;
  error = resolve_payment_method (state, params, &pm);
  if (error != NULL)
    {
      error->save = FALSE;
      return error;
    }

  adopt_payment_method (state, intent, pm);
  intent->amount = amount;
  g_free (intent->currency);
  intent->currency = g_strdup (till_currency_get_stripe_code (cur));
  apply_metadata (intent->metadata, param (params, "metadata"));
  set_string (&intent->description, param_string (params, "description"));
  set_string (&intent->receipt_email, param_string (params, "receipt_email"));
  set_string (&intent->statement_descriptor, param_string (params, "statement_descriptor"));
  set_string (&intent->statement_descriptor_suffix,
              param_string (params, "statement_descriptor_suffix"));

  if (money_change)
    {
      /* A changed payment must be confirmed again. */
      clear_action (intent);
      if (pm != NULL)
        {
          g_free (intent->payment_method);
          intent->payment_method = g_strdup (pm->id);
        }
      set_status (intent,
                  intent->payment_method ? "requires_confirmation" : "requires_payment_method");
    }

  return result_object (200, TILL_SIM_OBJECT_INTENT, intent, expand);
}

TillSimResult *
till_sim_state_confirm_intent (TillSimState   *state,
                               TillSimRequest *request,
                               const char     *id,
                               JsonNode       *params)
{
  TillSimIntent *intent;
  TillSimResult *error = lookup_intent_checked (state, request, id, params, &intent);
  g_autoptr (GPtrArray) expand = NULL;

  if (error != NULL)
    return error;
  if ((error = parse_expand (params, intent_expandable, &expand)) != NULL)
    return error;
  return confirm (state, request, intent, params);
}

TillSimResult *
till_sim_state_cancel_intent (TillSimState   *state,
                              TillSimRequest *request,
                              const char     *id,
                              JsonNode       *params)
{
  TillSimIntent *intent = till_sim_state_lookup_intent (state, id);
  g_autoptr (GPtrArray) expand = NULL;
  TillSimResult *error;

  if (intent == NULL)
    return no_such ("payment_intent", "intent", id);
  if ((error = parse_expand (params, intent_expandable, &expand)) != NULL)
    return error;
  {
    /* The spec lets Stripe bypass enum checks here; Stripe still takes only these. */
    static const char *const reasons[] = { "abandoned", "duplicate", "fraudulent",
                                           "requested_by_customer", NULL };
    const char              *reason = param_string (params, "cancellation_reason");

    if (reason != NULL && !g_strv_contains (reasons, reason))
      return result_error (400, "invalid_request_error", NULL, "cancellation_reason",
                           "Invalid cancellation_reason: must be one of abandoned, "
                           "duplicate, fraudulent, or requested_by_customer");
  }
  if (!str_in (intent->status, cancelable_states))
    return unexpected_state (intent, "cancel",
                             "Only a PaymentIntent with one of the following statuses may be "
                             "canceled: requires_payment_method, requires_capture, "
                             "requires_confirmation, requires_action, processing.");

  if (g_str_equal (intent->status, "requires_capture"))
    {
      /* The authorization is released: the uncaptured charge is refunded in full. */
      TillSimCharge *charge = till_sim_state_lookup_charge (state, intent->latest_charge);

      if (charge != NULL)
        charge->amount_refunded = charge->amount;
      intent->amount_capturable = 0;
    }

  clear_action (intent);
  set_string (&intent->cancellation_reason, param_string (params, "cancellation_reason"));
  intent->canceled_at = now_seconds (state);
  set_status (intent, "canceled");
  emit_intent (state, request, "payment_intent.canceled", intent);

  return result_object (200, TILL_SIM_OBJECT_INTENT, intent, expand);
}

TillSimResult *
till_sim_state_capture_intent (TillSimState   *state,
                               TillSimRequest *request,
                               const char     *id,
                               JsonNode       *params)
{
  TillSimIntent *intent = till_sim_state_lookup_intent (state, id);
  g_autoptr (GPtrArray) expand = NULL;
  TillSimCharge *charge;
  TillSimResult *error;
  gint64         amount;

  if (intent == NULL)
    return no_such ("payment_intent", "intent", id);
  if ((error = parse_expand (params, intent_expandable, &expand)) != NULL)
    return error;
  if (!g_str_equal (intent->status, "requires_capture"))
    return unexpected_state (intent, "capture",
                             "Only a PaymentIntent with status requires_capture may be "
                             "captured.");

  amount = intent->amount_capturable;
  param_int (params, "amount_to_capture", &amount);
  if (amount < 1 || amount > intent->amount_capturable)
    return result_error (400, "invalid_request_error", "amount_too_large", "amount_to_capture",
                         "The amount to capture must be between 1 and the capturable "
                         "amount (%" G_GINT64_FORMAT ").",
                         intent->amount_capturable);

  charge = till_sim_state_lookup_charge (state, intent->latest_charge);
  charge->captured = TRUE;
  charge->amount_captured = amount;
  /* What is not captured is released, which Stripe shows as refunded. */
  charge->amount_refunded = charge->amount - amount;
  intent->amount_received = amount;
  intent->amount_capturable = 0;
  set_status (intent, "succeeded");
  emit_charge (state, request, "charge.captured", charge);
  emit_intent (state, request, "payment_intent.succeeded", intent);

  return result_object (200, TILL_SIM_OBJECT_INTENT, intent, expand);
}

TillSimResult *
till_sim_state_create_refund (TillSimState *state, TillSimRequest *request, JsonNode *params)
{
  const char    *pi_id = param_string (params, "payment_intent");
  const char    *charge_id = param_string (params, "charge");
  TillSimIntent *intent = NULL;
  TillSimCharge *charge = NULL;
  TillSimRefund *refund;
  g_autoptr (GPtrArray) expand = NULL;
  TillSimResult *error;
  gint64         remaining, amount;

  if ((error = parse_expand (params, refund_expandable, &expand)) != NULL)
    return error;
  if ((error = check_metadata (NULL, param (params, "metadata"))) != NULL)
    return error;
  if (pi_id == NULL && charge_id == NULL)
    return result_error (400, "invalid_request_error", "parameter_missing", "payment_intent",
                         "One of the following params should be provided for this "
                         "request: payment_intent or charge.");
  if (pi_id != NULL)
    {
      intent = till_sim_state_lookup_intent (state, pi_id);
      if (intent == NULL)
        return no_such ("payment_intent", "payment_intent", pi_id);
      charge = till_sim_state_lookup_charge (state, intent->latest_charge);
      if (charge_id != NULL && (charge == NULL || !g_str_equal (charge->id, charge_id)))
        return result_error (400, "invalid_request_error", "parameter_invalid", "charge",
                             "The charge %s does not belong to PaymentIntent %s.", charge_id,
                             pi_id);
    }
  else
    {
      charge = till_sim_state_lookup_charge (state, charge_id);
      if (charge == NULL)
        return no_such ("charge", "charge", charge_id);
      intent = till_sim_state_lookup_intent (state, charge->payment_intent);
    }

  if (charge == NULL || !g_str_equal (charge->status, "succeeded") || !charge->captured ||
      intent == NULL || !g_str_equal (intent->status, "succeeded"))
    {
      TillSimResult *reply =
          result_error (400, "invalid_request_error", "charge_not_refundable",
                        pi_id ? "payment_intent" : "charge",
                        "This PaymentIntent (%s) does not have a successful charge to "
                        "refund.",
                        intent ? intent->id : charge_id);
      reply->save = TRUE;
      return reply;
    }

  /* After a partial capture the released part already counts as refunded, as on Stripe. */
  remaining = charge->amount - charge->amount_refunded;
  if (remaining <= 0)
    {
      TillSimResult *reply =
          result_error (400, "invalid_request_error", "charge_already_refunded", NULL,
                        "Charge %s has already been refunded.", charge->id);
      reply->save = TRUE;
      return reply;
    }

  amount = remaining;
  param_int (params, "amount", &amount);
  if (amount < 1)
    return result_error (400, "invalid_request_error", "parameter_invalid_integer", "amount",
                         "This value must be greater than or equal to 1.");
  if (amount > remaining)
    {
      g_autofree char *wanted = format_amount (amount, charge->currency);
      g_autofree char *left = format_amount (remaining, charge->currency);
      TillSimResult   *reply =
          result_error (400, "invalid_request_error", "amount_too_large", "amount",
                        "Refund amount (%s) is greater than unrefunded "
                        "amount on charge (%s)",
                        wanted, left);
      reply->save = TRUE;
      return reply;
    }

  refund = g_new0 (TillSimRefund, 1);
  refund->id = till_sim_random_id ("re_", 24);
  refund->created = now_seconds (state);
  refund->amount = amount;
  refund->charge = g_strdup (charge->id);
  refund->payment_intent = g_strdup (intent->id);
  refund->currency = g_strdup (charge->currency);
  refund->reason = g_strdup (param_string (params, "reason"));
  refund->status = g_strdup ("succeeded");
  refund->metadata = json_object_new ();
  apply_metadata (refund->metadata, param (params, "metadata"));
  g_hash_table_insert (state->refunds, refund->id, refund);
  g_ptr_array_add (state->refund_order, refund);

  charge->amount_refunded += amount;
  g_ptr_array_add (charge->refunds, g_strdup (refund->id));

  emit_charge (state, request, "charge.refunded", charge);
  emit (state, request, "refund.created", state->snapshot (state, TILL_SIM_OBJECT_REFUND, refund));

  return result_object (200, TILL_SIM_OBJECT_REFUND, refund, expand);
}

TillSimResult *
till_sim_state_retrieve_refund (TillSimState   *state,
                                TillSimRequest *request,
                                const char     *id,
                                JsonNode       *params)
{
  TillSimRefund *refund = till_sim_state_lookup_refund (state, id);
  g_autoptr (GPtrArray) expand = NULL;
  TillSimResult *error;

  if (refund == NULL)
    return no_such ("refund", "refund", id);
  if ((error = parse_expand (params, refund_expandable, &expand)) != NULL)
    return error;
  return result_object (200, TILL_SIM_OBJECT_REFUND, refund, expand);
}

static const char *const charge_expandable[] = { "payment_intent", "balance_transaction",
                                                 "customer", "invoice", NULL };

TillSimResult *
till_sim_state_retrieve_charge (TillSimState   *state,
                                TillSimRequest *request,
                                const char     *id,
                                JsonNode       *params)
{
  TillSimCharge *charge = till_sim_state_lookup_charge (state, id);
  g_autoptr (GPtrArray) expand = NULL;
  TillSimResult *error;

  if (charge == NULL)
    return no_such ("charge", "charge", id);
  if ((error = parse_expand (params, charge_expandable, &expand)) != NULL)
    return error;
  return result_object (200, TILL_SIM_OBJECT_CHARGE, charge, expand);
}

static gboolean created_matches (JsonNode *filter, gint64 created);

static gboolean
event_type_matches (const char *pattern, const char *type)
{
  gsize length = strlen (pattern);

  /* "payment_intent.*" matches every payment_intent event. */
  if (length >= 2 && g_str_has_suffix (pattern, ".*"))
    return strncmp (pattern, type, length - 1) == 0;
  return g_str_equal (pattern, type);
}

TillSimResult *
till_sim_state_list_events (TillSimState *state, TillSimRequest *request, JsonNode *params)
{
  g_autoptr (GPtrArray) page = g_ptr_array_new ();
  const char *type = param_string (params, "type");
  JsonNode   *types = param (params, "types");
  const char *after = param_string (params, "starting_after");
  const char *before = param_string (params, "ending_before");
  const char *delivery = param_string (params, "delivery_success");
  gint64      limit = 10;
  guint       count = 0;
  gboolean    has_more = FALSE;
  GList      *start, *l;

  param_int (params, "limit", &limit);
  if (limit < 1 || limit > 100)
    return result_error (400, "invalid_request_error", "parameter_invalid_integer", "limit",
                         "This value must be between 1 and 100.");
  if (type != NULL && types != NULL)
    return result_error (400, "invalid_request_error", "parameter_invalid", "types",
                         "You may only specify one of these parameters: type, types.");
  if (after != NULL && before != NULL)
    return result_error (400, "invalid_request_error", "parameter_invalid", "ending_before",
                         "You may only specify one of these parameters: "
                         "starting_after, ending_before.");

  start = state->event_queue.head;
  if (after != NULL)
    {
      TillSimEvent *cursor = till_sim_state_lookup_event (state, after);

      if (cursor == NULL)
        return no_such ("event", "starting_after", after);
      start = g_queue_find (&state->event_queue, cursor)->next;
    }

  for (l = start; l != NULL; l = l->next)
    {
      TillSimEvent *event = l->data;
      gboolean      match = TRUE;

      if (before != NULL && g_str_equal (event->id, before))
        break;
      if (type != NULL)
        match = event_type_matches (type, event->type);
      if (!created_matches (param (params, "created"), event->created))
        match = FALSE;
      if (delivery != NULL)
        {
          gboolean delivered = event->pending_webhooks == 0 && !event->delivery_failed;

          /* delivery_success=false: still pending, or given up on. */
          if (delivered != g_str_equal (delivery, "true"))
            match = FALSE;
        }
      if (match && types != NULL && JSON_NODE_HOLDS_ARRAY (types))
        {
          JsonArray *array = json_node_get_array (types);

          match = FALSE;
          for (guint i = 0; i < json_array_get_length (array) && !match; i++)
            match = event_type_matches (json_array_get_string_element (array, i), event->type);
        }
      if (!match)
        continue;
      if (count == limit)
        {
          has_more = TRUE;
          break;
        }
      g_ptr_array_add (page, event);
      count++;
    }

  return result_list (TILL_SIM_OBJECT_EVENT, page, has_more, "/v1/events", NULL);
}

TillSimResult *
till_sim_state_retrieve_event (TillSimState   *state,
                               TillSimRequest *request,
                               const char     *id,
                               JsonNode       *params)
{
  TillSimEvent *event = till_sim_state_lookup_event (state, id);

  if (event == NULL)
    return no_such ("event", "id", id);
  return result_object (200, TILL_SIM_OBJECT_EVENT, event, NULL);
}

/* --- 3-D Secure ----------------------------------------------------------------------- */

TillSimIntent *
till_sim_state_find_challenge (TillSimState *state, const char *intent_id, const char *nonce)
{
  TillSimIntent *intent = till_sim_state_lookup_intent (state, intent_id);

  if (intent == NULL || intent->action_nonce == NULL || nonce == NULL ||
      !g_str_equal (intent->action_nonce, nonce) ||
      !g_str_equal (intent->status, "requires_action"))
    return NULL;
  return intent;
}

gboolean
till_sim_state_finish_challenge (TillSimState   *state,
                                 TillSimRequest *request,
                                 const char     *intent_id,
                                 const char     *nonce,
                                 gboolean        authenticated)
{
  TillSimIntent        *intent = till_sim_state_find_challenge (state, intent_id, nonce);
  TillSimPaymentMethod *pm;

  if (intent == NULL)
    return FALSE;
  pm = till_sim_state_lookup_pm (state, intent->action_payment_method);
  if (pm == NULL)
    return FALSE;

  if (authenticated)
    charge_succeeds (state, request, intent, pm);
  else if (pm->card == NULL)
    till_sim_result_free (attempt_fails (state, request, intent, pm,
                                         "payment_intent_payment_attempt_failed", NULL,
                                         "The customer's bank did not authorize this payment. "
                                         "Please choose a different payment method and try "
                                         "again.",
                                         FALSE));
  else
    till_sim_result_free (attempt_fails (state, request, intent, pm,
                                         "payment_intent_authentication_failure", NULL,
                                         "We are unable to authenticate your payment method. "
                                         "Please choose a different payment method and try "
                                         "again.",
                                         FALSE));
  return TRUE;
}

/* --- lists -------------------------------------------------------------------------- */

/* created=N or created[gt|gte|lt|lte]=N */
static gboolean
created_matches (JsonNode *filter, gint64 created)
{
  JsonObject *range;
  const char *ops[] = { "gt", "gte", "lt", "lte" };

  if (filter == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (filter))
    return g_ascii_strtoll (json_node_get_string (filter), NULL, 10) == created;

  range = json_node_get_object (filter);
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      const char *text = json_object_get_string_member_with_default (range, ops[i], NULL);
      gint64      bound;

      if (text == NULL)
        continue;
      bound = g_ascii_strtoll (text, NULL, 10);
      if ((i == 0 && !(created > bound)) || (i == 1 && !(created >= bound)) ||
          (i == 2 && !(created < bound)) || (i == 3 && !(created <= bound)))
        return FALSE;
    }
  return TRUE;
}

typedef gboolean (*ItemMatches) (gpointer item, JsonNode *params);
typedef const char *(*ItemId) (gpointer item);

/* Stripe's list object over @items (oldest first), newest first, with limit and cursors.
 * expand[] takes "data.<field>". */
static TillSimResult *
list_reply (TillSimObjectType  type,
            GPtrArray         *items,
            JsonNode          *params,
            const char        *url,
            const char        *what,
            const char *const *expandable,
            ItemId             id_of,
            ItemMatches        matches)
{
  g_autoptr (GPtrArray) expand = g_ptr_array_new ();
  const char *after = param_string (params, "starting_after");
  const char *before = param_string (params, "ending_before");
  JsonNode   *expand_node = param (params, "expand");
  gint64      limit = 10;
  gint        start = (gint) items->len - 1, stop = -1, step = -1;
  g_autoptr (GPtrArray) page = g_ptr_array_new ();
  gboolean has_more = FALSE;

  param_int (params, "limit", &limit);
  if (limit < 1 || limit > 100)
    return result_error (400, "invalid_request_error", "parameter_invalid_integer", "limit",
                         "This value must be between 1 and 100.");
  if (after != NULL && before != NULL)
    return result_error (400, "invalid_request_error", "parameter_invalid", "ending_before",
                         "You may only specify one of these parameters: "
                         "starting_after, ending_before.");
  for (guint i = 0;
       expand_node != NULL && i < json_array_get_length (json_node_get_array (expand_node)); i++)
    {
      const char *field = json_array_get_string_element (json_node_get_array (expand_node), i);

      if (field == NULL || !g_str_has_prefix (field, "data.") ||
          !g_strv_contains (expandable, field + strlen ("data.")))
        {
          g_autofree char *name = g_strdup_printf ("expand[%u]", i);

          return result_error (400, "invalid_request_error", NULL, name,
                               "This property cannot be expanded (%s).", field ? field : "");
        }
      g_ptr_array_add (expand, (gpointer) (field + strlen ("data.")));
    }

  /* Newest first; starting_after walks to older items, ending_before to newer ones. */
  if (after != NULL || before != NULL)
    {
      const char *cursor = after ? after : before;
      gint        found = -1;

      for (guint i = 0; i < items->len && found < 0; i++)
        if (g_str_equal (id_of (g_ptr_array_index (items, i)), cursor))
          found = i;
      if (found < 0)
        return no_such (what, after ? "starting_after" : "ending_before", cursor);
      if (after != NULL)
        start = found - 1;
      else
        {
          start = found + 1;
          stop = items->len;
          step = 1;
        }
    }

  for (gint i = start; i != stop; i += step)
    {
      gpointer item = g_ptr_array_index (items, i);

      if (!matches (item, params))
        continue;
      if (page->len == (guint) limit)
        {
          has_more = TRUE;
          break;
        }
      g_ptr_array_add (page, item);
    }
  /* ending_before pages come out oldest first: put them newest first. */
  if (step == 1)
    for (guint i = 0; i < page->len / 2; i++)
      {
        gpointer tmp = page->pdata[i];

        page->pdata[i] = page->pdata[page->len - 1 - i];
        page->pdata[page->len - 1 - i] = tmp;
      }

  return result_list (type, page, has_more, url, expand);
}

static const char *
intent_id (gpointer item)
{
  return ((TillSimIntent *) item)->id;
}

static gboolean
intent_matches (gpointer item, JsonNode *params)
{
  TillSimIntent *intent = item;

  /* The simulator has no customers: a customer filter matches nothing. */
  if (param (params, "customer") != NULL)
    return FALSE;
  return created_matches (param (params, "created"), intent->created);
}

TillSimResult *
till_sim_state_list_intents (TillSimState *state, TillSimRequest *request, JsonNode *params)
{
  return list_reply (TILL_SIM_OBJECT_INTENT, state->intent_order, params, "/v1/payment_intents",
                     "payment_intent", intent_expandable, intent_id, intent_matches);
}

static const char *
refund_id (gpointer item)
{
  return ((TillSimRefund *) item)->id;
}

static gboolean
refund_matches (gpointer item, JsonNode *params)
{
  TillSimRefund *refund = item;
  const char    *charge = param_string (params, "charge");
  const char    *intent = param_string (params, "payment_intent");

  if (charge != NULL && !g_str_equal (charge, refund->charge))
    return FALSE;
  if (intent != NULL && !g_str_equal (intent, refund->payment_intent))
    return FALSE;
  return created_matches (param (params, "created"), refund->created);
}

TillSimResult *
till_sim_state_list_refunds (TillSimState *state, TillSimRequest *request, JsonNode *params)
{
  return list_reply (TILL_SIM_OBJECT_REFUND, state->refund_order, params, "/v1/refunds", "refund",
                     refund_expandable, refund_id, refund_matches);
}

/* --- for Terminal (till-stripe-sim-terminal.c) -------------------------------------- */

gint64
till_sim_state_now (TillSimState *state)
{
  return now_seconds (state);
}

void
till_sim_state_emit (TillSimState     *state,
                     TillSimRequest   *request,
                     const char       *type,
                     TillSimObjectType object_type,
                     gconstpointer     object)
{
  emit (state, request, type, state->snapshot (state, object_type, object));
}

TillSimResult *
till_sim_result_new_object (guint status, TillSimObjectType type, gpointer object)
{
  return result_object (status, type, object, NULL);
}

TillSimResult *
till_sim_result_new_error (
    guint status, const char *type, const char *code, const char *param, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return result_error (status, type, code, param, "%s", message);
}

TillSimResult *
till_sim_state_check_metadata (JsonObject *current, JsonNode *metadata)
{
  return check_metadata (current, metadata);
}

void
till_sim_state_apply_metadata (JsonObject *target, JsonNode *metadata)
{
  apply_metadata (target, metadata);
}

TillSimResult *
till_sim_state_list_page (TillSimObjectType type,
                          GPtrArray        *items,
                          JsonNode         *params,
                          const char       *url,
                          const char       *what,
                          const char *(*id_of) (gpointer item),
                          gboolean (*matches) (gpointer item, JsonNode *params))
{
  static const char *const expandable[] = { NULL };

  return list_reply (type, items, params, url, what, expandable, id_of, matches);
}

/* A card on a reader: no 3-D Secure (the chip or the tap is the customer's authentication),
 * the decline the test card dictates, and a tip only on what is approved. */
gboolean
till_sim_state_present_card (TillSimState          *state,
                             TillSimRequest        *request,
                             TillSimIntent         *intent,
                             const TillSimTestCard *card,
                             const char            *read_method,
                             gint64                 tip,
                             const char           **failure_code,
                             const char           **failure_message)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  TillSimPaymentMethod *pm = add_payment_method (state, card, 12, g_date_time_get_year (now) + 3);

  pm->type = "card_present";
  pm->read_method = read_method;
  adopt_payment_method (state, intent, pm);

  if (card->outcome == TILL_SIM_CARD_DECLINES)
    {
      g_autoptr (TillSimResult) result = attempt_fails (state, request, intent, pm, card->code,
                                                        card->decline_code, card->message, TRUE);

      *failure_code = card->code;
      *failure_message = card->message;
      return FALSE;
    }

  intent->amount += tip;
  intent->amount_tip += tip;
  charge_succeeds (state, request, intent, pm);
  *failure_code = NULL;
  *failure_message = NULL;
  return TRUE;
}
