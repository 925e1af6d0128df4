/* Internal to download/: the bounded reader and the pieces the files share. */
#pragma once

#include "download-reader.h"

/* The 'obki' body after its FullBox header (download-obki.c holds our reading of it). */
gboolean download_obki_read (DownloadReader *r, DownloadDcf *dcf, GError **error);
