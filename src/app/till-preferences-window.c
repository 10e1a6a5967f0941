/* till-preferences-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The till's preferences, each a GSettings key applied as it changes: the server (changed
 * through the connect dialog, which checks the address and gets a token), the appearance,
 * the catalog view and the barcode scanner's timing. Other parts add their pages with
 * till_preferences_window_add_page ().
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-preferences-window-private.h"

struct _TillPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings      *settings;
  AdwActionRow   *server_row;
  AdwActionRow   *certificate_row;
  GtkCheckButton *scheme_buttons[3];
  AdwComboRow    *catalog_row;
  GtkSpinButton  *interval_spin;
  GtkSpinButton  *length_spin;
};

G_DEFINE_FINAL_TYPE (TillPreferencesWindow, till_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char *schemes[] = { "default", "light", "dark" };
static const char *catalog_views[] = { "grid", "list" };

static void
update_certificate (TillPreferencesWindow *self)
{
  g_autofree char *pin = g_settings_get_string (self->settings, "pinned-certificate");

  adw_action_row_set_subtitle (self->certificate_row,
                               *pin != '\0' ? pin : _ ("The system’s certificate authorities"));
}

static void
update_scheme (TillPreferencesWindow *self)
{
  g_autofree char *scheme = g_settings_get_string (self->settings, "color-scheme");

  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (g_str_equal (scheme, schemes[i]) && !gtk_check_button_get_active (self->scheme_buttons[i]))
      gtk_check_button_set_active (self->scheme_buttons[i], TRUE);
}

static void
on_scheme_toggled (GtkCheckButton *button, TillPreferencesWindow *self)
{
  if (!gtk_check_button_get_active (button))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (button == self->scheme_buttons[i])
      g_settings_set_string (self->settings, "color-scheme", schemes[i]);
}

static void
update_catalog_view (TillPreferencesWindow *self)
{
  g_autofree char *view = g_settings_get_string (self->settings, "catalog-view");

  adw_combo_row_set_selected (ADW_COMBO_ROW (self->catalog_row), g_str_equal (view, "list"));
}

static void
on_catalog_view_selected (TillPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->catalog_row);

  if (selected < G_N_ELEMENTS (catalog_views))
    g_settings_set_string (self->settings, "catalog-view", catalog_views[selected]);
}

static GtkWidget *
group (const char *title, const char *description)
{
  GtkWidget *widget = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (widget), title);
  if (description != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (widget), description);
  return widget;
}

static GtkWidget *
spin_row (GSettings      *settings,
          const char     *key,
          const char     *title,
          const char     *subtitle,
          GtkSpinButton **out)
{
  g_autoptr (GSettingsSchemaKey) schema_key = NULL;
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GVariant) range = NULL;
  g_autoptr (GVariant) limits = NULL;
  GtkWidget  *row = adw_action_row_new ();
  GtkWidget  *spin;
  guint32     min = 0, max = G_MAXUINT32;
  const char *type;

  /* The schema's range is the spin button's: a value outside it is never written. */
  g_object_get (settings, "settings-schema", &schema, NULL);
  schema_key = g_settings_schema_get_key (schema, key);
  range = g_settings_schema_key_get_range (schema_key);
  g_variant_get (range, "(&sv)", &type, &limits);
  if (g_str_equal (type, "range"))
    g_variant_get (limits, "(uu)", &min, &max);
  spin = gtk_spin_button_new_with_range (min, max, 1);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
  g_settings_bind (settings, key, gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (spin)), "value",
                   G_SETTINGS_BIND_DEFAULT);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  *out = GTK_SPIN_BUTTON (spin);
  return row;
}

static void
build (TillPreferencesWindow *self, const char *server_url)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *server = group (_ ("Server"), NULL);
  GtkWidget *appearance = group (_ ("Appearance"), NULL);
  GtkWidget *scanner =
      group (_ ("Barcode Scanner"),
             _ ("A scanner types a barcode’s digits fast and ends with Enter. Keys closer "
                "together than the interval, at least as many as the shortest barcode, are a "
                "scan; slower keys are typing."));
  GtkWidget     *button, *row;
  GtkStringList *views;
  const char    *scheme_titles[] = { _ ("Follow System"), _ ("Light"), _ ("Dark") };

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (page), _ ("General"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (page), "preferences-system-symbolic");

  /* Server: shown here, changed through the connect dialog, which checks it. */
  self->server_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->server_row), _ ("Server Address"));
  adw_action_row_set_subtitle (self->server_row, server_url != NULL && *server_url != '\0'
                                                     ? server_url
                                                     : _ ("Not connected"));
  button = gtk_button_new_with_mnemonic (_ ("_Change…"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _ ("Connect to another server"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "app.connect");
  adw_action_row_add_suffix (self->server_row, button);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (server), GTK_WIDGET (self->server_row));
  self->certificate_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->certificate_row),
                                 _ ("Trusted Certificate"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (server), GTK_WIDGET (self->certificate_row));
  g_signal_connect_object (self->settings, "changed::pinned-certificate",
                           G_CALLBACK (update_certificate), self, G_CONNECT_SWAPPED);
  update_certificate (self);

  /* Appearance */
  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    {
      GtkWidget *check = gtk_check_button_new ();

      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), scheme_titles[i]);
      gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      scheme_titles[i], -1);
      if (i > 0)
        gtk_check_button_set_group (GTK_CHECK_BUTTON (check), self->scheme_buttons[0]);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      self->scheme_buttons[i] = GTK_CHECK_BUTTON (check);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (appearance), row);
    }
  update_scheme (self);
  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    g_signal_connect (self->scheme_buttons[i], "toggled", G_CALLBACK (on_scheme_toggled), self);
  g_signal_connect_object (self->settings, "changed::color-scheme", G_CALLBACK (update_scheme),
                           self, G_CONNECT_SWAPPED);

  views = gtk_string_list_new ((const char *const[]){ _ ("Grid"), _ ("List"), NULL });
  self->catalog_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->catalog_row), _ ("Products As"));
  adw_combo_row_set_model (self->catalog_row, G_LIST_MODEL (views));
  g_object_unref (views);
  update_catalog_view (self);
  g_signal_connect_swapped (self->catalog_row, "notify::selected",
                            G_CALLBACK (on_catalog_view_selected), self);
  g_signal_connect_object (self->settings, "changed::catalog-view",
                           G_CALLBACK (update_catalog_view), self, G_CONNECT_SWAPPED);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (appearance), GTK_WIDGET (self->catalog_row));

  /* Scanner */
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (scanner),
                             spin_row (self->settings, "scanner-max-interval", _ ("Key Interval"),
                                       _ ("Milliseconds between a scanner’s keys, at most"),
                                       &self->interval_spin));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (scanner),
                             spin_row (self->settings, "scanner-min-length", _ ("Shortest Barcode"),
                                       _ ("Characters; a shorter burst is typing"),
                                       &self->length_spin));

  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (server));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (appearance));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (scanner));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self), ADW_PREFERENCES_PAGE (page));
}

static void
till_preferences_window_dispose (GObject *object)
{
  TillPreferencesWindow *self = TILL_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  G_OBJECT_CLASS (till_preferences_window_parent_class)->dispose (object);
}

static void
till_preferences_window_class_init (TillPreferencesWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = till_preferences_window_dispose;
}

static void
till_preferences_window_init (TillPreferencesWindow *self)
{
}

TillPreferencesWindow *
till_preferences_window_new (GtkWindow *parent, GSettings *settings, const char *server_url)
{
  TillPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (TILL_TYPE_PREFERENCES_WINDOW, "transient-for", parent, "modal", TRUE,
                       "search-enabled", FALSE, "default-width", 640, "default-height", 560, NULL);
  self->settings = g_object_ref (settings);
  build (self, server_url);
  return self;
}

void
till_preferences_window_add_page (TillPreferencesWindow *self, AdwPreferencesPage *page)
{
  g_return_if_fail (TILL_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (ADW_IS_PREFERENCES_PAGE (page));

  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self), page);
}

/* Private API */

GtkCheckButton *
till_preferences_window_get_scheme_button (TillPreferencesWindow *self, guint index)
{
  g_return_val_if_fail (index < G_N_ELEMENTS (schemes), NULL);
  return self->scheme_buttons[index];
}

GtkSpinButton *
till_preferences_window_get_interval_spin (TillPreferencesWindow *self)
{
  return self->interval_spin;
}

GtkSpinButton *
till_preferences_window_get_length_spin (TillPreferencesWindow *self)
{
  return self->length_spin;
}

AdwComboRow *
till_preferences_window_get_catalog_row (TillPreferencesWindow *self)
{
  return self->catalog_row;
}

const char *
till_preferences_window_get_server_text (TillPreferencesWindow *self)
{
  return adw_action_row_get_subtitle (self->server_row);
}
