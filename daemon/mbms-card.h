/* The card mbmsd uses, made from the configuration: the software USIM, a PC/SC reader or a
 * modem's AT port, and how the card is shown on D-Bus. */
#pragma once

#include "gba.h"
#include "mbms-config.h"

/* The card of [uicc] backend; for pcsc and at nothing is read yet (the card may come later). */
GbaUicc *mbms_card_new (const MbmsConfig *config, GError **error);

/* The Manager's CardState for a card error: "card-locked", "absent" or "error". */
const char *mbms_card_state_for_error (const GError *error);

/* The ICCID as shown: all but the last four digits hidden. */
char *mbms_card_masked_iccid (const char *iccid);

/* USIM services mbmsd cares about, as names ("gba-u" n°68, "mbms-security" n°69). */
GStrv mbms_card_services (GbaUiccCaps caps);
