/* The lab's DCF writer: OMA DRM v2 DCF files as TS 33.246 6.6.3.2 profiles them for MBMS
 * download (minor version 0x00000002, no Rights Objects, keys from the MTK, the 'obki' key ID
 * in the ExtendedHeaders, an 'odfs' HMAC-SHA1 signature in 'mdri'). Written from the
 * specification and the box layouts in docs/interpretations.md ("Lab: DCF writer"), apart
 * from mbmsd's receiver, so the two check each other. */
#pragma once

#include "gba.h"

/* OMA DRM v2 DCF, OMADRMCommonHeaders EncryptionMethod and PaddingScheme */
typedef enum {
  LAB_DCF_NULL        = 0x00, /* integrity only: EncryptedData is the plaintext */
  LAB_DCF_AES_128_CBC = 0x01, /* IV || ciphertext, RFC 2630 padding */
  LAB_DCF_AES_128_CTR = 0x02, /* initial counter || ciphertext, no padding */
} LabDcfEncryption;

#define LAB_DCF_ENCR_KEY_LEN 16 /* AES-128 */
#define LAB_DCF_AUTH_KEY_LEN 20 /* HMAC-SHA1, 160 bits */

typedef struct {
  GbaSecret *encr_key;
  GbaSecret *auth_key;
} LabDcfKeys;

/* TS 33.246 6.5.4: RFC 3830 4.1.3 with inkey = MTK, cs_id 0, the CSB ID of the MTK message and
 * the MIKEY-RAND of its MSK. The lab's own PRF (RFC 3830 4.1.2), not mgv's. */
void lab_dcf_keys_derive (const GbaSecret *mtk, guint32 csb_id, GBytes *rand, LabDcfKeys *out);
void lab_dcf_keys_clear (LabDcfKeys *keys);

typedef struct {
  LabDcfEncryption method;
  const char      *content_type;   /* odhe ContentType, e.g. "text/plain" */
  const char      *content_id;     /* ohdr ContentID, e.g. "cid:news-1@lab.mbmsd.test" */
  const char      *key_issuer_url; /* obki KeyIssuerURL; NULL: KeyIssuerPresent 0 */
  guint8           key_domain[3];  /* KeyID = base64 (Key Domain ID || MSK ID || MTK ID) */
  guint32          msk_id;
  guint16          mtk_id;
  gboolean         bad_signature;  /* for tests: the signature's first octet flipped */
} LabDcfParams;

/* A whole DCF: ftyp, odrm (odhe with ohdr and obki, odda), mdri (odfs). */
GBytes *lab_dcf_write (const LabDcfParams *p, const LabDcfKeys *keys, GBytes *plaintext);

/* The 'obki' OMABCASTKeyInfoBox alone (exposed for tests). */
GBytes *lab_dcf_obki (const LabDcfParams *p);
