/* till-stripe-sim-reply.c: replies, error bodies and ids.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-stripe-sim-private.h"

GSource *
till_sim_timeout_source_new (guint interval_ms, GSourceFunc func, gpointer data)
{
  GSource *source = g_timeout_source_new (interval_ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

void
till_sim_source_clear (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_source_unref (*source);
  *source = NULL;
}

char *
till_sim_json_to_string (JsonNode *node, gboolean pretty)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, pretty);
  json_generator_set_indent (generator, 2);
  return json_generator_to_data (generator, NULL);
}

/* Takes @body. */
TillSimReply *
till_sim_reply_new (guint status, JsonNode *body)
{
  TillSimReply *reply = g_new0 (TillSimReply, 1);

  reply->status = status;
  reply->body = till_sim_json_to_string (body, TRUE);
  reply->save = TRUE;
  json_node_unref (body);
  return reply;
}

TillSimReply *
till_sim_reply_new_text (guint status, const char *body)
{
  TillSimReply *reply = g_new0 (TillSimReply, 1);

  reply->status = status;
  reply->body = g_strdup (body);
  reply->save = TRUE;
  return reply;
}

void
till_sim_reply_free (TillSimReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->body);
  g_free (reply);
}

TillSimReply *
till_sim_reply_copy (const TillSimReply *reply)
{
  TillSimReply *copy = g_new0 (TillSimReply, 1);

  copy->status = reply->status;
  copy->body = g_strdup (reply->body);
  copy->save = reply->save;
  return copy;
}

JsonNode *
till_sim_error_node (const char *type,
                     const char *code,
                     const char *decline_code,
                     const char *param,
                     const char *message,
                     JsonObject *extra)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *safe_message = g_utf8_make_valid (message, -1);
  g_autofree char *safe_param = param ? g_utf8_make_valid (param, -1) : NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  if (extra != NULL)
    {
      g_autoptr (GList) members = json_object_get_members (extra);

      for (GList *l = members; l != NULL; l = l->next)
        {
          json_builder_set_member_name (builder, l->data);
          json_builder_add_value (builder,
                                  json_node_copy (json_object_get_member (extra, l->data)));
        }
    }
  if (code != NULL)
    {
      g_autofree char *dashed = g_strdelimit (g_strdup (code), "_", '-');
      g_autofree char *url = g_strconcat ("https://stripe.com/docs/error-codes/", dashed, NULL);

      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder, code);
      json_builder_set_member_name (builder, "doc_url");
      json_builder_add_string_value (builder, url);
    }
  if (decline_code != NULL)
    {
      json_builder_set_member_name (builder, "decline_code");
      json_builder_add_string_value (builder, decline_code);
    }
  /* Messages quote what the client sent (headers, keys): never let bytes that are not
   * UTF-8 into the JSON. */
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, safe_message);
  if (param != NULL)
    {
      json_builder_set_member_name (builder, "param");
      json_builder_add_string_value (builder, safe_param);
    }
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

TillSimReply *
till_sim_reply_error (
    guint status, const char *type, const char *code, const char *param, const char *format, ...)
{
  g_autofree char *message = NULL;
  TillSimReply    *reply;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  reply = till_sim_reply_new (status, till_sim_error_node (type, code, NULL, param, message, NULL));
  /* Errors found before the endpoint ran are not kept for idempotent replays. */
  reply->save = FALSE;
  return reply;
}

char *
till_sim_random_id (const char *prefix, guint length)
{
  static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  GString          *id = g_string_sized_new (strlen (prefix) + length);

  g_string_append (id, prefix);
  for (guint i = 0; i < length; i++)
    g_string_append_c (id, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);
  return g_string_free (id, FALSE);
}

void
till_sim_reply_send (SoupServerMessage *msg, const TillSimReply *reply)
{
  soup_server_message_set_status (msg, reply->status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, reply->body,
                                    strlen (reply->body));
}

void
till_sim_send_error (SoupServerMessage *msg,
                     guint              status,
                     const char        *type,
                     const char        *code,
                     const char        *param,
                     const char        *message)
{
  g_autoptr (TillSimReply) reply = till_sim_reply_error (status, type, code, param, "%s", message);

  till_sim_reply_send (msg, reply);
}
