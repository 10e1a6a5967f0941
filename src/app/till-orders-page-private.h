/* till-orders-page-private.h: TillOrdersPage's insides, for tests and screenshots.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-orders-page.h"

G_BEGIN_DECLS

/* A request to the server is under way. */
gboolean         till_orders_page_is_busy (TillOrdersPage *self);
guint            till_orders_page_get_n_orders (TillOrdersPage *self);
const TillOrder *till_orders_page_get_order (TillOrdersPage *self, guint index);
/* What a scroll to the end of the list does: the next page, if there is one. */
gboolean     till_orders_page_load_more (TillOrdersPage *self);
gboolean     till_orders_page_has_more (TillOrdersPage *self);
GtkListBox  *till_orders_page_get_list (TillOrdersPage *self);
GtkEditable *till_orders_page_get_search_entry (TillOrdersPage *self);
/* 0 all dates, 1 today, 2 the range typed in the from and to entries (YYYY-MM-DD). */
GtkDropDown *till_orders_page_get_period (TillOrdersPage *self);
GtkEditable *till_orders_page_get_from_entry (TillOrdersPage *self);
GtkEditable *till_orders_page_get_to_entry (TillOrdersPage *self);
/* 0 any, then pending_payment, paid, partially_refunded, refunded, canceled. */
GtkDropDown *till_orders_page_get_status (TillOrdersPage *self);
/* The line under the list or the detail: an error or "no orders", NULL when none. */
const char *till_orders_page_get_message (TillOrdersPage *self);
/* The order shown in detail (with lines), its refunds; NULL on the list. */
const TillOrder *till_orders_page_get_detail (TillOrdersPage *self, GPtrArray **out_refunds);
/* The detail's text, every label of it in order, one a line. */
char      *till_orders_page_get_detail_text (TillOrdersPage *self);
GtkWidget *till_orders_page_get_sync_button (TillOrdersPage *self);
GtkWidget *till_orders_page_get_refund_button (TillOrdersPage *self);
GtkWidget *till_orders_page_get_print_button (TillOrdersPage *self);
/* The line under the bar about the last Reprint of the order shown ("Printed." or why not),
 * NULL when none. */
const char *till_orders_page_get_print_message (TillOrdersPage *self);
/* The refund dialog while it is up, and its parts. */
AdwMessageDialog *till_orders_page_get_refund_dialog (TillOrdersPage *self);
/* 0 the whole rest, 1 an amount, 2 chosen lines. */
GtkDropDown   *till_orders_page_get_refund_kind (TillOrdersPage *self);
GtkEditable   *till_orders_page_get_refund_amount (TillOrdersPage *self);
GtkSpinButton *till_orders_page_get_refund_line (TillOrdersPage *self, guint index);
/* 0 none, 1 requested by the customer, 2 duplicate, 3 fraudulent. */
GtkDropDown *till_orders_page_get_refund_reason (TillOrdersPage *self);
/* What the dialog would refund (0: nothing valid), and why not when it cannot. */
gint64      till_orders_page_get_refund_total (TillOrdersPage *self);
const char *till_orders_page_get_refund_problem (TillOrdersPage *self);
/* The Idempotency-Key's stem: the same for the order until one of its refunds is answered. */
const char *till_orders_page_get_refund_key (TillOrdersPage *self);

G_END_DECLS
