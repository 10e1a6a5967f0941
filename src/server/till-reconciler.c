/* till-reconciler.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reconciliation: pending orders are synced with Stripe; abandoned ones have their intent
 * canceled; refunds Stripe has not taken are sent again with the same key. A round reads
 * what to ask on the main thread, asks Stripe in a GTask on GLib's pool (no database there),
 * and writes the answers on the main thread, waiting from the main loop while another
 * process holds the write lock, like the API's writes.
 */
#include "config.h"

#include "till-core.h"
#include "till-payments.h"
#include "till-reconciler.h"
#include "till-webhooks.h"

/* Webhook events older than TILL_WEBHOOK_EVENTS_KEPT_DAYS forgotten per reconciler round. */
#define EVENTS_FORGOTTEN_PER_ROUND 500
/* Pending orders, and refunds Stripe has not taken, a reconciler round asks Stripe about. */
#define RECONCILE_ORDERS 50
#define RECONCILE_REFUNDS 50

struct _TillReconciler
{
  GObject parent_instance;

  TillDatabase           *db;
  TillStripeClient       *stripe;
  const TillServerConfig *config;
  TillReconcilerFunc      before_round;
  gpointer                before_round_data;
  GCancellable           *cancellable;
  guint                   busy_wait_ms;
  guint                   reconcile_source;
  gboolean                stopping;
  gboolean                reconciling;
  /* A round's answers, waiting for another process's write lock (on_retry_reconciled ()). */
  GTask     *reconcile_task;
  GPtrArray *reconcile_items; /* ReconcileItem * */
  gint64     reconcile_since;
  guint      reconcile_retry_source;
  /* Where the next round's pending orders start (the last one a round took), so that 50
   * orders nobody pays do not keep the reconciler from the rest. */
  gint64 reconcile_after_created;
  gint64 reconcile_after_id;
  gint64 reconcile_refunds_after; /* the same for refunds Stripe has not taken yet */
};

G_DEFINE_FINAL_TYPE (TillReconciler, till_reconciler, G_TYPE_OBJECT)

/* BEGIN IMMEDIATE: TILL_DATABASE_ERROR_BUSY at once while another process holds the write
 * lock (but waiting when stopping: there is no later). */
static gboolean
begin_without_waiting (TillReconciler *self, GError **error)
{
  return self->stopping ? till_database_begin (self->db, error)
                        : till_database_try_begin (self->db, error);
}

/* Whether what found the database locked at @since has waited as long as it may. */
static gboolean
waited_too_long (TillReconciler *self, gint64 since)
{
  return g_get_monotonic_time () - since >= (gint64) self->busy_wait_ms * G_TIME_SPAN_MILLISECOND;
}

typedef struct
{
  gint64          refund_id; /* a stuck refund rather than an order, when not 0 */
  gint64          order_id;
  char           *intent_id; /* nullable: the answer to its creation was never stored */
  TillStripeForm *form;      /* to get a lost intent back with the same key */
  char           *create_key;
  char           *cancel_key;
  gint64          created;       /* the order's, Unix time */
  gboolean        key_forgotten; /* its intent is unknown, and create_key may be gone at Stripe */
  TillLostIntent  lost;          /* then, what the search of Stripe's intents found */
  gboolean        never_made;    /* Stripe has no intent for it: canceled without one */
  gboolean        abandoned;
  JsonObject     *result;        /* the intent (or refund) as Stripe has it now */
  guint           refund_status; /* HTTP status of a retried refund */
} ReconcileItem;

static void
reconcile_item_free (ReconcileItem *item)
{
  g_free (item->intent_id);
  till_stripe_form_free (item->form);
  g_free (item->create_key);
  g_free (item->cancel_key);
  g_clear_pointer (&item->result, json_object_unref);
  g_free (item);
}

static gboolean
intent_is_final (JsonObject *intent)
{
  const char *status = json_object_get_string_member_with_default (intent, "status", "");

  return g_str_equal (status, "succeeded") || g_str_equal (status, "canceled");
}

/* One search for the round's orders whose key Stripe may have forgotten: each gets its
 * intent found (item->result), or is known to have none (item->lost), or neither. */
static void
reconcile_find_lost_intents (TillReconciler *self, GPtrArray *items, GCancellable *cancellable)
{
  g_autoptr (GHashTable) wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64   since = G_MAXINT64;
  gboolean complete;

  for (guint i = 0; i < items->len; i++)
    {
      ReconcileItem *item = items->pdata[i];

      if (!item->key_forgotten)
        continue;
      g_hash_table_insert (wanted, g_strdup_printf ("%" G_GINT64_FORMAT, item->order_id),
                           &item->result);
      since = MIN (since, item->created);
    }
  if (g_hash_table_size (wanted) == 0)
    return;
  complete = till_payments_find_lost_intents (self->stripe, self->db, wanted, since, cancellable);
  for (guint i = 0; i < items->len; i++)
    {
      ReconcileItem *item = items->pdata[i];

      if (item->key_forgotten && item->result != NULL)
        item->lost = TILL_LOST_INTENT_FOUND;
      else if (item->key_forgotten && complete)
        item->lost = TILL_LOST_INTENT_NEVER_MADE;
    }
}

/* The intent of @item's order as Stripe has it now, or NULL: no answer, or none to get. */
static JsonObject *
reconcile_get_intent (TillReconciler *self, ReconcileItem *item, GCancellable *cancellable)
{
  g_autoptr (TillStripeResponse) response = NULL;
  g_autofree char *path = NULL;

  if (item->key_forgotten)
    switch (item->lost)
      {
        case TILL_LOST_INTENT_FOUND:
          return g_steal_pointer (&item->result);
        case TILL_LOST_INTENT_NEVER_MADE:
          /* Abandoned: nothing to cancel at Stripe. Otherwise it is made now, like the first. */
          item->never_made = item->abandoned;
          if (item->never_made)
            return NULL;
          break;
        default:
          return NULL;
      }
  if (item->intent_id == NULL)
    {
      response = till_stripe_client_request_sync (self->stripe, "POST", "/v1/payment_intents",
                                                  item->form, item->create_key, cancellable, NULL);
      /* Found again with its key: the answer is the intent as it was made, and it may have
       * been paid since. */
      if (response != NULL && response->status == 200 && response->replayed &&
          json_object_get_string_member_with_default (response->body, "id", NULL) != NULL)
        {
          path = g_strconcat ("/v1/payment_intents/",
                              json_object_get_string_member (response->body, "id"), NULL);
          g_clear_pointer (&response, till_stripe_response_free);
          response = till_stripe_client_request_sync (self->stripe, "GET", path, NULL, NULL,
                                                      cancellable, NULL);
        }
    }
  else
    {
      JsonObject *stripe_error;

      path = g_strconcat ("/v1/payment_intents/", item->intent_id, NULL);
      response = till_stripe_client_request_sync (self->stripe, "GET", path, NULL, NULL,
                                                  cancellable, NULL);
      stripe_error = response != NULL && response->status == 404
                         ? till_stripe_response_get_error (response)
                         : NULL;
      if (stripe_error != NULL && item->abandoned &&
          g_str_equal (json_object_get_string_member_with_default (stripe_error, "code", ""),
                       "resource_missing"))
        {
          /* Stripe has no such intent (the training simulator forgets old ones), so nothing
           * can pay it any more: the abandoned order ends as if it had been canceled. */
          JsonObject *gone = json_object_new ();

          json_object_set_string_member (gone, "id", item->intent_id);
          json_object_set_string_member (gone, "status", "canceled");
          return gone;
        }
    }
  if (response == NULL || response->status != 200)
    return NULL;
  return json_object_ref (response->body);
}

static void
reconcile_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  TillReconciler *self = source_object;
  GPtrArray      *items = task_data;

  reconcile_find_lost_intents (self, items, cancellable);
  for (guint i = 0; i < items->len && !g_cancellable_is_cancelled (cancellable); i++)
    {
      ReconcileItem *item = items->pdata[i];

      if (item->refund_id != 0)
        {
          g_autoptr (TillStripeResponse) response = NULL;

          /* Same key as the first call: Stripe makes the refund at most once. */
          response = till_stripe_client_request_sync (
              self->stripe, "POST", "/v1/refunds", item->form, item->create_key, cancellable, NULL);
          if (response != NULL)
            {
              item->refund_status = response->status;
              item->result = json_object_ref (response->body);
            }
          continue;
        }
      item->result = reconcile_get_intent (self, item, cancellable);
      if (item->result == NULL)
        continue;

      if (item->abandoned && !intent_is_final (item->result))
        {
          g_autoptr (TillStripeForm) form = till_stripe_form_new ();
          g_autoptr (TillStripeResponse) canceled = NULL;
          const char      *id = json_object_get_string_member_with_default (item->result, "id", "");
          g_autofree char *path = g_strconcat ("/v1/payment_intents/", id, "/cancel", NULL);

          till_stripe_form_add (form, "cancellation_reason", "abandoned");
          canceled = till_stripe_client_request_sync (self->stripe, "POST", path, form,
                                                      item->cancel_key, cancellable, NULL);
          if (canceled != NULL && canceled->status == 200)
            {
              json_object_unref (item->result);
              item->result = json_object_ref (canceled->body);
            }
        }
    }
  g_task_return_boolean (task, TRUE);
}

/* Writes what Stripe said of each item; returns how many orders and refunds it changed. */
static guint
reconcile_write (TillReconciler *self, GPtrArray *items)
{
  guint changed_count = 0;

  for (guint i = 0; i < items->len; i++)
    {
      ReconcileItem *item = items->pdata[i];
      g_autoptr (GError) error = NULL;
      gboolean changed = FALSE;

      if (item->never_made)
        {
          if (!till_orders_cancel_without_intent (self->db, item->order_id, &changed, &error))
            g_message ("Reconciling order %" G_GINT64_FORMAT ": %s", item->order_id,
                       error->message);
          else if (changed)
            changed_count++;
          continue;
        }
      if (item->result == NULL)
        continue;
      if (item->refund_id != 0)
        {
          const char *refund_id =
              json_object_get_string_member_with_default (item->result, "id", NULL);
          const char *status =
              json_object_get_string_member_with_default (item->result, "status", "pending");

          if (item->refund_status == 200 && refund_id != NULL)
            {
              if (till_orders_finish_refund (self->db, item->refund_id, refund_id, status, &error))
                changed_count++;
            }
          else if (item->refund_status >= 400 && item->refund_status < 500 &&
                   item->refund_status != 409 && item->refund_status != 429)
            till_orders_finish_refund (self->db, item->refund_id, NULL, "failed", &error);
          if (error != NULL)
            g_message ("Reconciling refund %" G_GINT64_FORMAT ": %s", item->refund_id,
                       error->message);
          continue;
        }
      if (!till_orders_apply_intent (self->db, item->order_id, item->result, &changed, &error))
        g_message ("Reconciling order %" G_GINT64_FORMAT ": %s", item->order_id, error->message);
      else if (changed)
        changed_count++;
    }
  if (changed_count > 0)
    g_debug ("Reconciliation updated %u orders", changed_count);
  return changed_count;
}

/* Writes a round's answers, or leaves them waiting (G_SOURCE_CONTINUE) while another
 * process holds the write lock, like the requests' answers, from the main loop. Past
 * BUSY_WAIT_MS they are dropped: the next round asks again. */
static gboolean
on_retry_reconciled (gpointer user_data)
{
  TillReconciler *self = user_data;
  g_autoptr (GTask) task = NULL;
  g_autoptr (GPtrArray) items = NULL;
  gboolean locked = !self->stopping && till_database_is_locked_elsewhere (self->db);

  if (locked && !waited_too_long (self, self->reconcile_since))
    return G_SOURCE_CONTINUE;
  self->reconcile_retry_source = 0;
  self->reconciling = FALSE;
  task = g_steal_pointer (&self->reconcile_task);
  items = g_steal_pointer (&self->reconcile_items);
  if (locked)
    {
      g_message ("Reconciliation: the database stayed locked; the next round asks again");
      g_task_return_int (task, 0);
    }
  else
    g_task_return_int (task, reconcile_write (self, items));
  return G_SOURCE_REMOVE;
}

static void
on_reconciled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillReconciler *self = TILL_RECONCILER (source);
  g_autoptr (GTask) task = user_data;
  GPtrArray *items = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    {
      self->reconciling = FALSE;
      g_task_return_int (task, 0);
      return;
    }
  /* Written now, or once the lock is free; still reconciling meanwhile: no other round
   * starts. */
  self->reconcile_task = g_steal_pointer (&task);
  self->reconcile_items = g_ptr_array_ref (items);
  self->reconcile_since = g_get_monotonic_time ();
  if (on_retry_reconciled (self) == G_SOURCE_CONTINUE)
    self->reconcile_retry_source =
        g_timeout_add (TILL_DATABASE_BUSY_RETRY_MS, on_retry_reconciled, self);
}

/* Webhook events kept past TILL_WEBHOOK_EVENTS_KEPT_DAYS would grow the database with every
 * payment for ever. A few hundred each round (every minute by default: far more than a till
 * receives), so that a round takes the loop for a few milliseconds at most; not while
 * another process writes (the next round will). */
static void
forget_old_events (TillReconciler *self)
{
  g_autoptr (GError) error = NULL;
  gint64 before = g_get_real_time () - TILL_WEBHOOK_EVENTS_KEPT_DAYS * G_TIME_SPAN_DAY;
  gint   forgotten;

  if (!begin_without_waiting (self, &error))
    {
      if (!g_error_matches (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_BUSY))
        g_warning ("Cannot forget old webhook events: %s", error->message);
      return;
    }
  forgotten = till_webhook_forget_events (self->db, before, EVENTS_FORGOTTEN_PER_ROUND, &error);
  if (forgotten < 0)
    {
      till_database_rollback (self->db);
      g_warning ("Cannot forget old webhook events: %s", error->message);
      return;
    }
  if (!till_database_commit (self->db, &error))
    g_warning ("Cannot forget old webhook events: %s", error->message);
  else if (forgotten > 0)
    g_debug ("Forgot %d webhook events older than %d days", forgotten,
             TILL_WEBHOOK_EVENTS_KEPT_DAYS);
}

/* A round's pending orders: the RECONCILE_ORDERS after the last round's, or from the
 * oldest again once those are done. */
static GArray *
reconcile_list_pending (TillReconciler *self, gint64 older_than_us, GError **error)
{
  g_autoptr (GArray) ids = NULL;
  gint64   last_created = self->reconcile_after_created;
  gboolean from_oldest = self->reconcile_after_created == G_MININT64;

  ids = till_orders_list_pending (self->db, older_than_us, self->reconcile_after_created,
                                  self->reconcile_after_id, RECONCILE_ORDERS, &last_created, error);
  if (ids != NULL && ids->len == 0 && !from_oldest)
    {
      g_clear_pointer (&ids, g_array_unref);
      ids = till_orders_list_pending (self->db, older_than_us, G_MININT64, 0, RECONCILE_ORDERS,
                                      &last_created, error);
    }
  if (ids == NULL)
    return NULL;
  if (ids->len < RECONCILE_ORDERS)
    {
      self->reconcile_after_created = G_MININT64;
      self->reconcile_after_id = 0;
    }
  else
    {
      self->reconcile_after_created = last_created;
      self->reconcile_after_id = g_array_index (ids, gint64, ids->len - 1);
    }
  return g_steal_pointer (&ids);
}

void
till_reconciler_round_async (TillReconciler     *self,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GTask) worker = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ids = NULL;
  GPtrArray *items;
  gint64     now = g_get_real_time ();

  g_task_set_source_tag (task, till_reconciler_round_async);
  if (self->before_round != NULL)
    self->before_round (self->before_round_data);
  if (self->reconciling)
    {
      g_task_return_int (task, 0);
      return;
    }
  forget_old_events (self);
  ids = reconcile_list_pending (self, now - (gint64) self->config->reconcile_sync_after * 1000000,
                                &error);
  if (ids == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  items = g_ptr_array_new_with_free_func ((GDestroyNotify) reconcile_item_free);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr (TillOrder) order =
          till_orders_get (self->db, g_array_index (ids, gint64, i), NULL);
      ReconcileItem *item;

      if (order == NULL)
        continue;
      item = g_new0 (ReconcileItem, 1);
      item->order_id = order->id;
      item->intent_id = g_strdup (order->payment_intent);
      if (item->intent_id == NULL)
        {
          item->form = till_payments_intent_form (self->config, self->db, order, NULL);
          if (item->form == NULL)
            {
              reconcile_item_free (item);
              continue;
            }
        }
      item->create_key = till_payments_key (self->db, order->id, "payment-intent");
      item->cancel_key = till_payments_key (self->db, order->id, "cancel");
      item->created = g_date_time_to_unix (order->created_at);
      item->key_forgotten = item->intent_id == NULL && till_payments_key_may_be_forgotten (order);
      /* A partially paid order has its cash part in a drawer: its card part is synced, never
       * canceled. */
      item->abandoned = order->status == TILL_ORDER_PENDING_PAYMENT &&
                        now - item->created * G_USEC_PER_SEC >=
                            (gint64) self->config->reconcile_cancel_after * G_USEC_PER_SEC;
      g_ptr_array_add (items, item);
    }
  {
    gint64 older_than = now - (gint64) self->config->reconcile_sync_after * G_USEC_PER_SEC;
    g_autoptr (GPtrArray) refunds = till_orders_list_stuck_refunds (
        self->db, older_than, self->reconcile_refunds_after, RECONCILE_REFUNDS, NULL);

    /* As for orders: the rounds walk every stuck refund, so that refunds Stripe keeps
     * refusing do not hold back the others. */
    if (refunds != NULL && refunds->len == 0 && self->reconcile_refunds_after > 0)
      {
        g_clear_pointer (&refunds, g_ptr_array_unref);
        refunds = till_orders_list_stuck_refunds (self->db, older_than, 0, RECONCILE_REFUNDS, NULL);
      }
    if (refunds != NULL)
      self->reconcile_refunds_after = refunds->len < RECONCILE_REFUNDS
                                          ? 0
                                          : ((TillRefund *) refunds->pdata[refunds->len - 1])->id;

    for (guint i = 0; refunds != NULL && i < refunds->len; i++)
      {
        TillRefund *refund = refunds->pdata[i];
        g_autoptr (TillOrder) order = till_orders_get (self->db, refund->order_id, NULL);
        const TillCurrency *currency =
            order != NULL ? till_currency_lookup (order->currency) : NULL;
        ReconcileItem *item;
        gint64         stripe_amount;

        if (currency == NULL || order->payment_intent == NULL ||
            !till_money_to_stripe_refund (refund->amount, currency, &stripe_amount, NULL))
          continue;
        item = g_new0 (ReconcileItem, 1);
        item->refund_id = refund->id;
        item->order_id = refund->order_id;
        item->form = till_payments_refund_form (order->payment_intent, refund, stripe_amount);
        item->create_key = till_payments_refund_key (self->db, refund);
        g_ptr_array_add (items, item);
      }
  }
  if (items->len == 0)
    {
      g_ptr_array_unref (items);
      g_task_return_int (task, 0);
      return;
    }
  self->reconciling = TRUE;
  worker = g_task_new (self, self->cancellable, on_reconciled, g_steal_pointer (&task));
  g_task_set_task_data (worker, items, (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (worker, reconcile_thread);
}

gboolean
till_reconciler_round_finish (TillReconciler *self,
                              GAsyncResult   *result,
                              guint          *out_changed,
                              GError        **error)
{
  gssize changed;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  changed = g_task_propagate_int (G_TASK (result), error);
  if (changed < 0)
    return FALSE;
  if (out_changed != NULL)
    *out_changed = (guint) changed;
  return TRUE;
}

static gboolean
on_tick (gpointer user_data)
{
  TillReconciler *self = user_data;

  till_reconciler_round_async (self, NULL, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

void
till_reconciler_start (TillReconciler *self)
{
  if (self->reconcile_source == 0 && !self->stopping)
    self->reconcile_source =
        g_timeout_add_seconds (self->config->reconcile_interval, on_tick, self);
}

void
till_reconciler_stop (TillReconciler *self)
{
  self->stopping = TRUE;
  /* A round's answers waiting for the lock are written now, waiting for it if they must. */
  if (self->reconcile_task != NULL)
    {
      g_clear_handle_id (&self->reconcile_retry_source, g_source_remove);
      on_retry_reconciled (self);
    }
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reconcile_source, g_source_remove);
}

gboolean
till_reconciler_is_waiting (TillReconciler *self)
{
  return self->reconcile_task != NULL;
}

void
till_reconciler_set_busy_wait (TillReconciler *self, guint busy_wait_ms)
{
  self->busy_wait_ms = busy_wait_ms;
}

static void
till_reconciler_dispose (GObject *object)
{
  TillReconciler *self = TILL_RECONCILER (object);

  till_reconciler_stop (self);
  g_clear_object (&self->db);
  g_clear_object (&self->stripe);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (till_reconciler_parent_class)->dispose (object);
}

static void
till_reconciler_class_init (TillReconcilerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = till_reconciler_dispose;
}

static void
till_reconciler_init (TillReconciler *self)
{
  self->cancellable = g_cancellable_new ();
  self->busy_wait_ms = TILL_DATABASE_BUSY_WAIT_MS;
  self->reconcile_after_created = G_MININT64;
}

TillReconciler *
till_reconciler_new (TillDatabase           *db,
                     TillStripeClient       *stripe,
                     const TillServerConfig *config,
                     TillReconcilerFunc      before_round,
                     gpointer                user_data)
{
  TillReconciler *self = g_object_new (TILL_TYPE_RECONCILER, NULL);

  self->db = g_object_ref (db);
  self->stripe = g_object_ref (stripe);
  self->config = config;
  self->before_round = before_round;
  self->before_round_data = user_data;
  return self;
}
