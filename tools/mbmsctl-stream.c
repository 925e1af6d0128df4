/* mbmsctl stream: holds a service's stream (StartStreaming*) for as long as it runs, and
 * follows mbmsd leaving the bus and coming back (a restart) by asking again.
 *
 * By default the decrypted RTP of one session comes through a socket that only mbmsctl holds
 * (StartStreamingToSockets, issue 13 item 2) and goes out on stdout, each packet framed as
 * RFC 4571 2.1 (a 16-bit length, then the packet): a pipe to the player (GStreamer's
 * rtpstreamdepay reads it), which no other local process can open. On a terminal it only
 * counts packets. --loopback asks for the old mode instead: the playback SDP's URI, whose
 * loopback port any local process may bind before the player does. */
#include "config.h"
#include "mbmsctl-bus.h"
#include "mbmsctl-daemon.h"
#include "mbms-dbus-generated.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NAME MBMSCTL_NAME
#define COUNT_EVERY_S 1

typedef struct {
  GDBusConnection *bus;
  GMainLoop       *loop;
  const char      *service;  /* as the user named it */
  char            *path;
  MbmsDBusService *proxy;
  gboolean         json, loopback, to_terminal;
  guint            session;  /* which session's RTP goes to stdout */
  int              fd;       /* our end of its RTP socket, -1 */
  guint            fd_watch, count_timer, name_watch;
  gboolean         gone;     /* mbmsd left the bus */
  guint64          packets;
  int              status;
} Stream;

static void
say (Stream *st, const char *event, const char *text)
{
  /* stdout may carry the packets: what happens goes to stderr then */
  FILE *out = st->loopback ? stdout : stderr;

  if (st->json)
    fprintf (out, "{\"event\":\"%s\",\"message\":\"%s\"}\n", event, text);
  else
    fprintf (out, "%s\n", text);
  fflush (out);
}

static void
stop (Stream *st, int status)
{
  st->status = status;
  g_main_loop_quit (st->loop);
}

static void
close_socket (Stream *st)
{
  g_clear_handle_id (&st->fd_watch, g_source_remove);
  if (st->fd >= 0)
    close (st->fd);
  st->fd = -1;
}

static gboolean
write_all (const guint8 *p, gsize n)
{
  while (n > 0)
    {
      ssize_t w = write (STDOUT_FILENO, p, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return FALSE;
      p += w, n -= (gsize) w;
    }
  return TRUE;
}

static gboolean
on_rtp (int fd, GIOCondition cond, gpointer data)
{
  Stream *st = data;
  guint8 buf[2 + 65535];

  for (guint i = 0; i < 64; i++)
    {
      ssize_t n = recv (fd, buf + 2, sizeof buf - 2, MSG_DONTWAIT);
      if (n < 0)
        break;
      if (n == 0)
        continue; /* an empty datagram is no packet */
      st->packets++;
      if (st->to_terminal)
        continue;
      /* RFC 4571 2.1: LENGTH (16 bits), then the RTP packet */
      buf[0] = (guint8) (n >> 8), buf[1] = (guint8) n;
      if (!write_all (buf, (gsize) n + 2))
        {
          say (st, "player-gone", "mbmsctl: the player's end of stdout is closed: stopping");
          stop (st, 0);
          st->fd_watch = 0;
          return G_SOURCE_REMOVE;
        }
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_count (gpointer data)
{
  Stream *st = data;
  g_autofree char *line = g_strdup_printf ("%" G_GUINT64_FORMAT " RTP packets", st->packets);

  say (st, "packets", line);
  return G_SOURCE_CONTINUE;
}

static void
on_stream_state (MbmsDBusService *s, const char *state, const char *reason, gpointer data)
{
  Stream *st = data;
  g_autofree char *line = g_strdup_printf ("stream %s (%s)", state, reason);

  if (st->json)
    {
      FILE *out = st->loopback ? stdout : stderr;
      fprintf (out, "{\"stream\":\"%s\",\"reason\":\"%s\"}\n", state, reason);
      fflush (out);
    }
  else
    say (st, "stream", line);
}

/* StartStreaming or StartStreamingToSockets, on the service as mbmsd names it now. */
static gboolean
request (Stream *st, GError **error)
{
  g_autoptr(GVariant) sockets = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autofree char *uri = NULL;
  GVariantIter it;
  const char *session_path;
  gint rtp, rtcp;
  guint n = 0;

  g_clear_pointer (&st->path, g_free);
  g_clear_object (&st->proxy);
  close_socket (st);
  st->path = mbmsctl_resolve_service (st->bus, st->service, error);
  if (st->path == NULL)
    return FALSE;
  st->proxy = mbms_dbus_service_proxy_new_sync (st->bus, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, NAME, st->path, NULL,
                                                error);
  if (st->proxy == NULL)
    return FALSE;
  g_signal_connect (st->proxy, "stream-state-changed", G_CALLBACK (on_stream_state), st);
  if (st->loopback)
    {
      if (!mbms_dbus_service_call_start_streaming_sync (st->proxy, &uri, NULL, error))
        return FALSE;
      if (st->json)
        printf ("{\"playback-uri\":\"%s\",\"stream\":\"%s\"}\n", uri, mbms_dbus_service_get_stream_state (st->proxy));
      else
        printf ("%s\nstream %s; open the URI with a player, Ctrl-C stops\n", uri,
                mbms_dbus_service_get_stream_state (st->proxy));
      fflush (stdout);
      return TRUE;
    }
  if (!mbms_dbus_service_call_start_streaming_to_sockets_sync (st->proxy, g_variant_new ("a{sv}", NULL), NULL,
                                                               &sockets, &fds, NULL, error))
    return FALSE;
  g_variant_iter_init (&it, sockets);
  while (g_variant_iter_next (&it, "(&ohh)", &session_path, &rtp, &rtcp))
    {
      if (n++ != st->session)
        continue;
      st->fd = g_unix_fd_list_get (fds, rtp, error);
      if (st->fd < 0)
        return FALSE;
      st->fd_watch = g_unix_fd_add (st->fd, G_IO_IN, on_rtp, st);
      {
        g_autofree char *line = g_strdup_printf ("RTP of %s%s; Ctrl-C stops", session_path,
                                                 st->to_terminal ? " counted (stdout is a terminal)"
                                                                 : " on stdout, RFC 4571 framing");
        say (st, "streaming", line);
      }
    }
  if (st->fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s has %u protected sessions, no session %u",
                   st->service, n, st->session);
      return FALSE;
    }
  return TRUE;
}

/* mbmsd left the bus (stopped, crashed, restarting): the stream is gone with it. */
static void
on_vanished (GDBusConnection *bus, const char *name, gpointer data)
{
  Stream *st = data;

  if (st->gone || st->proxy == NULL)
    return;
  st->gone = TRUE;
  close_socket (st);
  say (st, "daemon-left", "mbmsctl: mbmsd left the bus; the stream is asked for again when it is back "
                          "(Ctrl-C stops)");
}

static void
on_appeared (GDBusConnection *bus, const char *name, const char *owner, gpointer data)
{
  Stream *st = data;
  g_autoptr(GError) error = NULL;

  if (!st->gone)
    return;
  st->gone = FALSE;
  if (!request (st, &error))
    {
      g_dbus_error_strip_remote_error (error);
      g_printerr ("mbmsctl: mbmsd is back, but the stream could not be asked for again: %s\n", error->message);
      stop (st, 1);
      return;
    }
  say (st, "daemon-back", "mbmsctl: mbmsd is back: stream asked for again");
}

static gboolean
on_quit (gpointer data)
{
  stop (data, 0);
  return G_SOURCE_REMOVE;
}

/* stream [--loopback] [--session N] SERVICE */
int
mbmsctl_stream (int argc, char **argv, gboolean json, gboolean session_bus)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Stream st = { .loop = loop, .json = json, .fd = -1 };
  int i;

  for (i = 0; i < argc && argv[i][0] == '-'; i++)
    {
      if (strcmp (argv[i], "--loopback") == 0)
        st.loopback = TRUE;
      else if (strcmp (argv[i], "--session") == 0 && i + 1 < argc)
        {
          guint64 v;
          if (!g_ascii_string_to_unsigned (argv[++i], 10, 0, 255, &v, &error))
            return mbmsctl_fail (error);
          st.session = (guint) v;
        }
      else
        break;
    }
  if (i != argc - 1)
    {
      g_printerr ("mbmsctl stream [--loopback] [--session N] SERVICE\n");
      return 2;
    }
  st.service = argv[i];
  st.to_terminal = isatty (STDOUT_FILENO);
  signal (SIGPIPE, SIG_IGN); /* a player that quits is noticed by write() */
  st.bus = mbmsctl_connect_bus (session_bus, &error);
  if (st.bus == NULL)
    return mbmsctl_fail (error);
  if (!request (&st, &error))
    {
      g_dbus_error_strip_remote_error (error);
      g_clear_object (&st.bus);
      return mbmsctl_fail (error);
    }
  st.name_watch = g_bus_watch_name_on_connection (st.bus, NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, on_appeared,
                                                  on_vanished, &st, NULL);
  if (!st.loopback && st.to_terminal)
    st.count_timer = g_timeout_add_seconds (COUNT_EVERY_S, on_count, &st);
  g_unix_signal_add (SIGINT, on_quit, &st);
  g_unix_signal_add (SIGTERM, on_quit, &st);
  g_main_loop_run (loop);
  g_bus_unwatch_name (st.name_watch);
  g_clear_handle_id (&st.count_timer, g_source_remove);
  close_socket (&st);
  if (!st.gone && st.proxy != NULL && !mbms_dbus_service_call_stop_streaming_sync (st.proxy, NULL, &error))
    {
      g_dbus_error_strip_remote_error (error);
      st.status = mbmsctl_fail (error);
    }
  g_clear_object (&st.proxy);
  g_clear_object (&st.bus);
  g_free (st.path);
  return st.status;
}
