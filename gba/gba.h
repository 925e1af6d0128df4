/* gba: the crypto and bootstrapping core of mbmsd.
 *
 * Generic Bootstrapping Architecture on the device (TS 33.220, TS 24.109): the UICC
 * abstraction and the software USIM (Milenage, TS 35.206), HTTP Digest and Digest AKA
 * (RFC 2617, RFC 7616, RFC 3310), the KDF and NAF keys (TS 33.220 Annex B) and the
 * MBMS keys MUK and MRK (TS 33.246 6.1, Annex F).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------ errors */

#define GBA_ERROR (gba_error_quark ())
GQuark gba_error_quark (void);

typedef enum {
  GBA_ERROR_INVALID_ARGUMENT, /* a caller passed a value outside its range */
  GBA_ERROR_PARSE,            /* malformed header, XML body or configuration */
  GBA_ERROR_NETWORK_AUTH,     /* AUTN failed the USIM's MAC check: the network is not authentic */
  GBA_ERROR_SYNC_FAILURE,     /* SQN resynchronisation did not converge */
  GBA_ERROR_USER_AUTH,        /* the BSF refused our credentials */
  GBA_ERROR_SERVER,           /* the server answered an HTTP error or an unusable response */
  GBA_ERROR_TIMEOUT,          /* no answer in time */
  GBA_ERROR_RSPAUTH,          /* the server's Authentication-Info failed verification */
  GBA_ERROR_UICC,             /* the card (or its transport) failed */
  GBA_ERROR_STORAGE,          /* persistent state could not be read or written */
  GBA_ERROR_EXPIRED,          /* bootstrapped key material is past its lifetime */
  GBA_ERROR_CARD_ABSENT,      /* no card in the reader / modem (removed, or never inserted) */
  GBA_ERROR_CARD_LOCKED,      /* the card wants its PIN (or is PIN-blocked): mbmsd never tries one */
  GBA_ERROR_CARD_RESET,       /* the card was reset or swapped under us: reconnect and select again */
  GBA_ERROR_CARD_KEY_FRESHNESS, /* SW 9865 (TS 31.102 7.1.1.6/7.1.1.8) */
  GBA_ERROR_CARD_NO_MEMORY,   /* SW 9866 / 9867: EF_MSK or EF_MUK full */
  GBA_ERROR_CARD_NOT_FOUND,   /* SW 6A88: the key or record the command names is not on the card */
  GBA_ERROR_CARD_CONDITIONS,  /* SW 6985: conditions of use not satisfied */
} GbaError;

/* ------------------------------------------------------------------ secrets */

/* Key material: reference-counted bytes that are wiped (OPENSSL_cleanse) when the last
 * reference goes. Never log, print or put one into a GError or GVariant. */
typedef struct _GbaSecret GbaSecret;

GbaSecret    *gba_secret_new (const void *data, gsize len);
GbaSecret    *gba_secret_new_zeroed (gsize len);
GbaSecret    *gba_secret_new_random (gsize len);
GbaSecret    *gba_secret_new_concat (const GbaSecret *a, const GbaSecret *b);
GbaSecret    *gba_secret_ref (GbaSecret *secret);
void          gba_secret_unref (GbaSecret *secret);
const guint8 *gba_secret_get_data (const GbaSecret *secret, gsize *len);
guint8       *gba_secret_get_mutable (GbaSecret *secret, gsize *len);
gsize         gba_secret_get_size (const GbaSecret *secret);
gboolean      gba_secret_equal (const GbaSecret *a, const GbaSecret *b); /* constant time */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbaSecret, gba_secret_unref)

/* Wipes a plain buffer that held key material. */
void gba_wipe (void *data, gsize len);

/* Hex text to octets. gba_hex_to_buf wants exactly 2 * len hex digits and nothing else;
 * gba_hex_to_bytes takes any even number of digits and skips white space and ':' between
 * octets. Neither echoes the input in its error (it may be a key). */
gboolean gba_hex_to_buf (const char *hex, guint8 *out, gsize len);
GBytes  *gba_hex_to_bytes (const char *hex, GError **error);

/* ------------------------------------------------------------------ KDF, TS 33.220 Annex B */

#define GBA_KDF_KEY_LEN 32 /* HMAC-SHA-256 output */
#define GBA_KDF_FC_NAF  0x01 /* TS 33.220 B.3 */

typedef struct {
  const void *data;
  gsize       len; /* at most 65535: Li is two octets */
} GbaKdfParam;

/* KDF(Key, S) with S = FC || P0 || L0 || ... || Pn || Ln (TS 33.220 B.2). */
GbaSecret *gba_kdf (const GbaSecret *key, guint8 fc, const GbaKdfParam *params, gsize n_params,
                    GError **error);

/* Ua security protocol identifier of MBMS, TS 33.220 Annex H.3. */
#define GBA_UA_PROTOCOL_ID_LEN 5
extern const guint8 GBA_UA_PROTOCOL_MBMS[GBA_UA_PROTOCOL_ID_LEN];

/* NAF_Id = FQDN of the NAF || Ua security protocol identifier (TS 33.220 4.5.2). */
GBytes *gba_naf_id_new (const char *naf_fqdn, const guint8 ua_protocol_id[GBA_UA_PROTOCOL_ID_LEN]);

typedef enum {
  GBA_NAF_KEY_ME,  /* Ks_NAF (GBA_ME) or Ks_ext_NAF (GBA_U): P0 = "gba-me" */
  GBA_NAF_KEY_INT, /* Ks_int_NAF (GBA_U, computed on the UICC): P0 = "gba-u" */
} GbaNafKeyKind;

/* Ks_(ext/int)_NAF = KDF(Ks, 0x01, P0, RAND, IMPI, NAF_Id), TS 33.220 B.3. */
GbaSecret *gba_derive_naf_key (const GbaSecret *ks, GbaNafKeyKind kind, const guint8 rand[16],
                               const char *impi, GBytes *naf_id, GError **error);

/* MRK = KDF(Ks_NAF or Ks_ext_NAF, 0x01, "mbms-mrk"), TS 33.246 Annex F. */
GbaSecret *gba_derive_mrk (const GbaSecret *naf_key, GError **error);

typedef enum {
  GBA_RUN_ME, /* GBA_ME (or 2G GBA): the ME holds Ks */
  GBA_RUN_U,  /* GBA_U: the UICC holds Ks and hands out Ks_ext_NAF */
} GbaRun;

/* The MBMS keys of one BM-SC, TS 33.246 6.1. With GBA_U and an MBMS-capable UICC the
 * MUK stays on the card: muk is NULL and muk_on_uicc TRUE. */
typedef struct {
  GbaSecret *muk;
  GbaSecret *mrk;
  gboolean   muk_on_uicc;
  char      *muk_idr; /* MIKEY IDr: the B-TID */
  char      *muk_idi; /* MIKEY IDi: the BM-SC FQDN (NAF-ID without the Ua protocol id) */
} GbaMbmsKeys;

void gba_mbms_keys_free (GbaMbmsKeys *keys);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbaMbmsKeys, gba_mbms_keys_free)

/* naf_key is Ks_NAF (GBA_ME) or Ks_ext_NAF (GBA_U); the table of TS 33.246 6.1 decides. */
GbaMbmsKeys *gba_mbms_keys_derive (GbaRun run, gboolean uicc_mbms_capable, const GbaSecret *naf_key,
                                   const char *btid, const char *bmsc_fqdn, GError **error);

/* ------------------------------------------------------------------ Milenage, TS 35.206 */

#define GBA_AKA_RAND_LEN 16
#define GBA_AKA_AUTN_LEN 16
#define GBA_AKA_AUTS_LEN 14
#define GBA_AKA_SQN_LEN  6
#define GBA_AKA_AMF_LEN  2
#define GBA_AKA_RES_LEN  8 /* Milenage f2 */
#define GBA_AKA_KEY_LEN  16

/* OPc = E_K(OP) XOR OP. */
void gba_milenage_opc (const guint8 k[16], const guint8 op[16], guint8 opc[16]);
/* f1 and f1*: MAC-A and MAC-S. */
void gba_milenage_f1 (const guint8 k[16], const guint8 opc[16], const guint8 rand[16],
                      const guint8 sqn[6], const guint8 amf[2], guint8 mac_a[8], guint8 mac_s[8]);
/* f2..f5*: RES, CK, IK, AK, AK*. Any output may be NULL. */
void gba_milenage_f2345 (const guint8 k[16], const guint8 opc[16], const guint8 rand[16],
                         guint8 res[8], guint8 ck[16], guint8 ik[16], guint8 ak[6], guint8 ak_star[6]);

/* Network side, used by the lab BSF: AUTN = (SQN ^ AK) || AMF || MAC-A (TS 33.102 6.3.2). */
void gba_milenage_autn (const guint8 k[16], const guint8 opc[16], const guint8 rand[16],
                        const guint8 sqn[6], const guint8 amf[2], guint8 autn[16]);
/* Network side: recover SQN_MS from AUTS and check MAC-S (AMF* = 0000), TS 33.102 6.3.5. */
gboolean gba_milenage_check_auts (const guint8 k[16], const guint8 opc[16], const guint8 rand[16],
                                  const guint8 auts[14], guint8 sqn_ms[6]);

guint64 gba_sqn_to_u64 (const guint8 sqn[6]);
void    gba_sqn_from_u64 (guint64 value, guint8 sqn[6]);

/* ------------------------------------------------------------------ UICC abstraction */

typedef enum {
  GBA_UICC_CAP_NONE = 0,
  GBA_UICC_CAP_GBA_U = 1 << 0, /* USIM service n°68 */
  GBA_UICC_CAP_MBMS = 1 << 1,  /* USIM service n°69: MGV-F on the card */
} GbaUiccCaps;

/* Modes of the MBMS security context, TS 33.246 Annex D / TS 31.102 7.1.2. */
typedef enum {
  GBA_UICC_MBMS_MSK_UPDATE,
  GBA_UICC_MBMS_MTK_GENERATION,
  GBA_UICC_MBMS_MSK_DELETION,
  GBA_UICC_MBMS_MUK_DELETION,
} GbaUiccMbmsMode;

typedef enum {
  GBA_AKA_OK,
  GBA_AKA_SYNC_FAILURE, /* auts is set */
  GBA_AKA_MAC_FAILURE,  /* AUTN not authentic */
} GbaAkaStatus;

typedef struct {
  GbaAkaStatus status;
  GbaSecret   *res; /* OK only */
  GbaSecret   *ck;  /* OK only */
  GbaSecret   *ik;  /* OK only */
  guint8       auts[GBA_AKA_AUTS_LEN]; /* SYNC_FAILURE only */
} GbaAkaResult;

void gba_aka_result_free (GbaAkaResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbaAkaResult, gba_aka_result_free)

typedef struct {
  char *imsi;
  char *iccid;
  char *impi; /* from EF_IMPI of an ISIM, or derived from the IMSI (TS 23.003 13.3) */
  guint mnc_len; /* 2 or 3, from EF_AD */
} GbaUiccIdentity;

void gba_uicc_identity_free (GbaUiccIdentity *identity);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbaUiccIdentity, gba_uicc_identity_free)

/* IMPI from IMSI: <IMSI>@ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org, TS 23.003 13.3. */
char *gba_impi_from_imsi (const char *imsi, guint mnc_len, GError **error);

#define GBA_TYPE_UICC (gba_uicc_get_type ())
G_DECLARE_DERIVABLE_TYPE (GbaUicc, gba_uicc, GBA, UICC, GObject)

/* A card backend (software USIM, PC/SC, AT commands). The virtual methods may block: the
 * async wrappers run them in a worker thread, so backends must be thread-safe. */
struct _GbaUiccClass {
  GObjectClass parent_class;

  GbaAkaResult    *(*authenticate) (GbaUicc *self, const guint8 rand[16], const guint8 autn[16],
                                    GCancellable *cancellable, GError **error);
  GbaUiccIdentity *(*read_identity) (GbaUicc *self, GCancellable *cancellable, GError **error);
  GbaUiccCaps      (*get_capabilities) (GbaUicc *self);

  /* GBA_U, TS 31.102 7.1.2 (GBA security context): bootstrapping mode answers RES or AUTS
   * and keeps Ks on the card; NAF derivation mode returns Ks_ext_NAF and keeps Ks_int_NAF.
   * NULL on cards without GBA_UICC_CAP_GBA_U. */
  GbaAkaResult    *(*gba_bootstrap) (GbaUicc *self, const guint8 rand[16], const guint8 autn[16],
                                     GCancellable *cancellable, GError **error);
  GbaSecret       *(*gba_naf_derive) (GbaUicc *self, GBytes *naf_id, const char *impi,
                                      GCancellable *cancellable, GError **error);
  /* MBMS security context, TS 33.246 Annex D: MSK update, MTK generation, MSK and MUK
   * deletion. data and the answer are the command and response data of the mode.
   * NULL on cards without GBA_UICC_CAP_MBMS. */
  GBytes          *(*mbms_command) (GbaUicc *self, GbaUiccMbmsMode mode, GBytes *data,
                                    GCancellable *cancellable, GError **error);
  /* GBA_U: after a bootstrapping run the ME writes B-TID and key lifetime into EF_GBABP
   * beside the RAND the card stored (TS 31.102 7.1.1.4, 4.2.79). */
  gboolean         (*gba_store_btid) (GbaUicc *self, const guint8 rand[16], const char *btid,
                                      const char *lifetime, GCancellable *cancellable, GError **error);

  gpointer padding[8];
};

/* 3G AUTHENTICATE (TS 31.102 7.1.2, P2 = 3G context). A MAC failure or sync failure is a
 * result, not an error; errors are transport or card failures. */
void          gba_uicc_authenticate_async (GbaUicc *self, const guint8 rand[16], const guint8 autn[16],
                                           GCancellable *cancellable, GAsyncReadyCallback callback,
                                           gpointer user_data);
GbaAkaResult *gba_uicc_authenticate_finish (GbaUicc *self, GAsyncResult *result, GError **error);
GbaAkaResult *gba_uicc_authenticate (GbaUicc *self, const guint8 rand[16], const guint8 autn[16],
                                     GCancellable *cancellable, GError **error);

GbaUiccIdentity *gba_uicc_read_identity (GbaUicc *self, GCancellable *cancellable, GError **error);
GbaUiccCaps      gba_uicc_get_capabilities (GbaUicc *self);

/* GBA_U and MBMS-context commands; GBA_ERROR_UICC "not supported" on cards without them.
 * Blocking: callers on the main loop run them with g_task_run_in_thread. */
GbaAkaResult *gba_uicc_gba_bootstrap (GbaUicc *self, const guint8 rand[16], const guint8 autn[16],
                                      GCancellable *cancellable, GError **error);
/* The same in a worker thread; finish with gba_uicc_authenticate_finish. */
void          gba_uicc_gba_bootstrap_async (GbaUicc *self, const guint8 rand[16], const guint8 autn[16],
                                            GCancellable *cancellable, GAsyncReadyCallback callback,
                                            gpointer user_data);
GbaSecret    *gba_uicc_gba_naf_derive (GbaUicc *self, GBytes *naf_id, const char *impi,
                                       GCancellable *cancellable, GError **error);
GBytes       *gba_uicc_mbms_command (GbaUicc *self, GbaUiccMbmsMode mode, GBytes *data,
                                     GCancellable *cancellable, GError **error);
gboolean      gba_uicc_gba_store_btid (GbaUicc *self, const guint8 rand[16], const char *btid,
                                       const char *lifetime, GCancellable *cancellable, GError **error);

/* The software USIM: Milenage with K and OPc (or OP), SQN state persisted in sqn_path
 * (mode 0600, atomic replace). Reads group [usim] of a key file:
 *   imsi, iccid, mnc-length (2|3), k, opc | op, amf (hex), sqn-file (optional). */
#define GBA_TYPE_UICC_SOFT (gba_uicc_soft_get_type ())
G_DECLARE_FINAL_TYPE (GbaUiccSoft, gba_uicc_soft, GBA, UICC_SOFT, GbaUicc)

typedef struct {
  const char *imsi;
  const char *iccid;
  guint       mnc_len;
  guint8      k[16];
  guint8      opc[16];
  guint8      amf[2];
  const char *sqn_path; /* NULL: SQN kept in memory only */
} GbaUiccSoftParams;

GbaUicc *gba_uicc_soft_new (const GbaUiccSoftParams *params, GError **error);
GbaUicc *gba_uicc_soft_new_from_key_file (GKeyFile *key_file, const char *group,
                                          const char *default_sqn_path, GError **error);
/* The highest SQN the USIM has accepted (SQN_MS), for tests and diagnostics. */
guint64  gba_uicc_soft_get_sqn_ms (GbaUiccSoft *self);

/* ------------------------------------------------------------------ real cards */

/* How APDUs reach a real card: PC/SC (gba-card-pcsc.c) or a modem's AT port (gba-card-at.c).
 * A transport moves command and response APDUs and knows logical channels; the USIM logic
 * on top (GbaUiccCard) is the same for all. GbaUiccCard calls a transport from its own card
 * thread only, so a transport needs no locking and may keep per-thread handles (PC/SC). */
#define GBA_TYPE_CARD_TRANSPORT (gba_card_transport_get_type ())
G_DECLARE_DERIVABLE_TYPE (GbaCardTransport, gba_card_transport, GBA, CARD_TRANSPORT, GObject)

struct _GbaCardTransportClass {
  GObjectClass parent_class;

  const char *backend; /* "pcsc", "at", ... as the configuration names it */
  /* Reach the card: GBA_ERROR_CARD_ABSENT without one, GBA_ERROR_CARD_LOCKED when the modem
   * says it wants a PIN. */
  gboolean (*connect) (GbaCardTransport *self, GCancellable *cancellable, GError **error);
  void     (*disconnect) (GbaCardTransport *self);
  /* A command sequence no other application interleaves (PC/SC transactions); may be NULL. */
  gboolean (*begin) (GbaCardTransport *self, GError **error);
  void     (*end) (GbaCardTransport *self);
  /* One command APDU on a logical channel (0: the basic one) whose CLA carries no channel
   * bits: the transport puts the channel where its medium wants it. Answers data || SW1 SW2.
   * GBA_ERROR_CARD_RESET when the card was reset or swapped, GBA_ERROR_CARD_ABSENT when gone. */
  GBytes  *(*transmit) (GbaCardTransport *self, guint channel, GBytes *apdu, GCancellable *cancellable,
                        GError **error);
  /* A logical channel with the application selected on it. NULL: MANAGE CHANNEL and SELECT
   * by DF name sent through transmit (TS 102 221 11.1.17, 11.1.1). */
  gboolean (*open_application) (GbaCardTransport *self, const guint8 *aid, gsize aid_len, guint *channel,
                                GCancellable *cancellable, GError **error);
  void     (*close_application) (GbaCardTransport *self, guint channel);
  /* Whether a card is there, waiting up to timeout_ms for a change from was_present; NULL:
   * the card thread finds out by its commands failing. */
  gboolean (*wait_presence) (GbaCardTransport *self, gboolean was_present, guint timeout_ms);

  gpointer padding[8];
};

const char *gba_card_transport_get_backend (GbaCardTransport *self);

/* The USIM over a transport: SELECT of the USIM ADF found in EF_DIR, EF_ICCID, EF_IMSI,
 * EF_AD, EF_UST, AUTHENTICATE in the 3G, GBA and MBMS contexts (TS 31.102 7.1), T=0
 * GET RESPONSE, ODD-instruction chaining. A card that wants its PIN is reported as
 * GBA_ERROR_CARD_LOCKED; mbmsd never presents a PIN, so it can never block one. All card I/O
 * runs on a thread of the card's own; the blocking methods may be called from any thread
 * but the main loop (the async wrappers of GbaUicc do that). Signals (emitted in the main
 * context that created the object): "presence-changed" (gboolean present). */
#define GBA_TYPE_UICC_CARD (gba_uicc_card_get_type ())
G_DECLARE_FINAL_TYPE (GbaUiccCard, gba_uicc_card, GBA, UICC_CARD, GbaUicc)

GbaUicc    *gba_uicc_card_new (GbaCardTransport *transport);
/* Connect and read the USIM now (blocking); also what every command does first when needed. */
gboolean    gba_uicc_card_open (GbaUiccCard *self, GCancellable *cancellable, GError **error);
const char *gba_uicc_card_get_backend (GbaUiccCard *self);
/* Start watching for removal and insertion (reader events or polling), poll_ms apart at most. */
void        gba_uicc_card_watch_presence (GbaUiccCard *self, guint poll_ms);
gboolean    gba_uicc_card_is_present (GbaUiccCard *self);

/* PC/SC (pcsc-lite): reader NULL or "" takes the first reader with a card. NULL with
 * GBA_ERROR_UICC in a build without PC/SC. */
GbaCardTransport *gba_card_transport_pcsc_new (const char *reader, GError **error);
gboolean          gba_card_transport_pcsc_available (void);

/* A modem's AT port (TS 27.007 +CCHO/+CGLA/+CCHC, +CSIM as fallback): tty is the device,
 * timeout_ms the longest wait for one command's final result. */
GbaCardTransport *gba_card_transport_at_new (const char *tty, guint timeout_ms);

/* ------------------------------------------------------------------ HTTP Digest */

typedef enum {
  GBA_DIGEST_MD5,
  GBA_DIGEST_SHA256,
  GBA_DIGEST_AKAV1_MD5, /* RFC 3310: MD5 with password = RES */
} GbaDigestAlgorithm;

typedef enum {
  GBA_DIGEST_QOP_NONE = 0,
  GBA_DIGEST_QOP_AUTH = 1 << 0,
  GBA_DIGEST_QOP_AUTH_INT = 1 << 1,
} GbaDigestQop;

/* WWW-Authenticate: Digest ... (RFC 7616 3.3) */
typedef struct {
  char              *realm;
  char              *nonce;
  char              *opaque;    /* may be NULL */
  GbaDigestAlgorithm algorithm; /* MD5 when absent */
  GbaDigestQop       qop;       /* the set offered */
  gboolean           stale;
} GbaDigestChallenge;

void                gba_digest_challenge_free (GbaDigestChallenge *challenge);
GbaDigestChallenge *gba_digest_challenge_parse (const char *header_value, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbaDigestChallenge, gba_digest_challenge_free)

/* Authorization: Digest ... (RFC 7616 3.4); built by clients, parsed by the lab servers. */
typedef struct {
  char              *username;
  char              *realm;
  char              *nonce;
  char              *uri;
  char              *response;
  char              *cnonce; /* NULL with qop none */
  char              *nc;     /* 8 hex digits; NULL with qop none */
  char              *opaque;
  char              *auts;   /* base64, RFC 3310 3.4; may be NULL */
  GbaDigestAlgorithm algorithm;
  GbaDigestQop       qop;    /* exactly one, or NONE */
} GbaDigestAuthorization;

void                    gba_digest_authorization_free (GbaDigestAuthorization *auth);
GbaDigestAuthorization *gba_digest_authorization_parse (const char *header_value, GError **error);
char                   *gba_digest_authorization_to_string (const GbaDigestAuthorization *auth);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbaDigestAuthorization, gba_digest_authorization_free)

/* Authentication-Info (RFC 7616 3.5) */
typedef struct {
  char        *rspauth;
  char        *cnonce;
  char        *nc;
  char        *nextnonce;
  GbaDigestQop qop;
} GbaDigestAuthInfo;

void               gba_digest_auth_info_free (GbaDigestAuthInfo *info);
GbaDigestAuthInfo *gba_digest_auth_info_parse (const char *header_value, GError **error);
char              *gba_digest_auth_info_to_string (const GbaDigestAuthInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbaDigestAuthInfo, gba_digest_auth_info_free)

/* The request-digest of RFC 2617 3.2.2 / RFC 7616 3.4.1 as lower-case hex. The password is
 * octets (RES for AKA). method NULL computes rspauth (RFC 2617 3.2.3: A2 = ":" uri ...).
 * body is the entity body for auth-int (NULL = empty). */
char *gba_digest_compute (GbaDigestAlgorithm algorithm, const char *username, const char *realm,
                          const guint8 *password, gsize password_len, const char *nonce,
                          const char *nc, const char *cnonce, GbaDigestQop qop, const char *method,
                          const char *uri, const guint8 *body, gsize body_len);

/* Client helper: answer a challenge. Picks auth-int when offered and prefer_auth_int is set,
 * else auth, else none; makes a fresh cnonce and counts nc for the same nonce. */
GbaDigestAuthorization *gba_digest_answer (const GbaDigestChallenge *challenge, const char *username,
                                           const guint8 *password, gsize password_len,
                                           const char *method, const char *uri, const guint8 *body,
                                           gsize body_len, gboolean prefer_auth_int, guint32 nc);

/* Client helper: check the server's rspauth over the response body; FALSE with
 * GBA_ERROR_RSPAUTH when it does not match. */
gboolean gba_digest_verify_auth_info (const GbaDigestAuthorization *sent, const GbaDigestAuthInfo *info,
                                      const guint8 *password, gsize password_len,
                                      const guint8 *response_body, gsize response_body_len,
                                      GError **error);

/* ------------------------------------------------------------------ bootstrapping, TS 24.109 4 */

/* The body of the 200 OK: application/vnd.3gpp.bsf+xml (TS 24.109 Annex C). */
typedef struct {
  char      *btid;
  GDateTime *lifetime;     /* UTC */
  GDateTime *current_time; /* the BSF's clock from <Extension><currenttime>, or NULL */
} GbaBootstrapInfo;

void              gba_bootstrap_info_free (GbaBootstrapInfo *info);
GbaBootstrapInfo *gba_bootstrap_info_parse (const char *data, gsize len, GError **error);
char             *gba_bootstrap_info_to_xml (const GbaBootstrapInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbaBootstrapInfo, gba_bootstrap_info_free)

/* A bootstrapped security association. Ks never leaves memory and is wiped on free. */
typedef struct {
  char      *btid;
  GDateTime *lifetime;
  char      *impi;
  guint8     rand[GBA_AKA_RAND_LEN];
  GbaRun     run;
  GbaSecret *ks; /* CK || IK for GBA_ME; NULL for GBA_U (the card keeps it) */
  GbaUicc   *uicc; /* GBA_U: the card that holds Ks; NULL for GBA_ME */
} GbaContext;

void        gba_context_free (GbaContext *context);
gboolean    gba_context_is_valid_at (const GbaContext *context, GDateTime *now);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbaContext, gba_context_free)

/* MUK and MRK for one BM-SC (TS 33.246 6.1). GBA_U: Ks_ext_NAF comes from the card (NAF
 * derivation mode, TS 31.102 7.1.1.5), which blocks on card I/O: call it off the main loop. */
GbaMbmsKeys *gba_context_derive_mbms_keys (const GbaContext *context, const char *bmsc_fqdn,
                                           GError **error);
/* The same in a worker thread (GBA_U: the card's NAF derivation runs off the main loop). The
 * context is copied: the caller may free or replace it meanwhile. */
void         gba_context_derive_mbms_keys_async (const GbaContext *context, const char *bmsc_fqdn,
                                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                                 gpointer user_data);
GbaMbmsKeys *gba_context_derive_mbms_keys_finish (GAsyncResult *result, GError **error);

#define GBA_TYPE_BOOTSTRAPPER (gba_bootstrapper_get_type ())
G_DECLARE_FINAL_TYPE (GbaBootstrapper, gba_bootstrapper, GBA, BOOTSTRAPPER, GObject)

/* bsf_uri: http(s)://host[:port]/path. timeout_s: per HTTP exchange. */
GbaBootstrapper *gba_bootstrapper_new (GbaUicc *uicc, const char *bsf_uri, guint timeout_s);

/* The clock that turns the BSF's lifetime into local time; NULL = the system clock. */
typedef GDateTime *(*GbaClockFunc) (gpointer user_data);
void             gba_bootstrapper_set_clock (GbaBootstrapper *self, GbaClockFunc clock, gpointer user_data);
/* Run GBA_U (TS 33.220 5.3.2) when the card offers it (USIM service n°68); off by default. */
void             gba_bootstrapper_set_gba_u (GbaBootstrapper *self, gboolean allowed);
void             gba_bootstrapper_run_async (GbaBootstrapper *self, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
GbaContext      *gba_bootstrapper_run_finish (GbaBootstrapper *self, GAsyncResult *result,
                                              GError **error);

/* The default BSF host derived from the IMSI: bsf.mnc<MNC>.mcc<MCC>.pub.3gppnetwork.org
 * (TS 23.003 16.2). */
char *gba_bsf_host_from_imsi (const char *imsi, guint mnc_len, GError **error);

G_END_DECLS
