/* till-stripe-sim-render-private.h: the simulator's objects and results as Stripe's JSON.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rendering depends on the state's types; the state never renders (tests/check-sim-layers.sh).
 */
#pragma once

#include "till-stripe-sim-state-private.h"

G_BEGIN_DECLS

/* The API version whose shapes these are (till_stripe_sim_get_api_version ()). */
#define TILL_SIM_API_VERSION "2020-08-27"
/* The first version in which a PaymentIntent has no `charges` list and a Charge no `refunds`
 * list (https://docs.stripe.com/changelog/2022-11-15). */
#define TILL_SIM_API_VERSION_NO_CHARGES "2022-11-15"
/* A current version, as a webhook endpoint made in the Dashboard today has: the default of
 * the simulator's webhook endpoint. */
#define TILL_SIM_API_VERSION_CURRENT "2024-06-20"

/* @expand lists expanded fields, or NULL. */
JsonNode *till_sim_render_intent (TillSimState *state, TillSimIntent *intent, GPtrArray *expand);
JsonNode *till_sim_render_charge (TillSimState *state, TillSimCharge *charge, GPtrArray *expand);
JsonNode *till_sim_render_refund (TillSimState *state, TillSimRefund *refund, GPtrArray *expand);
JsonNode *till_sim_render_payment_method (TillSimPaymentMethod *pm);
/* @api_version: the version data.object is rendered in (a webhook endpoint's, or the
 * account's for the API); checked by till_sim_render_api_version_valid (). */
JsonNode *till_sim_render_event (TillSimEvent *event, const char *api_version);
/* Whether the simulator can render @api_version: "2020-08-27" or any later "YYYY-MM-DD",
 * with or without a release name ("2024-09-30.acacia"). */
gboolean till_sim_render_api_version_valid (const char *api_version);

/* The TillSimSnapshotFunc the pipeline gives the state. */
JsonNode *
till_sim_render_snapshot (TillSimState *state, TillSimObjectType type, gconstpointer object);
/* A result of the state as the answer sent to the client. */
TillSimReply *till_sim_render_result (TillSimState *state, const TillSimResult *result);

G_END_DECLS
