/* till-screenshot.c: renders the main window, light and dark, at 1024×600, 800×600 (the cart
 * folded away), 1366×768 and 1920×1080,
 * to PNG files (the metainfo screenshots). Run under a display (xvfb-run):
 *
 *   till-screenshot OUTPUT-DIRECTORY
 *
 * It starts the in-process test server with the demo shop, connects, fills a cart, and
 * draws the window through its renderer (gtk_widget_paintable → render_texture).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <locale.h>

#include "till-demo.h"
#include "till-test-gtk.h"
#include "till-window-private.h"

static gboolean
client_online (gpointer data)
{
  return till_client_get_state (TILL_CLIENT (data)) == TILL_CONNECTION_ONLINE;
}

/* The catalog makes a new product for each lookup. */
static void
add_product (TillCartModel *cart, TillCatalog *catalog, gint64 id, gint64 quantity)
{
  g_autoptr (TillProduct) product = till_catalog_lookup_id (catalog, id);

  g_assert (product != NULL);
  till_cart_model_add_product (cart, product, quantity, NULL);
}

static gboolean
catalog_loaded (gpointer data)
{
  return till_catalog_get_n_products (TILL_CATALOG (data)) > 0;
}

typedef struct
{
  GtkWidget *widget;
  int        width;
  int        frames;
} FrameWait;

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  ((FrameWait *) data)->frames++;
  return G_SOURCE_CONTINUE;
}

static gboolean
laid_out (gpointer data)
{
  FrameWait *wait = data;

  return gtk_widget_get_mapped (wait->widget) &&
         gtk_widget_get_width (wait->widget) == wait->width && wait->frames >= 10;
}

static gboolean
render (GtkWindow *window, const char *path)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  int          width = gtk_widget_get_width (GTK_WIDGET (window));
  int          height = gtk_widget_get_height (GTK_WIDGET (window));
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return FALSE;
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  return gdk_texture_save_to_png (texture, path);
}

int
main (int argc, char *argv[])
{
  g_autofree char *tmp = NULL;
  g_autoptr (GFile) carts_dir = NULL;
  g_autoptr (TillCatalog) catalog = NULL;
  g_autoptr (TillCartStore) store = NULL;
  g_autoptr (TillClient) client = NULL;
  g_autoptr (GPtrArray) products = NULL;
  TillTestAppServer *server;
  TillWindow        *window;
  TillCartModel     *cart, *parked;
  TillCartView      *cart_view;
  static const struct
  {
    int width, height;
  } sizes[] = {
    { 1024, 600 },
    { 800, 600 },
    { 1366, 768 },
    { 1920, 1080 },
  };
  static const char *schemes[] = { "light", "dark" };
  guint              n_sizes = G_N_ELEMENTS (sizes);
  int                status = 0;

  till_test_set_drawing_env ();
  setlocale (LC_ALL, "");
  if (argc == 3 && g_str_equal (argv[2], "--small-only"))
    n_sizes = 1;
  else if (argc != 2)
    {
      g_printerr ("Usage: %s OUTPUT-DIRECTORY [--small-only]\n", argv[0]);
      return 2;
    }
  if (g_mkdir_with_parents (argv[1], 0755) != 0)
    {
      g_printerr ("Cannot create %s\n", argv[1]);
      return 1;
    }
  adw_init ();
  {
    /* AdwApplication loads style.css by itself; without an application, do it here. */
    g_autoptr (GtkCssProvider) css = gtk_css_provider_new ();
    gtk_css_provider_load_from_resource (css, "/io/github/tillpos/Till/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }

  tmp = till_test_make_tmpdir ("till-app-test");
  carts_dir = g_file_new_for_path (tmp);
  server = till_test_app_server_new (FALSE, 0);
  till_demo_fill_server (server);

  catalog = till_catalog_new ();
  store = till_cart_store_new (carts_dir);
  client = till_client_new ();
  till_client_set_server (client, till_test_app_server_get_url (server), TILL_TEST_APP_TOKEN);
  if (!till_test_wait_until (client_online, client, 10000))
    g_error ("The demo server does not answer");

  window = till_window_new (NULL, catalog, store, client);
  /* The window fetches the catalog itself once online; it may already be. */
  till_client_reconnect (client);
  if (!till_test_wait_until (catalog_loaded, catalog, 10000))
    g_error ("The demo catalog did not load");

  cart_view = till_window_get_cart_view (window);
  parked = till_cart_store_new_cart (store, "USD", FALSE);
  add_product (parked, catalog, 20, 1);
  till_cart_model_set_parked (parked, TRUE);
  cart = till_cart_store_new_cart (store, "USD", FALSE);
  add_product (cart, catalog, 1, 4);
  add_product (cart, catalog, 6, 2);
  add_product (cart, catalog, 12, 1);
  add_product (cart, catalog, 19, 1);
  {
    TillDiscount ten = { TILL_DISCOUNT_PERCENT, 1000 };
    till_cart_model_set_line_discount (cart, 2, &ten, NULL);
  }
  till_cart_view_select_cart (cart_view, cart);

  for (guint s = 0; s < n_sizes; s++)
    for (guint c = 0; c < G_N_ELEMENTS (schemes); c++)
      {
        g_autofree char *name =
            g_strdup_printf ("main-%s-%dx%d.png", schemes[c], sizes[s].width, sizes[s].height);
        g_autofree char *path = g_build_filename (argv[1], name, NULL);
        FrameWait        wait = { GTK_WIDGET (window), sizes[s].width, 0 };
        int              extra_w = 0, extra_h = 0;
        guint            tick;

        adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                            c == 0 ? ADW_COLOR_SCHEME_FORCE_LIGHT
                                                   : ADW_COLOR_SCHEME_FORCE_DARK);
        tick = gtk_widget_add_tick_callback (GTK_WIDGET (window), on_tick, &wait, NULL);
        /* The X server may take the decorations off the size asked for: ask again for more. */
        for (int attempt = 0; attempt < 3; attempt++)
          {
            wait.frames = 0;
            gtk_window_set_default_size (GTK_WINDOW (window), sizes[s].width + extra_w,
                                         sizes[s].height + extra_h);
            gtk_window_present (GTK_WINDOW (window));
            if (till_test_wait_until (laid_out, &wait, 2000))
              break;
            extra_w += sizes[s].width - gtk_widget_get_width (GTK_WIDGET (window));
            extra_h += sizes[s].height - gtk_widget_get_height (GTK_WIDGET (window));
          }
        gtk_widget_remove_tick_callback (GTK_WIDGET (window), tick);
        if (gtk_widget_get_width (GTK_WIDGET (window)) != sizes[s].width)
          g_printerr ("%s: the window is %d px wide, not %d (is the screen large enough?)\n", name,
                      gtk_widget_get_width (GTK_WIDGET (window)), sizes[s].width);
        if (!render (GTK_WINDOW (window), path))
          {
            g_printerr ("Could not write %s\n", path);
            status = 1;
          }
        else
          g_print ("%s\n", path);
      }

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&store);
  till_test_app_server_free (server);
  till_test_remove_tree (tmp);
  return status;
}
