/* till-orders-page.h: the orders the server has, newest first, an order's detail and its
 * refunds.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-client.h"

G_BEGIN_DECLS

#define TILL_TYPE_ORDERS_PAGE (till_orders_page_get_type ())
G_DECLARE_FINAL_TYPE (TillOrdersPage, till_orders_page, TILL, ORDERS_PAGE, AdwBin)

TillOrdersPage *till_orders_page_new (TillClient *client);
/* Asks the server again for the first page with the filters shown, and shows the list. */
void till_orders_page_reload (TillOrdersPage *self);
/* Ctrl+F: the list and its search box. */
void till_orders_page_focus_search (TillOrdersPage *self);

G_END_DECLS
