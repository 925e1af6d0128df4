/* The key management client of the UE: registration, deregistration and MSK requests to the
 * BM-SC over HTTP Digest with the MRK (TS 33.246 6.2.1, 6.3.2, Annex G), with the retry rules
 * of table G.2.4, bootstrapping renegotiation and back-off. */
#pragma once

#include "gba.h"
#include "mbms-clock.h"
#include "mbms-keymgmt-xml.h"

G_BEGIN_DECLS

#define MBMS_KEYMGMT_ERROR (mbms_keymgmt_error_quark ())
GQuark mbms_keymgmt_error_quark (void);

/* Codes below 100; HTTP failures carry the HTTP status itself as the code (400..599), so the
 * caller sees exactly what the BM-SC said (G.2.4). */
typedef enum {
  MBMS_KEYMGMT_ERROR_NETWORK = 1,   /* unreachable or timed out, after the retries */
  MBMS_KEYMGMT_ERROR_TLS = 2,       /* https: the certificate did not verify */
  MBMS_KEYMGMT_ERROR_REALM = 3,     /* the challenge's realm names another server */
  MBMS_KEYMGMT_ERROR_RSPAUTH = 4,   /* the BM-SC's Authentication-Info did not verify */
  MBMS_KEYMGMT_ERROR_BOOTSTRAP = 5, /* GBA failed */
  MBMS_KEYMGMT_ERROR_RESPONSE = 6,  /* the 200 OK body is unusable */
  MBMS_KEYMGMT_ERROR_CHALLENGE = 7, /* no usable Digest challenge */
} MbmsKeymgmtError;

typedef enum {
  MBMS_KEYMGMT_REGISTER,
  MBMS_KEYMGMT_DEREGISTER,
  MBMS_KEYMGMT_MSK_REQUEST,
} MbmsKeymgmtRequest;

typedef struct {
  guint      bootstraps;     /* GBA runs this request needed (renegotiation counts) */
  guint      retries_503;
  guint      retries_network;
  guint      backoff_ms;     /* the back-off waited before sending */
  GArray    *items;          /* MbmsItemStatus, one per Response item as the BM-SC listed them */
} MbmsKeymgmtResult;

void mbms_keymgmt_result_free (MbmsKeymgmtResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsKeymgmtResult, mbms_keymgmt_result_free)

#define MBMS_TYPE_KEYMGMT (mbms_keymgmt_get_type ())
G_DECLARE_FINAL_TYPE (MbmsKeymgmt, mbms_keymgmt, MBMS, KEYMGMT, GObject)

/* Signals: "muk-ready" (const char *bmsc_fqdn, GbaMbmsKeys *keys): the MUK that the BM-SC will
 * use for this UE (6.1), emitted before the first authenticated request with it leaves, so
 * that MGV-S holds it when the MSK push that follows a registration arrives.
 * "bootstrapped" (GbaContext *). */
MbmsKeymgmt *mbms_keymgmt_new (GbaBootstrapper *bootstrapper, MbmsClock *clock, guint timeout_s);

/* One procedure with one BM-SC (bmsc_uri as announced: http(s)://host[:port]). With
 * backoff_period_s or backoff_offset_s set, waits offset + uniform(0, period) first (MSK
 * requests, 6.3.2.2.1; not for a solicited pull). */
void               mbms_keymgmt_request_async (MbmsKeymgmt *self, const char *bmsc_uri, MbmsKeymgmtRequest type,
                                               GBytes *body, guint backoff_offset_s, guint backoff_period_s,
                                               GCancellable *cancellable, GAsyncReadyCallback callback,
                                               gpointer user_data);
MbmsKeymgmtResult *mbms_keymgmt_request_finish (MbmsKeymgmt *self, GAsyncResult *result, GError **error);

/* The bootstrapped context in use (NULL before the first run). */
const GbaContext  *mbms_keymgmt_get_context (MbmsKeymgmt *self);
/* Drops the context: the next procedure runs GBA first, for a new B-TID and so a new MUK
 * (whose MSK message counter starts afresh, TS 33.246 6.4.3). */
void               mbms_keymgmt_forget_context (MbmsKeymgmt *self);

/* GBA_U: the keys of a BM-SC are derived on the card once per bootstrapped context and then
 * reused; this drops them, so that the next procedure derives them again (TS 33.246 6.1: the
 * card lost Ks_int_NAF, "the UE shall re-generate a Ks_int_NAF key"). */
void               mbms_keymgmt_forget_naf_keys (MbmsKeymgmt *self, const char *bmsc_fqdn);

/* TS 33.246 6.3.2.1A: one BM-SC chosen at random among those announced. */
const char        *mbms_keymgmt_choose_bmsc (const char *const *uris, MbmsClock *clock);

G_END_DECLS
