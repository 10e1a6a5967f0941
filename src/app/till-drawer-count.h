/* till-drawer-count.h: counting a drawer: how many of each note and coin, and their total (from
 * core's denominations), or the total typed when the currency has no table.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_TYPE_DRAWER_COUNT (till_drawer_count_get_type ())
G_DECLARE_FINAL_TYPE (TillDrawerCount, till_drawer_count, TILL, DRAWER_COUNT, GtkBox)

TillDrawerCount *till_drawer_count_new (const char *currency);
gboolean  till_drawer_count_get_total (TillDrawerCount *self, gint64 *out_total, GError **error);
JsonNode *till_drawer_count_to_json (TillDrawerCount *self);
guint     till_drawer_count_get_n_denominations (TillDrawerCount *self);
void till_drawer_count_set_quantity (TillDrawerCount *self, gint64 denomination, guint quantity);
const char *till_drawer_count_get_total_text (TillDrawerCount *self);

G_END_DECLS
