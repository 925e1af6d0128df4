/* MIKEY as TS 33.246 profiles it: RFC 3830 with pre-shared keys, the RFC 4563 Key ID
 * extension and Empty map, RFC 4771 SRTP policy parameters. Parsed messages, builders,
 * key derivation (RFC 3830 4.1.2-4.1.4) and KEMAC protection (5.2, 6.2).
 *
 * Included by mgv.h; not meant to be included on its own.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "gba.h"

G_BEGIN_DECLS

#define MIKEY_ERROR (mikey_error_quark ())
GQuark mikey_error_quark (void);

typedef enum {
  MIKEY_ERROR_TRUNCATED,   /* a field runs past the end of the message or payload */
  MIKEY_ERROR_MALFORMED,   /* a value the profile does not allow, or an inconsistent length */
  MIKEY_ERROR_UNSUPPORTED, /* a valid MIKEY feature TS 33.246 does not use (PKE, DH, NULL algorithms) */
  MIKEY_ERROR_AUTH,        /* MAC verification failed */
} MikeyError;

/* RFC 3830 6.1: data types. */
#define MIKEY_VERSION            1
#define MIKEY_TYPE_PSK_INIT      0
#define MIKEY_TYPE_PSK_RESP      1 /* the verification message */

/* RFC 3830 6.1: next payload values. */
#define MIKEY_PAYLOAD_LAST       0
#define MIKEY_PAYLOAD_KEMAC      1
#define MIKEY_PAYLOAD_PKE        2
#define MIKEY_PAYLOAD_DH         3
#define MIKEY_PAYLOAD_SIGN       4
#define MIKEY_PAYLOAD_T          5
#define MIKEY_PAYLOAD_ID         6
#define MIKEY_PAYLOAD_CERT       7
#define MIKEY_PAYLOAD_CHASH      8
#define MIKEY_PAYLOAD_V          9
#define MIKEY_PAYLOAD_SP         10
#define MIKEY_PAYLOAD_RAND       11
#define MIKEY_PAYLOAD_ERR        12
#define MIKEY_PAYLOAD_KEY_DATA   20
#define MIKEY_PAYLOAD_GEN_EXT    21

#define MIKEY_PRF_MIKEY_1        0  /* RFC 3830 6.1 */
#define MIKEY_MAP_SRTP_ID        0  /* RFC 3830 6.1.1 */
#define MIKEY_MAP_EMPTY          1  /* RFC 4563 4.1 */

#define MIKEY_TS_NTP_UTC         0  /* RFC 3830 6.6 */
#define MIKEY_TS_NTP             1
#define MIKEY_TS_COUNTER         2  /* the only type TS 33.246 6.4.3 uses */

#define MIKEY_ID_NAI             0  /* RFC 3830 6.7 */
#define MIKEY_ID_URI             1

#define MIKEY_ENCR_NULL          0  /* RFC 3830 6.2 */
#define MIKEY_ENCR_AES_CM_128    1
#define MIKEY_ENCR_AES_KW_128    2
#define MIKEY_MAC_NULL           0
#define MIKEY_MAC_HMAC_SHA1_160  1
#define MIKEY_MAC_LEN            20

#define MIKEY_KEY_TGK            0  /* RFC 3830 6.13 key data types */
#define MIKEY_KEY_TGK_SALT       1
#define MIKEY_KEY_TEK            2
#define MIKEY_KEY_TEK_SALT       3
#define MIKEY_KV_NULL            0
#define MIKEY_KV_SPI             1
#define MIKEY_KV_INTERVAL        2

#define MIKEY_EXT_KEY_ID         3  /* RFC 4563 4.2: General Extension type Key ID */
#define MIKEY_KEY_ID_DOMAIN      0  /* MBMS Key Domain ID (3 octets: MCC || MNC) */
#define MIKEY_KEY_ID_MSK         1  /* MBMS Service Key ID (4 octets) */
#define MIKEY_KEY_ID_MTK         2  /* MBMS Traffic Key ID (2 octets) */

#define MIKEY_PROT_SRTP          0  /* RFC 3830 6.10 */

/* SRTP policy parameter types: RFC 3830 6.10.1 and RFC 4771 4. */
typedef enum {
  MIKEY_SP_ENCR_ALG = 0,
  MIKEY_SP_ENCR_KEY_LEN = 1,
  MIKEY_SP_AUTH_ALG = 2,
  MIKEY_SP_AUTH_KEY_LEN = 3,
  MIKEY_SP_SALT_KEY_LEN = 4,
  MIKEY_SP_SRTP_PRF = 5,
  MIKEY_SP_KEY_DERIV_RATE = 6,
  MIKEY_SP_SRTP_ENCR = 7,
  MIKEY_SP_SRTCP_ENCR = 8,
  MIKEY_SP_FEC_ORDER = 9,
  MIKEY_SP_SRTP_AUTH = 10,
  MIKEY_SP_AUTH_TAG_LEN = 11,
  MIKEY_SP_SRTP_PREFIX_LEN = 12,
  MIKEY_SP_ROC_RATE = 13,          /* RFC 4771 */
  MIKEY_SP_SRTP_AUTH_ALG = 14,
  MIKEY_SP_SRTCP_AUTH_ALG = 15,
  MIKEY_SP_SRTP_AUTH_KEY_LEN = 16,
  MIKEY_SP_SRTCP_AUTH_KEY_LEN = 17,
  MIKEY_SP_SRTP_AUTH_TAG_LEN = 18,
  MIKEY_SP_SRTCP_AUTH_TAG_LEN = 19,
} MikeySpParam;

#define MIKEY_SP_AUTH_NULL       0
#define MIKEY_SP_AUTH_HMAC_SHA1  1
#define MIKEY_SP_AUTH_RCCM1      2  /* RFC 4771 */
#define MIKEY_SP_AUTH_RCCM2      3
#define MIKEY_SP_AUTH_RCCM3      4
#define MIKEY_SP_ENCR_NULL       0
#define MIKEY_SP_ENCR_AES_CM     1
#define MIKEY_SP_ENCR_AES_F8     2

#define MIKEY_MAX_MESSAGE_LEN    4096 /* far above any TS 33.246 message; bounds hostile input */

typedef struct {
  guint8  policy_no;
  guint32 ssrc;
  guint32 roc;
} MikeySrtpIdEntry;

typedef struct {
  guint8  type;
  GBytes *value;
} MikeySpParamValue;

typedef struct {
  guint8     policy_no;
  guint8     prot_type;
  GPtrArray *params; /* of MikeySpParamValue, in message order */
} MikeyPolicy;

/* A general extension payload; Key ID extensions are decoded, others kept opaque. */
typedef struct {
  guint8  type;
  GBytes *data;
} MikeyExtension;

/* The Key ID extension (RFC 4563) as TS 33.246 6.4.4 uses it. */
typedef struct {
  gboolean has_domain;
  guint8   domain[3];
  guint    n_msk_ids;  /* 1 in MSK messages (the delivered MSK), 1 in MTK messages (the protecting MSK) */
  guint32  msk_id;
  gboolean has_mtk_id;
  guint16  mtk_id;
} MikeyKeyIds;

/* One Key data sub-payload from a decrypted KEMAC (RFC 3830 6.13). */
typedef struct {
  guint8     type;      /* MIKEY_KEY_* */
  guint8     kv;        /* MIKEY_KV_* */
  GbaSecret *key;
  GbaSecret *salt;      /* TGK+SALT / TEK+SALT only */
  GBytes    *spi;       /* KV SPI/MKI */
  GBytes    *valid_from;/* KV interval, raw octets */
  GBytes    *valid_to;
} MikeyKeyData;

void mikey_key_data_free (MikeyKeyData *kd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MikeyKeyData, mikey_key_data_free)

typedef struct {
  /* HDR, RFC 3830 6.1 */
  guint8   version;
  guint8   data_type;
  gboolean v_bit;
  guint8   prf_func;
  guint32  csb_id;
  guint8   cs_id_map_type;
  GArray  *srtp_ids;      /* MikeySrtpIdEntry, #CS entries for the SRTP-ID map */

  /* T, RFC 3830 6.6 */
  gboolean has_t;
  guint8   ts_type;
  guint64  ts_value;      /* 32-bit counter in the low bits for TS type 2 */

  GBytes  *rand;          /* RAND payload, NULL when absent */
  char    *idi;           /* IDi as text (TS 33.246 6.4.5.1: ID type ignored) */
  guint8   idi_type;
  char    *idr;
  guint8   idr_type;

  GPtrArray *policies;    /* MikeyPolicy, SP payloads in order */
  GPtrArray *extensions;  /* MikeyExtension, every general extension in order */
  gboolean   has_key_ids;
  MikeyKeyIds key_ids;

  /* KEMAC, RFC 3830 6.2: still encrypted */
  gboolean has_kemac;
  guint8   encr_alg;
  GBytes  *encr_data;
  guint8   mac_alg;
  GBytes  *mac;

  /* V, RFC 3830 6.9 */
  gboolean has_v;
  guint8   v_auth_alg;
  GBytes  *v_mac;

  GBytes  *raw;           /* the message as received */
  gsize    mac_offset;    /* where the MAC field starts in raw (KEMAC or V) */
} MikeyMessage;

void          mikey_message_free (MikeyMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MikeyMessage, mikey_message_free)

/* Parses a whole MIKEY message. Every length is checked; errors name the payload and the
 * byte offset. Unknown general extensions are kept opaque. */
MikeyMessage *mikey_message_parse (GBytes *data, GError **error);

/* ---------------------------------------------------------- key derivation, RFC 3830 4.1 */

/* PRF(inkey, label) of RFC 3830 4.1.2 (HMAC-SHA-1 P-function), outkey_len octets. */
GbaSecret *mikey_prf (const GbaSecret *inkey, const guint8 *label, gsize label_len, gsize outkey_len);

/* Keys of the pre-shared key / envelope key (RFC 3830 4.1.4): label = const || 0xFF ||
 * CSB ID || RAND. */
typedef struct {
  GbaSecret *encr_key; /* 16 octets, AES-CM-128 */
  GbaSecret *auth_key; /* 20 octets, HMAC-SHA-1-160 (TS 33.246 6.4.1: 160 bits) */
  GbaSecret *salt;     /* 14 octets */
} MikeyKemacKeys;

void mikey_kemac_keys_clear (MikeyKemacKeys *keys);
void mikey_derive_kemac_keys (const GbaSecret *psk, guint32 csb_id, GBytes *rand, MikeyKemacKeys *out);

/* Keys from a TGK (RFC 3830 4.1.3): label = const || cs_id || CSB ID || RAND. */
#define MIKEY_TGK_CONST_TEK   0x2AD01C64u
#define MIKEY_TGK_CONST_AUTH  0x1B5C7973u
#define MIKEY_TGK_CONST_ENCR  0x15798CEFu
#define MIKEY_TGK_CONST_SALT  0x39A2C14Bu
GbaSecret *mikey_derive_tgk_key (const GbaSecret *tgk, guint32 constant, guint8 cs_id, guint32 csb_id,
                                 GBytes *rand, gsize len);

/* KEMAC: decrypt and verify. mac_keys come from mikey_derive_kemac_keys. The MAC covers
 * raw[0 .. mac_offset). Returns the Key data sub-payloads, or NULL with MIKEY_ERROR_AUTH. */
GPtrArray *mikey_kemac_open (const MikeyMessage *msg, const MikeyKemacKeys *keys, GError **error);

/* T of the KEMAC IV: the 64-bit T that the 32-bit counter fills (docs/interpretations.md). */
guint64 mikey_iv_timestamp (const MikeyMessage *msg);

/* AES-CM-128 over data in place with IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000. */
void mikey_aes_cm (const GbaSecret *key, const GbaSecret *salt, guint32 csb_id, guint64 t,
                   guint8 *data, gsize len);

/* HMAC-SHA-1-160 of data with key. */
void mikey_hmac_sha1 (const GbaSecret *key, const guint8 *data, gsize len, guint8 mac[MIKEY_MAC_LEN]);

/* ---------------------------------------------------------- builders */

/* Everything a builder needs; the lab BM-SC fills it. */
typedef struct {
  guint32        csb_id;
  gboolean       v_bit;
  guint32        ts_counter;
  GBytes        *rand;            /* MSK messages; NULL for MTK messages */
  const char    *idi;             /* MSK messages: BM-SC FQDN */
  const char    *idr;             /* MSK messages: B-TID */
  gboolean       streaming;       /* SRTP-ID map + SP (MSK), TEK+salt (MTK) */
  guint32        ssrc;            /* streaming MSK: the SRTP-ID map entry */
  guint32        roc;
  guint8         policy_no;
  GBytes        *sp_params;       /* encoded SP parameter list, NULL = no SP payload */
  guint8         domain[3];
  guint32        msk_id;
  guint16        mtk_id;          /* MTK messages */
  const GbaSecret *key;           /* MSK, MTK or TGK; NULL = no key (KV update, solicited pull) */
  const GbaSecret *salt;          /* streaming MTK: 14 octets */
  guint32        seq_low;         /* MSK messages: KV interval (MTK IDs) */
  guint32        seq_high;
  GPtrArray     *extra_extensions;/* MikeyExtension, opaque, placed before the KEMAC */
} MikeyBuildParams;

/* MSK message (TS 33.246 6.4.5.1, Figure 6.5) protected with the MUK. */
GBytes *mikey_build_msk_message (const MikeyBuildParams *p, const GbaSecret *muk);
/* MTK message (6.4.5.3, Figure 6.7) protected with the MSK and the MSK's MIKEY-RAND. */
GBytes *mikey_build_mtk_message (const MikeyBuildParams *p, const GbaSecret *msk, GBytes *msk_rand);
/* Verification message HDR || T || IDr || V (6.4.5.2), MAC over the message || IDi || IDr || T. */
GBytes *mikey_build_verification (guint32 csb_id, guint32 ts_counter, const char *idi, const char *idr,
                                  const GbaSecret *auth_key);
/* Checks a verification message against the keys of the MSK message it answers. */
gboolean mikey_verify_verification (const MikeyMessage *msg, const char *idi, const GbaSecret *auth_key,
                                    GError **error);

/* SP parameter list encoding helper: appends type | length | value. */
void mikey_sp_append (GByteArray *params, guint8 type, const guint8 *value, guint8 len);
void mikey_sp_append_u8 (GByteArray *params, guint8 type, guint8 value);

G_END_DECLS
