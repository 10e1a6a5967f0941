/* till-cash-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Keyboard first: the amount tendered has the focus; digits type it, Alt+1 … Alt+4 take the
 * quick amounts (exact, then the next notes up), Return takes the cash once it covers what
 * is due, Escape goes back. Every figure comes from core's cash rules (till-cash.h): the
 * rounding applies to the cash part only and is shown as a line of its own.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-cash-dialog.h"
#include "till-core.h"
#include "till-money-label.h"

#define N_QUICK 4

struct _TillCashDialog
{
  AdwWindow parent_instance;

  char    *currency;
  gint64   amount;    /* the cash part, before rounding */
  gint64   increment; /* the cash rounding's, 0: none */
  gint64   rounding;  /* what the rounding adds to the amount */
  gint64   tendered;
  gint64   change;
  gboolean valid; /* tendered reads and covers amount + rounding */

  GtkWidget *entry;
  GtkWidget *change_label;
  GtkWidget *change_title;
  GtkWidget *take_button;
  GtkWidget *message_label;
  GPtrArray *quick_buttons;
};

G_DEFINE_FINAL_TYPE (TillCashDialog, till_cash_dialog, ADW_TYPE_WINDOW)

enum
{
  TAKE_CASH,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update (TillCashDialog *self)
{
  const TillCurrency *currency = till_currency_lookup (self->currency);
  g_autofree char    *text =
      g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));
  g_autoptr (GError) error = NULL;
  g_autofree char *label = NULL;
  gint64           rounding = 0;

  self->valid = FALSE;
  if (*text == '\0')
    {
      gtk_label_set_text (GTK_LABEL (self->change_title), _ ("Change"));
      gtk_label_set_text (GTK_LABEL (self->change_label), "—");
      gtk_widget_remove_css_class (self->change_label, "error");
    }
  else if (!till_money_parse_localized (text, currency, till_money_label_locale (),
                                        TILL_PARSE_DEFAULT, &self->tendered, &error))
    {
      gtk_label_set_text (GTK_LABEL (self->change_title), _ ("Not an amount"));
      gtk_label_set_text (GTK_LABEL (self->change_label), "—");
      gtk_widget_add_css_class (self->change_label, "error");
    }
  else if (!till_cash_tender (self->amount, self->increment, self->tendered, &rounding,
                              &self->change, &error))
    {
      gint64 short_by = self->amount + self->rounding - self->tendered;

      label = till_money_label (MAX (short_by, 0), self->currency);
      gtk_label_set_text (GTK_LABEL (self->change_title), _ ("Short by"));
      gtk_label_set_text (GTK_LABEL (self->change_label), label);
      gtk_widget_add_css_class (self->change_label, "error");
    }
  else
    {
      self->valid = TRUE;
      label = till_money_label (self->change, self->currency);
      gtk_label_set_text (GTK_LABEL (self->change_title), _ ("Change"));
      gtk_label_set_text (GTK_LABEL (self->change_label), label);
      gtk_widget_remove_css_class (self->change_label, "error");
    }
  gtk_widget_set_sensitive (self->take_button, self->valid);
}

static void
on_entry_changed (TillCashDialog *self)
{
  update (self);
}

static void
take (TillCashDialog *self)
{
  if (!self->valid || !gtk_widget_get_sensitive (self->take_button))
    return;
  g_signal_emit (self, signals[TAKE_CASH], 0, self->tendered);
}

static void
on_entry_activate (TillCashDialog *self)
{
  take (self);
}

static void
on_quick_clicked (GtkButton *button, TillCashDialog *self)
{
  gint64              amount = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (button), "amount"));
  const TillCurrency *currency = till_currency_lookup (self->currency);
  g_autofree char    *text = till_money_to_decimal_string (amount, currency);

  gtk_editable_set_text (GTK_EDITABLE (self->entry), text);
  gtk_editable_set_position (GTK_EDITABLE (self->entry), -1);
  gtk_widget_grab_focus (self->entry);
}

static void
quick_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  TillCashDialog *self = TILL_CASH_DIALOG (widget);
  guint           index = (guint) g_variant_get_int32 (parameter);

  if (index < self->quick_buttons->len)
    g_signal_emit_by_name (g_ptr_array_index (self->quick_buttons, index), "clicked");
}

static void
take_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  take (TILL_CASH_DIALOG (widget));
}

static void
till_cash_dialog_finalize (GObject *object)
{
  TillCashDialog *self = TILL_CASH_DIALOG (object);

  g_free (self->currency);
  g_ptr_array_unref (self->quick_buttons);
  G_OBJECT_CLASS (till_cash_dialog_parent_class)->finalize (object);
}

/* The focused entry lets go first: a GtkText destroyed with the focus warns that it never
 * had its focus-out. */
static gboolean
till_cash_dialog_close_request (GtkWindow *window)
{
  gtk_window_set_focus (window, NULL);
  return GTK_WINDOW_CLASS (till_cash_dialog_parent_class)->close_request (window);
}

static void
till_cash_dialog_class_init (TillCashDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  GTK_WINDOW_CLASS (klass)->close_request = till_cash_dialog_close_request;

  object_class->finalize = till_cash_dialog_finalize;

  /**
   * TillCashDialog::take-cash:
   * @tendered: what the customer handed over, in minor units
   *
   * The cashier took the cash: record the sale, then close the dialog.
   */
  signals[TAKE_CASH] = g_signal_new ("take-cash", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);

  gtk_widget_class_install_action (widget_class, "cash.quick", "i", quick_action);
  gtk_widget_class_install_action (widget_class, "cash.take", NULL, take_action);
  for (int i = 0; i < N_QUICK; i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK, "cash.quick",
                                         "i", i);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
till_cash_dialog_init (TillCashDialog *self)
{
  self->quick_buttons = g_ptr_array_new ();
}

static GtkWidget *
amount_row (GtkWidget *box, const char *title, const char *amount, const char *style)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *left = gtk_label_new (title);
  GtkWidget *right = gtk_label_new (amount);

  gtk_widget_set_hexpand (left, TRUE);
  gtk_label_set_xalign (GTK_LABEL (left), 0);
  gtk_label_set_xalign (GTK_LABEL (right), 1);
  gtk_widget_add_css_class (right, "numeric");
  if (style != NULL)
    {
      gtk_widget_add_css_class (left, style);
      gtk_widget_add_css_class (right, style);
    }
  gtk_box_append (GTK_BOX (row), left);
  gtk_box_append (GTK_BOX (row), right);
  gtk_box_append (GTK_BOX (box), row);
  return right;
}

/**
 * till_cash_dialog_new:
 * @currency: ISO 4217
 * @amount: the cash part before rounding (the whole total for a cash sale)
 * @rounding_increment: the store's cash rounding (GET /api/v1/config `cash_rounding`), 0 for
 *   none
 */
TillCashDialog *
till_cash_dialog_new (GtkWindow  *parent,
                      const char *currency,
                      gint64      amount,
                      gint64      rounding_increment)
{
  TillCashDialog     *self = g_object_new (TILL_TYPE_CASH_DIALOG, "modal", TRUE, "transient-for",
                                           parent, "default-width", 420, "title", _ ("Cash"), NULL);
  const TillCurrency *cur = till_currency_lookup (currency);
  GtkWidget          *toolbar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget          *header = adw_header_bar_new ();
  GtkWidget          *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget          *quick = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget          *cancel = gtk_button_new_with_mnemonic (_ ("_Back"));
  g_autofree char    *amount_text = till_money_label (amount, currency);
  g_autoptr (GArray) quick_amounts = NULL;

  g_return_val_if_fail (cur != NULL, NULL);

  self->currency = g_strdup (currency);
  self->amount = amount;
  self->increment = rounding_increment;
  self->rounding =
      rounding_increment > 0
          ? till_cash_round (amount, rounding_increment, TILL_CASH_ROUND_NEAREST) - amount
          : 0;

  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel), "window.close");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  self->take_button = gtk_button_new_with_mnemonic (_ ("_Take Cash"));
  gtk_widget_add_css_class (self->take_button, "suggested-action");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->take_button), "cash.take");
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->take_button);
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  gtk_box_append (GTK_BOX (toolbar), header);

  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  amount_row (box, _ ("Due"), amount_text, self->rounding != 0 ? NULL : "title-2");
  if (self->rounding != 0)
    {
      g_autofree char *rounding_text = till_money_label (self->rounding, currency);
      g_autofree char *signed_text =
          self->rounding > 0 ? g_strconcat ("+", rounding_text, NULL) : g_strdup (rounding_text);
      g_autofree char *cash_due = till_money_label (amount + self->rounding, currency);

      /* Translators: the line that shows the cash rounding (e.g. CHF to 0.05). */
      amount_row (box, _ ("Cash rounding"), signed_text, "dim-label");
      amount_row (box, _ ("Due in cash"), cash_due, "title-2");
    }

  self->entry = gtk_entry_new ();
  gtk_entry_set_input_purpose (GTK_ENTRY (self->entry), GTK_INPUT_PURPOSE_NUMBER);
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->entry), _ ("Amount tendered"));
  gtk_widget_add_css_class (self->entry, "title-2");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Amount tendered"), -1);
  g_signal_connect_swapped (self->entry, "changed", G_CALLBACK (on_entry_changed), self);
  g_signal_connect_swapped (self->entry, "activate", G_CALLBACK (on_entry_activate), self);
  gtk_box_append (GTK_BOX (box), self->entry);

  quick_amounts = till_cash_quick_amounts (amount + self->rounding, cur, N_QUICK);
  gtk_box_set_homogeneous (GTK_BOX (quick), TRUE);
  for (guint i = 0; quick_amounts != NULL && i < quick_amounts->len; i++)
    {
      gint64           value = g_array_index (quick_amounts, gint64, i);
      g_autofree char *label = till_money_label (value, currency);
      GtkWidget       *button = gtk_button_new_with_label (label);
      g_autofree char *tip = g_strdup_printf ("Alt+%u", i + 1);

      g_object_set_data (G_OBJECT (button), "amount", GSIZE_TO_POINTER ((gsize) value));
      gtk_widget_set_tooltip_text (button, tip);
      g_signal_connect (button, "clicked", G_CALLBACK (on_quick_clicked), self);
      gtk_box_append (GTK_BOX (quick), button);
      g_ptr_array_add (self->quick_buttons, button);
    }
  gtk_box_append (GTK_BOX (box), quick);

  self->change_title = gtk_label_new (_ ("Change"));
  gtk_widget_add_css_class (self->change_title, "heading");
  gtk_box_append (GTK_BOX (box), self->change_title);
  self->change_label = gtk_label_new ("—");
  gtk_widget_add_css_class (self->change_label, "title-1");
  gtk_widget_add_css_class (self->change_label, "numeric");
  gtk_box_append (GTK_BOX (box), self->change_label);
  self->message_label = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->message_label), TRUE);
  gtk_widget_set_visible (self->message_label, FALSE);
  gtk_box_append (GTK_BOX (box), self->message_label);

  gtk_box_append (GTK_BOX (toolbar), box);
  adw_window_set_content (ADW_WINDOW (self), toolbar);
  update (self);
  gtk_widget_grab_focus (self->entry);
  return self;
}

/* What the cash rounding adds to the amount (negative: takes off). */
gint64
till_cash_dialog_get_rounding (TillCashDialog *self)
{
  g_return_val_if_fail (TILL_IS_CASH_DIALOG (self), 0);

  return self->rounding;
}

/* Whether the amount typed reads and covers what is due; then *@out_tendered is it. */
gboolean
till_cash_dialog_get_tendered (TillCashDialog *self, gint64 *out_tendered)
{
  g_return_val_if_fail (TILL_IS_CASH_DIALOG (self), FALSE);

  if (self->valid && out_tendered != NULL)
    *out_tendered = self->tendered;
  return self->valid;
}

gboolean
till_cash_dialog_get_change (TillCashDialog *self, gint64 *out_change)
{
  g_return_val_if_fail (TILL_IS_CASH_DIALOG (self), FALSE);

  if (self->valid && out_change != NULL)
    *out_change = self->change;
  return self->valid;
}

const char *
till_cash_dialog_get_change_text (TillCashDialog *self)
{
  g_return_val_if_fail (TILL_IS_CASH_DIALOG (self), NULL);

  return gtk_label_get_text (GTK_LABEL (self->change_label));
}

GtkEditable *
till_cash_dialog_get_entry (TillCashDialog *self)
{
  g_return_val_if_fail (TILL_IS_CASH_DIALOG (self), NULL);

  return GTK_EDITABLE (self->entry);
}

/* Returns: (transfer none) (element-type GtkButton): the quick amounts' buttons. */
GPtrArray *
till_cash_dialog_get_quick_buttons (TillCashDialog *self)
{
  g_return_val_if_fail (TILL_IS_CASH_DIALOG (self), NULL);

  return self->quick_buttons;
}

/* While the sale is being recorded: nothing can be changed; @message (or NULL) says why it
 * was not, once it is over. */
void
till_cash_dialog_set_busy (TillCashDialog *self, gboolean busy, const char *message)
{
  g_return_if_fail (TILL_IS_CASH_DIALOG (self));

  /* The entry lets go of the focus before it goes insensitive: GtkText would keep blinking. */
  if (busy)
    gtk_window_set_focus (GTK_WINDOW (self), NULL);
  gtk_widget_set_sensitive (self->entry, !busy);
  gtk_widget_set_sensitive (self->take_button, !busy && self->valid);
  for (guint i = 0; i < self->quick_buttons->len; i++)
    gtk_widget_set_sensitive (g_ptr_array_index (self->quick_buttons, i), !busy);
  gtk_label_set_text (GTK_LABEL (self->message_label), message != NULL ? message : "");
  gtk_widget_set_visible (self->message_label, message != NULL);
  if (!busy)
    gtk_widget_grab_focus (self->entry);
}

/* What the keypad says about the last try (empty: nothing). */
const char *
till_cash_dialog_get_message (TillCashDialog *self)
{
  g_return_val_if_fail (TILL_IS_CASH_DIALOG (self), NULL);

  return gtk_label_get_text (GTK_LABEL (self->message_label));
}
