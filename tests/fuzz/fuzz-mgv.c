/* libFuzzer target: MGV-F (TS 33.246 6.5) with messages that carry a valid MAC. The input is a
 * MIKEY message whose KEMAC data is plaintext; the harness encrypts it and computes the MAC
 * with the keys the store holds, so mutations reach the key data and every MGV-F rule. */
#include "mgv.h"
#include "mgv-store-private.h"

#include <string.h>

#define IDI "bmsc.lab.mbmsd.test"
#define IDR "MDEyMzQ1Njc4OWFiY2RlZg==@bsf.lab.mbmsd.test"

static const guint8 MUK[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const guint8 MSK[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };

static void
silence (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
}

/* Encrypts the KEMAC data in place and writes the MAC, as a BM-SC holding psk would. */
static void
seal (guint8 *raw, const MikeyMessage *msg, const GbaSecret *psk, GBytes *rand)
{
  MikeyKemacKeys keys = { 0 };
  gsize enc_len = g_bytes_get_size (msg->encr_data);
  gsize enc_at = msg->mac_offset - 1 - enc_len; /* encr data, then the MAC alg octet */

  mikey_derive_kemac_keys (psk, msg->csb_id, rand, &keys);
  mikey_aes_cm (keys.encr_key, keys.salt, msg->csb_id, mikey_iv_timestamp (msg), raw + enc_at, enc_len);
  mikey_hmac_sha1 (keys.auth_key, raw, msg->mac_offset, raw + msg->mac_offset);
  mikey_kemac_keys_clear (&keys);
}

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GBytes) input = g_bytes_new (data, size);
  g_autoptr(MikeyMessage) msg = NULL;
  g_autoptr(MgvStore) store = mgv_store_new_in_memory ("fuzz");
  g_autoptr(GbaSecret) muk = gba_secret_new (MUK, sizeof MUK);
  g_autoptr(GbaSecret) msk = gba_secret_new (MSK, sizeof MSK);
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GError) error = NULL;
  guint8 *raw;

  g_log_set_default_handler (silence, NULL);
  mgv_store_install_muk (store, IDI, IDR, muk, NULL);
  {
    /* a stored MSK 0x00010002 with MIKEY-RAND "0123456789abcdef" and SEQ (1, 100] */
    MgvMsk *m = g_new0 (MgvMsk, 1);
    m->domain[1] = 0xf1;
    m->domain[2] = 0x10;
    m->msk_id = 0x00010002;
    m->key = gba_secret_ref (msk);
    m->seq_low = 1;
    m->seq_high = 100;
    m->rand = g_bytes_new_static ("0123456789abcdef", 16);
    m->muk_generation = 1;
    g_ptr_array_add (store->msks, m);
  }
  msg = mikey_message_parse (input, NULL);
  if (msg == NULL || !msg->has_kemac)
    {
      /* unparseable input still goes through MGV-F's own checks */
      MgvMskResult *r = mgv_process_msk (store, input, NULL);
      g_assert (r == NULL);
      g_assert (mgv_process_mtk (store, "s", input, NULL) == NULL);
      return 0;
    }
  raw = g_memdup2 (data, size);
  if (msg->key_ids.has_mtk_id)
    {
      g_autoptr(GBytes) rand = g_bytes_new_static ("0123456789abcdef", 16);
      seal (raw, msg, msk, rand);
    }
  else
    seal (raw, msg, muk, msg->rand);
  sealed = g_bytes_new_take (raw, size);
  if (msg->key_ids.has_mtk_id)
    {
      g_autoptr(MgvMtk) mtk = mgv_process_mtk (store, "s", sealed, &error);
      g_assert ((mtk == NULL) != (error == NULL));
      if (mtk != NULL)
        g_assert (mtk->mtk != NULL && (mtk->salt != NULL) != (mtk->encr_key != NULL));
    }
  else
    {
      g_autoptr(MgvMskResult) r = mgv_process_msk (store, sealed, &error);
      g_assert ((r == NULL) != (error == NULL));
      if (r != NULL && r->verification != NULL)
        {
          g_autoptr(MikeyMessage) v = mikey_message_parse (r->verification, NULL);
          g_assert (v != NULL && v->has_v);
        }
    }
  return 0;
}
