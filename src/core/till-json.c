/* till-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "till-json.h"

/* The quark's name, dashes and all, becomes a string. */
/* clang-format off */
G_DEFINE_QUARK (till-json-error-quark, till_json_error)
/* clang-format on */

/* "lines[2]" + "quantity" → "lines[2].quantity"; "" + "currency" → "currency". */
static char *
field_name (const char *path, const char *member)
{
  if (path == NULL || *path == '\0')
    return g_strdup (member);
  return g_strconcat (path, ".", member, NULL);
}

gboolean
till_json_check_members (JsonObject *object, const char *path, const char **allowed, GError **error)
{
  JsonObjectIter iter;
  const char    *name;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, NULL))
    {
      if (!g_strv_contains (allowed, name))
        {
          g_autofree char *field = field_name (path, name);
          g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_UNKNOWN_FIELD,
                       _ ("Unknown field “%s”"), field);
          return FALSE;
        }
    }
  return TRUE;
}

/* Looks @member up; FALSE with an error when required and absent, or when present with the
 * wrong node type. *out_node is NULL when absent (or null) and not required. */
static gboolean
lookup (JsonObject  *object,
        const char  *path,
        const char  *member,
        gboolean     required,
        JsonNodeType type,
        GType        value_type,
        const char  *type_name,
        JsonNode   **out_node,
        GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *out_node = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        {
          g_autofree char *field = field_name (path, member);
          g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_MISSING, _ ("Missing field “%s”"),
                       field);
          return FALSE;
        }
      return TRUE;
    }

  if (JSON_NODE_TYPE (node) != type ||
      (value_type != G_TYPE_INVALID && json_node_get_value_type (node) != value_type))
    {
      g_autofree char *field = field_name (path, member);
      /* Translators: the second %s is a JSON type: "an integer", "a string", … */
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_TYPE, _ ("Field “%s” must be %s"), field,
                   type_name);
      return FALSE;
    }

  *out_node = node;
  return TRUE;
}

gboolean
till_json_get_int (JsonObject *object,
                   const char *path,
                   const char *member,
                   gboolean    required,
                   gint64      min,
                   gint64      max,
                   gint64     *out,
                   GError    **error)
{
  JsonNode *node;
  gint64    value;

  if (!lookup (object, path, member, required, JSON_NODE_VALUE, G_TYPE_INT64, _ ("an integer"),
               &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  value = json_node_get_int (node);
  if (value < min || value > max)
    {
      g_autofree char *field = field_name (path, member);
      g_autofree char *low = g_strdup_printf ("%" G_GINT64_FORMAT, min);
      g_autofree char *high = g_strdup_printf ("%" G_GINT64_FORMAT, max);
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_RANGE,
                   _ ("Field “%s” must be between %s and %s"), field, low, high);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

gboolean
till_json_get_string (JsonObject *object,
                      const char *path,
                      const char *member,
                      gboolean    required,
                      gsize       max_length,
                      char      **out,
                      GError    **error)
{
  JsonNode   *node;
  const char *value;

  if (!lookup (object, path, member, required, JSON_NODE_VALUE, G_TYPE_STRING, _ ("a string"),
               &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  value = json_node_get_string (node);
  if (g_utf8_strlen (value, -1) > (glong) max_length)
    {
      g_autofree char *field = field_name (path, member);
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_RANGE,
                   _ ("Field “%s” is longer than %u characters"), field, (guint) max_length);
      return FALSE;
    }

  g_free (*out);
  *out = g_strdup (value);
  return TRUE;
}

gboolean
till_json_get_boolean (JsonObject *object,
                       const char *path,
                       const char *member,
                       gboolean    required,
                       gboolean   *out,
                       GError    **error)
{
  JsonNode *node;

  if (!lookup (object, path, member, required, JSON_NODE_VALUE, G_TYPE_BOOLEAN, _ ("true or false"),
               &node, error))
    return FALSE;
  if (node != NULL)
    *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
till_json_get_object (JsonObject  *object,
                      const char  *path,
                      const char  *member,
                      gboolean     required,
                      JsonObject **out,
                      GError     **error)
{
  JsonNode *node;

  if (!lookup (object, path, member, required, JSON_NODE_OBJECT, G_TYPE_INVALID, _ ("an object"),
               &node, error))
    return FALSE;
  *out = node != NULL ? json_node_get_object (node) : NULL;
  return TRUE;
}

gboolean
till_json_get_array (JsonObject *object,
                     const char *path,
                     const char *member,
                     gboolean    required,
                     JsonArray **out,
                     GError    **error)
{
  JsonNode *node;

  if (!lookup (object, path, member, required, JSON_NODE_ARRAY, G_TYPE_INVALID, _ ("an array"),
               &node, error))
    return FALSE;
  *out = node != NULL ? json_node_get_array (node) : NULL;
  return TRUE;
}

char *
till_json_to_string (JsonNode *node, gboolean pretty)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, pretty);
  return json_generator_to_data (generator, NULL);
}
