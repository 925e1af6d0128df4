/* The software USIM: Milenage (TS 35.206) with K and OPc, and the sequence number handling of
 * TS 33.102 Annex C: SQN = SEQ || IND (5-bit IND, an array of 32 SEQ values), a fresh SEQ
 * must exceed the one stored for its IND and lie within DELTA of the highest accepted;
 * otherwise the USIM answers AUTS carrying SQN_MS, the highest SQN it accepted (6.3.5).
 * The SQN state is persisted before RES leaves the card, so a crash cannot replay a vector. */
#include "gba.h"
#include "mbms-fileio.h"

#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <string.h>

#define SOFT_IND_BITS      5                  /* TS 33.102 C.3.2 example: IND of 5 bits */
#define SOFT_IND_COUNT     (1u << SOFT_IND_BITS)
#define SOFT_DELTA         (G_GUINT64_CONSTANT (1) << 28) /* C.2.2: limit on SEQ jumps */
#define SOFT_SQN_MAX       G_GUINT64_CONSTANT (0xffffffffffff)
#define SOFT_STATE_GROUP   "usim-state"
#define SOFT_STATE_VERSION 1
#define SOFT_STATE_MAX_LEN 4096 /* version, sqn-ms and 32 values of 15 digits */

struct _GbaUiccSoft {
  GbaUicc  parent_instance;
  GMutex   lock;         /* authenticate runs in worker threads */
  char    *imsi;
  char    *iccid;
  guint    mnc_len;
  guint8   k[16];
  guint8   opc[16];
  guint8   amf[2];
  char    *sqn_path;
  guint64  sqn_ms;       /* highest accepted SQN */
  guint64  seq[SOFT_IND_COUNT];
};

G_DEFINE_FINAL_TYPE (GbaUiccSoft, gba_uicc_soft, GBA_TYPE_UICC)

static gboolean
save_state (GbaUiccSoft *self, guint64 sqn_ms, const guint64 *seq, GError **error)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GError) local = NULL;

  if (self->sqn_path == NULL)
    return TRUE;
  g_string_append_printf (s, "[" SOFT_STATE_GROUP "]\nversion=%d\nsqn-ms=%" G_GUINT64_FORMAT "\nseq=",
                          SOFT_STATE_VERSION, sqn_ms);
  for (guint i = 0; i < SOFT_IND_COUNT; i++)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT, i ? ";" : "", seq[i]);
  g_string_append_c (s, '\n');
  if (!g_file_set_contents_full (self->sqn_path, s->str, (gssize) s->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600, &local))
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_STORAGE, "USIM: cannot write SQN state %s: %s", self->sqn_path,
                   local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
state_corrupt (GbaUiccSoft *self, const char *field, GError **error)
{
  g_set_error (error, GBA_ERROR, GBA_ERROR_STORAGE,
               "USIM: SQN state %s is corrupt (%s); refusing to guess (remove it to start from SQN 0)",
               self->sqn_path, field);
  return FALSE;
}

/* A corrupt state file is an error, never a silent reset: a reset would let the network's
 * old vectors be answered again. */
static gboolean
load_state (GbaUiccSoft *self, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *seq = NULL;
  g_autofree char *sqn_ms = NULL;
  g_autofree char *version = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;

  if (self->sqn_path == NULL)
    return TRUE;
  text = mbms_fileio_read (self->sqn_path, SOFT_STATE_MAX_LEN, MBMS_FILEIO_NO_LINKS, &len, &local);
  if (text == NULL && g_error_matches (local, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_NOT_FOUND))
    return TRUE; /* a fresh card */
  if (text == NULL || !g_key_file_load_from_data (kf, text, len, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_STORAGE, "USIM: SQN state %s is unreadable: %s", self->sqn_path,
                   local->message);
      return FALSE;
    }
  version = g_key_file_get_string (kf, SOFT_STATE_GROUP, "version", NULL);
  seq = g_key_file_get_string (kf, SOFT_STATE_GROUP, "seq", NULL);
  sqn_ms = g_key_file_get_string (kf, SOFT_STATE_GROUP, "sqn-ms", NULL);
  parts = seq != NULL ? g_strsplit (seq, ";", -1) : NULL;
  if (version == NULL || g_strcmp0 (g_strstrip (version), G_STRINGIFY (SOFT_STATE_VERSION)) != 0)
    return state_corrupt (self, "version is not " G_STRINGIFY (SOFT_STATE_VERSION), error);
  if (sqn_ms == NULL || !g_ascii_string_to_unsigned (sqn_ms, 10, 0, SOFT_SQN_MAX, &self->sqn_ms, NULL))
    return state_corrupt (self, "sqn-ms is not a 48-bit number", error);
  if (parts == NULL || g_strv_length (parts) != SOFT_IND_COUNT)
    return state_corrupt (self, "seq does not hold 32 values", error);
  for (guint i = 0; i < SOFT_IND_COUNT; i++)
    if (!g_ascii_string_to_unsigned (parts[i], 10, 0, SOFT_SQN_MAX >> SOFT_IND_BITS, &self->seq[i], NULL))
      return state_corrupt (self, "seq holds a value that is not a 43-bit number", error);
  return TRUE;
}

/* TS 33.102 C.2.2: is SQN fresh for the stored array? */
static gboolean
sqn_acceptable (GbaUiccSoft *self, guint64 sqn)
{
  guint64 seq = sqn >> SOFT_IND_BITS;
  guint ind = (guint) (sqn & (SOFT_IND_COUNT - 1));
  guint64 seq_ms = self->sqn_ms >> SOFT_IND_BITS;

  return seq > self->seq[ind] && (seq <= seq_ms || seq - seq_ms <= SOFT_DELTA);
}

/* AUTS = (SQN_MS XOR AK*) || MAC-S, MAC-S = f1* over SQN_MS with AMF* = 0000 (TS 33.102
 * 6.3.3; SQN_MS is the highest SQN this USIM accepted, Annex C). Called with the lock held. */
static void
build_auts (GbaUiccSoft *self, const guint8 rand[16], const guint8 ak_star[6], guint8 auts[GBA_AKA_AUTS_LEN])
{
  static const guint8 amf_resync[GBA_AKA_AMF_LEN] = { 0, 0 };
  guint8 sqn_ms[GBA_AKA_SQN_LEN], mac_s[8];

  gba_sqn_from_u64 (self->sqn_ms, sqn_ms);
  gba_milenage_f1 (self->k, self->opc, rand, sqn_ms, amf_resync, NULL, mac_s);
  for (int i = 0; i < GBA_AKA_SQN_LEN; i++)
    auts[i] = sqn_ms[i] ^ ak_star[i];
  memcpy (auts + GBA_AKA_SQN_LEN, mac_s, sizeof mac_s);
  gba_wipe (sqn_ms, sizeof sqn_ms);
  gba_wipe (mac_s, sizeof mac_s);
}

/* Accept SQN: store it durably first, then in memory, so a crash between the two can never
 * let the same challenge be answered twice. Called with the lock held. */
static gboolean
accept_sqn (GbaUiccSoft *self, guint64 sqn, GError **error)
{
  guint64 seq[SOFT_IND_COUNT];
  guint64 new_ms = MAX (self->sqn_ms, sqn);

  memcpy (seq, self->seq, sizeof seq);
  seq[sqn & (SOFT_IND_COUNT - 1)] = sqn >> SOFT_IND_BITS;
  if (!save_state (self, new_ms, seq, error))
    return FALSE;
  memcpy (self->seq, seq, sizeof seq);
  self->sqn_ms = new_ms;
  return TRUE;
}

/* TS 33.102 6.3.3: MAC-A first (with the AMF the network sent), then SQN freshness. */
static GbaAkaResult *
soft_authenticate (GbaUicc *uicc, const guint8 rand[16], const guint8 autn[16], GCancellable *cancellable,
                   GError **error)
{
  GbaUiccSoft *self = GBA_UICC_SOFT (uicc);
  g_autoptr(GbaAkaResult) result = g_new0 (GbaAkaResult, 1);
  g_autoptr(GMutexLocker) locker G_GNUC_UNUSED = g_mutex_locker_new (&self->lock);
  guint8 res[8], ck[16], ik[16], ak[6], ak_star[6], sqn[6], xmac[8];
  guint64 sqn_value;

  gba_milenage_f2345 (self->k, self->opc, rand, res, ck, ik, ak, ak_star);
  for (int i = 0; i < GBA_AKA_SQN_LEN; i++)
    sqn[i] = autn[i] ^ ak[i];
  gba_milenage_f1 (self->k, self->opc, rand, sqn, autn + GBA_AKA_SQN_LEN, xmac, NULL);
  sqn_value = gba_sqn_to_u64 (sqn);
  if (CRYPTO_memcmp (xmac, autn + GBA_AKA_SQN_LEN + GBA_AKA_AMF_LEN, sizeof xmac) != 0)
    {
      result->status = GBA_AKA_MAC_FAILURE;
      g_debug ("USIM: AUTN MAC failure");
    }
  else if (!sqn_acceptable (self, sqn_value))
    {
      build_auts (self, rand, ak_star, result->auts);
      result->status = GBA_AKA_SYNC_FAILURE;
      g_debug ("USIM: SQN out of range, answering AUTS");
    }
  else if (!accept_sqn (self, sqn_value, error))
    g_clear_pointer (&result, gba_aka_result_free); /* no RES without a durable SQN */
  else
    {
      result->status = GBA_AKA_OK;
      result->res = gba_secret_new (res, sizeof res);
      result->ck = gba_secret_new (ck, sizeof ck);
      result->ik = gba_secret_new (ik, sizeof ik);
    }
  gba_wipe (res, sizeof res);
  gba_wipe (ck, sizeof ck);
  gba_wipe (ik, sizeof ik);
  gba_wipe (ak, sizeof ak);
  gba_wipe (ak_star, sizeof ak_star);
  gba_wipe (sqn, sizeof sqn);
  gba_wipe (xmac, sizeof xmac);
  return g_steal_pointer (&result);
}

static GbaUiccIdentity *
soft_read_identity (GbaUicc *uicc, GCancellable *cancellable, GError **error)
{
  GbaUiccSoft *self = GBA_UICC_SOFT (uicc);
  g_autoptr(GbaUiccIdentity) id = g_new0 (GbaUiccIdentity, 1);

  id->imsi = g_strdup (self->imsi);
  id->iccid = g_strdup (self->iccid);
  id->mnc_len = self->mnc_len;
  id->impi = gba_impi_from_imsi (self->imsi, self->mnc_len, error);
  return id->impi != NULL ? g_steal_pointer (&id) : NULL;
}

static GbaUiccCaps
soft_get_capabilities (GbaUicc *uicc)
{
  return GBA_UICC_CAP_NONE; /* GBA_ME only: no GBA_U, no MGV-F on the card */
}

static void
gba_uicc_soft_finalize (GObject *object)
{
  GbaUiccSoft *self = GBA_UICC_SOFT (object);

  gba_wipe (self->k, sizeof self->k);
  gba_wipe (self->opc, sizeof self->opc);
  g_free (self->imsi);
  g_free (self->iccid);
  g_free (self->sqn_path);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gba_uicc_soft_parent_class)->finalize (object);
}

static void
gba_uicc_soft_class_init (GbaUiccSoftClass *klass)
{
  GBA_UICC_CLASS (klass)->authenticate = soft_authenticate;
  GBA_UICC_CLASS (klass)->read_identity = soft_read_identity;
  GBA_UICC_CLASS (klass)->get_capabilities = soft_get_capabilities;
  G_OBJECT_CLASS (klass)->finalize = gba_uicc_soft_finalize;
}

static void
gba_uicc_soft_init (GbaUiccSoft *self)
{
  g_mutex_init (&self->lock);
}

GbaUicc *
gba_uicc_soft_new (const GbaUiccSoftParams *params, GError **error)
{
  g_autoptr(GbaUiccSoft) self = NULL;
  g_autofree char *impi = gba_impi_from_imsi (params->imsi, params->mnc_len, error);

  if (impi == NULL)
    return NULL;
  if (params->iccid != NULL && (strlen (params->iccid) < 10 || strlen (params->iccid) > 20
                                || strspn (params->iccid, "0123456789") != strlen (params->iccid)))
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_INVALID_ARGUMENT, "ICCID \"%s\" is not 10 to 20 digits",
                   params->iccid);
      return NULL;
    }
  self = g_object_new (GBA_TYPE_UICC_SOFT, NULL);
  self->imsi = g_strdup (params->imsi);
  self->iccid = g_strdup (params->iccid);
  self->mnc_len = params->mnc_len;
  memcpy (self->k, params->k, 16);
  memcpy (self->opc, params->opc, 16);
  memcpy (self->amf, params->amf, 2);
  self->sqn_path = g_strdup (params->sqn_path);
  if (!load_state (self, error))
    return NULL;
  return GBA_UICC (g_steal_pointer (&self));
}

guint64
gba_uicc_soft_get_sqn_ms (GbaUiccSoft *self)
{
  g_autoptr(GMutexLocker) locker G_GNUC_UNUSED = g_mutex_locker_new (&self->lock);

  return self->sqn_ms;
}

/* Reads key=hex of exactly len octets; the error names the key, never the value. */
static gboolean
key_file_hex (GKeyFile *kf, const char *group, const char *key, guint8 *out, gsize len, GError **error)
{
  g_autofree char *hex = g_key_file_get_string (kf, group, key, NULL);
  gboolean ok = hex != NULL && gba_hex_to_buf (g_strstrip (hex), out, len);

  if (hex != NULL)
    gba_wipe (hex, strlen (hex));
  if (!ok && hex == NULL)
    g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "USIM [%s] %s: missing", group, key);
  else if (!ok)
    g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "USIM [%s] %s: expected %zu hex digits", group, key, len * 2);
  return ok;
}

/* mnc-length: 2 or 3, the MNC length EF_AD gives a real card (TS 31.102 4.2.18); absent
 * means 2, as before. */
static gboolean
key_file_mnc_len (GKeyFile *kf, const char *group, guint *mnc_len, GError **error)
{
  g_autofree char *text = g_key_file_get_string (kf, group, "mnc-length", NULL);
  guint64 value = 2;

  if (text != NULL && !g_ascii_string_to_unsigned (g_strstrip (text), 10, 2, 3, &value, NULL))
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "USIM [%s] mnc-length: \"%s\" is not 2 or 3", group, text);
      return FALSE;
    }
  *mnc_len = (guint) value;
  return TRUE;
}

GbaUicc *
gba_uicc_soft_new_from_key_file (GKeyFile *kf, const char *group, const char *default_sqn_path, GError **error)
{
  GbaUiccSoftParams p = { 0 };
  g_autofree char *imsi = g_key_file_get_string (kf, group, "imsi", NULL);
  g_autofree char *iccid = g_key_file_get_string (kf, group, "iccid", NULL);
  g_autofree char *sqn_file = g_key_file_get_string (kf, group, "sqn-file", NULL);
  gboolean has_op = g_key_file_has_key (kf, group, "op", NULL);
  gboolean has_opc = g_key_file_has_key (kf, group, "opc", NULL);
  GbaUicc *uicc;

  if (imsi == NULL)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "USIM [%s] imsi: missing", group);
      return NULL;
    }
  p.imsi = g_strstrip (imsi);
  p.iccid = iccid != NULL ? g_strstrip (iccid) : NULL;
  if (!key_file_mnc_len (kf, group, &p.mnc_len, error))
    return NULL;
  p.sqn_path = sqn_file != NULL ? sqn_file : default_sqn_path;
  if (has_op == has_opc)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "USIM [%s]: give exactly one of op and opc", group);
      return NULL;
    }
  if (!key_file_hex (kf, group, "k", p.k, 16, error) || !key_file_hex (kf, group, "amf", p.amf, 2, error))
    return NULL;
  if (has_opc)
    {
      if (!key_file_hex (kf, group, "opc", p.opc, 16, error))
        return NULL;
    }
  else
    {
      guint8 op[16];
      if (!key_file_hex (kf, group, "op", op, 16, error))
        return NULL;
      gba_milenage_opc (p.k, op, p.opc);
      gba_wipe (op, sizeof op);
    }
  uicc = gba_uicc_soft_new (&p, error);
  gba_wipe (p.k, sizeof p.k);
  gba_wipe (p.opc, sizeof p.opc);
  return uicc;
}
