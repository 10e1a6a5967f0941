/* till-cash-reports-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The reports are the server's; a Z report once made never changes there, so the one shown
 * and printed again is the same. Z closes the day of this till: the drawer must be closed
 * first (Cash Drawer), and the server says so otherwise.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-cash-report.h"
#include "till-cash-reports-dialog.h"
#include "till-error-message.h"

struct _TillCashReportsDialog
{
  AdwWindow parent_instance;

  TillClient   *client;
  GCancellable *cancellable;
  char         *currency;
  JsonObject   *report; /* shown */
  guint         busy;

  GtkListBox  *list;
  GtkTextView *text;
  GtkLabel    *message;
  GtkWidget   *print_button;
};

G_DEFINE_FINAL_TYPE (TillCashReportsDialog, till_cash_reports_dialog, ADW_TYPE_WINDOW)

static void
set_message (TillCashReportsDialog *self, const char *text)
{
  gtk_label_set_text (self->message, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message), text != NULL && *text != '\0');
}

static void
show_error (TillCashReportsDialog *self, const GError *error)
{
  if (g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_INVALID_REQUEST) ||
      g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_CONFLICT))
    set_message (self, error->message);
  else
    {
      g_autoptr (TillErrorMessage) message = till_error_message_new (error);
      g_autofree char *text = g_strdup_printf ("%s %s", message->title, message->next_step);

      set_message (self, text);
    }
}

static void
show_report (TillCashReportsDialog *self, JsonObject *report)
{
  g_autofree char *text = till_cash_report_format (report, self->currency, TILL_RECEIPT_WIDTH);

  g_clear_pointer (&self->report, json_object_unref);
  self->report = json_object_ref (report);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text), text, -1);
  gtk_widget_set_sensitive (self->print_button, TRUE);
}

/* The report in an answer: {"report": …}, or the answer itself. */
static JsonObject *
report_of (JsonObject *answer)
{
  if (json_object_has_member (answer, "report") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (answer, "report")))
    return json_object_get_object_member (answer, "report");
  return answer;
}

static void load_list (TillCashReportsDialog *self);

static void
on_report (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillCashReportsDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer =
      till_client_cash_request_finish (TILL_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy--;
  if (answer == NULL)
    {
      g_message ("A report could not be read: %s", error->message);
      show_error (self, error);
      return;
    }
  set_message (self, NULL);
  show_report (self, report_of (answer));
  if (json_object_has_member (report_of (answer), "number"))
    load_list (self);
}

void
till_cash_reports_dialog_show_x (TillCashReportsDialog *self)
{
  self->busy++;
  till_client_cash_request_async (self->client, "/api/v1/reports/x", NULL, NULL, self->cancellable,
                                  on_report, g_object_ref (self));
}

/* POST /api/v1/reports/z: the next Z, which closes the day of this till. */
void
till_cash_reports_dialog_make_z (TillCashReportsDialog *self)
{
  g_autoptr (JsonNode) body = json_node_init_object (json_node_alloc (), json_object_new ());

  self->busy++;
  till_client_cash_request_async (self->client, "/api/v1/reports/z", body, NULL, self->cancellable,
                                  on_report, g_object_ref (self));
}

void
till_cash_reports_dialog_show_z (TillCashReportsDialog *self, const char *number)
{
  g_autofree char *escaped = g_uri_escape_string (number, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/api/v1/reports/z/", escaped, NULL);

  self->busy++;
  till_client_cash_request_async (self->client, path, NULL, NULL, self->cancellable, on_report,
                                  g_object_ref (self));
}

static void
on_row_activated (GtkListBox *list, GtkListBoxRow *row, TillCashReportsDialog *self)
{
  till_cash_reports_dialog_show_z (self, g_object_get_data (G_OBJECT (row), "number"));
}

static JsonArray *
first_array (JsonObject *answer)
{
  const char *const names[] = { "reports", "data", "z_reports", NULL };

  for (guint i = 0; names[i] != NULL; i++)
    if (json_object_has_member (answer, names[i]) &&
        JSON_NODE_HOLDS_ARRAY (json_object_get_member (answer, names[i])))
      return json_object_get_array_member (answer, names[i]);
  return NULL;
}

static void
on_list (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillCashReportsDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer =
      till_client_cash_request_finish (TILL_CLIENT (source), result, &error);
  JsonArray *reports;
  GtkWidget *child;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy--;
  if (answer == NULL)
    {
      g_message ("The Z reports could not be listed: %s", error->message);
      show_error (self, error);
      return;
    }
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  reports = first_array (answer);
  for (guint i = 0; reports != NULL && i < json_array_get_length (reports); i++)
    {
      JsonObject *report = json_array_get_object_element (reports, i);
      const char *number = json_object_get_string_member_with_default (report, "number", "?");
      const char *to = json_object_get_string_member_with_default (report, "to", "");
      const char *terminal = json_object_get_string_member_with_default (report, "terminal", "");
      GtkWidget  *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), number);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), *terminal != '\0' ? terminal : to);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "number", g_strdup (number), g_free);
      gtk_list_box_append (self->list, row);
    }
}

static void
load_list (TillCashReportsDialog *self)
{
  self->busy++;
  till_client_cash_request_async (self->client, "/api/v1/reports/z", NULL, NULL, self->cancellable,
                                  on_list, g_object_ref (self));
}

static void
on_printed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillCashReportsDialog) self = user_data;
  g_autoptr (GError) error = NULL;

  self->busy--;
  if (!till_cash_report_print_finish (result, &error))
    {
      g_message ("The report was not printed: %s", error->message);
      set_message (self, error->message);
    }
  else
    set_message (self, _ ("The report was printed."));
}

/* Prints the report shown, where receipts go (ESC/POS, or the print dialog for A4 and PDF). */
void
till_cash_reports_dialog_print (TillCashReportsDialog *self)
{
  if (self->report == NULL)
    return;
  self->busy++;
  till_cash_report_print_async (self->report, self->currency, GTK_WINDOW (self), NULL, on_printed,
                                g_object_ref (self));
}

static void
till_cash_reports_dialog_dispose (GObject *object)
{
  TillCashReportsDialog *self = TILL_CASH_REPORTS_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->report, json_object_unref);
  G_OBJECT_CLASS (till_cash_reports_dialog_parent_class)->dispose (object);
}

static void
till_cash_reports_dialog_finalize (GObject *object)
{
  g_free (TILL_CASH_REPORTS_DIALOG (object)->currency);
  G_OBJECT_CLASS (till_cash_reports_dialog_parent_class)->finalize (object);
}

/* The focused entry lets go first: a GtkText destroyed with the focus warns that it never
 * had its focus-out. */
static gboolean
till_cash_reports_dialog_close_request (GtkWindow *window)
{
  gtk_window_set_focus (window, NULL);
  return GTK_WINDOW_CLASS (till_cash_reports_dialog_parent_class)->close_request (window);
}

static void
till_cash_reports_dialog_class_init (TillCashReportsDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  GTK_WINDOW_CLASS (klass)->close_request = till_cash_reports_dialog_close_request;

  object_class->dispose = till_cash_reports_dialog_dispose;
  object_class->finalize = till_cash_reports_dialog_finalize;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
till_cash_reports_dialog_init (TillCashReportsDialog *self)
{
  self->cancellable = g_cancellable_new ();
}

static GtkWidget *
header_button (const char *label, GCallback callback, gpointer self)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  g_signal_connect_swapped (button, "clicked", callback, self);
  return button;
}

TillCashReportsDialog *
till_cash_reports_dialog_new (GtkWindow *parent, TillClient *client)
{
  TillCashReportsDialog *self = g_object_new (
      TILL_TYPE_CASH_REPORTS_DIALOG, "modal", TRUE, "transient-for", parent, "default-width", 760,
      "default-height", 560, "title", _ ("X and Z Reports"), NULL);
  const TillStoreConfig *config = till_client_get_config (client);
  GtkWidget             *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget             *header = adw_header_bar_new ();
  GtkWidget             *paned = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget             *list_scroll = gtk_scrolled_window_new ();
  GtkWidget             *text_scroll = gtk_scrolled_window_new ();

  self->client = g_object_ref (client);
  self->currency = g_strdup (config != NULL ? config->currency : "EUR");
  adw_header_bar_pack_start (
      ADW_HEADER_BAR (header),
      header_button (_ ("_X Report"), G_CALLBACK (till_cash_reports_dialog_show_x), self));
  adw_header_bar_pack_start (ADW_HEADER_BAR (header),
                             header_button (_ ("Close the Day: _Z Report"),
                                            G_CALLBACK (till_cash_reports_dialog_make_z), self));
  self->print_button =
      header_button (_ ("_Print"), G_CALLBACK (till_cash_reports_dialog_print), self);
  gtk_widget_set_sensitive (self->print_button, FALSE);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->print_button);
  gtk_box_append (GTK_BOX (outer), header);

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "navigation-sidebar");
  g_signal_connect (self->list, "row-activated", G_CALLBACK (on_row_activated), self);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (list_scroll), GTK_WIDGET (self->list));
  gtk_widget_set_size_request (list_scroll, 200, -1);
  gtk_box_append (GTK_BOX (paned), list_scroll);

  self->text = GTK_TEXT_VIEW (gtk_text_view_new ());
  gtk_text_view_set_editable (self->text, FALSE);
  gtk_text_view_set_monospace (self->text, TRUE);
  gtk_text_view_set_left_margin (self->text, 12);
  gtk_text_view_set_top_margin (self->text, 12);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (text_scroll), GTK_WIDGET (self->text));
  gtk_widget_set_hexpand (text_scroll, TRUE);
  gtk_widget_set_vexpand (text_scroll, TRUE);
  gtk_box_append (GTK_BOX (paned), text_scroll);
  gtk_box_append (GTK_BOX (outer), paned);

  self->message = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->message, TRUE);
  gtk_widget_set_margin_top (GTK_WIDGET (self->message), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->message), 6);
  gtk_widget_set_visible (GTK_WIDGET (self->message), FALSE);
  gtk_box_append (GTK_BOX (outer), GTK_WIDGET (self->message));
  adw_window_set_content (ADW_WINDOW (self), outer);
  load_list (self);
  return self;
}

gboolean
till_cash_reports_dialog_is_busy (TillCashReportsDialog *self)
{
  return self->busy > 0;
}

const char *
till_cash_reports_dialog_get_message (TillCashReportsDialog *self)
{
  return gtk_label_get_text (self->message);
}

/* The report shown, as the server sent it, or NULL. */
JsonObject *
till_cash_reports_dialog_get_report (TillCashReportsDialog *self)
{
  return self->report;
}

char *
till_cash_reports_dialog_get_text (TillCashReportsDialog *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text);
  GtkTextIter    start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

guint
till_cash_reports_dialog_get_n_listed (TillCashReportsDialog *self)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n++;
  return n;
}
