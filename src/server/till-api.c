/* till-api.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Request life: an early handler refuses oversized or unsized bodies, and bodies whose end
 * is ambiguous (two Content-Lengths), before they are read; the handler authenticates the
 * bearer token (failures are logged and limited per peer address), routes, parses the body
 * strictly and answers JSON. Calls to Stripe pause the message (TillApiCall) and run on the
 * main loop through curl's multi interface; the database is used as till-database.h says.
 *
 * This file builds the object, routes requests, serves the small routes (configuration,
 * the payment page, training terminals) and starts and stops the server; the routes are in
 * till-api-{catalog,checkout,orders,reports,webhooks}.c, over till-api-request.c.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "till-api-private.h"
#include "till-products.h"
#include "till-core.h"
#include "till-http-listener.h"
#include "till-payments.h"
#include "till-server-error.h"
#include "till-search.h"
#include "till-server-resources.h"
#include "till-training.h"
#include "till-webhooks.h"

#define API_PREFIX "/api/v1/"
#define RESOURCE_PREFIX "/io/github/tillpos/Till/server"

G_DEFINE_FINAL_TYPE (TillApi, till_api, G_TYPE_OBJECT)

static void
on_request_done (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  till_api_set_corked (msg, FALSE);
}

/* Refusing a body before reading it: the connection is taken from libsoup (which would
 * read the whole body first), the answer written at once and the sending side shut, so the
 * client sees the answer and the end without waiting. What it still sends is read and dropped
 * until it closes too, or for at most LINGER_MS, before closing: closing with unread data
 * would send a reset that could cost the client the answer. */
#define LINGER_MS 2000

typedef struct
{
  GIOStream    *stream;
  GCancellable *cancellable;
  guint         timeout_id;
  guint8        buffer[16384];
  gsize         drained;
} Lingering;

static void
lingering_free (Lingering *lingering)
{
  g_clear_handle_id (&lingering->timeout_id, g_source_remove);
  g_io_stream_close (lingering->stream, NULL, NULL);
  g_object_unref (lingering->stream);
  g_object_unref (lingering->cancellable);
  g_free (lingering);
}

static gboolean
on_lingering_over (gpointer user_data)
{
  Lingering *lingering = user_data;

  /* The pending read then ends (cancelled) and frees it. */
  lingering->timeout_id = 0;
  g_cancellable_cancel (lingering->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_lingering_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Lingering *lingering = user_data;
  gssize     n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0 || (lingering->drained += n) > 64 * 1024 * 1024)
    {
      lingering_free (lingering);
      return;
    }
  g_input_stream_read_async (G_INPUT_STREAM (source), lingering->buffer, sizeof lingering->buffer,
                             G_PRIORITY_LOW, lingering->cancellable, on_lingering_read, lingering);
}

static void
reject_early (SoupServerMessage *msg, guint status, TillApiError code, const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (TILL_API_ERROR, code, message);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *body = NULL;
  g_autofree char *response = NULL;
  GSocket         *socket;
  Lingering       *lingering;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, till_api_error_get_code (error));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, error->message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = till_json_to_string (root, FALSE);
  response = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                              "Content-Type: application/json\r\n"
                              "Content-Length: %zu\r\n"
                              "Connection: close\r\n"
                              "Cache-Control: no-store\r\n"
                              "X-Content-Type-Options: nosniff\r\n"
                              "\r\n%s",
                              status, soup_status_get_phrase (status), strlen (body), body);
  g_debug ("%s %s: %u %s (before reading the body)", soup_server_message_get_method (msg),
           till_api_loggable_path (msg), status, till_api_error_get_code (error));

  socket = till_http_message_get_socket (msg);
  lingering = g_new0 (Lingering, 1);
  lingering->stream = soup_server_message_steal_connection (msg);
  lingering->cancellable = g_cancellable_new ();
  /* A few hundred bytes: the socket buffer takes them without blocking. */
  g_output_stream_write_all (g_io_stream_get_output_stream (lingering->stream), response,
                             strlen (response), NULL, NULL, NULL);
  g_output_stream_flush (g_io_stream_get_output_stream (lingering->stream), NULL, NULL);
  if (socket != NULL)
    g_socket_shutdown (socket, FALSE, TRUE, NULL);
  lingering->timeout_id = g_timeout_add (LINGER_MS, on_lingering_over, lingering);
  g_input_stream_read_async (g_io_stream_get_input_stream (lingering->stream), lingering->buffer,
                             sizeof lingering->buffer, G_PRIORITY_LOW, lingering->cancellable,
                             on_lingering_read, lingering);
}

typedef struct
{
  guint content_lengths;
  guint transfer_encodings;
} Framing;

static void
count_framing (const char *name, const char *value, gpointer user_data)
{
  Framing *framing = user_data;

  if (g_ascii_strcasecmp (name, "Content-Length") == 0)
    framing->content_lengths++;
  else if (g_ascii_strcasecmp (name, "Transfer-Encoding") == 0)
    framing->transfer_encodings++;
}

static void
early_handler (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  TillApi            *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding        encoding = soup_message_headers_get_encoding (headers);
  Framing             framing = { 0, 0 };
  goffset             length;

  /* Where a body ends must not be open to two readings (libsoup takes the last of two
   * Content-Lengths, a proxy in front may take the first): the rest would be read as another
   * request. Such a request is refused and its connection closed, even with equal values. */
  soup_message_headers_foreach (headers, count_framing, &framing);
  if (framing.content_lengths > 1)
    reject_early (msg, SOUP_STATUS_BAD_REQUEST, TILL_API_ERROR_INVALID_REQUEST,
                  _ ("A request may have only one Content-Length header"));
  else if (framing.transfer_encodings > 0 && framing.content_lengths > 0)
    reject_early (msg, SOUP_STATUS_BAD_REQUEST, TILL_API_ERROR_INVALID_REQUEST,
                  _ ("A request may not have both Content-Length and Transfer-Encoding"));
  else if (framing.transfer_encodings > 1)
    reject_early (msg, SOUP_STATUS_BAD_REQUEST, TILL_API_ERROR_INVALID_REQUEST,
                  _ ("A request may have only one Transfer-Encoding header"));
  else if (encoding == SOUP_ENCODING_CONTENT_LENGTH)
    {
      length = soup_message_headers_get_content_length (headers);
      if (length > 0 && (guint64) length > self->config->max_body)
        reject_early (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, TILL_API_ERROR_TOO_LARGE,
                      _ ("The request body is larger than the server accepts"));
    }
  else if (encoding != SOUP_ENCODING_NONE)
    {
      /* Chunked bodies have no size to check before reading them. */
      reject_early (msg, SOUP_STATUS_LENGTH_REQUIRED, TILL_API_ERROR_LENGTH_REQUIRED,
                    _ ("A request body needs a Content-Length"));
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Small routes */

/* Cash (issue 25): the rounding of cash parts, whether offline cash sales may be uploaded,
 * and the tenders a till may offer. */
static void
add_cash_config (TillApi *self, JsonBuilder *builder)
{
  json_builder_set_member_name (builder, "cash_rounding");
  json_builder_add_int_value (builder, self->config->cash_rounding);
  json_builder_set_member_name (builder, "offline_cash");
  json_builder_add_boolean_value (builder, self->config->offline_cash);
  json_builder_set_member_name (builder, "tenders");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "card");
  json_builder_add_string_value (builder, "cash");
  json_builder_add_string_value (builder, "split");
  json_builder_end_array (builder);
}

static void
handle_config (TillApi *self, SoupServerMessage *msg, const TillTerminal *terminal)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "store_name");
  json_builder_add_string_value (builder, self->config->store_name);
  json_builder_set_member_name (builder, "store_address");
  if (self->config->store_address != NULL)
    json_builder_add_string_value (builder, self->config->store_address);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "store_tax_id");
  if (self->config->store_tax_id != NULL)
    json_builder_add_string_value (builder, self->config->store_tax_id);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, self->config->currency);
  json_builder_set_member_name (builder, "prices_include_tax");
  json_builder_add_boolean_value (builder, self->config->prices_include_tax);
  json_builder_set_member_name (builder, "mode");
  json_builder_add_string_value (builder, till_server_mode_to_string (self->config->mode));
  json_builder_set_member_name (builder, "publishable_key");
  if (self->config->publishable_key != NULL)
    json_builder_add_string_value (builder, self->config->publishable_key);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "stripe_js_url");
  if (self->config->js_url != NULL)
    json_builder_add_string_value (builder, self->config->js_url);
  else
    json_builder_add_null_value (builder);
  /* The app sends a card the cashier typed to the confirm route, as a MOTO payment. */
  json_builder_set_member_name (builder, "moto");
  json_builder_add_boolean_value (builder, self->config->moto);
  /* The app shows a cashier why it may not refund before it asks. */
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, till_role_to_string (terminal->role));
  add_cash_config (self, builder);
  /* A kiosk's policy: the app is a kiosk when its server says so, whatever its settings. */
  till_api_add_kiosk_policy (self, builder, terminal);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  till_api_send_json (msg, SOUP_STATUS_OK, root);
}

static void
handle_pay (TillApi *self, SoupServerMessage *msg, const char *path)
{
  const char      *name = path + strlen ("/pay/");
  g_autofree char *resource = NULL;
  g_autoptr (GBytes) bytes = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char         *type = "text/html; charset=utf-8";

  if (*name == '\0')
    name = "index.html";
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      name = "";
  if (*name == '\0' || *name == '.')
    {
      till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND, _ ("No such page"));
      return;
    }
  resource = g_strconcat (RESOURCE_PREFIX "/pay/", name, NULL);
  if (g_str_equal (name, "index.html"))
    bytes = self->pay_page != NULL ? g_bytes_ref (self->pay_page) : NULL;
  else
    bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (bytes == NULL)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND, _ ("No such page"));
      return;
    }
  if (g_str_has_suffix (name, ".js"))
    type = "text/javascript; charset=utf-8";
  else if (g_str_has_suffix (name, ".css"))
    type = "text/css; charset=utf-8";
  else if (g_str_has_suffix (name, ".svg"))
    type = "image/svg+xml";

  soup_message_headers_replace (headers, "Content-Security-Policy", self->csp);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "Permissions-Policy",
                                "camera=(), microphone=(), geolocation=(), payment=(self)");
  if (self->config->tls_certificate != NULL || self->config->behind_proxy)
    soup_message_headers_replace (headers, "Strict-Transport-Security", "max-age=31536000");
  till_api_send_text (msg, SOUP_STATUS_OK, type, g_bytes_get_data (bytes, NULL),
                      g_bytes_get_size (bytes));
}

guint
till_api_get_waiting_writes (TillApi *self)
{
  return self->waiting_writes.length + (till_reconciler_is_waiting (self->reconciler) ? 1 : 0);
}

/* The terminals "Try It in Training Mode" hands out, and how many of them stay valid. */
#define TRAINING_TERMINAL_NAME "Training (this computer)"
#define TRAINING_TERMINALS_KEPT 8

/* Training only: a cashier terminal for the app on this computer ("Try It in Training
 * Mode"), so that trying Till needs no command line. Loopback only, and only with a JSON
 * body: a web page in a browser cannot send that without a CORS preflight, which this
 * server never grants. The token is in the answer once, never in a log. */
static void
handle_training_terminal (TillApi *self, SoupServerMessage *msg)
{
  static const char *allowed[] = { NULL };
  GSocketAddress    *peer = soup_server_message_get_remote_address (msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = NULL;
  g_autofree char *token = NULL;
  TillJsonWriter   writer;
  GString         *text;
  gint64           id = 0, revoked = 0;

  if (!self->config->training)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND,
                               _ ("Only a training server hands out terminals"));
      return;
    }
  if (!G_IS_INET_SOCKET_ADDRESS (peer) ||
      !g_inet_address_get_is_loopback (
          g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (peer))))
    {
      till_api_send_new_error (msg, TILL_API_ERROR_FORBIDDEN,
                               _ ("A training terminal is only handed out to this computer"));
      return;
    }
  body = till_api_read_json_body (msg, &error);
  if (body == NULL || !till_json_check_members (body, "", allowed, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  /* Each "Try It" adds one; only the newest few stay valid, so they do not pile up. */
  if (till_database_begin (self->db, &error))
    {
      token = till_terminals_add (self->db, TRAINING_TERMINAL_NAME, TILL_ROLE_CASHIER, &id, &error);
      if (token != NULL &&
          ((revoked = till_terminals_revoke_older (self->db, TRAINING_TERMINAL_NAME,
                                                   TRAINING_TERMINALS_KEPT, &error)) < 0 ||
           !till_database_commit (self->db, &error)))
        g_clear_pointer (&token, g_free);
      if (token == NULL)
        till_database_rollback (self->db);
    }
  if (token == NULL)
    {
      till_api_send_error (msg, error);
      return;
    }
  g_message ("Training terminal %" G_GINT64_FORMAT " handed out to the app on this computer"
             " (%" G_GINT64_FORMAT " older revoked)",
             id, revoked);
  text = g_string_new (NULL);
  till_json_writer_init (&writer, text);
  till_json_writer_begin_object (&writer);
  till_json_writer_member_int (&writer, "id", id);
  till_json_writer_member_string (&writer, "role", till_role_to_string (TILL_ROLE_CASHIER));
  till_json_writer_member_string (&writer, "token", token);
  till_json_writer_end_object (&writer);
  till_api_send_written (msg, SOUP_STATUS_CREATED, text);
  memset (token, 0, strlen (token));
}

/* ---------------------------------------------------------------------------------------- */
/* Routing */

/* The methods a path under the API answers (HEAD wherever GET), for its Allow header; NULL
 * for a path that is none of the API's. */
static const char *
api_methods (const char *const *parts, guint n)
{
  static const char *actions[] = { "sync", "cancel", "refunds", "receipt", "confirm", NULL };

  if (n == 1 &&
      g_strv_contains (
          (const char *const[]){ "config", "categories", "orders", "orders.csv", NULL }, parts[0]))
    return "GET, HEAD";
  if (n == 1 && g_str_equal (parts[0], "products"))
    return "GET, HEAD, POST";
  if (n == 1 && g_str_equal (parts[0], "checkouts"))
    return "POST";
  if (n == 2 && g_str_equal (parts[0], "training") && g_str_equal (parts[1], "terminals"))
    return "POST";
  if (n == 2 && g_str_equal (parts[0], "products"))
    return "GET, HEAD, PATCH, DELETE";
  if (n == 3 && g_str_equal (parts[0], "products") && g_str_equal (parts[1], "by-barcode"))
    return "GET, HEAD";
  if (n == 2 && g_str_equal (parts[0], "orders"))
    return "GET, HEAD";
  if (n == 3 && g_str_equal (parts[0], "orders") && g_strv_contains (actions, parts[2]))
    return "POST";
  if (n == 2 && g_str_equal (parts[0], "reports") && g_str_equal (parts[1], "x"))
    return "GET, HEAD";
  if (n == 2 && g_str_equal (parts[0], "reports") && g_str_equal (parts[1], "z"))
    return "GET, HEAD, POST";
  if (n == 3 && g_str_equal (parts[0], "reports") && g_str_equal (parts[1], "z"))
    return "GET, HEAD";
  if (n == 1 && g_str_equal (parts[0], "drawer"))
    return "GET, HEAD";
  if (n == 2 && g_str_equal (parts[0], "drawer") &&
      g_strv_contains ((const char *const[]){ "open", "movements", "close", NULL }, parts[1]))
    return "POST";
  if (n == 2 && g_str_equal (parts[0], "reports") &&
      (g_str_equal (parts[1], "daily") || g_str_equal (parts[1], "days")))
    return "GET, HEAD";
  if (n == 3 && g_str_equal (parts[0], "terminals") && g_str_equal (parts[2], "policy"))
    return "GET, HEAD, PATCH";
  return NULL;
}

static gboolean
method_in (const char *method, const char *methods)
{
  g_auto (GStrv) names = g_strsplit (methods, ", ", -1);

  return g_strv_contains ((const char *const *) names, method);
}

/* RFC 9110: a 405 names the methods the resource has. */
static void
send_method_not_allowed (SoupServerMessage *msg, const char *methods)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", methods);
  till_api_send_new_error (msg, TILL_API_ERROR_METHOD, _ ("Method not allowed"));
}

static void
route_api (
    TillApi *self, SoupServerMessage *msg, const char *method, const char *path, GHashTable *query)
{
  g_autoptr (TillTerminal) terminal = NULL;
  g_auto (GStrv) parts = NULL;
  const char *methods;
  guint       n;
  gboolean    post = g_str_equal (method, "POST");
  gboolean    checkout = post && g_str_equal (path, API_PREFIX "checkouts");

  /* A checkout records them in its own transaction (till_api_flush_checkouts ()). */
  if (!checkout)
    till_api_flush_intents (self);

  parts = g_strsplit (path + strlen (API_PREFIX), "/", 8);
  n = g_strv_length (parts);
  methods = api_methods ((const char *const *) parts, n);

  /* Before there is a terminal: that is what it makes. */
  if (n == 2 && g_str_equal (parts[0], "training") && g_str_equal (parts[1], "terminals"))
    {
      if (post)
        handle_training_terminal (self, msg);
      else
        send_method_not_allowed (msg, methods);
      return;
    }
  terminal = till_api_authenticate (self, msg, checkout);
  if (terminal == NULL)
    return;

  if (methods == NULL)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND, _ ("No such resource"));
      return;
    }
  if (!method_in (method, methods))
    {
      send_method_not_allowed (msg, methods);
      return;
    }
  /* HEAD is answered as GET is; libsoup leaves the body out. */
  if (g_str_equal (method, "HEAD"))
    method = "GET";

  if (n == 1 && g_str_equal (parts[0], "config"))
    handle_config (self, msg, terminal);
  else if (n == 1 && g_str_equal (parts[0], "products") && !post)
    till_api_handle_products_list (self, msg, query, terminal);
  else if (n == 1 && g_str_equal (parts[0], "products"))
    {
      if (till_api_require_admin (msg, terminal))
        till_api_handle_product_create (self, msg);
    }
  else if (n == 3 && g_str_equal (parts[0], "products"))
    till_api_handle_by_barcode (self, msg, parts[2], terminal);
  else if (n == 2 && g_str_equal (parts[0], "products"))
    till_api_handle_product (self, msg, method, parts[1], terminal);
  else if (n == 1 && g_str_equal (parts[0], "categories"))
    till_api_handle_categories (self, msg);
  else if (n == 1 && g_str_equal (parts[0], "checkouts"))
    till_api_handle_checkout (self, msg, terminal);
  else if (n == 1 && g_str_equal (parts[0], "orders"))
    till_api_handle_orders_list (self, msg, query);
  else if (n == 1 && g_str_equal (parts[0], "orders.csv"))
    {
      if (till_api_require_admin (msg, terminal))
        till_api_handle_orders_csv (self, msg, query);
    }
  else if (g_str_equal (parts[0], "orders"))
    till_api_handle_order (self, msg, method, parts[1], n == 3 ? parts[2] : NULL, terminal);
  else if (g_str_equal (parts[0], "drawer"))
    till_api_handle_drawer (self, msg, method, n == 2 ? parts[1] : NULL, terminal);
  else if (g_str_equal (parts[0], "terminals"))
    till_api_handle_terminal_policy (self, msg, method, parts[1], terminal);
  else if (g_str_equal (parts[1], "x") || g_str_equal (parts[1], "z"))
    till_api_handle_shift_report (self, msg, method, parts[1], n == 3 ? parts[2] : NULL, query,
                                  terminal);
  else if (g_str_equal (parts[1], "days"))
    till_api_handle_report_days (self, msg, query);
  else
    till_api_handle_report (self, msg, query);
}

static void
dispatch (TillApi *self, SoupServerMessage *msg, const char *path, GHashTable *query)
{
  const char *method = soup_server_message_get_method (msg);

  if (g_str_has_prefix (path, API_PREFIX))
    route_api (self, msg, method, path, query);
  else if (g_str_equal (path, "/healthz") || g_str_has_prefix (path, "/pay/"))
    {
      const char *ok = "{\"status\":\"ok\"}";

      if (!method_in (method, "GET, HEAD"))
        send_method_not_allowed (msg, "GET, HEAD");
      else if (g_str_equal (path, "/healthz"))
        till_api_send_text (msg, SOUP_STATUS_OK, "application/json", ok, strlen (ok));
      else
        handle_pay (self, msg, path);
    }
  else if (g_str_equal (path, "/stripe/webhook"))
    {
      if (!g_str_equal (method, "POST"))
        {
          send_method_not_allowed (msg, "POST");
          return;
        }
      till_api_flush_intents (self);
      till_api_handle_webhook (self, msg);
    }
  else if (g_str_has_prefix (path, "/r/"))
    {
      if (!method_in (method, "GET, HEAD"))
        send_method_not_allowed (msg, "GET, HEAD");
      else
        till_api_handle_receipt_page (self, msg, path + strlen ("/r/"));
    }
  else if (g_str_equal (path, "/pay"))
    {
      soup_server_message_set_redirect (msg, SOUP_STATUS_MOVED_PERMANENTLY, "/pay/");
      till_api_add_common_headers (msg);
    }
  else
    till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND, _ ("No such resource"));
}

/* Requests whose handlers write with the main thread's connection (checkouts have their
 * batches: till_api_flush_checkouts ()). */
static gboolean
writes_database (SoupServerMessage *msg, const char *path)
{
  const char *method = soup_server_message_get_method (msg);

  if (g_str_equal (method, "GET") || g_str_equal (method, "HEAD"))
    return FALSE;
  if (g_str_has_prefix (path, API_PREFIX))
    return !g_str_equal (path, API_PREFIX "checkouts");
  return g_str_equal (path, "/stripe/webhook");
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  TillApi *self = user_data;

  /* Another process is writing (a `catalog import`): this write waits for it from the main
   * loop, paused, rather than in SQLite's busy handler with the whole server; so do the
   * writes that come after it, to keep their order. */
  if (writes_database (msg, path) && !self->stopping &&
      (!g_queue_is_empty (&self->waiting_writes) || till_database_is_locked_elsewhere (self->db)))
    {
      till_api_wait_for_lock (self, till_api_call_new (self, msg));
      return;
    }
  dispatch (self, msg, path, query);
}

/* Handles @msg again as if it had just come (with @path and @query). */
void
till_api_route (TillApi *self, SoupServerMessage *msg, const char *path, GHashTable *query)
{
  server_callback (self->server, msg, path, query, self);
}

/* ---------------------------------------------------------------------------------------- */
/* Life cycle */

static void
till_api_dispose (GObject *object)
{
  TillApi *self = TILL_API (object);

  till_api_stop (self);
  g_clear_object (&self->listener);
  g_clear_object (&self->server);
  if (self->sim != NULL)
    till_training_stop (self->sim);
  g_clear_object (&self->sim);
  g_clear_object (&self->reconciler);
  g_clear_object (&self->stripe);
  g_clear_object (&self->db);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (till_api_parent_class)->dispose (object);
}

static void
till_api_finalize (GObject *object)
{
  TillApi *self = TILL_API (object);

  till_server_config_free (self->config);
  g_clear_pointer (&self->tz, g_time_zone_unref);
  g_clear_pointer (&self->buckets, g_hash_table_unref);
  g_clear_pointer (&self->auth_failures, g_hash_table_unref);
  g_free (self->base_uri);
  g_free (self->csp);
  g_clear_pointer (&self->pay_page, g_bytes_unref);
  g_clear_pointer (&self->pending_order_ids, g_ptr_array_unref);
  g_clear_pointer (&self->pending_answers, g_ptr_array_unref);
  g_clear_pointer (&self->pending_intents, g_ptr_array_unref);
  g_clear_pointer (&self->pending_checkouts, g_ptr_array_unref);
  g_clear_pointer (&self->terminal_cache, till_terminal_cache_free);
  g_clear_pointer (&self->product_cache, till_product_cache_free);
  g_mutex_clear (&self->held_lock);
  g_cond_clear (&self->held_cond);

  G_OBJECT_CLASS (till_api_parent_class)->finalize (object);
}

static void
till_api_class_init (TillApiClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_api_dispose;
  object_class->finalize = till_api_finalize;

  /* Links the resources in from the static library (they register themselves). */
  g_assert (till_server_get_resource () != NULL);
}

static void
till_api_init (TillApi *self)
{
  self->buckets = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->auth_failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->auth_failures_max = AUTH_FAILURES_MAX;
  self->auth_window_ms = AUTH_WINDOW_MS;
  self->auth_peers_max = AUTH_PEERS_MAX;
  self->cancellable = g_cancellable_new ();
  self->pending_order_ids = g_ptr_array_new_with_free_func (g_free);
  self->pending_intents = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->pending_checkouts = g_ptr_array_new ();
  self->terminal_cache = till_terminal_cache_new ();
  self->product_cache = till_product_cache_new ();
  self->export_stall_ms = EXPORT_STALL_MS;
  self->dispatch = dispatch;
  g_mutex_init (&self->held_lock);
  g_cond_init (&self->held_cond);
}

static char *
origin_of (const char *url)
{
  g_autoptr (GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return NULL;
  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri), g_uri_get_host (uri),
                            g_uri_get_port (uri));
  return g_strdup_printf ("%s://%s", g_uri_get_scheme (uri), g_uri_get_host (uri));
}

static char *
build_csp (const TillServerConfig *config)
{
  g_autofree char *js = origin_of (config->js_url);
  g_autofree char *api = origin_of (config->api_base);
  gboolean         stripe = js == NULL || g_str_equal (js, "https://js.stripe.com");

  if (stripe)
    return g_strdup ("default-src 'none'; base-uri 'none'; form-action 'none';"
                     " frame-ancestors 'none'; img-src 'self' data: https://*.stripe.com;"
                     " style-src 'self' 'unsafe-inline';"
                     " script-src 'self' https://js.stripe.com https://*.js.stripe.com;"
                     " frame-src https://js.stripe.com https://*.js.stripe.com"
                     " https://hooks.stripe.com;"
                     " connect-src 'self' https://api.stripe.com");
  /* Training and tests: the simulator stands in for both Stripe hosts. */
  return g_strdup_printf ("default-src 'none'; base-uri 'none'; form-action 'none';"
                          " frame-ancestors 'none'; img-src 'self' data: %s;"
                          " style-src 'self' 'unsafe-inline'; script-src 'self' %s;"
                          " frame-src %s; connect-src 'self' %s %s",
                          js, js, js, js, api != NULL ? api : "");
}

/* The page names Stripe.js by the address till-server is configured with (js.stripe.com,
 * or the simulator's stand-in in training and tests). */
static GBytes *
build_pay_page (const TillServerConfig *config)
{
  g_autoptr (GBytes) bytes = g_resources_lookup_data (RESOURCE_PREFIX "/pay/index.html",
                                                      G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_autofree char *escaped = NULL;
  GString         *page;

  if (bytes == NULL)
    return NULL;
  escaped = g_markup_escape_text (config->js_url != NULL ? config->js_url : "", -1);
  page = g_string_new_len (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_string_replace (page, "@STRIPE_JS_URL@", escaped, 0);
  return g_string_free_to_bytes (page);
}

TillApi *
till_api_new (TillServerConfig *config, GError **error)
{
  g_autoptr (TillApi) self = g_object_new (TILL_TYPE_API, NULL);

  self->config = config;
  self->tz = config->timezone != NULL ? g_time_zone_new_identifier (config->timezone)
                                      : g_time_zone_new_local ();
  if (self->tz == NULL)
    self->tz = g_time_zone_new_utc ();

  self->db = till_database_open (config->database, error);
  if (self->db == NULL)
    return NULL;

  if (config->training)
    {
      gint64 count;

      self->sim = till_training_start (config, error);
      if (self->sim == NULL)
        return NULL;
      count = till_products_count (self->db, error);
      if (count < 0)
        return NULL;
      if (count == 0 && !till_api_load_demo_catalog (self->db, config->currency, error))
        return NULL;
    }

  self->stripe = till_stripe_client_new (config->api_base, config->secret_key);
  till_stripe_client_set_timeouts (self->stripe, config->stripe_connect_timeout * 1000,
                                   config->stripe_timeout * 1000);
  till_stripe_client_set_retries (self->stripe, config->stripe_max_retries, 250);
  till_stripe_client_set_rate_limit (self->stripe, (guint) config->stripe_rate_limit,
                                     (guint) config->stripe_rate_wait * 1000);
  self->busy_wait_ms = TILL_DATABASE_BUSY_WAIT_MS;
  {
    const char *base_delay = g_getenv ("TILL_STRIPE_RETRY_BASE_MS");
    const char *timeout = g_getenv ("TILL_STRIPE_TIMEOUT_MS");
    const char *busy_wait = g_getenv ("TILL_DATABASE_BUSY_WAIT_MS");
    guint64     value;

    /* For tests: shorter waits than anyone would configure in production. */
    if (base_delay != NULL && g_ascii_string_to_unsigned (base_delay, 10, 1, 60000, &value, NULL))
      till_stripe_client_set_retries (self->stripe, config->stripe_max_retries, (guint) value);
    if (timeout != NULL && g_ascii_string_to_unsigned (timeout, 10, 1, 600000, &value, NULL))
      till_stripe_client_set_timeouts (self->stripe, config->stripe_connect_timeout * 1000,
                                       (guint) value);
    if (busy_wait != NULL && g_ascii_string_to_unsigned (busy_wait, 10, 1, 600000, &value, NULL))
      self->busy_wait_ms = (guint) value;
  }
  self->reconciler = till_reconciler_new (self->db, self->stripe, config,
                                          (TillReconcilerFunc) till_api_flush_intents, self);
  till_reconciler_set_busy_wait (self->reconciler, self->busy_wait_ms);
  self->csp = build_csp (config);
  self->pay_page = build_pay_page (config);
  return g_steal_pointer (&self);
}

gboolean
till_api_start (TillApi *self, GError **error)
{
  g_autofree char *host = NULL;
  g_autoptr (GInetAddress) address = NULL;
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  TillHttpLimits   limits = TILL_HTTP_LIMITS_INIT;
  g_autofree char *busy_body = NULL;
  g_autofree char *shown = NULL;
  guint16          port;

  if (!till_server_parse_listen (self->config->listen, &host, &port, error))
    return FALSE;
  if (g_str_equal (host, "localhost"))
    address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("“%s” is not an IP address to listen on"), host);
      return FALSE;
    }

  if (self->config->tls_certificate != NULL)
    {
      certificate = g_tls_certificate_new_from_files (self->config->tls_certificate,
                                                      self->config->tls_key, error);
      if (certificate == NULL)
        return FALSE;
    }
  self->server = soup_server_new ("server-header", "till-server", NULL);
  soup_server_add_early_handler (self->server, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (on_request_done), NULL);
  g_signal_connect (self->server, "request-aborted", G_CALLBACK (on_request_done), NULL);

  limits.header_timeout_ms = self->config->header_timeout * 1000;
  limits.body_timeout_ms = self->config->body_timeout * 1000;
  limits.idle_timeout_ms = self->config->idle_timeout * 1000;
  limits.max_connections = self->config->max_connections;
  /* Behind a proxy every connection comes from the proxy. */
  if (self->config->max_connections_per_peer >= 0)
    limits.max_per_peer = self->config->max_connections_per_peer;
  else if (self->config->behind_proxy)
    limits.max_per_peer = 0;
  {
    /* For tests: limits shorter than a second ("HEADER,BODY,IDLE" in milliseconds). */
    const char *timeouts = g_getenv ("TILL_HTTP_TIMEOUTS_MS");
    guint       header, body, idle;

    if (timeouts != NULL && sscanf (timeouts, "%u,%u,%u", &header, &body, &idle) == 3)
      {
        limits.header_timeout_ms = header;
        limits.body_timeout_ms = body;
        limits.idle_timeout_ms = idle;
      }
  }
  {
    g_autoptr (GError) busy = g_error_new_literal (TILL_API_ERROR, TILL_API_ERROR_SERVER_BUSY,
                                                   _ ("The server has too many connections open; "
                                                      "try again in a moment"));
    TillJsonWriter writer;

    GString *text = g_string_new (NULL);

    till_json_writer_init (&writer, text);
    till_json_writer_begin_object (&writer);
    till_json_writer_name (&writer, "error");
    till_json_writer_begin_object (&writer);
    till_json_writer_member_string (&writer, "code", till_api_error_get_code (busy));
    till_json_writer_member_string (&writer, "message", busy->message);
    till_json_writer_end_object (&writer);
    till_json_writer_end_object (&writer);
    busy_body = g_string_free (text, FALSE);
  }
  self->listener = till_http_listener_new (self->server, &limits, busy_body);
  if (certificate != NULL)
    till_http_listener_set_tls_certificate (self->listener, certificate);

  socket_address = g_inet_socket_address_new (address, port);
  if (!till_http_listener_listen (self->listener, socket_address, error))
    return FALSE;

  shown =
      g_str_equal (host, "0.0.0.0") ? g_strdup ("127.0.0.1") : g_inet_address_to_string (address);
  g_free (self->base_uri);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    self->base_uri = g_strdup_printf ("%s://[%s]:%u", certificate != NULL ? "https" : "http", shown,
                                      till_http_listener_get_port (self->listener));
  else
    self->base_uri = g_strdup_printf ("%s://%s:%u", certificate != NULL ? "https" : "http", shown,
                                      till_http_listener_get_port (self->listener));

  if (self->sim != NULL)
    {
      g_autofree char *url = g_strconcat (self->base_uri, "/stripe/webhook", NULL);

      if (!till_training_set_webhook (self->sim, url, self->config->webhook_secret, error))
        return FALSE;
    }

  till_reconciler_start (self->reconciler);
  return TRUE;
}

void
till_api_stop (TillApi *self)
{
  self->hold_checkouts = FALSE;
  till_api_hold_page_reads (self, FALSE);
  /* What is pending is written now, waiting for the lock if it must. */
  self->stopping = TRUE;
  g_clear_handle_id (&self->waiting_source, g_source_remove);
  {
    TillApiCall *call;

    while ((call = g_queue_pop_head (&self->waiting_writes)) != NULL)
      {
        /* Stripe's answers are written (waiting for the lock now), requests are not run. */
        if (call->resume != NULL)
          {
            call->resume (call);
            continue;
          }
        if (!call->finished)
          till_api_send_busy (call->msg);
        till_api_call_done (call);
      }
  }
  if (self->reconciler != NULL)
    till_reconciler_stop (self->reconciler);
  if (self->db != NULL && self->pending_intents != NULL)
    till_api_flush_checkouts (self);
  g_cancellable_cancel (self->cancellable);
  if (self->listener != NULL)
    till_http_listener_disconnect (self->listener);
  else if (self->server != NULL)
    soup_server_disconnect (self->server);
  self->disconnected = TRUE;
}

const char *
till_api_get_base_uri (TillApi *self)
{
  return self->base_uri;
}

TillReconciler *
till_api_get_reconciler (TillApi *self)
{
  return self->reconciler;
}

TillDatabase *
till_api_get_database (TillApi *self)
{
  return self->db;
}

const TillServerConfig *
till_api_get_config (TillApi *self)
{
  return self->config;
}

/* The demo catalog is written in EUR; another store currency takes the same figures. */
gboolean
till_api_load_demo_catalog (TillDatabase *db, const char *currency, GError **error)
{
  g_autoptr (GBytes) bytes = g_resources_lookup_data (RESOURCE_PREFIX "/demo-catalog.csv",
                                                      G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  g_autoptr (GPtrArray) line_errors = NULL;
  g_autoptr (GString) text = NULL;
  g_auto (GStrv) lines = NULL;
  const TillCurrency *cur = till_currency_lookup (currency);
  guint               imported = 0;

  if (bytes == NULL || cur == NULL)
    return FALSE;

  text = g_string_new (NULL);
  lines = g_strsplit (g_bytes_get_data (bytes, NULL), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = NULL;

      if (i == 0 || *lines[i] == '\0' || strchr (lines[i], '"') != NULL)
        {
          g_string_append_printf (text, "%s\n", lines[i]);
          continue;
        }
      fields = g_strsplit (lines[i], ",", -1);
      if (g_strv_length (fields) != 7)
        {
          g_string_append_printf (text, "%s\n", lines[i]);
          continue;
        }
      if (till_currency_get_exponent (cur) == 0)
        {
          /* "2.50" → "250" */
          char *dot = strchr (fields[3], '.');
          if (dot != NULL)
            memmove (dot, dot + 1, strlen (dot));
        }
      g_free (fields[4]);
      fields[4] = g_strdup (till_currency_get_code (cur));
      {
        g_autofree char *joined = g_strjoinv (",", fields);
        g_string_append_printf (text, "%s\n", joined);
      }
    }

  if (!till_products_import_csv (db, text->str, text->len, till_currency_get_code (cur), &imported,
                                 &line_errors, error))
    {
      if (line_errors != NULL && line_errors->len > 0)
        g_prefix_error (error, "%s: ", (char *) line_errors->pdata[0]);
      g_prefix_error (error, _ ("Cannot load the demo catalog: "));
      return FALSE;
    }
  g_message ("Loaded %u demo products", imported);
  return TRUE;
}
