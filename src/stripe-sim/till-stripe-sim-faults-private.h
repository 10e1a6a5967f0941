/* till-stripe-sim-faults-private.h: fault injection for tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What can go wrong with one request, from the Till-Sim-Fault header or the control
 * endpoint: "drop-after", "500", "502", "503", "429", "lock-timeout" (Stripe's 409 for an
 * object another request holds), "delay=N" (ms),
 * "duplicate-webhook", "reorder-webhooks", "lose-webhook", "reader-timeout" or
 * "reader-timeout=N" (a reader's process_payment_intent fails with terminal_reader_timeout,
 * after N ms), or "none"; several separated by commas. */
typedef struct
{
  guint    status;     /* 0, or 409/429/500/502/503 answered instead of running */
  guint    delay_ms;   /* hold the request (and its idempotency key) this long */
  gboolean drop_after; /* run the request, then drop the connection unanswered */
  gboolean duplicate_webhooks;
  gboolean reorder_webhooks;
  gboolean lose_webhooks; /* the request's events are never delivered */
  gboolean reader_timeout;
  guint    reader_timeout_ms;
} TillSimFaults;

gboolean till_sim_faults_parse (const char *spec, TillSimFaults *faults, GError **error);
void     till_sim_faults_merge (TillSimFaults *faults, const TillSimFaults *other);

/* Stripe's basic rate limiter for one account: at most @per_second requests start in any
 * second (a sliding window of their start times); 0 for no limit. */
typedef struct _TillSimRateLimit TillSimRateLimit;

TillSimRateLimit *till_sim_rate_limit_new (guint per_second);
void              till_sim_rate_limit_free (TillSimRateLimit *self);
guint             till_sim_rate_limit_get (TillSimRateLimit *self);
/* Counts a request starting at @now_us (monotonic) and returns TRUE, or FALSE (nothing
 * counted) when @per_second requests started in the second before it. */
gboolean till_sim_rate_limit_take (TillSimRateLimit *self, gint64 now_us);
/* How many requests were refused since the limiter was made. */
guint till_sim_rate_limit_get_refused (TillSimRateLimit *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillSimRateLimit, till_sim_rate_limit_free)

G_END_DECLS
