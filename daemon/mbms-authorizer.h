/* Who may do what on org.mbmsd.Mbmsd1, decided from the caller's credentials: changing state
 * (the control group) and receiving keys (the key group). The one place of the daemon where
 * authorisation is decided. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _MbmsAuthorizer MbmsAuthorizer;

MbmsAuthorizer *mbms_authorizer_new (const char *control_group, const char *key_group);
void            mbms_authorizer_free (MbmsAuthorizer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsAuthorizer, mbms_authorizer_free)

/* TRUE when the caller may change state (root, the daemon's user, or the control group);
 * otherwise answers AccessDenied. */
gboolean        mbms_authorizer_check_control (MbmsAuthorizer *self, GDBusMethodInvocation *invocation);
/* The same for key hand-out, with the key group. */
gboolean        mbms_authorizer_check_keys (MbmsAuthorizer *self, GDBusMethodInvocation *invocation);

G_END_DECLS
