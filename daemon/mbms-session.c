/* A protected RTP session, TS 33.246 6.6.2: MTK + salt from MGV-F go into the session's SRTP
 * receiver under MKI = MSK ID || MTK ID (6.6.2.1), with the SRTP policy of the MSK's SP
 * payload; while someone streams, a forwarder joins the group and hands plain RTP to the
 * player. Authorised players may instead fetch the keys (GetKeys) and decrypt themselves. */
#include "mbms-session.h"
#include "mbms-context.h"
#include "mbms-dbus-error.h"

#include <openssl/crypto.h>
#include <string.h>

#define MAX_KEPT_MTKS 2 /* the receiver keeps two; the hand-out offers the same two */

struct _MbmsSession {
  const MbmsContext      *ctx;
  MbmsSessionMskMissing   msk_missing;
  gpointer                msk_missing_data;
  MbmsDBusObjectSkeleton *object;
  MbmsDBusSession        *iface;
  char                   *address;
  guint16                 port, rtcp_port, forward_port;
  guint8                  domain[3];
  guint16                 key_group;
  SrtpBridgeReceiver     *receiver;
  SrtpBridgeForwarder    *forwarder;
  MgvMtk                 *mtks[MAX_KEPT_MTKS]; /* [0] current */
  guint64                 mtk_replays, mtk_auth_failures;
  guint64                 seen_decrypted, seen_arrived; /* the counters at the last look */
  gint64                  failing_since_us;             /* 0: decrypting or quiet */
  SrtpBridgePolicy        policies[MAX_KEPT_MTKS];
  SrtpBridgeCounters      logged;        /* SRTP drops at the last summary line */
  guint64                 logged_full;
  gint64                  logged_at_us;
};

#define LOG_INTERVAL_S 10 /* at most one summary line per reason this often */

static void
mki_of (const MgvMtk *mtk, guint8 mki[SRTP_BRIDGE_MKI_LEN])
{
  mki[0] = (guint8) (mtk->msk_id >> 24), mki[1] = (guint8) (mtk->msk_id >> 16);
  mki[2] = (guint8) (mtk->msk_id >> 8), mki[3] = (guint8) mtk->msk_id;
  mki[4] = (guint8) (mtk->mtk_id >> 8), mki[5] = (guint8) mtk->mtk_id;
}

static char *
mki_hex (const guint8 mki[SRTP_BRIDGE_MKI_LEN])
{
  return g_strdup_printf ("%02x%02x%02x%02x%02x%02x", mki[0], mki[1], mki[2], mki[3], mki[4], mki[5]);
}

/* Traffic names an MKI we lack: without its MSK, ask for the MSK (6.3.2.2.3); with it, the
 * MTK message is on its way over multicast and the packets wait in the receiver. */
static void
on_missing_key (const guint8 mki[SRTP_BRIDGE_MKI_LEN], gpointer data)
{
  MbmsSession *self = data;
  guint32 msk_id = (guint32) mki[0] << 24 | (guint32) mki[1] << 16 | (guint32) mki[2] << 8 | mki[3];
  g_autofree char *hex = mki_hex (mki);

  g_debug ("SRTP on %s:%u names MKI %s, which has no key yet", self->address, self->port, hex);
  if (MGV_MSK_KEY_GROUP (msk_id) == self->key_group)
    self->msk_missing (self->domain, msk_id, self->msk_missing_data);
}

static gboolean on_get_keys (MbmsDBusSession *iface, GDBusMethodInvocation *inv, GVariant *mki, gpointer data);

MbmsSession *
mbms_session_new (const MbmsContext *ctx, const char *service_path, const MbmsRtpSession *desc, const char *path,
                  guint16 forward_port, MbmsSessionMskMissing msk_missing, gpointer data)
{
  MbmsSession *self = g_new0 (MbmsSession, 1);
  g_autofree char *d = g_strdup_printf ("%02x%02x%02x", desc->key.domain[0], desc->key.domain[1], desc->key.domain[2]);

  self->ctx = ctx;
  self->msk_missing = msk_missing;
  self->msk_missing_data = data;
  self->address = g_strdup (desc->address);
  self->port = desc->port;
  self->rtcp_port = desc->rtcp_port;
  self->forward_port = forward_port;
  memcpy (self->domain, desc->key.domain, 3);
  self->key_group = desc->key.key_group;
  self->receiver = srtp_bridge_receiver_new (on_missing_key, self);
  self->object = mbms_dbus_object_skeleton_new (path);
  self->iface = mbms_dbus_session_skeleton_new ();
  mbms_dbus_session_set_service (self->iface, service_path);
  mbms_dbus_session_set_media (self->iface, desc->media);
  mbms_dbus_session_set_destination_address (self->iface, desc->address);
  mbms_dbus_session_set_destination_port (self->iface, desc->port);
  mbms_dbus_session_set_key_domain_id (self->iface, d);
  mbms_dbus_session_set_key_group (self->iface, desc->key.key_group);
  mbms_dbus_session_set_current_mki (self->iface, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, NULL, 0, 1));
  mbms_dbus_session_set_forward_address (self->iface, ctx->config->forward_address);
  mbms_dbus_session_set_forward_port (self->iface, forward_port);
  g_signal_connect (self->iface, "handle-get-keys", G_CALLBACK (on_get_keys), self);
  mbms_dbus_object_skeleton_set_session (self->object, self->iface);
  mbms_session_update_counters (self);
  return self;
}

static void
forget_mtks (MbmsSession *self)
{
  for (guint i = 0; i < MAX_KEPT_MTKS; i++)
    g_clear_pointer (&self->mtks[i], mgv_mtk_free);
}

void
mbms_session_free (MbmsSession *self)
{
  if (self == NULL)
    return;
  mbms_session_stop (self);
  forget_mtks (self);
  g_clear_pointer (&self->receiver, srtp_bridge_receiver_free);
  g_clear_object (&self->iface);
  g_clear_object (&self->object);
  g_free (self->address);
  g_free (self);
}

GDBusObjectSkeleton *mbms_session_get_object (MbmsSession *self) { return G_DBUS_OBJECT_SKELETON (self->object); }
const char *mbms_session_get_address (MbmsSession *self) { return self->address; }
guint16 mbms_session_get_forward_port (MbmsSession *self) { return self->forward_port; }
gboolean mbms_session_has_key (MbmsSession *self) { return self->mtks[0] != NULL; }

/* The SRTP policy of the MTK's MSK (its SP payload), the RFC 3830 defaults without one. */
static gboolean
policy_for (MbmsSession *self, const MgvMtk *mtk, SrtpBridgePolicy *policy, GError **error)
{
  /* UICC key management: the SP payload of the MSK message the card took (mbms-uicc-msks.h) */
  g_autoptr(GBytes) sp = self->ctx->uicc_keys != NULL
                           ? mbms_uicc_msks_get_policy (mbms_uicc_keys_get_msks (self->ctx->uicc_keys), mtk->domain,
                                                        mtk->msk_id)
                           : mgv_store_get_policy (self->ctx->store, mtk->domain, mtk->msk_id, NULL);

  return srtp_bridge_policy_parse (sp ? g_bytes_get_data (sp, NULL) : NULL, sp ? g_bytes_get_size (sp) : 0, policy,
                                   error);
}

gboolean
mbms_session_mtk_received (MbmsSession *self, const char *destination, const MgvMtk *mtk)
{
  g_autoptr(GError) error = NULL;
  SrtpBridgePolicy policy;
  guint8 mki[SRTP_BRIDGE_MKI_LEN];
  gsize key_len, salt_len;
  const guint8 *key, *salt;

  if (g_strcmp0 (destination, self->address) != 0 || MGV_MSK_KEY_GROUP (mtk->msk_id) != self->key_group
      || memcmp (mtk->domain, self->domain, 3) != 0 || mtk->salt == NULL)
    return FALSE;
  mki_of (mtk, mki);
  key = gba_secret_get_data (mtk->mtk, &key_len);
  salt = gba_secret_get_data (mtk->salt, &salt_len);
  if (!policy_for (self, mtk, &policy, &error)
      || !srtp_bridge_receiver_add_key (self->receiver, mki, key, key_len, salt, salt_len, &policy, &error))
    {
      g_autofree char *hex = mki_hex (mki);
      g_warning ("MTK %u of MSK 0x%08x cannot protect %s:%u (MKI %s): %s", mtk->mtk_id, mtk->msk_id, self->address,
                 self->port, hex, error->message);
      return FALSE;
    }
  g_clear_pointer (&self->mtks[MAX_KEPT_MTKS - 1], mgv_mtk_free);
  memmove (&self->mtks[1], &self->mtks[0], sizeof self->mtks[0] * (MAX_KEPT_MTKS - 1));
  memmove (&self->policies[1], &self->policies[0], sizeof self->policies[0] * (MAX_KEPT_MTKS - 1));
  self->mtks[0] = mgv_mtk_copy (mtk);
  self->policies[0] = policy;

  mbms_dbus_session_set_current_mki (self->iface, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, mki, 6, 1));
  mbms_dbus_session_set_current_mtk_id (self->iface, mtk->mtk_id);
  mbms_dbus_session_set_mtk_messages (self->iface, mbms_dbus_session_get_mtk_messages (self->iface) + 1);
  mbms_dbus_session_emit_key_changed (self->iface, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, mki, 6, 1),
                                      mtk->mtk_id);
  return TRUE;
}

void
mbms_session_clear_keys (MbmsSession *self)
{
  forget_mtks (self);
  srtp_bridge_receiver_clear_keys (self->receiver);
  mbms_dbus_session_set_current_mki (self->iface, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, NULL, 0, 1));
  mbms_dbus_session_set_current_mtk_id (self->iface, 0);
}

gboolean
mbms_session_start (MbmsSession *self, GError **error)
{
  if (self->forwarder != NULL)
    return TRUE;
  /* no player yet: the holds say where the packets go */
  self->forwarder = srtp_bridge_forwarder_new (self->receiver, self->address, self->port, self->rtcp_port,
                                               self->ctx->config->multicast_interface, NULL, 0, error);
  if (self->forwarder == NULL)
    return FALSE;
  g_message ("streaming %s:%u", self->address, self->port);
  return TRUE;
}

gboolean
mbms_session_set_loopback (MbmsSession *self, gboolean on, GError **error)
{
  if (self->forwarder == NULL)
    return TRUE;
  if (!srtp_bridge_forwarder_set_loopback (self->forwarder, on ? self->ctx->config->forward_address : NULL,
                                           self->forward_port, error))
    return FALSE;
  g_debug ("%s:%u %s %s:%u", self->address, self->port, on ? "forwarded to" : "no longer forwarded to",
           self->ctx->config->forward_address, self->forward_port);
  return TRUE;
}

guint
mbms_session_add_player (MbmsSession *self, int *rtp_fd, int *rtcp_fd, GError **error)
{
  guint id;

  if (self->forwarder == NULL)
    {
      g_set_error (error, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_FAILED, "%s:%u is not streaming", self->address, self->port);
      return 0;
    }
  id = srtp_bridge_forwarder_add_player (self->forwarder, rtp_fd, rtcp_fd, error);
  if (id != 0)
    g_message ("streaming %s:%u to a player's own sockets", self->address, self->port);
  return id;
}

void
mbms_session_remove_player (MbmsSession *self, guint id)
{
  if (self->forwarder != NULL)
    srtp_bridge_forwarder_remove_player (self->forwarder, id);
}

void
mbms_session_stop (MbmsSession *self)
{
  if (self->forwarder == NULL)
    return;
  mbms_session_update_counters (self);
  g_clear_pointer (&self->forwarder, srtp_bridge_forwarder_free);
  g_message ("stopped streaming %s:%u", self->address, self->port);
}

static const struct {
  const char *key;
  gsize       offset;
} srtp_drops[] = {
  { "srtp-malformed", G_STRUCT_OFFSET (SrtpBridgeCounters, malformed) },
  { "srtp-authentication-failure", G_STRUCT_OFFSET (SrtpBridgeCounters, auth_fail) },
  { "srtp-replay", G_STRUCT_OFFSET (SrtpBridgeCounters, replay) },
  { "srtp-unknown-mki", G_STRUCT_OFFSET (SrtpBridgeCounters, unknown_mki) },
  { "srtp-no-roc", G_STRUCT_OFFSET (SrtpBridgeCounters, no_roc) },
};

/* One line per reason that dropped packets since the last summary, at most every LOG_INTERVAL_S. */
static void
log_drops (MbmsSession *self, const SrtpBridgeCounters *c, guint64 full)
{
  gint64 now = g_get_monotonic_time ();

  if (now - self->logged_at_us < LOG_INTERVAL_S * G_USEC_PER_SEC)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (srtp_drops); i++)
    {
      guint64 n = G_STRUCT_MEMBER (guint64, c, srtp_drops[i].offset);
      guint64 before = G_STRUCT_MEMBER (guint64, &self->logged, srtp_drops[i].offset);
      if (n != before)
        g_message ("SRTP on %s:%u: %" G_GUINT64_FORMAT " packets dropped as %s since the last summary "
                   "(%" G_GUINT64_FORMAT " in all)", self->address, self->port, n - before, srtp_drops[i].key + 5, n);
    }
  if (full != self->logged_full)
    g_message ("SRTP on %s:%u: %" G_GUINT64_FORMAT " decrypted packets dropped because a player's socket was full",
               self->address, self->port, full - self->logged_full);
  self->logged = *c;
  self->logged_full = full;
  self->logged_at_us = now;
}

void
mbms_session_update_counters (MbmsSession *self)
{
  const SrtpBridgeCounters *c = srtp_bridge_receiver_get_counters (self->receiver);
  MbmsMikeyCounters mikey = { 0 };
  GVariantBuilder b;
  guint64 full = self->forwarder ? srtp_bridge_forwarder_get_dropped (self->forwarder) : 0;

  full = MAX (full, self->logged_full); /* a new forwarder counts from 0 again */
  /* the skeleton only signals values that changed */
  mbms_dbus_session_set_packets_decrypted (self->iface, c->rtp_ok + c->rtcp_ok);
  mbms_dbus_session_set_authentication_failures (self->iface, c->auth_fail);
  mbms_dbus_session_set_replays (self->iface, c->replay);
  mbms_dbus_session_set_unknown_mki (self->iface, c->unknown_mki);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{st}"));
  if (self->ctx->mikey != NULL)
    mikey = mbms_mikey_receiver_get_counters (self->ctx->mikey, self->address);
  mbms_mikey_counters_add_drops (&mikey, &b);
  for (guint i = 0; i < G_N_ELEMENTS (srtp_drops); i++)
    g_variant_builder_add (&b, "{st}", srtp_drops[i].key, G_STRUCT_MEMBER (guint64, c, srtp_drops[i].offset));
  g_variant_builder_add (&b, "{st}", "srtp-player-full", full);
  mbms_dbus_session_set_drop_counters (self->iface, g_variant_builder_end (&b));
  log_drops (self, c, full);
}

gboolean
mbms_session_mtk_refused (MbmsSession *self, const char *destination, const guint8 domain[3], guint16 key_group,
                          gboolean replay)
{
  if (g_strcmp0 (destination, self->address) != 0 || key_group != self->key_group || memcmp (domain, self->domain, 3) != 0)
    return FALSE;
  if (replay)
    mbms_dbus_session_set_mtk_replays (self->iface, ++self->mtk_replays);
  else
    mbms_dbus_session_set_mtk_auth_failures (self->iface, ++self->mtk_auth_failures);
  return TRUE;
}

void
mbms_session_get_key_group (MbmsSession *self, guint8 domain[3], guint16 *key_group)
{
  memcpy (domain, self->domain, 3);
  *key_group = self->key_group;
}

MbmsSessionFlow
mbms_session_check_flow (MbmsSession *self, gint64 now_us, gint64 timeout_us)
{
  const SrtpBridgeCounters *c = srtp_bridge_receiver_get_counters (self->receiver);
  guint64 decrypted = c->rtp_ok + c->rtcp_ok;
  guint64 arrived = decrypted + c->auth_fail + c->replay + c->unknown_mki + c->no_roc + c->held + c->malformed;
  gboolean came = arrived != self->seen_arrived;

  self->seen_arrived = arrived;
  if (decrypted != self->seen_decrypted || !came)
    {
      self->seen_decrypted = decrypted;
      self->failing_since_us = 0;
      return came ? MBMS_SESSION_DECRYPTING : MBMS_SESSION_QUIET;
    }
  if (self->failing_since_us == 0)
    self->failing_since_us = now_us;
  return now_us - self->failing_since_us >= timeout_us ? MBMS_SESSION_STALLED : MBMS_SESSION_FAILING;
}

gboolean
mbms_session_matches (MbmsSession *self, const MbmsRtpSession *desc)
{
  return g_strcmp0 (self->address, desc->address) == 0 && self->port == desc->port
         && self->rtcp_port == desc->rtcp_port && self->key_group == desc->key.key_group
         && memcmp (self->domain, desc->key.domain, 3) == 0;
}

/* ---------------------------------------------------------------- key hand-out */

/* The caller holds the keys action; a session lives as long as its service, and the service
 * as long as the manager, so self outlives the authorisation round trip. */
static void
get_keys_authorized (GDBusMethodInvocation *inv, gpointer data)
{
  MbmsSession *self = data;
  MbmsDBusSession *iface = self->iface;
  g_autoptr(GVariant) mki_v = NULL;
  gsize want_len = 0;
  const guint8 *want;
  const MgvMtk *mtk = NULL;
  const SrtpBridgePolicy *policy = NULL;
  guint8 mki[SRTP_BRIDGE_MKI_LEN];
  g_autofree char *hex = NULL;
  GVariantBuilder b;
  gsize key_len, salt_len;
  const guint8 *key, *salt;
  g_autofree guint8 *master = NULL;

  g_variant_get (g_dbus_method_invocation_get_parameters (inv), "(@ay)", &mki_v);
  want = g_variant_get_fixed_array (mki_v, &want_len, 1);
  for (guint i = 0; i < MAX_KEPT_MTKS && self->mtks[i] != NULL; i++)
    {
      mki_of (self->mtks[i], mki);
      if (want_len == 0 || (want_len == SRTP_BRIDGE_MKI_LEN && memcmp (want, mki, SRTP_BRIDGE_MKI_LEN) == 0))
        {
          mtk = self->mtks[i];
          policy = &self->policies[i];
          break;
        }
    }
  if (mtk == NULL)
    {
      g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_NO_KEY,
                                             "No MTK for that MKI on %s:%u", self->address, self->port);
      return;
    }
  if (srtp_bridge_policy_auth_name (policy, FALSE) == NULL || srtp_bridge_policy_auth_name (policy, TRUE) == NULL)
    {
      g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_NOT_SUPPORTED,
                                             "The SRTP policy of %s:%u (RFC 4771 or an odd tag length) has no "
                                             "srtpdec name; use the decrypted stream instead",
                                             self->address, self->port);
      return;
    }
  key = gba_secret_get_data (mtk->mtk, &key_len);
  salt = gba_secret_get_data (mtk->salt, &salt_len);
  master = g_malloc (key_len + salt_len);
  memcpy (master, key, key_len);
  memcpy (master + key_len, salt, salt_len);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "srtp-key",
                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, master, key_len + salt_len, 1));
  g_variant_builder_add (&b, "{sv}", "mki", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, mki, sizeof mki, 1));
  g_variant_builder_add (&b, "{sv}", "srtp-cipher", g_variant_new_string (srtp_bridge_policy_cipher_name (policy, FALSE)));
  g_variant_builder_add (&b, "{sv}", "srtp-auth", g_variant_new_string (srtp_bridge_policy_auth_name (policy, FALSE)));
  g_variant_builder_add (&b, "{sv}", "srtcp-cipher", g_variant_new_string (srtp_bridge_policy_cipher_name (policy, TRUE)));
  g_variant_builder_add (&b, "{sv}", "srtcp-auth", g_variant_new_string (srtp_bridge_policy_auth_name (policy, TRUE)));
  OPENSSL_cleanse (master, key_len + salt_len);
  hex = mki_hex (mki);
  g_message ("key of MKI %s on %s:%u handed to %s", hex, self->address, self->port,
             g_dbus_method_invocation_get_sender (inv));
  mbms_dbus_session_complete_get_keys (iface, inv, g_variant_builder_end (&b));
}

static gboolean
on_get_keys (MbmsDBusSession *iface, GDBusMethodInvocation *inv, GVariant *mki, gpointer data)
{
  MbmsSession *self = data;
  gsize len = g_variant_n_children (mki);

  /* an MKI is MSK ID || MTK ID (6.6.2), or empty for the current key: nothing longer is read */
  if (len != 0 && len != SRTP_BRIDGE_MKI_LEN)
    {
      g_dbus_method_invocation_return_error (inv, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "MKI of %zu octets: %d (MSK ID || MTK ID) or none for the current key",
                                             len, SRTP_BRIDGE_MKI_LEN);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  mbms_authorizer_authorize (self->ctx->authorizer, inv, MBMS_AUTH_KEYS, get_keys_authorized, self, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
