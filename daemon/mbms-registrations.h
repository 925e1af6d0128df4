/* The user's registrations, kept across restarts (TS 33.246 6.3.2.1A: register again at
 * subsequent power on unless the user deregistered or the USIM changed), with the BM-SC
 * chosen for each service (kept for every later procedure). */
#pragma once

#include "mbms-keymgmt.h"

typedef struct _MbmsRegistrations MbmsRegistrations;

/* A file written for another card is wiped (*wiped set); a corrupt one is refused. */
MbmsRegistrations *mbms_registrations_open (const char *path, const char *card_identity, gboolean *wiped,
                                            GError **error);
void               mbms_registrations_free (MbmsRegistrations *regs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsRegistrations, mbms_registrations_free)

/* Add and remove write the file before they return; when the write fails, the error names the
 * file and the errno, and the registrations in memory stay as they were (as on disk). */
gboolean    mbms_registrations_add (MbmsRegistrations *regs, const char *service_id, const char *bmsc_uri,
                                    GError **error);
gboolean    mbms_registrations_remove (MbmsRegistrations *regs, const char *service_id, GError **error);
const char *mbms_registrations_get_bmsc (MbmsRegistrations *regs, const char *service_id);
/* Service IDs, sorted; free with g_strfreev. */
char      **mbms_registrations_list (MbmsRegistrations *regs);

/* Power-on: registers every kept service again with its BM-SC, one request per BM-SC. The
 * result maps service ID -> status (0 when its request failed as a whole). */
void        mbms_registrations_restore_async (MbmsRegistrations *regs, MbmsKeymgmt *km, GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
GHashTable *mbms_registrations_restore_finish (MbmsRegistrations *regs, GAsyncResult *result, GError **error);
