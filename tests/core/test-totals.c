/* test-totals.c: tax and discounts, each expected figure worked out by hand in a comment.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-core.h"

#define LINE(unit, qty, rate)                                                                      \
  {                                                                                                \
    (unit), (qty), (rate),                                                                         \
    {                                                                                              \
      TILL_DISCOUNT_NONE, 0                                                                        \
    }                                                                                              \
  }
#define LINE_D(unit, qty, rate, kind, value)                                                       \
  {                                                                                                \
    (unit), (qty), (rate),                                                                         \
    {                                                                                              \
      (kind), (value)                                                                              \
    }                                                                                              \
  }

static void
compute (const char           *code,
         gboolean              inclusive,
         const TillTotalsLine *lines,
         guint                 n,
         const TillDiscount   *cart_discount,
         TillLineTotals       *out_lines,
         TillTotals           *out)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (till_totals_compute (till_currency_lookup (code), inclusive, lines, n,
                                      cart_discount, out_lines, out, &error));
  g_assert_no_error (error);
  /* Invariants that hold for every cart. */
  if (inclusive)
    g_assert_cmpint (out->total, ==, out->subtotal - out->discount + out->rounding);
  else
    g_assert_cmpint (out->total, ==, out->subtotal - out->discount + out->tax + out->rounding);
}

static void
test_exclusive (void)
{
  /* US sales tax style: prices exclude tax.
   * A: 19.99 × 3 = 59.97; tax 8.25 % = 4.947525 → 4.95; line total 64.92.
   * B: 2.50 × 2 = 5.00; no tax.
   * subtotal 64.97, tax 4.95, total 69.92. */
  TillTotalsLine lines[] = { LINE (1999, 3, 825), LINE (250, 2, 0) };
  TillLineTotals out_lines[2];
  TillTotals     t;

  compute ("USD", FALSE, lines, 2, NULL, out_lines, &t);
  g_assert_cmpint (out_lines[0].gross, ==, 5997);
  g_assert_cmpint (out_lines[0].tax, ==, 495);
  g_assert_cmpint (out_lines[0].total, ==, 6492);
  g_assert_cmpint (out_lines[1].tax, ==, 0);
  g_assert_cmpint (out_lines[1].total, ==, 500);
  g_assert_cmpint (t.subtotal, ==, 6497);
  g_assert_cmpint (t.discount, ==, 0);
  g_assert_cmpint (t.tax, ==, 495);
  g_assert_cmpint (t.rounding, ==, 0);
  g_assert_cmpint (t.total, ==, 6992);
}

static void
test_inclusive (void)
{
  /* Turkish KDV style: prices include tax.
   * A: 118.00 at 18 %: tax = 118 × 18/118 = 18.00 exactly.
   * B: 10.00 × 3 = 30.00 at 8 %: tax = 30 × 8/108 = 2.2222… → 2.22.
   * subtotal = total = 148.00; tax (included) 20.22. */
  TillTotalsLine lines[] = { LINE (11800, 1, 1800), LINE (1000, 3, 800) };
  TillLineTotals out_lines[2];
  TillTotals     t;

  compute ("TRY", TRUE, lines, 2, NULL, out_lines, &t);
  g_assert_cmpint (out_lines[0].tax, ==, 1800);
  g_assert_cmpint (out_lines[0].total, ==, 11800);
  g_assert_cmpint (out_lines[1].tax, ==, 222);
  g_assert_cmpint (out_lines[1].total, ==, 3000);
  g_assert_cmpint (t.subtotal, ==, 14800);
  g_assert_cmpint (t.tax, ==, 2022);
  g_assert_cmpint (t.total, ==, 14800);
}

static void
test_rounding_boundaries (void)
{
  /* Exclusive 10 %: 0.05 → tax 0.005 → 0.01 (half up); 0.04 → 0.004 → 0.00;
   * 0.15 → 0.015 → 0.02; 0.14 → 0.014 → 0.01. */
  const struct
  {
    gint64   unit;
    int      rate;
    gboolean incl;
    gint64   tax;
  } cases[] = {
    { 5, 1000, FALSE, 1 },
    { 4, 1000, FALSE, 0 },
    { 15, 1000, FALSE, 2 },
    { 14, 1000, FALSE, 1 },
    { 50, 1000, FALSE, 5 },
    /* Inclusive 10 %: tax = n × 10/110. 0.06 → 0.00545… → 0.01; 0.05 → 0.004545… → 0.00;
     * 0.55 → 0.05 exactly. At 100 %: tax = n/2, so 0.03 → 0.015 → 0.02 (half up). */
    { 6, 1000, TRUE, 1 },
    { 5, 1000, TRUE, 0 },
    { 55, 1000, TRUE, 5 },
    { 3, 10000, TRUE, 2 },
    { 1, 10000, TRUE, 1 },
    /* 8.25 % of 1.00 = 0.0825 → 0.08; of 6.00 = 0.495 → 0.50 (half up). */
    { 100, 825, FALSE, 8 },
    { 600, 825, FALSE, 50 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      TillTotalsLine line = LINE (cases[i].unit, 1, cases[i].rate);
      TillTotals     t;

      g_test_message ("case %u", i);
      compute ("USD", cases[i].incl, &line, 1, NULL, NULL, &t);
      g_assert_cmpint (t.tax, ==, cases[i].tax);
    }
}

static void
test_discounts (void)
{
  /* Line 1: 10.00 × 2 = 20.00, 10 % off → 2.00 off, 18.00 left.
   * Line 2: 3.33 × 3 = 9.99, 0.50 off → 9.49 left.
   * Cart: 1.00 off, spread over 18.00 and 9.49 (27.49):
   *   100 × 1800 / 2749 = 65.478 → 65 (remainder 1315),
   *   100 × 949 / 2749 = 34.521 → 34 (remainder 1434): the leftover cent goes to line 2 → 35.
   * Nets 17.35 and 9.14; tax 10 %: 1.735 → 1.74 and 0.914 → 0.91.
   * subtotal 29.99, discount 2.00 + 0.65 + 0.50 + 0.35 = 3.50, tax 2.65, total 29.14. */
  TillTotalsLine lines[] = {
    LINE_D (1000, 2, 1000, TILL_DISCOUNT_PERCENT, 1000),
    LINE_D (333, 3, 1000, TILL_DISCOUNT_AMOUNT, 50),
  };
  TillDiscount   cart = { TILL_DISCOUNT_AMOUNT, 100 };
  TillLineTotals out_lines[2];
  TillTotals     t;

  compute ("USD", FALSE, lines, 2, &cart, out_lines, &t);
  g_assert_cmpint (out_lines[0].line_discount, ==, 200);
  g_assert_cmpint (out_lines[0].cart_discount_share, ==, 65);
  g_assert_cmpint (out_lines[1].line_discount, ==, 50);
  g_assert_cmpint (out_lines[1].cart_discount_share, ==, 35);
  g_assert_cmpint (out_lines[0].tax, ==, 174);
  g_assert_cmpint (out_lines[1].tax, ==, 91);
  g_assert_cmpint (t.subtotal, ==, 2999);
  g_assert_cmpint (t.discount, ==, 350);
  g_assert_cmpint (t.tax, ==, 265);
  g_assert_cmpint (t.total, ==, 2914);

  /* The same cart with 10 % off the cart: 27.49 × 10 % = 2.749 → 2.75.
   * 275 × 1800 / 2749 = 180.065 → 180 (r 180), 275 × 949 / 2749 = 94.934 → 94 (r 2569):
   * the leftover cent goes to line 2 → 95. Nets 16.20 and 8.54; tax 1.62 and 0.854 → 0.85.
   * total = 16.20 + 1.62 + 8.54 + 0.85 = 27.21. */
  cart = (TillDiscount){ TILL_DISCOUNT_PERCENT, 1000 };
  compute ("USD", FALSE, lines, 2, &cart, out_lines, &t);
  g_assert_cmpint (out_lines[0].cart_discount_share, ==, 180);
  g_assert_cmpint (out_lines[1].cart_discount_share, ==, 95);
  g_assert_cmpint (t.discount, ==, 200 + 50 + 275);
  g_assert_cmpint (t.tax, ==, 162 + 85);
  g_assert_cmpint (t.total, ==, 2721);
}

static void
test_discount_never_below_zero (void)
{
  /* 50.00 off a 10.00 line leaves 0.00; 100.00 off the cart leaves 0.00; 100 % off too. */
  TillTotalsLine lines[] = {
    LINE_D (1000, 1, 1800, TILL_DISCOUNT_AMOUNT, 5000),
    LINE (700, 1, 1800),
  };
  TillDiscount   cart = { TILL_DISCOUNT_AMOUNT, 10000 };
  TillLineTotals out_lines[2];
  TillTotals     t;

  compute ("EUR", TRUE, lines, 2, &cart, out_lines, &t);
  g_assert_cmpint (out_lines[0].discount, ==, 1000);
  g_assert_cmpint (out_lines[0].total, ==, 0);
  g_assert_cmpint (out_lines[1].discount, ==, 700);
  g_assert_cmpint (out_lines[1].total, ==, 0);
  g_assert_cmpint (t.discount, ==, 1700);
  g_assert_cmpint (t.tax, ==, 0);
  g_assert_cmpint (t.total, ==, 0);

  cart = (TillDiscount){ TILL_DISCOUNT_PERCENT, 10000 };
  compute ("EUR", FALSE, lines, 2, &cart, NULL, &t);
  g_assert_cmpint (t.total, ==, 0);
}

static void
test_three_decimal_rounding (void)
{
  /* KWD is charged in multiples of 10 fils: 5.124 → 5.120 (−0.004), 5.125 → 5.130 (+0.005). */
  TillTotalsLine down = LINE (5124, 1, 0);
  TillTotalsLine up = LINE (5125, 1, 0);
  /* 1.000 KWD at 5 % exclusive: tax 0.050, total 1.050, no rounding needed. */
  TillTotalsLine taxed = LINE (1000, 1, 500);
  TillTotals     t;
  gint64         stripe;

  compute ("KWD", FALSE, &down, 1, NULL, NULL, &t);
  g_assert_cmpint (t.rounding, ==, -4);
  g_assert_cmpint (t.total, ==, 5120);
  g_assert_true (till_money_to_stripe (t.total, till_currency_lookup ("KWD"), &stripe, NULL));
  g_assert_cmpint (stripe, ==, 5120);

  compute ("KWD", FALSE, &up, 1, NULL, NULL, &t);
  g_assert_cmpint (t.rounding, ==, 5);
  g_assert_cmpint (t.total, ==, 5130);

  compute ("KWD", FALSE, &taxed, 1, NULL, NULL, &t);
  g_assert_cmpint (t.tax, ==, 50);
  g_assert_cmpint (t.rounding, ==, 0);
  g_assert_cmpint (t.total, ==, 1050);
}

static void
test_zero_decimal_and_isk (void)
{
  /* JPY 1,000 × 3 at 10 % exclusive = 3,000 + 300 = 3,300 yen; Stripe amount 3300.
   * ISK 1,990 × 2 at 24 % inclusive: tax = 3980 × 24/124 = 770.32 → 770; Stripe 398000. */
  TillTotalsLine yen = LINE (1000, 3, 1000);
  TillTotalsLine isk = LINE (1990, 2, 2400);
  TillTotals     t;
  gint64         stripe;

  compute ("JPY", FALSE, &yen, 1, NULL, NULL, &t);
  g_assert_cmpint (t.total, ==, 3300);
  g_assert_true (till_money_to_stripe (t.total, till_currency_lookup ("JPY"), &stripe, NULL));
  g_assert_cmpint (stripe, ==, 3300);

  compute ("ISK", TRUE, &isk, 1, NULL, NULL, &t);
  g_assert_cmpint (t.tax, ==, 770);
  g_assert_cmpint (t.total, ==, 3980);
  g_assert_true (till_money_to_stripe (t.total, till_currency_lookup ("ISK"), &stripe, NULL));
  g_assert_cmpint (stripe, ==, 398000);
}

static void
test_overflow_and_invalid (void)
{
  const struct
  {
    TillTotalsLine line;
    int            code;
  } cases[] = {
    { LINE (TILL_AMOUNT_MAX, 9999, 0), TILL_MONEY_ERROR_OVERFLOW },
    { LINE (G_MAXINT64, 2, 0), TILL_MONEY_ERROR_INVALID },
    { LINE (100, 0, 0), TILL_MONEY_ERROR_INVALID },
    { LINE (100, -1, 0), TILL_MONEY_ERROR_INVALID },
    { LINE (100, 10000, 0), TILL_MONEY_ERROR_INVALID },
    { LINE (-100, 1, 0), TILL_MONEY_ERROR_INVALID },
    { LINE (100, 1, -1), TILL_MONEY_ERROR_INVALID },
    { LINE (100, 1, 10001), TILL_MONEY_ERROR_INVALID },
    { LINE_D (100, 1, 0, TILL_DISCOUNT_PERCENT, 10001), TILL_MONEY_ERROR_INVALID },
    { LINE_D (100, 1, 0, TILL_DISCOUNT_AMOUNT, -1), TILL_MONEY_ERROR_INVALID },
  };
  TillTotalsLine big[2] = { LINE (TILL_AMOUNT_MAX / 2 + 1, 1, 0),
                            LINE (TILL_AMOUNT_MAX / 2 + 1, 1, 0) };
  TillTotals     t = { 1, 2, 3, 4, 5 };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;

      g_test_message ("case %u", i);
      g_assert_false (till_totals_compute (till_currency_lookup ("USD"), FALSE, &cases[i].line, 1,
                                           NULL, NULL, &t, &error));
      g_assert_error (error, TILL_MONEY_ERROR, cases[i].code);
      g_assert_cmpint (t.subtotal, ==, 1); /* nothing written on failure */
    }

  {
    g_autoptr (GError) error = NULL;
    g_assert_false (
        till_totals_compute (till_currency_lookup ("USD"), FALSE, big, 2, NULL, NULL, &t, &error));
    g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_OVERFLOW);
  }
  {
    /* The largest cart that fits: tax at 100 % exclusive would double it past the limit. */
    g_autoptr (GError) error = NULL;
    TillTotalsLine line = LINE (TILL_AMOUNT_MAX, 1, 10000);
    g_assert_false (till_totals_compute (till_currency_lookup ("USD"), FALSE, &line, 1, NULL, NULL,
                                         &t, &error));
    g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_OVERFLOW);
  }
}

static void
test_empty_cart (void)
{
  TillTotals   t;
  TillDiscount cart = { TILL_DISCOUNT_AMOUNT, 500 };

  compute ("USD", FALSE, NULL, 0, &cart, NULL, &t);
  g_assert_cmpint (t.subtotal, ==, 0);
  g_assert_cmpint (t.discount, ==, 0);
  g_assert_cmpint (t.total, ==, 0);
}

static void
test_cart_model (void)
{
  /* The same figures as test_discounts(), through TillCart. */
  g_autoptr (TillCart) cart = till_cart_new ("usd", FALSE);
  g_autofree TillLineTotals *lines = NULL;
  TillCartLine              *line;
  TillTotals                 t;

  line = till_cart_line_new (1, 2);
  line->unit_amount = 1000;
  line->tax_rate = 1000;
  line->discount = (TillDiscount){ TILL_DISCOUNT_PERCENT, 1000 };
  till_cart_add_line (cart, line);
  line = till_cart_line_new (2, 3);
  line->unit_amount = 333;
  line->tax_rate = 1000;
  line->discount = (TillDiscount){ TILL_DISCOUNT_AMOUNT, 50 };
  till_cart_add_line (cart, line);
  cart->discount = (TillDiscount){ TILL_DISCOUNT_AMOUNT, 100 };

  g_assert_cmpstr (cart->currency, ==, "USD");
  g_assert_true (till_cart_compute_totals (cart, &lines, &t, NULL));
  g_assert_cmpint (lines[1].cart_discount_share, ==, 35);
  g_assert_cmpint (t.total, ==, 2914);
}

/* UUIDs version 7: valid UUIDs, the time in front, so later ones sort after earlier ones. */
static void
test_client_references (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64           before = g_get_real_time () / 1000;
  g_autofree char *previous = NULL;

  for (guint i = 0; i < 1000; i++)
    {
      char            *reference = till_cart_new_client_reference ();
      g_autofree char *hex = g_strndup (reference, 8);
      gint64           ms;

      g_assert_true (g_uuid_string_is_valid (reference));
      g_assert_cmpint (reference[14], ==, '7');
      g_assert_nonnull (strchr ("89ab", reference[19]));
      g_assert_cmpuint (strspn (reference, "0123456789abcdef-"), ==, 36);
      ms = g_ascii_strtoll (hex, NULL, 16) << 16 | g_ascii_strtoll (reference + 9, NULL, 16);
      g_assert_cmpint (ms, >=, before);
      g_assert_cmpint (ms, <=, g_get_real_time () / 1000);
      g_assert_true (g_hash_table_add (seen, reference));
    }
  /* Made a few milliseconds apart: in order. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *next = NULL;

      g_usleep (2 * G_TIME_SPAN_MILLISECOND);
      next = till_cart_new_client_reference ();
      if (previous != NULL)
        g_assert_cmpstr (previous, <, next);
      g_free (previous);
      previous = g_steal_pointer (&next);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/totals/exclusive", test_exclusive);
  g_test_add_func ("/core/totals/inclusive", test_inclusive);
  g_test_add_func ("/core/totals/rounding-boundaries", test_rounding_boundaries);
  g_test_add_func ("/core/totals/discounts", test_discounts);
  g_test_add_func ("/core/totals/discount-never-below-zero", test_discount_never_below_zero);
  g_test_add_func ("/core/totals/three-decimal", test_three_decimal_rounding);
  g_test_add_func ("/core/totals/zero-decimal-and-isk", test_zero_decimal_and_isk);
  g_test_add_func ("/core/totals/overflow-and-invalid", test_overflow_and_invalid);
  g_test_add_func ("/core/totals/empty", test_empty_cart);
  g_test_add_func ("/core/totals/cart-model", test_cart_model);
  g_test_add_func ("/core/cart/client-references", test_client_references);

  return g_test_run ();
}
