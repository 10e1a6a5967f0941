/* till-stripe-sim-cards.c: Stripe's test cards (see FACTS.md) and the Luhn check.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-stripe-sim-state-private.h"

static const TillSimTestCard test_cards[] = {
  { "4242424242424242", "pm_card_visa", "visa", "credit", "US", TILL_SIM_CARD_SUCCEEDS, NULL,
    NULL },
  { "5555555555554444", "pm_card_mastercard", "mastercard", "credit", "US", TILL_SIM_CARD_SUCCEEDS,
    NULL, NULL },
  { "4000000000000002", "pm_card_chargeDeclined", "visa", "credit", "US", TILL_SIM_CARD_DECLINES,
    "generic_decline", "Your card was declined." },
  { "4000000000009995", "pm_card_chargeDeclinedInsufficientFunds", "visa", "credit", "US",
    TILL_SIM_CARD_DECLINES, "insufficient_funds", "Your card has insufficient funds." },
  { "4000002500003155", "pm_card_authenticationRequiredOnSetup", "visa", "credit", "US",
    TILL_SIM_CARD_AUTHENTICATES, NULL, NULL },
  { "4000002760003184", "pm_card_authenticationRequired", "visa", "credit", "US",
    TILL_SIM_CARD_ALWAYS_AUTHENTICATES, NULL, NULL },
};

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
    if (g_str_equal (test_cards[i].alias, alias))
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
