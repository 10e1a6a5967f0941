/* till-cart-view.h: the open carts as tabs, the selected cart's lines and totals, Charge.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything a cashier does to a cart is a `cart.*` action on this widget (new, close, park,
 * discount, note, charge, remove-line, line-discount, line-note, …) so shortcuts, menus,
 * kiosk lockdown and tests drive the same code.
 */
#pragma once

#include <adwaita.h>

#include "till-cart-store.h"

G_BEGIN_DECLS

#define TILL_TYPE_CART_VIEW (till_cart_view_get_type ())
G_DECLARE_FINAL_TYPE (TillCartView, till_cart_view, TILL, CART_VIEW, GtkWidget)

TillCartView *till_cart_view_new (void);
void          till_cart_view_set_store (TillCartView *self, TillCartStore *store);
/* Currency and tax mode of new carts (from the server's configuration). */
void
till_cart_view_set_currency (TillCartView *self, const char *currency, gboolean prices_include_tax);
/* The cart new products go to; creates one when there is none. Resumes a parked cart. */
TillCartModel *till_cart_view_get_active_cart (TillCartView *self);
TillCartModel *till_cart_view_next_customer (TillCartView *self);
TillCartModel *till_cart_view_get_selected_cart (TillCartView *self);
void           till_cart_view_select_cart (TillCartView *self, TillCartModel *cart);
AdwTabView    *till_cart_view_get_tab_view (TillCartView *self);
/* While a checkout runs, Charge shows progress and the cart cannot change. */
void till_cart_view_set_busy (TillCartView *self, gboolean busy);
/* The Charge button's label, e.g. "Charge $12.50" (for tests). */
const char *till_cart_view_get_charge_label (TillCartView *self);
void        till_cart_view_set_locked (TillCartView *self, gboolean locked);
GtkListBox *till_cart_view_get_list_box (TillCartView *self, TillCartModel *cart);

G_END_DECLS
