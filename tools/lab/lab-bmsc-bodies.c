/* Key management bodies of the lab BM-SC, from TS 26.346 V16.11.1 11.4-11.8 and Annex C and
 * TS 33.246 Annex G and 6.3.2: every name, namespace and order below is the specification's,
 * cited by clause, and nothing is taken from the UE's code, so that the two check each other.
 *
 * Reading follows the schemas: the root and its target namespace, elementFormDefault
 * "qualified" (children in the same namespace), the sequences in their order and counts,
 * xs:any namespace="##other" where a schema has it (a namespace, but not the target one, nor
 * none), xs:anyAttribute where it has one. One leniency, decided by the lead: text between
 * elements of element-only content is skipped, because the specification's own examples (11.4.2,
 * 11.5.2, 11.6.2) leave such text behind; a stray element is still refused. */
#include "lab-bmsc-bodies.h"

#include "gba.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <string.h>

/* Target namespaces of the five schemas (TS 26.346 11.4.1, 11.5.1, 11.6.1, 11.7.1, 11.8.1). */
#define NS_REGISTER     "urn:3GPP:metadata:2005:MBMS:securityRegistration"
#define NS_DEREGISTER   "urn:3GPP:metadata:2005:MBMS:securityDeregistration"
#define NS_MSK_REQUEST  "urn:3GPP:metadata:2005:MBMS:mskRequest"
#define NS_REG_RESPONSE "urn:3GPP:metadata:2005:MBMS:securityRegistrationResponse"
#define NS_MSK_RESPONSE "urn:3GPP:metadata:2005:MBMS:mskResponse"
/* xsi:type, xsi:schemaLocation, ... may stand on any element (XML Schema Part 1, 3.2.7). */
#define NS_XSI          "http://www.w3.org/2001/XMLSchema-instance"

static const struct {
  const char *requesttype;    /* the URI parameter's value */
  const char *g_clause;       /* TS 33.246 */
  const char *media;          /* request Content-Type */
  const char *media_clause;   /* TS 26.346 */
  const char *response_media;
} kinds[] = {
  /* G.2.1 "application/mbms-register+xml" (C.9), answered "application/mbms-register-response+xml" (C.13) */
  [LAB_KM_REGISTER] = { "register", "G.2.1", "application/mbms-register+xml", "C.9",
                        "application/mbms-register-response+xml" },
  /* G.2.2 "application/mbms-deregister+xml" (C.10); its answer is the registration's (C.13, 11.7) */
  [LAB_KM_DEREGISTER] = { "deregister", "G.2.2", "application/mbms-deregister+xml", "C.10",
                          "application/mbms-register-response+xml" },
  /* G.2.3 "application/mbms-msk+xml" (C.8), answered "application/mbms-msk-response+xml" (C.12) */
  [LAB_KM_MSK] = { "msk-request", "G.2.3", "application/mbms-msk+xml", "C.8",
                   "application/mbms-msk-response+xml" },
};

/* ------------------------------------------------------------------ request types */

gboolean
lab_km_request_type_parse (const char *requesttype, LabKmRequestType *type)
{
  for (guint i = 0; requesttype != NULL && i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (requesttype, kinds[i].requesttype) == 0)
      {
        *type = (LabKmRequestType) i;
        return TRUE;
      }
  return FALSE;
}

const char *
lab_km_request_type_name (LabKmRequestType type)
{
  g_return_val_if_fail (type < G_N_ELEMENTS (kinds), NULL);
  return kinds[type].requesttype;
}

const char *
lab_km_request_media_type (LabKmRequestType type)
{
  g_return_val_if_fail (type < G_N_ELEMENTS (kinds), NULL);
  return kinds[type].media;
}

const char *
lab_km_response_media_type (LabKmRequestType type)
{
  g_return_val_if_fail (type < G_N_ELEMENTS (kinds), NULL);
  return kinds[type].response_media;
}

static gboolean G_GNUC_PRINTF (2, 3)
refuse (GError **error, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (GBA_ERROR, GBA_ERROR_PARSE, format, args));
  va_end (args);
  return FALSE;
}

gboolean
lab_km_check_content_type (LabKmRequestType type, const char *content_type, GError **error)
{
  const char *want = lab_km_request_media_type (type);
  g_auto(GStrv) parts = NULL;

  if (content_type == NULL)
    return refuse (error, "no Content-Type; a %s request is %s (TS 26.346 %s, TS 33.246 %s)",
                   kinds[type].requesttype, want, kinds[type].media_clause, kinds[type].g_clause);
  parts = g_strsplit (content_type, ";", -1);
  /* media types compare case-insensitively (RFC 2045 5.1) */
  if (parts[0] == NULL || g_ascii_strcasecmp (g_strstrip (parts[0]), want) != 0)
    return refuse (error, "Content-Type %s; a %s request is %s (TS 26.346 %s, TS 33.246 %s)",
                   content_type, kinds[type].requesttype, want, kinds[type].media_clause, kinds[type].g_clause);
  for (guint i = 1; parts[i] != NULL; i++)
    {
      char *p = g_strstrip (parts[i]);
      const char *eq = strchr (p, '=');
      g_autofree char *name = eq != NULL ? g_strstrip (g_strndup (p, (gsize) (eq - p))) : NULL;

      if (name == NULL || g_ascii_strcasecmp (name, "charset") != 0)
        return refuse (error, "Content-Type parameter \"%s\": %s takes none but charset (TS 26.346 %s)", p, want,
                       kinds[type].media_clause);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ reading */

/* The document, or NULL when it is not namespace-well-formed XML or declares a DTD: the
 * schemas define these documents, and a DTD could add entities or default attributes. */
static xmlDoc *
read_document (const char *body, gsize len, GError **error)
{
  xmlParserCtxt *ctxt;
  xmlDoc *doc;

  if (body == NULL || len == 0)
    {
      refuse (error, "empty body; the request carries an XML document (TS 33.246 G.2)");
      return NULL;
    }
  if (len > G_MAXINT)
    {
      refuse (error, "body too large");
      return NULL;
    }
  ctxt = xmlNewParserCtxt ();
  doc = xmlCtxtReadMemory (ctxt, body, (int) len, "request.xml", NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL || !ctxt->wellFormed || !ctxt->nsWellFormed)
    {
      const xmlError *e = xmlCtxtGetLastError (ctxt);
      g_autofree char *why = g_strstrip (g_strdup (e != NULL && e->message != NULL ? e->message : "no detail"));

      refuse (error, "not well-formed XML (line %d: %s)", e != NULL ? e->line : 0, why);
      g_clear_pointer (&doc, xmlFreeDoc);
    }
  else if (doc->intSubset != NULL || doc->extSubset != NULL)
    {
      refuse (error, "a DTD is not allowed; the document is defined by its XML schema (TS 26.346 11)");
      g_clear_pointer (&doc, xmlFreeDoc);
    }
  xmlFreeParserCtxt (ctxt);
  return doc;
}

static const char *
ns_of (const xmlNode *n)
{
  return n->ns != NULL ? (const char *) n->ns->href : NULL;
}

static gboolean
is (const xmlNode *n, const char *ns, const char *name)
{
  return g_strcmp0 (ns_of (n), ns) == 0 && strcmp ((const char *) n->name, name) == 0;
}

/* "name in <ns>" or "name in no namespace". */
static char *
describe_fully (const xmlNode *n)
{
  return g_strdup_printf ("%s in %s", (const char *) n->name, ns_of (n) != NULL ? ns_of (n) : "no namespace");
}

/* "name" when in the expected namespace, else as describe_fully. */
static char *
describe (const xmlNode *n, const char *expected_ns)
{
  if (g_strcmp0 (ns_of (n), expected_ns) == 0)
    return g_strdup ((const char *) n->name);
  return describe_fully (n);
}

static xmlNode *
next_element (xmlNode *n)
{
  while (n != NULL && n->type != XML_ELEMENT_NODE)
    n = n->next; /* text (tolerated), comments and processing instructions */
  return n;
}

static gboolean
check_root (xmlNode *root, const char *ns, const char *name, const char *clause, GError **error)
{
  g_autofree char *got = NULL;

  if (is (root, ns, name))
    return TRUE;
  got = describe_fully (root);
  return refuse (error, "expected root %s in %s (TS 26.346 %s), got %s", name, ns, clause, got);
}

/* Elements whose type has no attributes (simple types, MSKType): only xsi:* may appear. */
static gboolean
check_no_attributes (xmlNode *n, const char *what, const char *clause, GError **error)
{
  for (xmlAttr *a = n->properties; a != NULL; a = a->next)
    if (a->ns == NULL || g_strcmp0 ((const char *) a->ns->href, NS_XSI) != 0)
      return refuse (error, "%s has attribute %s; %s gives it none (TS 26.346 %s)", what, (const char *) a->name,
                     (const char *) n->name, clause);
  return TRUE;
}

/* xs:whiteSpace "collapse" (XML Schema Part 2, 4.3.6), the facet of xs:anyURI and
 * xs:base64Binary: tabs and newlines become spaces, runs become one, ends are cut. */
static char *
collapse (const char *s)
{
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;

  for (; *s != '\0'; s++)
    {
      if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        space = out->len > 0;
      else
        {
          if (space)
            g_string_append_c (out, ' ');
          space = FALSE;
          g_string_append_c (out, *s);
        }
    }
  return g_string_free (out, FALSE);
}

/* The collapsed text of an element of simple type; an element inside it is refused. */
static char *
simple_text (xmlNode *n, const char *what, const char *clause, GError **error)
{
  xmlChar *content;
  char *text;

  if (!check_no_attributes (n, what, clause, error))
    return NULL;
  if (next_element (n->children) != NULL)
    {
      g_autofree char *child = describe (next_element (n->children), ns_of (n));
      refuse (error, "%s contains element %s; it is text (TS 26.346 %s)", what, child, clause);
      return NULL;
    }
  content = xmlNodeGetContent (n);
  text = collapse (content != NULL ? (const char *) content : "");
  xmlFree (content);
  return text;
}

/* ------------------------------------------------------------------ registration, 11.4, 11.5 */

GStrv
lab_km_parse_registration (LabKmRequestType type, const char *body, gsize len, GError **error)
{
  gboolean dereg = type == LAB_KM_DEREGISTER;
  /* 11.4.1 mbmsSecurityRegister / 11.5.1 mbmsSecurityDeregister: serviceID+ (xs:anyURI) then
   * xs:any ##other*, xs:anyAttribute; elementFormDefault="qualified" */
  const char *ns = dereg ? NS_DEREGISTER : NS_REGISTER;
  const char *root_name = dereg ? "mbmsSecurityDeregister" : "mbmsSecurityRegister";
  const char *clause = dereg ? "11.5.1" : "11.4.1";
  g_autoptr(GPtrArray) ids = NULL;
  gboolean seen_other = FALSE;
  xmlDoc *doc;
  xmlNode *root;

  g_return_val_if_fail (type == LAB_KM_REGISTER || type == LAB_KM_DEREGISTER, NULL);
  if ((doc = read_document (body, len, error)) == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  if (!check_root (root, ns, root_name, clause, error))
    goto fail;
  ids = g_ptr_array_new_with_free_func (g_free);
  for (xmlNode *c = next_element (root->children); c != NULL; c = next_element (c->next))
    {
      g_autofree char *got = describe (c, ns);
      g_autofree char *what = NULL;
      char *id;

      if (ns_of (c) != NULL && strcmp (ns_of (c), ns) != 0)
        {
          seen_other = TRUE; /* xs:any namespace="##other" processContents="lax": not looked into */
          continue;
        }
      if (ns_of (c) == NULL)
        {
          refuse (error, "element %s; %s's children are in %s (elementFormDefault qualified, TS 26.346 %s)", got,
                  root_name, ns, clause);
          goto fail;
        }
      if (strcmp ((const char *) c->name, "serviceID") != 0)
        {
          refuse (error, "unexpected element %s in %s; TS 26.346 %s allows serviceID and elements of other "
                  "namespaces", got, root_name, clause);
          goto fail;
        }
      if (seen_other)
        {
          refuse (error, "serviceID after an element of another namespace; TS 26.346 %s puts every serviceID "
                  "first", clause);
          goto fail;
        }
      what = g_strdup_printf ("serviceID %u", ids->len + 1);
      if ((id = simple_text (c, what, clause, error)) == NULL)
        goto fail;
      g_ptr_array_add (ids, id);
      if (*id == '\0')
        {
          refuse (error, "%s is empty", what);
          goto fail;
        }
    }
  if (ids->len == 0)
    {
      refuse (error, "no serviceID in %s; TS 26.346 %s requires at least one", root_name, clause);
      goto fail;
    }
  xmlFreeDoc (doc);
  g_ptr_array_add (ids, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&ids), FALSE);

fail:
  xmlFreeDoc (doc);
  return NULL;
}

/* ------------------------------------------------------------------ MSK request, 11.6 */

/* Why a collapsed string is not in the lexical space of xs:base64Binary (XML Schema Part 2,
 * 3.2.16), NULL when it is: groups of four, '=' only as padding, and the bits the padding
 * leaves over zero (the B04 and B16 productions). */
static const char *
base64_problem (const char *s)
{
  gsize len = strlen (s);
  gsize pad = 0;

  if (len % 4 != 0)
    return "its length is not a multiple of 4";
  if (len > 0 && s[len - 1] == '=')
    pad++;
  if (len > 1 && s[len - 2] == '=')
    pad++;
  for (gsize i = 0; i < len - pad; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '+' && s[i] != '/')
      return s[i] == '=' ? "'=' before the end" : "a character outside the base64 alphabet";
  if (pad == 2 && strchr ("AQgw", s[len - 3]) == NULL)
    return "non-zero bits before \"==\"";
  if (pad == 1 && strchr ("AEIMQUYcgkosw048", s[len - 2]) == NULL)
    return "non-zero bits before \"=\"";
  return NULL;
}

/* An xs:base64Binary element that must decode to exactly want octets. */
static gboolean
read_base64 (xmlNode *n, guint index, gsize want, const char *why, guint8 *out, GError **error)
{
  g_autofree char *what = g_strdup_printf ("MSK %u %s", index, (const char *) n->name);
  g_autofree char *text = simple_text (n, what, "11.6.1", error);
  g_autofree guchar *octets = NULL;
  GString *compact;
  const char *problem;
  gsize got = 0;

  if (text == NULL)
    return FALSE;
  /* the lexical space allows a space between characters */
  compact = g_string_new (NULL);
  for (const char *p = text; *p != '\0'; p++)
    if (*p != ' ')
      g_string_append_c (compact, *p);
  problem = base64_problem (compact->str);
  if (problem == NULL)
    octets = g_base64_decode (compact->str, &got);
  g_string_free (compact, TRUE);
  if (problem != NULL)
    return refuse (error, "%s \"%.40s\" is not xs:base64Binary: %s", what, text, problem);
  if (got != want)
    return refuse (error, "%s decodes to %" G_GSIZE_FORMAT " octets, not %" G_GSIZE_FORMAT " (%s)", what, got,
                   want, why);
  memcpy (out, octets, want);
  return TRUE;
}

/* MSKType (11.6.1): keyDomainID then MSKID, once each, no attributes, no xs:any. */
static gboolean
read_msk (xmlNode *msk, guint index, LabKmMsk *out, GError **error)
{
  static const char *const order[] = { "keyDomainID", "MSKID" };
  g_autofree char *what = g_strdup_printf ("MSK %u", index);
  xmlNode *parts[2] = { NULL, NULL };
  guint n = 0;
  guint8 id[4];

  if (!check_no_attributes (msk, what, "11.6.1", error))
    return FALSE;
  for (xmlNode *c = next_element (msk->children); c != NULL; c = next_element (c->next))
    {
      g_autofree char *got = describe (c, NS_MSK_REQUEST);

      if (n == G_N_ELEMENTS (order))
        return refuse (error, "%s: unexpected element %s after MSKID; MSKType is keyDomainID then MSKID "
                       "(TS 26.346 11.6.1)", what, got);
      if (!is (c, NS_MSK_REQUEST, order[n]))
        return refuse (error, "%s: expected %s, got %s; MSKType is keyDomainID then MSKID, once each "
                       "(TS 26.346 11.6.1)", what, order[n], got);
      parts[n++] = c;
    }
  if (n < G_N_ELEMENTS (order))
    return refuse (error, "%s: %s missing; MSKType is keyDomainID then MSKID (TS 26.346 11.6.1)", what, order[n]);
  /* 11.3.1: "a 3 byte long binary value as specified in sub-clause 6.3.2.1 of [20]" (MCC || MNC) */
  if (!read_base64 (parts[0], index, 3, "Key Domain ID = MCC || MNC, TS 33.246 6.3.2.1", out->key_domain_id, error))
    return FALSE;
  /* MSKIDType: xs:base64Binary with xs:length 4 (11.6.1; TS 33.246 6.3.2.1) */
  if (!read_base64 (parts[1], index, 4, "MSKIDType has length 4", id, error))
    return FALSE;
  out->msk_id = (guint32) id[0] << 24 | (guint32) id[1] << 16 | (guint32) id[2] << 8 | id[3];
  return TRUE;
}

GArray *
lab_km_parse_msk_request (const char *body, gsize len, GError **error)
{
  g_autoptr(GArray) msks = NULL;
  xmlDoc *doc;
  xmlNode *root;

  if ((doc = read_document (body, len, error)) == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  /* 11.6.1 mbmsMSKRequest: MSK+ and xs:anyAttribute; unlike 11.4.1, no xs:any */
  if (!check_root (root, NS_MSK_REQUEST, "mbmsMSKRequest", "11.6.1", error))
    goto fail;
  msks = g_array_new (FALSE, TRUE, sizeof (LabKmMsk));
  for (xmlNode *c = next_element (root->children); c != NULL; c = next_element (c->next))
    {
      LabKmMsk m = { 0 };

      if (!is (c, NS_MSK_REQUEST, "MSK"))
        {
          g_autofree char *got = describe (c, NS_MSK_REQUEST);
          refuse (error, "unexpected element %s in mbmsMSKRequest; TS 26.346 11.6.1 allows only MSK", got);
          goto fail;
        }
      if (!read_msk (c, msks->len + 1, &m, error))
        goto fail;
      g_array_append_val (msks, m);
    }
  if (msks->len == 0)
    {
      refuse (error, "no MSK in mbmsMSKRequest; TS 26.346 11.6.1 requires at least one");
      goto fail;
    }
  xmlFreeDoc (doc);
  return g_steal_pointer (&msks);

fail:
  xmlFreeDoc (doc);
  return NULL;
}

/* ------------------------------------------------------------------ responses, 11.7, 11.8 */

/* RFC 2616 6.1.1, the Reason-Phrases TS 33.246 6.3.2.4 refers to. */
static const struct {
  guint       code;
  const char *phrase;
} phrases[] = {
  { 100, "Continue" }, { 101, "Switching Protocols" },
  { 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 203, "Non-Authoritative Information" },
  { 204, "No Content" }, { 205, "Reset Content" }, { 206, "Partial Content" },
  { 300, "Multiple Choices" }, { 301, "Moved Permanently" }, { 302, "Found" }, { 303, "See Other" },
  { 304, "Not Modified" }, { 305, "Use Proxy" }, { 307, "Temporary Redirect" },
  { 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" }, { 403, "Forbidden" },
  { 404, "Not Found" }, { 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
  { 407, "Proxy Authentication Required" }, { 408, "Request Time-out" }, { 409, "Conflict" },
  { 410, "Gone" }, { 411, "Length Required" }, { 412, "Precondition Failed" },
  { 413, "Request Entity Too Large" }, { 414, "Request-URI Too Large" }, { 415, "Unsupported Media Type" },
  { 416, "Requested range not satisfiable" }, { 417, "Expectation Failed" },
  { 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
  { 503, "Service Unavailable" }, { 504, "Gateway Time-out" }, { 505, "HTTP Version not supported" },
};

static const char *
phrase_of (guint code)
{
  for (guint i = 0; i < G_N_ELEMENTS (phrases); i++)
    if (phrases[i].code == code)
      return phrases[i].phrase;
  return NULL;
}

char *
lab_km_response_code (guint code)
{
  const char *phrase;

  g_return_val_if_fail (code >= 100 && code <= 599, NULL);
  phrase = phrase_of (code);
  /* RFC 2616 6.1.1: an unrecognised code is read as the x00 code of its class */
  if (phrase == NULL)
    phrase = phrase_of (code / 100 * 100);
  return g_strdup_printf ("%u %s", code, phrase);
}

static void
append_text_element (GString *xml, const char *indent, const char *name, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  g_string_append_printf (xml, "%s<%s>%s</%s>\n", indent, name, escaped, name);
}

static void
append_response_code (GString *xml, guint code)
{
  g_autofree char *text = lab_km_response_code (code);

  append_text_element (xml, "    ", "ResponseCode", text);
}

char *
lab_km_build_registration_response (const char *const *service_ids, const guint *codes, gsize n_items)
{
  GString *xml;

  /* Response has minOccurs 1 (11.7.1); 6.3.2.4: one code for each serviceID of the request */
  g_return_val_if_fail (service_ids != NULL && codes != NULL && n_items > 0, NULL);
  xml = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<mbmsSecurityRegisterResponse xmlns=\"" NS_REG_RESPONSE "\">\n");
  for (gsize i = 0; i < n_items; i++)
    {
      /* ResponseType: serviceID then ResponseCode */
      g_string_append (xml, "  <Response>\n");
      append_text_element (xml, "    ", "serviceID", service_ids[i]);
      append_response_code (xml, codes[i]);
      g_string_append (xml, "  </Response>\n");
    }
  g_string_append (xml, "</mbmsSecurityRegisterResponse>\n");
  return g_string_free (xml, FALSE);
}

char *
lab_km_build_msk_response (const LabKmMsk *msks, const guint *codes, gsize n_items)
{
  GString *xml;

  g_return_val_if_fail (msks != NULL && codes != NULL && n_items > 0, NULL);
  xml = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<mbmsMSKResponse xmlns=\"" NS_MSK_RESPONSE "\">\n");
  for (gsize i = 0; i < n_items; i++)
    {
      guint32 v = msks[i].msk_id;
      guint8 id[4] = { (guint8) (v >> 24), (guint8) (v >> 16), (guint8) (v >> 8), (guint8) v };
      g_autofree char *domain = g_base64_encode (msks[i].key_domain_id, 3);
      g_autofree char *msk_id = g_base64_encode (id, 4);

      /* ResponseType (11.8.1): MSK{keyDomainID, MSKID} (both xs:base64Binary) then ResponseCode */
      g_string_append (xml, "  <Response>\n    <MSK>\n");
      append_text_element (xml, "      ", "keyDomainID", domain);
      append_text_element (xml, "      ", "MSKID", msk_id);
      g_string_append (xml, "    </MSK>\n");
      append_response_code (xml, codes[i]);
      g_string_append (xml, "  </Response>\n");
    }
  g_string_append (xml, "</mbmsMSKResponse>\n");
  return g_string_free (xml, FALSE);
}
