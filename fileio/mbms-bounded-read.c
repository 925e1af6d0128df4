/* Bounded, non-blocking reads of whole files (mbms-fileio.h). O_NONBLOCK makes open(2) of a
 * FIFO return at once, fstat(2) then refuses it; the size check comes before any read and the
 * read loop stops at max + 1 octets, so a file that grows meanwhile (or lies in st_size) is
 * still refused without reading it all. */
#include "mbms-fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (mbms-fileio-error-quark, mbms_fileio_error)

static const char *
kind_of (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISCHR (mode) || S_ISBLK (mode))
    return "a device";
  if (S_ISSOCK (mode))
    return "a socket";
  return "not a regular file";
}

static void
wipe_free (char *buf, gsize size)
{
  if (buf == NULL)
    return;
  explicit_bzero (buf, size);
  g_free (buf);
}

char *
mbms_fileio_read (const char *path, gsize max, MbmsFileioFlags flags, gsize *len, GError **error)
{
  int open_flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  int fd, saved;
  struct stat st;
  char *buf = NULL;
  gsize size, got = 0;

  if (flags & MBMS_FILEIO_NO_LINKS)
    open_flags |= O_NOFOLLOW;
  fd = open (path, open_flags);
  if (fd < 0)
    {
      saved = errno;
      if (saved == ELOOP && (flags & MBMS_FILEIO_NO_LINKS))
        g_set_error (error, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_OPEN, "a symbolic link (not followed here)");
      else
        g_set_error (error, MBMS_FILEIO_ERROR, saved == ENOENT ? MBMS_FILEIO_ERROR_NOT_FOUND : MBMS_FILEIO_ERROR_OPEN,
                     "%s", g_strerror (saved));
      return NULL;
    }
  if (fstat (fd, &st) != 0)
    {
      saved = errno;
      close (fd);
      g_set_error (error, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_OPEN, "%s", g_strerror (saved));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_NOT_REGULAR, "%s, not a regular file",
                   kind_of (st.st_mode));
      return NULL;
    }
  if (st.st_size < 0 || (guint64) st.st_size > max)
    {
      close (fd);
      g_set_error (error, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_TOO_LARGE, "%" G_GINT64_FORMAT
                   " octets, larger than the %zu allowed", (gint64) st.st_size, max);
      return NULL;
    }
  /* room for st_size and one more octet, which tells a file that grew since fstat */
  size = (gsize) st.st_size + 1;
  buf = g_malloc (size + 1);
  for (;;)
    {
      ssize_t n;

      if (got == size)
        {
          gsize bigger;
          char *grown;

          if (size > max)
            break; /* max + 1 octets read: too large */
          bigger = MIN (MAX (size * 2, (gsize) 4096), max + 1);
          grown = g_malloc (bigger + 1);
          memcpy (grown, buf, got);
          wipe_free (buf, size + 1);
          buf = grown;
          size = bigger;
        }
      n = read (fd, buf + got, size - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved = errno;
          close (fd);
          wipe_free (buf, size + 1);
          g_set_error (error, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_READ, "%s", g_strerror (saved));
          return NULL;
        }
      if (n == 0)
        break;
      got += (gsize) n;
    }
  close (fd);
  if (got > max)
    {
      wipe_free (buf, size + 1);
      g_set_error (error, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_TOO_LARGE, "larger than the %zu octets allowed", max);
      return NULL;
    }
  buf[got] = '\0';
  if (len != NULL)
    *len = got;
  return buf;
}
