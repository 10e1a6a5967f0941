/* till-error-message.h: what went wrong, in words a cashier understands, and what to do next.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  TILL_NEXT_STEP_RETRY,            /* try again (now or in a moment) */
  TILL_NEXT_STEP_CHECK_CONNECTION, /* cable, Wi-Fi, is the server on? */
  TILL_NEXT_STEP_ASK_ADMIN,        /* a person with rights must fix it */
  TILL_NEXT_STEP_FIX_INPUT,        /* change what was typed */
} TillNextStep;

typedef struct
{
  char        *title;     /* one short sentence */
  char        *next_step; /* what to do, as an instruction */
  TillNextStep kind;
} TillErrorMessage;

/* Never NULL; the technical detail stays in the logs, not on screen. */
TillErrorMessage *till_error_message_new (const GError *error);
TillErrorMessage *till_error_message_new_for_server (const GError *error, const char *server_url);
void              till_error_message_free (TillErrorMessage *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillErrorMessage, till_error_message_free)

G_END_DECLS
