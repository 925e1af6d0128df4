/* FDT instances, RFC 6726 3.4.2 (attributes of FDT-Instance and File) and TS 26.346 7.2.10
 * (MBMS extensions: Decryption-KEY-URI of 7.2.15 in the Rel-9 namespace). */
#include "lab-fdt.h"

char *
lab_fdt_instance (const LabFdtFile *files, guint n_files, guint64 expires)
{
  GString *x = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

  g_string_append_printf (x, "<FDT-Instance xmlns=\"%s\" xmlns:mbms2009=\"%s\" Expires=\"%" G_GUINT64_FORMAT "\">\n",
                          LAB_FDT_NS, LAB_FDT_NS_MBMS09, expires);
  for (guint i = 0; i < n_files; i++)
    {
      const LabFdtFile *f = &files[i];
      g_autofree char *loc = g_markup_escape_text (f->content_location, -1);

      g_string_append_printf (x, "  <File TOI=\"%u\" Content-Location=\"%s\" Content-Length=\"%" G_GUINT64_FORMAT "\"",
                              f->toi, loc, f->content_length);
      if (f->transfer_length != 0 && f->transfer_length != f->content_length)
        g_string_append_printf (x, " Transfer-Length=\"%" G_GUINT64_FORMAT "\"", f->transfer_length);
      if (f->content_type != NULL)
        g_string_append_printf (x, " Content-Type=\"%s\"", f->content_type);
      if (f->content_encoding != NULL)
        g_string_append_printf (x, " Content-Encoding=\"%s\"", f->content_encoding);
      if (f->md5_of != NULL)
        {
          guint8 md5[16];
          gsize md5_len = sizeof md5;
          g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_MD5);
          g_checksum_update (sum, g_bytes_get_data (f->md5_of, NULL), g_bytes_get_size (f->md5_of));
          g_checksum_get_digest (sum, md5, &md5_len);
          g_autofree char *b64 = g_base64_encode (md5, md5_len);
          g_string_append_printf (x, " Content-MD5=\"%s\"", b64);
        }
      g_string_append_printf (x, " FEC-OTI-FEC-Encoding-ID=\"0\" FEC-OTI-Maximum-Source-Block-Length=\"%u\""
                              " FEC-OTI-Encoding-Symbol-Length=\"%u\"", f->max_block_length, f->symbol_length);
      if (f->decryption_key_uri != NULL)
        {
          g_autofree char *uri = g_markup_escape_text (f->decryption_key_uri, -1);
          g_string_append_printf (x, " mbms2009:Decryption-KEY-URI=\"%s\"", uri);
        }
      g_string_append (x, "/>\n");
    }
  g_string_append (x, "</FDT-Instance>\n");
  return g_string_free (x, FALSE);
}
