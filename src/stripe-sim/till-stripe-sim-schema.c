/* till-stripe-sim-schema.c: validate requests against Stripe's OpenAPI subset.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The subset (assets/openapi-subset.json, cut from Stripe's public spec) is compiled into
 * the GResource, merged with assets/openapi-overlay.json (raw card parameters, /v1/events,
 * capture) and walked for every request: unknown parameters, wrong types, enums, lengths and
 * required members give the errors Stripe gives, with "param" naming the parameter as it
 * was sent ("payment_method_data[card][number]").
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "till-stripe-sim-schema-private.h"

#define RESOURCE_PREFIX "/io/github/tillpos/Till/stripe-sim/"

static JsonNode *spec_root;

static JsonObject *
object_member (JsonObject *object, const char *name)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

static JsonObject *
lookup_operation (const char *method, const char *path_template)
{
  JsonObject *paths = object_member (json_node_get_object (spec_root), "paths");

  return object_member (object_member (paths, path_template), method);
}

static JsonObject *
body_schema (JsonObject *operation)
{
  JsonObject *content = object_member (object_member (operation, "requestBody"), "content");

  return object_member (object_member (content, "application/x-www-form-urlencoded"), "schema");
}

static JsonNode *
load_resource_json (const char *name, GError **error)
{
  g_autofree char *path = g_strconcat (RESOURCE_PREFIX, name, NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  gsize       length;
  const char *data;

  bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &length);
  if (!json_parser_load_from_data (parser, data, length, error))
    return NULL;
  return json_node_copy (json_parser_get_root (parser));
}

static gboolean
merge_overlay (JsonNode *spec, JsonNode *overlay, GError **error)
{
  JsonObject *ov = json_node_get_object (overlay);
  JsonObject *paths = object_member (json_node_get_object (spec), "paths");
  JsonObject *card = object_member (ov, "payment_method_data_card");
  JsonNode   *ops = json_object_get_member (ov, "card_operations");
  JsonObject *new_paths = object_member (ov, "paths");
  JsonNode   *moto_ops = json_object_get_member (ov, "moto_operations");
  g_autoptr (GList) names = NULL;

  if (paths == NULL || card == NULL || ops == NULL || !JSON_NODE_HOLDS_ARRAY (ops) ||
      moto_ops == NULL || !JSON_NODE_HOLDS_ARRAY (moto_ops) || new_paths == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the OpenAPI overlay is malformed");
      return FALSE;
    }

  for (guint i = 0; i < json_array_get_length (json_node_get_array (ops)); i++)
    {
      JsonArray  *op = json_array_get_array_element (json_node_get_array (ops), i);
      JsonObject *operation =
          object_member (object_member (paths, json_array_get_string_element (op, 1)),
                         json_array_get_string_element (op, 0));
      JsonObject *pmd = object_member (object_member (body_schema (operation), "properties"),
                                       "payment_method_data");
      JsonObject *props = object_member (pmd, "properties");

      if (props == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no payment_method_data in %s",
                       json_array_get_string_element (op, 1));
          return FALSE;
        }
      json_object_set_object_member (props, "card", json_object_ref (card));
    }

  /* payment_method_options[card][moto]: a boolean, on confirmation only. Whether the
   * account may send it is the state's business (till_sim_state_set_moto_enabled ()). */
  for (guint i = 0; i < json_array_get_length (json_node_get_array (moto_ops)); i++)
    {
      JsonArray  *op = json_array_get_array_element (json_node_get_array (moto_ops), i);
      JsonObject *operation =
          object_member (object_member (paths, json_array_get_string_element (op, 1)),
                         json_array_get_string_element (op, 0));
      JsonObject *pmo = object_member (object_member (body_schema (operation), "properties"),
                                       "payment_method_options");
      JsonObject *card_options = object_member (object_member (pmo, "properties"), "card");
      JsonNode   *any_of = card_options ? json_object_get_member (card_options, "anyOf") : NULL;
      JsonObject *props = NULL;
      JsonObject *moto;

      if (any_of != NULL && JSON_NODE_HOLDS_ARRAY (any_of) &&
          json_array_get_length (json_node_get_array (any_of)) > 0)
        props = object_member (json_array_get_object_element (json_node_get_array (any_of), 0),
                               "properties");
      if (props == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "no payment_method_options[card] in %s",
                       json_array_get_string_element (op, 1));
          return FALSE;
        }
      moto = json_object_new ();
      json_object_set_string_member (moto, "type", "boolean");
      json_object_set_object_member (props, "moto", moto);
    }

  names = json_object_get_members (new_paths);
  for (GList *l = names; l != NULL; l = l->next)
    json_object_set_member (paths, l->data,
                            json_node_copy (json_object_get_member (new_paths, l->data)));
  return TRUE;
}

gboolean
till_sim_schema_ensure (GError **error)
{
  static gsize   initialized;
  static GError *load_error;

  if (g_once_init_enter (&initialized))
    {
      g_autoptr (JsonNode) spec = load_resource_json ("openapi-subset.json", &load_error);
      g_autoptr (JsonNode) overlay = NULL;

      if (spec != NULL)
        overlay = load_resource_json ("openapi-overlay.json", &load_error);
      if (overlay != NULL && merge_overlay (spec, overlay, &load_error))
        spec_root = g_steal_pointer (&spec);
      g_once_init_leave (&initialized, 1);
    }

  if (spec_root == NULL)
    {
      if (error != NULL)
        *error = g_error_copy (load_error);
      return FALSE;
    }
  return TRUE;
}

/* --- validation --------------------------------------------------------------------- */

static TillSimReply *validate_node (JsonObject *schema, JsonNode *node, const char *name);

static TillSimReply *invalid (const char *code, const char *name, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static TillSimReply *
invalid (const char *code, const char *name, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  return till_sim_reply_error (400, "invalid_request_error", code, name, "%s", message);
}

static const char *
node_kind (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "array";
  return "string";
}

static gboolean
schema_allows_empty (JsonObject *schema)
{
  JsonNode *enum_node = json_object_get_member (schema, "enum");

  if (enum_node == NULL || !JSON_NODE_HOLDS_ARRAY (enum_node))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (enum_node)); i++)
    {
      JsonNode *value = json_array_get_element (json_node_get_array (enum_node), i);

      if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING &&
          g_strcmp0 (json_node_get_string (value), "") == 0)
        return TRUE;
    }
  return FALSE;
}

static TillSimReply *
validate_any_of (JsonArray *branches, JsonNode *node, const char *name)
{
  TillSimReply *first_error = NULL;
  TillSimReply *kind_error = NULL;

  for (guint i = 0; i < json_array_get_length (branches); i++)
    {
      JsonObject   *branch = json_array_get_object_element (branches, i);
      const char   *type = json_object_get_string_member_with_default (branch, "type", NULL);
      TillSimReply *error = validate_node (branch, node, name);

      if (error == NULL)
        {
          g_clear_pointer (&first_error, till_sim_reply_free);
          g_clear_pointer (&kind_error, till_sim_reply_free);
          return NULL;
        }

      /* Report the error of the branch that has the node's shape, if any. */
      if (kind_error == NULL && type != NULL &&
          (g_strcmp0 (type, node_kind (node)) == 0 ||
           (JSON_NODE_HOLDS_VALUE (node) && !schema_allows_empty (branch) &&
            g_strcmp0 (type, "object") != 0 && g_strcmp0 (type, "array") != 0)))
        kind_error = error;
      else if (first_error == NULL)
        first_error = error;
      else
        till_sim_reply_free (error);
    }

  if (kind_error != NULL)
    {
      g_clear_pointer (&first_error, till_sim_reply_free);
      return kind_error;
    }
  return first_error;
}

static TillSimReply *
validate_object (JsonObject *schema, JsonNode *node, const char *name)
{
  JsonObject *properties = object_member (schema, "properties");
  JsonNode   *additional = json_object_get_member (schema, "additionalProperties");
  JsonNode   *required = json_object_get_member (schema, "required");
  g_autoptr (GList) members = NULL;
  JsonObject *object;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      if (JSON_NODE_HOLDS_VALUE (node) && g_strcmp0 (json_node_get_string (node), "") == 0 &&
          name != NULL)
        return invalid ("parameter_invalid_empty", name,
                        "You passed an empty string for '%s'. We assume empty values are an "
                        "attempt to unset a parameter; however '%s' cannot be unset. You "
                        "should remove '%s' from your request or supply a non-empty value.",
                        name, name, name);
      return invalid ("parameter_invalid", name, "Invalid object");
    }

  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char      *key = l->data;
      g_autofree char *child_name = name ? g_strdup_printf ("%s[%s]", name, key) : g_strdup (key);
      JsonObject      *child_schema = object_member (properties, key);
      JsonNode        *child = json_object_get_member (object, key);
      TillSimReply    *error;

      if (child_schema == NULL)
        {
          if (additional != NULL && JSON_NODE_HOLDS_OBJECT (additional))
            child_schema = json_node_get_object (additional);
          else if (additional != NULL && JSON_NODE_HOLDS_VALUE (additional) &&
                   json_node_get_boolean (additional))
            continue;
          else
            return invalid ("parameter_unknown", child_name, "Received unknown parameter: %s",
                            child_name);
        }

      error = validate_node (child_schema, child, child_name);
      if (error != NULL)
        return error;
    }

  if (required != NULL && JSON_NODE_HOLDS_ARRAY (required))
    {
      JsonArray *list = json_node_get_array (required);

      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          const char *key = json_array_get_string_element (list, i);

          if (key != NULL && !json_object_has_member (object, key))
            {
              g_autofree char *child_name =
                  name ? g_strdup_printf ("%s[%s]", name, key) : g_strdup (key);

              return invalid ("parameter_missing", child_name, "Missing required param: %s.",
                              child_name);
            }
        }
    }

  return NULL;
}

static gboolean
parse_integer (const char *text)
{
  char *end = NULL;

  if (text == NULL || *text == '\0' || g_ascii_isspace (*text))
    return FALSE;
  errno = 0;
  g_ascii_strtoll (text, &end, 10);
  return errno == 0 && end != NULL && *end == '\0';
}

static TillSimReply *
validate_string (JsonObject *schema, const char *value, const char *name)
{
  JsonNode *enum_node = json_object_get_member (schema, "enum");
  gint64    max_length = json_object_get_int_member_with_default (schema, "maxLength", -1);

  if (max_length >= 0 && (gint64) g_utf8_strlen (value, -1) > max_length)
    {
      g_autofree char *start = g_utf8_substring (value, 0, 20);

      return invalid ("parameter_invalid_string", name,
                      "Invalid string: %s...; must be at most %" G_GINT64_FORMAT " characters",
                      start, max_length);
    }

  if (enum_node != NULL && JSON_NODE_HOLDS_ARRAY (enum_node) &&
      !json_object_get_boolean_member_with_default (schema, "x-stripeBypassValidation", FALSE))
    {
      JsonArray *values = json_node_get_array (enum_node);
      guint      n = json_array_get_length (values);
      g_autoptr (GString) list = NULL;

      for (guint i = 0; i < n; i++)
        if (g_strcmp0 (json_array_get_string_element (values, i), value) == 0)
          return NULL;

      list = g_string_new (NULL);
      for (guint i = 0; i < n; i++)
        {
          if (i > 0)
            g_string_append (list, i + 1 == n ? (n > 2 ? ", or " : " or ") : ", ");
          g_string_append (list, json_array_get_string_element (values, i));
        }
      return invalid (NULL, name, "Invalid %s: must be one of %s", name, list->str);
    }

  return NULL;
}

static TillSimReply *
validate_node (JsonObject *schema, JsonNode *node, const char *name)
{
  JsonNode   *any_of = json_object_get_member (schema, "anyOf");
  const char *type = json_object_get_string_member_with_default (schema, "type", NULL);

  if (any_of != NULL && JSON_NODE_HOLDS_ARRAY (any_of))
    return validate_any_of (json_node_get_array (any_of), node, name);

  if (type == NULL)
    return NULL;

  if (g_str_equal (type, "object"))
    return validate_object (schema, node, name);

  if (g_str_equal (type, "array"))
    {
      JsonObject *items = object_member (schema, "items");
      JsonArray  *array;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        return invalid ("parameter_invalid", name, "Invalid array");
      array = json_node_get_array (node);
      for (guint i = 0; items != NULL && i < json_array_get_length (array); i++)
        {
          g_autofree char *child_name = g_strdup_printf ("%s[%u]", name, i);
          TillSimReply    *error =
              validate_node (items, json_array_get_element (array, i), child_name);

          if (error != NULL)
            return error;
        }
      return NULL;
    }

  /* Scalars arrive as strings. */
  if (!JSON_NODE_HOLDS_VALUE (node))
    {
      if (g_str_equal (type, "string"))
        return invalid ("parameter_invalid", name,
                        "Invalid string: a hash or an array was "
                        "given for %s",
                        name);
      return invalid ("parameter_invalid", name,
                      "Invalid %s: a hash or an array was given "
                      "for %s",
                      type, name);
    }

  if (g_str_equal (type, "integer"))
    {
      const char *value = json_node_get_string (node);

      if (!parse_integer (value))
        return invalid ("parameter_invalid_integer", name, "Invalid integer: %s", value);
      return NULL;
    }

  if (g_str_equal (type, "boolean"))
    {
      const char *value = json_node_get_string (node);

      if (g_strcmp0 (value, "true") != 0 && g_strcmp0 (value, "false") != 0)
        return invalid ("parameter_invalid_boolean", name, "Invalid boolean: %s", value);
      return NULL;
    }

  if (g_str_equal (type, "number"))
    {
      const char *value = json_node_get_string (node);
      char       *end = NULL;

      g_ascii_strtod (value, &end);
      if (*value == '\0' || end == NULL || *end != '\0')
        return invalid ("parameter_invalid", name, "Invalid number: %s", value);
      return NULL;
    }

  if (g_str_equal (type, "string"))
    return validate_string (schema, json_node_get_string (node), name);

  return NULL;
}

TillSimReply *
till_sim_schema_validate (const char *method, const char *path_template, JsonNode *params)
{
  g_autoptr (GError) error = NULL;
  JsonObject *operation;

  if (!till_sim_schema_ensure (&error))
    return till_sim_reply_error (500, "api_error", NULL, NULL,
                                 "The simulator's API description is broken: %s", error->message);

  operation = lookup_operation (method, path_template);
  if (operation == NULL)
    return till_sim_reply_error (500, "api_error", NULL, NULL, "No API description for %s %s",
                                 method, path_template);

  if (g_str_equal (method, "get"))
    {
      /* Query parameters are listed one by one under "parameters". */
      JsonNode   *list = json_object_get_member (operation, "parameters");
      JsonObject *object = json_node_get_object (params);
      g_autoptr (GList) members = json_object_get_members (object);

      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonObject   *schema = NULL;
          TillSimReply *reply;

          for (guint i = 0; list != NULL && i < json_array_get_length (json_node_get_array (list));
               i++)
            {
              JsonObject *param = json_array_get_object_element (json_node_get_array (list), i);

              if (g_strcmp0 (json_object_get_string_member_with_default (param, "in", ""),
                             "query") == 0 &&
                  g_strcmp0 (json_object_get_string_member_with_default (param, "name", ""),
                             l->data) == 0)
                schema = object_member (param, "schema");
            }
          if (schema == NULL)
            return invalid ("parameter_unknown", l->data, "Received unknown parameter: %s",
                            (const char *) l->data);
          reply = validate_node (schema, json_object_get_member (object, l->data), l->data);
          if (reply != NULL)
            return reply;
        }
      return NULL;
    }

  {
    JsonObject *schema = body_schema (operation);

    if (schema == NULL)
      return NULL;
    return validate_node (schema, params, NULL);
  }
}
