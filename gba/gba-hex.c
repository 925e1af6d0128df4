/* Hex text to octets, for keys in configuration files and IDs in descriptions. */
#include "gba.h"

#include <string.h>

gboolean
gba_hex_to_buf (const char *hex, guint8 *out, gsize len)
{
  if (hex == NULL || strlen (hex) != len * 2)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]), lo = g_ascii_xdigit_value (hex[2 * i + 1]);
      if (hi < 0 || lo < 0)
        {
          gba_wipe (out, i);
          return FALSE;
        }
      out[i] = (guint8) (hi << 4 | lo);
    }
  return TRUE;
}

GBytes *
gba_hex_to_bytes (const char *hex, GError **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  int hi = -1;

  for (const char *p = hex; *p != '\0'; p++)
    {
      int v;

      if (g_ascii_isspace (*p) || *p == ':')
        {
          if (hi >= 0)
            break; /* a separator inside an octet */
          continue;
        }
      v = g_ascii_xdigit_value (*p);
      if (v < 0)
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "hex text: non-hex character at offset %td", p - hex);
          return NULL;
        }
      if (hi < 0)
        hi = v;
      else
        {
          guint8 b = (guint8) (hi << 4 | v);
          g_byte_array_append (out, &b, 1);
          hi = -1;
        }
    }
  if (hi >= 0)
    {
      gba_wipe (out->data, out->len);
      g_set_error_literal (error, GBA_ERROR, GBA_ERROR_PARSE, "hex text: an octet is cut in half");
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
