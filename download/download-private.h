/* Internal to download/: the bounded reader and the pieces the files share. */
#pragma once

#include "download-reader.h"

/* The 'obki' body after its FullBox header (download-obki.c holds our reading of it). */
gboolean download_obki_read (DownloadReader *r, DownloadDcf *dcf, GError **error);

/* Undoes the content encoding cenc (DOWNLOAD_CENC_*), at most max_len octets out. */
GBytes  *download_decode (GBytes *object, guint8 cenc, gsize max_len, GError **error);
/* Content-Length and Content-MD5 of the FDT against the decoded content. */
gboolean download_check_fdt_file (const DownloadFdtFile *f, GBytes *content, GError **error);
