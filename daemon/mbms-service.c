/* A user service of the daemon: its D-Bus Service and Session objects, its lifecycle
 * (TS 33.246 6.3.2.1A registration, 6.3.2.1B deregistration, 6.3.2.2 MSK requests) and what
 * MIKEY reception tells it (MSKs stored, MTKs current). Every state move is logged at debug
 * level with its reason and shown in the State / StateReason properties. */
#include "mbms-service.h"
#include "mbms-context.h"
#include "mbms-dbus-error.h"
#include "mbms-session.h"
#include "mbms-downloads.h"
#include "mbms-km-mode.h"

#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <string.h>

#define COUNTERS_EVERY_S 1 /* session counters on D-Bus while streaming */

typedef struct {
  MbmsService *self;
  char        *name;     /* unique bus name of a caller that started streaming */
  guint        watch;
  gboolean     loopback; /* StartStreaming: wants the forward port of the playback SDP */
  GArray      *players;  /* StartStreamingToSockets: the guint player IDs (one per session), or NULL */
} Hold;

struct _MbmsService {
  GObject                 parent_instance;
  const MbmsContext      *ctx;      /* borrowed from our owner */
  MbmsUserService        *desc;
  char                   *path;
  MbmsDBusObjectSkeleton *object;
  MbmsDBusService        *iface;
  GPtrArray              *sessions; /* MbmsSession, one per protected RTP session */
  MbmsState               state;
  char                   *bmsc;
  GCancellable           *cancellable;
  GHashTable             *holds;    /* bus name -> Hold: who keeps the stream going */
  char                   *playback_path;
  guint                   counters_timer;
  MbmsDownloads          *downloads; /* its FLUTE sessions and the files they delivered */
  char                   *reason;      /* of the current state */
  gboolean                card_absent; /* shown as unavailable (card-absent) meanwhile */
  guint                   refused_in_row;   /* MTK messages refused since the last accepted one */
  gboolean                withdrawn;        /* no description names it any more */
  guint                   recovery_quiet;   /* running: a re-registration for stale keys was
                                             * made less than [mikey] reregister-interval ago */
};

G_DEFINE_FINAL_TYPE (MbmsService, mbms_service, G_TYPE_OBJECT)

enum { SIGNAL_MSK_MISSING, SIGNAL_KEYS_STALE, SIGNAL_DEREGISTERED, N_SIGNALS };
static guint signals[N_SIGNALS];

const char *
mbms_state_to_string (MbmsState state)
{
  static const char *names[] = { "discovered", "bootstrapping", "registering", "registered",
                                 "keys-ready", "receiving", "deregistering", "failed", "unavailable",
                                 "keys-stale" };

  return state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

static void
set_state (MbmsService *self, MbmsState state, const char *reason)
{
  g_debug ("service %s: %s -> %s (%s)", self->desc->service_id, mbms_state_to_string (self->state),
           mbms_state_to_string (state), reason ? reason : "");
  if (state != self->state
      && (state == MBMS_STATE_REGISTERED || state == MBMS_STATE_FAILED || state == MBMS_STATE_UNAVAILABLE
          || state == MBMS_STATE_KEYS_STALE))
    g_message ("service %s: %s%s%s", self->desc->service_id, mbms_state_to_string (state), reason ? ": " : "",
               reason ? reason : "");
  self->state = state;
  g_free (self->reason);
  self->reason = g_strdup (reason);
  if (self->card_absent)
    return; /* shown when the card is back */
  mbms_dbus_service_set_state (self->iface, mbms_state_to_string (state));
  mbms_dbus_service_set_state_reason (self->iface, reason ? reason : "");
}

void
mbms_service_set_card_absent (MbmsService *self, gboolean absent)
{
  if (self->card_absent == absent)
    return;
  self->card_absent = absent;
  g_message ("service %s: %s", self->desc->service_id, absent ? "unavailable: card-absent" : "the card is back");
  mbms_dbus_service_set_state (self->iface, absent ? "unavailable" : mbms_state_to_string (self->state));
  mbms_dbus_service_set_state_reason (self->iface, absent ? "card-absent" : self->reason ? self->reason : "");
}

static void
mbms_service_dispose (GObject *object)
{
  MbmsService *self = MBMS_SERVICE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->holds, g_hash_table_unref);
  g_clear_handle_id (&self->counters_timer, g_source_remove);
  if (self->recovery_quiet != 0)
    mbms_clock_cancel (self->ctx->clock, self->recovery_quiet);
  self->recovery_quiet = 0;
  if (self->playback_path != NULL)
    g_unlink (self->playback_path);
  g_clear_pointer (&self->playback_path, g_free);
  g_clear_pointer (&self->downloads, mbms_downloads_free);
  g_clear_object (&self->iface);
  g_clear_object (&self->object);
  g_clear_pointer (&self->sessions, g_ptr_array_unref);
  G_OBJECT_CLASS (mbms_service_parent_class)->dispose (object);
}

static void
mbms_service_finalize (GObject *object)
{
  MbmsService *self = MBMS_SERVICE (object);

  mbms_user_service_free (self->desc);
  g_free (self->path);
  g_free (self->bmsc);
  g_free (self->reason);
  G_OBJECT_CLASS (mbms_service_parent_class)->finalize (object);
}

static void
mbms_service_class_init (MbmsServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mbms_service_dispose;
  G_OBJECT_CLASS (klass)->finalize = mbms_service_finalize;
  /* the MSK request is the owner's: it spaces them out per key group over all services */
  signals[SIGNAL_MSK_MISSING] = g_signal_new ("msk-missing", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_UINT);
  signals[SIGNAL_DEREGISTERED] = g_signal_new ("deregistered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                               NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  signals[SIGNAL_KEYS_STALE] = g_signal_new ("keys-stale", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                             NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_UINT);
}

static void
hold_drop_players (Hold *h)
{
  if (h->players == NULL)
    return;
  /* IDs are unique over sessions, and the sessions may have changed with the description */
  for (guint i = 0; i < h->players->len; i++)
    for (guint j = 0; j < h->self->sessions->len; j++)
      mbms_session_remove_player (g_ptr_array_index (h->self->sessions, j), g_array_index (h->players, guint, i));
  g_clear_pointer (&h->players, g_array_unref);
}

static void
hold_free (Hold *h)
{
  if (h->watch != 0)
    g_bus_unwatch_name (h->watch);
  hold_drop_players (h);
  g_free (h->name);
  g_free (h);
}

static void
mbms_service_init (MbmsService *self)
{
  self->cancellable = g_cancellable_new ();
  self->sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) mbms_session_free);
  self->holds = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) hold_free);
}

static char *
domain_hex (const guint8 d[3])
{
  return g_strdup_printf ("%02x%02x%02x", d[0], d[1], d[2]);
}

/* KeyGroups: (domain, group, MSK ID, SEQl, SEQu) from MGV-S. */
static void
update_key_groups (MbmsService *self)
{
  GVariantBuilder b;
  /* UICC key management: the MSK IDs the card holds; their validity is the card's */
  g_autoptr(GArray) msks = self->ctx->uicc_keys != NULL
                             ? mbms_uicc_msks_list (mbms_uicc_keys_get_msks (self->ctx->uicc_keys))
                             : mgv_store_list_msks (self->ctx->store);

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(squuu)"));
  for (guint i = 0; i < self->desc->keys->len; i++)
    {
      MbmsKeyGroup *k = &g_array_index (self->desc->keys, MbmsKeyGroup, i);
      g_autofree char *d = domain_hex (k->domain);
      guint32 msk_id = 0, lo = 0, hi = 0;

      for (guint j = 0; j < msks->len; j++)
        {
          MgvMskInfo *m = &g_array_index (msks, MgvMskInfo, j);
          if (MGV_MSK_KEY_GROUP (m->msk_id) == k->key_group && memcmp (m->domain, k->domain, 3) == 0
              && m->msk_id >= msk_id)
            msk_id = m->msk_id, lo = m->seq_low, hi = m->seq_high;
        }
      g_variant_builder_add (&b, "(squuu)", d, k->key_group, msk_id, lo, hi);
    }
  mbms_dbus_service_set_key_groups (self->iface, g_variant_builder_end (&b));
}

static void
on_session_msk_missing (const guint8 domain[3], guint32 msk_id, gpointer data)
{
  g_signal_emit (data, signals[SIGNAL_MSK_MISSING], 0, domain, msk_id);
}

static gboolean on_register (MbmsDBusService *iface, GDBusMethodInvocation *inv, gpointer data);
static gboolean on_deregister (MbmsDBusService *iface, GDBusMethodInvocation *inv, gpointer data);
static gboolean on_request_keys (MbmsDBusService *iface, GDBusMethodInvocation *inv, gpointer data);
static gboolean on_start_streaming (MbmsDBusService *iface, GDBusMethodInvocation *inv, gpointer data);
static gboolean on_stop_streaming (MbmsDBusService *iface, GDBusMethodInvocation *inv, gpointer data);
static gboolean on_start_streaming_to_sockets (MbmsDBusService *iface, GDBusMethodInvocation *inv, GUnixFDList *fds,
                                               GVariant *options, gpointer data);

#define UICC_KM_REASON "uicc-key-management-required"

/* TS 33.246 6.3.2.1A: with UICC key management required (keyManagement@uiccKeyManagement,
 * default true, TS 26.346 11.3.1) the UE only tries the service with a UICC application
 * capable of MBMS key management: without one (or with GBA_U turned off) such a service is
 * not registered. */
gboolean
mbms_service_needs_uicc_key_management (MbmsService *self)
{
  return mbms_km_mode_of_service (self->ctx->key_management, self->desc->protected,
                                  self->desc->uicc_key_management) == NULL;
}

/* FALSE, with the error a caller sees, when the service needs UICC key management. */
static gboolean
check_key_management (MbmsService *self, GError **error)
{
  if (!mbms_service_needs_uicc_key_management (self))
    return TRUE;
  g_set_error (error, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_NOT_SUPPORTED,
               "%s requires UICC-based key management (uiccKeyManagement, TS 33.246 6.3.2.1A); "
               "the card does not offer it (USIM services n°68 and n°69, with [gba] gba-u)", self->desc->service_id);
  return FALSE;
}

/* KeyManagement: "me", "uicc", or "" (unprotected, or unavailable for want of UICC key management). */
static void
show_key_management (MbmsService *self)
{
  const char *km = mbms_km_mode_of_service (self->ctx->key_management, self->desc->protected,
                                            self->desc->uicc_key_management);

  mbms_dbus_service_set_key_management (self->iface, km != NULL ? km : "");
}

MbmsService *
mbms_service_new (const MbmsContext *ctx, MbmsUserService *desc, const char *path, guint *next_session)
{
  MbmsService *self = g_object_new (MBMS_TYPE_SERVICE, NULL);
  g_autoptr(GPtrArray) session_paths = g_ptr_array_new_with_free_func (g_free);

  self->ctx = ctx;
  self->desc = desc;
  self->path = g_strdup (path);
  self->object = mbms_dbus_object_skeleton_new (path);
  self->iface = mbms_dbus_service_skeleton_new ();
  mbms_dbus_service_set_service_id (self->iface, desc->service_id);
  mbms_dbus_service_set_names (self->iface, (const char *const *) desc->names);
  mbms_dbus_service_set_protected (self->iface, desc->protected);
  mbms_dbus_service_set_key_management_server (self->iface, "");
  show_key_management (self);
  for (guint i = 0; desc->protected && i < desc->sessions->len; i++)
    {
      MbmsRtpSession *r = g_ptr_array_index (desc->sessions, i);
      guint n;
      char *spath;
      if (!r->srtp)
        continue;
      n = (*next_session)++;
      spath = g_strdup_printf (MBMS_DBUS_PATH "/Session/%u", n);
      /* a stable pair of local ports per session: RTP, RTCP */
      g_ptr_array_add (self->sessions,
                       mbms_session_new (ctx, path, r, spath, (guint16) (ctx->config->forward_port_base + 2 * n),
                                         on_session_msk_missing, self));
      g_ptr_array_add (session_paths, spath);
    }
  g_ptr_array_add (session_paths, NULL);
  mbms_dbus_service_set_sessions (self->iface, (const char *const *) session_paths->pdata);
  update_key_groups (self);
  if (mbms_service_needs_uicc_key_management (self))
    set_state (self, MBMS_STATE_UNAVAILABLE, UICC_KM_REASON);
  else
    set_state (self, MBMS_STATE_DISCOVERED, NULL);
  mbms_dbus_service_set_stream_state (self->iface, "stopped");
  mbms_dbus_service_set_playback_uri (self->iface, "");
  mbms_dbus_object_skeleton_set_service (self->object, self->iface);
  g_signal_connect (self->iface, "handle-register", G_CALLBACK (on_register), self);
  g_signal_connect (self->iface, "handle-deregister", G_CALLBACK (on_deregister), self);
  g_signal_connect (self->iface, "handle-request-keys", G_CALLBACK (on_request_keys), self);
  g_signal_connect (self->iface, "handle-start-streaming", G_CALLBACK (on_start_streaming), self);
  g_signal_connect (self->iface, "handle-stop-streaming", G_CALLBACK (on_stop_streaming), self);
  self->downloads = mbms_downloads_new (ctx, desc, self->iface);
  g_signal_connect (self->iface, "handle-start-streaming-to-sockets", G_CALLBACK (on_start_streaming_to_sockets),
                    self);
  g_dbus_object_manager_server_export (ctx->objects, G_DBUS_OBJECT_SKELETON (self->object));
  for (guint i = 0; i < self->sessions->len; i++)
    g_dbus_object_manager_server_export (ctx->objects, mbms_session_get_object (g_ptr_array_index (self->sessions, i)));
  return self;
}

const char *mbms_service_get_id (MbmsService *self) { return self->desc->service_id; }
const char *mbms_service_get_path (MbmsService *self) { return self->path; }
MbmsUserService *mbms_service_get_description (MbmsService *self) { return self->desc; }
MbmsState mbms_service_get_state (MbmsService *self) { return self->state; }
const char *mbms_service_get_bmsc (MbmsService *self) { return self->bmsc; }

GPtrArray *
mbms_service_get_destinations (MbmsService *self)
{
  GPtrArray *addresses = g_ptr_array_new ();

  for (guint i = 0; i < self->sessions->len; i++)
    g_ptr_array_add (addresses, (gpointer) mbms_session_get_address (g_ptr_array_index (self->sessions, i)));
  return addresses;
}

gboolean
mbms_service_is_registered (MbmsService *self)
{
  return self->state == MBMS_STATE_REGISTERED || self->state == MBMS_STATE_KEYS_READY
         || self->state == MBMS_STATE_RECEIVING || self->state == MBMS_STATE_KEYS_STALE;
}

gboolean
mbms_service_uses_key_group (MbmsService *self, const guint8 domain[3], guint16 key_group)
{
  for (guint i = 0; i < self->desc->keys->len; i++)
    {
      MbmsKeyGroup *k = &g_array_index (self->desc->keys, MbmsKeyGroup, i);
      if (k->key_group == key_group && memcmp (k->domain, domain, 3) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
set_bmsc (MbmsService *self, const char *uri)
{
  g_free (self->bmsc);
  self->bmsc = g_strdup (uri);
  mbms_dbus_service_set_key_management_server (self->iface, uri ? uri : "");
}

/* ---------------------------------------------------------------- procedures */

typedef struct {
  MbmsService           *self;
  GDBusMethodInvocation *invocation;
  gboolean               keep_intent;
  gboolean               refresh;     /* registered already: tell the BM-SC again, keep the state */
  const char            *why;         /* of a refresh, for the log */
  char                  *bmsc;        /* where the registration went */
  gboolean               wrote_intent; /* this call added the service to the registrations file */
} Call;

static void
call_free (Call *c)
{
  g_object_unref (c->self);
  g_clear_object (&c->invocation);
  g_free (c->bmsc);
  g_free (c);
}

/* Why a registration answered 200 as a whole did not register this service (6.3.2.4). */
static char *
item_failure (const MbmsItemStatus *item)
{
  if (item == NULL)
    return g_strdup ("bmsc-did-not-answer-for-service");
  if (item->status == 0)
    return g_strdup ("bmsc-response-unreadable");
  if (item->status / 100 != 2) /* 6.3.2.4: a successful code, e.g. 200 OK */
    return g_strdup_printf ("bmsc-refused-%u", item->status);
  return NULL;
}

static void on_left_bmsc (GObject *source, GAsyncResult *res, gpointer data);

/* A BM-SC we no longer use: told so, without waiting for its answer. */
static void
deregister_at (MbmsService *self, const char *bmsc)
{
  const char *ids[] = { self->desc->service_id, NULL };
  g_autoptr(GBytes) body = mbms_keymgmt_build_register (ids, TRUE);

  g_message ("service %s: deregistering at %s, which the description no longer names for it",
             self->desc->service_id, bmsc);
  mbms_keymgmt_request_async (self->ctx->keymgmt, bmsc, MBMS_KEYMGMT_DEREGISTER, body, 0, 0, NULL, on_left_bmsc,
                              g_strdup (bmsc));
}

/* A registration the BM-SC refused is no intent to restore; if even that write fails, the
 * file keeps it and the next start asks the BM-SC again (docs/interpretations.md). */
static void
forget_intent (MbmsService *self)
{
  g_autoptr(GError) error = NULL;

  if (!mbms_registrations_remove (self->ctx->registrations, self->desc->service_id, &error))
    g_warning ("service %s: %s", self->desc->service_id, error->message);
}

static void
on_registered (GObject *source, GAsyncResult *res, gpointer data)
{
  Call *c = data;
  MbmsService *self = c->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) r = mbms_keymgmt_request_finish (MBMS_KEYMGMT (source), res, &error);
  const MbmsItemStatus *item = r != NULL ? mbms_keymgmt_item_for_service (r->items, self->desc->service_id) : NULL;
  g_autofree char *refused = r != NULL ? item_failure (item) : NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    goto out;
  if (item != NULL && item->problem != NULL)
    g_message ("service %s: the BM-SC's response item: %s", self->desc->service_id, item->problem);
  if (r == NULL || refused != NULL)
    {
      g_autofree char *reason = r == NULL ? g_strdup_printf ("key-management: %s", error->message)
                                          : g_steal_pointer (&refused);
      set_state (self, MBMS_STATE_FAILED, reason);
      if (c->wrote_intent)
        forget_intent (self);
      if (c->invocation != NULL)
        g_dbus_method_invocation_return_error (c->invocation, MBMS_DBUS_ERROR,
                                               r == NULL && error->domain == MBMS_KEYMGMT_ERROR
                                                   && error->code == MBMS_KEYMGMT_ERROR_BOOTSTRAP
                                                 ? MBMS_DBUS_ERROR_BOOTSTRAP_FAILED
                                                 : MBMS_DBUS_ERROR_KEY_MANAGEMENT_FAILED,
                                               "Registration of %s failed: %s", self->desc->service_id, reason);
      goto out;
    }
  /* the description changed while the BM-SC answered: the registration it took is not wanted
   * there (withdrawn, or that BM-SC no longer announced); it is undone, and made again with a
   * BM-SC the description names if the service is still described */
  if (self->withdrawn || g_strcmp0 (self->bmsc, c->bmsc) != 0)
    {
      deregister_at (self, c->bmsc);
      if (!self->withdrawn)
        mbms_service_register (self, c->invocation);
      else if (c->invocation != NULL)
        g_dbus_method_invocation_return_error (c->invocation, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_FAILED,
                                               "%s is no longer described", self->desc->service_id);
      goto out;
    }
  /* 6.3.2.1A: the intent and the BM-SC survive restarts */
  if (!mbms_registrations_add (self->ctx->registrations, self->desc->service_id, self->bmsc, &error))
    g_warning ("cannot keep the registration of %s: %s", self->desc->service_id, error->message);
  if (c->refresh && mbms_service_is_registered (self))
    g_message ("service %s registered again (%s)", self->desc->service_id, c->why);
  else
    set_state (self, MBMS_STATE_REGISTERED, "waiting-for-msk");
  if (c->invocation != NULL)
    mbms_dbus_service_complete_register (self->iface, c->invocation);
out:
  call_free (c);
}

void
mbms_service_register (MbmsService *self, GDBusMethodInvocation *invocation)
{
  Call *c = g_new0 (Call, 1);
  const char *ids[] = { self->desc->service_id, NULL };
  g_autoptr(GBytes) body = mbms_keymgmt_build_register (ids, FALSE);
  const char *kept = mbms_registrations_get_bmsc (self->ctx->registrations, self->desc->service_id);

  if (self->card_absent)
    {
      if (invocation != NULL)
        g_dbus_method_invocation_return_error (invocation, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_FAILED,
                                               "no card: insert it to register");
      g_free (c);
      return;
    }
  if (mbms_service_needs_uicc_key_management (self))
    {
      g_autoptr(GError) error = NULL;
      set_state (self, MBMS_STATE_UNAVAILABLE, UICC_KM_REASON);
      if (invocation != NULL && !check_key_management (self, &error))
        g_dbus_method_invocation_return_gerror (invocation, error);
      g_free (c);
      return;
    }
  c->self = g_object_ref (self);
  c->invocation = invocation ? g_object_ref (invocation) : NULL;
  /* 6.3.2.1A: one BM-SC at random at the first registration, the same one afterwards (while
   * the description still names it) */
  if (kept != NULL && (self->desc->bmsc_uris == NULL
                       || !g_strv_contains ((const char *const *) self->desc->bmsc_uris, kept)))
    kept = NULL;
  if (self->bmsc == NULL)
    set_bmsc (self, kept ? kept : mbms_keymgmt_choose_bmsc ((const char *const *) self->desc->bmsc_uris,
                                                            self->ctx->clock));
  /* the intent is on disk before the BM-SC hears of it: a registration that cannot be kept
   * across a restart is refused to the user rather than lost later without a word */
  if (mbms_registrations_get_bmsc (self->ctx->registrations, self->desc->service_id) == NULL)
    {
      g_autoptr(GError) error = NULL;
      if (mbms_registrations_add (self->ctx->registrations, self->desc->service_id, self->bmsc, &error))
        c->wrote_intent = TRUE;
      else if (invocation != NULL)
        {
          g_warning ("service %s: not registered: %s", self->desc->service_id, error->message);
          g_dbus_method_invocation_return_error (invocation, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_STORAGE_FAILED,
                                                 "Registration of %s cannot be kept: %s", self->desc->service_id,
                                                 error->message);
          call_free (c);
          return;
        }
      else
        g_warning ("service %s: registering for this session only: %s", self->desc->service_id, error->message);
    }
  set_state (self, MBMS_STATE_REGISTERING, NULL);
  c->bmsc = g_strdup (self->bmsc);
  mbms_keymgmt_request_async (self->ctx->keymgmt, self->bmsc, MBMS_KEYMGMT_REGISTER, body, 0, 0,
                              self->cancellable, on_registered, c);
}

void
mbms_service_reregister (MbmsService *self)
{
  Call *c;
  const char *ids[] = { self->desc->service_id, NULL };
  g_autoptr(GBytes) body = NULL;

  if (!mbms_service_is_registered (self) || self->bmsc == NULL)
    return;
  c = g_new0 (Call, 1);
  c->self = g_object_ref (self);
  c->refresh = TRUE;
  c->why = "local address changed";
  body = mbms_keymgmt_build_register (ids, FALSE);
  /* 6.3.2.1A: the BM-SC learns the UE's new address from the registration */
  c->bmsc = g_strdup (self->bmsc);
  mbms_keymgmt_request_async (self->ctx->keymgmt, self->bmsc, MBMS_KEYMGMT_REGISTER, body, 0, 0,
                              self->cancellable, on_registered, c);
}

void
mbms_service_restored (MbmsService *self, const char *bmsc_uri)
{
  set_bmsc (self, bmsc_uri);
  set_state (self, MBMS_STATE_REGISTERED, "restored-at-start");
}

static void
on_deregistered (GObject *source, GAsyncResult *res, gpointer data)
{
  Call *c = data;
  MbmsService *self = c->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) r = mbms_keymgmt_request_finish (MBMS_KEYMGMT (source), res, &error);

  set_state (self, MBMS_STATE_DISCOVERED, r != NULL ? "deregistered" : "deregistered-locally");
  g_signal_emit (self, signals[SIGNAL_DEREGISTERED], 0, c->keep_intent);
  if (c->invocation != NULL)
    {
      if (r == NULL)
        g_dbus_method_invocation_return_error (c->invocation, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_KEY_MANAGEMENT_FAILED,
                                               "Deregistration of %s: %s", self->desc->service_id, error->message);
      else
        mbms_dbus_service_complete_deregister (self->iface, c->invocation);
    }
  call_free (c);
}

void
mbms_service_deregister (MbmsService *self, GDBusMethodInvocation *invocation, gboolean keep_intent)
{
  Call *c;
  const char *ids[] = { self->desc->service_id, NULL };
  g_autoptr(GBytes) body = NULL;

  if (!mbms_service_is_registered (self) || self->bmsc == NULL)
    {
      if (invocation != NULL)
        g_dbus_method_invocation_return_error (invocation, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_NOT_REGISTERED,
                                               "%s is not registered", self->desc->service_id);
      return;
    }
  /* the user's deregistration is on disk first: one that cannot be written would come back
   * registered at the next start, so it is refused and the service stays registered. One
   * mbmsd decides (a description gone or changed) goes on: the service is leaving anyway. */
  if (!keep_intent)
    {
      g_autoptr(GError) error = NULL;
      if (!mbms_registrations_remove (self->ctx->registrations, self->desc->service_id, &error))
        {
          if (invocation == NULL)
            g_warning ("service %s: deregistering, but the file keeps it: %s", self->desc->service_id,
                       error->message);
          else
            {
              g_warning ("service %s: still registered: %s", self->desc->service_id, error->message);
              g_dbus_method_invocation_return_error (invocation, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_STORAGE_FAILED,
                                                     "Deregistration of %s cannot be kept, so it stays registered: %s",
                                                     self->desc->service_id, error->message);
              return;
            }
        }
    }
  c = g_new0 (Call, 1);
  c->self = g_object_ref (self);
  c->invocation = invocation ? g_object_ref (invocation) : NULL;
  c->keep_intent = keep_intent;
  body = mbms_keymgmt_build_register (ids, TRUE);
  set_state (self, MBMS_STATE_DEREGISTERING, NULL);
  mbms_keymgmt_request_async (self->ctx->keymgmt, self->bmsc, MBMS_KEYMGMT_DEREGISTER, body, 0, 0, NULL,
                              on_deregistered, c);
}

typedef struct {
  MbmsService     *self;
  MbmsMskRequests *requests;
  GArray          *refs; /* MbmsMskRef: the groups asked for */
} KeysCall;

static void
keys_call_free (KeysCall *c)
{
  for (guint i = 0; i < c->refs->len; i++)
    {
      const MbmsMskRef *ref = &g_array_index (c->refs, MbmsMskRef, i);
      mbms_msk_requests_done (c->requests, ref->domain, MGV_MSK_KEY_GROUP (ref->msk_id));
    }
  mbms_msk_requests_unref (c->requests);
  g_array_unref (c->refs);
  g_object_unref (c->self);
  g_free (c);
}

static void
on_keys_requested (GObject *source, GAsyncResult *res, gpointer data)
{
  KeysCall *c = data;
  MbmsService *self = c->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) r = mbms_keymgmt_request_finish (MBMS_KEYMGMT (source), res, &error);

  if (r == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("MSK request for %s failed: %s", self->desc->service_id, error->message);
  /* per MSK (6.3.2.4): a refused or unreadable item leaves the others standing */
  for (guint i = 0; r != NULL && i < r->items->len; i++)
    {
      const MbmsItemStatus *item = &g_array_index (r->items, MbmsItemStatus, i);
      if (item->problem != NULL)
        g_message ("MSK request for %s: an item of the BM-SC's response: %s", self->desc->service_id, item->problem);
      else if (item->status != 200)
        g_message ("MSK request for %s: MSK 0x%08x of key domain %02x%02x%02x refused (%s)", self->desc->service_id,
                   item->msk.msk_id, item->msk.domain[0], item->msk.domain[1], item->msk.domain[2],
                   item->response_code);
    }
  keys_call_free (c);
}

void
mbms_service_request_keys (MbmsService *self, const guint8 *domain, gint key_group, gboolean backoff)
{
  g_autoptr(GArray) refs = g_array_new (FALSE, TRUE, sizeof (MbmsMskRef));
  g_autoptr(GBytes) body = NULL;
  KeysCall *c;

  if (self->bmsc == NULL)
    return;
  for (guint i = 0; i < self->desc->keys->len; i++)
    {
      MbmsKeyGroup *k = &g_array_index (self->desc->keys, MbmsKeyGroup, i);
      MbmsMskRef ref = { .msk_id = (guint32) k->key_group << 16 }; /* Key Number 0: the current MSK */
      if (key_group >= 0 && (k->key_group != key_group || memcmp (k->domain, domain, 3) != 0))
        continue;
      memcpy (ref.domain, k->domain, 3);
      g_array_append_val (refs, ref);
    }
  if (refs->len == 0)
    return;
  body = mbms_keymgmt_build_msk_request ((MbmsMskRef *) (void *) refs->data, refs->len);
  /* every request counts against the group's interval, whoever asked (6.3.2.2.3) */
  for (guint i = 0; i < refs->len; i++)
    {
      const MbmsMskRef *ref = &g_array_index (refs, MbmsMskRef, i);
      mbms_msk_requests_sent (self->ctx->msk_requests, ref->domain, MGV_MSK_KEY_GROUP (ref->msk_id));
    }
  c = g_new0 (KeysCall, 1);
  c->self = g_object_ref (self);
  c->requests = mbms_msk_requests_ref (self->ctx->msk_requests);
  c->refs = g_steal_pointer (&refs);
  mbms_keymgmt_request_async (self->ctx->keymgmt, self->bmsc, MBMS_KEYMGMT_MSK_REQUEST, body,
                              backoff ? self->desc->offset_time_s : 0, backoff ? self->desc->random_period_s : 0,
                              self->cancellable, on_keys_requested, c);
}

void
mbms_service_msk_updated (MbmsService *self, const guint8 domain[3], guint32 msk_id, guint32 seq_low, guint32 seq_high)
{
  update_key_groups (self);
  if (self->state == MBMS_STATE_REGISTERED)
    set_state (self, MBMS_STATE_KEYS_READY, "msk-received");
}

static void set_stream_state (MbmsService *self, const char *state, const char *reason);

void
mbms_service_mtk_received (MbmsService *self, const char *destination, const MgvMtk *mtk)
{
  gboolean ours = FALSE;

  /* SEQl moved with the MTK (6.5.4): show it */
  if (mbms_service_uses_key_group (self, mtk->domain, MGV_MSK_KEY_GROUP (mtk->msk_id)))
    update_key_groups (self);
  if (mbms_downloads_mtk_received (self->downloads, destination, mtk))
    return; /* the card's answer to a FLUTE session's MIKEY object (Annex D) */
  for (guint i = 0; i < self->sessions->len; i++)
    ours |= mbms_session_mtk_received (g_ptr_array_index (self->sessions, i), destination, mtk);
  if (!ours)
    return;
  self->refused_in_row = 0;
  /* keys-stale for lack of decryption ends when packets decrypt, not with one more MTK */
  if (mbms_service_is_registered (self) && self->state != MBMS_STATE_RECEIVING
      && !(self->state == MBMS_STATE_KEYS_STALE
           && g_strcmp0 (mbms_dbus_service_get_state_reason (self->iface), "no-decryption") == 0))
    set_state (self, MBMS_STATE_RECEIVING, "mtk-received");
  if (g_strcmp0 (mbms_dbus_service_get_stream_state (self->iface), "waiting-for-keys") == 0)
    set_stream_state (self, "streaming", "mtk-received");
}

void
mbms_service_download_key_missing (MbmsService *self, const char *destination)
{
  mbms_downloads_mtk_refused (self->downloads, destination, TRUE);
}

void
mbms_service_clear_keys (MbmsService *self)
{
  for (guint i = 0; i < self->sessions->len; i++)
    mbms_session_clear_keys (g_ptr_array_index (self->sessions, i));
  update_key_groups (self);
}

/* ---------------------------------------------------------------- streaming */

static void
set_stream_state (MbmsService *self, const char *state, const char *reason)
{
  if (g_strcmp0 (mbms_dbus_service_get_stream_state (self->iface), state) == 0)
    return;
  g_message ("service %s: stream %s (%s)", self->desc->service_id, state, reason);
  mbms_dbus_service_set_stream_state (self->iface, state);
  mbms_dbus_service_emit_stream_state_changed (self->iface, state, reason);
}

void
mbms_service_update_counters (MbmsService *self)
{
  for (guint i = 0; i < self->sessions->len; i++)
    mbms_session_update_counters (g_ptr_array_index (self->sessions, i));
}

static gboolean
update_counters (gpointer data)
{
  MbmsService *self = data;
  g_autoptr(GDateTime) now = self->ctx->clock->now (self->ctx->clock);
  gint64 now_us = g_date_time_to_unix (now) * G_USEC_PER_SEC + g_date_time_get_microsecond (now);
  gint64 timeout_us = (gint64) self->ctx->config->stall_timeout_s * G_USEC_PER_SEC;

  for (guint i = 0; i < self->sessions->len; i++)
    {
      MbmsSession *session = g_ptr_array_index (self->sessions, i);
      guint8 domain[3];
      guint16 group;

      MbmsSessionFlow flow;

      mbms_session_update_counters (session);
      flow = mbms_session_check_flow (session, now_us, timeout_us);
      if (flow == MBMS_SESSION_DECRYPTING && self->state == MBMS_STATE_KEYS_STALE
          && g_strcmp0 (mbms_dbus_service_get_state_reason (self->iface), "no-decryption") == 0)
        set_state (self, MBMS_STATE_RECEIVING, "decryption-resumed");
      /* packets arrive and none decrypts: the keys the UE holds are not the sender's */
      if (flow != MBMS_SESSION_STALLED || !mbms_service_is_registered (self) || self->state == MBMS_STATE_KEYS_STALE)
        continue;
      set_state (self, MBMS_STATE_KEYS_STALE, "no-decryption");
      mbms_session_get_key_group (session, domain, &group);
      g_signal_emit (self, signals[SIGNAL_KEYS_STALE], 0, domain, (guint) group);
    }
  return G_SOURCE_CONTINUE;
}

static void
stop_streaming (MbmsService *self, const char *reason)
{
  for (guint i = 0; i < self->sessions->len; i++)
    mbms_session_stop (g_ptr_array_index (self->sessions, i));
  g_clear_handle_id (&self->counters_timer, g_source_remove);
  if (self->playback_path != NULL)
    g_unlink (self->playback_path);
  g_clear_pointer (&self->playback_path, g_free);
  mbms_dbus_service_set_playback_uri (self->iface, "");
  set_stream_state (self, "stopped", reason);
}

/* The playback SDP: decrypted sessions on the forward address, or the service's own SDP when
 * nothing is protected (the player joins the groups itself). */
static gboolean
write_playback (MbmsService *self, GError **error)
{
  const MbmsConfig *config = self->ctx->config;
  g_autofree char *name = g_strdup_printf ("service-%s.sdp", strrchr (self->path, '/') + 1);
  g_autofree char *text = NULL;
  g_autofree guint16 *ports = g_new0 (guint16, self->sessions->len + 1);

  if (self->desc->sdp == NULL)
    {
      g_set_error (error, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_NOT_SUPPORTED, "%s has no streaming session",
                   self->desc->service_id);
      return FALSE;
    }
  for (guint i = 0; i < self->sessions->len; i++)
    ports[i] = mbms_session_get_forward_port (g_ptr_array_index (self->sessions, i));
  text = self->desc->protected ? mbms_sdp_playback (self->desc, config->forward_address, ports)
                               : g_strdup (self->desc->sdp);
  if (g_mkdir_with_parents (config->runtime_dir, 0755) != 0)
    {
      g_set_error (error, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_FAILED, "cannot create %s", config->runtime_dir);
      return FALSE;
    }
  self->playback_path = g_build_filename (config->runtime_dir, name, NULL);
  /* no secret in it: players of any user read it */
  if (!g_file_set_contents_full (self->playback_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    {
      g_clear_pointer (&self->playback_path, g_free);
      return FALSE;
    }
  /* the unit's UMask=0077 would keep it from the players of other users */
  g_chmod (self->playback_path, 0644);
  return TRUE;
}

static gboolean
start_streaming (MbmsService *self, GError **error)
{
  g_autofree char *uri = NULL;

  if (!check_key_management (self, error))
    return FALSE;
  for (guint i = 0; i < self->sessions->len; i++)
    if (!mbms_session_start (g_ptr_array_index (self->sessions, i), error))
      {
        stop_streaming (self, "join-failed");
        return FALSE;
      }
  if (!write_playback (self, error))
    {
      stop_streaming (self, "playback-file-failed");
      return FALSE;
    }
  uri = g_filename_to_uri (self->playback_path, NULL, NULL);
  mbms_dbus_service_set_playback_uri (self->iface, uri);
  self->counters_timer = g_timeout_add_seconds (COUNTERS_EVERY_S, update_counters, self);
  if (!self->desc->protected || (self->sessions->len > 0 && mbms_session_has_key (g_ptr_array_index (self->sessions, 0))))
    set_stream_state (self, "streaming", "started");
  else
    {
      set_stream_state (self, "waiting-for-keys", mbms_service_is_registered (self) ? "started" : "registering");
      /* 6.3.2.1A: a protected service is watched only once registered */
      if (!mbms_service_is_registered (self) && self->state != MBMS_STATE_REGISTERING)
        mbms_service_register (self, NULL);
    }
  return TRUE;
}

/* The loopback forward port is served while some hold asked for it (StartStreaming), and only
 * then: a caller with sockets of its own leaves nothing there for other local processes. */
static void
sync_loopback (MbmsService *self)
{
  gboolean wanted = FALSE;
  GHashTableIter it;
  gpointer v;

  g_hash_table_iter_init (&it, self->holds);
  while (g_hash_table_iter_next (&it, NULL, &v))
    wanted |= ((Hold *) v)->loopback;
  for (guint i = 0; i < self->sessions->len; i++)
    {
      g_autoptr(GError) error = NULL;
      if (!mbms_session_set_loopback (g_ptr_array_index (self->sessions, i), wanted, &error))
        g_warning ("service %s: %s", self->desc->service_id, error->message);
    }
}

static void
release_hold (MbmsService *self, const char *name, const char *reason)
{
  if (!g_hash_table_remove (self->holds, name))
    return;
  if (g_hash_table_size (self->holds) == 0)
    stop_streaming (self, reason);
  else
    sync_loopback (self);
}

static void
on_holder_vanished (GDBusConnection *connection, const char *name, gpointer data)
{
  Hold *h = data;

  g_debug ("service %s: %s left the bus", h->self->desc->service_id, name);
  release_hold (h->self, name, "caller-left");
}

/* ---------------------------------------------------------------- D-Bus methods */

/* Every method changes state: the control action first, then the method. */
static void
authorize (MbmsService *self, GDBusMethodInvocation *inv, MbmsAuthorizedFunc then)
{
  mbms_authorizer_authorize (self->ctx->authorizer, inv, MBMS_AUTH_CONTROL, then, g_object_ref (self),
                             g_object_unref);
}

static gboolean
check_protected (MbmsService *self, GDBusMethodInvocation *inv)
{
  if (!self->desc->protected)
    {
      g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_NOT_PROTECTED,
                                             "%s is not protected: nothing to register (TS 33.246 6.3.2.1A)",
                                             self->desc->service_id);
      return FALSE;
    }
  return TRUE;
}

static void
register_authorized (GDBusMethodInvocation *inv, gpointer data)
{
  if (check_protected (data, inv))
    mbms_service_register (data, inv);
}

static gboolean
on_register (MbmsDBusService *iface, GDBusMethodInvocation *inv, gpointer data)
{
  authorize (data, inv, register_authorized);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
deregister_authorized (GDBusMethodInvocation *inv, gpointer data)
{
  if (check_protected (data, inv))
    mbms_service_deregister (data, inv, FALSE);
}

static gboolean
on_deregister (MbmsDBusService *iface, GDBusMethodInvocation *inv, gpointer data)
{
  authorize (data, inv, deregister_authorized);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
request_keys_authorized (GDBusMethodInvocation *inv, gpointer data)
{
  MbmsService *self = data;

  if (!check_protected (self, inv))
    return;
  if (!mbms_service_is_registered (self))
    {
      g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_NOT_REGISTERED,
                                             "%s is not registered", self->desc->service_id);
      return;
    }
  mbms_service_request_keys (self, NULL, -1, TRUE);
  mbms_dbus_service_complete_request_keys (self->iface, inv);
}

static gboolean
on_request_keys (MbmsDBusService *iface, GDBusMethodInvocation *inv, gpointer data)
{
  authorize (data, inv, request_keys_authorized);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* The caller's hold, made when it has none: streaming lasts while its callers are on the bus. */
static Hold *
hold_for (MbmsService *self, GDBusMethodInvocation *inv)
{
  const char *sender = g_dbus_method_invocation_get_sender (inv);
  Hold *h;

  if (sender == NULL)
    sender = "";
  h = g_hash_table_lookup (self->holds, sender);
  if (h != NULL)
    return h;
  h = g_new0 (Hold, 1);
  h->self = self;
  h->name = g_strdup (sender);
  g_hash_table_insert (self->holds, h->name, h);
  if (*sender != '\0')
    h->watch = g_bus_watch_name_on_connection (g_dbus_method_invocation_get_connection (inv), sender,
                                               G_BUS_NAME_WATCHER_FLAGS_NONE, NULL, on_holder_vanished, h, NULL);
  return h;
}

static gboolean
begin_stream (MbmsService *self, GDBusMethodInvocation *inv)
{
  g_autoptr(GError) error = NULL;

  if (g_hash_table_size (self->holds) == 0 && !start_streaming (self, &error))
    {
      g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_FAILED,
                                             "Cannot stream %s: %s", self->desc->service_id, error->message);
      return FALSE;
    }
  return TRUE;
}

static void
start_streaming_authorized (GDBusMethodInvocation *inv, gpointer data)
{
  MbmsService *self = data;

  if (!begin_stream (self, inv))
    return;
  hold_for (self, inv)->loopback = TRUE;
  sync_loopback (self);
  mbms_dbus_service_complete_start_streaming (self->iface, inv, mbms_dbus_service_get_playback_uri (self->iface));
}

/* Per session a pair of connected sockets that only this caller holds (issue 13 item 2). */
static void
start_streaming_to_sockets_authorized (GDBusMethodInvocation *inv, gpointer data)
{
  MbmsService *self = data;
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr(GArray) players = g_array_new (FALSE, TRUE, sizeof (guint));
  GVariantBuilder sockets;
  gboolean started_here;
  Hold *h;

  g_variant_get (g_dbus_method_invocation_get_parameters (inv), "(@a{sv})", &options);
  if (g_variant_n_children (options) > 0)
    {
      const char *key;
      g_variant_get_child (options, 0, "{&sv}", &key, NULL);
      g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_NOT_SUPPORTED,
                                             "Unknown option \"%s\"", key);
      return;
    }
  if (!self->desc->protected || self->sessions->len == 0)
    {
      g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_NOT_SUPPORTED,
                                             "%s has no protected session to decrypt: a player joins its groups "
                                             "itself (StartStreaming gives its SDP)", self->desc->service_id);
      return;
    }
  started_here = g_hash_table_size (self->holds) == 0;
  if (!begin_stream (self, inv))
    return;
  g_variant_builder_init (&sockets, G_VARIANT_TYPE ("a(ohh)"));
  for (guint i = 0; i < self->sessions->len; i++)
    {
      MbmsSession *session = g_ptr_array_index (self->sessions, i);
      g_autoptr(GError) error = NULL;
      int rtp = -1, rtcp = -1;
      guint id = mbms_session_add_player (session, &rtp, &rtcp, &error);
      gint rtp_h = -1, rtcp_h = -1;

      if (id != 0)
        {
          g_array_append_val (players, id);
          rtp_h = g_unix_fd_list_append (fds, rtp, &error);
          if (rtp_h >= 0)
            rtcp_h = g_unix_fd_list_append (fds, rtcp, &error);
          close (rtp); /* the list holds duplicates */
          close (rtcp);
        }
      if (rtcp_h < 0)
        {
          for (guint j = 0; j < players->len; j++)
            mbms_session_remove_player (g_ptr_array_index (self->sessions, j), g_array_index (players, guint, j));
          g_variant_builder_clear (&sockets);
          if (started_here && g_hash_table_size (self->holds) == 0)
            stop_streaming (self, "player-sockets-failed");
          g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_FAILED,
                                                 "Cannot stream %s to sockets: %s", self->desc->service_id,
                                                 error ? error->message : "unknown error");
          return;
        }
      g_variant_builder_add (&sockets, "(ohh)",
                             g_dbus_object_get_object_path (G_DBUS_OBJECT (mbms_session_get_object (session))),
                             rtp_h, rtcp_h);
    }
  h = hold_for (self, inv);
  hold_drop_players (h); /* a second call replaces the caller's sockets */
  h->players = g_steal_pointer (&players);
  sync_loopback (self);
  mbms_dbus_service_complete_start_streaming_to_sockets (self->iface, inv, fds, g_variant_builder_end (&sockets));
}

static gboolean
on_start_streaming (MbmsDBusService *iface, GDBusMethodInvocation *inv, gpointer data)
{
  authorize (data, inv, start_streaming_authorized);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_start_streaming_to_sockets (MbmsDBusService *iface, GDBusMethodInvocation *inv, GUnixFDList *fds,
                               GVariant *options, gpointer data)
{
  authorize (data, inv, start_streaming_to_sockets_authorized);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
stop_streaming_authorized (GDBusMethodInvocation *inv, gpointer data)
{
  MbmsService *self = data;
  const char *sender = g_dbus_method_invocation_get_sender (inv);

  release_hold (self, sender ? sender : "", "stopped");
  mbms_dbus_service_complete_stop_streaming (self->iface, inv);
}

static gboolean
on_stop_streaming (MbmsDBusService *iface, GDBusMethodInvocation *inv, gpointer data)
{
  authorize (data, inv, stop_streaming_authorized);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---------------------------------------------------------------- description updates */

static gboolean
has_key_group (const MbmsUserService *desc, const MbmsKeyGroup *k)
{
  for (guint i = 0; i < desc->keys->len; i++)
    {
      const MbmsKeyGroup *e = &g_array_index (desc->keys, MbmsKeyGroup, i);
      if (e->key_group == k->key_group && memcmp (e->domain, k->domain, 3) == 0)
        return TRUE;
    }
  return FALSE;
}

static const char *
session_path (MbmsSession *session)
{
  return g_dbus_object_get_object_path (G_DBUS_OBJECT (mbms_session_get_object (session)));
}

static void
on_left_bmsc (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autofree char *uri = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) r = mbms_keymgmt_request_finish (MBMS_KEYMGMT (source), res, &error);

  if (r == NULL)
    g_message ("deregistration at %s, which the description no longer names: %s", uri, error->message);
}

/* The new description's sessions, in its order (the playback SDP's ports follow it). */
static gboolean
update_sessions (MbmsService *self, guint *next_session)
{
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) mbms_session_free);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  gboolean streaming = g_hash_table_size (self->holds) > 0;
  gboolean changed = FALSE;

  for (guint i = 0; self->desc->protected && i < self->desc->sessions->len; i++)
    {
      MbmsRtpSession *r = g_ptr_array_index (self->desc->sessions, i);
      MbmsSession *kept = NULL;

      if (!r->srtp)
        continue;
      for (guint j = 0; kept == NULL && j < self->sessions->len; j++)
        if (mbms_session_matches (g_ptr_array_index (self->sessions, j), r))
          kept = g_ptr_array_steal_index (self->sessions, j);
      if (kept == NULL)
        {
          guint n = (*next_session)++;
          g_autofree char *spath = g_strdup_printf (MBMS_DBUS_PATH "/Session/%u", n);
          g_autoptr(GError) error = NULL;

          kept = mbms_session_new (self->ctx, self->path, r, spath,
                                   (guint16) (self->ctx->config->forward_port_base + 2 * n), on_session_msk_missing,
                                   self);
          g_dbus_object_manager_server_export (self->ctx->objects, mbms_session_get_object (kept));
          if (streaming && !mbms_session_start (kept, &error))
            g_warning ("service %s: %s:%u cannot be joined: %s", self->desc->service_id, r->address, r->port,
                       error->message);
          changed = TRUE;
        }
      g_ptr_array_add (sessions, kept);
    }
  for (guint j = 0; j < self->sessions->len; j++)
    {
      g_dbus_object_manager_server_unexport (self->ctx->objects, session_path (g_ptr_array_index (self->sessions, j)));
      changed = TRUE;
    }
  g_ptr_array_unref (self->sessions);
  self->sessions = g_steal_pointer (&sessions);
  for (guint i = 0; i < self->sessions->len; i++)
    g_ptr_array_add (paths, (gpointer) session_path (g_ptr_array_index (self->sessions, i)));
  g_ptr_array_add (paths, NULL);
  mbms_dbus_service_set_sessions (self->iface, (const char *const *) paths->pdata);
  return changed;
}

/* Streaming goes on over the new sessions: a new playback SDP, the holders told why. */
static void
restart_streaming (MbmsService *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  const char *state;

  if (self->playback_path != NULL)
    g_unlink (self->playback_path);
  g_clear_pointer (&self->playback_path, g_free);
  if (!write_playback (self, &error))
    {
      g_warning ("service %s: no playback SDP for the new sessions: %s", self->desc->service_id, error->message);
      mbms_dbus_service_set_playback_uri (self->iface, "");
      set_stream_state (self, "failed", "playback-file-failed");
      return;
    }
  uri = g_filename_to_uri (self->playback_path, NULL, NULL);
  mbms_dbus_service_set_playback_uri (self->iface, uri);
  state = !self->desc->protected
              || (self->sessions->len > 0 && mbms_session_has_key (g_ptr_array_index (self->sessions, 0)))
            ? "streaming" : "waiting-for-keys";
  if (g_strcmp0 (mbms_dbus_service_get_stream_state (self->iface), state) != 0)
    set_stream_state (self, state, "description-changed");
  else
    {
      g_message ("service %s: stream %s (description-changed)", self->desc->service_id, state);
      mbms_dbus_service_emit_stream_state_changed (self->iface, state, "description-changed");
    }
}

void
mbms_service_update (MbmsService *self, MbmsUserService *desc, guint *next_session)
{
  g_autoptr(MbmsUserService) old = self->desc;
  g_autoptr(GArray) added = g_array_new (FALSE, FALSE, sizeof (MbmsKeyGroup));
  gboolean registered = mbms_service_is_registered (self);

  self->desc = desc;
  for (guint i = 0; i < desc->keys->len; i++)
    if (!has_key_group (old, &g_array_index (desc->keys, MbmsKeyGroup, i)))
      g_array_append_val (added, g_array_index (desc->keys, MbmsKeyGroup, i));
  mbms_dbus_service_set_names (self->iface, (const char *const *) desc->names);
  mbms_dbus_service_set_protected (self->iface, desc->protected);
  show_key_management (self);
  if (update_sessions (self, next_session) && g_hash_table_size (self->holds) > 0)
    {
      sync_loopback (self); /* new sessions serve the loopback port too while it is wanted */
      restart_streaming (self);
    }
  update_key_groups (self);
  if (mbms_service_needs_uicc_key_management (self))
    {
      if (registered)
        mbms_service_deregister (self, NULL, FALSE);
      else if (self->state != MBMS_STATE_UNAVAILABLE)
        set_state (self, MBMS_STATE_UNAVAILABLE, UICC_KM_REASON);
      return;
    }
  if (self->state == MBMS_STATE_UNAVAILABLE)
    set_state (self, MBMS_STATE_DISCOVERED, "description-changed");
  /* 6.3.2.1A: the same BM-SC while it is announced; one that is no longer is left */
  if (self->bmsc != NULL && (desc->bmsc_uris == NULL
                             || !g_strv_contains ((const char *const *) desc->bmsc_uris, self->bmsc)))
    {
      g_autofree char *left = g_strdup (self->bmsc);

      set_bmsc (self, NULL);
      if (registered)
        {
          const char *ids[] = { desc->service_id, NULL };
          g_autoptr(GBytes) body = mbms_keymgmt_build_register (ids, TRUE);

          g_message ("service %s: BM-SC %s is no longer announced; registering with another", desc->service_id, left);
          mbms_keymgmt_request_async (self->ctx->keymgmt, left, MBMS_KEYMGMT_DEREGISTER, body, 0, 0, NULL,
                                      on_left_bmsc, g_strdup (left));
          mbms_service_register (self, NULL);
        }
      return;
    }
  /* new key groups: their MSKs are asked for (6.3.2.2.1, with the USD's back-off) */
  for (guint i = 0; registered && i < added->len; i++)
    {
      const MbmsKeyGroup *k = &g_array_index (added, MbmsKeyGroup, i);
      mbms_service_request_keys (self, k->domain, k->key_group, TRUE);
    }
}

void
mbms_service_withdraw (MbmsService *self)
{
  self->withdrawn = TRUE;
  g_hash_table_remove_all (self->holds);
  stop_streaming (self, "service-removed");
  if (mbms_service_is_registered (self))
    mbms_service_deregister (self, NULL, FALSE);
  else
    mbms_registrations_remove (self->ctx->registrations, self->desc->service_id, NULL);
  for (guint i = 0; i < self->sessions->len; i++)
    g_dbus_object_manager_server_unexport (self->ctx->objects, session_path (g_ptr_array_index (self->sessions, i)));
  g_dbus_object_manager_server_unexport (self->ctx->objects, self->path);
}

/* ---------------------------------------------------------------- keys that stop working */

guint
mbms_service_mtk_refused (MbmsService *self, const char *destination, const guint8 domain[3], guint16 key_group,
                          gboolean replay)
{
  gboolean ours = FALSE;
  const char *reason = replay ? "mtk-replayed" : "mtk-unverified";

  if (mbms_downloads_mtk_refused (self->downloads, destination, FALSE))
    return 0; /* a FLUTE session's MIKEY object refused by the card: its DCFs wait, then go */
  for (guint i = 0; i < self->sessions->len; i++)
    ours |= mbms_session_mtk_refused (g_ptr_array_index (self->sessions, i), destination, domain, key_group, replay);
  if (!ours || !mbms_service_is_registered (self))
    return 0;
  self->refused_in_row++;
  if (self->refused_in_row >= self->ctx->config->stale_after
      && (self->state != MBMS_STATE_KEYS_STALE
          || g_strcmp0 (mbms_dbus_service_get_state_reason (self->iface), reason) != 0))
    set_state (self, MBMS_STATE_KEYS_STALE, reason);
  return self->refused_in_row;
}

static gboolean
on_recovery_quiet_over (gpointer data)
{
  MbmsService *self = data;

  self->recovery_quiet = 0;
  return G_SOURCE_REMOVE;
}

gboolean
mbms_service_recover (MbmsService *self, gboolean new_bootstrap)
{
  const char *ids[] = { self->desc->service_id, NULL };
  g_autoptr(GBytes) body = NULL;
  Call *c;

  /* spaced on the monotonic timers, not the wall clock, which may jump back */
  if (!mbms_service_is_registered (self) || self->bmsc == NULL || self->recovery_quiet != 0)
    return FALSE;
  self->recovery_quiet = mbms_clock_add_timeout (self->ctx->clock, self->ctx->config->reregister_interval_s * 1000,
                                                 on_recovery_quiet_over, self);
  g_message ("service %s: %u MTK messages refused in a row: registering again%s", self->desc->service_id,
             self->refused_in_row,
             new_bootstrap ? " after a new bootstrap (a new MUK resets the MSK message counter, TS 33.246 6.4.3)"
                           : " under the bootstrap of a recent recovery");
  /* a BM-SC that lost its state counts MSK messages from 1 again under the MUK of our B-TID,
   * which MGV-F would refuse as replays (6.4.6.1): only a new GBA run gives a fresh MUK */
  if (new_bootstrap)
    mbms_keymgmt_forget_context (self->ctx->keymgmt);
  c = g_new0 (Call, 1);
  c->self = g_object_ref (self);
  c->refresh = TRUE;
  c->why = "keys stale";
  body = mbms_keymgmt_build_register (ids, FALSE);
  c->bmsc = g_strdup (self->bmsc);
  mbms_keymgmt_request_async (self->ctx->keymgmt, self->bmsc, MBMS_KEYMGMT_REGISTER, body, 0, 0, self->cancellable,
                              on_registered, c);
  return TRUE;
}
