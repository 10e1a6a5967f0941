/* till-stripe-sim-idempotency.c: replay, mismatch and in-flight detection.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * As FACTS.md describes Stripe: the first result (status and body, even a 500) is saved once
 * the endpoint starts executing and replayed for retries with the same key; the same key
 * with other parameters is an idempotency_error; nothing is saved when validation fails; a
 * retry while the first request is still running gets a 409. Keys are pruned after a day.
 *
 * The table is touched only from the simulator's main context, and begin() marks a key in
 * flight before any request with it can run, so concurrent retries are safe; the mutex keeps
 * it so even if a caller drives the simulator from several threads.
 */
#include "config.h"

#include "till-stripe-sim-idempotency-private.h"

typedef struct
{
  char *fingerprint;
  TillSimReply *reply;        /* NULL while in flight */
  char *request_id;
  gint64 created;             /* monotonic µs */
} Entry;

struct _TillSimIdempotency
{
  GMutex lock;
  GHashTable *entries;        /* "scope\nkey" → Entry */
  gint64 ttl_us;
  gint64 last_prune;
};

static void
entry_free (Entry *entry)
{
  g_free (entry->fingerprint);
  g_clear_pointer (&entry->reply, till_sim_reply_free);
  g_free (entry->request_id);
  g_free (entry);
}

TillSimIdempotency *
till_sim_idempotency_new (gint64 ttl_seconds)
{
  TillSimIdempotency *self = g_new0 (TillSimIdempotency, 1);

  g_mutex_init (&self->lock);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) entry_free);
  self->ttl_us = ttl_seconds * G_USEC_PER_SEC;
  return self;
}

void
till_sim_idempotency_free (TillSimIdempotency *self)
{
  g_hash_table_unref (self->entries);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static void
prune (TillSimIdempotency *self,
       gint64              now)
{
  GHashTableIter iter;
  Entry *entry;

  /* At most once a minute: pruning walks the whole table. */
  if (now - self->last_prune < 60 * G_USEC_PER_SEC)
    return;
  self->last_prune = now;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (entry->reply != NULL && now - entry->created > self->ttl_us)
      g_hash_table_iter_remove (&iter);
}

TillSimIdempotencyResult
till_sim_idempotency_begin (TillSimIdempotency *self,
                            const char         *scope,
                            const char         *key,
                            const char         *fingerprint,
                            TillSimReply      **saved,
                            char              **original_request_id)
{
  g_autofree char *id = g_strconcat (scope, "\n", key, NULL);
  gint64 now = g_get_monotonic_time ();
  TillSimIdempotencyResult result;
  Entry *entry;

  g_mutex_lock (&self->lock);
  prune (self, now);

  entry = g_hash_table_lookup (self->entries, id);
  if (entry != NULL && entry->reply != NULL && now - entry->created > self->ttl_us)
    {
      g_hash_table_remove (self->entries, id);
      entry = NULL;
    }

  if (entry == NULL)
    {
      entry = g_new0 (Entry, 1);
      entry->fingerprint = g_strdup (fingerprint);
      entry->created = now;
      g_hash_table_insert (self->entries, g_steal_pointer (&id), entry);
      result = TILL_SIM_IDEMPOTENCY_NEW;
    }
  else if (!g_str_equal (entry->fingerprint, fingerprint))
    result = TILL_SIM_IDEMPOTENCY_MISMATCH;
  else if (entry->reply == NULL)
    result = TILL_SIM_IDEMPOTENCY_IN_FLIGHT;
  else
    {
      *saved = till_sim_reply_copy (entry->reply);
      *original_request_id = g_strdup (entry->request_id);
      result = TILL_SIM_IDEMPOTENCY_REPLAY;
    }
  g_mutex_unlock (&self->lock);

  return result;
}

void
till_sim_idempotency_finish (TillSimIdempotency *self,
                             const char         *scope,
                             const char         *key,
                             const TillSimReply *reply,
                             const char         *request_id)
{
  g_autofree char *id = g_strconcat (scope, "\n", key, NULL);
  Entry *entry;

  g_mutex_lock (&self->lock);
  entry = g_hash_table_lookup (self->entries, id);
  if (entry != NULL && (reply == NULL || !reply->save))
    g_hash_table_remove (self->entries, id);
  else if (entry != NULL)
    {
      entry->reply = till_sim_reply_copy (reply);
      entry->request_id = g_strdup (request_id);
      entry->created = g_get_monotonic_time ();
    }
  g_mutex_unlock (&self->lock);
}

guint
till_sim_idempotency_forget (TillSimIdempotency *self)
{
  GHashTableIter iter;
  Entry *entry;
  guint forgotten = 0;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (entry->reply != NULL)
      {
        g_hash_table_iter_remove (&iter);
        forgotten++;
      }
  g_mutex_unlock (&self->lock);
  return forgotten;
}
