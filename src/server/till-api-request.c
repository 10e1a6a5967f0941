/* till-api-request.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What every route of the API shares, below them (it calls none of them): answers and
 * errors, calls paused for Stripe (TillApiCall), parsing of requests, authentication and its
 * throttle, page reads on worker threads, and the writes that wait while another process
 * holds the database's write lock (till_api_write_answer ()), retried from the main loop.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "till-api-private.h"
#include "till-core.h"
#include "till-http-listener.h"
#include "till-payments.h"
#include "till-server-error.h"

typedef struct
{
  double tokens;
  gint64 updated;
} Bucket;

typedef struct
{
  gint64 window_start; /* the first failure of the window, monotonic */
  guint  failures;
} AuthFailures;

/* ---------------------------------------------------------------------------------------- */
/* Responses */

/* libsoup writes an answer's headers and its body separately: two TCP segments, and on
 * loopback two trips through the network stack and two wake-ups of the client. Corked, the
 * answer leaves in one segment (or as few full ones as its size needs) once it is written:
 * the server's request-finished uncorks it. */
void
till_api_set_corked (SoupServerMessage *msg, gboolean corked)
{
  GSocket *socket = till_http_message_get_socket (msg);

  if (socket != NULL && g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, corked, NULL);
}

void
till_api_add_common_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  till_api_set_corked (msg, TRUE);

  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Cross-Origin-Resource-Policy", "same-origin");
  if (soup_message_headers_get_one (headers, "Cache-Control") == NULL)
    soup_message_headers_replace (headers, "Cache-Control", "no-store");
}

/* libsoup 3.2 knows no phrase for 429 ("Unknown Error"); RFC 6585 names it. */
static const char *
reason_phrase (guint status)
{
  return status == 429 ? "Too Many Requests" : NULL;
}

void
till_api_send_text (
    SoupServerMessage *msg, guint status, const char *content_type, const char *text, gsize length)
{
  till_api_add_common_headers (msg);
  soup_server_message_set_status (msg, status, reason_phrase (status));
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, text, length);
}

void
till_api_send_written (SoupServerMessage *msg, guint status, GString *text)
{
  gsize length = text->len;

  till_api_add_common_headers (msg);
  soup_server_message_set_status (msg, status, reason_phrase (status));
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_string_free (text, FALSE), length);
}

void
till_api_send_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  g_autofree char *text = till_json_to_string (node, FALSE);

  till_api_send_text (msg, status, "application/json", text, strlen (text));
}

/* The request's path for the log: a receipt page's token lets whoever reads it see that
 * order's receipt, so it is left out. */
const char *
till_api_loggable_path (SoupServerMessage *msg)
{
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));

  return g_str_has_prefix (path, "/r/") ? "/r/..." : path;
}

void
till_api_send_error (SoupServerMessage *msg, const GError *error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  guint       status = till_api_error_get_status (error);
  const char *message = error->message;

  if (g_error_matches (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_BUSY))
    {
      /* Another program kept the database locked for longer than we wait. */
      g_message ("%s %s: %s", soup_server_message_get_method (msg), till_api_loggable_path (msg),
                 error->message);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                    "1");
      message = _ ("The database is busy: another program is writing to it. Try again in a "
                   "moment.");
    }
  else if (g_error_matches (error, TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_FULL))
    {
      /* The transaction was rolled back; the next write once there is space succeeds. */
      g_message ("%s %s: the disk is full: %s", soup_server_message_get_method (msg),
                 till_api_loggable_path (msg), error->message);
      message = _ ("The server’s disk is full: nothing was stored. Free some space on the "
                   "server, then try again.");
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Stopped with the server: another till-server (or this one again) will answer. */
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                    "1");
      message = _ ("The server is stopping; try again in a moment");
    }
  else if (status >= 500 && error->domain != TILL_API_ERROR)
    {
      /* Internal details (SQL, paths) stay in the log. */
      g_warning ("%s %s: %s", soup_server_message_get_method (msg), till_api_loggable_path (msg),
                 error->message);
      message = _ ("Something went wrong on the server");
    }
  else
    g_debug ("%s %s: %u %s", soup_server_message_get_method (msg), till_api_loggable_path (msg),
             status, till_api_error_get_code (error));

  /* A client that sent something malformed or too large may be out of step with us (or
   * smuggling): it starts again on a new connection. */
  if (status == SOUP_STATUS_BAD_REQUEST || status == SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                  "close");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, till_api_error_get_code (error));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  till_api_send_json (msg, status, root);
}

void
till_api_send_new_error (SoupServerMessage *msg, TillApiError code, const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (TILL_API_ERROR, code, message);

  till_api_send_error (msg, error);
}

/* ---------------------------------------------------------------------------------------- */
/* Pausing for Stripe */

static void
on_message_finished (SoupServerMessage *msg, gpointer user_data)
{
  TillApiCall *call = user_data;

  call->finished = TRUE;
}

TillApiCall *
till_api_call_new (TillApi *api, SoupServerMessage *msg)
{
  TillApiCall *call = g_new0 (TillApiCall, 1);

  call->api = g_object_ref (api);
  call->msg = g_object_ref (msg);
  call->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_message_finished), call);
  call->success_status = SOUP_STATUS_OK;
  soup_server_message_pause (msg);
  return call;
}

void
till_api_call_done (TillApiCall *call)
{
  g_signal_handler_disconnect (call->msg, call->finished_id);
  /* Work that ends after the server stopped (a thread's) has no connection to answer on. */
  if (!call->finished && !call->api->disconnected)
    soup_server_message_unpause (call->msg);
  g_object_unref (call->msg);
  g_object_unref (call->api);
  till_refund_free (call->refund);
  till_terminal_free (call->terminal);
  till_order_free (call->order);
  till_cart_free (call->cart);
  g_clear_error (&call->error);
  g_clear_pointer (&call->answer, till_stripe_response_free);
  g_free (call);
}

/* Finishes @call, whose request is to be handled at once, and gives back its message:
 * unpaused, which takes effect only back in the main loop, so it can still be answered now.
 * NULL when its client has gone. */
SoupServerMessage *
till_api_call_take_message (TillApiCall *call)
{
  SoupServerMessage *msg = call->finished ? NULL : g_object_ref (call->msg);

  till_api_call_done (call);
  return msg;
}

void
till_api_call_fail (TillApiCall *call, const GError *error)
{
  till_api_send_error (call->msg, error);
  till_api_call_done (call);
}

/* ---------------------------------------------------------------------------------------- */
/* Request parsing */

JsonObject *
till_api_read_json_body_full (SoupServerMessage *msg, gboolean allow_empty, GError **error)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char         *content_type = soup_message_headers_get_content_type (headers, NULL);
  SoupMessageBody    *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = NULL;

  /* No body at all where every field is optional: the same as {}. */
  if (allow_empty && body->length == 0)
    return json_object_new ();
  if (content_type == NULL || g_ascii_strcasecmp (content_type, "application/json") != 0)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_MEDIA_TYPE,
                   _ ("The body must be application/json"));
      return NULL;
    }
  bytes = soup_message_body_flatten (body);
  if (g_bytes_get_size (bytes) == 0)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX, _ ("The request body is empty"));
      return NULL;
    }
  return till_json_parse_object (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), error);
}

JsonObject *
till_api_read_json_body (SoupServerMessage *msg, GError **error)
{
  return till_api_read_json_body_full (msg, FALSE, error);
}

gboolean
till_api_parse_id (const char *text, gint64 *out_id)
{
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &value, NULL))
    return FALSE;
  *out_id = (gint64) value;
  return TRUE;
}

const char *
till_api_query_get (GHashTable *query, const char *name)
{
  const char *value = query != NULL ? g_hash_table_lookup (query, name) : NULL;

  return value != NULL && *value != '\0' ? value : NULL;
}

/* Cursors are opaque to clients: "c" + the id to continue after. */
char *
till_api_cursor_encode (gint64 id)
{
  g_autofree char *text = g_strdup_printf ("c%" G_GINT64_FORMAT, id);

  return g_base64_encode ((const guchar *) text, strlen (text));
}

gboolean
till_api_cursor_decode (const char *cursor, gint64 *out_id, GError **error)
{
  gsize              length = 0;
  g_autofree guchar *raw = NULL;
  g_autofree char   *text = NULL;

  if (cursor == NULL)
    {
      *out_id = 0;
      return TRUE;
    }
  if (strlen (cursor) < 64)
    raw = g_base64_decode (cursor, &length);
  if (raw != NULL && length > 1 && length < 32 && raw[0] == 'c')
    {
      text = g_strndup ((const char *) raw + 1, length - 1);
      if (till_api_parse_id (text, out_id))
        return TRUE;
    }
  g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_REQUEST, _ ("cursor: not valid"));
  return FALSE;
}

/* ---------------------------------------------------------------------------------------- */
/* Auth and limits */

static void
send_unauthorized (SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate",
                                "Bearer realm=\"till\"");
  till_api_send_new_error (msg, TILL_API_ERROR_UNAUTHORIZED,
                           _ ("A valid terminal token is needed (Authorization: Bearer …)"));
}

/* Failed authentications are counted per peer address (not per token: a guesser sends a
 * new one each time). Behind a reverse proxy every client has the proxy's address. */
static const char *
peer_of (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);

  return host != NULL ? host : "local";
}

static gboolean
auth_window_ended (TillApi *self, const AuthFailures *failures, gint64 now)
{
  return now - failures->window_start >= (gint64) self->auth_window_ms * 1000;
}

/* Room for one more address: the ended windows go, and if that is not enough, the oldest. */
static void
auth_failures_make_room (TillApi *self, gint64 now)
{
  GHashTableIter iter;
  gpointer       key, value;
  const char    *oldest = NULL;
  gint64         oldest_start = G_MAXINT64;

  g_hash_table_iter_init (&iter, self->auth_failures);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      AuthFailures *failures = value;

      if (auth_window_ended (self, failures, now))
        g_hash_table_iter_remove (&iter);
      else if (failures->window_start < oldest_start)
        {
          oldest = key;
          oldest_start = failures->window_start;
        }
    }
  if (g_hash_table_size (self->auth_failures) >= self->auth_peers_max && oldest != NULL)
    g_hash_table_remove (self->auth_failures, oldest);
}

/* Whether @msg's peer failed too often in its window; then it is answered 429 with the
 * seconds left, before its token is even looked at: a valid token from the same address
 * waits too, or the limit would not slow down guessing. */
static gboolean
auth_throttled (TillApi *self, SoupServerMessage *msg)
{
  AuthFailures    *failures = g_hash_table_lookup (self->auth_failures, peer_of (msg));
  gint64           now = g_get_monotonic_time ();
  gint64           left_ms;
  g_autofree char *retry_after = NULL;

  if (failures == NULL)
    return FALSE;
  if (auth_window_ended (self, failures, now))
    {
      g_hash_table_remove (self->auth_failures, peer_of (msg));
      return FALSE;
    }
  if (failures->failures < self->auth_failures_max)
    return FALSE;
  left_ms = self->auth_window_ms - (now - failures->window_start) / 1000;
  retry_after = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (1, (left_ms + 999) / 1000));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                retry_after);
  till_api_send_new_error (msg, TILL_API_ERROR_RATE_LIMITED,
                           _ ("Too many failed authentications from this address; wait a moment"));
  return TRUE;
}

/* Answers 401, logs the request (never its token) and counts it against its peer. */
void
till_api_refuse_authentication (TillApi *self, SoupServerMessage *msg, const char *reason)
{
  const char   *peer = peer_of (msg);
  AuthFailures *failures = g_hash_table_lookup (self->auth_failures, peer);
  gint64        now = g_get_monotonic_time ();

  if (failures != NULL && auth_window_ended (self, failures, now))
    {
      failures->window_start = now;
      failures->failures = 0;
    }
  if (failures == NULL)
    {
      if (g_hash_table_size (self->auth_failures) >= self->auth_peers_max)
        auth_failures_make_room (self, now);
      failures = g_new0 (AuthFailures, 1);
      failures->window_start = now;
      g_hash_table_insert (self->auth_failures, g_strdup (peer), failures);
    }
  failures->failures++;
  g_message ("Authentication failed: %s %s from %s: %s", soup_server_message_get_method (msg),
             g_uri_get_path (soup_server_message_get_uri (msg)), peer, reason);
  if (failures->failures == self->auth_failures_max)
    g_message ("%u failed authentications from %s: its requests get 429 for up to %u s",
               failures->failures, peer, (self->auth_window_ms + 999) / 1000);
  send_unauthorized (msg);
}

/* @cached: from the terminal cache, for a checkout (its batch checks again). */
TillTerminal *
till_api_authenticate (TillApi *self, SoupServerMessage *msg, gboolean cached)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char         *authorization = soup_message_headers_get_one (headers, "Authorization");
  TillTerminal       *terminal = NULL;

  if (auth_throttled (self, msg))
    return NULL;
  if (authorization == NULL)
    {
      till_api_refuse_authentication (self, msg, "no Authorization header");
      return NULL;
    }
  if (g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0)
    {
      till_api_refuse_authentication (self, msg, "not a Bearer token");
      return NULL;
    }
  terminal =
      cached ? till_terminal_cache_authenticate (self->terminal_cache, self->db, authorization + 7)
             : till_terminals_authenticate (self->db, authorization + 7);
  if (terminal == NULL)
    till_api_refuse_authentication (self, msg, "unknown or revoked token");
  return terminal;
}

gboolean
till_api_require_admin (SoupServerMessage *msg, const TillTerminal *terminal)
{
  if (terminal->role == TILL_ROLE_ADMIN)
    return TRUE;
  till_api_send_new_error (msg, TILL_API_ERROR_FORBIDDEN, _ ("Only an admin terminal may do this"));
  return FALSE;
}

gboolean
till_api_take_rate_token (TillApi *self, const TillTerminal *terminal)
{
  double  capacity = self->config->checkout_rate_per_minute;
  gint64  now = g_get_monotonic_time ();
  Bucket *bucket = g_hash_table_lookup (self->buckets, &terminal->id);

  if (bucket == NULL)
    {
      gint64 *key = g_memdup2 (&terminal->id, sizeof terminal->id);

      bucket = g_new0 (Bucket, 1);
      bucket->tokens = capacity;
      bucket->updated = now;
      g_hash_table_insert (self->buckets, key, bucket);
    }
  bucket->tokens += (now - bucket->updated) * capacity / (60.0 * G_USEC_PER_SEC);
  bucket->tokens = MIN (capacity, bucket->tokens);
  bucket->updated = now;
  if (bucket->tokens < 1.0)
    return FALSE;
  bucket->tokens -= 1.0;
  return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* Pages read off the main loop */

void
till_api_page_free (TillApiPage *page)
{
  g_ptr_array_unref (page->items);
  g_free (page);
}

typedef struct
{
  TillApiPageRead read;
  TillApiPageSend send;
  gpointer        args;
  GDestroyNotify  args_free;
} PageJob;

static void
page_job_free (PageJob *job)
{
  job->args_free (job->args);
  g_free (job);
}

static void
page_read_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  TillApi *self = source_object;
  PageJob *job = task_data;
  g_autoptr (GError) error = NULL;
  TillDatabase *db;
  TillApiPage  *page;

  g_mutex_lock (&self->held_lock);
  self->held_reads++;
  while (self->hold_reads)
    g_cond_wait (&self->held_cond, &self->held_lock);
  self->held_reads--;
  g_mutex_unlock (&self->held_lock);
  db = till_database_take_worker (self->db, &error);
  page = db != NULL ? job->read (db, job->args, &error) : NULL;
  if (db != NULL)
    till_database_give_back (self->db, db);
  if (page == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, page, (GDestroyNotify) till_api_page_free);
}

static void
on_page_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillApiCall *call = user_data;
  PageJob     *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autoptr (TillApiPage) page = g_task_propagate_pointer (G_TASK (result), &error);

  if (page == NULL)
    {
      till_api_call_fail (call, error);
      return;
    }
  job->send (call->msg, page, job->args);
  till_api_call_done (call);
}

void
till_api_hold_page_reads (TillApi *self, gboolean hold)
{
  g_mutex_lock (&self->held_lock);
  self->hold_reads = hold;
  g_cond_broadcast (&self->held_cond);
  g_mutex_unlock (&self->held_lock);
}

guint
till_api_get_held_page_reads (TillApi *self)
{
  guint held;

  g_mutex_lock (&self->held_lock);
  held = self->hold_reads ? self->held_reads : 0;
  g_mutex_unlock (&self->held_lock);
  return held;
}

/* Reads a page with @read and answers it with @send. A @slow read (a filter that no index
 * serves, which may read every row) runs on a thread with a read connection of its own,
 * while the loop goes on serving; the others run here. Takes @args. */
void
till_api_read_page (TillApi           *self,
                    SoupServerMessage *msg,
                    gboolean           slow,
                    TillApiPageRead    read,
                    TillApiPageSend    send,
                    gpointer           args,
                    GDestroyNotify     args_free)
{
  g_autoptr (GTask) task = NULL;
  PageJob *job;

  if (!slow)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (TillApiPage) page = read (self->db, args, &error);

      if (page == NULL)
        till_api_send_error (msg, error);
      else
        send (msg, page, args);
      args_free (args);
      return;
    }
  job = g_new0 (PageJob, 1);
  job->read = read;
  job->send = send;
  job->args = args;
  job->args_free = args_free;
  task = g_task_new (self, self->cancellable, on_page_read, till_api_call_new (self, msg));
  g_task_set_task_data (task, job, (GDestroyNotify) page_job_free);
  g_task_run_in_thread (task, page_read_thread);
}

typedef void (*TillApiHandler) (TillApi           *self,
                                SoupServerMessage *msg,
                                const char        *path,
                                GHashTable        *query);

/* Handles @msg, paused until now, with @handler as if it had just come. */
void
till_api_redispatch (TillApi *self, SoupServerMessage *msg, TillApiHandler handler)
{
  GUri *uri = soup_server_message_get_uri (msg);
  g_autoptr (GHashTable) query =
      g_uri_get_query (uri) != NULL ? soup_form_decode (g_uri_get_query (uri)) : NULL;

  handler (self, msg, g_uri_get_path (uri), query);
}

/* BEGIN IMMEDIATE for the main loop's batches: TILL_DATABASE_ERROR_BUSY at once while another
 * process holds the write lock, instead of sleeping with the whole server (but waiting when
 * stopping: there is no later). */
gboolean
till_api_begin_without_waiting (TillApi *self, GError **error)
{
  return self->stopping ? till_database_begin (self->db, error)
                        : till_database_try_begin (self->db, error);
}

/* Whether what found the database locked at @since has waited as long as it may. */
gboolean
till_api_waited_too_long (TillApi *self, gint64 since)
{
  return g_get_monotonic_time () - since >= (gint64) self->busy_wait_ms * G_TIME_SPAN_MILLISECOND;
}

GError *
till_api_new_busy_error (void)
{
  return g_error_new_literal (TILL_DATABASE_ERROR, TILL_DATABASE_ERROR_BUSY, "database is locked");
}

void
till_api_send_busy (SoupServerMessage *msg)
{
  g_autoptr (GError) error = till_api_new_busy_error ();

  till_api_send_error (msg, error);
}

static gboolean on_retry_writes (gpointer user_data);

/* @call writes, and another process holds the write lock (or writes wait before it): it
 * waits, paused, in the queue that on_retry_writes () goes through from the main loop. */
void
till_api_wait_for_lock (TillApi *self, TillApiCall *call)
{
  call->deferred_at = g_get_monotonic_time ();
  g_queue_push_tail (&self->waiting_writes, call);
  if (self->waiting_source == 0)
    self->waiting_source = g_timeout_add (TILL_DATABASE_BUSY_RETRY_MS, on_retry_writes, self);
}

/* Stripe has answered @call with @answer (taken), and call->resume writes what it says (from
 * call->answer) and answers the call. At once if the write lock is free; otherwise the
 * answer waits for it with the other writes rather than in SQLite's busy handler with the
 * whole server, and past TILL_DATABASE_BUSY_WAIT_MS the call gets 503 busy. Nothing is lost then:
 * what Stripe did is found again by a retry with the same key, by the reconciler or by the webhook.
 */
void
till_api_write_answer (TillApiCall *call, TillStripeResponse *answer)
{
  TillApi *self = call->api;

  call->answer = answer;
  if (self->stopping ||
      (g_queue_is_empty (&self->waiting_writes) && !till_database_is_locked_elsewhere (self->db)))
    call->resume (call);
  else
    till_api_wait_for_lock (self, call);
}

static void
on_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillApiCall        *call = user_data;
  TillStripeResponse *response = call->only_ok
                                     ? till_api_call_stripe_answer_ok (call, source, result)
                                     : till_api_call_stripe_answer (call, source, result);

  if (response != NULL)
    till_api_write_answer (call, response);
}

/* Sends @call's request to Stripe; @resume writes the answer and answers the call
 * (till_api_write_answer ()): any answer, or with @only_ok only a success (an error of Stripe's
 * fails the call, in plain words). No answer at all fails the call as a network error. */
void
till_api_request_for_write (TillApiCall    *call,
                            const char     *method,
                            const char     *path,
                            TillStripeForm *form,
                            const char     *key,
                            gboolean        only_ok,
                            void (*resume) (TillApiCall *call))
{
  TillApi *self = call->api;

  call->resume = resume;
  call->only_ok = only_ok;
  till_stripe_client_request_async (self->stripe, method, path, form, key, self->cancellable,
                                    on_answer, call);
}

/* The payment part of a checkout's answer: what the payment page needs of the intent. */
static void
write_payment (TillJsonWriter *writer, JsonObject *intent)
{
  till_json_writer_name (writer, "payment");
  till_json_writer_begin_object (writer);
  till_json_writer_member_string (writer, "payment_intent",
                                  json_object_get_string_member_with_default (intent, "id", NULL));
  till_json_writer_member_string (
      writer, "client_secret",
      json_object_get_string_member_with_default (intent, "client_secret", NULL));
  till_json_writer_end_object (writer);
}

/* An order alone, or {"order": …} with the "payment" of @intent or the @refund made. */
void
till_api_send_order_json (SoupServerMessage *msg,
                          guint              status,
                          const TillOrder   *order,
                          GPtrArray         *refunds,
                          const char        *receipt_url,
                          JsonObject        *intent,
                          TillRefund        *refund)
{
  GString       *text = g_string_sized_new (1024);
  gboolean       wrapped = intent != NULL || refund != NULL;
  TillJsonWriter writer;

  till_json_writer_init (&writer, text);
  if (wrapped)
    {
      till_json_writer_begin_object (&writer);
      till_json_writer_name (&writer, "order");
    }
  till_orders_write_json (order, refunds, receipt_url, &writer);
  if (intent != NULL)
    write_payment (&writer, intent);
  if (refund != NULL)
    {
      till_json_writer_name (&writer, "refund");
      till_refund_write_json (refund, &writer);
    }
  if (wrapped)
    till_json_writer_end_object (&writer);
  till_api_send_written (msg, status, text);
}

/* @order as loaded already, with its refunds. */
void
till_api_send_loaded_order (TillApi           *self,
                            SoupServerMessage *msg,
                            guint              status,
                            const TillOrder   *order,
                            JsonObject        *intent,
                            TillRefund        *refund)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) refunds = till_orders_list_refunds (self->db, order->id, &error);
  g_autofree char *receipt_url = till_api_receipt_url (self, order->id);

  if (refunds == NULL)
    till_api_send_error (msg, error);
  else
    till_api_send_order_json (msg, status, order, refunds, receipt_url, intent, refund);
}

/* The address of the order's public receipt page, or NULL without [server] public-url. */
char *
till_api_receipt_url (TillApi *self, gint64 order_id)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;

  if (self->config->public_url == NULL)
    return NULL;
  token = till_orders_get_receipt_token (self->db, order_id, &error);
  if (token == NULL)
    {
      g_warning ("Order %" G_GINT64_FORMAT " has no receipt page: %s", order_id, error->message);
      return NULL;
    }
  return g_strconcat (self->config->public_url, "/r/", token, NULL);
}

/* Order @order_id as the database has it now. */
void
till_api_send_order (TillApi           *self,
                     SoupServerMessage *msg,
                     guint              status,
                     gint64             order_id,
                     JsonObject        *intent,
                     TillRefund        *refund)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillOrder) order = till_orders_get (self->db, order_id, &error);

  if (order == NULL)
    till_api_send_error (msg, error);
  else
    till_api_send_loaded_order (self, msg, status, order, intent, refund);
}

typedef struct
{
  gint64      order_id;
  gint64      created;
  JsonObject *intent;
} LostIntentSearch;

static void
lost_intent_search_free (LostIntentSearch *search)
{
  g_clear_pointer (&search->intent, json_object_unref);
  g_free (search);
}

static void
find_lost_intent_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  TillApi          *self = source_object;
  LostIntentSearch *search = task_data;

  g_task_return_int (task, till_payments_find_lost_intent (self->stripe, self->db, search->order_id,
                                                           search->created, cancellable,
                                                           &search->intent));
}

static void
on_lost_intent_searched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillApiCall        *call = user_data;
  LostIntentSearch   *search = g_task_get_task_data (G_TASK (result));
  TillStripeResponse *answer;

  switch (g_task_propagate_int (G_TASK (result), NULL))
    {
      case TILL_LOST_INTENT_FOUND:
        /* As it is now, not a replay: written like Stripe's answers. */
        answer = g_new0 (TillStripeResponse, 1);
        answer->status = SOUP_STATUS_OK;
        answer->body = g_steal_pointer (&search->intent);
        till_api_write_answer (call, answer);
        break;
      case TILL_LOST_INTENT_NEVER_MADE:
        call->never_made (call);
        break;
      default:
        {
          g_autoptr (GError) error = g_error_new_literal (
              TILL_API_ERROR, TILL_API_ERROR_UNAVAILABLE,
              _ ("Stripe could not tell whether this order’s payment was made; try again in a "
                 "moment"));
          till_api_call_fail (call, error);
        }
    }
}

/* For @call's order, whose intent's answer was never stored and whose key Stripe may have
 * forgotten: looks for the intent in a thread, then runs @found with it (call->answer,
 * written once the lock is free) or @never_made. */
void
till_api_find_lost_intent_async (TillApiCall     *call,
                                 const TillOrder *order,
                                 void (*found) (TillApiCall *call),
                                 void (*never_made) (TillApiCall *call))
{
  TillApi *self = call->api;
  g_autoptr (GTask) task = g_task_new (self, self->cancellable, on_lost_intent_searched, call);
  LostIntentSearch *search = g_new0 (LostIntentSearch, 1);

  search->order_id = order->id;
  search->created = g_date_time_to_unix (order->created_at);
  g_task_set_task_data (task, search, (GDestroyNotify) lost_intent_search_free);
  call->resume = found;
  call->never_made = never_made;
  g_task_run_in_thread (task, find_lost_intent_thread);
}

/* A Stripe answer that is not a success, as an API error. */
GError *
till_api_stripe_failure (TillStripeResponse *response)
{
  JsonObject      *stripe_error = till_stripe_response_get_error (response);
  g_autofree char *words = till_stripe_describe_error (stripe_error);
  const char      *type = stripe_error != NULL
                              ? json_object_get_string_member_with_default (stripe_error, "type", "")
                              : "";

  /* Stripe's rate limit or a lock, after every retry that fitted in the wait (or none, for
   * a request whose turn would have come too late): how long, in the till's words too. */
  if ((response->status == 429 || response->status == 409) && response->retry_after > 0)
    {
      g_autofree char *wait = till_stripe_describe_wait (response->retry_after);

      return g_error_new_literal (TILL_API_ERROR, TILL_API_ERROR_UNAVAILABLE, wait);
    }

  if (response->status == 402 || g_strcmp0 (type, "card_error") == 0)
    return g_error_new_literal (TILL_API_ERROR, TILL_API_ERROR_CARD_DECLINED, words);
  if (response->status == 429 || response->status >= 500 || response->status == 409)
    return g_error_new_literal (TILL_API_ERROR, TILL_API_ERROR_UNAVAILABLE, words);
  return g_error_new_literal (TILL_API_ERROR, TILL_API_ERROR_PAYMENT_PROVIDER, words);
}

static GError *
network_failure (const GError *error)
{
  if (error->domain == TILL_STRIPE_ERROR && error->code == TILL_STRIPE_ERROR_NETWORK)
    return g_error_new_literal (TILL_API_ERROR, TILL_API_ERROR_UNAVAILABLE, error->message);
  if (error->domain == TILL_STRIPE_ERROR)
    return g_error_new_literal (TILL_API_ERROR, TILL_API_ERROR_PAYMENT_PROVIDER, error->message);
  return g_error_copy (error);
}

/* Stripe's answer to @call's request, or NULL when the network gave none (the call has
 * then failed with the reason in plain words). */
TillStripeResponse *
till_api_call_stripe_answer (TillApiCall *call, GObject *source, GAsyncResult *result)
{
  g_autoptr (GError) error = NULL;
  TillStripeResponse *response;

  response = till_stripe_client_request_finish (TILL_STRIPE_CLIENT (source), result, &error);
  if (response == NULL)
    {
      g_autoptr (GError) mapped = network_failure (error);
      till_api_call_fail (call, mapped);
    }
  else if (response->retry_after > 0)
    {
      /* A 409 or 429 that ends the request (till_api_stripe_failure ()): when to ask again. */
      g_autofree char *seconds = g_strdup_printf ("%u", response->retry_after);

      soup_message_headers_replace (soup_server_message_get_response_headers (call->msg),
                                    "Retry-After", seconds);
    }
  return response;
}

/* The same, but only a success: a Stripe error fails the call too, in plain words. */
TillStripeResponse *
till_api_call_stripe_answer_ok (TillApiCall *call, GObject *source, GAsyncResult *result)
{
  TillStripeResponse *response = till_api_call_stripe_answer (call, source, result);

  if (response != NULL && response->status != 200)
    {
      g_autoptr (GError) mapped = till_api_stripe_failure (response);

      till_api_call_fail (call, mapped);
      g_clear_pointer (&response, till_stripe_response_free);
    }
  return response;
}

void
till_api_set_auth_throttle (TillApi *self, guint max_failures, guint window_ms, guint max_peers)
{
  self->auth_failures_max = max_failures;
  self->auth_window_ms = window_ms;
  self->auth_peers_max = max_peers;
  g_hash_table_remove_all (self->auth_failures);
}

guint
till_api_get_auth_peers (TillApi *self)
{
  return g_hash_table_size (self->auth_failures);
}

/* Stripe's answer that it has no intent of that id (404 resource_missing): test data
 * deleted, or the training simulator restarted. Such an intent can never be paid. */
gboolean
till_api_intent_is_unknown (TillStripeResponse *response)
{
  JsonObject *stripe_error = till_stripe_response_get_error (response);

  return response->status == 404 && stripe_error != NULL &&
         g_strcmp0 (json_object_get_string_member_with_default (stripe_error, "code", NULL),
                    "resource_missing") == 0;
}

/* The order's recorded intent is unknown to Stripe: the order is canceled, so the app makes
 * a new checkout rather than wait for a payment that cannot come. FALSE if the call failed. */
gboolean
till_api_cancel_order_of_unknown_intent (TillApiCall *call)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillOrder) order = till_orders_get (call->api->db, call->order_id, &error);

  if (order != NULL && order->payment_intent != NULL &&
      till_orders_cancel_lost_intent (call->api->db, call->order_id, order->payment_intent, NULL,
                                      &error))
    {
      g_message ("Order %" G_GINT64_FORMAT ": Stripe does not know its payment intent; "
                 "canceled",
                 call->order_id);
      return TRUE;
    }
  if (error == NULL)
    g_set_error (&error, TILL_API_ERROR, TILL_API_ERROR_INVALID_STATE,
                 _ ("The order’s payment changed meanwhile; try again"));
  till_api_call_fail (call, error);
  return FALSE;
}

/* The writes that wait, in the order they came, until the lock is free (then requests are
 * dispatched and Stripe's answers written) or for TILL_DATABASE_BUSY_WAIT_MS (then they get 503
 * busy). */
static gboolean
on_retry_writes (gpointer user_data)
{
  TillApi     *self = user_data;
  gboolean     locked = till_database_is_locked_elsewhere (self->db);
  TillApiCall *call;

  while ((call = g_queue_peek_head (&self->waiting_writes)) != NULL)
    {
      g_autoptr (SoupServerMessage) msg = NULL;
      gboolean finished = call->finished;

      if (locked && (!finished || call->resume != NULL) &&
          !till_api_waited_too_long (self, call->deferred_at))
        break;
      g_queue_pop_head (&self->waiting_writes);
      if (call->resume != NULL)
        {
          /* Stripe's answer: written even when its client has gone. */
          if (locked)
            {
              g_autoptr (GError) error = till_api_new_busy_error ();

              till_api_call_fail (call, error);
            }
          else
            call->resume (call);
          continue;
        }
      msg = till_api_call_take_message (call);
      if (msg == NULL)
        continue;
      if (locked)
        till_api_send_busy (msg);
      else
        till_api_redispatch (self, msg, self->dispatch);
    }
  if (!g_queue_is_empty (&self->waiting_writes))
    return G_SOURCE_CONTINUE;
  self->waiting_source = 0;
  return G_SOURCE_REMOVE;
}
