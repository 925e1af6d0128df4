/* org.mbmsd.Mbmsd1.Error.*: the daemon's GError domain, registered with GDBus so that callers
 * see the named errors. */
#include "mbms-dbus-error.h"

static const GDBusErrorEntry dbus_errors[] = {
  { MBMS_DBUS_ERROR_FAILED, "org.mbmsd.Mbmsd1.Error.Failed" },
  { MBMS_DBUS_ERROR_ACCESS_DENIED, "org.mbmsd.Mbmsd1.Error.AccessDenied" },
  { MBMS_DBUS_ERROR_NOT_PROTECTED, "org.mbmsd.Mbmsd1.Error.NotProtected" },
  { MBMS_DBUS_ERROR_NOT_REGISTERED, "org.mbmsd.Mbmsd1.Error.NotRegistered" },
  { MBMS_DBUS_ERROR_BOOTSTRAP_FAILED, "org.mbmsd.Mbmsd1.Error.BootstrapFailed" },
  { MBMS_DBUS_ERROR_KEY_MANAGEMENT_FAILED, "org.mbmsd.Mbmsd1.Error.KeyManagementFailed" },
  { MBMS_DBUS_ERROR_INVALID_DESCRIPTION, "org.mbmsd.Mbmsd1.Error.InvalidDescription" },
  { MBMS_DBUS_ERROR_NO_KEY, "org.mbmsd.Mbmsd1.Error.NoKey" },
  { MBMS_DBUS_ERROR_NOT_SUPPORTED, "org.mbmsd.Mbmsd1.Error.NotSupported" },
  { MBMS_DBUS_ERROR_STORAGE_FAILED, "org.mbmsd.Mbmsd1.Error.StorageFailed" },
};

GQuark
mbms_dbus_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("mbms-dbus-error-quark", &quark, dbus_errors, G_N_ELEMENTS (dbus_errors));
  return (GQuark) quark;
}
