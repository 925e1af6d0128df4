/* The bus, proxies and small helpers that mbmsctl's daemon commands share. */
#include "config.h"
#include "mbmsctl-bus.h"

GDBusConnection *
mbmsctl_connect_bus (gboolean session, GError **error)
{
  gboolean use_session = session || g_strcmp0 (g_getenv ("MBMSCTL_BUS"), "session") == 0;

  return g_bus_get_sync (use_session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL, error);
}

void
mbmsctl_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) (s ? s : ""); *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if (*p < 0x20)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  g_string_append_c (out, '"');
}

MbmsDBusManager *
mbmsctl_manager_proxy (GDBusConnection *bus, GError **error)
{
  return mbms_dbus_manager_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE, MBMSCTL_NAME, MBMSCTL_ROOT, NULL, error);
}

MbmsDBusService *
mbmsctl_service_proxy (GDBusConnection *bus, const char *path)
{
  return mbms_dbus_service_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE, MBMSCTL_NAME, path, NULL, NULL);
}

char *
mbmsctl_resolve_service (GDBusConnection *bus, const char *arg, GError **error)
{
  g_autoptr(MbmsDBusManager) m = mbmsctl_manager_proxy (bus, error);
  const char *const *paths;

  if (m == NULL)
    return NULL;
  paths = mbms_dbus_manager_get_services (m);
  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      g_autoptr(MbmsDBusService) s = mbmsctl_service_proxy (bus, paths[i]);
      g_autofree char *index = g_strdup_printf (MBMSCTL_ROOT "/Service/%s", arg);
      if (g_strcmp0 (paths[i], arg) == 0 || g_strcmp0 (paths[i], index) == 0
          || (s && g_strcmp0 (mbms_dbus_service_get_service_id (s), arg) == 0))
        return g_strdup (paths[i]);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no service \"%s\" (see mbmsctl services)", arg);
  return NULL;
}

int
mbmsctl_fail (GError *error)
{
  g_dbus_error_strip_remote_error (error);
  g_printerr ("mbmsctl: %s\n", error->message);
  return 1;
}
