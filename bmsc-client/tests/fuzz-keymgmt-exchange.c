/* libFuzzer target: whole BM-SC answers (status line, headers, body) through the key
 * management client's response path, mbms_keymgmt_read_response (TS 33.246 6.2.1, Annex G,
 * table G.2.4), the function on_response of mbms-keymgmt.c calls. The head is read by
 * libsoup's own HTTP/1.x parser, as on the wire.
 *
 * Octet 0 sets the request's state: bit 0 an MSK request (else a registration), bit 1 sent
 * with our Authorization (else unauthenticated), bit 2 after a renegotiation, bits 3-4 the
 * 503s so far, bit 5 "sealed": the harness puts a valid Authentication-Info for the body in,
 * as a BM-SC holding the MRK would, so mutated 200 bodies reach the item reader past rspauth.
 * The rest is the answer: head, an empty line, body. */
#include "mbms-keymgmt-response.h"

#include <string.h>

#define HOST     "bmsc.lab.mbmsd.test"
#define BTID     "MDEyMzQ1Njc4OWFiY2RlZg==@bsf.lab.mbmsd.test"
#define PASSWORD "c2VjcmV0LW1yay1vZi10aGUtZnV6ei10YXJnZXQ=" /* base64 of a made-up MRK */

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
silence (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
}

/* What the client sent after the BM-SC's challenge, answered with PASSWORD (Annex H step 4). */
static GbaDigestAuthorization *
authorization (void)
{
  g_autoptr(GbaDigestChallenge) c = gba_digest_challenge_parse (
    "Digest realm=\"" MBMS_KEYMGMT_REALM_PREFIX HOST "\", nonce=\"bm-sc-nonce\", qop=\"auth-int\", algorithm=MD5",
    NULL);

  g_assert (c != NULL);
  return gba_digest_answer (c, BTID, (const guint8 *) PASSWORD, strlen (PASSWORD), "POST",
                            "/keymanagement?requesttype=register", (const guint8 *) "<body/>", 7, TRUE, 1);
}

static void
seal (SoupMessageHeaders *headers, const GbaDigestAuthorization *sent, const char *body, gsize len)
{
  GbaDigestAuthInfo info = { 0 };
  g_autofree char *value = NULL;

  info.rspauth = gba_digest_compute (sent->algorithm, sent->username, sent->realm, (const guint8 *) PASSWORD,
                                     strlen (PASSWORD), sent->nonce, sent->nc, sent->cnonce, sent->qop, NULL,
                                     sent->uri, (const guint8 *) body, len);
  info.qop = sent->qop;
  info.nc = sent->nc;
  info.cnonce = sent->cnonce;
  value = gba_digest_auth_info_to_string (&info);
  g_free (info.rspauth);
  soup_message_headers_replace (headers, "Authentication-Info", value);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static GbaDigestAuthorization *sent;
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(GbaDigestChallenge) challenge = NULL;
  g_autoptr(GArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autoptr(GBytes) body = NULL;
  MbmsKeymgmtExchange x = { .host = HOST };
  const char *text = (const char *) data + 1, *end;
  gsize head_len, left;
  guint status = 0, retry_ms = 0;
  MbmsKeymgmtNext next;

  if (size < 1)
    return 0;
  if (sent == NULL)
    {
      g_log_set_default_handler (silence, NULL);
      sent = authorization ();
    }
  left = size - 1;
  x.type = data[0] & 1 ? MBMS_KEYMGMT_MSK_REQUEST : MBMS_KEYMGMT_REGISTER;
  if (data[0] & 2)
    {
      x.sent = sent;
      x.password = (const guint8 *) PASSWORD;
      x.password_len = strlen (PASSWORD);
    }
  x.renegotiated = (data[0] & 4) != 0;
  x.retries_503 = (data[0] >> 3) & 3;
  end = g_strstr_len (text, (gssize) left, "\r\n\r\n");
  if (end == NULL)
    return 0;
  head_len = (gsize) (end - text) + 4;
  if (!soup_headers_parse_response (text, (int) head_len, headers, NULL, &status, &reason))
    return 0; /* libsoup ends the exchange itself; the client never sees it */
  body = g_bytes_new (text + head_len, left - head_len);
  if ((data[0] & 32) && x.sent != NULL)
    seal (headers, sent, text + head_len, left - head_len);

  next = mbms_keymgmt_read_response (&x, status, reason, headers, body, &challenge, &items, &retry_ms, &error);
  g_assert ((next == MBMS_KEYMGMT_NEXT_FAIL) == (error != NULL));
  g_assert ((next == MBMS_KEYMGMT_NEXT_ANSWER) == (challenge != NULL));
  g_assert ((next == MBMS_KEYMGMT_NEXT_DONE) == (items != NULL));
  switch (next)
    {
    case MBMS_KEYMGMT_NEXT_DONE:
      /* only an authenticated 200 OK is read */
      g_assert (status == SOUP_STATUS_OK && x.sent != NULL);
      break;
    case MBMS_KEYMGMT_NEXT_ANSWER:
      g_assert (status == SOUP_STATUS_UNAUTHORIZED && x.sent == NULL);
      g_assert (g_ascii_strcasecmp (challenge->realm, MBMS_KEYMGMT_REALM_PREFIX HOST) == 0);
      break;
    case MBMS_KEYMGMT_NEXT_RENEGOTIATE:
      g_assert (status == SOUP_STATUS_UNAUTHORIZED && x.sent != NULL && !x.renegotiated);
      break;
    case MBMS_KEYMGMT_NEXT_RETRY:
      g_assert (status == SOUP_STATUS_SERVICE_UNAVAILABLE && x.retries_503 < MBMS_KEYMGMT_MAX_503_RETRIES);
      g_assert (retry_ms <= 3600 * 1000);
      break;
    case MBMS_KEYMGMT_NEXT_FAIL:
      g_assert (error->domain == MBMS_KEYMGMT_ERROR);
      break;
    }
  return 0;
}
