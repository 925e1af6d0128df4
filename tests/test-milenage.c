/* Milenage (TS 35.206) against all 20 test sets of TS 35.208 and the AKA values of
 * ../shared/vectors/aka-derived.txt (AUTN, AUTS), both read at run time. */
#include "gba.h"
#include "test-util.h"

#include <string.h>

typedef struct {
  guint8 k[16], rand[16], sqn[6], amf[2], op[16], opc[16];
  guint8 mac_a[8], mac_s[8], res[8], ck[16], ik[16], ak[6], ak_star[6];
} Set;

static GArray *
load_sets (void)
{
  g_autofree char *text = test_vectors_read ("milenage-ts35208.tsv");
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GArray *sets = g_array_new (FALSE, TRUE, sizeof (Set));

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) c = g_strsplit (lines[i], "\t", -1);
      Set s;

      if (lines[i][0] == '#' || g_strv_length (c) != 14 || !g_ascii_isdigit (c[0][0]))
        continue;
      test_hex_to (c[1], s.k, 16);
      test_hex_to (c[2], s.rand, 16);
      test_hex_to (c[3], s.sqn, 6);
      test_hex_to (c[4], s.amf, 2);
      test_hex_to (c[5], s.op, 16);
      test_hex_to (c[6], s.opc, 16);
      test_hex_to (c[7], s.mac_a, 8);
      test_hex_to (c[8], s.mac_s, 8);
      test_hex_to (c[9], s.res, 8);
      test_hex_to (c[10], s.ck, 16);
      test_hex_to (c[11], s.ik, 16);
      test_hex_to (c[12], s.ak, 6);
      test_hex_to (c[13], s.ak_star, 6);
      g_array_append_val (sets, s);
    }
  return sets;
}

static void
test_ts35208_all_sets (void)
{
  g_autoptr(GArray) sets = load_sets ();

  g_assert_cmpuint (sets->len, ==, 20);
  for (guint i = 0; i < sets->len; i++)
    {
      Set *s = &g_array_index (sets, Set, i);
      guint8 opc[16], mac_a[8], mac_s[8], res[8], ck[16], ik[16], ak[6], ak_star[6];

      g_test_message ("TS 35.208 set %u", i + 1);
      gba_milenage_opc (s->k, s->op, opc);
      g_assert_cmpmem (opc, 16, s->opc, 16);
      gba_milenage_f1 (s->k, s->opc, s->rand, s->sqn, s->amf, mac_a, mac_s);
      g_assert_cmpmem (mac_a, 8, s->mac_a, 8);
      g_assert_cmpmem (mac_s, 8, s->mac_s, 8);
      gba_milenage_f2345 (s->k, s->opc, s->rand, res, ck, ik, ak, ak_star);
      g_assert_cmpmem (res, 8, s->res, 8);
      g_assert_cmpmem (ck, 16, s->ck, 16);
      g_assert_cmpmem (ik, 16, s->ik, 16);
      g_assert_cmpmem (ak, 6, s->ak, 6);
      g_assert_cmpmem (ak_star, 6, s->ak_star, 6);
    }
}

/* The hostap table repeats set 1 as set 2; ours must hold the real set 2 (vectors README). */
static void
test_set2_is_not_set1 (void)
{
  g_autoptr(GArray) sets = load_sets ();
  guint8 k2[16];

  test_hex_to ("0396eb317b6d1c36f19c1c84cd6ffd16", k2, 16);
  g_assert_cmpmem (g_array_index (sets, Set, 1).k, 16, k2, 16);
}

static void
aka_section (const char *text, const char *section, const char *name, guint8 *out, gsize len)
{
  g_autofree char *hex = test_vectors_field (text, section, name);

  g_assert_nonnull (hex);
  test_hex_to (hex, out, len);
}

static void
test_autn_and_nonce (void)
{
  g_autofree char *text = test_vectors_read ("aka-derived.txt");
  g_autoptr(GArray) sets = load_sets ();
  const guint set_index[] = { 0, 2 };
  const char *sections[] = { "[set 1]", "[set 3]" };

  for (guint i = 0; i < 2; i++)
    {
      Set *s = &g_array_index (sets, Set, set_index[i]);
      guint8 rand[16], autn_expected[16], autn[16], res[8], nonce_raw[32];
      g_autofree char *nonce_b64 = test_vectors_field (text, sections[i], "nonce_b64");
      g_autofree char *nonce = NULL;

      aka_section (text, sections[i], "RAND", rand, 16);
      aka_section (text, sections[i], "AUTN", autn_expected, 16);
      aka_section (text, sections[i], "RES", res, 8);
      g_assert_cmpmem (rand, 16, s->rand, 16);
      gba_milenage_autn (s->k, s->opc, s->rand, s->sqn, s->amf, autn);
      g_assert_cmpmem (autn, 16, autn_expected, 16);
      g_assert_cmpmem (res, 8, s->res, 8);
      /* RFC 3310 3.2: nonce = base64(RAND || AUTN) */
      memcpy (nonce_raw, rand, 16);
      memcpy (nonce_raw + 16, autn, 16);
      nonce = g_base64_encode (nonce_raw, 32);
      g_assert_cmpstr (nonce, ==, nonce_b64);
    }
}

static void
test_auts_vector (void)
{
  g_autofree char *text = test_vectors_read ("aka-derived.txt");
  g_autoptr(GArray) sets = load_sets ();
  Set *s = &g_array_index (sets, Set, 0);
  guint8 auts[14], sqn_ms[6], expected_sqn[6];

  aka_section (text, "## 2.", "AUTS", auts, 14);
  test_hex_to ("ff9bb4d0b5e0", expected_sqn, 6);
  g_assert_true (gba_milenage_check_auts (s->k, s->opc, s->rand, auts, sqn_ms));
  g_assert_cmpmem (sqn_ms, 6, expected_sqn, 6);
  /* one flipped bit of MAC-S, or of the concealed SQN, and the check fails */
  auts[13] ^= 0x01;
  g_assert_false (gba_milenage_check_auts (s->k, s->opc, s->rand, auts, sqn_ms));
  auts[13] ^= 0x01;
  auts[0] ^= 0x80;
  g_assert_false (gba_milenage_check_auts (s->k, s->opc, s->rand, auts, sqn_ms));
}

static void
test_sqn_u64 (void)
{
  guint8 sqn[6];

  gba_sqn_from_u64 (G_GUINT64_CONSTANT (0xff9bb4d0b607), sqn);
  g_assert_cmpuint (sqn[0], ==, 0xff);
  g_assert_cmpuint (sqn[5], ==, 0x07);
  g_assert_cmpuint (gba_sqn_to_u64 (sqn), ==, G_GUINT64_CONSTANT (0xff9bb4d0b607));
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/gba/milenage/ts35208-all-20-sets", test_ts35208_all_sets);
  g_test_add_func ("/gba/milenage/ts35208-set2-not-a-copy-of-set1", test_set2_is_not_set1);
  g_test_add_func ("/gba/milenage/autn-and-digest-aka-nonce", test_autn_and_nonce);
  g_test_add_func ("/gba/milenage/auts-vector-and-tampering", test_auts_vector);
  g_test_add_func ("/gba/milenage/sqn-octets", test_sqn_u64);
  return g_test_run ();
}
