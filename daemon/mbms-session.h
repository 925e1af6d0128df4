/* One protected RTP session of a user service, TS 33.246 6.6.2: its D-Bus Session object,
 * the SRTP receiver fed with the MTKs of MTK messages, the forwarder while someone streams,
 * and the key hand-out to authorised players. */
#pragma once

#include "mbms-context.h"
#include "mbms-dbus-generated.h"
#include "mbms-usd.h"
#include "srtp-bridge.h"

G_BEGIN_DECLS

typedef struct _MbmsSession MbmsSession;

/* SRTP traffic names msk_id of the session's key group, which MGV-S lacks (6.3.2.2.3). */
typedef void (*MbmsSessionMskMissing) (const guint8 domain[3], guint32 msk_id, gpointer data);

/* context is borrowed; msk_missing is called with data for the session's lifetime. */
MbmsSession         *mbms_session_new (const MbmsContext *context, const char *service_path,
                                       const MbmsRtpSession *desc, const char *path, guint16 forward_port,
                                       MbmsSessionMskMissing msk_missing, gpointer data);
void                 mbms_session_free (MbmsSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsSession, mbms_session_free)

GDBusObjectSkeleton *mbms_session_get_object (MbmsSession *session);
/* The multicast group, where its MTK messages arrive too. */
const char          *mbms_session_get_address (MbmsSession *session);
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
/* An MTK message for destination and the key group refused by MGV-F (replay: counter or MTK
 * ID not newer, TS 33.246 6.4.3, 6.5.4; else failed verification): TRUE when it was this
 * session's, counted in MtkReplays / MtkAuthFailures. */
gboolean             mbms_session_mtk_refused (MbmsSession *session, const char *destination, const guint8 domain[3],
                                               guint16 key_group, gboolean replay);

typedef enum {
  MBMS_SESSION_QUIET,      /* no packet since the last look */
  MBMS_SESSION_DECRYPTING, /* packets decrypted since the last look */
  MBMS_SESSION_FAILING,    /* packets arrive, none decrypts, for less than the timeout so far */
  MBMS_SESSION_STALLED,    /* ... for timeout_us or longer */
} MbmsSessionFlow;

/* Looks at the receiver's counters (while streaming, about once a second). */
MbmsSessionFlow      mbms_session_check_flow (MbmsSession *session, gint64 now_us, gint64 timeout_us);
void                 mbms_session_get_key_group (MbmsSession *session, guint8 domain[3], guint16 *key_group);

/* TRUE when desc describes this session: same destination, ports and key group (an edited
 * description keeps the session's object, keys and forwarder). */
gboolean             mbms_session_matches (MbmsSession *session, const MbmsRtpSession *desc);

G_END_DECLS
