/* The daemon's centre: the card, GBA, key management, MGV-S, MIKEY reception, the user's
 * registrations, and the D-Bus objects of org.mbmsd.Mbmsd1 (Manager, Services, Sessions). */
#pragma once

#include "mbms-config.h"
#include "mbms-dbus-error.h"
#include "mbms-keymgmt.h"
#include "mbms-registrations.h"
#include "mbms-dbus-generated.h"
#include "mgv.h"

G_BEGIN_DECLS

#define MBMS_TYPE_MANAGER (mbms_manager_get_type ())
G_DECLARE_FINAL_TYPE (MbmsManager, mbms_manager, MBMS, MANAGER, GObject)

MbmsManager       *mbms_manager_new (MbmsConfig *config, GError **error);
/* Exports the objects on the connection and starts: descriptions, restored registrations. */
void               mbms_manager_start (MbmsManager *self, GDBusConnection *connection);
/* Deregisters every registered service (the registrations stay for the next start), then
 * calls done; bounded by the configured shutdown timeout. */
void               mbms_manager_shutdown (MbmsManager *self, GSourceFunc done, gpointer data);
gboolean           mbms_manager_rescan (MbmsManager *self, GError **error);

/* For MbmsService. */
MbmsKeymgmt       *mbms_manager_get_keymgmt (MbmsManager *self);
MbmsRegistrations *mbms_manager_get_registrations (MbmsManager *self);
MbmsClock         *mbms_manager_get_clock (MbmsManager *self);
MgvStore          *mbms_manager_get_store (MbmsManager *self);
GDBusObjectManagerServer *mbms_manager_get_object_manager (MbmsManager *self);
const MbmsConfig  *mbms_manager_get_config (MbmsManager *self);
/* TRUE when the caller may change state (root, the daemon's user, or the control group);
 * otherwise answers AccessDenied. */
gboolean           mbms_manager_authorize (MbmsManager *self, GDBusMethodInvocation *invocation);
/* The same for key hand-out, with the key group of the configuration. */
gboolean           mbms_manager_authorize_keys (MbmsManager *self, GDBusMethodInvocation *invocation);
/* SRTP traffic names msk_id: without that MSK in MGV-S, an MSK request (6.3.2.2.3). */
void               mbms_manager_msk_missing (MbmsManager *self, const guint8 domain[3], guint32 msk_id);
void               mbms_manager_watch_destination (MbmsManager *self, const char *address);

G_END_DECLS
