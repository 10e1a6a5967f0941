/* till-stripe-sim-pages.c: the Stripe.js stand-in's files and the 3-D Secure challenge.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * /v3/ serves stripe.js and the card form (HTML, JS, CSS from the GResource, see
 * assets/v3/). /sim/3ds/<intent>/<nonce> is the challenge page a requires_action intent
 * points at; POSTing …/complete or …/fail finishes it. Inside the stand-in's modal the page
 * answers with JSON; opened on its own it redirects to the intent's return_url as Stripe's
 * hosted pages do.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "till-currency.h"
#include "till-stripe-sim-pages-private.h"

#define RESOURCE_PREFIX "/io/github/tillpos/Till/stripe-sim/"

static const char *
content_type_for (const char *name)
{
  if (g_str_has_suffix (name, ".js"))
    return "application/javascript; charset=utf-8";
  if (g_str_has_suffix (name, ".html"))
    return "text/html; charset=utf-8";
  if (g_str_has_suffix (name, ".css"))
    return "text/css; charset=utf-8";
  return "application/octet-stream";
}

void
till_sim_pages_serve_asset (SoupServerMessage *msg, const char *path)
{
  g_autofree char *resource = NULL;
  g_autoptr (GBytes) bytes = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char         *name;

  if (g_str_equal (path, "/v3") || g_str_equal (path, "/v3/"))
    name = "v3/stripe.js";
  else
    name = path + 1;

  if (!g_str_equal (soup_server_message_get_method (msg), "GET") &&
      !g_str_equal (soup_server_message_get_method (msg), "HEAD"))
    {
      soup_server_message_set_status (msg, 405, NULL);
      return;
    }

  resource = g_strconcat (RESOURCE_PREFIX, name, NULL);
  bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (bytes == NULL || strstr (name, "..") != NULL)
    {
      soup_server_message_set_status (msg, 404, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "Not found\n",
                                        strlen ("Not found\n"));
      return;
    }

  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Access-Control-Allow-Origin", "*");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, content_type_for (name), SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* --- 3-D Secure challenge ----------------------------------------------------------- */

static char *
format_display_amount (gint64 amount, const char *currency)
{
  const TillCurrency *cur = till_currency_lookup (currency);
  int                 exponent = cur ? till_currency_get_stripe_exponent (cur) : 2;
  g_autofree char    *upper = g_ascii_strup (currency, -1);
  gint64              scale = 1;

  for (int i = 0; i < exponent; i++)
    scale *= 10;
  if (exponent == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " %s", amount, upper);
  return g_strdup_printf ("%" G_GINT64_FORMAT ".%0*" G_GINT64_FORMAT " %s", amount / scale,
                          exponent, amount % scale, upper);
}

static void
send_html (SoupServerMessage *msg, guint status, char *html)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE, html,
                                    strlen (html));
}

void
till_sim_pages_handle_challenge (TillSimState      *state,
                                 TillSimWebhooks   *webhooks,
                                 const char        *base_uri,
                                 SoupServerMessage *msg,
                                 const char        *path,
                                 const char        *request_id)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  guint          n = g_strv_length (parts);
  const char    *method = soup_server_message_get_method (msg);
  const char    *intent_id, *nonce;
  TillSimIntent *intent;

  /* "", "sim", "3ds", intent, nonce [, complete|fail] */
  if (n < 5 || n > 6)
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  intent_id = parts[3];
  nonce = parts[4];
  intent = till_sim_state_find_challenge (state, intent_id, nonce);

  if (n == 5 && g_str_equal (method, "GET"))
    {
      g_autofree char *amount = NULL;

      if (intent == NULL)
        {
          send_html (
              msg, 404,
              g_markup_printf_escaped ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                                       "<title>%s</title></head><body><p>%s</p></body></html>",
                                       _ ("Simulated 3-D Secure"),
                                       _ ("This authentication request is no longer valid.")));
          return;
        }
      amount = format_display_amount (intent->amount, intent->currency);
      send_html (msg, 200,
                 g_markup_printf_escaped (
                     "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width\">"
                     "<title>%s</title>"
                     "<link rel=\"stylesheet\" href=\"/v3/frame/challenge.css\"></head>\n"
                     "<body><main class=\"challenge\" data-intent=\"%s\">"
                     "<p class=\"badge\">%s</p>"
                     "<h1>%s</h1><p class=\"amount\">%s</p><p>%s</p>"
                     "<div class=\"buttons\">"
                     "<form method=\"post\" action=\"/sim/3ds/%s/%s/complete\">"
                     "<button id=\"complete\" type=\"submit\" class=\"complete\">%s</button></form>"
                     "<form method=\"post\" action=\"/sim/3ds/%s/%s/fail\">"
                     "<button id=\"fail\" type=\"submit\" class=\"fail\">%s</button></form>"
                     "</div></main>"
                     "<script src=\"/v3/frame/challenge.js\"></script></body></html>\n",
                     _ ("Simulated 3-D Secure — training"), intent->id,
                     _ ("Simulated 3-D Secure — training"), _ ("Confirm this payment"), amount,
                     _ ("This is a test authentication page. No real bank is involved."),
                     intent->id, nonce, _ ("Complete authentication"), intent->id, nonce,
                     _ ("Fail authentication")));
      return;
    }

  if (n == 6 && g_str_equal (method, "POST") &&
      (g_str_equal (parts[5], "complete") || g_str_equal (parts[5], "fail")))
    {
      g_autoptr (GPtrArray) events = g_ptr_array_new ();
      TillSimRequest request = {
        .base_uri = base_uri,
        .request_id = request_id,
        .events = events,
      };
      gboolean    authenticated = g_str_equal (parts[5], "complete");
      const char *accept =
          soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Accept");
      g_autofree char *return_url = intent ? g_strdup (intent->return_url) : NULL;
      g_autofree char *secret = intent ? g_strdup (intent->client_secret) : NULL;

      if (!till_sim_state_finish_challenge (state, &request, intent_id, nonce, authenticated))
        {
          till_sim_send_error (msg, 404, "invalid_request_error", "resource_missing", NULL,
                               "This authentication request is no longer valid.");
          return;
        }
      till_sim_webhooks_enqueue (webhooks, events, FALSE, FALSE);
      intent = till_sim_state_lookup_intent (state, intent_id);

      if (accept != NULL && strstr (accept, "application/json") != NULL)
        {
          g_autofree char *body = g_strdup_printf ("{\n  \"payment_intent\": \"%s\",\n"
                                                   "  \"status\": \"%s\"\n}\n",
                                                   intent->id, intent->status);
          g_autoptr (TillSimReply) reply = till_sim_reply_new_text (200, body);

          till_sim_reply_send (msg, reply);
          return;
        }

      if (return_url != NULL)
        {
          g_autofree char *escaped = g_uri_escape_string (secret, NULL, FALSE);
          g_autofree char *location =
              g_strdup_printf ("%s%spayment_intent=%s&payment_intent_client_secret=%s"
                               "&redirect_status=%s",
                               return_url, strchr (return_url, '?') ? "&" : "?", intent->id,
                               escaped, authenticated ? "succeeded" : "failed");

          soup_server_message_set_redirect (msg, 303, location);
          return;
        }

      send_html (msg, 200,
                 g_markup_printf_escaped ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                                          "<title>%s</title></head><body><p>%s</p></body></html>",
                                          _ ("Simulated 3-D Secure"),
                                          authenticated ? _ ("Authentication complete.")
                                                        : _ ("Authentication failed.")));
      return;
    }

  soup_server_message_set_status (msg, n == 5 ? 405 : 404, NULL);
}
