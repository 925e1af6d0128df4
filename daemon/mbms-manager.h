/* The daemon's centre: the card, GBA, key management, MGV-S, MIKEY reception, the user's
 * registrations, and the D-Bus objects of org.mbmsd.Mbmsd1 (Manager, Services, Sessions). */
#pragma once

#include "mbms-config.h"

#include <gio/gio.h>

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

G_END_DECLS
