/* Who may do what on org.mbmsd.Mbmsd1: changing state (action org.mbmsd.Mbmsd1.control) and
 * receiving keys (org.mbmsd.Mbmsd1.keys). Decided from the caller's own credentials as the
 * bus recorded them when it connected (GetConnectionCredentials: UnixUserID, UnixGroupIDs),
 * then by polkit; never from the user database's idea of the user's groups. The one place
 * of the daemon where authorisation is decided. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _MbmsAuthorizer MbmsAuthorizer;

typedef enum {
  MBMS_AUTH_CONTROL, /* org.mbmsd.Mbmsd1.control: register, streaming, descriptions */
  MBMS_AUTH_KEYS,    /* org.mbmsd.Mbmsd1.keys: Session.GetKeys */
} MbmsAuthAction;

/* The polkit action IDs of data/org.mbmsd.Mbmsd1.policy. */
#define MBMS_AUTH_ACTION_CONTROL "org.mbmsd.Mbmsd1.control"
#define MBMS_AUTH_ACTION_KEYS    "org.mbmsd.Mbmsd1.keys"

typedef void (*MbmsAuthorizedFunc) (GDBusMethodInvocation *invocation, gpointer data);

MbmsAuthorizer *mbms_authorizer_new (const char *control_group, const char *key_group);
void            mbms_authorizer_free (MbmsAuthorizer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsAuthorizer, mbms_authorizer_free)

/* Without blocking the main loop: root, the daemon's own user, and a caller holding the
 * action's group (control-group or key-group of mbmsd.conf, primary or supplementary) may;
 * anyone else only when polkit says so for the action, asked without user interaction. When
 * the caller may, func (invocation, data) runs later from the main loop; when not, the
 * invocation is answered org.mbmsd.Mbmsd1.Error.AccessDenied. destroy (data) runs in both
 * cases. */
void            mbms_authorizer_authorize (MbmsAuthorizer *self, GDBusMethodInvocation *invocation,
                                           MbmsAuthAction action, MbmsAuthorizedFunc func, gpointer data,
                                           GDestroyNotify destroy);

G_END_DECLS
