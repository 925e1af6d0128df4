/* libFuzzer target: the MGV-S key store reader (mgv/mgv-store.c). The input is the records of
 * a store file; the harness puts the magic and version before them and the SHA-256 after, as
 * a store written by mbmsd has, so mutations reach every record instead of the checksum.
 * A store that reads must serialise to a file that reads back to the same bytes. */
#include "mgv-store-private.h"

#include <openssl/evp.h>
#include <string.h>

#define STORE_MAGIC "MBMSMGVS" /* the header of mgv-store.c: magic, version 0x0001 */

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static GBytes *
sealed (const guint8 *records, gsize len)
{
  GByteArray *b = g_byte_array_new ();
  guint8 hash[EVP_MAX_MD_SIZE];
  unsigned int hash_len = 0;

  g_byte_array_append (b, (const guint8 *) STORE_MAGIC, strlen (STORE_MAGIC));
  g_byte_array_append (b, (const guint8 *) "\x00\x01", 2);
  g_byte_array_append (b, records, (guint) len);
  g_assert (EVP_Digest (b->data, b->len, hash, &hash_len, EVP_sha256 (), NULL) == 1);
  g_byte_array_append (b, hash, hash_len);
  return g_byte_array_free_to_bytes (b);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GBytes) file = sealed (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(MgvStore) store = mgv_store_new_from_bytes (file, "fuzz", &error);
  g_autoptr(GBytes) written = NULL;
  g_autoptr(MgvStore) again = NULL;
  g_autoptr(GBytes) rewritten = NULL;

  if (store == NULL)
    {
      g_assert (error != NULL && error->domain == MGV_ERROR);
      return 0;
    }
  written = mgv_store_serialize (store);
  again = mgv_store_new_from_bytes (written, "fuzz", &error);
  g_assert_no_error (error);
  rewritten = mgv_store_serialize (again);
  g_assert (g_bytes_equal (written, rewritten));
  return 0;
}
