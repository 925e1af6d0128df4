/* Delivery to the download directory: Content-Location to a path that cannot leave it (no
 * "..", no absolute escape, no percent-encoded tricks, no symbolic link followed), and the
 * atomic write with mode 0640. */
#include "download.h"
#include "test-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
test_paths (void)
{
  struct { const char *location; const char *want; } ok[] = {
    { "http://lab.example/news/today.txt", "news/today.txt" },
    { "https://lab.example:8443/a/b/c.bin?x=1#frag", "a/b/c.bin" },
    { "file.dcf", "file.dcf" },
    { "/abs/olute.txt", "abs/olute.txt" },
    { "dir//double.txt", "dir/double.txt" },
    { "sp%20ace.txt", "sp ace.txt" },
    { "urn:x:y/z.txt", "urn:x:y/z.txt" },
  };
  const char *bad[] = {
    "../etc/passwd", "a/../../b", "http://h/%2e%2e/x", "http://h/a/%2E%2E/%2E%2E/b", "./x", ".hidden",
    "a/./b", "a\\..\\b", "a%5C..%5Cb", "x%00y", "x%0Ay", "http://host", "http://host/", "", "/",
    "a/b/c/d/e/f/g/h/i", "%zz",
  };

  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *p = download_local_path (ok[i].location, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (p, ==, ok[i].want);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *p = download_local_path (bad[i], &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (p);
      g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_MALFORMED);
    }
}

static void
test_write_atomic (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GBytes) data = g_bytes_new_static ("hello download\n", 15);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = download_write_file (dir, "news/today.txt", data, -1, &error);
  g_autofree char *contents = NULL;
  g_autoptr(GDir) d = NULL;
  g_autofree char *sub = g_build_filename (dir, "news", NULL);
  struct stat st;
  gsize len;

  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpmem (contents, len, "hello download\n", 15);
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);
  /* replaced atomically, no temporary left */
  g_free (path);
  path = download_write_file (dir, "news/today.txt", data, -1, NULL);
  g_assert_nonnull (path);
  d = g_dir_open (sub, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (d), ==, "today.txt");
  g_assert_null (g_dir_read_name (d));
  test_tmpdir_remove (dir);
}

static void
test_no_symlink_followed (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *outside = test_tmpdir_new ();
  g_autofree char *link = g_build_filename (dir, "news", NULL);
  g_autofree char *escaped = g_build_filename (outside, "today.txt", NULL);
  g_autoptr(GBytes) data = g_bytes_new_static ("x", 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  g_assert_cmpint (symlink (outside, link), ==, 0);
  path = download_write_file (dir, "news/today.txt", data, -1, &error);
  g_assert_null (path);
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_IO);
  g_assert_false (g_file_test (escaped, G_FILE_TEST_EXISTS));
  test_tmpdir_remove (dir);
  test_tmpdir_remove (outside);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/download/deliver/content-location-paths", test_paths);
  g_test_add_func ("/download/deliver/write-atomic-0640", test_write_atomic);
  g_test_add_func ("/download/deliver/no-symlink-followed", test_no_symlink_followed);
  return g_test_run ();
}
