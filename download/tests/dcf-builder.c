/* DCFs built for the tests from the box layouts, with OpenSSL directly. */
#include "dcf-builder.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

const guint8 dcf_test_encr_key[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                     0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
const guint8 dcf_test_auth_key[20] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9,
                                     0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3 };
static const guint8 iv[16] = { 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
                               0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0xff };
/* Key Domain ID 00 f1 10, MSK ID 0x00010002, MTK ID 0x0007 */
const guint8 dcf_test_key_id[9] = { 0x00, 0xf1, 0x10, 0x00, 0x01, 0x00, 0x02, 0x00, 0x07 };


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
encrypt (const DcfShape *s, const guint8 *plain, gsize len)
{
  GByteArray *out = g_byte_array_new ();
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  guint8 *buf = g_malloc (len + 32);
  int n1 = 0, n2 = 0;

  if (s->method == 0 /* NULL */)
    {
      g_byte_array_append (out, plain, (guint) len);
      goto done;
    }
  g_assert_cmpint (EVP_EncryptInit_ex (ctx, s->method == 1 /* AES_128_CBC */ ? EVP_aes_128_cbc () : EVP_aes_128_ctr (),
                                       NULL, s->encr_key != NULL ? s->encr_key : dcf_test_encr_key, iv), ==, 1);
  EVP_CIPHER_CTX_set_padding (ctx, s->padding == 1 /* RFC_2630 */);
  g_assert_cmpint (EVP_EncryptUpdate (ctx, buf, &n1, plain, (int) len), ==, 1);
  g_assert_cmpint (EVP_EncryptFinal_ex (ctx, buf + n1, &n2), ==, 1);
  g_byte_array_append (out, iv, sizeof iv);
  g_byte_array_append (out, buf, (guint) (n1 + n2));
done:
  EVP_CIPHER_CTX_free (ctx);
  g_free (buf);
  return out;
}

GBytes *
dcf_build (const DcfShape *s, const guint8 *plaintext, gsize plen)
{
  g_autoptr(GByteArray) file = g_byte_array_new ();
  g_autoptr(GByteArray) ftyp = g_byte_array_new (), odrm = g_byte_array_new (), odhe = g_byte_array_new ();
  g_autoptr(GByteArray) ohdr = g_byte_array_new (), obki = g_byte_array_new (), odda = g_byte_array_new ();
  g_autoptr(GByteArray) mdri = g_byte_array_new (), odfs = g_byte_array_new ();
  g_autoptr(GByteArray) data = encrypt (s, plaintext, plen);
  g_autofree char *b64 = g_base64_encode (s->key_id_raw != NULL ? s->key_id_raw : dcf_test_key_id, 9);
  const char *key_id = s->key_id != NULL ? s->key_id : b64;
  static const char cid[] = "cid:today@lab.example", th[] = "Content-Name:today";
  const char *ctype = s->content_type != NULL ? s->content_type : "text/plain";
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

  put (odhe, strlen (ctype), 1);
  g_byte_array_append (odhe, (const guint8 *) ctype, (guint) strlen (ctype));
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
      HMAC (EVP_sha1 (), s->sign_key != NULL ? s->sign_key : dcf_test_auth_key, 20, file->data, file->len, mac, &mac_len);
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

