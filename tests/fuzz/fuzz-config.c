/* libFuzzer target: the configuration files a device maker writes, mbmsd.conf and the
 * software USIM's key file ([usim] group). Either parses or says why; nothing else. */
#include "gba.h"
#include "mbms-config.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsConfig) config = mbms_config_load_data ((const char *) data, size, &error);
  g_autoptr(GKeyFile) kf = g_key_file_new ();

  g_assert ((config == NULL) == (error != NULL));
  if (config != NULL)
    g_assert (config->state_dir != NULL && config->mikey_port > 0 && config->forward_port_base >= 1024);
  g_clear_error (&error);
  if (g_key_file_load_from_data (kf, (const char *) data, size, G_KEY_FILE_NONE, NULL))
    {
      GbaUicc *usim;
      /* the fuzzer must not read files: the SQN state stays in memory */
      g_key_file_remove_key (kf, "usim", "sqn-file", NULL);
      usim = gba_uicc_soft_new_from_key_file (kf, "usim", NULL, &error);
      g_assert ((usim == NULL) == (error != NULL));
      g_clear_object (&usim);
    }
  return 0;
}
