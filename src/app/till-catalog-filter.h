/* till-catalog-filter.h: the search-as-you-type query and category of the catalog view.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "till-product.h"

G_BEGIN_DECLS

#define TILL_TYPE_CATALOG_FILTER (till_catalog_filter_get_type ())
G_DECLARE_FINAL_TYPE (TillCatalogFilter, till_catalog_filter, TILL, CATALOG_FILTER, GtkFilter)

TillCatalogFilter *till_catalog_filter_new (void);
/* What the cashier typed; folded with till_search_fold(). Every word must match (name, SKU
 * or barcode). ::changed says when the new query is stricter, so typing one more letter
 * only re-checks what matched before (till_catalog_search() with @within). */
void        till_catalog_filter_set_query (TillCatalogFilter *self, const char *query);
const char *till_catalog_filter_get_query (TillCatalogFilter *self);
/* The query's words, folded (none when it is empty). */
const char *const *till_catalog_filter_get_words (TillCatalogFilter *self);
/* NULL for all categories. */
void        till_catalog_filter_set_category (TillCatalogFilter *self, const char *category);
const char *till_catalog_filter_get_category (TillCatalogFilter *self);
gboolean    till_catalog_filter_matches (TillCatalogFilter *self, TillProduct *product);

G_END_DECLS
