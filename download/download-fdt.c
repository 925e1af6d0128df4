/* The File Delivery Table: an FDT Instance (RFC 6726 3.4.2, its XML schema in 3.4.2; TS 26.346
 * 7.2.10 for the MBMS attributes), read with GMarkup: no DTD, no external entities, bounded
 * in size and in the number of files. FEC-OTI attributes of the instance are the defaults of
 * its files (RFC 6726 3.4.2). */
#include "download-reader.h"

#include <string.h>

#define FDT_MAX_LEN    (1024 * 1024)
#define FDT_MAX_FILES  1024
#define FDT_MAX_DEPTH  8

typedef struct {
  DownloadFdt *fdt;
  gboolean     seen_root;
  gboolean     has_expires;
  guint        depth;
  /* instance-level defaults */
  gboolean     has_oti_defaults;
  DownloadFecOti oti;
  guint        fec_encoding_id;
  gboolean     has_encoding_id;
  char        *content_type;
  char        *content_encoding;
} FdtParse;

static void
fdt_file_free (DownloadFdtFile *f)
{
  g_free (f->content_location);
  g_free (f->content_type);
  g_free (f->content_encoding);
  g_free (f->content_md5);
  g_free (f);
}

void
download_fdt_free (DownloadFdt *fdt)
{
  if (fdt == NULL)
    return;
  g_clear_pointer (&fdt->by_toi, g_hash_table_unref);
  g_clear_pointer (&fdt->files, g_ptr_array_unref);
  g_free (fdt);
}

static void
set_str (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static const char *
local_name (const char *name)
{
  const char *colon = strrchr (name, ':');

  return colon != NULL ? colon + 1 : name;
}

static gboolean
parse_uint (const char *element, const char *attr, const char *text, guint64 max, guint64 *out, GError **error)
{
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL))
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FDT: %s@%s '%.40s' is not an integer in [0, %" G_GUINT64_FORMAT "]",
                          element, attr, text, max);
  return TRUE;
}

/* The FEC-OTI-* attributes common to FDT-Instance and File. */
static gboolean
read_oti (const char *element, const char *attr, const char *value, DownloadFecOti *oti,
          gboolean *has_oti, guint *encoding_id, gboolean *has_encoding_id, GError **error)
{
  guint64 v;

  if (g_str_equal (attr, "FEC-OTI-FEC-Encoding-ID"))
    {
      if (!parse_uint (element, attr, value, G_MAXUINT8, &v, error))
        return FALSE;
      *encoding_id = (guint) v;
      *has_encoding_id = TRUE;
    }
  else if (g_str_equal (attr, "FEC-OTI-Maximum-Source-Block-Length"))
    {
      if (!parse_uint (element, attr, value, G_MAXUINT32, &v, error))
        return FALSE;
      oti->max_block_length = (guint32) v;
      *has_oti = TRUE;
    }
  else if (g_str_equal (attr, "FEC-OTI-Encoding-Symbol-Length"))
    {
      if (!parse_uint (element, attr, value, G_MAXUINT16, &v, error))
        return FALSE;
      oti->symbol_length = (guint16) v;
      *has_oti = TRUE;
    }
  return TRUE;
}

static gboolean
read_instance (FdtParse *fp, const char **names, const char **values, GError **error)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *a = local_name (names[i]);
      guint64 v;

      if (g_str_equal (a, "Expires"))
        {
          if (!parse_uint ("FDT-Instance", a, values[i], G_MAXUINT32, &v, error))
            return FALSE;
          fp->fdt->expires = (guint32) v;
          fp->has_expires = TRUE;
        }
      else if (g_str_equal (a, "Complete"))
        fp->fdt->complete = g_str_equal (values[i], "true") || g_str_equal (values[i], "1");
      else if (g_str_equal (a, "Content-Type"))
        set_str (&fp->content_type, values[i]);
      else if (g_str_equal (a, "Content-Encoding"))
        set_str (&fp->content_encoding, values[i]);
      else if (!read_oti ("FDT-Instance", a, values[i], &fp->oti, &fp->has_oti_defaults,
                          &fp->fec_encoding_id, &fp->has_encoding_id, error))
        return FALSE;
    }
  if (!fp->has_expires)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FDT: FDT-Instance without Expires");
  return TRUE;
}

static gboolean
read_file (FdtParse *fp, const char **names, const char **values, GError **error)
{
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func ((GDestroyNotify) fdt_file_free);
  DownloadFdtFile *f = g_new0 (DownloadFdtFile, 1);
  gboolean has_toi = FALSE, has_encoding_id = fp->has_encoding_id;
  guint64 v;

  g_ptr_array_add (keep, f);
  f->oti = fp->oti;
  f->has_oti = fp->has_oti_defaults;
  f->fec_encoding_id = fp->fec_encoding_id;
  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *a = local_name (names[i]);

      if (g_str_equal (a, "TOI"))
        {
          if (!parse_uint ("File", a, values[i], G_MAXUINT64, &f->toi, error))
            return FALSE;
          has_toi = TRUE;
        }
      else if (g_str_equal (a, "Content-Location"))
        set_str (&f->content_location, values[i]);
      else if (g_str_equal (a, "Content-Type"))
        set_str (&f->content_type, values[i]);
      else if (g_str_equal (a, "Content-Encoding"))
        set_str (&f->content_encoding, values[i]);
      else if (g_str_equal (a, "Content-MD5"))
        set_str (&f->content_md5, values[i]);
      else if (g_str_equal (a, "Content-Length") || g_str_equal (a, "Transfer-Length"))
        {
          gboolean content = g_str_equal (a, "Content-Length");

          if (!parse_uint ("File", a, values[i], G_MAXUINT64, &v, error))
            return FALSE;
          *(content ? &f->content_length : &f->transfer_length) = v;
          *(content ? &f->has_content_length : &f->has_transfer_length) = TRUE;
        }
      else if (!read_oti ("File", a, values[i], &f->oti, &f->has_oti, &f->fec_encoding_id, &has_encoding_id, error))
        return FALSE;
    }
  if (!has_toi || f->content_location == NULL || f->content_location[0] == '\0')
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FDT: File without %s", has_toi ? "Content-Location" : "TOI");
  if (f->toi == DOWNLOAD_FDT_TOI)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FDT: File '%.80s' with TOI 0 (the FDT's own)",
                          f->content_location);
  if (download_fdt_lookup (fp->fdt, f->toi) != NULL)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FDT: TOI %" G_GUINT64_FORMAT " described twice", f->toi);
  if (fp->fdt->files->len >= FDT_MAX_FILES)
    return download_fail (error, DOWNLOAD_ERROR_LIMIT, "FDT: more than %u files", FDT_MAX_FILES);
  if (f->content_type == NULL)
    f->content_type = g_strdup (fp->content_type);
  if (f->content_encoding == NULL)
    f->content_encoding = g_strdup (fp->content_encoding);
  /* Transfer-Length: of the object as sent; it is the Content-Length when not encoded */
  if (!f->has_transfer_length && f->has_content_length && f->content_encoding == NULL)
    {
      f->transfer_length = f->content_length;
      f->has_transfer_length = TRUE;
    }
  if (f->has_transfer_length)
    f->oti.transfer_length = f->transfer_length;
  g_hash_table_insert (fp->fdt->by_toi, &f->toi, f);
  g_ptr_array_add (fp->fdt->files, g_ptr_array_steal_index (keep, 0));
  return TRUE;
}

static void
on_start (GMarkupParseContext *ctx, const char *element, const char **names, const char **values,
          gpointer data, GError **error)
{
  FdtParse *fp = data;
  const char *name = local_name (element);

  if (++fp->depth > FDT_MAX_DEPTH)
    {
      download_fail (error, DOWNLOAD_ERROR_LIMIT, "FDT: nested deeper than %u", FDT_MAX_DEPTH);
      return;
    }
  if (fp->depth == 1)
    {
      if (!g_str_equal (name, "FDT-Instance"))
        {
          download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FDT: root element <%.40s>, not <FDT-Instance>", element);
          return;
        }
      fp->seen_root = TRUE;
      read_instance (fp, names, values, error);
    }
  else if (fp->depth == 2 && g_str_equal (name, "File"))
    read_file (fp, names, values, error);
  /* other elements (MBMS extensions, schema extension points) are skipped */
}

static void
on_end (GMarkupParseContext *ctx, const char *element, gpointer data, GError **error)
{
  FdtParse *fp = data;

  fp->depth--;
}

DownloadFdt *
download_fdt_parse (const char *xml, gsize len, GError **error)
{
  static const GMarkupParser parser = { on_start, on_end, NULL, NULL, NULL };
  g_autoptr(DownloadFdt) fdt = g_new0 (DownloadFdt, 1);
  g_autoptr(GMarkupParseContext) ctx = NULL;
  g_autoptr(GError) local = NULL;
  FdtParse fp = { .fdt = fdt };

  if (len > FDT_MAX_LEN)
    {
      download_fail (error, DOWNLOAD_ERROR_LIMIT, "FDT: %zu octets, more than %u", len, FDT_MAX_LEN);
      return NULL;
    }
  fdt->files = g_ptr_array_new_with_free_func ((GDestroyNotify) fdt_file_free);
  fdt->by_toi = g_hash_table_new (g_int64_hash, g_int64_equal);
  ctx = g_markup_parse_context_new (&parser, G_MARKUP_PREFIX_ERROR_POSITION, &fp, NULL);
  if (!g_markup_parse_context_parse (ctx, xml, (gssize) len, &local)
      || !g_markup_parse_context_end_parse (ctx, &local))
    {
      g_free (fp.content_type);
      g_free (fp.content_encoding);
      if (local->domain == DOWNLOAD_ERROR)
        g_propagate_error (error, g_steal_pointer (&local));
      else
        download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FDT: %s", local->message);
      return NULL;
    }
  g_free (fp.content_type);
  g_free (fp.content_encoding);
  if (!fp.seen_root)
    {
      download_fail (error, DOWNLOAD_ERROR_MALFORMED, "FDT: no FDT-Instance");
      return NULL;
    }
  return g_steal_pointer (&fdt);
}

const DownloadFdtFile *
download_fdt_lookup (const DownloadFdt *fdt, guint64 toi)
{
  return g_hash_table_lookup (fdt->by_toi, &toi);
}
