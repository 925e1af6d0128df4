/* srtp-bridge: the SRTP receiver of TS 33.246 6.6.2. libsrtp2 contexts keyed by
 * MKI = MSK ID || MTK ID, RFC 4771 ROC carriage, SRTCP, and decrypt-and-forward of plain
 * RTP/RTCP to a local address for players. No D-Bus and no daemon knowledge: the daemon tells
 * the bridge about MTKs and hears back about MKIs it lacks. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SRTP_BRIDGE_ERROR (srtp_bridge_error_quark ())
GQuark srtp_bridge_error_quark (void);

typedef enum {
  SRTP_BRIDGE_ERROR_POLICY,  /* an SP parameter the bridge cannot honour (names it) */
  SRTP_BRIDGE_ERROR_LIBSRTP, /* libsrtp2 refused a context (status in the message) */
  SRTP_BRIDGE_ERROR_SOCKET,  /* a socket could not be opened, bound or joined */
} SrtpBridgeError;

/* MKI = MSK ID (4 octets) || MTK ID (2 octets), TS 33.246 6.6.2.1. */
#define SRTP_BRIDGE_MKI_LEN 6

/* Integrity transform of SRTP: RFC 3830 6.10.1 auth algorithm, RFC 4771 modes. */
typedef enum {
  SRTP_BRIDGE_AUTH_NULL,
  SRTP_BRIDGE_AUTH_HMAC_SHA1,
  SRTP_BRIDGE_AUTH_RCCM1, /* ROC || MAC on SEQ = 0 mod R, others unauthenticated */
  SRTP_BRIDGE_AUTH_RCCM2, /* ROC || MAC on SEQ = 0 mod R, HMAC-SHA-1 on the others */
  SRTP_BRIDGE_AUTH_RCCM3, /* ROC alone on SEQ = 0 mod R, no MAC */
} SrtpBridgeAuth;

/* The SRTP policy of an MSK's SP payload (RFC 3830 6.10.1, RFC 4771 4), defaults filled in. */
typedef struct {
  guint8         key_len;       /* session encryption key octets: 16 (AES-128) */
  guint8         salt_len;      /* 14 */
  gboolean       srtp_encrypt;  /* SP 7 */
  gboolean       srtcp_encrypt; /* SP 8 */
  SrtpBridgeAuth auth;          /* SP 2 / 14 */
  guint8         tag_len;       /* SRTP tag octets (SP 11 / 18); with RCC it includes the ROC */
  guint8         srtcp_tag_len; /* SP 19, else SP 11 for HMAC-SHA-1, else 10 */
  guint16        roc_rate;      /* R, SP 13, default 1 */
} SrtpBridgePolicy;

/* The RFC 3830 defaults: AES-CM-128, HMAC-SHA-1 with an 80-bit tag, both encrypted. */
void     srtp_bridge_policy_init_default (SrtpBridgePolicy *policy);
/* params: the SP payload's parameter list (type, length, value)*, NULL = the defaults. */
gboolean srtp_bridge_policy_parse (const guint8 *params, gsize len, SrtpBridgePolicy *policy, GError **error);
/* Names as GStreamer srtpdec spells them: "aes-128-icm"/"null", "hmac-sha1-80"/"hmac-sha1-32"/"null". */
const char *srtp_bridge_policy_cipher_name (const SrtpBridgePolicy *policy, gboolean rtcp);
const char *srtp_bridge_policy_auth_name (const SrtpBridgePolicy *policy, gboolean rtcp);

typedef enum {
  SRTP_BRIDGE_OK,
  SRTP_BRIDGE_HELD,        /* unknown MKI: kept briefly, released when the key comes */
  SRTP_BRIDGE_UNKNOWN_MKI, /* unknown MKI and no room or time left to hold it */
  SRTP_BRIDGE_AUTH_FAIL,
  SRTP_BRIDGE_REPLAY,
  SRTP_BRIDGE_NO_ROC,      /* RFC 4771: no ROC known yet for an unauthenticated packet */
  SRTP_BRIDGE_MALFORMED,
} SrtpBridgeVerdict;

typedef struct {
  guint64 rtp_ok, rtcp_ok;
  guint64 auth_fail, replay, unknown_mki, malformed, no_roc;
  guint64 held, released;
} SrtpBridgeCounters;

/* One protected RTP session (destination address and port), every SSRC in it. Not thread-safe:
 * use it from one thread (the daemon's main loop). */
typedef struct _SrtpBridgeReceiver SrtpBridgeReceiver;

/* Called (at most every 100 ms per MKI) when packets name an MKI the receiver lacks. */
typedef void (*SrtpBridgeMissingKeyFunc) (const guint8 mki[SRTP_BRIDGE_MKI_LEN], gpointer user_data);
/* Called for each held packet that decrypts once its key arrived (plain RTP or RTCP). */
typedef void (*SrtpBridgeReleaseFunc) (const guint8 *packet, gsize len, gboolean rtcp, gpointer user_data);

SrtpBridgeReceiver *srtp_bridge_receiver_new (SrtpBridgeMissingKeyFunc missing, gpointer user_data);
/* Where held packets go once they decrypt (the forwarder sets itself here). */
void                srtp_bridge_receiver_set_release_func (SrtpBridgeReceiver *receiver, SrtpBridgeReleaseFunc release,
                                                           gpointer user_data);
void                srtp_bridge_receiver_free (SrtpBridgeReceiver *receiver);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrtpBridgeReceiver, srtp_bridge_receiver_free)

/* Adds an MTK (master key = MTK, master salt = the 112-bit salt) under its MKI. The two most
 * recent MTKs stay usable; an older one is wiped. Built here, off the packet path. */
gboolean srtp_bridge_receiver_add_key (SrtpBridgeReceiver *receiver, const guint8 mki[SRTP_BRIDGE_MKI_LEN],
                                       const guint8 *key, gsize key_len, const guint8 *salt, gsize salt_len,
                                       const SrtpBridgePolicy *policy, GError **error);
/* Forgets every key (the MSK went away, the SIM changed). */
void     srtp_bridge_receiver_clear_keys (SrtpBridgeReceiver *receiver);

/* Decrypts in place; on SRTP_BRIDGE_OK *len is the plain packet's length. */
SrtpBridgeVerdict srtp_bridge_receiver_unprotect_rtp (SrtpBridgeReceiver *receiver, guint8 *packet, gsize *len);
SrtpBridgeVerdict srtp_bridge_receiver_unprotect_rtcp (SrtpBridgeReceiver *receiver, guint8 *packet, gsize *len);
/* Drops held packets older than the hold time; call now and then (the forwarder does). */
void              srtp_bridge_receiver_expire (SrtpBridgeReceiver *receiver, gint64 now_us);

const SrtpBridgeCounters *srtp_bridge_receiver_get_counters (SrtpBridgeReceiver *receiver);

/* Decrypt-and-forward for one session: SRTP on (group or unicast address, port) and SRTCP on
 * rtcp_port (0 = port + 1, the SDP's a=rtcp otherwise), plain RTP/RTCP to every player: the
 * loopback sink (forward address, forward port and forward port + 1; NULL = none) and the
 * players that asked for their own sockets. A multicast group is joined on multicast_interface
 * (the MBMS bearer's network interface; NULL = the one the kernel's routes choose). Batched
 * socket I/O on the caller's thread-default main context. */
typedef struct _SrtpBridgeForwarder SrtpBridgeForwarder;

/* Joins group on socket at interface (NULL = the routes' choice), taking only this socket's
 * own membership (IP_MULTICAST_ALL / IPV6_MULTICAST_ALL off). An interface that is not there
 * is an error (G_IO_ERROR_NOT_FOUND). */
gboolean srtp_bridge_join_multicast_group (GSocket *socket, GInetAddress *group, const char *iface,
                                           GError **error);
/* A non-blocking UDP socket bound to (address, port) that no other local process can share
 * the traffic of: a unicast address exclusively (no SO_REUSEADDR, no SO_REUSEPORT; anyone
 * holding it already gives G_IO_ERROR_ADDRESS_IN_USE), a multicast group bound to the group
 * itself with SO_REUSEADDR alone (every local listener gets its own copy) and joined on
 * multicast_interface. Shared by the bridge's media sockets and mbmsd's MIKEY sockets. */
GSocket *srtp_bridge_udp_socket_new (GInetAddress *address, guint16 port, const char *multicast_interface,
                                     GError **error);

SrtpBridgeForwarder *srtp_bridge_forwarder_new (SrtpBridgeReceiver *receiver, const char *address, guint16 port,
                                                guint16 rtcp_port, const char *multicast_interface,
                                                const char *forward_address, guint16 forward_port,
                                                GError **error);
/* Starts (forward_address set) or stops (NULL) the loopback sink. */
gboolean             srtp_bridge_forwarder_set_loopback (SrtpBridgeForwarder *forwarder, const char *forward_address,
                                                         guint16 forward_port, GError **error);
/* A player of its own: two connected AF_UNIX datagram sockets, one plain RTP packet (RTCP
 * packet) per datagram; *rtp_fd and *rtcp_fd are the player's ends (the caller owns them).
 * Returns the player's ID (never 0, unique over all forwarders), 0 on error. A player that
 * closes its RTP end is forgotten; one that closes its RTCP end gets RTP only. */
guint                srtp_bridge_forwarder_add_player (SrtpBridgeForwarder *forwarder, int *rtp_fd, int *rtcp_fd,
                                                       GError **error);
void                 srtp_bridge_forwarder_remove_player (SrtpBridgeForwarder *forwarder, guint id);
/* Players with their own sockets still there. */
guint                srtp_bridge_forwarder_get_players (SrtpBridgeForwarder *forwarder);
/* Plain packets sent to the players so far (RTP and RTCP, one per sink), and those dropped
 * because a player's socket was full (the bridge never blocks on a slow player). */
guint64              srtp_bridge_forwarder_get_forwarded (SrtpBridgeForwarder *forwarder);
guint64              srtp_bridge_forwarder_get_dropped (SrtpBridgeForwarder *forwarder);
void                 srtp_bridge_forwarder_free (SrtpBridgeForwarder *forwarder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrtpBridgeForwarder, srtp_bridge_forwarder_free)

G_END_DECLS
