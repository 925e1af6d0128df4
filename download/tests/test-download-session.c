/* The receiver of one FLUTE session (TS 26.346 7, TS 33.246 6.6.3, 6.3.3.2.1) on datagrams
 * built here from the RFCs and DCFs built here from the box layouts: files delivered byte
 * for byte and verified; the FDT a DCF of its own, trusted only once it verifies; files held
 * until the session's MIKEY object brings their MTK; tampered and wrong-key files refused,
 * counted, never delivered; loss (carousel repeats), reordering and duplicates survived;
 * memory bounded under a flood of TOIs; incomplete objects abandoned on the injected clock. */
#include "download.h"
#include "test-util.h"
#include "dcf-builder.h"
#include "flute-builder.h"

#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Woverride-init"

#define TSI      0x2a
#define SESSION  "flute:239.255.42.9:4001:42"
#define CARD     "8988211000000000001/001010123456789"
#define IDI      "bmsc.lab.mbmsd.test"
#define IDR      "tid@bsf.lab.mbmsd.test"
#define NTP_UNIX 2208988800u

static const guint8 DOMAIN[3] = { 0x00, 0xf1, 0x10 };

typedef struct {
  MbmsClock base;
  gint64    now_s;
} FakeClock;

static guint fake_add (MbmsClock *c, guint ms, GSourceFunc f, gpointer d) { g_assert_not_reached (); return 0; }
static void fake_cancel (MbmsClock *c, guint id) { }
static GDateTime *fake_now (MbmsClock *c) { return g_date_time_new_from_unix_utc (((FakeClock *) c)->now_s); }
static double fake_random (MbmsClock *c) { return 0.5; }

typedef struct {
  char       *dir;
  MgvStore   *store;
  GbaSecret  *msk;
  GBytes     *rand;
  GbaSecret  *tgk;
  guint8      encr[16];
  guint8      auth[20];
  guint32     mtk_ts;
  FakeClock   clock;
  DownloadSession *session;
  GPtrArray  *got;     /* Got */
  DownloadLimits limits;
  GbaSecret  *muk;
  GBytes     *msk_msg; /* the MSK message that put msk in store */
} Fx;

typedef struct {
  char    *location;
  GBytes  *data;
  gboolean verified;
} Got;

static void
got_free (Got *g)
{
  g_free (g->location);
  g_bytes_unref (g->data);
  g_free (g);
}

static void
on_file (const DownloadFile *file, gpointer user_data)
{
  Fx *fx = user_data;
  Got *g = g_new0 (Got, 1);

  g->location = g_strdup (file->content_location);
  g->data = g_bytes_ref (file->data);
  g->verified = file->verified;
  g_ptr_array_add (fx->got, g);
}

#define MTK_CSB 0x55667788u

static void
fx_set_up (Fx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GbaSecret *muk = gba_secret_new_random (32);
  g_autoptr(GbaSecret) r = gba_secret_new_random (16);
  GBytes *msk_msg = NULL;
  g_autoptr(MgvMskResult) res = NULL;
  g_autoptr(GbaSecret) e = NULL, a = NULL;
  MikeyBuildParams p = { .csb_id = 0x11223344, .ts_counter = 1, .idi = IDI, .idr = IDR, .streaming = FALSE,
                         .msk_id = 0x00010002, .seq_low = 0, .seq_high = 100 };

  fx->dir = test_tmpdir_new ();
  path = g_build_filename (fx->dir, "keys.mgv", NULL);
  fx->store = mgv_store_open (path, CARD, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (mgv_store_install_muk (fx->store, IDI, IDR, muk, &error));
  fx->msk = gba_secret_new_random (16);
  fx->rand = g_bytes_new (gba_secret_get_data (r, NULL), 16);
  memcpy (p.domain, DOMAIN, 3);
  p.rand = fx->rand;
  p.key = fx->msk;
  msk_msg = mikey_build_msk_message (&p, muk);
  res = mgv_process_msk (fx->store, msk_msg, &error);
  g_assert_no_error (error);
  fx->muk = muk;
  fx->msk_msg = msk_msg;
  fx->tgk = gba_secret_new_random (16);
  /* what the BM-SC derives for download, RFC 3830 4.1.3 with cs_id 0 (TS 33.246 6.5.4) */
  e = mikey_derive_tgk_key (fx->tgk, MIKEY_TGK_CONST_ENCR, 0, MTK_CSB, fx->rand, 16);
  a = mikey_derive_tgk_key (fx->tgk, MIKEY_TGK_CONST_AUTH, 0, MTK_CSB, fx->rand, 20);
  memcpy (fx->encr, gba_secret_get_data (e, NULL), 16);
  memcpy (fx->auth, gba_secret_get_data (a, NULL), 20);
  fx->mtk_ts = 1;
  fx->clock = (FakeClock) { { fake_add, fake_cancel, fake_now, fake_random }, 1800000000 };
  fx->got = g_ptr_array_new_with_free_func ((GDestroyNotify) got_free);
  download_limits_init (&fx->limits);
  fx->session = download_session_new (TSI, &fx->limits, &fx->clock.base, fx->store, SESSION, on_file, fx);
}

static void
fx_tear_down (Fx *fx, gconstpointer data)
{
  download_session_free (fx->session);
  mgv_store_free (fx->store);
  gba_secret_unref (fx->msk);
  gba_secret_unref (fx->tgk);
  gba_secret_unref (fx->muk);
  g_bytes_unref (fx->msk_msg);
  g_bytes_unref (fx->rand);
  g_ptr_array_unref (fx->got);
  test_tmpdir_remove (fx->dir);
  g_free (fx->dir);
}

static void
fx_restart (Fx *fx)
{
  download_session_free (fx->session);
  fx->session = download_session_new (TSI, &fx->limits, &fx->clock.base, fx->store, SESSION, on_file, fx);
}

static GBytes *
mtk_message (Fx *fx, guint16 mtk_id)
{
  MikeyBuildParams p = { .csb_id = MTK_CSB, .ts_counter = fx->mtk_ts++, .streaming = FALSE,
                         .msk_id = 0x00010002, .mtk_id = mtk_id, .key = fx->tgk };

  memcpy (p.domain, DOMAIN, 3);
  return mikey_build_mtk_message (&p, fx->msk, fx->rand);
}

static GBytes *
protect (Fx *fx, DcfShape s, const char *text, gsize len)
{
  if (s.encr_key == NULL)
    s.encr_key = fx->encr;
  if (s.sign_key == NULL)
    s.sign_key = fx->auth;
  return dcf_build (&s, (const guint8 *) text, len);
}

static char *
fdt_xml (Fx *fx, gint64 expires_in, const char *files)
{
  return g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<FDT-Instance xmlns=\"urn:IETF:metadata:2005:FLUTE:FDT\" Expires=\"%" G_GINT64_FORMAT "\"\n"
                          "  FEC-OTI-FEC-Encoding-ID=\"0\" FEC-OTI-Maximum-Source-Block-Length=\"8\"\n"
                          "  FEC-OTI-Encoding-Symbol-Length=\"64\">\n%s</FDT-Instance>\n",
                          fx->clock.now_s + NTP_UNIX + expires_in, files);
}

static char *
file_entry (guint64 toi, const char *location, const char *type, GBytes *content)
{
  return g_strdup_printf ("  <File TOI=\"%" G_GUINT64_FORMAT "\" Content-Location=\"%s\" Content-Type=\"%s\""
                          " Content-Length=\"%zu\"/>\n", toi, location, type, g_bytes_get_size (content));
}

static void
send_all (Fx *fx, GPtrArray *packets)
{
  for (guint i = 0; i < packets->len; i++)
    {
      gsize len;
      const guint8 *d = g_bytes_get_data (g_ptr_array_index (packets, i), &len);

      g_assert_true (download_session_receive (fx->session, d, len, NULL));
    }
}

static GPtrArray *
packets_of (guint64 toi, guint32 instance, GBytes *object, gboolean with_fti)
{
  /* The MIKEY object (TOI 1 here) carries EXT_FTI: a receiver that joins cannot read the
   * protected FDT before this very object gave it the MTK (docs/interpretations.md). */
  FluteObjectShape s = { .tsi = TSI, .toi = toi, .fdt_instance = instance, .symbol_length = 64, .block_length = 8,
                         .with_fti = with_fti || toi == 1, .cenc = -1, .symbols_per_packet = 1 };

  return flute_packets (&s, object);
}

static void
send_object (Fx *fx, guint64 toi, guint32 instance, GBytes *object)
{
  g_autoptr(GPtrArray) p = packets_of (toi, instance, object, FALSE);

  send_all (fx, p);
}

static GBytes *
text_of (gsize n, guint seed)
{
  guint8 *b = g_malloc (n);

  for (gsize i = 0; i < n; i++)
    b[i] = (guint8) ((i * 31 + seed * 7 + i / 97) & 0xff);
  return g_bytes_new_take (b, n);
}

/* A protected session: MIKEY object TOI 1, CBC file TOI 2, CTR file TOI 3, FDT a DCF. */
typedef struct {
  GBytes *mikey, *plain_a, *plain_b, *dcf_a, *dcf_b, *fdt;
} Carousel;

static void
carousel_clear (Carousel *c)
{
  g_clear_pointer (&c->mikey, g_bytes_unref);
  g_clear_pointer (&c->plain_a, g_bytes_unref);
  g_clear_pointer (&c->plain_b, g_bytes_unref);
  g_clear_pointer (&c->dcf_a, g_bytes_unref);
  g_clear_pointer (&c->dcf_b, g_bytes_unref);
  g_clear_pointer (&c->fdt, g_bytes_unref);
}

static void
carousel_make (Fx *fx, Carousel *c, DcfShape shape_b)
{
  g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL, *files = NULL, *xml = NULL;

  c->mikey = mtk_message (fx, 7);
  c->plain_a = text_of (3000, 1);
  c->plain_b = text_of (1234, 2);
  c->dcf_a = protect (fx, DCF_SHAPE (), g_bytes_get_data (c->plain_a, NULL), g_bytes_get_size (c->plain_a));
  c->dcf_b = protect (fx, shape_b, g_bytes_get_data (c->plain_b, NULL), g_bytes_get_size (c->plain_b));
  e1 = file_entry (1, "mtk.mikey", "application/mikey", c->mikey);
  e2 = file_entry (2, "http://lab.example/news/a.txt", "application/vnd.oma.drm.dcf", c->dcf_a);
  e3 = file_entry (3, "news/b.bin", "application/vnd.oma.drm.dcf", c->dcf_b);
  files = g_strconcat (e1, e2, e3, NULL);
  xml = fdt_xml (fx, 3600, files);
  c->fdt = protect (fx, DCF_SHAPE (.content_type = "text/xml"), xml, strlen (xml));
}

static const Got *
got_at (Fx *fx, const char *location)
{
  for (guint i = 0; i < fx->got->len; i++)
    {
      const Got *g = g_ptr_array_index (fx->got, i);

      if (g_str_equal (g->location, location))
        return g;
    }
  return NULL;
}

static void
assert_got (Fx *fx, const char *location, GBytes *want)
{
  const Got *g = got_at (fx, location);

  g_assert_nonnull (g);
  g_assert_true (g->verified);
  g_assert_cmpmem (g_bytes_get_data (g->data, NULL), g_bytes_get_size (g->data),
                   g_bytes_get_data (want, NULL), g_bytes_get_size (want));
}

static void
test_protected_in_order (Fx *fx, gconstpointer d)
{
  Carousel c = { 0 };
  DownloadStats st;

  carousel_make (fx, &c, DCF_SHAPE (.method = 2, .padding = 0));
  send_object (fx, 1, 0, c.mikey);
  send_object (fx, 0, 1, c.fdt);
  send_object (fx, 2, 0, c.dcf_a);
  send_object (fx, 3, 0, c.dcf_b);
  g_assert_cmpuint (fx->got->len, ==, 2);
  assert_got (fx, "http://lab.example/news/a.txt", c.plain_a);
  assert_got (fx, "news/b.bin", c.plain_b);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.mtks, ==, 1);
  g_assert_cmpuint (st.fdt_instances, ==, 1);
  g_assert_cmpuint (st.files_delivered, ==, 2);
  g_assert_cmpuint (st.files_refused, ==, 0);
  g_assert_cmpuint (st.files_held, ==, 0);
  g_assert_cmpuint (st.buffered_bytes, ==, 0);
  /* the carousel repeats: nothing is delivered twice */
  send_object (fx, 2, 0, c.dcf_a);
  g_assert_cmpuint (fx->got->len, ==, 2);
  carousel_clear (&c);
}

static void
test_held_until_mtk (Fx *fx, gconstpointer d)
{
  Carousel c = { 0 };
  DownloadStats st;

  carousel_make (fx, &c, DCF_SHAPE ());
  send_object (fx, 0, 1, c.fdt);
  send_object (fx, 2, 0, c.dcf_a);
  send_object (fx, 3, 0, c.dcf_b);
  /* the FDT waits for its MTK; the files wait for an FDT */
  g_assert_cmpuint (fx->got->len, ==, 0);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.held, ==, 1);
  g_assert_cmpuint (st.fdt_instances, ==, 0);
  /* the MIKEY object: no trusted FDT names it yet, MGV-F takes it on its own MAC */
  send_object (fx, 1, 0, c.mikey);
  g_assert_cmpuint (fx->got->len, ==, 2);
  assert_got (fx, "http://lab.example/news/a.txt", c.plain_a);
  assert_got (fx, "news/b.bin", c.plain_b);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.held, ==, 0);
  g_assert_cmpuint (st.files_held, ==, 1);
  g_assert_cmpuint (st.buffered_bytes, ==, 0);
  carousel_clear (&c);
}

static void
test_mtk_kept_across_receivers (Fx *fx, gconstpointer d)
{
  /* MGV-S keeps the session's MTK: a fresh receiver opens FDT and file without the MIKEY object */
  Carousel c = { 0 };
  DownloadStats st;

  carousel_make (fx, &c, DCF_SHAPE ());
  send_object (fx, 1, 0, c.mikey);
  fx_restart (fx);
  send_object (fx, 0, 1, c.fdt);
  send_object (fx, 2, 0, c.dcf_a);
  assert_got (fx, "http://lab.example/news/a.txt", c.plain_a);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.mtks, ==, 0);
  g_assert_cmpuint (st.files_held, ==, 0);
  carousel_clear (&c);
}

static void
test_tampered_refused (Fx *fx, gconstpointer d)
{
  Carousel c = { 0 };
  g_autoptr(GBytes) bad = NULL;
  guint8 *copy;
  gsize len;
  DownloadStats st;

  carousel_make (fx, &c, DCF_SHAPE ());
  len = g_bytes_get_size (c.dcf_b);
  copy = g_memdup2 (g_bytes_get_data (c.dcf_b, NULL), len);
  copy[len / 2] ^= 0x40; /* inside the ciphertext */
  bad = g_bytes_new_take (copy, len);
  send_object (fx, 1, 0, c.mikey);
  send_object (fx, 0, 1, c.fdt);
  send_object (fx, 2, 0, c.dcf_a);
  send_object (fx, 3, 0, bad);
  g_assert_cmpuint (fx->got->len, ==, 1);
  g_assert_null (got_at (fx, "news/b.bin"));
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.files_refused, ==, 1);
  g_assert_cmpuint (st.files_delivered, ==, 1);
  carousel_clear (&c);
}

static void
test_wrong_key_refused (Fx *fx, gconstpointer d)
{
  static const guint8 other[20] = { 9, 9, 9 };
  Carousel c = { 0 };
  DownloadStats st;

  carousel_make (fx, &c, DCF_SHAPE (.sign_key = other));
  send_object (fx, 1, 0, c.mikey);
  send_object (fx, 0, 1, c.fdt);
  send_object (fx, 3, 0, c.dcf_b);
  g_assert_cmpuint (fx->got->len, ==, 0);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.files_refused, ==, 1);
  carousel_clear (&c);
}

static void
test_fdt_signed_with_wrong_key (Fx *fx, gconstpointer d)
{
  static const guint8 other[20] = { 7 };
  Carousel c = { 0 };
  g_autofree char *e2 = NULL, *xml = NULL;
  g_autoptr(GBytes) fdt = NULL;
  DownloadStats st;

  carousel_make (fx, &c, DCF_SHAPE ());
  e2 = file_entry (2, "evil.txt", "application/vnd.oma.drm.dcf", c.dcf_a);
  xml = fdt_xml (fx, 3600, e2);
  fdt = protect (fx, DCF_SHAPE (.sign_key = other), xml, strlen (xml));
  send_object (fx, 1, 0, c.mikey);
  send_object (fx, 0, 1, fdt);
  send_object (fx, 2, 0, c.dcf_a);
  g_assert_cmpuint (fx->got->len, ==, 0);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.fdt_instances, ==, 0);
  g_assert_cmpuint (st.files_refused, ==, 1);
  carousel_clear (&c);
}

static void
test_loss_and_reordering (Fx *fx, gconstpointer d)
{
  Carousel c = { 0 };
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  GRand *rand = g_rand_new_with_seed (4771);
  GBytes *objects[4];
  guint64 tois[4] = { 1, 0, 2, 3 };

  carousel_make (fx, &c, DCF_SHAPE (.method = 2, .padding = 0));
  objects[0] = c.mikey; objects[1] = c.fdt; objects[2] = c.dcf_a; objects[3] = c.dcf_b;
  /* three rounds of the carousel, each losing a third of its packets, all shuffled together */
  for (guint round = 0; round < 3; round++)
    for (guint o = 0; o < 4; o++)
      {
        g_autoptr(GPtrArray) p = packets_of (tois[o], 1, objects[o], FALSE);

        for (guint i = 0; i < p->len; i++)
          if ((i + round) % 3 != 0)
            g_ptr_array_add (all, g_bytes_ref (g_ptr_array_index (p, i)));
      }
  for (guint i = all->len; i > 1; i--)
    {
      guint j = (guint) g_rand_int_range (rand, 0, (gint32) i);
      gpointer t = all->pdata[i - 1];

      all->pdata[i - 1] = all->pdata[j];
      all->pdata[j] = t;
    }
  g_rand_free (rand);
  send_all (fx, all);
  g_assert_cmpuint (fx->got->len, ==, 2);
  assert_got (fx, "http://lab.example/news/a.txt", c.plain_a);
  assert_got (fx, "news/b.bin", c.plain_b);
  carousel_clear (&c);
}

static void
test_flood_of_tois_bounded (Fx *fx, gconstpointer d)
{
  Carousel c = { 0 };
  DownloadStats st;
  FluteObjectShape s = { .tsi = TSI, .toi = 100, .symbol_length = 64, .block_length = 8, .with_fti = TRUE,
                         .cenc = -1, .symbols_per_packet = 1 };
  g_autoptr(GBytes) big = text_of (1024 * 1024, 0);
  g_autoptr(GPtrArray) p = flute_packets (&s, big);
  gsize len = g_bytes_get_size (g_ptr_array_index (p, 0));
  guint8 *dgram = g_memdup2 (g_bytes_get_data (g_ptr_array_index (p, 0), NULL), len);

  fx->limits.max_session_bytes = 4 * 1024 * 1024;
  fx_restart (fx);
  carousel_make (fx, &c, DCF_SHAPE ());
  send_object (fx, 1, 0, c.mikey);
  send_object (fx, 0, 1, c.fdt);
  /* 20000 TOIs nobody described, each claiming 1 MiB and sending its first symbol only */
  for (guint64 toi = 100; toi < 20100; toi++)
    {
      for (guint i = 0; i < 8; i++) /* the 64-bit TOI after LCT header, CCI and TSI */
        dgram[12 + i] = (guint8) (toi >> (56 - 8 * i));
      download_session_receive (fx->session, dgram, len, NULL);
      if (toi % 1000 == 0)
        {
          download_session_get_stats (fx->session, &st);
          g_assert_cmpuint (st.buffered_bytes, <=, fx->limits.max_session_bytes);
          g_assert_cmpuint (st.objects, <=, fx->limits.max_unknown_objects);
        }
    }
  /* the described files still arrive */
  send_object (fx, 2, 0, c.dcf_a);
  assert_got (fx, "http://lab.example/news/a.txt", c.plain_a);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.buffered_bytes, <=, fx->limits.max_session_bytes);
  g_assert_cmpuint (st.objects_abandoned, >, 19000);
  g_free (dgram);
  carousel_clear (&c);
}

static void
test_incomplete_abandoned (Fx *fx, gconstpointer d)
{
  Carousel c = { 0 };
  g_autoptr(GPtrArray) p = NULL;
  DownloadStats st;

  carousel_make (fx, &c, DCF_SHAPE ());
  send_object (fx, 1, 0, c.mikey);
  send_object (fx, 0, 1, c.fdt);
  p = packets_of (2, 0, c.dcf_a, FALSE);
  g_ptr_array_remove_index (p, 3);
  send_all (fx, p);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.objects, ==, 1);
  g_assert_cmpuint (st.buffered_bytes, >, 0);
  fx->clock.now_s += 121;
  download_session_sweep (fx->session);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.objects, ==, 0);
  g_assert_cmpuint (st.objects_abandoned, ==, 1);
  g_assert_cmpuint (st.buffered_bytes, ==, 0);
  g_assert_cmpuint (fx->got->len, ==, 0);
  carousel_clear (&c);
}

static void
test_expired_fdt_ignored (Fx *fx, gconstpointer d)
{
  Carousel c = { 0 };
  g_autofree char *e2 = NULL, *xml = NULL;
  g_autoptr(GBytes) fdt = NULL;
  DownloadStats st;

  carousel_make (fx, &c, DCF_SHAPE ());
  e2 = file_entry (2, "old.txt", "application/vnd.oma.drm.dcf", c.dcf_a);
  xml = fdt_xml (fx, -10, e2);
  fdt = protect (fx, DCF_SHAPE (), xml, strlen (xml));
  send_object (fx, 1, 0, c.mikey);
  send_object (fx, 0, 1, fdt);
  send_object (fx, 2, 0, c.dcf_a);
  g_assert_cmpuint (fx->got->len, ==, 0);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.fdt_expired, ==, 1);
  g_assert_cmpuint (st.fdt_instances, ==, 0);
  carousel_clear (&c);
}

static GBytes *
gzip (GBytes *in)
{
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new (mem, G_CONVERTER (z));
  gsize len;
  const guint8 *d = g_bytes_get_data (in, &len);

  g_assert_true (g_output_stream_write_all (out, d, len, NULL, NULL, NULL));
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

static void
test_unprotected_gzip_and_md5 (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) plain = text_of (5000, 3), zipped = gzip (plain), other = text_of (100, 4);
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  guint8 digest[16];
  gsize dlen = sizeof digest;
  g_autofree char *b64 = NULL, *files = NULL, *xml = NULL;
  g_autoptr(GBytes) fdt = NULL;
  DownloadStats st;

  fx->limits.protected = FALSE;
  fx_restart (fx);
  g_checksum_update (md5, g_bytes_get_data (plain, NULL), (gssize) g_bytes_get_size (plain));
  g_checksum_get_digest (md5, digest, &dlen);
  b64 = g_base64_encode (digest, 16);
  files = g_strdup_printf ("<File TOI=\"5\" Content-Location=\"z.bin\" Content-Encoding=\"gzip\" Content-Length=\"5000\""
                           " Transfer-Length=\"%zu\" Content-MD5=\"%s\"/>"
                           "<File TOI=\"6\" Content-Location=\"bad-md5.bin\" Content-MD5=\"%s\" Content-Length=\"100\"/>",
                           g_bytes_get_size (zipped), b64, b64);
  xml = fdt_xml (fx, 60, files);
  fdt = g_bytes_new (xml, strlen (xml));
  send_object (fx, 0, 1, fdt);
  send_object (fx, 5, 0, zipped);
  send_object (fx, 6, 0, other);
  g_assert_cmpuint (fx->got->len, ==, 1);
  g_assert_false (((Got *) g_ptr_array_index (fx->got, 0))->verified);
  g_assert_cmpmem (g_bytes_get_data (((Got *) g_ptr_array_index (fx->got, 0))->data, NULL),
                   g_bytes_get_size (((Got *) g_ptr_array_index (fx->got, 0))->data),
                   g_bytes_get_data (plain, NULL), 5000);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.files_refused, ==, 1);
}

static void
test_other_tsi_and_garbage (Fx *fx, gconstpointer d)
{
  Carousel c = { 0 };
  g_autoptr(GPtrArray) p = NULL;
  FluteObjectShape s = { .tsi = TSI + 1, .toi = 2, .symbol_length = 64, .block_length = 8, .with_fti = TRUE,
                         .cenc = -1, .symbols_per_packet = 4 };
  g_autoptr(GError) error = NULL;
  static const guint8 garbage[7] = { 0x10, 0xff, 0xff };
  gsize len;
  const guint8 *dg;
  DownloadStats st;

  carousel_make (fx, &c, DCF_SHAPE ());
  p = flute_packets (&s, c.dcf_a);
  dg = g_bytes_get_data (g_ptr_array_index (p, 0), &len);
  g_assert_false (download_session_receive (fx->session, dg, len, &error));
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (download_session_receive (fx->session, garbage, sizeof garbage, &error));
  g_assert_nonnull (error);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.packets, ==, 2);
  g_assert_cmpuint (st.dropped, ==, 2);
  g_assert_cmpuint (st.objects, ==, 0);
  carousel_clear (&c);
}

static void
test_multi_symbol_packets (Fx *fx, gconstpointer d)
{
  Carousel c = { 0 };
  FluteObjectShape s = { .tsi = TSI, .toi = 2, .symbol_length = 64, .block_length = 8, .with_fti = TRUE,
                         .cenc = -1, .symbols_per_packet = 3 };
  g_autoptr(GPtrArray) p = NULL;

  carousel_make (fx, &c, DCF_SHAPE ());
  send_object (fx, 1, 0, c.mikey);
  send_object (fx, 0, 1, c.fdt);
  p = flute_packets (&s, c.dcf_a);
  send_all (fx, p);
  assert_got (fx, "http://lab.example/news/a.txt", c.plain_a);
  carousel_clear (&c);
}

/* ---------------------------------------------------------------- over a multicast group on lo */

static guint16
free_udp_port (void)
{
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) a = g_inet_socket_address_new (any, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (s, a, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
send_udp (GSocket *tx, GSocketAddress *to, GPtrArray *packets)
{
  for (guint i = 0; i < packets->len; i++)
    {
      gsize len;
      const guint8 *d = g_bytes_get_data (g_ptr_array_index (packets, i), &len);

      g_assert_cmpint (g_socket_send_to (tx, to, (const char *) d, len, NULL, NULL), ==, (gssize) len);
      if (i % 32 == 31)
        drain (); /* one thread: let the receiver read before the socket buffer fills */
    }
  drain ();
}

static void
test_multicast_lo (Fx *fx, gconstpointer d)
{
  Carousel c = { 0 };
  guint16 port = free_udp_port ();
  g_autofree char *group = g_strdup_printf ("239.255.%u.%u", (guint) (getpid () % 250), port % 250 + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(DownloadReceiver) rx = NULL;
  g_autoptr(GSocket) tx = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetAddress) ga = g_inet_address_new_from_string (group);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (ga, port);
  g_autoptr(GBytes) big_plain = text_of (10 * 1024 * 1024 + 4321, 9);
  g_autoptr(GBytes) big = protect (fx, DCF_SHAPE (.method = 2, .padding = 0), g_bytes_get_data (big_plain, NULL),
                                   g_bytes_get_size (big_plain));
  g_autoptr(GBytes) bad = NULL, fdt = NULL;
  g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL, *e5 = NULL, *files = NULL, *xml = NULL;
  g_autoptr(GPtrArray) round1 = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  FluteObjectShape big_shape = { .tsi = TSI, .toi = 4, .symbol_length = 1400, .block_length = 64, .cenc = -1,
                                 .symbols_per_packet = 1 };
  static const guint8 other[20] = { 5 };
  DownloadStats st;
  GRand *rand = g_rand_new_with_seed (5052);
  GBytes *objects[4];
  guint64 tois[4] = { 0, 2, 3, 5 };

  carousel_make (fx, &c, DCF_SHAPE (.method = 2, .padding = 0));
  bad = protect (fx, DCF_SHAPE (.sign_key = other), "forged", 6);
  e1 = file_entry (1, "mtk.mikey", "application/mikey", c.mikey);
  e2 = file_entry (2, "http://lab.example/news/a.txt", "application/vnd.oma.drm.dcf", c.dcf_a);
  e3 = file_entry (3, "news/b.bin", "application/vnd.oma.drm.dcf", c.dcf_b);
  e4 = g_strdup_printf ("  <File TOI=\"4\" Content-Location=\"big.bin\" Content-Length=\"%zu\""
                        " FEC-OTI-Encoding-Symbol-Length=\"1400\" FEC-OTI-Maximum-Source-Block-Length=\"64\"/>\n",
                        g_bytes_get_size (big));
  e5 = file_entry (5, "forged.txt", "application/vnd.oma.drm.dcf", bad);
  files = g_strconcat (e1, e2, e3, e4, e5, NULL);
  xml = fdt_xml (fx, 3600, files);
  fdt = protect (fx, DCF_SHAPE (.content_type = "text/xml"), xml, strlen (xml));

  test_multicast_sender (g_socket_get_fd (tx), "lo");
  rx = download_receiver_new (fx->session, group, port, "lo", &error);
  g_assert_no_error (error);

  /* round 1: everything but the MIKEY object, a quarter of the packets lost, all shuffled */
  objects[0] = fdt; objects[1] = c.dcf_a; objects[2] = c.dcf_b; objects[3] = bad;
  for (guint o = 0; o < 4; o++)
    {
      g_autoptr(GPtrArray) p = packets_of (tois[o], 1, objects[o], FALSE);

      for (guint i = 0; i < p->len; i++)
        if (g_rand_int_range (rand, 0, 4) != 0)
          g_ptr_array_add (round1, g_bytes_ref (g_ptr_array_index (p, i)));
    }
  for (guint i = round1->len; i > 1; i--)
    {
      guint j = (guint) g_rand_int_range (rand, 0, (gint32) i);
      gpointer t = round1->pdata[i - 1];

      round1->pdata[i - 1] = round1->pdata[j];
      round1->pdata[j] = t;
    }
  send_udp (tx, to, round1);
  {
    g_autoptr(GPtrArray) p = flute_packets (&big_shape, big);

    send_udp (tx, to, p);
  }
  g_assert_cmpuint (fx->got->len, ==, 0);
  /* round 2: the whole carousel again, the MIKEY object last; the held FDT opens, then the files */
  for (guint o = 0; o < 4; o++)
    {
      g_autoptr(GPtrArray) p = packets_of (tois[o], 1, objects[o], FALSE);

      send_udp (tx, to, p);
    }
  {
    g_autoptr(GPtrArray) p = packets_of (1, 0, c.mikey, TRUE);
    g_autoptr(GPtrArray) b = flute_packets (&big_shape, big);

    send_udp (tx, to, p);
    /* the big file of round 1 had no FDT to place it: at most 64 KiB of it waited, the
     * rest was dropped; the carousel brings it again */
    send_udp (tx, to, b);
  }
  g_rand_free (rand);
  assert_got (fx, "http://lab.example/news/a.txt", c.plain_a);
  assert_got (fx, "news/b.bin", c.plain_b);
  assert_got (fx, "big.bin", big_plain);
  g_assert_null (got_at (fx, "forged.txt"));
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.files_delivered, ==, 3);
  g_assert_cmpuint (st.files_refused, ==, 1);
  g_assert_cmpuint (st.files_held, >=, 1);
  g_assert_cmpuint (st.buffered_bytes, ==, 0);
  carousel_clear (&c);
}

static void
test_held_cannot_pin_memory (Fx *fx, gconstpointer d)
{
  /* FDT Instances naming an MTK that never comes are held; they must not keep the session
   * from taking what it can open */
  static const guint8 unknown_id[9] = { 0x00, 0xf1, 0x10, 0x00, 0x01, 0x00, 0x02, 0x00, 0x63 };
  Carousel c = { 0 };
  g_autofree char *junk = g_strnfill (20000, 'x');
  DownloadStats st;

  fx->limits.max_session_bytes = 64 * 1024;
  fx_restart (fx);
  carousel_make (fx, &c, DCF_SHAPE ());
  for (guint32 instance = 10; instance < 26; instance++)
    {
      g_autoptr(GBytes) fake = protect (fx, DCF_SHAPE (.key_id_raw = unknown_id), junk, strlen (junk));

      send_object (fx, 0, instance, fake);
      download_session_get_stats (fx->session, &st);
      g_assert_cmpuint (st.buffered_bytes, <=, fx->limits.max_session_bytes + 32 * 1024);
    }
  send_object (fx, 1, 0, c.mikey);
  send_object (fx, 0, 1, c.fdt);
  send_object (fx, 2, 0, c.dcf_a);
  assert_got (fx, "http://lab.example/news/a.txt", c.plain_a);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.held_dropped, >, 0);
  carousel_clear (&c);
}

/* An MTK of its own (TGK, the keys derived from it and the KeyID naming it) for key changes. */
typedef struct {
  GbaSecret *tgk;
  guint8     encr[16];
  guint8     auth[20];
  guint8     key_id[9]; /* Key Domain ID || MSK ID || MTK ID, as 'obki' carries it */
  GBytes    *message;   /* the MIKEY MTK message */
} OwnMtk;

static void
own_mtk_make (Fx *fx, OwnMtk *m, guint16 mtk_id)
{
  g_autoptr(GbaSecret) e = NULL, a = NULL;
  MikeyBuildParams p = { .csb_id = MTK_CSB, .ts_counter = fx->mtk_ts++, .streaming = FALSE,
                         .msk_id = 0x00010002, .mtk_id = mtk_id };

  m->tgk = gba_secret_new_random (16);
  p.key = m->tgk;
  memcpy (p.domain, DOMAIN, 3);
  m->message = mikey_build_mtk_message (&p, fx->msk, fx->rand);
  e = mikey_derive_tgk_key (m->tgk, MIKEY_TGK_CONST_ENCR, 0, MTK_CSB, fx->rand, 16);
  a = mikey_derive_tgk_key (m->tgk, MIKEY_TGK_CONST_AUTH, 0, MTK_CSB, fx->rand, 20);
  memcpy (m->encr, gba_secret_get_data (e, NULL), 16);
  memcpy (m->auth, gba_secret_get_data (a, NULL), 20);
  memcpy (m->key_id, dcf_test_key_id, 7);
  m->key_id[7] = (guint8) (mtk_id >> 8);
  m->key_id[8] = (guint8) mtk_id;
}

static void
own_mtk_clear (OwnMtk *m)
{
  g_clear_pointer (&m->tgk, gba_secret_unref);
  g_clear_pointer (&m->message, g_bytes_unref);
}

static GBytes *
protect_with (const OwnMtk *m, GBytes *plain, const char *content_type)
{
  DcfShape s = DCF_SHAPE (.encr_key = m->encr, .sign_key = m->auth, .key_id_raw = m->key_id,
                          .content_type = content_type);

  return dcf_build (&s, g_bytes_get_data (plain, NULL), g_bytes_get_size (plain));
}

static void
test_mtk_change_mid_session (Fx *fx, gconstpointer d)
{
  /* the session changes its MTK between files (a new MIKEY object, TS 33.246 6.3.3.2.1): each
   * file opens with its own MTK; the previous one is kept (6.5.4); once a third came, a file
   * under the first is refused at once, not held for an MTK MGV-F would never take again */
  OwnMtk m1 = { 0 }, m2 = { 0 }, m3 = { 0 };
  g_autoptr(GBytes) p_a = text_of (2000, 11), p_b = text_of (777, 12), p_c = text_of (1500, 13), p_s = text_of (99, 14);
  g_autoptr(GBytes) a = NULL, b = NULL, c = NULL, stale = NULL, fdt = NULL;
  g_autofree char *files = NULL, *xml = NULL;
  char *e[8] = { NULL };
  DownloadStats st;

  own_mtk_make (fx, &m1, 7);
  own_mtk_make (fx, &m2, 8);
  own_mtk_make (fx, &m3, 9);
  a = protect_with (&m1, p_a, NULL);
  b = protect_with (&m1, p_b, NULL);
  c = protect_with (&m2, p_c, NULL);
  stale = protect_with (&m1, p_s, NULL);
  e[0] = file_entry (1, "k/mtk7.mikey", "application/mikey", m1.message);
  e[1] = file_entry (2, "a.txt", "application/vnd.oma.drm.dcf", a);
  e[2] = file_entry (3, "b.txt", "application/vnd.oma.drm.dcf", b);
  e[3] = file_entry (4, "k/mtk8.mikey", "application/mikey", m2.message);
  e[4] = file_entry (5, "c.txt", "application/vnd.oma.drm.dcf", c);
  e[5] = file_entry (6, "k/mtk9.mikey", "application/mikey", m3.message);
  e[6] = file_entry (7, "stale.txt", "application/vnd.oma.drm.dcf", stale);
  files = g_strjoinv ("", e);
  for (guint i = 0; e[i] != NULL; i++)
    g_free (e[i]);
  xml = fdt_xml (fx, 3600, files);
  {
    g_autoptr(GBytes) x = g_bytes_new (xml, strlen (xml));
    fdt = protect_with (&m1, x, "text/xml");
  }
  send_object (fx, 0, 1, fdt);
  send_object (fx, 1, 0, m1.message);
  send_object (fx, 2, 0, a);
  assert_got (fx, "a.txt", p_a);
  /* the file under MTK 8 waits for it; the one under MTK 7 still opens after the change */
  send_object (fx, 5, 0, c);
  g_assert_null (got_at (fx, "c.txt"));
  send_object (fx, 4, 0, m2.message);
  assert_got (fx, "c.txt", p_c);
  send_object (fx, 3, 0, b);
  assert_got (fx, "b.txt", p_b);
  /* a third MTK: MTK 7 is gone from the ME and cannot come back */
  send_object (fx, 6, 0, m3.message);
  send_object (fx, 7, 0, stale);
  g_assert_null (got_at (fx, "stale.txt"));
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.mtks, ==, 3);
  g_assert_cmpuint (st.files_delivered, ==, 3);
  g_assert_cmpuint (st.files_refused, ==, 1);
  g_assert_cmpuint (st.files_stale, ==, 1);
  g_assert_cmpuint (st.held, ==, 0);
  g_assert_cmpuint (fx->got->len, ==, 3);
  own_mtk_clear (&m1);
  own_mtk_clear (&m2);
  own_mtk_clear (&m3);
}

static void
test_mikey_before_msk (Fx *fx, gconstpointer d)
{
  /* a UE joins the carousel before its MSK was pushed: the MIKEY object it could not take
   * then is taken from the carousel's next copy, once the MSK is in MGV-S */
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (fx->dir, "late.mgv", NULL);
  g_autoptr(MgvMskResult) res = NULL;
  Carousel c = { 0 };
  DownloadStats st;
  guint64 refused;
  MgvStore *late = mgv_store_open (path, CARD, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (mgv_store_install_muk (late, IDI, IDR, fx->muk, &error));
  download_session_free (fx->session);
  fx->session = download_session_new (TSI, &fx->limits, &fx->clock.base, late, SESSION, on_file, fx);
  carousel_make (fx, &c, DCF_SHAPE ());
  send_object (fx, 1, 0, c.mikey);
  send_object (fx, 0, 1, c.fdt);
  send_object (fx, 2, 0, c.dcf_a);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.mtks, ==, 0);
  g_assert_cmpuint (st.mikey_refused, ==, 1);
  g_assert_cmpuint (fx->got->len, ==, 0);
  res = mgv_process_msk (late, fx->msk_msg, &error);
  g_assert_no_error (error);
  send_object (fx, 1, 0, c.mikey);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.mtks, ==, 1);
  assert_got (fx, "http://lab.example/news/a.txt", c.plain_a);
  /* accepted once: later copies are repeats the session skips, not MGV-F's replays */
  refused = st.mikey_refused;
  send_object (fx, 1, 0, c.mikey);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.mikey_refused, ==, refused);
  g_assert_cmpuint (st.mtks, ==, 1);
  download_session_free (fx->session);
  fx->session = NULL;
  mgv_store_free (late);
  carousel_clear (&c);
}

static void
test_given_up_received_again (Fx *fx, gconstpointer d)
{
  /* an object given up for room (here: one orphan only) was neither delivered nor refused: the
   * carousel's next copy of it is received, not skipped as a repeat */
  Carousel c = { 0 };
  DownloadStats st;
  g_autoptr(GPtrArray) a = NULL;
  g_autoptr(GPtrArray) b = NULL;

  fx->limits.max_unknown_objects = 1;
  fx_restart (fx);
  carousel_make (fx, &c, DCF_SHAPE ());
  a = packets_of (2, 0, c.dcf_a, TRUE); /* with EXT_FTI: complete before the FDT, kept as orphans */
  b = packets_of (3, 0, c.dcf_b, TRUE);
  send_object (fx, 0, 1, c.fdt);
  send_all (fx, a);
  send_all (fx, b);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.objects_abandoned, ==, 1);
  send_object (fx, 1, 0, c.mikey);
  assert_got (fx, "news/b.bin", c.plain_b);
  g_assert_null (got_at (fx, "http://lab.example/news/a.txt"));
  send_all (fx, a);
  assert_got (fx, "http://lab.example/news/a.txt", c.plain_a);
  g_assert_cmpuint (fx->got->len, ==, 2);
  carousel_clear (&c);
}

/* UICC key management's stand-in: records what went to the card and answers as told. */
typedef struct {
  guint               calls;
  DownloadMikeyResult result;
  GBytes             *last;
} Card;

static DownloadMikeyResult
card_take (GBytes *message, gpointer user_data)
{
  Card *card = user_data;

  card->calls++;
  g_clear_pointer (&card->last, g_bytes_unref);
  card->last = g_bytes_ref (message);
  return card->result;
}

static void
test_mikey_to_the_card (Fx *fx, gconstpointer d)
{
  /* TS 33.246 Annex D: the MIKEY object goes to the card, not to MGV-F in the ME; the card's
   * MTK (the TGK with the download keys derived as in the ME, 6.5.4) opens the held DCFs */
  Carousel c = { 0 };
  Card card = { .result = DOWNLOAD_MIKEY_TAKEN };
  g_autoptr(MgvMtk) bare = g_new0 (MgvMtk, 1);
  g_autoptr(MgvMtk) mtk = g_new0 (MgvMtk, 1);
  g_autoptr(GPtrArray) in_me = NULL;
  DownloadStats st;

  download_session_set_mikey_func (fx->session, card_take, &card);
  carousel_make (fx, &c, DCF_SHAPE ());
  send_object (fx, 0, 1, c.fdt);
  send_object (fx, 1, 0, c.mikey);
  g_assert_cmpuint (card.calls, ==, 1);
  g_assert_true (g_bytes_equal (card.last, c.mikey));
  in_me = mgv_store_session_mtks (fx->store, SESSION);
  g_assert_true (in_me == NULL || in_me->len == 0); /* MGV-F in the ME never saw it */
  g_assert_cmpuint (fx->got->len, ==, 0);
  /* the carousel's repeat is not sent again (the card would call it a replay) ... */
  send_object (fx, 1, 0, c.mikey);
  g_assert_cmpuint (card.calls, ==, 1);
  /* ... unless the card lacked the MSK (6A 88): then the next copy goes */
  download_session_mikey_refused (fx->session, TRUE);
  send_object (fx, 1, 0, c.mikey);
  g_assert_cmpuint (card.calls, ==, 2);
  /* a refusal for good (replay, MAC) leaves it refused */
  download_session_mikey_refused (fx->session, FALSE);
  send_object (fx, 1, 0, c.mikey);
  g_assert_cmpuint (card.calls, ==, 2);
  /* a streaming-style answer (no download keys) is not kept */
  memcpy (bare->domain, DOMAIN, 3);
  bare->msk_id = 0x00010002;
  bare->mtk_id = 7;
  bare->mtk = gba_secret_ref (fx->tgk);
  g_assert_false (download_session_add_mtk (fx->session, bare));
  g_assert_cmpuint (fx->got->len, ==, 0);
  memcpy (mtk->domain, DOMAIN, 3);
  mtk->msk_id = 0x00010002;
  mtk->mtk_id = 7;
  mtk->mtk = gba_secret_ref (fx->tgk);
  mtk->encr_key = gba_secret_new (fx->encr, 16);
  mtk->auth_key = gba_secret_new (fx->auth, 20);
  g_assert_true (download_session_add_mtk (fx->session, mtk));
  {
    /* a copy of another key group's current MTK (anyone can resend that message) does not
     * push the session's own MTKs out */
    g_autoptr(MgvMtk) other = mgv_mtk_copy (mtk);
    DownloadStats before;

    download_session_get_stats (fx->session, &before);
    other->msk_id = 0x00020002;
    other->copy = TRUE;
    g_assert_false (download_session_add_mtk (fx->session, other));
    other->msk_id = 0x00020003;
    g_assert_false (download_session_add_mtk (fx->session, other));
    download_session_get_stats (fx->session, &st);
    g_assert_cmpuint (st.mtks, ==, before.mtks);
  }
  /* the FDT opened; its files come next and open with the card's MTK */
  send_object (fx, 2, 0, c.dcf_a);
  send_object (fx, 3, 0, c.dcf_b);
  assert_got (fx, "http://lab.example/news/a.txt", c.plain_a);
  assert_got (fx, "news/b.bin", c.plain_b);
  download_session_get_stats (fx->session, &st);
  g_assert_cmpuint (st.mtks, ==, 1);
  g_assert_cmpuint (st.held, ==, 0);
  /* a queue too full to take it: the next copy is offered */
  fx_restart (fx);
  card.result = DOWNLOAD_MIKEY_AGAIN;
  download_session_set_mikey_func (fx->session, card_take, &card);
  send_object (fx, 1, 0, c.mikey);
  send_object (fx, 1, 0, c.mikey);
  g_assert_cmpuint (card.calls, ==, 4);
  g_clear_pointer (&card.last, g_bytes_unref);
  carousel_clear (&c);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
#define ADD(path, fn) g_test_add ("/download/session/" path, Fx, NULL, fx_set_up, fn, fx_tear_down)
  ADD ("protected-in-order", test_protected_in_order);
  ADD ("held-until-mtk", test_held_until_mtk);
  ADD ("mtk-kept-across-receivers", test_mtk_kept_across_receivers);
  ADD ("tampered-refused", test_tampered_refused);
  ADD ("wrong-key-refused", test_wrong_key_refused);
  ADD ("fdt-signed-with-wrong-key-refused", test_fdt_signed_with_wrong_key);
  ADD ("loss-and-reordering", test_loss_and_reordering);
  ADD ("flood-of-tois-bounded", test_flood_of_tois_bounded);
  ADD ("incomplete-abandoned-on-timeout", test_incomplete_abandoned);
  ADD ("expired-fdt-ignored", test_expired_fdt_ignored);
  ADD ("unprotected-gzip-and-md5", test_unprotected_gzip_and_md5);
  ADD ("other-tsi-and-garbage-dropped", test_other_tsi_and_garbage);
  ADD ("multi-symbol-packets", test_multi_symbol_packets);
  ADD ("multicast-lo-loss-reordering-held-big-forged", test_multicast_lo);
  ADD ("held-cannot-pin-memory", test_held_cannot_pin_memory);
  ADD ("mtk-change-mid-session", test_mtk_change_mid_session);
  ADD ("mikey-before-msk-taken-from-the-next-copy", test_mikey_before_msk);
  ADD ("given-up-received-again", test_given_up_received_again);
  ADD ("mikey-to-the-card", test_mikey_to_the_card);
  return g_test_run ();
}
