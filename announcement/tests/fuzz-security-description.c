/* libFuzzer target: the security description reader (TS 26.346 11.3.1) on its own, for the
 * streaming service of data/examples (its SDP read once from MBMS_SOURCE_DIR), so mutations
 * reach every element instead of only the examples fuzz-usd references. The same document is
 * then joined a second time, as a second delivery method's description would be. */
#include "mbms-usd.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static MbmsUserService *
service_new (const char *sdp, gsize sdp_len)
{
  MbmsUserService *s = g_new0 (MbmsUserService, 1);
  g_autoptr(GPtrArray) sessions = mbms_sdp_parse (sdp, sdp_len, NULL);

  g_assert (sessions != NULL);
  s->service_id = g_strdup ("urn:mbmsd:fuzz");
  s->keys = g_array_new (FALSE, TRUE, sizeof (MbmsKeyGroup));
  s->sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) mbms_rtp_session_free);
  s->uicc_key_management = TRUE; /* the default of keyManagement@uiccKeyManagement (11.3.1) */
  while (sessions->len > 0)
    g_ptr_array_add (s->sessions, g_ptr_array_steal_index (sessions, 0));
  s->protected = TRUE;
  return s;
}

static void
check (const MbmsUserService *s)
{
  for (guint i = 0; i < s->sessions->len; i++)
    {
      const MbmsRtpSession *r = g_ptr_array_index (s->sessions, i);
      gboolean listed = FALSE;
      /* a session's key is one of the service's key groups */
      for (guint k = 0; r->has_key && k < s->keys->len; k++)
        {
          const MbmsKeyGroup *g = &g_array_index (s->keys, MbmsKeyGroup, k);
          listed |= g->key_group == r->key.key_group && memcmp (g->domain, r->key.domain, MBMS_KEY_DOMAIN_LEN) == 0;
        }
      g_assert (!r->has_key || listed);
    }
  for (guint i = 0; s->bmsc_uris != NULL && s->bmsc_uris[i] != NULL; i++)
    g_assert (s->bmsc_uris[i][0] != '\0');
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static char *sdp;
  static gsize sdp_len;
  g_autoptr(MbmsUserService) s = NULL;
  g_autoptr(GError) error = NULL;

  if (sdp == NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("MBMS_SOURCE_DIR") ? g_getenv ("MBMS_SOURCE_DIR") : ".",
                                                "data", "examples", "streaming.sdp", NULL);
      g_assert (g_file_get_contents (path, &sdp, &sdp_len, NULL));
    }
  s = service_new (sdp, sdp_len);
  if (!mbms_security_description_parse ((const char *) data, size, s, &error))
    {
      g_assert (error != NULL && error->domain == MBMS_USD_ERROR);
      return 0;
    }
  check (s);
  if (!mbms_security_description_parse ((const char *) data, size, s, &error))
    g_assert (error != NULL && error->domain == MBMS_USD_ERROR);
  check (s);
  return 0;
}
