/* The card transport base: T=0 response handling over any transport, and the default way
 * to open an application on a logical channel (MANAGE CHANNEL, then SELECT by DF name). */
#include "gba-card.h"

#include <string.h>

G_DEFINE_ABSTRACT_TYPE (GbaCardTransport, gba_card_transport, G_TYPE_OBJECT)

#define MAX_GET_RESPONSE_ROUNDS 256 /* 64 KiB of 256-byte answers */

void
gba_card_bytes_wipe (GBytes *bytes)
{
  if (bytes != NULL)
    gba_wipe ((void *) g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

const char *
gba_card_transport_get_backend (GbaCardTransport *self)
{
  g_return_val_if_fail (GBA_IS_CARD_TRANSPORT (self), NULL);
  return GBA_CARD_TRANSPORT_GET_CLASS (self)->backend;
}

static GBytes *
transmit (GbaCardTransport *self, guint channel, GBytes *apdu, GCancellable *cancellable, GError **error)
{
  GBytes *resp = GBA_CARD_TRANSPORT_GET_CLASS (self)->transmit (self, channel, apdu, cancellable, error);
  gsize dlen;
  guint16 sw;

  if (resp != NULL && !gba_apdu_split (g_bytes_get_data (resp, NULL), g_bytes_get_size (resp), &dlen, &sw))
    {
      g_bytes_unref (resp);
      g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "card answer without status word");
      return NULL;
    }
  return resp;
}

GBytes *
gba_card_exchange (GbaCardTransport *self, guint channel, GBytes *apdu, GCancellable *cancellable, GError **error)
{
  g_autoptr(GBytes) resp = transmit (self, channel, apdu, cancellable, error);
  g_autoptr(GByteArray) joined = NULL;
  const guint8 *cmd = g_bytes_get_data (apdu, NULL);
  gsize cmd_len = g_bytes_get_size (apdu), dlen;
  guint16 sw;

  if (resp == NULL)
    return NULL;
  gba_apdu_split (g_bytes_get_data (resp, NULL), g_bytes_get_size (resp), &dlen, &sw);
  if ((sw >> 8) == GBA_SW1_WRONG_LE && cmd_len == 5)
    {
      /* 6Cxx answers a case 2 command (header and Le): the same command, Le = xx */
      guint8 again[5] = { cmd[0], cmd[1], cmd[2], cmd[3], (guint8) (sw & 0xFF) };
      g_autoptr(GBytes) again_apdu = g_bytes_new (again, sizeof again);

      g_clear_pointer (&resp, g_bytes_unref);
      resp = transmit (self, channel, again_apdu, cancellable, error);
      if (resp == NULL)
        return NULL;
      gba_apdu_split (g_bytes_get_data (resp, NULL), g_bytes_get_size (resp), &dlen, &sw);
    }
  for (guint round = 0; (sw >> 8) == GBA_SW1_RESPONSE_BYTES; round++)
    {
      g_autoptr(GBytes) get = NULL;

      if (joined == NULL)
        {
          joined = g_byte_array_new ();
          g_byte_array_append (joined, g_bytes_get_data (resp, NULL), (guint) dlen);
        }
      if (round >= MAX_GET_RESPONSE_ROUNDS || joined->len > GBA_CARD_MAX_RESPONSE)
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "card keeps answering 61xx past %d bytes",
                       GBA_CARD_MAX_RESPONSE);
          return NULL;
        }
      get = gba_apdu_build (0x00, GBA_APDU_INS_GET_RESPONSE, 0, 0, NULL, 0, sw & 0xFF);
      gba_card_bytes_wipe (resp);
      g_clear_pointer (&resp, g_bytes_unref);
      resp = transmit (self, channel, get, cancellable, error);
      if (resp == NULL)
        return NULL;
      gba_apdu_split (g_bytes_get_data (resp, NULL), g_bytes_get_size (resp), &dlen, &sw);
      g_byte_array_append (joined, g_bytes_get_data (resp, NULL), (guint) dlen);
    }
  if (joined != NULL)
    {
      guint8 swb[2] = { (guint8) (sw >> 8), (guint8) sw };
      gba_card_bytes_wipe (resp);
      g_byte_array_append (joined, swb, 2);
      return g_byte_array_free_to_bytes (g_steal_pointer (&joined));
    }
  return g_steal_pointer (&resp);
}

static gboolean
default_open_application (GbaCardTransport *self, const guint8 *aid, gsize aid_len, guint *channel,
                          GCancellable *cancellable, GError **error)
{
  /* TS 102 221 11.1.17: MANAGE CHANNEL open, P2 = 0: the card assigns the channel (Le = 1) */
  g_autoptr(GBytes) open = gba_apdu_build (0x00, GBA_APDU_INS_MANAGE_CHANNEL, 0x00, 0x00, NULL, 0, 1);
  g_autoptr(GBytes) resp = gba_card_exchange (self, 0, open, cancellable, error);
  g_autoptr(GBytes) select = NULL;
  const guint8 *d;
  gsize dlen;
  guint16 sw;

  if (resp == NULL)
    return FALSE;
  d = g_bytes_get_data (resp, NULL);
  gba_apdu_split (d, g_bytes_get_size (resp), &dlen, &sw);
  if (sw != GBA_SW_OK || dlen != 1 || d[0] == 0 || d[0] > 19)
    {
      if (sw != GBA_SW_OK)
        gba_apdu_set_sw_error (error, "MANAGE CHANNEL", sw);
      else
        g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "MANAGE CHANNEL: no usable channel number in the answer");
      return FALSE;
    }
  *channel = d[0];
  /* SELECT by DF name, P2 = 04: return the FCP template (11.1.1.2) */
  select = gba_apdu_build (0x00, GBA_APDU_INS_SELECT, 0x04, 0x04, aid, aid_len, 0);
  g_clear_pointer (&resp, g_bytes_unref);
  resp = gba_card_exchange (self, *channel, select, cancellable, error);
  if (resp == NULL)
    return FALSE;
  gba_apdu_split (g_bytes_get_data (resp, NULL), g_bytes_get_size (resp), &dlen, &sw);
  if (sw != GBA_SW_OK)
    {
      gba_apdu_set_sw_error (error, "SELECT USIM", sw);
      GBA_CARD_TRANSPORT_GET_CLASS (self)->close_application (self, *channel);
      return FALSE;
    }
  return TRUE;
}

static void
default_close_application (GbaCardTransport *self, guint channel)
{
  /* MANAGE CHANNEL close, P1 = 80, P2 = the channel */
  g_autoptr(GBytes) close = gba_apdu_build (0x00, GBA_APDU_INS_MANAGE_CHANNEL, 0x80, (guint8) channel, NULL, 0, -1);
  g_autoptr(GBytes) resp = NULL;

  if (channel == 0)
    return;
  resp = gba_card_exchange (self, 0, close, NULL, NULL);
}

static void
gba_card_transport_class_init (GbaCardTransportClass *klass)
{
  klass->open_application = default_open_application;
  klass->close_application = default_close_application;
}

static void
gba_card_transport_init (GbaCardTransport *self)
{
}
