/* The part of SDP (RFC 4566) an MBMS streaming session needs: per media description its
 * destination (c=, session or media level), RTP port, RTCP port (a=rtcp, RFC 3605) and
 * whether it is SRTP (RTP/SAVP). Bounded: at most MBMS_SDP_MAX_LEN octets and
 * MBMS_SDP_MAX_MEDIA media sections. */
#include "mbms-usd.h"

#include <stdlib.h>
#include <string.h>

#define MBMS_SDP_MAX_LEN   (64 * 1024)
#define MBMS_SDP_MAX_MEDIA 32

void
mbms_rtp_session_free (MbmsRtpSession *s)
{
  if (s == NULL)
    return;
  g_free (s->media);
  g_free (s->address);
  g_free (s->sdp_media);
  g_free (s);
}

static gboolean
sdp_fail (GError **error, guint line, const char *what)
{
  g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_PARSE, "SDP line %u: %s", line, what);
  return FALSE;
}

/* c=IN IP4 <addr>[/ttl[/n]] or c=IN IP6 <addr>[/n] */
static char *
parse_connection (const char *value, guint line, GError **error)
{
  g_auto(GStrv) f = g_strsplit (value, " ", -1);
  g_autofree char *addr = NULL;
  char *slash;

  if (g_strv_length (f) != 3 || strcmp (f[0], "IN") != 0 || (strcmp (f[1], "IP4") != 0 && strcmp (f[1], "IP6") != 0))
    {
      sdp_fail (error, line, "c= is not \"IN IP4|IP6 <address>\"");
      return NULL;
    }
  addr = g_strdup (f[2]);
  if ((slash = strchr (addr, '/')) != NULL)
    *slash = '\0';
  if (!g_hostname_is_ip_address (addr))
    {
      sdp_fail (error, line, "c= address is not an IP address");
      return NULL;
    }
  return g_steal_pointer (&addr);
}

static gboolean
parse_port (const char *text, guint16 *port)
{
  guint64 v;

  if (!g_ascii_string_to_unsigned (text, 10, 1, 65535, &v, NULL))
    return FALSE;
  *port = (guint16) v;
  return TRUE;
}

/* m=<media> <port>[/<n>] <proto> <fmt> ... */
static MbmsRtpSession *
parse_media (const char *value, guint line, GError **error)
{
  g_auto(GStrv) f = g_strsplit (value, " ", -1);
  g_autofree char *port = NULL;
  MbmsRtpSession *s;

  /* g_strsplit of "" is empty: the length check below covers it */
  if (g_strv_length (f) < 4)
    {
      sdp_fail (error, line, "m= needs media, port, proto and formats");
      return NULL;
    }
  port = g_strdup (f[1]);
  if (strchr (port, '/') != NULL)
    *strchr (port, '/') = '\0';
  s = g_new0 (MbmsRtpSession, 1);
  if (!parse_port (port, &s->port))
    {
      mbms_rtp_session_free (s);
      sdp_fail (error, line, "m= port is not 1..65535");
      return NULL;
    }
  s->media = g_strdup (f[0]);
  s->rtp = g_str_has_prefix (f[2], "RTP/");
  s->srtp = strcmp (f[2], "RTP/SAVP") == 0 || strcmp (f[2], "RTP/SAVPF") == 0;
  s->flute = strcmp (f[2], "FLUTE/UDP") == 0; /* TS 26.346 7.3.2.1 */
  s->rtcp_port = s->port + 1;
  return s;
}

GPtrArray *
mbms_sdp_parse (const char *sdp, gsize len, GError **error)
{
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) mbms_rtp_session_free);
  g_autofree char *text = NULL;
  g_autofree char *session_addr = NULL;
  g_auto(GStrv) lines = NULL;
  MbmsRtpSession *cur = NULL;
  GString *block = NULL;
  gboolean has_session_tsi = FALSE;
  guint64 session_tsi = 0;

  if (len > MBMS_SDP_MAX_LEN)
    {
      g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_LIMIT, "SDP of %zu octets exceeds %d", len, MBMS_SDP_MAX_LEN);
      return NULL;
    }
  text = g_strndup (sdp, len);
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error_literal (error, MBMS_USD_ERROR, MBMS_USD_ERROR_PARSE, "SDP is not UTF-8 text");
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *l = g_strchomp (lines[i]);
      const char *value = l + 2;

      if (l[0] == '\0')
        continue;
      if (strlen (l) < 2 || l[1] != '=')
        {
          sdp_fail (error, i + 1, "not of the form <type>=<value>");
          goto fail;
        }
      if (l[0] == 'm')
        {
          if (sessions->len >= MBMS_SDP_MAX_MEDIA)
            {
              g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_LIMIT, "SDP has more than %d media", MBMS_SDP_MAX_MEDIA);
              goto fail;
            }
          if (block != NULL)
            cur->sdp_media = g_string_free (g_steal_pointer (&block), FALSE);
          cur = parse_media (value, i + 1, error);
          if (cur == NULL)
            goto fail;
          g_ptr_array_add (sessions, cur);
          block = g_string_new (NULL);
        }
      else if (l[0] == 'c')
        {
          char *addr = parse_connection (value, i + 1, error);
          if (addr == NULL)
            goto fail;
          if (cur != NULL)
            {
              g_free (cur->address);
              cur->address = addr;
            }
          else
            {
              g_free (session_addr);
              session_addr = addr;
            }
        }
      else if (l[0] == 'a' && cur != NULL && g_str_has_prefix (value, "rtcp:"))
        {
          g_auto(GStrv) f = g_strsplit (value + 5, " ", 2);
          if (f[0] == NULL || !parse_port (f[0], &cur->rtcp_port))
            {
              sdp_fail (error, i + 1, "a=rtcp port is not 1..65535");
              goto fail;
            }
        }
      else if (l[0] == 'a' && g_str_has_prefix (value, "flute-tsi:"))
        {
          /* TS 26.346 7.3.2.4: a=flute-tsi:<TSI>, an unsigned decimal integer */
          guint64 tsi;

          if (!g_ascii_string_to_unsigned (value + 10, 10, 0, G_MAXUINT64, &tsi, NULL))
            {
              sdp_fail (error, i + 1, "a=flute-tsi is not an unsigned integer");
              goto fail;
            }
          if (cur != NULL)
            {
              cur->has_tsi = TRUE;
              cur->tsi = tsi;
            }
          else
            {
              has_session_tsi = TRUE;
              session_tsi = tsi;
            }
        }
      if (block != NULL)
        g_string_append_printf (block, "%s\r\n", l);
    }
  if (block != NULL)
    cur->sdp_media = g_string_free (g_steal_pointer (&block), FALSE);
  for (guint i = 0; i < sessions->len; i++)
    {
      MbmsRtpSession *s = g_ptr_array_index (sessions, i);
      if (s->address == NULL && session_addr == NULL)
        {
          g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_PARSE, "SDP media %u (%s) has no c= address", i + 1,
                       s->media);
          return NULL;
        }
      if (s->address == NULL)
        s->address = g_strdup (session_addr);
      if (s->flute && !s->has_tsi && has_session_tsi)
        {
          s->has_tsi = TRUE;
          s->tsi = session_tsi;
        }
    }
  return g_steal_pointer (&sessions);

fail:
  if (block != NULL)
    g_string_free (block, TRUE);
  return NULL;
}

/* The decrypted streams as a player sees them: same codecs, plain RTP on a local address. */
char *
mbms_sdp_playback (const MbmsUserService *service, const char *address, const guint16 *ports)
{
  GString *out = g_string_new ("v=0\r\n");
  const char *family = strchr (address, ':') != NULL ? "IP6" : "IP4";
  guint n = 0;

  g_string_append_printf (out, "o=mbmsd 0 0 IN %s %s\r\ns=%s\r\nc=IN %s %s\r\nt=0 0\r\n", family, address,
                          service->names && service->names[0] ? service->names[0] : service->service_id, family,
                          address);
  for (guint i = 0; i < service->sessions->len; i++)
    {
      MbmsRtpSession *r = g_ptr_array_index (service->sessions, i);
      g_auto(GStrv) lines = NULL;

      if (!r->srtp || r->sdp_media == NULL)
        continue;
      lines = g_strsplit (r->sdp_media, "\r\n", -1);
      for (guint j = 0; lines[j] != NULL; j++)
        {
          const char *l = lines[j];
          if (j == 0)
            {
              /* m=<media> <port> RTP/SAVP <fmts> -> m=<media> <local port> RTP/AVP <fmts> */
              g_auto(GStrv) f = g_strsplit (l, " ", 4);
              g_string_append_printf (out, "%s %u RTP/AVP %s\r\n", f[0], ports[n], f[3] ? f[3] : "");
              g_string_append_printf (out, "a=rtcp:%u\r\n", ports[n] + 1);
            }
          /* codec lines stay; addresses, keys and RTCP ports are ours now */
          else if (g_str_has_prefix (l, "a=") && !g_str_has_prefix (l, "a=rtcp:") && !g_str_has_prefix (l, "a=crypto")
                   && !g_str_has_prefix (l, "a=key-mgmt"))
            g_string_append_printf (out, "%s\r\n", l);
        }
      n++;
    }
  return g_string_free (out, FALSE);
}
