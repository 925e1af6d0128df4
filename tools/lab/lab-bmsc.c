/* The lab BM-SC, the network side of TS 33.246 Annex G and 6.3.2.3: it challenges with
 * realm "3GPP-bootstrapping@<fqdn>", fetches the NAF key of the B-TID from the lab BSF
 * (standing in for Zn), derives MUK and MRK (6.1, Annex F), checks the Digest response over
 * the body (auth-int), answers per-item statuses with rspauth, and pushes MIKEY MSK messages
 * to the UE, verifying the acknowledgements it asked for with the V bit. Its bodies
 * (lab-bmsc-bodies.c) are written from TS 26.346 11.4-11.8 alone, apart from the UE's code, so
 * the two check each other. */
#include "lab-bmsc.h"
#include "lab-bmsc-bodies.h"

#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define BMSC_REALM_PREFIX "3GPP-bootstrapping@"
#define BMSC_SEQ_HIGH     60000 /* KV interval of lab MSKs: MTK IDs (0, 60000] */

typedef struct {
  guint8     domain[3];
  guint16    key_group;
  guint32    msk_id;      /* current: key group || key number */
  GbaSecret *msk;
  GBytes    *rand;
  gboolean   streaming;
} Group;

typedef struct {
  char   *service_id;
  Group  *group;
} Service;

typedef struct {
  LabBmsc        *bmsc;
  Group          *group;
  GSocketAddress *dest;
  GSocket        *socket;   /* unbound: a multicast group is reached by route, as the UE joins it */
  guint16         mtk_id;
  guint32         ts;       /* MTK message counter, 6.4.3 */
  GbaSecret      *mtk;
  GbaSecret      *salt;
  guint           timer;
} MtkStream;

typedef struct {
  char      *btid;
  GbaSecret *muk;
  guint32    ts;          /* MSK message counter for this MUK, 6.4.3 */
  GHashTable *registered; /* service IDs */
} Ue;

typedef struct {
  guint32    csb_id;
  char      *btid;
  GBytes    *rand;
  GbaSecret *muk;
} PendingAck;

struct _LabBmsc {
  LabBsf        *bsf;
  char          *fqdn;
  GBytes        *naf_id;
  LabBmscFaults  faults;
  guint          unavailable_left;
  gboolean       renegotiated;
  guint16        ue_port;
  char          *mcast_iface; /* NULL: by route */
  GPtrArray     *groups;    /* Group */
  GPtrArray     *services;  /* Service */
  GHashTable    *ues;       /* B-TID -> Ue */
  GHashTable    *nonces;    /* issued nonces */
  GSocket       *socket;
  GSource       *ack_source;
  GPtrArray     *pending;   /* PendingAck */
  GPtrArray     *streams;   /* MtkStream */
  GHashTable    *delayed;   /* timeout ID -> held SoupServerMessage */
  guint          requests, pushes, acks, mtk_messages;
};

static void
group_free (Group *g)
{
  gba_secret_unref (g->msk);
  g_bytes_unref (g->rand);
  g_free (g);
}

static void
service_free (Service *s)
{
  g_free (s->service_id);
  g_free (s);
}

static void
ue_free (Ue *ue)
{
  g_free (ue->btid);
  gba_secret_unref (ue->muk);
  g_hash_table_unref (ue->registered);
  g_free (ue);
}

static void
pending_free (PendingAck *p)
{
  g_free (p->btid);
  g_bytes_unref (p->rand);
  gba_secret_unref (p->muk);
  g_free (p);
}

static gboolean on_ack (GSocket *socket, GIOCondition cond, gpointer user_data);

static void
stream_free (MtkStream *st)
{
  if (st->timer != 0)
    g_source_remove (st->timer);
  g_object_unref (st->dest);
  g_object_unref (st->socket);
  gba_secret_unref (st->mtk);
  gba_secret_unref (st->salt);
  g_free (st);
}

LabBmsc *
lab_bmsc_new (LabBsf *bsf, const char *fqdn)
{
  LabBmsc *b = g_new0 (LabBmsc, 1);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);

  b->bsf = bsf;
  b->fqdn = g_strdup (fqdn);
  b->naf_id = gba_naf_id_new (fqdn, GBA_UA_PROTOCOL_MBMS);
  b->ue_port = 2269;
  b->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) group_free);
  b->services = g_ptr_array_new_with_free_func ((GDestroyNotify) service_free);
  b->ues = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) ue_free);
  b->nonces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  b->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_free);
  b->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) stream_free);
  b->delayed = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  b->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_socket_bind (b->socket, any, FALSE, NULL);
  g_socket_set_blocking (b->socket, FALSE);
  b->ack_source = g_socket_create_source (b->socket, G_IO_IN, NULL);
  g_source_set_callback (b->ack_source, (GSourceFunc) (void (*) (void)) on_ack, b, NULL);
  g_source_attach (b->ack_source, NULL);
  return b;
}

void
lab_bmsc_free (LabBmsc *b)
{
  if (b == NULL)
    return;
  g_ptr_array_unref (b->streams);
  {
    /* answers still held must not fire after the BM-SC is gone */
    GHashTableIter it;
    gpointer id;
    g_hash_table_iter_init (&it, b->delayed);
    while (g_hash_table_iter_next (&it, &id, NULL))
      g_source_remove (GPOINTER_TO_UINT (id));
    g_hash_table_unref (b->delayed);
  }
  g_source_destroy (b->ack_source);
  g_source_unref (b->ack_source);
  g_object_unref (b->socket);
  g_free (b->mcast_iface);
  g_free (b->fqdn);
  g_bytes_unref (b->naf_id);
  g_free (b->faults.forbid_service);
  g_ptr_array_unref (b->services);
  g_ptr_array_unref (b->groups);
  g_hash_table_unref (b->ues);
  g_hash_table_unref (b->nonces);
  g_ptr_array_unref (b->pending);
  g_free (b);
}

void
lab_bmsc_set_faults (LabBmsc *b, const LabBmscFaults *faults)
{
  g_free (b->faults.forbid_service);
  b->faults = *faults;
  b->faults.forbid_service = g_strdup (faults->forbid_service);
  b->unavailable_left = faults->unavailable_times;
  b->renegotiated = FALSE;
}

void
lab_bmsc_set_ue_port (LabBmsc *b, guint16 port)
{
  b->ue_port = port;
}

static Group *
find_group (LabBmsc *b, const guint8 domain[3], guint16 key_group)
{
  for (guint i = 0; i < b->groups->len; i++)
    {
      Group *g = g_ptr_array_index (b->groups, i);
      if (g->key_group == key_group && memcmp (g->domain, domain, 3) == 0)
        return g;
    }
  return NULL;
}

void
lab_bmsc_add_service (LabBmsc *b, const char *service_id, const guint8 domain[3], guint16 key_group,
                      gboolean streaming)
{
  Group *g = find_group (b, domain, key_group);
  Service *s = g_new0 (Service, 1);

  if (g == NULL)
    {
      g_autoptr(GbaSecret) rand = gba_secret_new_random (16);
      g = g_new0 (Group, 1);
      memcpy (g->domain, domain, 3);
      g->key_group = key_group;
      g->msk_id = (guint32) key_group << 16 | 1;
      g->msk = gba_secret_new_random (16);
      g->rand = g_bytes_new (gba_secret_get_data (rand, NULL), 16);
      g->streaming = streaming;
      g_ptr_array_add (b->groups, g);
    }
  s->service_id = g_strdup (service_id);
  s->group = g;
  g_ptr_array_add (b->services, s);
}

GbaSecret *
lab_bmsc_current_msk (LabBmsc *b, const guint8 domain[3], guint16 key_group, guint32 *msk_id, GBytes **rand)
{
  Group *g = find_group (b, domain, key_group);

  if (g == NULL)
    return NULL;
  if (msk_id != NULL)
    *msk_id = g->msk_id;
  if (rand != NULL)
    *rand = g_bytes_ref (g->rand);
  return gba_secret_ref (g->msk);
}

guint lab_bmsc_requests (LabBmsc *b) { return b->requests; }
guint lab_bmsc_mtk_messages (LabBmsc *b) { return b->mtk_messages; }
guint lab_bmsc_pushes (LabBmsc *b) { return b->pushes; }
guint lab_bmsc_verified_acks (LabBmsc *b) { return b->acks; }

guint
lab_bmsc_registered (LabBmsc *b)
{
  GHashTableIter it;
  gpointer v;
  guint n = 0;

  g_hash_table_iter_init (&it, b->ues);
  while (g_hash_table_iter_next (&it, NULL, &v))
    n += g_hash_table_size (((Ue *) v)->registered);
  return n;
}

/* ------------------------------------------------------------ MIKEY pushes and acks */

static GBytes *
sp_params (void)
{
  GByteArray *p = g_byte_array_new ();

  mikey_sp_append_u8 (p, MIKEY_SP_ENCR_ALG, MIKEY_SP_ENCR_AES_CM);
  mikey_sp_append_u8 (p, MIKEY_SP_ENCR_KEY_LEN, 16);
  mikey_sp_append_u8 (p, MIKEY_SP_AUTH_ALG, MIKEY_SP_AUTH_HMAC_SHA1);
  mikey_sp_append_u8 (p, MIKEY_SP_AUTH_KEY_LEN, 20);
  mikey_sp_append_u8 (p, MIKEY_SP_SALT_KEY_LEN, 14);
  mikey_sp_append_u8 (p, MIKEY_SP_AUTH_TAG_LEN, 10);
  return g_byte_array_free_to_bytes (p);
}

/* 6.3.2.3.1: the MSK of a group to one UE, under its MUK, asking for an acknowledgement. */
static void
push_msk (LabBmsc *b, Ue *ue, Group *g, GInetAddress *ue_addr)
{
  g_autoptr(GBytes) sp = g->streaming ? sp_params () : NULL;
  g_autoptr(GSocketAddress) dest = g_inet_socket_address_new (ue_addr, b->ue_port);
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(GError) error = NULL;
  MikeyBuildParams p = {
    .csb_id = g_random_int (), .v_bit = TRUE, .ts_counter = ++ue->ts, .rand = g->rand, .idi = b->fqdn,
    .idr = ue->btid, .streaming = g->streaming, .ssrc = 0, .policy_no = 1, .sp_params = sp,
    .msk_id = g->msk_id, .key = g->msk, .seq_low = 0, .seq_high = BMSC_SEQ_HIGH,
  };
  PendingAck *pending = g_new0 (PendingAck, 1);

  memcpy (p.domain, g->domain, 3);
  msg = mikey_build_msk_message (&p, ue->muk);
  if (g_socket_send_to (b->socket, dest, g_bytes_get_data (msg, NULL), g_bytes_get_size (msg), NULL, &error) < 0)
    {
      g_warning ("lab BM-SC: cannot push MSK 0x%08x: %s", g->msk_id, error->message);
      pending_free (pending);
      return;
    }
  b->pushes++;
  pending->csb_id = p.csb_id;
  pending->btid = g_strdup (ue->btid);
  pending->rand = g_bytes_ref (g->rand);
  pending->muk = gba_secret_ref (ue->muk);
  g_ptr_array_add (b->pending, pending);
  g_message ("lab BM-SC: pushed MSK 0x%08x to %s (TS %u)", g->msk_id, ue->btid, p.ts_counter);
}

static gboolean
on_ack (GSocket *socket, GIOCondition cond, gpointer user_data)
{
  LabBmsc *b = user_data;
  guint8 buf[2048];
  gssize n = g_socket_receive (socket, (char *) buf, sizeof buf, NULL, NULL);
  g_autoptr(GBytes) data = NULL;
  g_autoptr(MikeyMessage) msg = NULL;

  if (n <= 0)
    return G_SOURCE_CONTINUE;
  data = g_bytes_new (buf, (gsize) n);
  msg = mikey_message_parse (data, NULL);
  if (msg == NULL || msg->data_type != MIKEY_TYPE_PSK_RESP)
    return G_SOURCE_CONTINUE;
  for (guint i = 0; i < b->pending->len; i++)
    {
      PendingAck *p = g_ptr_array_index (b->pending, i);
      MikeyKemacKeys keys = { 0 };
      gboolean ok;

      if (p->csb_id != msg->csb_id || g_strcmp0 (p->btid, msg->idr) != 0)
        continue;
      mikey_derive_kemac_keys (p->muk, p->csb_id, p->rand, &keys);
      ok = mikey_verify_verification (msg, b->fqdn, keys.auth_key, NULL);
      mikey_kemac_keys_clear (&keys);
      if (ok)
        {
          b->acks++;
          g_ptr_array_remove_index (b->pending, i);
          g_message ("lab BM-SC: acknowledgement from %s verified", msg->idr);
        }
      break;
    }
  return G_SOURCE_CONTINUE;
}

/* A new MTK and salt under the group's current MSK and its MIKEY-RAND (6.4.5.3). */
static gboolean
send_next_mtk (gpointer user_data)
{
  MtkStream *st = user_data;
  Group *g = st->group;
  g_autoptr(GBytes) msg = NULL;
  MikeyBuildParams p = { .csb_id = g_random_int (), .ts_counter = ++st->ts, .streaming = TRUE,
                         .msk_id = g->msk_id, .mtk_id = ++st->mtk_id };

  g_clear_pointer (&st->mtk, gba_secret_unref);
  g_clear_pointer (&st->salt, gba_secret_unref);
  st->mtk = gba_secret_new_random (16);
  st->salt = gba_secret_new_random (14);
  memcpy (p.domain, g->domain, 3);
  p.key = st->mtk;
  p.salt = st->salt;
  msg = mikey_build_mtk_message (&p, g->msk, g->rand);
  if (g_socket_send_to (st->socket, st->dest, g_bytes_get_data (msg, NULL), g_bytes_get_size (msg), NULL,
                        NULL) > 0)
    st->bmsc->mtk_messages++;
  return G_SOURCE_CONTINUE;
}

void
lab_bmsc_start_mtk_stream (LabBmsc *b, const guint8 domain[3], guint16 key_group, const char *address, guint16 port,
                           guint interval_ms)
{
  Group *g = find_group (b, domain, key_group);
  MtkStream *st;

  g_return_if_fail (g != NULL);
  st = g_new0 (MtkStream, 1);
  st->bmsc = b;
  st->group = g;
  st->dest = g_inet_socket_address_new_from_string (address, port);
  g_return_if_fail (st->dest != NULL);
  st->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_return_if_fail (st->socket != NULL);
  lab_socket_set_multicast_out (st->socket, b->mcast_iface);
  send_next_mtk (st);
  st->timer = g_timeout_add (interval_ms, send_next_mtk, st);
  g_ptr_array_add (b->streams, st);
}

void
lab_bmsc_restart (LabBmsc *b)
{
  g_hash_table_remove_all (b->ues);
  g_hash_table_remove_all (b->nonces);
  g_ptr_array_set_size (b->pending, 0);
  for (guint i = 0; i < b->groups->len; i++)
    {
      Group *g = g_ptr_array_index (b->groups, i);
      g_autoptr(GbaSecret) rand = gba_secret_new_random (16);

      g->msk_id = (guint32) g->key_group << 16 | 1;
      gba_secret_unref (g->msk);
      g->msk = gba_secret_new_random (16);
      g_bytes_unref (g->rand);
      g->rand = g_bytes_new (gba_secret_get_data (rand, NULL), 16);
    }
  for (guint i = 0; i < b->streams->len; i++)
    {
      MtkStream *st = g_ptr_array_index (b->streams, i);
      st->mtk_id = 0;
      st->ts = 0;
    }
  g_message ("lab BM-SC: restarted: registrations and MSKs gone, MTK IDs and counters from 1 again");
}

GbaSecret *
lab_bmsc_current_mtk (LabBmsc *b, const guint8 domain[3], guint16 key_group, guint16 *mtk_id, GbaSecret **salt)
{
  for (guint i = 0; i < b->streams->len; i++)
    {
      MtkStream *st = g_ptr_array_index (b->streams, i);
      if (st->group->key_group == key_group && memcmp (st->group->domain, domain, 3) == 0 && st->mtk != NULL)
        {
          if (mtk_id != NULL)
            *mtk_id = st->mtk_id;
          if (salt != NULL)
            *salt = gba_secret_ref (st->salt);
          return gba_secret_ref (st->mtk);
        }
    }
  return NULL;
}

/* ------------------------------------------------------------ HTTP */

typedef struct {
  char      *xml;    /* the response body */
  GPtrArray *groups; /* Group to push afterwards */
} Answer;

/* A per-item code (6.3.2.4, G.2.4): 403 "subscriber is not allowed to register to this
 * particular MBMS User Service"; 404 for a service this BM-SC does not carry. */
static guint
service_status (LabBmsc *b, const char *service_id)
{
  if (g_strcmp0 (b->faults.forbid_service, service_id) == 0)
    return 403;
  for (guint i = 0; i < b->services->len; i++)
    if (g_strcmp0 (((Service *) g_ptr_array_index (b->services, i))->service_id, service_id) == 0)
      return 200;
  return 404;
}

/* 6.3.2.1A / 6.3.2.1B: one code per requested serviceID, in the request's order. */
static char *
answer_registration (LabBmsc *b, Ue *ue, GStrv ids, gboolean deregister, GPtrArray *groups)
{
  guint n = g_strv_length (ids);
  g_autofree guint *codes = g_new0 (guint, n);

  for (guint k = 0; k < n; k++)
    {
      const char *id = ids[k];

      codes[k] = service_status (b, id);
      if (codes[k] != 200)
        continue;
      if (deregister)
        {
          g_hash_table_remove (ue->registered, id);
          g_message ("lab BM-SC: %s deregistered %s", ue->btid, id);
          continue;
        }
      g_message ("lab BM-SC: %s registered %s", ue->btid, id);
      g_hash_table_add (ue->registered, g_strdup (id));
      /* a service may use several key groups (one per RTP session) */
      for (guint i = 0; i < b->services->len; i++)
        {
          Service *each = g_ptr_array_index (b->services, i);
          if (g_strcmp0 (each->service_id, id) == 0)
            g_ptr_array_add (groups, each->group);
        }
    }
  return lab_km_build_registration_response ((const char *const *) ids, codes, n);
}

/* The code for one Key Domain ID - MSK ID pair; Key Number 0 = the current MSK (6.3.2.1). */
static guint
msk_status (LabBmsc *b, Ue *ue, const LabKmMsk *m, Group **out)
{
  guint16 key_group = (guint16) (m->msk_id >> 16);
  Group *g;

  /* 6.3.2.1: Key Group 0 "is not allowed"; G.2.4 403: "request contained unacceptable parameters" */
  if (key_group == 0)
    return 403;
  if ((g = find_group (b, m->key_domain_id, key_group)) == NULL)
    return 404;
  /* 6.3.2.2.1: the UE must be registered to a service that uses the MSK, else 403 (G.2.4) */
  for (guint i = 0; i < b->services->len; i++)
    {
      Service *s = g_ptr_array_index (b->services, i);
      if (s->group == g && g_hash_table_contains (ue->registered, s->service_id))
        {
          *out = g;
          return 200;
        }
    }
  return 403;
}

/* 6.3.2.2.1: one code per pair, in the request's order; the MSKs answered 200 are pushed. */
static char *
answer_msk_request (LabBmsc *b, Ue *ue, GArray *msks, GPtrArray *groups)
{
  g_autofree guint *codes = g_new0 (guint, msks->len);

  g_message ("lab BM-SC: MSK request from %s", ue->btid);
  for (guint k = 0; k < msks->len; k++)
    {
      Group *g = NULL;

      codes[k] = msk_status (b, ue, &g_array_index (msks, LabKmMsk, k), &g);
      if (codes[k] == 200)
        g_ptr_array_add (groups, g);
    }
  return lab_km_build_msk_response ((const LabKmMsk *) (void *) msks->data, codes, msks->len);
}

/* The body of a request of this type, read strictly (TS 26.346 11.4-11.6), answered. */
static gboolean
answer (LabBmsc *b, Ue *ue, LabKmRequestType type, SoupMessageBody *body, Answer *a, GError **error)
{
  if (type == LAB_KM_MSK)
    {
      g_autoptr(GArray) msks = lab_km_parse_msk_request (body->data, (gsize) body->length, error);

      if (msks == NULL)
        return FALSE;
      a->xml = answer_msk_request (b, ue, msks, a->groups);
    }
  else
    {
      g_auto(GStrv) ids = lab_km_parse_registration (type, body->data, (gsize) body->length, error);

      if (ids == NULL)
        return FALSE;
      a->xml = answer_registration (b, ue, ids, type == LAB_KM_DEREGISTER, a->groups);
    }
  return TRUE;
}

/* 400 "Request was missing, or malformed" (G.2.4), saying what is wrong. A wrong Content-Type
 * gets 400 as well: G.2.4 lists 406 to 417 (415 among them) as "Not used by BM-SC". */
static void
refuse_request (SoupServerMessage *msg, LabKmRequestType type, const GError *error)
{
  g_autofree char *text = g_strdup_printf ("%s\n", error->message);

  g_message ("lab BM-SC: %s request refused: %s", lab_km_request_type_name (type), error->message);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, text, strlen (text));
  soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
}

static void
challenge (LabBmsc *b, SoupServerMessage *msg)
{
  g_autoptr(GbaSecret) raw = gba_secret_new_random (16);
  g_autofree char *nonce = g_base64_encode (gba_secret_get_data (raw, NULL), 16);
  g_autofree char *header = g_strdup_printf ("Digest realm=\"" BMSC_REALM_PREFIX "%s\", nonce=\"%s\", "
                                             "algorithm=MD5, qop=\"auth,auth-int\", opaque=\"lab\"", b->fqdn, nonce);

  g_hash_table_add (b->nonces, g_strdup (nonce));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate", header);
  soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
}

/* The Ua check: username = B-TID whose NAF key the BSF knows, password = base64(MRK). */
static Ue *
authenticate (LabBmsc *b, SoupServerMessage *msg, GbaDigestAuthorization **auth_out, GbaSecret **password_out)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const char *header = soup_message_headers_get_one (h, "Authorization");
  g_autoptr(GbaDigestAuthorization) auth = header ? gba_digest_authorization_parse (header, NULL) : NULL;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GbaSecret) ks_naf = NULL;
  g_autoptr(GbaSecret) mrk = NULL;
  g_autoptr(GbaSecret) muk = NULL;
  g_autofree char *b64 = NULL;
  g_autofree char *expected = NULL;
  Ue *ue;

  if (auth == NULL || !g_hash_table_contains (b->nonces, auth->nonce))
    return NULL;
  ks_naf = lab_bsf_naf_key (b->bsf, auth->username, b->naf_id, GBA_NAF_KEY_ME, NULL, NULL);
  if (ks_naf == NULL)
    return NULL; /* unknown or expired B-TID: the 401 asks for a new bootstrap */
  /* TS 33.246 6.1: GBA_U with a UICC doing MBMS: MRK = Ks_ext_NAF as it is, MUK = Ks_int_NAF;
   * otherwise (GBA_ME, or GBA_U with ME key management): MUK = Ks_(ext)_NAF, MRK from Annex F. */
  if (lab_bsf_btid_uicc_mbms (b->bsf, auth->username))
    {
      mrk = gba_secret_ref (ks_naf);
      muk = lab_bsf_naf_key (b->bsf, auth->username, b->naf_id, GBA_NAF_KEY_INT, NULL, NULL);
      if (muk == NULL)
        return NULL;
    }
  else
    {
      mrk = gba_derive_mrk (ks_naf, NULL);
      muk = gba_secret_ref (ks_naf);
    }
  b64 = g_base64_encode (gba_secret_get_data (mrk, NULL), gba_secret_get_size (mrk));
  expected = gba_digest_compute (auth->algorithm, auth->username, auth->realm, (const guint8 *) b64, strlen (b64),
                                 auth->nonce, auth->nc, auth->cnonce, auth->qop, "POST", auth->uri,
                                 (const guint8 *) body->data, body->length);
  if (g_strcmp0 (expected, auth->response) != 0)
    return NULL;
  ue = g_hash_table_lookup (b->ues, auth->username);
  if (ue == NULL)
    {
      ue = g_new0 (Ue, 1);
      ue->btid = g_strdup (auth->username);
      ue->muk = gba_secret_ref (muk); /* 6.1, chosen above */
      ue->registered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (b->ues, ue->btid, ue);
    }
  *password_out = gba_secret_new (b64, strlen (b64));
  gba_wipe (b64, strlen (b64));
  *auth_out = g_steal_pointer (&auth);
  return ue;
}

static void
respond (LabBmsc *b, SoupServerMessage *msg, const char *type, GbaDigestAuthorization *auth, GbaSecret *password,
         Ue *ue, Answer *a, GInetAddress *peer)
{
  GbaDigestAuthInfo info = { 0 };
  g_autofree char *info_header = NULL;
  gsize pw_len;
  const guint8 *pw = gba_secret_get_data (password, &pw_len);

  /* rspauth over the response body (RFC 2617 3.2.3, auth-int) */
  info.rspauth = gba_digest_compute (auth->algorithm, auth->username, auth->realm, pw, pw_len, auth->nonce, auth->nc,
                                     auth->cnonce, auth->qop, NULL, auth->uri, (const guint8 *) a->xml,
                                     strlen (a->xml));
  if (b->faults.bad_rspauth)
    info.rspauth[0] = info.rspauth[0] == 'a' ? 'b' : 'a';
  info.qop = auth->qop;
  info.nc = auth->nc;
  info.cnonce = auth->cnonce;
  info_header = gba_digest_auth_info_to_string (&info);
  g_free (info.rspauth);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Authentication-Info", info_header);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, a->xml, strlen (a->xml));
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  for (guint i = 0; i < a->groups->len; i++)
    push_msk (b, ue, g_ptr_array_index (a->groups, i), peer);
}

typedef struct {
  LabBmsc *bmsc;
  guint    id;
} Delayed;

static gboolean
unpause (gpointer data)
{
  Delayed *d = data;
  SoupServerMessage *msg = g_hash_table_lookup (d->bmsc->delayed, GUINT_TO_POINTER (d->id));

  if (msg != NULL)
    soup_server_message_unpause (msg);
  g_hash_table_remove (d->bmsc->delayed, GUINT_TO_POINTER (d->id));
  return G_SOURCE_REMOVE;
}

static void
handle (LabBmsc *b, SoupServerMessage *msg, GHashTable *query)
{
  const char *requesttype = query ? g_hash_table_lookup (query, "requesttype") : NULL;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GbaDigestAuthorization) auth = NULL;
  g_autoptr(GbaSecret) password = NULL;
  g_autoptr(GError) error = NULL;
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  GInetAddress *peer = G_IS_INET_SOCKET_ADDRESS (remote) ? g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)) : NULL;
  Answer a = { NULL, g_ptr_array_new () };
  LabKmRequestType type = LAB_KM_REGISTER;
  Ue *ue;

  b->requests++;
  if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0)
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
  /* G.2.4 404: "The Request-URI was malformed" (requesttype is register, deregister or msk-request) */
  else if (!lab_km_request_type_parse (requesttype, &type))
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
  else if (b->unavailable_left > 0)
    {
      g_autofree char *after = g_strdup_printf ("%u", b->faults.retry_after_s);
      b->unavailable_left--;
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", after);
      soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
    }
  else if ((ue = authenticate (b, msg, &auth, &password)) == NULL)
    challenge (b, msg);
  else if (b->faults.renegotiate_once && !b->renegotiated)
    {
      b->renegotiated = TRUE; /* e.g. the MUK lifetime ended: ask for a new bootstrap */
      challenge (b, msg);
    }
  else if (b->faults.fail_status != 0)
    soup_server_message_set_status (msg, b->faults.fail_status, NULL);
  else if (!lab_km_check_content_type (type, soup_message_headers_get_one (headers, "Content-Type"), &error)
           || !answer (b, ue, type, body, &a, &error))
    refuse_request (msg, type, error);
  else
    respond (b, msg, lab_km_response_media_type (type), auth, password, ue, &a, peer);
  g_free (a.xml);
  g_ptr_array_unref (a.groups);
}

/* The no_challenge fault, a broken server: 200 without authenticating, every item "200 OK",
 * nothing registered. The body is still read, so that the UE is refused for the missing
 * Authentication-Info alone. */
static void
answer_without_challenge (SoupServerMessage *msg, GHashTable *query)
{
  const char *requesttype = query ? g_hash_table_lookup (query, "requesttype") : NULL;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  LabKmRequestType type;

  if (!lab_km_request_type_parse (requesttype, &type))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (type == LAB_KM_MSK)
    {
      g_autoptr(GArray) msks = lab_km_parse_msk_request (body->data, (gsize) body->length, &error);
      g_autofree guint *codes = msks != NULL ? g_new0 (guint, msks->len) : NULL;

      for (guint i = 0; msks != NULL && i < msks->len; i++)
        codes[i] = 200;
      if (msks != NULL)
        xml = lab_km_build_msk_response ((const LabKmMsk *) (void *) msks->data, codes, msks->len);
    }
  else
    {
      g_auto(GStrv) ids = lab_km_parse_registration (type, body->data, (gsize) body->length, &error);
      guint n = ids != NULL ? g_strv_length (ids) : 0;
      g_autofree guint *codes = g_new0 (guint, MAX (n, 1));

      for (guint i = 0; i < n; i++)
        codes[i] = 200;
      if (ids != NULL)
        xml = lab_km_build_registration_response ((const char *const *) ids, codes, n);
    }
  if (xml == NULL)
    {
      refuse_request (msg, type, error);
      return;
    }
  soup_server_message_set_response (msg, lab_km_response_media_type (type), SOUP_MEMORY_COPY, xml, strlen (xml));
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static void
on_keymanagement (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  LabBmsc *b = data;

  if (b->faults.no_challenge)
    {
      answer_without_challenge (msg, query);
      return;
    }
  handle (b, msg, query);
  if (b->faults.delay_ms > 0)
    {
      Delayed *d = g_new0 (Delayed, 1);
      d->bmsc = b;
      soup_server_message_pause (msg);
      d->id = g_timeout_add_full (G_PRIORITY_DEFAULT, b->faults.delay_ms, unpause, d, g_free);
      g_hash_table_insert (b->delayed, GUINT_TO_POINTER (d->id), g_object_ref (msg));
    }
}

void
lab_bmsc_attach (LabBmsc *b, SoupServer *server)
{
  soup_server_add_handler (server, LAB_KM_PATH, on_keymanagement, b, NULL);
}

void
lab_bmsc_set_multicast_interface (LabBmsc *b, const char *iface)
{
  g_free (b->mcast_iface);
  b->mcast_iface = iface != NULL && *iface != '\0' ? g_strdup (iface) : NULL;
}

const char *
lab_bmsc_get_multicast_interface (LabBmsc *b)
{
  return b->mcast_iface;
}

void
lab_socket_set_multicast_out (GSocket *socket, const char *iface)
{
  struct ip_mreqn via = { .imr_ifindex = iface != NULL ? (int) if_nametoindex (iface) : 0 };

  /* a multicast group on this host: keep the datagrams local */
  g_socket_set_multicast_loopback (socket, TRUE);
  g_socket_set_multicast_ttl (socket, 0);
  if (iface != NULL
      && (via.imr_ifindex == 0
          || setsockopt (g_socket_get_fd (socket), IPPROTO_IP, IP_MULTICAST_IF, &via, sizeof via) != 0))
    g_warning ("lab: multicast cannot leave by %s; the routes choose", iface);
}

LabBmsc *
lab_bmsc_from_key_file (LabBsf *bsf, GKeyFile *kf, GError **error)
{
  g_autofree char *fqdn = g_key_file_get_string (kf, "bmsc", "fqdn", NULL);
  g_autoptr(LabBmsc) b = lab_bmsc_new (bsf, fqdn != NULL ? fqdn : "127.0.0.1");
  g_auto(GStrv) groups = g_key_file_get_groups (kf, NULL);

  g_autofree char *mcast_iface = g_key_file_get_string (kf, "bmsc", "multicast-interface", NULL);

  if (g_key_file_has_key (kf, "bmsc", "ue-port", NULL))
    lab_bmsc_set_ue_port (b, (guint16) g_key_file_get_integer (kf, "bmsc", "ue-port", NULL));
  lab_bmsc_set_multicast_interface (b, mcast_iface);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char *id = groups[i] + strlen ("bmsc-service ");
      g_autofree char *domain_hex = NULL;
      g_autofree char *mtk_to = NULL;
      guint8 domain[3];
      guint key_group;
      gboolean streaming;

      if (!g_str_has_prefix (groups[i], "bmsc-service "))
        continue;
      gsize n_groups = 0;
      g_autofree gint *key_groups = g_key_file_get_integer_list (kf, groups[i], "key-group", &n_groups, NULL);

      domain_hex = g_key_file_get_string (kf, groups[i], "key-domain", NULL);
      streaming = g_key_file_get_boolean (kf, groups[i], "streaming", NULL);
      if (!gba_hex_to_buf (domain_hex, domain, 3) || n_groups == 0)
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "[%s] needs key-domain (6 hex digits) and key-group", groups[i]);
          return NULL;
        }
      for (gsize j = 0; j < n_groups; j++)
        {
          if (key_groups[j] <= 0 || key_groups[j] > 0xffff)
            {
              g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "[%s] key-group %d is not 1..65535", groups[i], key_groups[j]);
              return NULL;
            }
          lab_bmsc_add_service (b, id, domain, (guint16) key_groups[j], streaming);
        }
      key_group = (guint) key_groups[0];
      mtk_to = g_key_file_get_string (kf, groups[i], "mtk-to", NULL);
      if (mtk_to != NULL && strrchr (mtk_to, ':') != NULL)
        {
          g_autofree char *addr = g_strndup (mtk_to, strrchr (mtk_to, ':') - mtk_to);
          guint interval = g_key_file_has_key (kf, groups[i], "mtk-interval-ms", NULL)
                             ? (guint) g_key_file_get_integer (kf, groups[i], "mtk-interval-ms", NULL) : 4000;
          lab_bmsc_start_mtk_stream (b, domain, (guint16) key_group, addr, (guint16) atoi (strrchr (mtk_to, ':') + 1),
                                     MAX (interval, 100));
        }
    }
  return g_steal_pointer (&b);
}
