/* libFuzzer target: the per-item status reader of registration and MSK responses. */
#include "mbms-keymgmt-xml.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) items = mbms_keymgmt_parse_response ((const char *) data, size, &error);

  g_assert ((items == NULL) == (error != NULL));
  for (guint i = 0; items != NULL && i < items->len; i++)
    {
      MbmsItemStatus *s = &g_array_index (items, MbmsItemStatus, i);
      g_assert (s->item != NULL && s->status >= 100 && s->status <= 599);
    }
  return 0;
}
