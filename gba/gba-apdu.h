/* APDUs of the USIM (TS 31.102, TS 31.101 / ETSI TS 102 221) built and parsed without a card:
 * the commands mbmsd sends, and bounded parsers for everything a card answers. Private to
 * gba/ (the card layer and its tests and fuzz targets); nothing here does I/O.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "gba.h"

G_BEGIN_DECLS

/* Instructions, TS 102 221 10.1.2 (TS 31.101 10.1.2 refers to it) */
#define GBA_APDU_INS_SELECT          0xA4
#define GBA_APDU_INS_READ_BINARY     0xB0
#define GBA_APDU_INS_READ_RECORD     0xB2
#define GBA_APDU_INS_UPDATE_BINARY   0xD6
#define GBA_APDU_INS_VERIFY          0x20
#define GBA_APDU_INS_MANAGE_CHANNEL  0x70
#define GBA_APDU_INS_GET_RESPONSE    0xC0
#define GBA_APDU_INS_AUTHENTICATE    0x88 /* EVEN, TS 31.102 7.1.2 */
#define GBA_APDU_INS_AUTHENTICATE_ODD 0x89 /* ODD: TLV-encapsulated contexts (MBMS) */

/* AUTHENTICATE P2, TS 31.102 tables 7.1.2-1 and 7.1.2-2: b8 = specific reference data */
#define GBA_APDU_P2_3G_CONTEXT   0x81
#define GBA_APDU_P2_GBA_CONTEXT  0x84
#define GBA_APDU_P2_MBMS_CONTEXT 0x85

/* ODD AUTHENTICATE P1, TS 102 221 11.1.16 (its Annex M shows the sequences):
 * b8 first block, b6 response data (else command data). */
#define GBA_APDU_P1_FIRST_COMMAND_BLOCK  0x80
#define GBA_APDU_P1_NEXT_COMMAND_BLOCK   0x00
#define GBA_APDU_P1_FIRST_RESPONSE_BLOCK 0xA0
#define GBA_APDU_P1_NEXT_RESPONSE_BLOCK  0x20
#define GBA_APDU_MAX_BLOCK               255 /* one short APDU's data */

/* Tags of AUTHENTICATE, TS 31.102 7.1.2.1-7.1.2.5 */
#define GBA_APDU_TAG_SUCCESS          0xDB
#define GBA_APDU_TAG_SYNC_FAILURE     0xDC
#define GBA_APDU_TAG_GBA_BOOTSTRAP    0xDD
#define GBA_APDU_TAG_GBA_NAF_DERIVE   0xDE
#define GBA_APDU_TAG_MBMS_DATA_OBJECT 0x53

/* MBMS Security Context Mode, TS 31.102 7.1.2.5 */
#define GBA_APDU_MBMS_MODE_MSK_UPDATE     0x01
#define GBA_APDU_MBMS_MODE_MTK_GENERATION 0x02
#define GBA_APDU_MBMS_MODE_MSK_DELETION   0x03
#define GBA_APDU_MBMS_MODE_MUK_DELETION   0x04

/* Status words, TS 102 221 10.2.1 and TS 31.102 7.3 */
#define GBA_SW_OK                     0x9000
#define GBA_SW_AUTH_MAC_FAILURE       0x9862 /* incorrect MAC */
#define GBA_SW_KEY_FRESHNESS_FAILURE  0x9865
#define GBA_SW_NO_MEMORY_MSK          0x9866
#define GBA_SW_NO_MEMORY_MUK          0x9867
#define GBA_SW_MORE_COMMAND_DATA      0x63F1 /* ODD chaining: send the next block */
#define GBA_SW_MORE_RESPONSE_DATA     0x62F1 /* ODD chaining: fetch the next block */
#define GBA_SW_RESPONSE_READY         0x62F3 /* ODD: fetch the response with P1 first block */
#define GBA_SW_SECURITY_NOT_SATISFIED 0x6982
#define GBA_SW_PIN_BLOCKED            0x6983
#define GBA_SW_CONDITIONS_NOT_SATISFIED 0x6985
#define GBA_SW_NOT_FOUND              0x6A82
#define GBA_SW_REFERENCED_DATA_NOT_FOUND 0x6A88
#define GBA_SW1_RESPONSE_BYTES        0x61 /* T=0: GET RESPONSE with Le = SW2 */
#define GBA_SW1_WRONG_LE              0x6C /* T=0: send again with Le = SW2 */
#define GBA_SW1_VERIFY_RETRIES        0x63 /* 63Cx: x tries left */

/* Files, TS 102 221 13 and TS 31.102 4.2 */
#define GBA_FID_MF      0x3F00
#define GBA_FID_EF_DIR  0x2F00
#define GBA_FID_EF_ICCID 0x2FE2
#define GBA_FID_EF_IMSI 0x6F07 /* TS 31.102 4.2.2 */
#define GBA_FID_EF_AD   0x6FAD /* 4.2.18 */
#define GBA_FID_EF_UST  0x6F38 /* 4.2.8 */
#define GBA_FID_EF_GBABP 0x6FD6 /* 4.2.79 */

/* USIM services, TS 31.102 4.2.8 */
#define GBA_UST_GSM_ACCESS    27
#define GBA_UST_GBA           68
#define GBA_UST_MBMS_SECURITY 69

/* The key reference of the application PIN (PIN1), TS 102 221 9.5.1 */
#define GBA_PIN_KEY_REFERENCE 0x01

/* The RID and application code of a 3GPP USIM, ETSI TS 101 220 Annex E / TS 31.101 13 */
#define GBA_USIM_AID_PREFIX     "\xA0\x00\x00\x00\x87\x10\x02"
#define GBA_USIM_AID_PREFIX_LEN 7
#define GBA_AID_MAX             16

/* CLA of a command on a logical channel, TS 102 221 10.1.1: 0-3 in b1-b2, 4-19 as 0x40 | n-4. */
guint8 gba_apdu_cla (guint channel);

/* A command: CLA INS P1 P2 [Lc data] [Le]; data_len at most 255, le < 0 for none. */
GBytes *gba_apdu_build (guint8 cla, guint8 ins, guint8 p1, guint8 p2, const guint8 *data, gsize data_len,
                        int le);

/* Splits a response into data and SW; FALSE when shorter than the two status bytes. */
gboolean gba_apdu_split (const guint8 *resp, gsize len, gsize *data_len, guint16 *sw);

/* BER-TLV length (ISO/IEC 8825-1), at most 4 octets after 0x8x as TS 31.102 7.1.2.5 allows. */
gsize    gba_apdu_ber_length_encode (gsize len, guint8 out[5]);
gboolean gba_apdu_ber_length_decode (const guint8 *p, gsize left, gsize *len, gsize *used);

/* Response data of AUTHENTICATE in 3G context (7.1.2.1 cases 1 and 2) and of the GBA context
 * in bootstrapping mode (7.1.2.3: RES only). */
GbaAkaResult *gba_apdu_parse_auth_3g (const guint8 *data, gsize len, GError **error);
GbaAkaResult *gba_apdu_parse_gba_bootstrap (const guint8 *data, gsize len, GError **error);
/* NAF derivation mode, 7.1.2.4: DB L Ks_ext_NAF */
GbaSecret    *gba_apdu_parse_naf_derive (const guint8 *data, gsize len, GError **error);

/* MBMS context command data, 7.1.2.5: 53 L mode payload. */
GBytes *gba_apdu_build_mbms_data (guint8 mode, const guint8 *payload, gsize payload_len, GError **error);
/* MBMS operation response: 53 L DB [payload]; the payload (possibly empty) as GBytes. */
GBytes *gba_apdu_parse_mbms_response (const guint8 *data, gsize len, GError **error);

/* GBA context command data: DD L RAND L AUTN (7.1.2.3), DE L NAF_ID L IMPI (7.1.2.4). */
GBytes *gba_apdu_build_gba_bootstrap (const guint8 rand[16], const guint8 autn[16]);
GBytes *gba_apdu_build_naf_derive (GBytes *naf_id, const char *impi, GError **error);

/* The FCP template of a SELECT answer (TS 102 221 11.1.1.3): 62 L {80 size | 82 descriptor}. */
typedef struct {
  gsize file_size;   /* tag 80; 0 when absent */
  gsize record_len;  /* tag 82 of a linear fixed EF; 0 otherwise */
  guint n_records;
} GbaFcp;
gboolean gba_apdu_parse_fcp (const guint8 *data, gsize len, GbaFcp *fcp, GError **error);

/* An EF_DIR record (TS 102 221 13.1): 61 L 4F L AID ...; TRUE and the AID when it is a USIM. */
gboolean gba_apdu_parse_dir_record (const guint8 *data, gsize len, guint8 aid[GBA_AID_MAX], gsize *aid_len);

/* EF_ICCID (TS 102 221 13.2), EF_IMSI (TS 31.102 4.2.2), EF_AD byte 4 (4.2.18). */
char    *gba_apdu_decode_iccid (const guint8 *data, gsize len, GError **error);
char    *gba_apdu_decode_imsi (const guint8 *data, gsize len, GError **error);
gboolean gba_apdu_decode_mnc_len (const guint8 *data, gsize len, guint *mnc_len, GError **error);
/* EF_UST: service n is bit (n-1)%8 of byte (n-1)/8. */
gboolean gba_apdu_ust_has (const guint8 *ust, gsize len, guint service);

/* EF_GBABP, TS 31.102 4.2.79: L RAND, L B-TID, L key lifetime. parse gives the RAND the card
 * stored; build writes all three. */
gboolean gba_apdu_parse_gbabp_rand (const guint8 *data, gsize len, guint8 rand[16], GError **error);
GBytes  *gba_apdu_build_gbabp (const guint8 rand[16], const char *btid, const char *lifetime, GError **error);

/* MSK deletion data (7.1.2.5 mode 03): Key Domain ID (3) || Key Group part of the MSK ID (2);
 * MUK deletion data (mode 04): the MUK ID TLV of 4.2.81, A0 L {80 L Idr, 82 L Idi}. */
GBytes *gba_apdu_build_msk_deletion (const guint8 key_domain_id[3], guint16 key_group);
GBytes *gba_apdu_build_muk_id_tlv (const guint8 *idr, gsize idr_len, const guint8 *idi, gsize idi_len,
                                   GError **error);

/* The error a status word means; never called with 9000. */
void gba_apdu_set_sw_error (GError **error, const char *what, guint16 sw);

G_END_DECLS
