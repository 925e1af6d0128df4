/* AT lines and answers (ITU-T V.250 5.7, TS 27.007 8.3, 8.17, 8.43, 8.45, 9.2), parsed
 * from text a modem sent: every length is checked, nothing is trusted. */
#include "gba-at.h"
#include "gba-apdu.h"

#include <stdlib.h>
#include <string.h>

struct _GbaAtLines {
  GString *partial;
  GQueue   complete;
  gboolean discarding; /* inside an overlong line */
  guint    dropped;
};

GbaAtLines *
gba_at_lines_new (void)
{
  GbaAtLines *lines = g_new0 (GbaAtLines, 1);

  lines->partial = g_string_new (NULL);
  g_queue_init (&lines->complete);
  return lines;
}

void
gba_at_lines_free (GbaAtLines *lines)
{
  if (lines == NULL)
    return;
  g_string_free (lines->partial, TRUE);
  g_queue_clear_full (&lines->complete, g_free);
  g_free (lines);
}

void
gba_at_lines_feed (GbaAtLines *lines, const guint8 *data, gsize len)
{
  for (gsize i = 0; i < len; i++)
    {
      char c = (char) data[i];

      if (c == '\r' || c == '\n')
        {
          if (!lines->discarding && lines->partial->len > 0)
            g_queue_push_tail (&lines->complete, g_strdup (lines->partial->str));
          g_string_truncate (lines->partial, 0);
          lines->discarding = FALSE;
          continue;
        }
      if (lines->discarding)
        continue;
      if (c == '\0' || lines->partial->len >= GBA_AT_MAX_LINE)
        {
          lines->discarding = TRUE, lines->dropped++;
          g_string_truncate (lines->partial, 0);
          continue;
        }
      g_string_append_c (lines->partial, c);
    }
}

char *
gba_at_lines_pop (GbaAtLines *lines)
{
  return g_queue_pop_head (&lines->complete);
}

guint
gba_at_lines_dropped (GbaAtLines *lines)
{
  return lines->dropped;
}

GbaAtLineKind
gba_at_classify (const char *line, int *cme)
{
  *cme = -1;
  if (strcmp (line, "OK") == 0)
    return GBA_AT_LINE_OK;
  /* V.250 5.7.1 final result codes other than OK */
  if (strcmp (line, "ERROR") == 0 || strcmp (line, "NO CARRIER") == 0 || strcmp (line, "BUSY") == 0
      || strcmp (line, "NO ANSWER") == 0 || strcmp (line, "NO DIALTONE") == 0 || g_str_has_prefix (line, "+CMS ERROR:"))
    return GBA_AT_LINE_ERROR;
  if (g_str_has_prefix (line, "+CME ERROR:"))
    {
      const char *v = line + strlen ("+CME ERROR:");
      guint64 n;

      while (*v == ' ')
        v++;
      if (g_ascii_string_to_unsigned (v, 10, 0, 65535, &n, NULL))
        *cme = (int) n;
      else if (g_ascii_strcasecmp (v, "SIM not inserted") == 0)
        *cme = GBA_AT_CME_SIM_NOT_INSERTED;
      else if (g_ascii_strcasecmp (v, "SIM PIN required") == 0)
        *cme = GBA_AT_CME_SIM_PIN_REQUIRED;
      else if (g_ascii_strcasecmp (v, "SIM PUK required") == 0)
        *cme = GBA_AT_CME_SIM_PUK_REQUIRED;
      else if (g_ascii_strcasecmp (v, "SIM failure") == 0)
        *cme = GBA_AT_CME_SIM_FAILURE;
      return GBA_AT_LINE_CME_ERROR;
    }
  return GBA_AT_LINE_INFO;
}

static gboolean
at_fail (GError **error, const char *prefix, const char *what)
{
  g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "modem %s answer: %s", prefix, what);
  return FALSE;
}

gboolean
gba_at_parse_apdu_answer (const char *line, const char *prefix, GBytes **apdu, GError **error)
{
  gsize plen = strlen (prefix), hexlen;
  const char *p, *comma, *q1, *q2;
  guint64 count;
  g_autofree char *count_text = NULL;
  g_autofree guint8 *buf = NULL;

  if (strncmp (line, prefix, plen) != 0 || line[plen] != ':')
    return FALSE;
  p = line + plen + 1;
  while (*p == ' ')
    p++;
  comma = strchr (p, ',');
  if (comma == NULL)
    return at_fail (error, prefix, "no comma after <length>");
  count_text = g_strndup (p, (gsize) (comma - p));
  if (!g_ascii_string_to_unsigned (count_text, 10, 4, 2 * (GBA_APDU_MAX_BLOCK + 3) * 2, &count, NULL))
    return at_fail (error, prefix, "<length> is not a number of 4 or more hex characters");
  q1 = comma + 1;
  if (*q1 == '"')
    q1++;
  q2 = q1;
  while (g_ascii_isxdigit (*q2))
    q2++;
  if (!((*q2 == '"' && q2[1] == '\0' && q1[-1] == '"') || (*q2 == '\0' && q1[-1] != '"')))
    return at_fail (error, prefix, "<response> is not one hex string");
  hexlen = (gsize) (q2 - q1);
  if (hexlen != count || hexlen % 2 != 0)
    return at_fail (error, prefix, "<length> does not count the hex characters of <response>");
  buf = g_malloc (hexlen / 2);
  for (gsize i = 0; i < hexlen / 2; i++)
    buf[i] = (guint8) (g_ascii_xdigit_value (q1[2 * i]) << 4 | g_ascii_xdigit_value (q1[2 * i + 1]));
  *apdu = g_bytes_new_take (g_steal_pointer (&buf), hexlen / 2);
  return TRUE;
}

gboolean
gba_at_parse_ccho (const char *line, guint *session)
{
  guint64 n;
  const char *p = line;

  if (g_str_has_prefix (p, "+CCHO:"))
    {
      p += strlen ("+CCHO:");
      while (*p == ' ')
        p++;
    }
  /* 8.45: <sessionid> integer type; 0 is the basic channel, never a session */
  if (!g_ascii_string_to_unsigned (p, 10, 1, G_MAXUINT32, &n, NULL))
    return FALSE;
  *session = (guint) n;
  return TRUE;
}

gboolean
gba_at_parse_cpin (const char *line, GbaAtCpin *state)
{
  const char *p;

  if (!g_str_has_prefix (line, "+CPIN:"))
    return FALSE;
  p = line + strlen ("+CPIN:");
  while (*p == ' ')
    p++;
  if (strcmp (p, "READY") == 0)
    *state = GBA_AT_CPIN_READY;
  else if (g_str_has_prefix (p, "SIM P") || g_str_has_prefix (p, "PH-") || g_str_has_prefix (p, "SIM PIN2")
           || g_str_has_prefix (p, "SIM PUK2"))
    *state = GBA_AT_CPIN_LOCKED;
  else
    *state = GBA_AT_CPIN_UNKNOWN;
  return TRUE;
}

char *
gba_at_build_apdu_command (int session, GBytes *apdu)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (apdu, &len);
  GString *s = g_string_new (NULL);

  if (session < 0)
    g_string_append_printf (s, "AT+CSIM=%zu,\"", 2 * len);
  else
    g_string_append_printf (s, "AT+CGLA=%d,%zu,\"", session, 2 * len);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02X", d[i]);
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}
