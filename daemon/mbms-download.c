/* One FLUTE session of a download service: DownloadSession + DownloadReceiver of download/,
 * keyed by MGV-S under the session's own name (its MTKs come in its MIKEY object, TS 33.246
 * 6.3.3.2.1), or by the card with UICC key management (Annex D: the object goes to the card,
 * its MTK comes back here), files written atomically under the download directory (mode 0640, [download]
 * group), swept every few seconds for timed-out objects. */
#include "mbms-download.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <grp.h>

#define SWEEP_EVERY_MS 5000
#define MIB            (1024 * 1024)

struct _MbmsDownload {
  const MbmsContext       *ctx;
  char                    *dir;
  gint                     gid;
  DownloadSession         *session;
  DownloadReceiver        *receiver;
  guint                    sweep_id;
  MbmsDownloadFileFunc     func;
  MbmsDownloadCountersFunc counters;
  gpointer                 data;
  char                    *name;        /* the MIKEY destination of its MTKs (and MGV-S session) */
  DownloadStats            told;        /* the counters as last told */
  guint64                  not_written; /* delivered by the session, refused here (path, disk) */
};

char *
mbms_download_directory (const MbmsConfig *config)
{
  if (config->download_dir != NULL)
    return g_strdup (config->download_dir);
  return g_build_filename (config->runtime_dir, "downloads", NULL);
}

static void
on_file (const DownloadFile *file, gpointer data)
{
  MbmsDownload *self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *rel = download_local_path (file->content_location, &error);
  g_autofree char *path = NULL;

  if (rel == NULL || g_mkdir_with_parents (self->dir, 0750) < 0
      || (path = download_write_file (self->dir, rel, file->data, self->gid, &error)) == NULL)
    {
      g_warning ("download: '%s' not written: %s", file->content_location, error ? error->message : g_strerror (errno));
      self->not_written++;
      return;
    }
  g_message ("download: '%s' (%zu octets, %s) in %s", file->content_location, g_bytes_get_size (file->data),
             file->verified ? "verified" : "unprotected", path);
  self->func (file->content_location, path, g_bytes_get_size (file->data), file->verified, self->data);
}

/* UICC key management (TS 33.246 Annex D): the MIKEY object goes to the card in MTK
 * generation mode through the queue UDP MTK messages take, this session its destination. */
static DownloadMikeyResult
to_card (GBytes *message, gpointer data)
{
  MbmsDownload *self = data;
  g_autoptr(MikeyMessage) msg = mikey_message_parse (message, NULL);

  if (msg == NULL || !msg->has_key_ids || !msg->key_ids.has_mtk_id)
    return DOWNLOAD_MIKEY_REFUSED;
  switch (mbms_uicc_keys_submit (self->ctx->uicc_keys, message, msg, NULL, self->name))
    {
    case MBMS_MIKEY_PENDING:
      return DOWNLOAD_MIKEY_TAKEN;
    case MBMS_MIKEY_BUSY:
      return DOWNLOAD_MIKEY_AGAIN;
    default:
      return DOWNLOAD_MIKEY_REFUSED;
    }
}

gboolean
mbms_download_mtk_received (MbmsDownload *self, const char *destination, const MgvMtk *mtk)
{
  return g_strcmp0 (destination, self->name) == 0 && download_session_add_mtk (self->session, mtk);
}

gboolean
mbms_download_mtk_refused (MbmsDownload *self, const char *destination, gboolean again)
{
  if (g_strcmp0 (destination, self->name) != 0)
    return FALSE;
  download_session_mikey_refused (self->session, again);
  return TRUE;
}

static gboolean
on_sweep (gpointer data)
{
  MbmsDownload *self = data;
  DownloadStats st;

  download_session_sweep (self->session);
  mbms_download_get_stats (self, &st);
  /* a refusal after the last delivered file (a forged or stale one) reaches D-Bus too */
  if (st.files_refused != self->told.files_refused || st.held != self->told.held || st.dropped != self->told.dropped
      || st.files_delivered != self->told.files_delivered)
    {
      self->told = st;
      self->counters (self->data);
    }
  return G_SOURCE_CONTINUE;
}

MbmsDownload *
mbms_download_new (const MbmsContext *ctx, const char *service_dir, const MbmsRtpSession *desc, gboolean protected,
                   MbmsDownloadFileFunc func, MbmsDownloadCountersFunc counters, gpointer data, GError **error)
{
  MbmsDownload *self = g_new0 (MbmsDownload, 1);
  g_autofree char *top = mbms_download_directory (ctx->config);
  char *name = g_strdup_printf ("flute:%s:%u:%" G_GUINT64_FORMAT, desc->address, desc->port, desc->tsi);
  DownloadLimits limits;

  self->ctx = ctx;
  self->name = name;
  self->func = func;
  self->counters = counters;
  self->data = data;
  self->dir = g_build_filename (top, service_dir, NULL);
  self->gid = -1;
  if (ctx->config->download_group != NULL)
    {
      struct group *g = getgrnam (ctx->config->download_group);

      if (g != NULL)
        self->gid = (gint) g->gr_gid;
      else
        g_warning ("download: no group %s; files keep mbmsd's group", ctx->config->download_group);
    }
  download_limits_init (&limits);
  limits.protected = protected;
  limits.max_object_size = (gsize) ctx->config->download_max_object_mib * MIB;
  limits.max_session_bytes = (gsize) ctx->config->download_max_session_mib * MIB;
  limits.max_held = ctx->config->download_max_held;
  self->session = download_session_new (desc->tsi, &limits, ctx->clock, ctx->store, name, on_file, self);
  if (ctx->uicc_keys != NULL)
    download_session_set_mikey_func (self->session, to_card, self);
  self->receiver = download_receiver_new (self->session, desc->address, desc->port, ctx->config->multicast_interface,
                                          error);
  if (self->receiver == NULL)
    {
      g_prefix_error (error, "FLUTE %s:%u TSI %" G_GUINT64_FORMAT ": ", desc->address, desc->port, desc->tsi);
      mbms_download_free (self);
      return NULL;
    }
  self->sweep_id = mbms_clock_add_timeout (ctx->clock, SWEEP_EVERY_MS, on_sweep, self);
  g_message ("download: receiving FLUTE %s:%u TSI %" G_GUINT64_FORMAT "%s into %s", desc->address, desc->port,
             desc->tsi, protected ? " (protected)" : "", self->dir);
  return self;
}

void
mbms_download_free (MbmsDownload *self)
{
  if (self == NULL)
    return;
  if (self->sweep_id != 0)
    mbms_clock_cancel (self->ctx->clock, self->sweep_id);
  download_receiver_free (self->receiver);
  download_session_free (self->session);
  g_free (self->dir);
  g_free (self->name);
  g_free (self);
}

void
mbms_download_get_stats (MbmsDownload *self, DownloadStats *stats)
{
  download_session_get_stats (self->session, stats);
  /* what the session delivered but could not be written counts as refused, not delivered */
  stats->files_delivered -= self->not_written;
  stats->files_refused += self->not_written;
}
