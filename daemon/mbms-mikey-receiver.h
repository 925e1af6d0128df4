/* MIKEY reception (TS 33.246 6.3.2.3.1, 6.3.3.2.2): one UDP socket for MSK pushes and
 * solicited pulls, one per session destination (joined when multicast) for MTK messages.
 * Cheap checks come first (size, MIKEY structure, exact repeats) and cost no budget; MGV-F's
 * failures are budgeted per socket and source, and a source whose messages MGV-F has
 * authenticated keeps being heard through a flood of garbage from its own address. Drops are
 * counted per reason and socket and summarised in the log at a bounded rate. */
#pragma once

#include <gio/gio.h>

typedef struct _MbmsMikeyReceiver MbmsMikeyReceiver;

/* What the owner (MGV-F) made of a datagram. */
typedef enum {
  MBMS_MIKEY_ACCEPTED,          /* authenticated by MGV-F (a MAC with the MUK or MSK) */
  MBMS_MIKEY_ACCEPTED_COPY,     /* the very bytes of an MTK message MGV-F authenticated for another
                                 * session of its key group: counted as accepted, but anyone can
                                 * resend those bytes, so its source is not trusted for it */
  MBMS_MIKEY_IGNORED,           /* well-formed but for nothing of ours (another socket's kind) */
  MBMS_MIKEY_MALFORMED,         /* breaks the TS 33.246 profile */
  MBMS_MIKEY_NOT_AUTHENTICATED, /* MAC verification failed */
  MBMS_MIKEY_REPLAY,            /* counter or MTK ID not newer (6.4.3, 6.5.4) */
  MBMS_MIKEY_UNKNOWN_KEY,       /* names a MUK or MSK we lack */
  MBMS_MIKEY_PENDING,           /* handed to the card (UICC key management): the verdict
                                 * follows with mbms_mikey_receiver_report */
  MBMS_MIKEY_BUSY,              /* the card has too much queued already: counted as rate-limited */
} MbmsMikeyVerdict;

/* A datagram worth processing: its bytes, its source (to answer a verification message to)
 * and the destination it came in on (NULL for the push socket). */
typedef MbmsMikeyVerdict (*MbmsMikeyFunc) (GBytes *datagram, GSocketAddress *source, const char *destination,
                                           gpointer user_data);

/* multicast_interface: where session groups are joined (the MBMS bearer's network interface;
 * NULL = the one the kernel's routes choose). rate_per_s: MGV-F failures allowed per source
 * and second on each socket. The push socket is bound exclusively: an address already held
 * by another process (or mbmsd) is G_IO_ERROR_ADDRESS_IN_USE. */
MbmsMikeyReceiver *mbms_mikey_receiver_new (const char *listen_address, guint16 port, const char *multicast_interface,
                                            guint rate_per_s, MbmsMikeyFunc func, gpointer user_data,
                                            GError **error);
void               mbms_mikey_receiver_free (MbmsMikeyReceiver *rx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsMikeyReceiver, mbms_mikey_receiver_free)

/* MTK messages of a session arrive on its destination address and the MIKEY port; a multicast
 * destination is joined (6.3.3.2.2), on the push socket itself when that is bound to the
 * wildcard address. A unicast destination that the push socket covers (the listen address, or
 * any when it listens on the wildcard) is refused (G_IO_ERROR_ADDRESS_IN_USE, naming both):
 * two sockets of ours would share the port. Adding the same address twice is harmless. */
gboolean mbms_mikey_receiver_add_destination (MbmsMikeyReceiver *rx, const char *address, GError **error);
gboolean mbms_mikey_receiver_has_destination (MbmsMikeyReceiver *rx, const char *address);
void     mbms_mikey_receiver_remove_destination (MbmsMikeyReceiver *rx, const char *address);
/* The verdict on a datagram the owner answered MBMS_MIKEY_PENDING for, once the card spoke:
 * counted, and the token charged when it was queued refunded when accepted. Every PENDING
 * gets one report (the source's pending count goes down with it). */
void     mbms_mikey_receiver_report (MbmsMikeyReceiver *rx, const char *destination, GSocketAddress *source,
                                     MbmsMikeyVerdict verdict);
/* Sends a verification message back to where the MSK message came from (6.4.5.2). */
gboolean mbms_mikey_receiver_reply (MbmsMikeyReceiver *rx, GSocketAddress *to, GBytes *message, GError **error);
guint16  mbms_mikey_receiver_get_port (MbmsMikeyReceiver *rx);
/* The listen address as configured (text). */
const char *mbms_mikey_receiver_get_listen_address (MbmsMikeyReceiver *rx);

/* Per socket: what came in, what was accepted, and the drops by reason. */
typedef struct {
  guint64 received;
  guint64 accepted;
  guint64 oversized;
  guint64 malformed;
  guint64 duplicates;
  guint64 rate_limited;
  guint64 not_authenticated;
  guint64 replay;
  guint64 unknown_key;
} MbmsMikeyCounters;

/* destination NULL: the push socket. Zeroes for a destination not watched. */
MbmsMikeyCounters mbms_mikey_receiver_get_counters (MbmsMikeyReceiver *rx, const char *destination);
/* The drops as a{st} with keys "mikey-oversized", "mikey-malformed", "mikey-duplicate",
 * "mikey-rate-limited", "mikey-not-authenticated", "mikey-replay", "mikey-unknown-key". */
void              mbms_mikey_counters_add_drops (const MbmsMikeyCounters *counters, GVariantBuilder *builder);
