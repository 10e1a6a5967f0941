/* till-decline-words.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One table of what to say when a card is declined, keyed by Stripe's `decline_code` or,
 * when Stripe gives none, its error `code` (an expired card is `expired_card` alone). The
 * cashier's decline page and the card form (which gets the table with its start arguments,
 * in the app's language) say the same thing. Lost, stolen and fraudulent cards get words
 * that accuse nobody: the customer is standing at the counter.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-decline-words.h"

static const struct
{
  const char *code;
  const char *words;
} reasons[] = {
  { "insufficient_funds", N_ ("Insufficient funds — ask for another card.") },
  { "generic_decline", N_ ("The bank declined the card — ask for another card.") },
  { "card_declined", N_ ("The bank declined the card — ask for another card.") },
  { "do_not_honor", N_ ("The bank declined the card — ask for another card.") },
  { "lost_card", N_ ("The card was declined — ask for another card.") },
  { "stolen_card", N_ ("The card was declined — ask for another card.") },
  { "fraudulent", N_ ("The card was declined — ask for another way to pay.") },
  { "card_velocity_exceeded",
    N_ ("The card has reached its limit for now — ask for another card.") },
  { "expired_card", N_ ("The card has expired — ask for another card.") },
  { "incorrect_cvc", N_ ("The security code is wrong — check it and try again.") },
  { "incorrect_number", N_ ("The card number is wrong — check it and try again.") },
  { "invalid_cvc", N_ ("The security code is wrong — check it and try again.") },
  { "invalid_expiry_month", N_ ("The expiry date is wrong — check it and try again.") },
  { "invalid_expiry_year", N_ ("The expiry date is wrong — check it and try again.") },
  { "processing_error", N_ ("The bank could not process the card — try again.") },
  { "authentication_required", N_ ("The bank’s check was not completed — try again.") },
  { "payment_intent_authentication_failure",
    N_ ("The bank’s check was not passed — try again or use another card.") },
};

/**
 * till_decline_words_lookup:
 * @code: (nullable): Stripe's decline code, or its error code
 *
 * Returns: (nullable): the words for @code in the current language, or %NULL when there
 *   are none.
 */
const char *
till_decline_words_lookup (const char *code)
{
  for (guint i = 0; code != NULL && i < G_N_ELEMENTS (reasons); i++)
    if (g_str_equal (code, reasons[i].code))
      return _ (reasons[i].words);
  return NULL;
}

/* For a decline whose code has no words of its own. */
const char *
till_decline_words_generic (void)
{
  return _ ("The card was declined — ask for another card.");
}

/**
 * till_decline_words_add_json:
 *
 * Adds the table as one object, {"codes": {CODE: WORDS, …}, "generic": WORDS}, in the
 * current language, as the value of the member @builder is at.
 */
void
till_decline_words_add_json (JsonBuilder *builder)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "codes");
  json_builder_begin_object (builder);
  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      json_builder_set_member_name (builder, reasons[i].code);
      json_builder_add_string_value (builder, _ (reasons[i].words));
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "generic");
  json_builder_add_string_value (builder, till_decline_words_generic ());
  json_builder_end_object (builder);
}
