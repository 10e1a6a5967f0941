/* till-printer-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The printer is kept in GSettings (`receipt-printer`, `receipt-paper-width`), read again by
 * each till_receipt_print_async(). An address is saved only once it is one; what was typed
 * stays in the row for correcting.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-core.h"
#include "till-printer-page-private.h"
#include "till-receipt-printer.h"

struct _TillPrinterPage
{
  AdwPreferencesPage parent_instance;

  GSettings    *settings;
  GCancellable *cancellable;

  AdwEntryRow *address_row;
  AdwComboRow *paper_row;
  GtkButton   *test_button;
  GtkLabel    *message_label;

  AdwPreferencesGroup *found_group;
  GtkButton           *search_button;
  GPtrArray           *found_rows;    /* AdwActionRow, in found_group */
  GPtrArray           *found_buttons; /* their "Use" buttons */

  GStrv   probe_hosts; /* NULL: the local networks */
  guint16 probe_port;
  guint   busy;
};

G_DEFINE_FINAL_TYPE (TillPrinterPage, till_printer_page, ADW_TYPE_PREFERENCES_PAGE)

static void
say (TillPrinterPage *self, const char *message, gboolean error)
{
  gtk_label_set_text (self->message_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "error");
}

static void
on_address_applied (AdwEntryRow *row, TillPrinterPage *self)
{
  g_autofree char *address = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
  g_autoptr (GError) error = NULL;

  if (*address != '\0' && !till_receipt_printer_address_is_valid (address, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      say (self, error->message, TRUE);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  g_settings_set_string (self->settings, "receipt-printer", address);
  if (*address == '\0')
    say (self, _ ("No receipt printer: receipts go through the print dialog."), FALSE);
  else
    say (self, NULL, FALSE);
}

static void
on_printer_changed (GSettings *settings, const char *key, TillPrinterPage *self)
{
  g_autofree char *address = g_settings_get_string (settings, "receipt-printer");

  if (g_strcmp0 (address, gtk_editable_get_text (GTK_EDITABLE (self->address_row))) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->address_row), address);
  gtk_widget_remove_css_class (GTK_WIDGET (self->address_row), "error");
}

static void
on_paper_selected (AdwComboRow *row, GParamSpec *pspec, TillPrinterPage *self)
{
  guint width = adw_combo_row_get_selected (row) == 0 ? 58 : 80;

  if (g_settings_get_uint (self->settings, "receipt-paper-width") != width)
    g_settings_set_uint (self->settings, "receipt-paper-width", width);
}

static void
on_test_page_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillPrinterPage) self = user_data;
  g_autoptr (GError) error = NULL;

  self->busy--;
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), TRUE);
  if (!till_receipt_printer_send_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        say (self, error->message, TRUE);
      return;
    }
  say (self, _ ("The test page was printed."), FALSE);
}

static void
on_test_clicked (GtkButton *button, TillPrinterPage *self)
{
  g_autofree char *address = g_settings_get_string (self->settings, "receipt-printer");
  g_autoptr (GBytes) job = NULL;

  if (*address == '\0')
    {
      say (self, _ ("Choose a receipt printer first: find it on the network or type its address."),
           TRUE);
      return;
    }
  job =
      till_receipt_printer_test_page (g_settings_get_uint (self->settings, "receipt-paper-width"));
  self->busy++;
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), FALSE);
  say (self, _ ("Printing a test page…"), FALSE);
  till_receipt_printer_send_async (address, job, self->cancellable, on_test_page_sent,
                                   g_object_ref (self));
}

static void
on_use_clicked (GtkButton *button, TillPrinterPage *self)
{
  const char      *address = g_object_get_data (G_OBJECT (button), "till-address");
  g_autofree char *text = NULL;

  g_settings_set_string (self->settings, "receipt-printer", address);
  /* Translators: %s is a printer's address. */
  text = g_strdup_printf (_ ("Receipts now print at %s."), address);
  say (self, text, FALSE);
}

static void
clear_found (TillPrinterPage *self)
{
  for (guint i = 0; i < self->found_rows->len; i++)
    adw_preferences_group_remove (self->found_group, g_ptr_array_index (self->found_rows, i));
  g_ptr_array_set_size (self->found_rows, 0);
  g_ptr_array_set_size (self->found_buttons, 0);
}

static void
on_discovered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillPrinterPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) found = till_receipt_printer_discover_finish (result, &error);

  self->busy--;
  gtk_widget_set_sensitive (GTK_WIDGET (self->search_button), TRUE);
  if (found == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        adw_preferences_group_set_description (self->found_group, error->message);
      return;
    }
  if (found[0] == NULL)
    {
      adw_preferences_group_set_description (
          self->found_group, _ ("No printer answered on port 9100. Is it on, and on this network? "
                                "Its address can be typed above."));
      return;
    }
  adw_preferences_group_set_description (self->found_group, _ ("These answered on port 9100:"));
  for (guint i = 0; found[i] != NULL; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *use = gtk_button_new_with_label (_ ("Use"));

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), found[i]);
      gtk_widget_set_valign (use, GTK_ALIGN_CENTER);
      g_object_set_data_full (G_OBJECT (use), "till-address", g_strdup (found[i]), g_free);
      g_signal_connect (use, "clicked", G_CALLBACK (on_use_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), use);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), use);
      adw_preferences_group_add (self->found_group, row);
      g_ptr_array_add (self->found_rows, row);
      g_ptr_array_add (self->found_buttons, use);
    }
}

static void
on_search_clicked (GtkButton *button, TillPrinterPage *self)
{
  g_auto (GStrv) hosts =
      self->probe_hosts ? g_strdupv (self->probe_hosts) : till_receipt_printer_local_hosts ();

  clear_found (self);
  if (hosts[0] == NULL)
    {
      adw_preferences_group_set_description (
          self->found_group, _ ("This computer is on no network to search. Type the printer’s "
                                "address above."));
      return;
    }
  self->busy++;
  gtk_widget_set_sensitive (GTK_WIDGET (self->search_button), FALSE);
  adw_preferences_group_set_description (self->found_group,
                                         _ ("Searching the local network (port 9100)…"));
  till_receipt_printer_discover_async ((const char *const *) hosts, self->probe_port,
                                       self->cancellable, on_discovered, g_object_ref (self));
}

static GtkWidget *
new_wrapping_label (void)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_margin_top (label, 12);
  return label;
}

static void
till_printer_page_dispose (GObject *object)
{
  TillPrinterPage *self = TILL_PRINTER_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (till_printer_page_parent_class)->dispose (object);
}

static void
till_printer_page_finalize (GObject *object)
{
  TillPrinterPage *self = TILL_PRINTER_PAGE (object);

  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->found_rows);
  g_ptr_array_unref (self->found_buttons);
  g_strfreev (self->probe_hosts);
  G_OBJECT_CLASS (till_printer_page_parent_class)->finalize (object);
}

static void
till_printer_page_class_init (TillPrinterPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_printer_page_dispose;
  object_class->finalize = till_printer_page_finalize;
}

static void
till_printer_page_init (TillPrinterPage *self)
{
  AdwPreferencesGroup *printer = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  const char *const    papers[] = { _ ("58 mm"), _ ("80 mm"), NULL };
  g_autofree char     *address = NULL;
  GtkWidget           *test_row;

  self->settings = g_settings_new (TILL_APP_ID);
  self->cancellable = g_cancellable_new ();
  self->found_rows = g_ptr_array_new ();
  self->found_buttons = g_ptr_array_new ();
  self->probe_port = TILL_ESCPOS_PORT;

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _ ("Printer"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "printer-symbolic");

  adw_preferences_group_set_title (printer, _ ("Receipt Printer"));
  adw_preferences_group_set_description (
      printer, _ ("An ESC/POS thermal printer on the network or on USB (such as "
                  "/dev/usb/lp0). With none, receipts go through the print dialog."));

  self->address_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->address_row), _ ("Address"));
  adw_entry_row_set_show_apply_button (self->address_row, TRUE);
  address = g_settings_get_string (self->settings, "receipt-printer");
  gtk_editable_set_text (GTK_EDITABLE (self->address_row), address);
  g_signal_connect (self->address_row, "apply", G_CALLBACK (on_address_applied), self);
  adw_preferences_group_add (printer, GTK_WIDGET (self->address_row));

  self->paper_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->paper_row), _ ("Paper Width"));
  adw_combo_row_set_model (self->paper_row, G_LIST_MODEL (gtk_string_list_new (papers)));
  adw_combo_row_set_selected (
      self->paper_row, g_settings_get_uint (self->settings, "receipt-paper-width") <= 58 ? 0 : 1);
  g_signal_connect (self->paper_row, "notify::selected", G_CALLBACK (on_paper_selected), self);
  adw_preferences_group_add (printer, GTK_WIDGET (self->paper_row));

  test_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (test_row), _ ("Test Page"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (test_row),
                               _ ("The paper’s width, Turkish and German letters, a QR code"));
  self->test_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_ ("_Print Test Page")));
  gtk_widget_set_valign (GTK_WIDGET (self->test_button), GTK_ALIGN_CENTER);
  g_signal_connect (self->test_button, "clicked", G_CALLBACK (on_test_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (test_row), GTK_WIDGET (self->test_button));
  adw_preferences_group_add (printer, test_row);

  self->message_label = GTK_LABEL (new_wrapping_label ());
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), FALSE);
  adw_preferences_group_add (printer, GTK_WIDGET (self->message_label));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), printer);

  self->found_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->found_group, _ ("Printers on the Network"));
  self->search_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_ ("_Search")));
  gtk_widget_set_valign (GTK_WIDGET (self->search_button), GTK_ALIGN_CENTER);
  g_signal_connect (self->search_button, "clicked", G_CALLBACK (on_search_clicked), self);
  adw_preferences_group_set_header_suffix (self->found_group, GTK_WIDGET (self->search_button));
  adw_preferences_group_set_description (
      self->found_group, _ ("Search asks every address of the local network whether a printer "
                            "listens on port 9100."));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->found_group);

  g_signal_connect (self->settings, "changed::receipt-printer", G_CALLBACK (on_printer_changed),
                    self);
}

GtkWidget *
till_printer_page_new (void)
{
  return g_object_new (TILL_TYPE_PRINTER_PAGE, NULL);
}

void
till_printer_page_set_probe (TillPrinterPage *self, const char *const *hosts, guint16 port)
{
  g_return_if_fail (TILL_IS_PRINTER_PAGE (self));

  g_strfreev (self->probe_hosts);
  self->probe_hosts = g_strdupv ((char **) hosts);
  self->probe_port = port;
}

AdwEntryRow *
till_printer_page_get_address_row (TillPrinterPage *self)
{
  return self->address_row;
}

AdwComboRow *
till_printer_page_get_paper_row (TillPrinterPage *self)
{
  return self->paper_row;
}

GtkButton *
till_printer_page_get_search_button (TillPrinterPage *self)
{
  return self->search_button;
}

GtkButton *
till_printer_page_get_test_button (TillPrinterPage *self)
{
  return self->test_button;
}

GPtrArray *
till_printer_page_get_found_buttons (TillPrinterPage *self)
{
  return self->found_buttons;
}

const char *
till_printer_page_get_message (TillPrinterPage *self)
{
  if (!gtk_widget_get_visible (GTK_WIDGET (self->message_label)))
    return NULL;
  return gtk_label_get_text (self->message_label);
}

gboolean
till_printer_page_is_busy (TillPrinterPage *self)
{
  return self->busy > 0;
}
