/* mbmsd: the UE-side MBMS security daemon (TS 33.246). Owns org.mbmsd.Mbmsd1 on the system
 * bus (the session bus with --session-bus); SIGTERM/SIGINT deregister and exit within the
 * configured bound, SIGHUP reads the service descriptions again. Logs go through GLib's
 * structured logging (journald under systemd) and never carry key bytes. The process is not
 * dumpable: no core file, no ptrace by users other than root, /proc/PID owned by root. */
#include "config.h"
#include "mbms-dbus-error.h"
#include "mbms-manager.h"

#include <errno.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>

/* Exit statuses (mbmsd.8): 0 stopped by a signal, 1 cannot start, 2 usage, and this one for
 * a bus that went away under a running daemon, so a supervisor can tell it from a crash. */
#define MBMSD_EXIT_BUS_LOST 3

typedef struct {
  GMainLoop   *loop;
  MbmsManager *manager;
  int          status;
  gboolean     stopping;
  gboolean     started;  /* connected and serving */
  gboolean     owned;    /* the name was ours */
  const char  *bus_name; /* "system" or "session", for the log */
} Daemon;

static gboolean
on_stopped (gpointer data)
{
  Daemon *d = data;

  g_main_loop_quit (d->loop);
  return G_SOURCE_REMOVE;
}

/* Deregisters (bounded by shutdown-timeout, as for SIGTERM) and exits with status. */
static void
stop (Daemon *d, int status)
{
  if (d->stopping)
    return;
  d->stopping = TRUE;
  d->status = status;
  mbms_manager_shutdown (d->manager, on_stopped, d);
}

static void
on_bus_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error, gpointer data)
{
  Daemon *d = data;

  g_warning ("%s bus closed (%s): deregistering and exiting with status %d", d->bus_name,
             error != NULL ? error->message : remote_peer_vanished ? "the bus went away" : "closed",
             MBMSD_EXIT_BUS_LOST);
  stop (d, MBMSD_EXIT_BUS_LOST);
}

static void
on_bus_acquired (GDBusConnection *connection, const char *name, gpointer data)
{
  Daemon *d = data;

  /* GLib's default raises SIGTERM when the bus goes; mbmsd says why and exits with its own status */
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  g_signal_connect (connection, "closed", G_CALLBACK (on_bus_closed), d);
  d->started = TRUE;
  mbms_manager_start (d->manager, connection);
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer data)
{
  Daemon *d = data;

  d->owned = TRUE;
  g_debug ("own %s on the %s bus", name, d->bus_name);
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer data)
{
  Daemon *d = data;

  /* GLib reports a closed bus here too (without the connection): on_bus_closed has it */
  if (d->started && (connection == NULL || g_dbus_connection_is_closed (connection)))
    return;
  if (connection == NULL)
    {
      g_warning ("no %s bus: cannot connect to it (is dbus-daemon running? DBUS_%s_BUS_ADDRESS?)", d->bus_name,
                 g_strcmp0 (d->bus_name, "system") == 0 ? "SYSTEM" : "SESSION");
      d->status = 1;
      g_main_loop_quit (d->loop);
      return;
    }
  if (d->owned)
    {
      g_warning ("lost the name %s on the %s bus to another owner: deregistering and exiting with status %d", name,
                 d->bus_name, MBMSD_EXIT_BUS_LOST);
      stop (d, MBMSD_EXIT_BUS_LOST);
      return;
    }
  g_warning ("name %s not owned: another process has it on the %s bus (another mbmsd?), or the D-Bus policy does "
             "not allow this user to own it", name, d->bus_name);
  /* no deregistration: the services are the other owner's to keep */
  d->status = 1;
  g_main_loop_quit (d->loop);
}

static gboolean
on_terminate (gpointer data)
{
  Daemon *d = data;

  if (d->stopping)
    return G_SOURCE_CONTINUE;
  g_message ("stopping");
  stop (d, 0);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_hangup (gpointer data)
{
  Daemon *d = data;
  g_autoptr(GError) error = NULL;

  g_message ("reloading service descriptions");
  if (!mbms_manager_rescan (d->manager, &error))
    g_warning ("%s", error->message);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *state_dir = NULL;
  gboolean session_bus = FALSE, verbose = FALSE, version = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file (default: none, built-in defaults)", "FILE" },
    { "session-bus", 0, 0, G_OPTION_ARG_NONE, &session_bus, "Use the session bus instead of the system bus", NULL },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir, "State directory (overrides the configuration)", "DIR" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log the protocol trace (debug level)", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- the MBMS security daemon");
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsConfig) config = NULL;
  Daemon d = { 0 };
  guint owner;

  setlocale (LC_ALL, ""); /* GLib's messages in the user's charset, not '?' for its quotes */
  /* before any key exists: a crash must not write MSKs, MTKs or the USIM's K to a core file
   * (issue 13). The bus authenticates us by SO_PEERCRED and our uid, which this leaves alone. */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    {
      g_printerr ("mbmsd: cannot make the process non-dumpable: %s\n", g_strerror (errno));
      return 1;
    }
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("mbmsd: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("mbmsd %s\n", MBMSD_VERSION);
      return 0;
    }
  if (verbose)
    g_log_set_debug_enabled (TRUE);
  config = mbms_config_load (config_path, &error);
  if (config == NULL)
    {
      g_printerr ("mbmsd: %s\n", error->message);
      return 1;
    }
  /* a daemon of the user's session keeps its playback files in the user's runtime dir */
  if (session_bus && g_strcmp0 (config->runtime_dir, "/run/mbmsd") == 0)
    {
      g_free (config->runtime_dir);
      config->runtime_dir = g_build_filename (g_get_user_runtime_dir (), "mbmsd", NULL);
    }
  if (state_dir != NULL)
    {
      g_free (config->state_dir);
      config->state_dir = g_steal_pointer (&state_dir);
    }
  d.manager = mbms_manager_new (g_steal_pointer (&config), &error);
  if (d.manager == NULL)
    {
      g_printerr ("mbmsd: %s\n", error->message);
      return 1;
    }
  d.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_terminate, &d);
  g_unix_signal_add (SIGINT, on_terminate, &d);
  g_unix_signal_add (SIGHUP, on_hangup, &d);
  d.bus_name = session_bus ? "session" : "system";
  owner = g_bus_own_name (session_bus ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, MBMS_DBUS_NAME,
                          G_BUS_NAME_OWNER_FLAGS_NONE, on_bus_acquired, on_name_acquired, on_name_lost, &d, NULL);
  g_main_loop_run (d.loop);
  g_bus_unown_name (owner);
  g_clear_object (&d.manager);
  g_main_loop_unref (d.loop);
  return d.status;
}
