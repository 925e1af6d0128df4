/* User Service Bundle Descriptions and security descriptions (TS 26.346 11.2, 11.3, TS 33.246
 * 6.3.2.1A): the samples in data/examples, the specification's own examples (tests/data/
 * spec-examples) as the specification means them, the MSK of each media flow, and hostile or
 * broken input refused with an error that names the element. */
#include "mbms-usd.h"
#include "test-util.h"

#include <string.h>
#include <unistd.h>

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
  g_assert_cmpuint (s->offset_time_s, ==, 2);
  g_assert_cmpuint (s->random_period_s, ==, 3);
  g_assert_false (s->uicc_key_management);
  g_assert_false (s->mikey_fec);
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
  g_assert_cmpuint (s->offset_time_s, ==, 0);   /* the defaults of 11.3.1 */
  g_assert_cmpuint (s->random_period_s, ==, 0);
  g_assert_false (s->mikey_fec);
  g_assert_cmpuint (s->keys->len, ==, 1);
  k = &g_array_index (s->keys, MbmsKeyGroup, 0);
  g_assert_cmpuint (k->domain[1], ==, 0xf1); /* base64 "APEQ" */
  g_assert_cmpuint (k->key_group, ==, 3);
  /* the FLUTE channel is a flow of the service, not an RTP session */
  g_assert_cmpuint (s->sessions->len, ==, 1);
  g_assert_false (((MbmsRtpSession *) g_ptr_array_index (s->sessions, 0))->rtp);
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

#define USD_NS "urn:3GPP:metadata:2005:MBMS:userServiceDescription"
#define SEC_NS "urn:3GPP:metadata:2005:MBMS:securityDescription"
#define USD_WITH(delivery)                                                                                  \
  "<bundleDescription xmlns=\"" USD_NS "\"><userServiceDescription serviceId=\"urn:x\">" delivery \
  "</userServiceDescription></bundleDescription>"
#define PROTECTED(file) "<deliveryMethod sessionDescriptionURI=\"ok.sdp\" protectionDescriptionURI=\"" file "\"/>"
#define SEC(body) "<securityDescription xmlns=\"" SEC_NS "\">" body "</securityDescription>"
#define KM "<keyManagement uiccKeyManagement=\"false\"><serverURI>http://b</serverURI></keyManagement>"
#define FLOW(id, domain, msk) \
  "<mediaFlow flowID=\"" id "\"><MSK><keyDomainID>" domain "</keyDomainID><MSKID>" msk "</MSKID></MSK></mediaFlow>"
#define KEY_ID "<keyId>" FLOW ("239.1.1.1/5000", "APEQ", "AAEAAA==") "</keyId>"

static void
test_rejections (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  GString *deep = g_string_new ("<bundleDescription xmlns=\"" USD_NS "\">");

  write_file (dir, "ok.sdp", "v=0\nc=IN IP4 239.1.1.1\nm=video 5000 RTP/SAVP 96\n");
  write_file (dir, "nokm.xml", SEC (KEY_ID));
  write_file (dir, "nokey.xml", SEC (KM));
  write_file (dir, "badserver.xml",
              SEC ("<keyManagement><serverURI>ftp://b</serverURI></keyManagement>" KEY_ID));
  write_file (dir, "hexid.xml", SEC (KM "<keyId>" FLOW ("239.1.1.1/5000", "00f110", "00010000") "</keyId>"));
  write_file (dir, "shortmsk.xml", SEC (KM "<keyId>" FLOW ("239.1.1.1/5000", "APEQ", "AAEA") "</keyId>"));
  write_file (dir, "badflow.xml", SEC (KM "<keyId>" FLOW ("239.1.1.1:5000", "APEQ", "AAEAAA==") "</keyId>"));
  write_file (dir, "noflowid.xml", SEC (KM "<keyId><mediaFlow><MSK><keyDomainID>APEQ</keyDomainID><MSKID>AAEAAA=="
                                        "</MSKID></MSK></mediaFlow></keyId>"));
  write_file (dir, "order.xml", SEC (KM "<keyId><mediaFlow flowID=\"239.1.1.1/5000\"><MSK><MSKID>AAEAAA==</MSKID>"
                                     "<keyDomainID>APEQ</keyDomainID></MSK></mediaFlow></keyId>"));
  write_file (dir, "nomap.xml", SEC (KM "<keyId>" FLOW ("239.9.9.9/9", "APEQ", "AAEAAA==") "</keyId>"));
  write_file (dir, "badbool.xml", SEC ("<keyManagement uiccKeyManagement=\"yes\"><serverURI>http://b</serverURI>"
                                       "</keyManagement>" KEY_ID));
  write_file (dir, "unknown.xml", SEC (KM KEY_ID "<key keyDomainID=\"APEQ\"/>"));
  write_file (dir, "nons.xml", "<securityDescription>" KM KEY_ID "</securityDescription>");
  write_file (dir, "twice.xml", SEC (KM "<keyId>" FLOW ("239.1.1.1/5000", "APEQ", "AAEAAA==")
                                     FLOW ("239.1.1.1/5000", "APEQ", "AAIAAA==") "</keyId>"));
  write_file (dir, "bad.sdp", "v=0\nm=video 5000 RTP/SAVP 96\n");

  assert_usd_error (dir, "<x/>", MBMS_USD_ERROR_PARSE, "expected <bundleDescription> in " USD_NS);
  /* the invented dialect without the namespace is not a USD */
  assert_usd_error (dir, "<bundleDescription/>", MBMS_USD_ERROR_PARSE, "expected <bundleDescription> in");
  assert_usd_error (dir, "<bundleDescription xmlns=\"" USD_NS "\"/>", MBMS_USD_ERROR_PARSE,
                    "no <userServiceDescription>");
  assert_usd_error (dir, "<bundleDescription xmlns=\"" USD_NS "\"><userServiceDescription/></bundleDescription>",
                    MBMS_USD_ERROR_PARSE, "no serviceId");
  /* a URI holds no whitespace, control or bidirectional formatting character (RFC 3986 2,
   * RFC 3987 2.2, 4.1): such an ID would print as two, or as a forged line of output */
  {
    const char *const odd[] = { "two words", "a&#10;  service   urn:forged", "tab&#9;inside", "c1&#x9b;31m", "rlo&#x202e;",
                                "nbsp&#xa0;" };
    for (guint i = 0; i < G_N_ELEMENTS (odd); i++)
      {
        g_autofree char *usd = g_strdup_printf ("<bundleDescription xmlns=\"" USD_NS "\"><userServiceDescription "
                                                "serviceId=\"urn:x:%s\"><deliveryMethod sessionDescriptionURI="
                                                "\"ok.sdp\"/></userServiceDescription></bundleDescription>", odd[i]);
        assert_usd_error (dir, usd, MBMS_USD_ERROR_PARSE, "serviceId holds whitespace or a control character");
      }
  }
  assert_usd_error (dir, USD_WITH (""), MBMS_USD_ERROR_PARSE, "no <deliveryMethod>");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod protectionDescriptionURI=\"nokey.xml\"/>"), MBMS_USD_ERROR_PARSE,
                    "no sessionDescriptionURI");
  assert_usd_error (dir, USD_WITH (PROTECTED ("nokm.xml")), MBMS_USD_ERROR_PARSE, "no <keyManagement>");
  assert_usd_error (dir, USD_WITH (PROTECTED ("nokey.xml")), MBMS_USD_ERROR_PARSE, "no <keyId>");
  assert_usd_error (dir, USD_WITH (PROTECTED ("badserver.xml")), MBMS_USD_ERROR_PARSE, "is not an http(s) URI");
  /* xs:base64Binary, not hex; MSKID of exactly 4 octets */
  assert_usd_error (dir, USD_WITH (PROTECTED ("hexid.xml")), MBMS_USD_ERROR_PARSE, "not 3 octets in base64");
  assert_usd_error (dir, USD_WITH (PROTECTED ("shortmsk.xml")), MBMS_USD_ERROR_PARSE, "not 4 octets in base64");
  assert_usd_error (dir, USD_WITH (PROTECTED ("badflow.xml")), MBMS_USD_ERROR_PARSE, "is not <IP address>/<port>");
  assert_usd_error (dir, USD_WITH (PROTECTED ("noflowid.xml")), MBMS_USD_ERROR_PARSE, "no flowID");
  assert_usd_error (dir, USD_WITH (PROTECTED ("order.xml")), MBMS_USD_ERROR_PARSE, "<keyDomainID> then <MSKID>");
  assert_usd_error (dir, USD_WITH (PROTECTED ("nomap.xml")), MBMS_USD_ERROR_PARSE,
                    "no mediaFlow of the security description names SRTP session 239.1.1.1/5000");
  assert_usd_error (dir, USD_WITH (PROTECTED ("badbool.xml")), MBMS_USD_ERROR_PARSE, "is not an xs:boolean");
  assert_usd_error (dir, USD_WITH (PROTECTED ("unknown.xml")), MBMS_USD_ERROR_PARSE, "out of place");
  assert_usd_error (dir, USD_WITH (PROTECTED ("nons.xml")), MBMS_USD_ERROR_PARSE, "expected <securityDescription> in");
  assert_usd_error (dir, USD_WITH (PROTECTED ("twice.xml")), MBMS_USD_ERROR_PARSE, "has two MSKs");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"bad.sdp\"/>"), MBMS_USD_ERROR_PARSE, "no c= address");
  /* nothing outside the bundle's directory, nothing from the network */
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"../ok.sdp\"/>"), MBMS_USD_ERROR_REFERENCE, "not a file beside");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"/etc/passwd\"/>"), MBMS_USD_ERROR_REFERENCE, "not a file beside");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"http://127.0.0.1:1/\"/>"), MBMS_USD_ERROR_REFERENCE, "not a file beside");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"http://127.0.0.1:1/x/%2e%2e\"/>"),
                    MBMS_USD_ERROR_REFERENCE, "not a file beside");
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

/* Several delivery methods, each with its description: UICC key management required by any
 * one holds for the service (the default of the one that omits it counts), FEC parameters
 * must agree, and a symlink beside the bundle is not followed. */
static void
test_several_descriptions (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *link = g_build_filename (dir, "link.sdp", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) services = NULL;
  const char *usd = USD_WITH ("<deliveryMethod sessionDescriptionURI=\"a.sdp\" protectionDescriptionURI=\"me.xml\"/>"
                              "<deliveryMethod sessionDescriptionURI=\"b.sdp\" protectionDescriptionURI=\"dflt.xml\"/>");
  MbmsUserService *s;

  write_file (dir, "a.sdp", "v=0\nc=IN IP4 239.1.1.1\nm=video 5000 RTP/SAVP 96\n");
  write_file (dir, "b.sdp", "v=0\nc=IN IP4 239.1.1.2\nm=video 5002 RTP/SAVP 96\n");
  write_file (dir, "me.xml", SEC ("<keyManagement uiccKeyManagement=\"false\" offsetTime=\"9\"><serverURI>http://b"
                                  "</serverURI></keyManagement><keyId>" FLOW ("239.1.1.1/5000", "APEQ", "AAEAAA==")
                                  "</keyId>"));
  write_file (dir, "dflt.xml", SEC ("<keyManagement randomTimePeriod=\"4\"><serverURI>http://c</serverURI>"
                                    "</keyManagement><keyId>" FLOW ("239.1.1.2/5002", "APEQ", "AAIAAA==") "</keyId>"));
  services = mbms_usd_parse (usd, strlen (usd), dir, &error);
  g_assert_no_error (error);
  s = g_ptr_array_index (services, 0);
  g_assert_true (s->uicc_key_management);
  g_assert_cmpuint (s->offset_time_s, ==, 9);
  g_assert_cmpuint (s->random_period_s, ==, 4);
  g_assert_cmpuint (g_strv_length (s->bmsc_uris), ==, 2);
  g_assert_cmpuint (s->keys->len, ==, 2);
  /* one with fecProtection, one without */
  write_file (dir, "fec.xml", SEC (KM "<keyId>" FLOW ("239.1.1.2/5002", "APEQ", "AAIAAA==") "</keyId>"
                                   "<fecProtection fecEncodingId=\"1\"/>"));
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"a.sdp\" protectionDescriptionURI=\"me.xml\"/>"
                                   "<deliveryMethod sessionDescriptionURI=\"b.sdp\" protectionDescriptionURI=\"fec.xml\"/>"),
                    MBMS_USD_ERROR_PARSE, "different fecProtection");
  /* a link to a file elsewhere, and a subdirectory */
  g_assert_cmpint (symlink ("/etc/hostname", link), ==, 0);
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"link.sdp\"/>"), MBMS_USD_ERROR_REFERENCE,
                    "cannot read");
  assert_usd_error (dir, USD_WITH ("<deliveryMethod sessionDescriptionURI=\"sub/a.sdp\"/>"), MBMS_USD_ERROR_REFERENCE,
                    "not a file beside");
  test_tmpdir_remove (dir);
}

/* What the schema allows is read past: other namespaces, unknown attributes, stray text, and
 * the USD elements mbmsd does not act on. */
static void
test_tolerated (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) services = NULL;
  MbmsUserService *s;
  const char *usd =
    "<bundleDescription xmlns=\"" USD_NS "\" xmlns:sv=\"urn:3gpp:metadata:2009:MBMS:schemaVersion\" "
    "xmlns:o=\"urn:other\" fecDescriptionURI=\"x\" o:extra=\"1\">"
    "<userServiceDescription serviceId=\"urn:x\" o:a=\"b\"><name lang=\"en\">X</name>"
    "<serviceLanguage>en</serviceLanguage><requiredCapabilities><feature>0</feature></requiredCapabilities>"
    "<deliveryMethod sessionDescriptionURI=\"http://www.example.com/3gpp/mbms/ok.sdp\" "
    "protectionDescriptionURI=\"sec.xml\"><sv:delimiter>0</sv:delimiter></deliveryMethod>"
    "<accessGroup id=\"1\"><accessBearer>3GPP.R6.UTRAN</accessBearer></accessGroup>"
    "<sv:delimiter>0</sv:delimiter></userServiceDescription><sv:schemaVersion>2</sv:schemaVersion>"
    "</bundleDescription>";

  write_file (dir, "ok.sdp", "v=0\nc=IN IP4 239.1.1.1\nm=video 5000 RTP/SAVP 96\n");
  write_file (dir, "sec.xml", "<securityDescription xmlns=\"" SEC_NS "\" xmlns:o=\"urn:other\" o:x=\"1\">stray"
                              "<keyManagement o:y=\"2\"><serverURI>http://b/</serverURI><o:hint/></keyManagement>"
                              "<keyId>" FLOW ("239.1.1.1/5000", "AP EQ", "AAEAAA==") "</keyId><o:more/>"
                              "</securityDescription>");
  services = mbms_usd_parse (usd, strlen (usd), dir, &error);
  g_assert_no_error (error);
  s = g_ptr_array_index (services, 0);
  g_assert_true (s->protected);
  g_assert_true (s->uicc_key_management); /* the default (11.3.1) */
  g_assert_cmpuint (s->keys->len, ==, 1);
  g_assert_cmpuint (g_array_index (s->keys, MbmsKeyGroup, 0).key_group, ==, 1);
  test_tmpdir_remove (dir);
}

/* TS 26.346 11.3.2 as printed: two flows with their MSKs, back-off, UICC key management
 * required, two servers, MIKEY FEC. */
static void
test_spec_security_description (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *sec = test_spec_example ("11.3.2-security-description.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) services = NULL;
  const char *usd = USD_WITH ("<deliveryMethod sessionDescriptionURI=\"s.sdp\" protectionDescriptionURI=\"sec.xml\"/>");
  static const guint8 d1[3] = { 0x68, 0xca, 0x0c }, d2[3] = { 0x18, 0xcf, 0x0c };
  MbmsUserService *s;
  MbmsRtpSession *video, *audio;

  write_file (dir, "s.sdp", "v=0\nc=IN IP4 224.1.2.3\nt=0 0\nm=video 4002 RTP/SAVP 96\nm=audio 4004 RTP/SAVP 97\n");
  write_file (dir, "sec.xml", sec);
  services = mbms_usd_parse (usd, strlen (usd), dir, &error);
  g_assert_no_error (error);
  s = g_ptr_array_index (services, 0);
  g_assert_true (s->protected);
  g_assert_true (s->uicc_key_management);
  g_assert_cmpuint (s->offset_time_s, ==, 5);
  g_assert_cmpuint (s->random_period_s, ==, 10);
  g_assert_cmpuint (g_strv_length (s->bmsc_uris), ==, 2);
  g_assert_cmpstr (s->bmsc_uris[0], ==, "http://register.operator.umts/");
  g_assert_cmpstr (s->bmsc_uris[1], ==, "http://register2.operator.umts/");
  g_assert_true (s->mikey_fec);
  g_assert_cmpuint (s->fec_encoding_id, ==, 1);
  g_assert_true (s->has_fec_instance_id);
  g_assert_cmpuint (s->fec_instance_id, ==, 0);
  g_assert_cmpstr (s->fec_oti_extension, ==, "1SCxWEMNe397m24SwgyRhg==");
  video = g_ptr_array_index (s->sessions, 0);
  audio = g_ptr_array_index (s->sessions, 1);
  g_assert_true (video->has_key && audio->has_key);
  g_assert_cmpmem (video->key.domain, 3, d1, 3); /* "aMoM" */
  g_assert_cmpuint (video->key.key_group, ==, 0x68ca); /* "aMoAAA==" */
  g_assert_cmpmem (audio->key.domain, 3, d2, 3); /* "GM8M" */
  g_assert_cmpuint (audio->key.key_group, ==, 0x68c9); /* "aMkAAA==" */
  g_assert_cmpuint (s->keys->len, ==, 2);
  test_tmpdir_remove (dir);
}

/* TS 26.346 11.2.2: the examples' session descriptions are http URIs, read beside the bundle
 * by their last segment; the examples have no security description. */
static void
test_spec_usd_examples (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *usd = test_spec_example ("11.2.2-usd-1-simple.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) services = NULL;
  MbmsUserService *s;

  write_file (dir, "session1.sdp", "v=0\nc=IN IP4 224.1.2.3\nt=0 0\nm=video 4002 RTP/AVP 96\n");
  services = mbms_usd_parse (usd, strlen (usd), dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (services->len, ==, 1);
  s = g_ptr_array_index (services, 0);
  g_assert_cmpstr (s->service_id, ==, "urn:3gpp:0010120123hotdog");
  g_assert_false (s->protected);
  g_assert_true (s->streaming);
  /* the fuller one: four names, four delivery methods each with its own session description */
  g_clear_pointer (&services, g_ptr_array_unref);
  g_free (usd);
  usd = test_spec_example ("11.2.2-usd-2-fuller.xml");
  for (int i = 1; i <= 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("session%d.sdp", i);
      g_autofree char *sdp = g_strdup_printf ("v=0\nc=IN IP4 224.1.2.%d\nt=0 0\nm=video 400%d RTP/AVP 96\n", i, i);
      write_file (dir, name, sdp);
    }
  services = mbms_usd_parse (usd, strlen (usd), dir, &error);
  g_assert_no_error (error);
  s = g_ptr_array_index (services, 0);
  g_assert_cmpstr (s->service_id, ==, "urn:3gpp:1234567890coolcat");
  g_assert_cmpuint (g_strv_length (s->names), ==, 4);
  g_assert_cmpstr (s->names[1], ==, "Willkommen");
  g_assert_cmpuint (s->sessions->len, ==, 4);
  g_assert_cmpstr (((MbmsRtpSession *) g_ptr_array_index (s->sessions, 3))->address, ==, "224.1.2.4");
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

/* TS 26.346 7.3: a FLUTE session's SDP, the TSI at session level or per media. */
static void
test_sdp_flute (void)
{
  static const char sdp[] =
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=Download\r\nt=0 0\r\n"
    "a=source-filter: incl IN IP4 * 10.0.0.1\r\na=flute-tsi:42\r\n"
    "m=application 4001 FLUTE/UDP 0\r\nc=IN IP4 239.255.42.9/1\r\n"
    "m=application 4002 FLUTE/UDP 0\r\nc=IN IP4 239.255.42.10/1\r\na=flute-tsi:18446744073709551615\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) s = mbms_sdp_parse (sdp, strlen (sdp), &error);
  MbmsRtpSession *a, *b;

  g_assert_no_error (error);
  g_assert_cmpuint (s->len, ==, 2);
  a = g_ptr_array_index (s, 0);
  b = g_ptr_array_index (s, 1);
  g_assert_true (a->flute && !a->rtp && !a->srtp);
  g_assert_true (a->has_tsi);
  g_assert_cmpuint (a->tsi, ==, 42);
  g_assert_cmpstr (a->address, ==, "239.255.42.9");
  g_assert_cmpuint (a->port, ==, 4001);
  g_assert_cmpuint (b->tsi, ==, G_MAXUINT64);
  g_assert_null (mbms_sdp_parse ("a=flute-tsi:-1\n", 15, &error));
  g_clear_error (&error);
  g_assert_null (mbms_sdp_parse ("a=flute-tsi:18446744073709551616\n", 33, &error));
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/announcement/usd/streaming-two-rtp-sessions", test_streaming_two_sessions);
  g_test_add_func ("/announcement/usd/download", test_download);
  g_test_add_func ("/announcement/usd/unprotected-no-registration", test_unprotected);
  g_test_add_func ("/announcement/usd/shared-key-group-annex-i", test_shared_key_group);
  g_test_add_func ("/announcement/usd/rejections-name-the-element", test_rejections);
  g_test_add_func ("/announcement/usd/tolerated-as-the-schema-allows", test_tolerated);
  g_test_add_func ("/announcement/usd/several-descriptions-links-refused", test_several_descriptions);
  g_test_add_func ("/announcement/usd/spec-11.3.2-security-description", test_spec_security_description);
  g_test_add_func ("/announcement/usd/spec-11.2.2-usd-example", test_spec_usd_examples);
  g_test_add_func ("/announcement/usd/sdp", test_sdp);
  g_test_add_func ("/announcement/usd/playback-sdp", test_playback_sdp);
  g_test_add_func ("/announcement/usd/sdp-flute-tsi", test_sdp_flute);
  return g_test_run ();
}
