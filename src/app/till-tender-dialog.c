/* till-tender-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Responses "card", "cash", "split" and "cancel" (Escape); Return gives the cashier's default
 * (GSettings `default-tender`: card unless set to cash). One key each
 * as well, without Alt, for a cashier whose hands are on the keyboard: C for Card, A or F2 for
 * Cash (F2 in the window goes to the cash keypad without this question), S for Split.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-tender-dialog.h"

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                AdwMessageDialog      *dialog)
{
  if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0)
    return FALSE;
  switch (gdk_keyval_to_lower (keyval))
    {
      case GDK_KEY_c:
        adw_message_dialog_response (dialog, "card");
        return TRUE;
      case GDK_KEY_a:
      case GDK_KEY_F2:
        adw_message_dialog_response (dialog, "cash");
        return TRUE;
      case GDK_KEY_s:
        if (!adw_message_dialog_has_response (dialog, "split"))
          return FALSE;
        adw_message_dialog_response (dialog, "split");
        return TRUE;
      default:
        return FALSE;
    }
}

/**
 * till_tender_dialog_new:
 * @total_label: the total as shown ("€13.40")
 * @split: whether to offer Split (part cash, the rest by card)
 *
 * Returns: (transfer floating): the question; connect to its "response" and present it.
 */
AdwMessageDialog *
till_tender_dialog_new (GtkWindow *parent, const char *total_label, gboolean split)
{
  AdwMessageDialog *dialog =
      ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, _ ("How Does the Customer Pay?"), NULL));
  GtkEventController *controller = gtk_event_controller_key_new ();

  if (split)
    /* Translators: %s is the total, e.g. "€13.40"; the letters are the keys. */
    adw_message_dialog_format_body (dialog, _ ("%s. Card: C or Return. Cash: A or F2. Split: S."),
                                    total_label);
  else
    /* Translators: %s is the total, e.g. "€13.40". */
    adw_message_dialog_format_body (dialog, _ ("%s. Card: C or Return. Cash: A or F2."),
                                    total_label);
  adw_message_dialog_add_response (dialog, "cancel", _ ("_Back"));
  if (split)
    adw_message_dialog_add_response (dialog, "split", _ ("_Split"));
  adw_message_dialog_add_response (dialog, "cash", _ ("C_ash"));
  adw_message_dialog_add_response (dialog, "card", _ ("_Card"));
  adw_message_dialog_set_response_appearance (dialog, "card", ADW_RESPONSE_SUGGESTED);
  {
    g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
    g_autofree char *tender = g_settings_get_string (settings, "default-tender");

    adw_message_dialog_set_default_response (dialog,
                                             g_str_equal (tender, "cash") ? "cash" : "card");
  }
  adw_message_dialog_set_close_response (dialog, "cancel");
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "key-pressed", G_CALLBACK (on_key_pressed), dialog);
  gtk_widget_add_controller (GTK_WIDGET (dialog), controller);
  return dialog;
}

static void
unref_settings (gpointer data, GClosure *closure)
{
  g_object_unref (data);
}

static void
on_default_selected (AdwComboRow *row, GParamSpec *pspec, GSettings *settings)
{
  g_settings_set_string (settings, "default-tender",
                         adw_combo_row_get_selected (row) == 1 ? "cash" : "card");
}

/**
 * till_tender_dialog_new_preferences_page:
 *
 * Returns: (transfer floating): the preferences' Cash page: what Return chooses at Charge.
 */
GtkWidget *
till_tender_dialog_new_preferences_page (void)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  g_autofree char *tender = g_settings_get_string (settings, "default-tender");
  g_autoptr (GtkStringList) choices =
      gtk_string_list_new ((const char *const[]){ _ ("Card"), _ ("Cash"), NULL });

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (page), _ ("Cash"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (page),
                                      "accessories-calculator-symbolic");
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _ ("Charge"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("Return Chooses"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               _ ("How most customers pay here: Return takes it at Charge"));
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (choices));
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), g_str_equal (tender, "cash") ? 1 : 0);
  g_signal_connect_data (row, "notify::selected", G_CALLBACK (on_default_selected),
                         g_steal_pointer (&settings), unref_settings, 0);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));
  return page;
}
