/* FLUTE packets for the tests, from the RFCs' figures. */
#include "flute-builder.h"

static void
put (GByteArray *b, guint64 v, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      guint8 o = (guint8) (v >> (8 * (n - 1 - i)));
      g_byte_array_append (b, &o, 1);
    }
}

static GBytes *
packet (const FluteObjectShape *s, guint64 L, guint16 sbn, guint16 esi, const guint8 *payload, gsize len, gboolean last)
{
  GByteArray *b = g_byte_array_new ();

  put (b, 0x10, 1);                                   /* V=1 C=0 PSI=0 */
  put (b, 1 << 7 | 2 << 5 | (last ? 1 : 0), 1);       /* S=1 O=2 (64-bit TOI) H=0, B */
  put (b, 0, 1);
  put (b, 0, 1);                                      /* codepoint: FEC Encoding ID 0 */
  put (b, 0, 4);                                      /* CCI */
  put (b, s->tsi, 4);
  put (b, s->toi, 8);
  if (s->toi == 0)
    {
      put (b, 192, 1);                                /* EXT_FDT, FLUTE version 2 */
      put (b, (guint64) 2 << 20 | s->fdt_instance, 3);
    }
  if (s->with_fti || s->toi == 0)
    {
      put (b, 64, 1);
      put (b, 4, 1);
      put (b, L, 6);
      put (b, 0, 2);
      put (b, s->symbol_length, 2);
      put (b, s->block_length, 4);
    }
  if (s->cenc >= 0)
    {
      put (b, 193, 1);
      put (b, (guint64) s->cenc, 1);
      put (b, 0, 2);
    }
  b->data[2] = (guint8) (b->len / 4);
  put (b, sbn, 2);
  put (b, esi, 2);
  g_byte_array_append (b, payload, (guint) len);
  return g_byte_array_free_to_bytes (b);
}

GPtrArray *
flute_packets (const FluteObjectShape *s, GBytes *object)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gsize L;
  const guint8 *data = g_bytes_get_data (object, &L);
  guint64 E = s->symbol_length, B = s->block_length;
  guint64 T = (L + E - 1) / E, N = (T + B - 1) / B;
  guint64 a_large = (T + N - 1) / N, a_small = T / N, I = T - a_small * N;
  guint64 first = 0;
  guint per = MAX (s->symbols_per_packet, 1);

  for (guint64 sbn = 0; sbn < N; sbn++)
    {
      guint64 k = sbn < I ? a_large : a_small;

      for (guint64 esi = 0; esi < k; esi += per)
        {
          guint64 start = (first + esi) * E;
          guint64 end = MIN ((first + MIN (esi + per, k)) * E, L);

          g_ptr_array_add (out, packet (s, L, (guint16) sbn, (guint16) esi, data + start, end - start,
                                        sbn + 1 == N && esi + per >= k));
        }
      first += k;
    }
  return out;
}
