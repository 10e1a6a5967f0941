/* test-server-receipts.c: the public receipt pages (GET /r/{token}) and the orders'
 * receipt_url.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-test-fixture.h"

#define PUBLIC_URL "https://shop.example"

static const Setup with_public_url = {
  .public_url = PUBLIC_URL "/",
  .store_address = "Bağdat Caddesi 1\nKadıköy İstanbul",
};

/* The token at the end of @order's receipt_url, checked to be 128 bits in base64url. */
static char *
token_of (JsonObject *order)
{
  const char        *url = json_object_get_string_member_with_default (order, "receipt_url", NULL);
  const char        *token;
  gsize              length = 0;
  g_autofree char   *padded = NULL;
  g_autofree guchar *raw = NULL;

  g_assert_nonnull (url);
  g_assert_true (g_str_has_prefix (url, PUBLIC_URL "/r/"));
  token = url + strlen (PUBLIC_URL "/r/");
  g_assert_cmpuint (strlen (token), ==, 22);
  g_assert_cmpuint (strspn (token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-_"),
                    ==, 22);
  padded = g_strconcat (token, "==", NULL);
  g_strdelimit (padded, "-", '+');
  g_strdelimit (padded, "_", '/');
  raw = g_base64_decode (padded, &length);
  g_assert_cmpuint (length, ==, 16);
  return g_strdup (token);
}

static TillTestResponse *
get_page (Fixture *fixture, const char *token)
{
  g_autofree char *path = g_strconcat ("/r/", token, NULL);

  /* No terminal token: the page's own is enough. */
  return till_test_request (fixture->server, "GET", path, NULL, NULL);
}

static const char *
body_of (TillTestResponse *response)
{
  return g_bytes_get_data (response->body, NULL);
}

/* An order's page shows its receipt: the store, the lines (Turkish letters and all), tax
 * per rate, totals, the card's brand and last 4, refunds; and nothing secret. */
static void
test_page (Fixture *fixture, gconstpointer data)
{
  g_autofree char *intent = NULL;
  gint64           order_id = paid_order (fixture, &intent);
  g_autoptr (TillTestResponse) order = get_order (fixture, order_id);
  g_autofree char *token = token_of (order->json);
  g_autoptr (TillTestResponse) refunded = refund (
      fixture, order_id, "r-page", "{\"amount\": 100, \"reason\": \"requested_by_customer\"}");
  g_autoptr (TillTestResponse) page = NULL;
  const char *html;

  g_assert_cmpuint (order->status, ==, 200);
  g_assert_cmpuint (refunded->status, ==, 201);
  page = get_page (fixture, token);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (page->headers, NULL), ==, "text/html");
  g_assert_true (
      g_str_has_prefix (soup_message_headers_get_one (page->headers, "Content-Security-Policy"),
                        "default-src 'none'"));
  g_assert_cmpstr (soup_message_headers_get_one (page->headers, "Referrer-Policy"), ==,
                   "no-referrer");
  g_assert_cmpstr (soup_message_headers_get_one (page->headers, "Cache-Control"), ==, "no-store");
  html = body_of (page);
  g_assert_true (g_utf8_validate (html, g_bytes_get_size (page->body), NULL));
  g_test_message ("%s", html);
  g_assert_nonnull (strstr (html, "Test Shop"));
  g_assert_nonnull (strstr (html, "Bağdat Caddesi 1"));
  g_assert_nonnull (strstr (html, "Kadıköy İstanbul"));
  g_assert_nonnull (strstr (html, "İstanbul Simidi"));
  g_assert_nonnull (strstr (html, "Käsekuchen"));
  g_assert_nonnull (strstr (html, "Çay"));
  g_assert_nonnull (strstr (html, "7 %"));
  g_assert_nonnull (strstr (html, "19 %"));
  g_assert_nonnull (strstr (html, "TOTAL"));
  g_assert_nonnull (strstr (html, "Refunded"));
  g_assert_nonnull (strstr (html, "•••• 4242"));
  g_assert_nonnull (strstr (html, json_object_get_string_member (order->json, "number")));
  g_assert_null (strstr (html, "TRAINING"));
  /* Nothing but what the paper shows. */
  g_assert_null (strstr (html, intent));
  g_assert_null (strstr (html, "_secret_"));
  g_assert_null (strstr (html, "424242"));
  g_assert_null (strstr (html, "<script"));
}

/* Every order has its own token (token_of () checks each is 128 bits). */
static void
test_unique (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *reference = till_test_new_reference ();
      g_autofree char *body = cart_body (fixture, reference);
      g_autoptr (TillTestResponse) created = checkout (fixture, body);
      JsonObject *order = order_of (created);
      g_autoptr (TillTestResponse) again =
          get_order (fixture, json_object_get_int_member (order, "id"));
      char            *token = token_of (order);
      g_autofree char *token_again = token_of (again->json);

      /* The checkout's answer and the order agree. */
      g_assert_cmpstr (token, ==, token_again);
      g_assert_false (g_hash_table_contains (seen, token));
      g_hash_table_add (seen, token);
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 8);
}

/* Unknown, malformed or altered tokens find nothing, and say so in JSON as every 404. */
static void
test_unknown (Fixture *fixture, gconstpointer data)
{
  gint64 order_id = paid_order (fixture, NULL);
  g_autoptr (TillTestResponse) order = get_order (fixture, order_id);
  g_autofree char *token = token_of (order->json);
  g_autofree char *altered = g_strdup (token);
  g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, order_id);
  const char      *unknown[] = { "AAAAAAAAAAAAAAAAAAAAAA", "short", "", altered, id_text };

  altered[0] = altered[0] == 'A' ? 'B' : 'A';
  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      g_autoptr (TillTestResponse) page = get_page (fixture, unknown[i]);

      assert_json_error (page, 404, "not_found");
    }
  {
    g_autofree char *path = g_strconcat ("/r/", token, NULL);
    g_autoptr (TillTestResponse) post =
        till_test_request (fixture->server, "POST", path, NULL, "{}");

    g_autofree char *log_path =
        g_build_filename (till_test_log_dir (), "test-server-receipts.log", NULL);
    g_autofree char *log = NULL;

    g_assert_cmpuint (post->status, ==, 405);
    /* The refusal is logged, without the token, which would let a log's reader see the
     * receipt. */
    g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
    g_assert_nonnull (strstr (log, "POST /r/...: 405"));
    g_assert_null (strstr (log, token));
  }
}

/* Without [server] public-url, orders have no receipt_url. */
static void
test_no_public_url (Fixture *fixture, gconstpointer data)
{
  gint64 order_id = paid_order (fixture, NULL);
  g_autoptr (TillTestResponse) order = get_order (fixture, order_id);

  g_assert_cmpuint (order->status, ==, 200);
  g_assert_false (json_object_has_member (order->json, "receipt_url"));
}

/* [server] public-url: https, or http only on this machine; nothing but an origin. */
static void
test_config (void)
{
  const char *accepted[] = { "https://shop.example", "https://shop.example:8443/",
                             "http://127.0.0.1:8787", "http://localhost:8787" };
  const char *refused[] = { "http://shop.example",
                            "shop.example",
                            "ftp://shop.example",
                            "https://shop.example/till",
                            "https://shop.example/?a=b",
                            "https://user@shop.example",
                            "https://",
                            "https://dükkan.example" };

  for (guint i = 0; i < G_N_ELEMENTS (accepted) + G_N_ELEMENTS (refused); i++)
    {
      gboolean    good = i < G_N_ELEMENTS (accepted);
      const char *url = good ? accepted[i] : refused[i - G_N_ELEMENTS (accepted)];
      g_autoptr (TillServerConfig) config = till_server_config_new ();
      g_autoptr (GError) error = NULL;

      config->secret_key = g_strdup ("sk_test_till_server_tests_0123456789");
      config->public_url = g_strdup (url);
      g_assert_cmpint (till_server_config_validate (config, &error), ==, good);
      if (good)
        {
          g_assert_no_error (error);
          g_assert_false (g_str_has_suffix (config->public_url, "/"));
        }
      else
        {
          g_assert_nonnull (error);
          g_assert_nonnull (strstr (error->message, "public-url"));
        }
    }
  {
    g_autoptr (TillServerConfig) config = till_server_config_new ();
    g_autoptr (GError) error = NULL;

    /* Training may use a plain-http address on the shop's network. */
    config->training = TRUE;
    config->public_url = g_strdup ("http://192.168.1.20:8787");
    g_assert_true (till_server_config_validate (config, &error));
    g_assert_no_error (error);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-receipts");

#define ADD(path, setup, func)                                                                     \
  g_test_add (path, Fixture, setup, fixture_setup, func, fixture_teardown)
  ADD ("/server/receipts/page", &with_public_url, test_page);
  ADD ("/server/receipts/unique", &with_public_url, test_unique);
  ADD ("/server/receipts/unknown", &with_public_url, test_unknown);
  ADD ("/server/receipts/no-public-url", NULL, test_no_public_url);
#undef ADD
  g_test_add_func ("/server/receipts/config", test_config);

  return g_test_run ();
}
