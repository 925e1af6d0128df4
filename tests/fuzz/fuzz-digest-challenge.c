/* libFuzzer target: the WWW-Authenticate parser (RFC 7616 3.3, RFC 3310). */
#include "gba.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaDigestChallenge) c = gba_digest_challenge_parse (text, &error);

  if (c == NULL)
    {
      g_assert (error != NULL && error->domain == GBA_ERROR);
      return 0;
    }
  g_assert (c->realm != NULL && c->nonce != NULL);
  /* an answer to any parsed challenge is itself parseable and consistent */
  {
    g_autoptr(GbaDigestAuthorization) a = gba_digest_answer (c, "user", (const guint8 *) "pw", 2, "GET", "/",
                                                             NULL, 0, TRUE, 1);
    g_autofree char *header = gba_digest_authorization_to_string (a);
    g_autoptr(GbaDigestAuthorization) back = gba_digest_authorization_parse (header, NULL);

    if (strlen (header) <= 8192)
      {
        g_assert (back != NULL);
        g_assert (strcmp (back->nonce, c->nonce) == 0 && strcmp (back->realm, c->realm) == 0);
        g_assert (strcmp (back->response, a->response) == 0);
      }
  }
  return 0;
}
