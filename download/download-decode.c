/* Content encoding of a FLUTE object: gzip (RFC 1952) is the one TS 26.346 7.2.10 lets an
 * MBMS file or FDT carry (Content-Encoding, EXT_CENC of RFC 6726 3.4.3); the output is
 * bounded, and Content-Length and Content-MD5 of the FDT are checked on the decoded bytes. */
#include "download-private.h"

#include <gio/gio.h>
#include <string.h>

GBytes *
download_decode (GBytes *object, guint8 cenc, gsize max_len, GError **error)
{
  g_autoptr(GConverter) z = NULL;
  g_autoptr(GByteArray) out = NULL;
  gsize in_len, in_off = 0;
  const guint8 *in = g_bytes_get_data (object, &in_len);
  guint8 buf[16384];

  if (cenc == DOWNLOAD_CENC_NULL)
    return g_bytes_ref (object);
  if (cenc != DOWNLOAD_CENC_GZIP)
    return download_fail (error, DOWNLOAD_ERROR_UNSUPPORTED, "FLUTE: content encoding %u (only gzip in MBMS)", cenc), NULL;
  z = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP));
  out = g_byte_array_new ();
  for (;;)
    {
      gsize read = 0, written = 0;
      g_autoptr(GError) local = NULL;
      GConverterResult r = g_converter_convert (z, in + in_off, in_len - in_off, buf, sizeof buf,
                                                G_CONVERTER_INPUT_AT_END, &read, &written, &local);

      if (r == G_CONVERTER_ERROR)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FLUTE: gzip: %s", local->message), NULL;
      in_off += read;
      if (out->len + written > max_len)
        return download_fail (error, DOWNLOAD_ERROR_LIMIT, "FLUTE: gzip expands beyond %zu octets", max_len), NULL;
      g_byte_array_append (out, buf, (guint) written);
      if (r == G_CONVERTER_FINISHED)
        break;
      if (read == 0 && written == 0)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FLUTE: gzip stream ends early"), NULL;
    }
  if (in_off != in_len)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FLUTE: %zu octets after the gzip stream", in_len - in_off), NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

gboolean
download_check_fdt_file (const DownloadFdtFile *f, GBytes *content, GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (content, &len);

  if (f->has_content_length && f->content_length != len)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FLUTE: '%.80s' has %zu octets, Content-Length %" G_GUINT64_FORMAT,
                          f->content_location, len, f->content_length);
  if (f->content_md5 != NULL)
    {
      g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
      guint8 digest[16];
      gsize dlen = sizeof digest;
      g_autofree guint8 *want = NULL;
      gsize want_len = 0;

      g_checksum_update (md5, data, (gssize) len);
      g_checksum_get_digest (md5, digest, &dlen);
      want = g_base64_decode (f->content_md5, &want_len);
      if (want_len != sizeof digest || memcmp (want, digest, sizeof digest) != 0)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FLUTE: '%.80s' does not match its Content-MD5",
                              f->content_location);
    }
  return TRUE;
}
