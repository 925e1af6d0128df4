/* Delivery of received files to the download directory: the Content-Location of the FDT
 * (RFC 6726 3.4.2, a URI) becomes a relative path that cannot leave the directory, and the
 * file is written atomically (temporary file, fsync, rename) with no symbolic link followed. */
#include "download-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SEGMENTS    8
#define MAX_SEGMENT_LEN 255

char *
download_local_path (const char *location, GError **error)
{
  const char *path = location, *scheme_end;
  g_autofree char *part = NULL, *decoded = NULL;
  g_auto(GStrv) segments = NULL;
  g_autoptr(GPtrArray) keep = g_ptr_array_new ();
  gsize cut;

  /* scheme://authority/path?query#fragment: only the path counts */
  scheme_end = strstr (location, "://");
  if (scheme_end != NULL && strcspn (location, "/?#") > (gsize) (scheme_end - location))
    {
      path = strchr (scheme_end + 3, '/');
      if (path == NULL)
        path = "";
    }
  cut = strcspn (path, "?#");
  part = g_strndup (path, cut);
  decoded = g_uri_unescape_string (part, NULL);
  if (decoded == NULL)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "Content-Location '%.80s': bad percent-encoding", location), NULL;
  segments = g_strsplit (decoded, "/", -1);
  for (guint i = 0; segments[i] != NULL; i++)
    {
      const char *seg = segments[i];

      if (seg[0] == '\0')
        continue;
      if (seg[0] == '.' || strlen (seg) > MAX_SEGMENT_LEN || strchr (seg, '\\') != NULL)
        return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "Content-Location '%.80s': segment '%.40s' refused",
                              location, seg), NULL;
      for (const char *c = seg; *c != '\0'; c++)
        if ((guchar) *c < 0x20 || *c == 0x7f)
          return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "Content-Location '%.80s': control character",
                                location), NULL;
      g_ptr_array_add (keep, (gpointer) seg);
    }
  if (keep->len == 0 || keep->len > MAX_SEGMENTS)
    return download_fail (error, DOWNLOAD_ERROR_MALFORMED, "Content-Location '%.80s': %u path segments",
                          location, keep->len), NULL;
  g_ptr_array_add (keep, NULL);
  return g_strjoinv ("/", (char **) keep->pdata);
}

static gboolean
io_fail (GError **error, const char *what, const char *path)
{
  int e = errno;

  return download_fail (error, DOWNLOAD_ERROR_IO, "%s '%s': %s", what, path, g_strerror (e));
}

static gboolean
write_all (int fd, const guint8 *p, gsize n)
{
  while (n > 0)
    {
      ssize_t w = write (fd, p, n);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return FALSE;
      p += w;
      n -= (gsize) w;
    }
  return TRUE;
}

char *
download_write_file (const char *dir, const char *relpath, GBytes *data, gint gid, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (relpath, "/", -1);
  guint n = g_strv_length (parts);
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_autofree char *tmp = NULL;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  int fd;

  if (dfd < 0)
    return io_fail (error, "download directory", dir), NULL;
  /* walk down, making directories, never through a symbolic link */
  for (guint i = 0; i + 1 < n; i++)
    {
      int next;

      if (mkdirat (dfd, parts[i], 0750) < 0 && errno != EEXIST)
        {
          io_fail (error, "mkdir", parts[i]);
          close (dfd);
          return NULL;
        }
      next = openat (dfd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      close (dfd);
      if (next < 0)
        return io_fail (error, "directory", parts[i]), NULL;
      if (gid >= 0 && fchown (next, (uid_t) -1, (gid_t) gid) < 0)
        g_debug ("download: cannot give '%s' group %d: %s", parts[i], gid, g_strerror (errno));
      dfd = next;
    }
  tmp = g_strdup_printf (".%s.%08x.tmp", parts[n - 1], g_random_int ());
  fd = openat (dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0)
    {
      io_fail (error, "create", tmp);
      close (dfd);
      return NULL;
    }
  if ((gid >= 0 && fchown (fd, (uid_t) -1, (gid_t) gid) < 0) || fchmod (fd, 0640) < 0
      || !write_all (fd, bytes, len) || fsync (fd) < 0)
    {
      io_fail (error, "write", tmp);
      close (fd);
      unlinkat (dfd, tmp, 0);
      close (dfd);
      return NULL;
    }
  close (fd);
  if (renameat (dfd, tmp, dfd, parts[n - 1]) < 0)
    {
      io_fail (error, "rename", parts[n - 1]);
      unlinkat (dfd, tmp, 0);
      close (dfd);
      return NULL;
    }
  fsync (dfd);
  close (dfd);
  return g_build_filename (dir, relpath, NULL);
}
