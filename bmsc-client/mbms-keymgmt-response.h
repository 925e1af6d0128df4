/* What the BM-SC's answer to one key management request means (TS 33.246 6.2.1, Annex G,
 * table G.2.4), read from its status, headers and body alone: no I/O, no timers, so that the
 * client and the fuzz target (bmsc-client/tests/fuzz-keymgmt-exchange.c) take the same path. */
#pragma once

#include "mbms-keymgmt.h"

#include <libsoup/soup.h>

#define MBMS_KEYMGMT_REALM_PREFIX   "3GPP-bootstrapping@" /* TS 33.246 H.2.1 step 3 */
#define MBMS_KEYMGMT_MAX_BODY       (64 * 1024)
#define MBMS_KEYMGMT_MAX_503_RETRIES 3

typedef enum {
  MBMS_KEYMGMT_NEXT_DONE,        /* 200 OK with a verified rspauth: *items */
  MBMS_KEYMGMT_NEXT_ANSWER,      /* 401 to the unauthenticated request: answer *challenge */
  MBMS_KEYMGMT_NEXT_RENEGOTIATE, /* 401 to our credentials: bootstrap again (TS 24.109 5.2.5) */
  MBMS_KEYMGMT_NEXT_RETRY,       /* 503: send again after *retry_ms */
  MBMS_KEYMGMT_NEXT_FAIL,        /* the procedure ends: error (MBMS_KEYMGMT_ERROR, code as G.2.4) */
} MbmsKeymgmtNext;

/* The request as it stands when its answer comes. */
typedef struct {
  const char                   *host;         /* the BM-SC's FQDN, which the realm must name */
  MbmsKeymgmtRequest            type;
  const GbaDigestAuthorization *sent;         /* NULL while the request went unauthenticated */
  const guint8                 *password;     /* base64(MRK) when sent is set */
  gsize                         password_len;
  gboolean                      renegotiated; /* a fresh bootstrap was made for this request */
  guint                         retries_503;
} MbmsKeymgmtExchange;

/* challenge and items are set (transfer full) only for ANSWER and DONE, retry_ms for RETRY. */
MbmsKeymgmtNext mbms_keymgmt_read_response (const MbmsKeymgmtExchange *x, guint status, const char *reason,
                                            SoupMessageHeaders *headers, GBytes *body,
                                            GbaDigestChallenge **challenge, GArray **items, guint *retry_ms,
                                            GError **error);
