/* One transport object of a FLUTE session under reassembly (RFC 6726, RFC 5052 9.1). */
#pragma once

#include "download-private.h"

typedef struct {
  guint64        toi;
  guint32        fdt_instance_id; /* TOI 0 only */
  gboolean       has_oti;
  DownloadFecOti oti;
  guint8        *data;            /* transfer_length octets, once the OTI is known */
  guint8        *have;            /* one bit per symbol */
  guint64        symbols;
  gsize          received;        /* octets placed */
  GPtrArray     *early;           /* GBytes: SBN||ESI||payload that came before the OTI */
  gsize          early_bytes;
  gboolean       has_cenc;
  guint8         cenc;
  gint64         first_us;        /* clock time of the first packet */
  gboolean       complete;
} DownloadObject;

DownloadObject *download_object_new (guint64 toi, guint32 fdt_instance_id, gint64 now_us);
void            download_object_free (DownloadObject *obj);
/* Octets this object holds in memory (data, bitmap, early packets). */
gsize           download_object_footprint (const DownloadObject *obj);
/* The octets the object will take once its OTI is known. */
gsize           download_object_footprint_for (const DownloadFecOti *oti);
/* Fixes the OTI (first EXT_FTI or the FDT); a different one later is refused. Replays early packets. */
gboolean        download_object_set_oti (DownloadObject *obj, const DownloadFecOti *oti, GError **error);
/* Places one packet's symbols; duplicates are harmless, anything outside the object refused. */
gboolean        download_object_add (DownloadObject *obj, guint16 sbn, guint16 esi, const guint8 *payload,
                                     gsize len, gsize max_early, GError **error);
/* The reassembled object (transfer encoding still applied); the object gives it up. */
GBytes         *download_object_take (DownloadObject *obj);
