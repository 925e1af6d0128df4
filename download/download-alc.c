/* ALC/LCT packets with the FLUTE header extensions: RFC 5651 5.1 (LCT header), RFC 5775 4
 * (ALC: FEC Payload ID after the LCT header), RFC 6726 3.4 (EXT_FDT, EXT_CENC), RFC 5445
 * 3.4.1 (Compact No-Code FEC: EXT_FTI and the 32-bit FEC Payload ID), and the RFC 5052 9.1
 * blocking algorithm that places a symbol in its object. TS 26.346 7.2.12 fixes the MBMS
 * profile to these. */
#include "download-reader.h"

#include <string.h>

#define LCT_VERSION          1   /* RFC 5651 5.1 */
#define LCT_FIXED_LEN        4
#define LCT_HET_FIXED_FIRST  128 /* HET >= 128: a 32-bit extension without HEL, RFC 5651 5.2 */
#define EXT_FTI              64  /* RFC 5775 4.2 */
#define EXT_FDT              192 /* RFC 6726 3.4.1 */
#define EXT_CENC             193 /* RFC 6726 3.4.3 */
#define FTI_NO_CODE_HEL      4   /* RFC 5445 3.4.1: 16 octets */
#define FEC_PAYLOAD_ID_LEN   4   /* RFC 5445 3.4.1: SBN (16) || ESI (16) */

static gboolean
read_id (DownloadReader *r, gsize n, guint64 *out, const char *field, GError **error)
{
  const guint8 *p;

  if (!download_reader_take (r, n, &p, field, error))
    return FALSE;
  /* TSI and TOI may be 112 bits long (RFC 5651 5.1); mbmsd keeps 64. */
  for (gsize i = 0; n > 8 && i < n - 8; i++)
    if (p[i] != 0)
      return download_fail (error, DOWNLOAD_ERROR_UNSUPPORTED, "ALC: %s longer than 64 bits", field);
  *out = n > 8 ? download_be (p + n - 8, 8) : download_be (p, n);
  return TRUE;
}

static gboolean
read_extension (DownloadReader *r, DownloadAlcPacket *pkt, GError **error)
{
  const guint8 *p;
  guint8 het, hel;
  gsize ext_off = r->off;

  if (!download_reader_u8 (r, &het, "HET", error))
    return FALSE;
  if (het >= LCT_HET_FIXED_FIRST)
    {
      if (!download_reader_take (r, 3, &p, "fixed header extension", error))
        return FALSE;
      if (het == EXT_FDT)
        {
          pkt->has_fdt = TRUE;
          pkt->fdt_version = p[0] >> 4;
          pkt->fdt_instance_id = (guint32) (p[0] & 0x0f) << 16 | (guint32) p[1] << 8 | p[2];
          if (pkt->fdt_version != 1 && pkt->fdt_version != 2)
            return download_fail (error, DOWNLOAD_ERROR_UNSUPPORTED, "ALC: EXT_FDT version %u (offset %zu)",
                                  pkt->fdt_version, ext_off);
        }
      else if (het == EXT_CENC)
        {
          pkt->has_cenc = TRUE;
          pkt->cenc = p[0];
        }
      return TRUE;
    }
  if (!download_reader_u8 (r, &hel, "HEL", error))
    return FALSE;
  if (hel == 0)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "ALC: header extension %u with HEL 0 (offset %zu)",
                          het, ext_off);
  if (!download_reader_take (r, (gsize) hel * 4 - 2, &p, "header extension", error))
    return FALSE;
  if (het == EXT_FTI)
    {
      if (hel != FTI_NO_CODE_HEL)
        return download_fail (error, DOWNLOAD_ERROR_UNSUPPORTED,
                              "ALC: EXT_FTI of %u words is not Compact No-Code FEC (offset %zu)", hel, ext_off);
      pkt->has_fti = TRUE;
      pkt->fti.transfer_length = download_be (p, 6);
      pkt->fti.symbol_length = (guint16) download_be (p + 8, 2);
      pkt->fti.max_block_length = (guint32) download_be (p + 10, 4);
      if (pkt->fti.symbol_length == 0 || pkt->fti.max_block_length == 0)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED,
                              "ALC: EXT_FTI symbol length %u, max source block length %u (offset %zu)",
                              pkt->fti.symbol_length, pkt->fti.max_block_length, ext_off);
    }
  /* others (EXT_NOP, EXT_AUTH, EXT_TIME, unknown) are skipped, RFC 5651 5.2 */
  return TRUE;
}

gboolean
download_alc_parse (const guint8 *data, gsize len, DownloadAlcPacket *pkt, GError **error)
{
  DownloadReader r, h;
  const guint8 *fixed, *p;
  guint c, s, o, hbit;
  gsize hdr_len, tsi_len, toi_len;

  memset (pkt, 0, sizeof *pkt);
  download_reader_init (&r, data, len, 0, "ALC");
  if (!download_reader_take (&r, LCT_FIXED_LEN, &fixed, "LCT header", error))
    return FALSE;
  pkt->flute_version_lct = fixed[0] >> 4;
  if (pkt->flute_version_lct != LCT_VERSION)
    return download_fail (error, DOWNLOAD_ERROR_UNSUPPORTED, "ALC: LCT version %u", pkt->flute_version_lct);
  c = (fixed[0] >> 2) & 0x3;
  s = fixed[1] >> 7;
  o = (fixed[1] >> 5) & 0x3;
  hbit = (fixed[1] >> 4) & 0x1;
  pkt->close_session = (fixed[1] >> 1) & 0x1;
  pkt->close_object = fixed[1] & 0x1;
  hdr_len = (gsize) fixed[2] * 4;
  pkt->codepoint = fixed[3];
  tsi_len = 4 * s + 2 * hbit;
  toi_len = 4 * o + 2 * hbit;
  if (tsi_len == 0 || toi_len == 0)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "ALC: FLUTE needs a TSI and a TOI (S=%u O=%u H=%u)",
                          s, o, hbit);
  if (hdr_len < LCT_FIXED_LEN + 4 * (c + 1) + tsi_len + toi_len)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "ALC: HDR_LEN %zu octets is shorter than its fields", hdr_len);
  if (hdr_len > len)
    return download_fail (error, DOWNLOAD_ERROR_TRUNCATED, "ALC: HDR_LEN %zu octets exceeds the datagram (%zu)",
                          hdr_len, len);
  if (pkt->codepoint != DOWNLOAD_FEC_COMPACT_NO_CODE)
    return download_fail (error, DOWNLOAD_ERROR_UNSUPPORTED, "ALC: FEC Encoding ID %u (codepoint) is not Compact No-Code",
                          pkt->codepoint);

  /* the rest of the LCT header, bounded by HDR_LEN */
  download_reader_init (&h, data + LCT_FIXED_LEN, hdr_len - LCT_FIXED_LEN, LCT_FIXED_LEN, "ALC");
  if (!download_reader_take (&h, 4 * (c + 1), &p, "CCI", error)
      || !read_id (&h, tsi_len, &pkt->tsi, "TSI", error)
      || !read_id (&h, toi_len, &pkt->toi, "TOI", error))
    return FALSE;
  while (h.left > 0)
    if (!read_extension (&h, pkt, error))
      return FALSE;

  download_reader_init (&r, data + hdr_len, len - hdr_len, hdr_len, "ALC");
  if (!download_reader_u16 (&r, &pkt->sbn, "FEC Payload ID SBN", error)
      || !download_reader_u16 (&r, &pkt->esi, "FEC Payload ID ESI", error))
    return FALSE;
  pkt->payload = r.p;
  pkt->payload_len = r.left;
  return TRUE;
}

gboolean
download_fec_symbol_range (const DownloadFecOti *oti, guint16 sbn, guint16 esi,
                           guint64 *offset, gsize *length, GError **error)
{
  guint64 L = oti->transfer_length, E = oti->symbol_length, B = oti->max_block_length;
  guint64 T, N, a_large, a_small, I, first, k, start, block_end;

  if (E == 0 || B == 0 || L == 0)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "ALC: no symbols for transfer length %" G_GUINT64_FORMAT
                          ", symbol length %" G_GUINT64_FORMAT ", block length %" G_GUINT64_FORMAT, L, E, B);
  /* RFC 5052 9.1 */
  T = (L + E - 1) / E;
  N = (T + B - 1) / B;
  a_large = (T + N - 1) / N;
  a_small = T / N;
  I = T - a_small * N;
  if (sbn >= N)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "ALC: SBN %u beyond the object's %" G_GUINT64_FORMAT " blocks",
                          sbn, N);
  k = sbn < I ? a_large : a_small;
  first = sbn < I ? sbn * a_large : I * a_large + (sbn - I) * a_small;
  if (esi >= k)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "ALC: ESI %u beyond block %u's %" G_GUINT64_FORMAT " symbols",
                          esi, sbn, k);
  start = (first + esi) * E;
  block_end = MIN ((first + k) * E, L);
  *offset = start;
  *length = (gsize) (block_end - start);
  return TRUE;
}
