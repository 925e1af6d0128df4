/* A bootstrapped security association (TS 33.220 4.5.2): B-TID, key lifetime, RAND, IMPI
 * and Ks, and the MBMS keys derived from it for one BM-SC (TS 33.246 6.1). */
#include "gba.h"

#include <string.h>

void
gba_context_free (GbaContext *context)
{
  if (context == NULL)
    return;
  g_free (context->btid);
  g_clear_pointer (&context->lifetime, g_date_time_unref);
  g_free (context->impi);
  gba_secret_unref (context->ks);
  g_clear_object (&context->uicc);
  gba_wipe (context->rand, sizeof context->rand);
  g_free (context);
}

gboolean
gba_context_is_valid_at (const GbaContext *context, GDateTime *now)
{
  return context != NULL && context->lifetime != NULL
         && g_date_time_compare (now, context->lifetime) < 0;
}

GbaMbmsKeys *
gba_context_derive_mbms_keys (const GbaContext *context, const char *bmsc_fqdn, GError **error)
{
  g_autoptr(GBytes) naf_id = NULL;
  g_autoptr(GbaSecret) ks_naf = NULL;

  if (context->run == GBA_RUN_U && context->uicc != NULL && bmsc_fqdn != NULL && bmsc_fqdn[0] != '\0')
    {
      /* TS 33.220 5.3.2 / TS 31.102 7.1.1.5: the card derives Ks_ext_NAF and keeps
       * Ks_int_NAF; with MBMS on the card (n°69) the MUK is Ks_int_NAF (TS 33.246 6.1) */
      naf_id = gba_naf_id_new (bmsc_fqdn, GBA_UA_PROTOCOL_MBMS);
      ks_naf = gba_uicc_gba_naf_derive (context->uicc, naf_id, context->impi, NULL, error);
      if (ks_naf == NULL)
        return NULL;
      return gba_mbms_keys_derive (GBA_RUN_U, (gba_uicc_get_capabilities (context->uicc) & GBA_UICC_CAP_MBMS) != 0,
                                   ks_naf, context->btid, bmsc_fqdn, error);
    }
  if (context->run != GBA_RUN_ME || context->ks == NULL)
    {
      g_set_error_literal (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT,
                           "MBMS keys: this context holds no Ks (GBA_U keys come from the UICC)");
      return NULL;
    }
  if (bmsc_fqdn == NULL || bmsc_fqdn[0] == '\0')
    {
      g_set_error_literal (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT,
                           "MBMS keys: the BM-SC FQDN is empty");
      return NULL;
    }
  /* NAF_Id = BM-SC FQDN || Ua security protocol id of MBMS (TS 33.246 6.1, TS 33.220 H.3). */
  naf_id = gba_naf_id_new (bmsc_fqdn, GBA_UA_PROTOCOL_MBMS);
  ks_naf = gba_derive_naf_key (context->ks, GBA_NAF_KEY_ME, context->rand, context->impi, naf_id, error);
  if (ks_naf == NULL)
    return NULL;
  return gba_mbms_keys_derive (GBA_RUN_ME, FALSE, ks_naf, context->btid, bmsc_fqdn, error);
}

/* What the worker needs of a context, copied: the caller's context may be replaced (a new
 * GBA run) before the card answers. */
static GbaContext *
context_copy (const GbaContext *context)
{
  GbaContext *copy = g_new0 (GbaContext, 1);

  copy->btid = g_strdup (context->btid);
  copy->lifetime = context->lifetime != NULL ? g_date_time_ref (context->lifetime) : NULL;
  copy->impi = g_strdup (context->impi);
  memcpy (copy->rand, context->rand, sizeof copy->rand);
  copy->run = context->run;
  copy->ks = context->ks != NULL ? gba_secret_ref (context->ks) : NULL;
  copy->uicc = context->uicc != NULL ? g_object_ref (context->uicc) : NULL;
  return copy;
}

static void
derive_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GbaMbmsKeys *keys = gba_context_derive_mbms_keys (task_data, g_object_get_data (G_OBJECT (task), "fqdn"), &error);

  if (keys == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, keys, (GDestroyNotify) gba_mbms_keys_free);
}

void
gba_context_derive_mbms_keys_async (const GbaContext *context, const char *bmsc_fqdn, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_task_data (task, context_copy (context), (GDestroyNotify) gba_context_free);
  g_object_set_data_full (G_OBJECT (task), "fqdn", g_strdup (bmsc_fqdn), g_free);
  /* GBA_U: the card's NAF derivation blocks; a worker waits for the card thread */
  g_task_run_in_thread (task, derive_thread);
}

GbaMbmsKeys *
gba_context_derive_mbms_keys_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
