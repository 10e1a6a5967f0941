/* till-stripe-sim-state-private.h: the simulator's objects and their state machine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-stripe-sim-private.h"

G_BEGIN_DECLS

typedef enum
{
  TILL_SIM_CARD_SUCCEEDS,
  TILL_SIM_CARD_DECLINES,
  TILL_SIM_CARD_AUTHENTICATES,        /* 3-D Secure, then succeeds */
  TILL_SIM_CARD_ALWAYS_AUTHENTICATES, /* 3-D Secure on every payment */
} TillSimCardOutcome;

/* A test card of https://docs.stripe.com/testing: its number, its PaymentMethod aliases
 * and what a payment with it comes to. */
typedef struct
{
  const char        *number;
  const char        *aliases[3]; /* the pm_card_… shortcuts, NULL-terminated */
  const char        *brand;
  const char        *funding;
  const char        *country;
  TillSimCardOutcome outcome;
  const char        *code;         /* the error's code when it declines */
  const char        *decline_code; /* and its decline_code, if Stripe gives one */
  const char        *message;
  gboolean           blocked; /* Radar blocks it: never sent to the card network */
} TillSimTestCard;

const TillSimTestCard *till_sim_test_cards (guint *n_cards);
const TillSimTestCard *till_sim_test_card_lookup (const char *number);
const TillSimTestCard *till_sim_test_card_lookup_alias (const char *alias);
gboolean               till_sim_luhn_valid (const char *digits);

typedef struct
{
  char                  *id;
  gint64                 created;
  const TillSimTestCard *card; /* NULL for a bank redirect (iDEAL) */
  const char            *type; /* "card", "card_present" or "ideal" (static) */
  char                  *bank; /* ideal: the bank named on confirmation, or NULL */
  int                    exp_month;
  int                    exp_year;
  gboolean               owned;       /* listed in an intent's payment_methods: forgotten with it */
  GList                 *loose;       /* its link in the state's PaymentMethods no intent owns */
  const char            *read_method; /* card_present: "contactless_emv"… (static) */
} TillSimPaymentMethod;

typedef struct
{
  char       *id;
  gint64      created;
  char       *payment_intent;
  char       *payment_method;
  char       *currency;
  char       *status; /* succeeded, failed */
  char       *failure_code;
  char       *failure_message;
  char       *decline_code;
  char       *description;
  char       *receipt_email;
  gint64      amount;
  gint64      amount_captured;
  gint64      amount_refunded;
  gboolean    captured;
  GPtrArray  *refunds; /* char * ids, oldest first */
  JsonObject *metadata;
} TillSimCharge;

typedef struct
{
  char       *id;
  gint64      created;
  gint64      amount;
  char       *charge;
  char       *payment_intent;
  char       *currency;
  char       *reason;
  char       *status;
  JsonObject *metadata;
} TillSimRefund;

typedef struct
{
  char       *id;
  char       *client_secret;
  gint64      created;
  gint64      amount;
  gint64      amount_received;
  gint64      amount_capturable;
  gint64      amount_tip; /* a tip given on a reader (amount_details.tip.amount) */
  char       *currency;
  char       *status;
  char       *capture_method;
  char       *confirmation_method;
  gboolean    automatic_payment_methods;
  GPtrArray  *payment_method_types;
  char       *payment_method;
  char       *latest_charge;
  GPtrArray  *charges;         /* char * ids, oldest first */
  GPtrArray  *payment_methods; /* char * ids of the PaymentMethods made for it */
  char       *description;
  char       *receipt_email;
  char       *statement_descriptor;
  char       *statement_descriptor_suffix;
  char       *setup_future_usage;
  char       *cancellation_reason;
  gint64      canceled_at;
  char       *return_url;
  gboolean    moto;         /* confirmed as a mail or telephone order: no 3-D Secure */
  char       *action_nonce; /* the 3-D Secure challenge in progress */
  char       *action_url;
  char       *action_payment_method;
  JsonNode   *last_payment_error;
  JsonObject *metadata;
} TillSimIntent;

typedef struct
{
  char  *id;
  gint64 created;
  char  *type;
  char  *request_id;
  char  *idempotency_key;
  char  *object;             /* snapshot of data.object, as compact JSON text: a sixth of
                              * the memory of its JsonNode tree */
  guint    pending_webhooks; /* deliveries not made successfully (yet, or ever) */
  gboolean delivery_failed;  /* a delivery was given up on */
} TillSimEvent;

typedef struct _TillSimState TillSimState;

/* What one API request needs besides its parameters. */
typedef struct
{
  const char *base_uri; /* "http://127.0.0.1:1234/" */
  const char *request_id;
  const char *idempotency_key;
  gboolean    publishable; /* authenticated with pk_test_ (client-secret calls only) */
  GPtrArray  *events;      /* TillSimEvent * created by the request (borrowed) */
} TillSimRequest;

/* The kinds of objects the state hands out. */
typedef enum
{
  TILL_SIM_OBJECT_INTENT,
  TILL_SIM_OBJECT_CHARGE,
  TILL_SIM_OBJECT_REFUND,
  TILL_SIM_OBJECT_PAYMENT_METHOD,
  TILL_SIM_OBJECT_EVENT,
  TILL_SIM_OBJECT_LOCATION, /* Terminal's: till-stripe-sim-terminal-private.h */
  TILL_SIM_OBJECT_READER,
  TILL_SIM_OBJECT_DELETED, /* {id, object, deleted: true}: a TillSimDeleted */
} TillSimObjectType;

/* What a DELETE answers once the object is gone. */
typedef struct
{
  char       *id;
  const char *object; /* "terminal.reader" (static) */
} TillSimDeleted;

/* An object as the API shows it now, unexpanded. The state keeps such snapshots where Stripe
 * does (an event's data.object, the payment method in last_payment_error); the pipeline,
 * which renders, hands this function to till_sim_state_new(). */
typedef JsonNode *(*TillSimSnapshotFunc) (TillSimState     *state,
                                          TillSimObjectType type,
                                          gconstpointer     object);

/* What a request comes to: an object, a page of a list, or an error. Objects and items are
 * borrowed from the state: render the result (till_sim_render_result()) before the state
 * changes again. */
typedef struct
{
  guint             status;
  gboolean          save;   /* keep it as the idempotent result of the request */
  TillSimObjectType type;   /* of object, or of the items of a list */
  gpointer          object; /* an object; NULL for a list or an error */
  GPtrArray        *items;  /* a list page, newest first; NULL otherwise */
  gboolean          has_more;
  const char       *url;    /* a list's url (static) */
  GPtrArray        *expand; /* char * expanded fields (owned), or NULL */

  /* An error: error_type is set. The card errors of a failed attempt also carry the charge's
   * id, the intent and the payment method. */
  char                 *error_type;
  char                 *error_code;
  char                 *error_decline_code;
  char                 *error_param;
  char                 *error_message;
  char                 *error_charge;
  TillSimIntent        *error_intent;
  TillSimPaymentMethod *error_payment_method;
} TillSimResult;

void till_sim_result_free (TillSimResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillSimResult, till_sim_result_free)

TillSimState *till_sim_state_new (TillSimSnapshotFunc snapshot);
void          till_sim_state_free (TillSimState *state);

/* What the state remembers (0: no limit). Past @max_age seconds, or beyond the newest
 * @max_intents, an intent is forgotten with its charges, refunds and PaymentMethods (and so
 * is a PaymentMethod no intent uses, by the same two limits); past
 * @max_age or beyond the newest @max_events, an event. Applied by till_sim_state_prune(),
 * never in the middle of a request. By default: no age limit, every intent, 10,000 events. */
void till_sim_state_set_retention (TillSimState *state,
                                   gint64        max_age,
                                   guint         max_intents,
                                   guint         max_events);
/* Forgets what the retention no longer keeps; returns how many intents and events. */
guint till_sim_state_prune (TillSimState *state);
/* The state's clock: Unix time in seconds, plus @offset (tests move time on with it). */
void till_sim_state_set_clock_offset (TillSimState *state, gint64 offset);
void till_sim_state_set_moto_enabled (TillSimState *state, gboolean enabled);
void till_sim_state_get_counts (TillSimState *state, TillStripeSimCounts *counts);

TillSimResult *
till_sim_state_create_intent (TillSimState *state, TillSimRequest *request, JsonNode *params);
TillSimResult *till_sim_state_retrieve_intent (TillSimState   *state,
                                               TillSimRequest *request,
                                               const char     *id,
                                               JsonNode       *params);
TillSimResult *till_sim_state_update_intent (TillSimState   *state,
                                             TillSimRequest *request,
                                             const char     *id,
                                             JsonNode       *params);
TillSimResult *till_sim_state_confirm_intent (TillSimState   *state,
                                              TillSimRequest *request,
                                              const char     *id,
                                              JsonNode       *params);
TillSimResult *till_sim_state_cancel_intent (TillSimState   *state,
                                             TillSimRequest *request,
                                             const char     *id,
                                             JsonNode       *params);
TillSimResult *till_sim_state_capture_intent (TillSimState   *state,
                                              TillSimRequest *request,
                                              const char     *id,
                                              JsonNode       *params);
TillSimResult *till_sim_state_create_payment_method (TillSimState   *state,
                                                     TillSimRequest *request,
                                                     JsonNode       *params);
TillSimResult *
till_sim_state_create_refund (TillSimState *state, TillSimRequest *request, JsonNode *params);
TillSimResult *till_sim_state_retrieve_refund (TillSimState   *state,
                                               TillSimRequest *request,
                                               const char     *id,
                                               JsonNode       *params);
TillSimResult *
till_sim_state_list_intents (TillSimState *state, TillSimRequest *request, JsonNode *params);
TillSimResult *
till_sim_state_list_refunds (TillSimState *state, TillSimRequest *request, JsonNode *params);
TillSimResult *till_sim_state_retrieve_charge (TillSimState   *state,
                                               TillSimRequest *request,
                                               const char     *id,
                                               JsonNode       *params);
TillSimResult *
till_sim_state_list_events (TillSimState *state, TillSimRequest *request, JsonNode *params);
TillSimResult *till_sim_state_retrieve_event (TillSimState   *state,
                                              TillSimRequest *request,
                                              const char     *id,
                                              JsonNode       *params);

/* The 3-D Secure challenge page: the intent it belongs to, and its outcome. */
TillSimIntent *
till_sim_state_find_challenge (TillSimState *state, const char *intent_id, const char *nonce);
gboolean till_sim_state_finish_challenge (TillSimState   *state,
                                          TillSimRequest *request,
                                          const char     *intent_id,
                                          const char     *nonce,
                                          gboolean        authenticated);

TillSimEvent *till_sim_state_lookup_event (TillSimState *state, const char *id);

/* For Terminal's objects (till-stripe-sim-terminal.c), which live beside the state's and
 * answer in the same shapes. */
gint64         till_sim_state_now (TillSimState *state);
void           till_sim_state_emit (TillSimState     *state,
                                    TillSimRequest   *request,
                                    const char       *type,
                                    TillSimObjectType object_type,
                                    gconstpointer     object);
TillSimResult *till_sim_result_new_object (guint status, TillSimObjectType type, gpointer object);
TillSimResult *till_sim_result_new_error (
    guint status, const char *type, const char *code, const char *param, const char *format, ...)
    G_GNUC_PRINTF (5, 6);
TillSimResult *till_sim_state_check_metadata (JsonObject *current, JsonNode *metadata);
void           till_sim_state_apply_metadata (JsonObject *target, JsonNode *metadata);
/* A list page over @items (oldest first) as the other lists make them (limit, cursors). */
TillSimResult *till_sim_state_list_page (TillSimObjectType type,
                                         GPtrArray        *items,
                                         JsonNode         *params,
                                         const char       *url,
                                         const char       *what,
                                         const char *(*id_of) (gpointer item),
                                         gboolean (*matches) (gpointer item, JsonNode *params));

/* A card presented on a reader for @intent (a reader's process_payment_intent): a
 * card_present PaymentMethod, and the charge the test card dictates, with @tip added to the
 * amount when it is approved. Returns TRUE when approved; otherwise the intent is back in
 * requires_payment_method and @failure_code and @failure_message (static) say why. */
gboolean till_sim_state_present_card (TillSimState          *state,
                                      TillSimRequest        *request,
                                      TillSimIntent         *intent,
                                      const TillSimTestCard *card,
                                      const char            *read_method,
                                      gint64                 tip,
                                      const char           **failure_code,
                                      const char           **failure_message);

TillSimIntent        *till_sim_state_lookup_intent (TillSimState *state, const char *id);
TillSimCharge        *till_sim_state_lookup_charge (TillSimState *state, const char *id);
TillSimRefund        *till_sim_state_lookup_refund (TillSimState *state, const char *id);
TillSimPaymentMethod *till_sim_state_lookup_pm (TillSimState *state, const char *id);

G_END_DECLS
