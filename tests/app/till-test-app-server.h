/* till-test-app-server.h: a small till-server stand-in on its own thread, for the app's client
 * tests. It speaks the documented HTTP API over real loopback HTTP (an ephemeral port) and
 * prices checkouts with core, as till-server does. Not a replacement for the end-to-end
 * tests against the real till-server --training.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "till-core.h"

G_BEGIN_DECLS

typedef struct _TillTestAppServer TillTestAppServer;

#define TILL_TEST_APP_TOKEN "test-terminal-token"

/* @training: GET /api/v1/config says mode "training". Listens on @port (0: any). */
TillTestAppServer *till_test_app_server_new (gboolean training, guint port);
/* The same over HTTPS with @certificate ("https://127.0.0.1:PORT"). */
TillTestAppServer *till_test_app_server_new_tls (GTlsCertificate *certificate);
void               till_test_app_server_free (TillTestAppServer *server);
/* "http://127.0.0.1:PORT" */
const char *till_test_app_server_get_url (TillTestAppServer *server);
guint       till_test_app_server_get_port (TillTestAppServer *server);
/* Products: id, name, barcode, price (minor units), tax rate (basis points), category. */
void till_test_app_server_add_product (TillTestAppServer *server,
                                       gint64             id,
                                       const char        *name,
                                       const char        *barcode,
                                       gint64             unit_amount,
                                       int                tax_rate,
                                       const char        *category);
void till_test_app_server_set_price (TillTestAppServer *server, gint64 id, gint64 unit_amount);
/* Holds the answer to the next N checkouts for @ms (after storing the order). */
void till_test_app_server_delay_checkouts (TillTestAppServer *server, guint count, guint ms);
/* Answers the next N checkouts 507 storage_full, as till-server on a full disk. */
void till_test_app_server_fail_checkouts_disk_full (TillTestAppServer *server, guint count);
/* Answers the next N syncs 503 payment_provider_unavailable: Stripe does not answer the
 * server, which itself answers. */
void  till_test_app_server_fail_syncs (TillTestAppServer *server, guint count);
guint till_test_app_server_get_n_orders (TillTestAppServer *server);
guint till_test_app_server_get_n_checkout_requests (TillTestAppServer *server);
/* POST /api/v1/orders/{id}/sync (answers the order as stored). */
guint till_test_app_server_get_n_sync_requests (TillTestAppServer *server);
guint till_test_app_server_get_n_product_requests (TillTestAppServer *server);
guint till_test_app_server_get_n_not_modified (TillTestAppServer *server);
/* Requests that reached a handler with any Authorization header at all. */
guint till_test_app_server_get_n_authorized (TillTestAppServer *server);

/* GET /api/v1/reports/daily answers one day at once; …/days is held from now until released. */
void till_test_app_server_hold_days (TillTestAppServer *server);
void till_test_app_server_release_days (TillTestAppServer *server);

G_END_DECLS
