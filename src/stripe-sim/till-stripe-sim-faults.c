/* till-stripe-sim-faults.c: parsing of fault specifications, and Stripe's rate limiter.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-stripe-sim-faults-private.h"

#define MAX_DELAY_MS 60000

gboolean
till_sim_faults_parse (const char *spec, TillSimFaults *faults, GError **error)
{
  g_auto (GStrv) parts = NULL;

  memset (faults, 0, sizeof *faults);
  if (spec == NULL)
    return TRUE;

  parts = g_strsplit (spec, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *part = g_strstrip (parts[i]);

      if (*part == '\0' || g_str_equal (part, "none"))
        continue;
      if (g_str_equal (part, "drop-after"))
        faults->drop_after = TRUE;
      else if (g_str_equal (part, "500") || g_str_equal (part, "502") ||
               g_str_equal (part, "503") || g_str_equal (part, "429"))
        faults->status = (guint) g_ascii_strtoull (part, NULL, 10);
      else if (g_str_equal (part, "lock-timeout"))
        faults->status = 409;
      else if (g_str_has_prefix (part, "delay="))
        {
          guint64 ms;

          if (!g_ascii_string_to_unsigned (part + strlen ("delay="), 10, 0, MAX_DELAY_MS, &ms,
                                           NULL))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "delay must be a number of milliseconds up to %d", MAX_DELAY_MS);
              return FALSE;
            }
          faults->delay_ms = ms;
        }
      else if (g_str_equal (part, "duplicate-webhook") || g_str_equal (part, "duplicate-webhooks"))
        faults->duplicate_webhooks = TRUE;
      else if (g_str_equal (part, "reorder-webhooks") || g_str_equal (part, "reorder-webhook"))
        faults->reorder_webhooks = TRUE;
      else if (g_str_equal (part, "lose-webhook") || g_str_equal (part, "lose-webhooks"))
        faults->lose_webhooks = TRUE;
      else if (g_str_equal (part, "reader-timeout"))
        faults->reader_timeout = TRUE;
      else if (g_str_has_prefix (part, "reader-timeout="))
        {
          guint64 ms;

          if (!g_ascii_string_to_unsigned (part + strlen ("reader-timeout="), 10, 0, MAX_DELAY_MS,
                                           &ms, NULL))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "reader-timeout must be a number of milliseconds up to %d",
                           MAX_DELAY_MS);
              return FALSE;
            }
          faults->reader_timeout = TRUE;
          faults->reader_timeout_ms = ms;
        }
      else
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "unknown fault “%s” (known: drop-after, 500, 502, 503, 429, lock-timeout, "
                       "delay=N, duplicate-webhook, reorder-webhooks, lose-webhook, "
                       "reader-timeout[=N], none)",
                       part);
          return FALSE;
        }
    }
  return TRUE;
}

void
till_sim_faults_merge (TillSimFaults *faults, const TillSimFaults *other)
{
  if (other->status != 0)
    faults->status = other->status;
  faults->delay_ms = MAX (faults->delay_ms, other->delay_ms);
  faults->drop_after |= other->drop_after;
  faults->duplicate_webhooks |= other->duplicate_webhooks;
  faults->reorder_webhooks |= other->reorder_webhooks;
  faults->lose_webhooks |= other->lose_webhooks;
  if (other->reader_timeout)
    {
      faults->reader_timeout = TRUE;
      faults->reader_timeout_ms = MAX (faults->reader_timeout_ms, other->reader_timeout_ms);
    }
}

/* Stripe's basic rate limiter: "100 operations a second per account in live mode, 25 in
 * test mode" (docs.stripe.com/rate-limits), whatever the endpoint or key. A window, not a
 * bucket: a client that keeps to N starts in any second is never refused. */
struct _TillSimRateLimit
{
  guint   per_second;
  gint64 *starts; /* a ring of the last per_second start times (µs) */
  guint   next;   /* the oldest of them, overwritten by the next start */
  guint   refused;
};

TillSimRateLimit *
till_sim_rate_limit_new (guint per_second)
{
  TillSimRateLimit *self = g_new0 (TillSimRateLimit, 1);

  self->per_second = per_second;
  self->starts = g_new (gint64, MAX (per_second, 1));
  for (guint i = 0; i < MAX (per_second, 1); i++)
    self->starts[i] = G_MININT64 / 2;
  return self;
}

void
till_sim_rate_limit_free (TillSimRateLimit *self)
{
  if (self == NULL)
    return;
  g_free (self->starts);
  g_free (self);
}

guint
till_sim_rate_limit_get (TillSimRateLimit *self)
{
  return self->per_second;
}

gboolean
till_sim_rate_limit_take (TillSimRateLimit *self, gint64 now_us)
{
  if (self->per_second == 0)
    return TRUE;
  if (now_us - self->starts[self->next] < G_USEC_PER_SEC)
    {
      self->refused++;
      return FALSE;
    }
  self->starts[self->next] = now_us;
  self->next = (self->next + 1) % self->per_second;
  return TRUE;
}

guint
till_sim_rate_limit_get_refused (TillSimRateLimit *self)
{
  return self->refused;
}
