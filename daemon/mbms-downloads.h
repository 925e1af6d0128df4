/* The download facet of a user service: its FLUTE sessions (MbmsDownload), the files they
 * delivered, and the Service object's DownloadState, Downloads, DownloadCounters,
 * FileReceived and OpenFile. */
#pragma once

#include "mbms-context.h"
#include "mbms-dbus-generated.h"
#include "mbms-usd.h"

G_BEGIN_DECLS

typedef struct _MbmsDownloads MbmsDownloads;

/* Borrows desc and iface for its lifetime; joins every FLUTE/UDP session of desc with a TSI. */
MbmsDownloads *mbms_downloads_new (const MbmsContext *ctx, const MbmsUserService *desc, MbmsDBusService *iface);
void           mbms_downloads_free (MbmsDownloads *self);
/* UICC key management: the card's answer to a FLUTE session's MIKEY object (destination: the
 * session's name); FALSE when no session of this service has that name. */
gboolean       mbms_downloads_mtk_received (MbmsDownloads *self, const char *destination, const MgvMtk *mtk);
gboolean       mbms_downloads_mtk_refused (MbmsDownloads *self, const char *destination, gboolean again);

G_END_DECLS
