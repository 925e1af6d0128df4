/* The USIM on a real card, over any GbaCardTransport: application selection from EF_DIR
 * (TS 102 221 13.1, TS 31.101 13), the identity files (EF_ICCID, EF_IMSI 4.2.2, EF_AD
 * 4.2.18), the service table (EF_UST 4.2.8: n°68 GBA, n°69 MBMS security), AUTHENTICATE in
 * the 3G, GBA and MBMS security contexts (TS 31.102 7.1) and EF_GBABP (4.2.79).
 *
 * Every card operation runs on one thread of this object's own, so the transport's handles
 * (a PC/SC context, a TTY) belong to one thread and command sequences never interleave. A
 * card that was reset is connected and selected again once, then the command is repeated. */
#include "gba-card.h"

#include <string.h>

#define MAX_EF_SIZE      4096 /* bigger than any file mbmsd reads */
#define MAX_DIR_RECORDS  32
#define JOB_STOP         GINT_TO_POINTER (1)
#define JOB_WAKE         GINT_TO_POINTER (2) /* no job: look at the poll interval again */

struct _GbaUiccCard {
  GbaUicc           parent_instance;
  GbaCardTransport *transport;
  GMainContext     *context;  /* where signals are emitted */
  GThread          *thread;
  GAsyncQueue      *jobs;
  guint             poll_ms;  /* 0: not watching presence */

  /* card thread only */
  gboolean          open;
  guint             channel;
  guint8            aid[GBA_AID_MAX];
  gsize             aid_len;

  GMutex            lock;     /* what other threads read */
  GbaUiccIdentity  *identity;
  GbaUiccCaps       caps;
  gboolean          present;
};

G_DEFINE_FINAL_TYPE (GbaUiccCard, gba_uicc_card, GBA_TYPE_UICC)

enum { SIGNAL_PRESENCE_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- the card thread */

typedef gpointer (*CardOp) (GbaUiccCard *self, gpointer data, GCancellable *cancellable, GError **error);

typedef struct {
  CardOp        op;
  gpointer      data;
  GCancellable *cancellable;
  gpointer      result;
  GError       *error;
  gboolean      done;
  GMutex        mutex;
  GCond         cond;
} CardJob;

static gpointer with_card (GbaUiccCard *self, CardOp op, gpointer data, GCancellable *cancellable,
                           GError **error);

/* Runs op on the card thread and waits for it. */
static gpointer
run_on_card (GbaUiccCard *self, CardOp op, gpointer data, GCancellable *cancellable, GError **error)
{
  CardJob job = { .op = op, .data = data, .cancellable = cancellable };
  gpointer result;

  if (g_thread_self () == self->thread)
    return with_card (self, op, data, cancellable, error);
  g_mutex_init (&job.mutex);
  g_cond_init (&job.cond);
  g_async_queue_push (self->jobs, &job);
  g_mutex_lock (&job.mutex);
  while (!job.done)
    g_cond_wait (&job.cond, &job.mutex);
  g_mutex_unlock (&job.mutex);
  g_mutex_clear (&job.mutex);
  g_cond_clear (&job.cond);
  result = job.result;
  if (job.error != NULL)
    g_propagate_error (error, job.error);
  return result;
}

static gboolean
emit_presence (gpointer data)
{
  GbaUiccCard *self = data;

  g_signal_emit (self, signals[SIGNAL_PRESENCE_CHANGED], 0, gba_uicc_card_is_present (self));
  return G_SOURCE_REMOVE;
}

static void set_closed (GbaUiccCard *self);

static void
set_present (GbaUiccCard *self, gboolean present)
{
  gboolean changed;

  g_mutex_lock (&self->lock);
  changed = self->present != present;
  self->present = present;
  g_mutex_unlock (&self->lock);
  if (!changed)
    return;
  g_message ("card %s", present ? "inserted" : "removed");
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_presence, g_object_ref (self), g_object_unref);
}

static gpointer
card_thread (gpointer data)
{
  GbaUiccCard *self = data;
  GbaCardTransportClass *klass = GBA_CARD_TRANSPORT_GET_CLASS (self->transport);

  for (;;)
    {
      guint poll_ms = g_atomic_int_get (&self->poll_ms);
      gpointer item = poll_ms > 0 ? g_async_queue_timeout_pop (self->jobs, (guint64) poll_ms * 1000)
                                  : g_async_queue_pop (self->jobs);
      CardJob *job = item;

      if (item == JOB_STOP)
        break;
      if (item == JOB_WAKE)
        continue;
      if (job != NULL)
        {
          GError *error = NULL;
          gpointer result = with_card (self, job->op, job->data, job->cancellable, &error);
          g_mutex_lock (&job->mutex);
          job->result = result;
          job->error = error;
          job->done = TRUE;
          g_cond_signal (&job->cond);
          g_mutex_unlock (&job->mutex);
          continue;
        }
      if (klass->wait_presence != NULL)
        {
          gboolean was = gba_uicc_card_is_present (self);
          gboolean now = klass->wait_presence (self->transport, was, 0);

          if (!now && was)
            set_closed (self);
          if (now && !was)
            {
              g_autoptr(GError) error = NULL;
              if (!gba_uicc_card_open (self, NULL, &error))
                g_message ("card inserted but not usable: %s", error->message);
            }
          set_present (self, now);
        }
    }
  return NULL;
}

/* ---------------------------------------------------------------- commands */

/* Sends one command (CLA without channel bits: the transport adds them) and splits the
 * answer; the data (possibly empty) is returned with its status word. */
static GBytes *
command (GbaUiccCard *self, guint channel, guint8 ins, guint8 p1, guint8 p2, const guint8 *data, gsize len, int le,
         guint16 *sw, GCancellable *cancellable, GError **error)
{
  g_autoptr(GBytes) apdu = gba_apdu_build (0x00, ins, p1, p2, data, len, le);
  g_autoptr(GBytes) resp = gba_card_exchange (self->transport, channel, apdu, cancellable, error);
  gsize dlen;

  GBytes *out;

  if (resp == NULL)
    return NULL;
  gba_apdu_split (g_bytes_get_data (resp, NULL), g_bytes_get_size (resp), &dlen, sw);
  out = g_bytes_new (g_bytes_get_data (resp, NULL), dlen);
  gba_card_bytes_wipe (resp);
  return out;
}

static gboolean
select_fid (GbaUiccCard *self, guint channel, guint16 fid, GbaFcp *fcp, const char *what, GCancellable *cancellable,
            GError **error)
{
  guint8 f[2] = { (guint8) (fid >> 8), (guint8) fid };
  guint16 sw;
  /* TS 102 221 11.1.1.2: P1 = 00 select by file identifier, P2 = 04 return the FCP */
  g_autoptr(GBytes) fcp_data = command (self, channel, GBA_APDU_INS_SELECT, 0x00, 0x04, f, 2, 0, &sw, cancellable,
                                        error);

  if (fcp_data == NULL)
    return FALSE;
  if (sw != GBA_SW_OK)
    {
      gba_apdu_set_sw_error (error, what, sw);
      return FALSE;
    }
  if (fcp == NULL)
    return TRUE;
  if (!gba_apdu_parse_fcp (g_bytes_get_data (fcp_data, NULL), g_bytes_get_size (fcp_data), fcp, error))
    {
      g_prefix_error (error, "%s: ", what);
      return FALSE;
    }
  return TRUE;
}

/* READ BINARY of the whole selected EF, 255 bytes at a time (11.1.3). */
static GBytes *
read_binary (GbaUiccCard *self, guint channel, gsize size, const char *what, GCancellable *cancellable, GError **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();

  if (size == 0 || size > MAX_EF_SIZE)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "%s: file size %zu is not 1 to %d", what, size, MAX_EF_SIZE);
      return NULL;
    }
  while (out->len < size)
    {
      gsize off = out->len, n = MIN (size - off, GBA_APDU_MAX_BLOCK);
      guint16 sw;
      g_autoptr(GBytes) part = command (self, channel, GBA_APDU_INS_READ_BINARY, (guint8) (off >> 8), (guint8) off,
                                        NULL, 0, (int) n, &sw, cancellable, error);
      if (part == NULL)
        return NULL;
      if (sw != GBA_SW_OK)
        {
          gba_apdu_set_sw_error (error, what, sw);
          return NULL;
        }
      if (g_bytes_get_size (part) == 0 || g_bytes_get_size (part) > n)
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "%s: READ BINARY answered %zu bytes for %zu", what,
                       g_bytes_get_size (part), n);
          return NULL;
        }
      g_byte_array_append (out, g_bytes_get_data (part, NULL), (guint) g_bytes_get_size (part));
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static GBytes *
read_ef (GbaUiccCard *self, guint channel, guint16 fid, const char *what, GCancellable *cancellable, GError **error)
{
  GbaFcp fcp;

  if (!select_fid (self, channel, fid, &fcp, what, cancellable, error))
    return NULL;
  return read_binary (self, channel, fcp.file_size, what, cancellable, error);
}

/* EF_DIR (TS 102 221 13.1) on the basic channel: the first USIM application. */
static gboolean
find_usim (GbaUiccCard *self, GCancellable *cancellable, GError **error)
{
  GbaFcp fcp;

  if (!select_fid (self, 0, GBA_FID_MF, NULL, "SELECT MF", cancellable, error)
      || !select_fid (self, 0, GBA_FID_EF_DIR, &fcp, "SELECT EF_DIR", cancellable, error))
    return FALSE;
  if (fcp.record_len == 0 || fcp.record_len > GBA_APDU_MAX_BLOCK)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "EF_DIR: record length %zu is not 1 to 255", fcp.record_len);
      return FALSE;
    }
  for (guint rec = 1; rec <= MIN (fcp.n_records, MAX_DIR_RECORDS); rec++)
    {
      guint16 sw;
      /* 11.1.5: P2 = 04 absolute record number */
      g_autoptr(GBytes) r = command (self, 0, GBA_APDU_INS_READ_RECORD, (guint8) rec, 0x04, NULL, 0,
                                     (int) fcp.record_len, &sw, cancellable, error);
      if (r == NULL)
        return FALSE;
      if (sw != GBA_SW_OK)
        continue;
      if (gba_apdu_parse_dir_record (g_bytes_get_data (r, NULL), g_bytes_get_size (r), self->aid, &self->aid_len))
        return TRUE;
    }
  g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "EF_DIR lists no USIM application (AID A0000000871002...)");
  return FALSE;
}

/* VERIFY PIN without data (TS 102 221 11.1.9) tells whether verification is needed without
 * spending a try: 9000 verified or disabled, 63Cx needed with x tries left, 6983 blocked. */
static gboolean
check_pin (GbaUiccCard *self, GCancellable *cancellable, GError **error)
{
  guint16 sw;
  g_autoptr(GBytes) r = command (self, self->channel, GBA_APDU_INS_VERIFY, 0x00, GBA_PIN_KEY_REFERENCE, NULL, 0, -1,
                                 &sw, cancellable, error);

  if (r == NULL)
    return FALSE;
  if (sw == GBA_SW_OK)
    return TRUE;
  if ((sw & 0xFFF0) == 0x63C0)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_LOCKED,
                   "the card wants its PIN (%u tries left); mbmsd never presents one: unlock it first", sw & 0x0F);
      return FALSE;
    }
  if (sw == GBA_SW_PIN_BLOCKED)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_LOCKED, "the card's PIN is blocked (PUK needed)");
      return FALSE;
    }
  g_debug ("card: VERIFY status %04X, going on", sw);
  return TRUE;
}

static gboolean
read_usim (GbaUiccCard *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GbaUiccIdentity) id = g_new0 (GbaUiccIdentity, 1);
  g_autoptr(GBytes) iccid = NULL, imsi = NULL, ad = NULL, ust = NULL;
  GbaUiccCaps caps = GBA_UICC_CAP_NONE;
  const guint8 *u;
  gsize ulen;

  if (!find_usim (self, cancellable, error))
    return FALSE;
  if (!select_fid (self, 0, GBA_FID_MF, NULL, "SELECT MF", cancellable, error)
      || (iccid = read_ef (self, 0, GBA_FID_EF_ICCID, "EF_ICCID", cancellable, error)) == NULL
      || (id->iccid = gba_apdu_decode_iccid (g_bytes_get_data (iccid, NULL), g_bytes_get_size (iccid), error)) == NULL)
    return FALSE;
  if (!GBA_CARD_TRANSPORT_GET_CLASS (self->transport)->open_application (self->transport, self->aid, self->aid_len,
                                                                        &self->channel, cancellable, error))
    return FALSE;
  if (!check_pin (self, cancellable, error)
      || (imsi = read_ef (self, self->channel, GBA_FID_EF_IMSI, "EF_IMSI", cancellable, error)) == NULL
      || (id->imsi = gba_apdu_decode_imsi (g_bytes_get_data (imsi, NULL), g_bytes_get_size (imsi), error)) == NULL
      || (ad = read_ef (self, self->channel, GBA_FID_EF_AD, "EF_AD", cancellable, error)) == NULL
      || !gba_apdu_decode_mnc_len (g_bytes_get_data (ad, NULL), g_bytes_get_size (ad), &id->mnc_len, error)
      || (ust = read_ef (self, self->channel, GBA_FID_EF_UST, "EF_UST", cancellable, error)) == NULL
      || (id->impi = gba_impi_from_imsi (id->imsi, id->mnc_len, error)) == NULL)
    return FALSE;
  u = g_bytes_get_data (ust, &ulen);
  if (gba_apdu_ust_has (u, ulen, GBA_UST_GBA))
    caps |= GBA_UICC_CAP_GBA_U;
  if (gba_apdu_ust_has (u, ulen, GBA_UST_MBMS_SECURITY))
    caps |= GBA_UICC_CAP_MBMS;
  g_debug ("card: USIM on channel %u, ICCID ...%s, services%s%s", self->channel,
           id->iccid + MAX (strlen (id->iccid), 4) - 4, caps & GBA_UICC_CAP_GBA_U ? " n°68 (GBA_U)" : "",
           caps & GBA_UICC_CAP_MBMS ? " n°69 (MBMS security)" : "");
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->identity, gba_uicc_identity_free);
  self->identity = g_steal_pointer (&id);
  self->caps = caps;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
set_closed (GbaUiccCard *self)
{
  if (self->open)
    GBA_CARD_TRANSPORT_GET_CLASS (self->transport)->disconnect (self->transport);
  self->open = FALSE;
  self->channel = 0;
}

/* Card thread: connect and read the USIM unless already done. */
static gboolean
ensure_open (GbaUiccCard *self, GCancellable *cancellable, GError **error)
{
  GbaCardTransportClass *klass = GBA_CARD_TRANSPORT_GET_CLASS (self->transport);
  gboolean ok;

  if (self->open)
    return TRUE;
  if (!klass->connect (self->transport, cancellable, error))
    {
      if (g_error_matches (*error, GBA_ERROR, GBA_ERROR_CARD_ABSENT))
        set_present (self, FALSE);
      return FALSE;
    }
  self->open = TRUE;
  ok = (klass->begin == NULL || klass->begin (self->transport, error)) && read_usim (self, cancellable, error);
  if (klass->end != NULL)
    klass->end (self->transport);
  if (!ok)
    {
      set_closed (self);
      return FALSE;
    }
  set_present (self, TRUE);
  return TRUE;
}

static gpointer
with_card (GbaUiccCard *self, CardOp op, gpointer data, GCancellable *cancellable, GError **error)
{
  GbaCardTransportClass *klass = GBA_CARD_TRANSPORT_GET_CLASS (self->transport);

  for (int attempt = 0;; attempt++)
    {
      GError *local = NULL;
      gpointer result;

      if (!ensure_open (self, cancellable, error))
        return NULL;
      if (op == NULL)
        return GINT_TO_POINTER (TRUE);
      if (klass->begin != NULL && !klass->begin (self->transport, &local))
        result = NULL;
      else
        {
          result = op (self, data, cancellable, &local);
          if (klass->end != NULL)
            klass->end (self->transport);
        }
      if (result != NULL)
        return result;
      if (g_error_matches (local, GBA_ERROR, GBA_ERROR_CARD_RESET) && attempt == 0)
        {
          /* reset (or swapped) under us: connect, select and read the identity again, once */
          g_debug ("card: %s; connecting again", local->message);
          g_clear_error (&local);
          set_closed (self);
          continue;
        }
      if (g_error_matches (local, GBA_ERROR, GBA_ERROR_CARD_ABSENT) || g_error_matches (local, GBA_ERROR, GBA_ERROR_CARD_RESET))
        {
          set_closed (self);
          if (local->code == GBA_ERROR_CARD_ABSENT)
            set_present (self, FALSE);
        }
      g_propagate_error (error, local);
      return NULL;
    }
}

/* ---------------------------------------------------------------- AUTHENTICATE */

typedef struct {
  guint8 rand[GBA_AKA_RAND_LEN];
  guint8 autn[GBA_AKA_AUTN_LEN];
} Challenge;

static GbaAkaResult *
authenticate_even (GbaUiccCard *self, guint8 p2, GBytes *data, gboolean res_only, GCancellable *cancellable,
                   GError **error)
{
  guint16 sw;
  g_autoptr(GBytes) r = command (self, self->channel, GBA_APDU_INS_AUTHENTICATE, 0x00, p2,
                                 g_bytes_get_data (data, NULL), g_bytes_get_size (data), 0, &sw, cancellable, error);
  GbaAkaResult *result;

  if (r == NULL)
    return NULL;
  if (sw == GBA_SW_AUTH_MAC_FAILURE)
    {
      /* 7.1.1.1: AUTN's MAC did not verify: the network is not authentic */
      result = g_new0 (GbaAkaResult, 1);
      result->status = GBA_AKA_MAC_FAILURE;
      return result;
    }
  if (sw != GBA_SW_OK)
    {
      gba_apdu_set_sw_error (error, "AUTHENTICATE", sw);
      return NULL;
    }
  result = res_only ? gba_apdu_parse_gba_bootstrap (g_bytes_get_data (r, NULL), g_bytes_get_size (r), error)
                    : gba_apdu_parse_auth_3g (g_bytes_get_data (r, NULL), g_bytes_get_size (r), error);
  gba_card_bytes_wipe (r); /* RES, CK, IK */
  return result;
}

static gpointer
op_authenticate (GbaUiccCard *self, gpointer data, GCancellable *cancellable, GError **error)
{
  Challenge *c = data;
  guint8 d[2 + 2 * 16];
  g_autoptr(GBytes) cmd = NULL;

  /* 7.1.2.1: L RAND L AUTN */
  d[0] = GBA_AKA_RAND_LEN;
  memcpy (d + 1, c->rand, 16);
  d[17] = GBA_AKA_AUTN_LEN;
  memcpy (d + 18, c->autn, 16);
  cmd = g_bytes_new (d, sizeof d);
  return authenticate_even (self, GBA_APDU_P2_3G_CONTEXT, cmd, FALSE, cancellable, error);
}

static gpointer
op_gba_bootstrap (GbaUiccCard *self, gpointer data, GCancellable *cancellable, GError **error)
{
  Challenge *c = data;
  g_autoptr(GBytes) cmd = gba_apdu_build_gba_bootstrap (c->rand, c->autn);

  return authenticate_even (self, GBA_APDU_P2_GBA_CONTEXT, cmd, TRUE, cancellable, error);
}

typedef struct {
  GBytes     *naf_id;
  const char *impi;
} NafRequest;

static gpointer
op_naf_derive (GbaUiccCard *self, gpointer data, GCancellable *cancellable, GError **error)
{
  NafRequest *req = data;
  g_autoptr(GBytes) cmd = gba_apdu_build_naf_derive (req->naf_id, req->impi, error);
  g_autoptr(GBytes) r = NULL;
  guint16 sw;

  if (cmd == NULL)
    return NULL;
  r = command (self, self->channel, GBA_APDU_INS_AUTHENTICATE, 0x00, GBA_APDU_P2_GBA_CONTEXT,
               g_bytes_get_data (cmd, NULL), g_bytes_get_size (cmd), 0, &sw, cancellable, error);
  if (r == NULL)
    return NULL;
  if (sw != GBA_SW_OK)
    {
      gba_apdu_set_sw_error (error, "AUTHENTICATE (GBA NAF derivation)", sw);
      return NULL;
    }
  {
    GbaSecret *key = gba_apdu_parse_naf_derive (g_bytes_get_data (r, NULL), g_bytes_get_size (r), error);
    gba_card_bytes_wipe (r); /* Ks_ext_NAF */
    return key;
  }
}

typedef struct {
  guint8  mode;
  GBytes *payload;
} MbmsRequest;

/* ODD AUTHENTICATE in the MBMS context: the 53 data object in blocks of up to 255 bytes
 * (first block P1 80, next 00; the card answers 63F1 until it has all, then 62F3), then the
 * response fetched in blocks (first A0, next 20, while the card answers 62F1). TS 31.102
 * 7.1.2 for the contexts, TS 102 221 11.1.16 and its Annex M for the chaining. */
static gpointer
op_mbms (GbaUiccCard *self, gpointer data, GCancellable *cancellable, GError **error)
{
  MbmsRequest *req = data;
  g_autoptr(GBytes) obj = gba_apdu_build_mbms_data (req->mode, g_bytes_get_data (req->payload, NULL),
                                                    g_bytes_get_size (req->payload), error);
  g_autoptr(GByteArray) resp = g_byte_array_new ();
  const guint8 *p;
  gsize left;
  guint16 sw = 0;
  gboolean first = TRUE;

  if (obj == NULL)
    return NULL;
  p = g_bytes_get_data (obj, &left);
  while (left > 0)
    {
      gsize n = MIN (left, GBA_APDU_MAX_BLOCK);
      g_autoptr(GBytes) r = command (self, self->channel, GBA_APDU_INS_AUTHENTICATE_ODD,
                                     first ? GBA_APDU_P1_FIRST_COMMAND_BLOCK : GBA_APDU_P1_NEXT_COMMAND_BLOCK,
                                     GBA_APDU_P2_MBMS_CONTEXT, p, n, -1, &sw, cancellable, error);
      if (r == NULL)
        return NULL;
      p += n, left -= n, first = FALSE;
      if (left > 0 && sw != GBA_SW_MORE_COMMAND_DATA)
        {
          gba_apdu_set_sw_error (error, "AUTHENTICATE (MBMS), a command block", sw);
          return NULL;
        }
    }
  if (sw != GBA_SW_RESPONSE_READY)
    {
      gba_apdu_set_sw_error (error, "AUTHENTICATE (MBMS)", sw);
      return NULL;
    }
  for (first = TRUE;; first = FALSE)
    {
      g_autoptr(GBytes) r = command (self, self->channel, GBA_APDU_INS_AUTHENTICATE_ODD,
                                     first ? GBA_APDU_P1_FIRST_RESPONSE_BLOCK : GBA_APDU_P1_NEXT_RESPONSE_BLOCK,
                                     GBA_APDU_P2_MBMS_CONTEXT, NULL, 0, 0, &sw, cancellable, error);
      if (r == NULL)
        return NULL;
      if (sw != GBA_SW_OK && sw != GBA_SW_MORE_RESPONSE_DATA)
        {
          gba_apdu_set_sw_error (error, "AUTHENTICATE (MBMS), fetching the response", sw);
          return NULL;
        }
      g_byte_array_append (resp, g_bytes_get_data (r, NULL), (guint) g_bytes_get_size (r));
      gba_card_bytes_wipe (r);
      if (resp->len > GBA_CARD_MAX_RESPONSE)
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "AUTHENTICATE (MBMS): response longer than %d bytes",
                       GBA_CARD_MAX_RESPONSE);
          return NULL;
        }
      if (sw == GBA_SW_OK)
        break;
    }
  {
    /* the MTK and salt (MTK generation mode) are key material: the caller wipes its copy */
    GBytes *answer = gba_apdu_parse_mbms_response (resp->data, resp->len, error);
    gba_wipe (resp->data, resp->len);
    return answer;
  }
}

typedef struct {
  const guint8 *rand;
  const char   *btid;
  const char   *lifetime;
} BtidRequest;

static gpointer
op_store_btid (GbaUiccCard *self, gpointer data, GCancellable *cancellable, GError **error)
{
  BtidRequest *req = data;
  g_autoptr(GBytes) current = read_ef (self, self->channel, GBA_FID_EF_GBABP, "EF_GBABP", cancellable, error);
  g_autoptr(GBytes) content = NULL;
  g_autoptr(GByteArray) padded = g_byte_array_new ();
  guint8 card_rand[GBA_AKA_RAND_LEN];
  gsize size;
  guint16 sw;

  if (current == NULL
      || !gba_apdu_parse_gbabp_rand (g_bytes_get_data (current, NULL), g_bytes_get_size (current), card_rand, error))
    return NULL;
  /* 7.1.1.4: the B-TID belongs to the key material of the RAND the card stored; another
   * bootstrapping run since ours means ours is not the card's Ks */
  if (memcmp (card_rand, req->rand, GBA_AKA_RAND_LEN) != 0)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "EF_GBABP holds the RAND of another bootstrapping run");
      return NULL;
    }
  content = gba_apdu_build_gbabp (req->rand, req->btid, req->lifetime, error);
  size = g_bytes_get_size (current);
  if (content == NULL)
    return NULL;
  if (g_bytes_get_size (content) > size)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "EF_GBABP (%zu bytes) cannot hold B-TID and lifetime (%zu)", size,
                   g_bytes_get_size (content));
      return NULL;
    }
  g_byte_array_append (padded, g_bytes_get_data (content, NULL), (guint) g_bytes_get_size (content));
  while (padded->len < size)
    g_byte_array_append (padded, (const guint8 *) "\xFF", 1); /* unused bytes 'FF' */
  for (gsize off = 0; off < size; off += GBA_APDU_MAX_BLOCK)
    {
      gsize n = MIN (size - off, GBA_APDU_MAX_BLOCK);
      g_autoptr(GBytes) r = command (self, self->channel, GBA_APDU_INS_UPDATE_BINARY, (guint8) (off >> 8),
                                     (guint8) off, padded->data + off, n, -1, &sw, cancellable, error);
      if (r == NULL)
        return NULL;
      if (sw != GBA_SW_OK)
        {
          gba_apdu_set_sw_error (error, "UPDATE BINARY EF_GBABP", sw);
          return NULL;
        }
    }
  return GINT_TO_POINTER (TRUE);
}

/* ---------------------------------------------------------------- GbaUicc */

static GbaAkaResult *
card_authenticate (GbaUicc *uicc, const guint8 rand[16], const guint8 autn[16], GCancellable *cancellable,
                   GError **error)
{
  Challenge c;
  GbaAkaResult *r;

  memcpy (c.rand, rand, 16);
  memcpy (c.autn, autn, 16);
  r = run_on_card (GBA_UICC_CARD (uicc), op_authenticate, &c, cancellable, error);
  gba_wipe (&c, sizeof c);
  return r;
}

static GbaAkaResult *
card_gba_bootstrap (GbaUicc *uicc, const guint8 rand[16], const guint8 autn[16], GCancellable *cancellable,
                    GError **error)
{
  Challenge c;
  GbaAkaResult *r;

  if (!gba_uicc_card_open (GBA_UICC_CARD (uicc), cancellable, error))
    return NULL;
  if (!(gba_uicc_get_capabilities (uicc) & GBA_UICC_CAP_GBA_U))
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "the card does not offer GBA (USIM service n°68)");
      return NULL;
    }
  memcpy (c.rand, rand, 16);
  memcpy (c.autn, autn, 16);
  r = run_on_card (GBA_UICC_CARD (uicc), op_gba_bootstrap, &c, cancellable, error);
  gba_wipe (&c, sizeof c);
  return r;
}

static GbaSecret *
card_gba_naf_derive (GbaUicc *uicc, GBytes *naf_id, const char *impi, GCancellable *cancellable, GError **error)
{
  NafRequest req = { naf_id, impi };

  return run_on_card (GBA_UICC_CARD (uicc), op_naf_derive, &req, cancellable, error);
}

static GBytes *
card_mbms_command (GbaUicc *uicc, GbaUiccMbmsMode mode, GBytes *data, GCancellable *cancellable, GError **error)
{
  static const guint8 modes[] = {
    [GBA_UICC_MBMS_MSK_UPDATE] = GBA_APDU_MBMS_MODE_MSK_UPDATE,
    [GBA_UICC_MBMS_MTK_GENERATION] = GBA_APDU_MBMS_MODE_MTK_GENERATION,
    [GBA_UICC_MBMS_MSK_DELETION] = GBA_APDU_MBMS_MODE_MSK_DELETION,
    [GBA_UICC_MBMS_MUK_DELETION] = GBA_APDU_MBMS_MODE_MUK_DELETION,
  };
  MbmsRequest req = { 0, data };

  if ((guint) mode >= G_N_ELEMENTS (modes))
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT, "MBMS mode %d unknown", mode);
      return NULL;
    }
  if (!gba_uicc_card_open (GBA_UICC_CARD (uicc), cancellable, error))
    return NULL;
  if (!(gba_uicc_get_capabilities (uicc) & GBA_UICC_CAP_MBMS))
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "the card does not offer MBMS security (USIM service n°69)");
      return NULL;
    }
  req.mode = modes[mode];
  return run_on_card (GBA_UICC_CARD (uicc), op_mbms, &req, cancellable, error);
}

static gboolean
card_gba_store_btid (GbaUicc *uicc, const guint8 rand[16], const char *btid, const char *lifetime,
                     GCancellable *cancellable, GError **error)
{
  BtidRequest req = { rand, btid, lifetime };

  return run_on_card (GBA_UICC_CARD (uicc), op_store_btid, &req, cancellable, error) != NULL;
}

static GbaUiccIdentity *
copy_identity (const GbaUiccIdentity *id)
{
  GbaUiccIdentity *copy = g_new0 (GbaUiccIdentity, 1);

  copy->imsi = g_strdup (id->imsi);
  copy->iccid = g_strdup (id->iccid);
  copy->impi = g_strdup (id->impi);
  copy->mnc_len = id->mnc_len;
  return copy;
}

static GbaUiccIdentity *
card_read_identity (GbaUicc *uicc, GCancellable *cancellable, GError **error)
{
  GbaUiccCard *self = GBA_UICC_CARD (uicc);
  g_autoptr(GMutexLocker) locker = NULL;

  if (!gba_uicc_card_open (self, cancellable, error))
    return NULL;
  locker = g_mutex_locker_new (&self->lock);
  if (self->identity == NULL)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_ABSENT, "no card");
      return NULL;
    }
  return copy_identity (self->identity);
}

static GbaUiccCaps
card_get_capabilities (GbaUicc *uicc)
{
  GbaUiccCard *self = GBA_UICC_CARD (uicc);
  g_autoptr(GMutexLocker) locker G_GNUC_UNUSED = g_mutex_locker_new (&self->lock);

  return self->caps;
}

gboolean
gba_uicc_card_open (GbaUiccCard *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (GBA_IS_UICC_CARD (self), FALSE);
  return run_on_card (self, NULL, NULL, cancellable, error) != NULL;
}

const char *
gba_uicc_card_get_backend (GbaUiccCard *self)
{
  return gba_card_transport_get_backend (self->transport);
}

void
gba_uicc_card_watch_presence (GbaUiccCard *self, guint poll_ms)
{
  g_atomic_int_set (&self->poll_ms, MAX (poll_ms, 10));
  g_async_queue_push (self->jobs, JOB_WAKE);
}

gboolean
gba_uicc_card_is_present (GbaUiccCard *self)
{
  g_autoptr(GMutexLocker) locker G_GNUC_UNUSED = g_mutex_locker_new (&self->lock);

  return self->present;
}

/* The thread stops in dispose, while the object is still alive for its last signals. */
static void
gba_uicc_card_dispose (GObject *object)
{
  GbaUiccCard *self = GBA_UICC_CARD (object);

  if (self->thread != NULL)
    {
      g_async_queue_push (self->jobs, JOB_STOP);
      g_thread_join (g_steal_pointer (&self->thread));
      set_closed (self);
    }
  G_OBJECT_CLASS (gba_uicc_card_parent_class)->dispose (object);
}

static void
gba_uicc_card_finalize (GObject *object)
{
  GbaUiccCard *self = GBA_UICC_CARD (object);

  g_async_queue_unref (self->jobs);
  g_clear_object (&self->transport);
  g_clear_pointer (&self->identity, gba_uicc_identity_free);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gba_uicc_card_parent_class)->finalize (object);
}

static void
gba_uicc_card_class_init (GbaUiccCardClass *klass)
{
  GbaUiccClass *uicc = GBA_UICC_CLASS (klass);

  uicc->authenticate = card_authenticate;
  uicc->read_identity = card_read_identity;
  uicc->get_capabilities = card_get_capabilities;
  uicc->gba_bootstrap = card_gba_bootstrap;
  uicc->gba_naf_derive = card_gba_naf_derive;
  uicc->mbms_command = card_mbms_command;
  uicc->gba_store_btid = card_gba_store_btid;
  G_OBJECT_CLASS (klass)->dispose = gba_uicc_card_dispose;
  G_OBJECT_CLASS (klass)->finalize = gba_uicc_card_finalize;
  signals[SIGNAL_PRESENCE_CHANGED] = g_signal_new ("presence-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
gba_uicc_card_init (GbaUiccCard *self)
{
  g_mutex_init (&self->lock);
}

GbaUicc *
gba_uicc_card_new (GbaCardTransport *transport)
{
  GbaUiccCard *self = g_object_new (GBA_TYPE_UICC_CARD, NULL);

  self->transport = g_object_ref (transport);
  self->context = g_main_context_ref_thread_default ();
  self->jobs = g_async_queue_new ();
  self->thread = g_thread_new ("mbmsd-card", card_thread, self);
  return GBA_UICC (self);
}
