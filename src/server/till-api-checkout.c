/* till-api-checkout.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Checkouts. Group commit: the orders of the checkouts received until the main loop is idle
 * are stored in one transaction (till_api_flush_checkouts ()), and so are the intents of new
 * orders (till_api_flush_intents ()); then each checkout gets its PaymentIntent from Stripe
 * and is answered once that intent is committed.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-api-private.h"
#include "till-core.h"
#include "till-kiosk-policies.h"
#include "till-payments.h"
#include "till-server-error.h"

/* How long the intents of new orders wait for a transaction when the database was locked by
 * another process (see till_api_flush_checkouts ()). */
#define INTENTS_DELAY_MS 50
/* A batch of checkouts waits for an idle main loop at most this long (schedule_flush ()). */
#define FLUSH_WAIT_MAX_MS 2

/* The intent of a brand-new order is not committed on its own: it is written in the
 * transaction of the turn's checkouts (till_api_flush_checkouts ()), with the others made
 * meanwhile. Its checkout is answered (with the client secret) only once that transaction is
 * committed: an order a till was told it can charge always has its intent in the database, a crash
 * or a power cut later too. If the transaction fails, the checkout fails; the till's retry with the
 * same client_reference gets the intent back with the same idempotency key. Every other request
 * flushes first, so nothing reads the database without them. */
static gboolean on_flush_intents (gpointer user_data);

/* Takes the intents waiting to be recorded, with their orders' ids (gint64 *) and their
 * checkouts, waiting for their answers (TillApiCall *). */
static void
take_pending_intents (TillApi *self, GPtrArray **ids, GPtrArray **intents, GPtrArray **answers)
{
  *ids = g_steal_pointer (&self->pending_order_ids);
  *intents = g_steal_pointer (&self->pending_intents);
  *answers = g_steal_pointer (&self->pending_answers);
  self->pending_order_ids = g_ptr_array_new_with_free_func (g_free);
  self->pending_intents = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->pending_answers = g_ptr_array_new ();
  self->pending_answers = g_ptr_array_new ();
}

/* The checkouts of @intents, once the transaction that stored them is over: the order and
 * its intent if it was committed (@error NULL), else the error. */
static void
answer_recorded (GPtrArray *answers, GPtrArray *intents, const GError *error)
{
  g_autoptr (GPtrArray) no_refunds = g_ptr_array_new ();

  for (guint i = 0; answers != NULL && i < answers->len; i++)
    {
      TillApiCall *call = answers->pdata[i];

      if (error != NULL)
        {
          till_api_call_fail (call, error);
          continue;
        }
      g_autofree char *receipt_url = till_api_receipt_url (call->api, call->order->id);

      till_api_send_order_json (call->msg, call->success_status, call->order, no_refunds,
                                receipt_url, intents->pdata[i], NULL);
      till_api_call_done (call);
    }
}

void
till_api_flush_intents (TillApi *self)
{
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (GPtrArray) intents = NULL;
  g_autoptr (GPtrArray) answers = NULL;
  g_autoptr (GError) error = NULL;

  g_clear_handle_id (&self->intents_source, g_source_remove);
  if (self->pending_intents->len == 0)
    return;
  /* Another process is writing: they wait (and what reads meanwhile may miss them), the
   * loop does not. */
  if (!till_api_begin_without_waiting (self, &error) &&
      g_error_matches (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_BUSY))
    {
      self->intents_source = g_timeout_add (TILL_DATABASE_BUSY_RETRY_MS, on_flush_intents, self);
      return;
    }
  take_pending_intents (self, &ids, &intents, &answers);
  if (error == NULL && !till_orders_apply_intents_locked (self->db, ids, intents, &error))
    till_database_rollback (self->db);
  else if (error == NULL)
    till_database_commit (self->db, &error);
  if (error != NULL)
    g_warning ("Cannot record %u payment intents: %s", intents->len, error->message);
  answer_recorded (answers, intents, error);
}

static gboolean
on_flush_pending (gpointer user_data)
{
  TillApi *self = user_data;
  guint    current = g_source_get_id (g_main_current_source ());

  /* Whichever came first; till_api_flush_checkouts () removes the other. */
  if (self->flush_source == current)
    self->flush_source = 0;
  if (self->flush_deadline == current)
    self->flush_deadline = 0;
  till_api_flush_checkouts (self);
  return G_SOURCE_REMOVE;
}

/* Runs till_api_flush_checkouts () once the main loop has nothing else to do: the answers
 * waiting to be written and the requests already received go first, and the checkouts among
 * them join the batch. Under a load that never leaves the loop idle, the deadline runs it anyway,
 * FLUSH_WAIT_MAX_MS after its first checkout. Against the default priority, under the
 * checkout benchmark's load: larger batches, less CPU per checkout, a lower p99
 * (bench/README.md). */
static void
schedule_flush (TillApi *self)
{
  if (self->flush_source == 0)
    self->flush_source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, on_flush_pending, self, NULL);
  if (self->flush_deadline == 0)
    self->flush_deadline = g_timeout_add (FLUSH_WAIT_MAX_MS, on_flush_pending, self);
}

static gboolean
on_flush_intents (gpointer user_data)
{
  TillApi *self = user_data;

  self->intents_source = 0;
  till_api_flush_intents (self);
  return G_SOURCE_REMOVE;
}

/* They go with this turn's checkouts (till_api_flush_checkouts (), once the loop is idle or after
 * FLUSH_WAIT_MAX_MS), or on their own if there are none. */
static void
record_new_intent (TillApi *self, TillApiCall *call, JsonObject *intent)
{
  g_ptr_array_add (self->pending_order_ids, g_memdup2 (&call->order_id, sizeof call->order_id));
  g_ptr_array_add (self->pending_intents, json_object_ref (intent));
  g_ptr_array_add (self->pending_answers, call);
  /* Their checkouts wait for them: written with what the loop has ready now, not later. */
  schedule_flush (self);
}

/* What a checkout reads of the intent: write_payment (), till_orders_apply_intent () (an
 * intent made before may be paid already), till_api_stripe_failure (). */
static const char *const checkout_intent_members[] = {
  "id",       "object",  "status",        "client_secret",      "amount",   "amount_received",
  "currency", "charges", "latest_charge", "last_payment_error", "metadata", "error",
  NULL,
};

/* An intent made before (the same order again), perhaps paid already. */
static void
checkout_write_intent (TillApiCall *call)
{
  TillApi *self = call->api;
  g_autoptr (GError) error = NULL;

  if (!till_orders_apply_intent (self->db, call->order_id, call->answer->body, NULL, &error))
    {
      till_api_call_fail (call, error);
      return;
    }
  till_api_send_order (self, call->msg, call->success_status, call->order_id, call->answer->body,
                       NULL);
  till_api_call_done (call);
}

/* The order checked out again was canceled: the client checks out with a new reference. */
static void
checkout_fail_canceled (TillApiCall *call)
{
  g_autoptr (GError) error = NULL;

  error = g_error_new_literal (TILL_API_ERROR, TILL_API_ERROR_ORDER_CANCELED,
                               _ ("The order of this client_reference was canceled; check out "
                                  "again with a new client_reference"));
  till_api_call_fail (call, error);
}

/* The recorded intent of an order checked out before is unknown to Stripe (the training
 * simulator restarted): that order can never be paid, so it is canceled. */
static void
checkout_cancel_lost_intent (TillApiCall *call)
{
  if (till_api_cancel_order_of_unknown_intent (call))
    checkout_fail_canceled (call);
}

/* The card tender of a new order, as till_orders_get () would read it back. */
static void
add_card_tender (TillOrder *order)
{
  TillOrderTender *tender = till_order_tender_new ();

  tender->method = g_strdup ("card");
  tender->amount = order->total - order->paid_amount;
  tender->payment_intent = g_strdup (order->payment_intent);
  tender->status = g_strdup (order->payment_status);
  if (order->tenders == NULL)
    order->tenders = g_ptr_array_new_with_free_func ((GDestroyNotify) till_order_tender_free);
  g_ptr_array_add (order->tenders, tender);
}

static void
on_checkout_intent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillApiCall *call = user_data;
  TillApi     *self = call->api;
  g_autoptr (TillStripeResponse) response = NULL;

  response = till_api_call_stripe_answer (call, source, result);
  if (response == NULL)
    return;
  if (response->status != 200)
    {
      g_autoptr (GError) error = NULL;

      if (call->order == NULL && till_api_intent_is_unknown (response))
        {
          call->resume = checkout_cancel_lost_intent;
          till_api_write_answer (call, g_steal_pointer (&response));
          return;
        }
      error = till_api_stripe_failure (response);
      till_api_call_fail (call, error);
      return;
    }
  if (response->replayed &&
      json_object_get_string_member_with_default (response->body, "id", NULL) != NULL)
    {
      /* The intent as it was made (its key was seen before: an answer lost, or this order
       * checked out again): it may have been paid since. What it is now decides. */
      g_autofree char *path = g_strconcat (
          "/v1/payment_intents/", json_object_get_string_member (response->body, "id"), NULL);

      till_stripe_client_request_members_async (self->stripe, "GET", path, NULL, NULL,
                                                checkout_intent_members, self->cancellable,
                                                on_checkout_intent, call);
      return;
    }
  if (call->order != NULL && call->order->payment_intent == NULL &&
      g_strcmp0 (json_object_get_string_member_with_default (response->body, "status", ""),
                 "requires_payment_method") == 0)
    {
      /* A new order and its new intent: recorded with the others, answered once stored. */
      TillOrder *order = call->order;

      order->payment_intent = g_strdup (json_object_get_string_member (response->body, "id"));
      order->payment_status = g_strdup ("requires_payment_method");
      g_free (order->tender);
      order->tender = g_strdup (order->paid_amount > 0 ? "split" : "card");
      add_card_tender (order);
      record_new_intent (self, call, response->body);
      return;
    }
  call->resume = checkout_write_intent;
  till_api_write_answer (call, g_steal_pointer (&response));
}

/* Creates the order's intent, or gets it back with its key if it was made before. */
static void
checkout_post_intent (TillApiCall *call, const TillOrder *order)
{
  TillApi *self = call->api;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillStripeForm) form =
      till_payments_intent_form (self->config, self->db, order, &error);
  g_autofree char *key = till_payments_key (self->db, order->id, "payment-intent");

  if (form == NULL)
    {
      till_api_call_fail (call, error);
      return;
    }
  till_stripe_client_request_members_async (self->stripe, "POST", "/v1/payment_intents", form, key,
                                            checkout_intent_members, self->cancellable,
                                            on_checkout_intent, call);
}

/* Stripe has no intent for an order old enough for its key to be gone: one is made now. */
static void
checkout_intent_never_made (TillApiCall *call)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillOrder) order = till_orders_get (call->api->db, call->order_id, &error);

  if (order == NULL)
    till_api_call_fail (call, error);
  else
    checkout_post_intent (call, order);
}

/* Creates the order's intent (or gets it back: same key) or retrieves the known one. */
static void
checkout_fetch_intent (TillApiCall *call)
{
  TillApi *self = call->api;
  g_autoptr (GError) error = NULL;
  TillOrder *order = call->order;
  g_autoptr (TillOrder) loaded = NULL;

  if (order == NULL)
    order = loaded = till_orders_get (self->db, call->order_id, &error);
  if (order == NULL)
    {
      till_api_call_fail (call, error);
      return;
    }
  if (order->status == TILL_ORDER_CANCELED)
    {
      checkout_fail_canceled (call);
      return;
    }
  if (order->status != TILL_ORDER_PENDING_PAYMENT && order->status != TILL_ORDER_PARTIALLY_PAID &&
      order->payment_intent == NULL)
    {
      till_api_send_order (self, call->msg, call->success_status, call->order_id, NULL, NULL);
      till_api_call_done (call);
      return;
    }
  if (order->payment_intent != NULL)
    {
      g_autofree char *path = g_strconcat ("/v1/payment_intents/", order->payment_intent, NULL);

      till_stripe_client_request_members_async (self->stripe, "GET", path, NULL, NULL,
                                                checkout_intent_members, self->cancellable,
                                                on_checkout_intent, call);
    }
  else if (till_payments_key_may_be_forgotten (order))
    till_api_find_lost_intent_async (call, order, checkout_write_intent,
                                     checkout_intent_never_made);
  else
    checkout_post_intent (call, order);
}

/* Reads and removes `offline` from a checkout: when an offline sale was made. */
static gboolean
take_offline (
    JsonObject *object, gboolean cash, gboolean *out_offline, gint64 *out_sold_at, GError **error)
{
  static const char *members[] = { "sold_at", NULL };
  g_autofree char   *text = NULL;
  g_autoptr (GDateTime) sold_at = NULL;
  JsonObject *offline = NULL;

  if (!till_json_get_object (object, NULL, "offline", FALSE, &offline, error))
    return FALSE;
  *out_offline = offline != NULL;
  if (offline == NULL)
    return TRUE;
  if (!cash)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   _ ("offline: only a cash sale can be made offline"));
      return FALSE;
    }
  if (!till_json_check_members (offline, "offline", members, error) ||
      !till_json_get_string (offline, "offline", "sold_at", TRUE, 64, &text, error))
    return FALSE;
  sold_at = g_date_time_new_from_iso8601 (text, NULL);
  /* A till's clock may be a little ahead; not by more. */
  if (sold_at == NULL || g_date_time_to_unix (sold_at) > g_get_real_time () / G_USEC_PER_SEC + 300)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   _ ("offline.sold_at: must be an RFC 3339 time with its offset, not in the "
                      "future"));
      return FALSE;
    }
  *out_sold_at =
      g_date_time_to_unix (sold_at) * G_USEC_PER_SEC + g_date_time_get_microsecond (sold_at);
  json_object_remove_member (object, "offline");
  return TRUE;
}

/* An offline sale's cart, priced as the till charged it: the store's way of pricing, and
 * the totals it sent (if any) as core computes them from its lines. */
static TillCart *
offline_cart (TillApi *self, JsonObject *object, GError **error)
{
  g_autoptr (TillCart) cart = NULL;
  g_autofree TillLineTotals *lines = NULL;
  TillTotals                 totals = { 0 };
  gint64                     sent_total = -1;

  if (!till_json_get_int (object, NULL, "total", FALSE, 0, TILL_AMOUNT_MAX, &sent_total, error) ||
      (cart = till_cart_from_json (object, error)) == NULL)
    return NULL;
  if (cart->prices_include_tax != self->config->prices_include_tax)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_UNPROCESSABLE,
                   _ ("prices_include_tax: the store prices %s tax"),
                   self->config->prices_include_tax ? _ ("including") : _ ("excluding"));
      return NULL;
    }
  if (!till_cart_compute_totals (cart, &lines, &totals, error))
    return NULL;
  if (sent_total >= 0 && sent_total != totals.total)
    {
      g_autofree char *computed = g_strdup_printf ("%" G_GINT64_FORMAT, totals.total);

      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_UNPROCESSABLE,
                   _ ("total: the lines add up to %s"), computed);
      return NULL;
    }
  return g_steal_pointer (&cart);
}

/* Whether @terminal may take cash: any till may, a kiosk only when its policy (on the server,
 * never the kiosk's word) lists it. FALSE with @error set when the policy cannot be read. */
static gboolean
kiosk_takes_cash (TillApi *self, const TillTerminal *terminal, GError **error)
{
  g_autoptr (TillKioskPolicy) policy = NULL;

  if (terminal->role != TILL_ROLE_KIOSK)
    return TRUE;
  policy = till_kiosk_policy_load (self->db, terminal->id, error);
  return policy != NULL && g_strv_contains ((const char *const *) policy->tenders, "cash");
}

/* Reads and removes `tender` and `cash` from a checkout (the rest is the cart): whether it
 * is paid in cash, and what was handed over. */
static gboolean
take_tender (JsonObject *object,
             gboolean   *out_cash,
             gint64     *out_tendered,
             gboolean   *out_split,
             gint64     *out_amount,
             GError    **error)
{
  static const char *cash_members[] = { "tendered", NULL };
  static const char *split_members[] = { "amount", "tendered", NULL };
  g_autofree char   *tender = NULL;
  JsonObject        *cash = NULL;

  if (!till_json_get_string (object, NULL, "tender", FALSE, 16, &tender, error) ||
      !till_json_get_object (object, NULL, "cash", FALSE, &cash, error))
    return FALSE;
  if (tender != NULL && !g_str_equal (tender, "card") && !g_str_equal (tender, "cash") &&
      !g_str_equal (tender, "split"))
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   _ ("tender: must be “card”, “cash” or “split”"));
      return FALSE;
    }
  *out_split = g_strcmp0 (tender, "split") == 0;
  if (*out_split)
    {
      if (cash == NULL)
        {
          g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_MISSING,
                       _ ("cash: required when the tender is split"));
          return FALSE;
        }
      if (!till_json_check_members (cash, "cash", split_members, error) ||
          !till_json_get_int (cash, "cash", "amount", TRUE, 1, TILL_AMOUNT_MAX, out_amount,
                              error) ||
          !till_json_get_int (cash, "cash", "tendered", TRUE, 0, TILL_AMOUNT_MAX, out_tendered,
                              error))
        return FALSE;
      *out_cash = FALSE;
      json_object_remove_member (object, "tender");
      json_object_remove_member (object, "cash");
      return TRUE;
    }
  *out_cash = g_strcmp0 (tender, "cash") == 0;
  if (*out_cash && cash == NULL)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_MISSING,
                   _ ("cash: required when the tender is cash"));
      return FALSE;
    }
  if (!*out_cash && cash != NULL)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   _ ("cash: only for a cash tender"));
      return FALSE;
    }
  if (cash != NULL && (!till_json_check_members (cash, "cash", cash_members, error) ||
                       !till_json_get_int (cash, "cash", "tendered", TRUE, 0, TILL_AMOUNT_MAX,
                                           out_tendered, error)))
    return FALSE;
  json_object_remove_member (object, "tender");
  json_object_remove_member (object, "cash");
  return TRUE;
}

void
till_api_handle_checkout (TillApi *self, SoupServerMessage *msg, TillTerminal *terminal)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (TillCart) cart = NULL;
  TillApiCall *call;
  gboolean     cash = FALSE, offline = FALSE, split = FALSE;
  gint64       cash_tendered = 0, sold_at = 0, cash_amount = 0;

  if (!till_api_take_rate_token (self, terminal))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                    "1");
      till_api_send_new_error (msg, TILL_API_ERROR_RATE_LIMITED,
                               _ ("Too many checkouts from this terminal; wait a moment"));
      return;
    }
  object = till_api_read_json_body (msg, &error);
  if (object != NULL && take_tender (object, &cash, &cash_tendered, &split, &cash_amount, &error) &&
      take_offline (object, cash, &offline, &sold_at, &error) && offline &&
      !self->config->offline_cash)
    g_set_error (&error, TILL_API_ERROR, TILL_API_ERROR_OFFLINE_CASH_FORBIDDEN,
                 _ ("This store takes no cash sales made offline ([store] offline-cash)"));
  if (error == NULL && (cash || split) && !kiosk_takes_cash (self, terminal, &error) &&
      error == NULL)
    g_set_error (&error, TILL_API_ERROR, TILL_API_ERROR_TENDER_NOT_ALLOWED,
                 _ ("This kiosk takes no cash: its policy’s tenders do not include it"));
  if (object == NULL || error != NULL ||
      (cart = offline ? offline_cart (self, object, &error)
                      : till_cart_from_checkout_json (object, &error)) == NULL)
    {
      till_api_send_error (msg, error);
      return;
    }
  if (cart->client_reference == NULL || *cart->client_reference == '\0')
    {
      g_set_error (&error, TILL_JSON_ERROR, TILL_JSON_ERROR_MISSING,
                   _ ("client_reference: required"));
      till_api_send_error (msg, error);
      return;
    }

  /* Stored with the other checkouts received until the loop is idle: see till_api_flush_checkouts
   * (). */
  call = till_api_call_new (self, msg);
  call->cart = g_steal_pointer (&cart);
  call->terminal_id = terminal->id;
  call->cash = cash;
  call->cash_tendered = cash_tendered;
  call->offline = offline;
  call->sold_at = sold_at;
  call->split = split;
  call->cash_amount = cash_amount;
  g_ptr_array_add (self->pending_checkouts, call);
  schedule_flush (self);
}

/* Records the intents of earlier batches in the transaction begun. If that fails, the
 * transaction is gone: the orders begin another and still get theirs. */
/* FALSE when the intents could not be written: the transaction is then begun again without
 * them, for the batch's checkouts, and @not_recorded says why. */
static gboolean
apply_batch_intents (
    TillApi *self, GPtrArray *ids, GPtrArray *intents, GError **not_recorded, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (intents == NULL || intents->len == 0)
    return TRUE;
  if (!till_orders_apply_intents_locked (self->db, ids, intents, &local))
    {
      g_warning ("Cannot record %u payment intents: %s", intents->len, local->message);
      till_database_rollback (self->db);
      g_propagate_error (not_recorded, g_steal_pointer (&local));
      till_database_begin (self->db, error);
      return FALSE;
    }
  return TRUE;
}

/* The key that makes a cash checkout's payment exactly once. */
static char *
cash_checkout_key (const TillCart *cart)
{
  return g_strconcat ("checkout:", cart->client_reference, NULL);
}

/* A checkout paid in cash: its order and its cash payment, which completes it, in a
 * savepoint of their own (too little tendered undoes the order); nothing for a reference
 * seen before (@out_existing). */
static TillOrder *
create_cash_order (TillApi              *self,
                   TillApiCall          *call,
                   const TillOrderRules *rules,
                   gint64               *out_existing,
                   GError              **error)
{
  TillOrderRules cash_rules = *rules;
  g_autoptr (TillOrder) order = NULL;
  g_autofree char *key = cash_checkout_key (call->cart);
  gboolean         existing = FALSE;
  gint64           session_id = 0;

  cash_rules.cash = TRUE;
  cash_rules.as_sold = call->offline;
  cash_rules.sold_at = call->sold_at;
  if (!till_database_run (self->db, "SAVEPOINT cash", error))
    return NULL;
  order = till_orders_create_locked (self->db, &cash_rules, call->cart, call->terminal_id,
                                     self->product_cache, FALSE, out_existing, error);
  /* A new sale goes into the terminal's open drawer session; a retry needs none. */
  if (order != NULL &&
      (session_id = till_drawer_find_open (self->db, call->terminal_id, error)) == 0)
    g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_NO_DRAWER_SESSION,
                 _ ("This terminal has no drawer session open; open the drawer with its float "
                    "first"));
  if (order == NULL || session_id <= 0 ||
      !till_drawer_record_cash_locked (self->db, order->id, call->terminal_id, session_id, key,
                                       order->total, self->config->cash_rounding,
                                       call->cash_tendered, &call->cash_payment, &existing,
                                       error) ||
      !till_drawer_complete_order_locked (self->db, order->id, error))
    {
      till_database_run (self->db, "ROLLBACK TO cash", NULL);
      till_database_run (self->db, "RELEASE cash", NULL);
      return NULL;
    }
  if (!till_database_run (self->db, "RELEASE cash", error))
    return NULL;
  return g_steal_pointer (&order);
}

/* A split checkout, cash first: its order, its cash part (no rounding: the cashier chose an
 * amount the drawer can take) into the terminal's drawer session, the order partially paid,
 * and its card payment for exactly the rest, all in a savepoint of their own; its intent is
 * then made as a card checkout's. Nothing for a reference seen before (@out_existing). */
static TillOrder *
create_split_order (TillApi              *self,
                    TillApiCall          *call,
                    const TillOrderRules *rules,
                    gint64               *out_existing,
                    GError              **error)
{
  g_autoptr (TillOrder) order = NULL;
  g_autofree char *key = cash_checkout_key (call->cart);
  gboolean         existing = FALSE;
  gint64           session_id = 0, card_part = 0;

  if (!till_database_run (self->db, "SAVEPOINT split", error))
    return NULL;
  order = till_orders_create_locked (self->db, rules, call->cart, call->terminal_id,
                                     self->product_cache, FALSE, out_existing, error);
  if (order != NULL &&
      till_cash_split_card_part (order->total, call->cash_amount,
                                 till_currency_lookup (order->currency), &card_part, error) &&
      (session_id = till_drawer_find_open (self->db, call->terminal_id, error)) == 0)
    g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_NO_DRAWER_SESSION,
                 _ ("This terminal has no drawer session open; open the drawer with its float "
                    "first"));
  if (order == NULL || session_id <= 0 ||
      !till_drawer_record_cash_locked (self->db, order->id, call->terminal_id, session_id, key,
                                       call->cash_amount, 0, call->cash_tendered,
                                       &call->cash_payment, &existing, error) ||
      !till_drawer_split_order_locked (self->db, order->id, card_part, error))
    {
      till_database_run (self->db, "ROLLBACK TO split", NULL);
      till_database_run (self->db, "RELEASE split", NULL);
      return NULL;
    }
  if (!till_database_run (self->db, "RELEASE split", error))
    return NULL;
  order->status = TILL_ORDER_PARTIALLY_PAID;
  order->paid_amount = call->cash_amount;
  order->tenders = g_ptr_array_new_with_free_func ((GDestroyNotify) till_order_tender_free);
  {
    TillOrderTender *tender = till_order_tender_new ();

    tender->id = call->cash_payment.id;
    tender->method = g_strdup ("cash");
    tender->amount = call->cash_payment.amount;
    tender->rounding = call->cash_payment.rounding;
    tender->tendered = call->cash_payment.tendered;
    tender->change = call->cash_payment.change;
    tender->status = g_strdup ("succeeded");
    tender->created_at = g_date_time_new_now_utc ();
    g_ptr_array_add (order->tenders, tender);
  }
  return g_steal_pointer (&order);
}

/* A cash checkout's answer: its order (201 new, 200 again) with `payment` null and `cash`. A
 * reference whose order was checked out for a card is refused. */
static void
answer_cash_checkout (TillApiCall *call)
{
  TillApi *self = call->api;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillOrder) order = NULL;
  g_autoptr (GPtrArray) refunds = NULL;
  g_autofree char *key = cash_checkout_key (call->cart);
  g_autofree char *receipt_url = NULL;
  GString         *text;
  TillJsonWriter   writer;

  if (call->order == NULL && !till_drawer_find_cash (self->db, key, &call->cash_payment, &error))
    {
      if (error == NULL)
        error = g_error_new_literal (TILL_API_ERROR, TILL_API_ERROR_REFERENCE_CONFLICT,
                                     _ ("client_reference: its order is paid by card, not in "
                                        "cash; check out with a new reference"));
      till_api_call_fail (call, error);
      return;
    }
  order = till_orders_get (self->db, call->order_id, &error);
  refunds = order != NULL ? till_orders_list_refunds (self->db, order->id, &error) : NULL;
  if (refunds == NULL)
    {
      till_api_call_fail (call, error);
      return;
    }
  receipt_url = till_api_receipt_url (self, order->id);

  text = g_string_sized_new (2048);
  till_json_writer_init (&writer, text);
  till_json_writer_begin_object (&writer);
  till_json_writer_name (&writer, "order");
  till_orders_write_json (order, refunds, receipt_url, &writer);
  till_json_writer_name (&writer, "payment");
  till_json_writer_null (&writer);
  till_json_writer_name (&writer, "cash");
  till_cash_payment_write_json (&call->cash_payment, &writer);
  till_json_writer_end_object (&writer);
  till_api_send_written (call->msg, call->success_status, text);
  till_api_call_done (call);
}

/* An order for each checkout of the batch, in the transaction begun. Unguarded (a savepoint
 * per order costs every checkout, while a refused write is rare), FALSE as soon as the database
 * refused a write, which may have left part of that order in the transaction. */
static gboolean
create_batch_orders (TillApi *self, GPtrArray *calls, const TillOrderRules *rules, gboolean guarded)
{
  for (guint i = 0; i < calls->len; i++)
    {
      TillApiCall *call = calls->pdata[i];
      gint64       existing = 0;

      if (call->revoked)
        continue;
      g_clear_pointer (&call->order, till_order_free);
      g_clear_error (&call->error);
      if (call->cash)
        call->order = create_cash_order (self, call, rules, &existing, &call->error);
      else if (call->split)
        call->order = create_split_order (self, call, rules, &existing, &call->error);
      else
        call->order =
            till_orders_create_locked (self->db, rules, call->cart, call->terminal_id,
                                       self->product_cache, guarded, &existing, &call->error);
      call->order_id = call->order != NULL ? call->order->id : existing;
      if (!guarded && call->error != NULL && call->error->domain == TILL_DATABASE_ERROR)
        return FALSE;
    }
  return TRUE;
}

/* Group commit: the orders of the checkouts received until the main loop is idle (at most
 * FLUSH_WAIT_MAX_MS under load: schedule_flush ()) are stored in one transaction, with the
 * pending intents, instead of a commit each. Their Stripe calls start only once it is
 * committed, so an order is durable before its PaymentIntent can exist. A bad cart fails
 * alone (create_batch_orders ()). A client_reference seen before, also earlier in the same
 * transaction, gives the order already stored. */
void
till_api_flush_checkouts (TillApi *self)
{
  TillOrderRules rules = { self->config->currency, self->config->prices_include_tax,
                           self->config->number_prefix };
  g_autoptr (GPtrArray) calls = NULL;
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (GPtrArray) intents = NULL;
  g_autoptr (GPtrArray) answers = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) not_recorded = NULL;

  g_clear_handle_id (&self->flush_source, g_source_remove);
  g_clear_handle_id (&self->flush_deadline, g_source_remove);
  if (self->pending_checkouts->len == 0)
    {
      till_api_flush_intents (self);
      return;
    }
  if (self->hold_checkouts)
    {
      till_api_flush_intents (self);
      return;
    }
  /* Another process holds the write lock: try again from the main loop (the checkouts that
   * come meanwhile join this batch) rather than sleep in SQLite's busy handler with the
   * whole server. Past the wait, the batch fails with the busy error. */
  if (!till_api_begin_without_waiting (self, &error) &&
      g_error_matches (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_BUSY))
    {
      if (self->busy_since == 0)
        self->busy_since = g_get_monotonic_time ();
      if (!till_api_waited_too_long (self, self->busy_since))
        {
          self->flush_source = g_timeout_add (TILL_DATABASE_BUSY_RETRY_MS, on_flush_pending, self);
          return;
        }
    }
  self->busy_since = 0;
  calls = g_steal_pointer (&self->pending_checkouts);
  self->pending_checkouts = g_ptr_array_new ();
  if (error == NULL)
    {
      g_clear_handle_id (&self->intents_source, g_source_remove);
      take_pending_intents (self, &ids, &intents, &answers);
    }
  else if (self->pending_intents->len > 0 && self->intents_source == 0)
    {
      /* No transaction: the checkouts fail, the intents wait for a later one. */
      self->intents_source = g_timeout_add (INTENTS_DELAY_MS, on_flush_intents, self);
    }

  if (error == NULL)
    apply_batch_intents (self, ids, intents, &not_recorded, &error);
  /* The terminals were taken from the cache: if a terminal or anything else changed since
   * the last batch (a `terminal revoke` from the command line), check them again. */
  if (error == NULL && till_database_check_generation (self->db) != self->batch_generation)
    {
      till_terminal_cache_clear (self->terminal_cache);
      self->batch_generation = till_database_get_generation (self->db);
      for (guint i = 0; i < calls->len; i++)
        {
          TillApiCall *call = calls->pdata[i];

          if (!till_terminals_is_valid (self->db, call->terminal_id))
            call->revoked = TRUE;
        }
    }
  if (error == NULL && !create_batch_orders (self, calls, &rules, FALSE))
    {
      /* A write failed halfway through an order: the whole batch is undone and stored
       * again, each order in a savepoint of its own, so that it fails alone. */
      g_debug ("A write of a batch of %u checkouts failed: storing it again, an order at a time",
               calls->len);
      till_database_rollback (self->db);
      if (till_api_begin_without_waiting (self, &error))
        {
          if (not_recorded == NULL)
            apply_batch_intents (self, ids, intents, &not_recorded, &error);
          if (error == NULL)
            create_batch_orders (self, calls, &rules, TRUE);
        }
    }
  if (error == NULL)
    till_database_commit (self->db, &error);
  if (error != NULL && intents != NULL && intents->len > 0)
    g_warning ("Cannot record %u payment intents: %s", intents->len, error->message);
  answer_recorded (answers, intents, error != NULL ? error : not_recorded);

  for (guint i = 0; i < calls->len; i++)
    {
      TillApiCall *call = calls->pdata[i];

      if (error == NULL && call->revoked)
        {
          till_api_refuse_authentication (self, call->msg,
                                          "token revoked while its checkout waited");
          till_api_call_done (call);
          continue;
        }
      if (error != NULL || call->error != NULL)
        {
          till_api_call_fail (call, error != NULL ? error : call->error);
          continue;
        }
      if (call->order != NULL)
        {
          g_debug ("Order %s created", call->order->number);
          call->success_status = SOUP_STATUS_CREATED;
        }
      else
        call->success_status = SOUP_STATUS_OK;
      if (call->cash)
        answer_cash_checkout (call);
      else
        checkout_fetch_intent (call);
    }
}

guint
till_api_get_pending_checkouts (TillApi *self)
{
  return self->pending_checkouts->len;
}

void
till_api_hold_checkouts (TillApi *self, gboolean hold)
{
  self->hold_checkouts = hold;
  if (!hold && self->pending_checkouts->len > 0)
    schedule_flush (self);
}
