/* Authorisation of D-Bus callers from their credentials (GetConnectionUnixUser, then the
 * user's groups): root and the daemon's own user may do anything, members of the control
 * group may change state, members of the key group may receive keys. */
#include "mbms-authorizer.h"
#include "mbms-dbus-error.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

struct _MbmsAuthorizer {
  char *control_group;
  char *key_group;
};

MbmsAuthorizer *
mbms_authorizer_new (const char *control_group, const char *key_group)
{
  MbmsAuthorizer *self = g_new0 (MbmsAuthorizer, 1);

  self->control_group = g_strdup (control_group);
  self->key_group = g_strdup (key_group);
  return self;
}

void
mbms_authorizer_free (MbmsAuthorizer *self)
{
  if (self == NULL)
    return;
  g_free (self->control_group);
  g_free (self->key_group);
  g_free (self);
}

/* Root, the daemon's own user, or a member of group (from the caller's credentials). */
static gboolean
caller_in_group (GDBusMethodInvocation *inv, const char *group)
{
  g_autoptr(GVariant) reply = NULL;
  guint32 uid = G_MAXUINT32;
  struct group *gr;
  struct passwd *pw;

  reply = g_dbus_connection_call_sync (g_dbus_method_invocation_get_connection (inv), "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionUnixUser",
                                       g_variant_new ("(s)", g_dbus_method_invocation_get_sender (inv)),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, 1000, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(u)", &uid);
  if (uid == 0 || uid == getuid ())
    return TRUE;
  gr = getgrnam (group);
  pw = uid != G_MAXUINT32 ? getpwuid (uid) : NULL;
  if (gr != NULL && pw != NULL)
    {
      gid_t groups[64];
      int n = G_N_ELEMENTS (groups);
      if (getgrouplist (pw->pw_name, pw->pw_gid, groups, &n) >= 0)
        for (int i = 0; i < n; i++)
          if (groups[i] == gr->gr_gid)
            return TRUE;
    }
  return FALSE;
}

gboolean
mbms_authorizer_check_control (MbmsAuthorizer *self, GDBusMethodInvocation *inv)
{
  if (caller_in_group (inv, self->control_group))
    return TRUE;
  g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_ACCESS_DENIED,
                                         "Only members of group %s may change mbmsd's state", self->control_group);
  return FALSE;
}

gboolean
mbms_authorizer_check_keys (MbmsAuthorizer *self, GDBusMethodInvocation *inv)
{
  if (caller_in_group (inv, self->key_group))
    return TRUE;
  g_message ("key hand-out refused to %s (not in group %s)", g_dbus_method_invocation_get_sender (inv),
             self->key_group);
  g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_ACCESS_DENIED,
                                         "Only members of group %s may receive keys", self->key_group);
  return FALSE;
}
