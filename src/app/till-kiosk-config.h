/* till-kiosk-config.h: a kiosk terminal's policy as its server sends it (GET /api/v1/config's
 * "kiosk"): idle times, tenders and the attendant PIN's salted hash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint   idle_timeout; /* seconds */
  guint   countdown;    /* seconds */
  GStrv   tenders;
  GBytes *pin_salt; /* NULL: no PIN, the attendant's exit never opens */
  GBytes *pin_hash;
  guint   pin_iterations;
} TillKioskConfig;

/* The defaults a kiosk keeps when its server's policy cannot be read: locked, no PIN. */
TillKioskConfig *till_kiosk_config_new (void);
/* @object: the configuration's "kiosk" member; what is missing or malformed keeps its
 * default (a malformed PIN: none). */
TillKioskConfig *till_kiosk_config_from_json (JsonObject *object);
TillKioskConfig *till_kiosk_config_copy (const TillKioskConfig *config);
/* @config as till_kiosk_config_from_json () reads it back: the server's "kiosk" member. */
char *till_kiosk_config_to_json (const TillKioskConfig *config);
void  till_kiosk_config_free (TillKioskConfig *config);
/* Both NULL, or the same policy. */
gboolean till_kiosk_config_equal (const TillKioskConfig *a, const TillKioskConfig *b);
gboolean till_kiosk_config_has_pin (const TillKioskConfig *config);
/* Whether @pin is the attendant's. Slow on purpose (PBKDF2): call it off the main loop. */
gboolean till_kiosk_config_check_pin (const TillKioskConfig *config, const char *pin);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillKioskConfig, till_kiosk_config_free)

G_END_DECLS
