/* test-app-cash.c: the cash keypad: the cash rounding on its own line (on the cash part only),
 * quick amounts from core, the change, and Return taking the cash only once it covers what
 * is due.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-cash-dialog.h"
#include "till-core.h"
#include "till-money-label.h"
#include "till-test-gtk.h"
#include "till-test-util.h"

static void
on_take_cash (TillCashDialog *dialog, gint64 tendered, gint64 *out)
{
  *out = tendered;
}

static void
assert_change (TillCashDialog *dialog, gint64 amount, const char *currency)
{
  g_autofree char *label = till_money_label (amount, currency);
  gint64           change = -1;

  g_assert_true (till_cash_dialog_get_change (dialog, &change));
  g_assert_cmpint (change, ==, amount);
  g_assert_cmpstr (till_cash_dialog_get_change_text (dialog), ==, label);
}

/* CHF 13.42 with the store's 0.05 cash rounding: due in cash 13.40 (−0.02 shown), quick
 * amounts 13.40, 20, 50, 100; 20 tendered gives 6.60 change; 13 is short and Return does
 * nothing. */
static void
test_chf_rounding (void)
{
  TillCashDialog *dialog = till_cash_dialog_new (NULL, "CHF", 1342, 5);
  GPtrArray      *quick = till_cash_dialog_get_quick_buttons (dialog);
  gint64          taken = -1;
  const gint64    expected[] = { 1340, 2000, 5000, 10000 };

  g_object_ref_sink (dialog);
  g_signal_connect (dialog, "take-cash", G_CALLBACK (on_take_cash), &taken);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpint (till_cash_dialog_get_rounding (dialog), ==, -2);
  g_assert_cmpuint (quick->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < quick->len; i++)
    {
      g_autofree char *label = till_money_label (expected[i], "CHF");

      g_assert_cmpstr (gtk_button_get_label (g_ptr_array_index (quick, i)), ==, label);
    }

  gtk_editable_set_text (till_cash_dialog_get_entry (dialog), "13");
  g_assert_false (till_cash_dialog_get_change (dialog, NULL));
  g_signal_emit_by_name (till_cash_dialog_get_entry (dialog), "activate");
  g_assert_cmpint (taken, ==, -1);

  gtk_editable_set_text (till_cash_dialog_get_entry (dialog), "20");
  assert_change (dialog, 660, "CHF");
  g_signal_emit_by_name (till_cash_dialog_get_entry (dialog), "activate");
  g_assert_cmpint (taken, ==, 2000);

  /* The exact quick amount: no change. Alt+1 is the first quick amount. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "cash.quick", "i", 0);
  assert_change (dialog, 0, "CHF");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "cash.take", NULL);
  g_assert_cmpint (taken, ==, 1340);

  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
}

/* No rounding (EUR): the amount is due as it is; the quick amounts are the next notes up;
 * what does not read as an amount is said so. */
static void
test_eur (void)
{
  TillCashDialog *dialog = till_cash_dialog_new (NULL, "EUR", 1340, 0);
  GPtrArray      *quick = till_cash_dialog_get_quick_buttons (dialog);
  const gint64    expected[] = { 1340, 1500, 2000, 5000 };

  g_object_ref_sink (dialog);
  g_assert_cmpint (till_cash_dialog_get_rounding (dialog), ==, 0);
  for (guint i = 0; i < quick->len; i++)
    {
      g_autofree char *label = till_money_label (expected[i], "EUR");

      g_assert_cmpstr (gtk_button_get_label (g_ptr_array_index (quick, i)), ==, label);
    }
  gtk_editable_set_text (till_cash_dialog_get_entry (dialog), "20.005");
  g_assert_false (till_cash_dialog_get_change (dialog, NULL));
  gtk_editable_set_text (till_cash_dialog_get_entry (dialog), "50");
  assert_change (dialog, 3660, "EUR");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
}

int
main (int argc, char **argv)
{
  till_test_init_gtk (&argc, &argv);
  g_test_add_func ("/app/cash/keypad/chf-rounding", test_chf_rounding);
  g_test_add_func ("/app/cash/keypad/eur", test_eur);
  return g_test_run ();
}
