/* A deadline on the injectable clock: the key lifetime of a bootstrapped B-TID (TS 33.220
 * 4.5.2), after which Manager.BootstrapState says "expired". Long waits are taken in steps,
 * each checked against the clock's time, so a clock that jumps is followed. */
#pragma once

#include "mbms-clock.h"

G_BEGIN_DECLS

typedef struct _MbmsLifetime MbmsLifetime;

typedef void (*MbmsLifetimeFunc) (gpointer data);

MbmsLifetime *mbms_lifetime_new (MbmsClock *clock, MbmsLifetimeFunc expired, gpointer data);
void          mbms_lifetime_free (MbmsLifetime *lifetime);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsLifetime, mbms_lifetime_free)

/* expired is called once when the clock reaches until; a new deadline replaces the last one. */
void          mbms_lifetime_set (MbmsLifetime *lifetime, GDateTime *until);
gboolean      mbms_lifetime_is_expired (MbmsLifetime *lifetime);

G_END_DECLS
