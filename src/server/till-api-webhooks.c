/* till-api-webhooks.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Stripe's webhooks: the signature is checked on the raw bytes, then the event is applied
 * (till-webhooks.c).
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-api-private.h"
#include "till-core.h"
#include "till-server-error.h"
#include "till-webhooks.h"

static void
answer_event (TillApi *self, SoupServerMessage *msg, JsonObject *event)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  gboolean duplicate = FALSE;

  if (!till_webhook_handle_event (self->db, event, &duplicate, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "received");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "duplicate");
  json_builder_add_boolean_value (builder, duplicate);
  json_builder_end_object (builder);
  answer = json_builder_get_root (builder);
  till_api_send_json (msg, SOUP_STATUS_OK, answer);
}

typedef struct
{
  TillApiCall *call;
  JsonObject  *event;
} ChargeFetch;

static void
on_charge_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ChargeFetch *fetch = user_data;
  TillApiCall *call = fetch->call;
  g_autoptr (JsonObject) event = fetch->event;
  g_autoptr (TillStripeResponse) response = NULL;

  g_free (fetch);
  response = till_api_call_stripe_answer (call, source, result);
  if (response == NULL)
    return; /* answered with the error: Stripe delivers the event again later */
  if (response->status == 200)
    till_webhook_attach_charge (event, response->body);
  else if (response->status != 404)
    {
      g_autoptr (GError) error = till_api_stripe_failure (response);

      till_api_call_fail (call, error);
      return;
    }
  /* A charge Stripe does not know (404) would not be known on a later delivery either: the
   * event is applied without the card. */
  if (!call->finished)
    answer_event (call->api, call->msg, event);
  till_api_call_done (call);
}

void
till_api_handle_webhook (TillApi *self, SoupServerMessage *msg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr (JsonObject) event = NULL;
  const char *signature = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "Stripe-Signature");
  gsize         length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  const char   *charge;

  /* The raw bytes, before any parsing. */
  if (!till_webhook_verify (signature, data, length, self->config->webhook_secret,
                            g_get_real_time () / G_USEC_PER_SEC, TILL_WEBHOOK_TOLERANCE_SECONDS,
                            &error))
    {
      g_message ("Webhook refused: %s", error->message);
      till_api_send_error (msg, error);
      return;
    }
  event = till_json_parse_object ((const char *) data, length, &error);
  if (event == NULL)
    {
      till_api_send_error (msg, error);
      return;
    }

  /* An intent in API version 2022-11-15 or later names its charge only: the card brand and
   * last 4 are on the Charge, fetched first (in the version till-server pins). Until it
   * comes, the delivery waits; if Stripe cannot be reached, it is refused and Stripe sends it
   * again. */
  charge = till_webhook_charge_to_fetch (self->db, event);
  if (charge != NULL && self->stripe != NULL)
    {
      ChargeFetch     *fetch = g_new0 (ChargeFetch, 1);
      g_autofree char *path = g_strconcat ("/v1/charges/", charge, NULL);

      fetch->call = till_api_call_new (self, msg);
      fetch->event = g_steal_pointer (&event);
      till_stripe_client_request_async (self->stripe, "GET", path, NULL, NULL, NULL,
                                        on_charge_fetched, fetch);
      return;
    }
  answer_event (self, msg, event);
}
