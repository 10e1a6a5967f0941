/* till-api-private.h: what the parts of till-api share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "till-api.h"
#include "till-orders.h"
#include "till-stripe-client.h"
#include "till-terminals.h"

G_BEGIN_DECLS

/* Responses. Every API answer goes through these, which also set the security headers. */
void      till_api_send_json    (SoupServerMessage *msg,
                                 guint              status,
                                 JsonNode          *node);
/* Takes @text, written by a TillJsonWriter. */
void      till_api_send_written (SoupServerMessage *msg,
                                 guint              status,
                                 GString           *text);
void      till_api_send_error   (SoupServerMessage *msg,
                                 const GError      *error);
void      till_api_send_text    (SoupServerMessage *msg,
                                 guint              status,
                                 const char        *content_type,
                                 const char        *text,
                                 gsize              length);

/* For tests of the group commit: checkouts waiting for their transaction, and holding them
 * back (they are all stored in one transaction when released). */
guint     till_api_get_pending_checkouts (TillApi  *self);
void      till_api_hold_checkouts        (TillApi  *self,
                                          gboolean  hold);
/* For tests: page reads that run on threads (till-api.c, read_page ()) wait before reading
 * while held; how many wait. */
void      till_api_hold_page_reads       (TillApi  *self,
                                          gboolean  hold);
guint     till_api_get_held_page_reads   (TillApi  *self);
/* For tests: exports of orders.csv whose thread is running. */
guint     till_api_get_running_exports   (void);
/* For tests: how long an export waits for a client that takes nothing (60 s). */
void      till_api_set_export_stall_timeout (TillApi *self,
                                             guint    timeout_ms);
/* For tests: failed authentications a peer address may have in a window (20 in 60 s) before
 * its requests get 429 until the window ends, and how many addresses are remembered at most
 * (4096); how many are. */
void      till_api_set_auth_throttle     (TillApi  *self,
                                          guint     max_failures,
                                          guint     window_ms,
                                          guint     max_peers);
guint     till_api_get_auth_peers        (TillApi  *self);
/* For tests: writes waiting for another process's write lock (requests, Stripe's answers
 * and a round of the reconciler's). */
guint     till_api_get_waiting_writes    (TillApi  *self);

/* Reports (till-reports.c). */
JsonNode *till_reports_daily    (TillDatabase      *db,
                                 const char        *currency,
                                 GTimeZone         *tz,
                                 const char        *date,
                                 GError           **error);
/* Takes what @out holds (and empties it); FALSE to stop. */
typedef gboolean (*TillCsvFlush) (GString  *out,
                                  gpointer  user_data);
/* The orders (all, or of @status, or made in [@from_us, @to_us)) as CSV, handed to @flush
 * whenever @chunk_size bytes are ready and at the end. */
gboolean  till_reports_write_orders_csv (TillDatabase    *db,
                                         const char      *status,
                                         gint64           from_us,
                                         gint64           to_us,
                                         GTimeZone       *tz,
                                         gsize            chunk_size,
                                         TillCsvFlush     flush,
                                         gpointer         user_data,
                                         GError         **error);

G_END_DECLS
