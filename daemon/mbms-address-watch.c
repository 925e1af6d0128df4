/* Local address changes for re-registration (TS 33.246 6.3.2.1A). rtnetlink tells us that
 * something changed; getifaddrs says what the addresses are now, and only a real difference
 * (not a route flap or a repeated notification) reaches the daemon. */
#include "mbms-address-watch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

struct _MbmsAddressWatch {
  int             fd;
  guint           source;
  guint           debounce;
  guint           debounce_ms;
  char           *last;
  MbmsAddressFunc func;
  gpointer        user_data;
};

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

char *
mbms_address_watch_snapshot (void)
{
  struct ifaddrs *list = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  GString *out = g_string_new (NULL);

  if (getifaddrs (&list) != 0)
    return g_string_free (out, FALSE);
  for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next)
    {
      char text[INET6_ADDRSTRLEN];
      const void *addr;

      if (i->ifa_addr == NULL || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
        continue;
      addr = i->ifa_addr->sa_family == AF_INET ? (const void *) &((struct sockaddr_in *) (void *) i->ifa_addr)->sin_addr
                                               : (const void *) &((struct sockaddr_in6 *) (void *) i->ifa_addr)->sin6_addr;
      if (inet_ntop (i->ifa_addr->sa_family, addr, text, sizeof text) != NULL)
        g_ptr_array_add (all, g_strdup_printf ("%s %s", i->ifa_name, text));
    }
  freeifaddrs (list);
  g_ptr_array_sort (all, compare_strings);
  for (guint i = 0; i < all->len; i++)
    g_string_append_printf (out, "%s\n", (char *) g_ptr_array_index (all, i));
  return g_string_free (out, FALSE);
}

static gboolean
check (gpointer data)
{
  MbmsAddressWatch *w = data;
  g_autofree char *now = mbms_address_watch_snapshot ();

  w->debounce = 0;
  if (g_strcmp0 (now, w->last) == 0)
    return G_SOURCE_REMOVE;
  g_free (w->last);
  w->last = g_steal_pointer (&now);
  g_message ("local addresses changed");
  w->func (w->user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_netlink (int fd, GIOCondition cond, gpointer data)
{
  MbmsAddressWatch *w = data;
  char buf[8192];

  /* the content does not matter: drain, then look at the addresses once things settle */
  while (recv (fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
    ;
  if (w->debounce != 0)
    g_source_remove (w->debounce);
  w->debounce = g_timeout_add (w->debounce_ms, check, w);
  return G_SOURCE_CONTINUE;
}

MbmsAddressWatch *
mbms_address_watch_new (guint debounce_ms, MbmsAddressFunc func, gpointer user_data)
{
  MbmsAddressWatch *w = g_new0 (MbmsAddressWatch, 1);
  struct sockaddr_nl local = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };

  w->func = func;
  w->user_data = user_data;
  w->debounce_ms = debounce_ms;
  w->last = mbms_address_watch_snapshot ();
  w->fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (w->fd < 0 || bind (w->fd, (struct sockaddr *) &local, sizeof local) != 0)
    {
      /* not fatal: the registration just will not follow address changes */
      g_warning ("cannot watch local addresses (rtnetlink): %s", g_strerror (errno));
      if (w->fd >= 0)
        close (w->fd);
      w->fd = -1;
      return w;
    }
  w->source = g_unix_fd_add (w->fd, G_IO_IN, on_netlink, w);
  return w;
}

void
mbms_address_watch_free (MbmsAddressWatch *w)
{
  if (w == NULL)
    return;
  if (w->source != 0)
    g_source_remove (w->source);
  if (w->debounce != 0)
    g_source_remove (w->debounce);
  if (w->fd >= 0)
    close (w->fd);
  g_free (w->last);
  g_free (w);
}
