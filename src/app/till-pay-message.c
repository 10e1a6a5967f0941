/* till-pay-message.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every message from the web view is untrusted input: the page could be broken, or a script
 * in it hostile. A message must have exactly the fields {type, status, payment_intent,
 * error} (and payment_method in a "payment_method" message, never elsewhere), known values,
 * and name the PaymentIntent in progress; anything else is dropped.
 * Even a valid "succeeded" only makes the app ask the server, which asks Stripe.
 */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "till-pay"

#include "config.h"

#include <string.h>

#include "till-core.h"
#include "till-pay-message.h"

/* The quark's name, dashes and all, becomes a string. */
/* clang-format off */
G_DEFINE_QUARK (till-pay-message-error-quark, till_pay_message_error)
/* clang-format on */

static const char *message_types[] = {
  [TILL_PAY_MESSAGE_LOADED] = "loaded",
  [TILL_PAY_MESSAGE_READY] = "ready",
  [TILL_PAY_MESSAGE_RESULT] = "result",
  [TILL_PAY_MESSAGE_LOAD_ERROR] = "load_error",
  [TILL_PAY_MESSAGE_PAYMENT_METHOD] = "payment_method",
};

static const char *intent_statuses[] = { "requires_payment_method",
                                         "requires_confirmation",
                                         "requires_action",
                                         "processing",
                                         "requires_capture",
                                         "canceled",
                                         "succeeded",
                                         NULL };

void
till_pay_message_free (TillPayMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->status);
  g_free (message->payment_intent);
  g_free (message->error_code);
  g_free (message->decline_code);
  g_free (message->error_message);
  g_free (message->payment_method);
  g_free (message);
}

/* "pi_" and 1..64 letters or digits, as Stripe's (and the simulator's) ids are. */
static gboolean
is_intent_id (const char *id)
{
  gsize len;

  if (!g_str_has_prefix (id, "pi_"))
    return FALSE;
  len = strlen (id + 3);
  if (len < 1 || len > 64)
    return FALSE;
  for (const char *p = id + 3; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p))
      return FALSE;
  return TRUE;
}

/* "pm_" and 1..200 letters, digits or "_", as the server's confirm route takes them. */
static gboolean
is_payment_method_id (const char *id)
{
  gsize len;

  if (!g_str_has_prefix (id, "pm_"))
    return FALSE;
  len = strlen (id + 3);
  if (len < 1 || len > 200)
    return FALSE;
  for (const char *p = id + 3; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
invalid (GError **error, const char *why)
{
  g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID, "%s", why);
  return FALSE;
}

/**
 * till_pay_message_parse:
 * @json: the message as JSON text
 * @payment_intent: (nullable): the PaymentIntent in progress, if any
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error set when it is
 *   malformed, has extra fields, or is about another PaymentIntent.
 */
TillPayMessage *
till_pay_message_parse (const char *json, const char *payment_intent, GError **error)
{
  static const char *members[] = { "type", "status", "payment_intent", "error", NULL };
  static const char *pm_members[] = { "type",  "status",         "payment_intent",
                                      "error", "payment_method", NULL };
  static const char *error_members[] = { "code", "decline_code", "message", NULL };
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (TillPayMessage) message = g_new0 (TillPayMessage, 1);
  g_autofree char *type = NULL;
  JsonObject      *error_object = NULL;
  guint            i;

  if (json == NULL || strlen (json) > 4096)
    {
      invalid (error, "message missing or too long");
      return NULL;
    }

  object = till_json_parse_object (json, -1, error);
  if (object == NULL || !till_json_check_members (object, NULL, pm_members, error) ||
      !till_json_get_string (object, NULL, "type", TRUE, 16, &type, error) ||
      !till_json_get_string (object, NULL, "status", FALSE, 32, &message->status, error) ||
      !till_json_get_string (object, NULL, "payment_intent", FALSE, 67, &message->payment_intent,
                             error) ||
      !till_json_get_object (object, NULL, "error", FALSE, &error_object, error) ||
      !till_json_get_string (object, NULL, "payment_method", FALSE, 204, &message->payment_method,
                             error))
    return NULL;

  /* Every field is always present (null when empty): a missing one means a forged message. */
  for (i = 0; members[i] != NULL; i++)
    if (!json_object_has_member (object, members[i]))
      {
        g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_MISSING, "missing field “%s”",
                     members[i]);
        return NULL;
      }

  for (i = 0; i < G_N_ELEMENTS (message_types); i++)
    if (g_strcmp0 (type, message_types[i]) == 0)
      break;
  if (i == G_N_ELEMENTS (message_types))
    {
      invalid (error, "unknown message type");
      return NULL;
    }
  message->type = i;

  /* A PaymentMethod id comes only in its own message, and always in it. */
  if (message->type == TILL_PAY_MESSAGE_PAYMENT_METHOD)
    {
      if (message->payment_method == NULL || !is_payment_method_id (message->payment_method))
        {
          invalid (error, "not a PaymentMethod id");
          return NULL;
        }
    }
  else if (json_object_has_member (object, "payment_method"))
    {
      invalid (error, "a PaymentMethod outside its message");
      return NULL;
    }

  if (message->status != NULL && !g_strv_contains (intent_statuses, message->status))
    {
      invalid (error, "unknown PaymentIntent status");
      return NULL;
    }
  if (message->type == TILL_PAY_MESSAGE_RESULT && message->status == NULL)
    {
      invalid (error, "a result without a status");
      return NULL;
    }
  if (message->type != TILL_PAY_MESSAGE_RESULT && message->status != NULL)
    {
      invalid (error, "a status outside a result");
      return NULL;
    }

  if (message->type == TILL_PAY_MESSAGE_LOADED)
    {
      if (message->payment_intent != NULL || error_object != NULL)
        {
          invalid (error, "a loaded message carries nothing");
          return NULL;
        }
      return g_steal_pointer (&message);
    }

  if (message->payment_intent == NULL || !is_intent_id (message->payment_intent))
    {
      invalid (error, "not a PaymentIntent id");
      return NULL;
    }
  if (payment_intent == NULL || strcmp (message->payment_intent, payment_intent) != 0)
    {
      g_set_error (error, TILL_PAY_MESSAGE_ERROR, TILL_PAY_MESSAGE_ERROR_OTHER_INTENT,
                   "not the PaymentIntent in progress");
      return NULL;
    }

  if (error_object != NULL)
    {
      if (message->type == TILL_PAY_MESSAGE_READY ||
          message->type == TILL_PAY_MESSAGE_PAYMENT_METHOD)
        {
          invalid (error, "this message carries no error");
          return NULL;
        }
      if (!till_json_check_members (error_object, "error", error_members, error) ||
          !till_json_get_string (error_object, "error", "code", FALSE, 64, &message->error_code,
                                 error) ||
          !till_json_get_string (error_object, "error", "decline_code", FALSE, 64,
                                 &message->decline_code, error) ||
          !till_json_get_string (error_object, "error", "message", FALSE, 500,
                                 &message->error_message, error))
        return NULL;
    }

  return g_steal_pointer (&message);
}
