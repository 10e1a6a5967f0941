/* till-client-private.h: TillClient's connection probe, for tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-client.h"

G_BEGIN_DECLS

/* A lost server, or one back again, is shown within this long: one probe interval and one
 * probe's own timeout. */
#define TILL_CLIENT_NOTICE_BUDGET_MS 2000

/* Probes started so far, how long the last one waited after the previous event before it
 * started (0: at once, e.g. by till_client_reconnect()), and how long a probe may take. */
void till_client_get_probe_stats (TillClient *self,
                                  guint      *n_probes,
                                  guint      *last_delay_ms,
                                  guint      *timeout_ms);

G_END_DECLS
