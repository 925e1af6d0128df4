/* bench-srtp-bridge: the bridge's cost against its ceiling, measured in one run.
 *   (a) raw libsrtp2 srtp_unprotect_mki of 1200-octet payloads (6-octet MKI, AES-CM-128,
 *       HMAC-SHA-1-80), the copy into the buffer measured apart;
 *   (b) a plain UDP relay over loopback (recvmmsg/sendmmsg x32) between a sender and a sink;
 *   (c) the bridge's decrypt-and-forward in the same harness;
 * ratio = (c) / ceiling with ceiling = 1 / (t_relay + t_unprotect). Also the time from an MTK
 * message's arrival (MGV-F, bridge key) to the first packet decrypted with it, as the daemon
 * does it (MGV-S written afterwards in the background; its time printed apart), and
 * this process's RSS with 8 receiving sessions. Figures only: nothing here passes or fails.
 *   bench-srtp-bridge [--quick] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <srtp2/srtp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "mgv.h"
#include "srtp-bridge.h"

#define PAYLOAD  1200
#define BATCH    32
#define WINDOW   256  /* packets in flight: the sender waits rather than overrun a socket */
#define PKT_MAX  1300
#define ROUNDS   5    /* each figure is the median of this many interleaved rounds */

static const guint8 mki[6] = { 0, 1, 0, 2, 0, 1 };
static guint8 master[30];
static guint8 (*packets)[PKT_MAX];
static int *lengths;
static guint n_packets;

static double
now_s (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static srtp_t
libsrtp_session (gboolean sender)
{
  srtp_policy_t p;
  srtp_master_key_t k = { master, (unsigned char *) mki, 6 }, *kp = &k;
  srtp_t s;

  memset (&p, 0, sizeof p);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtcp);
  p.keys = &kp;
  p.num_master_keys = 1;
  p.ssrc.type = sender ? ssrc_any_outbound : ssrc_any_inbound;
  p.window_size = 1024;
  g_assert (srtp_create (&s, &p) == srtp_err_status_ok);
  return s;
}

/* n packets of one sender, SEQ 0.., protected once, before any clock runs. */
static void
make_packets (guint n)
{
  srtp_t s = libsrtp_session (TRUE);

  n_packets = n;
  packets = g_malloc (sizeof *packets * n);
  lengths = g_new (int, n);
  for (guint i = 0; i < n; i++)
    {
      guint8 *b = packets[i];
      guint32 roc = i >> 16;
      b[0] = 0x80, b[1] = 96, b[2] = (guint8) (i >> 8), b[3] = (guint8) i;
      memset (b + 4, 0, 4);
      b[8] = 0xca, b[9] = 0xfe, b[10] = 0xba, b[11] = 0xbe;
      memset (b + 12, (int) i, PAYLOAD);
      lengths[i] = 12 + PAYLOAD;
      (void) roc;
      g_assert (srtp_protect_mki (s, b, &lengths[i], 1, 0) == srtp_err_status_ok);
    }
  srtp_dealloc (s);
}

/* ------------------------------------------------------------ (a) raw libsrtp2 */

static double
bench_unprotect (double *t_copy)
{
  guint8 buf[PKT_MAX] __attribute__ ((aligned (16)));
  srtp_t r = libsrtp_session (FALSE);
  double t0, t1;
  int len;

  t0 = now_s ();
  for (guint i = 0; i < n_packets; i++)
    {
      memcpy (buf, packets[i], (size_t) lengths[i]);
      len = lengths[i];
      __asm__ volatile ("" : : "r" (buf) : "memory");
    }
  *t_copy = (now_s () - t0) / n_packets;
  t0 = now_s ();
  for (guint i = 0; i < n_packets; i++)
    {
      memcpy (buf, packets[i], (size_t) lengths[i]);
      len = lengths[i];
      if (srtp_unprotect_mki (r, buf, &len, 1) != srtp_err_status_ok)
        g_error ("libsrtp2 refused packet %u", i);
    }
  t1 = now_s ();
  srtp_dealloc (r);
  return (t1 - t0) / n_packets;
}

/* The bridge's receiver alone, no sockets: what it adds to libsrtp2. */
static double
bench_receiver (void)
{
  guint8 buf[PKT_MAX] __attribute__ ((aligned (16)));
  SrtpBridgeReceiver *r = srtp_bridge_receiver_new (NULL, NULL);
  SrtpBridgePolicy policy;
  double t0, t1;

  srtp_bridge_policy_init_default (&policy);
  g_assert (srtp_bridge_receiver_add_key (r, mki, master, 16, master + 16, 14, &policy, NULL));
  t0 = now_s ();
  for (guint i = 0; i < n_packets; i++)
    {
      gsize len = (gsize) lengths[i];
      memcpy (buf, packets[i], len);
      if (srtp_bridge_receiver_unprotect_rtp (r, buf, &len) != SRTP_BRIDGE_OK)
        g_error ("the receiver refused packet %u", i);
    }
  t1 = now_s ();
  srtp_bridge_receiver_free (r);
  return (t1 - t0) / n_packets;
}

/* ------------------------------------------------------------ harness (b), (c) */

typedef struct {
  int            in_fd, sink_fd;
  struct sockaddr_in in_addr, sink_addr;
  volatile gint  received;
  volatile gint  stop;
  double         t_start, t_end;
} Harness;

static int
udp_socket (struct sockaddr_in *bound)
{
  int fd = socket (AF_INET, SOCK_DGRAM, 0), size = 8 << 20;
  socklen_t len = sizeof *bound;

  /* as root the buffers may exceed rmem_max, which keeps bursts from being dropped */
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  bound->sin_family = AF_INET;
  bound->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  bound->sin_port = 0;
  g_assert (bind (fd, (struct sockaddr *) bound, sizeof *bound) == 0);
  getsockname (fd, (struct sockaddr *) bound, &len);
  return fd;
}

static gpointer
sink_thread (gpointer data)
{
  Harness *h = data;
  static guint8 bufs[BATCH][PKT_MAX];
  struct mmsghdr m[BATCH];
  struct iovec iov[BATCH];
  struct timeval tv = { 0, 200000 };

  setsockopt (h->sink_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (!g_atomic_int_get (&h->stop))
    {
      int got;
      for (int i = 0; i < BATCH; i++)
        {
          iov[i] = (struct iovec) { bufs[i], PKT_MAX };
          m[i].msg_hdr = (struct msghdr) { .msg_iov = &iov[i], .msg_iovlen = 1 };
        }
      got = recvmmsg (h->sink_fd, m, BATCH, 0, NULL);
      if (got > 0)
        {
          g_atomic_int_add (&h->received, got);
          h->t_end = now_s ();
        }
    }
  return NULL;
}

/* Sends every packet, never more than WINDOW ahead of the sink; returns packets/s at the sink. */
static double
run_harness (Harness *h, guint *lost)
{
  int out = socket (AF_INET, SOCK_DGRAM, 0);
  struct mmsghdr m[BATCH];
  struct iovec iov[BATCH];
  GThread *sink = g_thread_new ("sink", sink_thread, h);
  guint sent = 0;
  double deadline;

  h->t_start = now_s ();
  while (sent < n_packets)
    {
      guint n = MIN (BATCH, n_packets - sent);
      int r;
      /* sleeping, not spinning: the sender must not take the relay's core */
      while (sent - (guint) g_atomic_int_get (&h->received) > WINDOW)
        g_usleep (20);
      for (guint i = 0; i < n; i++)
        {
          iov[i] = (struct iovec) { packets[sent + i], (size_t) lengths[sent + i] };
          m[i].msg_hdr = (struct msghdr) { .msg_name = &h->in_addr, .msg_namelen = sizeof h->in_addr,
                                           .msg_iov = &iov[i], .msg_iovlen = 1 };
        }
      r = sendmmsg (out, m, n, 0);
      if (r > 0)
        sent += (guint) r;
    }
  deadline = now_s () + 2;
  while ((guint) g_atomic_int_get (&h->received) < n_packets && now_s () < deadline)
    g_usleep (1000);
  g_atomic_int_set (&h->stop, 1);
  g_thread_join (sink);
  close (out);
  *lost = n_packets - (guint) g_atomic_int_get (&h->received);
  return g_atomic_int_get (&h->received) / (h->t_end - h->t_start);
}

static gpointer
relay_thread (gpointer data)
{
  Harness *h = data;
  static guint8 bufs[BATCH][PKT_MAX];
  struct mmsghdr in[BATCH], out[BATCH];
  struct iovec iov[BATCH], oiov[BATCH];
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  struct timeval tv = { 0, 100000 };

  setsockopt (h->in_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (!g_atomic_int_get (&h->stop))
    {
      int got;
      for (int i = 0; i < BATCH; i++)
        {
          iov[i] = (struct iovec) { bufs[i], PKT_MAX };
          in[i].msg_hdr = (struct msghdr) { .msg_iov = &iov[i], .msg_iovlen = 1 };
        }
      got = recvmmsg (h->in_fd, in, BATCH, 0, NULL);
      for (int i = 0; i < got; i++)
        {
          oiov[i] = (struct iovec) { bufs[i], in[i].msg_len };
          out[i].msg_hdr = (struct msghdr) { .msg_name = &h->sink_addr, .msg_namelen = sizeof h->sink_addr,
                                             .msg_iov = &oiov[i], .msg_iovlen = 1 };
        }
      if (got > 0)
        sendmmsg (fd, out, (unsigned) got, 0);
    }
  close (fd);
  return NULL;
}

static double
bench_relay (guint *lost)
{
  Harness h = { 0 };
  GThread *relay;
  double pps;

  h.in_fd = udp_socket (&h.in_addr);
  h.sink_fd = udp_socket (&h.sink_addr);
  relay = g_thread_new ("relay", relay_thread, &h);
  pps = run_harness (&h, lost);
  g_thread_join (relay);
  close (h.in_fd);
  close (h.sink_fd);
  return pps;
}

typedef struct {
  Harness      *h;
  GMainLoop    *loop;
  GMainContext *context;
  guint16       port;
  SrtpBridgeReceiver *receiver;
} Bridge;

static gboolean
check_stop (gpointer data)
{
  Bridge *b = data;
  if (g_atomic_int_get (&b->h->stop))
    g_main_loop_quit (b->loop);
  return G_SOURCE_CONTINUE;
}

static gpointer
bridge_thread (gpointer data)
{
  Bridge *b = data;
  g_autoptr(GError) error = NULL;
  SrtpBridgeForwarder *f;
  GSource *tick = g_timeout_source_new (50);

  g_main_context_push_thread_default (b->context);
  f = srtp_bridge_forwarder_new (b->receiver, "127.0.0.1", b->port, 0, NULL, "127.0.0.1",
                                 ntohs (b->h->sink_addr.sin_port), &error);
  g_assert_no_error (error);
  g_source_set_callback (tick, check_stop, b, NULL);
  g_source_attach (tick, b->context);
  g_main_loop_run (b->loop);
  g_source_destroy (tick);
  g_source_unref (tick);
  srtp_bridge_forwarder_free (f);
  g_main_context_pop_thread_default (b->context);
  return NULL;
}

static double
bench_bridge (guint *lost)
{
  Harness h = { 0 };
  Bridge b = { .h = &h };
  GThread *t;
  SrtpBridgePolicy policy;
  double pps;
  int probe;

  srtp_bridge_policy_init_default (&policy);
  b.receiver = srtp_bridge_receiver_new (NULL, NULL);
  g_assert (srtp_bridge_receiver_add_key (b.receiver, mki, master, 16, master + 16, 14, &policy, NULL));
  h.sink_fd = udp_socket (&h.sink_addr);
  /* a free port pair for SRTP and SRTCP */
  probe = udp_socket (&h.in_addr);
  close (probe);
  b.port = ntohs (h.in_addr.sin_port);
  b.context = g_main_context_new ();
  b.loop = g_main_loop_new (b.context, FALSE);
  t = g_thread_new ("bridge", bridge_thread, &b);
  g_usleep (100000); /* the forwarder binds */
  pps = run_harness (&h, lost);
  g_thread_join (t);
  {
    const SrtpBridgeCounters *c = srtp_bridge_receiver_get_counters (b.receiver);
    if (c->auth_fail != 0 || c->replay != 0 || c->malformed != 0)
      g_error ("the bridge rejected packets: %" G_GUINT64_FORMAT " auth, %" G_GUINT64_FORMAT " replay, %"
               G_GUINT64_FORMAT " malformed", c->auth_fail, c->replay, c->malformed);
    if (g_getenv ("BENCH_DEBUG"))
      fprintf (stderr, "bridge: %" G_GUINT64_FORMAT " decrypted\n", c->rtp_ok);
  }
  g_main_loop_unref (b.loop);
  g_main_context_unref (b.context);
  srtp_bridge_receiver_free (b.receiver);
  close (h.sink_fd);
  return pps;
}

/* ------------------------------------------------------------ MTK to first packet */

/* The stream is running under MTK 1; the MTK message for MTK 2 arrives; how long until the
 * first packet under MKI (MSK ID, 2) is decrypted. */
static double
bench_mtk_latency (double *t_mgv, double *t_key, double *t_first, double *t_save)
{
  g_autofree char *dir = g_dir_make_tmp ("mbmsd-bench-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "keys.mgv", NULL);
  g_autoptr(MgvStore) store = mgv_store_open (path, "iccid/imsi", NULL, NULL);
  g_autoptr(GbaSecret) muk = gba_secret_new_random (32);
  g_autoptr(GbaSecret) msk = gba_secret_new_random (16);
  g_autoptr(GbaSecret) r = gba_secret_new_random (16);
  g_autoptr(GBytes) rand = g_bytes_new (gba_secret_get_data (r, NULL), 16);
  g_autoptr(SrtpBridgeReceiver) rx = srtp_bridge_receiver_new (NULL, NULL);
  g_autoptr(MgvMskResult) res = NULL;
  g_autoptr(GBytes) msk_msg = NULL;
  GBytes *mtk_msgs[2];
  GbaSecret *keys[2], *salts[2];
  guint8 masters[2][30], mkis[2][6] = { { 0, 1, 0, 2, 0, 1 }, { 0, 1, 0, 2, 0, 2 } }, pkts[2][PKT_MAX];
  int lens[2];
  srtp_master_key_t k[2], *kp[2] = { &k[0], &k[1] };
  srtp_policy_t sp;
  srtp_t tx;
  MikeyBuildParams p = { .csb_id = 1, .ts_counter = 1, .rand = rand, .idi = "bmsc.bench", .idr = "btid@bsf.bench",
                         .streaming = TRUE, .ssrc = 1, .policy_no = 1, .msk_id = 0x00010002, .key = msk,
                         .seq_low = 0, .seq_high = 100, .domain = { 0, 0xf1, 0x10 } };
  SrtpBridgePolicy policy;
  double t0, t1, t2, t3;
  gsize len;

  /* MSK in MGV-S; two MTK messages; a libsrtp2 sender with both MTKs; one packet under each */
  g_assert (mgv_store_install_muk (store, p.idi, p.idr, muk, NULL));
  msk_msg = mikey_build_msk_message (&p, muk);
  res = mgv_process_msk (store, msk_msg, NULL);
  g_assert (res != NULL);
  memset (&sp, 0, sizeof sp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&sp.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&sp.rtcp);
  for (guint i = 0; i < 2; i++)
    {
      MikeyBuildParams q = { .csb_id = 2, .ts_counter = i + 1, .streaming = TRUE, .msk_id = 0x00010002,
                             .mtk_id = (guint16) (i + 1), .domain = { 0, 0xf1, 0x10 } };
      keys[i] = gba_secret_new_random (16);
      salts[i] = gba_secret_new_random (14);
      q.key = keys[i];
      q.salt = salts[i];
      mtk_msgs[i] = mikey_build_mtk_message (&q, msk, rand);
      memcpy (masters[i], gba_secret_get_data (keys[i], NULL), 16);
      memcpy (masters[i] + 16, gba_secret_get_data (salts[i], NULL), 14);
      k[i] = (srtp_master_key_t) { masters[i], mkis[i], 6 };
    }
  sp.keys = kp;
  sp.num_master_keys = 2;
  sp.ssrc.type = ssrc_any_outbound;
  g_assert (srtp_create (&tx, &sp) == srtp_err_status_ok);
  for (guint i = 0; i < 2; i++)
    {
      memcpy (pkts[i], packets[i], 12 + PAYLOAD);
      pkts[i][2] = 0, pkts[i][3] = (guint8) (i + 1);
      lens[i] = 12 + PAYLOAD;
      g_assert (srtp_protect_mki (tx, pkts[i], &lens[i], 1, i) == srtp_err_status_ok);
    }
  srtp_dealloc (tx);
  srtp_bridge_policy_init_default (&policy);
  mgv_store_set_deferred_mtk_saves (store, TRUE); /* as mbmsd: MGV-S after the key is in use */

  /* the stream runs under MTK 1 (the sender is known) */
  {
    g_autoptr(MgvMtk) m1 = mgv_process_mtk (store, "239.255.0.1/1", mtk_msgs[0], NULL);
    g_assert (m1 != NULL);
    g_assert (srtp_bridge_receiver_add_key (rx, mkis[0], gba_secret_get_data (m1->mtk, NULL), 16,
                                            gba_secret_get_data (m1->salt, NULL), 14, &policy, NULL));
    len = (gsize) lens[0];
    g_assert (srtp_bridge_receiver_unprotect_rtp (rx, pkts[0], &len) == SRTP_BRIDGE_OK);
  }
  /* the clock runs from the MTK message's arrival */
  t0 = now_s ();
  {
    g_autoptr(MgvMtk) m2 = mgv_process_mtk (store, "239.255.0.1/1", mtk_msgs[1], NULL); /* MGV-F */
    g_assert (m2 != NULL);
    t1 = now_s ();
    g_assert (srtp_bridge_receiver_add_key (rx, mkis[1], gba_secret_get_data (m2->mtk, NULL), 16,
                                            gba_secret_get_data (m2->salt, NULL), 14, &policy, NULL));
  }
  t2 = now_s ();
  len = (gsize) lens[1];
  g_assert (srtp_bridge_receiver_unprotect_rtp (rx, pkts[1], &len) == SRTP_BRIDGE_OK);
  t3 = now_s ();
  *t_mgv = t1 - t0, *t_key = t2 - t1, *t_first = t3 - t2;
  /* MGV-S follows in the background, as in mbmsd (this waits for it only to time it) */
  mgv_store_save_in_background (store);
  g_assert (mgv_store_flush (store, NULL));
  *t_save = now_s () - t3;
  for (guint i = 0; i < 2; i++)
    {
      g_bytes_unref (mtk_msgs[i]);
      gba_secret_unref (keys[i]);
      gba_secret_unref (salts[i]);
    }
  g_unlink (path);
  g_rmdir (dir);
  return t3 - t0;
}

/* ------------------------------------------------------------ RSS */

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || (p = strstr (status, "VmRSS:")) == NULL)
    return -1;
  return strtol (p + 6, NULL, 10);
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *v, guint n)
{
  qsort (v, n, sizeof *v, compare_doubles);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main (int argc, char **argv)
{
  gboolean quick = argc > 1 && strcmp (argv[1], "--quick") == 0;
  double t_copy, t_unprotect, t_receiver, relay_pps, bridge_pps, ceiling, t_mgv, t_key, t_first, t_save, latency;
  guint relay_lost, bridge_lost;
  long rss_before, rss_after;
  SrtpBridgeReceiver *eight[8];
  SrtpBridgePolicy policy;

  for (guint i = 0; i < sizeof master; i++)
    master[i] = (guint8) (i * 7 + 3);
  g_assert (srtp_init () == srtp_err_status_ok);
  make_packets (quick ? 20000 : 60000);

  /* rounds of all three, interleaved, and the median of each: a noisy neighbour on a shared
   * machine then slows every figure of a round alike instead of one figure alone */
  {
    double unprotect[ROUNDS], copy[ROUNDS], receiver[ROUNDS], relay[ROUNDS], bridge[ROUNDS];
    guint rounds = quick ? 1 : ROUNDS, lost;

    relay_lost = bridge_lost = 0;
    for (guint r = 0; r < rounds; r++)
      {
        unprotect[r] = bench_unprotect (&copy[r]);
        receiver[r] = bench_receiver ();
        relay[r] = bench_relay (&lost);
        relay_lost += lost;
        bridge[r] = bench_bridge (&lost);
        bridge_lost += lost;
      }
    t_unprotect = median (unprotect, rounds);
    t_copy = median (copy, rounds);
    t_receiver = median (receiver, rounds);
    relay_pps = median (relay, rounds);
    bridge_pps = median (bridge, rounds);
  }
  ceiling = 1.0 / (1.0 / relay_pps + t_unprotect);
  latency = bench_mtk_latency (&t_mgv, &t_key, &t_first, &t_save);

  /* RSS: eight sessions with their keys, contexts and hold buffers in use */
  rss_before = rss_kib ();
  srtp_bridge_policy_init_default (&policy);
  for (guint i = 0; i < 8; i++)
    {
      guint8 buf[PKT_MAX], other[6] = { 0, 1, 0, 2, 0, 9 };
      gsize len = (gsize) lengths[1];
      eight[i] = srtp_bridge_receiver_new (NULL, NULL);
      g_assert (srtp_bridge_receiver_add_key (eight[i], mki, master, 16, master + 16, 14, &policy, NULL));
      memcpy (buf, packets[1], len);
      srtp_bridge_receiver_unprotect_rtp (eight[i], buf, &len);
      memcpy (buf, packets[2], (size_t) lengths[2]);
      buf[lengths[2] - 11] = 9; /* an MKI still on its way: the hold ring comes into use */
      (void) other;
      len = (gsize) lengths[2];
      srtp_bridge_receiver_unprotect_rtp (eight[i], buf, &len);
    }
  rss_after = rss_kib ();

  printf ("packets               %u x %u-octet payload, SRTP AES-CM-128 + HMAC-SHA-1-80, 6-octet MKI; "
          "median of %u rounds\n", n_packets, PAYLOAD, quick ? 1 : ROUNDS);
  printf ("copy alone            %8.3f us/packet\n", t_copy * 1e6);
  printf ("libsrtp2 unprotect    %8.3f us/packet  %9.0f packets/s (copy included)\n", t_unprotect * 1e6,
          1 / t_unprotect);
  printf ("bridge receiver alone %8.3f us/packet  %9.0f packets/s (copy included, no sockets)\n",
          t_receiver * 1e6, 1 / t_receiver);
  printf ("UDP relay (loopback)  %8.3f us/packet  %9.0f packets/s  lost %u\n", 1e6 / relay_pps, relay_pps, relay_lost);
  printf ("bridge                %8.3f us/packet  %9.0f packets/s  lost %u\n", 1e6 / bridge_pps, bridge_pps,
          bridge_lost);
  printf ("ceiling               %8.3f us/packet  %9.0f packets/s  = 1 / (t_relay + t_unprotect)\n", 1e6 / ceiling,
          ceiling);
  printf ("ratio bridge/ceiling  %8.2f\n", bridge_pps / ceiling);
  printf ("MTK to first packet   %8.3f ms (MGV-F %.3f ms, bridge contexts %.3f ms, first unprotect %.3f ms; "
          "MGV-S save after it, in the background, %.3f ms)\n",
          latency * 1e3, t_mgv * 1e3, t_key * 1e3, t_first * 1e3, t_save * 1e3);
  printf ("RSS                   %ld KiB; 8 sessions with keys and held packets add %ld KiB\n", rss_after,
          rss_after - rss_before);
  for (guint i = 0; i < 8; i++)
    srtp_bridge_receiver_free (eight[i]);
  return 0;
}
