/* till-decline-words.h: why a card was declined, in plain words, from Stripe's codes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

const char *till_decline_words_lookup (const char *code);
const char *till_decline_words_generic (void);
void        till_decline_words_add_json (JsonBuilder *builder);

G_END_DECLS
