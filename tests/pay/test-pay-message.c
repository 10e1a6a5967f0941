/* test-pay-message.c: what the app accepts from the payment page.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-decline-words.h"
#include "till-pay-message.h"
#include "till-payment-page.h"
#include "till-stripe-sim-state-private.h"

#define PI "pi_3Ab12xYz"

static void
test_valid (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillPayMessage) loaded = NULL;
  g_autoptr (TillPayMessage) ready = NULL;
  g_autoptr (TillPayMessage) paid = NULL;
  g_autoptr (TillPayMessage) declined = NULL;

  loaded = till_pay_message_parse (
      "{\"type\":\"loaded\",\"status\":null,\"payment_intent\":null,\"error\":null}", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->type, ==, TILL_PAY_MESSAGE_LOADED);

  ready = till_pay_message_parse ("{\"type\":\"ready\",\"status\":null,\"payment_intent\":\"" PI
                                  "\",\"error\":null}",
                                  PI, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ready->type, ==, TILL_PAY_MESSAGE_READY);

  paid = till_pay_message_parse (
      "{\"type\":\"result\",\"status\":\"succeeded\",\"payment_intent\":\"" PI "\",\"error\":null}",
      PI, &error);
  g_assert_no_error (error);
  g_assert_cmpint (paid->type, ==, TILL_PAY_MESSAGE_RESULT);
  g_assert_cmpstr (paid->status, ==, "succeeded");
  g_assert_null (paid->error_code);

  declined = till_pay_message_parse (
      "{\"type\":\"result\",\"status\":\"requires_payment_method\",\"payment_intent\":\"" PI "\","
      "\"error\":{\"code\":\"card_declined\",\"decline_code\":\"insufficient_funds\","
      "\"message\":\"Your card has insufficient funds.\"}}",
      PI, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (declined->error_code, ==, "card_declined");
  g_assert_cmpstr (declined->decline_code, ==, "insufficient_funds");
  g_assert_cmpstr (declined->error_message, ==, "Your card has insufficient funds.");
}

/* A card the cashier typed, made into a PaymentMethod by Stripe.js, for the server (MOTO). */
static void
test_payment_method (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillPayMessage) message = till_pay_message_parse (
      "{\"type\":\"payment_method\",\"status\":null,\"payment_intent\":\"" PI "\","
      "\"error\":null,\"payment_method\":\"pm_1Xy2Zw\"}",
      PI, &error);
  const char *forged[] = {
    /* no id, or not a PaymentMethod's */
    "{\"type\":\"payment_method\",\"status\":null,\"payment_intent\":\"" PI "\","
    "\"error\":null}",
    "{\"type\":\"payment_method\",\"status\":null,\"payment_intent\":\"" PI "\","
    "\"error\":null,\"payment_method\":null}",
    "{\"type\":\"payment_method\",\"status\":null,\"payment_intent\":\"" PI "\","
    "\"error\":null,\"payment_method\":\"pm_\"}",
    "{\"type\":\"payment_method\",\"status\":null,\"payment_intent\":\"" PI "\","
    "\"error\":null,\"payment_method\":\"card_123\"}",
    "{\"type\":\"payment_method\",\"status\":null,\"payment_intent\":\"" PI "\","
    "\"error\":null,\"payment_method\":\"pm_1/../x\"}",
    "{\"type\":\"payment_method\",\"status\":null,\"payment_intent\":\"" PI "\","
    "\"error\":null,\"payment_method\":42}",
    /* for another payment, or with a status or an error */
    "{\"type\":\"payment_method\",\"status\":null,\"payment_intent\":\"pi_other\","
    "\"error\":null,\"payment_method\":\"pm_1Xy2Zw\"}",
    "{\"type\":\"payment_method\",\"status\":\"succeeded\",\"payment_intent\":\"" PI "\","
    "\"error\":null,\"payment_method\":\"pm_1Xy2Zw\"}",
    "{\"type\":\"payment_method\",\"status\":null,\"payment_intent\":\"" PI "\","
    "\"error\":{\"code\":null,\"decline_code\":null,\"message\":null},"
    "\"payment_method\":\"pm_1Xy2Zw\"}",
    /* a PaymentMethod in another message */
    "{\"type\":\"result\",\"status\":\"succeeded\",\"payment_intent\":\"" PI "\","
    "\"error\":null,\"payment_method\":\"pm_1Xy2Zw\"}",
  };

  g_assert_no_error (error);
  g_assert_cmpint (message->type, ==, TILL_PAY_MESSAGE_PAYMENT_METHOD);
  g_assert_cmpstr (message->payment_intent, ==, PI);
  g_assert_cmpstr (message->payment_method, ==, "pm_1Xy2Zw");
  g_assert_null (message->status);

  for (guint i = 0; i < G_N_ELEMENTS (forged); i++)
    {
      g_autoptr (GError) forged_error = NULL;
      g_autoptr (TillPayMessage) refused = NULL;

      g_test_message ("forged message %u", i);
      refused = till_pay_message_parse (forged[i], PI, &forged_error);
      g_assert_null (refused);
      g_assert_nonnull (forged_error);
    }
}

static void
test_forged (void)
{
  const char *forged[] = {
    /* another PaymentIntent than the one in progress */
    "{\"type\":\"result\",\"status\":\"succeeded\",\"payment_intent\":\"pi_other\",\"error\":null}",
    /* extra fields: card data has no business here */
    "{\"type\":\"result\",\"status\":\"succeeded\",\"payment_intent\":\"" PI "\",\"error\":null,"
    "\"card\":\"4242424242424242\"}",
    "{\"type\":\"result\",\"status\":\"succeeded\",\"payment_intent\":\"" PI "\","
    "\"error\":{\"code\":null,\"decline_code\":null,\"message\":null,\"number\":\"4242\"}}",
    /* missing fields */
    "{\"type\":\"result\",\"status\":\"succeeded\",\"payment_intent\":\"" PI "\"}",
    /* wrong types and values */
    "{\"type\":\"result\",\"status\":\"paid\",\"payment_intent\":\"" PI "\",\"error\":null}",
    "{\"type\":\"result\",\"status\":null,\"payment_intent\":\"" PI "\",\"error\":null}",
    "{\"type\":\"result\",\"status\":true,\"payment_intent\":\"" PI "\",\"error\":null}",
    "{\"type\":\"result\",\"status\":\"succeeded\",\"payment_intent\":42,\"error\":null}",
    "{\"type\":\"result\",\"status\":\"succeeded\",\"payment_intent\":\"" PI "\",\"error\":\"x\"}",
    "{\"type\":\"refund\",\"status\":null,\"payment_intent\":\"" PI "\",\"error\":null}",
    "{\"type\":\"ready\",\"status\":\"succeeded\",\"payment_intent\":\"" PI "\",\"error\":null}",
    "{\"type\":\"loaded\",\"status\":null,\"payment_intent\":\"" PI "\",\"error\":null}",
    "{\"type\":\"result\",\"status\":\"succeeded\",\"payment_intent\":\"pi_../../"
    "x\",\"error\":null}",
    "{\"type\":\"result\",\"status\":\"succeeded\",\"payment_intent\":\"ch_123\",\"error\":null}",
    /* not an object at all */
    "\"succeeded\"",
    "[1,2]",
    "",
    "{",
  };

  for (guint i = 0; i < G_N_ELEMENTS (forged); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (TillPayMessage) message = NULL;

      g_test_message ("forged message %u", i);
      message = till_pay_message_parse (forged[i], PI, &error);
      g_assert_null (message);
      g_assert_nonnull (error);
    }
}

static void
test_no_payment_in_progress (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillPayMessage) message = till_pay_message_parse (
      "{\"type\":\"result\",\"status\":\"succeeded\",\"payment_intent\":\"" PI "\",\"error\":null}",
      NULL, &error);

  g_assert_null (message);
  g_assert_nonnull (error);
}

static void
test_too_long (void)
{
  g_autoptr (GString) json = g_string_new ("{\"type\":\"result\",\"status\":\"succeeded\","
                                           "\"payment_intent\":\"" PI "\",\"error\":{\"code\":null,"
                                           "\"decline_code\":null,\"message\":\"");
  g_autoptr (GError) error = NULL;
  g_autoptr (TillPayMessage) message = NULL;

  for (int i = 0; i < 600; i++)
    g_string_append_c (json, 'x');
  g_string_append (json, "\"}}");
  message = till_pay_message_parse (json->str, PI, &error);
  g_assert_null (message);
  g_assert_nonnull (error);
}

/* Whatever the simulator can decline a card with, the card form and the cashier's decline
 * page have words for: never Stripe's bare "Your card was declined." alone. */
static void
test_decline_words (void)
{
  /* Besides its test cards' codes, the simulator refuses badly typed cards with these, and
   * a failed 3-D Secure challenge with the last (till-stripe-sim-state.c). */
  static const char     *other_codes[] = { "incorrect_number",
                                           "invalid_expiry_month",
                                           "invalid_expiry_year",
                                           "invalid_cvc",
                                           "payment_intent_authentication_failure",
                                           NULL };
  const TillSimTestCard *cards;
  guint                  n_cards = 0;
  guint                  declines = 0;

  cards = till_sim_test_cards (&n_cards);
  for (guint i = 0; i < n_cards; i++)
    {
      /* As the server stores it and the page picks it: the decline code, else the code. */
      const char      *code;
      g_autofree char *described = NULL;

      if (cards[i].outcome != TILL_SIM_CARD_DECLINES)
        continue;
      declines++;
      code = cards[i].decline_code ? cards[i].decline_code : cards[i].code;
      g_test_message ("%s: %s", cards[i].number, code);
      g_assert_nonnull (till_decline_words_lookup (code));
      g_assert_nonnull (till_decline_words_lookup (cards[i].code));
      described = till_payment_page_describe_decline (code, "(server words)");
      g_assert_cmpstr (described, ==, till_decline_words_lookup (code));
    }
  g_assert_cmpuint (declines, >=, 9);
  for (guint i = 0; other_codes[i] != NULL; i++)
    {
      g_test_message ("%s", other_codes[i]);
      g_assert_nonnull (till_decline_words_lookup (other_codes[i]));
    }
  g_assert_null (till_decline_words_lookup ("no_such_code"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pay/message/valid", test_valid);
  g_test_add_func ("/pay/message/payment-method", test_payment_method);
  g_test_add_func ("/pay/message/forged", test_forged);
  g_test_add_func ("/pay/message/no-payment-in-progress", test_no_payment_in_progress);
  g_test_add_func ("/pay/message/too-long", test_too_long);
  g_test_add_func ("/pay/message/decline-words", test_decline_words);

  return g_test_run ();
}
