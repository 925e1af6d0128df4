/* libFuzzer target: the MIKEY parser (RFC 3830 / RFC 4563 payloads). Whatever the input, it
 * parses into a consistent message or fails with a MIKEY error; never reads out of bounds. */
#include "mgv.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(MikeyMessage) msg = mikey_message_parse (bytes, &error);

  if (msg == NULL)
    {
      g_assert (error != NULL && error->domain == MIKEY_ERROR);
      return 0;
    }
  g_assert (msg->version == MIKEY_VERSION);
  if (msg->has_kemac || msg->has_v)
    g_assert (msg->mac_offset + MIKEY_MAC_LEN == size);
  if (msg->cs_id_map_type == MIKEY_MAP_EMPTY)
    g_assert (msg->srtp_ids->len == 0);
  return 0;
}
