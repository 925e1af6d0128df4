/* DCFs of MBMS download (TS 33.246 6.6.3.2) built here from the box layouts (ISO/IEC 14496-12
 * Box/FullBox, the OMA DRM v2 DCF boxes, our reading of 'obki'), encrypted and signed with
 * OpenSSL directly: opened byte for byte with the right keys; refused when tampered anywhere
 * in the signed range, signed with another key, unsigned, truncated, or outside the profile. */
#include "download.h"
#include "test-util.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* SHAPE (...) overrides the defaults it starts from, on purpose */
#pragma GCC diagnostic ignored "-Woverride-init"

static const guint8 encr_key[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                     0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
static const guint8 auth_key[20] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9,
                                     0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3 };
static const guint8 iv[16] = { 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
                               0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0xff };
/* Key Domain ID 00 f1 10, MSK ID 0x00010002, MTK ID 0x0007 */
static const guint8 key_id_raw[9] = { 0x00, 0xf1, 0x10, 0x00, 0x01, 0x00, 0x02, 0x00, 0x07 };

typedef struct {
  guint8       method;
  guint8       padding;
  guint32      minor;
  guint8       key_id_type;
  guint8       obki_flags;
  const char  *key_id;       /* NULL: base64 of key_id_raw */
  gboolean     no_obki;
  gboolean     no_mdri;
  gboolean     after_mdri;   /* a box after mdri */
  gboolean     largesize;    /* odda with size 1 + largesize */
  guint8       sig_method;
  gint64       plaintext_length_delta;
  const guint8 *sign_key;    /* NULL: auth_key */
} Shape;

static void
put (GByteArray *b, guint64 v, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      guint8 o = (guint8) (v >> (8 * (n - 1 - i)));
      g_byte_array_append (b, &o, 1);
    }
}

static void
box (GByteArray *out, const char *type, gboolean full, const GByteArray *body)
{
  put (out, 8 + (full ? 4 : 0) + body->len, 4);
  g_byte_array_append (out, (const guint8 *) type, 4);
  if (full)
    put (out, 0, 4);
  g_byte_array_append (out, body->data, body->len);
}

static GByteArray *
encrypt (const Shape *s, const guint8 *plain, gsize len)
{
  GByteArray *out = g_byte_array_new ();
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  guint8 *buf = g_malloc (len + 32);
  int n1 = 0, n2 = 0;

  if (s->method == DOWNLOAD_DCF_ENC_NULL)
    {
      g_byte_array_append (out, plain, (guint) len);
      goto done;
    }
  g_assert_cmpint (EVP_EncryptInit_ex (ctx, s->method == DOWNLOAD_DCF_ENC_AES_CBC ? EVP_aes_128_cbc () : EVP_aes_128_ctr (),
                                       NULL, encr_key, iv), ==, 1);
  EVP_CIPHER_CTX_set_padding (ctx, s->padding == DOWNLOAD_DCF_PAD_RFC2630);
  g_assert_cmpint (EVP_EncryptUpdate (ctx, buf, &n1, plain, (int) len), ==, 1);
  g_assert_cmpint (EVP_EncryptFinal_ex (ctx, buf + n1, &n2), ==, 1);
  g_byte_array_append (out, iv, sizeof iv);
  g_byte_array_append (out, buf, (guint) (n1 + n2));
done:
  EVP_CIPHER_CTX_free (ctx);
  g_free (buf);
  return out;
}

static GBytes *
build_dcf (const Shape *s, const char *plaintext)
{
  gsize plen = strlen (plaintext);
  g_autoptr(GByteArray) file = g_byte_array_new ();
  g_autoptr(GByteArray) ftyp = g_byte_array_new (), odrm = g_byte_array_new (), odhe = g_byte_array_new ();
  g_autoptr(GByteArray) ohdr = g_byte_array_new (), obki = g_byte_array_new (), odda = g_byte_array_new ();
  g_autoptr(GByteArray) mdri = g_byte_array_new (), odfs = g_byte_array_new ();
  g_autoptr(GByteArray) data = encrypt (s, (const guint8 *) plaintext, plen);
  g_autofree char *b64 = g_base64_encode (key_id_raw, sizeof key_id_raw);
  const char *key_id = s->key_id != NULL ? s->key_id : b64;
  static const char cid[] = "cid:today@lab.example", th[] = "Content-Name:today";
  guint8 mac[20];
  unsigned int mac_len = 0;

  g_byte_array_append (ftyp, (const guint8 *) "odcf", 4);
  put (ftyp, s->minor, 4);
  g_byte_array_append (ftyp, (const guint8 *) "odcf", 4);
  box (file, "ftyp", FALSE, ftyp);

  put (obki, s->obki_flags, 1);
  put (obki, s->key_id_type, 1);
  put (obki, strlen (key_id), 2);
  g_byte_array_append (obki, (const guint8 *) key_id, (guint) strlen (key_id));
  if (s->obki_flags & 0x80)
    {
      put (obki, 20, 2);
      g_byte_array_append (obki, (const guint8 *) "http://keys.example/", 20);
    }

  put (ohdr, s->method, 1);
  put (ohdr, s->padding, 1);
  put (ohdr, (guint64) ((gint64) plen + s->plaintext_length_delta), 8);
  put (ohdr, strlen (cid), 2);
  put (ohdr, 0, 2);
  put (ohdr, strlen (th), 2);
  g_byte_array_append (ohdr, (const guint8 *) cid, strlen (cid));
  g_byte_array_append (ohdr, (const guint8 *) th, strlen (th));
  if (!s->no_obki)
    box (ohdr, "obki", TRUE, obki);

  put (odhe, 10, 1);
  g_byte_array_append (odhe, (const guint8 *) "text/plain", 10);
  box (odhe, "ohdr", TRUE, ohdr);
  box (odrm, "odhe", TRUE, odhe);
  if (s->largesize)
    {
      put (odrm, 1, 4);
      g_byte_array_append (odrm, (const guint8 *) "odda", 4);
      put (odrm, 16 + 4 + 8 + data->len, 8);
      put (odrm, 0, 4);
      put (odrm, data->len, 8);
      g_byte_array_append (odrm, data->data, data->len);
    }
  else
    {
      put (odda, data->len, 8);
      g_byte_array_append (odda, data->data, data->len);
      box (odrm, "odda", TRUE, odda);
    }
  box (file, "odrm", TRUE, odrm);

  if (!s->no_mdri)
    {
      HMAC (EVP_sha1 (), s->sign_key != NULL ? s->sign_key : auth_key, 20, file->data, file->len, mac, &mac_len);
      put (odfs, s->sig_method, 1);
      g_byte_array_append (odfs, mac, mac_len);
      box (mdri, "odfs", TRUE, odfs);
      box (file, "mdri", FALSE, mdri);
    }
  if (s->after_mdri)
    {
      g_autoptr(GByteArray) free_box = g_byte_array_new ();
      box (file, "free", FALSE, free_box);
    }
  return g_bytes_new (file->data, file->len);
}

#define SHAPE(...) ((Shape) { .method = DOWNLOAD_DCF_ENC_AES_CBC, .padding = DOWNLOAD_DCF_PAD_RFC2630, \
                              .minor = 2, .key_id_type = 2, .sig_method = 1, __VA_ARGS__ })

static const char plaintext[] = "The protected news of today: FLUTE delivered it, the MTK opened it.\n";

static GBytes *
open_dcf (GBytes *file, GError **error)
{
  g_autoptr(GbaSecret) ek = gba_secret_new (encr_key, sizeof encr_key);
  g_autoptr(GbaSecret) ak = gba_secret_new (auth_key, sizeof auth_key);
  g_autoptr(DownloadDcf) dcf = download_dcf_parse (file, error);

  if (dcf == NULL)
    return NULL;
  return download_dcf_open (dcf, file, ek, ak, error);
}

static void
check_opens (Shape s)
{
  g_autoptr(GBytes) file = build_dcf (&s, plaintext);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = open_dcf (file, &error);

  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), plaintext, strlen (plaintext));
}

static void
test_fields (void)
{
  Shape s = SHAPE (.obki_flags = 0x80);
  g_autoptr(GBytes) file = build_dcf (&s, plaintext);
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
  check_opens (SHAPE ());
  check_opens (SHAPE (.method = DOWNLOAD_DCF_ENC_AES_CTR, .padding = DOWNLOAD_DCF_PAD_NONE));
  check_opens (SHAPE (.method = DOWNLOAD_DCF_ENC_NULL, .padding = DOWNLOAD_DCF_PAD_NONE));
  check_opens (SHAPE (.largesize = TRUE));
}

static void
test_tampered_anywhere (void)
{
  Shape s = SHAPE ();
  g_autoptr(GBytes) file = build_dcf (&s, plaintext);
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
  Shape s = SHAPE (.sign_key = other);
  g_autoptr(GBytes) file = build_dcf (&s, plaintext);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = open_dcf (file, &error);

  g_assert_null (out);
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_AUTH);
}

static void
test_refused (void)
{
  struct { const char *what; Shape s; int code; } cases[] = {
    { "minor version 1", SHAPE (.minor = 1), DOWNLOAD_ERROR_UNSUPPORTED },
    { "KeyIDType 1", SHAPE (.key_id_type = 1), DOWNLOAD_ERROR_UNSUPPORTED },
    { "STKM present", SHAPE (.obki_flags = 0x40), DOWNLOAD_ERROR_MALFORMED },
    { "TBK present", SHAPE (.obki_flags = 0x20), DOWNLOAD_ERROR_MALFORMED },
    { "KeyID not base64", SHAPE (.key_id = "not base64!!"), DOWNLOAD_ERROR_MALFORMED },
    { "KeyID of 6 octets", SHAPE (.key_id = "AAECAwQF"), DOWNLOAD_ERROR_MALFORMED },
    { "no obki", SHAPE (.no_obki = TRUE), DOWNLOAD_ERROR_MALFORMED },
    { "no mdri", SHAPE (.no_mdri = TRUE), DOWNLOAD_ERROR_AUTH },
    { "a box after mdri", SHAPE (.after_mdri = TRUE), DOWNLOAD_ERROR_MALFORMED },
    { "EncryptionMethod 3", SHAPE (.method = 3), DOWNLOAD_ERROR_UNSUPPORTED },
    { "CTR with padding", SHAPE (.method = DOWNLOAD_DCF_ENC_AES_CTR), DOWNLOAD_ERROR_MALFORMED },
    { "SignatureMethod NULL", SHAPE (.sig_method = 0), DOWNLOAD_ERROR_AUTH },
    { "PlaintextLength one more", SHAPE (.plaintext_length_delta = 1), DOWNLOAD_ERROR_MALFORMED },
    { "PlaintextLength one less", SHAPE (.plaintext_length_delta = -1), DOWNLOAD_ERROR_MALFORMED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) file = build_dcf (&cases[i].s, plaintext);
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
  Shape s = SHAPE ();
  g_autoptr(GBytes) file = build_dcf (&s, plaintext);
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
  Shape s = SHAPE ();
  g_autoptr(GBytes) file = build_dcf (&s, plaintext);
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

  memcpy (m->domain, key_id_raw, 3);
  m->msk_id = 0x00010002;
  m->mtk_id = mtk_id;
  m->mtk = gba_secret_new_random (16);
  m->encr_key = gba_secret_new (encr_key, sizeof encr_key);
  m->auth_key = gba_secret_new (ak, 20);
  return m;
}

static void
test_open_with_mtks (void)
{
  Shape s = SHAPE ();
  g_autoptr(GBytes) file = build_dcf (&s, plaintext);
  g_autoptr(DownloadDcf) dcf = download_dcf_parse (file, NULL);
  g_autoptr(GPtrArray) mtks = g_ptr_array_new_with_free_func ((GDestroyNotify) mgv_mtk_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) none = NULL, out = NULL;

  g_ptr_array_add (mtks, mtk_with (8, auth_key));
  none = download_dcf_open_with (dcf, file, mtks, &error);
  g_assert_null (none);
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_KEY);
  g_clear_error (&error);
  g_ptr_array_add (mtks, mtk_with (7, auth_key));
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
