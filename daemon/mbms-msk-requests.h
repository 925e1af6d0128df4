/* How often mbmsd may ask a BM-SC for the MSKs of a key group on its own initiative
 * (TS 33.246 6.3.2.2.3: traffic names an MSK the UE lacks). Counted from the requests mbmsd
 * sent, per key group and over every service, never from what arrived: MTK messages and SRTP
 * packets are unauthenticated until their MSK is known, so anyone on the broadcast can name
 * MSKs at will, and a forger must not be able to drive the BM-SC through the UE. */
#pragma once

#include <glib.h>

#include "mbms-clock.h"

G_BEGIN_DECLS

typedef struct _MbmsMskRequests MbmsMskRequests;

MbmsMskRequests *mbms_msk_requests_new (MbmsClock *clock, guint interval_s);
/* Requests on their way hold a reference, so their end can be told after the owner let go. */
MbmsMskRequests *mbms_msk_requests_ref (MbmsMskRequests *self);
void             mbms_msk_requests_unref (MbmsMskRequests *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsMskRequests, mbms_msk_requests_unref)

/* TRUE when traffic naming an unknown MSK of the group may trigger a request now: none of the
 * group's requests is waiting (back-off) or in flight, and the last one was scheduled at least
 * the interval ago. */
gboolean         mbms_msk_requests_may_trigger (MbmsMskRequests *self, const guint8 domain[3], guint16 key_group);
/* A request for the group was scheduled (whatever asked for it: traffic, an authenticated pull
 * from the BM-SC, RequestKeys over D-Bus): the interval starts now. */
void             mbms_msk_requests_sent (MbmsMskRequests *self, const guint8 domain[3], guint16 key_group);
/* ... and it finished (answered, failed or cancelled). */
void             mbms_msk_requests_done (MbmsMskRequests *self, const guint8 domain[3], guint16 key_group);

G_END_DECLS
