/* The Security Description fragment, TS 26.346 V16.11.1 11.3.1 (schema security.xsd),
 * called the service protection description in TS 33.246 6.3.2.1A:
 *
 *   securityDescription            urn:3GPP:metadata:2005:MBMS:securityDescription
 *     keyManagement    0..1        @offsetTime @randomTimePeriod (xs:unsignedLong, default 0)
 *                                  @uiccKeyManagement (xs:boolean, default true)
 *       serverURI      1..n        xs:anyURI
 *     keyId            1..n
 *       mediaFlow      1..n        @flowID "<IP destination address>/<destination port>" (required)
 *         MSK          1           keyDomainID (base64Binary, 3 octets), MSKID (base64Binary, 4 octets)
 *     fecProtection    0..1        @fecEncodingId (default 0) @fecInstanceId @fecOtiExtension
 *     xs:any ##other
 *
 * elementFormDefault="qualified": every element above is in the target namespace. Elements of
 * other namespaces and unknown attributes are allowed (xs:any ##other, xs:anyAttribute); an
 * unknown element of the target namespace, or one out of place, is not. */
#include "announcement-xml.h"

#include <arpa/inet.h>
#include <string.h>

#define SEC_NS                "urn:3GPP:metadata:2005:MBMS:securityDescription"
#define SEC_ROOT              "securityDescription"
#define SEC_KEY_MANAGEMENT    "keyManagement"
#define SEC_SERVER            "serverURI"
#define SEC_OFFSET_TIME       "offsetTime"
#define SEC_RANDOM_PERIOD     "randomTimePeriod"
#define SEC_UICC_KM           "uiccKeyManagement"
#define SEC_KEY_ID            "keyId"
#define SEC_MEDIA_FLOW        "mediaFlow"
#define SEC_FLOW_ID           "flowID"
#define SEC_MSK               "MSK"
#define SEC_KEY_DOMAIN        "keyDomainID"
#define SEC_MSK_ID            "MSKID"
#define SEC_FEC               "fecProtection"
#define SEC_FEC_ENCODING_ID   "fecEncodingId"
#define SEC_FEC_INSTANCE_ID   "fecInstanceId"
#define SEC_FEC_OTI_EXTENSION "fecOtiExtension"

#define SEC_MAX_LEN       (256 * 1024)
#define SEC_MAX_DEPTH     16
#define SEC_MAX_ITEMS     64     /* servers, media flows */
#define SEC_MAX_BACKOFF_S 86400  /* docs/interpretations.md: back-off beyond a day is a day */

/* What one description says, with its own defaults, before it joins the service's (a
 * service may have several delivery methods, each with a description). */
typedef struct {
  MbmsUserService *service;
  GPtrArray       *servers;
  guint            flows;
  gboolean         seen_key_id;
  gboolean         seen_fec;
  gboolean         uicc_key_management;
  guint            offset_time_s;
  guint            random_period_s;
  MbmsUserService  fec; /* only the fec_* and mikey_fec fields */
} Reading;

/* Whitespace and stray text between the elements is tolerated (the specification's own
 * examples carry some); comments and processing instructions too. */
static gboolean
skippable (xmlNode *c)
{
  return c->type != XML_ELEMENT_NODE || !announcement_xml_in_ns (c, SEC_NS);
}

static gboolean
parse_seconds (xmlNode *km, const char *name, guint *out, GError **error)
{
  g_autofree char *t = announcement_xml_attr (km, name);
  guint64 v;

  if (t == NULL)
    return TRUE; /* default 0 */
  if (!g_ascii_string_to_unsigned (t, 10, 0, G_MAXUINT64, &v, NULL))
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, km, "%s \"%.32s\" is not an xs:unsignedLong", name, t);
  *out = (guint) MIN (v, SEC_MAX_BACKOFF_S);
  return TRUE;
}

static gboolean
parse_server (xmlNode *c, Reading *r, GError **error)
{
  g_autofree char *uri = announcement_xml_text (c);
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);

  /* TS 33.246 Annex G: key management runs over HTTP(S) */
  if (parsed == NULL || g_uri_get_host (parsed) == NULL || g_uri_get_host (parsed)[0] == '\0'
      || (g_strcmp0 (g_uri_get_scheme (parsed), "http") != 0 && g_strcmp0 (g_uri_get_scheme (parsed), "https") != 0))
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, c, "\"%.128s\" is not an http(s) URI", uri);
  if (r->servers->len >= SEC_MAX_ITEMS)
    return announcement_fail (error, MBMS_USD_ERROR_LIMIT, c, "more than %d servers", SEC_MAX_ITEMS);
  g_ptr_array_add (r->servers, g_steal_pointer (&uri));
  return TRUE;
}

static gboolean
parse_key_management (xmlNode *km, Reading *r, GError **error)
{
  g_autofree char *uicc = announcement_xml_attr (km, SEC_UICC_KM);

  if (uicc != NULL && !announcement_xml_parse_boolean (uicc, &r->uicc_key_management))
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, km, "%s \"%.16s\" is not an xs:boolean", SEC_UICC_KM, uicc);
  if (!parse_seconds (km, SEC_OFFSET_TIME, &r->offset_time_s, error)
      || !parse_seconds (km, SEC_RANDOM_PERIOD, &r->random_period_s, error))
    return FALSE;
  for (xmlNode *c = km->children; c != NULL; c = c->next)
    {
      if (skippable (c))
        continue;
      if (!announcement_xml_is (c, SEC_NS, SEC_SERVER))
        return announcement_fail (error, MBMS_USD_ERROR_PARSE, c, "not an element of <%s>", SEC_KEY_MANAGEMENT);
      if (!parse_server (c, r, error))
        return FALSE;
    }
  if (r->servers->len == 0)
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, km, "no <%s>: a protected service needs a BM-SC",
                              SEC_SERVER);
  return TRUE;
}

/* One element of the target namespace named name among c's children, and nothing else of it. */
static xmlNode *
only_child (xmlNode *parent, const char *name, GError **error)
{
  xmlNode *found = NULL;

  for (xmlNode *c = parent->children; c != NULL; c = c->next)
    {
      if (skippable (c))
        continue;
      if (!announcement_xml_is (c, SEC_NS, name) || found != NULL)
        {
          announcement_fail (error, MBMS_USD_ERROR_PARSE, c, "<%s> holds exactly one <%s>", (const char *) parent->name,
                             name);
          return NULL;
        }
      found = c;
    }
  if (found == NULL)
    announcement_fail (error, MBMS_USD_ERROR_PARSE, parent, "no <%s>", name);
  return found;
}

/* MSKType: keyDomainID then MSKID, each once, in this order. */
static gboolean
parse_msk (xmlNode *msk, MbmsKeyGroup *out, GError **error)
{
  xmlNode *domain = NULL, *id = NULL;
  g_autofree char *domain_text = NULL;
  g_autofree char *id_text = NULL;
  guint8 msk_id[4];

  for (xmlNode *c = msk->children; c != NULL; c = c->next)
    {
      if (skippable (c))
        continue;
      if (domain == NULL && announcement_xml_is (c, SEC_NS, SEC_KEY_DOMAIN))
        domain = c;
      else if (domain != NULL && id == NULL && announcement_xml_is (c, SEC_NS, SEC_MSK_ID))
        id = c;
      else
        return announcement_fail (error, MBMS_USD_ERROR_PARSE, c, "<%s> holds <%s> then <%s>, once each", SEC_MSK,
                                  SEC_KEY_DOMAIN, SEC_MSK_ID);
    }
  if (domain == NULL || id == NULL)
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, msk, "no <%s>", domain == NULL ? SEC_KEY_DOMAIN : SEC_MSK_ID);
  domain_text = announcement_xml_text (domain);
  id_text = announcement_xml_text (id);
  if (!mbms_key_id_from_base64 (domain_text, out->domain, MBMS_KEY_DOMAIN_LEN))
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, domain, "\"%.32s\" is not 3 octets in base64",
                              domain_text);
  if (!mbms_key_id_from_base64 (id_text, msk_id, sizeof msk_id))
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, id, "\"%.32s\" is not 4 octets in base64", id_text);
  /* TS 33.246 6.3.2.1A: the Key Group identifies the MSKs; the announced Key Number is 0 */
  out->key_group = (guint16) (msk_id[0] << 8 | msk_id[1]);
  /* TS 33.246 6.3.2.1: Key Group 0 is reserved */
  if (out->key_group == 0)
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, id, "\"%.32s\" has the reserved Key Group 0", id_text);
  return TRUE;
}

static void
add_key_group (MbmsUserService *s, const MbmsKeyGroup *kg)
{
  for (guint i = 0; i < s->keys->len; i++)
    {
      MbmsKeyGroup *k = &g_array_index (s->keys, MbmsKeyGroup, i);
      if (k->key_group == kg->key_group && memcmp (k->domain, kg->domain, MBMS_KEY_DOMAIN_LEN) == 0)
        return;
    }
  g_array_append_val (s->keys, *kg);
}

/* "<IP destination address>/<destination port>": split at the last "/", an IPv6 address
 * has colons but no slash. */
static gboolean
parse_flow_id (xmlNode *flow, char **address, guint16 *port, GError **error)
{
  g_autofree char *id = announcement_xml_attr (flow, SEC_FLOW_ID);
  const char *slash = id != NULL ? strrchr (id, '/') : NULL;
  g_autofree char *addr = NULL;
  guint64 p;

  if (id == NULL)
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, flow, "no %s", SEC_FLOW_ID);
  if (slash != NULL)
    addr = g_strndup (id, (gsize) (slash - id));
  if (addr == NULL || !g_hostname_is_ip_address (addr)
      || !g_ascii_string_to_unsigned (slash + 1, 10, 1, 65535, &p, NULL))
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, flow, "%s \"%.64s\" is not <IP address>/<port>",
                              SEC_FLOW_ID, id);
  *address = g_steal_pointer (&addr);
  *port = (guint16) p;
  return TRUE;
}

/* Addresses compared as addresses: IPv6 has many spellings of one. */
static gboolean
same_address (const char *a, const char *b)
{
  guint8 ra[16], rb[16];
  int family = strchr (a, ':') != NULL ? AF_INET6 : AF_INET;

  if ((strchr (b, ':') != NULL) != (family == AF_INET6))
    return FALSE;
  return inet_pton (family, a, ra) == 1 && inet_pton (family, b, rb) == 1
         && memcmp (ra, rb, family == AF_INET6 ? 16 : 4) == 0;
}

/* The flow's MSK protects the session of that destination. A flow naming no RTP session of
 * the service (a FLUTE channel, or a session of another delivery method) still names a key
 * group of the service (docs/interpretations.md). */
static gboolean
parse_media_flow (xmlNode *flow, Reading *r, GError **error)
{
  g_autofree char *address = NULL;
  MbmsKeyGroup kg;
  xmlNode *msk;
  guint16 port = 0;

  if (++r->flows > SEC_MAX_ITEMS)
    return announcement_fail (error, MBMS_USD_ERROR_LIMIT, flow, "more than %d media flows", SEC_MAX_ITEMS);
  if (!parse_flow_id (flow, &address, &port, error) || (msk = only_child (flow, SEC_MSK, error)) == NULL
      || !parse_msk (msk, &kg, error))
    return FALSE;
  for (guint i = 0; i < r->service->sessions->len; i++)
    {
      MbmsRtpSession *rs = g_ptr_array_index (r->service->sessions, i);
      if (rs->port != port || !same_address (rs->address, address))
        continue;
      if (rs->has_key && (rs->key.key_group != kg.key_group || memcmp (rs->key.domain, kg.domain, 3) != 0))
        return announcement_fail (error, MBMS_USD_ERROR_PARSE, flow, "flow %s/%u has two MSKs", address, port);
      rs->key = kg;
      rs->has_key = TRUE;
    }
  add_key_group (r->service, &kg);
  return TRUE;
}

static gboolean
parse_key_id (xmlNode *key_id, Reading *r, GError **error)
{
  guint flows = 0;

  for (xmlNode *c = key_id->children; c != NULL; c = c->next)
    {
      if (skippable (c))
        continue;
      if (!announcement_xml_is (c, SEC_NS, SEC_MEDIA_FLOW))
        return announcement_fail (error, MBMS_USD_ERROR_PARSE, c, "not an element of <%s>", SEC_KEY_ID);
      if (!parse_media_flow (c, r, error))
        return FALSE;
      flows++;
    }
  if (flows == 0)
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, key_id, "no <%s>", SEC_MEDIA_FLOW);
  return TRUE;
}

static gboolean
parse_fec (xmlNode *fec, MbmsUserService *s, GError **error)
{
  g_autofree char *encoding = announcement_xml_attr (fec, SEC_FEC_ENCODING_ID);
  g_autofree char *instance = announcement_xml_attr (fec, SEC_FEC_INSTANCE_ID);
  guint64 v;

  s->mikey_fec = TRUE;
  if (encoding != NULL)
    {
      if (!g_ascii_string_to_unsigned (encoding, 10, 0, 255, &v, NULL)) /* an FEC Encoding ID is 8 bits */
        return announcement_fail (error, MBMS_USD_ERROR_PARSE, fec, "%s \"%.16s\" is not 0..255", SEC_FEC_ENCODING_ID,
                                  encoding);
      s->fec_encoding_id = (guint) v;
    }
  if (instance != NULL)
    {
      if (!g_ascii_string_to_unsigned (instance, 10, 0, 65535, &v, NULL)) /* FEC Instance ID: 16 bits */
        return announcement_fail (error, MBMS_USD_ERROR_PARSE, fec, "%s \"%.16s\" is not 0..65535",
                                  SEC_FEC_INSTANCE_ID, instance);
      s->fec_instance_id = (guint) v;
      s->has_fec_instance_id = TRUE;
    }
  g_free (s->fec_oti_extension);
  s->fec_oti_extension = announcement_xml_attr (fec, SEC_FEC_OTI_EXTENSION);
  return TRUE;
}

/* securityDescriptionType is a sequence: keyManagement?, keyId+, fecProtection?, ##other*. */
static gboolean
parse_root (xmlNode *root, Reading *r, GError **error)
{
  gboolean seen_km = FALSE;

  for (xmlNode *c = root->children; c != NULL; c = c->next)
    {
      gboolean ok;

      if (skippable (c))
        continue;
      if (announcement_xml_is (c, SEC_NS, SEC_KEY_MANAGEMENT) && !seen_km && !r->seen_key_id)
        ok = (seen_km = TRUE) && parse_key_management (c, r, error);
      else if (announcement_xml_is (c, SEC_NS, SEC_KEY_ID) && !r->seen_fec)
        ok = (r->seen_key_id = TRUE) && parse_key_id (c, r, error);
      else if (announcement_xml_is (c, SEC_NS, SEC_FEC) && r->seen_key_id && !r->seen_fec)
        ok = (r->seen_fec = TRUE) && parse_fec (c, &r->fec, error);
      else
        ok = announcement_fail (error, MBMS_USD_ERROR_PARSE, c,
                                "out of place: <%s> holds <%s>?, <%s>+, <%s>? in this order", SEC_ROOT,
                                SEC_KEY_MANAGEMENT, SEC_KEY_ID, SEC_FEC);
      if (!ok)
        return FALSE;
    }
  if (!r->seen_key_id)
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, root, "no <%s>: a protected service needs its MSK IDs",
                              SEC_KEY_ID);
  /* optional in the schema, but TS 33.246 6.3.2.1A needs a BM-SC to register with */
  if (!seen_km)
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, root, "no <%s>: a protected service needs a BM-SC",
                              SEC_KEY_MANAGEMENT);
  return TRUE;
}

/* A second description of the same service: UICC key management is required if any asks
 * for it, the longest back-off holds, and the FEC parameters must be the same (11.3.1). */
static gboolean
join_service (Reading *r, gboolean first, GError **error)
{
  MbmsUserService *s = r->service;

  if (!first && (s->mikey_fec != r->fec.mikey_fec || s->fec_encoding_id != r->fec.fec_encoding_id
                 || s->has_fec_instance_id != r->fec.has_fec_instance_id
                 || s->fec_instance_id != r->fec.fec_instance_id
                 || g_strcmp0 (s->fec_oti_extension, r->fec.fec_oti_extension) != 0))
    return announcement_fail (error, MBMS_USD_ERROR_PARSE, NULL,
                              "security descriptions of service %s use different fecProtection (one set, 11.3.1)",
                              s->service_id);
  s->uicc_key_management = first ? r->uicc_key_management : s->uicc_key_management || r->uicc_key_management;
  s->offset_time_s = first ? r->offset_time_s : MAX (s->offset_time_s, r->offset_time_s);
  s->random_period_s = first ? r->random_period_s : MAX (s->random_period_s, r->random_period_s);
  s->mikey_fec = r->fec.mikey_fec;
  s->fec_encoding_id = r->fec.fec_encoding_id;
  s->has_fec_instance_id = r->fec.has_fec_instance_id;
  s->fec_instance_id = r->fec.fec_instance_id;
  g_free (s->fec_oti_extension);
  s->fec_oti_extension = g_strdup (r->fec.fec_oti_extension);
  return TRUE;
}

gboolean
mbms_security_description_parse (const char *xml, gsize len, MbmsUserService *s, GError **error)
{
  g_autoptr(GPtrArray) servers = g_ptr_array_new_with_free_func (g_free);
  /* the defaults of 11.3.1: uiccKeyManagement true, offsetTime and randomTimePeriod 0 */
  Reading r = { .service = s, .servers = servers, .uicc_key_management = TRUE };
  gboolean first = s->bmsc_uris == NULL;
  xmlDoc *doc = announcement_xml_read (xml, len, SEC_MAX_LEN, "security description", error);
  xmlNode *root;
  gboolean ok;

  if (doc == NULL)
    return FALSE;
  root = xmlDocGetRootElement (doc);
  if (!announcement_xml_is (root, SEC_NS, SEC_ROOT))
    ok = announcement_fail (error, MBMS_USD_ERROR_PARSE, root, "expected <%s> in %s", SEC_ROOT, SEC_NS);
  else
    ok = announcement_xml_check_depth (root, 1, SEC_MAX_DEPTH, error) && parse_root (root, &r, error);
  xmlFreeDoc (doc);
  if (ok)
    ok = join_service (&r, first, error);
  g_free (r.fec.fec_oti_extension);
  if (!ok)
    return FALSE;
  /* several delivery methods: the servers of every description, each once, in order */
  {
    GPtrArray *all = g_ptr_array_new ();
    for (guint i = 0; s->bmsc_uris != NULL && s->bmsc_uris[i] != NULL; i++)
      g_ptr_array_add (all, g_strdup (s->bmsc_uris[i]));
    for (guint i = 0; i < servers->len; i++)
      if (!g_ptr_array_find_with_equal_func (all, g_ptr_array_index (servers, i), g_str_equal, NULL))
        g_ptr_array_add (all, g_strdup (g_ptr_array_index (servers, i)));
    g_ptr_array_add (all, NULL);
    g_strfreev (s->bmsc_uris);
    s->bmsc_uris = (char **) g_ptr_array_free (all, FALSE);
  }
  return TRUE;
}
