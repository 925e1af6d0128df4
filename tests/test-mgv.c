#define _GNU_SOURCE /* memmem */
/* MGV-F and MGV-S for ME-based key management, TS 33.246 6.4.6 and 6.5: every MSK and MTK
 * rule with accept and reject paths. Each reject asserts the named error and that the store
 * (in memory and on disk) is byte for byte what it was. */
#include "mgv.h"
#include "mgv-store-private.h"
#include "test-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#define IDI  "bmsc.lab.mbmsd.test"
#define IDR  "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.lab.mbmsd.test"
#define CARD "8988211000000000001/001010123456789"

static const guint8 DOMAIN[3] = { 0x00, 0xf1, 0x10 };

typedef struct {
  char      *dir;
  char      *path;
  MgvStore  *store;
  GbaSecret *muk;
  GbaSecret *msk;     /* the MSK the "BM-SC" delivers in msk_params */
  GBytes    *rand;    /* its MIKEY-RAND */
  guint32    ts;      /* the BM-SC's next MSK counter */
  guint32    mtk_ts;  /* next MTK counter */
} Fx;

static void
fx_set_up (Fx *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaSecret) r = gba_secret_new_random (16);

  fx->dir = test_tmpdir_new ();
  fx->path = g_build_filename (fx->dir, "keys.mgv", NULL);
  fx->store = mgv_store_open (fx->path, CARD, NULL, &error);
  g_assert_no_error (error);
  fx->muk = gba_secret_new_random (32);
  g_assert_true (mgv_store_install_muk (fx->store, IDI, IDR, fx->muk, &error));
  fx->msk = gba_secret_new_random (16);
  fx->rand = g_bytes_new (gba_secret_get_data (r, NULL), 16);
  fx->ts = 1;
  fx->mtk_ts = 1;
}

static void
fx_tear_down (Fx *fx, gconstpointer data)
{
  mgv_store_free (fx->store);
  gba_secret_unref (fx->muk);
  gba_secret_unref (fx->msk);
  g_bytes_unref (fx->rand);
  test_tmpdir_remove (fx->dir);
  g_free (fx->dir);
  g_free (fx->path);
}

static GBytes *
sp_params (void)
{
  GByteArray *b = g_byte_array_new ();

  mikey_sp_append_u8 (b, MIKEY_SP_ENCR_ALG, MIKEY_SP_ENCR_AES_CM);
  mikey_sp_append_u8 (b, MIKEY_SP_ENCR_KEY_LEN, 16);
  mikey_sp_append_u8 (b, MIKEY_SP_AUTH_ALG, MIKEY_SP_AUTH_HMAC_SHA1);
  mikey_sp_append_u8 (b, MIKEY_SP_AUTH_TAG_LEN, 10);
  mikey_sp_append_u8 (b, MIKEY_SP_SALT_KEY_LEN, 14);
  return g_byte_array_free_to_bytes (b);
}

/* A streaming MSK message the lab BM-SC would send: MSK ID 0x00010002, SEQ (0, 100]. */
static MikeyBuildParams
msk_params (Fx *fx)
{
  MikeyBuildParams p = {
    .csb_id = 0x11223344, .ts_counter = fx->ts, .rand = fx->rand, .idi = IDI, .idr = IDR,
    .streaming = TRUE, .ssrc = 0xdeadbeef, .policy_no = 1, .msk_id = 0x00010002,
    .key = fx->msk, .seq_low = 0, .seq_high = 100,
  };
  memcpy (p.domain, DOMAIN, 3);
  return p;
}

static GBytes *
build_msk (Fx *fx, MikeyBuildParams *p, const GbaSecret *muk)
{
  g_autoptr(GBytes) sp = p->streaming && p->sp_params == NULL ? sp_params () : NULL;
  GBytes *out;

  if (sp != NULL)
    p->sp_params = sp;
  out = mikey_build_msk_message (p, muk != NULL ? muk : fx->muk);
  if (sp != NULL)
    p->sp_params = NULL;
  return out;
}

static GBytes *
next_msk (Fx *fx)
{
  MikeyBuildParams p = msk_params (fx);

  fx->ts++;
  return build_msk (fx, &p, NULL);
}

static MikeyBuildParams
mtk_params (Fx *fx, guint16 mtk_id, const GbaSecret *mtk, const GbaSecret *salt)
{
  MikeyBuildParams p = { .csb_id = 0x55667788, .ts_counter = fx->mtk_ts, .streaming = TRUE,
                         .msk_id = 0x00010002, .mtk_id = mtk_id, .key = mtk, .salt = salt };
  memcpy (p.domain, DOMAIN, 3);
  return p;
}

static GBytes *
next_mtk (Fx *fx, guint16 mtk_id, GbaSecret **mtk_out, GbaSecret **salt_out)
{
  g_autoptr(GbaSecret) mtk = gba_secret_new_random (16);
  g_autoptr(GbaSecret) salt = gba_secret_new_random (14);
  MikeyBuildParams p = mtk_params (fx, mtk_id, mtk, salt);

  fx->mtk_ts++;
  if (mtk_out != NULL)
    *mtk_out = gba_secret_ref (mtk);
  if (salt_out != NULL)
    *salt_out = gba_secret_ref (salt);
  return mikey_build_mtk_message (&p, fx->msk, fx->rand);
}

static GBytes *
snapshot (Fx *fx)
{
  return mgv_store_serialize (fx->store);
}

static GBytes *
disk (Fx *fx)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (fx->path, &contents, &len, NULL));
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

static void
accept_msk (Fx *fx, GBytes *msg, MgvMskOutcome expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvMskResult) r = mgv_process_msk (fx->store, msg, &error);

  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_cmpint (r->outcome, ==, expected);
}

static void
reject_msk (Fx *fx, GBytes *msg, gint code)
{
  g_autoptr(GBytes) before = snapshot (fx);
  g_autoptr(GBytes) before_disk = disk (fx);
  g_autoptr(GBytes) after = NULL;
  g_autoptr(GBytes) after_disk = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvMskResult) r = mgv_process_msk (fx->store, msg, &error);

  g_assert_null (r);
  g_assert_error (error, MGV_ERROR, code);
  after = snapshot (fx);
  after_disk = disk (fx);
  g_assert_true (g_bytes_equal (before, after));
  g_assert_true (g_bytes_equal (before_disk, after_disk));
}

static MgvMtk *
accept_mtk (Fx *fx, GBytes *msg)
{
  g_autoptr(GError) error = NULL;
  MgvMtk *mtk = mgv_process_mtk (fx->store, "session-1", msg, &error);

  g_assert_no_error (error);
  g_assert_nonnull (mtk);
  return mtk;
}

static void
reject_mtk (Fx *fx, GBytes *msg, gint code)
{
  g_autoptr(GBytes) before = snapshot (fx);
  g_autoptr(GBytes) before_disk = disk (fx);
  g_autoptr(GBytes) after = NULL;
  g_autoptr(GBytes) after_disk = NULL;
  g_autoptr(GPtrArray) mtks_before = mgv_store_session_mtks (fx->store, "session-1");
  g_autoptr(GPtrArray) mtks_after = NULL;
  g_autoptr(GError) error = NULL;
  MgvMtk *mtk = mgv_process_mtk (fx->store, "session-1", msg, &error);

  g_assert_null (mtk);
  g_assert_error (error, MGV_ERROR, code);
  after = snapshot (fx);
  after_disk = disk (fx);
  g_assert_true (g_bytes_equal (before, after));
  g_assert_true (g_bytes_equal (before_disk, after_disk));
  mtks_after = mgv_store_session_mtks (fx->store, "session-1");
  g_assert_cmpuint (mtks_before ? mtks_before->len : 0, ==, mtks_after ? mtks_after->len : 0);
}

static GBytes *
flip (GBytes *msg, gsize offset_from_end)
{
  gsize len = g_bytes_get_size (msg);
  guint8 *copy = g_memdup2 (g_bytes_get_data (msg, NULL), len);

  copy[len - offset_from_end] ^= 0x01;
  return g_bytes_new_take (copy, len);
}

static MgvMskInfo
msk_info (Fx *fx, guint32 msk_id, gboolean *found)
{
  g_autoptr(GArray) list = mgv_store_list_msks (fx->store);
  MgvMskInfo none = { 0 };

  *found = FALSE;
  for (guint i = 0; i < list->len; i++)
    if (g_array_index (list, MgvMskInfo, i).msk_id == msk_id)
      {
        *found = TRUE;
        return g_array_index (list, MgvMskInfo, i);
      }
  return none;
}

static void
assert_has_msk (Fx *fx, guint32 msk_id, gboolean expected)
{
  gboolean found;

  msk_info (fx, msk_id, &found);
  g_assert_cmpint (found, ==, expected);
}

/* ------------------------------------------------------------ MSK: accept */

static void
test_msk_streaming_stored_with_policy (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) msg = next_msk (fx);
  g_autoptr(GBytes) policy = NULL;
  g_autoptr(GBytes) expected = sp_params ();
  gboolean found;
  MgvMskInfo info;
  guint8 policy_no = 0;

  accept_msk (fx, msg, MGV_MSK_STORED);
  info = msk_info (fx, 0x00010002, &found);
  g_assert_true (found);
  g_assert_cmpuint (info.seq_low, ==, 0);
  g_assert_cmpuint (info.seq_high, ==, 100);
  g_assert_cmpmem (info.domain, 3, DOMAIN, 3);
  policy = mgv_store_get_policy (fx->store, DOMAIN, 0x00010002, &policy_no);
  g_assert_true (g_bytes_equal (policy, expected));
  g_assert_cmpuint (policy_no, ==, 1);
}

static void
test_msk_download_no_sp (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) msg = NULL;

  p.streaming = FALSE;
  msg = build_msk (fx, &p, NULL);
  accept_msk (fx, msg, MGV_MSK_STORED);
  g_assert_null (mgv_store_get_policy (fx->store, DOMAIN, 0x00010002, NULL));
}

static void
test_msk_v_bit_verification (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvMskResult) r = NULL;
  g_autoptr(MikeyMessage) v = NULL;
  MikeyKemacKeys keys = { 0 };

  p.v_bit = TRUE;
  p.ts_counter = 42;
  msg = build_msk (fx, &p, NULL);
  r = mgv_process_msk (fx->store, msg, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r->verification);
  v = mikey_message_parse (r->verification, &error);
  g_assert_no_error (error);
  /* 6.4.5.2: HDR || T || IDr || V, same CSB ID, Empty map, #CS 0 */
  g_assert_cmpuint (v->data_type, ==, MIKEY_TYPE_PSK_RESP);
  g_assert_cmpuint (v->csb_id, ==, p.csb_id);
  g_assert_cmpuint (v->cs_id_map_type, ==, MIKEY_MAP_EMPTY);
  g_assert_cmpuint (v->srtp_ids->len, ==, 0);
  g_assert_cmpuint (v->ts_value, ==, 42);
  g_assert_cmpstr (v->idr, ==, IDR);
  g_assert_null (v->idi);
  g_assert_true (v->has_v);
  /* the BM-SC side checks the MAC with its own derivation of the authentication key */
  mikey_derive_kemac_keys (fx->muk, p.csb_id, fx->rand, &keys);
  g_assert_true (mikey_verify_verification (v, IDI, keys.auth_key, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GBytes) bad = flip (r->verification, 1);
    g_autoptr(MikeyMessage) vb = mikey_message_parse (bad, NULL);
    g_assert_false (mikey_verify_verification (vb, IDI, keys.auth_key, &error));
    g_assert_error (error, MIKEY_ERROR, MIKEY_ERROR_AUTH);
  }
  mikey_kemac_keys_clear (&keys);
}

static void
test_msk_no_v_bit_no_verification (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) msg = next_msk (fx);
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvMskResult) r = mgv_process_msk (fx->store, msg, &error);

  g_assert_no_error (error);
  g_assert_null (r->verification);
}

static void
test_msk_same_id_replaces (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) first = next_msk (fx);
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GbaSecret) mtk = NULL;
  MikeyBuildParams p;
  gboolean found;

  accept_msk (fx, first, MGV_MSK_STORED);
  gba_secret_unref (fx->msk);
  fx->msk = gba_secret_new_random (16);
  p = msk_params (fx);
  p.seq_low = 10;
  p.seq_high = 20;
  fx->ts++;
  second = build_msk (fx, &p, NULL);
  accept_msk (fx, second, MGV_MSK_STORED);
  g_assert_cmpuint (msk_info (fx, 0x00010002, &found).seq_low, ==, 10);
  g_assert_cmpuint (mgv_store_list_msks (fx->store)->len, ==, 1);
  /* the new key is in use: an MTK under it (and its interval) verifies */
  {
    g_autoptr(GBytes) m = next_mtk (fx, 11, &mtk, NULL);
    g_autoptr(MgvMtk) got = accept_mtk (fx, m);
    g_assert_true (gba_secret_equal (got->mtk, mtk));
  }
}

static void
test_msk_kv_only_update (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) first = next_msk (fx);
  g_autoptr(GBytes) update = NULL;
  MikeyBuildParams p;
  gboolean found;

  accept_msk (fx, first, MGV_MSK_STORED);
  p = msk_params (fx);
  p.key = NULL;
  p.seq_low = 0;
  p.seq_high = 500;
  fx->ts++;
  update = build_msk (fx, &p, NULL);
  accept_msk (fx, update, MGV_MSK_KV_UPDATED);
  g_assert_cmpuint (msk_info (fx, 0x00010002, &found).seq_high, ==, 500);
  /* the MSK itself is unchanged: MTK 400 (beyond the old SEQu) under it verifies */
  {
    g_autoptr(GBytes) m = next_mtk (fx, 400, NULL, NULL);
    g_autoptr(MgvMtk) got = accept_mtk (fx, m);
    g_assert_cmpuint (got->mtk_id, ==, 400);
  }
}

static void
test_msk_kv_only_update_unknown_msk (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) update = NULL;

  p.key = NULL;
  update = build_msk (fx, &p, NULL);
  reject_msk (fx, update, MGV_ERROR_UNKNOWN_KEY);
}

static void
test_msk_solicited_pull (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) pull = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvMskResult) r = NULL;

  p.msk_id = 0x00010000; /* Key Number 0 */
  p.key = NULL;
  p.v_bit = TRUE;        /* must not produce an answer even so (6.3.2.2.4) */
  pull = build_msk (fx, &p, NULL);
  r = mgv_process_msk (fx->store, pull, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->outcome, ==, MGV_MSK_PULL);
  g_assert_cmpuint (MGV_MSK_KEY_GROUP (r->msk_id), ==, 1);
  g_assert_null (r->verification);
  g_assert_cmpuint (mgv_store_list_msks (fx->store)->len, ==, 0);
  /* the counter moved: the same pull again is a replay */
  reject_msk (fx, pull, MGV_ERROR_REPLAY);
}

static void
test_msk_solicited_pull_with_key_rejected (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) pull = NULL;

  p.msk_id = 0x00010000;
  pull = build_msk (fx, &p, NULL);
  reject_msk (fx, pull, MGV_ERROR_PROFILE);
}

/* 6.3.2.3.1: a push under the last used (older) MUK is handled like a solicited pull. */
static void
test_msk_push_under_older_muk (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) first = next_msk (fx);
  g_autoptr(GbaSecret) muk2 = gba_secret_new_random (32);
  g_autoptr(GBytes) old_push = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvMskResult) r = NULL;
  MikeyBuildParams p;

  accept_msk (fx, first, MGV_MSK_STORED); /* MUK1 is now the last used */
  g_assert_true (mgv_store_install_muk (fx->store, IDI, "new-btid@bsf.lab.mbmsd.test", muk2, &error));
  p = msk_params (fx);
  p.msk_id = 0x00010003;
  p.v_bit = TRUE;
  fx->ts++;
  old_push = build_msk (fx, &p, fx->muk);
  r = mgv_process_msk (fx->store, old_push, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->outcome, ==, MGV_MSK_PULL_OLD_MUK);
  g_assert_null (r->verification);
  assert_has_msk (fx, 0x00010003, FALSE);
}

/* 6.1: after a message under the new MUK, the old one is no longer usable. */
static void
test_msk_last_used_muk_moves (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) first = next_msk (fx);
  g_autoptr(GbaSecret) muk2 = gba_secret_new_random (32);
  g_autoptr(GBytes) under_new = NULL;
  g_autoptr(GBytes) under_old = NULL;
  g_autoptr(GError) error = NULL;
  MikeyBuildParams p;
  g_autofree char *idi = NULL;
  g_autofree char *idr = NULL;

  accept_msk (fx, first, MGV_MSK_STORED);
  g_assert_true (mgv_store_install_muk (fx->store, IDI, "new-btid@bsf", muk2, &error));
  p = msk_params (fx);
  p.idr = "new-btid@bsf";
  p.ts_counter = 1; /* the counter restarts with the new MUK (6.4.3) */
  under_new = build_msk (fx, &p, muk2);
  accept_msk (fx, under_new, MGV_MSK_STORED);
  g_assert_true (mgv_store_get_muk_ids (fx->store, TRUE, &idi, &idr));
  g_assert_cmpstr (idr, ==, "new-btid@bsf");
  p = msk_params (fx);
  p.ts_counter = 1000;
  under_old = build_msk (fx, &p, fx->muk);
  reject_msk (fx, under_old, MGV_ERROR_UNKNOWN_KEY);
}

/* 6.5.3: at most two MSKs per key group; the newer is decided by MUK, then TS. */
static void
test_msk_two_per_group_newer_by_ts (Fx *fx, gconstpointer d)
{
  guint32 ids[] = { 0x00010001, 0x00010002, 0x00010003 };

  for (guint i = 0; i < 3; i++)
    {
      MikeyBuildParams p = msk_params (fx);
      g_autoptr(GBytes) m = NULL;
      p.msk_id = ids[i];
      fx->ts++;
      m = build_msk (fx, &p, NULL);
      accept_msk (fx, m, MGV_MSK_STORED);
    }
  assert_has_msk (fx, 0x00010001, FALSE);
  assert_has_msk (fx, 0x00010002, TRUE);
  assert_has_msk (fx, 0x00010003, TRUE);
}

/* 6.5.3: updating or resending an MSK makes it the newer one, whatever the storage order. */
static void
test_msk_resent_msk_becomes_newer (Fx *fx, gconstpointer d)
{
  guint32 ids[] = { 0x00010001, 0x00010002, 0x00010001, 0x00010003 };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      MikeyBuildParams p = msk_params (fx);
      g_autoptr(GBytes) m = NULL;
      p.msk_id = ids[i];
      fx->ts++;
      m = build_msk (fx, &p, NULL);
      accept_msk (fx, m, MGV_MSK_STORED);
    }
  assert_has_msk (fx, 0x00010001, TRUE);
  assert_has_msk (fx, 0x00010002, FALSE);
  assert_has_msk (fx, 0x00010003, TRUE);
}

static void
test_msk_two_per_group_newer_by_muk (Fx *fx, gconstpointer d)
{
  g_autoptr(GbaSecret) muk2 = gba_secret_new_random (32);
  g_autoptr(GError) error = NULL;
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autoptr(GBytes) c = NULL;

  p.msk_id = 0x00010001;
  p.ts_counter = 50; /* a high TS under the older MUK */
  a = build_msk (fx, &p, NULL);
  accept_msk (fx, a, MGV_MSK_STORED);
  g_assert_true (mgv_store_install_muk (fx->store, IDI, "b2@bsf", muk2, &error));
  p = msk_params (fx);
  p.idr = "b2@bsf";
  p.msk_id = 0x00010002;
  p.ts_counter = 1;
  b = build_msk (fx, &p, muk2);
  accept_msk (fx, b, MGV_MSK_STORED);
  p.msk_id = 0x00010003;
  p.ts_counter = 2;
  c = build_msk (fx, &p, muk2);
  accept_msk (fx, c, MGV_MSK_STORED);
  /* 0x..01 had the higher TS but the older MUK: it is the one dropped */
  assert_has_msk (fx, 0x00010001, FALSE);
  assert_has_msk (fx, 0x00010002, TRUE);
  assert_has_msk (fx, 0x00010003, TRUE);
}

static void
test_msk_groups_independent (Fx *fx, gconstpointer d)
{
  guint32 ids[] = { 0x00010001, 0x00020001, 0x00030001, 0x00010002 };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      MikeyBuildParams p = msk_params (fx);
      g_autoptr(GBytes) m = NULL;
      p.msk_id = ids[i];
      fx->ts++;
      m = build_msk (fx, &p, NULL);
      accept_msk (fx, m, MGV_MSK_STORED);
    }
  g_assert_cmpuint (mgv_store_list_msks (fx->store)->len, ==, 4);
}

static void
test_msk_unknown_extension_kept_in_mac (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GPtrArray) exts = g_ptr_array_new ();
  MikeyExtension ext = { 0x7e, g_bytes_new_static ("vendor-data", 11) };
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(GByteArray) tampered = NULL;
  const guint8 *raw;
  gsize len;
  guint8 *hit;

  g_ptr_array_add (exts, &ext);
  p.extra_extensions = exts;
  msg = build_msk (fx, &p, NULL);
  /* one changed octet inside the unknown extension breaks the MAC */
  raw = g_bytes_get_data (msg, &len);
  tampered = g_byte_array_new ();
  g_byte_array_append (tampered, raw, (guint) len);
  hit = memmem (tampered->data, tampered->len, "vendor-data", 11);
  g_assert_nonnull (hit);
  hit[0] = 'V';
  {
    g_autoptr(GBytes) bad = g_bytes_new (tampered->data, tampered->len);
    reject_msk (fx, bad, MGV_ERROR_AUTH);
  }
  accept_msk (fx, msg, MGV_MSK_STORED);
  g_bytes_unref (ext.data);
}

static void
test_msk_ts_wraparound_accepted (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;

  p.ts_counter = 0xfffffff0u;
  a = build_msk (fx, &p, NULL);
  accept_msk (fx, a, MGV_MSK_STORED);
  p.ts_counter = 5; /* newer in RFC 1982 terms */
  b = build_msk (fx, &p, NULL);
  accept_msk (fx, b, MGV_MSK_STORED);
}

/* ------------------------------------------------------------ MSK: reject */

static void
test_msk_replay_same (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) msg = next_msk (fx);

  accept_msk (fx, msg, MGV_MSK_STORED);
  reject_msk (fx, msg, MGV_ERROR_REPLAY);
}

static void
test_msk_replay_older_ts (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;

  p.ts_counter = 10;
  a = build_msk (fx, &p, NULL);
  accept_msk (fx, a, MGV_MSK_STORED);
  p.ts_counter = 9;
  b = build_msk (fx, &p, NULL);
  reject_msk (fx, b, MGV_ERROR_REPLAY);
}

static void
test_msk_replay_undefined_rfc1982 (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;

  p.ts_counter = 10;
  a = build_msk (fx, &p, NULL);
  accept_msk (fx, a, MGV_MSK_STORED);
  p.ts_counter = 10 + 0x80000000u; /* exactly half the space away: undefined = replay */
  b = build_msk (fx, &p, NULL);
  reject_msk (fx, b, MGV_ERROR_REPLAY);
}

static void
test_msk_bad_mac (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) msg = next_msk (fx);
  g_autoptr(GBytes) bad = flip (msg, 1);

  reject_msk (fx, bad, MGV_ERROR_AUTH);
}

static void
test_msk_tampered_ciphertext (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) msg = next_msk (fx);
  g_autoptr(GBytes) bad = flip (msg, MIKEY_MAC_LEN + 3);

  reject_msk (fx, bad, MGV_ERROR_AUTH);
}

static void
test_msk_wrong_muk (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GbaSecret) other = gba_secret_new_random (32);
  g_autoptr(GBytes) msg = build_msk (fx, &p, other);

  reject_msk (fx, msg, MGV_ERROR_AUTH);
}

static void
test_msk_unknown_muk_id (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) msg = NULL;

  p.idr = "someone-else@bsf";
  msg = build_msk (fx, &p, NULL);
  reject_msk (fx, msg, MGV_ERROR_UNKNOWN_KEY);
}

static void
test_msk_missing_rand (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) msg = NULL;

  p.rand = NULL;
  msg = build_msk (fx, &p, NULL);
  reject_msk (fx, msg, MGV_ERROR_PROFILE);
}

static void
test_msk_missing_idr (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) msg = NULL;

  p.idr = NULL;
  msg = build_msk (fx, &p, NULL);
  reject_msk (fx, msg, MGV_ERROR_PROFILE);
}

static void
test_msk_interval_inverted (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) msg = NULL;

  p.seq_low = 50;
  p.seq_high = 40;
  msg = build_msk (fx, &p, NULL);
  reject_msk (fx, msg, MGV_ERROR_PROFILE);
}

static void
test_msk_sp_with_download_rejected (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(GBytes) sp = sp_params ();
  gsize len;
  guint8 *raw;

  /* build a streaming message, then turn its map into the Empty map by hand: #CS 0 + SP */
  p.sp_params = sp;
  msg = build_msk (fx, &p, NULL);
  len = g_bytes_get_size (msg);
  raw = g_memdup2 (g_bytes_get_data (msg, NULL), len);
  g_assert_cmpuint (raw[9], ==, MIKEY_MAP_SRTP_ID);
  {
    /* drop the 9-octet SRTP-ID entry at offset 10 */
    GByteArray *b = g_byte_array_new ();
    g_byte_array_append (b, raw, 10);
    b->data[8] = 0;
    b->data[9] = MIKEY_MAP_EMPTY;
    g_byte_array_append (b, raw + 19, (guint) len - 19);
    {
      g_autoptr(GBytes) bad = g_byte_array_free_to_bytes (b);
      reject_msk (fx, bad, MGV_ERROR_PROFILE);
    }
  }
  g_free (raw);
}

static void
test_msk_mtk_message_rejected (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) mtk = next_mtk (fx, 1, NULL, NULL);

  reject_msk (fx, mtk, MGV_ERROR_PROFILE);
}

static void
test_msk_verification_message_rejected (Fx *fx, gconstpointer d)
{
  g_autoptr(GbaSecret) k = gba_secret_new_random (20);
  g_autoptr(GBytes) v = mikey_build_verification (1, 1, IDI, IDR, k);

  reject_msk (fx, v, MGV_ERROR_PROFILE);
}

static void
test_msk_truncated_everywhere (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) msg = next_msk (fx);
  gsize len = g_bytes_get_size (msg);

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr(GBytes) part = g_bytes_new_from_bytes (msg, 0, cut);
      reject_msk (fx, part, MGV_ERROR_PROFILE);
    }
}

static void
test_msk_null_algorithms_rejected (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) msg = next_msk (fx);
  gsize len;
  const guint8 *raw = g_bytes_get_data (msg, &len);
  g_autoptr(MikeyMessage) parsed = mikey_message_parse (msg, NULL);
  gsize mac_alg_at = parsed->mac_offset - 1;
  gsize encr_len = g_bytes_get_size (parsed->encr_data);
  gsize encr_alg_at = mac_alg_at - encr_len - 2 - 1;
  guint8 *copy;

  g_assert_cmpuint (raw[mac_alg_at], ==, MIKEY_MAC_HMAC_SHA1_160);
  g_assert_cmpuint (raw[encr_alg_at], ==, MIKEY_ENCR_AES_CM_128);
  copy = g_memdup2 (raw, len);
  copy[mac_alg_at] = MIKEY_MAC_NULL;
  {
    g_autoptr(GBytes) bad = g_bytes_new_take (copy, len);
    reject_msk (fx, bad, MGV_ERROR_PROFILE);
  }
  copy = g_memdup2 (raw, len);
  copy[encr_alg_at] = MIKEY_ENCR_NULL;
  {
    g_autoptr(GBytes) bad = g_bytes_new_take (copy, len);
    reject_msk (fx, bad, MGV_ERROR_PROFILE);
  }
}

static void
test_msk_sp_not_taken_on_failure (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) msg = next_msk (fx);
  g_autoptr(GBytes) bad = flip (msg, 2);

  reject_msk (fx, bad, MGV_ERROR_AUTH);
  g_assert_null (mgv_store_get_policy (fx->store, DOMAIN, 0x00010002, NULL));
}

/* ------------------------------------------------------------ MTK */

static void
deliver_msk (Fx *fx)
{
  g_autoptr(GBytes) msg = next_msk (fx);

  accept_msk (fx, msg, MGV_MSK_STORED);
}

static void
test_mtk_streaming_accepted (Fx *fx, gconstpointer d)
{
  g_autoptr(GbaSecret) mtk = NULL;
  g_autoptr(GbaSecret) salt = NULL;
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(MgvMtk) got = NULL;
  gboolean found;

  deliver_msk (fx);
  msg = next_mtk (fx, 1, &mtk, &salt);
  got = accept_mtk (fx, msg);
  g_assert_true (gba_secret_equal (got->mtk, mtk));
  g_assert_true (gba_secret_equal (got->salt, salt));
  g_assert_cmpuint (got->mtk_id, ==, 1);
  g_assert_cmpuint (got->msk_id, ==, 0x00010002);
  g_assert_cmpuint (msk_info (fx, 0x00010002, &found).seq_low, ==, 1); /* SEQl := SEQp */
}

static void
test_mtk_download_keys_derived (Fx *fx, gconstpointer d)
{
  g_autoptr(GbaSecret) tgk = gba_secret_new_random (16);
  MikeyBuildParams p = mtk_params (fx, 1, tgk, NULL);
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(MgvMtk) got = NULL;
  g_autoptr(GbaSecret) encr = NULL;

  deliver_msk (fx);
  p.streaming = FALSE;
  msg = mikey_build_mtk_message (&p, fx->msk, fx->rand);
  got = accept_mtk (fx, msg);
  g_assert_null (got->salt);
  g_assert_true (gba_secret_equal (got->mtk, tgk));
  g_assert_cmpuint (gba_secret_get_size (got->encr_key), ==, 16);
  g_assert_cmpuint (gba_secret_get_size (got->auth_key), ==, 20);
  /* RFC 3830 4.1.3 with cs_id 0, the CSB ID and the MSK's RAND */
  encr = mikey_derive_tgk_key (tgk, MIKEY_TGK_CONST_ENCR, 0, p.csb_id, fx->rand, 16);
  g_assert_true (gba_secret_equal (encr, got->encr_key));
}

static void
test_mtk_replay (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) msg = NULL;

  deliver_msk (fx);
  msg = next_mtk (fx, 1, NULL, NULL);
  mgv_mtk_free (accept_mtk (fx, msg));
  reject_mtk (fx, msg, MGV_ERROR_REPLAY);
}

/* Two sessions of one key group, each with its own destination, get the same MTK message:
 * the second copy gives the second session the key (after its MAC), a third copy to either
 * session is a replay, an older MTK or a tampered copy is refused, the next MTK goes on. */
static void
test_mtk_current_copy_for_another_session (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) older = NULL;
  g_autoptr(GBytes) tampered = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) kept = NULL;
  MgvMtk *first, *copy;

  deliver_msk (fx);
  a = next_mtk (fx, 5, NULL, NULL);
  first = accept_mtk (fx, a);
  older = next_mtk (fx, 4, NULL, NULL); /* a newer counter, an older MTK ID */
  tampered = flip (a, 1);
  g_assert_null (mgv_process_mtk (fx->store, "session-2", tampered, &error));
  g_assert_error (error, MGV_ERROR, MGV_ERROR_AUTH);
  g_clear_error (&error);
  g_assert_null (mgv_store_session_mtks (fx->store, "session-2"));
  g_assert_null (mgv_process_mtk (fx->store, "session-2", older, &error));
  g_assert_error (error, MGV_ERROR, MGV_ERROR_STALE);
  g_clear_error (&error);
  copy = mgv_process_mtk (fx->store, "session-2", a, &error);
  g_assert_no_error (error);
  g_assert_nonnull (copy);
  g_assert_cmpuint (copy->mtk_id, ==, 5);
  g_assert_true (gba_secret_equal (copy->mtk, first->mtk));
  g_assert_false (first->copy);
  g_assert_true (copy->copy); /* anyone can resend it: the caller must not trust its sender */
  kept = mgv_store_session_mtks (fx->store, "session-2");
  g_assert_cmpuint (kept->len, ==, 1);
  g_assert_null (mgv_process_mtk (fx->store, "session-2", a, &error));
  g_assert_error (error, MGV_ERROR, MGV_ERROR_REPLAY);
  g_clear_error (&error);
  reject_mtk (fx, a, MGV_ERROR_REPLAY);
  b = next_mtk (fx, 6, NULL, NULL);
  mgv_mtk_free (accept_mtk (fx, b));
  mgv_mtk_free (first);
  mgv_mtk_free (copy);
}

/* A copy of another key group's current MTK message never enters a session that holds keys of
 * its own group (it would push them out); a session with no keys may take it. */
static void
test_mtk_copy_of_another_group_refused (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  MikeyBuildParams q;
  g_autoptr(GBytes) msk2 = NULL;
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autoptr(GbaSecret) mtk = gba_secret_new_random (16);
  g_autoptr(GbaSecret) salt = gba_secret_new_random (14);
  g_autoptr(GPtrArray) kept = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvMtk) into_empty = NULL;

  deliver_msk (fx);
  p.msk_id = 0x00020001; /* key group 2 */
  p.ts_counter = ++fx->ts;
  msk2 = build_msk (fx, &p, NULL);
  accept_msk (fx, msk2, MGV_MSK_STORED);
  a = next_mtk (fx, 5, NULL, NULL); /* group 1, for session-1 */
  mgv_mtk_free (accept_mtk (fx, a));
  q = mtk_params (fx, 3, mtk, salt);
  q.msk_id = 0x00020001;
  fx->mtk_ts++;
  b = mikey_build_mtk_message (&q, fx->msk, fx->rand);
  mgv_mtk_free (mgv_process_mtk (fx->store, "session-2", b, &error)); /* group 2's own */
  g_assert_no_error (error);
  g_assert_null (mgv_process_mtk (fx->store, "session-2", a, &error));
  g_assert_error (error, MGV_ERROR, MGV_ERROR_REPLAY);
  g_clear_error (&error);
  kept = mgv_store_session_mtks (fx->store, "session-2");
  g_assert_cmpuint (kept->len, ==, 1);
  g_assert_cmphex (((MgvMtk *) g_ptr_array_index (kept, 0))->msk_id, ==, 0x00020001);
  into_empty = mgv_process_mtk (fx->store, "session-3", a, &error);
  g_assert_no_error (error);
  g_assert_true (into_empty->copy);
}

static void
test_mtk_same_id_new_ts_stale (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;

  deliver_msk (fx);
  a = next_mtk (fx, 5, NULL, NULL);
  mgv_mtk_free (accept_mtk (fx, a));
  b = next_mtk (fx, 5, NULL, NULL);
  reject_mtk (fx, b, MGV_ERROR_STALE);
}

static void
test_mtk_lower_id_stale (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;

  deliver_msk (fx);
  a = next_mtk (fx, 5, NULL, NULL);
  mgv_mtk_free (accept_mtk (fx, a));
  b = next_mtk (fx, 4, NULL, NULL);
  reject_mtk (fx, b, MGV_ERROR_STALE);
}

static void
test_mtk_at_seq_low_stale (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GBytes) msk = NULL;
  g_autoptr(GBytes) a = NULL;

  p.seq_low = 7;
  msk = build_msk (fx, &p, NULL);
  accept_msk (fx, msk, MGV_MSK_STORED);
  a = next_mtk (fx, 7, NULL, NULL);
  reject_mtk (fx, a, MGV_ERROR_STALE);
}

static void
test_mtk_above_seq_high_stale (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) a = NULL;

  deliver_msk (fx);
  a = next_mtk (fx, 101, NULL, NULL);
  reject_mtk (fx, a, MGV_ERROR_STALE);
}

static void
test_mtk_at_seq_high_accepted (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) a = NULL;

  deliver_msk (fx);
  a = next_mtk (fx, 100, NULL, NULL);
  mgv_mtk_free (accept_mtk (fx, a));
}

static void
test_mtk_unknown_msk (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) a = next_mtk (fx, 1, NULL, NULL);

  reject_mtk (fx, a, MGV_ERROR_UNKNOWN_KEY);
}

static void
test_mtk_wrong_msk_key (Fx *fx, gconstpointer d)
{
  g_autoptr(GbaSecret) other = gba_secret_new_random (16);
  g_autoptr(GbaSecret) mtk = gba_secret_new_random (16);
  g_autoptr(GbaSecret) salt = gba_secret_new_random (14);
  MikeyBuildParams p = mtk_params (fx, 1, mtk, salt);
  g_autoptr(GBytes) a = NULL;

  deliver_msk (fx);
  a = mikey_build_mtk_message (&p, other, fx->rand);
  reject_mtk (fx, a, MGV_ERROR_AUTH);
}

static void
test_mtk_wrong_rand (Fx *fx, gconstpointer d)
{
  g_autoptr(GbaSecret) mtk = gba_secret_new_random (16);
  g_autoptr(GbaSecret) salt = gba_secret_new_random (14);
  g_autoptr(GBytes) other_rand = g_bytes_new ("0123456789abcdef", 16);
  MikeyBuildParams p = mtk_params (fx, 1, mtk, salt);
  g_autoptr(GBytes) a = NULL;

  deliver_msk (fx);
  a = mikey_build_mtk_message (&p, fx->msk, other_rand);
  reject_mtk (fx, a, MGV_ERROR_AUTH);
}

static void
test_mtk_tampered (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) bad = NULL;

  deliver_msk (fx);
  a = next_mtk (fx, 1, NULL, NULL);
  bad = flip (a, MIKEY_MAC_LEN + 5);
  reject_mtk (fx, bad, MGV_ERROR_AUTH);
}

static void
test_mtk_streaming_needs_salt (Fx *fx, gconstpointer d)
{
  g_autoptr(GbaSecret) mtk = gba_secret_new_random (16);
  g_autoptr(GbaSecret) short_salt = gba_secret_new_random (12);
  MikeyBuildParams p = mtk_params (fx, 1, mtk, NULL);
  g_autoptr(GBytes) no_salt = NULL;
  g_autoptr(GBytes) wrong_salt = NULL;

  deliver_msk (fx);
  no_salt = mikey_build_mtk_message (&p, fx->msk, fx->rand);
  reject_mtk (fx, no_salt, MGV_ERROR_PROFILE);
  p.salt = short_salt;
  p.ts_counter++;
  wrong_salt = mikey_build_mtk_message (&p, fx->msk, fx->rand);
  reject_mtk (fx, wrong_salt, MGV_ERROR_PROFILE);
}

static void
test_mtk_msk_message_rejected (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) msk = next_msk (fx);

  reject_mtk (fx, msk, MGV_ERROR_PROFILE);
}

static void
test_mtk_counter_resets_with_new_msk (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) msk2 = NULL;
  g_autoptr(GBytes) b = NULL;

  deliver_msk (fx);
  fx->mtk_ts = 1000;
  a = next_mtk (fx, 1, NULL, NULL);
  mgv_mtk_free (accept_mtk (fx, a));
  gba_secret_unref (fx->msk);
  fx->msk = gba_secret_new_random (16);
  msk2 = next_msk (fx);
  accept_msk (fx, msk2, MGV_MSK_STORED);
  fx->mtk_ts = 1; /* 6.4.3: the MTK counter restarts with the new MSK */
  b = next_mtk (fx, 1, NULL, NULL);
  mgv_mtk_free (accept_mtk (fx, b));
}

static void
test_mtk_two_most_recent_per_session (Fx *fx, gconstpointer d)
{
  g_autoptr(GPtrArray) kept = NULL;

  deliver_msk (fx);
  for (guint16 id = 1; id <= 3; id++)
    {
      g_autoptr(GBytes) m = next_mtk (fx, id, NULL, NULL);
      mgv_mtk_free (accept_mtk (fx, m));
    }
  kept = mgv_store_session_mtks (fx->store, "session-1");
  g_assert_cmpuint (kept->len, ==, 2);
  g_assert_cmpuint (((MgvMtk *) g_ptr_array_index (kept, 0))->mtk_id, ==, 3);
  g_assert_cmpuint (((MgvMtk *) g_ptr_array_index (kept, 1))->mtk_id, ==, 2);
  /* MTK ID 1 is gone from the session and MGV-F takes none at or below SEQl = 3 again, nor
   * above SEQu = 100 (6.5.4); MTK 4 may still come, and any MTK of an MSK not stored */
  g_assert_false (mgv_store_mtk_may_come (fx->store, DOMAIN, 0x00010002, 1));
  g_assert_false (mgv_store_mtk_may_come (fx->store, DOMAIN, 0x00010002, 3));
  g_assert_true (mgv_store_mtk_may_come (fx->store, DOMAIN, 0x00010002, 4));
  g_assert_true (mgv_store_mtk_may_come (fx->store, DOMAIN, 0x00010002, 100));
  g_assert_false (mgv_store_mtk_may_come (fx->store, DOMAIN, 0x00010002, 101));
  g_assert_true (mgv_store_mtk_may_come (fx->store, DOMAIN, 0x00010003, 1));
  mgv_store_end_session (fx->store, "session-1");
  g_assert_null (mgv_store_session_mtks (fx->store, "session-1"));
}

/* ------------------------------------------------------------ MGV-S */

static void
reopen (Fx *fx, const char *card, gboolean expect_wiped)
{
  g_autoptr(GError) error = NULL;
  gboolean wiped = !expect_wiped;

  mgv_store_free (fx->store);
  fx->store = mgv_store_open (fx->path, card, &wiped, &error);
  g_assert_no_error (error);
  g_assert_cmpint (wiped, ==, expect_wiped);
}

static void
test_store_persists_across_restart (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;
  struct stat st;

  deliver_msk (fx);
  a = next_mtk (fx, 5, NULL, NULL);
  mgv_mtk_free (accept_mtk (fx, a));
  g_assert_cmpint (g_stat (fx->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  reopen (fx, CARD, FALSE);
  assert_has_msk (fx, 0x00010002, TRUE);
  /* SEQl and the counter survived; the sessions' keys are not kept across a restart, so the
   * current MTK sent again gives the session its key once, then it is a replay; a newer one
   * verifies */
  mgv_mtk_free (accept_mtk (fx, a));
  reject_mtk (fx, a, MGV_ERROR_REPLAY);
  b = next_mtk (fx, 6, NULL, NULL);
  mgv_mtk_free (accept_mtk (fx, b));
}

/* TS 33.220 4.4.11: the card removed, the MUKs go (on disk too); the MSKs stay and still
 * open MTKs, an MSK message under the forgotten MUK is refused. */
static void
test_store_forget_muks_keeps_msks (Fx *fx, gconstpointer d)
{
  g_autofree char *idi = NULL;
  g_autofree char *idr = NULL;
  g_autoptr(GBytes) msk = NULL;
  g_autoptr(GBytes) mtk = NULL;
  g_autoptr(GError) error = NULL;

  deliver_msk (fx);
  g_assert_true (mgv_store_forget_muks (fx->store, &error));
  g_assert_no_error (error);
  g_assert_false (mgv_store_get_muk_ids (fx->store, FALSE, &idi, &idr));
  g_assert_false (mgv_store_get_muk_ids (fx->store, TRUE, &idi, &idr));
  reopen (fx, CARD, FALSE);
  g_assert_false (mgv_store_get_muk_ids (fx->store, FALSE, &idi, &idr));
  assert_has_msk (fx, 0x00010002, TRUE);
  mtk = next_mtk (fx, 5, NULL, NULL);
  mgv_mtk_free (accept_mtk (fx, mtk));
  msk = next_msk (fx);
  reject_msk (fx, msk, MGV_ERROR_UNKNOWN_KEY);
  g_assert_true (mgv_store_forget_muks (fx->store, &error)); /* nothing left: still fine */
}

static void
test_store_sim_change_wipes (Fx *fx, gconstpointer d)
{
  g_autofree char *idi = NULL;
  g_autofree char *idr = NULL;
  g_autoptr(GBytes) msg = NULL;

  deliver_msk (fx);
  reopen (fx, "8988211000000000999/001010000000999", TRUE);
  g_assert_cmpuint (mgv_store_list_msks (fx->store)->len, ==, 0);
  g_assert_false (mgv_store_get_muk_ids (fx->store, FALSE, &idi, &idr));
  /* and the wipe is on disk too */
  reopen (fx, "8988211000000000999/001010000000999", FALSE);
  g_assert_cmpuint (mgv_store_list_msks (fx->store)->len, ==, 0);
  msg = next_msk (fx);
  reject_msk (fx, msg, MGV_ERROR_UNKNOWN_KEY);
}

/* The daemon's MTK path: MGV-F in memory, the key used, MGV-S written by a worker thread. */
static void
test_store_deferred_mtk_saved_in_background (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) before_disk = NULL;
  g_autoptr(GBytes) after_disk = NULL;
  g_autoptr(GBytes) in_memory = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) a = NULL;
  MgvMtk *mtk;

  deliver_msk (fx);
  mgv_store_set_deferred_mtk_saves (fx->store, TRUE);
  before_disk = disk (fx);
  a = next_mtk (fx, 5, NULL, NULL);
  mtk = accept_mtk (fx, a);
  mgv_mtk_free (mtk);
  after_disk = disk (fx);
  g_assert_true (g_bytes_equal (before_disk, after_disk)); /* not yet on disk */
  reject_mtk (fx, a, MGV_ERROR_REPLAY);                      /* but MGV-F knows it already */
  /* many saves in a row: the file ends as the newest snapshot, whole */
  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(GBytes) m = next_mtk (fx, (guint16) (6 + i), NULL, NULL);
      mgv_mtk_free (accept_mtk (fx, m));
      mgv_store_save_in_background (fx->store);
    }
  g_assert_true (mgv_store_flush (fx->store, &error));
  g_assert_no_error (error);
  g_clear_pointer (&after_disk, g_bytes_unref);
  after_disk = disk (fx);
  in_memory = snapshot (fx);
  g_assert_true (g_bytes_equal (in_memory, after_disk));
  /* one more, then the store goes: freeing it waits for the write */
  {
    g_autoptr(GBytes) m = next_mtk (fx, 60, NULL, NULL);
    mgv_mtk_free (accept_mtk (fx, m));
    mgv_store_save_in_background (fx->store);
  }
  reopen (fx, CARD, FALSE);
  {
    g_autoptr(GBytes) stale = next_mtk (fx, 60, NULL, NULL);
    g_autoptr(GBytes) fresh = next_mtk (fx, 61, NULL, NULL);
    reject_mtk (fx, stale, MGV_ERROR_STALE); /* MTK ID 60 was saved */
    mgv_mtk_free (accept_mtk (fx, fresh));
  }
}

/* A write that fails in the worker is reported by the next flush; the keys stay in memory
 * and a later save succeeds. */
static void
test_store_background_failure_reported (Fx *fx, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *moved = g_strconcat (fx->dir, ".moved", NULL);
  g_autoptr(GBytes) m = NULL;

  deliver_msk (fx);
  mgv_store_set_deferred_mtk_saves (fx->store, TRUE);
  m = next_mtk (fx, 5, NULL, NULL);
  mgv_mtk_free (accept_mtk (fx, m));
  /* the state directory is gone (even root cannot write there) */
  g_assert_cmpint (g_rename (fx->dir, moved), ==, 0);
  g_test_expect_message ("mbmsd-mgv", G_LOG_LEVEL_WARNING, "cannot write the key store*");
  mgv_store_save_in_background (fx->store);
  g_assert_false (mgv_store_flush (fx->store, &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, MGV_ERROR, MGV_ERROR_STORAGE);
  g_clear_error (&error);
  g_assert_true (mgv_store_flush (fx->store, &error)); /* reported once */
  g_assert_cmpint (g_rename (moved, fx->dir), ==, 0);
  g_assert_true (mgv_store_save (fx->store, &error));
  g_assert_no_error (error);
  reopen (fx, CARD, FALSE);
  {
    gboolean found = FALSE;
    MgvMskInfo info = msk_info (fx, 0x00010002, &found);
    g_assert_true (found);
    g_assert_cmpuint (info.seq_low, ==, 5); /* MTK 5 reached the disk */
  }
  mgv_mtk_free (accept_mtk (fx, m)); /* the session's key again, once (sessions are not saved) */
  reject_mtk (fx, m, MGV_ERROR_REPLAY);
}

static void
test_store_corrupt_refused (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) on_disk = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autoptr(GError) error = NULL;
  MgvStore *s;
  gsize len;
  guint8 *copy;

  deliver_msk (fx);
  on_disk = disk (fx);
  len = g_bytes_get_size (on_disk);
  copy = g_memdup2 (g_bytes_get_data (on_disk, NULL), len);
  copy[len / 2] ^= 0x40;
  g_assert_true (g_file_set_contents (fx->path, (const char *) copy, (gssize) len, NULL));
  s = mgv_store_open (fx->path, CARD, NULL, &error);
  g_assert_null (s);
  g_assert_error (error, MGV_ERROR, MGV_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "corrupt"));
  after = disk (fx);
  g_assert_cmpmem (g_bytes_get_data (after, NULL), g_bytes_get_size (after), copy, len); /* left untouched */
  g_free (copy);
}

static void
test_store_foreign_refused (Fx *fx, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  MgvStore *s;

  g_assert_true (g_file_set_contents (fx->path, "[not a key store]\n", -1, NULL));
  s = mgv_store_open (fx->path, CARD, NULL, &error);
  g_assert_null (s);
  g_assert_error (error, MGV_ERROR, MGV_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "not an mbmsd key store"));
}

/* Issue 14 item 3: an accepted MSK whose store cannot be written stays in use (in memory),
 * and the result says why it was not saved. */
static void
test_store_msk_kept_when_unwritable (Fx *fx, gconstpointer d)
{
  g_autofree char *moved = g_strconcat (fx->dir, ".moved", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) msg = next_msk (fx);
  g_autoptr(MgvMskResult) r = NULL;
  g_autoptr(MgvMtk) mtk = NULL;
  g_autoptr(GBytes) m = NULL;

  mgv_store_set_deferred_mtk_saves (fx->store, TRUE); /* as mbmsd runs it */
  g_assert_cmpint (g_rename (fx->dir, moved), ==, 0); /* the state directory is gone */
  r = mgv_process_msk (fx->store, msg, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_cmpint (r->outcome, ==, MGV_MSK_STORED);
  g_assert_error (r->not_saved, MGV_ERROR, MGV_ERROR_STORAGE);
  g_assert_nonnull (strstr (r->not_saved->message, fx->path));
  g_assert_nonnull (strstr (r->not_saved->message, "No such file"));
  m = next_mtk (fx, 3, NULL, NULL);
  mtk = accept_mtk (fx, m); /* the MSK is there for the session's MTKs */
  g_assert_cmpuint (mtk->msk_id, ==, 0x00010002);
  g_assert_cmpint (g_rename (moved, fx->dir), ==, 0);
}

/* Issue 14 item 6: a damaged store is set aside, with what it held in words (IDs, no keys). */
static void
test_store_damaged_set_aside (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) on_disk = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *moved_to = NULL;
  g_autofree char *lost = NULL;
  g_autofree char *kept = NULL;
  gsize len, kept_len = 0;
  guint8 *copy;
  MgvStore *s;

  deliver_msk (fx);
  on_disk = disk (fx);
  len = g_bytes_get_size (on_disk);
  copy = g_memdup2 (g_bytes_get_data (on_disk, NULL), len);
  copy[len - 40] ^= 0x01; /* one flipped bit */
  g_assert_true (g_file_set_contents (fx->path, (const char *) copy, (gssize) len, NULL));
  mgv_store_free (fx->store);
  fx->store = NULL;
  s = mgv_store_open (fx->path, CARD, NULL, &error);
  g_assert_null (s);
  g_assert_error (error, MGV_ERROR, MGV_ERROR_CORRUPT);
  g_clear_error (&error);
  g_assert_true (mgv_store_set_aside (fx->path, &moved_to, &lost, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (moved_to, fx->path));
  g_assert_nonnull (strstr (moved_to, ".corrupt-"));
  g_assert_false (g_file_test (fx->path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (moved_to, &kept, &kept_len, NULL));
  g_assert_cmpmem (kept, kept_len, copy, len); /* the bytes stay for whoever looks */
  g_assert_nonnull (strstr (lost, "1 MSK (00f110/0x00010002)"));
  g_test_message ("lost: %s", lost);
  g_assert_nonnull (strstr (lost, "and 2 MUKs")); /* last generated and last used */
  fx->store = mgv_store_open (fx->path, CARD, NULL, &error); /* and a fresh one starts */
  g_assert_no_error (error);
  g_assert_cmpuint (mgv_store_list_msks (fx->store)->len, ==, 0);
  g_free (copy);
}

static void
test_store_damaged_described (void)
{
  static const guint8 truncated[] = { 'M', 'B', 'M', 'S', 'M', 'G', 'V', 'S', 0, 1,
                                      5, 0, 0, 0, 11, 0x00, 0xf1, 0x10, 0x00, 0x01, 0x00, 0x07, 0, 0, 0, 16,
                                      5, 0, 0, 0, 200, 1, 2 };
  g_autofree char *t = mgv_store_describe_damaged (truncated, sizeof truncated);
  g_autofree char *g = mgv_store_describe_damaged ((const guint8 *) "garbage!", 8);

  g_assert_cmpstr (t, ==, "33 octets; it seems to have held 1 MSK (00f110/0x00010007) and 0 MUKs (1 records readable)");
  g_assert_cmpstr (g, ==, "8 octets that are not an mbmsd key store: no keys can be named");
}

/* Issue 14 item 1: a FIFO where the store should be is refused at once, not read. */
static void
test_store_fifo_refused (Fx *fx, gconstpointer d)
{
  g_autoptr(GError) error = NULL;
  MgvStore *s;

  g_assert_cmpint (g_unlink (fx->path), ==, 0);
  g_assert_cmpint (mkfifo (fx->path, 0600), ==, 0);
  s = mgv_store_open (fx->path, CARD, NULL, &error);
  g_assert_null (s);
  g_assert_error (error, MGV_ERROR, MGV_ERROR_STORAGE);
  g_assert_nonnull (strstr (error->message, "a FIFO"));
  g_assert_cmpint (g_unlink (fx->path), ==, 0);
}

/* A process killed at any moment of a save leaves a store that opens: the old state or the
 * new one, never a torn file (write, fsync, rename). */
static void
test_store_crash_safety (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) old_state = NULL;

  deliver_msk (fx);
  old_state = disk (fx);
  for (guint round = 0; round < 20; round++)
    {
      pid_t pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          /* the child keeps saving ever-changing states until it is killed */
          for (guint32 i = 0;; i++)
            {
              MgvMsk *msk = mgv_store_find_msk (fx->store, DOMAIN, 0x00010002);
              msk->seq_high = 100 + (i % 1000);
              mgv_store_save (fx->store, NULL);
            }
        }
      g_usleep (2000 + g_random_int_range (0, 8000));
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(MgvStore) s = mgv_store_open (fx->path, CARD, NULL, &error);
        g_assert_no_error (error);
        g_assert_nonnull (mgv_store_find_msk (s, DOMAIN, 0x00010002));
      }
    }
}

static void
test_store_delete_by_group (Fx *fx, gconstpointer d)
{
  guint32 ids[] = { 0x00010001, 0x00020001, 0x00020002 };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      MikeyBuildParams p = msk_params (fx);
      g_autoptr(GBytes) m = NULL;
      p.msk_id = ids[i];
      fx->ts++;
      m = build_msk (fx, &p, NULL);
      accept_msk (fx, m, MGV_MSK_STORED);
    }
  g_assert_cmpuint (mgv_store_delete_msks (fx->store, DOMAIN, 2, &error), ==, 2);
  assert_has_msk (fx, 0x00010001, TRUE);
  reopen (fx, CARD, FALSE);
  g_assert_cmpuint (mgv_store_list_msks (fx->store)->len, ==, 1);
}

/* Build -> parse round trip of every MSK message field, with RFC 4771 SP parameters. */
static void
test_codec_round_trip_rfc4771_sp (Fx *fx, gconstpointer d)
{
  MikeyBuildParams p = msk_params (fx);
  g_autoptr(GByteArray) sp = g_byte_array_new ();
  g_autoptr(GBytes) sp_bytes = NULL;
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(MikeyMessage) m = NULL;
  g_autoptr(GError) error = NULL;
  static const guint8 roc_rate[2] = { 0x00, 0x05 };
  MikeyPolicy *policy;
  MikeySrtpIdEntry *cs;

  mikey_sp_append (sp, MIKEY_SP_ROC_RATE, roc_rate, 2);
  mikey_sp_append_u8 (sp, MIKEY_SP_SRTP_AUTH_ALG, MIKEY_SP_AUTH_RCCM2);
  mikey_sp_append_u8 (sp, MIKEY_SP_SRTCP_AUTH_ALG, MIKEY_SP_AUTH_HMAC_SHA1);
  mikey_sp_append_u8 (sp, MIKEY_SP_SRTP_AUTH_TAG_LEN, 14);
  mikey_sp_append_u8 (sp, MIKEY_SP_SRTCP_AUTH_TAG_LEN, 10);
  sp_bytes = g_bytes_new (sp->data, sp->len);
  p.sp_params = sp_bytes;
  p.roc = 7;
  p.v_bit = TRUE;
  msg = mikey_build_msk_message (&p, fx->muk);
  m = mikey_message_parse (msg, &error);
  g_assert_no_error (error);
  g_assert_true (m->v_bit);
  g_assert_cmpuint (m->csb_id, ==, p.csb_id);
  g_assert_cmpuint (m->ts_type, ==, MIKEY_TS_COUNTER);
  g_assert_cmpuint (m->ts_value, ==, p.ts_counter);
  g_assert_true (g_bytes_equal (m->rand, fx->rand));
  g_assert_cmpstr (m->idi, ==, IDI);
  g_assert_cmpstr (m->idr, ==, IDR);
  g_assert_cmpuint (m->idi_type, ==, MIKEY_ID_NAI);
  g_assert_cmpuint (m->srtp_ids->len, ==, 1);
  cs = &g_array_index (m->srtp_ids, MikeySrtpIdEntry, 0);
  g_assert_cmpuint (cs->ssrc, ==, 0xdeadbeef);
  g_assert_cmpuint (cs->roc, ==, 7);
  g_assert_true (m->key_ids.has_domain && !m->key_ids.has_mtk_id);
  g_assert_cmpmem (m->key_ids.domain, 3, DOMAIN, 3);
  g_assert_cmpuint (m->key_ids.msk_id, ==, 0x00010002);
  policy = g_ptr_array_index (m->policies, 0);
  g_assert_cmpuint (policy->params->len, ==, 5);
  g_assert_cmpuint (((MikeySpParamValue *) g_ptr_array_index (policy->params, 0))->type, ==, MIKEY_SP_ROC_RATE);
  g_assert_true (g_bytes_equal (((MikeySpParamValue *) g_ptr_array_index (policy->params, 0))->value,
                                g_bytes_new_static (roc_rate, 2)));
  g_assert_cmpuint (((MikeySpParamValue *) g_ptr_array_index (policy->params, 1))->type, ==, MIKEY_SP_SRTP_AUTH_ALG);
  g_assert_true (m->has_kemac);
  g_assert_cmpuint (m->mac_offset + MIKEY_MAC_LEN, ==, g_bytes_get_size (msg));
}

/* Errors name the payload and the octet where it went wrong. */
static void
test_codec_error_names_payload_and_offset (Fx *fx, gconstpointer d)
{
  g_autoptr(GBytes) msg = next_msk (fx);
  g_autoptr(GBytes) cut = g_bytes_new_from_bytes (msg, 0, 40);
  g_autoptr(GError) error = NULL;
  g_autoptr(MikeyMessage) m = mikey_message_parse (cut, &error);

  g_assert_null (m);
  g_assert_error (error, MIKEY_ERROR, MIKEY_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, "RAND"));
  g_assert_nonnull (strstr (error->message, "offset"));
}

static void
test_serial_rfc1982 (void)
{
  g_assert_true (mgv_serial_newer (2, 1));
  g_assert_false (mgv_serial_newer (1, 1));
  g_assert_false (mgv_serial_newer (1, 2));
  g_assert_true (mgv_serial_newer (0, 0xffffffffu));
  g_assert_true (mgv_serial_newer (0x7fffffffu, 0));
  g_assert_false (mgv_serial_newer (0x80000000u, 0)); /* undefined */
  g_assert_false (mgv_serial_newer (0, 0x80000000u)); /* undefined the other way too */
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
#define ADD(path, fn) g_test_add ("/mgv/" path, Fx, NULL, fx_set_up, fn, fx_tear_down)
  ADD ("msk/streaming-stored-with-sp", test_msk_streaming_stored_with_policy);
  ADD ("msk/download-empty-map-no-sp", test_msk_download_no_sp);
  ADD ("msk/v-bit-verification-message", test_msk_v_bit_verification);
  ADD ("msk/no-v-bit-no-verification", test_msk_no_v_bit_no_verification);
  ADD ("msk/same-id-replaces-key-and-kv", test_msk_same_id_replaces);
  ADD ("msk/kv-only-update", test_msk_kv_only_update);
  ADD ("msk/kv-only-update-unknown-msk-rejected", test_msk_kv_only_update_unknown_msk);
  ADD ("msk/solicited-pull-key-number-0", test_msk_solicited_pull);
  ADD ("msk/solicited-pull-with-key-rejected", test_msk_solicited_pull_with_key_rejected);
  ADD ("msk/push-under-older-muk-requests-no-ack", test_msk_push_under_older_muk);
  ADD ("msk/last-used-muk-moves-old-muk-unknown", test_msk_last_used_muk_moves);
  ADD ("msk/two-per-group-newer-by-ts", test_msk_two_per_group_newer_by_ts);
  ADD ("msk/two-per-group-newer-by-muk", test_msk_two_per_group_newer_by_muk);
  ADD ("msk/resent-msk-becomes-newer", test_msk_resent_msk_becomes_newer);
  ADD ("msk/key-groups-independent", test_msk_groups_independent);
  ADD ("msk/unknown-extension-opaque-in-mac", test_msk_unknown_extension_kept_in_mac);
  ADD ("msk/ts-wraparound-accepted", test_msk_ts_wraparound_accepted);
  ADD ("msk/replay-same-message", test_msk_replay_same);
  ADD ("msk/replay-older-ts", test_msk_replay_older_ts);
  ADD ("msk/replay-undefined-rfc1982", test_msk_replay_undefined_rfc1982);
  ADD ("msk/bad-mac", test_msk_bad_mac);
  ADD ("msk/tampered-ciphertext", test_msk_tampered_ciphertext);
  ADD ("msk/wrong-muk", test_msk_wrong_muk);
  ADD ("msk/unknown-muk-id", test_msk_unknown_muk_id);
  ADD ("msk/missing-rand", test_msk_missing_rand);
  ADD ("msk/missing-idr", test_msk_missing_idr);
  ADD ("msk/kv-interval-inverted", test_msk_interval_inverted);
  ADD ("msk/sp-with-empty-map-rejected", test_msk_sp_with_download_rejected);
  ADD ("msk/mtk-message-rejected", test_msk_mtk_message_rejected);
  ADD ("msk/verification-message-rejected", test_msk_verification_message_rejected);
  ADD ("msk/truncated-at-every-offset", test_msk_truncated_everywhere);
  ADD ("msk/null-algorithms-rejected", test_msk_null_algorithms_rejected);
  ADD ("msk/sp-not-taken-when-mgv-f-fails", test_msk_sp_not_taken_on_failure);
  ADD ("mtk/streaming-mtk-and-salt", test_mtk_streaming_accepted);
  ADD ("mtk/download-keys-rfc3830-4-1-3", test_mtk_download_keys_derived);
  ADD ("mtk/replay", test_mtk_replay);
  ADD ("mtk/same-id-new-ts-stale", test_mtk_same_id_new_ts_stale);
  ADD ("mtk/lower-id-stale", test_mtk_lower_id_stale);
  ADD ("mtk/at-seq-low-stale", test_mtk_at_seq_low_stale);
  ADD ("mtk/above-seq-high-stale", test_mtk_above_seq_high_stale);
  ADD ("mtk/at-seq-high-accepted", test_mtk_at_seq_high_accepted);
  ADD ("mtk/unknown-msk", test_mtk_unknown_msk);
  ADD ("mtk/wrong-msk-key", test_mtk_wrong_msk_key);
  ADD ("mtk/wrong-mikey-rand", test_mtk_wrong_rand);
  ADD ("mtk/tampered", test_mtk_tampered);
  ADD ("mtk/streaming-needs-112-bit-salt", test_mtk_streaming_needs_salt);
  ADD ("mtk/msk-message-rejected", test_mtk_msk_message_rejected);
  ADD ("mtk/counter-resets-with-new-msk", test_mtk_counter_resets_with_new_msk);
  ADD ("mtk/two-most-recent-per-session", test_mtk_two_most_recent_per_session);
  ADD ("mtk/current-copy-for-another-session", test_mtk_current_copy_for_another_session);
  ADD ("mtk/copy-of-another-group-refused", test_mtk_copy_of_another_group_refused);
  ADD ("store/persists-across-restart", test_store_persists_across_restart);
  ADD ("store/sim-change-wipes", test_store_sim_change_wipes);
  ADD ("store/forget-muks-keeps-msks", test_store_forget_muks_keeps_msks);
  ADD ("store/corrupt-refused-untouched", test_store_corrupt_refused);
  ADD ("store/deferred-mtk-saved-in-background", test_store_deferred_mtk_saved_in_background);
  ADD ("store/background-failure-reported", test_store_background_failure_reported);
  ADD ("store/foreign-refused", test_store_foreign_refused);
  ADD ("store/msk-kept-in-memory-when-unwritable", test_store_msk_kept_when_unwritable);
  ADD ("store/damaged-set-aside", test_store_damaged_set_aside);
  ADD ("store/fifo-refused", test_store_fifo_refused);
  ADD ("store/crash-during-save-leaves-readable-state", test_store_crash_safety);
  ADD ("store/delete-by-key-group", test_store_delete_by_group);
  ADD ("codec/round-trip-with-rfc4771-sp", test_codec_round_trip_rfc4771_sp);
  ADD ("codec/error-names-payload-and-offset", test_codec_error_names_payload_and_offset);
#undef ADD
  g_test_add_func ("/mgv/serial/rfc1982", test_serial_rfc1982);
  g_test_add_func ("/mgv/store/damaged-described", test_store_damaged_described);
  return g_test_run ();
}
