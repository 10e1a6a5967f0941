/* till-error-message.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-cart-model.h"
#include "till-client.h"
#include "till-error-message.h"

static TillErrorMessage *
message_new (TillNextStep kind, const char *title, const char *next_step)
{
  TillErrorMessage *message = g_new0 (TillErrorMessage, 1);

  message->kind = kind;
  message->title = g_strdup (title);
  message->next_step = g_strdup (next_step);
  return message;
}

TillErrorMessage *
till_error_message_new (const GError *error)
{
  if (error == NULL)
    return message_new (TILL_NEXT_STEP_RETRY, _ ("Something went wrong."), _ ("Try again."));

  g_debug ("Explaining error: %s (%s %d)", error->message, g_quark_to_string (error->domain),
           error->code);

  if (error->domain == TILL_CLIENT_ERROR)
    {
      switch ((TillClientError) error->code)
        {
          case TILL_CLIENT_ERROR_NOT_CONFIGURED:
            return message_new (TILL_NEXT_STEP_ASK_ADMIN,
                                _ ("This till is not connected to a server yet."),
                                _ ("Ask an admin to enter the server address and terminal token."));
          case TILL_CLIENT_ERROR_NETWORK:
            return message_new (TILL_NEXT_STEP_CHECK_CONNECTION,
                                _ ("The server cannot be reached."),
                                _ ("Check the network cable or Wi-Fi. Till keeps trying by itself; "
                                   "nothing in the cart is lost."));
          case TILL_CLIENT_ERROR_TIMEOUT:
            return message_new (
                TILL_NEXT_STEP_RETRY, _ ("The server did not answer in time."),
                _ ("Press Charge again: it is safe, the customer will not be charged twice."));
          case TILL_CLIENT_ERROR_CERTIFICATE:
            return message_new (TILL_NEXT_STEP_ASK_ADMIN,
                                _ ("The server’s identity could not be confirmed."),
                                _ ("Do not go on. Ask an admin to compare the server’s certificate "
                                   "fingerprint."));
          case TILL_CLIENT_ERROR_UNAUTHORIZED:
            return message_new (TILL_NEXT_STEP_ASK_ADMIN,
                                _ ("The server does not accept this till."),
                                _ ("Ask an admin for a new terminal token."));
          case TILL_CLIENT_ERROR_FORBIDDEN:
            return message_new (TILL_NEXT_STEP_ASK_ADMIN,
                                _ ("This till is not allowed to do that."), _ ("Ask an admin."));
          case TILL_CLIENT_ERROR_NOT_FOUND:
            return message_new (TILL_NEXT_STEP_FIX_INPUT, _ ("The server does not know this item."),
                                _ ("Check the item, or ask an admin to add it to the catalog."));
          case TILL_CLIENT_ERROR_ORDER_CANCELED:
          case TILL_CLIENT_ERROR_REFERENCE_CONFLICT:
            /* Only when the checkout with a new reference failed the same way. */
            return message_new (TILL_NEXT_STEP_RETRY, _ ("The server did not take this sale."),
                                _ ("Press Charge again: nothing was charged."));
          case TILL_CLIENT_ERROR_CONFLICT:
          case TILL_CLIENT_ERROR_INVALID_REQUEST:
            return message_new (TILL_NEXT_STEP_FIX_INPUT, _ ("The server refused this cart."),
                                _ ("Check the items and discounts, then try again. If it happens "
                                   "again, ask an admin."));
          case TILL_CLIENT_ERROR_PAYMENT_PROVIDER:
            /* The server answers: it is Stripe, behind it, that does not. */
            return message_new (TILL_NEXT_STEP_RETRY,
                                _ ("The card payment service is not answering."),
                                _ ("Try again in a moment: the customer is not charged twice."));
          case TILL_CLIENT_ERROR_SERVER:
            return message_new (TILL_NEXT_STEP_RETRY, _ ("The server has a problem."),
                                _ ("Try again in a moment. If it keeps happening, ask an admin."));
          case TILL_CLIENT_ERROR_STORAGE_FULL:
            return message_new (TILL_NEXT_STEP_ASK_ADMIN, _ ("The server’s disk is full."),
                                _ ("Tell your manager."));
          case TILL_CLIENT_ERROR_BAD_RESPONSE:
            return message_new (
                TILL_NEXT_STEP_ASK_ADMIN, _ ("The server sent an answer Till does not understand."),
                _ ("Ask an admin to check that the server and Till are up to date."));
          default:
            break;
        }
    }

  if (error->domain == TILL_CART_MODEL_ERROR)
    return message_new (TILL_NEXT_STEP_FIX_INPUT, error->message, _ ("Change it and try again."));

  if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_NO_SPACE)
    return message_new (TILL_NEXT_STEP_ASK_ADMIN, _ ("The disk is full: carts cannot be saved."),
                        _ ("Ask an admin to free some space."));

  return message_new (TILL_NEXT_STEP_RETRY, _ ("Something went wrong."),
                      _ ("Try again. If it happens again, ask an admin."));
}

static gboolean
is_this_computer (const char *server_url)
{
  g_autoptr (GUri) uri = server_url ? g_uri_parse (server_url, G_URI_FLAGS_NONE, NULL) : NULL;
  g_autoptr (GInetAddress) address = NULL;
  const char *host = uri ? g_uri_get_host (uri) : NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_has_suffix (host, ".localhost"))
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/**
 * till_error_message_new_for_server:
 * @server_url: (nullable): the server the error came from
 *
 * As till_error_message_new(), but a server on this computer (a loopback address) that
 * cannot be reached is not a matter of cables or Wi-Fi: the server program is not running.
 */
TillErrorMessage *
till_error_message_new_for_server (const GError *error, const char *server_url)
{
  if (g_error_matches (error, TILL_CLIENT_ERROR, TILL_CLIENT_ERROR_NETWORK) &&
      is_this_computer (server_url))
    return message_new (TILL_NEXT_STEP_CHECK_CONNECTION,
                        _ ("The server on this computer is not answering."),
                        _ ("Start the Till server again, or ask an admin. Till keeps trying by "
                           "itself; nothing in the cart is lost."));
  return till_error_message_new (error);
}

void
till_error_message_free (TillErrorMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->title);
  g_free (message->next_step);
  g_free (message);
}
