/* FLUTE/ALC/LCT sending for the lab, RFC 6726, RFC 5775, RFC 5651, RFC 5445, RFC 5052 9.1. */
#include "lab-flute.h"
#include "lab-bmsc.h"

#include <string.h>

#define LCT_VERSION      1    /* RFC 5651 5.1 */
#define LCT_HET_EXT_FTI  64   /* RFC 5775 5.3 */
#define LCT_HET_EXT_FDT  192  /* RFC 6726 3.4.1 */
#define FLUTE_VERSION    2    /* RFC 6726 3.4.1, the V field of EXT_FDT */
#define FEC_COMPACT_NO_CODE 0 /* FEC Encoding ID, RFC 5445; the LCT Codepoint, RFC 5775 5.1 */
#define REORDER_WINDOW   32
#define TICK_MS          2

static void
put (guint8 **w, guint64 v, guint octets)
{
  for (guint i = 0; i < octets; i++)
    *(*w)++ = (guint8) (v >> (8 * (octets - 1 - i)));
}

GBytes *
lab_lct_packet_build (const LabLctPacket *p)
{
  /* fixed word, CCI (C = 0), TSI (S = 1, H = 0), TOI (O = 1), then the extensions */
  guint words = 4 + (p->fdt ? 1 : 0) + 4;
  gsize len = words * 4 + 4 + p->payload_len;
  guint8 *buf = g_malloc (len), *w = buf;

  put (&w, LCT_VERSION << 4 | 0 << 2 | 0, 1);                              /* V, C, PSI */
  put (&w, 1 << 7 | 1 << 5 | 0 << 4 | (p->close_session ? 2 : 0) | (p->close_object ? 1 : 0), 1); /* S O H A B */
  put (&w, words, 1);                                                        /* HDR_LEN */
  put (&w, FEC_COMPACT_NO_CODE, 1);                                          /* Codepoint */
  put (&w, p->cci, 4);
  put (&w, p->tsi, 4);
  put (&w, p->toi, 4);
  if (p->fdt)
    {
      put (&w, LCT_HET_EXT_FDT, 1);
      put (&w, (guint64) FLUTE_VERSION << 20 | (p->fdt_instance_id & 0xfffff), 3);
    }
  /* EXT_FTI for FEC Encoding ID 0 (RFC 5445 3.1): HEL 4, Transfer Length (48), Reserved (16),
   * Encoding Symbol Length (16), Maximum Source Block Length (32) */
  put (&w, LCT_HET_EXT_FTI, 1);
  put (&w, 4, 1);
  put (&w, p->transfer_length, 6);
  put (&w, 0, 2);
  put (&w, p->symbol_length, 2);
  put (&w, p->max_block_length, 4);
  /* FEC Payload ID, RFC 5445 3.2: Source Block Number (16), Encoding Symbol ID (16) */
  put (&w, p->sbn, 2);
  put (&w, p->esi, 2);
  if (p->payload_len > 0)
    memcpy (w, p->payload, p->payload_len);
  return g_bytes_new_take (buf, len);
}

guint
lab_flute_blocks (guint64 transfer_length, guint symbol_length, guint max_block, guint *large, guint *small,
                  guint *n_large)
{
  /* RFC 5052 9.1: T = ceil (L / E), N = ceil (T / B), A_large = ceil (T / N),
   * A_small = floor (T / N), I = T - A_small * N blocks of A_large first */
  guint64 t = (transfer_length + symbol_length - 1) / symbol_length;
  guint64 n = t == 0 ? 1 : (t + max_block - 1) / max_block;

  *large = (guint) ((t + n - 1) / n);
  *small = (guint) (t / n);
  *n_large = (guint) (t - *small * n);
  return (guint) n;
}

typedef struct {
  guint32  toi;
  GBytes  *content;
  guint    from_round;
  guint32  fdt_instance_id; /* TOI 0 only */
} Object;

struct _LabFlute {
  GSocket        *socket;
  GSocketAddress *dest;
  guint32         tsi;
  LabFluteOptions o;
  GRand          *rand;
  GPtrArray      *objects;   /* Object; the FDT first */
  /* the cursor: round, object, symbol of the object */
  guint           round, obj, symbol;
  gboolean        produced_all;
  GPtrArray      *window;    /* GBytes waiting to go */
  GBytes         *last;      /* the packet with A set, sent after all others */
  guint           timer;
  gint64          started;
  guint64         produced, sent;
  GCallback       done;
  gpointer        done_data;
};

static void
object_free (Object *o)
{
  g_bytes_unref (o->content);
  g_free (o);
}

LabFlute *
lab_flute_new (const char *address, guint16 port, guint32 tsi, const char *iface, const LabFluteOptions *options,
               GError **error)
{
  g_autoptr(LabFlute) f = g_new0 (LabFlute, 1);

  f->o = *options;
  if (f->o.rate == 0)
    f->o.rate = 2000;
  if (f->o.symbol_length == 0)
    f->o.symbol_length = LAB_FLUTE_DEFAULT_SYMBOL;
  if (f->o.max_block_length == 0)
    f->o.max_block_length = LAB_FLUTE_DEFAULT_BLOCK;
  f->objects = g_ptr_array_new_with_free_func ((GDestroyNotify) object_free);
  f->window = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->rand = f->o.seed != 0 ? g_rand_new_with_seed (f->o.seed) : g_rand_new ();
  f->tsi = tsi;
  f->dest = g_inet_socket_address_new_from_string (address, port);
  if (f->dest == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "FLUTE destination %s is not an IP address",
                   address);
      return NULL;
    }
  f->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (f->socket == NULL)
    return NULL;
  lab_socket_set_multicast_out (f->socket, iface);
  return g_steal_pointer (&f);
}

void
lab_flute_free (LabFlute *f)
{
  if (f == NULL)
    return;
  if (f->timer != 0)
    g_source_remove (f->timer);
  g_clear_object (&f->socket);
  g_clear_object (&f->dest);
  g_clear_pointer (&f->objects, g_ptr_array_unref);
  g_clear_pointer (&f->window, g_ptr_array_unref);
  g_clear_pointer (&f->last, g_bytes_unref);
  g_clear_pointer (&f->rand, g_rand_free);
  g_free (f);
}

void
lab_flute_add_object (LabFlute *f, guint32 toi, GBytes *content, guint from_round)
{
  Object *o = g_new0 (Object, 1);
  o->toi = toi;
  o->content = g_bytes_ref (content);
  o->from_round = from_round;
  g_ptr_array_add (f->objects, o);
}

void
lab_flute_set_fdt (LabFlute *f, GBytes *fdt_instance, guint32 fdt_instance_id)
{
  Object *o = g_new0 (Object, 1);
  o->toi = LAB_FLUTE_FDT_TOI;
  o->content = g_bytes_ref (fdt_instance);
  o->fdt_instance_id = fdt_instance_id;
  /* a new FDT Instance replaces the one on the air in place (RFC 6726 3.4.2), sent whole */
  if (f->objects->len > 0 && ((Object *) g_ptr_array_index (f->objects, 0))->toi == LAB_FLUTE_FDT_TOI)
    {
      object_free (g_ptr_array_index (f->objects, 0));
      f->objects->pdata[0] = o;
      if (f->obj == 0)
        f->symbol = 0;
      return;
    }
  g_ptr_array_insert (f->objects, 0, o); /* each round opens with the FDT */
}

static guint
symbols_of (const LabFlute *f, const Object *o)
{
  gsize len = g_bytes_get_size (o->content);
  return (guint) MAX (1, (len + f->o.symbol_length - 1) / f->o.symbol_length);
}

/* The packet of symbol s (counted across the object's blocks) of object o. */
static GBytes *
packet_of (LabFlute *f, const Object *o, guint s, gboolean last_of_session)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (o->content, &len);
  guint large, small, n_large;
  guint n = lab_flute_blocks (len, f->o.symbol_length, f->o.max_block_length, &large, &small, &n_large);
  guint sbn = 0, first = 0;
  gsize off = (gsize) s * f->o.symbol_length;
  LabLctPacket p = { .tsi = f->tsi, .toi = o->toi, .fdt = o->toi == LAB_FLUTE_FDT_TOI,
                     .fdt_instance_id = o->fdt_instance_id, .transfer_length = len,
                     .symbol_length = (guint16) f->o.symbol_length, .max_block_length = f->o.max_block_length };

  while (sbn + 1 < n && s >= first + (sbn < n_large ? large : small))
    first += sbn++ < n_large ? large : small;
  p.sbn = (guint16) sbn;
  p.esi = (guint16) (s - first);
  p.payload = data + MIN (off, len);
  p.payload_len = off < len ? MIN (f->o.symbol_length, len - off) : 0;
  p.close_object = s + 1 == symbols_of (f, o);
  p.close_session = last_of_session;
  return lab_lct_packet_build (&p);
}

/* The next packet in carousel order, or NULL when every round is out. */
static GBytes *
produce (LabFlute *f, gboolean *last_of_session)
{
  for (;;)
    {
      if (f->o.rounds != 0 && f->round >= f->o.rounds)
        return NULL;
      if (f->obj >= f->objects->len)
        {
          f->round++;
          f->obj = 0;
          f->symbol = 0;
          continue;
        }
      Object *o = g_ptr_array_index (f->objects, f->obj);
      if (o->from_round > f->round || f->symbol >= symbols_of (f, o))
        {
          f->obj++;
          f->symbol = 0;
          continue;
        }
      guint s = f->symbol++;
      *last_of_session = f->o.rounds != 0 && f->round + 1 == f->o.rounds && f->obj + 1 == f->objects->len
                         && f->symbol == symbols_of (f, o);
      return packet_of (f, o, s, *last_of_session);
    }
}

static void
send_one (LabFlute *f, GBytes *pkt)
{
  gboolean dup = f->o.duplicate_percent > 0 && (guint) g_rand_int_range (f->rand, 0, 100) < f->o.duplicate_percent;

  for (guint i = 0; i < (dup ? 2u : 1u); i++)
    if (g_socket_send_to (f->socket, f->dest, g_bytes_get_data (pkt, NULL), g_bytes_get_size (pkt), NULL, NULL) > 0)
      f->sent++;
}

/* One packet out of the window (reordered) or straight through; FALSE once all went. */
static gboolean
step (LabFlute *f)
{
  while (!f->produced_all && f->window->len < (f->o.reorder_percent > 0 ? REORDER_WINDOW : 1))
    {
      gboolean last = FALSE;
      GBytes *pkt = produce (f, &last);
      if (pkt == NULL)
        {
          f->produced_all = TRUE;
          break;
        }
      f->produced++;
      if (f->o.loss_percent > 0 && (guint) g_rand_int_range (f->rand, 0, 100) < f->o.loss_percent && !last)
        {
          g_bytes_unref (pkt);
          continue;
        }
      if (last)
        f->last = pkt;
      else
        g_ptr_array_add (f->window, pkt);
    }
  if (f->window->len > 0)
    {
      guint i = 0;
      if (f->o.reorder_percent > 0 && (guint) g_rand_int_range (f->rand, 0, 100) < f->o.reorder_percent)
        i = (guint) g_rand_int_range (f->rand, 0, (gint32) f->window->len);
      GBytes *pkt = g_ptr_array_steal_index (f->window, i);
      send_one (f, pkt);
      g_bytes_unref (pkt);
      return TRUE;
    }
  if (f->last != NULL)
    {
      send_one (f, f->last);
      g_clear_pointer (&f->last, g_bytes_unref);
      return TRUE;
    }
  return FALSE;
}

static gboolean
on_tick (gpointer user_data)
{
  LabFlute *f = user_data;
  gint64 elapsed = g_get_monotonic_time () - f->started;
  guint64 due = (guint64) elapsed * f->o.rate / G_USEC_PER_SEC + 1;

  while (f->produced < due || (f->produced_all && (f->window->len > 0 || f->last != NULL)))
    {
      if (!step (f))
        {
          f->timer = 0;
          g_message ("lab FLUTE: TSI %u: %u rounds, %" G_GUINT64_FORMAT " packets sent", f->tsi, f->round,
                     f->sent);
          if (f->done != NULL)
            ((void (*) (gpointer)) f->done) (f->done_data);
          return G_SOURCE_REMOVE;
        }
      if (f->produced_all)
        break; /* drain the window at the packet rate too */
    }
  return G_SOURCE_CONTINUE;
}

void
lab_flute_start (LabFlute *f, GCallback done, gpointer user_data)
{
  f->done = done;
  f->done_data = user_data;
  f->started = g_get_monotonic_time ();
  f->timer = g_timeout_add (TICK_MS, on_tick, f);
}

guint64 lab_flute_packets_sent (LabFlute *f) { return f->sent; }
guint   lab_flute_rounds_done (LabFlute *f) { return f->round; }
