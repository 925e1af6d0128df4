/* libFuzzer target: the FLUTE packet path (RFC 5651/5775/6726, RFC 5445). Whatever the
 * datagram, it parses into a packet whose payload lies inside it or fails with a
 * DOWNLOAD_ERROR; a parsed EXT_FTI places the symbol inside its object or is refused. */
#include "download.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  DownloadAlcPacket pkt;
  g_autoptr(GError) error = NULL;
  guint64 offset;
  gsize length;

  if (!download_alc_parse (data, size, &pkt, &error))
    {
      g_assert (error != NULL && error->domain == DOWNLOAD_ERROR);
      return 0;
    }
  g_assert (pkt.payload >= data && pkt.payload + pkt.payload_len == data + size);
  if (pkt.has_fti && download_fec_symbol_range (&pkt.fti, pkt.sbn, pkt.esi, &offset, &length, NULL))
    g_assert (offset + length <= pkt.fti.transfer_length && length > 0);
  return 0;
}
