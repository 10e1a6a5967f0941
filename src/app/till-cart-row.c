/* till-cart-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-cart-row.h"
#include "till-money-label.h"

struct _TillCartRow
{
  GtkListBoxRow parent_instance;

  TillCartModel *cart;
  guint          index;
  gboolean       has_menu;

  GtkLabel      *name_label;
  GtkLabel      *detail_label;
  GtkSpinButton *quantity_spin;
  GtkLabel      *total_label;
  GtkMenuButton *menu_button;
  GtkButton     *remove_button;
};

G_DEFINE_FINAL_TYPE (TillCartRow, till_cart_row, GTK_TYPE_LIST_BOX_ROW)

static void
on_quantity_changed (TillCartRow *self)
{
  g_autoptr (GError) error = NULL;
  gint64 quantity = gtk_spin_button_get_value_as_int (self->quantity_spin);

  if (self->cart == NULL || self->index >= till_cart_model_get_n_lines (self->cart))
    return;
  if (till_cart_model_get_line (self->cart, self->index)->quantity == quantity)
    return;
  if (!till_cart_model_set_quantity (self->cart, self->index, quantity, &error))
    g_warning ("Quantity refused: %s", error->message);
}

static void
create_menu (GtkMenuButton *button, gpointer user_data)
{
  TillCartRow *self = TILL_CART_ROW (user_data);
  g_autoptr (GMenu) menu = g_menu_new ();
  g_autoptr (GMenuItem) discount_item = g_menu_item_new (_ ("Discount…"), NULL);
  g_autoptr (GMenuItem) note_item = g_menu_item_new (_ ("Note…"), NULL);

  g_menu_item_set_action_and_target (discount_item, "cart.line-discount", "u", self->index);
  g_menu_append_item (menu, discount_item);
  g_menu_item_set_action_and_target (note_item, "cart.line-note", "u", self->index);
  g_menu_append_item (menu, note_item);
  gtk_menu_button_set_menu_model (button, G_MENU_MODEL (menu));
}

static void
till_cart_row_dispose (GObject *object)
{
  TillCartRow *self = TILL_CART_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_CART_ROW);
  g_clear_object (&self->cart);

  G_OBJECT_CLASS (till_cart_row_parent_class)->dispose (object);
}

static void
till_cart_row_class_init (TillCartRowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_cart_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tillpos/Till/till-cart-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TillCartRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, TillCartRow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, TillCartRow, quantity_spin);
  gtk_widget_class_bind_template_child (widget_class, TillCartRow, total_label);
  gtk_widget_class_bind_template_child (widget_class, TillCartRow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, TillCartRow, remove_button);
  gtk_widget_class_bind_template_callback (widget_class, on_quantity_changed);
}

static void
till_cart_row_init (TillCartRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_menu_button_set_create_popup_func (self->menu_button, create_menu, self, NULL);
}

TillCartRow *
till_cart_row_new (TillCartModel *cart)
{
  TillCartRow *self = g_object_new (TILL_TYPE_CART_ROW, NULL);

  self->cart = g_object_ref (cart);
  return self;
}

guint
till_cart_row_get_index (TillCartRow *self)
{
  g_return_val_if_fail (TILL_IS_CART_ROW (self), 0);
  return self->index;
}

static char *
describe_discount (const TillDiscount *discount, const char *currency)
{
  switch (discount->kind)
    {
      case TILL_DISCOUNT_PERCENT:
        {
          g_autofree char *rate = till_tax_rate_to_string ((int) discount->value);
          /* Translators: a line or cart discount; %s is a number like "10" or "12.5". */
          return g_strdup_printf (_ ("%s %% off"), rate);
        }
      case TILL_DISCOUNT_AMOUNT:
        {
          g_autofree char *amount = till_money_label (discount->value, currency);
          /* Translators: a line or cart discount; %s is an amount like "$2.00". */
          return g_strdup_printf (_ ("%s off"), amount);
        }
      case TILL_DISCOUNT_NONE:
      default:
        return NULL;
    }
}

void
till_cart_row_update (TillCartRow *self, guint index, const TillLineTotals *totals)
{
  const TillCartLine *line;
  const char         *currency;
  g_autofree char    *unit = NULL;
  g_autofree char    *total = NULL;
  g_autofree char    *discount = NULL;
  g_autoptr (GString) detail = g_string_new (NULL);

  g_return_if_fail (TILL_IS_CART_ROW (self));

  line = till_cart_model_get_line (self->cart, index);
  currency = till_cart_model_get_currency (self->cart);

  gtk_label_set_text (self->name_label, line->name ? line->name : "");
  unit = till_money_label (line->unit_amount, currency);
  g_string_append (detail, unit);
  discount = describe_discount (&line->discount, currency);
  if (discount != NULL && totals != NULL && totals->line_discount > 0)
    {
      g_autofree char *amount = till_money_label (-totals->line_discount, currency);
      /* Translators: a line's discount and what it takes off, e.g. "10 % off (−$0.15)". */
      g_string_append_printf (detail, _ (" · %s (%s)"), discount, amount);
    }
  else if (discount != NULL)
    g_string_append_printf (detail, " · %s", discount);
  if (line->note != NULL)
    g_string_append_printf (detail, " · %s", line->note);
  gtk_label_set_text (self->detail_label, detail->str);

  g_signal_handlers_block_by_func (self->quantity_spin, on_quantity_changed, self);
  if (gtk_spin_button_get_value_as_int (self->quantity_spin) != line->quantity)
    gtk_spin_button_set_value (self->quantity_spin, (double) line->quantity);
  g_signal_handlers_unblock_by_func (self->quantity_spin, on_quantity_changed, self);

  /* Quantity × price, as the detail shows the price: discounts and tax are in the cart's
   * totals below, which add up from these (the subtotal is their sum). */
  total = till_money_label (totals ? totals->gross : line->unit_amount * line->quantity, currency);
  gtk_label_set_text (self->total_label, total);

  /* The actions' targets only change when the line moves. The menu itself is made when it
   * is opened: a menu button's popover is a whole surface with its own widgets (see
   * bench/README.md), and few lines ever have theirs opened. */
  if (!self->has_menu || index != self->index)
    {
      gtk_actionable_set_action_target (GTK_ACTIONABLE (self->remove_button), "u", index);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->remove_button), "cart.remove-line");
      gtk_menu_button_set_menu_model (self->menu_button, NULL);
      self->has_menu = TRUE;
    }
  self->index = index;
}
