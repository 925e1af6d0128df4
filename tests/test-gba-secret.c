/* GbaSecret: key pages kept out of core dumps (MADV_DONTDUMP) and locked where the memlock
 * limit allows; wiped and unmapped on the last unref. */
#include "gba.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* The VmFlags line of the mapping of /proc/self/smaps that holds address. */
static char *
vm_flags_of (const void *address)
{
  g_autofree char *smaps = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean inside = FALSE;

  g_assert_true (g_file_get_contents ("/proc/self/smaps", &smaps, NULL, NULL));
  lines = g_strsplit (smaps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint64 lo, hi;
      if (sscanf (lines[i], "%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x ", &lo, &hi) == 2
          && strchr (lines[i], ':') != NULL && !g_str_has_suffix (lines[i], "kB"))
        inside = lo <= (guint64) (guintptr) address && (guint64) (guintptr) address < hi;
      else if (inside && g_str_has_prefix (lines[i], "VmFlags:"))
        return g_strdup (lines[i] + strlen ("VmFlags:"));
    }
  return NULL;
}

static void
test_pages_not_dumped (void)
{
  g_autoptr(GbaSecret) key = gba_secret_new_random (32);
  g_autofree char *flags = vm_flags_of (gba_secret_get_data (key, NULL));

  g_assert_nonnull (flags);
  g_assert_nonnull (strstr (flags, " dd"));
  /* locked unless the memlock limit is too small for a page (ASan makes mlock a no-op) */
#ifndef UNDER_ASAN
  struct rlimit memlock;
  if (getrlimit (RLIMIT_MEMLOCK, &memlock) == 0 && memlock.rlim_cur >= (rlim_t) (64 * sysconf (_SC_PAGESIZE)))
    g_assert_nonnull (strstr (flags, " lo"));
#endif
  /* and the copies made from it */
  {
    g_autoptr(GbaSecret) twice = gba_secret_new_concat (key, key);
    g_autofree char *flags2 = vm_flags_of (gba_secret_get_data (twice, NULL));
    g_assert_nonnull (strstr (flags2, " dd"));
    g_assert_cmpuint (gba_secret_get_size (twice), ==, 64);
  }
}

static gboolean
contains (const guint8 *hay, gsize len, const guint8 *needle, gsize n)
{
  for (gsize i = 0; i + n <= len; i++)
    if (hay[i] == needle[0] && memcmp (hay + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/* The child crashes with dumps allowed: its core holds the copy of a key in ordinary heap
 * (so the search works) and not the key in its GbaSecret. */
static void
test_key_not_in_core_dump (void)
{
  g_autofree char *pattern = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *core_path = NULL;
  g_autofree guint8 *core = NULL;
  const char *name;
  guint8 secret[32], plain[32];
  struct rlimit core_limit;
  gsize core_len = 0;
  int fds[2], status;
  pid_t pid;
  GDir *d;

#ifdef UNDER_ASAN
  g_test_skip ("AddressSanitizer disables core dumps");
  return;
#endif
  if (!g_file_get_contents ("/proc/sys/kernel/core_pattern", &pattern, NULL, NULL) || pattern[0] == '|'
      || strchr (pattern, '/') != NULL)
    {
      g_test_skip_printf ("core_pattern \"%s\" does not write a core file this test can find",
                          pattern ? g_strchomp (pattern) : "?");
      return;
    }
  if (getrlimit (RLIMIT_CORE, &core_limit) != 0 || core_limit.rlim_max == 0)
    {
      g_test_skip ("the hard core size limit is 0");
      return;
    }
  dir = g_dir_make_tmp ("test-gba-secret-XXXXXX", NULL);
  g_assert_nonnull (dir);
  g_assert_cmpint (pipe (fds), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      GbaSecret *key = gba_secret_new_random (32);
      GbaSecret *other = gba_secret_new_random (32);
      guint8 *copy = g_malloc (32);

      core_limit.rlim_cur = core_limit.rlim_max;
      setrlimit (RLIMIT_CORE, &core_limit);
      prctl (PR_SET_DUMPABLE, 1);
      if (chdir (dir) != 0)
        _exit (3);
      /* written from the secret's own pages: no copy of it outside them */
      memcpy (copy, gba_secret_get_data (other, NULL), 32);
      if (write (fds[1], gba_secret_get_data (key, NULL), 32) != 32 || write (fds[1], copy, 32) != 32)
        _exit (4);
      close (fds[1]);
      signal (SIGABRT, SIG_DFL);
      abort ();
    }
  close (fds[1]);
  g_assert_cmpint (read (fds[0], secret, sizeof secret), ==, sizeof secret);
  g_assert_cmpint (read (fds[0], plain, sizeof plain), ==, sizeof plain);
  close (fds[0]);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "core"))
      core_path = g_build_filename (dir, name, NULL);
  g_dir_close (d);
  if (core_path == NULL)
    {
      g_test_skip_printf ("no core file written (core_pattern \"%s\", WCOREDUMP %d)", g_strchomp (pattern),
                          WCOREDUMP (status));
      g_rmdir (dir);
      return;
    }
  g_assert_true (g_file_get_contents (core_path, (char **) &core, &core_len, NULL));
  g_unlink (core_path);
  g_rmdir (dir);
  g_assert_true (contains (core, core_len, plain, sizeof plain));
  g_assert_false (contains (core, core_len, secret, sizeof secret));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gba/secret/pages-not-dumped-locked", test_pages_not_dumped);
  g_test_add_func ("/gba/secret/key-not-in-core-dump", test_key_not_in_core_dump);
  return g_test_run ();
}
