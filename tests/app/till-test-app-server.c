/* till-test-app-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "till-test-app-server.h"

#define PAGE_SIZE 2

typedef struct
{
  gint64 id;
  char  *name;
  char  *barcode;
  gint64 unit_amount;
  int    tax_rate;
  char  *category;
} Product;

struct _TillTestAppServer
{
  GThread         *thread;
  GMainContext    *context;
  GMainLoop       *loop;
  SoupServer      *soup;
  char            *url;
  guint            port;
  gboolean         training;
  GTlsCertificate *certificate;
  guint            n_authorized;

  GMutex      lock;
  GCond       ready;
  gboolean    started;
  GPtrArray  *products; /* Product* */
  GHashTable *orders;   /* client_reference → JSON text of the response */
  guint       n_orders;
  guint       n_checkout_requests;
  guint       n_sync_requests;
  guint       n_product_requests;
  guint       n_not_modified;
  guint       delay_count;
  guint       delay_ms;
  guint       disk_full_count; /* checkouts answered 507 storage_full, storing nothing */
  guint       sync_fail_count; /* syncs answered 503 payment_provider_unavailable */
  guint       version;         /* bumped on every catalog change: the ETag */
  gboolean    hold_days;       /* GET /api/v1/reports/days waits for the release */
  GPtrArray  *held_days;       /* SoupServerMessage, paused */
};

static void
product_free (Product *product)
{
  g_free (product->name);
  g_free (product->barcode);
  g_free (product->category);
  g_free (product);
}

static void
send_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  g_autofree char *text = till_json_to_string (node, FALSE);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
send_error (SoupServerMessage *msg, guint status, const char *code, const char *message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  send_json (msg, status, node);
}

static gboolean
check_auth (TillTestAppServer *server, SoupServerMessage *msg)
{
  const char *auth =
      soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");

  if (auth != NULL)
    {
      g_mutex_lock (&server->lock);
      server->n_authorized++;
      g_mutex_unlock (&server->lock);
    }

  if (g_strcmp0 (auth, "Bearer " TILL_TEST_APP_TOKEN) != 0)
    {
      send_error (msg, 401, "unauthorized", "Unknown terminal token");
      return FALSE;
    }
  return TRUE;
}

static void
add_product_json (JsonBuilder *builder, Product *product)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, product->id);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, product->name);
  json_builder_set_member_name (builder, "sku");
  {
    g_autofree char *sku = g_strdup_printf ("SKU-%" G_GINT64_FORMAT, product->id);
    json_builder_add_string_value (builder, sku);
  }
  json_builder_set_member_name (builder, "barcode");
  json_builder_add_string_value (builder, product->barcode);
  json_builder_set_member_name (builder, "unit_amount");
  json_builder_add_int_value (builder, product->unit_amount);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, "USD");
  json_builder_set_member_name (builder, "tax_rate");
  json_builder_add_int_value (builder, product->tax_rate);
  json_builder_set_member_name (builder, "category");
  json_builder_add_string_value (builder, product->category);
  json_builder_set_member_name (builder, "active");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
}

static void
handle_healthz (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    "{\"status\":\"ok\"}", 15);
}

static void
handle_config (SoupServer        *soup,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  TillTestAppServer *server = user_data;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  if (!check_auth (server, msg))
    return;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "store_name");
  json_builder_add_string_value (builder, "Corner Shop");
  json_builder_set_member_name (builder, "store_address");
  json_builder_add_string_value (builder, "1 Market Street\nSpringfield");
  json_builder_set_member_name (builder, "store_tax_id");
  json_builder_add_string_value (builder, "US-12-3456789");
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, "USD");
  json_builder_set_member_name (builder, "tax_mode");
  json_builder_add_string_value (builder, "exclusive");
  json_builder_set_member_name (builder, "mode");
  json_builder_add_string_value (builder, server->training ? "training" : "test");
  json_builder_set_member_name (builder, "publishable_key");
  json_builder_add_string_value (builder, "pk_test_123");
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  send_json (msg, 200, node);
}

static void
handle_products (SoupServer        *soup,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  TillTestAppServer *server = user_data;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *etag = NULL;
  const char      *if_none_match, *cursor;
  guint            start = 0, end;

  if (!check_auth (server, msg))
    return;

  g_mutex_lock (&server->lock);
  server->n_product_requests++;
  etag = g_strdup_printf ("\"catalog-%u\"", server->version);

  if (g_str_has_prefix (path, "/api/v1/products/by-barcode/"))
    {
      const char *code = path + strlen ("/api/v1/products/by-barcode/");

      for (guint i = 0; i < server->products->len; i++)
        {
          Product *product = g_ptr_array_index (server->products, i);
          if (g_strcmp0 (product->barcode, code) == 0)
            {
              add_product_json (builder, product);
              node = json_builder_get_root (builder);
              g_mutex_unlock (&server->lock);
              send_json (msg, 200, node);
              return;
            }
        }
      g_mutex_unlock (&server->lock);
      send_error (msg, 404, "not_found", "No product with this barcode");
      return;
    }

  if_none_match =
      soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "If-None-Match");
  cursor = query ? g_hash_table_lookup (query, "cursor") : NULL;
  if (cursor == NULL && g_strcmp0 (if_none_match, etag) == 0)
    {
      server->n_not_modified++;
      g_mutex_unlock (&server->lock);
      soup_server_message_set_status (msg, 304, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
      return;
    }
  if (cursor != NULL)
    start = (guint) g_ascii_strtoull (cursor, NULL, 10);
  end = MIN (start + PAGE_SIZE, server->products->len);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "products");
  json_builder_begin_array (builder);
  for (guint i = start; i < end; i++)
    add_product_json (builder, g_ptr_array_index (server->products, i));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "next_cursor");
  if (end < server->products->len)
    {
      g_autofree char *next = g_strdup_printf ("%u", end);
      json_builder_add_string_value (builder, next);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  g_mutex_unlock (&server->lock);

  node = json_builder_get_root (builder);
  send_json (msg, 200, node);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
}

static gboolean
unpause_message (gpointer user_data)
{
  soup_server_message_unpause (SOUP_SERVER_MESSAGE (user_data));
  return G_SOURCE_REMOVE;
}

static void
handle_checkouts (SoupServer        *soup,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  TillTestAppServer *server = user_data;
  SoupMessageBody   *body = soup_server_message_get_request_body (msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (TillCart) cart = NULL;
  g_autoptr (TillOrder) order = NULL;
  g_autofree TillLineTotals *line_totals = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;
  TillTotals       totals;
  const char      *stored;

  if (!check_auth (server, msg))
    return;
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      send_error (msg, 405, "method_not_allowed", "POST only");
      return;
    }
  object = till_json_parse_object (body->data, body->length, &error);
  if (object != NULL)
    cart = till_cart_from_checkout_json (object, &error);
  if (cart == NULL)
    {
      send_error (msg, 400, "invalid_request", error->message);
      return;
    }

  g_mutex_lock (&server->lock);
  server->n_checkout_requests++;
  if (server->disk_full_count > 0)
    {
      server->disk_full_count--;
      g_mutex_unlock (&server->lock);
      send_error (msg, 507, "storage_full", "The server’s disk is full: nothing was stored.");
      return;
    }
  stored = g_hash_table_lookup (server->orders, cart->client_reference);
  if (stored == NULL)
    {
      /* Price the cart from our own catalog, as till-server does. */
      for (guint i = 0; i < cart->lines->len; i++)
        {
          TillCartLine *line = g_ptr_array_index (cart->lines, i);
          Product      *product = NULL;

          for (guint j = 0; j < server->products->len && product == NULL; j++)
            if (((Product *) g_ptr_array_index (server->products, j))->id == line->product_id)
              product = g_ptr_array_index (server->products, j);
          if (product == NULL)
            {
              g_mutex_unlock (&server->lock);
              send_error (msg, 400, "unknown_product", "No such product");
              return;
            }
          g_free (line->name);
          line->name = g_strdup (product->name);
          line->unit_amount = product->unit_amount;
          line->tax_rate = product->tax_rate;
        }
      if (!till_cart_compute_totals (cart, &line_totals, &totals, &error))
        {
          g_mutex_unlock (&server->lock);
          send_error (msg, 400, "invalid_cart", error->message);
          return;
        }

      order = till_order_new ();
      order->id = ++server->n_orders;
      order->number = g_strdup_printf ("T-%06" G_GINT64_FORMAT, order->id);
      order->status = TILL_ORDER_PENDING_PAYMENT;
      order->currency = g_strdup (cart->currency);
      order->client_reference = g_strdup (cart->client_reference);
      for (guint i = 0; i < cart->lines->len; i++)
        {
          TillCartLine  *line = g_ptr_array_index (cart->lines, i);
          TillOrderLine *order_line = till_order_line_new ();

          order_line->product_id = line->product_id;
          order_line->name = g_strdup (line->name);
          order_line->quantity = line->quantity;
          order_line->unit_amount = line->unit_amount;
          order_line->tax_rate = line->tax_rate;
          order_line->discount = line_totals[i].discount;
          order_line->tax = line_totals[i].tax;
          order_line->total = line_totals[i].total;
          g_ptr_array_add (order->lines, order_line);
        }
      order->subtotal = totals.subtotal;
      order->discount = totals.discount;
      order->tax = totals.tax;
      order->rounding = totals.rounding;
      order->total = totals.total;
      order->payment_intent = g_strdup_printf ("pi_test_%" G_GINT64_FORMAT, order->id);
      order->payment_status = g_strdup ("requires_payment_method");
      order->created_at = g_date_time_new_now_utc ();

      builder = json_builder_new ();
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "order");
      json_builder_add_value (builder, till_order_to_json (order));
      json_builder_set_member_name (builder, "payment");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "payment_intent");
      json_builder_add_string_value (builder, order->payment_intent);
      json_builder_set_member_name (builder, "client_secret");
      {
        g_autofree char *secret = g_strdup_printf ("%s_secret_test", order->payment_intent);
        json_builder_add_string_value (builder, secret);
      }
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      g_hash_table_insert (server->orders, g_strdup (cart->client_reference),
                           till_json_to_string (node, FALSE));
      stored = g_hash_table_lookup (server->orders, cart->client_reference);
    }
  text = g_strdup (stored);
  soup_server_message_set_status (msg, 201, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));

  if (server->delay_count > 0)
    {
      GSource *source = g_timeout_source_new (server->delay_ms);

      server->delay_count--;
      soup_server_message_pause (msg);
      g_source_set_callback (source, unpause_message, g_object_ref (msg), g_object_unref);
      g_source_attach (source, server->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&server->lock);
}

/* POST /api/v1/orders/{id}/sync: the order as stored (nobody pays here, so it stays
 * pending_payment). */
static void
handle_orders (SoupServer        *soup,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  TillTestAppServer *server = user_data;
  g_auto (GStrv) parts = g_strsplit (path + strlen ("/api/v1/orders/"), "/", -1);
  GHashTableIter   iter;
  const char      *text;
  g_autofree char *found = NULL;
  gint64           id;

  if (!check_auth (server, msg))
    return;
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST || g_strv_length (parts) != 2 ||
      !g_str_equal (parts[1], "sync"))
    {
      send_error (msg, 404, "not_found", "No such endpoint");
      return;
    }
  id = g_ascii_strtoll (parts[0], NULL, 10);
  g_mutex_lock (&server->lock);
  server->n_sync_requests++;
  if (server->sync_fail_count > 0)
    {
      server->sync_fail_count--;
      g_mutex_unlock (&server->lock);
      send_error (msg, 503, "payment_provider_unavailable",
                  "The payment provider did not answer (Connection refused)");
      return;
    }
  g_hash_table_iter_init (&iter, server->orders);
  while (found == NULL && g_hash_table_iter_next (&iter, NULL, (gpointer *) &text))
    {
      g_autoptr (JsonObject) response = till_json_parse_object (text, strlen (text), NULL);
      JsonObject *order = json_object_get_object_member (response, "order");

      if (json_object_get_int_member (order, "id") == id)
        {
          g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), order);
          found = till_json_to_string (node, FALSE);
        }
    }
  g_mutex_unlock (&server->lock);
  if (found == NULL)
    {
      send_error (msg, 404, "not_found", "No such order");
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, found,
                                    strlen (found));
}

/* GET /api/v1/reports/daily: one day of two sales of €6.17 at 10:00, paid by Visa, 7 % tax. */
static void
handle_report_daily (SoupServer        *soup,
                     SoupServerMessage *msg,
                     const char        *path,
                     GHashTable        *query,
                     gpointer           user_data)
{
  static const char report[] =
      "{\"date\":\"2026-12-06\",\"currency\":\"EUR\",\"gross\":1234,\"refunds\":0,"
      "\"net\":1234,\"count\":2,\"average\":617,\"by_status\":{},"
      "\"by_method\":[{\"method\":\"card\",\"brand\":\"visa\",\"count\":2,"
      "\"gross\":1234,\"refunds\":0,\"net\":1234}],"
      "\"by_tax_rate\":[{\"tax_rate\":700,\"net\":1153,\"tax\":81}],"
      "\"by_hour\":[{\"hour\":10,\"count\":2,\"gross\":1234}]}";

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, report,
                                    strlen (report));
}

/* GET /api/v1/reports/days: the last 7 days, that day's sales only; held while asked to. */
static void
handle_report_days (SoupServer        *soup,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  TillTestAppServer *server = user_data;
  static const char  days[] =
      "{\"currency\":\"EUR\",\"days\":[{\"date\":\"2026-11-30\",\"net\":0},"
      "{\"date\":\"2026-12-01\",\"net\":0},{\"date\":\"2026-12-02\",\"net\":0},"
      "{\"date\":\"2026-12-03\",\"net\":0},{\"date\":\"2026-12-04\",\"net\":0},"
      "{\"date\":\"2026-12-05\",\"net\":0},{\"date\":\"2026-12-06\",\"net\":1234}]}";

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, days,
                                    strlen (days));
  g_mutex_lock (&server->lock);
  if (server->hold_days)
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (server->held_days, g_object_ref (msg));
    }
  g_mutex_unlock (&server->lock);
}

static gboolean
release_days (gpointer user_data)
{
  TillTestAppServer *server = user_data;
  g_autoptr (GPtrArray) held = NULL;

  g_mutex_lock (&server->lock);
  server->hold_days = FALSE;
  held = g_steal_pointer (&server->held_days);
  server->held_days = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&server->lock);
  for (guint i = 0; i < held->len; i++)
    soup_server_message_unpause (held->pdata[i]);
  return G_SOURCE_REMOVE;
}

static gpointer
server_thread (gpointer user_data)
{
  TillTestAppServer *server = user_data;
  g_autoptr (GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (server->context);

  server->soup = soup_server_new ("server-header", "till-test-server", "tls-certificate",
                                  server->certificate, NULL);
  soup_server_add_handler (server->soup, "/healthz", handle_healthz, server, NULL);
  soup_server_add_handler (server->soup, "/api/v1/config", handle_config, server, NULL);
  soup_server_add_handler (server->soup, "/api/v1/products", handle_products, server, NULL);
  soup_server_add_handler (server->soup, "/api/v1/checkouts", handle_checkouts, server, NULL);
  soup_server_add_handler (server->soup, "/api/v1/orders/", handle_orders, server, NULL);
  soup_server_add_handler (server->soup, "/api/v1/reports/daily", handle_report_daily, server,
                           NULL);
  soup_server_add_handler (server->soup, "/api/v1/reports/days", handle_report_days, server, NULL);
  if (!soup_server_listen_local (server->soup, server->port,
                                 SOUP_SERVER_LISTEN_IPV4_ONLY |
                                     (server->certificate ? SOUP_SERVER_LISTEN_HTTPS : 0),
                                 &error))
    g_error ("Test server cannot listen: %s", error->message);
  uris = soup_server_get_uris (server->soup);
  server->port = g_uri_get_port (uris->data);
  server->url =
      g_strdup_printf ("%s://127.0.0.1:%u", server->certificate ? "https" : "http", server->port);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_mutex_lock (&server->lock);
  server->started = TRUE;
  g_cond_signal (&server->ready);
  g_mutex_unlock (&server->lock);

  g_main_loop_run (server->loop);

  soup_server_disconnect (server->soup);
  g_clear_object (&server->soup);
  /* Let pending sources (delayed answers) go. */
  while (g_main_context_iteration (server->context, FALSE))
    ;
  g_main_context_pop_thread_default (server->context);
  return NULL;
}

static TillTestAppServer *
server_new (gboolean training, guint port, GTlsCertificate *certificate)
{
  TillTestAppServer *server = g_new0 (TillTestAppServer, 1);

  server->certificate = certificate ? g_object_ref (certificate) : NULL;
  server->training = training;
  server->port = port;
  server->context = g_main_context_new ();
  server->loop = g_main_loop_new (server->context, FALSE);
  server->products = g_ptr_array_new_with_free_func ((GDestroyNotify) product_free);
  server->orders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  server->held_days = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_init (&server->lock);
  g_cond_init (&server->ready);

  server->thread = g_thread_new ("till-test-app-server", server_thread, server);
  g_mutex_lock (&server->lock);
  while (!server->started)
    g_cond_wait (&server->ready, &server->lock);
  g_mutex_unlock (&server->lock);
  return server;
}

TillTestAppServer *
till_test_app_server_new (gboolean training, guint port)
{
  return server_new (training, port, NULL);
}

TillTestAppServer *
till_test_app_server_new_tls (GTlsCertificate *certificate)
{
  return server_new (TRUE, 0, certificate);
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

void
till_test_app_server_free (TillTestAppServer *server)
{
  g_main_context_invoke (server->context, quit_loop, server->loop);
  g_thread_join (server->thread);
  g_main_loop_unref (server->loop);
  g_main_context_unref (server->context);
  g_ptr_array_unref (server->products);
  g_hash_table_unref (server->orders);
  g_ptr_array_unref (server->held_days);
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->ready);
  g_free (server->url);
  g_clear_object (&server->certificate);
  g_free (server);
}

const char *
till_test_app_server_get_url (TillTestAppServer *server)
{
  return server->url;
}

guint
till_test_app_server_get_port (TillTestAppServer *server)
{
  return server->port;
}

void
till_test_app_server_add_product (TillTestAppServer *server,
                                  gint64             id,
                                  const char        *name,
                                  const char        *barcode,
                                  gint64             unit_amount,
                                  int                tax_rate,
                                  const char        *category)
{
  Product *product = g_new0 (Product, 1);

  product->id = id;
  product->name = g_strdup (name);
  product->barcode = g_strdup (barcode);
  product->unit_amount = unit_amount;
  product->tax_rate = tax_rate;
  product->category = g_strdup (category);
  g_mutex_lock (&server->lock);
  g_ptr_array_add (server->products, product);
  server->version++;
  g_mutex_unlock (&server->lock);
}

void
till_test_app_server_set_price (TillTestAppServer *server, gint64 id, gint64 unit_amount)
{
  g_mutex_lock (&server->lock);
  for (guint i = 0; i < server->products->len; i++)
    {
      Product *product = g_ptr_array_index (server->products, i);
      if (product->id == id)
        product->unit_amount = unit_amount;
    }
  server->version++;
  g_mutex_unlock (&server->lock);
}

void
till_test_app_server_fail_checkouts_disk_full (TillTestAppServer *server, guint count)
{
  g_mutex_lock (&server->lock);
  server->disk_full_count = count;
  g_mutex_unlock (&server->lock);
}

void
till_test_app_server_fail_syncs (TillTestAppServer *server, guint count)
{
  g_mutex_lock (&server->lock);
  server->sync_fail_count = count;
  g_mutex_unlock (&server->lock);
}

void
till_test_app_server_delay_checkouts (TillTestAppServer *server, guint count, guint ms)
{
  g_mutex_lock (&server->lock);
  server->delay_count = count;
  server->delay_ms = ms;
  g_mutex_unlock (&server->lock);
}

#define GETTER(name, field)                                                                        \
  guint till_test_app_server_get_##name (TillTestAppServer *server)                                \
  {                                                                                                \
    guint value;                                                                                   \
    g_mutex_lock (&server->lock);                                                                  \
    value = server->field;                                                                         \
    g_mutex_unlock (&server->lock);                                                                \
    return value;                                                                                  \
  }

GETTER (n_orders, n_orders)
GETTER (n_checkout_requests, n_checkout_requests)
GETTER (n_sync_requests, n_sync_requests)
GETTER (n_product_requests, n_product_requests)
GETTER (n_not_modified, n_not_modified)
GETTER (n_authorized, n_authorized)

/* Holds the answers to GET /api/v1/reports/days until till_test_app_server_release_days(). */
void
till_test_app_server_hold_days (TillTestAppServer *server)
{
  g_mutex_lock (&server->lock);
  server->hold_days = TRUE;
  g_mutex_unlock (&server->lock);
}

void
till_test_app_server_release_days (TillTestAppServer *server)
{
  g_main_context_invoke (server->context, release_days, server);
}
