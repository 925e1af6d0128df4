/* MIKEY key derivation (RFC 3830 4.1.2-4.1.4) and KEMAC protection (RFC 3830 4.2.3, 4.2.4,
 * 5.2, 6.2), as TS 33.246 6.4.1 uses them: pre-shared key = MUK for MSK messages and MSK for
 * MTK messages, 160-bit authentication key, AES-CM-128 and HMAC-SHA-1-160. */
#include "mikey-reader.h"

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <string.h>

#define MIKEY_PRF_PIECE      32 /* 256-bit pieces of the inkey, RFC 3830 4.1.2 */
#define MIKEY_SHA1_LEN       20
#define MIKEY_ENCR_KEY_LEN   16 /* AES-CM-128 */
#define MIKEY_AUTH_KEY_LEN   20 /* TS 33.246 6.4.1: 160 bits */
#define MIKEY_SALT_LEN       14 /* 112 bits, RFC 3830 4.2.3 */

/* RFC 3830 4.1.4 constants for keys from the pre-shared (envelope) key. */
#define MIKEY_PSK_CONST_ENCR 0x150533E1u
#define MIKEY_PSK_CONST_AUTH 0x2D22AC75u
#define MIKEY_PSK_CONST_SALT 0x29B88916u
#define MIKEY_PSK_CS_ID      0xFF

void
mikey_hmac_sha1 (const GbaSecret *key, const guint8 *data, gsize len, guint8 mac[MIKEY_MAC_LEN])
{
  gsize key_len, out_len = 0;
  const guint8 *k = gba_secret_get_data (key, &key_len);

  if (EVP_Q_mac (NULL, "HMAC", NULL, "SHA1", NULL, k, key_len, data, len, mac, MIKEY_MAC_LEN, &out_len) == NULL
      || out_len != MIKEY_MAC_LEN)
    g_error ("OpenSSL HMAC-SHA-1 failed");
}

/* P(s, label, m) of RFC 3830 4.1.2, XORed into out (m * 20 octets). */
static void
prf_p_xor (const guint8 *s, gsize s_len, const guint8 *label, gsize label_len, guint m, guint8 *out)
{
  g_autoptr(GbaSecret) key = gba_secret_new (s, s_len);
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  guint8 a[MIKEY_SHA1_LEN], block[MIKEY_SHA1_LEN];

  /* A_0 = label, A_i = HMAC(s, A_(i-1)) */
  mikey_hmac_sha1 (key, label, label_len, a);
  for (guint i = 0; i < m; i++)
    {
      g_byte_array_set_size (buf, 0);
      g_byte_array_append (buf, a, sizeof a);
      g_byte_array_append (buf, label, (guint) label_len);
      mikey_hmac_sha1 (key, buf->data, buf->len, block);
      for (guint j = 0; j < MIKEY_SHA1_LEN; j++)
        out[i * MIKEY_SHA1_LEN + j] ^= block[j];
      mikey_hmac_sha1 (key, a, sizeof a, a);
    }
  gba_wipe (a, sizeof a);
  gba_wipe (block, sizeof block);
}

GbaSecret *
mikey_prf (const GbaSecret *inkey, const guint8 *label, gsize label_len, gsize outkey_len)
{
  gsize in_len;
  const guint8 *in = gba_secret_get_data (inkey, &in_len);
  guint m = (guint) ((outkey_len + MIKEY_SHA1_LEN - 1) / MIKEY_SHA1_LEN);
  g_autoptr(GbaSecret) acc = gba_secret_new_zeroed (m * MIKEY_SHA1_LEN);
  guint8 *out = gba_secret_get_mutable (acc, NULL);

  /* inkey = s_1 || ... || s_n in 256-bit pieces, the last possibly shorter */
  for (gsize off = 0; off < in_len || (off == 0 && in_len == 0); off += MIKEY_PRF_PIECE)
    {
      prf_p_xor (in + off, MIN (MIKEY_PRF_PIECE, in_len - off), label, label_len, m, out);
      if (in_len == 0)
        break;
    }
  return gba_secret_new (out, outkey_len);
}

static gsize
psk_label (guint8 *label, guint32 constant, guint8 cs_id, guint32 csb_id, GBytes *rand)
{
  gsize rand_len = rand != NULL ? g_bytes_get_size (rand) : 0;

  label[0] = (guint8) (constant >> 24);
  label[1] = (guint8) (constant >> 16);
  label[2] = (guint8) (constant >> 8);
  label[3] = (guint8) constant;
  label[4] = cs_id;
  label[5] = (guint8) (csb_id >> 24);
  label[6] = (guint8) (csb_id >> 16);
  label[7] = (guint8) (csb_id >> 8);
  label[8] = (guint8) csb_id;
  if (rand_len > 0)
    memcpy (label + 9, g_bytes_get_data (rand, NULL), rand_len);
  return 9 + rand_len;
}

GbaSecret *
mikey_derive_tgk_key (const GbaSecret *tgk, guint32 constant, guint8 cs_id, guint32 csb_id, GBytes *rand,
                      gsize len)
{
  g_autofree guint8 *label = g_malloc (9 + (rand ? g_bytes_get_size (rand) : 0));
  gsize label_len = psk_label (label, constant, cs_id, csb_id, rand);

  /* RFC 3830 4.1.3: label = constant || cs_id || csb_id || RAND */
  return mikey_prf (tgk, label, label_len, len);
}

void
mikey_derive_kemac_keys (const GbaSecret *psk, guint32 csb_id, GBytes *rand, MikeyKemacKeys *out)
{
  /* RFC 3830 4.1.4: label = constant || 0xFF || csb_id || RAND */
  out->encr_key = mikey_derive_tgk_key (psk, MIKEY_PSK_CONST_ENCR, MIKEY_PSK_CS_ID, csb_id, rand, MIKEY_ENCR_KEY_LEN);
  out->auth_key = mikey_derive_tgk_key (psk, MIKEY_PSK_CONST_AUTH, MIKEY_PSK_CS_ID, csb_id, rand, MIKEY_AUTH_KEY_LEN);
  out->salt = mikey_derive_tgk_key (psk, MIKEY_PSK_CONST_SALT, MIKEY_PSK_CS_ID, csb_id, rand, MIKEY_SALT_LEN);
}

void
mikey_kemac_keys_clear (MikeyKemacKeys *keys)
{
  g_clear_pointer (&keys->encr_key, gba_secret_unref);
  g_clear_pointer (&keys->auth_key, gba_secret_unref);
  g_clear_pointer (&keys->salt, gba_secret_unref);
}

guint64
mikey_iv_timestamp (const MikeyMessage *msg)
{
  /* A 32-bit counter (TS type 2) fills T as an unsigned 64-bit integer: 0x00000000 || counter.
   * See docs/interpretations.md, RFC 3830 4.2.3 and TS 33.246 6.4.3. */
  return msg->ts_value;
}

void
mikey_aes_cm (const GbaSecret *key, const GbaSecret *salt, guint32 csb_id, guint64 t, guint8 *data, gsize len)
{
  const guint8 *s = gba_secret_get_data (salt, NULL);
  guint8 iv[16] = { 0 };
  guint8 x[14] = { 0 };
  EVP_CIPHER_CTX *ctx;
  EVP_CIPHER *aes;
  int out_len = 0;

  if (len == 0)
    return;
  /* IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000, RFC 3830 4.2.3 */
  for (int i = 0; i < 4; i++)
    x[2 + i] = (guint8) (csb_id >> (24 - 8 * i));
  for (int i = 0; i < 8; i++)
    x[6 + i] = (guint8) (t >> (56 - 8 * i));
  for (int i = 0; i < 14; i++)
    iv[i] = s[i] ^ x[i];

  aes = EVP_CIPHER_fetch (NULL, "AES-128-CTR", NULL);
  ctx = EVP_CIPHER_CTX_new ();
  if (aes == NULL || ctx == NULL
      || EVP_EncryptInit_ex2 (ctx, aes, gba_secret_get_data (key, NULL), iv, NULL) != 1
      || EVP_EncryptUpdate (ctx, data, &out_len, data, (int) len) != 1 || (gsize) out_len != len)
    g_error ("OpenSSL AES-128-CTR failed");
  EVP_CIPHER_CTX_free (ctx);
  EVP_CIPHER_free (aes);
}

void
mikey_key_data_free (MikeyKeyData *kd)
{
  if (kd == NULL)
    return;
  gba_secret_unref (kd->key);
  gba_secret_unref (kd->salt);
  g_clear_pointer (&kd->spi, g_bytes_unref);
  g_clear_pointer (&kd->valid_from, g_bytes_unref);
  g_clear_pointer (&kd->valid_to, g_bytes_unref);
  g_free (kd);
}

static gboolean
parse_kv (MikeyReader *r, MikeyKeyData *kd, GError **error)
{
  guint8 len;

  switch (kd->kv)
    {
    case MIKEY_KV_NULL:
      return TRUE;
    case MIKEY_KV_SPI:
      return mikey_reader_u8 (r, &len, "Key data SPI length", error)
             && (kd->spi = mikey_reader_bytes (r, len, "Key data SPI", error)) != NULL;
    case MIKEY_KV_INTERVAL:
      return mikey_reader_u8 (r, &len, "Key data VF length", error)
             && (kd->valid_from = mikey_reader_bytes (r, len, "Key data Valid From", error)) != NULL
             && mikey_reader_u8 (r, &len, "Key data VT length", error)
             && (kd->valid_to = mikey_reader_bytes (r, len, "Key data Valid To", error)) != NULL;
    default:
      return mikey_fail (error, MIKEY_ERROR_MALFORMED, "Key data KV type %u at offset %zu", kd->kv, r->off);
    }
}

/* Key data sub-payloads (RFC 3830 6.13) in the decrypted KEMAC. Offsets count from the start
 * of the encrypted data. */
static GPtrArray *
parse_key_data (const guint8 *plain, gsize len, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) mikey_key_data_free);
  MikeyReader r;
  guint8 next = len > 0 ? MIKEY_PAYLOAD_KEY_DATA : MIKEY_PAYLOAD_LAST;

  mikey_reader_init (&r, plain, len, 0);
  while (next != MIKEY_PAYLOAD_LAST)
    {
      MikeyKeyData *kd = g_new0 (MikeyKeyData, 1);
      guint8 type_kv;
      guint16 key_len, salt_len;
      const guint8 *p;

      g_ptr_array_add (out, kd);
      if (next != MIKEY_PAYLOAD_KEY_DATA)
        {
          mikey_fail (error, MIKEY_ERROR_MALFORMED, "KEMAC holds payload %u, expected Key data", next);
          return NULL;
        }
      if (!mikey_reader_u8 (&r, &next, "Key data next payload", error)
          || !mikey_reader_u8 (&r, &type_kv, "Key data type/KV", error)
          || !mikey_reader_u16 (&r, &key_len, "Key data length", error)
          || !mikey_reader_take (&r, key_len, &p, "Key data", error))
        return NULL;
      kd->type = type_kv >> 4;
      kd->kv = type_kv & 0x0f;
      if (kd->type > MIKEY_KEY_TEK_SALT)
        {
          mikey_fail (error, MIKEY_ERROR_MALFORMED, "Key data type %u", kd->type);
          return NULL;
        }
      kd->key = key_len > 0 ? gba_secret_new (p, key_len) : NULL;
      if (kd->type == MIKEY_KEY_TGK_SALT || kd->type == MIKEY_KEY_TEK_SALT)
        {
          if (!mikey_reader_u16 (&r, &salt_len, "Key data salt length", error)
              || !mikey_reader_take (&r, salt_len, &p, "Key data salt", error))
            return NULL;
          kd->salt = gba_secret_new (p, salt_len);
        }
      if (!parse_kv (&r, kd, error))
        return NULL;
    }
  if (r.left != 0)
    {
      mikey_fail (error, MIKEY_ERROR_MALFORMED, "%zu octets after the last Key data", r.left);
      return NULL;
    }
  return g_steal_pointer (&out);
}

GPtrArray *
mikey_kemac_open (const MikeyMessage *msg, const MikeyKemacKeys *keys, GError **error)
{
  guint8 mac[MIKEY_MAC_LEN];
  gsize raw_len, enc_len;
  const guint8 *raw = g_bytes_get_data (msg->raw, &raw_len);
  const guint8 *enc;
  g_autoptr(GbaSecret) plain = NULL;
  GPtrArray *out;

  if (!msg->has_kemac)
    {
      mikey_fail (error, MIKEY_ERROR_MALFORMED, "no KEMAC payload");
      return NULL;
    }
  /* RFC 3830 5.2: the MAC covers the whole message up to the MAC field (extensions included) */
  mikey_hmac_sha1 (keys->auth_key, raw, msg->mac_offset, mac);
  if (CRYPTO_memcmp (mac, g_bytes_get_data (msg->mac, NULL), MIKEY_MAC_LEN) != 0)
    {
      mikey_fail (error, MIKEY_ERROR_AUTH, "KEMAC MAC does not verify (CSB ID 0x%08x)", msg->csb_id);
      return NULL;
    }
  enc = g_bytes_get_data (msg->encr_data, &enc_len);
  plain = gba_secret_new (enc, enc_len);
  mikey_aes_cm (keys->encr_key, keys->salt, msg->csb_id, mikey_iv_timestamp (msg),
                gba_secret_get_mutable (plain, NULL), enc_len);
  out = parse_key_data (gba_secret_get_data (plain, NULL), enc_len, error);
  return out;
}
