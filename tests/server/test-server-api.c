/* test-server-api.c: till-server's HTTP API over loopback without Stripe: health, auth and
 * its throttle, configuration, limits, strict JSON, checkout validation, the payment page and
 * empty reports. The catalog's routes are in test-server-catalog.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "till-api-private.h"
#include "till-products.h"
#include "till-terminals.h"
#include "till-test-fixture.h"

/* Every test here runs without Stripe (a closed port). */
static const Setup offline = { .offline = TRUE };

static void
test_healthz (Fixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestResponse) response =
      till_test_request (fixture->server, "GET", "/healthz", NULL, NULL);

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (response->json, "status"), ==, "ok");
}

static void
test_auth (Fixture *fixture, gconstpointer data)
{
  TillTestServer *server = fixture->server;
  g_autoptr (GError) error = NULL;
  g_autofree char *revoked = NULL;
  gint64           revoked_id = 0;

  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", "/api/v1/products", NULL, NULL);
    assert_json_error (response, 401, "unauthorized");
    g_assert_nonnull (soup_message_headers_get_one (response->headers, "WWW-Authenticate"));
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", "/api/v1/products", "till_not-a-real-token", NULL);
    assert_json_error (response, 401, "unauthorized");
  }
  {
    /* A valid token with one character changed. */
    g_autofree char *forged = g_strdup (server->cashier_token);
    forged[10] = forged[10] == 'A' ? 'B' : 'A';
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", "/api/v1/products", forged, NULL);
    assert_json_error (response, 401, "unauthorized");
  }
  {
    g_autofree char *url = g_strconcat (server->base, "/api/v1/products", NULL);
    const char      *headers[] = { "Authorization", "Basic dXNlcjpwYXNz", NULL };
    g_autoptr (TillTestResponse) response =
        till_test_request_full (server->session, "GET", url, headers, NULL, NULL, 0);
    assert_json_error (response, 401, "unauthorized");
  }

  revoked = till_terminals_add (till_api_get_database (server->api), "old till", TILL_ROLE_ADMIN,
                                &revoked_id, &error);
  g_assert_no_error (error);
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", "/api/v1/config", revoked, NULL);
    g_assert_cmpuint (response->status, ==, 200);
  }
  g_assert_true (till_terminals_revoke (till_api_get_database (server->api), "old till", &error));
  g_assert_no_error (error);
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", "/api/v1/config", revoked, NULL);
    assert_json_error (response, 401, "unauthorized");
  }

  /* A test-mode server hands out no training terminal, token or not. */
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "POST", "/api/v1/training/terminals", NULL, "{}");
    assert_json_error (response, 404, "not_found");
  }

  /* Admin-only routes. */
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "POST", "/api/v1/products", server->cashier_token,
                           "{\"name\": \"Simit\", \"unit_amount\": 100, \"tax_rate\": 800}");
    assert_json_error (response, 403, "forbidden");
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "DELETE", "/api/v1/products/1", server->cashier_token, NULL);
    assert_json_error (response, 403, "forbidden");
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", "/api/v1/orders.csv", server->cashier_token, NULL);
    assert_json_error (response, 403, "forbidden");
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", "/api/v1/nothing", server->cashier_token, NULL);
    assert_json_error (response, 404, "not_found");
  }
}

static void
test_config (Fixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/config");

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (response->json, "store_name"), ==, "Test Shop");
  g_assert_cmpstr (json_object_get_string_member (response->json, "currency"), ==, "USD");
  g_assert_cmpstr (json_object_get_string_member (response->json, "mode"), ==, "test");
  g_assert_false (json_object_get_boolean_member (response->json, "prices_include_tax"));
  g_assert_true (g_str_has_prefix (
      json_object_get_string_member (response->json, "publishable_key"), "pk_test_"));
  g_assert_nonnull (json_object_get_string_member (response->json, "stripe_js_url"));
  /* Never the secret key. */
  g_assert_null (strstr (g_bytes_get_data (response->body, NULL), "sk_test_"));
  /* The asking terminal's role. */
  g_assert_cmpstr (json_object_get_string_member (response->json, "role"), ==, "cashier");
  /* [stripe] moto is off by default. */
  g_assert_true (json_object_has_member (response->json, "moto"));
  g_assert_false (json_object_get_boolean_member (response->json, "moto"));
  {
    TillTestServer *server = fixture->server;
    g_autoptr (TillTestResponse) admin =
        till_test_request (server, "GET", "/api/v1/config", server->admin_token, NULL);

    g_assert_cmpstr (json_object_get_string_member (admin->json, "role"), ==, "admin");
  }
}

static void
configure_store_details (TillServerConfig *config, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (till_server_config_load_file (config, user_data, &error));
  g_assert_no_error (error);
}

/* [store] address and tax-id, for receipts: read from the key file ("\n" between the
 * address's lines) and given by GET /api/v1/config; null when not set; refused when they
 * would not fit a receipt. */
static void
test_config_store_details (void)
{
  g_autofree char *dir = g_dir_make_tmp ("till-config-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "till.conf", NULL);
  g_autoptr (TillTestServer) plain = till_test_server_new (NULL, NULL, NULL);
  g_autoptr (TillTestResponse) none =
      till_test_request (plain, "GET", "/api/v1/config", plain->cashier_token, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (none->status, ==, 200);
  g_assert_true (json_object_has_member (none->json, "store_address"));
  g_assert_true (json_node_is_null (json_object_get_member (none->json, "store_address")));
  g_assert_true (json_node_is_null (json_object_get_member (none->json, "store_tax_id")));

  g_assert_true (g_file_set_contents (path,
                                      "[store]\n"
                                      "address=1 Market Street\\nSpringfield 12345\n"
                                      "tax-id= US-12-3456789 \n",
                                      -1, NULL));
  {
    g_autoptr (TillTestServer) server = till_test_server_new (NULL, configure_store_details, path);
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", "/api/v1/config", server->cashier_token, NULL);

    g_assert_cmpuint (response->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (response->json, "store_address"), ==,
                     "1 Market Street\nSpringfield 12345");
    g_assert_cmpstr (json_object_get_string_member (response->json, "store_tax_id"), ==,
                     "US-12-3456789");
  }

  g_assert_true (g_file_set_contents (path, "[store]\ntax-id=DE 123\\n456\n", -1, NULL));
  {
    g_autoptr (TillServerConfig) config = till_server_config_new ();

    g_assert_true (till_server_config_load_file (config, path, &error));
    g_assert_false (till_server_config_validate (config, &error));
    g_assert_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "[store] tax-id"));
  }
  g_unlink (path);
  g_rmdir (dir);
}

/* [stripe] payment-method-types: cards by default, Stripe's names, "automatic" alone; a
 * wrong value is refused at start-up and names itself. */
static void
test_config_payment_method_types (void)
{
  g_autofree char *dir = g_dir_make_tmp ("till-config-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "till.conf", NULL);
  const char      *refused[] = { "", "card;automatic", "Card", "card;ide al", "card;;ideal" };

  {
    g_autoptr (TillServerConfig) config = till_server_config_new ();

    g_assert_cmpstrv (config->payment_method_types, ((const char *[]){ "card", NULL }));
  }
  {
    g_autoptr (TillServerConfig) config = till_server_config_new ();
    g_autoptr (GError) error = NULL;

    g_assert_true (
        g_file_set_contents (path, "[stripe]\npayment-method-types=card;link\n", -1, NULL));
    g_assert_true (till_server_config_load_file (config, path, &error));
    g_assert_no_error (error);
    g_assert_cmpstrv (config->payment_method_types, ((const char *[]){ "card", "link", NULL }));
  }
  {
    g_autoptr (TillServerConfig) config = till_server_config_new ();
    g_autoptr (GError) error = NULL;

    g_assert_true (
        g_file_set_contents (path, "[stripe]\npayment-method-types=automatic\n", -1, NULL));
    g_assert_true (till_server_config_load_file (config, path, &error));
    g_assert_no_error (error);
    g_assert_null (config->payment_method_types);
  }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (TillServerConfig) config = till_server_config_new ();
      g_autoptr (GError) error = NULL;
      g_autofree char *contents =
          g_strdup_printf ("[stripe]\npayment-method-types=%s\n", refused[i]);

      g_assert_true (g_file_set_contents (path, contents, -1, NULL));
      g_assert_false (till_server_config_load_file (config, path, &error));
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "payment-method-types"));
      /* Nothing half-read: the default stays. */
      g_assert_cmpstrv (config->payment_method_types, ((const char *[]){ "card", NULL }));
    }
  g_unlink (path);
  g_rmdir (dir);
}

static char *
raw_exchange (TillTestServer *server, const char *request)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = g_uri_parse (server->base, G_URI_FLAGS_NONE, NULL);
  char   buffer[4096] = "";
  gsize  done = 0;
  gssize n;

  g_socket_client_set_timeout (client, 10);
  connection = g_socket_client_connect_to_host (client, g_uri_get_host (uri), g_uri_get_port (uri),
                                                NULL, &error);
  g_assert_no_error (error);
  g_assert_true (
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                                 strlen (request), NULL, NULL, &error));
  g_assert_no_error (error);
  /* The server runs on this thread's main context: read without blocking it. */
  g_socket_set_blocking (g_socket_connection_get_socket (connection), FALSE);
  while (done < sizeof buffer - 1 && strstr (buffer, "\r\n\r\n") == NULL)
    {
      n = g_socket_receive (g_socket_connection_get_socket (connection), buffer + done,
                            sizeof buffer - 1 - done, NULL, &error);
      if (n > 0)
        done += n, buffer[done] = '\0';
      else if (n == 0)
        break;
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          g_main_context_iteration (NULL, TRUE);
        }
      else
        break;
    }
  return g_strdup (buffer);
}

static void
test_limits_body (Fixture *fixture, gconstpointer data)
{
  TillTestServer  *server = fixture->server;
  g_autofree char *request = g_strdup_printf (
      "POST /api/v1/checkouts HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\n"
      "Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{\"client_",
      server->cashier_token);
  g_autofree char *answer = raw_exchange (server, request);
  g_autofree char *chunked = g_strdup_printf (
      "POST /api/v1/checkouts HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"cli\r\n",
      server->cashier_token);
  g_autofree char *chunked_answer = raw_exchange (server, chunked);

  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 413"));
  g_assert_nonnull (strstr (answer, "application/json"));
  g_assert_true (g_str_has_prefix (chunked_answer, "HTTP/1.1 411"));

  /* Also through a normal client, with a body just over the limit. */
  {
    gsize            size = 1024 * 1024 + 1;
    g_autofree char *body = g_malloc (size + 1);
    g_autoptr (TillTestResponse) response = NULL;

    memset (body, ' ', size);
    body[size] = '\0';
    response = till_test_request (server, "POST", "/api/v1/products", server->admin_token, body);
    g_assert_cmpuint (response->status, ==, 413);
  }
  /* The server is still fine. */
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", "/healthz", NULL, NULL);
    g_assert_cmpuint (response->status, ==, 200);
  }
}

/* Sends raw bytes (from @local_address, or any), closes its side, and reads everything the
 * server answers until it closes the connection (or 10 s pass: then *out_closed stays
 * FALSE). */
static char *
raw_exchange_from (TillTestServer *server,
                   const char     *local_address,
                   const char     *request,
                   gboolean       *out_closed)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = g_uri_parse (server->base, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GString) answer = g_string_new (NULL);
  gint64         deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GOutputStream *output;
  GSocket       *socket;

  *out_closed = FALSE;
  if (local_address != NULL)
    {
      g_autoptr (GSocketAddress) local = g_inet_socket_address_new_from_string (local_address, 0);

      g_socket_client_set_local_address (client, local);
    }
  connection = g_socket_client_connect_to_host (client, g_uri_get_host (uri), g_uri_get_port (uri),
                                                NULL, &error);
  g_assert_no_error (error);
  socket = g_socket_connection_get_socket (connection);
  output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_assert_true (g_output_stream_write_all (output, request, strlen (request), NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_socket_shutdown (socket, FALSE, TRUE, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  while (g_get_monotonic_time () < deadline)
    {
      char   buffer[4096];
      gssize n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);

      if (n > 0)
        g_string_append_len (answer, buffer, n);
      else if (n == 0)
        {
          *out_closed = TRUE;
          break;
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          g_main_context_iteration (NULL, FALSE);
        }
      else
        {
          /* A reset also ends the connection. */
          *out_closed = TRUE;
          break;
        }
    }
  return g_strdup (answer->str);
}

static char *
raw_exchange_until_closed (TillTestServer *server, const char *request, gboolean *out_closed)
{
  return raw_exchange_from (server, NULL, request, out_closed);
}

static guint
count_status_lines (const char *answer)
{
  guint count = 0;

  for (const char *p = answer; (p = strstr (p, "HTTP/1.1 ")) != NULL; p++)
    count++;
  return count;
}

/* Two Content-Length headers (or Content-Length beside Transfer-Encoding) would let a proxy and
 * the server disagree on where the body ends: what one reads as body, the other as a second
 * request. The server refuses such a request, closes, and runs nothing after it. */
static void
test_limits_framing (Fixture *fixture, gconstpointer data)
{
  TillTestServer  *server = fixture->server;
  const char      *front = "{\"sku\": \"FRONT-1\", \"name\": \"Front\", \"unit_amount\": 100,"
                           " \"tax_rate\": 800}";
  const char      *hidden_body = "{\"sku\": \"SMUGGLED-1\", \"name\": \"Smuggled\","
                                 " \"unit_amount\": 1, \"tax_rate\": 800}";
  g_autofree char *hidden = g_strdup_printf (
      "POST /api/v1/products HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\n"
      "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
      server->admin_token, strlen (hidden_body), hidden_body);
  gsize short_length = strlen (front);
  gsize long_length = strlen (front) + strlen (hidden);
  struct
  {
    const char *framing;
    gboolean    by_libsoup; /* refused before the server sees it, without a body */
  } cases[] = {
    { "Content-Length: %1$zu\r\nContent-Length: %2$zu\r\n", FALSE },
    { "Content-Length: %2$zu\r\nContent-Length: %1$zu\r\n", FALSE },
    { "Content-Length: %1$zu\r\nContent-Length: %1$zu\r\n", FALSE },
    { "Content-Length: %1$zu, %2$zu\r\n", TRUE },
    { "Transfer-Encoding: chunked\r\nContent-Length: %1$zu\r\n", FALSE },
    { "Content-Length: %1$zu\r\nTransfer-Encoding: chunked\r\n", FALSE },
    { "Content-Length: %1$zu\r\nTransfer-Encoding: identity\r\n", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *framing = g_strdup_printf (cases[i].framing, short_length, long_length);
      g_autofree char *request = g_strdup_printf (
          "POST /api/v1/products HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\n"
          "Content-Type: application/json\r\n%s\r\n%s%s",
          server->admin_token, framing, front, hidden);
      gboolean         closed;
      g_autofree char *answer = NULL;

#ifdef __SANITIZE_ADDRESS__
      /* libsoup 3.2 leaks the request's path when it refuses one itself. */
      if (cases[i].by_libsoup)
        continue;
#endif
      answer = raw_exchange_until_closed (server, request, &closed);
      g_test_message ("case %u: %s", i, framing);
      g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 400"));
      if (!cases[i].by_libsoup)
        {
          g_assert_nonnull (strstr (answer, "\"invalid_request\""));
          g_assert_nonnull (strstr (answer, "Connection: close"));
        }
      g_assert_cmpuint (count_status_lines (answer), ==, 1);
      g_assert_true (closed);
    }

  /* Neither request ran. */
  {
    g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/products?q=SMUGGLED-1");
    g_assert_cmpuint (response->status, ==, 200);
    g_assert_cmpuint (
        json_array_get_length (json_object_get_array_member (response->json, "products")), ==, 0);
  }
  {
    g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/products?q=FRONT-1");
    g_assert_cmpuint (
        json_array_get_length (json_object_get_array_member (response->json, "products")), ==, 0);
  }
  /* One Content-Length is fine, and the same bytes make both products in turn. */
  {
    g_autofree char *request = g_strdup_printf (
        "POST /api/v1/products HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\n"
        "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s%s",
        server->admin_token, short_length, front, hidden);
    gboolean         closed;
    g_autofree char *answer = raw_exchange_until_closed (server, request, &closed);

    g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 201"));
    g_assert_cmpuint (count_status_lines (answer), ==, 2);
    g_assert_true (closed);
  }
  g_assert_cmpint (product_id (fixture, "SMUGGLED-1"), >, 0);
}

static void
test_strict_json (Fixture *fixture, gconstpointer data)
{
  TillTestServer *server = fixture->server;
  static const struct
  {
    const char *body;
    guint       status;
    const char *code;
    const char *names;
  } cases[] = {
    { "{", 400, "invalid_json", NULL },
    { "", 400, "invalid_json", NULL },
    { "[1, 2]", 400, NULL, NULL },
    { "null", 400, NULL, NULL },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1}], \"colour\": 1}",
      400, "unknown_field", "colour" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1, \"price_override\": 1}]}",
      400, "unknown_field", "price_override" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": \"2\"}]}",
      400, NULL, "quantity" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 0}]}",
      400, NULL, "quantity" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 10000}]}",
      400, NULL, "quantity" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1.5}]}",
      400, NULL, "quantity" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\", \"lines\": \"many\"}", 400, NULL,
      "lines" },
    { "{\"client_reference\": 5, \"currency\": \"USD\", \"lines\": []}", 400, NULL,
      "client_reference" },
    { "{\"client_reference\": \"a\", \"currency\": \"XXX\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
      400, NULL, "currency" },
    /* A member twice: not the last one silently. */
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1, \"quantity\": 9999}]}",
      400, "invalid_json", "duplicate member “quantity”" },
    { "{\"client_reference\": \"a\", \"client_reference\": \"b\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
      400, "invalid_json", "duplicate member “client_reference”" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (TillTestResponse) response = till_test_request (
          server, "POST", "/api/v1/checkouts", server->cashier_token, cases[i].body);

      g_test_message ("case %u: %s", i, cases[i].body);
      g_assert_cmpuint (response->status, ==, cases[i].status);
      g_assert_nonnull (till_test_error_code (response));
      if (cases[i].code != NULL)
        g_assert_cmpstr (till_test_error_code (response), ==, cases[i].code);
      if (cases[i].names != NULL)
        g_assert_nonnull (strstr (error_message (response), cases[i].names));
    }

  /* Not JSON at all. */
  {
    g_autofree char *url = g_strconcat (server->base, "/api/v1/checkouts", NULL);
    g_autofree char *authorization = g_strconcat ("Bearer ", server->cashier_token, NULL);
    const char      *headers[] = { "Authorization", authorization, NULL };
    g_autoptr (TillTestResponse) response =
        till_test_request_full (server->session, "POST", url, headers, "text/plain", "hello", -1);
    assert_json_error (response, 415, "unsupported_media_type");
  }
  /* Binary garbage. */
  {
    static const char garbage[] = "{\"a\xff\xfe\": \0\1\2}";
    g_autofree char  *url = g_strconcat (server->base, "/api/v1/checkouts", NULL);
    g_autofree char  *authorization = g_strconcat ("Bearer ", server->cashier_token, NULL);
    const char       *headers[] = { "Authorization", authorization, NULL };
    g_autoptr (TillTestResponse) response = till_test_request_full (
        server->session, "POST", url, headers, "application/json", garbage, sizeof garbage);
    g_assert_cmpuint (response->status, ==, 400);
  }
}

static void
test_checkout_validation (Fixture *fixture, gconstpointer data)
{
  TillTestServer  *server = fixture->server;
  gint64           simit = product_id (fixture, "BAK-001");
  g_autofree char *unknown =
      g_strdup_printf ("{\"client_reference\": \"r1\", \"currency\": \"USD\", \"lines\": ["
                       "{\"product_id\": %" G_GINT64_FORMAT
                       ", \"quantity\": 1}, {\"product_id\": 424242, \"quantity\": 1}]}",
                       simit);
  g_autofree char *euro =
      g_strdup_printf ("{\"client_reference\": \"r2\", \"currency\": \"EUR\", \"lines\": ["
                       "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}",
                       simit);

  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "POST", "/api/v1/checkouts", server->cashier_token, unknown);
    assert_json_error (response, 422, "invalid_cart");
    g_assert_nonnull (strstr (error_message (response), "lines[1]"));
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "POST", "/api/v1/checkouts", server->cashier_token, euro);
    assert_json_error (response, 422, "invalid_cart");
    g_assert_nonnull (strstr (error_message (response), "currency"));
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/products/%" G_GINT64_FORMAT, simit);
    g_autofree char *inactive =
        g_strdup_printf ("{\"client_reference\": \"r3\", \"currency\": \"USD\", \"lines\": ["
                         "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 2}]}",
                         simit);
    g_autoptr (TillTestResponse) patch =
        till_test_request (server, "PATCH", path, server->admin_token, "{\"active\": false}");
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "POST", "/api/v1/checkouts", server->cashier_token, inactive);

    g_assert_cmpuint (patch->status, ==, 200);
    assert_json_error (response, 422, "invalid_cart");
    g_assert_nonnull (strstr (error_message (response), "lines[0]"));
  }
  {
    /* Below Stripe's minimum (USD 0.50): refused before any order is made. */
    gint64           bag = product_id (fixture, "HOU-003");
    g_autofree char *tiny =
        g_strdup_printf ("{\"client_reference\": \"r4\", \"currency\": \"USD\", \"lines\": ["
                         "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}",
                         bag);
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "POST", "/api/v1/checkouts", server->cashier_token, tiny);
    g_assert_cmpuint (response->status, ==, 422);
  }
  {
    g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/orders");
    g_assert_cmpuint (response->status, ==, 200);
    g_assert_cmpuint (
        json_array_get_length (json_object_get_array_member (response->json, "orders")), ==, 0);
  }
}

static void
test_checkout_stripe_down (Fixture *fixture, gconstpointer data)
{
  TillTestServer  *server = fixture->server;
  gint64           cay = product_id (fixture, "HOT-001");
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = g_strdup_printf (
      "{\"client_reference\": \"%s\", \"currency\": \"USD\", \"lines\": ["
      "{\"product_id\": %" G_GINT64_FORMAT ", \"quantity\": 3, \"unit_amount\": 1, \"total\": 1}],"
      " \"subtotal\": 3, \"tax\": 0, \"total\": 3}",
      reference, cay);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (TillTestResponse) response =
          till_test_request (server, "POST", "/api/v1/checkouts", server->cashier_token, body);
      assert_json_error (response, 503, "payment_provider_unavailable");
    }
  {
    /* One order, still waiting for its payment. */
    g_autoptr (TillTestResponse) response =
        api_get (fixture, "/api/v1/orders?status=pending_payment");
    JsonArray  *orders = json_object_get_array_member (response->json, "orders");
    JsonObject *order;

    g_assert_cmpuint (json_array_get_length (orders), ==, 1);
    order = json_array_get_object_element (orders, 0);
    g_assert_cmpint (json_object_get_int_member (order, "total"), ==, 3 * 150 + 86);
    g_assert_cmpint (json_object_get_int_member (order, "tax"), ==, 86);
  }
  {
    g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/orders?status=paid");
    g_assert_cmpuint (
        json_array_get_length (json_object_get_array_member (response->json, "orders")), ==, 0);
  }
  {
    g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/orders?status=lost");
    assert_json_error (response, 400, "invalid_request");
  }
  {
    g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/orders/99999");
    assert_json_error (response, 404, "not_found");
  }
  {
    g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/orders/abc");
    assert_json_error (response, 404, "not_found");
  }
}

static void
test_pay_page (Fixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestResponse) response =
      till_test_request (fixture->server, "GET", "/pay/", NULL, NULL);
  const char *csp;

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (response->headers, NULL),
                                   "text/html"));
  csp = soup_message_headers_get_one (response->headers, "Content-Security-Policy");
  g_assert_nonnull (csp);
  g_assert_nonnull (strstr (csp, "default-src 'none'"));
  g_assert_nonnull (strstr (csp, "frame-ancestors 'none'"));
  g_assert_nonnull (strstr (csp, "script-src 'self' http://127.0.0.1:9"));
  g_assert_null (strstr (csp, "unsafe-eval"));
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "X-Content-Type-Options"), ==,
                   "nosniff");
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Referrer-Policy"), ==,
                   "no-referrer");
  g_assert_nonnull (strstr (g_bytes_get_data (response->body, NULL), "payment-element"));
  /* Stripe.js from the configured address, and nothing left to fill in. */
  g_assert_nonnull (strstr (g_bytes_get_data (response->body, NULL),
                            "<script src=\"http://127.0.0.1:9/v3/\"></script>"));
  g_assert_null (strstr (g_bytes_get_data (response->body, NULL), "@STRIPE_JS_URL@"));
  {
    g_autoptr (TillTestResponse) js =
        till_test_request (fixture->server, "GET", "/pay/pay.js", NULL, NULL);
    g_assert_cmpuint (js->status, ==, 200);
    g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (js->headers, NULL),
                                     "text/javascript"));
  }

  {
    g_autoptr (TillTestResponse) css =
        till_test_request (fixture->server, "GET", "/pay/pay.css", NULL, NULL);
    g_assert_cmpuint (css->status, ==, 200);
    g_assert_true (
        g_str_has_prefix (soup_message_headers_get_content_type (css->headers, NULL), "text/css"));
  }
  {
    g_autoptr (TillTestResponse) missing =
        till_test_request (fixture->server, "GET", "/pay/../demo-catalog.csv", NULL, NULL);
    g_assert_cmpuint (missing->status, ==, 404);
  }
  {
    g_autoptr (TillTestResponse) missing =
        till_test_request (fixture->server, "GET", "/pay/nothing.js", NULL, NULL);
    g_assert_cmpuint (missing->status, ==, 404);
  }
}

static void
test_reports_empty (Fixture *fixture, gconstpointer data)
{
  {
    g_autoptr (TillTestResponse) response =
        api_get (fixture, "/api/v1/reports/daily?date=2026-02-30");
    assert_json_error (response, 400, "invalid_request");
  }
  {
    g_autoptr (TillTestResponse) response =
        api_get (fixture, "/api/v1/reports/daily?date=yesterday");
    assert_json_error (response, 400, "invalid_request");
  }
  {
    g_autoptr (TillTestResponse) response =
        api_get (fixture, "/api/v1/reports/daily?date=2026-01-15");
    g_assert_cmpuint (response->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (response->json, "date"), ==, "2026-01-15");
    g_assert_cmpint (json_object_get_int_member (response->json, "gross"), ==, 0);
    g_assert_cmpint (json_object_get_int_member (response->json, "count"), ==, 0);
    g_assert_cmpuint (
        json_array_get_length (json_object_get_array_member (response->json, "by_hour")), ==, 24);
  }
  {
    g_autoptr (TillTestResponse) response = till_test_request (
        fixture->server, "GET", "/api/v1/orders.csv", fixture->server->admin_token, NULL);
    g_assert_cmpuint (response->status, ==, 200);
    g_assert_true (g_str_has_prefix (g_bytes_get_data (response->body, NULL),
                                     "number,created_at,status,currency,"));
  }
}

static void
configure_rate (TillServerConfig *config, gpointer user_data)
{
  config->checkout_rate_per_minute = 3;
}

static void
test_rate_limit (void)
{
  g_autoptr (TillTestServer) server = till_test_server_new (NULL, configure_rate, NULL);
  static const char *body = "{\"client_reference\": \"rate\", \"currency\": \"USD\","
                            " \"lines\": [{\"product_id\": 999, \"quantity\": 1}]}";

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (TillTestResponse) response =
          till_test_request (server, "POST", "/api/v1/checkouts", server->cashier_token, body);
      g_assert_cmpuint (response->status, ==, 422);
    }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "POST", "/api/v1/checkouts", server->cashier_token, body);
    assert_json_error (response, 429, "rate_limited");
    g_assert_nonnull (soup_message_headers_get_one (response->headers, "Retry-After"));
  }
  {
    /* Per token: another terminal is not held back. */
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "POST", "/api/v1/checkouts", server->admin_token, body);
    g_assert_cmpuint (response->status, ==, 422);
  }
  {
    /* Other routes are not limited. */
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", "/api/v1/orders", server->cashier_token, NULL);
    g_assert_cmpuint (response->status, ==, 200);
  }
}

/* The status of GET @path with @token (or none) from @local_address, over a connection of
 * its own. */
static guint
get_from (TillTestServer *server, const char *local_address, const char *path, const char *token)
{
  g_autofree char *authorization =
      token != NULL ? g_strdup_printf ("Authorization: Bearer %s\r\n", token) : g_strdup ("");
  g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: test\r\n%s"
                                              "Connection: close\r\n\r\n",
                                              path, authorization);
  gboolean         closed;
  g_autofree char *answer = raw_exchange_from (server, local_address, request, &closed);
  guint            status = 0;

  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 "));
  status = (guint) g_ascii_strtoull (answer + 9, NULL, 10);
  return status;
}

static char *
read_log (void)
{
  g_autofree char *file = g_build_filename (till_test_log_dir (), "test-server-api.log", NULL);
  char            *text = NULL;

  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  return text;
}

/* Failed authentications are logged without their token and limited per peer address:
 * past 20 in a minute, every request of that address that needs a token gets 429 with
 * Retry-After until the minute ends, a valid token too; other addresses go on. */
static void
test_auth_throttle (Fixture *fixture, gconstpointer data)
{
  TillTestServer  *server = fixture->server;
  g_autofree char *guess =
      g_strdup_printf ("till_%s%s", "GuessGuessGuessGuessGuessGuess", "Guess0123456789abc");
  g_autofree char *log = NULL;

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr (TillTestResponse) response =
          till_test_request (server, "GET", "/api/v1/orders", i % 5 == 0 ? NULL : guess, NULL);

      assert_json_error (response, 401, "unauthorized");
    }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", "/api/v1/orders", guess, NULL);
    const char *retry_after;

    assert_json_error (response, 429, "rate_limited");
    retry_after = soup_message_headers_get_one (response->headers, "Retry-After");
    g_assert_nonnull (retry_after);
    g_assert_cmpint (g_ascii_strtoll (retry_after, NULL, 10), >=, 1);
    g_assert_cmpint (g_ascii_strtoll (retry_after, NULL, 10), <=, 60);
  }
  /* The same address with a valid token waits too: else guessing would not slow down. */
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", "/api/v1/orders", server->cashier_token, NULL);
    assert_json_error (response, 429, "rate_limited");
  }
  /* What needs no token is still answered; another address is not held back. */
  g_assert_cmpuint (get_from (server, "127.0.0.1", "/healthz", NULL), ==, 200);
  g_assert_cmpuint (get_from (server, "127.0.0.2", "/api/v1/orders", server->cashier_token), ==,
                    200);
  g_assert_cmpuint (get_from (server, "127.0.0.2", "/api/v1/orders", guess), ==, 401);

  /* Logged with the method, path, address and reason; never the token. */
  log = read_log ();
  g_assert_nonnull (strstr (log, "Authentication failed: GET /api/v1/orders from 127.0.0.1: "
                                 "unknown or revoked token"));
  g_assert_nonnull (strstr (log, "Authentication failed: GET /api/v1/orders from 127.0.0.1: "
                                 "no Authorization header"));
  g_assert_nonnull (strstr (log, "Authentication failed: GET /api/v1/orders from 127.0.0.2: "));
  g_assert_null (strstr (log, guess));
  g_assert_null (strstr (log, "GuessGuess"));

  /* The window ends: the address is served again. A short one here. */
  till_api_set_auth_throttle (server->api, 3, 300, 4);
  {
    gint64 window_end;

    for (guint i = 0; i < 3; i++)
      g_assert_cmpuint (get_from (server, "127.0.0.1", "/api/v1/orders", guess), ==, 401);
    g_assert_cmpuint (get_from (server, "127.0.0.1", "/api/v1/orders", guess), ==, 429);
    g_assert_cmpuint (get_from (server, "127.0.0.1", "/api/v1/orders", server->cashier_token), ==,
                      429);
    /* The window began at the first failure, before now. */
    window_end = g_get_monotonic_time () + 300 * 1000;
    g_assert_true (till_test_wait_until (till_test_time_passed, &window_end, 5000));
    g_assert_cmpuint (get_from (server, "127.0.0.1", "/api/v1/orders", server->cashier_token), ==,
                      200);
  }

  /* Memory is bounded: at most 4 addresses here (4096 by default), the oldest forgotten. */
  for (guint i = 2; i < 10; i++)
    {
      g_autofree char *address = g_strdup_printf ("127.0.0.%u", i);

      g_assert_cmpuint (get_from (server, address, "/api/v1/orders", guess), ==, 401);
      g_assert_cmpuint (till_api_get_auth_peers (server->api), <=, 4);
    }
  g_assert_cmpuint (till_api_get_auth_peers (server->api), ==, 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-api");

#define ADD(path, func) g_test_add (path, Fixture, &offline, fixture_setup, func, fixture_teardown)
  ADD ("/server/api/healthz", test_healthz);
  ADD ("/server/api/auth", test_auth);
  ADD ("/server/api/auth/throttle", test_auth_throttle);
  ADD ("/server/api/config", test_config);
  g_test_add_func ("/server/api/config-store-details", test_config_store_details);
  g_test_add_func ("/server/api/config-payment-method-types", test_config_payment_method_types);
  ADD ("/server/api/limits/body", test_limits_body);
  ADD ("/server/api/limits/framing", test_limits_framing);
  ADD ("/server/api/json/strict", test_strict_json);
  ADD ("/server/api/checkout/validation", test_checkout_validation);
  ADD ("/server/api/checkout/stripe-down", test_checkout_stripe_down);
  ADD ("/server/api/pay", test_pay_page);
  ADD ("/server/api/reports/empty", test_reports_empty);
#undef ADD
  g_test_add_func ("/server/api/limits/checkout-rate", test_rate_limit);

  return g_test_run ();
}
