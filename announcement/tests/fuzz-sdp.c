/* libFuzzer target: the SDP reader of streaming sessions. */
#include "mbms-usd.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sessions = mbms_sdp_parse ((const char *) data, size, &error);

  g_assert ((sessions == NULL) == (error != NULL));
  for (guint i = 0; sessions != NULL && i < sessions->len; i++)
    {
      MbmsRtpSession *s = g_ptr_array_index (sessions, i);
      g_assert (s->address != NULL && s->port > 0 && s->media != NULL);
    }
  return 0;
}
