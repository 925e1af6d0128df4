/* libFuzzer target: the Authorization parser the lab servers use (RFC 7616 3.4, RFC 3310
 * auts), with a to_string -> parse round trip for every header it accepts. */
#include "gba.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaDigestAuthorization) a = gba_digest_authorization_parse (text, &error);
  g_autofree char *again = NULL;
  g_autoptr(GbaDigestAuthorization) back = NULL;

  if (a == NULL)
    {
      g_assert (error != NULL && error->domain == GBA_ERROR);
      return 0;
    }
  again = gba_digest_authorization_to_string (a);
  if (strlen (again) > 8192)
    return 0;
  back = gba_digest_authorization_parse (again, &error);
  g_assert (back != NULL);
  g_assert (strcmp (back->username, a->username) == 0 && strcmp (back->nonce, a->nonce) == 0);
  g_assert (strcmp (back->uri, a->uri) == 0 && strcmp (back->response, a->response) == 0);
  g_assert (back->qop == a->qop && back->algorithm == a->algorithm);
  g_assert (g_strcmp0 (back->auts, a->auts) == 0 && g_strcmp0 (back->cnonce, a->cnonce) == 0);
  g_assert (g_strcmp0 (back->opaque, a->opaque) == 0);
  return 0;
}
