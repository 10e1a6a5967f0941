/* sim-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "sim-test-util.h"

void
sim_response_free (SimResponse *response)
{
  g_clear_error (&response->error);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->json, json_node_unref);
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_free (response);
}

struct _SimCall
{
  SoupMessage *msg;
  SimResponse *response;
  gboolean     done;
  gint64       started;
};

static void
on_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SimCall     *call = user_data;
  SimResponse *response = call->response;

  response->body =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, &response->error);
  response->elapsed_us = g_get_monotonic_time () - call->started;
  if (response->error == NULL)
    {
      gsize       length;
      const char *data = g_bytes_get_data (response->body, &length);
      g_autoptr (JsonParser) parser = json_parser_new ();

      response->status = soup_message_get_status (call->msg);
      response->headers = soup_message_headers_ref (soup_message_get_response_headers (call->msg));
      if (length > 0 && json_parser_load_from_data (parser, data, length, NULL))
        response->json = json_node_copy (json_parser_get_root (parser));
    }
  call->done = TRUE;
}

static SimCall *
call_start (SoupSession       *session,
            const char        *method,
            const char        *uri,
            const char        *key,
            const char        *form,
            const char *const *headers,
            SoupMessageFlags   flags)
{
  SimCall            *call = g_new0 (SimCall, 1);
  SoupMessageHeaders *request_headers;
  const char         *content_type = "application/x-www-form-urlencoded";

  call->msg = soup_message_new (method, uri);
  g_assert_nonnull (call->msg);
  request_headers = soup_message_get_request_headers (call->msg);
  if (key != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", key, NULL);

      soup_message_headers_replace (request_headers, "Authorization", value);
    }
  for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
    {
      if (g_ascii_strcasecmp (headers[i], "Content-Type") == 0)
        content_type = headers[i + 1];
      else
        soup_message_headers_replace (request_headers, headers[i], headers[i + 1]);
    }
  if (form != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (form, strlen (form));

      soup_message_set_request_body_from_bytes (call->msg, content_type, bytes);
    }
  soup_message_add_flags (call->msg, flags);

  call->response = g_new0 (SimResponse, 1);
  call->started = g_get_monotonic_time ();
  soup_session_send_and_read_async (session, call->msg, G_PRIORITY_DEFAULT, NULL, on_call_done,
                                    call);
  return call;
}

SimCall *
sim_call_start (SoupSession       *session,
                const char        *method,
                const char        *uri,
                const char        *key,
                const char        *form,
                const char *const *headers)
{
  return call_start (session, method, uri, key, form, headers, 0);
}

SimResponse *
sim_request_no_redirect (SoupSession *session,
                         const char  *method,
                         const char  *uri,
                         const char  *form)
{
  return sim_call_wait (
      call_start (session, method, uri, NULL, form, NULL, SOUP_MESSAGE_NO_REDIRECT));
}

SimResponse *
sim_call_wait (SimCall *call)
{
  SimResponse *response;

  g_assert_true (till_test_wait_for (&call->done, SIM_TEST_DEADLINE_MS));
  response = call->response;
  g_object_unref (call->msg);
  g_free (call);
  return response;
}

SimResponse *
sim_request (SoupSession *session,
             const char  *method,
             const char  *uri,
             const char  *key,
             const char  *form,
             ...)
{
  g_autoptr (GPtrArray) headers = g_ptr_array_new ();
  va_list     args;
  const char *name;

  va_start (args, form);
  while ((name = va_arg (args, const char *)) != NULL)
    {
      g_ptr_array_add (headers, (gpointer) name);
      g_ptr_array_add (headers, va_arg (args, char *));
    }
  va_end (args);
  g_ptr_array_add (headers, NULL);

  return sim_call_wait (
      sim_call_start (session, method, uri, key, form, (const char *const *) headers->pdata));
}

JsonNode *
sim_json_path (JsonNode *root, const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, ".", -1);
  JsonNode *node = root;

  for (guint i = 0; node != NULL && parts[i] != NULL; i++)
    {
      if (JSON_NODE_HOLDS_OBJECT (node))
        node = json_object_get_member (json_node_get_object (node), parts[i]);
      else if (JSON_NODE_HOLDS_ARRAY (node))
        {
          guint64    index = g_ascii_strtoull (parts[i], NULL, 10);
          JsonArray *array = json_node_get_array (node);

          node =
              index < json_array_get_length (array) ? json_array_get_element (array, index) : NULL;
        }
      else
        node = NULL;
    }
  return node;
}

const char *
sim_json_string (JsonNode *root, const char *path)
{
  JsonNode *node = sim_json_path (root, path);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gint64
sim_json_int (JsonNode *root, const char *path)
{
  JsonNode *node = sim_json_path (root, path);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_true (json_node_get_value_type (node) == G_TYPE_INT64);
  return json_node_get_int (node);
}

gboolean
sim_json_bool (JsonNode *root, const char *path)
{
  JsonNode *node = sim_json_path (root, path);

  g_assert_nonnull (node);
  g_assert_true (json_node_get_value_type (node) == G_TYPE_BOOLEAN);
  return json_node_get_boolean (node);
}

gboolean
sim_json_is_null (JsonNode *root, const char *path)
{
  JsonNode *node = sim_json_path (root, path);

  return node != NULL && JSON_NODE_HOLDS_NULL (node);
}

static void
on_webhook (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  SimReceiver *receiver = user_data;
  gint64       now = g_get_monotonic_time ();

  receiver->attempts++;
  g_array_append_val (receiver->times, now);
  if (receiver->attempts <= receiver->fail_first)
    {
      soup_server_message_set_status (msg, 500, NULL);
      return;
    }

  g_ptr_array_add (receiver->bodies,
                   soup_message_body_flatten (soup_server_message_get_request_body (msg)));
  g_ptr_array_add (receiver->signatures,
                   g_strdup (soup_message_headers_get_one (
                       soup_server_message_get_request_headers (msg), "Stripe-Signature")));
  soup_server_message_set_status (msg, 200, NULL);
}

SimReceiver *
sim_receiver_new (void)
{
  SimReceiver *receiver = g_new0 (SimReceiver, 1);
  g_autoptr (GError) error = NULL;
  GSList *uris;

  receiver->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (receiver->server, "/hook", on_webhook, receiver, NULL);
  soup_server_listen_local (receiver->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (receiver->server);
  receiver->url = g_strdup_printf ("http://127.0.0.1:%d/hook", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  receiver->bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  receiver->signatures = g_ptr_array_new_with_free_func (g_free);
  receiver->times = g_array_new (FALSE, FALSE, sizeof (gint64));
  return receiver;
}

void
sim_receiver_free (SimReceiver *receiver)
{
  soup_server_disconnect (receiver->server);
  g_object_unref (receiver->server);
  g_free (receiver->url);
  g_ptr_array_unref (receiver->bodies);
  g_ptr_array_unref (receiver->signatures);
  g_array_unref (receiver->times);
  g_free (receiver);
}
