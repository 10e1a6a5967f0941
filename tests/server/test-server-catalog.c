/* test-server-catalog.c: the catalog's routes over loopback: paging, search, barcodes,
 * creating, changing and removing products, ETags and categories.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-test-fixture.h"

/* No test here needs Stripe (a closed port). */
static const Setup offline = { .offline = TRUE };

static void
test_products_paging (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autofree char *cursor = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint pages = 0;

  do
    {
      g_autofree char *path = NULL;
      g_autoptr (TillTestResponse) response = NULL;
      JsonArray *products;
      JsonNode  *next;

      if (cursor != NULL)
        {
          g_autofree char *escaped = g_uri_escape_string (cursor, NULL, TRUE);
          path = g_strdup_printf ("/api/v1/products?limit=7&cursor=%s", escaped);
        }
      else
        path = g_strdup ("/api/v1/products?limit=7");
      response = api_get (fixture, path);
      g_assert_cmpuint (response->status, ==, 200);
      products = json_object_get_array_member (response->json, "products");
      g_assert_cmpuint (json_array_get_length (products), <=, 7);
      for (guint i = 0; i < json_array_get_length (products); i++)
        {
          JsonObject *product = json_array_get_object_element (products, i);
          gint64      id = json_object_get_int_member (product, "id");

          g_array_append_val (ids, id);
          g_assert_true (json_object_get_boolean_member (product, "active"));
          g_assert_cmpstr (json_object_get_string_member (product, "currency"), ==, "USD");
        }
      next = json_object_get_member (response->json, "next_cursor");
      g_clear_pointer (&cursor, g_free);
      if (!JSON_NODE_HOLDS_NULL (next))
        cursor = g_strdup (json_node_get_string (next));
      pages++;
    }
  while (cursor != NULL && pages < 100);

  g_assert_cmpuint (ids->len, ==, 60);
  g_assert_cmpuint (pages, ==, 9);
  for (guint i = 0; i < ids->len; i++)
    {
      g_assert_false (g_hash_table_contains (seen, &g_array_index (ids, gint64, i)));
      g_hash_table_add (seen, &g_array_index (ids, gint64, i));
    }

  {
    g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/products?cursor=garbage!");
    assert_json_error (response, 400, "invalid_request");
  }
  {
    g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/products?limit=0");
    assert_json_error (response, 400, "invalid_request");
  }
  {
    g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/products?category=Cakes");
    JsonArray *products = json_object_get_array_member (response->json, "products");

    g_assert_cmpuint (json_array_get_length (products), ==, 8);
  }
}

static guint
search_count (Fixture *fixture, const char *query, const char *expect_name)
{
  g_autofree char *escaped = g_uri_escape_string (query, NULL, TRUE);
  g_autofree char *path = g_strdup_printf ("/api/v1/products?q=%s", escaped);
  g_autoptr (TillTestResponse) response = api_get (fixture, path);
  JsonArray *products;
  gboolean   found = expect_name == NULL;

  g_assert_cmpuint (response->status, ==, 200);
  products = json_object_get_array_member (response->json, "products");
  for (guint i = 0; i < json_array_get_length (products); i++)
    if (g_strcmp0 (
            json_object_get_string_member (json_array_get_object_element (products, i), "name"),
            expect_name) == 0)
      found = TRUE;
  if (!found)
    g_test_message ("“%s” did not find “%s”", query, expect_name);
  g_assert_true (found);
  return json_array_get_length (products);
}

static void
test_products_search (Fixture *fixture, gconstpointer data)
{
  /* Turkish dotted and dotless i, in every case. */
  search_count (fixture, "ıstanbul", "İstanbul Simidi");
  search_count (fixture, "istanbul", "İstanbul Simidi");
  search_count (fixture, "ISTANBUL", "İstanbul Simidi");
  search_count (fixture, "İSTANBUL", "İstanbul Simidi");
  search_count (fixture, "sımıdı", "İstanbul Simidi");
  search_count (fixture, "cay", "Çay");
  search_count (fixture, "ÇAY", "Çay");
  search_count (fixture, "pogaca", "Poğaça");
  search_count (fixture, "salgam", "Şalgam Suyu");
  /* German umlauts and ß. */
  search_count (fixture, "brotchen", "Brötchen");
  search_count (fixture, "BRÖTCHEN", "Brötchen");
  search_count (fixture, "kasekuchen", "Käsekuchen");
  search_count (fixture, "heisse", "Heiße Schokolade");
  search_count (fixture, "Heiße", "Heiße Schokolade");
  /* By SKU and by barcode. */
  g_assert_cmpuint (search_count (fixture, "cak-001", "Käsekuchen"), ==, 1);
  g_assert_cmpuint (search_count (fixture, "nothing like this", NULL), ==, 0);
  /* LIKE wildcards are literal. */
  g_assert_cmpuint (search_count (fixture, "%", NULL), ==, 0);
  g_assert_cmpuint (search_count (fixture, "_", NULL), ==, 0);
}

static void
test_products_barcode (Fixture *fixture, gconstpointer data)
{
  {
    g_autoptr (TillTestResponse) response =
        api_get (fixture, "/api/v1/products/by-barcode/8691234000014");
    g_assert_cmpuint (response->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (response->json, "name"), ==, "İstanbul Simidi");
    g_assert_cmpint (json_object_get_int_member (response->json, "unit_amount"), ==, 90);
    g_assert_cmpint (json_object_get_int_member (response->json, "tax_rate"), ==, 700);
  }
  {
    /* Valid check digit, but nobody has it. */
    g_autoptr (TillTestResponse) response =
        api_get (fixture, "/api/v1/products/by-barcode/4006381333931");
    assert_json_error (response, 404, "not_found");
  }
  {
    g_autoptr (TillTestResponse) response =
        api_get (fixture, "/api/v1/products/by-barcode/8691234000015");
    assert_json_error (response, 404, "not_found");
  }
  {
    g_autoptr (TillTestResponse) response =
        api_get (fixture, "/api/v1/products/by-barcode/'%20OR%201=1");
    assert_json_error (response, 404, "not_found");
  }
}

static void
test_products_crud (Fixture *fixture, gconstpointer data)
{
  TillTestServer  *server = fixture->server;
  gint64           id;
  g_autofree char *path = NULL;

  {
    g_autoptr (TillTestResponse) response = till_test_request (
        server, "POST", "/api/v1/products", server->admin_token,
        "{\"sku\": \"NEW-1\", \"barcode\": \"4006381333931\", \"name\": \"Mercimek Çorbası\","
        " \"unit_amount\": 450, \"tax_rate\": 800, \"category\": \"Soups\"}");
    g_assert_cmpuint (response->status, ==, 201);
    id = json_object_get_int_member (response->json, "id");
    g_assert_cmpint (id, >, 60);
    g_assert_cmpstr (json_object_get_string_member (response->json, "currency"), ==, "USD");
  }
  search_count (fixture, "mercimek corbasi", "Mercimek Çorbası");

  {
    g_autoptr (TillTestResponse) response = till_test_request (
        server, "POST", "/api/v1/products", server->admin_token,
        "{\"sku\": \"NEW-1\", \"name\": \"Copy\", \"unit_amount\": 1, \"tax_rate\": 0}");
    assert_json_error (response, 409, "conflict");
    g_assert_nonnull (strstr (error_message (response), "sku"));
  }
  {
    g_autoptr (TillTestResponse) response = till_test_request (
        server, "POST", "/api/v1/products", server->admin_token,
        "{\"sku\": \"NEW-2\", \"barcode\": \"4006381333931\", \"name\": \"Copy\","
        " \"unit_amount\": 1, \"tax_rate\": 0}");
    assert_json_error (response, 409, "conflict");
    g_assert_nonnull (strstr (error_message (response), "barcode"));
  }
  {
    g_autoptr (TillTestResponse) response = till_test_request (
        server, "POST", "/api/v1/products", server->admin_token,
        "{\"sku\": \"NEW-3\", \"barcode\": \"4006381333932\", \"name\": \"Bad code\","
        " \"unit_amount\": 1, \"tax_rate\": 0}");
    g_assert_cmpuint (response->status, ==, 400);
    g_assert_nonnull (strstr (error_message (response), "barcode"));
  }
  {
    g_autoptr (TillTestResponse) response = till_test_request (
        server, "POST", "/api/v1/products", server->admin_token,
        "{\"name\": \"X\", \"unit_amount\": 1, \"tax_rate\": 0, \"colour\": \"red\"}");
    assert_json_error (response, 400, "unknown_field");
    g_assert_nonnull (strstr (error_message (response), "colour"));
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "POST", "/api/v1/products", server->admin_token,
                           "{\"name\": \"X\", \"unit_amount\": \"1.00\", \"tax_rate\": 0}");
    g_assert_cmpuint (response->status, ==, 400);
    g_assert_nonnull (strstr (error_message (response), "unit_amount"));
  }
  {
    g_autoptr (TillTestResponse) response = till_test_request (
        server, "POST", "/api/v1/products", server->admin_token,
        "{\"name\": \"X\", \"unit_amount\": 100, \"tax_rate\": 0, \"currency\": \"EUR\"}");
    g_assert_cmpuint (response->status, ==, 400);
    g_assert_nonnull (strstr (error_message (response), "currency"));
  }
  {
    /* The store's currency in any case, as the configuration and the CSV import take it. */
    g_autoptr (TillTestResponse) response = till_test_request (
        server, "POST", "/api/v1/products", server->admin_token,
        "{\"name\": \"Lower\", \"unit_amount\": 100, \"tax_rate\": 0, \"currency\": \"usd\"}");
    g_assert_cmpuint (response->status, ==, 201);
    g_assert_cmpstr (json_object_get_string_member (response->json, "currency"), ==, "USD");
  }

  path = g_strdup_printf ("/api/v1/products/%" G_GINT64_FORMAT, id);
  {
    g_autoptr (TillTestResponse) response = till_test_request (
        server, "PATCH", path, server->admin_token, "{\"unit_amount\": 500, \"category\": null}");
    g_assert_cmpuint (response->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (response->json, "unit_amount"), ==, 500);
    g_assert_true (json_object_get_null_member (response->json, "category"));
    g_assert_cmpstr (json_object_get_string_member (response->json, "name"), ==,
                     "Mercimek Çorbası");
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "PATCH", path, server->admin_token, "{\"active\": false}");
    g_assert_cmpuint (response->status, ==, 200);
  }
  {
    /* Cashiers do not see inactive products. */
    g_autoptr (TillTestResponse) response = api_get (fixture, path);
    assert_json_error (response, 404, "not_found");
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "DELETE", path, server->admin_token, NULL);
    g_assert_cmpuint (response->status, ==, 204);
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "GET", path, server->admin_token, NULL);
    assert_json_error (response, 404, "not_found");
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "PATCH", "/api/v1/products/999999", server->admin_token, "{}");
    assert_json_error (response, 404, "not_found");
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "PATCH", "/api/v1/products/-1", server->admin_token, "{}");
    assert_json_error (response, 404, "not_found");
  }
}

static void
test_products_etag (Fixture *fixture, gconstpointer data)
{
  TillTestServer  *server = fixture->server;
  g_autofree char *etag = NULL;
  g_autofree char *url = g_strconcat (server->base, "/api/v1/products", NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", server->cashier_token, NULL);
  gint64           id = product_id (fixture, "BAK-002");
  g_autofree char *path = g_strdup_printf ("/api/v1/products/%" G_GINT64_FORMAT, id);

  {
    g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/products");
    g_assert_cmpuint (response->status, ==, 200);
    etag = g_strdup (soup_message_headers_get_one (response->headers, "ETag"));
    g_assert_nonnull (etag);
  }
  {
    const char *headers[] = { "Authorization", authorization, "If-None-Match", etag, NULL };
    g_autoptr (TillTestResponse) response =
        till_test_request_full (server->session, "GET", url, headers, NULL, NULL, 0);
    g_assert_cmpuint (response->status, ==, 304);
    g_assert_cmpuint (g_bytes_get_size (response->body), ==, 0);
  }
  {
    g_autoptr (TillTestResponse) response =
        till_test_request (server, "PATCH", path, server->admin_token, "{\"unit_amount\": 55}");
    g_assert_cmpuint (response->status, ==, 200);
  }
  {
    const char *headers[] = { "Authorization", authorization, "If-None-Match", etag, NULL };
    g_autoptr (TillTestResponse) response =
        till_test_request_full (server->session, "GET", url, headers, NULL, NULL, 0);
    g_assert_cmpuint (response->status, ==, 200);
    g_assert_cmpstr (soup_message_headers_get_one (response->headers, "ETag"), !=, etag);
  }
}

static void
test_categories (Fixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestResponse) response = api_get (fixture, "/api/v1/categories");
  JsonArray *categories;

  g_assert_cmpuint (response->status, ==, 200);
  categories = json_object_get_array_member (response->json, "categories");
  g_assert_cmpuint (json_array_get_length (categories), ==, 8);
  g_assert_cmpstr (json_array_get_string_element (categories, 0), ==, "Bakery");
}

/* Sends raw bytes and reads the answer's status line: proves the server answers before it
 * has the body. */

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-catalog");

#define ADD(path, func) g_test_add (path, Fixture, &offline, fixture_setup, func, fixture_teardown)
  ADD ("/server/api/products/paging", test_products_paging);
  ADD ("/server/api/products/search", test_products_search);
  ADD ("/server/api/products/barcode", test_products_barcode);
  ADD ("/server/api/products/crud", test_products_crud);
  ADD ("/server/api/products/etag", test_products_etag);
  ADD ("/server/api/categories", test_categories);
#undef ADD

  return g_test_run ();
}
