/* test-json-writer.c: the compact JSON writer against json-glib's reading of its output.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-core.h"

static JsonNode *
parse (const GString *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text->str, text->len, &error);
  g_assert_no_error (error);
  return json_node_ref (json_parser_get_root (parser));
}

static void
test_structure (void)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GDateTime) time = g_date_time_new_utc (2026, 11, 26, 9, 5, 7);
  TillJsonWriter writer;

  till_json_writer_init (&writer, text);
  till_json_writer_begin_object (&writer);
  till_json_writer_member_int (&writer, "a", 1);
  till_json_writer_name (&writer, "empty");
  till_json_writer_begin_array (&writer);
  till_json_writer_end_array (&writer);
  till_json_writer_name (&writer, "list");
  till_json_writer_begin_array (&writer);
  till_json_writer_int (&writer, G_MININT64);
  till_json_writer_int (&writer, G_MAXINT64);
  till_json_writer_int (&writer, 0);
  till_json_writer_int (&writer, -7);
  till_json_writer_boolean (&writer, TRUE);
  till_json_writer_boolean (&writer, FALSE);
  till_json_writer_null (&writer);
  till_json_writer_string (&writer, NULL);
  till_json_writer_begin_object (&writer);
  till_json_writer_end_object (&writer);
  till_json_writer_begin_object (&writer);
  till_json_writer_member_string (&writer, "x", "y");
  till_json_writer_end_object (&writer);
  till_json_writer_end_array (&writer);
  till_json_writer_name (&writer, "at");
  till_json_writer_time (&writer, time);
  till_json_writer_name (&writer, "never");
  till_json_writer_time (&writer, NULL);
  till_json_writer_end_object (&writer);

  g_assert_cmpstr (text->str, ==,
                   "{\"a\":1,\"empty\":[],\"list\":[-9223372036854775808,9223372036854775807,"
                   "0,-7,true,false,null,null,{},{\"x\":\"y\"}],"
                   "\"at\":\"2026-11-26T09:05:07Z\",\"never\":null}");
  g_assert_cmpuint (writer.depth, ==, 0);
  json_node_unref (parse (text));
}

/* Every string, including names, comes back from json-glib exactly as it went in. */
static void
assert_round_trip (const char *value, const char *expected)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (JsonNode) root = NULL;
  TillJsonWriter writer;
  JsonObject    *object;

  till_json_writer_init (&writer, text);
  till_json_writer_begin_object (&writer);
  till_json_writer_member_string (&writer, value, value);
  till_json_writer_end_object (&writer);
  root = parse (text);
  object = json_node_get_object (root);
  g_assert_true (json_object_has_member (object, expected));
  g_assert_cmpstr (json_object_get_string_member (object, expected), ==, expected);
}

static void
test_escaping (void)
{
  static const char *valid[] = {
    "",
    "plain",
    "quote \" backslash \\ slash /",
    "\n\r\t\b\f",
    "\x01\x1f\x7f",
    "İstanbul ıspanak Größe ½ €",
    "emoji \xf0\x9f\x98\x80",
    "\xe2\x80\xa8 line separator",
    "</script>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    assert_round_trip (valid[i], valid[i]);
  /* Not UTF-8: each bad byte becomes U+FFFD, the rest is kept. */
  assert_round_trip ("a\xff"
                     "b\xc3",
                     "a\xef\xbf\xbd"
                     "b\xef\xbf\xbd");
  assert_round_trip ("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

/* Random bytes, valid UTF-8 or not: the output always parses and valid input round-trips. */
static void
test_random_strings (void)
{
  for (guint round = 0; round < 2000; round++)
    {
      gsize            length = g_test_rand_int_range (0, 24);
      g_autofree char *value = g_malloc (length + 1);
      g_autoptr (GString) text = g_string_new (NULL);
      g_autoptr (JsonNode) root = NULL;
      TillJsonWriter writer;

      for (gsize i = 0; i < length; i++)
        value[i] = (char) g_test_rand_int_range (1, 256);
      value[length] = '\0';
      till_json_writer_init (&writer, text);
      till_json_writer_begin_array (&writer);
      till_json_writer_string (&writer, value);
      till_json_writer_end_array (&writer);
      g_assert_true (g_utf8_validate (text->str, text->len, NULL));
      root = parse (text);
      if (g_utf8_validate (value, -1, NULL))
        g_assert_cmpstr (json_array_get_string_element (json_node_get_array (root), 0), ==, value);
    }
}

/* The order written directly reads back as the same order. */
static void
test_order (void)
{
  g_autoptr (TillOrder) order = till_order_new ();
  g_autoptr (TillOrderLine) line = till_order_line_new ();
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (JsonNode) written = NULL;
  g_autoptr (TillOrder) back = NULL;
  g_autoptr (GError) error = NULL;
  TillJsonWriter writer;

  order->id = 42;
  order->number = g_strdup ("T-0042");
  order->currency = g_strdup ("TRY");
  order->client_reference = g_strdup ("ref \"1\"");
  line->product_id = 7;
  line->name = g_strdup ("Çay \\ büyük");
  line->quantity = 3;
  line->unit_amount = 1250;
  line->tax_rate = 1000;
  line->tax = 341;
  line->total = 3750;
  g_ptr_array_add (order->lines, g_steal_pointer (&line));
  order->subtotal = order->total = 3750;
  order->tax = 341;
  order->payment_intent = g_strdup ("pi_123");
  order->payment_status = g_strdup ("requires_payment_method");
  order->created_at = g_date_time_new_utc (2026, 11, 26, 18, 0, 1);

  till_json_writer_init (&writer, text);
  till_order_write_json (order, &writer);
  written = parse (text);
  back = till_order_from_json (json_node_get_object (written), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->client_reference, ==, "ref \"1\"");
  g_assert_cmpstr (((TillOrderLine *) back->lines->pdata[0])->name, ==, "Çay \\ büyük");
  g_assert_cmpint (back->total, ==, 3750);
  g_assert_true (g_date_time_equal (back->created_at, order->created_at));
  g_assert_null (back->paid_at);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json-writer/structure", test_structure);
  g_test_add_func ("/json-writer/escaping", test_escaping);
  g_test_add_func ("/json-writer/random-strings", test_random_strings);
  g_test_add_func ("/json-writer/order", test_order);
  return g_test_run ();
}
