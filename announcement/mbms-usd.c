/* User Service Bundle Descriptions, TS 26.346 V16.11.1 11.2.1 (schema of 11.2.1.1, main
 * schema in Annex J.1), read for TS 33.246 6.3.2.1A:
 *
 *   bundleDescription                urn:3GPP:metadata:2005:MBMS:userServiceDescription
 *     userServiceDescription 1..n    @serviceId (xs:anyURI, required)
 *       name                 0..n    @lang
 *       deliveryMethod       1..n    @sessionDescriptionURI (required), @protectionDescriptionURI
 *
 * elementFormDefault="qualified": these elements are in the USD namespace. Everything else
 * (serviceLanguage, requiredCapabilities, accessGroup, the extension namespaces of later
 * releases, sv:schemaVersion and sv:delimiter) is read past: the schema allows it, and
 * mbmsd does not act on it. Referenced files are read from the bundle's own directory only,
 * bounded, never fetched. */
#include "announcement-xml.h"
#include "mbms-fileio.h"

#include <string.h>

#define USD_NS             "urn:3GPP:metadata:2005:MBMS:userServiceDescription"
#define USD_BUNDLE         "bundleDescription"
#define USD_SERVICE        "userServiceDescription"
#define USD_SERVICE_ID     "serviceId"
#define USD_NAME           "name"
#define USD_DELIVERY       "deliveryMethod"
#define USD_SDP_URI        "sessionDescriptionURI"
#define USD_PROTECTION_URI "protectionDescriptionURI"

#define USD_MAX_LEN        (256 * 1024)
#define USD_MAX_REF_LEN    (256 * 1024)  /* a referenced SDP or security description */
#define USD_MAX_DEPTH      16
#define USD_MAX_SERVICES   64
#define USD_MAX_ITEMS      64   /* names, deliveryMethods per service */

G_DEFINE_QUARK (mbms-usd-error-quark, mbms_usd_error)

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
  g_free (s->fec_oti_extension);
  g_free (s->sdp);
  g_free (s);
}

/* The file a reference names in base_dir: a relative path or file: URI inside it, or an
 * http(s) URI by its last path segment (docs/interpretations.md). Nothing else. */
static char *
reference_path (const char *base_dir, const char *uri)
{
  g_autofree char *rel = NULL;

  if (g_str_has_prefix (uri, "http://") || g_str_has_prefix (uri, "https://"))
    {
      g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
      const char *path = parsed != NULL ? g_uri_get_path (parsed) : NULL;
      const char *last = path != NULL ? strrchr (path, '/') : NULL;
      rel = last != NULL ? g_uri_unescape_string (last + 1, NULL) : NULL;
      if (rel != NULL && strchr (rel, '/') != NULL)
        g_clear_pointer (&rel, g_free);
    }
  else
    rel = g_uri_unescape_string (g_str_has_prefix (uri, "file:") ? uri + 5 : uri, NULL);
  /* a file right beside the bundle: one path component, no way up or sideways */
  if (rel == NULL || rel[0] == '\0' || strchr (rel, '/') != NULL || strstr (rel, "..") != NULL || strchr (rel, ':'))
    return NULL;
  return g_build_filename (base_dir, rel, NULL);
}

/* A regular file of at most max octets, read without blocking on a FIFO or a device
 * (mbms-fileio.h); its error in this domain. */
static char *
read_bounded (const char *path, gsize max, gboolean follow, gsize *len, GError **error)
{
  g_autoptr(GError) local = NULL;
  char *contents = mbms_fileio_read (path, max, follow ? MBMS_FILEIO_FOLLOW_LINKS : MBMS_FILEIO_NO_LINKS, len, &local);

  if (contents == NULL)
    g_set_error (error, MBMS_USD_ERROR,
                 g_error_matches (local, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_TOO_LARGE) ? MBMS_USD_ERROR_LIMIT
                                                                                         : MBMS_USD_ERROR_REFERENCE,
                 "%s", local->message);
  return contents;
}

/* What one bundle may make mbmsd read in all its references. */
#define USD_MAX_BUNDLE_READ (2 * 1024 * 1024)

static char *
read_reference (const char *base_dir, const char *uri, xmlNode *node, gsize *budget, gsize *len, GError **error)
{
  g_autofree char *path = reference_path (base_dir, uri);
  g_autoptr(GError) local = NULL;
  char *contents;

  if (path == NULL)
    {
      announcement_fail (error, MBMS_USD_ERROR_REFERENCE, node, "\"%.128s\" is not a file beside the bundle", uri);
      return NULL;
    }
  /* no symlink: a link beside the bundle could name any file */
  contents = read_bounded (path, MIN (USD_MAX_REF_LEN, *budget), FALSE, len, &local);
  if (contents == NULL)
    announcement_fail (error, local->code, node, "cannot read \"%.128s\": %s%s", uri, local->message,
                       *budget < USD_MAX_REF_LEN ? " (the bundle's references exceed 2 MiB in all)" : "");
  else
    *budget -= *len;
  return contents;
}

static gboolean
parse_delivery (xmlNode *dm, const char *base_dir, gsize *budget, MbmsUserService *s, GError **error)
{
  g_autofree char *sdp_uri = announcement_xml_attr (dm, USD_SDP_URI);
  g_autofree char *prot_uri = announcement_xml_attr (dm, USD_PROTECTION_URI);
  g_autofree char *sdp = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  gsize len = 0;

  if (sdp_uri == NULL)
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, dm, "no %s (required, 11.2.1.1)", USD_SDP_URI);
  sdp = read_reference (base_dir, sdp_uri, dm, budget, &len, error);
  if (sdp == NULL)
    return FALSE;
  sessions = mbms_sdp_parse (sdp, len, error);
  if (sessions == NULL)
    {
      g_prefix_error (error, "<%s> %s: ", USD_DELIVERY, sdp_uri);
      return FALSE;
    }
  if (s->sessions->len + sessions->len > USD_MAX_ITEMS)
    return announcement_fail (error, MBMS_USD_ERROR_LIMIT, dm, "more than %d media in the service's sessions",
                              USD_MAX_ITEMS);
  while (sessions->len > 0)
    {
      MbmsRtpSession *r = g_ptr_array_steal_index (sessions, 0);
      s->streaming |= r->rtp;
      s->download |= !r->rtp;
      g_ptr_array_add (s->sessions, r);
    }
  /* the first session description is the service's (an unprotected service plays it) */
  if (s->sdp == NULL)
    s->sdp = g_steal_pointer (&sdp);
  if (prot_uri != NULL)
    {
      g_autofree char *xml = read_reference (base_dir, prot_uri, dm, budget, &len, error);
      if (xml == NULL)
        return FALSE;
      s->protected = TRUE;
      if (!mbms_security_description_parse (xml, len, s, error))
        {
          g_prefix_error (error, "%s: ", prot_uri);
          return FALSE;
        }
    }
  return TRUE;
}

/* Every SRTP session needs the MSK of its flow (11.3.1: a key identifier per media flow). */
static gboolean
check_keys (xmlNode *node, MbmsUserService *s, GError **error)
{
  for (guint i = 0; s->protected && i < s->sessions->len; i++)
    {
      MbmsRtpSession *r = g_ptr_array_index (s->sessions, i);
      if (r->srtp && !r->has_key)
        return announcement_fail (error, MBMS_USD_ERROR_PARSE, node,
                                  "no mediaFlow of the security description names SRTP session %s/%u", r->address,
                                  r->port);
    }
  return TRUE;
}

static MbmsUserService *
parse_service (xmlNode *node, const char *base_dir, gsize *budget, GError **error)
{
  g_autoptr(MbmsUserService) s = g_new0 (MbmsUserService, 1);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint deliveries = 0;

  s->service_id = announcement_xml_attr (node, USD_SERVICE_ID);
  s->keys = g_array_new (FALSE, TRUE, sizeof (MbmsKeyGroup));
  s->sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) mbms_rtp_session_free);
  s->uicc_key_management = TRUE; /* the default of keyManagement@uiccKeyManagement (11.3.1) */
  if (s->service_id == NULL || s->service_id[0] == '\0' || !g_utf8_validate (s->service_id, -1, NULL))
    {
      announcement_fail (error, MBMS_USD_ERROR_PARSE, node, "no %s (required, 11.2.1.1)", USD_SERVICE_ID);
      return NULL;
    }
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    {
      if (announcement_xml_is (c, USD_NS, USD_NAME) && names->len < USD_MAX_ITEMS)
        g_ptr_array_add (names, announcement_xml_text (c));
      else if (announcement_xml_is (c, USD_NS, USD_DELIVERY))
        {
          if (++deliveries > USD_MAX_ITEMS)
            {
              announcement_fail (error, MBMS_USD_ERROR_LIMIT, c, "more than %d delivery methods", USD_MAX_ITEMS);
              return NULL;
            }
          if (!parse_delivery (c, base_dir, budget, s, error))
            return NULL;
        }
    }
  if (deliveries == 0)
    {
      announcement_fail (error, MBMS_USD_ERROR_PARSE, node, "no <%s> (at least one, 11.2.1.1)", USD_DELIVERY);
      return NULL;
    }
  if (!check_keys (node, s, error))
    return NULL;
  if (!s->protected)
    s->uicc_key_management = FALSE; /* nothing to manage */
  g_ptr_array_add (names, NULL);
  s->names = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
  return g_steal_pointer (&s);
}

/* 11.3.1: "All Security Description instances referenced by a User Service Bundle
 * Description instance shall use the same FEC parameters." */
static gboolean
check_same_fec (xmlNode *root, GPtrArray *services, GError **error)
{
  MbmsUserService *first = NULL;

  for (guint i = 0; i < services->len; i++)
    {
      MbmsUserService *s = g_ptr_array_index (services, i);
      if (!s->protected)
        continue;
      if (first == NULL)
        first = s;
      else if (s->mikey_fec != first->mikey_fec || s->fec_encoding_id != first->fec_encoding_id
               || s->has_fec_instance_id != first->has_fec_instance_id || s->fec_instance_id != first->fec_instance_id
               || g_strcmp0 (s->fec_oti_extension, first->fec_oti_extension) != 0)
        return announcement_fail (error, MBMS_USD_ERROR_PARSE, root,
                                  "services %s and %s use different fecProtection (one set per bundle, 11.3.1)",
                                  first->service_id, s->service_id);
    }
  return TRUE;
}

GPtrArray *
mbms_usd_parse (const char *xml, gsize len, const char *base_dir, GError **error)
{
  g_autoptr(GPtrArray) services = g_ptr_array_new_with_free_func ((GDestroyNotify) mbms_user_service_free);
  xmlDoc *doc = announcement_xml_read (xml, len, USD_MAX_LEN, "user service bundle description", error);
  xmlNode *root;
  gboolean ok;
  gsize budget = USD_MAX_BUNDLE_READ;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  /* bundleDescription is the schema's one global element (11.2.1.1, J.1) */
  if (!announcement_xml_is (root, USD_NS, USD_BUNDLE))
    ok = announcement_fail (error, MBMS_USD_ERROR_PARSE, root, "expected <%s> in %s", USD_BUNDLE, USD_NS);
  else
    ok = announcement_xml_check_depth (root, 1, USD_MAX_DEPTH, error);
  for (xmlNode *c = ok ? root->children : NULL; c != NULL && ok; c = c->next)
    {
      MbmsUserService *s;
      if (!announcement_xml_is (c, USD_NS, USD_SERVICE))
        continue;
      if (services->len >= USD_MAX_SERVICES)
        {
          ok = announcement_fail (error, MBMS_USD_ERROR_LIMIT, c, "more than %d user services", USD_MAX_SERVICES);
          break;
        }
      s = parse_service (c, base_dir, &budget, error);
      ok = s != NULL;
      if (ok)
        g_ptr_array_add (services, s);
    }
  if (ok && services->len == 0)
    ok = announcement_fail (error, MBMS_USD_ERROR_PARSE, root, "no <%s> (at least one, 11.2.1.1)", USD_SERVICE);
  if (ok)
    ok = check_same_fec (root, services, error);
  xmlFreeDoc (doc);
  return ok ? g_steal_pointer (&services) : NULL;
}

GPtrArray *
mbms_usd_parse_file (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) local = NULL;
  gsize len = 0;

  /* the bundle itself may be a link (a packaged description linked into the directory) */
  contents = read_bounded (path, USD_MAX_LEN, TRUE, &len, &local);
  if (contents == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return mbms_usd_parse (contents, len, dir, error);
}
