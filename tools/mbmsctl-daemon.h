/* mbmsctl's commands that talk to a running mbmsd over D-Bus. */
#pragma once

#include <gio/gio.h>

int mbmsctl_daemon_command (const char *command, int argc, char **argv, gboolean json, gboolean session);
int mbmsctl_monitor (gboolean json, gboolean session);
int mbmsctl_stream (int argc, char **argv, gboolean json, gboolean session);

/* Shared by the commands: the bus (system, or session with --session-bus or
 * MBMSCTL_BUS=session), a service by path, ID or index, and an error printed as mbmsctl's. */
GDBusConnection *mbmsctl_connect_bus (gboolean session, GError **error);
char            *mbmsctl_resolve_service (GDBusConnection *bus, const char *arg, GError **error);
int              mbmsctl_fail (GError *error);
