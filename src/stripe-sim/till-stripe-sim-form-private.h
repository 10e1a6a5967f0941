/* till-stripe-sim-form-private.h: application/x-www-form-urlencoded with brackets.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-stripe-sim-private.h"

G_BEGIN_DECLS

typedef struct
{
  char *key;
  char *value;
} TillSimPair;

/* Decodes "a=1&b[c]=2" into a GPtrArray of TillSimPair, in order. */
GPtrArray *till_sim_form_decode (const char *data, gsize length);

/* Builds the parameter tree: JSON objects for "a[b]", arrays for "a[]" and "a[0]", strings
 * for the values. Returns NULL with a 400 reply in @error_reply on malformed input. */
JsonNode *till_sim_form_build_tree (GPtrArray *pairs, TillSimReply **error_reply);

/* A fingerprint of method, path and parameters (order-insensitive across keys, order kept
 * within one key) for idempotency comparisons. */
char *till_sim_form_fingerprint (const char *method, const char *path, GPtrArray *pairs);

G_END_DECLS
