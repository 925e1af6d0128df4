/* The UICC abstraction: a card backend answers AUTHENTICATE (TS 31.102 7.1.2) and tells its
 * identity and capabilities. Callers use the async wrappers, which run the backend in a
 * worker thread, so a slow card (PC/SC, AT commands) never blocks the main loop. */
#include "gba.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_ABSTRACT_TYPE (GbaUicc, gba_uicc, G_TYPE_OBJECT)

static void
gba_uicc_class_init (GbaUiccClass *klass)
{
}

static void
gba_uicc_init (GbaUicc *self)
{
}

void
gba_aka_result_free (GbaAkaResult *result)
{
  if (result == NULL)
    return;
  gba_secret_unref (result->res);
  gba_secret_unref (result->ck);
  gba_secret_unref (result->ik);
  gba_wipe (result->auts, sizeof result->auts);
  g_free (result);
}

void
gba_uicc_identity_free (GbaUiccIdentity *identity)
{
  if (identity == NULL)
    return;
  g_free (identity->imsi);
  g_free (identity->iccid);
  g_free (identity->impi);
  g_free (identity);
}

GbaAkaResult *
gba_uicc_authenticate (GbaUicc *self, const guint8 rand[16], const guint8 autn[16], GCancellable *cancellable,
                       GError **error)
{
  g_return_val_if_fail (GBA_IS_UICC (self), NULL);
  return GBA_UICC_GET_CLASS (self)->authenticate (self, rand, autn, cancellable, error);
}

typedef struct {
  guint8   rand[GBA_AKA_RAND_LEN];
  guint8   autn[GBA_AKA_AUTN_LEN];
  gboolean gba_context; /* TS 31.102 7.1.2.3 instead of 7.1.2.1 */
} AuthData;

static void
auth_data_free (AuthData *data)
{
  gba_wipe (data, sizeof *data);
  g_free (data);
}

static void
authenticate_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AuthData *data = task_data;
  GError *error = NULL;
  GbaAkaResult *result = data->gba_context
                           ? gba_uicc_gba_bootstrap (source, data->rand, data->autn, cancellable, &error)
                           : gba_uicc_authenticate (source, data->rand, data->autn, cancellable, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) gba_aka_result_free);
}

static void
run_authenticate (GbaUicc *self, const guint8 rand[16], const guint8 autn[16], gboolean gba_context,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  AuthData *data;

  g_return_if_fail (GBA_IS_UICC (self));
  task = g_task_new (self, cancellable, callback, user_data);
  /* the caller's buffers may be gone before the worker runs: copy them */
  data = g_new0 (AuthData, 1);
  memcpy (data->rand, rand, GBA_AKA_RAND_LEN);
  memcpy (data->autn, autn, GBA_AKA_AUTN_LEN);
  data->gba_context = gba_context;
  g_task_set_task_data (task, data, (GDestroyNotify) auth_data_free);
  g_task_run_in_thread (task, authenticate_thread);
}

void
gba_uicc_authenticate_async (GbaUicc *self, const guint8 rand[16], const guint8 autn[16], GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  run_authenticate (self, rand, autn, FALSE, cancellable, callback, user_data);
}

void
gba_uicc_gba_bootstrap_async (GbaUicc *self, const guint8 rand[16], const guint8 autn[16], GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  run_authenticate (self, rand, autn, TRUE, cancellable, callback, user_data);
}

GbaAkaResult *
gba_uicc_authenticate_finish (GbaUicc *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GbaUiccIdentity *
gba_uicc_read_identity (GbaUicc *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (GBA_IS_UICC (self), NULL);
  return GBA_UICC_GET_CLASS (self)->read_identity (self, cancellable, error);
}

GbaUiccCaps
gba_uicc_get_capabilities (GbaUicc *self)
{
  g_return_val_if_fail (GBA_IS_UICC (self), GBA_UICC_CAP_NONE);
  return GBA_UICC_GET_CLASS (self)->get_capabilities (self);
}

static gboolean
not_supported (GbaUicc *self, const char *what, GError **error)
{
  g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "%s: %s is not supported by this card",
               G_OBJECT_TYPE_NAME (self), what);
  return FALSE;
}

GbaAkaResult *
gba_uicc_gba_bootstrap (GbaUicc *self, const guint8 rand[16], const guint8 autn[16], GCancellable *cancellable,
                        GError **error)
{
  GbaUiccClass *klass = GBA_UICC_GET_CLASS (self);

  if (klass->gba_bootstrap == NULL)
    return not_supported (self, "GBA_U bootstrapping", error), NULL;
  return klass->gba_bootstrap (self, rand, autn, cancellable, error);
}

GbaSecret *
gba_uicc_gba_naf_derive (GbaUicc *self, GBytes *naf_id, const char *impi, GCancellable *cancellable,
                         GError **error)
{
  GbaUiccClass *klass = GBA_UICC_GET_CLASS (self);

  if (klass->gba_naf_derive == NULL)
    return not_supported (self, "GBA_U NAF derivation", error), NULL;
  return klass->gba_naf_derive (self, naf_id, impi, cancellable, error);
}

GBytes *
gba_uicc_mbms_command (GbaUicc *self, GbaUiccMbmsMode mode, GBytes *data, GCancellable *cancellable,
                       GError **error)
{
  GbaUiccClass *klass = GBA_UICC_GET_CLASS (self);

  if (klass->mbms_command == NULL)
    return not_supported (self, "the MBMS security context", error), NULL;
  return klass->mbms_command (self, mode, data, cancellable, error);
}

gboolean
gba_uicc_gba_store_btid (GbaUicc *self, const guint8 rand[16], const char *btid, const char *lifetime,
                         GCancellable *cancellable, GError **error)
{
  GbaUiccClass *klass = GBA_UICC_GET_CLASS (self);

  if (klass->gba_store_btid == NULL)
    return not_supported (self, "EF_GBABP", error);
  return klass->gba_store_btid (self, rand, btid, lifetime, cancellable, error);
}

static gboolean
check_imsi (const char *imsi, guint mnc_len, GError **error)
{
  gsize len = imsi != NULL ? strlen (imsi) : 0;

  /* TS 23.003 2.2: MCC (3) + MNC (2 or 3) + MSIN, at most 15 digits */
  if (len < 6 || len > 15 || strspn (imsi, "0123456789") != len)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT, "IMSI \"%s\" is not 6 to 15 digits",
                   imsi != NULL ? imsi : "");
      return FALSE;
    }
  if (mnc_len != 2 && mnc_len != 3)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT, "MNC length %u is not 2 or 3", mnc_len);
      return FALSE;
    }
  return TRUE;
}

/* "mnc<MNC, three digits>.mcc<MCC>" */
static char *
mnc_mcc_labels (const char *imsi, guint mnc_len)
{
  g_autofree char *mnc = g_strndup (imsi + 3, mnc_len);

  return g_strdup_printf ("mnc%03d.mcc%.3s", atoi (mnc), imsi);
}

char *
gba_impi_from_imsi (const char *imsi, guint mnc_len, GError **error)
{
  g_autofree char *labels = NULL;

  if (!check_imsi (imsi, mnc_len, error))
    return NULL;
  /* TS 23.003 13.3: <IMSI>@ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org, MNC padded to 3 digits */
  labels = mnc_mcc_labels (imsi, mnc_len);
  return g_strdup_printf ("%s@ims.%s.3gppnetwork.org", imsi, labels);
}

char *
gba_bsf_host_from_imsi (const char *imsi, guint mnc_len, GError **error)
{
  g_autofree char *labels = NULL;

  if (!check_imsi (imsi, mnc_len, error))
    return NULL;
  /* TS 23.003 16.2: bsf.mnc<MNC>.mcc<MCC>.pub.3gppnetwork.org, MNC padded to 3 digits. We had
   * no copy of clause 16 itself; the form matches the sibling ANDSF-SN rule of TS 23.003
   * ("andsf.mnc<MNC>.mcc<MCC>.pub.3gppnetwork.org", MNC 3 digits, tech-invite.com
   * tinv-3gpp-23-003_y.html) and deployed GBA clients (AOSP-derived IMS stacks build
   * "bsf.mnc%03d.mcc<MCC>.pub.3gppnetwork.org"; Symbian's GBA client has the same labels). */
  labels = mnc_mcc_labels (imsi, mnc_len);
  return g_strdup_printf ("bsf.%s.pub.3gppnetwork.org", labels);
}
