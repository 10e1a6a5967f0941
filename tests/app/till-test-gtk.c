/* till-test-gtk.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "till-test-gtk.h"

void
till_test_set_drawing_env (void)
{
  /* Software GL (llvmpipe) JIT-compiles shaders, slowly and with leaks LeakSanitizer cannot
   * attribute (the driver is unloaded at exit); the cairo renderer draws the same widgets. */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  g_setenv ("WEBKIT_DISABLE_COMPOSITING_MODE", "1", FALSE);
}

static char *user_dirs;

static void
remove_user_dirs (void)
{
  till_test_remove_tree (user_dirs);
}

/* Carts, the catalog cache and the training database of the user running the tests (or of
 * another test program) are not this program's: it gets empty XDG directories of its own,
 * set before GLib reads and keeps them. (G_TEST_OPTION_ISOLATE_DIRS would also empty
 * XDG_DATA_DIRS, where GIO's proxy settings schema is.) */
static void
isolate_user_dirs (void)
{
  const char *names[] = { "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME" };

  user_dirs = till_test_make_tmpdir ("till-test-home");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *dir = g_build_filename (user_dirs, names[i], NULL);

      g_mkdir (dir, 0700);
      g_setenv (names[i], dir, TRUE);
    }
  atexit (remove_user_dirs);
}

void
till_test_init_gtk (int *argc, char ***argv)
{
  till_test_set_drawing_env ();
  isolate_user_dirs ();
  gtk_test_init (argc, argv, NULL);
  adw_init ();
}

static void
on_connect (TillConnectDialog *dialog,
            const char        *url,
            const char        *token,
            const char        *pin,
            TillTestConnect   *connect)
{
  till_test_connect_clear (connect);
  connect->url = g_strdup (url);
  connect->token = g_strdup (token);
  connect->pin = g_strdup (pin);
  connect->emitted = TRUE;
}

void
till_test_watch_connect (TillConnectDialog *dialog, TillTestConnect *connect)
{
  memset (connect, 0, sizeof *connect);
  g_signal_connect (dialog, "connect", G_CALLBACK (on_connect), connect);
}

void
till_test_connect_clear (TillTestConnect *connect)
{
  g_clear_pointer (&connect->url, g_free);
  g_clear_pointer (&connect->token, g_free);
  g_clear_pointer (&connect->pin, g_free);
  connect->emitted = FALSE;
}

/* What the card form does when the customer pays: confirm with the publishable key and the
 * client secret, at the training server's simulator, with Stripe's test Visa. */
void
till_test_confirm_at_stripe (const TillStoreConfig *config, const TillCheckoutResponse *response)
{
  g_autoptr (GUri) js = g_uri_parse (config->stripe_js_url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *uri =
      g_strdup_printf ("%s://%s:%d/v1/payment_intents/%s/confirm", g_uri_get_scheme (js),
                       g_uri_get_host (js), g_uri_get_port (js), response->payment_intent);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", uri);
  g_autofree char *auth = g_strconcat ("Bearer ", config->publishable_key, NULL);
  g_autofree char *form = soup_form_encode ("payment_method", "pm_card_visa", "client_secret",
                                            response->client_secret, NULL);
  gsize            length = strlen (form);
  g_autoptr (GBytes) body = g_bytes_new_take (g_steal_pointer (&form), length);
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
}
