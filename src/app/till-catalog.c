/* till-catalog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-catalog.h"
#include "till-core.h"

#define CACHE_VERSION 1

struct _TillCatalog
{
  GObject parent_instance;

  GListStore *products;
  GPtrArray *array;         /* the same products, for fast scans */
  GHashTable *by_barcode;   /* borrowed barcode → borrowed TillProduct */
  GHashTable *by_id;        /* gint64* → borrowed TillProduct */
  GStrv categories;
  char *etag;
};

G_DEFINE_FINAL_TYPE (TillCatalog, till_catalog, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ETAG,
  PROP_N_PRODUCTS,
  N_PROPS
};

enum {
  CATEGORIES_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
till_catalog_finalize (GObject *object)
{
  TillCatalog *self = TILL_CATALOG (object);

  g_clear_pointer (&self->by_barcode, g_hash_table_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_object (&self->products);
  g_clear_pointer (&self->array, g_ptr_array_unref);
  g_clear_pointer (&self->categories, g_strfreev);
  g_clear_pointer (&self->etag, g_free);

  G_OBJECT_CLASS (till_catalog_parent_class)->finalize (object);
}

static void
till_catalog_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TillCatalog *self = TILL_CATALOG (object);

  switch (prop_id)
    {
    case PROP_ETAG:
      g_value_set_string (value, self->etag);
      break;
    case PROP_N_PRODUCTS:
      g_value_set_uint (value, till_catalog_get_n_products (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_catalog_class_init (TillCatalogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_catalog_finalize;
  object_class->get_property = till_catalog_get_property;

  properties[PROP_ETAG] =
    g_param_spec_string ("etag", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_PRODUCTS] =
    g_param_spec_uint ("n-products", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CATEGORIES_CHANGED] =
    g_signal_new ("categories-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
till_catalog_init (TillCatalog *self)
{
  self->products = g_list_store_new (TILL_TYPE_PRODUCT);
  self->array = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_barcode = g_hash_table_new (g_str_hash, g_str_equal);
  self->by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  self->categories = g_new0 (char *, 1);
}

TillCatalog *
till_catalog_new (void)
{
  return g_object_new (TILL_TYPE_CATALOG, NULL);
}

GPtrArray *
till_catalog_peek_array (TillCatalog *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG (self), NULL);
  return self->array;
}

GListModel *
till_catalog_get_products (TillCatalog *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG (self), NULL);
  return G_LIST_MODEL (self->products);
}

const char * const *
till_catalog_get_categories (TillCatalog *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG (self), NULL);
  return (const char * const *) self->categories;
}

const char *
till_catalog_get_etag (TillCatalog *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG (self), NULL);
  return self->etag;
}

guint
till_catalog_get_n_products (TillCatalog *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->products));
}

TillProduct *
till_catalog_lookup_barcode (TillCatalog *self,
                             const char  *barcode)
{
  g_return_val_if_fail (TILL_IS_CATALOG (self), NULL);

  if (barcode == NULL)
    return NULL;
  return g_hash_table_lookup (self->by_barcode, barcode);
}

TillProduct *
till_catalog_lookup_id (TillCatalog *self,
                        gint64       id)
{
  g_return_val_if_fail (TILL_IS_CATALOG (self), NULL);
  return g_hash_table_lookup (self->by_id, &id);
}


static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_utf8_collate (*(const char **) a, *(const char **) b);
}

void
till_catalog_replace (TillCatalog *self,
                      GPtrArray   *products,
                      const char  *etag)
{
  g_autoptr (GHashTable) categories = NULL;
  g_autoptr (GPtrArray) names = NULL;
  GHashTableIter iter;
  gpointer key;
  guint old_n;

  g_return_if_fail (TILL_IS_CATALOG (self));
  g_return_if_fail (products != NULL);

  g_hash_table_remove_all (self->by_barcode);
  g_hash_table_remove_all (self->by_id);
  categories = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < products->len; i++)
    {
      TillProduct *product = g_ptr_array_index (products, i);
      const char *barcode = till_product_get_barcode (product);
      const char *category = till_product_get_category (product);
      g_hash_table_replace (self->by_id, (gpointer) till_product_get_id_ref (product), product);
      if (barcode != NULL)
        g_hash_table_replace (self->by_barcode, (gpointer) barcode, product);
      if (category != NULL)
        g_hash_table_add (categories, (gpointer) category);
    }

  names = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, categories);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  g_strfreev (self->categories);
  self->categories = (GStrv) g_ptr_array_steal (names, NULL);

  g_ptr_array_unref (self->array);
  self->array = g_ptr_array_new_full (products->len, g_object_unref);
  for (guint i = 0; i < products->len; i++)
    g_ptr_array_add (self->array, g_object_ref (g_ptr_array_index (products, i)));

  old_n = g_list_model_get_n_items (G_LIST_MODEL (self->products));
  g_list_store_splice (self->products, 0, old_n, products->pdata, products->len);

  if (g_strcmp0 (self->etag, etag) != 0)
    {
      g_free (self->etag);
      self->etag = g_strdup (etag);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ETAG]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PRODUCTS]);
  g_signal_emit (self, signals[CATEGORIES_CHANGED], 0);
}

GPtrArray *
till_catalog_parse_products (JsonArray *array)
{
  GPtrArray *products;
  guint n = json_array_get_length (array);

  products = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autoptr (GError) error = NULL;
      TillProduct *product;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_warning ("Catalog entry %u is not an object; skipped", i);
          continue;
        }
      product = till_product_new_from_json (json_node_get_object (node), &error);
      if (product == NULL)
        {
          g_warning ("Catalog entry %u skipped: %s", i, error->message);
          continue;
        }
      g_ptr_array_add (products, product);
    }
  return products;
}

/* The cache is a GVariant, (u version, s etag, a(xssssssxi) products), each product being
 * (id, name, sku, barcode, category, currency, search key, unit_amount, tax_rate). It is
 * read without parsing (a 100,000-product catalog loads in a fraction of the JSON time) and
 * GVariant checks every access, so a damaged file gives empty strings, never a crash. */
#define CACHE_TYPE "(usa(xssssssxi))"

typedef struct
{
  GPtrArray *products;
  char *etag;
} CacheData;

static void
cache_data_free (CacheData *data)
{
  g_clear_pointer (&data->products, g_ptr_array_unref);
  g_free (data->etag);
  g_free (data);
}

static const char *
nonempty (const char *text)
{
  return *text != '\0' ? text : NULL;
}

static void
load_cache_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GVariant) root = NULL;
  g_autoptr (GVariant) products = NULL;
  g_autofree char *etag = NULL;
  CacheData *data;
  guint32 version = 0;
  gsize n;

  bytes = g_file_load_bytes (file, cancellable, NULL, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  root = g_variant_new_from_bytes (G_VARIANT_TYPE (CACHE_TYPE), bytes, FALSE);
  /* One check of the whole file; after it GVariant trusts it and reads children directly. */
  if (!g_variant_is_normal_form (root))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "The catalog cache is damaged");
      return;
    }
  g_variant_get (root, "(us@a(xssssssxi))", &version, &etag, &products);
  if (version != CACHE_VERSION)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "The catalog cache has an unknown format");
      return;
    }

  n = g_variant_n_children (products);
  data = g_new0 (CacheData, 1);
  data->products = g_ptr_array_new_full (n, g_object_unref);
  data->etag = *etag != '\0' ? g_steal_pointer (&etag) : NULL;
  for (gsize i = 0; i < n; i++)
    {
      const char *name, *sku, *barcode, *category, *currency, *key;
      gint64 id, amount;
      gint32 tax_rate;

      g_variant_get_child (products, i, "(x&s&s&s&s&s&sxi)", &id, &name, &sku, &barcode,
                           &category, &currency, &key, &amount, &tax_rate);
      if (id <= 0 || *name == '\0' || till_currency_lookup (currency) == NULL ||
          amount < 0 || amount > TILL_AMOUNT_MAX || tax_rate < 0 || tax_rate > TILL_TAX_RATE_MAX)
        continue;   /* damaged entry */
      g_ptr_array_add (data->products,
                       till_product_new_with_key (id, name, nonempty (sku), nonempty (barcode),
                                                  nonempty (category), currency, amount,
                                                  tax_rate, key));
    }
  if (n > 0 && data->products->len == 0)
    {
      cache_data_free (data);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "The catalog cache is damaged");
      return;
    }
  g_task_return_pointer (task, data, (GDestroyNotify) cache_data_free);
}

void
till_catalog_load_cache_async (TillCatalog         *self,
                               GFile               *file,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (TILL_IS_CATALOG (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_catalog_load_cache_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, load_cache_thread);
}

gboolean
till_catalog_load_cache_finish (TillCatalog   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  CacheData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  data = g_task_propagate_pointer (G_TASK (result), error);
  if (data == NULL)
    return FALSE;
  till_catalog_replace (self, data->products, data->etag);
  cache_data_free (data);
  return TRUE;
}

/* Cache saving */

typedef struct
{
  GFile *file;
  GPtrArray *products;
  char *etag;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_clear_object (&data->file);
  g_clear_pointer (&data->products, g_ptr_array_unref);
  g_free (data->etag);
  g_free (data);
}

static const char *
or_empty (const char *text)
{
  return text ? text : "";
}

static void
save_cache_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  SaveData *data = task_data;
  g_autoptr (GFile) parent = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) root = NULL;
  g_autoptr (GBytes) bytes = NULL;
  GVariantBuilder builder;

  /* Products are immutable once made (the price label, the one lazy field, is not read). */
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(xssssssxi)"));
  for (guint i = 0; i < data->products->len; i++)
    {
      TillProduct *product = g_ptr_array_index (data->products, i);

      g_variant_builder_add (&builder, "(xssssssxi)", till_product_get_id (product),
                             till_product_get_name (product),
                             or_empty (till_product_get_sku (product)),
                             or_empty (till_product_get_barcode (product)),
                             or_empty (till_product_get_category (product)),
                             till_product_get_currency (product),
                             till_product_get_search_key (product),
                             till_product_get_unit_amount (product),
                             (gint32) till_product_get_tax_rate (product));
    }
  root = g_variant_ref_sink (g_variant_new ("(usa(xssssssxi))", (guint32) CACHE_VERSION,
                                            or_empty (data->etag), &builder));
  bytes = g_variant_get_data_as_bytes (root);

  parent = g_file_get_parent (data->file);
  if (parent != NULL && !g_file_make_directory_with_parents (parent, cancellable, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_clear_error (&error);
  if (!g_file_replace_contents (data->file, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
till_catalog_save_cache_async (TillCatalog         *self,
                               GFile               *file,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  SaveData *data;
  guint n;

  g_return_if_fail (TILL_IS_CATALOG (self));
  g_return_if_fail (G_IS_FILE (file));

  data = g_new0 (SaveData, 1);
  data->file = g_object_ref (file);
  data->etag = g_strdup (self->etag);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->products));
  data->products = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (data->products, g_list_model_get_item (G_LIST_MODEL (self->products), i));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_catalog_save_cache_async);
  g_task_set_task_data (task, data, (GDestroyNotify) save_data_free);
  g_task_run_in_thread (task, save_cache_thread);
}

gboolean
till_catalog_save_cache_finish (TillCatalog   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

GFile *
till_catalog_get_default_cache_file (void)
{
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "till", "catalog.gvariant", NULL);
  return g_file_new_for_path (path);
}
