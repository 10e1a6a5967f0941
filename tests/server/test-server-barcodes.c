/* test-server-barcodes.c: the catalog's text helpers: barcodes (check digits, the demo
 * catalog's) and the search key products are found by.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-products.h"
#include "till-search.h"

static void
test_search_key (void)
{
  static const struct
  {
    const char *text;
    const char *key;
  } cases[] = {
    { "İstanbul Simidi", "istanbul simidi" },
    { "ISTANBUL", "istanbul" },
    { "ıstanbul", "istanbul" },
    { "Çay Bardağı", "cay bardagi" },
    { "Şalgam", "salgam" },
    { "Käsekuchen", "kasekuchen" },
    { "Heiße Schokolade", "heisse schokolade" },
    { "BRÖTCHEN", "brotchen" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *key = till_search_key (cases[i].text);
      g_assert_cmpstr (key, ==, cases[i].key);
    }
  {
    g_autofree char *key = till_search_key ("\xff\xfe not UTF-8");
    g_assert_cmpstr (key, ==, "");
  }
}

static void
test_barcodes (void)
{
  g_assert_true (till_barcode_is_valid ("4006381333931"));  /* EAN-13 */
  g_assert_true (till_barcode_is_valid ("96385074"));       /* EAN-8 */
  g_assert_true (till_barcode_is_valid ("036000291452"));   /* UPC-A */
  g_assert_true (till_barcode_is_valid ("10614141000415")); /* GTIN-14 */
  g_assert_false (till_barcode_is_valid ("4006381333932"));
  g_assert_false (till_barcode_is_valid ("400638133393"));
  g_assert_false (till_barcode_is_valid ("40063813339 1"));
  g_assert_false (till_barcode_is_valid (""));
  g_assert_false (till_barcode_is_valid (NULL));
}

static void
test_demo_catalog_barcodes (void)
{
  g_autofree char *path =
      g_test_build_filename (G_TEST_DIST, "..", "data", "demo-catalog.csv", NULL);
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  guint count = 0;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = NULL;

      if (*lines[i] == '\0')
        continue;
      fields = g_strsplit (lines[i], ",", -1);
      g_assert_cmpuint (strlen (fields[1]), ==, 13);
      g_assert_true (till_barcode_is_valid (fields[1]));
      count++;
    }
  g_assert_cmpuint (count, ==, 60);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/search-key", test_search_key);
  g_test_add_func ("/server/barcodes", test_barcodes);
  g_test_add_func ("/server/demo-catalog-barcodes", test_demo_catalog_barcodes);

  return g_test_run ();
}
