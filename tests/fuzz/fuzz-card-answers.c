/* libFuzzer target: what a card answers. The first octet picks a parser of gba-apdu.c (TS
 * 31.102 7.1.2 answers, FCP, EF_DIR, EF_ICCID, EF_IMSI, EF_AD, EF_GBABP) or, for 0xFF, the
 * whole USIM layer over a transport whose answers are the rest of the input (each prefixed
 * by its length): selection, T=0 GET RESPONSE, AUTHENTICATE, ODD chaining. */
#include "gba-apdu.h"
#include "gba-card.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define FUZZ_TYPE (fuzz_transport_get_type ())
G_DECLARE_FINAL_TYPE (FuzzTransport, fuzz_transport, FUZZ, TRANSPORT, GbaCardTransport)

struct _FuzzTransport {
  GbaCardTransport parent_instance;
  const guint8    *p;
  gsize            left;
};

G_DEFINE_FINAL_TYPE (FuzzTransport, fuzz_transport, GBA_TYPE_CARD_TRANSPORT)

static gboolean
fuzz_connect (GbaCardTransport *t, GCancellable *c, GError **error)
{
  return TRUE;
}

static void
fuzz_disconnect (GbaCardTransport *t)
{
}

static GBytes *
fuzz_transmit (GbaCardTransport *t, guint channel, GBytes *apdu, GCancellable *c, GError **error)
{
  FuzzTransport *self = FUZZ_TRANSPORT (t);
  gsize n;
  GBytes *r;

  if (self->left < 1 || (n = self->p[0]) + 1 > self->left)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_ABSENT, "no more answers");
      return NULL;
    }
  r = g_bytes_new (self->p + 1, n);
  self->p += n + 1, self->left -= n + 1;
  return r;
}

static void
fuzz_transport_class_init (FuzzTransportClass *klass)
{
  GBA_CARD_TRANSPORT_CLASS (klass)->backend = "fuzz";
  GBA_CARD_TRANSPORT_CLASS (klass)->connect = fuzz_connect;
  GBA_CARD_TRANSPORT_CLASS (klass)->disconnect = fuzz_disconnect;
  GBA_CARD_TRANSPORT_CLASS (klass)->transmit = fuzz_transmit;
}

static void
fuzz_transport_init (FuzzTransport *self)
{
}

static void
whole_layer (const guint8 *data, size_t size)
{
  FuzzTransport *t = g_object_new (FUZZ_TYPE, NULL);
  g_autoptr(GbaUicc) uicc = NULL;
  g_autoptr(GError) error = NULL;
  static const guint8 rand[16], autn[16];
  g_autoptr(GBytes) msg = g_bytes_new_static ("\x01\x00\x15\x00", 4);

  t->p = data, t->left = size;
  uicc = gba_uicc_card_new (GBA_CARD_TRANSPORT (t));
  g_object_unref (t);
  if (gba_uicc_card_open (GBA_UICC_CARD (uicc), NULL, &error))
    {
      g_autoptr(GbaAkaResult) r = gba_uicc_authenticate (uicc, rand, autn, NULL, NULL);
      g_autoptr(GBytes) m G_GNUC_UNUSED = gba_uicc_mbms_command (uicc, GBA_UICC_MBMS_MTK_GENERATION, msg, NULL, NULL);
      g_autoptr(GbaAkaResult) u G_GNUC_UNUSED = gba_uicc_gba_bootstrap (uicc, rand, autn, NULL, NULL);
      g_assert (r == NULL || r->status != GBA_AKA_OK || (r->res != NULL && r->ck != NULL && r->ik != NULL));
    }
  else
    g_assert (error != NULL && error->domain == GBA_ERROR);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  const guint8 *d = data + 1;
  gsize n = size > 0 ? size - 1 : 0;

  if (size == 0)
    return 0;
  switch (data[0])
    {
    case 0:
      {
        g_autoptr(GbaAkaResult) r = gba_apdu_parse_auth_3g (d, n, &error);
        g_assert ((r == NULL) == (error != NULL));
        g_assert (r == NULL || r->status != GBA_AKA_OK || gba_secret_get_size (r->ck) == 16);
        break;
      }
    case 1:
      {
        g_autoptr(GbaAkaResult) r = gba_apdu_parse_gba_bootstrap (d, n, &error);
        g_assert ((r == NULL) == (error != NULL));
        break;
      }
    case 2:
      {
        g_autoptr(GbaSecret) k = gba_apdu_parse_naf_derive (d, n, &error);
        g_assert (k == NULL || gba_secret_get_size (k) == 32);
        break;
      }
    case 3:
      {
        g_autoptr(GBytes) b = gba_apdu_parse_mbms_response (d, n, &error);
        g_assert (b == NULL || g_bytes_get_size (b) < n);
        break;
      }
    case 4:
      {
        GbaFcp fcp;
        guint8 aid[GBA_AID_MAX];
        gsize aid_len = 0;
        if (gba_apdu_parse_fcp (d, n, &fcp, &error))
          g_assert (fcp.file_size <= G_MAXUINT32);
        if (gba_apdu_parse_dir_record (d, n, aid, &aid_len))
          g_assert (aid_len >= GBA_USIM_AID_PREFIX_LEN && aid_len <= GBA_AID_MAX);
        break;
      }
    case 5:
      {
        g_autofree char *iccid = gba_apdu_decode_iccid (d, n, NULL);
        g_autofree char *imsi = gba_apdu_decode_imsi (d, n, NULL);
        guint mnc;
        guint8 rand[16];
        g_assert (imsi == NULL || (strlen (imsi) >= 6 && strlen (imsi) <= 15));
        g_assert (iccid == NULL || strlen (iccid) <= 20);
        if (gba_apdu_decode_mnc_len (d, n, &mnc, NULL))
          g_assert (mnc == 2 || mnc == 3);
        gba_apdu_parse_gbabp_rand (d, n, rand, NULL);
        break;
      }
    case 0xFF:
      whole_layer (d, n);
      break;
    default:
      break;
    }
  return 0;
}
