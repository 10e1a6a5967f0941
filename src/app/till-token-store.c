/* till-token-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>
#include <string.h>

#include "till-token-store.h"

G_DEFINE_INTERFACE (TillTokenStore, till_token_store, G_TYPE_OBJECT)

static void
till_token_store_default_init (TillTokenStoreInterface *iface)
{
}

void
till_token_store_lookup_async (TillTokenStore     *self,
                               const char         *server_url,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_return_if_fail (TILL_IS_TOKEN_STORE (self));
  g_return_if_fail (server_url != NULL);
  TILL_TOKEN_STORE_GET_IFACE (self)->lookup_async (self, server_url, cancellable, callback,
                                                   user_data);
}

char *
till_token_store_lookup_finish (TillTokenStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (TILL_IS_TOKEN_STORE (self), NULL);
  return TILL_TOKEN_STORE_GET_IFACE (self)->lookup_finish (self, result, error);
}

void
till_token_store_store_async (TillTokenStore     *self,
                              const char         *server_url,
                              const char         *token,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_return_if_fail (TILL_IS_TOKEN_STORE (self));
  g_return_if_fail (server_url != NULL);
  g_return_if_fail (token != NULL);
  TILL_TOKEN_STORE_GET_IFACE (self)->store_async (self, server_url, token, cancellable, callback,
                                                  user_data);
}

gboolean
till_token_store_store_finish (TillTokenStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (TILL_IS_TOKEN_STORE (self), FALSE);
  return TILL_TOKEN_STORE_GET_IFACE (self)->store_finish (self, result, error);
}

/* libsecret */

struct _TillSecretTokenStore
{
  GObject parent_instance;
};

static void secret_iface_init (TillTokenStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TillSecretTokenStore,
                               till_secret_token_store,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TILL_TYPE_TOKEN_STORE, secret_iface_init))

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = { "io.github.tillpos.Till.Token",
                                       SECRET_SCHEMA_NONE,
                                       {
                                           { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
                                           { NULL, 0 },
                                       } };
  return &schema;
}

static void
on_secret_lookup (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  char   *password;

  password = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (password == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  g_task_return_pointer (task, g_strdup (password), g_free);
  secret_password_free (password);
}

static void
secret_lookup_async (TillTokenStore     *store,
                     const char         *server_url,
                     GCancellable       *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer            user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, secret_lookup_async);
  secret_password_lookup (get_schema (), cancellable, on_secret_lookup, task, "server", server_url,
                          NULL);
}

static char *
secret_lookup_finish (TillTokenStore *store, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_secret_store (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
secret_store_async (TillTokenStore     *store,
                    const char         *server_url,
                    const char         *token,
                    GCancellable       *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  GTask           *task = g_task_new (store, cancellable, callback, user_data);
  g_autofree char *label = NULL;

  g_task_set_source_tag (task, secret_store_async);
  /* Translators: the label of the terminal token in the keyring; %s is the server address. */
  label = g_strdup_printf (_ ("Till terminal token for %s"), server_url);
  secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT, label, token, cancellable,
                         on_secret_store, task, "server", server_url, NULL);
}

static gboolean
secret_store_finish (TillTokenStore *store, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
secret_iface_init (TillTokenStoreInterface *iface)
{
  iface->lookup_async = secret_lookup_async;
  iface->lookup_finish = secret_lookup_finish;
  iface->store_async = secret_store_async;
  iface->store_finish = secret_store_finish;
}

static void
till_secret_token_store_class_init (TillSecretTokenStoreClass *klass)
{
}

static void
till_secret_token_store_init (TillSecretTokenStore *self)
{
}

TillTokenStore *
till_secret_token_store_new (void)
{
  return g_object_new (TILL_TYPE_SECRET_TOKEN_STORE, NULL);
}

/* memory */

struct _TillMemoryTokenStore
{
  GObject parent_instance;

  GHashTable *tokens;
};

static void memory_iface_init (TillTokenStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TillMemoryTokenStore,
                               till_memory_token_store,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TILL_TYPE_TOKEN_STORE, memory_iface_init))

static void
memory_lookup_async (TillTokenStore     *store,
                     const char         *server_url,
                     GCancellable       *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer            user_data)
{
  TillMemoryTokenStore *self = TILL_MEMORY_TOKEN_STORE (store);
  g_autoptr (GTask) task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, memory_lookup_async);
  g_task_return_pointer (task, g_strdup (g_hash_table_lookup (self->tokens, server_url)), g_free);
}

static void
memory_store_async (TillTokenStore     *store,
                    const char         *server_url,
                    const char         *token,
                    GCancellable       *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  TillMemoryTokenStore *self = TILL_MEMORY_TOKEN_STORE (store);
  g_autoptr (GTask) task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, memory_store_async);
  g_hash_table_replace (self->tokens, g_strdup (server_url), g_strdup (token));
  g_task_return_boolean (task, TRUE);
}

static void
memory_iface_init (TillTokenStoreInterface *iface)
{
  iface->lookup_async = memory_lookup_async;
  iface->lookup_finish = secret_lookup_finish;
  iface->store_async = memory_store_async;
  iface->store_finish = secret_store_finish;
}

static void
till_memory_token_store_finalize (GObject *object)
{
  TillMemoryTokenStore *self = TILL_MEMORY_TOKEN_STORE (object);

  g_clear_pointer (&self->tokens, g_hash_table_unref);
  G_OBJECT_CLASS (till_memory_token_store_parent_class)->finalize (object);
}

static void
till_memory_token_store_class_init (TillMemoryTokenStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_memory_token_store_finalize;
}

static void
till_memory_token_store_init (TillMemoryTokenStore *self)
{
  self->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

TillTokenStore *
till_memory_token_store_new (void)
{
  return g_object_new (TILL_TYPE_MEMORY_TOKEN_STORE, NULL);
}
