/* till-stripe-sim-cards.c: Stripe's test cards and the Luhn check.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The cards, aliases, error codes, decline codes and messages of Stripe's testing page
 * (https://docs.stripe.com/testing, "Declined payments", "Fraud prevention" and
 * "Authentication and setup"; also stripe/FACTS.md). A decline answers 402 with the `code`
 * and, where Stripe gives one, the `decline_code`: an expired card is `expired_card` with no
 * decline code, a lost one `card_declined` / `lost_card`. Lost, stolen and fraudulent cards
 * get Stripe's "Your card was declined.": the customer is not told why.
 */
#include "config.h"

#include <string.h>

#include "till-stripe-sim-state-private.h"

#define DECLINED "Your card was declined."

static const TillSimTestCard test_cards[] = {
  { "4242424242424242", { "pm_card_visa", NULL }, "visa", "credit", "US", TILL_SIM_CARD_SUCCEEDS },
  { "5555555555554444",
    { "pm_card_mastercard", NULL },
    "mastercard",
    "credit",
    "US",
    TILL_SIM_CARD_SUCCEEDS },
  { "4000000000000002",
    { "pm_card_visa_chargeDeclined", "pm_card_chargeDeclined", NULL },
    "visa",
    "credit",
    "US",
    TILL_SIM_CARD_DECLINES,
    "card_declined",
    "generic_decline",
    DECLINED },
  { "4000000000009995",
    { "pm_card_visa_chargeDeclinedInsufficientFunds", "pm_card_chargeDeclinedInsufficientFunds",
      NULL },
    "visa",
    "credit",
    "US",
    TILL_SIM_CARD_DECLINES,
    "card_declined",
    "insufficient_funds",
    "Your card has insufficient funds." },
  { "4000000000009987",
    { "pm_card_visa_chargeDeclinedLostCard", NULL },
    "visa",
    "credit",
    "US",
    TILL_SIM_CARD_DECLINES,
    "card_declined",
    "lost_card",
    DECLINED },
  { "4000000000009979",
    { "pm_card_visa_chargeDeclinedStolenCard", NULL },
    "visa",
    "credit",
    "US",
    TILL_SIM_CARD_DECLINES,
    "card_declined",
    "stolen_card",
    DECLINED },
  { "4000000000000069",
    { "pm_card_chargeDeclinedExpiredCard", NULL },
    "visa",
    "credit",
    "US",
    TILL_SIM_CARD_DECLINES,
    "expired_card",
    NULL,
    "Your card has expired." },
  { "4000000000000127",
    { "pm_card_chargeDeclinedIncorrectCvc", NULL },
    "visa",
    "credit",
    "US",
    TILL_SIM_CARD_DECLINES,
    "incorrect_cvc",
    NULL,
    "Your card's security code is incorrect." },
  { "4000000000000119",
    { "pm_card_chargeDeclinedProcessingError", NULL },
    "visa",
    "credit",
    "US",
    TILL_SIM_CARD_DECLINES,
    "processing_error",
    NULL,
    "An error occurred while processing your card. Try again in a little bit." },
  { "4000000000006975",
    { "pm_card_visa_chargeDeclinedVelocityLimitExceeded", NULL },
    "visa",
    "credit",
    "US",
    TILL_SIM_CARD_DECLINES,
    "card_declined",
    "card_velocity_exceeded",
    "Your card was declined for making repeated attempts too frequently or exceeding its "
    "amount limit." },
  { "4100000000000019",
    { "pm_card_radarBlock", NULL },
    "visa",
    "credit",
    "US",
    TILL_SIM_CARD_DECLINES,
    "card_declined",
    "fraudulent",
    DECLINED,
    TRUE },
  { "4000002500003155",
    { "pm_card_authenticationRequiredOnSetup", NULL },
    "visa",
    "credit",
    "US",
    TILL_SIM_CARD_AUTHENTICATES },
  { "4000002760003184",
    { "pm_card_authenticationRequired", NULL },
    "visa",
    "credit",
    "US",
    TILL_SIM_CARD_ALWAYS_AUTHENTICATES },
  { "4000000000003220",
    { "pm_card_threeDSecure2Required", NULL },
    "visa",
    "credit",
    "US",
    TILL_SIM_CARD_ALWAYS_AUTHENTICATES },
};

/* Every test card, for tests that must cover each outcome. */
const TillSimTestCard *
till_sim_test_cards (guint *n_cards)
{
  *n_cards = G_N_ELEMENTS (test_cards);
  return test_cards;
}

const TillSimTestCard *
till_sim_test_card_lookup (const char *number)
{
  for (guint i = 0; number != NULL && i < G_N_ELEMENTS (test_cards); i++)
    if (g_str_equal (test_cards[i].number, number))
      return &test_cards[i];
  return NULL;
}

const TillSimTestCard *
till_sim_test_card_lookup_alias (const char *alias)
{
  for (guint i = 0; alias != NULL && i < G_N_ELEMENTS (test_cards); i++)
    for (guint a = 0; test_cards[i].aliases[a] != NULL; a++)
      if (g_str_equal (test_cards[i].aliases[a], alias))
        return &test_cards[i];
  return NULL;
}

gboolean
till_sim_luhn_valid (const char *digits)
{
  gsize length = strlen (digits);
  int   sum = 0;

  if (length < 12 || length > 19)
    return FALSE;

  for (gsize i = 0; i < length; i++)
    {
      int digit = digits[length - 1 - i] - '0';

      if (digit < 0 || digit > 9)
        return FALSE;
      if (i % 2 == 1)
        {
          digit *= 2;
          if (digit > 9)
            digit -= 9;
        }
      sum += digit;
    }
  return sum % 10 == 0;
}
