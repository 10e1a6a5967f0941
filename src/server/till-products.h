/* till-products.h: products, categories, barcodes and the CSV import.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "till-database.h"

G_BEGIN_DECLS

typedef struct
{
  gint64   id;
  char    *sku;     /* nullable */
  char    *barcode; /* nullable; GTIN-8/12/13/14 with a valid check digit */
  char    *name;
  gint64   unit_amount; /* minor units of @currency */
  char    *currency;
  int      tax_rate; /* basis points */
  char    *category; /* nullable */
  gboolean active;
  gint64   updated_at; /* unix microseconds */
} TillProductRecord;

#define TILL_PRODUCTS_PAGE_MAX 200
#define TILL_PRODUCT_NAME_MAX 200

void               till_product_record_free (TillProductRecord *product);
TillProductRecord *till_product_record_copy (const TillProductRecord *product);
JsonNode          *till_product_record_to_json (const TillProductRecord *product);
/* Strict: @object may hold sku, barcode, name, unit_amount, tax_rate, category, active
 * (and currency, which must be the store's). With @base NULL it is a creation and name,
 * unit_amount and tax_rate are required; otherwise the fields present replace @base's. */
TillProductRecord *till_product_record_from_json (JsonObject              *object,
                                                  const TillProductRecord *base,
                                                  const char              *store_currency,
                                                  GError                 **error);
gboolean           till_barcode_is_valid (const char *barcode);

/* Products by id, kept between checkouts while the database's generation stays the same
 * (till_database_get_generation (): any product change by this connection, or any commit
 * by another one once till_database_check_generation () has seen it). */
typedef struct _TillProductCache TillProductCache;

TillProductCache *till_product_cache_new (void);
void              till_product_cache_free (TillProductCache *cache);
/* A copy of product @id, or NULL with @error set (TILL_API_ERROR_NOT_FOUND if unknown). */
TillProductRecord *
till_product_cache_get (TillProductCache *cache, TillDatabase *db, gint64 id, GError **error);

TillProductRecord *till_products_get (TillDatabase *db, gint64 id, GError **error);
TillProductRecord *
till_products_get_by_barcode (TillDatabase *db, const char *barcode, GError **error);
/* A page of products ordered by id, after @after_id. *out_next_after is the id to continue
 * from, or 0 at the end. */
GPtrArray *till_products_list (TillDatabase *db,
                               const char   *query,
                               const char   *category,
                               gboolean      include_inactive,
                               gint64        after_id,
                               guint         limit,
                               gint64       *out_next_after,
                               GError      **error);
/* element-type utf8 */
GPtrArray *till_products_list_categories (TillDatabase *db, GError **error);
gint64     till_products_count (TillDatabase *db, GError **error);
/* Inserts when product->id is 0, updates otherwise. Uniqueness of sku and barcode is
 * reported as TILL_API_ERROR_CONFLICT naming the field. */
gboolean till_products_save (TillDatabase *db, TillProductRecord *product, GError **error);
/* Deletes a product no order refers to; deactivates it otherwise. */
gboolean
till_products_delete (TillDatabase *db, gint64 id, gboolean *out_deactivated, GError **error);

/* Imports CSV text with the header sku,barcode,name,price,currency,tax_rate,category.
 * Rows with a known sku update that product. All or nothing: when a row is bad, nothing is
 * imported, FALSE is returned and @out_line_errors holds one "line N: …" per bad row. */
gboolean till_products_import_csv (TillDatabase *db,
                                   const char   *text,
                                   gsize         length,
                                   const char   *store_currency,
                                   guint        *out_imported,
                                   GPtrArray   **out_line_errors,
                                   GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillProductRecord, till_product_record_free)

G_END_DECLS
