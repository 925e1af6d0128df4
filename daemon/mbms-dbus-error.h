/* The names of org.mbmsd.Mbmsd1 that every object of the daemon shares: the bus name, the
 * root of the object paths, and the error domain behind org.mbmsd.Mbmsd1.Error.*. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MBMS_DBUS_NAME "org.mbmsd.Mbmsd1"
#define MBMS_DBUS_PATH "/org/mbmsd/Mbmsd1"

#define MBMS_DBUS_ERROR (mbms_dbus_error_quark ())
GQuark mbms_dbus_error_quark (void);

/* org.mbmsd.Mbmsd1.Error.* */
typedef enum {
  MBMS_DBUS_ERROR_FAILED,
  MBMS_DBUS_ERROR_ACCESS_DENIED,
  MBMS_DBUS_ERROR_NOT_PROTECTED,
  MBMS_DBUS_ERROR_NOT_REGISTERED,
  MBMS_DBUS_ERROR_BOOTSTRAP_FAILED,
  MBMS_DBUS_ERROR_KEY_MANAGEMENT_FAILED,
  MBMS_DBUS_ERROR_INVALID_DESCRIPTION,
  MBMS_DBUS_ERROR_NO_KEY,
  MBMS_DBUS_ERROR_NOT_SUPPORTED,
  MBMS_DBUS_ERROR_STORAGE_FAILED, /* the state directory cannot keep what was asked: nothing changed */
} MbmsDBusError;

G_END_DECLS
