/* The card through a modem's AT port (TS 27.007): echo off (V.250 E0) and numeric +CME
 * errors (8.1 +CMEE=1); the USIM on a logical channel the modem opens (+CCHO 8.45, +CGLA
 * 8.43, +CCHC 8.46) or, when the modem has no +CCHO, on channels mbmsd opens itself through
 * +CSIM (8.17) with MANAGE CHANNEL; +CPIN? (8.3) for PIN state and presence. Unsolicited
 * result codes may come between a command and its answer: a line that is not the answer
 * is skipped. Every command waits at most timeout_ms for its final result code. */
#include "config.h"

#include "gba-at.h"
#include "gba-card.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define AT_MAX_COMMAND 1024 /* characters of one command line; an APDU needs at most 540 */
#define AT_MAX_CHANNELS 20  /* TS 102 221 10.1.1: channels 0-19 */
#define AT_POLL_SLICE_MS 100

struct _GbaCardTransportAt {
  GbaCardTransport parent_instance;
  char            *tty;
  guint            timeout_ms;
  int              fd;
  GbaAtLines      *lines;
  gboolean         csim_channels;             /* the modem has no +CCHO: channels via +CSIM */
  int              session[AT_MAX_CHANNELS];  /* +CCHO session of our channel n, 0 when free */
};

G_DECLARE_FINAL_TYPE (GbaCardTransportAt, gba_card_transport_at, GBA, CARD_TRANSPORT_AT, GbaCardTransport)
G_DEFINE_FINAL_TYPE (GbaCardTransportAt, gba_card_transport_at, GBA_TYPE_CARD_TRANSPORT)

typedef struct {
  GbaAtLineKind kind;
  int           cme;
  GPtrArray    *info; /* the information lines before the final result code */
} AtReply;

static void
at_reply_clear (AtReply *r)
{
  /* the lines of +CGLA/+CSIM answers carry RES, CK, IK in hex */
  for (guint i = 0; r->info != NULL && i < r->info->len; i++)
    gba_wipe (r->info->pdata[i], strlen (r->info->pdata[i]));
  g_clear_pointer (&r->info, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AtReply, at_reply_clear)

static gboolean
write_all (GbaCardTransportAt *self, const char *text, gint64 deadline, GError **error)
{
  gsize len = strlen (text), off = 0;

  while (off < len)
    {
      struct pollfd pfd = { self->fd, POLLOUT, 0 };
      int wait = (int) CLAMP ((deadline - g_get_monotonic_time ()) / 1000, 0, AT_POLL_SLICE_MS);
      ssize_t n;

      if (g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_TIMEOUT, "modem %s: write timed out", self->tty);
          return FALSE;
        }
      if (poll (&pfd, 1, wait) <= 0)
        continue;
      n = write (self->fd, text + off, len - off);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        continue;
      if (n <= 0)
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_ABSENT, "modem %s: write: %s", self->tty, g_strerror (errno));
          return FALSE;
        }
      off += (gsize) n;
    }
  return TRUE;
}

/* Sends one command line and collects lines up to its final result code. */
static gboolean
at_command (GbaCardTransportAt *self, const char *cmd, AtReply *reply, GCancellable *cancellable, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) self->timeout_ms * 1000;
  g_autofree char *line_out = NULL;
  char *stale;

  if (self->fd < 0)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_RESET, "modem %s: not open", self->tty);
      return FALSE;
    }
  if (strlen (cmd) > AT_MAX_COMMAND)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT, "modem command of %zu characters exceeds %d",
                   strlen (cmd), AT_MAX_COMMAND);
      return FALSE;
    }
  /* whatever came before this command (late URCs) is not its answer */
  while ((stale = gba_at_lines_pop (self->lines)) != NULL)
    {
      g_debug ("modem: skipping \"%s\"", stale);
      g_free (stale);
    }
  line_out = g_strconcat (cmd, "\r", NULL);
  if (!write_all (self, line_out, deadline, error))
    return FALSE;
  reply->info = g_ptr_array_new_with_free_func (g_free);
  for (;;)
    {
      char *line;

      while ((line = gba_at_lines_pop (self->lines)) != NULL)
        {
          GbaAtLineKind kind = gba_at_classify (line, &reply->cme);

          if (kind == GBA_AT_LINE_INFO)
            {
              if (strcmp (line, cmd) == 0) /* our echo, if the modem still echoes */
                g_free (line);
              else
                g_ptr_array_add (reply->info, line);
              continue;
            }
          g_free (line);
          reply->kind = kind;
          return TRUE;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_TIMEOUT, "modem %s: no final result for %.12s... in %u ms",
                       self->tty, cmd, self->timeout_ms);
          return FALSE;
        }
      {
        struct pollfd pfd = { self->fd, POLLIN, 0 };
        int wait = (int) CLAMP ((deadline - g_get_monotonic_time ()) / 1000, 0, AT_POLL_SLICE_MS);
        guint8 buf[512];
        ssize_t n;

        if (poll (&pfd, 1, wait) <= 0)
          continue;
        n = read (self->fd, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
          continue;
        if (n <= 0)
          {
            g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_ABSENT, "modem %s: hung up", self->tty);
            return FALSE;
          }
        gba_at_lines_feed (self->lines, buf, (gsize) n);
      }
    }
}

/* The error a failed final result means for the card. */
static gboolean
reply_error (GbaCardTransportAt *self, const char *cmd, const AtReply *r, GError **error)
{
  GbaError code = GBA_ERROR_UICC;

  if (r->kind == GBA_AT_LINE_CME_ERROR)
    switch (r->cme)
      {
      case GBA_AT_CME_SIM_NOT_INSERTED:
      case GBA_AT_CME_SIM_FAILURE:
        code = GBA_ERROR_CARD_ABSENT;
        break;
      case GBA_AT_CME_SIM_PIN_REQUIRED:
      case GBA_AT_CME_SIM_PUK_REQUIRED:
        code = GBA_ERROR_CARD_LOCKED;
        break;
      default:
        break;
      }
  if (r->kind == GBA_AT_LINE_CME_ERROR)
    g_set_error (error, GBA_ERROR, code, "modem %s: %s answered +CME ERROR: %d", self->tty, cmd, r->cme);
  else
    g_set_error (error, GBA_ERROR, code, "modem %s: %s answered ERROR", self->tty, cmd);
  return FALSE;
}

static gboolean
query_cpin (GbaCardTransportAt *self, GbaAtCpin *state, GCancellable *cancellable, GError **error)
{
  g_auto(AtReply) r = { 0 };

  if (!at_command (self, "AT+CPIN?", &r, cancellable, error))
    return FALSE;
  if (r.kind != GBA_AT_LINE_OK)
    return reply_error (self, "AT+CPIN?", &r, error);
  for (guint i = 0; i < r.info->len; i++)
    if (gba_at_parse_cpin (r.info->pdata[i], state))
      return TRUE;
  g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "modem %s: AT+CPIN? gave no +CPIN line", self->tty);
  return FALSE;
}

static void
at_close_fd (GbaCardTransportAt *self)
{
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
  memset (self->session, 0, sizeof self->session);
  g_clear_pointer (&self->lines, gba_at_lines_free);
}

static gboolean
at_open_fd (GbaCardTransportAt *self, GError **error)
{
  struct termios tio;

  if (self->fd >= 0)
    return TRUE;
  self->fd = g_open (self->tty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0);
  if (self->fd < 0)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_ABSENT, "modem %s: %s", self->tty, g_strerror (errno));
      return FALSE;
    }
  /* a raw line: no local echo, no CR/LF translation, no signals */
  if (tcgetattr (self->fd, &tio) == 0)
    {
      cfmakeraw (&tio);
      cfsetispeed (&tio, B115200);
      cfsetospeed (&tio, B115200);
      tio.c_cflag |= CLOCAL | CREAD;
      tcsetattr (self->fd, TCSANOW, &tio);
      tcflush (self->fd, TCIOFLUSH);
    }
  self->lines = gba_at_lines_new ();
  return TRUE;
}

static gboolean
at_connect (GbaCardTransport *transport, GCancellable *cancellable, GError **error)
{
  GbaCardTransportAt *self = GBA_CARD_TRANSPORT_AT (transport);
  g_auto(AtReply) echo = { 0 };
  g_auto(AtReply) cmee = { 0 };
  GbaAtCpin cpin = GBA_AT_CPIN_UNKNOWN;

  if (!at_open_fd (self, error))
    return FALSE;
  /* V.250 6.2.4 E0: no echo; TS 27.007 8.1 +CMEE=1: numeric +CME ERROR codes */
  if (!at_command (self, "ATE0", &echo, cancellable, error) || !at_command (self, "AT+CMEE=1", &cmee, cancellable, error))
    goto fail;
  if (echo.kind != GBA_AT_LINE_OK)
    {
      reply_error (self, "ATE0", &echo, error);
      goto fail;
    }
  if (!query_cpin (self, &cpin, cancellable, error))
    goto fail;
  if (cpin != GBA_AT_CPIN_READY)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_LOCKED,
                   "modem %s: the card wants its PIN (+CPIN not READY); mbmsd never presents one", self->tty);
      goto fail;
    }
  return TRUE;

fail:
  at_close_fd (self);
  return FALSE;
}

static void
at_disconnect (GbaCardTransport *transport)
{
  GbaCardTransportAt *self = GBA_CARD_TRANSPORT_AT (transport);

  for (guint ch = 1; ch < AT_MAX_CHANNELS; ch++)
    if (self->session[ch] > 0 && !self->csim_channels)
      {
        g_autofree char *cmd = g_strdup_printf ("AT+CCHC=%d", self->session[ch]);
        g_auto(AtReply) r = { 0 };
        at_command (self, cmd, &r, NULL, NULL);
      }
  at_close_fd (self);
}

static GBytes *
at_transmit (GbaCardTransport *transport, guint channel, GBytes *apdu, GCancellable *cancellable, GError **error)
{
  GbaCardTransportAt *self = GBA_CARD_TRANSPORT_AT (transport);
  gboolean cgla = channel > 0 && !self->csim_channels;
  g_autoptr(GBytes) sent = NULL;
  g_autofree char *cmd = NULL;
  g_auto(AtReply) r = { 0 };
  gsize len;
  const guint8 *d = g_bytes_get_data (apdu, &len);

  if (channel >= AT_MAX_CHANNELS || len < 4 || (cgla && self->session[channel] <= 0))
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_RESET, "modem %s: channel %u is not open", self->tty, channel);
      return NULL;
    }
  if (!cgla && channel > 0)
    {
      /* +CSIM passes the APDU as it is: the channel goes into CLA here (TS 102 221 10.1.1) */
      g_autofree guint8 *copy = g_memdup2 (d, len);
      copy[0] = (guint8) ((copy[0] & (channel <= 3 ? 0xFC : 0xB0)) | gba_apdu_cla (channel));
      sent = g_bytes_new (copy, len);
    }
  else
    sent = g_bytes_ref (apdu); /* +CGLA: the MT sets the channel bits (27.007 8.45) */
  cmd = gba_at_build_apdu_command (cgla ? self->session[channel] : -1, sent);
  if (!at_command (self, cmd, &r, cancellable, error))
    return NULL;
  if (r.kind != GBA_AT_LINE_OK)
    return reply_error (self, cgla ? "AT+CGLA" : "AT+CSIM", &r, error), NULL;
  for (guint i = 0; i < r.info->len; i++)
    {
      GBytes *answer = NULL;
      g_autoptr(GError) local = NULL;

      if (gba_at_parse_apdu_answer (r.info->pdata[i], cgla ? "+CGLA" : "+CSIM", &answer, &local))
        return answer;
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
    }
  g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "modem %s: no %s line in the answer", self->tty,
               cgla ? "+CGLA" : "+CSIM");
  return NULL;
}

static gboolean
at_open_application (GbaCardTransport *transport, const guint8 *aid, gsize aid_len, guint *channel,
                     GCancellable *cancellable, GError **error)
{
  GbaCardTransportAt *self = GBA_CARD_TRANSPORT_AT (transport);
  g_autoptr(GString) cmd = g_string_new ("AT+CCHO=\"");
  g_auto(AtReply) r = { 0 };

  if (!self->csim_channels)
    {
      for (gsize i = 0; i < aid_len; i++)
        g_string_append_printf (cmd, "%02X", aid[i]);
      g_string_append_c (cmd, '"');
      if (!at_command (self, cmd->str, &r, cancellable, error))
        return FALSE;
      if (r.kind == GBA_AT_LINE_OK)
        for (guint i = 0; i < r.info->len; i++)
          {
            guint session;

            if (!gba_at_parse_ccho (r.info->pdata[i], &session))
              continue;
            for (guint ch = 1; ch < AT_MAX_CHANNELS; ch++)
              if (self->session[ch] == 0)
                {
                  self->session[ch] = (int) session;
                  *channel = ch;
                  g_debug ("modem: +CCHO session %u for the USIM", session);
                  return TRUE;
                }
            g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "modem %s: no free channel slot", self->tty);
            return FALSE;
          }
      if (r.kind == GBA_AT_LINE_CME_ERROR && (r.cme == GBA_AT_CME_SIM_NOT_INSERTED || r.cme == GBA_AT_CME_SIM_FAILURE
                                              || r.cme == GBA_AT_CME_SIM_PIN_REQUIRED))
        return reply_error (self, "AT+CCHO", &r, error);
      g_message ("modem %s: no usable +CCHO; opening channels through +CSIM", self->tty);
      self->csim_channels = TRUE;
    }
  return GBA_CARD_TRANSPORT_CLASS (gba_card_transport_at_parent_class)
      ->open_application (transport, aid, aid_len, channel, cancellable, error);
}

static void
at_close_application (GbaCardTransport *transport, guint channel)
{
  GbaCardTransportAt *self = GBA_CARD_TRANSPORT_AT (transport);

  if (channel == 0 || channel >= AT_MAX_CHANNELS)
    return;
  if (self->csim_channels)
    GBA_CARD_TRANSPORT_CLASS (gba_card_transport_at_parent_class)->close_application (transport, channel);
  else if (self->session[channel] > 0)
    {
      g_autofree char *cmd = g_strdup_printf ("AT+CCHC=%d", self->session[channel]);
      g_auto(AtReply) r = { 0 };
      at_command (self, cmd, &r, NULL, NULL);
    }
  self->session[channel] = 0;
}

/* +CPIN? on the open line (the line is opened when needed): READY or a PIN request means a
 * card is there; +CME ERROR 10 (or no modem) means none. */
static gboolean
at_wait_presence (GbaCardTransport *transport, gboolean was_present, guint timeout_ms)
{
  GbaCardTransportAt *self = GBA_CARD_TRANSPORT_AT (transport);
  GbaAtCpin cpin;
  gboolean was_open = self->fd >= 0;
  gboolean present;

  if (!at_open_fd (self, NULL))
    return FALSE;
  present = query_cpin (self, &cpin, NULL, NULL);
  if (!was_open)
    at_close_fd (self);
  return present;
}

static void
gba_card_transport_at_finalize (GObject *object)
{
  GbaCardTransportAt *self = GBA_CARD_TRANSPORT_AT (object);

  at_close_fd (self);
  g_free (self->tty);
  G_OBJECT_CLASS (gba_card_transport_at_parent_class)->finalize (object);
}

static void
gba_card_transport_at_class_init (GbaCardTransportAtClass *klass)
{
  GbaCardTransportClass *t = GBA_CARD_TRANSPORT_CLASS (klass);

  t->backend = "at";
  t->connect = at_connect;
  t->disconnect = at_disconnect;
  t->transmit = at_transmit;
  t->open_application = at_open_application;
  t->close_application = at_close_application;
  t->wait_presence = at_wait_presence;
  G_OBJECT_CLASS (klass)->finalize = gba_card_transport_at_finalize;
}

static void
gba_card_transport_at_init (GbaCardTransportAt *self)
{
  self->fd = -1;
}

GbaCardTransport *
gba_card_transport_at_new (const char *tty, guint timeout_ms)
{
  GbaCardTransportAt *self = g_object_new (gba_card_transport_at_get_type (), NULL);

  self->tty = g_strdup (tty);
  self->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
  return GBA_CARD_TRANSPORT (self);
}
