/* till-test-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>

#include "till-stripe-sim.h"
#include "till-terminals.h"
#include "till-test-server.h"

static FILE *log_file;
static char *log_dir;

static GLogWriterOutput
log_writer (GLogLevelFlags log_level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (log_file != NULL)
    {
      g_autofree char *line = g_log_writer_format_fields (log_level, fields, n_fields, FALSE);

      fprintf (log_file, "%s\n", line);
      fflush (log_file);
    }
  /* Debug messages only go to the file: the TAP output stays readable. */
  if (log_level & G_LOG_LEVEL_DEBUG)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

const char *
till_test_log_dir (void)
{
  if (log_dir == NULL)
    {
      const char *build = g_getenv ("G_TEST_BUILDDIR");

      log_dir = build != NULL ? g_build_filename (build, "logs", NULL)
                              : g_build_filename (g_get_tmp_dir (), "till-server-test-logs", NULL);
    }
  return log_dir;
}

void
till_test_capture_logs (const char *name)
{
  g_autofree char *file = NULL;

  g_mkdir_with_parents (till_test_log_dir (), 0755);
  file = g_strdup_printf ("%s/%s.log", till_test_log_dir (), name);
  log_file = fopen (file, "w");
  g_assert_nonnull (log_file);
  g_setenv ("G_MESSAGES_DEBUG", "till-server till-stripe till-server-test", TRUE);
  g_log_set_writer_func (log_writer, NULL, NULL);
  /* Retries back off in milliseconds, not seconds. */
  g_setenv ("TILL_STRIPE_RETRY_BASE_MS", "10", TRUE);
}

char *
till_test_new_reference (void)
{
  return g_uuid_string_random ();
}

static void
set_string (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

TillTestServer *
till_test_server_new (const char *stripe_base, TillTestConfigure configure, gpointer user_data)
{
  TillTestServer *server = g_new0 (TillTestServer, 1);
  g_autoptr (GError) error = NULL;
  TillServerConfig *config = till_server_config_new ();

  server->dir = till_test_make_tmpdir ("till-server-test");

  config->database = g_build_filename (server->dir, "till.db", NULL);
  set_string (&config->listen, "127.0.0.1:0");
  set_string (&config->store_name, "Test Shop");
  set_string (&config->currency, "USD");
  set_string (&config->timezone, "Europe/Istanbul");
  set_string (&config->api_base, stripe_base != NULL ? stripe_base : "http://127.0.0.1:9");
  set_string (&config->js_url, stripe_base != NULL ? stripe_base : "http://127.0.0.1:9/v3/");
  set_string (&config->secret_key, "sk_test_till_server_tests_0123456789");
  set_string (&config->publishable_key, "pk_test_till_server_tests_0123456789");
  set_string (&config->webhook_secret, "whsec_till_server_tests_0123456789");
  config->stripe_max_retries = 3;
  config->stripe_timeout = 5;
  config->stripe_connect_timeout = 2;
  config->reconcile_interval = 3600;
  if (configure != NULL)
    configure (config, user_data);

  g_assert_true (till_server_config_validate (config, &error));
  g_assert_no_error (error);

  server->api = till_api_new (config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (server->api);
  g_assert_true (till_api_start (server->api, &error));
  g_assert_no_error (error);
  server->base = g_strdup (till_api_get_base_uri (server->api));

  server->cashier_token = till_terminals_add (till_api_get_database (server->api), "till 1",
                                              TILL_ROLE_CASHIER, NULL, &error);
  g_assert_no_error (error);
  server->admin_token = till_terminals_add (till_api_get_database (server->api), "back office",
                                            TILL_ROLE_ADMIN, NULL, &error);
  g_assert_no_error (error);

  server->session = soup_session_new_with_options ("timeout", 30, "max-conns-per-host", 64,
                                                   "max-conns", 128, NULL);
  return server;
}

void
till_test_server_free (TillTestServer *server)
{
  if (server == NULL)
    return;
  g_clear_object (&server->session);
  if (server->api != NULL)
    till_api_stop (server->api);
  g_clear_object (&server->api);
  /* Let finished requests and worker callbacks drain. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (server->dir != NULL)
    till_test_remove_tree (server->dir);
  g_free (server->dir);
  g_free (server->base);
  g_free (server->cashier_token);
  g_free (server->admin_token);
  g_free (server);
}

void
till_test_response_free (TillTestResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->json, json_object_unref);
  g_free (response);
}

typedef struct
{
  GBytes  *body;
  GError  *error;
  gboolean done;
} Pending;

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;

  pending->body =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, &pending->error);
  pending->done = TRUE;
}

TillTestResponse *
till_test_request_full (SoupSession       *session,
                        const char        *method,
                        const char        *url,
                        const char *const *headers,
                        const char        *content_type,
                        const char        *body,
                        gssize             length)
{
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  TillTestResponse *response;
  Pending           pending = { NULL, NULL, FALSE };

  g_assert_nonnull (msg);
  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (msg), headers[i],
                                  headers[i + 1]);
  if (body != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, length < 0 ? strlen (body) : (gsize) length);

      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &pending);
  while (!pending.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (pending.error);

  response = g_new0 (TillTestResponse, 1);
  response->status = soup_message_get_status (msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  response->body = pending.body;
  if (g_bytes_get_size (response->body) > 0)
    {
      gsize       size;
      const char *data = g_bytes_get_data (response->body, &size);

      /* Read as the app reads it: an answer the app would refuse has no json. */
      response->json = till_json_parse_object (data, size, NULL);
    }
  return response;
}

TillTestResponse *
till_test_request (TillTestServer *server,
                   const char     *method,
                   const char     *path,
                   const char     *token,
                   const char     *body)
{
  g_autofree char *url = g_strconcat (server->base, path, NULL);
  g_autofree char *authorization = token != NULL ? g_strconcat ("Bearer ", token, NULL) : NULL;
  const char      *headers[] = { "Authorization", authorization, NULL };

  return till_test_request_full (server->session, method, url,
                                 authorization != NULL ? headers : NULL, "application/json", body,
                                 -1);
}

const char *
till_test_error_code (TillTestResponse *response)
{
  JsonObject *error;

  if (response->json == NULL || !json_object_has_member (response->json, "error"))
    return NULL;
  error = json_object_get_object_member (response->json, "error");
  return json_object_get_string_member_with_default (error, "code", NULL);
}

TillTestSim *
till_test_sim_new (void)
{
  TillTestSim *sim = g_new0 (TillTestSim, 1);
  g_autoptr (GError) error = NULL;
  TillStripeSim *stripe = till_stripe_sim_new (TILL_TEST_SECRET_KEY, &error);

  g_assert_no_error (error);
  till_stripe_sim_set_faults_enabled (stripe, TRUE);
  g_assert_true (till_stripe_sim_listen (stripe, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  sim->sim = G_OBJECT (stripe);
  sim->base = g_strdup (till_stripe_sim_get_base_uri (stripe));
  while (g_str_has_suffix (sim->base, "/"))
    sim->base[strlen (sim->base) - 1] = '\0';
  sim->session = soup_session_new_with_options ("timeout", 30, NULL);
  return sim;
}

void
till_test_sim_free (TillTestSim *sim)
{
  if (sim == NULL)
    return;
  g_clear_object (&sim->session);
  till_stripe_sim_disconnect (TILL_STRIPE_SIM (sim->sim));
  g_clear_object (&sim->sim);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (sim->base);
  g_free (sim);
}

TillTestResponse *
till_test_sim_call (TillTestSim *sim, const char *method, const char *path, const char *form)
{
  g_autofree char *url = g_strconcat (sim->base, path, NULL);
  const char      *headers[] = { "Authorization", "Bearer " TILL_TEST_SECRET_KEY, NULL };

  return till_test_request_full (sim->session, method, url, headers,
                                 "application/x-www-form-urlencoded", form, -1);
}

void
till_test_sim_fault (TillTestSim *sim, const char *spec, guint count)
{
  g_autofree char *escaped = g_uri_escape_string (spec, NULL, TRUE);
  g_autofree char *form = g_strdup_printf ("fault=%s&count=%u", escaped, count);
  g_autoptr (TillTestResponse) response = till_test_sim_call (sim, "POST", "/_sim/faults", form);

  g_assert_cmpuint (response->status, ==, 200);
}

void
till_test_sim_clear_faults (TillTestSim *sim)
{
  g_autoptr (TillTestResponse) response = till_test_sim_call (sim, "DELETE", "/_sim/faults", NULL);

  g_assert_cmpuint (response->status, ==, 200);
}

void
till_test_sim_forget_keys (TillTestSim *sim)
{
  g_autoptr (TillTestResponse) response =
      till_test_sim_call (sim, "DELETE", "/_sim/idempotency", NULL);

  g_assert_cmpuint (response->status, ==, 200);
}

/* The ids of the intents made for @order_id (metadata[till_order_id]), oldest first, from
 * the simulator's payment_intent.created events. */
static GPtrArray *
sim_intents_of (TillTestSim *sim, gint64 order_id)
{
  GPtrArray       *ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *after = NULL;
  g_autofree char *wanted = g_strdup_printf ("%" G_GINT64_FORMAT, order_id);
  gboolean         more = TRUE;

  while (more)
    {
      g_autofree char *path = NULL;
      g_autoptr (TillTestResponse) response = NULL;
      JsonArray *data;

      if (after != NULL)
        path = g_strdup_printf (
            "/v1/events?type=payment_intent.created&limit=100&starting_after=%s", after);
      else
        path = g_strdup ("/v1/events?type=payment_intent.created&limit=100");
      response = till_test_sim_call (sim, "GET", path, NULL);
      g_assert_cmpuint (response->status, ==, 200);
      data = json_object_get_array_member (response->json, "data");
      for (guint i = 0; i < json_array_get_length (data); i++)
        {
          JsonObject *event = json_array_get_object_element (data, i);
          JsonObject *intent = json_object_get_object_member (
              json_object_get_object_member (event, "data"), "object");
          JsonObject *metadata = json_object_get_object_member (intent, "metadata");

          if (g_strcmp0 (json_object_get_string_member_with_default (metadata, "till_order_id", ""),
                         wanted) == 0)
            g_ptr_array_insert (ids, 0, g_strdup (json_object_get_string_member (intent, "id")));
          g_free (after);
          after = g_strdup (json_object_get_string_member (event, "id"));
        }
      more = json_object_get_boolean_member (response->json, "has_more") &&
             json_array_get_length (data) > 0;
    }
  return ids;
}

guint
till_test_sim_count_intents (TillTestSim *sim, gint64 order_id)
{
  g_autoptr (GPtrArray) ids = sim_intents_of (sim, order_id);

  return ids->len;
}

char *
till_test_sim_find_intent (TillTestSim *sim, gint64 order_id)
{
  g_autoptr (GPtrArray) ids = sim_intents_of (sim, order_id);

  return ids->len > 0 ? g_strdup (ids->pdata[ids->len - 1]) : NULL;
}

guint
till_test_sim_confirm (TillTestSim *sim, const char *intent, const char *payment_method)
{
  g_autofree char *path = g_strdup_printf ("/v1/payment_intents/%s/confirm", intent);
  g_autofree char *form = g_strdup_printf ("payment_method=%s", payment_method);
  g_autoptr (TillTestResponse) response = till_test_sim_call (sim, "POST", path, form);

  return response->status;
}
