/* One transport object under reassembly: symbols placed by the RFC 5052 9.1 blocking of its
 * OTI, one bit per symbol so that duplicates count once, packets that came before the OTI
 * kept (bounded) and placed when it comes. */
#include "download-object.h"

#include <string.h>

DownloadObject *
download_object_new (guint64 toi, guint32 fdt_instance_id, gint64 now_us)
{
  DownloadObject *obj = g_new0 (DownloadObject, 1);

  obj->toi = toi;
  obj->fdt_instance_id = fdt_instance_id;
  obj->first_us = now_us;
  obj->early = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return obj;
}

void
download_object_free (DownloadObject *obj)
{
  if (obj == NULL)
    return;
  g_free (obj->data);
  g_free (obj->have);
  g_ptr_array_unref (obj->early);
  g_free (obj);
}

gsize
download_object_footprint_for (const DownloadFecOti *oti)
{
  guint64 symbols = oti->symbol_length ? (oti->transfer_length + oti->symbol_length - 1) / oti->symbol_length : 0;

  return (gsize) (oti->transfer_length + (symbols + 7) / 8);
}

gsize
download_object_footprint (const DownloadObject *obj)
{
  return (obj->data != NULL ? download_object_footprint_for (&obj->oti) : 0) + obj->early_bytes;
}

static gboolean
place (DownloadObject *obj, guint16 sbn, guint16 esi, const guint8 *payload, gsize len, GError **error)
{
  guint64 offset, symbol;
  gsize room;
  guint64 E = obj->oti.symbol_length;

  if (!download_fec_symbol_range (&obj->oti, sbn, esi, &offset, &room, error))
    return FALSE;
  /* Compact No-Code: one or more consecutive symbols of the same block (RFC 5445 3.4.1) */
  if (len == 0 || len > room || (len % E != 0 && len != room))
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED,
                          "ALC: TOI %" G_GUINT64_FORMAT " SBN %u ESI %u: %zu octets where %zu remain in the block",
                          obj->toi, sbn, esi, len, room);
  symbol = offset / E;
  for (gsize done = 0; done < len; symbol++)
    {
      gsize n = MIN ((gsize) E, len - done);

      if (!(obj->have[symbol / 8] & (1u << (symbol % 8))))
        {
          memcpy (obj->data + offset + done, payload + done, n);
          obj->have[symbol / 8] |= (guint8) (1u << (symbol % 8));
          obj->received += n;
        }
      done += n;
    }
  obj->complete = obj->received == obj->oti.transfer_length;
  return TRUE;
}

gboolean
download_object_set_oti (DownloadObject *obj, const DownloadFecOti *oti, GError **error)
{
  if (obj->has_oti)
    {
      if (memcmp (&obj->oti, oti, sizeof *oti) != 0)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "ALC: TOI %" G_GUINT64_FORMAT " changed its FEC OTI", obj->toi);
      return TRUE;
    }
  if (oti->symbol_length == 0 || oti->max_block_length == 0 || oti->transfer_length == 0)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "ALC: TOI %" G_GUINT64_FORMAT " with an empty FEC OTI", obj->toi);
  obj->oti = *oti;
  obj->has_oti = TRUE;
  obj->symbols = (oti->transfer_length + oti->symbol_length - 1) / oti->symbol_length;
  obj->data = g_malloc (oti->transfer_length);
  obj->have = g_malloc0 ((obj->symbols + 7) / 8);
  for (guint i = 0; i < obj->early->len; i++)
    {
      gsize n;
      const guint8 *p = g_bytes_get_data (g_ptr_array_index (obj->early, i), &n);

      place (obj, (guint16) download_be (p, 2), (guint16) download_be (p + 2, 2), p + 4, n - 4, NULL);
    }
  g_ptr_array_set_size (obj->early, 0);
  obj->early_bytes = 0;
  return TRUE;
}

gboolean
download_object_add (DownloadObject *obj, guint16 sbn, guint16 esi, const guint8 *payload, gsize len,
                     gsize max_early, GError **error)
{
  GByteArray *b;

  if (obj->has_oti)
    return obj->complete ? TRUE : place (obj, sbn, esi, payload, len, error);
  if (obj->early_bytes + len + 4 > max_early)
    return download_fail (error, DOWNLOAD_ERROR_LIMIT, "ALC: TOI %" G_GUINT64_FORMAT ": %zu octets wait for an FDT already",
                          obj->toi, obj->early_bytes);
  b = g_byte_array_sized_new ((guint) len + 4);
  g_byte_array_append (b, (const guint8[]) { sbn >> 8, sbn & 0xff, esi >> 8, esi & 0xff }, 4);
  g_byte_array_append (b, payload, (guint) len);
  obj->early_bytes += len + 4;
  g_ptr_array_add (obj->early, g_byte_array_free_to_bytes (b));
  return TRUE;
}

GBytes *
download_object_take (DownloadObject *obj)
{
  g_return_val_if_fail (obj->complete, NULL);
  g_clear_pointer (&obj->have, g_free);
  return g_bytes_new_take (g_steal_pointer (&obj->data), obj->oti.transfer_length);
}
