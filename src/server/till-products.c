/* till-products.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-products.h"
#include "till-core.h"
#include "till-search.h"
#include "till-server-error.h"

#define PRODUCT_COLUMNS                                                                            \
  "id, sku, barcode, name, unit_amount, currency, tax_rate, category, active, updated_at"

void
till_product_record_free (TillProductRecord *product)
{
  if (product == NULL)
    return;
  g_free (product->sku);
  g_free (product->barcode);
  g_free (product->name);
  g_free (product->currency);
  g_free (product->category);
  g_free (product);
}

TillProductRecord *
till_product_record_copy (const TillProductRecord *product)
{
  TillProductRecord *copy = g_memdup2 (product, sizeof *product);

  copy->sku = g_strdup (product->sku);
  copy->barcode = g_strdup (product->barcode);
  copy->name = g_strdup (product->name);
  copy->currency = g_strdup (product->currency);
  copy->category = g_strdup (product->category);
  return copy;
}

JsonNode *
till_product_record_to_json (const TillProductRecord *product)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, product->id);
  json_builder_set_member_name (builder, "sku");
  if (product->sku != NULL)
    json_builder_add_string_value (builder, product->sku);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "barcode");
  if (product->barcode != NULL)
    json_builder_add_string_value (builder, product->barcode);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, product->name);
  json_builder_set_member_name (builder, "unit_amount");
  json_builder_add_int_value (builder, product->unit_amount);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, product->currency);
  json_builder_set_member_name (builder, "tax_rate");
  json_builder_add_int_value (builder, product->tax_rate);
  json_builder_set_member_name (builder, "category");
  if (product->category != NULL)
    json_builder_add_string_value (builder, product->category);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "active");
  json_builder_add_boolean_value (builder, product->active);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

gboolean
till_barcode_is_valid (const char *barcode)
{
  gsize length;
  int   sum = 0;

  if (barcode == NULL)
    return FALSE;
  length = strlen (barcode);
  if (length != 8 && length != 12 && length != 13 && length != 14)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isdigit (barcode[i]))
      return FALSE;

  /* GTIN check digit: weights 3,1,3,… from the right, the check digit excluded. */
  for (gsize i = 0; i + 1 < length; i++)
    {
      int digit = barcode[length - 2 - i] - '0';
      sum += (i % 2 == 0) ? digit * 3 : digit;
    }
  return (10 - sum % 10) % 10 == barcode[length - 1] - '0';
}

static gboolean
check_text (const char *field, const char *value, gsize max, GError **error)
{
  if (value == NULL)
    return TRUE;
  if (*value == '\0' || g_utf8_strlen (value, -1) > (glong) max)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_RANGE,
                   _ ("%s: must have 1 to %u characters"), field, (guint) max);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_sku (const char *sku, GError **error)
{
  if (!check_text ("sku", sku, 64, error))
    return FALSE;
  for (const char *p = sku; p != NULL && *p; p++)
    if (g_ascii_iscntrl (*p) || *p == ' ')
      {
        g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                     _ ("sku: must not contain spaces or control characters"));
        return FALSE;
      }
  return TRUE;
}

/* Replaces *@field with the string member @name when present; null clears it when
 * @nullable. */
static gboolean
take_string_member (JsonObject *object,
                    const char *name,
                    gboolean    required,
                    gboolean    nullable,
                    gsize       max_length,
                    char      **field,
                    GError    **error)
{
  char *value = NULL;

  if (nullable && json_object_has_member (object, name) &&
      JSON_NODE_HOLDS_NULL (json_object_get_member (object, name)))
    {
      g_clear_pointer (field, g_free);
      return TRUE;
    }
  if (!till_json_get_string (object, "", name, required, max_length, &value, error))
    return FALSE;
  if (value != NULL)
    {
      g_free (*field);
      *field = value;
    }
  return TRUE;
}

TillProductRecord *
till_product_record_from_json (JsonObject              *object,
                               const TillProductRecord *base,
                               const char              *store_currency,
                               GError                 **error)
{
  static const char *allowed[] = { "sku",      "barcode",  "name",   "unit_amount", "currency",
                                   "tax_rate", "category", "active", NULL };
  g_autoptr (TillProductRecord) product = NULL;
  g_autofree char *currency = NULL;
  gboolean         creating = base == NULL;
  gint64           tax_rate;

  if (!till_json_check_members (object, "", allowed, error))
    return NULL;

  if (base != NULL)
    product = till_product_record_copy (base);
  else
    {
      product = g_new0 (TillProductRecord, 1);
      product->active = TRUE;
      product->currency = g_strdup (store_currency);
      product->tax_rate = -1;
    }
  tax_rate = product->tax_rate;

  /* A member set to null clears sku, barcode and category. */
  if (!take_string_member (object, "sku", FALSE, TRUE, 64, &product->sku, error) ||
      !take_string_member (object, "barcode", FALSE, TRUE, 14, &product->barcode, error) ||
      !take_string_member (object, "category", FALSE, TRUE, 100, &product->category, error) ||
      !take_string_member (object, "name", creating, FALSE, TILL_PRODUCT_NAME_MAX, &product->name,
                           error))
    return NULL;

  if (!till_json_get_int (object, "", "unit_amount", creating, 0, TILL_AMOUNT_MAX,
                          &product->unit_amount, error) ||
      !till_json_get_int (object, "", "tax_rate", creating, 0, TILL_TAX_RATE_MAX, &tax_rate,
                          error) ||
      !till_json_get_boolean (object, "", "active", FALSE, &product->active, error) ||
      !till_json_get_string (object, "", "currency", FALSE, 3, &currency, error))
    return NULL;
  product->tax_rate = (int) tax_rate;

  /* "usd" is USD, as in the CSV import and the configuration. */
  if (currency != NULL && g_ascii_strcasecmp (currency, store_currency) != 0)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   _ ("currency: the store sells in %s"), store_currency);
      return NULL;
    }
  if (!check_sku (product->sku, error) ||
      !check_text ("name", product->name, TILL_PRODUCT_NAME_MAX, error) ||
      !check_text ("category", product->category, 100, error))
    return NULL;
  if (product->barcode != NULL && !till_barcode_is_valid (product->barcode))
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   _ ("barcode: “%s” is not an EAN/UPC code with a valid check digit"),
                   product->barcode);
      return NULL;
    }
  return g_steal_pointer (&product);
}

static TillProductRecord *
product_from_row (sqlite3_stmt *stmt)
{
  TillProductRecord *product = g_new0 (TillProductRecord, 1);

  product->id = sqlite3_column_int64 (stmt, 0);
  product->sku = till_database_column_dup (stmt, 1);
  product->barcode = till_database_column_dup (stmt, 2);
  product->name = till_database_column_dup (stmt, 3);
  product->unit_amount = sqlite3_column_int64 (stmt, 4);
  product->currency = till_database_column_dup (stmt, 5);
  product->tax_rate = sqlite3_column_int (stmt, 6);
  product->category = till_database_column_dup (stmt, 7);
  product->active = sqlite3_column_int (stmt, 8) != 0;
  product->updated_at = sqlite3_column_int64 (stmt, 9);
  return product;
}

static TillProductRecord *
get_one (TillDatabase *db, const char *sql, gint64 id, const char *text, GError **error)
{
  sqlite3_stmt      *stmt = till_database_prepare (db, sql, error);
  TillProductRecord *product = NULL;
  int                rc;

  if (stmt == NULL)
    return NULL;
  if (text != NULL)
    till_database_bind_text (stmt, 1, text);
  else
    sqlite3_bind_int64 (stmt, 1, id);
  rc = till_database_step (db, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    product = product_from_row (stmt);
  sqlite3_reset (stmt);
  if (product == NULL)
    g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_NOT_FOUND, _ ("No such product"));
  return product;
}

TillProductRecord *
till_products_get (TillDatabase *db, gint64 id, GError **error)
{
  return get_one (db, "SELECT " PRODUCT_COLUMNS " FROM products WHERE id = ?", id, NULL, error);
}

#define PRODUCT_CACHE_MAX 4096

struct _TillProductCache
{
  GHashTable *products; /* gint64 * → TillProductRecord */
  guint64     generation;
};

TillProductCache *
till_product_cache_new (void)
{
  TillProductCache *cache = g_new0 (TillProductCache, 1);

  cache->products = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                           (GDestroyNotify) till_product_record_free);
  return cache;
}

void
till_product_cache_free (TillProductCache *cache)
{
  if (cache == NULL)
    return;
  g_hash_table_unref (cache->products);
  g_free (cache);
}

TillProductRecord *
till_product_cache_get (TillProductCache *cache, TillDatabase *db, gint64 id, GError **error)
{
  TillProductRecord *product;

  if (cache->generation != till_database_get_generation (db))
    {
      g_hash_table_remove_all (cache->products);
      cache->generation = till_database_get_generation (db);
    }
  product = g_hash_table_lookup (cache->products, &id);
  if (product != NULL)
    return till_product_record_copy (product);
  product = till_products_get (db, id, error);
  if (product == NULL)
    return NULL;
  if (g_hash_table_size (cache->products) >= PRODUCT_CACHE_MAX)
    g_hash_table_remove_all (cache->products);
  /* The key lives in the value. */
  {
    TillProductRecord *copy = till_product_record_copy (product);

    g_hash_table_insert (cache->products, &copy->id, copy);
  }
  return product;
}

TillProductRecord *
till_products_get_by_barcode (TillDatabase *db, const char *barcode, GError **error)
{
  return get_one (db, "SELECT " PRODUCT_COLUMNS " FROM products WHERE barcode = ?", 0, barcode,
                  error);
}

static char *
like_pattern (const char *query)
{
  g_autofree char *key = till_search_key (query);
  GString         *pattern = g_string_new ("%");

  for (const char *p = key; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');
  return g_string_free (pattern, FALSE);
}

GPtrArray *
till_products_list (TillDatabase *db,
                    const char   *query,
                    const char   *category,
                    gboolean      include_inactive,
                    gint64        after_id,
                    guint         limit,
                    gint64       *out_next_after,
                    GError      **error)
{
  g_autoptr (GPtrArray) products =
      g_ptr_array_new_with_free_func ((GDestroyNotify) till_product_record_free);
  g_autofree char *pattern = NULL;
  sqlite3_stmt    *stmt;
  int              rc;

  limit = CLAMP (limit, 1, TILL_PRODUCTS_PAGE_MAX);
  stmt =
      till_database_prepare (db,
                             "SELECT " PRODUCT_COLUMNS " FROM products "
                             "WHERE id > ?1 AND (?2 OR active) AND (?3 IS NULL OR category = ?3) "
                             "AND (?4 IS NULL OR search_key LIKE ?4 ESCAPE '\\' OR barcode = ?5) "
                             "ORDER BY id LIMIT ?6",
                             error);
  if (stmt == NULL)
    return NULL;
  if (query != NULL && *query != '\0')
    pattern = like_pattern (query);
  sqlite3_bind_int64 (stmt, 1, after_id);
  sqlite3_bind_int (stmt, 2, include_inactive);
  till_database_bind_text (stmt, 3, category != NULL && *category ? category : NULL);
  till_database_bind_text (stmt, 4, pattern);
  till_database_bind_text (stmt, 5, pattern != NULL ? query : NULL);
  sqlite3_bind_int (stmt, 6, limit + 1);

  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (products, product_from_row (stmt));
  if (rc < 0)
    return NULL;

  *out_next_after = 0;
  if (products->len > limit)
    {
      g_ptr_array_set_size (products, limit);
      *out_next_after = ((TillProductRecord *) products->pdata[limit - 1])->id;
    }
  return g_steal_pointer (&products);
}

GPtrArray *
till_products_list_categories (TillDatabase *db, GError **error)
{
  g_autoptr (GPtrArray) categories = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  int           rc;

  stmt = till_database_prepare (
      db,
      "SELECT DISTINCT category FROM products WHERE active AND category IS NOT NULL "
      "ORDER BY category",
      error);
  if (stmt == NULL)
    return NULL;
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (categories, till_database_column_dup (stmt, 0));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&categories);
}

gint64
till_products_count (TillDatabase *db, GError **error)
{
  sqlite3_stmt *stmt = till_database_prepare (db, "SELECT count(*) FROM products", error);
  gint64        count;

  if (stmt == NULL || till_database_step (db, stmt, error) != SQLITE_ROW)
    return -1;
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

static gboolean
find_conflict (TillDatabase *db, TillProductRecord *product, GError **error)
{
  static const char *fields[] = { "sku", "barcode" };
  static const char *queries[] = {
    "SELECT id FROM products WHERE sku = ? AND id != ?",
    "SELECT id FROM products WHERE barcode = ? AND id != ?",
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char   *value = i == 0 ? product->sku : product->barcode;
      sqlite3_stmt *stmt;
      int           rc;

      if (value == NULL)
        continue;
      stmt = till_database_prepare (db, queries[i], error);
      if (stmt == NULL)
        return FALSE;
      till_database_bind_text (stmt, 1, value);
      sqlite3_bind_int64 (stmt, 2, product->id);
      rc = till_database_step (db, stmt, error);
      sqlite3_reset (stmt);
      if (rc < 0)
        return FALSE;
      if (rc == SQLITE_ROW)
        {
          g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_CONFLICT,
                       _ ("%s: another product already has “%s”"), fields[i], value);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
till_products_save (TillDatabase *db, TillProductRecord *product, GError **error)
{
  g_autofree char *key = NULL;
  sqlite3_stmt    *stmt;

  if (!find_conflict (db, product, error))
    return FALSE;

  key = till_search_key (product->name);
  if (product->sku != NULL)
    {
      g_autofree char *sku_key = till_search_key (product->sku);
      char            *joined = g_strconcat (key, " ", sku_key, NULL);

      g_free (key);
      key = joined;
    }
  product->updated_at = g_get_real_time ();

  if (product->id == 0)
    stmt = till_database_prepare (
        db,
        "INSERT INTO products (sku, barcode, name, search_key, unit_amount, currency, tax_rate,"
        " category, active, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        error);
  else
    stmt = till_database_prepare (
        db,
        "UPDATE products SET sku = ?1, barcode = ?2, name = ?3, search_key = ?4,"
        " unit_amount = ?5, currency = ?6, tax_rate = ?7, category = ?8, active = ?9,"
        " updated_at = ?10 WHERE id = ?11",
        error);
  if (stmt == NULL)
    return FALSE;
  till_database_bind_text (stmt, 1, product->sku);
  till_database_bind_text (stmt, 2, product->barcode);
  till_database_bind_text (stmt, 3, product->name);
  till_database_bind_text (stmt, 4, key);
  sqlite3_bind_int64 (stmt, 5, product->unit_amount);
  till_database_bind_text (stmt, 6, product->currency);
  sqlite3_bind_int (stmt, 7, product->tax_rate);
  till_database_bind_text (stmt, 8, product->category);
  sqlite3_bind_int (stmt, 9, product->active ? 1 : 0);
  sqlite3_bind_int64 (stmt, 10, product->updated_at);
  if (product->id != 0)
    sqlite3_bind_int64 (stmt, 11, product->id);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return FALSE;
  if (product->id == 0)
    product->id = till_database_last_insert_id (db);
  else if (till_database_changes (db) == 0)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_NOT_FOUND, _ ("No such product"));
      return FALSE;
    }
  return TRUE;
}

gboolean
till_products_delete (TillDatabase *db, gint64 id, gboolean *out_deactivated, GError **error)
{
  sqlite3_stmt *stmt;
  int           rc;
  gboolean      referenced;

  stmt =
      till_database_prepare (db, "SELECT 1 FROM order_lines WHERE product_id = ? LIMIT 1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = till_database_step (db, stmt, error);
  sqlite3_reset (stmt);
  if (rc < 0)
    return FALSE;
  referenced = rc == SQLITE_ROW;

  stmt = till_database_prepare (
      db,
      referenced ? "UPDATE products SET active = 0, updated_at = ?2 WHERE id = ?1"
                 : "DELETE FROM products WHERE id = ?1 AND ?2 IS NOT NULL",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return FALSE;
  if (till_database_changes (db) == 0)
    {
      g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_NOT_FOUND, _ ("No such product"));
      return FALSE;
    }
  if (out_deactivated != NULL)
    *out_deactivated = referenced;
  return TRUE;
}

/* CSV (RFC 4180): fields separated by commas, optionally quoted with "" for a quote. */
static GPtrArray *
csv_next_record (const char **cursor, const char *end, guint *line, GError **error)
{
  g_autoptr (GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) field = g_string_new (NULL);
  const char *p = *cursor;
  gboolean    quoted = FALSE, was_quoted = FALSE;

  if (p >= end)
    return NULL;

  while (p < end)
    {
      char c = *p;

      if (quoted)
        {
          if (c == '"' && p + 1 < end && p[1] == '"')
            {
              g_string_append_c (field, '"');
              p += 2;
              continue;
            }
          if (c == '"')
            {
              quoted = FALSE;
              p++;
              continue;
            }
          if (c == '\n')
            (*line)++;
          g_string_append_c (field, c);
          p++;
          continue;
        }
      if (c == '"' && field->len == 0 && !was_quoted)
        {
          quoted = was_quoted = TRUE;
          p++;
          continue;
        }
      if (c == ',')
        {
          g_ptr_array_add (fields, g_string_free (g_steal_pointer (&field), FALSE));
          field = g_string_new (NULL);
          was_quoted = FALSE;
          p++;
          continue;
        }
      if (c == '\r' && p + 1 < end && p[1] == '\n')
        {
          p++;
          continue;
        }
      if (c == '\n')
        {
          p++;
          break;
        }
      if (was_quoted)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _ ("text after a closing quote"));
          /* Skip to the end of the line so the next record can be read. */
          while (p < end && *p != '\n')
            p++;
          *cursor = p < end ? p + 1 : end;
          return NULL;
        }
      g_string_append_c (field, c);
      p++;
    }
  if (quoted)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("a quote is not closed"));
      *cursor = end;
      return NULL;
    }
  g_ptr_array_add (fields, g_string_free (g_steal_pointer (&field), FALSE));
  *cursor = p;
  return g_steal_pointer (&fields);
}

static const char *csv_columns[] = {
  "sku", "barcode", "name", "price", "currency", "tax_rate", "category",
};

static TillProductRecord *
product_from_record (GPtrArray *record, const char *store_currency, GError **error)
{
  g_autoptr (TillProductRecord) product = g_new0 (TillProductRecord, 1);
  g_autoptr (GError) local = NULL;
  const TillCurrency *currency;
  const char         *sku, *barcode, *name, *price, *code, *rate, *category;

  if (record->len != G_N_ELEMENTS (csv_columns))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("expected %u columns, found %u"),
                   (guint) G_N_ELEMENTS (csv_columns), record->len);
      return NULL;
    }
  for (guint i = 0; i < record->len; i++)
    {
      char *value = record->pdata[i];

      g_strstrip (value);
      if (!g_utf8_validate (value, -1, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("%s: not valid UTF-8"),
                       csv_columns[i]);
          return NULL;
        }
    }
  sku = record->pdata[0];
  barcode = record->pdata[1];
  name = record->pdata[2];
  price = record->pdata[3];
  code = record->pdata[4];
  rate = record->pdata[5];
  category = record->pdata[6];

  if (*sku == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("sku: must not be empty"));
      return NULL;
    }
  if (!check_sku (sku, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s", local->message);
      return NULL;
    }
  if (*barcode != '\0' && !till_barcode_is_valid (barcode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("barcode: “%s” is not an EAN/UPC code with a valid check digit"), barcode);
      return NULL;
    }
  if (*name == '\0' || g_utf8_strlen (name, -1) > TILL_PRODUCT_NAME_MAX)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("name: must have 1 to %d characters"), TILL_PRODUCT_NAME_MAX);
      return NULL;
    }
  currency = till_currency_lookup (code);
  if (currency == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("currency: “%s” is not a currency"), code);
      return NULL;
    }
  if (g_strcmp0 (till_currency_get_code (currency), store_currency) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("currency: the store sells in %s, not %s"), store_currency, code);
      return NULL;
    }
  if (!till_money_parse (price, currency, TILL_PARSE_DEFAULT, &product->unit_amount, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("price: %s"), local->message);
      return NULL;
    }
  if (!till_tax_rate_parse (rate, &product->tax_rate, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("tax_rate: %s"), local->message);
      return NULL;
    }
  if (g_utf8_strlen (category, -1) > 100)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("category: longer than 100 characters"));
      return NULL;
    }

  product->sku = g_strdup (sku);
  product->barcode = *barcode != '\0' ? g_strdup (barcode) : NULL;
  product->name = g_strdup (name);
  product->currency = g_strdup (till_currency_get_code (currency));
  product->category = *category != '\0' ? g_strdup (category) : NULL;
  product->active = TRUE;
  return g_steal_pointer (&product);
}

static gint64
find_by_sku (TillDatabase *db, const char *sku)
{
  sqlite3_stmt *stmt = till_database_prepare (db, "SELECT id FROM products WHERE sku = ?", NULL);
  gint64        id = 0;

  if (stmt == NULL)
    return 0;
  till_database_bind_text (stmt, 1, sku);
  if (till_database_step (db, stmt, NULL) == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return id;
}

gboolean
till_products_import_csv (TillDatabase *db,
                          const char   *text,
                          gsize         length,
                          const char   *store_currency,
                          guint        *out_imported,
                          GPtrArray   **out_line_errors,
                          GError      **error)
{
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) products =
      g_ptr_array_new_with_free_func ((GDestroyNotify) till_product_record_free);
  g_autoptr (GArray) lines = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GHashTable) skus = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) barcodes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) header = NULL;
  g_autoptr (GError) local = NULL;
  const char *cursor = text, *end = text + length;
  guint       line = 1;

  *out_imported = 0;
  *out_line_errors = NULL;

  /* A UTF-8 byte order mark is fine. */
  if (length >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    cursor += 3;

  header = csv_next_record (&cursor, end, &line, &local);
  if (header == NULL || header->len != G_N_ELEMENTS (csv_columns))
    goto bad_header;
  for (guint i = 0; i < header->len; i++)
    if (g_strcmp0 (g_strstrip ((char *) header->pdata[i]), csv_columns[i]) != 0)
      goto bad_header;

  while (cursor < end)
    {
      g_autoptr (GPtrArray) record = NULL;
      g_autoptr (TillProductRecord) product = NULL;
      guint record_line;

      line++;
      record_line = line;
      g_clear_error (&local);
      record = csv_next_record (&cursor, end, &line, &local);
      if (record == NULL)
        {
          g_ptr_array_add (errors, g_strdup_printf (_ ("line %u: %s"), record_line,
                                                    local != NULL ? local->message : ""));
          continue;
        }
      if (record->len == 1 && *(char *) record->pdata[0] == '\0')
        continue; /* blank line */

      product = product_from_record (record, store_currency, &local);
      if (product == NULL)
        {
          g_ptr_array_add (errors,
                           g_strdup_printf (_ ("line %u: %s"), record_line, local->message));
          continue;
        }
      if (g_hash_table_contains (skus, product->sku))
        {
          g_ptr_array_add (errors, g_strdup_printf (_ ("line %u: sku: “%s” appears twice"),
                                                    record_line, product->sku));
          continue;
        }
      if (product->barcode != NULL && g_hash_table_contains (barcodes, product->barcode))
        {
          g_ptr_array_add (errors, g_strdup_printf (_ ("line %u: barcode: “%s” appears twice"),
                                                    record_line, product->barcode));
          continue;
        }
      g_hash_table_add (skus, product->sku);
      if (product->barcode != NULL)
        g_hash_table_add (barcodes, product->barcode);
      g_array_append_val (lines, record_line);
      g_ptr_array_add (products, g_steal_pointer (&product));
    }

  if (errors->len > 0)
    {
      *out_line_errors = g_steal_pointer (&errors);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The file has %u bad rows; nothing was imported"), (*out_line_errors)->len);
      return FALSE;
    }

  if (!till_database_begin (db, error))
    return FALSE;
  for (guint i = 0; i < products->len; i++)
    {
      TillProductRecord *product = products->pdata[i];

      product->id = find_by_sku (db, product->sku);
      g_clear_error (&local);
      if (!till_products_save (db, product, &local))
        g_ptr_array_add (errors, g_strdup_printf (_ ("line %u: %s"),
                                                  g_array_index (lines, guint, i), local->message));
    }
  if (errors->len > 0)
    {
      till_database_rollback (db);
      *out_line_errors = g_steal_pointer (&errors);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The file has %u bad rows; nothing was imported"), (*out_line_errors)->len);
      return FALSE;
    }
  if (!till_database_commit (db, error))
    return FALSE;
  *out_imported = products->len;
  return TRUE;

bad_header:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _ ("line 1: the header must be exactly "
                  "“sku,barcode,name,price,currency,tax_rate,category”"));
  return FALSE;
}
