/* The SRTP receiver of one protected RTP session, TS 33.246 6.6.2: libsrtp2 contexts per SSRC
 * (RFC 3711 3.2.3) whose master keys are the two most recent MTKs, chosen by the MKI
 * MSK ID || MTK ID (6.6.2.1), with the ROC of RFC 4771 taken from the tag when the SP asks for
 * it. Packets naming an MKI we lack are held briefly and the daemon is told (6.6.2.2 / 6.3.2.2.4).
 *
 * libsrtp2 fixes the tag length per context, and RFC 4771 packets come in up to three tag
 * layouts (ROC || MAC_tr, full MAC, none); each layout gets its own libsrtp2 session with the
 * same keys, and a packet's SEQ says which one checks it. Replay lists are the receiver's own
 * (replay-window.h): libsrtp2 empties its window at every key change. */
#include "srtp-bridge.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <srtp2/crypto_types.h>
#include <srtp2/srtp.h>
#include <string.h>

#include "replay-window.h"
#include "rfc4771.h"
#include "srtp-crypto-ossl.h"

#define MAX_KEYS        2        /* 6.6.2: the current MTK and the one before */
#define MAX_SSRCS       16       /* senders per session before the least recent is forgotten */
#define HOLD_SLOTS      64
#define HOLD_MAX_LEN    2048
#define HOLD_US         (500 * G_TIME_SPAN_MILLISECOND)
#define MISSING_EVERY_US (100 * G_TIME_SPAN_MILLISECOND)
#define RTP_HEADER_LEN  12
#define RTCP_HEADER_LEN 8
#define SRTCP_INDEX_LEN 4
#define MAX_MASTER_LEN  (32 + 14)

/* One libsrtp2 session per trailer layout, since libsrtp2 fixes the tag length per context.
 * LAYOUT_SRTCP only when SRTCP's tag length differs from SRTP's: libsrtp2 2.5.0's
 * srtp_unprotect_rtcp_mki looks for the MKI before a tag of the SRTP length (srtp_get_session_keys
 * reads rtp_auth; fixed in libsrtp 2.7.0), so SRTCP gets a session whose SRTP tag is as long as
 * its own. */
typedef enum { LAYOUT_FULL, LAYOUT_RCC, LAYOUT_NONE, LAYOUT_SRTCP, N_LAYOUTS } Layout;

typedef struct {
  guint8 mki[SRTP_BRIDGE_MKI_LEN];
  guint8 master[MAX_MASTER_LEN]; /* key || salt, as libsrtp2 takes it */
} Key;

typedef struct {
  guint32  ssrc;      /* host order */
  guint64  last_used; /* receiver packet count, for eviction */
  gboolean roc_known; /* RFC 4771: an authenticated ROC was seen */
  guint32  roc;
  guint16  s_l;       /* highest SEQ with that ROC (RFC 3711 3.3.1) */
  /* RFC 3711 3.3.2 under every MTK of the session, kept across key changes */
  ReplayWindow rtp_seen;
  ReplayWindow rtcp_seen;
} Sender;

typedef struct {
  gint64   arrived;
  gboolean rtcp;
  gsize    len;
  guint8   data[HOLD_MAX_LEN];
} Held;

struct _SrtpBridgeReceiver {
  SrtpBridgePolicy          policy;
  Key                       keys[MAX_KEYS]; /* [0] is the newest */
  guint                     n_keys;
  srtp_t                    sessions[N_LAYOUTS];
  Sender                    senders[MAX_SSRCS];
  guint                     n_senders;
  guint64                   packets;
  SrtpBridgeMissingKeyFunc  missing;
  gpointer                  missing_data;
  guint8                    missing_mki[SRTP_BRIDGE_MKI_LEN];
  gint64                    missing_at;
  SrtpBridgeReleaseFunc     release;
  gpointer                  release_data;
  Held                     *held; /* ring of HOLD_SLOTS, allocated at the first hold */
  guint                     held_first, held_count;
  SrtpBridgeCounters        counters;
};

/* libsrtp2 with OpenSSL EVP for AES-ICM and HMAC-SHA1 (srtp-crypto-ossl.c), registered
 * before any session of ours exists. Should libsrtp2 refuse them, its own backend stays; with
 * Debian's (NSS) the first cipher context initialises NSS and the last shuts it down (~0.5 ms
 * each way, see ../shared/spec/srtp.md), so one idle session then lives for the process and a
 * key change costs tens of microseconds instead of a backend restart. Its key is random and
 * never protects anything. */
static gpointer
init_libsrtp (gpointer data)
{
  static srtp_t keepalive;
  guint8 idle_key[SRTP_AES_ICM_128_KEY_LEN_WSALT];
  srtp_policy_t policy;
  gboolean ok;

  /* a second srtp_init (the process already did it) fails harmlessly */
  (void) srtp_init ();
  if (srtp_bridge_crypto_ossl_register ())
    return GINT_TO_POINTER (TRUE);
  RAND_bytes (idle_key, sizeof idle_key);
  memset (&policy, 0, sizeof policy);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  policy.key = idle_key;
  policy.ssrc.type = ssrc_any_inbound;
  ok = srtp_create (&keepalive, &policy) == srtp_err_status_ok;
  OPENSSL_cleanse (idle_key, sizeof idle_key);
  return GINT_TO_POINTER (ok);
}

static gboolean
ensure_libsrtp (GError **error)
{
  static GOnce once = G_ONCE_INIT;

  if (!GPOINTER_TO_INT (g_once (&once, init_libsrtp, NULL)))
    {
      g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_LIBSRTP, "libsrtp2 could not be initialised");
      return FALSE;
    }
  return TRUE;
}

SrtpBridgeReceiver *
srtp_bridge_receiver_new (SrtpBridgeMissingKeyFunc missing, gpointer user_data)
{
  SrtpBridgeReceiver *r = g_new0 (SrtpBridgeReceiver, 1);

  /* libsrtp2's start (self-tests, ~15 ms with NSS) here, not with the first MTK; a failure
   * is reported by add_key */
  (void) ensure_libsrtp (NULL);
  srtp_bridge_policy_init_default (&r->policy);
  r->missing = missing;
  r->missing_data = user_data;
  return r;
}

void
srtp_bridge_receiver_set_release_func (SrtpBridgeReceiver *r, SrtpBridgeReleaseFunc release, gpointer user_data)
{
  r->release = release;
  r->release_data = user_data;
}

static void
drop_sessions (SrtpBridgeReceiver *r)
{
  for (guint i = 0; i < N_LAYOUTS; i++)
    g_clear_pointer (&r->sessions[i], srtp_dealloc);
}

static void
forget_keys (SrtpBridgeReceiver *r)
{
  drop_sessions (r);
  OPENSSL_cleanse (r->keys, sizeof r->keys);
  r->n_keys = 0;
}

void
srtp_bridge_receiver_clear_keys (SrtpBridgeReceiver *r)
{
  forget_keys (r);
  if (r->held != NULL)
    OPENSSL_cleanse (r->held, sizeof (Held) * HOLD_SLOTS);
  r->held_count = 0;
}

void
srtp_bridge_receiver_free (SrtpBridgeReceiver *r)
{
  if (r == NULL)
    return;
  srtp_bridge_receiver_clear_keys (r);
  g_free (r->held);
  g_free (r);
}

const SrtpBridgeCounters *
srtp_bridge_receiver_get_counters (SrtpBridgeReceiver *r)
{
  return &r->counters;
}

/* ---------------------------------------------------------------- libsrtp2 contexts */

static gboolean
is_rcc (const SrtpBridgePolicy *p)
{
  return p->auth == SRTP_BRIDGE_AUTH_RCCM1 || p->auth == SRTP_BRIDGE_AUTH_RCCM2 || p->auth == SRTP_BRIDGE_AUTH_RCCM3;
}

/* Octets of tag a packet of this layout carries after the MKI (RCC: before the ROC is taken). */
static guint
layout_tag_len (const SrtpBridgePolicy *p, Layout layout)
{
  switch (layout)
    {
    case LAYOUT_FULL: return p->auth == SRTP_BRIDGE_AUTH_NULL ? 0 : p->tag_len;
    case LAYOUT_RCC: return p->tag_len;
    case LAYOUT_SRTCP: return p->srtcp_tag_len; /* its SRTP half is never used */
    case LAYOUT_NONE:
    case N_LAYOUTS: break;
    }
  return 0;
}

static gboolean
layout_used (const SrtpBridgePolicy *p, Layout layout)
{
  switch (layout)
    {
    case LAYOUT_FULL: return TRUE; /* also carries SRTCP (RFC 4771 never touches it) of the same tag length */
    case LAYOUT_RCC: return is_rcc (p);
    case LAYOUT_NONE: return p->auth == SRTP_BRIDGE_AUTH_RCCM1 || p->auth == SRTP_BRIDGE_AUTH_RCCM3;
    case LAYOUT_SRTCP: return layout_tag_len (p, LAYOUT_FULL) != p->srtcp_tag_len;
    case N_LAYOUTS: break;
    }
  return FALSE;
}

static void
set_cipher (srtp_crypto_policy_t *c, const SrtpBridgePolicy *p, gboolean encrypt)
{
  c->cipher_type = p->key_len == 32 ? SRTP_AES_ICM_256 : SRTP_AES_ICM_128;
  c->cipher_key_len = p->key_len + p->salt_len;
  c->sec_serv = encrypt ? sec_serv_conf : sec_serv_none;
}

static void
set_auth (srtp_crypto_policy_t *c, guint tag_len)
{
  if (tag_len == 0)
    {
      c->auth_type = SRTP_NULL_AUTH;
      c->auth_key_len = 0;
      c->auth_tag_len = 0;
      return;
    }
  c->auth_type = SRTP_HMAC_SHA1;
  c->auth_key_len = 20;
  c->auth_tag_len = (int) tag_len;
  c->sec_serv |= sec_serv_auth;
}

typedef struct {
  srtp_policy_t      policy;
  srtp_master_key_t  keys[MAX_KEYS];
  srtp_master_key_t *key_ptrs[MAX_KEYS];
} Policy;

static void
build_policy (SrtpBridgeReceiver *r, Layout layout, guint32 ssrc, Policy *out)
{
  const SrtpBridgePolicy *p = &r->policy;
  guint rtp_tag = layout == LAYOUT_RCC ? (p->auth == SRTP_BRIDGE_AUTH_RCCM3 ? 0u : p->tag_len - (guint) RFC4771_ROC_LEN)
                                       : layout_tag_len (p, layout);

  memset (out, 0, sizeof *out);
  set_cipher (&out->policy.rtp, p, p->srtp_encrypt);
  set_auth (&out->policy.rtp, rtp_tag);
  set_cipher (&out->policy.rtcp, p, p->srtcp_encrypt);
  set_auth (&out->policy.rtcp, p->srtcp_tag_len);
  out->policy.ssrc.type = ssrc_specific;
  out->policy.ssrc.value = ssrc;
  out->policy.window_size = 128;
  for (guint i = 0; i < r->n_keys; i++)
    {
      out->keys[i] = (srtp_master_key_t) { .key = r->keys[i].master, .mki_id = r->keys[i].mki,
                                           .mki_size = SRTP_BRIDGE_MKI_LEN };
      out->key_ptrs[i] = &out->keys[i];
    }
  out->policy.keys = out->key_ptrs;
  out->policy.num_master_keys = r->n_keys;
}

static void
wipe_policy (Policy *p)
{
  OPENSSL_cleanse (p, sizeof *p);
}

static gboolean
libsrtp_failed (srtp_err_status_t st, const char *what, GError **error)
{
  g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_LIBSRTP, "libsrtp2 %s failed (status %d)", what, st);
  return FALSE;
}

/* A context for this sender in every layout session in use. */
static gboolean
add_streams (SrtpBridgeReceiver *r, guint32 ssrc, GError **error)
{
  for (Layout l = 0; l < N_LAYOUTS; l++)
    {
      Policy p;
      srtp_err_status_t st;

      if (r->sessions[l] == NULL)
        continue;
      build_policy (r, l, ssrc, &p);
      st = srtp_add_stream (r->sessions[l], &p.policy);
      wipe_policy (&p);
      if (st != srtp_err_status_ok)
        return libsrtp_failed (st, "add_stream", error);
    }
  return TRUE;
}

static gboolean
policy_equal (const SrtpBridgePolicy *a, const SrtpBridgePolicy *b)
{
  return a->key_len == b->key_len && a->salt_len == b->salt_len && a->srtp_encrypt == b->srtp_encrypt
         && a->srtcp_encrypt == b->srtcp_encrypt && a->auth == b->auth && a->tag_len == b->tag_len
         && a->srtcp_tag_len == b->srtcp_tag_len && a->roc_rate == b->roc_rate;
}

static void release_held (SrtpBridgeReceiver *r);

gboolean
srtp_bridge_receiver_add_key (SrtpBridgeReceiver *r, const guint8 mki[SRTP_BRIDGE_MKI_LEN], const guint8 *key,
                              gsize key_len, const guint8 *salt, gsize salt_len, const SrtpBridgePolicy *policy,
                              GError **error)
{
  Key fresh;

  if (!ensure_libsrtp (error))
    return FALSE;
  if (key_len != policy->key_len || salt_len != policy->salt_len)
    {
      g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_POLICY,
                   "MTK of %" G_GSIZE_FORMAT " octets and salt of %" G_GSIZE_FORMAT
                   " do not fit the policy (%u, %u)", key_len, salt_len, policy->key_len, policy->salt_len);
      return FALSE;
    }
  memcpy (fresh.mki, mki, SRTP_BRIDGE_MKI_LEN);
  memcpy (fresh.master, key, key_len);
  memcpy (fresh.master + key_len, salt, salt_len);

  /* a changed policy cannot share contexts with the old keys */
  if (r->n_keys > 0 && !policy_equal (policy, &r->policy))
    forget_keys (r);
  r->policy = *policy;

  for (guint i = 0; i < r->n_keys; i++)
    if (memcmp (r->keys[i].mki, mki, SRTP_BRIDGE_MKI_LEN) == 0)
      {
        /* the same MTK again (a repeated MTK message) changes nothing */
        gboolean same = memcmp (r->keys[i].master, fresh.master, key_len + salt_len) == 0;
        OPENSSL_cleanse (&fresh, sizeof fresh);
        if (same)
          return TRUE;
        g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_POLICY, "MKI already in use with another key");
        return FALSE;
      }
  OPENSSL_cleanse (&r->keys[MAX_KEYS - 1], sizeof (Key));
  memmove (&r->keys[1], &r->keys[0], sizeof (Key) * (MAX_KEYS - 1));
  r->keys[0] = fresh;
  OPENSSL_cleanse (&fresh, sizeof fresh);
  r->n_keys = MIN (r->n_keys + 1, MAX_KEYS);

  for (Layout l = 0; l < N_LAYOUTS; l++)
    {
      srtp_err_status_t st;

      if (!layout_used (&r->policy, l))
        continue;
      if (r->sessions[l] == NULL)
        {
          st = srtp_create (&r->sessions[l], NULL);
          if (st != srtp_err_status_ok)
            return libsrtp_failed (st, "create", error);
          for (guint i = 0; i < r->n_senders; i++)
            {
              Policy p;
              build_policy (r, l, r->senders[i].ssrc, &p);
              st = srtp_add_stream (r->sessions[l], &p.policy);
              wipe_policy (&p);
              if (st != srtp_err_status_ok)
                return libsrtp_failed (st, "add_stream", error);
            }
          continue;
        }
      /* srtp_update_stream keeps each sender's packet index and SRTCP replay state */
      for (guint i = 0; i < r->n_senders; i++)
        {
          Policy p;
          build_policy (r, l, r->senders[i].ssrc, &p);
          st = srtp_update_stream (r->sessions[l], &p.policy);
          wipe_policy (&p);
          if (st != srtp_err_status_ok)
            return libsrtp_failed (st, "update_stream", error);
        }
    }
  release_held (r);
  return TRUE;
}

/* ---------------------------------------------------------------- packets */

static Sender *
find_sender (SrtpBridgeReceiver *r, guint32 ssrc, gboolean *failed)
{
  Sender *s;

  *failed = FALSE;
  for (guint i = 0; i < r->n_senders; i++)
    if (r->senders[i].ssrc == ssrc)
      {
        r->senders[i].last_used = r->packets;
        return &r->senders[i];
      }
  if (r->n_senders < MAX_SSRCS)
    s = &r->senders[r->n_senders++];
  else
    {
      /* forget the sender heard from least recently */
      s = &r->senders[0];
      for (guint i = 1; i < MAX_SSRCS; i++)
        if (r->senders[i].last_used < s->last_used)
          s = &r->senders[i];
      for (Layout l = 0; l < N_LAYOUTS; l++)
        if (r->sessions[l] != NULL)
          srtp_remove_stream (r->sessions[l], g_htonl (s->ssrc));
    }
  *s = (Sender) { .ssrc = ssrc, .last_used = r->packets };
  if (!add_streams (r, ssrc, NULL))
    {
      for (Layout l = 0; l < N_LAYOUTS; l++)
        if (r->sessions[l] != NULL)
          srtp_remove_stream (r->sessions[l], g_htonl (ssrc));
      *failed = TRUE;
      r->n_senders--; /* the slot is the last one or was evicted: either way it is free */
      if (s != &r->senders[r->n_senders])
        *s = r->senders[r->n_senders];
      return NULL;
    }
  return s;
}

static gboolean
mki_known (SrtpBridgeReceiver *r, const guint8 *mki)
{
  for (guint i = 0; i < r->n_keys; i++)
    if (memcmp (r->keys[i].mki, mki, SRTP_BRIDGE_MKI_LEN) == 0)
      return TRUE;
  return FALSE;
}

static SrtpBridgeVerdict
hold (SrtpBridgeReceiver *r, const guint8 *mki, const guint8 *packet, gsize len, gboolean rtcp)
{
  gint64 now = g_get_monotonic_time ();
  Held *h;

  if (r->missing != NULL
      && (memcmp (mki, r->missing_mki, SRTP_BRIDGE_MKI_LEN) != 0 || now - r->missing_at >= MISSING_EVERY_US))
    {
      memcpy (r->missing_mki, mki, SRTP_BRIDGE_MKI_LEN);
      r->missing_at = now;
      r->missing (mki, r->missing_data);
    }
  srtp_bridge_receiver_expire (r, now);
  if (len > HOLD_MAX_LEN || r->held_count == HOLD_SLOTS)
    {
      r->counters.unknown_mki++;
      return SRTP_BRIDGE_UNKNOWN_MKI;
    }
  if (r->held == NULL)
    r->held = g_new (Held, HOLD_SLOTS);
  h = &r->held[(r->held_first + r->held_count++) % HOLD_SLOTS];
  h->arrived = now;
  h->rtcp = rtcp;
  h->len = len;
  memcpy (h->data, packet, len);
  r->counters.held++;
  return SRTP_BRIDGE_HELD;
}

void
srtp_bridge_receiver_expire (SrtpBridgeReceiver *r, gint64 now_us)
{
  while (r->held_count > 0 && now_us - r->held[r->held_first].arrived >= HOLD_US)
    {
      OPENSSL_cleanse (&r->held[r->held_first], sizeof (Held));
      r->held_first = (r->held_first + 1) % HOLD_SLOTS;
      r->held_count--;
      r->counters.unknown_mki++;
    }
}

static SrtpBridgeVerdict
verdict_of (SrtpBridgeReceiver *r, srtp_err_status_t st)
{
  switch (st)
    {
    case srtp_err_status_ok: return SRTP_BRIDGE_OK;
    case srtp_err_status_auth_fail: r->counters.auth_fail++; return SRTP_BRIDGE_AUTH_FAIL;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old: r->counters.replay++; return SRTP_BRIDGE_REPLAY;
    case srtp_err_status_bad_mki: r->counters.unknown_mki++; return SRTP_BRIDGE_UNKNOWN_MKI;
    default: r->counters.malformed++; return SRTP_BRIDGE_MALFORMED;
    }
}

static SrtpBridgeVerdict
malformed (SrtpBridgeReceiver *r)
{
  r->counters.malformed++;
  return SRTP_BRIDGE_MALFORMED;
}

/* RFC 3711 3.3.1: the ROC a SEQ most likely belongs to, from the highest SEQ seen. */
static guint32
estimate_roc (const Sender *s, guint16 seq)
{
  if (s->s_l < 32768)
    return seq - s->s_l > 32768 ? s->roc - 1 : s->roc;
  return s->s_l - 32768 > seq ? s->roc + 1 : s->roc;
}

static void
advance (Sender *s, guint32 roc, guint16 seq)
{
  if (roc > s->roc || (roc == s->roc && seq > s->s_l))
    s->roc = roc, s->s_l = seq;
}

static SrtpBridgeVerdict
unprotect_rtp (SrtpBridgeReceiver *r, guint8 *packet, gsize *len, gboolean from_hold)
{
  const SrtpBridgePolicy *p = &r->policy;
  guint16 seq;
  guint32 ssrc, roc = 0;
  Layout layout = LAYOUT_FULL;
  gboolean rcc_packet = FALSE, failed;
  guint64 index;
  Sender *s;
  int n;
  srtp_err_status_t st;

  if (*len < RTP_HEADER_LEN + SRTP_BRIDGE_MKI_LEN || *len > G_MAXINT || (packet[0] >> 6) != 2)
    return malformed (r);
  seq = (guint16) (packet[2] << 8 | packet[3]);
  ssrc = (guint32) packet[8] << 24 | (guint32) packet[9] << 16 | (guint32) packet[10] << 8 | packet[11];
  if (is_rcc (p))
    {
      rcc_packet = rfc4771_carries_roc (seq, p->roc_rate);
      layout = rcc_packet ? LAYOUT_RCC : p->auth == SRTP_BRIDGE_AUTH_RCCM2 ? LAYOUT_FULL : LAYOUT_NONE;
    }
  if (*len < RTP_HEADER_LEN + SRTP_BRIDGE_MKI_LEN + layout_tag_len (p, layout))
    return malformed (r);
  if (!mki_known (r, packet + *len - layout_tag_len (p, layout) - SRTP_BRIDGE_MKI_LEN))
    {
      if (from_hold)
        return SRTP_BRIDGE_HELD;
      return hold (r, packet + *len - layout_tag_len (p, layout) - SRTP_BRIDGE_MKI_LEN, packet, *len, FALSE);
    }

  r->packets++;
  s = find_sender (r, ssrc, &failed);
  if (s == NULL)
    return malformed (r);
  if (rcc_packet)
    {
      if (!rfc4771_take_roc (packet, len, p->tag_len, &roc))
        return malformed (r);
    }
  else if (is_rcc (p))
    {
      /* RFC 4771: without a ROC from an RCC packet of this sender, an unauthenticated packet
       * would decrypt to garbage and an authenticated one fail; wait for the next ROC */
      if (!s->roc_known)
        {
          r->counters.no_roc++;
          return SRTP_BRIDGE_NO_ROC;
        }
      roc = estimate_roc (s, seq);
    }
  /* libsrtp2 uses a set ROC for its index estimate: RCC packets give it, others take ours */
  if (is_rcc (p))
    srtp_set_stream_roc (r->sessions[layout], ssrc, roc);
  else if (!s->rtp_seen.any)
    srtp_get_stream_roc (r->sessions[layout], ssrc, &roc); /* the first packet's guess only */
  index = replay_window_rtp_index (&s->rtp_seen, seq, (guint64) roc << 16 | seq);
  if (!replay_window_check (&s->rtp_seen, index))
    {
      r->counters.replay++;
      return SRTP_BRIDGE_REPLAY;
    }

  n = (int) *len;
  st = srtp_unprotect_mki (r->sessions[layout], packet, &n, 1);
  if (st != srtp_err_status_ok)
    return verdict_of (r, st);
  *len = (gsize) n;
  replay_window_accept (&s->rtp_seen, index);
  if (is_rcc (p) && (rcc_packet || s->roc_known))
    {
      if (rcc_packet && !s->roc_known)
        s->roc = roc, s->s_l = seq;
      s->roc_known = TRUE;
      advance (s, roc, seq);
    }
  r->counters.rtp_ok++;
  return SRTP_BRIDGE_OK;
}

SrtpBridgeVerdict
srtp_bridge_receiver_unprotect_rtp (SrtpBridgeReceiver *r, guint8 *packet, gsize *len)
{
  return unprotect_rtp (r, packet, len, FALSE);
}

static SrtpBridgeVerdict
unprotect_rtcp (SrtpBridgeReceiver *r, guint8 *packet, gsize *len, gboolean from_hold)
{
  gsize trailer = SRTCP_INDEX_LEN + SRTP_BRIDGE_MKI_LEN + r->policy.srtcp_tag_len;
  const guint8 *mki;
  guint32 ssrc, index;
  gboolean failed;
  Sender *s;
  int n;
  srtp_err_status_t st;

  if (*len < RTCP_HEADER_LEN + trailer || *len > G_MAXINT || (packet[0] >> 6) != 2)
    return malformed (r);
  mki = packet + *len - r->policy.srtcp_tag_len - SRTP_BRIDGE_MKI_LEN;
  if (!mki_known (r, mki))
    return from_hold ? SRTP_BRIDGE_HELD : hold (r, mki, packet, *len, TRUE);
  ssrc = (guint32) packet[4] << 24 | (guint32) packet[5] << 16 | (guint32) packet[6] << 8 | packet[7];
  /* RFC 3711 3.4: E flag and the 31-bit SRTCP index before the MKI */
  index = ((guint32) mki[-4] << 24 | (guint32) mki[-3] << 16 | (guint32) mki[-2] << 8 | mki[-1]) & 0x7fffffff;
  r->packets++;
  if ((s = find_sender (r, ssrc, &failed)) == NULL)
    return malformed (r);
  if (!replay_window_check (&s->rtcp_seen, index))
    {
      r->counters.replay++;
      return SRTP_BRIDGE_REPLAY;
    }
  n = (int) *len;
  st = srtp_unprotect_rtcp_mki (r->sessions[layout_used (&r->policy, LAYOUT_SRTCP) ? LAYOUT_SRTCP : LAYOUT_FULL],
                                packet, &n, 1);
  if (st != srtp_err_status_ok)
    return verdict_of (r, st);
  *len = (gsize) n;
  replay_window_accept (&s->rtcp_seen, index);
  r->counters.rtcp_ok++;
  return SRTP_BRIDGE_OK;
}

SrtpBridgeVerdict
srtp_bridge_receiver_unprotect_rtcp (SrtpBridgeReceiver *r, guint8 *packet, gsize *len)
{
  return unprotect_rtcp (r, packet, len, FALSE);
}

/* A key arrived: what waited for it goes on, in arrival order; the rest keeps waiting. */
static void
release_held (SrtpBridgeReceiver *r)
{
  guint count = r->held_count;

  srtp_bridge_receiver_expire (r, g_get_monotonic_time ());
  count = r->held_count;
  for (guint i = 0; i < count; i++)
    {
      Held *h = &r->held[r->held_first];
      Held copy = *h;
      SrtpBridgeVerdict v;

      OPENSSL_cleanse (h, sizeof *h);
      r->held_first = (r->held_first + 1) % HOLD_SLOTS;
      r->held_count--;
      v = copy.rtcp ? unprotect_rtcp (r, copy.data, &copy.len, TRUE) : unprotect_rtp (r, copy.data, &copy.len, TRUE);
      if (v == SRTP_BRIDGE_HELD)
        {
          /* still unknown: back to the end of the ring, its arrival time unchanged */
          r->held[(r->held_first + r->held_count++) % HOLD_SLOTS] = copy;
          continue;
        }
      r->counters.released++;
      if (v == SRTP_BRIDGE_OK && r->release != NULL)
        r->release (copy.data, copy.len, copy.rtcp, r->release_data);
    }
}
