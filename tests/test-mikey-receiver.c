/* MIKEY reception: per-source rate limits, repeated datagrams and oversize datagrams dropped
 * before MGV-F, session destinations on their own sockets, replies to the source. */
#include "mbms-mikey-receiver.h"
#include "test-util.h"

#include <string.h>

typedef struct {
  GPtrArray *seen;        /* destinations ("" for the push socket) */
  GSocketAddress *last_from;
} Seen;

static void
on_datagram (GBytes *datagram, GSocketAddress *source, const char *destination, gpointer data)
{
  Seen *s = data;

  g_ptr_array_add (s->seen, g_strdup (destination ? destination : ""));
  g_clear_object (&s->last_from);
  s->last_from = g_object_ref (source);
}

static GSocket *
sender (void)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);

  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  return s;
}

static void
send_to (GSocket *s, const char *addr, guint16 port, const void *data, gsize len)
{
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new_from_string (addr, port);

  g_assert_cmpint (g_socket_send_to (s, to, data, len, NULL, NULL), ==, (gssize) len);
}

static void
drain (void)
{
  gint64 until = g_get_monotonic_time () + 100 * 1000;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
}

static void
test_rate_limit_duplicates_oversize (void)
{
  Seen s = { g_ptr_array_new_with_free_func (g_free), NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 5, on_datagram, &s, &error);
  g_autoptr(GSocket) tx = sender ();
  guint16 port;
  MbmsMikeyCounters c;
  g_autofree guint8 *big = g_malloc0 (5000);

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  /* a repeat is dropped */
  send_to (tx, "127.0.0.1", port, "hello", 5);
  send_to (tx, "127.0.0.1", port, "hello", 5);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 1);
  c = mbms_mikey_receiver_get_counters (rx);
  g_assert_cmpuint (c.duplicates, ==, 1);
  /* a flood from one source is cut to the bucket (5 a second, 4 left) */
  for (guint i = 0; i < 30; i++)
    send_to (tx, "127.0.0.1", port, &i, sizeof i);
  drain ();
  c = mbms_mikey_receiver_get_counters (rx);
  g_assert_cmpuint (s.seen->len, <=, 6);
  g_assert_cmpuint (c.rate_limited, >=, 24);
  /* larger than any MIKEY message */
  send_to (tx, "127.0.0.1", port, big, 5000);
  drain ();
  c = mbms_mikey_receiver_get_counters (rx);
  g_assert_cmpuint (c.oversized, ==, 1);
  g_clear_object (&s.last_from);
  g_ptr_array_unref (s.seen);
}

static void
test_destination_and_reply (void)
{
  Seen s = { g_ptr_array_new_with_free_func (g_free), NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 100, on_datagram, &s, &error);
  g_autoptr(GSocket) tx = sender ();
  g_autoptr(GBytes) answer = g_bytes_new_static ("ack", 3);
  char buf[16];
  guint16 port;

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "127.0.0.2", &error));
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "127.0.0.2", &error)); /* twice is fine */
  send_to (tx, "127.0.0.2", port, "mtk", 3);
  send_to (tx, "127.0.0.1", port, "msk", 3);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (s.seen, "127.0.0.2", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (s.seen, "", g_str_equal, NULL));
  /* the verification goes back to the sender */
  g_assert_true (mbms_mikey_receiver_reply (rx, s.last_from, answer, &error));
  g_socket_set_timeout (tx, 5);
  g_assert_cmpint (g_socket_receive (tx, buf, sizeof buf, NULL, &error), ==, 3);
  mbms_mikey_receiver_remove_destination (rx, "127.0.0.2");
  send_to (tx, "127.0.0.2", port, "gone", 4);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 2);
  g_clear_object (&s.last_from);
  g_ptr_array_unref (s.seen);
}

/* MTK messages on a session's multicast group (6.3.3.2.2), joined on the configured
 * interface: sent out of lo, they arrive only if the group was joined on lo. */
static void
test_multicast_destination_on_interface (void)
{
  Seen s = { g_ptr_array_new_with_free_func (g_free), NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsMikeyReceiver) rx = mbms_mikey_receiver_new ("127.0.0.1", 0, "lo", 100, on_datagram, &s, &error);
  g_autoptr(MbmsMikeyReceiver) absent = NULL;
  g_autoptr(GSocket) tx = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  guint16 port;

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "239.255.42.81", &error));
  g_assert_no_error (error);
  test_multicast_sender (g_socket_get_fd (tx), "lo");
  send_to (tx, "239.255.42.81", port, "mtk", 3);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (s.seen, 0), ==, "239.255.42.81");
  /* left with the session: nothing more arrives */
  mbms_mikey_receiver_remove_destination (rx, "239.255.42.81");
  send_to (tx, "239.255.42.81", port, "mtk2", 4);
  drain ();
  g_assert_cmpuint (s.seen->len, ==, 1);
  /* an interface that is not there is an error, not a silent join elsewhere */
  absent = mbms_mikey_receiver_new ("127.0.0.1", 0, "nosuch0", 100, on_datagram, &s, &error);
  g_assert_no_error (error);
  g_assert_false (mbms_mikey_receiver_add_destination (absent, "239.255.42.82", &error));
  g_assert_nonnull (strstr (error->message, "no network interface nosuch0"));
  g_clear_object (&s.last_from);
  g_ptr_array_unref (s.seen);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/daemon/mikey-receiver/rate-limit-duplicates-oversize", test_rate_limit_duplicates_oversize);
  g_test_add_func ("/daemon/mikey-receiver/destination-sockets-and-reply", test_destination_and_reply);
  g_test_add_func ("/daemon/mikey-receiver/multicast-destination-on-interface", test_multicast_destination_on_interface);
  return g_test_run ();
}
