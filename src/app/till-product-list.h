/* till-product-list.h: what the catalog grid shows — a GListModel of stable slots.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8's grid keeps ~30 rows of tiles around what is on screen and makes new tiles for
 * every item that is new to it, so replacing the items on each keystroke built hundreds of
 * widgets (150+ ms). Here the items are slots that keep their place: a search changes the
 * product each slot holds (its tile updates its labels) and only the count changes at the
 * end of the model. See bench/README.md.
 */
#pragma once

#include <gio/gio.h>

#include "till-product.h"

G_BEGIN_DECLS

#define TILL_TYPE_PRODUCT_SLOT (till_product_slot_get_type ())
G_DECLARE_FINAL_TYPE (TillProductSlot, till_product_slot, TILL, PRODUCT_SLOT, GObject)

/* The product in this slot now; ::notify::product when it changes. */
TillProduct     *till_product_slot_get_product (TillProductSlot *self);

#define TILL_TYPE_PRODUCT_LIST (till_product_list_get_type ())
G_DECLARE_FINAL_TYPE (TillProductList, till_product_list, TILL, PRODUCT_LIST, GObject)

TillProductList *till_product_list_new          (void);
/* Takes @products (element-type TillProduct, owning references). */
void             till_product_list_replace      (TillProductList *self,
                                                 GPtrArray       *products);
/* The products, in order (borrowed). */
GPtrArray       *till_product_list_peek_array   (TillProductList *self);
/* The product at @position, or NULL (borrowed). */
TillProduct     *till_product_list_peek_product (TillProductList *self,
                                                 guint            position);

G_END_DECLS
