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

G_END_DECLS
