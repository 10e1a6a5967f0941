/* till-drawer-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session lives on the server (GET /api/v1/drawer and its POSTs, docs/contract.md); the
 * dialog asks it what state the drawer is in each time it opens. Closing is a blind count:
 * the server does not say what it expects while the session is open, and the dialog shows it
 * only in the server's answer to the close, next to what was counted.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-cash-drawer.h"
#include "till-core.h"
#include "till-drawer-dialog.h"
#include "till-error-message.h"
#include "till-money-label.h"

struct _TillDrawerDialog
{
  AdwWindow parent_instance;

  TillClient   *client;
  GCancellable *cancellable;
  char         *currency;
  gboolean      busy;
  JsonObject   *closed_session;

  GtkStack        *stack;
  GtkLabel        *message;
  GtkLabel        *open_title;
  GtkLabel        *result_label;
  GtkBox          *closed_box;
  GtkBox          *count_box;
  TillDrawerCount *count; /* the float's, or the close's: on the page shown */
  GtkEditable     *amount_entry;
  GtkEditable     *reason_entry;
};

G_DEFINE_FINAL_TYPE (TillDrawerDialog, till_drawer_dialog, ADW_TYPE_WINDOW)

static void
set_message (TillDrawerDialog *self, const char *text)
{
  gtk_label_set_text (self->message, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message), text != NULL && *text != '\0');
}

static void
show_error (TillDrawerDialog *self, const GError *error)
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
set_busy (TillDrawerDialog *self, gboolean busy)
{
  self->busy = busy;
  if (busy)
    gtk_window_set_focus (GTK_WINDOW (self), NULL); /* before going insensitive, see the keypad */
  gtk_widget_set_sensitive (GTK_WIDGET (self->stack), !busy);
}

/* A new count on @box's page, replacing the one there. */
static void
new_count (TillDrawerDialog *self, GtkBox *box)
{
  GtkWidget *old = gtk_widget_get_first_child (GTK_WIDGET (box));

  while (old != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (old);

      if (TILL_IS_DRAWER_COUNT (old))
        gtk_box_remove (box, old);
      old = next;
    }
  self->count = till_drawer_count_new (self->currency);
  gtk_box_insert_child_after (box, GTK_WIDGET (self->count),
                              gtk_widget_get_first_child (GTK_WIDGET (box)));
}

static JsonObject *
session_of (JsonObject *answer)
{
  if (json_object_has_member (answer, "session") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (answer, "session")))
    return json_object_get_object_member (answer, "session");
  return answer;
}

static gint64
amount_of (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

static void
show_open (TillDrawerDialog *self, JsonObject *session)
{
  const char      *opened = json_object_get_string_member_with_default (session, "opened_at", NULL);
  g_autofree char *float_text = till_money_label (amount_of (session, "float"), self->currency);
  g_autofree char *title = NULL;
  g_autoptr (GDateTime) when = opened != NULL ? g_date_time_new_from_iso8601 (opened, NULL) : NULL;

  if (when != NULL)
    {
      g_autoptr (GDateTime) local = g_date_time_to_local (when);
      g_autofree char *time = g_date_time_format (local, "%H:%M");

      /* Translators: the drawer session, e.g. "Open since 08:02, float €150.00". */
      title = g_strdup_printf (_ ("Open since %s, float %s"), time, float_text);
    }
  else
    title = g_strdup_printf (_ ("Open, float %s"), float_text);
  gtk_label_set_text (self->open_title, title);
  gtk_editable_set_text (self->amount_entry, "");
  gtk_editable_set_text (self->reason_entry, "");
  gtk_stack_set_visible_child_name (self->stack, "open");
  gtk_widget_grab_focus (GTK_WIDGET (self->amount_entry));
}

static void
on_drawer_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillDrawerDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer =
      till_client_cash_request_finish (TILL_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (answer != NULL)
    show_open (self, session_of (answer));
  else if (g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NOT_FOUND))
    {
      new_count (self, self->closed_box);
      gtk_stack_set_visible_child_name (self->stack, "closed");
    }
  else
    {
      g_message ("The drawer session could not be read: %s", error->message);
      show_error (self, error);
    }
}

static void
load (TillDrawerDialog *self)
{
  set_busy (self, TRUE);
  till_client_cash_request_async (self->client, "/api/v1/drawer", NULL, NULL, self->cancellable,
                                  on_drawer_loaded, g_object_ref (self));
}

static JsonNode *
counts_body (TillDrawerDialog *self, GError **error)
{
  g_autoptr (JsonObject) body = json_object_new ();
  gint64 total = 0;

  if (!till_drawer_count_get_total (self->count, &total, error))
    return NULL;
  if (till_drawer_count_get_n_denominations (self->count) > 0)
    json_object_set_member (body, "counts", till_drawer_count_to_json (self->count));
  else
    json_object_set_int_member (body, "counted", total);
  return json_node_init_object (json_node_alloc (), body);
}

static void
on_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillDrawerDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer =
      till_client_cash_request_finish (TILL_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (answer == NULL)
    {
      g_message ("The drawer was not opened: %s", error->message);
      show_error (self, error);
      return;
    }
  set_message (self, NULL);
  show_open (self, session_of (answer));
}

/* Opens a session with the float counted on the "closed" page. */
void
till_drawer_dialog_open_drawer (TillDrawerDialog *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) body = counts_body (self, &error);
  JsonObject *object;

  g_return_if_fail (TILL_IS_DRAWER_DIALOG (self));

  if (body == NULL)
    {
      set_message (self, error->message);
      return;
    }
  /* The float: "counts", as the close's, or "float" with no table. */
  object = json_node_get_object (body);
  if (json_object_has_member (object, "counted"))
    {
      json_object_set_int_member (object, "float", json_object_get_int_member (object, "counted"));
      json_object_remove_member (object, "counted");
    }
  set_busy (self, TRUE);
  till_client_cash_request_async (self->client, "/api/v1/drawer/open", body, NULL,
                                  self->cancellable, on_opened, g_object_ref (self));
}

/* Shows the blind count: nothing of what the server expects. */
void
till_drawer_dialog_start_close (TillDrawerDialog *self)
{
  g_return_if_fail (TILL_IS_DRAWER_DIALOG (self));

  set_message (self, NULL);
  new_count (self, self->count_box);
  gtk_stack_set_visible_child_name (self->stack, "count");
}

static void
on_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillDrawerDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer =
      till_client_cash_request_finish (TILL_CLIENT (source), result, &error);
  JsonObject      *session;
  g_autofree char *expected = NULL, *counted = NULL, *difference = NULL, *text = NULL;
  gint64           over_short;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (answer == NULL)
    {
      g_message ("The drawer was not closed: %s", error->message);
      show_error (self, error);
      return;
    }
  session = session_of (answer);
  g_clear_pointer (&self->closed_session, json_object_unref);
  self->closed_session = json_object_ref (session);
  over_short = amount_of (session, "over_short");
  expected = till_money_label (amount_of (session, "expected"), self->currency);
  counted = till_money_label (amount_of (session, "counted"), self->currency);
  difference = till_money_label (ABS (over_short), self->currency);
  /* Translators: the drawer's close; each %s an amount. */
  if (over_short > 0)
    text =
        g_strdup_printf (_ ("Expected %s\nCounted %s\nOver by %s"), expected, counted, difference);
  else if (over_short < 0)
    text =
        g_strdup_printf (_ ("Expected %s\nCounted %s\nShort by %s"), expected, counted, difference);
  else
    text = g_strdup_printf (_ ("Expected %s\nCounted %s\nThe drawer is right."), expected, counted);
  gtk_label_set_text (self->result_label, text);
  set_message (self, NULL);
  gtk_stack_set_visible_child_name (self->stack, "result");
}

/* Sends the blind count; the answer says what was expected. */
void
till_drawer_dialog_close_drawer (TillDrawerDialog *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) body = counts_body (self, &error);

  g_return_if_fail (TILL_IS_DRAWER_DIALOG (self));

  if (body == NULL)
    {
      set_message (self, error->message);
      return;
    }
  set_busy (self, TRUE);
  till_client_cash_request_async (self->client, "/api/v1/drawer/close", body, NULL,
                                  self->cancellable, on_closed, g_object_ref (self));
}

static void
on_moved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillDrawerDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer =
      till_client_cash_request_finish (TILL_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (answer == NULL)
    {
      g_message ("The drawer movement was not recorded: %s", error->message);
      show_error (self, error);
      return;
    }
  gtk_editable_set_text (self->amount_entry, "");
  gtk_editable_set_text (self->reason_entry, "");
  set_message (self, _ ("Recorded."));
  gtk_widget_grab_focus (GTK_WIDGET (self->amount_entry));
}

static void
on_kicked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!till_cash_drawer_kick_finish (result, &error))
    g_message ("The cash drawer did not open: %s", error->message);
}

/**
 * till_drawer_dialog_movement:
 * @type: "pay_in", "pay_out" or "no_sale"
 * @amount: > 0 for pay in and out, 0 for No Sale
 * @reason: (nullable): required for pay in and out (1–200 characters)
 *
 * Records the movement; the drawer opens for a pay out and a No Sale, and for a pay in.
 */
void
till_drawer_dialog_movement (TillDrawerDialog *self,
                             const char       *type,
                             gint64            amount,
                             const char       *reason)
{
  g_autoptr (JsonObject) body = json_object_new ();
  g_autoptr (JsonNode) node = NULL;

  g_return_if_fail (TILL_IS_DRAWER_DIALOG (self));

  json_object_set_string_member (body, "type", type);
  json_object_set_int_member (body, "amount", amount);
  if (reason != NULL && *reason != '\0')
    json_object_set_string_member (body, "reason", reason);
  node = json_node_init_object (json_node_alloc (), body);
  set_busy (self, TRUE);
  till_cash_drawer_kick_async (NULL, on_kicked, NULL);
  till_client_cash_request_async (self->client, "/api/v1/drawer/movements", node, NULL,
                                  self->cancellable, on_moved, g_object_ref (self));
}

static void
movement_from_form (TillDrawerDialog *self, const char *type)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (self->amount_entry)));
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (self->reason_entry)));
  g_autoptr (GError) error = NULL;
  gint64 amount = 0;

  if (!till_money_parse_localized (text, till_currency_lookup (self->currency),
                                   till_money_label_locale (), TILL_PARSE_DEFAULT, &amount,
                                   &error) ||
      amount <= 0)
    {
      set_message (self, _ ("Type the amount first."));
      gtk_widget_grab_focus (GTK_WIDGET (self->amount_entry));
      return;
    }
  if (*reason == '\0')
    {
      set_message (self, _ ("Say why: a reason is needed for a pay in or a pay out."));
      gtk_widget_grab_focus (GTK_WIDGET (self->reason_entry));
      return;
    }
  till_drawer_dialog_movement (self, type, amount, reason);
}

static void
on_pay_in (TillDrawerDialog *self)
{
  movement_from_form (self, "pay_in");
}

static void
on_pay_out (TillDrawerDialog *self)
{
  movement_from_form (self, "pay_out");
}

static void
on_no_sale (TillDrawerDialog *self)
{
  till_drawer_dialog_movement (self, "no_sale", 0, NULL);
}

static void
till_drawer_dialog_dispose (GObject *object)
{
  TillDrawerDialog *self = TILL_DRAWER_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->closed_session, json_object_unref);
  G_OBJECT_CLASS (till_drawer_dialog_parent_class)->dispose (object);
}

static void
till_drawer_dialog_finalize (GObject *object)
{
  g_free (TILL_DRAWER_DIALOG (object)->currency);
  G_OBJECT_CLASS (till_drawer_dialog_parent_class)->finalize (object);
}

/* The focused entry lets go first: a GtkText destroyed with the focus warns that it never
 * had its focus-out. */
static gboolean
till_drawer_dialog_close_request (GtkWindow *window)
{
  gtk_window_set_focus (window, NULL);
  return GTK_WINDOW_CLASS (till_drawer_dialog_parent_class)->close_request (window);
}

static void
till_drawer_dialog_class_init (TillDrawerDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  GTK_WINDOW_CLASS (klass)->close_request = till_drawer_dialog_close_request;

  object_class->dispose = till_drawer_dialog_dispose;
  object_class->finalize = till_drawer_dialog_finalize;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
till_drawer_dialog_init (TillDrawerDialog *self)
{
  self->cancellable = g_cancellable_new ();
}

static GtkWidget *
page (const char *title, const char *subtitle)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *heading = gtk_label_new (title);

  gtk_widget_add_css_class (heading, "title-2");
  gtk_box_append (GTK_BOX (box), heading);
  if (subtitle != NULL)
    {
      GtkWidget *label = gtk_label_new (subtitle);

      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (GTK_BOX (box), label);
    }
  return box;
}

static GtkWidget *
button (const char *label, GCallback callback, gpointer self, const char *style)
{
  GtkWidget *widget = gtk_button_new_with_mnemonic (label);

  if (style != NULL)
    gtk_widget_add_css_class (widget, style);
  g_signal_connect_swapped (widget, "clicked", callback, self);
  return widget;
}

/**
 * till_drawer_dialog_new:
 *
 * The drawer of the terminal @client speaks for, in the store's currency.
 */
TillDrawerDialog *
till_drawer_dialog_new (GtkWindow *parent, TillClient *client)
{
  TillDrawerDialog *self =
      g_object_new (TILL_TYPE_DRAWER_DIALOG, "modal", TRUE, "transient-for", parent,
                    "default-width", 560, "title", _ ("Cash Drawer"), NULL);
  const TillStoreConfig *config = till_client_get_config (client);
  GtkWidget             *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget             *header = adw_header_bar_new ();
  GtkWidget             *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget             *closed, *open, *count, *result, *actions, *form, *done;

  self->client = g_object_ref (client);
  self->currency = g_strdup (config != NULL ? config->currency : "EUR");
  gtk_box_append (GTK_BOX (outer), header);
  gtk_widget_set_margin_top (content, 18);
  gtk_widget_set_margin_bottom (content, 18);
  gtk_widget_set_margin_start (content, 18);
  gtk_widget_set_margin_end (content, 18);
  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_add_named (self->stack, gtk_spinner_new (), "loading");

  closed = page (_ ("Open the Drawer"), _ ("Count the float: how many of each note and coin."));
  gtk_box_append (GTK_BOX (closed),
                  button (_ ("_Open Drawer"), G_CALLBACK (till_drawer_dialog_open_drawer), self,
                          "suggested-action"));
  self->closed_box = GTK_BOX (closed);
  gtk_stack_add_named (self->stack, closed, "closed");

  open = page (_ ("Drawer Open"), NULL);
  self->open_title = GTK_LABEL (gtk_widget_get_first_child (open));
  form = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  self->amount_entry = GTK_EDITABLE (gtk_entry_new ());
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->amount_entry), _ ("Amount"));
  gtk_entry_set_input_purpose (GTK_ENTRY (self->amount_entry), GTK_INPUT_PURPOSE_NUMBER);
  self->reason_entry = GTK_EDITABLE (gtk_entry_new ());
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->reason_entry), _ ("Reason"));
  gtk_entry_set_max_length (GTK_ENTRY (self->reason_entry), 200);
  gtk_widget_set_hexpand (GTK_WIDGET (self->reason_entry), TRUE);
  gtk_box_append (GTK_BOX (form), GTK_WIDGET (self->amount_entry));
  gtk_box_append (GTK_BOX (form), GTK_WIDGET (self->reason_entry));
  gtk_box_append (GTK_BOX (open), form);
  actions = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_set_homogeneous (GTK_BOX (actions), TRUE);
  gtk_box_append (GTK_BOX (actions), button (_ ("Pay _In"), G_CALLBACK (on_pay_in), self, NULL));
  gtk_box_append (GTK_BOX (actions), button (_ ("Pay O_ut"), G_CALLBACK (on_pay_out), self, NULL));
  gtk_box_append (GTK_BOX (actions), button (_ ("_No Sale"), G_CALLBACK (on_no_sale), self, NULL));
  gtk_box_append (
      GTK_BOX (actions),
      button (_ ("_Close Drawer…"), G_CALLBACK (till_drawer_dialog_start_close), self, NULL));
  gtk_box_append (GTK_BOX (open), actions);
  gtk_stack_add_named (self->stack, open, "open");

  count = page (_ ("Count the Drawer"),
                _ ("Count what is in the drawer now. What the till expects is shown once the "
                   "count is in."));
  gtk_box_append (GTK_BOX (count),
                  button (_ ("Close _Drawer"), G_CALLBACK (till_drawer_dialog_close_drawer), self,
                          "suggested-action"));
  self->count_box = GTK_BOX (count);
  gtk_stack_add_named (self->stack, count, "count");

  result = page (_ ("Drawer Closed"), NULL);
  self->result_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->result_label), "title-3");
  gtk_box_append (GTK_BOX (result), GTK_WIDGET (self->result_label));
  done = gtk_button_new_with_mnemonic (_ ("_Done"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (done), "window.close");
  gtk_box_append (GTK_BOX (result), done);
  gtk_stack_add_named (self->stack, result, "result");

  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->stack));
  self->message = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->message, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->message), FALSE);
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->message));
  gtk_box_append (GTK_BOX (outer), content);
  adw_window_set_content (ADW_WINDOW (self), outer);
  load (self);
  return self;
}

/* "loading", "closed", "open", "count" or "result". */
const char *
till_drawer_dialog_get_page (TillDrawerDialog *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

gboolean
till_drawer_dialog_is_busy (TillDrawerDialog *self)
{
  return self->busy;
}

const char *
till_drawer_dialog_get_message (TillDrawerDialog *self)
{
  return gtk_label_get_text (self->message);
}

TillDrawerCount *
till_drawer_dialog_get_count (TillDrawerDialog *self)
{
  return self->count;
}

/* The server's answer to the close (expected, counted, over_short, …), or NULL before. */
JsonObject *
till_drawer_dialog_get_closed_session (TillDrawerDialog *self)
{
  return self->closed_session;
}

const char *
till_drawer_dialog_get_result_text (TillDrawerDialog *self)
{
  return gtk_label_get_text (self->result_label);
}
