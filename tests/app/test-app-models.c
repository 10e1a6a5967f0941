/* test-app-models.c: the app's models without a display — search folding, catalog filter and
 * cache, cart model and persistence, scanner detection, the HTTP client and checkout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <libsecret/secret.h>

#include "till-cart-store.h"
#include "till-catalog.h"
#include "till-catalog-filter.h"
#include "till-checkout.h"
#include "till-client-private.h"
#include "till-error-message.h"
#include "till-payment-page.h"
#include "till-scan-detector.h"
#include "till-search-key.h"
#include "till-test-app-server.h"
#include "till-test-gtk.h"
#include "till-token-store.h"

/* Search folding */

static void
test_search_fold (void)
{
  static const struct
  {
    const char *in, *out;
  } cases[] = {
    { "İSTANBUL", "istanbul" },       { "istanbul", "istanbul" },
    { "ISTANBUL", "istanbul" },       { "ıspanak", "ispanak" },
    { "ISPANAK", "ispanak" },         { "Kaşık", "kasik" },
    { "Çay Bardağı", "cay bardagi" }, { "Crème Brûlée", "creme brulee" },
    { "Straße", "strasse" },          { "ÖĞÜŞÇ", "ogusc" },
    { "Ayran 300ml", "ayran 300ml" }, { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *folded = till_search_fold (cases[i].in);
      g_assert_cmpstr (folded, ==, cases[i].out);
    }
  /* Invalid UTF-8 is not a crash. */
  {
    g_autofree char *folded = till_search_fold ("\xff\xfe");
    g_assert_cmpstr (folded, ==, "");
  }
}

/* Catalog */

static GPtrArray *
sample_products (void)
{
  GPtrArray *products = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (products, till_product_new (1, "İstanbul Simidi", "SIM-1", "8690000000017",
                                               "Bakery", "USD", 150, 800));
  g_ptr_array_add (products, till_product_new (2, "Istiridye Mantarı", "MNT-2", "8690000000024",
                                               "Produce", "USD", 420, 800));
  g_ptr_array_add (products, till_product_new (3, "Kaşık", "KSK-3", "8690000000031", "Kitchen",
                                               "USD", 1250, 1800));
  g_ptr_array_add (products, till_product_new (4, "Ispanak", "ISP-4", "4006381333931", "Produce",
                                               "USD", 300, 800));
  g_ptr_array_add (products,
                   till_product_new (5, "Crème Brûlée", "DES-5", NULL, "Bakery", "USD", 500, 800));
  return products;
}

static guint
count_matches (TillCatalog *catalog, TillCatalogFilter *filter)
{
  g_autoptr (GArray) matches =
      till_catalog_search (catalog, till_catalog_filter_get_words (filter),
                           till_catalog_filter_get_category (filter), NULL);
  return matches->len;
}

static char *
dup_name (TillCatalog *catalog, guint position)
{
  g_autoptr (TillProduct) product = till_catalog_dup_product (catalog, position);
  return product ? g_strdup (till_product_get_name (product)) : NULL;
}

static void
on_changed_count (TillCatalog *catalog, guint *count)
{
  (*count)++;
}

static void
test_catalog_filter (void)
{
  g_autoptr (TillCatalog) catalog = till_catalog_new ();
  g_autoptr (GPtrArray) products = sample_products ();
  g_autoptr (TillCatalogFilter) filter = till_catalog_filter_new ();
  g_autoptr (GListStore) store = g_list_store_new (TILL_TYPE_PRODUCT);
  g_autoptr (GtkFilterListModel) model = NULL;
  g_autoptr (GArray) matches = NULL;
  g_autoptr (GArray) stricter = NULL;
  const char *const *categories;
  guint              changed = 0;

  g_signal_connect (catalog, "changed", G_CALLBACK (on_changed_count), &changed);
  till_catalog_replace (catalog, products, "\"v1\"");
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpuint (till_catalog_get_n_products (catalog), ==, 5);
  categories = till_catalog_get_categories (catalog);
  g_assert_cmpuint (g_strv_length ((GStrv) categories), ==, 3);
  g_assert_cmpstr (categories[0], ==, "Bakery");
  g_assert_cmpstr (categories[1], ==, "Kitchen");
  g_assert_cmpstr (categories[2], ==, "Produce");

  g_assert_cmpuint (count_matches (catalog, filter), ==, 5);
  /* Turkish i: "is" finds İstanbul, Istiridye and Ispanak. */
  till_catalog_filter_set_query (filter, "is");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 3);
  till_catalog_filter_set_query (filter, "İS");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 3);
  till_catalog_filter_set_query (filter, "ıspanak");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 1);
  till_catalog_filter_set_query (filter, "kasik");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 1);
  till_catalog_filter_set_query (filter, "CREME");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 1);
  /* SKU, barcode, several words. */
  till_catalog_filter_set_query (filter, "ksk-3");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 1);
  till_catalog_filter_set_query (filter, "0000024");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 1);
  till_catalog_filter_set_query (filter, "simidi istanbul");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 1);
  till_catalog_filter_set_query (filter, "zzz");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 0);

  /* Categories combine with the query. */
  till_catalog_filter_set_query (filter, "");
  till_catalog_filter_set_category (filter, "Produce");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 2);
  till_catalog_filter_set_query (filter, "isp");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 1);
  till_catalog_filter_set_query (filter, "is");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 2);
  till_catalog_filter_set_category (filter, NULL);
  g_assert_cmpuint (count_matches (catalog, filter), ==, 3);
  till_catalog_filter_set_category (filter, "No Such Category");
  g_assert_cmpuint (count_matches (catalog, filter), ==, 0);
  till_catalog_filter_set_category (filter, NULL);

  /* Positions come in the catalog's order; a stricter query searches only @within. */
  matches = till_catalog_search (catalog, till_catalog_filter_get_words (filter), NULL, NULL);
  g_assert_cmpuint (matches->len, ==, 3);
  g_assert_cmpuint (g_array_index (matches, guint32, 0), ==, 0);
  g_assert_cmpuint (g_array_index (matches, guint32, 1), ==, 1);
  g_assert_cmpuint (g_array_index (matches, guint32, 2), ==, 3);
  till_catalog_filter_set_query (filter, "isp");
  stricter = till_catalog_search (catalog, till_catalog_filter_get_words (filter), NULL, matches);
  g_assert_cmpuint (stricter->len, ==, 1);
  g_assert_cmpuint (g_array_index (stricter, guint32, 0), ==, 3);
  {
    g_autofree char *name = dup_name (catalog, 3);
    g_assert_cmpstr (name, ==, "Ispanak");
  }
  g_assert_null (till_catalog_dup_product (catalog, 5));
  g_assert_cmpstr (till_catalog_peek_search_key (catalog, 2), ==,
                   "kasik"
                   "\x1f"
                   "ksk-3"
                   "\x1f"
                   "8690000000031");

  /* The same filter is a GtkFilter for products as objects. */
  for (guint i = 0; i < till_catalog_get_n_products (catalog); i++)
    {
      g_autoptr (TillProduct) product = till_catalog_dup_product (catalog, i);
      g_list_store_append (store, product);
    }
  model = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (store)),
                                     g_object_ref (GTK_FILTER (filter)));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1);
  till_catalog_filter_set_query (filter, "is");
  till_catalog_filter_set_category (filter, "Produce");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 2);

  /* Barcode and id lookups make products with every field. */
  {
    g_autoptr (TillProduct) spoon = till_catalog_lookup_barcode (catalog, "8690000000031");
    g_autoptr (TillProduct) spinach = till_catalog_lookup_id (catalog, 4);
    g_autoptr (TillProduct) dessert = till_catalog_lookup_id (catalog, 5);

    g_assert_nonnull (spoon);
    g_assert_cmpstr (till_product_get_name (spoon), ==, "Kaşık");
    g_assert_cmpint (till_product_get_id (spoon), ==, 3);
    g_assert_cmpstr (till_product_get_sku (spoon), ==, "KSK-3");
    g_assert_cmpstr (till_product_get_category (spoon), ==, "Kitchen");
    g_assert_cmpstr (till_product_get_currency (spoon), ==, "USD");
    g_assert_cmpint (till_product_get_unit_amount (spoon), ==, 1250);
    g_assert_cmpint (till_product_get_tax_rate (spoon), ==, 1800);
    g_assert_cmpint (till_product_get_id (spinach), ==, 4);
    g_assert_cmpstr (till_product_get_barcode (spinach), ==, "4006381333931");
    g_assert_null (till_product_get_barcode (dessert));
  }
  g_assert_null (till_catalog_lookup_barcode (catalog, "0000"));
  g_assert_null (till_catalog_lookup_barcode (catalog, ""));
  g_assert_null (till_catalog_lookup_barcode (catalog, NULL));
  g_assert_null (till_catalog_lookup_barcode (catalog, "9999999999999"));
  g_assert_null (till_catalog_lookup_id (catalog, 6));
  g_assert_null (till_catalog_lookup_id (catalog, 0));
  g_assert_cmpint (till_catalog_find_barcode (catalog, "4006381333931"), ==, 3);

  /* Replacing changes every position, the stamp and the categories. */
  {
    g_autoptr (GPtrArray) other = g_ptr_array_new_with_free_func (g_object_unref);
    guint stamp = till_catalog_get_stamp (catalog);

    g_ptr_array_add (other, till_product_new (9, "Çay", NULL, NULL, NULL, "usd", 100, 800));
    till_catalog_replace (catalog, other, NULL);
    g_assert_cmpuint (changed, ==, 2);
    g_assert_cmpuint (till_catalog_get_stamp (catalog), !=, stamp);
    g_assert_cmpuint (till_catalog_get_n_products (catalog), ==, 1);
    g_assert_cmpuint (g_strv_length ((GStrv) till_catalog_get_categories (catalog)), ==, 0);
    g_assert_null (till_catalog_get_etag (catalog));
    g_assert_null (till_catalog_lookup_barcode (catalog, "8690000000031"));
    {
      g_autoptr (TillProduct) tea = till_catalog_dup_product (catalog, 0);
      g_assert_cmpstr (till_product_get_currency (tea), ==, "USD");
      g_assert_null (till_product_get_sku (tea));
      g_assert_null (till_product_get_category (tea));
    }
  }
}

/* Many products, shuffled ids, shared barcodes: the indexes agree with a linear search. */
static void
test_catalog_lookup (void)
{
  g_autoptr (TillCatalog) catalog = till_catalog_new ();
  g_autoptr (GPtrArray) products = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  const guint n = 3000;

  for (guint i = 0; i < n; i++)
    {
      gint64           id = (gint64) ((i * 7919u) % n) + 1; /* a permutation of 1..n */
      g_autofree char *name = g_strdup_printf ("Item %u", i);
      /* Every tenth barcode is shared with the product before it; every seventh is none. */
      g_autofree char *barcode =
          i % 7 == 0 ? NULL : g_strdup_printf ("%013u", i % 10 == 0 ? i - 1 : i);

      g_ptr_array_add (products, till_product_new (id, name, NULL, barcode,
                                                   g_rand_boolean (rand) ? "A" : "B", "EUR", i, 0));
    }
  till_catalog_replace (catalog, products, "\"x\"");

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (TillProduct) by_id = till_catalog_lookup_id (catalog, i + 1);
      g_autofree char *code = g_strdup_printf ("%013u", i);
      gint64           expected = -1;

      g_assert_nonnull (by_id);
      g_assert_cmpint (till_product_get_id (by_id), ==, i + 1);
      /* The last product with the barcode wins. */
      for (guint j = 0; j < n; j++)
        {
          const char *barcode = till_product_get_barcode (g_ptr_array_index (products, j));
          if (g_strcmp0 (barcode, code) == 0)
            expected = j;
        }
      g_assert_cmpint (till_catalog_find_barcode (catalog, code), ==, expected);
    }
  g_assert_null (till_catalog_lookup_id (catalog, n + 1));
}

static void
on_async_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
result_ready (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static gboolean
load_cache (TillCatalog *catalog, GFile *file, GError **error)
{
  GAsyncResult *result = NULL;
  gboolean      ok;

  till_catalog_load_cache_async (catalog, file, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  ok = till_catalog_load_cache_finish (catalog, result, error);
  g_object_unref (result);
  return ok;
}

static void
save_cache (TillCatalog *catalog, GFile *file)
{
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;

  till_catalog_save_cache_async (catalog, file, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  g_assert_true (till_catalog_save_cache_finish (catalog, result, &error));
  g_assert_no_error (error);
  g_object_unref (result);
}

static void
assert_cache_refused (const char *path, const char *contents, gsize length)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (TillCatalog) catalog = till_catalog_new ();
  g_autoptr (GPtrArray) products = sample_products ();
  g_autoptr (GError) error = NULL;

  till_catalog_replace (catalog, products, NULL);
  g_assert_true (g_file_set_contents (path, contents, length, NULL));
  g_assert_false (load_cache (catalog, file, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  /* What was there stays. */
  g_assert_cmpuint (till_catalog_get_n_products (catalog), ==, 5);
}

static void
test_catalog_cache (void)
{
  g_autofree char *dir = till_test_make_tmpdir ("till-app-test");
  g_autofree char *path = g_build_filename (dir, "sub", "catalog.gvariant", NULL);
  g_autofree char *damaged_path = g_build_filename (dir, "damaged.gvariant", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (TillCatalog) catalog = till_catalog_new ();
  g_autoptr (TillCatalog) restored = till_catalog_new ();
  g_autoptr (GPtrArray) products = sample_products ();
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize            length;

  /* No cache yet: NOT_FOUND, nothing else. */
  g_assert_false (load_cache (restored, file, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  till_catalog_replace (catalog, products, "\"etag-7\"");
  save_cache (catalog, file);

  /* A new process (a new catalog) starts from the cache alone: offline start. */
  g_assert_true (load_cache (restored, file, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (till_catalog_get_n_products (restored), ==, 5);
  g_assert_cmpstr (till_catalog_get_etag (restored), ==, "\"etag-7\"");
  g_assert_cmpstrv (till_catalog_get_categories (restored), till_catalog_get_categories (catalog));
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr (TillProduct) a = till_catalog_dup_product (catalog, i);
      g_autoptr (TillProduct) b = till_catalog_dup_product (restored, i);
      g_autoptr (JsonNode) json_a = till_product_to_json (a);
      g_autoptr (JsonNode) json_b = till_product_to_json (b);

      g_assert_true (json_node_equal (json_a, json_b));
      g_assert_cmpstr (till_product_get_search_key (a), ==, till_product_get_search_key (b));
    }
  {
    g_autoptr (TillProduct) spoon = till_catalog_lookup_barcode (restored, "8690000000031");
    g_autoptr (TillProduct) three = till_catalog_lookup_id (restored, 3);
    g_assert_cmpint (till_product_get_unit_amount (spoon), ==, 1250);
    g_assert_cmpint (till_product_get_tax_rate (three), ==, 1800);
  }

  /* Saving what was loaded from a file writes the same bytes, over the mapped file. */
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  save_cache (restored, file);
  {
    g_autofree char *again = NULL;
    gsize            again_length;

    g_assert_true (g_file_get_contents (path, &again, &again_length, NULL));
    g_assert_cmpmem (contents, length, again, again_length);
  }
  g_assert_cmpuint (till_catalog_get_n_products (restored), ==, 5);

  /* An empty catalog round-trips too. */
  {
    g_autoptr (TillCatalog) empty = till_catalog_new ();
    g_autoptr (TillCatalog) loaded = till_catalog_new ();
    g_autoptr (GFile) empty_file = g_file_new_for_path (damaged_path);

    save_cache (empty, empty_file);
    g_assert_true (load_cache (loaded, empty_file, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (till_catalog_get_n_products (loaded), ==, 0);
    g_assert_null (till_catalog_lookup_barcode (loaded, "8690000000031"));
  }

  /* Damaged caches are an error, never a crash, and change nothing: not a GVariant at all,
   * empty, every truncation, and a byte flipped anywhere. */
  assert_cache_refused (damaged_path, "{\"version\": 1, \"products\": [", -1);
  assert_cache_refused (damaged_path, "", 0);
  for (gsize cut = 0; cut < length; cut += 1 + cut / 8)
    assert_cache_refused (damaged_path, contents, cut);
  {
    g_autoptr (GFile) damaged = g_file_new_for_path (damaged_path);
    guint refused = 0, accepted = 0;

    for (gsize i = 0; i < length; i++)
      {
        g_autoptr (TillCatalog) loaded = till_catalog_new ();
        g_autofree char *flipped = g_memdup2 (contents, length);

        flipped[i] ^= 0x5a;
        g_assert_true (g_file_set_contents (damaged_path, flipped, length, NULL));
        if (load_cache (loaded, damaged, NULL))
          {
            /* Some bytes are free to change (a name's letters, a price): whatever loads
             * must still be usable. */
            for (guint p = 0; p < till_catalog_get_n_products (loaded); p++)
              {
                g_autoptr (TillProduct) product = till_catalog_dup_product (loaded, p);
                g_assert_true (g_utf8_validate (till_product_get_name (product), -1, NULL));
              }
            till_catalog_lookup_barcode (loaded, "8690000000031");
            accepted++;
          }
        else
          refused++;
      }
    g_assert_cmpuint (refused, >, 0);
    g_test_message ("flipped bytes: %u refused, %u accepted", refused, accepted);
  }

  /* A load that finishes after a newer catalog was put in place changes nothing; replaces
   * apply in the order they were started, whichever thread finishes first. */
  {
    g_autoptr (TillCatalog) late = till_catalog_new ();
    g_autoptr (GPtrArray) newer = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr (GPtrArray) newest = g_ptr_array_new_with_free_func (g_object_unref);
    GAsyncResult *first = NULL, *second = NULL;

    g_ptr_array_add (newer, till_product_new (11, "Newer", NULL, NULL, NULL, "USD", 1, 0));
    g_ptr_array_add (newest, till_product_new (12, "Newest", NULL, NULL, NULL, "USD", 1, 0));
    till_catalog_load_cache_async (late, file, NULL, on_async_done, &first);
    till_catalog_replace (late, newer, "\"server\"");
    g_assert_true (till_test_wait_until (result_ready, &first, 5000));
    g_assert_true (till_catalog_load_cache_finish (late, first, &error));
    g_assert_no_error (error);
    g_clear_object (&first);
    g_assert_cmpuint (till_catalog_get_n_products (late), ==, 1);
    g_assert_cmpstr (till_catalog_get_etag (late), ==, "\"server\"");

    till_catalog_replace_async (late, products, "\"a\"", NULL, on_async_done, &first);
    till_catalog_replace_async (late, newest, "\"b\"", NULL, on_async_done, &second);
    g_assert_true (till_test_wait_until (result_ready, &first, 5000));
    g_assert_true (till_test_wait_until (result_ready, &second, 5000));
    g_assert_true (till_catalog_replace_finish (late, second, &error));
    g_assert_true (till_catalog_replace_finish (late, first, &error));
    g_assert_no_error (error);
    g_clear_object (&first);
    g_clear_object (&second);
    g_assert_cmpuint (till_catalog_get_n_products (late), ==, 1);
    g_assert_cmpstr (till_catalog_get_etag (late), ==, "\"b\"");
    {
      g_autoptr (TillProduct) product = till_catalog_lookup_id (late, 12);
      g_assert_nonnull (product);
    }
  }

  /* The cache of the previous format (version 1) is refused, to be fetched again. */
  {
    g_autoptr (GVariant) old = g_variant_ref_sink (
        g_variant_new_parsed ("(@u 1, 'etag', @a(xssssssxi) [(1, 'Simit', '', '', '', 'USD', "
                              "'simit', 150, 800)])"));
    assert_cache_refused (damaged_path, g_variant_get_data (old), g_variant_get_size (old));
  }

  till_test_remove_tree (dir);
}

/* Cart model */

static TillProduct *
product (gint64 id, gint64 amount, int tax_rate)
{
  g_autofree char *name = g_strdup_printf ("Product %" G_GINT64_FORMAT, id);
  return till_product_new (id, name, NULL, NULL, NULL, "USD", amount, tax_rate);
}

static void
test_cart_totals (void)
{
  g_autoptr (TillCartModel) cart = till_cart_model_new ("USD", FALSE);
  g_autoptr (TillProduct) shirt = product (1, 1250, 1800);
  g_autoptr (TillProduct) tea = product (2, 333, 800);
  g_autoptr (TillProduct) euro =
      till_product_new (3, "Euro thing", NULL, NULL, NULL, "EUR", 100, 0);
  g_autoptr (GError) error = NULL;
  TillDiscount ten_percent = { TILL_DISCOUNT_PERCENT, 1000 };
  TillDiscount one_dollar = { TILL_DISCOUNT_AMOUNT, 100 };
  TillTotals   totals;

  /* 2 × 12.50 at 18 % (tax-exclusive): 25.00 + 4.50 = 29.50. */
  g_assert_cmpint (till_cart_model_add_product (cart, shirt, 2, &error), ==, 0);
  g_assert_true (till_cart_model_compute_totals (cart, NULL, &totals, &error));
  g_assert_cmpint (totals.subtotal, ==, 2500);
  g_assert_cmpint (totals.tax, ==, 450);
  g_assert_cmpint (totals.total, ==, 2950);

  /* The same product again joins the line. */
  g_assert_cmpint (till_cart_model_add_product (cart, shirt, 1, &error), ==, 0);
  g_assert_cmpint (till_cart_model_get_line (cart, 0)->quantity, ==, 3);
  g_assert_true (till_cart_model_change_quantity (cart, 0, -1, &error));

  /* 10 % off the line: 22.50, tax 4.05, total 26.55. */
  g_assert_true (till_cart_model_set_line_discount (cart, 0, &ten_percent, &error));
  g_assert_true (till_cart_model_compute_totals (cart, NULL, &totals, &error));
  g_assert_cmpint (totals.discount, ==, 250);
  g_assert_cmpint (totals.tax, ==, 405);
  g_assert_cmpint (totals.total, ==, 2655);

  /* 3 × 3.33 at 8 %: 9.99, tax 0.7992 → 0.80; together 26.55 + 10.79 = 37.34. */
  g_assert_cmpint (till_cart_model_add_product (cart, tea, 3, &error), ==, 1);
  g_assert_true (till_cart_model_compute_totals (cart, NULL, &totals, &error));
  g_assert_cmpint (totals.subtotal, ==, 3499);
  g_assert_cmpint (totals.tax, ==, 485);
  g_assert_cmpint (totals.total, ==, 3734);

  /* A cart discount of 1.00 is spread over what is left (22.50 and 9.99). */
  g_assert_true (till_cart_model_set_discount (cart, &one_dollar, &error));
  g_assert_true (till_cart_model_compute_totals (cart, NULL, &totals, &error));
  g_assert_cmpint (totals.discount, ==, 350);
  g_assert_cmpint (totals.subtotal - totals.discount + totals.tax, ==, totals.total);

  /* Refusals: another currency, a quantity out of range, a bad discount, a long note. */
  g_assert_cmpint (till_cart_model_add_product (cart, euro, 1, &error), ==, -1);
  g_assert_error (error, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_CURRENCY);
  g_clear_error (&error);
  g_assert_false (till_cart_model_set_quantity (cart, 0, 0, &error));
  g_assert_error (error, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_QUANTITY);
  g_clear_error (&error);
  g_assert_false (till_cart_model_set_quantity (cart, 0, TILL_QUANTITY_MAX + 1, &error));
  g_clear_error (&error);
  {
    TillDiscount bad = { TILL_DISCOUNT_PERCENT, 10001 };
    g_assert_false (till_cart_model_set_discount (cart, &bad, &error));
    g_assert_error (error, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_DISCOUNT);
    g_clear_error (&error);
  }
  {
    g_autofree char *note = g_strnfill (TILL_NOTE_MAX + 1, 'x');
    g_assert_false (till_cart_model_set_note (cart, note, &error));
    g_assert_error (error, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_NOTE);
    g_clear_error (&error);
  }

  /* Remove and undo put the line back where it was. */
  {
    TillCartLine *line = till_cart_model_remove_line (cart, 0);
    g_assert_cmpuint (till_cart_model_get_n_lines (cart), ==, 1);
    till_cart_model_insert_line (cart, 0, line);
    g_assert_cmpint (till_cart_model_get_line (cart, 0)->product_id, ==, 1);
    g_assert_cmpint (till_cart_model_get_line (cart, 0)->discount.value, ==, 1000);
  }
}

static void
test_cart_client_reference (void)
{
  g_autoptr (TillCartModel) cart = till_cart_model_new ("USD", FALSE);
  g_autoptr (TillProduct) shirt = product (1, 1250, 1800);
  g_autofree char *reference = NULL;

  g_assert_null (till_cart_model_get_client_reference (cart));
  till_cart_model_add_product (cart, shirt, 1, NULL);
  reference = g_strdup (till_cart_model_ensure_client_reference (cart));
  g_assert_true (g_uuid_string_is_valid (reference));
  /* Time-ordered (till_cart_new_client_reference ()): the server's index grows at its end. */
  g_assert_cmpint (reference[14], ==, '7');
  /* Retries reuse it; parking and renaming do not change what the server would price. */
  g_assert_cmpstr (till_cart_model_ensure_client_reference (cart), ==, reference);
  till_cart_model_set_parked (cart, TRUE);
  till_cart_model_set_title (cart, "Table 4");
  g_assert_cmpstr (till_cart_model_get_client_reference (cart), ==, reference);
  /* A changed cart is a new attempt. */
  till_cart_model_change_quantity (cart, 0, 1, NULL);
  g_assert_null (till_cart_model_get_client_reference (cart));
  g_assert_cmpstr (till_cart_model_ensure_client_reference (cart), !=, reference);
}

static gboolean
store_idle (gpointer data)
{
  return !till_cart_store_is_busy (TILL_CART_STORE (data));
}

static char *
cart_json (TillCartModel *cart)
{
  g_autoptr (JsonNode) node = till_cart_model_to_json (cart);
  return till_json_to_string (node, FALSE);
}

static void
test_cart_persistence (void)
{
  g_autofree char *dir = till_test_make_tmpdir ("till-app-test");
  g_autoptr (GFile) directory = g_file_new_for_path (dir);
  g_autoptr (TillCartStore) store = till_cart_store_new (directory);
  g_autoptr (TillCartStore) after_crash = NULL;
  g_autoptr (TillProduct) shirt = product (1, 1250, 1800);
  g_autoptr (TillProduct) tea = product (2, 333, 800);
  g_autoptr (GError) error = NULL;
  g_autofree char *saved_a = NULL;
  g_autofree char *saved_b = NULL;
  g_autofree char *damaged = g_build_filename (dir, "not-a-cart.json", NULL);
  g_autofree char *damaged_kept = g_build_filename (dir, "not-a-cart.json.damaged", NULL);
  TillCartModel   *a, *b, *c;
  TillDiscount     five = { TILL_DISCOUNT_PERCENT, 500 };
  GAsyncResult    *result = NULL;
  GListModel      *carts;

  a = till_cart_store_new_cart (store, "USD", FALSE);
  b = till_cart_store_new_cart (store, "USD", TRUE);
  c = till_cart_store_new_cart (store, "USD", FALSE);
  g_assert_cmpstr (till_cart_model_get_title (a), ==, "Cart 1");
  g_assert_cmpstr (till_cart_model_get_title (b), ==, "Cart 2");

  /* Many quick changes: each one is saved, the last one wins. */
  for (int i = 0; i < 20; i++)
    till_cart_model_add_product (a, shirt, 1, NULL);
  till_cart_model_add_product (a, tea, 2, NULL);
  till_cart_model_set_line_discount (a, 1, &five, NULL);
  till_cart_model_set_note (a, "Gift wrap, please — ğüşiöç", NULL);
  till_cart_model_ensure_client_reference (a);
  till_cart_model_add_product (b, tea, 1, NULL);
  till_cart_model_set_parked (b, TRUE);
  till_cart_store_remove (store, c);
  g_assert_true (till_test_wait_until (store_idle, store, 5000));

  saved_a = cart_json (a);
  saved_b = cart_json (b);
  g_assert_true (g_file_set_contents (damaged, "{ this is not json", -1, NULL));

  /* The crash: nothing is flushed or closed; a new store reads the directory. */
  after_crash = till_cart_store_new (directory);
  g_test_expect_message ("till-app", G_LOG_LEVEL_WARNING, "*not-a-cart.json cannot be read*");
  till_cart_store_load_async (after_crash, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  g_assert_true (till_cart_store_load_finish (after_crash, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_test_assert_expected_messages ();

  carts = till_cart_store_get_carts (after_crash);
  g_assert_cmpuint (g_list_model_get_n_items (carts), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (TillCartModel) restored = g_list_model_get_item (carts, i);
      g_autofree char *json = cart_json (restored);

      if (g_strcmp0 (till_cart_model_get_id (restored), till_cart_model_get_id (a)) == 0)
        {
          g_assert_cmpstr (json, ==, saved_a);
          g_assert_cmpint (till_cart_model_get_line (restored, 0)->quantity, ==, 20);
          g_assert_cmpstr (till_cart_model_get_client_reference (restored), ==,
                           till_cart_model_get_client_reference (a));
        }
      else
        {
          g_assert_cmpstr (json, ==, saved_b);
          g_assert_true (till_cart_model_get_parked (restored));
        }
    }
  /* The damaged file is kept aside, never deleted. */
  g_assert_false (g_file_test (damaged, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (damaged_kept, G_FILE_TEST_EXISTS));

  /* Changes in the restored store are saved too. */
  {
    g_autoptr (TillCartModel) first = g_list_model_get_item (carts, 0);
    till_cart_model_clear (first);
    g_assert_true (till_test_wait_until (store_idle, after_crash, 5000));
  }

  g_clear_object (&store);
  g_clear_object (&after_crash);
  till_test_remove_tree (dir);
}

/* Scanner detection */

typedef struct
{
  GPtrArray *scans;
  GString   *flushed;
} ScanLog;

static void
on_scanned (TillScanDetector *detector, const char *code, ScanLog *log)
{
  g_ptr_array_add (log->scans, g_strdup (code));
}

static void
on_flush (TillScanDetector *detector, const char *text, ScanLog *log)
{
  g_string_append (log->flushed, text);
}

/* Types @text with @gap ms between keys from @t; returns the time of the last key. */
static guint32
type_text (TillScanDetector *detector, const char *text, guint32 t, guint gap, guint *n_taken)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      guint keyval = gdk_unicode_to_keyval ((guchar) *p);
      if (g_ascii_isupper (*p))
        till_scan_detector_key_pressed (detector, GDK_KEY_Shift_L, 0, t);
      if (till_scan_detector_key_pressed (detector, keyval,
                                          g_ascii_isupper (*p) ? GDK_SHIFT_MASK : 0, t))
        (*n_taken)++;
      t += gap;
    }
  return t - gap;
}

static gboolean
string_nonempty (gpointer data)
{
  return ((GString *) data)->len > 0;
}

static void
test_scan_detector (void)
{
  g_autoptr (TillScanDetector) detector = till_scan_detector_new ();
  ScanLog log = { g_ptr_array_new_with_free_func (g_free), g_string_new (NULL) };
  guint   taken = 0;
  guint32 t;

  g_signal_connect (detector, "scanned", G_CALLBACK (on_scanned), &log);
  g_signal_connect (detector, "flush", G_CALLBACK (on_flush), &log);

  /* A scanner: 13 digits 8 ms apart, then Enter. Nothing reaches the focus. */
  t = type_text (detector, "8690000000017", 1000, 8, &taken);
  g_assert_cmpuint (taken, ==, 13);
  g_assert_true (till_scan_detector_key_pressed (detector, GDK_KEY_Return, 0, t + 9));
  g_assert_cmpuint (log.scans->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (log.scans, 0), ==, "8690000000017");
  g_assert_cmpstr (log.flushed->str, ==, "");

  /* The same code twice in a row is two scans. */
  t = type_text (detector, "8690000000017", t + 300, 8, &taken);
  g_assert_true (till_scan_detector_key_pressed (detector, GDK_KEY_KP_Enter, 0, t + 8));
  g_assert_cmpuint (log.scans->len, ==, 2);

  /* Code 128 with capitals: the scanner's Shift does not break the burst. */
  t = type_text (detector, "AB-12x", t + 500, 5, &taken);
  g_assert_true (till_scan_detector_key_pressed (detector, GDK_KEY_Return, 0, t + 5));
  g_assert_cmpstr (g_ptr_array_index (log.scans, 2), ==, "AB-12x");

  /* A person: 150 ms between keys. Each key is handed back before the next one. */
  t = type_text (detector, "tea", t + 1000, 150, &taken);
  g_assert_cmpstr (log.flushed->str, ==, "te");
  g_assert_cmpstr (till_scan_detector_peek_held (detector), ==, "a");
  /* Enter typed by a person: held text first, then the Enter goes on. */
  g_assert_false (till_scan_detector_key_pressed (detector, GDK_KEY_Return, 0, t + 200));
  g_assert_cmpstr (log.flushed->str, ==, "tea");
  g_assert_cmpuint (log.scans->len, ==, 3);

  /* Fast but short ("12" + Enter within 50 ms) is typing, not a scan. */
  g_string_truncate (log.flushed, 0);
  t = type_text (detector, "12", t + 1000, 20, &taken);
  g_assert_false (till_scan_detector_key_pressed (detector, GDK_KEY_Return, 0, t + 20));
  g_assert_cmpstr (log.flushed->str, ==, "12");

  /* A burst whose Enter comes late is typing. */
  g_string_truncate (log.flushed, 0);
  t = type_text (detector, "4006381333931", t + 1000, 10, &taken);
  g_assert_false (till_scan_detector_key_pressed (detector, GDK_KEY_Return, 0, t + 120));
  g_assert_cmpstr (log.flushed->str, ==, "4006381333931");
  g_assert_cmpuint (log.scans->len, ==, 3);

  /* A pause inside a burst splits it: the first part was typing. */
  g_string_truncate (log.flushed, 0);
  t = type_text (detector, "869", t + 1000, 10, &taken);
  t = type_text (detector, "0000000017", t + 80, 10, &taken);
  g_assert_cmpstr (log.flushed->str, ==, "869");
  g_assert_true (till_scan_detector_key_pressed (detector, GDK_KEY_Return, 0, t + 10));
  g_assert_cmpstr (g_ptr_array_index (log.scans, 3), ==, "0000000017");

  /* Shortcuts and non-printable keys pass, after what was held. */
  g_string_truncate (log.flushed, 0);
  g_assert_true (till_scan_detector_key_pressed (detector, GDK_KEY_x, 0, t + 1000));
  g_assert_false (till_scan_detector_key_pressed (detector, GDK_KEY_c, GDK_CONTROL_MASK, t + 1005));
  g_assert_cmpstr (log.flushed->str, ==, "x");
  g_assert_false (till_scan_detector_key_pressed (detector, GDK_KEY_BackSpace, 0, t + 1010));
  g_assert_false (till_scan_detector_key_pressed (detector, GDK_KEY_Escape, 0, t + 1020));

  /* Event times wrap around after 49 days: still a burst. */
  t = type_text (detector, "5901234123457", G_MAXUINT32 - 40, 10, &taken);
  g_assert_true (till_scan_detector_key_pressed (detector, GDK_KEY_Return, 0, t + 10));
  g_assert_cmpstr (g_ptr_array_index (log.scans, 4), ==, "5901234123457");

  /* The last key a person typed comes back by itself (the detector's timer). */
  g_string_truncate (log.flushed, 0);
  till_scan_detector_key_pressed (detector, GDK_KEY_q, 0, t + 5000);
  g_assert_true (till_test_wait_until (string_nonempty, log.flushed, 5000));
  g_assert_cmpstr (log.flushed->str, ==, "q");

  g_ptr_array_unref (log.scans);
  g_string_free (log.flushed, TRUE);
}

/* Client */

typedef struct
{
  TillTestAppServer *server;
  TillClient        *client;
} ClientFixture;

static void
client_setup (ClientFixture *f, gconstpointer data)
{
  f->server = till_test_app_server_new (GPOINTER_TO_INT (data), 0);
  till_test_app_server_add_product (f->server, 1, "Simit", "8690000000017", 150, 800, "Bakery");
  till_test_app_server_add_product (f->server, 2, "Ayran", "8690000000024", 250, 800, "Drinks");
  till_test_app_server_add_product (f->server, 3, "Kaşık", "8690000000031", 1250, 1800, "Kitchen");
  f->client = till_client_new ();
  till_client_set_retry_delays (f->client, 20, 200);
}

static void
client_teardown (ClientFixture *f, gconstpointer data)
{
  g_clear_object (&f->client);
  if (f->server != NULL)
    till_test_app_server_free (f->server);
}

static gboolean
client_online (gpointer data)
{
  return till_client_get_state (TILL_CLIENT (data)) == TILL_CONNECTION_ONLINE;
}

static gboolean
client_offline (gpointer data)
{
  return till_client_get_state (TILL_CLIENT (data)) == TILL_CONNECTION_OFFLINE;
}

static gboolean
client_refused (gpointer data)
{
  return till_client_get_state (TILL_CLIENT (data)) == TILL_CONNECTION_REFUSED;
}

static void
test_client_connect (ClientFixture *f, gconstpointer data)
{
  const TillStoreConfig *config;

  g_assert_cmpint (till_client_get_state (f->client), ==, TILL_CONNECTION_UNCONFIGURED);
  till_client_set_server (f->client, till_test_app_server_get_url (f->server), TILL_TEST_APP_TOKEN);
  g_assert_true (till_test_wait_until (client_online, f->client, 5000));
  config = till_client_get_config (f->client);
  g_assert_nonnull (config);
  g_assert_cmpstr (config->currency, ==, "USD");
  g_assert_cmpstr (config->store_name, ==, "Corner Shop");
  g_assert_cmpstr (config->store_address, ==, "1 Market Street\nSpringfield");
  g_assert_cmpstr (config->store_tax_id, ==, "US-12-3456789");
  g_assert_false (config->prices_include_tax);
  g_assert_true (till_store_config_is_training (config));

  /* The receipt has the store's details from the server, the cart's note, and says that a
   * training sale is not one. */
  {
    g_autoptr (TillOrder) order = till_order_new ();
    TillOrderLine   *line = till_order_line_new ();
    g_autofree char *text = NULL;

    order->number = g_strdup ("T-000001");
    order->currency = g_strdup ("USD");
    order->status = TILL_ORDER_PAID;
    line->name = g_strdup ("Tea");
    line->quantity = 1;
    line->unit_amount = line->total = order->subtotal = order->total = 250;
    g_ptr_array_add (order->lines, line);
    text = till_payment_page_format_receipt (order, config, "No sugar");
    g_assert_nonnull (strstr (text, "Corner Shop\n"));
    g_assert_nonnull (strstr (text, "1 Market Street\n"));
    g_assert_nonnull (strstr (text, "Springfield\n"));
    g_assert_nonnull (strstr (text, "Tax number: US-12-3456789\n"));
    g_assert_nonnull (strstr (text, "Note:\n  No sugar\n"));
    g_assert_nonnull (strstr (text, "TRAINING"));
  }
}

static void
test_client_unauthorized (ClientFixture *f, gconstpointer data)
{
  g_autoptr (TillErrorMessage) message = NULL;

  till_client_set_server (f->client, till_test_app_server_get_url (f->server), "wrong-token");
  g_assert_true (till_test_wait_until (client_refused, f->client, 5000));
  g_assert_error (till_client_get_last_error (f->client), TILL_CLIENT_ERROR,
                  TILL_CLIENT_ERROR_UNAUTHORIZED);
  message = till_error_message_new (till_client_get_last_error (f->client));
  g_assert_cmpint (message->kind, ==, TILL_NEXT_STEP_ASK_ADMIN);
}

static void
test_client_products (ClientFixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *etag2 = NULL;
  g_autoptr (TillProduct) found = NULL;
  GAsyncResult *result = NULL;

  till_client_set_server (f->client, till_test_app_server_get_url (f->server), TILL_TEST_APP_TOKEN);

  /* Three products over two pages. */
  till_client_fetch_products_async (f->client, NULL, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  g_assert_true (till_client_fetch_products_finish (f->client, result, &products, &etag, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (products->len, ==, 3);
  g_assert_cmpstr (till_product_get_name (g_ptr_array_index (products, 2)), ==, "Kaşık");
  g_assert_nonnull (etag);

  /* Unchanged: 304, nothing to replace. */
  g_clear_pointer (&products, g_ptr_array_unref);
  till_client_fetch_products_async (f->client, etag, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  g_assert_true (till_client_fetch_products_finish (f->client, result, &products, &etag2, &error));
  g_clear_object (&result);
  g_assert_null (products);
  g_assert_cmpuint (till_test_app_server_get_n_not_modified (f->server), ==, 1);

  /* By barcode; unknown is NOT_FOUND. */
  till_client_lookup_barcode_async (f->client, "8690000000024", NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  found = till_client_lookup_barcode_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpstr (till_product_get_name (found), ==, "Ayran");
  till_client_lookup_barcode_async (f->client, "0000", NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  g_assert_null (till_client_lookup_barcode_finish (f->client, result, &error));
  g_assert_error (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NOT_FOUND);
  g_clear_object (&result);
}

static void
test_client_reconnect (ClientFixture *f, gconstpointer data)
{
  guint            port = till_test_reusable_port ();
  g_autofree char *url = NULL;

  /* On a port no outgoing connection may be given while the server is away. */
  g_clear_pointer (&f->server, till_test_app_server_free);
  f->server = till_test_app_server_new (TRUE, port);
  url = g_strdup (till_test_app_server_get_url (f->server));

  till_client_set_server (f->client, url, TILL_TEST_APP_TOKEN);
  g_assert_true (till_test_wait_until (client_online, f->client, 5000));

  /* The server goes away: the heartbeat notices, the state is OFFLINE and retries start. */
  g_clear_pointer (&f->server, till_test_app_server_free);
  g_assert_true (till_test_wait_until (client_offline, f->client, 5000));
  g_assert_error (till_client_get_last_error (f->client), TILL_CLIENT_ERROR,
                  TILL_CLIENT_ERROR_NETWORK);

  /* It comes back on the same address: the client reconnects by itself. */
  f->server = till_test_app_server_new (TRUE, port);
  g_assert_true (till_test_wait_until (client_online, f->client, 5000));
  g_assert_null (till_client_get_last_error (f->client));
}

typedef struct
{
  TillClient *client;
  guint       n_probes;
} ProbeWait;

static gboolean
probes_made (gpointer data)
{
  ProbeWait *wait = data;
  guint      n;

  till_client_get_probe_stats (wait->client, &n, NULL, NULL);
  return n >= wait->n_probes;
}

/* How long the state change took, counted by the client's own probe schedule: the probes
 * it took (the first one after the change must notice it), each started after a delay and
 * given a timeout that together fit in the budget. */
static void
assert_noticed_in_budget (TillClient *client, guint probes_before)
{
  guint n, delay, timeout;

  till_client_get_probe_stats (client, &n, &delay, &timeout);
  g_assert_cmpuint (n - probes_before, <=, 1);
  g_assert_cmpuint (delay, >, 0); /* a scheduled probe, not one started by hand */
  g_assert_cmpuint (delay + timeout, <=, TILL_CLIENT_NOTICE_BUDGET_MS);
}

/* With the app's own delays (not the tests' short ones): a server that goes away, comes back
 * after the offline probes have backed off as far as they go, or stops answering, is noticed
 * by the first probe after the change, within two seconds. */
static void
test_client_notice_budget (ClientFixture *f, gconstpointer data)
{
  guint            port = till_test_reusable_port ();
  g_autofree char *url = NULL;
  g_autoptr (TillClient) client = till_client_new ();
  g_autoptr (GSocketListener) silent = NULL;
  g_autoptr (GError) error = NULL;
  ProbeWait wait = { client, 0 };
  guint     before;

  /* The server stops and starts again on its port, which must not be one an outgoing
   * connection may be given meanwhile. */
  g_clear_pointer (&f->server, till_test_app_server_free);
  f->server = till_test_app_server_new (TRUE, port);
  url = g_strdup (till_test_app_server_get_url (f->server));

  till_client_set_server (client, url, TILL_TEST_APP_TOKEN);
  g_assert_true (till_test_wait_until (client_online, client, 5000));
  /* A heartbeat or two while online. */
  till_client_get_probe_stats (client, &wait.n_probes, NULL, NULL);
  wait.n_probes += 2;
  g_assert_true (till_test_wait_until (probes_made, &wait, 10000));
  g_assert_true (till_client_get_state (client) == TILL_CONNECTION_ONLINE);

  /* The server stops. */
  till_client_get_probe_stats (client, &before, NULL, NULL);
  g_clear_pointer (&f->server, till_test_app_server_free);
  g_assert_true (till_test_wait_until (client_offline, client, 10000));
  assert_noticed_in_budget (client, before);

  /* Offline, the probes back off to their longest delay; then the server is back. */
  till_client_get_probe_stats (client, &wait.n_probes, NULL, NULL);
  wait.n_probes += 5;
  g_assert_true (till_test_wait_until (probes_made, &wait, 20000));
  g_assert_true (till_client_get_state (client) == TILL_CONNECTION_OFFLINE);
  f->server = till_test_app_server_new (TRUE, port);
  till_client_get_probe_stats (client, &before, NULL, NULL);
  g_assert_true (till_test_wait_until (client_online, client, 10000));
  assert_noticed_in_budget (client, before);

  /* The server's port accepts connections but nothing answers (a hung server). */
  g_clear_pointer (&f->server, till_test_app_server_free);
  silent = g_socket_listener_new ();
  g_socket_listener_add_inet_port (silent, port, NULL, &error);
  g_assert_no_error (error);
  till_client_get_probe_stats (client, &before, NULL, NULL);
  g_assert_true (till_test_wait_until (client_offline, client, 10000));
  assert_noticed_in_budget (client, before);
}

static void
test_client_fingerprint (void)
{
  g_autofree char *a =
      till_client_normalize_fingerprint ("AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:"
                                         "01:23:45:67:89:ab:cd:ef:01:23:45:67:89");
  g_autofree char *bad = till_client_normalize_fingerprint ("ab:cd");
  g_autofree char *worse = till_client_normalize_fingerprint ("zz");

  g_assert_cmpstr (a, ==, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  g_assert_null (bad);
  g_assert_null (worse);
}

/* TLS and certificate pinning, against a server with a self-signed certificate
 * (tests/app/test-cert.pem, made once with openssl for 100 years). */

static GTlsCertificate *
test_certificate (void)
{
  g_autofree char *cert = g_test_build_filename (G_TEST_DIST, "app", "test-cert.pem", NULL);
  g_autofree char *key = g_test_build_filename (G_TEST_DIST, "app", "test-key.pem", NULL);
  g_autoptr (GError) error = NULL;
  GTlsCertificate *certificate = g_tls_certificate_new_from_files (cert, key, &error);

  g_assert_no_error (error);
  return certificate;
}

static void
test_client_tls_pinning (void)
{
  g_autoptr (GTlsCertificate) certificate = test_certificate ();
  g_autofree char *expected = till_client_certificate_fingerprint (certificate);
  g_autofree char *probed = NULL;
  g_autoptr (TillClient) client = till_client_new ();
  g_autoptr (GError) error = NULL;
  TillTestAppServer *server = till_test_app_server_new_tls (certificate);
  const char        *url = till_test_app_server_get_url (server);
  GAsyncResult      *result = NULL;

  g_assert_true (g_str_has_prefix (url, "https://"));
  till_client_set_retry_delays (client, 20, 200);

  /* Not trusted by the system and not pinned: refused, and it needs a person. */
  till_client_set_server (client, url, TILL_TEST_APP_TOKEN);
  g_assert_true (till_test_wait_until (client_refused, client, 5000));
  g_assert_error (till_client_get_last_error (client), TILL_CLIENT_ERROR,
                  TILL_CLIENT_ERROR_CERTIFICATE);

  /* The first-run dialog's probe shows the fingerprint to compare. */
  till_client_probe_async (client, url, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  g_assert_true (till_client_probe_finish (client, result, &probed, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpstr (probed, ==, expected);
  g_assert_cmpuint (till_test_app_server_get_n_authorized (server), ==, 0);

  /* Pinned: accepted. */
  till_client_set_pinned_certificate (client, probed);
  till_client_reconnect (client);
  g_assert_true (till_test_wait_until (client_online, client, 5000));
  g_assert_cmpuint (till_test_app_server_get_n_authorized (server), >, 0);

  /* Another pin: refused before the token is sent. */
  {
    guint before = till_test_app_server_get_n_authorized (server);

    till_client_set_pinned_certificate (client, "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
                                                "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff");
    till_client_set_server (client, url, TILL_TEST_APP_TOKEN);
    g_assert_true (till_test_wait_until (client_refused, client, 5000));
    g_assert_error (till_client_get_last_error (client), TILL_CLIENT_ERROR,
                    TILL_CLIENT_ERROR_CERTIFICATE);
    g_assert_cmpuint (till_test_app_server_get_n_authorized (server), ==, before);
  }

  g_clear_object (&client);
  till_test_app_server_free (server);
}

/* Checkout */

static TillCartModel *
cart_from_server_products (ClientFixture *f)
{
  g_autoptr (GPtrArray) products = NULL;
  GAsyncResult  *result = NULL;
  TillCartModel *cart = till_cart_model_new ("USD", FALSE);

  till_client_fetch_products_async (f->client, NULL, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  g_assert_true (till_client_fetch_products_finish (f->client, result, &products, NULL, NULL));
  g_clear_object (&result);
  till_cart_model_add_product (cart, g_ptr_array_index (products, 0), 3, NULL);
  till_cart_model_add_product (cart, g_ptr_array_index (products, 2), 1, NULL);
  return cart;
}

static void
test_checkout_no_duplicate (ClientFixture *f, gconstpointer data)
{
  g_autoptr (TillCartModel) cart = NULL;
  g_autoptr (TillCheckoutResult) checkout = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillErrorMessage) message = NULL;
  g_autofree char *reference = NULL;
  GAsyncResult    *result = NULL;
  TillTotals       totals;

  till_client_set_server (f->client, till_test_app_server_get_url (f->server), TILL_TEST_APP_TOKEN);
  g_assert_true (till_test_wait_until (client_online, f->client, 5000));
  cart = cart_from_server_products (f);
  g_assert_true (till_cart_model_compute_totals (cart, NULL, &totals, NULL));

  /* The server stores the order but answers too late: the app sees a timeout. */
  till_client_set_timeout (f->client, 1);
  till_test_app_server_delay_checkouts (f->server, 1, 2500);
  till_checkout_start_async (f->client, cart, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 10000));
  g_assert_null (till_checkout_start_finish (result, &error));
  g_assert_error (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_TIMEOUT);
  g_clear_object (&result);
  message = till_error_message_new (error);
  g_assert_cmpint (message->kind, ==, TILL_NEXT_STEP_RETRY);
  g_clear_error (&error);
  reference = g_strdup (till_cart_model_get_client_reference (cart));
  g_assert_nonnull (reference);
  g_assert_cmpuint (till_test_app_server_get_n_orders (f->server), ==, 1);

  /* Charge again: same reference, same order, no second one. */
  till_client_set_timeout (f->client, 10);
  till_checkout_start_async (f->client, cart, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 10000));
  checkout = till_checkout_start_finish (result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpstr (till_cart_model_get_client_reference (cart), ==, reference);
  g_assert_cmpuint (till_test_app_server_get_n_checkout_requests (f->server), ==, 2);
  g_assert_cmpuint (till_test_app_server_get_n_orders (f->server), ==, 1);
  g_assert_cmpstr (checkout->response->order->client_reference, ==, reference);
  g_assert_cmpstr (checkout->response->order->number, ==, "T-000001");
  g_assert_nonnull (checkout->response->client_secret);
  /* The app's totals are the server's, line by line. */
  g_assert_false (checkout->price_changed);
  g_assert_cmpint (checkout->response->order->total, ==, totals.total);
  g_assert_cmpint (checkout->response->order->tax, ==, totals.tax);
  g_assert_cmpint (checkout->response->order->subtotal, ==, totals.subtotal);
}

/* The server's disk is full: the cashier is told so, in words, and whom to tell; the app
 * stays connected, and the same checkout goes through once the server has space. */
static void
test_checkout_disk_full (ClientFixture *f, gconstpointer data)
{
  g_autoptr (TillCartModel) cart = NULL;
  g_autoptr (TillCheckoutResult) checkout = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillErrorMessage) message = NULL;
  GAsyncResult *result = NULL;

  till_client_set_server (f->client, till_test_app_server_get_url (f->server), TILL_TEST_APP_TOKEN);
  g_assert_true (till_test_wait_until (client_online, f->client, 5000));
  cart = cart_from_server_products (f);

  till_test_app_server_fail_checkouts_disk_full (f->server, 1);
  till_checkout_start_async (f->client, cart, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 10000));
  g_assert_null (till_checkout_start_finish (result, &error));
  g_clear_object (&result);
  g_assert_error (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_STORAGE_FULL);
  message = till_error_message_new (error);
  g_assert_cmpint (message->kind, ==, TILL_NEXT_STEP_ASK_ADMIN);
  g_assert_cmpstr (message->title, ==, "The server’s disk is full.");
  g_assert_cmpstr (message->next_step, ==, "Tell your manager.");
  g_assert_cmpint (till_client_get_state (f->client), ==, TILL_CONNECTION_ONLINE);
  g_assert_cmpuint (till_test_app_server_get_n_orders (f->server), ==, 0);
  g_clear_error (&error);

  till_checkout_start_async (f->client, cart, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 10000));
  checkout = till_checkout_start_finish (result, &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_cmpuint (till_test_app_server_get_n_orders (f->server), ==, 1);
}

static void
test_checkout_price_changed (ClientFixture *f, gconstpointer data)
{
  g_autoptr (TillCartModel) cart = NULL;
  g_autoptr (TillCheckoutResult) checkout = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;

  till_client_set_server (f->client, till_test_app_server_get_url (f->server), TILL_TEST_APP_TOKEN);
  g_assert_true (till_test_wait_until (client_online, f->client, 5000));
  cart = cart_from_server_products (f);

  /* Simit now costs 1.75 instead of 1.50: 3 × 0.25 × 1.08 = 0.81 more. */
  till_test_app_server_set_price (f->server, 1, 175);
  till_checkout_start_async (f->client, cart, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 10000));
  checkout = till_checkout_start_finish (result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_true (checkout->price_changed);
  g_assert_cmpint (checkout->response->order->total - checkout->app_total, ==, 81);
}

static void
test_checkout_empty (void)
{
  g_autoptr (TillClient) client = till_client_new ();
  g_autoptr (TillCartModel) cart = till_cart_model_new ("USD", FALSE);
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;

  till_checkout_start_async (client, cart, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  g_assert_null (till_checkout_start_finish (result, &error));
  g_assert_error (error, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_QUANTITY);
  g_clear_object (&result);
}

static void
test_checkout_offline (void)
{
  g_autoptr (TillClient) client = till_client_new ();
  g_autoptr (TillCartModel) cart = till_cart_model_new ("USD", FALSE);
  g_autoptr (TillProduct) shirt = product (1, 1250, 1800);
  g_autoptr (GError) error = NULL;
  g_autoptr (TillErrorMessage) message = NULL;
  GAsyncResult    *result = NULL;
  g_autofree char *url = till_test_closed_port_url ();

  till_client_set_retry_delays (client, 20, 100);
  till_client_set_server (client, url, TILL_TEST_APP_TOKEN);
  g_assert_true (till_test_wait_until (client_offline, client, 5000));

  till_cart_model_add_product (cart, shirt, 1, NULL);
  till_checkout_start_async (client, cart, NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  g_assert_null (till_checkout_start_finish (result, &error));
  g_assert_error (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NETWORK);
  g_clear_object (&result);
  message = till_error_message_new (error);
  g_assert_cmpint (message->kind, ==, TILL_NEXT_STEP_CHECK_CONNECTION);
  /* The server is on this computer: not a matter of cables. */
  g_clear_pointer (&message, till_error_message_free);
  message = till_error_message_new_for_server (error, url);
  g_assert_cmpint (message->kind, ==, TILL_NEXT_STEP_CHECK_CONNECTION);
  g_assert_null (strstr (message->next_step, "cable"));
  g_assert_nonnull (strstr (message->title, "this computer"));
  g_clear_pointer (&message, till_error_message_free);
  message = till_error_message_new_for_server (error, "https://[::1]:8787");
  g_assert_nonnull (strstr (message->title, "this computer"));
  g_clear_pointer (&message, till_error_message_free);
  message = till_error_message_new_for_server (error, "https://till.example.com");
  g_assert_nonnull (strstr (message->next_step, "cable"));
  /* Nothing the cashier added is lost. */
  g_assert_cmpuint (till_cart_model_get_n_lines (cart), ==, 1);
}

/* The email dialog's Send takes only what looks like an address. */
static void
test_receipt_email_valid (void)
{
  const char *good[] = { "a@b.co", " ada@example.com ", "x.y+z@mail.example.org" };
  const char *bad[] = { NULL,
                        "",
                        "notanemail",
                        "@example.com",
                        "ada@",
                        "ada@example",
                        "ada@.com",
                        "ada@example.",
                        "ada@@example.com",
                        "a da@example.com",
                        "ada@exa..mple.com" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (till_payment_page_email_is_valid (good[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    if (till_payment_page_email_is_valid (bad[i]))
      g_error ("“%s” taken as an email address", bad[i]);
}

/* Token store */

static void
test_token_store_memory (void)
{
  g_autoptr (TillTokenStore) store = till_memory_token_store_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  GAsyncResult    *result = NULL;

  till_token_store_lookup_async (store, "http://a", NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  g_assert_null (till_token_store_lookup_finish (store, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  till_token_store_store_async (store, "http://a", "secret-1", NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  g_assert_true (till_token_store_store_finish (store, result, &error));
  g_clear_object (&result);
  till_token_store_lookup_async (store, "http://a", NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 5000));
  token = till_token_store_lookup_finish (store, result, &error);
  g_clear_object (&result);
  g_assert_cmpstr (token, ==, "secret-1");
}

/* The libsecret store against a real Secret Service: a gnome-keyring-daemon of our own,
 * in the foreground on the test's session bus, with a fresh login keyring unlocked by a
 * password given on its standard input. Skipped without a session bus or the daemon. */

static gboolean
name_appeared (gpointer data)
{
  return *(gboolean *) data;
}

static void
on_name_appeared (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_token_store_secret (void)
{
  g_autofree char *daemon = g_find_program_in_path ("gnome-keyring-daemon");
  g_autofree char *home = NULL;
  g_autofree char *data_home = NULL;
  g_autofree char *runtime = NULL;
  g_autoptr (GDBusConnection) bus = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) keyring = NULL;
  g_autoptr (TillTokenStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *other = NULL;
  GAsyncResult    *result = NULL;
  gboolean         appeared = FALSE;
  guint            watch;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (daemon == NULL || bus == NULL)
    {
      g_test_skip ("no session bus or no gnome-keyring-daemon");
      return;
    }

  home = till_test_make_tmpdir ("till-app-test");
  data_home = g_build_filename (home, "data", NULL);
  runtime = g_build_filename (home, "run", NULL);
  g_mkdir_with_parents (data_home, 0700);
  g_mkdir_with_parents (runtime, 0700);

  watch =
      g_bus_watch_name_on_connection (bus, "org.freedesktop.secrets", G_BUS_NAME_WATCHER_FLAGS_NONE,
                                      on_name_appeared, NULL, &appeared, NULL);
  launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                              G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  {
    g_autofree char *control = g_build_filename (runtime, "keyring", NULL);
    const char      *argv[] = {
           daemon, "--foreground", "--unlock", "--components=secrets", "--control-directory", control,
           NULL
    };

    keyring = g_subprocess_launcher_spawnv (launcher, argv, &error);
  }
  g_assert_no_error (error);
  /* The password of the new login keyring, then end of input. */
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (keyring), "till-test", 9, NULL, NULL,
                             NULL);
  g_output_stream_close (g_subprocess_get_stdin_pipe (keyring), NULL, NULL);

  if (!till_test_wait_until (name_appeared, &appeared, 10000))
    {
      g_bus_unwatch_name (watch);
      g_subprocess_force_exit (keyring);
      till_test_remove_tree (home);
      g_test_skip ("gnome-keyring-daemon did not start a Secret Service");
      return;
    }
  g_bus_unwatch_name (watch);

  store = till_secret_token_store_new ();
  till_token_store_store_async (store, "http://till.test:8787", "tok-123", NULL, on_async_done,
                                &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 10000));
  if (!till_token_store_store_finish (store, result, &error))
    {
      g_clear_object (&result);
      g_subprocess_force_exit (keyring);
      till_test_remove_tree (home);
      g_test_skip_printf ("the keyring refused to store: %s", error->message);
      return;
    }
  g_clear_object (&result);

  till_token_store_lookup_async (store, "http://till.test:8787", NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 10000));
  token = till_token_store_lookup_finish (store, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpstr (token, ==, "tok-123");

  /* Tokens are per server. */
  till_token_store_lookup_async (store, "http://other:8787", NULL, on_async_done, &result);
  g_assert_true (till_test_wait_until (result_ready, &result, 10000));
  other = till_token_store_lookup_finish (store, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_null (other);

  /* Let libsecret drop its service proxy and connection before the keyring goes. */
  g_clear_object (&store);
  secret_service_disconnect ();
  g_subprocess_force_exit (keyring);
  {
    g_autoptr (GAsyncResult) waited = NULL;
    g_subprocess_wait_async (keyring, NULL, on_async_done, &waited);
    g_assert_true (till_test_wait_until (result_ready, &waited, 10000));
  }
  till_test_remove_tree (home);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/search/fold", test_search_fold);
  g_test_add_func ("/app/catalog/filter", test_catalog_filter);
  g_test_add_func ("/app/catalog/lookup", test_catalog_lookup);
  g_test_add_func ("/app/catalog/cache", test_catalog_cache);
  g_test_add_func ("/app/cart/totals", test_cart_totals);
  g_test_add_func ("/app/cart/client-reference", test_cart_client_reference);
  g_test_add_func ("/app/cart/persistence", test_cart_persistence);
  g_test_add_func ("/app/scan/detector", test_scan_detector);
  g_test_add_func ("/app/client/fingerprint", test_client_fingerprint);
  g_test_add_func ("/app/client/tls-pinning", test_client_tls_pinning);
  g_test_add ("/app/client/connect", ClientFixture, GINT_TO_POINTER (TRUE), client_setup,
              test_client_connect, client_teardown);
  g_test_add ("/app/client/unauthorized", ClientFixture, GINT_TO_POINTER (TRUE), client_setup,
              test_client_unauthorized, client_teardown);
  g_test_add ("/app/client/products", ClientFixture, GINT_TO_POINTER (TRUE), client_setup,
              test_client_products, client_teardown);
  g_test_add ("/app/client/reconnect", ClientFixture, GINT_TO_POINTER (TRUE), client_setup,
              test_client_reconnect, client_teardown);
  g_test_add ("/app/client/notice-budget", ClientFixture, GINT_TO_POINTER (TRUE), client_setup,
              test_client_notice_budget, client_teardown);
  g_test_add ("/app/checkout/no-duplicate", ClientFixture, GINT_TO_POINTER (TRUE), client_setup,
              test_checkout_no_duplicate, client_teardown);
  g_test_add ("/app/checkout/disk-full", ClientFixture, GINT_TO_POINTER (TRUE), client_setup,
              test_checkout_disk_full, client_teardown);
  g_test_add ("/app/checkout/price-changed", ClientFixture, GINT_TO_POINTER (TRUE), client_setup,
              test_checkout_price_changed, client_teardown);
  g_test_add_func ("/app/checkout/empty", test_checkout_empty);
  g_test_add_func ("/app/checkout/offline", test_checkout_offline);
  g_test_add_func ("/app/receipt/email-valid", test_receipt_email_valid);
  g_test_add_func ("/app/token-store/memory", test_token_store_memory);
  g_test_add_func ("/app/token-store/secret", test_token_store_secret);

  return g_test_run ();
}
