/* The lab BM-SC: key management endpoints (TS 33.246 Annex G) with HTTP Digest auth-int
 * against the MRK from the lab BSF's NAF key, per-item status codes, test faults, MSK pushes
 * over UDP (MIKEY, 6.3.2.3.1) with V-bit acknowledgements, and MTK messages on a schedule. */
#pragma once

#include "lab-bsf.h"
#include "mgv.h"

typedef struct _LabBmsc LabBmsc;

typedef struct {
  guint    fail_status;        /* answer every authenticated request with this status */
  gboolean renegotiate_once;   /* refuse the first set of credentials with 401 (TS 24.109 5.2.5) */
  char    *forbid_service;     /* 403 for this service ID in the per-item list */
  guint    unavailable_times;  /* answer 503 this many times first */
  guint    retry_after_s;      /* with the 503s */
  guint    delay_ms;           /* hold each answer this long */
  gboolean bad_rspauth;
  gboolean no_challenge;       /* answer 200 without authenticating (a broken server) */
} LabBmscFaults;

LabBmsc *lab_bmsc_new (LabBsf *bsf, const char *fqdn);
void     lab_bmsc_free (LabBmsc *bmsc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabBmsc, lab_bmsc_free)

void     lab_bmsc_attach (LabBmsc *bmsc, SoupServer *server);

/* [bmsc] fqdn, ue-port; one [bmsc-service <ID>] group per service: key-domain (hex),
 * key-group, streaming (bool), mtk-to (address:port, optional), mtk-interval-ms. */
LabBmsc *lab_bmsc_from_key_file (LabBsf *bsf, GKeyFile *key_file, GError **error);
void     lab_bmsc_set_faults (LabBmsc *bmsc, const LabBmscFaults *faults);
/* A service and the key group protecting it; streaming adds an SP payload to MSK pushes. */
void     lab_bmsc_add_service (LabBmsc *bmsc, const char *service_id, const guint8 domain[3], guint16 key_group,
                               gboolean streaming);
/* Where MSK pushes go: the HTTP client's address and this UDP port (2269 in a real network). */
void     lab_bmsc_set_ue_port (LabBmsc *bmsc, guint16 port);
/* Where multicast leaves (MTK streams, lab media): an interface name, NULL = by route. Set
 * before the streams start ([bmsc] multicast-interface). */
void        lab_bmsc_set_multicast_interface (LabBmsc *bmsc, const char *iface);
const char *lab_bmsc_get_multicast_interface (LabBmsc *bmsc);
/* A sending socket for a multicast group on this host: looped back, TTL 0, out of iface. */
void        lab_socket_set_multicast_out (GSocket *socket, const char *iface);

guint    lab_bmsc_requests (LabBmsc *bmsc);          /* HTTP requests seen */
guint    lab_bmsc_registered (LabBmsc *bmsc);         /* registrations in force */
guint    lab_bmsc_pushes (LabBmsc *bmsc);             /* MSK messages sent */
guint    lab_bmsc_verified_acks (LabBmsc *bmsc);      /* verification messages that checked out */

/* MTK messages for a key group on a schedule (6.3.3.2.2): a new MTK every interval_ms, sent
 * to address:port (the session's multicast group and 2269 in a real network). */
void     lab_bmsc_start_mtk_stream (LabBmsc *bmsc, const guint8 domain[3], guint16 key_group, const char *address,
                                    guint16 port, guint interval_ms);
/* The MTK (and salt) last sent for a key group; NULL before the first. */
GbaSecret *lab_bmsc_current_mtk (LabBmsc *bmsc, const guint8 domain[3], guint16 key_group, guint16 *mtk_id,
                                 GbaSecret **salt);
guint    lab_bmsc_mtk_messages (LabBmsc *bmsc);

/* A BM-SC that restarted without the state it kept: registrations, per-UE MSK message counters
 * and pending acknowledgements are gone, every key group takes a new MSK under the MSK ID it
 * began with, and each MTK stream begins again at MTK ID 1 and counter 1 (6.3.3.1, 6.4.3), so
 * the UE sees MTK IDs and counters it accepted before. */
void     lab_bmsc_restart (LabBmsc *bmsc);

/* The current MSK of a key group (for the lab media sender and for tests). */
GbaSecret *lab_bmsc_current_msk (LabBmsc *bmsc, const guint8 domain[3], guint16 key_group, guint32 *msk_id,
                                 GBytes **rand);
