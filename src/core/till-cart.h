/* till-cart.h: carts and checkout requests, and their JSON.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A TillCart is what the app keeps: lines with a snapshot of each product (name, price,
 * tax rate) so totals can be shown offline, exactly as the server will compute them.
 * Its checkout JSON carries only product ids, quantities and discounts — never prices or
 * totals — which is all the server reads from a client.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "till-currency.h"
#include "till-totals.h"

G_BEGIN_DECLS

#define TILL_CLIENT_REFERENCE_MAX 64
#define TILL_NOTE_MAX 500
#define TILL_CART_LINES_MAX 500

typedef struct
{
  gint64       product_id;
  gint64       quantity;
  TillDiscount discount;
  char        *note; /* nullable */
  /* Snapshot of the product when it was added (not sent to the server). */
  char  *name;
  char  *sku; /* nullable */
  gint64 unit_amount;
  int    tax_rate; /* basis points */
} TillCartLine;

typedef struct
{
  char        *client_reference; /* nullable until a checkout is attempted */
  char        *currency;         /* ISO 4217, upper case */
  gboolean     prices_include_tax;
  GPtrArray   *lines; /* element-type TillCartLine, owned */
  TillDiscount discount;
  char        *note; /* nullable */
} TillCart;

TillCartLine *till_cart_line_new (gint64 product_id, gint64 quantity);
TillCartLine *till_cart_line_copy (const TillCartLine *line);
void          till_cart_line_free (TillCartLine *line);

TillCart *till_cart_new (const char *currency, gboolean prices_include_tax);
TillCart *till_cart_copy (const TillCart *cart);
void      till_cart_free (TillCart *cart);
void      till_cart_add_line (TillCart *cart, TillCartLine *line);
gboolean  till_cart_compute_totals (const TillCart  *cart,
                                    TillLineTotals **out_lines,
                                    TillTotals      *out_totals,
                                    GError         **error);

/* A new client reference: a UUID version 7 (RFC 9562), its first 48 bits the time in
 * milliseconds, the rest random. Unique as a random UUID is, and later ones sort after
 * earlier ones, so till-server's index of references grows at its end (a random one
 * would write a page anywhere in it for each checkout). */
char *till_cart_new_client_reference (void);

/* {client_reference, currency, lines: [{product_id, quantity, discount?, note?}],
 *  discount?, note?}: the body of POST /api/v1/checkouts. */
JsonNode *till_cart_to_checkout_json (const TillCart *cart);
/* Strict: unknown fields, wrong types, quantities outside 1..9999, unknown currencies and
 * bad discounts fail with TILL_JSON_ERROR naming the field (e.g. "lines[2].quantity"). */
TillCart *till_cart_from_checkout_json (JsonObject *object, GError **error);

/* Everything, snapshots included: for saving carts on disk. */
JsonNode *till_cart_to_json (const TillCart *cart);
TillCart *till_cart_from_json (JsonObject *object, GError **error);

/* {"type": "percent", "basis_points": N} or {"type": "amount", "amount": N}. */
JsonNode *till_discount_to_json (const TillDiscount *discount);
gboolean
till_discount_from_json (JsonNode *node, const char *path, TillDiscount *out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillCartLine, till_cart_line_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillCart, till_cart_free)

G_END_DECLS
