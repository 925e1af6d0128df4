/* GBA bootstrapping over Ub: HTTP Digest AKA with the BSF, TS 24.109 clause 4 and
 * TS 33.220 4.5.2, RFC 3310. The UE sends its IMPI, answers the AKA challenge with RES
 * (or AUTS on a synchronisation failure, 4.5), checks the BSF's rspauth and keeps
 * Ks = CK || IK in memory with the B-TID and key lifetime (GBA_ME). With GBA_U (TS 33.220
 * 5.3.2, a card with USIM service n°68, when enabled) the card answers the challenge in the
 * GBA security context and keeps Ks; the B-TID and lifetime go into its EF_GBABP. */
#include "config.h"
#include "gba.h"

#include <libsoup/soup.h>
#include <string.h>

#define GBA_UB_USER_AGENT   "mbmsd/" MBMSD_VERSION " 3gpp-gba" /* TS 24.109 4.2: product token */
#define GBA_UB_USER_AGENT_U "mbmsd/" MBMSD_VERSION " 3gpp-gba 3gpp-gba-uicc" /* a GBA_U-aware UICC */
#define GBA_UB_MAX_RESYNCS  2   /* a second AUTS in a row means the BSF cannot resynchronise */
#define GBA_UB_MAX_BODY     (64 * 1024)
#define GBA_UB_NONCE_MIN    (GBA_AKA_RAND_LEN + GBA_AKA_AUTN_LEN) /* RFC 3310 3.2 */

struct _GbaBootstrapper {
  GObject       parent_instance;
  GbaUicc      *uicc;
  char         *bsf_uri;
  SoupSession  *session;
  GbaClockFunc  clock;
  gpointer      clock_data;
  gboolean      gba_u_allowed;
};

G_DEFINE_FINAL_TYPE (GbaBootstrapper, gba_bootstrapper, G_TYPE_OBJECT)

typedef enum {
  SENT_RES,
  SENT_AUTS,
  SENT_MAC_FAILURE,
} SentKind;

typedef struct {
  char                   *impi;
  char                   *uri_path;
  guint                   resyncs;
  GbaDigestChallenge     *challenge;
  guint8                  rand[GBA_AKA_RAND_LEN];
  guint8                  autn[GBA_AKA_AUTN_LEN];
  GbaAkaResult           *aka;
  GbaDigestAuthorization *sent;
  SentKind                sent_kind;
  SoupMessage            *msg;
  gboolean                gba_u;
  GbaContext             *done; /* GBA_U: waiting for EF_GBABP */
} RunData;

static void
run_data_free (RunData *data)
{
  g_free (data->impi);
  g_free (data->uri_path);
  gba_digest_challenge_free (data->challenge);
  gba_aka_result_free (data->aka);
  gba_digest_authorization_free (data->sent);
  g_clear_object (&data->msg);
  gba_context_free (data->done);
  gba_wipe (data->rand, sizeof data->rand);
  g_free (data);
}

static void send_request (GTask *task, const char *authorization);

static void
gba_bootstrapper_finalize (GObject *object)
{
  GbaBootstrapper *self = GBA_BOOTSTRAPPER (object);

  g_clear_object (&self->uicc);
  g_clear_object (&self->session);
  g_free (self->bsf_uri);
  G_OBJECT_CLASS (gba_bootstrapper_parent_class)->finalize (object);
}

static void
gba_bootstrapper_class_init (GbaBootstrapperClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gba_bootstrapper_finalize;
}

static void
gba_bootstrapper_init (GbaBootstrapper *self)
{
}

GbaBootstrapper *
gba_bootstrapper_new (GbaUicc *uicc, const char *bsf_uri, guint timeout_s)
{
  GbaBootstrapper *self = g_object_new (GBA_TYPE_BOOTSTRAPPER, NULL);

  self->uicc = g_object_ref (uicc);
  self->bsf_uri = g_strdup (bsf_uri);
  self->session = soup_session_new_with_options ("user-agent", GBA_UB_USER_AGENT,
                                                 "timeout", timeout_s, "idle-timeout", timeout_s,
                                                 NULL);
  /* We answer the AKA challenge ourselves; libsoup's auth manager must not interfere. */
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_AUTH_MANAGER);
  return self;
}

void
gba_bootstrapper_set_clock (GbaBootstrapper *self, GbaClockFunc clock, gpointer user_data)
{
  self->clock = clock;
  self->clock_data = user_data;
}

static GDateTime *
bootstrapper_now (GbaBootstrapper *self)
{
  return self->clock != NULL ? self->clock (self->clock_data) : g_date_time_new_now_utc ();
}

static void
fail_task (GTask *task, GbaError code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
fail_task (GTask *task, GbaError code, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_task_return_new_error (task, GBA_ERROR, code, "Bootstrapping: %s", msg);
  g_object_unref (task);
}

/* The first WWW-Authenticate that offers Digest AKAv1-MD5 (a BSF may offer several). */
static GbaDigestChallenge *
find_aka_challenge (SoupMessage *msg, GError **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  g_autoptr(GError) last_error = NULL;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_autoptr(GbaDigestChallenge) challenge = NULL;
      g_autoptr(GError) local_error = NULL;

      if (g_ascii_strcasecmp (name, "WWW-Authenticate") != 0)
        continue;
      challenge = gba_digest_challenge_parse (value, &local_error);
      if (challenge == NULL)
        {
          g_clear_error (&last_error);
          last_error = g_steal_pointer (&local_error);
          continue;
        }
      if (challenge->algorithm == GBA_DIGEST_AKAV1_MD5)
        return g_steal_pointer (&challenge);
    }
  if (last_error != NULL)
    g_propagate_error (error, g_steal_pointer (&last_error));
  else
    g_set_error_literal (error, GBA_ERROR, GBA_ERROR_SERVER,
                         "the BSF's 401 carries no Digest AKAv1-MD5 challenge");
  return NULL;
}

static void
on_authenticated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *header = NULL;
  const guint8 *password = NULL;
  gsize password_len = 0;

  g_clear_pointer (&data->aka, gba_aka_result_free);
  data->aka = gba_uicc_authenticate_finish (GBA_UICC (source), result, &error);
  if (data->aka == NULL)
    {
      fail_task (task, GBA_ERROR_UICC, "AUTHENTICATE failed: %s", error->message);
      return;
    }

  /* RFC 3310 3.3: the password is RES; 3.4: with AUTS, or when the network failed
   * authentication, the response is computed with an empty password. */
  switch (data->aka->status)
    {
    case GBA_AKA_OK:
      password = gba_secret_get_data (data->aka->res, &password_len);
      data->sent_kind = SENT_RES;
      break;
    case GBA_AKA_SYNC_FAILURE:
      data->sent_kind = SENT_AUTS;
      g_debug ("Ub: SQN out of range, sending AUTS (resync %u)", data->resyncs + 1);
      break;
    case GBA_AKA_MAC_FAILURE:
    default:
      data->sent_kind = SENT_MAC_FAILURE;
      g_debug ("Ub: AUTN failed the USIM's MAC check");
      break;
    }

  g_clear_pointer (&data->sent, gba_digest_authorization_free);
  data->sent = gba_digest_answer (data->challenge, data->impi, password ? password : (const guint8 *) "",
                                  password_len, "GET", data->uri_path, NULL, 0, TRUE, 1);
  if (data->sent_kind == SENT_AUTS)
    data->sent->auts = g_base64_encode (data->aka->auts, sizeof data->aka->auts);
  header = gba_digest_authorization_to_string (data->sent);
  send_request (task, header);
}

static gboolean
take_challenge (GTask *task, SoupMessage *msg)
{
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree guchar *nonce = NULL;
  gsize nonce_len = 0;

  g_clear_pointer (&data->challenge, gba_digest_challenge_free);
  data->challenge = find_aka_challenge (msg, &error);
  if (data->challenge == NULL)
    {
      fail_task (task, GBA_ERROR_SERVER, "unusable challenge: %s", error->message);
      return FALSE;
    }
  /* nonce = base64(RAND || AUTN || server specific data), RFC 3310 3.2 */
  nonce = g_base64_decode (data->challenge->nonce, &nonce_len);
  if (nonce_len < GBA_UB_NONCE_MIN)
    {
      fail_task (task, GBA_ERROR_SERVER, "the AKA nonce holds %zu octets, RAND || AUTN needs %d",
                 nonce_len, GBA_UB_NONCE_MIN);
      return FALSE;
    }
  memcpy (data->rand, nonce, GBA_AKA_RAND_LEN);
  memcpy (data->autn, nonce + GBA_AKA_RAND_LEN, GBA_AKA_AUTN_LEN);
  if (data->gba_u)
    gba_uicc_gba_bootstrap_async (GBA_BOOTSTRAPPER (g_task_get_source_object (task))->uicc, data->rand,
                                  data->autn, g_task_get_cancellable (task), on_authenticated, task);
  else
    gba_uicc_authenticate_async (GBA_BOOTSTRAPPER (g_task_get_source_object (task))->uicc, data->rand,
                                 data->autn, g_task_get_cancellable (task), on_authenticated, task);
  return TRUE;
}

typedef struct {
  GbaUicc *uicc;
  guint8   rand[GBA_AKA_RAND_LEN];
  char    *btid;
  char    *lifetime;
} BtidJob;

static void
btid_job_free (BtidJob *job)
{
  g_object_unref (job->uicc);
  g_free (job->btid);
  g_free (job->lifetime);
  g_free (job);
}

static void
store_btid_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  BtidJob *job = task_data;
  GError *error = NULL;

  if (gba_uicc_gba_store_btid (job->uicc, job->rand, job->btid, job->lifetime, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_btid_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      fail_task (task, GBA_ERROR_UICC, "GBA_U: cannot write B-TID into EF_GBABP: %s", error->message);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&data->done), (GDestroyNotify) gba_context_free);
  g_object_unref (task);
}

static GDateTime *
local_lifetime (GbaBootstrapper *self, const GbaBootstrapInfo *info)
{
  g_autoptr(GDateTime) now = bootstrapper_now (self);

  /* TS 24.109 C.1: <currenttime> lets the UE judge the validity period when its clock
   * differs from the BSF's: keep the duration, not the absolute time. */
  if (info->current_time != NULL)
    return g_date_time_add (now, g_date_time_difference (info->lifetime, info->current_time));
  return g_date_time_ref (info->lifetime);
}

static void
finish_success (GTask *task, SoupMessage *msg, GBytes *body)
{
  GbaBootstrapper *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  const char *info_header;
  g_autoptr(GbaDigestAuthInfo) auth_info = NULL;
  g_autoptr(GbaBootstrapInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GbaContext) context = NULL;
  gsize body_len = 0;
  const guint8 *body_data = g_bytes_get_data (body, &body_len);
  const guint8 *res;
  gsize res_len;

  /* The BSF proves knowledge of XRES with rspauth over the body (TS 24.109 4.2 step 5). */
  info_header = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                              "Authentication-Info");
  if (info_header == NULL)
    {
      fail_task (task, GBA_ERROR_RSPAUTH, "the BSF's 200 OK has no Authentication-Info");
      return;
    }
  auth_info = gba_digest_auth_info_parse (info_header, &error);
  res = gba_secret_get_data (data->aka->res, &res_len);
  if (auth_info == NULL
      || !gba_digest_verify_auth_info (data->sent, auth_info, res, res_len, body_data, body_len, &error))
    {
      fail_task (task, GBA_ERROR_RSPAUTH, "BSF not authenticated: %s", error->message);
      return;
    }

  info = gba_bootstrap_info_parse ((const char *) body_data, body_len, &error);
  if (info == NULL)
    {
      fail_task (task, GBA_ERROR_PARSE, "%s", error->message);
      return;
    }

  context = g_new0 (GbaContext, 1);
  context->btid = g_strdup (info->btid);
  context->lifetime = local_lifetime (self, info);
  context->impi = g_strdup (data->impi);
  context->run = data->gba_u ? GBA_RUN_U : GBA_RUN_ME;
  memcpy (context->rand, data->rand, sizeof context->rand);
  if (data->gba_u)
    context->uicc = g_object_ref (self->uicc); /* it holds Ks (TS 33.220 5.3.2) */
  else
    context->ks = gba_secret_new_concat (data->aka->ck, data->aka->ik); /* TS 33.220 4.5.2 */

  now = bootstrapper_now (self);
  if (!gba_context_is_valid_at (context, now))
    {
      fail_task (task, GBA_ERROR_EXPIRED, "the BSF issued B-TID %s with a lifetime already past",
                      context->btid);
      return;
    }

  g_debug ("Ub: bootstrapped (%s), B-TID %s", data->gba_u ? "GBA_U" : "GBA_ME", context->btid);
  if (data->gba_u)
    {
      /* TS 31.102 7.1.1.4: the ME updates B-TID (and the key lifetime) in EF_GBABP */
      g_autoptr(GTask) store = g_task_new (self, g_task_get_cancellable (task), on_btid_stored, task);
      BtidJob *job = g_new0 (BtidJob, 1);

      job->uicc = g_object_ref (self->uicc);
      memcpy (job->rand, data->rand, sizeof job->rand);
      job->btid = g_strdup (context->btid);
      job->lifetime = g_date_time_format_iso8601 (info->lifetime);
      data->done = g_steal_pointer (&context);
      g_task_set_task_data (store, job, (GDestroyNotify) btid_job_free);
      g_task_run_in_thread (store, store_btid_thread);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&context), (GDestroyNotify) gba_context_free);
  g_object_unref (task);
}

static void
on_response (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  guint status;

  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        fail_task (task, GBA_ERROR_TIMEOUT, "no answer from the BSF in time");
      else
        fail_task (task, GBA_ERROR_SERVER, "cannot reach the BSF: %s", error->message);
      return;
    }
  if (g_bytes_get_size (body) > GBA_UB_MAX_BODY)
    {
      fail_task (task, GBA_ERROR_SERVER, "the BSF's answer of %zu octets is too large",
                 g_bytes_get_size (body));
      return;
    }

  status = soup_message_get_status (data->msg);
  g_debug ("Ub: BSF answered %u", status);

  if (data->sent == NULL || data->sent_kind == SENT_AUTS)
    {
      /* First request, or after AUTS (TS 24.109 4.5): expect a (fresh) challenge. */
      if (status == SOUP_STATUS_FORBIDDEN)
        fail_task (task, GBA_ERROR_USER_AUTH, "the BSF refused IMPI %s (403)", data->impi);
      else if (status != SOUP_STATUS_UNAUTHORIZED)
        fail_task (task, GBA_ERROR_SERVER, "the BSF answered %u where a 401 challenge was due", status);
      else if (data->sent_kind == SENT_AUTS && ++data->resyncs > GBA_UB_MAX_RESYNCS)
        fail_task (task, GBA_ERROR_SYNC_FAILURE, "SQN still out of range after %u resynchronisations",
                   GBA_UB_MAX_RESYNCS);
      else
        take_challenge (task, data->msg);
      return;
    }
  if (data->sent_kind == SENT_MAC_FAILURE)
    {
      fail_task (task, GBA_ERROR_NETWORK_AUTH,
                 "the BSF failed network authentication (AUTN MAC invalid); nothing stored");
      return;
    }
  if (status == SOUP_STATUS_OK)
    {
      finish_success (task, data->msg, body);
      return;
    }
  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    {
      fail_task (task, GBA_ERROR_USER_AUTH, "the BSF refused our response (%u)", status);
      return;
    }
  fail_task (task, GBA_ERROR_SERVER, "the BSF answered %u %s", status,
             soup_message_get_reason_phrase (data->msg) ? soup_message_get_reason_phrase (data->msg) : "");
}

static void
send_request (GTask *task, const char *authorization)
{
  GbaBootstrapper *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  SoupMessageHeaders *headers;

  g_clear_object (&data->msg);
  data->msg = soup_message_new (SOUP_METHOD_GET, self->bsf_uri);
  headers = soup_message_get_request_headers (data->msg);
  soup_message_headers_replace (headers, "Authorization", authorization);
  soup_message_headers_replace (headers, "Accept", "*/*");
  soup_session_send_and_read_async (self->session, data->msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_response, task);
}

static void
on_identity (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  RunData *data = g_task_get_task_data (task);
  GbaBootstrapper *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaUiccIdentity) identity = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GbaDigestAuthorization) initial = g_new0 (GbaDigestAuthorization, 1);
  g_autofree char *header = NULL;

  if (identity == NULL)
    {
      fail_task (task, GBA_ERROR_UICC, "cannot read the card identity: %s", error->message);
      return;
    }
  if (identity->impi == NULL)
    {
      fail_task (task, GBA_ERROR_UICC, "the card has no IMPI and none could be derived");
      return;
    }
  data->impi = g_strdup (identity->impi);
  /* TS 33.220 5.3.2: GBA_U with a GBA_U-aware UICC (n°68), which the User-Agent tells the BSF
   * (TS 24.109 4.2: product token "3gpp-gba-uicc") */
  data->gba_u = self->gba_u_allowed && (gba_uicc_get_capabilities (self->uicc) & GBA_UICC_CAP_GBA_U);
  soup_session_set_user_agent (self->session, data->gba_u ? GBA_UB_USER_AGENT_U : GBA_UB_USER_AGENT);

  uri = g_uri_parse (self->bsf_uri, G_URI_FLAGS_NONE, &error);
  if (uri == NULL)
    {
      fail_task (task, GBA_ERROR_INVALID_ARGUMENT, "BSF address: %s", error->message);
      return;
    }
  data->uri_path = g_strdup (g_uri_get_path (uri)[0] != '\0' ? g_uri_get_path (uri) : "/");

  /* TS 24.109 4.2 step 1: username = IMPI, realm = BSF host, empty nonce and response. */
  initial->username = g_strdup (data->impi);
  initial->realm = g_strdup (g_uri_get_host (uri));
  initial->nonce = g_strdup ("");
  initial->uri = g_strdup (data->uri_path);
  initial->response = g_strdup ("");
  initial->algorithm = GBA_DIGEST_AKAV1_MD5;
  header = gba_digest_authorization_to_string (initial);
  g_debug ("Ub: bootstrapping %s with %s", data->impi, self->bsf_uri);
  send_request (task, header);
}

static void
read_identity_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GbaUiccIdentity *identity = gba_uicc_read_identity (source, cancellable, &error);

  if (identity == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, identity, (GDestroyNotify) gba_uicc_identity_free);
}

void
gba_bootstrapper_run_async (GbaBootstrapper *self, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) identity_task = NULL;

  g_task_set_task_data (task, g_new0 (RunData, 1), (GDestroyNotify) run_data_free);
  /* A card read may block (PC/SC, AT): off the main loop. */
  identity_task = g_task_new (self->uicc, cancellable, on_identity, task);
  g_task_run_in_thread (identity_task, read_identity_thread);
}

void
gba_bootstrapper_set_gba_u (GbaBootstrapper *self, gboolean allowed)
{
  self->gba_u_allowed = allowed;
}

GbaContext *
gba_bootstrapper_run_finish (GbaBootstrapper *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
