/* till-client.h: the connection to till-server (libsoup 3, asynchronous).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One TillClient per terminal. It knows the server address, the terminal token (handed in
 * from the keyring, never stored by the client), and optionally the SHA-256 fingerprint the
 * server's TLS certificate must have. It keeps ::state up to date: a request that cannot
 * reach the server turns it OFFLINE and starts reconnecting by itself, with backoff.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "till-core.h"
#include "till-kiosk-config.h"
#include "till-product.h"

G_BEGIN_DECLS

#define TILL_CLIENT_ERROR (till_client_error_quark ())

typedef enum
{
  TILL_CLIENT_ERROR_NOT_CONFIGURED,     /* no server address or token yet */
  TILL_CLIENT_ERROR_NETWORK,            /* cannot reach the server */
  TILL_CLIENT_ERROR_TIMEOUT,            /* sent, but no answer in time: the outcome is unknown */
  TILL_CLIENT_ERROR_CERTIFICATE,        /* TLS certificate not trusted, or not the pinned one */
  TILL_CLIENT_ERROR_UNAUTHORIZED,       /* 401: the terminal token is wrong or revoked */
  TILL_CLIENT_ERROR_FORBIDDEN,          /* 403 */
  TILL_CLIENT_ERROR_NOT_FOUND,          /* 404 */
  TILL_CLIENT_ERROR_CONFLICT,           /* 409 */
  TILL_CLIENT_ERROR_INVALID_REQUEST,    /* other 4xx: the server refused what we sent */
  TILL_CLIENT_ERROR_SERVER,             /* 5xx */
  TILL_CLIENT_ERROR_BAD_RESPONSE,       /* an answer we cannot read */
  TILL_CLIENT_ERROR_STORAGE_FULL,       /* 507 storage_full: the server's disk is full */
  TILL_CLIENT_ERROR_ORDER_CANCELED,     /* 409 order_canceled: a checkout's reference is spent */
  TILL_CLIENT_ERROR_REFERENCE_CONFLICT, /* 409 client_reference_conflict: another terminal's */
  TILL_CLIENT_ERROR_PAYMENT_PROVIDER,   /* 502/503 payment_provider_*: Stripe, not the server */
} TillClientError;

typedef enum
{
  TILL_CONNECTION_UNCONFIGURED,
  TILL_CONNECTION_CONNECTING,
  TILL_CONNECTION_ONLINE,
  TILL_CONNECTION_OFFLINE, /* reconnecting with backoff */
  TILL_CONNECTION_REFUSED, /* token or certificate refused: needs a person */
} TillConnectionState;

typedef struct
{
  char    *store_name;
  char    *store_address; /* nullable; "\n" between lines; for receipts */
  char    *store_tax_id;  /* nullable; for receipts */
  char    *currency;
  gboolean prices_include_tax;
  char    *mode; /* "live", "test" or "training" */
  char    *publishable_key;
  char    *stripe_js_url; /* Stripe.js, or the simulator's stand-in in training */
  char    *role;          /* this terminal's: "cashier" or "admin"; nullable */
  gboolean moto;          /* [stripe] moto: a card the cashier types is a MOTO payment */
  /* Cash: [store] cash-rounding (the increment in minor units, 0: none), offline-cash, and the
   * tenders the store takes (NULL from a server before cash: card only). */
  gint64           cash_rounding;
  gboolean         offline_cash;
  GStrv            tenders;
  TillKioskConfig *kiosk; /* a kiosk's policy (role "kiosk"), else NULL */
} TillStoreConfig;

typedef struct
{
  TillOrder *order;
  char      *payment_intent;
  char      *client_secret; /* never logged, never stored */
} TillCheckoutResponse;

GType            till_store_config_get_type (void) G_GNUC_CONST;
TillStoreConfig *till_store_config_copy (const TillStoreConfig *config);
void             till_store_config_free (TillStoreConfig *config);
TillStoreConfig *till_store_config_from_json (JsonObject *object, GError **error);
gboolean         till_store_config_is_training (const TillStoreConfig *config);
gboolean         till_store_config_is_admin (const TillStoreConfig *config);
/* The server says this terminal is a self-checkout kiosk. */
gboolean till_store_config_is_kiosk (const TillStoreConfig *config);

GType                 till_checkout_response_get_type (void) G_GNUC_CONST;
TillCheckoutResponse *till_checkout_response_copy (const TillCheckoutResponse *response);
void                  till_checkout_response_free (TillCheckoutResponse *response);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillStoreConfig, till_store_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillCheckoutResponse, till_checkout_response_free)

#define TILL_TYPE_CLIENT (till_client_get_type ())
G_DECLARE_FINAL_TYPE (TillClient, till_client, TILL, CLIENT, GObject)

GQuark till_client_error_quark (void);

TillClient *till_client_new (void);
/* Changing the server or the token starts a new connection attempt. */
void        till_client_set_server (TillClient *self, const char *base_url, const char *token);
const char *till_client_get_base_url (TillClient *self);
/* Lower-case hex SHA-256 of the DER certificate (colons allowed), or NULL to use only the
 * system's trust store. With a pin, a self-signed certificate with that fingerprint is
 * accepted and any other certificate refused before the token is sent. */
void till_client_set_pinned_certificate (TillClient *self, const char *sha256);
/* Request timeout; tests make it short. */
void till_client_set_timeout (TillClient *self, guint seconds);
/* Reconnection backoff: first delay, doubled up to the maximum. */
void till_client_set_retry_delays (TillClient *self, guint initial_ms, guint max_ms);

TillConnectionState till_client_get_state (TillClient *self);
/* The last configuration the server sent (NULL before the first connection). */
const TillStoreConfig *till_client_get_config (TillClient *self);
/* The last connection error, for the banner (NULL when online). */
const GError *till_client_get_last_error (TillClient *self);
/* Connects now (GET /api/v1/config) instead of waiting for the next retry. */
void till_client_reconnect (TillClient *self);

/* SHA-256 of a certificate, lower-case hex with colons ("ab:cd:…"), for people to compare. */
char *till_client_certificate_fingerprint (GTlsCertificate *certificate);
/* Normalizes a fingerprint as typed: colons and spaces dropped, lower case; NULL if it is
 * not 64 hex digits. */
char *till_client_normalize_fingerprint (const char *text);

/* POST /api/v1/training/terminals on the training server at @base_url: a cashier terminal's
 * token for this computer (no token needed to ask). */
void  till_client_training_terminal_async (TillClient         *self,
                                           const char         *base_url,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
char *till_client_training_terminal_finish (TillClient *self, GAsyncResult *result, GError **error);
/* GET /healthz without a token: is there a till-server at @base_url? Returns the
 * fingerprint of its certificate (NULL over plain HTTP) in @out_fingerprint. Certificates
 * that are not trusted are accepted here only to show their fingerprint. */
void     till_client_probe_async (TillClient         *self,
                                  const char         *base_url,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
gboolean till_client_probe_finish (TillClient   *self,
                                   GAsyncResult *result,
                                   char        **out_fingerprint,
                                   GError      **error);

void till_client_get_config_async (TillClient         *self,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
TillStoreConfig *
till_client_get_config_finish (TillClient *self, GAsyncResult *result, GError **error);

/* All pages of GET /api/v1/products. With @etag, a 304 finishes with TRUE and
 * *out_products = NULL: the cached catalog is current. */
void     till_client_fetch_products_async (TillClient         *self,
                                           const char         *etag,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
gboolean till_client_fetch_products_finish (TillClient   *self,
                                            GAsyncResult *result,
                                            GPtrArray   **out_products,
                                            char        **out_etag,
                                            GError      **error);

void till_client_lookup_barcode_async (TillClient         *self,
                                       const char         *barcode,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
TillProduct *
till_client_lookup_barcode_finish (TillClient *self, GAsyncResult *result, GError **error);

/* POST /api/v1/checkouts with till_cart_to_checkout_json (@cart); the cart must have a
 * client_reference. */
void till_client_create_checkout_async (TillClient         *self,
                                        const TillCart     *cart,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
TillCheckoutResponse *
till_client_create_checkout_finish (TillClient *self, GAsyncResult *result, GError **error);
/* POST /api/v1/orders/{id}/sync and …/cancel: the server asks Stripe and answers the order. */
void till_client_sync_order_async (TillClient         *self,
                                   gint64              order_id,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
/* POST /api/v1/orders/{id}/confirm: the server confirms the order's payment with a card the
 * cashier typed (@payment_method), as a mail or telephone order; the order as after a sync. */
void till_client_confirm_order_async (TillClient         *self,
                                      gint64              order_id,
                                      const char         *payment_method,
                                      gboolean            kiosk,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
void till_client_cancel_order_async (TillClient         *self,
                                     gint64              order_id,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
void till_client_send_receipt_async (TillClient         *self,
                                     gint64              order_id,
                                     const char         *email,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
/* The finish function of all three. */
TillOrder *till_client_order_action_finish (TillClient *self, GAsyncResult *result, GError **error);

/* GET /api/v1/reports/daily for @date (NULL: the store's today). */
void till_client_get_daily_report_async (TillClient         *self,
                                         GDate              *date,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
/* GET /api/v1/reports/days: the @days (1–31) days up to @last. */
void till_client_get_report_days_async (TillClient         *self,
                                        GDate              *last,
                                        guint               days,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
/* The finish function of both: the report as the server sent it. */
JsonObject *till_client_get_report_finish (TillClient *self, GAsyncResult *result, GError **error);
/* GET /api/v1/orders.csv (admin) of the orders made on the store's days @first to @last, into
 * @destination (replaced only once the whole export is in). */
void     till_client_export_orders_async (TillClient         *self,
                                          GDate              *first,
                                          GDate              *last,
                                          GFile              *destination,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
gboolean till_client_export_orders_finish (TillClient *self, GAsyncResult *result, GError **error);
/* A refund of an order, as GET /api/v1/orders/{id} lists it. */
typedef struct
{
  gint64     id;
  gint64     amount;
  char      *status; /* "pending", "succeeded", "failed" or "canceled" */
  char      *reason; /* nullable */
  GDateTime *created_at;
} TillOrderRefund;

GType            till_order_refund_get_type (void) G_GNUC_CONST;
TillOrderRefund *till_order_refund_copy (const TillOrderRefund *refund);
void             till_order_refund_free (TillOrderRefund *refund);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillOrderRefund, till_order_refund_free)

void       till_client_list_orders_async (TillClient         *self,
                                          const char         *status,
                                          const char         *from,
                                          const char         *to,
                                          const char         *q,
                                          const char         *cursor,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
GPtrArray *till_client_list_orders_finish (TillClient   *self,
                                           GAsyncResult *result,
                                           char        **out_next_cursor,
                                           GError      **error);
void       till_client_get_order_async (TillClient         *self,
                                        gint64              order_id,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
void       till_client_refund_order_async (TillClient         *self,
                                           gint64              order_id,
                                           gint64              amount,
                                           const char         *reason,
                                           const char         *idempotency_key,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
TillOrder *till_client_order_detail_finish (TillClient   *self,
                                            GAsyncResult *result,
                                            GPtrArray   **out_refunds,
                                            GError      **error);

/* Cash: cash checkouts, drawer sessions, X and Z reports (docs/contract.md, "Cash"). */

typedef struct
{
  TillOrder *order;
  gint64     amount;   /* the cash part, before rounding */
  gint64     rounding; /* what the cash rounding added (negative: took off) */
  gint64     tendered;
  gint64     change;
  gboolean   replayed; /* 200: the server had this client_reference already */
} TillCashCheckout;

void till_cash_checkout_free (TillCashCheckout *checkout);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillCashCheckout, till_cash_checkout_free)

gboolean till_store_config_takes_tender (const TillStoreConfig *config, const char *tender);
/* POST /api/v1/checkouts with @body (tender "cash", an online or an offline sale). */
void till_client_cash_checkout_async (TillClient         *self,
                                      JsonNode           *body,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
TillCashCheckout      *
till_client_cash_checkout_finish (TillClient *self, GAsyncResult *result, GError **error);
void till_client_split_checkout_async (TillClient         *self,
                                       JsonNode           *body,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
/* GET (@body NULL) or POST @path (/api/v1/drawer…, /api/v1/reports/x, /api/v1/reports/z…) with
 * an optional Idempotency-Key: the answer's object. */
void till_client_cash_request_async (TillClient         *self,
                                     const char         *path,
                                     JsonNode           *body,
                                     const char         *idempotency_key,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
JsonObject *
till_client_cash_request_finish (TillClient *self, GAsyncResult *result, GError **error);

G_END_DECLS
