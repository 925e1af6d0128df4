/* The software USIM: AUTHENTICATE per TS 33.102 (MAC check, SQN freshness of Annex C, AUTS),
 * SQN persistence (0600, atomic), key file parsing, identity and the TS 23.003 names. */
#include "gba.h"
#include "test-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define K_SET1   "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OPC_SET1 "cd63cb71954a9f4e48a5994e37a02baf"
#define OP_SET1  "cdc202d5123e20f62b6d676ac72cb318"

typedef struct {
  char    *dir;
  char    *sqn_path;
  GbaUicc *uicc;
  guint8   k[16], opc[16], amf[2];
} Fx;

static GbaUicc *
new_usim (Fx *fx)
{
  GbaUiccSoftParams p = { .imsi = "001010123456789", .iccid = "8988211000000000001", .mnc_len = 2,
                          .sqn_path = fx->sqn_path };
  g_autoptr(GError) error = NULL;
  GbaUicc *uicc;

  memcpy (p.k, fx->k, 16);
  memcpy (p.opc, fx->opc, 16);
  memcpy (p.amf, fx->amf, 2);
  uicc = gba_uicc_soft_new (&p, &error);
  g_assert_no_error (error);
  return uicc;
}

static void
fx_set_up (Fx *fx, gconstpointer d)
{
  fx->dir = test_tmpdir_new ();
  fx->sqn_path = g_build_filename (fx->dir, "usim.sqn", NULL);
  test_hex_to (K_SET1, fx->k, 16);
  test_hex_to (OPC_SET1, fx->opc, 16);
  test_hex_to ("8000", fx->amf, 2);
  fx->uicc = new_usim (fx);
}

static void
fx_tear_down (Fx *fx, gconstpointer d)
{
  g_clear_object (&fx->uicc);
  test_tmpdir_remove (fx->dir);
  g_free (fx->dir);
  g_free (fx->sqn_path);
}

/* A network-side challenge for SQN, as the HSS would build it. */
static void
challenge (Fx *fx, guint64 sqn_value, const guint8 *k, guint8 rand[16], guint8 autn[16])
{
  guint8 sqn[6];

  for (int i = 0; i < 16; i++)
    rand[i] = (guint8) g_random_int ();
  gba_sqn_from_u64 (sqn_value, sqn);
  gba_milenage_autn (k, fx->opc, rand, sqn, fx->amf, autn);
}

static GbaAkaResult *
authenticate (Fx *fx, guint64 sqn, guint8 rand[16])
{
  guint8 autn[16];
  g_autoptr(GError) error = NULL;
  GbaAkaResult *r;

  challenge (fx, sqn, fx->k, rand, autn);
  r = gba_uicc_authenticate (fx->uicc, rand, autn, NULL, &error);
  g_assert_no_error (error);
  return r;
}

static void
test_fresh_sqn_accepted (Fx *fx, gconstpointer d)
{
  guint8 rand[16], res[8], ck[16], ik[16];
  g_autoptr(GbaAkaResult) r = authenticate (fx, 32, rand);

  g_assert_cmpint (r->status, ==, GBA_AKA_OK);
  gba_milenage_f2345 (fx->k, fx->opc, rand, res, ck, ik, NULL, NULL);
  g_assert_cmpmem (gba_secret_get_data (r->res, NULL), gba_secret_get_size (r->res), res, 8);
  g_assert_cmpmem (gba_secret_get_data (r->ck, NULL), 16, ck, 16);
  g_assert_cmpmem (gba_secret_get_data (r->ik, NULL), 16, ik, 16);
  g_assert_cmpuint (gba_uicc_soft_get_sqn_ms (GBA_UICC_SOFT (fx->uicc)), ==, 32);
}

/* A replayed SQN: AUTS that the network verifies and that carries the USIM's SQN_MS. */
static void
test_replayed_sqn_sync_failure (Fx *fx, gconstpointer d)
{
  guint8 rand[16], sqn_ms[6];
  g_autoptr(GbaAkaResult) first = authenticate (fx, 64, rand);
  g_autoptr(GbaAkaResult) again = authenticate (fx, 64, rand);

  g_assert_cmpint (first->status, ==, GBA_AKA_OK);
  g_assert_cmpint (again->status, ==, GBA_AKA_SYNC_FAILURE);
  g_assert_null (again->res);
  g_assert_true (gba_milenage_check_auts (fx->k, fx->opc, rand, again->auts, sqn_ms));
  g_assert_cmpuint (gba_sqn_to_u64 (sqn_ms), ==, 64);
}

/* Annex C: an older SEQ is refused, but another IND with a fresh SEQ is fine. */
static void
test_ind_array (Fx *fx, gconstpointer d)
{
  guint8 rand[16];
  g_autoptr(GbaAkaResult) a = authenticate (fx, (5 << 5) | 3, rand);  /* SEQ 5, IND 3 */
  g_autoptr(GbaAkaResult) b = authenticate (fx, (4 << 5) | 7, rand);  /* SEQ 4, IND 7 */
  g_autoptr(GbaAkaResult) c = authenticate (fx, (4 << 5) | 3, rand);  /* SEQ 4, IND 3 */

  g_assert_cmpint (a->status, ==, GBA_AKA_OK);
  g_assert_cmpint (b->status, ==, GBA_AKA_OK);
  g_assert_cmpint (c->status, ==, GBA_AKA_SYNC_FAILURE);
}

static void
test_sqn_jump_beyond_delta (Fx *fx, gconstpointer d)
{
  guint8 rand[16];
  g_autoptr(GbaAkaResult) a = authenticate (fx, 32, rand);
  g_autoptr(GbaAkaResult) b = authenticate (fx, ((G_GUINT64_CONSTANT (1) << 28) + 5) << 5, rand);

  g_assert_cmpint (a->status, ==, GBA_AKA_OK);
  g_assert_cmpint (b->status, ==, GBA_AKA_SYNC_FAILURE);
}

static void
test_wrong_k_mac_failure (Fx *fx, gconstpointer d)
{
  guint8 rand[16], autn[16], other_k[16];
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaAkaResult) r = NULL;

  test_hex_to ("00112233445566778899aabbccddeeff", other_k, 16);
  challenge (fx, 32, other_k, rand, autn);
  r = gba_uicc_authenticate (fx->uicc, rand, autn, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->status, ==, GBA_AKA_MAC_FAILURE);
  g_assert_null (r->res);
  g_assert_cmpuint (gba_uicc_soft_get_sqn_ms (GBA_UICC_SOFT (fx->uicc)), ==, 0);
  g_assert_false (g_file_test (fx->sqn_path, G_FILE_TEST_EXISTS));
}

static void
test_sqn_persisted (Fx *fx, gconstpointer d)
{
  guint8 rand[16];
  struct stat st;

  gba_aka_result_free (authenticate (fx, 96, rand));
  g_assert_cmpint (g_stat (fx->sqn_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_clear_object (&fx->uicc);
  fx->uicc = new_usim (fx);
  g_assert_cmpuint (gba_uicc_soft_get_sqn_ms (GBA_UICC_SOFT (fx->uicc)), ==, 96);
  {
    /* the restarted card still refuses the used SQN */
    g_autoptr(GbaAkaResult) r = authenticate (fx, 96, rand);
    g_assert_cmpint (r->status, ==, GBA_AKA_SYNC_FAILURE);
  }
}

static void
assert_state_refused (Fx *fx, const char *contents, const char *fragment)
{
  GbaUiccSoftParams p = { .imsi = "001010123456789", .mnc_len = 2, .sqn_path = fx->sqn_path };
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  GbaUicc *uicc;

  g_assert_true (g_file_set_contents (fx->sqn_path, contents, -1, NULL));
  uicc = gba_uicc_soft_new (&p, &error);
  g_assert_null (uicc);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_STORAGE);
  if (strstr (error->message, fragment) == NULL)
    g_error ("\"%s\" does not mention \"%s\"", error->message, fragment);
  /* never reset: the file is left for a person to look at */
  g_assert_true (g_file_get_contents (fx->sqn_path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, contents);
}

static void
test_corrupt_state_refused (Fx *fx, gconstpointer d)
{
  assert_state_refused (fx, "[usim-state]\nversion=1\nsqn-ms=12\nseq=1;2\n", "seq does not hold 32 values");
  assert_state_refused (fx, "[usim-state]\nversion=2\nsqn-ms=12\nseq=1;2\n", "version");
  assert_state_refused (fx, "[usim-state]\nversion=1\nsqn-ms=-1\nseq=1;2\n", "sqn-ms");
  assert_state_refused (fx, "", "version");
  assert_state_refused (fx, "not a key file\n", "unreadable");
}

/* TS 33.102 6.3.3 with persistence: if the SQN cannot be stored, no RES leaves the card and
 * the in-memory state does not move either. */
static void
test_unwritable_state_no_res (Fx *fx, gconstpointer d)
{
  g_autofree char *sub = g_build_filename (fx->dir, "sub", NULL);
  guint8 rand[16], autn[16];
  g_autoptr(GError) error = NULL;
  GbaAkaResult *r;

  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  g_free (fx->sqn_path);
  fx->sqn_path = g_build_filename (sub, "usim.sqn", NULL);
  g_clear_object (&fx->uicc);
  fx->uicc = new_usim (fx);
  /* the state's folder becomes a plain file: every write now fails, even for root */
  g_assert_cmpint (g_rmdir (sub), ==, 0);
  g_assert_true (g_file_set_contents (sub, "", 0, NULL));
  challenge (fx, 32, fx->k, rand, autn);
  r = gba_uicc_authenticate (fx->uicc, rand, autn, NULL, &error);
  g_assert_null (r);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_STORAGE);
  g_assert_cmpuint (gba_uicc_soft_get_sqn_ms (GBA_UICC_SOFT (fx->uicc)), ==, 0);
  g_assert_cmpint (g_unlink (sub), ==, 0);
}

static void
on_auth (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (res);
}

static void
test_async_authenticate (Fx *fx, gconstpointer d)
{
  guint8 rand[16], autn[16];
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaAkaResult) r = NULL;

  challenge (fx, 32, fx->k, rand, autn);
  gba_uicc_authenticate_async (fx->uicc, rand, autn, NULL, on_auth, &res);
  while (res == NULL)
    g_main_context_iteration (NULL, TRUE);
  r = gba_uicc_authenticate_finish (fx->uicc, res, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->status, ==, GBA_AKA_OK);
}

static void
test_identity (Fx *fx, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaUiccIdentity) id = gba_uicc_read_identity (fx->uicc, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (id->imsi, ==, "001010123456789");
  g_assert_cmpstr (id->iccid, ==, "8988211000000000001");
  g_assert_cmpstr (id->impi, ==, "001010123456789@ims.mnc001.mcc001.3gppnetwork.org");
  g_assert_cmpint (gba_uicc_get_capabilities (fx->uicc), ==, GBA_UICC_CAP_NONE);
}

/* A card without GBA_U / MBMS answers those commands with a clear error. */
static void
test_gba_u_and_mbms_not_supported (Fx *fx, gconstpointer d)
{
  guint8 rand[16] = { 0 }, autn[16] = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) naf_id = gba_naf_id_new ("bmsc.example", GBA_UA_PROTOCOL_MBMS);

  g_assert_null (gba_uicc_gba_bootstrap (fx->uicc, rand, autn, NULL, &error));
  g_assert_error (error, GBA_ERROR, GBA_ERROR_UICC);
  g_clear_error (&error);
  g_assert_null (gba_uicc_gba_naf_derive (fx->uicc, naf_id, "impi", NULL, &error));
  g_assert_error (error, GBA_ERROR, GBA_ERROR_UICC);
  g_clear_error (&error);
  g_assert_null (gba_uicc_mbms_command (fx->uicc, GBA_UICC_MBMS_MSK_UPDATE, naf_id, NULL, &error));
  g_assert_error (error, GBA_ERROR, GBA_ERROR_UICC);
  g_assert_nonnull (strstr (error->message, "not supported"));
}

/* TS 23.003 13.3 and 16.2 */
static void
test_names_from_imsi (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *impi2 = gba_impi_from_imsi ("234150999999999", 2, &error);
  g_autofree char *impi3 = gba_impi_from_imsi ("310150123456789", 3, &error);
  g_autofree char *bsf = gba_bsf_host_from_imsi ("234150999999999", 2, &error);
  char *bad;

  g_assert_no_error (error);
  g_assert_cmpstr (impi2, ==, "234150999999999@ims.mnc015.mcc234.3gppnetwork.org");
  g_assert_cmpstr (impi3, ==, "310150123456789@ims.mnc150.mcc310.3gppnetwork.org");
  g_assert_cmpstr (bsf, ==, "bsf.mnc015.mcc234.pub.3gppnetwork.org");
  bad = gba_impi_from_imsi ("12345", 2, &error);
  g_assert_null (bad);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  bad = gba_impi_from_imsi ("00101012345678a", 2, &error);
  g_assert_null (bad);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  bad = gba_impi_from_imsi ("001010123456789", 4, &error);
  g_assert_null (bad);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT);
}

static void
assert_key_file_error (const char *contents, const char *fragment)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  GbaUicc *uicc;

  g_assert_true (g_key_file_load_from_data (kf, contents, -1, G_KEY_FILE_NONE, NULL));
  uicc = gba_uicc_soft_new_from_key_file (kf, "usim", NULL, &error);
  g_assert_null (uicc);
  g_assert_nonnull (error);
  if (strstr (error->message, fragment) == NULL)
    g_error ("\"%s\" does not mention \"%s\"", error->message, fragment);
  /* never the key material itself */
  g_assert_null (strstr (error->message, K_SET1));
}

static void
test_key_file (void)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaUicc) with_op = NULL;
  guint8 rand[16] = { 1 }, autn[16], k[16], opc[16], sqn[6] = { 0, 0, 0, 0, 0, 32 }, amf[2] = { 0x80, 0 };

  /* OP and OPc give the same card */
  g_assert_true (g_key_file_load_from_data (kf, "[usim]\nimsi=001010123456789\nk=" K_SET1 "\nop=" OP_SET1
                                                "\namf=8000\n", -1, G_KEY_FILE_NONE, NULL));
  with_op = gba_uicc_soft_new_from_key_file (kf, "usim", NULL, &error);
  g_assert_no_error (error);
  test_hex_to (K_SET1, k, 16);
  test_hex_to (OPC_SET1, opc, 16);
  gba_milenage_autn (k, opc, rand, sqn, amf, autn);
  {
    g_autoptr(GbaAkaResult) r = gba_uicc_authenticate (with_op, rand, autn, NULL, &error);
    g_assert_cmpint (r->status, ==, GBA_AKA_OK);
  }
  assert_key_file_error ("[usim]\nk=" K_SET1 "\nopc=" OPC_SET1 "\namf=8000\n", "imsi: missing");
  assert_key_file_error ("[usim]\nimsi=001010123456789\nk=" K_SET1 "\namf=8000\n", "exactly one of op and opc");
  assert_key_file_error ("[usim]\nimsi=001010123456789\nk=" K_SET1 "\nop=" OP_SET1 "\nopc=" OPC_SET1
                         "\namf=8000\n", "exactly one of op and opc");
  assert_key_file_error ("[usim]\nimsi=001010123456789\nk=465b\nopc=" OPC_SET1 "\namf=8000\n",
                         "k: expected 32 hex digits");
  assert_key_file_error ("[usim]\nimsi=001010123456789\nk=" K_SET1 "\nopc=" OPC_SET1 "\n", "amf: missing");
  assert_key_file_error ("[usim]\nimsi=0010\nk=" K_SET1 "\nopc=" OPC_SET1 "\namf=8000\n", "IMSI");
  assert_key_file_error ("[usim]\nimsi=001010123456789\nmnc-length=two\nk=" K_SET1 "\nopc=" OPC_SET1
                         "\namf=8000\n", "mnc-length");
  assert_key_file_error ("[usim]\nimsi=001010123456789\nmnc-length=4\nk=" K_SET1 "\nopc=" OPC_SET1
                         "\namf=8000\n", "mnc-length");
}

/* mnc-length=3 from the key file reaches the IMPI (TS 23.003 13.3) */
static void
test_key_file_mnc3 (void)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaUicc) uicc = NULL;
  g_autoptr(GbaUiccIdentity) id = NULL;

  g_assert_true (g_key_file_load_from_data (kf, "[usim]\nimsi=310150123456789\nmnc-length=3\nk=" K_SET1
                                                "\nopc=" OPC_SET1 "\namf=8000\n", -1, G_KEY_FILE_NONE, NULL));
  uicc = gba_uicc_soft_new_from_key_file (kf, "usim", NULL, &error);
  g_assert_no_error (error);
  id = gba_uicc_read_identity (uicc, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (id->mnc_len, ==, 3);
  g_assert_cmpstr (id->impi, ==, "310150123456789@ims.mnc150.mcc310.3gppnetwork.org");
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
#define ADD(path, fn) g_test_add ("/gba/usim-soft/" path, Fx, NULL, fx_set_up, fn, fx_tear_down)
  ADD ("fresh-sqn-res-ck-ik", test_fresh_sqn_accepted);
  ADD ("replayed-sqn-auts-with-sqn-ms", test_replayed_sqn_sync_failure);
  ADD ("ind-array-annex-c", test_ind_array);
  ADD ("sqn-jump-beyond-delta", test_sqn_jump_beyond_delta);
  ADD ("wrong-k-mac-failure-state-unchanged", test_wrong_k_mac_failure);
  ADD ("sqn-persisted-0600", test_sqn_persisted);
  ADD ("corrupt-state-refused", test_corrupt_state_refused);
  ADD ("unwritable-state-no-res", test_unwritable_state_no_res);
  ADD ("async-authenticate", test_async_authenticate);
  ADD ("identity-and-impi", test_identity);
  ADD ("gba-u-and-mbms-context-not-supported", test_gba_u_and_mbms_not_supported);
#undef ADD
  g_test_add_func ("/gba/usim-soft/names-from-imsi-ts23003", test_names_from_imsi);
  g_test_add_func ("/gba/usim-soft/key-file", test_key_file);
  g_test_add_func ("/gba/usim-soft/key-file-mnc-length-3", test_key_file_mnc3);
  return g_test_run ();
}
