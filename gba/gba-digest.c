/* HTTP Digest computation: RFC 2617 3.2.2 / RFC 7616 3.4.1 (request-digest), 3.2.3 / 3.5
 * (rspauth), with MD5 or SHA-256, qop auth and auth-int (H(entity-body) in A2), and Digest
 * AKAv1-MD5 (RFC 3310 3.3: the password is RES as octets). */
#include "gba.h"

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#define DIGEST_CNONCE_OCTETS 16

/* Lower-case hex of H(data). */
static char *
hash_hex (GbaDigestAlgorithm algorithm, const guint8 *data, gsize len)
{
  const EVP_MD *md = algorithm == GBA_DIGEST_SHA256 ? EVP_sha256 () : EVP_md5 ();
  guint8 out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  char *hex;

  if (EVP_Digest (data, len, out, &out_len, md, NULL) != 1)
    g_error ("OpenSSL digest failed");
  hex = g_malloc (out_len * 2 + 1);
  for (unsigned int i = 0; i < out_len; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", out[i]);
  gba_wipe (out, sizeof out);
  return hex;
}

/* H(p1 ":" p2 ":" ...), wiping the joined input (it may hold the password or HA1). */
static char *
hash_joined (GbaDigestAlgorithm algorithm, GByteArray *input)
{
  char *hex = hash_hex (algorithm, input->data, input->len);

  gba_wipe (input->data, input->len);
  g_byte_array_set_size (input, 0);
  return hex;
}

static void
add (GByteArray *b, const char *text)
{
  if (b->len > 0)
    g_byte_array_append (b, (const guint8 *) ":", 1);
  if (text != NULL)
    g_byte_array_append (b, (const guint8 *) text, (guint) strlen (text));
}

char *
gba_digest_compute (GbaDigestAlgorithm algorithm, const char *username, const char *realm,
                    const guint8 *password, gsize password_len, const char *nonce, const char *nc,
                    const char *cnonce, GbaDigestQop qop, const char *method, const char *uri,
                    const guint8 *body, gsize body_len)
{
  g_autoptr(GByteArray) in = g_byte_array_new ();
  g_autofree char *ha1 = NULL;
  g_autofree char *ha2 = NULL;
  char *response;

  /* HA1 = H(username ":" realm ":" password) */
  add (in, username);
  add (in, realm);
  g_byte_array_append (in, (const guint8 *) ":", 1);
  if (password_len > 0)
    g_byte_array_append (in, password, (guint) password_len);
  ha1 = hash_joined (algorithm, in);

  /* A2 = method ":" uri [":" H(body)]; for rspauth the method is empty (RFC 2617 3.2.3) */
  g_byte_array_append (in, (const guint8 *) (method != NULL ? method : ""), method != NULL ? (guint) strlen (method) : 0);
  g_byte_array_append (in, (const guint8 *) ":", 1);
  g_byte_array_append (in, (const guint8 *) uri, (guint) strlen (uri));
  if (qop == GBA_DIGEST_QOP_AUTH_INT)
    {
      g_autofree char *hbody = hash_hex (algorithm, body != NULL ? body : (const guint8 *) "", body_len);
      add (in, hbody);
    }
  ha2 = hash_joined (algorithm, in);

  /* response = H(HA1 ":" nonce [":" nc ":" cnonce ":" qop] ":" HA2) */
  add (in, ha1);
  add (in, nonce);
  if (qop != GBA_DIGEST_QOP_NONE)
    {
      add (in, nc);
      add (in, cnonce);
      add (in, qop == GBA_DIGEST_QOP_AUTH_INT ? "auth-int" : "auth");
    }
  add (in, ha2);
  response = hash_joined (algorithm, in);
  gba_wipe (ha1, strlen (ha1));
  return response;
}

GbaDigestAuthorization *
gba_digest_answer (const GbaDigestChallenge *challenge, const char *username, const guint8 *password,
                   gsize password_len, const char *method, const char *uri, const guint8 *body, gsize body_len,
                   gboolean prefer_auth_int, guint32 nc)
{
  GbaDigestAuthorization *a = g_new0 (GbaDigestAuthorization, 1);
  guint8 raw[DIGEST_CNONCE_OCTETS];

  a->username = g_strdup (username);
  a->realm = g_strdup (challenge->realm);
  a->nonce = g_strdup (challenge->nonce);
  a->uri = g_strdup (uri);
  a->opaque = g_strdup (challenge->opaque);
  a->algorithm = challenge->algorithm;
  if ((challenge->qop & GBA_DIGEST_QOP_AUTH_INT) && (prefer_auth_int || !(challenge->qop & GBA_DIGEST_QOP_AUTH)))
    a->qop = GBA_DIGEST_QOP_AUTH_INT;
  else if (challenge->qop & GBA_DIGEST_QOP_AUTH)
    a->qop = GBA_DIGEST_QOP_AUTH;
  if (a->qop != GBA_DIGEST_QOP_NONE)
    {
      if (RAND_bytes (raw, sizeof raw) != 1)
        g_error ("OpenSSL RAND_bytes failed");
      a->cnonce = g_malloc (sizeof raw * 2 + 1);
      for (gsize i = 0; i < sizeof raw; i++)
        g_snprintf (a->cnonce + 2 * i, 3, "%02x", raw[i]);
      a->nc = g_strdup_printf ("%08x", nc);
    }
  a->response = gba_digest_compute (a->algorithm, username, a->realm, password, password_len, a->nonce, a->nc,
                                    a->cnonce, a->qop, method, uri, body, body_len);
  return a;
}

gboolean
gba_digest_verify_auth_info (const GbaDigestAuthorization *sent, const GbaDigestAuthInfo *info,
                             const guint8 *password, gsize password_len, const guint8 *response_body,
                             gsize response_body_len, GError **error)
{
  g_autofree char *expected = NULL;
  GbaDigestQop qop = info->qop != GBA_DIGEST_QOP_NONE ? info->qop : sent->qop;

  if (info->rspauth == NULL)
    {
      g_set_error_literal (error, GBA_ERROR, GBA_ERROR_RSPAUTH, "Authentication-Info carries no rspauth");
      return FALSE;
    }
  /* RFC 7616 3.5: cnonce and nc, when echoed, must be those of the request */
  if ((info->cnonce != NULL && g_strcmp0 (info->cnonce, sent->cnonce) != 0)
      || (info->nc != NULL && g_ascii_strcasecmp (info->nc, sent->nc ? sent->nc : "") != 0))
    {
      g_set_error_literal (error, GBA_ERROR, GBA_ERROR_RSPAUTH, "Authentication-Info echoes another cnonce or nc");
      return FALSE;
    }
  expected = gba_digest_compute (sent->algorithm, sent->username, sent->realm, password, password_len, sent->nonce,
                                 sent->nc, sent->cnonce, qop, NULL, sent->uri, response_body, response_body_len);
  if (strlen (expected) != strlen (info->rspauth)
      || CRYPTO_memcmp (expected, info->rspauth, strlen (expected)) != 0)
    {
      g_set_error_literal (error, GBA_ERROR, GBA_ERROR_RSPAUTH, "rspauth does not match the response");
      return FALSE;
    }
  return TRUE;
}
