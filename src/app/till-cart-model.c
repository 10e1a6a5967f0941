/* till-cart-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "till-cart-model.h"

#define SAVE_VERSION 1

struct _TillCartModel
{
  GObject parent_instance;

  char      *id;
  char      *title;
  gboolean   parked;
  GDateTime *created_at;
  TillCart  *cart;
};

G_DEFINE_FINAL_TYPE (TillCartModel, till_cart_model, G_TYPE_OBJECT)
/* The quark's name, dashes and all, becomes a string. */
/* clang-format off */
G_DEFINE_QUARK (till-cart-model-error-quark, till_cart_model_error)
/* clang-format on */

enum
{
  PROP_0,
  PROP_TITLE,
  PROP_PARKED,
  N_PROPS
};

enum
{
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

static void
till_cart_model_finalize (GObject *object)
{
  TillCartModel *self = TILL_CART_MODEL (object);

  g_free (self->id);
  g_free (self->title);
  g_clear_pointer (&self->created_at, g_date_time_unref);
  g_clear_pointer (&self->cart, till_cart_free);

  G_OBJECT_CLASS (till_cart_model_parent_class)->finalize (object);
}

static void
till_cart_model_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TillCartModel *self = TILL_CART_MODEL (object);

  switch (prop_id)
    {
      case PROP_TITLE:
        g_value_set_string (value, self->title);
        break;
      case PROP_PARKED:
        g_value_set_boolean (value, self->parked);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_cart_model_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  TillCartModel *self = TILL_CART_MODEL (object);

  switch (prop_id)
    {
      case PROP_TITLE:
        till_cart_model_set_title (self, g_value_get_string (value));
        break;
      case PROP_PARKED:
        till_cart_model_set_parked (self, g_value_get_boolean (value));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_cart_model_class_init (TillCartModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_cart_model_finalize;
  object_class->get_property = till_cart_model_get_property;
  object_class->set_property = till_cart_model_set_property;

  properties[PROP_TITLE] =
      g_param_spec_string ("title", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PARKED] =
      g_param_spec_boolean ("parked", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Anything that must be saved changed: lines, discounts, notes, title, parked. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);
}

static void
till_cart_model_init (TillCartModel *self)
{
}

TillCartModel *
till_cart_model_new (const char *currency, gboolean prices_include_tax)
{
  TillCartModel *self;

  g_return_val_if_fail (currency != NULL, NULL);

  self = g_object_new (TILL_TYPE_CART_MODEL, NULL);
  self->id = g_uuid_string_random ();
  self->title = g_strdup (_ ("Cart"));
  self->created_at = g_date_time_new_now_utc ();
  self->cart = till_cart_new (currency, prices_include_tax);
  return self;
}

static void
emit_changed (TillCartModel *self, gboolean content)
{
  /* The server would price a changed cart differently: a new attempt needs a new reference. */
  if (content)
    g_clear_pointer (&self->cart->client_reference, g_free);
  g_signal_emit (self, signals[CHANGED], 0);
}

TillCartModel *
till_cart_model_new_from_json (JsonObject *object, GError **error)
{
  static const char *allowed[] = { "version", "id", "title", "parked", "created_at", "cart", NULL };
  g_autoptr (TillCartModel) self = NULL;
  g_autofree char *id = NULL;
  g_autofree char *title = NULL;
  g_autofree char *created = NULL;
  JsonObject      *cart = NULL;
  gint64           version = 0;
  gboolean         parked = FALSE;

  if (!till_json_check_members (object, "", allowed, error) ||
      !till_json_get_int (object, "", "version", TRUE, SAVE_VERSION, SAVE_VERSION, &version,
                          error) ||
      !till_json_get_string (object, "", "id", TRUE, 64, &id, error) ||
      !till_json_get_string (object, "", "title", FALSE, 200, &title, error) ||
      !till_json_get_boolean (object, "", "parked", FALSE, &parked, error) ||
      !till_json_get_string (object, "", "created_at", FALSE, 64, &created, error) ||
      !till_json_get_object (object, "", "cart", TRUE, &cart, error))
    return NULL;
  if (!g_uuid_string_is_valid (id))
    {
      g_set_error (error, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_FORMAT, "id is not a UUID");
      return NULL;
    }

  self = g_object_new (TILL_TYPE_CART_MODEL, NULL);
  self->cart = till_cart_from_json (cart, error);
  if (self->cart == NULL)
    return NULL;
  self->id = g_steal_pointer (&id);
  self->title = title ? g_steal_pointer (&title) : g_strdup (_ ("Cart"));
  self->parked = parked;
  if (created != NULL)
    self->created_at = g_date_time_new_from_iso8601 (created, NULL);
  if (self->created_at == NULL)
    self->created_at = g_date_time_new_now_utc ();

  return g_steal_pointer (&self);
}

JsonNode *
till_cart_model_to_json (TillCartModel *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *created = NULL;

  g_return_val_if_fail (TILL_IS_CART_MODEL (self), NULL);

  created = g_date_time_format_iso8601 (self->created_at);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, SAVE_VERSION);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, self->title);
  json_builder_set_member_name (builder, "parked");
  json_builder_add_boolean_value (builder, self->parked);
  json_builder_set_member_name (builder, "created_at");
  json_builder_add_string_value (builder, created);
  json_builder_set_member_name (builder, "cart");
  json_builder_add_value (builder, till_cart_to_json (self->cart));
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

const char *
till_cart_model_get_id (TillCartModel *self)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), NULL);
  return self->id;
}

const char *
till_cart_model_get_title (TillCartModel *self)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), NULL);
  return self->title;
}

void
till_cart_model_set_title (TillCartModel *self, const char *title)
{
  g_return_if_fail (TILL_IS_CART_MODEL (self));

  if (title == NULL || g_strcmp0 (title, self->title) == 0)
    return;
  g_free (self->title);
  self->title = g_strdup (title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  emit_changed (self, FALSE);
}

gboolean
till_cart_model_get_parked (TillCartModel *self)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), FALSE);
  return self->parked;
}

void
till_cart_model_set_parked (TillCartModel *self, gboolean parked)
{
  g_return_if_fail (TILL_IS_CART_MODEL (self));

  parked = !!parked;
  if (parked == self->parked)
    return;
  self->parked = parked;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARKED]);
  emit_changed (self, FALSE);
}

const TillCart *
till_cart_model_get_cart (TillCartModel *self)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), NULL);
  return self->cart;
}

const char *
till_cart_model_get_currency (TillCartModel *self)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), NULL);
  return self->cart->currency;
}

guint
till_cart_model_get_n_lines (TillCartModel *self)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), 0);
  return self->cart->lines->len;
}

const TillCartLine *
till_cart_model_get_line (TillCartModel *self, guint index)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), NULL);
  g_return_val_if_fail (index < self->cart->lines->len, NULL);
  return g_ptr_array_index (self->cart->lines, index);
}

gint64
till_cart_model_get_n_items (TillCartModel *self)
{
  gint64 n = 0;

  g_return_val_if_fail (TILL_IS_CART_MODEL (self), 0);

  for (guint i = 0; i < self->cart->lines->len; i++)
    n += ((TillCartLine *) g_ptr_array_index (self->cart->lines, i))->quantity;
  return n;
}

gboolean
till_cart_model_is_empty (TillCartModel *self)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), TRUE);
  return self->cart->lines->len == 0 && self->cart->discount.kind == TILL_DISCOUNT_NONE &&
         self->cart->note == NULL;
}

gboolean
till_cart_model_set_currency (TillCartModel *self,
                              const char    *currency,
                              gboolean       prices_include_tax)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), FALSE);
  g_return_val_if_fail (till_currency_lookup (currency) != NULL, FALSE);

  if (self->cart->lines->len > 0)
    return FALSE;
  if (g_ascii_strcasecmp (self->cart->currency, currency) == 0 &&
      self->cart->prices_include_tax == prices_include_tax)
    return TRUE;
  g_free (self->cart->currency);
  self->cart->currency = g_strdup (till_currency_get_code (till_currency_lookup (currency)));
  self->cart->prices_include_tax = prices_include_tax;
  /* An amount off the cart was in the other currency. */
  if (self->cart->discount.kind == TILL_DISCOUNT_AMOUNT)
    {
      self->cart->discount.kind = TILL_DISCOUNT_NONE;
      self->cart->discount.value = 0;
    }
  emit_changed (self, TRUE);
  return TRUE;
}

static gboolean
check_quantity (gint64 quantity, GError **error)
{
  if (quantity < 1 || quantity > TILL_QUANTITY_MAX)
    {
      g_set_error (error, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_QUANTITY,
                   _ ("The quantity must be between 1 and %d."), TILL_QUANTITY_MAX);
      return FALSE;
    }
  return TRUE;
}

int
till_cart_model_add_product (TillCartModel *self,
                             TillProduct   *product,
                             gint64         quantity,
                             GError       **error)
{
  TillCartLine *line;

  g_return_val_if_fail (TILL_IS_CART_MODEL (self), -1);
  g_return_val_if_fail (TILL_IS_PRODUCT (product), -1);

  if (!check_quantity (quantity, error))
    return -1;
  if (g_ascii_strcasecmp (till_product_get_currency (product), self->cart->currency) != 0)
    {
      g_set_error (error, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_CURRENCY,
                   _ ("“%s” is priced in %s but this cart is in %s."),
                   till_product_get_name (product), till_product_get_currency (product),
                   self->cart->currency);
      return -1;
    }

  for (guint i = 0; i < self->cart->lines->len; i++)
    {
      line = g_ptr_array_index (self->cart->lines, i);
      if (line->product_id == till_product_get_id (product) &&
          line->discount.kind == TILL_DISCOUNT_NONE && line->note == NULL &&
          line->unit_amount == till_product_get_unit_amount (product))
        {
          if (!check_quantity (line->quantity + quantity, error))
            return -1;
          line->quantity += quantity;
          emit_changed (self, TRUE);
          return (int) i;
        }
    }

  if (self->cart->lines->len >= TILL_CART_LINES_MAX)
    {
      g_set_error (error, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_FULL,
                   _ ("A cart holds at most %d lines. Charge this one and start another."),
                   TILL_CART_LINES_MAX);
      return -1;
    }

  line = till_cart_line_new (till_product_get_id (product), quantity);
  line->name = g_strdup (till_product_get_name (product));
  line->sku = g_strdup (till_product_get_sku (product));
  line->unit_amount = till_product_get_unit_amount (product);
  line->tax_rate = till_product_get_tax_rate (product);
  till_cart_add_line (self->cart, line);
  emit_changed (self, TRUE);
  return (int) self->cart->lines->len - 1;
}

gboolean
till_cart_model_set_quantity (TillCartModel *self, guint index, gint64 quantity, GError **error)
{
  TillCartLine *line;

  g_return_val_if_fail (TILL_IS_CART_MODEL (self), FALSE);
  g_return_val_if_fail (index < self->cart->lines->len, FALSE);

  if (!check_quantity (quantity, error))
    return FALSE;
  line = g_ptr_array_index (self->cart->lines, index);
  if (line->quantity != quantity)
    {
      line->quantity = quantity;
      emit_changed (self, TRUE);
    }
  return TRUE;
}

gboolean
till_cart_model_change_quantity (TillCartModel *self, guint index, gint64 delta, GError **error)
{
  TillCartLine *line;

  g_return_val_if_fail (TILL_IS_CART_MODEL (self), FALSE);
  g_return_val_if_fail (index < self->cart->lines->len, FALSE);

  line = g_ptr_array_index (self->cart->lines, index);
  return till_cart_model_set_quantity (self, index, line->quantity + delta, error);
}

TillCartLine *
till_cart_model_remove_line (TillCartModel *self, guint index)
{
  TillCartLine *line;

  g_return_val_if_fail (TILL_IS_CART_MODEL (self), NULL);
  g_return_val_if_fail (index < self->cart->lines->len, NULL);

  line = g_ptr_array_steal_index (self->cart->lines, index);
  emit_changed (self, TRUE);
  return line;
}

void
till_cart_model_insert_line (TillCartModel *self, guint index, TillCartLine *line)
{
  g_return_if_fail (TILL_IS_CART_MODEL (self));
  g_return_if_fail (line != NULL);

  if (index > self->cart->lines->len)
    index = self->cart->lines->len;
  g_ptr_array_insert (self->cart->lines, (int) index, line);
  emit_changed (self, TRUE);
}

static gboolean
check_discount (const TillDiscount *discount, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!till_discount_validate (discount, &local_error))
    {
      g_set_error (error, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_DISCOUNT,
                   _ ("This discount is not valid: %s"), local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
till_cart_model_set_line_discount (TillCartModel      *self,
                                   guint               index,
                                   const TillDiscount *discount,
                                   GError            **error)
{
  TillCartLine *line;

  g_return_val_if_fail (TILL_IS_CART_MODEL (self), FALSE);
  g_return_val_if_fail (index < self->cart->lines->len, FALSE);
  g_return_val_if_fail (discount != NULL, FALSE);

  if (!check_discount (discount, error))
    return FALSE;
  line = g_ptr_array_index (self->cart->lines, index);
  line->discount = *discount;
  emit_changed (self, TRUE);
  return TRUE;
}

static gboolean
check_note (const char *note, GError **error)
{
  if (note != NULL && g_utf8_strlen (note, -1) > TILL_NOTE_MAX)
    {
      g_set_error (error, TILL_CART_MODEL_ERROR, TILL_CART_MODEL_ERROR_NOTE,
                   _ ("A note can be at most %d characters long."), TILL_NOTE_MAX);
      return FALSE;
    }
  return TRUE;
}

gboolean
till_cart_model_set_line_note (TillCartModel *self, guint index, const char *note, GError **error)
{
  TillCartLine *line;

  g_return_val_if_fail (TILL_IS_CART_MODEL (self), FALSE);
  g_return_val_if_fail (index < self->cart->lines->len, FALSE);

  if (!check_note (note, error))
    return FALSE;
  line = g_ptr_array_index (self->cart->lines, index);
  g_free (line->note);
  line->note = (note != NULL && *note != '\0') ? g_strdup (note) : NULL;
  emit_changed (self, TRUE);
  return TRUE;
}

gboolean
till_cart_model_set_discount (TillCartModel *self, const TillDiscount *discount, GError **error)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), FALSE);
  g_return_val_if_fail (discount != NULL, FALSE);

  if (!check_discount (discount, error))
    return FALSE;
  self->cart->discount = *discount;
  emit_changed (self, TRUE);
  return TRUE;
}

gboolean
till_cart_model_set_note (TillCartModel *self, const char *note, GError **error)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), FALSE);

  if (!check_note (note, error))
    return FALSE;
  g_free (self->cart->note);
  self->cart->note = (note != NULL && *note != '\0') ? g_strdup (note) : NULL;
  emit_changed (self, TRUE);
  return TRUE;
}

void
till_cart_model_clear (TillCartModel *self)
{
  g_return_if_fail (TILL_IS_CART_MODEL (self));

  g_ptr_array_set_size (self->cart->lines, 0);
  self->cart->discount.kind = TILL_DISCOUNT_NONE;
  self->cart->discount.value = 0;
  g_clear_pointer (&self->cart->note, g_free);
  emit_changed (self, TRUE);
}

gboolean
till_cart_model_compute_totals (TillCartModel   *self,
                                TillLineTotals **out_lines,
                                TillTotals      *out_totals,
                                GError         **error)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), FALSE);
  g_return_val_if_fail (out_totals != NULL, FALSE);

  if (!till_cart_compute_totals (self->cart, out_lines, out_totals, error))
    {
      memset (out_totals, 0, sizeof *out_totals);
      return FALSE;
    }
  return TRUE;
}

const char *
till_cart_model_ensure_client_reference (TillCartModel *self)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), NULL);

  if (self->cart->client_reference == NULL)
    {
      self->cart->client_reference = till_cart_new_client_reference ();
      /* Saved before the request leaves, so a crash mid-checkout retries with it too. */
      emit_changed (self, FALSE);
    }
  return self->cart->client_reference;
}

const char *
till_cart_model_get_client_reference (TillCartModel *self)
{
  g_return_val_if_fail (TILL_IS_CART_MODEL (self), NULL);
  return self->cart->client_reference;
}

void
till_cart_model_forget_client_reference (TillCartModel *self)
{
  g_return_if_fail (TILL_IS_CART_MODEL (self));

  if (self->cart->client_reference == NULL)
    return;
  g_clear_pointer (&self->cart->client_reference, g_free);
  emit_changed (self, FALSE);
}
