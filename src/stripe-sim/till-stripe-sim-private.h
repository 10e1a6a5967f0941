/* till-stripe-sim-private.h: what the simulator's files share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "till-stripe-sim.h"

G_BEGIN_DECLS

/* One answer of the API: an HTTP status and a JSON body (an object or an error). */
typedef struct
{
  guint status;
  char *body;         /* JSON text */
  gboolean save;      /* store it as the idempotent result of the request */
} TillSimReply;

TillSimReply *till_sim_reply_new       (guint        status,
                                        JsonNode    *body);
TillSimReply *till_sim_reply_new_text  (guint        status,
                                        const char  *body);
TillSimReply *till_sim_reply_error     (guint        status,
                                        const char  *type,
                                        const char  *code,
                                        const char  *param,
                                        const char  *format,
                                        ...) G_GNUC_PRINTF (5, 6);
void          till_sim_reply_free      (TillSimReply *reply);
TillSimReply *till_sim_reply_copy      (const TillSimReply *reply);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillSimReply, till_sim_reply_free)

/* Error bodies as Stripe writes them. extra (nullable) is merged into "error". */
JsonNode     *till_sim_error_node      (const char  *type,
                                        const char  *code,
                                        const char  *decline_code,
                                        const char  *param,
                                        const char  *message,
                                        JsonObject  *extra);

char         *till_sim_json_to_string  (JsonNode    *node,
                                        gboolean     pretty);
char         *till_sim_random_id       (const char  *prefix,
                                        guint        length);

G_END_DECLS
