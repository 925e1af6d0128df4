/* The OMA DRM v2.0 DCF as TS 33.246 6.6.3.2 profiles it for MBMS download: the Fixed DCF
 * header ('ftyp', brand 'odcf', minor version 0x00000002), one OMA DRM Container 'odrm'
 * ('odhe' with ContentType and the Common Headers 'ohdr', whose ExtendedHeaders carry the
 * 'obki' KeyID; 'odda' with the EncryptedData), and the Mutable DRM Information 'mdri' with
 * the OMADRMSignature 'odfs'. Box layouts: ISO/IEC 14496-12 4.2 (Box, FullBox) and the DCF
 * specification; read only, bounded by each box's size. */
#include "download-private.h"

#include <string.h>

#define BOX_HEADER_LEN   8
#define FOURCC(a, b, c, d) ((guint32) (a) << 24 | (guint32) (b) << 16 | (guint32) (c) << 8 | (guint32) (d))
#define BOX_FTYP  FOURCC ('f', 't', 'y', 'p')
#define BOX_ODRM  FOURCC ('o', 'd', 'r', 'm')
#define BOX_ODHE  FOURCC ('o', 'd', 'h', 'e')
#define BOX_OHDR  FOURCC ('o', 'h', 'd', 'r')
#define BOX_ODDA  FOURCC ('o', 'd', 'd', 'a')
#define BOX_MDRI  FOURCC ('m', 'd', 'r', 'i')
#define BOX_ODFS  FOURCC ('o', 'd', 'f', 's')
#define BOX_OBKI  FOURCC ('o', 'b', 'k', 'i')
#define BRAND_ODCF FOURCC ('o', 'd', 'c', 'f')
#define HMAC_SHA1_LEN 20

typedef struct {
  guint32        type;
  gsize          start;   /* offset of the box in the file */
  DownloadReader body;    /* the box's content after its header */
} DcfBox;

static const char *
fourcc_text (guint32 type, char buf[5])
{
  for (int i = 0; i < 4; i++)
    {
      char c = (char) (type >> (24 - 8 * i));
      buf[i] = g_ascii_isprint (c) ? c : '?';
    }
  buf[4] = '\0';
  return buf;
}

/* ISO/IEC 14496-12 4.2: size (32), type; size 1: a 64-bit largesize follows; size 0: to the
 * end of the enclosing box. */
static gboolean
next_box (DownloadReader *r, DcfBox *box, GError **error)
{
  guint32 size32;
  guint64 size;
  gsize header = BOX_HEADER_LEN;
  const guint8 *p;

  box->start = r->off;
  if (!download_reader_u32 (r, &size32, "box size", error) || !download_reader_u32 (r, &box->type, "box type", error))
    return FALSE;
  size = size32;
  if (size32 == 1)
    {
      if (!download_reader_u64 (r, &size, "box largesize", error))
        return FALSE;
      header += 8;
    }
  else if (size32 == 0)
    size = header + r->left;
  if (size < header || size - header > r->left)
    {
      char t[5];
      return download_fail (error, DOWNLOAD_ERROR_TRUNCATED, "DCF: box '%s' of %" G_GUINT64_FORMAT
                            " octets at offset %zu exceeds its container (%zu left)",
                            fourcc_text (box->type, t), size, box->start, r->left + header);
    }
  if (!download_reader_take (r, (gsize) (size - header), &p, "box", error))
    return FALSE;
  download_reader_init (&box->body, p, (gsize) (size - header), box->start + header, "DCF");
  return TRUE;
}

static gboolean
full_box (DcfBox *box, const char *name, GError **error)
{
  guint32 version_flags;

  if (!download_reader_u32 (&box->body, &version_flags, name, error))
    return FALSE;
  if (version_flags >> 24 != 0)
    return download_fail (error, DOWNLOAD_ERROR_UNSUPPORTED, "DCF: %s version %u", name, version_flags >> 24);
  return TRUE;
}

static gboolean
read_ftyp (DcfBox *box, DownloadDcf *dcf, GError **error)
{
  guint32 brand;

  if (!download_reader_u32 (&box->body, &brand, "ftyp major_brand", error)
      || !download_reader_u32 (&box->body, &dcf->minor_version, "ftyp minor_version", error))
    return FALSE;
  if (brand != BRAND_ODCF)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: major brand is not 'odcf'");
  if (dcf->minor_version != DOWNLOAD_DCF_MINOR_MBMS)
    return download_fail (error, DOWNLOAD_ERROR_UNSUPPORTED, "DCF: minor version 0x%08x, not 0x00000002 (MBMS)",
                          dcf->minor_version);
  if (box->body.left % 4 != 0)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: ftyp compatible_brands of %zu octets", box->body.left);
  return TRUE;
}

static gboolean
read_ohdr (DcfBox *box, DownloadDcf *dcf, GError **error)
{
  DownloadReader *r = &box->body;
  guint16 cid_len, ri_len, th_len;
  const guint8 *th;
  gboolean seen_obki = FALSE;

  if (!full_box (box, "ohdr", error)
      || !download_reader_u8 (r, &dcf->encryption_method, "ohdr EncryptionMethod", error)
      || !download_reader_u8 (r, &dcf->padding_scheme, "ohdr PaddingScheme", error)
      || !download_reader_u64 (r, &dcf->plaintext_length, "ohdr PlaintextLength", error)
      || !download_reader_u16 (r, &cid_len, "ohdr ContentIDLength", error)
      || !download_reader_u16 (r, &ri_len, "ohdr RightsIssuerURLLength", error)
      || !download_reader_u16 (r, &th_len, "ohdr TextualHeadersLength", error)
      || !download_reader_string (r, cid_len, &dcf->content_id, "ohdr ContentID", error)
      || !download_reader_string (r, ri_len, &dcf->rights_issuer_url, "ohdr RightsIssuerURL", error)
      || !download_reader_take (r, th_len, &th, "ohdr TextualHeaders", error))
    return FALSE;
  dcf->textual_headers = g_bytes_new (th, th_len);
  switch (dcf->encryption_method)
    {
    case DOWNLOAD_DCF_ENC_NULL:
    case DOWNLOAD_DCF_ENC_AES_CTR:
      if (dcf->padding_scheme != DOWNLOAD_DCF_PAD_NONE)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: PaddingScheme %u with EncryptionMethod %u",
                              dcf->padding_scheme, dcf->encryption_method);
      break;
    case DOWNLOAD_DCF_ENC_AES_CBC:
      if (dcf->padding_scheme != DOWNLOAD_DCF_PAD_RFC2630 && dcf->padding_scheme != DOWNLOAD_DCF_PAD_NONE)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: PaddingScheme %u", dcf->padding_scheme);
      break;
    default:
      return download_fail (error, DOWNLOAD_ERROR_UNSUPPORTED, "DCF: EncryptionMethod %u", dcf->encryption_method);
    }
  /* ExtendedHeaders: boxes to the end of 'ohdr' */
  while (r->left > 0)
    {
      DcfBox ext;

      if (!next_box (r, &ext, error))
        return FALSE;
      if (ext.type != BOX_OBKI)
        continue;
      if (seen_obki)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: two obki boxes (offset %zu)", ext.start);
      if (!full_box (&ext, "obki", error) || !download_obki_read (&ext.body, dcf, error))
        return FALSE;
      seen_obki = TRUE;
    }
  if (!seen_obki)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: no obki in the ExtendedHeaders (TS 33.246 6.6.3.2)");
  return TRUE;
}

static gboolean
read_odhe (DcfBox *box, DownloadDcf *dcf, GError **error)
{
  guint8 ct_len;
  gboolean seen_ohdr = FALSE;

  if (!full_box (box, "odhe", error)
      || !download_reader_u8 (&box->body, &ct_len, "odhe ContentTypeLength", error)
      || !download_reader_string (&box->body, ct_len, &dcf->content_type, "odhe ContentType", error))
    return FALSE;
  while (box->body.left > 0)
    {
      DcfBox sub;

      if (!next_box (&box->body, &sub, error))
        return FALSE;
      if (sub.type != BOX_OHDR)
        continue;
      if (seen_ohdr)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: two ohdr boxes (offset %zu)", sub.start);
      if (!read_ohdr (&sub, dcf, error))
        return FALSE;
      seen_ohdr = TRUE;
    }
  if (!seen_ohdr)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: odhe without ohdr");
  return TRUE;
}

static gboolean
read_odda (DcfBox *box, DownloadDcf *dcf, GError **error)
{
  guint64 len;

  if (!full_box (box, "odda", error)
      || !download_reader_u64 (&box->body, &len, "odda EncryptedDataLength", error))
    return FALSE;
  if (len != box->body.left)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: EncryptedDataLength %" G_GUINT64_FORMAT
                          " but odda holds %zu octets", len, box->body.left);
  dcf->data_offset = box->body.off;
  dcf->data_length = box->body.left;
  return TRUE;
}

static gboolean
read_odrm (DcfBox *box, DownloadDcf *dcf, GError **error)
{
  gboolean seen_odhe = FALSE, seen_odda = FALSE;

  if (!full_box (box, "odrm", error))
    return FALSE;
  while (box->body.left > 0)
    {
      DcfBox sub;

      if (!next_box (&box->body, &sub, error))
        return FALSE;
      if (sub.type == BOX_ODHE)
        {
          if (seen_odhe || seen_odda)
            return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: odhe out of place (offset %zu)", sub.start);
          if (!read_odhe (&sub, dcf, error))
            return FALSE;
          seen_odhe = TRUE;
        }
      else if (sub.type == BOX_ODDA)
        {
          if (!seen_odhe || seen_odda)
            return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: odda out of place (offset %zu)", sub.start);
          if (!read_odda (&sub, dcf, error))
            return FALSE;
          seen_odda = TRUE;
        }
    }
  if (!seen_odda)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: odrm without %s", seen_odhe ? "odda" : "odhe");
  return TRUE;
}

static gboolean
read_mdri (DcfBox *box, DownloadDcf *dcf, GError **error)
{
  gboolean seen = FALSE;

  while (box->body.left > 0)
    {
      DcfBox sub;

      if (!next_box (&box->body, &sub, error))
        return FALSE;
      if (sub.type != BOX_ODFS)
        continue;
      if (seen)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: two odfs boxes (offset %zu)", sub.start);
      if (!full_box (&sub, "odfs", error)
          || !download_reader_u8 (&sub.body, &dcf->signature_method, "odfs SignatureMethod", error))
        return FALSE;
      if (dcf->signature_method == DOWNLOAD_DCF_SIG_HMAC_SHA1 && sub.body.left != HMAC_SHA1_LEN)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: HMAC-SHA1 signature of %zu octets", sub.body.left);
      dcf->signature = g_bytes_new (sub.body.p, sub.body.left);
      seen = TRUE;
    }
  return TRUE;
}

void
download_dcf_free (DownloadDcf *dcf)
{
  if (dcf == NULL)
    return;
  g_free (dcf->content_type);
  g_free (dcf->content_id);
  g_free (dcf->rights_issuer_url);
  g_free (dcf->key_issuer_url);
  g_clear_pointer (&dcf->textual_headers, g_bytes_unref);
  g_clear_pointer (&dcf->signature, g_bytes_unref);
  g_free (dcf);
}

DownloadDcf *
download_dcf_parse (GBytes *file, GError **error)
{
  g_autoptr(DownloadDcf) dcf = g_new0 (DownloadDcf, 1);
  gsize len;
  const guint8 *data = g_bytes_get_data (file, &len);
  DownloadReader r;
  gboolean seen_odrm = FALSE, seen_mdri = FALSE, first = TRUE;

  download_reader_init (&r, data, len, 0, "DCF");
  while (r.left > 0)
    {
      DcfBox box;
      gboolean ok = TRUE;

      if (!next_box (&r, &box, error))
        return NULL;
      if (first && box.type != BOX_FTYP)
        {
          download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: does not start with ftyp");
          return NULL;
        }
      if (seen_mdri)
        {
          /* 'mdri' is outside the signed range: nothing may follow it */
          download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: a box after mdri (offset %zu)", box.start);
          return NULL;
        }
      if (first)
        ok = read_ftyp (&box, dcf, error);
      else if (box.type == BOX_ODRM)
        {
          if (seen_odrm)
            {
              download_fail (error, DOWNLOAD_ERROR_UNSUPPORTED, "DCF: a second odrm container (offset %zu)", box.start);
              return NULL;
            }
          ok = read_odrm (&box, dcf, error);
          seen_odrm = TRUE;
        }
      else if (box.type == BOX_MDRI)
        {
          dcf->signed_length = box.start;
          ok = read_mdri (&box, dcf, error);
          seen_mdri = TRUE;
        }
      if (!ok)
        return NULL;
      first = FALSE;
    }
  if (first || !seen_odrm)
    {
      download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: %s", first ? "empty" : "no odrm container");
      return NULL;
    }
  if (!seen_mdri || dcf->signature == NULL)
    {
      download_fail (error, DOWNLOAD_ERROR_AUTH, "DCF: no OMADRMSignature (mdri/odfs), TS 33.246 6.6.3.2");
      return NULL;
    }
  return g_steal_pointer (&dcf);
}
