/* MIKEY reception: cheap checks before MGV-F, budgets of MGV-F failures per socket and source,
 * trusted sources heard through floods, drops counted per reason, exclusive sockets, session
 * destinations on their own sockets (or joined on a wildcard push socket), replies to the
 * source. The owner's MGV-F is played by the test: it accepts the datagrams it was told are
 * real and refuses the rest as unauthenticated. */
#include "mbms-mikey-receiver.h"
#include "mgv.h"
#include "test-util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
  GPtrArray      *seen;        /* destinations ("" for the push socket) */
  GSocketAddress *last_from;
  GPtrArray      *real;        /* GBytes the test's MGV-F accepts */
  guint           accepted;
} Seen;

static MbmsMikeyVerdict
on_datagram (GBytes *datagram, GSocketAddress *source, const char *destination, gpointer data)
{
  Seen *s = data;

  g_ptr_array_add (s->seen, g_strdup (destination ? destination : ""));
  g_clear_object (&s->last_from);
  s->last_from = g_object_ref (source);
  if (s->real != NULL && g_ptr_array_find_with_equal_func (s->real, datagram, g_bytes_equal, NULL))
    {
      s->accepted++;
      return MBMS_MIKEY_ACCEPTED;
    }
  return MBMS_MIKEY_NOT_AUTHENTICATED;
}

static void
seen_clear (Seen *s)
{
  g_clear_object (&s->last_from);
  g_clear_pointer (&s->seen, g_ptr_array_unref);
  g_clear_pointer (&s->real, g_ptr_array_unref);
}

/* A well-formed MTK message (TS 33.246 6.4.3) under a random MSK: MGV-F would have to run its
 * MAC check to tell it from the real thing. */
static GBytes *
mtk_message (guint16 mtk_id)
{
  g_autoptr(GbaSecret) msk = gba_secret_new_random (16);
  g_autoptr(GbaSecret) mtk = gba_secret_new_random (16);
  g_autoptr(GbaSecret) salt = gba_secret_new_random (14);
  g_autoptr(GBytes) rand = g_bytes_new_static ("0123456789abcdef", 16);
  MikeyBuildParams p = { .csb_id = 0x55667788, .ts_counter = g_random_int (), .streaming = TRUE,
                         .msk_id = 0x00010002, .mtk_id = mtk_id, .key = mtk, .salt = salt,
                         .domain = { 0x00, 0xf1, 0x10 } };

  return mikey_build_mtk_message (&p, msk, rand);
}

static GSocket *
sender_at (const char *address)
{
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (a, 0);
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);

  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  return s;
}

static GSocket *sender (void) { return sender_at ("127.0.0.1"); }

static void
send_to (GSocket *s, const char *addr, guint16 port, const void *data, gsize len)
{
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new_from_string (addr, port);

  g_assert_cmpint (g_socket_send_to (s, to, data, len, NULL, NULL), ==, (gssize) len);
}

static void
send_bytes (GSocket *s, const char *addr, guint16 port, GBytes *b)
{
  send_to (s, addr, port, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
}

static void
drain (void)
{
  gint64 until = g_get_monotonic_time () + 100 * 1000;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
}

/* What a hostile local process would try: bind(2) with the given reuse options. Returns errno
 * (0 = bound; the socket is left open in *fd_out when asked for). */
static int
hostile_bind (const char *address, guint16 port, gboolean reuseaddr, gboolean reuseport, int *fd_out)
{
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port) };
  int r, e;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (inet_pton (AF_INET, address, &sa.sin_addr), ==, 1);
  if (reuseaddr)
    g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &(int) { 1 }, sizeof (int)), ==, 0);
  if (reuseport)
    g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &(int) { 1 }, sizeof (int)), ==, 0);
  r = bind (fd, (struct sockaddr *) &sa, sizeof sa);
  e = r == 0 ? 0 : errno;
  if (r == 0 && fd_out != NULL)
    *fd_out = fd;
  else
    close (fd);
  return e;
}

static void
test_cheap_checks_budgets_counters (void)
{
  Seen s = { g_ptr_array_new_with_free_func (g_free), NULL, NULL, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 5, on_datagram, &s, &error);
  g_autoptr(GSocket) tx = sender ();
  g_autoptr(GBytes) once = mtk_message (1);
  guint16 port;
  MbmsMikeyCounters c;
  g_autofree guint8 *big = g_malloc0 (5000);

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  /* garbage never reaches MGV-F and spends no budget */
  for (guint i = 0; i < 200; i++)
    send_to (tx, "127.0.0.1", port, &i, sizeof i);
  drain ();
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (s.seen->len, ==, 0);
  g_assert_cmpuint (c.malformed, ==, 200);
  g_assert_cmpuint (c.rate_limited, ==, 0);
  /* a repeat is dropped before MGV-F */
  send_bytes (tx, "127.0.0.1", port, once);
  send_bytes (tx, "127.0.0.1", port, once);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 1);
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.duplicates, ==, 1);
  g_assert_cmpuint (c.not_authenticated, ==, 1);
  /* forgeries from an untrusted source: MGV-F runs on its budget (5 a second, 4 left) */
  for (guint i = 0; i < 30; i++)
    {
      g_autoptr(GBytes) forged = mtk_message ((guint16) (i + 2));
      send_bytes (tx, "127.0.0.1", port, forged);
    }
  drain ();
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (s.seen->len, <=, 6);
  g_assert_cmpuint (c.rate_limited, >=, 24);
  g_assert_cmpuint (c.not_authenticated, ==, s.seen->len);
  /* larger than any MIKEY message */
  send_to (tx, "127.0.0.1", port, big, 5000);
  drain ();
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.oversized, ==, 1);
  g_assert_cmpuint (c.received, ==, 200 + 2 + 30 + 1);
  seen_clear (&s);
}

/* Issue 13 item 4: a flood from the real sender's own address. The old per-source limit let
 * 1000 garbage datagrams spend the budget and dropped the real messages in between. */
static void
test_trusted_source_heard_through_flood (void)
{
  Seen s = { g_ptr_array_new_with_free_func (g_free), NULL, g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref), 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 5, on_datagram, &s, &error);
  g_autoptr(GSocket) bmsc = sender ();
  g_autoptr(GSocket) stranger = sender_at ("127.0.0.2");
  guint16 port;
  MbmsMikeyCounters c;
  guint real_sent = 0, forged = 0;

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  for (guint i = 0; i < 20; i++)
    g_ptr_array_add (s.real, mtk_message ((guint16) (100 + i)));
  /* the real sender is heard once: MGV-F authenticates it */
  send_bytes (bmsc, "127.0.0.1", port, g_ptr_array_index (s.real, real_sent++));
  drain ();
  g_assert_cmpuint (s.accepted, ==, 1);
  /* then 990 garbage datagrams and 110 well-formed forgeries from its address, the real
   * messages in between */
  for (guint i = 0; i < 1100; i++)
    {
      if (i % 10 == 9)
        {
          g_autoptr(GBytes) f = mtk_message ((guint16) (1000 + i));
          send_bytes (bmsc, "127.0.0.1", port, f);
          forged++;
        }
      else
        {
          guint32 junk[8] = { g_random_int (), i };
          send_to (bmsc, "127.0.0.1", port, junk, sizeof junk);
        }
      if (i % 60 == 30 && real_sent < s.real->len)
        send_bytes (bmsc, "127.0.0.1", port, g_ptr_array_index (s.real, real_sent++));
      if (i % 50 == 0)
        while (g_main_context_iteration (NULL, FALSE))
          ;
    }
  drain ();
  g_assert_cmpuint (real_sent, ==, 19);
  g_assert_cmpuint (s.accepted, ==, real_sent);
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.accepted, ==, real_sent);
  g_assert_cmpuint (c.malformed, ==, 1100 - forged);
  g_assert_cmpuint (c.not_authenticated, ==, forged);
  /* a source MGV-F never authenticated stays on its own budget: its "real" message after its
   * forgeries is dropped, which is why trust is earned, not assumed */
  for (guint i = 0; i < 30; i++)
    {
      g_autoptr(GBytes) f = mtk_message ((guint16) (5000 + i));
      send_bytes (stranger, "127.0.0.1", port, f);
    }
  send_bytes (stranger, "127.0.0.1", port, g_ptr_array_index (s.real, real_sent));
  drain ();
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.rate_limited, >=, 25);
  g_assert_cmpuint (s.accepted, ==, real_sent);
  seen_clear (&s);
}

/* The card path (UICC key management): the owner answers PENDING and reports later. */
typedef struct {
  guint            calls;
  MbmsMikeyVerdict answer; /* what the owner says at once */
  GPtrArray       *sources;
} Card;

static MbmsMikeyVerdict
on_datagram_card (GBytes *datagram, GSocketAddress *source, const char *destination, gpointer data)
{
  Card *k = data;

  k->calls++;
  g_ptr_array_add (k->sources, g_object_ref (source));
  return k->answer;
}

/* What came on loopback a moment ago, handled at once (budgets refill while drain waits). */
static void
settle (void)
{
  for (guint i = 0; i < 3; i++)
    {
      g_usleep (2000);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
}

/* H2: a source has at most 4 datagrams on the card; a datagram dropped for that is not
 * remembered as seen, so the BM-SC's resending is heard. */
static void
test_pending_capped_and_resent (void)
{
  Card k = { 0, MBMS_MIKEY_PENDING, g_ptr_array_new_with_free_func (g_object_unref) };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 50, on_datagram_card, &k, &error);
  g_autoptr(GSocket) tx = sender_at ("127.0.0.4");
  g_autoptr(GPtrArray) m = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint16 port;
  MbmsMikeyCounters c;

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  for (guint i = 0; i < 8; i++)
    g_ptr_array_add (m, mtk_message ((guint16) (1 + i)));
  /* six at once: four go to the card, the others wait for them (rate-limited) */
  for (guint i = 0; i < 6; i++)
    send_bytes (tx, "127.0.0.1", port, g_ptr_array_index (m, i));
  drain ();
  g_assert_cmpuint (k.calls, ==, 4);
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.rate_limited, ==, 2);
  /* the card refuses them; the fifth again, as the BM-SC resends: not a repeat */
  for (guint i = 0; i < 4; i++)
    mbms_mikey_receiver_report (rx, NULL, g_ptr_array_index (k.sources, i), MBMS_MIKEY_NOT_AUTHENTICATED);
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.not_authenticated, ==, 4);
  send_bytes (tx, "127.0.0.1", port, g_ptr_array_index (m, 4));
  drain ();
  g_assert_cmpuint (k.calls, ==, 5);
  /* taken to the card: now it is a repeat */
  send_bytes (tx, "127.0.0.1", port, g_ptr_array_index (m, 4));
  drain ();
  g_assert_cmpuint (k.calls, ==, 5);
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.duplicates, ==, 1);
  /* a BUSY card queue: not remembered either */
  k.answer = MBMS_MIKEY_BUSY;
  send_bytes (tx, "127.0.0.1", port, g_ptr_array_index (m, 6));
  drain ();
  k.answer = MBMS_MIKEY_PENDING;
  send_bytes (tx, "127.0.0.1", port, g_ptr_array_index (m, 6));
  drain ();
  g_assert_cmpuint (k.calls, ==, 7);
  g_ptr_array_unref (k.sources);
}

/* H2: a PENDING datagram is paid for when queued (a source with two tokens queues two, not
 * any number) and refunded when accepted; M2: a copy of an authenticated message counts as
 * accepted but its source is not trusted (no trusted budget once its own is spent). */
static void
test_pending_charged_and_refunded (void)
{
  Card k = { 0, MBMS_MIKEY_PENDING, g_ptr_array_new_with_free_func (g_object_unref) };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 2, on_datagram_card, &k, &error);
  g_autoptr(GSocket) tx = sender_at ("127.0.0.4");
  g_autoptr(GSocket) bmsc = sender_at ("127.0.0.5");
  g_autoptr(GPtrArray) m = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint16 port;
  MbmsMikeyCounters c;

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  for (guint i = 0; i < 12; i++)
    g_ptr_array_add (m, mtk_message ((guint16) (1 + i)));
  for (guint i = 0; i < 3; i++)
    send_bytes (tx, "127.0.0.1", port, g_ptr_array_index (m, i));
  settle ();
  g_assert_cmpuint (k.calls, ==, 2);
  /* a copy: refunded, so one more gets through, and counted as accepted */
  mbms_mikey_receiver_report (rx, NULL, g_ptr_array_index (k.sources, 0), MBMS_MIKEY_ACCEPTED_COPY);
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.accepted, ==, 1);
  send_bytes (tx, "127.0.0.1", port, g_ptr_array_index (m, 3));
  send_bytes (tx, "127.0.0.1", port, g_ptr_array_index (m, 4));
  settle ();
  g_assert_cmpuint (k.calls, ==, 3);
  /* still untrusted: with its budget spent, nothing more (a trusted source would go on) */
  mbms_mikey_receiver_report (rx, NULL, g_ptr_array_index (k.sources, 1), MBMS_MIKEY_NOT_AUTHENTICATED);
  mbms_mikey_receiver_report (rx, NULL, g_ptr_array_index (k.sources, 2), MBMS_MIKEY_NOT_AUTHENTICATED);
  for (guint i = 5; i < 8; i++)
    send_bytes (tx, "127.0.0.1", port, g_ptr_array_index (m, i));
  settle ();
  g_assert_cmpuint (k.calls, ==, 3);
  /* the real thing: accepted makes trusted, whose messages go on past its own budget */
  send_bytes (bmsc, "127.0.0.1", port, g_ptr_array_index (m, 8));
  settle ();
  g_assert_cmpuint (k.calls, ==, 4);
  mbms_mikey_receiver_report (rx, NULL, g_ptr_array_index (k.sources, 3), MBMS_MIKEY_ACCEPTED);
  for (guint i = 9; i < 12; i++)
    send_bytes (bmsc, "127.0.0.1", port, g_ptr_array_index (m, i));
  settle ();
  g_assert_cmpuint (k.calls, ==, 7);
  g_ptr_array_unref (k.sources);
}

static void
test_destination_and_reply (void)
{
  Seen s = { g_ptr_array_new_with_free_func (g_free), NULL, NULL, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 100, on_datagram, &s, &error);
  g_autoptr(GSocket) tx = sender ();
  g_autoptr(GBytes) answer = g_bytes_new_static ("ack", 3);
  g_autoptr(GBytes) mtk = mtk_message (1), msk = mtk_message (2), gone = mtk_message (3);
  char buf[16];
  guint16 port;

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "127.0.0.2", &error));
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "127.0.0.2", &error)); /* twice is fine */
  g_assert_true (mbms_mikey_receiver_has_destination (rx, "127.0.0.2"));
  send_bytes (tx, "127.0.0.2", port, mtk);
  send_bytes (tx, "127.0.0.1", port, msk);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (s.seen, "127.0.0.2", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (s.seen, "", g_str_equal, NULL));
  g_assert_cmpuint (mbms_mikey_receiver_get_counters (rx, "127.0.0.2").not_authenticated, ==, 1);
  g_assert_cmpuint (mbms_mikey_receiver_get_counters (rx, NULL).not_authenticated, ==, 1);
  /* one MTK message to each session of a key group: every destination gets its copy, and
   * only a repeat to the same destination is a duplicate */
  send_bytes (tx, "127.0.0.1", port, mtk);
  send_bytes (tx, "127.0.0.2", port, mtk);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 3);
  g_assert_cmpuint (mbms_mikey_receiver_get_counters (rx, NULL).duplicates, ==, 0);
  g_assert_cmpuint (mbms_mikey_receiver_get_counters (rx, "127.0.0.2").duplicates, ==, 1);
  /* the verification goes back to the sender */
  g_assert_true (mbms_mikey_receiver_reply (rx, s.last_from, answer, &error));
  g_socket_set_timeout (tx, 5);
  g_assert_cmpint (g_socket_receive (tx, buf, sizeof buf, NULL, &error), ==, 3);
  mbms_mikey_receiver_remove_destination (rx, "127.0.0.2");
  send_bytes (tx, "127.0.0.2", port, gone);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 3);
  seen_clear (&s);
}

/* Issue 13 item 2: nobody else binds the push socket's address or a unicast MTK destination,
 * not even with SO_REUSEADDR and SO_REUSEPORT, and mbmsd does not start on an address that
 * someone else holds. */
static void
test_unicast_sockets_exclusive (void)
{
  Seen s = { g_ptr_array_new_with_free_func (g_free), NULL, NULL, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 100, on_datagram, &s, &error);
  g_autoptr(MbmsMikeyReceiver) second = NULL;
  g_autoptr(MbmsMikeyReceiver) late = NULL;
  guint16 port;
  int held = -1;

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  g_assert_cmpint (hostile_bind ("127.0.0.1", port, TRUE, TRUE, NULL), ==, EADDRINUSE);
  g_assert_cmpint (hostile_bind ("127.0.0.1", port, FALSE, FALSE, NULL), ==, EADDRINUSE);
  g_assert_cmpint (hostile_bind ("0.0.0.0", port, TRUE, TRUE, NULL), ==, EADDRINUSE);
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "127.0.0.3", &error));
  g_assert_cmpint (hostile_bind ("127.0.0.3", port, TRUE, TRUE, NULL), ==, EADDRINUSE);
  /* a second mbmsd on the same address */
  second = mbms_mikey_receiver_new ("127.0.0.1", port, NULL, 100, on_datagram, &s, &error);
  g_assert_null (second);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_nonnull (strstr (error->message, "[mikey] listen 127.0.0.1"));
  g_clear_error (&error);
  /* someone holds the address first (with both reuse options): mbmsd refuses, saying so */
  g_clear_pointer (&rx, mbms_mikey_receiver_free);
  g_assert_cmpint (hostile_bind ("127.0.0.1", port, TRUE, TRUE, &held), ==, 0);
  late = mbms_mikey_receiver_new ("127.0.0.1", port, NULL, 100, on_datagram, &s, &error);
  g_assert_null (late);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_nonnull (strstr (error->message, "Address already in use"));
  close (held);
  seen_clear (&s);
}

/* A unicast MTK destination that the push socket covers would be a second socket of ours on
 * the same port (the SO_REUSEPORT split of issue 13 item 7): refused, naming both. */
static void
test_destination_sharing_the_push_port_refused (void)
{
  Seen s = { g_ptr_array_new_with_free_func (g_free), NULL, NULL, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 100, on_datagram, &s, &error);
  g_autoptr(MbmsMikeyReceiver) any = NULL;

  g_assert_no_error (error);
  g_assert_false (mbms_mikey_receiver_add_destination (rx, "127.0.0.1", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_nonnull (strstr (error->message, "MTK destination 127.0.0.1"));
  g_assert_nonnull (strstr (error->message, "[mikey] listen 127.0.0.1"));
  g_clear_error (&error);
  any = mbms_mikey_receiver_new ("0.0.0.0", 0, NULL, 100, on_datagram, &s, &error);
  g_assert_no_error (error);
  g_assert_false (mbms_mikey_receiver_add_destination (any, "127.0.0.5", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  seen_clear (&s);
}

/* MTK messages on a session's multicast group (6.3.3.2.2), joined on the configured
 * interface: sent out of lo, they arrive only if the group was joined on lo. */
static void
test_multicast_destination_on_interface (void)
{
  Seen s = { g_ptr_array_new_with_free_func (g_free), NULL, NULL, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("127.0.0.1", 0, "lo", 100, on_datagram, &s, &error);
  g_autoptr(MbmsMikeyReceiver) absent = NULL;
  g_autoptr(GSocket) tx = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GBytes) one = mtk_message (1), two = mtk_message (2);
  guint16 port;

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "239.255.42.81", &error));
  g_assert_no_error (error);
  test_multicast_sender (g_socket_get_fd (tx), "lo");
  send_bytes (tx, "239.255.42.81", port, one);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (s.seen, 0), ==, "239.255.42.81");
  /* left with the session: nothing more arrives */
  mbms_mikey_receiver_remove_destination (rx, "239.255.42.81");
  send_bytes (tx, "239.255.42.81", port, two);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 1);
  /* an interface that is not there is an error, not a silent join elsewhere */
  absent = mbms_mikey_receiver_new ("127.0.0.1", 0, "nosuch0", 100, on_datagram, &s, &error);
  g_assert_no_error (error);
  g_assert_false (mbms_mikey_receiver_add_destination (absent, "239.255.42.82", &error));
  g_assert_nonnull (strstr (error->message, "no network interface nosuch0"));
  seen_clear (&s);
}

/* The kernel behaviour the multicast sockets rely on (issue 13 item 2), shown rather than
 * assumed: a group socket bound to the group with SO_REUSEADDR alone lets another local
 * listener of the public group in (each gets its own copy: nothing is taken from mbmsd), does
 * not let SO_REUSEPORT in, and receives no unicast datagram; unicast to the push address still
 * reaches only mbmsd. */
static void
test_multicast_sockets_share_copies_not_unicast (void)
{
  Seen s = { g_ptr_array_new_with_free_func (g_free), NULL, NULL, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("127.0.0.1", 0, "lo", 1000, on_datagram, &s, &error);
  g_autoptr(GSocket) tx = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  const char *group = "239.255.42.83";
  struct ip_mreqn mreq = { .imr_ifindex = (int) if_nametoindex ("lo") };
  guint16 port;
  int copy = -1, wild = -1;
  guint copies = 0, to_group = 0, to_push = 0;

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  g_assert_true (mbms_mikey_receiver_add_destination (rx, group, &error));
  test_multicast_sender (g_socket_get_fd (tx), "lo");
  /* SO_REUSEPORT alone cannot join our group socket's port: no load-balancing */
  g_assert_cmpint (hostile_bind (group, port, FALSE, TRUE, NULL), ==, EADDRINUSE);
  /* the wildcard on our port, even with both options, collides with the exclusive push socket */
  g_assert_cmpint (hostile_bind ("0.0.0.0", port, TRUE, TRUE, &wild), ==, EADDRINUSE);
  /* another listener of the group (SO_REUSEADDR, as multicast receivers do) is let in */
  g_assert_cmpint (hostile_bind (group, port, TRUE, FALSE, &copy), ==, 0);
  g_assert_cmpint (inet_pton (AF_INET, group, &mreq.imr_multiaddr), ==, 1);
  g_assert_cmpint (setsockopt (copy, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq), ==, 0);
  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(GBytes) m = mtk_message ((guint16) (i + 1));
      send_bytes (tx, group, port, m);
    }
  /* unicast to this host on the port: the push socket's, never a group socket's */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(GBytes) m = mtk_message ((guint16) (100 + i));
      send_bytes (tx, "127.0.0.1", port, m);
    }
  drain ();
  for (guint i = 0; i < s.seen->len; i++)
    {
      if (g_strcmp0 (g_ptr_array_index (s.seen, i), group) == 0)
        to_group++;
      else if (g_strcmp0 (g_ptr_array_index (s.seen, i), "") == 0)
        to_push++;
    }
  for (;;)
    {
      char buf[2048];
      if (recv (copy, buf, sizeof buf, MSG_DONTWAIT) <= 0)
        break;
      copies++;
    }
  g_assert_cmpuint (to_group, ==, 50); /* mbmsd lost nothing */
  g_assert_cmpuint (copies, ==, 50);   /* the other listener got its own copies, and no unicast */
  g_assert_cmpuint (to_push, ==, 5);
  close (copy);
  seen_clear (&s);
}

/* With [mikey] listen on the wildcard, the push socket covers every address on the port: a
 * group is joined there and its MTK messages are told apart by their destination address. */
static void
test_wildcard_push_joins_groups (void)
{
  Seen s = { g_ptr_array_new_with_free_func (g_free), NULL, NULL, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("0.0.0.0", 0, "lo", 100, on_datagram, &s, &error);
  g_autoptr(GSocket) tx = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GBytes) mtk = mtk_message (1), msk = mtk_message (2), late = mtk_message (3);
  guint16 port;

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  g_assert_cmpint (hostile_bind ("127.0.0.1", port, TRUE, TRUE, NULL), ==, EADDRINUSE);
  g_assert_cmpint (hostile_bind ("239.255.42.84", port, TRUE, FALSE, NULL), ==, EADDRINUSE);
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "239.255.42.84", &error));
  g_assert_no_error (error);
  test_multicast_sender (g_socket_get_fd (tx), "lo");
  send_bytes (tx, "239.255.42.84", port, mtk);
  send_bytes (tx, "127.0.0.1", port, msk);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (s.seen, "239.255.42.84", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (s.seen, "", g_str_equal, NULL));
  g_assert_cmpuint (mbms_mikey_receiver_get_counters (rx, "239.255.42.84").received, ==, 1);
  mbms_mikey_receiver_remove_destination (rx, "239.255.42.84");
  send_bytes (tx, "239.255.42.84", port, late);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 2);
  seen_clear (&s);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/daemon/mikey-receiver/cheap-checks-budgets-counters", test_cheap_checks_budgets_counters);
  g_test_add_func ("/daemon/mikey-receiver/trusted-source-heard-through-flood", test_trusted_source_heard_through_flood);
  g_test_add_func ("/daemon/mikey-receiver/pending-capped-and-resent", test_pending_capped_and_resent);
  g_test_add_func ("/daemon/mikey-receiver/pending-charged-and-refunded", test_pending_charged_and_refunded);
  g_test_add_func ("/daemon/mikey-receiver/destination-sockets-and-reply", test_destination_and_reply);
  g_test_add_func ("/daemon/mikey-receiver/unicast-sockets-exclusive", test_unicast_sockets_exclusive);
  g_test_add_func ("/daemon/mikey-receiver/destination-sharing-the-push-port-refused",
                   test_destination_sharing_the_push_port_refused);
  g_test_add_func ("/daemon/mikey-receiver/multicast-destination-on-interface", test_multicast_destination_on_interface);
  g_test_add_func ("/daemon/mikey-receiver/multicast-sockets-share-copies-not-unicast",
                   test_multicast_sockets_share_copies_not_unicast);
  g_test_add_func ("/daemon/mikey-receiver/wildcard-push-joins-groups", test_wildcard_push_joins_groups);
  return g_test_run ();
}
