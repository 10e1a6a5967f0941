/* pay-training-server.h: the real till-server --training as a child process, and a
 * keyboard under Xvfb (xdotool), and questions to the page, for the payment tests and
 * bench/payment.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <webkit/webkit.h>

#include "till-test-util.h"

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *process;
  SoupSession *session;
  char        *dir; /* temporary; removed by pay_training_server_stop() */
  char        *db;
  char        *token; /* a cashier terminal's */
  char        *base;  /* http://127.0.0.1:PORT, no trailing slash */
  char        *publishable_key;
  char        *js_origin; /* the embedded simulator's origin (Stripe.js and the API) */
  char        *config;    /* a key file given with --config, or NULL */
} PayTrainingServer;

PayTrainingServer *pay_training_server_start (const char *binary, GError **error);
PayTrainingServer *
pay_training_server_start_with_config (const char *binary, const char *key_file, GError **error);
void pay_training_server_stop (PayTrainingServer *server);
gboolean
pay_training_server_restart (PayTrainingServer *server, const char *binary, GError **error);
JsonObject *pay_training_server_request (PayTrainingServer *server,
                                         const char        *method,
                                         const char        *path,
                                         const char        *body,
                                         guint             *out_status,
                                         GError           **error);
JsonObject *pay_training_server_checkout (PayTrainingServer *server, GError **error);

gboolean pay_xdotool (const char *const *args, GError **error);
void     pay_take_events (void);
gboolean pay_type_card_fields (const char *number, guint delay_ms, GError **error);
gboolean pay_press_pay (GError **error);
/* Evaluates @expression in @web_view's page, waiting for the answer: TRUE if it is true. */
gboolean pay_page_says (WebKitWebView *web_view, const char *expression);

G_END_DECLS
