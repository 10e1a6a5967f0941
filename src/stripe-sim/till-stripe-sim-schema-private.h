/* till-stripe-sim-schema-private.h: request validation from Stripe's OpenAPI subset.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-stripe-sim-private.h"

G_BEGIN_DECLS

/* Loads (once per process) the OpenAPI subset and the simulator's overlay from the
 * GResource. Returns FALSE only if the embedded files are broken. */
gboolean till_sim_schema_ensure (GError **error);

/* Checks @params (the tree of till_sim_form_build_tree()) against the operation
 * @method @path_template ("post", "/v1/payment_intents/{intent}"). Returns NULL when
 * the parameters are valid, else Stripe's 400 invalid_request_error with "param". */
TillSimReply *
till_sim_schema_validate (const char *method, const char *path_template, JsonNode *params);

G_END_DECLS
