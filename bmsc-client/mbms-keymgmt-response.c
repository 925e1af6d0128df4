/* The BM-SC's answer to a key management request, TS 33.246 6.2.1 and Annex G: 200 OK is
 * accepted only with an rspauth over its body (auth-int) that proves the MRK, and its body is
 * read per item (TS 26.346 11.7, 11.8); 401 carries the Digest challenge of this BM-SC's
 * realm (H.2.1), or refuses our credentials, which calls for bootstrapping renegotiation once
 * (TS 24.109 5.2.5); 503 is repeated after Retry-After (table G.2.4); anything else ends the
 * procedure with the HTTP status as the error code. */
#include "mbms-keymgmt-response.h"

#include <string.h>

#define KM_DEFAULT_RETRY_S   10
#define KM_MAX_RETRY_AFTER_S 3600

static MbmsKeymgmtNext
fail (GError **error, gint code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static MbmsKeymgmtNext
fail (GError **error, gint code, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, MBMS_KEYMGMT_ERROR, code, msg);
  return MBMS_KEYMGMT_NEXT_FAIL;
}

/* TS 33.246 H.2.1 step 3: the realm names this BM-SC. */
static gboolean
realm_matches (const char *realm, const char *host)
{
  return g_str_has_prefix (realm, MBMS_KEYMGMT_REALM_PREFIX)
         && g_ascii_strcasecmp (realm + strlen (MBMS_KEYMGMT_REALM_PREFIX), host) == 0;
}

static GbaDigestChallenge *
find_challenge (SoupMessageHeaders *headers)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strcasecmp (name, "WWW-Authenticate") == 0)
      {
        GbaDigestChallenge *c = gba_digest_challenge_parse (value, NULL);
        if (c != NULL && c->algorithm != GBA_DIGEST_AKAV1_MD5)
          return c;
        gba_digest_challenge_free (c);
      }
  return NULL;
}

static guint
retry_after_ms (SoupMessageHeaders *headers)
{
  const char *v = soup_message_headers_get_one (headers, "Retry-After");
  guint64 s = KM_DEFAULT_RETRY_S;

  /* delta-seconds; an HTTP-date or garbage falls back to the default */
  if (v != NULL)
    g_ascii_string_to_unsigned (v, 10, 0, KM_MAX_RETRY_AFTER_S, &s, NULL);
  return (guint) s * 1000;
}

static MbmsKeymgmtNext
read_ok (const MbmsKeymgmtExchange *x, SoupMessageHeaders *headers, GBytes *body, GArray **items, GError **error)
{
  const char *info_header = soup_message_headers_get_one (headers, "Authentication-Info");
  g_autoptr(GbaDigestAuthInfo) info = NULL;
  g_autoptr(GError) local = NULL;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (body, &len);

  if (x->sent == NULL)
    return fail (error, MBMS_KEYMGMT_ERROR_RSPAUTH, "the BM-SC answered without authenticating us (no challenge)");
  /* the BM-SC proves knowledge of the MRK over the response body (auth-int) */
  info = info_header ? gba_digest_auth_info_parse (info_header, &local) : NULL;
  if (info == NULL || !gba_digest_verify_auth_info (x->sent, info, x->password, x->password_len, data, len, &local))
    return fail (error, MBMS_KEYMGMT_ERROR_RSPAUTH, "BM-SC %s not authenticated: %s", x->host,
                 local ? local->message : "no Authentication-Info");
  *items = mbms_keymgmt_parse_response ((const char *) data, len, x->type == MBMS_KEYMGMT_MSK_REQUEST, &local);
  if (*items == NULL)
    return fail (error, MBMS_KEYMGMT_ERROR_RESPONSE, "BM-SC %s: %s", x->host, local->message);
  return MBMS_KEYMGMT_NEXT_DONE;
}

static MbmsKeymgmtNext
read_401 (const MbmsKeymgmtExchange *x, SoupMessageHeaders *headers, GbaDigestChallenge **challenge,
          GError **error)
{
  g_autoptr(GbaDigestChallenge) c = find_challenge (headers);

  if (c == NULL)
    return fail (error, MBMS_KEYMGMT_ERROR_CHALLENGE, "BM-SC %s sent 401 without a usable Digest challenge", x->host);
  if (!realm_matches (c->realm, x->host))
    return fail (error, MBMS_KEYMGMT_ERROR_REALM, "realm \"%.128s\" does not name %s", c->realm, x->host);
  if (x->sent == NULL)
    {
      *challenge = g_steal_pointer (&c);
      return MBMS_KEYMGMT_NEXT_ANSWER;
    }
  /* our credentials were refused: the BM-SC wants a fresh bootstrap (TS 24.109 5.2.5) */
  if (x->renegotiated)
    return fail (error, SOUP_STATUS_UNAUTHORIZED, "BM-SC %s refused the credentials of a fresh bootstrap (401)",
                 x->host);
  return MBMS_KEYMGMT_NEXT_RENEGOTIATE;
}

MbmsKeymgmtNext
mbms_keymgmt_read_response (const MbmsKeymgmtExchange *x, guint status, const char *reason,
                            SoupMessageHeaders *headers, GBytes *body, GbaDigestChallenge **challenge,
                            GArray **items, guint *retry_ms, GError **error)
{
  *challenge = NULL;
  *items = NULL;
  *retry_ms = 0;
  if (g_bytes_get_size (body) > MBMS_KEYMGMT_MAX_BODY)
    return fail (error, MBMS_KEYMGMT_ERROR_RESPONSE, "BM-SC %s answered %zu octets", x->host, g_bytes_get_size (body));
  if (status == SOUP_STATUS_OK)
    return read_ok (x, headers, body, items, error);
  if (status == SOUP_STATUS_UNAUTHORIZED)
    return read_401 (x, headers, challenge, error);
  if (status == SOUP_STATUS_SERVICE_UNAVAILABLE && x->retries_503 < MBMS_KEYMGMT_MAX_503_RETRIES)
    {
      *retry_ms = retry_after_ms (headers);
      return MBMS_KEYMGMT_NEXT_RETRY;
    }
  return fail (error, (gint) status, "BM-SC %s answered %u %.128s", x->host, status, reason ? reason : "");
}
