/* User Service Descriptions and protection descriptions (TS 26.346, TS 33.246 6.3.2.1A): the
 * samples in data/examples, the MSK-to-session map, and hostile or broken input refused with
 * an error that names the element. */
#include "mbms-usd.h"
#include "test-util.h"

#include <string.h>

static char *
example (const char *name)
{
  return g_build_filename (g_getenv ("MBMS_SOURCE_DIR"), "data", "examples", name, NULL);
}

static GPtrArray *
parse_example (const char *name)
{
  g_autofree char *path = example (name);
  g_autoptr(GError) error = NULL;
  GPtrArray *services = mbms_usd_parse_file (path, &error);

  g_assert_no_error (error);
  return services;
}

static void
test_streaming_two_sessions (void)
{
  g_autoptr(GPtrArray) services = parse_example ("streaming.usd.xml");
  MbmsUserService *s = g_ptr_array_index (services, 0);
  MbmsRtpSession *video, *audio;
  static const guint8 domain[3] = { 0x00, 0xf1, 0x10 };

  g_assert_cmpuint (services->len, ==, 1);
  g_assert_cmpstr (s->service_id, ==, "urn:mbmsd:lab:service:news");
  g_assert_cmpstr (s->names[0], ==, "Lab News");
  g_assert_true (s->protected);
  g_assert_true (s->streaming);
  g_assert_cmpuint (g_strv_length (s->bmsc_uris), ==, 2);
  g_assert_cmpstr (s->bmsc_uris[0], ==, "http://127.0.0.1:8442");
  g_assert_true (s->has_backoff);
  g_assert_cmpuint (s->offset_time_s, ==, 2);
  g_assert_cmpuint (s->random_period_s, ==, 3);
  g_assert_false (s->uicc_key_management);
  g_assert_false (s->gba_2g_allowed);
  g_assert_cmpuint (s->keys->len, ==, 2);
  g_assert_cmpuint (s->sessions->len, ==, 2);
  video = g_ptr_array_index (s->sessions, 0);
  audio = g_ptr_array_index (s->sessions, 1);
  g_assert_cmpstr (video->media, ==, "video");
  g_assert_cmpstr (video->address, ==, "239.255.42.1");
  g_assert_cmpuint (video->port, ==, 5004);
  g_assert_cmpuint (video->rtcp_port, ==, 5005);
  g_assert_true (video->srtp);
  g_assert_true (video->has_key);
  g_assert_cmpmem (video->key.domain, 3, domain, 3);
  g_assert_cmpuint (video->key.key_group, ==, 1);
  g_assert_cmpstr (audio->address, ==, "239.255.42.2"); /* media-level c= wins */
  g_assert_cmpuint (audio->key.key_group, ==, 2);
  g_assert_nonnull (strstr (video->sdp_media, "a=rtpmap:96 H264/90000"));
  g_assert_null (strstr (video->sdp_media, "m=audio"));
}

static void
test_download (void)
{
  g_autoptr(GPtrArray) services = parse_example ("download.usd.xml");
  MbmsUserService *s = g_ptr_array_index (services, 0);
  MbmsKeyGroup *k;

  g_assert_true (s->protected);
  g_assert_true (s->download);
  g_assert_false (s->streaming);
  g_assert_false (s->has_backoff);
  g_assert_false (s->mikey_fec);
  g_assert_cmpuint (s->keys->len, ==, 1);
  k = &g_array_index (s->keys, MbmsKeyGroup, 0);
  g_assert_cmpuint (k->domain[1], ==, 0xf1); /* base64 "APEQ" */
  g_assert_cmpuint (k->key_group, ==, 3);
}

static void
test_unprotected (void)
{
  g_autoptr(GPtrArray) services = parse_example ("unprotected.usd.xml");
  MbmsUserService *s = g_ptr_array_index (services, 0);

  g_assert_false (s->protected);
  g_assert_null (s->bmsc_uris);
  g_assert_cmpuint (s->keys->len, ==, 0);
  g_assert_cmpuint (s->sessions->len, ==, 1);
  g_assert_false (((MbmsRtpSession *) g_ptr_array_index (s->sessions, 0))->srtp);
}

/* TS 33.246 Annex I: two services, one key group. */
static void
test_shared_key_group (void)
{
  g_autoptr(GPtrArray) services = parse_example ("shared-key.usd.xml");
  MbmsUserService *a = g_ptr_array_index (services, 0);
  MbmsUserService *b = g_ptr_array_index (services, 1);
  MbmsRtpSession *ra = g_ptr_array_index (a->sessions, 0);
  MbmsRtpSession *rb = g_ptr_array_index (b->sessions, 0);

  g_assert_cmpuint (services->len, ==, 2);
  g_assert_cmpstr (b->service_id, ==, "urn:mbmsd:lab:service:sport-mobile");
  g_assert_cmpuint (ra->key.key_group, ==, 7);
  g_assert_cmpuint (rb->key.key_group, ==, 7);
  g_assert_cmpstr (ra->address, !=, rb->address);
}

static GPtrArray *
parse_in_dir (const char *dir, const char *usd, GError **error)
{
  return mbms_usd_parse (usd, strlen (usd), dir, error);
}

static void
write_file (const char *dir, const char *name, const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
}

static void
assert_usd_error (const char *dir, const char *usd, gint code, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) services = parse_in_dir (dir, usd, &error);

  g_test_message ("expecting \"%s\" for %s", fragment, usd);
  g_assert_null (services);
  g_assert_error (error, MBMS_USD_ERROR, code);
  if (strstr (error->message, fragment) == NULL)
    g_error ("\"%s\" does not mention \"%s\"", error->message, fragment);
}

#define USD_WITH(delivery) \
  "<bundleDescription><userServiceDescription serviceId=\"urn:x\">" delivery "</userServiceDescription></bundleDescription>"

static void
test_rejections (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  GString *deep = g_string_new ("<bundleDescription>");

  write_file (dir, "ok.sdp", "v=0\nc=IN IP4 239.1.1.1\nm=video 5000 RTP/SAVP 96\n");
  write_file (dir, "nokm.xml", "<securityDescription><key keyDomainID=\"00f110\" MSKID=\"00010000\"/></securityDescription>");
  write_file (dir, "nokey.xml", "<securityDescription><keyManagement><serverURI>http://b</serverURI></keyManagement>"
                                "</securityDescription>");
  write_file (dir, "badserver.xml", "<securityDescription><keyManagement><serverURI>ftp://b</serverURI></keyManagement>"
                                    "</securityDescription>");
  write_file (dir, "badid.xml", "<securityDescription><keyManagement><serverURI>http://b</serverURI></keyManagement>"
                                "<key keyDomainID=\"00-f1\" MSKID=\"00010000\"/></securityDescription>");
  write_file (dir, "both.xml", "<securityDescription><keyManagement uiccKeyManagement=\"true\" twoGGBAAllowed=\"true\">"
                               "<serverURI>http://b</serverURI></keyManagement>"
                               "<key keyDomainID=\"00f110\" MSKID=\"00010000\"/></securityDescription>");
  write_file (dir, "nomap.xml", "<securityDescription><keyManagement><serverURI>http://b</serverURI></keyManagement>"
                                "<key keyDomainID=\"00f110\" MSKID=\"00010000\"><session destination=\"1.2.3.4\" "
                                "port=\"9\"/></key></securityDescription>");
  write_file (dir, "bad.sdp", "v=0\nm=video 5000 RTP/SAVP 96\n");

  assert_usd_error (dir, "<x/>", MBMS_USD_ERROR_PARSE, "expected <bundleDescription>");
  assert_usd_error (dir, "<bundleDescription/>", MBMS_USD_ERROR_PARSE, "no <userServiceDescription>");
  assert_usd_error (dir, "<bundleDescription><userServiceDescription/></bundleDescription>", MBMS_USD_ERROR_PARSE,
                    "serviceId is missing");
  assert_usd_error (dir, USD_WITH (""), MBMS_USD_ERROR_PARSE, "no <deliveryMethod>");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"ok.sdp\" protectionDescriptionURI=\"nokm.xml\"/>"),
                    MBMS_USD_ERROR_PARSE, "no <keyManagement>");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod protectionDescriptionURI=\"nokey.xml\"/>"), MBMS_USD_ERROR_PARSE,
                    "no <key>");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod protectionDescriptionURI=\"badserver.xml\"/>"), MBMS_USD_ERROR_PARSE,
                    "<serverURI>");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod protectionDescriptionURI=\"badid.xml\"/>"), MBMS_USD_ERROR_PARSE,
                    "keyDomainID must be 3 octets");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod protectionDescriptionURI=\"both.xml\"/>"), MBMS_USD_ERROR_PARSE,
                    "2G GBA");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"ok.sdp\" protectionDescriptionURI=\"nomap.xml\"/>"),
                    MBMS_USD_ERROR_PARSE, "<session>");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"bad.sdp\"/>"), MBMS_USD_ERROR_PARSE, "no c= address");
  /* nothing outside the bundle's directory, nothing from the network */
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"../ok.sdp\"/>"), MBMS_USD_ERROR_REFERENCE, "not a file beside");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"/etc/passwd\"/>"), MBMS_USD_ERROR_REFERENCE, "not a file beside");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"http://127.0.0.1:1/x.sdp\"/>"), MBMS_USD_ERROR_REFERENCE, "not a file beside");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"missing.sdp\"/>"), MBMS_USD_ERROR_REFERENCE, "cannot read");
  /* no DTD, no entity expansion */
  assert_usd_error (dir, "<!DOCTYPE a [<!ENTITY x \"y\">]><bundleDescription/>", MBMS_USD_ERROR_PARSE,
                    "document type declaration");
  assert_usd_error (dir, "<bundleDescription>", MBMS_USD_ERROR_PARSE, "not well-formed");
  for (int i = 0; i < 40; i++)
    g_string_append (deep, "<a>");
  for (int i = 0; i < 40; i++)
    g_string_append (deep, "</a>");
  g_string_append (deep, "</bundleDescription>");
  assert_usd_error (dir, deep->str, MBMS_USD_ERROR_LIMIT, "nested deeper");
  g_string_free (deep, TRUE);
  test_tmpdir_remove (dir);
}

static void
test_sdp (void)
{
  const char *sdp = "v=0\r\nc=IN IP6 ff0e::1/3\r\nm=audio 6000/2 RTP/SAVP 0\r\na=rtcp:6100\r\nm=video 7000 RTP/AVP 96\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) s = mbms_sdp_parse (sdp, strlen (sdp), &error);
  MbmsRtpSession *a, *v;

  g_assert_no_error (error);
  g_assert_cmpuint (s->len, ==, 2);
  a = g_ptr_array_index (s, 0);
  v = g_ptr_array_index (s, 1);
  g_assert_cmpstr (a->address, ==, "ff0e::1");
  g_assert_cmpuint (a->port, ==, 6000);
  g_assert_cmpuint (a->rtcp_port, ==, 6100);
  g_assert_true (a->srtp);
  g_assert_false (v->srtp);
  g_assert_null (mbms_sdp_parse ("m=video 0 RTP/AVP 9\n", 20, NULL));
  g_assert_null (mbms_sdp_parse ("c=IN IP4 not-an-ip\n", 19, NULL));
  g_assert_null (mbms_sdp_parse ("garbage\n", 8, NULL));
  {
    /* found by fuzz-sdp: an empty a=rtcp value */
    const char *empty_rtcp = "c=IN IP4 1.2.3.4\nm=video 5 RTP/AVP 9\na=rtcp:\n";
    g_assert_null (mbms_sdp_parse (empty_rtcp, strlen (empty_rtcp), NULL));
  }
}

static void
test_playback_sdp (void)
{
  g_autoptr(GPtrArray) services = parse_example ("streaming.usd.xml");
  MbmsUserService *s = g_ptr_array_index (services, 0);
  const guint16 ports[] = { 40000, 40002 };
  g_autofree char *sdp = mbms_sdp_playback (s, "127.0.0.1", ports);
  g_autoptr(GPtrArray) back = mbms_sdp_parse (sdp, strlen (sdp), NULL);

  g_assert_nonnull (strstr (sdp, "c=IN IP4 127.0.0.1\r\n"));
  g_assert_nonnull (strstr (sdp, "m=video 40000 RTP/AVP 96\r\n"));
  g_assert_nonnull (strstr (sdp, "m=audio 40002 RTP/AVP 97\r\n"));
  g_assert_nonnull (strstr (sdp, "a=rtpmap:96 H264/90000"));
  g_assert_nonnull (strstr (sdp, "a=fmtp:96 packetization-mode=1"));
  g_assert_nonnull (strstr (sdp, "a=rtcp:40001"));
  g_assert_null (strstr (sdp, "SAVP"));
  g_assert_null (strstr (sdp, "239.255.42"));
  /* and it reads back as two plain RTP sessions on the local address */
  g_assert_nonnull (back);
  g_assert_cmpuint (back->len, ==, 2);
  g_assert_false (((MbmsRtpSession *) g_ptr_array_index (back, 0))->srtp);
  g_assert_cmpstr (((MbmsRtpSession *) g_ptr_array_index (back, 1))->address, ==, "127.0.0.1");
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/daemon/usd/streaming-two-rtp-sessions", test_streaming_two_sessions);
  g_test_add_func ("/daemon/usd/download", test_download);
  g_test_add_func ("/daemon/usd/unprotected-no-registration", test_unprotected);
  g_test_add_func ("/daemon/usd/shared-key-group-annex-i", test_shared_key_group);
  g_test_add_func ("/daemon/usd/rejections-name-the-element", test_rejections);
  g_test_add_func ("/daemon/usd/sdp", test_sdp);
  g_test_add_func ("/daemon/usd/playback-sdp", test_playback_sdp);
  return g_test_run ();
}
