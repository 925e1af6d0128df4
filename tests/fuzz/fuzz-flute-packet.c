/* libFuzzer target: the FLUTE packet path (RFC 5651/5775/6726, RFC 5445) up to the session.
 * The input is a run of datagrams (16-bit length || datagram). Each parses into a packet whose
 * payload lies inside it or fails with a DOWNLOAD_ERROR; a parsed EXT_FTI places the symbol
 * inside its object or is refused; and the datagrams fed to a receiver (protected or not, by
 * the first octet) never make it hold more than its bounds or deliver an unverified file in
 * a protected session. */
#include "download.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static GDateTime *fixed_now (MbmsClock *c) { return g_date_time_new_from_unix_utc (1800000000); }

static void
on_file (const DownloadFile *file, gpointer protected)
{
  g_assert (!GPOINTER_TO_INT (protected) || file->verified);
  g_assert (file->data != NULL && file->content_location != NULL);
}

static void
check_packet (const guint8 *data, size_t size)
{
  DownloadAlcPacket pkt;
  g_autoptr(GError) error = NULL;
  guint64 offset;
  gsize length;

  if (!download_alc_parse (data, size, &pkt, &error))
    {
      g_assert (error != NULL && error->domain == DOWNLOAD_ERROR);
      return;
    }
  g_assert (pkt.payload >= data && pkt.payload + pkt.payload_len == data + size);
  if (pkt.has_fti && download_fec_symbol_range (&pkt.fti, pkt.sbn, pkt.esi, &offset, &length, NULL))
    g_assert (offset + length <= pkt.fti.transfer_length && length > 0);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static MbmsClock clock = { NULL, NULL, fixed_now, NULL };
  DownloadLimits limits;
  g_autoptr(DownloadSession) session = NULL;
  DownloadStats st;
  gboolean protected;

  if (size < 1)
    return 0;
  protected = data[0] & 1;
  download_limits_init (&limits);
  limits.protected = protected;
  limits.max_object_size = 256 * 1024;
  limits.max_session_bytes = 1024 * 1024;
  /* TSI 7 in the seeds; without a store no MTK is taken, so nothing protected can open */
  session = download_session_new (7, &limits, &clock, NULL, "fuzz", on_file, GINT_TO_POINTER (protected));
  data++, size--;
  while (size >= 2)
    {
      gsize n = MIN ((gsize) (data[0] << 8 | data[1]), size - 2);

      check_packet (data + 2, n);
      download_session_receive (session, data + 2, n, NULL);
      download_session_get_stats (session, &st);
      g_assert (st.buffered_bytes <= limits.max_session_bytes);
      g_assert (st.objects <= limits.max_objects);
      data += 2 + n, size -= 2 + n;
    }
  return 0;
}
