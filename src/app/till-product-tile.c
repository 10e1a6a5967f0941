/* till-product-tile.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-product-tile.h"

#define N_COLORS 8

struct _TillProductTile
{
  GtkWidget parent_instance;

  TillProduct *product;
  GtkLabel    *placeholder;
  GtkLabel    *name_label;
  GtkLabel    *price_label;
  char        *color_class;
};

G_DEFINE_FINAL_TYPE (TillProductTile, till_product_tile, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_PRODUCT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

char *
till_product_tile_initials (const char *name)
{
  GString *out = g_string_new (NULL);
  gboolean at_word_start = TRUE;
  int      n = 0;

  for (const char *p = name; p != NULL && *p != '\0' && n < 2; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isalnum (c))
        {
          if (at_word_start)
            {
              /* Turkish-aware enough for initials: i → İ would need the locale; keep ASCII I. */
              g_string_append_unichar (out, g_unichar_toupper (c));
              n++;
            }
          at_word_start = FALSE;
        }
      else
        at_word_start = TRUE;
    }
  return g_string_free (out, FALSE);
}

void
till_product_tile_set_product (TillProductTile *self, TillProduct *product)
{
  g_return_if_fail (TILL_IS_PRODUCT_TILE (self));

  if (!g_set_object (&self->product, product))
    return;

  if (product != NULL)
    {
      g_autofree char *initials = till_product_tile_initials (till_product_get_name (product));
      guint            color = g_str_hash (till_product_get_name (product)) % N_COLORS;
      g_autofree char *color_class = g_strdup_printf ("tile-color-%u", color);

      gtk_label_set_text (self->placeholder, initials);
      gtk_label_set_text (self->name_label, till_product_get_name (product));
      gtk_label_set_text (self->price_label, till_product_get_price_label (product));
      if (g_strcmp0 (color_class, self->color_class) != 0)
        {
          if (self->color_class != NULL)
            gtk_widget_remove_css_class (GTK_WIDGET (self), self->color_class);
          gtk_widget_add_css_class (GTK_WIDGET (self), color_class);
          g_free (self->color_class);
          self->color_class = g_steal_pointer (&color_class);
        }
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRODUCT]);
}

TillProduct *
till_product_tile_get_product (TillProductTile *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT_TILE (self), NULL);
  return self->product;
}

static void
till_product_tile_dispose (GObject *object)
{
  TillProductTile *self = TILL_PRODUCT_TILE (object);

  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  g_clear_object (&self->product);
  g_clear_pointer (&self->color_class, g_free);

  G_OBJECT_CLASS (till_product_tile_parent_class)->dispose (object);
}

static void
till_product_tile_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
      case PROP_PRODUCT:
        g_value_set_object (value, TILL_PRODUCT_TILE (object)->product);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_product_tile_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  switch (prop_id)
    {
      case PROP_PRODUCT:
        till_product_tile_set_product (TILL_PRODUCT_TILE (object), g_value_get_object (value));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_product_tile_class_init (TillProductTileClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_product_tile_dispose;
  object_class->get_property = till_product_tile_get_property;
  object_class->set_property = till_product_tile_set_property;

  properties[PROP_PRODUCT] =
      g_param_spec_object ("product", NULL, NULL, TILL_TYPE_PRODUCT,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "tile");
}

/* The tooltip is made when asked for: setting one on every tile on every keystroke was the
 * largest cost of a search (bench/README.md). */
static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip)
{
  TillProductTile *self = TILL_PRODUCT_TILE (widget);

  if (self->product == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, till_product_get_name (self->product));
  return TRUE;
}

/* Built in code, not from a .ui template: the grid creates and destroys tiles as the
 * search changes what is on screen, and GtkBuilder costs far more per tile (see
 * bench/README.md). */
static void
till_product_tile_init (TillProductTile *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);

  gtk_widget_add_css_class (GTK_WIDGET (self), "product-tile");
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);

  self->placeholder = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->placeholder), "placeholder");
  gtk_widget_set_size_request (GTK_WIDGET (self->placeholder), 120, -1);

  self->name_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->name_label), "name");
  gtk_label_set_xalign (self->name_label, 0);
  gtk_label_set_ellipsize (self->name_label, PANGO_ELLIPSIZE_END);
  gtk_label_set_lines (self->name_label, 2);
  gtk_label_set_wrap (self->name_label, TRUE);
  gtk_label_set_wrap_mode (self->name_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (self->name_label, 14);
  gtk_label_set_width_chars (self->name_label, 14);

  self->price_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->price_label), "price");
  gtk_widget_add_css_class (GTK_WIDGET (self->price_label), "dim-label");
  gtk_label_set_xalign (self->price_label, 0);

  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->placeholder));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->name_label));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->price_label));
  gtk_widget_set_parent (box, GTK_WIDGET (self));
}
