/* The GBA_U card double (gba-u-card.h). Bootstrapping mode, TS 33.220 5.3.2 and TS 31.102
 * 7.1.2.1: MAC = MAC* xor Trunc(SHA-1(IK)) (bits 0..63), the AKA check of the USIM, Ks = CK || IK
 * kept on the card, RES with its least significant bit flipped. NAF derivation mode, TS 31.102
 * 7.1.2.2: Ks_ext_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id) (TS 33.220 B.3), with the Ks of the
 * last bootstrapping. */
#include "gba-u-card.h"

#include <string.h>

struct _GbaUCard {
  GbaUicc    parent_instance;
  GbaUicc   *usim;
  guint8     k[16], opc[16];
  GMutex     lock;
  GCond      cond;
  GbaSecret *ks;
  guint8     rand[16];
  gboolean   held;
  guint      derivations;
};

G_DEFINE_FINAL_TYPE (GbaUCard, gba_u_card, GBA_TYPE_UICC)

static GbaAkaResult *
card_authenticate (GbaUicc *uicc, const guint8 rand[16], const guint8 autn[16], GCancellable *cancellable,
                   GError **error)
{
  return gba_uicc_authenticate (GBA_U_CARD (uicc)->usim, rand, autn, cancellable, error);
}

static GbaUiccIdentity *
card_read_identity (GbaUicc *uicc, GCancellable *cancellable, GError **error)
{
  return gba_uicc_read_identity (GBA_U_CARD (uicc)->usim, cancellable, error);
}

static GbaUiccCaps
card_caps (GbaUicc *uicc)
{
  return GBA_UICC_CAP_GBA_U;
}

static GbaAkaResult *
card_gba_bootstrap (GbaUicc *uicc, const guint8 rand[16], const guint8 autn_star[16], GCancellable *cancellable,
                    GError **error)
{
  GbaUCard *self = GBA_U_CARD (uicc);
  guint8 ik[16], autn[16], digest[20];
  gsize digest_len = sizeof digest;
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  GbaAkaResult *r;
  guint8 *res;

  gba_milenage_f2345 (self->k, self->opc, rand, NULL, NULL, ik, NULL, NULL);
  g_checksum_update (sha1, ik, sizeof ik);
  g_checksum_get_digest (sha1, digest, &digest_len);
  memcpy (autn, autn_star, sizeof autn);
  for (guint i = 0; i < 8; i++)
    autn[8 + i] ^= digest[i];
  gba_wipe (ik, sizeof ik);
  gba_wipe (digest, sizeof digest);
  r = gba_uicc_authenticate (self->usim, rand, autn, cancellable, error);
  if (r == NULL || r->status != GBA_AKA_OK)
    return r;
  g_mutex_lock (&self->lock);
  gba_secret_unref (self->ks);
  self->ks = gba_secret_new_concat (r->ck, r->ik); /* it stays on the card */
  memcpy (self->rand, rand, sizeof self->rand);
  g_mutex_unlock (&self->lock);
  g_clear_pointer (&r->ck, gba_secret_unref);
  g_clear_pointer (&r->ik, gba_secret_unref);
  res = g_memdup2 (gba_secret_get_data (r->res, NULL), gba_secret_get_size (r->res));
  res[gba_secret_get_size (r->res) - 1] ^= 0x01;
  gba_secret_unref (r->res);
  r->res = gba_secret_new (res, 8);
  gba_wipe (res, 8);
  g_free (res);
  return r;
}

static GbaSecret *
card_naf_derive (GbaUicc *uicc, GBytes *naf_id, const char *impi, GCancellable *cancellable, GError **error)
{
  GbaUCard *self = GBA_U_CARD (uicc);
  g_autoptr(GbaSecret) ks = NULL;
  guint8 rand[16];

  g_assert_false (g_main_context_is_owner (g_main_context_default ())); /* never the main loop */
  g_mutex_lock (&self->lock);
  self->derivations++;
  while (self->held)
    g_cond_wait (&self->cond, &self->lock);
  ks = self->ks != NULL ? gba_secret_ref (self->ks) : NULL;
  memcpy (rand, self->rand, sizeof rand);
  g_mutex_unlock (&self->lock);
  if (ks == NULL)
    {
      g_set_error_literal (error, GBA_ERROR, GBA_ERROR_CARD_CONDITIONS, "no GBA_U bootstrapping (test card)");
      return NULL;
    }
  return gba_derive_naf_key (ks, GBA_NAF_KEY_ME, rand, impi, naf_id, error);
}

static gboolean
card_store_btid (GbaUicc *uicc, const guint8 rand[16], const char *btid, const char *lifetime,
                 GCancellable *cancellable, GError **error)
{
  return TRUE; /* EF_GBABP is not looked at here */
}

static void
gba_u_card_finalize (GObject *object)
{
  GbaUCard *self = GBA_U_CARD (object);

  g_clear_object (&self->usim);
  gba_secret_unref (self->ks);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gba_u_card_parent_class)->finalize (object);
}

static void
gba_u_card_class_init (GbaUCardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gba_u_card_finalize;
  GBA_UICC_CLASS (klass)->authenticate = card_authenticate;
  GBA_UICC_CLASS (klass)->read_identity = card_read_identity;
  GBA_UICC_CLASS (klass)->get_capabilities = card_caps;
  GBA_UICC_CLASS (klass)->gba_bootstrap = card_gba_bootstrap;
  GBA_UICC_CLASS (klass)->gba_naf_derive = card_naf_derive;
  GBA_UICC_CLASS (klass)->gba_store_btid = card_store_btid;
}

static void
gba_u_card_init (GbaUCard *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

GbaUicc *
gba_u_card_new (GbaUicc *usim, const guint8 k[16], const guint8 opc[16])
{
  GbaUCard *self = g_object_new (GBA_U_TYPE_CARD, NULL);

  self->usim = g_object_ref (usim);
  memcpy (self->k, k, 16);
  memcpy (self->opc, opc, 16);
  return GBA_UICC (self);
}

guint
gba_u_card_derivations (GbaUCard *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->derivations;
  g_mutex_unlock (&self->lock);
  return n;
}

void
gba_u_card_hold (GbaUCard *self, gboolean held)
{
  g_mutex_lock (&self->lock);
  self->held = held;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}
