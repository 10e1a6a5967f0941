/* till-money-label.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "till-core.h"
#include "till-money-label.h"

const char *
till_money_label_locale (void)
{
  static char *locale;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      const char *lc = setlocale (LC_MONETARY, NULL);
      char       *name;

      /* "tr_TR.UTF-8@euro" → "tr_TR"; "C" and "POSIX" → "en_US" (ICU's en_US_POSIX puts a
       * space between the sign and the number, which no shop would print). */
      if (lc == NULL || g_str_equal (lc, "C") || g_str_equal (lc, "POSIX") ||
          g_str_has_prefix (lc, "C."))
        name = g_strdup ("en_US");
      else
        name = g_strndup (lc, strcspn (lc, ".@"));
      locale = name;
      g_once_init_leave (&once, 1);
    }
  return locale;
}

char *
till_money_label (gint64 amount, const char *currency)
{
  const TillCurrency *cur = till_currency_lookup (currency);
  char               *text = NULL;

  if (cur != NULL)
    text = till_money_format (amount, cur, till_money_label_locale ());
  if (text == NULL)
    text = g_strdup_printf ("%" G_GINT64_FORMAT " %s", amount, currency ? currency : "");
  return text;
}
