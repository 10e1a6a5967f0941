/* till-product-tile.h: a product in the catalog grid: a picture (or a generated
 * placeholder with its initials), its name and its price.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "till-product.h"

G_BEGIN_DECLS

#define TILL_TYPE_PRODUCT_TILE (till_product_tile_get_type ())
G_DECLARE_FINAL_TYPE (TillProductTile, till_product_tile, TILL, PRODUCT_TILE, GtkWidget)

TillProduct *till_product_tile_get_product (TillProductTile *self);
void         till_product_tile_set_product (TillProductTile *self, TillProduct *product);
/* Up to two letters for the placeholder: "Ayran 300 ml" → "A3", "çay" → "Ç". */
char *till_product_tile_initials (const char *name);

G_END_DECLS
