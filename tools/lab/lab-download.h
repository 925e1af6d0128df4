/* The lab's protected download session (TS 33.246 6.6.3, 6.3.3.2.1; TS 26.346 7): a FLUTE
 * session whose FDT is wrapped in a DCF, whose MTK travels as a MIKEY object of the session
 * under the lab BM-SC's MSK, and whose files are DCFs (AES-128-CBC, AES-128-CTR, one over
 * 10 MiB, one with a bad signature). */
#pragma once

#include "lab-bmsc.h"
#include "lab-flute.h"

typedef struct {
  char           *address;          /* the session's multicast group (or any address) */
  guint16         port;
  guint32         tsi;
  guint8          domain[3];
  guint16         key_group;
  char           *service_id;       /* for the USD */
  guint           big_mib;          /* size of the large file (MiB), default 11 */
  guint           mikey_from_round; /* the MIKEY object from this carousel round on */
  char           *dump_directory;   /* every object, plaintext and key written here (tests) */
  char           *usd_directory;    /* the USD bundle, SDP and protection description */
  LabFluteOptions flute;
} LabDownloadOptions;

void lab_download_options_clear (LabDownloadOptions *o);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LabDownloadOptions, lab_download_options_clear)

/* [lab-download] destination (address:port), tsi, key-domain, key-group, service-id, loss,
 * reorder, duplicate, rounds, rate, symbol-length, big-file-mib, mikey-from-round,
 * dump-directory, usd-directory. Defaults: TSI 1, 00f110 / key group 3 (Lab Podcasts). */
gboolean lab_download_options_from_key_file (GKeyFile *key_file, LabDownloadOptions *o, GError **error);

typedef struct _LabDownload LabDownload;

LabDownload *lab_download_new (LabBmsc *bmsc, const LabDownloadOptions *options, GError **error);
void         lab_download_free (LabDownload *download);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabDownload, lab_download_free)

/* The USD of the session (TS 26.346 11.2, 7.3 SDP, 11.3 protection) naming the BM-SC. */
gboolean     lab_download_write_usd (LabDownload *download, const char *bmsc_uri, GError **error);
void         lab_download_start (LabDownload *download);
/* The session takes a new MTK into use between files (TS 33.246 6.3.3.1, 6.3.3.2.1): a MIKEY
 * object of the next MTK ID, a file under it, and a new FDT Instance under it listing every
 * object; the files already on the carousel keep theirs. At the second change a file still
 * under MTK ID 1 joins, which a receiver must refuse (6.5.4). */
gboolean     lab_download_change_mtk (LabDownload *download, GError **error);
LabFlute    *lab_download_get_flute (LabDownload *download);
