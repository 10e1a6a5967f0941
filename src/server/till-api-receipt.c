/* till-api-receipt.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GET /r/{token}: an order's receipt as a small HTML page, for the QR code on the paper
 * receipt. No terminal token: the page's own token, 128 random bits made with the order, is
 * what lets its holder read it. It shows what the paper shows (the card's brand and last 4
 * digits at most), and is never cached, indexed or sent on as a referrer.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "till-api-private.h"
#include "till-core.h"
#include "till-orders.h"

#define RECEIPT_TOKEN_LENGTH 22 /* till_database_new_receipt_token () */

static gboolean
looks_like_token (const char *token)
{
  if (strlen (token) != RECEIPT_TOKEN_LENGTH)
    return FALSE;
  for (const char *p = token; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static char *
render_page (const TillServerConfig *config, const TillOrder *order)
{
  TillReceiptOptions options = {
    .store_name = config->store_name,
    .store_address = config->store_address,
    .store_tax_id = config->store_tax_id,
    .prices_include_tax = config->prices_include_tax,
    .training = config->training,
  };
  g_autofree char *text = till_receipt_format_full (order, &options);
  g_autofree char *title = g_strdup_printf (_ ("Receipt %s"), order->number);
  g_autofree char *title_html = g_markup_escape_text (title, -1);
  g_autofree char *text_html = g_markup_escape_text (text, -1);

  return g_strdup_printf ("<!DOCTYPE html>\n"
                          "<html><head><meta charset=\"utf-8\">"
                          "<meta name=\"viewport\" content=\"width=device-width\">"
                          "<meta name=\"robots\" content=\"noindex\">"
                          "<title>%s</title></head>\n"
                          "<body><pre>%s</pre></body></html>\n",
                          title_html, text_html);
}

void
till_api_handle_receipt_page (TillApi *self, SoupServerMessage *msg, const char *token)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillOrder) order = NULL;
  g_autofree char    *page = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gint64              id = 0;

  if (looks_like_token (token))
    id = till_orders_find_by_receipt_token (self->db, token, &error);
  if (id < 0)
    {
      till_api_send_error (msg, error);
      return;
    }
  if (id == 0 || (order = till_orders_get (self->db, id, &error)) == NULL)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND, _ ("No such receipt"));
      return;
    }
  page = render_page (self->config, order);
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                "default-src 'none'; base-uri 'none'; form-action 'none';"
                                " frame-ancestors 'none'");
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Robots-Tag", "noindex");
  if (self->config->tls_certificate != NULL || self->config->behind_proxy)
    soup_message_headers_replace (headers, "Strict-Transport-Security", "max-age=31536000");
  till_api_send_text (msg, SOUP_STATUS_OK, "text/html; charset=utf-8", page, strlen (page));
}
