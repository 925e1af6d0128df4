/* AES-ICM (RFC 3711 4.1.1; AES-192 and AES-256 as RFC 6188 adds them) and HMAC-SHA1 (RFC 3711 4.2.1) with
 * OpenSSL 3 EVP, in libsrtp2's cipher and auth type tables (srtp2/cipher.h, srtp2/auth.h).
 *
 * Cost model: the EVP_CIPHER and EVP_MAC are fetched once per process; a context is made once
 * per session key (libsrtp2's alloc + init) and only re-started per packet: a new IV for the
 * cipher, the keyed HMAC state restored for the MAC. Nothing is allocated on the packet path. */
#include "srtp-crypto-ossl.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/crypto_types.h>
#include <string.h>

#define AES_BLOCK_LEN    16
#define AES_128_KEY_LEN  16
#define AES_192_KEY_LEN  24
#define AES_256_KEY_LEN  32
#define SRTP_SALT_LEN    14      /* RFC 3711 4.1.1: n_s = 112 bits */
#define ICM_BLOCKS_PER_IV 0x10000 /* RFC 3711 4.1.1: the 16-bit block counter of one IV */
#define SHA1_LEN         20      /* RFC 3711 4.2.1: HMAC-SHA1 output before truncation */
/* EVP_MAC_init without a key restarts HMAC from the key it has only from OpenSSL 3.0.3 on */
#define OSSL_MAC_REINIT_VERSION 0x30000030L

/* ---------------------------------------------------------------- fetched once */

static EVP_CIPHER *aes_128_ctr, *aes_192_ctr, *aes_256_ctr;
static EVP_MAC    *hmac_mac;

static gpointer
fetch_algorithms (gpointer data)
{
  aes_128_ctr = EVP_CIPHER_fetch (NULL, "AES-128-CTR", NULL);
  aes_192_ctr = EVP_CIPHER_fetch (NULL, "AES-192-CTR", NULL);
  aes_256_ctr = EVP_CIPHER_fetch (NULL, "AES-256-CTR", NULL);
  hmac_mac = EVP_MAC_fetch (NULL, OSSL_MAC_NAME_HMAC, NULL);
  return GINT_TO_POINTER (aes_128_ctr != NULL && aes_192_ctr != NULL && aes_256_ctr != NULL && hmac_mac != NULL);
}

static gboolean
algorithms_fetched (void)
{
  static GOnce once = G_ONCE_INIT;

  return GPOINTER_TO_INT (g_once (&once, fetch_algorithms, NULL));
}

/* ---------------------------------------------------------------- AES-ICM */

typedef struct {
  EVP_CIPHER_CTX *ctx;
  int             key_size;            /* AES key octets; the salt follows it in init's key */
  guint8          offset[AES_BLOCK_LEN]; /* k_s * 2^16: the salt, then two zero octets */
  guint8          counter[AES_BLOCK_LEN];
  gsize           octets_left;         /* keystream left before the 16-bit counter wraps */
} IcmState;

static srtp_err_status_t
icm_alloc (srtp_cipher_pointer_t *cp, int key_len, const srtp_cipher_type_t *type, int key_size)
{
  srtp_cipher_t *c;
  IcmState *s;

  /* libsrtp2 hands the key and the salt together: 30, 38 or 46 octets */
  if (key_len != key_size + SRTP_SALT_LEN)
    return srtp_err_status_bad_param;
  if (!algorithms_fetched ())
    return srtp_err_status_init_fail;
  s = g_new0 (IcmState, 1);
  s->key_size = key_size;
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
icm_alloc_128 (srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
  return icm_alloc (cp, key_len, &srtp_bridge_ossl_aes_icm_128, AES_128_KEY_LEN);
}

static srtp_err_status_t
icm_alloc_192 (srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
  return icm_alloc (cp, key_len, &srtp_bridge_ossl_aes_icm_192, AES_192_KEY_LEN);
}

static srtp_err_status_t
icm_alloc_256 (srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
  return icm_alloc (cp, key_len, &srtp_bridge_ossl_aes_icm_256, AES_256_KEY_LEN);
}

static srtp_err_status_t
icm_dealloc (srtp_cipher_pointer_t c)
{
  IcmState *s = c != NULL ? c->state : NULL;

  return srtp_bridge_ossl_cipher_free (c, s != NULL ? s->ctx : NULL, sizeof *s);
}

srtp_err_status_t
srtp_bridge_ossl_cipher_free (srtp_cipher_pointer_t c, EVP_CIPHER_CTX *ctx, gsize state_size)
{
  if (c == NULL)
    return srtp_err_status_bad_param;
  if (c->state != NULL)
    {
      EVP_CIPHER_CTX_free (ctx); /* OpenSSL wipes the key schedule */
      OPENSSL_cleanse (c->state, state_size);
      g_free (c->state);
    }
  OPENSSL_cleanse (c, sizeof *c);
  g_free (c);
  return srtp_err_status_ok;
}

/* key = AES key || 112-bit salt. The key schedule is built here, once per key. */
static srtp_err_status_t
icm_init (void *state, const uint8_t *key)
{
  IcmState *s = state;
  const EVP_CIPHER *evp = s->key_size == AES_256_KEY_LEN ? aes_256_ctr
                          : s->key_size == AES_192_KEY_LEN ? aes_192_ctr : aes_128_ctr;

  memset (s->offset, 0, sizeof s->offset);
  memcpy (s->offset, key + s->key_size, SRTP_SALT_LEN);
  s->octets_left = 0; /* no keystream before an IV */
  if (!EVP_EncryptInit_ex2 (s->ctx, evp, key, NULL, NULL))
    return srtp_err_status_init_fail;
  return srtp_err_status_ok;
}

/* RFC 3711 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16); libsrtp2 passes all but
 * the salt term, 16 octets. Only the IV changes: the key schedule stays. */
static srtp_err_status_t
icm_set_iv (void *state, uint8_t *iv, srtp_cipher_direction_t direction)
{
  IcmState *s = state;
  guint block;

  for (guint i = 0; i < AES_BLOCK_LEN; i++)
    s->counter[i] = s->offset[i] ^ iv[i];
  block = (guint) s->counter[AES_BLOCK_LEN - 2] << 8 | s->counter[AES_BLOCK_LEN - 1];
  s->octets_left = (gsize) (ICM_BLOCKS_PER_IV - block) * AES_BLOCK_LEN;
  if (!EVP_EncryptInit_ex2 (s->ctx, NULL, NULL, s->counter, NULL))
    return srtp_err_status_cipher_fail;
  return srtp_err_status_ok;
}

/* Counter mode: encryption and decryption are the same XOR with the keystream. Successive
 * calls continue the keystream of one IV. */
static srtp_err_status_t
icm_encrypt (void *state, uint8_t *buffer, unsigned int *octets)
{
  IcmState *s = state;
  int out = 0;

  /* RFC 3711 4.1.1: the block counter is 16 bits; EVP would carry into the IV instead */
  if (*octets > s->octets_left)
    return srtp_err_status_terminus;
  if (*octets == 0)
    return srtp_err_status_ok;
  if (!EVP_EncryptUpdate (s->ctx, buffer, &out, buffer, (int) *octets) || (unsigned int) out != *octets)
    return srtp_err_status_cipher_fail;
  s->octets_left -= *octets;
  return srtp_err_status_ok;
}

/* Known answers, RFC 3711 B.2: the first three and the last three keystream blocks printed. */
static const uint8_t icm_128_key[] = {
  0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
  0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t icm_iv_zero[AES_BLOCK_LEN];
static uint8_t icm_iv_feff[AES_BLOCK_LEN] = { [14] = 0xfe, [15] = 0xff };
static const uint8_t icm_zeros[3 * AES_BLOCK_LEN];
static const uint8_t icm_128_keystream_0[] = {
  0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
  0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
  0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd, 0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0,
};
static const uint8_t icm_128_keystream_feff[] = {
  0xec, 0x8c, 0xdf, 0x73, 0x98, 0x60, 0x7c, 0xb0, 0xf2, 0xd2, 0x16, 0x75, 0xea, 0x9e, 0xa1, 0xe4,
  0x36, 0x2b, 0x7c, 0x3c, 0x67, 0x73, 0x51, 0x63, 0x18, 0xa0, 0x77, 0xd7, 0xfc, 0x50, 0x73, 0xae,
  0x6a, 0x2c, 0xc3, 0x78, 0x78, 0x89, 0x37, 0x4f, 0xbe, 0xb4, 0xc8, 0x1b, 0x17, 0xba, 0x6c, 0x44,
};
static const srtp_cipher_test_case_t icm_128_case_feff = {
  sizeof icm_128_key, icm_128_key, icm_iv_feff, sizeof icm_zeros, icm_zeros,
  sizeof icm_128_keystream_feff, icm_128_keystream_feff, 0, NULL, 0, NULL,
};
static const srtp_cipher_test_case_t icm_128_case_0 = {
  sizeof icm_128_key, icm_128_key, icm_iv_zero, sizeof icm_zeros, icm_zeros,
  sizeof icm_128_keystream_0, icm_128_keystream_0, 0, NULL, 0, &icm_128_case_feff,
};

/* NIST SP 800-38A F.5.3 (CTR-AES192.Encrypt): its initial counter block f0f1..feff is
 * RFC 3711's IV with the salt f0..fd and the block index feff, so four blocks of it are ICM. */
static const uint8_t icm_192_key[] = {
  0x8e, 0x73, 0xb0, 0xf7, 0xda, 0x0e, 0x64, 0x52, 0xc8, 0x10, 0xf3, 0x2b, 0x80, 0x90, 0x79, 0xe5,
  0x62, 0xf8, 0xea, 0xd2, 0x52, 0x2c, 0x6b, 0x7b,
  0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t icm_192_plaintext[] = {
  0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
  0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51,
  0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11, 0xe5, 0xfb, 0xc1, 0x19, 0x1a, 0x0a, 0x52, 0xef,
  0xf6, 0x9f, 0x24, 0x45, 0xdf, 0x4f, 0x9b, 0x17, 0xad, 0x2b, 0x41, 0x7b, 0xe6, 0x6c, 0x37, 0x10,
};
static const uint8_t icm_192_ciphertext[] = {
  0x1a, 0xbc, 0x93, 0x24, 0x17, 0x52, 0x1c, 0xa2, 0x4f, 0x2b, 0x04, 0x59, 0xfe, 0x7e, 0x6e, 0x0b,
  0x09, 0x03, 0x39, 0xec, 0x0a, 0xa6, 0xfa, 0xef, 0xd5, 0xcc, 0xc2, 0xc6, 0xf4, 0xce, 0x8e, 0x94,
  0x1e, 0x36, 0xb2, 0x6b, 0xd1, 0xeb, 0xc6, 0x70, 0xd1, 0xbd, 0x1d, 0x66, 0x56, 0x20, 0xab, 0xf7,
  0x4f, 0x78, 0xa7, 0xf6, 0xd2, 0x98, 0x09, 0x58, 0x5a, 0x97, 0xda, 0xec, 0x58, 0xc6, 0xb0, 0x50,
};
static const srtp_cipher_test_case_t icm_192_case_feff = {
  sizeof icm_192_key, icm_192_key, icm_iv_feff, sizeof icm_192_plaintext, icm_192_plaintext,
  sizeof icm_192_ciphertext, icm_192_ciphertext, 0, NULL, 0, NULL,
};

/* RFC 6188 7.1: AES-256-CM keystream, the three blocks printed. */
static const uint8_t icm_256_key[] = {
  0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70, 0xa8, 0x5e, 0xc9, 0x3c, 0x40, 0xb1, 0xf0, 0x92,
  0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82, 0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98,
  0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t icm_256_keystream_0[] = {
  0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25, 0x11, 0xc6, 0x77, 0xd0, 0x8b, 0x55, 0x15, 0xa4,
  0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6, 0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac,
  0x63, 0xc4, 0x86, 0x8b, 0x70, 0x96, 0xd8, 0x84, 0x21, 0xb5, 0x63, 0xb8, 0xc9, 0x4c, 0x9a, 0x31,
};
static const srtp_cipher_test_case_t icm_256_case_0 = {
  sizeof icm_256_key, icm_256_key, icm_iv_zero, sizeof icm_zeros, icm_zeros,
  sizeof icm_256_keystream_0, icm_256_keystream_0, 0, NULL, 0, NULL,
};

const srtp_cipher_type_t srtp_bridge_ossl_aes_icm_128 = {
  .alloc = icm_alloc_128, .dealloc = icm_dealloc, .init = icm_init, .encrypt = icm_encrypt,
  .decrypt = icm_encrypt, .set_iv = icm_set_iv, .description = "AES-128 counter mode (OpenSSL EVP, mbmsd)",
  .test_data = &icm_128_case_0, .id = SRTP_AES_ICM_128,
};

const srtp_cipher_type_t srtp_bridge_ossl_aes_icm_192 = {
  .alloc = icm_alloc_192, .dealloc = icm_dealloc, .init = icm_init, .encrypt = icm_encrypt,
  .decrypt = icm_encrypt, .set_iv = icm_set_iv, .description = "AES-192 counter mode (OpenSSL EVP, mbmsd)",
  .test_data = &icm_192_case_feff, .id = SRTP_AES_ICM_192,
};

const srtp_cipher_type_t srtp_bridge_ossl_aes_icm_256 = {
  .alloc = icm_alloc_256, .dealloc = icm_dealloc, .init = icm_init, .encrypt = icm_encrypt,
  .decrypt = icm_encrypt, .set_iv = icm_set_iv, .description = "AES-256 counter mode (OpenSSL EVP, mbmsd)",
  .test_data = &icm_256_case_0, .id = SRTP_AES_ICM_256,
};

/* ---------------------------------------------------------------- HMAC-SHA1 */

typedef struct {
  EVP_MAC_CTX *ctx;
} HmacState;

static srtp_err_status_t
hmac_alloc (srtp_auth_pointer_t *ap, int key_len, int out_len)
{
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (char *) "SHA1", 0),
    OSSL_PARAM_construct_end (),
  };
  srtp_auth_t *a;
  HmacState *s;

  if (key_len < 0 || out_len < 0 || out_len > SHA1_LEN)
    return srtp_err_status_bad_param;
  if (!algorithms_fetched ())
    return srtp_err_status_init_fail;
  s = g_new0 (HmacState, 1);
  s->ctx = EVP_MAC_CTX_new (hmac_mac);
  /* the digest is chosen here, once per context, not per key or packet */
  if (s->ctx == NULL || !EVP_MAC_CTX_set_params (s->ctx, params))
    {
      EVP_MAC_CTX_free (s->ctx);
      g_free (s);
      return srtp_err_status_alloc_fail;
    }
  a = g_new0 (srtp_auth_t, 1);
  a->type = &srtp_bridge_ossl_hmac_sha1;
  a->state = s;
  a->out_len = out_len;
  a->key_len = key_len;
  a->prefix_len = 0;
  *ap = a;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_dealloc (srtp_auth_pointer_t a)
{
  HmacState *s;

  if (a == NULL)
    return srtp_err_status_bad_param;
  s = a->state;
  if (s != NULL)
    {
      EVP_MAC_CTX_free (s->ctx); /* OpenSSL wipes the keyed pads */
      OPENSSL_cleanse (s, sizeof *s);
      g_free (s);
    }
  OPENSSL_cleanse (a, sizeof *a);
  g_free (a);
  return srtp_err_status_ok;
}

/* The key's inner and outer pads are computed here, once per key. */
static srtp_err_status_t
hmac_init (void *state, const uint8_t *key, int key_len)
{
  HmacState *s = state;

  if (key_len < 0 || !EVP_MAC_init (s->ctx, key, (size_t) key_len, NULL))
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

/* Per packet: back to the keyed state, no key processing. */
static srtp_err_status_t
hmac_start (void *state)
{
  HmacState *s = state;

  if (!EVP_MAC_init (s->ctx, NULL, 0, NULL))
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_update (void *state, const uint8_t *message, int octets)
{
  HmacState *s = state;

  if (octets < 0 || !EVP_MAC_update (s->ctx, message, (size_t) octets))
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

/* RFC 3711 4.2.1: the tag is the tag_len leftmost octets of the HMAC. */
static srtp_err_status_t
hmac_compute (void *state, const uint8_t *message, int octets, int tag_len, uint8_t *tag)
{
  HmacState *s = state;
  guint8 mac[SHA1_LEN];
  size_t mac_len = 0;
  srtp_err_status_t st = srtp_err_status_ok;

  if (tag_len < 0 || tag_len > SHA1_LEN)
    return srtp_err_status_bad_param;
  if (octets < 0 || !EVP_MAC_update (s->ctx, message, (size_t) octets)
      || !EVP_MAC_final (s->ctx, mac, &mac_len, sizeof mac) || mac_len != SHA1_LEN)
    st = srtp_err_status_auth_fail;
  else
    memcpy (tag, mac, (size_t) tag_len);
  OPENSSL_cleanse (mac, sizeof mac);
  return st;
}

/* Known answers, RFC 2202 3: test cases 1, 2 and 6 (a key longer than the block). */
static const uint8_t hmac_key_1[20] = {
  0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
  0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t hmac_data_1[] = "Hi There";
static const uint8_t hmac_tag_1[] = {
  0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
  0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const uint8_t hmac_key_2[] = "Jefe";
static const uint8_t hmac_data_2[] = "what do ya want for nothing?";
static const uint8_t hmac_tag_2[] = {
  0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
  0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const uint8_t hmac_key_6[80] = {
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
};
static const uint8_t hmac_data_6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
static const uint8_t hmac_tag_6[] = {
  0xaa, 0x4a, 0xe5, 0xe1, 0x52, 0x72, 0xd0, 0x0e, 0x95, 0x70,
  0x56, 0x37, 0xce, 0x8a, 0x3b, 0x55, 0xed, 0x40, 0x21, 0x12,
};
static const srtp_auth_test_case_t hmac_case_6 = {
  sizeof hmac_key_6, hmac_key_6, sizeof hmac_data_6 - 1, hmac_data_6, sizeof hmac_tag_6, hmac_tag_6, NULL,
};
static const srtp_auth_test_case_t hmac_case_2 = {
  sizeof hmac_key_2 - 1, hmac_key_2, sizeof hmac_data_2 - 1, hmac_data_2, sizeof hmac_tag_2, hmac_tag_2,
  &hmac_case_6,
};
static const srtp_auth_test_case_t hmac_case_1 = {
  sizeof hmac_key_1, hmac_key_1, sizeof hmac_data_1 - 1, hmac_data_1, sizeof hmac_tag_1, hmac_tag_1,
  &hmac_case_2,
};

const srtp_auth_type_t srtp_bridge_ossl_hmac_sha1 = {
  .alloc = hmac_alloc, .dealloc = hmac_dealloc, .init = hmac_init, .compute = hmac_compute,
  .update = hmac_update, .start = hmac_start, .description = "HMAC-SHA1 (OpenSSL EVP_MAC, mbmsd)",
  .test_data = &hmac_case_1, .id = SRTP_HMAC_SHA1,
};

/* ---------------------------------------------------------------- registration */

gboolean
srtp_bridge_crypto_ossl_register (void)
{
  static const struct { const srtp_cipher_type_t *type; const char *name; } ciphers[] = {
    { &srtp_bridge_ossl_aes_icm_128, "AES-ICM-128" },
    { &srtp_bridge_ossl_aes_icm_192, "AES-ICM-192" },
    { &srtp_bridge_ossl_aes_icm_256, "AES-ICM-256" },
    { &srtp_bridge_ossl_aes_gcm_128, "AES-GCM-128" },
    { &srtp_bridge_ossl_aes_gcm_256, "AES-GCM-256" },
  };
  srtp_err_status_t st;

  if (OpenSSL_version_num () < OSSL_MAC_REINIT_VERSION)
    {
      g_warning ("OpenSSL %s cannot restart an HMAC without its key; libsrtp2 keeps its own crypto",
                 OpenSSL_version (OPENSSL_VERSION_STRING));
      return FALSE;
    }
  if (!algorithms_fetched ())
    {
      g_warning ("OpenSSL has no AES-CTR or HMAC; libsrtp2 keeps its own crypto");
      return FALSE;
    }
  /* libsrtp2 runs each type's self-test and the replaced type's vectors before it takes it */
  for (guint i = 0; i < G_N_ELEMENTS (ciphers); i++)
    if ((st = srtp_replace_cipher_type (ciphers[i].type, ciphers[i].type->id)) != srtp_err_status_ok)
      {
        g_warning ("libsrtp2 refused the OpenSSL %s (status %d); it keeps its own", ciphers[i].name, st);
        return FALSE;
      }
  if ((st = srtp_replace_auth_type (&srtp_bridge_ossl_hmac_sha1, SRTP_HMAC_SHA1)) != srtp_err_status_ok)
    {
      g_warning ("libsrtp2 refused the OpenSSL HMAC-SHA1 (status %d); it keeps its own", st);
      return FALSE;
    }
  g_debug ("libsrtp2 uses OpenSSL %s for AES-ICM-128/192/256, AES-GCM-128/256 and HMAC-SHA1", OpenSSL_version (OPENSSL_VERSION_STRING));
  return TRUE;
}
