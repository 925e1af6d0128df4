/* The key management mode of the card and of each service (TS 33.246 6.1, 6.3.2.1A). */
#include "mbms-km-mode.h"

const char *
mbms_km_mode_of_card (GbaUiccCaps caps, gboolean gba_u_enabled)
{
  GbaUiccCaps both = GBA_UICC_CAP_GBA_U | GBA_UICC_CAP_MBMS;

  /* TS 33.246 6.1: "The MSKs for an MBMS User Service shall be stored on either the UICC, if
   * the UICC is capable of MBMS key management, or the ME" -- and after GBA_U the MUK is
   * Ks_int_NAF, on the card. Without GBA_U (disabled by configuration) there is no
   * Ks_int_NAF and the keys stay in the ME. */
  return gba_u_enabled && (caps & both) == both ? MBMS_KM_UICC : MBMS_KM_ME;
}

const char *
mbms_km_mode_of_service (const char *card_mode, gboolean protected, gboolean uicc_required)
{
  if (!protected)
    return "";
  /* 6.3.2.1A: with uiccKeyManagement false, "if the used UICC application is capable of
   * MBMS key management, then UICC key management shall be used": the card's mode either way */
  if (g_strcmp0 (card_mode, MBMS_KM_UICC) == 0)
    return MBMS_KM_UICC;
  return uicc_required ? NULL : MBMS_KM_ME;
}
