/* The lab BSF: Ub bootstrapping with Milenage AKA for configured subscribers (TS 24.109 4,
 * TS 33.220 4.5.2) and a loopback stand-in for Zn that hands NAF keys to the lab BM-SC. */
#pragma once

#include <libsoup/soup.h>
#include "gba.h"

typedef struct _LabBsf LabBsf;

/* Faults for tests; all off by default. */
typedef struct {
  guint    fail_status;   /* answer every Ub request with this status (e.g. 500) */
  guint    delay_ms;      /* hold every Ub answer this long */
  gboolean garbage_xml;   /* 200 OK with a body that is not bootstrapping XML */
  gboolean bad_rspauth;   /* 200 OK with a wrong rspauth */
  gboolean bad_autn;      /* challenges with a corrupted MAC-A */
} LabBsfFaults;

/* Reads [bsf] (host = the BSF name in B-TIDs, realm, lifetime-seconds) and one
 * [subscriber <IMPI>] group per subscriber (k, opc | op, amf, sqn: hex; gba-u = true runs
 * GBA_U for it, as a GUSS naming a GBA_U-capable UICC would: TS 33.220 5.2.2, 5.3.2; with
 * gba-u, uicc-mbms = true says its UICC does MBMS key management: TS 33.246 6.1). */
LabBsf   *lab_bsf_new_from_key_file (GKeyFile *key_file, GError **error);
void      lab_bsf_free (LabBsf *bsf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabBsf, lab_bsf_free)

/* Serves Ub on "/" and Zn on "/zn" of the server. */
void      lab_bsf_attach (LabBsf *bsf, SoupServer *server);
void      lab_bsf_set_faults (LabBsf *bsf, const LabBsfFaults *faults);
/* The HSS's SQN for a subscriber (tests drive resynchronisation with it). */
gboolean  lab_bsf_set_sqn (LabBsf *bsf, const char *impi, guint64 sqn);
guint64   lab_bsf_get_sqn (LabBsf *bsf, const char *impi);
guint     lab_bsf_count_btids (LabBsf *bsf);

/* Whether the bootstrapping behind a B-TID ran GBA_U. */
gboolean  lab_bsf_btid_is_gba_u (LabBsf *bsf, const char *btid);
/* Whether that GBA_U bootstrapping's UICC does MBMS key management. */
gboolean  lab_bsf_btid_uicc_mbms (LabBsf *bsf, const char *btid);

/* Zn stand-in, in process: Ks_NAF / Ks_ext_NAF (or Ks_int_NAF) for a B-TID and NAF_Id. */
GbaSecret *lab_bsf_naf_key (LabBsf *bsf, const char *btid, GBytes *naf_id, GbaNafKeyKind kind,
                            char **impi_out, GError **error);
