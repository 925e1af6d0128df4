/* MGV-S for ME-based key management (TS 33.246 6.1, 6.5): MUKs, MSKs, replay counters,
 * kept in the daemon's state directory. The file is binary, versioned and checksummed:
 *   "MBMSMGVS" | version (2) | records: tag (1) | length (4) | value | SHA-256 of all before.
 * It is written atomically (temporary file, fsync, rename) with mode 0600, and bound to the
 * card identity: another card wipes every key (6.1). */
#include "mgv-store-private.h"
#include "mikey-reader.h"
#include "mbms-fileio.h"

#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <string.h>



void
mgv_muk_free (MgvMuk *muk)
{
  if (muk == NULL)
    return;
  g_free (muk->idi);
  g_free (muk->idr);
  gba_secret_unref (muk->key);
  g_free (muk);
}

MgvMuk *
mgv_muk_copy (const MgvMuk *muk)
{
  MgvMuk *copy = g_memdup2 (muk, sizeof *muk);

  copy->idi = g_strdup (muk->idi);
  copy->idr = g_strdup (muk->idr);
  copy->key = gba_secret_ref (muk->key);
  return copy;
}

void
mgv_msk_free (MgvMsk *msk)
{
  if (msk == NULL)
    return;
  gba_secret_unref (msk->key);
  g_clear_pointer (&msk->rand, g_bytes_unref);
  g_clear_pointer (&msk->policy, g_bytes_unref);
  g_free (msk);
}

void
mgv_mtk_free (MgvMtk *mtk)
{
  if (mtk == NULL)
    return;
  gba_secret_unref (mtk->mtk);
  gba_secret_unref (mtk->salt);
  gba_secret_unref (mtk->encr_key);
  gba_secret_unref (mtk->auth_key);
  g_free (mtk);
}

MgvMtk *
mgv_mtk_copy (const MgvMtk *mtk)
{
  MgvMtk *copy = g_memdup2 (mtk, sizeof *mtk);

  copy->mtk = mtk->mtk ? gba_secret_ref (mtk->mtk) : NULL;
  copy->salt = mtk->salt ? gba_secret_ref (mtk->salt) : NULL;
  copy->encr_key = mtk->encr_key ? gba_secret_ref (mtk->encr_key) : NULL;
  copy->auth_key = mtk->auth_key ? gba_secret_ref (mtk->auth_key) : NULL;
  return copy;
}

static MgvStore *
store_new (const char *path, const char *card)
{
  MgvStore *store = g_new0 (MgvStore, 1);

  store->path = g_strdup (path);
  store->card = g_strdup (card);
  store->next_generation = 1;
  store->msks = g_ptr_array_new_with_free_func ((GDestroyNotify) mgv_msk_free);
  store->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  return store;
}

void
mgv_store_free (MgvStore *store)
{
  if (store == NULL)
    return;
  mgv_store_writer_free (store->writer); /* pending writes land first */
  g_free (store->path);
  g_free (store->card);
  mgv_muk_free (store->last_generated);
  mgv_muk_free (store->last_used);
  g_ptr_array_unref (store->msks);
  g_hash_table_unref (store->sessions);
  g_free (store);
}

/* ---------------------------------------------------------------- writing */

static void
w_u8 (GByteArray *b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

static void
w_u32 (GByteArray *b, guint32 v)
{
  guint8 x[4] = { (guint8) (v >> 24), (guint8) (v >> 16), (guint8) (v >> 8), (guint8) v };
  g_byte_array_append (b, x, 4);
}

static void
w_u64 (GByteArray *b, guint64 v)
{
  w_u32 (b, (guint32) (v >> 32));
  w_u32 (b, (guint32) v);
}

static void
w_blob (GByteArray *b, const void *data, gsize len)
{
  w_u32 (b, (guint32) len);
  if (len > 0)
    g_byte_array_append (b, data, (guint) len);
}

static void
w_record (GByteArray *out, guint8 tag, GByteArray *value)
{
  w_u8 (out, tag);
  w_blob (out, value->data, value->len);
  gba_wipe (value->data, value->len);
  g_byte_array_set_size (value, 0);
}

static void
w_muk (GByteArray *b, const MgvMuk *muk)
{
  w_blob (b, muk->idi, strlen (muk->idi));
  w_blob (b, muk->idr, strlen (muk->idr));
  w_blob (b, gba_secret_get_data (muk->key, NULL), gba_secret_get_size (muk->key));
  w_u64 (b, muk->generation);
  w_u8 (b, (guint8) muk->has_counter);
  w_u32 (b, muk->counter);
}

static void
w_msk (GByteArray *b, const MgvMsk *msk)
{
  g_byte_array_append (b, msk->domain, MGV_KEY_DOMAIN_LEN);
  w_u32 (b, msk->msk_id);
  w_blob (b, gba_secret_get_data (msk->key, NULL), gba_secret_get_size (msk->key));
  w_u32 (b, msk->seq_low);
  w_u32 (b, msk->seq_high);
  w_blob (b, g_bytes_get_data (msk->rand, NULL), g_bytes_get_size (msk->rand));
  w_u8 (b, (guint8) msk->has_mtk_counter);
  w_u32 (b, msk->mtk_counter);
  w_u64 (b, msk->muk_generation);
  w_u32 (b, msk->ts);
  w_u8 (b, msk->policy_no);
  w_u8 (b, msk->policy != NULL);
  if (msk->policy != NULL)
    w_blob (b, g_bytes_get_data (msk->policy, NULL), g_bytes_get_size (msk->policy));
}

static void
sha256 (const guint8 *data, gsize len, guint8 out[MGV_STORE_HASH_LEN])
{
  unsigned int out_len = 0;

  if (EVP_Digest (data, len, out, &out_len, EVP_sha256 (), NULL) != 1 || out_len != MGV_STORE_HASH_LEN)
    g_error ("OpenSSL SHA-256 failed");
}

GBytes *
mgv_store_serialize (MgvStore *store)
{
  GByteArray *out = g_byte_array_new ();
  g_autoptr(GByteArray) v = g_byte_array_new ();
  guint8 hash[MGV_STORE_HASH_LEN];

  g_byte_array_append (out, (const guint8 *) MGV_STORE_MAGIC, MGV_STORE_MAGIC_LEN);
  w_u8 (out, 0);
  w_u8 (out, MGV_STORE_VERSION);
  g_byte_array_append (v, (const guint8 *) store->card, (guint) strlen (store->card));
  w_record (out, TAG_CARD, v);
  w_u64 (v, store->next_generation);
  w_record (out, TAG_NEXT_GENERATION, v);
  if (store->last_generated != NULL)
    {
      w_muk (v, store->last_generated);
      w_record (out, TAG_MUK_LAST_GENERATED, v);
    }
  if (store->last_used != NULL)
    {
      w_muk (v, store->last_used);
      w_record (out, TAG_MUK_LAST_USED, v);
    }
  for (guint i = 0; i < store->msks->len; i++)
    {
      w_msk (v, g_ptr_array_index (store->msks, i));
      w_record (out, TAG_MSK, v);
    }
  sha256 (out->data, out->len, hash);
  g_byte_array_append (out, hash, sizeof hash);
  return g_byte_array_free_to_bytes (out);
}

/* ---------------------------------------------------------------- reading */

static gboolean
r_u64 (MikeyReader *r, guint64 *out, const char *what, GError **error)
{
  guint32 hi, lo;

  if (!mikey_reader_u32 (r, &hi, what, error) || !mikey_reader_u32 (r, &lo, what, error))
    return FALSE;
  *out = (guint64) hi << 32 | lo;
  return TRUE;
}

static gboolean
r_blob (MikeyReader *r, const guint8 **data, guint32 *len, const char *what, GError **error)
{
  return mikey_reader_u32 (r, len, what, error) && mikey_reader_take (r, *len, data, what, error);
}

static char *
r_text (MikeyReader *r, const char *what, GError **error)
{
  const guint8 *p;
  guint32 len;

  if (!r_blob (r, &p, &len, what, error))
    return NULL;
  if (memchr (p, '\0', len) != NULL || !g_utf8_validate ((const char *) p, len, NULL))
    {
      mikey_fail (error, MIKEY_ERROR_MALFORMED, "%s is not UTF-8 text", what);
      return NULL;
    }
  return g_strndup ((const char *) p, len);
}

static GbaSecret *
r_secret (MikeyReader *r, const char *what, GError **error)
{
  const guint8 *p;
  guint32 len;

  if (!r_blob (r, &p, &len, what, error))
    return NULL;
  if (len == 0 || len > 64)
    {
      mikey_fail (error, MIKEY_ERROR_MALFORMED, "%s of %u octets", what, len);
      return NULL;
    }
  return gba_secret_new (p, len);
}

static MgvMuk *
r_muk (MikeyReader *r, GError **error)
{
  MgvMuk *muk = g_new0 (MgvMuk, 1);
  guint8 has;

  if ((muk->idi = r_text (r, "MUK IDi", error)) == NULL || (muk->idr = r_text (r, "MUK IDr", error)) == NULL
      || (muk->key = r_secret (r, "MUK", error)) == NULL || !r_u64 (r, &muk->generation, "MUK generation", error)
      || !mikey_reader_u8 (r, &has, "MUK counter flag", error)
      || !mikey_reader_u32 (r, &muk->counter, "MUK counter", error))
    {
      mgv_muk_free (muk);
      return NULL;
    }
  muk->has_counter = has != 0;
  return muk;
}

static MgvMsk *
r_msk (MikeyReader *r, GError **error)
{
  MgvMsk *msk = g_new0 (MgvMsk, 1);
  const guint8 *p;
  guint32 len;
  guint8 has_counter, has_policy;

  if (!mikey_reader_take (r, MGV_KEY_DOMAIN_LEN, &p, "MSK domain", error))
    goto fail;
  memcpy (msk->domain, p, MGV_KEY_DOMAIN_LEN);
  if (!mikey_reader_u32 (r, &msk->msk_id, "MSK ID", error) || (msk->key = r_secret (r, "MSK", error)) == NULL
      || !mikey_reader_u32 (r, &msk->seq_low, "MSK SEQl", error)
      || !mikey_reader_u32 (r, &msk->seq_high, "MSK SEQu", error)
      || !r_blob (r, &p, &len, "MSK RAND", error))
    goto fail;
  msk->rand = g_bytes_new (p, len);
  if (!mikey_reader_u8 (r, &has_counter, "MSK counter flag", error)
      || !mikey_reader_u32 (r, &msk->mtk_counter, "MSK counter", error)
      || !r_u64 (r, &msk->muk_generation, "MSK MUK generation", error)
      || !mikey_reader_u32 (r, &msk->ts, "MSK TS", error)
      || !mikey_reader_u8 (r, &msk->policy_no, "MSK policy no", error)
      || !mikey_reader_u8 (r, &has_policy, "MSK policy flag", error))
    goto fail;
  msk->has_mtk_counter = has_counter != 0;
  if (has_policy)
    {
      if (!r_blob (r, &p, &len, "MSK policy", error))
        goto fail;
      msk->policy = g_bytes_new (p, len);
    }
  return msk;

fail:
  mgv_msk_free (msk);
  return NULL;
}

static gboolean
read_record (MgvStore *store, guint8 tag, const guint8 *value, guint32 len, gsize off, GError **error)
{
  MikeyReader r;

  mikey_reader_init (&r, value, len, off);
  switch (tag)
    {
    case TAG_CARD:
      g_free (store->card);
      store->card = g_strndup ((const char *) value, len);
      return TRUE;
    case TAG_NEXT_GENERATION:
      return r_u64 (&r, &store->next_generation, "generation", error);
    case TAG_MUK_LAST_GENERATED:
      mgv_muk_free (store->last_generated);
      return (store->last_generated = r_muk (&r, error)) != NULL;
    case TAG_MUK_LAST_USED:
      mgv_muk_free (store->last_used);
      return (store->last_used = r_muk (&r, error)) != NULL;
    case TAG_MSK:
      {
        MgvMsk *msk = r_msk (&r, error);
        if (msk == NULL)
          return FALSE;
        g_ptr_array_add (store->msks, msk);
        return TRUE;
      }
    default:
      return TRUE; /* a later version's record: not ours to interpret */
    }
}

MgvStore *
mgv_store_new_from_bytes (GBytes *data, const char *path, GError **error)
{
  g_autoptr(MgvStore) store = store_new (path, "");
  gsize len;
  const guint8 *p = g_bytes_get_data (data, &len);
  guint8 hash[MGV_STORE_HASH_LEN];
  g_autoptr(GError) local = NULL;
  MikeyReader r;

  if (len < MGV_STORE_MAGIC_LEN + 2 + MGV_STORE_HASH_LEN || memcmp (p, MGV_STORE_MAGIC, MGV_STORE_MAGIC_LEN) != 0)
    {
      mgv_fail (error, MGV_ERROR_CORRUPT, "%s is not an mbmsd key store", path);
      return NULL;
    }
  if (p[MGV_STORE_MAGIC_LEN] != 0 || p[MGV_STORE_MAGIC_LEN + 1] != MGV_STORE_VERSION)
    {
      mgv_fail (error, MGV_ERROR_STORAGE, "%s is a key store of version %u, this mbmsd reads version %u", path,
                p[MGV_STORE_MAGIC_LEN] << 8 | p[MGV_STORE_MAGIC_LEN + 1], MGV_STORE_VERSION);
      return NULL;
    }
  sha256 (p, len - MGV_STORE_HASH_LEN, hash);
  if (CRYPTO_memcmp (hash, p + len - MGV_STORE_HASH_LEN, MGV_STORE_HASH_LEN) != 0)
    {
      mgv_fail (error, MGV_ERROR_CORRUPT, "%s is corrupt (checksum mismatch)", path);
      return NULL;
    }
  mikey_reader_init (&r, p + MGV_STORE_MAGIC_LEN + 2, len - MGV_STORE_MAGIC_LEN - 2 - MGV_STORE_HASH_LEN,
                     MGV_STORE_MAGIC_LEN + 2);
  while (r.left > 0)
    {
      guint8 tag;
      const guint8 *value;
      guint32 vlen;
      gsize at;

      if (!mikey_reader_u8 (&r, &tag, "record tag", &local) || !mikey_reader_u32 (&r, &vlen, "record length", &local))
        break;
      at = r.off;
      if (!mikey_reader_take (&r, vlen, &value, "record", &local) || !read_record (store, tag, value, vlen, at, &local))
        break;
    }
  if (local != NULL)
    {
      mgv_fail (error, MGV_ERROR_CORRUPT, "%s is corrupt: %s", path, local->message);
      return NULL;
    }
  return g_steal_pointer (&store);
}

/* ---------------------------------------------------------------- the file */

MgvStore *
mgv_store_new_in_memory (const char *card_identity)
{
  return store_new (NULL, card_identity);
}

gboolean
mgv_store_save (MgvStore *store, GError **error)
{
  g_autoptr(GBytes) data = NULL;
  gsize len;
  const guint8 *p;
  gboolean ok;

  if (store->path == NULL)
    return TRUE; /* an in-memory store (fuzzing) */
  /* an older snapshot still on its way must not land after this one; its failure no longer
   * matters once this write succeeds */
  if (store->writer != NULL)
    (void) mgv_store_writer_flush (store->writer, NULL);
  data = mgv_store_serialize (store);
  ok = mgv_store_write_file (store->path, data, error);
  p = g_bytes_get_data (data, &len);
  gba_wipe ((guint8 *) p, len);
  return ok;
}

void
mgv_store_save_in_background (MgvStore *store)
{
  if (store->path == NULL)
    return;
  if (store->writer == NULL)
    store->writer = mgv_store_writer_new (store->path);
  mgv_store_writer_submit (store->writer, mgv_store_serialize (store));
}

gboolean
mgv_store_flush (MgvStore *store, GError **error)
{
  return store->writer == NULL || mgv_store_writer_flush (store->writer, error);
}

void
mgv_store_set_deferred_mtk_saves (MgvStore *store, gboolean deferred)
{
  store->defer_mtk_saves = deferred;
}

static void
clear_keys (MgvStore *store)
{
  g_clear_pointer (&store->last_generated, mgv_muk_free);
  g_clear_pointer (&store->last_used, mgv_muk_free);
  g_ptr_array_set_size (store->msks, 0);
  g_hash_table_remove_all (store->sessions);
}

gboolean
mgv_store_wipe (MgvStore *store, GError **error)
{
  clear_keys (store);
  return mgv_store_save (store, error);
}

MgvStore *
mgv_store_open (const char *path, const char *card_identity, gboolean *wiped, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(MgvStore) store = NULL;
  gsize len = 0;

  if (wiped != NULL)
    *wiped = FALSE;
  /* bounded and non-blocking: a FIFO or a device in its place is refused, not read */
  contents = mbms_fileio_read (path, MGV_STORE_MAX_LEN, MBMS_FILEIO_NO_LINKS, &len, &local);
  if (contents == NULL)
    {
      if (g_error_matches (local, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_TOO_LARGE))
        {
          mgv_fail (error, MGV_ERROR_CORRUPT, "%s is %s: more than a key store can be", path, local->message);
          return NULL;
        }
      if (!g_error_matches (local, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_NOT_FOUND))
        {
          mgv_fail (error, MGV_ERROR_STORAGE, "cannot read the key store %s: %s", path, local->message);
          return NULL;
        }
      store = store_new (path, card_identity);
      /* nothing is lost if the empty store cannot be written yet: the first key saves it */
      if (!mgv_store_save (store, &local))
        g_warning ("%s", local->message);
      return g_steal_pointer (&store);
    }
  data = g_bytes_new_take (g_steal_pointer (&contents), len);
  store = mgv_store_new_from_bytes (data, path, error);
  gba_wipe ((guint8 *) g_bytes_get_data (data, NULL), len);
  if (store == NULL)
    return NULL;
  if (g_strcmp0 (store->card, card_identity) != 0)
    {
      /* TS 33.246 6.1: a different UICC deletes every MBMS key */
      g_message ("MGV-S: a different card is present; deleting every stored MBMS key");
      g_free (store->card);
      store->card = g_strdup (card_identity);
      if (!mgv_store_wipe (store, error))
        return NULL;
      if (wiped != NULL)
        *wiped = TRUE;
    }
  return g_steal_pointer (&store);
}

/* ---------------------------------------------------------------- keys */

gboolean
mgv_store_install_muk (MgvStore *store, const char *idi, const char *idr, GbaSecret *muk, GError **error)
{
  MgvMuk *m = g_new0 (MgvMuk, 1);

  m->idi = g_strdup (idi);
  m->idr = g_strdup (idr);
  m->key = gba_secret_ref (muk);
  m->generation = store->next_generation++;
  /* 6.4.3: the MSK counter is reset when the MUK is updated */
  m->has_counter = FALSE;
  mgv_muk_free (store->last_generated);
  store->last_generated = m;
  g_debug ("MGV-S: installed MUK IDi=%s IDr=%s as last generated", idi, idr);
  return mgv_store_save (store, error);
}

gboolean
mgv_store_forget_muks (MgvStore *store, GError **error)
{
  if (store->last_generated == NULL && store->last_used == NULL)
    return TRUE;
  /* gba_secret_unref wipes the key octets when the last reference goes */
  g_clear_pointer (&store->last_generated, mgv_muk_free);
  g_clear_pointer (&store->last_used, mgv_muk_free);
  g_debug ("MGV-S: MUKs deleted");
  return mgv_store_save (store, error);
}

MgvMsk *
mgv_store_find_msk (MgvStore *store, const guint8 domain[3], guint32 msk_id)
{
  for (guint i = 0; i < store->msks->len; i++)
    {
      MgvMsk *msk = g_ptr_array_index (store->msks, i);
      if (msk->msk_id == msk_id && memcmp (msk->domain, domain, MGV_KEY_DOMAIN_LEN) == 0)
        return msk;
    }
  return NULL;
}

guint
mgv_store_delete_msks (MgvStore *store, const guint8 domain[3], gint key_group, GError **error)
{
  guint removed = 0;

  for (guint i = store->msks->len; i > 0; i--)
    {
      MgvMsk *msk = g_ptr_array_index (store->msks, i - 1);
      if (memcmp (msk->domain, domain, MGV_KEY_DOMAIN_LEN) == 0
          && (key_group < 0 || MGV_MSK_KEY_GROUP (msk->msk_id) == key_group))
        {
          g_ptr_array_remove_index (store->msks, i - 1);
          removed++;
        }
    }
  if (removed > 0 && !mgv_store_save (store, error))
    return 0;
  return removed;
}

GArray *
mgv_store_list_msks (MgvStore *store)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (MgvMskInfo));

  for (guint i = 0; i < store->msks->len; i++)
    {
      MgvMsk *msk = g_ptr_array_index (store->msks, i);
      MgvMskInfo info = { .msk_id = msk->msk_id, .seq_low = msk->seq_low, .seq_high = msk->seq_high,
                          .has_policy = msk->policy != NULL };
      memcpy (info.domain, msk->domain, MGV_KEY_DOMAIN_LEN);
      g_array_append_val (out, info);
    }
  return out;
}

GBytes *
mgv_store_get_policy (MgvStore *store, const guint8 domain[3], guint32 msk_id, guint8 *policy_no)
{
  MgvMsk *msk = mgv_store_find_msk (store, domain, msk_id);

  if (msk == NULL || msk->policy == NULL)
    return NULL;
  if (policy_no != NULL)
    *policy_no = msk->policy_no;
  return g_bytes_ref (msk->policy);
}

gboolean
mgv_store_get_muk_ids (MgvStore *store, gboolean last_used, char **idi, char **idr)
{
  MgvMuk *muk = last_used ? store->last_used : store->last_generated;

  if (muk == NULL)
    return FALSE;
  *idi = g_strdup (muk->idi);
  *idr = g_strdup (muk->idr);
  return TRUE;
}

GPtrArray *
mgv_store_session_mtks (MgvStore *store, const char *session)
{
  GPtrArray *mtks = g_hash_table_lookup (store->sessions, session);

  return mtks != NULL ? g_ptr_array_ref (mtks) : NULL;
}

gboolean
mgv_store_mtk_may_come (MgvStore *store, const guint8 domain[3], guint32 msk_id, guint16 mtk_id)
{
  MgvMsk *msk = mgv_store_find_msk (store, domain, msk_id);

  return msk == NULL || (mtk_id > msk->seq_low && mtk_id <= msk->seq_high);
}

void
mgv_store_end_session (MgvStore *store, const char *session)
{
  g_hash_table_remove (store->sessions, session);
}
