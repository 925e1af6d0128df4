/* What every mbmsctl command that talks to mbmsd shares: the bus, proxies, SERVICE
 * arguments, JSON strings and the error line. */
#pragma once

#include "mbms-dbus-generated.h"

#define MBMSCTL_NAME "org.mbmsd.Mbmsd1"
#define MBMSCTL_ROOT "/org/mbmsd/Mbmsd1"

/* The system bus, or the session bus with --session-bus or MBMSCTL_BUS=session. */
GDBusConnection *mbmsctl_connect_bus (gboolean session, GError **error);
MbmsDBusManager *mbmsctl_manager_proxy (GDBusConnection *bus, GError **error);
MbmsDBusService *mbmsctl_service_proxy (GDBusConnection *bus, const char *path);
/* SERVICE may be an object path, a service ID or an index N (…/Service/N). */
char *mbmsctl_resolve_service (GDBusConnection *bus, const char *arg, GError **error);
/* s as a JSON string literal (NULL as ""). */
void mbmsctl_json_string (GString *out, const char *s);
/* Prints "mbmsctl: MESSAGE" (the remote error's name stripped) and returns 1. */
int mbmsctl_fail (GError *error);
