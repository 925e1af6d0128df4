/* Key material that wipes itself: the one type every key in mbmsd lives in. */
#include "gba.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

struct _GbaSecret {
  gint   ref_count;
  gsize  len;
  guint8 data[];
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
  GbaSecret *secret = g_malloc0 (sizeof (GbaSecret) + len);

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
  g_free (secret);
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
