/* till-terminals.h: terminal tokens (stored as SHA-256 hashes) and their roles.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-database.h"

G_BEGIN_DECLS

typedef enum
{
  TILL_ROLE_CASHIER,
  TILL_ROLE_ADMIN,
  TILL_ROLE_KIOSK, /* a self-checkout: no more than a cashier, and a policy of its own */
} TillRole;

typedef struct
{
  gint64   id;
  char    *name;
  TillRole role;
  gint64   created_at; /* unix seconds */
  gint64   revoked_at; /* 0 while valid */
} TillTerminal;

void        till_terminal_free (TillTerminal *terminal);
const char *till_role_to_string (TillRole role);
gboolean    till_role_from_string (const char *text, TillRole *out_role);

/* Adds a terminal and returns its token (shown once, never stored). */
char *till_terminals_add (
    TillDatabase *db, const char *name, TillRole role, gint64 *out_id, GError **error);
/* element-type TillTerminal */
GPtrArray *till_terminals_list (TillDatabase *db, GError **error);
/* @what: a terminal id or a name. FALSE with G_IO_ERROR_NOT_FOUND when none matches. */
gboolean till_terminals_revoke (TillDatabase *db, const char *what, GError **error);
/* Revokes the active terminals named @name but the @keep newest; returns how many, or -1. */
gint64 till_terminals_revoke_older (TillDatabase *db, const char *name, guint keep, GError **error);
/* The active terminal @what (an id, or a name only one active terminal has); else
 * G_IO_ERROR_NOT_FOUND, or G_IO_ERROR_EXISTS when several have that name. */
TillTerminal *till_terminals_find (TillDatabase *db, const char *what, GError **error);
/* The terminal holding @token, or NULL (revoked, unknown or malformed). */
TillTerminal *till_terminals_authenticate (TillDatabase *db, const char *token);
/* Constant-time comparison of two byte strings of the same length. */
/* TRUE if terminal @id exists and is not revoked. */
gboolean till_terminals_is_valid (TillDatabase *db, gint64 id);

/* Terminals already authenticated, by token hash, so that a request does not need a query.
 * Only valid tokens are kept. Whoever uses it must make sure of what it answers again once the
 * database may have changed (till_database_get_generation ()): till-api re-checks the
 * terminals of a checkout batch inside its transaction. */
typedef struct _TillTerminalCache TillTerminalCache;

TillTerminalCache *till_terminal_cache_new (void);
void               till_terminal_cache_free (TillTerminalCache *cache);
/* A copy of the terminal of @token, or NULL. Emptied first when the database's generation
 * moved on since the cache was filled. */
TillTerminal *
till_terminal_cache_authenticate (TillTerminalCache *cache, TillDatabase *db, const char *token);
void till_terminal_cache_clear (TillTerminalCache *cache);

gboolean till_constant_time_equal (const guint8 *a, const guint8 *b, gsize length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillTerminal, till_terminal_free)

G_END_DECLS
