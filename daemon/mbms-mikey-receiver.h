/* MIKEY reception (TS 33.246 6.3.2.3.1, 6.3.3.2.2): one UDP socket for MSK pushes and
 * solicited pulls, one per session destination (joined when multicast) for MTK messages.
 * Floods from one source are rate-limited and repeated MTK messages are dropped before they
 * reach MGV-F; what remains is handed to the owner. */
#pragma once

#include <gio/gio.h>

typedef struct _MbmsMikeyReceiver MbmsMikeyReceiver;

/* A datagram worth processing: its bytes, its source (to answer a verification message to)
 * and the destination it came in on (NULL for the push socket). */
typedef void (*MbmsMikeyFunc) (GBytes *datagram, GSocketAddress *source, const char *destination,
                               gpointer user_data);

/* multicast_interface: where session groups are joined (the MBMS bearer's network interface;
 * NULL = the one the kernel's routes choose). */
MbmsMikeyReceiver *mbms_mikey_receiver_new (const char *listen_address, guint16 port, const char *multicast_interface,
                                            guint rate_per_s, MbmsMikeyFunc func, gpointer user_data,
                                            GError **error);
void               mbms_mikey_receiver_free (MbmsMikeyReceiver *rx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsMikeyReceiver, mbms_mikey_receiver_free)

/* MTK messages of a session arrive on its destination address and the MIKEY port; a multicast
 * destination is joined (6.3.3.2.2). Adding the same address twice is harmless. */
gboolean mbms_mikey_receiver_add_destination (MbmsMikeyReceiver *rx, const char *address, GError **error);
void     mbms_mikey_receiver_remove_destination (MbmsMikeyReceiver *rx, const char *address);
/* Sends a verification message back to where the MSK message came from (6.4.5.2). */
gboolean mbms_mikey_receiver_reply (MbmsMikeyReceiver *rx, GSocketAddress *to, GBytes *message, GError **error);
guint16  mbms_mikey_receiver_get_port (MbmsMikeyReceiver *rx);

typedef struct {
  guint64 received;
  guint64 rate_limited;
  guint64 duplicates;
  guint64 oversized;
} MbmsMikeyCounters;

MbmsMikeyCounters mbms_mikey_receiver_get_counters (MbmsMikeyReceiver *rx);
