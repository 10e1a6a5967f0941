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
  gboolean      duplicate = FALSE;
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (JsonBuilder) builder = NULL;

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
  if (event == NULL || !till_webhook_handle_event (self->db, event, &duplicate, &error))
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
