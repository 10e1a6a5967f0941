/* till-cash-report.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The report is the server's (docs/contract.md, "X and Z reports"): the app only lays it out,
 * one figure a line, label on the left and amount on the right, as receipts are. A member the
 * server leaves out (null) is left out here too.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-cash-report.h"
#include "till-core.h"
#include "till-money-label.h"
#include "till-receipt-printer.h"

static gboolean
get_int (JsonObject *object, const char *member, gint64 *out)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

static const char *
get_string (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
get_object (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
get_array (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* "label ……… right", @width characters (counted in characters, not bytes). */
static void
add_line (GString *out, int width, const char *label, const char *right)
{
  glong used = g_utf8_strlen (label, -1) + (right != NULL ? g_utf8_strlen (right, -1) : 0);

  g_string_append (out, label);
  if (right != NULL)
    {
      for (glong pad = MAX (width - used, 1); pad > 0; pad--)
        g_string_append_c (out, ' ');
      g_string_append (out, right);
    }
  g_string_append_c (out, '\n');
}

static void
add_amount (GString *out, int width, const char *label, gint64 amount, const char *currency)
{
  g_autofree char *text = till_money_label (amount, currency);

  add_line (out, width, label, text);
}

static void
add_rule (GString *out, int width)
{
  g_autofree char *rule = g_strnfill (width, '-');

  g_string_append_printf (out, "%s\n", rule);
}

/* An RFC 3339 time as this till's local time, "2026-12-07 18:00". */
static void
add_time (GString *out, int width, const char *label, const char *rfc3339)
{
  g_autoptr (GDateTime) time =
      rfc3339 != NULL ? g_date_time_new_from_iso8601 (rfc3339, NULL) : NULL;
  g_autoptr (GDateTime) local = time != NULL ? g_date_time_to_local (time) : NULL;
  g_autofree char *text = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M") : NULL;

  if (text != NULL)
    add_line (out, width, label, text);
  else if (rfc3339 != NULL)
    add_line (out, width, label, rfc3339);
}

static const char *
method_label (const char *method)
{
  if (g_strcmp0 (method, "cash") == 0)
    return _ ("Cash");
  if (g_strcmp0 (method, "card") == 0)
    return _ ("Card");
  return method != NULL ? method : "";
}

/* Each {method, count, amount} of @array as "  Cash (3)   €12.00". */
static void
add_by_method (GString *out, int width, JsonArray *array, const char *currency)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode        *node = json_array_get_element (array, i);
      JsonObject      *item = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      gint64           count = 0, amount = 0;
      g_autofree char *label = NULL;

      get_int (item, "count", &count);
      get_int (item, "amount", &amount);
      label = g_strdup_printf ("  %s (%" G_GINT64_FORMAT ")",
                               method_label (get_string (item, "method")), count);
      add_amount (out, width, label, amount, currency);
    }
}

/**
 * till_cash_report_format:
 * @report: an X or a Z report as the server sent it
 * @currency: the store's
 * @width: characters per line
 *
 * Returns: (transfer full): the report as text, one line per "\n".
 */
char *
till_cash_report_format (JsonObject *report, const char *currency, int width)
{
  GString    *out = g_string_new (NULL);
  const char *number = get_string (report, "number");
  JsonObject *sales = get_object (report, "sales");
  JsonObject *voids = get_object (report, "voids");
  JsonObject *movements = get_object (report, "movements");
  JsonArray  *by_tax = get_array (report, "by_tax_rate");
  gint64      value;

  g_return_val_if_fail (report != NULL, NULL);

  /* Translators: the heading of a Z report, e.g. "Z REPORT Z-0001". */
  if (number != NULL)
    {
      g_autofree char *title = g_strdup_printf (_ ("Z REPORT %s"), number);
      add_line (out, width, title, NULL);
    }
  else
    /* Translators: the heading of an X report (the day so far, nothing closed). */
    add_line (out, width, _ ("X REPORT (nothing closed)"), NULL);
  if (get_string (report, "terminal") != NULL)
    add_line (out, width, _ ("Till"), get_string (report, "terminal"));
  add_time (out, width, _ ("From"), get_string (report, "from"));
  add_time (out, width, _ ("To"), get_string (report, "to"));
  if (get_string (report, "first_order") != NULL)
    {
      g_autofree char *orders = g_strdup_printf (
          "%s – %s", get_string (report, "first_order"),
          get_string (report, "last_order") != NULL ? get_string (report, "last_order") : "");
      add_line (out, width, _ ("Orders"), orders);
    }
  add_rule (out, width);
  if (get_int (sales, "amount", &value))
    {
      gint64           count = 0;
      g_autofree char *label = NULL;

      get_int (sales, "count", &count);
      label = g_strdup_printf ("%s (%" G_GINT64_FORMAT ")", _ ("Sales"), count);
      add_amount (out, width, label, value, currency);
    }
  add_by_method (out, width, get_array (report, "by_tender"), currency);
  for (guint i = 0; by_tax != NULL && i < json_array_get_length (by_tax); i++)
    {
      JsonNode        *node = json_array_get_element (by_tax, i);
      JsonObject      *item = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      gint64           rate = 0, tax = 0;
      g_autofree char *rate_text = NULL;
      g_autofree char *label = NULL;

      if (!get_int (item, "tax_rate", &rate))
        get_int (item, "rate", &rate);
      if (!get_int (item, "tax", &tax))
        get_int (item, "amount", &tax);
      rate_text = till_tax_rate_to_string ((int) rate);
      /* Translators: a Z report's tax line, e.g. "Tax 19 %". */
      label = g_strdup_printf (_ ("Tax %s %%"), rate_text);
      add_amount (out, width, label, tax, currency);
    }
  if (get_array (report, "refunds") != NULL &&
      json_array_get_length (get_array (report, "refunds")) > 0)
    {
      add_line (out, width, _ ("Refunds"), NULL);
      add_by_method (out, width, get_array (report, "refunds"), currency);
    }
  if (get_int (report, "discounts", &value))
    add_amount (out, width, _ ("Discounts"), value, currency);
  if (get_int (voids, "amount", &value))
    {
      gint64           count = 0;
      g_autofree char *label = NULL;

      get_int (voids, "count", &count);
      label = g_strdup_printf ("%s (%" G_GINT64_FORMAT ")", _ ("Voids"), count);
      add_amount (out, width, label, value, currency);
    }
  if (get_int (report, "cash_rounding", &value) && value != 0)
    add_amount (out, width, _ ("Cash rounding"), value, currency);
  add_rule (out, width);
  if (get_int (report, "float", &value))
    add_amount (out, width, _ ("Float"), value, currency);
  if (get_int (movements, "pay_ins", &value))
    add_amount (out, width, _ ("Pay ins"), value, currency);
  if (get_int (movements, "pay_outs", &value))
    add_amount (out, width, _ ("Pay outs"), value, currency);
  if (get_int (movements, "no_sales", &value))
    {
      g_autofree char *count = g_strdup_printf ("%" G_GINT64_FORMAT, value);
      add_line (out, width, _ ("No sales"), count);
    }
  if (get_int (report, "expected", &value))
    add_amount (out, width, _ ("Expected in drawer"), value, currency);
  if (get_int (report, "counted", &value))
    add_amount (out, width, _ ("Counted"), value, currency);
  if (get_int (report, "over_short", &value))
    add_amount (out, width, value < 0 ? _ ("Short") : _ ("Over"), ABS (value), currency);
  return g_string_free (out, FALSE);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (till_receipt_printer_send_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_operation_done (GtkPrintOperation *operation, GtkPrintOperationResult result, gpointer data)
{
  GTask  *task = data;
  GError *error = NULL;

  if (g_object_get_data (G_OBJECT (task), "till-returned") != NULL)
    return;
  g_object_set_data (G_OBJECT (task), "till-returned", GINT_TO_POINTER (TRUE));
  if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    {
      gtk_print_operation_get_error (operation, &error);
      g_task_return_error (task, error);
    }
  else if (result == GTK_PRINT_OPERATION_RESULT_CANCEL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _ ("The report was not printed."));
  else
    g_task_return_boolean (task, TRUE);
}

static void
unref_task (gpointer data, GClosure *closure)
{
  g_object_unref (data);
}

/**
 * till_cash_report_print_async:
 *
 * Prints @report where receipts go (GSettings `receipt-printer`): the ESC/POS printer, or
 * with none chosen the print dialog (A4; "Print to File" makes a PDF).
 */
void
till_cash_report_print_async (JsonObject         *report,
                              const char         *currency,
                              GtkWindow          *parent,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  g_autofree char *address = g_settings_get_string (settings, "receipt-printer");

  g_task_set_source_tag (task, till_cash_report_print_async);
  if (*g_strstrip (address) != '\0')
    {
      int columns = till_escpos_columns (g_settings_get_uint (settings, "receipt-paper-width"));
      g_autofree char *text = till_cash_report_format (report, currency, columns);
      g_autoptr (GBytes) job = till_escpos_encode (text, NULL, TRUE);

      till_receipt_printer_send_async (address, job, cancellable, on_sent, g_object_ref (task));
    }
  else
    {
      g_autofree char *text = till_cash_report_format (report, currency, TILL_RECEIPT_WIDTH);
      const char      *number = json_object_get_string_member_with_default (report, "number", "X");
      g_autoptr (GtkPrintOperation) operation =
          till_receipt_printer_new_operation (text, number, NULL);
      GError *error = NULL;

      gtk_print_operation_set_allow_async (operation, TRUE);
      g_signal_connect_data (operation, "done", G_CALLBACK (on_operation_done), g_object_ref (task),
                             unref_task, 0);
      if (gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG, parent,
                                   &error) == GTK_PRINT_OPERATION_RESULT_ERROR &&
          g_object_get_data (G_OBJECT (task), "till-returned") == NULL)
        {
          g_object_set_data (G_OBJECT (task), "till-returned", GINT_TO_POINTER (TRUE));
          if (error == NULL)
            g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, _ ("The report was not printed."));
          g_task_return_error (task, error);
        }
      else
        g_clear_error (&error);
    }
}

gboolean
till_cash_report_print_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
