/* libFuzzer target: the per-item reader of registration and MSK responses (TS 26.346 11.7,
 * 11.8); the first octet chooses which. */
#include "mbms-keymgmt-xml.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) items = NULL;
  gboolean msk;

  if (size < 1)
    return 0;
  msk = data[0] & 1;
  items = mbms_keymgmt_parse_response ((const char *) data + 1, size - 1, msk, &error);
  g_assert ((items == NULL) == (error != NULL));
  for (guint i = 0; items != NULL && i < items->len; i++)
    {
      MbmsItemStatus *s = &g_array_index (items, MbmsItemStatus, i);
      /* a read item has its code; an unread one says why */
      g_assert ((s->problem == NULL) == (s->status >= 100 && s->status <= 599));
      g_assert (!msk || s->service_id == NULL);
      g_assert (msk || !s->has_msk);
    }
  return 0;
}
