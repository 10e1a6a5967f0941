/* till-money-label.h: amounts as the cashier sees them, formatted by core for the locale.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The locale money is shown in: LC_MONETARY of the process, as ICU spells it. */
const char *till_money_label_locale (void);
/* till_money_format() for the current locale; "12.50 XYZ" if the currency is unknown. */
char *till_money_label (gint64 amount, const char *currency);

G_END_DECLS
