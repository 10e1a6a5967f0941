/* till-cart-model.h: one open cart (a core TillCart) as an observable object.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every change emits ::changed, which TillCartStore answers by saving the cart. Totals always
 * come from core (till_cart_compute_totals), exactly as the server computes them.
 */
#pragma once

#include "till-core.h"
#include "till-product.h"

G_BEGIN_DECLS

#define TILL_CART_MODEL_ERROR (till_cart_model_error_quark ())

typedef enum
{
  TILL_CART_MODEL_ERROR_CURRENCY, /* a product in another currency than the cart */
  TILL_CART_MODEL_ERROR_QUANTITY, /* outside 1..TILL_QUANTITY_MAX */
  TILL_CART_MODEL_ERROR_FULL,     /* TILL_CART_LINES_MAX lines already */
  TILL_CART_MODEL_ERROR_NOTE,     /* longer than TILL_NOTE_MAX */
  TILL_CART_MODEL_ERROR_DISCOUNT, /* not a valid discount */
  TILL_CART_MODEL_ERROR_FORMAT,   /* a saved cart that does not read back */
} TillCartModelError;

#define TILL_TYPE_CART_MODEL (till_cart_model_get_type ())
G_DECLARE_FINAL_TYPE (TillCartModel, till_cart_model, TILL, CART_MODEL, GObject)

GQuark till_cart_model_error_quark (void);

TillCartModel *till_cart_model_new (const char *currency, gboolean prices_include_tax);
/* The saved form: {"version": 1, "id", "title", "parked", "created_at", "cart": {…}}. */
TillCartModel *till_cart_model_new_from_json (JsonObject *object, GError **error);
JsonNode      *till_cart_model_to_json (TillCartModel *self);

/* A UUID, also the name of the file the cart is saved in. */
const char         *till_cart_model_get_id (TillCartModel *self);
const char         *till_cart_model_get_title (TillCartModel *self);
void                till_cart_model_set_title (TillCartModel *self, const char *title);
gboolean            till_cart_model_get_parked (TillCartModel *self);
void                till_cart_model_set_parked (TillCartModel *self, gboolean parked);
const TillCart     *till_cart_model_get_cart (TillCartModel *self);
const char         *till_cart_model_get_currency (TillCartModel *self);
guint               till_cart_model_get_n_lines (TillCartModel *self);
const TillCartLine *till_cart_model_get_line (TillCartModel *self, guint index);
/* Σ quantities: what the tab shows. */
gint64   till_cart_model_get_n_items (TillCartModel *self);
gboolean till_cart_model_is_empty (TillCartModel *self);
/* A cart with no lines takes the currency and tax mode of the store it is now sold in
 * (an amount off the cart is dropped). FALSE, and nothing changed, when it has lines. */
gboolean till_cart_model_set_currency (TillCartModel *self,
                                       const char    *currency,
                                       gboolean       prices_include_tax);

/* Adds @quantity of @product: to the existing line of that product when it has no
 * discount or note, else as a new line. Returns the index of the line, or -1 on error. */
int till_cart_model_add_product (TillCartModel *self,
                                 TillProduct   *product,
                                 gint64         quantity,
                                 GError       **error);
gboolean
till_cart_model_set_quantity (TillCartModel *self, guint index, gint64 quantity, GError **error);
/* +1 / −1, never below 1 (removing is remove_line). */
gboolean
till_cart_model_change_quantity (TillCartModel *self, guint index, gint64 delta, GError **error);
/* Returns the removed line (for undo). */
TillCartLine *till_cart_model_remove_line (TillCartModel *self, guint index);
/* Puts back a line (takes it), at @index or at the end when @index is past it. */
void     till_cart_model_insert_line (TillCartModel *self, guint index, TillCartLine *line);
gboolean till_cart_model_set_line_discount (TillCartModel      *self,
                                            guint               index,
                                            const TillDiscount *discount,
                                            GError            **error);
gboolean
till_cart_model_set_line_note (TillCartModel *self, guint index, const char *note, GError **error);
gboolean
till_cart_model_set_discount (TillCartModel *self, const TillDiscount *discount, GError **error);
gboolean till_cart_model_set_note (TillCartModel *self, const char *note, GError **error);
void     till_cart_model_clear (TillCartModel *self);

/* Totals by core; FALSE (and zeroes) if core refuses the cart (e.g. an overflow). */
gboolean till_cart_model_compute_totals (TillCartModel   *self,
                                         TillLineTotals **out_lines,
                                         TillTotals      *out_totals,
                                         GError         **error);

/* The client_reference of the current checkout attempt: created on first use, kept (and
 * saved) until the cart changes, so a retry after a timeout cannot create a second order. */
const char *till_cart_model_ensure_client_reference (TillCartModel *self);
const char *till_cart_model_get_client_reference (TillCartModel *self);
/* After the attempt's order was canceled: the next Charge makes a new order. */
void till_cart_model_forget_client_reference (TillCartModel *self);

G_END_DECLS
