/* What the ME deletes on the card when the user leaves a service under UICC key management
 * (TS 33.246 6.3.2.1A: "the ME shall control the deletion of MSKs stored on the UICC"; 6.1:
 * the ME controls the deletion of MUKs). */
#pragma once

#include "mbms-service.h"
#include "mbms-uicc-keys.h"

G_BEGIN_DECLS

/* left: the service the user deregistered; services: every service (left among them). MSK
 * deletion mode for each key group of left that no registered service uses; with no registered
 * service left at its BM-SC, MUK deletion mode for that BM-SC's MUK (IDi the FQDN, IDr the
 * B-TID of context, a GBA_U run). Returns TRUE when the MUK went: the card drops Ks of that
 * B-TID with it, so the caller forgets the bootstrapped context. */
gboolean mbms_uicc_cleanup_after_deregistration (MbmsUiccKeys *keys, GPtrArray *services, MbmsService *left,
                                                 const GbaContext *context);

/* The card is full (98 66): MSK deletion mode for each key group the card holds (as far as the
 * ME knows) that no service uses, registered or not (6.3.2.1A: "The UE should delete MSKs and
 * MTKs that are no longer needed"). Returns how many groups went. */
guint    mbms_uicc_cleanup_free_space (MbmsUiccKeys *keys, GPtrArray *services);

G_END_DECLS
