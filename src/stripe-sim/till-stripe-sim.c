/* till-stripe-sim.c: the simulator's HTTP front: auth, routing, idempotency, faults.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A request to /v1/ goes through: Request-Id → authentication (test keys only) → the rate
 * limiter (Stripe's 429) → injected faults (429 and 5xx answered before anything runs) → form
 * parsing → routing → validation against the OpenAPI subset → Idempotency-Key (replay,
 * mismatch, in flight) → an injected delay → the endpoint (till-stripe-sim-state.c) →
 * webhooks → the answer (or a dropped connection). /v3/ serves the Stripe.js stand-in and
 * /sim/3ds/ the 3-D Secure challenge; two more origins serve the card issuer's pages and the
 * fraud-signals frame.
 *
 * Longer than our files usually are: the request pipeline is one sequence of stages over one
 * private request state (pending requests, locks, delays); the stages that need no such state
 * live in their own files.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "till-currency.h"
#include "till-http-listener.h"
#include "till-stripe-sim-faults-private.h"
#include "till-stripe-sim-form-private.h"
#include "till-stripe-sim-idempotency-private.h"
#include "till-stripe-sim-pages-private.h"
#include "till-stripe-sim-resources.h"
#include "till-stripe-sim-schema-private.h"
#include "till-stripe-sim-render-private.h"
#include "till-stripe-sim-terminal-private.h"
#include "till-stripe-sim-webhooks-private.h"

#define MAX_BODY (1024 * 1024)
#define IDEMPOTENCY_TTL_SECONDS (24 * 60 * 60)
#define PRUNE_INTERVAL_MS (60 * 1000)

struct _TillStripeSim
{
  GObject parent_instance;

  char             *secret_key; /* NULL: any sk_test_ key */
  SoupServer       *server;
  TillHttpListener *listener;
  char             *base_uri;
  /* The card issuer's origin (3-D Secure) and a fraud-signals origin: see -pages.c. */
  SoupServer         *issuer_server;
  TillHttpListener   *issuer_listener;
  char               *issuer_origin;
  SoupServer         *signals_server;
  TillHttpListener   *signals_listener;
  char               *signals_origin;
  TillSimState       *state;
  TillSimIdempotency *idempotency;
  TillSimWebhooks    *webhooks;
  gboolean            faults_enabled;
  GQueue              fault_queue;  /* char * specs for the next requests */
  double              random_rate;  /* share of the other requests given a random fault */
  GPtrArray          *random_kinds; /* char * specs, one picked per faulted request */
  GRand              *random;
  guint              *random_counts; /* per kind: how many were injected */
  GHashTable         *pending;       /* delayed requests */
  GHashTable         *locks;         /* ids of objects a delayed request is changing */
  GSource            *prune_timer;   /* forgets what aged while no request came */
  guint               prune_interval_ms;
  guint               clock_offset;    /* seconds: till_stripe_sim_advance_clock () */
  TillSimRateLimit   *rate_limit;      /* the account's: every key, every endpoint */
  TillSimTerminal    *terminal;        /* Terminal's locations and readers */
  GHashTable         *reader_timeouts; /* ReaderTimeout *: readers' injected timeouts */
};

G_DEFINE_FINAL_TYPE (TillStripeSim, till_stripe_sim, G_TYPE_OBJECT)

/* The quark's name, dashes and all, becomes a string. */
/* clang-format off */
G_DEFINE_QUARK (till-stripe-sim-error-quark, till_stripe_sim_error)
/* clang-format on */

typedef enum
{
  ROUTE_NONE,
  ROUTE_LIST_INTENTS,
  ROUTE_CREATE_INTENT,
  ROUTE_RETRIEVE_INTENT,
  ROUTE_UPDATE_INTENT,
  ROUTE_CONFIRM_INTENT,
  ROUTE_CANCEL_INTENT,
  ROUTE_CAPTURE_INTENT,
  ROUTE_LIST_REFUNDS,
  ROUTE_CREATE_REFUND,
  ROUTE_RETRIEVE_REFUND,
  ROUTE_RETRIEVE_CHARGE,
  ROUTE_LIST_EVENTS,
  ROUTE_RETRIEVE_EVENT,
  ROUTE_CREATE_PAYMENT_METHOD,
  ROUTE_CREATE_LOCATION,
  ROUTE_LIST_LOCATIONS,
  ROUTE_RETRIEVE_LOCATION,
  ROUTE_CREATE_READER,
  ROUTE_LIST_READERS,
  ROUTE_RETRIEVE_READER,
  ROUTE_UPDATE_READER,
  ROUTE_DELETE_READER,
  ROUTE_PROCESS_PAYMENT_INTENT,
  ROUTE_CANCEL_ACTION,
  ROUTE_SET_READER_DISPLAY,
  ROUTE_PRESENT_PAYMENT_METHOD,
} Route;

typedef struct
{
  TillStripeSim     *self;
  SoupServerMessage *msg;
  Route              route;
  char              *id;
  JsonNode          *params;
  char              *request_id;
  char              *key; /* the API key (idempotency scope); never logged */
  char              *idempotency_key;
  gboolean           publishable;
  TillSimFaults      faults;
  GSource           *timer;
  char              *lock; /* the object this delayed request holds */
} Pending;

const char *
till_stripe_sim_get_api_version (void)
{
  return TILL_SIM_API_VERSION;
}

static void
ensure_resources (void)
{
  static gsize registered;

  if (g_once_init_enter (&registered))
    {
      till_stripe_sim_register_resource ();
      g_once_init_leave (&registered, 1);
    }
}

/**
 * till_stripe_sim_check_key:
 * @key: (nullable): a Stripe API key
 *
 * Accepts test keys (sk_test_, rk_test_, pk_test_) only. A live key is refused with
 * %TILL_STRIPE_SIM_ERROR_LIVE_KEY: the simulator can never be used with one. Never prints
 * the key itself.
 */
gboolean
till_stripe_sim_check_key (const char *key, GError **error)
{
  if (key == NULL || *key == '\0')
    {
      g_set_error_literal (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_INVALID_KEY,
                           _ ("No Stripe key was given"));
      return FALSE;
    }
  if (strstr (key, "_live_") != NULL)
    {
      g_set_error_literal (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_LIVE_KEY,
                           _ ("The Stripe simulator cannot be used with a live key; use a test "
                              "key (sk_test_…) for training"));
      return FALSE;
    }
  if (!g_str_has_prefix (key, "sk_test_") && !g_str_has_prefix (key, "rk_test_") &&
      !g_str_has_prefix (key, "pk_test_"))
    {
      g_set_error_literal (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_INVALID_KEY,
                           _ ("Not a Stripe test key (sk_test_…)"));
      return FALSE;
    }
  return TRUE;
}

static void
pending_free (Pending *pending)
{
  if (pending->lock != NULL && pending->self->locks != NULL)
    g_hash_table_remove (pending->self->locks, pending->lock);
  g_free (pending->lock);
  till_sim_source_clear (&pending->timer);
  g_clear_object (&pending->msg);
  g_clear_pointer (&pending->params, json_node_unref);
  g_free (pending->id);
  g_free (pending->request_id);
  g_free (pending->key);
  g_free (pending->idempotency_key);
  g_free (pending);
}

static void
disconnect_page_origins (TillStripeSim *self)
{
  if (self->issuer_listener != NULL)
    till_http_listener_disconnect (self->issuer_listener);
  if (self->signals_listener != NULL)
    till_http_listener_disconnect (self->signals_listener);
}

static void
till_stripe_sim_dispose (GObject *object)
{
  TillStripeSim *self = TILL_STRIPE_SIM (object);

  if (self->listener != NULL)
    till_http_listener_disconnect (self->listener);
  else if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->listener);
  g_clear_object (&self->server);
  disconnect_page_origins (self);
  g_clear_object (&self->issuer_listener);
  g_clear_object (&self->issuer_server);
  g_clear_object (&self->signals_listener);
  g_clear_object (&self->signals_server);
  till_sim_source_clear (&self->prune_timer);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->locks, g_hash_table_unref);
  g_clear_pointer (&self->reader_timeouts, g_hash_table_unref);

  G_OBJECT_CLASS (till_stripe_sim_parent_class)->dispose (object);
}

static void
till_stripe_sim_finalize (GObject *object)
{
  TillStripeSim *self = TILL_STRIPE_SIM (object);

  g_clear_pointer (&self->webhooks, till_sim_webhooks_free);
  g_clear_pointer (&self->idempotency, till_sim_idempotency_free);
  g_clear_pointer (&self->terminal, till_sim_terminal_free);
  g_clear_pointer (&self->state, till_sim_state_free);
  g_clear_pointer (&self->rate_limit, till_sim_rate_limit_free);
  g_queue_clear_full (&self->fault_queue, g_free);
  g_clear_pointer (&self->random_kinds, g_ptr_array_unref);
  g_clear_pointer (&self->random, g_rand_free);
  g_free (self->random_counts);
  g_free (self->secret_key);
  g_free (self->base_uri);
  g_free (self->issuer_origin);
  g_free (self->signals_origin);

  G_OBJECT_CLASS (till_stripe_sim_parent_class)->finalize (object);
}

static void
till_stripe_sim_class_init (TillStripeSimClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_stripe_sim_dispose;
  object_class->finalize = till_stripe_sim_finalize;
}

static void
on_delivery_done (const char *event_id, gboolean delivered, gpointer user_data)
{
  TillStripeSim *self = user_data;
  TillSimEvent  *event = till_sim_state_lookup_event (self->state, event_id);

  /* The event may have aged out of the simulator's memory meanwhile. */
  if (event == NULL)
    return;
  /* Stripe's `pending_webhooks` counts the deliveries not yet made successfully: one given up
   * on stays counted. */
  if (!delivered)
    event->delivery_failed = TRUE;
  else if (event->pending_webhooks > 0)
    event->pending_webhooks--;
}

/* A reader's timeout injected with the reader-timeout fault, waiting to fire. */
typedef struct
{
  TillStripeSim *self;
  char          *reader;
  guint          serial;
  GSource       *timer;
} ReaderTimeout;

static void
reader_timeout_free (ReaderTimeout *timeout)
{
  till_sim_source_clear (&timeout->timer);
  g_free (timeout->reader);
  g_free (timeout);
}

static void
till_stripe_sim_init (TillStripeSim *self)
{
  self->state = till_sim_state_new (till_sim_render_snapshot);
  self->idempotency = till_sim_idempotency_new (IDEMPOTENCY_TTL_SECONDS);
  self->webhooks = till_sim_webhooks_new (on_delivery_done, self);
  self->pending = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) pending_free, NULL);
  self->locks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->prune_interval_ms = PRUNE_INTERVAL_MS;
  self->rate_limit = till_sim_rate_limit_new (0);
  g_queue_init (&self->fault_queue);
  self->terminal = till_sim_terminal_new (self->state);
  self->reader_timeouts =
      g_hash_table_new_full (NULL, NULL, (GDestroyNotify) reader_timeout_free, NULL);
}

/* Forgets what the retention no longer keeps: called once a request's objects are made and
 * its webhooks queued (never in the middle of a request), and from a timer. */
static void
prune (TillStripeSim *self)
{
  till_sim_state_prune (self->state);
  till_sim_terminal_prune (self->terminal);
  till_sim_idempotency_prune (self->idempotency);
}

static gboolean
on_prune_timer (gpointer user_data)
{
  prune (user_data);
  return G_SOURCE_CONTINUE;
}

static void
start_prune_timer (TillStripeSim *self)
{
  till_sim_source_clear (&self->prune_timer);
  self->prune_timer = till_sim_timeout_source_new (self->prune_interval_ms, on_prune_timer, self);
}

/**
 * till_stripe_sim_new:
 * @secret_key: (nullable): the only secret key to accept, or %NULL for any sk_test_ key
 * @error: a #GError
 *
 * Returns: (transfer full) (nullable): a simulator, or %NULL when @secret_key is not a test
 *   key. A live key is always refused.
 */
TillStripeSim *
till_stripe_sim_new (const char *secret_key, GError **error)
{
  g_autoptr (TillStripeSim) self = NULL;

  if (secret_key != NULL)
    {
      if (!till_stripe_sim_check_key (secret_key, error))
        return NULL;
      if (!g_str_has_prefix (secret_key, "sk_test_"))
        {
          g_set_error_literal (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_INVALID_KEY,
                               _ ("The Stripe simulator needs a secret test key (sk_test_…)"));
          return NULL;
        }
    }

  ensure_resources ();
  if (!till_sim_schema_ensure (error))
    return NULL;

  self = g_object_new (TILL_TYPE_STRIPE_SIM, NULL);
  self->secret_key = g_strdup (secret_key);
  return g_steal_pointer (&self);
}

/**
 * till_stripe_sim_set_webhook:
 * @url: (nullable): where to POST events, or %NULL to stop sending them
 * @secret: (nullable): the endpoint secret (whsec_…) the signatures use
 */
gboolean
till_stripe_sim_set_webhook (TillStripeSim *self,
                             const char    *url,
                             const char    *secret,
                             GError       **error)
{
  g_autoptr (GUri) uri = NULL;

  g_return_val_if_fail (TILL_IS_STRIPE_SIM (self), FALSE);

  if (url == NULL)
    {
      till_sim_webhooks_configure (self->webhooks, NULL, NULL);
      return TRUE;
    }

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
                      g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
    {
      g_set_error (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_INVALID_WEBHOOK,
                   _ ("The webhook URL “%s” is not an http or https URL"), url);
      return FALSE;
    }
  if (secret == NULL || !g_str_has_prefix (secret, "whsec_") || strlen (secret) < 10)
    {
      g_set_error_literal (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_INVALID_WEBHOOK,
                           _ ("The webhook secret must be a Stripe endpoint secret (whsec_…)"));
      return FALSE;
    }

  till_sim_webhooks_configure (self->webhooks, url, secret);
  return TRUE;
}

/**
 * till_stripe_sim_set_webhook_api_version:
 * @api_version: the webhook endpoint's API version: "2020-08-27" or a later one
 *
 * Events are sent in the endpoint's version, as Stripe does, whatever the Stripe-Version of
 * the request that caused them: from 2022-11-15 on, a PaymentIntent has no `charges` list and
 * its `latest_charge` is an id. The default is a current version
 * (%TILL_SIM_API_VERSION_CURRENT), the one an endpoint made in the Dashboard today gets.
 */
gboolean
till_stripe_sim_set_webhook_api_version (TillStripeSim *self,
                                         const char    *api_version,
                                         GError       **error)
{
  g_return_val_if_fail (TILL_IS_STRIPE_SIM (self), FALSE);

  if (!till_sim_render_api_version_valid (api_version))
    {
      g_set_error (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_INVALID_WEBHOOK,
                   _ ("“%s” is not a Stripe API version the simulator can send events in: "
                      "give %s or a later date (YYYY-MM-DD)"),
                   api_version ? api_version : "", TILL_SIM_API_VERSION);
      return FALSE;
    }
  till_sim_webhooks_set_api_version (self->webhooks, api_version);
  return TRUE;
}

/* How failed webhook deliveries are retried: after @first_delay_ms, doubling, at most
 * @max_attempts deliveries in all. Defaults: 1000 ms, 8. */
void
till_stripe_sim_set_webhook_retry (TillStripeSim *self, guint first_delay_ms, guint max_attempts)
{
  g_return_if_fail (TILL_IS_STRIPE_SIM (self));

  till_sim_webhooks_set_retry (self->webhooks, first_delay_ms, max_attempts);
}

/**
 * till_stripe_sim_set_retention:
 * @max_age_seconds: forget objects older than this, 0 for no age limit
 * @max_intents: keep at most this many PaymentIntents (the newest), 0 for no limit
 * @max_events: keep at most this many events (the newest), 0 for no limit
 * @max_idempotency_keys: keep at most this many saved idempotent answers, 0 for no limit
 *
 * Bounds what the simulator remembers, so that a long run (training mode) keeps to constant
 * memory. A forgotten intent goes with its charges, refunds and PaymentMethods; a forgotten
 * object is answered as Stripe answers an unknown id (404 `resource_missing`) and leaves the
 * lists. Idempotency keys are never kept longer than Stripe's 24 hours. Webhook deliveries
 * carry their own copy of the event and still go out after it is forgotten, but at most
 * @max_events of them wait: past that the oldest are given up on. The counts are applied
 * once each request has run; the age also once a minute.
 *
 * Defaults: no age limit, every intent, 10,000 events, every key (for a day).
 */
void
till_stripe_sim_set_retention (TillStripeSim *self,
                               guint          max_age_seconds,
                               guint          max_intents,
                               guint          max_events,
                               guint          max_idempotency_keys)
{
  gint64 key_ttl = IDEMPOTENCY_TTL_SECONDS;

  g_return_if_fail (TILL_IS_STRIPE_SIM (self));

  if (max_age_seconds > 0)
    key_ttl = MIN (key_ttl, (gint64) max_age_seconds);
  till_sim_state_set_retention (self->state, max_age_seconds, max_intents, max_events);
  till_sim_terminal_set_retention (self->terminal, max_intents);
  till_sim_idempotency_set_limits (self->idempotency, key_ttl, max_idempotency_keys);
  till_sim_webhooks_set_max_queued (self->webhooks, max_events);
  prune (self);
}

void
till_stripe_sim_get_counts (TillStripeSim *self, TillStripeSimCounts *counts)
{
  g_return_if_fail (TILL_IS_STRIPE_SIM (self));

  till_sim_state_get_counts (self->state, counts);
  counts->idempotency_keys = till_sim_idempotency_get_count (self->idempotency);
  counts->webhooks = till_sim_webhooks_get_pending (self->webhooks);
  counts->rate_limited = till_sim_rate_limit_get_refused (self->rate_limit);
  till_sim_terminal_get_counts (self->terminal, &counts->locations, &counts->readers);
}

void
till_stripe_sim_advance_clock (TillStripeSim *self, guint seconds)
{
  g_return_if_fail (TILL_IS_STRIPE_SIM (self));

  self->clock_offset += seconds;
  till_sim_state_set_clock_offset (self->state, self->clock_offset);
  till_sim_idempotency_set_clock_offset (self->idempotency,
                                         (gint64) self->clock_offset * G_USEC_PER_SEC);
}

void
till_stripe_sim_set_prune_interval (TillStripeSim *self, guint interval_ms)
{
  g_return_if_fail (TILL_IS_STRIPE_SIM (self));

  self->prune_interval_ms = MAX (interval_ms, 1);
  if (self->prune_timer != NULL)
    start_prune_timer (self);
}

/* Number of webhook deliveries queued or in flight. */
guint
till_stripe_sim_get_pending_webhooks (TillStripeSim *self)
{
  g_return_val_if_fail (TILL_IS_STRIPE_SIM (self), 0);

  return till_sim_webhooks_get_pending (self->webhooks);
}

/**
 * till_stripe_sim_set_rate_limit:
 * @per_second: API requests a second (at most %TILL_STRIPE_SIM_MAX_RATE_LIMIT), or 0 for no
 *   limit (the default)
 *
 * Enforces Stripe's basic rate limit: past @per_second API requests in any second, from
 * any key, a request is answered 429 as Stripe answers it (before faults and idempotency)
 * and not counted. Stripe allows 100 a second in live mode and
 * %TILL_STRIPE_SIM_TEST_MODE_RATE_LIMIT in test mode (docs.stripe.com/rate-limits).
 */
void
till_stripe_sim_set_rate_limit (TillStripeSim *self, guint per_second)
{
  g_return_if_fail (TILL_IS_STRIPE_SIM (self));
  g_return_if_fail (per_second <= TILL_STRIPE_SIM_MAX_RATE_LIMIT);

  g_clear_pointer (&self->rate_limit, till_sim_rate_limit_free);
  self->rate_limit = till_sim_rate_limit_new (per_second);
}

guint
till_stripe_sim_get_rate_limit (TillStripeSim *self)
{
  g_return_val_if_fail (TILL_IS_STRIPE_SIM (self), 0);

  return till_sim_rate_limit_get (self->rate_limit);
}

/* Fault injection (Till-Sim-Fault header, /_sim/faults) is off unless enabled here. */
void
till_stripe_sim_set_faults_enabled (TillStripeSim *self, gboolean enabled)
{
  g_return_if_fail (TILL_IS_STRIPE_SIM (self));

  self->faults_enabled = !!enabled;
  if (!enabled)
    g_queue_clear_full (&self->fault_queue, g_free);
}

/* As an account Stripe has approved for MOTO: confirmations may carry
 * payment_method_options[card][moto] (with the secret key). Off by default. */
void
till_stripe_sim_set_moto_enabled (TillStripeSim *self, gboolean enabled)
{
  g_return_if_fail (TILL_IS_STRIPE_SIM (self));

  till_sim_state_set_moto_enabled (self->state, enabled);
}

/**
 * till_stripe_sim_set_random_faults:
 * @rate: the share of requests (0 to 1) that get a fault, or 0 for none
 * @kinds: (nullable): the faults to pick from, one per faulted request, separated by commas
 *   ("503,429,delay=1500,lose-webhook"); %NULL or "" for every kind but delays
 * @seed: the seed of the random choices, so that a campaign can be run again
 *
 * With faults enabled, each API request that names no fault of its own (no Till-Sim-Fault
 * header, not even "none") and finds none queued gets one of @kinds with probability @rate.
 * What was injected is counted per kind (GET /_sim/faults). Enables faults.
 */
gboolean
till_stripe_sim_set_random_faults (
    TillStripeSim *self, double rate, const char *kinds, guint32 seed, GError **error)
{
  g_auto (GStrv) parts = NULL;
  g_autoptr (GPtrArray) specs = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (TILL_IS_STRIPE_SIM (self), FALSE);

  if (!(rate >= 0.0 && rate <= 1.0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("The fault rate must be between 0 and 1"));
      return FALSE;
    }
  if (kinds == NULL || *kinds == '\0')
    kinds = "drop-after,500,502,503,429,duplicate-webhook,reorder-webhooks,lose-webhook";
  parts = g_strsplit (kinds, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char         *part = g_strstrip (parts[i]);
      TillSimFaults faults;

      if (*part == '\0')
        continue;
      if (!till_sim_faults_parse (part, &faults, error))
        return FALSE;
      g_ptr_array_add (specs, g_strdup (part));
    }
  if (specs->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _ ("No fault kinds given"));
      return FALSE;
    }

  g_clear_pointer (&self->random_kinds, g_ptr_array_unref);
  g_clear_pointer (&self->random, g_rand_free);
  g_free (self->random_counts);
  self->random_counts = g_new0 (guint, specs->len);
  self->random_kinds = g_steal_pointer (&specs);
  self->random = g_rand_new_with_seed (seed);
  self->random_rate = rate;
  self->faults_enabled = TRUE;
  return TRUE;
}

gboolean
till_stripe_sim_get_faults_enabled (TillStripeSim *self)
{
  g_return_val_if_fail (TILL_IS_STRIPE_SIM (self), FALSE);

  return self->faults_enabled;
}

/* The address the simulator listens on, "http://127.0.0.1:PORT/", or %NULL before
 * till_stripe_sim_listen(). Stripe's API base and Stripe.js are found under it. */
const char *
till_stripe_sim_get_base_uri (TillStripeSim *self)
{
  g_return_val_if_fail (TILL_IS_STRIPE_SIM (self), NULL);

  return self->base_uri;
}

/* The card issuer's origin, "http://127.0.0.1:PORT" (no slash), which serves the 3-D Secure
 * method and challenge pages, or %NULL before till_stripe_sim_listen(). */
const char *
till_stripe_sim_get_issuer_origin (TillStripeSim *self)
{
  g_return_val_if_fail (TILL_IS_STRIPE_SIM (self), NULL);

  return self->issuer_origin;
}

/* The origin of the fraud-signals frame Stripe.js loads (m.stripe.network's stand-in). */
const char *
till_stripe_sim_get_signals_origin (TillStripeSim *self)
{
  g_return_val_if_fail (TILL_IS_STRIPE_SIM (self), NULL);

  return self->signals_origin;
}

/* The Stripe.js stand-in: the simulator's answer to https://js.stripe.com/v3/. */
char *
till_stripe_sim_dup_js_uri (TillStripeSim *self)
{
  g_return_val_if_fail (TILL_IS_STRIPE_SIM (self), NULL);

  if (self->base_uri == NULL)
    return NULL;
  return g_strconcat (self->base_uri, "v3/", NULL);
}

/* Stops listening; the simulator answers nothing afterwards. */
void
till_stripe_sim_disconnect (TillStripeSim *self)
{
  g_return_if_fail (TILL_IS_STRIPE_SIM (self));

  if (self->listener != NULL)
    till_http_listener_disconnect (self->listener);
  else if (self->server != NULL)
    soup_server_disconnect (self->server);
  disconnect_page_origins (self);
  till_sim_source_clear (&self->prune_timer);
  g_hash_table_remove_all (self->pending);
  g_hash_table_remove_all (self->reader_timeouts);
}

/* --- replies ------------------------------------------------------------------------ */

static void
drop_connection (SoupServerMessage *msg)
{
  g_autoptr (GIOStream) stream = soup_server_message_steal_connection (msg);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

/* --- authentication ------------------------------------------------------------------ */

typedef enum
{
  AUTH_SECRET,
  AUTH_PUBLISHABLE,
  AUTH_FAILED,
} AuthResult;

static char *
mask_key (const char *key)
{
  gsize       length = strlen (key);
  const char *underscore = strrchr (key, '_');
  gsize       prefix = underscore ? (gsize) (underscore - key + 1) : 0;

  /* "sk_live_********abcd": Stripe's own way of naming a key without revealing it. */
  if (length <= prefix + 4)
    return g_strdup ("********");
  return g_strdup_printf ("%.*s********%s", (int) prefix, key, key + length - 4);
}

static AuthResult
authenticate (TillStripeSim *self, SoupServerMessage *msg, char **key_out)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char         *authorization = soup_message_headers_get_one (headers, "Authorization");
  g_autofree char    *key = NULL;
  g_autofree char    *masked = NULL;
  g_autofree char    *message = NULL;

  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    key = g_strstrip (g_strdup (authorization + 7));
  else if (authorization != NULL && g_ascii_strncasecmp (authorization, "Basic ", 6) == 0)
    {
      gsize              length = 0;
      g_autofree guchar *decoded = g_base64_decode (authorization + 6, &length);
      g_autofree char   *text = g_strndup ((const char *) decoded, length);
      char              *colon = strchr (text, ':');

      if (colon != NULL)
        *colon = '\0';
      key = g_steal_pointer (&text);
    }

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate",
                                "Basic realm=\"Stripe\"");

  if (key == NULL || *key == '\0')
    {
      till_sim_send_error (
          msg, 401, "invalid_request_error", NULL, NULL,
          "You did not provide an API key. You need to provide your API key in the "
          "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
          "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for "
          "details, or we can help at https://support.stripe.com/.");
      return AUTH_FAILED;
    }

  for (const char *p = key; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      {
        /* Not even shaped like a key: do not echo any of it. */
        till_sim_send_error (msg, 401, "invalid_request_error", "api_key_invalid", NULL,
                             "Invalid API Key provided.");
        return AUTH_FAILED;
      }

  masked = mask_key (key);
  if (strstr (key, "_live_") != NULL)
    {
      message = g_strdup_printf ("Invalid API Key provided: %s. This is the Till Stripe "
                                 "simulator: it accepts test keys only and always refuses live "
                                 "keys.",
                                 masked);
      till_sim_send_error (msg, 401, "invalid_request_error", "api_key_invalid", NULL, message);
      return AUTH_FAILED;
    }

  if (g_str_has_prefix (key, "pk_test_") && strlen (key) > strlen ("pk_test_"))
    {
      *key_out = g_steal_pointer (&key);
      return AUTH_PUBLISHABLE;
    }

  if ((g_str_has_prefix (key, "sk_test_") || g_str_has_prefix (key, "rk_test_")) &&
      strlen (key) > strlen ("sk_test_") &&
      (self->secret_key == NULL || g_str_equal (self->secret_key, key)))
    {
      *key_out = g_steal_pointer (&key);
      return AUTH_SECRET;
    }

  message = g_strdup_printf ("Invalid API Key provided: %s", masked);
  till_sim_send_error (msg, 401, "invalid_request_error", "api_key_invalid", NULL, message);
  return AUTH_FAILED;
}

/* --- routing ------------------------------------------------------------------------ */

/* /v1/terminal/…: @parts are what follows "terminal". */
static Route
match_terminal_route (char **parts, guint n, const char *method, char **id, const char **template)
{
  gboolean get = g_str_equal (method, "GET");
  gboolean post = g_str_equal (method, "POST");
  gboolean delete = g_str_equal (method, "DELETE");

  if (g_str_equal (parts[0], "locations"))
    {
      if (n == 1 && (get || post))
        {
          *template = "/v1/terminal/locations";
          return post ? ROUTE_CREATE_LOCATION : ROUTE_LIST_LOCATIONS;
        }
      if (n == 2 && get)
        {
          *id = g_strdup (parts[1]);
          *template = "/v1/terminal/locations/{location}";
          return ROUTE_RETRIEVE_LOCATION;
        }
      return ROUTE_NONE;
    }
  if (!g_str_equal (parts[0], "readers"))
    return ROUTE_NONE;
  if (n == 1 && (get || post))
    {
      *template = "/v1/terminal/readers";
      return post ? ROUTE_CREATE_READER : ROUTE_LIST_READERS;
    }
  if (n == 2 && (get || post || delete))
    {
      *id = g_strdup (parts[1]);
      *template = "/v1/terminal/readers/{reader}";
      return get ? ROUTE_RETRIEVE_READER : post ? ROUTE_UPDATE_READER : ROUTE_DELETE_READER;
    }
  if (n == 3 && post)
    {
      static const struct
      {
        const char *action;
        const char *template;
        Route route;
      } actions[] = {
        { "process_payment_intent", "/v1/terminal/readers/{reader}/process_payment_intent",
          ROUTE_PROCESS_PAYMENT_INTENT },
        { "cancel_action", "/v1/terminal/readers/{reader}/cancel_action", ROUTE_CANCEL_ACTION },
        { "set_reader_display", "/v1/terminal/readers/{reader}/set_reader_display",
          ROUTE_SET_READER_DISPLAY },
      };

      for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
        if (g_str_equal (parts[2], actions[i].action))
          {
            *id = g_strdup (parts[1]);
            *template = actions[i].template;
            return actions[i].route;
          }
    }
  return ROUTE_NONE;
}

static Route
match_route (const char *method, const char *path, char **id, const char **template)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  guint    n = g_strv_length (parts);
  gboolean get = g_str_equal (method, "GET");
  gboolean post = g_str_equal (method, "POST");

  /* parts[0] is "" and parts[1] is "v1". */
  if (n < 3 || *parts[0] != '\0' || !g_str_equal (parts[1], "v1"))
    return ROUTE_NONE;
  for (guint i = 2; i < n; i++)
    if (*parts[i] == '\0')
      return ROUTE_NONE;

  if (g_str_equal (parts[2], "payment_intents"))
    {
      if (n == 3 && (post || get))
        {
          *template = "/v1/payment_intents";
          return post ? ROUTE_CREATE_INTENT : ROUTE_LIST_INTENTS;
        }
      if (n == 4)
        {
          *id = g_strdup (parts[3]);
          *template = "/v1/payment_intents/{intent}";
          return get ? ROUTE_RETRIEVE_INTENT : post ? ROUTE_UPDATE_INTENT : ROUTE_NONE;
        }
      if (n == 5 && post)
        {
          *id = g_strdup (parts[3]);
          if (g_str_equal (parts[4], "confirm"))
            {
              *template = "/v1/payment_intents/{intent}/confirm";
              return ROUTE_CONFIRM_INTENT;
            }
          if (g_str_equal (parts[4], "cancel"))
            {
              *template = "/v1/payment_intents/{intent}/cancel";
              return ROUTE_CANCEL_INTENT;
            }
          if (g_str_equal (parts[4], "capture"))
            {
              *template = "/v1/payment_intents/{intent}/capture";
              return ROUTE_CAPTURE_INTENT;
            }
          g_clear_pointer (id, g_free);
        }
    }
  else if (g_str_equal (parts[2], "refunds"))
    {
      if (n == 3 && (post || get))
        {
          *template = "/v1/refunds";
          return post ? ROUTE_CREATE_REFUND : ROUTE_LIST_REFUNDS;
        }
      if (n == 4 && get)
        {
          *id = g_strdup (parts[3]);
          *template = "/v1/refunds/{refund}";
          return ROUTE_RETRIEVE_REFUND;
        }
    }
  else if (g_str_equal (parts[2], "payment_methods") && post && n == 3)
    {
      *template = "/v1/payment_methods";
      return ROUTE_CREATE_PAYMENT_METHOD;
    }
  else if (g_str_equal (parts[2], "charges") && get && n == 4)
    {
      *id = g_strdup (parts[3]);
      *template = "/v1/charges/{charge}";
      return ROUTE_RETRIEVE_CHARGE;
    }
  else if (g_str_equal (parts[2], "terminal") && n >= 4)
    return match_terminal_route (parts + 3, n - 3, method, id, template);
  else if (g_str_equal (parts[2], "test_helpers") && post && n == 7 &&
           g_str_equal (parts[3], "terminal") && g_str_equal (parts[4], "readers") &&
           g_str_equal (parts[6], "present_payment_method"))
    {
      *id = g_strdup (parts[5]);
      *template = "/v1/test_helpers/terminal/readers/{reader}/present_payment_method";
      return ROUTE_PRESENT_PAYMENT_METHOD;
    }
  else if (g_str_equal (parts[2], "events") && get)
    {
      if (n == 3)
        {
          *template = "/v1/events";
          return ROUTE_LIST_EVENTS;
        }
      if (n == 4)
        {
          *id = g_strdup (parts[3]);
          *template = "/v1/events/{id}";
          return ROUTE_RETRIEVE_EVENT;
        }
    }

  return ROUTE_NONE;
}

static TillSimResult *
dispatch (
    TillStripeSim *self, TillSimRequest *request, Route route, const char *id, JsonNode *params)
{
  TillSimState *state = self->state;

  switch (route)
    {
      case ROUTE_LIST_INTENTS:
        return till_sim_state_list_intents (state, request, params);
      case ROUTE_CREATE_INTENT:
        return till_sim_state_create_intent (state, request, params);
      case ROUTE_RETRIEVE_INTENT:
        return till_sim_state_retrieve_intent (state, request, id, params);
      case ROUTE_UPDATE_INTENT:
        return till_sim_state_update_intent (state, request, id, params);
      case ROUTE_CONFIRM_INTENT:
        return till_sim_state_confirm_intent (state, request, id, params);
      case ROUTE_CANCEL_INTENT:
        return till_sim_state_cancel_intent (state, request, id, params);
      case ROUTE_CAPTURE_INTENT:
        return till_sim_state_capture_intent (state, request, id, params);
      case ROUTE_LIST_REFUNDS:
        return till_sim_state_list_refunds (state, request, params);
      case ROUTE_CREATE_REFUND:
        return till_sim_state_create_refund (state, request, params);
      case ROUTE_RETRIEVE_REFUND:
        return till_sim_state_retrieve_refund (state, request, id, params);
      case ROUTE_RETRIEVE_CHARGE:
        return till_sim_state_retrieve_charge (state, request, id, params);
      case ROUTE_LIST_EVENTS:
        return till_sim_state_list_events (state, request, params);
      case ROUTE_RETRIEVE_EVENT:
        return till_sim_state_retrieve_event (state, request, id, params);
      case ROUTE_CREATE_PAYMENT_METHOD:
        return till_sim_state_create_payment_method (state, request, params);
      case ROUTE_CREATE_LOCATION:
        return till_sim_terminal_create_location (self->terminal, request, params);
      case ROUTE_LIST_LOCATIONS:
        return till_sim_terminal_list_locations (self->terminal, request, params);
      case ROUTE_RETRIEVE_LOCATION:
        return till_sim_terminal_retrieve_location (self->terminal, request, id, params);
      case ROUTE_CREATE_READER:
        return till_sim_terminal_create_reader (self->terminal, request, params);
      case ROUTE_LIST_READERS:
        return till_sim_terminal_list_readers (self->terminal, request, params);
      case ROUTE_RETRIEVE_READER:
        return till_sim_terminal_retrieve_reader (self->terminal, request, id, params);
      case ROUTE_UPDATE_READER:
        return till_sim_terminal_update_reader (self->terminal, request, id, params);
      case ROUTE_DELETE_READER:
        return till_sim_terminal_delete_reader (self->terminal, request, id, params);
      case ROUTE_PROCESS_PAYMENT_INTENT:
        return till_sim_terminal_process_payment_intent (self->terminal, request, id, params);
      case ROUTE_CANCEL_ACTION:
        return till_sim_terminal_cancel_action (self->terminal, request, id, params);
      case ROUTE_SET_READER_DISPLAY:
        return till_sim_terminal_set_reader_display (self->terminal, request, id, params);
      case ROUTE_PRESENT_PAYMENT_METHOD:
        return till_sim_terminal_present_payment_method (self->terminal, request, id, params);
      case ROUTE_NONE:
      default:
        g_assert_not_reached ();
    }
}

/* The object a request changes, for Stripe's object locks. */
static const char *
locked_object (Route route, const char *id, JsonNode *params)
{
  switch (route)
    {
      case ROUTE_UPDATE_INTENT:
      case ROUTE_CONFIRM_INTENT:
      case ROUTE_CANCEL_INTENT:
      case ROUTE_CAPTURE_INTENT:
      case ROUTE_UPDATE_READER:
      case ROUTE_DELETE_READER:
      case ROUTE_PROCESS_PAYMENT_INTENT:
      case ROUTE_CANCEL_ACTION:
      case ROUTE_SET_READER_DISPLAY:
      case ROUTE_PRESENT_PAYMENT_METHOD:
        return id;
      case ROUTE_CREATE_REFUND:
        return json_object_get_string_member_with_default (json_node_get_object (params),
                                                           "payment_intent", NULL);
      default:
        return NULL;
    }
}

static gboolean
on_reader_timeout (gpointer user_data)
{
  ReaderTimeout *timeout = user_data;
  TillStripeSim *self = timeout->self;
  g_autoptr (GPtrArray) events = g_ptr_array_new ();
  g_autofree char *request_id = till_sim_random_id ("req_", 14);
  TillSimRequest   request = {
      .base_uri = self->base_uri,
      .request_id = request_id,
      .events = events,
  };

  till_sim_source_clear (&timeout->timer);
  /* Caused by no API request: Stripe's events of the kind carry a null request id, but
   * one the logs can follow is kept here. */
  if (till_sim_terminal_time_out (self->terminal, &request, timeout->reader, timeout->serial))
    {
      g_debug ("fault: reader %s timed out", timeout->reader);
      till_sim_webhooks_enqueue (self->webhooks, events, FALSE, FALSE);
      prune (self);
    }
  g_hash_table_remove (self->reader_timeouts, timeout);
  return G_SOURCE_REMOVE;
}

/* The reader-timeout fault: the action just started on @reader fails with
 * terminal_reader_timeout after @ms, unless it ended before. */
static void
start_reader_timeout (TillStripeSim *self, const char *reader, guint ms)
{
  ReaderTimeout *timeout = g_new0 (ReaderTimeout, 1);

  timeout->self = self;
  timeout->reader = g_strdup (reader);
  timeout->serial = till_sim_terminal_get_action_serial (self->terminal, reader);
  timeout->timer = till_sim_timeout_source_new (ms, on_reader_timeout, timeout);
  g_hash_table_add (self->reader_timeouts, timeout);
}

/* Runs the endpoint of a request that passed every check, and answers it. */
static void
execute (Pending *pending)
{
  TillStripeSim *self = pending->self;
  g_autoptr (GPtrArray) events = g_ptr_array_new ();
  g_autoptr (TillSimResult) result = NULL;
  g_autoptr (TillSimReply) reply = NULL;
  TillSimRequest request = {
    .base_uri = self->base_uri,
    .request_id = pending->request_id,
    .idempotency_key = pending->idempotency_key,
    .publishable = pending->publishable,
    .events = events,
  };

  /* What aged since the last request goes before this one looks. */
  prune (self);
  result = dispatch (self, &request, pending->route, pending->id, pending->params);
  if (pending->route == ROUTE_PROCESS_PAYMENT_INTENT && pending->faults.reader_timeout &&
      result->error_type == NULL)
    start_reader_timeout (self, pending->id, pending->faults.reader_timeout_ms);
  reply = till_sim_render_result (self->state, result);
  if (g_strcmp0 (result->error_code, "terminal_reader_busy") == 0)
    soup_message_headers_replace (soup_server_message_get_response_headers (pending->msg),
                                  "Stripe-Should-Retry", "false");
  /* Its objects are borrowed from the state, which prunes below. */
  g_clear_pointer (&result, till_sim_result_free);

  if (pending->idempotency_key != NULL)
    till_sim_idempotency_end (self->idempotency, pending->key, pending->idempotency_key, reply,
                              pending->request_id);

  if (pending->faults.lose_webhooks && till_sim_webhooks_is_configured (self->webhooks))
    {
      /* Never sent: what the endpoint sees when every attempt of a delivery is lost. */
      for (guint i = 0; i < events->len; i++)
        ((TillSimEvent *) g_ptr_array_index (events, i))->delivery_failed = TRUE;
      g_debug ("fault: losing the webhooks of %s", pending->request_id);
    }
  else
    till_sim_webhooks_enqueue (self->webhooks, events, pending->faults.duplicate_webhooks,
                               pending->faults.reorder_webhooks);
  prune (self);

  if (pending->faults.drop_after)
    {
      g_debug ("fault: dropping the connection of %s after processing", pending->request_id);
      drop_connection (pending->msg);
      return;
    }
  till_sim_reply_send (pending->msg, reply);
}

static gboolean
on_delay_done (gpointer user_data)
{
  Pending       *pending = user_data;
  TillStripeSim *self = pending->self;

  till_sim_source_clear (&pending->timer);
  execute (pending);
  if (!pending->faults.drop_after)
    soup_server_message_unpause (pending->msg);
  g_hash_table_remove (self->pending, pending);
  return G_SOURCE_REMOVE;
}

/* Stripe's answer to a request for an object another request is changing (its "lock_timeout"
 * error, docs.stripe.com/error-codes): not kept for replays, so a retry runs. */
static TillSimReply *
lock_timeout_reply (void)
{
  return till_sim_reply_error (409, "invalid_request_error", "lock_timeout", NULL,
                               "This object cannot be accessed right now because another API "
                               "request or Stripe process is currently accessing it. If you see "
                               "this error intermittently, retry the request. If you see this "
                               "error frequently and are making multiple concurrent requests to "
                               "a single object, make your requests serially or at a lower rate.");
}

/* Stripe's answer past its rate limiter (docs.stripe.com/rate-limits, "Handling limiting
 * gracefully"): 429 with code rate_limit, the limiter that refused in
 * Stripe-Rate-Limited-Reason, and Stripe-Should-Retry: true. No Retry-After: Stripe sends
 * none, and asks for exponential backoff. */
static void
send_rate_limited (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Stripe-Should-Retry", "true");
  soup_message_headers_replace (headers, "Stripe-Rate-Limited-Reason", "global-rate");
  till_sim_send_error (msg, 429, "invalid_request_error", "rate_limit", NULL,
                       "Too many requests hit the API too quickly. We recommend an exponential "
                       "backoff of your requests.");
}

static gboolean
next_faults (TillStripeSim *self, SoupServerMessage *msg, TillSimFaults *faults)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Till-Sim-Fault");
  g_autofree char *queued = NULL;
  g_autoptr (GError) error = NULL;
  TillSimFaults from_queue;

  memset (faults, 0, sizeof *faults);
  if (!self->faults_enabled)
    return TRUE;

  if (!till_sim_faults_parse (header, faults, &error))
    {
      till_sim_send_error (msg, 400, "invalid_request_error", NULL, NULL, error->message);
      return FALSE;
    }
  queued = g_queue_pop_head (&self->fault_queue);
  if (queued != NULL && till_sim_faults_parse (queued, &from_queue, NULL))
    till_sim_faults_merge (faults, &from_queue);
  else if (queued == NULL && header == NULL && self->random_kinds != NULL &&
           g_rand_double (self->random) < self->random_rate)
    {
      guint kind = g_rand_int_range (self->random, 0, (gint32) self->random_kinds->len);

      self->random_counts[kind]++;
      till_sim_faults_parse (g_ptr_array_index (self->random_kinds, kind), faults, NULL);
    }
  return TRUE;
}

static void
handle_api (TillStripeSim *self, SoupServerMessage *msg, const char *path, const char *request_id)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  const char         *method = soup_server_message_get_method (msg);
  const char *idempotency_key = soup_message_headers_get_one (request_headers, "Idempotency-Key");
  const char *version = soup_message_headers_get_one (request_headers, "Stripe-Version");
  g_autoptr (GPtrArray) pairs = NULL;
  g_autoptr (JsonNode) params = NULL;
  g_autofree char *key = NULL;
  g_autofree char *id = NULL;
  g_autoptr (TillSimReply) error = NULL;
  const char *template = NULL;
  TillSimFaults faults;
  AuthResult    auth;
  Route         route;
  Pending      *pending;
  const char   *lock;

  soup_message_headers_replace (response_headers, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace (response_headers, "Stripe-Version",
                                version ? version : till_stripe_sim_get_api_version ());

  if (g_str_equal (method, "OPTIONS"))
    {
      soup_message_headers_replace (response_headers, "Access-Control-Allow-Methods",
                                    "GET, POST, DELETE");
      soup_message_headers_replace (response_headers, "Access-Control-Allow-Headers",
                                    "Authorization, Content-Type, Idempotency-Key, "
                                    "Stripe-Version, Till-Sim-Fault");
      soup_message_headers_replace (response_headers, "Access-Control-Max-Age", "600");
      soup_server_message_set_status (msg, 204, NULL);
      return;
    }

  auth = authenticate (self, msg, &key);
  if (auth == AUTH_FAILED)
    return;
  soup_message_headers_remove (response_headers, "WWW-Authenticate");

  /* Decided before anything else runs, idempotency included (FACTS: "429 is decided before
   * idempotency"). The clock moved by till_stripe_sim_advance_clock () moves it too. */
  if (!till_sim_rate_limit_take (
          self->rate_limit, g_get_monotonic_time () + (gint64) self->clock_offset * G_USEC_PER_SEC))
    {
      g_debug ("rate limit: %s refused (%u a second)", request_id,
               till_sim_rate_limit_get (self->rate_limit));
      send_rate_limited (msg);
      return;
    }

  if (!next_faults (self, msg, &faults))
    return;
  if (faults.status == 429)
    {
      send_rate_limited (msg);
      return;
    }
  if (faults.status == 409)
    {
      g_autoptr (TillSimReply) reply = lock_timeout_reply ();

      soup_message_headers_replace (response_headers, "Stripe-Should-Retry", "true");
      till_sim_reply_send (msg, reply);
      return;
    }
  if (faults.status != 0)
    {
      soup_message_headers_replace (response_headers, "Stripe-Should-Retry", "true");
      till_sim_send_error (msg, faults.status, "api_error", NULL, NULL,
                           "An unknown error occurred (injected by the simulator).");
      return;
    }

  if (g_str_equal (method, "POST"))
    {
      SoupMessageBody *body = soup_server_message_get_request_body (msg);
      g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
      const char *content_type = soup_message_headers_get_content_type (request_headers, NULL);
      gsize       length;
      const char *data = g_bytes_get_data (bytes, &length);

      if (length > 0 && g_strcmp0 (content_type, "application/x-www-form-urlencoded") != 0)
        {
          g_autofree char *message =
              g_strdup_printf ("Invalid request: unsupported Content-Type %s. If error "
                               "persists and you need assistance, please contact "
                               "support@stripe.com.",
                               content_type ? content_type : "(none)");

          till_sim_send_error (msg, 400, "invalid_request_error", NULL, NULL, message);
          return;
        }
      pairs = till_sim_form_decode (data, length);
    }
  else if (g_str_equal (method, "GET") || g_str_equal (method, "DELETE"))
    {
      const char *query = g_uri_get_query (soup_server_message_get_uri (msg));

      pairs = till_sim_form_decode (query, query ? strlen (query) : 0);
    }
  else
    pairs = g_ptr_array_new ();

  route = match_route (method, path, &id, &template);
  if (route == ROUTE_NONE)
    {
      g_autofree char *message = g_strdup_printf ("Unrecognized request URL (%s: %s). Please see "
                                                  "https://stripe.com/docs or we can help at "
                                                  "https://support.stripe.com/.",
                                                  method, path);

      till_sim_send_error (msg, 404, "invalid_request_error", NULL, NULL, message);
      return;
    }

  /* Stripe.js's calls: an intent's, by its client secret, and making a PaymentMethod. */
  if (auth == AUTH_PUBLISHABLE && route != ROUTE_RETRIEVE_INTENT && route != ROUTE_CONFIRM_INTENT &&
      route != ROUTE_CREATE_PAYMENT_METHOD)
    {
      till_sim_send_error (msg, 401, "invalid_request_error", "secret_key_required", NULL,
                           "This API call cannot be made with a publishable API key. Please use a "
                           "secret API key. You can find a list of your API keys at "
                           "https://dashboard.stripe.com/account/apikeys.");
      return;
    }

  params = till_sim_form_build_tree (pairs, &error);
  if (params == NULL)
    {
      till_sim_reply_send (msg, error);
      return;
    }
  error = till_sim_schema_validate (g_str_equal (method, "GET")      ? "get"
                                    : g_str_equal (method, "DELETE") ? "delete"
                                                                     : "post",
                                    template, params);
  if (error != NULL)
    {
      till_sim_reply_send (msg, error);
      return;
    }

  if (idempotency_key != NULL && g_str_equal (method, "POST"))
    {
      g_autofree char *fingerprint = NULL;
      g_autoptr (TillSimReply) saved = NULL;
      g_autofree char *original = NULL;

      soup_message_headers_replace (response_headers, "Idempotency-Key", idempotency_key);
      if (strlen (idempotency_key) > 255 || *idempotency_key == '\0')
        {
          till_sim_send_error (
              msg, 400, "invalid_request_error", NULL, NULL,
              "Idempotency-Key must be a non-empty string of at most 255 characters.");
          return;
        }

      fingerprint = till_sim_form_fingerprint (method, path, pairs);
      switch (till_sim_idempotency_begin (self->idempotency, key, idempotency_key, fingerprint,
                                          &saved, &original))
        {
          case TILL_SIM_IDEMPOTENCY_NEW:
            break;
          case TILL_SIM_IDEMPOTENCY_REPLAY:
            soup_message_headers_replace (response_headers, "Idempotent-Replayed", "true");
            soup_message_headers_replace (response_headers, "Original-Request", original);
            till_sim_reply_send (msg, saved);
            return;
          case TILL_SIM_IDEMPOTENCY_MISMATCH:
            {
              g_autofree char *message = g_strdup_printf (
                  "Keys for idempotent requests can only be used with the same "
                  "parameters they were first used with. Try using a key other "
                  "than '%s' if you meant to execute a different request.",
                  g_utf8_validate (idempotency_key, -1, NULL) ? idempotency_key : "(not UTF-8)");

              soup_message_headers_replace (response_headers, "Stripe-Should-Retry", "false");
              till_sim_send_error (msg, 400, "idempotency_error", NULL, NULL, message);
              return;
            }
          case TILL_SIM_IDEMPOTENCY_IN_FLIGHT:
          default:
            soup_message_headers_replace (response_headers, "Stripe-Should-Retry", "true");
            till_sim_send_error (
                msg, 409, "idempotency_error", "idempotency_key_in_use", NULL,
                "There is currently another in-progress request using this idempotency "
                "key (that probably means you submitted twice, and the other request is "
                "still going through). Please try again later.");
            return;
        }
    }

  pending = g_new0 (Pending, 1);
  pending->self = self;
  pending->msg = g_object_ref (msg);
  pending->route = route;
  pending->id = g_steal_pointer (&id);
  pending->params = g_steal_pointer (&params);
  pending->request_id = g_strdup (request_id);
  pending->key = g_steal_pointer (&key);
  if (g_str_equal (method, "POST"))
    pending->idempotency_key = g_strdup (idempotency_key);
  pending->publishable = auth == AUTH_PUBLISHABLE;
  pending->faults = faults;

  /* While a (delayed) request changes an object, others that would change it get Stripe's
   * 409 lock_timeout; it is not kept for replays, so a retry runs. */
  lock = locked_object (route, pending->id, pending->params);
  if (lock != NULL && g_hash_table_contains (self->locks, lock))
    {
      g_autoptr (TillSimReply) reply = lock_timeout_reply ();

      if (pending->idempotency_key != NULL)
        till_sim_idempotency_end (self->idempotency, pending->key, pending->idempotency_key, reply,
                                  request_id);
      soup_message_headers_replace (response_headers, "Stripe-Should-Retry", "true");
      till_sim_reply_send (msg, reply);
      pending_free (pending);
      return;
    }

  if (faults.delay_ms > 0)
    {
      if (lock != NULL)
        {
          pending->lock = g_strdup (lock);
          g_hash_table_add (self->locks, g_strdup (lock));
        }
      soup_server_message_pause (msg);
      pending->timer = till_sim_timeout_source_new (faults.delay_ms, on_delay_done, pending);
      g_hash_table_add (self->pending, pending);
      return;
    }

  execute (pending);
  pending_free (pending);
}

/* --- control endpoints (/_sim/) ------------------------------------------------------ */

/* Only with faults enabled, and the secret key; otherwise answers why. */
static gboolean
control_allowed (TillStripeSim *self, SoupServerMessage *msg)
{
  g_autofree char *key = NULL;

  if (!self->faults_enabled)
    {
      till_sim_send_error (msg, 404, "invalid_request_error", NULL, NULL,
                           "Fault injection is not enabled in this simulator.");
      return FALSE;
    }
  if (authenticate (self, msg, &key) != AUTH_SECRET)
    return FALSE;
  soup_message_headers_remove (soup_server_message_get_response_headers (msg), "WWW-Authenticate");
  return TRUE;
}

static void
handle_fault_control (TillStripeSim *self, SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);

  if (!control_allowed (self, msg))
    return;

  if (g_str_equal (method, "POST"))
    {
      SoupMessageBody *body = soup_server_message_get_request_body (msg);
      g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
      g_autoptr (GPtrArray) pairs = NULL;
      g_autoptr (GError) error = NULL;
      const char   *spec = NULL;
      guint64       count = 1;
      TillSimFaults faults;
      gsize         length;
      const char   *data = g_bytes_get_data (bytes, &length);

      pairs = till_sim_form_decode (data, length);
      for (guint i = 0; i < pairs->len; i++)
        {
          TillSimPair *pair = g_ptr_array_index (pairs, i);

          if (g_str_equal (pair->key, "fault"))
            spec = pair->value;
          else if (g_str_equal (pair->key, "count") &&
                   !g_ascii_string_to_unsigned (pair->value, 10, 1, 1000, &count, NULL))
            {
              till_sim_send_error (msg, 400, "invalid_request_error", NULL, "count",
                                   "count must be between 1 and 1000");
              return;
            }
        }
      if (spec == NULL)
        {
          till_sim_send_error (msg, 400, "invalid_request_error", "parameter_missing", "fault",
                               "Missing required param: fault.");
          return;
        }
      if (!till_sim_faults_parse (spec, &faults, &error))
        {
          till_sim_send_error (msg, 400, "invalid_request_error", NULL, "fault", error->message);
          return;
        }
      for (guint64 i = 0; i < count; i++)
        g_queue_push_tail (&self->fault_queue, g_strdup (spec));
    }
  else if (g_str_equal (method, "DELETE"))
    g_queue_clear_full (&self->fault_queue, g_free);
  else if (!g_str_equal (method, "GET"))
    {
      till_sim_send_error (msg, 405, "invalid_request_error", NULL, NULL,
                           "Use GET, POST or DELETE.");
      return;
    }

  {
    g_autoptr (GString) body = g_string_new (NULL);
    g_autoptr (TillSimReply) reply = NULL;
    char rate[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append_printf (body,
                            "{\n  \"object\": \"sim_faults\",\n  \"queued\": %u,\n"
                            "  \"delayed_requests\": %u,\n  \"random_rate\": %s,\n"
                            "  \"injected\": {",
                            self->fault_queue.length, g_hash_table_size (self->pending),
                            g_ascii_dtostr (rate, sizeof rate, self->random_rate));
    for (guint i = 0; self->random_kinds != NULL && i < self->random_kinds->len; i++)
      g_string_append_printf (body, "%s\n    \"%s\": %u", i > 0 ? "," : "",
                              (const char *) g_ptr_array_index (self->random_kinds, i),
                              self->random_counts[i]);
    g_string_append (body, self->random_kinds != NULL ? "\n  }\n}\n" : "}\n}\n");
    reply = till_sim_reply_new_text (200, body->str);
    till_sim_reply_send (msg, reply);
  }
}

/* DELETE /_sim/idempotency: every saved key forgotten, as Stripe may a day after a key's
 * first use, so that a client's handling of it can be tested without waiting a day. */
static void
handle_idempotency_control (TillStripeSim *self, SoupServerMessage *msg)
{
  g_autofree char *body = NULL;
  g_autoptr (TillSimReply) reply = NULL;

  if (!control_allowed (self, msg))
    return;
  if (!g_str_equal (soup_server_message_get_method (msg), "DELETE"))
    {
      till_sim_send_error (msg, 405, "invalid_request_error", NULL, NULL, "Use DELETE.");
      return;
    }
  body = g_strdup_printf ("{\n  \"object\": \"sim_idempotency\",\n  \"forgotten\": %u\n}\n",
                          till_sim_idempotency_forget (self->idempotency));
  reply = till_sim_reply_new_text (200, body);
  till_sim_reply_send (msg, reply);
}

/* POST /_sim/readers/{id} with status=offline or online: a reader unplugged or back. */
static void
handle_reader_control (TillStripeSim *self, SoupServerMessage *msg, const char *id)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GPtrArray) pairs = NULL;
  g_autoptr (TillSimResult) result = NULL;
  g_autoptr (TillSimReply) reply = NULL;
  const char *status = NULL;
  gsize       length;
  const char *data;

  if (!control_allowed (self, msg))
    return;
  if (!g_str_equal (soup_server_message_get_method (msg), "POST"))
    {
      till_sim_send_error (msg, 405, "invalid_request_error", NULL, NULL, "Use POST.");
      return;
    }
  bytes = soup_message_body_flatten (body);
  data = g_bytes_get_data (bytes, &length);
  pairs = till_sim_form_decode (data, length);
  for (guint i = 0; i < pairs->len; i++)
    {
      TillSimPair *pair = g_ptr_array_index (pairs, i);

      if (g_str_equal (pair->key, "status"))
        status = pair->value;
    }
  if (g_strcmp0 (status, "offline") != 0 && g_strcmp0 (status, "online") != 0)
    {
      till_sim_send_error (msg, 400, "invalid_request_error", NULL, "status",
                           "status must be offline or online");
      return;
    }
  if (!till_sim_terminal_set_offline (self->terminal, id, g_str_equal (status, "offline")))
    {
      g_autofree char *message = g_strdup_printf ("No such reader: '%s'", id);

      till_sim_send_error (msg, 404, "invalid_request_error", "resource_missing", NULL, message);
      return;
    }
  result = till_sim_result_new_object (200, TILL_SIM_OBJECT_READER,
                                       till_sim_terminal_lookup_reader (self->terminal, id));
  reply = till_sim_render_result (self->state, result);
  till_sim_reply_send (msg, reply);
}

/* --- the server ---------------------------------------------------------------------- */

static void
handle_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  TillStripeSim   *self = user_data;
  g_autofree char *request_id = till_sim_random_id ("req_", 14);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Request-Id",
                                request_id);

  if (g_str_equal (path, "/v1") || g_str_has_prefix (path, "/v1/"))
    handle_api (self, msg, path, request_id);
  else if (g_str_equal (path, "/v3") || g_str_has_prefix (path, "/v3/"))
    till_sim_pages_serve_asset (msg, path, self->signals_origin);
  else if (g_str_has_prefix (path, "/sim/3ds/") || g_str_has_prefix (path, "/sim/redirect/"))
    {
      till_sim_pages_handle_challenge (self->state, self->webhooks, self->base_uri,
                                       self->issuer_origin, msg, path, request_id);
      prune (self);
    }
  else if (g_str_equal (path, "/_sim/faults"))
    handle_fault_control (self, msg);
  else if (g_str_equal (path, "/_sim/idempotency"))
    handle_idempotency_control (self, msg);
  else if (g_str_has_prefix (path, "/_sim/readers/") && strchr (path + 14, '/') == NULL &&
           path[14] != '\0')
    handle_reader_control (self, msg, path + 14);
  else
    {
      g_autofree char *message = g_strdup_printf ("Unrecognized request URL (%s: %s). Please see "
                                                  "https://stripe.com/docs or we can help at "
                                                  "https://support.stripe.com/.",
                                                  soup_server_message_get_method (msg), path);

      till_sim_send_error (msg, 404, "invalid_request_error", NULL, NULL, message);
    }
}

/* The card issuer's origin. */
static void
handle_issuer_request (SoupServer        *server,
                       SoupServerMessage *msg,
                       const char        *path,
                       GHashTable        *query,
                       gpointer           user_data)
{
  TillStripeSim   *self = user_data;
  g_autofree char *stripe_origin = g_strndup (self->base_uri, strlen (self->base_uri) - 1);

  till_sim_pages_handle_issuer (self->state, stripe_origin, msg, path);
}

/* The fraud-signals origin. */
static void
handle_signals_request (SoupServer        *server,
                        SoupServerMessage *msg,
                        const char        *path,
                        GHashTable        *query,
                        gpointer           user_data)
{
  till_sim_pages_handle_signals (msg, path);
}

static char *
format_origin (GInetAddress *address, guint port)
{
  g_autofree char *text = g_inet_address_to_string (address);

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("http://[%s]:%u", text, port);
  return g_strdup_printf ("http://%s:%u", text, port);
}

/* Another origin on @address (any free port), answered by @callback. */
static gboolean
listen_page_origin (TillStripeSim     *self,
                    GInetAddress      *address,
                    SoupServerCallback callback,
                    SoupServer       **server,
                    TillHttpListener **listener,
                    char             **origin,
                    GError           **error)
{
  g_autoptr (GSocketAddress) socket_address = g_inet_socket_address_new (address, 0);
  TillHttpLimits limits = TILL_HTTP_LIMITS_INIT;

  limits.max_per_peer = 0;
  *server = soup_server_new ("server-header", "till-stripe-sim", NULL);
  soup_server_add_handler (*server, NULL, callback, self, NULL);
  *listener =
      till_http_listener_new (*server, &limits, "Too many connections; try again in a moment.\n");
  if (!till_http_listener_listen (*listener, socket_address, error))
    {
      g_clear_object (listener);
      g_clear_object (server);
      return FALSE;
    }
  *origin = format_origin (address, till_http_listener_get_port (*listener));
  return TRUE;
}

static void
handle_early (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_message_headers_get_content_length (headers) > MAX_BODY)
    {
      g_autofree char *request_id = till_sim_random_id ("req_", 14);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Request-Id",
                                    request_id);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                    "close");
      till_sim_send_error (msg, 413, "invalid_request_error", NULL, NULL,
                           "Request bodies are limited to 1 MiB.");
    }
}

/**
 * till_stripe_sim_listen:
 * @host: a numeric address or "localhost"
 * @port: the port, or 0 for any free one (see till_stripe_sim_get_base_uri())
 *
 * Starts serving in the thread-default main context.
 */
gboolean
till_stripe_sim_listen (TillStripeSim *self, const char *host, guint16 port, GError **error)
{
  g_autoptr (GInetAddress) address = NULL;
  g_autoptr (GSocketAddress) socket_address = NULL;
  TillHttpLimits limits = TILL_HTTP_LIMITS_INIT;
  guint          bound_port = 0;

  g_return_val_if_fail (TILL_IS_STRIPE_SIM (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);

  if (self->server != NULL)
    {
      g_set_error_literal (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_LISTEN,
                           _ ("The simulator is already listening"));
      return FALSE;
    }

  if (g_str_equal (host, "localhost"))
    address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      g_set_error (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_LISTEN,
                   _ ("“%s” is not a numeric address"), host);
      return FALSE;
    }

  self->server = soup_server_new ("server-header", "till-stripe-sim", NULL);
  soup_server_add_early_handler (self->server, NULL, handle_early, self, NULL);
  soup_server_add_handler (self->server, NULL, handle_request, self, NULL);

  /* The same time limits as till-server's, and no cap per peer: every client of a simulator
   * is on this computer. Beyond the descriptors, Stripe's own shape of a 503. */
  limits.max_per_peer = 0;
  self->listener = till_http_listener_new (
      self->server, &limits,
      "{\"error\":{\"type\":\"api_error\",\"message\":\"Too many connections; "
      "try again in a moment.\"}}");
  socket_address = g_inet_socket_address_new (address, port);
  if (!till_http_listener_listen (self->listener, socket_address, error))
    {
      g_clear_object (&self->listener);
      g_clear_object (&self->server);
      return FALSE;
    }
  bound_port = till_http_listener_get_port (self->listener);

  /* Live 3-D Secure comes from the card issuer's own origin and Stripe.js's fraud signals
   * from yet another: neither is Stripe's API origin nor the payment page's, so an embedder
   * that only lets those through fails here as it would in live mode. */
  if (!listen_page_origin (self, address, handle_issuer_request, &self->issuer_server,
                           &self->issuer_listener, &self->issuer_origin, error) ||
      !listen_page_origin (self, address, handle_signals_request, &self->signals_server,
                           &self->signals_listener, &self->signals_origin, error))
    {
      till_http_listener_disconnect (self->listener);
      disconnect_page_origins (self);
      g_clear_object (&self->issuer_listener);
      g_clear_object (&self->issuer_server);
      g_clear_object (&self->listener);
      g_clear_object (&self->server);
      return FALSE;
    }
  start_prune_timer (self);

  {
    g_autofree char *origin = format_origin (address, bound_port);

    self->base_uri = g_strconcat (origin, "/", NULL);
  }
  return TRUE;
}
