/* mbmsd's own directory (mbms-fileio.h): the state directory holds the key store and the
 * registrations, so nobody else may list, add or replace files in it. The mode is set through
 * the opened directory (fchmod), after checking that it is ours, so a directory swapped in
 * meanwhile is never the one changed. */
#include "mbms-fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRIVATE_DIR_MODE 0700

gboolean
mbms_fileio_private_dir (const char *path, guint *old_mode, GError **error)
{
  struct stat st;
  int fd, saved;

  if (g_mkdir_with_parents (path, PRIVATE_DIR_MODE) != 0)
    {
      saved = errno;
      g_set_error (error, MBMS_FILEIO_ERROR, saved == EEXIST || saved == ENOTDIR ? MBMS_FILEIO_ERROR_NOT_OURS
                                                                                  : MBMS_FILEIO_ERROR_OPEN,
                   "cannot create %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, MBMS_FILEIO_ERROR, saved == ENOTDIR ? MBMS_FILEIO_ERROR_NOT_OURS : MBMS_FILEIO_ERROR_OPEN,
                   "cannot open %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (fstat (fd, &st) != 0)
    {
      saved = errno;
      close (fd);
      g_set_error (error, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_OPEN, "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (st.st_uid != geteuid ())
    {
      close (fd);
      g_set_error (error, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_NOT_OURS,
                   "%s is owned by uid %u, not by this process (uid %u): refusing to keep keys in it", path,
                   (guint) st.st_uid, (guint) geteuid ());
      return FALSE;
    }
  if (old_mode != NULL)
    *old_mode = st.st_mode & 07777;
  if ((st.st_mode & 07777) != PRIVATE_DIR_MODE && fchmod (fd, PRIVATE_DIR_MODE) != 0)
    {
      saved = errno;
      close (fd);
      g_set_error (error, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_OPEN, "cannot set the mode of %s to 0700: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}
