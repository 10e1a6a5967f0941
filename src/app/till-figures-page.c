/* till-figures-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A day's figures: the summary, sales by payment method and by tax rate, a bar chart of the
 * sales by hour, the trend of the last 7 or 30 days, and the export of the day's orders as
 * CSV. Every number is the server's (GET /api/v1/reports/daily and …/days), shown as it
 * came: nothing is added up here.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-error-message.h"
#include "till-figures-page-private.h"
#include "till-money-label.h"

struct _TillFiguresPage
{
  AdwBin parent_instance;

  TillClient   *client;
  GCancellable *cancellable; /* the requests of the day shown */
  GDate         day;
  guint         trend_days;
  JsonObject   *report; /* the server's, or NULL while loading */
  JsonObject   *trend;
  gboolean      report_shown; /* the day's report is on the page */
  guint         loading;      /* requests under way */
  gboolean      exporting;
  char         *last_message;

  AdwToastOverlay *toasts;
  GtkLabel        *day_label;
  GtkWidget       *next_button;
  GtkWidget       *today_button;
  GtkWidget       *export_button;
  GtkStack        *stack; /* "loading", "error", "report" */
  AdwStatusPage   *error_page;
  GtkLabel        *values[TILL_FIGURE_N];
  GtkDrawingArea  *hour_chart;
  GtkDrawingArea  *trend_chart;
  GtkLabel        *trend_title;
  GtkToggleButton *week_button;
  GtkListBox      *methods;
  GtkListBox      *rates;
  GtkCalendar     *calendar;
  GtkPopover      *calendar_popover;
};

G_DEFINE_FINAL_TYPE (TillFiguresPage, till_figures_page, ADW_TYPE_BIN)

enum
{
  DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void load (TillFiguresPage *self);

static void
show_message (TillFiguresPage *self, const char *text)
{
  AdwToast *toast = adw_toast_new (text);

  g_free (self->last_message);
  self->last_message = g_strdup (text);
  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (self->toasts, toast);
}

static const char *
currency_of (TillFiguresPage *self)
{
  const char *code = NULL;

  if (self->report != NULL)
    code = json_object_get_string_member_with_default (self->report, "currency", NULL);
  if (code == NULL && self->trend != NULL)
    code = json_object_get_string_member_with_default (self->trend, "currency", NULL);
  return code != NULL ? code : "";
}

/* @name's array, or NULL when @object has none (a server that does not send it). */
static JsonArray *
array_member (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static GtkWidget *
amount_row (const char *title, const char *subtitle, const char *amount)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (amount);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  return row;
}

static char *
brand_name (const char *brand)
{
  static const struct
  {
    const char *brand;
    const char *name;
  } names[] = {
    { "visa", "Visa" },
    { "mastercard", "Mastercard" },
    { "amex", "American Express" },
    { "discover", "Discover" },
    { "diners", "Diners Club" },
    { "jcb", "JCB" },
    { "unionpay", "UnionPay" },
    { "cartes_bancaires", "Cartes Bancaires" },
    { "eftpos_au", "eftpos" },
    { "interac", "Interac" },
  };

  if (brand == NULL)
    return g_strdup (_ ("Card"));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (brand, names[i].brand))
      return g_strdup (names[i].name);
  return g_strdup (brand);
}

static GtkWidget *
method_row (JsonObject *method, const char *currency)
{
  gint64           count = json_object_get_int_member_with_default (method, "count", 0);
  gint64           refunds = json_object_get_int_member_with_default (method, "refunds", 0);
  g_autofree char *name =
      brand_name (json_object_get_string_member_with_default (method, "brand", NULL));
  g_autofree char *amount =
      till_money_label (json_object_get_int_member_with_default (method, "gross", 0), currency);
  g_autofree char *refunded = till_money_label (refunds, currency);
  /* A day's sales fit in an int. */
  g_autofree char *sales = g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%d sale", "%d sales", (gulong) count), (int) count);
  g_autofree char *subtitle =
      refunds > 0 ? g_strdup_printf (_ ("%s, %s refunded"), sales, refunded) : g_strdup (sales);

  return amount_row (name, subtitle, amount);
}

static GtkWidget *
rate_row (JsonObject *rate, const char *currency)
{
  g_autofree char *percent =
      till_tax_rate_to_string ((int) json_object_get_int_member_with_default (rate, "tax_rate", 0));
  g_autofree char *title = g_strdup_printf (_ ("Tax %s %%"), percent);
  g_autofree char *total =
      till_money_label (json_object_get_int_member_with_default (rate, "total", 0), currency);
  g_autofree char *subtitle = g_strdup_printf (_ ("On sales of %s"), total);
  g_autofree char *tax =
      till_money_label (json_object_get_int_member_with_default (rate, "tax", 0), currency);

  return amount_row (title, subtitle, tax);
}

static void
fill_report (TillFiguresPage *self)
{
  static const char *members[TILL_FIGURE_N] = { "gross", "refunds", "net", "count", "average" };
  const char        *currency = currency_of (self);
  JsonArray         *array;

  for (guint i = 0; i < TILL_FIGURE_N; i++)
    {
      gint64 value = json_object_get_int_member_with_default (self->report, members[i], 0);
      g_autofree char *text = i == TILL_FIGURE_COUNT ? g_strdup_printf ("%" G_GINT64_FORMAT, value)
                                                     : till_money_label (value, currency);

      gtk_label_set_text (self->values[i], text);
    }

  clear_list (self->methods);
  array = array_member (self->report, "by_method");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *method = json_array_get_object_element (array, i);

      if (method != NULL)
        gtk_list_box_append (self->methods, method_row (method, currency));
    }
  if (array == NULL || json_array_get_length (array) == 0)
    gtk_list_box_append (self->methods, amount_row (_ ("No sales"), NULL, ""));

  clear_list (self->rates);
  array = array_member (self->report, "by_tax_rate");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *rate = json_array_get_object_element (array, i);

      if (rate != NULL)
        gtk_list_box_append (self->rates, rate_row (rate, currency));
    }
  if (array == NULL || json_array_get_length (array) == 0)
    gtk_list_box_append (self->rates, amount_row (_ ("No sales"), NULL, ""));

  gtk_widget_queue_draw (GTK_WIDGET (self->hour_chart));
}

static void
update_day (TillFiguresPage *self)
{
  g_autoptr (GDateTime) when =
      g_date_time_new_local (g_date_get_year (&self->day), g_date_get_month (&self->day),
                             g_date_get_day (&self->day), 12, 0, 0);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  GDate today;
  /* TRANSLATORS: the day the figures are of, as g_date_time_format() writes it */
  g_autofree char *text = g_date_time_format (when, C_ ("figures day", "%A %-d %B %Y"));

  g_date_set_dmy (&today, (GDateDay) g_date_time_get_day_of_month (now),
                  (GDateMonth) g_date_time_get_month (now), (GDateYear) g_date_time_get_year (now));
  gtk_label_set_text (self->day_label, text);
  gtk_widget_set_sensitive (self->next_button, g_date_compare (&self->day, &today) < 0);
  gtk_widget_set_sensitive (self->today_button, g_date_compare (&self->day, &today) != 0);
  gtk_calendar_select_day (self->calendar, when);
}

/* The day's figures are shown as soon as their answer is in, whichever of the two answers
 * (asked for together) comes first: the trend's chart is drawn when its own comes, empty
 * until then, so nothing shown is ever a number of another day. */
static void
finish_load (TillFiguresPage *self)
{
  if (self->report != NULL && !self->report_shown)
    {
      fill_report (self);
      gtk_stack_set_visible_child_name (self->stack, "report");
      self->report_shown = TRUE;
    }
  if (self->trend != NULL)
    gtk_widget_queue_draw (GTK_WIDGET (self->trend_chart));
}

static void
show_error (TillFiguresPage *self, const GError *error)
{
  g_autoptr (TillErrorMessage) message = till_error_message_new (error);

  adw_status_page_set_title (self->error_page, message->title);
  adw_status_page_set_description (self->error_page, message->next_step);
  gtk_stack_set_visible_child_name (self->stack, "error");
}

static void
on_report (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  JsonObject      *report = till_client_get_report_finish (TILL_CLIENT (source), result, &error);
  TillFiguresPage *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  self->loading--;
  if (report == NULL)
    {
      g_cancellable_cancel (self->cancellable);
      self->loading = 0;
      show_error (self, error);
      return;
    }
  g_clear_pointer (&self->report, json_object_unref);
  self->report = report;
  finish_load (self);
}

static void
on_trend (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  JsonObject      *trend = till_client_get_report_finish (TILL_CLIENT (source), result, &error);
  TillFiguresPage *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  self->loading--;
  if (trend == NULL)
    {
      g_cancellable_cancel (self->cancellable);
      self->loading = 0;
      show_error (self, error);
      return;
    }
  g_clear_pointer (&self->trend, json_object_unref);
  self->trend = trend;
  finish_load (self);
}

static void
load_trend (TillFiguresPage *self)
{
  self->loading++;
  till_client_get_report_days_async (self->client, &self->day, self->trend_days, self->cancellable,
                                     on_trend, self);
}

/* The callbacks are not called once the page is gone: its requests are canceled first. */
static void
load (TillFiguresPage *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_pointer (&self->report, json_object_unref);
  g_clear_pointer (&self->trend, json_object_unref);
  self->report_shown = FALSE;
  self->loading = 1;
  update_day (self);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  till_client_get_daily_report_async (self->client, &self->day, self->cancellable, on_report, self);
  load_trend (self);
}

/* Charts */

static void
lookup_color (GtkWidget *widget, const char *name, GdkRGBA *color, const char *fallback)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, color))
    gdk_rgba_parse (color, fallback);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
fg_color (GtkWidget *widget, GdkRGBA *color)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
draw_text (cairo_t *cr, GtkWidget *widget, const char *text, double x, double y, double xalign)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  int          width, height;

  pango_layout_get_pixel_size (layout, &width, &height);
  cairo_move_to (cr, x - width * xalign, y);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

/* Bars of @values (@n of them), labeled under every @label_every-th with @labels[i],
 * counted from the last one if @from_end (a trend's today is always labeled). */
static void
draw_bars (GtkWidget         *widget,
           cairo_t           *cr,
           int                width,
           int                height,
           const gint64      *values,
           const char *const *labels,
           guint              n,
           guint              label_every,
           gboolean           from_end,
           const char        *currency)
{
  const double left = 4, right = 4, top = 22, bottom = 22;
  double       slot, plot_height = height - top - bottom;
  gint64       max = 0;
  GdkRGBA      accent, fg;

  lookup_color (widget, "accent_bg_color", &accent, "#3584e4");
  fg_color (widget, &fg);
  for (guint i = 0; i < n; i++)
    max = MAX (max, values[i]);
  slot = (width - left - right) / n;

  /* The base line and the highest bar's amount. */
  gdk_cairo_set_source_rgba (cr, &fg);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, left, top + plot_height + 0.5);
  cairo_line_to (cr, width - right, top + plot_height + 0.5);
  cairo_stroke (cr);
  if (max > 0)
    {
      g_autofree char *text = till_money_label (max, currency);

      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.3);
      cairo_set_dash (cr, (double[]){ 4, 4 }, 2, 0);
      cairo_move_to (cr, left, top + 0.5);
      cairo_line_to (cr, width - right, top + 0.5);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      gdk_cairo_set_source_rgba (cr, &fg);
      draw_text (cr, widget, text, left, 0, 0);
    }

  for (guint i = 0; i < n; i++)
    {
      double x = left + slot * i;

      if (max > 0 && values[i] > 0)
        {
          double bar = MAX (1, plot_height * (double) values[i] / (double) max);

          gdk_cairo_set_source_rgba (cr, &accent);
          cairo_rectangle (cr, x + slot * 0.15, top + plot_height - bar, slot * 0.7, bar);
          cairo_fill (cr);
        }
      if ((from_end ? n - 1 - i : i) % label_every == 0)
        {
          gdk_cairo_set_source_rgba (cr, &fg);
          draw_text (cr, widget, labels[i], x + slot / 2, top + plot_height + 3, 0.5);
        }
    }
}

static void
draw_hours (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  TillFiguresPage *self = user_data;
  gint64           values[24] = { 0 };
  char             texts[24][4];
  const char      *labels[24];
  JsonArray       *hours;

  if (self->report == NULL)
    return;
  hours = array_member (self->report, "by_hour");
  for (guint i = 0; hours != NULL && i < json_array_get_length (hours) && i < 24; i++)
    {
      JsonObject *hour = json_array_get_object_element (hours, i);
      gint64 h = hour != NULL ? json_object_get_int_member_with_default (hour, "hour", -1) : -1;

      if (h >= 0 && h < 24)
        values[h] = json_object_get_int_member_with_default (hour, "gross", 0);
    }
  for (guint i = 0; i < 24; i++)
    {
      g_snprintf (texts[i], sizeof texts[i], "%02u", i);
      labels[i] = texts[i];
    }
  draw_bars (GTK_WIDGET (area), cr, width, height, values, labels, 24, width < 500 ? 6 : 3, FALSE,
             currency_of (self));
}

static void
draw_trend (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  TillFiguresPage   *self = user_data;
  g_autofree gint64 *values = NULL;
  g_auto (GStrv) texts = NULL;
  JsonArray *days;
  guint      n;

  if (self->trend == NULL || (days = array_member (self->trend, "days")) == NULL ||
      (n = json_array_get_length (days)) == 0)
    return;
  values = g_new0 (gint64, n);
  texts = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *day = json_array_get_object_element (days, i);
      const char *date =
          day != NULL ? json_object_get_string_member_with_default (day, "date", "") : "";

      values[i] = day != NULL ? json_object_get_int_member_with_default (day, "net", 0) : 0;
      /* The day of the month ("2026-12-07" → "7"). */
      texts[i] = g_strdup_printf ("%d", strlen (date) == 10 ? atoi (date + 8) : 0);
    }
  draw_bars (GTK_WIDGET (area), cr, width, height, values, (const char *const *) texts, n,
             n > 10 ? (width < 500 ? 7 : 3) : 1, TRUE, currency_of (self));
}

/* Navigation */

static void
go_to (TillFiguresPage *self, int days)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  GDate next = self->day, today;

  g_date_set_dmy (&today, (GDateDay) g_date_time_get_day_of_month (now),
                  (GDateMonth) g_date_time_get_month (now), (GDateYear) g_date_time_get_year (now));
  if (days < 0)
    g_date_subtract_days (&next, (guint) -days);
  else
    g_date_add_days (&next, (guint) days);
  if (g_date_compare (&next, &today) > 0)
    return;
  self->day = next;
  load (self);
}

static void
on_previous (TillFiguresPage *self)
{
  go_to (self, -1);
}

static void
on_next (TillFiguresPage *self)
{
  go_to (self, 1);
}

static void
on_today (TillFiguresPage *self)
{
  till_figures_page_show_day (self, NULL);
}

static void
on_day_selected (TillFiguresPage *self)
{
  g_autoptr (GDateTime) chosen = gtk_calendar_get_date (self->calendar);
  GDate day;

  g_date_set_dmy (&day, (GDateDay) g_date_time_get_day_of_month (chosen),
                  (GDateMonth) g_date_time_get_month (chosen),
                  (GDateYear) g_date_time_get_year (chosen));
  gtk_popover_popdown (self->calendar_popover);
  if (g_date_compare (&day, &self->day) != 0)
    till_figures_page_show_day (self, &day);
}

static void
on_trend_toggled (TillFiguresPage *self)
{
  guint days = gtk_toggle_button_get_active (self->week_button) ? 7 : 30;

  if (days == self->trend_days)
    return;
  self->trend_days = days;
  gtk_label_set_text (self->trend_title,
                      days == 7 ? _ ("Net Sales, Last 7 Days") : _ ("Net Sales, Last 30 Days"));
  if (self->loading > 0 || self->report == NULL)
    {
      load (self);
      return;
    }
  load_trend (self);
}

/* Export */

static void
on_exported (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillFiguresPage) self = user_data;
  g_autoptr (GError) error = NULL;

  self->exporting = FALSE;
  gtk_widget_set_sensitive (self->export_button, TRUE);
  if (!till_client_export_orders_finish (TILL_CLIENT (source), result, &error))
    {
      g_autoptr (TillErrorMessage) message = till_error_message_new (error);
      g_autofree char *text = NULL;

      if (g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_FORBIDDEN))
        text = g_strdup (_ ("Only an admin terminal may export orders. Ask an administrator."));
      else if (error->domain == G_IO_ERROR)
        text = g_strdup_printf (_ ("The file could not be written: %s"), error->message);
      else
        text = g_strdup_printf ("%s %s", message->title, message->next_step);
      show_message (self, text);
      return;
    }
  show_message (self, _ ("Orders exported."));
}

void
till_figures_page_export_to (TillFiguresPage *self, GFile *file)
{
  g_return_if_fail (TILL_IS_FIGURES_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->exporting)
    return;
  self->exporting = TRUE;
  gtk_widget_set_sensitive (self->export_button, FALSE);
  till_client_export_orders_async (self->client, &self->day, &self->day, file, NULL, on_exported,
                                   g_object_ref (self));
}

static void
on_export_response (GtkNativeDialog *dialog, int response, TillFiguresPage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        till_figures_page_export_to (self, file);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
on_export (TillFiguresPage *self)
{
  GtkRoot              *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char *name =
      g_strdup_printf ("orders-%04u-%02u-%02u.csv", g_date_get_year (&self->day),
                       g_date_get_month (&self->day), g_date_get_day (&self->day));

  if (self->exporting)
    return;
  dialog = gtk_file_chooser_native_new (_ ("Export Orders"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Export"), _ ("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  gtk_file_filter_set_name (filter, _ ("CSV files"));
  gtk_file_filter_add_mime_type (filter, "text/csv");
  gtk_file_filter_add_pattern (filter, "*.csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Building */

static GtkWidget *
figure_card (TillFiguresPage *self, TillFigure figure, const char *title)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *caption = gtk_label_new (title);
  GtkWidget *value = gtk_label_new ("");

  gtk_widget_add_css_class (box, "card");
  gtk_widget_set_size_request (box, 140, -1);
  gtk_widget_set_margin_start (caption, 12);
  gtk_widget_set_margin_end (caption, 12);
  gtk_widget_set_margin_top (caption, 12);
  gtk_widget_add_css_class (caption, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_label_set_xalign (GTK_LABEL (value), 0);
  gtk_widget_set_margin_start (value, 12);
  gtk_widget_set_margin_end (value, 12);
  gtk_widget_set_margin_bottom (value, 12);
  gtk_widget_add_css_class (value, "title-2");
  gtk_widget_add_css_class (value, "numeric");
  gtk_label_set_ellipsize (GTK_LABEL (value), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), caption);
  gtk_box_append (GTK_BOX (box), value);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (value), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                  caption, NULL, -1);
  self->values[figure] = GTK_LABEL (value);
  return box;
}

static GtkWidget *
heading (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_margin_top (label, 18);
  gtk_widget_set_margin_bottom (label, 6);
  return label;
}

static GtkWidget *
boxed_list (GtkListBox **out)
{
  GtkWidget *list = gtk_list_box_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  *out = GTK_LIST_BOX (list);
  return list;
}

static GtkWidget *
chart (TillFiguresPage *self, GtkDrawingArea **out, GtkDrawingAreaDrawFunc draw, const char *name)
{
  GtkWidget *area = gtk_drawing_area_new ();
  GtkWidget *frame = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (area), 180);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (area), draw, self, NULL);
  gtk_widget_set_margin_start (area, 12);
  gtk_widget_set_margin_end (area, 12);
  gtk_widget_set_margin_top (area, 12);
  gtk_widget_set_margin_bottom (area, 6);
  gtk_accessible_update_property (GTK_ACCESSIBLE (area), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  gtk_widget_add_css_class (frame, "card");
  gtk_box_append (GTK_BOX (frame), area);
  *out = GTK_DRAWING_AREA (area);
  return frame;
}

static GtkWidget *
icon_button (const char *icon, const char *tooltip, GCallback callback, TillFiguresPage *self)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                  -1);
  g_signal_connect_swapped (button, "clicked", callback, self);
  return button;
}

static void
on_back (TillFiguresPage *self)
{
  g_signal_emit (self, signals[DONE], 0);
}

static gboolean
on_shortcut (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  TillFiguresPage *self = TILL_FIGURES_PAGE (widget);
  const char      *what = g_variant_get_string (args, NULL);

  if (g_str_equal (what, "back"))
    on_back (self);
  else if (g_str_equal (what, "previous"))
    on_previous (self);
  else if (g_str_equal (what, "next"))
    on_next (self);
  else if (g_str_equal (what, "export"))
    on_export (self);
  else
    load (self);
  return TRUE;
}

static void
build (TillFiguresPage *self)
{
  GtkWidget *toolbar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *back, *previous, *day_button, *content, *clamp, *scrolled, *cards, *trend_bar;
  GtkWidget *toggles, *month_button, *loading, *spinner, *retry, *outer;

  gtk_widget_add_css_class (toolbar, "toolbar");
  back = gtk_button_new_with_mnemonic (_ ("_Back to Sale"));
  gtk_widget_set_tooltip_text (back, _ ("Back to selling (Escape)"));
  g_signal_connect_swapped (back, "clicked", G_CALLBACK (on_back), self);
  gtk_box_append (GTK_BOX (toolbar), back);

  previous =
      icon_button ("go-previous-symbolic", _ ("Previous Day"), G_CALLBACK (on_previous), self);
  gtk_widget_set_hexpand (previous, TRUE);
  gtk_widget_set_halign (previous, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (toolbar), previous);

  self->calendar = GTK_CALENDAR (gtk_calendar_new ());
  g_signal_connect_swapped (self->calendar, "day-selected", G_CALLBACK (on_day_selected), self);
  self->calendar_popover = GTK_POPOVER (gtk_popover_new ());
  gtk_popover_set_child (self->calendar_popover, GTK_WIDGET (self->calendar));
  day_button = gtk_menu_button_new ();
  self->day_label = GTK_LABEL (gtk_label_new (""));
  gtk_label_set_ellipsize (self->day_label, PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (GTK_WIDGET (self->day_label), "heading");
  gtk_menu_button_set_child (GTK_MENU_BUTTON (day_button), GTK_WIDGET (self->day_label));
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (day_button), GTK_WIDGET (self->calendar_popover));
  gtk_widget_set_tooltip_text (day_button, _ ("Choose a Day"));
  gtk_box_append (GTK_BOX (toolbar), day_button);

  self->next_button = icon_button ("go-next-symbolic", _ ("Next Day"), G_CALLBACK (on_next), self);
  gtk_box_append (GTK_BOX (toolbar), self->next_button);
  self->today_button = gtk_button_new_with_mnemonic (_ ("_Today"));
  g_signal_connect_swapped (self->today_button, "clicked", G_CALLBACK (on_today), self);
  gtk_widget_set_hexpand (self->today_button, TRUE);
  gtk_widget_set_halign (self->today_button, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (toolbar), self->today_button);

  self->export_button = gtk_button_new_with_mnemonic (_ ("_Export…"));
  gtk_widget_set_tooltip_text (self->export_button, _ ("Export the day’s orders as CSV (Ctrl+E)"));
  g_signal_connect_swapped (self->export_button, "clicked", G_CALLBACK (on_export), self);
  gtk_box_append (GTK_BOX (toolbar), self->export_button);

  /* The report */
  content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_margin_start (content, 12);
  gtk_widget_set_margin_end (content, 12);
  gtk_widget_set_margin_bottom (content, 24);
  cards = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (cards), GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (cards), TRUE);
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (cards), 2);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (cards), 5);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (cards), 12);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (cards), 12);
  gtk_widget_set_margin_top (cards, 12);
  gtk_flow_box_append (GTK_FLOW_BOX (cards), figure_card (self, TILL_FIGURE_GROSS, _ ("Gross")));
  gtk_flow_box_append (GTK_FLOW_BOX (cards),
                       figure_card (self, TILL_FIGURE_REFUNDS, _ ("Refunds")));
  gtk_flow_box_append (GTK_FLOW_BOX (cards), figure_card (self, TILL_FIGURE_NET, _ ("Net")));
  gtk_flow_box_append (GTK_FLOW_BOX (cards), figure_card (self, TILL_FIGURE_COUNT, _ ("Sales")));
  gtk_flow_box_append (GTK_FLOW_BOX (cards),
                       figure_card (self, TILL_FIGURE_AVERAGE, _ ("Average Sale")));
  for (GtkWidget *child = gtk_widget_get_first_child (cards); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    gtk_widget_set_focusable (child, FALSE);
  gtk_box_append (GTK_BOX (content), cards);

  gtk_box_append (GTK_BOX (content), heading (_ ("Sales by Hour")));
  gtk_box_append (GTK_BOX (content),
                  chart (self, &self->hour_chart, draw_hours, _ ("Sales by hour")));

  trend_bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  self->trend_title = GTK_LABEL (heading (_ ("Net Sales, Last 7 Days")));
  gtk_widget_set_hexpand (GTK_WIDGET (self->trend_title), TRUE);
  gtk_label_set_wrap (self->trend_title, TRUE);
  gtk_box_append (GTK_BOX (trend_bar), GTK_WIDGET (self->trend_title));
  toggles = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (toggles, "linked");
  gtk_widget_set_valign (toggles, GTK_ALIGN_END);
  gtk_widget_set_margin_bottom (toggles, 6);
  self->week_button = GTK_TOGGLE_BUTTON (gtk_toggle_button_new_with_mnemonic (_ ("_7 Days")));
  month_button = gtk_toggle_button_new_with_mnemonic (_ ("_30 Days"));
  gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (month_button), self->week_button);
  gtk_toggle_button_set_active (self->week_button, TRUE);
  g_signal_connect_swapped (self->week_button, "toggled", G_CALLBACK (on_trend_toggled), self);
  gtk_box_append (GTK_BOX (toggles), GTK_WIDGET (self->week_button));
  gtk_box_append (GTK_BOX (toggles), month_button);
  gtk_box_append (GTK_BOX (trend_bar), toggles);
  gtk_box_append (GTK_BOX (content), trend_bar);
  gtk_box_append (GTK_BOX (content),
                  chart (self, &self->trend_chart, draw_trend, _ ("Net sales by day")));

  gtk_box_append (GTK_BOX (content), heading (_ ("By Payment Method")));
  gtk_box_append (GTK_BOX (content), boxed_list (&self->methods));
  gtk_box_append (GTK_BOX (content), heading (_ ("By Tax Rate")));
  gtk_box_append (GTK_BOX (content), boxed_list (&self->rates));

  clamp = adw_clamp_new ();
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 900);
  adw_clamp_set_child (ADW_CLAMP (clamp), content);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  gtk_widget_set_vexpand (scrolled, TRUE);

  self->stack = GTK_STACK (gtk_stack_new ());
  loading = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  spinner = gtk_spinner_new ();
  gtk_spinner_set_spinning (GTK_SPINNER (spinner), TRUE);
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_widget_set_vexpand (spinner, TRUE);
  gtk_widget_set_halign (spinner, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (loading), spinner);
  gtk_stack_add_named (self->stack, loading, "loading");
  self->error_page = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->error_page, "dialog-warning-symbolic");
  retry = gtk_button_new_with_mnemonic (_ ("_Try Again"));
  gtk_widget_set_halign (retry, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (retry, "pill");
  g_signal_connect_swapped (retry, "clicked", G_CALLBACK (load), self);
  adw_status_page_set_child (self->error_page, retry);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->error_page), "error");
  gtk_stack_add_named (self->stack, scrolled, "report");
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);

  outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (outer), toolbar);
  gtk_box_append (GTK_BOX (outer), gtk_separator_new (GTK_ORIENTATION_HORIZONTAL));
  gtk_box_append (GTK_BOX (outer), GTK_WIDGET (self->stack));
  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toasts, outer);
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->toasts));
}

/* GObject */

static void
till_figures_page_dispose (GObject *object)
{
  TillFiguresPage *self = TILL_FIGURES_PAGE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->report, json_object_unref);
  g_clear_pointer (&self->trend, json_object_unref);
  g_clear_pointer (&self->last_message, g_free);
  G_OBJECT_CLASS (till_figures_page_parent_class)->dispose (object);
}

static void
till_figures_page_class_init (TillFiguresPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_figures_page_dispose;

  /* The user is done with the figures: back to the sale. */
  signals[DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                NULL, G_TYPE_NONE, 0);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, on_shortcut, "s", "back");
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Page_Up, GDK_ALT_MASK, on_shortcut, "s",
                                "previous");
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Left, GDK_ALT_MASK, on_shortcut, "s",
                                "previous");
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Page_Down, GDK_ALT_MASK, on_shortcut, "s",
                                "next");
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Right, GDK_ALT_MASK, on_shortcut, "s",
                                "next");
  gtk_widget_class_add_binding (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, on_shortcut, "s",
                                "export");
  gtk_widget_class_add_binding (widget_class, GDK_KEY_F5, 0, on_shortcut, "s", "reload");
}

static void
till_figures_page_init (TillFiguresPage *self)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  self->trend_days = 7;
  g_date_clear (&self->day, 1);
  g_date_set_dmy (&self->day, (GDateDay) g_date_time_get_day_of_month (now),
                  (GDateMonth) g_date_time_get_month (now), (GDateYear) g_date_time_get_year (now));
  build (self);
}

TillFiguresPage *
till_figures_page_new (TillClient *client)
{
  TillFiguresPage *self;

  g_return_val_if_fail (TILL_IS_CLIENT (client), NULL);

  self = g_object_new (TILL_TYPE_FIGURES_PAGE, NULL);
  self->client = g_object_ref (client);
  return self;
}

void
till_figures_page_show_day (TillFiguresPage *self, GDate *date)
{
  g_return_if_fail (TILL_IS_FIGURES_PAGE (self));
  g_return_if_fail (date == NULL || g_date_valid (date));

  if (date != NULL)
    self->day = *date;
  else
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_local ();

      g_date_set_dmy (&self->day, (GDateDay) g_date_time_get_day_of_month (now),
                      (GDateMonth) g_date_time_get_month (now),
                      (GDateYear) g_date_time_get_year (now));
    }
  load (self);
}

void
till_figures_page_reload (TillFiguresPage *self)
{
  g_return_if_fail (TILL_IS_FIGURES_PAGE (self));
  load (self);
}

/* Private API */

gboolean
till_figures_page_is_loaded (TillFiguresPage *self)
{
  return self->loading == 0 && self->report != NULL && self->trend != NULL &&
         g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "report") == 0;
}

/* The day's figures are on the page; the trend may still be on its way. */
gboolean
till_figures_page_is_report_shown (TillFiguresPage *self)
{
  return self->report_shown &&
         g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "report") == 0;
}

gboolean
till_figures_page_is_exporting (TillFiguresPage *self)
{
  return self->exporting;
}

JsonObject *
till_figures_page_get_report (TillFiguresPage *self)
{
  return self->report;
}

JsonObject *
till_figures_page_get_trend (TillFiguresPage *self)
{
  return self->trend;
}

const char *
till_figures_page_get_figure (TillFiguresPage *self, TillFigure figure)
{
  g_return_val_if_fail (figure < TILL_FIGURE_N, NULL);
  return gtk_label_get_text (self->values[figure]);
}

const char *
till_figures_page_get_last_message (TillFiguresPage *self)
{
  return self->last_message;
}

const char *
till_figures_page_get_error_title (TillFiguresPage *self)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "error") != 0)
    return NULL;
  return adw_status_page_get_title (self->error_page);
}

GtkListBox *
till_figures_page_get_list (TillFiguresPage *self, gboolean rates)
{
  return rates ? self->rates : self->methods;
}

void
till_figures_page_set_trend_days (TillFiguresPage *self, guint days)
{
  g_return_if_fail (days == 7 || days == 30);
  gtk_toggle_button_set_active (self->week_button, days == 7);
  if (days == 30)
    {
      GtkWidget *month = gtk_widget_get_next_sibling (GTK_WIDGET (self->week_button));

      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (month), TRUE);
    }
}
