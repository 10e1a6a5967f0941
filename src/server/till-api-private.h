/* till-api-private.h: what the parts of till-api share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * till-api.c builds the object, routes requests and starts and stops it; each family of
 * routes has its file (till-api-catalog.c, -checkout.c, -orders.c, -reports.c,
 * -webhooks.c), above the shared layer, till-api-request.c, which calls none of them.
 */
#pragma once

#include <libsoup/soup.h>

#include "till-api.h"
#include "till-drawer.h"
#include "till-orders.h"
#include "till-reconciler.h"
#include "till-stripe-client.h"
#include "till-products.h"
#include "till-http-listener.h"
#include "till-server-config.h"
#include "till-server-error.h"
#include "till-terminals.h"

G_BEGIN_DECLS

/* Failed authentications: a peer address with this many in its window gets 429 for every
 * request that needs a token until the window ends (till-api-request.c, auth_throttled ()).
 * At most AUTH_PEERS_MAX addresses are remembered. */
#define AUTH_FAILURES_MAX 20
#define AUTH_WINDOW_MS (60 * 1000)
#define AUTH_PEERS_MAX 4096
/* An export of the orders (till-api-reports.c) whose client takes nothing for this long is
 * cut off: its read transaction keeps the WAL from being checkpointed past it, so the WAL
 * would grow for as long as it stalls. */
#define EXPORT_STALL_MS (60 * 1000)

struct _TillApi
{
  GObject parent_instance;

  TillServerConfig *config;
  TillDatabase     *db;
  TillStripeClient *stripe;
  SoupServer       *server;
  TillHttpListener *listener;
  GObject          *sim;
  GTimeZone        *tz;
  char             *base_uri;
  char             *csp;
  GBytes           *pay_page;      /* index.html with the Stripe.js address filled in */
  GHashTable       *buckets;       /* terminal id → Bucket */
  GHashTable       *auth_failures; /* peer address → AuthFailures */
  guint             auth_failures_max;
  guint             auth_window_ms;
  guint             auth_peers_max;
  GCancellable     *cancellable;
  TillReconciler   *reconciler;
  /* Intents of new orders, recorded together (see record_new_intent ()). */
  GPtrArray *pending_order_ids; /* gint64 * */
  GPtrArray
      *pending_answers; /* TillApiCall *: each intent's checkout, answered once it is stored */
  GPtrArray *pending_intents; /* JsonObject * */
  /* Checkouts of this turn, stored in one transaction (see flush_turn ()). */
  GPtrArray         *pending_checkouts; /* TillApiCall * */
  gboolean           hold_checkouts;    /* tests: let them pile up */
  TillTerminalCache *terminal_cache;    /* for checkouts, re-checked in their transaction */
  TillProductCache  *product_cache;     /* for pricing checkouts */
  guint64            batch_generation;
  guint              flush_source;   /* idle: the batch, once the loop has nothing else to do */
  guint              flush_deadline; /* or after FLUSH_WAIT_MAX_MS, whichever comes first */
  guint              intents_source;
  gint64             busy_since;     /* first time the checkouts found the database locked */
  GQueue             waiting_writes; /* TillApiCall *: other writes, while another process writes */
  guint              waiting_source;
  guint              busy_wait_ms;
  guint              export_stall_ms; /* an export whose client takes nothing that long stops */
  gboolean           stopping;
  gboolean           disconnected; /* stopped: its messages have no connection left */
  GMutex             held_lock;    /* tests: page reads on threads wait while held */
  GCond              held_cond;
  gboolean           hold_reads;
  guint              held_reads;
  /* Handles a request that waited for the write lock (till-api.c's routing). */
  void (*dispatch) (TillApi *self, SoupServerMessage *msg, const char *path, GHashTable *query);
};

/* Responses. Every API answer goes through these, which also set the security headers. */
void till_api_send_json (SoupServerMessage *msg, guint status, JsonNode *node);
/* Takes @text, written by a TillJsonWriter. */
void        till_api_send_written (SoupServerMessage *msg, guint status, GString *text);
void        till_api_send_error (SoupServerMessage *msg, const GError *error);
const char *till_api_loggable_path (SoupServerMessage *msg);
void        till_api_send_text (
           SoupServerMessage *msg, guint status, const char *content_type, const char *text, gsize length);

/* For tests of the group commit: checkouts waiting for their transaction, and holding them
 * back (they are all stored in one transaction when released). */
guint till_api_get_pending_checkouts (TillApi *self);
void  till_api_hold_checkouts (TillApi *self, gboolean hold);
/* For tests: page reads that run on threads (till-api.c, read_page ()) wait before reading
 * while held; how many wait. */
void  till_api_hold_page_reads (TillApi *self, gboolean hold);
guint till_api_get_held_page_reads (TillApi *self);
/* For tests: exports of orders.csv whose thread is running. */
guint till_api_get_running_exports (void);
/* For tests: how long an export waits for a client that takes nothing (60 s). */
void till_api_set_export_stall_timeout (TillApi *self, guint timeout_ms);
/* For tests: failed authentications a peer address may have in a window (20 in 60 s) before
 * its requests get 429 until the window ends, and how many addresses are remembered at most
 * (4096); how many are. */
void
till_api_set_auth_throttle (TillApi *self, guint max_failures, guint window_ms, guint max_peers);
guint till_api_get_auth_peers (TillApi *self);
/* For tests: writes waiting for another process's write lock (requests, Stripe's answers
 * and a round of the reconciler's). */
guint till_api_get_waiting_writes (TillApi *self);

/* Reports (till-reports.c). */
JsonNode *till_reports_daily (
    TillDatabase *db, const char *currency, GTimeZone *tz, const char *date, GError **error);
/* Sales, refunds and net of each of the @days days up to @date (NULL: today), oldest first. */
JsonNode *till_reports_days (TillDatabase *db,
                             const char   *currency,
                             GTimeZone    *tz,
                             const char   *date,
                             guint         days,
                             GError      **error);
/* Takes what @out holds (and empties it); FALSE to stop. */
typedef gboolean (*TillCsvFlush) (GString *out, gpointer user_data);
/* The orders (all, or of @status, or made in [@from_us, @to_us)) as CSV, handed to @flush
 * whenever @chunk_size bytes are ready and at the end. */
gboolean till_reports_write_orders_csv (TillDatabase *db,
                                        const char   *status,
                                        gint64        from_us,
                                        gint64        to_us,
                                        GTimeZone    *tz,
                                        gsize         chunk_size,
                                        TillCsvFlush  flush,
                                        gpointer      user_data,
                                        GError      **error);

/* Headers every answer has (and corking: see till_api_set_corked ()). */
void    till_api_add_common_headers (SoupServerMessage *msg);
void    till_api_set_corked (SoupServerMessage *msg, gboolean corked);
void    till_api_send_new_error (SoupServerMessage *msg, TillApiError code, const char *message);
void    till_api_send_busy (SoupServerMessage *msg);
GError *till_api_new_busy_error (void);

/* A request paused while its answer is worked out (Stripe, a thread, a lock). */
typedef struct _TillApiCall
{
  TillApi            *api;
  SoupServerMessage  *msg;
  gulong              finished_id;
  gboolean            finished;
  gint64              order_id;
  guint               success_status;
  TillRefund         *refund;
  TillTerminal       *terminal;
  TillOrder          *order; /* as just loaded, when the flow has it already */
  TillCart           *cart;  /* a checkout waiting for its turn's transaction */
  gint64              terminal_id;
  GError             *error;       /* why its order could not be stored */
  gboolean            revoked;     /* its terminal was revoked before its order was stored */
  gint64              deferred_at; /* a write waiting for another process's lock, since then */
  TillStripeResponse *answer;      /* Stripe's answer, to be written by resume () */
  void (*resume) (
      struct _TillApiCall *call); /* writes it, once the lock is free (till_api_write_answer ()) */
  gboolean only_ok;               /* a Stripe error fails the call before resume () */
  void (*never_made) (struct _TillApiCall *call); /* no intent was ever made for its order */
  /* a checkout paid in cash (issue 25): what was handed over, and what it recorded */
  gboolean        cash;
  gint64          cash_tendered;
  TillCashPayment cash_payment;
  /* an offline cash sale uploaded: priced as sold, made at sold_at */
  gboolean offline;
  gint64   sold_at;
  /* a split payment, cash first: the cash part (its card part is the rest) */
  gboolean split;
  gint64   cash_amount;
} TillApiCall;

TillApiCall *till_api_call_new (TillApi *api, SoupServerMessage *msg);
/* Ends @call: its message is unpaused (if it still has a connection) and @call freed. */
void               till_api_call_done (TillApiCall *call);
SoupServerMessage *till_api_call_take_message (TillApiCall *call);
void               till_api_call_fail (TillApiCall *call, const GError *error);

/* Request parsing. */
JsonObject *
till_api_read_json_body_full (SoupServerMessage *msg, gboolean allow_empty, GError **error);
JsonObject *till_api_read_json_body (SoupServerMessage *msg, GError **error);
gboolean    till_api_parse_id (const char *text, gint64 *out_id);
/* A query parameter, NULL when absent or empty. */
const char *till_api_query_get (GHashTable *query, const char *name);
char       *till_api_cursor_encode (gint64 id);
gboolean    till_api_cursor_decode (const char *cursor, gint64 *out_id, GError **error);

/* Authentication and limits. */
TillTerminal *till_api_authenticate (TillApi *self, SoupServerMessage *msg, gboolean cached);
void     till_api_refuse_authentication (TillApi *self, SoupServerMessage *msg, const char *reason);
gboolean till_api_require_admin (SoupServerMessage *msg, const TillTerminal *terminal);
gboolean till_api_take_rate_token (TillApi *self, const TillTerminal *terminal);

/* Pages of lists, read at once or on a worker thread (till_api_read_page ()). */
/* A page of a list: the items, and the id to continue after (0: the last page). */
typedef struct
{
  GPtrArray *items;
  gint64     next;
} TillApiPage;

void till_api_page_free (TillApiPage *page);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillApiPage, till_api_page_free)

typedef TillApiPage *(*TillApiPageRead) (TillDatabase *db, gpointer args, GError **error);
typedef void (*TillApiPageSend) (SoupServerMessage *msg, TillApiPage *page, gpointer args);

void till_api_read_page (TillApi           *self,
                         SoupServerMessage *msg,
                         gboolean           slow,
                         TillApiPageRead    read,
                         TillApiPageSend    send,
                         gpointer           args,
                         GDestroyNotify     args_free);

typedef void (*TillApiHandler) (TillApi           *self,
                                SoupServerMessage *msg,
                                const char        *path,
                                GHashTable        *query);
/* Handles @msg, paused until now, with @handler as if it had just come. */
void till_api_redispatch (TillApi *self, SoupServerMessage *msg, TillApiHandler handler);

/* Writes while another process holds the write lock: see till-api-request.c. */
gboolean till_api_begin_without_waiting (TillApi *self, GError **error);
gboolean till_api_waited_too_long (TillApi *self, gint64 since);
void     till_api_wait_for_lock (TillApi *self, TillApiCall *call);
void     till_api_write_answer (TillApiCall *call, TillStripeResponse *answer);
void     till_api_request_for_write (TillApiCall    *call,
                                     const char     *method,
                                     const char     *path,
                                     TillStripeForm *form,
                                     const char     *key,
                                     gboolean        only_ok,
                                     void (*resume) (TillApiCall *call));
/* Stripe's answer to @call's request, or NULL (the call has then failed); _ok: only a
 * success. */
TillStripeResponse *
till_api_call_stripe_answer (TillApiCall *call, GObject *source, GAsyncResult *result);
TillStripeResponse          *
till_api_call_stripe_answer_ok (TillApiCall *call, GObject *source, GAsyncResult *result);
GError  *till_api_stripe_failure (TillStripeResponse *response);
gboolean till_api_intent_is_unknown (TillStripeResponse *response);
gboolean till_api_cancel_order_of_unknown_intent (TillApiCall *call);
void     till_api_find_lost_intent_async (TillApiCall     *call,
                                          const TillOrder *order,
                                          void (*found) (TillApiCall *call),
                                          void (*never_made) (TillApiCall *call));

/* Orders as answers. */
void  till_api_send_order_json (SoupServerMessage *msg,
                                guint              status,
                                const TillOrder   *order,
                                GPtrArray         *refunds,
                                const char        *receipt_url,
                                JsonObject        *intent,
                                TillRefund        *refund);
char *till_api_receipt_url (TillApi *self, gint64 order_id);
/* GET /r/{token}: an order's public receipt page (till-api-receipt.c). */
void till_api_handle_receipt_page (TillApi *self, SoupServerMessage *msg, const char *token);
void till_api_send_loaded_order (TillApi           *self,
                                 SoupServerMessage *msg,
                                 guint              status,
                                 const TillOrder   *order,
                                 JsonObject        *intent,
                                 TillRefund        *refund);
void till_api_send_order (TillApi           *self,
                          SoupServerMessage *msg,
                          guint              status,
                          gint64             order_id,
                          JsonObject        *intent,
                          TillRefund        *refund);

/* The asking terminal's cash drawer (till-api-drawer.c): @action NULL (GET), "open",
 * "movements" or "close". */
void till_api_handle_drawer (TillApi           *self,
                             SoupServerMessage *msg,
                             const char        *method,
                             const char        *action,
                             TillTerminal      *terminal);

/* X and Z reports of the asking terminal (till-api-drawer.c): @kind "x" or "z", @number a
 * Z's (GET /api/v1/reports/z/{number}) or NULL. */
void till_api_handle_shift_report (TillApi           *self,
                                   SoupServerMessage *msg,
                                   const char        *method,
                                   const char        *kind,
                                   const char        *number,
                                   GHashTable        *query,
                                   TillTerminal      *terminal);

/* Catalog (till-api-catalog.c). */
void till_api_handle_products_list (TillApi           *self,
                                    SoupServerMessage *msg,
                                    GHashTable        *query,
                                    TillTerminal      *terminal);
void till_api_handle_product_create (TillApi *self, SoupServerMessage *msg);
void till_api_handle_product (TillApi           *self,
                              SoupServerMessage *msg,
                              const char        *method,
                              const char        *id_text,
                              TillTerminal      *terminal);
void till_api_handle_by_barcode (TillApi           *self,
                                 SoupServerMessage *msg,
                                 const char        *code,
                                 TillTerminal      *terminal);
void till_api_handle_categories (TillApi *self, SoupServerMessage *msg);

/* Routing (till-api.c): handles @msg as if it had just come. */
void till_api_route (TillApi *self, SoupServerMessage *msg, const char *path, GHashTable *query);

/* Checkouts (till-api-checkout.c). */
void till_api_handle_checkout (TillApi *self, SoupServerMessage *msg, TillTerminal *terminal);
void till_api_flush_intents (TillApi *self);
void till_api_flush_checkouts (TillApi *self);

/* Orders (till-api-orders.c). */
void till_api_handle_orders_list (TillApi *self, SoupServerMessage *msg, GHashTable *query);
void till_api_handle_order (TillApi           *self,
                            SoupServerMessage *msg,
                            const char        *method,
                            const char        *id_text,
                            const char        *action,
                            TillTerminal      *terminal);

/* Reports (till-api-reports.c). */
void till_api_handle_report (TillApi *self, SoupServerMessage *msg, GHashTable *query);
void till_api_handle_report_days (TillApi *self, SoupServerMessage *msg, GHashTable *query);
void till_api_handle_orders_csv (TillApi *self, SoupServerMessage *msg, GHashTable *query);

/* Webhooks (till-api-webhooks.c). */
void till_api_handle_webhook (TillApi *self, SoupServerMessage *msg);

/* Kiosk terminals (till-api-terminals.c). */
/* "kiosk" in the configuration: @terminal's policy, or null when it is no kiosk. */
void till_api_add_kiosk_policy (TillApi *self, JsonBuilder *builder, const TillTerminal *terminal);
void till_api_handle_terminal_policy (TillApi           *self,
                                      SoupServerMessage *msg,
                                      const char        *method,
                                      const char        *id_text,
                                      TillTerminal      *terminal);

G_END_DECLS
