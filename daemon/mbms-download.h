/* One FLUTE session of a download service (TS 26.346 7, TS 33.246 6.6.3): the download
 * component's receiver on the session's group, its files written under the download
 * directory, each delivered file told to the service through the callback given here. */
#pragma once

#include "mbms-context.h"
#include "mbms-usd.h"
#include "download.h"

G_BEGIN_DECLS

typedef struct _MbmsDownload MbmsDownload;

typedef void (*MbmsDownloadFileFunc) (const char *content_location, const char *path, guint64 size,
                                      gboolean verified, gpointer data);

/* The session's counters moved without a file delivered (refusals, held, drops), told at the
 * next sweep. */
typedef void (*MbmsDownloadCountersFunc) (gpointer data);

/* Joins desc's group (a FLUTE/UDP media with a TSI) and receives; files go to
 * download-directory/service_dir. */
MbmsDownload *mbms_download_new (const MbmsContext *ctx, const char *service_dir, const MbmsRtpSession *desc,
                                 gboolean protected, MbmsDownloadFileFunc func, MbmsDownloadCountersFunc counters,
                                 gpointer data, GError **error);
void          mbms_download_free (MbmsDownload *self);
/* UICC key management: the card's MTK for destination (a FLUTE session's name), or its
 * refusal (again: the card lacked the MSK, 6A 88). FALSE when destination is not this one. */
gboolean      mbms_download_mtk_received (MbmsDownload *self, const char *destination, const MgvMtk *mtk);
gboolean      mbms_download_mtk_refused (MbmsDownload *self, const char *destination, gboolean again);
void          mbms_download_get_stats (MbmsDownload *self, DownloadStats *stats);
/* The download directory of mbmsd.conf: [download] directory or runtime-directory/downloads. */
char         *mbms_download_directory (const MbmsConfig *config);

G_END_DECLS
