/* till-kiosk-policies.h: each kiosk terminal's policy (the kiosk_policies table): how long
 * it waits for a customer, its attendant PIN as a salted hash, the tenders it takes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-database.h"

G_BEGIN_DECLS

/* Seconds without a touch before "Are you still there?", and how long that asks. */
#define TILL_KIOSK_IDLE_TIMEOUT_DEFAULT 60
#define TILL_KIOSK_IDLE_TIMEOUT_MIN 15
#define TILL_KIOSK_IDLE_TIMEOUT_MAX 3600
#define TILL_KIOSK_COUNTDOWN_DEFAULT 20
#define TILL_KIOSK_COUNTDOWN_MIN 5
#define TILL_KIOSK_COUNTDOWN_MAX 120

typedef struct
{
  gint64  terminal_id;
  guint   idle_timeout; /* seconds */
  guint   countdown;    /* seconds */
  GStrv   tenders;      /* "card", "cash": at least one, each once */
  GBytes *pin_salt;     /* NULL: no PIN, the attendant's exit never opens */
  GBytes *pin_hash;     /* till_pin_hash () */
  guint   pin_iterations;
} TillKioskPolicy;

TillKioskPolicy *till_kiosk_policy_new (gint64 terminal_id);
void             till_kiosk_policy_free (TillKioskPolicy *policy);

/* Sets (NULL: removes) the PIN: 4 to 12 digits, salted and hashed (slow: not on a loop). */
gboolean till_kiosk_policy_set_pin (TillKioskPolicy *policy, const char *pin, GError **error);
/* Checks and sets @tenders. */
gboolean
till_kiosk_policy_set_tenders (TillKioskPolicy *policy, const char *const *tenders, GError **error);
/* G_IO_ERROR_INVALID_ARGUMENT when a number is out of its range. */
gboolean till_kiosk_policy_check (const TillKioskPolicy *policy, GError **error);

/* The policy of kiosk terminal @terminal_id: the defaults when none was set. */
TillKioskPolicy *till_kiosk_policy_load (TillDatabase *db, gint64 terminal_id, GError **error);
gboolean till_kiosk_policy_save (TillDatabase *db, const TillKioskPolicy *policy, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillKioskPolicy, till_kiosk_policy_free)

G_END_DECLS
