/* till-core.h: everything of libtill-core.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-currency.h"
#include "till-money.h"
#include "till-totals.h"
#include "till-json.h"
#include "till-json-writer.h"
#include "till-cart.h"
#include "till-order.h"
#include "till-receipt.h"
#include "till-escpos.h"
#include "till-cash.h"
#include "till-pin.h"
