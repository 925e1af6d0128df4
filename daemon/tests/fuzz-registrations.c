/* libFuzzer target: the persisted registrations file (TS 33.246 6.3.2.1A) as the daemon reads
 * it at start. The input is the file; it is opened for the card "fuzz-card" (a file of
 * another card is wiped), and what was read must survive a save and a second reading. Files go
 * to a directory of this process's own (tmpfs where there is one: saves are durable writes). */
#include "mbms-registrations.h"

#include <glib/gstdio.h>
#include <string.h>

#define FUZZ_CARD "fuzz-card"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static char *
file_path (void)
{
  static char *path;

  if (path == NULL)
    {
      const char *base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir ();
      g_autofree char *tmpl = g_build_filename (base, "fuzz-registrations-XXXXXX", NULL);
      char *dir = g_mkdtemp (tmpl);
      g_assert (dir != NULL);
      path = g_build_filename (dir, "registrations", NULL);
    }
  return path;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  const char *path = file_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsRegistrations) regs = NULL;
  g_autoptr(MbmsRegistrations) again = NULL;
  g_auto(GStrv) ids = NULL;
  g_auto(GStrv) ids_again = NULL;
  gboolean wiped = FALSE;

  g_assert (g_file_set_contents (path, (const char *) data, (gssize) size, NULL));
  regs = mbms_registrations_open (path, FUZZ_CARD, &wiped, &error);
  if (regs == NULL)
    {
      g_assert (error != NULL);
      return 0;
    }
  ids = mbms_registrations_list (regs);
  g_assert (!wiped || ids[0] == NULL);
  for (guint i = 0; ids[i] != NULL; i++)
    g_assert (mbms_registrations_get_bmsc (regs, ids[i]) != NULL);
  /* a save (as a registration makes) and a restart read the same services back */
  g_assert (mbms_registrations_add (regs, "urn:mbmsd:fuzz:added", "http://bmsc.fuzz", NULL));
  g_assert (mbms_registrations_remove (regs, "urn:mbmsd:fuzz:added", NULL));
  again = mbms_registrations_open (path, FUZZ_CARD, &wiped, &error);
  g_assert (again != NULL && !wiped);
  ids_again = mbms_registrations_list (again);
  g_assert (g_strv_equal ((const char *const *) ids, (const char *const *) ids_again));
  for (guint i = 0; ids[i] != NULL; i++)
    g_assert (strcmp (mbms_registrations_get_bmsc (regs, ids[i]), mbms_registrations_get_bmsc (again, ids[i])) == 0);
  return 0;
}
