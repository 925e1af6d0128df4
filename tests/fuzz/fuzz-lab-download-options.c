/* libFuzzer target: the lab's [lab-download] group (tools/lab/lab-download.h), read from any
 * key file. Either the options come out within their bounds or an error says why. */
#include "lab-download.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_auto(LabDownloadOptions) o = { 0 };
  gboolean ok;

  if (!g_key_file_load_from_data (kf, (const char *) data, size, G_KEY_FILE_NONE, NULL))
    return 0;
  ok = lab_download_options_from_key_file (kf, &o, &error);
  g_assert (ok == (error == NULL));
  if (ok)
    {
      g_assert (o.flute.loss_percent <= 100 && o.flute.reorder_percent <= 100 && o.flute.duplicate_percent <= 100);
      g_assert (o.flute.symbol_length <= 65535 && o.key_group != 0 && o.service_id != NULL);
      g_assert (o.address == NULL || o.port != 0);
    }
  return 0;
}
