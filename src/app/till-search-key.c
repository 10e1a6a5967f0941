/* till-search-key.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-search-key.h"

static gboolean
is_mark (gunichar c)
{
  switch (g_unichar_type (c))
    {
      case G_UNICODE_NON_SPACING_MARK:
      case G_UNICODE_SPACING_MARK:
      case G_UNICODE_ENCLOSING_MARK:
        return TRUE;
      default:
        return FALSE;
    }
}

char *
till_search_fold (const char *text)
{
  g_autofree char *decomposed = NULL;
  g_autofree char *folded = NULL;
  GString         *out;
  const char      *p;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return g_strdup ("");

  /* Fast path: plain ASCII needs only lower-casing. */
  for (p = text; *p != '\0'; p++)
    if ((guchar) *p >= 0x80)
      break;
  if (*p == '\0')
    return g_ascii_strdown (text, -1);

  /* Decompose (é → e + ◌́, İ → I + ◌̇), then case-fold, then drop the marks. */
  decomposed = g_utf8_normalize (text, -1, G_NORMALIZE_NFD);
  if (decomposed == NULL)
    return g_strdup ("");
  folded = g_utf8_casefold (decomposed, -1);

  out = g_string_sized_new (strlen (folded));
  for (p = folded; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_mark (c))
        continue;
      switch (c)
        {
          case 0x0131: /* ı LATIN SMALL LETTER DOTLESS I */
            c = 'i';
            break;
          case 0x00F8: /* ø */
            c = 'o';
            break;
          case 0x0111: /* đ */
            c = 'd';
            break;
          case 0x0142: /* ł */
            c = 'l';
            break;
          case 0x00E6: /* æ */
            g_string_append (out, "ae");
            continue;
          case 0x0153: /* œ */
            g_string_append (out, "oe");
            continue;
          default:
            break;
        }
      g_string_append_unichar (out, c);
    }

  return g_string_free (out, FALSE);
}

gboolean
till_search_key_matches (const char *key, const char *const *words)
{
  for (guint i = 0; words[i] != NULL; i++)
    if (strstr (key, words[i]) == NULL)
      return FALSE;
  return TRUE;
}
