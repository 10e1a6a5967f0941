/* till-server-selftest.h: `till-server selftest`, a smoke test against Stripe with a test key.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-server-config.h"

G_BEGIN_DECLS

typedef struct
{
  const char *webhook_url;  /* nullable: the server's own, from [server] listen */
  guint       webhook_wait; /* seconds to wait for Stripe's delivery */
  gboolean    skip_webhook;
} TillSelftestOptions;

/* Runs the smoke test with @config (loaded, not yet validated); prints each step on stdout
 * and failures on stderr. Returns the exit status: 0 passed, 1 a check failed, 2 bad
 * configuration (nothing sent to Stripe). */
int till_server_selftest_run (TillServerConfig *config, const TillSelftestOptions *options);

G_END_DECLS
