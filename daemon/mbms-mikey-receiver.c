/* MIKEY over UDP. Datagrams larger than a MIKEY message can be are dropped; each source gets
 * a token bucket of rate_per_s datagrams per second; an exact repeat of a recent datagram is
 * dropped (the BM-SC resends MTK messages for reliability, 6.3.3.2.2, and MGV-F need not see
 * them again); the rest goes to the owner, who runs MGV-F. */
#include "mbms-mikey-receiver.h"
#include "mgv.h"
#include "srtp-bridge.h"

#include <openssl/evp.h>
#include <string.h>

#define RX_MAX_DATAGRAM  MIKEY_MAX_MESSAGE_LEN
#define RX_RECENT        16   /* fingerprints of recent datagrams remembered */
#define RX_MAX_SOURCES   256  /* rate-limit buckets kept */

typedef struct {
  MbmsMikeyReceiver *rx;
  GSocket           *socket;
  GSource           *source;
  char              *destination; /* NULL for the push socket */
  GInetAddress      *group;       /* joined multicast group, or NULL */
} Endpoint;

typedef struct {
  gint64 last_us;
  double tokens;
} Bucket;

struct _MbmsMikeyReceiver {
  guint16           port;
  char             *iface;        /* where groups are joined, NULL = by route */
  guint             rate_per_s;
  MbmsMikeyFunc     func;
  gpointer          user_data;
  Endpoint         *push;
  GHashTable       *destinations; /* address -> Endpoint */
  GHashTable       *buckets;      /* source address string -> Bucket */
  guint8            recent[RX_RECENT][32];
  guint             recent_next;
  MbmsMikeyCounters counters;
};

static void
endpoint_free (Endpoint *ep)
{
  if (ep == NULL)
    return;
  if (ep->group != NULL)
    g_socket_leave_multicast_group (ep->socket, ep->group, FALSE, ep->rx->iface, NULL);
  g_source_destroy (ep->source);
  g_source_unref (ep->source);
  g_object_unref (ep->socket);
  g_clear_object (&ep->group);
  g_free (ep->destination);
  g_free (ep);
}

/* Token bucket per source address: rate_per_s tokens a second, at most rate_per_s banked. */
static gboolean
allowed (MbmsMikeyReceiver *rx, GSocketAddress *from)
{
  g_autofree char *key = NULL;
  Bucket *b;
  gint64 now = g_get_monotonic_time ();

  if (!G_IS_INET_SOCKET_ADDRESS (from))
    return FALSE;
  key = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (from)));
  b = g_hash_table_lookup (rx->buckets, key);
  if (b == NULL)
    {
      if (g_hash_table_size (rx->buckets) >= RX_MAX_SOURCES)
        g_hash_table_remove_all (rx->buckets); /* forget everyone rather than grow without bound */
      b = g_new0 (Bucket, 1);
      b->tokens = rx->rate_per_s;
      b->last_us = now;
      g_hash_table_insert (rx->buckets, g_steal_pointer (&key), b);
    }
  b->tokens = MIN ((double) rx->rate_per_s, b->tokens + (now - b->last_us) * rx->rate_per_s / 1e6);
  b->last_us = now;
  if (b->tokens < 1.0)
    return FALSE;
  b->tokens -= 1.0;
  return TRUE;
}

static gboolean
seen_recently (MbmsMikeyReceiver *rx, const guint8 *data, gsize len)
{
  guint8 fp[32];
  unsigned int fp_len = 0;

  EVP_Digest (data, len, fp, &fp_len, EVP_sha256 (), NULL);
  for (guint i = 0; i < RX_RECENT; i++)
    if (memcmp (rx->recent[i], fp, sizeof fp) == 0)
      return TRUE;
  memcpy (rx->recent[rx->recent_next], fp, sizeof fp);
  rx->recent_next = (rx->recent_next + 1) % RX_RECENT;
  return FALSE;
}

static gboolean
on_readable (GSocket *socket, GIOCondition cond, gpointer user_data)
{
  Endpoint *ep = user_data;
  MbmsMikeyReceiver *rx = ep->rx;
  guint8 buf[RX_MAX_DATAGRAM + 1];

  /* drain what is there; each datagram is judged on its own */
  for (guint round = 0; round < 64; round++)
    {
      g_autoptr(GSocketAddress) from = NULL;
      g_autoptr(GBytes) datagram = NULL;
      gssize n = g_socket_receive_from (socket, &from, (char *) buf, sizeof buf, NULL, NULL);

      if (n < 0)
        break;
      rx->counters.received++;
      if (n > RX_MAX_DATAGRAM)
        {
          rx->counters.oversized++;
          continue;
        }
      if (!allowed (rx, from))
        {
          rx->counters.rate_limited++;
          continue;
        }
      if (seen_recently (rx, buf, (gsize) n))
        {
          rx->counters.duplicates++;
          continue;
        }
      datagram = g_bytes_new (buf, (gsize) n);
      rx->func (datagram, from, ep->destination, rx->user_data);
    }
  return G_SOURCE_CONTINUE;
}

static Endpoint *
endpoint_new (MbmsMikeyReceiver *rx, const char *address, gboolean is_destination, GError **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) bind_to = NULL;
  Endpoint *ep;
  GSocket *socket;

  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "\"%s\" is not an IP address", address);
      return NULL;
    }
  socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  bind_to = g_inet_socket_address_new (inet, rx->port);
  /* the push socket and the session sockets share the MIKEY port (reuse allows it) */
  if (!g_socket_bind (socket, bind_to, TRUE, error))
    {
      g_prefix_error (error, "MIKEY %s:%u: ", address, rx->port);
      g_object_unref (socket);
      return NULL;
    }
  ep = g_new0 (Endpoint, 1);
  ep->rx = rx;
  ep->socket = socket;
  ep->destination = is_destination ? g_strdup (address) : NULL;
  if (g_inet_address_get_is_multicast (inet) && !srtp_bridge_join_multicast_group (socket, inet, rx->iface, error))
    {
      g_prefix_error (error, "joining %s: ", address);
      ep->source = g_socket_create_source (socket, G_IO_IN, NULL);
      endpoint_free (ep);
      return NULL;
    }
  if (g_inet_address_get_is_multicast (inet))
    ep->group = g_object_ref (inet);
  g_socket_set_blocking (socket, FALSE);
  ep->source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_callback (ep->source, (GSourceFunc) (void (*) (void)) on_readable, ep, NULL);
  g_source_attach (ep->source, NULL);
  return ep;
}

MbmsMikeyReceiver *
mbms_mikey_receiver_new (const char *listen_address, guint16 port, const char *multicast_interface, guint rate_per_s,
                         MbmsMikeyFunc func, gpointer user_data, GError **error)
{
  g_autoptr(MbmsMikeyReceiver) rx = g_new0 (MbmsMikeyReceiver, 1);

  rx->port = port;
  rx->iface = g_strdup (multicast_interface);
  rx->rate_per_s = MAX (rate_per_s, 1u);
  rx->func = func;
  rx->user_data = user_data;
  rx->destinations = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) endpoint_free);
  rx->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  rx->push = endpoint_new (rx, listen_address, FALSE, error);
  if (rx->push == NULL)
    return NULL;
  if (port == 0)
    {
      /* an ephemeral port (tests): every session socket must use the same one */
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (rx->push->socket, NULL);
      rx->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  return g_steal_pointer (&rx);
}

void
mbms_mikey_receiver_free (MbmsMikeyReceiver *rx)
{
  if (rx == NULL)
    return;
  g_hash_table_unref (rx->destinations);
  g_hash_table_unref (rx->buckets);
  endpoint_free (rx->push);
  g_free (rx->iface);
  g_free (rx);
}

gboolean
mbms_mikey_receiver_add_destination (MbmsMikeyReceiver *rx, const char *address, GError **error)
{
  Endpoint *ep;

  if (g_hash_table_contains (rx->destinations, address))
    return TRUE;
  ep = endpoint_new (rx, address, TRUE, error);
  if (ep == NULL)
    return FALSE;
  g_hash_table_insert (rx->destinations, ep->destination, ep);
  return TRUE;
}

void
mbms_mikey_receiver_remove_destination (MbmsMikeyReceiver *rx, const char *address)
{
  g_hash_table_remove (rx->destinations, address);
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

MbmsMikeyCounters
mbms_mikey_receiver_get_counters (MbmsMikeyReceiver *rx)
{
  return rx->counters;
}
