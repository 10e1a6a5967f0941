/* till-product-list.h: what the catalog grid shows — a GListModel of stable slots.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8's grid keeps ~30 rows of tiles around what is on screen and makes new tiles for
 * every item that is new to it, so replacing the items on each keystroke built hundreds of
 * widgets. Here the items are slots that keep their place: a search changes the
 * product each slot holds (its tile updates its labels) and only the count changes at the
 * end of the model. A slot holds a position in the catalog and makes its TillProduct only
 * when asked (by a tile on screen), so a search makes no objects for the 2,000 it may show.
 * See bench/README.md.
 */
#pragma once

#include <gio/gio.h>

#include "till-catalog.h"

G_BEGIN_DECLS

#define TILL_TYPE_PRODUCT_SLOT (till_product_slot_get_type ())
G_DECLARE_FINAL_TYPE (TillProductSlot, till_product_slot, TILL, PRODUCT_SLOT, GObject)

/* The product in this slot now (borrowed; made on the first call after a change), or NULL;
 * ::notify::product when it changes. */
TillProduct *till_product_slot_get_product (TillProductSlot *self);

#define TILL_TYPE_PRODUCT_LIST (till_product_list_get_type ())
G_DECLARE_FINAL_TYPE (TillProductList, till_product_list, TILL, PRODUCT_LIST, GObject)

TillProductList *till_product_list_new (void);
/* Shows the products of @catalog at @positions (guint32; taken). */
void till_product_list_replace (TillProductList *self, TillCatalog *catalog, GArray *positions);
/* The product at @position, or NULL (borrowed). */
TillProduct *till_product_list_peek_product (TillProductList *self, guint position);

G_END_DECLS
