/* MSK processing for ME-based key management: TS 33.246 6.4.6.1 (reception in the ME) and
 * 6.5.3 (MGV-F), with the MUK rules of 6.1, 6.3.2.2.4 (solicited pull) and 6.3.2.3.1 (push
 * under an older MUK). Every check runs before the store changes, so a rejected message
 * leaves MGV-S as it was. */
#include "mgv-store-private.h"

#include <string.h>

#define MGV_MSK_MAX_SEQ_OCTETS 4

void
mgv_msk_result_free (MgvMskResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->verification, g_bytes_unref);
  g_clear_error (&result->not_saved);
  g_free (result);
}

/* Figure 6.5 and the bullets of 6.4.5.1. */
static gboolean
check_msk_profile (const MikeyMessage *msg, GError **error)
{
  if (msg->data_type != MIKEY_TYPE_PSK_INIT)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: HDR data type %u, expected 0", msg->data_type);
  if (!msg->has_t || msg->ts_type != MIKEY_TS_COUNTER)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: T must be a counter (TS type 2, 6.4.3)");
  if (msg->rand == NULL)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: RAND payload missing (6.4.5.1)");
  if (msg->idi == NULL || msg->idr == NULL)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: IDi and IDr are required (6.4.5.1)");
  if (!msg->has_kemac)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: KEMAC payload missing");
  if (!msg->key_ids.has_domain || msg->key_ids.n_msk_ids != 1)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: EXT needs a Key Domain ID and an MSK ID (6.4.4)");
  if (msg->cs_id_map_type == MIKEY_MAP_SRTP_ID)
    {
      if (msg->srtp_ids->len != 1)
        return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: streaming carries exactly one CS, not %u",
                         msg->srtp_ids->len);
    }
  else if (msg->policies->len > 0)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: SP payload with the Empty map (download, 6.4.5.1)");
  if (msg->policies->len > 1)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: %u SP payloads, at most one", msg->policies->len);
  return TRUE;
}

/* The MUK named by IDi || IDr (6.1): the last generated, else the last successfully used. */
static MgvMuk *
find_muk (MgvStore *store, const MikeyMessage *msg, gboolean *is_last_generated)
{
  MgvMuk *candidates[2] = { store->last_generated, store->last_used };

  for (guint i = 0; i < 2; i++)
    if (candidates[i] != NULL && g_strcmp0 (candidates[i]->idi, msg->idi) == 0
        && g_strcmp0 (candidates[i]->idr, msg->idr) == 0)
      {
        *is_last_generated = i == 0;
        return candidates[i];
      }
  return NULL;
}

static gboolean
seq_from_bytes (GBytes *b, guint32 *out)
{
  gsize len;
  const guint8 *p = b != NULL ? g_bytes_get_data (b, &len) : NULL;

  if (p == NULL || len == 0 || len > MGV_MSK_MAX_SEQ_OCTETS)
    return FALSE;
  *out = 0;
  for (gsize i = 0; i < len; i++)
    *out = *out << 8 | p[i];
  return TRUE;
}

/* 6.4.5.1: one TEK with a KV interval; the key may be absent for a KV-only update. */
static gboolean
check_key_data (GPtrArray *kds, guint32 *seq_low, guint32 *seq_high, GError **error)
{
  MikeyKeyData *kd;

  if (kds->len != 1)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: KEMAC holds %u keys, exactly one expected", kds->len);
  kd = g_ptr_array_index (kds, 0);
  if (kd->type != MIKEY_KEY_TEK || kd->kv != MIKEY_KV_INTERVAL)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: key type %u / KV %u, expected TEK (2) / interval (2)",
                     kd->type, kd->kv);
  if (!seq_from_bytes (kd->valid_from, seq_low) || !seq_from_bytes (kd->valid_to, seq_high) || *seq_low > *seq_high)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: key validity interval is not an MTK ID range");
  if (kd->key != NULL && gba_secret_get_size (kd->key) != 16)
    return mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: MSK of %zu octets, expected 16",
                     gba_secret_get_size (kd->key));
  return TRUE;
}

/* 6.5.3: of two MSKs in one key group the one under the newer MUK is newer; under the same
 * MUK, the one with the higher TS. */
static gboolean
msk_newer (const MgvMsk *a, const MgvMsk *b)
{
  if (a->muk_generation != b->muk_generation)
    return a->muk_generation > b->muk_generation;
  return mgv_serial_newer (a->ts, b->ts);
}

/* Keeps at most two MSKs per Key Domain + Key Group: with two stored and a third arriving,
 * the older of the stored two goes. */
static void
make_room (MgvStore *store, const guint8 domain[3], guint32 msk_id)
{
  MgvMsk *same[2] = { NULL, NULL };
  guint n = 0;

  for (guint i = 0; i < store->msks->len; i++)
    {
      MgvMsk *m = g_ptr_array_index (store->msks, i);
      if (memcmp (m->domain, domain, MGV_KEY_DOMAIN_LEN) == 0
          && MGV_MSK_KEY_GROUP (m->msk_id) == MGV_MSK_KEY_GROUP (msk_id) && n < 2)
        same[n++] = m;
    }
  if (n == 2)
    {
      MgvMsk *older = msk_newer (same[0], same[1]) ? same[1] : same[0];
      g_debug ("MGV-F: dropping the older MSK 0x%08x of key group 0x%04x", older->msk_id, MGV_MSK_KEY_GROUP (msk_id));
      g_ptr_array_remove (store->msks, older);
    }
}

static void
store_msk (MgvStore *store, const MikeyMessage *msg, const MgvMuk *muk, MikeyKeyData *kd, guint32 seq_low,
           guint32 seq_high)
{
  const MikeyKeyIds *ids = &msg->key_ids;
  MgvMsk *existing = mgv_store_find_msk (store, ids->domain, ids->msk_id);
  MgvMsk *msk = existing;
  MikeyPolicy *sp = msg->policies->len > 0 ? g_ptr_array_index (msg->policies, 0) : NULL;

  if (msk == NULL)
    {
      make_room (store, ids->domain, ids->msk_id);
      msk = g_new0 (MgvMsk, 1);
      memcpy (msk->domain, ids->domain, MGV_KEY_DOMAIN_LEN);
      msk->msk_id = ids->msk_id;
      g_ptr_array_add (store->msks, msk);
    }
  if (kd->key != NULL)
    {
      /* a (re)delivered MSK: new key, new MIKEY-RAND, MTK counter reset (6.4.3) */
      gba_secret_unref (msk->key);
      msk->key = gba_secret_ref (kd->key);
      g_clear_pointer (&msk->rand, g_bytes_unref);
      msk->rand = g_bytes_ref (msg->rand);
      msk->has_mtk_counter = FALSE;
    }
  msk->seq_low = seq_low;
  msk->seq_high = seq_high;
  msk->muk_generation = muk->generation;
  msk->ts = (guint32) msg->ts_value;
  if (sp != NULL)
    {
      /* 6.4.6.1 step 5: the SP is taken into use only now that MGV-F succeeded */
      GByteArray *params = g_byte_array_new ();
      for (guint i = 0; i < sp->params->len; i++)
        {
          MikeySpParamValue *v = g_ptr_array_index (sp->params, i);
          mikey_sp_append (params, v->type, g_bytes_get_data (v->value, NULL), (guint8) g_bytes_get_size (v->value));
        }
      g_clear_pointer (&msk->policy, g_bytes_unref);
      msk->policy = g_byte_array_free_to_bytes (params);
      msk->policy_no = sp->policy_no;
    }
}

/* After a successful check: the TS becomes the MUK's counter, and a message under the last
 * generated MUK makes it the last successfully used one too (6.1). */
static void
update_muks (MgvStore *store, MgvMuk *muk, gboolean is_last_generated, guint32 ts)
{
  muk->has_counter = TRUE;
  muk->counter = ts;
  if (is_last_generated)
    {
      mgv_muk_free (store->last_used);
      store->last_used = mgv_muk_copy (muk);
    }
}

MgvMskResult *
mgv_process_msk (MgvStore *store, GBytes *message, GError **error)
{
  g_autoptr(MikeyMessage) msg = NULL;
  g_autoptr(GPtrArray) kds = NULL;
  g_autoptr(MgvMskResult) result = g_new0 (MgvMskResult, 1);
  g_autoptr(GError) local = NULL;
  MikeyKemacKeys keys = { 0 };
  gboolean is_last_generated = FALSE, pull;
  guint32 seq_low = 0, seq_high = 0, ts;
  MgvMuk *muk;

  msg = mikey_message_parse (message, &local);
  if (msg == NULL)
    {
      mgv_fail (error, MGV_ERROR_PROFILE, "%s", local->message);
      return NULL;
    }
  if (msg->key_ids.has_mtk_id)
    {
      mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: EXT names an MTK ID; this is an MTK message");
      return NULL;
    }
  if (!check_msk_profile (msg, error))
    return NULL;
  ts = (guint32) msg->ts_value;
  memcpy (result->domain, msg->key_ids.domain, MGV_KEY_DOMAIN_LEN);
  result->msk_id = msg->key_ids.msk_id;

  /* 6.4.6.1 step 1: MUK ID = IDi || IDr */
  muk = find_muk (store, msg, &is_last_generated);
  if (muk == NULL)
    {
      mgv_fail (error, MGV_ERROR_UNKNOWN_KEY, "MSK message: no MUK for IDi=%s IDr=%s", msg->idi, msg->idr);
      return NULL;
    }
  /* step 2: replay check against the MUK's counter (RFC 1982) */
  if (muk->has_counter && !mgv_serial_newer (ts, muk->counter))
    {
      mgv_fail (error, MGV_ERROR_REPLAY, "MSK message: TS %u is not newer than %u under this MUK", ts, muk->counter);
      return NULL;
    }
  /* steps 3-4 and 6.5.3: integrity with the MUK, then the key data */
  mikey_derive_kemac_keys (muk->key, msg->csb_id, msg->rand, &keys);
  kds = mikey_kemac_open (msg, &keys, &local);
  if (kds == NULL)
    {
      mikey_kemac_keys_clear (&keys);
      mgv_fail (error, g_error_matches (local, MIKEY_ERROR, MIKEY_ERROR_AUTH) ? MGV_ERROR_AUTH : MGV_ERROR_PROFILE,
                "%s", local->message);
      return NULL;
    }

  pull = MGV_MSK_KEY_NUMBER (msg->key_ids.msk_id) == 0;
  if (pull && kds->len != 0)
    {
      mikey_kemac_keys_clear (&keys);
      mgv_fail (error, MGV_ERROR_PROFILE, "MSK message: Key Number 0 (solicited pull) must carry no key");
      return NULL;
    }
  if (!pull && !check_key_data (kds, &seq_low, &seq_high, error))
    {
      mikey_kemac_keys_clear (&keys);
      return NULL;
    }
  if (!pull && is_last_generated && ((MikeyKeyData *) g_ptr_array_index (kds, 0))->key == NULL
      && mgv_store_find_msk (store, msg->key_ids.domain, msg->key_ids.msk_id) == NULL)
    {
      mikey_kemac_keys_clear (&keys);
      mgv_fail (error, MGV_ERROR_UNKNOWN_KEY, "MSK message: validity update for MSK 0x%08x, which is not stored",
                msg->key_ids.msk_id);
      return NULL;
    }

  /* All checks passed: from here on the store changes. */
  update_muks (store, muk, is_last_generated, ts);
  if (pull)
    result->outcome = MGV_MSK_PULL; /* 6.3.2.2.4: no V-bit answer */
  else if (!is_last_generated)
    result->outcome = MGV_MSK_PULL_OLD_MUK; /* 6.3.2.3.1: request, no acknowledgement */
  else
    {
      MikeyKeyData *kd = g_ptr_array_index (kds, 0);
      result->outcome = kd->key != NULL ? MGV_MSK_STORED : MGV_MSK_KV_UPDATED;
      result->policy_taken = msg->policies->len > 0;
      store_msk (store, msg, muk, kd, seq_low, seq_high);
      if (msg->v_bit)
        result->verification = mikey_build_verification (msg->csb_id, ts, msg->idi, msg->idr, keys.auth_key);
    }
  mikey_kemac_keys_clear (&keys);
  g_debug ("MGV-F: MSK message for MSK 0x%08x accepted (outcome %d, TS %u)", msg->key_ids.msk_id, result->outcome, ts);
  /* the message was valid and the store in memory took it: a full disk must not undo that */
  (void) mgv_store_save (store, &result->not_saved);
  return g_steal_pointer (&result);
}
