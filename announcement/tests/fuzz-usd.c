/* libFuzzer target: USD bundles and, through their references, the protection descriptions
 * and SDPs of data/examples (MBMS_SOURCE_DIR). Any input parses or fails with a USD error. */
#include "mbms-usd.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static char *dir;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) services = NULL;

  if (dir == NULL)
    dir = g_build_filename (g_getenv ("MBMS_SOURCE_DIR") ? g_getenv ("MBMS_SOURCE_DIR") : ".", "data", "examples", NULL);
  services = mbms_usd_parse ((const char *) data, size, dir, &error);
  g_assert ((services == NULL) == (error != NULL));
  for (guint i = 0; services != NULL && i < services->len; i++)
    {
      MbmsUserService *s = g_ptr_array_index (services, i);
      g_assert (s->service_id != NULL);
      g_assert (!s->protected || (s->bmsc_uris != NULL && s->bmsc_uris[0] != NULL && s->keys->len > 0));
    }
  return 0;
}
