/* What libsrtp2's crypto kernel takes from its crypto back end, given by mbmsd when it links
 * Debian's libsrtp2.a: the archive's crypto_kernel.o refers by name to the cipher and auth
 * types it loads at srtp_init (srtp_aes_icm_128/192/256, srtp_aes_gcm_128/256, srtp_hmac) and
 * to their debug modules. With these names defined by us, the linker never takes the archive's
 * NSS objects (aes_icm_nss.o, aes_gcm_nss.o, hmac_nss.o), so NSS is neither linked, mapped nor
 * initialised. The types themselves are srtp-crypto-ossl's, named by --defsym in meson.build
 * (C cannot give one object two names across files); the debug modules are here.
 *
 * The layout is libsrtp2 2.5's srtp_debug_module_t (crypto/include/err.h, not installed): a
 * flag and a name. A static link fixes the version at build time, and meson.build checks it. */
typedef struct {
  int         on;
  const char *name;
} SrtpDebugModule;

SrtpDebugModule srtp_mod_aes_icm = { 0, "aes icm (OpenSSL EVP, mbmsd)" };
SrtpDebugModule srtp_mod_aes_gcm = { 0, "aes gcm (OpenSSL EVP, mbmsd)" };
SrtpDebugModule srtp_mod_hmac = { 0, "hmac sha-1 (OpenSSL EVP_MAC, mbmsd)" };
