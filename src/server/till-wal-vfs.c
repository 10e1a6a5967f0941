/* till-wal-vfs.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SQLite writes each WAL frame with two pwrite ()s, its 24-byte header and then its page: a
 * batch of checkouts, 13 to 23 pages, was 26 to 46 system calls, whose cost is mostly per
 * call (ext4's page-cache lookups and locks), not per byte. This VFS sits over SQLite's
 * default one and hands a WAL's contiguous writes to it as one write, at a commit's last
 * write at the latest: the page of its commit frame, or, when SQLite rewrites the checksums
 * of frames it wrote over in place, the commit frame's header. So a transaction's frames
 * reach the file before SQLite's xWrite returns for its last one.
 *
 * Why that is safe: SQLite publishes a commit to other connections (the wal-index header,
 * after an xShmBarrier) only once that write returned, and a write that fails is returned
 * by it, so the transaction fails as it would have without the VFS. Frames written before
 * the commit's (a large transaction spilling pages) wait until the buffer is full, until the
 * commit, or until anything else touches the file (a read, a sync, its size, a truncation,
 * its closing), whichever comes first. As a last guard, the connection's xShmBarrier and
 * xShmLock on the database file write whatever would still be pending, and count it (a
 * test checks that they never have to). Every other call goes to the default VFS as it is.
 */
#include "config.h"

#include <string.h>

#include "till-wal-vfs.h"

#define WAL_FRAME_HEADER_SIZE 24
/* A batch of checkouts writes 40–60 kB of frames; a larger transaction is written in
 * pieces of this size. */
#define PENDING_MAX (128 * 1024)

typedef struct TillFile TillFile;

struct TillFile
{
  sqlite3_file base;
  sqlite3_file *real;          /* the default VFS's file, allocated after this one */
  TillFile *wal;               /* a database file: its connection's WAL, while it is open */
  TillFile *db;                /* a WAL: its connection's database file */
  GByteArray *pending;         /* a WAL: what was written and not yet handed on */
  sqlite3_int64 pending_offset;
  gboolean commit_page_next;   /* a WAL: the last write was a commit frame's header */
};

static sqlite3_vfs *real_vfs;

/* Hands what is pending on. Whatever happens, nothing stays pending: after a failed write,
 * SQLite gives the transaction up, and its frames must not be written later. */
static int
wal_flush (TillFile *self)
{
  int rc;

  if (self == NULL || self->pending == NULL || self->pending->len == 0)
    return SQLITE_OK;
  rc = self->real->pMethods->xWrite (self->real, self->pending->data, (int) self->pending->len,
                                     self->pending_offset);
  g_byte_array_set_size (self->pending, 0);
  return rc;
}

static guint late_flushes;

/* The last guard, before SQLite publishes or locks anything: counted, since a commit should
 * never leave anything pending (till_wal_vfs_get_late_flushes ()). */
static int
late_flush (TillFile *self)
{
  if (self == NULL || self->pending == NULL || self->pending->len == 0)
    return SQLITE_OK;
  g_atomic_int_inc (&late_flushes);
  return wal_flush (self);
}

guint
till_wal_vfs_get_late_flushes (void)
{
  return (guint) g_atomic_int_get (&late_flushes);
}

static guint32
read_be32 (const guint8 *bytes)
{
  return ((guint32) bytes[0] << 24) | ((guint32) bytes[1] << 16) |
         ((guint32) bytes[2] << 8) | bytes[3];
}

static int
wal_write (TillFile     *self,
           const void   *data,
           int           amount,
           sqlite3_int64 offset)
{
  /* In a frame's header, a commit frame has the database's size in pages after the commit;
   * other frames have zero. */
  gboolean commit_header = amount == WAL_FRAME_HEADER_SIZE &&
                           read_be32 ((const guint8 *) data + 4) != 0;
  gboolean commit_page = self->commit_page_next;
  gboolean starts_run = FALSE;
  int rc;

  self->commit_page_next = commit_header;
  if (self->pending->len == 0 ||
      offset != self->pending_offset + (sqlite3_int64) self->pending->len ||
      self->pending->len + (guint) amount > PENDING_MAX)
    {
      rc = wal_flush (self);
      if (rc != SQLITE_OK)
        return rc;
      if (amount > PENDING_MAX)
        return self->real->pMethods->xWrite (self->real, data, amount, offset);
      self->pending_offset = offset;
      starts_run = TRUE;
    }
  g_byte_array_append (self->pending, data, (guint) amount);

  /* A commit's last write: its commit frame's page, after the header; or, when SQLite
   * rewrites the checksums of frames it wrote over in place, the commit frame's header,
   * rewritten alone at its place. */
  if (commit_page || (commit_header && starts_run))
    return wal_flush (self);
  return SQLITE_OK;
}

/* The methods: each hands the call on, a WAL's after writing what it has pending. */

static int
file_close (sqlite3_file *file)
{
  TillFile *self = (TillFile *) file;
  int rc = wal_flush (self->pending != NULL ? self : NULL);
  int closed;

  if (self->db != NULL)
    self->db->wal = NULL;
  if (self->wal != NULL)
    self->wal->db = NULL;
  g_clear_pointer (&self->pending, g_byte_array_unref);
  closed = self->real->pMethods->xClose (self->real);
  return rc != SQLITE_OK ? rc : closed;
}

#define PENDING(self) ((self)->pending != NULL ? (self) : (self)->wal)
#define FLUSH_OR_RETURN(self)                  \
  G_STMT_START {                               \
    int flushed = wal_flush (PENDING (self));  \
    if (flushed != SQLITE_OK)                  \
      return flushed;                          \
  } G_STMT_END

static int
file_read (sqlite3_file *file,
           void         *data,
           int           amount,
           sqlite3_int64 offset)
{
  TillFile *self = (TillFile *) file;

  if (self->pending != NULL)
    FLUSH_OR_RETURN (self);
  return self->real->pMethods->xRead (self->real, data, amount, offset);
}

static int
file_write (sqlite3_file *file,
            const void   *data,
            int           amount,
            sqlite3_int64 offset)
{
  TillFile *self = (TillFile *) file;

  if (self->pending != NULL)
    return wal_write (self, data, amount, offset);
  return self->real->pMethods->xWrite (self->real, data, amount, offset);
}

static int
file_truncate (sqlite3_file *file,
               sqlite3_int64 size)
{
  TillFile *self = (TillFile *) file;

  if (self->pending != NULL)
    FLUSH_OR_RETURN (self);
  return self->real->pMethods->xTruncate (self->real, size);
}

static int
file_sync (sqlite3_file *file,
           int           flags)
{
  TillFile *self = (TillFile *) file;

  if (self->pending != NULL)
    FLUSH_OR_RETURN (self);
  return self->real->pMethods->xSync (self->real, flags);
}

static int
file_size (sqlite3_file  *file,
           sqlite3_int64 *size)
{
  TillFile *self = (TillFile *) file;

  if (self->pending != NULL)
    FLUSH_OR_RETURN (self);
  return self->real->pMethods->xFileSize (self->real, size);
}

static int
file_lock (sqlite3_file *file,
           int           level)
{
  TillFile *self = (TillFile *) file;

  return self->real->pMethods->xLock (self->real, level);
}

static int
file_unlock (sqlite3_file *file,
             int           level)
{
  TillFile *self = (TillFile *) file;

  return self->real->pMethods->xUnlock (self->real, level);
}

static int
file_check_reserved_lock (sqlite3_file *file,
                          int          *reserved)
{
  TillFile *self = (TillFile *) file;

  return self->real->pMethods->xCheckReservedLock (self->real, reserved);
}

static int
file_control (sqlite3_file *file,
              int           op,
              void         *arg)
{
  TillFile *self = (TillFile *) file;

  if (self->pending != NULL)
    FLUSH_OR_RETURN (self);
  return self->real->pMethods->xFileControl (self->real, op, arg);
}

static int
file_sector_size (sqlite3_file *file)
{
  TillFile *self = (TillFile *) file;

  return self->real->pMethods->xSectorSize (self->real);
}

static int
file_device_characteristics (sqlite3_file *file)
{
  TillFile *self = (TillFile *) file;

  return self->real->pMethods->xDeviceCharacteristics (self->real);
}

static int
file_shm_map (sqlite3_file  *file,
              int            region,
              int            size,
              int            extend,
              void volatile **address)
{
  TillFile *self = (TillFile *) file;

  return self->real->pMethods->xShmMap (self->real, region, size, extend, address);
}

static int
file_shm_lock (sqlite3_file *file,
               int           offset,
               int           count,
               int           flags)
{
  TillFile *self = (TillFile *) file;
  int rc = late_flush (PENDING (self));

  if (rc != SQLITE_OK)
    return rc;
  return self->real->pMethods->xShmLock (self->real, offset, count, flags);
}

static void
file_shm_barrier (sqlite3_file *file)
{
  TillFile *self = (TillFile *) file;

  /* Never needed (see above), and no error can be returned here. */
  if (late_flush (PENDING (self)) != SQLITE_OK)
    g_warning ("Cannot write the database's write-ahead log before publishing a commit");
  self->real->pMethods->xShmBarrier (self->real);
}

static int
file_shm_unmap (sqlite3_file *file,
                int           delete_flag)
{
  TillFile *self = (TillFile *) file;

  FLUSH_OR_RETURN (self);
  return self->real->pMethods->xShmUnmap (self->real, delete_flag);
}

static int
file_fetch (sqlite3_file  *file,
            sqlite3_int64  offset,
            int            amount,
            void         **pages)
{
  TillFile *self = (TillFile *) file;

  if (self->pending != NULL)
    FLUSH_OR_RETURN (self);
  return self->real->pMethods->xFetch (self->real, offset, amount, pages);
}

static int
file_unfetch (sqlite3_file  *file,
              sqlite3_int64  offset,
              void          *pages)
{
  TillFile *self = (TillFile *) file;

  return self->real->pMethods->xUnfetch (self->real, offset, pages);
}

static const sqlite3_io_methods file_methods = {
  3,
  file_close,
  file_read,
  file_write,
  file_truncate,
  file_sync,
  file_size,
  file_lock,
  file_unlock,
  file_check_reserved_lock,
  file_control,
  file_sector_size,
  file_device_characteristics,
  file_shm_map,
  file_shm_lock,
  file_shm_barrier,
  file_shm_unmap,
  file_fetch,
  file_unfetch,
};

/* The VFS: opening wraps the default VFS's file; everything else is the default VFS's. */

static int
vfs_open (sqlite3_vfs  *vfs,
          sqlite3_filename name,
          sqlite3_file *file,
          int           flags,
          int          *out_flags)
{
  TillFile *self = (TillFile *) file;
  int rc;

  memset (self, 0, sizeof *self);
  self->real = (sqlite3_file *) (self + 1);
  rc = real_vfs->xOpen (real_vfs, name, self->real, flags, out_flags);
  if (self->real->pMethods == NULL)
    return rc;
  if (self->real->pMethods->iVersion < file_methods.iVersion)
    {
      /* Not the unix VFS this was written for: no way to hand its methods on. */
      self->real->pMethods->xClose (self->real);
      return SQLITE_CANTOPEN;
    }
  if ((flags & SQLITE_OPEN_WAL) && name != NULL)
    {
      self->db = (TillFile *) sqlite3_database_file_object (name);
      self->db->wal = self;
      self->pending = g_byte_array_new ();
    }
  self->base.pMethods = &file_methods;
  return rc;
}

static int
vfs_delete (sqlite3_vfs *vfs,
            const char  *name,
            int          sync_dir)
{
  return real_vfs->xDelete (real_vfs, name, sync_dir);
}

static int
vfs_access (sqlite3_vfs *vfs,
            const char  *name,
            int          flags,
            int         *result)
{
  return real_vfs->xAccess (real_vfs, name, flags, result);
}

static int
vfs_full_pathname (sqlite3_vfs *vfs,
                   const char  *name,
                   int          size,
                   char        *out)
{
  return real_vfs->xFullPathname (real_vfs, name, size, out);
}

static void *
vfs_dl_open (sqlite3_vfs *vfs,
             const char  *name)
{
  return real_vfs->xDlOpen (real_vfs, name);
}

static void
vfs_dl_error (sqlite3_vfs *vfs,
              int          size,
              char        *message)
{
  real_vfs->xDlError (real_vfs, size, message);
}

static void (*vfs_dl_sym (sqlite3_vfs *vfs,
                          void        *handle,
                          const char  *symbol)) (void)
{
  return real_vfs->xDlSym (real_vfs, handle, symbol);
}

static void
vfs_dl_close (sqlite3_vfs *vfs,
              void        *handle)
{
  real_vfs->xDlClose (real_vfs, handle);
}

static int
vfs_randomness (sqlite3_vfs *vfs,
                int          size,
                char        *out)
{
  return real_vfs->xRandomness (real_vfs, size, out);
}

static int
vfs_sleep (sqlite3_vfs *vfs,
           int          microseconds)
{
  return real_vfs->xSleep (real_vfs, microseconds);
}

static int
vfs_current_time (sqlite3_vfs *vfs,
                  double      *julian_day)
{
  return real_vfs->xCurrentTime (real_vfs, julian_day);
}

static int
vfs_get_last_error (sqlite3_vfs *vfs,
                    int          size,
                    char        *out)
{
  return real_vfs->xGetLastError (real_vfs, size, out);
}

static int
vfs_current_time_int64 (sqlite3_vfs   *vfs,
                        sqlite3_int64 *julian_ms)
{
  return real_vfs->xCurrentTimeInt64 (real_vfs, julian_ms);
}

static sqlite3_vfs till_vfs = {
  .iVersion = 2,
  .zName = "till-wal",
  .xOpen = vfs_open,
  .xDelete = vfs_delete,
  .xAccess = vfs_access,
  .xFullPathname = vfs_full_pathname,
  .xDlOpen = vfs_dl_open,
  .xDlError = vfs_dl_error,
  .xDlSym = vfs_dl_sym,
  .xDlClose = vfs_dl_close,
  .xRandomness = vfs_randomness,
  .xSleep = vfs_sleep,
  .xCurrentTime = vfs_current_time,
  .xGetLastError = vfs_get_last_error,
  .xCurrentTimeInt64 = vfs_current_time_int64,
};

gboolean
till_wal_vfs_register (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      gsize done = 1;

      real_vfs = sqlite3_vfs_find (NULL);
      if (real_vfs == NULL || real_vfs->iVersion < till_vfs.iVersion)
        done = 2;
      else
        {
          /* Room for the default VFS's file after ours (TillFile's size keeps it aligned). */
          till_vfs.szOsFile = (int) sizeof (TillFile) + real_vfs->szOsFile;
          till_vfs.mxPathname = real_vfs->mxPathname;
          if (sqlite3_vfs_register (&till_vfs, 1) != SQLITE_OK)
            done = 2;
        }
      g_once_init_leave (&registered, done);
    }
  return registered == 1;
}
