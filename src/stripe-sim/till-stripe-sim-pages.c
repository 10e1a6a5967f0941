/* till-stripe-sim-pages.c: the Stripe.js stand-in's files and the 3-D Secure challenge.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * /v3/ serves stripe.js and the card form (HTML, JS, CSS from the GResource, see
 * assets/v3/). The simulator answers on three origins, as live payments meet at least three:
 *
 * - its own (Stripe's: the API, js.stripe.com and hooks.stripe.com);
 * - the card issuer's (the bank's ACS, any HTTPS host in live mode), which serves the hidden
 *   "3DS method" page and the challenge, under /acs/;
 * - a fraud-signals origin (m.stripe.network in live mode), whose /inner.html Stripe.js
 *   nests inside a frame of its own.
 *
 * A bank redirect (iDEAL) points at /sim/redirect/<intent>/<nonce>, which sends the whole
 * window on to the issuer's origin's /bank/<intent>/<nonce>; its answer goes to …/complete or
 * …/fail below and the window on to the return_url.
 *
 * /sim/3ds/<intent>/<nonce> (the URL a requires_action intent points at) is Stripe's frame
 * around the challenge: it loads the issuer's method page hidden, then the issuer's
 * challenge in a frame of its own, as Stripe.js does for 3-D Secure 2 ("3DS2 browser flow",
 * stripe.com/docs/payments/3d-secure, and EMV 3-D Secure's method and challenge frames).
 * The challenge posts its answer back to Stripe (…/complete or …/fail, the 3DS server's
 * notification URL), which tells the page: inside the stand-in's modal as a message, with
 * Accept: application/json as JSON, opened on its own by a redirect to the intent's
 * return_url, as Stripe's hosted pages do.
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
till_sim_pages_serve_asset (SoupServerMessage *msg, const char *path, const char *signals_origin)
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
  /* Stripe's frame around the fraud-signals frame names the origin it comes from. */
  if (g_str_equal (name, "v3/frame/m-outer.html"))
    {
      g_autoptr (GString) page =
          g_string_new_len (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

      g_string_replace (page, "@SIGNALS_ORIGIN@", signals_origin ? signals_origin : "", 0);
      soup_server_message_set_response (msg, content_type_for (name), SOUP_MEMORY_COPY, page->str,
                                        page->len);
      return;
    }
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

/* Serves one of the issuer's files (assets/acs/), or FALSE. */
static gboolean
serve_issuer_asset (SoupServerMessage *msg, const char *path)
{
  const char *names[] = { "/acs/challenge.css", "/acs/challenge.js", "/acs/method.js" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (path, names[i]))
      {
        till_sim_pages_serve_asset (msg, path, NULL);
        return TRUE;
      }
  return FALSE;
}

static gboolean
query_embedded (SoupServerMessage *msg)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autoptr (GHashTable) form = query ? soup_form_decode (query) : NULL;

  return form != NULL && g_strcmp0 (g_hash_table_lookup (form, "embedded"), "1") == 0;
}

static void
send_no_longer_valid (SoupServerMessage *msg)
{
  send_html (msg, 404,
             g_markup_printf_escaped ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                                      "<title>%s</title></head><body><p>%s</p></body></html>",
                                      _ ("Simulated 3-D Secure"),
                                      _ ("This authentication request is no longer valid.")));
}

/* Stripe's frame around the challenge: the issuer's method page hidden, then its challenge. */
static void
send_challenge_frame (SoupServerMessage *msg,
                      const char        *issuer_origin,
                      const char        *intent_id,
                      const char        *nonce,
                      gboolean           embedded)
{
  send_html (msg, 200,
             g_markup_printf_escaped (
                 "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width\">"
                 "<title>%s</title>"
                 "<link rel=\"stylesheet\" href=\"/v3/frame/three-ds.css\"></head>\n"
                 "<body><main id=\"three-ds\" data-issuer=\"%s\" data-embedded=\"%s\" "
                 "data-method=\"%s/acs/%s/%s/method\" data-challenge=\"%s/acs/%s/%s%s\">"
                 "<p class=\"waiting\">%s</p></main>"
                 "<script src=\"/v3/frame/three-ds.js\"></script></body></html>\n",
                 _ ("Simulated 3-D Secure — training"), issuer_origin, embedded ? "1" : "0",
                 issuer_origin, intent_id, nonce, issuer_origin, intent_id, nonce,
                 embedded ? "?embedded=1" : "", _ ("Contacting your card issuer…")));
}

void
till_sim_pages_handle_challenge (TillSimState      *state,
                                 TillSimWebhooks   *webhooks,
                                 const char        *base_uri,
                                 const char        *issuer_origin,
                                 SoupServerMessage *msg,
                                 const char        *path,
                                 const char        *request_id)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  guint          n = g_strv_length (parts);
  const char    *method = soup_server_message_get_method (msg);
  const char    *intent_id, *nonce;
  TillSimIntent *intent;

  /* "", "sim", "3ds" or "redirect", intent, nonce [, complete|fail] */
  if (n < 5 || n > 6 || (g_str_equal (parts[2], "redirect") && n != 5))
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  intent_id = parts[3];
  nonce = parts[4];
  intent = till_sim_state_find_challenge (state, intent_id, nonce);

  /* A bank redirect's next_action: Stripe (hooks.stripe.com) sends the customer on to the
   * bank's own page. */
  if (g_str_equal (parts[2], "redirect"))
    {
      g_autofree char *location = NULL;

      if (!g_str_equal (method, "GET"))
        soup_server_message_set_status (msg, 405, NULL);
      else if (intent == NULL)
        send_no_longer_valid (msg);
      else
        {
          location = g_strdup_printf ("%s/bank/%s/%s", issuer_origin, intent->id, nonce);
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Cache-Control", "no-store");
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Referrer-Policy", "no-referrer");
          soup_server_message_set_redirect (msg, 302, location);
        }
      return;
    }

  if (n == 5 && g_str_equal (method, "GET"))
    {
      if (intent == NULL)
        send_no_longer_valid (msg);
      else
        send_challenge_frame (msg, issuer_origin, intent->id, nonce, query_embedded (msg));
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

      /* Inside Stripe's frame: the challenge frame now shows this page, which tells Stripe's
       * frame (same origin) that the challenge is over. */
      if (query_embedded (msg))
        {
          send_html (
              msg, 200,
              g_markup_printf_escaped (
                  "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                  "<title>%s</title></head><body>"
                  "<main id=\"three-ds\" data-status=\"%s\"><p>%s</p></main>"
                  "<script src=\"/v3/frame/three-ds.js\"></script></body></html>",
                  _ ("Simulated 3-D Secure"), intent->status,
                  authenticated ? _ ("Authentication complete.") : _ ("Authentication failed.")));
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

/* The issuer's hidden method page: in EMV 3-D Secure it fingerprints the browser, then tells
 * the 3DS server (Stripe) it is done. */
static void
send_method_page (SoupServerMessage *msg, const char *stripe_origin)
{
  send_html (msg, 200,
             g_markup_printf_escaped ("<!DOCTYPE html>\n<html data-notify=\"%s\"><head>"
                                      "<meta charset=\"utf-8\"><title>3DS method</title></head>"
                                      "<body><script src=\"/acs/method.js\"></script></body>"
                                      "</html>\n",
                                      stripe_origin));
}

static void
send_issuer_challenge (SoupServerMessage *msg,
                       TillSimIntent     *intent,
                       const char        *stripe_origin,
                       const char        *nonce,
                       gboolean           embedded)
{
  g_autofree char *amount = format_display_amount (intent->amount, intent->currency);
  const char      *query = embedded ? "?embedded=1" : "";
  /* Opened on its own, the answer leaves for the return_url in the whole window. */
  const char *target = embedded ? "_self" : "_top";

  send_html (msg, 200,
             g_markup_printf_escaped (
                 "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width\">"
                 "<title>%s</title>"
                 "<link rel=\"stylesheet\" href=\"/acs/challenge.css\"></head>\n"
                 "<body><main class=\"challenge\" data-intent=\"%s\">"
                 "<p class=\"badge\">%s</p>"
                 "<h1>%s</h1><p class=\"amount\">%s</p><p>%s</p>"
                 "<div class=\"buttons\">"
                 "<form method=\"post\" target=\"%s\" action=\"%s/sim/3ds/%s/%s/complete%s\">"
                 "<button id=\"complete\" type=\"submit\" class=\"complete\">%s</button></form>"
                 "<form method=\"post\" target=\"%s\" action=\"%s/sim/3ds/%s/%s/fail%s\">"
                 "<button id=\"fail\" type=\"submit\" class=\"fail\">%s</button></form>"
                 "</div></main>"
                 "<script src=\"/acs/challenge.js\"></script></body></html>\n",
                 _ ("Simulated 3-D Secure — training"), intent->id,
                 _ ("Simulated card issuer — training"), _ ("Confirm this payment"), amount,
                 _ ("This is a test authentication page. No real bank is involved."), target,
                 stripe_origin, intent->id, nonce, query, _ ("Complete authentication"), target,
                 stripe_origin, intent->id, nonce, query, _ ("Fail authentication")));
}

/* The bank's page for a redirect (iDEAL): authorize or refuse; the answer goes to Stripe,
 * which sends the whole window on to the intent's return_url. */
static void
send_bank_page (SoupServerMessage *msg,
                TillSimIntent     *intent,
                const char        *stripe_origin,
                const char        *nonce)
{
  g_autofree char *amount = format_display_amount (intent->amount, intent->currency);

  send_html (msg, 200,
             g_markup_printf_escaped (
                 "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width\">"
                 "<title>%s</title>"
                 "<link rel=\"stylesheet\" href=\"/acs/challenge.css\"></head>\n"
                 "<body><main class=\"challenge\" data-intent=\"%s\">"
                 "<p class=\"badge\">%s</p>"
                 "<h1>%s</h1><p class=\"amount\">%s</p><p>%s</p>"
                 "<div class=\"buttons\">"
                 "<form method=\"post\" action=\"%s/sim/3ds/%s/%s/complete\">"
                 "<button id=\"complete\" type=\"submit\" class=\"complete\">%s</button></form>"
                 "<form method=\"post\" action=\"%s/sim/3ds/%s/%s/fail\">"
                 "<button id=\"fail\" type=\"submit\" class=\"fail\">%s</button></form>"
                 "</div></main></body></html>\n",
                 _ ("Simulated iDEAL bank — training"), intent->id, _ ("Simulated bank — training"),
                 _ ("Authorize this payment"), amount,
                 _ ("This is a test bank page. No real bank is involved."), stripe_origin,
                 intent->id, nonce, _ ("Authorize payment"), stripe_origin, intent->id, nonce,
                 _ ("Refuse payment")));
}

void
till_sim_pages_handle_issuer (TillSimState      *state,
                              const char        *stripe_origin,
                              SoupServerMessage *msg,
                              const char        *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  guint          n = g_strv_length (parts);
  TillSimIntent *intent;

  if (serve_issuer_asset (msg, path))
    return;
  /* "", "bank", intent, nonce */
  if (g_str_has_prefix (path, "/bank/"))
    {
      if (n != 4)
        soup_server_message_set_status (msg, 404, NULL);
      else if (!g_str_equal (soup_server_message_get_method (msg), "GET"))
        soup_server_message_set_status (msg, 405, NULL);
      else if ((intent = till_sim_state_find_challenge (state, parts[2], parts[3])) == NULL)
        send_no_longer_valid (msg);
      else
        send_bank_page (msg, intent, stripe_origin, parts[3]);
      return;
    }
  /* "", "acs", intent, nonce [, method] */
  if (!g_str_equal (path, "/acs") && !g_str_has_prefix (path, "/acs/"))
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  if (n < 4 || n > 5 || (n == 5 && !g_str_equal (parts[4], "method")))
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  if (!g_str_equal (soup_server_message_get_method (msg), "GET"))
    {
      soup_server_message_set_status (msg, 405, NULL);
      return;
    }
  intent = till_sim_state_find_challenge (state, parts[2], parts[3]);
  if (intent == NULL)
    send_no_longer_valid (msg);
  else if (n == 5)
    send_method_page (msg, stripe_origin);
  else
    send_issuer_challenge (msg, intent, stripe_origin, parts[3], query_embedded (msg));
}

void
till_sim_pages_handle_signals (SoupServerMessage *msg, const char *path)
{
  static const char inner[] =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
      "<title>Fraud signals (simulated)</title></head><body></body></html>\n";

  if (!g_str_equal (path, "/inner.html"))
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  if (!g_str_equal (soup_server_message_get_method (msg), "GET") &&
      !g_str_equal (soup_server_message_get_method (msg), "HEAD"))
    {
      soup_server_message_set_status (msg, 405, NULL);
      return;
    }
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC, inner,
                                    strlen (inner));
}
