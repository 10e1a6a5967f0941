/* till-server-selftest.c: `till-server selftest`, what a merchant runs before going live.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * With the server's own settings (the same [stripe] api-base, key and webhook secret, from
 * the file, the credentials or the environment; never the command line) it makes a
 * PaymentIntent, confirms it with pm_card_visa, refunds it, makes a second and cancels it,
 * all as till-server does (payment_method_types[]=card, the pinned Stripe-Version).
 *
 * Then the webhook secret, end to end. Stripe offers no call that sends a test event to an
 * endpoint with only an API key (the Dashboard's "send test webhook" is gone; `stripe
 * trigger` is a separate program that, like this, only makes real test objects). But the
 * confirmation above makes Stripe send a real payment_intent.succeeded event, signed with
 * the endpoint's signing secret, to the URL set in the Dashboard. So: the event is found with
 * GET /v1/events; its pending_webhooks (the deliveries not yet answered 2xx, Stripe's API
 * reference for the Event object) is waited for to reach 0; then the same event is posted
 * to this server's /stripe/webhook, once signed with a wrong secret (it must be refused) and
 * once with the configured secret. The server remembers every event whose signature it
 * checked: "duplicate": true means Stripe's own delivery already reached this server and
 * passed its check, so the Dashboard's secret is the server's. What this cannot tell: an
 * endpoint of another system on the same account failing keeps pending_webhooks above 0;
 * and a live endpoint's secret is not checked (selftest runs with test keys only, and
 * test-mode and live-mode endpoints have their own secrets).
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "till-currency.h"
#include "till-server-selftest.h"
#include "till-stripe-client.h"
#include "till-webhooks.h"

#define POLL_INTERVAL_US (500 * 1000)
/* Events are looked for from this long before the test began: the two clocks may differ. */
#define CLOCK_SLACK_SECONDS 300
#define WRONG_SECRET "whsec_till_selftest_not_the_secret"

typedef struct
{
  const TillServerConfig *config;
  TillStripeClient       *stripe;
} Selftest;

static void step_ok (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
step_ok (const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list          args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_print ("ok   %s\n", text);
}

static int step_failed (const char *format, ...) G_GNUC_PRINTF (1, 2);

static int
step_failed (const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list          args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_print ("FAIL %s\n", text);
  g_printerr ("till-server: %s\n", _ ("The self-test failed"));
  return 1;
}

static const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
object_member (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* A call that must succeed: NULL and @error for no answer or a non-2xx one, with Stripe's
 * words and its request id. Every POST has an idempotency key of its own, so the client's
 * retries are safe. */
static TillStripeResponse *
call (Selftest *test, const char *method, const char *path, TillStripeForm *form, GError **error)
{
  g_autofree char *key = g_str_equal (method, "POST") ? g_uuid_string_random () : NULL;
  g_autoptr (TillStripeResponse) response =
      till_stripe_client_request_sync (test->stripe, method, path, form, key, NULL, error);
  JsonObject *stripe_error;

  if (response == NULL)
    return NULL;
  stripe_error = till_stripe_response_get_error (response);
  if (response->status < 200 || response->status >= 300)
    {
      g_autofree char *words = till_stripe_describe_error (stripe_error);
      const char      *message = string_member (stripe_error, "message");

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _ ("Stripe answered %u to %s %s: %s (%s; request %s)"), response->status, method,
                   path, words, message != NULL ? message : "",
                   response->request_id != NULL ? response->request_id : "?");
      return NULL;
    }
  return g_steal_pointer (&response);
}

static char *
create_intent (Selftest *test, GError **error)
{
  const TillCurrency *currency = till_currency_lookup (test->config->currency);
  g_autoptr (TillStripeForm) form = till_stripe_form_new ();
  g_autoptr (TillStripeResponse) response = NULL;
  const char *id, *status;

  till_stripe_form_add_int (form, "amount", till_currency_get_stripe_minimum (currency));
  till_stripe_form_add (form, "currency", till_currency_get_stripe_code (currency));
  /* Confirming on the server with a test PaymentMethod needs no return URL only when no
   * method that redirects can be chosen. */
  till_stripe_form_add (form, "payment_method_types[]", "card");
  till_stripe_form_add (form, "description", "Till self-test");
  till_stripe_form_add (form, "metadata[till_selftest]", "true");
  response = call (test, "POST", "/v1/payment_intents", form, error);
  if (response == NULL)
    return NULL;
  id = string_member (response->body, "id");
  status = string_member (response->body, "status");
  if (id == NULL || !g_str_has_prefix (id, "pi_") ||
      g_strcmp0 (status, "requires_payment_method") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _ ("Stripe made a PaymentIntent that is not new (status %s)"),
                   status != NULL ? status : "?");
      return NULL;
    }
  return g_strdup (id);
}

/* The charge of a succeeded intent, in any API version's shape. */
static const char *
charge_of (JsonObject *intent)
{
  JsonObject *charges = object_member (intent, "charges");
  JsonNode   *data = charges != NULL ? json_object_get_member (charges, "data") : NULL;
  JsonObject *latest = object_member (intent, "latest_charge");

  if (string_member (intent, "latest_charge") != NULL)
    return string_member (intent, "latest_charge");
  if (latest != NULL)
    return string_member (latest, "id");
  if (data != NULL && JSON_NODE_HOLDS_ARRAY (data) &&
      json_array_get_length (json_node_get_array (data)) > 0)
    return string_member (json_array_get_object_element (json_node_get_array (data), 0), "id");
  return NULL;
}

/* The payment_intent.succeeded event of @intent, waited for until @deadline. */
static JsonObject *
find_event (Selftest *test, const char *intent, gint64 since, gint64 deadline, GError **error)
{
  g_autofree char *path = g_strdup_printf (
      "/v1/events?type=payment_intent.succeeded&created%%5Bgte%%5D=%" G_GINT64_FORMAT "&limit=100",
      since);

  for (;;)
    {
      g_autoptr (TillStripeResponse) response = call (test, "GET", path, NULL, error);
      JsonNode *data;

      if (response == NULL)
        return NULL;
      data = json_object_get_member (response->body, "data");
      for (guint i = 0; data != NULL && JSON_NODE_HOLDS_ARRAY (data) &&
                        i < json_array_get_length (json_node_get_array (data));
           i++)
        {
          JsonObject *event = json_array_get_object_element (json_node_get_array (data), i);
          JsonObject *object = object_member (object_member (event, "data"), "object");

          if (g_strcmp0 (string_member (object, "id"), intent) == 0)
            return json_object_ref (event);
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       _ ("Stripe listed no payment_intent.succeeded event for %s"), intent);
          return NULL;
        }
      g_usleep (POLL_INTERVAL_US);
    }
}

/* Waits until Stripe says every endpoint answered the event with 2xx: its pending_webhooks
 * left, -1 on an error. */
static gint64
wait_delivered (Selftest *test, const char *event_id, gint64 deadline, GError **error)
{
  g_autofree char *path = g_strdup_printf ("/v1/events/%s", event_id);

  for (;;)
    {
      g_autoptr (TillStripeResponse) response = call (test, "GET", path, NULL, error);
      JsonNode *pending;
      gint64    left;

      if (response == NULL)
        return -1;
      pending = json_object_get_member (response->body, "pending_webhooks");
      if (pending == NULL || !JSON_NODE_HOLDS_VALUE (pending) ||
          json_node_get_value_type (pending) != G_TYPE_INT64)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       _ ("Stripe’s event %s has no pending_webhooks"), event_id);
          return -1;
        }
      left = json_node_get_int (pending);
      if (left == 0 || g_get_monotonic_time () > deadline)
        return left;
      g_usleep (POLL_INTERVAL_US);
    }
}

/* Posts @body to the server's webhook, signed with @secret: the HTTP status, with
 * *@out_duplicate from a 200's answer; 0 and @error when nothing answered. */
static guint
post_event (SoupSession *session,
            const char  *url,
            const char  *body,
            const char  *secret,
            gboolean    *out_duplicate,
            GError     **error)
{
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, url);
  g_autoptr (GBytes) payload = g_bytes_new (body, strlen (body));
  g_autoptr (GBytes) answer = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *signature = till_webhook_sign ((const guint8 *) body, strlen (body), secret,
                                                  g_get_real_time () / G_USEC_PER_SEC);
  JsonNode        *root;
  guint            status;

  *out_duplicate = FALSE;
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Stripe-Signature",
                                signature);
  soup_message_set_request_body_from_bytes (msg, "application/json; charset=utf-8", payload);
  answer = soup_session_send_and_read (session, msg, NULL, error);
  if (answer == NULL)
    return 0;
  status = soup_message_get_status (msg);
  if (status == 200 &&
      json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                  (gssize) g_bytes_get_size (answer), NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    *out_duplicate = json_object_get_boolean_member_with_default (json_node_get_object (root),
                                                                  "duplicate", FALSE);
  return status;
}

/* The server's own webhook address, from [server] listen. */
static char *
default_webhook_url (const TillServerConfig *config)
{
  g_autofree char *host = NULL;
  guint16          port = 0;

  if (!till_server_parse_listen (config->listen, &host, &port, NULL))
    return NULL;
  if (g_str_equal (host, "0.0.0.0") || g_str_equal (host, "::"))
    {
      gboolean six = g_str_equal (host, "::");

      g_free (host);
      host = g_strdup (six ? "::1" : "127.0.0.1");
    }
  return g_strdup_printf (
      "%s://%s%s%s:%u/stripe/webhook", config->tls_certificate != NULL ? "https" : "http",
      strchr (host, ':') != NULL ? "[" : "", host, strchr (host, ':') != NULL ? "]" : "", port);
}

static int
check_webhook (Selftest                  *test,
               const TillSelftestOptions *options,
               const char                *url,
               const char                *intent,
               gint64                     since)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autoptr (JsonObject) event = NULL;
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *body = NULL;
  gint64      deadline = g_get_monotonic_time () + (gint64) options->webhook_wait * G_USEC_PER_SEC;
  gint64      pending;
  gboolean    duplicate;
  const char *event_id;
  guint       status;

  event = find_event (test, intent, since, deadline, &error);
  if (event == NULL)
    return step_failed ("%s", error->message);
  event_id = string_member (event, "id");
  if (event_id == NULL)
    return step_failed (_ ("Stripe listed an event without an id"));

  pending = wait_delivered (test, event_id, deadline, &error);
  if (pending < 0)
    return step_failed ("%s", error->message);
  if (pending == 0)
    step_ok (_ ("Stripe has no delivery of %s (payment_intent.succeeded) pending"), event_id);
  else
    g_print ("note %s\n", _ ("Stripe has not delivered the event to every endpoint yet: one "
                             "refuses it or cannot be reached"));

  /* A server run with TLS of its own certificate is checked against that certificate. */
  if (test->config->tls_certificate != NULL && g_str_has_prefix (url, "https:"))
    {
      g_autoptr (GTlsDatabase) database =
          g_tls_file_database_new (test->config->tls_certificate, &error);

      if (database == NULL)
        return step_failed ("%s", error->message);
      g_object_set (session, "tls-database", database, NULL);
    }

  json_node_set_object (node, event);
  body = json_to_string (node, FALSE);
  status = post_event (session, url, body, WRONG_SECRET, &duplicate, &error);
  if (status == 0)
    return step_failed (_ ("Nothing answered at %s: %s"), url, error->message);
  if (status != 400)
    return step_failed (_ ("The server at %s answered %u to an event with a wrong signature, "
                           "not 400: is it a till-server?"),
                        url, status);
  step_ok (_ ("the server at %s refuses an event with a wrong signature"), url);

  status = post_event (session, url, body, test->config->webhook_secret, &duplicate, &error);
  if (status == 0)
    return step_failed (_ ("Nothing answered at %s: %s"), url, error->message);
  if (status != 200)
    return step_failed (_ ("The server at %s refused an event signed with this configuration’s "
                           "webhook secret (%u): it runs with another one (restart it after "
                           "changing the secret)"),
                        url, status);
  if (!duplicate)
    return step_failed (_ ("The server at %s had not received %s from Stripe. In the Stripe "
                           "Dashboard (test mode), check the endpoint: its URL (…/stripe/webhook, "
                           "reachable from the internet), its events (payment_intent.succeeded), "
                           "and that its signing secret is the server’s webhook secret"),
                        url, event_id);
  step_ok (_ ("Stripe’s own signed delivery of %s reached the server at %s and passed its "
              "signature check: the endpoint’s signing secret is the server’s"),
           event_id, url);
  return 0;
}

int
till_server_selftest_run (TillServerConfig *config, const TillSelftestOptions *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillStripeClient) stripe = NULL;
  g_autoptr (TillStripeResponse) response = NULL;
  g_autoptr (TillStripeForm) confirm = till_stripe_form_new ();
  g_autoptr (TillStripeForm) refund = till_stripe_form_new ();
  g_autoptr (TillStripeForm) cancel = till_stripe_form_new ();
  g_autofree char *url = NULL;
  g_autofree char *intent = NULL;
  g_autofree char *other = NULL;
  g_autofree char *path = NULL;
  Selftest         test = { config, NULL };
  gint64           since = g_get_real_time () / G_USEC_PER_SEC - CLOCK_SLACK_SECONDS;
  const char      *status;
  int              result;

  if (config->training)
    {
      g_printerr ("till-server: %s\n",
                  _ ("selftest checks a Stripe account; training mode has none"));
      return 2;
    }
  /* Before validation, which would ask a live key for TLS first. */
  if (config->secret_key != NULL && (g_str_has_prefix (config->secret_key, "sk_live_") ||
                                     g_str_has_prefix (config->secret_key, "rk_live_")))
    {
      g_printerr ("till-server: %s\n",
                  _ ("selftest makes payments and refunds, so it runs with a test key "
                     "(sk_test_…) only"));
      return 2;
    }
  if (!till_server_config_validate (config, &error))
    {
      g_printerr ("till-server: %s\n", error->message);
      return 2;
    }
  if (config->mode != TILL_SERVER_MODE_TEST)
    {
      g_printerr ("till-server: %s\n",
                  _ ("selftest makes payments and refunds, so it runs with a test key "
                     "(sk_test_…) only"));
      return 2;
    }
  if (!options->skip_webhook)
    {
      if (config->webhook_secret == NULL || *config->webhook_secret == '\0')
        {
          g_printerr ("till-server: %s\n",
                      _ ("No webhook secret: set TILL_STRIPE_WEBHOOK_SECRET or [stripe] "
                         "webhook-secret to the test-mode endpoint’s signing secret, or "
                         "pass --skip-webhook"));
          return 2;
        }
      url = options->webhook_url != NULL ? g_strdup (options->webhook_url)
                                         : default_webhook_url (config);
      if (url == NULL || !g_uri_is_valid (url, G_URI_FLAGS_NONE, NULL) ||
          !(g_str_has_prefix (url, "http://") || g_str_has_prefix (url, "https://")))
        {
          g_printerr ("till-server: %s\n",
                      _ ("--webhook-url must be an http:// or https:// address"));
          return 2;
        }
    }

  stripe = till_stripe_client_new (config->api_base, config->secret_key);
  till_stripe_client_set_timeouts (stripe, config->stripe_connect_timeout * 1000,
                                   config->stripe_timeout * 1000);
  till_stripe_client_set_retries (stripe, config->stripe_max_retries, 250);
  test.stripe = stripe;
  g_print (_ ("Stripe at %s, test mode, API version %s\n"), config->api_base,
           TILL_STRIPE_API_VERSION);

  intent = create_intent (&test, &error);
  if (intent == NULL)
    return step_failed ("%s", error->message);
  step_ok (_ ("created %s"), intent);

  till_stripe_form_add (confirm, "payment_method", "pm_card_visa");
  path = g_strdup_printf ("/v1/payment_intents/%s/confirm", intent);
  response = call (&test, "POST", path, confirm, &error);
  if (response == NULL)
    return step_failed ("%s", error->message);
  status = string_member (response->body, "status");
  if (g_strcmp0 (status, "succeeded") != 0 || charge_of (response->body) == NULL)
    return step_failed (_ ("%s confirmed with pm_card_visa is %s, not succeeded with a charge"),
                        intent, status != NULL ? status : "?");
  step_ok (_ ("confirmed %s with pm_card_visa: succeeded, charge %s"), intent,
           charge_of (response->body));
  g_clear_pointer (&response, till_stripe_response_free);

  till_stripe_form_add (refund, "payment_intent", intent);
  response = call (&test, "POST", "/v1/refunds", refund, &error);
  if (response == NULL)
    return step_failed ("%s", error->message);
  status = string_member (response->body, "status");
  /* A card refund is "succeeded" at once in test mode, or "pending" for a while. */
  if (g_strcmp0 (status, "succeeded") != 0 && g_strcmp0 (status, "pending") != 0)
    return step_failed (_ ("The refund of %s is %s"), intent, status != NULL ? status : "?");
  step_ok (_ ("refunded %s: %s %s"), intent, string_member (response->body, "id"), status);
  g_clear_pointer (&response, till_stripe_response_free);

  other = create_intent (&test, &error);
  if (other == NULL)
    return step_failed ("%s", error->message);
  g_free (path);
  path = g_strdup_printf ("/v1/payment_intents/%s/cancel", other);
  till_stripe_form_add (cancel, "cancellation_reason", "abandoned");
  response = call (&test, "POST", path, cancel, &error);
  if (response == NULL)
    return step_failed ("%s", error->message);
  status = string_member (response->body, "status");
  if (g_strcmp0 (status, "canceled") != 0)
    return step_failed (_ ("%s is %s after its cancellation"), other,
                        status != NULL ? status : "?");
  step_ok (_ ("created %s and canceled it"), other);

  if (options->skip_webhook)
    {
      g_print ("%s\n", _ ("Self-test passed; the webhook was not checked (--skip-webhook)"));
      return 0;
    }
  result = check_webhook (&test, options, url, intent, since);
  if (result != 0)
    return result;
  g_print ("%s\n", _ ("Self-test passed"));
  return 0;
}
