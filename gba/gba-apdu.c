/* USIM APDUs built and parsed without a card (TS 31.102 7.1.2, 4.2; TS 102 221 10, 11, 13).
 * Every parser is bounded by the length it is given and names the field that was wrong. */
#include "gba-apdu.h"

#include <string.h>

typedef struct {
  const guint8 *p;
  gsize left;
  gsize off;
} ApduReader;

static gboolean
fail (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError **error, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "card answer: %s", msg);
  return FALSE;
}

static gboolean
take (ApduReader *r, gsize n, const guint8 **out, const char *what, GError **error)
{
  if (n > r->left)
    return fail (error, "%s: needs %zu bytes at offset %zu, %zu left", what, n, r->off, r->left);
  *out = r->p;
  r->p += n;
  r->left -= n;
  r->off += n;
  return TRUE;
}

static gboolean
take_byte (ApduReader *r, guint8 *out, const char *what, GError **error)
{
  const guint8 *p = NULL;

  if (!take (r, 1, &p, what, error))
    return FALSE;
  *out = *p;
  return TRUE;
}

/* One length byte then that many octets (the LV fields of 7.1.2). */
static gboolean
take_lv (ApduReader *r, const guint8 **value, gsize *len, const char *what, GError **error)
{
  guint8 l;

  if (!take_byte (r, &l, what, error))
    return FALSE;
  *len = l;
  return take (r, l, value, what, error);
}

guint8
gba_apdu_cla (guint channel)
{
  /* TS 102 221 10.1.1: '0X' with the channel in b1-b2 for 0-3; '4X' with channel - 4 in
   * b1-b4 for the further channels 4-19 */
  if (channel <= 3)
    return (guint8) channel;
  return (guint8) (0x40 | ((channel - 4) & 0x0F));
}

GBytes *
gba_apdu_build (guint8 cla, guint8 ins, guint8 p1, guint8 p2, const guint8 *data, gsize data_len, int le)
{
  GByteArray *a = g_byte_array_sized_new (5 + data_len + 1);
  guint8 hdr[4] = { cla, ins, p1, p2 };

  g_return_val_if_fail (data_len <= GBA_APDU_MAX_BLOCK, NULL);
  g_byte_array_append (a, hdr, sizeof hdr);
  if (data_len > 0)
    {
      guint8 lc = (guint8) data_len;
      g_byte_array_append (a, &lc, 1);
      g_byte_array_append (a, data, (guint) data_len);
    }
  if (le >= 0)
    {
      guint8 b = (guint8) (le & 0xFF); /* 00 means 256 */
      g_byte_array_append (a, &b, 1);
    }
  return g_byte_array_free_to_bytes (a);
}

gboolean
gba_apdu_split (const guint8 *resp, gsize len, gsize *data_len, guint16 *sw)
{
  if (resp == NULL || len < 2)
    return FALSE;
  *data_len = len - 2;
  *sw = (guint16) (resp[len - 2] << 8 | resp[len - 1]);
  return TRUE;
}

gsize
gba_apdu_ber_length_encode (gsize len, guint8 out[5])
{
  gsize n = 0;

  if (len < 0x80)
    {
      out[0] = (guint8) len;
      return 1;
    }
  for (gsize v = len; v > 0; v >>= 8)
    n++;
  out[0] = (guint8) (0x80 | n);
  for (gsize i = 0; i < n; i++)
    out[1 + i] = (guint8) (len >> (8 * (n - 1 - i)));
  return 1 + n;
}

gboolean
gba_apdu_ber_length_decode (const guint8 *p, gsize left, gsize *len, gsize *used)
{
  gsize n, v = 0;

  if (left < 1)
    return FALSE;
  if (p[0] < 0x80)
    {
      *len = p[0];
      *used = 1;
      return TRUE;
    }
  n = p[0] & 0x7F;
  /* 7.1.2.5: A <= 4 length octets in all; 0x80 (indefinite) is not BER-TLV of TS 102 221 */
  if (n == 0 || n > 3 || n + 1 > left)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    v = v << 8 | p[1 + i];
  if (v < 0x80 || (n > 1 && p[1] == 0)) /* not the shortest form */
    return FALSE;
  *len = v;
  *used = 1 + n;
  return TRUE;
}

/* 3G / GBA bootstrapping answer: DB ... or DC L AUTS. res_only: the GBA bootstrapping mode
 * answers RES alone (7.1.2.3); the 3G context RES, CK, IK [, Kc] (7.1.2.1). */
static GbaAkaResult *
parse_auth (const guint8 *data, gsize len, gboolean res_only, GError **error)
{
  ApduReader r = { data, len, 0 };
  g_autoptr(GbaAkaResult) result = g_new0 (GbaAkaResult, 1);
  const guint8 *v;
  gsize vlen;
  guint8 tag;

  if (!take_byte (&r, &tag, "AUTHENTICATE tag", error))
    return NULL;
  if (tag == GBA_APDU_TAG_SYNC_FAILURE)
    {
      if (!take_lv (&r, &v, &vlen, "AUTS", error))
        return NULL;
      if (vlen != GBA_AKA_AUTS_LEN)
        return fail (error, "AUTS is %zu bytes, not %d", vlen, GBA_AKA_AUTS_LEN), NULL;
      result->status = GBA_AKA_SYNC_FAILURE;
      memcpy (result->auts, v, GBA_AKA_AUTS_LEN);
    }
  else if (tag == GBA_APDU_TAG_SUCCESS)
    {
      if (!take_lv (&r, &v, &vlen, "RES", error))
        return NULL;
      /* TS 33.102 6.3.2: RES is 4 to 16 octets */
      if (vlen < 4 || vlen > 16)
        return fail (error, "RES is %zu bytes, not 4 to 16", vlen), NULL;
      result->res = gba_secret_new (v, vlen);
      if (!res_only)
        {
          if (!take_lv (&r, &v, &vlen, "CK", error))
            return NULL;
          if (vlen != 16)
            return fail (error, "CK is %zu bytes, not 16", vlen), NULL;
          result->ck = gba_secret_new (v, vlen);
          if (!take_lv (&r, &v, &vlen, "IK", error))
            return NULL;
          if (vlen != 16)
            return fail (error, "IK is %zu bytes, not 16", vlen), NULL;
          result->ik = gba_secret_new (v, vlen);
          if (r.left > 0) /* Kc, when service n°27 is available */
            {
              if (!take_lv (&r, &v, &vlen, "Kc", error))
                return NULL;
              if (vlen != 8)
                return fail (error, "Kc is %zu bytes, not 8", vlen), NULL;
            }
        }
      result->status = GBA_AKA_OK;
    }
  else
    return fail (error, "AUTHENTICATE tag 0x%02X is neither DB nor DC", tag), NULL;
  if (r.left > 0)
    return fail (error, "%zu bytes after the AUTHENTICATE response", r.left), NULL;
  return g_steal_pointer (&result);
}

GbaAkaResult *
gba_apdu_parse_auth_3g (const guint8 *data, gsize len, GError **error)
{
  return parse_auth (data, len, FALSE, error);
}

GbaAkaResult *
gba_apdu_parse_gba_bootstrap (const guint8 *data, gsize len, GError **error)
{
  return parse_auth (data, len, TRUE, error);
}

GbaSecret *
gba_apdu_parse_naf_derive (const guint8 *data, gsize len, GError **error)
{
  ApduReader r = { data, len, 0 };
  const guint8 *v;
  gsize vlen;
  guint8 tag;

  if (!take_byte (&r, &tag, "NAF derivation tag", error) || !take_lv (&r, &v, &vlen, "Ks_ext_NAF", error))
    return NULL;
  if (tag != GBA_APDU_TAG_SUCCESS)
    return fail (error, "NAF derivation tag 0x%02X is not DB", tag), NULL;
  if (vlen != GBA_KDF_KEY_LEN) /* TS 33.220 B.3: the KDF's 256 bits */
    return fail (error, "Ks_ext_NAF is %zu bytes, not %d", vlen, GBA_KDF_KEY_LEN), NULL;
  if (r.left > 0)
    return fail (error, "%zu bytes after Ks_ext_NAF", r.left), NULL;
  return gba_secret_new (v, vlen);
}

GBytes *
gba_apdu_build_mbms_data (guint8 mode, const guint8 *payload, gsize payload_len, GError **error)
{
  GByteArray *a;
  guint8 len[5];
  gsize n;

  /* 7.1.2.5: A <= 4 length octets; three carry far more than any MIKEY message */
  if (payload_len + 1 > 0xFFFFFF)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT, "MBMS data of %zu bytes is too long", payload_len);
      return NULL;
    }
  n = gba_apdu_ber_length_encode (payload_len + 1, len);
  a = g_byte_array_sized_new ((guint) (2 + n + payload_len));
  g_byte_array_append (a, (const guint8 *) "\x53", 1);
  g_byte_array_append (a, len, (guint) n);
  g_byte_array_append (a, &mode, 1);
  if (payload_len > 0)
    g_byte_array_append (a, payload, (guint) payload_len);
  return g_byte_array_free_to_bytes (a);
}

GBytes *
gba_apdu_parse_mbms_response (const guint8 *data, gsize len, GError **error)
{
  ApduReader r = { data, len, 0 };
  const guint8 *body = NULL;
  gsize body_len, used;
  guint8 tag;

  if (!take_byte (&r, &tag, "MBMS response tag", error))
    return NULL;
  if (tag != GBA_APDU_TAG_MBMS_DATA_OBJECT)
    return fail (error, "MBMS response tag 0x%02X is not 53", tag), NULL;
  if (!gba_apdu_ber_length_decode (r.p, r.left, &body_len, &used))
    return fail (error, "MBMS response: bad BER-TLV length at offset %zu", r.off), NULL;
  r.p += used, r.left -= used, r.off += used;
  if (!take (&r, body_len, &body, "MBMS response data object", error))
    return NULL;
  if (r.left > 0)
    return fail (error, "%zu bytes after the MBMS response data object", r.left), NULL;
  if (body_len < 1 || body[0] != GBA_APDU_TAG_SUCCESS)
    return fail (error, "MBMS response does not start with the 'Successful MBMS operation' tag DB"), NULL;
  return g_bytes_new (body + 1, body_len - 1);
}

GBytes *
gba_apdu_build_gba_bootstrap (const guint8 rand[16], const guint8 autn[16])
{
  guint8 d[2 + 2 * 16 + 1];

  d[0] = GBA_APDU_TAG_GBA_BOOTSTRAP;
  d[1] = GBA_AKA_RAND_LEN;
  memcpy (d + 2, rand, 16);
  d[18] = GBA_AKA_AUTN_LEN;
  memcpy (d + 19, autn, 16);
  return g_bytes_new (d, 35);
}

GBytes *
gba_apdu_build_naf_derive (GBytes *naf_id, const char *impi, GError **error)
{
  gsize nlen = g_bytes_get_size (naf_id), ilen = strlen (impi);
  GByteArray *a;
  guint8 b;

  /* 7.1.2.4: one length byte each, and the whole command data in one EVEN APDU */
  if (nlen > 255 || ilen > 255 || 3 + nlen + ilen > GBA_APDU_MAX_BLOCK)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT,
                   "NAF_ID (%zu bytes) and IMPI (%zu bytes) do not fit one NAF derivation command", nlen, ilen);
      return NULL;
    }
  a = g_byte_array_new ();
  b = GBA_APDU_TAG_GBA_NAF_DERIVE;
  g_byte_array_append (a, &b, 1);
  b = (guint8) nlen;
  g_byte_array_append (a, &b, 1);
  g_byte_array_append (a, g_bytes_get_data (naf_id, NULL), (guint) nlen);
  b = (guint8) ilen;
  g_byte_array_append (a, &b, 1);
  g_byte_array_append (a, (const guint8 *) impi, (guint) ilen);
  return g_byte_array_free_to_bytes (a);
}

/* Walks simple BER-TLV objects of one level: one-byte tags (TS 102 221 FCP and EF_DIR use
 * no multi-byte tags), lengths per ISO/IEC 8825-1. */
static gboolean
next_tlv (ApduReader *r, guint8 *tag, const guint8 **value, gsize *len, const char *what, GError **error)
{
  gsize used;

  if (!take_byte (r, tag, what, error))
    return FALSE;
  if (!gba_apdu_ber_length_decode (r->p, r->left, len, &used))
    return fail (error, "%s: bad length of tag %02X at offset %zu", what, *tag, r->off);
  r->p += used, r->left -= used, r->off += used;
  return take (r, *len, value, what, error);
}

gboolean
gba_apdu_parse_fcp (const guint8 *data, gsize len, GbaFcp *fcp, GError **error)
{
  ApduReader outer = { data, len, 0 }, r;
  const guint8 *v;
  gsize vlen;
  guint8 tag;

  memset (fcp, 0, sizeof *fcp);
  if (!next_tlv (&outer, &tag, &v, &vlen, "FCP", error))
    return FALSE;
  if (tag != 0x62)
    return fail (error, "FCP template tag 0x%02X is not 62", tag);
  r = (ApduReader) { v, vlen, 0 };
  while (r.left > 0)
    {
      const guint8 *x;
      gsize xlen;

      if (!next_tlv (&r, &tag, &x, &xlen, "FCP", error))
        return FALSE;
      if (tag == 0x80 && xlen >= 1 && xlen <= 4) /* 11.1.1.4.1 file size */
        {
          fcp->file_size = 0;
          for (gsize i = 0; i < xlen; i++)
            fcp->file_size = fcp->file_size << 8 | x[i];
        }
      else if (tag == 0x82 && xlen == 5) /* 11.1.1.4.3: descriptor, coding, record length (2), count */
        {
          fcp->record_len = (gsize) (x[2] << 8 | x[3]);
          fcp->n_records = x[4];
        }
    }
  return TRUE;
}

gboolean
gba_apdu_parse_dir_record (const guint8 *data, gsize len, guint8 aid[GBA_AID_MAX], gsize *aid_len)
{
  ApduReader outer = { data, len, 0 }, r;
  const guint8 *v;
  gsize vlen;
  guint8 tag;

  /* an unused record is all 'FF' */
  if (len == 0 || data[0] != 0x61 || !next_tlv (&outer, &tag, &v, &vlen, "EF_DIR", NULL))
    return FALSE;
  r = (ApduReader) { v, vlen, 0 };
  while (r.left > 0)
    {
      const guint8 *x;
      gsize xlen;

      if (!next_tlv (&r, &tag, &x, &xlen, "EF_DIR", NULL))
        return FALSE;
      if (tag == 0x4F)
        {
          if (xlen < GBA_USIM_AID_PREFIX_LEN || xlen > GBA_AID_MAX
              || memcmp (x, GBA_USIM_AID_PREFIX, GBA_USIM_AID_PREFIX_LEN) != 0)
            return FALSE;
          memcpy (aid, x, xlen);
          *aid_len = xlen;
          return TRUE;
        }
    }
  return FALSE;
}

/* BCD with the low nibble first, 'F' as filler (TS 102 221 13.2, TS 31.102 4.2.2). */
static gboolean
append_bcd_digit (GString *s, guint nibble)
{
  if (nibble > 9)
    return FALSE;
  g_string_append_c (s, (char) ('0' + nibble));
  return TRUE;
}

char *
gba_apdu_decode_iccid (const guint8 *data, gsize len, GError **error)
{
  g_autoptr(GString) s = g_string_new (NULL);
  gboolean ended = FALSE;

  if (len != 10)
    return fail (error, "EF_ICCID is %zu bytes, not 10", len), NULL;
  for (gsize i = 0; i < len; i++)
    for (int half = 0; half < 2; half++)
      {
        guint nibble = half == 0 ? data[i] & 0x0F : data[i] >> 4;
        if (nibble == 0xF)
          ended = TRUE;
        else if (ended || !append_bcd_digit (s, nibble))
          return fail (error, "EF_ICCID: byte %zu is not BCD", i), NULL;
      }
  if (s->len < 10)
    return fail (error, "EF_ICCID holds %zu digits, fewer than 10", s->len), NULL;
  return g_string_free (g_steal_pointer (&s), FALSE);
}

char *
gba_apdu_decode_imsi (const guint8 *data, gsize len, GError **error)
{
  g_autoptr(GString) s = g_string_new (NULL);
  guint n;

  /* 4.2.2: byte 1 length of the IMSI (octets that follow), byte 2 digit 1 in b5-b8 and the
   * parity indication (odd when b4 is set) with '001' in b1-b3 */
  if (len < 2 || data[0] < 1 || data[0] > 8 || (gsize) data[0] + 1 > len)
    return fail (error, "EF_IMSI length byte %u does not fit the file of %zu bytes", len > 0 ? data[0] : 0, len),
           NULL;
  n = data[0];
  if ((data[1] & 0x07) != 0x01)
    return fail (error, "EF_IMSI: type of identity %u is not 1 (IMSI)", data[1] & 0x07), NULL;
  if (!append_bcd_digit (s, data[1] >> 4))
    return fail (error, "EF_IMSI: digit 1 is not BCD"), NULL;
  for (guint i = 2; i <= n; i++)
    {
      if (!append_bcd_digit (s, data[i] & 0x0F))
        return fail (error, "EF_IMSI: byte %u is not BCD", i), NULL;
      if ((data[i] >> 4) == 0xF && i == n)
        break;
      if (!append_bcd_digit (s, data[i] >> 4))
        return fail (error, "EF_IMSI: byte %u is not BCD", i), NULL;
    }
  if (((data[1] & 0x08) != 0) != (s->len % 2 == 1))
    return fail (error, "EF_IMSI: the parity bit does not match %zu digits", s->len), NULL;
  if (s->len < 6 || s->len > 15)
    return fail (error, "EF_IMSI holds %zu digits, not 6 to 15", s->len), NULL;
  return g_string_free (g_steal_pointer (&s), FALSE);
}

gboolean
gba_apdu_decode_mnc_len (const guint8 *data, gsize len, guint *mnc_len, GError **error)
{
  /* 4.2.18: byte 4 b1-b4, the number of MNC digits; an EF_AD of three bytes predates it */
  if (len < 4)
    {
      *mnc_len = 2;
      return TRUE;
    }
  if ((data[3] & 0x0F) != 2 && (data[3] & 0x0F) != 3)
    return fail (error, "EF_AD: MNC length %u is not 2 or 3", data[3] & 0x0F);
  *mnc_len = data[3] & 0x0F;
  return TRUE;
}

gboolean
gba_apdu_ust_has (const guint8 *ust, gsize len, guint service)
{
  if (service == 0 || (service - 1) / 8 >= len)
    return FALSE;
  return (ust[(service - 1) / 8] >> ((service - 1) % 8)) & 1;
}

gboolean
gba_apdu_parse_gbabp_rand (const guint8 *data, gsize len, guint8 rand[16], GError **error)
{
  ApduReader r = { data, len, 0 };
  const guint8 *v;
  gsize vlen;

  if (!take_lv (&r, &v, &vlen, "EF_GBABP RAND", error))
    return FALSE;
  if (vlen != GBA_AKA_RAND_LEN)
    return fail (error, "EF_GBABP: RAND is %zu bytes, not 16", vlen);
  memcpy (rand, v, GBA_AKA_RAND_LEN);
  return TRUE;
}

GBytes *
gba_apdu_build_gbabp (const guint8 rand[16], const char *btid, const char *lifetime, GError **error)
{
  gsize blen = strlen (btid), llen = strlen (lifetime);
  GByteArray *a;
  guint8 b;

  if (blen > 255 || llen > 255)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT, "B-TID (%zu) or key lifetime (%zu) longer than 255",
                   blen, llen);
      return NULL;
    }
  a = g_byte_array_new ();
  b = GBA_AKA_RAND_LEN;
  g_byte_array_append (a, &b, 1);
  g_byte_array_append (a, rand, GBA_AKA_RAND_LEN);
  b = (guint8) blen;
  g_byte_array_append (a, &b, 1);
  g_byte_array_append (a, (const guint8 *) btid, (guint) blen);
  b = (guint8) llen;
  g_byte_array_append (a, &b, 1);
  g_byte_array_append (a, (const guint8 *) lifetime, (guint) llen);
  return g_byte_array_free_to_bytes (a);
}

GBytes *
gba_apdu_build_msk_deletion (const guint8 key_domain_id[3], guint16 key_group)
{
  /* 7.1.2.5 mode 03: "the last transmitted byte represents the least significant byte" */
  guint8 d[5] = { key_domain_id[0], key_domain_id[1], key_domain_id[2], (guint8) (key_group >> 8),
                  (guint8) key_group };

  return g_bytes_new (d, sizeof d);
}

GBytes *
gba_apdu_build_muk_id_tlv (const guint8 *idr, gsize idr_len, const guint8 *idi, gsize idi_len, GError **error)
{
  g_autoptr(GByteArray) inner = g_byte_array_new ();
  GByteArray *a;
  guint8 l[5];
  gsize n;

  if (idr_len > 0xFFFF || idi_len > 0xFFFF)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT, "MUK ID parts too long");
      return NULL;
    }
  /* 4.2.81: A0 L { 80 L Idr, 82 L Idi } */
  g_byte_array_append (inner, (const guint8 *) "\x80", 1);
  n = gba_apdu_ber_length_encode (idr_len, l);
  g_byte_array_append (inner, l, (guint) n);
  g_byte_array_append (inner, idr, (guint) idr_len);
  g_byte_array_append (inner, (const guint8 *) "\x82", 1);
  n = gba_apdu_ber_length_encode (idi_len, l);
  g_byte_array_append (inner, l, (guint) n);
  g_byte_array_append (inner, idi, (guint) idi_len);
  a = g_byte_array_new ();
  g_byte_array_append (a, (const guint8 *) "\xA0", 1);
  n = gba_apdu_ber_length_encode (inner->len, l);
  g_byte_array_append (a, l, (guint) n);
  g_byte_array_append (a, inner->data, inner->len);
  return g_byte_array_free_to_bytes (a);
}

void
gba_apdu_set_sw_error (GError **error, const char *what, guint16 sw)
{
  GbaError code = GBA_ERROR_UICC;
  const char *meaning = "refused";

  switch (sw)
    {
    case GBA_SW_AUTH_MAC_FAILURE:
      code = GBA_ERROR_NETWORK_AUTH, meaning = "authentication error, incorrect MAC";
      break;
    case GBA_SW_KEY_FRESHNESS_FAILURE:
      code = GBA_ERROR_CARD_KEY_FRESHNESS, meaning = "key freshness failure";
      break;
    case GBA_SW_NO_MEMORY_MSK:
    case GBA_SW_NO_MEMORY_MUK:
      code = GBA_ERROR_CARD_NO_MEMORY, meaning = "no memory space left";
      break;
    case GBA_SW_REFERENCED_DATA_NOT_FOUND:
      code = GBA_ERROR_CARD_NOT_FOUND, meaning = "referenced data not found";
      break;
    case GBA_SW_CONDITIONS_NOT_SATISFIED:
      code = GBA_ERROR_CARD_CONDITIONS, meaning = "conditions of use not satisfied";
      break;
    case GBA_SW_SECURITY_NOT_SATISFIED:
    case GBA_SW_PIN_BLOCKED:
      code = GBA_ERROR_CARD_LOCKED, meaning = "security status not satisfied (PIN)";
      break;
    case GBA_SW_NOT_FOUND:
      meaning = "file or application not found";
      break;
    default:
      break;
    }
  g_set_error (error, GBA_ERROR, code, "%s: card answered %04X (%s)", what, sw, meaning);
}
