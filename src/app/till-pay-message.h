/* till-pay-message.h: messages from the payment page, checked before anything reads them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A well-formed message about another PaymentIntent than the one in progress: a late word
 * from the page of a sale already over, not an attack. Other refusals are TILL_JSON_ERROR. */
#define TILL_PAY_MESSAGE_ERROR (till_pay_message_error_quark ())
typedef enum
{
  TILL_PAY_MESSAGE_ERROR_OTHER_INTENT,
} TillPayMessageError;

GQuark till_pay_message_error_quark (void);

typedef enum
{
  TILL_PAY_MESSAGE_LOADED,         /* the page's script runs: start() can be called */
  TILL_PAY_MESSAGE_READY,          /* the card form is mounted for the payment in progress */
  TILL_PAY_MESSAGE_RESULT,         /* confirmPayment() resolved: a hint, never the truth */
  TILL_PAY_MESSAGE_LOAD_ERROR,     /* Stripe.js could not be loaded */
  TILL_PAY_MESSAGE_PAYMENT_METHOD, /* a card the cashier typed, for the server to confirm (MOTO) */
} TillPayMessageType;

typedef struct
{
  TillPayMessageType type;
  char              *status;         /* a PaymentIntent status, or NULL */
  char              *payment_intent; /* NULL only for LOADED */
  char              *error_code;     /* all three NULL when there was no error */
  char              *decline_code;
  char              *error_message;
  char              *payment_method; /* only for PAYMENT_METHOD: a PaymentMethod id */
} TillPayMessage;

void till_pay_message_free (TillPayMessage *message);
TillPayMessage *
till_pay_message_parse (const char *json, const char *payment_intent, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillPayMessage, till_pay_message_free)

G_END_DECLS
