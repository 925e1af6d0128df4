/* Decrypt-and-forward, TS 33.246 6.6.2 at the player's door: SRTP from the session's multicast
 * group (or unicast address) and port, SRTCP from port + 1, plain RTP/RTCP to each player: the
 * local address that the playback SDP names (any local process may bind it first) and/or a pair
 * of connected sockets per player that asked for its own. recvmmsg/sendmmsg in batches, buffers allocated once: nothing
 * on the packet path allocates. */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "srtp-bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
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
  GSource             *source;
} Leg;

/* Where plain packets go: the loopback port of the playback SDP (one unconnected socket and two
 * destinations), or a player's own pair of connected sockets (no address: only that player
 * holds the other ends). */
typedef struct {
  guint                   id;      /* 0: the loopback sink */
  int                     fd[2];   /* RTP, RTCP */
  struct sockaddr_storage dest[2];
  socklen_t               dest_len[2];
} Sink;                             /* a player's fd[i] is -1 once it closed that end */

struct _SrtpBridgeForwarder {
  SrtpBridgeReceiver *receiver;
  char               *iface;   /* where groups are joined, NULL = by route */
  Leg                 legs[2]; /* RTP, RTCP */
  GSocket            *out;     /* the loopback sink's socket, NULL when there is none */
  GArray             *sinks;   /* Sink */
  guint8             (*buffers)[PACKET_SIZE];
  struct mmsghdr      in[BATCH], out_msgs[BATCH];
  struct iovec        in_iov[BATCH], out_iov[BATCH];
  guint64             forwarded;
  guint64             dropped;   /* decrypted, but the player's socket was full */
};

static void
sink_close (Sink *sink)
{
  if (sink->id == 0)
    return; /* the loopback socket belongs to the forwarder */
  for (guint i = 0; i < 2; i++)
    if (sink->fd[i] >= 0)
      close (sink->fd[i]);
}

static void
drop_gone_sinks (SrtpBridgeForwarder *f)
{
  for (guint i = f->sinks->len; i-- > 0;)
    {
      Sink *sink = &g_array_index (f->sinks, Sink, i);
      if (sink->id != 0 && sink->fd[0] < 0 && sink->fd[1] < 0)
        {
          g_debug ("a player closed its sockets: it gets no more packets");
          g_array_remove_index (f->sinks, i);
        }
    }
}

/* A player's end is closed: without its RTP end the player is gone; without the RTCP end it
 * only reads RTP (mbmsctl stream). */
static void
check_gone (Sink *sink, int leg)
{
  if (sink->id == 0 || (errno != ECONNREFUSED && errno != EPIPE && errno != ENOTCONN))
    return;
  if (leg == 0 && sink->fd[1] >= 0)
    {
      close (sink->fd[1]);
      sink->fd[1] = -1;
    }
  close (sink->fd[leg]);
  sink->fd[leg] = -1;
}

static void
flush_to (SrtpBridgeForwarder *f, Sink *sink, gboolean rtcp, guint n)
{
  guint sent = 0;
  int leg = rtcp ? 1 : 0;

  if (sink->fd[leg] < 0)
    return;
  for (guint i = 0; i < n; i++)
    {
      f->out_msgs[i].msg_hdr.msg_name = sink->dest_len[leg] ? &sink->dest[leg] : NULL;
      f->out_msgs[i].msg_hdr.msg_namelen = sink->dest_len[leg];
    }
  while (sent < n)
    {
      int r = sendmmsg (sink->fd[leg], f->out_msgs + sent, n - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (r <= 0)
        {
          if (r < 0)
            check_gone (sink, leg);
          if (sink->fd[leg] < 0)
            return; /* nobody there to miss them */
          break; /* a full socket: the player is not reading; drop, never block */
        }
      sent += (guint) r;
    }
  f->forwarded += sent;
  f->dropped += n - sent;
}

static void
flush (Leg *leg, guint n)
{
  SrtpBridgeForwarder *f = leg->fwd;

  if (n == 0)
    return;
  for (guint i = 0; i < f->sinks->len; i++)
    flush_to (f, &g_array_index (f->sinks, Sink, i), leg->rtcp, n);
  drop_gone_sinks (f);
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
          f->out_msgs[out].msg_hdr = (struct msghdr) { .msg_iov = &f->out_iov[out], .msg_iovlen = 1 };
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
  int leg = rtcp ? 1 : 0;

  for (guint i = 0; i < f->sinks->len; i++)
    {
      Sink *sink = &g_array_index (f->sinks, Sink, i);
      if (sink->fd[leg] < 0)
        continue;
      if (sendto (sink->fd[leg], packet, len, MSG_DONTWAIT | MSG_NOSIGNAL,
                  sink->dest_len[leg] ? (struct sockaddr *) &sink->dest[leg] : NULL, sink->dest_len[leg]) > 0)
        f->forwarded++;
      else
        {
          check_gone (sink, leg);
          f->dropped += sink->fd[leg] >= 0;
        }
    }
  drop_gone_sinks (f);
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

static gboolean
open_leg (SrtpBridgeForwarder *f, Leg *leg, GInetAddress *inet, guint16 port, GError **error)
{
  int size = RCVBUF_BYTES;

  leg->fwd = f;
  /* exclusive for a unicast address, shared copies only for a multicast group (udp-socket.c) */
  leg->socket = srtp_bridge_udp_socket_new (inet, port, f->iface, error);
  if (leg->socket == NULL)
    return FALSE;
  /* bursts (a key frame) must not overflow the queue: beyond rmem_max only with CAP_NET_ADMIN,
   * else the kernel caps it (raise net.core.rmem_max for high rates) */
  if (setsockopt (g_socket_get_fd (leg->socket), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void) setsockopt (g_socket_get_fd (leg->socket), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  leg->source = g_socket_create_source (leg->socket, G_IO_IN, NULL);
  g_source_set_callback (leg->source, (GSourceFunc) (void (*) (void)) on_readable, leg, NULL);
  g_source_set_priority (leg->source, G_PRIORITY_HIGH); /* media before D-Bus chatter */
  g_source_attach (leg->source, g_main_context_get_thread_default ());
  return TRUE;
}

static void
set_send_buffer (int fd)
{
  /* a burst towards a player that reads in bursts (a key frame) waits here, not in a drop */
  int size = SNDBUF_BYTES;

  if (setsockopt (fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    (void) setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

gboolean
srtp_bridge_forwarder_set_loopback (SrtpBridgeForwarder *f, const char *forward_address, guint16 forward_port,
                                    GError **error)
{
  g_autoptr(GInetAddress) fwd = NULL;
  Sink sink = { .id = 0 };

  for (guint i = 0; i < f->sinks->len; i++)
    if (g_array_index (f->sinks, Sink, i).id == 0)
      g_array_remove_index (f->sinks, i--);
  g_clear_object (&f->out);
  if (forward_address == NULL)
    return TRUE;
  fwd = g_inet_address_new_from_string (forward_address);
  if (fwd == NULL)
    {
      g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_SOCKET, "\"%s\" is not an IP address", forward_address);
      return FALSE;
    }
  if (forward_port == G_MAXUINT16)
    {
      g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_SOCKET, "port %u leaves no room for RTCP on port + 1",
                   G_MAXUINT16);
      return FALSE;
    }
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GSocketAddress) dest = g_inet_socket_address_new (fwd, (guint16) (forward_port + i));
      sink.dest_len[i] = (socklen_t) g_socket_address_get_native_size (dest);
      if (!g_socket_address_to_native (dest, &sink.dest[i], sizeof sink.dest[i], error))
        return FALSE;
    }
  f->out = g_socket_new (g_inet_address_get_family (fwd), G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (f->out == NULL)
    return FALSE;
  g_socket_set_blocking (f->out, FALSE);
  set_send_buffer (g_socket_get_fd (f->out));
  sink.fd[0] = sink.fd[1] = g_socket_get_fd (f->out);
  g_array_append_val (f->sinks, sink);
  return TRUE;
}

guint
srtp_bridge_forwarder_add_player (SrtpBridgeForwarder *f, int *rtp_fd, int *rtcp_fd, GError **error)
{
  static guint next_id; /* unique over every forwarder: an ID names one player of one session */
  Sink sink = { .fd = { -1, -1 } };
  int theirs[2] = { -1, -1 };

  if (++next_id == 0)
    next_id = 1;
  sink.id = next_id;

  for (guint i = 0; i < 2; i++)
    {
      int pair[2];
      /* datagrams keep packet boundaries; a pair's sender is limited by its send buffer only */
      if (socketpair (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) != 0)
        {
          int e = errno;
          g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_SOCKET, "socketpair: %s", g_strerror (e));
          sink_close (&sink);
          if (theirs[0] >= 0)
            close (theirs[0]);
          return 0;
        }
      (void) fcntl (pair[0], F_SETFL, O_NONBLOCK);
      (void) shutdown (pair[0], SHUT_RD); /* ours only sends */
      set_send_buffer (pair[0]);
      sink.fd[i] = pair[0];
      theirs[i] = pair[1];
    }
  g_array_append_val (f->sinks, sink);
  *rtp_fd = theirs[0];
  *rtcp_fd = theirs[1];
  return sink.id;
}

void
srtp_bridge_forwarder_remove_player (SrtpBridgeForwarder *f, guint id)
{
  for (guint i = 0; i < f->sinks->len; i++)
    if (id != 0 && g_array_index (f->sinks, Sink, i).id == id)
      {
        sink_close (&g_array_index (f->sinks, Sink, i));
        g_array_remove_index (f->sinks, i);
        return;
      }
}

guint
srtp_bridge_forwarder_get_players (SrtpBridgeForwarder *f)
{
  guint n = 0;

  for (guint i = 0; i < f->sinks->len; i++)
    n += g_array_index (f->sinks, Sink, i).id != 0;
  return n;
}

SrtpBridgeForwarder *
srtp_bridge_forwarder_new (SrtpBridgeReceiver *receiver, const char *address, guint16 port, guint16 rtcp_port,
                           const char *multicast_interface, const char *forward_address, guint16 forward_port,
                           GError **error)
{
  g_autoptr(SrtpBridgeForwarder) f = g_new0 (SrtpBridgeForwarder, 1);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);

  f->receiver = receiver;
  f->iface = g_strdup (multicast_interface);
  f->sinks = g_array_new (FALSE, TRUE, sizeof (Sink));
  if (inet == NULL)
    {
      g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_SOCKET, "\"%s\" is not an IP address", address);
      return NULL;
    }
  if (rtcp_port == 0)
    rtcp_port = port + 1;
  if (port == G_MAXUINT16)
    {
      g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_SOCKET, "port %u leaves no room for RTCP on port + 1",
                   G_MAXUINT16);
      return NULL;
    }
  f->buffers = g_malloc (sizeof *f->buffers * BATCH);
  if (!srtp_bridge_forwarder_set_loopback (f, forward_address, forward_port, error))
    return NULL;
  f->legs[1].rtcp = TRUE;
  if (!open_leg (f, &f->legs[0], inet, port, error) || !open_leg (f, &f->legs[1], inet, rtcp_port, error))
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
      /* closing the socket leaves its groups */
      g_clear_object (&leg->socket);
    }
  if (f->receiver != NULL && f->legs[1].source != NULL)
    srtp_bridge_receiver_set_release_func (f->receiver, NULL, NULL);
  if (f->sinks != NULL)
    {
      for (guint i = 0; i < f->sinks->len; i++)
        sink_close (&g_array_index (f->sinks, Sink, i));
      g_array_unref (f->sinks);
    }
  g_clear_object (&f->out);
  g_free (f->buffers);
  g_free (f->iface);
  g_free (f);
}
