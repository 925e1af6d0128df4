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

G_END_DECLS
