/* till-receipt.h: an order as a plain-text receipt, the same for screen, printer and mail.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-order.h"

G_BEGIN_DECLS

#define TILL_RECEIPT_WIDTH 42   /* characters: an 80 mm thermal roll in its usual font */

char *till_receipt_format (const TillOrder *order,
                           const char      *store_name,
                           gboolean         prices_include_tax,
                           const char      *locale,
                           int              width);

G_END_DECLS
