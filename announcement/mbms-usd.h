/* The service announcement documents of TS 26.346 V16.11.1 as TS 33.246 6.3.2.1A needs them:
 * User Service Bundle Descriptions (5.2.2, 11.2, Annex J.1), the SDP parts of their sessions
 * (5.2.2.2) and their security descriptions (5.2.2.4, 11.3): which services are protected,
 * by which MSKs, through which BM-SCs, and which media flow each MSK protects. GLib and
 * libxml2 only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MBMS_USD_ERROR (mbms_usd_error_quark ())
GQuark mbms_usd_error_quark (void);

typedef enum {
  MBMS_USD_ERROR_PARSE,   /* not well-formed, or a value of the wrong form; names the element */
  MBMS_USD_ERROR_LIMIT,   /* too large, too deep, too many items */
  MBMS_USD_ERROR_REFERENCE, /* a referenced SDP or protection description is missing or not local */
} MbmsUsdError;

#define MBMS_KEY_DOMAIN_LEN 3

/* A key group: Key Domain ID + the Key Group part of the MSK ID. An announced MSKID names
 * the current key, its Key Number bytes 0x0000 (TS 26.346 11.3.1, TS 33.246 6.3.2.1A). */
typedef struct {
  guint8  domain[MBMS_KEY_DOMAIN_LEN];
  guint16 key_group;
} MbmsKeyGroup;

/* One media description of a session's SDP: an RTP session of a streaming service, or a
 * FLUTE channel (download). */
typedef struct {
  char        *media;      /* "audio", "video", "application", ... */
  char        *address;    /* destination (multicast group or unicast address) */
  guint16      port;       /* destination port; for RTP the RTP port, RTCP is port + 1 unless a=rtcp says otherwise */
  guint16      rtcp_port;
  gboolean     rtp;        /* an RTP profile (RTP/...) */
  gboolean     srtp;       /* RTP/SAVP, RTP/SAVPF */
  gboolean     has_key;
  MbmsKeyGroup key;        /* the key group protecting it (srtp only) */
  char        *sdp_media;  /* the m= block as written, for the playback SDP */
} MbmsRtpSession;

typedef struct {
  char      *service_id;
  char     **names;            /* NULL-terminated, from <name> */
  gboolean   protected;        /* a protection description is present */
  gboolean   streaming;
  gboolean   download;
  char     **bmsc_uris;        /* key management servers, NULL-terminated */
  GArray    *keys;             /* MbmsKeyGroup, distinct */
  gboolean   uicc_key_management; /* keyManagement@uiccKeyManagement, default true (11.3.1) */
  guint      offset_time_s;    /* keyManagement@offsetTime, @randomTimePeriod (11.3.1, 9.3.4): */
  guint      random_period_s;  /* wait offset + uniform(0, period) before an MSK request */
  gboolean   mikey_fec;        /* fecProtection present: MIKEY in FEC source packets (11.3.1, 8.2.2.4) */
  guint      fec_encoding_id;  /* fecProtection@fecEncodingId, default 0 */
  gboolean   has_fec_instance_id;
  guint      fec_instance_id;
  char      *fec_oti_extension;
  GPtrArray *sessions;         /* MbmsRtpSession, every deliveryMethod's */
  char      *sdp;              /* the session description, NULL for download without one */
} MbmsUserService;

void mbms_user_service_free (MbmsUserService *service);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsUserService, mbms_user_service_free)

/* Parses a User Service Bundle Description. Referenced session and security descriptions are
 * read from base_dir only: a relative URI or file: URI inside it, or an http(s) URI by its
 * last path segment (the fragment as the announcement delivered it beside the bundle);
 * nothing is fetched. Returns MbmsUserService items. */
GPtrArray *mbms_usd_parse (const char *xml, gsize len, const char *base_dir, GError **error);
/* The same from a file (bounded, non-blocking: mbms-fileio.h); errors leave naming the file
 * to the caller, who knows how the user named it. */
GPtrArray *mbms_usd_parse_file (const char *path, GError **error);

/* The playback SDP of a streaming service (issue: StartStreaming): every SRTP session becomes
 * RTP/AVP on address at ports[i] (RTCP ports[i] + 1), with the codec lines of the original. */
char *mbms_sdp_playback (const MbmsUserService *service, const char *address, const guint16 *ports);

/* Parses an SDP (RFC 4566) into its media descriptions (no key mapping yet). */
GPtrArray *mbms_sdp_parse (const char *sdp, gsize len, GError **error);

/* The security description (11.3) of a service whose sessions are parsed already: fills in
 * the key management servers, back-off, FEC and the MSK of every media flow. */
gboolean mbms_security_description_parse (const char *xml, gsize len, MbmsUserService *service, GError **error);

void mbms_rtp_session_free (MbmsRtpSession *session);

/* A key ID as TS 26.346 writes it (keyDomainID, MSKID: xs:base64Binary, whitespace allowed
 * between characters) decoded to exactly len octets. */
gboolean mbms_key_id_from_base64 (const char *text, guint8 *out, gsize len);

G_END_DECLS
