/* The SRTP policy of an MSK's SP payload: RFC 3830 6.10.1 parameters with RFC 4771 4 for the
 * ROC-carrying integrity transforms, turned into what the receiver configures in libsrtp2. */
#include "srtp-bridge.h"

#include "mikey.h"

G_DEFINE_QUARK (srtp-bridge-error-quark, srtp_bridge_error)

#define RFC4771_ROC_LEN 4
#define SRTP_HMAC_SHA1_LEN 20

void
srtp_bridge_policy_init_default (SrtpBridgePolicy *policy)
{
  /* RFC 3830 6.10.1 defaults: AES-CM, 128-bit key, 112-bit salt, HMAC-SHA-1 with an 80-bit
   * tag, SRTP and SRTCP encrypted; RFC 4771 4: R = 1. */
  *policy = (SrtpBridgePolicy) { .key_len = 16, .salt_len = 14, .srtp_encrypt = TRUE, .srtcp_encrypt = TRUE,
                                 .auth = SRTP_BRIDGE_AUTH_HMAC_SHA1, .tag_len = 10, .srtcp_tag_len = 10,
                                 .roc_rate = 1 };
}

static gboolean
fail (GError **error, const char *what, guint value)
{
  g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_POLICY, "SRTP policy: %s %u is not supported", what,
               value);
  return FALSE;
}

static gboolean
auth_from_sp (guint8 v, SrtpBridgeAuth *auth, GError **error)
{
  switch (v)
    {
    case MIKEY_SP_AUTH_NULL: *auth = SRTP_BRIDGE_AUTH_NULL; return TRUE;
    case MIKEY_SP_AUTH_HMAC_SHA1: *auth = SRTP_BRIDGE_AUTH_HMAC_SHA1; return TRUE;
    case MIKEY_SP_AUTH_RCCM1: *auth = SRTP_BRIDGE_AUTH_RCCM1; return TRUE;
    case MIKEY_SP_AUTH_RCCM2: *auth = SRTP_BRIDGE_AUTH_RCCM2; return TRUE;
    case MIKEY_SP_AUTH_RCCM3: *auth = SRTP_BRIDGE_AUTH_RCCM3; return TRUE;
    default: return fail (error, "authentication algorithm", v);
    }
}

gboolean
srtp_bridge_policy_parse (const guint8 *params, gsize len, SrtpBridgePolicy *policy, GError **error)
{
  gint tag_len = -1, srtp_tag_len = -1, srtcp_tag_len = -1, auth = -1, srtp_auth = -1;
  gsize off = 0;

  srtp_bridge_policy_init_default (policy);
  while (params != NULL && off < len)
    {
      guint8 type, plen;
      const guint8 *v;
      guint value = 0;

      if (len - off < 2 || len - off - 2 < params[off + 1])
        {
          g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_POLICY,
                       "SRTP policy: parameter at offset %" G_GSIZE_FORMAT " runs past the payload", off);
          return FALSE;
        }
      type = params[off];
      plen = params[off + 1];
      v = params + off + 2;
      off += 2u + plen;
      if (plen == 0 || plen > 4)
        {
          if (type <= MIKEY_SP_SRTCP_AUTH_TAG_LEN)
            {
              g_set_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_POLICY,
                           "SRTP policy: parameter %u has length %u", type, plen);
              return FALSE;
            }
          continue; /* an unknown type we do not read */
        }
      for (guint i = 0; i < plen; i++)
        value = value << 8 | v[i];

      switch ((MikeySpParam) type)
        {
        case MIKEY_SP_ENCR_ALG:
          if (value == MIKEY_SP_ENCR_NULL)
            policy->srtp_encrypt = policy->srtcp_encrypt = FALSE;
          else if (value != MIKEY_SP_ENCR_AES_CM)
            return fail (error, "encryption algorithm", value);
          break;
        case MIKEY_SP_ENCR_KEY_LEN:
          if (value != 16 && value != 32)
            return fail (error, "session encryption key length", value);
          policy->key_len = (guint8) value;
          break;
        case MIKEY_SP_AUTH_ALG: auth = (gint) value; break;
        case MIKEY_SP_SRTP_AUTH_ALG: srtp_auth = (gint) value; break;
        case MIKEY_SP_AUTH_KEY_LEN:
        case MIKEY_SP_SRTP_AUTH_KEY_LEN:
        case MIKEY_SP_SRTCP_AUTH_KEY_LEN:
          if (value != SRTP_HMAC_SHA1_LEN)
            return fail (error, "session authentication key length", value);
          break;
        case MIKEY_SP_SALT_KEY_LEN:
          if (value != 14)
            return fail (error, "session salt length", value);
          break;
        case MIKEY_SP_SRTP_PRF:
          if (value != 0)
            return fail (error, "SRTP PRF", value);
          break;
        case MIKEY_SP_KEY_DERIV_RATE:
          /* TS 33.246 6.6.2: the MTK changes instead; libsrtp2 derives once */
          if (value != 0)
            return fail (error, "key derivation rate", value);
          break;
        case MIKEY_SP_SRTP_ENCR: policy->srtp_encrypt = value != 0; break;
        case MIKEY_SP_SRTCP_ENCR: policy->srtcp_encrypt = value != 0; break;
        case MIKEY_SP_FEC_ORDER:
          if (value != 0)
            return fail (error, "FEC order", value);
          break;
        case MIKEY_SP_SRTP_AUTH:
          if (value == 0)
            srtp_auth = MIKEY_SP_AUTH_NULL;
          break;
        case MIKEY_SP_AUTH_TAG_LEN: tag_len = (gint) value; break;
        case MIKEY_SP_SRTP_AUTH_TAG_LEN: srtp_tag_len = (gint) value; break;
        case MIKEY_SP_SRTCP_AUTH_TAG_LEN: srtcp_tag_len = (gint) value; break;
        case MIKEY_SP_SRTP_PREFIX_LEN:
          if (value != 0)
            return fail (error, "SRTP prefix length", value);
          break;
        case MIKEY_SP_ROC_RATE:
          if (value == 0 || value > G_MAXUINT16)
            return fail (error, "ROC transmission rate", value);
          policy->roc_rate = (guint16) value;
          break;
        case MIKEY_SP_SRTCP_AUTH_ALG:
          /* RFC 4771 4: RCC never applies to SRTCP */
          if (value != MIKEY_SP_AUTH_HMAC_SHA1)
            return fail (error, "SRTCP authentication algorithm", value);
          break;
        default:
          break;
        }
    }

  /* RFC 4771 4: the more specific SRTP parameters win over the common ones */
  if (srtp_auth < 0 && auth >= 0)
    srtp_auth = auth;
  if (srtp_auth >= 0 && !auth_from_sp ((guint8) srtp_auth, &policy->auth, error))
    return FALSE;
  if (srtp_tag_len < 0)
    srtp_tag_len = tag_len;
  if (srtp_tag_len >= 0)
    policy->tag_len = (guint8) MIN (srtp_tag_len, 255);
  if (srtcp_tag_len < 0 && tag_len >= 0 && policy->auth == SRTP_BRIDGE_AUTH_HMAC_SHA1)
    srtcp_tag_len = tag_len;
  if (srtcp_tag_len >= 0)
    policy->srtcp_tag_len = (guint8) MIN (srtcp_tag_len, 255);
  if (policy->auth == SRTP_BRIDGE_AUTH_NULL)
    policy->tag_len = 0;

  switch (policy->auth)
    {
    case SRTP_BRIDGE_AUTH_NULL:
      break;
    case SRTP_BRIDGE_AUTH_HMAC_SHA1:
      if (policy->tag_len < 4 || policy->tag_len > SRTP_HMAC_SHA1_LEN)
        return fail (error, "authentication tag length", policy->tag_len);
      break;
    case SRTP_BRIDGE_AUTH_RCCM1:
    case SRTP_BRIDGE_AUTH_RCCM2:
      /* RFC 4771 4: the tag holds the ROC and at least a 32-bit MAC */
      if (policy->tag_len < RFC4771_ROC_LEN + 4 || policy->tag_len > RFC4771_ROC_LEN + SRTP_HMAC_SHA1_LEN)
        return fail (error, "authentication tag length (with RCC)", policy->tag_len);
      break;
    case SRTP_BRIDGE_AUTH_RCCM3:
      /* RFC 4771 3.3: the tag is the ROC alone */
      if (policy->tag_len != RFC4771_ROC_LEN)
        return fail (error, "authentication tag length (RCCm3)", policy->tag_len);
      break;
    }
  if (policy->srtcp_tag_len < 4 || policy->srtcp_tag_len > SRTP_HMAC_SHA1_LEN)
    return fail (error, "SRTCP authentication tag length", policy->srtcp_tag_len);
  return TRUE;
}

const char *
srtp_bridge_policy_cipher_name (const SrtpBridgePolicy *policy, gboolean rtcp)
{
  if (!(rtcp ? policy->srtcp_encrypt : policy->srtp_encrypt))
    return "null";
  return policy->key_len == 32 ? "aes-256-icm" : "aes-128-icm";
}

const char *
srtp_bridge_policy_auth_name (const SrtpBridgePolicy *policy, gboolean rtcp)
{
  guint8 tag = rtcp ? policy->srtcp_tag_len : policy->tag_len;

  /* GStreamer srtpdec knows 80- and 32-bit HMAC-SHA-1 tags and no RCC */
  if (!rtcp && policy->auth != SRTP_BRIDGE_AUTH_HMAC_SHA1)
    return policy->auth == SRTP_BRIDGE_AUTH_NULL ? "null" : NULL;
  return tag == 10 ? "hmac-sha1-80" : tag == 4 ? "hmac-sha1-32" : NULL;
}
