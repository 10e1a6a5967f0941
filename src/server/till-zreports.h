/* till-zreports.h: X and Z reports of a terminal: its sales, refunds, voids and drawer since
 * its last Z. A Z is stored as a snapshot that is never changed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-core.h"
#include "till-database.h"

G_BEGIN_DECLS

/* The report of terminal @terminal_id for what happened after @from_us up to @to_us (unix
 * microseconds), as JSON text (docs/contract.md's Report); @number NULL for an X report. */
char *till_zreports_compute (TillDatabase *db,
                             gint64        terminal_id,
                             const char   *number,
                             gint64        from_us,
                             gint64        to_us,
                             const char   *currency,
                             GError      **error);
/* Makes the terminal's next Z report (numbered for the store: Z-0001) up to now and stores
 * it, in a transaction of its own; once per @request_key (nullable): a key used before gives
 * its report back (*@out_existing TRUE). Returns its JSON text. */
char *till_zreports_make (TillDatabase *db,
                          gint64        terminal_id,
                          const char   *currency,
                          const char   *request_key,
                          gboolean     *out_existing,
                          GError      **error);
/* The Z report the terminal made with @request_key, or NULL (without an error: none). */
char *till_zreports_get_by_key (TillDatabase *db,
                                gint64        terminal_id,
                                const char   *request_key,
                                GError      **error);
/* An X report: the terminal's figures since its last Z, nothing stored. */
char *
till_zreports_current (TillDatabase *db, gint64 terminal_id, const char *currency, GError **error);
/* A stored Z report as it was made, of any terminal (@terminal_id 0) or of that one;
 * TILL_API_ERROR_NOT_FOUND for none. */
char *till_zreports_get (TillDatabase *db, const char *number, gint64 terminal_id, GError **error);
/* Stored Z reports, newest first, from before @before_id (0: the newest), of any terminal
 * (@terminal_id 0) or of that one: element-type utf8 (JSON texts); the id to continue after
 * in *@out_next (0: the last page). */
GPtrArray *till_zreports_list (TillDatabase *db,
                               gint64        terminal_id,
                               gint64        before_id,
                               guint         limit,
                               gint64       *out_next,
                               GError      **error);

G_END_DECLS
