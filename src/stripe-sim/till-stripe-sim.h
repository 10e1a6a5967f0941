/* till-stripe-sim.h: the Stripe simulator, embeddable in till-server --training.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The Stripe API version the simulator speaks (the one Till pins). */
const char *till_stripe_sim_get_api_version (void);

G_END_DECLS
