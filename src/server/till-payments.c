/* till-payments.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The requests an order's payment and refunds make to Stripe, the same for every try of the
 * same operation (the checkout, a cancel, the reconciler's rounds): their forms and
 * idempotency keys; and the search of an intent whose key Stripe may have forgotten.
 */
#include "config.h"

#include "till-core.h"
#include "till-payments.h"

char *
till_payments_key (TillDatabase *db, gint64 order_id, const char *what)
{
  return g_strdup_printf ("till-%s-order-%" G_GINT64_FORMAT "-%s", till_database_get_instance (db),
                          order_id, what);
}

/* The PaymentIntent creation request of an order: the same for every retry. */
TillStripeForm *
till_payments_intent_form (const TillServerConfig *config,
                           TillDatabase           *db,
                           const TillOrder        *order,
                           GError                **error)
{
  g_autoptr (TillStripeForm) form = till_stripe_form_new ();
  const TillCurrency *currency = till_currency_lookup (order->currency);
  g_autofree char    *description = NULL;
  gint64              amount;

  /* A split order's cash part is paid already: the card pays the rest. */
  if (currency == NULL ||
      !till_money_to_stripe (order->total - order->paid_amount, currency, &amount, error))
    return NULL;
  till_stripe_form_add_int (form, "amount", amount);
  till_stripe_form_add (form, "currency", till_currency_get_stripe_code (currency));
  if (config->payment_method_types != NULL && config->payment_method_types[0] != NULL)
    {
      for (guint i = 0; config->payment_method_types[i] != NULL; i++)
        till_stripe_form_add (form, "payment_method_types[]", config->payment_method_types[i]);
    }
  else
    till_stripe_form_add (form, "automatic_payment_methods[enabled]", "true");
  till_stripe_form_add_int (form, "metadata[till_order_id]", order->id);
  till_stripe_form_add (form, "metadata[till_order_number]", order->number);
  /* Which database the order id belongs to: several tills may share a Stripe account. */
  till_stripe_form_add (form, "metadata[till_instance]", till_database_get_instance (db));
  description = g_strdup_printf ("%s %s", config->store_name, order->number);
  if (g_utf8_strlen (description, -1) > 1000)
    description[1000] = '\0';
  till_stripe_form_add (form, "description", description);
  return g_steal_pointer (&form);
}

/* Stripe keeps an idempotency key for 24 h after its first use at least (stripe/FACTS.md).
 * An order's intent is first asked for when the order is made, or later: until this age its
 * key gets the intent back; past it, a POST with the key could make a second intent. */
#define INTENT_KEY_KEPT_S (23 * 60 * 60)
/* How much earlier than our clock Stripe's may date an order's intent. */
#define STRIPE_CLOCK_SKEW_S (15 * 60)
/* At most this many pages of 100 intents, newest first, are read in one search. */
#define LOST_INTENT_PAGES 100

gboolean
till_payments_key_may_be_forgotten (const TillOrder *order)
{
  return g_get_real_time () / G_USEC_PER_SEC - g_date_time_to_unix (order->created_at) >=
         INTENT_KEY_KEPT_S;
}

/* Looks for the intents of the orders in @wanted (order id as text → JsonObject **, where
 * the intent found goes) among the intents Stripe made since @since (Unix time), newest
 * first, by the metadata every intent of ours carries (till_payments_intent_form ()). TRUE if the
 * search went through all of them (or found every one): an order whose intent was not found has
 * none. Blocks: for worker threads. */
gboolean
till_payments_find_lost_intents (TillStripeClient *stripe,
                                 TillDatabase     *db,
                                 GHashTable       *wanted,
                                 gint64            since,
                                 GCancellable     *cancellable)
{
  const char      *instance = till_database_get_instance (db);
  guint            missing = g_hash_table_size (wanted);
  g_autofree char *after = NULL;

  for (guint page = 0; page < LOST_INTENT_PAGES && missing > 0; page++)
    {
      g_autoptr (TillStripeResponse) response = NULL;
      g_autofree char *path = NULL;
      JsonArray       *data = NULL;
      gboolean         has_more = FALSE;
      guint            length;

      /* Newest first: starting_after goes back in time. */
      path = g_strdup_printf ("/v1/payment_intents?limit=100&created%%5Bgte%%5D=%" G_GINT64_FORMAT
                              "%s%s",
                              since - STRIPE_CLOCK_SKEW_S, after != NULL ? "&starting_after=" : "",
                              after != NULL ? after : "");
      response =
          till_stripe_client_request_sync (stripe, "GET", path, NULL, NULL, cancellable, NULL);
      if (response == NULL || response->status != 200 ||
          !till_json_get_array (response->body, "", "data", TRUE, &data, NULL) ||
          !till_json_get_boolean (response->body, "", "has_more", FALSE, &has_more, NULL))
        return FALSE;
      length = json_array_get_length (data);
      for (guint i = 0; i < length; i++)
        {
          JsonNode   *node = json_array_get_element (data, i);
          JsonObject *intent = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
          JsonObject *metadata = NULL;
          g_autofree char *id = NULL, *of_order = NULL, *of_instance = NULL;
          JsonObject     **slot;

          if (intent == NULL || !till_json_get_string (intent, "", "id", TRUE, 255, &id, NULL))
            return FALSE;
          if (till_json_get_object (intent, "", "metadata", FALSE, &metadata, NULL) &&
              metadata != NULL &&
              till_json_get_string (metadata, "", "till_order_id", FALSE, 500, &of_order, NULL) &&
              till_json_get_string (metadata, "", "till_instance", FALSE, 500, &of_instance,
                                    NULL) &&
              of_order != NULL && g_strcmp0 (of_instance, instance) == 0 &&
              (slot = g_hash_table_lookup (wanted, of_order)) != NULL && *slot == NULL)
            {
              *slot = json_object_ref (intent);
              missing--;
            }
          if (i + 1 == length)
            {
              g_free (after);
              after = g_uri_escape_string (id, NULL, FALSE);
            }
        }
      if (!has_more)
        return TRUE;
      if (length == 0)
        return FALSE;
    }
  if (missing == 0)
    return TRUE;
  g_message ("%u orders' payments are not among the %u intents Stripe made last; they stay "
             "pending",
             missing, LOST_INTENT_PAGES * 100);
  return FALSE;
}

/* The same for one order, made at @created. */
TillLostIntent
till_payments_find_lost_intent (TillStripeClient *stripe,
                                TillDatabase     *db,
                                gint64            order_id,
                                gint64            created,
                                GCancellable     *cancellable,
                                JsonObject      **out_intent)
{
  g_autoptr (GHashTable) wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  *out_intent = NULL;
  g_hash_table_insert (wanted, g_strdup_printf ("%" G_GINT64_FORMAT, order_id), out_intent);
  if (!till_payments_find_lost_intents (stripe, db, wanted, created, cancellable))
    return TILL_LOST_INTENT_UNKNOWN;
  return *out_intent != NULL ? TILL_LOST_INTENT_FOUND : TILL_LOST_INTENT_NEVER_MADE;
}

/* The refund request and its key: the same for the first call and every retry. */
TillStripeForm *
till_payments_refund_form (const char       *payment_intent,
                           const TillRefund *refund,
                           gint64            stripe_amount)
{
  TillStripeForm *form = till_stripe_form_new ();

  till_stripe_form_add (form, "payment_intent", payment_intent);
  till_stripe_form_add_int (form, "amount", stripe_amount);
  if (refund->reason != NULL)
    till_stripe_form_add (form, "reason", refund->reason);
  till_stripe_form_add_int (form, "metadata[till_order_id]", refund->order_id);
  till_stripe_form_add_int (form, "metadata[till_refund_id]", refund->id);
  return form;
}

char *
till_payments_refund_key (TillDatabase *db, const TillRefund *refund)
{
  return g_strdup_printf ("till-%s-refund-%" G_GINT64_FORMAT, till_database_get_instance (db),
                          refund->id);
}
