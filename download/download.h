/* download: MBMS download delivery with protection (TS 33.246 6.6.3, TS 26.346 7).
 *
 * Four layers, each usable alone: the ALC/LCT packet with its FLUTE extensions (RFC 5651,
 * RFC 5775, RFC 6726) and Compact No-Code FEC (RFC 5445); the File Delivery Table (RFC 6726
 * 3.4, TS 26.346 7.2.10); the OMA DRM v2 DCF as TS 33.246 6.6.3 profiles it (one container,
 * keys from the MTK, the 'odfs' HMAC-SHA1 in 'mdri'); and the receiver of one FLUTE session,
 * which reassembles objects within bounds, reads the FDT, takes the MTK from the session's
 * MIKEY object, holds DCFs whose key has not come and hands out verified plaintext only.
 *
 * Every input is hostile: parsers read through a bounded reader and fail with a
 * DOWNLOAD_ERROR that names the field and the offset; nothing is delivered unverified.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include "mgv.h"
#include "mbms-clock.h"

G_BEGIN_DECLS

#define DOWNLOAD_ERROR (download_error_quark ())
GQuark download_error_quark (void);

typedef enum {
  DOWNLOAD_ERROR_TRUNCATED,   /* a length runs past the packet, box or file */
  DOWNLOAD_ERROR_MALFORMED,   /* a field holds a value its RFC or specification forbids */
  DOWNLOAD_ERROR_UNSUPPORTED, /* allowed by the RFC, outside the MBMS profile */
  DOWNLOAD_ERROR_LIMIT,       /* beyond mbmsd's bounds (object size, object count) */
  DOWNLOAD_ERROR_AUTH,        /* the DCF's OMADRMSignature does not verify, or is absent */
  DOWNLOAD_ERROR_KEY,         /* no MTK for the DCF's KeyID */
  DOWNLOAD_ERROR_IO,          /* a file of the download directory could not be written */
} DownloadError;

/* ------------------------------------------------------------ ALC/LCT + FLUTE */

#define DOWNLOAD_FEC_COMPACT_NO_CODE 0   /* FEC Encoding ID, RFC 5445 3.4.1 */
#define DOWNLOAD_FDT_TOI             0   /* the FDT Instance's TOI, RFC 6726 3.3 */

/* Transport Information for Compact No-Code FEC (EXT_FTI, RFC 5445 3.4.1 / RFC 5052). */
typedef struct {
  guint64 transfer_length;   /* 48 bits */
  guint16 symbol_length;     /* E */
  guint32 max_block_length;  /* B, in symbols */
} DownloadFecOti;

typedef struct {
  guint8        flute_version_lct; /* V of the LCT header: 1 */
  guint8        codepoint;         /* carries the FEC Encoding ID (RFC 5775 4.1) */
  guint64       tsi;
  guint64       toi;
  gboolean      close_session;     /* A */
  gboolean      close_object;      /* B */
  gboolean      has_fdt;           /* EXT_FDT: this packet belongs to an FDT Instance */
  guint8        fdt_version;       /* FLUTE version of EXT_FDT (1: RFC 3926, 2: RFC 6726) */
  guint32       fdt_instance_id;   /* 20 bits */
  gboolean      has_cenc;          /* EXT_CENC, RFC 6726 3.4.3 */
  guint8        cenc;
  gboolean      has_fti;
  DownloadFecOti fti;
  guint16       sbn;               /* FEC Payload ID (RFC 5445 3.4.1): Source Block Number */
  guint16       esi;               /* Encoding Symbol ID */
  const guint8 *payload;           /* the encoding symbol(s), borrowed from the datagram */
  gsize         payload_len;
} DownloadAlcPacket;

/* Parses one ALC datagram of the MBMS profile (Compact No-Code FEC only). */
gboolean download_alc_parse (const guint8 *data, gsize len, DownloadAlcPacket *packet, GError **error);

/* RFC 5052 9.1 blocking: the object offset of symbol (sbn, esi) and the length it must have. */
gboolean download_fec_symbol_range (const DownloadFecOti *oti, guint16 sbn, guint16 esi,
                                    guint64 *offset, gsize *length, GError **error);

/* ------------------------------------------------------------ FDT */

#define DOWNLOAD_CENC_NULL    0  /* RFC 6726 3.4.3 */
#define DOWNLOAD_CENC_ZLIB    1
#define DOWNLOAD_CENC_DEFLATE 2
#define DOWNLOAD_CENC_GZIP    3

typedef struct {
  guint64        toi;
  char          *content_location;   /* URI, required */
  char          *content_type;       /* NULL when absent */
  char          *content_encoding;   /* NULL or "gzip" (TS 26.346 7.2.11) */
  gboolean       has_content_length;
  guint64        content_length;
  gboolean       has_transfer_length;
  guint64        transfer_length;
  char          *content_md5;        /* base64 as written, NULL when absent */
  gboolean       has_oti;            /* FEC-OTI-* on the File, or inherited from the instance */
  DownloadFecOti oti;
  guint          fec_encoding_id;
} DownloadFdtFile;

typedef struct {
  guint32    expires;      /* NTP seconds (RFC 6726 3.4.2: the 32 most significant bits) */
  gboolean   complete;
  GPtrArray *files;        /* DownloadFdtFile */
  GHashTable *by_toi;      /* TOI -> DownloadFdtFile (download_fdt_lookup) */
} DownloadFdt;

void         download_fdt_free (DownloadFdt *fdt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DownloadFdt, download_fdt_free)
/* Reads an FDT Instance (RFC 6726 3.4.2, TS 26.346 7.2.10); at most 1024 File elements. */
DownloadFdt *download_fdt_parse (const char *xml, gsize len, GError **error);
const DownloadFdtFile *download_fdt_lookup (const DownloadFdt *fdt, guint64 toi);

/* ------------------------------------------------------------ DCF */

#define DOWNLOAD_DCF_MINOR_MBMS   0x00000002u /* TS 33.246 6.6.3.2 */
#define DOWNLOAD_DCF_ENC_NULL     0 /* OMA DRM v2 DCF EncryptionMethod */
#define DOWNLOAD_DCF_ENC_AES_CBC  1
#define DOWNLOAD_DCF_ENC_AES_CTR  2
#define DOWNLOAD_DCF_PAD_NONE     0 /* PaddingScheme */
#define DOWNLOAD_DCF_PAD_RFC2630  1
#define DOWNLOAD_DCF_SIG_NULL     0x00 /* SignatureMethod, TS 33.246 6.6.3.2 */
#define DOWNLOAD_DCF_SIG_HMAC_SHA1 0x01
#define DOWNLOAD_KEYID_TYPE_MBMS  0x02 /* obki KeyIDType reserved for 3GPP MBMS */
#define DOWNLOAD_KEYID_LEN        (MGV_KEY_DOMAIN_LEN + 4 + 2) /* Key Domain ID || MSK ID || MTK ID */

typedef struct {
  guint32  minor_version;
  char    *content_type;      /* of the plaintext */
  guint8   encryption_method;
  guint8   padding_scheme;
  guint64  plaintext_length;
  char    *content_id;
  char    *rights_issuer_url;
  GBytes  *textual_headers;
  char    *key_issuer_url;    /* obki KeyIssuerURL, NULL when absent */
  guint8   domain[MGV_KEY_DOMAIN_LEN];
  guint32  msk_id;
  guint16  mtk_id;
  gsize    data_offset;       /* EncryptedData (IV or counter || ciphertext) in the file */
  gsize    data_length;
  guint8   signature_method;
  GBytes  *signature;
  gsize    signed_length;     /* the HMAC covers the file's first signed_length octets */
} DownloadDcf;

void         download_dcf_free (DownloadDcf *dcf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DownloadDcf, download_dcf_free)
/* Parses a DCF of the MBMS profile: ftyp 'odcf' minor 2, one 'odrm' ('odhe' with 'ohdr' and
 * its 'obki', 'odda'), then 'mdri' with 'odfs'. Reads only; verifies nothing. */
DownloadDcf *download_dcf_parse (GBytes *file, GError **error);
/* Verifies the signature with auth_key and only then decrypts with encr_key (keys of
 * mgv_process_mtk for download). Returns the plaintext of PlaintextLength octets. */
GBytes      *download_dcf_open (const DownloadDcf *dcf, GBytes *file, const GbaSecret *encr_key,
                                const GbaSecret *auth_key, GError **error);
/* The same with the MTK looked up in mtks (MgvMtk, e.g. mgv_store_session_mtks) by KeyID. */
GBytes      *download_dcf_open_with (const DownloadDcf *dcf, GBytes *file, GPtrArray *mtks, GError **error);

/* ------------------------------------------------------------ the receiver of one FLUTE session */

typedef struct {
  gsize  max_object_size;     /* transfer length of one object (default 64 MiB) */
  gsize  max_session_bytes;   /* everything the session holds: objects, held DCFs (default 160 MiB) */
  guint  max_objects;         /* objects under reassembly at once (default 64) */
  guint  max_unknown_objects; /* of them, objects no trusted FDT describes (default 8) */
  guint  max_held;            /* DCFs waiting for their MTK (default 16) */
  guint  object_timeout_s;    /* an object incomplete this long after its first packet is abandoned (default 120) */
  guint  hold_timeout_s;      /* a DCF waits this long for its MTK (default 600) */
  gboolean protected;         /* the service is protected (6.3.2.1A): FDT and files are DCFs */
} DownloadLimits;

/* The defaults above. */
void download_limits_init (DownloadLimits *limits);

typedef struct {
  guint64     toi;
  const char *content_location;
  const char *content_type;   /* of the plaintext (the DCF's ContentType when protected) */
  GBytes     *data;           /* the plaintext */
  gboolean    verified;       /* opened from a DCF whose OMADRMSignature verified */
  guint16     mtk_id;         /* the MTK that opened it (verified only) */
} DownloadFile;

typedef struct {
  guint64 packets;            /* datagrams received */
  guint64 dropped;            /* datagrams refused (malformed, other TSI, beyond bounds) */
  guint64 fdt_instances;      /* FDT Instances accepted */
  guint64 fdt_expired;        /* FDT Instances that came expired */
  guint64 objects_completed;
  guint64 objects_abandoned;  /* timed out, or evicted to stay within bounds */
  guint64 mtks;               /* MIKEY objects MGV-F accepted */
  guint64 mikey_refused;      /* MIKEY objects MGV-F refused (replays included) */
  guint64 files_delivered;
  guint64 files_refused;      /* failed verification, decoding or checks: discarded, never delivered */
  guint64 files_stale;        /* of those refused: under an MTK older than the session keeps (6.5.4) */
  guint64 files_held;         /* DCFs that had to wait for their MTK */
  guint64 held_dropped;       /* held DCFs given up (bound or timeout) */
  gsize   buffered_bytes;     /* what the session holds now */
  guint   objects;            /* objects under reassembly now */
  guint   held;               /* DCFs waiting now */
} DownloadStats;

typedef void (*DownloadFileFunc) (const DownloadFile *file, gpointer user_data);

typedef struct _DownloadSession DownloadSession;

/* A receiver for the FLUTE session tsi. MTKs come from the session's MIKEY objects through
 * MGV-F (mgv_process_mtk on store, under mgv_session, with its replay and validity rules);
 * files are handed to deliver once complete, decoded and, when protected, verified. */
DownloadSession *download_session_new (guint64 tsi, const DownloadLimits *limits, MbmsClock *clock,
                                       MgvStore *store, const char *mgv_session,
                                       DownloadFileFunc deliver, gpointer user_data);
void             download_session_free (DownloadSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DownloadSession, download_session_free)
/* One ALC datagram; FALSE (and counted) when it was refused. */
gboolean         download_session_receive (DownloadSession *session, const guint8 *data, gsize len, GError **error);
/* Abandons timed-out objects and held DCFs, forgets expired FDT Instances (call every few s). */
void             download_session_sweep (DownloadSession *session);
/* An MTK arrived by another way (e.g. UDP 2269): held DCFs are tried again. */
void             download_session_keys_changed (DownloadSession *session);

/* UICC key management (TS 33.246 Annex D): the session's MIKEY objects (6.3.3.2.1) go to the
 * card instead of MGV-F in the ME, and the key the card answers comes back by
 * download_session_add_mtk. */
typedef enum {
  DOWNLOAD_MIKEY_TAKEN,   /* sent for judgement; the MTK may follow */
  DOWNLOAD_MIKEY_AGAIN,   /* not sent now (queue full): the carousel's next copy is offered */
  DOWNLOAD_MIKEY_REFUSED, /* not an MBMS MTK message */
} DownloadMikeyResult;
typedef DownloadMikeyResult (*DownloadMikeyFunc) (GBytes *message, gpointer user_data);
void             download_session_set_mikey_func (DownloadSession *session, DownloadMikeyFunc func, gpointer user_data);
/* A download MTK from outside (the card's, with encr_key and auth_key derived as in the ME,
 * 6.5.4): copied, the two newest kept as MGV-S keeps a session's, wiped when dropped; held
 * DCFs are tried again. FALSE (nothing kept) without the download keys, or for a copy
 * (MgvMtk.copy) of another key group's MTK than the session holds. */
gboolean         download_session_add_mtk (DownloadSession *session, const MgvMtk *mtk);
/* The judge refused the MIKEY objects sent (again: their key is not there yet, 6A 88): with
 * again, the carousel's next copies are offered; else they stay refused. */
void             download_session_mikey_refused (DownloadSession *session, gboolean again);
void             download_session_get_stats (DownloadSession *session, DownloadStats *stats);

/* The session's socket: address:port bound (a multicast group joined on iface, NULL = the
 * routes' choice), datagrams fed to session on the thread-default main context. */
typedef struct _DownloadReceiver DownloadReceiver;
DownloadReceiver *download_receiver_new (DownloadSession *session, const char *address, guint16 port,
                                         const char *iface, GError **error);
void              download_receiver_free (DownloadReceiver *receiver);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DownloadReceiver, download_receiver_free)

/* ------------------------------------------------------------ delivery to the file system */

/* The path under the download directory for a Content-Location (RFC 3986 URI or relative
 * reference): its path part, percent-decoded, with no "..", ".", empty or hidden segment, no
 * control character or backslash, at most 8 segments of 255 octets. */
char    *download_local_path (const char *content_location, GError **error);
/* Writes data to dir/relpath atomically (temporary file, fsync, rename), mode 0640, group gid
 * unless gid < 0; subdirectories 0750; no symbolic link followed below dir. Returns the path. */
char    *download_write_file (const char *dir, const char *relpath, GBytes *data, gint gid, GError **error);

G_END_DECLS
