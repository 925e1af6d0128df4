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
#include "mbms-mikey-receiver.h"
#include "mbms-service.h"

#include <glib/gstdio.h>
#include <string.h>

#define ADDRESS_SETTLE_MS 1000 /* addresses come and go in bursts (DHCP, SLAAC): wait for calm */

struct _MbmsManager {
  GObject                   parent_instance;
  MbmsConfig               *config;
  GbaUicc                  *uicc;
  GbaBootstrapper          *bootstrapper;
  MbmsKeymgmt              *keymgmt;
  MgvStore                 *store;
  MbmsRegistrations        *registrations;
  MbmsMikeyReceiver        *receiver;
  MbmsAddressWatch         *addresses;
  MbmsAuthorizer           *authorizer;
  GDBusObjectManagerServer *objects;
  MbmsContext               context;  /* handed to every service */
  MbmsDBusManager          *iface;
  GDBusConnection          *connection;
  GPtrArray                *services; /* MbmsService */
  MbmsMskRequests          *msk_requests;
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

  g_clear_handle_id (&self->card_retry, g_source_remove);
  if (self->uicc != NULL)
    g_signal_handlers_disconnect_by_data (self->uicc, self);
  g_clear_pointer (&self->addresses, mbms_address_watch_free);
  g_clear_pointer (&self->services, g_ptr_array_unref);
  g_clear_object (&self->objects);
  g_clear_object (&self->iface);
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
}

/* ---------------------------------------------------------------- keys */

static void
on_muk_ready (MbmsKeymgmt *km, const char *fqdn, GbaMbmsKeys *keys, gpointer data)
{
  MbmsManager *self = data;
  g_autofree char *idi = NULL;
  g_autofree char *idr = NULL;
  g_autoptr(GError) error = NULL;

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
  g_autoptr(GArray) msks = mgv_store_list_msks (self->store);

  for (guint i = 0; i < msks->len; i++)
    {
      MgvMskInfo *m = &g_array_index (msks, MgvMskInfo, i);
      if (m->msk_id == msk_id && memcmp (m->domain, domain, 3) == 0)
        return; /* the MTK message is on its way */
    }
  request_missing_msk (self, domain, MGV_MSK_KEY_GROUP (msk_id));
}

static void
handle_msk (MbmsManager *self, GBytes *datagram, GSocketAddress *source)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvMskResult) r = mgv_process_msk (self->store, datagram, &error);

  if (r == NULL)
    {
      g_debug ("MIKEY MSK message dropped: %s", error->message);
      return;
    }
  if (r->verification != NULL && !mbms_mikey_receiver_reply (self->receiver, source, r->verification, &error))
    g_warning ("cannot send the MIKEY verification message: %s", error->message);
  switch (r->outcome)
    {
    case MGV_MSK_STORED:
    case MGV_MSK_KV_UPDATED:
      g_message ("MSK 0x%08x %s", r->msk_id, r->outcome == MGV_MSK_STORED ? "stored" : "validity updated");
      for (guint i = 0; i < self->services->len; i++)
        {
          MbmsService *s = g_ptr_array_index (self->services, i);
          if (mbms_service_uses_key_group (s, r->domain, MGV_MSK_KEY_GROUP (r->msk_id)))
            mbms_service_msk_updated (s, r->domain, r->msk_id, 0, 0);
        }
      break;
    case MGV_MSK_PULL:
    case MGV_MSK_PULL_OLD_MUK:
      /* 6.3.2.2.4 / 6.3.2.3.1: request the current MSK of the group, no back-off */
      g_message ("BM-SC asks us to fetch the MSKs of key group %u", MGV_MSK_KEY_GROUP (r->msk_id));
      {
        MbmsService *s = service_for_group (self, r->domain, MGV_MSK_KEY_GROUP (r->msk_id), TRUE);
        if (s != NULL)
          mbms_service_request_keys (s, r->domain, MGV_MSK_KEY_GROUP (r->msk_id), FALSE);
      }
      break;
    }
}

static void
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
      return;
    }
  g_debug ("MTK %u of MSK 0x%08x on %s", mtk->mtk_id, mtk->msk_id, destination);
  for (guint i = 0; i < self->services->len; i++)
    mbms_service_mtk_received (g_ptr_array_index (self->services, i), destination, mtk);
  /* the key is in use; MGV-S follows without holding up the packets (fsync takes a while) */
  mgv_store_save_in_background (self->store);
}

static void
on_datagram (GBytes *datagram, GSocketAddress *source, const char *destination, gpointer data)
{
  MbmsManager *self = data;
  g_autoptr(MikeyMessage) msg = mikey_message_parse (datagram, NULL);

  if (msg == NULL || !msg->has_key_ids)
    {
      g_debug ("MIKEY datagram of %zu octets is not an MBMS message", g_bytes_get_size (datagram));
      return;
    }
  if (msg->key_ids.has_mtk_id)
    {
      if (destination != NULL)
        handle_mtk (self, datagram, destination, &msg->key_ids);
    }
  else
    handle_msk (self, datagram, source);
}

/* MTK messages come to the multicast groups of the sessions (6.4.6): join each. */
static void
watch_destinations (MbmsManager *self, MbmsService *service)
{
  g_autoptr(GPtrArray) addresses = mbms_service_get_destinations (service);

  for (guint i = 0; i < addresses->len; i++)
    {
      const char *address = g_ptr_array_index (addresses, i);
      g_autoptr(GError) error = NULL;

      if (!mbms_mikey_receiver_add_destination (self->receiver, address, &error))
        g_warning ("MTK messages for %s will not be received: %s", address, error->message);
    }
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

/* Adds the services of a bundle; known service IDs keep their object. */
static GPtrArray *
add_bundle (MbmsManager *self, const char *path, GError **error)
{
  g_autoptr(GPtrArray) descs = mbms_usd_parse_file (path, error);
  GPtrArray *paths;

  if (descs == NULL)
    return NULL;
  paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < descs->len; i++)
    {
      MbmsUserService *d = g_ptr_array_index (descs, i);
      MbmsService *s = find_service (self, d->service_id);

      if (s == NULL)
        {
          g_autofree char *opath = g_strdup_printf (MBMS_DBUS_PATH "/Service/%u", self->next_service++);
          g_ptr_array_steal_index (descs, i--);
          s = mbms_service_new (&self->context, d, opath, &self->next_session);
          g_signal_connect_object (s, "msk-missing", G_CALLBACK (on_msk_missing), self, 0);
          watch_destinations (self, s);
          g_ptr_array_add (self->services, s);
          g_message ("service %s (%s) from %s", mbms_service_get_id (s), d->protected ? "protected" : "unprotected",
                     path);
        }
      g_ptr_array_add (paths, g_strdup (mbms_service_get_path (s)));
    }
  update_services_property (self);
  return paths;
}

gboolean
mbms_manager_rescan (MbmsManager *self, GError **error)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (self->card_id == NULL)
    return TRUE; /* the services come with the card */
  dir = g_dir_open (self->config->usd_dir, 0, error);
  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->config->usd_dir, name, NULL);
      g_autoptr(GError) local = NULL;
      g_autoptr(GPtrArray) added = NULL;

      if (!g_str_has_suffix (name, ".usd.xml"))
        continue;
      added = add_bundle (self, path, &local);
      if (added == NULL)
        g_warning ("%s: %s", path, local->message);
    }
  return TRUE;
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

static gboolean
on_add_description (MbmsDBusManager *iface, GDBusMethodInvocation *inv, const char *path, gpointer data)
{
  MbmsManager *self = data;

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
  self->keymgmt = mbms_keymgmt_new (self->bootstrapper, NULL, config->http_timeout_s);
  g_signal_connect (self->keymgmt, "muk-ready", G_CALLBACK (on_muk_ready), self);
  g_signal_connect (self->keymgmt, "bootstrapped", G_CALLBACK (on_bootstrapped), self);
  store_path = g_build_filename (config->state_dir, "keys.mgv", NULL);
  self->store = mgv_store_open (store_path, card, &wiped, error);
  if (self->store == NULL)
    return FALSE;
  mgv_store_set_deferred_mtk_saves (self->store, TRUE); /* saved after the bridge has the key */
  reg_path = g_build_filename (config->state_dir, "registrations", NULL);
  self->registrations = mbms_registrations_open (reg_path, card, &reg_wiped, error);
  if (self->registrations == NULL)
    return FALSE;
  if (wiped || reg_wiped)
    g_message ("a different card (IMSI %s): every stored MBMS key and registration was deleted", id->imsi);
  self->receiver = mbms_mikey_receiver_new (config->mikey_address, config->mikey_port, config->multicast_interface,
                                            config->mikey_rate_per_s, on_datagram, self, error);
  if (self->receiver == NULL)
    return FALSE;
  self->context = (MbmsContext) { .config = self->config, .clock = mbms_clock_get_system (), .store = self->store,
                                  .keymgmt = self->keymgmt, .registrations = self->registrations,
                                  .objects = self->objects, .authorizer = self->authorizer,
                                  .msk_requests = self->msk_requests };
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

static void
on_card_presence (GbaUiccCard *card, gboolean present, gpointer data)
{
  MbmsManager *self = data;

  if (!present)
    {
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
  if (g_mkdir_with_parents (config->state_dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot create %s", config->state_dir);
      return NULL;
    }
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
  /* 6.3.2.1A: register again at power on what the user registered before, except what this
   * UE may not register (UICC key management required, perhaps since the last start) */
  for (guint i = 0; kept[i] != NULL; i++)
    {
      MbmsService *s = find_service (self, kept[i]);
      if (s != NULL && mbms_service_needs_uicc_key_management (s))
        {
          g_message ("service %s: not registered again at start: it requires UICC key management", kept[i]);
          mbms_registrations_remove (self->registrations, kept[i], NULL);
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
