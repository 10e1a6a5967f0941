/* till-catalog-view.h: the products — search, category chips, grid or list.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-catalog.h"
#include "till-catalog-filter.h"

G_BEGIN_DECLS

#define TILL_TYPE_CATALOG_VIEW (till_catalog_view_get_type ())
G_DECLARE_FINAL_TYPE (TillCatalogView, till_catalog_view, TILL, CATALOG_VIEW, GtkWidget)

TillCatalogView   *till_catalog_view_new (void);
void               till_catalog_view_set_catalog (TillCatalogView *self, TillCatalog *catalog);
GtkSearchEntry    *till_catalog_view_get_search_entry (TillCatalogView *self);
TillCatalogFilter *till_catalog_view_get_filter (TillCatalogView *self);
/* What the grid or list shows: TillProductSlot items, the first matches of the filter. */
GListModel *till_catalog_view_get_model (TillCatalogView *self);
/* "grid" or "list". */
void        till_catalog_view_set_view_mode (TillCatalogView *self, const char *mode);
const char *till_catalog_view_get_view_mode (TillCatalogView *self);
void        till_catalog_view_set_category (TillCatalogView *self, const char *category);
/* The pending quantity multiplier ("3 ×"), 1 when none; taking it clears the search entry. */
gint64 till_catalog_view_get_multiplier (TillCatalogView *self);
gint64 till_catalog_view_take_multiplier (TillCatalogView *self);
/* "3*", "3 x", "3×" → 3; anything else → 0. */
gint64 till_parse_multiplier (const char *text);

G_END_DECLS
