/* Keys the ME deletes on the card at the user's deregistration (TS 33.246 6.1, 6.3.2.1A;
 * TS 31.102 7.1.1.9, 7.1.1.10). See docs/interpretations.md. */
#include "mbms-uicc-cleanup.h"

static char *
bmsc_host (MbmsService *s)
{
  const char *bmsc = mbms_service_get_bmsc (s);
  g_autoptr(GUri) uri = bmsc != NULL ? g_uri_parse (bmsc, G_URI_FLAGS_NONE, NULL) : NULL;

  return uri != NULL && g_uri_get_host (uri) != NULL ? g_strdup (g_uri_get_host (uri)) : NULL;
}

static gboolean
group_in_use (GPtrArray *services, const MbmsKeyGroup *k)
{
  for (guint i = 0; i < services->len; i++)
    {
      MbmsService *s = g_ptr_array_index (services, i);
      if (mbms_service_is_registered (s) && mbms_service_uses_key_group (s, k->domain, k->key_group))
        return TRUE;
    }
  return FALSE;
}

gboolean
mbms_uicc_cleanup_after_deregistration (MbmsUiccKeys *keys, GPtrArray *services, MbmsService *left,
                                        const GbaContext *context)
{
  MbmsUserService *d = mbms_service_get_description (left);
  g_autofree char *host = bmsc_host (left);

  for (guint i = 0; i < d->keys->len; i++)
    {
      const MbmsKeyGroup *k = &g_array_index (d->keys, MbmsKeyGroup, i);
      if (!group_in_use (services, k))
        mbms_uicc_keys_delete_group (keys, k->domain, k->key_group);
    }
  if (host == NULL || context == NULL || context->run != GBA_RUN_U)
    return FALSE;
  for (guint i = 0; i < services->len; i++)
    {
      MbmsService *s = g_ptr_array_index (services, i);
      g_autofree char *other = mbms_service_is_registered (s) ? bmsc_host (s) : NULL;
      if (g_strcmp0 (other, host) == 0)
        return FALSE; /* the MUK is still in use */
    }
  g_message ("no service registered at %s: its MUK is deleted on the card, with Ks of B-TID %s", host,
             context->btid);
  mbms_uicc_keys_delete_muk (keys, host, context->btid);
  return TRUE;
}

guint
mbms_uicc_cleanup_free_space (MbmsUiccKeys *keys, GPtrArray *services)
{
  g_autoptr(GArray) held = mbms_uicc_msks_list (mbms_uicc_keys_get_msks (keys));
  guint n = 0;

  for (guint i = 0; i < held->len; i++)
    {
      const MgvMskInfo *m = &g_array_index (held, MgvMskInfo, i);
      gboolean used = FALSE;

      if (!mbms_uicc_msks_holds (mbms_uicc_keys_get_msks (keys), m->domain, m->msk_id))
        continue; /* its group went a moment ago */
      for (guint j = 0; j < services->len && !used; j++)
        used = mbms_service_uses_key_group (g_ptr_array_index (services, j), m->domain, MGV_MSK_KEY_GROUP (m->msk_id));
      if (!used)
        {
          mbms_uicc_keys_delete_group (keys, m->domain, MGV_MSK_KEY_GROUP (m->msk_id));
          n++;
        }
    }
  return n;
}
