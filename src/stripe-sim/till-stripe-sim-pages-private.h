/* till-stripe-sim-pages-private.h: the pages the simulator serves besides the API.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-stripe-sim-webhooks-private.h"

G_BEGIN_DECLS

/* GET /v3/…: the Stripe.js stand-in and its card form; the frame around the fraud-signals
 * frame names @signals_origin. */
void
till_sim_pages_serve_asset (SoupServerMessage *msg, const char *path, const char *signals_origin);

/* /sim/3ds/<intent>/<nonce>[/complete|/fail]: Stripe's frame around the issuer's 3-D Secure
 * challenge (served by @issuer_origin), and where the challenge answers. */
void till_sim_pages_handle_challenge (TillSimState      *state,
                                      TillSimWebhooks   *webhooks,
                                      const char        *base_uri,
                                      const char        *issuer_origin,
                                      SoupServerMessage *msg,
                                      const char        *path,
                                      const char        *request_id);

/* The card issuer's origin: /acs/<intent>/<nonce>[/method] and its files; the challenge
 * answers to Stripe at @stripe_origin. */
void till_sim_pages_handle_issuer (TillSimState      *state,
                                   const char        *stripe_origin,
                                   SoupServerMessage *msg,
                                   const char        *path);

/* The fraud-signals origin: /inner.html. */
void till_sim_pages_handle_signals (SoupServerMessage *msg, const char *path);

G_END_DECLS
