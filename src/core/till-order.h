/* till-order.h: orders as the server records them and the app shows them, and their JSON.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include "till-json-writer.h"

G_BEGIN_DECLS

typedef enum
{
  TILL_ORDER_PENDING_PAYMENT,
  TILL_ORDER_PAID,
  TILL_ORDER_PARTIALLY_REFUNDED,
  TILL_ORDER_REFUNDED,
  TILL_ORDER_CANCELED,
  TILL_ORDER_PARTIALLY_PAID, /* a split payment with one part paid (issue 25) */
} TillOrderStatus;

typedef struct
{
  gint64 product_id;
  char  *name;
  gint64 quantity;
  gint64 unit_amount;
  int    tax_rate; /* basis points */
  gint64 discount;
  gint64 tax;
  gint64 total;
} TillOrderLine;

/* A part of an order's payment: cash (what the drawer took, amount + rounding) or a card. */
typedef struct
{
  gint64     id;     /* 0 for a card */
  char      *method; /* "cash" or "card" */
  gint64     amount; /* the part of the order's total it pays */
  gint64     rounding;
  gint64     tendered;       /* cash only, else -1 */
  gint64     change;         /* cash only, else -1 */
  char      *payment_intent; /* card only */
  char      *status;         /* "succeeded" for cash, the PaymentIntent's for a card */
  GDateTime *created_at;     /* nullable */
} TillOrderTender;

typedef struct
{
  gint64          id;
  char           *number; /* human, per store: "T-000042" */
  TillOrderStatus status;
  char           *currency;
  char           *client_reference; /* nullable */
  GPtrArray      *lines;            /* element-type TillOrderLine, owned */
  gint64          subtotal;
  gint64          discount;
  gint64          tax;
  gint64          rounding;
  gint64          total;
  gint64          refunded;
  /* payment; all nullable */
  char      *payment_intent;
  char      *payment_status; /* Stripe's PaymentIntent status */
  char      *card_brand;
  char      *card_last4;
  char      *decline_code; /* the last decline, while pending */
  char      *decline_message;
  GDateTime *created_at;
  GDateTime *paid_at;     /* nullable */
  char      *receipt_url; /* nullable: its receipt page, when the server has a public address */
  /* tenders (issue 25): "card", "cash" or "split", NULL before any payment; what the
   * tenders that succeeded cover of the total (amount_due is total − paid_amount) */
  char      *tender;
  gint64     paid_amount;
  GPtrArray *tenders; /* element-type TillOrderTender, nullable: a single order's only */
  /* sold in cash while the till could not reach the server, uploaded later; then how far
   * the prices it charged were from the catalog's: Σ (charged − catalog) × quantity */
  gboolean offline;
  gint64   catalog_difference;
} TillOrder;

const char *till_order_status_to_string (TillOrderStatus status);
gboolean    till_order_status_from_string (const char *text, TillOrderStatus *out_status);
gboolean    till_order_status_can_become (TillOrderStatus from, TillOrderStatus to);

TillOrderTender *till_order_tender_new (void);
void             till_order_tender_free (TillOrderTender *tender);
TillOrderLine   *till_order_line_new (void);
void             till_order_line_free (TillOrderLine *line);
TillOrder       *till_order_new (void);
void             till_order_free (TillOrder *order);

/* The order as the API shows it: in a tree, written to @writer, or only its members (for a
 * caller that adds some, such as the server's refunds); a summary (in lists) has no lines. */
JsonNode  *till_order_to_json (const TillOrder *order);
void       till_order_write_json (const TillOrder *order, TillJsonWriter *writer);
void       till_order_write_members (const TillOrder *order, TillJsonWriter *writer);
void       till_order_write_summary_json (const TillOrder *order, TillJsonWriter *writer);
TillOrder *till_order_from_json (JsonObject *object, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillOrderLine, till_order_line_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillOrderTender, till_order_tender_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillOrder, till_order_free)

G_END_DECLS
