/* till-reconciler.h: brings pending orders and refunds in line with what Stripe has.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "till-database.h"
#include "till-server-config.h"
#include "till-stripe-client.h"

G_BEGIN_DECLS

#define TILL_TYPE_RECONCILER (till_reconciler_get_type ())
G_DECLARE_FINAL_TYPE (TillReconciler, till_reconciler, TILL, RECONCILER, GObject)

typedef void (*TillReconcilerFunc) (gpointer user_data);

/* Keeps @db and @stripe; @config must outlive it. @before_round (may be NULL) runs on the
 * main thread at the start of every round (the API writes the intents that wait for their
 * transaction, so that the round sees them). */
TillReconciler *till_reconciler_new (TillDatabase           *db,
                                     TillStripeClient       *stripe,
                                     const TillServerConfig *config,
                                     TillReconcilerFunc      before_round,
                                     gpointer                user_data);
/* A round every config->reconcile_interval seconds, until stopped. */
void till_reconciler_start (TillReconciler *self);
/* No more rounds: what a round has to write is written now (waiting for another process's
 * write lock if it must), and the round asking Stripe is canceled. */
void till_reconciler_stop (TillReconciler *self);
/* One round now (nothing is done while one runs): how many orders and refunds it changed. */
void     till_reconciler_round_async (TillReconciler     *self,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
gboolean till_reconciler_round_finish (TillReconciler *self,
                                       GAsyncResult   *result,
                                       guint          *out_changed,
                                       GError        **error);
/* Whether a round's answers wait for another process's write lock. */
gboolean till_reconciler_is_waiting (TillReconciler *self);
/* How long they wait at most before they are dropped (the next round asks again). */
void till_reconciler_set_busy_wait (TillReconciler *self, guint busy_wait_ms);

G_END_DECLS
