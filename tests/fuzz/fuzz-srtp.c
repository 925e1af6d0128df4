/* libFuzzer target: the SRTP receiver (RTP, SRTCP, RFC 4771 tags, held packets) and the SP
 * policy reader. The first octet picks what the rest is; receivers persist across inputs so
 * sender state (ROC, replay windows, holds) builds up the way a long stream's would. */
#include "srtp-bridge.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static const guint8 mki[SRTP_BRIDGE_MKI_LEN] = { 0, 1, 0, 2, 0, 1 };
static const guint8 key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const guint8 salt[14] = { 0xee };

static SrtpBridgeReceiver *
receiver_for (guint mode)
{
  static SrtpBridgeReceiver *receivers[4];
  /* HMAC-SHA-1; RCCm1 R=2 tag 14; RCCm2 R=3 tag 10; RCCm3 R=1 tag 4 */
  static const guint8 sps[4][9] = { { 0 }, { 2, 1, 2, 11, 1, 14, 13, 1, 2 }, { 2, 1, 3, 11, 1, 10, 13, 1, 3 },
                                    { 2, 1, 4, 11, 1, 4, 13, 1, 1 } };

  if (receivers[mode] == NULL)
    {
      SrtpBridgePolicy policy;
      g_assert (srtp_bridge_policy_parse (sps[mode], mode == 0 ? 0 : sizeof sps[mode], &policy, NULL));
      receivers[mode] = srtp_bridge_receiver_new (NULL, NULL);
      g_assert (srtp_bridge_receiver_add_key (receivers[mode], mki, key, 16, salt, 14, &policy, NULL));
    }
  return receivers[mode];
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  guint8 packet[4096];
  gsize len;
  guint8 what;

  if (size < 1 || size > sizeof packet + 1)
    return 0;
  what = data[0];
  len = size - 1;
  memcpy (packet, data + 1, len);
  if (what & 0x80)
    {
      SrtpBridgePolicy policy;
      g_autoptr(GError) error = NULL;
      gboolean ok = srtp_bridge_policy_parse (packet, len, &policy, &error);
      g_assert (ok == (error == NULL));
      g_assert (!ok || policy.srtcp_tag_len >= 4);
      return 0;
    }
  {
    SrtpBridgeReceiver *r = receiver_for (what & 3);
    SrtpBridgeVerdict v = (what & 4) ? srtp_bridge_receiver_unprotect_rtcp (r, packet, &len)
                                     : srtp_bridge_receiver_unprotect_rtp (r, packet, &len);
    g_assert (v != SRTP_BRIDGE_OK || len <= size - 1);
    srtp_bridge_receiver_expire (r, g_get_monotonic_time () + ((what & 8) ? G_TIME_SPAN_SECOND : 0));
  }
  return 0;
}
