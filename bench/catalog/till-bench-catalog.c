/* till-bench-catalog.c: the app with a 100,000-product catalog.
 *
 * Measures (see bench/README.md): start to first frame from the cache (from the process's
 * start, from GTK's init and from the window's creation), the search per keystroke (median
 * and p99), barcode lookup, and the process's RSS. The cache is written first by one child
 * process; a second child, started afresh, is the one measured. Run by hand under a
 * display:
 *
 *   xvfb-run -a -s '-screen 0 1920x1080x24' _build/bench/catalog/till-bench-catalog [N]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <malloc.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "till-payment-view.h"
#include "till-renderer.h"
#include "till-window-private.h"

static gint64 t_start;

static const char *words[] = {
  "simit",   "ayran",  "çay",    "kahve",   "süt",       "peynir",  "zeytin", "ekmek",  "İncir",
  "ıspanak", "crème",  "brûlée", "apple",   "orange",    "juice",   "bread",  "butter", "cheese",
  "olive",   "oil",    "honey",  "granola", "chocolate", "dark",    "milk",   "water",  "sparkling",
  "tea",     "green",  "black",  "organic", "fresh",     "frozen",  "kaşık",  "çatal",  "bıçak",
  "tabak",   "bardak", "mug",    "towel",   "soap",      "shampoo", "gift",   "card",   "box",
  "bag",     "large",  "small",  "medium",  "pack",
};
static const char *categories[] = {
  "Bakery", "Drinks",    "Coffee", "Kitchen", "Pantry",    "Produce",       "Dairy",
  "Frozen", "Household", "Gifts",  "Snacks",  "Breakfast", "Personal Care", "Pets",
  "Baby",   "Deli",      "Meat",   "Fish",    "Wine",      "Flowers",
};

static GPtrArray *
generate (guint n)
{
  GPtrArray *products = g_ptr_array_new_full (n, g_object_unref);
  GRand     *rand = g_rand_new_with_seed (42);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name =
          g_strdup_printf ("%s %s %s %u", words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                           words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                           words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                           g_rand_int_range (rand, 1, 1000));
      g_autofree char *sku = g_strdup_printf ("SKU-%06u", i + 1);
      g_autofree char *barcode = g_strdup_printf ("869%010u", i + 1);

      g_ptr_array_add (
          products, till_product_new (
                        i + 1, name, sku, barcode,
                        categories[g_rand_int_range (rand, 0, G_N_ELEMENTS (categories))], "USD",
                        g_rand_int_range (rand, 50, 100000), g_rand_boolean (rand) ? 800 : 1800));
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
wait_for (gboolean *flag, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint    source = g_timeout_add (timeout_ms, on_deadline, &timed_out);

  while (!flag_set (flag) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (source);
  else
    g_error ("Timed out");
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

typedef struct
{
  TillCatalog *catalog;
  gint64       first_frame;
  gint64       first_catalog_frame;
  gboolean     done;
} Frames;

typedef struct
{
  TillCatalog *catalog;
  gboolean     ok;
  gint64       time;
} Loaded;

/* As TillApplication's callback: the catalog is replaced as soon as the main loop
 * dispatches the result. */
static void
on_cache_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Loaded *loaded = user_data;

  loaded->ok = till_catalog_load_cache_finish (loaded->catalog, result, NULL);
  loaded->time = g_get_monotonic_time ();
}

static void
on_after_paint (GdkFrameClock *clock, Frames *frames)
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
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
percentile (GArray *values, double p)
{
  guint index;

  g_array_sort (values, compare_doubles);
  index = (guint) (p * (values->len - 1) + 0.5);
  return g_array_index (values, double, index);
}

/* When this process started (fork), on g_get_monotonic_time()'s clock, from
 * /proc/self/stat (in clock ticks since boot, so to 10 ms). */
static gint64
process_start_time (void)
{
  g_autofree char   *stat = NULL;
  const char        *p;
  unsigned long long ticks = 0;
  struct timespec    boot, mono;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) ||
      (p = strrchr (stat, ')')) == NULL)
    return 0;
  /* After "pid (comm)": field 3 is the state; field 22 is starttime. */
  p += 2;
  for (int field = 3; field < 22 && p != NULL; field++)
    {
      p = strchr (p, ' ');
      if (p != NULL)
        p++;
    }
  if (p == NULL)
    return 0;
  ticks = g_ascii_strtoull (p, NULL, 10);
  clock_gettime (CLOCK_BOOTTIME, &boot);
  clock_gettime (CLOCK_MONOTONIC, &mono);
  /* monotonic now − (boot now − start since boot) */
  return (gint64) mono.tv_sec * G_USEC_PER_SEC + mono.tv_nsec / 1000 -
         ((gint64) boot.tv_sec * G_USEC_PER_SEC + boot.tv_nsec / 1000 -
          (gint64) (ticks * G_USEC_PER_SEC / sysconf (_SC_CLK_TCK)));
}

static long
rss_kib (void)
{
  static int  n_dumps;
  const char *dump = g_getenv ("TILL_BENCH_SMAPS");
  if (dump != NULL)
    {
      g_autofree char *smaps = NULL;
      g_autofree char *path = g_strdup_printf ("%s-%d.txt", dump, n_dumps++);
      if (g_file_get_contents ("/proc/self/smaps", &smaps, NULL, NULL))
        g_file_set_contents (path, smaps, -1, NULL);
    }

  g_autofree char *status = NULL;
  const char      *line;

  if (g_getenv ("TILL_BENCH_MALLINFO") != NULL)
    {
      struct mallinfo2 info = mallinfo2 ();
      g_print ("  malloc: %.1f MB in use, %.1f MB free in the arenas (%.1f MB at the top)\n",
               info.uordblks / 1048576.0, info.fordblks / 1048576.0, info.keepcost / 1048576.0);
    }
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line ? strtol (line + 6, NULL, 10) : -1;
}

static int
measure (const char *cache_path, guint n, gint64 t_process)
{
  g_autofree char *tmp = NULL;
  g_autoptr (GFile) cache = NULL;
  g_autoptr (GFile) carts_dir = NULL;
  g_autoptr (TillCatalog) catalog = NULL;
  g_autoptr (TillCartStore) store = NULL;
  g_autoptr (TillClient) client = NULL;
  g_autoptr (GArray) keystrokes = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) lookups = g_array_new (FALSE, FALSE, sizeof (double));
  TillWindow        *window;
  TillCatalogView   *view;
  TillCatalogFilter *filter;
  Frames             frames = { 0 };
  Loaded             loaded = { 0 };
  GdkFrameClock     *clock;
  gint64             t0, t_presented, t_cache_loaded, t_main = g_get_monotonic_time ();
  static const char *typed[] = { "s",         "si",         "sim",        "simi",
                                 "simit",     "simit ",     "simit a",    "simit ay",
                                 "simit ayr", "simit ayra", "simit ayran" };
  static const char *typed2[] = { "i", "is", "isp", "ispa", "ispan", "ispana", "ispanak" };
  static const char *typed3[] = { "8",      "86",      "869",      "8690",      "86900",
                                  "869000", "8690000", "86900001", "869000012", "8690000123" };

  tmp = g_dir_make_tmp ("till-bench-carts-XXXXXX", NULL);
  cache = g_file_new_for_path (cache_path);
  /* Start as TillApplication does: the cache is mapped and checked on a worker thread from
   * before GTK's init (the application's startup, before chaining up), and the window is
   * made on activate. */
  t_start = g_get_monotonic_time ();
  catalog = till_catalog_new ();
  loaded.catalog = catalog;
  till_catalog_load_cache_async (catalog, cache, NULL, on_cache_loaded, &loaded);
  adw_init ();
  till_display_choose_renderer (gdk_display_get_default ());

  t0 = g_get_monotonic_time ();
  carts_dir = g_file_new_for_path (tmp);
  store = till_cart_store_new (carts_dir);
  client = till_client_new ();
  window = till_window_new (NULL, catalog, store, client);
  till_cart_view_set_currency (till_window_get_cart_view (window), "USD", FALSE);
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 600);
  frames.catalog = catalog;
  gtk_window_present (GTK_WINDOW (window));
  t_presented = g_get_monotonic_time ();
  g_print ("rss: %.1f MB with the window made, before its first frame\n", rss_kib () / 1024.0);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &frames);
  wait_for (&frames.done, 30000);
  if (!loaded.ok)
    g_error ("Could not read the cache");
  t_cache_loaded = loaded.time;

  g_print ("start: first frame %.0f ms, catalog in the window %.0f ms, "
           "first frame with the catalog %.0f ms (from window creation)\n",
           (frames.first_frame - t0) / 1000.0, (t_cache_loaded - t0) / 1000.0,
           (frames.first_catalog_frame - t0) / 1000.0);
  g_print ("start: process start to main() %.0f ms, GTK init %.0f ms, window made and "
           "presented %.0f ms (G_MESSAGES_DEBUG=till-app shows the worker's time)\n",
           t_process ? (t_main - t_process) / 1000.0 : -1.0, (t0 - t_start) / 1000.0,
           (t_presented - t0) / 1000.0);
  g_print ("rss: %.1f MB with the catalog loaded and drawn\n", rss_kib () / 1024.0);
  g_print ("start: first frame with the catalog %.0f ms from GTK init, %.0f ms from main(), "
           "%.0f ms from the process's start (±10 ms)\n",
           (frames.first_catalog_frame - t_start) / 1000.0,
           (frames.first_catalog_frame - t_main) / 1000.0,
           t_process ? (frames.first_catalog_frame - t_process) / 1000.0 : -1.0);

  /* Keystrokes, first the catalog's search alone (every keystroke over the whole catalog)… */
  {
    g_autoptr (TillCatalogFilter) alone = till_catalog_filter_new ();
    g_autoptr (GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
    const char **sets[] = { typed, typed2, typed3 };
    guint        lens[] = { G_N_ELEMENTS (typed), G_N_ELEMENTS (typed2), G_N_ELEMENTS (typed3) };

    for (int round = 0; round < 5; round++)
      for (guint s = 0; s < G_N_ELEMENTS (sets); s++)
        for (int i = 0; i <= (int) (2 * lens[s]); i++)
          {
            int    k = i < (int) lens[s] ? i : (int) (2 * lens[s]) - i - 1;
            gint64 a = g_get_monotonic_time ();
            g_autoptr (GArray) matches = NULL;
            double ms;

            till_catalog_filter_set_query (alone, k >= 0 ? sets[s][k] : "");
            matches =
                till_catalog_search (catalog, till_catalog_filter_get_words (alone), NULL, NULL);
            ms = (g_get_monotonic_time () - a) / 1000.0;
            g_array_append_val (samples, ms);
          }
    g_print ("keystroke (the catalog's search alone, whole catalog each time): %u samples, "
             "median %.2f ms, p99 %.2f ms\n",
             samples->len, percentile (samples, 0.5), percentile (samples, 0.99));
  }
  /* …then in the window, with the grid showing the model. */
  view = till_window_get_catalog_view (window);
  filter = till_catalog_view_get_filter (view);
  for (int round = 0; round < 10; round++)
    {
      const char **sets[] = { typed, typed2, typed3 };
      guint        lens[] = { G_N_ELEMENTS (typed), G_N_ELEMENTS (typed2), G_N_ELEMENTS (typed3) };

      for (guint s = 0; s < G_N_ELEMENTS (sets); s++)
        {
          /* Type forward, then delete back to empty. */
          for (guint i = 0; i < lens[s]; i++)
            {
              gint64 a = g_get_monotonic_time ();
              till_catalog_filter_set_query (filter, sets[s][i]);
              {
                double ms = (g_get_monotonic_time () - a) / 1000.0;
                g_array_append_val (keystrokes, ms);
                if (ms > 50 && g_getenv ("BENCH_VERBOSE"))
                  g_print ("  slow: \"%s\" %.1f ms\n", sets[s][i], ms);
              }
              g_main_context_iteration (NULL, FALSE);
            }
          for (int i = (int) lens[s] - 2; i >= -1; i--)
            {
              gint64 a = g_get_monotonic_time ();
              till_catalog_filter_set_query (filter, i >= 0 ? sets[s][i] : "");
              {
                double ms = (g_get_monotonic_time () - a) / 1000.0;
                g_array_append_val (keystrokes, ms);
                if (ms > 50 && g_getenv ("BENCH_VERBOSE"))
                  g_print ("  slow: back to \"%s\" %.1f ms\n", i >= 0 ? sets[s][i] : "", ms);
              }
              g_main_context_iteration (NULL, FALSE);
            }
        }
    }
  g_print ("keystroke: %u samples, median %.2f ms, p99 %.2f ms, max %.2f ms\n", keystrokes->len,
           percentile (keystrokes, 0.5), percentile (keystrokes, 0.99),
           percentile (keystrokes, 1.0));

  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_print ("rss: %.1f MB after typing\n", rss_kib () / 1024.0);

  /* Barcode lookup: the catalog's index, then the whole path to a cart line. */
  {
    GRand *rand = g_rand_new_with_seed (7);
    gint64 a = g_get_monotonic_time ();
    guint  found = 0;

    for (guint i = 0; i < 100000; i++)
      {
        char code[16];
        g_snprintf (code, sizeof code, "869%010u", g_rand_int_range (rand, 1, n + 1));
        TillProduct *product = till_catalog_lookup_barcode (catalog, code);

        found += product != NULL;
        g_clear_object (&product);
      }
    g_print ("barcode: %u lookups in the catalog (binary search, then the TillProduct made), "
             "%.3f µs each (%u found)\n",
             100000u, (g_get_monotonic_time () - a) / 100000.0, found);

    for (guint i = 0; i < 200; i++)
      {
        char   code[16];
        gint64 b;

        /* A busy shop's cart: a new one every 20 scans. */
        if (i % 20 == 0)
          gtk_widget_activate_action (GTK_WIDGET (window), "win.new-cart", NULL);

        g_snprintf (code, sizeof code, "869%010u", g_rand_int_range (rand, 1, n + 1));
        b = g_get_monotonic_time ();
        till_window_handle_barcode (window, code);
        {
          double ms = (g_get_monotonic_time () - b) / 1000.0;
          g_array_append_val (lookups, ms);
        }
        g_main_context_iteration (NULL, FALSE);
      }
    g_print ("barcode: scan to cart line in carts of up to 20 lines (lookup, add, totals, row, "
             "save), median %.3f ms, p99 %.3f ms\n",
             percentile (lookups, 0.5), percentile (lookups, 0.99));
    g_rand_free (rand);
  }

  /* Let the UI settle, then read the memory. */
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_print ("rss: %.1f MB after typing and scanning\n", rss_kib () / 1024.0);

  /* What the payment step adds once a server's configuration is known: the window makes
   * its web view then, so that Charge finds the card form ready. Its page is unreachable
   * here; the web view itself is what costs this process memory (the page runs in
   * WebKit's own processes). */
  if (g_getenv ("TILL_BENCH_PAYMENT_VIEW") != NULL)
    {
      TillPaymentView *payment = till_payment_view_new ("http://127.0.0.1:9/pay/", NULL);
      GtkWidget       *holder = gtk_window_new ();
      gboolean         settled = FALSE;

      gtk_window_set_child (GTK_WINDOW (holder), GTK_WIDGET (payment));
      gtk_window_present (GTK_WINDOW (holder));
      g_timeout_add (2000, on_deadline, &settled);
      while (!settled)
        g_main_context_iteration (NULL, TRUE);
      g_print ("rss: %.1f MB with a payment web view as well\n", rss_kib () / 1024.0);
      gtk_window_destroy (GTK_WINDOW (holder));
    }

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

int
main (int argc, char *argv[])
{
  gint64           t_process = process_start_time ();
  guint            n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  g_autofree char *tmp = NULL;
  g_autofree char *cache_path = NULL;
  g_autoptr (GError) error = NULL;
  int wait_status;

  setlocale (LC_ALL, "");

  /* The cache is written by a child process, as the app leaves it after a sync. */
  if (argc == 4 && g_str_equal (argv[1], "--write-cache"))
    {
      g_autoptr (GFile) target = g_file_new_for_path (argv[2]);
      g_autoptr (TillCatalog) seed = till_catalog_new ();
      g_autoptr (GPtrArray) products = NULL;
      GAsyncResult *result = NULL;

      n = (guint) g_ascii_strtoull (argv[3], NULL, 10);
      products = generate (n);
      till_catalog_replace (seed, products, "\"bench\"");
      till_catalog_save_cache_async (seed, target, NULL, on_done, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      return till_catalog_save_cache_finish (seed, result, NULL) ? 0 : 1;
    }
  /* …and the app is another, started afresh, so that its start is measured from exec. */
  if (argc == 4 && g_str_equal (argv[1], "--measure"))
    return measure (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10), t_process);

  tmp = g_dir_make_tmp ("till-bench-XXXXXX", NULL);
  cache_path = g_build_filename (tmp, "catalog.gvariant", NULL);
  {
    g_autofree char *count = g_strdup_printf ("%u", n);
    const char      *writer[] = { argv[0], "--write-cache", cache_path, count, NULL };
    const char      *measured[] = { argv[0], "--measure", cache_path, count, NULL };
    GStatBuf         st;

    if (!g_spawn_sync (NULL, (char **) writer, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                       &wait_status, &error) ||
        !g_spawn_check_wait_status (wait_status, &error))
      g_error ("Could not write the cache: %s", error->message);
    g_stat (cache_path, &st);
    g_print ("catalog: %u products, cache %.1f MB\n", n, st.st_size / 1e6);
    /* The file was just written, so it is in the page cache, as after a sync (a cold start
     * after a reboot would read it from the disk). */
    if (!g_spawn_sync (NULL, (char **) measured, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                       NULL, NULL, &wait_status, &error) ||
        !g_spawn_check_wait_status (wait_status, &error))
      g_error ("The measured run failed: %s", error->message);
  }
  g_remove (cache_path);
  g_rmdir (tmp);
  return 0;
}
