/* The lab's download sender, its building blocks against values computed by hand from the
 * specifications: an ALC/LCT packet (RFC 5651 5.1, RFC 6726 3.4.1, RFC 5445 3.1-3.2), the
 * RFC 5052 9.1 blocking, the 'obki' box (docs/interpretations.md, "Lab: DCF writer"), and the
 * lab's RFC 3830 PRF against mgv's (two implementations written apart must agree). */
#include "lab-dcf.h"
#include "lab-flute.h"
#include "mikey.h"
#include "test-util.h"

#include <string.h>

static void
test_lct_packet (void)
{
  static const guint8 expected[] = {
    0x10, 0xa1, 0x09, 0x00,                         /* V 1, C 0, PSI 0 | S 1, O 1, H 0, B | HDR_LEN 9 | CP 0 */
    0x00, 0x00, 0x00, 0x00,                         /* CCI */
    0x01, 0x02, 0x03, 0x04,                         /* TSI */
    0x00, 0x00, 0x00, 0x00,                         /* TOI 0: an FDT instance */
    0xc0, 0x2a, 0xbc, 0xde,                         /* EXT_FDT: HET 192, V 2, FDT Instance ID 0xabcde */
    0x40, 0x04, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78, /* EXT_FTI: HET 64, HEL 4, Transfer Length */
    0x00, 0x00, 0x05, 0x78,                         /* reserved, Encoding Symbol Length 1400 */
    0x00, 0x00, 0x01, 0x00,                         /* Maximum Source Block Length 256 */
    0x00, 0x02, 0x00, 0x03,                         /* SBN 2, ESI 3 */
    'x', 'y',
  };
  LabLctPacket p = { .tsi = 0x01020304, .toi = 0, .fdt = TRUE, .fdt_instance_id = 0xabcde,
                     .transfer_length = 0x12345678, .symbol_length = 1400, .max_block_length = 256, .sbn = 2,
                     .esi = 3, .payload = (const guint8 *) "xy", .payload_len = 2, .close_object = TRUE };
  g_autoptr(GBytes) pkt = lab_lct_packet_build (&p);
  gsize len;
  const guint8 *d = g_bytes_get_data (pkt, &len);

  g_assert_cmpmem (d, len, expected, sizeof expected);

  /* no EXT_FDT on other objects, A for the session's last packet */
  p.toi = 5;
  p.fdt = FALSE;
  p.close_object = FALSE;
  p.close_session = TRUE;
  g_autoptr(GBytes) other = lab_lct_packet_build (&p);
  d = g_bytes_get_data (other, &len);
  g_assert_cmpuint (len, ==, sizeof expected - 4);
  g_assert_cmphex (d[1], ==, 0xa2);
  g_assert_cmpuint (d[2], ==, 8);
  g_assert_cmphex (d[16], ==, 0x40);
}

static void
test_blocking (void)
{
  guint large, small, n_large;

  /* RFC 5052 9.1: T = 7865 symbols, B = 256: N = 31, 22 blocks of 254 and 9 of 253 */
  g_assert_cmpuint (lab_flute_blocks (7865u * 1400 - 5, 1400, 256, &large, &small, &n_large), ==, 31);
  g_assert_cmpuint (large, ==, 254);
  g_assert_cmpuint (small, ==, 253);
  g_assert_cmpuint (n_large, ==, 22);
  /* one short object: one block of one symbol */
  g_assert_cmpuint (lab_flute_blocks (80, 1400, 256, &large, &small, &n_large), ==, 1);
  g_assert_cmpuint (large, ==, 1);
  g_assert_cmpuint (small, ==, 1);
  g_assert_cmpuint (n_large, ==, 0);
}

static void
test_obki (void)
{
  /* Key Domain 00f110, MSK ID 00030001, MTK ID 0001: base64 of 00 f1 10 00 03 00 01 00 01 */
  static const guint8 expected[] = { 0x00, 0x00, 0x00, 0x1c, 'o', 'b', 'k', 'i', 0, 0, 0, 0,
                                     0x00, 0x02, 0x00, 0x0c, 'A', 'P', 'E', 'Q', 'A', 'A', 'M', 'A', 'A', 'Q', 'A', 'B' };
  LabDcfParams p = { .key_domain = { 0x00, 0xf1, 0x10 }, .msk_id = 0x00030001, .mtk_id = 1 };
  g_autoptr(GBytes) obki = lab_dcf_obki (&p);
  gsize len;
  const guint8 *d = g_bytes_get_data (obki, &len);

  g_assert_cmpmem (d, len, expected, sizeof expected);
}

static void
test_keys_agree_with_mgv (void)
{
  for (guint i = 0; i < 8; i++)
    {
      g_autoptr(GbaSecret) mtk = gba_secret_new_random (16);
      g_autoptr(GbaSecret) r = gba_secret_new_random (16);
      g_autoptr(GBytes) rand = g_bytes_new (gba_secret_get_data (r, NULL), 16);
      guint32 csb_id = g_random_int ();
      LabDcfKeys keys = { 0 };
      g_autoptr(GbaSecret) encr = mikey_derive_tgk_key (mtk, MIKEY_TGK_CONST_ENCR, 0, csb_id, rand, 16);
      g_autoptr(GbaSecret) auth = mikey_derive_tgk_key (mtk, MIKEY_TGK_CONST_AUTH, 0, csb_id, rand, 20);

      lab_dcf_keys_derive (mtk, csb_id, rand, &keys);
      g_assert_true (gba_secret_equal (keys.encr_key, encr));
      g_assert_true (gba_secret_equal (keys.auth_key, auth));
      lab_dcf_keys_clear (&keys);
    }
}

static void
test_bad_signature_only_changes_the_signature (void)
{
  LabDcfParams p = { .method = LAB_DCF_NULL, .content_type = "text/xml", .msk_id = 0x00030001, .mtk_id = 1 };
  g_autoptr(GbaSecret) mtk = gba_secret_new_random (16);
  g_autoptr(GBytes) plain = g_bytes_new_static ("<FDT-Instance/>", 15);
  LabDcfKeys keys = { 0 };
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GBytes) bad = NULL;
  gsize n;
  const guint8 *a, *b;

  lab_dcf_keys_derive (mtk, 1, NULL, &keys);
  good = lab_dcf_write (&p, &keys, plain);
  p.bad_signature = TRUE;
  bad = lab_dcf_write (&p, &keys, plain);
  lab_dcf_keys_clear (&keys);
  a = g_bytes_get_data (good, &n);
  b = g_bytes_get_data (bad, NULL);
  g_assert_cmpuint (g_bytes_get_size (bad), ==, n);
  /* ... mdri (8) odfs (12) SignatureMethod (1) Signature (20): only the first signature octet differs */
  g_assert_cmpmem (a, n - 20, b, n - 20);
  g_assert_cmphex (a[n - 20] ^ b[n - 20], ==, 0x01);
  g_assert_cmpmem (a + n - 19, 19, b + n - 19, 19);
  g_assert_cmpmem (a + n - 41 + 4, 4, "mdri", 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lab/flute/lct-packet", test_lct_packet);
  g_test_add_func ("/lab/flute/rfc5052-blocking", test_blocking);
  g_test_add_func ("/lab/dcf/obki", test_obki);
  g_test_add_func ("/lab/dcf/keys-agree-with-mgv", test_keys_agree_with_mgv);
  g_test_add_func ("/lab/dcf/bad-signature", test_bad_signature_only_changes_the_signature);
  return g_test_run ();
}
