/* FDT instances (RFC 6726 3.4.2, TS 26.346 7.2.10) as the lab's FLUTE sender describes its
 * objects. */
#pragma once

#include <glib.h>

#define LAB_FDT_NS        "urn:ietf:params:xml:ns:fdt"                /* RFC 6726 3.4.2 */
#define LAB_FDT_NS_MBMS09 "urn:3GPP:metadata:2009:MBMS:FLUTE:FDT_ext" /* TS 26.346 7.2.10 */
#define LAB_NTP_UNIX_OFFSET G_GUINT64_CONSTANT (2208988800)            /* 1900 to 1970, RFC 5905 */

typedef struct {
  guint32     toi;
  const char *content_location;
  guint64     content_length;
  guint64     transfer_length;   /* 0: as Content-Length */
  const char *content_type;
  const char *content_encoding;  /* NULL: none */
  GBytes     *md5_of;            /* the content whose MD5 goes into Content-MD5; NULL: none */
  const char *decryption_key_uri;/* TS 26.346 7.2.15: the Content-Location of the MIKEY object */
  guint       symbol_length;     /* FEC-OTI-* of Compact No-Code */
  guint       max_block_length;
} LabFdtFile;

/* An FDT-Instance document; expires is in NTP seconds (RFC 6726 3.4.2: "Expires"). */
char *lab_fdt_instance (const LabFdtFile *files, guint n_files, guint64 expires);
