/* The FLUTE session's socket: UDP on the session's destination (TS 26.346 7.3: the SDP's c=
 * and m= lines), the multicast group joined on the MBMS bearer's interface, datagrams read on
 * the thread-default main context and fed to the session. Bounded per wake-up so a flood
 * cannot hold the loop. */
#include "download-private.h"

#include <gio/gio.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define MAX_DATAGRAM       65536
#define DATAGRAMS_PER_WAKE 256
#define RCVBUF_BYTES       (4 * 1024 * 1024)

struct _DownloadReceiver {
  DownloadSession *session;
  GSocket         *socket;
  GSource         *source;
  guint8          *buf;
};

static gboolean
on_readable (GSocket *socket, GIOCondition cond, gpointer data)
{
  DownloadReceiver *r = data;

  for (guint i = 0; i < DATAGRAMS_PER_WAKE; i++)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (socket, (gchar *) r->buf, MAX_DATAGRAM, NULL, &error);

      if (n < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("download: receive: %s", error->message);
          break;
        }
      if (!download_session_receive (r->session, r->buf, (gsize) n, &error))
        g_debug ("download: datagram of %zd octets dropped: %s", n, error->message);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
join (GSocket *socket, GInetAddress *group, const char *iface, GError **error)
{
  if (iface != NULL && if_nametoindex (iface) == 0)
    return download_fail (error, DOWNLOAD_ERROR_IO, "no network interface %s", iface);
  if (!g_socket_join_multicast_group (socket, group, FALSE, iface, error))
    return FALSE;
  /* only this socket's own membership, not the same group joined elsewhere on the host */
  if (g_inet_address_get_family (group) == G_SOCKET_FAMILY_IPV4)
    (void) setsockopt (g_socket_get_fd (socket), IPPROTO_IP, IP_MULTICAST_ALL, &(int) { 0 }, sizeof (int));
  return TRUE;
}

DownloadReceiver *
download_receiver_new (DownloadSession *session, const char *address, guint16 port, const char *iface,
                       GError **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) bind_to = NULL;
  g_autoptr(GSocket) socket = NULL;
  DownloadReceiver *r;
  int size = RCVBUF_BYTES;

  if (inet == NULL)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FLUTE destination '%.64s' is not an IP address", address), NULL;
  socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  (void) setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  /* bound to the group itself: datagrams of other groups on the same port stay out */
  bind_to = g_inet_socket_address_new (inet, port);
  if (!g_socket_bind (socket, bind_to, TRUE, error))
    return NULL;
  if (g_inet_address_get_is_multicast (inet) && !join (socket, inet, iface, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  r = g_new0 (DownloadReceiver, 1);
  r->session = session;
  r->socket = g_steal_pointer (&socket);
  r->buf = g_malloc (MAX_DATAGRAM);
  r->source = g_socket_create_source (r->socket, G_IO_IN, NULL);
  g_source_set_callback (r->source, G_SOURCE_FUNC (on_readable), r, NULL);
  g_source_attach (r->source, g_main_context_get_thread_default ());
  return r;
}

void
download_receiver_free (DownloadReceiver *r)
{
  if (r == NULL)
    return;
  g_source_destroy (r->source);
  g_source_unref (r->source);
  g_object_unref (r->socket);
  g_free (r->buf);
  g_free (r);
}
