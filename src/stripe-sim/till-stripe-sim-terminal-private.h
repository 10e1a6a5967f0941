/* till-stripe-sim-terminal-private.h: Stripe Terminal's locations and smart readers, driven
 * by the API (the server-driven integration).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-stripe-sim-state-private.h"

G_BEGIN_DECLS

typedef struct
{
  char       *id;
  gint64      created;
  char       *display_name;
  JsonObject *address; /* city, country, line1, line2, postal_code, state */
  JsonObject *metadata;
} TillSimLocation;

typedef struct
{
  char       *id;
  gint64      created;
  const char *device_type; /* "simulated_wisepos_e", "simulated_stripe_s700" (static) */
  char       *serial_number;
  char       *label;
  char       *location;
  JsonObject *metadata;
  gboolean    offline;

  /* Its action, the last one: action_type NULL for none. */
  char     *action_type;   /* process_payment_intent, set_reader_display */
  char     *action_status; /* in_progress, succeeded, failed */
  char     *action_failure_code;
  char     *action_failure_message;
  char     *action_intent; /* process_payment_intent's */
  gboolean  action_skip_tipping;
  JsonNode *action_cart;   /* set_reader_display's cart, as given */
  guint     action_serial; /* which action it is, for a timeout meant for it */
} TillSimReader;

typedef struct _TillSimTerminal TillSimTerminal;

TillSimTerminal *till_sim_terminal_new (TillSimState *state);
void             till_sim_terminal_free (TillSimTerminal *terminal);

/* At most @max_each readers and as many locations (the newest), 0 for no limit. Never by
 * age: a shop's reader is registered once and used for years. */
void  till_sim_terminal_set_retention (TillSimTerminal *terminal, guint max_each);
guint till_sim_terminal_prune (TillSimTerminal *terminal);
void  till_sim_terminal_get_counts (TillSimTerminal *terminal, guint *locations, guint *readers);

TillSimResult *till_sim_terminal_create_location (TillSimTerminal *terminal,
                                                  TillSimRequest  *request,
                                                  JsonNode        *params);
TillSimResult *till_sim_terminal_retrieve_location (TillSimTerminal *terminal,
                                                    TillSimRequest  *request,
                                                    const char      *id,
                                                    JsonNode        *params);
TillSimResult *till_sim_terminal_list_locations (TillSimTerminal *terminal,
                                                 TillSimRequest  *request,
                                                 JsonNode        *params);
TillSimResult *till_sim_terminal_create_reader (TillSimTerminal *terminal,
                                                TillSimRequest  *request,
                                                JsonNode        *params);
TillSimResult *till_sim_terminal_retrieve_reader (TillSimTerminal *terminal,
                                                  TillSimRequest  *request,
                                                  const char      *id,
                                                  JsonNode        *params);
TillSimResult *till_sim_terminal_update_reader (TillSimTerminal *terminal,
                                                TillSimRequest  *request,
                                                const char      *id,
                                                JsonNode        *params);
TillSimResult *till_sim_terminal_delete_reader (TillSimTerminal *terminal,
                                                TillSimRequest  *request,
                                                const char      *id,
                                                JsonNode        *params);
TillSimResult *till_sim_terminal_list_readers (TillSimTerminal *terminal,
                                               TillSimRequest  *request,
                                               JsonNode        *params);
TillSimResult *till_sim_terminal_process_payment_intent (TillSimTerminal *terminal,
                                                         TillSimRequest  *request,
                                                         const char      *id,
                                                         JsonNode        *params);
TillSimResult *till_sim_terminal_cancel_action (TillSimTerminal *terminal,
                                                TillSimRequest  *request,
                                                const char      *id,
                                                JsonNode        *params);
TillSimResult *till_sim_terminal_set_reader_display (TillSimTerminal *terminal,
                                                     TillSimRequest  *request,
                                                     const char      *id,
                                                     JsonNode        *params);
TillSimResult *till_sim_terminal_present_payment_method (TillSimTerminal *terminal,
                                                         TillSimRequest  *request,
                                                         const char      *id,
                                                         JsonNode        *params);

/* The serial of @id's action in progress, or 0 when none runs. */
guint till_sim_terminal_get_action_serial (TillSimTerminal *terminal, const char *id);
/* The reader never heard back: its action @serial, if still in progress, fails with
 * terminal_reader_timeout. Returns whether it did. */
gboolean till_sim_terminal_time_out (TillSimTerminal *terminal,
                                     TillSimRequest  *request,
                                     const char      *id,
                                     guint            serial);
/* A reader unplugged (or back): offline readers refuse every action. */
gboolean
till_sim_terminal_set_offline (TillSimTerminal *terminal, const char *id, gboolean offline);

TillSimReader *till_sim_terminal_lookup_reader (TillSimTerminal *terminal, const char *id);

G_END_DECLS
