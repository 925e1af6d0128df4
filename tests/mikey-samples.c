/* Prints MIKEY messages our builders make, one per line as "name hex", with fixed inputs, so
 * that independent tools (tshark's MIKEY dissector) can check their framing. With
 * --plaintext DIR it writes them with the KEMAC data decrypted: the seeds of fuzz-mgv. */
#include "mgv.h"

#include <stdio.h>
#include <string.h>

static const char *plaintext_dir;

static void
emit (const char *name, GBytes *b, const GbaSecret *psk, GBytes *rand)
{
  g_autoptr(MikeyMessage) msg = mikey_message_parse (b, NULL);
  g_autofree char *path = NULL;
  gsize len;
  guint8 *raw = g_memdup2 (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  MikeyKemacKeys keys = { 0 };

  len = g_bytes_get_size (b);
  if (msg != NULL && msg->has_kemac)
    {
      gsize enc_len = g_bytes_get_size (msg->encr_data);
      mikey_derive_kemac_keys (psk, msg->csb_id, rand, &keys);
      mikey_aes_cm (keys.encr_key, keys.salt, msg->csb_id, mikey_iv_timestamp (msg),
                    raw + msg->mac_offset - 1 - enc_len, enc_len);
      mikey_kemac_keys_clear (&keys);
    }
  path = g_build_filename (plaintext_dir, name, NULL);
  g_file_set_contents (path, (const char *) raw, (gssize) len, NULL);
  g_free (raw);
}

static void
print_hex (const char *name, GBytes *b)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (b, &len);

  printf ("%s ", name);
  for (gsize i = 0; i < len; i++)
    printf ("%02x", p[i]);
  printf ("\n");
}

int
main (int argc, char **argv)
{
  static const guint8 muk_bytes[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
  static const guint8 key_bytes[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                        0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };
  static const guint8 salt_bytes[14] = { 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56,
                                         0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d };
  g_autoptr(GbaSecret) muk = gba_secret_new (muk_bytes, sizeof muk_bytes);
  g_autoptr(GbaSecret) key = gba_secret_new (key_bytes, sizeof key_bytes);
  g_autoptr(GbaSecret) salt = gba_secret_new (salt_bytes, sizeof salt_bytes);
  g_autoptr(GBytes) rand = g_bytes_new_static ("0123456789abcdef", 16);
  g_autoptr(GByteArray) sp = g_byte_array_new ();
  g_autoptr(GBytes) sp_bytes = NULL;
  g_autoptr(GBytes) msk = NULL;
  g_autoptr(GBytes) mtk = NULL;
  g_autoptr(GBytes) ver = NULL;
  MikeyBuildParams p = {
    .csb_id = 0x11223344, .ts_counter = 7, .rand = rand, .idi = "bmsc.lab.mbmsd.test",
    .idr = "MDEyMzQ1Njc4OWFiY2RlZg==@bsf.lab.mbmsd.test", .streaming = TRUE, .ssrc = 0xdeadbeef,
    .roc = 0, .policy_no = 1, .domain = { 0x00, 0xf1, 0x10 }, .msk_id = 0x00010002, .key = key,
    .seq_low = 1, .seq_high = 100, .v_bit = TRUE,
  };
  MikeyKemacKeys keys = { 0 };

  g_log_writer_default_set_use_stderr (TRUE); /* stdout carries results */
  if (argc == 3 && strcmp (argv[1], "--plaintext") == 0)
    plaintext_dir = argv[2];
  mikey_sp_append_u8 (sp, MIKEY_SP_ENCR_ALG, MIKEY_SP_ENCR_AES_CM);
  mikey_sp_append_u8 (sp, MIKEY_SP_ENCR_KEY_LEN, 16);
  mikey_sp_append_u8 (sp, MIKEY_SP_AUTH_ALG, MIKEY_SP_AUTH_HMAC_SHA1);
  mikey_sp_append_u8 (sp, MIKEY_SP_AUTH_TAG_LEN, 10);
  sp_bytes = g_bytes_new (sp->data, sp->len);
  p.sp_params = sp_bytes;
  msk = mikey_build_msk_message (&p, muk);
  print_hex ("msk", msk);
  if (plaintext_dir != NULL)
    emit ("msk-streaming", msk, muk, rand);

  p.ts_counter = 9;
  p.mtk_id = 5;
  p.salt = salt;
  p.v_bit = FALSE;
  mtk = mikey_build_mtk_message (&p, key, rand);
  print_hex ("mtk", mtk);
  if (plaintext_dir != NULL)
    {
      g_autoptr(GBytes) pull = NULL;
      emit ("mtk-streaming", mtk, key, rand);
      p.msk_id = 0x00010000;
      p.key = NULL;
      p.v_bit = FALSE;
      pull = mikey_build_msk_message (&p, muk);
      emit ("msk-solicited-pull", pull, muk, rand);
    }

  mikey_derive_kemac_keys (muk, 0x11223344, rand, &keys);
  ver = mikey_build_verification (0x11223344, 7, p.idi, p.idr, keys.auth_key);
  mikey_kemac_keys_clear (&keys);
  print_hex ("verification", ver);
  return 0;
}
