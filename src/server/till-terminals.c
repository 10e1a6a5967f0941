/* till-terminals.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A token is "till_" followed by 32 random bytes in URL-safe base64. Only its SHA-256 is
 * stored; authentication looks the hash up and compares it again in constant time.
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <sys/random.h>

#include "till-terminals.h"

#define TOKEN_PREFIX "till_"
#define TOKEN_BYTES 32
#define HASH_BYTES 32

void
till_terminal_free (TillTerminal *terminal)
{
  if (terminal == NULL)
    return;
  g_free (terminal->name);
  g_free (terminal);
}

const char *
till_role_to_string (TillRole role)
{
  switch (role)
    {
      case TILL_ROLE_ADMIN:
        return "admin";
      case TILL_ROLE_KIOSK:
        return "kiosk";
      case TILL_ROLE_CASHIER:
      default:
        return "cashier";
    }
}

gboolean
till_role_from_string (const char *text, TillRole *out_role)
{
  if (g_strcmp0 (text, "cashier") == 0)
    *out_role = TILL_ROLE_CASHIER;
  else if (g_strcmp0 (text, "admin") == 0)
    *out_role = TILL_ROLE_ADMIN;
  else if (g_strcmp0 (text, "kiosk") == 0)
    *out_role = TILL_ROLE_KIOSK;
  else
    return FALSE;
  return TRUE;
}

gboolean
till_constant_time_equal (const guint8 *a, const guint8 *b, gsize length)
{
  volatile guint8 diff = 0;

  for (gsize i = 0; i < length; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}

static void
hash_token (const char *token, guint8 out[HASH_BYTES])
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize length = HASH_BYTES;

  g_checksum_update (checksum, (const guchar *) token, strlen (token));
  g_checksum_get_digest (checksum, out, &length);
}

static gboolean
random_bytes (guint8 *buffer, gsize length, GError **error)
{
  gsize done = 0;

  while (done < length)
    {
      ssize_t n = getrandom (buffer + done, length - done, 0);

      if (n < 0)
        {
          int saved = errno;
          if (saved == EINTR)
            continue;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _ ("Cannot get random bytes: %s"), g_strerror (saved));
          return FALSE;
        }
      done += n;
    }
  return TRUE;
}

char *
till_terminals_add (
    TillDatabase *db, const char *name, TillRole role, gint64 *out_id, GError **error)
{
  guint8           raw[TOKEN_BYTES];
  guint8           hash[HASH_BYTES];
  g_autofree char *encoded = NULL;
  g_autofree char *token = NULL;
  sqlite3_stmt    *stmt;

  if (name == NULL || *name == '\0' || !g_utf8_validate (name, -1, NULL) ||
      g_utf8_strlen (name, -1) > 100)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("A terminal needs a name of 1 to 100 characters"));
      return NULL;
    }
  if (!random_bytes (raw, sizeof raw, error))
    return NULL;

  encoded = g_base64_encode (raw, sizeof raw);
  for (char *p = encoded; *p; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        *p = '\0';
    }
  token = g_strconcat (TOKEN_PREFIX, encoded, NULL);
  hash_token (token, hash);
  memset (raw, 0, sizeof raw);

  stmt = till_database_prepare (
      db, "INSERT INTO terminals (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)", error);
  if (stmt == NULL)
    return NULL;
  till_database_bind_text (stmt, 1, name);
  till_database_bind_text (stmt, 2, till_role_to_string (role));
  sqlite3_bind_blob (stmt, 3, hash, sizeof hash, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / G_USEC_PER_SEC);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return NULL;
  if (out_id != NULL)
    *out_id = till_database_last_insert_id (db);
  return g_steal_pointer (&token);
}

static TillTerminal *
terminal_from_row (sqlite3_stmt *stmt)
{
  TillTerminal *terminal = g_new0 (TillTerminal, 1);

  terminal->id = sqlite3_column_int64 (stmt, 0);
  terminal->name = till_database_column_dup (stmt, 1);
  till_role_from_string ((const char *) sqlite3_column_text (stmt, 2), &terminal->role);
  terminal->created_at = sqlite3_column_int64 (stmt, 3);
  terminal->revoked_at = sqlite3_column_int64 (stmt, 4);
  return terminal;
}

GPtrArray *
till_terminals_list (TillDatabase *db, GError **error)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) till_terminal_free);
  sqlite3_stmt *stmt;
  int           rc;

  stmt = till_database_prepare (
      db, "SELECT id, name, role, created_at, coalesce (revoked_at, 0) FROM terminals ORDER BY id",
      error);
  if (stmt == NULL)
    return NULL;
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (list, terminal_from_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&list);
}

gboolean
till_terminals_revoke (TillDatabase *db, const char *what, GError **error)
{
  sqlite3_stmt *stmt;
  guint64       id = 0;
  gboolean      by_id = g_ascii_string_to_unsigned (what, 10, 1, G_MAXINT64, &id, NULL);

  stmt = till_database_prepare (
      db,
      by_id ? "UPDATE terminals SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
            : "UPDATE terminals SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, g_get_real_time () / G_USEC_PER_SEC);
  if (by_id)
    sqlite3_bind_int64 (stmt, 2, (gint64) id);
  else
    till_database_bind_text (stmt, 2, what);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return FALSE;
  if (till_database_changes (db) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _ ("No active terminal “%s”"), what);
      return FALSE;
    }
  return TRUE;
}

TillTerminal *
till_terminals_find (TillDatabase *db, const char *what, GError **error)
{
  g_autoptr (TillTerminal) terminal = NULL;
  sqlite3_stmt *stmt;
  guint64       id = 0;
  gboolean      by_id = g_ascii_string_to_unsigned (what, 10, 1, G_MAXINT64, &id, NULL);
  int           rc;

  stmt = till_database_prepare (db,
                                by_id ? "SELECT id, name, role, created_at, 0 FROM terminals"
                                        " WHERE id = ? AND revoked_at IS NULL"
                                      : "SELECT id, name, role, created_at, 0 FROM terminals"
                                        " WHERE name = ? AND revoked_at IS NULL",
                                error);
  if (stmt == NULL)
    return NULL;
  if (by_id)
    sqlite3_bind_int64 (stmt, 1, (gint64) id);
  else
    till_database_bind_text (stmt, 1, what);
  while ((rc = till_database_step (db, stmt, error)) == SQLITE_ROW)
    {
      if (terminal != NULL)
        {
          sqlite3_reset (stmt);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _ ("Several active terminals are named “%s”: give the ID"), what);
          return NULL;
        }
      terminal = terminal_from_row (stmt);
    }
  if (rc < 0)
    return NULL;
  if (terminal == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _ ("No active terminal “%s”"), what);
  return g_steal_pointer (&terminal);
}

/**
 * till_terminals_revoke_older:
 * @db: the database
 * @name: the terminals' name
 * @keep: how many of the newest to leave
 * @error: return location for an error
 *
 * Revokes the active terminals named @name but the @keep newest.
 *
 * Returns: how many were revoked, or -1 on error
 */
gint64
till_terminals_revoke_older (TillDatabase *db, const char *name, guint keep, GError **error)
{
  sqlite3_stmt *stmt;

  stmt = till_database_prepare (
      db,
      "UPDATE terminals SET revoked_at = ?1 WHERE name = ?2 AND revoked_at IS NULL"
      " AND id NOT IN (SELECT id FROM terminals WHERE name = ?2 AND revoked_at IS NULL"
      "                ORDER BY id DESC LIMIT ?3)",
      error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, g_get_real_time () / G_USEC_PER_SEC);
  till_database_bind_text (stmt, 2, name);
  sqlite3_bind_int64 (stmt, 3, keep);
  if (till_database_step (db, stmt, error) != SQLITE_DONE)
    return -1;
  return till_database_changes (db);
}

static TillTerminal *
authenticate_hash (TillDatabase *db, const guint8 hash[HASH_BYTES])
{
  sqlite3_stmt *stmt;
  TillTerminal *terminal = NULL;
  const void   *stored;

  stmt = till_database_prepare (
      db,
      "SELECT id, name, role, created_at, coalesce (revoked_at, 0), token_hash "
      "FROM terminals WHERE token_hash = ?",
      NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_blob (stmt, 1, hash, HASH_BYTES, SQLITE_TRANSIENT);
  if (till_database_step (db, stmt, NULL) == SQLITE_ROW)
    {
      stored = sqlite3_column_blob (stmt, 5);
      if (stored != NULL && sqlite3_column_bytes (stmt, 5) == HASH_BYTES &&
          till_constant_time_equal (stored, hash, HASH_BYTES) &&
          sqlite3_column_type (stmt, 4) == SQLITE_INTEGER && sqlite3_column_int64 (stmt, 4) == 0)
        terminal = terminal_from_row (stmt);
    }
  sqlite3_reset (stmt);
  return terminal;
}

static gboolean
token_acceptable (const char *token)
{
  return token != NULL && g_str_has_prefix (token, TOKEN_PREFIX) && strlen (token) <= 200;
}

TillTerminal *
till_terminals_authenticate (TillDatabase *db, const char *token)
{
  guint8 hash[HASH_BYTES];

  if (!token_acceptable (token))
    return NULL;
  hash_token (token, hash);
  return authenticate_hash (db, hash);
}

gboolean
till_terminals_is_valid (TillDatabase *db, gint64 id)
{
  sqlite3_stmt *stmt = till_database_prepare (
      db, "SELECT 1 FROM terminals WHERE id = ? AND revoked_at IS NULL", NULL);
  gboolean valid;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  valid = till_database_step (db, stmt, NULL) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return valid;
}

#define CACHE_MAX 256

struct _TillTerminalCache
{
  GHashTable *terminals; /* GBytes (token hash) → TillTerminal */
  guint64     generation;
};

TillTerminalCache *
till_terminal_cache_new (void)
{
  TillTerminalCache *cache = g_new0 (TillTerminalCache, 1);

  cache->terminals =
      g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref,
                             (GDestroyNotify) till_terminal_free);
  return cache;
}

void
till_terminal_cache_free (TillTerminalCache *cache)
{
  if (cache == NULL)
    return;
  g_hash_table_unref (cache->terminals);
  g_free (cache);
}

void
till_terminal_cache_clear (TillTerminalCache *cache)
{
  g_hash_table_remove_all (cache->terminals);
}

static TillTerminal *
terminal_copy (const TillTerminal *terminal)
{
  TillTerminal *copy = g_memdup2 (terminal, sizeof *terminal);

  copy->name = g_strdup (terminal->name);
  return copy;
}

TillTerminal *
till_terminal_cache_authenticate (TillTerminalCache *cache, TillDatabase *db, const char *token)
{
  guint8 hash[HASH_BYTES];
  g_autoptr (GBytes) key = NULL;
  TillTerminal *terminal;

  if (!token_acceptable (token))
    return NULL;
  if (cache->generation != till_database_get_generation (db))
    {
      g_hash_table_remove_all (cache->terminals);
      cache->generation = till_database_get_generation (db);
    }
  hash_token (token, hash);
  key = g_bytes_new (hash, sizeof hash);
  terminal = g_hash_table_lookup (cache->terminals, key);
  if (terminal != NULL)
    return terminal_copy (terminal);
  terminal = authenticate_hash (db, hash);
  if (terminal == NULL)
    return NULL;
  if (g_hash_table_size (cache->terminals) >= CACHE_MAX)
    g_hash_table_remove_all (cache->terminals);
  g_hash_table_insert (cache->terminals, g_steal_pointer (&key), terminal_copy (terminal));
  return terminal;
}
