/* RFC 4771: the integrity transform that carries the ROC (private to srtp-bridge). */
#pragma once

#include <glib.h>

#define RFC4771_ROC_LEN 4

/* RFC 4771 3: the ROC travels in packets whose SEQ is 0 mod R. */
static inline gboolean
rfc4771_carries_roc (guint16 seq, guint16 rate)
{
  return rate != 0 && seq % rate == 0;
}

/* Takes the ROC out of an RCC packet's tag: the tail [MKI] ROC MAC_tr (tag_len octets from ROC
 * on) becomes [MKI] MAC_tr, the RFC 3711 layout with a (tag_len - 4)-octet tag that libsrtp2
 * verifies once the ROC is set. FALSE when the packet is shorter than header and tag. */
gboolean rfc4771_take_roc (guint8 *packet, gsize *len, guint tag_len, guint32 *roc);

/* The sender's rule (RFC 4771 3.1): from an RFC 3711 packet with a full tag, the RCC form
 * [MKI] ROC MAC_tr with MAC_tr the first tag_len - 4 octets of the tag. Test builders only. */
gboolean rfc4771_put_roc (guint8 *packet, gsize *len, gsize size, guint tag_len, guint32 roc);
