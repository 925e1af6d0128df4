/* Our MIKEY PRF on the command line, for the independent Python check:
 *   mikey-tool prf INKEY_HEX LABEL_HEX OUTLEN  -> PRF(inkey, label), RFC 3830 4.1.2 */
#include "mgv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static GBytes *
hex (const char *s)
{
  GBytes *b = gba_hex_to_bytes (s, NULL);

  g_assert (b != NULL);
  return b;
}

int
main (int argc, char **argv)
{
  g_log_writer_default_set_use_stderr (TRUE); /* stdout carries results */
  if (argc == 5 && strcmp (argv[1], "prf") == 0)
    {
      g_autoptr(GBytes) in = hex (argv[2]);
      g_autoptr(GBytes) label = hex (argv[3]);
      g_autoptr(GbaSecret) key = gba_secret_new (g_bytes_get_data (in, NULL), g_bytes_get_size (in));
      g_autoptr(GbaSecret) out = mikey_prf (key, g_bytes_get_data (label, NULL), g_bytes_get_size (label),
                                            (gsize) atoi (argv[4]));
      for (gsize i = 0; i < gba_secret_get_size (out); i++)
        printf ("%02x", gba_secret_get_data (out, NULL)[i]);
      printf ("\n");
      return 0;
    }
  fprintf (stderr, "usage: mikey-tool prf INKEY_HEX LABEL_HEX OUTLEN\n");
  return 2;
}
