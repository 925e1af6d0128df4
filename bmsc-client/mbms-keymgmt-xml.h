/* The HTTP bodies of the key management procedures (TS 33.246 6.3.2, Annex G) as TS 26.346
 * V16.11.1 writes them: registration 11.4, deregistration 11.5, MSK request 11.6, and the
 * responses 11.7 and 11.8, each item with its own response code (TS 33.246 6.3.2.4). */
#pragma once

#include "mbms-usd.h"

/* TS 26.346 Annex C.8-C.10, C.12, C.13. */
#define MBMS_MEDIA_MSK_REQUEST        "application/mbms-msk+xml"
#define MBMS_MEDIA_REGISTER           "application/mbms-register+xml"
#define MBMS_MEDIA_DEREGISTER         "application/mbms-deregister+xml"
#define MBMS_MEDIA_MSK_RESPONSE       "application/mbms-msk-response+xml"
#define MBMS_MEDIA_REGISTER_RESPONSE  "application/mbms-register-response+xml"

/* One requested MSK: Key Domain ID + MSK ID (Key Number 0 = the current one, 6.3.2.1). */
typedef struct {
  guint8  domain[MBMS_KEY_DOMAIN_LEN];
  guint32 msk_id;
} MbmsMskRef;

/* One Response item (11.7.1, 11.8.1): what it names and its code. status is the leading
 * three-digit status code of ResponseCode ("200 OK" -> 200); 0 when the item has none that
 * can be read, and problem then says why. An item that names nothing readable has
 * neither service_id nor has_msk. */
typedef struct {
  char       *service_id;     /* registration / deregistration responses */
  gboolean    has_msk;        /* MSK responses */
  MbmsMskRef  msk;
  guint       status;
  char       *response_code;  /* ResponseCode as written, NULL when absent */
  char       *problem;        /* NULL when the item was read whole */
} MbmsItemStatus;

GBytes *mbms_keymgmt_build_register (const char *const *service_ids, gboolean deregister);
GBytes *mbms_keymgmt_build_msk_request (const MbmsMskRef *refs, guint n_refs);

/* Parses a registration / deregistration response (msk_response FALSE) or an MSK response
 * into an array of MbmsItemStatus, one per Response item in document order. Fails as a whole
 * only when the body is not such a response at all; unreadable items are kept with their
 * problem, so that the others still count (6.3.2.4). */
GArray *mbms_keymgmt_parse_response (const char *body, gsize len, gboolean msk_response, GError **error);
void    mbms_item_status_clear (MbmsItemStatus *s);

/* The item of a response for one service / one MSK (IDs compared as binary); NULL when the
 * BM-SC did not list it. With two for the same, the first counts. */
const MbmsItemStatus *mbms_keymgmt_item_for_service (GArray *items, const char *service_id);
const MbmsItemStatus *mbms_keymgmt_item_for_msk (GArray *items, const MbmsMskRef *ref);
