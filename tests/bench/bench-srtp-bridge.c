/* bench-srtp-bridge: the bridge's cost against the physical limit, measured in one run.
 *   (a) reference: SRTP unprotect written directly on OpenSSL EVP (pre-keyed contexts, no
 *       replay window), the crypto's cost alone;
 *   (b) the bridge's receiver alone (libsrtp2 with srtp-bridge's OpenSSL types), no sockets;
 *   (c) a plain UDP relay (recvmmsg/sendmmsg x32) and (d) the bridge's decrypt-and-forward,
 *       each draining a socket filled before the clock starts, so no sender shares the cores;
 *   (c'), (d') the same with a live sender (blast, at most WINDOW packets in flight).
 * Printed as ratios first: receiver / reference, bridge / (relay + reference). Also the first
 * key change in a fresh process (a child: no session of any kind alive before it) and the
 * later ones, MTK message to first packet, and this process's RSS with 8 sessions.
 * 1200-octet payloads, AES-CM-128 + HMAC-SHA-1-80, 6-octet MKI. Figures only: nothing here
 * passes or fails.
 *   bench-srtp-bridge [--quick] | --key-changes */
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
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "mgv.h"
#include "srtp-bridge.h"

#define PAYLOAD  1200
#define BATCH    32
#define WINDOW   256  /* packets in flight: the sender waits rather than overrun a socket */
#define PKT_MAX  1300
#define ROUNDS   5    /* each figure is the median of this many interleaved rounds */
#define FILL_BYTES (256 << 20) /* receive buffers that hold a whole prefilled run */
#define TAG_LEN  10
#define MKI_LEN  6

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

/* ------------------------------------------------------------ raw libsrtp2 */

/* libsrtp2's srtp_unprotect_mki on r: with its own types (a session made before the bridge
 * registered its OpenSSL ones) or with the bridge's. */
static double
bench_unprotect (srtp_t r, double *t_copy)
{
  guint8 buf[PKT_MAX] __attribute__ ((aligned (16)));
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
  return (t1 - t0) / n_packets;
}

/* ------------------------------------------------------------ (a) OpenSSL reference */

/* RFC 3711 4.3.1 key derivation with kdr 0: AES-CM of zeros under the master key, IV = the
 * master salt with the label at octet 7. */
static void
derive (EVP_CIPHER *aes, guint8 label, guint8 *out, int len)
{
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new ();
  guint8 iv[16] = { 0 };
  int n;

  memcpy (iv, master + 16, 14);
  iv[7] ^= label;
  memset (out, 0, (size_t) len);
  g_assert (EVP_EncryptInit_ex2 (c, aes, master, iv, NULL) && EVP_EncryptUpdate (c, out, &n, out, len));
  EVP_CIPHER_CTX_free (c);
}

typedef struct {
  EVP_CIPHER_CTX *aes;
  EVP_MAC_CTX    *mac;
  guint8          salt[14];
} Reference;

static void
reference_init (Reference *r)
{
  EVP_CIPHER *aes = EVP_CIPHER_fetch (NULL, "AES-128-CTR", NULL);
  EVP_MAC *hmac = EVP_MAC_fetch (NULL, OSSL_MAC_NAME_HMAC, NULL);
  OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (char *) "SHA1", 0),
                          OSSL_PARAM_construct_end () };
  guint8 k_e[16], k_a[20];

  derive (aes, 0x00, k_e, sizeof k_e);
  derive (aes, 0x01, k_a, sizeof k_a);
  derive (aes, 0x02, r->salt, sizeof r->salt);
  r->aes = EVP_CIPHER_CTX_new ();
  r->mac = EVP_MAC_CTX_new (hmac);
  g_assert (EVP_EncryptInit_ex2 (r->aes, aes, k_e, NULL, NULL));
  g_assert (EVP_MAC_init (r->mac, k_a, sizeof k_a, params));
  OPENSSL_cleanse (k_e, sizeof k_e);
  OPENSSL_cleanse (k_a, sizeof k_a);
  EVP_CIPHER_free (aes);
  EVP_MAC_free (hmac);
}

/* RFC 3711 3.3 for one sender with ROC 0: tag over header || payload || ROC (the MKI is not
 * covered), then AES-CM with IV = k_s * 2^16 XOR SSRC * 2^64 XOR index * 2^16. */
static gboolean
reference_unprotect (Reference *r, guint8 *p, int *len)
{
  static const guint8 roc[4] = { 0 };
  guint8 mac[20], iv[16] = { 0 };
  size_t mac_len;
  int body = *len - TAG_LEN - MKI_LEN, n;

  if (!EVP_MAC_init (r->mac, NULL, 0, NULL) || !EVP_MAC_update (r->mac, p, (size_t) body)
      || !EVP_MAC_update (r->mac, roc, sizeof roc) || !EVP_MAC_final (r->mac, mac, &mac_len, sizeof mac)
      || CRYPTO_memcmp (mac, p + *len - TAG_LEN, TAG_LEN) != 0)
    return FALSE;
  memcpy (iv, r->salt, sizeof r->salt);
  for (guint i = 0; i < 4; i++)
    iv[4 + i] ^= p[8 + i];
  iv[12] ^= p[2], iv[13] ^= p[3];
  if (!EVP_EncryptInit_ex2 (r->aes, NULL, NULL, iv, NULL) || !EVP_EncryptUpdate (r->aes, p + 12, &n, p + 12, body - 12))
    return FALSE;
  *len = body;
  return TRUE;
}

static double
bench_reference (void)
{
  guint8 buf[PKT_MAX] __attribute__ ((aligned (16)));
  Reference r;
  double t0, t1;

  reference_init (&r);
  t0 = now_s ();
  for (guint i = 0; i < n_packets; i++)
    {
      int len = lengths[i];
      memcpy (buf, packets[i], (size_t) len);
      if (!reference_unprotect (&r, buf, &len))
        g_error ("the reference refused packet %u", i);
    }
  t1 = now_s ();
  /* and it is right: the last packet decrypted to what was protected */
  if (buf[12] != (guint8) (n_packets - 1) || buf[12 + PAYLOAD - 1] != (guint8) (n_packets - 1))
    g_error ("the reference decrypts wrongly");
  EVP_CIPHER_CTX_free (r.aes);
  EVP_MAC_CTX_free (r.mac);
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

/* ------------------------------------------------------------ harness (c), (d) */

typedef struct {
  int            in_fd, sink_fd;
  struct sockaddr_in in_addr, sink_addr;
  gboolean       prefilled;     /* in_fd holds every packet before the clock starts */
  volatile gint  received;
  volatile gint  stop;
  volatile gint  go;            /* the relay or bridge may start reading */
  double         t_start, t_end;
} Harness;

static void
big_buffer (int fd)
{
  int size = FILL_BYTES;

  /* as root the buffers may exceed rmem_max: a whole prefilled run fits */
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

static int
udp_socket (struct sockaddr_in *bound)
{
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  socklen_t len = sizeof *bound;

  big_buffer (fd);
  bound->sin_family = AF_INET;
  bound->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  bound->sin_port = 0;
  g_assert (bind (fd, (struct sockaddr *) bound, sizeof *bound) == 0);
  getsockname (fd, (struct sockaddr *) bound, &len);
  return fd;
}

/* The forwarder keeps its socket to itself: find it by its port to give it a large buffer. */
static void
big_buffer_on_port (guint16 port)
{
  for (int fd = 3; fd < 4096; fd++)
    {
      struct sockaddr_in a;
      socklen_t len = sizeof a, tlen = sizeof (int);
      int type;

      if (getsockname (fd, (struct sockaddr *) &a, &len) == 0 && a.sin_family == AF_INET && ntohs (a.sin_port) == port
          && getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_DGRAM)
        big_buffer (fd);
    }
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

static void
send_all (int out, struct sockaddr_in *to, Harness *window)
{
  struct mmsghdr m[BATCH];
  struct iovec iov[BATCH];
  guint sent = 0;

  while (sent < n_packets)
    {
      guint n = MIN (BATCH, n_packets - sent);
      int r;
      /* blast: sleeping, not spinning, so that the sender does not take the relay's core */
      while (window != NULL && sent - (guint) g_atomic_int_get (&window->received) > WINDOW)
        g_usleep (20);
      for (guint i = 0; i < n; i++)
        {
          iov[i] = (struct iovec) { packets[sent + i], (size_t) lengths[sent + i] };
          m[i].msg_hdr = (struct msghdr) { .msg_name = to, .msg_namelen = sizeof *to, .msg_iov = &iov[i],
                                           .msg_iovlen = 1 };
        }
      r = sendmmsg (out, m, n, 0);
      if (r > 0)
        sent += (guint) r;
    }
}

/* Prefilled: every packet is queued at in_addr, then the clock starts and the relay or bridge
 * drains the queue. Blast: a live sender, never more than WINDOW ahead of the sink. Returns
 * packets/s at the sink. */
static double
run_harness (Harness *h, guint *lost)
{
  int out = socket (AF_INET, SOCK_DGRAM, 0);
  GThread *sink = g_thread_new ("sink", sink_thread, h);
  double deadline;

  if (h->prefilled)
    send_all (out, &h->in_addr, NULL);
  h->t_start = now_s ();
  g_atomic_int_set (&h->go, 1);
  if (!h->prefilled)
    send_all (out, &h->in_addr, h);
  deadline = now_s () + 3;
  while ((guint) g_atomic_int_get (&h->received) < n_packets && now_s () < deadline)
    g_usleep (200);
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
  while (!g_atomic_int_get (&h->go))
    g_usleep (50);
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
bench_relay (gboolean prefilled, guint *lost)
{
  Harness h = { .prefilled = prefilled };
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
  volatile gint bound;
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
  g_atomic_int_set (&b->bound, 1);
  while (!g_atomic_int_get (&b->h->go))
    g_usleep (50);
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
bench_bridge (gboolean prefilled, guint *lost)
{
  Harness h = { .prefilled = prefilled };
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
  while (!g_atomic_int_get (&b.bound))
    g_usleep (100);
  big_buffer_on_port (b.port);
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

/* ------------------------------------------------------------ key changes, fresh process */

static int compare_doubles (const void *a, const void *b);

/* Run as a child (--key-changes) so that nothing of libsrtp2 is alive before it: the first
 * MTK of a fresh receiver (libsrtp2 started with srtp_bridge_receiver_new, as mbmsd does when
 * a session starts), then 20 later MTKs; each add_key timed alone. */
static int
key_changes (void)
{
  guint8 keys[21][30], mkis[21][6];
  double t0, t_new, t_first, t_packet, later[20];
  SrtpBridgePolicy policy;
  SrtpBridgeReceiver *rx;

  for (guint k = 0; k < 21; k++)
    {
      for (guint i = 0; i < 30; i++)
        keys[k][i] = (guint8) (k * 17 + i * 3 + 1);
      memcpy (mkis[k], mki, 6);
      mkis[k][5] = (guint8) (k + 1);
    }
  srtp_bridge_policy_init_default (&policy);
  t0 = now_s ();
  rx = srtp_bridge_receiver_new (NULL, NULL);
  t_new = now_s () - t0;
  t0 = now_s ();
  g_assert (srtp_bridge_receiver_add_key (rx, mkis[0], keys[0], 16, keys[0] + 16, 14, &policy, NULL));
  t_first = now_s () - t0;
  {
    /* a sender the receiver knows, as in a running stream: later keys update its context */
    srtp_policy_t p;
    srtp_master_key_t mk = { keys[0], mkis[0], 6 }, *mkp = &mk;
    srtp_t tx;
    guint8 buf[PKT_MAX];
    int n;
    gsize len;

    memset (&p, 0, sizeof p);
    (void) lengths;
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtcp);
    p.keys = &mkp;
    p.num_master_keys = 1;
    p.ssrc.type = ssrc_any_outbound;
    g_assert (srtp_create (&tx, &p) == srtp_err_status_ok);
    memset (buf, 0, 12 + PAYLOAD);
    buf[0] = 0x80, buf[1] = 96, buf[3] = 1, buf[8] = 0xca, buf[9] = 0xfe, buf[10] = 0xba, buf[11] = 0xbe;
    n = 12 + PAYLOAD;
    g_assert (srtp_protect_mki (tx, buf, &n, 1, 0) == srtp_err_status_ok);
    srtp_dealloc (tx);
    len = (gsize) n;
    t0 = now_s ();
    g_assert (srtp_bridge_receiver_unprotect_rtp (rx, buf, &len) == SRTP_BRIDGE_OK);
    t_packet = now_s () - t0;
  }
  for (guint k = 1; k < 21; k++)
    {
      t0 = now_s ();
      g_assert (srtp_bridge_receiver_add_key (rx, mkis[k], keys[k], 16, keys[k] + 16, 14, &policy, NULL));
      later[k - 1] = now_s () - t0;
    }
  srtp_bridge_receiver_free (rx);
  qsort (later, 20, sizeof *later, compare_doubles);
  printf ("%.1f %.1f %.1f %.1f\n", t_new * 1e6, t_first * 1e6, t_packet * 1e6, later[10] * 1e6);
  return 0;
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

/* The child's figures: receiver_new (libsrtp2 start), first MTK, the first packet after it
 * (the sender's contexts are made then: key derivation), median later MTK. */
static gboolean
spawn_key_changes (const char *self, double out[4])
{
  const char *argv[] = { self, "--key-changes", NULL };
  g_autofree char *stdout_text = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &stdout_text, NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    return FALSE;
  return sscanf (stdout_text, "%lf %lf %lf %lf", &out[0], &out[1], &out[2], &out[3]) == 4;
}

int
main (int argc, char **argv)
{
  gboolean quick = argc > 1 && strcmp (argv[1], "--quick") == 0;
  double t_copy, t_own, t_unprotect, t_reference, t_receiver, relay_pps, bridge_pps, blast_relay_pps, blast_bridge_pps;
  double t_mgv, t_key, t_first, t_save, latency, keys[4] = { -1, -1, -1, -1 };
  guint relay_lost, bridge_lost, blast_lost;
  long rss_before, rss_after;
  SrtpBridgeReceiver *eight[8];
  SrtpBridgePolicy policy;
  srtp_t own[ROUNDS];
  guint rounds = quick ? 1 : ROUNDS;

  if (argc > 1 && strcmp (argv[1], "--key-changes") == 0)
    return key_changes ();
  /* first, in a fresh child, before anything of libsrtp2 lives here */
  if (!spawn_key_changes ("/proc/self/exe", keys))
    fprintf (stderr, "the key-change child failed\n");

  for (guint i = 0; i < sizeof master; i++)
    master[i] = (guint8) (i * 7 + 3);
  g_assert (srtp_init () == srtp_err_status_ok);
  /* sessions on libsrtp2's own types (Debian: NSS), made before the bridge registers OpenSSL's */
  for (guint r = 0; r < rounds; r++)
    own[r] = libsrtp_session (FALSE);
  srtp_bridge_receiver_free (srtp_bridge_receiver_new (NULL, NULL)); /* registers them */
  make_packets (quick ? 20000 : 60000);

  /* rounds of all, interleaved, and the median of each: a noisy neighbour on a shared
   * machine then slows every figure of a round alike instead of one figure alone */
  {
    double own_v[ROUNDS], unprotect[ROUNDS], copy[ROUNDS], reference[ROUNDS], receiver[ROUNDS], relay[ROUNDS],
           bridge[ROUNDS], blast_relay[ROUNDS], blast_bridge[ROUNDS];
    guint lost;

    relay_lost = bridge_lost = blast_lost = 0;
    for (guint r = 0; r < rounds; r++)
      {
        own_v[r] = bench_unprotect (own[r], &copy[r]);
        srtp_dealloc (own[r]);
        {
          srtp_t s = libsrtp_session (FALSE);
          unprotect[r] = bench_unprotect (s, &copy[r]);
          srtp_dealloc (s);
        }
        reference[r] = bench_reference ();
        receiver[r] = bench_receiver ();
        relay[r] = bench_relay (TRUE, &lost);
        relay_lost += lost;
        bridge[r] = bench_bridge (TRUE, &lost);
        bridge_lost += lost;
        blast_relay[r] = bench_relay (FALSE, &lost);
        blast_lost += lost;
        blast_bridge[r] = bench_bridge (FALSE, &lost);
        blast_lost += lost;
      }
    t_own = median (own_v, rounds);
    t_unprotect = median (unprotect, rounds);
    t_copy = median (copy, rounds);
    t_reference = median (reference, rounds);
    t_receiver = median (receiver, rounds);
    relay_pps = median (relay, rounds);
    bridge_pps = median (bridge, rounds);
    blast_relay_pps = median (blast_relay, rounds);
    blast_bridge_pps = median (blast_bridge, rounds);
  }
  latency = bench_mtk_latency (&t_mgv, &t_key, &t_first, &t_save);

  /* RSS: eight sessions with their keys, contexts and hold buffers in use */
  rss_before = rss_kib ();
  srtp_bridge_policy_init_default (&policy);
  for (guint i = 0; i < 8; i++)
    {
      guint8 buf[PKT_MAX];
      gsize len = (gsize) lengths[1];
      eight[i] = srtp_bridge_receiver_new (NULL, NULL);
      g_assert (srtp_bridge_receiver_add_key (eight[i], mki, master, 16, master + 16, 14, &policy, NULL));
      memcpy (buf, packets[1], len);
      srtp_bridge_receiver_unprotect_rtp (eight[i], buf, &len);
      memcpy (buf, packets[2], (size_t) lengths[2]);
      buf[lengths[2] - 11] = 9; /* an MKI still on its way: the hold ring comes into use */
      len = (gsize) lengths[2];
      srtp_bridge_receiver_unprotect_rtp (eight[i], buf, &len);
    }
  rss_after = rss_kib ();

  printf ("packets               %u x %u-octet payload, SRTP AES-CM-128 + HMAC-SHA-1-80, 6-octet MKI; "
          "median of %u rounds\n", n_packets, PAYLOAD, rounds);
  printf ("ratio receiver/reference           %6.2f  (aim <= 1.3)\n", t_receiver / t_reference);
  printf ("ratio bridge/(relay + reference)   %6.2f  (aim <= 1.6; prefilled sockets)\n",
          (1 / bridge_pps) / (1 / relay_pps + t_reference));
  printf ("ratio blast bridge/(relay + ref.)  %6.2f  (live sender)\n",
          (1 / blast_bridge_pps) / (1 / blast_relay_pps + t_reference));
  printf ("first key change      %8.1f us in a fresh process (aim < 50 us), + %.1f us on the first packet "
          "(the sender's contexts); later ones %.1f us (median of 20, sender known)\n", keys[1], keys[2], keys[3]);
  printf ("libsrtp2 start        %8.1f us (srtp_init's self-tests and the registration, with the first receiver)\n",
          keys[0]);
  printf ("copy alone            %8.3f us/packet\n", t_copy * 1e6);
  printf ("OpenSSL reference     %8.3f us/packet  %9.0f packets/s (EVP, keyed contexts, no replay window)\n",
          t_reference * 1e6, 1 / t_reference);
  printf ("libsrtp2, own crypto  %8.3f us/packet  %9.0f packets/s (the types libsrtp2 was built with)\n",
          t_own * 1e6, 1 / t_own);
  printf ("libsrtp2, bridge's    %8.3f us/packet  %9.0f packets/s (srtp-bridge's OpenSSL types)\n",
          t_unprotect * 1e6, 1 / t_unprotect);
  printf ("bridge receiver alone %8.3f us/packet  %9.0f packets/s (copy included, no sockets)\n",
          t_receiver * 1e6, 1 / t_receiver);
  printf ("UDP relay, prefilled  %8.3f us/packet  %9.0f packets/s  lost %u\n", 1e6 / relay_pps, relay_pps, relay_lost);
  printf ("bridge, prefilled     %8.3f us/packet  %9.0f packets/s  lost %u\n", 1e6 / bridge_pps, bridge_pps,
          bridge_lost);
  printf ("UDP relay, blast      %8.3f us/packet  %9.0f packets/s\n", 1e6 / blast_relay_pps, blast_relay_pps);
  printf ("bridge, blast         %8.3f us/packet  %9.0f packets/s  lost %u (both blasts)\n", 1e6 / blast_bridge_pps,
          blast_bridge_pps, blast_lost);
  printf ("MTK to first packet   %8.3f ms (MGV-F %.3f ms, bridge contexts %.3f ms, first unprotect %.3f ms; "
          "MGV-S save after it, in the background, %.3f ms)\n",
          latency * 1e3, t_mgv * 1e3, t_key * 1e3, t_first * 1e3, t_save * 1e3);
  printf ("RSS                   %ld KiB; 8 sessions with keys and held packets add %ld KiB\n", rss_after,
          rss_after - rss_before);
  for (guint i = 0; i < 8; i++)
    srtp_bridge_receiver_free (eight[i]);
  return 0;
}
