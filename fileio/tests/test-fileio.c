/* fileio: bounded reads refuse what is not a small regular file at once, without reading it
 * (FIFO, /dev/zero, a 1 GiB sparse file, a link loop), and the private directory ends 0700
 * and ours, or is refused. */
#include "mbms-fileio.h"

#include <glib/gstdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  char *dir;
} Fixture;

static void
fx_setup (Fixture *fx, gconstpointer data)
{
  fx->dir = g_dir_make_tmp ("fileio-XXXXXX", NULL);
  g_assert_nonnull (fx->dir);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *p = g_build_filename (path, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
        remove_tree (p);
      else
        g_unlink (p);
    }
  g_chmod (path, 0700);
  g_rmdir (path);
}

static void
fx_teardown (Fixture *fx, gconstpointer data)
{
  remove_tree (fx->dir);
  g_free (fx->dir);
}

static char *
fx_path (Fixture *fx, const char *name)
{
  return g_build_filename (fx->dir, name, NULL);
}

static void
assert_refused (const char *path, gsize max, MbmsFileioFlags flags, MbmsFileioError code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  gsize len = 12345;
  gint64 start = g_get_monotonic_time ();
  g_autofree char *data = mbms_fileio_read (path, max, flags, &len, &error);

  g_assert_null (data);
  g_assert_error (error, MBMS_FILEIO_ERROR, (gint) code);
  g_assert_nonnull (strstr (error->message, needle));
  g_assert_cmpuint (len, ==, 12345);
  /* refused before reading: nowhere near the time of reading 1 GiB or waiting for a writer */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
}

static void
test_regular (Fixture *fx, gconstpointer data)
{
  g_autofree char *path = fx_path (fx, "a");
  g_autofree char *empty = fx_path (fx, "empty");
  g_autoptr(GError) error = NULL;
  g_autofree char *got = NULL;
  g_autofree char *none = NULL;
  gsize len = 0;

  g_assert_true (g_file_set_contents (path, "0123456789", 10, NULL));
  got = mbms_fileio_read (path, 10, MBMS_FILEIO_NO_LINKS, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 10);
  g_assert_cmpstr (got, ==, "0123456789");
  assert_refused (path, 9, MBMS_FILEIO_FOLLOW_LINKS, MBMS_FILEIO_ERROR_TOO_LARGE, "larger than the 9");
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  none = mbms_fileio_read (empty, 10, MBMS_FILEIO_NO_LINKS, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 0);
  g_assert_cmpstr (none, ==, "");
}

static void
test_missing (Fixture *fx, gconstpointer data)
{
  g_autofree char *path = fx_path (fx, "missing");

  assert_refused (path, 10, MBMS_FILEIO_FOLLOW_LINKS, MBMS_FILEIO_ERROR_NOT_FOUND, "No such file");
}

static void
test_fifo (Fixture *fx, gconstpointer data)
{
  g_autofree char *path = fx_path (fx, "fifo");

  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  /* nobody writes to it: a blocking open or read would hang here */
  assert_refused (path, 1024, MBMS_FILEIO_FOLLOW_LINKS, MBMS_FILEIO_ERROR_NOT_REGULAR, "a FIFO");
}

static void
test_devices_and_directories (Fixture *fx, gconstpointer data)
{
  assert_refused ("/dev/zero", 1024, MBMS_FILEIO_FOLLOW_LINKS, MBMS_FILEIO_ERROR_NOT_REGULAR, "a device");
  assert_refused (fx->dir, 1024, MBMS_FILEIO_FOLLOW_LINKS, MBMS_FILEIO_ERROR_NOT_REGULAR, "a directory");
}

static void
test_sparse_huge (Fixture *fx, gconstpointer data)
{
  g_autofree char *path = fx_path (fx, "huge");
  int fd = open (path, O_WRONLY | O_CREAT, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) 1 << 30), ==, 0); /* 1 GiB of holes */
  close (fd);
  assert_refused (path, 256 * 1024, MBMS_FILEIO_FOLLOW_LINKS, MBMS_FILEIO_ERROR_TOO_LARGE, "1073741824 octets");
}

static void
test_links (Fixture *fx, gconstpointer data)
{
  g_autofree char *target = fx_path (fx, "target");
  g_autofree char *link = fx_path (fx, "link");
  g_autofree char *loop_a = fx_path (fx, "loop-a");
  g_autofree char *loop_b = fx_path (fx, "loop-b");
  g_autoptr(GError) error = NULL;
  g_autofree char *got = NULL;

  g_assert_true (g_file_set_contents (target, "x", 1, NULL));
  g_assert_cmpint (symlink ("target", link), ==, 0);
  g_assert_cmpint (symlink ("loop-b", loop_a), ==, 0);
  g_assert_cmpint (symlink ("loop-a", loop_b), ==, 0);
  got = mbms_fileio_read (link, 10, MBMS_FILEIO_FOLLOW_LINKS, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got, ==, "x");
  assert_refused (link, 10, MBMS_FILEIO_NO_LINKS, MBMS_FILEIO_ERROR_OPEN, "symbolic link");
  assert_refused (loop_a, 10, MBMS_FILEIO_FOLLOW_LINKS, MBMS_FILEIO_ERROR_OPEN, "symbolic links");
  assert_refused (loop_a, 10, MBMS_FILEIO_NO_LINKS, MBMS_FILEIO_ERROR_OPEN, "symbolic link");
}

static void
test_private_dir (Fixture *fx, gconstpointer data)
{
  g_autofree char *fresh = fx_path (fx, "a/b/state");
  g_autofree char *open_dir = fx_path (fx, "open");
  g_autofree char *file = fx_path (fx, "file");
  g_autoptr(GError) error = NULL;
  struct stat st;
  guint old = 0;

  g_assert_true (mbms_fileio_private_dir (fresh, &old, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (fresh, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0700);

  g_assert_cmpint (g_mkdir (open_dir, 0700), ==, 0);
  g_assert_cmpint (g_chmod (open_dir, 0777), ==, 0); /* past the umask */
  g_assert_true (mbms_fileio_private_dir (open_dir, &old, &error));
  g_assert_cmpuint (old, ==, 0777);
  g_assert_cmpint (g_stat (open_dir, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0700);

  g_assert_true (g_file_set_contents (file, "", 0, NULL));
  g_assert_false (mbms_fileio_private_dir (file, NULL, &error));
  g_assert_error (error, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_NOT_OURS);
}

static void
test_private_dir_of_another_user (Fixture *fx, gconstpointer data)
{
  g_autofree char *theirs = fx_path (fx, "theirs");
  g_autoptr(GError) error = NULL;
  struct stat st;

  if (geteuid () != 0)
    {
      g_test_skip ("needs root to make a directory another user owns");
      return;
    }
  g_assert_cmpint (g_mkdir (theirs, 0700), ==, 0);
  g_assert_cmpint (g_chmod (theirs, 0777), ==, 0);
  g_assert_cmpint (chown (theirs, 65534, 65534), ==, 0);
  g_assert_false (mbms_fileio_private_dir (theirs, NULL, &error));
  g_assert_error (error, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_NOT_OURS);
  g_assert_nonnull (strstr (error->message, "owned by uid 65534"));
  g_assert_cmpint (g_stat (theirs, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0777); /* left as it was */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fx_setup, fn, fx_teardown)
  ADD ("/fileio/read/regular-and-empty", test_regular);
  ADD ("/fileio/read/missing", test_missing);
  ADD ("/fileio/read/fifo-refused-without-blocking", test_fifo);
  ADD ("/fileio/read/dev-zero-and-directory-refused", test_devices_and_directories);
  ADD ("/fileio/read/sparse-1gib-refused-before-reading", test_sparse_huge);
  ADD ("/fileio/read/links-and-loops", test_links);
  ADD ("/fileio/private-dir/created-or-set-0700", test_private_dir);
  ADD ("/fileio/private-dir/another-users-refused", test_private_dir_of_another_user);
  return g_test_run ();
}
