/* till-product.h: one catalog product, as the app shows and sells it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_TYPE_PRODUCT (till_product_get_type ())
G_DECLARE_FINAL_TYPE (TillProduct, till_product, TILL, PRODUCT, GObject)

TillProduct *till_product_new (gint64      id,
                               const char *name,
                               const char *sku,
                               const char *barcode,
                               const char *category,
                               const char *currency,
                               gint64      unit_amount,
                               int         tax_rate);
/* As till_product_new(), with the folded search key already computed (from the cache). */
TillProduct *till_product_new_with_key (gint64      id,
                                        const char *name,
                                        const char *sku,
                                        const char *barcode,
                                        const char *category,
                                        const char *currency,
                                        gint64      unit_amount,
                                        int         tax_rate,
                                        const char *search_key);
/* Reads the server's product object ({id, name, sku?, barcode?, category?, currency,
 * unit_amount, tax_rate}); a product without id, name or price is an error. */
TillProduct *till_product_new_from_json (JsonObject *object, GError **error);
JsonNode    *till_product_to_json (TillProduct *self);

gint64 till_product_get_id (TillProduct *self);
/* Points at the id inside the product: a key for g_int64_hash tables. */
const gint64 *till_product_get_id_ref (TillProduct *self);
const char   *till_product_get_name (TillProduct *self);
const char   *till_product_get_sku (TillProduct *self);
const char   *till_product_get_barcode (TillProduct *self);
const char   *till_product_get_category (TillProduct *self);
const char   *till_product_get_currency (TillProduct *self);
gint64        till_product_get_unit_amount (TillProduct *self);
int           till_product_get_tax_rate (TillProduct *self);
/* Folded name, SKU and barcode (see till_search_fold()), computed once. */
const char *till_product_get_search_key (TillProduct *self);
/* The price as core formats it for the current locale; cached. */
const char *till_product_get_price_label (TillProduct *self);

G_END_DECLS
