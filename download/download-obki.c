/* The OMABCASTKeyInfoBox 'obki' (OMA BCAST XBS), as TS 33.246 6.6.3.2 uses it. The OMA text
 * that lays out its bytes was not available to us; this one function holds our reading of it
 * (docs/interpretations.md, "obki"), so that a different layout is a change here only:
 *
 *   FullBox('obki', version 0, flags 0)
 *   bit(1) KeyIssuerPresent, bit(1) STKMPresent, bit(1) TBKPresent,
 *   bit(1) TBKIssuerURLPresent, bit(4) reserved
 *   uint(8)  KeyIDType                         0x02: 3GPP MBMS
 *   uint(16) KeyIDLength, KeyID[KeyIDLength]   base64 (Key Domain ID || MSK ID || MTK ID)
 *   if KeyIssuerPresent: uint(16) KeyIssuerURLLength, KeyIssuerURL[...]
 *
 * MBMS sets STKMPresent, TBKPresent and TBKIssuerURLPresent to 0 (6.6.3.2); a box with any of
 * them set is refused rather than read past fields we do not know. */
#include "download-private.h"

#include <string.h>

#define OBKI_KEY_ISSUER_PRESENT 0x80
#define OBKI_STKM_PRESENT       0x40
#define OBKI_TBK_PRESENT        0x20
#define OBKI_TBK_ISSUER_PRESENT 0x10
#define OBKI_KEYID_MAX_LEN      64

gboolean
download_obki_read (DownloadReader *r, DownloadDcf *dcf, GError **error)
{
  guint8 flags, type;
  guint16 id_len, url_len;
  const guint8 *id;
  g_autofree char *text = NULL;
  g_autofree guint8 *raw = NULL;
  gsize raw_len = 0;

  if (!download_reader_u8 (r, &flags, "obki presence flags", error)
      || !download_reader_u8 (r, &type, "obki KeyIDType", error)
      || !download_reader_u16 (r, &id_len, "obki KeyIDLength", error))
    return FALSE;
  if (flags & (OBKI_STKM_PRESENT | OBKI_TBK_PRESENT | OBKI_TBK_ISSUER_PRESENT))
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: obki flags 0x%02x: STKM or TBK present (TS 33.246 6.6.3.2)",
                          flags);
  if (type != DOWNLOAD_KEYID_TYPE_MBMS)
    return download_fail (error, DOWNLOAD_ERROR_UNSUPPORTED, "DCF: obki KeyIDType 0x%02x, not 0x02 (3GPP MBMS)", type);
  if (id_len == 0 || id_len > OBKI_KEYID_MAX_LEN)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: obki KeyIDLength %u", id_len);
  if (!download_reader_take (r, id_len, &id, "obki KeyID", error))
    return FALSE;
  text = g_strndup ((const char *) id, id_len);
  if (strlen (text) != id_len || strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != id_len
      || id_len % 4 != 0)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: obki KeyID is not base64");
  raw = g_base64_decode (text, &raw_len);
  if (raw_len != DOWNLOAD_KEYID_LEN)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: obki KeyID decodes to %zu octets, not %u",
                          raw_len, DOWNLOAD_KEYID_LEN);
  memcpy (dcf->domain, raw, MGV_KEY_DOMAIN_LEN);
  dcf->msk_id = (guint32) download_be (raw + MGV_KEY_DOMAIN_LEN, 4);
  dcf->mtk_id = (guint16) download_be (raw + MGV_KEY_DOMAIN_LEN + 4, 2);
  if (flags & OBKI_KEY_ISSUER_PRESENT)
    {
      if (!download_reader_u16 (r, &url_len, "obki KeyIssuerURLLength", error)
          || !download_reader_string (r, url_len, &dcf->key_issuer_url, "obki KeyIssuerURL", error))
        return FALSE;
    }
  return TRUE;
}
