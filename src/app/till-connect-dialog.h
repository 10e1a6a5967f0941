/* till-connect-dialog.h: first run — server address, terminal token, certificate pin.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-client.h"
#include "till-training-server.h"

G_BEGIN_DECLS

#define TILL_TRAINING_SERVER_URL "http://127.0.0.1:8787"

#define TILL_TYPE_CONNECT_DIALOG (till_connect_dialog_get_type ())
G_DECLARE_FINAL_TYPE (TillConnectDialog, till_connect_dialog, TILL, CONNECT_DIALOG, AdwWindow)

/* ::connect (url, token, pinned fingerprint or NULL) is emitted when the cashier confirms,
 * or when "Try It in Training Mode" got a terminal from the training server. */
TillConnectDialog *till_connect_dialog_new (GtkWindow *parent, TillClient *client, const char *url);
void               till_connect_dialog_set_training_url (TillConnectDialog *self, const char *url);
/* Started by "Try It in Training Mode" when nothing answers at the training URL. */
void till_connect_dialog_set_training_server (TillConnectDialog *self, TillTrainingServer *server);

G_END_DECLS
