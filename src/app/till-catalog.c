/* till-catalog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The compact form. One GVariant of type CACHE_TYPE holds the whole catalog, as arrays of
 * fixed-size numbers that are read in place (g_variant_get_fixed_array), and two blocks of
 * NUL-terminated strings that products point into by offset:
 *
 *   (u version, s etag, as categories (sorted), as currencies,
 *    ax ids, ax unit amounts, ai tax rates,
 *    au category (0: none, c: categories[c − 1]), au currency (index),
 *    au name, au sku, au barcode (offsets into strings; 0 is ""), au search key (into keys),
 *    ay strings, ay keys,
 *    au positions sorted by (id, position), au positions with a barcode sorted by
 *    (barcode, position))
 *
 * The cache file is this GVariant, mapped, never copied; after a sync the same form is built
 * in memory. Whatever its origin, a block is checked once before it is used (every offset,
 * index and string, the sort order of both indexes), so the rest of the code trusts it, and
 * a damaged or truncated file is refused as a whole. Products take little more than their
 * strings, instead of a GObject with seven strings each (bench/README.md).
 */
#include "config.h"

#include <string.h>

#include "till-catalog.h"
#include "till-core.h"
#include "till-search-key.h"

#define CACHE_VERSION 2
#define CACHE_TYPE "(usasasaxaxaiauauauauauauayayauau)"

enum
{
  M_VERSION,
  M_ETAG,
  M_CATEGORIES,
  M_CURRENCIES,
  M_IDS,
  M_AMOUNTS,
  M_TAX_RATES,
  M_CATEGORY,
  M_CURRENCY,
  M_NAME,
  M_SKU,
  M_BARCODE,
  M_KEY,
  M_STRINGS,
  M_KEYS,
  M_BY_ID,
  M_BY_BARCODE,
};

/* One checked catalog, shared (read-only) with the thread that saves it. */
typedef struct
{
  GVariant      *root; /* holds the bytes everything below points into */
  char          *etag;
  GStrv          categories;
  GStrv          currencies;
  guint          n_categories;
  guint          n_currencies;
  gsize          n;
  const gint64  *ids;
  const gint64  *amounts;
  const gint32  *tax_rates;
  const guint32 *category;
  const guint32 *currency;
  const guint32 *name;
  const guint32 *sku;
  const guint32 *barcode;
  const guint32 *key;
  const char    *strings;
  gsize          strings_len;
  const char    *keys;
  gsize          keys_len;
  const guint32 *by_id;
  const guint32 *by_barcode;
  gsize          n_barcodes;
} CatalogData;

static void
catalog_data_clear (CatalogData *data)
{
  g_clear_pointer (&data->root, g_variant_unref);
  g_clear_pointer (&data->etag, g_free);
  g_clear_pointer (&data->categories, g_strfreev);
  g_clear_pointer (&data->currencies, g_strfreev);
}

static CatalogData *
catalog_data_ref (CatalogData *data)
{
  return g_atomic_rc_box_acquire (data);
}

static void
catalog_data_unref (CatalogData *data)
{
  g_atomic_rc_box_release_full (data, (GDestroyNotify) catalog_data_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CatalogData, catalog_data_unref)

struct _TillCatalog
{
  GObject parent_instance;

  CatalogData *data; /* NULL when empty */
  guint        stamp;
  /* Each load or replace takes a number when it starts; a result older than the catalog
   * already in place (a slow cache load finishing after a sync) is dropped. */
  guint next_serial;
  guint applied_serial;
};

G_DEFINE_FINAL_TYPE (TillCatalog, till_catalog, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ETAG,
  PROP_N_PRODUCTS,
  N_PROPS
};

enum
{
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

static const char *const no_strings[] = { NULL };

static void
till_catalog_finalize (GObject *object)
{
  TillCatalog *self = TILL_CATALOG (object);

  g_clear_pointer (&self->data, catalog_data_unref);

  G_OBJECT_CLASS (till_catalog_parent_class)->finalize (object);
}

static void
till_catalog_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TillCatalog *self = TILL_CATALOG (object);

  switch (prop_id)
    {
      case PROP_ETAG:
        g_value_set_string (value, till_catalog_get_etag (self));
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

  /* The products (and so every position) and the categories were replaced. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);
}

static void
till_catalog_init (TillCatalog *self)
{
}

TillCatalog *
till_catalog_new (void)
{
  return g_object_new (TILL_TYPE_CATALOG, NULL);
}

/* Checking a serialised catalog */

static gconstpointer
get_array (GVariant *root, guint member, gsize element_size, gsize *n)
{
  g_autoptr (GVariant) child = g_variant_get_child_value (root, member);
  gconstpointer elements = g_variant_get_fixed_array (child, n, element_size);

  /* The children share the root's bytes: the pointer outlives @child. */
  if (*n == 0 || ((guintptr) elements % element_size) != 0)
    {
      *n = 0;
      return NULL;
    }
  return elements;
}

/* Starts and ends with NUL (so offset 0 is "" and no string runs off the end), and every
 * string in it is valid UTF-8. */
static gboolean
blob_is_valid (const char *blob, gsize len)
{
  const char *p, *end;

  if (len == 0 || blob[0] != '\0' || blob[len - 1] != '\0')
    return FALSE;
  for (p = blob, end = blob + len; p < end;)
    {
      const char *nul = memchr (p, '\0', end - p);

      if (!g_utf8_validate_len (p, nul - p, NULL))
        return FALSE;
      p = nul + 1;
    }
  return TRUE;
}

/* An offset at the start of one of the blob's strings. */
static inline gboolean
offset_is_valid (const char *blob, gsize len, guint32 offset)
{
  return offset < len && (offset == 0 || blob[offset - 1] == '\0');
}

static inline const char *
string_at (const CatalogData *data, const guint32 *offsets, gsize position)
{
  return data->strings + offsets[position];
}

/* The order of the two indexes, one definition for the sort that builds them
 * (serialize_products()) and the check of a loaded catalog (catalog_data_new()): by id, or
 * by barcode (bytewise), then by position. */
typedef struct
{
  const gint64  *ids;
  const guint32 *barcode; /* offsets into strings */
  const char    *strings;
} IndexOrder;

static int
order_by_id (const IndexOrder *order, guint32 a, guint32 b)
{
  if (order->ids[a] != order->ids[b])
    return order->ids[a] < order->ids[b] ? -1 : 1;
  return (a > b) - (a < b);
}

static int
order_by_barcode (const IndexOrder *order, guint32 a, guint32 b)
{
  int cmp = strcmp (order->strings + order->barcode[a], order->strings + order->barcode[b]);

  if (cmp != 0)
    return cmp;
  return (a > b) - (a < b);
}

static CatalogData *
catalog_data_new (GBytes *bytes, GError **error)
{
  g_autoptr (CatalogData) data = g_atomic_rc_box_new0 (CatalogData);
  g_autoptr (GVariant) version = NULL;
  g_autoptr (GVariant) etag = NULL;
  g_autoptr (GVariant) categories = NULL;
  g_autoptr (GVariant) currencies = NULL;
  IndexOrder index_order;
  gsize      n, len, n_with_barcode = 0;

  /* Untrusted: GVariant bounds-checks every access, whatever the bytes are. */
  data->root =
      g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (CACHE_TYPE), bytes, FALSE));
  version = g_variant_get_child_value (data->root, M_VERSION);
  if (g_variant_get_uint32 (version) != CACHE_VERSION)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The catalog cache has an unknown format");
      return NULL;
    }

  etag = g_variant_get_child_value (data->root, M_ETAG);
  if (*g_variant_get_string (etag, NULL) != '\0')
    data->etag = g_variant_dup_string (etag, NULL);
  categories = g_variant_get_child_value (data->root, M_CATEGORIES);
  data->categories = g_variant_dup_strv (categories, NULL);
  data->n_categories = g_strv_length (data->categories);
  currencies = g_variant_get_child_value (data->root, M_CURRENCIES);
  data->currencies = g_variant_dup_strv (currencies, NULL);
  data->n_currencies = g_strv_length (data->currencies);
  for (guint i = 0; i < data->n_currencies; i++)
    if (till_currency_lookup (data->currencies[i]) == NULL)
      goto damaged;

  data->strings = get_array (data->root, M_STRINGS, 1, &data->strings_len);
  data->keys = get_array (data->root, M_KEYS, 1, &data->keys_len);
  if (!blob_is_valid (data->strings, data->strings_len) ||
      !blob_is_valid (data->keys, data->keys_len))
    goto damaged;

  data->ids = get_array (data->root, M_IDS, sizeof (gint64), &n);
  data->n = n;
  if (n > G_MAXUINT32)
    goto damaged;
  if (n == 0)
    {
      /* An empty catalog: nothing else may be there. */
      get_array (data->root, M_BY_BARCODE, sizeof (guint32), &len);
      if (len != 0)
        goto damaged;
      return g_steal_pointer (&data);
    }
#define GET(field, member, type)                                                                   \
  G_STMT_START                                                                                     \
  {                                                                                                \
    data->field = get_array (data->root, member, sizeof (type), &len);                             \
    if (len != n)                                                                                  \
      goto damaged;                                                                                \
  }                                                                                                \
  G_STMT_END
  GET (amounts, M_AMOUNTS, gint64);
  GET (tax_rates, M_TAX_RATES, gint32);
  GET (category, M_CATEGORY, guint32);
  GET (currency, M_CURRENCY, guint32);
  GET (name, M_NAME, guint32);
  GET (sku, M_SKU, guint32);
  GET (barcode, M_BARCODE, guint32);
  GET (key, M_KEY, guint32);
  GET (by_id, M_BY_ID, guint32);
#undef GET
  data->by_barcode = get_array (data->root, M_BY_BARCODE, sizeof (guint32), &data->n_barcodes);

  for (gsize i = 0; i < n; i++)
    {
      if (data->ids[i] <= 0 || data->amounts[i] < 0 || data->amounts[i] > TILL_AMOUNT_MAX ||
          data->tax_rates[i] < 0 || data->tax_rates[i] > TILL_TAX_RATE_MAX ||
          data->category[i] > data->n_categories || data->currency[i] >= data->n_currencies ||
          !offset_is_valid (data->strings, data->strings_len, data->name[i]) ||
          data->name[i] == 0 || !offset_is_valid (data->strings, data->strings_len, data->sku[i]) ||
          !offset_is_valid (data->strings, data->strings_len, data->barcode[i]) ||
          !offset_is_valid (data->keys, data->keys_len, data->key[i]))
        goto damaged;
      if (data->barcode[i] != 0 && data->strings[data->barcode[i]] != '\0')
        n_with_barcode++;
    }

  /* Both indexes strictly ascending, so each position appears once, and complete. */
  index_order.ids = data->ids;
  index_order.barcode = data->barcode;
  index_order.strings = data->strings;
  for (gsize i = 0; i < n; i++)
    if (data->by_id[i] >= n ||
        (i > 0 && order_by_id (&index_order, data->by_id[i - 1], data->by_id[i]) >= 0))
      goto damaged;
  if (data->n_barcodes != n_with_barcode)
    goto damaged;
  for (gsize i = 0; i < data->n_barcodes; i++)
    if (data->by_barcode[i] >= n || *string_at (data, data->barcode, data->by_barcode[i]) == '\0' ||
        (i > 0 &&
         order_by_barcode (&index_order, data->by_barcode[i - 1], data->by_barcode[i]) >= 0))
      goto damaged;

  return g_steal_pointer (&data);

damaged:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The catalog cache is damaged");
  return NULL;
}

/* Building the compact form from products */

static guint32
add_string (GByteArray *blob, const char *text)
{
  guint32 offset = blob->len;

  if (text == NULL || *text == '\0')
    return 0;
  g_byte_array_append (blob, (const guint8 *) text, strlen (text) + 1);
  return offset;
}

static guint32
intern (GHashTable *indexes, GPtrArray *names, const char *name)
{
  gpointer index;

  if (!g_hash_table_lookup_extended (indexes, name, NULL, &index))
    {
      index = GUINT_TO_POINTER (names->len);
      g_ptr_array_add (names, g_strdup (name));
      g_hash_table_insert (indexes, g_ptr_array_index (names, names->len - 1), index);
    }
  return GPOINTER_TO_UINT (index);
}

static int
compare_collated (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const char *const *names = user_data;
  return g_utf8_collate (names[*(const guint32 *) a], names[*(const guint32 *) b]);
}

static int
compare_by_id (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return order_by_id (user_data, *(const guint32 *) a, *(const guint32 *) b);
}

static int
compare_by_barcode (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return order_by_barcode (user_data, *(const guint32 *) a, *(const guint32 *) b);
}

static GVariant *
fixed_array (const GVariantType *type, GArray *array)
{
  static const guint64 nothing = 0;

  return g_variant_new_fixed_array (type, array->len ? (gconstpointer) array->data : &nothing,
                                    array->len, g_array_get_element_size (array));
}

static GVariant *
byte_array (GByteArray *array)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, array->data, array->len, 1);
}

/* The serialised form of @products. */
static GBytes *
serialize_products (GPtrArray *products, const char *etag)
{
  guint n = products->len;
  g_autoptr (GHashTable) category_indexes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) currency_indexes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) category_names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) currency_names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  g_autoptr (GArray) amounts = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  g_autoptr (GArray) tax_rates = g_array_sized_new (FALSE, FALSE, sizeof (gint32), n);
  g_autoptr (GArray) category = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n);
  g_autoptr (GArray) currency = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n);
  g_autoptr (GArray) name = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n);
  g_autoptr (GArray) sku = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n);
  g_autoptr (GArray) barcode = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n);
  g_autoptr (GArray) key = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n);
  g_autoptr (GArray) by_id = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n);
  g_autoptr (GArray) by_barcode = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n);
  g_autoptr (GArray) order = NULL;
  g_autoptr (GArray) rank = NULL;
  g_autoptr (GByteArray) strings = g_byte_array_sized_new (n * 40 + 1);
  g_autoptr (GByteArray) keys = g_byte_array_sized_new (n * 40 + 1);
  g_autoptr (GVariant) root = NULL;
  IndexOrder index_order;

  g_byte_array_append (strings, (const guint8 *) "", 1);
  g_byte_array_append (keys, (const guint8 *) "", 1);

  for (guint i = 0; i < n; i++)
    {
      TillProduct *product = g_ptr_array_index (products, i);
      const char  *product_category = till_product_get_category (product);
      gint64       id = till_product_get_id (product);
      gint64       amount = till_product_get_unit_amount (product);
      gint32       tax_rate = till_product_get_tax_rate (product);
      guint32      value;

      g_array_append_val (ids, id);
      g_array_append_val (amounts, amount);
      g_array_append_val (tax_rates, tax_rate);
      value = product_category != NULL && *product_category != '\0'
                  ? intern (category_indexes, category_names, product_category) + 1
                  : 0;
      g_array_append_val (category, value);
      value = intern (currency_indexes, currency_names, till_product_get_currency (product));
      g_array_append_val (currency, value);
      value = add_string (strings, till_product_get_name (product));
      g_array_append_val (name, value);
      value = add_string (strings, till_product_get_sku (product));
      g_array_append_val (sku, value);
      value = add_string (strings, till_product_get_barcode (product));
      g_array_append_val (barcode, value);
      if (value != 0)
        g_array_append_val (by_barcode, i);
      value = add_string (keys, till_product_get_search_key (product));
      g_array_append_val (key, value);
      g_array_append_val (by_id, i);
    }

  /* Categories sorted as people read them; products follow their category's new index. */
  order = g_array_sized_new (FALSE, FALSE, sizeof (guint32), category_names->len);
  for (guint32 i = 0; i < category_names->len; i++)
    g_array_append_val (order, i);
  g_array_sort_with_data (order, compare_collated, category_names->pdata);
  rank = g_array_sized_new (FALSE, TRUE, sizeof (guint32), category_names->len);
  g_array_set_size (rank, category_names->len);
  for (guint32 i = 0; i < order->len; i++)
    g_array_index (rank, guint32, g_array_index (order, guint32, i)) = i;
  for (guint i = 0; i < n; i++)
    {
      guint32 *c = &g_array_index (category, guint32, i);
      if (*c != 0)
        *c = g_array_index (rank, guint32, *c - 1) + 1;
    }

  index_order.ids = (const gint64 *) ids->data;
  index_order.barcode = (const guint32 *) barcode->data;
  index_order.strings = (const char *) strings->data;
  g_array_sort_with_data (by_id, compare_by_id, &index_order);
  g_array_sort_with_data (by_barcode, compare_by_barcode, &index_order);

  {
    g_autoptr (GStrvBuilder) sorted = g_strv_builder_new ();
    g_auto (GStrv) sorted_names = NULL;

    for (guint i = 0; i < order->len; i++)
      g_strv_builder_add (sorted,
                          g_ptr_array_index (category_names, g_array_index (order, guint32, i)));
    sorted_names = g_strv_builder_end (sorted);
    g_ptr_array_add (currency_names, NULL);
    root = g_variant_new (
        "(us^as^as@ax@ax@ai@au@au@au@au@au@au@ay@ay@au@au)", (guint32) CACHE_VERSION,
        etag ? etag : "", sorted_names, (char **) currency_names->pdata,
        fixed_array (G_VARIANT_TYPE_INT64, ids), fixed_array (G_VARIANT_TYPE_INT64, amounts),
        fixed_array (G_VARIANT_TYPE_INT32, tax_rates),
        fixed_array (G_VARIANT_TYPE_UINT32, category),
        fixed_array (G_VARIANT_TYPE_UINT32, currency), fixed_array (G_VARIANT_TYPE_UINT32, name),
        fixed_array (G_VARIANT_TYPE_UINT32, sku), fixed_array (G_VARIANT_TYPE_UINT32, barcode),
        fixed_array (G_VARIANT_TYPE_UINT32, key), byte_array (strings), byte_array (keys),
        fixed_array (G_VARIANT_TYPE_UINT32, by_id),
        fixed_array (G_VARIANT_TYPE_UINT32, by_barcode));
    g_variant_ref_sink (root);
    g_ptr_array_remove_index (currency_names, currency_names->len - 1);
  }
  return g_variant_get_data_as_bytes (root);
}

static CatalogData *
catalog_data_new_from_products (GPtrArray *products, const char *etag)
{
  g_autoptr (GBytes) bytes = serialize_products (products, etag);
  g_autoptr (GError) error = NULL;
  CatalogData *data;

  data = catalog_data_new (bytes, &error);
  /* Products are checked when made, so what was just built always passes. */
  if (data == NULL)
    g_critical ("The catalog could not be built: %s", error->message);
  return data;
}

/* Reading */

guint
till_catalog_get_n_products (TillCatalog *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG (self), 0);
  return self->data ? (guint) self->data->n : 0;
}

guint
till_catalog_get_stamp (TillCatalog *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG (self), 0);
  return self->stamp;
}

const char *const *
till_catalog_get_categories (TillCatalog *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG (self), NULL);
  return self->data ? (const char *const *) self->data->categories : no_strings;
}

const char *
till_catalog_get_etag (TillCatalog *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG (self), NULL);
  return self->data ? self->data->etag : NULL;
}

TillProduct *
till_catalog_dup_product (TillCatalog *self, guint position)
{
  CatalogData *data;

  g_return_val_if_fail (TILL_IS_CATALOG (self), NULL);

  data = self->data;
  if (data == NULL || position >= data->n)
    return NULL;
  return till_product_new_with_key (
      data->ids[position], string_at (data, data->name, position),
      string_at (data, data->sku, position), string_at (data, data->barcode, position),
      data->category[position] != 0 ? data->categories[data->category[position] - 1] : NULL,
      data->currencies[data->currency[position]], data->amounts[position],
      data->tax_rates[position], data->keys + data->key[position]);
}

const char *
till_catalog_peek_search_key (TillCatalog *self, guint position)
{
  g_return_val_if_fail (TILL_IS_CATALOG (self), NULL);

  if (self->data == NULL || position >= self->data->n)
    return NULL;
  return self->data->keys + self->data->key[position];
}

gint64
till_catalog_find_barcode (TillCatalog *self, const char *barcode)
{
  CatalogData *data;
  gsize        lo = 0, hi;

  g_return_val_if_fail (TILL_IS_CATALOG (self), -1);

  data = self->data;
  if (data == NULL || barcode == NULL || *barcode == '\0')
    return -1;
  /* The first entry past @barcode; the one before it is the last with @barcode, if any. */
  hi = data->n_barcodes;
  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;

      if (strcmp (barcode, string_at (data, data->barcode, data->by_barcode[mid])) < 0)
        hi = mid;
      else
        lo = mid + 1;
    }
  if (lo > 0 && strcmp (barcode, string_at (data, data->barcode, data->by_barcode[lo - 1])) == 0)
    return data->by_barcode[lo - 1];
  return -1;
}

TillProduct *
till_catalog_lookup_barcode (TillCatalog *self, const char *barcode)
{
  gint64 position = till_catalog_find_barcode (self, barcode);

  return position >= 0 ? till_catalog_dup_product (self, (guint) position) : NULL;
}

TillProduct *
till_catalog_lookup_id (TillCatalog *self, gint64 id)
{
  CatalogData *data;
  gsize        lo = 0, hi;

  g_return_val_if_fail (TILL_IS_CATALOG (self), NULL);

  data = self->data;
  if (data == NULL)
    return NULL;
  hi = data->n;
  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;

      if (id < data->ids[data->by_id[mid]])
        hi = mid;
      else
        lo = mid + 1;
    }
  if (lo > 0 && data->ids[data->by_id[lo - 1]] == id)
    return till_catalog_dup_product (self, data->by_id[lo - 1]);
  return NULL;
}

GArray *
till_catalog_search (TillCatalog       *self,
                     const char *const *words,
                     const char        *category,
                     GArray            *within)
{
  CatalogData *data;
  GArray      *matches;
  guint32      wanted = 0;
  gsize        n;

  g_return_val_if_fail (TILL_IS_CATALOG (self), NULL);
  g_return_val_if_fail (words != NULL, NULL);

  data = self->data;
  n = data ? data->n : 0;
  matches =
      g_array_sized_new (FALSE, FALSE, sizeof (guint32), MIN (within ? within->len : n, 4096));
  if (n == 0)
    return matches;
  if (category != NULL)
    {
      for (guint i = 0; i < data->n_categories && wanted == 0; i++)
        if (g_str_equal (category, data->categories[i]))
          wanted = i + 1;
      if (wanted == 0)
        return matches;
    }

  for (gsize j = 0, end = within ? within->len : n; j < end; j++)
    {
      guint32 i = within ? g_array_index (within, guint32, j) : (guint32) j;

      if (i >= n || (wanted != 0 && data->category[i] != wanted))
        continue;
      if (till_search_key_matches (data->keys + data->key[i], words))
        g_array_append_val (matches, i);
    }
  return matches;
}

/* Replacing */

#define SERIAL_KEY "till-catalog-serial"

static void
start_serial (TillCatalog *self, GTask *task)
{
  g_object_set_data (G_OBJECT (task), SERIAL_KEY, GUINT_TO_POINTER (++self->next_serial));
}

static void
take_data (TillCatalog *self, CatalogData *data)
{
  gboolean etag_changed = g_strcmp0 (till_catalog_get_etag (self), data ? data->etag : NULL) != 0;

  g_clear_pointer (&self->data, catalog_data_unref);
  self->data = data;
  self->stamp++;

  if (etag_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ETAG]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PRODUCTS]);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
till_catalog_replace (TillCatalog *self, GPtrArray *products, const char *etag)
{
  g_return_if_fail (TILL_IS_CATALOG (self));
  g_return_if_fail (products != NULL);

  self->applied_serial = ++self->next_serial;
  take_data (self, catalog_data_new_from_products (products, etag));
}

/* The finish of a load or a replace: takes the task's catalog unless a newer one is
 * already in place. FALSE with @error if the task failed. */
static gboolean
take_data_from_task (TillCatalog *self, GTask *task, GError **error)
{
  guint        serial = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), SERIAL_KEY));
  CatalogData *data = g_task_propagate_pointer (task, error);

  if (data == NULL)
    return FALSE;
  if (serial <= self->applied_serial)
    {
      g_debug ("A newer catalog is in place; an older one is dropped");
      catalog_data_unref (data);
      return TRUE;
    }
  self->applied_serial = serial;
  take_data (self, data);
  return TRUE;
}

typedef struct
{
  GPtrArray *products;
  char      *etag;
} ReplaceData;

static void
replace_data_free (ReplaceData *data)
{
  g_clear_pointer (&data->products, g_ptr_array_unref);
  g_free (data->etag);
  g_free (data);
}

static void
replace_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  ReplaceData *replace = task_data;
  CatalogData *data = catalog_data_new_from_products (replace->products, replace->etag);

  if (data == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             "The catalog could not be built");
  else
    g_task_return_pointer (task, data, (GDestroyNotify) catalog_data_unref);
}

void
till_catalog_replace_async (TillCatalog        *self,
                            GPtrArray          *products,
                            const char         *etag,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  ReplaceData *replace;

  g_return_if_fail (TILL_IS_CATALOG (self));
  g_return_if_fail (products != NULL);

  replace = g_new0 (ReplaceData, 1);
  replace->products = g_ptr_array_ref (products);
  replace->etag = g_strdup (etag);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_catalog_replace_async);
  g_task_set_task_data (task, replace, (GDestroyNotify) replace_data_free);
  start_serial (self, task);
  g_task_run_in_thread (task, replace_thread);
}

gboolean
till_catalog_replace_finish (TillCatalog *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return take_data_from_task (self, G_TASK (result), error);
}

GPtrArray *
till_catalog_parse_products (JsonArray *array)
{
  GPtrArray *products;
  guint      n = json_array_get_length (array);

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

/* The cache */

static void
load_cache_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  const char  *path = g_file_peek_path (file);
  gint64       start = g_get_monotonic_time ();
  CatalogData *data;

  if (path != NULL)
    {
      /* Mapped, not read: the pages are the page cache's, and only those used are loaded.
       * Till only ever replaces the file by renaming a new one over it (save_cache_thread()),
       * never rewrites it in place, so the mapping stays valid. (Another program truncating
       * it under a running Till would fault it: the cache is Till's own, in its cache
       * directory.) */
      g_autoptr (GMappedFile) mapped = g_mapped_file_new (path, FALSE, &error);

      if (mapped == NULL)
        {
          g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_file_error (error->code), "%s",
                                   error->message);
          return;
        }
      bytes = g_mapped_file_get_bytes (mapped);
    }
  else if ((bytes = g_file_load_bytes (file, cancellable, NULL, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = catalog_data_new (bytes, &error);
  if (data == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_debug ("Catalog cache: %" G_GSIZE_FORMAT " products, %" G_GSIZE_FORMAT " bytes, mapped "
           "and checked in %.1f ms",
           data->n, g_bytes_get_size (bytes), (g_get_monotonic_time () - start) / 1000.0);
  g_task_return_pointer (task, data, (GDestroyNotify) catalog_data_unref);
}

void
till_catalog_load_cache_async (TillCatalog        *self,
                               GFile              *file,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (TILL_IS_CATALOG (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_catalog_load_cache_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  start_serial (self, task);
  g_task_run_in_thread (task, load_cache_thread);
}

gboolean
till_catalog_load_cache_finish (TillCatalog *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return take_data_from_task (self, G_TASK (result), error);
}

typedef struct
{
  GFile       *file;
  CatalogData *data; /* NULL: an empty catalog */
} SaveData;

static void
save_data_free (SaveData *save)
{
  g_clear_object (&save->file);
  g_clear_pointer (&save->data, catalog_data_unref);
  g_free (save);
}

static void
save_cache_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  SaveData *save = task_data;
  g_autoptr (GFile) parent = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  const char *path;

  /* The catalog is already in the cache's form: the file is its bytes. */
  if (save->data != NULL)
    bytes = g_variant_get_data_as_bytes (save->data->root);
  else
    {
      g_autoptr (GPtrArray) none = g_ptr_array_new ();
      bytes = serialize_products (none, NULL);
    }

  parent = g_file_get_parent (save->file);
  if (parent != NULL && !g_file_make_directory_with_parents (parent, cancellable, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_clear_error (&error);
  /* The cache in use is mapped (load_cache_thread()): the new one must be a new file
   * renamed over it, never the old one rewritten in place, which g_file_replace_contents()
   * falls back to for a symbolic link, for instance, and which would fault the mapping. */
  path = g_file_peek_path (save->file);
  if (path != NULL ? !g_file_set_contents_full (path, g_bytes_get_data (bytes, NULL),
                                                g_bytes_get_size (bytes),
                                                G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error)
                   : !g_file_replace_contents (save->file, g_bytes_get_data (bytes, NULL),
                                               g_bytes_get_size (bytes), NULL, FALSE,
                                               G_FILE_CREATE_PRIVATE, NULL, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
till_catalog_save_cache_async (TillCatalog        *self,
                               GFile              *file,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  SaveData *save;

  g_return_if_fail (TILL_IS_CATALOG (self));
  g_return_if_fail (G_IS_FILE (file));

  save = g_new0 (SaveData, 1);
  save->file = g_object_ref (file);
  save->data = self->data ? catalog_data_ref (self->data) : NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_catalog_save_cache_async);
  g_task_set_task_data (task, save, (GDestroyNotify) save_data_free);
  g_task_run_in_thread (task, save_cache_thread);
}

gboolean
till_catalog_save_cache_finish (TillCatalog *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

GFile *
till_catalog_get_default_cache_file (void)
{
  g_autofree char *path =
      g_build_filename (g_get_user_cache_dir (), "till", "catalog.gvariant", NULL);
  return g_file_new_for_path (path);
}
