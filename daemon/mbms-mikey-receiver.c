/* MIKEY over UDP (TS 33.246 6.3.2.3.1, 6.3.3.2.2), hardened against floods and local
 * hijacking (issue 13 items 2 and 4).
 *
 * Sockets: the push socket is bound exclusively (srtp_bridge_udp_socket_new): no other local
 * process can bind the same address, nor the wildcard, on the MIKEY port. A multicast session
 * destination gets a socket bound to its group, or, when the push socket listens on the
 * wildcard (which then covers the group's port too), is joined on the push socket and told
 * apart by the datagram's destination address (IP_PKTINFO).
 *
 * Each datagram passes, cheapest first:
 *   1. size: larger than a MIKEY message can be -> oversized;
 *   2. MIKEY structure (the header and key IDs parse) -> malformed; garbage ends here and
 *      costs no budget, so it cannot crowd out anything;
 *   3. an exact repeat of a recent datagram to the same destination -> duplicate (the BM-SC
 *      resends MTK messages for reliability, 6.3.3.2.2, and MGV-F need not see them again);
 *      only a datagram MGV-F judged (or took to judge) is remembered: one dropped for the
 *      budget or a full card queue is heard again when the BM-SC resends it;
 *   4. the budget of MGV-F failures: rate_per_s per second for each source on each socket.
 *      A source whose messages MGV-F has authenticated (a MAC with the MUK or MSK) is trusted:
 *      once its own budget is spent by forgeries under its address, its messages still reach
 *      MGV-F from a second budget of the socket (TRUSTED_FACTOR times larger), so a spoofer of
 *      the BM-SC's address cannot silence the BM-SC, and the work a flood causes stays bounded;
 *   5. MGV-F (the owner): accepted, or not authenticated, replay, unknown key, malformed; only
 *      failures spend budget. With UICC key management the verdict comes later (PENDING): the
 *      datagram is charged a token when the card queue takes it and refunded when accepted, a
 *      source has at most RX_PENDING_PER_SOURCE on the card at a time, and untrusted sources
 *      together at most RX_UNTRUSTED_PENDING, so the rest of the owner's queue stays for the
 *      trusted BM-SC (a flood from other addresses cannot keep its messages out).
 * Every drop is counted per socket and reason, and each reason is logged at most once per
 * LOG_INTERVAL_S with the count. */
#define _GNU_SOURCE /* struct in6_pktinfo */
#include "mbms-mikey-receiver.h"
#include "mgv.h"
#include "srtp-bridge.h"

#include <netinet/in.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/socket.h>

#define RX_MAX_DATAGRAM  MIKEY_MAX_MESSAGE_LEN
#define RX_RECENT        16   /* fingerprints of recent datagrams remembered */
#define RX_MAX_SOURCES   256  /* budgets kept per socket */
#define RX_DRAIN         64   /* datagrams per wakeup, then the main loop breathes */
#define TRUSTED_FACTOR   100  /* the socket's budget for trusted sources, in rate_per_s: bounds MGV-F work */
#define LOG_INTERVAL_S   10   /* at most one summary line per reason and socket this often */
#define RX_PENDING_PER_SOURCE 4   /* datagrams of one source (per socket) waiting for the card */
#define RX_UNTRUSTED_PENDING  16  /* of all untrusted sources: half the card queue (MAX_QUEUED 32) */

typedef struct {
  MbmsMikeyReceiver *rx;
  gint64             last_us;
  double             tokens;
  gboolean           trusted;         /* MGV-F authenticated a message from this source */
  guint              pending;         /* datagrams waiting for the card's verdict */
  guint              pending_trusted; /* of those, charged to the socket's trusted budget */
} Bucket;

typedef struct {
  MbmsMikeyReceiver *rx;
  GSocket           *socket;      /* NULL: a group joined on the push socket */
  GSource           *source;
  char              *destination; /* NULL for the push socket */
  GInetAddress      *address;
  GHashTable        *buckets;     /* source address string -> Bucket */
  Bucket             trusted_budget;
  MbmsMikeyCounters  counters, logged;
} Endpoint;

struct _MbmsMikeyReceiver {
  guint16           port;
  char             *listen;
  char             *iface;        /* where groups are joined, NULL = by route */
  guint             rate_per_s;
  MbmsMikeyFunc     func;
  gpointer          user_data;
  Endpoint         *push;
  gboolean          push_is_any;  /* the push socket covers every address of its family */
  GHashTable       *destinations; /* address -> Endpoint */
  guint8            recent[RX_RECENT][32];
  guint             recent_next;
  guint             untrusted_pending; /* the pending of untrusted buckets, all sockets */
  guint             log_timer;
};

/* A bucket forgotten with datagrams on the card: they no longer count against the share. */
static void
bucket_free (Bucket *b)
{
  if (!b->trusted)
    b->rx->untrusted_pending -= MIN (b->pending, b->rx->untrusted_pending);
  g_free (b);
}

static void
endpoint_free (Endpoint *ep)
{
  if (ep == NULL)
    return;
  if (ep->socket == NULL && ep->rx->push != NULL) /* joined on the push socket */
    g_socket_leave_multicast_group (ep->rx->push->socket, ep->address, FALSE, ep->rx->iface, NULL);
  if (ep->source != NULL)
    {
      g_source_destroy (ep->source);
      g_source_unref (ep->source);
    }
  g_clear_object (&ep->socket); /* closing leaves its group */
  g_clear_object (&ep->address);
  g_hash_table_unref (ep->buckets);
  g_free (ep->destination);
  g_free (ep);
}

static void
refill (Bucket *b, double rate, double burst, gint64 now)
{
  b->tokens = MIN (burst, b->tokens + (now - b->last_us) * rate / 1e6);
  b->last_us = now;
}

static Bucket *
bucket_of (Endpoint *ep, GSocketAddress *from)
{
  g_autofree char *key = NULL;
  Bucket *b;

  if (!G_IS_INET_SOCKET_ADDRESS (from))
    return NULL;
  key = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (from)));
  b = g_hash_table_lookup (ep->buckets, key);
  if (b == NULL)
    {
      if (g_hash_table_size (ep->buckets) >= RX_MAX_SOURCES)
        {
          /* forget the untrusted first; trust is what keeps the real sender heard */
          GHashTableIter it;
          gpointer v;
          g_hash_table_iter_init (&it, ep->buckets);
          while (g_hash_table_iter_next (&it, NULL, &v))
            if (!((Bucket *) v)->trusted)
              g_hash_table_iter_remove (&it);
          if (g_hash_table_size (ep->buckets) >= RX_MAX_SOURCES)
            g_hash_table_remove_all (ep->buckets);
        }
      b = g_new0 (Bucket, 1);
      b->rx = ep->rx;
      b->tokens = ep->rx->rate_per_s;
      b->last_us = g_get_monotonic_time ();
      g_hash_table_insert (ep->buckets, g_steal_pointer (&key), b);
    }
  return b;
}

/* A repeat is the same datagram to the same destination: the BM-SC sends one MTK message to
 * each session of a key group (each its own address), and every session needs its copy.
 * FALSE: no fingerprint (MGV-F judges it; a repeat is refused there as a replay). */
static gboolean
fingerprint (const char *destination, const guint8 *data, gsize len, guint8 fp[32])
{
  unsigned int fp_len = 0;
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  const char *to = destination != NULL ? destination : "";
  gboolean ok = md != NULL && EVP_DigestInit_ex (md, EVP_sha256 (), NULL) && EVP_DigestUpdate (md, to, strlen (to) + 1)
                && EVP_DigestUpdate (md, data, len) && EVP_DigestFinal_ex (md, fp, &fp_len);

  EVP_MD_CTX_free (md);
  return ok;
}

static gboolean
seen_recently (MbmsMikeyReceiver *rx, const guint8 fp[32])
{
  for (guint i = 0; i < RX_RECENT; i++)
    if (memcmp (rx->recent[i], fp, 32) == 0)
      return TRUE;
  return FALSE;
}

static void
remember_seen (MbmsMikeyReceiver *rx, const guint8 fp[32])
{
  memcpy (rx->recent[rx->recent_next], fp, 32);
  rx->recent_next = (rx->recent_next + 1) % RX_RECENT;
}

static void
make_trusted (Bucket *b)
{
  if (!b->trusted)
    b->rx->untrusted_pending -= MIN (b->pending, b->rx->untrusted_pending);
  b->trusted = TRUE;
}

/* Step 5's outcome: counted, and a failure charged to the budget that let it through (a
 * PENDING datagram was charged when queued: charged says so, and an accepted one is refunded). */
static void
apply_verdict (Endpoint *ep, Bucket *b, Bucket *charge, gboolean charged, MbmsMikeyVerdict verdict)
{
  MbmsMikeyCounters *c = &ep->counters;
  double burst = charge == b ? ep->rx->rate_per_s : (double) ep->rx->rate_per_s * TRUSTED_FACTOR;

  switch (verdict)
    {
    case MBMS_MIKEY_ACCEPTED:
      make_trusted (b);
      G_GNUC_FALLTHROUGH;
    case MBMS_MIKEY_ACCEPTED_COPY: /* the bytes of an authenticated message, from anyone: no trust */
      c->accepted++;
      G_GNUC_FALLTHROUGH;
    case MBMS_MIKEY_IGNORED:
      if (charged) /* authenticated traffic, and what was not judged, costs no budget */
        charge->tokens = MIN (burst, charge->tokens + 1.0);
      return;
    case MBMS_MIKEY_PENDING:
      charge->tokens -= 1.0; /* refunded if the card accepts it */
      b->pending++;
      b->pending_trusted += charge != b;
      if (!b->trusted)
        ep->rx->untrusted_pending++;
      return;
    case MBMS_MIKEY_BUSY:
      c->rate_limited++;
      return;
    case MBMS_MIKEY_MALFORMED:
      c->malformed++;
      break;
    case MBMS_MIKEY_NOT_AUTHENTICATED:
      c->not_authenticated++;
      break;
    case MBMS_MIKEY_REPLAY:
      c->replay++;
      break;
    case MBMS_MIKEY_UNKNOWN_KEY:
      c->unknown_key++;
      break;
    }
  if (!charged)
    charge->tokens -= 1.0;
}

/* Steps 2-5 of the file's comment for one datagram of ep. */
static void
judge (Endpoint *ep, const guint8 *data, gsize len, GSocketAddress *from)
{
  MbmsMikeyReceiver *rx = ep->rx;
  MbmsMikeyCounters *c = &ep->counters;
  g_autoptr(GBytes) datagram = g_bytes_new (data, len);
  g_autoptr(MikeyMessage) msg = mikey_message_parse (datagram, NULL);
  gint64 now = g_get_monotonic_time ();
  Bucket *b;
  Bucket *charge;
  MbmsMikeyVerdict verdict;
  guint8 fp[32];
  gboolean has_fp;

  if (msg == NULL || !msg->has_key_ids)
    {
      c->malformed++;
      return;
    }
  has_fp = fingerprint (ep->destination, data, len, fp);
  if (has_fp && seen_recently (rx, fp))
    {
      c->duplicates++;
      return;
    }
  b = bucket_of (ep, from);
  if (b == NULL)
    {
      c->malformed++;
      return;
    }
  refill (b, rx->rate_per_s, rx->rate_per_s, now);
  refill (&ep->trusted_budget, (double) rx->rate_per_s * TRUSTED_FACTOR, (double) rx->rate_per_s * TRUSTED_FACTOR, now);
  if (b->tokens >= 1.0)
    charge = b;
  else if (b->trusted && ep->trusted_budget.tokens >= 1.0)
    charge = &ep->trusted_budget;
  else
    {
      c->rate_limited++;
      return;
    }
  if (b->pending >= RX_PENDING_PER_SOURCE || (!b->trusted && rx->untrusted_pending >= RX_UNTRUSTED_PENDING))
    {
      c->rate_limited++; /* its earlier ones still wait for the card */
      return;
    }
  verdict = rx->func (datagram, from, ep->destination, rx->user_data);
  if (has_fp && verdict != MBMS_MIKEY_BUSY)
    remember_seen (rx, fp);
  apply_verdict (ep, b, charge, FALSE, verdict);
}

/* The endpoint a datagram on the push socket belongs to: a group joined there, or the push. */
static Endpoint *
endpoint_by_destination (MbmsMikeyReceiver *rx, struct msghdr *mh)
{
  g_autoptr(GInetAddress) to = NULL;
  GHashTableIter it;
  gpointer v;

  for (struct cmsghdr *cm = CMSG_FIRSTHDR (mh); cm != NULL; cm = CMSG_NXTHDR (mh, cm))
    {
      if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
        {
          struct in_pktinfo pi;
          memcpy (&pi, CMSG_DATA (cm), sizeof pi);
          to = g_inet_address_new_from_bytes ((const guint8 *) &pi.ipi_addr, G_SOCKET_FAMILY_IPV4);
        }
      else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO)
        {
          struct in6_pktinfo pi;
          memcpy (&pi, CMSG_DATA (cm), sizeof pi);
          to = g_inet_address_new_from_bytes ((const guint8 *) &pi.ipi6_addr, G_SOCKET_FAMILY_IPV6);
        }
    }
  if (to == NULL || !g_inet_address_get_is_multicast (to))
    return rx->push;
  g_hash_table_iter_init (&it, rx->destinations);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (((Endpoint *) v)->socket == NULL && g_inet_address_equal (((Endpoint *) v)->address, to))
      return v;
  return rx->push; /* a group we left a moment ago */
}

static gboolean
on_readable (GSocket *socket, GIOCondition cond, gpointer user_data)
{
  Endpoint *ep = user_data;
  MbmsMikeyReceiver *rx = ep->rx;
  guint8 buf[RX_MAX_DATAGRAM + 1];

  for (guint round = 0; round < RX_DRAIN; round++)
    {
      struct sockaddr_storage from_native;
      union { struct cmsghdr align; char buf[CMSG_SPACE (sizeof (struct in6_pktinfo)) * 2]; } control;
      struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
      struct msghdr mh = { .msg_name = &from_native, .msg_namelen = sizeof from_native, .msg_iov = &iov,
                           .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
      g_autoptr(GSocketAddress) from = NULL;
      Endpoint *to;
      gssize n = recvmsg (g_socket_get_fd (socket), &mh, MSG_DONTWAIT);

      if (n < 0)
        break;
      to = ep == rx->push && rx->push_is_any ? endpoint_by_destination (rx, &mh) : ep;
      to->counters.received++;
      if (n > RX_MAX_DATAGRAM || (mh.msg_flags & MSG_TRUNC))
        {
          to->counters.oversized++;
          continue;
        }
      from = g_socket_address_new_from_native (&from_native, mh.msg_namelen);
      if (from == NULL)
        {
          to->counters.malformed++;
          continue;
        }
      judge (to, buf, (gsize) n, from);
    }
  return G_SOURCE_CONTINUE;
}

static const struct {
  const char *key;
  gsize       offset;
} drop_reasons[] = {
  { "mikey-oversized", G_STRUCT_OFFSET (MbmsMikeyCounters, oversized) },
  { "mikey-malformed", G_STRUCT_OFFSET (MbmsMikeyCounters, malformed) },
  { "mikey-duplicate", G_STRUCT_OFFSET (MbmsMikeyCounters, duplicates) },
  { "mikey-rate-limited", G_STRUCT_OFFSET (MbmsMikeyCounters, rate_limited) },
  { "mikey-not-authenticated", G_STRUCT_OFFSET (MbmsMikeyCounters, not_authenticated) },
  { "mikey-replay", G_STRUCT_OFFSET (MbmsMikeyCounters, replay) },
  { "mikey-unknown-key", G_STRUCT_OFFSET (MbmsMikeyCounters, unknown_key) },
};

#define COUNTER(c, i) G_STRUCT_MEMBER (guint64, (c), drop_reasons[i].offset)

void
mbms_mikey_counters_add_drops (const MbmsMikeyCounters *counters, GVariantBuilder *builder)
{
  for (guint i = 0; i < G_N_ELEMENTS (drop_reasons); i++)
    g_variant_builder_add (builder, "{st}", drop_reasons[i].key, COUNTER (counters, i));
}

/* One line per reason that dropped something since the last summary. */
static void
log_drops (Endpoint *ep)
{
  MbmsMikeyReceiver *rx = ep->rx;

  for (guint i = 0; i < G_N_ELEMENTS (drop_reasons); i++)
    {
      guint64 now = COUNTER (&ep->counters, i), before = COUNTER (&ep->logged, i);
      if (now != before)
        g_message ("MIKEY on %s:%u (%s): %" G_GUINT64_FORMAT " datagrams dropped as %s in the last %u s "
                   "(%" G_GUINT64_FORMAT " in all)", ep->destination ? ep->destination : rx->listen, rx->port,
                   ep->destination ? "MTK messages" : "MSK push", now - before, drop_reasons[i].key + 6,
                   LOG_INTERVAL_S, now);
    }
  ep->logged = ep->counters;
}

static gboolean
on_log_timer (gpointer data)
{
  MbmsMikeyReceiver *rx = data;
  GHashTableIter it;
  gpointer v;

  log_drops (rx->push);
  g_hash_table_iter_init (&it, rx->destinations);
  while (g_hash_table_iter_next (&it, NULL, &v))
    log_drops (v);
  return G_SOURCE_CONTINUE;
}

static Endpoint *
endpoint_alloc (MbmsMikeyReceiver *rx, GInetAddress *inet, const char *destination)
{
  Endpoint *ep = g_new0 (Endpoint, 1);

  ep->rx = rx;
  ep->address = g_object_ref (inet);
  ep->destination = g_strdup (destination);
  ep->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) bucket_free);
  ep->trusted_budget.tokens = (double) rx->rate_per_s * TRUSTED_FACTOR;
  ep->trusted_budget.last_us = g_get_monotonic_time ();
  return ep;
}

static void
endpoint_listen (Endpoint *ep, GSocket *socket)
{
  ep->socket = socket;
  ep->source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_callback (ep->source, (GSourceFunc) (void (*) (void)) on_readable, ep, NULL);
  g_source_attach (ep->source, NULL);
}

MbmsMikeyReceiver *
mbms_mikey_receiver_new (const char *listen_address, guint16 port, const char *multicast_interface, guint rate_per_s,
                         MbmsMikeyFunc func, gpointer user_data, GError **error)
{
  g_autoptr(MbmsMikeyReceiver) rx = g_new0 (MbmsMikeyReceiver, 1);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (listen_address);
  GSocket *socket;

  rx->port = port;
  rx->listen = g_strdup (listen_address);
  rx->iface = g_strdup (multicast_interface);
  rx->rate_per_s = MAX (rate_per_s, 1u);
  rx->func = func;
  rx->user_data = user_data;
  rx->destinations = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) endpoint_free);
  if (inet == NULL || g_inet_address_get_is_multicast (inet))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "[mikey] listen = \"%s\" is not a unicast IP address",
                   listen_address);
      return NULL;
    }
  socket = srtp_bridge_udp_socket_new (inet, port, NULL, error);
  if (socket == NULL)
    {
      g_prefix_error (error, "MIKEY push socket ([mikey] listen %s, port %u): ", listen_address, port);
      return NULL;
    }
  rx->push = endpoint_alloc (rx, inet, NULL);
  endpoint_listen (rx->push, socket);
  rx->push_is_any = g_inet_address_get_is_any (inet);
  if (rx->push_is_any)
    {
      /* groups joined here are told apart by the datagram's destination */
      int fd = g_socket_get_fd (socket);
      if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4)
        (void) setsockopt (fd, IPPROTO_IP, IP_PKTINFO, &(int) { 1 }, sizeof (int));
      else
        (void) setsockopt (fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &(int) { 1 }, sizeof (int));
      (void) setsockopt (fd, IPPROTO_IP, IP_MULTICAST_ALL, &(int) { 0 }, sizeof (int));
    }
  if (port == 0)
    {
      /* an ephemeral port (tests): every session socket must use the same one */
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);
      rx->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  rx->log_timer = g_timeout_add_seconds (LOG_INTERVAL_S, on_log_timer, rx);
  return g_steal_pointer (&rx);
}

void
mbms_mikey_receiver_free (MbmsMikeyReceiver *rx)
{
  if (rx == NULL)
    return;
  g_clear_handle_id (&rx->log_timer, g_source_remove);
  g_clear_pointer (&rx->destinations, g_hash_table_unref);
  g_clear_pointer (&rx->push, endpoint_free);
  g_free (rx->listen);
  g_free (rx->iface);
  g_free (rx);
}

gboolean
mbms_mikey_receiver_add_destination (MbmsMikeyReceiver *rx, const char *address, GError **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  const char *text = address; /* the sessions' spelling, which MTK messages are matched with */
  Endpoint *ep;
  GSocket *socket = NULL;

  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "\"%s\" is not an IP address", address);
      return FALSE;
    }
  if (g_hash_table_contains (rx->destinations, text))
    return TRUE;
  if (g_inet_address_get_family (inet) == g_inet_address_get_family (rx->push->address)
      && (g_inet_address_equal (inet, rx->push->address)
          || (rx->push_is_any && !g_inet_address_get_is_multicast (inet))))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                   "MTK destination %s:%u would share the MIKEY port with the push socket ([mikey] listen %s:%u)",
                   text, rx->port, rx->listen, rx->port);
      return FALSE;
    }
  if (rx->push_is_any && g_inet_address_get_family (inet) == g_inet_address_get_family (rx->push->address))
    {
      /* the wildcard push socket covers the group's port: join there, exclusive as it is */
      if (!srtp_bridge_join_multicast_group (rx->push->socket, inet, rx->iface, error))
        {
          g_prefix_error (error, "joining %s on the MIKEY push socket: ", text);
          return FALSE;
        }
    }
  else
    {
      socket = srtp_bridge_udp_socket_new (inet, rx->port, rx->iface, error);
      if (socket == NULL)
        {
          g_prefix_error (error, "MTK messages on %s:%u: ", text, rx->port);
          return FALSE;
        }
    }
  ep = endpoint_alloc (rx, inet, text);
  if (socket != NULL)
    endpoint_listen (ep, socket);
  g_hash_table_insert (rx->destinations, ep->destination, ep);
  return TRUE;
}

gboolean
mbms_mikey_receiver_has_destination (MbmsMikeyReceiver *rx, const char *address)
{
  return g_hash_table_contains (rx->destinations, address);
}

void
mbms_mikey_receiver_remove_destination (MbmsMikeyReceiver *rx, const char *address)
{
  g_hash_table_remove (rx->destinations, address);
}

void
mbms_mikey_receiver_report (MbmsMikeyReceiver *rx, const char *destination, GSocketAddress *source,
                            MbmsMikeyVerdict verdict)
{
  Endpoint *ep = destination == NULL ? rx->push : g_hash_table_lookup (rx->destinations, destination);
  Bucket *b;
  gboolean from_trusted;

  if (ep == NULL || (b = bucket_of (ep, source)) == NULL)
    return; /* a destination left meanwhile */
  if (b->pending == 0)
    {
      /* the bucket was forgotten meanwhile: count it, charge nothing more */
      apply_verdict (ep, b, b, TRUE, verdict);
      return;
    }
  /* charged when queued, to the source's own budget or, for a trusted source that had spent
   * its own, the socket's trusted one: the same budget gets the refund */
  from_trusted = b->pending_trusted > 0;
  b->pending--;
  b->pending_trusted -= from_trusted;
  if (!b->trusted)
    rx->untrusted_pending -= MIN (1u, rx->untrusted_pending);
  apply_verdict (ep, b, from_trusted ? &ep->trusted_budget : b, TRUE, verdict);
}

gboolean
mbms_mikey_receiver_reply (MbmsMikeyReceiver *rx, GSocketAddress *to, GBytes *message, GError **error)
{
  return g_socket_send_to (rx->push->socket, to, g_bytes_get_data (message, NULL), g_bytes_get_size (message), NULL,
                           error) >= 0;
}

guint16
mbms_mikey_receiver_get_port (MbmsMikeyReceiver *rx)
{
  return rx->port;
}

const char *
mbms_mikey_receiver_get_listen_address (MbmsMikeyReceiver *rx)
{
  return rx->listen;
}

MbmsMikeyCounters
mbms_mikey_receiver_get_counters (MbmsMikeyReceiver *rx, const char *destination)
{
  Endpoint *ep = destination == NULL ? rx->push : g_hash_table_lookup (rx->destinations, destination);

  return ep != NULL ? ep->counters : (MbmsMikeyCounters) { 0 };
}
