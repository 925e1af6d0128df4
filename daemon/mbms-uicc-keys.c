/* UICC key management: MIKEY messages through the card's MBMS security context (TS 33.246
 * Annex D, TS 31.102 7.1.1.6-7.1.1.10, 7.1.2.5), one command at a time on a worker (which
 * waits for the card's own thread). Key material the card answers (MTK, salt) is wiped once
 * it is in an MgvMtk, and never logged. */
#include "mbms-uicc-keys.h"

#include <string.h>

#define MAX_QUEUED    32 /* commands waiting for the card: a flood beyond is BUSY, not a backlog */
#define MTK_LEN       16 /* 6.4.5.3: the MTK (TEK or TGK) */
#define SALT_LEN      14 /* 6.4.5.3: 112-bit salt for streaming */
#define MUK_ID_MAX    250 /* Idr and Idi each (a B-TID and an FQDN are shorter): the TLV stays below 64 KiB */
#define MTKS_REMEMBERED 8 /* the card's current MTK per MSK, for the same message to other sessions */

struct _MbmsUiccKeys {
  GObject            parent_instance;
  GbaUicc           *uicc;
  MbmsMikeyReceiver *rx;
  MbmsUiccKeysFuncs  funcs;
  gpointer           data;
  GCancellable      *cancellable;
  GQueue             queue; /* Job */
  gboolean           running;
  MbmsUiccMsks      *msks;
  char              *muk_idi, *muk_idr;
  GQueue             answered; /* Answered, newest first: one per MSK, its current MTK */
  gulong             presence_handler;
};

/* The BM-SC sends the same MTK message to each session of a key group (6.3.3.2.2); the card
 * takes it once (a second time its TS is not fresh), so the MTK it answered goes to the other
 * sessions for the very same bytes, which the card verified. */
typedef struct {
  char      *fingerprint;  /* SHA-256 of the MTK message */
  MgvMtk    *mtk;
  GPtrArray *destinations; /* the sessions that have it */
} Answered;

static void
answered_free (Answered *a)
{
  g_free (a->fingerprint);
  mgv_mtk_free (a->mtk);
  g_ptr_array_unref (a->destinations);
  g_free (a);
}

G_DEFINE_FINAL_TYPE (MbmsUiccKeys, mbms_uicc_keys, G_TYPE_OBJECT)

typedef struct {
  GbaUiccMbmsMode  mode;
  GBytes          *command;
  MikeyMessage    *msg;         /* MSK update and MTK generation */
  GSocketAddress  *source;
  char            *destination; /* NULL for the push socket */
  char            *fingerprint; /* MTK generation: SHA-256 of the message */
  guint8           domain[3];   /* MSK deletion */
  guint16          key_group;
} Job;

static void
job_free (Job *job)
{
  g_bytes_unref (job->command);
  g_clear_pointer (&job->msg, mikey_message_free);
  g_clear_object (&job->source);
  g_free (job->destination);
  g_free (job->fingerprint);
  g_free (job);
}

static void
mbms_uicc_keys_dispose (GObject *object)
{
  MbmsUiccKeys *self = MBMS_UICC_KEYS (object);

  mbms_uicc_keys_stop (self);
  g_clear_object (&self->uicc);
  G_OBJECT_CLASS (mbms_uicc_keys_parent_class)->dispose (object);
}

static void
mbms_uicc_keys_finalize (GObject *object)
{
  MbmsUiccKeys *self = MBMS_UICC_KEYS (object);

  g_clear_object (&self->cancellable);
  mbms_uicc_msks_free (self->msks);
  g_free (self->muk_idi);
  g_free (self->muk_idr);
  G_OBJECT_CLASS (mbms_uicc_keys_parent_class)->finalize (object);
}

static void
mbms_uicc_keys_class_init (MbmsUiccKeysClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mbms_uicc_keys_dispose;
  G_OBJECT_CLASS (klass)->finalize = mbms_uicc_keys_finalize;
}

static void
mbms_uicc_keys_init (MbmsUiccKeys *self)
{
  self->cancellable = g_cancellable_new ();
  self->msks = mbms_uicc_msks_new ();
  g_queue_init (&self->queue);
  g_queue_init (&self->answered);
}

/* The card's MTKs handed out without the card are those of MSKs it holds: a copy goes with
 * its MSK (deleted, or 6A 88), the MUK it came under, or the card. */
static void
forget_copies (MbmsUiccKeys *self, const guint8 *domain, gint key_group, gint64 msk_id)
{
  for (GList *l = self->answered.head; l != NULL;)
    {
      GList *next = l->next;
      Answered *a = l->data;
      if ((domain == NULL || memcmp (a->mtk->domain, domain, 3) == 0)
          && (key_group < 0 || MGV_MSK_KEY_GROUP (a->mtk->msk_id) == key_group)
          && (msk_id < 0 || a->mtk->msk_id == msk_id))
        {
          answered_free (a);
          g_queue_delete_link (&self->answered, l);
        }
      l = next;
    }
}

void
mbms_uicc_keys_card_removed (MbmsUiccKeys *self)
{
  forget_copies (self, NULL, -1, -1);
}

static void
on_presence (MbmsUiccKeys *self, gboolean present)
{
  if (!present)
    mbms_uicc_keys_card_removed (self);
}

MbmsUiccKeys *
mbms_uicc_keys_new (GbaUicc *uicc, MbmsMikeyReceiver *rx, const MbmsUiccKeysFuncs *funcs, gpointer data)
{
  MbmsUiccKeys *self = g_object_new (MBMS_TYPE_UICC_KEYS, NULL);

  self->uicc = g_object_ref (uicc);
  self->rx = rx;
  self->funcs = *funcs;
  self->data = data;
  if (GBA_IS_UICC_CARD (uicc))
    self->presence_handler = g_signal_connect_swapped (uicc, "presence-changed", G_CALLBACK (on_presence), self);
  return self;
}

void
mbms_uicc_keys_stop (MbmsUiccKeys *self)
{
  if (self->presence_handler != 0)
    g_clear_signal_handler (&self->presence_handler, self->uicc);
  g_cancellable_cancel (self->cancellable);
  g_queue_clear_full (&self->queue, (GDestroyNotify) job_free);
  g_queue_clear_full (&self->answered, (GDestroyNotify) answered_free);
  self->rx = NULL;
}

void
mbms_uicc_keys_set_muk (MbmsUiccKeys *self, const char *idi, const char *idr)
{
  g_free (self->muk_idi);
  g_free (self->muk_idr);
  self->muk_idi = g_strdup (idi);
  self->muk_idr = g_strdup (idr);
}

MbmsUiccMsks *
mbms_uicc_keys_get_msks (MbmsUiccKeys *self)
{
  return self->msks;
}

MbmsMikeyVerdict
mbms_uicc_keys_verdict_of (const GError *error)
{
  if (error->domain != GBA_ERROR)
    return MBMS_MIKEY_IGNORED;
  switch ((GbaError) error->code)
    {
    case GBA_ERROR_NETWORK_AUTH: /* 98 62: the MAC did not verify */
      return MBMS_MIKEY_NOT_AUTHENTICATED;
    case GBA_ERROR_CARD_KEY_FRESHNESS: /* 98 65: counter or MTK ID not fresh (6.4.3, 6.5.4) */
    case GBA_ERROR_CARD_CONDITIONS:    /* 69 85 to an MTK message: an invalidated MSK (SEQl > SEQu) */
      return MBMS_MIKEY_REPLAY;
    case GBA_ERROR_CARD_NOT_FOUND:     /* 6A 88: no such MSK or MUK on the card */
      return MBMS_MIKEY_UNKNOWN_KEY;
    case GBA_ERROR_PARSE:
      return MBMS_MIKEY_MALFORMED;
    default:                           /* 98 66/67 card full, transport failures: ours, not the sender's */
      return MBMS_MIKEY_IGNORED;
    }
}

static void run_next (MbmsUiccKeys *self);

typedef struct {
  gsize  len;
  guint8 data[];
} Wiped;

static void
wipe_free (gpointer p)
{
  Wiped *w = p;

  gba_wipe (w->data, w->len);
  g_free (w);
}

/* The card's answer (MTK || salt) in memory wiped when freed: a task of a stopped object is
 * freed by GTask, unread (g_task_propagate_pointer returns CANCELLED first). */
static GBytes *
wiping_copy (GBytes *answer)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (answer, &len);
  Wiped *w = g_malloc (sizeof (Wiped) + len);

  w->len = len;
  if (len > 0)
    memcpy (w->data, data, len);
  gba_wipe ((gpointer) data, len); /* the card layer's copy, ours alone */
  g_bytes_unref (answer);
  return g_bytes_new_with_free_func (w->data, len, wipe_free, w);
}

static void
command_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MbmsUiccKeys *self = source;
  Job *job = task_data;
  GError *error = NULL;
  GBytes *answer = gba_uicc_mbms_command (self->uicc, job->mode, job->command, cancellable, &error);

  if (answer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, wiping_copy (answer), (GDestroyNotify) g_bytes_unref);
}

/* The SP payload as MGV-S keeps it (mgv-msk.c): the first policy's parameters. */
static GBytes *
policy_of (const MikeyMessage *msg)
{
  MikeyPolicy *sp = msg->policies->len > 0 ? g_ptr_array_index (msg->policies, 0) : NULL;
  GByteArray *params;

  if (sp == NULL)
    return NULL;
  params = g_byte_array_new ();
  for (guint i = 0; i < sp->params->len; i++)
    {
      MikeySpParamValue *v = g_ptr_array_index (sp->params, i);
      mikey_sp_append (params, v->type, g_bytes_get_data (v->value, NULL), (guint8) g_bytes_get_size (v->value));
    }
  return g_byte_array_free_to_bytes (params);
}

static MbmsMikeyVerdict
msk_done (MbmsUiccKeys *self, Job *job, GBytes *answer, const GError *error)
{
  const MikeyKeyIds *ids = &job->msg->key_ids;
  guint32 msk_id = ids->msk_id;
  guint16 group = MGV_MSK_KEY_GROUP (msk_id);
  gboolean pull = MGV_MSK_KEY_NUMBER (msk_id) == 0;

  if (answer == NULL)
    {
      /* debug, as MGV-F's refusals in the ME: forgeries must not flood the log */
      g_debug ("MSK message for %02x%02x%02x/0x%08x refused by the card: %s", ids->domain[0], ids->domain[1],
               ids->domain[2], msk_id, error->message);
      if (g_error_matches (error, GBA_ERROR, GBA_ERROR_CARD_KEY_FRESHNESS)
          && g_strcmp0 (job->msg->idr, self->muk_idr) != 0)
        /* 6.3.2.3.1: under a MUK older than the last generated one: request the group's MSK
         * (the card answered 98 65; spaced, the message's origin being unproven to us) */
        self->funcs.msk_wanted (ids->domain, group, NULL, self->data);
      else if (g_error_matches (error, GBA_ERROR, GBA_ERROR_CARD_CONDITIONS))
        {
          /* 6.1: the card lacks Ks_int_NAF for the BM-SC (a MUK we lack, as MGV-F in the ME
           * would say); an MSK request derives it again */
          self->funcs.msk_wanted (ids->domain, group, job->msg->idi, self->data);
          return MBMS_MIKEY_UNKNOWN_KEY;
        }
      else if (g_error_matches (error, GBA_ERROR, GBA_ERROR_CARD_NO_MEMORY))
        {
          g_warning ("the card has no room for the MSK or MUK of key group %u (98 66/67)", group);
          self->funcs.card_full (ids->domain, group, self->data);
        }
      return mbms_uicc_keys_verdict_of (error);
    }
  if (g_bytes_get_size (answer) > 0)
    {
      g_autoptr(GError) local = NULL;
      /* 6.4.5.2: the card's verification message goes back as the ME's own would */
      if (job->source == NULL || !mbms_mikey_receiver_reply (self->rx, job->source, answer, &local))
        g_warning ("cannot send the card's MIKEY verification message: %s", local ? local->message : "no source");
    }
  if (!pull)
    {
      g_autoptr(GBytes) policy = policy_of (job->msg);
      mbms_uicc_msks_add (self->msks, ids->domain, msk_id, job->msg->rand, policy);
      g_message ("MSK 0x%08x stored on the card", msk_id);
    }
  else
    g_message ("BM-SC asks us to fetch the MSKs of key group %u (checked by the card)", group);
  self->funcs.msk_taken (ids->domain, msk_id, pull, self->data);
  return MBMS_MIKEY_ACCEPTED;
}

/* MTK (and salt) from the card as MGV-F's output: TS 31.102 7.1.2.5 answers MTK || salt for
 * streaming (TEK+salt, 6.4.5.3) and the MTK alone for download (TGK). */
static MgvMtk *
mtk_of (MbmsUiccKeys *self, const MikeyMessage *msg, GBytes *answer, GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (answer, &len);
  g_autoptr(MgvMtk) mtk = g_new0 (MgvMtk, 1);

  memcpy (mtk->domain, msg->key_ids.domain, 3);
  mtk->msk_id = msg->key_ids.msk_id;
  mtk->mtk_id = msg->key_ids.mtk_id;
  if (len == MTK_LEN + SALT_LEN)
    {
      mtk->mtk = gba_secret_new (data, MTK_LEN);
      mtk->salt = gba_secret_new (data + MTK_LEN, SALT_LEN);
    }
  else if (len == MTK_LEN)
    {
      g_autoptr(GBytes) rand = mbms_uicc_msks_get_rand (self->msks, mtk->domain, mtk->msk_id);
      if (rand == NULL)
        {
          g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_NOT_FOUND,
                       "download MTK under MSK 0x%08x, whose MIKEY RAND this run has not seen", mtk->msk_id);
          return NULL;
        }
      mtk->mtk = gba_secret_new (data, MTK_LEN);
      mgv_mtk_derive_download_keys (mtk, msg->csb_id, rand); /* as MGV-F in the ME */
    }
  else
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "the card's MTK answer has %zu octets, not 16 or 30", len);
      return NULL;
    }
  return g_steal_pointer (&mtk);
}

/* The current MTK of its MSK, replacing the one before (an older MTK message is no longer
 * handed out). */
static void
remember (MbmsUiccKeys *self, const Job *job, const MgvMtk *mtk)
{
  Answered *a;

  forget_copies (self, mtk->domain, -1, mtk->msk_id);
  a = g_new0 (Answered, 1);
  a->fingerprint = g_strdup (job->fingerprint);
  a->mtk = mgv_mtk_copy (mtk);
  a->destinations = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (a->destinations, g_strdup (job->destination));
  g_queue_push_head (&self->answered, a);
  while (g_queue_get_length (&self->answered) > MTKS_REMEMBERED)
    answered_free (g_queue_pop_tail (&self->answered));
}

static MbmsMikeyVerdict
mtk_done (MbmsUiccKeys *self, Job *job, GBytes *answer, const GError *card_error)
{
  const MikeyKeyIds *ids = &job->msg->key_ids;
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvMtk) mtk = NULL;

  if (answer != NULL)
    mtk = mtk_of (self, job->msg, answer, &error); /* the answer is wiped when freed */
  else
    error = g_error_copy (card_error);
  if (mtk == NULL)
    {
      g_debug ("MTK message for MSK 0x%08x refused by the card: %s", ids->msk_id, error->message);
      if (g_error_matches (error, GBA_ERROR, GBA_ERROR_CARD_NOT_FOUND))
        {
          mbms_uicc_msks_forget (self->msks, ids->domain, ids->msk_id);
          forget_copies (self, ids->domain, -1, ids->msk_id);
        }
      self->funcs.mtk_done (job->destination, ids, NULL, error, self->data);
      return mbms_uicc_keys_verdict_of (error);
    }
  g_debug ("MTK %u of MSK 0x%08x on %s from the card", mtk->mtk_id, mtk->msk_id, job->destination);
  remember (self, job, mtk);
  self->funcs.mtk_done (job->destination, ids, mtk, NULL, self->data);
  return MBMS_MIKEY_ACCEPTED;
}

/* The card's answer to this very message for another session, or NULL; only while the ME
 * counts the MSK on the card (not after its deletion or a 6A 88). */
static Answered *
answered_for (MbmsUiccKeys *self, const Job *job)
{
  for (GList *l = self->answered.head; l != NULL && job->fingerprint != NULL; l = l->next)
    {
      Answered *a = l->data;
      if (g_strcmp0 (a->fingerprint, job->fingerprint) == 0
          && mbms_uicc_msks_holds (self->msks, a->mtk->domain, a->mtk->msk_id))
        {
          for (guint i = 0; i < a->destinations->len; i++)
            if (g_strcmp0 (g_ptr_array_index (a->destinations, i), job->destination) == 0)
              return NULL; /* a repeat to a session that has it: the card judges it (a replay) */
          return a;
        }
    }
  return NULL;
}

static void
on_command_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  MbmsUiccKeys *self = MBMS_UICC_KEYS (source);
  Job *job = g_task_get_task_data (G_TASK (res));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = g_task_propagate_pointer (G_TASK (res), &error);
  MbmsMikeyVerdict verdict = MBMS_MIKEY_IGNORED;

  if (g_cancellable_is_cancelled (self->cancellable))
    return; /* stopped: the owner and the receiver may be gone (the answer wipes itself) */
  self->running = FALSE;
  switch (job->mode)
    {
    case GBA_UICC_MBMS_MSK_UPDATE:
      verdict = msk_done (self, job, answer, error);
      break;
    case GBA_UICC_MBMS_MTK_GENERATION:
      verdict = mtk_done (self, job, answer, error);
      break;
    case GBA_UICC_MBMS_MSK_DELETION:
      if (answer == NULL && !g_error_matches (error, GBA_ERROR, GBA_ERROR_CARD_NOT_FOUND))
        g_warning ("MSK deletion of key group %u on the card: %s", job->key_group, error->message);
      else
        g_message ("MSKs of key group %u deleted on the card", job->key_group);
      break;
    case GBA_UICC_MBMS_MUK_DELETION:
      if (answer == NULL && !g_error_matches (error, GBA_ERROR, GBA_ERROR_CARD_NOT_FOUND))
        g_warning ("MUK deletion on the card: %s", error->message);
      else
        g_message ("MUK deleted on the card");
      break;
    }
  if (job->msg != NULL && self->rx != NULL)
    mbms_mikey_receiver_report (self->rx, job->destination, job->source, verdict);
  run_next (self);
}

static void
run_next (MbmsUiccKeys *self)
{
  g_autoptr(GTask) task = NULL;
  Job *job = NULL;

  while (!self->running && (job = g_queue_pop_head (&self->queue)) != NULL)
    {
      Answered *a = job->mode == GBA_UICC_MBMS_MTK_GENERATION ? answered_for (self, job) : NULL;

      if (a == NULL)
        break;
      /* the same MTK message for another session: the card's answer to it, without the card */
      g_debug ("MTK %u of MSK 0x%08x on %s: the card's answer for %s", a->mtk->mtk_id, a->mtk->msk_id,
               job->destination, (const char *) g_ptr_array_index (a->destinations, 0));
      g_ptr_array_add (a->destinations, g_strdup (job->destination));
      self->funcs.mtk_done (job->destination, &job->msg->key_ids, a->mtk, NULL, self->data);
      if (self->rx != NULL)
        mbms_mikey_receiver_report (self->rx, job->destination, job->source, MBMS_MIKEY_ACCEPTED_COPY);
      job_free (job);
    }
  if (self->running || job == NULL)
    return;
  self->running = TRUE;
  task = g_task_new (self, self->cancellable, on_command_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, command_thread);
}

static gboolean
enqueue (MbmsUiccKeys *self, Job *job)
{
  if (g_queue_get_length (&self->queue) >= MAX_QUEUED)
    {
      job_free (job);
      return FALSE;
    }
  g_queue_push_tail (&self->queue, job);
  run_next (self);
  return TRUE;
}

MbmsMikeyVerdict
mbms_uicc_keys_submit (MbmsUiccKeys *self, GBytes *datagram, const MikeyMessage *msg, GSocketAddress *source,
                       const char *destination)
{
  Job *job;

  if (!msg->has_key_ids || !msg->key_ids.has_domain || msg->key_ids.n_msk_ids != 1)
    return MBMS_MIKEY_MALFORMED; /* 6.4.4: a Key Domain ID and one MSK ID */
  if (msg->key_ids.has_mtk_id && destination == NULL)
    return MBMS_MIKEY_IGNORED; /* MTK messages come on the session's destination */
  job = g_new0 (Job, 1);
  job->mode = msg->key_ids.has_mtk_id ? GBA_UICC_MBMS_MTK_GENERATION : GBA_UICC_MBMS_MSK_UPDATE;
  job->command = g_bytes_ref (datagram);
  job->msg = mikey_message_parse (datagram, NULL);
  job->source = source != NULL ? g_object_ref (source) : NULL;
  job->destination = g_strdup (destination);
  if (job->mode == GBA_UICC_MBMS_MTK_GENERATION)
    job->fingerprint = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, datagram);
  if (job->msg == NULL)
    {
      job_free (job);
      return MBMS_MIKEY_MALFORMED;
    }
  return enqueue (self, job) ? MBMS_MIKEY_PENDING : MBMS_MIKEY_BUSY;
}

void
mbms_uicc_keys_delete_group (MbmsUiccKeys *self, const guint8 domain[3], guint16 key_group)
{
  Job *job = g_new0 (Job, 1);
  guint8 data[5] = { domain[0], domain[1], domain[2], key_group >> 8, key_group & 0xff };

  /* 7.1.1.9 / 7.1.2.5: Key Domain ID (3) || Key Group (2) */
  job->mode = GBA_UICC_MBMS_MSK_DELETION;
  job->command = g_bytes_new (data, sizeof data);
  memcpy (job->domain, domain, 3);
  job->key_group = key_group;
  mbms_uicc_msks_forget_group (self->msks, domain, key_group);
  forget_copies (self, domain, key_group, -1);
  if (!enqueue (self, job))
    g_warning ("MSK deletion of key group %u not sent: the card is busy", key_group);
}

/* BER-TLV lengths (TS 31.102 7.1.2.5 refers to ISO/IEC 8825-1 8.1.3): one octet below 0x80,
 * 81 xx up to 255, 82 hh ll up to 65535 (len is bounded by MUK_ID_MAX). */
static void
append_tlv (GByteArray *out, guint8 tag, const guint8 *value, gsize len)
{
  guint8 head[4] = { tag };
  guint n;

  g_assert (len <= 0xffff);
  if (len < 0x80)
    {
      head[1] = (guint8) len;
      n = 2;
    }
  else if (len <= 0xff)
    {
      head[1] = 0x81;
      head[2] = (guint8) len;
      n = 3;
    }
  else
    {
      head[1] = 0x82;
      head[2] = (guint8) (len >> 8);
      head[3] = (guint8) (len & 0xff);
      n = 4;
    }
  g_byte_array_append (out, head, n);
  g_byte_array_append (out, value, (guint) len);
}

void
mbms_uicc_keys_delete_muk (MbmsUiccKeys *self, const char *idi, const char *idr)
{
  g_autoptr(GByteArray) inner = g_byte_array_new ();
  GByteArray *data = g_byte_array_new ();
  Job *job;

  if (strlen (idi) > MUK_ID_MAX || strlen (idr) > MUK_ID_MAX)
    {
      g_byte_array_unref (data);
      return;
    }
  /* 7.1.1.10, 4.2.81: 'A0' { '80' Idr, '82' Idi } */
  append_tlv (inner, 0x80, (const guint8 *) idr, strlen (idr));
  append_tlv (inner, 0x82, (const guint8 *) idi, strlen (idi));
  append_tlv (data, 0xA0, inner->data, inner->len);
  forget_copies (self, NULL, -1, -1); /* MTKs under MSKs that came with this MUK */
  job = g_new0 (Job, 1);
  job->mode = GBA_UICC_MBMS_MUK_DELETION;
  job->command = g_byte_array_free_to_bytes (data);
  if (!enqueue (self, job))
    g_warning ("MUK deletion not sent: the card is busy");
}
