/* till-stripe-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Requests from the main loop run on curl multi, driven by that main context's sources (one
 * per socket curl watches, one timer): no thread per request, and curl's connection cache
 * keeps connections to Stripe open between requests. The blocking variant (for worker
 * threads such as the reconciler's) uses easy handles from a small pool. Retries keep the
 * same Idempotency-Key, which is what makes them safe. Nothing here logs a key, a request
 * body or a response body: only method, path, status and Request-Id.
 *
 * Stripe counts every request of an account against one limit (100 a second in live mode,
 * 25 in test mode: docs.stripe.com/rate-limits) and answers 429 beyond it; an object
 * another request is changing answers 409 lock_timeout. So every try, retries included and
 * whichever thread makes it, first takes a turn: at most rate_limit turns start in any
 * second, handed out in the order they are asked for (a till's checkout waits behind the
 * requests that came before it, not behind a reconciler's whole backlog: a thread asks for
 * one turn at a time). A request that would wait past max_wait_ms (the till's patience) is
 * answered at once with how long to wait instead, and a 409 or 429 is retried with backoff
 * and jitter while the next try can start within that wait.
 *
 * Longer than our files usually are: libcurl's multi handle on the main loop, retries with the
 * same Idempotency-Key and the rate limit share one queue of requests.
 */
#include "config.h"

#include <curl/curl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "till-json.h"
#include "till-stripe-client.h"

#define G_LOG_DOMAIN_STRIPE "till-stripe"
#define MAX_RESPONSE_SIZE (4 * 1024 * 1024)

/* The quark's name, dashes and all, becomes a string. */
/* clang-format off */
G_DEFINE_QUARK (till-stripe-error-quark, till_stripe_error)
/* clang-format on */

struct _TillStripeForm
{
  GPtrArray *pairs; /* key, value, key, value, … */
};

struct _TillStripeClient
{
  GObject parent_instance;

  char *api_base;
  char *secret_key;
  guint connect_timeout_ms;
  guint timeout_ms;
  guint max_retries;
  guint base_delay_ms;

  GMutex     lock;
  GPtrArray *idle_handles; /* CURL * */
  /* The rate limit (under lock): the start times (monotonic µs) of the last rate_limit
   * turns given, a ring whose next entry is the oldest. */
  guint   rate_limit; /* tries a second; 0: no limit */
  guint   max_wait_ms;
  gint64 *turns;
  guint   next_turn;

  /* Asynchronous requests: curl multi driven by the main context the client was made in. */
  GMainContext *context;
  CURLM        *multi;
  GHashTable   *watches; /* GSource * of the sockets curl watches */
  GSource      *timer;
};

G_DEFINE_FINAL_TYPE (TillStripeClient, till_stripe_client, G_TYPE_OBJECT)

TillStripeForm *
till_stripe_form_new (void)
{
  TillStripeForm *form = g_new0 (TillStripeForm, 1);

  form->pairs = g_ptr_array_new_with_free_func (g_free);
  return form;
}

void
till_stripe_form_free (TillStripeForm *form)
{
  if (form == NULL)
    return;
  g_ptr_array_unref (form->pairs);
  g_free (form);
}

void
till_stripe_form_add (TillStripeForm *form, const char *key, const char *value)
{
  g_ptr_array_add (form->pairs, g_strdup (key));
  g_ptr_array_add (form->pairs, g_strdup (value != NULL ? value : ""));
}

void
till_stripe_form_add_int (TillStripeForm *form, const char *key, gint64 value)
{
  g_ptr_array_add (form->pairs, g_strdup (key));
  g_ptr_array_add (form->pairs, g_strdup_printf ("%" G_GINT64_FORMAT, value));
}

static void
append_escaped (GString *out, const char *text, gboolean keep_brackets)
{
  for (const unsigned char *p = (const unsigned char *) text; *p; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
          (keep_brackets && (*p == '[' || *p == ']')))
        g_string_append_c (out, *p);
      else
        g_string_append_printf (out, "%%%02X", *p);
    }
}

char *
till_stripe_form_encode (TillStripeForm *form)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; form != NULL && i + 1 < form->pairs->len; i += 2)
    {
      if (out->len > 0)
        g_string_append_c (out, '&');
      append_escaped (out, form->pairs->pdata[i], TRUE);
      g_string_append_c (out, '=');
      append_escaped (out, form->pairs->pdata[i + 1], FALSE);
    }
  return g_string_free (out, FALSE);
}

void
till_stripe_response_free (TillStripeResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->body, json_object_unref);
  g_free (response->request_id);
  g_free (response);
}

JsonObject *
till_stripe_response_get_error (TillStripeResponse *response)
{
  JsonNode *node;

  if (response->status >= 200 && response->status < 300)
    return NULL;
  node = json_object_get_member (response->body, "error");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

char *
till_stripe_describe_error (JsonObject *error_object)
{
  static const struct
  {
    const char *code;
    const char *words;
  } reasons[] = {
    { "insufficient_funds", N_ ("The card has insufficient funds.") },
    { "generic_decline", N_ ("The card was declined.") },
    { "card_declined", N_ ("The card was declined.") },
    { "lost_card", N_ ("The card was declined (reported lost).") },
    { "stolen_card", N_ ("The card was declined (reported stolen).") },
    { "expired_card", N_ ("The card has expired.") },
    { "incorrect_cvc", N_ ("The card’s security code is incorrect.") },
    { "incorrect_number", N_ ("The card number is incorrect.") },
    { "processing_error", N_ ("The card could not be processed. Try again.") },
    { "do_not_honor", N_ ("The card was declined by the bank.") },
    { "fraudulent", N_ ("The card was declined.") },
    { "authentication_required", N_ ("The bank asked for authentication that was not completed.") },
    { "payment_intent_authentication_failure", N_ ("Authentication with the bank failed.") },
    { "amount_too_small", N_ ("The amount is below the minimum that can be charged.") },
    { "amount_too_large", N_ ("The amount is above the maximum that can be charged.") },
    { "rate_limit", N_ ("The payment provider is busy. Try again.") },
    { "charge_already_refunded", N_ ("The payment has already been refunded.") },
    { "payment_intent_unexpected_state", N_ ("The payment is not in a state that allows this.") },
  };
  const char *decline = member_string (error_object, "decline_code");
  const char *code = member_string (error_object, "code");
  const char *type = member_string (error_object, "type");

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (g_strcmp0 (decline, reasons[i].code) == 0)
      return g_strdup (_ (reasons[i].words));
  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (g_strcmp0 (code, reasons[i].code) == 0)
      return g_strdup (_ (reasons[i].words));
  if (g_strcmp0 (type, "card_error") == 0)
    return g_strdup (_ ("The card was declined."));
  if (g_strcmp0 (type, "idempotency_error") == 0)
    return g_strdup (_ ("The payment provider saw a conflicting repeat of this request."));
  return g_strdup (_ ("The payment provider refused the request."));
}

char *
till_stripe_describe_wait (guint seconds)
{
  return g_strdup_printf (g_dngettext (NULL, "The payment provider is busy; try again in %u second",
                                       "The payment provider is busy; try again in %u seconds",
                                       seconds),
                          seconds);
}

static void
till_stripe_client_finalize (GObject *object)
{
  TillStripeClient *self = TILL_STRIPE_CLIENT (object);

  /* Every transfer holds a reference: none is left in the multi handle here. */
  g_hash_table_unref (self->watches);
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_source_unref (self->timer);
    }
  curl_multi_cleanup (self->multi);
  g_main_context_unref (self->context);
  g_ptr_array_unref (self->idle_handles);
  g_free (self->turns);
  g_mutex_clear (&self->lock);
  g_free (self->api_base);
  if (self->secret_key != NULL)
    memset (self->secret_key, 0, strlen (self->secret_key));
  g_free (self->secret_key);

  G_OBJECT_CLASS (till_stripe_client_parent_class)->finalize (object);
}

static void
till_stripe_client_class_init (TillStripeClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_stripe_client_finalize;
}

static void
till_stripe_client_init (TillStripeClient *self)
{
  g_mutex_init (&self->lock);
  self->idle_handles = g_ptr_array_new_with_free_func ((GDestroyNotify) curl_easy_cleanup);
  self->connect_timeout_ms = 10000;
  self->timeout_ms = 30000;
  self->max_retries = 3;
  self->base_delay_ms = 250;
  self->max_wait_ms = 10000;
}

static void
destroy_watch (GSource *source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

static int socket_cb (CURL *easy, curl_socket_t fd, int what, void *user_data, void *socket_data);
static int timer_cb (CURLM *multi, long timeout_ms, void *user_data);

TillStripeClient *
till_stripe_client_new (const char *api_base, const char *secret_key)
{
  static gsize      curl_initialized = 0;
  TillStripeClient *self;

  g_return_val_if_fail (api_base != NULL, NULL);
  g_return_val_if_fail (secret_key != NULL, NULL);

  if (g_once_init_enter (&curl_initialized))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&curl_initialized, 1);
    }

  self = g_object_new (TILL_TYPE_STRIPE_CLIENT, NULL);
  self->api_base = g_strdup (api_base);
  /* No trailing slash: paths start with one. */
  while (g_str_has_suffix (self->api_base, "/"))
    self->api_base[strlen (self->api_base) - 1] = '\0';
  self->secret_key = g_strdup (secret_key);

  self->context = g_main_context_ref_thread_default ();
  self->watches = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) destroy_watch, NULL);
  self->multi = curl_multi_init ();
  curl_multi_setopt (self->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
  curl_multi_setopt (self->multi, CURLMOPT_SOCKETDATA, self);
  curl_multi_setopt (self->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt (self->multi, CURLMOPT_TIMERDATA, self);
  curl_multi_setopt (self->multi, CURLMOPT_MAXCONNECTS, 32L);
  return self;
}

void
till_stripe_client_set_timeouts (TillStripeClient *self, guint connect_timeout_ms, guint timeout_ms)
{
  self->connect_timeout_ms = connect_timeout_ms;
  self->timeout_ms = timeout_ms;
}

void
till_stripe_client_set_retries (TillStripeClient *self, guint max_retries, guint base_delay_ms)
{
  self->max_retries = max_retries;
  self->base_delay_ms = base_delay_ms;
}

void
till_stripe_client_set_rate_limit (TillStripeClient *self, guint per_second, guint max_wait_ms)
{
  g_mutex_lock (&self->lock);
  self->rate_limit = per_second;
  self->max_wait_ms = max_wait_ms;
  g_clear_pointer (&self->turns, g_free);
  self->next_turn = 0;
  if (per_second > 0)
    {
      self->turns = g_new (gint64, per_second);
      for (guint i = 0; i < per_second; i++)
        self->turns[i] = G_MININT64 / 2;
    }
  g_mutex_unlock (&self->lock);
}

/* The earliest start of a turn asked for at @now (under lock). Turns are given in order, so
 * the ring is sorted: the oldest of the last rate_limit turns decides. */
static gint64
next_free_turn (TillStripeClient *self, gint64 now)
{
  if (self->rate_limit == 0)
    return now;
  return MAX (now, self->turns[self->next_turn] + G_USEC_PER_SEC);
}

/* A turn for a try asked for now: its start (monotonic µs) in @out_start, given when it is
 * no later than @deadline (or now). Otherwise nothing is given, and FALSE. */
static gboolean
take_turn (TillStripeClient *self, gint64 deadline, gint64 *out_start)
{
  gint64   now, start;
  gboolean given;

  /* The clock is read under the lock, so that turns are given in the order of their times. */
  g_mutex_lock (&self->lock);
  now = g_get_monotonic_time ();
  start = next_free_turn (self, now);
  given = start <= MAX (deadline, now);
  if (given && self->rate_limit > 0)
    {
      self->turns[self->next_turn] = start;
      self->next_turn = (self->next_turn + 1) % self->rate_limit;
    }
  g_mutex_unlock (&self->lock);
  *out_start = start;
  return given;
}

guint
till_stripe_client_get_wait_ms (TillStripeClient *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 start;

  g_mutex_lock (&self->lock);
  start = next_free_turn (self, now);
  g_mutex_unlock (&self->lock);
  return (guint) MIN ((start - now + 999) / 1000, G_MAXUINT);
}

/* Whole seconds to tell a client to wait before a new request, at least 1: Stripe's
 * limits count a second at a time. */
static guint
retry_after_seconds (TillStripeClient *self)
{
  return MAX (1, (till_stripe_client_get_wait_ms (self) + 999) / 1000);
}

typedef struct
{
  char              *method;
  char              *path;
  char              *body;
  char              *idempotency_key;
  const char *const *members; /* of the answer to read, or NULL for all (static) */
} Request;

static void
request_free (Request *request)
{
  g_free (request->method);
  g_free (request->path);
  g_free (request->body);
  g_free (request->idempotency_key);
  g_free (request);
}

typedef struct
{
  GByteArray *body;
  char       *request_id;
  gboolean    too_big;
  gboolean    replayed;     /* Idempotent-Replayed: true */
  int         should_retry; /* Stripe-Should-Retry: 1 true, 0 false, -1 not sent */
} Reply;

#define REPLY_INIT                                                                                 \
  {                                                                                                \
    g_byte_array_new (), NULL, FALSE, FALSE, -1                                                    \
  }

static size_t
write_cb (char *data, size_t size, size_t count, void *user_data)
{
  Reply *reply = user_data;
  size_t length = size * count;

  if (reply->body->len + length > MAX_RESPONSE_SIZE)
    {
      reply->too_big = TRUE;
      return 0;
    }
  g_byte_array_append (reply->body, (const guint8 *) data, length);
  return length;
}

/* The value of the header line @data if it is @name (lower case, with its colon), or NULL. */
static char *
header_value (const char *data, size_t length, const char *name)
{
  size_t name_length = strlen (name);

  if (length <= name_length || g_ascii_strncasecmp (data, name, name_length) != 0)
    return NULL;
  return g_strstrip (g_strndup (data + name_length, length - name_length));
}

static size_t
header_cb (char *data, size_t size, size_t count, void *user_data)
{
  Reply *reply = user_data;
  size_t length = size * count;
  char  *value;

  if ((value = header_value (data, length, "request-id:")) != NULL)
    {
      g_free (reply->request_id);
      reply->request_id = value;
    }
  else if ((value = header_value (data, length, "idempotent-replayed:")) != NULL)
    {
      reply->replayed = g_ascii_strcasecmp (value, "true") == 0;
      g_free (value);
    }
  else if ((value = header_value (data, length, "stripe-should-retry:")) != NULL)
    {
      reply->should_retry = g_ascii_strcasecmp (value, "true") == 0    ? 1
                            : g_ascii_strcasecmp (value, "false") == 0 ? 0
                                                                       : -1;
      g_free (value);
    }
  return length;
}

static CURL *
take_handle (TillStripeClient *self)
{
  CURL *handle = NULL;

  g_mutex_lock (&self->lock);
  if (self->idle_handles->len > 0)
    handle = g_ptr_array_steal_index_fast (self->idle_handles, self->idle_handles->len - 1);
  g_mutex_unlock (&self->lock);
  return handle != NULL ? handle : curl_easy_init ();
}

static void
return_handle (TillStripeClient *self, CURL *handle)
{
  curl_easy_reset (handle);
  g_mutex_lock (&self->lock);
  if (self->idle_handles->len < 32)
    {
      g_ptr_array_add (self->idle_handles, handle);
      handle = NULL;
    }
  g_mutex_unlock (&self->lock);
  if (handle != NULL)
    curl_easy_cleanup (handle);
}

/* Sets every option of one attempt; returns the header list to free once it is over. */
static struct curl_slist *
prepare_handle (
    TillStripeClient *self, CURL *handle, const Request *request, Reply *reply, char *errbuf)
{
  g_autofree char   *url = g_strconcat (self->api_base, request->path, NULL);
  struct curl_slist *headers = NULL;

  headers = curl_slist_append (headers, "Stripe-Version: " TILL_STRIPE_API_VERSION);
  headers = curl_slist_append (headers, "Accept: application/json");
  headers = curl_slist_append (headers, "Expect:");
  if (request->idempotency_key != NULL)
    {
      g_autofree char *idempotency =
          g_strconcat ("Idempotency-Key: ", request->idempotency_key, NULL);
      headers = curl_slist_append (headers, idempotency);
    }

  errbuf[0] = '\0';
  curl_easy_setopt (handle, CURLOPT_URL, url);
  curl_easy_setopt (handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (handle, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
  curl_easy_setopt (handle, CURLOPT_USERNAME, self->secret_key);
  curl_easy_setopt (handle, CURLOPT_PASSWORD, "");
  curl_easy_setopt (handle, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (handle, CURLOPT_USERAGENT, "till-server/" PACKAGE_VERSION);
  curl_easy_setopt (handle, CURLOPT_CONNECTTIMEOUT_MS, (long) self->connect_timeout_ms);
  curl_easy_setopt (handle, CURLOPT_TIMEOUT_MS, (long) self->timeout_ms);
  curl_easy_setopt (handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (handle, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt (handle, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (handle, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt (handle, CURLOPT_WRITEDATA, reply);
  curl_easy_setopt (handle, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt (handle, CURLOPT_HEADERDATA, reply);
  if (g_strcmp0 (request->method, "POST") == 0)
    {
      curl_easy_setopt (handle, CURLOPT_POST, 1L);
      /* Not copied by curl: request->body lives as long as the request. */
      curl_easy_setopt (handle, CURLOPT_POSTFIELDS, request->body != NULL ? request->body : "");
    }
  else
    curl_easy_setopt (handle, CURLOPT_HTTPGET, 1L);
  return headers;
}

static char *
describe_failure (CURLcode rc, const Reply *reply, const char *errbuf)
{
  return g_strdup (reply->too_big      ? "response too large"
                   : errbuf[0] != '\0' ? errbuf
                                       : curl_easy_strerror (rc));
}

/* One blocking attempt: TRUE with @out_status when an HTTP answer came back. */
static gboolean
perform_once (TillStripeClient *self,
              CURL             *handle,
              const Request    *request,
              Reply            *reply,
              long             *out_status,
              char            **out_network_error)
{
  char               errbuf[CURL_ERROR_SIZE];
  struct curl_slist *headers = prepare_handle (self, handle, request, reply, errbuf);
  CURLcode           rc;

  rc = curl_easy_perform (handle);
  curl_slist_free_all (headers);
  /* The handle goes back to the pool: forget pointers into this frame. */
  curl_easy_setopt (handle, CURLOPT_ERRORBUFFER, NULL);
  curl_easy_setopt (handle, CURLOPT_HTTPHEADER, NULL);

  if (rc != CURLE_OK)
    {
      *out_network_error = describe_failure (rc, reply, errbuf);
      return FALSE;
    }
  curl_easy_getinfo (handle, CURLINFO_RESPONSE_CODE, out_status);
  return TRUE;
}

/* The final answer of a request: Stripe's JSON, whatever the status. Takes @reply's body. */
static TillStripeResponse *
make_response (const Request *request, Reply *reply, long status, guint attempt, GError **error)
{
  g_autoptr (JsonObject) body = NULL;
  TillStripeResponse *response;

  body = request->members != NULL
             ? till_json_parse_object_members ((const char *) reply->body->data, reply->body->len,
                                               request->members, NULL)
             : till_json_parse_object ((const char *) reply->body->data, reply->body->len, NULL);
  if (body == NULL)
    {
      g_log (G_LOG_DOMAIN_STRIPE, G_LOG_LEVEL_MESSAGE,
             "%s %s: HTTP %ld with a body that is not JSON (Request-Id %s)", request->method,
             request->path, status, reply->request_id != NULL ? reply->request_id : "none");
      g_set_error (error, TILL_STRIPE_ERROR, TILL_STRIPE_ERROR_PROTOCOL,
                   _ ("The payment provider sent an answer Till cannot read"));
      return NULL;
    }
  response = g_new0 (TillStripeResponse, 1);
  response->status = (guint) status;
  response->body = g_steal_pointer (&body);
  response->request_id = g_steal_pointer (&reply->request_id);
  response->replayed = reply->replayed;
  response->attempts = attempt + 1;
  if (status >= 400)
    {
      JsonObject *stripe_error = till_stripe_response_get_error (response);

      g_log (G_LOG_DOMAIN_STRIPE, G_LOG_LEVEL_MESSAGE, "%s %s: HTTP %ld %s/%s (Request-Id %s)",
             request->method, request->path, status,
             stripe_error ? (member_string (stripe_error, "type") ?: "") : "",
             stripe_error ? (member_string (stripe_error, "code") ?: "") : "",
             response->request_id != NULL ? response->request_id : "none");
    }
  return response;
}

static guint
backoff_delay_ms (TillStripeClient *self, guint attempt)
{
  guint64 delay = (guint64) self->base_delay_ms << MIN (attempt, 3);

  delay += g_random_int_range (0, (gint32) (delay / 2 + 1));
  return (guint) MIN (delay, G_MAXUINT);
}

/* Whether an answer with @status is worth another try after @delay_ms, for a request that
 * must start its tries by @deadline. Stripe-Should-Retry, when sent, decides whether
 * (Stripe's libraries obey it); a 409 (lock_timeout, a key in use) or 429 may also wait
 * past max_retries, within the deadline, as Stripe asks for backoff, not for giving up. */
static gboolean
may_retry (TillStripeClient *self,
           long              status,
           const Reply      *reply,
           guint             attempt,
           guint             delay_ms,
           gint64            deadline)
{
  gboolean retryable = status == 409 || status == 429 || status >= 500;

  if (reply->should_retry == 0 || (reply->should_retry == -1 && !retryable))
    return FALSE;
  if (attempt < self->max_retries)
    return TRUE;
  return (status == 409 || status == 429) &&
         g_get_monotonic_time () + (gint64) delay_ms * 1000 <= deadline;
}

/* What a request is answered when its turn would come too late: Stripe's own answer past
 * its limit, which means the same (nothing done, try later), never sent. */
static TillStripeResponse *
throttled_response (TillStripeClient *self, const Request *request, gint64 wait_us)
{
  TillStripeResponse *response = g_new0 (TillStripeResponse, 1);
  JsonObject         *error = json_object_new ();

  json_object_set_string_member (error, "type", "invalid_request_error");
  json_object_set_string_member (error, "code", "rate_limit");
  json_object_set_string_member (error, "message",
                                 "Not sent: Till keeps to its Stripe rate limit and this "
                                 "request's turn would come too late.");
  response->status = 429;
  response->body = json_object_new ();
  json_object_set_object_member (response->body, "error", error);
  response->throttled = TRUE;
  response->retry_after = (guint) MAX (1, (wait_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  g_log (
      G_LOG_DOMAIN_STRIPE, G_LOG_LEVEL_MESSAGE,
      "%s %s: not sent, its turn under the rate limit (%u a second) would come in %" G_GINT64_FORMAT
      " ms",
      request->method, request->path, self->rate_limit, wait_us / 1000);
  return response;
}

/* make_response () for the answer a request ends with. */
static TillStripeResponse *
final_response (TillStripeClient *self,
                const Request    *request,
                Reply            *reply,
                long              status,
                guint             attempt,
                GError          **error)
{
  TillStripeResponse *response = make_response (request, reply, status, attempt, error);

  if (response != NULL && (status == 409 || status == 429))
    response->retry_after = retry_after_seconds (self);
  return response;
}

/* Worker thread: a short wait that notices cancellation. */
static void
sleep_until (gint64 until, GCancellable *cancellable)
{
  while (g_get_monotonic_time () < until && !g_cancellable_is_cancelled (cancellable))
    g_usleep (MIN (20000, MAX (0, until - g_get_monotonic_time ())));
}

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->body, g_byte_array_unref);
  g_clear_pointer (&reply->request_id, g_free);
}

static TillStripeResponse *
run_request (TillStripeClient *self,
             const Request    *request,
             GCancellable     *cancellable,
             GError          **error)
{
  g_autofree char *last_network_error = NULL;
  CURL            *handle = take_handle (self);
  gint64           deadline = g_get_monotonic_time () + (gint64) self->max_wait_ms * 1000;
  Reply            last = { NULL, NULL, FALSE, FALSE, -1 }; /* the answer last retried */
  long             last_status = 0;
  guint            attempt;

  if (handle == NULL)
    {
      g_set_error (error, TILL_STRIPE_ERROR, TILL_STRIPE_ERROR_NETWORK,
                   _ ("Cannot start a connection to the payment provider"));
      return NULL;
    }

  for (attempt = 0;; attempt++)
    {
      Reply            reply = REPLY_INIT;
      g_autofree char *network_error = NULL;
      long             status = 0;
      gint64           start;
      guint            delay_ms;

      if (!take_turn (self, deadline, &start))
        {
          TillStripeResponse *response = NULL;

          reply_clear (&reply);
          return_handle (self, handle);
          if (attempt == 0)
            response = throttled_response (self, request, start - g_get_monotonic_time ());
          else if (last_status != 0)
            response = final_response (self, request, &last, last_status, attempt - 1, error);
          else
            g_set_error (error, TILL_STRIPE_ERROR, TILL_STRIPE_ERROR_NETWORK,
                         _ ("The payment provider did not answer (%s)"), last_network_error);
          reply_clear (&last);
          return response;
        }
      sleep_until (start, cancellable);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          reply_clear (&reply);
          reply_clear (&last);
          return_handle (self, handle);
          return NULL;
        }

      if (!perform_once (self, handle, request, &reply, &status, &network_error))
        {
          g_log (G_LOG_DOMAIN_STRIPE, G_LOG_LEVEL_MESSAGE, "%s %s: attempt %u failed: %s",
                 request->method, request->path, attempt + 1, network_error);
          g_free (last_network_error);
          last_network_error = g_steal_pointer (&network_error);
          reply_clear (&reply);
          reply_clear (&last);
          last_status = 0;
          if (attempt >= self->max_retries)
            break;
          sleep_until (g_get_monotonic_time () + (gint64) backoff_delay_ms (self, attempt) * 1000,
                       cancellable);
          continue;
        }

      delay_ms = backoff_delay_ms (self, attempt);
      if (may_retry (self, status, &reply, attempt, delay_ms, deadline))
        {
          g_log (G_LOG_DOMAIN_STRIPE, G_LOG_LEVEL_MESSAGE,
                 "%s %s: HTTP %ld (Request-Id %s), retrying", request->method, request->path,
                 status, reply.request_id != NULL ? reply.request_id : "none");
          reply_clear (&last);
          last = reply;
          last_status = status;
          sleep_until (g_get_monotonic_time () + (gint64) delay_ms * 1000, cancellable);
          continue;
        }

      {
        TillStripeResponse *response;

        return_handle (self, handle);
        response = final_response (self, request, &reply, status, attempt, error);
        reply_clear (&reply);
        reply_clear (&last);
        return response;
      }
    }

  curl_easy_cleanup (handle);
  g_log (G_LOG_DOMAIN_STRIPE, G_LOG_LEVEL_MESSAGE,
         "%s %s: no answer from the payment provider after %u attempts: %s", request->method,
         request->path, attempt + 1, last_network_error);
  g_set_error (error, TILL_STRIPE_ERROR, TILL_STRIPE_ERROR_NETWORK,
               _ ("The payment provider did not answer (%s)"), last_network_error);
  return NULL;
}

static Request *
request_new (const char     *method,
             const char     *path,
             TillStripeForm *form,
             const char     *idempotency_key)
{
  Request *request = g_new0 (Request, 1);

  request->method = g_strdup (method);
  request->path = g_strdup (path);
  request->body = form != NULL ? till_stripe_form_encode (form) : NULL;
  request->idempotency_key = g_strdup (idempotency_key);
  return request;
}

/* curl multi on the GLib main loop: no thread per request. Each transfer runs its attempts
 * here; curl says which sockets to watch and when to wake it (socket_cb, timer_cb). */

typedef struct
{
  TillStripeClient  *self;
  GTask             *task;
  Request           *request;
  CURL              *handle;
  struct curl_slist *headers;
  Reply              reply;
  char               errbuf[CURL_ERROR_SIZE];
  guint              attempt;
  char              *last_network_error;
  long               last_status; /* of the answer in reply, kept for a retry; 0: none */
  gint64             deadline;    /* tries start by then (monotonic µs), or not at all */
  GSource           *backoff;     /* a backoff, or the wait for a turn */
} Transfer;

static void
transfer_free (Transfer *transfer)
{
  if (transfer->backoff != NULL)
    {
      g_source_destroy (transfer->backoff);
      g_source_unref (transfer->backoff);
    }
  g_clear_pointer (&transfer->headers, curl_slist_free_all);
  g_clear_pointer (&transfer->reply.body, g_byte_array_unref);
  g_free (transfer->reply.request_id);
  if (transfer->handle != NULL)
    return_handle (transfer->self, transfer->handle);
  request_free (transfer->request);
  g_free (transfer->last_network_error);
  g_clear_object (&transfer->task);
  g_object_unref (transfer->self);
  g_free (transfer);
}

static void check_finished (TillStripeClient *self);

static gboolean
on_socket_ready (int fd, GIOCondition condition, gpointer user_data)
{
  TillStripeClient *self = user_data;
  int               action = 0, running = 0;

  if (condition & G_IO_IN)
    action |= CURL_CSELECT_IN;
  if (condition & G_IO_OUT)
    action |= CURL_CSELECT_OUT;
  if (condition & (G_IO_ERR | G_IO_HUP))
    action |= CURL_CSELECT_ERR;
  g_object_ref (self);
  curl_multi_socket_action (self->multi, fd, action, &running);
  check_finished (self);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

/* A socket curl watches: one source for its whole life, whose events change in place
 * (a new source each time would cost allocations and main-loop wake-ups). */
typedef struct
{
  GSource           source;
  TillStripeClient *client;
  int               fd;
  gpointer          tag;
  GIOCondition      condition;
} Watch;

static gboolean
watch_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  Watch *watch = (Watch *) source;

  return on_socket_ready (watch->fd, g_source_query_unix_fd (source, watch->tag), watch->client);
}

static GSourceFuncs watch_funcs = { NULL, NULL, watch_dispatch, NULL, NULL, NULL };

static int
socket_cb (CURL *easy, curl_socket_t fd, int what, void *user_data, void *socket_data)
{
  TillStripeClient *self = user_data;
  Watch            *watch = socket_data;
  GIOCondition      condition = G_IO_ERR | G_IO_HUP;

  if (what == CURL_POLL_REMOVE)
    {
      if (watch != NULL)
        g_hash_table_remove (self->watches, watch);
      curl_multi_assign (self->multi, fd, NULL);
      return 0;
    }
  if (what & CURL_POLL_IN)
    condition |= G_IO_IN;
  if (what & CURL_POLL_OUT)
    condition |= G_IO_OUT;
  if (watch != NULL)
    {
      /* GLib 2.74 wakes the main context up on every change, even from its own thread. */
      if (condition != watch->condition)
        g_source_modify_unix_fd ((GSource *) watch, watch->tag, condition);
      watch->condition = condition;
      return 0;
    }
  watch = (Watch *) g_source_new (&watch_funcs, sizeof (Watch));
  /* Not a reference: the client outlives its sources (see finalize). */
  watch->client = self;
  watch->fd = fd;
  watch->tag = g_source_add_unix_fd ((GSource *) watch, fd, condition);
  watch->condition = condition;
  /* Not blocked while dispatched: blocking removes the fd from the poll set and adding it
   * back wakes the context up (two eventfd writes and an empty poll per dispatch). curl
   * does not call back into a socket's own dispatch. */
  g_source_set_can_recurse ((GSource *) watch, TRUE);
  g_source_attach ((GSource *) watch, self->context);
  g_hash_table_add (self->watches, watch);
  curl_multi_assign (self->multi, fd, watch);
  return 0;
}

static gboolean
on_timer (gpointer user_data)
{
  TillStripeClient *self = user_data;
  int               running = 0;

  g_clear_pointer (&self->timer, g_source_unref);
  g_object_ref (self);
  curl_multi_socket_action (self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_finished (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static int
timer_cb (CURLM *multi, long timeout_ms, void *user_data)
{
  TillStripeClient *self = user_data;

  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  if (timeout_ms >= 0)
    {
      /* Never call into curl from its own callback: wake up from the main loop. */
      self->timer = g_timeout_source_new ((guint) timeout_ms);
      g_source_set_callback (self->timer, on_timer, self, NULL);
      g_source_attach (self->timer, self->context);
    }
  return 0;
}

static void start_attempt (Transfer *transfer);
static void queue_attempt (Transfer *transfer);

static void
wait_then (Transfer *transfer, gint64 until, GSourceFunc func)
{
  gint64 wait_us = MAX (0, until - g_get_monotonic_time ());

  transfer->backoff = g_timeout_source_new ((guint) MIN ((wait_us + 999) / 1000, G_MAXUINT));
  g_source_set_callback (transfer->backoff, func, transfer, NULL);
  g_source_attach (transfer->backoff, transfer->self->context);
}

static gboolean
on_turn (gpointer user_data)
{
  Transfer *transfer = user_data;

  g_clear_pointer (&transfer->backoff, g_source_unref);
  start_attempt (transfer);
  return G_SOURCE_REMOVE;
}

static gboolean
on_backoff_done (gpointer user_data)
{
  Transfer *transfer = user_data;

  g_clear_pointer (&transfer->backoff, g_source_unref);
  queue_attempt (transfer);
  return G_SOURCE_REMOVE;
}

static void
fail_network (Transfer *transfer)
{
  g_log (G_LOG_DOMAIN_STRIPE, G_LOG_LEVEL_MESSAGE,
         "%s %s: no answer from the payment provider after %u attempts: %s",
         transfer->request->method, transfer->request->path, transfer->attempt + 1,
         transfer->last_network_error);
  g_task_return_new_error (transfer->task, TILL_STRIPE_ERROR, TILL_STRIPE_ERROR_NETWORK,
                           _ ("The payment provider did not answer (%s)"),
                           transfer->last_network_error);
  transfer_free (transfer);
}

/* Answers the request with the answer in transfer->reply, and frees it. */
static void
finish (Transfer *transfer, long status)
{
  g_autoptr (GError) error = NULL;
  TillStripeResponse *response;

  response = final_response (transfer->self, transfer->request, &transfer->reply, status,
                             transfer->attempt, &error);
  if (response != NULL)
    g_task_return_pointer (transfer->task, response, (GDestroyNotify) till_stripe_response_free);
  else
    g_task_return_error (transfer->task, g_steal_pointer (&error));
  transfer_free (transfer);
}

/* The next try takes its turn under the rate limit, or the request ends with what it has. */
static void
queue_attempt (Transfer *transfer)
{
  TillStripeClient *self = transfer->self;
  gint64            start;

  if (g_task_return_error_if_cancelled (transfer->task))
    {
      transfer_free (transfer);
      return;
    }
  if (!take_turn (self, transfer->deadline, &start))
    {
      if (transfer->last_status != 0)
        {
          /* The last answer (a 409 or 429 worth a retry) is the one: no try comes in time. */
          transfer->attempt--;
          finish (transfer, transfer->last_status);
        }
      else if (transfer->attempt > 0)
        {
          transfer->attempt--;
          fail_network (transfer);
        }
      else
        {
          g_task_return_pointer (
              transfer->task,
              throttled_response (self, transfer->request, start - g_get_monotonic_time ()),
              (GDestroyNotify) till_stripe_response_free);
          transfer_free (transfer);
        }
      return;
    }
  if (start > g_get_monotonic_time ())
    wait_then (transfer, start, on_turn);
  else
    start_attempt (transfer);
}

static void
retry_later (Transfer *transfer, guint delay_ms)
{
  wait_then (transfer, g_get_monotonic_time () + (gint64) delay_ms * 1000, on_backoff_done);
  transfer->attempt++;
}

static void
attempt_done (Transfer *transfer, CURLcode rc)
{
  TillStripeClient *self = transfer->self;
  const Request    *request = transfer->request;
  long              status = 0;
  guint             delay_ms = backoff_delay_ms (self, transfer->attempt);

  g_clear_pointer (&transfer->headers, curl_slist_free_all);
  if (rc != CURLE_OK)
    {
      g_free (transfer->last_network_error);
      transfer->last_network_error = describe_failure (rc, &transfer->reply, transfer->errbuf);
      transfer->last_status = 0;
      g_log (G_LOG_DOMAIN_STRIPE, G_LOG_LEVEL_MESSAGE, "%s %s: attempt %u failed: %s",
             request->method, request->path, transfer->attempt + 1, transfer->last_network_error);
      if (transfer->attempt >= self->max_retries)
        fail_network (transfer);
      else
        retry_later (transfer, delay_ms);
      return;
    }

  curl_easy_getinfo (transfer->handle, CURLINFO_RESPONSE_CODE, &status);
  if (may_retry (self, status, &transfer->reply, transfer->attempt, delay_ms, transfer->deadline))
    {
      g_log (G_LOG_DOMAIN_STRIPE, G_LOG_LEVEL_MESSAGE, "%s %s: HTTP %ld (Request-Id %s), retrying",
             request->method, request->path, status,
             transfer->reply.request_id != NULL ? transfer->reply.request_id : "none");
      g_free (transfer->last_network_error);
      transfer->last_network_error = g_strdup_printf ("HTTP %ld", status);
      transfer->last_status = status;
      retry_later (transfer, delay_ms);
      return;
    }
  finish (transfer, status);
}

static void
check_finished (TillStripeClient *self)
{
  CURLMsg *msg;
  int      left;

  while ((msg = curl_multi_info_read (self->multi, &left)) != NULL)
    {
      Transfer *transfer = NULL;
      CURL     *handle = msg->easy_handle;
      CURLcode  rc = msg->data.result;

      if (msg->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo (handle, CURLINFO_PRIVATE, (char **) &transfer);
      curl_multi_remove_handle (self->multi, handle);
      attempt_done (transfer, rc);
    }
}

static void
start_attempt (Transfer *transfer)
{
  TillStripeClient *self = transfer->self;

  if (g_task_return_error_if_cancelled (transfer->task))
    {
      transfer_free (transfer);
      return;
    }
  g_clear_pointer (&transfer->reply.body, g_byte_array_unref);
  g_clear_pointer (&transfer->reply.request_id, g_free);
  transfer->reply.body = g_byte_array_new ();
  transfer->reply.too_big = FALSE;
  transfer->reply.replayed = FALSE;
  transfer->reply.should_retry = -1;
  transfer->headers = prepare_handle (self, transfer->handle, transfer->request, &transfer->reply,
                                      transfer->errbuf);
  curl_easy_setopt (transfer->handle, CURLOPT_PRIVATE, transfer);
  curl_multi_add_handle (self->multi, transfer->handle);
}

void
till_stripe_client_request_async (TillStripeClient   *self,
                                  const char         *method,
                                  const char         *path,
                                  TillStripeForm     *form,
                                  const char         *idempotency_key,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  till_stripe_client_request_members_async (self, method, path, form, idempotency_key, NULL,
                                            cancellable, callback, user_data);
}

void
till_stripe_client_request_members_async (TillStripeClient   *self,
                                          const char         *method,
                                          const char         *path,
                                          TillStripeForm     *form,
                                          const char         *idempotency_key,
                                          const char *const  *members,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data)
{
  Transfer *transfer;

  g_return_if_fail (TILL_IS_STRIPE_CLIENT (self));

  transfer = g_new0 (Transfer, 1);
  transfer->self = g_object_ref (self);
  transfer->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (transfer->task, till_stripe_client_request_async);
  transfer->request = request_new (method, path, form, idempotency_key);
  transfer->request->members = members;
  transfer->deadline = g_get_monotonic_time () + (gint64) self->max_wait_ms * 1000;
  transfer->handle = take_handle (self);
  if (transfer->handle == NULL)
    {
      g_task_return_new_error (transfer->task, TILL_STRIPE_ERROR, TILL_STRIPE_ERROR_NETWORK,
                               _ ("Cannot start a connection to the payment provider"));
      transfer_free (transfer);
      return;
    }
  queue_attempt (transfer);
}

TillStripeResponse *
till_stripe_client_request_finish (TillStripeClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

TillStripeResponse *
till_stripe_client_request_sync (TillStripeClient *self,
                                 const char       *method,
                                 const char       *path,
                                 TillStripeForm   *form,
                                 const char       *idempotency_key,
                                 GCancellable     *cancellable,
                                 GError          **error)
{
  Request            *request = request_new (method, path, form, idempotency_key);
  TillStripeResponse *response = run_request (self, request, cancellable, error);

  request_free (request);
  return response;
}
