/* Where the MBMS keys of a service are managed (TS 33.246 6.1, 6.3.2.1A; TS 26.346 11.3.1):
 * in the ME (MGV-F and MGV-S in mbmsd) or on the UICC (MGV-F on the card, Annex D). */
#pragma once

#include "gba.h"

G_BEGIN_DECLS

#define MBMS_KM_ME   "me"
#define MBMS_KM_UICC "uicc"

/* The card's: "uicc" when it offers GBA_U (n°68) and MBMS security (n°69) and GBA_U is
 * enabled ([gba] gba-u): the GBA_U run makes Ks_int_NAF the MUK, which only the card can use
 * (6.1); else "me". */
const char *mbms_km_mode_of_card (GbaUiccCaps caps, gboolean gba_u_enabled);

/* A service's: "" when unprotected; the card's mode when the service allows it; NULL when the
 * service requires UICC key management (uicc_required) and the card's mode is "me": the
 * service is unavailable (6.3.2.1A: "the UE should only try to access the MBMS User Service
 * if the selected UICC application is capable of MBMS key management"). */
const char *mbms_km_mode_of_service (const char *card_mode, gboolean protected, gboolean uicc_required);

G_END_DECLS
