/* till-test-fixture.h: the fixture of the server's tests against the Stripe simulator (a
 * till-server and a simulator in-process, the demo catalog), and the requests they share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-api-private.h"
#include "till-test-server.h"
#include "till-test-util.h"

G_BEGIN_DECLS

typedef struct
{
  TillTestSim    *sim;
  TillTestServer *server;
} Fixture;

/* What a test case needs: store currency, webhooks, a fault, expected amounts. */
typedef struct
{
  const char *currency;
  gboolean    webhooks;
  const char *fault;
  guint       fault_count;
  const char *stripe_timeout_ms;
  const char *retry_base_ms;
  const char *busy_wait_ms;
  gboolean    automatic_payment_methods; /* [stripe] payment-method-types=automatic */
  gboolean    offline;                   /* no simulator: Stripe is a closed port */
  const char *public_url;                /* [server] public-url */
  const char *store_address;             /* [store] address */
  gint64      unit_amount;               /* ISO minor units */
  gint64      total;                     /* what the order charges, ISO minor units */
  gint64      stripe_amount;             /* what Stripe gets */
  int         cash_rounding;             /* [store] cash-rounding */
  gboolean    no_offline_cash;           /* [store] offline-cash=false */
} Setup;

typedef struct
{
  guint       pending;
  guint       status[16];
  JsonObject *json[16];
} Batch;

typedef struct
{
  gboolean done;
  guint    changed;
} Reconciled;

void fixture_setup (Fixture *fixture, gconstpointer data);

void fixture_teardown (Fixture *fixture, gconstpointer data);

gint64 product_id (Fixture *fixture, const char *sku);

/* GET @path with the cashier's token. */
TillTestResponse *api_get (Fixture *fixture, const char *path);

/* An API error answer: @status, a JSON body with @code. */
void assert_json_error (TillTestResponse *response, guint status, const char *code);

/* The message of an API error answer. */
const char *error_message (TillTestResponse *response);

/* A three-line cart of demo products. */
char *cart_body (Fixture *fixture, const char *reference);

TillTestResponse *checkout (Fixture *fixture, const char *body);

JsonObject *order_of (TillTestResponse *response);

const char *intent_of (TillTestResponse *response);

const char *secret_of (TillTestResponse *response);

TillTestResponse *post_order (
    Fixture *fixture, gint64 order_id, const char *action, const char *token, const char *body);

TillTestResponse *get_order (Fixture *fixture, gint64 order_id);

const char *payment_member (JsonObject *order, const char *member);

JsonObject *sim_intent (Fixture *fixture, const char *intent, TillTestResponse **out_response);

/* Sends the @n checkouts of @bodies, each with the token of @tokens (NULL: all the cashier's),
 * held back until all are there so that they share one transaction, and waits for their
 * answers in @batch. */
void checkout_together_as (
    Fixture *fixture, const char *const *bodies, const char *const *tokens, guint n, Batch *batch);

void batch_clear (Batch *batch);

gint64 count_rows (Fixture *fixture, const char *sql, const char *text);

/* Another connection to the server's database, as another process (the command line)
 * would have. */
TillDatabase *open_elsewhere (Fixture *fixture);

gboolean one_pending (gpointer user_data);

gboolean one_waiting_write (gpointer user_data);

gboolean status_known (gpointer user_data);

/* Sends a POST with @headers (name, value, …, NULL: its credentials) without waiting for its
 * answer, whose status lands in @status. */
void post_async (Fixture           *fixture,
                 const char        *path,
                 const char *const *headers,
                 const char        *body,
                 guint             *status);

void post_api_async (
    Fixture *fixture, const char *path, const char *token, const char *body, guint *status);

gint64 paid_order (Fixture *fixture, char **out_intent);

TillTestResponse *
refund (Fixture *fixture, gint64 order_id, const char *request_id, const char *body);

const char *order_status (Fixture *fixture, gint64 order_id, char **out);

void on_reconciled (GObject *source, GAsyncResult *result, gpointer user_data);

gboolean reconciled_done (gpointer user_data);

/* Replaces the fixture's server with one that syncs orders and refunds older than 1 s (and
 * cancels none), with the demo catalog. */
void use_reconciling_server (Fixture *fixture);

/* A checkout whose intent is made at Stripe (@made) or not, and whose answer never comes
 * back; returns the order's id. */
gint64 lose_intent (Fixture *fixture, const char *reference, const char *body, gboolean made);

/* Runs one round of the reconciler and waits for it: how many orders and refunds it changed. */
guint reconcile_round (Fixture *fixture);

G_END_DECLS
