/* till-training.h: training mode, the Stripe simulator in-process on loopback.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "till-server-config.h"

G_BEGIN_DECLS

/* Starts the simulator on 127.0.0.1 (a free port) in the thread-default main context and
 * points @config's Stripe settings (API base, Stripe.js URL, test keys) at it. */
GObject *till_training_start (TillServerConfig *config, GError **error);
/* Makes the simulator deliver signed webhooks to @url with @config's webhook secret. */
gboolean
     till_training_set_webhook (GObject *sim, const char *url, const char *secret, GError **error);
void till_training_stop (GObject *sim);

G_END_DECLS
