/* till-cart-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "till-cart-store.h"

typedef struct
{
  TillCartStore *store; /* unowned; ops under way hold a reference */
  TillCartModel *cart;
  GFile         *file;
  GBytes        *pending; /* the newest state not yet written */
  gboolean       writing;
  gboolean       removed;
} Entry;

struct _TillCartStore
{
  GObject parent_instance;

  GFile      *directory;
  GListStore *carts;
  GHashTable *entries; /* TillCartModel* → Entry* */
  guint       busy;
};

G_DEFINE_FINAL_TYPE (TillCartStore, till_cart_store, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void entry_write_next (Entry *entry);

static void
entry_free (Entry *entry)
{
  g_clear_object (&entry->cart);
  g_clear_object (&entry->file);
  g_clear_pointer (&entry->pending, g_bytes_unref);
  g_free (entry);
}

/* Every write or delete under way holds a reference on the store (so entries outlive
 * nothing they need) and counts in ::busy. */
static void
store_busy_inc (TillCartStore *self)
{
  g_object_ref (self);
  if (self->busy++ == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
store_busy_dec (TillCartStore *self)
{
  g_assert (self->busy > 0);
  if (--self->busy == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  g_object_unref (self);
}

static void
till_cart_store_dispose (GObject *object)
{
  TillCartStore *self = TILL_CART_STORE (object);
  GHashTableIter iter;
  gpointer       value;

  /* Nothing is in flight here: each write holds a reference on the store. */
  if (self->entries != NULL)
    {
      g_hash_table_iter_init (&iter, self->entries);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_signal_handlers_disconnect_by_data (((Entry *) value)->cart, value);
      g_clear_pointer (&self->entries, g_hash_table_unref);
    }
  g_clear_object (&self->carts);

  G_OBJECT_CLASS (till_cart_store_parent_class)->dispose (object);
}

static void
till_cart_store_finalize (GObject *object)
{
  TillCartStore *self = TILL_CART_STORE (object);

  g_clear_object (&self->directory);

  G_OBJECT_CLASS (till_cart_store_parent_class)->finalize (object);
}

static void
till_cart_store_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TillCartStore *self = TILL_CART_STORE (object);

  switch (prop_id)
    {
      case PROP_BUSY:
        g_value_set_boolean (value, self->busy > 0);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_cart_store_class_init (TillCartStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_cart_store_dispose;
  object_class->finalize = till_cart_store_finalize;
  object_class->get_property = till_cart_store_get_property;

  properties[PROP_BUSY] =
      g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_cart_store_init (TillCartStore *self)
{
  self->carts = g_list_store_new (TILL_TYPE_CART_MODEL);
  self->entries = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) entry_free);
}

TillCartStore *
till_cart_store_new (GFile *directory)
{
  TillCartStore *self;

  g_return_val_if_fail (G_IS_FILE (directory), NULL);

  self = g_object_new (TILL_TYPE_CART_STORE, NULL);
  self->directory = g_object_ref (directory);
  return self;
}

GFile *
till_cart_store_get_default_directory (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "till", "carts", NULL);
  return g_file_new_for_path (path);
}

GFile *
till_cart_store_get_directory (TillCartStore *self)
{
  g_return_val_if_fail (TILL_IS_CART_STORE (self), NULL);
  return self->directory;
}

GListModel *
till_cart_store_get_carts (TillCartStore *self)
{
  g_return_val_if_fail (TILL_IS_CART_STORE (self), NULL);
  return G_LIST_MODEL (self->carts);
}

gboolean
till_cart_store_is_busy (TillCartStore *self)
{
  g_return_val_if_fail (TILL_IS_CART_STORE (self), FALSE);
  return self->busy > 0;
}

/* Writing */

static GBytes *
serialize_cart (TillCartModel *cart)
{
  g_autoptr (JsonNode) node = till_cart_model_to_json (cart);
  char *text = till_json_to_string (node, TRUE);

  return g_bytes_new_take (text, strlen (text));
}

static void entry_delete (Entry *entry);

static void
on_write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Entry         *entry = user_data;
  TillCartStore *store = entry->store;
  g_autoptr (GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_warning ("Could not save cart %s: %s", till_cart_model_get_id (entry->cart), error->message);

  entry->writing = FALSE;
  if (entry->removed)
    entry_delete (entry);
  else
    entry_write_next (entry);
  store_busy_dec (store);
}

static void
on_delete_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Entry         *entry = user_data;
  TillCartStore *store = entry->store;
  g_autoptr (GError) error = NULL;

  if (!g_file_delete_finish (G_FILE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("Could not delete a closed cart: %s", error->message);
  entry_free (entry);
  store_busy_dec (store);
}

/* The entry is no longer in the store's table: the delete owns it. */
static void
entry_delete (Entry *entry)
{
  store_busy_inc (entry->store);
  g_file_delete_async (entry->file, G_PRIORITY_DEFAULT, NULL, on_delete_done, entry);
}

static gboolean
ensure_directory (TillCartStore *self)
{
  g_autoptr (GError) error = NULL;

  /* Tiny and once per run: done synchronously before the first write. */
  if (!g_file_make_directory_with_parents (self->directory, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_warning ("Could not create %s: %s", g_file_peek_path (self->directory), error->message);
      return FALSE;
    }
  return TRUE;
}

static void
entry_write_next (Entry *entry)
{
  g_autoptr (GBytes) bytes = NULL;

  if (entry->writing || entry->pending == NULL)
    return;

  bytes = g_steal_pointer (&entry->pending);
  entry->writing = TRUE;
  store_busy_inc (entry->store);
  g_file_replace_contents_bytes_async (entry->file, bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       NULL, on_write_done, entry);
}

static void
on_cart_changed (TillCartModel *cart, Entry *entry)
{
  if (entry->removed)
    return;
  g_clear_pointer (&entry->pending, g_bytes_unref);
  entry->pending = serialize_cart (cart);
  entry_write_next (entry);
}

static Entry *
add_entry (TillCartStore *self, TillCartModel *cart)
{
  g_autofree char *name = g_strconcat (till_cart_model_get_id (cart), ".json", NULL);
  Entry           *entry = g_new0 (Entry, 1);

  entry->store = self;
  entry->cart = g_object_ref (cart);
  entry->file = g_file_get_child (self->directory, name);
  g_hash_table_insert (self->entries, cart, entry);
  g_signal_connect (cart, "changed", G_CALLBACK (on_cart_changed), entry);
  g_list_store_append (self->carts, cart);
  return entry;
}

void
till_cart_store_add (TillCartStore *self, TillCartModel *cart)
{
  Entry *entry;

  g_return_if_fail (TILL_IS_CART_STORE (self));
  g_return_if_fail (TILL_IS_CART_MODEL (cart));
  g_return_if_fail (!g_hash_table_contains (self->entries, cart));

  ensure_directory (self);
  entry = add_entry (self, cart);
  on_cart_changed (cart, entry);
}

TillCartModel *
till_cart_store_new_cart (TillCartStore *self, const char *currency, gboolean prices_include_tax)
{
  g_autoptr (TillCartModel) cart = NULL;
  g_autofree char *title = NULL;
  guint            n, number = 1;

  g_return_val_if_fail (TILL_IS_CART_STORE (self), NULL);

  /* The smallest "Cart N" not in use, so numbers stay short on a busy day. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->carts));
  for (gboolean taken = TRUE; taken;)
    {
      g_free (title);
      /* Translators: the title of a cart tab; %u is a small number. */
      title = g_strdup_printf (_ ("Cart %u"), number);
      taken = FALSE;
      for (guint i = 0; i < n && !taken; i++)
        {
          g_autoptr (TillCartModel) other = g_list_model_get_item (G_LIST_MODEL (self->carts), i);
          taken = g_strcmp0 (till_cart_model_get_title (other), title) == 0;
        }
      if (taken)
        number++;
    }

  cart = till_cart_model_new (currency, prices_include_tax);
  till_cart_model_set_title (cart, title);
  till_cart_store_add (self, cart);
  return cart;
}

void
till_cart_store_remove (TillCartStore *self, TillCartModel *cart)
{
  Entry *entry;
  guint  position;

  g_return_if_fail (TILL_IS_CART_STORE (self));
  g_return_if_fail (TILL_IS_CART_MODEL (cart));

  entry = g_hash_table_lookup (self->entries, cart);
  if (entry == NULL)
    return;

  g_signal_handlers_disconnect_by_data (cart, entry);
  entry->removed = TRUE;
  g_clear_pointer (&entry->pending, g_bytes_unref);
  g_hash_table_steal (self->entries, cart);

  if (g_list_store_find (self->carts, cart, &position))
    g_list_store_remove (self->carts, position);

  /* A write under way deletes the file when it is done, so it cannot resurrect the cart. */
  if (!entry->writing)
    entry_delete (entry);
}

/* Loading */

typedef struct
{
  GPtrArray *carts; /* element-type TillCartModel */
} LoadResult;

static int
compare_titles (gconstpointer a, gconstpointer b)
{
  TillCartModel *ca = *(TillCartModel **) a;
  TillCartModel *cb = *(TillCartModel **) b;

  return g_strcmp0 (till_cart_model_get_title (ca), till_cart_model_get_title (cb));
}

static void
load_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GFile *directory = task_data;
  g_autoptr (GFileEnumerator) enumerator = NULL;
  g_autoptr (GPtrArray) carts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError) error = NULL;
  GFileInfo *info;

  enumerator = g_file_enumerate_children (directory, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                          G_FILE_QUERY_INFO_NONE, cancellable, &error);
  if (enumerator == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_task_return_pointer (task, g_steal_pointer (&carts), (GDestroyNotify) g_ptr_array_unref);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  while ((info = g_file_enumerator_next_file (enumerator, cancellable, &error)) != NULL)
    {
      g_autoptr (GFileInfo) owned_info G_GNUC_UNUSED = info; /* freed at the end of the turn */
      const char                      *name = g_file_info_get_name (info);
      g_autoptr (GFile) file = NULL;
      g_autofree char *contents = NULL;
      g_autoptr (GError) cart_error = NULL;
      g_autoptr (JsonObject) object = NULL;
      TillCartModel *cart = NULL;
      gsize          length;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      file = g_file_get_child (directory, name);
      if (g_file_load_contents (file, cancellable, &contents, &length, NULL, &cart_error) &&
          (object = till_json_parse_object (contents, length, &cart_error)) != NULL)
        cart = till_cart_model_new_from_json (object, &cart_error);
      if (cart != NULL)
        {
          g_autofree char *expected = g_strconcat (till_cart_model_get_id (cart), ".json", NULL);

          if (g_str_equal (expected, name))
            {
              g_ptr_array_add (carts, cart);
              continue;
            }
          g_clear_object (&cart);
          g_set_error (&cart_error, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_FORMAT,
                       "the file name does not match the cart id");
        }

      g_warning ("The saved cart %s cannot be read (%s); it is kept as %s.damaged", name,
                 cart_error ? cart_error->message : "unknown error", name);
      {
        g_autofree char *damaged = g_strconcat (name, ".damaged", NULL);
        g_autoptr (GFile) target = g_file_get_child (directory, damaged);

        g_file_move (file, target, G_FILE_COPY_OVERWRITE, cancellable, NULL, NULL, NULL);
      }
    }
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_ptr_array_sort (carts, compare_titles);
  g_task_return_pointer (task, g_steal_pointer (&carts), (GDestroyNotify) g_ptr_array_unref);
}

void
till_cart_store_load_async (TillCartStore      *self,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (TILL_IS_CART_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_cart_store_load_async);
  g_task_set_task_data (task, g_object_ref (self->directory), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

gboolean
till_cart_store_load_finish (TillCartStore *self, GAsyncResult *result, GError **error)
{
  g_autoptr (GPtrArray) carts = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  carts = g_task_propagate_pointer (G_TASK (result), error);
  if (carts == NULL)
    return FALSE;

  for (guint i = 0; i < carts->len; i++)
    {
      TillCartModel *cart = g_ptr_array_index (carts, i);
      gboolean       known = FALSE;

      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (self->carts)) && !known; j++)
        {
          g_autoptr (TillCartModel) other = g_list_model_get_item (G_LIST_MODEL (self->carts), j);
          known = g_strcmp0 (till_cart_model_get_id (other), till_cart_model_get_id (cart)) == 0;
        }
      if (!known)
        add_entry (self, cart);
    }
  return TRUE;
}
