/* The lab media sender: SRTP as a BM-SC's content side would send it (TS 33.246 6.6.2), under
 * the MTKs the lab BM-SC announces, built with libsrtp2. */
#pragma once

#include "lab-bmsc.h"

typedef struct _LabMedia LabMedia;

/* RTP to address:port (SRTCP sender reports to port + 1) at rate packets/s with payload
 * octets each; a new MTK is used lead_ms after its MTK message went out. Octet i of the
 * payload of packet SEQ is (SEQ + 13 i) mod 256, so a receiver can check every byte. */
LabMedia *lab_media_new (LabBmsc *bmsc, const guint8 domain[3], guint16 key_group, const char *address,
                         guint16 port, guint rate, guint payload, guint lead_ms, GError **error);
void      lab_media_free (LabMedia *media);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabMedia, lab_media_free)

/* [lab-media] destination (address:port), key-domain, key-group, rate, payload, lead-ms. */
LabMedia *lab_media_from_key_file (LabBmsc *bmsc, GKeyFile *key_file, GError **error);
guint64   lab_media_sent (LabMedia *media);
