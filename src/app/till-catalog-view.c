/* till-catalog-view.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "till-catalog-view.h"
#include "till-core.h"
#include "till-product-list.h"
#include "till-product-tile.h"

/* Nobody scrolls through 50,000 tiles; a grid that shows at most this many stays fast
 * whatever the catalog's size, and the cashier narrows down by typing. */
#define SHOWN_MAX 2000

struct _TillCatalogView
{
  GtkWidget parent_instance;

  TillCatalog       *catalog;
  TillCatalogFilter *filter;
  GArray            *matches; /* catalog positions (guint32) of every product that matches */
  TillProductList   *results; /* what the grid and list show: the first SHOWN_MAX matches */
  GtkLabel          *limit_label;
  GtkSelectionModel *selection;
  char              *view_mode;

  GtkSearchEntry    *search_entry;
  GtkLabel          *multiplier_label;
  GtkBox            *chips_box;
  GtkScrolledWindow *chips_scroller;
  GtkWidget         *chips_back;
  GtkWidget         *chips_more;
  GtkStack          *stack;
  GtkGridView       *grid_view;
  GtkListView       *list_view;
  AdwStatusPage     *no_match_page;
};

G_DEFINE_FINAL_TYPE (TillCatalogView, till_catalog_view, GTK_TYPE_WIDGET)

enum
{
  PRODUCT_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum
{
  PROP_0,
  PROP_VIEW_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

gint64
till_parse_multiplier (const char *text)
{
  const char *p = text;
  gint64      n = 0;
  int         digits = 0;

  if (text == NULL)
    return 0;
  while (*p == ' ')
    p++;
  while (g_ascii_isdigit (*p) && digits < 5)
    {
      n = n * 10 + (*p - '0');
      p++;
      digits++;
    }
  if (digits == 0 || n < 1 || n > TILL_QUANTITY_MAX)
    return 0;
  while (*p == ' ')
    p++;
  if (*p == '*' || *p == 'x' || *p == 'X')
    p++;
  else if (g_str_has_prefix (p, "×"))
    p += strlen ("×");
  else
    return 0;
  while (*p == ' ')
    p++;
  return *p == '\0' ? n : 0;
}

/* Only the view on screen follows the model: the other would redo the work for nothing. */
static void
attach_model (TillCatalogView *self)
{
  gboolean list = g_strcmp0 (self->view_mode, "list") == 0;

  gtk_grid_view_set_model (self->grid_view, list ? NULL : self->selection);
  gtk_list_view_set_model (self->list_view, list ? self->selection : NULL);
}

static void
update_stack (TillCatalogView *self)
{
  guint n_shown = g_list_model_get_n_items (G_LIST_MODEL (self->results));

  if (self->catalog == NULL || till_catalog_get_n_products (self->catalog) == 0)
    gtk_stack_set_visible_child_name (self->stack, "empty");
  else if (n_shown == 0)
    {
      g_autofree char *description = NULL;

      /* Translators: %s is what the cashier typed in the search entry. */
      description =
          g_strdup_printf (_ ("Nothing matches “%s”. Check the spelling or scan the barcode."),
                           till_catalog_filter_get_query (self->filter));
      adw_status_page_set_description (self->no_match_page, description);
      gtk_stack_set_visible_child_name (self->stack, "no-match");
    }
  else
    gtk_stack_set_visible_child_name (self->stack, self->view_mode);
}

/* One pass over the catalog (or, when the query only got stricter, over what matched
 * before), then one items-changed for the whole grid. */
static void
refilter (TillCatalogView *self, GtkFilterChange change)
{
  GArray *matches;
  GArray *shown;
  gint64  t0 = g_get_monotonic_time ();

  if (self->catalog == NULL)
    matches = g_array_new (FALSE, FALSE, sizeof (guint32));
  else
    matches = till_catalog_search (self->catalog, till_catalog_filter_get_words (self->filter),
                                   till_catalog_filter_get_category (self->filter),
                                   change == GTK_FILTER_CHANGE_MORE_STRICT ? self->matches : NULL);

  shown = g_array_sized_new (FALSE, FALSE, sizeof (guint32), MIN (matches->len, SHOWN_MAX));
  g_array_append_vals (shown, matches->data, MIN (matches->len, SHOWN_MAX));
  g_clear_pointer (&self->matches, g_array_unref);
  self->matches = matches;
  {
    gint64 t1 = g_get_monotonic_time ();
    till_product_list_replace (self->results, self->catalog, shown);
    g_debug ("Search: matching %.1f ms, grid %.1f ms, %u matches", (t1 - t0) / 1000.0,
             (g_get_monotonic_time () - t1) / 1000.0, matches->len);
  }

  if (matches->len > SHOWN_MAX)
    {
      g_autofree char *text = NULL;

      /* Translators: shown under the product grid when a search matches very many. */
      text = g_strdup_printf (_ ("Showing the first %u of %u products. Type or pick a category "
                                 "to narrow down."),
                              SHOWN_MAX, matches->len);
      gtk_label_set_text (self->limit_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->limit_label), matches->len > SHOWN_MAX);
  update_stack (self);
}

static void
on_filter_changed (TillCatalogView *self, GtkFilterChange change)
{
  refilter (self, change);
}

static void
update_multiplier (TillCatalogView *self)
{
  gint64 n = till_catalog_view_get_multiplier (self);

  if (n > 1)
    {
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT " ×", n);
      gtk_label_set_text (self->multiplier_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->multiplier_label), n > 1);
}

static void
on_search_changed (TillCatalogView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  update_multiplier (self);
  /* "3*" is a multiplier, not a search. */
  till_catalog_filter_set_query (self->filter, till_parse_multiplier (text) > 0 ? "" : text);
  update_stack (self);
}

static void
on_search_activate (TillCatalogView *self)
{
  const char      *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *code = g_strstrip (g_strdup (text));
  g_autoptr (TillProduct) product = NULL;

  if (*code == '\0')
    return;
  /* Manual barcode entry, then the single match of the search. */
  if (self->catalog != NULL)
    product = till_catalog_lookup_barcode (self->catalog, code);
  if (product == NULL && self->catalog != NULL && self->matches != NULL && self->matches->len == 1)
    product = till_catalog_dup_product (self->catalog, g_array_index (self->matches, guint32, 0));
  if (product != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      g_signal_emit (self, signals[PRODUCT_ACTIVATED], 0, product);
    }
  else
    gtk_widget_error_bell (GTK_WIDGET (self));
}

static void
on_item_activate (TillCatalogView *self, guint position)
{
  TillProduct *product = till_product_list_peek_product (self->results, position);

  if (product != NULL)
    {
      g_object_ref (product);
      g_signal_emit (self, signals[PRODUCT_ACTIVATED], 0, product);
      g_object_unref (product);
    }
}

static void
on_chip_toggled (GtkToggleButton *button, TillCatalogView *self)
{
  if (!gtk_toggle_button_get_active (button))
    return;
  till_catalog_filter_set_category (self->filter,
                                    g_object_get_data (G_OBJECT (button), "category"));
  update_stack (self);
}

/* The arrows show where chips are out of sight. */
static void
update_chip_arrows (TillCatalogView *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_hadjustment (self->chips_scroller);
  double         value = gtk_adjustment_get_value (adjustment);
  double end = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  gtk_widget_set_visible (self->chips_back, value > 0.5);
  gtk_widget_set_visible (self->chips_more, value < end - 0.5);
}

static void
scroll_chips (TillCatalogView *self, double pages)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_hadjustment (self->chips_scroller);

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) +
                                            pages * gtk_adjustment_get_page_size (adjustment));
}

static void
on_chips_back (TillCatalogView *self)
{
  scroll_chips (self, -0.8);
}

static void
on_chips_more (TillCatalogView *self)
{
  scroll_chips (self, 0.8);
}

static void
rebuild_chips (TillCatalogView *self)
{
  const char *const *categories;
  GtkWidget         *child;
  GtkToggleButton   *all;
  const char        *current = till_catalog_filter_get_category (self->filter);
  gboolean           found = FALSE;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->chips_box))) != NULL)
    gtk_box_remove (self->chips_box, child);

  all = GTK_TOGGLE_BUTTON (gtk_toggle_button_new_with_label (_ ("All")));
  gtk_box_append (self->chips_box, GTK_WIDGET (all));
  g_signal_connect (all, "toggled", G_CALLBACK (on_chip_toggled), self);

  categories = self->catalog ? till_catalog_get_categories (self->catalog) : NULL;
  for (guint i = 0; categories != NULL && categories[i] != NULL; i++)
    {
      GtkWidget *chip = gtk_toggle_button_new_with_label (categories[i]);

      g_object_set_data_full (G_OBJECT (chip), "category", g_strdup (categories[i]), g_free);
      gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (chip), all);
      g_signal_connect (chip, "toggled", G_CALLBACK (on_chip_toggled), self);
      gtk_box_append (self->chips_box, chip);
      if (g_strcmp0 (current, categories[i]) == 0)
        {
          gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (chip), TRUE);
          found = TRUE;
        }
    }
  if (!found)
    {
      gtk_toggle_button_set_active (all, TRUE);
      till_catalog_filter_set_category (self->filter, NULL);
    }
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->chips_scroller)),
                          categories != NULL && categories[0] != NULL);
}

void
till_catalog_view_set_category (TillCatalogView *self, const char *category)
{
  g_return_if_fail (TILL_IS_CATALOG_VIEW (self));

  for (GtkWidget *chip = gtk_widget_get_first_child (GTK_WIDGET (self->chips_box)); chip != NULL;
       chip = gtk_widget_get_next_sibling (chip))
    if (g_strcmp0 (g_object_get_data (G_OBJECT (chip), "category"), category) == 0)
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (chip), TRUE);
}

static void
till_catalog_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
      case PROP_VIEW_MODE:
        g_value_set_string (value, TILL_CATALOG_VIEW (object)->view_mode);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_catalog_view_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  switch (prop_id)
    {
      case PROP_VIEW_MODE:
        till_catalog_view_set_view_mode (TILL_CATALOG_VIEW (object), g_value_get_string (value));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Tiles follow their slot's product (see till-product-list.h). */

static void
on_grid_slot_changed (TillProductSlot *slot, GParamSpec *pspec, TillProductTile *tile)
{
  TillProduct *product = till_product_slot_get_product (slot);

  if (product != NULL)
    till_product_tile_set_product (tile, product);
}

static void
on_grid_setup (GtkSignalListItemFactory *factory, GtkListItem *item)
{
  gtk_list_item_set_child (item, g_object_new (TILL_TYPE_PRODUCT_TILE, NULL));
}

static void
on_grid_bind (GtkSignalListItemFactory *factory, GtkListItem *item)
{
  TillProductSlot *slot = gtk_list_item_get_item (item);
  GtkWidget       *tile = gtk_list_item_get_child (item);

  g_signal_connect_object (slot, "notify::product", G_CALLBACK (on_grid_slot_changed), tile, 0);
  on_grid_slot_changed (slot, NULL, TILL_PRODUCT_TILE (tile));
}

static void
on_unbind (GtkSignalListItemFactory *factory, GtkListItem *item)
{
  g_signal_handlers_disconnect_by_data (gtk_list_item_get_item (item),
                                        gtk_list_item_get_child (item));
}

static void
on_list_setup (GtkSignalListItemFactory *factory, GtkListItem *item)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *sku = gtk_label_new (NULL);
  GtkWidget *price = gtk_label_new (NULL);

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (sku, "dim-label");
  gtk_label_set_width_chars (GTK_LABEL (price), 12);
  gtk_label_set_xalign (GTK_LABEL (price), 1);
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), sku);
  gtk_box_append (GTK_BOX (box), price);
  gtk_list_item_set_child (item, box);
}

static void
on_list_slot_changed (TillProductSlot *slot, GParamSpec *pspec, GtkWidget *box)
{
  TillProduct *product = till_product_slot_get_product (slot);
  GtkWidget   *name = gtk_widget_get_first_child (box);
  GtkWidget   *sku = gtk_widget_get_next_sibling (name);
  GtkWidget   *price = gtk_widget_get_next_sibling (sku);
  const char  *sku_text;

  if (product == NULL)
    return;
  sku_text = till_product_get_sku (product);
  gtk_label_set_text (GTK_LABEL (name), till_product_get_name (product));
  gtk_label_set_text (GTK_LABEL (sku), sku_text ? sku_text : "");
  gtk_label_set_text (GTK_LABEL (price), till_product_get_price_label (product));
}

static void
on_list_bind (GtkSignalListItemFactory *factory, GtkListItem *item)
{
  TillProductSlot *slot = gtk_list_item_get_item (item);
  GtkWidget       *box = gtk_list_item_get_child (item);

  g_signal_connect_object (slot, "notify::product", G_CALLBACK (on_list_slot_changed), box, 0);
  on_list_slot_changed (slot, NULL, box);
}

static void
till_catalog_view_dispose (GObject *object)
{
  TillCatalogView *self = TILL_CATALOG_VIEW (object);

  if (self->catalog != NULL)
    g_signal_handlers_disconnect_by_data (self->catalog, self);
  if (self->filter != NULL)
    g_signal_handlers_disconnect_by_data (self->filter, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_CATALOG_VIEW);
  /* The template's root box is not a bound child: unparent it ourselves. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_object (&self->results);
  g_clear_pointer (&self->matches, g_array_unref);
  g_clear_object (&self->filter);
  g_clear_object (&self->catalog);
  g_clear_pointer (&self->view_mode, g_free);

  G_OBJECT_CLASS (till_catalog_view_parent_class)->dispose (object);
}

static void
till_catalog_view_class_init (TillCatalogViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_catalog_view_dispose;
  object_class->get_property = till_catalog_view_get_property;
  object_class->set_property = till_catalog_view_set_property;

  properties[PROP_VIEW_MODE] =
      g_param_spec_string ("view-mode", NULL, NULL, "grid",
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PRODUCT_ACTIVATED] =
      g_signal_new ("product-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                    NULL, NULL, G_TYPE_NONE, 1, TILL_TYPE_PRODUCT);

  g_type_ensure (TILL_TYPE_PRODUCT_TILE);
  g_type_ensure (TILL_TYPE_PRODUCT);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tillpos/Till/till-catalog-view.ui");
  gtk_widget_class_bind_template_child (widget_class, TillCatalogView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, TillCatalogView, multiplier_label);
  gtk_widget_class_bind_template_child (widget_class, TillCatalogView, chips_box);
  gtk_widget_class_bind_template_child (widget_class, TillCatalogView, chips_scroller);
  gtk_widget_class_bind_template_child (widget_class, TillCatalogView, chips_back);
  gtk_widget_class_bind_template_child (widget_class, TillCatalogView, chips_more);
  gtk_widget_class_bind_template_child (widget_class, TillCatalogView, stack);
  gtk_widget_class_bind_template_child (widget_class, TillCatalogView, grid_view);
  gtk_widget_class_bind_template_child (widget_class, TillCatalogView, list_view);
  gtk_widget_class_bind_template_child (widget_class, TillCatalogView, no_match_page);
  gtk_widget_class_bind_template_child (widget_class, TillCatalogView, limit_label);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_item_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_chips_back);
  gtk_widget_class_bind_template_callback (widget_class, on_chips_more);

  gtk_widget_class_install_property_action (widget_class, "catalog.view-mode", "view-mode");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
till_catalog_view_init (TillCatalogView *self)
{
  g_autoptr (GtkListItemFactory) grid_factory = NULL;
  g_autoptr (GtkListItemFactory) list_factory = NULL;
  GtkNoSelection *selection;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->view_mode = g_strdup ("grid");
  self->filter = till_catalog_filter_new ();
  self->results = till_product_list_new ();
  g_signal_connect_swapped (self->filter, "changed", G_CALLBACK (on_filter_changed), self);

  gtk_search_entry_set_search_delay (self->search_entry, 60);
  {
    GtkAdjustment *adjustment = gtk_scrolled_window_get_hadjustment (self->chips_scroller);

    g_signal_connect_object (adjustment, "changed", G_CALLBACK (update_chip_arrows), self,
                             G_CONNECT_SWAPPED);
    g_signal_connect_object (adjustment, "value-changed", G_CALLBACK (update_chip_arrows), self,
                             G_CONNECT_SWAPPED);
  }

  /* Signal factories building widgets in code: see till-product-tile.c for why. */
  grid_factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (grid_factory, "setup", G_CALLBACK (on_grid_setup), NULL);
  g_signal_connect (grid_factory, "bind", G_CALLBACK (on_grid_bind), NULL);
  g_signal_connect (grid_factory, "unbind", G_CALLBACK (on_unbind), NULL);
  list_factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (list_factory, "setup", G_CALLBACK (on_list_setup), NULL);
  g_signal_connect (list_factory, "bind", G_CALLBACK (on_list_bind), NULL);
  g_signal_connect (list_factory, "unbind", G_CALLBACK (on_unbind), NULL);
  gtk_grid_view_set_factory (self->grid_view, grid_factory);
  gtk_list_view_set_factory (self->list_view, list_factory);

  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->results)));
  self->selection = GTK_SELECTION_MODEL (selection);
  attach_model (self);

  rebuild_chips (self);
  update_stack (self);
}

TillCatalogView *
till_catalog_view_new (void)
{
  return g_object_new (TILL_TYPE_CATALOG_VIEW, NULL);
}

static void
on_catalog_changed (TillCatalogView *self)
{
  /* Every position changed: search the new products, whatever the query, once (a category
   * that is gone resets the filter in rebuild_chips(), which would search too). */
  g_clear_pointer (&self->matches, g_array_unref);
  g_signal_handlers_block_by_func (self->filter, on_filter_changed, self);
  rebuild_chips (self);
  g_signal_handlers_unblock_by_func (self->filter, on_filter_changed, self);
  refilter (self, GTK_FILTER_CHANGE_DIFFERENT);
}

void
till_catalog_view_set_catalog (TillCatalogView *self, TillCatalog *catalog)
{
  g_return_if_fail (TILL_IS_CATALOG_VIEW (self));

  if (self->catalog != NULL)
    g_signal_handlers_disconnect_by_data (self->catalog, self);
  g_set_object (&self->catalog, catalog);
  if (catalog != NULL)
    g_signal_connect_swapped (catalog, "changed", G_CALLBACK (on_catalog_changed), self);
  on_catalog_changed (self);
}

GtkSearchEntry *
till_catalog_view_get_search_entry (TillCatalogView *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG_VIEW (self), NULL);
  return self->search_entry;
}

TillCatalogFilter *
till_catalog_view_get_filter (TillCatalogView *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG_VIEW (self), NULL);
  return self->filter;
}

GListModel *
till_catalog_view_get_model (TillCatalogView *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG_VIEW (self), NULL);
  return G_LIST_MODEL (self->results);
}

void
till_catalog_view_set_view_mode (TillCatalogView *self, const char *mode)
{
  g_return_if_fail (TILL_IS_CATALOG_VIEW (self));

  if (g_strcmp0 (mode, "list") != 0)
    mode = "grid";
  if (g_strcmp0 (mode, self->view_mode) == 0)
    return;
  g_free (self->view_mode);
  self->view_mode = g_strdup (mode);
  attach_model (self);
  update_stack (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW_MODE]);
}

const char *
till_catalog_view_get_view_mode (TillCatalogView *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG_VIEW (self), NULL);
  return self->view_mode;
}

gint64
till_catalog_view_get_multiplier (TillCatalogView *self)
{
  gint64 n;

  g_return_val_if_fail (TILL_IS_CATALOG_VIEW (self), 1);

  n = till_parse_multiplier (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  return n > 0 ? n : 1;
}

gint64
till_catalog_view_take_multiplier (TillCatalogView *self)
{
  gint64 n;

  g_return_val_if_fail (TILL_IS_CATALOG_VIEW (self), 1);

  n = till_parse_multiplier (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  if (n == 0)
    return 1;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  return n;
}
