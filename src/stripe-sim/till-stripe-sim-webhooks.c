/* till-stripe-sim-webhooks.c: POST events to the configured endpoint, signed, with retries.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Deliveries go out one at a time from a queue. A delivery that fails (network error or a
 * non-2xx answer) goes back to the end of the queue after an exponential backoff
 * (first_delay_ms, doubled each attempt) until max_attempts; so, as with Stripe, events can
 * arrive out of order and more than once. The signature is Stripe's: HMAC-SHA256 over
 * "<t>.<body>" keyed with the endpoint secret, sent as "t=<t>,v1=<hex>" (plus a v0 entry that
 * receivers must ignore, as Stripe's test mode sends).
 *
 * Events go out in the endpoint's API version (by default a current one, as for an endpoint
 * made in the Dashboard today), not in the version of the request that caused them.
 *
 * A delivery holds its own copy of the event, so it still goes out once the simulator has
 * forgotten the event. The queue itself is bounded (set_max_queued): past the bound the
 * oldest deliveries waiting are given up on, as if their attempts had run out.
 */
#include "config.h"

#include <string.h>

#include "till-stripe-sim-render-private.h"
#include "till-stripe-sim-webhooks-private.h"

typedef struct
{
  char   *event_id;
  GBytes *payload;
  guint   attempts;
  gint64  ready_at; /* monotonic µs */
} Delivery;

struct _TillSimWebhooks
{
  SoupSession        *session;
  GCancellable       *cancellable;
  char               *url;
  char               *secret;
  char               *api_version; /* of the endpoint: what events are rendered in */
  guint               first_delay_ms;
  guint               max_attempts;
  guint               max_queued; /* 0: no limit */
  GQueue              queue;      /* Delivery */
  Delivery           *in_flight;
  GSource            *timer;
  TillSimDeliveryDone done;
  gpointer            done_data;
};

typedef struct
{
  TillSimWebhooks *self;
  GCancellable    *cancellable;
  Delivery        *delivery;
} SendData;

static void pump (TillSimWebhooks *self);

static void
delivery_free (Delivery *delivery)
{
  g_free (delivery->event_id);
  g_bytes_unref (delivery->payload);
  g_free (delivery);
}

TillSimWebhooks *
till_sim_webhooks_new (TillSimDeliveryDone done, gpointer user_data)
{
  TillSimWebhooks *self = g_new0 (TillSimWebhooks, 1);

  self->done = done;
  self->done_data = user_data;
  self->session =
      soup_session_new_with_options ("timeout", 15, "idle-timeout", 30, "user-agent",
                                     "Stripe/1.0 (+https://stripe.com/docs/webhooks)", NULL);
  self->cancellable = g_cancellable_new ();
  self->first_delay_ms = 1000;
  self->max_attempts = 8;
  self->api_version = g_strdup (TILL_SIM_API_VERSION_CURRENT);
  g_queue_init (&self->queue);
  return self;
}

void
till_sim_webhooks_free (TillSimWebhooks *self)
{
  /* A delivery in flight learns of this through its cancellable and frees itself. */
  g_cancellable_cancel (self->cancellable);
  self->in_flight = NULL;
  till_sim_source_clear (&self->timer);
  g_queue_clear_full (&self->queue, (GDestroyNotify) delivery_free);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_free (self->url);
  g_free (self->secret);
  g_free (self->api_version);
  g_free (self);
}

void
till_sim_webhooks_configure (TillSimWebhooks *self, const char *url, const char *secret)
{
  g_free (self->url);
  self->url = g_strdup (url);
  g_free (self->secret);
  self->secret = g_strdup (secret);
}

gboolean
till_sim_webhooks_is_configured (TillSimWebhooks *self)
{
  return self->url != NULL && self->secret != NULL;
}

void
till_sim_webhooks_set_retry (TillSimWebhooks *self, guint first_delay_ms, guint max_attempts)
{
  self->first_delay_ms = MAX (first_delay_ms, 1);
  self->max_attempts = MAX (max_attempts, 1);
}

void
till_sim_webhooks_set_api_version (TillSimWebhooks *self, const char *api_version)
{
  g_free (self->api_version);
  self->api_version = g_strdup (api_version);
}

void
till_sim_webhooks_set_max_queued (TillSimWebhooks *self, guint max_queued)
{
  self->max_queued = max_queued;
}

guint
till_sim_webhooks_get_pending (TillSimWebhooks *self)
{
  return self->queue.length + (self->in_flight != NULL ? 1 : 0);
}

static char *
hmac_hex (const char *key, const char *signed_payload, gsize length)
{
  return g_compute_hmac_for_data (G_CHECKSUM_SHA256, (const guchar *) key, strlen (key),
                                  (const guchar *) signed_payload, length);
}

char *
till_sim_webhooks_sign (const char *secret, gint64 timestamp, const char *payload, gsize length)
{
  g_autofree char *prefix = g_strdup_printf ("%" G_GINT64_FORMAT ".", timestamp);
  g_autoptr (GString) signed_payload = g_string_sized_new (strlen (prefix) + length);
  g_autofree char *v1 = NULL;
  g_autofree char *v0 = NULL;

  g_string_append (signed_payload, prefix);
  g_string_append_len (signed_payload, payload, length);
  v1 = hmac_hex (secret, signed_payload->str, signed_payload->len);
  /* Stripe's test mode adds a v0 signature made with another secret: receivers ignore it. */
  v0 = hmac_hex ("till-stripe-sim-v0", signed_payload->str, signed_payload->len);

  return g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s,v0=%s", timestamp, v1, v0);
}

static void schedule (TillSimWebhooks *self);

static gboolean
on_timer (gpointer user_data)
{
  TillSimWebhooks *self = user_data;

  till_sim_source_clear (&self->timer);
  pump (self);
  return G_SOURCE_REMOVE;
}

static void
schedule (TillSimWebhooks *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 earliest = G_MAXINT64;

  if (self->timer != NULL || self->in_flight != NULL)
    return;
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    earliest = MIN (earliest, ((Delivery *) l->data)->ready_at);
  if (earliest == G_MAXINT64)
    return;
  self->timer = till_sim_timeout_source_new (MAX (earliest - now, 0) / 1000 + 1, on_timer, self);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SendData *data = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  SoupMessage     *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  TillSimWebhooks *self;
  Delivery        *delivery = data->delivery;
  guint            status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (g_cancellable_is_cancelled (data->cancellable))
    {
      /* The simulator is gone. */
      delivery_free (delivery);
      g_object_unref (data->cancellable);
      g_free (data);
      return;
    }

  self = data->self;
  g_object_unref (data->cancellable);
  g_free (data);
  self->in_flight = NULL;

  status = msg ? soup_message_get_status (msg) : 0;
  delivery->attempts++;
  if (error == NULL && status >= 200 && status < 300)
    {
      g_debug ("webhook %s delivered (attempt %u)", delivery->event_id, delivery->attempts);
      if (self->done != NULL)
        self->done (delivery->event_id, TRUE, self->done_data);
      delivery_free (delivery);
    }
  else if (delivery->attempts >= self->max_attempts)
    {
      g_message ("webhook %s dropped after %u attempts (%s)", delivery->event_id,
                 delivery->attempts, error ? error->message : soup_status_get_phrase (status));
      if (self->done != NULL)
        self->done (delivery->event_id, FALSE, self->done_data);
      delivery_free (delivery);
    }
  else
    {
      guint64 backoff = (guint64) self->first_delay_ms << MIN (delivery->attempts - 1, 16);

      g_debug ("webhook %s failed (%s), retrying in %" G_GUINT64_FORMAT " ms", delivery->event_id,
               error ? error->message : soup_status_get_phrase (status), backoff);
      delivery->ready_at = g_get_monotonic_time () + backoff * 1000;
      g_queue_push_tail (&self->queue, delivery);
    }

  pump (self);
}

static void
pump (TillSimWebhooks *self)
{
  gint64 now = g_get_monotonic_time ();
  g_autoptr (SoupMessage) msg = NULL;
  g_autofree char *signature = NULL;
  SendData        *data;
  Delivery        *delivery = NULL;
  gsize            length;
  const char      *payload;

  if (self->in_flight != NULL || self->url == NULL)
    return;

  for (GList *l = self->queue.head; l != NULL; l = l->next)
    if (((Delivery *) l->data)->ready_at <= now)
      {
        delivery = l->data;
        g_queue_delete_link (&self->queue, l);
        break;
      }
  if (delivery == NULL)
    {
      schedule (self);
      return;
    }

  msg = soup_message_new (SOUP_METHOD_POST, self->url);
  if (msg == NULL)
    {
      g_message ("webhook URL %s is not valid; dropping %s", self->url, delivery->event_id);
      delivery_free (delivery);
      pump (self);
      return;
    }

  payload = g_bytes_get_data (delivery->payload, &length);
  signature =
      till_sim_webhooks_sign (self->secret, g_get_real_time () / G_USEC_PER_SEC, payload, length);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Stripe-Signature",
                                signature);
  soup_message_set_request_body_from_bytes (msg, "application/json; charset=utf-8",
                                            delivery->payload);

  self->in_flight = delivery;
  data = g_new0 (SendData, 1);
  data->self = self;
  data->cancellable = g_object_ref (self->cancellable);
  data->delivery = delivery;
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable,
                                    on_sent, data);
}

static Delivery *
delivery_new (TillSimEvent *event, const char *api_version)
{
  Delivery *delivery = g_new0 (Delivery, 1);
  g_autoptr (JsonNode) node = NULL;
  char *text;

  event->pending_webhooks++;
  node = till_sim_render_event (event, api_version);
  text = till_sim_json_to_string (node, TRUE);
  delivery->event_id = g_strdup (event->id);
  delivery->payload = g_bytes_new_take (text, strlen (text));
  delivery->ready_at = g_get_monotonic_time ();
  return delivery;
}

void
till_sim_webhooks_enqueue (TillSimWebhooks *self,
                           GPtrArray       *events,
                           gboolean         duplicate,
                           gboolean         reorder)
{
  if (!till_sim_webhooks_is_configured (self) || events == NULL || events->len == 0)
    return;

  for (guint i = 0; i < events->len; i++)
    {
      TillSimEvent *event = g_ptr_array_index (events, reorder ? events->len - 1 - i : i);
      Delivery     *delivery = delivery_new (event, self->api_version);

      g_queue_push_tail (&self->queue, delivery);
      if (duplicate)
        {
          Delivery *copy = g_new0 (Delivery, 1);

          copy->event_id = g_strdup (delivery->event_id);
          copy->payload = g_bytes_ref (delivery->payload);
          copy->ready_at = delivery->ready_at;
          event->pending_webhooks++;
          g_queue_push_tail (&self->queue, copy);
        }
    }

  while (self->max_queued > 0 && self->queue.length > self->max_queued)
    {
      Delivery *oldest = g_queue_pop_head (&self->queue);

      g_debug ("webhook %s given up on: more than %u deliveries waiting", oldest->event_id,
               self->max_queued);
      if (self->done != NULL)
        self->done (oldest->event_id, FALSE, self->done_data);
      delivery_free (oldest);
    }
  pump (self);
}
