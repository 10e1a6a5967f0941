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

TillApplication *till_application_new            (void);
const char      *till_application_get_server_url (TillApplication *self);
gboolean         till_application_get_kiosk      (TillApplication *self);
void             till_application_set_session_token (TillApplication *self,
                                                     const char      *token);
/* The keyring by default; tests put a TillMemoryTokenStore here before activation. */
void             till_application_set_token_store (TillApplication *self,
                                                   TillTokenStore  *store);
void             till_application_set_training_url (TillApplication *self,
                                                    const char      *url);
TillTrainingServer *till_application_get_training_server (TillApplication *self);
TillClient      *till_application_get_client     (TillApplication *self);

G_END_DECLS
