/* libFuzzer target: what a modem sends (TS 27.007, V.250): the line assembler, then each
 * line classified and tried as a +CSIM/+CGLA answer, a +CCHO answer and a +CPIN answer. */
#include "gba-at.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GbaAtLines) lines = gba_at_lines_new ();
  char *line;

  /* in two pieces, as reads split it */
  gba_at_lines_feed (lines, data, size / 2);
  gba_at_lines_feed (lines, data + size / 2, size - size / 2);
  while ((line = gba_at_lines_pop (lines)) != NULL)
    {
      g_autoptr(GError) error = NULL;
      GBytes *apdu = NULL;
      guint session;
      GbaAtCpin cpin;
      int cme;

      g_assert (strlen (line) > 0 && strlen (line) <= GBA_AT_MAX_LINE);
      gba_at_classify (line, &cme);
      if (gba_at_parse_apdu_answer (line, "+CSIM", &apdu, &error))
        {
          g_assert (g_bytes_get_size (apdu) * 2 < strlen (line));
          g_bytes_unref (apdu);
        }
      gba_at_parse_ccho (line, &session);
      gba_at_parse_cpin (line, &cpin);
      g_free (line);
    }
  return 0;
}
