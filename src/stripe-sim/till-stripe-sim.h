/* till-stripe-sim.h: the Stripe simulator, embeddable in till-server --training.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A TillStripeSim is a stateful, wire-compatible stand-in for api.stripe.com (the subset
 * Till uses) and js.stripe.com/v3/. It serves HTTP on a loopback address of your choice
 * from the thread-default main context that is current when till_stripe_sim_listen() is
 * called; every callback, timer and webhook delivery runs there (to run it on a thread of
 * its own, push a context as that thread's default, then listen and run the context).
 * Use it from that thread only. It only ever accepts test keys: a live key (sk_live_,
 * rk_live_, pk_live_) is refused when the simulator is created and on every request.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TILL_STRIPE_SIM_ERROR (till_stripe_sim_error_quark ())

typedef enum
{
  TILL_STRIPE_SIM_ERROR_LIVE_KEY,    /* a live key was offered: never allowed */
  TILL_STRIPE_SIM_ERROR_INVALID_KEY, /* not a Stripe test key */
  TILL_STRIPE_SIM_ERROR_INVALID_WEBHOOK,
  TILL_STRIPE_SIM_ERROR_LISTEN,
} TillStripeSimError;

/* Stripe's rate limit in test mode, API requests a second (docs.stripe.com/rate-limits). */
#define TILL_STRIPE_SIM_TEST_MODE_RATE_LIMIT 25
/* The highest limit till_stripe_sim_set_rate_limit () takes. */
#define TILL_STRIPE_SIM_MAX_RATE_LIMIT 100000

/* till_stripe_sim_set_retention()'s default count of events (no other limit by default). */
#define TILL_STRIPE_SIM_DEFAULT_MAX_EVENTS 10000

#define TILL_TYPE_STRIPE_SIM (till_stripe_sim_get_type ())
G_DECLARE_FINAL_TYPE (TillStripeSim, till_stripe_sim, TILL, STRIPE_SIM, GObject)

GQuark till_stripe_sim_error_quark (void);

/* The Stripe API version the simulator speaks (the one Till pins). */
const char *till_stripe_sim_get_api_version (void);

gboolean till_stripe_sim_check_key (const char *key, GError **error);

TillStripeSim *till_stripe_sim_new (const char *secret_key, GError **error);

gboolean till_stripe_sim_set_webhook (TillStripeSim *self,
                                      const char    *url,
                                      const char    *secret,
                                      GError       **error);
gboolean till_stripe_sim_set_webhook_api_version (TillStripeSim *self,
                                                  const char    *api_version,
                                                  GError       **error);
void
till_stripe_sim_set_webhook_retry (TillStripeSim *self, guint first_delay_ms, guint max_attempts);
void     till_stripe_sim_set_retention (TillStripeSim *self,
                                        guint          max_age_seconds,
                                        guint          max_intents,
                                        guint          max_events,
                                        guint          max_idempotency_keys);
void     till_stripe_sim_set_rate_limit (TillStripeSim *self, guint per_second);
guint    till_stripe_sim_get_rate_limit (TillStripeSim *self);
void     till_stripe_sim_set_faults_enabled (TillStripeSim *self, gboolean enabled);
void     till_stripe_sim_set_moto_enabled (TillStripeSim *self, gboolean enabled);
gboolean till_stripe_sim_get_faults_enabled (TillStripeSim *self);
gboolean till_stripe_sim_set_random_faults (
    TillStripeSim *self, double rate, const char *kinds, guint32 seed, GError **error);

gboolean
till_stripe_sim_listen (TillStripeSim *self, const char *host, guint16 port, GError **error);
const char *till_stripe_sim_get_base_uri (TillStripeSim *self);
const char *till_stripe_sim_get_issuer_origin (TillStripeSim *self);
const char *till_stripe_sim_get_signals_origin (TillStripeSim *self);
char       *till_stripe_sim_dup_js_uri (TillStripeSim *self);
guint       till_stripe_sim_get_pending_webhooks (TillStripeSim *self);
void        till_stripe_sim_disconnect (TillStripeSim *self);

G_END_DECLS
