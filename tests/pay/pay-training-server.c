/* pay-training-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "till-core.h"
#include "pay-training-server.h"

void
pay_training_server_stop (PayTrainingServer *server)
{
  if (server == NULL)
    return;
  if (server->process != NULL)
    {
      g_subprocess_send_signal (server->process, SIGTERM);
      g_subprocess_wait (server->process, NULL, NULL);
      g_object_unref (server->process);
    }
  if (server->dir != NULL)
    till_test_remove_tree (server->dir);
  g_clear_object (&server->session);
  g_free (server->dir);
  g_free (server->db);
  g_free (server->token);
  g_free (server->base);
  g_free (server->publishable_key);
  g_free (server->js_origin);
  g_free (server->config);
  g_free (server);
}

/* Starts till-server --training on @listen with the server's database; reads its address,
 * publishable key and the embedded simulator's origin. */
static gboolean
launch (PayTrainingServer *server, const char *binary, const char *listen, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (JsonObject) config = NULL;
  g_autoptr (GUri) js = NULL;

  {
    const char *argv[] = { binary,     "--training", "--listen",     listen, "--db",
                           server->db, "--config",   server->config, NULL };

    if (server->config == NULL)
      argv[6] = NULL;
    /* Its first line: "till-server listening on URL (training mode)". */
    g_clear_pointer (&server->base, g_free);
    server->process = till_test_spawn (launcher, argv, &server->base, NULL, error);
    if (server->process == NULL)
      return FALSE;
  }
  if (server->base == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "till-server did not start");
      return FALSE;
    }
  if (g_str_has_suffix (server->base, "/"))
    server->base[strlen (server->base) - 1] = '\0';

  if (server->session == NULL)
    server->session = soup_session_new ();
  config = pay_training_server_request (server, "GET", "/api/v1/config", NULL, NULL, error);
  if (config == NULL)
    return FALSE;
  g_free (server->publishable_key);
  server->publishable_key = g_strdup (json_object_get_string_member (config, "publishable_key"));
  js = g_uri_parse (json_object_get_string_member (config, "stripe_js_url"), G_URI_FLAGS_NONE,
                    error);
  if (js == NULL)
    return FALSE;
  g_free (server->js_origin);
  server->js_origin = g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (js), g_uri_get_host (js),
                                       g_uri_get_port (js));
  return TRUE;
}

/**
 * pay_training_server_start:
 * @binary: the till-server program
 *
 * Adds a terminal to a new database and starts the server in training mode on a free
 * loopback port; it dies with this process.
 */
PayTrainingServer *
pay_training_server_start (const char *binary, GError **error)
{
  return pay_training_server_start_with_config (binary, NULL, error);
}

/* The same, with @key_file (the text of a configuration file, or %NULL) as --config. */
PayTrainingServer *
pay_training_server_start_with_config (const char *binary, const char *key_file, GError **error)
{
  PayTrainingServer *server = g_new0 (PayTrainingServer, 1);
  g_autofree char   *out = NULL;
  g_auto (GStrv) out_lines = NULL;

  server->dir = till_test_make_tmpdir ("till-pay");
  server->db = g_build_filename (server->dir, "till.db", NULL);
  if (key_file != NULL)
    {
      server->config = g_build_filename (server->dir, "till-server.conf", NULL);
      if (!g_file_set_contents_full (server->config, key_file, -1, G_FILE_SET_CONTENTS_NONE, 0600,
                                     error))
        goto fail;
    }

  {
    const char *argv[] = { binary, "--db", server->db, "terminal", "add", "pay-test", NULL };
    if ((out = till_test_run_program (argv, error)) == NULL)
      goto fail;
  }
  out_lines = g_strsplit (g_strstrip (out), "\n", -1);
  server->token = g_strdup (out_lines[g_strv_length (out_lines) - 1]);
  if (!launch (server, binary, "127.0.0.1:0", error))
    goto fail;
  return server;

fail:
  pay_training_server_stop (server);
  return NULL;
}

/* Kills the server (SIGKILL) and starts it again on the same address and database. Its
 * embedded simulator starts empty, on another port: the intents made before are unknown. */
gboolean
pay_training_server_restart (PayTrainingServer *server, const char *binary, GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (server->base, G_URI_FLAGS_NONE, error);
  g_autofree char *listen = NULL;

  if (uri == NULL)
    return FALSE;
  listen = g_strdup_printf ("127.0.0.1:%d", g_uri_get_port (uri));
  g_subprocess_force_exit (server->process);
  if (!g_subprocess_wait (server->process, NULL, error))
    return FALSE;
  g_clear_object (&server->process);
  return launch (server, binary, listen, error);
}

/* A request to the server's API with the terminal's token; the answer's JSON object. */
JsonObject *
pay_training_server_request (PayTrainingServer *server,
                             const char        *method,
                             const char        *path,
                             const char        *body,
                             guint             *out_status,
                             GError           **error)
{
  g_autofree char *uri = g_strconcat (server->base, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, uri);
  g_autofree char *auth = g_strconcat ("Bearer ", server->token, NULL);
  g_autoptr (GBytes) reply = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  if (body != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  reply = soup_session_send_and_read (server->session, msg, NULL, error);
  if (reply == NULL)
    return NULL;
  if (out_status != NULL)
    *out_status = soup_message_get_status (msg);
  return till_json_parse_object (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply), error);
}

/* A checkout of two demo products (2 + 1): {order, payment: {payment_intent, client_secret}}. */
JsonObject *
pay_training_server_checkout (PayTrainingServer *server, GError **error)
{
  g_autoptr (JsonObject) products = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *body = NULL;
  JsonObject      *reply;
  JsonArray       *items;
  guint            status = 0;

  products =
      pay_training_server_request (server, "GET", "/api/v1/products?limit=2", NULL, NULL, error);
  if (products == NULL)
    return NULL;
  items = json_object_get_array_member (products, "products");
  body = g_strdup_printf (
      "{\"client_reference\": \"%s\", \"currency\": \"EUR\", \"lines\": ["
      "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 2},"
      "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}",
      uuid, json_object_get_int_member (json_array_get_object_element (items, 0), "id"),
      json_object_get_int_member (json_array_get_object_element (items, 1), "id"));
  reply = pay_training_server_request (server, "POST", "/api/v1/checkouts", body, &status, error);
  if (reply != NULL && status != 201)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "checkout answered %u", status);
      g_clear_pointer (&reply, json_object_unref);
    }
  return reply;
}

/* Runs xdotool with @args: real X key events, as a keyboard would send them. */
gboolean
pay_xdotool (const char *const *args, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  int status;

  g_ptr_array_add (argv, (gpointer) "xdotool");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                     &status, error))
    return FALSE;
  return g_spawn_check_wait_status (status, error);
}

/* Returns once GTK has taken in every event the X server had for this process: after a round
 * trip to the X server, what xdotool sent before is queued here, and the main context is
 * then run until it has nothing left to dispatch. WebKit hands keys to its web process in
 * the order it got them. */
void
pay_take_events (void)
{
  gdk_display_sync (gdk_display_get_default ());
  for (guint i = 0; i < 10000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* The card number has the focus when the form is ready: no click, no Tab. Each complete
 * field moves on to the next by itself (expiry 12/34, CVC 123). */
gboolean
pay_type_card_fields (const char *number, guint delay_ms, GError **error)
{
  g_autofree char *delay = g_strdup_printf ("%u", delay_ms);

  for (guint i = 0; i < 3; i++)
    {
      const char *text = i == 0 ? number : i == 1 ? "1234" : "123";
      if (!pay_xdotool ((const char *[]){ "type", "--delay", delay, text, NULL }, error))
        return FALSE;
      pay_take_events ();
    }
  return TRUE;
}

/* Tab from the CVC to Pay, and Enter. */
gboolean
pay_press_pay (GError **error)
{
  return pay_xdotool ((const char *[]){ "key", "--delay", "40", "Tab", "Return", NULL }, error);
}

typedef struct
{
  gboolean done;
  gboolean value;
} PageAnswer;

static void
on_page_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PageAnswer *answer = user_data;
  g_autoptr (JSCValue) value =
      webkit_web_view_evaluate_javascript_finish (WEBKIT_WEB_VIEW (source), result, NULL);

  answer->value = value != NULL && jsc_value_is_boolean (value) && jsc_value_to_boolean (value);
  answer->done = TRUE;
}

gboolean
pay_page_says (WebKitWebView *web_view, const char *expression)
{
  PageAnswer answer = { FALSE, FALSE };

  webkit_web_view_evaluate_javascript (web_view, expression, -1, NULL, NULL, NULL, on_page_answer,
                                       &answer);
  while (!answer.done)
    g_main_context_iteration (NULL, TRUE);
  return answer.value;
}
