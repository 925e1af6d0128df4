/* User Service Description bundles (TS 26.346 5.2.2 / 11.2) and protection descriptions
 * (11.3), read for TS 33.246 6.3.2.1A. Elements are matched by local name whatever their
 * namespace, unknown elements and attributes are ignored (TS 26.346 extension rule), and
 * every name we rely on sits in the table below, so a correction is a one-line change
 * (docs/interpretations.md says which names could not be checked against the schema).
 * Hostile input stays inert: no DTD, no entities, no network; size, depth and count limits;
 * referenced files only from the bundle's own directory. */
#include "mbms-usd.h"
#include "gba.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

/* ---- names (TS 26.346 11.2 user service description, 11.3 security description) ---- */
#define USD_BUNDLE            "bundleDescription"
#define USD_SERVICE           "userServiceDescription"
#define USD_SERVICE_ID        "serviceId"
#define USD_NAME              "name"
#define USD_DELIVERY          "deliveryMethod"
#define USD_SDP_URI           "sessionDescriptionURI"
#define USD_PROTECTION_URI    "protectionDescriptionURI"
#define SEC_ROOT              "securityDescription"
#define SEC_KEY_MANAGEMENT    "keyManagement"
#define SEC_SERVER            "serverURI"
#define SEC_OFFSET_TIME       "offsetTime"
#define SEC_RANDOM_PERIOD     "randomTimePeriod"
#define SEC_UICC_KM           "uiccKeyManagement"
#define SEC_2G_GBA            "twoGGBAAllowed"
#define SEC_MIKEY_FEC         "mikeyFEC"
#define SEC_KEY               "key"
#define SEC_KEY_DOMAIN        "keyDomainID"
#define SEC_MSK_ID            "MSKID"
#define SEC_SESSION           "session"
#define SEC_SESSION_ADDRESS   "destination"
#define SEC_SESSION_PORT      "port"

#define USD_MAX_LEN        (256 * 1024)
#define USD_MAX_DEPTH      16
#define USD_MAX_SERVICES   64
#define USD_MAX_ITEMS      64   /* servers, keys, names, deliveryMethods per service */

G_DEFINE_QUARK (mbms-usd-error-quark, mbms_usd_error)

void mbms_rtp_session_free (MbmsRtpSession *s);

void
mbms_user_service_free (MbmsUserService *s)
{
  if (s == NULL)
    return;
  g_free (s->service_id);
  g_strfreev (s->names);
  g_strfreev (s->bmsc_uris);
  g_clear_pointer (&s->keys, g_array_unref);
  g_clear_pointer (&s->sessions, g_ptr_array_unref);
  g_free (s->sdp);
  g_free (s);
}

static gboolean
usd_fail (GError **error, MbmsUsdError code, xmlNode *node, const char *format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
usd_fail (GError **error, MbmsUsdError code, xmlNode *node, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  if (node != NULL)
    g_set_error (error, MBMS_USD_ERROR, code, "<%s> (line %ld): %s", (const char *) node->name, xmlGetLineNo (node), msg);
  else
    g_set_error (error, MBMS_USD_ERROR, code, "%s", msg);
  return FALSE;
}

static gboolean
is (xmlNode *node, const char *local_name)
{
  return node->type == XML_ELEMENT_NODE && strcmp ((const char *) node->name, local_name) == 0;
}

static char *
text_of (xmlNode *node)
{
  xmlChar *c = xmlNodeGetContent (node);
  char *t = g_strstrip (g_strdup ((const char *) c));

  xmlFree (c);
  return t;
}

static char *
attr (xmlNode *node, const char *name)
{
  xmlChar *v = xmlGetProp (node, (const xmlChar *) name);
  char *out = v != NULL ? g_strstrip (g_strdup ((const char *) v)) : NULL;

  xmlFree (v);
  return out;
}

/* An attribute or a child element of that name. */
static char *
attr_or_child (xmlNode *node, const char *name)
{
  char *v = attr (node, name);

  if (v != NULL)
    return v;
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    if (is (c, name))
      return text_of (c);
  return NULL;
}

static gboolean
parse_bool (const char *text, gboolean *out)
{
  if (text == NULL)
    return TRUE;
  if (g_ascii_strcasecmp (text, "true") == 0 || strcmp (text, "1") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (text, "false") == 0 || strcmp (text, "0") == 0)
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

static xmlDoc *
read_xml (const char *xml, gsize len, const char *what, GError **error)
{
  xmlDoc *doc;

  if (len > USD_MAX_LEN)
    {
      usd_fail (error, MBMS_USD_ERROR_LIMIT, NULL, "%s of %zu octets exceeds %d", what, len, USD_MAX_LEN);
      return NULL;
    }
  doc = xmlReadMemory (xml, (int) len, what, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL)
    {
      const xmlError *xe = xmlGetLastError ();
      g_autofree char *why = g_strdup (xe && xe->message ? xe->message : "unknown error");
      usd_fail (error, MBMS_USD_ERROR_PARSE, NULL, "%s is not well-formed XML (line %d): %s", what,
                xe ? xe->line : 0, g_strchomp (why));
      return NULL;
    }
  if (doc->intSubset != NULL)
    {
      xmlFreeDoc (doc);
      usd_fail (error, MBMS_USD_ERROR_PARSE, NULL, "%s: a document type declaration is not allowed", what);
      return NULL;
    }
  return doc;
}

static gboolean
check_depth (xmlNode *node, guint depth, GError **error)
{
  if (depth > USD_MAX_DEPTH)
    return usd_fail (error, MBMS_USD_ERROR_LIMIT, node, "nested deeper than %d elements", USD_MAX_DEPTH);
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && !check_depth (c, depth + 1, error))
      return FALSE;
  return TRUE;
}

/* A referenced description: a relative path or file: URI naming a regular file inside
 * base_dir. Anything else (http:, absolute paths, "..") is refused: the daemon never fetches. */
static char *
read_reference (const char *base_dir, const char *uri, xmlNode *node, gsize *len, GError **error)
{
  g_autofree char *rel = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) local = NULL;
  char *contents = NULL;

  rel = g_str_has_prefix (uri, "file:") ? g_uri_unescape_string (uri + 5, NULL) : g_uri_unescape_string (uri, NULL);
  if (rel == NULL || rel[0] == '\0' || g_path_is_absolute (rel) || strstr (rel, "..") != NULL || strchr (rel, ':'))
    {
      usd_fail (error, MBMS_USD_ERROR_REFERENCE, node, "\"%.128s\" is not a file beside the bundle", uri);
      return NULL;
    }
  path = g_build_filename (base_dir, rel, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || !g_file_get_contents (path, &contents, len, &local))
    {
      usd_fail (error, MBMS_USD_ERROR_REFERENCE, node, "cannot read \"%.128s\"%s%s", uri, local ? ": " : "",
                local ? local->message : "");
      return NULL;
    }
  return contents;
}

/* "00f110" (hex) or base64 of the raw octets. */
static gboolean
decode_id (const char *text, guint8 *out, gsize len)
{
  gsize n = text != NULL ? strlen (text) : 0;

  if (gba_hex_to_buf (text, out, len))
    return TRUE;
  /* base64: whole quanta of the base64 alphabet only */
  if (n > 0 && n <= 12 && n % 4 == 0
      && strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == n)
    {
      gsize got = 0;
      g_autofree guchar *raw = g_base64_decode (text, &got);
      if (got == len)
        {
          memcpy (out, raw, len);
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
parse_key_management (xmlNode *km, MbmsUserService *s, GPtrArray *servers, GError **error)
{
  g_autofree char *uicc = attr_or_child (km, SEC_UICC_KM);
  g_autofree char *gba2g = attr_or_child (km, SEC_2G_GBA);

  if (!parse_bool (uicc, &s->uicc_key_management) || !parse_bool (gba2g, &s->gba_2g_allowed))
    return usd_fail (error, MBMS_USD_ERROR_PARSE, km, "%s / %s must be true or false", SEC_UICC_KM, SEC_2G_GBA);
  for (xmlNode *c = km->children; c != NULL; c = c->next)
    {
      if (is (c, SEC_SERVER))
        {
          g_autofree char *uri = text_of (c);
          g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
          if (parsed == NULL || g_uri_get_host (parsed) == NULL
              || (g_strcmp0 (g_uri_get_scheme (parsed), "http") != 0 && g_strcmp0 (g_uri_get_scheme (parsed), "https") != 0))
            return usd_fail (error, MBMS_USD_ERROR_PARSE, c, "\"%.128s\" is not an http(s) URI", uri);
          if (servers->len >= USD_MAX_ITEMS)
            return usd_fail (error, MBMS_USD_ERROR_LIMIT, c, "more than %d servers", USD_MAX_ITEMS);
          g_ptr_array_add (servers, g_steal_pointer (&uri));
        }
      else if (is (c, SEC_OFFSET_TIME) || is (c, SEC_RANDOM_PERIOD))
        {
          g_autofree char *t = text_of (c);
          guint64 v;
          if (!g_ascii_string_to_unsigned (t, 10, 0, 86400, &v, NULL))
            return usd_fail (error, MBMS_USD_ERROR_PARSE, c, "\"%.32s\" is not seconds (0..86400)", t);
          *(is (c, SEC_OFFSET_TIME) ? &s->offset_time_s : &s->random_period_s) = (guint) v;
          s->has_backoff = TRUE;
        }
    }
  if (servers->len == 0)
    return usd_fail (error, MBMS_USD_ERROR_PARSE, km, "no <%s>: a protected service needs a BM-SC", SEC_SERVER);
  /* TS 33.246 6.3.2.1A: 2G GBA and UICC key management required never go together */
  if (s->uicc_key_management && s->gba_2g_allowed)
    return usd_fail (error, MBMS_USD_ERROR_PARSE, km, "UICC key management required and 2G GBA allowed at once");
  return TRUE;
}

static gboolean
add_key (xmlNode *key, MbmsUserService *s, MbmsKeyGroup *out, GError **error)
{
  g_autofree char *domain = attr_or_child (key, SEC_KEY_DOMAIN);
  g_autofree char *msk = attr_or_child (key, SEC_MSK_ID);
  guint8 msk_id[4];

  if (!decode_id (domain, out->domain, MBMS_KEY_DOMAIN_LEN))
    return usd_fail (error, MBMS_USD_ERROR_PARSE, key, "%s must be 3 octets (hex or base64)", SEC_KEY_DOMAIN);
  if (!decode_id (msk, msk_id, 4))
    return usd_fail (error, MBMS_USD_ERROR_PARSE, key, "%s must be 4 octets (hex or base64)", SEC_MSK_ID);
  /* TS 33.246 6.3.2.1A: the Key Number part is ignored, the Key Group identifies the MSKs */
  out->key_group = (guint16) (msk_id[0] << 8 | msk_id[1]);
  for (guint i = 0; i < s->keys->len; i++)
    {
      MbmsKeyGroup *k = &g_array_index (s->keys, MbmsKeyGroup, i);
      if (k->key_group == out->key_group && memcmp (k->domain, out->domain, MBMS_KEY_DOMAIN_LEN) == 0)
        return TRUE;
    }
  if (s->keys->len >= USD_MAX_ITEMS)
    return usd_fail (error, MBMS_USD_ERROR_LIMIT, key, "more than %d keys", USD_MAX_ITEMS);
  g_array_append_val (s->keys, *out);
  return TRUE;
}

/* <key> may name the sessions it protects (destination + port); a key without <session>
 * protects every SRTP session the others leave unnamed. */
static gboolean
map_sessions (xmlNode *key, const MbmsKeyGroup *kg, MbmsUserService *s, gboolean *named, GError **error)
{
  *named = FALSE;
  for (xmlNode *c = key->children; c != NULL; c = c->next)
    {
      g_autofree char *dest = NULL;
      g_autofree char *port = NULL;
      gboolean found = FALSE;

      if (!is (c, SEC_SESSION))
        continue;
      *named = TRUE;
      dest = attr_or_child (c, SEC_SESSION_ADDRESS);
      port = attr_or_child (c, SEC_SESSION_PORT);
      for (guint i = 0; i < s->sessions->len; i++)
        {
          MbmsRtpSession *r = g_ptr_array_index (s->sessions, i);
          g_autofree char *p = g_strdup_printf ("%u", r->port);
          if (g_strcmp0 (r->address, dest) == 0 && g_strcmp0 (p, port) == 0)
            {
              r->key = *kg;
              r->has_key = TRUE;
              found = TRUE;
            }
        }
      if (!found)
        return usd_fail (error, MBMS_USD_ERROR_PARSE, c, "no RTP session %.64s port %.8s in the SDP",
                         dest ? dest : "?", port ? port : "?");
    }
  return TRUE;
}

static gboolean
parse_protection (const char *xml, gsize len, MbmsUserService *s, GError **error)
{
  g_autoptr(GPtrArray) servers = g_ptr_array_new_with_free_func (g_free);
  xmlDoc *doc = read_xml (xml, len, "protection description", error);
  xmlNode *root;
  gboolean ok = TRUE, have_km = FALSE;
  const MbmsKeyGroup *catch_all = NULL;
  MbmsKeyGroup catch_all_key;

  if (doc == NULL)
    return FALSE;
  root = xmlDocGetRootElement (doc);
  if (root == NULL || !is (root, SEC_ROOT))
    ok = usd_fail (error, MBMS_USD_ERROR_PARSE, root, "expected <%s>", SEC_ROOT);
  else
    ok = check_depth (root, 1, error);
  for (xmlNode *c = ok ? root->children : NULL; c != NULL && ok; c = c->next)
    {
      if (is (c, SEC_KEY_MANAGEMENT))
        {
          have_km = TRUE;
          ok = parse_key_management (c, s, servers, error);
        }
      else if (is (c, SEC_MIKEY_FEC))
        {
          g_autofree char *t = text_of (c);
          s->mikey_fec = TRUE;
          ok = t[0] == '\0' || parse_bool (t, &s->mikey_fec)
               || usd_fail (error, MBMS_USD_ERROR_PARSE, c, "must be true or false");
        }
      else if (is (c, SEC_KEY))
        {
          MbmsKeyGroup kg;
          gboolean named = FALSE;
          ok = add_key (c, s, &kg, error) && map_sessions (c, &kg, s, &named, error);
          if (ok && !named)
            {
              catch_all_key = kg;
              catch_all = &catch_all_key;
            }
        }
    }
  if (ok && !have_km)
    ok = usd_fail (error, MBMS_USD_ERROR_PARSE, root, "no <%s>", SEC_KEY_MANAGEMENT);
  if (ok && s->keys->len == 0)
    ok = usd_fail (error, MBMS_USD_ERROR_PARSE, root, "no <%s>: a protected service needs its MSK IDs", SEC_KEY);
  for (guint i = 0; ok && i < s->sessions->len; i++)
    {
      MbmsRtpSession *r = g_ptr_array_index (s->sessions, i);
      if (r->srtp && !r->has_key && catch_all != NULL)
        r->key = *catch_all, r->has_key = TRUE;
      if (r->srtp && !r->has_key)
        ok = usd_fail (error, MBMS_USD_ERROR_PARSE, root, "no key protects SRTP session %s:%u", r->address, r->port);
    }
  xmlFreeDoc (doc);
  if (ok)
    {
      g_ptr_array_add (servers, NULL);
      s->bmsc_uris = (char **) g_ptr_array_free (g_steal_pointer (&servers), FALSE);
    }
  return ok;
}

static gboolean
parse_delivery (xmlNode *dm, const char *base_dir, MbmsUserService *s, GError **error)
{
  g_autofree char *sdp_uri = attr_or_child (dm, USD_SDP_URI);
  g_autofree char *prot_uri = attr_or_child (dm, USD_PROTECTION_URI);

  if (sdp_uri != NULL && s->sdp == NULL)
    {
      gsize len = 0;
      s->sdp = read_reference (base_dir, sdp_uri, dm, &len, error);
      if (s->sdp == NULL)
        return FALSE;
      g_ptr_array_unref (s->sessions);
      s->sessions = mbms_sdp_parse (s->sdp, len, error);
      if (s->sessions == NULL)
        {
          s->sessions = g_ptr_array_new ();
          g_prefix_error (error, "<%s> %s: ", USD_DELIVERY, sdp_uri);
          return FALSE;
        }
      s->streaming = s->sessions->len > 0;
    }
  if (prot_uri != NULL && !s->protected)
    {
      gsize len = 0;
      g_autofree char *xml = read_reference (base_dir, prot_uri, dm, &len, error);
      if (xml == NULL)
        return FALSE;
      s->protected = TRUE;
      return parse_protection (xml, len, s, error);
    }
  return TRUE;
}

static MbmsUserService *
parse_service (xmlNode *node, const char *base_dir, GError **error)
{
  g_autoptr(MbmsUserService) s = g_new0 (MbmsUserService, 1);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint deliveries = 0;

  s->service_id = attr (node, USD_SERVICE_ID);
  s->keys = g_array_new (FALSE, TRUE, sizeof (MbmsKeyGroup));
  s->sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) mbms_rtp_session_free);
  if (s->service_id == NULL || s->service_id[0] == '\0' || !g_utf8_validate (s->service_id, -1, NULL))
    {
      usd_fail (error, MBMS_USD_ERROR_PARSE, node, "%s is missing", USD_SERVICE_ID);
      return NULL;
    }
  /* the deliveryMethod that carries the protection description must come after its SDP */
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    {
      if (is (c, USD_NAME) && names->len < USD_MAX_ITEMS)
        g_ptr_array_add (names, text_of (c));
      else if (is (c, USD_DELIVERY))
        {
          if (++deliveries > USD_MAX_ITEMS)
            {
              usd_fail (error, MBMS_USD_ERROR_LIMIT, c, "more than %d delivery methods", USD_MAX_ITEMS);
              return NULL;
            }
          if (!parse_delivery (c, base_dir, s, error))
            return NULL;
        }
    }
  if (deliveries == 0)
    {
      usd_fail (error, MBMS_USD_ERROR_PARSE, node, "no <%s>", USD_DELIVERY);
      return NULL;
    }
  g_ptr_array_add (names, NULL);
  s->names = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
  /* without RTP sessions the service delivers files (FLUTE download) */
  s->download = !s->streaming;
  return g_steal_pointer (&s);
}

GPtrArray *
mbms_usd_parse (const char *xml, gsize len, const char *base_dir, GError **error)
{
  g_autoptr(GPtrArray) services = g_ptr_array_new_with_free_func ((GDestroyNotify) mbms_user_service_free);
  xmlDoc *doc = read_xml (xml, len, "user service description", error);
  xmlNode *root;
  gboolean ok;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  if (root == NULL || (!is (root, USD_BUNDLE) && !is (root, USD_SERVICE)))
    ok = usd_fail (error, MBMS_USD_ERROR_PARSE, root, "expected <%s> or <%s>", USD_BUNDLE, USD_SERVICE);
  else
    ok = check_depth (root, 1, error);
  if (ok && is (root, USD_SERVICE))
    {
      MbmsUserService *s = parse_service (root, base_dir, error);
      ok = s != NULL;
      if (ok)
        g_ptr_array_add (services, s);
    }
  for (xmlNode *c = ok && is (root, USD_BUNDLE) ? root->children : NULL; c != NULL && ok; c = c->next)
    {
      MbmsUserService *s;
      if (!is (c, USD_SERVICE))
        continue;
      if (services->len >= USD_MAX_SERVICES)
        {
          ok = usd_fail (error, MBMS_USD_ERROR_LIMIT, c, "more than %d user services", USD_MAX_SERVICES);
          break;
        }
      s = parse_service (c, base_dir, error);
      ok = s != NULL;
      if (ok)
        g_ptr_array_add (services, s);
    }
  if (ok && services->len == 0)
    ok = usd_fail (error, MBMS_USD_ERROR_PARSE, root, "no <%s>", USD_SERVICE);
  xmlFreeDoc (doc);
  return ok ? g_steal_pointer (&services) : NULL;
}

GPtrArray *
mbms_usd_parse_file (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  return mbms_usd_parse (contents, len, dir, error);
}
