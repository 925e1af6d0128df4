/* The bounded reader behind every MIKEY parser. */
#include "mikey-reader.h"

G_DEFINE_QUARK (mikey-error-quark, mikey_error)

gboolean
mikey_fail (GError **error, MikeyError code, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, MIKEY_ERROR, code, "MIKEY: %s", msg);
  return FALSE;
}

gboolean
mikey_reader_take (MikeyReader *r, gsize n, const guint8 **out, const char *what, GError **error)
{
  if (n > r->left)
    return mikey_fail (error, MIKEY_ERROR_TRUNCATED, "%s needs %zu octets at offset %zu, %zu left",
                       what, n, r->off, r->left);
  *out = r->p;
  r->p += n;
  r->left -= n;
  r->off += n;
  return TRUE;
}

gboolean
mikey_reader_u8 (MikeyReader *r, guint8 *out, const char *what, GError **error)
{
  const guint8 *p;

  if (!mikey_reader_take (r, 1, &p, what, error))
    return FALSE;
  *out = p[0];
  return TRUE;
}

gboolean
mikey_reader_u16 (MikeyReader *r, guint16 *out, const char *what, GError **error)
{
  const guint8 *p;

  if (!mikey_reader_take (r, 2, &p, what, error))
    return FALSE;
  *out = (guint16) (p[0] << 8 | p[1]);
  return TRUE;
}

gboolean
mikey_reader_u32 (MikeyReader *r, guint32 *out, const char *what, GError **error)
{
  const guint8 *p;

  if (!mikey_reader_take (r, 4, &p, what, error))
    return FALSE;
  *out = (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
  return TRUE;
}

GBytes *
mikey_reader_bytes (MikeyReader *r, gsize n, const char *what, GError **error)
{
  const guint8 *p;

  if (!mikey_reader_take (r, n, &p, what, error))
    return NULL;
  return g_bytes_new (p, n);
}
