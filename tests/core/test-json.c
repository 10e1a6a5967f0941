/* test-json.c: cart and order JSON, strictly read.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-core.h"

static TillCart *
parse_checkout (const char *json, GError **error)
{
  g_autoptr (JsonObject) object = till_json_parse_object (json, -1, error);

  if (object == NULL)
    return NULL;
  return till_cart_from_checkout_json (object, error);
}

/* JsonParser would keep the last of two members silently: one reader of the text would
 * charge for 1, another for 9,999. */
static void
test_duplicate_members (void)
{
  static const struct
  {
    const char *text;
    const char *member;
  } cases[] = {
    { "{\"client_reference\": \"r\", \"currency\": \"USD\", \"lines\":"
      " [{\"product_id\": 1, \"quantity\": 1, \"quantity\": 9999}]}",
      "quantity" },
    { "{\"currency\": \"USD\", \"currency\": \"EUR\"}", "currency" },
    { "{\"a\": {\"b\": {\"c\": 1, \"d\": 2, \"c\": 1}}}", "c" },
    { "{\"a\": null, \"\\u0061\": null}", "a" },
    { "{\"a\": [{\"x\": 1}, {\"y\": 1, \"y\": 2}], \"b\": 1}", "y" },
    /* The first one in the text, named as soon as it is (JsonParser told "q" first). */
    { "{\"a\": {\"p\": 1}, \"a\": {\"q\": 1, \"q\": 2}}", "a" },
    { "{\"a\": {\"p\": 1}, \"a\": {\"q\": 1}, \"b\": {\"r\": 1}}", "a" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) object = till_json_parse_object (cases[i].text, -1, &error);
      g_autofree char *named = g_strdup_printf ("duplicate member “%s”", cases[i].member);

      g_test_message ("case %u: %s", i, cases[i].text);
      g_assert_null (object);
      g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX);
      g_assert_nonnull (strstr (error->message, named));
    }

  /* The same name in different objects is fine. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) object = till_json_parse_object (
        "{\"id\": 1, \"a\": {\"id\": 2, \"b\": {\"id\": 3}}, \"c\": [{\"id\": 4}, {\"id\": 5}]}",
        -1, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (json_object_get_size (object), ==, 3);
  }
}

static void
test_checkout_valid (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillCart) cart = parse_checkout (
      "{\"client_reference\": \"6f1c-22_ab\", \"currency\": \"try\", \"note\": \"Masa 4\","
      " \"discount\": {\"type\": \"amount\", \"amount\": 100},"
      " \"lines\": [{\"product_id\": 7, \"quantity\": 2,"
      "              \"discount\": {\"type\": \"percent\", \"basis_points\": 1000}},"
      "             {\"product_id\": 9, \"quantity\": 9999, \"note\": \"çok acı\"}]}",
      &error);
  TillCartLine *line;

  g_assert_no_error (error);
  g_assert_nonnull (cart);
  g_assert_cmpstr (cart->client_reference, ==, "6f1c-22_ab");
  g_assert_cmpstr (cart->currency, ==, "TRY");
  g_assert_cmpstr (cart->note, ==, "Masa 4");
  g_assert_cmpint (cart->discount.kind, ==, TILL_DISCOUNT_AMOUNT);
  g_assert_cmpint (cart->discount.value, ==, 100);
  g_assert_cmpuint (cart->lines->len, ==, 2);
  line = g_ptr_array_index (cart->lines, 0);
  g_assert_cmpint (line->product_id, ==, 7);
  g_assert_cmpint (line->quantity, ==, 2);
  g_assert_cmpint (line->discount.kind, ==, TILL_DISCOUNT_PERCENT);
  g_assert_cmpint (line->discount.value, ==, 1000);
  line = g_ptr_array_index (cart->lines, 1);
  g_assert_cmpint (line->quantity, ==, 9999);
  g_assert_cmpstr (line->note, ==, "çok acı");
  g_assert_cmpint (line->discount.kind, ==, TILL_DISCOUNT_NONE);
}

static void
test_checkout_drops_client_prices (void)
{
  /* A tampered client sends its own prices and totals: they are accepted and dropped. */
  g_autoptr (GError) error = NULL;
  g_autoptr (TillCart) cart = parse_checkout (
      "{\"client_reference\": \"r1\", \"currency\": \"USD\", \"total\": 1, \"subtotal\": 1,"
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1, \"unit_amount\": 1, \"total\": 1,"
      "              \"name\": \"Free TV\", \"tax_rate\": 0}]}",
      &error);
  TillCartLine *line;

  g_assert_no_error (error);
  line = g_ptr_array_index (cart->lines, 0);
  g_assert_cmpint (line->unit_amount, ==, 0);
  g_assert_null (line->name);
  g_assert_cmpint (line->tax_rate, ==, 0);
}

static void
test_checkout_json_has_no_prices (void)
{
  g_autoptr (TillCart) cart = till_cart_new ("USD", FALSE);
  g_autoptr (TillCartLine) line = till_cart_line_new (3, 4);
  g_autoptr (JsonNode) node = NULL;
  JsonObject *object, *first;

  line->unit_amount = 999;
  line->name = g_strdup ("Tea");
  till_cart_add_line (cart, g_steal_pointer (&line));
  cart->client_reference = g_strdup ("abc");

  node = till_cart_to_checkout_json (cart);
  object = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (object, "client_reference"), ==, "abc");
  first = json_array_get_object_element (json_object_get_array_member (object, "lines"), 0);
  g_assert_cmpint (json_object_get_int_member (first, "product_id"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (first, "quantity"), ==, 4);
  g_assert_false (json_object_has_member (first, "unit_amount"));
  g_assert_false (json_object_has_member (first, "name"));
  g_assert_false (json_object_has_member (object, "prices_include_tax"));
}

static void
test_checkout_malformed (void)
{
  const struct
  {
    const char *json;
    int         code;
    const char *names; /* the field the message must name, or NULL */
  } cases[] = {
    { "", TILL_JSON_ERROR_SYNTAX, NULL },
    { "{", TILL_JSON_ERROR_SYNTAX, NULL },
    { "{\"currency\": \"USD\",}", TILL_JSON_ERROR_SYNTAX, NULL },
    { "\xff\xfe{}", TILL_JSON_ERROR_SYNTAX, NULL },
    { "[]", TILL_JSON_ERROR_TYPE, NULL },
    { "null", TILL_JSON_ERROR_TYPE, NULL },
    { "42", TILL_JSON_ERROR_TYPE, NULL },
    { "{\"currency\": \"USD\", \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
      TILL_JSON_ERROR_MISSING, "client_reference" },
    { "{\"client_reference\": \"a\", \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
      TILL_JSON_ERROR_MISSING, "currency" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\"}", TILL_JSON_ERROR_MISSING, "lines" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\", \"lines\": []}", TILL_JSON_ERROR_RANGE,
      NULL },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\", \"lines\": {}}", TILL_JSON_ERROR_TYPE,
      "lines" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\", \"lines\": [7]}", TILL_JSON_ERROR_TYPE,
      "lines[0]" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\", \"coupon\": \"FREE\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
      TILL_JSON_ERROR_UNKNOWN_FIELD, "coupon" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1, \"price_override\": 1}]}",
      TILL_JSON_ERROR_UNKNOWN_FIELD, "lines[0].price_override" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": \"1\", \"quantity\": 1}]}",
      TILL_JSON_ERROR_TYPE, "lines[0].product_id" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1}, {\"product_id\": 2, \"quantity\": 0}]}",
      TILL_JSON_ERROR_RANGE, "lines[1].quantity" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": -3}]}",
      TILL_JSON_ERROR_RANGE, "lines[0].quantity" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 10000}]}",
      TILL_JSON_ERROR_RANGE, "lines[0].quantity" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1.5}]}",
      TILL_JSON_ERROR_TYPE, "lines[0].quantity" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1e3}]}",
      TILL_JSON_ERROR_TYPE, "lines[0].quantity" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": true}]}",
      TILL_JSON_ERROR_TYPE, "lines[0].quantity" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 0, \"quantity\": 1}]}",
      TILL_JSON_ERROR_RANGE, "lines[0].product_id" },
    { "{\"client_reference\": \"a\", \"currency\": \"XYZ\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
      TILL_JSON_ERROR_INVALID, "currency" },
    { "{\"client_reference\": \"a\", \"currency\": \"DOLLARS\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
      TILL_JSON_ERROR_RANGE, "currency" },
    { "{\"client_reference\": \"a b\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
      TILL_JSON_ERROR_INVALID, "client_reference" },
    { "{\"client_reference\": 5, \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
      TILL_JSON_ERROR_TYPE, "client_reference" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\", \"discount\": {\"type\": \"free\"},"
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
      TILL_JSON_ERROR_INVALID, "discount.type" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"discount\": {\"type\": \"percent\", \"basis_points\": 10001},"
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
      TILL_JSON_ERROR_RANGE, "discount.basis_points" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"discount\": {\"type\": \"percent\", \"amount\": 5},"
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
      TILL_JSON_ERROR_UNKNOWN_FIELD, "discount.amount" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1,"
      " \"discount\": {\"type\": \"amount\", \"amount\": -5}}]}",
      TILL_JSON_ERROR_RANGE, "lines[0].discount.amount" },
    { "{\"client_reference\": \"a\", \"currency\": \"USD\","
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1, \"discount\": 5}]}",
      TILL_JSON_ERROR_TYPE, "lines[0].discount" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (TillCart) cart = NULL;

      g_test_message ("case %u", i);
      cart = parse_checkout (cases[i].json, &error);
      g_assert_null (cart);
      g_assert_error (error, TILL_JSON_ERROR, cases[i].code);
      if (cases[i].names != NULL)
        {
          g_autofree char *quoted = g_strdup_printf ("“%s", cases[i].names);
          g_assert_nonnull (strstr (error->message, quoted));
        }
    }
}

static void
test_checkout_too_many_lines (void)
{
  g_autoptr (GString) json =
      g_string_new ("{\"client_reference\": \"a\", \"currency\": \"USD\", \"lines\": [");
  g_autoptr (GError) error = NULL;
  g_autoptr (TillCart) cart = NULL;

  for (int i = 0; i <= TILL_CART_LINES_MAX; i++)
    g_string_append_printf (json, "%s{\"product_id\": %d, \"quantity\": 1}", i ? "," : "", i + 1);
  g_string_append (json, "]}");

  cart = parse_checkout (json->str, &error);
  g_assert_null (cart);
  g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_RANGE);
}

static void
test_cart_round_trip (void)
{
  g_autoptr (TillCart) cart = till_cart_new ("KWD", TRUE);
  g_autoptr (TillCart) back = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr (JsonObject) object = NULL;
  TillCartLine *line;

  line = till_cart_line_new (12, 3);
  line->name = g_strdup ("İstanbul Simidi");
  line->sku = g_strdup ("SIM-1");
  line->unit_amount = 1250;
  line->tax_rate = 850;
  line->note = g_strdup ("sıcak");
  line->discount = (TillDiscount){ TILL_DISCOUNT_AMOUNT, 250 };
  till_cart_add_line (cart, line);
  cart->discount = (TillDiscount){ TILL_DISCOUNT_PERCENT, 500 };
  cart->note = g_strdup ("parked by Ayşe");

  node = till_cart_to_json (cart);
  text = till_json_to_string (node, FALSE);
  object = till_json_parse_object (text, -1, &error);
  g_assert_no_error (error);
  back = till_cart_from_json (object, &error);
  g_assert_no_error (error);

  g_assert_null (back->client_reference);
  g_assert_cmpstr (back->currency, ==, "KWD");
  g_assert_true (back->prices_include_tax);
  g_assert_cmpstr (back->note, ==, cart->note);
  g_assert_cmpint (back->discount.kind, ==, TILL_DISCOUNT_PERCENT);
  g_assert_cmpint (back->discount.value, ==, 500);
  g_assert_cmpuint (back->lines->len, ==, 1);
  line = g_ptr_array_index (back->lines, 0);
  g_assert_cmpint (line->product_id, ==, 12);
  g_assert_cmpint (line->quantity, ==, 3);
  g_assert_cmpstr (line->name, ==, "İstanbul Simidi");
  g_assert_cmpstr (line->sku, ==, "SIM-1");
  g_assert_cmpint (line->unit_amount, ==, 1250);
  g_assert_cmpint (line->tax_rate, ==, 850);
  g_assert_cmpstr (line->note, ==, "sıcak");
  g_assert_cmpint (line->discount.kind, ==, TILL_DISCOUNT_AMOUNT);
  g_assert_cmpint (line->discount.value, ==, 250);

  {
    g_autoptr (TillCart) copy = till_cart_copy (back);
    TillTotals a, b;
    g_assert_true (till_cart_compute_totals (back, NULL, &a, NULL));
    g_assert_true (till_cart_compute_totals (copy, NULL, &b, NULL));
    g_assert_cmpmem (&a, sizeof a, &b, sizeof b);
  }
}

static void
test_saved_cart_needs_snapshots (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = till_json_parse_object (
      "{\"currency\": \"USD\", \"prices_include_tax\": false,"
      " \"lines\": [{\"product_id\": 1, \"quantity\": 1, \"name\": \"Tea\"}]}",
      -1, &error);
  g_autoptr (TillCart) cart = NULL;

  g_assert_no_error (error);
  cart = till_cart_from_json (object, &error);
  g_assert_null (cart);
  g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_MISSING);
  g_assert_nonnull (strstr (error->message, "lines[0].unit_amount"));
}

static TillOrder *
sample_order (void)
{
  TillOrder     *order = till_order_new ();
  TillOrderLine *line = till_order_line_new ();

  order->id = 42;
  order->number = g_strdup ("T-000042");
  order->status = TILL_ORDER_PAID;
  order->currency = g_strdup ("USD");
  order->client_reference = g_strdup ("c-1");
  line->product_id = 7;
  line->name = g_strdup ("Käsekuchen");
  line->quantity = 2;
  line->unit_amount = 450;
  line->tax_rate = 700;
  line->discount = 0;
  line->tax = 63;
  line->total = 963;
  g_ptr_array_add (order->lines, line);
  order->subtotal = 900;
  order->tax = 63;
  order->total = 963;
  order->payment_intent = g_strdup ("pi_123");
  order->payment_status = g_strdup ("succeeded");
  order->card_brand = g_strdup ("visa");
  order->card_last4 = g_strdup ("4242");
  order->created_at = g_date_time_new_utc (2026, 11, 26, 15, 4, 5);
  order->paid_at = g_date_time_new_utc (2026, 11, 26, 15, 5, 0);
  return order;
}

static void
test_order_round_trip (void)
{
  g_autoptr (TillOrder) order = sample_order ();
  g_autoptr (JsonNode) node = till_order_to_json (order);
  g_autofree char *text = till_json_to_string (node, FALSE);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = till_json_parse_object (text, -1, &error);
  g_autoptr (TillOrder) back = NULL;
  TillOrderLine *line;

  g_assert_nonnull (strstr (text, "\"created_at\":\"2026-11-26T15:04:05Z\""));
  g_assert_null (strstr (text, "secret"));

  back = till_order_from_json (object, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->id, ==, 42);
  g_assert_cmpstr (back->number, ==, "T-000042");
  g_assert_cmpint (back->status, ==, TILL_ORDER_PAID);
  g_assert_cmpstr (back->card_brand, ==, "visa");
  g_assert_cmpstr (back->card_last4, ==, "4242");
  g_assert_cmpint (back->total, ==, 963);
  g_assert_true (g_date_time_equal (back->paid_at, order->paid_at));
  line = g_ptr_array_index (back->lines, 0);
  g_assert_cmpstr (line->name, ==, "Käsekuchen");
  g_assert_cmpint (line->tax_rate, ==, 700);

  /* No payment yet: null, and parsed back as none. */
  g_clear_pointer (&order->payment_intent, g_free);
  g_clear_pointer (&order->paid_at, g_date_time_unref);
  order->status = TILL_ORDER_PENDING_PAYMENT;
  {
    g_autoptr (JsonNode) n2 = till_order_to_json (order);
    g_autoptr (TillOrder) b2 = till_order_from_json (json_node_get_object (n2), &error);
    g_assert_no_error (error);
    g_assert_null (b2->payment_intent);
    g_assert_null (b2->paid_at);
    g_assert_cmpint (b2->status, ==, TILL_ORDER_PENDING_PAYMENT);
  }
}

static void
test_receipt (void)
{
  g_autoptr (TillOrder) order = sample_order ();
  g_autofree char *text = NULL;
  /* 42 columns, worked out by hand: 2 × 4.50 at 7 % = 9.00 + 0.63 tax = 9.63. */
  const char *expected = "               Corner Shop\n"
                         "Order T-000042            2026-11-26 15:04\n"
                         "------------------------------------------\n"
                         "2 × Käsekuchen                       $9.00\n"
                         "    $4.50 each\n"
                         "------------------------------------------\n"
                         "Subtotal                             $9.00\n"
                         "Tax 7 % on $9.00                     $0.63\n"
                         "TOTAL                                $9.63\n"
                         "\n"
                         "Paid by card: Visa •••• 4242\n"
                         "\n"
                         "                Thank you!\n";

  text = till_receipt_format (order, "Corner Shop", FALSE, "en_US", TILL_RECEIPT_WIDTH);
  g_assert_cmpstr (text, ==, expected);

  /* KWD: the rounding line shows what the card was charged against the receipt's sum. */
  g_free (order->currency);
  order->currency = g_strdup ("KWD");
  order->subtotal = 5124;
  order->tax = 0;
  order->rounding = -4;
  order->total = 5120;
  g_clear_pointer (&text, g_free);
  text = till_receipt_format (order, NULL, TRUE, "en_US", TILL_RECEIPT_WIDTH);
  g_assert_nonnull (strstr (text, "Incl. tax 7 % on"));
  g_assert_nonnull (strstr (text, "Rounding                        -KWD\u00a00.004\n"));
  g_assert_nonnull (strstr (text, "TOTAL                            KWD\u00a05.120\n"));
}

/* An order priced by core, as the server prices it, from @lines. */
static TillOrder *
priced_order (const char           *currency,
              gboolean              prices_include_tax,
              const TillTotalsLine *lines,
              const char *const    *names,
              guint                 n_lines,
              const TillDiscount   *cart_discount)
{
  g_autoptr (TillOrder) order = till_order_new ();
  g_autofree TillLineTotals *line_totals = g_new0 (TillLineTotals, n_lines);
  g_autoptr (GError) error = NULL;
  TillTotals totals;

  g_assert_true (till_totals_compute (till_currency_lookup (currency), prices_include_tax, lines,
                                      n_lines, cart_discount, line_totals, &totals, &error));
  g_assert_no_error (error);
  order->id = 7;
  order->number = g_strdup ("T-000007");
  order->status = TILL_ORDER_PAID;
  order->currency = g_strdup (currency);
  for (guint i = 0; i < n_lines; i++)
    {
      TillOrderLine *line = till_order_line_new ();

      line->product_id = i + 1;
      line->name = g_strdup (names[i]);
      line->quantity = lines[i].quantity;
      line->unit_amount = lines[i].unit_amount;
      line->tax_rate = lines[i].tax_rate;
      line->discount = line_totals[i].discount;
      line->tax = line_totals[i].tax;
      line->total = line_totals[i].total;
      g_ptr_array_add (order->lines, line);
    }
  order->subtotal = totals.subtotal;
  order->discount = totals.discount;
  order->tax = totals.tax;
  order->rounding = totals.rounding;
  order->total = totals.total;
  order->created_at = g_date_time_new_utc (2026, 11, 26, 15, 4, 5);
  return g_steal_pointer (&order);
}

/* Two tax rates, a line discount and a cart discount: each line is quantity × price, its
 * discount under it, and the tax per rate with what it is charged on, so that the figures
 * add up as printed. Worked out by hand: coffee 2 × 3.00 = 6.00, 10 % off = 0.60 and 0.31
 * of the cart's 1.00 (spread 5.40 : 12.00, largest remainder), net 5.09, tax 8 % = 0.41;
 * book 12.00, 0.69 of the cart's discount, net 11.31, no tax. 18.00 − 1.60 + 0.41 = 16.81. */
static void
test_receipt_adds_up (void)
{
  const TillTotalsLine lines[] = {
    { 300, 2, 800, { TILL_DISCOUNT_PERCENT, 1000 } },
    { 1200, 1, 0, { TILL_DISCOUNT_NONE, 0 } },
  };
  const char        *names[] = { "Coffee", "Book" };
  const TillDiscount cart_discount = { TILL_DISCOUNT_AMOUNT, 100 };
  g_autoptr (TillOrder) order = priced_order ("USD", FALSE, lines, names, 2, &cart_discount);
  TillReceiptOptions options = {
    .store_name = "Corner Shop",
    .store_address = "1 Market Street\nSpringfield 12345",
    .store_tax_id = "US-12-3456789",
    .note = "Gift: please wrap the book, and keep the receipt with it for an exchange",
    .locale = "en_US",
  };
  g_autofree char *text = till_receipt_format_full (order, &options);
  g_autofree char *training = NULL;
  const char      *expected = "               Corner Shop\n"
                              "             1 Market Street\n"
                              "            Springfield 12345\n"
                              "        Tax number: US-12-3456789\n"
                              "Order T-000007            2026-11-26 15:04\n"
                              "------------------------------------------\n"
                              "2 × Coffee                           $6.00\n"
                              "    $3.00 each\n"
                              "    Discount                        -$0.91\n"
                              "1 × Book                            $12.00\n"
                              "    Discount                        -$0.69\n"
                              "------------------------------------------\n"
                              "Subtotal                            $18.00\n"
                              "Discount                            -$1.60\n"
                              "Tax 0 % on $11.31                    $0.00\n"
                              "Tax 8 % on $5.09                     $0.41\n"
                              "TOTAL                               $16.81\n"
                              "\n"
                              "Note:\n"
                              "  Gift: please wrap the book, and keep the\n"
                              "  receipt with it for an exchange\n"
                              "\n"
                              "                Thank you!\n";

  g_assert_cmpint (order->total, ==, 1681);
  g_assert_cmpstr (text, ==, expected);

  /* A training receipt says so, at the top and at the bottom. */
  options.training = TRUE;
  training = till_receipt_format_full (order, &options);
  g_assert_true (g_str_has_prefix (training, "     *** TRAINING — NOT A RECEIPT ***\n"
                                             "           No card was charged\n"));
  g_assert_true (g_str_has_suffix (training, "     *** TRAINING — NOT A RECEIPT ***\n"
                                             "           No card was charged\n"));
  g_assert_null (strstr (text, "TRAINING"));
}

/* Inclusive prices: the lines and the subtotal are what the customer sees on the shelf, the
 * tax included in them is shown per rate: 2 × €1.07 at 7 % (tax 0.14 of 2.14, charged on
 * 2.00) and €11.90 at 19 % less 10 % (net 10.71, tax 1.71, on 9.00). 14.04 − 1.19 = 12.85. */
static void
test_receipt_inclusive (void)
{
  const TillTotalsLine lines[] = {
    { 107, 2, 700, { TILL_DISCOUNT_NONE, 0 } },
    { 1190, 1, 1900, { TILL_DISCOUNT_PERCENT, 1000 } },
  };
  const char *names[] = { "Brötchen", "Wein" };
  g_autoptr (TillOrder) order = priced_order ("EUR", TRUE, lines, names, 2, NULL);
  TillReceiptOptions options = { .prices_include_tax = TRUE, .locale = "de_DE" };
  g_autofree char   *text = till_receipt_format_full (order, &options);

  g_assert_cmpint (order->total, ==, 1285);
  g_assert_nonnull (strstr (text, "2 × Brötchen                        2,14\u00a0€\n"));
  g_assert_nonnull (strstr (text, "1 × Wein                           11,90\u00a0€\n"
                                  "    Discount                       -1,19\u00a0€\n"));
  g_assert_nonnull (strstr (text, "Subtotal                           14,04\u00a0€\n"
                                  "Discount                           -1,19\u00a0€\n"
                                  "Incl. tax 7 % on 2,00\u00a0€             0,14\u00a0€\n"
                                  "Incl. tax 19 % on 9,00\u00a0€            1,71\u00a0€\n"
                                  "TOTAL                              12,85\u00a0€\n"));
}

static void
test_order_malformed (void)
{
  g_autoptr (TillOrder) order = sample_order ();
  const char *bad_members[][2] = {
    { "status", "\"lost\"" },          { "total", "\"9.63\"" }, { "total", "9.63" },
    { "created_at", "\"yesterday\"" }, { "lines", "{}" },       { "id", "0" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad_members); i++)
    {
      g_autoptr (JsonNode) node = till_order_to_json (order);
      g_autoptr (JsonNode) value = json_from_string (bad_members[i][1], NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (TillOrder) back = NULL;
      JsonObject *object = json_node_get_object (node);

      json_object_set_member (object, bad_members[i][0], g_steal_pointer (&value));
      back = till_order_from_json (object, &error);
      g_assert_null (back);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, bad_members[i][0]));
    }
}

static void
test_order_status_transitions (void)
{
  TillOrderStatus s;

  g_assert_true (till_order_status_can_become (TILL_ORDER_PENDING_PAYMENT, TILL_ORDER_PAID));
  g_assert_true (till_order_status_can_become (TILL_ORDER_PENDING_PAYMENT, TILL_ORDER_CANCELED));
  g_assert_true (till_order_status_can_become (TILL_ORDER_PAID, TILL_ORDER_PARTIALLY_REFUNDED));
  g_assert_true (till_order_status_can_become (TILL_ORDER_PAID, TILL_ORDER_REFUNDED));
  g_assert_true (till_order_status_can_become (TILL_ORDER_PARTIALLY_REFUNDED, TILL_ORDER_REFUNDED));
  g_assert_true (till_order_status_can_become (TILL_ORDER_PAID, TILL_ORDER_PAID));
  g_assert_false (till_order_status_can_become (TILL_ORDER_PAID, TILL_ORDER_PENDING_PAYMENT));
  g_assert_false (till_order_status_can_become (TILL_ORDER_PAID, TILL_ORDER_CANCELED));
  g_assert_false (till_order_status_can_become (TILL_ORDER_CANCELED, TILL_ORDER_PAID));
  g_assert_false (till_order_status_can_become (TILL_ORDER_REFUNDED, TILL_ORDER_PAID));
  g_assert_false (till_order_status_can_become (TILL_ORDER_PENDING_PAYMENT, TILL_ORDER_REFUNDED));

  for (s = TILL_ORDER_PENDING_PAYMENT; s <= TILL_ORDER_CANCELED; s++)
    {
      TillOrderStatus back;
      g_assert_true (till_order_status_from_string (till_order_status_to_string (s), &back));
      g_assert_cmpint (back, ==, s);
    }
  g_assert_false (till_order_status_from_string ("PAID", &s));
  g_assert_false (till_order_status_from_string (NULL, &s));
}

/* JsonParser's tree, or NULL where it refuses the text. */
static JsonNode *
reference_parse (const char *text, gsize length)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, length, NULL) ||
      (root = json_parser_get_root (parser)) == NULL)
    return NULL;
  return json_node_copy (root);
}

static const char *const some_members[] = { "id", "status", "nested", "metadata", NULL };

/* With only some members read: the others left out, the text checked all the same. */
static void
check_members_same_as_json_glib (const char *text, gsize length)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) mine = till_json_parse_object_members (text, length, some_members, &error);
  g_autoptr (JsonNode) theirs = NULL;
  g_autoptr (JsonNode) node = NULL;
  JsonObject *object;
  g_autoptr (GList) names = NULL;

  if (mine == NULL)
    {
      g_assert_true (error->domain == TILL_JSON_ERROR);
      return;
    }
  theirs = reference_parse (text, length);
  g_assert_nonnull (theirs);
  object = json_node_get_object (theirs);
  names = json_object_get_members (object);
  for (GList *l = names; l != NULL; l = l->next)
    if (!g_strv_contains (some_members, l->data))
      json_object_remove_member (object, l->data);
  node = json_node_init_object (json_node_alloc (), mine);
  g_assert_true (json_node_equal (node, theirs));
}

static void
check_same_as_json_glib (const char *text, gsize length)
{
  check_members_same_as_json_glib (text, length);

  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) mine = till_json_parse_object (text, length, &error);
  g_autoptr (JsonNode) theirs = NULL;
  g_autoptr (JsonNode) node = NULL;

  if (mine == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == TILL_JSON_ERROR);
      return;
    }
  /* What the reader accepts, JsonParser reads the same way. */
  theirs = reference_parse (text, length);
  g_assert_nonnull (theirs);
  node = json_node_init_object (json_node_alloc (), mine);
  g_assert_true (json_node_equal (node, theirs));
}

static const char intent_json[] =
    "{\"id\": \"pi_3Ab\", \"object\": \"payment_intent\", \"amount\": 1250, "
    "\"amount_received\": 0, \"automatic_payment_methods\": {\"enabled\": true}, "
    "\"charges\": {\"object\": \"list\", \"data\": [], \"has_more\": false, "
    "\"url\": \"/v1/charges?payment_intent=pi_3Ab\"}, \"client_secret\": \"pi_3Ab_secret_x\", "
    "\"created\": 1764172800, \"currency\": \"eur\", \"description\": \"B\\u00e4ckerei \\\"T\\\" "
    "\\ud83d\\ude00 \\/ \\n\", \"last_payment_error\": null, \"livemode\": false, "
    "\"metadata\": {\"till_order_id\": \"42\", \"till_order_number\": \"T000042\"}, "
    "\"payment_method_types\": [\"card\", \"link\"], \"rate\": -1.5e-3, "
    "\"nested\": [[1, [2, [3, {}]]], {\"a\": [true, false, null, 0, -0, 10.25]}], "
    "\"status\": \"requires_payment_method\"}";

/* The JSON reader: the same trees as JsonParser, stricter where JSON is, and never a crash
 * on damaged text. (JsonParser is only the reference here: Till reads no JSON with it.) */
static void
test_reader (void)
{
  static const char *valid[] = {
    "{}",
    " {\"a\":1} ",
    "{\"a\": [], \"b\": {}, \"c\": \"\"}",
    "{\"a\": 1, \"A\": 2}",
    "{\"q\": 9223372036854775807, \"r\": -9223372036854775808, \"s\": 1E2, \"t\": 0.5}",
    "{\"ü\": \"İstanbul\", \"e\": \"\\u0130\\u00fc\\t\"}",
    /* UTF-8 past the first eight bytes, and at the very end */
    "{\"name\": \"plain ASCII first, then Straße\"}",
    "{\"a\":\"ğ\"}",
  };
  static const char  with_nul[] = "{\"name\": \"a NUL \0 in the middle\"}";
  static const char *invalid[] = {
    "",
    " ",
    "{",
    "}",
    "{\"a\"}",
    "{\"a\":}",
    "{\"a\":1,}",
    "{\"a\":1 \"b\":2}",
    "{a:1}",
    "{'a':1}",
    "{\"a\":01}",
    "{\"a\":1.}",
    "{\"a\":.5}",
    "{\"a\":-}",
    "{\"a\":1e}",
    "{\"a\":+1}",
    "{\"a\":tru}",
    "{\"a\":nul}",
    "{\"a\":\"x}",
    "{\"a\":\"\\x\"}",
    "{\"a\":\"\\u12\"}",
    "{\"a\":\"\\ud800\"}",
    "{\"a\":\"\\udc00\"}",
    "{\"a\":\"\\u0000\"}",
    "{\"a\":\"tab\there\"}",
    "{} {}",
    "{}x",
    "{/* c */}",
    "{\"a\":[1,]}",
    "{\"a\":[,1]}",
    "{\"a\":NaN}",
    "{\"a\":Infinity}",
    "{\"a\":\"\xff\"}",
    "{\"a\":9223372036854775808}",
    /* not UTF-8 after some ASCII: a stray byte, an overlong '/', a surrogate, a cut sequence */
    "{\"name\": \"plain ASCII first \x80\"}",
    "{\"name\": \"plain ASCII \xc0\xaf\"}",
    "{\"name\": \"plain ASCII first \xed\xa0\x80\"}",
    "{\"name\": \"plain ASCII \xc3\"}",
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  GString *deep = g_string_new ("{\"a\":");

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr (JsonObject) read = till_json_parse_object (valid[i], strlen (valid[i]), &error);

      g_assert_no_error (error);
      g_assert_nonnull (read);
      check_same_as_json_glib (valid[i], strlen (valid[i]));
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr (JsonObject) read =
          till_json_parse_object (invalid[i], strlen (invalid[i]), &error);

      g_assert_null (read);
      g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX);
      g_clear_error (&error);
    }
  /* A member twice in an object: JsonParser would keep the last, silently. */
  {
    static const struct
    {
      const char *text;
      const char *message;
    } duplicates[] = {
      { "{\"quantity\": 1, \"quantity\": 9999}", "duplicate member “quantity” at byte 16" },
      { "{\"a\": 1, \"b\": {\"c\": 1, \"d\": 2, \"c\": 3}}", "duplicate member “c”" },
      { "{\"lines\": [{\"q\": 1}, {\"q\": 2, \"q\": 2}]}", "duplicate member “q”" },
      { "{\"a\": null, \"\\u0061\": null}", "duplicate member “a”" },
      { "{\"é\": 1, \"\\u00e9\": 2}", "duplicate member “é”" },
      { "{\"id\": \"pi_1\", \"id\": \"pi_2\"}", "duplicate member “id”" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (duplicates); i++)
      {
        const char *text = duplicates[i].text;

        g_assert_null (till_json_parse_object (text, strlen (text), &error));
        g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX);
        g_assert_nonnull (strstr (error->message, duplicates[i].message));
        g_clear_error (&error);
      }
    /* Of only some members, the ones read are checked too. */
    g_assert_null (till_json_parse_object_members (duplicates[5].text, strlen (duplicates[5].text),
                                                   some_members, &error));
    g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX);
    g_clear_error (&error);
    {
      const char *text = "{\"a\": {\"id\": 1}, \"b\": {\"id\": 2}, \"id\": 3}";
      g_autoptr (JsonObject) same_name_elsewhere =
          till_json_parse_object (text, strlen (text), &error);

      g_assert_no_error (error);
      g_assert_cmpuint (json_object_get_size (same_name_elsewhere), ==, 3);
    }
  }

  /* Not an object; not all of the buffer (a NUL inside). */
  g_assert_null (till_json_parse_object ("[1]", 3, &error));
  g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_TYPE);
  g_clear_error (&error);
  g_assert_null (till_json_parse_object ("{}\0", 3, &error));
  g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX);
  g_clear_error (&error);
  g_assert_null (till_json_parse_object (with_nul, sizeof with_nul - 1, &error));
  g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX);
  g_clear_error (&error);
  /* Only @length bytes count. */
  object = till_json_parse_object ("{\"a\": 1}garbage", 8, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (object, "a"), ==, 1);

  /* Values as JsonParser gives them. */
  g_clear_pointer (&object, json_object_unref);
  object = till_json_parse_object (intent_json, strlen (intent_json), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (object, "description"), ==,
                   "Bäckerei \"T\" 😀 / \n");
  g_assert_cmpint (json_object_get_int_member (object, "amount"), ==, 1250);
  g_assert_cmpfloat (json_object_get_double_member (object, "rate"), ==, -1.5e-3);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (object, "last_payment_error")));
  check_same_as_json_glib (intent_json, strlen (intent_json));

  /* Members left out are checked all the same. */
  {
    static const char *bad_skipped[] = {
      "{\"id\": 1, \"x\": [1,]}",
      "{\"id\": 1, \"x\": {\"a\" 1}}",
      "{\"x\": \"\\q\", \"id\": 1}",
      "{\"x\": 01}",
      "{\"x\": tru}",
      "{\"x\": [[[[\"\\ud800\"]]]]}",
      "{\"x\": {}, }",
      /* numbers out of range, found by the fuzz target */
      "{\"x\": 1e400, \"id\": 1}",
      "{\"x\": [-12345678901234567890]}",
    };
    g_autoptr (JsonObject) some =
        till_json_parse_object_members (intent_json, strlen (intent_json), some_members, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (json_object_get_size (some), ==, 4);
    g_assert_cmpstr (json_object_get_string_member (some, "id"), ==, "pi_3Ab");
    g_assert_true (json_object_has_member (some, "nested"));
    g_assert_false (json_object_has_member (some, "amount"));
    for (guint i = 0; i < G_N_ELEMENTS (bad_skipped); i++)
      {
        g_assert_null (till_json_parse_object_members (bad_skipped[i], strlen (bad_skipped[i]),
                                                       some_members, &error));
        g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX);
        g_clear_error (&error);
      }
  }

  /* Nesting is limited. */
  for (guint i = 0; i < 200; i++)
    g_string_append_c (deep, '[');
  g_assert_null (till_json_parse_object (deep->str, deep->len, &error));
  g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX);
  g_clear_error (&error);
  g_string_free (deep, TRUE);

  /* Damaged copies of the intent: refused cleanly, or read as JsonParser reads them. */
  for (guint round = 0; round < 3000; round++)
    {
      g_autofree char *copy = g_strdup (intent_json);
      gsize            length = strlen (copy);
      guint            changes = g_test_rand_int_range (1, 4);

      for (guint c = 0; c < changes; c++)
        {
          gsize at;

          if (length < 2)
            break;
          at = g_test_rand_int_range (0, length);

          switch (g_test_rand_int_range (0, 3))
            {
              case 0: /* another byte from the text's own alphabet */
                {
                  static const char alphabet[] = "{}[]\":,.-+eE0123456789tfnul\\ \"a";

                  copy[at] = alphabet[g_test_rand_int_range (0, sizeof alphabet - 1)];
                }
                break;
              case 1: /* cut short */
                length = at;
                break;
              default: /* a byte dropped */
                memmove (copy + at, copy + at + 1, length - at);
                length--;
                break;
            }
        }
      check_same_as_json_glib (copy, length);
    }
}

/* Where the reader differs from JsonParser, which till_json_parse_object () used to be: each
 * text refused here JsonParser read (or crashed on, nested deep enough), mostly as something
 * else than what it says. */
static void
test_reader_edge_cases (void)
{
  static const struct
  {
    const char *text;
    const char *message;
  } refused[] = {
    { "\xef\xbb\xbf{\"a\": 1}", "byte order mark at byte 0" },
    { "{\"a\": \"\\ud800x\"}", "lone surrogate" },
    { "{\"a\": \"\\ud800\\u0041\"}", "lone surrogate" },
    { "{\"a\": \"\\u0000\"}", "NUL character" },
    { "{\"a\": 9223372036854775808}", "integer out of range at byte 6" },
    { "{\"a\": -9223372036854775809}", "integer out of range" },
    { "{\"a\": 123456789012345678901234567890}", "integer out of range" },
    { "{\"a\": 1e400}", "number out of range at byte 6" },
    { "{\"a\": -1.5E+309}", "number out of range" },
    { "{\"a\": 1.00000000000000000000000000000000000000000000000000000000000001}",
      "number too long" },
    { "{\"a\": 01}", "expected ‘,’ or ‘}’" },
    { "{\"a\": .5}", "unexpected character" },
    { "{\"a\": 1.}", "bad number" },
    { "{\"a\": 0x10}", "expected ‘,’ or ‘}’" },
    { "{\"a\": 1 /* c */}", "expected ‘,’ or ‘}’" },
    { "{'a': 1}", "expected a member name" },
    { "{\"a\": \"x\ty\"}", "control character in a string" },
    { "{\"a\": \"\\x\"}", "bad escape in a string" },
    { "{\"a\": 1}{}", "text after the end at byte 8" },
    { " \r\n\t", "unexpected end" },
  };
  static const struct
  {
    const char *text;
    GType       type;
    gint64      integer;
    double      real;
  } accepted[] = {
    { "{\"a\": -0}", G_TYPE_INT64, 0, 0 },
    { "{\"a\": 9223372036854775807}", G_TYPE_INT64, G_MAXINT64, 0 },
    { "{\"a\": -9223372036854775808}", G_TYPE_INT64, G_MININT64, 0 },
    { "{\"a\": 1.0e5}", G_TYPE_DOUBLE, 0, 100000.0 },
    { "{\"a\": 1E+2}", G_TYPE_DOUBLE, 0, 100.0 },
    { "{\"a\": 1e-400}", G_TYPE_DOUBLE, 0, 0.0 },
    { "{\"a\": -0.0}", G_TYPE_DOUBLE, 0, -0.0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) object = till_json_parse_object (refused[i].text, -1, &error);

      g_test_message ("refused %u: %s", i, refused[i].text);
      g_assert_null (object);
      g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX);
      g_assert_nonnull (strstr (error->message, refused[i].message));
    }
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) object = till_json_parse_object (accepted[i].text, -1, &error);
      JsonNode *a;

      g_test_message ("accepted %u: %s", i, accepted[i].text);
      g_assert_no_error (error);
      a = json_object_get_member (object, "a");
      g_assert_cmpint (json_node_get_value_type (a), ==, accepted[i].type);
      if (accepted[i].type == G_TYPE_INT64)
        g_assert_cmpint (json_node_get_int (a), ==, accepted[i].integer);
      else
        g_assert_cmpfloat (json_node_get_double (a), ==, accepted[i].real);
    }
  /* 1.0e5 is a double: not an amount of money. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) object = till_json_parse_object ("{\"amount\": 1.0e5}", -1, &error);
    gint64 amount = 0;

    g_assert_no_error (error);
    g_assert_false (till_json_get_int (object, "", "amount", TRUE, 0, G_MAXINT64, &amount, &error));
    g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_TYPE);
  }
  /* Nothing at all; a surrogate pair is one character. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) object = NULL;

    g_assert_null (till_json_parse_object ("", 0, &error));
    g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX);
    g_assert_cmpstr (error->message, ==, "The request body is empty");
    g_clear_error (&error);
    object = till_json_parse_object ("{\"a\": \"\\ud83d\\ude00\"}", -1, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (object, "a"), ==, "😀");
  }
  /* An empty name is a name like any other, to read or not (the fuzz target found it was
   * never read). */
  {
    static const char *const empty_name[] = { "", NULL };
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) object =
        till_json_parse_object_members ("{\"b\": 2, \"\": 1}", -1, empty_name, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (json_object_get_size (object), ==, 1);
    g_assert_cmpint (json_object_get_int_member (object, ""), ==, 1);
  }
  /* 128 levels of objects and arrays are read, 129 are not; a text nested far deeper is
   * refused, not a stack overflow. */
  for (guint levels = 128; levels <= 100000; levels = levels == 128 ? 129 : 100000)
    {
      g_autoptr (GString) text = g_string_new ("{\"a\": ");
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) object = NULL;

      for (guint i = 1; i < levels; i++)
        g_string_append_c (text, '[');
      for (guint i = 1; i < levels; i++)
        g_string_append_c (text, ']');
      g_string_append_c (text, '}');
      object = till_json_parse_object (text->str, text->len, &error);
      if (levels == 128)
        g_assert_no_error (error);
      else
        g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX);
      if (levels == 100000)
        break;
    }
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "UTC", TRUE); /* receipts show local time */
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/json/duplicate-members", test_duplicate_members);
  g_test_add_func ("/core/json/reader", test_reader);
  g_test_add_func ("/core/json/reader/edge-cases", test_reader_edge_cases);
  g_test_add_func ("/core/json/checkout/valid", test_checkout_valid);
  g_test_add_func ("/core/json/checkout/drops-client-prices", test_checkout_drops_client_prices);
  g_test_add_func ("/core/json/checkout/no-prices-sent", test_checkout_json_has_no_prices);
  g_test_add_func ("/core/json/checkout/malformed", test_checkout_malformed);
  g_test_add_func ("/core/json/checkout/too-many-lines", test_checkout_too_many_lines);
  g_test_add_func ("/core/json/cart/round-trip", test_cart_round_trip);
  g_test_add_func ("/core/json/cart/needs-snapshots", test_saved_cart_needs_snapshots);
  g_test_add_func ("/core/json/order/round-trip", test_order_round_trip);
  g_test_add_func ("/core/json/order/malformed", test_order_malformed);
  g_test_add_func ("/core/receipt/format", test_receipt);
  g_test_add_func ("/core/receipt/adds-up", test_receipt_adds_up);
  g_test_add_func ("/core/receipt/inclusive", test_receipt_inclusive);
  g_test_add_func ("/core/json/order/status-transitions", test_order_status_transitions);

  return g_test_run ();
}
