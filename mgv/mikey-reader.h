/* A bounded reader: every MIKEY parser takes bytes through it, so no read runs past the
 * message and every error names the payload and the offset. */
#pragma once

#include "mikey.h"

typedef struct {
  const guint8 *p;
  gsize         left;
  gsize         off;
} MikeyReader;

static inline void
mikey_reader_init (MikeyReader *r, const guint8 *data, gsize len, gsize base_offset)
{
  r->p = data;
  r->left = len;
  r->off = base_offset;
}

gboolean mikey_fail (GError **error, MikeyError code, const char *format, ...) G_GNUC_PRINTF (3, 4);
gboolean mikey_reader_take (MikeyReader *r, gsize n, const guint8 **out, const char *what, GError **error);
gboolean mikey_reader_u8 (MikeyReader *r, guint8 *out, const char *what, GError **error);
gboolean mikey_reader_u16 (MikeyReader *r, guint16 *out, const char *what, GError **error);
gboolean mikey_reader_u32 (MikeyReader *r, guint32 *out, const char *what, GError **error);
GBytes  *mikey_reader_bytes (MikeyReader *r, gsize n, const char *what, GError **error);
