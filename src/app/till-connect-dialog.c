/* till-connect-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "till-app-resources.h"
#include "till-connect-dialog.h"
#include "till-error-message.h"

struct _TillConnectDialog
{
  AdwWindow parent_instance;

  TillClient         *client;
  GCancellable       *cancellable;
  char               *fingerprint;
  char               *training_url;
  TillTrainingServer *training_server; /* nullable: the app's own, started when needed */

  AdwEntryRow         *url_row;
  AdwPasswordEntryRow *token_row;
  AdwActionRow        *fingerprint_row;
  AdwActionRow        *pin_row;
  GtkSwitch           *pin_switch;
  GtkLabel            *status_label;
  GtkButton           *connect_button;
  GtkButton           *check_button;
  GtkButton           *training_button;
};

G_DEFINE_FINAL_TYPE (TillConnectDialog, till_connect_dialog, ADW_TYPE_WINDOW)

enum
{
  CONNECT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
on_input_changed (TillConnectDialog *self)
{
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));
  const char *token = gtk_editable_get_text (GTK_EDITABLE (self->token_row));

  gtk_widget_set_sensitive (
      GTK_WIDGET (self->connect_button),
      (g_str_has_prefix (url, "http://") || g_str_has_prefix (url, "https://")) && *token != '\0');
}

static void
on_url_changed (TillConnectDialog *self)
{
  /* A new address: the fingerprint shown is no longer its own. */
  g_clear_pointer (&self->fingerprint, g_free);
  adw_action_row_set_subtitle (self->fingerprint_row,
                               _ ("Check the server to see its fingerprint"));
  gtk_switch_set_active (self->pin_switch, FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->pin_row), FALSE);
  on_input_changed (self);
}

typedef struct
{
  TillConnectDialog *self;
  gboolean           training;
} Probe;

static void
on_training_terminal (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillConnectDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *token =
      till_client_training_terminal_finish (TILL_CLIENT (source), result, &error);

  if (token == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* An older server, or one that is not in training mode: the token by hand. */
      g_message ("No training terminal from %s: %s", self->training_url, error->message);
      gtk_widget_set_sensitive (GTK_WIDGET (self->check_button), TRUE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->training_button), TRUE);
      gtk_label_set_text (self->status_label,
                          _ ("A training server answers on this computer, but it did not hand "
                             "out a terminal. Enter the token “till-server terminal add” "
                             "printed, then Connect."));
      gtk_widget_grab_focus (GTK_WIDGET (self->token_row));
      return;
    }
  g_signal_emit (self, signals[CONNECT], 0, self->training_url, token, NULL);
  memset (token, 0, strlen (token));
  gtk_window_destroy (GTK_WINDOW (self));
}

static void start_probe (TillConnectDialog *self, const char *url, gboolean training);

static void
on_training_server_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillConnectDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *url =
      till_training_server_start_finish (TILL_TRAINING_SERVER (source), result, &error);

  if (url == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          g_cancellable_is_cancelled (self->cancellable))
        return;
      g_warning ("%s", error->message);
      gtk_label_set_text (self->status_label, error->message);
      gtk_widget_set_sensitive (GTK_WIDGET (self->check_button), TRUE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->training_button), TRUE);
      return;
    }
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  /* Ours answers: from here on as with any training server. */
  g_free (self->training_url);
  self->training_url = g_steal_pointer (&url);
  start_probe (self, self->training_url, TRUE);
}

static void
on_probed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Probe             *probe = user_data;
  TillConnectDialog *self = probe->self;
  gboolean           training = probe->training;
  g_autofree char   *fingerprint = NULL;
  g_autoptr (GError) error = NULL;

  g_free (probe);
  if (!till_client_probe_finish (TILL_CLIENT (source), result, &fingerprint, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autoptr (TillErrorMessage) message = till_error_message_new (error);
          g_autofree char *text = NULL;

          /* Nothing answers: the app starts its own, once. */
          if (training && self->training_server != NULL &&
              till_training_server_get_url (self->training_server) == NULL)
            {
              gtk_label_set_text (self->status_label, _ ("Starting a training server…"));
              till_training_server_start_async (self->training_server, self->cancellable,
                                                on_training_server_started, g_object_ref (self));
              g_object_unref (self);
              return;
            }
          if (training)
            text = g_strdup (_ ("No training server answers on this computer. Start one with "
                                "“till-server --training”, then try again."));
          else
            text = g_strdup_printf ("%s %s", message->title, message->next_step);
          gtk_label_set_text (self->status_label, text);
          gtk_widget_set_sensitive (GTK_WIDGET (self->check_button), TRUE);
          gtk_widget_set_sensitive (GTK_WIDGET (self->training_button), TRUE);
        }
      g_object_unref (self);
      return;
    }

  if (training)
    {
      /* It answers: ask it for a terminal of its own, and connect with it. */
      gtk_editable_set_text (GTK_EDITABLE (self->url_row), self->training_url);
      gtk_label_set_text (self->status_label, _ ("Getting a training terminal…"));
      till_client_training_terminal_async (self->client, self->training_url, self->cancellable,
                                           on_training_terminal, g_object_ref (self));
      g_object_unref (self);
      return;
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->check_button), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->training_button), TRUE);
  gtk_label_set_text (self->status_label, _ ("The server answers."));

  g_free (self->fingerprint);
  self->fingerprint = g_steal_pointer (&fingerprint);
  if (self->fingerprint != NULL)
    {
      adw_action_row_set_subtitle (self->fingerprint_row, self->fingerprint);
      gtk_widget_set_sensitive (GTK_WIDGET (self->pin_row), TRUE);
    }
  else
    adw_action_row_set_subtitle (
        self->fingerprint_row,
        _ ("None: this address is not encrypted (http). Use https for live payments."));
  g_object_unref (self);
}

static void
start_probe (TillConnectDialog *self, const char *url, gboolean training)
{
  Probe *probe = g_new0 (Probe, 1);

  probe->self = g_object_ref (self);
  probe->training = training;
  gtk_label_set_text (self->status_label, _ ("Checking…"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->check_button), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->training_button), FALSE);
  till_client_probe_async (self->client, url, self->cancellable, on_probed, probe);
}

static void
on_check_clicked (TillConnectDialog *self)
{
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));

  if (*url == '\0')
    {
      gtk_label_set_text (self->status_label, _ ("Enter the server address first."));
      return;
    }
  start_probe (self, url, FALSE);
}

static void
on_training_clicked (TillConnectDialog *self)
{
  /* The app's own training server, when it runs already. */
  if (self->training_server != NULL && till_training_server_get_url (self->training_server))
    {
      g_free (self->training_url);
      self->training_url = g_strdup (till_training_server_get_url (self->training_server));
    }
  start_probe (self, self->training_url, TRUE);
}

static void
on_connect_clicked (TillConnectDialog *self)
{
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));
  const char *token = gtk_editable_get_text (GTK_EDITABLE (self->token_row));
  const char *pin = gtk_switch_get_active (self->pin_switch) ? self->fingerprint : NULL;

  g_signal_emit (self, signals[CONNECT], 0, url, token, pin);
  gtk_window_destroy (GTK_WINDOW (self));
}

/* Closed (gtk_window_destroy() unrealizes; dispose waits for the last reference, which a
 * request in flight holds): whatever it was doing stops, so a terminal handed out after
 * the cashier closed it connects nothing. */
static void
till_connect_dialog_unrealize (GtkWidget *widget)
{
  g_cancellable_cancel (TILL_CONNECT_DIALOG (widget)->cancellable);

  GTK_WIDGET_CLASS (till_connect_dialog_parent_class)->unrealize (widget);
}

static void
till_connect_dialog_dispose (GObject *object)
{
  TillConnectDialog *self = TILL_CONNECT_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->training_server);
  g_clear_pointer (&self->fingerprint, g_free);
  g_clear_pointer (&self->training_url, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_CONNECT_DIALOG);

  G_OBJECT_CLASS (till_connect_dialog_parent_class)->dispose (object);
}

static void
till_connect_dialog_class_init (TillConnectDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_connect_dialog_dispose;
  widget_class->unrealize = till_connect_dialog_unrealize;

  signals[CONNECT] =
      g_signal_new ("connect", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  (void) till_app_get_resource (); /* keeps the static library's resources linked */
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tillpos/Till/till-connect-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, TillConnectDialog, url_row);
  gtk_widget_class_bind_template_child (widget_class, TillConnectDialog, token_row);
  gtk_widget_class_bind_template_child (widget_class, TillConnectDialog, fingerprint_row);
  gtk_widget_class_bind_template_child (widget_class, TillConnectDialog, pin_row);
  gtk_widget_class_bind_template_child (widget_class, TillConnectDialog, pin_switch);
  gtk_widget_class_bind_template_child (widget_class, TillConnectDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, TillConnectDialog, connect_button);
  gtk_widget_class_bind_template_child (widget_class, TillConnectDialog, check_button);
  gtk_widget_class_bind_template_child (widget_class, TillConnectDialog, training_button);
  gtk_widget_class_bind_template_callback (widget_class, on_input_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_url_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_check_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_training_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_connect_clicked);
}

static void
till_connect_dialog_init (TillConnectDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->training_url = g_strdup (TILL_TRAINING_SERVER_URL);
}

/* Where "Try It in Training Mode" looks (TILL_TRAINING_SERVER_URL unless set). */
void
till_connect_dialog_set_training_url (TillConnectDialog *self, const char *url)
{
  g_return_if_fail (TILL_IS_CONNECT_DIALOG (self));
  g_return_if_fail (url != NULL);

  g_free (self->training_url);
  self->training_url = g_strdup (url);
}

void
till_connect_dialog_set_training_server (TillConnectDialog *self, TillTrainingServer *server)
{
  g_return_if_fail (TILL_IS_CONNECT_DIALOG (self));
  g_return_if_fail (server == NULL || TILL_IS_TRAINING_SERVER (server));

  g_set_object (&self->training_server, server);
}

TillConnectDialog *
till_connect_dialog_new (GtkWindow *parent, TillClient *client, const char *url)
{
  TillConnectDialog *self = g_object_new (TILL_TYPE_CONNECT_DIALOG, "transient-for", parent, NULL);

  self->client = g_object_ref (client);
  if (url != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->url_row), url);
  return self;
}
