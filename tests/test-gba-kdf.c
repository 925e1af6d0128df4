/* TS 33.220 Annex B KDF, NAF keys and the MBMS MUK / MRK of TS 33.246 6.1 / Annex F,
 * against ../shared/vectors/gba-kdf.txt. */
#include "gba.h"
#include "test-util.h"

#include <string.h>

static GbaSecret *
secret_from_hex (const char *hex)
{
  g_autoptr(GBytes) bytes = test_hex_decode (hex);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return gba_secret_new (data, len);
}

static void
assert_secret_hex (const GbaSecret *secret, const char *hex)
{
  g_autoptr(GbaSecret) expected = secret_from_hex (hex);

  g_assert_nonnull (secret);
  g_assert_true (gba_secret_equal (secret, expected));
}

/* G5: the LTE KeNB rows check the FC || P || L framing with an independent source. */
static void
test_kdf_kenb_vectors (void)
{
  g_autofree char *text = test_vectors_read ("gba-kdf.txt");
  const char *start = strstr (text, "==== G5");
  g_auto(GStrv) lines = NULL;
  guint rows = 0;

  g_assert_nonnull (start);
  lines = g_strsplit (start, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) cols = NULL;
      g_autoptr(GbaSecret) kasme = NULL;
      g_autoptr(GbaSecret) kenb = NULL;
      g_autoptr(GError) error = NULL;
      guint8 count[4];
      GbaKdfParam p0;

      if (g_str_has_prefix (lines[i], "==== G6"))
        break;
      cols = g_strsplit_set (lines[i], " \t", -1);
      {
        /* squeeze empty columns */
        GPtrArray *c = g_ptr_array_new ();
        for (guint j = 0; cols[j] != NULL; j++)
          if (cols[j][0] != '\0')
            g_ptr_array_add (c, cols[j]);
        if (c->len != 3 || strlen (g_ptr_array_index (c, 0)) != 8
            || strlen (g_ptr_array_index (c, 1)) != 64)
          {
            g_ptr_array_free (c, TRUE);
            continue;
          }
        test_hex_to (g_ptr_array_index (c, 0), count, sizeof count);
        kasme = secret_from_hex (g_ptr_array_index (c, 1));
        p0.data = count;
        p0.len = sizeof count;
        /* TS 33.401 A.3: FC = 0x11, P0 = uplink NAS COUNT */
        kenb = gba_kdf (kasme, 0x11, &p0, 1, &error);
        g_assert_no_error (error);
        assert_secret_hex (kenb, g_ptr_array_index (c, 2));
        g_ptr_array_free (c, TRUE);
        rows++;
      }
    }
  g_assert_cmpuint (rows, ==, 6);
}

static void
test_kdf_param_too_long (void)
{
  g_autoptr(GbaSecret) key = gba_secret_new_zeroed (32);
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *big = g_malloc0 (0x10000);
  GbaKdfParam p0 = { big, 0x10000 };
  GbaSecret *out = gba_kdf (key, 0x01, &p0, 1, &error);

  g_assert_null (out);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT);
}

static void
test_naf_id_mbms (void)
{
  g_autoptr(GBytes) naf_id = gba_naf_id_new ("bmsc.home1.net", GBA_UA_PROTOCOL_MBMS);
  g_autoptr(GBytes) expected = test_hex_decode ("626d73632e686f6d65312e6e6574" "0100000001");

  g_assert_true (g_bytes_equal (naf_id, expected));
}

typedef struct {
  GbaSecret *ks;
  guint8     rand[16];
  char      *impi;
  GBytes    *naf_id;
  char      *text;
} G6;

static void
g6_load (G6 *g6)
{
  g_autofree char *ks = NULL;
  g_autofree char *rand = NULL;

  g6->text = test_vectors_read ("gba-kdf.txt");
  ks = test_vectors_field (g6->text, "==== G6", "Ks");
  rand = test_vectors_field (g6->text, "==== G6", "RAND");
  g_assert_nonnull (ks);
  g_assert_nonnull (rand);
  g6->ks = secret_from_hex (ks);
  test_hex_to (rand, g6->rand, sizeof g6->rand);
  g6->impi = g_strdup ("001010123456789@ims.mnc001.mcc001.3gppnetwork.org");
  g_assert_nonnull (strstr (g6->text, g6->impi));
  g6->naf_id = gba_naf_id_new ("bmsc.home1.net", GBA_UA_PROTOCOL_MBMS);
}

static void
g6_clear (G6 *g6)
{
  gba_secret_unref (g6->ks);
  g_free (g6->impi);
  g_bytes_unref (g6->naf_id);
  g_free (g6->text);
}

static void
test_naf_keys_vector_g6 (void)
{
  G6 g6;
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaSecret) ks_naf = NULL;
  g_autoptr(GbaSecret) ks_int = NULL;
  g_autoptr(GbaSecret) mrk = NULL;
  g_autofree char *exp_naf = NULL;
  g_autofree char *exp_int = NULL;
  g_autofree char *exp_mrk = NULL;
  g_autofree char *exp_mrk_b64 = NULL;
  g_autofree char *mrk_b64 = NULL;

  g6_load (&g6);
  exp_naf = test_vectors_field (g6.text, "==== G6", "Ks_NAF");
  exp_int = test_vectors_field (g6.text, "==== G6", "Ks_int_NAF");
  exp_mrk = test_vectors_field (g6.text, "==== G6", "MRK");
  exp_mrk_b64 = test_vectors_field (g6.text, "==== G6", "base64(MRK)");
  g_assert_nonnull (exp_mrk_b64);

  ks_naf = gba_derive_naf_key (g6.ks, GBA_NAF_KEY_ME, g6.rand, g6.impi, g6.naf_id, &error);
  g_assert_no_error (error);
  assert_secret_hex (ks_naf, exp_naf);

  ks_int = gba_derive_naf_key (g6.ks, GBA_NAF_KEY_INT, g6.rand, g6.impi, g6.naf_id, &error);
  g_assert_no_error (error);
  assert_secret_hex (ks_int, exp_int);

  mrk = gba_derive_mrk (ks_naf, &error);
  g_assert_no_error (error);
  assert_secret_hex (mrk, exp_mrk);
  mrk_b64 = g_base64_encode (gba_secret_get_data (mrk, NULL), gba_secret_get_size (mrk));
  g_assert_cmpstr (mrk_b64, ==, exp_mrk_b64);
  g6_clear (&g6);
}

/* TS 33.246 6.1: which key is MUK and which MRK, for each kind of run. */
static void
test_mbms_keys_table (void)
{
  G6 g6;
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaSecret) ks_naf = NULL;
  g_autoptr(GbaMbmsKeys) me = NULL;
  g_autoptr(GbaMbmsKeys) u_plain = NULL;
  g_autoptr(GbaMbmsKeys) u_mbms = NULL;
  g_autofree char *exp_mrk = NULL;
  const char *btid = "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.home1.net";

  g6_load (&g6);
  exp_mrk = test_vectors_field (g6.text, "==== G6", "MRK");
  ks_naf = gba_derive_naf_key (g6.ks, GBA_NAF_KEY_ME, g6.rand, g6.impi, g6.naf_id, &error);
  g_assert_no_error (error);

  me = gba_mbms_keys_derive (GBA_RUN_ME, FALSE, ks_naf, btid, "bmsc.home1.net", &error);
  g_assert_no_error (error);
  g_assert_true (gba_secret_equal (me->muk, ks_naf));
  assert_secret_hex (me->mrk, exp_mrk);
  g_assert_false (me->muk_on_uicc);
  g_assert_cmpstr (me->muk_idr, ==, btid);
  g_assert_cmpstr (me->muk_idi, ==, "bmsc.home1.net");

  /* an MBMS-capable UICC on a GBA_ME run still leaves MUK management to the ME */
  {
    g_autoptr(GbaMbmsKeys) me_cap = gba_mbms_keys_derive (GBA_RUN_ME, TRUE, ks_naf, btid, "bmsc.home1.net", &error);
    g_assert_no_error (error);
    g_assert_nonnull (me_cap->muk);
    assert_secret_hex (me_cap->mrk, exp_mrk);
  }

  /* GBA_U without MBMS on the card: the same derivation from Ks_ext_NAF */
  u_plain = gba_mbms_keys_derive (GBA_RUN_U, FALSE, ks_naf, btid, "bmsc.home1.net", &error);
  g_assert_no_error (error);
  g_assert_true (gba_secret_equal (u_plain->muk, ks_naf));
  assert_secret_hex (u_plain->mrk, exp_mrk);

  /* GBA_U with MBMS on the card: MUK stays there, MRK = Ks_ext_NAF */
  u_mbms = gba_mbms_keys_derive (GBA_RUN_U, TRUE, ks_naf, btid, "bmsc.home1.net", &error);
  g_assert_no_error (error);
  g_assert_null (u_mbms->muk);
  g_assert_true (u_mbms->muk_on_uicc);
  g_assert_true (gba_secret_equal (u_mbms->mrk, ks_naf));
  g6_clear (&g6);
}

static void
test_secret_equal_and_concat (void)
{
  g_autoptr(GbaSecret) a = gba_secret_new ("abc", 3);
  g_autoptr(GbaSecret) b = gba_secret_new ("abd", 3);
  g_autoptr(GbaSecret) ab = gba_secret_new_concat (a, b);
  g_autoptr(GbaSecret) r1 = gba_secret_new_random (16);
  g_autoptr(GbaSecret) r2 = gba_secret_new_random (16);

  g_assert_false (gba_secret_equal (a, b));
  g_assert_true (gba_secret_equal (a, a));
  g_assert_cmpuint (gba_secret_get_size (ab), ==, 6);
  g_assert_cmpmem (gba_secret_get_data (ab, NULL), 6, "abcabd", 6);
  g_assert_false (gba_secret_equal (r1, r2));
}

static void
test_hex (void)
{
  guint8 buf[3];
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) b = gba_hex_to_bytes (" 00:F1 10\n", &error);

  g_assert_true (gba_hex_to_buf ("00f110", buf, 3));
  g_assert_cmpuint (buf[1], ==, 0xf1);
  g_assert_false (gba_hex_to_buf ("00f11", buf, 3));
  g_assert_false (gba_hex_to_buf ("00f11g", buf, 3));
  g_assert_false (gba_hex_to_buf (NULL, buf, 3));
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), "\x00\xf1\x10", 3);
  g_assert_null (gba_hex_to_bytes ("0 0", &error));
  g_assert_error (error, GBA_ERROR, GBA_ERROR_PARSE);
  g_clear_error (&error);
  g_assert_null (gba_hex_to_bytes ("abc", &error));
  g_assert_error (error, GBA_ERROR, GBA_ERROR_PARSE);
  g_clear_error (&error);
  g_assert_null (gba_hex_to_bytes ("zz", &error));
  g_assert_error (error, GBA_ERROR, GBA_ERROR_PARSE);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/gba/kdf/kenb-framing-vectors-g5", test_kdf_kenb_vectors);
  g_test_add_func ("/gba/kdf/param-longer-than-65535-rejected", test_kdf_param_too_long);
  g_test_add_func ("/gba/kdf/naf-id-mbms-g4", test_naf_id_mbms);
  g_test_add_func ("/gba/kdf/ks-naf-ks-int-naf-mrk-vector-g6", test_naf_keys_vector_g6);
  g_test_add_func ("/gba/kdf/mbms-muk-mrk-table-6-1", test_mbms_keys_table);
  g_test_add_func ("/gba/secret/equal-concat-random", test_secret_equal_and_concat);
  g_test_add_func ("/gba/hex/decode", test_hex);
  return g_test_run ();
}
