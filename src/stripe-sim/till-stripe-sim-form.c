/* till-stripe-sim-form.c: form decoding with Stripe's bracket nesting.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-stripe-sim-form-private.h"

static void
pair_free (gpointer data)
{
  TillSimPair *pair = data;

  g_free (pair->key);
  g_free (pair->value);
  g_free (pair);
}

static char *
form_unescape (const char *start, gsize length)
{
  g_autofree char *copy = g_strndup (start, length);
  char            *decoded;

  for (char *p = copy; *p != '\0'; p++)
    if (*p == '+')
      *p = ' ';

  decoded = g_uri_unescape_string (copy, NULL);
  if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL))
    {
      /* Bad escapes or bytes that are not UTF-8: keep them visible but harmless. */
      g_free (decoded);
      decoded = g_utf8_make_valid (copy, -1);
    }
  return decoded;
}

GPtrArray *
till_sim_form_decode (const char *data, gsize length)
{
  GPtrArray  *pairs = g_ptr_array_new_with_free_func (pair_free);
  const char *end = data + length;
  const char *p = data;

  if (data == NULL)
    return pairs;

  while (p < end)
    {
      const char *amp = memchr (p, '&', end - p);
      const char *stop = amp ? amp : end;
      const char *eq = memchr (p, '=', stop - p);

      if (stop > p)
        {
          TillSimPair *pair = g_new0 (TillSimPair, 1);

          if (eq != NULL)
            {
              pair->key = form_unescape (p, eq - p);
              pair->value = form_unescape (eq + 1, stop - eq - 1);
            }
          else
            {
              pair->key = form_unescape (p, stop - p);
              pair->value = g_strdup ("");
            }
          g_ptr_array_add (pairs, pair);
        }
      p = stop + 1;
    }

  return pairs;
}

/* "a[b][]" → {"a", "b", ""}; NULL when the brackets are malformed. */
static char **
split_key (const char *key)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  const char *bracket = strchr (key, '[');
  const char *p;

  if (bracket == NULL)
    {
      if (*key == '\0' || strchr (key, ']') != NULL)
        return NULL;
      g_ptr_array_add (parts, g_strdup (key));
      g_ptr_array_add (parts, NULL);
      return (char **) g_ptr_array_free (g_steal_pointer (&parts), FALSE);
    }

  if (bracket == key)
    return NULL;
  g_ptr_array_add (parts, g_strndup (key, bracket - key));
  if (memchr (key, ']', bracket - key) != NULL)
    return NULL;

  p = bracket;
  while (*p != '\0')
    {
      const char *close;

      if (*p != '[')
        return NULL;
      close = strchr (p + 1, ']');
      if (close == NULL || memchr (p + 1, '[', close - p - 1) != NULL)
        return NULL;
      g_ptr_array_add (parts, g_strndup (p + 1, close - p - 1));
      p = close + 1;
    }

  g_ptr_array_add (parts, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&parts), FALSE);
}

static gboolean
is_index (const char *segment)
{
  if (*segment == '\0')
    return TRUE;
  if (strlen (segment) > 4)
    return FALSE;
  for (const char *p = segment; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

/* The parameter name up to segment @n, as Stripe prints it: "a[b][c]". */
static char *
param_name (char **segments, guint n)
{
  GString *name = g_string_new (segments[0]);

  for (guint i = 1; i <= n && segments[i] != NULL; i++)
    g_string_append_printf (name, "[%s]", segments[i]);
  return g_string_free (name, FALSE);
}

static TillSimReply *
invalid_hash (char **segments, guint n)
{
  g_autofree char *name = param_name (segments, n);

  return till_sim_reply_error (400, "invalid_request_error", "parameter_invalid", name,
                               "Invalid request: the parameter %s is given both as a value "
                               "and as a hash or array.",
                               name);
}

/* Finds or makes the child of @container (object or array) named @segment, of the kind
 * the next segment asks for (@want_array, @want_value). */
static JsonNode *
child_for (JsonNode *container, const char *segment, JsonNodeType want, gboolean *conflict)
{
  JsonNode *child = NULL;

  *conflict = FALSE;

  if (JSON_NODE_HOLDS_OBJECT (container))
    {
      JsonObject *object = json_node_get_object (container);

      child = json_object_get_member (object, segment);
      if (child == NULL)
        {
          JsonNode *fresh = json_node_new (want);

          if (want == JSON_NODE_OBJECT)
            json_node_take_object (fresh, json_object_new ());
          else if (want == JSON_NODE_ARRAY)
            json_node_take_array (fresh, json_array_new ());
          json_object_set_member (object, segment, fresh);
          return fresh;
        }
    }
  else
    {
      JsonArray *array = json_node_get_array (container);
      guint      length = json_array_get_length (array);
      guint64    index = *segment == '\0' ? length : g_ascii_strtoull (segment, NULL, 10);

      /* "a[0][x]=1&a[0][y]=2" fills one element; "a[][x]" always appends. */
      if (*segment != '\0' && index < length)
        child = json_array_get_element (array, index);
      else if (index > length)
        {
          *conflict = TRUE;
          return NULL;
        }
      else
        {
          JsonNode *fresh = json_node_new (want);

          if (want == JSON_NODE_OBJECT)
            json_node_take_object (fresh, json_object_new ());
          else if (want == JSON_NODE_ARRAY)
            json_node_take_array (fresh, json_array_new ());
          json_array_add_element (array, fresh);
          return fresh;
        }
    }

  if (JSON_NODE_TYPE (child) != want || want == JSON_NODE_VALUE)
    {
      /* A repeated scalar keeps the last value, as Stripe does; anything else clashes. */
      if (want == JSON_NODE_VALUE && JSON_NODE_HOLDS_VALUE (child))
        return child;
      *conflict = TRUE;
      return NULL;
    }
  return child;
}

JsonNode *
till_sim_form_build_tree (GPtrArray *pairs, TillSimReply **error_reply)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);

  /* json_node_init_object () would take a reference of its own, and the tree would never be
   * freed. */
  json_node_take_object (root, json_object_new ());

  for (guint i = 0; i < pairs->len; i++)
    {
      TillSimPair *pair = g_ptr_array_index (pairs, i);
      g_auto (GStrv) segments = split_key (pair->key);
      JsonNode *node = root;
      guint     n;

      if (segments == NULL)
        {
          *error_reply =
              till_sim_reply_error (400, "invalid_request_error", "parameter_invalid", pair->key,
                                    "Invalid request: malformed parameter name %s.", pair->key);
          return NULL;
        }

      n = g_strv_length (segments);
      for (guint s = 0; s < n; s++)
        {
          JsonNodeType want;
          gboolean     conflict;

          if (s + 1 == n)
            want = JSON_NODE_VALUE;
          else if (is_index (segments[s + 1]))
            want = JSON_NODE_ARRAY;
          else
            want = JSON_NODE_OBJECT;

          /* Bracket names within an object must not be empty: "a[b][]" is fine, "a[][]" is
           * an array of arrays we do not need. */
          if (JSON_NODE_HOLDS_OBJECT (node) && s > 0 && *segments[s] == '\0')
            {
              *error_reply = invalid_hash (segments, s);
              return NULL;
            }

          node = child_for (node, segments[s], want, &conflict);
          if (conflict)
            {
              *error_reply = invalid_hash (segments, s);
              return NULL;
            }
        }
      json_node_set_string (node, pair->value);
    }

  return g_steal_pointer (&root);
}

static int
compare_pairs (gconstpointer a, gconstpointer b)
{
  const TillSimPair *pa = *(TillSimPair *const *) a;
  const TillSimPair *pb = *(TillSimPair *const *) b;

  return strcmp (pa->key, pb->key);
}

char *
till_sim_form_fingerprint (const char *method, const char *path, GPtrArray *pairs)
{
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; i < pairs->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (pairs, i));
  /* GLib's sort is stable, so "a[]" values keep their order. */
  g_ptr_array_sort (sorted, compare_pairs);

  g_checksum_update (checksum, (const guchar *) method, -1);
  g_checksum_update (checksum, (const guchar *) "\n", 1);
  g_checksum_update (checksum, (const guchar *) path, -1);
  for (guint i = 0; i < sorted->len; i++)
    {
      TillSimPair *pair = g_ptr_array_index (sorted, i);

      g_checksum_update (checksum, (const guchar *) "\n", 1);
      g_checksum_update (checksum, (const guchar *) pair->key, -1);
      g_checksum_update (checksum, (const guchar *) "", 1);
      g_checksum_update (checksum, (const guchar *) pair->value, -1);
    }

  return g_strdup (g_checksum_get_string (checksum));
}
