/* User Service Descriptions (TS 26.346 5.2.2, 11.2) and their protection descriptions (11.3)
 * as TS 33.246 6.3.2.1A needs them: which services are protected, by which keys, through which
 * BM-SCs, and which RTP sessions each key group protects. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MBMS_USD_ERROR (mbms_usd_error_quark ())
GQuark mbms_usd_error_quark (void);

typedef enum {
  MBMS_USD_ERROR_PARSE,   /* not well-formed, or a value of the wrong form; names the element */
  MBMS_USD_ERROR_LIMIT,   /* too large, too deep, too many items */
  MBMS_USD_ERROR_REFERENCE, /* a referenced SDP or protection description is missing or not local */
} MbmsUsdError;

#define MBMS_KEY_DOMAIN_LEN 3

/* A key group: Key Domain ID + the Key Group part of the MSK ID; the Key Number part of an
 * announced MSK ID is ignored (TS 33.246 6.3.2.1A). */
typedef struct {
  guint8  domain[MBMS_KEY_DOMAIN_LEN];
  guint16 key_group;
} MbmsKeyGroup;

/* One RTP session of a streaming service, from its SDP media description. */
typedef struct {
  char        *media;      /* "audio", "video", ... */
  char        *address;    /* destination (multicast group or unicast address) */
  guint16      port;       /* RTP port; RTCP is port + 1 unless a=rtcp says otherwise */
  guint16      rtcp_port;
  gboolean     srtp;       /* RTP/SAVP */
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
  gboolean   uicc_key_management;
  gboolean   gba_2g_allowed;
  gboolean   mikey_fec;
  gboolean   has_backoff;
  guint      offset_time_s;    /* back-off: wait offset + uniform(0, period) before an MSK request */
  guint      random_period_s;
  GPtrArray *sessions;         /* MbmsRtpSession */
  char      *sdp;              /* the session description, NULL for download without one */
} MbmsUserService;

void mbms_user_service_free (MbmsUserService *service);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsUserService, mbms_user_service_free)

/* Parses a USD bundle. Referenced SDP and protection descriptions are read from base_dir only
 * (a relative URI or file: URI inside it; nothing is fetched). Returns MbmsUserService items. */
GPtrArray *mbms_usd_parse (const char *xml, gsize len, const char *base_dir, GError **error);
GPtrArray *mbms_usd_parse_file (const char *path, GError **error);

/* The playback SDP of a streaming service (issue: StartStreaming): every SRTP session becomes
 * RTP/AVP on address at ports[i] (RTCP ports[i] + 1), with the codec lines of the original. */
char *mbms_sdp_playback (const MbmsUserService *service, const char *address, const guint16 *ports);

/* Parses an SDP (RFC 4566) into RTP sessions (no key mapping yet). */
GPtrArray *mbms_sdp_parse (const char *sdp, gsize len, GError **error);

G_END_DECLS
