/* MGV's error domain and the helper every MGV file reports through: its own file, so that
 * the store and its writer both use it without calling each other. */
#include "mgv-store-private.h"

G_DEFINE_QUARK (mgv-error-quark, mgv_error)

gboolean
mgv_fail (GError **error, MgvError code, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, MGV_ERROR, code, msg);
  return FALSE;
}
