/* The lab BM-SC's key management bodies, written from the specification text alone: the
 * request and response documents of TS 26.346 11.4-11.8 (schemas and examples), their media
 * types (TS 26.346 Annex C) and the HTTP use of TS 33.246 Annex G and 6.3.2.4. Pure
 * functions: no HTTP, no sockets. The readers are strict (a mistake of the UE is the point);
 * text in element-only content is tolerated, as the specification's own examples carry some. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TS 33.246 G.2.1-G.2.3: "/keymanagement?requesttype=register|deregister|msk-request". */
#define LAB_KM_PATH "/keymanagement"

typedef enum {
  LAB_KM_REGISTER,   /* G.2.1, TS 26.346 11.4 */
  LAB_KM_DEREGISTER, /* G.2.2, TS 26.346 11.5 */
  LAB_KM_MSK,        /* G.2.3, TS 26.346 11.6 */
} LabKmRequestType;

/* The value of the "requesttype" URI parameter (G.2.1-G.2.3); FALSE for any other. */
gboolean    lab_km_request_type_parse (const char *requesttype, LabKmRequestType *type);
const char *lab_km_request_type_name (LabKmRequestType type);

/* Media types: of the request (C.9 register, C.10 deregister, C.8 MSK request) and of the
 * response (C.13 for both (de)registrations, C.12 for the MSK request). */
const char *lab_km_request_media_type (LabKmRequestType type);
const char *lab_km_response_media_type (LabKmRequestType type);

/* The request's Content-Type header against Annex C: the media type (case-insensitive) and
 * no parameter but charset (Annex C "Optional parameters: charset"). NULL = header missing. */
gboolean    lab_km_check_content_type (LabKmRequestType type, const char *content_type, GError **error);

/* An mbmsSecurityRegister (11.4.1) or, for LAB_KM_DEREGISTER, an mbmsSecurityDeregister
 * (11.5.1) document: its serviceIDs in order (whitespace collapsed, as xs:anyURI). NULL and a
 * GBA_ERROR_PARSE naming what is wrong when the body does not conform. */
GStrv       lab_km_parse_registration (LabKmRequestType type, const char *body, gsize len, GError **error);

/* One Key Domain ID - MSK ID pair (TS 33.246 6.3.2.1): 3 and 4 octets. */
typedef struct {
  guint8  key_domain_id[3];  /* MCC || MNC */
  guint32 msk_id;            /* Key Group (high 16 bits) || Key Number (low 16 bits) */
} LabKmMsk;

/* An mbmsMSKRequest document (11.6.1): a GArray of LabKmMsk in order, or NULL and an error. */
GArray     *lab_km_parse_msk_request (const char *body, gsize len, GError **error);

/* "Status-Code SP Reason-Phrase" with the phrase of RFC 2616 6.1.1 (TS 33.246 6.3.2.4: the
 * codes "use the values as specified in RFC 2616"; the examples of 11.7.2, 11.8.2 write
 * "200 OK"). A code RFC 2616 does not name gets the phrase of its class. */
char       *lab_km_response_code (guint code);

/* mbmsSecurityRegisterResponse (11.7.1), the answer to both registration and deregistration:
 * one Response{serviceID, ResponseCode} per requested service, in request order (6.3.2.4). */
char       *lab_km_build_registration_response (const char *const *service_ids, const guint *codes,
                                                gsize n_items);
/* mbmsMSKResponse (11.8.1): one Response{MSK{keyDomainID, MSKID}, ResponseCode} per pair. */
char       *lab_km_build_msk_response (const LabKmMsk *msks, const guint *codes, gsize n_items);

G_END_DECLS
