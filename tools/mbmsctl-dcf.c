/* mbmsctl decrypt-dcf FILE: a DCF of MBMS download (TS 33.246 6.6.3.2) opened offline. The
 * keys come either as the MTK with the MTK message's CSB ID and the MSK's MIKEY-RAND (derived
 * as RFC 3830 4.1.3 with cs_id 0 says, 6.5.4) or as the two derived keys. The signature is
 * verified before anything is decrypted; nothing is written unless it verified. */
#include "mbmsctl-dcf.h"
#include "download.h"

#include <stdio.h>
#include <string.h>

#define DCF_MAX_FILE (256 * 1024 * 1024)

static GbaSecret *
secret_hex (const char *hex, const char *what, gsize want, GError **error)
{
  g_autoptr(GBytes) b = gba_hex_to_bytes (hex, error);
  GbaSecret *s;

  if (b == NULL)
    {
      g_prefix_error (error, "%s: ", what);
      return NULL;
    }
  if (want != 0 && g_bytes_get_size (b) != want)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: %zu octets, not %zu", what,
                   g_bytes_get_size (b), want);
      return NULL;
    }
  s = gba_secret_new (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  gba_wipe ((gpointer) g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  return s;
}

int
mbmsctl_decrypt_dcf (int argc, char **argv)
{
  g_autofree char *mtk_hex = NULL, *rand_hex = NULL, *encr_hex = NULL, *auth_hex = NULL, *output = NULL;
  gint64 csb_id = -1;
  GOptionEntry entries[] = {
    { "mtk", 0, 0, G_OPTION_ARG_STRING, &mtk_hex, "MTK (TGK) of the MTK message (hex)", "HEX" },
    { "csb-id", 0, 0, G_OPTION_ARG_INT64, &csb_id, "CSB ID of the MTK message, with --mtk", "N" },
    { "rand", 0, 0, G_OPTION_ARG_STRING, &rand_hex, "MIKEY-RAND of the MSK (hex), with --mtk", "HEX" },
    { "encr-key", 0, 0, G_OPTION_ARG_STRING, &encr_hex, "the derived encryption key (hex), instead of --mtk", "HEX" },
    { "auth-key", 0, 0, G_OPTION_ARG_STRING, &auth_hex, "the derived authentication key (hex)", "HEX" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "write the plaintext here (default: standard output)", "FILE" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("FILE - verify and decrypt a DCF of MBMS download");
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaSecret) encr = NULL, auth = NULL, mtk = NULL;
  g_autoptr(GBytes) file = NULL, plain = NULL, rand = NULL;
  g_autoptr(DownloadDcf) dcf = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("mbmsctl decrypt-dcf: %s\n", error ? error->message : "give exactly one FILE");
      return 2;
    }
  if (mtk_hex != NULL)
    {
      if (rand_hex == NULL || csb_id < 0 || csb_id > G_MAXUINT32)
        {
          g_printerr ("mbmsctl decrypt-dcf: --mtk needs --csb-id and --rand\n");
          return 2;
        }
      if (!(mtk = secret_hex (mtk_hex, "--mtk", 0, &error)) || !(rand = gba_hex_to_bytes (rand_hex, &error)))
        goto usage_error;
      encr = mikey_derive_tgk_key (mtk, MIKEY_TGK_CONST_ENCR, 0, (guint32) csb_id, rand, 16);
      auth = mikey_derive_tgk_key (mtk, MIKEY_TGK_CONST_AUTH, 0, (guint32) csb_id, rand, 20);
    }
  else if (auth_hex != NULL)
    {
      if (!(auth = secret_hex (auth_hex, "--auth-key", 20, &error))
          || (encr_hex != NULL && !(encr = secret_hex (encr_hex, "--encr-key", 16, &error))))
        goto usage_error;
    }
  else
    {
      g_printerr ("mbmsctl decrypt-dcf: give --mtk/--csb-id/--rand or --auth-key [--encr-key]\n");
      return 2;
    }
  if (!g_file_get_contents (argv[1], &contents, &len, &error))
    goto fail;
  if (len > DCF_MAX_FILE)
    {
      g_printerr ("mbmsctl decrypt-dcf: %s: %zu octets, more than %d\n", argv[1], len, DCF_MAX_FILE);
      return 1;
    }
  file = g_bytes_new_take (g_steal_pointer (&contents), len);
  dcf = download_dcf_parse (file, &error);
  if (dcf == NULL)
    goto fail;
  g_printerr ("DCF: %s, EncryptionMethod %u, PaddingScheme %u, PlaintextLength %" G_GUINT64_FORMAT "\n"
              "KeyID: Key Domain ID %02x%02x%02x, MSK ID 0x%08x, MTK ID %u\n",
              dcf->content_type, dcf->encryption_method, dcf->padding_scheme, dcf->plaintext_length,
              dcf->domain[0], dcf->domain[1], dcf->domain[2], dcf->msk_id, dcf->mtk_id);
  plain = download_dcf_open (dcf, file, encr, auth, &error);
  if (plain == NULL)
    goto fail;
  g_printerr ("signature: HMAC-SHA1 verified\n");
  if (output != NULL)
    {
      if (!g_file_set_contents_full (output, g_bytes_get_data (plain, NULL), (gssize) g_bytes_get_size (plain),
                                     G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
        goto fail;
    }
  else if (fwrite (g_bytes_get_data (plain, NULL), 1, g_bytes_get_size (plain), stdout) != g_bytes_get_size (plain))
    {
      g_printerr ("mbmsctl decrypt-dcf: short write\n");
      return 1;
    }
  return 0;

usage_error:
  g_printerr ("mbmsctl decrypt-dcf: %s\n", error->message);
  return 2;
fail:
  g_printerr ("mbmsctl decrypt-dcf: %s\n", error->message);
  return 1;
}
