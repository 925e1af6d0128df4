/* One MBMS user service: its D-Bus objects (Service and its protected Sessions), its state
 * (discovered -> bootstrapping -> registering -> registered -> keys-ready -> receiving, or
 * failed with a reason; unavailable when it needs what mbmsd cannot do yet) and the key
 * management procedures run on its behalf. Its owner hears what it cannot do alone by its
 * signal "msk-missing" (domain as const guint8[3], MSK ID): SRTP traffic of a session names
 * an MSK that MGV-S lacks (6.3.2.2.3); and by "keys-stale" (domain, key group): packets of a
 * session arrive and none decrypts, so the group's MSK is wanted again; and by
 * "deregistered" (gboolean keep_intent): a deregistration ended (keep_intent FALSE: the
 * user's, whose keys may go). */
#pragma once

#include "mbms-context.h"
#include "mbms-dbus-generated.h"
#include "mbms-usd.h"

G_BEGIN_DECLS

typedef enum {
  MBMS_STATE_DISCOVERED,
  MBMS_STATE_BOOTSTRAPPING,
  MBMS_STATE_REGISTERING,
  MBMS_STATE_REGISTERED,
  MBMS_STATE_KEYS_READY,
  MBMS_STATE_RECEIVING,
  MBMS_STATE_DEREGISTERING,
  MBMS_STATE_FAILED,
  MBMS_STATE_UNAVAILABLE, /* needs what this UE cannot do, e.g. UICC-based key management */
  MBMS_STATE_KEYS_STALE,  /* registered, but its keys stopped working (MTKs refused, nothing decrypts) */
} MbmsState;

const char *mbms_state_to_string (MbmsState state);

#define MBMS_TYPE_SERVICE (mbms_service_get_type ())
G_DECLARE_FINAL_TYPE (MbmsService, mbms_service, MBMS, SERVICE, GObject)

/* Takes desc; context is borrowed. path: /org/mbmsd/Mbmsd1/Service/N; sessions get paths
 * from next_session. */
MbmsService     *mbms_service_new (const MbmsContext *context, MbmsUserService *desc, const char *path,
                                   guint *next_session);
const char      *mbms_service_get_id (MbmsService *self);
const char      *mbms_service_get_path (MbmsService *self);
MbmsUserService *mbms_service_get_description (MbmsService *self);
MbmsState        mbms_service_get_state (MbmsService *self);
gboolean         mbms_service_is_registered (MbmsService *self);
/* The service's security description requires UICC-based key management (TS 26.346 11.3.1),
 * which this card lacks (mbms-km-mode.h): it is unavailable and never registered. */
gboolean         mbms_service_needs_uicc_key_management (MbmsService *self);
const char      *mbms_service_get_bmsc (MbmsService *self);
/* The groups where the MTK messages of its sessions arrive, one per session (transfer container). */
GPtrArray       *mbms_service_get_destinations (MbmsService *self);

void     mbms_service_register (MbmsService *self, GDBusMethodInvocation *invocation);
void     mbms_service_deregister (MbmsService *self, GDBusMethodInvocation *invocation, gboolean keep_intent);
/* key_group < 0: every group of the service. backoff: wait as the USD says (not for a pull). */
void     mbms_service_request_keys (MbmsService *self, const guint8 *domain, gint key_group, gboolean backoff);
/* Registers a registered service again, its state unchanged unless it fails (address change). */
void     mbms_service_reregister (MbmsService *self);
/* Marks a registration restored at start (the BM-SC answered 200). */
void     mbms_service_restored (MbmsService *self, const char *bmsc_uri);

gboolean mbms_service_uses_key_group (MbmsService *self, const guint8 domain[3], guint16 key_group);
void     mbms_service_msk_updated (MbmsService *self, const guint8 domain[3], guint32 msk_id, guint32 seq_low,
                                   guint32 seq_high);
/* An MTK for the sessions of this service at destination protected by the MTK's key group. */
void     mbms_service_mtk_received (MbmsService *self, const char *destination, const MgvMtk *mtk);
/* UICC key management: the card lacked the MSK of a FLUTE session's MIKEY object (6A 88): the
 * carousel's next copy goes to the card again, once the MSK has been fetched. */
void     mbms_service_download_key_missing (MbmsService *self, const char *destination);
/* An MTK message for destination under the key group was refused by MGV-F (replay: TS 33.246
 * 6.4.3 / 6.5.4; else verification failed). Returns how many were refused in a row for this
 * registered service (0: not its, or not registered); from [mikey] stale-after on it is
 * keys-stale with reason. */
guint    mbms_service_mtk_refused (MbmsService *self, const char *destination, const guint8 domain[3],
                                   guint16 key_group, gboolean replay);
/* Keys that stay stale: registers again, after a new GBA run when new_bootstrap (a new MUK
 * resets the MSK message counter, 6.4.3), at most once per [mikey] reregister-interval.
 * Returns whether it did. */
gboolean mbms_service_recover (MbmsService *self, gboolean new_bootstrap);
/* The sessions' counters and drops into their D-Bus properties (the owner calls it each second). */
void     mbms_service_update_counters (MbmsService *self);
/* Forgets the MTKs of every session (a different card). */
void     mbms_service_clear_keys (MbmsService *self);
/* The card left (TRUE) or came back: while it is out the service shows "unavailable" with
 * the reason "card-absent" and refuses Register; its own state goes on underneath. */
void     mbms_service_set_card_absent (MbmsService *self, gboolean absent);

/* A newer description of the same service ID (TS 26.346 11.1.2: a newer version expires the
 * earlier one); takes desc. Names, BM-SCs, key groups and sessions follow it: unchanged
 * sessions keep their object, keys and forwarder, new ones are exported (and joined while
 * streaming), gone ones removed; streaming holders hear StreamStateChanged
 * "description-changed". A BM-SC no longer announced is left (deregistered) and a registered
 * service registers with one that is. */
void     mbms_service_update (MbmsService *self, MbmsUserService *desc, guint *next_session);
/* The description is gone: streaming stops ("service-removed"), a registered service is
 * deregistered (its intent dropped), and the objects leave the bus. */
void     mbms_service_withdraw (MbmsService *self);

G_END_DECLS
