/* mgv: MIKEY reception and ME-based MBMS key management (TS 33.246 6.4, 6.5).
 *
 * MGV-S is a persistent store in the daemon's state directory: the last generated and the
 * last successfully used MUK (6.1), the MSKs with their key validity interval (SEQl, SEQu),
 * MIKEY-RAND and SRTP policy, and the replay counters (6.4.3). MGV-F processes MSK and MTK
 * messages against it exactly as 6.4.6 and 6.5 say; a rejected message leaves it unchanged.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "mikey.h"

G_BEGIN_DECLS

#define MGV_ERROR (mgv_error_quark ())
GQuark mgv_error_quark (void);

typedef enum {
  MGV_ERROR_PROFILE,     /* the message breaks the TS 33.246 profile (payloads, types, sizes) */
  MGV_ERROR_UNKNOWN_KEY, /* no MUK for IDi/IDr, or no MSK for the MSK ID */
  MGV_ERROR_REPLAY,      /* TS counter not newer (RFC 1982), 6.4.3 */
  MGV_ERROR_STALE,       /* MTK ID not newer than the current one or outside (SEQl, SEQu], 6.5.4 */
  MGV_ERROR_AUTH,        /* MAC verification failed */
  MGV_ERROR_STORAGE,     /* the store file is unreadable (not a regular file, no permission, a later
                          * version) or cannot be written */
  MGV_ERROR_CORRUPT,     /* the store file is damaged: truncated, checksum wrong, not a store, too large */
} MgvError;

#define MGV_KEY_DOMAIN_LEN 3 /* MCC || MNC, TS 33.246 6.3.2.1 */

/* MSK ID = Key Group (16 bits) || Key Number (16 bits), TS 33.246 6.3.2.1. */
#define MGV_MSK_KEY_GROUP(msk_id)  ((guint16) ((msk_id) >> 16))
#define MGV_MSK_KEY_NUMBER(msk_id) ((guint16) ((msk_id) & 0xffff))

/* RFC 1982 serial number comparison on 32 bits: TRUE when a is newer than b; FALSE when
 * older, equal or undefined (TS 33.246 6.4.3 treats undefined as a replay). */
gboolean mgv_serial_newer (guint32 a, guint32 b);

/* ------------------------------------------------------------------ MGV-S */

typedef struct _MgvStore MgvStore;

/* Opens (or creates) the store at path, bound to the card identity (ICCID and IMSI); a new,
 * empty store that cannot be written yet is a warning, not an error (nothing is lost). A store
 * written for another card is wiped and *wiped set (6.1: a different UICC deletes every MBMS
 * key). A damaged file is refused with MGV_ERROR_CORRUPT and left untouched (the caller may
 * set it aside); one that cannot be read, or of a later version, with MGV_ERROR_STORAGE. */
MgvStore *mgv_store_open (const char *path, const char *card_identity, gboolean *wiped, GError **error);
/* Renames a damaged store to path.corrupt-<UTC time> and says what it seemed to hold (*lost:
 * counts and key IDs, no key bytes), so that a fresh store can start and fetch keys again. */
gboolean  mgv_store_set_aside (const char *path, char **moved_to, char **lost, GError **error);
void      mgv_store_free (MgvStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MgvStore, mgv_store_free)

/* Writes the store atomically (temporary file, fsync, rename), mode 0600. */
gboolean  mgv_store_save (MgvStore *store, GError **error);
/* The same from a snapshot taken now, written by a worker thread: the caller goes on at once.
 * Writes land in order; a snapshot not yet written when a newer one comes is dropped. A
 * failure is logged and returned by the next mgv_store_flush. mgv_store_save and
 * mgv_store_free wait for what is on its way. */
void      mgv_store_save_in_background (MgvStore *store);
gboolean  mgv_store_flush (MgvStore *store, GError **error);
/* MTK messages come every few seconds and their key is wanted at once (6.6.2): with deferred
 * MTK saves, mgv_process_mtk updates the store in memory only, and the caller saves once the
 * key is in use (mgv_store_save_in_background). */
void      mgv_store_set_deferred_mtk_saves (MgvStore *store, gboolean deferred);

/* A new MUK from a GBA run becomes the last generated MUK; its MSK counter starts afresh. */
gboolean  mgv_store_install_muk (MgvStore *store, const char *idi, const char *idr, GbaSecret *muk, GError **error);

/* Deletes the MSKs of a key group (or of the whole domain with key_group < 0). */
guint     mgv_store_delete_msks (MgvStore *store, const guint8 domain[3], gint key_group, GError **error);
/* Deletes the MUKs (last generated and last used) and keeps the MSKs: the card was removed
 * or is missing at start (TS 33.220 4.4.11: the ME deletes the NAF-specific keys, and the
 * MUK is derived from Ks_(ext)_NAF, TS 33.246 6.1). TRUE when there was one to delete. */
gboolean  mgv_store_forget_muks (MgvStore *store, GError **error);
/* Deletes every key: a different card, or the user's reset. */
gboolean  mgv_store_wipe (MgvStore *store, GError **error);

typedef struct {
  guint8   domain[MGV_KEY_DOMAIN_LEN];
  guint32  msk_id;
  guint32  seq_low;  /* SEQl: the last MTK ID accepted, or the interval's lower limit */
  guint32  seq_high; /* SEQu */
  gboolean has_policy;
} MgvMskInfo;

/* Key IDs and validity of the stored MSKs (never key bytes). */
GArray   *mgv_store_list_msks (MgvStore *store);
/* The SRTP policy stored with an MSK (the SP payload body: params), or NULL. */
GBytes   *mgv_store_get_policy (MgvStore *store, const guint8 domain[3], guint32 msk_id, guint8 *policy_no);
/* Identity of the MUKs, for diagnostics: IDi/IDr of the last generated and last used one. */
gboolean  mgv_store_get_muk_ids (MgvStore *store, gboolean last_used, char **idi, char **idr);

/* ------------------------------------------------------------------ MGV-F */

typedef enum {
  MGV_MSK_STORED,       /* a new or replaced MSK */
  MGV_MSK_KV_UPDATED,   /* a message without a key updated the validity interval */
  MGV_MSK_PULL,         /* solicited pull (Key Number 0): request the current MSK of the group */
  MGV_MSK_PULL_OLD_MUK, /* a push under the last used, not the last generated, MUK (6.3.2.3.1) */
} MgvMskOutcome;

typedef struct {
  MgvMskOutcome outcome;
  guint8        domain[MGV_KEY_DOMAIN_LEN];
  guint32       msk_id;
  GBytes       *verification; /* the V-bit answer to send to the BM-SC, or NULL */
  gboolean      policy_taken; /* an SP payload came with the message and is now in use */
  GError       *not_saved;    /* the store could not be written: the key is in memory only */
} MgvMskResult;

void mgv_msk_result_free (MgvMskResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MgvMskResult, mgv_msk_result_free)

/* MSK message: TS 33.246 6.4.6.1 and 6.5.3. On success the store is saved; if that write
 * fails, the accepted key stays in use in memory and not_saved says why. */
MgvMskResult *mgv_process_msk (MgvStore *store, GBytes *message, GError **error);

typedef struct {
  guint8     domain[MGV_KEY_DOMAIN_LEN];
  guint32    msk_id;
  guint16    mtk_id;
  GbaSecret *mtk;      /* SRTP master key (streaming) or the TGK (download) */
  GbaSecret *salt;     /* SRTP master salt, 14 octets; NULL for download */
  GbaSecret *encr_key; /* download only: RFC 3830 4.1.3 with cs_id 0 */
  GbaSecret *auth_key;
  gboolean   copy;     /* the current MTK's message again, for a session that lacked it: it
                        * proves nothing about its sender (anyone can resend it) */
} MgvMtk;

void    mgv_mtk_free (MgvMtk *mtk);
/* A download MTK's (TGK's) keys, TS 33.246 6.5.4: RFC 3830 4.1.3 with cs_id 0, the MTK
 * message's CSB ID and the MIKEY-RAND of the MSK message: mtk->encr_key and mtk->auth_key. */
void    mgv_mtk_derive_download_keys (MgvMtk *mtk, guint32 csb_id, GBytes *msk_rand);
MgvMtk *mgv_mtk_copy (const MgvMtk *mtk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MgvMtk, mgv_mtk_free)

/* MTK message: TS 33.246 6.4.6.2 and 6.5.4. session names the MBMS streaming or download
 * session the message arrived for; the two most recent MTKs of each session are kept. On
 * success the store is saved, unless MTK saves are deferred. */
MgvMtk *mgv_process_mtk (MgvStore *store, const char *session, GBytes *message, GError **error);

/* The MTKs kept for a session, newest first (at most two); NULL when none. */
GPtrArray *mgv_store_session_mtks (MgvStore *store, const char *session);
/* FALSE when MGV-F will never again accept an MTK with this ID under this stored MSK: the ID
 * is at or below SEQl, the current MTK ID, or above SEQu (TS 33.246 6.4.6.2 step 3, 6.5.4),
 * so an MTK the session no longer keeps cannot come back. TRUE while it
 * still may come, and when the MSK is not stored (it may be pushed later). */
gboolean   mgv_store_mtk_may_come (MgvStore *store, const guint8 domain[3], guint32 msk_id, guint16 mtk_id);
/* End of a session: its MTKs are deleted (6.5.4). */
void       mgv_store_end_session (MgvStore *store, const char *session);

G_END_DECLS
