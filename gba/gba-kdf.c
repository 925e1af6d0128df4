/* The generic key derivation function of TS 33.220 Annex B and the keys built on it:
 * NAF keys (B.3) and the MBMS MUK / MRK (TS 33.246 6.1 and Annex F). */
#include "gba.h"

#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/core_names.h>

/* TS 33.220 Annex H.3: 01 00 00 00 01 = MBMS security, TS 33.246. */
const guint8 GBA_UA_PROTOCOL_MBMS[GBA_UA_PROTOCOL_ID_LEN] = { 0x01, 0x00, 0x00, 0x00, 0x01 };

/* P0 values: TS 33.220 B.3 ("gba-me", "gba-u") and TS 33.246 Annex F ("mbms-mrk"). */
#define GBA_KDF_P0_ME   "gba-me"
#define GBA_KDF_P0_U    "gba-u"
#define GBA_KDF_P0_MRK  "mbms-mrk"
#define GBA_KDF_MAX_PARAM_LEN 0xffff /* Li is two octets, TS 33.220 B.2.1 */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC, EVP_MAC_free)

static gboolean
hmac_sha256 (const guint8 *key, gsize key_len, const guint8 *msg, gsize msg_len,
             guint8 out[GBA_KDF_KEY_LEN])
{
  g_autoptr(EVP_MAC) mac = EVP_MAC_fetch (NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = NULL;
  OSSL_PARAM params[2];
  gsize out_len = 0;
  gboolean ok;

  if (mac == NULL)
    return FALSE;
  ctx = EVP_MAC_CTX_new (mac);
  params[0] = OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0);
  params[1] = OSSL_PARAM_construct_end ();
  ok = ctx != NULL
       && EVP_MAC_init (ctx, key, key_len, params) == 1
       && EVP_MAC_update (ctx, msg, msg_len) == 1
       && EVP_MAC_final (ctx, out, &out_len, GBA_KDF_KEY_LEN) == 1
       && out_len == GBA_KDF_KEY_LEN;
  EVP_MAC_CTX_free (ctx);
  return ok;
}

GbaSecret *
gba_kdf (const GbaSecret *key, guint8 fc, const GbaKdfParam *params, gsize n_params, GError **error)
{
  g_autoptr(GByteArray) s = g_byte_array_new ();
  GbaSecret *out;
  const guint8 *key_data;
  gsize key_len;
  gboolean ok;

  g_return_val_if_fail (key != NULL, NULL);

  /* S = FC || P0 || L0 || P1 || L1 || ... (TS 33.220 B.2.1) */
  g_byte_array_append (s, &fc, 1);
  for (gsize i = 0; i < n_params; i++)
    {
      guint8 l[2];

      if (params[i].len > GBA_KDF_MAX_PARAM_LEN)
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT,
                       "KDF: parameter P%zu is %zu octets, more than L%zu can express (65535)",
                       i, params[i].len, i);
          return NULL;
        }
      l[0] = (guint8) (params[i].len >> 8);
      l[1] = (guint8) params[i].len;
      if (params[i].len > 0)
        g_byte_array_append (s, params[i].data, (guint) params[i].len);
      g_byte_array_append (s, l, 2);
    }

  key_data = gba_secret_get_data (key, &key_len);
  out = gba_secret_new_zeroed (GBA_KDF_KEY_LEN);
  ok = hmac_sha256 (key_data, key_len, s->data, s->len, gba_secret_get_mutable (out, NULL));
  /* S holds RAND and identities, not keys, but the next caller may pass key-derived values. */
  gba_wipe (s->data, s->len);
  if (!ok)
    {
      gba_secret_unref (out);
      g_set_error_literal (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT,
                           "KDF: OpenSSL HMAC-SHA-256 failed");
      return NULL;
    }
  return out;
}

GBytes *
gba_naf_id_new (const char *naf_fqdn, const guint8 ua_protocol_id[GBA_UA_PROTOCOL_ID_LEN])
{
  gsize fqdn_len = strlen (naf_fqdn);
  guint8 *buf = g_malloc (fqdn_len + GBA_UA_PROTOCOL_ID_LEN);

  memcpy (buf, naf_fqdn, fqdn_len);
  memcpy (buf + fqdn_len, ua_protocol_id, GBA_UA_PROTOCOL_ID_LEN);
  return g_bytes_new_take (buf, fqdn_len + GBA_UA_PROTOCOL_ID_LEN);
}

GbaSecret *
gba_derive_naf_key (const GbaSecret *ks, GbaNafKeyKind kind, const guint8 rand[16],
                    const char *impi, GBytes *naf_id, GError **error)
{
  const char *p0 = kind == GBA_NAF_KEY_INT ? GBA_KDF_P0_U : GBA_KDF_P0_ME;
  gsize naf_id_len = 0;
  const guint8 *naf_id_data = g_bytes_get_data (naf_id, &naf_id_len);
  /* TS 33.220 B.3: P1 = RAND, P2 = IMPI, P3 = NAF_Id. */
  GbaKdfParam params[] = {
    { p0, strlen (p0) },
    { rand, GBA_AKA_RAND_LEN },
    { impi, strlen (impi) },
    { naf_id_data, naf_id_len },
  };

  return gba_kdf (ks, GBA_KDF_FC_NAF, params, G_N_ELEMENTS (params), error);
}

GbaSecret *
gba_derive_mrk (const GbaSecret *naf_key, GError **error)
{
  GbaKdfParam p0 = { GBA_KDF_P0_MRK, strlen (GBA_KDF_P0_MRK) };

  /* TS 33.246 Annex F: FC = 0x01, P0 = "mbms-mrk". */
  return gba_kdf (naf_key, GBA_KDF_FC_NAF, &p0, 1, error);
}

void
gba_mbms_keys_free (GbaMbmsKeys *keys)
{
  if (keys == NULL)
    return;
  gba_secret_unref (keys->muk);
  gba_secret_unref (keys->mrk);
  g_free (keys->muk_idr);
  g_free (keys->muk_idi);
  g_free (keys);
}

GbaMbmsKeys *
gba_mbms_keys_derive (GbaRun run, gboolean uicc_mbms_capable, const GbaSecret *naf_key,
                      const char *btid, const char *bmsc_fqdn, GError **error)
{
  g_autoptr(GbaMbmsKeys) keys = g_new0 (GbaMbmsKeys, 1);

  keys->muk_idr = g_strdup (btid);
  keys->muk_idi = g_strdup (bmsc_fqdn);

  /* TS 33.246 6.1: with GBA_U on an MBMS-capable UICC, Ks_int_NAF is the MUK and stays on
   * the card, and Ks_ext_NAF serves directly as MRK. Otherwise the ME holds the MUK
   * (Ks_NAF or Ks_ext_NAF) and derives the MRK from it (Annex F). */
  if (run == GBA_RUN_U && uicc_mbms_capable)
    {
      keys->muk_on_uicc = TRUE;
      keys->mrk = gba_secret_ref ((GbaSecret *) naf_key);
      return g_steal_pointer (&keys);
    }

  keys->mrk = gba_derive_mrk (naf_key, error);
  if (keys->mrk == NULL)
    return NULL;
  keys->muk = gba_secret_ref ((GbaSecret *) naf_key);
  return g_steal_pointer (&keys);
}
