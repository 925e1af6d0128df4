/* libFuzzer target: the bootstrapping information parser (TS 24.109 Annex C). A body that
 * parses must survive a to_xml -> parse round trip unchanged. */
#include "gba.h"

#include <string.h>

static void
silence (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
}

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GbaBootstrapInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  g_log_set_default_handler (silence, NULL);
  info = gba_bootstrap_info_parse ((const char *) data, size, &error);
  if (info == NULL)
    {
      g_assert (error != NULL && error->domain == GBA_ERROR);
      return 0;
    }
  {
    g_autofree char *xml = gba_bootstrap_info_to_xml (info);
    g_autoptr(GbaBootstrapInfo) again = gba_bootstrap_info_parse (xml, strlen (xml), &error);
    gboolean plain = TRUE;

    /* control characters (even \r, which XML normalises) may not survive the trip */
    for (const char *p = info->btid; *p != '\0'; p++)
      if ((guchar) *p < 0x20)
        plain = FALSE;
    if (plain)
      {
        g_assert (again != NULL);
        g_assert (strcmp (again->btid, info->btid) == 0);
        g_assert (g_date_time_to_unix (again->lifetime) == g_date_time_to_unix (info->lifetime));
      }
  }
  return 0;
}
