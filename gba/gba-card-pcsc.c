/* PC/SC (pcsc-lite) card transport: one context and one connection, used from the card
 * thread only (GbaUiccCard), a transaction around each command sequence, the logical
 * channel in CLA (TS 102 221 10.1.1), reset and removal reported so the USIM layer connects
 * and selects again, and reader events through SCardGetStatusChange. */
#include "config.h"

#include "gba-card.h"

#ifdef MBMSD_HAVE_PCSC

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>
#include <string.h>

#define PCSC_MAX_RESPONSE (258 + 2) /* a short APDU's 256 data bytes, SW, slack */

struct _GbaCardTransportPcsc {
  GbaCardTransport parent_instance;
  char            *reader_wanted; /* NULL: the first reader with a card */
  char            *reader;        /* the one connected */
  SCARDCONTEXT     ctx;
  gboolean         have_ctx;
  SCARDHANDLE      card;
  gboolean         connected;
  DWORD            protocol;
  gboolean         in_transaction;
};

G_DECLARE_FINAL_TYPE (GbaCardTransportPcsc, gba_card_transport_pcsc, GBA, CARD_TRANSPORT_PCSC, GbaCardTransport)
G_DEFINE_FINAL_TYPE (GbaCardTransportPcsc, gba_card_transport_pcsc, GBA_TYPE_CARD_TRANSPORT)

static gboolean
pcsc_fail (GError **error, const char *what, LONG rv)
{
  GbaError code = GBA_ERROR_UICC;

  switch (rv)
    {
    case SCARD_W_RESET_CARD:
      code = GBA_ERROR_CARD_RESET;
      break;
    case SCARD_W_REMOVED_CARD:
    case SCARD_E_NO_SMARTCARD:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_E_READER_UNAVAILABLE:
    case SCARD_E_NO_READERS_AVAILABLE:
    case SCARD_E_UNKNOWN_READER:
      code = GBA_ERROR_CARD_ABSENT;
      break;
    default:
      break;
    }
  g_set_error (error, GBA_ERROR, code, "PC/SC %s: %s (0x%08lX)", what, pcsc_stringify_error (rv), (unsigned long) rv);
  return FALSE;
}

static gboolean
ensure_context (GbaCardTransportPcsc *self, GError **error)
{
  LONG rv;

  if (self->have_ctx)
    {
      if (SCardIsValidContext (self->ctx) == SCARD_S_SUCCESS)
        return TRUE;
      SCardReleaseContext (self->ctx);
      self->have_ctx = FALSE;
    }
  rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &self->ctx);
  if (rv != SCARD_S_SUCCESS)
    {
      /* pcscd not running is a missing card as far as mbmsd is concerned: it may come */
      if (rv == SCARD_E_NO_SERVICE)
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_ABSENT, "PC/SC: pcscd is not running");
          return FALSE;
        }
      return pcsc_fail (error, "SCardEstablishContext", rv);
    }
  self->have_ctx = TRUE;
  return TRUE;
}

/* The readers pcscd knows, as a NULL-terminated list. */
static GStrv
list_readers (GbaCardTransportPcsc *self, GError **error)
{
  DWORD len = 0;
  g_autofree char *buf = NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  LONG rv = SCardListReaders (self->ctx, NULL, NULL, &len);

  if (rv == SCARD_S_SUCCESS && len > 0 && len < 65536)
    {
      buf = g_malloc0 (len + 1);
      rv = SCardListReaders (self->ctx, NULL, buf, &len);
    }
  if (rv != SCARD_S_SUCCESS)
    return pcsc_fail (error, "SCardListReaders", rv), NULL;
  for (const char *p = buf; p != NULL && *p != '\0' && p < buf + len; p += strlen (p) + 1)
    g_strv_builder_add (b, p);
  return g_strv_builder_end (b);
}

static gboolean
pcsc_connect (GbaCardTransport *transport, GCancellable *cancellable, GError **error)
{
  GbaCardTransportPcsc *self = GBA_CARD_TRANSPORT_PCSC (transport);
  g_auto(GStrv) readers = NULL;
  LONG rv = SCARD_E_NO_SMARTCARD;

  if (self->connected)
    return TRUE;
  if (!ensure_context (self, error) || (readers = list_readers (self, error)) == NULL)
    return FALSE;
  for (guint i = 0; readers[i] != NULL; i++)
    {
      if (self->reader_wanted != NULL && g_strcmp0 (self->reader_wanted, readers[i]) != 0)
        continue;
      rv = SCardConnect (self->ctx, readers[i], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                         &self->card, &self->protocol);
      if (rv == SCARD_S_SUCCESS)
        {
          g_free (self->reader);
          self->reader = g_strdup (readers[i]);
          self->connected = TRUE;
          g_debug ("PC/SC: connected to \"%s\" with T=%d", self->reader, self->protocol == SCARD_PROTOCOL_T0 ? 0 : 1);
          return TRUE;
        }
    }
  if (readers[0] == NULL)
    rv = SCARD_E_NO_READERS_AVAILABLE;
  else if (self->reader_wanted != NULL && !g_strv_contains ((const char *const *) readers, self->reader_wanted))
    rv = SCARD_E_UNKNOWN_READER;
  return pcsc_fail (error, "SCardConnect", rv);
}

static void
pcsc_disconnect (GbaCardTransport *transport)
{
  GbaCardTransportPcsc *self = GBA_CARD_TRANSPORT_PCSC (transport);

  if (!self->connected)
    return;
  if (self->in_transaction)
    SCardEndTransaction (self->card, SCARD_LEAVE_CARD);
  self->in_transaction = FALSE;
  /* SCARD_RESET_CARD: our logical channel and PIN state go with us */
  SCardDisconnect (self->card, SCARD_RESET_CARD);
  self->connected = FALSE;
}

static gboolean
pcsc_begin (GbaCardTransport *transport, GError **error)
{
  GbaCardTransportPcsc *self = GBA_CARD_TRANSPORT_PCSC (transport);
  LONG rv;

  if (!self->connected)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_RESET, "PC/SC: not connected");
      return FALSE;
    }
  rv = SCardBeginTransaction (self->card);
  if (rv != SCARD_S_SUCCESS)
    return pcsc_fail (error, "SCardBeginTransaction", rv);
  self->in_transaction = TRUE;
  return TRUE;
}

static void
pcsc_end (GbaCardTransport *transport)
{
  GbaCardTransportPcsc *self = GBA_CARD_TRANSPORT_PCSC (transport);

  if (self->in_transaction && self->connected)
    SCardEndTransaction (self->card, SCARD_LEAVE_CARD);
  self->in_transaction = FALSE;
}

static GBytes *
pcsc_transmit (GbaCardTransport *transport, guint channel, GBytes *apdu, GCancellable *cancellable, GError **error)
{
  GbaCardTransportPcsc *self = GBA_CARD_TRANSPORT_PCSC (transport);
  gsize len;
  const guint8 *cmd = g_bytes_get_data (apdu, &len);
  g_autofree guint8 *buf = g_memdup2 (cmd, len);
  guint8 resp[PCSC_MAX_RESPONSE];
  DWORD rlen = sizeof resp;
  LONG rv;

  if (!self->connected)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_RESET, "PC/SC: not connected");
      return NULL;
    }
  if (len < 4 || channel > 19)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT, "PC/SC: bad APDU or channel %u", channel);
      return NULL;
    }
  buf[0] = (guint8) ((buf[0] & (channel <= 3 ? 0xFC : 0xB0)) | gba_apdu_cla (channel));
  rv = SCardTransmit (self->card, self->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1, buf,
                      (DWORD) len, NULL, resp, &rlen);
  if (rv != SCARD_S_SUCCESS)
    {
      if (rv == SCARD_W_RESET_CARD || rv == SCARD_W_REMOVED_CARD)
        self->in_transaction = FALSE;
      return pcsc_fail (error, "SCardTransmit", rv), NULL;
    }
  {
    GBytes *answer = g_bytes_new (resp, rlen);
    gba_wipe (resp, rlen);
    gba_wipe (buf, len);
    return answer;
  }
}

static gboolean
pcsc_wait_presence (GbaCardTransport *transport, gboolean was_present, guint timeout_ms)
{
  GbaCardTransportPcsc *self = GBA_CARD_TRANSPORT_PCSC (transport);
  g_auto(GStrv) readers = NULL;
  SCARD_READERSTATE state = { 0 };
  LONG rv;

  if (!ensure_context (self, NULL) || (readers = list_readers (self, NULL)) == NULL)
    return FALSE;
  for (guint i = 0; readers[i] != NULL; i++)
    {
      if (self->reader_wanted != NULL && g_strcmp0 (self->reader_wanted, readers[i]) != 0)
        continue;
      state.szReader = readers[i];
      state.dwCurrentState = SCARD_STATE_UNAWARE;
      rv = SCardGetStatusChange (self->ctx, timeout_ms, &state, 1);
      if (rv == SCARD_S_SUCCESS && (state.dwEventState & SCARD_STATE_PRESENT)
          && !(state.dwEventState & SCARD_STATE_MUTE))
        {
          /* a card that came back under the same connection was reset: the next command
           * says so, and the USIM layer selects again */
          return TRUE;
        }
    }
  return FALSE;
}

static void
gba_card_transport_pcsc_finalize (GObject *object)
{
  GbaCardTransportPcsc *self = GBA_CARD_TRANSPORT_PCSC (object);

  pcsc_disconnect (GBA_CARD_TRANSPORT (self));
  if (self->have_ctx)
    SCardReleaseContext (self->ctx);
  g_free (self->reader_wanted);
  g_free (self->reader);
  G_OBJECT_CLASS (gba_card_transport_pcsc_parent_class)->finalize (object);
}

static void
gba_card_transport_pcsc_class_init (GbaCardTransportPcscClass *klass)
{
  GbaCardTransportClass *t = GBA_CARD_TRANSPORT_CLASS (klass);

  t->backend = "pcsc";
  t->connect = pcsc_connect;
  t->disconnect = pcsc_disconnect;
  t->begin = pcsc_begin;
  t->end = pcsc_end;
  t->transmit = pcsc_transmit;
  t->wait_presence = pcsc_wait_presence;
  G_OBJECT_CLASS (klass)->finalize = gba_card_transport_pcsc_finalize;
}

static void
gba_card_transport_pcsc_init (GbaCardTransportPcsc *self)
{
}

GbaCardTransport *
gba_card_transport_pcsc_new (const char *reader, GError **error)
{
  GbaCardTransportPcsc *self = g_object_new (gba_card_transport_pcsc_get_type (), NULL);

  self->reader_wanted = reader != NULL && reader[0] != '\0' ? g_strdup (reader) : NULL;
  return GBA_CARD_TRANSPORT (self);
}

gboolean
gba_card_transport_pcsc_available (void)
{
  return TRUE;
}

#else /* !MBMSD_HAVE_PCSC */

GbaCardTransport *
gba_card_transport_pcsc_new (const char *reader, GError **error)
{
  g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "this build of mbmsd has no PC/SC backend (meson -Dpcsc=enabled)");
  return NULL;
}

gboolean
gba_card_transport_pcsc_available (void)
{
  return FALSE;
}

#endif
