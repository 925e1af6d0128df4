/* Decrypt-and-forward, TS 33.246 6.6.2 at the player's door: SRTP from the session's multicast
 * group (or unicast address) and port, SRTCP from port + 1, plain RTP/RTCP to a local address
 * that the playback SDP names. recvmmsg/sendmmsg in batches, buffers allocated once: nothing
 * on the packet path allocates. */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "srtp-bridge.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define BATCH        32
#define BATCHES_PER_WAKEUP 8   /* then let the main loop breathe */
#define PACKET_SIZE  2048      /* larger datagrams are truncated and dropped as malformed */
#define RCVBUF_BYTES (2 * 1024 * 1024)
#define SNDBUF_BYTES (2 * 1024 * 1024)

typedef struct {
  SrtpBridgeForwarder *fwd;
  gboolean             rtcp;
  GSocket             *socket;
  GInetAddress        *group;  /* joined, or NULL */
  GSource             *source;
  struct sockaddr_storage dest;
  socklen_t            dest_len;
} Leg;

struct _SrtpBridgeForwarder {
  SrtpBridgeReceiver *receiver;
  char               *iface;   /* where groups are joined, NULL = by route */
  Leg                 legs[2]; /* RTP, RTCP */
  GSocket            *out;
  guint8             (*buffers)[PACKET_SIZE];
  struct mmsghdr      in[BATCH], out_msgs[BATCH];
  struct iovec        in_iov[BATCH], out_iov[BATCH];
  guint64             forwarded;
  guint64             dropped;   /* decrypted, but the player's socket was full */
};

static void
flush (Leg *leg, guint n)
{
  SrtpBridgeForwarder *f = leg->fwd;
  guint sent = 0;

  while (sent < n)
    {
      int r = sendmmsg (g_socket_get_fd (f->out), f->out_msgs + sent, n - sent, MSG_DONTWAIT);
      if (r <= 0)
        break; /* a full local socket: the player is not reading; drop, never block */
      sent += (guint) r;
    }
  f->forwarded += sent;
  f->dropped += n - sent;
}

static gboolean
on_readable (GSocket *socket, GIOCondition cond, gpointer data)
{
  Leg *leg = data;
  SrtpBridgeForwarder *f = leg->fwd;
  int fd = g_socket_get_fd (socket);

  for (guint b = 0; b < BATCHES_PER_WAKEUP; b++)
    {
      int got;
      guint out = 0;

      for (guint i = 0; i < BATCH; i++)
        {
          f->in_iov[i] = (struct iovec) { .iov_base = f->buffers[i], .iov_len = PACKET_SIZE };
          f->in[i].msg_hdr = (struct msghdr) { .msg_iov = &f->in_iov[i], .msg_iovlen = 1 };
        }
      got = recvmmsg (fd, f->in, BATCH, MSG_DONTWAIT, NULL);
      if (got <= 0)
        break;
      for (guint i = 0; i < (guint) got; i++)
        {
          gsize len = f->in[i].msg_len;
          SrtpBridgeVerdict v;

          if (f->in[i].msg_hdr.msg_flags & MSG_TRUNC)
            len = 0; /* unprotect counts it as malformed */
          v = leg->rtcp ? srtp_bridge_receiver_unprotect_rtcp (f->receiver, f->buffers[i], &len)
                        : srtp_bridge_receiver_unprotect_rtp (f->receiver, f->buffers[i], &len);
          if (v != SRTP_BRIDGE_OK)
            continue;
          f->out_iov[out] = (struct iovec) { .iov_base = f->buffers[i], .iov_len = len };
          f->out_msgs[out].msg_hdr = (struct msghdr) { .msg_name = &leg->dest, .msg_namelen = leg->dest_len,
                                                       .msg_iov = &f->out_iov[out], .msg_iovlen = 1 };
          out++;
        }
      flush (leg, out);
      if (got < BATCH)
        break;
    }
  return G_SOURCE_CONTINUE;
}

/* Held packets that decrypted once their key came: out the same way. */
static void
on_release (const guint8 *packet, gsize len, gboolean rtcp, gpointer data)
{
  SrtpBridgeForwarder *f = data;
  Leg *leg = &f->legs[rtcp ? 1 : 0];

  if (sendto (g_socket_get_fd (f->out), packet, len, MSG_DONTWAIT, (struct sockaddr *) &leg->dest, leg->dest_len) > 0)
    f->forwarded++;
  else
    f->dropped++;
}

guint64
srtp_bridge_forwarder_get_dropped (SrtpBridgeForwarder *f)
{
  return f->dropped;
}

guint64
srtp_bridge_forwarder_get_forwarded (SrtpBridgeForwarder *f)
{
  return f->forwarded;
}

gboolean
srtp_bridge_join_multicast_group (GSocket *socket, GInetAddress *group, const char *iface, GError **error)
{
  /* GLib would join on the routes' choice if the interface is not there (yet) */
  if (iface != NULL && if_nametoindex (iface) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no network interface %s", iface);
      return FALSE;
    }
  if (!g_socket_join_multicast_group (socket, group, FALSE, iface, error))
    return FALSE;
  /* only this socket's own membership: not the same group joined elsewhere on the host */
  if (g_inet_address_get_family (group) == G_SOCKET_FAMILY_IPV4)
    (void) setsockopt (g_socket_get_fd (socket), IPPROTO_IP, IP_MULTICAST_ALL, &(int) { 0 }, sizeof (int));
  return TRUE;
}

static gboolean
open_leg (SrtpBridgeForwarder *f, Leg *leg, GInetAddress *inet, guint16 port, GInetAddress *fwd, guint16 fport,
          GError **error)
{
  g_autoptr(GSocketAddress) bind_to = g_inet_socket_address_new (inet, port);
  g_autoptr(GSocketAddress) dest = g_inet_socket_address_new (fwd, fport);
  int size = RCVBUF_BYTES;

  leg->fwd = f;
  leg->socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (leg->socket == NULL)
    return FALSE;
  /* bursts (a key frame) must not overflow the queue: beyond rmem_max only with CAP_NET_ADMIN,
   * else the kernel caps it (raise net.core.rmem_max for high rates) */
  if (setsockopt (g_socket_get_fd (leg->socket), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void) setsockopt (g_socket_get_fd (leg->socket), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (!g_socket_bind (leg->socket, bind_to, TRUE, error))
    return FALSE;
  if (g_inet_address_get_is_multicast (inet))
    {
      if (!srtp_bridge_join_multicast_group (leg->socket, inet, f->iface, error))
        return FALSE;
      leg->group = g_object_ref (inet);
    }
  g_socket_set_blocking (leg->socket, FALSE);
  leg->dest_len = (socklen_t) g_socket_address_get_native_size (dest);
  if (!g_socket_address_to_native (dest, &leg->dest, sizeof leg->dest, error))
    return FALSE;
  leg->source = g_socket_create_source (leg->socket, G_IO_IN, NULL);
  g_source_set_callback (leg->source, (GSourceFunc) (void (*) (void)) on_readable, leg, NULL);
  g_source_set_priority (leg->source, G_PRIORITY_HIGH); /* media before D-Bus chatter */
  g_source_attach (leg->source, g_main_context_get_thread_default ());
  return TRUE;
}

SrtpBridgeForwarder *
srtp_bridge_forwarder_new (SrtpBridgeReceiver *receiver, const char *address, guint16 port, guint16 rtcp_port,
                           const char *multicast_interface, const char *forward_address, guint16 forward_port,
                           GError **error)
{
  g_autoptr(SrtpBridgeForwarder) f = g_new0 (SrtpBridgeForwarder, 1);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GInetAddress) fwd = g_inet_address_new_from_string (forward_address);

  f->receiver = receiver;
  f->iface = g_strdup (multicast_interface);
  if (inet == NULL || fwd == NULL)
    {
      g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_SOCKET, "\"%s\" is not an IP address",
                   inet == NULL ? address : forward_address);
      return NULL;
    }
  if (rtcp_port == 0)
    rtcp_port = port + 1;
  if (port == G_MAXUINT16 || forward_port == G_MAXUINT16)
    {
      g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_SOCKET, "port %u leaves no room for RTCP on port + 1",
                   G_MAXUINT16);
      return NULL;
    }
  f->buffers = g_malloc (sizeof *f->buffers * BATCH);
  f->out = g_socket_new (g_inet_address_get_family (fwd), G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (f->out == NULL)
    return NULL;
  g_socket_set_blocking (f->out, FALSE);
  {
    /* a burst towards a player that reads in bursts (a key frame) waits here, not in a drop */
    int size = SNDBUF_BYTES;
    if (setsockopt (g_socket_get_fd (f->out), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
      (void) setsockopt (g_socket_get_fd (f->out), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  f->legs[1].rtcp = TRUE;
  if (!open_leg (f, &f->legs[0], inet, port, fwd, forward_port, error)
      || !open_leg (f, &f->legs[1], inet, rtcp_port, fwd, forward_port + 1, error))
    {
      g_prefix_error (error, "SRTP %s:%u: ", address, port);
      if (error != NULL && *error != NULL && (*error)->domain != SRTP_BRIDGE_ERROR)
        {
          /* one error domain for callers */
          (*error)->code = SRTP_BRIDGE_ERROR_SOCKET;
          (*error)->domain = SRTP_BRIDGE_ERROR;
        }
      return NULL;
    }
  srtp_bridge_receiver_set_release_func (receiver, on_release, f);
  return g_steal_pointer (&f);
}

void
srtp_bridge_forwarder_free (SrtpBridgeForwarder *f)
{
  if (f == NULL)
    return;
  for (guint i = 0; i < 2; i++)
    {
      Leg *leg = &f->legs[i];
      if (leg->source != NULL)
        {
          g_source_destroy (leg->source);
          g_source_unref (leg->source);
        }
      if (leg->group != NULL)
        g_socket_leave_multicast_group (leg->socket, leg->group, FALSE, f->iface, NULL);
      g_clear_object (&leg->group);
      g_clear_object (&leg->socket);
    }
  if (f->receiver != NULL && f->out != NULL)
    srtp_bridge_receiver_set_release_func (f->receiver, NULL, NULL);
  g_clear_object (&f->out);
  g_free (f->buffers);
  g_free (f->iface);
  g_free (f);
}
