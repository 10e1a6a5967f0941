/* till-cash-count.h: counting a drawer: how many of each note and coin, and their total (from
 * core's denominations), or the total typed when the currency has no table.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_TYPE_CASH_COUNT (till_cash_count_get_type ())
G_DECLARE_FINAL_TYPE (TillCashCount, till_cash_count, TILL, CASH_COUNT, GtkBox)

TillCashCount *till_cash_count_new (const char *currency);
gboolean       till_cash_count_get_total (TillCashCount *self, gint64 *out_total, GError **error);
JsonNode      *till_cash_count_to_json (TillCashCount *self);
guint          till_cash_count_get_n_denominations (TillCashCount *self);
void        till_cash_count_set_quantity (TillCashCount *self, gint64 denomination, guint quantity);
const char *till_cash_count_get_total_text (TillCashCount *self);

G_END_DECLS
