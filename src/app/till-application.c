/* till-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "till-app-resources.h"
#include "till-application.h"
#include "till-cart-store.h"
#include "till-catalog.h"
#include "till-client.h"
#include "till-connect-dialog.h"
#include "till-preferences-window.h"
#include "till-printer-page.h"
#include "till-tender-dialog.h"
#include "till-renderer.h"
#include "till-training-server.h"
#include "till-kiosk.h"
#include "till-window-private.h"

struct _TillApplication
{
  AdwApplication parent_instance;

  char    *server_url;    /* from --server */
  char    *session_token; /* from the environment, for this run only */
  char    *settings_url;  /* the last one read from GSettings */
  gboolean kiosk;

  GSettings          *settings;
  TillCatalog        *catalog;
  TillCartStore      *store;
  TillClient         *client;
  TillTokenStore     *token_store;
  gboolean            carts_loaded;
  TillTrainingServer *training_server; /* the app's own, for "Try It in Training Mode" */
  char               *training_url;    /* where that looks first (tests set it) */
  TillKiosk          *kiosk_mode;      /* the lockdown, while the server says "kiosk" */
};

G_DEFINE_FINAL_TYPE (TillApplication, till_application, ADW_TYPE_APPLICATION)

static void
apply_color_scheme (TillApplication *self)
{
  g_autofree char *scheme = g_settings_get_string (self->settings, "color-scheme");
  AdwColorScheme   value = ADW_COLOR_SCHEME_DEFAULT;

  if (g_str_equal (scheme, "light"))
    value = ADW_COLOR_SCHEME_FORCE_LIGHT;
  else if (g_str_equal (scheme, "dark"))
    value = ADW_COLOR_SCHEME_FORCE_DARK;
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), value);
}

/* --server wins over the GSettings key. */
static const char *
effective_server_url (TillApplication *self)
{
  if (self->server_url != NULL)
    return self->server_url;
  g_free (self->settings_url);
  self->settings_url = g_settings_get_string (self->settings, "server-url");
  return *self->settings_url ? self->settings_url : NULL;
}

static void
ensure_a_cart (TillApplication *self)
{
  g_autofree char *currency = g_settings_get_string (self->settings, "currency");

  if (!self->carts_loaded || *currency == '\0')
    return;
  if (g_list_model_get_n_items (till_cart_store_get_carts (self->store)) == 0)
    till_cart_store_new_cart (self->store, currency,
                              g_settings_get_boolean (self->settings, "prices-include-tax"));
}

static void
on_client_config (TillApplication *self)
{
  const TillStoreConfig *config = till_client_get_config (self->client);

  if (config == NULL)
    return;
  /* Remembered so a till that starts offline can still open carts in the right currency. */
  g_settings_set_string (self->settings, "currency", config->currency);
  g_settings_set_boolean (self->settings, "prices-include-tax", config->prices_include_tax);
  /* And whether it may take cash then, with which rounding. */
  g_settings_set_boolean (self->settings, "offline-cash", config->offline_cash);
  g_settings_set_int64 (self->settings, "cash-rounding", CLAMP (config->cash_rounding, 0, 100));
  ensure_a_cart (self);
}

static void show_connect_dialog (TillApplication *self);

static void
on_token_looked_up (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillApplication) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  const char      *url = effective_server_url (self);

  token = till_token_store_lookup_finish (TILL_TOKEN_STORE (source), result, &error);
  if (error != NULL)
    g_warning ("Could not read the terminal token: %s", error->message);
  if (token == NULL)
    {
      show_connect_dialog (self);
      return;
    }
  till_client_set_server (self->client, url, token);
}

static void
connect_from_settings (TillApplication *self)
{
  const char      *url = effective_server_url (self);
  g_autofree char *pin = g_settings_get_string (self->settings, "pinned-certificate");

  till_client_set_pinned_certificate (self->client, *pin ? pin : NULL);
  if (url == NULL)
    {
      show_connect_dialog (self);
      return;
    }
  /* A token handed over in the environment (tools/run does, for its training server) is
   * used for this run only: never stored, never logged. */
  if (self->server_url != NULL && self->session_token != NULL)
    {
      till_client_set_server (self->client, url, self->session_token);
      return;
    }
  till_token_store_lookup_async (self->token_store, url, NULL, on_token_looked_up,
                                 g_object_ref (self));
}

typedef struct
{
  TillApplication *self;
  char            *url;
  char            *token;
  char            *pin;
} ConnectRequest;

static void
connect_request_free (ConnectRequest *request)
{
  g_clear_object (&request->self);
  g_free (request->url);
  g_free (request->token);
  g_free (request->pin);
  g_free (request);
}

static void
on_token_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ConnectRequest  *request = user_data;
  TillApplication *self = request->self;
  g_autoptr (GError) error = NULL;

  if (!till_token_store_store_finish (TILL_TOKEN_STORE (source), result, &error))
    {
      GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

      g_warning ("Could not store the terminal token in the keyring: %s", error->message);
      if (TILL_IS_WINDOW (window))
        till_window_show_toast (TILL_WINDOW (window),
                                _ ("The token could not be saved in the keyring: it is used for "
                                   "this session only. Ask an admin to check the keyring."));
    }

  g_settings_set_string (self->settings, "server-url", request->url);
  g_settings_set_string (self->settings, "pinned-certificate", request->pin ? request->pin : "");
  g_clear_pointer (&self->server_url, g_free);
  if (self->session_token != NULL)
    memset (self->session_token, 0, strlen (self->session_token));
  g_clear_pointer (&self->session_token, g_free);
  till_client_set_pinned_certificate (self->client, request->pin);
  till_client_set_server (self->client, request->url, request->token);
  connect_request_free (request);
}

static void
on_connect_requested (TillConnectDialog *dialog,
                      const char        *url,
                      const char        *token,
                      const char        *pin,
                      TillApplication   *self)
{
  ConnectRequest *request;

  /* The app's own training server lives as long as this run: its address and terminal are
   * for this run only, never stored (the next run starts a new one). */
  if (self->training_server != NULL &&
      g_strcmp0 (url, till_training_server_get_url (self->training_server)) == 0)
    {
      g_free (self->server_url);
      self->server_url = g_strdup (url);
      till_application_set_session_token (self, token);
      till_client_set_pinned_certificate (self->client, NULL);
      till_client_set_server (self->client, url, token);
      return;
    }

  request = g_new0 (ConnectRequest, 1);
  request->self = g_object_ref (self);
  request->url = g_strdup (url);
  request->token = g_strdup (token);
  request->pin = g_strdup (pin);
  till_token_store_store_async (self->token_store, url, token, NULL, on_token_stored, request);
}

static void
show_connect_dialog (TillApplication *self)
{
  GtkWindow         *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  TillConnectDialog *dialog;

  if (window == NULL)
    return;
  dialog = till_connect_dialog_new (window, self->client, effective_server_url (self));
  if (self->training_url != NULL)
    till_connect_dialog_set_training_url (dialog, self->training_url);
  if (self->training_server == NULL)
    {
      g_autofree char *program = till_training_server_find_program ();
      g_autofree char *database = till_training_server_default_database ();

      if (program != NULL)
        self->training_server = till_training_server_new (program, database);
      else
        g_message ("No till-server beside the app: “Try It in Training Mode” needs one running");
    }
  till_connect_dialog_set_training_server (dialog, self->training_server);
  g_signal_connect_object (dialog, "connect", G_CALLBACK (on_connect_requested), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_catalog_cache_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!till_catalog_load_cache_finish (TILL_CATALOG (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("The catalog cache could not be read: %s", error->message);
}

static void
on_carts_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillApplication) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!till_cart_store_load_finish (TILL_CART_STORE (source), result, &error))
    g_warning ("Saved carts could not be read: %s", error->message);
  self->carts_loaded = TRUE;
  ensure_a_cart (self);
}

static gboolean
on_close_request (GtkWindow *window, TillApplication *self)
{
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  return FALSE;
}

/* Cash sales made while the server is unreachable wait there; one that cannot be opened
 * (a damaged disk) leaves the window without offline cash, and says why in the log. */
static void
open_cash_journal (TillWindow *window)
{
  g_autofree char *path = till_cash_journal_default_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TillCashJournal) journal = till_cash_journal_open (path, &error);

  if (journal == NULL)
    g_message ("No offline cash: %s", error->message);
  else
    till_window_set_cash_journal (window, journal);
}

static void
till_application_activate (GApplication *app)
{
  TillApplication  *self = TILL_APPLICATION (app);
  GtkWindow        *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  TillCatalogView  *catalog_view;
  TillScanDetector *detector;

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  window = GTK_WINDOW (
      till_window_new (GTK_APPLICATION (app), self->catalog, self->store, self->client));
  gtk_window_set_default_size (window, g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (window);
  g_signal_connect (window, "close-request", G_CALLBACK (on_close_request), self);
  open_cash_journal (TILL_WINDOW (window));

  catalog_view = till_window_get_catalog_view (TILL_WINDOW (window));
  g_settings_bind (self->settings, "catalog-view", catalog_view, "view-mode",
                   G_SETTINGS_BIND_DEFAULT);
  detector = till_window_get_scan_detector (TILL_WINDOW (window));
  till_scan_detector_set_max_interval (
      detector, g_settings_get_uint (self->settings, "scanner-max-interval"));
  till_scan_detector_set_min_length (detector,
                                     g_settings_get_uint (self->settings, "scanner-min-length"));

  if (self->kiosk || g_settings_get_boolean (self->settings, "kiosk"))
    {
      gtk_window_fullscreen (window);
      till_payment_page_set_kiosk (till_window_get_payment_page (TILL_WINDOW (window)), TRUE);
    }

  g_clear_object (&self->kiosk_mode);
  self->kiosk_mode = till_kiosk_new (TILL_WINDOW (window), self->client);

  gtk_window_present (window);

  till_cart_store_load_async (self->store, NULL, on_carts_loaded, g_object_ref (self));
  connect_from_settings (self);
}

static void
quit_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  TillApplication *self = user_data;
  GtkWindow       *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (self->kiosk || (self->kiosk_mode != NULL && till_kiosk_get_locked (self->kiosk_mode)))
    return; /* a kiosk leaves only through the attendant's PIN (till-kiosk.c) */
  if (window != NULL)
    on_close_request (window, self);
  g_application_quit (G_APPLICATION (self));
}

static void
connect_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  show_connect_dialog (TILL_APPLICATION (user_data));
}

static void
about_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  TillApplication   *self = user_data;
  static const char *developers[] = { "The Till developers", NULL };
  GtkWidget         *about;

  about =
      g_object_new (ADW_TYPE_ABOUT_WINDOW, "transient-for",
                    gtk_application_get_active_window (GTK_APPLICATION (self)), "application-icon",
                    TILL_APP_ID, "application-name", _ ("Till"), "version", PACKAGE_VERSION,
                    "developers", developers, "license-type", GTK_LICENSE_GPL_3_0, "comments",
                    _ ("A checkout for shops, with card payments"), NULL);
  gtk_window_present (GTK_WINDOW (about));
}

/* Preferences */

static void
preferences_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  TillApplication       *self = user_data;
  TillPreferencesWindow *preferences =
      till_preferences_window_new (gtk_application_get_active_window (GTK_APPLICATION (self)),
                                   self->settings, effective_server_url (self));

  till_preferences_window_add_page (preferences, ADW_PREFERENCES_PAGE (till_printer_page_new ()));
  till_preferences_window_add_page (
      preferences, ADW_PREFERENCES_PAGE (till_tender_dialog_new_preferences_page ()));
  gtk_window_present (GTK_WINDOW (preferences));
}

/* The scanner's timing, set in the preferences, applies at once. */
static void
apply_scanner_timing (TillApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    {
      TillScanDetector *detector;

      if (!TILL_IS_WINDOW (l->data))
        continue;
      detector = till_window_get_scan_detector (TILL_WINDOW (l->data));
      till_scan_detector_set_max_interval (
          detector, g_settings_get_uint (self->settings, "scanner-max-interval"));
      till_scan_detector_set_min_length (
          detector, g_settings_get_uint (self->settings, "scanner-min-length"));
    }
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "connect", connect_activated },
  { "about", about_activated },
  { "preferences", preferences_activated },
};

static void
till_application_startup (GApplication *app)
{
  TillApplication *self = TILL_APPLICATION (app);
  g_autoptr (GAction) color_scheme = NULL;
  g_autoptr (GFile) cache = NULL;
  static const char *quit_accels[] = { "<Primary>q", NULL };

  /* Sell from the cache at once (the server refreshes it when it answers). Mapping and
   * checking it on a worker thread while GTK starts up (before chaining up) has it ready
   * for the window's first frame, instead of a second, full frame just after. */
  self->catalog = till_catalog_new ();
  cache = till_catalog_get_default_cache_file ();
  till_catalog_load_cache_async (self->catalog, cache, NULL, on_catalog_cache_loaded, NULL);

  G_APPLICATION_CLASS (till_application_parent_class)->startup (app);

  /* Before any window is realized: cairo where GL would be drawn in software. */
  till_display_choose_renderer (gdk_display_get_default ());

  self->settings = g_settings_new (TILL_APP_ID);
  g_signal_connect_swapped (self->settings, "changed::color-scheme",
                            G_CALLBACK (apply_color_scheme), self);
  apply_color_scheme (self);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  color_scheme = g_settings_create_action (self->settings, "color-scheme");
  g_action_map_add_action (G_ACTION_MAP (self), color_scheme);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         (const char *const[]){ "<Primary>comma", NULL });
  g_signal_connect_swapped (self->settings, "changed::scanner-max-interval",
                            G_CALLBACK (apply_scanner_timing), self);
  g_signal_connect_swapped (self->settings, "changed::scanner-min-length",
                            G_CALLBACK (apply_scanner_timing), self);

  {
    g_autoptr (GFile) directory = till_cart_store_get_default_directory ();
    self->store = till_cart_store_new (directory);
  }
  self->client = till_client_new ();
  g_signal_connect_object (self->client, "notify::config", G_CALLBACK (on_client_config), self,
                           G_CONNECT_SWAPPED);
  if (self->token_store == NULL)
    {
      self->token_store = till_secret_token_store_new ();
      /* A keyring prompt on a kiosk would face the customer, and an auto-login session
       * unlocks no keyring: without an unlocked one the token lives in a private file. */
      till_secret_token_store_set_prompt (TILL_SECRET_TOKEN_STORE (self->token_store),
                                          !self->kiosk &&
                                              !g_settings_get_boolean (self->settings, "kiosk"));
    }
}

static void
till_application_shutdown (GApplication *app)
{
  TillApplication *self = TILL_APPLICATION (app);

  G_APPLICATION_CLASS (till_application_parent_class)->shutdown (app);

  /* The app's own training server stops with it. */
  if (self->training_server != NULL)
    till_training_server_stop (self->training_server);
  g_clear_object (&self->training_server);
  g_clear_object (&self->kiosk_mode);
  g_clear_object (&self->client);
  g_clear_object (&self->store);
  g_clear_object (&self->catalog);
  g_clear_object (&self->settings);
}

static int
till_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  TillApplication *self = TILL_APPLICATION (app);
  const char      *server_url = NULL;

  if (g_variant_dict_lookup (options, "server", "&s", &server_url))
    {
      g_free (self->server_url);
      self->server_url = g_strdup (server_url);
    }
  g_variant_dict_lookup (options, "kiosk", "b", &self->kiosk);

  return -1;
}

static void
till_application_finalize (GObject *object)
{
  TillApplication *self = TILL_APPLICATION (object);

  g_clear_pointer (&self->server_url, g_free);
  if (self->session_token != NULL)
    memset (self->session_token, 0, strlen (self->session_token));
  g_clear_pointer (&self->session_token, g_free);
  g_clear_pointer (&self->settings_url, g_free);
  g_clear_pointer (&self->training_url, g_free);
  g_clear_object (&self->token_store);

  G_OBJECT_CLASS (till_application_parent_class)->finalize (object);
}

static void
till_application_class_init (TillApplicationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  /* The resources live in a static library: name them, or the linker leaves them out (their
   * constructor registers them). */
  (void) till_app_get_resource ();

  object_class->finalize = till_application_finalize;
  app_class->activate = till_application_activate;
  app_class->startup = till_application_startup;
  app_class->shutdown = till_application_shutdown;
  app_class->handle_local_options = till_application_handle_local_options;
}

static const GOptionEntry option_entries[] = {
  { "server", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_ ("Address of till-server, e.g. https://till.example:8787"), N_ ("URL") },
  { "kiosk", 'k', 0, G_OPTION_ARG_NONE, NULL,
    N_ ("Full screen with large card fields (a kiosk's lockdown comes from its server)"), NULL },
  { NULL }
};

static void
till_application_init (TillApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
}

const char *
till_application_get_server_url (TillApplication *self)
{
  g_return_val_if_fail (TILL_IS_APPLICATION (self), NULL);

  return self->server_url;
}

/* A terminal token for this run only (never stored): tools/run hands its training
 * server's token over this way, through the environment. */
void
till_application_set_session_token (TillApplication *self, const char *token)
{
  g_return_if_fail (TILL_IS_APPLICATION (self));

  g_free (self->session_token);
  self->session_token = token != NULL && *token != '\0' ? g_strdup (token) : NULL;
}

gboolean
till_application_get_kiosk (TillApplication *self)
{
  g_return_val_if_fail (TILL_IS_APPLICATION (self), FALSE);

  return self->kiosk;
}

void
till_application_set_token_store (TillApplication *self, TillTokenStore *store)
{
  g_return_if_fail (TILL_IS_APPLICATION (self));
  g_return_if_fail (TILL_IS_TOKEN_STORE (store));

  g_set_object (&self->token_store, store);
}

void
till_application_bind_textdomain (void)
{
  const char *dir = g_getenv ("TILL_LOCALEDIR");

  bindtextdomain (GETTEXT_PACKAGE, dir != NULL && *dir != '\0' ? dir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

gboolean
till_application_check_schema (GError **error)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, TILL_APP_ID, TRUE);
  if (schema != NULL)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               _ ("Till’s settings schema (%s) is not installed. To run Till from a build "
                  "directory, use “meson devenv -C _build ./src/app/till”, or “tools/run”, "
                  "which also starts a training server; or install Till."),
               TILL_APP_ID);
  return FALSE;
}

/* Where "Try It in Training Mode" looks before starting the app's own training server
 * (TILL_TRAINING_SERVER_URL unless set). */
void
till_application_set_training_url (TillApplication *self, const char *url)
{
  g_return_if_fail (TILL_IS_APPLICATION (self));

  g_free (self->training_url);
  self->training_url = g_strdup (url);
}

/* NULL until the connect dialog was first shown, or when no till-server was found. */
TillTrainingServer *
till_application_get_training_server (TillApplication *self)
{
  g_return_val_if_fail (TILL_IS_APPLICATION (self), NULL);

  return self->training_server;
}

TillClient *
till_application_get_client (TillApplication *self)
{
  g_return_val_if_fail (TILL_IS_APPLICATION (self), NULL);

  return self->client;
}

TillApplication *
till_application_new (void)
{
  return g_object_new (TILL_TYPE_APPLICATION, "application-id", TILL_APP_ID, "flags",
                       G_APPLICATION_DEFAULT_FLAGS, "resource-base-path", "/io/github/tillpos/Till",
                       NULL);
}
