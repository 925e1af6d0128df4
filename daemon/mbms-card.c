/* The card of the configuration: soft (key file), pcsc or at, and its face on D-Bus. */
#include "config.h"
#include "mbms-card.h"
#include "mbms-fileio.h"

#include <string.h>

#define MBMS_KEY_FILE_MAX_LEN (64 * 1024) /* the software USIM's key file */

static gboolean
load_key_file (GKeyFile *kf, const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;

  text = mbms_fileio_read (path, MBMS_KEY_FILE_MAX_LEN, MBMS_FILEIO_FOLLOW_LINKS, &len, error);
  return text != NULL && g_key_file_load_from_data (kf, text, len, G_KEY_FILE_NONE, error);
}

GbaUicc *
mbms_card_new (const MbmsConfig *config, GError **error)
{
  g_autoptr(GbaCardTransport) transport = NULL;
  GbaUicc *uicc;

  if (g_strcmp0 (config->uicc_backend, "soft") == 0)
    {
      g_autoptr(GKeyFile) usim = g_key_file_new ();
      g_autofree char *sqn = g_build_filename (config->state_dir, "usim.sqn", NULL);

      if (!load_key_file (usim, config->usim_file, error)
          || (uicc = gba_uicc_soft_new_from_key_file (usim, "usim", sqn, error)) == NULL)
        {
          g_prefix_error (error, "software USIM %s: ", config->usim_file);
          return NULL;
        }
      return uicc;
    }
  if (g_strcmp0 (config->uicc_backend, "pcsc") == 0)
    transport = gba_card_transport_pcsc_new (config->pcsc_reader, error);
  else
    transport = gba_card_transport_at_new (config->at_device, config->at_timeout_ms);
  if (transport == NULL)
    return NULL;
  uicc = gba_uicc_card_new (transport);
  gba_uicc_card_watch_presence (GBA_UICC_CARD (uicc), config->card_poll_ms);
  return uicc;
}

const char *
mbms_card_state_for_error (const GError *error)
{
  if (g_error_matches (error, GBA_ERROR, GBA_ERROR_CARD_LOCKED))
    return "card-locked";
  if (g_error_matches (error, GBA_ERROR, GBA_ERROR_CARD_ABSENT))
    return "absent";
  return "error";
}

char *
mbms_card_masked_iccid (const char *iccid)
{
  gsize len = iccid != NULL ? strlen (iccid) : 0;

  if (len <= 4)
    return g_strdup ("");
  return g_strdup_printf ("%s%s", "…", iccid + len - 4);
}

GStrv
mbms_card_services (GbaUiccCaps caps)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  if (caps & GBA_UICC_CAP_GBA_U)
    g_strv_builder_add (b, "gba-u");
  if (caps & GBA_UICC_CAP_MBMS)
    g_strv_builder_add (b, "mbms-security");
  return g_strv_builder_end (b);
}
