/* The MSK IDs the card holds for UICC key management (TS 33.246 6.1, Annex D): the ME keeps
 * no MSK, only which ones the card accepted, with what it needs beside the card's MTK: the
 * MSK message's MIKEY RAND (download keys, RFC 3830 4.1.3 / 6.5.4) and its SRTP policy (the
 * SP payload, sent in the clear). Like EF_MSK (TS 31.102 4.2.80, 7.1.1.6): at most two MSKs
 * per Key Domain ID and Key Group, the newer first. Never key bytes. */
#pragma once

#include "mgv.h"

G_BEGIN_DECLS

typedef struct _MbmsUiccMsks MbmsUiccMsks;

MbmsUiccMsks *mbms_uicc_msks_new (void);
void          mbms_uicc_msks_free (MbmsUiccMsks *msks);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsUiccMsks, mbms_uicc_msks_free)

/* The card took an MSK message for msk_id (Key Number not 0). rand and policy may be NULL
 * (policy NULL keeps the one known). The oldest of a third MSK ID in the group is dropped. */
void     mbms_uicc_msks_add (MbmsUiccMsks *msks, const guint8 domain[3], guint32 msk_id, GBytes *rand,
                             GBytes *policy);
gboolean mbms_uicc_msks_holds (MbmsUiccMsks *msks, const guint8 domain[3], guint32 msk_id);
/* The card said it does not hold it (6A88). */
void     mbms_uicc_msks_forget (MbmsUiccMsks *msks, const guint8 domain[3], guint32 msk_id);
/* MSK deletion of a group (key_group < 0: every group of the domain); how many went. */
guint    mbms_uicc_msks_forget_group (MbmsUiccMsks *msks, const guint8 domain[3], gint key_group);
GBytes  *mbms_uicc_msks_get_rand (MbmsUiccMsks *msks, const guint8 domain[3], guint32 msk_id);
GBytes  *mbms_uicc_msks_get_policy (MbmsUiccMsks *msks, const guint8 domain[3], guint32 msk_id);
/* As MgvMskInfo, newest first per group; SEQl and SEQu 0: the key validity is the card's. */
GArray  *mbms_uicc_msks_list (MbmsUiccMsks *msks);

G_END_DECLS
