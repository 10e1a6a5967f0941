/* till-cart-row.h: one line of a cart: name, quantity, line total, discount and note menu.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "till-cart-model.h"

G_BEGIN_DECLS

#define TILL_TYPE_CART_ROW (till_cart_row_get_type ())
G_DECLARE_FINAL_TYPE (TillCartRow, till_cart_row, TILL, CART_ROW, GtkListBoxRow)

TillCartRow *till_cart_row_new (TillCartModel *cart);
/* Shows line @index with its totals; keeps the quantity entry's focus and cursor. */
void  till_cart_row_update (TillCartRow *self, guint index, const TillLineTotals *totals);
guint till_cart_row_get_index (TillCartRow *self);

G_END_DECLS
