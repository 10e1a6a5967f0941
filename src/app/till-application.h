/* till-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-client.h"
#include "till-token-store.h"
#include "till-training-server.h"

G_BEGIN_DECLS

#define TILL_TYPE_APPLICATION (till_application_get_type ())
G_DECLARE_FINAL_TYPE (TillApplication, till_application, TILL, APPLICATION, AdwApplication)

TillApplication *till_application_new (void);
const char      *till_application_get_server_url (TillApplication *self);
gboolean         till_application_get_kiosk (TillApplication *self);
void             till_application_set_session_token (TillApplication *self, const char *token);
/* The keyring by default; tests put a TillMemoryTokenStore here before activation. */
void                till_application_set_token_store (TillApplication *self, TillTokenStore *store);
void                till_application_set_training_url (TillApplication *self, const char *url);
TillTrainingServer *till_application_get_training_server (TillApplication *self);
TillClient         *till_application_get_client (TillApplication *self);

/* Binds the gettext domain to $TILL_LOCALEDIR when set (a build tree's po/, as `meson
 * devenv` and tools/run set it), else to the installed locale directory. */
void till_application_bind_textdomain (void);
/* FALSE, with what to do in @error, when the GSettings schema cannot be found (a run from
 * the build tree without `meson devenv`): GSettings would abort. */
gboolean till_application_check_schema (GError **error);

G_END_DECLS
