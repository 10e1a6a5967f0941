/* till-catalog.h: the products the terminal sells, with a local cache for offline start.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The catalog is compact: products live in one serialised block (the cache file, mapped, or
 * the same format built in memory after a sync), as arrays of numbers and offsets into two
 * blocks of strings. A product is known by its position (0 … n − 1); a TillProduct is made
 * only when something needs one (a tile on screen, a cart line). See bench/README.md.
 */
#pragma once

#include <gio/gio.h>

#include "till-product.h"

G_BEGIN_DECLS

#define TILL_TYPE_CATALOG (till_catalog_get_type ())
G_DECLARE_FINAL_TYPE (TillCatalog, till_catalog, TILL, CATALOG, GObject)

TillCatalog *till_catalog_new (void);
guint        till_catalog_get_n_products (TillCatalog *self);
/* Bumped by every replace: positions from an older stamp mean other products. */
guint till_catalog_get_stamp (TillCatalog *self);
/* Sorted category names; owned by the catalog, valid until the next replace. */
const char *const *till_catalog_get_categories (TillCatalog *self);
const char        *till_catalog_get_etag (TillCatalog *self);

/* A new TillProduct for the product at @position, or NULL past the end. */
TillProduct *till_catalog_dup_product (TillCatalog *self, guint position);
/* The folded search key at @position (borrowed; valid until the next replace). */
const char *till_catalog_peek_search_key (TillCatalog *self, guint position);

/* Binary searches; the last product wins when several share a barcode or an id.
 * Return a new TillProduct, or NULL. */
TillProduct *till_catalog_lookup_barcode (TillCatalog *self, const char *barcode);
TillProduct *till_catalog_lookup_id (TillCatalog *self, gint64 id);
/* The position of the product with @barcode, or -1. */
gint64 till_catalog_find_barcode (TillCatalog *self, const char *barcode);

/* Positions (guint32, ascending) of the products whose search key contains every one of
 * @words (folded, see till_search_fold()) and, unless @category is NULL, in @category.
 * With @within (positions, ascending), only those are looked at: what matched before a
 * query got stricter. */
GArray *till_catalog_search (TillCatalog       *self,
                             const char *const *words,
                             const char        *category,
                             GArray            *within);

/* Replaces the whole catalog with @products (element-type TillProduct; not kept). The
 * products are serialised into the compact form on the calling thread; the async variant
 * does that on a worker thread. Loads and replaces apply in the order they were started:
 * one that finishes after a newer one was applied succeeds and changes nothing. */
void     till_catalog_replace (TillCatalog *self, GPtrArray *products, const char *etag);
void     till_catalog_replace_async (TillCatalog        *self,
                                     GPtrArray          *products,
                                     const char         *etag,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
gboolean till_catalog_replace_finish (TillCatalog *self, GAsyncResult *result, GError **error);

/* Parses a list of product objects; products that do not parse are skipped with a warning. */
GPtrArray *till_catalog_parse_products (JsonArray *array);

/* The cache: the compact form as a GVariant file (see till-catalog.c), mapped on a worker
 * thread and checked there, written atomically. A missing cache file is
 * G_IO_ERROR_NOT_FOUND; a damaged, truncated or older one G_IO_ERROR_INVALID_DATA. */
void     till_catalog_load_cache_async (TillCatalog        *self,
                                        GFile              *file,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
gboolean till_catalog_load_cache_finish (TillCatalog *self, GAsyncResult *result, GError **error);
void     till_catalog_save_cache_async (TillCatalog        *self,
                                        GFile              *file,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
gboolean till_catalog_save_cache_finish (TillCatalog *self, GAsyncResult *result, GError **error);

/* $XDG_CACHE_HOME/till/catalog.gvariant */
GFile *till_catalog_get_default_cache_file (void);

G_END_DECLS
