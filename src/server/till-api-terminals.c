/* till-api-terminals.c: a kiosk terminal's policy, read by the kiosk in its configuration
 * and changed by an admin terminal.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The kiosk checks its attendant's PIN itself, against the salted hash the configuration
 * carries: an attendant must be able to leave kiosk mode while the server is out of reach,
 * and the kiosk locks its PIN pad after wrong PINs. A server-side check would need the
 * network to leave. The hash goes only to the kiosk it belongs to, whose token is on that
 * machine anyway.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-api-private.h"
#include "till-kiosk-policies.h"
#include "till-pin.h"

static void
add_base64 (JsonBuilder *builder, const char *member, GBytes *bytes)
{
  g_autofree char *text =
      g_base64_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, text);
}

/* The members of a policy's object. With @with_hash the PIN's salt and hash, for the kiosk
 * itself; else only whether there is one. */
static void
add_policy_members (JsonBuilder *builder, const TillKioskPolicy *policy, gboolean with_hash)
{
  json_builder_set_member_name (builder, "idle_timeout");
  json_builder_add_int_value (builder, policy->idle_timeout);
  json_builder_set_member_name (builder, "countdown");
  json_builder_add_int_value (builder, policy->countdown);
  json_builder_set_member_name (builder, "tenders");
  json_builder_begin_array (builder);
  for (guint i = 0; policy->tenders[i] != NULL; i++)
    json_builder_add_string_value (builder, policy->tenders[i]);
  json_builder_end_array (builder);
  if (!with_hash)
    {
      json_builder_set_member_name (builder, "pin_set");
      json_builder_add_boolean_value (builder, policy->pin_hash != NULL);
      return;
    }
  json_builder_set_member_name (builder, "pin");
  if (policy->pin_hash == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "algorithm");
  json_builder_add_string_value (builder, "pbkdf2-sha256");
  add_base64 (builder, "salt", policy->pin_salt);
  add_base64 (builder, "hash", policy->pin_hash);
  json_builder_set_member_name (builder, "iterations");
  json_builder_add_int_value (builder, policy->pin_iterations);
  json_builder_end_object (builder);
}

void
till_api_add_kiosk_policy (TillApi *self, JsonBuilder *builder, const TillTerminal *terminal)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillKioskPolicy) policy = NULL;

  json_builder_set_member_name (builder, "kiosk");
  if (terminal->role != TILL_ROLE_KIOSK)
    {
      json_builder_add_null_value (builder);
      return;
    }
  /* Unreadable, the defaults: still a kiosk, locked down, with no way out but the PIN the
   * next configuration brings. */
  policy = till_kiosk_policy_load (self->db, terminal->id, &error);
  if (policy == NULL)
    {
      g_message ("Cannot read the policy of kiosk %" G_GINT64_FORMAT ": %s", terminal->id,
                 error->message);
      policy = till_kiosk_policy_new (terminal->id);
    }
  json_builder_begin_object (builder);
  add_policy_members (builder, policy, TRUE);
  json_builder_end_object (builder);
}

static void
send_policy (SoupServerMessage *msg, const TillTerminal *terminal, const TillKioskPolicy *policy)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, terminal->id);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, terminal->name);
  add_policy_members (builder, policy, FALSE);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  till_api_send_json (msg, SOUP_STATUS_OK, root);
}

typedef struct
{
  TillTerminal    *terminal; /* whose policy */
  TillKioskPolicy *policy;
  char            *pin;
} PolicyChange;

static void
policy_change_free (PolicyChange *change)
{
  till_terminal_free (change->terminal);
  till_kiosk_policy_free (change->policy);
  if (change->pin != NULL)
    memset (change->pin, 0, strlen (change->pin));
  g_free (change->pin);
  g_free (change);
}

/* The PIN's hash is slow on purpose: made on a thread, the loop goes on serving. */
static void
hash_pin_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  PolicyChange *change = task_data;
  GError       *error = NULL;

  if (till_kiosk_policy_set_pin (change->policy, change->pin, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
save_and_answer (TillApi *self, SoupServerMessage *msg, PolicyChange *change)
{
  g_autoptr (GError) error = NULL;

  if (!till_kiosk_policy_save (self->db, change->policy, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  g_message ("Policy of kiosk %" G_GINT64_FORMAT " changed", change->terminal->id);
  send_policy (msg, change->terminal, change->policy);
}

static void
on_pin_hashed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillApi      *self = TILL_API (source);
  PolicyChange *change = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupServerMessage) msg = till_api_call_take_message (user_data);

  if (msg == NULL)
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    till_api_send_error (msg, error);
  else
    save_and_answer (self, msg, change);
}

/* @object's changes to change->policy; a "pin" to hash goes to change->pin. */
static gboolean
read_policy_change (JsonObject *object, PolicyChange *change, GError **error)
{
  static const char *allowed[] = { "idle_timeout", "countdown", "tenders", "pin", NULL };
  JsonArray         *tenders = NULL;
  g_autoptr (GError) local = NULL;
  gint64 idle_timeout = change->policy->idle_timeout;
  gint64 countdown = change->policy->countdown;

  if (!till_json_check_members (object, "", allowed, error) ||
      !till_json_get_int (object, "", "idle_timeout", FALSE, TILL_KIOSK_IDLE_TIMEOUT_MIN,
                          TILL_KIOSK_IDLE_TIMEOUT_MAX, &idle_timeout, error) ||
      !till_json_get_int (object, "", "countdown", FALSE, TILL_KIOSK_COUNTDOWN_MIN,
                          TILL_KIOSK_COUNTDOWN_MAX, &countdown, error) ||
      !till_json_get_array (object, "", "tenders", FALSE, &tenders, error) ||
      !till_json_get_string (object, "", "pin", FALSE, 12, &change->pin, error))
    return FALSE;
  change->policy->idle_timeout = idle_timeout;
  change->policy->countdown = countdown;
  if (tenders != NULL)
    {
      g_autoptr (GStrvBuilder) names = g_strv_builder_new ();
      g_auto (GStrv) list = NULL;

      for (guint i = 0; i < json_array_get_length (tenders); i++)
        {
          JsonNode *node = json_array_get_element (tenders, i);

          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
            {
              g_set_error (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_REQUEST,
                           _ ("tenders: a list of names"));
              return FALSE;
            }
          g_strv_builder_add (names, json_node_get_string (node));
        }
      list = g_strv_builder_end (names);
      if (!till_kiosk_policy_set_tenders (change->policy, (const char *const *) list, &local))
        {
          g_set_error_literal (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_REQUEST,
                               local->message);
          return FALSE;
        }
    }
  /* "pin": null takes the PIN away (the kiosk then cannot be left); absent leaves it. */
  if (change->pin == NULL && json_object_has_member (object, "pin"))
    return till_kiosk_policy_set_pin (change->policy, NULL, error);
  if (change->pin != NULL && !till_pin_is_valid (change->pin))
    {
      g_set_error_literal (error, TILL_API_ERROR, TILL_API_ERROR_INVALID_REQUEST,
                           _ ("An attendant PIN is 4 to 12 digits"));
      return FALSE;
    }
  return TRUE;
}

void
till_api_handle_terminal_policy (TillApi           *self,
                                 SoupServerMessage *msg,
                                 const char        *method,
                                 const char        *id_text,
                                 TillTerminal      *terminal)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GTask) task = NULL;
  PolicyChange *change;
  gint64        id;

  if (!till_api_require_admin (msg, terminal))
    return;
  change = g_new0 (PolicyChange, 1);
  if (!till_api_parse_id (id_text, &id) ||
      (change->terminal = till_terminals_find (self->db, id_text, NULL)) == NULL ||
      change->terminal->role != TILL_ROLE_KIOSK)
    {
      policy_change_free (change);
      till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND, _ ("No such kiosk terminal"));
      return;
    }
  change->policy = till_kiosk_policy_load (self->db, id, &error);
  if (change->policy == NULL)
    {
      policy_change_free (change);
      till_api_send_error (msg, error);
      return;
    }
  if (g_str_equal (method, "GET"))
    {
      send_policy (msg, change->terminal, change->policy);
      policy_change_free (change);
      return;
    }
  object = till_api_read_json_body (msg, &error);
  if (object == NULL || !read_policy_change (object, change, &error))
    {
      policy_change_free (change);
      till_api_send_error (msg, error);
      return;
    }
  if (change->pin == NULL)
    {
      save_and_answer (self, msg, change);
      policy_change_free (change);
      return;
    }
  task = g_task_new (self, NULL, on_pin_hashed, till_api_call_new (self, msg));
  g_task_set_task_data (task, change, (GDestroyNotify) policy_change_free);
  g_task_run_in_thread (task, hash_pin_thread);
}
