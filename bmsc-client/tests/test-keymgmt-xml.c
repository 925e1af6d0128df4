/* The key management bodies (TS 33.246 G.2.1-G.2.3) and the per-item response reader
 * (6.3.2.4), including responses that list fewer items than were asked for. */
#include "mbms-keymgmt-xml.h"
#include "test-util.h"

#include <string.h>

static void
test_register_body (void)
{
  const char *ids[] = { "urn:a", "urn:b&c", NULL };
  g_autoptr(GBytes) reg = mbms_keymgmt_build_register (ids, FALSE);
  g_autoptr(GBytes) dereg = mbms_keymgmt_build_register (ids, TRUE);
  const char *r = g_bytes_get_data (reg, NULL);
  const char *d = g_bytes_get_data (dereg, NULL);

  g_assert_nonnull (strstr (r, "<mbmsRegister xmlns=\"urn:3GPP:metadata:2005:MBMS:mbmsRegister\">"));
  g_assert_nonnull (strstr (r, "<serviceId>urn:a</serviceId>"));
  g_assert_nonnull (strstr (r, "<serviceId>urn:b&amp;c</serviceId>"));
  g_assert_nonnull (strstr (d, "<mbmsDeregister"));
}

static void
test_msk_request_body (void)
{
  MbmsMskRef refs[] = { { { 0x00, 0xf1, 0x10 }, 0x00010000 }, { { 0x12, 0x34, 0x56 }, 0xabcd0002 } };
  g_autoptr(GBytes) body = mbms_keymgmt_build_msk_request (refs, 2);
  const char *b = g_bytes_get_data (body, NULL);
  g_autofree char *item = mbms_msk_ref_to_item (&refs[1]);

  g_assert_nonnull (strstr (b, "<mskRequest xmlns=\"urn:3GPP:metadata:2005:MBMS:mskRequest\">"));
  g_assert_nonnull (strstr (b, "<keyDomainID>00f110</keyDomainID><MSKID>00010000</MSKID>"));
  g_assert_nonnull (strstr (b, "<keyDomainID>123456</keyDomainID><MSKID>abcd0002</MSKID>"));
  g_assert_cmpstr (item, ==, "123456/abcd0002");
}

static GArray *
parse (const char *xml, GError **error)
{
  return mbms_keymgmt_parse_response (xml, strlen (xml), error);
}

static void
test_response_forms (void)
{
  g_autoptr(GError) error = NULL;
  /* status as attribute-keyed element, as nested element, with a code attribute */
  g_autoptr(GArray) a = parse ("<r:mbmsRegisterResponse xmlns:r=\"urn:x\"><r:status serviceId=\"urn:a\">200</r:status>"
                               "<serviceResult><serviceId>urn:b</serviceId><statusCode code=\"403\"/></serviceResult>"
                               "</r:mbmsRegisterResponse>", &error);
  g_autoptr(GArray) m = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (a->len, ==, 2);
  g_assert_cmpstr (g_array_index (a, MbmsItemStatus, 0).item, ==, "urn:a");
  g_assert_cmpuint (g_array_index (a, MbmsItemStatus, 0).status, ==, 200);
  g_assert_cmpstr (g_array_index (a, MbmsItemStatus, 1).item, ==, "urn:b");
  g_assert_cmpuint (g_array_index (a, MbmsItemStatus, 1).status, ==, 403);
  m = parse ("<mskResponse xmlns=\"urn:3GPP:metadata:2005:MBMS:mskResponse\"><key><keyDomainID>00F110</keyDomainID>"
             "<MSKID>00010000</MSKID><status>200</status></key></mskResponse>", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_array_index (m, MbmsItemStatus, 0).item, ==, "00f110/00010000");
}

/* 6.3.2.4: fewer items than requested is allowed; the UE handles what is there. */
static void
test_response_fewer_items (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) a = parse ("<mbmsRegisterResponse/>", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (a->len, ==, 0);
}

static void
test_response_errors (void)
{
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;
  g_autoptr(GError) e3 = NULL;
  g_autoptr(GError) e4 = NULL;

  g_assert_null (parse ("<r><status serviceId=\"x\">OK</status></r>", &e1));
  g_assert_nonnull (strstr (e1->message, "<status>"));
  g_assert_null (parse ("<r><status>200</status></r>", &e2));
  g_assert_nonnull (strstr (e2->message, "no serviceId"));
  g_assert_null (parse ("<r><status serviceId=\"x\">", &e3));
  g_assert_null (parse ("<!DOCTYPE r [<!ENTITY a \"b\">]><r/>", &e4));
  g_assert_nonnull (e4);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/daemon/keymgmt-xml/register-and-deregister-bodies", test_register_body);
  g_test_add_func ("/daemon/keymgmt-xml/msk-request-body", test_msk_request_body);
  g_test_add_func ("/daemon/keymgmt-xml/response-forms", test_response_forms);
  g_test_add_func ("/daemon/keymgmt-xml/response-with-fewer-items", test_response_fewer_items);
  g_test_add_func ("/daemon/keymgmt-xml/response-errors", test_response_errors);
  return g_test_run ();
}
