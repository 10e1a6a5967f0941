/* till-token-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* libsecret, and a file when the Secret Service cannot be used */

struct _TillSecretTokenStore
{
  GObject parent_instance;

  gboolean prompt;
  char    *file;
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

typedef struct
{
  char *server_url;
  char *token;
  char *file;
} TokenOp;

static void
token_op_free (TokenOp *op)
{
  g_free (op->server_url);
  if (op->token != NULL)
    memset (op->token, 0, strlen (op->token));
  g_free (op->token);
  g_free (op->file);
  g_free (op);
}

static GTask *
token_op_task_new (TillSecretTokenStore *self,
                   const char           *server_url,
                   const char           *token,
                   GCancellable         *cancellable,
                   GAsyncReadyCallback   callback,
                   gpointer              user_data)
{
  GTask   *task = g_task_new (self, cancellable, callback, user_data);
  TokenOp *op = g_new0 (TokenOp, 1);

  op->server_url = g_strdup (server_url);
  op->token = g_strdup (token);
  op->file = g_strdup (self->file);
  g_task_set_task_data (task, op, (GDestroyNotify) token_op_free);
  return task;
}

/* The file: a key file, [terminal] server= and token=, mode 0600 in a 0700 directory. Its
 * contents never go into a message (GKeyFile's own errors quote the line they stop at). */

#define TOKEN_FILE_MAX 65536

static gboolean
token_file_read (const char *path, const char *server_url, char **out_token, GError **error)
{
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autofree char *data = NULL;
  g_autofree char *server = NULL;
  g_autofree char *token = NULL;
  struct stat      st;
  gssize           length = 0;
  int              fd;

  *out_token = NULL;
  fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;

      if (saved == ENOENT)
        return TRUE;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not open the terminal token file %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid () ||
      (st.st_mode & 077) != 0)
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The terminal token file %s is not a file of this user's that only they can "
                   "read (mode 0600): it is not used",
                   path);
      return FALSE;
    }
  data = g_malloc (TOKEN_FILE_MAX + 1);
  while (length < TOKEN_FILE_MAX)
    {
      gssize n = read (fd, data + length, TOKEN_FILE_MAX - length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          close (fd);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Could not read the terminal token file %s: %s", path, g_strerror (saved));
          return FALSE;
        }
      if (n == 0)
        break;
      length += n;
    }
  close (fd);
  data[length] = '\0';

  if (length == TOKEN_FILE_MAX || !g_key_file_load_from_data (key_file, data, length, 0, NULL) ||
      (server = g_key_file_get_string (key_file, "terminal", "server", NULL)) == NULL ||
      (token = g_key_file_get_string (key_file, "terminal", "token", NULL)) == NULL ||
      *token == '\0')
    {
      memset (data, 0, length);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The terminal token file %s is not valid: it needs [terminal] with server= "
                   "and token=",
                   path);
      return FALSE;
    }
  memset (data, 0, length);
  if (g_strcmp0 (server, server_url) == 0)
    *out_token = g_steal_pointer (&token);
  else
    memset (token, 0, strlen (token));
  return TRUE;
}

static gboolean
token_file_write (const char *path, const char *server_url, const char *token, GError **error)
{
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autofree char *directory = g_path_get_dirname (path);
  g_autofree char *data = NULL;
  gsize            length = 0;
  struct stat      st;
  gboolean         ok;

  if (g_mkdir_with_parents (directory, 0700) != 0 || stat (directory, &st) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not make the directory %s: %s", directory, g_strerror (saved));
      return FALSE;
    }
  if (st.st_uid != geteuid ())
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The directory %s belongs to another user: the terminal token is not kept there",
                   directory);
      return FALSE;
    }
  if ((st.st_mode & 077) != 0 && chmod (directory, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not make the directory %s private: %s", directory, g_strerror (saved));
      return FALSE;
    }

  g_key_file_set_comment (key_file, NULL, NULL,
                          " Till's terminal token, kept here because the Secret Service was not "
                          "usable.\n Only this user may read this file (0600).",
                          NULL);
  g_key_file_set_string (key_file, "terminal", "server", server_url);
  g_key_file_set_string (key_file, "terminal", "token", token);
  data = g_key_file_to_data (key_file, &length, NULL);
  /* A new file made with O_EXCL and mode 0600, written, synced and renamed over the old one:
   * never a moment when it is readable by others or half written. */
  ok = g_file_set_contents_full (path, data, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
  memset (data, 0, length);
  return ok;
}

static void
file_lookup_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  TokenOp *op = task_data;
  GError  *error = NULL;
  char    *token = NULL;

  if (!token_file_read (op->file, op->server_url, &token, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, token, g_free);
}

static void
file_store_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  TokenOp *op = task_data;
  GError  *error = NULL;

  if (!token_file_write (op->file, op->server_url, op->token, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* A token stored in the keyring leaves no copy of itself for that server in the file. */
static void
file_forget_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  TokenOp         *op = task_data;
  g_autofree char *token = NULL;

  if (token_file_read (op->file, op->server_url, &token, NULL) && token != NULL)
    {
      memset (token, 0, strlen (token));
      if (g_unlink (op->file) != 0)
        g_debug ("Could not remove the terminal token file %s: %s", op->file, g_strerror (errno));
    }
  g_task_return_boolean (task, TRUE);
}

static void     on_password_looked_up (GObject *source, GAsyncResult *result, gpointer user_data);
static void     on_password_stored (GObject *source, GAsyncResult *result, gpointer user_data);
static gboolean in_flatpak (void);

static GHashTable *
token_attributes (const char *server_url)
{
  return secret_attributes_build (get_schema (), "server", server_url, NULL);
}

static void
on_lookup_searched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  GList *items = secret_service_search_finish (SECRET_SERVICE (source), result, &error);

  if (error != NULL)
    g_debug ("The keyring could not be searched (%s): looking in the token file", error->message);
  for (GList *l = items; l != NULL; l = l->next)
    {
      SecretItem *item = l->data;
      g_autoptr (SecretValue) value = NULL;

      if (secret_item_get_locked (item))
        continue;
      value = secret_item_get_secret (item);
      if (value != NULL && secret_value_get_text (value) != NULL)
        {
          g_task_return_pointer (task, g_strdup (secret_value_get_text (value)), g_free);
          g_list_free_full (items, g_object_unref);
          return;
        }
    }
  g_list_free_full (items, g_object_unref);
  /* Nothing in the keyring (or only locked items a kiosk may not unlock): the file, where a
   * token stored while the keyring was not usable is. */
  g_task_run_in_thread (task, file_lookup_thread);
}

static void
on_lookup_service (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretService) service = secret_service_get_finish (result, &error);
  TillSecretTokenStore *self = g_task_get_source_object (task);
  TokenOp              *op = g_task_get_task_data (task);
  g_autoptr (GHashTable) attributes = NULL;
  SecretSearchFlags flags = SECRET_SEARCH_LOAD_SECRETS | SECRET_SEARCH_ALL;
  GCancellable     *cancellable;

  if (service == NULL)
    {
      g_debug ("No Secret Service (%s): looking in the token file", error->message);
      g_task_run_in_thread (task, file_lookup_thread);
      return;
    }
  if (self->prompt)
    flags |= SECRET_SEARCH_UNLOCK;
  attributes = token_attributes (op->server_url);
  /* The callback takes the task: the cancellable is read before (argument order is unset). */
  cancellable = g_task_get_cancellable (task);
  secret_service_search (service, get_schema (), attributes, flags, cancellable, on_lookup_searched,
                         g_steal_pointer (&task));
}

static void
secret_lookup_async (TillTokenStore     *store,
                     const char         *server_url,
                     GCancellable       *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer            user_data)
{
  GTask *task = token_op_task_new (TILL_SECRET_TOKEN_STORE (store), server_url, NULL, cancellable,
                                   callback, user_data);

  g_task_set_source_tag (task, secret_lookup_async);
  if (TILL_SECRET_TOKEN_STORE (store)->prompt)
    secret_password_lookup (get_schema (), cancellable, on_password_looked_up, task, "server",
                            server_url, NULL);
  else if (in_flatpak ())
    g_task_run_in_thread (task, file_lookup_thread);
  else
    secret_service_get (SECRET_SERVICE_OPEN_SESSION, cancellable, on_lookup_service, task);
}

static char *
secret_lookup_finish (TillTokenStore *store, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_forgotten (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;

  g_task_return_boolean (task, TRUE);
}

/* Stored in the keyring: @task (taken) finishes once the file holds no copy for its server. */
static void
stored_in_keyring (GTask *task)
{
  TillSecretTokenStore *self = g_task_get_source_object (task);
  TokenOp              *op = g_task_get_task_data (task);
  GTask *forget = token_op_task_new (self, op->server_url, NULL, NULL, on_forgotten, task);

  g_task_run_in_thread (forget, file_forget_thread);
  g_object_unref (forget);
}

static void
on_secret_store (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask  *task = user_data;
  GError *error = NULL;

  if (!secret_service_store_finish (SECRET_SERVICE (source), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  stored_in_keyring (task);
}

/* Where prompts are allowed, libsecret's own calls: they go through the Secret portal in the
 * Flatpak. Only an error that is not the user's cancel means the file. */
static gboolean
keyring_unusable (GError *error)
{
  return error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
on_password_looked_up (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  char   *password = secret_password_lookup_finish (result, &error);

  if (password != NULL)
    {
      g_task_return_pointer (task, g_strdup (password), g_free);
      secret_password_free (password);
      return;
    }
  if (error != NULL && !keyring_unusable (error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (error != NULL)
    g_debug ("The keyring is not usable (%s): looking in the token file", error->message);
  g_clear_error (&error);
  g_task_run_in_thread (task, file_lookup_thread);
}

static void
on_password_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask  *task = user_data;
  GError *error = NULL;

  if (secret_password_store_finish (result, &error))
    {
      stored_in_keyring (task);
      return;
    }
  if (!keyring_unusable (error))
    g_task_return_error (task, error);
  else
    {
      g_debug ("The keyring is not usable (%s): the terminal token goes into the token file",
               error->message);
      g_error_free (error);
      g_task_run_in_thread (task, file_store_thread);
    }
  g_object_unref (task);
}

/* The Secret portal cannot say whether the host's keyring would ask to be unlocked. */
static gboolean
in_flatpak (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

static void
store_in_collection (GTask *task, SecretService *service, const char *collection_path)
{
  TokenOp         *op = g_task_get_task_data (task);
  g_autofree char *label = NULL;
  g_autoptr (GHashTable) attributes = token_attributes (op->server_url);
  g_autoptr (SecretValue) value = secret_value_new (op->token, -1, "text/plain");

  /* Translators: the label of the terminal token in the keyring; %s is the server address. */
  label = g_strdup_printf (_ ("Till terminal token for %s"), op->server_url);
  secret_service_store (service, get_schema (), attributes, collection_path, label, value,
                        g_task_get_cancellable (task), on_secret_store, task);
}

static void
on_default_collection (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretCollection) collection = secret_collection_for_alias_finish (result, &error);

  /* A kiosk never shows a keyring prompt to a customer: no default keyring, or a locked one
   * (an auto-login session unlocks none), means the file. */
  if (collection == NULL || secret_collection_get_locked (collection))
    {
      g_debug ("The default keyring is not usable without a prompt (%s): the terminal token "
               "goes into the token file",
               error != NULL        ? error->message
               : collection == NULL ? "missing"
                                    : "locked");
      g_task_run_in_thread (task, file_store_thread);
      return;
    }
  store_in_collection (g_steal_pointer (&task), secret_collection_get_service (collection),
                       g_dbus_proxy_get_object_path (G_DBUS_PROXY (collection)));
}

static void
on_store_service (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretService) service = secret_service_get_finish (result, &error);
  TillSecretTokenStore *self = g_task_get_source_object (task);
  GCancellable         *cancellable;

  if (service == NULL)
    {
      g_debug ("No Secret Service (%s): the terminal token goes into the token file",
               error->message);
      g_task_run_in_thread (task, file_store_thread);
      return;
    }
  if (self->prompt)
    {
      store_in_collection (g_steal_pointer (&task), service, SECRET_COLLECTION_DEFAULT);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  secret_collection_for_alias (service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE,
                               cancellable, on_default_collection, g_steal_pointer (&task));
}

static void
secret_store_async (TillTokenStore     *store,
                    const char         *server_url,
                    const char         *token,
                    GCancellable       *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  GTask *task = token_op_task_new (TILL_SECRET_TOKEN_STORE (store), server_url, token, cancellable,
                                   callback, user_data);

  g_task_set_source_tag (task, secret_store_async);
  if (TILL_SECRET_TOKEN_STORE (store)->prompt)
    {
      g_autofree char *label = NULL;

      /* Translators: the label of the terminal token in the keyring; %s is the server address. */
      label = g_strdup_printf (_ ("Till terminal token for %s"), server_url);
      secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT, label, token, cancellable,
                             on_password_stored, task, "server", server_url, NULL);
    }
  else if (in_flatpak ())
    g_task_run_in_thread (task, file_store_thread);
  else
    secret_service_get (SECRET_SERVICE_OPEN_SESSION, cancellable, on_store_service, task);
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
till_secret_token_store_finalize (GObject *object)
{
  TillSecretTokenStore *self = TILL_SECRET_TOKEN_STORE (object);

  g_free (self->file);
  G_OBJECT_CLASS (till_secret_token_store_parent_class)->finalize (object);
}

static void
till_secret_token_store_class_init (TillSecretTokenStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_secret_token_store_finalize;
}

static void
till_secret_token_store_init (TillSecretTokenStore *self)
{
  self->prompt = TRUE;
  self->file = g_build_filename (g_get_user_config_dir (), "till", "terminal-token", NULL);
}

TillTokenStore *
till_secret_token_store_new (void)
{
  return g_object_new (TILL_TYPE_SECRET_TOKEN_STORE, NULL);
}

void
till_secret_token_store_set_prompt (TillSecretTokenStore *self, gboolean prompt)
{
  g_return_if_fail (TILL_IS_SECRET_TOKEN_STORE (self));

  self->prompt = prompt;
}

const char *
till_secret_token_store_get_file (TillSecretTokenStore *self)
{
  g_return_val_if_fail (TILL_IS_SECRET_TOKEN_STORE (self), NULL);

  return self->file;
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
