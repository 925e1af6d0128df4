/* DCFs of MBMS download (TS 33.246 6.6.3.2) built here from the box layouts (ISO/IEC 14496-12
 * Box/FullBox, the OMA DRM v2 DCF boxes, our reading of 'obki'), encrypted and signed with
 * OpenSSL directly: opened byte for byte with the right keys; refused when tampered anywhere
 * in the signed range, signed with another key, unsigned, truncated, or outside the profile. */
#include "download.h"
#include "test-util.h"
#include "dcf-builder.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* DCF_SHAPE (...) overrides the defaults it starts from, on purpose */
#pragma GCC diagnostic ignored "-Woverride-init"

static const char plaintext[] = "The protected news of today: FLUTE delivered it, the MTK opened it.\n";

static GBytes *
open_dcf (GBytes *file, GError **error)
{
  g_autoptr(GbaSecret) ek = gba_secret_new (dcf_test_encr_key, 16);
  g_autoptr(GbaSecret) ak = gba_secret_new (dcf_test_auth_key, 20);
  g_autoptr(DownloadDcf) dcf = download_dcf_parse (file, error);

  if (dcf == NULL)
    return NULL;
  return download_dcf_open (dcf, file, ek, ak, error);
}

static void
check_opens (DcfShape s)
{
  g_autoptr(GBytes) file = dcf_build (&s, (const guint8 *) plaintext, strlen (plaintext));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = open_dcf (file, &error);

  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), plaintext, strlen (plaintext));
}

static void
test_fields (void)
{
  DcfShape s = DCF_SHAPE (.obki_flags = 0x80);
  g_autoptr(GBytes) file = dcf_build (&s, (const guint8 *) plaintext, strlen (plaintext));
  g_autoptr(GError) error = NULL;
  g_autoptr(DownloadDcf) dcf = download_dcf_parse (file, &error);
  static const guint8 domain[3] = { 0x00, 0xf1, 0x10 };

  g_assert_no_error (error);
  g_assert_cmpuint (dcf->minor_version, ==, 2);
  g_assert_cmpstr (dcf->content_type, ==, "text/plain");
  g_assert_cmpuint (dcf->encryption_method, ==, DOWNLOAD_DCF_ENC_AES_CBC);
  g_assert_cmpuint (dcf->padding_scheme, ==, DOWNLOAD_DCF_PAD_RFC2630);
  g_assert_cmpuint (dcf->plaintext_length, ==, strlen (plaintext));
  g_assert_cmpstr (dcf->content_id, ==, "cid:today@lab.example");
  g_assert_cmpstr (dcf->rights_issuer_url, ==, "");
  g_assert_cmpmem (g_bytes_get_data (dcf->textual_headers, NULL), g_bytes_get_size (dcf->textual_headers),
                   "Content-Name:today", 18);
  g_assert_cmpstr (dcf->key_issuer_url, ==, "http://keys.example/");
  g_assert_cmpmem (dcf->domain, 3, domain, 3);
  g_assert_cmpuint (dcf->msk_id, ==, 0x00010002);
  g_assert_cmpuint (dcf->mtk_id, ==, 7);
  g_assert_cmpuint (dcf->signature_method, ==, DOWNLOAD_DCF_SIG_HMAC_SHA1);
  g_assert_cmpuint (dcf->signed_length, ==, g_bytes_get_size (file) - 8 - 12 - 1 - 20);
}

static void
test_opens (void)
{
  check_opens (DCF_SHAPE ());
  check_opens (DCF_SHAPE (.method = DOWNLOAD_DCF_ENC_AES_CTR, .padding = DOWNLOAD_DCF_PAD_NONE));
  check_opens (DCF_SHAPE (.method = DOWNLOAD_DCF_ENC_NULL, .padding = DOWNLOAD_DCF_PAD_NONE));
  check_opens (DCF_SHAPE (.largesize = TRUE));
}

static void
test_tampered_anywhere (void)
{
  DcfShape s = DCF_SHAPE ();
  g_autoptr(GBytes) file = dcf_build (&s, (const guint8 *) plaintext, strlen (plaintext));
  gsize len;
  const guint8 *data = g_bytes_get_data (file, &len);
  g_autoptr(DownloadDcf) dcf = download_dcf_parse (file, NULL);
  guint refused_auth = 0;

  /* every octet of the signed range and of the signature: a flipped bit never opens */
  for (gsize i = 0; i < len; i++)
    {
      guint8 *copy = g_memdup2 (data, len);
      g_autoptr(GBytes) bad = NULL, out = NULL;
      g_autoptr(GError) error = NULL;

      if (i >= dcf->signed_length && i < len - 20)
        {
          g_free (copy);
          continue; /* mdri and odfs headers: structure, checked below */
        }
      copy[i] ^= 0x01;
      bad = g_bytes_new_take (copy, len);
      out = open_dcf (bad, &error);
      g_assert_null (out);
      g_assert_nonnull (error);
      g_assert_true (error->domain == DOWNLOAD_ERROR);
      refused_auth += error->code == DOWNLOAD_ERROR_AUTH;
    }
  /* at least every ciphertext octet and the signature reach the HMAC and fail there */
  g_assert_cmpuint (refused_auth, >=, dcf->data_length + 20);
}

static void
test_wrong_key (void)
{
  static const guint8 other[20] = { 1 };
  DcfShape s = DCF_SHAPE (.sign_key = other);
  g_autoptr(GBytes) file = dcf_build (&s, (const guint8 *) plaintext, strlen (plaintext));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = open_dcf (file, &error);

  g_assert_null (out);
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_AUTH);
}

static void
test_refused (void)
{
  struct { const char *what; DcfShape s; int code; } cases[] = {
    { "minor version 1", DCF_SHAPE (.minor = 1), DOWNLOAD_ERROR_UNSUPPORTED },
    { "KeyIDType 1", DCF_SHAPE (.key_id_type = 1), DOWNLOAD_ERROR_UNSUPPORTED },
    { "STKM present", DCF_SHAPE (.obki_flags = 0x40), DOWNLOAD_ERROR_MALFORMED },
    { "TBK present", DCF_SHAPE (.obki_flags = 0x20), DOWNLOAD_ERROR_MALFORMED },
    { "KeyID not base64", DCF_SHAPE (.key_id = "not base64!!"), DOWNLOAD_ERROR_MALFORMED },
    { "KeyID of 6 octets", DCF_SHAPE (.key_id = "AAECAwQF"), DOWNLOAD_ERROR_MALFORMED },
    { "no obki", DCF_SHAPE (.no_obki = TRUE), DOWNLOAD_ERROR_MALFORMED },
    { "no mdri", DCF_SHAPE (.no_mdri = TRUE), DOWNLOAD_ERROR_AUTH },
    { "a box after mdri", DCF_SHAPE (.after_mdri = TRUE), DOWNLOAD_ERROR_MALFORMED },
    { "EncryptionMethod 3", DCF_SHAPE (.method = 3), DOWNLOAD_ERROR_UNSUPPORTED },
    { "CTR with padding", DCF_SHAPE (.method = DOWNLOAD_DCF_ENC_AES_CTR), DOWNLOAD_ERROR_MALFORMED },
    { "SignatureMethod NULL", DCF_SHAPE (.sig_method = 0), DOWNLOAD_ERROR_AUTH },
    { "PlaintextLength one more", DCF_SHAPE (.plaintext_length_delta = 1), DOWNLOAD_ERROR_MALFORMED },
    { "PlaintextLength one less", DCF_SHAPE (.plaintext_length_delta = -1), DOWNLOAD_ERROR_MALFORMED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) file = dcf_build (&cases[i].s, (const guint8 *) plaintext, strlen (plaintext));
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) out = open_dcf (file, &error);

      g_test_message ("%s", cases[i].what);
      g_assert_null (out);
      g_assert_error (error, DOWNLOAD_ERROR, cases[i].code);
    }
}

static void
test_truncated_everywhere (void)
{
  DcfShape s = DCF_SHAPE ();
  g_autoptr(GBytes) file = dcf_build (&s, (const guint8 *) plaintext, strlen (plaintext));
  gsize len;
  const guint8 *data = g_bytes_get_data (file, &len);

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr(GBytes) part = g_bytes_new (data, cut);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) out = open_dcf (part, &error);

      g_assert_null (out);
      g_assert_nonnull (error);
      g_assert_true (error->domain == DOWNLOAD_ERROR);
    }
}

static void
test_box_sizes (void)
{
  DcfShape s = DCF_SHAPE ();
  g_autoptr(GBytes) file = dcf_build (&s, (const guint8 *) plaintext, strlen (plaintext));
  gsize len;
  const guint8 *data = g_bytes_get_data (file, &len);
  guint8 *copy = g_memdup2 (data, len);
  g_autoptr(GBytes) bad = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DownloadDcf) dcf = NULL;

  /* odrm (after the 20-octet ftyp) claims more than the file holds */
  copy[20] = 0x7f;
  bad = g_bytes_new_take (copy, len);
  dcf = download_dcf_parse (bad, &error);
  g_assert_null (dcf);
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_TRUNCATED);
}

static MgvMtk *
mtk_with (guint16 mtk_id, const guint8 *ak)
{
  MgvMtk *m = g_new0 (MgvMtk, 1);

  memcpy (m->domain, dcf_test_key_id, 3);
  m->msk_id = 0x00010002;
  m->mtk_id = mtk_id;
  m->mtk = gba_secret_new_random (16);
  m->encr_key = gba_secret_new (dcf_test_encr_key, 16);
  m->auth_key = gba_secret_new (ak, 20);
  return m;
}

static void
test_open_with_mtks (void)
{
  DcfShape s = DCF_SHAPE ();
  g_autoptr(GBytes) file = dcf_build (&s, (const guint8 *) plaintext, strlen (plaintext));
  g_autoptr(DownloadDcf) dcf = download_dcf_parse (file, NULL);
  g_autoptr(GPtrArray) mtks = g_ptr_array_new_with_free_func ((GDestroyNotify) mgv_mtk_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) none = NULL, out = NULL;

  g_ptr_array_add (mtks, mtk_with (8, dcf_test_auth_key));
  none = download_dcf_open_with (dcf, file, mtks, &error);
  g_assert_null (none);
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_KEY);
  g_clear_error (&error);
  g_ptr_array_add (mtks, mtk_with (7, dcf_test_auth_key));
  out = download_dcf_open_with (dcf, file, mtks, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), plaintext, strlen (plaintext));
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/download/dcf/fields", test_fields);
  g_test_add_func ("/download/dcf/opens-cbc-ctr-null", test_opens);
  g_test_add_func ("/download/dcf/tampered-anywhere-refused", test_tampered_anywhere);
  g_test_add_func ("/download/dcf/wrong-key-refused", test_wrong_key);
  g_test_add_func ("/download/dcf/refused", test_refused);
  g_test_add_func ("/download/dcf/truncated-everywhere", test_truncated_everywhere);
  g_test_add_func ("/download/dcf/box-size-beyond-file", test_box_sizes);
  g_test_add_func ("/download/dcf/open-with-session-mtks", test_open_with_mtks);
  return g_test_run ();
}
