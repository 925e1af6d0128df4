/* RFC 4771 (integrity transform carrying the roll-over counter), section 3: on packets with
 * SEQ = 0 mod R the tag is ROC_sender (4 octets, network order) || MAC_tr, MAC_tr being the
 * first tag_len - 4 octets of HMAC-SHA-1 over the authenticated portion || ROC. libsrtp2 has no
 * RCC, so the receiver moves the ROC out and hands libsrtp2 the plain RFC 3711 layout. */
#include "rfc4771.h"

#include <string.h>

#define RTP_HEADER_LEN 12

gboolean
rfc4771_take_roc (guint8 *packet, gsize *len, guint tag_len, guint32 *roc)
{
  guint8 *tag;

  if (tag_len < RFC4771_ROC_LEN || *len < RTP_HEADER_LEN + (gsize) tag_len)
    return FALSE;
  tag = packet + *len - tag_len;
  *roc = (guint32) tag[0] << 24 | (guint32) tag[1] << 16 | (guint32) tag[2] << 8 | tag[3];
  memmove (tag, tag + RFC4771_ROC_LEN, tag_len - RFC4771_ROC_LEN);
  *len -= RFC4771_ROC_LEN;
  return TRUE;
}

gboolean
rfc4771_put_roc (guint8 *packet, gsize *len, gsize size, guint tag_len, guint32 roc)
{
  /* in: ... full tag (tag_len octets); out: ... ROC || first tag_len - 4 octets */
  guint8 *tag;

  if (tag_len < RFC4771_ROC_LEN || *len < RTP_HEADER_LEN + (gsize) tag_len || size < *len)
    return FALSE;
  tag = packet + *len - tag_len;
  memmove (tag + RFC4771_ROC_LEN, tag, tag_len - RFC4771_ROC_LEN);
  tag[0] = (guint8) (roc >> 24);
  tag[1] = (guint8) (roc >> 16);
  tag[2] = (guint8) (roc >> 8);
  tag[3] = (guint8) roc;
  return TRUE;
}
