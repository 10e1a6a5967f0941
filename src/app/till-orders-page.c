/* till-orders-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two views in a stack: the list (pages of the server's cursor, fetched as the list is
 * scrolled to its end) and an order's detail. Every figure shown is the server's: the app
 * formats amounts, it never recomputes them (tax per rate adds the lines' own tax).
 *
 * Longer than our files usually are: the list, an order's detail and the refund dialog share the
 * page's state (the order shown, the refund key kept between tries, the cursor); the dialog
 * could move out once another page needs it.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-error-message.h"
#include "till-money-label.h"
#include "till-orders-page-private.h"
#include "till-receipt-printer.h"

struct _TillOrdersPage
{
  AdwBin parent_instance;

  TillClient   *client;
  GCancellable *list_cancellable;
  GCancellable *detail_cancellable;
  guint         generation; /* of the list: answers for an older one are dropped */
  gboolean      list_busy;
  gboolean      detail_busy;
  GPtrArray    *orders; /* element-type TillOrder */
  char         *next_cursor;
  guint         search_idle;
  gboolean      search_typed; /* typed, and the search entry's pause not over yet */

  GtkStack    *stack;
  GtkEditable *search;
  GtkDropDown *period;
  GtkDropDown *status;
  GtkWidget   *range_box;
  GtkEditable *from;
  GtkEditable *to;
  GtkListBox  *list;
  GtkLabel    *list_message;
  GtkWidget   *spinner;

  GtkLabel  *detail_title;
  GtkBox    *detail_box;
  GtkLabel  *detail_message;
  GtkWidget *sync_button;
  GtkWidget *refund_button;
  GtkWidget *print_button;
  GtkLabel  *print_message;
  gboolean   printing;
  gint64     print_order_id; /* the order being printed: its answer is shown only with it */
  TillOrder *detail;
  GPtrArray *refunds;

  AdwMessageDialog *refund_dialog;
  GtkDropDown      *refund_kind;
  GtkEditable      *refund_amount;
  GtkWidget        *refund_amount_row;
  GtkWidget        *refund_lines_box;
  GPtrArray        *refund_spins;
  GtkDropDown      *refund_reason;
  GtkLabel         *refund_summary;
  char             *refund_key; /* kept until a refund of its order is answered */
  gint64            refund_key_order;
  char             *detail_notice; /* shown once the order being read is there */
  gint64            refund_total;
  char             *refund_problem;
};

G_DEFINE_FINAL_TYPE (TillOrdersPage, till_orders_page, ADW_TYPE_BIN)

static const char *const statuses[] = {
  NULL, "pending_payment", "paid", "partially_refunded", "refunded", "canceled",
};
static const char *const reasons[] = { NULL, "requested_by_customer", "duplicate", "fraudulent" };

static void load_page (TillOrdersPage *self, gboolean first);
static void show_detail (TillOrdersPage *self);
static void set_print_message (TillOrdersPage *self, const char *text, gboolean failed);

static const char *
status_label (TillOrderStatus status)
{
  switch (status)
    {
      case TILL_ORDER_PENDING_PAYMENT:
        return _ ("Waiting for Payment");
      case TILL_ORDER_PARTIALLY_PAID:
        return _ ("Partly Paid");
      case TILL_ORDER_PAID:
        return _ ("Paid");
      case TILL_ORDER_PARTIALLY_REFUNDED:
        return _ ("Partially Refunded");
      case TILL_ORDER_REFUNDED:
        return _ ("Refunded");
      case TILL_ORDER_CANCELED:
        return _ ("Abandoned");
      default:
        return "";
    }
}

/* "visa" as people write it. */
static char *
brand_label (const char *brand)
{
  char *label;

  if (brand == NULL || *brand == '\0')
    return g_strdup (_ ("Card"));
  if (g_str_equal (brand, "amex"))
    return g_strdup ("American Express");
  if (g_str_equal (brand, "diners"))
    return g_strdup ("Diners Club");
  if (g_str_equal (brand, "unionpay"))
    return g_strdup ("UnionPay");
  if (g_str_equal (brand, "jcb"))
    return g_strdup ("JCB");
  label = g_strdup (brand);
  label[0] = g_ascii_toupper (label[0]);
  return label;
}

static char *
format_time (GDateTime *time)
{
  g_autoptr (GDateTime) local = NULL;

  if (time == NULL)
    return g_strdup ("");
  local = g_date_time_to_local (time);
  /* TRANSLATORS: a date and time in lists of orders, see g_date_time_format() */
  return g_date_time_format (local, _ ("%x %H:%M"));
}

static void
set_message (GtkLabel *label, const char *text)
{
  gtk_label_set_label (label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL && *text != '\0');
}

static char *
error_text (const GError *error)
{
  g_autoptr (TillErrorMessage) message = till_error_message_new (error);

  return g_strdup_printf ("%s %s", message->title, message->next_step);
}

/* The list */

static GtkWidget *
order_row_new (const TillOrder *order)
{
  GtkWidget       *row = adw_action_row_new ();
  GtkWidget       *amount;
  g_autofree char *total = till_money_label (order->total, order->currency);
  g_autofree char *time = format_time (order->created_at);
  g_autoptr (GString) subtitle = g_string_new (time);

  g_string_append_printf (subtitle, " · %s", status_label (order->status));
  if (order->card_last4 != NULL)
    {
      g_autofree char *brand = brand_label (order->card_brand);

      g_string_append_printf (subtitle, " · %s •••• %s", brand, order->card_last4);
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), order->number);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  amount = gtk_label_new (total);
  gtk_widget_add_css_class (amount, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), amount);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("go-next-symbolic"));
  return row;
}

static void
update_spinner (TillOrdersPage *self)
{
  gtk_widget_set_visible (self->spinner, self->list_busy);
}

/* "2026-12-07" to "2026-12-07T00:00:00", the day after for @end; NULL if it is not a date. */
static char *
day_bound (const char *text, gboolean end)
{
  int  year, month, day;
  char extra;
  g_autoptr (GDateTime) date = NULL;

  if (sscanf (text, "%4d-%2d-%2d%c", &year, &month, &day, &extra) != 3 ||
      !g_date_valid_dmy (day, month, year))
    return NULL;
  date = g_date_time_new_utc (year, month, day, 0, 0, 0);
  if (end)
    {
      GDateTime *next = g_date_time_add_days (date, 1);

      g_date_time_unref (date);
      date = next;
    }
  return g_date_time_format (date, "%Y-%m-%dT%H:%M:%S");
}

/* The filters as query values; FALSE (and the reason shown) when a date does not read. */
static gboolean
read_filters (TillOrdersPage *self, char **from, char **to)
{
  guint period = gtk_drop_down_get_selected (self->period);

  *from = *to = NULL;
  if (period == 1)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");

      *from = day_bound (today, FALSE);
      *to = day_bound (today, TRUE);
    }
  else if (period == 2)
    {
      const char *from_text = gtk_editable_get_text (self->from);
      const char *to_text = gtk_editable_get_text (self->to);

      if (*from_text != '\0' && (*from = day_bound (from_text, FALSE)) == NULL)
        {
          gtk_widget_add_css_class (GTK_WIDGET (self->from), "error");
          set_message (self->list_message,
                       _ ("Type the first day as YYYY-MM-DD, e.g. 2026-12-31."));
          return FALSE;
        }
      if (*to_text != '\0' && (*to = day_bound (to_text, TRUE)) == NULL)
        {
          g_clear_pointer (from, g_free);
          gtk_widget_add_css_class (GTK_WIDGET (self->to), "error");
          set_message (self->list_message, _ ("Type the last day as YYYY-MM-DD, e.g. 2026-12-31."));
          return FALSE;
        }
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->from), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->to), "error");
  return TRUE;
}

static void
on_page_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data; /* holds the page and the generation */
  TillOrdersPage *self = g_task_get_source_object (task);
  guint           generation = GPOINTER_TO_UINT (g_task_get_task_data (task));
  g_autoptr (GError) error = NULL;
  g_autofree char *cursor = NULL;
  g_autoptr (GPtrArray) orders =
      till_client_list_orders_finish (TILL_CLIENT (source), result, &cursor, &error);

  g_task_return_boolean (task, TRUE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || generation != self->generation)
    return;
  self->list_busy = FALSE;
  update_spinner (self);
  if (orders == NULL)
    {
      g_autofree char *text = error_text (error);

      g_debug ("orders: %s", error->message);
      set_message (self->list_message, text);
      return;
    }
  g_free (self->next_cursor);
  self->next_cursor = g_steal_pointer (&cursor);
  for (guint i = 0; i < orders->len; i++)
    {
      gtk_list_box_append (self->list, order_row_new (orders->pdata[i]));
      g_ptr_array_add (self->orders, orders->pdata[i]);
      orders->pdata[i] = NULL;
    }
  set_message (self->list_message, self->orders->len == 0 ? _ ("No orders match.") : NULL);
}

static void
load_page (TillOrdersPage *self, gboolean first)
{
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *q = NULL;
  GTask           *task;

  if (first)
    {
      GtkWidget *child;

      g_cancellable_cancel (self->list_cancellable);
      g_clear_object (&self->list_cancellable);
      self->generation++;
      self->list_busy = FALSE;
      g_ptr_array_set_size (self->orders, 0);
      g_clear_pointer (&self->next_cursor, g_free);
      while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
        gtk_list_box_remove (self->list, child);
    }
  else if (self->list_busy || self->next_cursor == NULL)
    return;
  set_message (self->list_message, NULL);
  if (!read_filters (self, &from, &to))
    return;
  self->list_cancellable = self->list_cancellable ? self->list_cancellable : g_cancellable_new ();
  self->list_busy = TRUE;
  update_spinner (self);
  q = g_strstrip (g_strdup (gtk_editable_get_text (self->search)));
  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_task_data (task, GUINT_TO_POINTER (self->generation), NULL);
  till_client_list_orders_async (self->client, statuses[gtk_drop_down_get_selected (self->status)],
                                 from, to, q, first ? NULL : self->next_cursor,
                                 self->list_cancellable, on_page_loaded, task);
}

void
till_orders_page_reload (TillOrdersPage *self)
{
  g_return_if_fail (TILL_IS_ORDERS_PAGE (self));

  gtk_stack_set_visible_child_name (self->stack, "list");
  load_page (self, TRUE);
}

/* The next page is asked for once the list is scrolled to within a screen of its end, and
 * at once when a page does not fill the window (it could never be scrolled). */
void
till_orders_page_focus_search (TillOrdersPage *self)
{
  g_return_if_fail (TILL_IS_ORDERS_PAGE (self));

  gtk_stack_set_visible_child_name (self->stack, "list");
  gtk_widget_grab_focus (GTK_WIDGET (self->search));
}

static void
on_vadjustment_changed (TillOrdersPage *self, GtkAdjustment *adjustment)
{
  double page = gtk_adjustment_get_page_size (adjustment);

  if (page > 0 &&
      gtk_adjustment_get_value (adjustment) + 2 * page >= gtk_adjustment_get_upper (adjustment))
    load_page (self, FALSE);
}

static gboolean
search_now (gpointer data)
{
  TillOrdersPage *self = data;

  self->search_idle = 0;
  load_page (self, TRUE);
  return G_SOURCE_REMOVE;
}

static void
on_search_typed (TillOrdersPage *self)
{
  self->search_typed = TRUE;
}

static void
on_filters_changed (TillOrdersPage *self)
{
  self->search_typed = FALSE;
  gtk_widget_set_visible (self->range_box, gtk_drop_down_get_selected (self->period) == 2);
  g_clear_handle_id (&self->search_idle, g_source_remove);
  self->search_idle = g_idle_add (search_now, self);
}

/* The detail */

static void
on_detail_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillOrdersPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) refunds = NULL;
  TillOrder *order =
      till_client_order_detail_finish (TILL_CLIENT (source), result, &refunds, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->detail_busy = FALSE;
  if (order == NULL)
    {
      g_autofree char *text = error_text (error);

      g_debug ("order: %s", error->message);
      set_message (self->detail_message, text);
      show_detail (self);
      return;
    }
  g_clear_pointer (&self->detail, till_order_free);
  g_clear_pointer (&self->refunds, g_ptr_array_unref);
  self->detail = order;
  self->refunds = g_steal_pointer (&refunds);
  set_message (self->detail_message, self->detail_notice);
  g_clear_pointer (&self->detail_notice, g_free);
  show_detail (self);
}

static void
open_order (TillOrdersPage *self, gint64 id)
{
  if (self->detail_cancellable != NULL)
    g_cancellable_cancel (self->detail_cancellable);
  g_clear_object (&self->detail_cancellable);
  self->detail_cancellable = g_cancellable_new ();
  g_clear_pointer (&self->detail, till_order_free);
  g_clear_pointer (&self->refunds, g_ptr_array_unref);
  g_clear_pointer (&self->detail_notice, g_free);
  set_message (self->detail_message, NULL);
  set_print_message (self, NULL, FALSE);
  self->detail_busy = TRUE;
  show_detail (self);
  gtk_stack_set_visible_child_name (self->stack, "detail");
  till_client_get_order_async (self->client, id, self->detail_cancellable, on_detail_loaded, self);
}

static void
on_row_activated (TillOrdersPage *self, GtkListBoxRow *row)
{
  int index = gtk_list_box_row_get_index (row);

  if (index >= 0 && (guint) index < self->orders->len)
    open_order (self, ((TillOrder *) self->orders->pdata[index])->id);
}

static GtkWidget *
group_new (TillOrdersPage *self, const char *title)
{
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  gtk_box_append (self->detail_box, group);
  return group;
}

static void
add_row (GtkWidget *group, const char *title, const char *subtitle, const char *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (value != NULL)
    {
      GtkWidget *label = gtk_label_new (value);

      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
    }
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
}

static void
add_money_row (GtkWidget *group, const char *title, gint64 amount, const char *currency)
{
  g_autofree char *value = till_money_label (amount, currency);

  add_row (group, title, NULL, value);
}

static const char *
reason_label (const char *reason)
{
  if (g_strcmp0 (reason, "requested_by_customer") == 0)
    return _ ("Requested by the customer");
  if (g_strcmp0 (reason, "duplicate") == 0)
    return _ ("Duplicate");
  if (g_strcmp0 (reason, "fraudulent") == 0)
    return _ ("Fraudulent");
  return _ ("No reason given");
}

static const char *
refund_status_label (const char *status)
{
  if (g_strcmp0 (status, "succeeded") == 0)
    return _ ("Refunded");
  if (g_strcmp0 (status, "pending") == 0)
    return _ ("Being refunded");
  if (g_strcmp0 (status, "failed") == 0)
    return _ ("Failed");
  return _ ("Canceled");
}

static gint64
left_to_refund (const TillOrder *order)
{
  return order->total - order->refunded;
}

static void
show_detail (TillOrdersPage *self)
{
  const TillOrder       *order = self->detail;
  GtkWidget             *child;
  GtkWidget             *group;
  const char            *cur;
  const TillStoreConfig *config = till_client_get_config (self->client);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->detail_box))) != NULL)
    gtk_box_remove (self->detail_box, child);
  gtk_widget_set_visible (self->sync_button, FALSE);
  gtk_widget_set_visible (self->refund_button, FALSE);
  gtk_widget_set_visible (self->print_button, FALSE);
  gtk_widget_set_sensitive (self->sync_button, TRUE);
  gtk_widget_set_sensitive (self->refund_button, TRUE);
  if (order == NULL)
    {
      gtk_label_set_label (self->detail_title, self->detail_busy ? _ ("Loading the Order…") : "");
      return;
    }
  cur = order->currency;

  {
    g_autofree char *title =
        g_strdup_printf ("%s · %s", order->number, status_label (order->status));

    gtk_label_set_label (self->detail_title, title);
  }
  if (order->status == TILL_ORDER_CANCELED)
    {
      GtkWidget *label = gtk_label_new (
          _ ("This order was abandoned: it was never paid, and nothing was charged."));

      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (self->detail_box, label);
    }
  else if (order->status == TILL_ORDER_PENDING_PAYMENT)
    {
      GtkWidget *label = gtk_label_new (
          _ ("This order is waiting for its payment. Sync asks the payment provider for news."));

      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (self->detail_box, label);
    }

  group = group_new (self, _ ("Items"));
  for (guint i = 0; order->lines != NULL && i < order->lines->len; i++)
    {
      const TillOrderLine *line = order->lines->pdata[i];
      g_autofree char     *unit = till_money_label (line->unit_amount, cur);
      g_autofree char *sub = g_strdup_printf ("%" G_GINT64_FORMAT " × %s", line->quantity, unit);
      g_autofree char *total = till_money_label (line->total, cur);

      add_row (group, line->name, sub, total);
    }

  group = group_new (self, _ ("Totals"));
  add_money_row (group, _ ("Subtotal"), order->subtotal, cur);
  if (order->discount != 0)
    add_money_row (group, _ ("Discount"), -order->discount, cur);
  {
    /* The lines' own tax by rate, as the server computed it. */
    g_autoptr (GArray) rates = g_array_new (FALSE, TRUE, sizeof (gint64) * 2);

    for (guint i = 0; order->lines != NULL && i < order->lines->len; i++)
      {
        const TillOrderLine *line = order->lines->pdata[i];
        guint                j;

        for (j = 0; j < rates->len; j++)
          if (((gint64 *) rates->data)[2 * j] == line->tax_rate)
            break;
        if (j == rates->len)
          {
            gint64 pair[2] = { line->tax_rate, 0 };

            g_array_append_vals (rates, pair, 1);
          }
        ((gint64 *) rates->data)[2 * j + 1] += line->tax;
      }
    for (guint j = 0; j < rates->len; j++)
      {
        gint64           rate = ((gint64 *) rates->data)[2 * j];
        g_autofree char *title = NULL;
        g_autofree char *percent = NULL;

        if (rate % 100 == 0)
          percent = g_strdup_printf ("%" G_GINT64_FORMAT, rate / 100);
        else
          percent =
              g_strdup_printf ("%" G_GINT64_FORMAT ".%02" G_GINT64_FORMAT, rate / 100, rate % 100);
        if (config != NULL && config->prices_include_tax)
          /* TRANSLATORS: %s is a tax rate's percentage, "7" or "7.50" */
          title = g_strdup_printf (_ ("Tax %s %% (included)"), percent);
        else
          /* TRANSLATORS: %s is a tax rate's percentage, "7" or "7.50" */
          title = g_strdup_printf (_ ("Tax %s %%"), percent);
        add_money_row (group, title, ((gint64 *) rates->data)[2 * j + 1], cur);
      }
  }
  if (order->rounding != 0)
    add_money_row (group, _ ("Rounding"), order->rounding, cur);
  add_money_row (group, _ ("Total"), order->total, cur);
  if (order->refunded != 0)
    {
      add_money_row (group, _ ("Refunded"), -order->refunded, cur);
      add_money_row (group, _ ("Left after refunds"), left_to_refund (order), cur);
    }

  group = group_new (self, _ ("Payment"));
  if (order->card_last4 != NULL)
    {
      g_autofree char *brand = brand_label (order->card_brand);
      g_autofree char *card = g_strdup_printf ("%s •••• %s", brand, order->card_last4);
      g_autofree char *paid = format_time (order->paid_at);

      add_row (group, card, order->paid_at ? paid : NULL, NULL);
    }
  else
    add_row (group, _ ("No card payment yet"), order->decline_message, NULL);

  if (self->refunds != NULL && self->refunds->len > 0)
    {
      group = group_new (self, _ ("Refunds"));
      for (guint i = 0; i < self->refunds->len; i++)
        {
          const TillOrderRefund *refund = self->refunds->pdata[i];
          g_autofree char       *amount = till_money_label (refund->amount, cur);
          g_autofree char       *time = format_time (refund->created_at);
          g_autofree char *sub = g_strdup_printf ("%s · %s", time, reason_label (refund->reason));

          add_row (group, refund_status_label (refund->status), sub, amount);
        }
    }

  /* The history the server's times tell. */
  group = group_new (self, _ ("History"));
  {
    g_autofree char *made = format_time (order->created_at);

    add_row (group, _ ("Order made"), made, NULL);
  }
  if (order->paid_at != NULL)
    {
      g_autofree char *paid = format_time (order->paid_at);

      add_row (group, _ ("Paid"), paid, NULL);
    }
  for (guint i = 0; self->refunds != NULL && i < self->refunds->len; i++)
    {
      const TillOrderRefund *refund = self->refunds->pdata[i];
      g_autofree char       *amount = till_money_label (refund->amount, cur);
      g_autofree char       *time = format_time (refund->created_at);
      g_autofree char       *title = g_strdup_printf (_ ("Refund of %s"), amount);

      add_row (group, title, time, NULL);
    }
  if (order->status == TILL_ORDER_CANCELED)
    {
      /* Servers before canceled_at do not say when. */
      g_autofree char *canceled = format_time (order->canceled_at);

      add_row (group, _ ("Canceled"), order->canceled_at ? canceled : NULL, NULL);
    }

  gtk_widget_set_visible (self->sync_button, order->status == TILL_ORDER_PENDING_PAYMENT);
  gtk_widget_set_visible (self->refund_button, (order->status == TILL_ORDER_PAID ||
                                                order->status == TILL_ORDER_PARTIALLY_REFUNDED) &&
                                                   left_to_refund (order) > 0);
  /* A receipt exists once the order was paid, refunds or not. */
  gtk_widget_set_visible (self->print_button, order->status == TILL_ORDER_PAID ||
                                                  order->status == TILL_ORDER_PARTIALLY_REFUNDED ||
                                                  order->status == TILL_ORDER_REFUNDED);
  gtk_widget_set_sensitive (self->print_button, !self->printing);
}

/* Reprint */

static void
set_print_message (TillOrdersPage *self, const char *text, gboolean failed)
{
  set_message (self->print_message, text);
  if (failed)
    gtk_widget_add_css_class (GTK_WIDGET (self->print_message), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->print_message), "error");
}

static void
on_receipt_printed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillOrdersPage) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean printed = till_receipt_print_finish (result, &error);

  self->printing = FALSE;
  if (self->client == NULL) /* the page was closed meanwhile */
    return;
  gtk_widget_set_sensitive (self->print_button, TRUE);
  if (self->detail == NULL || self->detail->id != self->print_order_id)
    return; /* another order is shown now */
  if (printed)
    set_print_message (self, _ ("Printed."), FALSE);
  else
    {
      g_debug ("reprint: %s", error->message);
      set_print_message (self, error->message, TRUE);
    }
}

static void
on_print_clicked (TillOrdersPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (self->detail == NULL || self->printing)
    return;
  self->printing = TRUE;
  self->print_order_id = self->detail->id;
  gtk_widget_set_sensitive (self->print_button, FALSE);
  set_print_message (self, _ ("Printing the receipt…"), FALSE);
  /* Not the detail's cancellable: a receipt on its way still prints after Back. */
  till_receipt_print_async (self->client, self->detail,
                            GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, NULL,
                            on_receipt_printed, g_object_ref (self));
}

/* Sync */

static void
on_synced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillOrdersPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillOrder) order =
      till_client_order_action_finish (TILL_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->detail_busy = FALSE;
  gtk_widget_set_sensitive (self->sync_button, TRUE);
  if (order == NULL)
    {
      g_autofree char *text = error_text (error);

      set_message (self->detail_message, text);
      return;
    }
  open_order (self, order->id);
}

static void
on_sync_clicked (TillOrdersPage *self)
{
  if (self->detail == NULL || self->detail_busy)
    return;
  self->detail_busy = TRUE;
  gtk_widget_set_sensitive (self->sync_button, FALSE);
  till_client_sync_order_async (self->client, self->detail->id, self->detail_cancellable, on_synced,
                                self);
}

/* Refunds */

static gint64
line_share (const TillOrderLine *line, gint64 quantity)
{
  /* The part of what the line cost (its total, after discounts, with tax) for @quantity of
   * its items, rounded half-up; all of them is exactly the line's total. */
  if (quantity >= line->quantity)
    return line->total;
  return (line->total * quantity * 2 + line->quantity) / (line->quantity * 2);
}

static void
update_refund (TillOrdersPage *self)
{
  const TillOrder *order = self->detail;
  guint            kind = gtk_drop_down_get_selected (self->refund_kind);
  gint64           left = left_to_refund (order);
  gint64           amount = 0;
  g_autofree char *problem = NULL;

  gtk_widget_set_visible (self->refund_amount_row, kind == 1);
  gtk_widget_set_visible (self->refund_lines_box, kind == 2);
  if (kind == 0)
    amount = left;
  else if (kind == 1)
    {
      const char         *text = gtk_editable_get_text (self->refund_amount);
      g_autofree char    *stripped = g_strstrip (g_strdup (text));
      const TillCurrency *currency = till_currency_lookup (order->currency);

      if (*stripped == '\0')
        problem = g_strdup (_ ("Type the amount to give back."));
      else if (currency == NULL ||
               !till_money_parse_localized (stripped, currency, till_money_label_locale (),
                                            TILL_PARSE_DEFAULT, &amount, NULL) ||
               amount <= 0)
        problem = g_strdup (_ ("That is not an amount. Type it as the receipt shows it."));
    }
  else
    {
      for (guint i = 0; i < self->refund_spins->len; i++)
        amount += line_share (order->lines->pdata[i],
                              gtk_spin_button_get_value_as_int (self->refund_spins->pdata[i]));
      if (amount == 0)
        problem = g_strdup (_ ("Choose the items to give back."));
    }
  if (problem == NULL && amount > left)
    {
      g_autofree char *max = till_money_label (left, order->currency);

      problem = g_strdup_printf (_ ("That is more than is left to refund: at most %s."), max);
    }
  g_free (self->refund_problem);
  self->refund_problem = g_steal_pointer (&problem);
  self->refund_total = self->refund_problem ? 0 : amount;
  if (self->refund_problem != NULL)
    {
      gtk_label_set_label (self->refund_summary, self->refund_problem);
      gtk_widget_add_css_class (GTK_WIDGET (self->refund_summary), "error");
    }
  else
    {
      g_autofree char *money = till_money_label (amount, order->currency);
      g_autofree char *text = g_strdup_printf (_ ("%s goes back to the card."), money);

      gtk_label_set_label (self->refund_summary, text);
      gtk_widget_remove_css_class (GTK_WIDGET (self->refund_summary), "error");
    }
  adw_message_dialog_set_response_enabled (self->refund_dialog, "refund",
                                           self->refund_problem == NULL);
}

static void
on_refunded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillOrdersPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) refunds = NULL;
  TillOrder *order =
      till_client_order_detail_finish (TILL_CLIENT (source), result, &refunds, &error);

  if (self->client == NULL) /* the page was closed meanwhile */
    {
      g_clear_pointer (&order, till_order_free);
      return;
    }
  self->detail_busy = FALSE;
  gtk_widget_set_sensitive (self->refund_button, TRUE);
  if (order == NULL)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_FORBIDDEN))
        text = g_strdup (_ ("Only an admin terminal may give refunds, and this till is a cashier "
                            "terminal. Ask an admin."));
      else if (g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_CONFLICT))
        {
          /* The order as it is now, with the reason above it. */
          g_debug ("refund: %s", error->message);
          if (self->detail != NULL)
            {
              gint64 id = self->detail->id;

              open_order (self, id);
              g_free (self->detail_notice);
              self->detail_notice =
                  g_strdup (_ ("The refund was refused: the order changed, or less is left to "
                               "refund than asked. Nothing was refunded."));
              return;
            }
          text =
              g_strdup (_ ("The refund was refused: the order changed, or less is left to refund "
                           "than asked. Nothing was refunded."));
        }
      else if (g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_TIMEOUT))
        text = g_strdup (_ ("The server did not answer in time: the refund may have been made. "
                            "Refund the same amount again to be sure: it is never made twice."));
      else
        {
          g_autofree char *reason = error_text (error);

          text = g_strdup_printf (_ ("The refund did not go through. %s"), reason);
        }
      g_debug ("refund: %s", error->message);
      set_message (self->detail_message, text);
      return;
    }
  if (self->refund_key_order == order->id)
    g_clear_pointer (&self->refund_key, g_free);
  /* The list shows the order's new status, and its detail if it is still the one shown. */
  for (guint i = 0; i < self->orders->len; i++)
    if (((TillOrder *) self->orders->pdata[i])->id == order->id)
      {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->list, i);
        GtkWidget     *fresh;

        ((TillOrder *) self->orders->pdata[i])->status = order->status;
        ((TillOrder *) self->orders->pdata[i])->refunded = order->refunded;
        fresh = order_row_new (self->orders->pdata[i]);
        gtk_list_box_remove (self->list, GTK_WIDGET (row));
        gtk_list_box_insert (self->list, fresh, i);
        break;
      }
  if (self->detail != NULL && self->detail->id == order->id)
    {
      till_order_free (self->detail);
      g_clear_pointer (&self->refunds, g_ptr_array_unref);
      self->detail = order;
      self->refunds = g_steal_pointer (&refunds);
      set_message (self->detail_message, NULL);
      show_detail (self);
    }
  else
    till_order_free (order);
}

static void
on_refund_response (TillOrdersPage *self, const char *response)
{
  gint64 amount = self->refund_total;

  if (g_strcmp0 (response, "refund") == 0 && self->detail != NULL && amount > 0)
    {
      g_autofree char *key = g_strdup_printf ("%s-%" G_GINT64_FORMAT, self->refund_key, amount);

      self->detail_busy = TRUE;
      gtk_widget_set_sensitive (self->refund_button, FALSE);
      till_client_refund_order_async (self->client, self->detail->id, amount,
                                      reasons[gtk_drop_down_get_selected (self->refund_reason)],
                                      key, NULL, on_refunded, g_object_ref (self));
    }
  self->refund_dialog = NULL;
  self->refund_kind = NULL;
  self->refund_amount = NULL;
  self->refund_reason = NULL;
  self->refund_summary = NULL;
  g_clear_pointer (&self->refund_spins, g_ptr_array_unref);
}

static GtkDropDown *
drop_down_new (const char *const *labels)
{
  GtkDropDown *drop = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (labels));

  return drop;
}

static void
on_refund_clicked (TillOrdersPage *self)
{
  const TillOrder *order = self->detail;
  g_autofree char *left = NULL;
  g_autofree char *body = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  const char      *kinds[] = { _ ("Everything Left"), _ ("An Amount"), _ ("Chosen Items"), NULL };
  const char      *reason_labels[] = { _ ("No Reason Given"), _ ("Requested by the Customer"),
                                       _ ("Duplicate"), _ ("Fraudulent"), NULL };
  GtkWidget       *box;
  GtkWidget       *row;
  GtkRoot         *root;
  const TillStoreConfig *config = till_client_get_config (self->client);

  if (order == NULL || self->refund_dialog != NULL)
    return;
  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (config != NULL && config->role != NULL && !till_store_config_is_admin (config))
    {
      set_message (self->detail_message,
                   _ ("Only an admin terminal may give refunds, and this till is a cashier "
                      "terminal. Ask an admin."));
      return;
    }
  left = till_money_label (left_to_refund (order), order->currency);
  body = g_strdup_printf (_ ("%s is left to refund on order %s."), left, order->number);
  self->refund_dialog = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _ ("Refund"), body));
  /* The same key again after an answer that never came: the same refund, never a second. */
  if (self->refund_key == NULL || self->refund_key_order != order->id)
    {
      g_free (self->refund_key);
      self->refund_key = g_steal_pointer (&uuid);
      self->refund_key_order = order->id;
    }
  adw_message_dialog_add_responses (self->refund_dialog, "cancel", _ ("_Cancel"), "refund",
                                    _ ("_Refund"), NULL);
  adw_message_dialog_set_response_appearance (self->refund_dialog, "refund",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (self->refund_dialog, "cancel");
  adw_message_dialog_set_close_response (self->refund_dialog, "cancel");

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  self->refund_kind = drop_down_new (kinds);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->refund_kind));

  self->refund_amount_row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_append (GTK_BOX (self->refund_amount_row), gtk_label_new (_ ("Amount")));
  self->refund_amount = GTK_EDITABLE (gtk_entry_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (self->refund_amount), TRUE);
  gtk_entry_set_input_purpose (GTK_ENTRY (self->refund_amount), GTK_INPUT_PURPOSE_NUMBER);
  gtk_entry_set_activates_default (GTK_ENTRY (self->refund_amount), FALSE);
  gtk_box_append (GTK_BOX (self->refund_amount_row), GTK_WIDGET (self->refund_amount));
  gtk_box_append (GTK_BOX (box), self->refund_amount_row);

  self->refund_lines_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  self->refund_spins = g_ptr_array_new ();
  for (guint i = 0; order->lines != NULL && i < order->lines->len; i++)
    {
      const TillOrderLine *line = order->lines->pdata[i];
      GtkWidget           *label = gtk_label_new (line->name);
      GtkWidget           *spin = gtk_spin_button_new_with_range (0, (double) line->quantity, 1);

      row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      line->name, -1);
      gtk_box_append (GTK_BOX (row), label);
      gtk_box_append (GTK_BOX (row), spin);
      gtk_box_append (GTK_BOX (self->refund_lines_box), row);
      g_ptr_array_add (self->refund_spins, spin);
      g_signal_connect_swapped (spin, "value-changed", G_CALLBACK (update_refund), self);
    }
  gtk_box_append (GTK_BOX (box), self->refund_lines_box);

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_append (GTK_BOX (row), gtk_label_new (_ ("Reason")));
  self->refund_reason = drop_down_new (reason_labels);
  gtk_widget_set_hexpand (GTK_WIDGET (self->refund_reason), TRUE);
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->refund_reason));
  gtk_box_append (GTK_BOX (box), row);

  self->refund_summary = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->refund_summary, TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->refund_summary));

  adw_message_dialog_set_extra_child (self->refund_dialog, box);
  g_signal_connect_swapped (self->refund_kind, "notify::selected", G_CALLBACK (update_refund),
                            self);
  g_signal_connect_swapped (self->refund_amount, "changed", G_CALLBACK (update_refund), self);
  g_signal_connect_swapped (self->refund_dialog, "response", G_CALLBACK (on_refund_response), self);
  update_refund (self);
  set_message (self->detail_message, NULL);
  gtk_window_present (GTK_WINDOW (self->refund_dialog));
}

static void
on_back_to_list (TillOrdersPage *self)
{
  if (self->detail_cancellable != NULL)
    g_cancellable_cancel (self->detail_cancellable);
  self->detail_busy = FALSE;
  gtk_stack_set_visible_child_name (self->stack, "list");
  gtk_widget_grab_focus (GTK_WIDGET (self->list));
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                TillOrdersPage        *self)
{
  gboolean back = keyval == GDK_KEY_Escape || ((state & GDK_ALT_MASK) && keyval == GDK_KEY_Left) ||
                  keyval == GDK_KEY_Back;

  if (back && g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "detail") == 0)
    {
      on_back_to_list (self);
      return TRUE;
    }
  return FALSE;
}

/* Building */

static GtkWidget *
back_button_new (const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("go-previous-symbolic");

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                  -1);
  return button;
}

static GtkWidget *
build_list (TillOrdersPage *self)
{
  GtkWidget  *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget  *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget  *back = back_button_new (_ ("Back to Selling"));
  GtkWidget  *scrolled = gtk_scrolled_window_new ();
  GtkWidget  *clamp = adw_clamp_new ();
  GtkWidget  *inner = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  const char *periods[] = { _ ("All Dates"), _ ("Today"), _ ("Date Range"), NULL };
  const char *status_names[] = {
    _ ("Any Status"), _ ("Waiting for Payment"), _ ("Paid"), _ ("Partially Refunded"),
    _ ("Refunded"),   _ ("Abandoned"),           NULL
  };

  gtk_widget_set_margin_start (bar, 12);
  gtk_widget_set_margin_end (bar, 12);
  gtk_widget_set_margin_top (bar, 6);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (back), "win.show-sell");
  gtk_box_append (GTK_BOX (bar), back);
  self->search = GTK_EDITABLE (gtk_search_entry_new ());
  g_object_set (self->search, "placeholder-text",
                _ ("Order number, amount or card’s last 4 digits"), NULL);
  gtk_widget_set_hexpand (GTK_WIDGET (self->search), TRUE);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->search));
  self->period = drop_down_new (periods);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->period), _ ("Dates"));
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->period));
  self->status = drop_down_new (status_names);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status), _ ("Status"));
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->status));
  gtk_box_append (GTK_BOX (box), bar);

  self->range_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_margin_start (self->range_box, 12);
  gtk_widget_set_margin_end (self->range_box, 12);
  gtk_widget_set_halign (self->range_box, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (self->range_box), gtk_label_new (_ ("From")));
  self->from = GTK_EDITABLE (gtk_entry_new ());
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->from), _ ("YYYY-MM-DD"));
  gtk_box_append (GTK_BOX (self->range_box), GTK_WIDGET (self->from));
  gtk_box_append (GTK_BOX (self->range_box), gtk_label_new (_ ("To")));
  self->to = GTK_EDITABLE (gtk_entry_new ());
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->to), _ ("YYYY-MM-DD"));
  gtk_box_append (GTK_BOX (self->range_box), GTK_WIDGET (self->to));
  gtk_widget_set_visible (self->range_box, FALSE);
  gtk_box_append (GTK_BOX (box), self->range_box);

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  gtk_widget_set_valign (GTK_WIDGET (self->list), GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (inner), GTK_WIDGET (self->list));
  self->list_message = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->list_message, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list_message), "dim-label");
  gtk_widget_set_visible (GTK_WIDGET (self->list_message), FALSE);
  gtk_box_append (GTK_BOX (inner), GTK_WIDGET (self->list_message));
  self->spinner = gtk_spinner_new ();
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), TRUE);
  gtk_widget_set_visible (self->spinner, FALSE);
  gtk_box_append (GTK_BOX (inner), self->spinner);
  gtk_widget_set_margin_top (inner, 6);
  gtk_widget_set_margin_bottom (inner, 12);
  gtk_widget_set_margin_start (inner, 12);
  gtk_widget_set_margin_end (inner, 12);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 900);
  adw_clamp_set_child (ADW_CLAMP (clamp), inner);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_append (GTK_BOX (box), scrolled);

  g_signal_connect_swapped (self->list, "row-activated", G_CALLBACK (on_row_activated), self);
  g_signal_connect_swapped (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled)),
                            "changed", G_CALLBACK (on_vadjustment_changed), self);
  g_signal_connect_swapped (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled)),
                            "value-changed", G_CALLBACK (on_vadjustment_changed), self);
  g_signal_connect_swapped (self->search, "changed", G_CALLBACK (on_search_typed), self);
  g_signal_connect_swapped (self->search, "search-changed", G_CALLBACK (on_filters_changed), self);
  g_signal_connect_swapped (self->period, "notify::selected", G_CALLBACK (on_filters_changed),
                            self);
  g_signal_connect_swapped (self->status, "notify::selected", G_CALLBACK (on_filters_changed),
                            self);
  g_signal_connect_swapped (self->from, "activate", G_CALLBACK (on_filters_changed), self);
  g_signal_connect_swapped (self->to, "activate", G_CALLBACK (on_filters_changed), self);
  return box;
}

static GtkWidget *
build_detail (TillOrdersPage *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *back = back_button_new (_ ("Back to Orders"));
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *inner = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  gtk_widget_set_margin_start (bar, 12);
  gtk_widget_set_margin_end (bar, 12);
  gtk_widget_set_margin_top (bar, 6);
  g_signal_connect_swapped (back, "clicked", G_CALLBACK (on_back_to_list), self);
  gtk_box_append (GTK_BOX (bar), back);
  self->detail_title = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->detail_title, 0);
  gtk_label_set_ellipsize (self->detail_title, PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (GTK_WIDGET (self->detail_title), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->detail_title), "title-4");
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->detail_title));
  self->sync_button = gtk_button_new_with_mnemonic (_ ("_Sync"));
  gtk_widget_set_tooltip_text (self->sync_button, _ ("Ask the payment provider about this order"));
  g_signal_connect_swapped (self->sync_button, "clicked", G_CALLBACK (on_sync_clicked), self);
  gtk_box_append (GTK_BOX (bar), self->sync_button);
  self->refund_button = gtk_button_new_with_mnemonic (_ ("_Refund…"));
  gtk_widget_add_css_class (self->refund_button, "destructive-action");
  g_signal_connect_swapped (self->refund_button, "clicked", G_CALLBACK (on_refund_clicked), self);
  gtk_box_append (GTK_BOX (bar), self->refund_button);
  /* TRANSLATORS: its mnemonic apart from Sync's and Refund's, in the same bar */
  self->print_button = gtk_button_new_with_mnemonic (_ ("Re_print Receipt"));
  g_signal_connect_swapped (self->print_button, "clicked", G_CALLBACK (on_print_clicked), self);
  gtk_box_append (GTK_BOX (bar), self->print_button);
  gtk_box_append (GTK_BOX (box), bar);

  self->print_message = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->print_message, TRUE);
  gtk_label_set_xalign (self->print_message, 0);
  gtk_widget_set_margin_start (GTK_WIDGET (self->print_message), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->print_message), 12);
  gtk_widget_set_visible (GTK_WIDGET (self->print_message), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->print_message));

  self->detail_message = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->detail_message, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->detail_message), "error");
  gtk_widget_set_margin_start (GTK_WIDGET (self->detail_message), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->detail_message), 12);
  gtk_widget_set_visible (GTK_WIDGET (self->detail_message), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->detail_message));

  self->detail_box = GTK_BOX (inner);
  gtk_widget_set_margin_top (inner, 6);
  gtk_widget_set_margin_bottom (inner, 12);
  gtk_widget_set_margin_start (inner, 12);
  gtk_widget_set_margin_end (inner, 12);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 700);
  adw_clamp_set_child (ADW_CLAMP (clamp), inner);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_append (GTK_BOX (box), scrolled);
  return box;
}

/* GObject */

static void
till_orders_page_dispose (GObject *object)
{
  TillOrdersPage *self = TILL_ORDERS_PAGE (object);

  if (self->list_cancellable != NULL)
    g_cancellable_cancel (self->list_cancellable);
  if (self->detail_cancellable != NULL)
    g_cancellable_cancel (self->detail_cancellable);
  g_clear_object (&self->list_cancellable);
  g_clear_object (&self->detail_cancellable);
  g_clear_handle_id (&self->search_idle, g_source_remove);
  if (self->refund_dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->refund_dialog, self);
      gtk_window_destroy (GTK_WINDOW (self->refund_dialog));
      self->refund_dialog = NULL;
    }
  g_clear_pointer (&self->refund_spins, g_ptr_array_unref);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (till_orders_page_parent_class)->dispose (object);
}

static void
till_orders_page_finalize (GObject *object)
{
  TillOrdersPage *self = TILL_ORDERS_PAGE (object);

  g_ptr_array_unref (self->orders);
  g_free (self->next_cursor);
  g_clear_pointer (&self->detail, till_order_free);
  g_clear_pointer (&self->refunds, g_ptr_array_unref);
  g_free (self->refund_key);
  g_free (self->detail_notice);
  g_free (self->refund_problem);

  G_OBJECT_CLASS (till_orders_page_parent_class)->finalize (object);
}

static void
till_orders_page_class_init (TillOrdersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_orders_page_dispose;
  object_class->finalize = till_orders_page_finalize;
}

static void
till_orders_page_init (TillOrdersPage *self)
{
  GtkEventController *controller = gtk_event_controller_key_new ();

  self->orders = g_ptr_array_new_with_free_func ((GDestroyNotify) till_order_free);
  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_transition_type (self->stack, GTK_STACK_TRANSITION_TYPE_SLIDE_LEFT_RIGHT);
  gtk_stack_add_named (self->stack, build_list (self), "list");
  gtk_stack_add_named (self->stack, build_detail (self), "detail");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->stack));
  g_signal_connect (controller, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

TillOrdersPage *
till_orders_page_new (TillClient *client)
{
  TillOrdersPage *self = g_object_new (TILL_TYPE_ORDERS_PAGE, NULL);

  self->client = g_object_ref (client);
  return self;
}

/* Private API */

gboolean
till_orders_page_is_busy (TillOrdersPage *self)
{
  return self->list_busy || self->detail_busy || self->printing || self->search_idle != 0 ||
         self->search_typed;
}

guint
till_orders_page_get_n_orders (TillOrdersPage *self)
{
  return self->orders->len;
}

const TillOrder *
till_orders_page_get_order (TillOrdersPage *self, guint index)
{
  return index < self->orders->len ? self->orders->pdata[index] : NULL;
}

gboolean
till_orders_page_load_more (TillOrdersPage *self)
{
  if (self->next_cursor == NULL || self->list_busy)
    return FALSE;
  load_page (self, FALSE);
  return TRUE;
}

gboolean
till_orders_page_has_more (TillOrdersPage *self)
{
  return self->next_cursor != NULL;
}

GtkListBox *
till_orders_page_get_list (TillOrdersPage *self)
{
  return self->list;
}

GtkEditable *
till_orders_page_get_search_entry (TillOrdersPage *self)
{
  return self->search;
}

GtkDropDown *
till_orders_page_get_period (TillOrdersPage *self)
{
  return self->period;
}

GtkEditable *
till_orders_page_get_from_entry (TillOrdersPage *self)
{
  return self->from;
}

GtkEditable *
till_orders_page_get_to_entry (TillOrdersPage *self)
{
  return self->to;
}

GtkDropDown *
till_orders_page_get_status (TillOrdersPage *self)
{
  return self->status;
}

const char *
till_orders_page_get_message (TillOrdersPage *self)
{
  GtkLabel *label = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "detail") == 0
                        ? self->detail_message
                        : self->list_message;

  return gtk_widget_get_visible (GTK_WIDGET (label)) ? gtk_label_get_label (label) : NULL;
}

const TillOrder *
till_orders_page_get_detail (TillOrdersPage *self, GPtrArray **out_refunds)
{
  if (out_refunds != NULL)
    *out_refunds = self->refunds;
  return self->detail;
}

static void
collect_labels (GtkWidget *widget, GString *text)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget))
    {
      const char *label = gtk_label_get_label (GTK_LABEL (widget));

      if (*label != '\0')
        g_string_append_printf (text, "%s\n", label);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, text);
}

char *
till_orders_page_get_detail_text (TillOrdersPage *self)
{
  GString *text = g_string_new (NULL);

  collect_labels (gtk_stack_get_child_by_name (self->stack, "detail"), text);
  return g_string_free (text, FALSE);
}

GtkWidget *
till_orders_page_get_sync_button (TillOrdersPage *self)
{
  return self->sync_button;
}

GtkWidget *
till_orders_page_get_refund_button (TillOrdersPage *self)
{
  return self->refund_button;
}

GtkWidget *
till_orders_page_get_print_button (TillOrdersPage *self)
{
  return self->print_button;
}

const char *
till_orders_page_get_print_message (TillOrdersPage *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self->print_message))
             ? gtk_label_get_label (self->print_message)
             : NULL;
}

AdwMessageDialog *
till_orders_page_get_refund_dialog (TillOrdersPage *self)
{
  return self->refund_dialog;
}

GtkDropDown *
till_orders_page_get_refund_kind (TillOrdersPage *self)
{
  return self->refund_kind;
}

GtkEditable *
till_orders_page_get_refund_amount (TillOrdersPage *self)
{
  return self->refund_amount;
}

GtkSpinButton *
till_orders_page_get_refund_line (TillOrdersPage *self, guint index)
{
  return self->refund_spins != NULL && index < self->refund_spins->len
             ? self->refund_spins->pdata[index]
             : NULL;
}

GtkDropDown *
till_orders_page_get_refund_reason (TillOrdersPage *self)
{
  return self->refund_reason;
}

gint64
till_orders_page_get_refund_total (TillOrdersPage *self)
{
  return self->refund_total;
}

const char *
till_orders_page_get_refund_problem (TillOrdersPage *self)
{
  return self->refund_problem;
}

const char *
till_orders_page_get_refund_key (TillOrdersPage *self)
{
  return self->refund_key;
}
