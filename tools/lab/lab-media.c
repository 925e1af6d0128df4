/* The lab media sender. It follows the lab BM-SC's MTK stream: when a new MTK has been
 * announced, it waits lead_ms (so that receivers have it) and then protects with it under
 * MKI = MSK ID || MTK ID (TS 33.246 6.6.2.1). libsrtp2 does the SRTP, one stream whose packet
 * index runs on across key changes (srtp_update_stream keeps it). */
#include "lab-media.h"

#include <openssl/crypto.h>
#include <srtp2/srtp.h>
#include <stdlib.h>
#include <string.h>

#define SSRC 0x4d424d53u /* "MBMS" */

struct _LabMedia {
  LabBmsc        *bmsc;
  guint8          domain[3];
  guint16         key_group;
  GSocket        *socket;
  GSocketAddress *rtp_to, *rtcp_to;
  guint           payload;
  guint           lead_ms;
  srtp_t          session;
  guint32         msk_id;    /* of the key in use */
  guint16         mtk_id;
  guint16         seq;
  guint64         sent;
  guint64         octets;
  guint           send_timer, rtcp_timer, switch_timer;
  guint8          master[30];
  guint8          mki[6];
};

static gboolean
set_key (LabMedia *m, guint32 msk_id, guint16 mtk_id, GbaSecret *mtk, GbaSecret *salt)
{
  srtp_policy_t p;
  srtp_master_key_t k = { m->master, m->mki, sizeof m->mki }, *kp = &k;
  srtp_err_status_t st;

  memcpy (m->master, gba_secret_get_data (mtk, NULL), 16);
  memcpy (m->master + 16, gba_secret_get_data (salt, NULL), 14);
  m->mki[0] = (guint8) (msk_id >> 24), m->mki[1] = (guint8) (msk_id >> 16), m->mki[2] = (guint8) (msk_id >> 8);
  m->mki[3] = (guint8) msk_id, m->mki[4] = (guint8) (mtk_id >> 8), m->mki[5] = (guint8) mtk_id;
  memset (&p, 0, sizeof p);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtcp);
  p.keys = &kp;
  p.num_master_keys = 1;
  p.ssrc.type = ssrc_specific;
  p.ssrc.value = SSRC;
  p.window_size = 128;
  st = m->session == NULL ? srtp_create (&m->session, &p) : srtp_update_stream (m->session, &p);
  OPENSSL_cleanse (m->master, sizeof m->master);
  if (st != srtp_err_status_ok)
    {
      g_warning ("lab media: libsrtp2 refused the MTK (status %d)", st);
      return FALSE;
    }
  m->msk_id = msk_id;
  m->mtk_id = mtk_id;
  g_message ("lab media: now sending under MKI %08x %04x (from RTP SEQ %u)", msk_id, mtk_id, m->seq);
  return TRUE;
}

static gboolean
switch_key (gpointer data)
{
  LabMedia *m = data;
  guint16 mtk_id = 0;
  guint32 msk_id = 0;
  g_autoptr(GbaSecret) salt = NULL;
  g_autoptr(GbaSecret) mtk = lab_bmsc_current_mtk (m->bmsc, m->domain, m->key_group, &mtk_id, &salt);
  g_autoptr(GbaSecret) msk = lab_bmsc_current_msk (m->bmsc, m->domain, m->key_group, &msk_id, NULL);

  m->switch_timer = 0;
  if (mtk != NULL && msk != NULL && (mtk_id != m->mtk_id || msk_id != m->msk_id))
    set_key (m, msk_id, mtk_id, mtk, salt);
  return G_SOURCE_REMOVE;
}

static gboolean
send_rtp (gpointer data)
{
  LabMedia *m = data;
  guint16 mtk_id = 0;
  guint8 pkt[1500 + 64];
  int len = 12 + (int) m->payload;
  g_autoptr(GbaSecret) mtk = lab_bmsc_current_mtk (m->bmsc, m->domain, m->key_group, &mtk_id, NULL);

  /* a new MTK was announced: take it up a little later, when receivers have it */
  if (mtk != NULL && mtk_id != m->mtk_id && m->switch_timer == 0)
    {
      if (m->session == NULL)
        switch_key (m);
      else
        m->switch_timer = g_timeout_add (m->lead_ms, switch_key, m);
    }
  if (m->session == NULL)
    return G_SOURCE_CONTINUE;
  pkt[0] = 0x80, pkt[1] = 96, pkt[2] = (guint8) (m->seq >> 8), pkt[3] = (guint8) m->seq;
  pkt[4] = (guint8) (m->sent >> 24), pkt[5] = (guint8) (m->sent >> 16), pkt[6] = (guint8) (m->sent >> 8);
  pkt[7] = (guint8) m->sent;
  pkt[8] = (guint8) (SSRC >> 24), pkt[9] = (guint8) (SSRC >> 16), pkt[10] = (guint8) (SSRC >> 8), pkt[11] = (guint8) SSRC;
  for (guint i = 0; i < m->payload; i++)
    pkt[12 + i] = (guint8) (m->seq + 13 * i);
  if (srtp_protect_mki (m->session, pkt, &len, 1, 0) != srtp_err_status_ok)
    return G_SOURCE_CONTINUE;
  if (g_socket_send_to (m->socket, m->rtp_to, (const char *) pkt, (gsize) len, NULL, NULL) > 0)
    {
      m->sent++;
      m->octets += m->payload;
    }
  m->seq++;
  return G_SOURCE_CONTINUE;
}

/* SRTCP sender report once a second (same master key and MKI, RFC 3711 3.4). */
static gboolean
send_rtcp (gpointer data)
{
  LabMedia *m = data;
  guint8 sr[28 + 64] = { 0x80, 200, 0, 6, (guint8) (SSRC >> 24), (guint8) (SSRC >> 16), (guint8) (SSRC >> 8),
                         (guint8) SSRC };
  int len = 28;
  guint64 now = (guint64) g_get_real_time ();

  if (m->session == NULL)
    return G_SOURCE_CONTINUE;
  sr[8] = (guint8) (now >> 56), sr[9] = (guint8) (now >> 48), sr[10] = (guint8) (now >> 40), sr[11] = (guint8) (now >> 32);
  sr[20] = (guint8) (m->sent >> 24), sr[21] = (guint8) (m->sent >> 16), sr[22] = (guint8) (m->sent >> 8);
  sr[23] = (guint8) m->sent;
  sr[24] = (guint8) (m->octets >> 24), sr[25] = (guint8) (m->octets >> 16), sr[26] = (guint8) (m->octets >> 8);
  sr[27] = (guint8) m->octets;
  if (srtp_protect_rtcp_mki (m->session, sr, &len, 1, 0) == srtp_err_status_ok)
    g_socket_send_to (m->socket, m->rtcp_to, (const char *) sr, (gsize) len, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

LabMedia *
lab_media_new (LabBmsc *bmsc, const guint8 domain[3], guint16 key_group, const char *address, guint16 port,
               guint rate, guint payload, guint lead_ms, GError **error)
{
  g_autoptr(LabMedia) m = g_new0 (LabMedia, 1);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  static gsize init = 0;

  if (g_once_init_enter (&init))
    g_once_init_leave (&init, srtp_init () == srtp_err_status_ok ? 1 : 2);
  if (inet == NULL || rate == 0 || rate > 10000 || payload > 1400 || port == G_MAXUINT16)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "lab media: destination %s:%u, rate %u/s, payload %u: out of range", address, port, rate, payload);
      return NULL;
    }
  m->bmsc = bmsc;
  memcpy (m->domain, domain, 3);
  m->key_group = key_group;
  m->payload = payload;
  m->lead_ms = lead_ms;
  m->seq = (guint16) g_random_int ();
  m->rtp_to = g_inet_socket_address_new (inet, port);
  m->rtcp_to = g_inet_socket_address_new (inet, port + 1);
  m->socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (m->socket == NULL)
    return NULL;
  lab_socket_set_multicast_out (m->socket, lab_bmsc_get_multicast_interface (bmsc));
  m->send_timer = g_timeout_add (MAX (1000 / rate, 1u), send_rtp, m);
  m->rtcp_timer = g_timeout_add_seconds (1, send_rtcp, m);
  return g_steal_pointer (&m);
}

void
lab_media_free (LabMedia *m)
{
  if (m == NULL)
    return;
  g_clear_handle_id (&m->send_timer, g_source_remove);
  g_clear_handle_id (&m->rtcp_timer, g_source_remove);
  g_clear_handle_id (&m->switch_timer, g_source_remove);
  if (m->session != NULL)
    srtp_dealloc (m->session);
  g_clear_object (&m->socket);
  g_clear_object (&m->rtp_to);
  g_clear_object (&m->rtcp_to);
  g_free (m);
}

guint64
lab_media_sent (LabMedia *m)
{
  return m->sent;
}

LabMedia *
lab_media_from_key_file (LabBmsc *bmsc, GKeyFile *kf, GError **error)
{
  g_autofree char *dest = g_key_file_get_string (kf, "lab-media", "destination", NULL);
  g_autofree char *domain_hex = g_key_file_get_string (kf, "lab-media", "key-domain", NULL);
  gint key_group = g_key_file_get_integer (kf, "lab-media", "key-group", NULL);
  gint rate = g_key_file_has_key (kf, "lab-media", "rate", NULL) ? g_key_file_get_integer (kf, "lab-media", "rate", NULL) : 50;
  gint payload = g_key_file_has_key (kf, "lab-media", "payload", NULL)
                   ? g_key_file_get_integer (kf, "lab-media", "payload", NULL) : 1000;
  gint lead = g_key_file_has_key (kf, "lab-media", "lead-ms", NULL)
                ? g_key_file_get_integer (kf, "lab-media", "lead-ms", NULL) : 200;
  g_autofree char *address = NULL;
  guint8 domain[3];

  if (dest == NULL || strrchr (dest, ':') == NULL || !gba_hex_to_buf (domain_hex, domain, 3) || key_group <= 0
      || key_group > 0xffff || rate <= 0 || payload < 0 || lead < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "[lab-media] needs destination (address:port), key-domain (6 hex digits), key-group; rate, "
                   "payload and lead-ms are positive");
      return NULL;
    }
  address = g_strndup (dest, strrchr (dest, ':') - dest);
  return lab_media_new (bmsc, domain, (guint16) key_group, address, (guint16) atoi (strrchr (dest, ':') + 1),
                        (guint) rate, (guint) payload, (guint) lead, error);
}
