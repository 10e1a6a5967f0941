/* fuzz-json.c: libFuzzer target for Till's JSON reader (till-json-reader.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whatever the input, reading must not crash, and must fail with a TILL_JSON_ERROR. What it
 * accepts, JsonParser reads to the same tree; written out by JsonGenerator (without doubles),
 * it reads back to that tree; read for some members only, it is that tree without the others.
 */
#include "config.h"

#include <string.h>

#include "till-core.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static const char *const some_members[] = { "id", "a", "lines", "", NULL };

static JsonNode *
as_node (JsonObject *object)
{
  return json_node_init_object (json_node_alloc (), object);
}

/* JsonParser's reading of a text the reader accepted (so at most 128 levels deep: no risk of
 * JsonParser's unbounded recursion). */
static void
check_same_as_json_glib (const char *text, gsize length, JsonNode *mine)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, length, &error);
  g_assert_no_error (error);
  g_assert_true (json_node_equal (mine, json_parser_get_root (parser)));
}

/* JsonGenerator (json-glib 1.6) writes some doubles as no JSON at all: 2e52 as "2e+52.0". Till
 * writes no doubles (money is integers), so a tree with one is not written back. */
static gboolean
holds_double (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
      case JSON_NODE_OBJECT:
        {
          JsonObjectIter iter;
          JsonNode      *member;

          json_object_iter_init (&iter, json_node_get_object (node));
          while (json_object_iter_next (&iter, NULL, &member))
            if (holds_double (member))
              return TRUE;
          return FALSE;
        }
      case JSON_NODE_ARRAY:
        {
          JsonArray *array = json_node_get_array (node);

          for (guint i = 0; i < json_array_get_length (array); i++)
            if (holds_double (json_array_get_element (array, i)))
              return TRUE;
          return FALSE;
        }
      case JSON_NODE_VALUE:
        return json_node_get_value_type (node) == G_TYPE_DOUBLE;
      case JSON_NODE_NULL:
      default:
        return FALSE;
    }
}

static void
check_round_trip (JsonNode *mine)
{
  g_autofree char *written = till_json_to_string (mine, FALSE);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) again = till_json_parse_object (written, -1, &error);
  g_autoptr (JsonNode) node = NULL;

  g_assert_no_error (error);
  node = as_node (again);
  g_assert_true (json_node_equal (mine, node));
}

static void
check_some_members (const char *text, gsize length, JsonObject *all)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) some = till_json_parse_object_members (text, length, some_members, &error);
  g_autoptr (JsonNode) expected = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonNode) node = NULL;
  JsonObjectIter iter;
  const char    *name;
  JsonNode      *value;

  g_assert_no_error (error);
  json_node_take_object (expected, json_object_new ());
  json_object_iter_init (&iter, all);
  while (json_object_iter_next (&iter, &name, &value))
    if (g_strv_contains (some_members, name))
      json_object_set_member (json_node_get_object (expected), name, json_node_copy (value));
  node = as_node (some);
  g_assert_true (json_node_equal (node, expected));
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  const char *text = (const char *) data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (JsonNode) node = NULL;

  if (size > 64 * 1024)
    return 0;

  object = till_json_parse_object (text, size, &error);
  if (object == NULL)
    {
      g_autoptr (GError) some_error = NULL;
      g_autoptr (JsonObject) some = NULL;

      g_assert_nonnull (error);
      g_assert_true (error->domain == TILL_JSON_ERROR);
      g_assert_true (error->code == TILL_JSON_ERROR_SYNTAX || error->code == TILL_JSON_ERROR_TYPE);
      /* Reading fewer members is as strict, but for names twice in the members left out. */
      some = till_json_parse_object_members (text, size, some_members, &some_error);
      if (some == NULL)
        g_assert_true (some_error->domain == TILL_JSON_ERROR);
      else
        g_assert_nonnull (strstr (error->message, "duplicate member"));
      return 0;
    }

  node = as_node (object);
  check_same_as_json_glib (text, size, node);
  if (!holds_double (node))
    check_round_trip (node);
  check_some_members (text, size, object);
  return 0;
}
