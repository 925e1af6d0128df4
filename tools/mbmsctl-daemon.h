/* mbmsctl's commands that talk to a running mbmsd over D-Bus. */
#pragma once

#include <glib.h>

int mbmsctl_daemon_command (const char *command, int argc, char **argv, gboolean json, gboolean session);
int mbmsctl_monitor (gboolean json, gboolean session);
int mbmsctl_stream (int argc, char **argv, gboolean json, gboolean session);
