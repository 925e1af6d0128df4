/* Keys of MBMS download protection from the MTK, TS 33.246 6.5.4: "key derivation as defined in
 * section 4.1.3 of RFC 3830 ... cs_id shall be set to 0x00000000". The PRF is RFC 3830 4.1.2's,
 * written here from the RFC for the lab so that it checks mbmsd's own (mgv) rather than
 * sharing it. */
#include "lab-dcf.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

/* RFC 3830 4.1.3, table of constants */
#define RFC3830_CONST_AUTH 0x1B5C7973u
#define RFC3830_CONST_ENCR 0x15798CEFu
#define RFC3830_PIECE      32 /* inkey is cut into 256-bit pieces, 4.1.2 */
#define SHA1_LEN           20

/* P (s, label, m) of RFC 3830 4.1.2: A_0 = label, A_i = HMAC (s, A_{i-1}),
 * P = HMAC (s, A_1 || label) || ... || HMAC (s, A_m || label), XORed into out. */
static void
p_sha1_xor (const guint8 *s, gsize s_len, const guint8 *label, gsize label_len, guint m, guint8 *out)
{
  g_autofree guint8 *buf = g_malloc (SHA1_LEN + label_len);
  guint8 a[SHA1_LEN], block[SHA1_LEN];
  unsigned int len = 0;

  HMAC (EVP_sha1 (), s, (int) s_len, label, label_len, a, &len);
  for (guint i = 0; i < m; i++)
    {
      memcpy (buf, a, SHA1_LEN);
      memcpy (buf + SHA1_LEN, label, label_len);
      HMAC (EVP_sha1 (), s, (int) s_len, buf, SHA1_LEN + label_len, block, &len);
      for (guint j = 0; j < SHA1_LEN; j++)
        out[i * SHA1_LEN + j] ^= block[j];
      HMAC (EVP_sha1 (), s, (int) s_len, a, SHA1_LEN, block, &len);
      memcpy (a, block, SHA1_LEN);
    }
  OPENSSL_cleanse (a, sizeof a);
  OPENSSL_cleanse (block, sizeof block);
}

static GbaSecret *
prf (const GbaSecret *inkey, guint32 constant, guint32 csb_id, GBytes *rand, gsize outkey_len)
{
  gsize in_len, rand_len = rand != NULL ? g_bytes_get_size (rand) : 0;
  const guint8 *in = gba_secret_get_data (inkey, &in_len);
  guint m = (guint) ((outkey_len + SHA1_LEN - 1) / SHA1_LEN);
  g_autofree guint8 *label = g_malloc (9 + rand_len);
  g_autoptr(GbaSecret) acc = gba_secret_new_zeroed (m * SHA1_LEN);
  guint8 *out = gba_secret_get_mutable (acc, NULL);

  /* label = constant || cs_id || csb_id || RAND, cs_id 0 (TS 33.246 6.5.4) */
  label[0] = (guint8) (constant >> 24);
  label[1] = (guint8) (constant >> 16);
  label[2] = (guint8) (constant >> 8);
  label[3] = (guint8) constant;
  label[4] = 0x00;
  label[5] = (guint8) (csb_id >> 24);
  label[6] = (guint8) (csb_id >> 16);
  label[7] = (guint8) (csb_id >> 8);
  label[8] = (guint8) csb_id;
  if (rand_len > 0)
    memcpy (label + 9, g_bytes_get_data (rand, NULL), rand_len);
  for (gsize off = 0; off < in_len; off += RFC3830_PIECE)
    p_sha1_xor (in + off, MIN (RFC3830_PIECE, in_len - off), label, 9 + rand_len, m, out);
  return gba_secret_new (out, outkey_len);
}

void
lab_dcf_keys_derive (const GbaSecret *mtk, guint32 csb_id, GBytes *rand, LabDcfKeys *out)
{
  out->encr_key = prf (mtk, RFC3830_CONST_ENCR, csb_id, rand, LAB_DCF_ENCR_KEY_LEN);
  out->auth_key = prf (mtk, RFC3830_CONST_AUTH, csb_id, rand, LAB_DCF_AUTH_KEY_LEN);
}

void
lab_dcf_keys_clear (LabDcfKeys *keys)
{
  g_clear_pointer (&keys->encr_key, gba_secret_unref);
  g_clear_pointer (&keys->auth_key, gba_secret_unref);
}
