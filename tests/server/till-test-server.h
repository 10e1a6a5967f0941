/* till-test-server.h: a real till-server on loopback for tests, and an HTTP client for it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "till-api.h"
#include "till-core.h"
#include "till-server-config.h"
#include "till-test-util.h"

G_BEGIN_DECLS

typedef struct
{
  char        *dir; /* a fresh temporary directory, removed at the end */
  TillApi     *api;
  char        *base; /* http://127.0.0.1:PORT */
  char        *cashier_token;
  char        *admin_token;
  SoupSession *session;
} TillTestServer;

typedef void (*TillTestConfigure) (TillServerConfig *config, gpointer user_data);

/* In-process server on 127.0.0.1:0 in test mode (Stripe at @stripe_base, or a closed port
 * when NULL), a cashier and an admin terminal. */
TillTestServer *
till_test_server_new (const char *stripe_base, TillTestConfigure configure, gpointer user_data);
void till_test_server_free (TillTestServer *server);

typedef struct
{
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
  JsonObject         *json; /* when the body is a JSON object */
} TillTestResponse;

void till_test_response_free (TillTestResponse *response);
/* @body: JSON text (sent as application/json) or NULL. */
TillTestResponse *till_test_request (TillTestServer *server,
                                     const char     *method,
                                     const char     *path,
                                     const char     *token,
                                     const char     *body);
/* Any request: @headers is a NULL-terminated list of name, value pairs. */
TillTestResponse *till_test_request_full (SoupSession       *session,
                                          const char        *method,
                                          const char        *url,
                                          const char *const *headers,
                                          const char        *content_type,
                                          const char        *body,
                                          gssize             length);
/* The error code of an API error answer, or NULL. */
const char *till_test_error_code (TillTestResponse *response);

/* Every log line of the test program also goes to $G_TEST_BUILDDIR/logs/@name.log, which
 * the secrets test greps. Call once, after g_test_init (). Debug messages are on. */
void        till_test_capture_logs (const char *name);
const char *till_test_log_dir (void);

char *till_test_new_reference (void);

/* The Stripe simulator in-process on loopback, faults enabled. */
typedef struct
{
  GObject     *sim; /* TillStripeSim */
  char        *base;
  SoupSession *session;
} TillTestSim;

#define TILL_TEST_SECRET_KEY "sk_test_till_server_tests_0123456789"
#define TILL_TEST_WEBHOOK_SECRET "whsec_till_server_tests_0123456789"

TillTestSim *till_test_sim_new (void);
void         till_test_sim_free (TillTestSim *sim);
/* A form-encoded call with the test secret key; @form: "a=1&b=2" or NULL. */
TillTestResponse *
till_test_sim_call (TillTestSim *sim, const char *method, const char *path, const char *form);
/* Queues @spec ("500", "429", "drop-after", "delay=N") for the next @count API requests. */
void till_test_sim_fault (TillTestSim *sim, const char *spec, guint count);
void till_test_sim_clear_faults (TillTestSim *sim);
/* Makes the simulator forget every idempotency key it saved, as Stripe may after a day. */
void till_test_sim_forget_keys (TillTestSim *sim);
/* How many PaymentIntents the simulator created for till order @order_id. */
guint till_test_sim_count_intents (TillTestSim *sim, gint64 order_id);
/* The intent made for @order_id (the newest if several), or NULL. */
char *till_test_sim_find_intent (TillTestSim *sim, gint64 order_id);
/* Confirms @intent with a test payment method (pm_card_visa, …); returns the HTTP status. */
guint till_test_sim_confirm (TillTestSim *sim, const char *intent, const char *payment_method);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillTestServer, till_test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillTestResponse, till_test_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillTestSim, till_test_sim_free)

G_END_DECLS
