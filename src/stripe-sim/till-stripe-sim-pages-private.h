/* till-stripe-sim-pages-private.h: the pages the simulator serves besides the API.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-stripe-sim-webhooks-private.h"

G_BEGIN_DECLS

/* GET /v3/…: the Stripe.js stand-in and its card form. */
void till_sim_pages_serve_asset (SoupServerMessage *msg, const char *path);

/* /sim/3ds/<intent>/<nonce>[/complete|/fail]: the 3-D Secure challenge. */
void till_sim_pages_handle_challenge (TillSimState      *state,
                                      TillSimWebhooks   *webhooks,
                                      const char        *base_uri,
                                      SoupServerMessage *msg,
                                      const char        *path,
                                      const char        *request_id);

G_END_DECLS
