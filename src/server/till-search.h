/* till-search.h: the key products are searched by, case- and accent-insensitive.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Folds @text for matching: marks removed, Latin letters reduced to ASCII (ß → ss,
 * ı → i, İ → i), lower case. Both the stored key and the query go through it, so
 * "ıstanbul", "ISTANBUL" and "İstanbul" all find "İstanbul Simidi". Never NULL. */
char *till_search_key (const char *text);
/* Opens what till_search_key () needs, which its first call does otherwise: it reads ICU's
 * data, from disk if need be, so a server does it on a thread. FALSE if ICU cannot
 * (till_search_key () then only folds case). */
gboolean till_search_prepare (void);
/* Whether that was done (whether ICU could or not); from any thread. */
gboolean till_search_is_prepared (void);

G_END_DECLS
