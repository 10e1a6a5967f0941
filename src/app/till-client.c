/* till-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Longer than our files usually are: one _async/_finish pair per route of the server's API over
 * one request core (timeouts, certificate pinning, retries, the probe); a file per route would
 * have to share that core's private state.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

#include "till-catalog.h"
#include "till-client-private.h"

#define DEFAULT_TIMEOUT_S 15
/* The connection probe (GET /api/v1/config): every second while online, and while offline
 * from 250 ms backing off to a second, each given 900 ms to answer. A lost or returning
 * server is noticed within one interval and one probe's time: under two seconds
 * (TILL_CLIENT_NOTICE_BUDGET_MS). */
#define DEFAULT_RETRY_INITIAL_MS 250
#define DEFAULT_RETRY_MAX_MS 1000
#define DEFAULT_HEARTBEAT_MS 1000
#define DEFAULT_PROBE_TIMEOUT_MS 900
#define MAX_PAGES 10000

struct _TillClient
{
  GObject parent_instance;

  SoupSession        *session;
  char               *base_url;
  char               *token;
  char               *pin; /* normalized fingerprint or NULL */
  TillConnectionState state;
  TillStoreConfig    *config;
  GError             *last_error;
  guint               retry_initial_ms;
  guint               retry_max_ms;
  guint               retry_delay_ms;
  guint               heartbeat_ms;
  guint               probe_timeout_ms;
  guint               retry_source;
  guint               scheduled_delay_ms; /* of the probe retry_source will start */
  GCancellable       *connect_cancellable;
  /* for tests: probes started, and the delay the last one waited (0: started at once) */
  guint n_probes;
  guint last_probe_delay_ms;
};

G_DEFINE_FINAL_TYPE (TillClient, till_client, G_TYPE_OBJECT)
/* The quark's name, dashes and all, becomes a string. */
/* clang-format off */
G_DEFINE_QUARK (till-client-error-quark, till_client_error)
/* clang-format on */
G_DEFINE_BOXED_TYPE (TillStoreConfig,
                     till_store_config,
                     till_store_config_copy,
                     till_store_config_free)
G_DEFINE_BOXED_TYPE (TillCheckoutResponse,
                     till_checkout_response,
                     till_checkout_response_copy,
                     till_checkout_response_free)

enum
{
  PROP_0,
  PROP_STATE,
  PROP_CONFIG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void connect_now (TillClient *self);

/* Boxed types */

TillStoreConfig *
till_store_config_copy (const TillStoreConfig *config)
{
  TillStoreConfig *copy = g_new0 (TillStoreConfig, 1);

  copy->store_name = g_strdup (config->store_name);
  copy->store_address = g_strdup (config->store_address);
  copy->store_tax_id = g_strdup (config->store_tax_id);
  copy->currency = g_strdup (config->currency);
  copy->prices_include_tax = config->prices_include_tax;
  copy->mode = g_strdup (config->mode);
  copy->publishable_key = g_strdup (config->publishable_key);
  copy->stripe_js_url = g_strdup (config->stripe_js_url);
  copy->role = g_strdup (config->role);
  copy->moto = config->moto;
  copy->cash_rounding = config->cash_rounding;
  copy->offline_cash = config->offline_cash;
  copy->tenders = g_strdupv (config->tenders);
  copy->kiosk = config->kiosk != NULL ? till_kiosk_config_copy (config->kiosk) : NULL;
  return copy;
}

void
till_store_config_free (TillStoreConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->store_name);
  g_free (config->store_address);
  g_free (config->store_tax_id);
  g_free (config->currency);
  g_free (config->mode);
  g_free (config->publishable_key);
  g_free (config->stripe_js_url);
  g_free (config->role);
  g_strfreev (config->tenders);
  till_kiosk_config_free (config->kiosk);
  g_free (config);
}

static const char *
json_string (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* @member of @object when it is an object, else NULL. */
static JsonObject *
object_member (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void     store_config_read_cash (TillStoreConfig *config, JsonObject *object);
static gboolean till_store_config_tenders_equal (const TillStoreConfig *a,
                                                 const TillStoreConfig *b);

TillStoreConfig *
till_store_config_from_json (JsonObject *object, GError **error)
{
  g_autoptr (TillStoreConfig) config = g_new0 (TillStoreConfig, 1);
  const char *currency = json_string (object, "currency");
  const char *tax_mode = json_string (object, "tax_mode");
  const char *mode = json_string (object, "mode");
  JsonNode   *node;

  if (currency == NULL || till_currency_lookup (currency) == NULL)
    {
      g_set_error (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                   "the server configuration has no valid currency");
      return NULL;
    }
  config->currency = g_ascii_strup (currency, -1);
  config->store_name = g_strdup (json_string (object, "store_name"));
  config->store_address = g_strdup (json_string (object, "store_address"));
  config->store_tax_id = g_strdup (json_string (object, "store_tax_id"));
  if (mode == NULL)
    mode = json_string (object, "stripe_mode");
  config->mode = g_strdup (mode ? mode : "test");
  config->publishable_key = g_strdup (json_string (object, "publishable_key"));
  config->stripe_js_url = g_strdup (json_string (object, "stripe_js_url"));
  config->role = g_strdup (json_string (object, "role"));
  node = json_object_get_member (object, "prices_include_tax");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    config->prices_include_tax = json_node_get_boolean (node);
  else
    config->prices_include_tax = g_strcmp0 (tax_mode, "inclusive") == 0;
  node = json_object_get_member (object, "moto");
  config->moto = node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
                 json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
  store_config_read_cash (config, object);
  /* The role makes a kiosk; a policy it cannot read leaves it a kiosk with the defaults. */
  if (till_store_config_is_kiosk (config))
    {
      node = json_object_get_member (object, "kiosk");
      config->kiosk = till_kiosk_config_from_json (
          node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL);
    }
  return g_steal_pointer (&config);
}

gboolean
till_store_config_is_training (const TillStoreConfig *config)
{
  return config != NULL && g_strcmp0 (config->mode, "training") == 0;
}

gboolean
till_store_config_is_admin (const TillStoreConfig *config)
{
  return config != NULL && g_strcmp0 (config->role, "admin") == 0;
}

gboolean
till_store_config_is_kiosk (const TillStoreConfig *config)
{
  return config != NULL && g_strcmp0 (config->role, "kiosk") == 0;
}

TillCheckoutResponse *
till_checkout_response_copy (const TillCheckoutResponse *response)
{
  TillCheckoutResponse *copy = g_new0 (TillCheckoutResponse, 1);
  g_autoptr (JsonNode) node = till_order_to_json (response->order);

  copy->order = till_order_from_json (json_node_get_object (node), NULL);
  copy->payment_intent = g_strdup (response->payment_intent);
  copy->client_secret = g_strdup (response->client_secret);
  return copy;
}

void
till_checkout_response_free (TillCheckoutResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->order, till_order_free);
  g_free (response->payment_intent);
  g_free (response->client_secret);
  g_free (response);
}

/* GObject */

static void
till_client_dispose (GObject *object)
{
  TillClient *self = TILL_CLIENT (object);

  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->connect_cancellable != NULL)
    g_cancellable_cancel (self->connect_cancellable);
  g_clear_object (&self->connect_cancellable);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (till_client_parent_class)->dispose (object);
}

static void
till_client_finalize (GObject *object)
{
  TillClient *self = TILL_CLIENT (object);

  g_free (self->base_url);
  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  g_free (self->pin);
  g_clear_pointer (&self->config, till_store_config_free);
  g_clear_error (&self->last_error);

  G_OBJECT_CLASS (till_client_parent_class)->finalize (object);
}

static void
till_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TillClient *self = TILL_CLIENT (object);

  switch (prop_id)
    {
      case PROP_STATE:
        g_value_set_int (value, self->state);
        break;
      case PROP_CONFIG:
        g_value_set_boxed (value, self->config);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_client_class_init (TillClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_client_dispose;
  object_class->finalize = till_client_finalize;
  object_class->get_property = till_client_get_property;

  properties[PROP_STATE] =
      g_param_spec_int ("state", NULL, NULL, TILL_CONNECTION_UNCONFIGURED, TILL_CONNECTION_REFUSED,
                        TILL_CONNECTION_UNCONFIGURED,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONFIG] =
      g_param_spec_boxed ("config", NULL, NULL, till_store_config_get_type (),
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_client_init (TillClient *self)
{
  self->session = soup_session_new_with_options ("timeout", DEFAULT_TIMEOUT_S, "idle-timeout", 60,
                                                 "user-agent", "till/" PACKAGE_VERSION, NULL);
  self->retry_initial_ms = DEFAULT_RETRY_INITIAL_MS;
  self->retry_max_ms = DEFAULT_RETRY_MAX_MS;
  self->retry_delay_ms = DEFAULT_RETRY_INITIAL_MS;
  self->heartbeat_ms = DEFAULT_HEARTBEAT_MS;
  self->probe_timeout_ms = DEFAULT_PROBE_TIMEOUT_MS;
}

TillClient *
till_client_new (void)
{
  return g_object_new (TILL_TYPE_CLIENT, NULL);
}

static void
set_state (TillClient *self, TillConnectionState state, const GError *error)
{
  if (error != self->last_error)
    {
      g_clear_error (&self->last_error);
      if (error != NULL)
        self->last_error = g_error_copy (error);
    }
  if (self->state == state)
    return;
  g_debug ("Connection state %d → %d", self->state, state);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* "  https://till.example:8787/ " → "https://till.example:8787": paths are appended. */
static char *
normalize_base_url (const char *base_url)
{
  char *url;

  if (base_url == NULL)
    return NULL;
  url = g_strstrip (g_strdup (base_url));
  while (g_str_has_suffix (url, "/"))
    url[strlen (url) - 1] = '\0';
  return url;
}

void
till_client_set_server (TillClient *self, const char *base_url, const char *token)
{
  g_autofree char *url = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));

  url = normalize_base_url (base_url);
  g_free (self->base_url);
  self->base_url = (url != NULL && *url != '\0') ? g_steal_pointer (&url) : NULL;
  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  self->token = (token != NULL && *token != '\0') ? g_strdup (token) : NULL;

  /* A new server: forget the old session's connections and start over. */
  soup_session_abort (self->session);
  self->retry_delay_ms = self->retry_initial_ms;
  till_client_reconnect (self);
}

const char *
till_client_get_base_url (TillClient *self)
{
  g_return_val_if_fail (TILL_IS_CLIENT (self), NULL);
  return self->base_url;
}

void
till_client_set_pinned_certificate (TillClient *self, const char *sha256)
{
  g_return_if_fail (TILL_IS_CLIENT (self));

  g_free (self->pin);
  self->pin = till_client_normalize_fingerprint (sha256);
  soup_session_abort (self->session);
}

void
till_client_set_timeout (TillClient *self, guint seconds)
{
  g_return_if_fail (TILL_IS_CLIENT (self));
  g_object_set (self->session, "timeout", seconds, NULL);
}

void
till_client_set_retry_delays (TillClient *self, guint initial_ms, guint max_ms)
{
  g_return_if_fail (TILL_IS_CLIENT (self));

  self->retry_initial_ms = MAX (initial_ms, 1);
  self->retry_max_ms = MAX (max_ms, self->retry_initial_ms);
  self->retry_delay_ms = self->retry_initial_ms;
  self->heartbeat_ms = MAX (self->retry_max_ms, 50);
}

void
till_client_get_probe_stats (TillClient *self,
                             guint      *n_probes,
                             guint      *last_delay_ms,
                             guint      *timeout_ms)
{
  g_return_if_fail (TILL_IS_CLIENT (self));

  if (n_probes != NULL)
    *n_probes = self->n_probes;
  if (last_delay_ms != NULL)
    *last_delay_ms = self->last_probe_delay_ms;
  if (timeout_ms != NULL)
    *timeout_ms = self->probe_timeout_ms;
}

TillConnectionState
till_client_get_state (TillClient *self)
{
  g_return_val_if_fail (TILL_IS_CLIENT (self), TILL_CONNECTION_UNCONFIGURED);
  return self->state;
}

const TillStoreConfig *
till_client_get_config (TillClient *self)
{
  g_return_val_if_fail (TILL_IS_CLIENT (self), NULL);
  return self->config;
}

const GError *
till_client_get_last_error (TillClient *self)
{
  g_return_val_if_fail (TILL_IS_CLIENT (self), NULL);
  return self->last_error;
}

/* Fingerprints */

char *
till_client_certificate_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr (GByteArray) der = NULL;
  g_autofree char *hex = NULL;
  GString         *out;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  out = g_string_sized_new (96);
  for (guint i = 0; hex[i] != '\0'; i += 2)
    {
      if (i > 0)
        g_string_append_c (out, ':');
      g_string_append_len (out, hex + i, 2);
    }
  return g_string_free (out, FALSE);
}

char *
till_client_normalize_fingerprint (const char *text)
{
  GString *out;

  if (text == NULL)
    return NULL;
  out = g_string_sized_new (64);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == ':' || *p == ' ' || *p == '\t')
        continue;
      if (!g_ascii_isxdigit (*p))
        {
          g_string_free (out, TRUE);
          return NULL;
        }
      g_string_append_c (out, g_ascii_tolower (*p));
    }
  if (out->len != 64)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static gboolean
certificate_matches (GTlsCertificate *certificate, const char *pin)
{
  g_autofree char *fingerprint = NULL;
  g_autofree char *normalized = NULL;

  if (certificate == NULL || pin == NULL)
    return FALSE;
  fingerprint = till_client_certificate_fingerprint (certificate);
  normalized = till_client_normalize_fingerprint (fingerprint);
  return g_strcmp0 (normalized, pin) == 0;
}

/* Requests */

typedef struct
{
  TillClient   *client; /* owned */
  SoupMessage  *message;
  GCancellable *cancellable; /* ours, chained to the caller's */
  GCancellable *caller_cancellable;
  gulong        cancel_id;
  char         *pin;
  gboolean      outside; /* to another server than the connection's: no token, no pin,
                          * no change of the connection's state */
  gboolean accept_any;   /* any certificate: only to read its fingerprint (probes) */
  gboolean pin_mismatch;
  guint    timeout_source; /* the connection probe's own, shorter timeout */
  gboolean timed_out;
  char    *fingerprint;
  /* result */
  guint   status;
  GBytes *body;
} Request;

static void
request_free (Request *request)
{
  g_clear_handle_id (&request->timeout_source, g_source_remove);
  if (request->caller_cancellable != NULL)
    g_cancellable_disconnect (request->caller_cancellable, request->cancel_id);
  g_clear_object (&request->caller_cancellable);
  g_clear_object (&request->cancellable);
  g_clear_object (&request->message);
  g_clear_object (&request->client);
  g_free (request->pin);
  g_free (request->fingerprint);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request);
}

static gboolean
on_accept_certificate (SoupMessage         *message,
                       GTlsCertificate     *certificate,
                       GTlsCertificateFlags errors,
                       Request             *request)
{
  if (request->accept_any)
    return TRUE;
  /* An untrusted (e.g. self-signed) certificate is fine when it is exactly the pinned one. */
  return certificate_matches (certificate, request->pin);
}

static void
on_network_event (SoupMessage       *message,
                  GSocketClientEvent event,
                  GIOStream         *connection,
                  Request           *request)
{
  GTlsCertificate *certificate;

  if (event != G_SOCKET_CLIENT_TLS_HANDSHAKED || !G_IS_TLS_CONNECTION (connection))
    return;
  certificate = g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (connection));
  if (certificate != NULL)
    {
      g_free (request->fingerprint);
      request->fingerprint = till_client_certificate_fingerprint (certificate);
    }
  /* Before a single byte of the request (and its token) goes out. */
  if (request->pin != NULL && !certificate_matches (certificate, request->pin))
    {
      request->pin_mismatch = TRUE;
      g_cancellable_cancel (request->cancellable);
    }
}

static void
on_caller_cancelled (GCancellable *cancellable, GCancellable *ours)
{
  g_cancellable_cancel (ours);
}

static GError *
error_from_response (guint status, GBytes *body)
{
  g_autoptr (JsonObject) object = NULL;
  const char     *message = NULL;
  const char     *code = NULL;
  TillClientError kind;

  if (body != NULL)
    {
      gsize       size;
      const char *data = g_bytes_get_data (body, &size);

      object = till_json_parse_object (data, size, NULL);
    }
  if (object != NULL && json_object_has_member (object, "error") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "error")))
    {
      JsonObject *error = json_object_get_object_member (object, "error");

      message = json_string (error, "message");
      code = json_string (error, "code");
    }

  switch (status)
    {
      case 401:
        kind = TILL_CLIENT_ERROR_UNAUTHORIZED;
        break;
      case 403:
        kind = TILL_CLIENT_ERROR_FORBIDDEN;
        break;
      case 404:
        kind = TILL_CLIENT_ERROR_NOT_FOUND;
        break;
      case 409:
        kind = TILL_CLIENT_ERROR_CONFLICT;
        break;
      default:
        kind = status >= 500 ? TILL_CLIENT_ERROR_SERVER : TILL_CLIENT_ERROR_INVALID_REQUEST;
    }
  /* The server answers, and will again once its disk has space: not a connection error. */
  if (g_strcmp0 (code, "storage_full") == 0)
    kind = TILL_CLIENT_ERROR_STORAGE_FULL;
  else if (status == 409 && g_strcmp0 (code, "order_canceled") == 0)
    kind = TILL_CLIENT_ERROR_ORDER_CANCELED;
  else if (status == 409 && g_strcmp0 (code, "client_reference_conflict") == 0)
    kind = TILL_CLIENT_ERROR_REFERENCE_CONFLICT;
  else if (status >= 500 && (g_strcmp0 (code, "payment_provider_unavailable") == 0 ||
                             g_strcmp0 (code, "payment_provider_error") == 0))
    kind = TILL_CLIENT_ERROR_PAYMENT_PROVIDER;
  return g_error_new (TILL_CLIENT_ERROR, kind, "%s (HTTP %u%s%s)",
                      message ? message : soup_status_get_phrase (status), status, code ? ", " : "",
                      code ? code : "");
}

static gboolean is_connection_error (const GError *error);
static void     schedule_retry (TillClient *self);

static void
on_request_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Request    *request = g_task_get_task_data (task);
  TillClient *self = request->client;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;

  g_clear_handle_id (&request->timeout_source, g_source_remove);
  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      GError *mapped;

      if (request->pin_mismatch)
        mapped = g_error_new (TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_CERTIFICATE,
                              "The server's certificate is not the pinned one");
      else if (request->timed_out)
        mapped = g_error_new (TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_TIMEOUT,
                              "No answer from the server in %u ms", self->probe_timeout_ms);
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        mapped = g_steal_pointer (&error);
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        mapped = g_error_new (TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_TIMEOUT,
                              "No answer from the server in time: %s", error->message);
      else if (error->domain == G_TLS_ERROR)
        mapped = g_error_new (TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_CERTIFICATE,
                              "The server's certificate is not trusted: %s", error->message);
      else
        mapped = g_error_new (TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NETWORK,
                              "Cannot reach the server: %s", error->message);

      if (!request->outside && is_connection_error (mapped) &&
          self->state == TILL_CONNECTION_ONLINE &&
          request->caller_cancellable != self->connect_cancellable)
        {
          set_state (self, TILL_CONNECTION_OFFLINE, mapped);
          schedule_retry (self);
        }
      g_task_return_error (task, mapped);
      return;
    }

  request->status = soup_message_get_status (request->message);
  request->body = g_steal_pointer (&body);
  if (request->status == 401 && !request->outside)
    {
      g_autoptr (GError) refused = error_from_response (request->status, request->body);

      set_state (self, TILL_CONNECTION_REFUSED, refused);
    }
  else if (!request->outside && self->state == TILL_CONNECTION_OFFLINE &&
           request->caller_cancellable != self->connect_cancellable)
    {
      /* The server answers again: confirm now instead of waiting for the next retry. */
      till_client_reconnect (self);
    }
  g_task_return_boolean (task, TRUE);
}

static gboolean
on_request_timeout (gpointer user_data)
{
  Request *request = user_data;

  request->timeout_source = 0;
  request->timed_out = TRUE;
  g_cancellable_cancel (request->cancellable);
  return G_SOURCE_REMOVE;
}

/* Sends @method @path to the connection's server, or without a token to @other_base_url
 * (with any certificate if @accept_any_certificate); the task's data is the Request, which
 * holds the status and body. */
static GTask *
request_start_with_key (TillClient         *self,
                        const char         *method,
                        const char         *path,
                        JsonNode           *body,
                        const char         *etag,
                        const char         *idempotency_key,
                        const char         *other_base_url,
                        gboolean            accept_any_certificate,
                        GCancellable       *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char    *url = NULL;
  g_autofree char    *other_base = normalize_base_url (other_base_url);
  SoupMessageHeaders *headers;
  Request            *request;

  task = g_task_new (self, cancellable, callback, user_data);
  request = g_new0 (Request, 1);
  request->client = g_object_ref (self);
  request->outside = other_base_url != NULL;
  request->accept_any = accept_any_certificate;
  request->pin = request->outside ? NULL : g_strdup (self->pin);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);

  if (!request->outside && (self->base_url == NULL || self->token == NULL))
    {
      g_task_return_new_error (task, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NOT_CONFIGURED,
                               "No server address or terminal token yet");
      return NULL;
    }
  url = g_strconcat (request->outside ? other_base : self->base_url, path, NULL);
  request->message = soup_message_new (method, url);
  if (request->message == NULL)
    {
      g_task_return_new_error (task, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NOT_CONFIGURED,
                               "“%s” is not a server address",
                               request->outside ? other_base : self->base_url);
      return NULL;
    }

  headers = soup_message_get_request_headers (request->message);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (!request->outside)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (headers, "Authorization", authorization);
      memset (authorization, 0, strlen (authorization));
    }
  if (etag != NULL)
    soup_message_headers_replace (headers, "If-None-Match", etag);
  if (idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", idempotency_key);
  if (body != NULL)
    {
      g_autofree char *text = till_json_to_string (body, FALSE);
      gsize            length = strlen (text);
      g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&text), length);

      soup_message_set_request_body_from_bytes (request->message, "application/json", bytes);
    }

  g_signal_connect (request->message, "accept-certificate", G_CALLBACK (on_accept_certificate),
                    request);
  g_signal_connect (request->message, "network-event", G_CALLBACK (on_network_event), request);

  request->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      request->caller_cancellable = g_object_ref (cancellable);
      request->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                                  request->cancellable, NULL);
    }
  /* The connection probe must not wait for the session's timeout to say "offline". */
  if (cancellable != NULL && cancellable == self->connect_cancellable)
    {
      request->timeout_source = g_timeout_add (self->probe_timeout_ms, on_request_timeout, request);
      g_source_set_name_by_id (request->timeout_source, "[till] probe timeout");
    }

  soup_session_send_and_read_async (self->session, request->message, G_PRIORITY_DEFAULT,
                                    request->cancellable, on_request_done, g_object_ref (task));
  return g_steal_pointer (&task);
}

static GTask *
request_start (TillClient         *self,
               const char         *method,
               const char         *path,
               JsonNode           *body,
               const char         *etag,
               const char         *other_base_url,
               gboolean            accept_any_certificate,
               GCancellable       *cancellable,
               GAsyncReadyCallback callback,
               gpointer            user_data)
{
  return request_start_with_key (self, method, path, body, etag, NULL, other_base_url,
                                 accept_any_certificate, cancellable, callback, user_data);
}

/* The body as a JSON object when the status is 2xx, else the mapped error. */
static JsonObject *
request_parse (Request *request, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  JsonObject *object;
  const char *data;
  gsize       size;

  if (request->status < 200 || request->status >= 300)
    {
      g_propagate_error (error, error_from_response (request->status, request->body));
      return NULL;
    }
  data = g_bytes_get_data (request->body, &size);
  object = till_json_parse_object (data, size, &local_error);
  if (object == NULL)
    g_set_error (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                 "The server sent an answer Till cannot read: %s", local_error->message);
  return object;
}

/* probe */

static void
on_probe_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  Request *request = g_task_get_task_data (G_TASK (result));
  GError  *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (outer, error);
      return;
    }
  if (request->status != 200)
    {
      g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NOT_FOUND,
                               "No till-server answers at this address (HTTP %u)", request->status);
      return;
    }
  g_task_return_pointer (outer, g_strdup (request->fingerprint), g_free);
}

void
till_client_probe_async (TillClient         *self,
                         const char         *base_url,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (base_url != NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_probe_async);
  inner = request_start (self, "GET", "/healthz", NULL, NULL, base_url, TRUE, cancellable,
                         on_probe_done, g_object_ref (outer));
}

gboolean
till_client_probe_finish (TillClient   *self,
                          GAsyncResult *result,
                          char        **out_fingerprint,
                          GError      **error)
{
  g_autoptr (GError) local_error = NULL;
  char *fingerprint;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  fingerprint = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (out_fingerprint != NULL)
    *out_fingerprint = fingerprint;
  else
    g_free (fingerprint);
  return TRUE;
}

/* config */

static void
on_config_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  Request *request = g_task_get_task_data (G_TASK (result));
  g_autoptr (JsonObject) object = NULL;
  TillStoreConfig *config;
  GError          *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) ||
      (object = request_parse (request, &error)) == NULL ||
      (config = till_store_config_from_json (object, &error)) == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  g_task_return_pointer (outer, config, (GDestroyNotify) till_store_config_free);
}

void
till_client_get_config_async (TillClient         *self,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_get_config_async);
  inner = request_start (self, "GET", "/api/v1/config", NULL, NULL, NULL, FALSE, cancellable,
                         on_config_done, g_object_ref (outer));
}

TillStoreConfig *
till_client_get_config_finish (TillClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Connection state and reconnection */

static gboolean
is_connection_error (const GError *error)
{
  return g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NETWORK) ||
         g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_TIMEOUT) ||
         g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_SERVER);
}

static gboolean
on_retry_timeout (gpointer user_data)
{
  TillClient *self = user_data;

  self->retry_source = 0;
  self->last_probe_delay_ms = self->scheduled_delay_ms;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (TillClient *self)
{
  guint delay;

  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->state == TILL_CONNECTION_ONLINE)
    delay = self->heartbeat_ms;
  else
    {
      delay = self->retry_delay_ms;
      self->retry_delay_ms = MIN (self->retry_delay_ms * 2, self->retry_max_ms);
    }
  self->scheduled_delay_ms = delay;
  self->retry_source = g_timeout_add (delay, on_retry_timeout, self);
  g_source_set_name_by_id (self->retry_source, "[till] reconnect");
}

static void
on_connect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillClient *self = TILL_CLIENT (source);
  g_autoptr (TillStoreConfig) config = NULL;
  g_autoptr (GError) error = NULL;

  config = till_client_get_config_finish (self, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->connect_cancellable);

  if (config != NULL)
    {
      gboolean changed = self->config == NULL ||
                         g_strcmp0 (self->config->mode, config->mode) != 0 ||
                         g_strcmp0 (self->config->currency, config->currency) != 0 ||
                         g_strcmp0 (self->config->store_name, config->store_name) != 0 ||
                         self->config->prices_include_tax != config->prices_include_tax ||
                         g_strcmp0 (self->config->publishable_key, config->publishable_key) != 0 ||
                         g_strcmp0 (self->config->stripe_js_url, config->stripe_js_url) != 0 ||
                         self->config->cash_rounding != config->cash_rounding ||
                         self->config->offline_cash != config->offline_cash ||
                         !till_store_config_tenders_equal (self->config, config) ||
                         g_strcmp0 (self->config->role, config->role) != 0 ||
                         !till_kiosk_config_equal (self->config->kiosk, config->kiosk);

      till_store_config_free (self->config);
      self->config = g_steal_pointer (&config);
      self->retry_delay_ms = self->retry_initial_ms;
      set_state (self, TILL_CONNECTION_ONLINE, NULL);
      if (changed)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONFIG]);
      schedule_retry (self); /* heartbeat */
      return;
    }

  if (is_connection_error (error))
    {
      set_state (self, TILL_CONNECTION_OFFLINE, error);
      schedule_retry (self);
    }
  else if (g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NOT_CONFIGURED))
    set_state (self, TILL_CONNECTION_UNCONFIGURED, error);
  else
    set_state (self, TILL_CONNECTION_REFUSED, error);
}

static void
connect_now (TillClient *self)
{
  if (self->connect_cancellable != NULL)
    return;
  if (self->base_url == NULL || self->token == NULL)
    {
      set_state (self, TILL_CONNECTION_UNCONFIGURED, NULL);
      return;
    }
  if (self->state != TILL_CONNECTION_ONLINE && self->state != TILL_CONNECTION_OFFLINE)
    set_state (self, TILL_CONNECTION_CONNECTING, NULL);
  self->n_probes++;
  self->connect_cancellable = g_cancellable_new ();
  till_client_get_config_async (self, self->connect_cancellable, on_connect_done, NULL);
}

void
till_client_reconnect (TillClient *self)
{
  g_return_if_fail (TILL_IS_CLIENT (self));

  g_clear_handle_id (&self->retry_source, g_source_remove);
  self->last_probe_delay_ms = 0;
  if (self->connect_cancellable != NULL)
    {
      g_cancellable_cancel (self->connect_cancellable);
      g_clear_object (&self->connect_cancellable);
    }
  if (self->state == TILL_CONNECTION_REFUSED)
    set_state (self, TILL_CONNECTION_CONNECTING, NULL);
  connect_now (self);
}

/* products */

typedef struct
{
  GPtrArray    *products;
  char         *etag;
  char         *first_etag_sent;
  guint         pages;
  GCancellable *cancellable;
} FetchData;

static void
fetch_data_free (FetchData *data)
{
  g_clear_pointer (&data->products, g_ptr_array_unref);
  g_free (data->etag);
  g_free (data->first_etag_sent);
  g_clear_object (&data->cancellable);
  g_free (data);
}

typedef struct
{
  GPtrArray *products;
  char      *etag;
} FetchResult;

static void
fetch_result_free (FetchResult *result)
{
  g_clear_pointer (&result->products, g_ptr_array_unref);
  g_free (result->etag);
  g_free (result);
}

static void fetch_page (GTask *outer, const char *cursor);

static void
on_fetch_page_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  FetchData *data = g_task_get_task_data (outer);
  Request   *request = g_task_get_task_data (G_TASK (result));
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GPtrArray) page = NULL;
  GError      *error = NULL;
  JsonNode    *products, *next;
  FetchResult *fetch_result;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (outer, error);
      return;
    }
  if (request->status == 304 && data->pages == 0)
    {
      fetch_result = g_new0 (FetchResult, 1);
      fetch_result->etag = g_strdup (data->first_etag_sent);
      g_task_return_pointer (outer, fetch_result, (GDestroyNotify) fetch_result_free);
      return;
    }
  if ((object = request_parse (request, &error)) == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  if (data->pages == 0)
    {
      const char *etag = soup_message_headers_get_one (
          soup_message_get_response_headers (request->message), "ETag");
      data->etag = g_strdup (etag);
    }
  data->pages++;

  products = json_object_get_member (object, "products");
  if (products == NULL || !JSON_NODE_HOLDS_ARRAY (products))
    {
      g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                               "The catalog page has no products");
      return;
    }
  page = till_catalog_parse_products (json_node_get_array (products));
  g_ptr_array_extend_and_steal (data->products, g_steal_pointer (&page));

  next = json_object_get_member (object, "next_cursor");
  if (next != NULL && JSON_NODE_HOLDS_VALUE (next) &&
      json_node_get_value_type (next) == G_TYPE_STRING && data->pages < MAX_PAGES)
    {
      fetch_page (g_steal_pointer (&outer), json_node_get_string (next));
      return;
    }

  fetch_result = g_new0 (FetchResult, 1);
  fetch_result->products = g_steal_pointer (&data->products);
  fetch_result->etag = g_steal_pointer (&data->etag);
  g_task_return_pointer (outer, fetch_result, (GDestroyNotify) fetch_result_free);
}

static void
fetch_page (GTask *outer, const char *cursor)
{
  TillClient      *self = g_task_get_source_object (outer);
  FetchData       *data = g_task_get_task_data (outer);
  g_autofree char *path = NULL;
  g_autoptr (GTask) inner = NULL;

  if (cursor == NULL)
    path = g_strdup ("/api/v1/products");
  else
    {
      g_autofree char *escaped = g_uri_escape_string (cursor, NULL, FALSE);
      path = g_strconcat ("/api/v1/products?cursor=", escaped, NULL);
    }
  inner = request_start (self, "GET", path, NULL, cursor == NULL ? data->first_etag_sent : NULL,
                         NULL, FALSE, data->cancellable, on_fetch_page_done, outer);
}

void
till_client_fetch_products_async (TillClient         *self,
                                  const char         *etag,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  FetchData *data;

  g_return_if_fail (TILL_IS_CLIENT (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_fetch_products_async);
  data = g_new0 (FetchData, 1);
  data->products = g_ptr_array_new_with_free_func (g_object_unref);
  data->first_etag_sent = g_strdup (etag);
  data->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (outer, data, (GDestroyNotify) fetch_data_free);
  fetch_page (g_steal_pointer (&outer), NULL);
}

gboolean
till_client_fetch_products_finish (TillClient   *self,
                                   GAsyncResult *result,
                                   GPtrArray   **out_products,
                                   char        **out_etag,
                                   GError      **error)
{
  FetchResult *fetch_result;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  fetch_result = g_task_propagate_pointer (G_TASK (result), error);
  if (fetch_result == NULL)
    return FALSE;
  if (out_products != NULL)
    *out_products = g_steal_pointer (&fetch_result->products);
  if (out_etag != NULL)
    *out_etag = g_steal_pointer (&fetch_result->etag);
  fetch_result_free (fetch_result);
  return TRUE;
}

/* by barcode */

/* The answer of a request as a JSON object: @wrapper's member when the server wraps it
 * ({"product": {…}}), else (or with @wrapper NULL) the whole object. NULL (and @error)
 * when there is none. */
static JsonObject *
request_finish_object (GAsyncResult *result, const char *wrapper, GError **error)
{
  Request *request = g_task_get_task_data (G_TASK (result));
  g_autoptr (JsonObject) object = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), error) ||
      (object = request_parse (request, error)) == NULL)
    return NULL;
  if (wrapper != NULL && json_object_has_member (object, wrapper) &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, wrapper)))
    return json_object_ref (json_object_get_object_member (object, wrapper));
  return g_steal_pointer (&object);
}

/* training terminal */

static void
on_training_terminal_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  g_autoptr (JsonObject) object = NULL;
  GError     *error = NULL;
  const char *token;

  if ((object = request_finish_object (result, NULL, &error)) == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  token = json_object_get_string_member_with_default (object, "token", NULL);
  if (token == NULL || *token == '\0')
    {
      g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                               "The training server sent no terminal token");
      return;
    }
  g_task_return_pointer (outer, g_strdup (token), g_free);
}

/* POST /api/v1/training/terminals on the training server at @base_url (no token needed:
 * this is how the app gets one). */
void
till_client_training_terminal_async (TillClient         *self,
                                     const char         *base_url,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;
  g_autoptr (JsonNode) body = json_node_new (JSON_NODE_OBJECT);

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (base_url != NULL);

  json_node_take_object (body, json_object_new ());
  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_training_terminal_async);
  inner = request_start (self, "POST", "/api/v1/training/terminals", body, NULL, base_url, FALSE,
                         cancellable, on_training_terminal_done, g_object_ref (outer));
}

/* The terminal token, to be kept like one typed in. */
char *
till_client_training_terminal_finish (TillClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_barcode_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  g_autoptr (JsonObject) object = NULL;
  TillProduct *product;
  GError      *error = NULL;

  if ((object = request_finish_object (result, "product", &error)) == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  product = till_product_new_from_json (object, &error);
  if (product == NULL)
    {
      g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE, "%s",
                               error->message);
      g_error_free (error);
      return;
    }
  g_task_return_pointer (outer, product, g_object_unref);
}

void
till_client_lookup_barcode_async (TillClient         *self,
                                  const char         *barcode,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (barcode != NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_lookup_barcode_async);
  escaped = g_uri_escape_string (barcode, NULL, FALSE);
  path = g_strconcat ("/api/v1/products/by-barcode/", escaped, NULL);
  inner = request_start (self, "GET", path, NULL, NULL, NULL, FALSE, cancellable, on_barcode_done,
                         g_object_ref (outer));
}

TillProduct *
till_client_lookup_barcode_finish (TillClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* checkout */

static void
on_checkout_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  Request *request = g_task_get_task_data (G_TASK (result));
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (TillCheckoutResponse) response = NULL;
  JsonObject *order = NULL, *payment = NULL;
  GError     *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) ||
      (object = request_parse (request, &error)) == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  order = object_member (object, "order");
  payment = object_member (object, "payment");
  if (order == NULL || payment == NULL)
    {
      g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                               "The checkout answer has no order or payment");
      return;
    }

  response = g_new0 (TillCheckoutResponse, 1);
  response->order = till_order_from_json (order, &error);
  if (response->order == NULL)
    {
      g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                               "The order the server sent does not read: %s", error->message);
      g_error_free (error);
      return;
    }
  response->payment_intent = g_strdup (json_string (payment, "payment_intent"));
  response->client_secret = g_strdup (json_string (payment, "client_secret"));
  if (response->client_secret == NULL)
    {
      g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                               "The checkout answer has no client secret");
      return;
    }
  g_task_return_pointer (outer, g_steal_pointer (&response),
                         (GDestroyNotify) till_checkout_response_free);
}

void
till_client_create_checkout_async (TillClient         *self,
                                   const TillCart     *cart,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;
  g_autoptr (JsonNode) body = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (cart != NULL);
  g_return_if_fail (cart->client_reference != NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_create_checkout_async);
  body = till_cart_to_checkout_json (cart);
  inner = request_start (self, "POST", "/api/v1/checkouts", body, NULL, NULL, FALSE, cancellable,
                         on_checkout_done, g_object_ref (outer));
}

static void
on_order_action_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  g_autoptr (JsonObject) object = NULL;
  TillOrder *order;
  GError    *error = NULL;

  if ((object = request_finish_object (result, "order", &error)) == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  order = till_order_from_json (object, &error);
  if (order == NULL)
    {
      g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                               "The order the server sent does not read: %s", error->message);
      g_error_free (error);
      return;
    }
  g_task_return_pointer (outer, order, (GDestroyNotify) till_order_free);
}

static void
order_action_async (TillClient         *self,
                    gint64              order_id,
                    const char         *action,
                    JsonNode           *body,
                    gpointer            source_tag,
                    GCancellable       *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (order_id > 0);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, source_tag);
  path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT "/%s", order_id, action);
  inner = request_start (self, "POST", path, body, NULL, NULL, FALSE, cancellable,
                         on_order_action_done, g_object_ref (outer));
}

void
till_client_sync_order_async (TillClient         *self,
                              gint64              order_id,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  order_action_async (self, order_id, "sync", NULL, till_client_sync_order_async, cancellable,
                      callback, user_data);
}

void
till_client_confirm_order_async (TillClient         *self,
                                 gint64              order_id,
                                 const char         *payment_method,
                                 gboolean            kiosk,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;

  g_return_if_fail (payment_method != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "payment_method");
  json_builder_add_string_value (builder, payment_method);
  json_builder_set_member_name (builder, "kiosk");
  json_builder_add_boolean_value (builder, kiosk);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  order_action_async (self, order_id, "confirm", body, till_client_confirm_order_async, cancellable,
                      callback, user_data);
}

void
till_client_cancel_order_async (TillClient         *self,
                                gint64              order_id,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  order_action_async (self, order_id, "cancel", NULL, till_client_cancel_order_async, cancellable,
                      callback, user_data);
}

/* POST /api/v1/orders/{id}/receipt: Stripe emails its receipt of the paid order to @email. */
void
till_client_send_receipt_async (TillClient         *self,
                                gint64              order_id,
                                const char         *email,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, email);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  order_action_async (self, order_id, "receipt", body, till_client_send_receipt_async, cancellable,
                      callback, user_data);
}

/**
 * till_client_order_action_finish:
 *
 * Returns: (transfer full): the order as the server has it now.
 */
TillOrder *
till_client_order_action_finish (TillClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

TillCheckoutResponse *
till_client_create_checkout_finish (TillClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* reports */

static void
on_object_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  JsonObject *object;
  GError     *error = NULL;

  if ((object = request_finish_object (result, NULL, &error)) == NULL)
    g_task_return_error (outer, error);
  else
    g_task_return_pointer (outer, object, (GDestroyNotify) json_object_unref);
}

static void
get_object_async (TillClient         *self,
                  const char         *path,
                  gpointer            source_tag,
                  GCancellable       *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  g_autoptr (GTask) outer = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GTask) inner = NULL;

  g_task_set_source_tag (outer, source_tag);
  inner = request_start (self, "GET", path, NULL, NULL, NULL, FALSE, cancellable, on_object_done,
                         g_object_ref (outer));
}

void
till_client_get_daily_report_async (TillClient         *self,
                                    GDate              *date,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (date == NULL || g_date_valid (date));

  if (date != NULL)
    path = g_strdup_printf ("/api/v1/reports/daily?date=%04u-%02u-%02u", g_date_get_year (date),
                            g_date_get_month (date), g_date_get_day (date));
  else
    path = g_strdup ("/api/v1/reports/daily");
  get_object_async (self, path, till_client_get_daily_report_async, cancellable, callback,
                    user_data);
}

void
till_client_get_report_days_async (TillClient         *self,
                                   GDate              *last,
                                   guint               days,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (last != NULL && g_date_valid (last));
  g_return_if_fail (days >= 1 && days <= 31);

  path =
      g_strdup_printf ("/api/v1/reports/days?date=%04u-%02u-%02u&days=%u", g_date_get_year (last),
                       g_date_get_month (last), g_date_get_day (last), days);
  get_object_async (self, path, till_client_get_report_days_async, cancellable, callback,
                    user_data);
}

JsonObject *
till_client_get_report_finish (TillClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* orders.csv */

typedef struct
{
  GFile *destination;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_clear_object (&data->destination);
  g_free (data);
}

static void
on_export_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  GError *error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_task_return_error (outer, error);
  else
    g_task_return_boolean (outer, TRUE);
}

static void
on_export_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  Request    *request = g_task_get_task_data (G_TASK (result));
  ExportData *data = g_task_get_task_data (outer);
  GError     *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (outer, error);
      return;
    }
  if (request->status < 200 || request->status >= 300)
    {
      g_task_return_error (outer, error_from_response (request->status, request->body));
      return;
    }
  /* Written whole to a temporary file and moved over the destination: a failed export never
   * leaves half a file where the old one was. */
  g_file_replace_contents_bytes_async (
      data->destination, request->body, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
      g_task_get_cancellable (outer), on_export_written, g_object_ref (outer));
}

static char *
rfc3339_day (GDate *date)
{
  return g_strdup_printf ("%04u-%02u-%02uT00:00:00", g_date_get_year (date),
                          g_date_get_month (date), g_date_get_day (date));
}

void
till_client_export_orders_async (TillClient         *self,
                                 GDate              *first,
                                 GDate              *last,
                                 GFile              *destination,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *path = NULL;
  GDate            after;
  ExportData      *data;

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (first != NULL && g_date_valid (first));
  g_return_if_fail (last != NULL && g_date_valid (last));
  g_return_if_fail (G_IS_FILE (destination));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_export_orders_async);
  data = g_new0 (ExportData, 1);
  data->destination = g_object_ref (destination);
  g_task_set_task_data (outer, data, (GDestroyNotify) export_data_free);

  after = *last;
  g_date_add_days (&after, 1);
  from = rfc3339_day (first);
  to = rfc3339_day (&after);
  /* Times without an offset are the store's (its days, as the reports count them). */
  path = g_strdup_printf ("/api/v1/orders.csv?from=%s&to=%s", from, to);
  inner = request_start (self, "GET", path, NULL, NULL, NULL, FALSE, cancellable, on_export_done,
                         g_object_ref (outer));
}

gboolean
till_client_export_orders_finish (TillClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* orders and refunds (the orders page) */

G_DEFINE_BOXED_TYPE (TillOrderRefund,
                     till_order_refund,
                     till_order_refund_copy,
                     till_order_refund_free)

TillOrderRefund *
till_order_refund_copy (const TillOrderRefund *refund)
{
  TillOrderRefund *copy = g_new0 (TillOrderRefund, 1);

  copy->id = refund->id;
  copy->amount = refund->amount;
  copy->status = g_strdup (refund->status);
  copy->reason = g_strdup (refund->reason);
  copy->created_at = refund->created_at ? g_date_time_ref (refund->created_at) : NULL;
  return copy;
}

void
till_order_refund_free (TillOrderRefund *refund)
{
  if (refund == NULL)
    return;
  g_free (refund->status);
  g_free (refund->reason);
  g_clear_pointer (&refund->created_at, g_date_time_unref);
  g_free (refund);
}

static TillOrderRefund *
refund_from_json (JsonObject *object, GError **error)
{
  g_autoptr (TillOrderRefund) refund = g_new0 (TillOrderRefund, 1);
  JsonNode   *amount = json_object_get_member (object, "amount");
  const char *status = json_string (object, "status");
  const char *created = json_string (object, "created_at");

  if (amount == NULL || !JSON_NODE_HOLDS_VALUE (amount) ||
      json_node_get_value_type (amount) != G_TYPE_INT64 || status == NULL)
    {
      g_set_error (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                   "a refund without amount or status");
      return NULL;
    }
  refund->id = json_object_get_int_member_with_default (object, "id", 0);
  refund->amount = json_node_get_int (amount);
  refund->status = g_strdup (status);
  refund->reason = g_strdup (json_string (object, "reason"));
  if (created != NULL)
    refund->created_at = g_date_time_new_from_iso8601 (created, NULL);
  return g_steal_pointer (&refund);
}

/* An order and its refunds (NULL members are none). */
static TillOrder *
order_with_refunds_from_json (JsonObject *object, GPtrArray **out_refunds, GError **error)
{
  g_autoptr (TillOrder) order = till_order_from_json (object, error);
  g_autoptr (GPtrArray) refunds =
      g_ptr_array_new_with_free_func ((GDestroyNotify) till_order_refund_free);
  JsonNode *node = json_object_get_member (object, "refunds");

  if (order == NULL)
    return NULL;
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode        *element = json_array_get_element (array, i);
          TillOrderRefund *refund;

          if (!JSON_NODE_HOLDS_OBJECT (element) ||
              (refund = refund_from_json (json_node_get_object (element), error)) == NULL)
            {
              if (error != NULL && *error == NULL)
                g_set_error (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                             "a refund that is not an object");
              return NULL;
            }
          g_ptr_array_add (refunds, refund);
        }
    }
  if (out_refunds != NULL)
    *out_refunds = g_steal_pointer (&refunds);
  return g_steal_pointer (&order);
}

typedef struct
{
  TillOrder *order;
  GPtrArray *refunds;
} OrderResult;

static void
order_result_free (OrderResult *result)
{
  g_clear_pointer (&result->order, till_order_free);
  g_clear_pointer (&result->refunds, g_ptr_array_unref);
  g_free (result);
}

static void
on_order_detail_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  g_autoptr (JsonObject) object = NULL;
  OrderResult *answer;
  GError      *error = NULL;

  if ((object = request_finish_object (result, "order", &error)) == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  answer = g_new0 (OrderResult, 1);
  answer->order = order_with_refunds_from_json (object, &answer->refunds, &error);
  if (answer->order == NULL)
    {
      order_result_free (answer);
      g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                               "The order the server sent does not read: %s", error->message);
      g_error_free (error);
      return;
    }
  g_task_return_pointer (outer, answer, (GDestroyNotify) order_result_free);
}

/* GET /api/v1/orders/{id}: the order with its lines and refunds. */
void
till_client_get_order_async (TillClient         *self,
                             gint64              order_id,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (order_id > 0);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_get_order_async);
  path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT, order_id);
  inner = request_start (self, "GET", path, NULL, NULL, NULL, FALSE, cancellable,
                         on_order_detail_done, g_object_ref (outer));
}

/* POST /api/v1/orders/{id}/refunds with @amount (> 0) and @reason (nullable: none given).
 * The same @idempotency_key for the same order never refunds twice. */
void
till_client_refund_order_async (TillClient         *self,
                                gint64              order_id,
                                gint64              amount,
                                const char         *reason,
                                const char         *idempotency_key,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (order_id > 0);
  g_return_if_fail (amount > 0);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "amount");
  json_builder_add_int_value (builder, amount);
  if (reason != NULL)
    {
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, reason);
    }
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_refund_order_async);
  path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT "/refunds", order_id);
  inner = request_start_with_key (self, "POST", path, body, NULL, idempotency_key, NULL, FALSE,
                                  cancellable, on_order_detail_done, g_object_ref (outer));
}

/**
 * till_client_order_detail_finish:
 * @out_refunds: (out) (element-type TillOrderRefund): the order's refunds, oldest first
 *
 * The finish function of till_client_get_order_async() and
 * till_client_refund_order_async().
 *
 * Returns: (transfer full): the order as the server has it now, with its lines.
 */
TillOrder *
till_client_order_detail_finish (TillClient   *self,
                                 GAsyncResult *result,
                                 GPtrArray   **out_refunds,
                                 GError      **error)
{
  OrderResult *answer;
  TillOrder   *order;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  answer = g_task_propagate_pointer (G_TASK (result), error);
  if (answer == NULL)
    return NULL;
  order = g_steal_pointer (&answer->order);
  if (out_refunds != NULL)
    *out_refunds = g_steal_pointer (&answer->refunds);
  order_result_free (answer);
  return order;
}

typedef struct
{
  GPtrArray *orders;
  char      *next_cursor;
} OrdersPage;

static void
orders_page_free (OrdersPage *page)
{
  g_clear_pointer (&page->orders, g_ptr_array_unref);
  g_free (page->next_cursor);
  g_free (page);
}

static void
on_list_orders_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  g_autoptr (JsonObject) object = NULL;
  OrdersPage *page;
  JsonNode   *node;
  GError     *error = NULL;

  if ((object = request_finish_object (result, NULL, &error)) == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  node = json_object_get_member (object, "orders");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                               "The server sent no list of orders");
      return;
    }
  page = g_new0 (OrdersPage, 1);
  page->orders = g_ptr_array_new_with_free_func ((GDestroyNotify) till_order_free);
  page->next_cursor = g_strdup (json_string (object, "next_cursor"));
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonNode  *element = json_array_get_element (json_node_get_array (node), i);
      TillOrder *order = NULL;

      if (JSON_NODE_HOLDS_OBJECT (element))
        {
          JsonObject *summary = json_node_get_object (element);

          /* Orders in lists come without their lines. */
          if (!json_object_has_member (summary, "lines"))
            json_object_set_array_member (summary, "lines", json_array_new ());
          order = till_order_from_json (summary, &error);
        }
      if (order == NULL)
        {
          orders_page_free (page);
          g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                                   "An order the server sent does not read: %s",
                                   error ? error->message : "not an object");
          g_clear_error (&error);
          return;
        }
      g_ptr_array_add (page->orders, order);
    }
  g_task_return_pointer (outer, page, (GDestroyNotify) orders_page_free);
}

static void
add_query (GString *path, const char *name, const char *value)
{
  g_autofree char *escaped = NULL;

  if (value == NULL || *value == '\0')
    return;
  escaped = g_uri_escape_string (value, NULL, FALSE);
  g_string_append_c (path, strchr (path->str, '?') ? '&' : '?');
  g_string_append_printf (path, "%s=%s", name, escaped);
}

/* GET /api/v1/orders: one page, newest first. Every filter is nullable: @status an order
 * status, @from and @to RFC 3339 times (without an offset: the store's time zone), @q an
 * order number, its digits, a reference or a PaymentIntent; @cursor the last page's
 * next_cursor (NULL: the first page). */
void
till_client_list_orders_async (TillClient         *self,
                               const char         *status,
                               const char         *from,
                               const char         *to,
                               const char         *q,
                               const char         *cursor,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;
  g_autoptr (GString) path = g_string_new ("/api/v1/orders");

  g_return_if_fail (TILL_IS_CLIENT (self));

  add_query (path, "status", status);
  add_query (path, "from", from);
  add_query (path, "to", to);
  add_query (path, "q", q);
  add_query (path, "cursor", cursor);
  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_list_orders_async);
  inner = request_start (self, "GET", path->str, NULL, NULL, NULL, FALSE, cancellable,
                         on_list_orders_done, g_object_ref (outer));
}

/**
 * till_client_list_orders_finish:
 * @out_next_cursor: (out) (nullable): the next page's cursor, NULL on the last page
 *
 * Returns: (transfer full) (element-type TillOrder): the page's orders, without lines.
 */
GPtrArray *
till_client_list_orders_finish (TillClient   *self,
                                GAsyncResult *result,
                                char        **out_next_cursor,
                                GError      **error)
{
  OrdersPage *page;
  GPtrArray  *orders;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  page = g_task_propagate_pointer (G_TASK (result), error);
  if (page == NULL)
    return NULL;
  orders = g_steal_pointer (&page->orders);
  if (out_next_cursor != NULL)
    *out_next_cursor = g_steal_pointer (&page->next_cursor);
  orders_page_free (page);
  return orders;
}

/* Cash */

/* cash_rounding, offline_cash and tenders; a server without them takes cards only. */
static void
store_config_read_cash (TillStoreConfig *config, JsonObject *object)
{
  JsonNode  *node = json_object_get_member (object, "cash_rounding");
  JsonArray *tenders;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_INT64 && json_node_get_int (node) >= 0)
    config->cash_rounding = json_node_get_int (node);
  node = json_object_get_member (object, "offline_cash");
  config->offline_cash = node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
                         json_node_get_value_type (node) == G_TYPE_BOOLEAN &&
                         json_node_get_boolean (node);
  node = json_object_get_member (object, "tenders");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

      tenders = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (tenders); i++)
        {
          JsonNode *element = json_array_get_element (tenders, i);

          if (JSON_NODE_HOLDS_VALUE (element) &&
              json_node_get_value_type (element) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (element));
        }
      config->tenders = g_strv_builder_end (builder);
    }
}

static gboolean
till_store_config_tenders_equal (const TillStoreConfig *a, const TillStoreConfig *b)
{
  if (a->tenders == NULL || b->tenders == NULL)
    return a->tenders == b->tenders;
  return g_strv_equal ((const char *const *) a->tenders, (const char *const *) b->tenders);
}

/* Whether the store takes @tender ("card", "cash", "split"). */
gboolean
till_store_config_takes_tender (const TillStoreConfig *config, const char *tender)
{
  if (config == NULL)
    return FALSE;
  /* A kiosk offers only what its policy allows (the server refuses the rest too); a split is
   * part cash. */
  if (config->kiosk != NULL && config->kiosk->tenders != NULL &&
      !g_strv_contains ((const char *const *) config->kiosk->tenders,
                        g_str_equal (tender, "split") ? "cash" : tender))
    return FALSE;
  if (config->tenders == NULL)
    return g_str_equal (tender, "card");
  return g_strv_contains ((const char *const *) config->tenders, tender);
}

void
till_cash_checkout_free (TillCashCheckout *checkout)
{
  if (checkout == NULL)
    return;
  g_clear_pointer (&checkout->order, till_order_free);
  g_free (checkout);
}

static gint64
int_member (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

static void
on_cash_checkout_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) outer = user_data;
  Request *request = g_task_get_task_data (G_TASK (result));
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (TillCashCheckout) checkout = NULL;
  JsonObject *order = NULL, *cash = NULL;
  GError     *error = NULL;

  if ((object = request_finish_object (result, NULL, &error)) == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  order = object_member (object, "order");
  cash = object_member (object, "cash");
  if (order == NULL || cash == NULL)
    {
      g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                               "The cash checkout answer has no order or cash");
      return;
    }
  checkout = g_new0 (TillCashCheckout, 1);
  checkout->order = till_order_from_json (order, &error);
  if (checkout->order == NULL)
    {
      g_task_return_new_error (outer, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_BAD_RESPONSE,
                               "The order the server sent does not read: %s", error->message);
      g_error_free (error);
      return;
    }
  checkout->amount = int_member (cash, "amount");
  checkout->rounding = int_member (cash, "rounding");
  checkout->tendered = int_member (cash, "tendered");
  checkout->change = int_member (cash, "change");
  checkout->replayed = request->status == 200;
  g_task_return_pointer (outer, g_steal_pointer (&checkout),
                         (GDestroyNotify) till_cash_checkout_free);
}

void
till_client_cash_checkout_async (TillClient         *self,
                                 JsonNode           *body,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (body != NULL && JSON_NODE_HOLDS_OBJECT (body));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_cash_checkout_async);
  inner = request_start (self, "POST", "/api/v1/checkouts", body, NULL, NULL, FALSE, cancellable,
                         on_cash_checkout_done, g_object_ref (outer));
}

/* Returns: (transfer full): the sale as the server recorded it, or NULL and @error. */
TillCashCheckout *
till_client_cash_checkout_finish (TillClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
till_client_cash_request_async (TillClient         *self,
                                const char         *path,
                                JsonNode           *body,
                                const char         *idempotency_key,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (path != NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_cash_request_async);
  inner = request_start_with_key (self, body != NULL ? "POST" : "GET", path, body, NULL,
                                  idempotency_key, NULL, FALSE, cancellable, on_object_done,
                                  g_object_ref (outer));
}

/* Returns: (transfer full): the answer, or NULL and @error. */
JsonObject *
till_client_cash_request_finish (TillClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* POST /api/v1/checkouts with @body (tender "split", its cash part): the order with its cash
 * recorded and the PaymentIntent of the rest; till_client_create_checkout_finish() reads it. */
void
till_client_split_checkout_async (TillClient         *self,
                                  JsonNode           *body,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;

  g_return_if_fail (TILL_IS_CLIENT (self));
  g_return_if_fail (body != NULL && JSON_NODE_HOLDS_OBJECT (body));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, till_client_split_checkout_async);
  inner = request_start (self, "POST", "/api/v1/checkouts", body, NULL, NULL, FALSE, cancellable,
                         on_checkout_done, g_object_ref (outer));
}
