/* till-catalog.h: the products the terminal sells, with a local cache for offline start.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "till-product.h"

G_BEGIN_DECLS

#define TILL_TYPE_CATALOG (till_catalog_get_type ())
G_DECLARE_FINAL_TYPE (TillCatalog, till_catalog, TILL, CATALOG, GObject)

TillCatalog  *till_catalog_new                  (void);
/* A GListModel of TillProduct, in the server's order. */
GListModel   *till_catalog_get_products         (TillCatalog   *self);
/* The same products as a plain array (borrowed; valid until the next replace). */
GPtrArray    *till_catalog_peek_array           (TillCatalog   *self);
/* Sorted category names; owned by the catalog, valid until the next replace. */
const char * const *till_catalog_get_categories (TillCatalog   *self);
const char   *till_catalog_get_etag             (TillCatalog   *self);
guint         till_catalog_get_n_products       (TillCatalog   *self);

TillProduct  *till_catalog_lookup_barcode       (TillCatalog   *self,
                                                 const char    *barcode);
TillProduct  *till_catalog_lookup_id            (TillCatalog   *self,
                                                 gint64         id);

/* Takes the products (element-type TillProduct) and replaces the whole catalog. */
void          till_catalog_replace              (TillCatalog   *self,
                                                 GPtrArray     *products,
                                                 const char    *etag);

/* Parses a list of product objects; products that do not parse are skipped with a warning. */
GPtrArray    *till_catalog_parse_products       (JsonArray     *array);

/* The cache: a GVariant file (see till-catalog.c), read and written on a worker thread,
 * written atomically. A missing cache file is G_IO_ERROR_NOT_FOUND; a damaged one
 * G_IO_ERROR_INVALID_DATA. */
void          till_catalog_load_cache_async     (TillCatalog         *self,
                                                 GFile               *file,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean      till_catalog_load_cache_finish    (TillCatalog         *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
void          till_catalog_save_cache_async     (TillCatalog         *self,
                                                 GFile               *file,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean      till_catalog_save_cache_finish    (TillCatalog         *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

/* $XDG_CACHE_HOME/till/catalog.gvariant */
GFile        *till_catalog_get_default_cache_file (void);

G_END_DECLS
