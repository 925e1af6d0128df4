/* The user's registrations kept across restarts (TS 33.246 6.3.2.1A), against the lab BM-SC
 * through the BM-SC client. */
#include "keymgmt-fixture.h"
#include "mbms-registrations.h"
#include "test-util.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

/* 6.3.2.1A: registrations survive a restart, end on deregistration or a new USIM. */
static void
test_registrations_persist (Fx *fx, gconstpointer d)
{
  g_autofree char *path = g_build_filename (fx->dir, "registrations", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsRegistrations) regs = mbms_registrations_open (path, "card-1", NULL, &error);
  g_auto(GStrv) list = NULL;
  gboolean wiped = TRUE;
  struct stat st;

  g_assert_no_error (error);
  g_assert_true (mbms_registrations_add (regs, NEWS, fx->bmsc_uri, &error));
  g_assert_true (mbms_registrations_add (regs, FILM, "http://other", &error));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_clear_pointer (&regs, mbms_registrations_free);
  regs = mbms_registrations_open (path, "card-1", &wiped, &error);
  g_assert_no_error (error);
  g_assert_false (wiped);
  list = mbms_registrations_list (regs);
  g_assert_cmpuint (g_strv_length (list), ==, 2);
  g_assert_cmpstr (mbms_registrations_get_bmsc (regs, NEWS), ==, fx->bmsc_uri);
  g_assert_true (mbms_registrations_remove (regs, FILM, &error));
  g_clear_pointer (&regs, mbms_registrations_free);
  regs = mbms_registrations_open (path, "card-1", NULL, &error);
  g_assert_null (mbms_registrations_get_bmsc (regs, FILM));
  g_clear_pointer (&regs, mbms_registrations_free);
  /* another USIM: nothing to restore */
  regs = mbms_registrations_open (path, "card-2", &wiped, &error);
  g_assert_no_error (error);
  g_assert_true (wiped);
  g_clear_pointer (&list, g_strfreev);
  list = mbms_registrations_list (regs);
  g_assert_cmpuint (g_strv_length (list), ==, 0);
  g_clear_pointer (&regs, mbms_registrations_free);
  g_assert_true (g_file_set_contents (path, "[registrations]\nversion=9\n", -1, NULL));
  regs = mbms_registrations_open (path, "card-2", NULL, &error);
  g_assert_null (regs);
  g_assert_nonnull (error);
}

/* The header promises service IDs sorted; fuzz-registrations found them in hash order
 * (g_strcmp0 given pointers to the elements), so two readings of one file listed them apart. */
static void
test_registrations_list_sorted (Fx *fx, gconstpointer d)
{
  static const char *const ids[] = { "urn:d", "urn:a", "urn:c", "urn:b", "urn:aa", "urn:e", NULL };
  static const char *const sorted[] = { "urn:a", "urn:aa", "urn:b", "urn:c", "urn:d", "urn:e", NULL };
  g_autofree char *path = g_build_filename (fx->dir, "registrations", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsRegistrations) regs = mbms_registrations_open (path, "card-1", NULL, &error);
  g_auto(GStrv) list = NULL;

  g_assert_no_error (error);
  for (guint i = 0; ids[i] != NULL; i++)
    g_assert_true (mbms_registrations_add (regs, ids[i], "http://bmsc", &error));
  list = mbms_registrations_list (regs);
  g_assert_true (g_strv_equal ((const char *const *) list, sorted));
}

static void
on_restore_done (GObject *source, GAsyncResult *res, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (res);
}

/* Power-on: a kept registration is made again with the kept BM-SC, and the MSK follows. */
static void
test_registrations_restored_at_start (Fx *fx, gconstpointer d)
{
  g_autofree char *path = g_build_filename (fx->dir, "registrations", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsRegistrations) regs = mbms_registrations_open (path, "card-1", NULL, &error);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GHashTable) statuses = NULL;

  g_assert_true (mbms_registrations_add (regs, NEWS, fx->bmsc_uri, &error));
  mbms_registrations_restore_async (regs, fx->km, NULL, on_restore_done, &res);
  while (res == NULL)
    g_main_context_iteration (NULL, TRUE);
  statuses = mbms_registrations_restore_finish (regs, res, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (statuses, NEWS)), ==, 200);
  g_assert_cmpuint (lab_bmsc_registered (fx->bmsc), ==, 1);
  g_assert_cmpint (receive_msk (fx), ==, MGV_MSK_STORED);
}

int
main (int argc, char **argv)
{
  int ret;

  test_init (&argc, &argv);
#define ADD(path, fn) g_test_add ("/daemon/registrations/" path, Fx, NULL, fx_set_up, fn, fx_tear_down)
  ADD ("persist-and-end-with-sim-change", test_registrations_persist);
  ADD ("restored-at-start", test_registrations_restored_at_start);
  ADD ("list-sorted", test_registrations_list_sorted);
#undef ADD
  ret = g_test_run ();
  fx_end_worker_threads ();
  return ret;
}
