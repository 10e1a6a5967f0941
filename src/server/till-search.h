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
char     *till_search_key     (const char *text);
/* Opens what till_search_key () needs, which takes from 10 ms to a few hundred (ICU's data
 * read from disk): a server does it before it serves, not in its first request that needs
 * it. FALSE if ICU cannot (till_search_key () then only folds case). */
gboolean  till_search_prepare (void);

G_END_DECLS
