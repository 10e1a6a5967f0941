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

/* @expand lists expanded fields, or NULL. */
JsonNode *till_sim_render_intent (TillSimState *state, TillSimIntent *intent, GPtrArray *expand);
JsonNode *till_sim_render_charge (TillSimState *state, TillSimCharge *charge, GPtrArray *expand);
JsonNode *till_sim_render_refund (TillSimState *state, TillSimRefund *refund, GPtrArray *expand);
JsonNode *till_sim_render_payment_method (TillSimPaymentMethod *pm);
JsonNode *till_sim_render_event (TillSimEvent *event);

/* The TillSimSnapshotFunc the pipeline gives the state. */
JsonNode *
till_sim_render_snapshot (TillSimState *state, TillSimObjectType type, gconstpointer object);
/* A result of the state as the answer sent to the client. */
TillSimReply *till_sim_render_result (TillSimState *state, const TillSimResult *result);

G_END_DECLS
