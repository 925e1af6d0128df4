/* The DCF of MBMS download, TS 33.246 6.6.3.2 on OMA DRM v2.0 DCF. Box layouts as read in
 * docs/interpretations.md ("Lab: DCF writer"):
 *
 *   ftyp  major 'odcf', minor 0x00000002 (MBMS download), compatible 'odcf'
 *   odrm  FullBox: OMADRMContainer
 *     odhe  FullBox: ContentTypeLength (8), ContentType, then
 *       ohdr  FullBox: EncryptionMethod (8), PaddingScheme (8), PlaintextLength (64),
 *             ContentIDLength, RightsIssuerURLLength, TextualHeadersLength (16 each), the
 *             three strings, then ExtendedHeaders (boxes): 'obki'
 *     odda  FullBox: EncryptedDataLength (64), EncryptedData
 *   mdri  Box: Mutable DRM information
 *     odfs  FullBox: SignatureMethod (8) 0x01 HMAC-SHA1, Signature (20)
 *
 * The signature covers every octet before 'mdri' (OMA DRM v2.0 DCF 5.3 as 6.6.3.2 cites it). */
#include "lab-dcf.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

#define DCF_MINOR_MBMS          0x00000002u /* TS 33.246 6.6.3.2 */
#define DCF_PADDING_NONE        0x00
#define DCF_PADDING_RFC2630     0x01
#define ODFS_HMAC_SHA1          0x01        /* TS 33.246 6.6.3.2, SignatureMethod */
#define OBKI_KEY_ISSUER_PRESENT 0x80        /* the flags octet, docs/interpretations.md */
#define OBKI_KEY_ID_TYPE_MBMS   0x02        /* reserved by OMA BCAST for 3GPP MBMS */
#define AES_BLOCK               16

static void
put_u8 (GByteArray *b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

static void
put_u16 (GByteArray *b, guint16 v)
{
  guint8 x[2] = { v >> 8, v & 0xff };
  g_byte_array_append (b, x, 2);
}

static void
put_u32 (GByteArray *b, guint32 v)
{
  guint8 x[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append (b, x, 4);
}

static void
put_u64 (GByteArray *b, guint64 v)
{
  put_u32 (b, (guint32) (v >> 32));
  put_u32 (b, (guint32) v);
}

/* Starts a box (FullBox when full): the size is filled in by box_end. */
static guint
box_begin (GByteArray *b, const char type[4], gboolean full)
{
  guint at = b->len;
  put_u32 (b, 0);
  g_byte_array_append (b, (const guint8 *) type, 4);
  if (full)
    put_u32 (b, 0); /* version 0, flags 0 */
  return at;
}

static void
box_end (GByteArray *b, guint at)
{
  guint32 size = b->len - at;
  b->data[at] = size >> 24;
  b->data[at + 1] = size >> 16;
  b->data[at + 2] = size >> 8;
  b->data[at + 3] = size;
}

static char *
key_id_base64 (const LabDcfParams *p)
{
  guint8 raw[9];
  memcpy (raw, p->key_domain, 3);
  raw[3] = p->msk_id >> 24;
  raw[4] = p->msk_id >> 16;
  raw[5] = p->msk_id >> 8;
  raw[6] = p->msk_id;
  raw[7] = p->mtk_id >> 8;
  raw[8] = p->mtk_id;
  return g_base64_encode (raw, sizeof raw);
}

/* OMABCASTKeyInfoBox as 6.6.3.2 fills it: KeyIssuerPresent as given, STKMPresent,
 * TBKPresent and TBKIssuerURLPresent 0, KeyIDType 0x02, KeyID the base64 text. */
static void
put_obki (GByteArray *b, const LabDcfParams *p)
{
  g_autofree char *key_id = key_id_base64 (p);
  guint at = box_begin (b, "obki", TRUE);

  put_u8 (b, p->key_issuer_url != NULL ? OBKI_KEY_ISSUER_PRESENT : 0);
  put_u8 (b, OBKI_KEY_ID_TYPE_MBMS);
  put_u16 (b, (guint16) strlen (key_id));
  g_byte_array_append (b, (const guint8 *) key_id, (guint) strlen (key_id));
  if (p->key_issuer_url != NULL)
    {
      put_u16 (b, (guint16) strlen (p->key_issuer_url));
      g_byte_array_append (b, (const guint8 *) p->key_issuer_url, (guint) strlen (p->key_issuer_url));
    }
  box_end (b, at);
}

GBytes *
lab_dcf_obki (const LabDcfParams *p)
{
  GByteArray *b = g_byte_array_new ();
  put_obki (b, p);
  return g_byte_array_free_to_bytes (b);
}

/* EncryptedData: IV or initial counter || ciphertext; the plaintext itself for NULL. */
static GBytes *
encrypt (const LabDcfParams *p, const LabDcfKeys *keys, GBytes *plaintext)
{
  gsize len;
  const guint8 *in = g_bytes_get_data (plaintext, &len);
  guint8 *out;
  int n = 0, tail = 0;
  EVP_CIPHER_CTX *ctx;

  if (p->method == LAB_DCF_NULL)
    return g_bytes_ref (plaintext);
  out = g_malloc (AES_BLOCK + len + AES_BLOCK);
  RAND_bytes (out, AES_BLOCK);
  if (p->method == LAB_DCF_AES_128_CTR)
    out[AES_BLOCK - 1] = 0xf0; /* a carry through the low octets within a few blocks */
  ctx = EVP_CIPHER_CTX_new ();
  g_assert (ctx != NULL);
  EVP_EncryptInit_ex (ctx, p->method == LAB_DCF_AES_128_CBC ? EVP_aes_128_cbc () : EVP_aes_128_ctr (), NULL,
                      gba_secret_get_data (keys->encr_key, NULL), out);
  /* CBC: OpenSSL's padding is PKCS #7, the padding of RFC 2630 6.3 */
  EVP_CIPHER_CTX_set_padding (ctx, p->method == LAB_DCF_AES_128_CBC);
  EVP_EncryptUpdate (ctx, out + AES_BLOCK, &n, in, (int) len);
  EVP_EncryptFinal_ex (ctx, out + AES_BLOCK + n, &tail);
  EVP_CIPHER_CTX_free (ctx);
  return g_bytes_new_take (out, AES_BLOCK + (gsize) n + (gsize) tail);
}

GBytes *
lab_dcf_write (const LabDcfParams *p, const LabDcfKeys *keys, GBytes *plaintext)
{
  GByteArray *b = g_byte_array_new ();
  g_autoptr(GBytes) data = encrypt (p, keys, plaintext);
  const char *ctype = p->content_type != NULL ? p->content_type : "application/octet-stream";
  const char *cid = p->content_id != NULL ? p->content_id : "";
  guint odrm, odhe, ohdr, odda, mdri, odfs;
  guint8 mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;

  /* Fixed DCF header */
  guint ftyp = box_begin (b, "ftyp", FALSE);
  g_byte_array_append (b, (const guint8 *) "odcf", 4);
  put_u32 (b, DCF_MINOR_MBMS);
  g_byte_array_append (b, (const guint8 *) "odcf", 4);
  box_end (b, ftyp);

  /* OMA DRM Container */
  odrm = box_begin (b, "odrm", TRUE);
  odhe = box_begin (b, "odhe", TRUE);
  put_u8 (b, (guint8) strlen (ctype));
  g_byte_array_append (b, (const guint8 *) ctype, (guint) strlen (ctype));
  ohdr = box_begin (b, "ohdr", TRUE);
  put_u8 (b, (guint8) p->method);
  put_u8 (b, p->method == LAB_DCF_AES_128_CBC ? DCF_PADDING_RFC2630 : DCF_PADDING_NONE);
  put_u64 (b, g_bytes_get_size (plaintext));
  put_u16 (b, (guint16) strlen (cid));
  put_u16 (b, 0); /* RightsIssuerURL: not used (6.6.3.2, the key issuer is in 'obki') */
  put_u16 (b, 0); /* TextualHeaders: none */
  g_byte_array_append (b, (const guint8 *) cid, (guint) strlen (cid));
  put_obki (b, p); /* ExtendedHeaders */
  box_end (b, ohdr);
  box_end (b, odhe);
  odda = box_begin (b, "odda", TRUE);
  put_u64 (b, g_bytes_get_size (data));
  g_byte_array_append (b, g_bytes_get_data (data, NULL), (guint) g_bytes_get_size (data));
  box_end (b, odda);
  box_end (b, odrm);

  /* Mutable DRM information with the OMADRMSignature over everything before it */
  HMAC (EVP_sha1 (), gba_secret_get_data (keys->auth_key, NULL), (int) gba_secret_get_size (keys->auth_key),
        b->data, b->len, mac, &mac_len);
  if (p->bad_signature)
    mac[0] ^= 0x01;
  mdri = box_begin (b, "mdri", FALSE);
  odfs = box_begin (b, "odfs", TRUE);
  put_u8 (b, ODFS_HMAC_SHA1);
  g_byte_array_append (b, mac, mac_len);
  box_end (b, odfs);
  box_end (b, mdri);
  OPENSSL_cleanse (mac, sizeof mac);
  return g_byte_array_free_to_bytes (b);
}
