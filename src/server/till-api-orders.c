/* till-api-orders.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The orders' routes: the list (and search), one order, and what is done to one: sync with
 * Stripe, confirm a cashier-keyed card (MOTO), email its receipt, cancel, refund.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-api-private.h"
#include "till-core.h"
#include "till-payments.h"
#include "till-server-error.h"

typedef struct
{
  char    *status;
  gint64   from;
  gint64   to;
  char    *q;
  gint64   intent_order; /* the order @q's intent names, if @q is an intent's id */
  gint64   amount;       /* the total @q reads as ("2.25", "2,25"), or -1 */
  gint64   before;
  gboolean slow;
} OrdersQuery;

static void
orders_query_free (OrdersQuery *query)
{
  g_free (query->status);
  g_free (query->q);
  g_free (query);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrdersQuery, orders_query_free)

static TillApiPage *
read_orders_page (TillDatabase *db, gpointer args, GError **error)
{
  OrdersQuery *query = args;
  g_autoptr (TillApiPage) page = g_new0 (TillApiPage, 1);

  page->items =
      till_orders_list (db, query->status, query->from, query->to, query->q, query->intent_order,
                        query->amount, query->before, 50, &page->next, error);
  return page->items != NULL ? g_steal_pointer (&page) : NULL;
}

static void
send_orders_page (SoupServerMessage *msg, TillApiPage *page, gpointer args)
{
  g_autofree char *cursor = NULL;
  TillJsonWriter   writer;
  GString         *text = g_string_sized_new (1024 * (page->items->len + 1));

  till_json_writer_init (&writer, text);
  till_json_writer_begin_object (&writer);
  till_json_writer_name (&writer, "orders");
  till_json_writer_begin_array (&writer);
  for (guint i = 0; i < page->items->len; i++)
    till_order_write_summary_json (page->items->pdata[i], &writer);
  till_json_writer_end_array (&writer);
  if (page->next != 0)
    cursor = till_api_cursor_encode (page->next);
  till_json_writer_member_string (&writer, "next_cursor", cursor);
  till_json_writer_end_object (&writer);
  till_api_send_written (msg, SOUP_STATUS_OK, text);
}

/* An intent's id is "pi_" and letters and digits. Not a client secret ("pi_…_secret_…"),
 * which would go to Stripe in a path, and into the log line of a failed request. */
static gboolean
looks_like_intent_id (const char *text)
{
  if (text == NULL || !g_str_has_prefix (text, "pi_") || text[3] == '\0')
    return FALSE;
  for (const char *c = text + 3; *c; c++)
    {
      if (!g_ascii_isalnum (*c))
        return FALSE;
    }
  return TRUE;
}

void
till_api_handle_orders_list (TillApi *self, SoupServerMessage *msg, GHashTable *query)
{
  g_autoptr (GError) error = NULL;
  const char     *status = till_api_query_get (query, "status");
  gint64          before = 0, from = 0, to = 0;
  TillOrderStatus parsed;
  OrdersQuery    *args;

  if (status != NULL && !till_order_status_from_string (status, &parsed))
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_REQUEST,
                               _ ("status: not an order status"));
      return;
    }
  for (guint i = 0; i < 2; i++)
    {
      const char *name = i == 0 ? "from" : "to";
      const char *value = till_api_query_get (query, name);
      g_autoptr (GDateTime) dt = NULL;

      if (value == NULL)
        continue;
      dt = g_date_time_new_from_iso8601 (value, self->tz);
      if (dt == NULL)
        {
          g_autofree char *message = g_strdup_printf (_ ("%s: not an RFC 3339 time"), name);
          till_api_send_new_error (msg, TILL_API_ERROR_INVALID_REQUEST, message);
          return;
        }
      *(i == 0 ? &from : &to) =
          g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
    }
  if (!till_api_cursor_decode (till_api_query_get (query, "cursor"), &before, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  if (till_api_query_get (query, "q") != NULL && strlen (till_api_query_get (query, "q")) > 100)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_REQUEST, _ ("q: too long"));
      return;
    }
  args = g_new0 (OrdersQuery, 1);
  args->status = g_strdup (status);
  args->from = from;
  args->to = to;
  args->q = g_strdup (till_api_query_get (query, "q"));
  args->before = before;
  /* Newest first by id, through the primary key; a status or a time range is checked row by
   * row (orders_status_created would have to sort), and may read every order. */
  args->slow = status != NULL || from != 0 || to != 0;
  /* An intent's id: the order that recorded it, from the index of intents' ids. */
  args->amount = -1;
  if (args->q != NULL && strpbrk (args->q, ".,") != NULL)
    {
      g_autofree char *decimal = g_strdup (args->q);

      g_strdelimit (decimal, ",", '.');
      if (!till_money_parse (g_strstrip (decimal), till_currency_lookup (self->config->currency),
                             TILL_PARSE_DEFAULT, &args->amount, NULL))
        args->amount = -1;
    }
  if (looks_like_intent_id (args->q))
    args->intent_order = MAX (0, till_orders_find_by_intent (self->db, args->q, NULL));
  till_api_read_page (self, msg, args->slow, read_orders_page, send_orders_page, args,
                      (GDestroyNotify) orders_query_free);
}

/* A sync's answer: the intent as it is now, or none at all any more. */
static void
sync_write_answer (TillApiCall *call)
{
  g_autoptr (GError) error = NULL;

  if (call->answer->status != 200)
    {
      if (!till_api_intent_is_unknown (call->answer))
        {
          error = till_api_stripe_failure (call->answer);
          till_api_call_fail (call, error);
        }
      else if (till_api_cancel_order_of_unknown_intent (call))
        {
          till_api_send_order (call->api, call->msg, SOUP_STATUS_OK, call->order_id, NULL, NULL);
          till_api_call_done (call);
        }
      return;
    }
  if (!till_orders_apply_intent (call->api->db, call->order_id, call->answer->body, NULL, &error))
    {
      till_api_call_fail (call, error);
      return;
    }
  till_api_send_order (call->api, call->msg, SOUP_STATUS_OK, call->order_id, NULL, NULL);
  till_api_call_done (call);
}

static void
sync_write_intent (TillApiCall *call)
{
  g_autoptr (GError) error = NULL;

  if (!till_orders_apply_intent (call->api->db, call->order_id, call->answer->body, NULL, &error))
    {
      till_api_call_fail (call, error);
      return;
    }
  till_api_send_order (call->api, call->msg, SOUP_STATUS_OK, call->order_id, NULL, NULL);
  till_api_call_done (call);
}

static void
handle_sync (TillApi *self, SoupServerMessage *msg, TillOrder *order)
{
  g_autofree char *path = NULL;
  TillApiCall     *call;

  if (order->payment_intent == NULL)
    {
      till_api_send_loaded_order (self, msg, SOUP_STATUS_OK, order, NULL, NULL);
      return;
    }
  call = till_api_call_new (self, msg);
  call->order_id = order->id;
  path = g_strconcat ("/v1/payment_intents/", order->payment_intent, NULL);
  till_api_request_for_write (call, "GET", path, NULL, NULL, FALSE, sync_write_answer);
}

/* A PaymentMethod's id: "pm_" and letters, digits and "_" (the test aliases pm_card_visa…).
 * It goes into a Stripe path's form and an idempotency key. */
static gboolean
looks_like_payment_method (const char *text)
{
  if (!g_str_has_prefix (text, "pm_") || text[3] == '\0' || strlen (text) > 200)
    return FALSE;
  for (const char *c = text + 3; *c; c++)
    {
      if (!g_ascii_isalnum (*c) && *c != '_')
        return FALSE;
    }
  return TRUE;
}

/* Stripe's answer to a MOTO confirmation: the intent (paid, or asking for an action), or a
 * declined card, whose error carries the intent with its last_payment_error. Either way the
 * order is brought up to date and answered, as a sync would. */
static void
confirm_write_answer (TillApiCall *call)
{
  TillStripeResponse *response = call->answer;
  JsonObject         *intent = response->body;
  g_autoptr (GError) error = NULL;

  if (response->status != 200)
    {
      JsonObject *stripe_error = till_stripe_response_get_error (response);
      JsonNode   *node =
          stripe_error != NULL ? json_object_get_member (stripe_error, "payment_intent") : NULL;
      const char *type = stripe_error != NULL
                             ? json_object_get_string_member_with_default (stripe_error, "type", "")
                             : "";

      /* Stripe takes the parameter only from an account it approved for MOTO. */
      if (stripe_error != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (stripe_error, "param", NULL),
                     "payment_method_options[card][moto]") == 0)
        {
          g_set_error_literal (&error, TILL_API_ERROR, TILL_API_ERROR_MOTO_NOT_ALLOWED,
                               _ ("Stripe has not approved this account for mail and telephone "
                                  "orders: ask Stripe’s support, or turn [stripe] moto off"));
          till_api_call_fail (call, error);
          return;
        }
      if (!g_str_equal (type, "card_error") || node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        {
          error = till_api_stripe_failure (response);
          till_api_call_fail (call, error);
          return;
        }
      intent = json_node_get_object (node);
    }
  if (!till_orders_apply_intent (call->api->db, call->order_id, intent, NULL, &error))
    {
      till_api_call_fail (call, error);
      return;
    }
  till_api_send_order (call->api, call->msg, SOUP_STATUS_OK, call->order_id, NULL, NULL);
  till_api_call_done (call);
}

/* A card a cashier typed for a customer: a mail or telephone order. Stripe takes
 * payment_method_options[card][moto] only on a confirmation with the secret key, so the
 * payment page makes a PaymentMethod and the server confirms with it. Never for a kiosk,
 * where the customer types their own card: that is no MOTO payment. */
static void
handle_confirm (TillApi *self, SoupServerMessage *msg, TillOrder *order, TillTerminal *terminal)
{
  static const char *allowed[] = { "payment_method", "kiosk", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (TillStripeForm) form = NULL;
  g_autofree char *payment_method = NULL;
  g_autofree char *path = NULL;
  g_autofree char *what = NULL;
  g_autofree char *key = NULL;
  gboolean         kiosk = TRUE;
  TillApiCall     *call;

  object = till_api_read_json_body (msg, &error);
  if (object == NULL || !till_json_check_members (object, "", allowed, &error) ||
      !till_json_get_string (object, "", "payment_method", TRUE, 255, &payment_method, &error) ||
      !till_json_get_boolean (object, "", "kiosk", TRUE, &kiosk, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  if (!looks_like_payment_method (payment_method))
    {
      g_set_error_literal (&error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                           _ ("payment_method: not a PaymentMethod id"));
      till_api_send_error (msg, error);
      return;
    }
  if (!self->config->moto)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_MOTO_NOT_ALLOWED,
                               _ ("This till server does not take mail or telephone orders "
                                  "([stripe] moto is off)"));
      return;
    }
  /* The server's word on what the terminal is counts, not the app's. */
  if (kiosk || terminal->role == TILL_ROLE_KIOSK)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_MOTO_NOT_ALLOWED,
                               _ ("A kiosk never takes mail or telephone orders: customers pay "
                                  "with their own cards"));
      return;
    }
  if (order->status == TILL_ORDER_CANCELED)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_STATE,
                               _ ("The order is canceled and cannot be paid"));
      return;
    }
  /* Paid already (an answer lost on the way, sent again): nothing is charged twice. */
  if (order->status != TILL_ORDER_PENDING_PAYMENT)
    {
      till_api_send_loaded_order (self, msg, SOUP_STATUS_OK, order, NULL, NULL);
      return;
    }
  if (order->payment_intent == NULL)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_STATE,
                               _ ("The order has no payment to confirm yet; sync it first"));
      return;
    }

  form = till_stripe_form_new ();
  till_stripe_form_add (form, "payment_method", payment_method);
  till_stripe_form_add (form, "payment_method_options[card][moto]", "true");
  path = g_strconcat ("/v1/payment_intents/", order->payment_intent, "/confirm", NULL);
  /* The same card on the same order is the same confirmation (Stripe answers a retry as the
   * first try); another card after a decline is a new one. */
  what = g_strconcat ("confirm-", payment_method, NULL);
  key = till_payments_key (self->db, order->id, what);
  call = till_api_call_new (self, msg);
  call->order_id = order->id;
  till_api_request_for_write (call, "POST", path, form, key, FALSE, confirm_write_answer);
}

/* Deliberately loose: one @, something on each side, a dot after it, no spaces. Stripe
 * and the mail system do the rest. */
static gboolean
looks_like_email (const char *text)
{
  const char *at = strchr (text, '@');

  return at != NULL && at != text && strchr (at + 1, '@') == NULL && strchr (at + 1, '.') != NULL &&
         at[1] != '.' && !g_str_has_suffix (text, ".") && strpbrk (text, " \t\r\n<>,;") == NULL;
}

/* Email Receipt: Stripe sends its receipt for a paid intent once `receipt_email` is set.
 * The address is the customer's: it goes to Stripe and is never logged or stored here. */
static void
handle_receipt (TillApi *self, SoupServerMessage *msg, TillOrder *order)
{
  static const char *allowed[] = { "email", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (TillStripeForm) form = NULL;
  g_autofree char *email = NULL;
  g_autofree char *path = NULL;
  TillApiCall     *call;

  object = till_api_read_json_body (msg, &error);
  if (object == NULL || !till_json_check_members (object, "", allowed, &error) ||
      !till_json_get_string (object, "", "email", TRUE, 254, &email, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  if (!looks_like_email (email))
    {
      g_set_error_literal (&error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                           _ ("email: not an email address"));
      till_api_send_error (msg, error);
      return;
    }
  if (order->payment_intent == NULL || order->status == TILL_ORDER_PENDING_PAYMENT ||
      order->status == TILL_ORDER_CANCELED)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_STATE,
                               _ ("Only a paid order has a receipt to send"));
      return;
    }

  form = till_stripe_form_new ();
  till_stripe_form_add (form, "receipt_email", email);
  call = till_api_call_new (self, msg);
  call->order_id = order->id;
  path = g_strconcat ("/v1/payment_intents/", order->payment_intent, NULL);
  /* Stripe answers the intent: the order is brought up to date and sent back. */
  till_api_request_for_write (call, "POST", path, form, NULL, TRUE, sync_write_intent);
}

/* Answers a cancel from @order as it is now when that settles it: canceled (200), or paid
 * (409: refund it instead). FALSE, with nothing sent, while it is still pending. */
static gboolean
answer_cancel_settled (TillApiCall *call, const TillOrder *order)
{
  g_autoptr (GError) error = NULL;

  if (order->status == TILL_ORDER_PENDING_PAYMENT)
    return FALSE;
  if (order->status == TILL_ORDER_CANCELED)
    {
      till_api_send_order (call->api, call->msg, SOUP_STATUS_OK, call->order_id, NULL, NULL);
      till_api_call_done (call);
      return TRUE;
    }
  g_set_error (&error, TILL_API_ERROR, TILL_API_ERROR_INVALID_STATE,
               _ ("The order is paid and cannot be canceled; refund it instead"));
  till_api_call_fail (call, error);
  return TRUE;
}

/* Canceled, or Stripe's reason why not. */
static void
cancel_write_intent (TillApiCall *call)
{
  TillApi            *self = call->api;
  TillStripeResponse *response = call->answer;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillOrder) order = NULL;

  if (response->status != 200)
    {
      JsonObject *stripe_error = till_stripe_response_get_error (response);
      JsonNode   *intent =
          stripe_error != NULL ? json_object_get_member (stripe_error, "payment_intent") : NULL;

      /* No such intent: nothing to cancel at Stripe, and nothing can be paid. */
      if (till_api_intent_is_unknown (response))
        {
          if (!till_api_cancel_order_of_unknown_intent (call))
            return;
          order = till_orders_get (self->db, call->order_id, &error);
          if (order != NULL && answer_cancel_settled (call, order))
            return;
          if (error == NULL)
            g_set_error (&error, TILL_API_ERROR, TILL_API_ERROR_INVALID_STATE,
                         _ ("The order’s payment changed meanwhile; try again"));
          till_api_call_fail (call, error);
          return;
        }

      /* Already succeeded or canceled: Stripe says so and sends the intent along. */
      if (intent != NULL && JSON_NODE_HOLDS_OBJECT (intent))
        till_orders_apply_intent (self->db, call->order_id, json_node_get_object (intent), NULL,
                                  NULL);
      order = till_orders_get (self->db, call->order_id, NULL);
      if (order != NULL && answer_cancel_settled (call, order))
        return;
      error = till_api_stripe_failure (response);
      till_api_call_fail (call, error);
      return;
    }
  if (!till_orders_apply_intent (self->db, call->order_id, response->body, NULL, &error))
    {
      till_api_call_fail (call, error);
      return;
    }
  till_api_send_order (self, call->msg, SOUP_STATUS_OK, call->order_id, NULL, NULL);
  till_api_call_done (call);
}

/* No intent was ever made for the order: nothing to cancel at Stripe. */
static void
cancel_write_without_intent (TillApiCall *call)
{
  TillApi *self = call->api;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillOrder) order = NULL;
  gboolean changed = FALSE;

  if (!till_orders_cancel_without_intent (self->db, call->order_id, &changed, &error))
    {
      till_api_call_fail (call, error);
      return;
    }
  order = till_orders_get (self->db, call->order_id, &error);
  if (order == NULL)
    till_api_call_fail (call, error);
  else if (!answer_cancel_settled (call, order))
    {
      /* Still pending, so given an intent meanwhile (a webhook, another request). */
      g_set_error (&error, TILL_API_ERROR, TILL_API_ERROR_INVALID_STATE,
                   _ ("The order’s payment changed meanwhile; try again"));
      till_api_call_fail (call, error);
    }
}

static void
cancel_intent_never_made (TillApiCall *call)
{
  call->resume = cancel_write_without_intent;
  till_api_write_answer (call, NULL);
}

/* The lost intent, found again: recorded, then canceled. */
static void
cancel_write_recovered_intent (TillApiCall *call)
{
  TillApi *self = call->api;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillStripeForm) form = till_stripe_form_new ();
  g_autofree char *path = NULL;
  g_autofree char *key = NULL;
  const char      *intent_id;

  if (!till_orders_apply_intent (self->db, call->order_id, call->answer->body, NULL, &error))
    {
      till_api_call_fail (call, error);
      return;
    }
  intent_id = json_object_get_string_member_with_default (call->answer->body, "id", "");
  path = g_strconcat ("/v1/payment_intents/", intent_id, "/cancel", NULL);
  key = till_payments_key (self->db, call->order_id, "cancel");
  till_stripe_form_add (form, "cancellation_reason", "requested_by_customer");
  /* The call goes on: it may wait for the lock again with the next answer. */
  g_clear_pointer (&call->answer, till_stripe_response_free);
  till_api_request_for_write (call, "POST", path, form, key, FALSE, cancel_write_intent);
}

static void
handle_cancel (TillApi *self, SoupServerMessage *msg, TillOrder *order)
{
  g_autoptr (GError) error = NULL;
  TillApiCall *call;

  if (order->status == TILL_ORDER_CANCELED)
    {
      till_api_send_order (self, msg, SOUP_STATUS_OK, order->id, NULL, NULL);
      return;
    }
  if (order->status != TILL_ORDER_PENDING_PAYMENT)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_STATE,
                               _ ("The order is paid and cannot be canceled; refund it instead"));
      return;
    }

  call = till_api_call_new (self, msg);
  call->order_id = order->id;
  if (order->payment_intent != NULL)
    {
      g_autoptr (TillStripeForm) form = till_stripe_form_new ();
      g_autofree char *path =
          g_strconcat ("/v1/payment_intents/", order->payment_intent, "/cancel", NULL);
      g_autofree char *key = till_payments_key (self->db, order->id, "cancel");

      till_stripe_form_add (form, "cancellation_reason", "requested_by_customer");
      till_api_request_for_write (call, "POST", path, form, key, FALSE, cancel_write_intent);
    }
  else if (till_payments_key_may_be_forgotten (order))
    till_api_find_lost_intent_async (call, order, cancel_write_recovered_intent,
                                     cancel_intent_never_made);
  else
    {
      /* The intent's answer may have been lost: get it back with the same key, then cancel
       * it, so no intent stays open behind a canceled order. */
      g_autoptr (TillStripeForm) form =
          till_payments_intent_form (self->config, self->db, order, &error);
      g_autofree char *key = till_payments_key (self->db, order->id, "payment-intent");

      if (form == NULL)
        {
          till_api_call_fail (call, error);
          return;
        }
      till_api_request_for_write (call, "POST", "/v1/payment_intents", form, key, TRUE,
                                  cancel_write_recovered_intent);
    }
}

/* Stripe's answer to a refund: made (or pending), or refused. */
static void
refund_write (TillApiCall *call)
{
  TillApi            *self = call->api;
  TillStripeResponse *response = call->answer;
  g_autoptr (GError) error = NULL;
  const char *refund_id, *status;

  if (response->status != 200)
    {
      g_autoptr (GError) mapped = till_api_stripe_failure (response);

      if (response->status < 500 && response->status != 429 && response->status != 409)
        till_orders_finish_refund (self->db, call->refund->id, NULL, "failed", NULL);
      till_api_call_fail (call, mapped);
      return;
    }
  refund_id = json_object_get_string_member_with_default (response->body, "id", NULL);
  status = json_object_get_string_member_with_default (response->body, "status", "pending");
  if (refund_id == NULL)
    {
      g_set_error (&error, TILL_API_ERROR, TILL_API_ERROR_PAYMENT_PROVIDER,
                   _ ("The payment provider sent a refund without id"));
      till_api_call_fail (call, error);
      return;
    }
  if (!till_orders_finish_refund (self->db, call->refund->id, refund_id, status, &error))
    {
      till_api_call_fail (call, error);
      return;
    }
  till_refund_free (call->refund);
  call->refund = NULL;
  {
    g_autoptr (GPtrArray) refunds = till_orders_list_refunds (self->db, call->order_id, &error);
    TillRefund *found = NULL;

    for (guint i = 0; refunds != NULL && i < refunds->len; i++)
      if (g_strcmp0 (((TillRefund *) refunds->pdata[i])->stripe_refund, refund_id) == 0)
        found = refunds->pdata[i];
    if (found != NULL)
      till_api_send_order (self, call->msg, call->success_status, call->order_id, NULL, found);
    else
      {
        if (error == NULL)
          g_set_error (&error, TILL_API_ERROR, TILL_API_ERROR_INTERNAL,
                       _ ("The refund was made but cannot be found"));
        till_api_send_error (call->msg, error);
      }
  }
  till_api_call_done (call);
}

static void
handle_refund (TillApi *self, SoupServerMessage *msg, TillOrder *order, TillTerminal *terminal)
{
  static const char *allowed[] = { "amount", "reason", NULL };
  static const char *reasons[] = { "duplicate", "fraudulent", "requested_by_customer", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (TillRefund) refund = NULL;
  g_autoptr (TillStripeForm) form = NULL;
  g_autofree char    *reason = NULL;
  g_autofree char    *request_id = NULL;
  g_autofree char    *key = NULL;
  const char         *header;
  const TillCurrency *currency = till_currency_lookup (order->currency);
  gint64              amount = 0, stripe_amount;
  gboolean            existing = FALSE;
  TillApiCall        *call;

  if (!till_api_require_admin (msg, terminal))
    return;
  object = till_api_read_json_body_full (msg, TRUE, &error);
  if (object == NULL || !till_json_check_members (object, "", allowed, &error) ||
      !till_json_get_int (object, "", "amount", FALSE, 1, TILL_AMOUNT_MAX, &amount, &error) ||
      !till_json_get_string (object, "", "reason", FALSE, 40, &reason, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  if (reason != NULL && !g_strv_contains (reasons, reason))
    {
      g_set_error_literal (&error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                           _ ("reason: must be duplicate, fraudulent or requested_by_customer"));
      till_api_send_error (msg, error);
      return;
    }
  header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                         "Idempotency-Key");
  if (header != NULL && (strlen (header) == 0 || strlen (header) > 200))
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_REQUEST,
                               _ ("Idempotency-Key: must have 1 to 200 characters"));
      return;
    }
  request_id = header != NULL ? g_strdup (header) : g_uuid_string_random ();

  /* Split: only the card part goes back to the card (the cash part's refund from the drawer
   * is not taken yet). */
  if (g_strcmp0 (order->tender, "split") == 0 && order->tenders != NULL)
    {
      gint64 card_left = order->total - order->refunded;

      for (guint i = 0; i < order->tenders->len; i++)
        {
          TillOrderTender *tender = order->tenders->pdata[i];

          if (g_strcmp0 (tender->method, "cash") == 0)
            card_left -= tender->amount;
        }
      if (amount == 0)
        amount = card_left;
      if (amount <= 0 || amount > card_left)
        {
          g_autofree char *left = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (card_left, 0));
          g_autofree char *message = g_strdup_printf (
              _ ("amount: at most %s of this split payment can go back to the card; give the "
                 "cash part back as a drawer pay-out"),
              left);

          till_api_send_new_error (msg, TILL_API_ERROR_INVALID_STATE, message);
          return;
        }
    }

  /* Paid in cash: given back in cash, from the refunding terminal's drawer, at once. */
  if (order->payment_intent == NULL && g_strcmp0 (order->tender, "cash") == 0)
    {
      refund = till_orders_refund_cash (self->db, order->id, terminal->id, request_id, amount,
                                        reason, &existing, &error);
      if (refund == NULL)
        till_api_send_error (msg, error);
      else
        till_api_send_order (self, msg, existing ? SOUP_STATUS_OK : SOUP_STATUS_CREATED, order->id,
                             NULL, refund);
      return;
    }

  refund = till_orders_reserve_refund (self->db, order->id, request_id, amount, reason, &existing,
                                       &error);
  if (refund == NULL)
    {
      till_api_send_error (msg, error);
      return;
    }
  if (existing && (refund->stripe_refund != NULL || g_strcmp0 (refund->status, "failed") == 0))
    {
      till_api_send_order (self, msg, SOUP_STATUS_OK, order->id, NULL, refund);
      return;
    }
  if (currency == NULL ||
      !till_money_to_stripe_refund (refund->amount, currency, &stripe_amount, &error))
    {
      till_orders_finish_refund (self->db, refund->id, NULL, "failed", NULL);
      g_prefix_error (&error, "amount: ");
      till_api_send_error (msg, error);
      return;
    }

  form = till_payments_refund_form (order->payment_intent, refund, stripe_amount);
  key = till_payments_refund_key (self->db, refund);

  call = till_api_call_new (self, msg);
  call->order_id = order->id;
  call->success_status = existing ? SOUP_STATUS_OK : SOUP_STATUS_CREATED;
  call->refund = g_steal_pointer (&refund);
  /* No answer: the refund stays pending (reserved) and can be retried with the same request
   * id, which reuses the same Stripe idempotency key. */
  till_api_request_for_write (call, "POST", "/v1/refunds", form, key, FALSE, refund_write);
}

void
till_api_handle_order (TillApi           *self,
                       SoupServerMessage *msg,
                       const char        *method,
                       const char        *id_text,
                       const char        *action,
                       TillTerminal      *terminal)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillOrder) order = NULL;
  gint64 id;

  if (!till_api_parse_id (id_text, &id) || (order = till_orders_get (self->db, id, &error)) == NULL)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND, _ ("No such order"));
      return;
    }
  if (action == NULL)
    {
      if (!g_str_equal (method, "GET"))
        till_api_send_new_error (msg, TILL_API_ERROR_METHOD, _ ("Method not allowed"));
      else
        till_api_send_loaded_order (self, msg, SOUP_STATUS_OK, order, NULL, NULL);
      return;
    }
  if (!g_str_equal (method, "POST"))
    {
      till_api_send_new_error (msg, TILL_API_ERROR_METHOD, _ ("Method not allowed"));
      return;
    }
  if (g_str_equal (action, "sync"))
    handle_sync (self, msg, order);
  else if (g_str_equal (action, "cancel"))
    handle_cancel (self, msg, order);
  else if (g_str_equal (action, "refunds"))
    handle_refund (self, msg, order, terminal);
  else if (g_str_equal (action, "receipt"))
    handle_receipt (self, msg, order);
  else if (g_str_equal (action, "confirm"))
    handle_confirm (self, msg, order, terminal);
  else
    till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND, _ ("No such resource"));
}
