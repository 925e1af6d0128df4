/* The UE side of the HTTP key management procedures, TS 33.246 6.2.1 and Annex G: a POST to
 * <BM-SC>/keymanagement?requesttype=..., answered with HTTP Digest (username B-TID, password
 * base64(MRK), qop auth-int, realm "3GPP-bootstrapping@<BM-SC FQDN>" checked), the BM-SC's
 * rspauth verified over the response body, per-item status codes returned. Table G.2.4
 * decides what is repeated: 401 (with bootstrapping renegotiation, TS 24.109 5.2.5) and 503
 * (after Retry-After); connection failures retry with capped exponential back-off and jitter;
 * every other status ends the procedure with that status as the error code. */
#include "config.h"
#include "mbms-keymgmt.h"
#include "mbms-keymgmt-response.h"

#include <libsoup/soup.h>
#include <string.h>

#define KM_USER_AGENT        "mbmsd/" MBMSD_VERSION " 3gpp-gba" /* Annex H: "3gpp-gba" */
#define KM_MAX_NET_RETRIES   4
#define KM_NET_BASE_MS       1000
#define KM_NET_CAP_MS        30000

struct _MbmsKeymgmt {
  GObject          parent_instance;
  GbaBootstrapper *bootstrapper;
  MbmsClock       *clock;
  SoupSession     *session;
  GbaContext      *context;
  GQueue           waiting; /* requests waiting for the one GBA run in flight (GTask *) */
  GHashTable      *naf_keys; /* GBA_U: BM-SC host -> GbaMbmsKeys derived on the card for context */
  GHashTable      *deriving; /* GBA_U: BM-SC host -> Derivation on the card in flight */
};

/* GBA_U: one NAF derivation per BM-SC at a time; requests needing its keys meanwhile wait
 * for it (each derivation is a new MUK to the card, its MSK counter back to 0). */
typedef struct {
  MbmsKeymgmt *self; /* a reference */
  char        *host;
  GQueue       waiting; /* GTask *, each with its challenge in Request.challenge */
} Derivation;

G_DEFINE_FINAL_TYPE (MbmsKeymgmt, mbms_keymgmt, G_TYPE_OBJECT)
G_DEFINE_QUARK (mbms-keymgmt-error-quark, mbms_keymgmt_error)

enum { SIGNAL_MUK_READY, SIGNAL_BOOTSTRAPPED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct {
  char                   *uri;
  char                   *path_query;
  char                   *host;
  const char             *content_type;
  MbmsKeymgmtRequest      type;
  GBytes                 *body;
  MbmsKeymgmtResult      *result;
  GbaDigestAuthorization *sent;
  GbaSecret              *password; /* base64(MRK) as text, TS 33.246 6.2.1 */
  GbaMbmsKeys            *keys;
  gboolean                renegotiated;
  GbaDigestChallenge     *challenge; /* answered once the card derived the keys (GBA_U) */
  SoupMessage            *msg;
  guint                   timer;
} Request;

static void send_request (GTask *task);
static void ensure_context (GTask *task, gboolean renegotiate);

void
mbms_keymgmt_result_free (MbmsKeymgmtResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->items, g_array_unref);
  g_free (result);
}

static void
request_free (Request *r)
{
  g_free (r->uri);
  g_free (r->path_query);
  g_free (r->host);
  g_bytes_unref (r->body);
  mbms_keymgmt_result_free (r->result);
  gba_digest_authorization_free (r->sent);
  gba_secret_unref (r->password);
  gba_mbms_keys_free (r->keys);
  gba_digest_challenge_free (r->challenge);
  g_clear_object (&r->msg);
  g_free (r);
}

static void
mbms_keymgmt_finalize (GObject *object)
{
  MbmsKeymgmt *self = MBMS_KEYMGMT (object);

  g_clear_object (&self->bootstrapper);
  g_clear_object (&self->session);
  g_clear_pointer (&self->context, gba_context_free);
  g_clear_pointer (&self->naf_keys, g_hash_table_unref);
  g_clear_pointer (&self->deriving, g_hash_table_unref); /* empty: each holds a reference on us */
  g_queue_clear (&self->waiting); /* empty: each waiting request holds a reference on us */
  G_OBJECT_CLASS (mbms_keymgmt_parent_class)->finalize (object);
}

static void
mbms_keymgmt_class_init (MbmsKeymgmtClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mbms_keymgmt_finalize;
  signals[SIGNAL_MUK_READY] = g_signal_new ("muk-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                            NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_POINTER);
  signals[SIGNAL_BOOTSTRAPPED] = g_signal_new ("bootstrapped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                               NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
mbms_keymgmt_init (MbmsKeymgmt *self)
{
  self->naf_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) gba_mbms_keys_free);
  self->deriving = g_hash_table_new (g_str_hash, g_str_equal);
}

static GbaMbmsKeys *
keys_copy (const GbaMbmsKeys *keys)
{
  GbaMbmsKeys *copy = g_new0 (GbaMbmsKeys, 1);

  copy->muk = keys->muk != NULL ? gba_secret_ref (keys->muk) : NULL;
  copy->mrk = gba_secret_ref (keys->mrk);
  copy->muk_on_uicc = keys->muk_on_uicc;
  copy->muk_idr = g_strdup (keys->muk_idr);
  copy->muk_idi = g_strdup (keys->muk_idi);
  return copy;
}

void
mbms_keymgmt_forget_naf_keys (MbmsKeymgmt *self, const char *bmsc_fqdn)
{
  g_hash_table_remove (self->naf_keys, bmsc_fqdn);
}

MbmsKeymgmt *
mbms_keymgmt_new (GbaBootstrapper *bootstrapper, MbmsClock *clock, guint timeout_s)
{
  MbmsKeymgmt *self = g_object_new (MBMS_TYPE_KEYMGMT, NULL);

  self->bootstrapper = g_object_ref (bootstrapper);
  self->clock = clock != NULL ? clock : mbms_clock_get_system ();
  /* https BM-SCs are verified against the system trust store (libsoup's default database) */
  self->session = soup_session_new_with_options ("user-agent", KM_USER_AGENT, "timeout", timeout_s,
                                                 "idle-timeout", timeout_s, NULL);
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_AUTH_MANAGER);
  return self;
}

const GbaContext *
mbms_keymgmt_get_context (MbmsKeymgmt *self)
{
  return self->context;
}

void
mbms_keymgmt_forget_context (MbmsKeymgmt *self)
{
  g_hash_table_remove_all (self->naf_keys);
  g_clear_pointer (&self->context, gba_context_free);
}

const char *
mbms_keymgmt_choose_bmsc (const char *const *uris, MbmsClock *clock)
{
  guint n = uris != NULL ? g_strv_length ((char **) uris) : 0;
  guint pick;

  if (n == 0)
    return NULL;
  pick = (guint) (clock->random (clock) * n);
  return uris[MIN (pick, n - 1)];
}

static void
fail (GTask *task, gint code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
fail (GTask *task, gint code, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_task_return_new_error (task, MBMS_KEYMGMT_ERROR, code, "%s", msg);
  g_object_unref (task);
}

static gboolean
on_timer_send (gpointer user_data)
{
  GTask *task = user_data;
  Request *r = g_task_get_task_data (task);

  r->timer = 0;
  if (g_task_return_error_if_cancelled (task))
    g_object_unref (task);
  else
    send_request (task);
  return G_SOURCE_REMOVE;
}

static void
retry_after (GTask *task, guint delay_ms)
{
  MbmsKeymgmt *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);

  /* a new attempt starts unauthenticated: the BM-SC challenges with a fresh nonce */
  g_clear_pointer (&r->sent, gba_digest_authorization_free);
  r->timer = mbms_clock_add_timeout (self->clock, delay_ms, on_timer_send, task);
}

static void ensure_context (GTask *task, gboolean renegotiate);
static void answer_challenge (GTask *task, GbaDigestChallenge *challenge);

/* Takes keys: base64(MRK) becomes the Digest password (TS 33.246 6.2.1). */
static void
take_keys (GTask *task, GbaMbmsKeys *keys)
{
  MbmsKeymgmt *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  g_autofree char *b64 = NULL;

  g_clear_pointer (&r->keys, gba_mbms_keys_free);
  g_clear_pointer (&r->password, gba_secret_unref);
  r->keys = keys;
  b64 = g_base64_encode (gba_secret_get_data (r->keys->mrk, NULL), gba_secret_get_size (r->keys->mrk));
  r->password = gba_secret_new (b64, strlen (b64));
  gba_wipe (b64, strlen (b64));
  /* The MUK is in MGV-S before the authenticated request leaves: a BM-SC pushes the MSK
   * right after a registration succeeds, often before its 200 reaches us (6.3.2.3.1). */
  g_signal_emit (self, signals[SIGNAL_MUK_READY], 0, r->host, r->keys);
}

/* GBA_U: Ks_ext_NAF came from the card's NAF derivation, run in a worker, for every request
 * that waited for it. Keys of a context gone meanwhile (forgotten: card removal, MUK deletion;
 * or replaced by a new B-TID) are wiped unannounced: their Ks is dead (TS 33.220 4.4.11), and
 * the requests go back to answer_challenge, which bootstraps or derives again. */
static void
on_keys_derived (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Derivation *d = user_data;
  MbmsKeymgmt *self = d->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaMbmsKeys) keys = gba_context_derive_mbms_keys_finish (res, &error);
  GTask *task;

  g_hash_table_remove (self->deriving, d->host);
  if (keys != NULL && (self->context == NULL || g_strcmp0 (keys->muk_idr, self->context->btid) != 0))
    {
      g_debug ("Ua: NAF keys for %s of B-TID %s dropped: that context is gone", d->host, keys->muk_idr);
      g_clear_pointer (&keys, gba_mbms_keys_free);
    }
  else if (keys != NULL)
    {
      g_debug ("Ua: NAF keys for %s derived on the card (B-TID %s)", d->host, keys->muk_idr);
      g_hash_table_replace (self->naf_keys, g_strdup (d->host), g_steal_pointer (&keys));
    }
  while ((task = g_queue_pop_head (&d->waiting)) != NULL)
    {
      Request *r = g_task_get_task_data (task);
      g_autoptr(GbaDigestChallenge) challenge = g_steal_pointer (&r->challenge);

      if (g_task_return_error_if_cancelled (task))
        g_object_unref (task);
      else if (error != NULL)
        fail (task, MBMS_KEYMGMT_ERROR_BOOTSTRAP, "no MRK for %s: %s", r->host, error->message);
      else
        answer_challenge (task, g_steal_pointer (&challenge)); /* takes the keys, or again */
    }
  g_object_unref (d->self);
  g_free (d->host);
  g_free (d);
}

/* GBA_U: the card derives the keys of r->host (TS 33.220 5.3.2) in a worker, the main loop
 * going on; a request finding that derivation in flight waits for it. The card is asked under
 * no request's cancellable: what it derived is its new Ks_int_NAF whoever still waits. */
static void
derive_on_card (GTask *task, GbaDigestChallenge *challenge)
{
  MbmsKeymgmt *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  Derivation *d = g_hash_table_lookup (self->deriving, r->host);

  r->challenge = challenge;
  if (d != NULL)
    {
      g_queue_push_tail (&d->waiting, task);
      return;
    }
  d = g_new0 (Derivation, 1);
  d->self = g_object_ref (self);
  d->host = g_strdup (r->host);
  g_queue_init (&d->waiting);
  g_queue_push_tail (&d->waiting, task);
  g_hash_table_insert (self->deriving, d->host, d);
  gba_context_derive_mbms_keys_async (self->context, r->host, NULL, on_keys_derived, d);
}

/* Answer the challenge (taken) with B-TID and base64(MRK) (TS 33.246 6.2.1, Annex H step 4).
 * After a GBA_U derivation it comes here again: the context may have gone meanwhile. */
static void
answer_challenge (GTask *task, GbaDigestChallenge *challenge)
{
  MbmsKeymgmt *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  g_autoptr(GbaDigestChallenge) owned = challenge;
  g_autoptr(GError) error = NULL;
  gsize body_len = 0;
  const guint8 *body = g_bytes_get_data (r->body, &body_len);
  gsize pw_len = 0;
  const guint8 *pw;

  if (self->context == NULL)
    {
      /* forgotten while the request was out (the card removed, a recovery): GBA again */
      ensure_context (task, FALSE);
      return;
    }
  if (r->keys == NULL || g_strcmp0 (r->keys->muk_idr, self->context->btid) != 0)
    {
      GbaMbmsKeys *keys;

      if (self->context->run == GBA_RUN_U)
        {
          GbaMbmsKeys *known = g_hash_table_lookup (self->naf_keys, r->host);

          /* once per Ks and BM-SC: the card takes each NAF derivation as a new MUK and resets
           * its MSK message counter (TS 31.102 7.1.1.6), which would let old MSK messages in */
          if (known == NULL || g_strcmp0 (known->muk_idr, self->context->btid) != 0)
            {
              derive_on_card (task, g_steal_pointer (&owned));
              return;
            }
          keys = keys_copy (known);
        }
      else if ((keys = gba_context_derive_mbms_keys (self->context, r->host, &error)) == NULL)
        {
          fail (task, MBMS_KEYMGMT_ERROR_BOOTSTRAP, "no MRK for %s: %s", r->host, error->message);
          return;
        }
      take_keys (task, keys);
    }
  pw = gba_secret_get_data (r->password, &pw_len);
  g_clear_pointer (&r->sent, gba_digest_authorization_free);
  r->sent = gba_digest_answer (owned, self->context->btid, pw, pw_len, SOUP_METHOD_POST, r->path_query, body,
                               body_len, TRUE, 1);
  send_request (task);
}

static void
on_response (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  Request *r = g_task_get_task_data (task);
  MbmsKeymgmt *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  g_autoptr(GbaDigestChallenge) challenge = NULL;
  MbmsKeymgmtExchange exchange;
  guint status, delay_ms = 0;

  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
        }
      else if (error->domain == G_TLS_ERROR)
        fail (task, MBMS_KEYMGMT_ERROR_TLS, "BM-SC %s: TLS: %s", r->host, error->message);
      else if (r->result->retries_network < KM_MAX_NET_RETRIES)
        {
          /* capped exponential back-off with jitter in [delay/2, delay) */
          guint delay = MIN (KM_NET_CAP_MS, KM_NET_BASE_MS << r->result->retries_network);
          delay = delay / 2 + (guint) (self->clock->random (self->clock) * (delay / 2));
          r->result->retries_network++;
          g_debug ("Ua: %s unreachable (%s), retry %u in %u ms", r->host, error->message,
                   r->result->retries_network, delay);
          retry_after (task, delay);
        }
      else
        fail (task, MBMS_KEYMGMT_ERROR_NETWORK, "BM-SC %s unreachable after %u retries: %s", r->host,
              KM_MAX_NET_RETRIES, error->message);
      return;
    }
  exchange = (MbmsKeymgmtExchange) { .host = r->host, .type = r->type, .sent = r->sent,
                                     .renegotiated = r->renegotiated, .retries_503 = r->result->retries_503 };
  if (r->password != NULL)
    exchange.password = gba_secret_get_data (r->password, &exchange.password_len);
  status = soup_message_get_status (r->msg);
  g_debug ("Ua: %s answered %u", r->host, status);
  switch (mbms_keymgmt_read_response (&exchange, status, soup_message_get_reason_phrase (r->msg),
                                      soup_message_get_response_headers (r->msg), body, &challenge,
                                      &r->result->items, &delay_ms, &error))
    {
    case MBMS_KEYMGMT_NEXT_DONE:
      g_debug ("Ua: %s done with %s, %u items", r->path_query, r->host, r->result->items->len);
      g_task_return_pointer (task, g_steal_pointer (&r->result), (GDestroyNotify) mbms_keymgmt_result_free);
      g_object_unref (task);
      break;
    case MBMS_KEYMGMT_NEXT_ANSWER:
      answer_challenge (task, g_steal_pointer (&challenge));
      break;
    case MBMS_KEYMGMT_NEXT_RENEGOTIATE:
      r->renegotiated = TRUE;
      g_clear_pointer (&r->sent, gba_digest_authorization_free);
      g_debug ("Ua: %s asks for bootstrapping renegotiation", r->host);
      ensure_context (task, TRUE);
      break;
    case MBMS_KEYMGMT_NEXT_RETRY:
      r->result->retries_503++;
      retry_after (task, delay_ms);
      break;
    case MBMS_KEYMGMT_NEXT_FAIL:
    default:
      fail (task, error->code, "%s", error->message);
      break;
    }
}

static void
send_request (GTask *task)
{
  MbmsKeymgmt *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  SoupMessageHeaders *h;

  g_clear_object (&r->msg);
  r->msg = soup_message_new (SOUP_METHOD_POST, r->uri);
  h = soup_message_get_request_headers (r->msg);
  soup_message_headers_replace (h, "Accept", "*/*");
  if (r->sent != NULL)
    {
      g_autofree char *auth = gba_digest_authorization_to_string (r->sent);
      soup_message_headers_replace (h, "Authorization", auth);
    }
  soup_message_set_request_body_from_bytes (r->msg, r->content_type, r->body);
  soup_session_send_and_read_async (self->session, r->msg, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    on_response, task);
}

static void run_bootstrap (MbmsKeymgmt *self);

/* One GBA run at a time, shared by every request that needs a context meanwhile (services
 * registering at start, or recovering together, must not each ask the BSF). The run goes
 * under the cancellable of the first request in line; when that one is cancelled, the run
 * starts again for those still waiting. */
static void
on_bootstrapped (GObject *source, GAsyncResult *res, gpointer user_data)
{
  MbmsKeymgmt *self = user_data;
  g_autoptr(GError) error = NULL;
  GbaContext *context = gba_bootstrapper_run_finish (GBA_BOOTSTRAPPER (source), res, &error);
  GQueue waiting = self->waiting;
  gboolean counted = FALSE;
  GTask *task;

  self->waiting = (GQueue) G_QUEUE_INIT;
  if (context != NULL)
    {
      g_hash_table_remove_all (self->naf_keys); /* of the old Ks */
      g_clear_pointer (&self->context, gba_context_free);
      self->context = context;
      g_signal_emit (self, signals[SIGNAL_BOOTSTRAPPED], 0, context);
    }
  while ((task = g_queue_pop_head (&waiting)) != NULL)
    {
      Request *r = g_task_get_task_data (task);

      if (g_task_return_error_if_cancelled (task))
        g_object_unref (task);
      else if (context != NULL)
        {
          if (!counted)
            r->result->bootstraps++, counted = TRUE;
          send_request (task);
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_queue_push_tail (&self->waiting, task); /* the run of a request cancelled since */
      else
        fail (task, MBMS_KEYMGMT_ERROR_BOOTSTRAP, "%s", error->message);
    }
  if (!g_queue_is_empty (&self->waiting))
    run_bootstrap (self);
  g_object_unref (self);
}

static void
run_bootstrap (MbmsKeymgmt *self)
{
  GTask *head = g_queue_peek_head (&self->waiting);

  gba_bootstrapper_run_async (self->bootstrapper, g_task_get_cancellable (head), on_bootstrapped,
                              g_object_ref (self));
}

/* A valid bootstrapped context first: GBA when there is none, it expired, or the BM-SC asked
 * for renegotiation. */
static void
ensure_context (GTask *task, gboolean renegotiate)
{
  MbmsKeymgmt *self = g_task_get_source_object (task);
  g_autoptr(GDateTime) now = self->clock->now (self->clock);
  gboolean running = !g_queue_is_empty (&self->waiting);

  if (!running && !renegotiate && self->context != NULL && gba_context_is_valid_at (self->context, now))
    {
      send_request (task);
      return;
    }
  /* a run in flight gives a fresh context: renegotiation waits for it too */
  g_queue_push_tail (&self->waiting, task);
  if (!running)
    run_bootstrap (self);
}

static gboolean
on_backoff_done (gpointer user_data)
{
  GTask *task = user_data;
  Request *r = g_task_get_task_data (task);

  r->timer = 0;
  ensure_context (task, FALSE);
  return G_SOURCE_REMOVE;
}

static const char *
request_name (MbmsKeymgmtRequest type, const char **content_type)
{
  switch (type)
    {
    case MBMS_KEYMGMT_DEREGISTER:
      *content_type = MBMS_MEDIA_DEREGISTER;
      return "deregister";
    case MBMS_KEYMGMT_MSK_REQUEST:
      *content_type = MBMS_MEDIA_MSK_REQUEST;
      return "msk-request";
    case MBMS_KEYMGMT_REGISTER:
    default:
      *content_type = MBMS_MEDIA_REGISTER;
      return "register";
    }
}

void
mbms_keymgmt_request_async (MbmsKeymgmt *self, const char *bmsc_uri, MbmsKeymgmtRequest type, GBytes *body,
                            guint backoff_offset_s, guint backoff_period_s, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Request *r = g_new0 (Request, 1);
  g_autoptr(GUri) base = g_uri_parse (bmsc_uri, G_URI_FLAGS_NONE, NULL);
  g_autofree char *trimmed = NULL;
  const char *name;

  g_task_set_task_data (task, r, (GDestroyNotify) request_free);
  r->result = g_new0 (MbmsKeymgmtResult, 1);
  r->body = g_bytes_ref (body);
  if (base == NULL || g_uri_get_host (base) == NULL)
    {
      fail (task, SOUP_STATUS_BAD_REQUEST, "\"%s\" is not a BM-SC URI", bmsc_uri);
      return;
    }
  r->host = g_strdup (g_uri_get_host (base));
  r->type = type;
  name = request_name (type, &r->content_type);
  /* G.2.1-G.2.3: <BM-SC key management URI>/keymanagement?requesttype=<type> */
  trimmed = g_strdup (bmsc_uri);
  while (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';
  r->uri = g_strdup_printf ("%s/keymanagement?requesttype=%s", trimmed, name);
  r->path_query = g_strdup_printf ("/keymanagement?requesttype=%s", name);
  if (backoff_offset_s > 0 || backoff_period_s > 0)
    {
      /* 6.3.2.2.1 / TS 26.346 back-off: offset + uniform random within the period */
      r->result->backoff_ms = backoff_offset_s * 1000
                              + (guint) (self->clock->random (self->clock) * backoff_period_s * 1000);
      r->timer = mbms_clock_add_timeout (self->clock, r->result->backoff_ms, on_backoff_done, task);
      return;
    }
  ensure_context (task, FALSE);
}

MbmsKeymgmtResult *
mbms_keymgmt_request_finish (MbmsKeymgmt *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
