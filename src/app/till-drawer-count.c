/* till-drawer-count.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One spin button per note and coin, largest first (the order a drawer is counted in), Tab
 * from one to the next; the total below follows every change. The count goes to the server
 * as {"counts": {"500": 2, …}}, so the server adds it up again with the same core rule.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-drawer-count.h"
#include "till-core.h"
#include "till-money-label.h"

struct _TillDrawerCount
{
  GtkBox parent_instance;

  char      *currency;
  GArray    *denominations; /* gint64, as the spin buttons */
  GPtrArray *spins;
  GtkWidget *total_label;
};

G_DEFINE_FINAL_TYPE (TillDrawerCount, till_drawer_count, GTK_TYPE_BOX)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update_total (TillDrawerCount *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *label = NULL;
  gint64           total = 0;

  if (till_drawer_count_get_total (self, &total, &error))
    {
      g_autofree char *amount = till_money_label (total, self->currency);

      /* Translators: the drawer count's total, e.g. "Counted: €152.50". */
      label = g_strdup_printf (_ ("Counted: %s"), amount);
    }
  else
    label = g_strdup (error->message);
  gtk_label_set_text (GTK_LABEL (self->total_label), label);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
till_drawer_count_finalize (GObject *object)
{
  TillDrawerCount *self = TILL_DRAWER_COUNT (object);

  g_free (self->currency);
  g_array_unref (self->denominations);
  g_ptr_array_unref (self->spins);
  G_OBJECT_CLASS (till_drawer_count_parent_class)->finalize (object);
}

static void
till_drawer_count_class_init (TillDrawerCountClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_drawer_count_finalize;

  /* The count changed. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);
}

static void
till_drawer_count_init (TillDrawerCount *self)
{
  self->denominations = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->spins = g_ptr_array_new ();
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 12);
}

/**
 * till_drawer_count_new:
 * @currency: ISO 4217; one core has no notes and coins for is counted as one total typed in
 */
TillDrawerCount *
till_drawer_count_new (const char *currency)
{
  TillDrawerCount    *self = g_object_new (TILL_TYPE_DRAWER_COUNT, NULL);
  const TillCurrency *cur = till_currency_lookup (currency);
  GtkWidget          *grid = gtk_grid_new ();
  GtkWidget          *scrolled = gtk_scrolled_window_new ();
  const gint64       *values = NULL;
  guint               n_values = 0;

  self->currency = g_strdup (currency);
  if (cur != NULL)
    values = till_cash_get_denominations (cur, &n_values);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  for (guint i = 0; i < n_values; i++)
    {
      gint64           value = values[n_values - 1 - i];
      g_autofree char *name = till_money_label (value, currency);
      GtkWidget       *label = gtk_label_new (name);
      GtkWidget       *spin = gtk_spin_button_new_with_range (0, TILL_CASH_QUANTITY_MAX, 1);

      g_array_append_val (self->denominations, value);
      g_ptr_array_add (self->spins, spin);
      gtk_label_set_xalign (GTK_LABEL (label), 1);
      gtk_widget_add_css_class (label, "numeric");
      gtk_label_set_mnemonic_widget (GTK_LABEL (label), spin);
      gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                      -1);
      gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
      g_signal_connect_swapped (spin, "value-changed", G_CALLBACK (update_total), self);
      gtk_grid_attach (GTK_GRID (grid), label, (int) (i % 2) * 2, (int) (i / 2), 1, 1);
      gtk_grid_attach (GTK_GRID (grid), spin, (int) (i % 2) * 2 + 1, (int) (i / 2), 1, 1);
    }
  if (n_values == 0)
    {
      /* No table: the total itself, in minor units' decimal form. */
      GtkWidget *spin = gtk_spin_button_new_with_range (0, (double) TILL_AMOUNT_MAX, 1);

      gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Total")), 0, 0, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), spin, 1, 0, 1, 1);
      g_ptr_array_add (self->spins, spin);
      g_signal_connect_swapped (spin, "value-changed", G_CALLBACK (update_total), self);
    }
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), grid);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 320);
  gtk_box_append (GTK_BOX (self), scrolled);
  self->total_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->total_label, "title-3");
  gtk_box_append (GTK_BOX (self), self->total_label);
  update_total (self);
  return self;
}

/* The count's total, by core's rule (overflow-checked), or FALSE and @error. */
gboolean
till_drawer_count_get_total (TillDrawerCount *self, gint64 *out_total, GError **error)
{
  g_autofree gint64 *quantities = NULL;

  g_return_val_if_fail (TILL_IS_DRAWER_COUNT (self), FALSE);

  if (self->denominations->len == 0)
    {
      *out_total = (gint64) gtk_spin_button_get_value (g_ptr_array_index (self->spins, 0));
      return TRUE;
    }
  quantities = g_new0 (gint64, self->denominations->len);
  for (guint i = 0; i < self->denominations->len; i++)
    quantities[i] = gtk_spin_button_get_value_as_int (g_ptr_array_index (self->spins, i));
  return till_cash_count_total (till_currency_lookup (self->currency),
                                (const gint64 *) (gpointer) self->denominations->data, quantities,
                                self->denominations->len, out_total, error);
}

/* Returns: (transfer full): {"500": 2, …} (the denominations counted), or with no table the
 * total as a number. */
JsonNode *
till_drawer_count_to_json (TillDrawerCount *self)
{
  g_autoptr (JsonObject) counts = json_object_new ();

  g_return_val_if_fail (TILL_IS_DRAWER_COUNT (self), NULL);

  if (self->denominations->len == 0)
    {
      gint64 total = 0;

      till_drawer_count_get_total (self, &total, NULL);
      return json_node_init_int (json_node_alloc (), total);
    }
  for (guint i = 0; i < self->denominations->len; i++)
    {
      int quantity = gtk_spin_button_get_value_as_int (g_ptr_array_index (self->spins, i));

      if (quantity > 0)
        {
          g_autofree char *key =
              g_strdup_printf ("%" G_GINT64_FORMAT, g_array_index (self->denominations, gint64, i));
          json_object_set_int_member (counts, key, quantity);
        }
    }
  return json_node_init_object (json_node_alloc (), counts);
}

guint
till_drawer_count_get_n_denominations (TillDrawerCount *self)
{
  g_return_val_if_fail (TILL_IS_DRAWER_COUNT (self), 0);

  return self->denominations->len;
}

/* For tests and the screenshots: @quantity of @denomination. */
void
till_drawer_count_set_quantity (TillDrawerCount *self, gint64 denomination, guint quantity)
{
  g_return_if_fail (TILL_IS_DRAWER_COUNT (self));

  for (guint i = 0; i < self->denominations->len; i++)
    if (g_array_index (self->denominations, gint64, i) == denomination)
      gtk_spin_button_set_value (g_ptr_array_index (self->spins, i), quantity);
}

const char *
till_drawer_count_get_total_text (TillDrawerCount *self)
{
  g_return_val_if_fail (TILL_IS_DRAWER_COUNT (self), NULL);

  return gtk_label_get_text (GTK_LABEL (self->total_label));
}
