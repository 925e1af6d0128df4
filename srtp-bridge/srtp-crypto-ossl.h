/* OpenSSL 3 EVP back ends for libsrtp2's AES-ICM (RFC 3711 4.1.1, RFC 6188) and HMAC-SHA1
 * (RFC 3711 4.2.1, RFC 2104), put in place of the library's own (NSS in Debian) through
 * srtp_replace_cipher_type / srtp_replace_auth_type. libsrtp2 stays the protocol engine
 * (MKI, replay, ROC, key derivation); only the primitives change. Private to srtp-bridge. */
#pragma once

#include <glib.h>
#include <openssl/evp.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

G_BEGIN_DECLS

/* The types, each with its own known-answer vectors as test_data (RFC 3711 B.2, SP 800-38A
 * F.5.3, RFC 6188 7.1, the GCM specification's test cases 4 and 16, RFC 2202 3). GCM
 * (srtp-crypto-ossl-gcm.c) is there for libsrtp2's crypto kernel, not for MBMS. */
extern const srtp_cipher_type_t srtp_bridge_ossl_aes_icm_128;
extern const srtp_cipher_type_t srtp_bridge_ossl_aes_icm_192;
extern const srtp_cipher_type_t srtp_bridge_ossl_aes_icm_256;
extern const srtp_cipher_type_t srtp_bridge_ossl_aes_gcm_128;
extern const srtp_cipher_type_t srtp_bridge_ossl_aes_gcm_256;
extern const srtp_auth_type_t   srtp_bridge_ossl_hmac_sha1;

/* The dealloc of our cipher types: frees the state's OpenSSL context ctx (OpenSSL wipes the
 * key schedule), then wipes and frees the state of state_size octets and the cipher itself. */
srtp_err_status_t srtp_bridge_ossl_cipher_free (srtp_cipher_pointer_t c, EVP_CIPHER_CTX *ctx, gsize state_size);

/* Puts the six types into libsrtp2's crypto kernel; libsrtp2 runs their self-tests and the
 * replaced types' vectors first. Call after srtp_init and before the first srtp_create: a
 * session made earlier keeps the types it was made with. FALSE (and a warning) when OpenSSL
 * or libsrtp2 refuses; libsrtp2's own types then stay in use. */
gboolean srtp_bridge_crypto_ossl_register (void);

G_END_DECLS
