/* MGV-S on disk: one atomic write (temporary file, fsync, rename, 0600), now or in a worker
 * thread. The worker writes snapshots in the order they came; a snapshot that has not been
 * written yet when a newer one comes is dropped (wiped), since the newer one holds all of it.
 * Only the snapshot's bytes and the path cross threads: the store itself never does. */
#include "mgv-store-private.h"

struct _MgvStoreWriter {
  char    *path;
  GMutex   lock;
  GCond    changed;
  GThread *thread;
  GBytes  *pending;  /* newest snapshot not yet taken by the worker */
  gboolean writing;
  gboolean stop;
  GError  *error;    /* first failure since the last flush */
  gboolean failing;  /* the last write failed (worker thread only) */
};

static void
wipe_bytes (GBytes *data)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (data, &len);

  gba_wipe ((guint8 *) p, len);
  g_bytes_unref (data);
}

gboolean
mgv_store_write_file (const char *path, GBytes *snapshot, GError **error)
{
  g_autoptr(GError) local = NULL;
  gsize len;
  const guint8 *p = g_bytes_get_data (snapshot, &len);

  /* CONSISTENT: write a temporary file and rename it over; DURABLE: fsync before the rename */
  if (!g_file_set_contents_full (path, (const char *) p, (gssize) len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600, &local))
    return mgv_fail (error, MGV_ERROR_STORAGE, "cannot write the key store %s: %s", path, local->message);
  return TRUE;
}

static gpointer
writer_thread (gpointer data)
{
  MgvStoreWriter *w = data;

  g_mutex_lock (&w->lock);
  for (;;)
    {
      GBytes *snapshot;
      GError *error = NULL;

      while (w->pending == NULL && !w->stop)
        g_cond_wait (&w->changed, &w->lock);
      if (w->pending == NULL)
        break;
      snapshot = g_steal_pointer (&w->pending);
      w->writing = TRUE;
      g_mutex_unlock (&w->lock);

      /* the keys stay in memory; the next save tries again. One warning per run of failures,
       * not one per MTK, and a word when writing works again. */
      if (!mgv_store_write_file (w->path, snapshot, &error))
        {
          if (!w->failing)
            g_warning ("%s; the keys are kept in memory for this session (further failures not logged)",
                       error->message);
          w->failing = TRUE;
        }
      else if (w->failing)
        {
          g_message ("the key store %s is written again", w->path);
          w->failing = FALSE;
        }
      wipe_bytes (snapshot);

      g_mutex_lock (&w->lock);
      w->writing = FALSE;
      if (error != NULL && w->error == NULL)
        w->error = error;
      else
        g_clear_error (&error);
      g_cond_broadcast (&w->changed);
    }
  g_mutex_unlock (&w->lock);
  return NULL;
}

MgvStoreWriter *
mgv_store_writer_new (const char *path)
{
  MgvStoreWriter *w = g_new0 (MgvStoreWriter, 1);

  w->path = g_strdup (path);
  g_mutex_init (&w->lock);
  g_cond_init (&w->changed);
  w->thread = g_thread_new ("mgv-store-writer", writer_thread, w);
  return w;
}

void
mgv_store_writer_submit (MgvStoreWriter *w, GBytes *snapshot)
{
  g_mutex_lock (&w->lock);
  if (w->pending != NULL)
    wipe_bytes (w->pending);
  w->pending = snapshot;
  g_cond_broadcast (&w->changed);
  g_mutex_unlock (&w->lock);
}

gboolean
mgv_store_writer_flush (MgvStoreWriter *w, GError **error)
{
  GError *failure;

  g_mutex_lock (&w->lock);
  while (w->pending != NULL || w->writing)
    g_cond_wait (&w->changed, &w->lock);
  failure = g_steal_pointer (&w->error);
  g_mutex_unlock (&w->lock);
  if (failure != NULL)
    {
      g_propagate_error (error, failure);
      return FALSE;
    }
  return TRUE;
}

void
mgv_store_writer_free (MgvStoreWriter *w)
{
  if (w == NULL)
    return;
  /* what was submitted is written before the store goes */
  g_mutex_lock (&w->lock);
  w->stop = TRUE;
  g_cond_broadcast (&w->changed);
  g_mutex_unlock (&w->lock);
  g_thread_join (w->thread);
  g_clear_error (&w->error);
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->changed);
  g_free (w->path);
  g_free (w);
}
