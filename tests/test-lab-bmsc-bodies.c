/* The lab BM-SC's key management bodies against TS 26.346 V16.11.1 11.4-11.8 and Annex C:
 * the specification's own examples (as printed, stray text and all) are accepted, the old lab
 * dialect and every kind of mistake are refused with a message naming it, and the responses
 * built have the structure of the examples 11.7.2 and 11.8.2 (and validate against the schemas
 * in data/schemas when those are there). */
#include "lab-bmsc-bodies.h"
#include "gba.h"
#include "test-util.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <string.h>

/* ------------------------------------------------------------ the specification's examples */

/* 11.4.2, line for line: the start tag ends after xmlns:xsi, so xsi:schemaLocation="..." is text. */
static const char example_11_4_2[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<mbmsSecurityRegister xmlns=\"urn:3GPP:metadata:2005:MBMS:securityRegistration\"\n"
  "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
  "xsi:schemaLocation=\"urn:3GPP:metadata:2005:MBMS:securityRegistration SecurityRegistration.xsd\">\n"
  "<serviceID>urn:3gpp:mbms:example:serivce:identification:123456789abcdef</serviceID>\n"
  "</mbmsSecurityRegister>\n";

/* 11.5.2, with the sentence the specification prints inside the element. */
static const char example_11_5_2[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<mbmsSecurityDeregister xmlns=\"urn:3GPP:metadata:2005:MBMS:securityDeregistration\"\n"
  "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
  "The schema filename of service protection de-registration is SecurityDeregistration.xsd.\n"
  "<serviceID>urn:3gpp:mbms:example:serivce:identification:123456789abcdef</serviceID>\n"
  "</mbmsSecurityDeregister>\n";

static const char example_11_6_2[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<mbmsMSKRequest\n"
  "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
  "xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\">\n"
  "xsi:schemaLocation=\"urn:3GPP:metadata:2005:MBMS:mskRequest mskRequest.xsd\">\n"
  "<MSK>\n"
  "<keyDomainID>uHCd</keyDomainID>\n"
  "<MSKID>aMkAAA==</MSKID>\n"
  "</MSK>\n"
  "</mbmsMSKRequest>\n";

static const char example_11_7_2[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<mbmsSecurityRegisterResponse xmlns=\"urn:3GPP:metadata:2005:MBMS:securityRegistrationResponse\" "
  "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
  "xsi:schemaLocation=\"urn:3GPP:metadata:2005:MBMS:securityRegistrationResponse\">\n"
  "securityRegistrationResponse.xsd\">\n"
  "<Response>\n"
  "<serviceID>urn:3gpp:mbms:example:service:identification:123456789abcdef</serviceID>\n"
  "<ResponseCode>200 OK</ResponseCode>\n"
  "</Response>\n"
  "<Response>\n"
  "<serviceID>urn:3gpp:mbms:example:service:identification:fedcba987654321</serviceID>\n"
  "<ResponseCode>200 OK</ResponseCode>\n"
  "</Response>\n"
  "</mbmsSecurityRegisterResponse>\n";

static const char example_11_8_2[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<mbmsMSKResponse xmlns=\"urn:3GPP:metadata:2005:MBMS:mskResponse\" "
  "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
  "xsi:schemaLocation=\"urn:3GPP:metadata:2005:MBMS:mskResponse mskResponse.xsd\">\n"
  "<Response>\n"
  "<MSK>\n"
  "<keyDomainID>uHCd</keyDomainID>\n"
  "<MSKID>aMkAAA==</MSKID>\n"
  "</MSK>\n"
  "<ResponseCode>200 OK</ResponseCode>\n"
  "</Response>\n"
  "<Response>\n"
  "<MSK>\n"
  "<keyDomainID>uHCd</keyDomainID>\n"
  "<MSKID>JMtEAA==</MSKID>\n"
  "</MSK>\n"
  "<ResponseCode>200 OK</ResponseCode>\n"
  "</Response>\n"
  "</mbmsMSKResponse>\n";

#define NS_REG "urn:3GPP:metadata:2005:MBMS:securityRegistration"
#define NS_DEREG "urn:3GPP:metadata:2005:MBMS:securityDeregistration"
#define NS_MSK "urn:3GPP:metadata:2005:MBMS:mskRequest"

/* ------------------------------------------------------------ helpers */

static GStrv
parse_reg (LabKmRequestType type, const char *body, GError **error)
{
  return lab_km_parse_registration (type, body, strlen (body), error);
}

/* The body is refused and the message contains every fragment given. */
static void
assert_reg_refused (LabKmRequestType type, const char *body, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = parse_reg (type, body, &error);

  g_assert_null (ids);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_PARSE);
  if (strstr (error->message, fragment) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", error->message, fragment);
}

static void
assert_msk_refused (const char *body, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) msks = lab_km_parse_msk_request (body, strlen (body), &error);

  g_assert_null (msks);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_PARSE);
  if (strstr (error->message, fragment) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", error->message, fragment);
}

/* An mbmsMSKRequest with one MSK whose inner markup is given. */
static char *
msk_request (const char *msk_inner)
{
  return g_strdup_printf ("<mbmsMSKRequest xmlns=\"" NS_MSK "\"><MSK>%s</MSK></mbmsMSKRequest>", msk_inner);
}

/* A document's elements as "{ns}name(children)" or "{ns}name=text"; text between elements
 * (the examples' stray text), attributes and comments are left out. */
static void
structure_of (xmlNode *n, GString *out)
{
  gboolean has_elements = FALSE;

  g_string_append_printf (out, "{%s}%s", n->ns != NULL ? (const char *) n->ns->href : "", (const char *) n->name);
  for (xmlNode *c = n->children; c != NULL; c = c->next)
    has_elements |= c->type == XML_ELEMENT_NODE;
  if (!has_elements)
    {
      xmlChar *t = xmlNodeGetContent (n);
      g_autofree char *text = g_strstrip (g_strdup ((const char *) t));
      g_string_append_printf (out, "=%s", text);
      xmlFree (t);
      return;
    }
  g_string_append_c (out, '(');
  for (xmlNode *c = n->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE)
      {
        structure_of (c, out);
        g_string_append_c (out, ' ');
      }
  g_string_append_c (out, ')');
}

static char *
structure (const char *xml)
{
  xmlDoc *doc = xmlReadMemory (xml, (int) strlen (xml), "x.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                                         XML_PARSE_NOWARNING);
  GString *out = g_string_new (NULL);

  g_assert_nonnull (doc);
  structure_of (xmlDocGetRootElement (doc), out);
  xmlFreeDoc (doc);
  return g_string_free (out, FALSE);
}

/* Validates against data/schemas/<name> when another helper has put it there; else skips. */
static void
validate_if_schema (const char *xml, const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("MBMS_SOURCE_DIR"), "data", "schemas", name, NULL);
  xmlSchemaParserCtxt *pctxt;
  xmlSchema *schema;
  xmlSchemaValidCtxt *vctxt;
  xmlDoc *doc;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_message ("%s not there: schema validation skipped", path);
      return;
    }
  pctxt = xmlSchemaNewParserCtxt (path);
  schema = xmlSchemaParse (pctxt);
  g_assert_nonnull (schema);
  vctxt = xmlSchemaNewValidCtxt (schema);
  doc = xmlReadMemory (xml, (int) strlen (xml), "built.xml", NULL, XML_PARSE_NONET);
  g_assert_nonnull (doc);
  g_assert_cmpint (xmlSchemaValidateDoc (vctxt, doc), ==, 0);
  xmlFreeDoc (doc);
  xmlSchemaFreeValidCtxt (vctxt);
  xmlSchemaFree (schema);
  xmlSchemaFreeParserCtxt (pctxt);
}

/* ------------------------------------------------------------ registration, 11.4, 11.5 */

static void
test_registration_examples (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) reg = parse_reg (LAB_KM_REGISTER, example_11_4_2, &error);
  g_auto(GStrv) dereg = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (reg), ==, 1);
  g_assert_cmpstr (reg[0], ==, "urn:3gpp:mbms:example:serivce:identification:123456789abcdef");
  dereg = parse_reg (LAB_KM_DEREGISTER, example_11_5_2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (dereg), ==, 1);
  g_assert_cmpstr (dereg[0], ==, "urn:3gpp:mbms:example:serivce:identification:123456789abcdef");
  /* each document belongs to its own request type */
  assert_reg_refused (LAB_KM_DEREGISTER, example_11_4_2,
                      "expected root mbmsSecurityDeregister in " NS_DEREG " (TS 26.346 11.5.1), got "
                      "mbmsSecurityRegister in " NS_REG);
  assert_reg_refused (LAB_KM_REGISTER, example_11_5_2, "expected root mbmsSecurityRegister in " NS_REG);
}

static void
test_registration_accepted (void)
{
  g_autoptr(GError) error = NULL;
  /* several IDs in order, whitespace collapsed (xs:anyURI), a prefix, comments, a PI, foreign
   * attributes on the root (xs:anyAttribute), xsi on serviceID, foreign elements after the
   * serviceIDs (xs:any ##other, lax: not looked into); xmllint finds it valid against the
   * 11.4.1 schema */
  g_auto(GStrv) ids = parse_reg (LAB_KM_REGISTER,
                                 "<r:mbmsSecurityRegister xmlns:r=\"" NS_REG "\" xmlns:x=\"urn:example:x\" x:a=\"1\" b=\"2\">"
                                 "<!-- c --><?pi x?>"
                                 "<r:serviceID>\n  urn:a  </r:serviceID>"
                                 "<r:serviceID xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                                 "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
                                 "xsi:type=\"xs:anyURI\">urn:b&amp;c</r:serviceID>"
                                 "<x:extra><r:serviceID>ignored</r:serviceID><anything/></x:extra>"
                                 "</r:mbmsSecurityRegister>", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (ids), ==, 2);
  g_assert_cmpstr (ids[0], ==, "urn:a");
  g_assert_cmpstr (ids[1], ==, "urn:b&c");
}

static void
test_registration_refused (void)
{
  /* the old lab dialect */
  assert_reg_refused (LAB_KM_REGISTER,
                      "<mbmsRegister xmlns=\"urn:3GPP:metadata:2005:MBMS:mbmsRegister\"><serviceId>x</serviceId>"
                      "</mbmsRegister>",
                      "expected root mbmsSecurityRegister in " NS_REG " (TS 26.346 11.4.1), got mbmsRegister in "
                      "urn:3GPP:metadata:2005:MBMS:mbmsRegister");
  assert_reg_refused (LAB_KM_DEREGISTER,
                      "<mbmsDeregister xmlns=\"urn:3GPP:metadata:2005:MBMS:mbmsDeregister\"><serviceId>x</serviceId>"
                      "</mbmsDeregister>",
                      "got mbmsDeregister in urn:3GPP:metadata:2005:MBMS:mbmsDeregister");
  /* the right names in the wrong namespace, or in none */
  assert_reg_refused (LAB_KM_REGISTER, "<mbmsSecurityRegister><serviceID>x</serviceID></mbmsSecurityRegister>",
                      "got mbmsSecurityRegister in no namespace");
  assert_reg_refused (LAB_KM_REGISTER,
                      "<mbmsSecurityRegister xmlns=\"urn:3GPP:metadata:2005:MBMS:securityregistration\">"
                      "<serviceID>x</serviceID></mbmsSecurityRegister>",
                      "in urn:3GPP:metadata:2005:MBMS:securityregistration");
  /* elementFormDefault qualified: an unqualified child is neither serviceID nor ##other */
  assert_reg_refused (LAB_KM_REGISTER,
                      "<r:mbmsSecurityRegister xmlns:r=\"" NS_REG "\"><serviceID>x</serviceID></r:mbmsSecurityRegister>",
                      "element serviceID in no namespace; mbmsSecurityRegister's children are in " NS_REG);
  /* the old element name in the right namespace */
  assert_reg_refused (LAB_KM_REGISTER,
                      "<mbmsSecurityRegister xmlns=\"" NS_REG "\"><serviceId>x</serviceId></mbmsSecurityRegister>",
                      "unexpected element serviceId in mbmsSecurityRegister");
  assert_reg_refused (LAB_KM_REGISTER,
                      "<mbmsSecurityRegister xmlns=\"" NS_REG "\"><serviceID>x</serviceID><extra/></mbmsSecurityRegister>",
                      "unexpected element extra in mbmsSecurityRegister");
  /* counts and contents */
  assert_reg_refused (LAB_KM_REGISTER, "<mbmsSecurityRegister xmlns=\"" NS_REG "\"/>",
                      "no serviceID in mbmsSecurityRegister; TS 26.346 11.4.1 requires at least one");
  assert_reg_refused (LAB_KM_REGISTER,
                      "<mbmsSecurityRegister xmlns=\"" NS_REG "\">stray text only</mbmsSecurityRegister>",
                      "no serviceID");
  assert_reg_refused (LAB_KM_REGISTER,
                      "<mbmsSecurityRegister xmlns=\"" NS_REG "\"><serviceID>a</serviceID><serviceID> \n </serviceID>"
                      "</mbmsSecurityRegister>",
                      "serviceID 2 is empty");
  assert_reg_refused (LAB_KM_REGISTER,
                      "<mbmsSecurityRegister xmlns=\"" NS_REG "\"><serviceID><b>x</b></serviceID></mbmsSecurityRegister>",
                      "serviceID 1 contains element b");
  assert_reg_refused (LAB_KM_REGISTER,
                      "<mbmsSecurityRegister xmlns=\"" NS_REG "\"><serviceID id=\"1\">x</serviceID></mbmsSecurityRegister>",
                      "serviceID 1 has attribute id");
  /* the sequence is serviceID+ then xs:any ##other */
  assert_reg_refused (LAB_KM_REGISTER,
                      "<mbmsSecurityRegister xmlns=\"" NS_REG "\" xmlns:x=\"urn:x\"><x:e/><serviceID>x</serviceID>"
                      "</mbmsSecurityRegister>",
                      "serviceID after an element of another namespace");
  /* not XML, or XML with a DTD */
  assert_reg_refused (LAB_KM_REGISTER, "<mbmsSecurityRegister xmlns=\"" NS_REG "\"><serviceID>x</serviceID>",
                      "not well-formed XML (line 1");
  assert_reg_refused (LAB_KM_REGISTER, "serviceID=x", "not well-formed XML");
  assert_reg_refused (LAB_KM_REGISTER, "", "empty body");
  assert_reg_refused (LAB_KM_REGISTER,
                      "<r:mbmsSecurityRegister><r:serviceID>x</r:serviceID></r:mbmsSecurityRegister>",
                      "not well-formed XML"); /* undeclared prefix */
  assert_reg_refused (LAB_KM_REGISTER,
                      "<!DOCTYPE mbmsSecurityRegister [<!ENTITY e \"urn:x\">]>"
                      "<mbmsSecurityRegister xmlns=\"" NS_REG "\"><serviceID>&e;</serviceID></mbmsSecurityRegister>",
                      "a DTD is not allowed");
}

/* ------------------------------------------------------------ MSK request, 11.6 */

static void
test_msk_example (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) msks = lab_km_parse_msk_request (example_11_6_2, strlen (example_11_6_2), &error);
  const LabKmMsk *m;

  g_assert_no_error (error);
  g_assert_cmpuint (msks->len, ==, 1);
  m = &g_array_index (msks, LabKmMsk, 0);
  /* "uHCd" = b8 70 9d, "aMkAAA==" = 68 c9 00 00: Key Group 0x68c9, Key Number 0 (current) */
  g_assert_cmpmem (m->key_domain_id, 3, "\xb8\x70\x9d", 3);
  g_assert_cmphex (m->msk_id, ==, 0x68c90000);
}

static void
test_msk_accepted (void)
{
  g_autoptr(GError) error = NULL;
  /* two pairs, base64 with spaces and line breaks (the lexical space allows them), xsi and a
   * foreign attribute on the root (xs:anyAttribute), stray text and comments */
  const char *body = "<m:mbmsMSKRequest xmlns:m=\"" NS_MSK "\" xmlns:o=\"urn:o\" o:x=\"1\">text"
                     "<m:MSK><!-- first --><m:keyDomainID> APEQ </m:keyDomainID>\n<m:MSKID>AAEA\nAQ==</m:MSKID></m:MSK>"
                     "<m:MSK><m:keyDomainID>uHCd</m:keyDomainID><m:MSKID>JMtE AA==</m:MSKID></m:MSK>"
                     "</m:mbmsMSKRequest>";
  g_autoptr(GArray) msks = lab_km_parse_msk_request (body, strlen (body), &error);

  g_assert_no_error (error);
  g_assert_cmpuint (msks->len, ==, 2);
  g_assert_cmpmem (g_array_index (msks, LabKmMsk, 0).key_domain_id, 3, "\x00\xf1\x10", 3);
  g_assert_cmphex (g_array_index (msks, LabKmMsk, 0).msk_id, ==, 0x00010001);
  g_assert_cmphex (g_array_index (msks, LabKmMsk, 1).msk_id, ==, 0x24cb4400);
}

static void
test_msk_refused (void)
{
  g_autofree char *hex_domain = msk_request ("<keyDomainID>00f110</keyDomainID><MSKID>AAEAAA==</MSKID>");
  g_autofree char *hex_msk_id = msk_request ("<keyDomainID>APEQ</keyDomainID><MSKID>00010000</MSKID>");
  g_autofree char *long_domain = msk_request ("<keyDomainID>APEQAA==</keyDomainID><MSKID>AAEAAA==</MSKID>");
  g_autofree char *bad_chars = msk_request ("<keyDomainID>AP-Q</keyDomainID><MSKID>AAEAAA==</MSKID>");
  g_autofree char *pad_bits = msk_request ("<keyDomainID>APEQ</keyDomainID><MSKID>AAEAAB==</MSKID>");
  g_autofree char *inner_pad = msk_request ("<keyDomainID>AP=Q</keyDomainID><MSKID>AAEAAA==</MSKID>");
  g_autofree char *no_msk_id = msk_request ("<keyDomainID>APEQ</keyDomainID>");
  g_autofree char *no_domain = msk_request ("<MSKID>AAEAAA==</MSKID>");
  g_autofree char *swapped = msk_request ("<MSKID>AAEAAA==</MSKID><keyDomainID>APEQ</keyDomainID>");
  g_autofree char *twice = msk_request ("<keyDomainID>APEQ</keyDomainID><MSKID>AAEAAA==</MSKID><MSKID>AAEAAA==</MSKID>");
  g_autofree char *empty_id = msk_request ("<keyDomainID>APEQ</keyDomainID><MSKID/>");
  g_autofree char *foreign = msk_request ("<keyDomainID>APEQ</keyDomainID><MSKID>AAEAAA==</MSKID><x:e xmlns:x=\"urn:x\"/>");
  g_autofree char *unqualified = msk_request ("<keyDomainID xmlns=\"\">APEQ</keyDomainID><MSKID>AAEAAA==</MSKID>");

  /* the old lab dialect */
  assert_msk_refused ("<mskRequest><key><keyDomainID>00f110</keyDomainID><MSKID>00010000</MSKID></key></mskRequest>",
                      "expected root mbmsMSKRequest in " NS_MSK " (TS 26.346 11.6.1), got mskRequest in no namespace");
  assert_msk_refused ("<mbmsMSKRequest xmlns=\"" NS_MSK "\"><key><keyDomainID>APEQ</keyDomainID><MSKID>AAEAAA==</MSKID>"
                      "</key></mbmsMSKRequest>",
                      "unexpected element key in mbmsMSKRequest; TS 26.346 11.6.1 allows only MSK");
  /* hex where base64 is due */
  assert_msk_refused (hex_domain, "MSK 1 keyDomainID \"00f110\" is not xs:base64Binary: its length is not a multiple of 4");
  assert_msk_refused (hex_msk_id, "MSK 1 MSKID decodes to 6 octets, not 4 (MSKIDType has length 4)");
  assert_msk_refused (long_domain, "MSK 1 keyDomainID decodes to 4 octets, not 3 (Key Domain ID = MCC || MNC");
  assert_msk_refused (bad_chars, "outside the base64 alphabet");
  assert_msk_refused (pad_bits, "non-zero bits before \"==\"");
  assert_msk_refused (inner_pad, "'=' before the end");
  assert_msk_refused (empty_id, "MSK 1 MSKID decodes to 0 octets");
  /* MSKType is keyDomainID then MSKID, once each, nothing else */
  assert_msk_refused (no_msk_id, "MSK 1: MSKID missing");
  assert_msk_refused (no_domain, "MSK 1: expected keyDomainID, got MSKID");
  assert_msk_refused (swapped, "MSK 1: expected keyDomainID, got MSKID");
  assert_msk_refused (twice, "MSK 1: unexpected element MSKID after MSKID");
  assert_msk_refused (foreign, "MSK 1: unexpected element e in urn:x after MSKID");
  assert_msk_refused (unqualified, "MSK 1: expected keyDomainID, got keyDomainID in no namespace");
  assert_msk_refused ("<mbmsMSKRequest xmlns=\"" NS_MSK "\"><MSK a=\"1\"><keyDomainID>APEQ</keyDomainID>"
                      "<MSKID>AAEAAA==</MSKID></MSK></mbmsMSKRequest>",
                      "MSK 1 has attribute a");
  /* mbmsMSKRequest has no xs:any: even a foreign element is refused */
  assert_msk_refused ("<mbmsMSKRequest xmlns=\"" NS_MSK "\" xmlns:x=\"urn:x\"><MSK><keyDomainID>APEQ</keyDomainID>"
                      "<MSKID>AAEAAA==</MSKID></MSK><x:e/></mbmsMSKRequest>",
                      "unexpected element e in urn:x in mbmsMSKRequest");
  assert_msk_refused ("<mbmsMSKRequest xmlns=\"" NS_MSK "\"/>", "no MSK in mbmsMSKRequest");
  assert_msk_refused ("<mbmsMSKRequest xmlns=\"" NS_MSK "\"><MSK><keyDomainID>APEQ</keyDomainID><MSKID>AAEAAA==</MSKID>"
                      "</MSK><MSK><keyDomainID>APEQ</keyDomainID></MSK></mbmsMSKRequest>",
                      "MSK 2: MSKID missing");
  /* a registration document is not an MSK request */
  assert_msk_refused (example_11_4_2, "got mbmsSecurityRegister in " NS_REG);
}

/* ------------------------------------------------------------ media types and URIs */

static void
test_request_types_and_media (void)
{
  static const struct {
    const char *requesttype, *request, *response;
  } spec[] = {
    /* TS 33.246 G.2.1-G.2.3, TS 26.346 C.8-C.10, C.12, C.13 */
    { "register", "application/mbms-register+xml", "application/mbms-register-response+xml" },
    { "deregister", "application/mbms-deregister+xml", "application/mbms-register-response+xml" },
    { "msk-request", "application/mbms-msk+xml", "application/mbms-msk-response+xml" },
  };
  g_autoptr(GError) error = NULL;
  LabKmRequestType type;

  for (guint i = 0; i < G_N_ELEMENTS (spec); i++)
    {
      g_autofree char *upper = g_ascii_strup (spec[i].request, -1);
      g_autofree char *with_charset = g_strdup_printf ("%s; charset=\"UTF-8\"", spec[i].request);
      g_autofree char *with_other = g_strdup_printf ("%s;version=2", spec[i].request);

      g_assert_true (lab_km_request_type_parse (spec[i].requesttype, &type));
      g_assert_cmpstr (lab_km_request_type_name (type), ==, spec[i].requesttype);
      g_assert_cmpstr (lab_km_request_media_type (type), ==, spec[i].request);
      g_assert_cmpstr (lab_km_response_media_type (type), ==, spec[i].response);
      g_assert_true (lab_km_check_content_type (type, spec[i].request, &error));
      g_assert_true (lab_km_check_content_type (type, upper, &error));
      g_assert_true (lab_km_check_content_type (type, with_charset, &error));
      g_assert_no_error (error);
      g_assert_false (lab_km_check_content_type (type, with_other, &error));
      g_assert_nonnull (strstr (error->message, "takes none but charset"));
      g_clear_error (&error);
      g_assert_false (lab_km_check_content_type (type, NULL, &error));
      g_assert_nonnull (strstr (error->message, spec[i].request));
      g_clear_error (&error);
      g_assert_false (lab_km_check_content_type (type, "application/xml", &error));
      g_assert_nonnull (strstr (error->message, spec[i].request));
      g_clear_error (&error);
    }
  g_assert_false (lab_km_request_type_parse ("msk", &type));
  g_assert_false (lab_km_request_type_parse (" register", &type));
  g_assert_false (lab_km_request_type_parse ("Register", &type));
  g_assert_false (lab_km_request_type_parse (NULL, &type));
  /* the register type on a deregistration, the request type for a response */
  g_assert_false (lab_km_check_content_type (LAB_KM_DEREGISTER, "application/mbms-register+xml", &error));
  g_assert_cmpstr (error->message, ==, "Content-Type application/mbms-register+xml; a deregister request is "
                   "application/mbms-deregister+xml (TS 26.346 C.10, TS 33.246 G.2.2)");
  g_clear_error (&error);
  g_assert_false (lab_km_check_content_type (LAB_KM_MSK, "application/mbms-msk-response+xml", &error));
  g_clear_error (&error);
  g_assert_cmpstr (LAB_KM_PATH, ==, "/keymanagement");
}

/* ------------------------------------------------------------ responses, 11.7, 11.8 */

static void
test_response_codes (void)
{
  static const struct {
    guint code;
    const char *text;
  } codes[] = {
    { 200, "200 OK" }, { 400, "400 Bad Request" }, { 401, "401 Unauthorized" }, { 403, "403 Forbidden" },
    { 404, "404 Not Found" }, { 501, "501 Not Implemented" }, { 503, "503 Service Unavailable" },
    { 299, "299 OK" }, { 499, "499 Bad Request" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autofree char *text = lab_km_response_code (codes[i].code);
      g_assert_cmpstr (text, ==, codes[i].text);
    }
}

static void
test_registration_response (void)
{
  const char *const ids[] = { "urn:3gpp:mbms:example:service:identification:123456789abcdef",
                              "urn:3gpp:mbms:example:service:identification:fedcba987654321" };
  const guint ok[] = { 200, 200 };
  const char *const odd[] = { "urn:a&b<c>" };
  const guint forbidden[] = { 403 };
  g_autofree char *built = lab_km_build_registration_response (ids, ok, 2);
  g_autofree char *got = structure (built);
  g_autofree char *want = structure (example_11_7_2);
  g_autofree char *escaped = lab_km_build_registration_response (odd, forbidden, 1);
  g_autofree char *escaped_structure = structure (escaped);

  /* the same elements, namespaces, order and texts as 11.7.2 */
  g_assert_cmpstr (got, ==, want);
  g_assert_true (g_str_has_prefix (want, "{urn:3GPP:metadata:2005:MBMS:securityRegistrationResponse}"
                                         "mbmsSecurityRegisterResponse({urn:3GPP:metadata:2005:MBMS:"
                                         "securityRegistrationResponse}Response("));
  g_assert_true (g_str_has_prefix (built, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
  g_assert_cmpstr (escaped_structure, ==, "{urn:3GPP:metadata:2005:MBMS:securityRegistrationResponse}"
                                          "mbmsSecurityRegisterResponse({urn:3GPP:metadata:2005:MBMS:"
                                          "securityRegistrationResponse}Response({urn:3GPP:metadata:2005:MBMS:"
                                          "securityRegistrationResponse}serviceID=urn:a&b<c> "
                                          "{urn:3GPP:metadata:2005:MBMS:securityRegistrationResponse}"
                                          "ResponseCode=403 Forbidden ) )");
  validate_if_schema (built, "securityRegistrationResponse.xsd");
  validate_if_schema (escaped, "securityRegistrationResponse.xsd");
}

static void
test_msk_response (void)
{
  LabKmMsk msks[2] = { { { 0xb8, 0x70, 0x9d }, 0x68c90000 }, { { 0xb8, 0x70, 0x9d }, 0x24cb4400 } };
  const guint ok[] = { 200, 200 };
  const guint mixed[] = { 404, 403 };
  g_autofree char *built = lab_km_build_msk_response (msks, ok, 2);
  g_autofree char *got = structure (built);
  g_autofree char *want = structure (example_11_8_2);
  g_autofree char *refusals = lab_km_build_msk_response (msks, mixed, 2);
  g_autoptr(GError) error = NULL;

  /* 11.8.2: base64 "uHCd", "aMkAAA==", "JMtEAA==" and "200 OK", in the same structure */
  g_assert_cmpstr (got, ==, want);
  g_assert_nonnull (strstr (refusals, "<ResponseCode>404 Not Found</ResponseCode>"));
  g_assert_nonnull (strstr (refusals, "<ResponseCode>403 Forbidden</ResponseCode>"));
  validate_if_schema (built, "mskResponse.xsd");
  validate_if_schema (refusals, "mskResponse.xsd");
  /* the MSK IDs read back from a request give the same text */
  {
    g_autoptr(GArray) again = lab_km_parse_msk_request (example_11_6_2, strlen (example_11_6_2), &error);
    g_autofree char *one = lab_km_build_msk_response ((const LabKmMsk *) (void *) again->data, ok, 1);
    g_assert_no_error (error);
    g_assert_nonnull (strstr (one, "<keyDomainID>uHCd</keyDomainID>"));
    g_assert_nonnull (strstr (one, "<MSKID>aMkAAA==</MSKID>"));
  }
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/lab/bmsc-bodies/registration/examples", test_registration_examples);
  g_test_add_func ("/lab/bmsc-bodies/registration/accepted", test_registration_accepted);
  g_test_add_func ("/lab/bmsc-bodies/registration/refused", test_registration_refused);
  g_test_add_func ("/lab/bmsc-bodies/msk-request/example", test_msk_example);
  g_test_add_func ("/lab/bmsc-bodies/msk-request/accepted", test_msk_accepted);
  g_test_add_func ("/lab/bmsc-bodies/msk-request/refused", test_msk_refused);
  g_test_add_func ("/lab/bmsc-bodies/request-types-and-media", test_request_types_and_media);
  g_test_add_func ("/lab/bmsc-bodies/response-codes", test_response_codes);
  g_test_add_func ("/lab/bmsc-bodies/registration-response", test_registration_response);
  g_test_add_func ("/lab/bmsc-bodies/msk-response", test_msk_response);
  return g_test_run ();
}
