/* libFuzzer target: the FDT Instance reader (RFC 6726 3.4.2). Any document parses into files
 * with a TOI other than 0 and a Content-Location, each TOI once, or fails with a DOWNLOAD_ERROR. */
#include "download.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DownloadFdt) fdt = download_fdt_parse ((const char *) data, size, &error);

  if (fdt == NULL)
    {
      g_assert (error != NULL && error->domain == DOWNLOAD_ERROR);
      return 0;
    }
  for (guint i = 0; i < fdt->files->len; i++)
    {
      const DownloadFdtFile *f = g_ptr_array_index (fdt->files, i);

      g_assert (f->toi != DOWNLOAD_FDT_TOI && f->content_location != NULL && f->content_location[0] != '\0');
      g_assert (download_fdt_lookup (fdt, f->toi) == f);
    }
  return 0;
}
