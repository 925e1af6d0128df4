/* The receiver of one FLUTE session of an MBMS download service (TS 26.346 7, RFC 6726):
 * objects reassembled within the session's bounds, FDT Instances with their expiry, the MTK
 * from the session's MIKEY object through MGV-F (TS 33.246 6.3.3.2.1, 6.5.4), DCFs opened
 * only after their signature verified (6.6.3.2), held while their MTK has not come, and
 * refused, counted and never delivered when they fail. When the service is protected the
 * FDT is a DCF of its own and no file is trusted before it verified. */
#include "download-object.h"

#include <string.h>

#define NTP_UNIX_OFFSET      G_GUINT64_CONSTANT (2208988800) /* 1900 -> 1970, RFC 5905 */
#define MAX_FDTS             8          /* trusted FDT Instances kept, newest last */
#define MAX_EARLY_PER_OBJECT (64 * 1024) /* packets kept before an object's OTI is known */
#define MAX_DONE             4096       /* TOIs remembered as delivered (carousel repeats) */
#define MIKEY_CONTENT_TYPE   "application/mikey" /* IANA, RFC 3830 10; TS 33.246 6.3.3.2.1 */
#define SWEEP_INTERVAL_US    G_USEC_PER_SEC
#define MTKS_KEPT            2 /* TS 33.246 6.5.4: a session's two most recent MTKs, as MGV-S keeps them */

typedef struct {
  GBytes  *content;   /* decoded transport object: a DCF */
  guint64  toi;       /* 0: an FDT Instance */
  guint32  fdt_instance_id;
  gint64   since_us;
} Held;

/* A complete object no trusted FDT describes yet. */
typedef struct {
  GBytes  *raw;
  guint64  toi;
  gboolean has_cenc;
  guint8   cenc;
  gint64   since_us;
} Orphan;

struct _DownloadSession {
  guint64          tsi;
  DownloadLimits   limits;
  MbmsClock       *clock;
  MgvStore        *store;
  char            *mgv_session;
  DownloadFileFunc deliver;
  gpointer         user_data;
  GHashTable      *objects;     /* guint64 key (toi, or instance id | 1 << 63 for TOI 0) -> DownloadObject */
  GPtrArray       *fdts;        /* DownloadFdt, trusted, newest last */
  GQueue           held;        /* Held */
  GQueue           orphans;     /* Orphan */
  GHashTable      *done;        /* guint64 keys already delivered or refused */
  DownloadMikeyFunc mikey_func; /* UICC key management: MIKEY objects go there, not to MGV-F */
  gpointer         mikey_data;
  GArray          *mikey_sent;  /* guint64 TOIs of MIKEY objects sent, no answer yet */
  GPtrArray       *mtks;        /* MgvMtk from download_session_add_mtk, newest first */
  DownloadStats    stats;
  gint64           last_sweep_us;
};

#define FDT_KEY(id) (G_GUINT64_CONSTANT (1) << 63 | (id))

void
download_limits_init (DownloadLimits *l)
{
  *l = (DownloadLimits) {
    .max_object_size = 64 * 1024 * 1024,
    .max_session_bytes = 160 * 1024 * 1024,
    .max_objects = 64,
    .max_unknown_objects = 8,
    .max_held = 16,
    .object_timeout_s = 120,
    .hold_timeout_s = 600,
    .protected = TRUE,
  };
}

static gint64
now_us (DownloadSession *s)
{
  g_autoptr(GDateTime) now = s->clock->now (s->clock);

  return g_date_time_to_unix (now) * G_USEC_PER_SEC + g_date_time_get_microsecond (now);
}

static void
held_free (Held *h)
{
  g_bytes_unref (h->content);
  g_free (h);
}

static void
orphan_free (Orphan *o)
{
  g_bytes_unref (o->raw);
  g_free (o);
}

static guint64 *
key_new (guint64 k)
{
  return g_memdup2 (&k, sizeof k);
}

DownloadSession *
download_session_new (guint64 tsi, const DownloadLimits *limits, MbmsClock *clock, MgvStore *store,
                      const char *mgv_session, DownloadFileFunc deliver, gpointer user_data)
{
  DownloadSession *s = g_new0 (DownloadSession, 1);

  s->tsi = tsi;
  if (limits != NULL)
    s->limits = *limits;
  else
    download_limits_init (&s->limits);
  s->clock = clock;
  s->store = store;
  s->mgv_session = g_strdup (mgv_session);
  s->deliver = deliver;
  s->user_data = user_data;
  s->objects = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) download_object_free);
  s->fdts = g_ptr_array_new_with_free_func ((GDestroyNotify) download_fdt_free);
  g_queue_init (&s->held);
  g_queue_init (&s->orphans);
  s->done = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  s->mikey_sent = g_array_new (FALSE, FALSE, sizeof (guint64));
  s->mtks = g_ptr_array_new_with_free_func ((GDestroyNotify) mgv_mtk_free); /* wipes the keys */
  return s;
}

void
download_session_free (DownloadSession *s)
{
  if (s == NULL)
    return;
  g_hash_table_unref (s->objects);
  g_ptr_array_unref (s->fdts);
  g_queue_clear_full (&s->held, (GDestroyNotify) held_free);
  g_queue_clear_full (&s->orphans, (GDestroyNotify) orphan_free);
  g_hash_table_unref (s->done);
  g_array_unref (s->mikey_sent);
  g_ptr_array_unref (s->mtks);
  g_free (s->mgv_session);
  g_free (s);
}

/* ---------------------------------------------------------------- bookkeeping */

static gsize
held_bytes (DownloadSession *s)
{
  gsize n = 0;

  for (GList *l = s->held.head; l != NULL; l = l->next)
    n += g_bytes_get_size (((Held *) l->data)->content);
  for (GList *l = s->orphans.head; l != NULL; l = l->next)
    n += g_bytes_get_size (((Orphan *) l->data)->raw);
  return n;
}

static gsize
buffered (DownloadSession *s)
{
  GHashTableIter it;
  gpointer value;
  gsize n = held_bytes (s);

  g_hash_table_iter_init (&it, s->objects);
  while (g_hash_table_iter_next (&it, NULL, &value))
    n += download_object_footprint (value);
  return n;
}

static void
mark_done (DownloadSession *s, guint64 key)
{
  if (g_hash_table_size (s->done) >= MAX_DONE)
    g_hash_table_remove_all (s->done);
  g_hash_table_add (s->done, key_new (key));
}

/* An object given up for room or time was neither delivered nor refused: the carousel's next
 * copy of it is received again. */
static void
drop_oldest_orphan (DownloadSession *s)
{
  Orphan *o = g_queue_pop_head (&s->orphans);

  g_hash_table_remove (s->done, &o->toi);
  orphan_free (o);
  s->stats.objects_abandoned++;
}

static void
drop_oldest_held (DownloadSession *s)
{
  Held *h = g_queue_pop_head (&s->held);
  guint64 key = h->toi == DOWNLOAD_FDT_TOI ? FDT_KEY (h->fdt_instance_id) : h->toi;

  g_hash_table_remove (s->done, &key);
  held_free (h);
  s->stats.held_dropped++;
}

static const DownloadFdtFile *
lookup_file (DownloadSession *s, guint64 toi)
{
  for (guint i = s->fdts->len; i > 0; i--)
    {
      const DownloadFdtFile *f = download_fdt_lookup (g_ptr_array_index (s->fdts, i - 1), toi);

      if (f != NULL)
        return f;
    }
  return NULL;
}

static void
refuse (DownloadSession *s, guint64 toi, const GError *error)
{
  s->stats.files_refused++;
  g_message ("download TSI %" G_GUINT64_FORMAT ": TOI %" G_GUINT64_FORMAT " refused: %s", s->tsi, toi, error->message);
}

/* ---------------------------------------------------------------- files and keys */

static void accept_fdt (DownloadSession *s, guint32 instance_id, GBytes *xml);
static void finish_object (DownloadSession *s, guint64 key);
static void handle_file (DownloadSession *s, guint64 toi, const DownloadFdtFile *f, GBytes *raw, gboolean has_cenc,
                         guint8 cenc);

/* Opens a DCF with the session's MTKs. TRUE when done with it (opened or refused); FALSE when
 * its MTK has not come. */
static gboolean
try_open (DownloadSession *s, GBytes *content, guint64 toi, guint32 instance_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DownloadDcf) dcf = download_dcf_parse (content, &error);
  g_autoptr(GPtrArray) mtks = NULL;
  g_autoptr(GBytes) plain = NULL;
  const DownloadFdtFile *f;

  if (dcf == NULL)
    {
      refuse (s, toi, error);
      return TRUE;
    }
  if (s->mikey_func != NULL)
    mtks = g_ptr_array_ref (s->mtks);
  else
    mtks = s->store != NULL ? mgv_store_session_mtks (s->store, s->mgv_session) : NULL;
  plain = download_dcf_open_with (dcf, content, mtks, &error);
  if (plain == NULL && g_error_matches (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_KEY))
    {
      /* the ME keeps the session's two most recent MTKs and MGV-F takes no MTK at or below the
       * current MTK ID (TS 33.246 6.5.4, 6.4.6.2 step 3): a DCF under an older one can never
       * open, so it is refused now rather than held */
      if (s->store == NULL || mgv_store_mtk_may_come (s->store, dcf->domain, dcf->msk_id, dcf->mtk_id))
        return FALSE;
      g_clear_error (&error);
      download_fail (&error, DOWNLOAD_ERROR_KEY, "DCF: MTK ID %u of MSK ID 0x%08x is older than the session's MTKs "
                     "and cannot come again (TS 33.246 6.5.4)", dcf->mtk_id, dcf->msk_id);
      s->stats.files_stale++;
      refuse (s, toi, error);
      return TRUE;
    }
  if (plain == NULL)
    {
      refuse (s, toi, error);
      return TRUE;
    }
  if (toi == DOWNLOAD_FDT_TOI)
    {
      accept_fdt (s, instance_id, plain);
      return TRUE;
    }
  f = lookup_file (s, toi);
  if (f == NULL)
    return TRUE; /* the FDT that named it expired meanwhile */
  s->stats.files_delivered++;
  g_message ("download TSI %" G_GUINT64_FORMAT ": '%s' verified with MTK ID %u, %zu octets", s->tsi,
             f->content_location, dcf->mtk_id, g_bytes_get_size (plain));
  s->deliver (&(DownloadFile) { .toi = toi, .content_location = f->content_location,
                                .content_type = dcf->content_type, .data = plain, .verified = TRUE,
                                .mtk_id = dcf->mtk_id }, s->user_data);
  return TRUE;
}

static void
hold (DownloadSession *s, GBytes *content, guint64 toi, guint32 instance_id)
{
  Held *h = g_new0 (Held, 1);

  if (s->held.length >= s->limits.max_held)
    {
      drop_oldest_held (s);
    }
  h->content = g_bytes_ref (content);
  h->toi = toi;
  h->fdt_instance_id = instance_id;
  h->since_us = now_us (s);
  g_queue_push_tail (&s->held, h);
  s->stats.files_held++;
  g_debug ("download TSI %" G_GUINT64_FORMAT ": TOI %" G_GUINT64_FORMAT " held for its MTK", s->tsi, toi);
}

static void
retry_held (DownloadSession *s)
{
  /* opening an FDT may let more files through: go round until nothing moves */
  gboolean moved = TRUE;

  while (moved)
    {
      moved = FALSE;
      for (GList *l = s->held.head; l != NULL;)
        {
          GList *next = l->next;
          Held *h = l->data;

          g_queue_unlink (&s->held, l);
          if (try_open (s, h->content, h->toi, h->fdt_instance_id))
            {
              held_free (h);
              g_list_free_1 (l);
              moved = TRUE;
              break; /* the queue may have changed under us */
            }
          g_queue_insert_before_link (&s->held, next, l);
          l = next;
        }
    }
}

void
download_session_keys_changed (DownloadSession *s)
{
  retry_held (s);
}

void
download_session_set_mikey_func (DownloadSession *s, DownloadMikeyFunc func, gpointer user_data)
{
  s->mikey_func = func;
  s->mikey_data = user_data;
}

/* UICC key management: the card judges the message; its TOI stays done (a carousel repeat
 * would be a replay to the card) unless the card had no key for it yet. */
static gboolean
send_mikey (DownloadSession *s, guint64 toi, GBytes *message)
{
  switch (s->mikey_func (message, s->mikey_data))
    {
    case DOWNLOAD_MIKEY_TAKEN:
      if (s->mikey_sent->len < s->limits.max_held)
        g_array_append_val (s->mikey_sent, toi);
      g_debug ("download TSI %" G_GUINT64_FORMAT ": MIKEY object TOI %" G_GUINT64_FORMAT " sent to the card", s->tsi,
               toi);
      return TRUE;
    case DOWNLOAD_MIKEY_AGAIN:
      g_hash_table_remove (s->done, &toi);
      s->stats.mikey_refused++;
      return FALSE;
    case DOWNLOAD_MIKEY_REFUSED:
    default:
      s->stats.mikey_refused++;
      return FALSE;
    }
}

gboolean
download_session_add_mtk (DownloadSession *s, const MgvMtk *mtk)
{
  if (mtk->encr_key == NULL || mtk->auth_key == NULL)
    return FALSE;
  for (guint i = 0; i < s->mtks->len; i++)
    {
      const MgvMtk *o = g_ptr_array_index (s->mtks, i);
      gboolean same_group = memcmp (o->domain, mtk->domain, 3) == 0
                            && MGV_MSK_KEY_GROUP (o->msk_id) == MGV_MSK_KEY_GROUP (mtk->msk_id);
      if (same_group && o->msk_id == mtk->msk_id && o->mtk_id == mtk->mtk_id)
        return TRUE; /* the same key once more */
      if (mtk->copy && !same_group)
        return FALSE; /* another group's message resent: never pushes the session's own MTKs out (as mgv-mtk.c) */
    }
  g_ptr_array_insert (s->mtks, 0, mgv_mtk_copy (mtk));
  if (s->mtks->len > MTKS_KEPT)
    g_ptr_array_set_size (s->mtks, MTKS_KEPT);
  g_array_set_size (s->mikey_sent, 0);
  s->stats.mtks++;
  g_message ("download TSI %" G_GUINT64_FORMAT ": MTK ID %u of MSK ID 0x%08x from the card", s->tsi, mtk->mtk_id,
             mtk->msk_id);
  retry_held (s);
  return TRUE;
}

void
download_session_mikey_refused (DownloadSession *s, gboolean again)
{
  s->stats.mikey_refused++;
  for (guint i = 0; again && i < s->mikey_sent->len; i++)
    g_hash_table_remove (s->done, &g_array_index (s->mikey_sent, guint64, i));
  g_array_set_size (s->mikey_sent, 0);
}

/* A MIKEY MTK message (TS 33.246 6.3.3.2.1): MGV-F decides, with its replay and validity rules. */
static gboolean
take_mikey (DownloadSession *s, guint64 toi, GBytes *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvMtk) mtk = NULL;

  if (s->mikey_func != NULL)
    return send_mikey (s, toi, message);
  if (s->store == NULL)
    return FALSE; /* a receiver without MGV-S (unprotected, tests) takes no keys */
  mtk = mgv_process_mtk (s->store, s->mgv_session, message, &error);

  if (mtk == NULL)
    {
      /* before the MSK was pushed (a UE registering after it joined): the carousel's next
       * copy of the object is tried again; replays and stale MTK IDs stay refused */
      if (g_error_matches (error, MGV_ERROR, MGV_ERROR_UNKNOWN_KEY))
        g_hash_table_remove (s->done, &toi);
      s->stats.mikey_refused++;
      g_debug ("download TSI %" G_GUINT64_FORMAT ": MIKEY object TOI %" G_GUINT64_FORMAT " not taken: %s",
               s->tsi, toi, error->message);
      return FALSE;
    }
  s->stats.mtks++;
  g_message ("download TSI %" G_GUINT64_FORMAT ": MTK ID %u of MSK ID 0x%08x", s->tsi, mtk->mtk_id, mtk->msk_id);
  retry_held (s);
  return TRUE;
}

static void
handle_file (DownloadSession *s, guint64 toi, const DownloadFdtFile *f, GBytes *raw, gboolean has_cenc, guint8 cenc)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) content = NULL;

  if (!has_cenc && f->content_encoding != NULL)
    {
      if (!g_str_equal (f->content_encoding, "gzip"))
        {
          g_set_error (&error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_UNSUPPORTED, "Content-Encoding '%.20s'", f->content_encoding);
          refuse (s, toi, error);
          return;
        }
      cenc = DOWNLOAD_CENC_GZIP;
    }
  content = download_decode (raw, has_cenc || f->content_encoding != NULL ? cenc : DOWNLOAD_CENC_NULL,
                             s->limits.max_object_size, &error);
  if (content == NULL || !download_check_fdt_file (f, content, &error))
    {
      refuse (s, toi, error);
      return;
    }
  if (f->content_type != NULL && g_ascii_strcasecmp (f->content_type, MIKEY_CONTENT_TYPE) == 0)
    {
      take_mikey (s, toi, content);
      return;
    }
  if (s->limits.protected)
    {
      if (!try_open (s, content, toi, 0))
        hold (s, content, toi, 0);
      return;
    }
  s->stats.files_delivered++;
  s->deliver (&(DownloadFile) { .toi = toi, .content_location = f->content_location, .content_type = f->content_type,
                                .data = content, .verified = FALSE }, s->user_data);
}

static void
adopt_orphans (DownloadSession *s)
{
  for (GList *l = s->orphans.head; l != NULL;)
    {
      GList *next = l->next;
      Orphan *o = l->data;
      const DownloadFdtFile *f = lookup_file (s, o->toi);

      if (f != NULL)
        {
          g_queue_delete_link (&s->orphans, l);
          handle_file (s, o->toi, f, o->raw, o->has_cenc, o->cenc);
          orphan_free (o);
        }
      l = next;
    }
}

static void
accept_fdt (DownloadSession *s, guint32 instance_id, GBytes *xml)
{
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *text = g_bytes_get_data (xml, &len);
  DownloadFdt *fdt = download_fdt_parse (text, len, &error);
  guint64 now_ntp = (guint64) (now_us (s) / G_USEC_PER_SEC) + NTP_UNIX_OFFSET;
  GHashTableIter it;
  gpointer value;
  g_autoptr(GArray) completed = g_array_new (FALSE, FALSE, sizeof (guint64));

  if (fdt == NULL)
    {
      refuse (s, DOWNLOAD_FDT_TOI, error);
      return;
    }
  if ((guint64) fdt->expires < (now_ntp & G_MAXUINT32))
    {
      s->stats.fdt_expired++;
      g_debug ("download TSI %" G_GUINT64_FORMAT ": FDT Instance %u expired", s->tsi, instance_id);
      download_fdt_free (fdt);
      return;
    }
  if (s->fdts->len >= MAX_FDTS)
    g_ptr_array_remove_index (s->fdts, 0);
  g_ptr_array_add (s->fdts, fdt);
  s->stats.fdt_instances++;
  g_debug ("download TSI %" G_GUINT64_FORMAT ": FDT Instance %u with %u files", s->tsi, instance_id, fdt->files->len);
  /* objects that waited for their OTI get it; those whose packets were all there complete */
  g_hash_table_iter_init (&it, s->objects);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      DownloadObject *obj = value;
      const DownloadFdtFile *f = obj->toi != DOWNLOAD_FDT_TOI ? download_fdt_lookup (fdt, obj->toi) : NULL;

      if (f != NULL && f->has_oti && f->has_transfer_length && !obj->has_oti
          && f->transfer_length <= s->limits.max_object_size)
        {
          download_object_set_oti (obj, &f->oti, NULL);
          if (obj->complete)
            g_array_append_val (completed, obj->toi);
        }
    }
  adopt_orphans (s);
  for (guint i = 0; i < completed->len; i++)
    finish_object (s, g_array_index (completed, guint64, i));
}

/* ---------------------------------------------------------------- completed objects */

static void
handle_object (DownloadSession *s, DownloadObject *obj, GBytes *raw)
{
  const DownloadFdtFile *f;
  g_autoptr(GError) error = NULL;

  s->stats.objects_completed++;
  if (obj->toi == DOWNLOAD_FDT_TOI)
    {
      g_autoptr(GBytes) content = download_decode (raw, obj->has_cenc ? obj->cenc : DOWNLOAD_CENC_NULL,
                                                   s->limits.max_object_size, &error);

      mark_done (s, FDT_KEY (obj->fdt_instance_id));
      if (content == NULL)
        refuse (s, DOWNLOAD_FDT_TOI, error);
      else if (!s->limits.protected)
        accept_fdt (s, obj->fdt_instance_id, content);
      else if (!try_open (s, content, DOWNLOAD_FDT_TOI, obj->fdt_instance_id))
        hold (s, content, DOWNLOAD_FDT_TOI, obj->fdt_instance_id);
      return;
    }
  mark_done (s, obj->toi);
  f = lookup_file (s, obj->toi);
  if (f != NULL)
    {
      handle_file (s, obj->toi, f, raw, obj->has_cenc, obj->cenc);
      return;
    }
  /* No trusted FDT names it. The MTK message may be the very object the protected FDT needs:
   * MGV-F authenticates it with the MSK, so it is safe to offer before the FDT (6.3.3.2.1). */
  if (!obj->has_cenc && take_mikey (s, obj->toi, raw))
    return;
  if (!g_hash_table_contains (s->done, &obj->toi))
    return; /* a MIKEY object before its MSK: its next copy is taken, this one is not kept */
  {
    Orphan *o = g_new0 (Orphan, 1);

    o->raw = g_bytes_ref (raw);
    o->toi = obj->toi;
    o->has_cenc = obj->has_cenc;
    o->cenc = obj->cenc;
    o->since_us = now_us (s);
    g_queue_push_tail (&s->orphans, o);
    while (s->orphans.length > s->limits.max_unknown_objects)
      {
        drop_oldest_orphan (s);
      }
  }
}

/* A complete object leaves the table and is handled. */
static void
finish_object (DownloadSession *s, guint64 key)
{
  g_autoptr(GBytes) raw = NULL;
  gpointer stolen_key, value;
  DownloadObject *obj;

  if (!g_hash_table_steal_extended (s->objects, &key, &stolen_key, &value))
    return;
  g_free (stolen_key);
  obj = value;
  raw = download_object_take (obj);
  handle_object (s, obj, raw);
  download_object_free (obj);
}

/* ---------------------------------------------------------------- packets */

static gboolean
is_unknown (DownloadSession *s, const DownloadObject *obj)
{
  return obj->toi != DOWNLOAD_FDT_TOI && lookup_file (s, obj->toi) == NULL;
}

/* Makes room by abandoning the oldest object no trusted FDT describes. */
static gboolean
evict_unknown (DownloadSession *s)
{
  GHashTableIter it;
  gpointer key, value;
  gpointer oldest_key = NULL;
  gint64 oldest = G_MAXINT64;

  g_hash_table_iter_init (&it, s->objects);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      DownloadObject *obj = value;

      if (is_unknown (s, obj) && obj->first_us < oldest)
        {
          oldest = obj->first_us;
          oldest_key = key;
        }
    }
  if (oldest_key == NULL)
    return FALSE;
  g_hash_table_remove (s->objects, oldest_key);
  s->stats.objects_abandoned++;
  return TRUE;
}

static guint
count_unknown (DownloadSession *s)
{
  GHashTableIter it;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&it, s->objects);
  while (g_hash_table_iter_next (&it, NULL, &value))
    n += is_unknown (s, value);
  return n;
}

static gboolean
make_room (DownloadSession *s, gsize footprint, GError **error)
{
  if (footprint > s->limits.max_session_bytes)
    return download_fail (error, DOWNLOAD_ERROR_LIMIT, "FLUTE: object of %zu octets exceeds the session's bound", footprint);
  /* what nobody described goes first, then complete objects without an FDT, then the oldest
   * DCF waiting for an MTK (unauthenticated until its MTK comes, so it cannot pin memory) */
  while (buffered (s) + footprint > s->limits.max_session_bytes)
    {
      if (evict_unknown (s))
        continue;
      if (s->orphans.head != NULL)
        {
          drop_oldest_orphan (s);
          continue;
        }
      if (s->held.head != NULL)
        {
          drop_oldest_held (s);
          continue;
        }
      return download_fail (error, DOWNLOAD_ERROR_LIMIT, "FLUTE: the session holds %zu octets already", buffered (s));
    }
  return TRUE;
}

static DownloadObject *
find_or_make (DownloadSession *s, const DownloadAlcPacket *pkt, guint64 key, const DownloadFdtFile *f, GError **error)
{
  DownloadObject *obj = g_hash_table_lookup (s->objects, &key);
  gboolean unknown = pkt->toi != DOWNLOAD_FDT_TOI && f == NULL;

  if (obj != NULL)
    return obj;
  if (unknown && count_unknown (s) >= s->limits.max_unknown_objects && !evict_unknown (s))
    return download_fail (error, DOWNLOAD_ERROR_LIMIT, "FLUTE: too many objects without an FDT"), NULL;
  while (g_hash_table_size (s->objects) >= s->limits.max_objects)
    if (!evict_unknown (s))
      return download_fail (error, DOWNLOAD_ERROR_LIMIT, "FLUTE: %u objects under reassembly already",
                            s->limits.max_objects), NULL;
  obj = download_object_new (pkt->toi, pkt->fdt_instance_id, now_us (s));
  g_hash_table_insert (s->objects, key_new (key), obj);
  return obj;
}

static gboolean
receive (DownloadSession *s, const guint8 *data, gsize len, GError **error)
{
  DownloadAlcPacket pkt;
  const DownloadFdtFile *f = NULL;
  const DownloadFecOti *oti = NULL;
  DownloadObject *obj;
  guint64 key;

  if (!download_alc_parse (data, len, &pkt, error))
    return FALSE;
  if (pkt.tsi != s->tsi)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FLUTE: TSI %" G_GUINT64_FORMAT ", not %" G_GUINT64_FORMAT,
                          pkt.tsi, s->tsi);
  if (pkt.toi == DOWNLOAD_FDT_TOI && !pkt.has_fdt)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FLUTE: TOI 0 without EXT_FDT");
  if (pkt.toi != DOWNLOAD_FDT_TOI && pkt.has_fdt)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FLUTE: EXT_FDT on TOI %" G_GUINT64_FORMAT, pkt.toi);
  if (pkt.payload_len == 0)
    return TRUE; /* a packet that only closes the object or the session */
  key = pkt.toi == DOWNLOAD_FDT_TOI ? FDT_KEY (pkt.fdt_instance_id) : pkt.toi;
  if (g_hash_table_contains (s->done, &key))
    return TRUE; /* a repeat of what was delivered already */
  if (pkt.toi != DOWNLOAD_FDT_TOI)
    f = lookup_file (s, pkt.toi);
  if (pkt.has_fti)
    oti = &pkt.fti;
  else if (f != NULL && f->has_oti && f->has_transfer_length)
    oti = &f->oti;
  if (oti != NULL && oti->transfer_length > s->limits.max_object_size)
    return download_fail (error, DOWNLOAD_ERROR_LIMIT, "FLUTE: TOI %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                          " octets, more than %zu", pkt.toi, oti->transfer_length, s->limits.max_object_size);
  obj = find_or_make (s, &pkt, key, f, error);
  if (obj == NULL)
    return FALSE;
  if (oti != NULL && !obj->has_oti)
    {
      if (!make_room (s, download_object_footprint_for (oti), error))
        {
          g_hash_table_remove (s->objects, &key);
          return FALSE;
        }
      /* make_room may have evicted obj itself only if it was unknown and oldest: look again */
      obj = g_hash_table_lookup (s->objects, &key);
      if (obj == NULL)
        return download_fail (error, DOWNLOAD_ERROR_LIMIT, "FLUTE: no room for TOI %" G_GUINT64_FORMAT, pkt.toi);
    }
  if (oti != NULL && !download_object_set_oti (obj, oti, error))
    return FALSE;
  if (pkt.has_cenc)
    {
      obj->has_cenc = TRUE;
      obj->cenc = pkt.cenc;
    }
  if (!obj->has_oti && !make_room (s, pkt.payload_len + 4, error))
    return FALSE;
  if (!download_object_add (obj, pkt.sbn, pkt.esi, pkt.payload, pkt.payload_len,
                            MIN ((gsize) MAX_EARLY_PER_OBJECT, s->limits.max_session_bytes), error))
    return FALSE;
  if (obj->complete)
    finish_object (s, key);
  return TRUE;
}

gboolean
download_session_receive (DownloadSession *s, const guint8 *data, gsize len, GError **error)
{
  gboolean ok;

  s->stats.packets++;
  ok = receive (s, data, len, error);
  if (!ok)
    s->stats.dropped++;
  if (now_us (s) - s->last_sweep_us >= SWEEP_INTERVAL_US)
    download_session_sweep (s);
  return ok;
}

void
download_session_sweep (DownloadSession *s)
{
  gint64 now = now_us (s);
  guint64 now_ntp = ((guint64) (now / G_USEC_PER_SEC) + NTP_UNIX_OFFSET) & G_MAXUINT32;
  gint64 object_limit = now - (gint64) s->limits.object_timeout_s * G_USEC_PER_SEC;
  gint64 hold_limit = now - (gint64) s->limits.hold_timeout_s * G_USEC_PER_SEC;
  GHashTableIter it;
  gpointer value;

  s->last_sweep_us = now;
  g_hash_table_iter_init (&it, s->objects);
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (((DownloadObject *) value)->first_us <= object_limit)
      {
        g_debug ("download TSI %" G_GUINT64_FORMAT ": TOI %" G_GUINT64_FORMAT " abandoned incomplete", s->tsi,
                 ((DownloadObject *) value)->toi);
        g_hash_table_iter_remove (&it);
        s->stats.objects_abandoned++;
      }
  while (s->orphans.head != NULL && ((Orphan *) s->orphans.head->data)->since_us <= object_limit)
    {
      drop_oldest_orphan (s);
    }
  while (s->held.head != NULL && ((Held *) s->held.head->data)->since_us <= hold_limit)
    {
      drop_oldest_held (s);
    }
  for (guint i = s->fdts->len; i > 0; i--)
    if (((DownloadFdt *) g_ptr_array_index (s->fdts, i - 1))->expires < now_ntp)
      g_ptr_array_remove_index (s->fdts, i - 1);
}

void
download_session_get_stats (DownloadSession *s, DownloadStats *stats)
{
  *stats = s->stats;
  stats->buffered_bytes = buffered (s);
  stats->objects = g_hash_table_size (s->objects);
  stats->held = s->held.length;
}
