/* HTTP Digest and Digest AKA against ../shared/vectors/digest.txt (RFC 2617 3.5, RFC 7616
 * 3.9.1, auth-int, SIPp-produced AKAv1-MD5), and the header parsers' edge cases. */
#include "gba.h"
#include "test-util.h"

#include <string.h>

static char *text;

static char *
field (const char *section, const char *name)
{
  char *v = test_vectors_field (text, section, name);

  g_assert_nonnull (v);
  return v;
}

/* The value of name="..." or name=... inside a header line of the vectors file. */
static char *
header_param (const char *section, const char *line_prefix, const char *name)
{
  const char *start = strstr (text, section);
  const char *line = strstr (start, line_prefix);
  g_autofree char *needle = g_strdup_printf ("%s=", name);
  const char *p = line;
  const char *end;

  /* a whole parameter name: "nonce=" must not match inside "cnonce=" */
  do
    p = strstr (p + 1, needle);
  while (p != NULL && p[-1] != ',' && p[-1] != ' ');
  g_assert_nonnull (p);
  p += strlen (needle);
  if (*p == '"')
    {
      p++;
      end = strchr (p, '"');
    }
  else
    end = p + strcspn (p, ", \n");
  return g_strndup (p, end - p);
}

static void
test_rfc2617_example (void)
{
  g_autofree char *response = field ("==== D1", "response");
  g_autofree char *got = gba_digest_compute (GBA_DIGEST_MD5, "Mufasa", "testrealm@host.com",
                                             (const guint8 *) "Circle Of Life", 14,
                                             "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
                                             GBA_DIGEST_QOP_AUTH, "GET", "/dir/index.html", NULL, 0);

  g_assert_cmpstr (got, ==, response);
}

static void
test_rfc7616_md5_and_sha256 (void)
{
  g_autofree char *md5 = field ("==== D2", "response (MD5)");
  g_autofree char *sha = field ("==== D2", "response (SHA-256)");
  const char *nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  const char *cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  g_autofree char *got_md5 = gba_digest_compute (GBA_DIGEST_MD5, "Mufasa", "http-auth@example.org",
                                                 (const guint8 *) "Circle of Life", 14, nonce, "00000001", cnonce,
                                                 GBA_DIGEST_QOP_AUTH, "GET", "/dir/index.html", NULL, 0);
  g_autofree char *got_sha = gba_digest_compute (GBA_DIGEST_SHA256, "Mufasa", "http-auth@example.org",
                                                 (const guint8 *) "Circle of Life", 14, nonce, "00000001", cnonce,
                                                 GBA_DIGEST_QOP_AUTH, "GET", "/dir/index.html", NULL, 0);

  g_assert_nonnull (strstr (text, nonce));
  g_assert_cmpstr (got_md5, ==, md5);
  g_assert_cmpstr (got_sha, ==, sha);
}

static void
test_auth_int (void)
{
  static const char body[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<test/>\n";
  g_autofree char *response = field ("==== D3", "response");
  g_autofree char *got = gba_digest_compute (GBA_DIGEST_MD5, "Mufasa", "testrealm@host.com",
                                             (const guint8 *) "Circle Of Life", 14,
                                             "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
                                             GBA_DIGEST_QOP_AUTH_INT, "POST", "/dir/index.html",
                                             (const guint8 *) body, strlen (body));
  g_autofree char *other = gba_digest_compute (GBA_DIGEST_MD5, "Mufasa", "testrealm@host.com",
                                               (const guint8 *) "Circle Of Life", 14,
                                               "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
                                               GBA_DIGEST_QOP_AUTH_INT, "POST", "/dir/index.html",
                                               (const guint8 *) body, strlen (body) - 1);

  g_assert_cmpuint (strlen (body), ==, 47);
  g_assert_cmpstr (got, ==, response);
  g_assert_cmpstr (other, !=, response);
}

/* D4/D5: SIPp computed these with RES as 8 raw octets (RFC 3310 3.3). */
static void
check_aka (const char *section, GbaDigestQop qop, const guint8 *body, gsize body_len)
{
  g_autofree char *nonce = header_param (section, "Authorization:", "nonce");
  g_autofree char *cnonce = header_param (section, "Authorization:", "cnonce");
  g_autofree char *uri = header_param (section, "Authorization:", "uri");
  g_autofree char *username = header_param (section, "Authorization:", "username");
  g_autofree char *realm = header_param (section, "Authorization:", "realm");
  g_autofree char *response = header_param (section, "Authorization:", "response");
  guint8 res[8];
  g_autofree char *got = NULL;

  test_hex_to ("8011c48c0c214ed2", res, 8);
  g_assert_nonnull (strstr (text, "RES=8011c48c0c214ed2"));
  got = gba_digest_compute (GBA_DIGEST_AKAV1_MD5, username, realm, res, sizeof res, nonce, "00000001", cnonce, qop,
                            "REGISTER", uri, body, body_len);
  g_assert_cmpstr (got, ==, response);
}

static void
test_aka_auth (void)
{
  check_aka ("==== D4", GBA_DIGEST_QOP_AUTH, NULL, 0);
}

static void
test_aka_hex_text_password_differs (void)
{
  const char *marker = "would be ";
  const char *p = strstr (text, marker);
  g_autofree char *wrong = NULL;
  g_autofree char *got = NULL;

  g_assert_nonnull (p);
  wrong = g_strndup (p + strlen (marker), 32);
  got = gba_digest_compute (GBA_DIGEST_AKAV1_MD5, "user1@ims.example.org", "ims.example.org",
                            (const guint8 *) "8011c48c0c214ed2", 16,
                            "n3yNAhrM9NshPM/wx/caaq5KOptMl3JcnKvD6ZuvcoE=", "00000001", "6b8b4567",
                            GBA_DIGEST_QOP_AUTH, "REGISTER", "sip:127.0.0.1:5071", NULL, 0);
  g_assert_cmpstr (got, ==, wrong);
}

static void
test_aka_auth_int (void)
{
  static const guint8 body[] = "<mbms/>\r\n";

  check_aka ("==== D5", GBA_DIGEST_QOP_AUTH_INT, body, 9);
}

/* ------------------------------------------------------------ headers */

static void
test_challenge_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaDigestChallenge) c = gba_digest_challenge_parse (
    "Digest realm=\"3GPP-bootstrapping@bmsc.example\",  nonce=\"a\\\"b\" ,algorithm=AKAv1-MD5,"
    "qop=\"auth,auth-int, x-future\", stale=TRUE, opaque=\"o\", ext=token", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (c->realm, ==, "3GPP-bootstrapping@bmsc.example");
  g_assert_cmpstr (c->nonce, ==, "a\"b");
  g_assert_cmpint (c->algorithm, ==, GBA_DIGEST_AKAV1_MD5);
  g_assert_cmpint (c->qop, ==, GBA_DIGEST_QOP_AUTH | GBA_DIGEST_QOP_AUTH_INT);
  g_assert_true (c->stale);
  g_assert_cmpstr (c->opaque, ==, "o");
}

static void
assert_challenge_error (const char *header, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaDigestChallenge) c = gba_digest_challenge_parse (header, &error);

  g_assert_null (c);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_PARSE);
  if (strstr (error->message, fragment) == NULL)
    g_error ("\"%s\" does not mention \"%s\"", error->message, fragment);
}

static void
test_challenge_errors (void)
{
  GString *big = g_string_new ("Digest realm=\"r\", nonce=\"");

  assert_challenge_error ("Basic realm=\"r\"", "scheme is not Digest");
  assert_challenge_error ("Digest nonce=\"n\"", "realm is missing");
  assert_challenge_error ("Digest realm=\"r\"", "nonce is missing");
  assert_challenge_error ("Digest realm=\"r\", realm=\"s\", nonce=\"n\"", "realm appears twice");
  assert_challenge_error ("Digest realm=\"r, nonce=\"n\"", "expected ','");
  assert_challenge_error ("Digest realm=\"r\", nonce=\"n", "unterminated quoted string");
  assert_challenge_error ("Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess", "MD5-sess is not supported");
  assert_challenge_error ("Digest realm=\"r\", nonce=\"n\", qop=\"x\"", "neither auth nor auth-int");
  assert_challenge_error ("Digest realm", "expected '='");
  assert_challenge_error ("Digest =x", "expected a parameter name");
  while (big->len < 9000)
    g_string_append (big, "aaaaaaaaaa");
  g_string_append (big, "\"");
  assert_challenge_error (big->str, "longer than");
  g_string_free (big, TRUE);
}

static void
test_authorization_round_trip (void)
{
  GbaDigestChallenge c = { (char *) "3GPP-bootstrapping@bmsc", (char *) "non\"ce", (char *) "op\\aque",
                           GBA_DIGEST_MD5, GBA_DIGEST_QOP_AUTH_INT, FALSE };
  g_autoptr(GbaDigestAuthorization) a = gba_digest_answer (&c, "btid@bsf", (const guint8 *) "pw", 2, "POST",
                                                           "/keymanagement?requesttype=register",
                                                           (const guint8 *) "<x/>", 4, TRUE, 1);
  g_autofree char *header = gba_digest_authorization_to_string (a);
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaDigestAuthorization) back = gba_digest_authorization_parse (header, &error);
  g_autofree char *expected = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (back->username, ==, "btid@bsf");
  g_assert_cmpstr (back->nonce, ==, "non\"ce");
  g_assert_cmpstr (back->opaque, ==, "op\\aque");
  g_assert_cmpstr (back->uri, ==, "/keymanagement?requesttype=register");
  g_assert_cmpint (back->qop, ==, GBA_DIGEST_QOP_AUTH_INT);
  g_assert_cmpstr (back->nc, ==, "00000001");
  g_assert_cmpuint (strlen (back->cnonce), ==, 32);
  /* the server recomputes the same response from what it parsed */
  expected = gba_digest_compute (back->algorithm, back->username, back->realm, (const guint8 *) "pw", 2,
                                 back->nonce, back->nc, back->cnonce, back->qop, "POST", back->uri,
                                 (const guint8 *) "<x/>", 4);
  g_assert_cmpstr (expected, ==, back->response);
}

static void
test_authorization_needs_cnonce_with_qop (void)
{
  g_autoptr(GError) error = NULL;
  GbaDigestAuthorization *a = gba_digest_authorization_parse (
    "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"x\", qop=auth", &error);

  g_assert_null (a);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_PARSE);
}

/* TS 24.109 4.2 step 1: the first Ub request has empty nonce and response. */
static void
test_initial_ub_authorization (void)
{
  GbaDigestAuthorization a = { .username = (char *) "impi@ims", .realm = (char *) "bsf.home1.net",
                               .nonce = (char *) "", .uri = (char *) "/", .response = (char *) "",
                               .algorithm = GBA_DIGEST_AKAV1_MD5 };
  g_autofree char *header = gba_digest_authorization_to_string (&a);
  g_autoptr(GbaDigestAuthorization) back = gba_digest_authorization_parse (header, NULL);

  g_assert_nonnull (strstr (header, "nonce=\"\""));
  g_assert_nonnull (strstr (header, "response=\"\""));
  g_assert_cmpstr (back->nonce, ==, "");
}

static void
test_auth_info_verify (void)
{
  GbaDigestChallenge c = { (char *) "realm", (char *) "nonce", NULL, GBA_DIGEST_AKAV1_MD5,
                           GBA_DIGEST_QOP_AUTH_INT, FALSE };
  const guint8 res[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  const char *body = "<BootstrappingInfo/>";
  g_autoptr(GbaDigestAuthorization) sent = gba_digest_answer (&c, "impi", res, 8, "GET", "/", NULL, 0, TRUE, 1);
  GbaDigestAuthInfo info = { 0 };
  g_autofree char *header = NULL;
  g_autoptr(GbaDigestAuthInfo) parsed = NULL;
  g_autoptr(GError) error = NULL;

  info.rspauth = gba_digest_compute (GBA_DIGEST_AKAV1_MD5, "impi", "realm", res, 8, "nonce", sent->nc, sent->cnonce,
                                     GBA_DIGEST_QOP_AUTH_INT, NULL, "/", (const guint8 *) body, strlen (body));
  info.qop = GBA_DIGEST_QOP_AUTH_INT;
  info.nc = sent->nc;
  info.cnonce = sent->cnonce;
  header = gba_digest_auth_info_to_string (&info);
  g_free (info.rspauth);
  parsed = gba_digest_auth_info_parse (header, &error);
  g_assert_no_error (error);
  g_assert_true (gba_digest_verify_auth_info (sent, parsed, res, 8, (const guint8 *) body, strlen (body), &error));
  /* one octet of the body changed: rejected */
  g_assert_false (gba_digest_verify_auth_info (sent, parsed, res, 8, (const guint8 *) body, strlen (body) - 1, &error));
  g_assert_error (error, GBA_ERROR, GBA_ERROR_RSPAUTH);
  g_clear_error (&error);
  /* another password (XRES != RES): rejected */
  {
    const guint8 other[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
    g_assert_false (gba_digest_verify_auth_info (sent, parsed, other, 8, (const guint8 *) body, strlen (body), &error));
    g_clear_error (&error);
  }
  /* an echoed cnonce that is not ours: rejected */
  g_free (parsed->cnonce);
  parsed->cnonce = g_strdup ("someone-else");
  g_assert_false (gba_digest_verify_auth_info (sent, parsed, res, 8, (const guint8 *) body, strlen (body), &error));
  g_assert_error (error, GBA_ERROR, GBA_ERROR_RSPAUTH);
}

int
main (int argc, char **argv)
{
  int status;

  test_init (&argc, &argv);
  text = test_vectors_read ("digest.txt");
  g_test_add_func ("/gba/digest/rfc2617-3.5-example-d1", test_rfc2617_example);
  g_test_add_func ("/gba/digest/rfc7616-md5-sha256-d2", test_rfc7616_md5_and_sha256);
  g_test_add_func ("/gba/digest/auth-int-d3", test_auth_int);
  g_test_add_func ("/gba/digest/aka-v1-md5-sipp-d4", test_aka_auth);
  g_test_add_func ("/gba/digest/aka-hex-text-password-is-wrong-d4", test_aka_hex_text_password_differs);
  g_test_add_func ("/gba/digest/aka-v1-md5-auth-int-sipp-d5", test_aka_auth_int);
  g_test_add_func ("/gba/digest/challenge-parse", test_challenge_parse);
  g_test_add_func ("/gba/digest/challenge-errors-name-the-problem", test_challenge_errors);
  g_test_add_func ("/gba/digest/authorization-round-trip", test_authorization_round_trip);
  g_test_add_func ("/gba/digest/authorization-qop-needs-cnonce", test_authorization_needs_cnonce_with_qop);
  g_test_add_func ("/gba/digest/initial-ub-request-empty-nonce", test_initial_ub_authorization);
  g_test_add_func ("/gba/digest/authentication-info-rspauth", test_auth_info_verify);
  status = g_test_run ();
  g_free (text);
  return status;
}
