/* till-drawer.h: cash in the database: the cash tenders of orders, and drawer sessions
 * (one open per terminal: a float, pay-ins, pay-outs, no-sale openings, a blind count).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-core.h"
#include "till-database.h"

G_BEGIN_DECLS

/* What a cash payment took: the part of the order it pays, the rounding on it (the drawer
 * took amount + rounding), what was handed over and the change. */
typedef struct
{
  gint64 id;
  gint64 order_id;
  gint64 amount;
  gint64 rounding;
  gint64 tendered;
  gint64 change;
} TillCashPayment;

/* Records a cash payment of @amount on order @order_id inside the caller's transaction,
 * rounded to @increment (core's till_cash_tender ()), into drawer session @session_id,
 * once per @request_key: a key recorded
 * before gives its payment back (*@out_existing TRUE) whatever the other arguments; the
 * order's completion is the caller's. Refuses less tendered than is due
 * (TILL_CASH_ERROR_SHORT) before writing anything. */
gboolean till_drawer_record_cash_locked (TillDatabase    *db,
                                         gint64           order_id,
                                         gint64           terminal_id,
                                         gint64           session_id,
                                         const char      *request_key,
                                         gint64           amount,
                                         gint64           increment,
                                         gint64           tendered,
                                         TillCashPayment *out_payment,
                                         gboolean        *out_existing,
                                         GError         **error);
/* The cash payment recorded with @request_key: FALSE without an error when there is none. */
gboolean till_drawer_find_cash (TillDatabase    *db,
                                const char      *request_key,
                                TillCashPayment *out_payment,
                                GError         **error);
/* Marks a pending order paid by what was just recorded, inside the caller's transaction. */
gboolean till_drawer_complete_order_locked (TillDatabase *db, gint64 order_id, GError **error);
/* Makes a pending order partially paid by the cash just recorded, its card payment now for
 * @card_part (Till's minor units), inside the caller's transaction. */
gboolean till_drawer_split_order_locked (TillDatabase *db,
                                         gint64        order_id,
                                         gint64        card_part,
                                         GError      **error);
/* `{amount, rounding, tendered, change}` */
void till_cash_payment_write_json (const TillCashPayment *payment, TillJsonWriter *writer);

typedef struct
{
  gint64 id;
  gint64 terminal_id;
  char  *terminal;  /* its name */
  gint64 opened_at; /* unix microseconds */
  gint64 closed_at; /* 0 while open */
  gint64 float_amount;
  gint64 cash_sales; /* what the drawer took for sales, rounding included */
  gint64 cash_refunds;
  gint64 pay_ins;
  gint64 pay_outs;
  gint64 no_sales; /* how many */
  gint64 expected; /* float + cash_sales − cash_refunds + pay_ins − pay_outs */
  gint64 counted;  /* once closed */
} TillDrawerSession;

typedef struct
{
  gint64 id;
  gint64 session_id;
  char  *type; /* pay_in, pay_out, no_sale */
  gint64 amount;
  char  *reason;   /* nullable for a no-sale */
  char  *terminal; /* its name */
  gint64 created_at;
} TillDrawerMovement;

void till_drawer_session_free (TillDrawerSession *session);
void till_drawer_movement_free (TillDrawerMovement *movement);
/* Session JSON; while it is open, without what would tell the cashier the expected amount
 * before the count (cash_sales, cash_refunds, expected, counted, over_short are null). */
void till_drawer_session_write_json (const TillDrawerSession *session, TillJsonWriter *writer);
void till_drawer_movement_write_json (const TillDrawerMovement *movement, TillJsonWriter *writer);

/* The terminal's open session: its id, 0 for none (-1 with @error on a failure). */
gint64 till_drawer_find_open (TillDatabase *db, gint64 terminal_id, GError **error);
/* A session with its figures as they are now; TILL_API_ERROR_NOT_FOUND for none. */
TillDrawerSession *till_drawer_get (TillDatabase *db, gint64 session_id, GError **error);
/* Opens a session with @float_amount, in a transaction of its own; TILL_API_ERROR_INVALID_STATE
 * when one is open. */
TillDrawerSession *
till_drawer_open (TillDatabase *db, gint64 terminal_id, gint64 float_amount, GError **error);
/* A pay-in, pay-out or no-sale into the open session (TILL_API_ERROR_NO_DRAWER_SESSION for
 * none), once per @request_key (nullable): a key used before gives its movement back
 * (*@out_existing TRUE). */
TillDrawerMovement *till_drawer_add_movement (TillDatabase *db,
                                              gint64        terminal_id,
                                              const char   *type,
                                              gint64        amount,
                                              const char   *reason,
                                              const char   *request_key,
                                              gboolean     *out_existing,
                                              GError      **error);
/* Closes the open session with what was counted, storing the expected amount beside it;
 * a closed session is never changed again (a trigger refuses it). With @request_key
 * (nullable), remembered with it (till_drawer_find_closed ()). */
TillDrawerSession *till_drawer_close (
    TillDatabase *db, gint64 terminal_id, gint64 counted, const char *request_key, GError **error);
/* The session the terminal closed with @request_key: its id, 0 for none (-1 on an error). */
gint64 till_drawer_find_closed (TillDatabase *db,
                                gint64        terminal_id,
                                const char   *request_key,
                                GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillDrawerSession, till_drawer_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillDrawerMovement, till_drawer_movement_free)

G_END_DECLS
