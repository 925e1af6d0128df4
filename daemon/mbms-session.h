/* One protected RTP session of a user service, TS 33.246 6.6.2: its D-Bus Session object,
 * the SRTP receiver fed with the MTKs of MTK messages, the forwarder while someone streams,
 * and the key hand-out to authorised players. */
#pragma once

#include "mbms-manager.h"
#include "mbms-usd.h"
#include "srtp-bridge.h"

G_BEGIN_DECLS

typedef struct _MbmsSession MbmsSession;

MbmsSession         *mbms_session_new (MbmsManager *manager, const char *service_path, const MbmsRtpSession *desc,
                                       const char *path, guint16 forward_port);
void                 mbms_session_free (MbmsSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsSession, mbms_session_free)

GDBusObjectSkeleton *mbms_session_get_object (MbmsSession *session);
guint16              mbms_session_get_forward_port (MbmsSession *session);
gboolean             mbms_session_has_key (MbmsSession *session);

/* An MTK accepted by MGV-F for destination: TRUE when it is this session's (then current). */
gboolean             mbms_session_mtk_received (MbmsSession *session, const char *destination, const MgvMtk *mtk);
/* Every key forgotten (a different card). */
void                 mbms_session_clear_keys (MbmsSession *session);

/* Joins the group and forwards decrypted packets to the configured forward address. */
gboolean             mbms_session_start (MbmsSession *session, GError **error);
void                 mbms_session_stop (MbmsSession *session);
/* Copies the receiver's counters into the D-Bus properties. */
void                 mbms_session_update_counters (MbmsSession *session);

G_END_DECLS
