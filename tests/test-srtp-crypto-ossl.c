/* The OpenSSL AES-ICM, AES-GCM and HMAC-SHA1 types of srtp-bridge (srtp-crypto-ossl*.c) against the RFC
 * vectors (RFC 3711 B.2 and B.3 from ../shared/vectors/srtp-rfc3711.txt, RFC 2202 from
 * tests/data/hmac-sha1-rfc2202.txt), libsrtp2's own self-tests and vectors, and libsrtp2 with
 * its own (Debian: NSS) types as the oracle: sessions made in main() before the replacement
 * keep those types, and must agree octet for octet with sessions made after it. */
#include <openssl/crypto.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/crypto_types.h>
#include <srtp2/srtp.h>
#include <string.h>

#include "srtp-bridge.h"
#include "srtp-crypto-ossl.h"
#include "test-util.h"

/* Exported by libsrtp2.so but declared only in its uninstalled crypto_kernel.h: the type the
 * crypto kernel hands out for an id. */
const srtp_cipher_type_t *srtp_crypto_kernel_get_cipher_type (srtp_cipher_type_id_t id);
const srtp_auth_type_t   *srtp_crypto_kernel_get_auth_type (srtp_auth_type_id_t id);

#define MKI_LEN SRTP_BRIDGE_MKI_LEN

/* libsrtp2's own types and sessions, taken in main() before anything replaced them */
static const srtp_cipher_type_t *libsrtp_icm_128, *libsrtp_icm_192, *libsrtp_icm_256, *libsrtp_gcm_128, *libsrtp_gcm_256;
static const srtp_auth_type_t   *libsrtp_hmac;

typedef struct {
  const char *name;
  guint       key_len; /* master key octets, 16, 24 or 32 */
  guint       tag_len; /* 10 or 4; GCM: its 16-octet tag, not an HMAC */
  gboolean    gcm;     /* RFC 7714 AEAD (not in the TS 33.246 profile; libsrtp2's kernel loads it) */
  srtp_t      ref_tx, ref_rx;
  guint8      master[32 + 14];
} Config;

static Config configs[] = {
  { .name = "aes-cm-128-hmac-sha1-80", .key_len = 16, .tag_len = 10 },
  { .name = "aes-cm-128-hmac-sha1-32", .key_len = 16, .tag_len = 4 },
  { .name = "aes-cm-192-hmac-sha1-80", .key_len = 24, .tag_len = 10 },
  { .name = "aes-cm-256-hmac-sha1-80", .key_len = 32, .tag_len = 10 },
  { .name = "aes-cm-256-hmac-sha1-32", .key_len = 32, .tag_len = 4 },
  { .name = "aes-gcm-128-16", .key_len = 16, .tag_len = 16, .gcm = TRUE },
  { .name = "aes-gcm-256-16", .key_len = 32, .tag_len = 16, .gcm = TRUE },
};
static const guint8 mki[MKI_LEN] = { 0, 1, 0, 2, 0, 7 };

/* ---------------------------------------------------------------- RFC vectors */

static void
test_icm_128_rfc3711_b2 (void)
{
  g_autofree char *text = test_vectors_read ("srtp-rfc3711.txt");
  g_autofree char *key_hex = test_vectors_field (text, "A.1", "Session key");
  g_autofree char *salt_hex = test_vectors_field (text, "A.1", "Session salt");
  g_auto(GStrv) lines = g_strsplit (strstr (text, "A.1"), "\n", -1);
  srtp_cipher_test_case_t cases[8];
  guint8 key[30], salt[16], idx[8][16], keystream[8][16];
  static const guint8 zeros[16];
  guint n = 0;

  /* the salt is printed shifted: k_s * 2^16, 16 octets; libsrtp2 takes the 14 */
  test_hex_to (key_hex, key, 16);
  test_hex_to (salt_hex, salt, 16);
  memcpy (key + 16, salt, 14);
  for (guint i = 1; lines[i] != NULL && !g_str_has_prefix (lines[i], "===="); i++)
    {
      g_auto(GStrv) cols = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      guint8 counter[16];
      guint c = 0;

      if (!g_ascii_isxdigit (lines[i][0]) || strlen (cols[0]) != 32)
        continue;
      while (cols[++c] != NULL && *cols[c] == '\0')
        ;
      g_assert_nonnull (cols[c]);
      g_assert_cmpuint (n, <, G_N_ELEMENTS (cases));
      /* counter = IV + i: the IV that gives this block first is counter XOR salt */
      test_hex_to (cols[0], counter, 16);
      test_hex_to (cols[c], keystream[n], 16);
      for (guint j = 0; j < 16; j++)
        idx[n][j] = counter[j] ^ salt[j];
      cases[n] = (srtp_cipher_test_case_t) { 30, key, idx[n], 16, zeros, 16, keystream[n], 0, NULL, 0, NULL };
      if (n > 0)
        cases[n - 1].next_test_case = &cases[n];
      n++;
    }
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpint (srtp_cipher_type_test (&srtp_bridge_ossl_aes_icm_128, cases), ==, srtp_err_status_ok);
  /* and one of them wrong is noticed */
  keystream[5][15] ^= 1;
  g_assert_cmpint (srtp_cipher_type_test (&srtp_bridge_ossl_aes_icm_128, cases), !=, srtp_err_status_ok);
}

/* The SRTP PRF of RFC 3711 4.3.3 is AES-ICM under the master key: libsrtp2 derives with
 * whatever AES-ICM type is registered, so the B.3 outputs come from ours. */
static void
derive (const guint8 master[30], guint8 label, guint8 *out, guint len)
{
  srtp_cipher_t *c = NULL;
  guint8 iv[16] = { 0 };

  iv[7] = label; /* key_id = label || r, r = 0 (kdr 0), placed at octet 7 */
  memset (out, 0, len);
  g_assert_cmpint (srtp_cipher_type_alloc (&srtp_bridge_ossl_aes_icm_128, &c, 30, 0), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_init (c, master), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_set_iv (c, iv, srtp_direction_encrypt), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_encrypt (c, out, &len), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_dealloc (c), ==, srtp_err_status_ok);
}

static void
test_icm_128_rfc3711_b3 (void)
{
  g_autofree char *text = test_vectors_read ("srtp-rfc3711.txt");
  g_autofree char *mk = test_vectors_field (text, "A.2", "master key");
  g_autofree char *ms = test_vectors_field (text, "A.2", "master salt");
  g_autofree char *ck = test_vectors_field (text, "A.2", "cipher key");
  g_autofree char *cs = test_vectors_field (text, "A.2", "cipher salt");
  g_autoptr(GString) ak = g_string_new (NULL);
  g_auto(GStrv) lines = g_strsplit (strstr (text, "auth key    :"), "\n", -1);
  guint8 master[30], want[94], got[94];

  test_hex_to (mk, master, 16);
  test_hex_to (ms, master + 16, 14);
  /* "AES input ... -> <key>" and "... salt = first 14 octets <salt>" */
  test_hex_to (strstr (ck, "-> ") + 3, want, 16);
  derive (master, 0x00, got, 16);
  g_assert_cmpmem (got, 16, want, 16);
  test_hex_to (strstr (cs, "octets ") + 7, want, 14);
  derive (master, 0x02, got, 14);
  g_assert_cmpmem (got, 14, want, 14);
  for (guint i = 1; lines[i] != NULL && g_str_has_prefix (lines[i], "  ") && !strstr (lines[i], "("); i++)
    g_string_append (ak, g_strstrip (lines[i]));
  test_hex_to (ak->str, want, sizeof want);
  derive (master, 0x01, got, sizeof got);
  g_assert_cmpmem (got, sizeof got, want, sizeof want);
}

static char *
read_rfc2202 (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("MBMS_SOURCE_DIR"), "tests", "data", "hmac-sha1-rfc2202.txt",
                                            NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
test_hmac_rfc2202 (void)
{
  g_autofree char *text = read_rfc2202 ();
  GBytes *keep[3 * 7 + 1] = { NULL };
  srtp_auth_test_case_t cases[7];
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *section = g_strdup_printf ("\ncase %u\n", i + 1);
      g_autofree char *k = test_vectors_field (text, section, "key");
      g_autofree char *d = test_vectors_field (text, section, "data");
      g_autofree char *t = test_vectors_field (text, section, "digest");
      GBytes *key, *data, *tag;

      g_assert_nonnull (t);
      key = keep[n++] = test_hex_decode (k);
      data = keep[n++] = test_hex_decode (d);
      tag = keep[n++] = test_hex_decode (t);
      cases[i] = (srtp_auth_test_case_t) { (int) g_bytes_get_size (key), g_bytes_get_data (key, NULL),
                                           (int) g_bytes_get_size (data), g_bytes_get_data (data, NULL),
                                           (int) g_bytes_get_size (tag), g_bytes_get_data (tag, NULL),
                                           i + 1 < G_N_ELEMENTS (cases) ? &cases[i + 1] : NULL };
    }
  g_assert_cmpint (srtp_auth_type_test (&srtp_bridge_ossl_hmac_sha1, cases), ==, srtp_err_status_ok);
  /* RFC 2202 case 5 prints digest-96: a truncated tag is the digest's prefix */
  cases[4].tag_length_octets = 12;
  cases[4].next_test_case = NULL;
  g_assert_cmpint (srtp_auth_type_test (&srtp_bridge_ossl_hmac_sha1, &cases[4]), ==, srtp_err_status_ok);
  for (guint i = 0; i < n; i++)
    g_bytes_unref (keep[i]);
}

/* A context restarted per packet (start) computes each MAC from the key alone. */
static void
test_hmac_restart (void)
{
  srtp_auth_t *a = NULL;
  const guint8 key[20] = { 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                           0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b };
  const guint8 want[10] = { 0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b }; /* RFC 2202 case 1 */
  guint8 tag[10];

  g_assert_cmpint (srtp_bridge_ossl_hmac_sha1.alloc (&a, 20, 10), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_auth_init (a, key), ==, srtp_err_status_ok);
  for (guint round = 0; round < 3; round++)
    {
      g_assert_cmpint (srtp_auth_start (a), ==, srtp_err_status_ok);
      g_assert_cmpint (srtp_auth_update (a, (const guint8 *) "Hi ", 3), ==, srtp_err_status_ok);
      g_assert_cmpint (srtp_auth_compute (a, (const guint8 *) "There", 5, tag), ==, srtp_err_status_ok);
      g_assert_cmpmem (tag, sizeof tag, want, sizeof want);
    }
  g_assert_cmpint (srtp_bridge_ossl_hmac_sha1.alloc (&a, 20, 21), ==, srtp_err_status_bad_param);
  g_assert_cmpint (srtp_auth_dealloc (a), ==, srtp_err_status_ok);
}

/* RFC 3711 4.1.1: one IV gives 2^16 blocks of keystream and no more; the counter never
 * carries into the SSRC and index bits. */
static void
test_icm_counter_limit (void)
{
  srtp_cipher_t *c = NULL;
  guint8 key[30] = { 0 }, iv[16] = { 0 }, buf[48] = { 0 };
  unsigned int len;

  g_assert_cmpint (srtp_cipher_type_alloc (&srtp_bridge_ossl_aes_icm_128, &c, 30, 0), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_alloc (&srtp_bridge_ossl_aes_icm_128, &c, 46, 0), ==, srtp_err_status_bad_param);
  g_assert_cmpint (srtp_cipher_init (c, key), ==, srtp_err_status_ok);
  iv[14] = 0xff, iv[15] = 0xfe; /* two blocks left */
  g_assert_cmpint (srtp_cipher_set_iv (c, iv, srtp_direction_encrypt), ==, srtp_err_status_ok);
  len = 33;
  g_assert_cmpint (srtp_cipher_encrypt (c, buf, &len), ==, srtp_err_status_terminus);
  len = 20;
  g_assert_cmpint (srtp_cipher_encrypt (c, buf, &len), ==, srtp_err_status_ok);
  len = 12; /* the rest of the second block, across a call */
  g_assert_cmpint (srtp_cipher_encrypt (c, buf + 20, &len), ==, srtp_err_status_ok);
  len = 1;
  g_assert_cmpint (srtp_cipher_encrypt (c, buf + 32, &len), ==, srtp_err_status_terminus);
  g_assert_cmpint (srtp_cipher_dealloc (c), ==, srtp_err_status_ok);
}

/* ---------------------------------------------------------------- libsrtp2's tests */

static void
test_self_tests (void)
{
  g_assert_cmpint (srtp_cipher_type_self_test (&srtp_bridge_ossl_aes_icm_128), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_self_test (&srtp_bridge_ossl_aes_icm_192), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_self_test (&srtp_bridge_ossl_aes_icm_256), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_self_test (&srtp_bridge_ossl_aes_gcm_128), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_self_test (&srtp_bridge_ossl_aes_gcm_256), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_auth_type_self_test (&srtp_bridge_ossl_hmac_sha1), ==, srtp_err_status_ok);
}

/* The known answers are checked, not only run: one octet of each expected output wrong fails. */
static void
test_known_answers_bite (void)
{
  const srtp_cipher_type_t *types[] = { &srtp_bridge_ossl_aes_icm_192, &srtp_bridge_ossl_aes_gcm_128,
                                        &srtp_bridge_ossl_aes_gcm_256 };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      srtp_cipher_test_case_t wrong = *types[i]->test_data;
      g_autofree guint8 *out = g_memdup2 (wrong.ciphertext, wrong.ciphertext_length_octets);

      out[wrong.ciphertext_length_octets - 1] ^= 0x01; /* GCM: the tag's last octet */
      wrong.ciphertext = out;
      wrong.next_test_case = NULL;
      g_assert_cmpint (srtp_cipher_type_test (types[i], &wrong), ==, srtp_err_status_algo_fail);
    }
}

/* RFC 7714 / GCM: a wrong tag, or a changed AAD octet, is auth_fail and no plaintext. */
static void
test_gcm_rejects_forgeries (void)
{
  const srtp_cipher_test_case_t *t = srtp_bridge_ossl_aes_gcm_128.test_data;
  guint8 buf[128], aad[64];
  srtp_cipher_t *c = NULL;
  unsigned int len;

  g_assert_cmpint (srtp_cipher_type_alloc (&srtp_bridge_ossl_aes_gcm_128, &c, 28, 16), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_alloc (&srtp_bridge_ossl_aes_gcm_128, &c, 28, 12), ==, srtp_err_status_bad_param);
  g_assert_cmpint (srtp_cipher_init (c, t->key), ==, srtp_err_status_ok);
  for (guint round = 0; round < 3; round++)
    {
      memcpy (buf, t->ciphertext, t->ciphertext_length_octets);
      memcpy (aad, t->aad, (gsize) t->aad_length_octets);
      if (round == 1)
        buf[t->ciphertext_length_octets - 3] ^= 0x80;
      if (round == 2)
        aad[4] ^= 0x01;
      g_assert_cmpint (srtp_cipher_set_iv (c, t->idx, srtp_direction_decrypt), ==, srtp_err_status_ok);
      g_assert_cmpint (srtp_cipher_set_aad (c, aad, (uint32_t) t->aad_length_octets), ==, srtp_err_status_ok);
      len = t->ciphertext_length_octets;
      g_assert_cmpint (srtp_cipher_decrypt (c, buf, &len), ==, round == 0 ? srtp_err_status_ok : srtp_err_status_auth_fail);
      if (round == 0)
        g_assert_cmpmem (buf, len, t->plaintext, t->plaintext_length_octets);
      else
        g_assert_cmpuint (len, ==, t->ciphertext_length_octets);
    }
  len = 15; /* shorter than the tag */
  g_assert_cmpint (srtp_cipher_set_iv (c, t->idx, srtp_direction_decrypt), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_decrypt (c, buf, &len), ==, srtp_err_status_bad_param);
  g_assert_cmpint (srtp_cipher_dealloc (c), ==, srtp_err_status_ok);
}

static void
test_libsrtp2_vectors (void)
{
  g_assert_nonnull (libsrtp_icm_128->test_data);
  g_assert_cmpint (srtp_cipher_type_test (&srtp_bridge_ossl_aes_icm_128, libsrtp_icm_128->test_data), ==,
                   srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_test (&srtp_bridge_ossl_aes_icm_192, libsrtp_icm_192->test_data), ==,
                   srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_test (&srtp_bridge_ossl_aes_icm_256, libsrtp_icm_256->test_data), ==,
                   srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_test (&srtp_bridge_ossl_aes_gcm_128, libsrtp_gcm_128->test_data), ==,
                   srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_test (&srtp_bridge_ossl_aes_gcm_256, libsrtp_gcm_256->test_data), ==,
                   srtp_err_status_ok);
  g_assert_cmpint (srtp_auth_type_test (&srtp_bridge_ossl_hmac_sha1, libsrtp_hmac->test_data), ==,
                   srtp_err_status_ok);
  /* and the other way round: libsrtp2's types pass our vectors */
  g_assert_cmpint (srtp_cipher_type_test (libsrtp_icm_128, srtp_bridge_ossl_aes_icm_128.test_data), ==,
                   srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_test (libsrtp_icm_192, srtp_bridge_ossl_aes_icm_192.test_data), ==,
                   srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_test (libsrtp_icm_256, srtp_bridge_ossl_aes_icm_256.test_data), ==,
                   srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_test (libsrtp_gcm_128, srtp_bridge_ossl_aes_gcm_128.test_data), ==,
                   srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_test (libsrtp_gcm_256, srtp_bridge_ossl_aes_gcm_256.test_data), ==,
                   srtp_err_status_ok);
  g_assert_cmpint (srtp_auth_type_test (libsrtp_hmac, srtp_bridge_ossl_hmac_sha1.test_data), ==,
                   srtp_err_status_ok);
}

/* ---------------------------------------------------------------- registered, against libsrtp2 */

static void
set_policy (srtp_policy_t *p, srtp_master_key_t *k, srtp_master_key_t **kp, Config *c, gboolean outbound)
{
  memset (p, 0, sizeof *p);
  if (c->gcm && c->key_len == 32)
    srtp_crypto_policy_set_aes_gcm_256_16_auth (&p->rtp);
  else if (c->gcm)
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&p->rtp);
  else if (c->key_len == 32)
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 (&p->rtp);
  else if (c->key_len == 24)
    srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 (&p->rtp);
  else
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p->rtp);
  /* the same tag length for SRTCP: libsrtp2 2.5.0's srtp_unprotect_rtcp_mki finds the MKI
   * with the SRTP tag length (srtp_get_session_keys), so a shorter SRTP tag hides it */
  if (!c->gcm)
    p->rtp.auth_tag_len = (int) c->tag_len;
  p->rtcp = p->rtp;
  *k = (srtp_master_key_t) { c->master, (unsigned char *) mki, MKI_LEN };
  *kp = k;
  p->keys = kp;
  p->num_master_keys = 1;
  p->ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  p->window_size = 1024;
}

static srtp_t
session (Config *c, gboolean outbound)
{
  srtp_policy_t p;
  srtp_master_key_t k, *kp;
  srtp_t s;

  set_policy (&p, &k, &kp, c, outbound);
  g_assert_cmpint (srtp_create (&s, &p), ==, srtp_err_status_ok);
  return s;
}

/* The receiver registers the types with its first key. */
static void
ensure_registered (void)
{
  g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
  SrtpBridgePolicy policy;
  guint8 master[30] = { 1 };

  srtp_bridge_policy_init_default (&policy);
  g_assert_true (srtp_bridge_receiver_add_key (r, mki, master, 16, master + 16, 14, &policy, NULL));
}

static void
test_receiver_registers (void)
{
  ensure_registered ();
  g_assert_true (srtp_crypto_kernel_get_cipher_type (SRTP_AES_ICM_128) == &srtp_bridge_ossl_aes_icm_128);
  g_assert_true (srtp_crypto_kernel_get_cipher_type (SRTP_AES_ICM_192) == &srtp_bridge_ossl_aes_icm_192);
  g_assert_true (srtp_crypto_kernel_get_cipher_type (SRTP_AES_ICM_256) == &srtp_bridge_ossl_aes_icm_256);
  g_assert_true (srtp_crypto_kernel_get_cipher_type (SRTP_AES_GCM_128) == &srtp_bridge_ossl_aes_gcm_128);
  g_assert_true (srtp_crypto_kernel_get_cipher_type (SRTP_AES_GCM_256) == &srtp_bridge_ossl_aes_gcm_256);
  g_assert_true (srtp_crypto_kernel_get_auth_type (SRTP_HMAC_SHA1) == &srtp_bridge_ossl_hmac_sha1);
  /* registering again changes nothing */
  g_assert_true (srtp_bridge_crypto_ossl_register ());
}

static gsize
rtp_packet (guint8 *b, guint16 seq, guint32 ssrc, gsize payload)
{
  b[0] = 0x80, b[1] = 96, b[2] = (guint8) (seq >> 8), b[3] = (guint8) seq;
  b[4] = 0, b[5] = 1, b[6] = (guint8) (seq >> 8), b[7] = (guint8) seq;
  b[8] = (guint8) (ssrc >> 24), b[9] = (guint8) (ssrc >> 16), b[10] = (guint8) (ssrc >> 8), b[11] = (guint8) ssrc;
  for (gsize i = 0; i < payload; i++)
    b[12 + i] = (guint8) (seq * 3 + i);
  return 12 + payload;
}

static gsize
rtcp_packet (guint8 *b, guint32 ssrc, guint i)
{
  /* a receiver report with no blocks, then 20 octets of padding-free APP-like data */
  b[0] = 0x80, b[1] = 201, b[2] = 0, b[3] = 6;
  b[4] = (guint8) (ssrc >> 24), b[5] = (guint8) (ssrc >> 16), b[6] = (guint8) (ssrc >> 8), b[7] = (guint8) ssrc;
  for (guint j = 8; j < 28; j++)
    b[j] = (guint8) (i + j);
  return 28;
}

/* Ours and libsrtp2's protect every packet to the same octets, and each unprotects the other's;
 * payload lengths cross block boundaries, SEQ wraps (the ROC goes into the IV and the MAC). */
static void
test_interop (gconstpointer data)
{
  Config *c = (Config *) data;
  srtp_t tx, rx;
  guint8 a[1500], b[1500], plain[1500];

  ensure_registered ();
  tx = session (c, TRUE);
  rx = session (c, FALSE);
  for (guint i = 0; i < 300; i++)
    {
      guint16 seq = (guint16) (65400 + i);
      gsize plen = rtp_packet (plain, seq, 0x0badcafe, (i * 37) % 1300);
      int la = (int) plen, lb = (int) plen;

      memcpy (a, plain, plen);
      memcpy (b, plain, plen);
      g_assert_cmpint (srtp_protect_mki (c->ref_tx, a, &la, 1, 0), ==, srtp_err_status_ok);
      g_assert_cmpint (srtp_protect_mki (tx, b, &lb, 1, 0), ==, srtp_err_status_ok);
      g_assert_cmpmem (a, la, b, lb);
      g_assert_cmpint (srtp_unprotect_mki (rx, a, &la, 1), ==, srtp_err_status_ok);
      g_assert_cmpmem (a, la, plain, plen);
      g_assert_cmpint (srtp_unprotect_mki (c->ref_rx, b, &lb, 1), ==, srtp_err_status_ok);
      g_assert_cmpmem (b, lb, plain, plen);

      if (i % 10 == 0)
        {
          plen = rtcp_packet (plain, 0x0badcafe, i);
          la = lb = (int) plen;
          memcpy (a, plain, plen);
          memcpy (b, plain, plen);
          g_assert_cmpint (srtp_protect_rtcp_mki (c->ref_tx, a, &la, 1, 0), ==, srtp_err_status_ok);
          g_assert_cmpint (srtp_protect_rtcp_mki (tx, b, &lb, 1, 0), ==, srtp_err_status_ok);
          g_assert_cmpmem (a, la, b, lb);
          g_assert_cmpint (srtp_unprotect_rtcp_mki (rx, a, &la, 1), ==, srtp_err_status_ok);
          g_assert_cmpmem (a, la, plain, plen);
          g_assert_cmpint (srtp_unprotect_rtcp_mki (c->ref_rx, b, &lb, 1), ==, srtp_err_status_ok);
          g_assert_cmpmem (b, lb, plain, plen);
        }
    }
  /* a flipped bit anywhere in what the tag covers fails ours */
  {
    gsize plen = rtp_packet (plain, (guint16) (65400 + 305), 0x0badcafe, 200);
    int len = (int) plen;

    g_assert_cmpint (srtp_protect_mki (c->ref_tx, plain, &len, 1, 0), ==, srtp_err_status_ok);
    plain[100] ^= 0x40;
    g_assert_cmpint (srtp_unprotect_mki (rx, plain, &len, 1), ==, srtp_err_status_auth_fail);
  }
  srtp_dealloc (tx);
  srtp_dealloc (rx);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);
  libsrtp_icm_128 = srtp_crypto_kernel_get_cipher_type (SRTP_AES_ICM_128);
  libsrtp_icm_192 = srtp_crypto_kernel_get_cipher_type (SRTP_AES_ICM_192);
  libsrtp_icm_256 = srtp_crypto_kernel_get_cipher_type (SRTP_AES_ICM_256);
  libsrtp_gcm_128 = srtp_crypto_kernel_get_cipher_type (SRTP_AES_GCM_128);
  libsrtp_gcm_256 = srtp_crypto_kernel_get_cipher_type (SRTP_AES_GCM_256);
  libsrtp_hmac = srtp_crypto_kernel_get_auth_type (SRTP_HMAC_SHA1);
  g_assert_nonnull (libsrtp_icm_128);
  g_assert_nonnull (libsrtp_icm_192);
  g_assert_nonnull (libsrtp_icm_256);
  g_assert_nonnull (libsrtp_gcm_128);
  g_assert_nonnull (libsrtp_gcm_256);
  g_assert_nonnull (libsrtp_hmac);
  g_assert_true (libsrtp_icm_128 != &srtp_bridge_ossl_aes_icm_128);
  /* the oracle: sessions on libsrtp2's own types, made before any replacement */
  for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      for (guint j = 0; j < sizeof configs[i].master; j++)
        configs[i].master[j] = (guint8) (i * 41 + j * 5 + 9);
      configs[i].ref_tx = session (&configs[i], TRUE);
      configs[i].ref_rx = session (&configs[i], FALSE);
    }

  g_test_add_func ("/srtp-bridge/ossl/aes-icm-128/rfc3711-b2-keystream", test_icm_128_rfc3711_b2);
  g_test_add_func ("/srtp-bridge/ossl/aes-icm-128/rfc3711-b3-key-derivation", test_icm_128_rfc3711_b3);
  g_test_add_func ("/srtp-bridge/ossl/aes-icm/16-bit-block-counter", test_icm_counter_limit);
  g_test_add_func ("/srtp-bridge/ossl/hmac-sha1/rfc2202", test_hmac_rfc2202);
  g_test_add_func ("/srtp-bridge/ossl/hmac-sha1/restarted-per-packet", test_hmac_restart);
  g_test_add_func ("/srtp-bridge/ossl/libsrtp2-self-tests", test_self_tests);
  g_test_add_func ("/srtp-bridge/ossl/libsrtp2-vectors-both-ways", test_libsrtp2_vectors);
  g_test_add_func ("/srtp-bridge/ossl/known-answers-bite", test_known_answers_bite);
  g_test_add_func ("/srtp-bridge/ossl/aes-gcm/forgeries-rejected", test_gcm_rejects_forgeries);
  g_test_add_func ("/srtp-bridge/ossl/registered-by-the-receiver", test_receiver_registers);
  for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      g_autofree char *path = g_strdup_printf ("/srtp-bridge/ossl/same-octets-as-libsrtp2/%s", configs[i].name);
      g_test_add_data_func (path, &configs[i], test_interop);
    }
  {
    int status = g_test_run ();
    for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
      {
        srtp_dealloc (configs[i].ref_tx);
        srtp_dealloc (configs[i].ref_rx);
      }
    return status;
  }
}
