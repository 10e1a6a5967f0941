/* till-api-catalog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The catalog's routes: products (list, one, create, change, delete), by barcode, categories.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-api-private.h"
#include "till-products.h"
#include "till-core.h"
#include "till-search.h"
#include "till-server-error.h"

typedef struct
{
  char    *q;
  char    *category;
  gboolean include_inactive;
  gint64   after;
  guint    limit;
} ProductsQuery;

static void
products_query_free (ProductsQuery *query)
{
  g_free (query->q);
  g_free (query->category);
  g_free (query);
}

static TillApiPage *
read_products_page (TillDatabase *db, gpointer args, GError **error)
{
  ProductsQuery *query = args;
  g_autoptr (TillApiPage) page = g_new0 (TillApiPage, 1);

  page->items = till_products_list (db, query->q, query->category, query->include_inactive,
                                    query->after, query->limit, &page->next, error);
  return page->items != NULL ? g_steal_pointer (&page) : NULL;
}

static void
send_products_page (SoupServerMessage *msg, TillApiPage *page, gpointer args)
{
  GPtrArray *products = page->items;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *body = NULL;
  g_autofree char *etag = NULL;
  const char      *if_none_match;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "products");
  json_builder_begin_array (builder);
  for (guint i = 0; i < products->len; i++)
    json_builder_add_value (builder, till_product_record_to_json (products->pdata[i]));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "next_cursor");
  if (page->next != 0)
    {
      g_autofree char *cursor = till_api_cursor_encode (page->next);
      json_builder_add_string_value (builder, cursor);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = till_json_to_string (root, FALSE);

  {
    g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, body, -1);

    etag = g_strdup_printf ("\"%.32s\"", digest);
  }
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-cache");
  if_none_match =
      soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "If-None-Match");
  if (if_none_match != NULL &&
      (strstr (if_none_match, etag) != NULL || g_strcmp0 (if_none_match, "*") == 0))
    {
      till_api_add_common_headers (msg);
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }
  till_api_send_text (msg, SOUP_STATUS_OK, "application/json", body, strlen (body));
}

void
till_api_handle_products_list (TillApi           *self,
                               SoupServerMessage *msg,
                               GHashTable        *query,
                               TillTerminal      *terminal)
{
  g_autoptr (GError) error = NULL;
  gboolean include_inactive =
      g_strcmp0 (till_api_query_get (query, "include_inactive"), "true") == 0;
  gint64         after = 0;
  guint64        limit = 100;
  ProductsQuery *args;

  if (!till_api_cursor_decode (till_api_query_get (query, "cursor"), &after, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  if (till_api_query_get (query, "limit") != NULL &&
      !g_ascii_string_to_unsigned (till_api_query_get (query, "limit"), 10, 1,
                                   TILL_PRODUCTS_PAGE_MAX, &limit, NULL))
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_REQUEST,
                               _ ("limit: must be between 1 and 200"));
      return;
    }
  if (include_inactive && terminal->role != TILL_ROLE_ADMIN)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_FORBIDDEN,
                               _ ("Only an admin terminal sees inactive products"));
      return;
    }
  if (till_api_query_get (query, "q") != NULL && strlen (till_api_query_get (query, "q")) > 200)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_REQUEST, _ ("q: too long"));
      return;
    }

  args = g_new0 (ProductsQuery, 1);
  args->q = g_strdup (till_api_query_get (query, "q"));
  args->category = g_strdup (till_api_query_get (query, "category"));
  args->include_inactive = include_inactive;
  args->after = after;
  args->limit = (guint) limit;
  /* A search matches names anywhere in them: it reads every product. */
  till_api_read_page (self, msg, args->q != NULL, read_products_page, send_products_page, args,
                      (GDestroyNotify) products_query_free);
}

static void
send_product (SoupServerMessage *msg, guint status, const TillProductRecord *product)
{
  g_autoptr (JsonNode) node = till_product_record_to_json (product);

  till_api_send_json (msg, status, node);
}

static void
prepare_search_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  till_search_prepare ();
  g_task_return_boolean (task, TRUE);
}

static void
on_search_prepared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillApi *self = TILL_API (source);
  g_autoptr (SoupServerMessage) msg = NULL;

  g_debug ("Search keys ready (ICU opened for the first product saved)");
  msg = till_api_call_take_message (user_data);
  if (msg != NULL)
    till_api_redispatch (self, msg, till_api_route);
}

/* Saving a product computes its search key (till_search_key ()), and the first one opens
 * ICU, which reads ICU's data, slowly when it is not in the page cache. So until ICU is
 * open, a save opens it on a thread with its request paused, and the request is handled
 * again afterwards (FALSE: not handled now). A search opens it on its own thread
 * (till_api_read_page ()). */
static gboolean
search_keys_ready (TillApi *self, SoupServerMessage *msg)
{
  g_autoptr (GTask) task = NULL;

  if (till_search_is_prepared ())
    return TRUE;
  task = g_task_new (self, NULL, on_search_prepared, till_api_call_new (self, msg));
  g_task_run_in_thread (task, prepare_search_thread);
  return FALSE;
}

void
till_api_handle_product_create (TillApi *self, SoupServerMessage *msg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (TillProductRecord) product = NULL;

  if (!search_keys_ready (self, msg))
    return;
  object = till_api_read_json_body (msg, &error);
  if (object == NULL ||
      (product = till_product_record_from_json (object, NULL, self->config->currency, &error)) ==
          NULL ||
      !till_products_save (self->db, product, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  send_product (msg, SOUP_STATUS_CREATED, product);
}

/* Deleting a product first looks for its order lines, and so does the foreign key: both
 * read every line ever sold when it was never sold. So it is the one write made off the main
 * thread (see till-database.h): a GTask with a worker connection (till_database_take_worker
 * ()), in one transaction, and the loop goes on serving; the main loop's writes wait for its
 * write lock from the loop, as for another process's. */
typedef struct
{
  gint64   id;
  gboolean deactivated; /* sold before: deactivated rather than deleted */
} ProductDeletion;

static void
product_deletion_free (ProductDeletion *deletion)
{
  g_free (deletion);
}

static void
delete_product_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  TillApi         *self = source_object;
  ProductDeletion *deletion = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) db = till_database_take_worker (self->db, &error);

  if (db == NULL || !till_database_begin (db, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!till_products_delete (db, deletion->id, &deletion->deactivated, &error))
    {
      till_database_rollback (db);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* A failed commit leaves the connection out of the pool. */
  if (!till_database_commit (db, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  till_database_give_back (self->db, g_steal_pointer (&db));
  g_task_return_boolean (task, TRUE);
}

static void on_product_deleted (GObject *source, GAsyncResult *result, gpointer user_data);

void
till_api_handle_product (TillApi           *self,
                         SoupServerMessage *msg,
                         const char        *method,
                         const char        *id_text,
                         TillTerminal      *terminal)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillProductRecord) product = NULL;
  gint64 id;

  if (!till_api_parse_id (id_text, &id))
    {
      till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND, _ ("No such product"));
      return;
    }
  if (g_str_equal (method, "GET"))
    {
      product = till_products_get (self->db, id, &error);
      if (product == NULL || (!product->active && terminal->role != TILL_ROLE_ADMIN))
        {
          if (error == NULL)
            g_set_error (&error, TILL_API_ERROR, TILL_API_ERROR_NOT_FOUND, _ ("No such product"));
          till_api_send_error (msg, error);
          return;
        }
      send_product (msg, SOUP_STATUS_OK, product);
      return;
    }
  if (!till_api_require_admin (msg, terminal))
    return;
  if (g_str_equal (method, "PATCH"))
    {
      g_autoptr (JsonObject) object = NULL;
      g_autoptr (TillProductRecord) base = NULL;

      if (!search_keys_ready (self, msg))
        return;
      object = till_api_read_json_body (msg, &error);
      if (object == NULL || (base = till_products_get (self->db, id, &error)) == NULL ||
          (product = till_product_record_from_json (object, base, self->config->currency,
                                                    &error)) == NULL ||
          !till_products_save (self->db, product, &error))
        {
          till_api_send_error (msg, error);
          return;
        }
      send_product (msg, SOUP_STATUS_OK, product);
      return;
    }
  if (g_str_equal (method, "DELETE"))
    {
      ProductDeletion *deletion = g_new0 (ProductDeletion, 1);
      g_autoptr (GTask) task =
          g_task_new (self, NULL, on_product_deleted, till_api_call_new (self, msg));

      deletion->id = id;
      g_task_set_task_data (task, deletion, (GDestroyNotify) product_deletion_free);
      g_task_run_in_thread (task, delete_product_thread);
      return;
    }
  till_api_send_new_error (msg, TILL_API_ERROR_METHOD, _ ("Method not allowed"));
}

static void
on_product_deleted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillApi         *self = TILL_API (source);
  TillApiCall     *call = user_data;
  ProductDeletion *deletion = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autoptr (TillProductRecord) product = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      till_api_call_fail (call, error);
      return;
    }
  if (deletion->deactivated)
    product = till_products_get (self->db, deletion->id, &error);
  if (product != NULL)
    send_product (call->msg, SOUP_STATUS_OK, product);
  else
    {
      till_api_add_common_headers (call->msg);
      soup_server_message_set_status (call->msg, SOUP_STATUS_NO_CONTENT, NULL);
    }
  till_api_call_done (call);
}

void
till_api_handle_by_barcode (TillApi           *self,
                            SoupServerMessage *msg,
                            const char        *code,
                            TillTerminal      *terminal)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillProductRecord) product = NULL;

  if (!till_barcode_is_valid (code))
    {
      till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND, _ ("No product has this barcode"));
      return;
    }
  product = till_products_get_by_barcode (self->db, code, &error);
  if (product == NULL || (!product->active && terminal->role != TILL_ROLE_ADMIN))
    {
      till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND, _ ("No product has this barcode"));
      return;
    }
  send_product (msg, SOUP_STATUS_OK, product);
}

void
till_api_handle_categories (TillApi *self, SoupServerMessage *msg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) categories = till_products_list_categories (self->db, &error);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  if (categories == NULL)
    {
      till_api_send_error (msg, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "categories");
  json_builder_begin_array (builder);
  for (guint i = 0; i < categories->len; i++)
    json_builder_add_string_value (builder, categories->pdata[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  till_api_send_json (msg, SOUP_STATUS_OK, root);
}
