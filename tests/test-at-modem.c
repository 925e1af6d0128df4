/* The AT transport against a scripted modem on a pty, and the AT parsers (TS 27.007 8.3,
 * 8.17, 8.43, 8.45, 9.2; V.250 result codes). The modem variants are the ones the field
 * has: echo left on, unsolicited result codes between a command and its answer, +CCHO
 * answering a bare session id (as 8.45 says) or "+CCHO: n", no +CCHO at all (channels then
 * through +CSIM), a card that wants its PIN, a modem that never answers. */
#include "gba-at.h"
#include "gba-card.h"
#include "test-util.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

typedef struct {
  const char *command; /* the line the modem must get; NULL ends the script */
  const char *answer;  /* written back as is ("\r\n" separated lines), NULL: silence */
} ModemStep;

typedef struct {
  int              master;
  int              slave_fd; /* held open: a pty whose slave was never open hangs up the master */
  const ModemStep *steps;
  GString         *mismatch;
  GThread         *thread;
  char             slave[128];
} Modem;

static gpointer
modem_thread (gpointer data)
{
  Modem *m = data;
  g_autoptr(GString) line = g_string_new (NULL);

  for (const ModemStep *step = m->steps; step->command != NULL;)
    {
      struct pollfd pfd = { m->master, POLLIN, 0 };
      char c;

      if (poll (&pfd, 1, 5000) <= 0 || read (m->master, &c, 1) != 1)
        {
          g_string_append_printf (m->mismatch, "modem: no command where %s was due; ", step->command);
          return NULL;
        }
      if (c != '\r')
        {
          g_string_append_c (line, c);
          continue;
        }
      if (strcmp (line->str, step->command) != 0)
        g_string_append_printf (m->mismatch, "modem got \"%s\", expected \"%s\"; ", line->str, step->command);
      if (step->answer != NULL && write (m->master, step->answer, strlen (step->answer)) < 0)
        g_string_append (m->mismatch, "modem: write failed; ");
      g_string_truncate (line, 0);
      step++;
    }
  return NULL;
}

static Modem *
modem_new (const ModemStep *steps)
{
  Modem *m = g_new0 (Modem, 1);
  int slave;
  struct termios tio;

  g_assert_cmpint (openpty (&m->master, &slave, m->slave, NULL, NULL), ==, 0);
  tcgetattr (slave, &tio);
  cfmakeraw (&tio);
  tcsetattr (slave, TCSANOW, &tio);
  m->slave_fd = slave;
  m->steps = steps;
  m->mismatch = g_string_new (NULL);
  m->thread = g_thread_new ("modem", modem_thread, m);
  return m;
}

static void
modem_finish (Modem *m)
{
  g_thread_join (m->thread);
  g_assert_cmpstr (m->mismatch->str, ==, "");
  g_string_free (m->mismatch, TRUE);
  close (m->master);
  close (m->slave_fd);
  g_free (m);
}

#define INIT_STEPS                                                                                                     \
  { "ATE0", "ATE0\r\r\nOK\r\n" }, { "AT+CMEE=1", "\r\nOK\r\n" }, { "AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n" }

static const guint8 usim_aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02 };

static GBytes *
transmit (GbaCardTransport *t, guint channel, const char *hex, GError **error)
{
  g_autoptr(GBytes) apdu = gba_hex_to_bytes (hex, NULL);

  return GBA_CARD_TRANSPORT_GET_CLASS (t)->transmit (t, channel, apdu, NULL, error);
}

static void
assert_bytes_hex (GBytes *b, const char *hex)
{
  g_autoptr(GBytes) want = gba_hex_to_bytes (hex, NULL);

  g_assert_nonnull (b);
  g_assert_true (g_bytes_equal (b, want));
}

/* Echo still on after ATE0 (the modem echoes the ATE0 itself), URCs in between, "+CCHO: n" */
static void
test_ccho_prefixed_urcs_and_cgla (void)
{
  static const ModemStep steps[] = {
    INIT_STEPS,
    { "AT+CCHO=\"A0000000871002\"", "\r\n+CREG: 1\r\n\r\n+CCHO: 3\r\n\r\nOK\r\n" },
    { "AT+CGLA=3,10,\"00B0000009\"", "\r\n+CGLA: 22,\"0809101010325476989000\"\r\n\r\n+CIEV: 2,3\r\nOK\r\n" },
    { "AT+CSIM=10,\"00A4000402\"", "\r\n+CSIM: 4,\"6A82\"\r\n\r\nOK\r\n" },
    { "AT+CCHC=3", "\r\nOK\r\n" },
    { NULL, NULL },
  };
  Modem *m = modem_new (steps);
  g_autoptr(GbaCardTransport) t = gba_card_transport_at_new (m->slave, 3000);
  GbaCardTransportClass *k = GBA_CARD_TRANSPORT_GET_CLASS (t);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) r1 = NULL;
  g_autoptr(GBytes) r2 = NULL;
  guint channel = 0;

  g_assert_true (k->connect (t, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (k->open_application (t, usim_aid, sizeof usim_aid, &channel, NULL, &error));
  g_assert_cmpuint (channel, ==, 1); /* our handle; the modem's session 3 behind it */
  r1 = transmit (t, channel, "00B0000009", &error);
  g_assert_no_error (error);
  assert_bytes_hex (r1, "0809101010325476989000");
  r2 = transmit (t, 0, "00A4000402", &error); /* the basic channel goes through +CSIM */
  assert_bytes_hex (r2, "6A82");
  k->disconnect (t);
  modem_finish (m);
}

/* 27.007 8.45: the bare <sessionid>; no +CCHO at all: MANAGE CHANNEL through +CSIM, the
 * channel then in CLA of each +CSIM APDU (TS 102 221 10.1.1) */
static void
test_bare_session_and_csim_fallback (void)
{
  static const ModemStep bare[] = {
    INIT_STEPS,
    { "AT+CCHO=\"A0000000871002\"", "\r\n7\r\n\r\nOK\r\n" },
    { "AT+CGLA=7,8,\"00200001\"", "\r\n+CGLA: 4,\"63C3\"\r\n\r\nOK\r\n" },
    { NULL, NULL },
  };
  static const ModemStep none[] = {
    INIT_STEPS,
    { "AT+CCHO=\"A0000000871002\"", "\r\n+CME ERROR: 4\r\n" },
    { "AT+CSIM=10,\"0070000001\"", "\r\n+CSIM: 6,\"029000\"\r\n\r\nOK\r\n" },
    { "AT+CSIM=26,\"02A4040407A000000087100200\"", "\r\n+CSIM: 4,\"9000\"\r\n\r\nOK\r\n" },
    { "AT+CSIM=8,\"02200001\"", "\r\n+CSIM: 4,\"9000\"\r\n\r\nOK\r\n" },
    { NULL, NULL },
  };
  g_autoptr(GError) error = NULL;
  guint channel = 0;

  {
    Modem *m = modem_new (bare);
    g_autoptr(GbaCardTransport) t = gba_card_transport_at_new (m->slave, 3000);
    g_autoptr(GBytes) r = NULL;

    g_assert_true (GBA_CARD_TRANSPORT_GET_CLASS (t)->connect (t, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (GBA_CARD_TRANSPORT_GET_CLASS (t)->open_application (t, usim_aid, sizeof usim_aid, &channel, NULL,
                                                                       &error));
    r = transmit (t, channel, "00200001", &error);
    assert_bytes_hex (r, "63C3");
    g_clear_object (&t);
    modem_finish (m);
  }
  {
    Modem *m = modem_new (none);
    g_autoptr(GbaCardTransport) t = gba_card_transport_at_new (m->slave, 3000);
    g_autoptr(GBytes) r = NULL;

    g_assert_true (GBA_CARD_TRANSPORT_GET_CLASS (t)->connect (t, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (GBA_CARD_TRANSPORT_GET_CLASS (t)->open_application (t, usim_aid, sizeof usim_aid, &channel, NULL,
                                                                       &error));
    g_assert_no_error (error);
    g_assert_cmpuint (channel, ==, 2);
    r = transmit (t, channel, "00200001", &error);
    assert_bytes_hex (r, "9000");
    g_clear_object (&t);
    modem_finish (m);
  }
}

static void
test_pin_and_absent_and_timeout (void)
{
  static const ModemStep pin[] = {
    { "ATE0", "\r\nOK\r\n" }, { "AT+CMEE=1", "\r\nOK\r\n" }, { "AT+CPIN?", "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n" },
    { NULL, NULL },
  };
  static const ModemStep absent[] = {
    { "ATE0", "\r\nOK\r\n" }, { "AT+CMEE=1", "\r\nOK\r\n" }, { "AT+CPIN?", "\r\n+CME ERROR: 10\r\n" },
    { NULL, NULL },
  };
  static const ModemStep silent[] = { { "ATE0", NULL }, { NULL, NULL } };
  const ModemStep *scripts[] = { pin, absent, silent };
  const int codes[] = { GBA_ERROR_CARD_LOCKED, GBA_ERROR_CARD_ABSENT, GBA_ERROR_TIMEOUT };
  /* generous where the modem answers (a loaded machine, sanitizers), short where it is silent */
  const guint timeouts[] = { 4000, 4000, 400 };

  for (guint i = 0; i < G_N_ELEMENTS (scripts); i++)
    {
      Modem *m = modem_new (scripts[i]);
      g_autoptr(GbaCardTransport) t = gba_card_transport_at_new (m->slave, timeouts[i]);
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();

      g_assert_false (GBA_CARD_TRANSPORT_GET_CLASS (t)->connect (t, NULL, &error));
      g_assert_error (error, GBA_ERROR, codes[i]);
      g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * timeouts[i] * 1000);
      g_clear_object (&t);
      modem_finish (m);
    }
}

static void
test_parsers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaAtLines) lines = gba_at_lines_new ();
  GBytes *apdu = NULL;
  guint session;
  GbaAtCpin cpin;
  int cme;
  char *l;
  g_autofree char *huge = g_strnfill (GBA_AT_MAX_LINE + 10, 'A');

  gba_at_lines_feed (lines, (const guint8 *) "\r\n+CSIM: 4,\"90", 14);
  g_assert_null (gba_at_lines_pop (lines));
  gba_at_lines_feed (lines, (const guint8 *) "00\"\r\nOK\r", 8);
  l = gba_at_lines_pop (lines);
  g_assert_cmpstr (l, ==, "+CSIM: 4,\"9000\"");
  g_free (l);
  l = gba_at_lines_pop (lines);
  g_assert_cmpstr (l, ==, "OK");
  g_free (l);
  gba_at_lines_feed (lines, (const guint8 *) huge, strlen (huge));
  gba_at_lines_feed (lines, (const guint8 *) "\nOK\n", 4);
  l = gba_at_lines_pop (lines);
  g_assert_cmpstr (l, ==, "OK"); /* the overlong line is gone, the next one is whole */
  g_free (l);
  g_assert_cmpuint (gba_at_lines_dropped (lines), ==, 1);

  g_assert_cmpint (gba_at_classify ("+CME ERROR: 10", &cme), ==, GBA_AT_LINE_CME_ERROR);
  g_assert_cmpint (cme, ==, 10);
  g_assert_cmpint (gba_at_classify ("+CME ERROR: SIM not inserted", &cme), ==, GBA_AT_LINE_CME_ERROR);
  g_assert_cmpint (cme, ==, 10);
  g_assert_cmpint (gba_at_classify ("ERROR", &cme), ==, GBA_AT_LINE_ERROR);
  g_assert_cmpint (gba_at_classify ("+CREG: 1", &cme), ==, GBA_AT_LINE_INFO);

  g_assert_true (gba_at_parse_ccho ("5", &session));
  g_assert_cmpuint (session, ==, 5);
  g_assert_true (gba_at_parse_ccho ("+CCHO: 12", &session));
  g_assert_cmpuint (session, ==, 12);
  g_assert_false (gba_at_parse_ccho ("0", &session));
  g_assert_false (gba_at_parse_ccho ("+CREG: 1", &session));
  g_assert_false (gba_at_parse_ccho ("", &session));

  g_assert_true (gba_at_parse_cpin ("+CPIN: READY", &cpin));
  g_assert_cmpint (cpin, ==, GBA_AT_CPIN_READY);
  g_assert_true (gba_at_parse_cpin ("+CPIN: SIM PUK", &cpin));
  g_assert_cmpint (cpin, ==, GBA_AT_CPIN_LOCKED);

  g_assert_false (gba_at_parse_apdu_answer ("+CREG: 1", "+CSIM", &apdu, &error));
  g_assert_no_error (error);
  /* the length must count the hex characters; the hex must be whole octets in one string */
  for (guint i = 0; i < 6; i++)
    {
      static const char *bad[] = { "+CSIM: 6,\"9000\"", "+CSIM: 4,\"900\"", "+CSIM: 4,\"90G0\"", "+CSIM: 4,9000\"",
                                   "+CSIM: ,\"9000\"", "+CSIM: 4,\"9000\"x" };
      g_assert_false (gba_at_parse_apdu_answer (bad[i], "+CSIM", &apdu, &error));
      g_assert_error (error, GBA_ERROR, GBA_ERROR_UICC);
      g_clear_error (&error);
    }
  g_assert_true (gba_at_parse_apdu_answer ("+CGLA: 4,9000", "+CGLA", &apdu, &error)); /* unquoted, as some send */
  g_bytes_unref (apdu);
  {
    g_autoptr(GBytes) cmd = gba_hex_to_bytes ("00B0000009", NULL);
    g_autofree char *csim = gba_at_build_apdu_command (-1, cmd);
    g_autofree char *cgla = gba_at_build_apdu_command (2, cmd);
    g_assert_cmpstr (csim, ==, "AT+CSIM=10,\"00B0000009\"");
    g_assert_cmpstr (cgla, ==, "AT+CGLA=2,10,\"00B0000009\"");
  }
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/gba/at/parsers", test_parsers);
  g_test_add_func ("/gba/at/ccho-prefixed-urcs-and-cgla", test_ccho_prefixed_urcs_and_cgla);
  g_test_add_func ("/gba/at/bare-session-and-csim-fallback", test_bare_session_and_csim_fallback);
  g_test_add_func ("/gba/at/pin-absent-timeout", test_pin_and_absent_and_timeout);
  return g_test_run ();
}
