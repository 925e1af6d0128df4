/* libFuzzer target: the DCF parser and opener (TS 33.246 6.6.3.2). Any file parses into
 * ranges inside it or fails with a DOWNLOAD_ERROR; opening with a fixed key pair never
 * returns bytes unless the signature verified (a fuzzer cannot forge HMAC-SHA1). */
#include "download.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const guint8 ek[16] = { 1 }, ak[20] = { 2 };
  g_autoptr(GBytes) file = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(DownloadDcf) dcf = download_dcf_parse (file, &error);
  g_autoptr(GbaSecret) encr = NULL, auth = NULL;
  g_autoptr(GBytes) plain = NULL;

  if (dcf == NULL)
    {
      g_assert (error != NULL && error->domain == DOWNLOAD_ERROR);
      return 0;
    }
  g_assert (dcf->data_offset + dcf->data_length <= size && dcf->signed_length <= size);
  encr = gba_secret_new (ek, sizeof ek);
  auth = gba_secret_new (ak, sizeof ak);
  plain = download_dcf_open (dcf, file, encr, auth, &error);
  g_assert (plain == NULL && error != NULL && error->domain == DOWNLOAD_ERROR);
  return 0;
}
