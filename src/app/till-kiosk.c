/* till-kiosk.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A terminal is a kiosk when its server says so (GET /api/v1/config's role), never by its
 * own settings: `--kiosk` or the kiosk setting alone only give a till the kiosk's look (full
 * screen, large card fields), and neither can turn the lockdown off. Locked down, the window
 * has no header bar or menus, cannot be closed or leave full screen, the app's and the
 * window's shortcuts do nothing, and the session may not blank, suspend, log out or switch
 * users. The attendant's way out is a long press of 3 s in the top-left corner, or
 * Ctrl+Alt+Shift+A, then the PIN the server holds as a salted hash: the kiosk checks it
 * itself (so it works while the server is out of reach), and after 5 wrong PINs the pad is
 * locked for a minute (while the app runs: a restart starts the count again, and brings
 * the kiosk back). The right PIN leaves kiosk mode for the normal till until the app is
 * started again.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-kiosk-private.h"
#include "till-window-private.h"

#define WRONG_PINS_MAX 5
#define LOCKOUT_SECONDS 60
#define LONG_PRESS_MS 3000 /* the attendant's corner */
#define CORNER_PX 64

struct _TillKiosk
{
  GObject parent_instance;

  TillWindow      *window; /* weak */
  TillClient      *client;
  TillKioskConfig *config;   /* the policy in force; NULL when no kiosk */
  GSettings       *settings; /* "kiosk-policy": the last policy the server sent */
  gboolean         locked;
  gboolean         left; /* the attendant left: not again until the app starts again */
  guint            inhibit_cookie;
  GHashTable      *accels; /* action → its accelerators, taken away while locked */

  GtkWidget          *overlay; /* around the window's content: the corner and the pad */
  GtkWidget          *corner;
  GtkGesture         *corner_gesture;
  guint               corner_source;
  GtkEventController *keys;
  GtkWidget          *pin_pad;
  GtkWidget          *pin_entry;
  GtkWidget          *pin_message;
  GtkWidget          *pin_keys;
  guint               wrong;
  guint               lockout_seconds;
  guint               lockout_source;
  gboolean            checking;
};

G_DEFINE_FINAL_TYPE (TillKiosk, till_kiosk, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_LOCKED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The app's actions a customer must not reach (till-application.c). */
static const char *const app_actions[] = { "quit",  "preferences",  "connect",
                                           "about", "color-scheme", NULL };

static GtkApplication *
get_application (TillKiosk *self)
{
  return self->window != NULL ? gtk_window_get_application (GTK_WINDOW (self->window)) : NULL;
}

/* Focus leaves the pad first: a hidden entry must not keep it. */
static void
hide_pin_pad (TillKiosk *self)
{
  if (self->pin_pad == NULL || !gtk_widget_get_visible (self->pin_pad))
    return;
  if (self->window != NULL)
    gtk_window_set_focus (GTK_WINDOW (self->window), NULL);
  gtk_widget_set_visible (self->pin_pad, FALSE);
}

static void
set_app_actions_enabled (TillKiosk *self, gboolean enabled)
{
  GtkApplication *application = get_application (self);

  if (application == NULL)
    return;
  for (guint i = 0; app_actions[i] != NULL; i++)
    {
      GAction *action = g_action_map_lookup_action (G_ACTION_MAP (application), app_actions[i]);
      g_autofree char *detailed = g_strconcat ("app.", app_actions[i], NULL);

      if (G_IS_SIMPLE_ACTION (action))
        g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
      if (!enabled)
        {
          g_auto (GStrv) accels = gtk_application_get_accels_for_action (application, detailed);

          if (accels != NULL && accels[0] != NULL)
            g_hash_table_insert (self->accels, g_strdup (detailed), g_steal_pointer (&accels));
          gtk_application_set_accels_for_action (application, detailed,
                                                 (const char *const[]){ NULL });
        }
      else if (g_hash_table_contains (self->accels, detailed))
        gtk_application_set_accels_for_action (application, detailed,
                                               g_hash_table_lookup (self->accels, detailed));
    }
  if (enabled)
    g_hash_table_remove_all (self->accels);
}

static void on_corner_begin (GtkGestureDrag *gesture, double x, double y, TillKiosk *self);
static void on_corner_update (GtkGestureDrag *gesture, double dx, double dy, TillKiosk *self);
static void on_corner_end (TillKiosk *self);

/* An overlay around the window's content, for the attendant's corner and the PIN pad. The
 * corner is a transparent square of its own, so that what lies below cannot take the press. */
static void
build_overlay (TillKiosk *self)
{
  AdwApplicationWindow *window = ADW_APPLICATION_WINDOW (self->window);
  GtkWidget            *content = adw_application_window_get_content (window);

  self->overlay = gtk_overlay_new ();
  g_object_ref (content);
  adw_application_window_set_content (window, NULL);
  gtk_overlay_set_child (GTK_OVERLAY (self->overlay), content);
  g_object_unref (content);
  adw_application_window_set_content (window, self->overlay);

  self->corner = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_size_request (self->corner, CORNER_PX, CORNER_PX);
  gtk_widget_set_halign (self->corner, GTK_ALIGN_START);
  gtk_widget_set_valign (self->corner, GTK_ALIGN_START);
  self->corner_gesture = gtk_gesture_drag_new ();
  g_signal_connect_object (self->corner_gesture, "drag-begin", G_CALLBACK (on_corner_begin), self,
                           0);
  g_signal_connect_object (self->corner_gesture, "drag-update", G_CALLBACK (on_corner_update), self,
                           0);
  g_signal_connect_object (self->corner_gesture, "drag-end", G_CALLBACK (on_corner_end), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->corner_gesture, "cancel", G_CALLBACK (on_corner_end), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (self->corner, GTK_EVENT_CONTROLLER (self->corner_gesture));
  gtk_overlay_add_overlay (GTK_OVERLAY (self->overlay), self->corner);
}

static void
lock (TillKiosk *self)
{
  GtkApplication *application = get_application (self);

  if (self->locked || self->left || self->window == NULL)
    return;
  self->locked = TRUE;
  g_message ("Kiosk mode: the server says this terminal is a self-checkout kiosk");
  gtk_widget_set_visible (self->corner, TRUE);
  till_window_set_locked (self->window, TRUE);
  gtk_window_fullscreen (GTK_WINDOW (self->window));
  set_app_actions_enabled (self, FALSE);
  if (application != NULL)
    self->inhibit_cookie = gtk_application_inhibit (
        application, GTK_WINDOW (self->window),
        GTK_APPLICATION_INHIBIT_IDLE | GTK_APPLICATION_INHIBIT_SUSPEND |
            GTK_APPLICATION_INHIBIT_LOGOUT | GTK_APPLICATION_INHIBIT_SWITCH,
        _ ("A self-checkout kiosk is open"));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCKED]);
}

static void
unlock (TillKiosk *self)
{
  GtkApplication *application = get_application (self);

  if (!self->locked)
    return;
  self->locked = FALSE;
  if (self->window != NULL)
    till_window_set_locked (self->window, FALSE);
  set_app_actions_enabled (self, TRUE);
  if (application != NULL && self->inhibit_cookie != 0)
    gtk_application_uninhibit (application, self->inhibit_cookie);
  self->inhibit_cookie = 0;
  if (self->pin_pad != NULL)
    hide_pin_pad (self);
  gtk_widget_set_visible (self->corner, FALSE);
  g_clear_handle_id (&self->corner_source, g_source_remove);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCKED]);
}

static void
on_client_config (TillKiosk *self)
{
  const TillStoreConfig *config = till_client_get_config (self->client);

  if (config == NULL)
    return; /* not known yet, or out of reach: as it was */
  if (till_store_config_is_kiosk (config))
    {
      g_autofree char *remembered = NULL;

      till_kiosk_config_free (self->config);
      self->config =
          config->kiosk != NULL ? till_kiosk_config_copy (config->kiosk) : till_kiosk_config_new ();
      /* Remembered, so that the kiosk starts locked when its server is out of reach. */
      remembered = till_kiosk_config_to_json (self->config);
      g_settings_set_string (self->settings, "kiosk-policy", remembered);
      lock (self);
    }
  else
    {
      g_settings_set_string (self->settings, "kiosk-policy", "");
      g_clear_pointer (&self->config, till_kiosk_config_free);
      unlock (self);
    }
}

/* Locked down */

static gboolean
on_close_request (GtkWindow *window, TillKiosk *self)
{
  if (self->locked)
    g_debug ("Kiosk mode: closing the window refused");
  return self->locked;
}

static void
on_fullscreened (GtkWindow *window, GParamSpec *pspec, TillKiosk *self)
{
  if (self->locked && !gtk_window_is_fullscreen (window))
    gtk_window_fullscreen (window);
}

static gboolean
is_escape_key (guint keyval)
{
  if (keyval >= GDK_KEY_F1 && keyval <= GDK_KEY_F35)
    return TRUE;
  switch (keyval)
    {
      case GDK_KEY_Escape:
      case GDK_KEY_Menu:
      case GDK_KEY_Super_L:
      case GDK_KEY_Super_R:
      case GDK_KEY_Meta_L:
      case GDK_KEY_Meta_R:
      case GDK_KEY_Hyper_L:
      case GDK_KEY_Hyper_R:
      case GDK_KEY_Print:
      case GDK_KEY_Sys_Req:
      case GDK_KEY_Break:
        return TRUE;
      default:
        return FALSE;
    }
}

gboolean
till_kiosk_filter_key (TillKiosk *self, guint keyval, GdkModifierType state)
{
  GdkModifierType mods = state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK |
                                  GDK_SUPER_MASK | GDK_META_MASK | GDK_HYPER_MASK);

  g_return_val_if_fail (TILL_IS_KIOSK (self), FALSE);

  if (!self->locked)
    return FALSE;
  if (mods == (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK) &&
      gdk_keyval_to_lower (keyval) == GDK_KEY_a)
    {
      till_kiosk_open_pin_pad (self);
      return TRUE;
    }
  /* Every shortcut, the app's and GTK's own (Ctrl+Q, Ctrl+W, Alt+F4, Ctrl+Shift+I, …):
   * nothing a customer types needs a modifier but Shift. */
  if ((mods & ~GDK_SHIFT_MASK) != 0)
    return TRUE;
  return is_escape_key (keyval);
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                TillKiosk             *self)
{
  return till_kiosk_filter_key (self, keyval, state);
}

/* The attendant's corner: held for LONG_PRESS_MS without moving away, the PIN pad. */
static gboolean
on_corner_held (gpointer user_data)
{
  TillKiosk *self = user_data;

  self->corner_source = 0;
  gtk_gesture_set_state (self->corner_gesture, GTK_EVENT_SEQUENCE_CLAIMED);
  till_kiosk_open_pin_pad (self);
  return G_SOURCE_REMOVE;
}

static void
on_corner_begin (GtkGestureDrag *gesture, double x, double y, TillKiosk *self)
{
  g_clear_handle_id (&self->corner_source, g_source_remove);
  if (self->locked)
    self->corner_source = g_timeout_add (LONG_PRESS_MS, on_corner_held, self);
}

static void
on_corner_update (GtkGestureDrag *gesture, double dx, double dy, TillKiosk *self)
{
  if (dx * dx + dy * dy > CORNER_PX * CORNER_PX / 4)
    g_clear_handle_id (&self->corner_source, g_source_remove);
}

static void
on_corner_end (TillKiosk *self)
{
  g_clear_handle_id (&self->corner_source, g_source_remove);
}

/* The PIN pad */

static void
set_pin_message (TillKiosk *self, const char *message)
{
  gtk_label_set_text (GTK_LABEL (self->pin_message), message);
  /* Screen readers read the pad's description when it changes. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->pin_pad),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message, -1);
}

static void
update_pin_pad (TillKiosk *self)
{
  gboolean usable = self->lockout_source == 0 && !self->checking;

  /* The entry stays sensitive: made insensitive with the focus, it would keep blinking. */
  gtk_widget_set_sensitive (self->pin_keys, usable);
  gtk_editable_set_editable (GTK_EDITABLE (self->pin_entry), usable);
}

static gboolean
on_lockout_over (gpointer user_data)
{
  TillKiosk *self = user_data;

  self->lockout_source = 0;
  self->wrong = 0;
  set_pin_message (self, _ ("Enter the attendant PIN to leave kiosk mode."));
  update_pin_pad (self);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  TillKioskConfig *config;
  char            *pin;
} PinCheck;

static void
pin_check_free (PinCheck *check)
{
  till_kiosk_config_free (check->config);
  memset (check->pin, 0, strlen (check->pin));
  g_free (check->pin);
  g_free (check);
}

static void
check_pin_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  PinCheck *check = task_data;

  g_task_return_boolean (task, till_kiosk_config_check_pin (check->config, check->pin));
}

static void
on_pin_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillKiosk *self = TILL_KIOSK (source);
  gboolean   right = g_task_propagate_boolean (G_TASK (result), NULL);

  self->checking = FALSE;
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
  if (right)
    {
      g_message ("Kiosk mode left by the attendant");
      self->wrong = 0;
      hide_pin_pad (self);
      unlock (self);
      self->left = TRUE;
      gtk_window_unfullscreen (GTK_WINDOW (self->window));
      return;
    }
  self->wrong++;
  g_message ("Kiosk mode: a wrong attendant PIN (%u in a row)", self->wrong);
  if (self->wrong >= WRONG_PINS_MAX)
    {
      self->lockout_source = g_timeout_add_seconds (self->lockout_seconds, on_lockout_over, self);
      set_pin_message (self, _ ("Too many wrong PINs: the pad is locked for a minute."));
    }
  else
    set_pin_message (self, _ ("Wrong PIN. Try again."));
  update_pin_pad (self);
}

void
till_kiosk_submit_pin (TillKiosk *self, const char *pin)
{
  g_autoptr (GTask) task = NULL;
  PinCheck *check;

  g_return_if_fail (TILL_IS_KIOSK (self));

  if (!self->locked || self->checking || self->lockout_source != 0 || self->pin_pad == NULL ||
      !gtk_widget_get_visible (self->pin_pad))
    return;
  if (!till_kiosk_config_has_pin (self->config))
    {
      set_pin_message (self, _ ("The server holds no attendant PIN for this kiosk: it cannot "
                                "be left here."));
      return;
    }
  check = g_new0 (PinCheck, 1);
  check->config = till_kiosk_config_copy (self->config);
  check->pin = g_strdup (pin);
  self->checking = TRUE;
  set_pin_message (self, _ ("Checking…"));
  update_pin_pad (self);
  task = g_task_new (self, NULL, on_pin_checked, NULL);
  g_task_set_task_data (task, check, (GDestroyNotify) pin_check_free);
  g_task_run_in_thread (task, check_pin_thread);
}

static void
on_pin_ok (TillKiosk *self)
{
  till_kiosk_submit_pin (self, gtk_editable_get_text (GTK_EDITABLE (self->pin_entry)));
}

static void
on_pin_digit (GtkButton *button, TillKiosk *self)
{
  g_autofree char *text = g_strconcat (gtk_editable_get_text (GTK_EDITABLE (self->pin_entry)),
                                       gtk_button_get_label (button), NULL);

  if (strlen (text) <= 12)
    gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), text);
}

static void
on_pin_clear (TillKiosk *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
}

static void
on_pin_cancel (TillKiosk *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
  hide_pin_pad (self);
}

static GtkWidget *
pad_button (const char *label, const char *accessible)
{
  GtkWidget *button = gtk_button_new_with_label (label);

  gtk_widget_set_size_request (button, 72, 64);
  gtk_widget_add_css_class (button, "title-2");
  if (accessible != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    accessible, -1);
  return button;
}

/* The pad over the whole window, in the overlay. */
static void
build_pin_pad (TillKiosk *self)
{
  GtkWidget *overlay = self->overlay;
  GtkWidget *card, *title, *grid, *button, *cancel;

  self->pin_pad = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_add_css_class (self->pin_pad, "view");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->pin_pad), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Attendant PIN"), -1);
  hide_pin_pad (self);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), self->pin_pad);

  card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_halign (card, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (card, GTK_ALIGN_CENTER);
  gtk_widget_set_vexpand (card, TRUE);
  gtk_box_append (GTK_BOX (self->pin_pad), card);

  title = gtk_label_new (_ ("Attendant PIN"));
  gtk_widget_add_css_class (title, "title-1");
  gtk_box_append (GTK_BOX (card), title);
  self->pin_message = gtk_label_new (_ ("Enter the attendant PIN to leave kiosk mode."));
  gtk_label_set_wrap (GTK_LABEL (self->pin_message), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (self->pin_message), 30);
  gtk_label_set_justify (GTK_LABEL (self->pin_message), GTK_JUSTIFY_CENTER);
  gtk_box_append (GTK_BOX (card), self->pin_message);

  self->pin_entry = gtk_password_entry_new ();
  gtk_editable_set_max_width_chars (GTK_EDITABLE (self->pin_entry), 12);
  gtk_widget_add_css_class (self->pin_entry, "title-2");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->pin_entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Attendant PIN"), -1);
  g_signal_connect_object (self->pin_entry, "activate", G_CALLBACK (on_pin_ok), self,
                           G_CONNECT_SWAPPED);
  gtk_box_append (GTK_BOX (card), self->pin_entry);

  grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 8);
  gtk_widget_set_halign (grid, GTK_ALIGN_CENTER);
  for (guint digit = 1; digit <= 10; digit++)
    {
      char label[2] = { '0' + digit % 10, '\0' };

      button = pad_button (label, NULL);
      g_signal_connect_object (button, "clicked", G_CALLBACK (on_pin_digit), self, 0);
      if (digit < 10)
        gtk_grid_attach (GTK_GRID (grid), button, (digit - 1) % 3, (digit - 1) / 3, 1, 1);
      else
        gtk_grid_attach (GTK_GRID (grid), button, 1, 3, 1, 1);
    }
  /* Translators: the PIN pad's key that empties the PIN typed so far. */
  button = pad_button (_ ("C"), _ ("Clear"));
  g_signal_connect_object (button, "clicked", G_CALLBACK (on_pin_clear), self, G_CONNECT_SWAPPED);
  gtk_grid_attach (GTK_GRID (grid), button, 0, 3, 1, 1);
  /* Translators: the PIN pad's key that checks the PIN. */
  button = pad_button (_ ("OK"), NULL);
  gtk_widget_add_css_class (button, "suggested-action");
  g_signal_connect_object (button, "clicked", G_CALLBACK (on_pin_ok), self, G_CONNECT_SWAPPED);
  gtk_grid_attach (GTK_GRID (grid), button, 2, 3, 1, 1);
  self->pin_keys = grid;
  gtk_box_append (GTK_BOX (card), grid);

  cancel = gtk_button_new_with_label (_ ("Cancel"));
  gtk_widget_set_size_request (cancel, -1, 48);
  g_signal_connect_object (cancel, "clicked", G_CALLBACK (on_pin_cancel), self, G_CONNECT_SWAPPED);
  gtk_box_append (GTK_BOX (card), cancel);
}

void
till_kiosk_open_pin_pad (TillKiosk *self)
{
  g_return_if_fail (TILL_IS_KIOSK (self));

  if (!self->locked || self->window == NULL)
    return;
  if (self->pin_pad == NULL)
    build_pin_pad (self);
  g_clear_handle_id (&self->corner_source, g_source_remove);
  if (self->lockout_source == 0 && !self->checking)
    set_pin_message (self, _ ("Enter the attendant PIN to leave kiosk mode."));
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
  gtk_widget_set_visible (self->pin_pad, TRUE);
  update_pin_pad (self);
  gtk_widget_grab_focus (self->pin_entry);
}

gboolean
till_kiosk_get_pin_pad_open (TillKiosk *self)
{
  return self->pin_pad != NULL && gtk_widget_get_visible (self->pin_pad);
}

gboolean
till_kiosk_get_checking (TillKiosk *self)
{
  return self->checking;
}

gboolean
till_kiosk_get_pin_pad_locked (TillKiosk *self)
{
  return self->lockout_source != 0;
}

const char *
till_kiosk_get_pin_message (TillKiosk *self)
{
  return self->pin_message != NULL ? gtk_label_get_text (GTK_LABEL (self->pin_message)) : NULL;
}

void
till_kiosk_set_lockout_seconds (TillKiosk *self, guint seconds)
{
  self->lockout_seconds = seconds;
}

gboolean
till_kiosk_get_locked (TillKiosk *self)
{
  g_return_val_if_fail (TILL_IS_KIOSK (self), FALSE);
  return self->locked;
}

/* GObject */

static void
till_kiosk_dispose (GObject *object)
{
  TillKiosk *self = TILL_KIOSK (object);

  g_clear_handle_id (&self->lockout_source, g_source_remove);
  g_clear_handle_id (&self->corner_source, g_source_remove);
  if (self->window != NULL)
    {
      /* The window may outlive this: nothing of it calls back here. */
      gtk_widget_remove_controller (GTK_WIDGET (self->window), self->keys);
      if (self->corner_gesture != NULL)
        g_signal_handlers_disconnect_by_data (self->corner_gesture, self);
      if (self->pin_pad != NULL)
        hide_pin_pad (self);
      GtkApplication *application = get_application (self);

      if (application != NULL && self->inhibit_cookie != 0)
        gtk_application_uninhibit (application, self->inhibit_cookie);
      self->inhibit_cookie = 0;
      g_signal_handlers_disconnect_by_data (self->window, self);
      g_object_remove_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
      self->window = NULL;
    }
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  G_OBJECT_CLASS (till_kiosk_parent_class)->dispose (object);
}

static void
till_kiosk_finalize (GObject *object)
{
  TillKiosk *self = TILL_KIOSK (object);

  till_kiosk_config_free (self->config);
  g_clear_object (&self->settings);
  g_hash_table_unref (self->accels);
  G_OBJECT_CLASS (till_kiosk_parent_class)->finalize (object);
}

static void
till_kiosk_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TillKiosk *self = TILL_KIOSK (object);

  switch (prop_id)
    {
      case PROP_LOCKED:
        g_value_set_boolean (value, self->locked);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_kiosk_class_init (TillKioskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_kiosk_dispose;
  object_class->finalize = till_kiosk_finalize;
  object_class->get_property = till_kiosk_get_property;

  properties[PROP_LOCKED] =
      g_param_spec_boolean ("locked", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_kiosk_init (TillKiosk *self)
{
  self->accels =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_strfreev);
  self->lockout_seconds = LOCKOUT_SECONDS;
}

TillKiosk *
till_kiosk_new (TillWindow *window, TillClient *client)
{
  TillKiosk *self;

  g_return_val_if_fail (TILL_IS_WINDOW (window), NULL);
  g_return_val_if_fail (TILL_IS_CLIENT (client), NULL);

  self = g_object_new (TILL_TYPE_KIOSK, NULL);
  self->window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &self->window);
  self->client = g_object_ref (client);

  g_signal_connect (window, "close-request", G_CALLBACK (on_close_request), self);
  g_signal_connect (window, "notify::fullscreened", G_CALLBACK (on_fullscreened), self);

  self->keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (self->keys, GTK_PHASE_CAPTURE);
  g_signal_connect (self->keys, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (window), self->keys);

  /* Now, before the window shows: moving its content later would take a focused entry away. */
  build_overlay (self);
  gtk_widget_set_visible (self->corner, FALSE);

  /* A kiosk the last time its server answered is one until the server says otherwise: a
   * customer cannot unlock it by cutting the network and waiting for a restart. */
  self->settings = g_settings_new (TILL_APP_ID);
  if (till_client_get_config (client) == NULL)
    {
      g_autofree char *remembered = g_settings_get_string (self->settings, "kiosk-policy");
      g_autoptr (JsonParser) parser = json_parser_new ();

      if (*remembered != '\0')
        {
          JsonNode *root = json_parser_load_from_data (parser, remembered, -1, NULL)
                               ? json_parser_get_root (parser)
                               : NULL;

          self->config = till_kiosk_config_from_json (
              root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL);
          lock (self);
        }
    }
  g_signal_connect_swapped (client, "notify::config", G_CALLBACK (on_client_config), self);
  on_client_config (self);
  return self;
}
