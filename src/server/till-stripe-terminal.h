/* till-stripe-terminal.h: the requests of Stripe Terminal's server-driven integration (smart
 * readers driven through the API) and what their answers mean.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-database.h"
#include "till-stripe-client.h"

G_BEGIN_DECLS

typedef enum
{
  TILL_STRIPE_READER_ACTION_NONE,
  TILL_STRIPE_READER_ACTION_IN_PROGRESS,
  TILL_STRIPE_READER_ACTION_SUCCEEDED,
  TILL_STRIPE_READER_ACTION_FAILED,
} TillStripeReaderActionStatus;

/* A terminal.reader as Stripe answers it (the API, or a webhook's data.object). */
typedef struct
{
  char                        *id;
  char                        *label;
  char                        *device_type;
  char                        *location; /* nullable */
  gboolean                     online;
  char                        *action_type; /* nullable: no action */
  TillStripeReaderActionStatus action_status;
  char                        *action_payment_intent; /* process_payment_intent's, nullable */
  char                        *failure_code;          /* a failed action's, nullable */
  char                        *failure_message;
} TillStripeReader;

TillStripeReader *till_stripe_reader_parse (JsonObject *object, GError **error);
void              till_stripe_reader_free (TillStripeReader *reader);

/* What a card-present charge gives a receipt (payment_method_details.card_present). */
typedef struct
{
  char *brand;
  char *last4;
  char *read_method;        /* contactless_emv, contact_emv, magnetic_stripe_…; nullable */
  char *application_name;   /* receipt.application_preferred_name; nullable */
  char *application_id;     /* receipt.dedicated_file_name, the EMV AID; nullable */
  char *account_type;       /* credit, checking, savings, prepaid, unknown; nullable */
  char *authorization_code; /* nullable */
  char *authorization_response_code; /* nullable */
  char *cardholder_verification;     /* receipt.cardholder_verification_method; nullable */
} TillCardPresent;

/* From a PaymentIntent in API version 2020-08-27 (its charges list: the newest charge's), or
 * a Charge. NULL with an error when it has no card-present charge. */
TillCardPresent *till_card_present_parse (JsonObject *object, GError **error);
void             till_card_present_free (TillCardPresent *details);

typedef enum
{
  TILL_STRIPE_READER_RETRIEVE,
  TILL_STRIPE_READER_PROCESS_PAYMENT_INTENT,
  TILL_STRIPE_READER_CANCEL_ACTION,
  TILL_STRIPE_READER_SET_READER_DISPLAY,
  TILL_STRIPE_READER_PRESENT_PAYMENT_METHOD, /* a test helper: simulated readers only */
} TillStripeReaderCall;

/* The path of @call on @reader_id ("/v1/terminal/readers/tmr_…/process_payment_intent"). */
char *till_stripe_reader_path (TillStripeReaderCall call, const char *reader_id);
/* Sends @call (GET for RETRIEVE, else POST with @form); finish with
 * till_stripe_client_request_finish () and read the reader with till_stripe_reader_parse (). */
void till_stripe_reader_call_async (TillStripeClient    *client,
                                    TillStripeReaderCall call,
                                    const char          *reader_id,
                                    TillStripeForm      *form,
                                    const char          *idempotency_key,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);

/* The requests' forms and keys, the same for every try of the same operation. */
TillStripeForm *till_stripe_terminal_location_form (const char *display_name,
                                                    const char *line1,
                                                    const char *city,
                                                    const char *postal_code,
                                                    const char *country);
TillStripeForm *
till_stripe_terminal_register_form (const char *code, const char *label, const char *location);
/* A card_present PaymentIntent for @order, carrying the metadata every intent of ours carries
 * (the reconciler finds lost intents by it); @manual_capture leaves it in requires_capture. */
TillStripeForm *till_stripe_terminal_intent_form (TillDatabase    *db,
                                                  const TillOrder *order,
                                                  const char      *store_name,
                                                  gboolean         manual_capture,
                                                  GError         **error);
char           *till_stripe_terminal_intent_key (TillDatabase *db, gint64 order_id);
TillStripeForm *till_stripe_terminal_process_form (const char *payment_intent);
/* The key of the @attempt-th time (from 1) the order's intent is handed to a reader: a
 * decline or a cancel needs a new one, a retry of the same hand-over the same. */
char *till_stripe_terminal_process_key (TillDatabase *db, gint64 order_id, guint attempt);
/* The cart on the reader's screen: each line at its unit price, the tax and the total. */
TillStripeForm *till_stripe_terminal_display_form (const TillOrder *order, GError **error);

/* Plain words for a reader's failure (an action's failure_code, or an error's code). */
char *till_stripe_terminal_describe_failure (const char *code);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillStripeReader, till_stripe_reader_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillCardPresent, till_card_present_free)

G_END_DECLS
