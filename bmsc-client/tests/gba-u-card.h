/* A GBA_U card double for the key management tests: a software USIM (Milenage) in the GBA
 * security context of TS 31.102 7.1.2 (no MBMS security context, so the MUK is derived in the
 * ME, TS 33.246 6.1). It counts its NAF derivations and can hold them until released, so that
 * tests decide what happens while the card works. */
#pragma once

#include "gba.h"

#define GBA_U_TYPE_CARD (gba_u_card_get_type ())
G_DECLARE_FINAL_TYPE (GbaUCard, gba_u_card, GBA_U, CARD, GbaUicc)

GbaUicc *gba_u_card_new (GbaUicc *usim, const guint8 k[16], const guint8 opc[16]);
/* NAF derivations the card began (held ones included). */
guint    gba_u_card_derivations (GbaUCard *self);
/* While held, each NAF derivation waits on the card until release. */
void     gba_u_card_hold (GbaUCard *self, gboolean held);
