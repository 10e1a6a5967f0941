/* till-training-server.h: the app's own `till-server --training`, for "Try It in Training
 * Mode" when none answers on this computer (a Flatpak has none).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TILL_TYPE_TRAINING_SERVER (till_training_server_get_type ())
G_DECLARE_FINAL_TYPE (TillTrainingServer, till_training_server, TILL, TRAINING_SERVER, GObject)

/* @program: a till-server; @database: its private database. */
TillTrainingServer *till_training_server_new (const char *program, const char *database);
/* till-server beside this program (its installed bindir, /app/bin in the Flatpak), else in
 * the build tree when this program runs from it; NULL if there is none. */
char *till_training_server_find_program (void);
/* $XDG_STATE_HOME/till/training.db */
char *till_training_server_default_database (void);

/* Starts it on 127.0.0.1, a free port, unless it runs already; the URL it listens on. */
void till_training_server_start_async (TillTrainingServer *self,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
char *
till_training_server_start_finish (TillTrainingServer *self, GAsyncResult *result, GError **error);
/* NULL unless it runs. */
const char *till_training_server_get_url (TillTrainingServer *self);
/* Its process id as text, NULL unless it runs (for tests). */
const char *till_training_server_get_identifier (TillTrainingServer *self);
/* SIGTERM, then waits (iterating the thread-default context) up to 5 s for it to exit. */
void till_training_server_stop (TillTrainingServer *self);

G_END_DECLS
