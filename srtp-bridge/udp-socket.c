/* The UDP sockets mbmsd receives on (SRTP, SRTCP, MIKEY), opened so that no other local
 * process can take their traffic (issue 13 item 2).
 *
 * A unicast address is bound without SO_REUSEADDR and SO_REUSEPORT: any other bind of the same
 * address and port, or of the wildcard on that port, fails with EADDRINUSE, and so does ours
 * when someone holds it first. GLib's g_socket_bind (allow_reuse = TRUE) would set both on a
 * datagram socket, and with SO_REUSEPORT the kernel spreads a unicast flow over every socket
 * of the group: the hijack the issue reproduced.
 *
 * A multicast group is bound to the group address itself (never the wildcard, so no unicast
 * datagram to this host ever matches the socket) with SO_REUSEADDR alone: the kernel hands
 * every socket bound to a group a copy of each datagram (another player of the same public
 * group, e.g. one that decrypts with GetKeys, coexists and takes nothing away), while without
 * SO_REUSEPORT nothing is load-balanced. IP_MULTICAST_ALL (IPV6_MULTICAST_ALL) off keeps
 * groups joined by other sockets of the host out of it. */
#include "srtp-bridge.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29 /* Linux 4.20, linux/in6.h */
#endif

gboolean
srtp_bridge_join_multicast_group (GSocket *socket, GInetAddress *group, const char *iface, GError **error)
{
  int fd = g_socket_get_fd (socket);

  /* GLib would join on the routes' choice if the interface is not there (yet) */
  if (iface != NULL && if_nametoindex (iface) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no network interface %s", iface);
      return FALSE;
    }
  if (!g_socket_join_multicast_group (socket, group, FALSE, iface, error))
    return FALSE;
  /* only this socket's own memberships: not the same group joined elsewhere on the host */
  if (g_inet_address_get_family (group) == G_SOCKET_FAMILY_IPV4)
    (void) setsockopt (fd, IPPROTO_IP, IP_MULTICAST_ALL, &(int) { 0 }, sizeof (int));
  else
    (void) setsockopt (fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &(int) { 0 }, sizeof (int));
  return TRUE;
}

GSocket *
srtp_bridge_udp_socket_new (GInetAddress *address, guint16 port, const char *multicast_interface, GError **error)
{
  g_autoptr(GSocketAddress) bind_to = g_inet_socket_address_new (address, port);
  g_autoptr(GSocket) socket = NULL;
  g_autofree char *text = g_inet_address_to_string (address);
  gboolean multicast = g_inet_address_get_is_multicast (address);
  struct sockaddr_storage native;
  int fd;

  socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  fd = g_socket_get_fd (socket);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    (void) setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int) { 1 }, sizeof (int));
  /* a multicast group: copies for every local listener, no load-balancing (no SO_REUSEPORT) */
  if (multicast && setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &(int) { 1 }, sizeof (int)) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "SO_REUSEADDR: %s", g_strerror (e));
      return NULL;
    }
  if (!g_socket_address_to_native (bind_to, &native, sizeof native, error))
    return NULL;
  /* bind(2) directly: g_socket_bind sets or clears both reuse options itself */
  if (bind (fd, (struct sockaddr *) &native, (socklen_t) g_socket_address_get_native_size (bind_to)) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "cannot bind %s:%u: %s%s", text, port,
                   g_strerror (e),
                   e == EADDRINUSE ? " (another process, or another mbmsd, holds this address and port)" : "");
      return NULL;
    }
  if (multicast && !srtp_bridge_join_multicast_group (socket, address, multicast_interface, error))
    {
      g_prefix_error (error, "joining %s: ", text);
      return NULL;
    }
  g_socket_set_blocking (socket, FALSE);
  return g_steal_pointer (&socket);
}
