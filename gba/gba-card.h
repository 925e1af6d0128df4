/* Inside gba/: what GbaUiccCard and the transports share. */
#pragma once

#include "gba-apdu.h"

G_BEGIN_DECLS

/* Longest response mbmsd collects for one command (GET RESPONSE and ODD chaining added up):
 * a MIKEY verification message is far smaller. */
#define GBA_CARD_MAX_RESPONSE (64 * 1024)

/* One command with the T=0 rules of TS 102 221 7.3.1.1.5 applied: 61xx fetches with GET
 * RESPONSE (again while the card says 61xx), 6Cxx sends the command again with Le = xx.
 * data || SW1 SW2 of the final answer, the data of every GET RESPONSE joined. */
GBytes *gba_card_exchange (GbaCardTransport *transport, guint channel, GBytes *apdu, GCancellable *cancellable,
                           GError **error);

/* Wipes the octets of a GBytes this code made itself (nobody else holds them): card answers
 * carry RES, CK, IK, Ks_ext_NAF and MTKs. */
void gba_card_bytes_wipe (GBytes *bytes);

G_END_DECLS
