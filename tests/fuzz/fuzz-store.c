/* libFuzzer target: MGV-S files as they may be found on disk, damaged in any way. The strict
 * reader either opens them or says why; the lenient description of a damaged one (what the
 * log says was lost, issue 14 item 6) reads only inside the file and names no key bytes. */
#include "mgv.h"
#include "mgv-store-private.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvStore) store = mgv_store_new_from_bytes (bytes, "fuzz.mgv", &error);
  g_autofree char *described = mgv_store_describe_damaged (data, size);

  g_assert ((store == NULL) == (error != NULL));
  g_assert_nonnull (described);
  g_assert_true (g_utf8_validate (described, -1, NULL));
  return 0;
}
