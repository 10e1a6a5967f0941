/* till-kiosk-policies.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <sys/random.h>

#include "till-kiosk-policies.h"
#include "till-pin.h"

static const char *const default_tenders[] = { "card", NULL };
static const char *const known_tenders[] = { "card", "cash", NULL };

TillKioskPolicy *
till_kiosk_policy_new (gint64 terminal_id)
{
  TillKioskPolicy *policy = g_new0 (TillKioskPolicy, 1);

  policy->terminal_id = terminal_id;
  policy->idle_timeout = TILL_KIOSK_IDLE_TIMEOUT_DEFAULT;
  policy->countdown = TILL_KIOSK_COUNTDOWN_DEFAULT;
  policy->tenders = g_strdupv ((GStrv) default_tenders);
  return policy;
}

void
till_kiosk_policy_free (TillKioskPolicy *policy)
{
  if (policy == NULL)
    return;
  g_strfreev (policy->tenders);
  g_clear_pointer (&policy->pin_salt, g_bytes_unref);
  g_clear_pointer (&policy->pin_hash, g_bytes_unref);
  g_free (policy);
}

gboolean
till_kiosk_policy_set_pin (TillKioskPolicy *policy, const char *pin, GError **error)
{
  guint8 salt[TILL_PIN_SALT_BYTES];
  guint8 hash[TILL_PIN_HASH_BYTES];
  gsize  done = 0;

  g_clear_pointer (&policy->pin_salt, g_bytes_unref);
  g_clear_pointer (&policy->pin_hash, g_bytes_unref);
  policy->pin_iterations = 0;
  if (pin == NULL)
    return TRUE;
  if (!till_pin_is_valid (pin))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _ ("An attendant PIN is 4 to 12 digits"));
      return FALSE;
    }
  while (done < sizeof salt)
    {
      ssize_t n = getrandom (salt + done, sizeof salt - done, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _ ("Cannot get random bytes: %s"), g_strerror (saved));
          return FALSE;
        }
      done += n;
    }
  till_pin_hash (pin, salt, sizeof salt, TILL_PIN_ITERATIONS, hash);
  policy->pin_salt = g_bytes_new (salt, sizeof salt);
  policy->pin_hash = g_bytes_new (hash, sizeof hash);
  policy->pin_iterations = TILL_PIN_ITERATIONS;
  return TRUE;
}

gboolean
till_kiosk_policy_set_tenders (TillKioskPolicy *policy, const char *const *tenders, GError **error)
{
  guint n = tenders != NULL ? g_strv_length ((GStrv) tenders) : 0;

  if (n == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _ ("A kiosk takes at least one tender"));
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      if (!g_strv_contains (known_tenders, tenders[i]))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _ ("Unknown tender “%s”: card or cash"), tenders[i]);
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        if (g_str_equal (tenders[i], tenders[j]))
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         _ ("The tender “%s” is there twice"), tenders[i]);
            return FALSE;
          }
    }
  g_strfreev (policy->tenders);
  policy->tenders = g_strdupv ((GStrv) tenders);
  return TRUE;
}

gboolean
till_kiosk_policy_check (const TillKioskPolicy *policy, GError **error)
{
  if (policy->idle_timeout < TILL_KIOSK_IDLE_TIMEOUT_MIN ||
      policy->idle_timeout > TILL_KIOSK_IDLE_TIMEOUT_MAX)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("The idle timeout is %d to %d seconds"), TILL_KIOSK_IDLE_TIMEOUT_MIN,
                   TILL_KIOSK_IDLE_TIMEOUT_MAX);
      return FALSE;
    }
  if (policy->countdown < TILL_KIOSK_COUNTDOWN_MIN || policy->countdown > TILL_KIOSK_COUNTDOWN_MAX)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("The countdown is %d to %d seconds"), TILL_KIOSK_COUNTDOWN_MIN,
                   TILL_KIOSK_COUNTDOWN_MAX);
      return FALSE;
    }
  return TRUE;
}

static GBytes *
column_bytes (sqlite3_stmt *stmt, int column)
{
  if (sqlite3_column_type (stmt, column) != SQLITE_BLOB)
    return NULL;
  return g_bytes_new (sqlite3_column_blob (stmt, column), sqlite3_column_bytes (stmt, column));
}

TillKioskPolicy *
till_kiosk_policy_load (TillDatabase *db, gint64 terminal_id, GError **error)
{
  g_autoptr (TillKioskPolicy) policy = till_kiosk_policy_new (terminal_id);
  sqlite3_stmt *stmt;
  int           rc;

  stmt = till_database_prepare (db,
                                "SELECT idle_timeout, countdown, tenders, pin_salt, pin_hash,"
                                " pin_iterations FROM kiosk_policies WHERE terminal_id = ?",
                                error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, terminal_id);
  rc = till_database_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    {
      policy->idle_timeout = sqlite3_column_int (stmt, 0);
      policy->countdown = sqlite3_column_int (stmt, 1);
      g_strfreev (policy->tenders);
      policy->tenders = g_strsplit ((const char *) sqlite3_column_text (stmt, 2), ",", -1);
      policy->pin_salt = column_bytes (stmt, 3);
      policy->pin_hash = column_bytes (stmt, 4);
      policy->pin_iterations = sqlite3_column_int (stmt, 5);
      if (policy->pin_salt == NULL || policy->pin_hash == NULL)
        {
          g_clear_pointer (&policy->pin_salt, g_bytes_unref);
          g_clear_pointer (&policy->pin_hash, g_bytes_unref);
        }
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&policy);
}

static void
bind_bytes (sqlite3_stmt *stmt, int column, GBytes *bytes)
{
  if (bytes == NULL)
    sqlite3_bind_null (stmt, column);
  else
    sqlite3_bind_blob (stmt, column, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                       SQLITE_TRANSIENT);
}

gboolean
till_kiosk_policy_save (TillDatabase *db, const TillKioskPolicy *policy, GError **error)
{
  g_autofree char *tenders = NULL;
  sqlite3_stmt    *stmt;

  if (!till_kiosk_policy_check (policy, error))
    return FALSE;
  stmt = till_database_prepare (
      db,
      "INSERT OR REPLACE INTO kiosk_policies (terminal_id, idle_timeout, countdown, tenders,"
      " pin_salt, pin_hash, pin_iterations, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      error);
  if (stmt == NULL)
    return FALSE;
  tenders = g_strjoinv (",", policy->tenders);
  sqlite3_bind_int64 (stmt, 1, policy->terminal_id);
  sqlite3_bind_int (stmt, 2, policy->idle_timeout);
  sqlite3_bind_int (stmt, 3, policy->countdown);
  till_database_bind_text (stmt, 4, tenders);
  bind_bytes (stmt, 5, policy->pin_salt);
  bind_bytes (stmt, 6, policy->pin_hash);
  if (policy->pin_hash != NULL)
    sqlite3_bind_int (stmt, 7, policy->pin_iterations);
  else
    sqlite3_bind_null (stmt, 7);
  sqlite3_bind_int64 (stmt, 8, g_get_real_time () / G_USEC_PER_SEC);
  return till_database_step (db, stmt, error) == SQLITE_DONE;
}
