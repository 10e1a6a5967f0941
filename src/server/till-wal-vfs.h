/* till-wal-vfs.h: a SQLite VFS that writes a transaction's WAL frames in one system call.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* Makes it SQLite's default VFS, over the one that was (once; thread-safe). FALSE if that
 * one cannot be wrapped: SQLite then goes on with it as it is. */
gboolean till_wal_vfs_register (void);

/* How many times frames were still pending when SQLite was about to publish a commit or
 * take a lock: a write that then failed could not fail its commit. Zero, unless SQLite
 * writes its WAL in a way this VFS does not expect (for tests). */
guint    till_wal_vfs_get_late_flushes (void);

G_END_DECLS
