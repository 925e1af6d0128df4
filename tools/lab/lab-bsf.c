/* The lab BSF, TS 24.109 clause 4 seen from the network: AKA challenges from Milenage,
 * resynchronisation from AUTS (TS 33.102 6.3.5), B-TID and lifetime (TS 33.220 4.5.2); GBA_U
 * (TS 33.220 5.3.2: AUTN* and the flipped XRES) for subscribers whose settings say so. */
#include "lab-bsf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#define LAB_SQN_STEP 32 /* next SEQ, IND 0: TS 33.102 C.1.1 with 5 IND bits */

typedef struct {
  char   *impi;
  guint8  k[16];
  guint8  opc[16];
  guint8  amf[2];
  guint64 sqn;
  gboolean gba_u;     /* the GUSS's UICC capability (TS 33.220 5.2.2): run GBA_U for this IMPI */
  gboolean uicc_mbms; /* its UICC does MBMS key management (TS 33.246 6.1) */
} Subscriber;

typedef struct {
  char      *impi;
  guint8     rand[16];
  GbaSecret *xres;
  GbaSecret *ks;
  gboolean   gba_u;
} Challenge;

typedef struct {
  char      *impi;
  guint8     rand[16];
  GbaSecret *ks;
  GDateTime *lifetime;
  gboolean   gba_u;
  gboolean   uicc_mbms;
} Session;

struct _LabBsf {
  char        *host;
  char        *realm;
  guint        lifetime_s;
  GHashTable  *subscribers; /* IMPI -> Subscriber */
  GHashTable  *challenges;  /* nonce -> Challenge */
  GHashTable  *sessions;    /* B-TID -> Session */
  GHashTable  *delayed;     /* timeout ID -> held SoupServerMessage */
  LabBsfFaults faults;
};

static void
subscriber_free (Subscriber *sub)
{
  g_free (sub->impi);
  gba_wipe (sub, sizeof *sub);
  g_free (sub);
}

static void
challenge_free (Challenge *ch)
{
  g_free (ch->impi);
  gba_secret_unref (ch->xres);
  gba_secret_unref (ch->ks);
  g_free (ch);
}

static void
session_free (Session *s)
{
  g_free (s->impi);
  gba_secret_unref (s->ks);
  g_date_time_unref (s->lifetime);
  g_free (s);
}

static gboolean
read_hex (GKeyFile *kf, const char *group, const char *key, guint8 *out, gsize len, gboolean required,
          GError **error)
{
  g_autofree char *hex = g_key_file_get_string (kf, group, key, NULL);
  gboolean ok;

  if (hex == NULL)
    {
      if (required)
        g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "[%s] needs %s", group, key);
      return !required;
    }
  ok = gba_hex_to_buf (g_strstrip (hex), out, len);
  gba_wipe (hex, strlen (hex));
  if (!ok)
    g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "[%s] %s must be %zu hex digits", group, key, len * 2);
  return ok;
}

static Subscriber *
subscriber_from_group (GKeyFile *kf, const char *group, GError **error)
{
  Subscriber *sub = g_new0 (Subscriber, 1);
  guint8 op[16], sqn[6] = { 0 };
  gboolean has_op = g_key_file_has_key (kf, group, "op", NULL);

  sub->impi = g_strdup (group + strlen ("subscriber "));
  if (!read_hex (kf, group, "k", sub->k, 16, TRUE, error)
      || !read_hex (kf, group, "amf", sub->amf, 2, TRUE, error)
      || !read_hex (kf, group, "sqn", sqn, 6, FALSE, error)
      || (has_op ? !read_hex (kf, group, "op", op, 16, TRUE, error)
                 : !read_hex (kf, group, "opc", sub->opc, 16, TRUE, error)))
    {
      subscriber_free (sub);
      return NULL;
    }
  sub->gba_u = g_key_file_get_boolean (kf, group, "gba-u", NULL);
  sub->uicc_mbms = sub->gba_u && g_key_file_get_boolean (kf, group, "uicc-mbms", NULL);
  if (has_op)
    gba_milenage_opc (sub->k, op, sub->opc);
  gba_wipe (op, sizeof op);
  sub->sqn = gba_sqn_to_u64 (sqn);
  return sub;
}

LabBsf *
lab_bsf_new_from_key_file (GKeyFile *kf, GError **error)
{
  g_autoptr(LabBsf) bsf = g_new0 (LabBsf, 1);
  g_auto(GStrv) groups = g_key_file_get_groups (kf, NULL);

  bsf->host = g_key_file_get_string (kf, "bsf", "host", NULL);
  if (bsf->host == NULL)
    bsf->host = g_strdup ("bsf.lab.mbmsd.test");
  bsf->realm = g_key_file_get_string (kf, "bsf", "realm", NULL);
  if (bsf->realm == NULL)
    bsf->realm = g_strdup (bsf->host);
  bsf->lifetime_s = g_key_file_has_key (kf, "bsf", "lifetime-seconds", NULL)
                      ? (guint) g_key_file_get_uint64 (kf, "bsf", "lifetime-seconds", NULL) : 3600;
  bsf->subscribers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) subscriber_free);
  bsf->challenges = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) challenge_free);
  bsf->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) session_free);
  bsf->delayed = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      Subscriber *sub;

      if (!g_str_has_prefix (groups[i], "subscriber "))
        continue;
      sub = subscriber_from_group (kf, groups[i], error);
      if (sub == NULL)
        return NULL;
      g_hash_table_replace (bsf->subscribers, sub->impi, sub);
    }
  return g_steal_pointer (&bsf);
}

void
lab_bsf_free (LabBsf *bsf)
{
  if (bsf == NULL)
    return;
  g_free (bsf->host);
  g_free (bsf->realm);
  g_clear_pointer (&bsf->subscribers, g_hash_table_unref);
  g_clear_pointer (&bsf->challenges, g_hash_table_unref);
  g_clear_pointer (&bsf->sessions, g_hash_table_unref);
  if (bsf->delayed != NULL)
    {
      /* answers still held must not fire after the BSF is gone */
      GHashTableIter it;
      gpointer id;
      g_hash_table_iter_init (&it, bsf->delayed);
      while (g_hash_table_iter_next (&it, &id, NULL))
        g_source_remove (GPOINTER_TO_UINT (id));
      g_hash_table_unref (bsf->delayed);
    }
  g_free (bsf);
}

void
lab_bsf_set_faults (LabBsf *bsf, const LabBsfFaults *faults)
{
  bsf->faults = *faults;
}

gboolean
lab_bsf_set_sqn (LabBsf *bsf, const char *impi, guint64 sqn)
{
  Subscriber *sub = g_hash_table_lookup (bsf->subscribers, impi);

  if (sub == NULL)
    return FALSE;
  sub->sqn = sqn;
  return TRUE;
}

guint64
lab_bsf_get_sqn (LabBsf *bsf, const char *impi)
{
  Subscriber *sub = g_hash_table_lookup (bsf->subscribers, impi);

  return sub != NULL ? sub->sqn : 0;
}

guint
lab_bsf_count_btids (LabBsf *bsf)
{
  return g_hash_table_size (bsf->sessions);
}

/* TS 33.220 5.3.2 step 2, the BSF's side of GBA_U: MAC* = MAC xor Trunc(SHA-1(IK)) with
 * Trunc = bits [0]..[63] of the digest, so AUTN* = SQN xor AK || AMF || MAC*; the BSF keeps
 * XRES with its least significant bit flipped (the UICC flips RES the same way). */
static void
gba_u_modify (guint8 autn[16], guint8 xres[8], const guint8 ik[16])
{
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;

  if (EVP_Digest (ik, 16, digest, &len, EVP_sha1 (), NULL) != 1 || len != 20)
    g_error ("lab BSF: SHA-1 unavailable");
  for (guint i = 0; i < 8; i++)
    autn[8 + i] ^= digest[i];
  xres[7] ^= 0x01;
  OPENSSL_cleanse (digest, sizeof digest);
}

/* A fresh authentication vector, RFC 3310 3.2: nonce = base64(RAND || AUTN). */
static char *
new_challenge (LabBsf *bsf, Subscriber *sub)
{
  g_autoptr(GbaSecret) rand = gba_secret_new_random (16);
  Challenge *ch = g_new0 (Challenge, 1);
  guint8 sqn[6], autn[16], res[8], ck[16], ik[16], nonce_raw[32];
  char *nonce;

  sub->sqn += LAB_SQN_STEP;
  gba_sqn_from_u64 (sub->sqn, sqn);
  memcpy (ch->rand, gba_secret_get_data (rand, NULL), 16);
  gba_milenage_autn (sub->k, sub->opc, ch->rand, sqn, sub->amf, autn);
  if (bsf->faults.bad_autn)
    autn[15] ^= 0x01;
  gba_milenage_f2345 (sub->k, sub->opc, ch->rand, res, ck, ik, NULL, NULL);
  if (sub->gba_u)
    gba_u_modify (autn, res, ik);
  ch->gba_u = sub->gba_u;
  ch->impi = g_strdup (sub->impi);
  ch->xres = gba_secret_new (res, sizeof res);
  {
    g_autoptr(GbaSecret) c = gba_secret_new (ck, sizeof ck);
    g_autoptr(GbaSecret) i = gba_secret_new (ik, sizeof ik);
    ch->ks = gba_secret_new_concat (c, i);
  }
  memcpy (nonce_raw, ch->rand, 16);
  memcpy (nonce_raw + 16, autn, 16);
  nonce = g_base64_encode (nonce_raw, sizeof nonce_raw);
  gba_wipe (res, sizeof res);
  gba_wipe (ck, sizeof ck);
  gba_wipe (ik, sizeof ik);
  g_hash_table_replace (bsf->challenges, g_strdup (nonce), ch);
  return nonce;
}

static void
send_challenge (LabBsf *bsf, SoupServerMessage *msg, Subscriber *sub)
{
  g_autofree char *nonce = new_challenge (bsf, sub);
  g_autofree char *header = g_strdup_printf ("Digest realm=\"%s\", nonce=\"%s\", algorithm=AKAv1-MD5, "
                                             "qop=\"auth-int\"", bsf->realm, nonce);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate", header);
  soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
}

static void
send_bootstrap_info (LabBsf *bsf, SoupServerMessage *msg, Challenge *ch, const char *nonce,
                     const GbaDigestAuthorization *auth)
{
  g_autofree char *rand_b64 = g_base64_encode (ch->rand, 16);
  g_autofree char *btid = g_strdup_printf ("%s@%s", rand_b64, bsf->host);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  GbaBootstrapInfo info = { btid, g_date_time_add_seconds (now, bsf->lifetime_s), now };
  g_autofree char *xml = bsf->faults.garbage_xml ? g_strdup ("<BootstrappingInfo><btid>") : gba_bootstrap_info_to_xml (&info);
  GbaDigestAuthInfo ai = { 0 };
  g_autofree char *ai_header = NULL;
  const guint8 *xres;
  gsize xres_len;
  Session *session = g_new0 (Session, 1);

  /* rspauth with XRES as password over the response body (RFC 2617 3.2.3, auth-int). */
  xres = gba_secret_get_data (ch->xres, &xres_len);
  ai.rspauth = gba_digest_compute (GBA_DIGEST_AKAV1_MD5, auth->username, auth->realm, xres, xres_len,
                                   nonce, auth->nc, auth->cnonce, auth->qop, NULL, auth->uri,
                                   (const guint8 *) xml, strlen (xml));
  if (bsf->faults.bad_rspauth)
    ai.rspauth[0] = ai.rspauth[0] == '0' ? '1' : '0';
  ai.cnonce = auth->cnonce;
  ai.nc = auth->nc;
  ai.qop = auth->qop;
  ai_header = gba_digest_auth_info_to_string (&ai);
  g_free (ai.rspauth);

  session->impi = g_strdup (ch->impi);
  memcpy (session->rand, ch->rand, 16);
  session->ks = gba_secret_ref (ch->ks);
  session->lifetime = info.lifetime;
  session->gba_u = ch->gba_u;
  {
    Subscriber *sub = g_hash_table_lookup (bsf->subscribers, ch->impi);
    session->uicc_mbms = ch->gba_u && sub != NULL && sub->uicc_mbms;
  }
  g_hash_table_replace (bsf->sessions, g_strdup (btid), session);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Authentication-Info", ai_header);
  soup_server_message_set_response (msg, "application/vnd.3gpp.bsf+xml", SOUP_MEMORY_COPY, xml, strlen (xml));
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  g_message ("lab BSF: issued B-TID %s to %s (%s)", btid, ch->impi, ch->gba_u ? "GBA_U" : "GBA_ME");
}

/* The second request: AUTS (resynchronise, TS 33.102 6.3.5) or RES. */
static void
answer_response (LabBsf *bsf, SoupServerMessage *msg, const GbaDigestAuthorization *auth)
{
  Challenge *ch = g_hash_table_lookup (bsf->challenges, auth->nonce);
  Subscriber *sub = g_hash_table_lookup (bsf->subscribers, auth->username);
  g_autofree char *expected = NULL;
  const guint8 *xres;
  gsize xres_len;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  if (ch == NULL || sub == NULL || g_strcmp0 (ch->impi, auth->username) != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, "Unknown nonce");
      return;
    }
  if (auth->auts != NULL)
    {
      gsize auts_len = 0;
      g_autofree guchar *auts = g_base64_decode (auth->auts, &auts_len);
      guint8 sqn_ms[6];

      if (auts_len != GBA_AKA_AUTS_LEN || !gba_milenage_check_auts (sub->k, sub->opc, ch->rand, auts, sqn_ms))
        {
          soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, "Bad AUTS");
          return;
        }
      sub->sqn = gba_sqn_to_u64 (sqn_ms);
      g_hash_table_remove (bsf->challenges, auth->nonce);
      g_message ("lab BSF: resynchronised %s", sub->impi);
      send_challenge (bsf, msg, sub);
      return;
    }

  xres = gba_secret_get_data (ch->xres, &xres_len);
  expected = gba_digest_compute (GBA_DIGEST_AKAV1_MD5, auth->username, auth->realm, xres, xres_len,
                                 auth->nonce, auth->nc, auth->cnonce, auth->qop, "GET", auth->uri,
                                 (const guint8 *) body->data, body->length);
  if (auth->response == NULL || strlen (auth->response) != strlen (expected)
      || CRYPTO_memcmp (auth->response, expected, strlen (expected)) != 0)
    {
      g_hash_table_remove (bsf->challenges, auth->nonce);
      soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, "Authentication failed");
      return;
    }
  send_bootstrap_info (bsf, msg, ch, auth->nonce, auth);
  g_hash_table_remove (bsf->challenges, auth->nonce);
}

static void
handle_ub (LabBsf *bsf, SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  g_autoptr(GbaDigestAuthorization) auth = NULL;
  g_autoptr(GError) error = NULL;
  Subscriber *sub;

  if (bsf->faults.fail_status != 0)
    {
      soup_server_message_set_status (msg, bsf->faults.fail_status, NULL);
      return;
    }
  if (header == NULL || (auth = gba_digest_authorization_parse (header, &error)) == NULL)
    {
      g_message ("lab BSF: rejecting request without usable Authorization: %s",
                 error != NULL ? error->message : "absent");
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      return;
    }
  sub = g_hash_table_lookup (bsf->subscribers, auth->username);
  if (sub == NULL)
    {
      g_message ("lab BSF: unknown IMPI %s", auth->username);
      soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, "Unknown user");
      return;
    }
  /* TS 24.109 4.2 step 1: an empty nonce starts a bootstrapping run. */
  if (auth->nonce == NULL || auth->nonce[0] == '\0')
    send_challenge (bsf, msg, sub);
  else
    answer_response (bsf, msg, auth);
}

typedef struct {
  LabBsf *bsf;
  guint   id;
} Delayed;

static gboolean
unpause_delayed (gpointer user_data)
{
  Delayed *d = user_data;
  SoupServerMessage *msg = g_hash_table_lookup (d->bsf->delayed, GUINT_TO_POINTER (d->id));

  if (msg != NULL)
    soup_server_message_unpause (msg);
  g_hash_table_remove (d->bsf->delayed, GUINT_TO_POINTER (d->id));
  return G_SOURCE_REMOVE;
}

static void
on_ub (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  LabBsf *bsf = user_data;

  handle_ub (bsf, msg);
  if (bsf->faults.delay_ms > 0)
    {
      Delayed *d = g_new0 (Delayed, 1);
      d->bsf = bsf;
      soup_server_message_pause (msg);
      d->id = g_timeout_add_full (G_PRIORITY_DEFAULT, bsf->faults.delay_ms, unpause_delayed, d, g_free);
      g_hash_table_insert (bsf->delayed, GUINT_TO_POINTER (d->id), g_object_ref (msg));
    }
}

GbaSecret *
lab_bsf_naf_key (LabBsf *bsf, const char *btid, GBytes *naf_id, GbaNafKeyKind kind, char **impi_out,
                 GError **error)
{
  Session *session = g_hash_table_lookup (bsf->sessions, btid);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  if (session == NULL || g_date_time_compare (now, session->lifetime) >= 0)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_EXPIRED, "Zn: B-TID %s is unknown or expired", btid);
      return NULL;
    }
  if (impi_out != NULL)
    *impi_out = g_strdup (session->impi);
  return gba_derive_naf_key (session->ks, kind, session->rand, session->impi, naf_id, error);
}

gboolean
lab_bsf_btid_is_gba_u (LabBsf *bsf, const char *btid)
{
  Session *session = g_hash_table_lookup (bsf->sessions, btid);

  return session != NULL && session->gba_u;
}

gboolean
lab_bsf_btid_uicc_mbms (LabBsf *bsf, const char *btid)
{
  Session *session = g_hash_table_lookup (bsf->sessions, btid);

  return session != NULL && session->uicc_mbms;
}

/* Zn stand-in on loopback: GET /zn?btid=<B-TID>&naf-id=<hex NAF_Id>[&kind=int]
 * answers "ks-naf=<base64>\nimpi=<IMPI>\ngba=<GBA_U|GBA_ME>\n". For a GBA_U B-TID ks-naf is
 * Ks_ext_NAF (kind=int: Ks_int_NAF); for GBA_ME kind=int has no key (TS 33.220 5.3.3 step 3). */
static void
on_zn (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  LabBsf *bsf = user_data;
  const char *btid = query ? g_hash_table_lookup (query, "btid") : NULL;
  const char *naf_hex = query ? g_hash_table_lookup (query, "naf-id") : NULL;
  const char *kind = query ? g_hash_table_lookup (query, "kind") : NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaSecret) key = NULL;
  g_autoptr(GBytes) naf_id = NULL;
  g_autofree char *impi = NULL;
  g_autofree char *b64 = NULL;
  g_autofree char *body = NULL;

  if (btid == NULL || naf_hex == NULL || (naf_id = gba_hex_to_bytes (naf_hex, NULL)) == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      return;
    }
  if (g_strcmp0 (kind, "int") == 0 && !lab_bsf_btid_is_gba_u (bsf, btid))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  key = lab_bsf_naf_key (bsf, btid, naf_id, g_strcmp0 (kind, "int") == 0 ? GBA_NAF_KEY_INT : GBA_NAF_KEY_ME,
                         &impi, &error);
  if (key == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  b64 = g_base64_encode (gba_secret_get_data (key, NULL), gba_secret_get_size (key));
  body = g_strdup_printf ("ks-naf=%s\nimpi=%s\ngba=%s\n", b64, impi,
                          lab_bsf_btid_is_gba_u (bsf, btid) ? "GBA_U" : "GBA_ME");
  gba_wipe (b64, strlen (b64));
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, body, strlen (body));
  gba_wipe (body, strlen (body));
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

void
lab_bsf_attach (LabBsf *bsf, SoupServer *server)
{
  soup_server_add_handler (server, "/zn", on_zn, bsf, NULL);
  soup_server_add_handler (server, "/", on_ub, bsf, NULL);
}
