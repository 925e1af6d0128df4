/* HTTP Digest header fields: WWW-Authenticate, Authorization and Authentication-Info
 * (RFC 7616 3.3-3.5) with the auth-param syntax of RFC 7235 2.1 and the AKA parameters of
 * RFC 3310 (algorithm=AKAv1-MD5, auts). Parsing is bounded and names what was wrong. */
#include "gba.h"

#include <string.h>

#define DIGEST_MAX_HEADER 8192

static gboolean
is_tchar (char c)
{
  /* RFC 7230 3.2.6 */
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
parse_fail (GError **error, const char *header, gsize at, const char *what)
{
  g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "%s: %s at offset %zu", header, what, at);
  return FALSE;
}

static void
skip_ows (const char *s, gsize *i)
{
  while (s[*i] == ' ' || s[*i] == '\t')
    (*i)++;
}

/* quoted-string with quoted-pair (RFC 7230 3.2.6); *i points at the opening quote */
static char *
read_quoted (const char *s, gsize *i, const char *header, GError **error)
{
  GString *out = g_string_new (NULL);
  gsize start = *i;

  (*i)++;
  for (;;)
    {
      char c = s[*i];
      if (c == '\0')
        {
          g_string_free (out, TRUE);
          parse_fail (error, header, start, "unterminated quoted string");
          return NULL;
        }
      (*i)++;
      if (c == '"')
        return g_string_free (out, FALSE);
      if (c == '\\')
        {
          if (s[*i] == '\0')
            continue; /* reported as unterminated on the next round */
          c = s[(*i)++];
        }
      if ((guchar) c < 0x20 && c != '\t')
        {
          g_string_free (out, TRUE);
          parse_fail (error, header, *i - 1, "control character in quoted string");
          return NULL;
        }
      g_string_append_c (out, c);
    }
}

/* "Digest" then #auth-param, into a table of lower-case names. */
static GHashTable *
parse_params (const char *value, gboolean with_scheme, const char *header, GError **error)
{
  g_autoptr(GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gsize i = 0;

  if (value == NULL || strlen (value) > DIGEST_MAX_HEADER)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "%s: missing or longer than %d octets", header,
                   DIGEST_MAX_HEADER);
      return NULL;
    }
  skip_ows (value, &i);
  if (with_scheme)
    {
      if (g_ascii_strncasecmp (value + i, "Digest", 6) != 0 || (value[i + 6] != ' ' && value[i + 6] != '\t'))
        {
          parse_fail (error, header, i, "scheme is not Digest");
          return NULL;
        }
      i += 6;
    }
  for (;;)
    {
      gsize name_at;
      g_autofree char *name = NULL;
      char *val;

      while (value[i] == ' ' || value[i] == '\t' || value[i] == ',')
        i++;
      if (value[i] == '\0')
        break;
      name_at = i;
      while (is_tchar (value[i]))
        i++;
      if (i == name_at)
        {
          parse_fail (error, header, i, "expected a parameter name");
          return NULL;
        }
      name = g_ascii_strdown (value + name_at, (gssize) (i - name_at));
      skip_ows (value, &i);
      if (value[i] != '=')
        {
          parse_fail (error, header, i, "expected '=' after a parameter name");
          return NULL;
        }
      i++;
      skip_ows (value, &i);
      if (value[i] == '"')
        {
          val = read_quoted (value, &i, header, error);
          if (val == NULL)
            return NULL;
        }
      else
        {
          gsize start = i;
          while (is_tchar (value[i]))
            i++;
          if (i == start)
            {
              parse_fail (error, header, i, "expected a token or quoted string");
              return NULL;
            }
          val = g_strndup (value + start, i - start);
        }
      if (g_hash_table_contains (params, name))
        {
          g_free (val);
          g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "%s: parameter %s appears twice", header, name);
          return NULL;
        }
      g_hash_table_insert (params, g_steal_pointer (&name), val);
      skip_ows (value, &i);
      if (value[i] != ',' && value[i] != '\0')
        {
          parse_fail (error, header, i, "expected ',' between parameters");
          return NULL;
        }
    }
  return g_steal_pointer (&params);
}

static gboolean
parse_algorithm (const char *text, GbaDigestAlgorithm *out, const char *header, GError **error)
{
  if (text == NULL || g_ascii_strcasecmp (text, "MD5") == 0)
    *out = GBA_DIGEST_MD5;
  else if (g_ascii_strcasecmp (text, "SHA-256") == 0)
    *out = GBA_DIGEST_SHA256;
  else if (g_ascii_strcasecmp (text, "AKAv1-MD5") == 0)
    *out = GBA_DIGEST_AKAV1_MD5;
  else
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "%s: algorithm %.32s is not supported", header, text);
      return FALSE;
    }
  return TRUE;
}

static const char *
algorithm_name (GbaDigestAlgorithm algorithm)
{
  switch (algorithm)
    {
    case GBA_DIGEST_SHA256: return "SHA-256";
    case GBA_DIGEST_AKAV1_MD5: return "AKAv1-MD5";
    case GBA_DIGEST_MD5:
    default: return "MD5";
    }
}

/* One qop value: "auth" or "auth-int". */
static gboolean
parse_one_qop (const char *text, GbaDigestQop *out)
{
  if (g_ascii_strcasecmp (text, "auth") == 0)
    *out = GBA_DIGEST_QOP_AUTH;
  else if (g_ascii_strcasecmp (text, "auth-int") == 0)
    *out = GBA_DIGEST_QOP_AUTH_INT;
  else
    return FALSE;
  return TRUE;
}

static const char *
qop_name (GbaDigestQop qop)
{
  return qop == GBA_DIGEST_QOP_AUTH_INT ? "auth-int" : "auth";
}

static gboolean
valid_nc (const char *nc)
{
  return nc != NULL && strlen (nc) == 8 && strspn (nc, "0123456789abcdefABCDEF") == 8;
}

static char *
take (GHashTable *params, const char *name)
{
  char *value = NULL;
  g_autofree char *key = NULL;

  /* steal hands back the key too, and the table's destroy function no longer owns it */
  g_hash_table_steal_extended (params, name, (gpointer *) &key, (gpointer *) &value);
  return value;
}

void
gba_digest_challenge_free (GbaDigestChallenge *c)
{
  if (c == NULL)
    return;
  g_free (c->realm);
  g_free (c->nonce);
  g_free (c->opaque);
  g_free (c);
}

GbaDigestChallenge *
gba_digest_challenge_parse (const char *header_value, GError **error)
{
  static const char header[] = "WWW-Authenticate";
  g_autoptr(GHashTable) params = parse_params (header_value, TRUE, header, error);
  g_autoptr(GbaDigestChallenge) c = NULL;
  g_autofree char *algorithm = NULL;
  g_autofree char *qop = NULL;
  g_autofree char *stale = NULL;

  if (params == NULL)
    return NULL;
  c = g_new0 (GbaDigestChallenge, 1);
  c->realm = take (params, "realm");
  c->nonce = take (params, "nonce");
  c->opaque = take (params, "opaque");
  algorithm = take (params, "algorithm");
  qop = take (params, "qop");
  stale = take (params, "stale");
  if (c->realm == NULL || c->nonce == NULL)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "%s: %s is missing", header, c->realm == NULL ? "realm" : "nonce");
      return NULL;
    }
  if (!parse_algorithm (algorithm, &c->algorithm, header, error))
    return NULL;
  if (qop != NULL)
    {
      g_auto(GStrv) list = g_strsplit (qop, ",", -1);
      for (guint i = 0; list[i] != NULL; i++)
        {
          GbaDigestQop one;
          /* unknown qop values are someone else's extension: ignore them */
          if (parse_one_qop (g_strstrip (list[i]), &one))
            c->qop |= one;
        }
      if (c->qop == GBA_DIGEST_QOP_NONE)
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "%s: qop offers neither auth nor auth-int", header);
          return NULL;
        }
    }
  c->stale = stale != NULL && g_ascii_strcasecmp (stale, "true") == 0;
  return g_steal_pointer (&c);
}

void
gba_digest_authorization_free (GbaDigestAuthorization *a)
{
  if (a == NULL)
    return;
  g_free (a->username);
  g_free (a->realm);
  g_free (a->nonce);
  g_free (a->uri);
  g_free (a->response);
  g_free (a->cnonce);
  g_free (a->nc);
  g_free (a->opaque);
  g_free (a->auts);
  g_free (a);
}

GbaDigestAuthorization *
gba_digest_authorization_parse (const char *header_value, GError **error)
{
  static const char header[] = "Authorization";
  g_autoptr(GHashTable) params = parse_params (header_value, TRUE, header, error);
  g_autoptr(GbaDigestAuthorization) a = NULL;
  g_autofree char *algorithm = NULL;
  g_autofree char *qop = NULL;
  const char *missing = NULL;

  if (params == NULL)
    return NULL;
  a = g_new0 (GbaDigestAuthorization, 1);
  a->username = take (params, "username");
  a->realm = take (params, "realm");
  a->nonce = take (params, "nonce");
  a->uri = take (params, "uri");
  a->response = take (params, "response");
  a->cnonce = take (params, "cnonce");
  a->nc = take (params, "nc");
  a->opaque = take (params, "opaque");
  a->auts = take (params, "auts");
  algorithm = take (params, "algorithm");
  qop = take (params, "qop");
  if (a->username == NULL) missing = "username";
  else if (a->realm == NULL) missing = "realm";
  else if (a->nonce == NULL) missing = "nonce";
  else if (a->uri == NULL) missing = "uri";
  else if (a->response == NULL) missing = "response";
  if (missing != NULL)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "%s: %s is missing", header, missing);
      return NULL;
    }
  if (!parse_algorithm (algorithm, &a->algorithm, header, error))
    return NULL;
  if (qop != NULL)
    {
      if (!parse_one_qop (qop, &a->qop))
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "%s: qop %.32s is not auth or auth-int", header, qop);
          return NULL;
        }
      /* RFC 7616 3.4: with a qop, cnonce and nc are required */
      if (a->cnonce == NULL || !valid_nc (a->nc))
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "%s: qop needs cnonce and an 8-digit hex nc", header);
          return NULL;
        }
    }
  return g_steal_pointer (&a);
}

/* Appends name="value" (or name=token), with ", " before every parameter but the first. */
static void
append_quoted (GString *s, gsize start, const char *name, const char *value)
{
  g_string_append_printf (s, "%s%s=\"", s->len > start ? ", " : "", name);
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

static void
append_token (GString *s, gsize start, const char *name, const char *value)
{
  g_string_append_printf (s, "%s%s=%s", s->len > start ? ", " : "", name, value);
}

char *
gba_digest_authorization_to_string (const GbaDigestAuthorization *a)
{
  GString *s = g_string_new ("Digest ");
  gsize start = s->len;

  append_quoted (s, start, "username", a->username);
  append_quoted (s, start, "realm", a->realm);
  append_quoted (s, start, "nonce", a->nonce);
  append_quoted (s, start, "uri", a->uri);
  append_quoted (s, start, "response", a->response);
  append_token (s, start, "algorithm", algorithm_name (a->algorithm));
  if (a->qop != GBA_DIGEST_QOP_NONE)
    append_token (s, start, "qop", qop_name (a->qop));
  /* written whenever present, so that what was parsed comes back unchanged */
  if (a->nc != NULL && valid_nc (a->nc))
    append_token (s, start, "nc", a->nc);
  if (a->cnonce != NULL)
    append_quoted (s, start, "cnonce", a->cnonce);
  if (a->opaque != NULL)
    append_quoted (s, start, "opaque", a->opaque);
  if (a->auts != NULL)
    append_quoted (s, start, "auts", a->auts);
  return g_string_free (s, FALSE);
}

void
gba_digest_auth_info_free (GbaDigestAuthInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->rspauth);
  g_free (info->cnonce);
  g_free (info->nc);
  g_free (info->nextnonce);
  g_free (info);
}

GbaDigestAuthInfo *
gba_digest_auth_info_parse (const char *header_value, GError **error)
{
  static const char header[] = "Authentication-Info";
  g_autoptr(GHashTable) params = parse_params (header_value, FALSE, header, error);
  g_autoptr(GbaDigestAuthInfo) info = NULL;
  g_autofree char *qop = NULL;

  if (params == NULL)
    return NULL;
  info = g_new0 (GbaDigestAuthInfo, 1);
  info->rspauth = take (params, "rspauth");
  info->cnonce = take (params, "cnonce");
  info->nc = take (params, "nc");
  info->nextnonce = take (params, "nextnonce");
  qop = take (params, "qop");
  if (qop != NULL && !parse_one_qop (qop, &info->qop))
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "%s: qop %.32s is not auth or auth-int", header, qop);
      return NULL;
    }
  if (info->nc != NULL && !valid_nc (info->nc))
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "%s: nc is not 8 hex digits", header);
      return NULL;
    }
  return g_steal_pointer (&info);
}

char *
gba_digest_auth_info_to_string (const GbaDigestAuthInfo *info)
{
  GString *s = g_string_new ("");

  if (info->rspauth != NULL)
    append_quoted (s, 0, "rspauth", info->rspauth);
  if (info->qop != GBA_DIGEST_QOP_NONE)
    append_token (s, 0, "qop", qop_name (info->qop));
  if (info->nc != NULL)
    append_token (s, 0, "nc", info->nc);
  if (info->cnonce != NULL)
    append_quoted (s, 0, "cnonce", info->cnonce);
  if (info->nextnonce != NULL)
    append_quoted (s, 0, "nextnonce", info->nextnonce);
  return g_string_free (s, FALSE);
}
