/* The HTTP bodies of the key management procedures, TS 33.246 Annex G.2 with the media types
 * of TS 26.346: registration, deregistration, MSK request and their per-item responses. */
#pragma once

#include "mbms-usd.h"

#define MBMS_MEDIA_REGISTER           "application/mbms-register+xml"
#define MBMS_MEDIA_DEREGISTER         "application/mbms-deregister+xml"
#define MBMS_MEDIA_REGISTER_RESPONSE  "application/mbms-register-response+xml"
#define MBMS_MEDIA_MSK_REQUEST        "application/mbms-msk+xml"
#define MBMS_MEDIA_MSK_RESPONSE       "application/mbms-msk-response+xml"

/* One requested MSK: Key Domain ID + MSK ID (Key Number 0 = the current one, 6.3.2.2.1). */
typedef struct {
  guint8  domain[MBMS_KEY_DOMAIN_LEN];
  guint32 msk_id;
} MbmsMskRef;

/* A per-item status of a response (6.3.2.4): the service ID, or "DDDDDD/MMMMMMMM" (hex Key
 * Domain ID / MSK ID) for MSK requests. */
typedef struct {
  char  *item;
  guint  status;
} MbmsItemStatus;

char   *mbms_msk_ref_to_item (const MbmsMskRef *ref);
GBytes *mbms_keymgmt_build_register (const char *const *service_ids, gboolean deregister);
GBytes *mbms_keymgmt_build_msk_request (const MbmsMskRef *refs, guint n_refs);
/* Parses a registration or MSK response: an array of MbmsItemStatus. */
GArray *mbms_keymgmt_parse_response (const char *body, gsize len, GError **error);
void    mbms_item_status_clear (MbmsItemStatus *s);
