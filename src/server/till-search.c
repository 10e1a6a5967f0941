/* till-search.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "till-search.h"

#define FOLD_RULES u"NFD; [:Nonspacing Mark:] Remove; NFC; Any-Latin; Latin-ASCII; Any-Lower"

G_LOCK_DEFINE_STATIC (transliterator);
static UTransliterator *transliterator;
static gint             open_failed; /* once: not tried again */

static char *
fallback_key (const char *text)
{
  return g_utf8_casefold (text, -1);
}

/* Under the lock. Opening it reads ICU's rules for every script (Any-Latin): slow, and
 * slower still with ICU's files not in the page cache. */
static gboolean
ensure_transliterator (void)
{
  UErrorCode       status = U_ZERO_ERROR;
  UTransliterator *opened;

  if (transliterator != NULL)
    return TRUE;
  if (g_atomic_int_get (&open_failed))
    return FALSE;
  opened = utrans_openU (FOLD_RULES, -1, UTRANS_FORWARD, NULL, 0, NULL, &status);
  if (U_FAILURE (status) || opened == NULL)
    {
      g_warning ("Cannot open the ICU transliterator: %s", u_errorName (status));
      g_clear_pointer (&opened, utrans_close);
      g_atomic_int_set (&open_failed, TRUE);
      return FALSE;
    }
  g_atomic_pointer_set (&transliterator, opened);
  return TRUE;
}

gboolean
till_search_is_prepared (void)
{
  return g_atomic_pointer_get (&transliterator) != NULL || g_atomic_int_get (&open_failed);
}

gboolean
till_search_prepare (void)
{
  gboolean ready;

  G_LOCK (transliterator);
  ready = ensure_transliterator ();
  G_UNLOCK (transliterator);
  return ready;
}

char *
till_search_key (const char *text)
{
  UErrorCode        status = U_ZERO_ERROR;
  g_autofree UChar *buffer = NULL;
  int32_t           length = 0, capacity, limit;
  g_autofree char  *result = NULL;
  int32_t           result_length = 0;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return g_strdup ("");

  u_strFromUTF8 (NULL, 0, &length, text, -1, &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE (status))
    return fallback_key (text);
  status = U_ZERO_ERROR;
  /* Room for expansions such as ß → ss. */
  capacity = length * 4 + 16;
  buffer = g_new0 (UChar, capacity);
  u_strFromUTF8 (buffer, capacity, &length, text, -1, &status);
  if (U_FAILURE (status))
    return fallback_key (text);

  G_LOCK (transliterator);
  if (!ensure_transliterator ())
    {
      G_UNLOCK (transliterator);
      return fallback_key (text);
    }
  limit = length;
  utrans_transUChars (transliterator, buffer, &length, capacity, 0, &limit, &status);
  G_UNLOCK (transliterator);
  if (U_FAILURE (status))
    return fallback_key (text);

  u_strToUTF8 (NULL, 0, &result_length, buffer, length, &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE (status))
    return fallback_key (text);
  status = U_ZERO_ERROR;
  result = g_malloc (result_length + 1);
  u_strToUTF8 (result, result_length + 1, &result_length, buffer, length, &status);
  if (U_FAILURE (status))
    return fallback_key (text);
  return g_steal_pointer (&result);
}
