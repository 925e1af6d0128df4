/* AES-GCM for SRTP (RFC 7714) with OpenSSL 3 EVP, as libsrtp2's AEAD cipher types
 * (srtp2/cipher.h: set_aad, encrypt, get_tag, decrypt over ciphertext || tag).
 *
 * TS 33.246 protects MBMS streams with AES-CM and HMAC-SHA1, so no mbmsd session uses GCM. The
 * types exist because libsrtp2's crypto kernel loads and self-tests an AES-GCM type at
 * srtp_init: linked statically without its NSS objects (srtp-crypto-kernel.c), it takes these.
 * Same cost model as the AES-ICM types: the EVP_CIPHER fetched once, a context per key. */
#include "srtp-crypto-ossl.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/crypto_types.h>
#include <string.h>

#define GCM_AES_128_KEY_LEN 16
#define GCM_AES_256_KEY_LEN 32
#define GCM_SALT_LEN        12 /* RFC 7714 8.1: the 96-bit salt; libsrtp2 appends it to the key */
#define GCM_IV_LEN          12 /* RFC 7714 8.1: the 12-octet IV */
#define GCM_TAG_LEN         16 /* RFC 7714 14.2: AEAD_AES_*_GCM */
#define GCM_TAG_LEN_8        8 /* RFC 7714 14.2: the _8 variants libsrtp2 also offers */

static EVP_CIPHER *aes_128_gcm, *aes_256_gcm;

static gpointer
fetch_gcm (gpointer data)
{
  aes_128_gcm = EVP_CIPHER_fetch (NULL, "AES-128-GCM", NULL);
  aes_256_gcm = EVP_CIPHER_fetch (NULL, "AES-256-GCM", NULL);
  return GINT_TO_POINTER (aes_128_gcm != NULL && aes_256_gcm != NULL);
}

static gboolean
gcm_fetched (void)
{
  static GOnce once = G_ONCE_INIT;

  return GPOINTER_TO_INT (g_once (&once, fetch_gcm, NULL));
}

typedef struct {
  EVP_CIPHER_CTX *ctx;
  int             key_size;
  int             tag_len;
} GcmState;

static srtp_err_status_t
gcm_alloc (srtp_cipher_pointer_t *cp, int key_len, int tag_len, const srtp_cipher_type_t *type, int key_size)
{
  srtp_cipher_t *c;
  GcmState *s;

  if (key_len != key_size + GCM_SALT_LEN || (tag_len != GCM_TAG_LEN && tag_len != GCM_TAG_LEN_8))
    return srtp_err_status_bad_param;
  if (!gcm_fetched ())
    return srtp_err_status_init_fail;
  s = g_new0 (GcmState, 1);
  s->key_size = key_size;
  s->tag_len = tag_len;
  s->ctx = EVP_CIPHER_CTX_new ();
  if (s->ctx == NULL)
    {
      g_free (s);
      return srtp_err_status_alloc_fail;
    }
  c = g_new0 (srtp_cipher_t, 1);
  c->type = type;
  c->state = s;
  c->key_len = key_len;
  c->algorithm = type->id;
  *cp = c;
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_alloc_128 (srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
  return gcm_alloc (cp, key_len, tag_len, &srtp_bridge_ossl_aes_gcm_128, GCM_AES_128_KEY_LEN);
}

static srtp_err_status_t
gcm_alloc_256 (srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
  return gcm_alloc (cp, key_len, tag_len, &srtp_bridge_ossl_aes_gcm_256, GCM_AES_256_KEY_LEN);
}

static srtp_err_status_t
gcm_dealloc (srtp_cipher_pointer_t c)
{
  GcmState *s = c != NULL ? c->state : NULL;

  return srtp_bridge_ossl_cipher_free (c, s != NULL ? s->ctx : NULL, sizeof *s);
}

/* key = AES key || salt; the salt goes into the IV, which libsrtp2 forms itself (RFC 7714 8.1) */
static srtp_err_status_t
gcm_init (void *state, const uint8_t *key)
{
  GcmState *s = state;
  const EVP_CIPHER *evp = s->key_size == GCM_AES_256_KEY_LEN ? aes_256_gcm : aes_128_gcm;

  if (!EVP_CipherInit_ex2 (s->ctx, evp, key, NULL, 1, NULL))
    return srtp_err_status_init_fail;
  return srtp_err_status_ok;
}

/* A new 12-octet IV starts a message: the key schedule stays, GHASH starts again. */
static srtp_err_status_t
gcm_set_iv (void *state, uint8_t *iv, srtp_cipher_direction_t direction)
{
  GcmState *s = state;

  if (direction != srtp_direction_encrypt && direction != srtp_direction_decrypt)
    return srtp_err_status_bad_param;
  if (!EVP_CipherInit_ex2 (s->ctx, NULL, NULL, iv, direction == srtp_direction_encrypt, NULL))
    return srtp_err_status_cipher_fail;
  return srtp_err_status_ok;
}

/* libsrtp2 may call this more than once per message (SRTCP: the header, then the index). */
static srtp_err_status_t
gcm_set_aad (void *state, const uint8_t *aad, uint32_t aad_len)
{
  GcmState *s = state;
  int out = 0;

  if (aad_len > G_MAXINT || !EVP_CipherUpdate (s->ctx, NULL, &out, aad, (int) aad_len))
    return srtp_err_status_algo_fail;
  return srtp_err_status_ok;
}

/* Encrypts in place and finishes the message, so that get_tag can hand out its tag. A zero
 * length (SRTCP sent unencrypted: all of it is AAD) only finishes. */
static srtp_err_status_t
gcm_encrypt (void *state, uint8_t *buffer, unsigned int *octets)
{
  GcmState *s = state;
  guint8 none[1];
  int out = 0, last = 0;

  if (*octets > G_MAXINT)
    return srtp_err_status_bad_param;
  if (*octets > 0 && (!EVP_CipherUpdate (s->ctx, buffer, &out, buffer, (int) *octets) || (unsigned int) out != *octets))
    return srtp_err_status_cipher_fail;
  if (!EVP_CipherFinal_ex (s->ctx, none, &last) || last != 0)
    return srtp_err_status_cipher_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_get_tag (void *state, uint8_t *tag, uint32_t *len)
{
  GcmState *s = state;

  if (EVP_CIPHER_CTX_ctrl (s->ctx, EVP_CTRL_AEAD_GET_TAG, s->tag_len, tag) <= 0)
    return srtp_err_status_algo_fail;
  *len = (uint32_t) s->tag_len;
  return srtp_err_status_ok;
}

/* buffer = ciphertext || tag; on success *octets becomes the plaintext's length. Nothing is
 * trusted before the tag verified: a wrong tag is auth_fail. */
static srtp_err_status_t
gcm_decrypt (void *state, uint8_t *buffer, unsigned int *octets)
{
  GcmState *s = state;
  unsigned int text;
  guint8 none[1];
  int out = 0, last = 0;

  if (*octets < (unsigned int) s->tag_len || *octets > G_MAXINT)
    return srtp_err_status_bad_param;
  text = *octets - (unsigned int) s->tag_len;
  if (EVP_CIPHER_CTX_ctrl (s->ctx, EVP_CTRL_AEAD_SET_TAG, s->tag_len, buffer + text) <= 0)
    return srtp_err_status_algo_fail;
  if (text > 0 && (!EVP_CipherUpdate (s->ctx, buffer, &out, buffer, (int) text) || (unsigned int) out != text))
    return srtp_err_status_cipher_fail;
  if (!EVP_CipherFinal_ex (s->ctx, none, &last))
    return srtp_err_status_auth_fail;
  *octets = text;
  return srtp_err_status_ok;
}

/* Known answers: test cases 4 (AES-128) and 16 (AES-256) of McGrew and Viega, "The Galois/Counter
 * Mode of Operation", the source of NIST SP 800-38D's vectors: 60 octets, 20 octets of AAD.
 * libsrtp2's key is the AES key followed by the 12 octets of salt, unused here (the IV is given). */
static const uint8_t gcm_128_key[GCM_AES_128_KEY_LEN + GCM_SALT_LEN] = {
  0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
};
static const uint8_t gcm_256_key[GCM_AES_256_KEY_LEN + GCM_SALT_LEN] = {
  0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
  0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
};
static uint8_t gcm_iv[GCM_IV_LEN] = {
  0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88,
};
static const uint8_t gcm_plaintext[60] = {
  0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a,
  0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72,
  0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
  0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
};
static const uint8_t gcm_aad[20] = {
  0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef,
  0xab, 0xad, 0xda, 0xd2,
};
static const uint8_t gcm_128_ciphertext[60 + GCM_TAG_LEN] = {
  0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7, 0x84, 0xd0, 0xd4, 0x9c,
  0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0, 0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac, 0xa1, 0x2e,
  0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93, 0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac, 0x84, 0xaa, 0x05,
  0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91,
  /* tag */
  0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb, 0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47,
};
static const uint8_t gcm_256_ciphertext[60 + GCM_TAG_LEN] = {
  0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07, 0xf4, 0x7f, 0x37, 0xa3, 0x2a, 0x84, 0x42, 0x7d,
  0x64, 0x3a, 0x8c, 0xdc, 0xbf, 0xe5, 0xc0, 0xc9, 0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55, 0xd1, 0xaa,
  0x8c, 0xb0, 0x8e, 0x48, 0x59, 0x0d, 0xbb, 0x3d, 0xa7, 0xb0, 0x8b, 0x10, 0x56, 0x82, 0x88, 0x38,
  0xc5, 0xf6, 0x1e, 0x63, 0x93, 0xba, 0x7a, 0x0a, 0xbc, 0xc9, 0xf6, 0x62,
  /* tag */
  0x76, 0xfc, 0x6e, 0xce, 0x0f, 0x4e, 0x17, 0x68, 0xcd, 0xdf, 0x88, 0x53, 0xbb, 0x2d, 0x55, 0x1b,
};
static const srtp_cipher_test_case_t gcm_128_case_4 = {
  sizeof gcm_128_key, gcm_128_key, gcm_iv, sizeof gcm_plaintext, gcm_plaintext,
  sizeof gcm_128_ciphertext, gcm_128_ciphertext, sizeof gcm_aad, gcm_aad, GCM_TAG_LEN, NULL,
};
static const srtp_cipher_test_case_t gcm_256_case_16 = {
  sizeof gcm_256_key, gcm_256_key, gcm_iv, sizeof gcm_plaintext, gcm_plaintext,
  sizeof gcm_256_ciphertext, gcm_256_ciphertext, sizeof gcm_aad, gcm_aad, GCM_TAG_LEN, NULL,
};

const srtp_cipher_type_t srtp_bridge_ossl_aes_gcm_128 = {
  .alloc = gcm_alloc_128, .dealloc = gcm_dealloc, .init = gcm_init, .set_aad = gcm_set_aad,
  .encrypt = gcm_encrypt, .decrypt = gcm_decrypt, .set_iv = gcm_set_iv, .get_tag = gcm_get_tag,
  .description = "AES-128 GCM (OpenSSL EVP, mbmsd)", .test_data = &gcm_128_case_4, .id = SRTP_AES_GCM_128,
};

const srtp_cipher_type_t srtp_bridge_ossl_aes_gcm_256 = {
  .alloc = gcm_alloc_256, .dealloc = gcm_dealloc, .init = gcm_init, .set_aad = gcm_set_aad,
  .encrypt = gcm_encrypt, .decrypt = gcm_decrypt, .set_iv = gcm_set_iv, .get_tag = gcm_get_tag,
  .description = "AES-256 GCM (OpenSSL EVP, mbmsd)", .test_data = &gcm_256_case_16, .id = SRTP_AES_GCM_256,
};
