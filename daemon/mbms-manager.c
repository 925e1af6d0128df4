/* The daemon's centre. It owns the card and GBA (through the key management client), MGV-S,
 * the user's registrations and MIKEY reception; it exports the Manager object and, through
 * the object manager, one object per user service and per protected RTP session. MIKEY
 * datagrams go through MGV-F here (TS 33.246 6.4.6): MSK messages update the services using
 * the key group and may ask for a verification answer or an MSK request (solicited pull,
 * push under an older MUK); MTK messages update the sessions; an MTK for an MSK the UE
 * lacks triggers an MSK request (6.3.2.2.3). */
#include "config.h"
#include "mbms-manager.h"
#include "mbms-address-watch.h"
#include "mbms-authorizer.h"
#include "mbms-card.h"
#include "mbms-context.h"
#include "mbms-dbus-error.h"
#include "mbms-lifetime.h"
#include "mbms-mikey-receiver.h"
#include "mbms-service.h"
#include "mbms-fileio.h"
#include "mbms-km-mode.h"
#include "mbms-uicc-cleanup.h"
#include "mbms-uicc-keys.h"
#include "mbms-socket-plan.h"

#include <glib/gstdio.h>
#include <string.h>

#define ADDRESS_SETTLE_MS 1000 /* addresses come and go in bursts (DHCP, SLAAC): wait for calm */
#define MAX_ADDED_BUNDLES 256  /* bundles added over D-Bus, each read again on every Rescan */
#define MBMS_PATH_ARG_MAX 4096 /* PATH_MAX: longer paths no open(2) takes */
#define MBMS_QUOTE_MAX 64      /* what an error reply quotes of a caller's argument */

struct _MbmsManager {
  GObject                   parent_instance;
  MbmsConfig               *config;
  GbaUicc                  *uicc;
  GbaBootstrapper          *bootstrapper;
  MbmsKeymgmt              *keymgmt;
  MgvStore                 *store;
  MbmsRegistrations        *registrations;
  MbmsMikeyReceiver        *receiver;
  MbmsUiccKeys             *uicc_keys; /* UICC key management (TS 33.246 Annex D); NULL: in the ME */
  guint                     counters_timer;      /* drop counters on D-Bus soon (one-shot) */
  gint64                    counters_updated_us; /* when they last were (monotonic) */
  MbmsAddressWatch         *addresses;
  MbmsAuthorizer           *authorizer;
  GDBusObjectManagerServer *objects;
  MbmsContext               context;  /* handed to every service */
  MbmsDBusManager          *iface;
  GDBusConnection          *connection;
  GPtrArray                *services; /* MbmsService */
  MbmsLifetime             *lifetime; /* of the bootstrapped B-TID */
  gboolean                  card_missing_seen; /* no card at some point: GBA keys deleted */
  GHashTable               *sources;  /* service ID -> the bundle that last described it */
  GPtrArray                *added;    /* bundles added over D-Bus, read again on Rescan */
  GHashTable               *watched;  /* destinations joined for MTK messages */
  MbmsMskRequests          *msk_requests;
  guint                     rebootstrap_quiet; /* running: a recovery ran GBA less than
                                                * [mikey] reregister-interval ago */
  guint                     next_service;
  guint                     next_session;
  guint                     shutdown_pending;
  GSourceFunc               shutdown_done;
  gpointer                  shutdown_data;
  guint                     shutdown_timer;
  char                     *card_id;      /* ICCID/IMSI of the attached card; NULL before */
  gboolean                  card_opening;
  guint                     card_retry;
};

enum { SIGNAL_CARD_CHANGED, N_MANAGER_SIGNALS };
static guint manager_signals[N_MANAGER_SIGNALS];

G_DEFINE_FINAL_TYPE (MbmsManager, mbms_manager, G_TYPE_OBJECT)

static void
mbms_manager_dispose (GObject *object)
{
  MbmsManager *self = MBMS_MANAGER (object);

  g_clear_handle_id (&self->counters_timer, g_source_remove);
  g_clear_handle_id (&self->card_retry, g_source_remove);
  if (self->uicc != NULL)
    g_signal_handlers_disconnect_by_data (self->uicc, self);
  g_clear_pointer (&self->addresses, mbms_address_watch_free);
  if (self->rebootstrap_quiet != 0)
    mbms_clock_cancel (self->context.clock, self->rebootstrap_quiet);
  self->rebootstrap_quiet = 0;
  g_clear_pointer (&self->services, g_ptr_array_unref);
  g_clear_object (&self->objects);
  g_clear_object (&self->iface);
  if (self->uicc_keys != NULL)
    mbms_uicc_keys_stop (self->uicc_keys); /* before the receiver it reports to goes */
  g_clear_object (&self->uicc_keys);
  g_clear_pointer (&self->receiver, mbms_mikey_receiver_free);
  g_clear_object (&self->keymgmt);
  g_clear_object (&self->bootstrapper);
  g_clear_object (&self->uicc);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (mbms_manager_parent_class)->dispose (object);
}

static void
mbms_manager_finalize (GObject *object)
{
  MbmsManager *self = MBMS_MANAGER (object);

  g_free (self->card_id);
  mgv_store_free (self->store);
  mbms_registrations_free (self->registrations);
  mbms_authorizer_free (self->authorizer);
  mbms_config_free (self->config);
  mbms_msk_requests_unref (self->msk_requests);
  mbms_lifetime_free (self->lifetime);
  g_hash_table_unref (self->sources);
  g_ptr_array_unref (self->added);
  g_hash_table_unref (self->watched);
  G_OBJECT_CLASS (mbms_manager_parent_class)->finalize (object);
}

static void
mbms_manager_class_init (MbmsManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mbms_manager_dispose;
  G_OBJECT_CLASS (klass)->finalize = mbms_manager_finalize;
  /* another card came: MGV-S is bound to the old one, the daemon restarts (mbmsd.c) */
  manager_signals[SIGNAL_CARD_CHANGED] = g_signal_new ("card-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mbms_manager_init (MbmsManager *self)
{
  self->services = g_ptr_array_new_with_free_func (g_object_unref);
  self->sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->added = g_ptr_array_new_with_free_func (g_free);
  self->watched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* ---------------------------------------------------------------- keys */

static void
on_muk_ready (MbmsKeymgmt *km, const char *fqdn, GbaMbmsKeys *keys, gpointer data)
{
  MbmsManager *self = data;
  g_autofree char *idi = NULL;
  g_autofree char *idr = NULL;
  g_autoptr(GError) error = NULL;

  if (keys->muk_on_uicc)
    {
      /* TS 33.246 6.1: the MUK is Ks_int_NAF, on the card; the ME knows its ID only */
      if (self->uicc_keys != NULL)
        mbms_uicc_keys_set_muk (self->uicc_keys, keys->muk_idi, keys->muk_idr);
      return;
    }
  /* TS 33.246 6.1: a MUK from a new GBA run becomes the last generated one in MGV-S */
  if (mgv_store_get_muk_ids (self->store, FALSE, &idi, &idr) && g_strcmp0 (idi, keys->muk_idi) == 0
      && g_strcmp0 (idr, keys->muk_idr) == 0)
    return;
  if (!mgv_store_install_muk (self->store, keys->muk_idi, keys->muk_idr, keys->muk, &error))
    g_warning ("cannot keep the MUK for %s: %s", fqdn, error->message);
  else
    g_message ("new MUK for BM-SC %s (B-TID %s)", keys->muk_idi, keys->muk_idr);
}

static void
on_bootstrapped (MbmsKeymgmt *km, GbaContext *context, gpointer data)
{
  MbmsManager *self = data;

  mbms_dbus_manager_set_bootstrap_state (self->iface, "bootstrapped");
  mbms_dbus_manager_set_bootstrap_transaction_id (self->iface, context->btid);
  mbms_dbus_manager_set_bootstrap_expiry (self->iface, g_date_time_to_unix (context->lifetime) * G_USEC_PER_SEC + g_date_time_get_microsecond (context->lifetime));
  g_message ("bootstrapped: B-TID %s", context->btid);
  mbms_lifetime_set (self->lifetime, context->lifetime);
}

/* TS 33.220 4.5.2: past the key lifetime the B-TID is of no use; MbmsKeymgmt bootstraps again
 * before the next procedure. */
static void
on_lifetime_over (gpointer data)
{
  MbmsManager *self = data;

  g_message ("bootstrapped keys of B-TID %s expired; the next key management procedure bootstraps again",
             mbms_dbus_manager_get_bootstrap_transaction_id (self->iface));
  mbms_dbus_manager_set_bootstrap_state (self->iface, "expired");
}

static MbmsService *
service_for_group (MbmsManager *self, const guint8 domain[3], guint16 group, gboolean registered_only)
{
  for (guint i = 0; i < self->services->len; i++)
    {
      MbmsService *s = g_ptr_array_index (self->services, i);
      if (mbms_service_uses_key_group (s, domain, group) && (!registered_only || mbms_service_is_registered (s)))
        return s;
    }
  return NULL;
}

/* 6.3.2.2.3: traffic names an MSK we lack; ask for the group's current one, at most once per
 * [mikey] msk-request-interval counted from the last request sent for the group (the traffic
 * is unauthenticated: what arrives never shortens the wait), with the USD's back-off. */
static void
request_missing_msk (MbmsManager *self, const guint8 domain[3], guint16 group)
{
  MbmsService *s = service_for_group (self, domain, group, TRUE);

  if (s == NULL)
    return;
  if (!mbms_msk_requests_may_trigger (self->msk_requests, domain, group))
    {
      g_debug ("no MSK request for key group %02x%02x%02x/%u: one was sent less than %u s ago or is pending",
               domain[0], domain[1], domain[2], group, self->config->msk_request_interval_s);
      return;
    }
  mbms_service_request_keys (s, domain, group, TRUE);
}

/* SRTP traffic of a service names msk_id: without that MSK in MGV-S, an MSK request
 * (6.3.2.2.3); with it, the MTK message is on its way. */
static void
on_msk_missing (MbmsService *service, const guint8 *domain, guint32 msk_id, gpointer data)
{
  MbmsManager *self = data;
  g_autoptr(GArray) msks = self->uicc_keys != NULL ? mbms_uicc_msks_list (mbms_uicc_keys_get_msks (self->uicc_keys))
                                                   : mgv_store_list_msks (self->store);

  for (guint i = 0; i < msks->len; i++)
    {
      MgvMskInfo *m = &g_array_index (msks, MgvMskInfo, i);
      if (m->msk_id == msk_id && memcmp (m->domain, domain, 3) == 0)
        return; /* the MTK message is on its way */
    }
  request_missing_msk (self, domain, MGV_MSK_KEY_GROUP (msk_id));
}

/* What MGV-F's refusal means for the receiver's budgets and counters. */
static MbmsMikeyVerdict
verdict_of (const GError *error)
{
  if (error->domain != MGV_ERROR)
    return MBMS_MIKEY_MALFORMED; /* the MIKEY codec's */
  switch ((MgvError) error->code)
    {
    case MGV_ERROR_UNKNOWN_KEY:
      return MBMS_MIKEY_UNKNOWN_KEY;
    case MGV_ERROR_REPLAY:
    case MGV_ERROR_STALE:
      return MBMS_MIKEY_REPLAY;
    case MGV_ERROR_AUTH:
      return MBMS_MIKEY_NOT_AUTHENTICATED;
    case MGV_ERROR_STORAGE:
      return MBMS_MIKEY_IGNORED; /* ours, not the sender's */
    default:
      return MBMS_MIKEY_MALFORMED;
    }
}

/* An MSK message MGV-F (in the ME or on the card) accepted: the services using the group hear
 * of the MSK; a pull (6.3.2.2.4 / 6.3.2.3.1) requests the group's current MSK, no back-off. */
static void
msk_accepted (const guint8 domain[3], guint32 msk_id, gboolean pull, gpointer data)
{
  MbmsManager *self = data;
  guint16 group = MGV_MSK_KEY_GROUP (msk_id);

  if (pull)
    {
      MbmsService *s = service_for_group (self, domain, group, TRUE);
      if (s != NULL)
        mbms_service_request_keys (s, domain, group, FALSE);
      return;
    }
  for (guint i = 0; i < self->services->len; i++)
    {
      MbmsService *s = g_ptr_array_index (self->services, i);
      if (mbms_service_uses_key_group (s, domain, group))
        mbms_service_msk_updated (s, domain, msk_id, 0, 0);
    }
}

static MbmsMikeyVerdict
handle_msk (MbmsManager *self, GBytes *datagram, GSocketAddress *source)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvMskResult) r = mgv_process_msk (self->store, datagram, &error);

  if (r == NULL)
    {
      g_debug ("MIKEY MSK message dropped: %s", error->message);
      return verdict_of (error);
    }
  if (r->not_saved != NULL)
    g_warning ("MSK 0x%08x is kept in memory for this session only: %s", r->msk_id, r->not_saved->message);
  if (r->verification != NULL && !mbms_mikey_receiver_reply (self->receiver, source, r->verification, &error))
    g_warning ("cannot send the MIKEY verification message: %s", error->message);
  if (r->outcome == MGV_MSK_STORED || r->outcome == MGV_MSK_KV_UPDATED)
    g_message ("MSK 0x%08x %s", r->msk_id, r->outcome == MGV_MSK_STORED ? "stored" : "validity updated");
  else
    g_message ("BM-SC asks us to fetch the MSKs of key group %u", MGV_MSK_KEY_GROUP (r->msk_id));
  msk_accepted (r->domain, r->msk_id, r->outcome == MGV_MSK_PULL || r->outcome == MGV_MSK_PULL_OLD_MUK, self);
  return MBMS_MIKEY_ACCEPTED;
}

/* MTK messages of a key group refused by MGV-F (6.4.6.2, 6.5.4): after [mikey] stale-after in
 * a row the group's MSK is asked for again (spaced as every traffic-triggered request), after
 * [mikey] reregister-after the service registers again with a new bootstrap (a BM-SC that
 * restarted reuses MTK IDs and counters; see docs/interpretations.md). */
static gboolean
on_rebootstrap_quiet_over (gpointer data)
{
  MbmsManager *self = data;

  self->rebootstrap_quiet = 0;
  return G_SOURCE_REMOVE;
}

/* The GBA run is the daemon's, not a service's: one per [mikey] reregister-interval for all
 * recoveries together, so forged MTK messages naming many services cannot make mbmsd ask the
 * BSF once for each. Services recovering meanwhile register under the context that run gave
 * (or share it while it runs). */
static void
recover (MbmsManager *self, MbmsService *service)
{
  gboolean new_bootstrap = self->rebootstrap_quiet == 0;

  if (mbms_service_recover (service, new_bootstrap) && new_bootstrap)
    self->rebootstrap_quiet = mbms_clock_add_timeout (self->context.clock,
                                                      self->config->reregister_interval_s * 1000,
                                                      on_rebootstrap_quiet_over, self);
}

static void
mtk_refused (MbmsManager *self, const char *destination, const MikeyKeyIds *ids, gboolean replay)
{
  guint16 group = MGV_MSK_KEY_GROUP (ids->msk_id);

  for (guint i = 0; i < self->services->len; i++)
    {
      MbmsService *s = g_ptr_array_index (self->services, i);
      guint refused = mbms_service_mtk_refused (s, destination, ids->domain, group, replay);

      if (refused >= self->config->reregister_after)
        recover (self, s);
      else if (refused >= self->config->stale_after && mbms_msk_requests_may_trigger (self->msk_requests, ids->domain, group))
        mbms_service_request_keys (s, ids->domain, group, TRUE);
    }
}

/* Packets of a session arrive and none decrypts: the group's MSK again (spaced). */
static void
on_keys_stale (MbmsService *service, const guint8 *domain, guint group, gpointer data)
{
  MbmsManager *self = data;

  if (mbms_msk_requests_may_trigger (self->msk_requests, domain, (guint16) group))
    mbms_service_request_keys (service, domain, (gint) group, TRUE);
}

static MbmsMikeyVerdict
handle_mtk (MbmsManager *self, GBytes *datagram, const char *destination, const MikeyKeyIds *ids)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *session = g_strdup_printf ("%s/%u", destination, MGV_MSK_KEY_GROUP (ids->msk_id));
  g_autoptr(MgvMtk) mtk = mgv_process_mtk (self->store, session, datagram, &error);

  if (mtk == NULL)
    {
      g_debug ("MIKEY MTK message dropped: %s", error->message);
      if (g_error_matches (error, MGV_ERROR, MGV_ERROR_UNKNOWN_KEY))
        request_missing_msk (self, ids->domain, MGV_MSK_KEY_GROUP (ids->msk_id));
      else if (error->domain == MGV_ERROR
               && (error->code == MGV_ERROR_REPLAY || error->code == MGV_ERROR_STALE || error->code == MGV_ERROR_AUTH))
        mtk_refused (self, destination, ids, error->code != MGV_ERROR_AUTH);
      return verdict_of (error);
    }
  g_debug ("MTK %u of MSK 0x%08x on %s", mtk->mtk_id, mtk->msk_id, destination);
  for (guint i = 0; i < self->services->len; i++)
    mbms_service_mtk_received (g_ptr_array_index (self->services, i), destination, mtk);
  /* the key is in use; MGV-S follows without holding up the packets (fsync takes a while) */
  mgv_store_save_in_background (self->store);
  /* a copy of the current MTK message proves nothing about who sent it (hostile review M2) */
  return mtk->copy ? MBMS_MIKEY_ACCEPTED_COPY : MBMS_MIKEY_ACCEPTED;
}

/* UICC key management: the card wants an MSK request for the group (spaced); one that lacks
 * the BM-SC's Ks_int_NAF gets it from a new NAF derivation with that request (6.1). */
static void
uicc_msk_wanted (const guint8 domain[3], guint16 group, const char *muk_missing, gpointer data)
{
  MbmsManager *self = data;

  if (muk_missing != NULL)
    mbms_keymgmt_forget_naf_keys (self->keymgmt, muk_missing);
  request_missing_msk (self, domain, group);
}

/* UICC key management: the card has no room for the group's MSK: what no service uses goes,
 * and the MSK is asked for again (spaced) once there is room. */
static void
uicc_card_full (const guint8 domain[3], guint16 group, gpointer data)
{
  MbmsManager *self = data;
  guint n = mbms_uicc_cleanup_free_space (self->uicc_keys, self->services);

  g_message ("the card is full: MSKs of %u key groups no service uses deleted", n);
  if (n > 0)
    request_missing_msk (self, domain, group);
}

/* UICC key management: the card's MTK generation, handled as MGV-F's in the ME (handle_mtk). */
static void
uicc_mtk_done (const char *destination, const MikeyKeyIds *ids, const MgvMtk *mtk, const GError *error, gpointer data)
{
  MbmsManager *self = data;

  if (mtk != NULL)
    {
      for (guint i = 0; i < self->services->len; i++)
        mbms_service_mtk_received (g_ptr_array_index (self->services, i), destination, mtk);
      return;
    }
  if (g_error_matches (error, GBA_ERROR, GBA_ERROR_CARD_NOT_FOUND))
    {
      for (guint i = 0; i < self->services->len; i++)
        mbms_service_download_key_missing (g_ptr_array_index (self->services, i), destination);
      request_missing_msk (self, ids->domain, MGV_MSK_KEY_GROUP (ids->msk_id));
    }
  else if (g_error_matches (error, GBA_ERROR, GBA_ERROR_CARD_KEY_FRESHNESS)
           || g_error_matches (error, GBA_ERROR, GBA_ERROR_CARD_CONDITIONS)
           || g_error_matches (error, GBA_ERROR, GBA_ERROR_NETWORK_AUTH))
    mtk_refused (self, destination, ids, !g_error_matches (error, GBA_ERROR, GBA_ERROR_NETWORK_AUTH));
}

static void counters_soon (MbmsManager *self);

static MbmsMikeyVerdict
on_datagram (GBytes *datagram, GSocketAddress *source, const char *destination, gpointer data)
{
  MbmsManager *self = data;
  g_autoptr(MikeyMessage) msg = mikey_message_parse (datagram, NULL);

  counters_soon (self);
  if (msg == NULL || !msg->has_key_ids)
    {
      g_debug ("MIKEY datagram of %zu octets is not an MBMS message", g_bytes_get_size (datagram));
      return MBMS_MIKEY_MALFORMED;
    }
  if (self->uicc_keys != NULL)
    return mbms_uicc_keys_submit (self->uicc_keys, datagram, msg, source, destination); /* Annex D */
  if (msg->key_ids.has_mtk_id)
    return destination != NULL ? handle_mtk (self, datagram, destination, &msg->key_ids) : MBMS_MIKEY_IGNORED;
  return handle_msk (self, datagram, source);
}

/* Drops of the push socket on the Manager, of the session sockets on each Session. */
static gboolean
update_counters (gpointer data)
{
  MbmsManager *self = data;
  MbmsMikeyCounters c;
  GVariantBuilder b;

  if (self->receiver == NULL) /* no card yet: no sockets */
    return G_SOURCE_CONTINUE;
  c = mbms_mikey_receiver_get_counters (self->receiver, NULL);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{st}"));
  mbms_mikey_counters_add_drops (&c, &b);
  mbms_dbus_manager_set_drop_counters (self->iface, g_variant_builder_end (&b));
  for (guint i = 0; i < self->services->len; i++)
    mbms_service_update_counters (g_ptr_array_index (self->services, i));
  return G_SOURCE_CONTINUE;
}

static gboolean
update_counters_once (gpointer data)
{
  MbmsManager *self = data;

  self->counters_timer = 0;
  self->counters_updated_us = g_get_monotonic_time ();
  update_counters (self);
  return G_SOURCE_REMOVE;
}

/* The counters follow MIKEY traffic, at most once a second, not a periodic timer: an idle
 * mbmsd never wakes for nothing (issue 15), and traffic a second apart updates them at once,
 * without a timer; streaming services refresh their own. */
static void
counters_soon (MbmsManager *self)
{
  gint64 now = g_get_monotonic_time ();

  if (self->counters_timer != 0)
    return;
  if (now - self->counters_updated_us >= G_USEC_PER_SEC)
    {
      self->counters_updated_us = now;
      update_counters (self);
    }
  else
    self->counters_timer = g_timeout_add_seconds (1, update_counters_once, self);
}

/* UICC key management, the user's deregistration: the card's keys of the service go
 * (mbms-uicc-cleanup.h); with the MUK goes Ks of that B-TID, so the next procedure bootstraps
 * again. */
static void
on_deregistered (MbmsService *service, gboolean keep_intent, gpointer data)
{
  MbmsManager *self = data;

  if (self->uicc_keys == NULL || keep_intent
      || !mbms_uicc_cleanup_after_deregistration (self->uicc_keys, self->services, service,
                                                  mbms_keymgmt_get_context (self->keymgmt)))
    return;
  mbms_keymgmt_forget_context (self->keymgmt);
  mbms_lifetime_free (self->lifetime);
  self->lifetime = mbms_lifetime_new (mbms_clock_get_system (), on_lifetime_over, self);
  mbms_dbus_manager_set_bootstrap_state (self->iface, "none");
  mbms_dbus_manager_set_bootstrap_transaction_id (self->iface, "");
  mbms_dbus_manager_set_bootstrap_expiry (self->iface, 0);
}

/* ---------------------------------------------------------------- services */

static void
update_services_property (MbmsManager *self)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();

  for (guint i = 0; i < self->services->len; i++)
    g_ptr_array_add (paths, (gpointer) mbms_service_get_path (g_ptr_array_index (self->services, i)));
  g_ptr_array_add (paths, NULL);
  mbms_dbus_manager_set_services (self->iface, (const char *const *) paths->pdata);
}

static MbmsService *
find_service (MbmsManager *self, const char *service_id)
{
  for (guint i = 0; i < self->services->len; i++)
    if (g_strcmp0 (mbms_service_get_id (g_ptr_array_index (self->services, i)), service_id) == 0)
      return g_ptr_array_index (self->services, i);
  return NULL;
}

/* TS 26.346 11.2: serviceId identifies one user service; a bundle naming one twice cannot
 * say which of its descriptions holds. */
static gboolean
check_unique_ids (GPtrArray *descs, GError **error)
{
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < descs->len; i++)
    {
      MbmsUserService *d = g_ptr_array_index (descs, i);
      if (!g_hash_table_add (ids, d->service_id))
        {
          g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_PARSE,
                       "serviceId %s is described twice in the bundle (TS 26.346 11.2)", d->service_id);
          return FALSE;
        }
    }
  return TRUE;
}

/* MTK messages come to the groups of the sessions (6.4.6): joined while a service has a
 * session there, left when none has. */
static void
sync_destinations (MbmsManager *self)
{
  g_autoptr(GHashTable) wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter it;
  gpointer k;

  for (guint i = 0; i < self->services->len; i++)
    {
      g_autoptr(GPtrArray) addresses = mbms_service_get_destinations (g_ptr_array_index (self->services, i));
      for (guint j = 0; j < addresses->len; j++)
        g_hash_table_add (wanted, g_strdup (g_ptr_array_index (addresses, j)));
    }
  g_hash_table_iter_init (&it, self->watched);
  while (g_hash_table_iter_next (&it, &k, NULL))
    if (!g_hash_table_contains (wanted, k))
      {
        mbms_mikey_receiver_remove_destination (self->receiver, k);
        g_hash_table_iter_remove (&it);
      }
  g_hash_table_iter_init (&it, wanted);
  while (g_hash_table_iter_next (&it, &k, NULL))
    {
      g_autoptr(GError) error = NULL;

      if (g_hash_table_contains (self->watched, k))
        continue;
      if (!mbms_mikey_receiver_add_destination (self->receiver, k, &error))
        g_warning ("MTK messages for %s will not be received: %s", (const char *) k, error->message);
      else
        g_hash_table_add (self->watched, g_strdup (k));
    }
}

static void
remove_service (MbmsManager *self, MbmsService *s)
{
  g_message ("service %s: its description is gone", mbms_service_get_id (s));
  g_hash_table_remove (self->sources, mbms_service_get_id (s));
  mbms_service_withdraw (s);
  g_ptr_array_remove (self->services, s);
}

/* Applies one description read from path: a new ID gets objects, a known one takes the newer
 * description. Returns the service's object path. */
static const char *
apply_description (MbmsManager *self, const char *path, MbmsUserService *d)
{
  MbmsService *s = find_service (self, d->service_id);

  g_hash_table_replace (self->sources, g_strdup (d->service_id), g_strdup (path));
  if (s == NULL)
    {
      g_autofree char *opath = g_strdup_printf (MBMS_DBUS_PATH "/Service/%u", self->next_service++);
      s = mbms_service_new (&self->context, d, opath, &self->next_session);
      g_signal_connect_object (s, "msk-missing", G_CALLBACK (on_msk_missing), self, 0);
      g_signal_connect_object (s, "keys-stale", G_CALLBACK (on_keys_stale), self, 0);
      g_signal_connect_object (s, "deregistered", G_CALLBACK (on_deregistered), self, 0);
      g_ptr_array_add (self->services, s);
      g_message ("service %s (%s) from %s", mbms_service_get_id (s), d->protected ? "protected" : "unprotected", path);
    }
  else
    {
      g_debug ("service %s: description from %s applied", d->service_id, path);
      mbms_service_update (s, d, &self->next_session);
    }
  return mbms_service_get_path (s);
}

/* The ports of mbmsd's own sockets (issue 13 item 2): the push socket's, then the services'. */
static MbmsSocketPlan *
socket_plan_new (MbmsManager *self)
{
  return mbms_socket_plan_new (self->config->mikey_address, mbms_mikey_receiver_get_port (self->receiver));
}

/* AddServiceDescription: fresh's services, with every other service as it is, must not make
 * two of mbmsd's sockets share a port; refused before anything changes, naming both. */
static gboolean
check_sockets (MbmsManager *self, GPtrArray *fresh, GError **error)
{
  g_autoptr(MbmsSocketPlan) plan = socket_plan_new (self);

  for (guint i = 0; i < self->services->len; i++)
    {
      MbmsService *s = g_ptr_array_index (self->services, i);
      gboolean replaced = FALSE;

      for (guint j = 0; j < fresh->len && !replaced; j++)
        replaced = g_strcmp0 (((MbmsUserService *) g_ptr_array_index (fresh, j))->service_id, mbms_service_get_id (s)) == 0;
      if (!replaced)
        (void) mbms_socket_plan_add_service (plan, mbms_service_get_description (s), NULL);
    }
  for (guint j = 0; j < fresh->len; j++)
    if (!mbms_socket_plan_add_service (plan, g_ptr_array_index (fresh, j), error))
      return FALSE;
  return TRUE;
}

/* Services that no source describes any more are gone. */
static void
remove_unseen (MbmsManager *self, GHashTable *seen)
{
  for (guint i = self->services->len; i-- > 0;)
    {
      MbmsService *s = g_ptr_array_index (self->services, i);

      if (!g_hash_table_contains (seen, mbms_service_get_id (s)))
        remove_service (self, s);
    }
}

static GPtrArray *
parse_bundle (const char *path, GError **error)
{
  g_autoptr(GPtrArray) descs = mbms_usd_parse_file (path, error);

  if (descs == NULL || !check_unique_ids (descs, error))
    return NULL;
  return g_steal_pointer (&descs);
}

typedef struct {
  MbmsUserService *desc;
  const char      *path; /* borrowed from the list of sources */
} Found;

static void
found_free (Found *f)
{
  mbms_user_service_free (f->desc);
  g_free (f);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* Every source again, the directory's bundles in name order, then those added over D-Bus in
 * the order they came (fresh_path, parsed already as fresh, last: the newest); a later one
 * wins for an ID two describe (docs/interpretations.md). A bundle that does not parse leaves
 * its services as they were (TS 26.346 11.1.2: the expired version may be kept until a valid
 * newer one arrives); a bundle that is gone takes its services along, unless another source
 * still describes them. Returns the object paths of fresh's services. */
static GPtrArray *
read_sources (MbmsManager *self, const char *fresh_path, GPtrArray *fresh, GError **error)
{
  g_autoptr(GError) dir_error = NULL;
  g_autoptr(GDir) dir = g_dir_open (self->config->usd_dir, 0, &dir_error);
  g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) found_free);
  g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) fresh_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(MbmsSocketPlan) plan = NULL;
  GPtrArray *fresh_paths;
  const char *name;
  guint at;

  if (dir == NULL && fresh == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&dir_error));
      return NULL;
    }
  /* a directory that cannot be read now (unmounted, permissions) takes nothing away */
  for (guint i = 0; dir == NULL && i < self->services->len; i++)
    {
      const char *id = mbms_service_get_id (g_ptr_array_index (self->services, i));
      if (!g_ptr_array_find_with_equal_func (self->added, g_hash_table_lookup (self->sources, id), g_str_equal, NULL))
        g_hash_table_add (seen, g_strdup (id));
    }
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".usd.xml"))
      g_ptr_array_add (sources, g_build_filename (self->config->usd_dir, name, NULL));
  g_ptr_array_sort (sources, compare_names);
  if (fresh_path != NULL)
    {
      if (g_ptr_array_find_with_equal_func (self->added, fresh_path, g_str_equal, &at))
        g_ptr_array_remove_index (self->added, at);
      g_ptr_array_add (self->added, g_strdup (fresh_path));
    }
  for (guint i = 0; i < self->added->len; i++)
    {
      const char *path = g_ptr_array_index (self->added, i);
      if (g_ptr_array_find_with_equal_func (sources, path, g_str_equal, &at))
        g_ptr_array_remove_index (sources, at);
      g_ptr_array_add (sources, g_strdup (path));
    }
  /* the description of each ID that holds: the last source's; then each applied once */
  for (guint i = 0; i < sources->len; i++)
    {
      const char *path = g_ptr_array_index (sources, i);
      g_autoptr(GError) local = NULL;
      g_autoptr(GPtrArray) descs = g_strcmp0 (path, fresh_path) == 0 ? g_ptr_array_ref (fresh)
                                                                      : parse_bundle (path, &local);
      if (descs != NULL)
        {
          while (descs->len > 0)
            {
              MbmsUserService *d = g_ptr_array_steal_index (descs, 0);
              Found *f = g_hash_table_lookup (found, d->service_id);

              if (f == NULL)
                {
                  f = g_new0 (Found, 1);
                  g_hash_table_insert (found, g_strdup (d->service_id), f);
                  g_ptr_array_add (order, g_strdup (d->service_id));
                }
              g_clear_pointer (&f->desc, mbms_user_service_free);
              f->desc = d;
              f->path = path;
              if (g_strcmp0 (path, fresh_path) == 0)
                g_ptr_array_add (fresh_ids, g_strdup (d->service_id));
            }
          continue;
        }
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          if (g_ptr_array_find_with_equal_func (self->added, path, g_str_equal, &at))
            g_ptr_array_remove_index (self->added, at);
          continue;
        }
      g_warning ("%s: %s", path, local->message);
      for (guint j = 0; j < self->services->len; j++)
        {
          const char *id = mbms_service_get_id (g_ptr_array_index (self->services, j));
          if (g_strcmp0 (g_hash_table_lookup (self->sources, id), path) == 0)
            g_hash_table_add (seen, g_strdup (id));
        }
    }
  plan = socket_plan_new (self);
  for (guint i = 0; i < order->len; i++)
    {
      const char *id = g_ptr_array_index (order, i);
      Found *f = g_hash_table_lookup (found, id);
      MbmsService *s = find_service (self, id);
      g_autoptr(GError) refused = NULL;

      g_hash_table_add (seen, g_strdup (id));
      /* two of our sockets on one port: this description is refused, the service stays as it was */
      if (!mbms_socket_plan_add_service (plan, f->desc, &refused))
        {
          g_warning ("service %s from %s refused: %s", id, f->path, refused->message);
          if (s != NULL)
            (void) mbms_socket_plan_add_service (plan, mbms_service_get_description (s), NULL);
          else
            g_hash_table_remove (seen, id);
          continue;
        }
      apply_description (self, f->path, g_steal_pointer (&f->desc));
    }
  fresh_paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < fresh_ids->len; i++)
    {
      MbmsService *s = find_service (self, g_ptr_array_index (fresh_ids, i));
      if (s != NULL)
        g_ptr_array_add (fresh_paths, g_strdup (mbms_service_get_path (s)));
    }
  remove_unseen (self, seen);
  sync_destinations (self);
  update_services_property (self);
  return fresh_paths;
}

/* AddServiceDescription: a bundle that parses joins the sources as the newest. */
static GPtrArray *
add_bundle (MbmsManager *self, const char *path, GError **error)
{
  g_autoptr(GPtrArray) descs = NULL;

  if (self->added->len >= MAX_ADDED_BUNDLES
      && !g_ptr_array_find_with_equal_func (self->added, path, g_str_equal, NULL))
    {
      g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_LIMIT, "%u bundles were added already; put them in the "
                   "service description directory instead", MAX_ADDED_BUNDLES);
      return NULL;
    }
  descs = parse_bundle (path, error);
  if (descs == NULL || !check_sockets (self, descs, error))
    return NULL;
  return read_sources (self, path, descs, error);
}

/* SIGHUP / Rescan */
gboolean
mbms_manager_rescan (MbmsManager *self, GError **error)
{
  g_autoptr(GPtrArray) none = NULL;

  if (self->card_id == NULL)
    return TRUE; /* the services come with the card */
  none = read_sources (self, NULL, NULL, error);
  return none != NULL;
}

static void
add_description_authorized (GDBusMethodInvocation *inv, gpointer data)
{
  MbmsManager *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  const char *path;

  g_variant_get (g_dbus_method_invocation_get_parameters (inv), "(&s)", &path);
  if (self->card_id == NULL)
    {
      g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_FAILED,
                                             "no usable card (%s): services come when it is ready",
                                             mbms_dbus_manager_get_card_state (self->iface));
      return;
    }
  paths = add_bundle (self, path, &error);
  if (paths == NULL)
    {
      g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_INVALID_DESCRIPTION, "%s: %s", path,
                                             error->message);
      return;
    }
  g_ptr_array_add (paths, NULL);
  mbms_dbus_manager_complete_add_service_description (self->iface, inv, (const char *const *) paths->pdata);
}

/* Checked before anything else (authorisation included), so that neither the work nor the
 * reply grows with what a caller sends: a path longer than any the kernel opens is refused,
 * and the reply quotes only its start. */
static gboolean
check_path_argument (GDBusMethodInvocation *inv, const char *path)
{
  gsize len = strlen (path);
  g_autofree char *quoted = NULL;

  if (len > 0 && len <= MBMS_PATH_ARG_MAX && g_path_is_absolute (path))
    return TRUE;
  quoted = g_utf8_substring (path, 0, MIN ((glong) len, MBMS_QUOTE_MAX)); /* D-Bus strings are UTF-8 */
  g_dbus_method_invocation_return_error (inv, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                         "path of %zu octets (\"%s%s\"): an absolute path of at most %d octets, "
                                         "please", len, quoted, strlen (quoted) < len ? "..." : "", MBMS_PATH_ARG_MAX);
  return FALSE;
}

static gboolean
on_add_description (MbmsDBusManager *iface, GDBusMethodInvocation *inv, const char *path, gpointer data)
{
  MbmsManager *self = data;

  if (!check_path_argument (inv, path))
    return G_DBUS_METHOD_INVOCATION_HANDLED;

  mbms_authorizer_authorize (self->authorizer, inv, MBMS_AUTH_CONTROL, add_description_authorized,
                             g_object_ref (self), g_object_unref);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
rescan_authorized (GDBusMethodInvocation *inv, gpointer data)
{
  MbmsManager *self = data;
  g_autoptr(GError) error = NULL;

  if (!mbms_manager_rescan (self, &error))
    g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_FAILED, "%s", error->message);
  else
    mbms_dbus_manager_complete_rescan (self->iface, inv);
}

static gboolean
on_rescan (MbmsDBusManager *iface, GDBusMethodInvocation *inv, gpointer data)
{
  MbmsManager *self = data;

  mbms_authorizer_authorize (self->authorizer, inv, MBMS_AUTH_CONTROL, rescan_authorized, g_object_ref (self),
                             g_object_unref);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---------------------------------------------------------------- life */

static char *
card_identity (GbaUicc *uicc, GError **error)
{
  g_autoptr(GbaUiccIdentity) id = gba_uicc_read_identity (uicc, NULL, error);

  return id != NULL ? g_strdup_printf ("%s/%s", id->iccid ? id->iccid : "", id->imsi) : NULL;
}

/* The state directory holds keys: ours alone, mode 0700 however it was found (mbmsd.8). */
static gboolean
open_state_dir (const char *path, GError **error)
{
  guint old_mode = 0;

  if (!mbms_fileio_private_dir (path, &old_mode, error))
    return FALSE;
  if (old_mode != 0700)
    g_message ("state directory %s had mode %04o; set to 0700", path, old_mode);
  return TRUE;
}

/* A damaged MGV-S is set aside and mbmsd starts empty: the keys come again from the BM-SC
 * as the kept registrations are restored (docs/interpretations.md). */
static MgvStore *
open_store (const char *path, const char *card, gboolean *wiped, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *moved_to = NULL;
  g_autofree char *lost = NULL;
  MgvStore *store = mgv_store_open (path, card, wiped, &local);

  if (store != NULL || !g_error_matches (local, MGV_ERROR, MGV_ERROR_CORRUPT))
    {
      if (local != NULL)
        g_propagate_error (error, g_steal_pointer (&local));
      return store;
    }
  if (!mgv_store_set_aside (path, &moved_to, &lost, error))
    {
      g_prefix_error (error, "%s; ", local->message);
      return NULL;
    }
  g_warning ("%s: moved to %s and starting with no keys; lost: %s. The keys are fetched again from the BM-SC",
             local->message, moved_to, lost);
  return mgv_store_open (path, card, wiped, error);
}

static void start_services (MbmsManager *self);

static void
show_card (MbmsManager *self, const char *state)
{
  g_autoptr(GbaUiccIdentity) id = NULL;
  g_auto(GStrv) services = NULL;
  g_autofree char *iccid = NULL;

  if (g_strcmp0 (state, "ready") == 0 && (id = gba_uicc_read_identity (self->uicc, NULL, NULL)) != NULL)
    iccid = mbms_card_masked_iccid (id->iccid);
  services = mbms_card_services (gba_uicc_get_capabilities (self->uicc));
  mbms_dbus_manager_set_card_state (self->iface, state);
  mbms_dbus_manager_set_card_iccid (self->iface, iccid != NULL ? iccid : "");
  mbms_dbus_manager_set_card_services (self->iface, (const char *const *) services);
}

/* What needs the card's identity: GBA, MGV-S and the registrations bound to the card,
 * MIKEY reception. Blocking on a real card (its thread reads the USIM). */
static gboolean
attach_card (MbmsManager *self, GError **error)
{
  MbmsConfig *config = self->config;
  g_autoptr(GbaUiccIdentity) id = NULL;
  g_autofree char *card = NULL;
  g_autofree char *store_path = NULL;
  g_autofree char *reg_path = NULL;
  g_autofree char *bsf = NULL;
  gboolean wiped = FALSE, reg_wiped = FALSE;
  const char *km;

  if ((card = card_identity (self->uicc, error)) == NULL)
    return FALSE;
  id = gba_uicc_read_identity (self->uicc, NULL, error);
  if (id == NULL)
    return FALSE;
  bsf = config->bsf_uri ? g_strdup (config->bsf_uri) : NULL;
  if (bsf == NULL)
    {
      g_autofree char *host = gba_bsf_host_from_imsi (id->imsi, id->mnc_len, error);
      if (host == NULL)
        return FALSE;
      bsf = g_strdup_printf ("http://%s/", host);
    }
  self->bootstrapper = gba_bootstrapper_new (self->uicc, bsf, config->http_timeout_s);
  /* TS 33.220 5.2.1/5.3: GBA_U with a GBA-aware card unless [gba] gba-u = false */
  gba_bootstrapper_set_gba_u (self->bootstrapper, config->gba_u);
  self->keymgmt = mbms_keymgmt_new (self->bootstrapper, NULL, config->http_timeout_s);
  g_signal_connect (self->keymgmt, "muk-ready", G_CALLBACK (on_muk_ready), self);
  g_signal_connect (self->keymgmt, "bootstrapped", G_CALLBACK (on_bootstrapped), self);
  store_path = g_build_filename (config->state_dir, "keys.mgv", NULL);
  self->store = open_store (store_path, card, &wiped, error);
  if (self->store == NULL)
    return FALSE;
  mgv_store_set_deferred_mtk_saves (self->store, TRUE); /* saved after the bridge has the key */
  reg_path = g_build_filename (config->state_dir, "registrations", NULL);
  self->registrations = mbms_registrations_open (reg_path, card, &reg_wiped, error);
  if (self->registrations == NULL)
    return FALSE;
  if (wiped || reg_wiped)
    g_message ("a different card (IMSI %s): every stored MBMS key and registration was deleted", id->imsi);
  else if (self->card_missing_seen && !mgv_store_forget_muks (self->store, error))
    return FALSE; /* mbmsd started without the card: its MUKs go (TS 33.220 4.4.11 condition 3) */
  self->receiver = mbms_mikey_receiver_new (config->mikey_address, config->mikey_port, config->multicast_interface,
                                            config->mikey_rate_per_s, on_datagram, self, error);
  if (self->receiver == NULL)
    return FALSE;
  km = mbms_km_mode_of_card (gba_uicc_get_capabilities (self->uicc), config->gba_u);
  if (g_strcmp0 (km, MBMS_KM_UICC) == 0)
    {
      static const MbmsUiccKeysFuncs funcs = { msk_accepted, uicc_msk_wanted, uicc_card_full, uicc_mtk_done };
      self->uicc_keys = mbms_uicc_keys_new (self->uicc, self->receiver, &funcs, self);
      g_message ("UICC key management: MSK and MTK messages go to the card (TS 33.246 Annex D)");
    }
  mbms_dbus_manager_set_key_management (self->iface, km);
  self->context = (MbmsContext) { .config = self->config, .clock = mbms_clock_get_system (), .store = self->store,
                                  .keymgmt = self->keymgmt, .registrations = self->registrations,
                                  .objects = self->objects, .authorizer = self->authorizer,
                                  .msk_requests = self->msk_requests, .mikey = self->receiver,
                                  .key_management = km, .uicc_keys = self->uicc_keys };
  self->card_id = g_steal_pointer (&card);
  show_card (self, "ready");
  return TRUE;
}

static void
card_opened (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(MbmsManager) self = data;
  g_autoptr(GError) error = NULL;

  self->card_opening = FALSE;
  if (!g_task_propagate_boolean (G_TASK (res), &error))
    {
      if (g_error_matches (error, GBA_ERROR, GBA_ERROR_CARD_ABSENT))
        self->card_missing_seen = TRUE;
      show_card (self, mbms_card_state_for_error (error));
      g_debug ("card not usable yet: %s", error->message);
      return;
    }
  if (self->card_id == NULL)
    {
      if (!attach_card (self, &error))
        {
          g_warning ("card: %s", error->message);
          show_card (self, "error");
          return;
        }
      g_message ("card ready: starting the services");
      if (self->connection != NULL)
        start_services (self);
      return;
    }
  {
    g_autofree char *now = card_identity (self->uicc, NULL);
    if (g_strcmp0 (now, self->card_id) != 0)
      {
        /* MGV-S and the registrations are bound to the card they were made with: a restart
         * opens them for the new card, which wipes the old card's keys (TS 33.246 6.4.6) */
        g_message ("another card was inserted: restarting to bind the keys to it");
        g_signal_emit (self, manager_signals[SIGNAL_CARD_CHANGED], 0);
        return;
      }
  }
  show_card (self, "ready");
  for (guint i = 0; i < self->services->len; i++)
    mbms_service_set_card_absent (g_ptr_array_index (self->services, i), FALSE);
}

static void
open_card_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (gba_uicc_card_open (GBA_UICC_CARD (source), cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Opens the card off the main loop and attaches it (first time) or checks it is the same. */
static void
open_card_async (MbmsManager *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->card_opening || !GBA_IS_UICC_CARD (self->uicc))
    return;
  self->card_opening = TRUE;
  task = g_task_new (self->uicc, NULL, card_opened, g_object_ref (self));
  g_task_run_in_thread (task, open_card_thread);
}

/* TS 33.220 4.4.11: with the UICC removed (or found missing at power-up) the ME deletes Ks,
 * the NAF-specific keys and what goes with them (NAF_Ids, B-TID, lifetimes). mbmsd keeps Ks
 * in memory (GbaContext, wiped when freed) and the MUK, derived from Ks_(ext)_NAF (TS 33.246
 * 6.1), in MGV-S; the MSKs are not GBA keys and stay. The next key management procedure
 * bootstraps again. */
static void
forget_gba_keys (MbmsManager *self)
{
  g_autoptr(GError) error = NULL;

  if (self->keymgmt != NULL)
    mbms_keymgmt_forget_context (self->keymgmt);
  if (self->store != NULL && !mgv_store_forget_muks (self->store, &error))
    g_warning ("the MUKs could not be deleted from the key store: %s", error->message);
  mbms_lifetime_free (self->lifetime);
  self->lifetime = mbms_lifetime_new (mbms_clock_get_system (), on_lifetime_over, self);
  if (g_strcmp0 (mbms_dbus_manager_get_bootstrap_state (self->iface), "none") != 0)
    g_message ("no card: Ks, B-TID and MUKs deleted (TS 33.220 4.4.11)");
  mbms_dbus_manager_set_bootstrap_state (self->iface, "none");
  mbms_dbus_manager_set_bootstrap_transaction_id (self->iface, "");
  mbms_dbus_manager_set_bootstrap_expiry (self->iface, 0);
}

static void
on_card_presence (GbaUiccCard *card, gboolean present, gpointer data)
{
  MbmsManager *self = data;

  if (!present)
    {
      self->card_missing_seen = TRUE;
      forget_gba_keys (self);
      show_card (self, "absent");
      for (guint i = 0; i < self->services->len; i++)
        mbms_service_set_card_absent (g_ptr_array_index (self->services, i), TRUE);
      return;
    }
  open_card_async (self);
}

/* A card that is there but locked is not an event of the reader: look again now and then. */
static gboolean
card_retry (gpointer data)
{
  MbmsManager *self = data;
  const char *state = mbms_dbus_manager_get_card_state (self->iface);

  if (g_strcmp0 (state, "ready") != 0 && g_strcmp0 (state, "absent") != 0)
    open_card_async (self);
  return G_SOURCE_CONTINUE;
}

MbmsManager *
mbms_manager_new (MbmsConfig *config, GError **error)
{
  g_autoptr(MbmsManager) self = g_object_new (MBMS_TYPE_MANAGER, NULL);
  g_autoptr(GError) card_error = NULL;
  static const char *actions[] = { "add-service-description", "rescan", "register", "deregister", "request-keys", NULL };

  self->config = config;
  self->authorizer = mbms_authorizer_new (config->control_group, config->key_group);
  self->msk_requests = mbms_msk_requests_new (mbms_clock_get_system (), config->msk_request_interval_s);
  self->lifetime = mbms_lifetime_new (mbms_clock_get_system (), on_lifetime_over, self);
  if (!open_state_dir (config->state_dir, error))
    return NULL;
  self->uicc = mbms_card_new (config, error);
  if (self->uicc == NULL)
    return NULL;
  self->objects = g_dbus_object_manager_server_new (MBMS_DBUS_PATH);
  self->iface = mbms_dbus_manager_skeleton_new ();
  mbms_dbus_manager_set_version (self->iface, MBMSD_VERSION);
  mbms_dbus_manager_set_key_management (self->iface, "me");
  mbms_dbus_manager_set_bootstrap_state (self->iface, "none");
  mbms_dbus_manager_set_bootstrap_transaction_id (self->iface, "");
  mbms_dbus_manager_set_actions (self->iface, actions);
  mbms_dbus_manager_set_card_backend (self->iface, config->uicc_backend);
  g_signal_connect (self->iface, "handle-add-service-description", G_CALLBACK (on_add_description), self);
  g_signal_connect (self->iface, "handle-rescan", G_CALLBACK (on_rescan), self);
  if (!attach_card (self, &card_error))
    {
      /* a real card may be missing or locked now and fine later: wait for it on D-Bus */
      if (!GBA_IS_UICC_CARD (self->uicc) || (!g_error_matches (card_error, GBA_ERROR, GBA_ERROR_CARD_LOCKED)
                                             && !g_error_matches (card_error, GBA_ERROR, GBA_ERROR_CARD_ABSENT)))
        {
          g_propagate_error (error, g_steal_pointer (&card_error));
          return NULL;
        }
      g_message ("card %s: %s; waiting for it", mbms_card_state_for_error (card_error), card_error->message);
      show_card (self, mbms_card_state_for_error (card_error));
    }
  if (GBA_IS_UICC_CARD (self->uicc))
    {
      g_signal_connect (self->uicc, "presence-changed", G_CALLBACK (on_card_presence), self);
      self->card_retry = g_timeout_add (MAX (config->card_poll_ms, 1000), card_retry, self);
    }
  (void) MBMS_DBUS_ERROR;
  return g_steal_pointer (&self);
}

static void
on_restored (GObject *source, GAsyncResult *res, gpointer data)
{
  MbmsManager *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) statuses = mbms_registrations_restore_finish (self->registrations, res, &error);
  GHashTableIter it;
  gpointer k, v;

  if (statuses == NULL)
    return;
  g_hash_table_iter_init (&it, statuses);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      MbmsService *s = find_service (self, k);
      /* 6.3.2.4: a successful code, e.g. 200 OK */
      if (s != NULL && GPOINTER_TO_UINT (v) / 100 == 2)
        mbms_service_restored (s, mbms_registrations_get_bmsc (self->registrations, k));
      else
        g_message ("service %s: re-registration at start answered %u", (const char *) k, GPOINTER_TO_UINT (v));
    }
  g_object_unref (self);
}

/* 6.3.2.1A: a UE whose address changed registers again, so the BM-SC pushes to the new one. */
static void
on_addresses_changed (gpointer data)
{
  MbmsManager *self = data;

  for (guint i = 0; i < self->services->len; i++)
    mbms_service_reregister (g_ptr_array_index (self->services, i));
}

/* The services, once the card is attached (at start, or when a missing card came). */
static void
start_services (MbmsManager *self)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) kept = mbms_registrations_list (self->registrations);

  if (!mbms_manager_rescan (self, &error))
    g_message ("no service descriptions: %s", error->message);
  self->addresses = mbms_address_watch_new (ADDRESS_SETTLE_MS, on_addresses_changed, self);
  update_counters (self);
  /* 6.3.2.1A: register again at power on what the user registered before, except what this
   * UE may not register (UICC key management required, perhaps since the last start) */
  for (guint i = 0; kept[i] != NULL; i++)
    {
      MbmsService *s = find_service (self, kept[i]);
      if (s != NULL && mbms_service_needs_uicc_key_management (s))
        {
          g_autoptr(GError) local = NULL;
          g_message ("service %s: not registered again at start: it requires UICC key management", kept[i]);
          if (!mbms_registrations_remove (self->registrations, kept[i], &local))
            g_warning ("service %s: %s", kept[i], local->message);
        }
    }
  g_clear_pointer (&kept, g_strfreev);
  kept = mbms_registrations_list (self->registrations);
  if (kept[0] != NULL)
    mbms_registrations_restore_async (self->registrations, self->keymgmt, NULL, on_restored, g_object_ref (self));
}

void
mbms_manager_start (MbmsManager *self, GDBusConnection *connection)
{
  g_autoptr(GError) error = NULL;

  self->connection = g_object_ref (connection);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->iface), connection, MBMS_DBUS_PATH, &error))
    g_warning ("cannot export the manager: %s", error->message);
  g_dbus_object_manager_server_set_connection (self->objects, connection);
  if (self->card_id != NULL)
    start_services (self);
}

static gboolean
shutdown_finished (gpointer data)
{
  MbmsManager *self = data;

  if (self->shutdown_timer != 0)
    g_source_remove (self->shutdown_timer);
  self->shutdown_timer = 0;
  if (self->shutdown_done != NULL)
    {
      GSourceFunc done = self->shutdown_done;
      self->shutdown_done = NULL;
      done (self->shutdown_data);
    }
  return G_SOURCE_REMOVE;
}

static void
on_service_state (GObject *object, GParamSpec *pspec, gpointer data)
{
  MbmsManager *self = data;

  if (self->shutdown_pending > 0 && g_strcmp0 (mbms_dbus_service_get_state (MBMS_DBUS_SERVICE (object)),
                                               "deregistering") != 0)
    {
      g_signal_handlers_disconnect_by_data (object, self);
      if (--self->shutdown_pending == 0)
        shutdown_finished (self);
    }
}

void
mbms_manager_shutdown (MbmsManager *self, GSourceFunc done, gpointer data)
{
  self->shutdown_done = done;
  self->shutdown_data = data;
  for (guint i = 0; i < self->services->len; i++)
    {
      MbmsService *s = g_ptr_array_index (self->services, i);
      g_autoptr(MbmsDBusService) iface = NULL;

      if (!mbms_service_is_registered (s))
        continue;
      /* 6.3.2.1B at power down; the intent stays for the next start (6.3.2.1A) */
      iface = mbms_dbus_object_get_service (MBMS_DBUS_OBJECT (g_dbus_object_manager_get_object (
        G_DBUS_OBJECT_MANAGER (self->objects), mbms_service_get_path (s))));
      g_signal_connect (iface, "notify::state", G_CALLBACK (on_service_state), self);
      self->shutdown_pending++;
      mbms_service_deregister (s, NULL, TRUE);
    }
  if (self->shutdown_pending == 0)
    {
      g_idle_add (shutdown_finished, self);
      return;
    }
  g_message ("deregistering %u services before exit", self->shutdown_pending);
  self->shutdown_timer = g_timeout_add_seconds (self->config->shutdown_timeout_s, shutdown_finished, self);
}
