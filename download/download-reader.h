/* The bounded reader behind every parser of download/: no read runs past its buffer, and
 * every error names the field and the offset. */
#pragma once

#include "download.h"

typedef struct {
  const guint8 *p;
  gsize         left;
  gsize         off;
  const char   *what; /* "ALC", "DCF", ...: the first word of every message */
} DownloadReader;

static inline void
download_reader_init (DownloadReader *r, const guint8 *data, gsize len, gsize base_offset, const char *what)
{
  r->p = data;
  r->left = len;
  r->off = base_offset;
  r->what = what;
}

gboolean download_fail (GError **error, DownloadError code, const char *format, ...) G_GNUC_PRINTF (3, 4);
gboolean download_reader_take (DownloadReader *r, gsize n, const guint8 **out, const char *field, GError **error);
gboolean download_reader_u8 (DownloadReader *r, guint8 *out, const char *field, GError **error);
gboolean download_reader_u16 (DownloadReader *r, guint16 *out, const char *field, GError **error);
gboolean download_reader_u32 (DownloadReader *r, guint32 *out, const char *field, GError **error);
gboolean download_reader_u64 (DownloadReader *r, guint64 *out, const char *field, GError **error);
/* n octets as a NUL-terminated string; NUL inside is refused. */
gboolean download_reader_string (DownloadReader *r, gsize n, char **out, const char *field, GError **error);
/* An unsigned big-endian integer of n octets (n <= 8). */
guint64  download_be (const guint8 *p, gsize n);
