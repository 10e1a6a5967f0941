/* till-orders.h: orders, their lines, payments and refunds in the database.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-core.h"
#include "till-products.h"
#include "till-database.h"

G_BEGIN_DECLS

typedef struct
{
  const char *currency; /* the store's */
  gboolean    prices_include_tax;
  const char *number_prefix;
  gboolean    cash; /* paid in cash: no card payment, no Stripe minimum */
  /* an offline cash sale: priced as the cart's lines say it was sold, made at sold_at */
  gboolean as_sold;
  gint64   sold_at; /* unix microseconds */
} TillOrderRules;

typedef struct
{
  gint64 id;
  gint64 order_id;
  char  *request_id;
  char  *stripe_refund; /* nullable until Stripe answered */
  gint64 amount;
  char  *reason;     /* nullable */
  char  *status;     /* pending, succeeded, failed, canceled */
  gint64 created_at; /* unix microseconds */
} TillRefund;

void till_refund_free (TillRefund *refund);
void till_refund_write_json (const TillRefund *refund, TillJsonWriter *writer);

/* Prices @cart from the catalog (never from the client), computes the totals with core and
 * stores the order as pending_payment, all in one transaction. Bad lines fail with
 * TILL_API_ERROR_UNPROCESSABLE naming the line ("lines[1].product_id: …"). */
TillOrder *till_orders_create (TillDatabase         *db,
                               const TillOrderRules *rules,
                               const TillCart       *cart,
                               gint64                terminal_id,
                               GError              **error);
/* The same inside the caller's transaction (group commit): an order with the same
 * client_reference is not created again, its id is set in @out_existing and NULL returned
 * without an error; if another terminal made it, the error is
 * TILL_API_ERROR_REFERENCE_CONFLICT and @out_existing stays 0. With @guarded, a bad cart is undone
 * alone (a savepoint). Without, a cart that fails its checks has written nothing either, but a
 * write the database refuses (TILL_DATABASE_ERROR) may leave part of the order in the transaction:
 * the caller must roll it back. A savepoint costs every page the order touches a copy into SQLite's
 * statement journal, so the group commit first tries without. */
TillOrder *till_orders_create_locked (TillDatabase         *db,
                                      const TillOrderRules *rules,
                                      const TillCart       *cart,
                                      gint64                terminal_id,
                                      TillProductCache     *products,
                                      gboolean              guarded,
                                      gint64               *out_existing,
                                      GError              **error);
TillOrder *till_orders_get (TillDatabase *db, gint64 id, GError **error);
/* 0 when none. */
gint64
till_orders_find_by_reference (TillDatabase *db, const char *client_reference, GError **error);
/* The order of this database that a PaymentIntent's metadata names (intent_form () in
 * till-api.c writes it into every intent), or 0: an intent of another till, or not made by
 * one. No order records an intent that names another. */
/* The order that recorded the intent @intent_id (0 when none, -1 on an error). */
gint64 till_orders_find_by_intent (TillDatabase *db, const char *intent_id, GError **error);
gint64 till_orders_order_of_intent (TillDatabase *db, JsonObject *intent);
/* Cancels a pending order for which Stripe has no intent (none was ever made), so nothing
 * can be charged for it; *out_changed is FALSE if it was not pending, or has an intent. */
gboolean till_orders_cancel_without_intent (TillDatabase *db,
                                            gint64        order_id,
                                            gboolean     *out_changed,
                                            GError      **error);
/* Cancels a pending order whose recorded intent @intent_id Stripe answers it does not know
 * (404 resource_missing: deleted test data, the training simulator restarted): it can never
 * be paid. *out_changed is FALSE if it was not pending or records another intent. */
gboolean till_orders_cancel_lost_intent (TillDatabase *db,
                                         gint64        order_id,
                                         const char   *intent_id,
                                         gboolean     *out_changed,
                                         GError      **error);
/* Moves the order according to a PaymentIntent object as Stripe returns it: succeeded →
 * paid (with card brand and last 4), canceled → canceled, a failed attempt → the decline
 * is recorded and the order stays pending. Never moves an order backwards. */
gboolean till_orders_apply_intent (
    TillDatabase *db, gint64 order_id, JsonObject *intent, gboolean *out_changed, GError **error);
/* Several at once, in one transaction (element-type gint64 *, JsonObject). An intent that
 * cannot be applied is logged and skipped; the others are kept. */
gboolean till_orders_apply_intents (TillDatabase *db,
                                    GPtrArray    *order_ids,
                                    GPtrArray    *intents,
                                    GError      **error);
/* The same inside the caller's transaction; on a database failure the transaction is
 * rolled back. */
gboolean till_orders_apply_intents_locked (TillDatabase *db,
                                           GPtrArray    *order_ids,
                                           GPtrArray    *intents,
                                           GError      **error);
/* element-type TillOrder (lines not loaded). @intent_order: the order whose intent
 * @query may be (till_orders_order_of_intent () of the intent of that id), or 0;
 * @amount: the total @query reads as in the store's currency, or -1. */
GPtrArray *till_orders_list (TillDatabase *db,
                             const char   *status,
                             gint64        from_us,
                             gint64        to_us,
                             const char   *query,
                             gint64        intent_order,
                             gint64        amount,
                             gint64        before_id,
                             guint         limit,
                             gint64       *out_next_before,
                             GError      **error);
/* Pending (and partially paid) orders created before @older_than_us, oldest first, from the first
 * one after
 * (@after_created_us, @after_id) in that order (G_MININT64, 0: from the oldest); the last
 * one's creation time in *@out_last_created_us. element-type gint64 */
GArray *till_orders_list_pending (TillDatabase *db,
                                  gint64        older_than_us,
                                  gint64        after_created_us,
                                  gint64        after_id,
                                  guint         limit,
                                  gint64       *out_last_created_us,
                                  GError      **error);

/* Refunds. Reserving checks the remainder and inserts a pending refund; an existing
 * @request_id returns the refund it made (*out_existing = TRUE). @amount 0: the rest. */
TillRefund *till_orders_reserve_refund (TillDatabase *db,
                                        gint64        order_id,
                                        const char   *request_id,
                                        gint64        amount,
                                        const char   *reason,
                                        gboolean     *out_existing,
                                        GError      **error);
/* A refund given back in cash, at once, from the drawer session open on @terminal_id
 * (TILL_API_ERROR_NO_DRAWER_SESSION for none): reserved, succeeded and counted in one
 * transaction; an existing @request_id returns the refund it made (*out_existing = TRUE). */
TillRefund *till_orders_refund_cash (TillDatabase *db,
                                     gint64        order_id,
                                     gint64        terminal_id,
                                     const char   *request_id,
                                     gint64        amount,
                                     const char   *reason,
                                     gboolean     *out_existing,
                                     GError      **error);
/* Records Stripe's answer and updates the order's refunded amount and status. */
gboolean till_orders_finish_refund (TillDatabase *db,
                                    gint64        refund_id,
                                    const char   *stripe_refund,
                                    const char   *status,
                                    GError      **error);
/* Updates a refund found by its Stripe id (from webhooks); FALSE without error if unknown. */
gboolean   till_orders_update_refund_status (TillDatabase *db,
                                             const char   *stripe_refund,
                                             const char   *status,
                                             GError      **error);
GPtrArray *till_orders_list_refunds (TillDatabase *db, gint64 order_id, GError **error);
/* Refunds reserved before @older_than_us whose Stripe call never answered (pending, no
 * Stripe id), oldest first, from the first after @after_id. element-type TillRefund */
GPtrArray *till_orders_list_stuck_refunds (
    TillDatabase *db, gint64 older_than_us, gint64 after_id, guint limit, GError **error);

/* The order JSON of docs/contract.md with its `refunds` (element-type TillRefund); without them
 * (the list's entries) it is core's till_order_write_json(). */
void till_orders_write_json (const TillOrder *order,
                             GPtrArray       *refunds,
                             const char      *receipt_url,
                             TillJsonWriter  *writer);

/* The token of the order's public receipt page (/r/{token}), made with the order. */
char *till_orders_get_receipt_token (TillDatabase *db, gint64 order_id, GError **error);
/* The order whose receipt page token is @token: its id, 0 for none, -1 on an error. */
gint64 till_orders_find_by_receipt_token (TillDatabase *db, const char *token, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillRefund, till_refund_free)

G_END_DECLS
