/* Files mbmsd reads from a path or keeps in a directory of its own, taken as hostile: a read
 * opens without blocking (a FIFO, a device or a link loop answers at once), accepts a regular
 * file only, refuses one over its limit before reading a byte and never reads more than the
 * limit, however the file changes meanwhile. The private directory is mbmsd's own, mode 0700.
 * GLib only: every component that reads a file uses it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MBMS_FILEIO_ERROR (mbms_fileio_error_quark ())
GQuark mbms_fileio_error_quark (void);

typedef enum {
  MBMS_FILEIO_ERROR_NOT_FOUND,   /* no such file (a caller may start fresh) */
  MBMS_FILEIO_ERROR_OPEN,        /* cannot open: permission, a link where none is allowed, a loop */
  MBMS_FILEIO_ERROR_NOT_REGULAR, /* a FIFO, a device, a directory, a socket */
  MBMS_FILEIO_ERROR_TOO_LARGE,   /* over the caller's limit */
  MBMS_FILEIO_ERROR_READ,        /* read(2) failed */
  MBMS_FILEIO_ERROR_NOT_OURS,    /* a private directory owned by another user, or not a directory */
} MbmsFileioError;

typedef enum {
  MBMS_FILEIO_FOLLOW_LINKS = 0,
  MBMS_FILEIO_NO_LINKS = 1 << 0, /* O_NOFOLLOW: the last component must not be a symbolic link */
} MbmsFileioFlags;

/* The whole of a regular file of at most max octets, NUL-terminated (not counted in *len).
 * Error messages say what was wrong, not the path: the caller names the file. Buffers of a
 * failed read are wiped, since the file may hold keys. */
char    *mbms_fileio_read (const char *path, gsize max, MbmsFileioFlags flags, gsize *len, GError **error);

/* Creates path (and its parents, 0700) or finds it, refuses it unless it is a directory owned
 * by this process's effective user, and sets its mode to 0700. *old_mode (may be NULL) is
 * the permission bits it had, so the caller can say that they changed. */
gboolean mbms_fileio_private_dir (const char *path, guint *old_mode, GError **error);

G_END_DECLS
