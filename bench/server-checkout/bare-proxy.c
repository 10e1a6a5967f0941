/* bare-proxy.c: the least a checkout through till-server can cost on its stack.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A libsoup 3 server whose POST /api/v1/checkouts creates a PaymentIntent with
 * till-server's Stripe client (libcurl multi on the main loop, the same request, header
 * for header) and answers with its id and client secret: the two HTTP hops of a checkout,
 * without the database, the catalog, the cart or the order. run.sh measures it beside
 * till-server against the same simulator, so that the gap between the two is what
 * till-server's own work costs. Never a product: no auth, no limits, no errors worth the
 * name.
 *
 * Usage: bare-proxy STRIPE-API-BASE (prints "listening on URL now")
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libsoup/soup.h>
#if TILL_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#include "till-stripe-client.h"

/* Of the same length as till-server's database instance id (see sim-create.lua). */
#define INSTANCE "00000000-0000-4000-8000-000000000000"

static const char *const intent_members[] = { "id", "client_secret", "error", NULL };

typedef struct
{
  TillStripeClient *stripe;
  gint64            next_id;
} Proxy;

static void
on_intent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SoupServerMessage) msg = user_data;
  g_autoptr (GError) error = NULL;
  TillStripeResponse *response;
  char               *body;

  response = till_stripe_client_request_finish (TILL_STRIPE_CLIENT (source), result, &error);
  if (response == NULL || response->status != 200)
    soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
  else
    {
      body = g_strdup_printf ("{\"payment\":{\"payment_intent\":\"%s\",\"client_secret\":\"%s\"}}",
                              json_object_get_string_member (response->body, "id"),
                              json_object_get_string_member (response->body, "client_secret"));
      soup_server_message_set_status (msg, SOUP_STATUS_CREATED, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body,
                                        strlen (body));
    }
  g_clear_pointer (&response, till_stripe_response_free);
  soup_server_message_unpause (msg);
}

static void
handle_checkout (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  Proxy           *proxy = user_data;
  TillStripeForm  *form = till_stripe_form_new ();
  gint64           id = ++proxy->next_id;
  g_autofree char *number = g_strdup_printf ("T-%06" G_GINT64_FORMAT, id);
  g_autofree char *description = g_strconcat ("Bench ", number, NULL);
  g_autofree char *key =
      g_strdup_printf ("till-" INSTANCE "-order-%" G_GINT64_FORMAT "-payment-intent", id);

  /* The form of till-server's intent_form () for the bench cart. */
  till_stripe_form_add_int (form, "amount", 1039);
  till_stripe_form_add (form, "currency", "eur");
  till_stripe_form_add (form, "automatic_payment_methods[enabled]", "true");
  till_stripe_form_add_int (form, "metadata[till_order_id]", id);
  till_stripe_form_add (form, "metadata[till_order_number]", number);
  till_stripe_form_add (form, "metadata[till_instance]", INSTANCE);
  till_stripe_form_add (form, "description", description);
  soup_server_message_pause (msg);
  till_stripe_client_request_members_async (proxy->stripe, "POST", "/v1/payment_intents", form, key,
                                            intent_members, NULL, on_intent, g_object_ref (msg));
  till_stripe_form_free (form);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  GSList          *uris;
  g_autofree char *uri = NULL;
  Proxy            proxy = { 0 };

  if (argc != 2)
    {
      fprintf (stderr, "Usage: %s STRIPE-API-BASE\n", argv[0]);
      return 2;
    }
  proxy.stripe = till_stripe_client_new (argv[1], "sk_test_bench_0123456789");
  server = soup_server_new ("server-header", "till-server ", NULL);
  soup_server_add_handler (server, "/api/v1/checkouts", handle_checkout, &proxy, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  uris = soup_server_get_uris (server);
  uri = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
#if TILL_WITH_MIMALLOC
  /* Also what keeps mimalloc linked (as in till-server), where --as-needed would drop it. */
  printf ("malloc: mimalloc %d\n", mi_version ());
#endif
  printf ("listening on %s now\n", uri);
  fflush (stdout);
  g_main_loop_run (loop);
  g_object_unref (proxy.stripe);
  return 0;
}
