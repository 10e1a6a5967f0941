/* till-kiosk-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-kiosk-config.h"
#include "till-pin.h"

#define IDLE_TIMEOUT_DEFAULT 60
#define COUNTDOWN_DEFAULT 20

TillKioskConfig *
till_kiosk_config_new (void)
{
  TillKioskConfig *config = g_new0 (TillKioskConfig, 1);

  config->idle_timeout = IDLE_TIMEOUT_DEFAULT;
  config->countdown = COUNTDOWN_DEFAULT;
  config->tenders = g_strsplit ("card", ",", -1);
  return config;
}

static gboolean
get_int (JsonObject *object, const char *member, gint64 min, gint64 max, gint64 *out)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;
  gint64    value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  value = json_node_get_int (node);
  if (value < min || value > max)
    return FALSE;
  *out = value;
  return TRUE;
}

static GBytes *
get_base64 (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);
  guchar   *data;
  gsize     length = 0;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  data = g_base64_decode (json_node_get_string (node), &length);
  if (length == 0)
    {
      g_free (data);
      return NULL;
    }
  return g_bytes_new_take (data, length);
}

TillKioskConfig *
till_kiosk_config_from_json (JsonObject *object)
{
  g_autoptr (TillKioskConfig) config = till_kiosk_config_new ();
  JsonNode *node;
  gint64    value;

  if (object == NULL)
    return g_steal_pointer (&config);
  if (get_int (object, "idle_timeout", 1, 24 * 3600, &value))
    config->idle_timeout = value;
  if (get_int (object, "countdown", 1, 3600, &value))
    config->countdown = value;
  node = json_object_get_member (object, "tenders");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
      guint n = 0;

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element) &&
              json_node_get_value_type (element) == G_TYPE_STRING)
            {
              g_strv_builder_add (builder, json_node_get_string (element));
              n++;
            }
        }
      if (n > 0)
        {
          g_strfreev (config->tenders);
          config->tenders = g_strv_builder_end (builder);
        }
    }
  node = json_object_get_member (object, "pin");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *pin = json_node_get_object (node);
      const char *algorithm = json_object_get_string_member_with_default (pin, "algorithm", "");

      if (g_str_equal (algorithm, "pbkdf2-sha256") &&
          get_int (pin, "iterations", 1, TILL_PIN_ITERATIONS_MAX, &value))
        {
          config->pin_salt = get_base64 (pin, "salt");
          config->pin_hash = get_base64 (pin, "hash");
          config->pin_iterations = value;
        }
      if (config->pin_salt == NULL || config->pin_hash == NULL)
        {
          g_clear_pointer (&config->pin_salt, g_bytes_unref);
          g_clear_pointer (&config->pin_hash, g_bytes_unref);
          g_message ("The kiosk's attendant PIN from the server is malformed: no PIN");
        }
    }
  return g_steal_pointer (&config);
}

TillKioskConfig *
till_kiosk_config_copy (const TillKioskConfig *config)
{
  TillKioskConfig *copy = g_new0 (TillKioskConfig, 1);

  copy->idle_timeout = config->idle_timeout;
  copy->countdown = config->countdown;
  copy->tenders = g_strdupv (config->tenders);
  copy->pin_salt = config->pin_salt != NULL ? g_bytes_ref (config->pin_salt) : NULL;
  copy->pin_hash = config->pin_hash != NULL ? g_bytes_ref (config->pin_hash) : NULL;
  copy->pin_iterations = config->pin_iterations;
  return copy;
}

void
till_kiosk_config_free (TillKioskConfig *config)
{
  if (config == NULL)
    return;
  g_strfreev (config->tenders);
  g_clear_pointer (&config->pin_salt, g_bytes_unref);
  g_clear_pointer (&config->pin_hash, g_bytes_unref);
  g_free (config);
}

static gboolean
bytes_equal (GBytes *a, GBytes *b)
{
  return (a == NULL && b == NULL) || (a != NULL && b != NULL && g_bytes_equal (a, b));
}

gboolean
till_kiosk_config_equal (const TillKioskConfig *a, const TillKioskConfig *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->idle_timeout == b->idle_timeout && a->countdown == b->countdown &&
         g_strv_equal ((const char *const *) a->tenders, (const char *const *) b->tenders) &&
         bytes_equal (a->pin_salt, b->pin_salt) && bytes_equal (a->pin_hash, b->pin_hash) &&
         a->pin_iterations == b->pin_iterations;
}

gboolean
till_kiosk_config_has_pin (const TillKioskConfig *config)
{
  return config != NULL && config->pin_hash != NULL;
}

gboolean
till_kiosk_config_check_pin (const TillKioskConfig *config, const char *pin)
{
  if (!till_kiosk_config_has_pin (config))
    return FALSE;
  return till_pin_verify (pin, g_bytes_get_data (config->pin_salt, NULL),
                          g_bytes_get_size (config->pin_salt), config->pin_iterations,
                          g_bytes_get_data (config->pin_hash, NULL),
                          g_bytes_get_size (config->pin_hash));
}

static void
add_base64 (JsonBuilder *builder, const char *member, GBytes *bytes)
{
  g_autofree char *text =
      g_base64_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, text);
}

char *
till_kiosk_config_to_json (const TillKioskConfig *config)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "idle_timeout");
  json_builder_add_int_value (builder, config->idle_timeout);
  json_builder_set_member_name (builder, "countdown");
  json_builder_add_int_value (builder, config->countdown);
  json_builder_set_member_name (builder, "tenders");
  json_builder_begin_array (builder);
  for (guint i = 0; config->tenders != NULL && config->tenders[i] != NULL; i++)
    json_builder_add_string_value (builder, config->tenders[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "pin");
  if (till_kiosk_config_has_pin (config))
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "algorithm");
      json_builder_add_string_value (builder, "pbkdf2-sha256");
      add_base64 (builder, "salt", config->pin_salt);
      add_base64 (builder, "hash", config->pin_hash);
      json_builder_set_member_name (builder, "iterations");
      json_builder_add_int_value (builder, config->pin_iterations);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}
