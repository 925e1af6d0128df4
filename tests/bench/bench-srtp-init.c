/* libsrtp2's start as mbmsd has it (linked like mbmsd: libsrtp2.a, srtp-bridge's OpenSSL types
 * as the crypto kernel's own, no NSS): srtp_init with its self-tests, then the receiver's
 * registration, once per process. tools/bench runs it a few times; bench-srtp-bridge prints
 * the same for libsrtp2.so with its NSS types. */
#include <srtp2/srtp.h>
#include <stdio.h>

#include "srtp-bridge.h"
#include "srtp-crypto-ossl.h"

int
main (void)
{
  gint64 t0 = g_get_monotonic_time (), t1;
  srtp_err_status_t st = srtp_init ();
  gboolean ours = srtp_bridge_crypto_ossl_register ();

  t1 = g_get_monotonic_time ();
  if (st != srtp_err_status_ok || !ours)
    {
      fprintf (stderr, "srtp_init %d, registration %s\n", st, ours ? "ok" : "refused");
      return 1;
    }
  printf ("%" G_GINT64_FORMAT "\n", t1 - t0);
  return 0;
}
