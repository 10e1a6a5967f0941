/* till-stripe-client.h: calls to the Stripe API over libcurl, off the main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The Stripe API version Till pins on every request. */
#define TILL_STRIPE_API_VERSION "2020-08-27"

#define TILL_STRIPE_ERROR (till_stripe_error_quark ())

typedef enum
{
  TILL_STRIPE_ERROR_NETWORK,  /* no answer after every retry (connect, timeout, reset) */
  TILL_STRIPE_ERROR_PROTOCOL, /* an answer that is not Stripe's JSON */
} TillStripeError;

/* What Stripe answered: any HTTP status, with its JSON body. */
typedef struct
{
  guint       status;
  JsonObject *body;       /* never NULL */
  char       *request_id; /* nullable */
  guint       attempts;
  /* Stripe answered a key it had seen with the first answer again (Idempotent-Replayed):
   * what the body says is as it was then, not now. */
  gboolean replayed;
  /* Never sent: under the client's rate limit its turn would have come after its wait
   * (till_stripe_client_set_rate_limit ()). status is then 429, and the body Stripe's own
   * rate_limit error, which means the same: nothing was done. */
  gboolean throttled;
  /* For a 409 or 429: seconds before a request sent now would get its turn under the
   * client's rate limit (at least 1, Stripe's window), to tell whoever waits. */
  guint retry_after;
} TillStripeResponse;

/* Form parameters in order; keys keep their brackets ("metadata[till_order_id]"). */
typedef struct _TillStripeForm TillStripeForm;

TillStripeForm *till_stripe_form_new (void);
void            till_stripe_form_free (TillStripeForm *form);
void            till_stripe_form_add (TillStripeForm *form, const char *key, const char *value);
void            till_stripe_form_add_int (TillStripeForm *form, const char *key, gint64 value);
/* application/x-www-form-urlencoded; brackets stay readable, everything else is escaped. */
char *till_stripe_form_encode (TillStripeForm *form);

void till_stripe_response_free (TillStripeResponse *response);
/* The error object of a non-2xx answer, or NULL. */
JsonObject *till_stripe_response_get_error (TillStripeResponse *response);
/* Plain words for a Stripe error object (decline reasons included). */
char *till_stripe_describe_error (JsonObject *error_object);
/* Plain words for Stripe's rate limit or a lock: busy, try again in @seconds. */
char *till_stripe_describe_wait (guint seconds);

GQuark till_stripe_error_quark (void);

#define TILL_TYPE_STRIPE_CLIENT (till_stripe_client_get_type ())
G_DECLARE_FINAL_TYPE (TillStripeClient, till_stripe_client, TILL, STRIPE_CLIENT, GObject)

TillStripeClient *till_stripe_client_new (const char *api_base, const char *secret_key);
void              till_stripe_client_set_timeouts (TillStripeClient *self,
                                                   guint             connect_timeout_ms,
                                                   guint             timeout_ms);
/* Retries on network errors, 409, 429 and 5xx with the same idempotency key, waiting
 * base × 2^n plus up to 50 % jitter, at most 8 × base between tries; never when Stripe
 * answers Stripe-Should-Retry: false. A 409 or 429 is retried @max_retries times, and more
 * while the next try starts within the rate limit's wait. */
void
till_stripe_client_set_retries (TillStripeClient *self, guint max_retries, guint base_delay_ms);
/* Keeps to @per_second tries (first ones and retries, every thread's) in any second, the
 * account's budget Stripe counts (docs.stripe.com/rate-limits); 0 for no limit (the
 * default). Tries take turns first come, first served. A request waits at most
 * @max_wait_ms in all for its turns and for retries after 409 and 429: one whose turn would
 * come later is not sent but answered at once (#TillStripeResponse.throttled). */
void
till_stripe_client_set_rate_limit (TillStripeClient *self, guint per_second, guint max_wait_ms);
/* Milliseconds before a request made now would get its turn (0 when it would go at once). */
guint till_stripe_client_get_wait_ms (TillStripeClient *self);

/* @method: "GET" or "POST"; @path: "/v1/payment_intents"; @form and @idempotency_key
 * nullable. Runs on curl multi in the thread-default main context the client was created
 * in (call it from there); never blocks it. */
void till_stripe_client_request_async (TillStripeClient   *self,
                                       const char         *method,
                                       const char         *path,
                                       TillStripeForm     *form,
                                       const char         *idempotency_key,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
/* The same, but only @members of the answer's object are read (a NULL-terminated static
 * array; include "error" to see Stripe's errors): an intent has some fifty members and
 * reading them all costs more than the rest of a checkout's JSON. */
void till_stripe_client_request_members_async (TillStripeClient   *self,
                                               const char         *method,
                                               const char         *path,
                                               TillStripeForm     *form,
                                               const char         *idempotency_key,
                                               const char *const  *members,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
TillStripeResponse *
till_stripe_client_request_finish (TillStripeClient *self, GAsyncResult *result, GError **error);
/* Blocking variant for worker threads and command-line tools. */
TillStripeResponse *till_stripe_client_request_sync (TillStripeClient *self,
                                                     const char       *method,
                                                     const char       *path,
                                                     TillStripeForm   *form,
                                                     const char       *idempotency_key,
                                                     GCancellable     *cancellable,
                                                     GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillStripeForm, till_stripe_form_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillStripeResponse, till_stripe_response_free)

G_END_DECLS
