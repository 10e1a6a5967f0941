/* till-stripe-sim-idempotency.c: replay, mismatch and in-flight detection.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * As FACTS.md describes Stripe: the first result (status and body, even a 500) is saved once
 * the endpoint starts executing and replayed for retries with the same key; the same key
 * with other parameters is an idempotency_error; nothing is saved when validation fails; a
 * retry while the first request is still running gets a 409. Keys are forgotten after their
 * time to live (a day, as on Stripe, unless set shorter), and beyond a maximum count the
 * oldest first (training keeps fewer than Stripe would); keys in flight are never forgotten.
 *
 * The table is touched only from the simulator's main context, and begin() marks a key in
 * flight before any request with it can run, so concurrent retries are safe; the mutex keeps
 * it so even if a caller drives the simulator from several threads.
 */
#include "config.h"

#include "till-stripe-sim-idempotency-private.h"

typedef struct
{
  char         *id; /* "scope\nkey" */
  char         *fingerprint;
  TillSimReply *reply; /* NULL while in flight */
  char         *request_id;
  gint64        created; /* monotonic µs */
  GList         link;    /* in order */
} Entry;

struct _TillSimIdempotency
{
  GMutex      lock;
  GHashTable *entries; /* id → Entry */
  GQueue      order;   /* Entry, oldest first (as begun) */
  gint64      ttl_us;
  guint       max_keys;     /* 0: no limit */
  gint64      clock_offset; /* µs */
};

static void
entry_free (Entry *entry)
{
  g_free (entry->id);
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
  self->entries =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) entry_free);
  g_queue_init (&self->order);
  self->ttl_us = ttl_seconds * G_USEC_PER_SEC;
  return self;
}

void
till_sim_idempotency_set_limits (TillSimIdempotency *self, gint64 ttl_seconds, guint max_keys)
{
  g_mutex_lock (&self->lock);
  self->ttl_us = MAX (ttl_seconds, 0) * G_USEC_PER_SEC;
  self->max_keys = max_keys;
  g_mutex_unlock (&self->lock);
}

void
till_sim_idempotency_set_clock_offset (TillSimIdempotency *self, gint64 offset_us)
{
  g_mutex_lock (&self->lock);
  self->clock_offset = offset_us;
  g_mutex_unlock (&self->lock);
}

guint
till_sim_idempotency_get_count (TillSimIdempotency *self)
{
  guint count;

  g_mutex_lock (&self->lock);
  count = g_hash_table_size (self->entries);
  g_mutex_unlock (&self->lock);
  return count;
}

static gint64
now_us (TillSimIdempotency *self)
{
  return g_get_monotonic_time () + self->clock_offset;
}

static void
drop (TillSimIdempotency *self, Entry *entry)
{
  g_queue_unlink (&self->order, &entry->link);
  g_hash_table_remove (self->entries, entry->id);
}

void
till_sim_idempotency_free (TillSimIdempotency *self)
{
  g_hash_table_unref (self->entries);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* From the oldest: the saved answers past their time to live or beyond the count, up to
 * the first one that stays (keys in flight are passed over, never forgotten). */
static guint
prune (TillSimIdempotency *self, gint64 now)
{
  GList *l = self->order.head;
  guint  forgotten = 0;

  while (l != NULL)
    {
      Entry   *entry = l->data;
      gboolean too_many = self->max_keys > 0 && g_hash_table_size (self->entries) > self->max_keys;

      l = l->next;
      if (entry->reply == NULL)
        continue;
      if (!too_many && now - entry->created <= self->ttl_us)
        break;
      drop (self, entry);
      forgotten++;
    }
  return forgotten;
}

guint
till_sim_idempotency_prune (TillSimIdempotency *self)
{
  guint forgotten;

  g_mutex_lock (&self->lock);
  forgotten = prune (self, now_us (self));
  g_mutex_unlock (&self->lock);
  return forgotten;
}

TillSimIdempotencyResult
till_sim_idempotency_begin (TillSimIdempotency *self,
                            const char         *scope,
                            const char         *key,
                            const char         *fingerprint,
                            TillSimReply      **saved,
                            char              **original_request_id)
{
  g_autofree char         *id = g_strconcat (scope, "\n", key, NULL);
  gint64                   now = now_us (self);
  TillSimIdempotencyResult result;
  Entry                   *entry;

  g_mutex_lock (&self->lock);
  prune (self, now);

  entry = g_hash_table_lookup (self->entries, id);
  if (entry != NULL && entry->reply != NULL && now - entry->created > self->ttl_us)
    {
      drop (self, entry);
      entry = NULL;
    }

  if (entry == NULL)
    {
      entry = g_new0 (Entry, 1);
      entry->id = g_steal_pointer (&id);
      entry->fingerprint = g_strdup (fingerprint);
      entry->created = now;
      entry->link.data = entry;
      g_hash_table_insert (self->entries, entry->id, entry);
      g_queue_push_tail_link (&self->order, &entry->link);
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
till_sim_idempotency_end (TillSimIdempotency *self,
                          const char         *scope,
                          const char         *key,
                          const TillSimReply *reply,
                          const char         *request_id)
{
  g_autofree char *id = g_strconcat (scope, "\n", key, NULL);
  Entry           *entry;

  g_mutex_lock (&self->lock);
  entry = g_hash_table_lookup (self->entries, id);
  if (entry != NULL && (reply == NULL || !reply->save))
    drop (self, entry);
  else if (entry != NULL)
    {
      entry->reply = till_sim_reply_copy (reply);
      entry->request_id = g_strdup (request_id);
      entry->created = now_us (self);
      /* Now a saved answer: the count may be over. */
      prune (self, entry->created);
    }
  g_mutex_unlock (&self->lock);
}

guint
till_sim_idempotency_forget (TillSimIdempotency *self)
{
  GHashTableIter iter;
  Entry         *entry;
  guint          forgotten = 0;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (entry->reply != NULL)
      {
        g_queue_unlink (&self->order, &entry->link);
        g_hash_table_iter_remove (&iter);
        forgotten++;
      }
  g_mutex_unlock (&self->lock);
  return forgotten;
}
