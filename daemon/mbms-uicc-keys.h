/* UICC key management (TS 33.246 6.1, 6.4, 6.5, Annex D; TS 31.102 7.1.1.6-7.1.1.10): MIKEY
 * messages go to the card's MBMS security context, one command at a time in arrival order
 * (the card checks counters and MTK IDs, so order matters), never on the main loop. MSK
 * messages in MSK update mode: the card answers the verification message when the V bit asks
 * for one, and it goes back to the BM-SC as the ME's own would. MTK messages in MTK generation
 * mode: the card answers MTK (and salt), which the owner installs as MGV-F's. The ME keeps
 * which MSK IDs the card holds (mbms-uicc-msks.h), never an MSK or the MUK. */
#pragma once

#include "gba.h"
#include "mbms-mikey-receiver.h"
#include "mbms-uicc-msks.h"
#include "mgv.h"

G_BEGIN_DECLS

typedef struct {
  /* The card took an MSK message for msk_id; pull: Key Number 0, the BM-SC wants an MSK
   * request for the group (6.3.2.2.4) */
  void (*msk_taken) (const guint8 domain[3], guint32 msk_id, gboolean pull, gpointer data);
  /* An MSK request for the group is due (spaced by the owner): the message came under a MUK
   * older than the last generated one (6.3.2.3.1), or the card lacks the MUK of BM-SC
   * muk_missing (its FQDN, else NULL), whose NAF keys are to be derived again (6.1) */
  void (*msk_wanted) (const guint8 domain[3], guint16 key_group, const char *muk_missing, gpointer data);
  /* The card has no room for the MSK of the group (98 66, 7.1.1.6): the owner frees what no
   * service needs (6.3.2.1A) */
  void (*card_full) (const guint8 domain[3], guint16 key_group, gpointer data);
  /* MTK generation for destination: mtk, or error (GBA_ERROR_CARD_* as the card answered) */
  void (*mtk_done) (const char *destination, const MikeyKeyIds *ids, const MgvMtk *mtk, const GError *error,
                    gpointer data);
} MbmsUiccKeysFuncs;

#define MBMS_TYPE_UICC_KEYS (mbms_uicc_keys_get_type ())
G_DECLARE_FINAL_TYPE (MbmsUiccKeys, mbms_uicc_keys, MBMS, UICC_KEYS, GObject)

/* rx: borrowed, where verdicts are reported and verification messages sent; it must outlive
 * this object, or mbms_uicc_keys_stop must come first. */
MbmsUiccKeys *mbms_uicc_keys_new (GbaUicc *uicc, MbmsMikeyReceiver *rx, const MbmsUiccKeysFuncs *funcs,
                                  gpointer data);
/* Nothing more reaches the owner or the receiver; commands on the card finish unheard. */
void          mbms_uicc_keys_stop (MbmsUiccKeys *self);
/* The last generated MUK's ID (IDi = BM-SC FQDN, IDr = B-TID), after each NAF derivation. */
void          mbms_uicc_keys_set_muk (MbmsUiccKeys *self, const char *idi, const char *idr);
/* A MIKEY message (msg parsed from datagram, with key IDs): MBMS_MIKEY_PENDING, the verdict
 * following by mbms_mikey_receiver_report, or BUSY when too much is queued. */
MbmsMikeyVerdict mbms_uicc_keys_submit (MbmsUiccKeys *self, GBytes *datagram, const MikeyMessage *msg,
                                        GSocketAddress *source, const char *destination);
/* MSK deletion mode for a group (7.1.1.9) and MUK deletion mode for a MUK ID (7.1.1.10). */
void          mbms_uicc_keys_delete_group (MbmsUiccKeys *self, const guint8 domain[3], guint16 key_group);
void          mbms_uicc_keys_delete_muk (MbmsUiccKeys *self, const char *idi, const char *idr);
MbmsUiccMsks *mbms_uicc_keys_get_msks (MbmsUiccKeys *self);
/* The card went (done on its own for a GbaUiccCard's "presence-changed"): the MTKs it
 * answered are no longer handed out for copies of their messages. */
void          mbms_uicc_keys_card_removed (MbmsUiccKeys *self);

/* What a card error means for the receiver's counters (the ME path's verdicts). */
MbmsMikeyVerdict mbms_uicc_keys_verdict_of (const GError *error);

G_END_DECLS
