/* till-bench-catalog.c: the app with a 100,000-product catalog.
 *
 * Measures (see bench/README.md): start to first frame from the cache, the search filter
 * per keystroke (median and p99), barcode lookup, and the process's RSS. Run by hand under
 * a display:
 *
 *   xvfb-run -a -s '-screen 0 1920x1080x24' _build/bench/catalog/till-bench-catalog [N]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "till-window-private.h"

static gint64 t_start;

static const char *words[] = {
  "simit", "ayran", "çay", "kahve", "süt", "peynir", "zeytin", "ekmek", "İncir", "ıspanak",
  "crème", "brûlée", "apple", "orange", "juice", "bread", "butter", "cheese", "olive", "oil",
  "honey", "granola", "chocolate", "dark", "milk", "water", "sparkling", "tea", "green",
  "black", "organic", "fresh", "frozen", "kaşık", "çatal", "bıçak", "tabak", "bardak", "mug",
  "towel", "soap", "shampoo", "gift", "card", "box", "bag", "large", "small", "medium", "pack",
};
static const char *categories[] = {
  "Bakery", "Drinks", "Coffee", "Kitchen", "Pantry", "Produce", "Dairy", "Frozen", "Household",
  "Gifts", "Snacks", "Breakfast", "Personal Care", "Pets", "Baby", "Deli", "Meat", "Fish",
  "Wine", "Flowers",
};

static GPtrArray *
generate (guint n)
{
  GPtrArray *products = g_ptr_array_new_full (n, g_object_unref);
  GRand *rand = g_rand_new_with_seed (42);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s %s %s %u",
                                               words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                                               words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                                               words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                                               g_rand_int_range (rand, 1, 1000));
      g_autofree char *sku = g_strdup_printf ("SKU-%06u", i + 1);
      g_autofree char *barcode = g_strdup_printf ("869%010u", i + 1);

      g_ptr_array_add (products,
                       till_product_new (i + 1, name, sku, barcode,
                                         categories[g_rand_int_range (rand, 0, G_N_ELEMENTS (categories))],
                                         "USD", g_rand_int_range (rand, 50, 100000),
                                         g_rand_boolean (rand) ? 800 : 1800));
    }
  g_rand_free (rand);
  return products;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static gboolean
on_deadline (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_for (gboolean *flag,
          guint     timeout_ms)
{
  gboolean timed_out = FALSE;
  guint source = g_timeout_add (timeout_ms, on_deadline, &timed_out);

  while (!flag_set (flag) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (source);
  else
    g_error ("Timed out");
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

typedef struct
{
  TillCatalog *catalog;
  gint64 first_frame;
  gint64 first_catalog_frame;
  gboolean done;
} Frames;

static void
on_after_paint (GdkFrameClock *clock,
                Frames        *frames)
{
  gint64 now = g_get_monotonic_time ();

  if (frames->first_frame == 0)
    frames->first_frame = now;
  if (frames->first_catalog_frame == 0 && till_catalog_get_n_products (frames->catalog) > 0)
    {
      frames->first_catalog_frame = now;
      frames->done = TRUE;
    }
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
percentile (GArray *values,
            double  p)
{
  guint index;

  g_array_sort (values, compare_doubles);
  index = (guint) (p * (values->len - 1) + 0.5);
  return g_array_index (values, double, index);
}

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line ? strtol (line + 6, NULL, 10) : -1;
}

int
main (int   argc,
      char *argv[])
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  g_autofree char *tmp = NULL;
  g_autofree char *cache_path = NULL;
  g_autoptr (GFile) cache = NULL;
  g_autoptr (GFile) carts_dir = NULL;
  g_autoptr (TillCatalog) seed = NULL;
  g_autoptr (TillCatalog) catalog = NULL;
  g_autoptr (TillCartStore) store = NULL;
  g_autoptr (TillClient) client = NULL;
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (GArray) keystrokes = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) lookups = g_array_new (FALSE, FALSE, sizeof (double));
  GAsyncResult *result = NULL;
  TillWindow *window;
  TillCatalogView *view;
  TillCatalogFilter *filter;
  Frames frames = { 0 };
  GdkFrameClock *clock;
  gint64 t0, t_cache_loaded;
  static const char *typed[] = { "s", "si", "sim", "simi", "simit", "simit ", "simit a",
                                 "simit ay", "simit ayr", "simit ayra", "simit ayran" };
  static const char *typed2[] = { "i", "is", "isp", "ispa", "ispan", "ispana", "ispanak" };
  static const char *typed3[] = { "8", "86", "869", "8690", "86900", "869000", "8690000",
                                  "86900001", "869000012", "8690000123" };

  t_start = g_get_monotonic_time ();
  setlocale (LC_ALL, "");

  /* The cache is written by a child process, so this one measures only the app's work. */
  if (argc == 4 && g_str_equal (argv[1], "--write-cache"))
    {
      g_autoptr (GFile) target = g_file_new_for_path (argv[2]);
      n = (guint) g_ascii_strtoull (argv[3], NULL, 10);
      seed = till_catalog_new ();
      products = generate (n);
      till_catalog_replace (seed, products, "\"bench\"");
      till_catalog_save_cache_async (seed, target, NULL, on_done, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      return till_catalog_save_cache_finish (seed, result, NULL) ? 0 : 1;
    }

  tmp = g_dir_make_tmp ("till-bench-XXXXXX", NULL);
  cache_path = g_build_filename (tmp, "catalog.gvariant", NULL);
  cache = g_file_new_for_path (cache_path);
  {
    g_autofree char *count = g_strdup_printf ("%u", n);
    g_autoptr (GError) error = NULL;
    const char *child[] = { argv[0], "--write-cache", cache_path, count, NULL };
    int wait_status;

    if (!g_spawn_sync (NULL, (char **) child, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                       &wait_status, &error) ||
        !g_spawn_check_wait_status (wait_status, &error))
      g_error ("Could not write the cache: %s", error->message);
  }
  {
    GStatBuf st;
    g_stat (cache_path, &st);
    g_print ("catalog: %u products, cache %.1f MB\n", n, st.st_size / 1e6);
  }
  t_start = g_get_monotonic_time ();
  adw_init ();

  /* Start: window + cache load, as TillApplication does on activate. */
  t0 = g_get_monotonic_time ();
  catalog = till_catalog_new ();
  carts_dir = g_file_new_for_path (tmp);
  store = till_cart_store_new (carts_dir);
  client = till_client_new ();
  window = till_window_new (NULL, catalog, store, client);
  till_cart_view_set_currency (till_window_get_cart_view (window), "USD", FALSE);
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 600);
  frames.catalog = catalog;
  gtk_window_present (GTK_WINDOW (window));
  g_print ("rss: %.1f MB with an empty window\n", rss_kib () / 1024.0);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &frames);
  till_catalog_load_cache_async (catalog, cache, NULL, on_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  t_cache_loaded = g_get_monotonic_time ();
  if (!till_catalog_load_cache_finish (catalog, result, NULL))
    g_error ("Could not read the cache");
  g_clear_object (&result);
  gtk_widget_queue_draw (GTK_WIDGET (window));
  wait_for (&frames.done, 30000);

  g_print ("start: first frame %.0f ms, cache read+parsed %.0f ms, "
           "first frame with the catalog %.0f ms (from window creation)\n",
           (frames.first_frame - t0) / 1000.0, (t_cache_loaded - t0) / 1000.0,
           (frames.first_catalog_frame - t0) / 1000.0);
  g_print ("rss: %.1f MB with the catalog loaded and drawn\n", rss_kib () / 1024.0);
  g_print ("start: first frame with the catalog %.0f ms from GTK init\n",
           (frames.first_catalog_frame - t_start) / 1000.0);

  /* Keystrokes, first on a filter model nobody shows (the matching alone)… */
  {
    g_autoptr (TillCatalogFilter) alone = till_catalog_filter_new ();
    g_autoptr (GtkFilterListModel) model =
      gtk_filter_list_model_new (g_object_ref (till_catalog_get_products (catalog)),
                                 g_object_ref (GTK_FILTER (alone)));
    g_autoptr (GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
    const char **sets[] = { typed, typed2, typed3 };
    guint lens[] = { G_N_ELEMENTS (typed), G_N_ELEMENTS (typed2), G_N_ELEMENTS (typed3) };

    for (int round = 0; round < 5; round++)
      for (guint s = 0; s < G_N_ELEMENTS (sets); s++)
        for (int i = 0; i <= (int) (2 * lens[s]); i++)
          {
            int k = i < (int) lens[s] ? i : (int) (2 * lens[s]) - i - 1;
            gint64 a = g_get_monotonic_time ();
            till_catalog_filter_set_query (alone, k >= 0 ? sets[s][k] : "");
            { double ms = (g_get_monotonic_time () - a) / 1000.0; g_array_append_val (samples, ms); }
          }
    g_print ("keystroke (GtkFilterListModel alone, for comparison): %u samples, median %.2f ms, p99 %.2f ms\n", samples->len,
             percentile (samples, 0.5), percentile (samples, 0.99));
  }

  /* …then in the window, with the grid showing the model. */
  view = till_window_get_catalog_view (window);
  filter = till_catalog_view_get_filter (view);
  for (int round = 0; round < 10; round++)
    {
      const char **sets[] = { typed, typed2, typed3 };
      guint lens[] = { G_N_ELEMENTS (typed), G_N_ELEMENTS (typed2), G_N_ELEMENTS (typed3) };

      for (guint s = 0; s < G_N_ELEMENTS (sets); s++)
        {
          /* Type forward, then delete back to empty. */
          for (guint i = 0; i < lens[s]; i++)
            {
              gint64 a = g_get_monotonic_time ();
              till_catalog_filter_set_query (filter, sets[s][i]);
              { double ms = (g_get_monotonic_time () - a) / 1000.0; g_array_append_val (keystrokes, ms);
                if (ms > 50 && g_getenv ("BENCH_VERBOSE")) g_print ("  slow: \"%s\" %.1f ms\n", sets[s][i], ms); }
              g_main_context_iteration (NULL, FALSE);
            }
          for (int i = (int) lens[s] - 2; i >= -1; i--)
            {
              gint64 a = g_get_monotonic_time ();
              till_catalog_filter_set_query (filter, i >= 0 ? sets[s][i] : "");
              { double ms = (g_get_monotonic_time () - a) / 1000.0; g_array_append_val (keystrokes, ms);
                if (ms > 50 && g_getenv ("BENCH_VERBOSE")) g_print ("  slow: back to \"%s\" %.1f ms\n", i >= 0 ? sets[s][i] : "", ms); }
              g_main_context_iteration (NULL, FALSE);
            }
        }
    }
  g_print ("keystroke: %u samples, median %.2f ms, p99 %.2f ms, max %.2f ms\n", keystrokes->len, percentile (keystrokes, 0.5),
           percentile (keystrokes, 0.99), percentile (keystrokes, 1.0));

  /* Barcode lookup: the catalog's hash table, then the whole path to a cart line. */
  {
    GRand *rand = g_rand_new_with_seed (7);
    gint64 a = g_get_monotonic_time ();
    guint found = 0;

    for (guint i = 0; i < 100000; i++)
      {
        char code[16];
        g_snprintf (code, sizeof code, "869%010u", g_rand_int_range (rand, 1, n + 1));
        found += till_catalog_lookup_barcode (catalog, code) != NULL;
      }
    g_print ("barcode: %u lookups in the catalog, %.3f µs each (%u found)\n", 100000u,
             (g_get_monotonic_time () - a) / 100000.0, found);

    for (guint i = 0; i < 200; i++)
      {
        char code[16];
        gint64 b;

        /* A busy shop's cart: a new one every 20 scans. */
        if (i % 20 == 0)
          gtk_widget_activate_action (GTK_WIDGET (window), "win.new-cart", NULL);

        g_snprintf (code, sizeof code, "869%010u", g_rand_int_range (rand, 1, n + 1));
        b = g_get_monotonic_time ();
        till_window_handle_barcode (window, code);
        { double ms = (g_get_monotonic_time () - b) / 1000.0; g_array_append_val (lookups, ms); }
        g_main_context_iteration (NULL, FALSE);
      }
    g_print ("barcode: scan to cart line in carts of up to 20 lines (lookup, add, totals, row, save), median %.3f ms, p99 %.3f ms\n",
             percentile (lookups, 0.5), percentile (lookups, 0.99));
    g_rand_free (rand);
  }

  /* Let the UI settle, then read the memory. */
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_print ("rss: %.1f MB\n", rss_kib () / 1024.0);

  gtk_window_destroy (GTK_WINDOW (window));
  while (till_cart_store_is_busy (store))
    g_main_context_iteration (NULL, TRUE);
  {
    g_autoptr (GDir) dir = g_dir_open (tmp, 0, NULL);
    const char *name;
    while (dir && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (tmp, name, NULL);
        g_remove (path);
      }
    g_rmdir (tmp);
  }
  return 0;
}
