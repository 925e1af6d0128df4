/* Key material that wipes itself: the one type every key in mbmsd lives in. Each secret has
 * pages of its own, left out of core dumps (MADV_DONTDUMP) and locked in memory where the
 * memlock limit allows (mlock: never written to swap), so that neither a crash nor the swap
 * device keeps a copy once the key is gone. */
#include "gba.h"

#include <openssl/crypto.h>
#include <errno.h>
#include <openssl/rand.h>
#include <sys/mman.h>
#include <unistd.h>

struct _GbaSecret {
  gint     ref_count;
  gboolean locked;
  gsize    mapped;
  gsize    len;
  guint8   data[];
};

void
gba_wipe (void *data, gsize len)
{
  if (data != NULL && len > 0)
    OPENSSL_cleanse (data, len);
}

GbaSecret *
gba_secret_new_zeroed (gsize len)
{
  static gsize page;
  GbaSecret *secret;
  gsize mapped;
  void *p;

  if (page == 0)
    page = (gsize) sysconf (_SC_PAGESIZE);
  if (len > G_MAXSIZE - sizeof (GbaSecret) - page)
    g_error ("a key of %" G_GSIZE_FORMAT " octets", len);
  mapped = (sizeof (GbaSecret) + len + page - 1) / page * page;
  /* anonymous pages come zeroed; like g_malloc, running out of memory is fatal */
  p = mmap (NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    g_error ("cannot map %" G_GSIZE_FORMAT " octets for a key: %s", mapped, g_strerror (errno));
  /* Linux >= 3.4; refused, the key is still kept from dumps by the daemon being non-dumpable */
  if (madvise (p, mapped, MADV_DONTDUMP) != 0)
    g_warning_once ("keys may appear in core dumps: MADV_DONTDUMP refused (%s)", g_strerror (errno));
  secret = p;
  /* best effort: RLIMIT_MEMLOCK may be small; the key stays out of dumps either way */
  secret->locked = mlock (p, mapped) == 0;
  secret->mapped = mapped;
  secret->ref_count = 1;
  secret->len = len;
  return secret;
}

GbaSecret *
gba_secret_new (const void *data, gsize len)
{
  GbaSecret *secret = gba_secret_new_zeroed (len);

  g_return_val_if_fail (data != NULL || len == 0, secret);
  if (len > 0)
    memcpy (secret->data, data, len);
  return secret;
}

GbaSecret *
gba_secret_new_random (gsize len)
{
  GbaSecret *secret = gba_secret_new_zeroed (len);

  /* A failing CSPRNG is not recoverable: better to stop than to use a predictable key. */
  if (len > 0 && RAND_bytes (secret->data, (int) len) != 1)
    g_error ("OpenSSL RAND_bytes failed");
  return secret;
}

GbaSecret *
gba_secret_new_concat (const GbaSecret *a, const GbaSecret *b)
{
  GbaSecret *secret = gba_secret_new_zeroed (a->len + b->len);

  memcpy (secret->data, a->data, a->len);
  memcpy (secret->data + a->len, b->data, b->len);
  return secret;
}

GbaSecret *
gba_secret_ref (GbaSecret *secret)
{
  g_return_val_if_fail (secret != NULL, NULL);
  g_atomic_int_inc (&secret->ref_count);
  return secret;
}

void
gba_secret_unref (GbaSecret *secret)
{
  if (secret == NULL)
    return;
  if (!g_atomic_int_dec_and_test (&secret->ref_count))
    return;
  OPENSSL_cleanse (secret->data, secret->len);
  if (secret->locked)
    munlock (secret, secret->mapped);
  munmap (secret, secret->mapped);
}

const guint8 *
gba_secret_get_data (const GbaSecret *secret, gsize *len)
{
  if (len != NULL)
    *len = secret->len;
  return secret->data;
}

guint8 *
gba_secret_get_mutable (GbaSecret *secret, gsize *len)
{
  if (len != NULL)
    *len = secret->len;
  return secret->data;
}

gsize
gba_secret_get_size (const GbaSecret *secret)
{
  return secret->len;
}

gboolean
gba_secret_equal (const GbaSecret *a, const GbaSecret *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->len != b->len)
    return FALSE;
  return CRYPTO_memcmp (a->data, b->data, a->len) == 0;
}
