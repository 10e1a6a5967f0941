/* till-product.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-core.h"
#include "till-money-label.h"
#include "till-product.h"
#include "till-search-key.h"

struct _TillProduct
{
  GObject parent_instance;

  gint64 id;
  char  *name;
  char  *sku;
  char  *barcode;
  char  *category;
  char  *currency;
  gint64 unit_amount;
  int    tax_rate;
  char  *search_key;
  char  *price_label;
};

G_DEFINE_FINAL_TYPE (TillProduct, till_product, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_SKU,
  PROP_PRICE_LABEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
till_product_finalize (GObject *object)
{
  TillProduct *self = TILL_PRODUCT (object);

  g_free (self->name);
  g_free (self->sku);
  g_free (self->barcode);
  g_free (self->category);
  g_free (self->currency);
  g_free (self->search_key);
  g_free (self->price_label);

  G_OBJECT_CLASS (till_product_parent_class)->finalize (object);
}

static void
till_product_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TillProduct *self = TILL_PRODUCT (object);

  switch (prop_id)
    {
      case PROP_NAME:
        g_value_set_string (value, self->name);
        break;
      case PROP_SKU:
        g_value_set_string (value, self->sku);
        break;
      case PROP_PRICE_LABEL:
        g_value_set_string (value, till_product_get_price_label (self));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_product_class_init (TillProductClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_product_finalize;
  object_class->get_property = till_product_get_property;

  properties[PROP_NAME] =
      g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SKU] =
      g_param_spec_string ("sku", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PRICE_LABEL] = g_param_spec_string ("price-label", NULL, NULL, NULL,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_product_init (TillProduct *self)
{
}

static char *
dup_nonempty (const char *text)
{
  return (text != NULL && *text != '\0') ? g_strdup (text) : NULL;
}

TillProduct *
till_product_new_with_key (gint64      id,
                           const char *name,
                           const char *sku,
                           const char *barcode,
                           const char *category,
                           const char *currency,
                           gint64      unit_amount,
                           int         tax_rate,
                           const char *search_key)
{
  TillProduct *self;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (currency != NULL, NULL);

  self = g_object_new (TILL_TYPE_PRODUCT, NULL);
  self->id = id;
  self->name = g_strdup (name);
  self->sku = dup_nonempty (sku);
  self->barcode = dup_nonempty (barcode);
  self->category = dup_nonempty (category);
  self->currency = g_ascii_strup (currency, -1);
  self->unit_amount = unit_amount;
  self->tax_rate = tax_rate;

  if (search_key != NULL)
    self->search_key = g_strdup (search_key);
  else
    {
      /* \x1f separates the fields so that a query never matches across two of them. */
      g_autofree char *key_source =
          g_strconcat (name, "\x1f", sku ? sku : "", "\x1f", barcode ? barcode : "", NULL);
      self->search_key = till_search_fold (key_source);
    }
  return self;
}

TillProduct *
till_product_new (gint64      id,
                  const char *name,
                  const char *sku,
                  const char *barcode,
                  const char *category,
                  const char *currency,
                  gint64      unit_amount,
                  int         tax_rate)
{
  return till_product_new_with_key (id, name, sku, barcode, category, currency, unit_amount,
                                    tax_rate, NULL);
}

static const char *
get_string_member (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_int_member (JsonObject *object, const char *member, gint64 *out)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

TillProduct *
till_product_new_from_json (JsonObject *object, GError **error)
{
  gint64      id = 0, unit_amount = 0, tax_rate = 0;
  const char *name, *currency;

  name = get_string_member (object, "name");
  currency = get_string_member (object, "currency");
  if (!get_int_member (object, "id", &id) || id <= 0 || name == NULL || *name == '\0' ||
      currency == NULL || till_currency_lookup (currency) == NULL)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   "product without a valid id, name or currency");
      return NULL;
    }
  if ((!get_int_member (object, "unit_amount", &unit_amount) &&
       !get_int_member (object, "price", &unit_amount)) ||
      unit_amount < 0 || unit_amount > TILL_AMOUNT_MAX)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                   "product %" G_GINT64_FORMAT " has no valid unit_amount", id);
      return NULL;
    }
  get_int_member (object, "tax_rate", &tax_rate);
  if (tax_rate < 0 || tax_rate > TILL_TAX_RATE_MAX)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_RANGE,
                   "product %" G_GINT64_FORMAT " has a tax_rate out of range", id);
      return NULL;
    }

  return till_product_new (
      id, name, get_string_member (object, "sku"), get_string_member (object, "barcode"),
      get_string_member (object, "category"), currency, unit_amount, (int) tax_rate);
}

JsonNode *
till_product_to_json (TillProduct *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (TILL_IS_PRODUCT (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, self->id);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, self->name);
  if (self->sku != NULL)
    {
      json_builder_set_member_name (builder, "sku");
      json_builder_add_string_value (builder, self->sku);
    }
  if (self->barcode != NULL)
    {
      json_builder_set_member_name (builder, "barcode");
      json_builder_add_string_value (builder, self->barcode);
    }
  if (self->category != NULL)
    {
      json_builder_set_member_name (builder, "category");
      json_builder_add_string_value (builder, self->category);
    }
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, self->currency);
  json_builder_set_member_name (builder, "unit_amount");
  json_builder_add_int_value (builder, self->unit_amount);
  json_builder_set_member_name (builder, "tax_rate");
  json_builder_add_int_value (builder, self->tax_rate);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

gint64
till_product_get_id (TillProduct *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT (self), 0);
  return self->id;
}

const gint64 *
till_product_get_id_ref (TillProduct *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT (self), NULL);
  return &self->id;
}

const char *
till_product_get_name (TillProduct *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT (self), NULL);
  return self->name;
}

const char *
till_product_get_sku (TillProduct *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT (self), NULL);
  return self->sku;
}

const char *
till_product_get_barcode (TillProduct *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT (self), NULL);
  return self->barcode;
}

const char *
till_product_get_category (TillProduct *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT (self), NULL);
  return self->category;
}

const char *
till_product_get_currency (TillProduct *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT (self), NULL);
  return self->currency;
}

gint64
till_product_get_unit_amount (TillProduct *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT (self), 0);
  return self->unit_amount;
}

int
till_product_get_tax_rate (TillProduct *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT (self), 0);
  return self->tax_rate;
}

const char *
till_product_get_search_key (TillProduct *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT (self), NULL);
  return self->search_key;
}

const char *
till_product_get_price_label (TillProduct *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT (self), NULL);

  if (self->price_label == NULL)
    self->price_label = till_money_label (self->unit_amount, self->currency);
  return self->price_label;
}
