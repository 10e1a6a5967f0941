/* till-training.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-stripe-sim.h"
#include "till-training.h"

#define TRAINING_SECRET_KEY "sk_test_till_training_mode"
#define TRAINING_PUBLISHABLE_KEY "pk_test_till_training_mode"

GObject *
till_training_start (TillServerConfig *config, GError **error)
{
  g_autoptr (TillStripeSim) sim = NULL;

  sim = till_stripe_sim_new (TRAINING_SECRET_KEY, error);
  if (sim == NULL)
    return NULL;
  till_stripe_sim_set_retention (sim, config->training_max_age, config->training_max_intents,
                                 config->training_max_events,
                                 config->training_max_idempotency_keys);
  till_stripe_sim_set_moto_enabled (sim, config->training_moto_approved);
  /* Test keys: Stripe's test-mode limit, which till-server's own (20 a second) keeps under. */
  till_stripe_sim_set_rate_limit (sim, TILL_STRIPE_SIM_TEST_MODE_RATE_LIMIT);
  if (!till_stripe_sim_listen (sim, "127.0.0.1", 0, error))
    return NULL;

  g_free (config->api_base);
  config->api_base = g_strdup (till_stripe_sim_get_base_uri (sim));
  g_free (config->js_url);
  config->js_url = till_stripe_sim_dup_js_uri (sim);
  g_free (config->secret_key);
  config->secret_key = g_strdup (TRAINING_SECRET_KEY);
  g_free (config->publishable_key);
  config->publishable_key = g_strdup (TRAINING_PUBLISHABLE_KEY);
  if (config->webhook_secret == NULL)
    {
      g_autofree char *uuid = g_uuid_string_random ();

      config->webhook_secret = g_strconcat ("whsec_training_", uuid, NULL);
    }
  g_debug ("Training mode: simulator at %s", config->api_base);
  return G_OBJECT (g_steal_pointer (&sim));
}

gboolean
till_training_set_webhook (GObject *sim, const char *url, const char *secret, GError **error)
{
  return till_stripe_sim_set_webhook (TILL_STRIPE_SIM (sim), url, secret, error);
}

void
till_training_stop (GObject *sim)
{
  if (sim != NULL)
    till_stripe_sim_disconnect (TILL_STRIPE_SIM (sim));
}
