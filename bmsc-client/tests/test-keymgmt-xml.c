/* The key management bodies as TS 26.346 11.4-11.8 write them, and the per-item response
 * reader (TS 33.246 6.3.2.4): the specification's own example responses (tests/data/
 * spec-examples), responses listing fewer items, items that cannot be read beside items that
 * can, and codes attributed to the item they name, never by position. */
#include "mbms-keymgmt-xml.h"
#include "test-util.h"

#include <string.h>

#define NS_REGISTER_RESPONSE "urn:3GPP:metadata:2005:MBMS:securityRegistrationResponse"
#define NS_MSK_RESPONSE      "urn:3GPP:metadata:2005:MBMS:mskResponse"

static void
test_register_body (void)
{
  const char *ids[] = { "urn:a", "urn:b&c", NULL };
  g_autoptr(GBytes) reg = mbms_keymgmt_build_register (ids, FALSE);
  g_autoptr(GBytes) dereg = mbms_keymgmt_build_register (ids, TRUE);
  const char *r = g_bytes_get_data (reg, NULL);
  const char *d = g_bytes_get_data (dereg, NULL);

  g_assert_nonnull (strstr (r, "<mbmsSecurityRegister xmlns=\"urn:3GPP:metadata:2005:MBMS:securityRegistration\">"));
  g_assert_nonnull (strstr (r, "<serviceID>urn:a</serviceID>"));
  g_assert_nonnull (strstr (r, "<serviceID>urn:b&amp;c</serviceID>"));
  g_assert_nonnull (strstr (d, "<mbmsSecurityDeregister xmlns=\"urn:3GPP:metadata:2005:MBMS:securityDeregistration\">"));
  g_assert_null (strstr (r, "serviceId"));
}

/* 11.6: keyDomainID and MSKID in base64; the 11.6.2 example's IDs come out as printed. */
static void
test_msk_request_body (void)
{
  MbmsMskRef refs[] = { { { 0xb8, 0x70, 0x9d }, 0x68c90000 }, { { 0x00, 0xf1, 0x10 }, 0x00010000 } };
  g_autoptr(GBytes) body = mbms_keymgmt_build_msk_request (refs, 2);
  const char *b = g_bytes_get_data (body, NULL);

  g_assert_nonnull (strstr (b, "<mbmsMSKRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\">"));
  g_assert_nonnull (strstr (b, "<MSK><keyDomainID>uHCd</keyDomainID><MSKID>aMkAAA==</MSKID></MSK>"));
  g_assert_nonnull (strstr (b, "<MSK><keyDomainID>APEQ</keyDomainID><MSKID>AAEAAA==</MSKID></MSK>"));
}

static GArray *
parse (const char *xml, gboolean msk, GError **error)
{
  return mbms_keymgmt_parse_response (xml, strlen (xml), msk, error);
}

/* 11.7.2 as printed (stray text after the start tag included): two services, 200 OK each. */
static void
test_spec_register_response (void)
{
  g_autofree char *xml = test_spec_example ("11.7.2-register-response.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) items = parse (xml, FALSE, &error);
  const MbmsItemStatus *a, *b;

  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 2);
  a = mbms_keymgmt_item_for_service (items, "urn:3gpp:mbms:example:service:identification:123456789abcdef");
  b = mbms_keymgmt_item_for_service (items, "urn:3gpp:mbms:example:service:identification:fedcba987654321");
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpuint (a->status, ==, 200);
  g_assert_cmpstr (a->response_code, ==, "200 OK");
  g_assert_null (a->problem);
  g_assert_cmpuint (b->status, ==, 200);
  g_assert_null (mbms_keymgmt_item_for_service (items, "urn:other"));
}

/* 11.8.2 as printed: two MSKs of key domain "uHCd", compared as binary IDs. */
static void
test_spec_msk_response (void)
{
  g_autofree char *xml = test_spec_example ("11.8.2-msk-response.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) items = parse (xml, TRUE, &error);
  MbmsMskRef first = { { 0xb8, 0x70, 0x9d }, 0x68c90000 };  /* uHCd / aMkAAA== */
  MbmsMskRef second = { { 0xb8, 0x70, 0x9d }, 0x24cb4400 }; /* uHCd / JMtEAA== */
  MbmsMskRef other = { { 0xb8, 0x70, 0x9e }, 0x68c90000 };

  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 2);
  g_assert_cmpuint (mbms_keymgmt_item_for_msk (items, &first)->status, ==, 200);
  g_assert_cmpuint (mbms_keymgmt_item_for_msk (items, &second)->status, ==, 200);
  g_assert_null (mbms_keymgmt_item_for_msk (items, &other));
}

/* A code belongs to the item that names it, whatever the order; unreadable items are kept
 * with their problem and do not take the others down (6.3.2.4). */
static void
test_items_by_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) items = parse (
    "<mbmsSecurityRegisterResponse xmlns=\"" NS_REGISTER_RESPONSE "\" xmlns:o=\"urn:other\">"
    "<Response><serviceID>urn:b</serviceID><ResponseCode>403 Forbidden</ResponseCode><o:why>x</o:why></Response>"
    "<Response><ResponseCode>200 OK</ResponseCode></Response>"
    "<o:note/>stray"
    "<Response><serviceID>urn:c</serviceID><ResponseCode>OK</ResponseCode></Response>"
    "<Response><serviceID>urn:d</serviceID></Response>"
    "<Response><serviceID> urn:a </serviceID><ResponseCode> 200</ResponseCode></Response>"
    "</mbmsSecurityRegisterResponse>", FALSE, &error);
  const MbmsItemStatus *s;

  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 5);
  g_assert_cmpuint (mbms_keymgmt_item_for_service (items, "urn:a")->status, ==, 200);
  g_assert_cmpuint (mbms_keymgmt_item_for_service (items, "urn:b")->status, ==, 403);
  s = mbms_keymgmt_item_for_service (items, "urn:c");
  g_assert_cmpuint (s->status, ==, 0);
  g_assert_nonnull (strstr (s->problem, "has no status code"));
  s = mbms_keymgmt_item_for_service (items, "urn:d");
  g_assert_cmpuint (s->status, ==, 0);
  g_assert_nonnull (strstr (s->problem, "no <ResponseCode>"));
  s = &g_array_index (items, MbmsItemStatus, 1);
  g_assert_null (s->service_id);
  g_assert_nonnull (strstr (s->problem, "no <serviceID>"));
  /* a bad MSK item beside a good one */
  g_clear_pointer (&items, g_array_unref);
  items = parse ("<mbmsMSKResponse xmlns=\"" NS_MSK_RESPONSE "\">"
                 "<Response><MSK><keyDomainID>00f110</keyDomainID><MSKID>00010000</MSKID></MSK>"
                 "<ResponseCode>200 OK</ResponseCode></Response>"
                 "<Response><MSK><keyDomainID>APEQ</keyDomainID><MSKID>AAEAAA==</MSKID></MSK>"
                 "<ResponseCode>404 Not Found</ResponseCode></Response></mbmsMSKResponse>", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 2);
  g_assert_false (g_array_index (items, MbmsItemStatus, 0).has_msk);
  g_assert_nonnull (strstr (g_array_index (items, MbmsItemStatus, 0).problem, "not 3 octets in base64"));
  {
    MbmsMskRef ref = { { 0x00, 0xf1, 0x10 }, 0x00010000 };
    g_assert_cmpuint (mbms_keymgmt_item_for_msk (items, &ref)->status, ==, 404);
  }
}

/* 6.3.2.4: fewer items than requested is allowed; the UE handles what is there. */
static void
test_response_fewer_items (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) a = parse ("<mbmsSecurityRegisterResponse xmlns=\"" NS_REGISTER_RESPONSE "\"/>", FALSE, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (a->len, ==, 0);
  g_assert_null (mbms_keymgmt_item_for_service (a, "urn:a"));
}

static void
assert_refused (const char *xml, gboolean msk, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) items = parse (xml, msk, &error);

  g_assert_null (items);
  g_assert_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_PARSE);
  if (strstr (error->message, fragment) == NULL)
    g_error ("\"%s\" does not mention \"%s\"", error->message, fragment);
}

static void
test_response_errors (void)
{
  /* the invented dialect of before, a response of the other kind, no namespace */
  assert_refused ("<mbmsRegisterResponse xmlns=\"urn:3GPP:metadata:2005:MBMS:mbmsRegisterResponse\">"
                  "<status serviceId=\"x\">200</status></mbmsRegisterResponse>", FALSE,
                  "expected <mbmsSecurityRegisterResponse> in " NS_REGISTER_RESPONSE);
  assert_refused ("<mbmsMSKResponse xmlns=\"" NS_MSK_RESPONSE "\"/>", FALSE, "expected <mbmsSecurityRegisterResponse>");
  assert_refused ("<mbmsSecurityRegisterResponse xmlns=\"" NS_REGISTER_RESPONSE "\"/>", TRUE, "expected <mbmsMSKResponse>");
  assert_refused ("<mbmsMSKResponse/>", TRUE, "expected <mbmsMSKResponse> in");
  assert_refused ("<r><Response>", FALSE, "not well-formed");
  assert_refused ("<!DOCTYPE r [<!ENTITY a \"b\">]><r/>", FALSE, "without a DTD");
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/bmsc-client/keymgmt-xml/register-and-deregister-bodies", test_register_body);
  g_test_add_func ("/bmsc-client/keymgmt-xml/msk-request-body-base64", test_msk_request_body);
  g_test_add_func ("/bmsc-client/keymgmt-xml/spec-11.7.2-register-response", test_spec_register_response);
  g_test_add_func ("/bmsc-client/keymgmt-xml/spec-11.8.2-msk-response", test_spec_msk_response);
  g_test_add_func ("/bmsc-client/keymgmt-xml/items-by-name-unreadable-kept", test_items_by_name);
  g_test_add_func ("/bmsc-client/keymgmt-xml/response-with-fewer-items", test_response_fewer_items);
  g_test_add_func ("/bmsc-client/keymgmt-xml/response-errors", test_response_errors);
  return g_test_run ();
}
