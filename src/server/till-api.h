/* till-api.h: till-server itself: the HTTP API on libsoup, with its database, Stripe client,
 * reconciler and (in training mode) the embedded Stripe simulator.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "till-database.h"
#include "till-reconciler.h"
#include "till-server-config.h"

G_BEGIN_DECLS

#define TILL_TYPE_API (till_api_get_type ())
G_DECLARE_FINAL_TYPE (TillApi, till_api, TILL, API, GObject)

/* Takes @config (finished). Opens the database; in training mode starts the simulator on
 * loopback and loads the demo catalog into an empty database. */
TillApi *till_api_new (TillServerConfig *config, GError **error);
/* Listens on config->listen (port 0 picks a free port) and starts the reconciler. */
gboolean till_api_start (TillApi *self, GError **error);
void     till_api_stop (TillApi *self);
/* "http://127.0.0.1:PORT" once started. */
const char             *till_api_get_base_uri (TillApi *self);
TillDatabase           *till_api_get_database (TillApi *self);
const TillServerConfig *till_api_get_config (TillApi *self);
/* Its reconciler (started and stopped with it). */
TillReconciler *till_api_get_reconciler (TillApi *self);

/* Loads the demo catalog (compiled in) into @db with the store currency @currency. */
gboolean till_api_load_demo_catalog (TillDatabase *db, const char *currency, GError **error);

G_END_DECLS
