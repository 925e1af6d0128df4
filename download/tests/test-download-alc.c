/* ALC/LCT packets with FLUTE extensions (RFC 5651 5.1, RFC 5775 4, RFC 6726 3.4, RFC 5445
 * 3.4.1) and the RFC 5052 9.1 blocking, on packets built here byte by byte from the RFCs'
 * figures: every field read, every length boundary, truncation at every octet. */
#include "download.h"
#include "test-util.h"

#include <string.h>

static void
put (GByteArray *b, guint64 v, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      guint8 o = (guint8) (v >> (8 * (n - 1 - i)));
      g_byte_array_append (b, &o, 1);
    }
}

/* An LCT header: C=0, S, O, H as given; then CCI, TSI, TOI; HDR_LEN fixed afterwards. */
static GByteArray *
lct (guint s, guint o, guint h, gboolean a, gboolean bflag, guint8 cp, guint64 tsi, guint64 toi)
{
  GByteArray *b = g_byte_array_new ();

  put (b, 0x10, 1);                         /* V=1, C=0, PSI=0 */
  put (b, s << 7 | o << 5 | h << 4 | (a ? 2 : 0) | (bflag ? 1 : 0), 1);
  put (b, 0, 1);                            /* HDR_LEN, set by finish */
  put (b, cp, 1);
  put (b, 0xcafe0001, 4);                   /* CCI */
  put (b, tsi, 4 * s + 2 * h);
  put (b, toi, 4 * o + 2 * h);
  return b;
}

static void
ext_fdt (GByteArray *b, guint version, guint32 instance)
{
  put (b, 192, 1);
  put (b, (guint64) version << 20 | instance, 3);
}

static void
ext_fti (GByteArray *b, guint64 transfer_length, guint16 e, guint32 bl)
{
  put (b, 64, 1);
  put (b, 4, 1);
  put (b, transfer_length, 6);
  put (b, 0, 2);
  put (b, e, 2);
  put (b, bl, 4);
}

static GBytes *
finish (GByteArray *b, guint16 sbn, guint16 esi, const char *payload)
{
  g_assert_cmpuint (b->len % 4, ==, 0);
  b->data[2] = (guint8) (b->len / 4);
  put (b, sbn, 2);
  put (b, esi, 2);
  g_byte_array_append (b, (const guint8 *) payload, (guint) strlen (payload));
  return g_byte_array_free_to_bytes (b);
}

static gboolean
parse (GBytes *bytes, DownloadAlcPacket *pkt, GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return download_alc_parse (data, len, pkt, error);
}

static void
test_fdt_packet (void)
{
  GByteArray *b = lct (1, 1, 0, FALSE, FALSE, 0, 0x01020304, DOWNLOAD_FDT_TOI);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  DownloadAlcPacket pkt;

  ext_fdt (b, 2, 0xabcde);
  ext_fti (b, 0x0000123456789aULL, 1400, 64);
  put (b, 193, 1);                            /* EXT_CENC gzip */
  put (b, DOWNLOAD_CENC_GZIP, 1);
  put (b, 0, 2);
  bytes = finish (b, 7, 9, "<FDT");
  g_assert_true (parse (bytes, &pkt, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pkt.tsi, ==, 0x01020304);
  g_assert_cmpuint (pkt.toi, ==, 0);
  g_assert_true (pkt.has_fdt);
  g_assert_cmpuint (pkt.fdt_version, ==, 2);
  g_assert_cmpuint (pkt.fdt_instance_id, ==, 0xabcde);
  g_assert_true (pkt.has_fti);
  g_assert_cmpuint (pkt.fti.transfer_length, ==, 0x123456789aULL);
  g_assert_cmpuint (pkt.fti.symbol_length, ==, 1400);
  g_assert_cmpuint (pkt.fti.max_block_length, ==, 64);
  g_assert_true (pkt.has_cenc);
  g_assert_cmpuint (pkt.cenc, ==, DOWNLOAD_CENC_GZIP);
  g_assert_cmpuint (pkt.sbn, ==, 7);
  g_assert_cmpuint (pkt.esi, ==, 9);
  g_assert_cmpmem (pkt.payload, pkt.payload_len, "<FDT", 4);
  g_assert_false (pkt.close_object);
}

static void
test_half_word_ids_and_flags (void)
{
  /* S=0 O=0 H=1: 16-bit TSI and TOI; O=1 H=1: 48 bits */
  GByteArray *b = lct (0, 0, 1, TRUE, TRUE, 0, 0xbeef, 0x0042);
  g_autoptr(GBytes) bytes = NULL, wide = NULL;
  DownloadAlcPacket pkt;

  bytes = finish (b, 0, 0, "x");
  g_assert_true (parse (bytes, &pkt, NULL));
  g_assert_cmpuint (pkt.tsi, ==, 0xbeef);
  g_assert_cmpuint (pkt.toi, ==, 0x42);
  g_assert_true (pkt.close_session);
  g_assert_true (pkt.close_object);

  b = lct (1, 1, 1, FALSE, FALSE, 0, 0x112233445566ULL, 0xa1a2a3a4a5a6ULL);
  wide = finish (b, 1, 2, "");
  g_assert_true (parse (wide, &pkt, NULL));
  g_assert_cmpuint (pkt.tsi, ==, 0x112233445566ULL);
  g_assert_cmpuint (pkt.toi, ==, 0xa1a2a3a4a5a6ULL);
  g_assert_cmpuint (pkt.payload_len, ==, 0);
}

static void
test_toi_112_bits (void)
{
  /* O=3, H=1: 112-bit TOI; zero high octets are fine, others beyond mbmsd's 64 bits */
  GByteArray *b = g_byte_array_new ();
  g_autoptr(GBytes) ok = NULL, big = NULL;
  DownloadAlcPacket pkt;
  g_autoptr(GError) error = NULL;

  put (b, 0x10, 1); put (b, 1 << 7 | 3 << 5 | 1 << 4, 1); put (b, 0, 1); put (b, 0, 1);
  put (b, 0, 4);           /* CCI */
  put (b, 5, 6);           /* TSI 48 bits */
  put (b, 0, 6); put (b, 77, 8);  /* TOI 112 bits */
  ok = finish (b, 0, 0, "a");
  g_assert_true (parse (ok, &pkt, NULL));
  g_assert_cmpuint (pkt.toi, ==, 77);

  b = g_byte_array_new ();
  put (b, 0x10, 1); put (b, 1 << 7 | 3 << 5 | 1 << 4, 1); put (b, 0, 1); put (b, 0, 1);
  put (b, 0, 4); put (b, 5, 6);
  put (b, 1, 6); put (b, 77, 8);
  big = finish (b, 0, 0, "a");
  g_assert_false (parse (big, &pkt, &error));
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_UNSUPPORTED);
}

static void
test_refused (void)
{
  struct { guint8 byte0, byte1, hdr_len, cp; int code; } cases[] = {
    { 0x20, 0xa0, 4, 0, DOWNLOAD_ERROR_UNSUPPORTED },  /* LCT version 2 */
    { 0x10, 0xa0, 4, 1, DOWNLOAD_ERROR_UNSUPPORTED },  /* FEC Encoding ID 1 (Raptor) */
    { 0x10, 0x00, 4, 0, DOWNLOAD_ERROR_MALFORMED },    /* no TSI, no TOI */
    { 0x10, 0xa0, 3, 0, DOWNLOAD_ERROR_MALFORMED },    /* HDR_LEN shorter than CCI+TSI+TOI */
    { 0x10, 0xa0, 9, 0, DOWNLOAD_ERROR_TRUNCATED },    /* HDR_LEN beyond the datagram */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint8 pkt_bytes[24] = { cases[i].byte0, cases[i].byte1, cases[i].hdr_len, cases[i].cp };
      DownloadAlcPacket pkt;
      g_autoptr(GError) error = NULL;

      g_assert_false (download_alc_parse (pkt_bytes, sizeof pkt_bytes, &pkt, &error));
      g_assert_error (error, DOWNLOAD_ERROR, cases[i].code);
    }
}

static void
test_bad_extensions (void)
{
  struct { const char *what; guint8 ext[16]; guint len; int code; } cases[] = {
    { "HEL 0", { 2, 0, 0, 0 }, 4, DOWNLOAD_ERROR_MALFORMED },
    { "HEL past HDR_LEN", { 2, 3, 0, 0 }, 4, DOWNLOAD_ERROR_TRUNCATED },
    { "EXT_FTI of 3 words", { 64, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 12, DOWNLOAD_ERROR_UNSUPPORTED },
    { "EXT_FTI symbol length 0", { 64, 4, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1 }, 16, DOWNLOAD_ERROR_MALFORMED },
    { "EXT_FDT version 3", { 192, 0x30, 0, 1 }, 4, DOWNLOAD_ERROR_UNSUPPORTED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GByteArray *b = lct (1, 1, 0, FALSE, FALSE, 0, 1, 2);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) error = NULL;
      DownloadAlcPacket pkt;

      g_byte_array_append (b, cases[i].ext, cases[i].len);
      bytes = finish (b, 0, 0, "p");
      g_test_message ("%s", cases[i].what);
      g_assert_false (parse (bytes, &pkt, &error));
      g_assert_error (error, DOWNLOAD_ERROR, cases[i].code);
    }
}

static void
test_unknown_extensions_skipped (void)
{
  GByteArray *b = lct (1, 1, 0, FALSE, FALSE, 0, 1, 2);
  g_autoptr(GBytes) bytes = NULL;
  DownloadAlcPacket pkt;
  static const guint8 auth[8] = { 1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }; /* EXT_AUTH, 2 words */
  static const guint8 fixed[4] = { 200, 1, 2, 3 };

  g_byte_array_append (b, auth, sizeof auth);
  g_byte_array_append (b, fixed, sizeof fixed);
  bytes = finish (b, 3, 4, "data");
  g_assert_true (parse (bytes, &pkt, NULL));
  g_assert_false (pkt.has_fdt || pkt.has_fti || pkt.has_cenc);
  g_assert_cmpuint (pkt.toi, ==, 2);
  g_assert_cmpmem (pkt.payload, pkt.payload_len, "data", 4);
}

static void
test_truncated_everywhere (void)
{
  GByteArray *b = lct (1, 1, 0, FALSE, FALSE, 0, 1, 2);
  g_autoptr(GBytes) bytes = NULL;
  gsize len, hdr;
  const guint8 *data;

  ext_fdt (b, 1, 5);
  ext_fti (b, 1000, 100, 3);
  hdr = b->len;
  bytes = finish (b, 0, 0, "");
  data = g_bytes_get_data (bytes, &len);
  g_assert_true (download_alc_parse (data, len, &(DownloadAlcPacket) { 0 }, NULL));
  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr(GError) error = NULL;
      guint8 *copy = g_memdup2 (data, cut);
      DownloadAlcPacket pkt;

      g_assert_false (download_alc_parse (copy, cut, &pkt, &error));
      g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_TRUNCATED);
      g_free (copy);
    }
  g_assert_cmpuint (hdr, ==, 36); /* 4 + CCI 4 + TSI 4 + TOI 4 + EXT_FDT 4 + EXT_FTI 16 */
}

static void
test_blocking (void)
{
  /* L=1000, E=100, B=3: T=10, N=4, A_large=3, A_small=2, I=2: blocks of 3, 3, 2, 2 symbols */
  DownloadFecOti oti = { 1000, 100, 3 };
  guint64 off;
  gsize len;
  g_autoptr(GError) error = NULL;

  g_assert_true (download_fec_symbol_range (&oti, 0, 0, &off, &len, NULL));
  g_assert_cmpuint (off, ==, 0);
  g_assert_cmpuint (len, ==, 300);
  g_assert_true (download_fec_symbol_range (&oti, 1, 2, &off, &len, NULL));
  g_assert_cmpuint (off, ==, 500);
  g_assert_cmpuint (len, ==, 100);
  g_assert_true (download_fec_symbol_range (&oti, 2, 0, &off, &len, NULL));
  g_assert_cmpuint (off, ==, 600);
  g_assert_cmpuint (len, ==, 200);
  g_assert_true (download_fec_symbol_range (&oti, 3, 1, &off, &len, NULL));
  g_assert_cmpuint (off, ==, 900);
  g_assert_cmpuint (len, ==, 100);
  g_assert_false (download_fec_symbol_range (&oti, 2, 2, &off, &len, &error));
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (download_fec_symbol_range (&oti, 4, 0, &off, &len, &error));
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_MALFORMED);
  g_clear_error (&error);

  /* the last symbol short: L=950 */
  oti.transfer_length = 950;
  g_assert_true (download_fec_symbol_range (&oti, 3, 1, &off, &len, NULL));
  g_assert_cmpuint (off, ==, 900);
  g_assert_cmpuint (len, ==, 50);

  oti.transfer_length = 0;
  g_assert_false (download_fec_symbol_range (&oti, 0, 0, &off, &len, &error));
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_MALFORMED);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/download/alc/fdt-packet", test_fdt_packet);
  g_test_add_func ("/download/alc/half-word-ids-and-flags", test_half_word_ids_and_flags);
  g_test_add_func ("/download/alc/toi-112-bits", test_toi_112_bits);
  g_test_add_func ("/download/alc/refused", test_refused);
  g_test_add_func ("/download/alc/bad-extensions", test_bad_extensions);
  g_test_add_func ("/download/alc/unknown-extensions-skipped", test_unknown_extensions_skipped);
  g_test_add_func ("/download/alc/truncated-everywhere", test_truncated_everywhere);
  g_test_add_func ("/download/alc/rfc5052-blocking", test_blocking);
  return g_test_run ();
}
