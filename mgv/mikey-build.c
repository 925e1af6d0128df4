/* Building MIKEY messages of the TS 33.246 profile: the MSK message (6.4.5.1, Figure 6.5),
 * the MTK message (6.4.5.3, Figure 6.7) and the verification message (6.4.5.2). The lab
 * BM-SC sends the first two; the UE sends the third. */
#include "mikey-reader.h"

#include <openssl/crypto.h>
#include <string.h>

#define MIKEY_SEQ_OCTETS 2 /* KV interval bounds are MTK IDs (16 bits), docs/interpretations.md */

typedef struct {
  guint8      type;
  GByteArray *body; /* the payload without its next-payload octet */
} Payload;

static void
put_u16 (GByteArray *b, guint16 v)
{
  guint8 x[2] = { (guint8) (v >> 8), (guint8) v };
  g_byte_array_append (b, x, 2);
}

static void
put_u32 (GByteArray *b, guint32 v)
{
  guint8 x[4] = { (guint8) (v >> 24), (guint8) (v >> 16), (guint8) (v >> 8), (guint8) v };
  g_byte_array_append (b, x, 4);
}

static void
put_u8 (GByteArray *b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

static GByteArray *
add_payload (GArray *payloads, guint8 type)
{
  Payload p = { type, g_byte_array_new () };

  g_array_append_val (payloads, p);
  return p.body;
}

static void
payload_clear (Payload *p)
{
  gba_wipe (p->body->data, p->body->len);
  g_byte_array_unref (p->body);
}

/* HDR (RFC 3830 6.1) followed by the payloads, each with its next-payload octet. */
static GByteArray *
serialize (guint8 data_type, gboolean v_bit, guint32 csb_id, const MikeyBuildParams *p, GArray *payloads)
{
  GByteArray *out = g_byte_array_new ();

  put_u8 (out, MIKEY_VERSION);
  put_u8 (out, data_type);
  put_u8 (out, payloads->len > 0 ? g_array_index (payloads, Payload, 0).type : MIKEY_PAYLOAD_LAST);
  put_u8 (out, (guint8) ((v_bit ? 0x80 : 0) | MIKEY_PRF_MIKEY_1));
  put_u32 (out, csb_id);
  if (p != NULL && p->streaming)
    {
      /* TS 33.246 6.4.5.1: streaming MSK messages carry one CS with the SRTP-ID map */
      put_u8 (out, 1);
      put_u8 (out, MIKEY_MAP_SRTP_ID);
      put_u8 (out, p->policy_no);
      put_u32 (out, p->ssrc);
      put_u32 (out, p->roc);
    }
  else
    {
      put_u8 (out, 0);
      put_u8 (out, MIKEY_MAP_EMPTY);
    }
  for (guint i = 0; i < payloads->len; i++)
    {
      Payload *pl = &g_array_index (payloads, Payload, i);
      guint8 next = i + 1 < payloads->len ? g_array_index (payloads, Payload, i + 1).type : MIKEY_PAYLOAD_LAST;

      put_u8 (out, next);
      g_byte_array_append (out, pl->body->data, pl->body->len);
    }
  return out;
}

static void
add_key_id_ext (GArray *payloads, const MikeyBuildParams *p, gboolean with_mtk)
{
  GByteArray *b = add_payload (payloads, MIKEY_PAYLOAD_GEN_EXT);
  GByteArray *ids = g_byte_array_new ();

  /* RFC 4563 Key ID sub-payloads in the order of TS 33.246 6.4.4 */
  put_u8 (ids, MIKEY_KEY_ID_DOMAIN);
  put_u8 (ids, 3);
  g_byte_array_append (ids, p->domain, 3);
  put_u8 (ids, MIKEY_KEY_ID_MSK);
  put_u8 (ids, 4);
  put_u32 (ids, p->msk_id);
  if (with_mtk)
    {
      put_u8 (ids, MIKEY_KEY_ID_MTK);
      put_u8 (ids, 2);
      put_u16 (ids, p->mtk_id);
    }
  put_u8 (b, MIKEY_EXT_KEY_ID);
  put_u16 (b, (guint16) ids->len);
  g_byte_array_append (b, ids->data, ids->len);
  g_byte_array_unref (ids);

  for (guint i = 0; p->extra_extensions != NULL && i < p->extra_extensions->len; i++)
    {
      MikeyExtension *ext = g_ptr_array_index (p->extra_extensions, i);
      gsize len;
      const guint8 *data = g_bytes_get_data (ext->data, &len);
      GByteArray *eb = add_payload (payloads, MIKEY_PAYLOAD_GEN_EXT);

      put_u8 (eb, ext->type);
      put_u16 (eb, (guint16) len);
      g_byte_array_append (eb, data, (guint) len);
    }
}

static void
add_t (GArray *payloads, guint32 counter)
{
  GByteArray *b = add_payload (payloads, MIKEY_PAYLOAD_T);

  put_u8 (b, MIKEY_TS_COUNTER);
  put_u32 (b, counter);
}

static void
add_id (GArray *payloads, const char *id)
{
  GByteArray *b = add_payload (payloads, MIKEY_PAYLOAD_ID);

  put_u8 (b, MIKEY_ID_NAI); /* TS 33.246 6.4.5.1: ID type 0 for IDi and IDr */
  put_u16 (b, (guint16) strlen (id));
  g_byte_array_append (b, (const guint8 *) id, (guint) strlen (id));
}

/* The Key data sub-payload (RFC 3830 6.13), plaintext. */
static GByteArray *
key_data (guint8 type, guint8 kv, const GbaSecret *key, const GbaSecret *salt, guint32 seq_low, guint32 seq_high)
{
  GByteArray *b = g_byte_array_new ();
  gsize len = key != NULL ? gba_secret_get_size (key) : 0;

  put_u8 (b, MIKEY_PAYLOAD_LAST);
  put_u8 (b, (guint8) (type << 4 | kv));
  put_u16 (b, (guint16) len);
  if (len > 0)
    g_byte_array_append (b, gba_secret_get_data (key, NULL), (guint) len);
  if (type == MIKEY_KEY_TEK_SALT || type == MIKEY_KEY_TGK_SALT)
    {
      put_u16 (b, (guint16) gba_secret_get_size (salt));
      g_byte_array_append (b, gba_secret_get_data (salt, NULL), (guint) gba_secret_get_size (salt));
    }
  if (kv == MIKEY_KV_INTERVAL)
    {
      put_u8 (b, MIKEY_SEQ_OCTETS);
      put_u16 (b, (guint16) seq_low);
      put_u8 (b, MIKEY_SEQ_OCTETS);
      put_u16 (b, (guint16) seq_high);
    }
  return b;
}

/* Appends the KEMAC (RFC 3830 6.2) as the last payload and returns the finished message. */
static GBytes *
finish_with_kemac (guint8 data_type, const MikeyBuildParams *p, GArray *payloads, GByteArray *plain,
                   const GbaSecret *psk, GBytes *rand, guint64 t)
{
  MikeyKemacKeys keys = { 0 };
  GByteArray *kemac;
  GByteArray *msg;
  guint8 mac[MIKEY_MAC_LEN];

  mikey_derive_kemac_keys (psk, p->csb_id, rand, &keys);
  mikey_aes_cm (keys.encr_key, keys.salt, p->csb_id, t, plain->data, plain->len);
  kemac = add_payload (payloads, MIKEY_PAYLOAD_KEMAC);
  put_u8 (kemac, MIKEY_ENCR_AES_CM_128);
  put_u16 (kemac, (guint16) plain->len);
  g_byte_array_append (kemac, plain->data, plain->len);
  put_u8 (kemac, MIKEY_MAC_HMAC_SHA1_160);
  msg = serialize (data_type, p->v_bit, p->csb_id, p, payloads);
  mikey_hmac_sha1 (keys.auth_key, msg->data, msg->len, mac);
  g_byte_array_append (msg, mac, sizeof mac);
  mikey_kemac_keys_clear (&keys);
  return g_byte_array_free_to_bytes (msg);
}

GBytes *
mikey_build_msk_message (const MikeyBuildParams *p, const GbaSecret *muk)
{
  g_autoptr(GArray) payloads = g_array_new (FALSE, FALSE, sizeof (Payload));
  g_autoptr(GByteArray) plain = NULL;
  GByteArray *b;
  GBytes *out;

  g_array_set_clear_func (payloads, (GDestroyNotify) payload_clear);
  /* Figure 6.5: HDR, EXT, T, RAND, IDi, IDr, [SP], KEMAC */
  add_key_id_ext (payloads, p, FALSE);
  add_t (payloads, p->ts_counter);
  /* absent inputs leave their payload out: the tests build profile violations this way */
  if (p->rand != NULL)
    {
      b = add_payload (payloads, MIKEY_PAYLOAD_RAND);
      put_u8 (b, (guint8) g_bytes_get_size (p->rand));
      g_byte_array_append (b, g_bytes_get_data (p->rand, NULL), (guint) g_bytes_get_size (p->rand));
    }
  if (p->idi != NULL)
    add_id (payloads, p->idi);
  if (p->idr != NULL)
    add_id (payloads, p->idr);
  if (p->streaming && p->sp_params != NULL)
    {
      b = add_payload (payloads, MIKEY_PAYLOAD_SP);
      put_u8 (b, p->policy_no);
      put_u8 (b, MIKEY_PROT_SRTP);
      put_u16 (b, (guint16) g_bytes_get_size (p->sp_params));
      g_byte_array_append (b, g_bytes_get_data (p->sp_params, NULL), (guint) g_bytes_get_size (p->sp_params));
    }
  /* 6.4.5.1: TEK with a KV interval. No key at all (len 0) for KV-only updates and solicited
   * pull (Key Number 0, 6.3.2.2.4). */
  plain = (p->msk_id & 0xffff) == 0 && p->key == NULL
            ? g_byte_array_new ()
            : key_data (MIKEY_KEY_TEK, MIKEY_KV_INTERVAL, p->key, NULL, p->seq_low, p->seq_high);
  out = finish_with_kemac (MIKEY_TYPE_PSK_INIT, p, payloads, plain, muk, p->rand, p->ts_counter);
  gba_wipe (plain->data, plain->len);
  return out;
}

GBytes *
mikey_build_mtk_message (const MikeyBuildParams *p, const GbaSecret *msk, GBytes *msk_rand)
{
  g_autoptr(GArray) payloads = g_array_new (FALSE, FALSE, sizeof (Payload));
  g_autoptr(GByteArray) plain = NULL;
  MikeyBuildParams q = *p;
  GBytes *out;

  g_array_set_clear_func (payloads, (GDestroyNotify) payload_clear);
  q.streaming = FALSE; /* 6.4.5.3: #CS = 0, Empty map, no SP, whatever the service */
  /* Figure 6.7: HDR, EXT, T, KEMAC; TEK+salt for streaming, TGK for download, KV NULL */
  add_key_id_ext (payloads, p, TRUE);
  add_t (payloads, p->ts_counter);
  plain = key_data (!p->streaming ? MIKEY_KEY_TGK : p->salt != NULL ? MIKEY_KEY_TEK_SALT : MIKEY_KEY_TEK,
                    MIKEY_KV_NULL, p->key, p->salt, 0, 0);
  out = finish_with_kemac (MIKEY_TYPE_PSK_INIT, &q, payloads, plain, msk, msk_rand, p->ts_counter);
  gba_wipe (plain->data, plain->len);
  return out;
}

/* The MAC input of the verification message: response || IDi || IDr || T (RFC 3830 5.2,
 * TS 33.246 6.4.5.2), T as the 4 octets of the counter. */
static void
verification_mac (const GbaSecret *auth_key, const guint8 *msg, gsize len, const char *idi, const char *idr,
                  guint32 ts, guint8 mac[MIKEY_MAC_LEN])
{
  g_autoptr(GByteArray) in = g_byte_array_new ();

  g_byte_array_append (in, msg, (guint) len);
  g_byte_array_append (in, (const guint8 *) idi, (guint) strlen (idi));
  g_byte_array_append (in, (const guint8 *) idr, (guint) strlen (idr));
  put_u32 (in, ts);
  mikey_hmac_sha1 (auth_key, in->data, in->len, mac);
}

GBytes *
mikey_build_verification (guint32 csb_id, guint32 ts_counter, const char *idi, const char *idr,
                          const GbaSecret *auth_key)
{
  g_autoptr(GArray) payloads = g_array_new (FALSE, FALSE, sizeof (Payload));
  GByteArray *msg;
  GByteArray *v;
  guint8 mac[MIKEY_MAC_LEN];

  g_array_set_clear_func (payloads, (GDestroyNotify) payload_clear);
  /* 6.4.5.2: HDR || T || IDr || V, Empty map, #CS 0, the CSB ID of the MSK message */
  add_t (payloads, ts_counter);
  add_id (payloads, idr);
  v = add_payload (payloads, MIKEY_PAYLOAD_V);
  put_u8 (v, MIKEY_MAC_HMAC_SHA1_160);
  msg = serialize (MIKEY_TYPE_PSK_RESP, FALSE, csb_id, NULL, payloads);
  verification_mac (auth_key, msg->data, msg->len, idi, idr, ts_counter, mac);
  g_byte_array_append (msg, mac, sizeof mac);
  return g_byte_array_free_to_bytes (msg);
}

gboolean
mikey_verify_verification (const MikeyMessage *msg, const char *idi, const GbaSecret *auth_key, GError **error)
{
  guint8 mac[MIKEY_MAC_LEN];

  if (msg->data_type != MIKEY_TYPE_PSK_RESP || !msg->has_v || !msg->has_t || msg->idr == NULL)
    return mikey_fail (error, MIKEY_ERROR_MALFORMED, "not a verification message (HDR, T, IDr, V)");
  verification_mac (auth_key, g_bytes_get_data (msg->raw, NULL), msg->mac_offset, idi, msg->idr,
                    (guint32) msg->ts_value, mac);
  if (CRYPTO_memcmp (mac, g_bytes_get_data (msg->v_mac, NULL), MIKEY_MAC_LEN) != 0)
    return mikey_fail (error, MIKEY_ERROR_AUTH, "verification MAC does not verify (CSB ID 0x%08x)", msg->csb_id);
  return TRUE;
}

void
mikey_sp_append (GByteArray *params, guint8 type, const guint8 *value, guint8 len)
{
  put_u8 (params, type);
  put_u8 (params, len);
  g_byte_array_append (params, value, len);
}

void
mikey_sp_append_u8 (GByteArray *params, guint8 type, guint8 value)
{
  mikey_sp_append (params, type, &value, 1);
}
