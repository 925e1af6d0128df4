/* Opening a DCF of MBMS download (TS 33.246 6.6.3.2): the OMADRMSignature HMAC-SHA1 with the
 * MTK's authentication key over the file up to 'mdri' (our reading of DCF 5.3, see
 * docs/interpretations.md) is checked before a single byte is decrypted; then AES-128-CBC
 * (IV first, RFC 2630 padding) or AES-128-CTR (initial counter first) with the encryption key,
 * both keys derived by RFC 3830 4.1.3 with cs_id 0 (6.5.4, mgv). */
#include "download-private.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)

#define AES_BLOCK 16
#define AES128_KEY_LEN 16
#define SHA1_LEN 20
#define DCF_MAX_PLAINTEXT (G_MAXSIZE / 2)

static gboolean
verify (const DownloadDcf *dcf, const guint8 *file, const GbaSecret *auth_key, GError **error)
{
  guint8 mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  gsize key_len, sig_len;
  const guint8 *key = gba_secret_get_data (auth_key, &key_len);
  const guint8 *sig = g_bytes_get_data (dcf->signature, &sig_len);
  gboolean ok;

  if (dcf->signature_method != DOWNLOAD_DCF_SIG_HMAC_SHA1)
    return download_fail (error, DOWNLOAD_ERROR_AUTH, "DCF: SignatureMethod 0x%02x: not integrity protected",
                          dcf->signature_method);
  if (HMAC (EVP_sha1 (), key, (int) key_len, file, dcf->signed_length, mac, &mac_len) == NULL)
    return download_fail (error, DOWNLOAD_ERROR_AUTH, "DCF: HMAC-SHA1 failed");
  ok = mac_len == SHA1_LEN && sig_len == SHA1_LEN && CRYPTO_memcmp (mac, sig, SHA1_LEN) == 0;
  OPENSSL_cleanse (mac, sizeof mac);
  if (!ok)
    return download_fail (error, DOWNLOAD_ERROR_AUTH, "DCF: OMADRMSignature does not verify (MTK ID %u)", dcf->mtk_id);
  return TRUE;
}

static GBytes *
decrypt (const DownloadDcf *dcf, const guint8 *data, gsize len, const GbaSecret *encr_key, GError **error)
{
  g_autoptr(EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new ();
  const EVP_CIPHER *cipher = dcf->encryption_method == DOWNLOAD_DCF_ENC_AES_CBC ? EVP_aes_128_cbc () : EVP_aes_128_ctr ();
  gsize key_len, ct_len;
  const guint8 *key = gba_secret_get_data (encr_key, &key_len);
  guint8 *out;
  int n1 = 0, n2 = 0;

  if (key_len != AES128_KEY_LEN)
    return download_fail (error, DOWNLOAD_ERROR_KEY, "DCF: encryption key of %zu octets", key_len), NULL;
  if (len < AES_BLOCK)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: EncryptedData of %zu octets has no IV", len), NULL;
  ct_len = len - AES_BLOCK;
  if (dcf->encryption_method == DOWNLOAD_DCF_ENC_AES_CBC && (ct_len == 0 || ct_len % AES_BLOCK != 0))
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: CBC ciphertext of %zu octets", ct_len), NULL;
  if (ct_len > G_MAXINT - AES_BLOCK)
    return download_fail (error, DOWNLOAD_ERROR_LIMIT, "DCF: ciphertext of %zu octets", ct_len), NULL;
  out = g_malloc (ct_len + AES_BLOCK);
  if (ctx == NULL || EVP_DecryptInit_ex (ctx, cipher, NULL, key, data) != 1
      || EVP_CIPHER_CTX_set_padding (ctx, dcf->padding_scheme == DOWNLOAD_DCF_PAD_RFC2630) != 1
      || EVP_DecryptUpdate (ctx, out, &n1, data + AES_BLOCK, (int) ct_len) != 1
      || EVP_DecryptFinal_ex (ctx, out + n1, &n2) != 1)
    {
      OPENSSL_cleanse (out, ct_len + AES_BLOCK);
      g_free (out);
      return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: decryption failed (padding)"), NULL;
    }
  if ((guint64) (n1 + n2) != dcf->plaintext_length)
    {
      OPENSSL_cleanse (out, ct_len + AES_BLOCK);
      g_free (out);
      return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: %d octets decrypted, PlaintextLength %" G_GUINT64_FORMAT,
                            n1 + n2, dcf->plaintext_length), NULL;
    }
  return g_bytes_new_take (out, (gsize) (n1 + n2));
}

GBytes *
download_dcf_open (const DownloadDcf *dcf, GBytes *file, const GbaSecret *encr_key, const GbaSecret *auth_key,
                   GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (file, &len);

  if (dcf->data_offset > len || dcf->data_length > len - dcf->data_offset || dcf->signed_length > len)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: parsed from another file"), NULL;
  if (auth_key == NULL)
    return download_fail (error, DOWNLOAD_ERROR_KEY, "DCF: no authentication key"), NULL;
  /* nothing is decrypted, let alone delivered, before the signature verifies */
  if (!verify (dcf, data, auth_key, error))
    return NULL;
  if (dcf->encryption_method == DOWNLOAD_DCF_ENC_NULL)
    {
      if (dcf->data_length != dcf->plaintext_length)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "DCF: %zu octets, PlaintextLength %" G_GUINT64_FORMAT,
                              dcf->data_length, dcf->plaintext_length), NULL;
      return g_bytes_new_from_bytes (file, dcf->data_offset, dcf->data_length);
    }
  if (encr_key == NULL)
    return download_fail (error, DOWNLOAD_ERROR_KEY, "DCF: no encryption key"), NULL;
  return decrypt (dcf, data + dcf->data_offset, dcf->data_length, encr_key, error);
}

GBytes *
download_dcf_open_with (const DownloadDcf *dcf, GBytes *file, GPtrArray *mtks, GError **error)
{
  for (guint i = 0; mtks != NULL && i < mtks->len; i++)
    {
      const MgvMtk *mtk = g_ptr_array_index (mtks, i);

      if (memcmp (mtk->domain, dcf->domain, MGV_KEY_DOMAIN_LEN) == 0 && mtk->msk_id == dcf->msk_id
          && mtk->mtk_id == dcf->mtk_id)
        return download_dcf_open (dcf, file, mtk->encr_key, mtk->auth_key, error);
    }
  return download_fail (error, DOWNLOAD_ERROR_KEY, "DCF: no MTK for MSK ID 0x%08x MTK ID %u",
                        dcf->msk_id, dcf->mtk_id), NULL;
}
