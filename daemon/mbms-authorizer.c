/* Authorisation of D-Bus callers, the way ModemManager and fwupd do it: the caller's
 * credentials from the bus, then polkit.
 *
 * The bus's GetConnectionCredentials gives the uid and the groups the calling process held
 * when it connected (dbus-daemon reads them from the socket with SO_PEERCRED and
 * SO_PEERGROUPS), so a process that dropped a group is judged without it, and a user listed
 * in /etc/group gains nothing from the listing alone. No PID is used: polkit gets the bus
 * name as its subject (system-bus-name) and resolves it on the bus itself, so the PID-reuse
 * race that ProcessFD closes does not arise here, and the ProcessFD a bus may offer is not
 * needed. polkit is reached over D-Bus (org.freedesktop.PolicyKit1), without libpolkit. */
#include "mbms-authorizer.h"
#include "mbms-dbus-error.h"

#include <grp.h>
#include <unistd.h>

#define POLKIT_NAME  "org.freedesktop.PolicyKit1"
#define POLKIT_PATH  "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_IFACE "org.freedesktop.PolicyKit1.Authority"
#define POLKIT_CHECK_NONE 0 /* CheckAuthorizationFlags: no AllowUserInteraction */

struct _MbmsAuthorizer {
  char *control_group;
  char *key_group;
};

typedef struct {
  MbmsAuthorizer        *self;
  GDBusMethodInvocation *invocation;
  MbmsAuthAction         action;
  MbmsAuthorizedFunc     func;
  gpointer               data;
  GDestroyNotify         destroy;
} Check;

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

static const char *
action_id (MbmsAuthAction action)
{
  return action == MBMS_AUTH_KEYS ? MBMS_AUTH_ACTION_KEYS : MBMS_AUTH_ACTION_CONTROL;
}

static const char *
action_group (MbmsAuthorizer *self, MbmsAuthAction action)
{
  return action == MBMS_AUTH_KEYS ? self->key_group : self->control_group;
}

static void
check_finish (Check *c, gboolean allowed, const char *how)
{
  const char *sender = g_dbus_method_invocation_get_sender (c->invocation);
  const char *group = action_group (c->self, c->action);

  g_debug ("%s by %s: %s (%s)", action_id (c->action), sender ? sender : "(peer)", allowed ? "allowed" : "denied",
           how);
  if (allowed)
    c->func (c->invocation, c->data);
  else if (c->action == MBMS_AUTH_KEYS)
    {
      g_message ("key hand-out refused to %s (%s)", sender ? sender : "(peer)", how);
      g_dbus_method_invocation_return_error (c->invocation, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_ACCESS_DENIED,
                                             "Only members of group %s, or callers polkit authorises for %s, may "
                                             "receive keys", group, MBMS_AUTH_ACTION_KEYS);
    }
  else
    g_dbus_method_invocation_return_error (c->invocation, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_ACCESS_DENIED,
                                           "Only members of group %s, or callers polkit authorises for %s, may "
                                           "change mbmsd's state", group, MBMS_AUTH_ACTION_CONTROL);
  if (c->destroy != NULL)
    c->destroy (c->data);
  g_object_unref (c->invocation);
  g_free (c);
}

static void
on_polkit_checked (GObject *source, GAsyncResult *res, gpointer data)
{
  Check *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, &error);
  gboolean authorized = FALSE, challenge = FALSE;
  g_autofree char *how = NULL;

  if (reply == NULL)
    {
      /* no polkit on the bus, or it failed: nobody beyond the groups */
      how = g_strdup_printf ("not in the group; polkit: %s", error->message);
      check_finish (c, FALSE, how);
      return;
    }
  g_variant_get (reply, "((bb@a{ss}))", &authorized, &challenge, NULL);
  how = g_strdup_printf ("polkit: %s", authorized ? "authorized" : challenge ? "needs authentication, not asked"
                                                                             : "not authorized");
  check_finish (c, authorized, how);
}

static void
ask_polkit (Check *c)
{
  GVariantBuilder subject;

  /* the bus name as the subject: polkit looks the caller up on the bus (its uid, its process) */
  g_variant_builder_init (&subject, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&subject, "{sv}", "name",
                         g_variant_new_string (g_dbus_method_invocation_get_sender (c->invocation)));
  g_dbus_connection_call (g_dbus_method_invocation_get_connection (c->invocation), POLKIT_NAME, POLKIT_PATH,
                          POLKIT_IFACE, "CheckAuthorization",
                          g_variant_new ("((sa{sv})sa{ss}us)", "system-bus-name", &subject, action_id (c->action),
                                         NULL, (guint32) POLKIT_CHECK_NONE, ""),
                          G_VARIANT_TYPE ("((bba{ss}))"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_polkit_checked, c);
}

/* The group named in mbmsd.conf among the caller's groups (as the bus recorded them). */
static gboolean
holds_group (GVariant *gids, const char *group)
{
  struct group *gr = group != NULL && *group != '\0' ? getgrnam (group) : NULL;
  gsize n = 0;
  const guint32 *ids;

  if (gr == NULL || gids == NULL)
    return FALSE;
  ids = g_variant_get_fixed_array (gids, &n, sizeof (guint32));
  for (gsize i = 0; i < n; i++)
    if (ids[i] == (guint32) gr->gr_gid)
      return TRUE;
  return FALSE;
}

static void
on_credentials (GObject *source, GAsyncResult *res, gpointer data)
{
  Check *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, &error);
  g_autoptr(GVariant) creds = NULL;
  g_autoptr(GVariant) gids = NULL;
  guint32 uid;

  if (reply == NULL)
    {
      g_autofree char *how = g_strdup_printf ("no credentials: %s", error->message);
      check_finish (c, FALSE, how);
      return;
    }
  creds = g_variant_get_child_value (reply, 0);
  if (!g_variant_lookup (creds, "UnixUserID", "u", &uid))
    {
      check_finish (c, FALSE, "the bus gave no UnixUserID");
      return;
    }
  if (uid == 0 || uid == (guint32) getuid ())
    {
      check_finish (c, TRUE, uid == 0 ? "root" : "mbmsd's own user");
      return;
    }
  /* without UnixGroupIDs (a bus that cannot tell), the groups grant nothing */
  gids = g_variant_lookup_value (creds, "UnixGroupIDs", G_VARIANT_TYPE ("au"));
  if (holds_group (gids, action_group (c->self, c->action)))
    {
      check_finish (c, TRUE, "holds the group");
      return;
    }
  ask_polkit (c);
}

void
mbms_authorizer_authorize (MbmsAuthorizer *self, GDBusMethodInvocation *invocation, MbmsAuthAction action,
                           MbmsAuthorizedFunc func, gpointer data, GDestroyNotify destroy)
{
  Check *c = g_new0 (Check, 1);
  const char *sender = g_dbus_method_invocation_get_sender (invocation);

  c->self = self;
  c->invocation = g_object_ref (invocation);
  c->action = action;
  c->func = func;
  c->data = data;
  c->destroy = destroy;
  if (sender == NULL)
    {
      /* a peer-to-peer connection has no bus to vouch for the caller */
      check_finish (c, FALSE, "no bus name");
      return;
    }
  g_dbus_connection_call (g_dbus_method_invocation_get_connection (invocation), "org.freedesktop.DBus",
                          "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionCredentials",
                          g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1,
                          NULL, on_credentials, c);
}
