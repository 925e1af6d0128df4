/* mbmsd's link of libsrtp2 (srtp-bridge/meson.build: libsrtp2.a, srtp-crypto-kernel.c): this
 * program is linked the same way. srtp_init's crypto kernel must find srtp-bridge's OpenSSL
 * types as its own, run their self-tests, and never reach NSS: no NSS symbol, no NSS library
 * mapped, so NSS cannot have been initialised. The SRTP oracle tests are elsewhere
 * (test-srtp-crypto-ossl: libsrtp2.so with its own types); here the bridge round-trips. */
#include <dlfcn.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/crypto_types.h>
#include <srtp2/srtp.h>
#include <string.h>

#include "srtp-bridge.h"
#include "srtp-crypto-ossl.h"
#include "test-util.h"

/* In libsrtp2.a's crypto_kernel.o, declared only in its uninstalled crypto_kernel.h */
const srtp_cipher_type_t *srtp_crypto_kernel_get_cipher_type (srtp_cipher_type_id_t id);
const srtp_auth_type_t   *srtp_crypto_kernel_get_auth_type (srtp_auth_type_id_t id);

static const char *const nss_libraries[] = { "libnss3", "libnssutil3", "libnspr4", "libsoftokn3", "libfreebl", "libplc4",
                                             "libplds4", "libsmime3", "libssl3" };

static void
assert_no_nss (void)
{
  g_autofree char *maps = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (nss_libraries); i++)
    if (strstr (maps, nss_libraries[i]) != NULL)
      g_error ("%s is mapped into a program linked as mbmsd is", nss_libraries[i]);
  /* what libsrtp2's NSS back end calls first, and what would say NSS is up */
  g_assert_null (dlsym (RTLD_DEFAULT, "NSS_InitContext"));
  g_assert_null (dlsym (RTLD_DEFAULT, "NSS_IsInitialized"));
  g_assert_null (dlsym (RTLD_DEFAULT, "PK11_GetBestSlot"));
}

static void
test_kernel_types_are_ours (void)
{
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);
  /* before any registration: these are what srtp_init loaded and self-tested */
  g_assert_true (srtp_crypto_kernel_get_cipher_type (SRTP_AES_ICM_128) == &srtp_bridge_ossl_aes_icm_128);
  g_assert_true (srtp_crypto_kernel_get_cipher_type (SRTP_AES_ICM_192) == &srtp_bridge_ossl_aes_icm_192);
  g_assert_true (srtp_crypto_kernel_get_cipher_type (SRTP_AES_ICM_256) == &srtp_bridge_ossl_aes_icm_256);
  g_assert_true (srtp_crypto_kernel_get_cipher_type (SRTP_AES_GCM_128) == &srtp_bridge_ossl_aes_gcm_128);
  g_assert_true (srtp_crypto_kernel_get_cipher_type (SRTP_AES_GCM_256) == &srtp_bridge_ossl_aes_gcm_256);
  g_assert_true (srtp_crypto_kernel_get_auth_type (SRTP_HMAC_SHA1) == &srtp_bridge_ossl_hmac_sha1);
  /* the receiver's registration finds them in place and changes nothing */
  g_assert_true (srtp_bridge_crypto_ossl_register ());
  g_assert_true (srtp_crypto_kernel_get_cipher_type (SRTP_AES_ICM_128) == &srtp_bridge_ossl_aes_icm_128);
  assert_no_nss ();
}

/* A libsrtp2 sender and the bridge's receiver in this process, both on the kernel's types. */
static void
test_bridge_round_trip_without_nss (void)
{
  static const guint8 mki[SRTP_BRIDGE_MKI_LEN] = { 0, 1, 0, 2, 0, 3 };
  guint8 master[30], plain[212], buf[300];
  g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  srtp_master_key_t key = { master, (unsigned char *) mki, sizeof mki }, *keys[] = { &key };
  SrtpBridgePolicy bridge_policy;
  srtp_policy_t p;
  srtp_t tx;

  for (guint i = 0; i < sizeof master; i++)
    master[i] = (guint8) (i * 7 + 3);
  memset (&p, 0, sizeof p);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtcp);
  p.keys = keys;
  p.num_master_keys = 1;
  p.ssrc.type = ssrc_any_outbound;
  g_assert_cmpint (srtp_create (&tx, &p), ==, srtp_err_status_ok);
  srtp_bridge_policy_init_default (&bridge_policy);
  g_assert_true (srtp_bridge_receiver_add_key (r, mki, master, 16, master + 16, 14, &bridge_policy, &error));
  g_assert_no_error (error);
  for (guint16 seq = 1; seq <= 20; seq++)
    {
      int n = sizeof plain;
      gsize len;

      memset (plain, 0, sizeof plain);
      plain[0] = 0x80, plain[1] = 96, plain[2] = 0, plain[3] = (guint8) seq;
      plain[8] = 0x12, plain[9] = 0x34, plain[10] = 0x56, plain[11] = 0x78;
      for (guint i = 12; i < sizeof plain; i++)
        plain[i] = (guint8) (seq + i);
      memcpy (buf, plain, sizeof plain);
      g_assert_cmpint (srtp_protect_mki (tx, buf, &n, 1, 0), ==, srtp_err_status_ok);
      g_assert_cmpint (n, ==, sizeof plain + SRTP_BRIDGE_MKI_LEN + 10);
      g_assert_true (memcmp (buf + 12, plain + 12, sizeof plain - 12) != 0);
      len = (gsize) n;
      g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_OK);
      g_assert_cmpmem (buf, len, plain, sizeof plain);
    }
  /* and a forgery is refused */
  {
    int n = sizeof plain;
    gsize len;

    plain[3] = 21;
    memcpy (buf, plain, sizeof plain);
    g_assert_cmpint (srtp_protect_mki (tx, buf, &n, 1, 0), ==, srtp_err_status_ok);
    buf[40] ^= 0x10;
    len = (gsize) n;
    g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_AUTH_FAIL);
  }
  srtp_dealloc (tx);
  assert_no_nss ();
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/srtp-bridge/nss-free/kernel-types-are-ours", test_kernel_types_are_ours);
  g_test_add_func ("/srtp-bridge/nss-free/bridge-round-trip", test_bridge_round_trip_without_nss);
  return g_test_run ();
}
