/* A damaged MGV-S file is set aside, not fatal: under systemd's Restart= a daemon that refuses
 * to start on it would loop, and the keys it held come again from the BM-SC (TS 33.246
 * 6.3.2.2: an MSK request for every key group in use). The file keeps its bytes for whoever
 * looks into it; the log says how many keys it seemed to hold and their IDs, never the keys. */
#include "mgv-store-private.h"
#include "mbms-fileio.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define ASIDE_MAX_IDS 16 /* key IDs named in the log; the rest counted */

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

char *
mgv_store_describe_damaged (const guint8 *data, gsize len)
{
  g_autoptr(GString) ids = g_string_new (NULL);
  guint msks = 0, muks = 0, records = 0;
  gsize off = MGV_STORE_MAGIC_LEN + 2;

  if (len < off || memcmp (data, MGV_STORE_MAGIC, MGV_STORE_MAGIC_LEN) != 0)
    return g_strdup_printf ("%zu octets that are not an mbmsd key store: no keys can be named", len);
  /* records as far as their lengths stay inside the file; the checksum may be anywhere */
  while (off + 5 <= len)
    {
      guint8 tag = data[off];
      guint32 vlen = be32 (data + off + 1);
      const guint8 *v = data + off + 5;

      if (vlen > len - off - 5)
        break;
      records++;
      if (tag == TAG_MSK && vlen >= MGV_KEY_DOMAIN_LEN + 4)
        {
          if (++msks <= ASIDE_MAX_IDS)
            g_string_append_printf (ids, "%s%02x%02x%02x/0x%08x", ids->len ? ", " : "", v[0], v[1], v[2],
                                    be32 (v + MGV_KEY_DOMAIN_LEN));
        }
      else if (tag == TAG_MUK_LAST_GENERATED || tag == TAG_MUK_LAST_USED)
        muks++;
      off += 5 + vlen;
    }
  return g_strdup_printf ("%zu octets; it seems to have held %u MSK%s%s%s%s%s and %u MUK%s (%u records readable)", len,
                          msks, msks == 1 ? "" : "s", msks ? " (" : "", ids->str,
                          msks > ASIDE_MAX_IDS ? ", ..." : "", msks ? ")" : "", muks, muks == 1 ? "" : "s", records);
}

gboolean
mgv_store_set_aside (const char *path, char **moved_to, char **lost, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree char *target = g_strdup_printf ("%s.corrupt-%s", path, stamp);
  g_autoptr(GError) local = NULL;
  gsize len = 0;
  char *contents = mbms_fileio_read (path, MGV_STORE_MAX_LEN, MBMS_FILEIO_NO_LINKS, &len, &local);

  if (contents != NULL)
    {
      *lost = mgv_store_describe_damaged ((const guint8 *) contents, len);
      gba_wipe ((guint8 *) contents, len);
      g_free (contents);
    }
  else if (g_error_matches (local, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_TOO_LARGE))
    *lost = g_strdup_printf ("%s; not examined", local->message);
  else
    return mgv_fail (error, MGV_ERROR_STORAGE, "cannot read the damaged key store %s: %s", path, local->message);
  /* two starts within a second: the first one's copy stays */
  for (guint n = 2; g_file_test (target, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK) && n < 100; n++)
    {
      g_free (target);
      target = g_strdup_printf ("%s.corrupt-%s-%u", path, stamp, n);
    }
  if (g_rename (path, target) != 0)
    {
      int saved = errno;
      g_clear_pointer (lost, g_free);
      return mgv_fail (error, MGV_ERROR_STORAGE, "cannot move the damaged key store %s to %s: %s", path, target,
                       g_strerror (saved));
    }
  *moved_to = g_steal_pointer (&target);
  return TRUE;
}
