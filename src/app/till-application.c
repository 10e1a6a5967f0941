/* till-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-app-resources.h"
#include "till-application.h"
#include "till-window.h"

struct _TillApplication
{
  AdwApplication parent_instance;

  char *server_url;
  gboolean kiosk;
};

G_DEFINE_FINAL_TYPE (TillApplication, till_application, ADW_TYPE_APPLICATION)

static void
till_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (till_window_new (TILL_APPLICATION (app)));

  gtk_window_present (window);
}

static int
till_application_handle_local_options (GApplication *app,
                                       GVariantDict *options)
{
  TillApplication *self = TILL_APPLICATION (app);
  const char *server_url = NULL;

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

  G_OBJECT_CLASS (till_application_parent_class)->finalize (object);
}

static void
till_application_class_init (TillApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  /* The resources live in a static library: name them, or the linker leaves them out (their
   * constructor registers them). */
  (void) till_app_get_resource ();

  object_class->finalize = till_application_finalize;
  app_class->activate = till_application_activate;
  app_class->handle_local_options = till_application_handle_local_options;
}

static const GOptionEntry option_entries[] = {
  { "server", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_("Address of till-server, e.g. https://till.example:8787"), N_("URL") },
  { "kiosk", 'k', 0, G_OPTION_ARG_NONE, NULL,
    N_("Run as a locked-down self-checkout kiosk"), NULL },
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

gboolean
till_application_get_kiosk (TillApplication *self)
{
  g_return_val_if_fail (TILL_IS_APPLICATION (self), FALSE);

  return self->kiosk;
}

TillApplication *
till_application_new (void)
{
  return g_object_new (TILL_TYPE_APPLICATION,
                       "application-id", TILL_APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}
