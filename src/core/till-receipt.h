/* till-receipt.h: an order as a plain-text receipt, the same for screen, printer and mail.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-order.h"

G_BEGIN_DECLS

#define TILL_RECEIPT_WIDTH 42 /* characters: an 80 mm thermal roll in its usual font */

typedef struct
{
  const char *store_name;    /* nullable: printed at the top */
  const char *store_address; /* nullable: under the name; "\n" between its lines */
  const char *store_tax_id;  /* nullable: the store's tax (VAT) number */
  gboolean    prices_include_tax;
  gboolean    training; /* marked TRAINING at the top and the bottom */
  const char *note;     /* nullable: the cart's note */
  const char *locale;   /* nullable: the ICU locale amounts are written in */
  int         width;    /* characters per line; 0 for TILL_RECEIPT_WIDTH */
} TillReceiptOptions;

char *till_receipt_format_full (const TillOrder *order, const TillReceiptOptions *options);
char *till_receipt_format (const TillOrder *order,
                           const char      *store_name,
                           gboolean         prices_include_tax,
                           const char      *locale,
                           int              width);

G_END_DECLS
