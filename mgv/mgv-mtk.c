/* MTK processing in the ME and MGV-F: TS 33.246 6.4.6.2 and 6.5.4. The MSK named in the EXT,
 * the replay counter per MSK, the MTK ID against the current one and against (SEQl, SEQu],
 * the MAC with the MSK and its stored MIKEY-RAND; then SEQl := SEQp and the MTK (and salt)
 * go to the ME, which keeps the two most recent per session. */
#include "mgv-store-private.h"

#include <string.h>

#define MGV_SALT_LEN        14 /* 112 bits, 6.4.5.3 */
#define MGV_MTK_LEN         16 /* AES-CM-128 master key */
#define MGV_MTKS_PER_SESSION 2 /* 6.5.4 */
#define MGV_DL_ENCR_KEY_LEN 16
#define MGV_DL_AUTH_KEY_LEN 20

static gboolean
check_mtk_profile (const MikeyMessage *msg, GError **error)
{
  if (msg->data_type != MIKEY_TYPE_PSK_INIT)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MTK message: HDR data type %u, expected 0", msg->data_type);
  if (!msg->has_t || msg->ts_type != MIKEY_TS_COUNTER)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MTK message: T must be a counter (TS type 2, 6.4.3)");
  if (msg->cs_id_map_type != MIKEY_MAP_EMPTY)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MTK message: CS ID map must be the Empty map (6.4.5.3)");
  if (msg->policies->len > 0)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MTK message: SP payload not allowed (6.4.5.3)");
  if (!msg->has_kemac)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MTK message: KEMAC payload missing");
  if (!msg->key_ids.has_domain || msg->key_ids.n_msk_ids != 1)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MTK message: EXT needs a Key Domain ID and an MSK ID (6.4.4)");
  return TRUE;
}

/* 6.4.5.3: streaming = TEK+salt with a 112-bit salt; download = TGK without salt; KV NULL. */
static MikeyKeyData *
check_key_data (GPtrArray *kds, GError **error)
{
  MikeyKeyData *kd;

  if (kds->len != 1)
    {
      mgv_fail (error, MGV_ERROR_PROFILE, "MTK message: KEMAC holds %u keys, exactly one expected", kds->len);
      return NULL;
    }
  kd = g_ptr_array_index (kds, 0);
  if (kd->kv != MIKEY_KV_NULL || kd->key == NULL || gba_secret_get_size (kd->key) != MGV_MTK_LEN)
    {
      mgv_fail (error, MGV_ERROR_PROFILE, "MTK message: key must be 16 octets with KV NULL");
      return NULL;
    }
  if (kd->type == MIKEY_KEY_TEK_SALT && kd->salt != NULL && gba_secret_get_size (kd->salt) == MGV_SALT_LEN)
    return kd;
  if (kd->type == MIKEY_KEY_TGK && kd->salt == NULL)
    return kd;
  mgv_fail (error, MGV_ERROR_PROFILE, "MTK message: key type %u, expected TEK+salt (112-bit salt) or TGK", kd->type);
  return NULL;
}

static MgvMtk *
make_mtk (const MikeyMessage *msg, const MgvMsk *msk, const MikeyKeyData *kd)
{
  MgvMtk *mtk = g_new0 (MgvMtk, 1);

  memcpy (mtk->domain, msk->domain, MGV_KEY_DOMAIN_LEN);
  mtk->msk_id = msk->msk_id;
  mtk->mtk_id = msg->key_ids.mtk_id;
  mtk->mtk = gba_secret_ref (kd->key);
  if (kd->type == MIKEY_KEY_TEK_SALT)
    mtk->salt = gba_secret_ref (kd->salt);
  else
    mgv_mtk_derive_download_keys (mtk, msg->csb_id, msk->rand);
  return mtk;
}

void
mgv_mtk_derive_download_keys (MgvMtk *mtk, guint32 csb_id, GBytes *msk_rand)
{
  mtk->encr_key = mikey_derive_tgk_key (mtk->mtk, MIKEY_TGK_CONST_ENCR, 0, csb_id, msk_rand, MGV_DL_ENCR_KEY_LEN);
  mtk->auth_key = mikey_derive_tgk_key (mtk->mtk, MIKEY_TGK_CONST_AUTH, 0, csb_id, msk_rand, MGV_DL_AUTH_KEY_LEN);
}

/* The ME keeps the two most recent MTKs of a session, newest first (6.5.4). */
static void
keep_for_session (MgvStore *store, const char *session, const MgvMtk *mtk)
{
  GPtrArray *mtks = g_hash_table_lookup (store->sessions, session);

  if (mtks == NULL)
    {
      mtks = g_ptr_array_new_with_free_func ((GDestroyNotify) mgv_mtk_free);
      g_hash_table_insert (store->sessions, g_strdup (session), mtks);
    }
  g_ptr_array_insert (mtks, 0, mgv_mtk_copy (mtk));
  if (mtks->len > MGV_MTKS_PER_SESSION)
    g_ptr_array_set_size (mtks, MGV_MTKS_PER_SESSION);
}

/* May the current MTK of msk be given to the session as a copy? Not when the session holds it
 * already (that is a replay), and not when the session holds keys of another key group: a copy
 * of some other group's message must never push a session's own MTKs out. */
static gboolean
session_may_take_copy (MgvStore *store, const char *session, const MgvMsk *msk, guint32 mtk_id)
{
  GPtrArray *mtks = g_hash_table_lookup (store->sessions, session);

  for (guint i = 0; mtks != NULL && i < mtks->len; i++)
    {
      const MgvMtk *m = g_ptr_array_index (mtks, i);
      if (memcmp (m->domain, msk->domain, MGV_KEY_DOMAIN_LEN) != 0
          || MGV_MSK_KEY_GROUP (m->msk_id) != MGV_MSK_KEY_GROUP (msk->msk_id))
        return FALSE;
      if (m->msk_id == msk->msk_id && m->mtk_id == mtk_id)
        return FALSE;
    }
  return TRUE;
}

MgvMtk *
mgv_process_mtk (MgvStore *store, const char *session, GBytes *message, GError **error)
{
  g_autoptr(MikeyMessage) msg = NULL;
  g_autoptr(GPtrArray) kds = NULL;
  g_autoptr(GError) local = NULL;
  MikeyKemacKeys keys = { 0 };
  MikeyKeyData *kd;
  MgvMsk *msk;
  MgvMtk *mtk;
  guint32 ts, seq_p;
  gboolean copy_for_session;

  msg = mikey_message_parse (message, &local);
  if (msg == NULL)
    {
      mgv_fail (error, MGV_ERROR_PROFILE, "%s", local->message);
      return NULL;
    }
  if (!msg->key_ids.has_mtk_id)
    {
      mgv_fail (error, MGV_ERROR_PROFILE, "MTK message: EXT has no MTK ID; this is an MSK message");
      return NULL;
    }
  if (!check_mtk_profile (msg, error))
    return NULL;
  ts = (guint32) msg->ts_value;
  seq_p = msg->key_ids.mtk_id;

  /* 6.4.6.2 step 1: the protecting MSK */
  msk = mgv_store_find_msk (store, msg->key_ids.domain, msg->key_ids.msk_id);
  if (msk == NULL)
    {
      mgv_fail (error, MGV_ERROR_UNKNOWN_KEY, "MTK message: MSK 0x%08x is not stored", msg->key_ids.msk_id);
      return NULL;
    }
  /* The message that gave the current MTK, sent again to a second session of the key group
   * (its own destination): a replay of the MSK's counter by the letter of 6.4.6.2, but the
   * counter names that one message of the BM-SC (same TS, same MTK ID), so it carries the key
   * the ME accepted already, and that session needs it. Verified like any other, then kept for
   * the session; the MSK's state does not move (docs/interpretations.md). */
  copy_for_session = msk->has_mtk_counter && ts == msk->mtk_counter && seq_p == msk->seq_low
                     && session_may_take_copy (store, session, msk, seq_p);
  /* step 2: replay counter per MSK */
  if (!copy_for_session && msk->has_mtk_counter && !mgv_serial_newer (ts, msk->mtk_counter))
    {
      mgv_fail (error, MGV_ERROR_REPLAY, "MTK message: TS %u is not newer than %u under MSK 0x%08x", ts,
                msk->mtk_counter, msk->msk_id);
      return NULL;
    }
  /* step 3 and 6.5.4: SEQl < SEQp <= SEQu (SEQl is the current MTK ID once one was accepted) */
  if (!copy_for_session && (seq_p <= msk->seq_low || seq_p > msk->seq_high))
    {
      mgv_fail (error, MGV_ERROR_STALE, "MTK message: MTK ID %u outside (%u, %u] of MSK 0x%08x", seq_p, msk->seq_low,
                msk->seq_high, msk->msk_id);
      return NULL;
    }
  /* MAC with the MSK and the MIKEY-RAND stored with it */
  mikey_derive_kemac_keys (msk->key, msg->csb_id, msk->rand, &keys);
  kds = mikey_kemac_open (msg, &keys, &local);
  mikey_kemac_keys_clear (&keys);
  if (kds == NULL)
    {
      mgv_fail (error, g_error_matches (local, MIKEY_ERROR, MIKEY_ERROR_AUTH) ? MGV_ERROR_AUTH : MGV_ERROR_PROFILE,
                "%s", local->message);
      return NULL;
    }
  kd = check_key_data (kds, error);
  if (kd == NULL)
    return NULL;

  /* accepted: SEQl := SEQp, the MSK's counter := TS (both unchanged for a copy) */
  msk->seq_low = seq_p;
  msk->has_mtk_counter = TRUE;
  msk->mtk_counter = ts;
  mtk = make_mtk (msg, msk, kd);
  mtk->copy = copy_for_session;
  keep_for_session (store, session, mtk);
  g_debug ("MGV-F: MTK %u under MSK 0x%08x accepted for session %s%s", seq_p, msk->msk_id, session,
           copy_for_session ? " (the current MTK, first copy for this session)" : "");
  if (!store->defer_mtk_saves && !mgv_store_save (store, error))
    {
      mgv_mtk_free (mtk);
      return NULL;
    }
  return mtk;
}
