/* Loading mbmsd.conf with defaults for every key. */
#include "config.h"
#include "mbms-config.h"
#include "mbms-fileio.h"

#include <gio/gio.h>
#include <net/if.h>
#include <string.h>

#define DEFAULT_STATE_DIR  MBMSD_LOCALSTATEDIR "/lib/mbmsd"
#define DEFAULT_USD_DIR    MBMSD_SYSCONFDIR "/mbmsd/services"
#define DEFAULT_USIM_FILE  MBMSD_SYSCONFDIR "/mbmsd/soft-usim.conf"
#define DEFAULT_MIKEY_PORT 2269 /* TS 33.246 6.4.1, IANA */
/* TS 33.246 6.3.2.2.3 leaves the spacing of triggered MSK requests to the UE */
#define DEFAULT_MSK_REQUEST_INTERVAL_S 30
#define DEFAULT_RUNTIME_DIR "/run/mbmsd" /* systemd RuntimeDirectory= */
#define MBMS_CONFIG_MAX_LEN (64 * 1024)  /* data/mbmsd.conf with every comment is 6 KiB */

void
mbms_config_free (MbmsConfig *c)
{
  if (c == NULL)
    return;
  g_free (c->state_dir);
  g_free (c->usd_dir);
  g_free (c->uicc_backend);
  g_free (c->pcsc_reader);
  g_free (c->at_device);
  g_free (c->usim_file);
  g_free (c->bsf_uri);
  g_free (c->mikey_address);
  g_free (c->forward_address);
  g_free (c->control_group);
  g_free (c->key_group);
  g_free (c->runtime_dir);
  g_free (c->multicast_interface);
  g_free (c->download_dir);
  g_free (c->download_group);
  g_free (c);
}

static char *
get_string (GKeyFile *kf, const char *group, const char *key, const char *fallback)
{
  char *v = kf ? g_key_file_get_string (kf, group, key, NULL) : NULL;

  return v != NULL ? g_strstrip (v) : g_strdup (fallback);
}

static gboolean
get_uint (GKeyFile *kf, const char *group, const char *key, guint64 min, guint64 max, guint64 fallback,
          guint64 *out, GError **error)
{
  g_autofree char *v = kf ? g_key_file_get_string (kf, group, key, NULL) : NULL;

  *out = fallback;
  if (v == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (g_strstrip (v), 10, min, max, out, NULL))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[%s] %s = \"%s\" is not a number in %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, group, key, v,
                   min, max);
      return FALSE;
    }
  return TRUE;
}

/* true/false (GKeyFile's booleans, also 1/0); an absent key is the fallback. */
static gboolean
get_bool (GKeyFile *kf, const char *group, const char *key, gboolean fallback, gboolean *out, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *v = kf ? g_key_file_get_string (kf, group, key, NULL) : NULL;

  *out = fallback;
  if (v == NULL)
    return TRUE;
  *out = g_key_file_get_boolean (kf, group, key, &local);
  if (local != NULL)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "[%s] %s = \"%s\" is not true or false",
                   group, key, g_strstrip (v));
      return FALSE;
    }
  return TRUE;
}

static MbmsConfig *config_from_key_file (GKeyFile *kf, GError **error);

MbmsConfig *
mbms_config_load (const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = NULL;
  MbmsConfig *c;

  if (path != NULL)
    {
      g_autofree char *text = NULL;
      gsize len = 0;

      kf = g_key_file_new ();
      text = mbms_fileio_read (path, MBMS_CONFIG_MAX_LEN, MBMS_FILEIO_FOLLOW_LINKS, &len, error);
      if (text == NULL || !g_key_file_load_from_data (kf, text, len, G_KEY_FILE_NONE, error))
        {
          g_prefix_error (error, "%s: ", path);
          return NULL;
        }
    }
  c = config_from_key_file (kf, error);
  if (c == NULL && path != NULL)
    g_prefix_error (error, "%s: ", path);
  return c;
}

MbmsConfig *
mbms_config_load_data (const char *data, gsize len, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();

  if (!g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, error))
    return NULL;
  return config_from_key_file (kf, error);
}

static MbmsConfig *
config_from_key_file (GKeyFile *kf, GError **error)
{
  g_autoptr(MbmsConfig) c = g_new0 (MbmsConfig, 1);
  guint64 v;

  c->state_dir = get_string (kf, "mbmsd", "state-directory", DEFAULT_STATE_DIR);
  c->usd_dir = get_string (kf, "mbmsd", "service-descriptions", DEFAULT_USD_DIR);
  c->uicc_backend = get_string (kf, "uicc", "backend", "soft");
  c->usim_file = get_string (kf, "uicc", "soft-usim", DEFAULT_USIM_FILE);
  c->bsf_uri = get_string (kf, "gba", "bsf", NULL);
  c->mikey_address = get_string (kf, "mikey", "listen", "0.0.0.0");
  c->forward_address = get_string (kf, "bridge", "forward-address", "127.0.0.1");
  c->control_group = get_string (kf, "dbus", "control-group", "mbmsd");
  c->key_group = get_string (kf, "dbus", "key-group", "mbmsd-keys");
  c->runtime_dir = get_string (kf, "mbmsd", "runtime-directory", DEFAULT_RUNTIME_DIR);
  if (!get_uint (kf, "gba", "timeout", 1, 300, 15, &v, error))
    return NULL;
  c->http_timeout_s = (guint) v;
  /* TS 33.220 5.2.1/5.3: a GBA-aware UICC (USIM service n°68) is to be used with GBA_U */
  if (!get_bool (kf, "gba", "gba-u", TRUE, &c->gba_u, error))
    return NULL;
  if (!get_uint (kf, "mikey", "port", 1, 65535, DEFAULT_MIKEY_PORT, &v, error))
    return NULL;
  c->mikey_port = (guint16) v;
  if (!get_uint (kf, "mikey", "rate-limit", 1, 100000, 50, &v, error))
    return NULL;
  c->mikey_rate_per_s = (guint) v;
  if (!get_uint (kf, "mikey", "msk-request-interval", 1, 86400, DEFAULT_MSK_REQUEST_INTERVAL_S, &v, error))
    return NULL;
  c->msk_request_interval_s = (guint) v;
  if (!get_uint (kf, "bridge", "forward-port-base", 1024, 65000, 40000, &v, error))
    return NULL;
  c->forward_port_base = (guint16) v;
  if (!get_uint (kf, "mbmsd", "shutdown-timeout", 1, 60, 5, &v, error))
    return NULL;
  c->shutdown_timeout_s = (guint) v;
  /* keys that stop working (issue 14 item 5): TS 33.246 leaves when a UE gives up on them */
  if (!get_uint (kf, "mikey", "stale-after", 1, 1000, 3, &v, error))
    return NULL;
  c->stale_after = (guint) v;
  if (!get_uint (kf, "mikey", "reregister-after", 1, 100000, 10, &v, error))
    return NULL;
  c->reregister_after = (guint) v;
  if (!get_uint (kf, "mikey", "reregister-interval", 1, 86400, 300, &v, error))
    return NULL;
  c->reregister_interval_s = (guint) v;
  if (!get_uint (kf, "bridge", "stall-timeout", 1, 3600, 10, &v, error))
    return NULL;
  c->stall_timeout_s = (guint) v;
  c->pcsc_reader = get_string (kf, "uicc", "pcsc-reader", NULL);
  c->at_device = get_string (kf, "uicc", "at-device", NULL);
  if (!get_uint (kf, "uicc", "at-timeout", 100, 120000, 10000, &v, error))
    return NULL;
  c->at_timeout_ms = (guint) v;
  if (!get_uint (kf, "uicc", "poll-interval", 50, 60000, 500, &v, error))
    return NULL;
  c->card_poll_ms = (guint) v;
  if (g_strcmp0 (c->uicc_backend, "soft") != 0 && g_strcmp0 (c->uicc_backend, "pcsc") != 0
      && g_strcmp0 (c->uicc_backend, "at") != 0)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[uicc] backend = \"%s\": not one of soft, pcsc, at", c->uicc_backend);
      return NULL;
    }
  if (g_strcmp0 (c->uicc_backend, "at") == 0 && (c->at_device == NULL || c->at_device[0] == '\0'))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[uicc] backend = at needs at-device (the modem's AT TTY)");
      return NULL;
    }
  c->multicast_interface = get_string (kf, "mbmsd", "multicast-interface", NULL);
  if (c->multicast_interface != NULL && *c->multicast_interface == '\0')
    g_clear_pointer (&c->multicast_interface, g_free); /* empty: by route */
  if (c->multicast_interface != NULL
      && (strlen (c->multicast_interface) >= IF_NAMESIZE || strpbrk (c->multicast_interface, "/: \t") != NULL))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[mbmsd] multicast-interface = \"%s\" is not a network interface name", c->multicast_interface);
      return NULL;
    }
  c->download_dir = get_string (kf, "download", "directory", NULL);
  c->download_group = get_string (kf, "download", "group", NULL);
  if (c->download_dir != NULL && !g_path_is_absolute (c->download_dir))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[download] directory = \"%s\" is not an absolute path", c->download_dir);
      return NULL;
    }
  if (!get_uint (kf, "download", "max-object-size", 1, 4096, 64, &v, error))
    return NULL;
  c->download_max_object_mib = (guint) v;
  if (!get_uint (kf, "download", "max-session-memory", 1, 8192, 160, &v, error))
    return NULL;
  c->download_max_session_mib = (guint) v;
  if (!get_uint (kf, "download", "max-held", 1, 1024, 16, &v, error))
    return NULL;
  c->download_max_held = (guint) v;
  if (!g_hostname_is_ip_address (c->mikey_address) || !g_hostname_is_ip_address (c->forward_address))
    {
      g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                           "[mikey] listen and [bridge] forward-address must be IP addresses");
      return NULL;
    }
  return g_steal_pointer (&c);
}
