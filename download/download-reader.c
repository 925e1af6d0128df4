/* The bounded reader behind every parser of download/. */
#include "download-reader.h"

#include <string.h>

G_DEFINE_QUARK (download-error-quark, download_error)

gboolean
download_fail (GError **error, DownloadError code, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_set_error_literal (error, DOWNLOAD_ERROR, code, "");
  if (error != NULL && *error != NULL)
    {
      g_free ((*error)->message);
      (*error)->message = g_strdup_vprintf (format, args);
    }
  va_end (args);
  return FALSE;
}

gboolean
download_reader_take (DownloadReader *r, gsize n, const guint8 **out, const char *field, GError **error)
{
  if (n > r->left)
    return download_fail (error, DOWNLOAD_ERROR_TRUNCATED, "%s: %s needs %zu octets at offset %zu, %zu left",
                          r->what, field, n, r->off, r->left);
  *out = r->p;
  r->p += n;
  r->left -= n;
  r->off += n;
  return TRUE;
}

guint64
download_be (const guint8 *p, gsize n)
{
  guint64 v = 0;

  for (gsize i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

gboolean
download_reader_u8 (DownloadReader *r, guint8 *out, const char *field, GError **error)
{
  const guint8 *p;

  if (!download_reader_take (r, 1, &p, field, error))
    return FALSE;
  *out = p[0];
  return TRUE;
}

gboolean
download_reader_u16 (DownloadReader *r, guint16 *out, const char *field, GError **error)
{
  const guint8 *p;

  if (!download_reader_take (r, 2, &p, field, error))
    return FALSE;
  *out = (guint16) download_be (p, 2);
  return TRUE;
}

gboolean
download_reader_u32 (DownloadReader *r, guint32 *out, const char *field, GError **error)
{
  const guint8 *p;

  if (!download_reader_take (r, 4, &p, field, error))
    return FALSE;
  *out = (guint32) download_be (p, 4);
  return TRUE;
}

gboolean
download_reader_u64 (DownloadReader *r, guint64 *out, const char *field, GError **error)
{
  const guint8 *p;

  if (!download_reader_take (r, 8, &p, field, error))
    return FALSE;
  *out = download_be (p, 8);
  return TRUE;
}

gboolean
download_reader_string (DownloadReader *r, gsize n, char **out, const char *field, GError **error)
{
  const guint8 *p;

  if (!download_reader_take (r, n, &p, field, error))
    return FALSE;
  if (memchr (p, 0, n) != NULL)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "%s: %s holds a NUL octet (offset %zu)",
                          r->what, field, r->off - n);
  *out = g_strndup ((const char *) p, n);
  return TRUE;
}
