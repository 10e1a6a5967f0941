/* till-cart.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "till-cart.h"
#include "till-json.h"
#include "till-money.h"

TillCartLine *
till_cart_line_new (gint64 product_id, gint64 quantity)
{
  TillCartLine *line = g_new0 (TillCartLine, 1);

  line->product_id = product_id;
  line->quantity = quantity;
  return line;
}

TillCartLine *
till_cart_line_copy (const TillCartLine *line)
{
  TillCartLine *copy = g_memdup2 (line, sizeof *line);

  copy->note = g_strdup (line->note);
  copy->name = g_strdup (line->name);
  copy->sku = g_strdup (line->sku);
  return copy;
}

void
till_cart_line_free (TillCartLine *line)
{
  if (line == NULL)
    return;
  g_free (line->note);
  g_free (line->name);
  g_free (line->sku);
  g_free (line);
}

TillCart *
till_cart_new (const char *currency, gboolean prices_include_tax)
{
  TillCart *cart = g_new0 (TillCart, 1);

  cart->currency = g_ascii_strup (currency, -1);
  cart->prices_include_tax = prices_include_tax;
  cart->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) till_cart_line_free);
  return cart;
}

TillCart *
till_cart_copy (const TillCart *cart)
{
  TillCart *copy = till_cart_new (cart->currency, cart->prices_include_tax);

  copy->client_reference = g_strdup (cart->client_reference);
  copy->discount = cart->discount;
  copy->note = g_strdup (cart->note);
  for (guint i = 0; i < cart->lines->len; i++)
    g_ptr_array_add (copy->lines, till_cart_line_copy (g_ptr_array_index (cart->lines, i)));
  return copy;
}

void
till_cart_free (TillCart *cart)
{
  if (cart == NULL)
    return;
  g_free (cart->client_reference);
  g_free (cart->currency);
  g_free (cart->note);
  g_ptr_array_unref (cart->lines);
  g_free (cart);
}

/* Takes ownership of @line. */
void
till_cart_add_line (TillCart *cart, TillCartLine *line)
{
  g_ptr_array_add (cart->lines, line);
}

/**
 * till_cart_compute_totals:
 * @out_lines: (out) (transfer full) (nullable): per-line results, one per cart line
 *
 * Computes the cart's totals from its product snapshots with till_totals_compute().
 */
gboolean
till_cart_compute_totals (const TillCart  *cart,
                          TillLineTotals **out_lines,
                          TillTotals      *out_totals,
                          GError         **error)
{
  const TillCurrency        *currency = till_currency_lookup (cart->currency);
  guint                      n = cart->lines->len;
  g_autofree TillTotalsLine *lines = g_new0 (TillTotalsLine, MAX (n, 1));
  g_autofree TillLineTotals *results = g_new0 (TillLineTotals, MAX (n, 1));

  if (currency == NULL)
    {
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_UNKNOWN_CURRENCY,
                   _ ("Unknown currency “%s”"), cart->currency);
      return FALSE;
    }

  for (guint i = 0; i < n; i++)
    {
      const TillCartLine *line = g_ptr_array_index (cart->lines, i);

      lines[i].unit_amount = line->unit_amount;
      lines[i].quantity = line->quantity;
      lines[i].tax_rate = line->tax_rate;
      lines[i].discount = line->discount;
    }

  if (!till_totals_compute (currency, cart->prices_include_tax, lines, n, &cart->discount, results,
                            out_totals, error))
    return FALSE;

  if (out_lines != NULL)
    *out_lines = g_steal_pointer (&results);
  return TRUE;
}

JsonNode *
till_discount_to_json (const TillDiscount *discount)
{
  g_autoptr (JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  switch (discount->kind)
    {
      case TILL_DISCOUNT_PERCENT:
        json_builder_set_member_name (builder, "type");
        json_builder_add_string_value (builder, "percent");
        json_builder_set_member_name (builder, "basis_points");
        json_builder_add_int_value (builder, discount->value);
        break;
      case TILL_DISCOUNT_AMOUNT:
        json_builder_set_member_name (builder, "type");
        json_builder_add_string_value (builder, "amount");
        json_builder_set_member_name (builder, "amount");
        json_builder_add_int_value (builder, discount->value);
        break;
      case TILL_DISCOUNT_NONE:
      default:
        g_assert_not_reached ();
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

gboolean
till_discount_from_json (JsonNode *node, const char *path, TillDiscount *out, GError **error)
{
  static const char *percent_members[] = { "type", "basis_points", NULL };
  static const char *amount_members[] = { "type", "amount", NULL };
  g_autofree char   *type = NULL;
  JsonObject        *object;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      out->kind = TILL_DISCOUNT_NONE;
      out->value = 0;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_TYPE, _ ("Field “%s” must be %s"), path,
                   _ ("an object"));
      return FALSE;
    }

  object = json_node_get_object (node);
  if (!till_json_get_string (object, path, "type", TRUE, 16, &type, error))
    return FALSE;

  if (g_strcmp0 (type, "percent") == 0)
    {
      out->kind = TILL_DISCOUNT_PERCENT;
      return till_json_check_members (object, path, percent_members, error) &&
             till_json_get_int (object, path, "basis_points", TRUE, 0, 10000, &out->value, error);
    }
  if (g_strcmp0 (type, "amount") == 0)
    {
      out->kind = TILL_DISCOUNT_AMOUNT;
      return till_json_check_members (object, path, amount_members, error) &&
             till_json_get_int (object, path, "amount", TRUE, 0, TILL_AMOUNT_MAX, &out->value,
                                error);
    }

  g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
               _ ("Field “%s.type” must be “percent” or “amount”"), path);
  return FALSE;
}

static void
add_discount_member (JsonBuilder *builder, const TillDiscount *discount)
{
  if (discount->kind == TILL_DISCOUNT_NONE)
    return;
  json_builder_set_member_name (builder, "discount");
  json_builder_add_value (builder, till_discount_to_json (discount));
}

static void
add_optional_string (JsonBuilder *builder, const char *name, const char *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static JsonNode *
cart_to_json (const TillCart *cart, gboolean with_snapshots)
{
  g_autoptr (JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  add_optional_string (builder, "client_reference", cart->client_reference);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, cart->currency);
  if (with_snapshots)
    {
      json_builder_set_member_name (builder, "prices_include_tax");
      json_builder_add_boolean_value (builder, cart->prices_include_tax);
    }
  add_discount_member (builder, &cart->discount);
  add_optional_string (builder, "note", cart->note);

  json_builder_set_member_name (builder, "lines");
  json_builder_begin_array (builder);
  for (guint i = 0; i < cart->lines->len; i++)
    {
      const TillCartLine *line = g_ptr_array_index (cart->lines, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "product_id");
      json_builder_add_int_value (builder, line->product_id);
      json_builder_set_member_name (builder, "quantity");
      json_builder_add_int_value (builder, line->quantity);
      add_discount_member (builder, &line->discount);
      add_optional_string (builder, "note", line->note);
      if (with_snapshots)
        {
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, line->name ? line->name : "");
          add_optional_string (builder, "sku", line->sku);
          json_builder_set_member_name (builder, "unit_amount");
          json_builder_add_int_value (builder, line->unit_amount);
          json_builder_set_member_name (builder, "tax_rate");
          json_builder_add_int_value (builder, line->tax_rate);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

char *
till_cart_new_client_reference (void)
{
  guint64 ms = (guint64) (g_get_real_time () / 1000);
  guint8  b[16];

  for (guint i = 0; i < 6; i++)
    b[i] = (guint8) (ms >> (8 * (5 - i)));
  /* GLib's generator, seeded from the system's entropy, as g_uuid_string_random () uses. */
  for (guint i = 6; i < 16; i++)
    b[i] = (guint8) g_random_int_range (0, 256);
  b[6] = 0x70 | (b[6] & 0x0f); /* version 7 */
  b[8] = 0x80 | (b[8] & 0x3f); /* variant 10 */
  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                          "%02x%02x%02x%02x%02x%02x",
                          b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                          b[12], b[13], b[14], b[15]);
}

JsonNode *
till_cart_to_checkout_json (const TillCart *cart)
{
  return cart_to_json (cart, FALSE);
}

JsonNode *
till_cart_to_json (const TillCart *cart)
{
  return cart_to_json (cart, TRUE);
}

static gboolean
validate_client_reference (const char *reference, GError **error)
{
  for (const char *p = reference; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
        {
          g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                       _ ("Field “client_reference” may only hold letters, digits, - and _"));
          return FALSE;
        }
    }
  if (*reference == '\0')
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   _ ("Field “client_reference” is empty"));
      return FALSE;
    }
  return TRUE;
}

typedef enum
{
  CART_CHECKOUT, /* what a client sends: snapshots and totals are accepted and dropped */
  CART_SAVED,    /* what the app saves: snapshots required */
} CartSchema;

static TillCartLine *
parse_line (JsonNode *node, guint index, CartSchema schema, GError **error)
{
  /* A client may echo its own figures; the server never reads them (prices come from the
   * catalog), so they are accepted here and dropped below. */
  static const char *members[] = { "product_id",  "quantity", "discount", "note",  "name", "sku",
                                   "unit_amount", "tax_rate", "tax",      "total", NULL };
  g_autofree char   *path = g_strdup_printf ("lines[%u]", index);
  g_autoptr (TillCartLine) line = till_cart_line_new (0, 0);
  gboolean    snapshots = schema == CART_SAVED;
  gint64      tax_rate = 0;
  JsonObject *object;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_TYPE, _ ("Field “%s” must be %s"), path,
                   _ ("an object"));
      return NULL;
    }
  object = json_node_get_object (node);

  if (!till_json_check_members (object, path, members, error) ||
      !till_json_get_int (object, path, "product_id", TRUE, 1, G_MAXINT64, &line->product_id,
                          error) ||
      !till_json_get_int (object, path, "quantity", TRUE, 1, TILL_QUANTITY_MAX, &line->quantity,
                          error) ||
      !till_json_get_string (object, path, "note", FALSE, TILL_NOTE_MAX, &line->note, error))
    return NULL;

  {
    g_autofree char *discount_path = g_strconcat (path, ".discount", NULL);
    if (!till_discount_from_json (json_object_get_member (object, "discount"), discount_path,
                                  &line->discount, error))
      return NULL;
  }

  if (snapshots)
    {
      if (!till_json_get_string (object, path, "name", TRUE, 200, &line->name, error) ||
          !till_json_get_string (object, path, "sku", FALSE, 64, &line->sku, error) ||
          !till_json_get_int (object, path, "unit_amount", TRUE, 0, TILL_AMOUNT_MAX,
                              &line->unit_amount, error) ||
          !till_json_get_int (object, path, "tax_rate", TRUE, 0, TILL_TAX_RATE_MAX, &tax_rate,
                              error))
        return NULL;
      line->tax_rate = (int) tax_rate;
    }

  return g_steal_pointer (&line);
}

static TillCart *
parse_cart (JsonObject *object, CartSchema schema, GError **error)
{
  static const char *members[] = {
    "client_reference", "currency", "lines",    "discount", "note", "prices_include_tax",
    "subtotal",         "tax",      "rounding", "total",    NULL
  };
  g_autofree char *client_reference = NULL;
  g_autofree char *currency = NULL;
  g_autoptr (TillCart) cart = NULL;
  gboolean   prices_include_tax = FALSE;
  JsonArray *lines;

  if (!till_json_check_members (object, NULL, members, error) ||
      !till_json_get_string (object, NULL, "client_reference", schema == CART_CHECKOUT,
                             TILL_CLIENT_REFERENCE_MAX, &client_reference, error) ||
      !till_json_get_string (object, NULL, "currency", TRUE, 3, &currency, error) ||
      !till_json_get_array (object, NULL, "lines", TRUE, &lines, error))
    return NULL;

  if (schema == CART_SAVED &&
      !till_json_get_boolean (object, NULL, "prices_include_tax", TRUE, &prices_include_tax, error))
    return NULL;

  if (client_reference != NULL && !validate_client_reference (client_reference, error))
    return NULL;

  if (till_currency_lookup (currency) == NULL)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   _ ("Field “currency”: unknown currency “%s”"), currency);
      return NULL;
    }

  if (json_array_get_length (lines) > TILL_CART_LINES_MAX)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_RANGE,
                   _ ("Field “lines” has more than %d lines"), TILL_CART_LINES_MAX);
      return NULL;
    }
  if (schema == CART_CHECKOUT && json_array_get_length (lines) == 0)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_RANGE, _ ("The cart is empty"));
      return NULL;
    }

  cart = till_cart_new (currency, prices_include_tax);
  cart->client_reference = g_steal_pointer (&client_reference);
  if (!till_json_get_string (object, NULL, "note", FALSE, TILL_NOTE_MAX, &cart->note, error) ||
      !till_discount_from_json (json_object_get_member (object, "discount"), "discount",
                                &cart->discount, error))
    return NULL;

  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      TillCartLine *line = parse_line (json_array_get_element (lines, i), i, schema, error);

      if (line == NULL)
        return NULL;
      till_cart_add_line (cart, line);
    }

  return g_steal_pointer (&cart);
}

/**
 * till_cart_from_checkout_json:
 *
 * Returns: (transfer full) (nullable): the cart with product ids, quantities, discounts
 *   and notes only: prices, names and totals a client sent are dropped.
 */
TillCart *
till_cart_from_checkout_json (JsonObject *object, GError **error)
{
  return parse_cart (object, CART_CHECKOUT, error);
}

TillCart *
till_cart_from_json (JsonObject *object, GError **error)
{
  return parse_cart (object, CART_SAVED, error);
}
