/* libFuzzer target: the Authentication-Info parser (RFC 7616 3.5) and rspauth verification. */
#include "gba.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaDigestAuthInfo) info = gba_digest_auth_info_parse (text, &error);
  GbaDigestAuthorization sent = { .username = (char *) "u", .realm = (char *) "r", .nonce = (char *) "n",
                                  .uri = (char *) "/", .response = (char *) "", .cnonce = (char *) "c",
                                  .nc = (char *) "00000001", .qop = GBA_DIGEST_QOP_AUTH_INT };

  if (info == NULL)
    {
      g_assert (error != NULL && error->domain == GBA_ERROR);
      return 0;
    }
  /* arbitrary input must not verify (it would need the MD5 of the password) unless it is the
   * one right value, and must never crash */
  if (!gba_digest_verify_auth_info (&sent, info, (const guint8 *) "pw", 2, data, size, &error))
    g_assert (error != NULL);
  {
    g_autofree char *again = gba_digest_auth_info_to_string (info);
    g_autoptr(GbaDigestAuthInfo) back = gba_digest_auth_info_parse (again, NULL);
    g_assert (back != NULL);
    g_assert (g_strcmp0 (back->rspauth, info->rspauth) == 0 && g_strcmp0 (back->nc, info->nc) == 0);
  }
  return 0;
}
