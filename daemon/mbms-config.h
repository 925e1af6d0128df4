/* mbmsd.conf (GKeyFile): where state lives, which card, which BSF, which ports. Every key
 * has a default, so the daemon runs with no file at all (data/mbmsd.conf documents them). */
#pragma once

#include <glib.h>

typedef struct {
  char    *state_dir;        /* [mbmsd] state-directory: MGV-S, registrations, USIM SQN */
  char    *usd_dir;          /* [mbmsd] service-descriptions: USD bundles (*.usd.xml) */
  char    *uicc_backend;     /* [uicc] backend: "soft", "pcsc" or "at" */
  char    *usim_file;        /* [uicc] soft-usim: the software USIM's key file */
  char    *pcsc_reader;      /* [uicc] pcsc-reader: NULL = the first reader with a card */
  char    *at_device;        /* [uicc] at-device: the modem's AT TTY (backend at) */
  guint    at_timeout_ms;    /* [uicc] at-timeout: longest wait for one AT command */
  guint    card_poll_ms;     /* [uicc] poll-interval: removal/insertion checks, milliseconds */
  char    *bsf_uri;          /* [gba] bsf: NULL = derived from the IMSI (TS 23.003 16.2) */
  guint    http_timeout_s;   /* [gba] timeout */
  gboolean gba_u;            /* [gba] gba-u: GBA_U when the card offers USIM service n°68 (default true) */
  guint16  mikey_port;       /* [mikey] port: 2269 (TS 33.246 6.4.1) */
  char    *mikey_address;    /* [mikey] listen: address for MSK pushes */
  guint    mikey_rate_per_s; /* [mikey] rate-limit: datagrams per source and second */
  guint    msk_request_interval_s; /* [mikey] msk-request-interval: per key group, traffic-triggered */
  char    *forward_address;  /* [bridge] forward-address: where decrypted RTP goes */
  guint16  forward_port_base;/* [bridge] forward-port-base */
  char    *control_group;    /* [dbus] control-group: may change state (policy) */
  char    *key_group;        /* [dbus] key-group: may receive SRTP keys (GetKeys) */
  char    *runtime_dir;      /* [mbmsd] runtime-directory: playback SDP files */
  guint    shutdown_timeout_s; /* [mbmsd] shutdown-timeout: bound on deregistration at exit */
  char    *multicast_interface; /* [mbmsd] multicast-interface: the MBMS bearer; NULL = by route */
  char    *download_dir;     /* [download] directory: NULL = runtime-directory/downloads */
  char    *download_group;   /* [download] group: files 0640 to this group; NULL = mbmsd's own */
  guint    download_max_object_mib;  /* [download] max-object-size: MiB per file */
  guint    download_max_session_mib; /* [download] max-session-memory: MiB per FLUTE session */
  guint    download_max_held;        /* [download] max-held: DCFs waiting for their MTK */
  guint    stale_after;      /* [mikey] stale-after: MTK messages refused in a row before keys-stale */
  guint    reregister_after; /* [mikey] reregister-after: ... before registering again with a new GBA run */
  guint    reregister_interval_s; /* [mikey] reregister-interval: at most one such re-registration per service */
  guint    stall_timeout_s;  /* [bridge] stall-timeout: packets arrive, none decrypts: keys-stale */
} MbmsConfig;

void        mbms_config_free (MbmsConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsConfig, mbms_config_free)

/* path NULL = defaults only. Unknown keys are ignored; wrong values are errors that name the
 * group and key. */
MbmsConfig *mbms_config_load (const char *path, GError **error);
/* The same from the file's text (tests, fuzzing). */
MbmsConfig *mbms_config_load_data (const char *data, gsize len, GError **error);
