/* till-catalog-filter.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-catalog-filter.h"
#include "till-search-key.h"

struct _TillCatalogFilter
{
  GtkFilter parent_instance;

  char *query; /* as typed */
  GStrv words; /* folded, non-empty */
  char *category;
};

G_DEFINE_FINAL_TYPE (TillCatalogFilter, till_catalog_filter, GTK_TYPE_FILTER)

gboolean
till_catalog_filter_matches (TillCatalogFilter *self, TillProduct *product)
{
  const char *key;

  if (self->category != NULL &&
      g_strcmp0 (self->category, till_product_get_category (product)) != 0)
    return FALSE;

  key = till_product_get_search_key (product);
  return till_search_key_matches (key, (const char *const *) self->words);
}

static gboolean
till_catalog_filter_match (GtkFilter *filter, gpointer item)
{
  return till_catalog_filter_matches (TILL_CATALOG_FILTER (filter), TILL_PRODUCT (item));
}

static GtkFilterMatch
till_catalog_filter_get_strictness (GtkFilter *filter)
{
  TillCatalogFilter *self = TILL_CATALOG_FILTER (filter);

  if (self->category == NULL && self->words[0] == NULL)
    return GTK_FILTER_MATCH_ALL;
  return GTK_FILTER_MATCH_SOME;
}

static void
till_catalog_filter_finalize (GObject *object)
{
  TillCatalogFilter *self = TILL_CATALOG_FILTER (object);

  g_free (self->query);
  g_strfreev (self->words);
  g_free (self->category);

  G_OBJECT_CLASS (till_catalog_filter_parent_class)->finalize (object);
}

static void
till_catalog_filter_class_init (TillCatalogFilterClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkFilterClass *filter_class = GTK_FILTER_CLASS (klass);

  object_class->finalize = till_catalog_filter_finalize;
  filter_class->match = till_catalog_filter_match;
  filter_class->get_strictness = till_catalog_filter_get_strictness;
}

static void
till_catalog_filter_init (TillCatalogFilter *self)
{
  self->query = g_strdup ("");
  self->words = g_new0 (char *, 1);
}

TillCatalogFilter *
till_catalog_filter_new (void)
{
  return g_object_new (TILL_TYPE_CATALOG_FILTER, NULL);
}

static GStrv
split_words (const char *folded)
{
  g_auto (GStrv) parts = g_strsplit_set (folded, " \t\n", -1);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_strv_builder_add (builder, parts[i]);
  return g_strv_builder_end (builder);
}

/* Each old word is a substring of some new word: the new query can only match less. */
static gboolean
is_stricter (GStrv old_words, GStrv new_words)
{
  for (guint i = 0; old_words[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; new_words[j] != NULL && !found; j++)
        found = strstr (new_words[j], old_words[i]) != NULL;
      if (!found)
        return FALSE;
    }
  return TRUE;
}

void
till_catalog_filter_set_query (TillCatalogFilter *self, const char *query)
{
  g_autofree char *folded = NULL;
  g_auto (GStrv) words = NULL;
  GtkFilterChange change;

  g_return_if_fail (TILL_IS_CATALOG_FILTER (self));

  if (query == NULL)
    query = "";
  if (g_strcmp0 (query, self->query) == 0)
    return;

  folded = till_search_fold (query);
  words = split_words (folded);
  g_free (self->query);
  self->query = g_strdup (query);

  if (g_strv_equal ((const char *const *) words, (const char *const *) self->words))
    return;
  if (is_stricter (self->words, words))
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (is_stricter (words, self->words))
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  else
    change = GTK_FILTER_CHANGE_DIFFERENT;

  g_strfreev (self->words);
  self->words = g_steal_pointer (&words);
  gtk_filter_changed (GTK_FILTER (self), change);
}

const char *const *
till_catalog_filter_get_words (TillCatalogFilter *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG_FILTER (self), NULL);
  return (const char *const *) self->words;
}

const char *
till_catalog_filter_get_query (TillCatalogFilter *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG_FILTER (self), NULL);
  return self->query;
}

void
till_catalog_filter_set_category (TillCatalogFilter *self, const char *category)
{
  GtkFilterChange change;

  g_return_if_fail (TILL_IS_CATALOG_FILTER (self));

  if (g_strcmp0 (category, self->category) == 0)
    return;
  if (self->category == NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (category == NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  else
    change = GTK_FILTER_CHANGE_DIFFERENT;

  g_free (self->category);
  self->category = g_strdup (category);
  gtk_filter_changed (GTK_FILTER (self), change);
}

const char *
till_catalog_filter_get_category (TillCatalogFilter *self)
{
  g_return_val_if_fail (TILL_IS_CATALOG_FILTER (self), NULL);
  return self->category;
}
