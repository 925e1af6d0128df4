/* The bootstrapping information body, TS 24.109 Annex C: what we accept and what we refuse. */
#include "gba.h"
#include "test-util.h"

#include <string.h>

static GbaBootstrapInfo *
parse (const char *xml, GError **error)
{
  return gba_bootstrap_info_parse (xml, strlen (xml), error);
}

static void
test_annex_c_example (void)
{
  const char *xml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<BootstrappingInfo xmlns=\"uri:3gpp-gba\">\n"
    "  <btid>I1U8vpY3qJ0hiuZNrke/NQ==@bsf.home1.net</btid>\n"
    "  <lifetime>2026-11-24T10:00:00Z</lifetime>\n"
    "</BootstrappingInfo>\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaBootstrapInfo) info = parse (xml, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (info->btid, ==, "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.home1.net");
  g_assert_cmpint (g_date_time_to_unix (info->lifetime), ==, 1795514400);
  g_assert_null (info->current_time);
}

static void
test_extension_currenttime_and_unknown_ignored (void)
{
  const char *xml =
    "<g:BootstrappingInfo xmlns:g=\"uri:3gpp-gba\" xmlns:x=\"urn:example\" x:attr=\"1\">"
    "<x:vendor>ignored</x:vendor>"
    "<g:btid> abc@bsf.example </g:btid><g:lifetime>2026-11-24T12:00:00Z</g:lifetime>"
    "<g:Extension><g:currenttime>2026-11-24T11:00:00Z</g:currenttime><x:more/></g:Extension>"
    "</g:BootstrappingInfo>";
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaBootstrapInfo) info = parse (xml, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (info->btid, ==, "abc@bsf.example");
  g_assert_nonnull (info->current_time);
  g_assert_cmpint (g_date_time_difference (info->lifetime, info->current_time), ==, G_TIME_SPAN_HOUR);
}

static void
test_round_trip (void)
{
  g_autoptr(GDateTime) lifetime = g_date_time_new_utc (2027, 3, 4, 5, 6, 7);
  GbaBootstrapInfo in = { (char *) "x<&>y@bsf", lifetime, NULL };
  g_autofree char *xml = gba_bootstrap_info_to_xml (&in);
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaBootstrapInfo) out = parse (xml, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (out->btid, ==, in.btid);
  g_assert_true (g_date_time_equal (out->lifetime, lifetime));
}

/* found by fuzz-bsf-xml: years below 1000 must keep four digits to parse back */
static void
test_round_trip_small_year (void)
{
  g_autoptr(GDateTime) lifetime = g_date_time_new_utc (794, 11, 24, 10, 0, 0);
  GbaBootstrapInfo in = { (char *) "a@b", lifetime, NULL };
  g_autofree char *xml = gba_bootstrap_info_to_xml (&in);
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaBootstrapInfo) out = parse (xml, &error);

  g_assert_no_error (error);
  g_assert_true (g_date_time_equal (out->lifetime, lifetime));
}

static void
assert_rejected (const char *xml, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaBootstrapInfo) info = parse (xml, &error);

  g_assert_null (info);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_PARSE);
  if (strstr (error->message, fragment) == NULL)
    g_error ("error \"%s\" does not mention \"%s\"", error->message, fragment);
}

static void
test_rejections (void)
{
  assert_rejected ("<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>a@b</btid></BootstrappingInfo>",
                   "<lifetime> is missing");
  assert_rejected ("<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><lifetime>2026-11-24T10:00:00Z</lifetime>"
                   "</BootstrappingInfo>", "<btid>");
  assert_rejected ("<BootstrappingInfo><btid>nobsfname</btid><lifetime>2026-11-24T10:00:00Z</lifetime>"
                   "</BootstrappingInfo>", "<btid> is not of the form");
  assert_rejected ("<BootstrappingInfo><btid>a@b</btid><lifetime>tomorrow</lifetime></BootstrappingInfo>",
                   "not an xs:dateTime");
  assert_rejected ("<BootstrappingInfo><btid>a@b</btid><btid>c@d</btid>"
                   "<lifetime>2026-11-24T10:00:00Z</lifetime></BootstrappingInfo>", "twice");
  assert_rejected ("<Other xmlns=\"uri:3gpp-gba\"/>", "root element is <Other>");
  assert_rejected ("<BootstrappingInfo xmlns=\"urn:wrong\"><btid>a@b</btid>"
                   "<lifetime>2026-11-24T10:00:00Z</lifetime></BootstrappingInfo>", "root element");
  assert_rejected ("<BootstrappingInfo><btid>", "not well-formed");
  assert_rejected ("garbage", "not well-formed");
}

/* No DTDs: neither internal entity expansion (billion laughs) nor external fetches. */
static void
test_hostile_dtd_refused (void)
{
  assert_rejected ("<?xml version=\"1.0\"?><!DOCTYPE b [<!ENTITY a \"aaaaaaaaaa\">"
                   "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                   "<BootstrappingInfo><btid>&b;@x</btid><lifetime>2026-11-24T10:00:00Z</lifetime>"
                   "</BootstrappingInfo>", "document type declaration");
  assert_rejected ("<?xml version=\"1.0\"?><!DOCTYPE b SYSTEM \"http://127.0.0.1:1/x.dtd\">"
                   "<BootstrappingInfo><btid>x@y</btid><lifetime>2026-11-24T10:00:00Z</lifetime>"
                   "</BootstrappingInfo>", "document type declaration");
}

static void
test_size_limit (void)
{
  GString *big = g_string_new ("<BootstrappingInfo><btid>a@b</btid><lifetime>2026-11-24T10:00:00Z</lifetime>");
  g_autoptr(GError) error = NULL;
  GbaBootstrapInfo *info;

  while (big->len < 70 * 1024)
    g_string_append (big, "<pad/>");
  g_string_append (big, "</BootstrappingInfo>");
  info = gba_bootstrap_info_parse (big->str, big->len, &error);
  g_assert_null (info);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_PARSE);
  g_string_free (big, TRUE);
}

/* Issue 14 item 1: each body's error is its own, not the one an earlier parse left behind. */
static void
test_error_is_the_bodys_own (void)
{
  g_autoptr(GError) first = NULL;
  g_autoptr(GError) second = NULL;
  g_autoptr(GbaBootstrapInfo) a = gba_bootstrap_info_parse ("<BootstrappingInfo><btid>x</btid", 31, &first);
  g_autoptr(GbaBootstrapInfo) b = gba_bootstrap_info_parse ("  \n", 3, &second);

  g_assert_null (a);
  g_assert_null (b);
  g_assert_nonnull (first);
  g_assert_nonnull (second);
  g_test_message ("first: %s; second: %s", first->message, second->message);
  g_assert_cmpstr (first->message, !=, second->message);
  g_assert_nonnull (strstr (second->message, "Start tag expected"));
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/gba/bsf-xml/annex-c-example", test_annex_c_example);
  g_test_add_func ("/gba/bsf-xml/extension-currenttime-unknown-ignored", test_extension_currenttime_and_unknown_ignored);
  g_test_add_func ("/gba/bsf-xml/round-trip", test_round_trip);
  g_test_add_func ("/gba/bsf-xml/round-trip-year-below-1000", test_round_trip_small_year);
  g_test_add_func ("/gba/bsf-xml/rejections-name-the-element", test_rejections);
  g_test_add_func ("/gba/bsf-xml/error-is-the-bodys-own", test_error_is_the_bodys_own);
  g_test_add_func ("/gba/bsf-xml/hostile-dtd-refused", test_hostile_dtd_refused);
  g_test_add_func ("/gba/bsf-xml/size-limit", test_size_limit);
  return g_test_run ();
}
