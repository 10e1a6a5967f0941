/* till-search-key.h: folding text for accent- and case-insensitive search.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Lower case, accents removed, Turkish İ/ı/I/i all folded to "i", "ß" to "ss".
 * The same fold applies to product keys and to what the cashier types, so
 * "ISTANBUL", "istanbul" and "İstanbul" find each other and "kasik" finds "Kaşık". */
char *till_search_fold (const char *text);
/* Whether @key (a folded product key) contains every one of @words (folded). */
gboolean till_search_key_matches (const char *key, const char *const *words);

G_END_DECLS
