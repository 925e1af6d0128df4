/* A command-line face on our Milenage and software USIM for the interop suite:
 *   aka-tool vector K OP AMF SQN RAND      -> AUTN, RES, CK, IK of the network side
 *   aka-tool auts K OP RAND SQN_AUTN SQN_MS -> the AUTS our software USIM answers when it
 *                                             holds SQN_MS and is challenged with SQN_AUTN
 *   aka-tool digest ALG USER REALM PASSWORD_HEX NONCE NC CNONCE QOP METHOD URI BODY_HEX
 *                                          -> the request-digest our HTTP Digest code computes
 * (all hex; SQN as 12 hex digits). Output: NAME<TAB>value lines. */
#include "gba.h"

#include <stdio.h>
#include <string.h>

static gboolean
hex (const char *s, guint8 *out, gsize len)
{
  return gba_hex_to_buf (s, out, len);
}

static void
put (const char *name, const guint8 *data, gsize len)
{
  printf ("%s\t", name);
  for (gsize i = 0; i < len; i++)
    printf ("%02x", data[i]);
  printf ("\n");
}

int
main (int argc, char **argv)
{
  guint8 k[16], op[16], opc[16], amf[2], sqn[6], rand[16], autn[16], res[8], ck[16], ik[16];

  g_log_writer_default_set_use_stderr (TRUE); /* stdout carries results */
  if (argc == 7 && strcmp (argv[1], "vector") == 0 && hex (argv[2], k, 16) && hex (argv[3], op, 16)
      && hex (argv[4], amf, 2) && hex (argv[5], sqn, 6) && hex (argv[6], rand, 16))
    {
      gba_milenage_opc (k, op, opc);
      gba_milenage_autn (k, opc, rand, sqn, amf, autn);
      gba_milenage_f2345 (k, opc, rand, res, ck, ik, NULL, NULL);
      put ("AUTN", autn, 16);
      put ("RES", res, 8);
      put ("CK", ck, 16);
      put ("IK", ik, 16);
      return 0;
    }
  if (argc == 7 && strcmp (argv[1], "auts") == 0 && hex (argv[2], k, 16) && hex (argv[3], op, 16)
      && hex (argv[4], rand, 16) && hex (argv[5], sqn, 6))
    {
      GbaUiccSoftParams p = { .imsi = "001010123456789", .mnc_len = 2 };
      guint8 sqn_ms[6], amf0[2] = { 0x80, 0x00 };
      g_autoptr(GbaUicc) usim = NULL;
      g_autoptr(GbaAkaResult) r = NULL;
      g_autoptr(GError) error = NULL;

      if (!hex (argv[6], sqn_ms, 6))
        return 2;
      gba_milenage_opc (k, op, opc);
      memcpy (p.k, k, 16);
      memcpy (p.opc, opc, 16);
      usim = gba_uicc_soft_new (&p, &error);
      if (usim == NULL)
        return fprintf (stderr, "aka-tool: %s\n", error->message), 1;
      /* bring the USIM to SQN_MS with one accepted challenge, then replay SQN_AUTN */
      gba_milenage_autn (k, opc, rand, sqn_ms, amf0, autn);
      r = gba_uicc_authenticate (usim, rand, autn, NULL, &error);
      if (r == NULL || r->status != GBA_AKA_OK)
        return fprintf (stderr, "aka-tool: the USIM refused SQN_MS\n"), 1;
      g_clear_pointer (&r, gba_aka_result_free);
      gba_milenage_autn (k, opc, rand, sqn, amf0, autn);
      r = gba_uicc_authenticate (usim, rand, autn, NULL, &error);
      if (r == NULL || r->status != GBA_AKA_SYNC_FAILURE)
        return 1;
      put ("AUTS", r->auts, 14);
      return 0;
    }
  if (argc == 13 && strcmp (argv[1], "digest") == 0)
    {
      gsize pw_len = strlen (argv[5]) / 2, body_len = strlen (argv[12]) / 2;
      g_autofree guint8 *pw = g_malloc (pw_len + 1);
      g_autofree guint8 *body = g_malloc (body_len + 1);
      GbaDigestAlgorithm alg = strcmp (argv[2], "AKAv1-MD5") == 0 ? GBA_DIGEST_AKAV1_MD5
                               : strcmp (argv[2], "SHA-256") == 0 ? GBA_DIGEST_SHA256 : GBA_DIGEST_MD5;
      GbaDigestQop qop = strcmp (argv[9], "auth-int") == 0 ? GBA_DIGEST_QOP_AUTH_INT
                         : strcmp (argv[9], "auth") == 0 ? GBA_DIGEST_QOP_AUTH : GBA_DIGEST_QOP_NONE;
      g_autofree char *response = NULL;

      if (!hex (argv[5], pw, pw_len) || !hex (argv[12], body, body_len))
        return 2;
      response = gba_digest_compute (alg, argv[3], argv[4], pw, pw_len, argv[6], argv[7], argv[8], qop, argv[10],
                                     argv[11], body, body_len);
      printf ("RESPONSE\t%s\n", response);
      return 0;
    }
  fprintf (stderr, "usage: aka-tool vector K OP AMF SQN RAND | auts K OP RAND SQN_AUTN SQN_MS\n");
  return 2;
}
