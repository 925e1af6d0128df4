/* Parsing MIKEY messages of the TS 33.246 profile: RFC 3830 section 6 payloads, the RFC 4563
 * Key ID extension and Empty map. Every length is checked against what is left; an error
 * names the payload and the byte offset. */
#include "mikey-reader.h"

#include <string.h>

#define MIKEY_MAX_CS        16 /* TS 33.246 6.4.5.1: one CS for streaming; room for others */
#define MIKEY_MAX_PAYLOADS  32 /* an MSK message has 8; bounds pathological chains */

static void
policy_free (MikeyPolicy *policy)
{
  g_ptr_array_unref (policy->params);
  g_free (policy);
}

static void
sp_param_free (MikeySpParamValue *v)
{
  g_bytes_unref (v->value);
  g_free (v);
}

static void
extension_free (MikeyExtension *ext)
{
  g_bytes_unref (ext->data);
  g_free (ext);
}

void
mikey_message_free (MikeyMessage *msg)
{
  if (msg == NULL)
    return;
  g_clear_pointer (&msg->srtp_ids, g_array_unref);
  g_clear_pointer (&msg->rand, g_bytes_unref);
  g_free (msg->idi);
  g_free (msg->idr);
  g_clear_pointer (&msg->policies, g_ptr_array_unref);
  g_clear_pointer (&msg->extensions, g_ptr_array_unref);
  g_clear_pointer (&msg->encr_data, g_bytes_unref);
  g_clear_pointer (&msg->mac, g_bytes_unref);
  g_clear_pointer (&msg->v_mac, g_bytes_unref);
  g_clear_pointer (&msg->raw, g_bytes_unref);
  g_free (msg);
}

static gboolean
parse_hdr (MikeyReader *r, MikeyMessage *msg, guint8 *next, GError **error)
{
  guint8 v_prf, n_cs;

  if (!mikey_reader_u8 (r, &msg->version, "HDR version", error)
      || !mikey_reader_u8 (r, &msg->data_type, "HDR data type", error)
      || !mikey_reader_u8 (r, next, "HDR next payload", error)
      || !mikey_reader_u8 (r, &v_prf, "HDR V/PRF", error)
      || !mikey_reader_u32 (r, &msg->csb_id, "HDR CSB ID", error)
      || !mikey_reader_u8 (r, &n_cs, "HDR #CS", error)
      || !mikey_reader_u8 (r, &msg->cs_id_map_type, "HDR CS ID map type", error))
    return FALSE;
  if (msg->version != MIKEY_VERSION)
    return mikey_fail (error, MIKEY_ERROR_MALFORMED, "HDR version %u at offset 0, expected 1", msg->version);
  if (msg->data_type != MIKEY_TYPE_PSK_INIT && msg->data_type != MIKEY_TYPE_PSK_RESP)
    return mikey_fail (error, MIKEY_ERROR_UNSUPPORTED,
                       "HDR data type %u at offset 1: only pre-shared key messages (0, 1) are used by MBMS",
                       msg->data_type);
  msg->v_bit = (v_prf & 0x80) != 0;
  msg->prf_func = v_prf & 0x7f;
  if (msg->prf_func != MIKEY_PRF_MIKEY_1)
    return mikey_fail (error, MIKEY_ERROR_UNSUPPORTED, "HDR PRF function %u at offset 3", msg->prf_func);

  msg->srtp_ids = g_array_new (FALSE, TRUE, sizeof (MikeySrtpIdEntry));
  if (msg->cs_id_map_type == MIKEY_MAP_EMPTY)
    {
      /* RFC 4563 4.1: the Empty map carries no CS ID map info */
      if (n_cs != 0)
        return mikey_fail (error, MIKEY_ERROR_MALFORMED, "HDR #CS %u with the Empty map (offset 8)", n_cs);
      return TRUE;
    }
  if (msg->cs_id_map_type != MIKEY_MAP_SRTP_ID)
    return mikey_fail (error, MIKEY_ERROR_UNSUPPORTED, "HDR CS ID map type %u at offset 9",
                       msg->cs_id_map_type);
  if (n_cs > MIKEY_MAX_CS)
    return mikey_fail (error, MIKEY_ERROR_MALFORMED, "HDR #CS %u exceeds %u", n_cs, MIKEY_MAX_CS);
  for (guint i = 0; i < n_cs; i++)
    {
      MikeySrtpIdEntry e;

      if (!mikey_reader_u8 (r, &e.policy_no, "HDR SRTP-ID policy", error)
          || !mikey_reader_u32 (r, &e.ssrc, "HDR SRTP-ID SSRC", error)
          || !mikey_reader_u32 (r, &e.roc, "HDR SRTP-ID ROC", error))
        return FALSE;
      g_array_append_val (msg->srtp_ids, e);
    }
  return TRUE;
}

static gboolean
parse_t (MikeyReader *r, MikeyMessage *msg, GError **error)
{
  gsize at = r->off;

  if (msg->has_t)
    return mikey_fail (error, MIKEY_ERROR_MALFORMED, "second T payload at offset %zu", at);
  if (!mikey_reader_u8 (r, &msg->ts_type, "T TS type", error))
    return FALSE;
  msg->has_t = TRUE;
  if (msg->ts_type == MIKEY_TS_COUNTER)
    {
      guint32 v;
      if (!mikey_reader_u32 (r, &v, "T counter", error))
        return FALSE;
      msg->ts_value = v;
      return TRUE;
    }
  if (msg->ts_type == MIKEY_TS_NTP_UTC || msg->ts_type == MIKEY_TS_NTP)
    {
      guint32 hi, lo;
      if (!mikey_reader_u32 (r, &hi, "T NTP seconds", error) || !mikey_reader_u32 (r, &lo, "T NTP fraction", error))
        return FALSE;
      msg->ts_value = (guint64) hi << 32 | lo;
      return TRUE;
    }
  return mikey_fail (error, MIKEY_ERROR_MALFORMED, "T TS type %u at offset %zu", msg->ts_type, at);
}

static gboolean
parse_rand (MikeyReader *r, MikeyMessage *msg, GError **error)
{
  guint8 len;
  gsize at = r->off;

  if (msg->rand != NULL)
    return mikey_fail (error, MIKEY_ERROR_MALFORMED, "second RAND payload at offset %zu", at);
  if (!mikey_reader_u8 (r, &len, "RAND length", error))
    return FALSE;
  /* RFC 3830 6.11: at least 128 bits; TS 33.246 6.4.5.1: UEs support 128-bit RAND */
  if (len < 16)
    return mikey_fail (error, MIKEY_ERROR_MALFORMED, "RAND length %u at offset %zu is below 16", len, at);
  msg->rand = mikey_reader_bytes (r, len, "RAND", error);
  return msg->rand != NULL;
}

static gboolean
parse_id (MikeyReader *r, MikeyMessage *msg, GError **error)
{
  guint8 type;
  guint16 len;
  const guint8 *data;
  gsize at = r->off;
  char **slot;
  guint8 *type_slot;

  if (!mikey_reader_u8 (r, &type, "ID type", error) || !mikey_reader_u16 (r, &len, "ID length", error)
      || !mikey_reader_take (r, len, &data, "ID data", error))
    return FALSE;
  /* Init messages carry IDi then IDr; the verification message carries IDr only (6.4.5.2). */
  if (msg->data_type == MIKEY_TYPE_PSK_RESP || msg->idi != NULL)
    slot = &msg->idr, type_slot = &msg->idr_type;
  else
    slot = &msg->idi, type_slot = &msg->idi_type;
  if (*slot != NULL)
    return mikey_fail (error, MIKEY_ERROR_MALFORMED, "third ID payload at offset %zu", at);
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate ((const char *) data, len, NULL))
    return mikey_fail (error, MIKEY_ERROR_MALFORMED, "ID at offset %zu is not UTF-8 text (RFC 3629)", at);
  *slot = g_strndup ((const char *) data, len);
  *type_slot = type;
  return TRUE;
}

static gboolean
parse_sp (MikeyReader *r, MikeyMessage *msg, GError **error)
{
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func ((GDestroyNotify) sp_param_free);
  MikeyPolicy *policy;
  guint8 policy_no, prot;
  guint16 len;
  const guint8 *body;
  MikeyReader pr;

  if (!mikey_reader_u8 (r, &policy_no, "SP policy no", error) || !mikey_reader_u8 (r, &prot, "SP prot type", error)
      || !mikey_reader_u16 (r, &len, "SP param length", error))
    return FALSE;
  mikey_reader_init (&pr, r->p, MIN (len, r->left), r->off);
  if (!mikey_reader_take (r, len, &body, "SP params", error))
    return FALSE;
  while (pr.left > 0)
    {
      MikeySpParamValue *v = g_new0 (MikeySpParamValue, 1);
      guint8 plen;

      g_ptr_array_add (params, v);
      if (!mikey_reader_u8 (&pr, &v->type, "SP param type", error)
          || !mikey_reader_u8 (&pr, &plen, "SP param length", error)
          || (v->value = mikey_reader_bytes (&pr, plen, "SP param value", error)) == NULL)
        return FALSE;
    }
  policy = g_new0 (MikeyPolicy, 1);
  policy->policy_no = policy_no;
  policy->prot_type = prot;
  policy->params = g_steal_pointer (&params);
  g_ptr_array_add (msg->policies, policy);
  return TRUE;
}

/* RFC 4563 Key ID sub-payloads: type(8) | length(8) | ID. TS 33.246 6.4.4 sizes. */
static gboolean
parse_key_ids (GBytes *data, gsize base, MikeyMessage *msg, GError **error)
{
  MikeyReader r;
  gsize len;
  const guint8 *p = g_bytes_get_data (data, &len);
  MikeyKeyIds *ids = &msg->key_ids;

  if (msg->has_key_ids)
    return mikey_fail (error, MIKEY_ERROR_MALFORMED, "second Key ID extension at offset %zu", base);
  msg->has_key_ids = TRUE;
  mikey_reader_init (&r, p, len, base);
  while (r.left > 0)
    {
      guint8 type, id_len;
      const guint8 *id;
      gsize at = r.off;

      if (!mikey_reader_u8 (&r, &type, "Key ID type", error) || !mikey_reader_u8 (&r, &id_len, "Key ID length", error)
          || !mikey_reader_take (&r, id_len, &id, "Key ID", error))
        return FALSE;
      if (type == MIKEY_KEY_ID_DOMAIN && id_len == 3 && !ids->has_domain)
        {
          memcpy (ids->domain, id, 3);
          ids->has_domain = TRUE;
        }
      else if (type == MIKEY_KEY_ID_MSK && id_len == 4 && ids->n_msk_ids == 0)
        {
          ids->msk_id = (guint32) id[0] << 24 | (guint32) id[1] << 16 | (guint32) id[2] << 8 | id[3];
          ids->n_msk_ids = 1;
        }
      else if (type == MIKEY_KEY_ID_MTK && id_len == 2 && !ids->has_mtk_id)
        {
          ids->mtk_id = (guint16) (id[0] << 8 | id[1]);
          ids->has_mtk_id = TRUE;
        }
      else
        return mikey_fail (error, MIKEY_ERROR_MALFORMED,
                           "Key ID type %u of length %u at offset %zu is unknown, repeated or of the wrong size",
                           type, id_len, at);
    }
  return TRUE;
}

static gboolean
parse_ext (MikeyReader *r, MikeyMessage *msg, GError **error)
{
  MikeyExtension *ext = g_new0 (MikeyExtension, 1);
  guint16 len;
  gsize data_at;

  g_ptr_array_add (msg->extensions, ext);
  if (!mikey_reader_u8 (r, &ext->type, "EXT type", error) || !mikey_reader_u16 (r, &len, "EXT length", error))
    return FALSE;
  data_at = r->off;
  ext->data = mikey_reader_bytes (r, len, "EXT data", error);
  if (ext->data == NULL)
    return FALSE;
  /* TS 33.246 6.5.3: unknown extension types are opaque, not an error (and stay in the MAC) */
  if (ext->type == MIKEY_EXT_KEY_ID)
    return parse_key_ids (ext->data, data_at, msg, error);
  return TRUE;
}

static gboolean
parse_kemac (MikeyReader *r, MikeyMessage *msg, GError **error)
{
  guint16 len;
  gsize at = r->off;

  if (msg->has_kemac)
    return mikey_fail (error, MIKEY_ERROR_MALFORMED, "second KEMAC payload at offset %zu", at);
  if (!mikey_reader_u8 (r, &msg->encr_alg, "KEMAC encr alg", error)
      || !mikey_reader_u16 (r, &len, "KEMAC encr data length", error)
      || (msg->encr_data = mikey_reader_bytes (r, len, "KEMAC encr data", error)) == NULL
      || !mikey_reader_u8 (r, &msg->mac_alg, "KEMAC MAC alg", error))
    return FALSE;
  /* TS 33.246 6.4.5.1 / 6.4.5.3: NULL encryption and NULL MAC are not allowed */
  if (msg->encr_alg != MIKEY_ENCR_AES_CM_128)
    return mikey_fail (error, MIKEY_ERROR_UNSUPPORTED, "KEMAC encr alg %u at offset %zu: only AES-CM-128 is allowed",
                       msg->encr_alg, at);
  if (msg->mac_alg != MIKEY_MAC_HMAC_SHA1_160)
    return mikey_fail (error, MIKEY_ERROR_UNSUPPORTED, "KEMAC MAC alg %u at offset %zu: only HMAC-SHA-1-160 is allowed",
                       msg->mac_alg, r->off - 1);
  msg->mac_offset = r->off;
  msg->mac = mikey_reader_bytes (r, MIKEY_MAC_LEN, "KEMAC MAC", error);
  msg->has_kemac = msg->mac != NULL;
  return msg->has_kemac;
}

static gboolean
parse_v (MikeyReader *r, MikeyMessage *msg, GError **error)
{
  gsize at = r->off;

  if (msg->has_v)
    return mikey_fail (error, MIKEY_ERROR_MALFORMED, "second V payload at offset %zu", at);
  if (!mikey_reader_u8 (r, &msg->v_auth_alg, "V auth alg", error))
    return FALSE;
  if (msg->v_auth_alg != MIKEY_MAC_HMAC_SHA1_160)
    return mikey_fail (error, MIKEY_ERROR_UNSUPPORTED, "V auth alg %u at offset %zu: only HMAC-SHA-1-160 is allowed",
                       msg->v_auth_alg, at);
  msg->mac_offset = r->off;
  msg->v_mac = mikey_reader_bytes (r, MIKEY_MAC_LEN, "V MAC", error);
  msg->has_v = msg->v_mac != NULL;
  return msg->has_v;
}

static const char *
payload_name (guint8 type)
{
  switch (type)
    {
    case MIKEY_PAYLOAD_KEMAC: return "KEMAC";
    case MIKEY_PAYLOAD_T: return "T";
    case MIKEY_PAYLOAD_ID: return "ID";
    case MIKEY_PAYLOAD_V: return "V";
    case MIKEY_PAYLOAD_SP: return "SP";
    case MIKEY_PAYLOAD_RAND: return "RAND";
    case MIKEY_PAYLOAD_GEN_EXT: return "EXT";
    case MIKEY_PAYLOAD_PKE: return "PKE";
    case MIKEY_PAYLOAD_DH: return "DH";
    case MIKEY_PAYLOAD_SIGN: return "SIGN";
    case MIKEY_PAYLOAD_CERT: return "CERT";
    case MIKEY_PAYLOAD_CHASH: return "CHASH";
    case MIKEY_PAYLOAD_ERR: return "ERR";
    case MIKEY_PAYLOAD_KEY_DATA: return "Key data";
    default: return NULL;
    }
}

static gboolean
parse_payload (MikeyReader *r, guint8 type, MikeyMessage *msg, GError **error)
{
  switch (type)
    {
    case MIKEY_PAYLOAD_T: return parse_t (r, msg, error);
    case MIKEY_PAYLOAD_RAND: return parse_rand (r, msg, error);
    case MIKEY_PAYLOAD_ID: return parse_id (r, msg, error);
    case MIKEY_PAYLOAD_SP: return parse_sp (r, msg, error);
    case MIKEY_PAYLOAD_GEN_EXT: return parse_ext (r, msg, error);
    case MIKEY_PAYLOAD_KEMAC: return parse_kemac (r, msg, error);
    case MIKEY_PAYLOAD_V: return parse_v (r, msg, error);
    default:
      if (payload_name (type) != NULL)
        return mikey_fail (error, MIKEY_ERROR_UNSUPPORTED, "%s payload at offset %zu is not used by MBMS",
                           payload_name (type), r->off - 1);
      return mikey_fail (error, MIKEY_ERROR_MALFORMED, "unknown payload type %u at offset %zu", type, r->off);
    }
}

MikeyMessage *
mikey_message_parse (GBytes *data, GError **error)
{
  g_autoptr(MikeyMessage) msg = g_new0 (MikeyMessage, 1);
  MikeyReader r;
  gsize len;
  const guint8 *p = g_bytes_get_data (data, &len);
  guint8 next;
  guint count = 0;

  if (len > MIKEY_MAX_MESSAGE_LEN)
    {
      mikey_fail (error, MIKEY_ERROR_MALFORMED, "message of %zu octets exceeds %d", len, MIKEY_MAX_MESSAGE_LEN);
      return NULL;
    }
  msg->raw = g_bytes_ref (data);
  msg->policies = g_ptr_array_new_with_free_func ((GDestroyNotify) policy_free);
  msg->extensions = g_ptr_array_new_with_free_func ((GDestroyNotify) extension_free);
  mikey_reader_init (&r, p, len, 0);
  if (!parse_hdr (&r, msg, &next, error))
    return NULL;

  while (next != MIKEY_PAYLOAD_LAST)
    {
      guint8 type = next;

      if (++count > MIKEY_MAX_PAYLOADS)
        {
          mikey_fail (error, MIKEY_ERROR_MALFORMED, "more than %d payloads", MIKEY_MAX_PAYLOADS);
          return NULL;
        }
      /* a payload opens with the type of the one after it */
      {
        g_autofree char *what = g_strdup_printf ("%s payload (type %u)",
                                                 payload_name (type) ? payload_name (type) : "unknown", type);
        if (!mikey_reader_u8 (&r, &next, what, error) || !parse_payload (&r, type, msg, error))
          return NULL;
      }
      /* the MAC field ends the message: nothing may follow KEMAC or V */
      if ((type == MIKEY_PAYLOAD_KEMAC || type == MIKEY_PAYLOAD_V) && next != MIKEY_PAYLOAD_LAST)
        {
          mikey_fail (error, MIKEY_ERROR_MALFORMED, "payload %u follows the MAC at offset %zu", next, r.off);
          return NULL;
        }
    }
  if (r.left != 0)
    {
      mikey_fail (error, MIKEY_ERROR_MALFORMED, "%zu octets after the last payload (offset %zu)", r.left, r.off);
      return NULL;
    }
  return g_steal_pointer (&msg);
}
