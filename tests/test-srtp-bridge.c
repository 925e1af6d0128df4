/* srtp-bridge against libsrtp2 as the independent SRTP implementation (sender side), the RFC
 * 3711 / libsrtp2 vectors of ../shared/vectors/srtp-rfc3711.txt and the RFC 4771 packets derived
 * there. Every stream here is built by libsrtp2 itself; RCC forms follow RFC 4771 3. */
#include <srtp2/crypto_types.h>
#include <srtp2/srtp.h>
#include <string.h>
#include <sys/socket.h>

#include "replay-window.h"
#include "rfc4771.h"
#include "srtp-bridge.h"
#include "test-util.h"

#define MKI_LEN SRTP_BRIDGE_MKI_LEN

/* ---------------------------------------------------------------- helpers */

/* The hex line after the line that starts with label. */
static GBytes *
vector_after (const char *text, const char *label)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    if (g_str_has_prefix (lines[i], label))
      return test_hex_decode (lines[i + 1]);
  g_error ("no vector after \"%s\"", label);
  return NULL;
}

static void
make_mki (guint8 mki[MKI_LEN], guint32 msk_id, guint16 mtk_id)
{
  /* TS 33.246 6.6.2.1: MSK ID || MTK ID */
  mki[0] = (guint8) (msk_id >> 24), mki[1] = (guint8) (msk_id >> 16), mki[2] = (guint8) (msk_id >> 8);
  mki[3] = (guint8) msk_id, mki[4] = (guint8) (mtk_id >> 8), mki[5] = (guint8) mtk_id;
}

static void
make_master (guint8 master[30], guint seed)
{
  for (guint i = 0; i < 30; i++)
    master[i] = (guint8) (seed * 31 + i * 7 + 1);
}

/* A libsrtp2 sender holding up to 16 MTKs, MTK i under MKI (0x00010002, i + 1). */
typedef struct {
  srtp_t   session;
  guint8   masters[16][30];
  guint8   mkis[16][MKI_LEN];
  guint    n;
} Sender;

static void
sender_init (Sender *s, guint n_keys, guint rtp_tag, guint rtcp_tag, guint32 ssrc)
{
  srtp_policy_t p;
  srtp_master_key_t keys[16], *ptrs[16];

  memset (s, 0, sizeof *s);
  memset (&p, 0, sizeof p);
  s->n = n_keys;
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtcp);
  if (rtp_tag == 0)
    srtp_crypto_policy_set_aes_cm_128_null_auth (&p.rtp);
  else
    p.rtp.auth_tag_len = (int) rtp_tag;
  p.rtcp.auth_tag_len = (int) rtcp_tag;
  for (guint i = 0; i < n_keys; i++)
    {
      make_master (s->masters[i], i);
      make_mki (s->mkis[i], 0x00010002, (guint16) (i + 1));
      keys[i] = (srtp_master_key_t) { .key = s->masters[i], .mki_id = s->mkis[i], .mki_size = MKI_LEN };
      ptrs[i] = &keys[i];
    }
  p.keys = ptrs;
  p.num_master_keys = n_keys;
  p.ssrc.type = ssrc_specific;
  p.ssrc.value = ssrc;
  p.window_size = 128;
  g_assert_cmpint (srtp_create (&s->session, &p), ==, srtp_err_status_ok);
}

static void
sender_clear (Sender *s)
{
  srtp_dealloc (s->session);
}

static gsize
plain_rtp (guint8 *buf, guint16 seq, guint32 ssrc, gsize payload)
{
  buf[0] = 0x80, buf[1] = 96;
  buf[2] = (guint8) (seq >> 8), buf[3] = (guint8) seq;
  buf[4] = 0, buf[5] = 0, buf[6] = (guint8) (seq >> 8), buf[7] = (guint8) seq;
  buf[8] = (guint8) (ssrc >> 24), buf[9] = (guint8) (ssrc >> 16), buf[10] = (guint8) (ssrc >> 8), buf[11] = (guint8) ssrc;
  for (gsize i = 0; i < payload; i++)
    buf[12 + i] = (guint8) (seq + i * 13);
  return 12 + payload;
}

/* Protects with key k; roc >= 0 forces the sender's ROC first (late join, RFC 4771). */
static gsize
sender_protect (Sender *s, guint k, guint8 *buf, gsize len, gint64 roc)
{
  int n = (int) len;
  guint32 ssrc = (guint32) buf[8] << 24 | (guint32) buf[9] << 16 | (guint32) buf[10] << 8 | buf[11];

  if (roc >= 0)
    g_assert_cmpint (srtp_set_stream_roc (s->session, ssrc, (guint32) roc), ==, srtp_err_status_ok);
  g_assert_cmpint (srtp_protect_mki (s->session, buf, &n, 1, k), ==, srtp_err_status_ok);
  return (gsize) n;
}

static void
add_key (SrtpBridgeReceiver *r, Sender *s, guint k, const SrtpBridgePolicy *policy)
{
  g_autoptr(GError) error = NULL;

  srtp_bridge_receiver_add_key (r, s->mkis[k], s->masters[k], 16, s->masters[k] + 16, 14, policy, &error);
  g_assert_no_error (error);
}

/* ---------------------------------------------------------------- policy */

static void
test_policy (void)
{
  SrtpBridgePolicy p;
  g_autoptr(GError) error = NULL;
  /* RFC 4771 parameters; the specific SRTP tag length (18) wins over the common one (11) */
  const guint8 rcc[] = { 2, 1, 3, 11, 1, 10, 18, 1, 14, 13, 2, 0, 5, 8, 1, 0 };
  const guint8 short_tag[] = { 11, 1, 4 };

  srtp_bridge_policy_init_default (&p);
  g_assert_cmpuint (p.key_len, ==, 16);
  g_assert_cmpuint (p.tag_len, ==, 10);
  g_assert_cmpint (p.auth, ==, SRTP_BRIDGE_AUTH_HMAC_SHA1);
  g_assert_cmpstr (srtp_bridge_policy_cipher_name (&p, FALSE), ==, "aes-128-icm");
  g_assert_cmpstr (srtp_bridge_policy_auth_name (&p, TRUE), ==, "hmac-sha1-80");

  g_assert_true (srtp_bridge_policy_parse (rcc, sizeof rcc, &p, &error));
  g_assert_no_error (error);
  g_assert_cmpint (p.auth, ==, SRTP_BRIDGE_AUTH_RCCM2);
  g_assert_cmpuint (p.tag_len, ==, 14);
  g_assert_cmpuint (p.roc_rate, ==, 5);
  g_assert_false (p.srtcp_encrypt);
  g_assert_cmpuint (p.srtcp_tag_len, ==, 10); /* RCC never applies to SRTCP */
  g_assert_null (srtp_bridge_policy_auth_name (&p, FALSE)); /* srtpdec has no RCC */
  g_assert_cmpstr (srtp_bridge_policy_cipher_name (&p, TRUE), ==, "null");

  g_assert_true (srtp_bridge_policy_parse (short_tag, sizeof short_tag, &p, &error));
  g_assert_cmpstr (srtp_bridge_policy_auth_name (&p, FALSE), ==, "hmac-sha1-32");
  g_assert_cmpuint (p.srtcp_tag_len, ==, 4);
}

static void
test_policy_rejections (void)
{
  static const struct { guint8 sp[8]; gsize len; const char *names; } bad[] = {
    { { 6, 1, 1 }, 3, "key derivation rate" },           /* TS 33.246 6.6.2: kdr 0 */
    { { 0, 1, 2 }, 3, "encryption algorithm 2" },         /* AES-F8 */
    { { 11, 1, 21 }, 3, "tag length 21" },
    { { 2, 1, 4, 11, 1, 10 }, 6, "RCCm3" },               /* RCCm3 tags are the ROC alone */
    { { 2, 1, 3, 11, 1, 6 }, 6, "with RCC" },             /* ROC + a 16-bit MAC */
    { { 13, 1, 0 }, 3, "ROC transmission rate 0" },
    { { 11, 4, 1 }, 3, "runs past" },
    { { 11, 0 }, 2, "length 0" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      SrtpBridgePolicy p;
      g_autoptr(GError) error = NULL;

      g_assert_false (srtp_bridge_policy_parse (bad[i].sp, bad[i].len, &p, &error));
      g_assert_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_POLICY);
      if (strstr (error->message, bad[i].names) == NULL)
        g_error ("case %u: \"%s\" does not name \"%s\"", i, error->message, bad[i].names);
    }
}

/* ---------------------------------------------------------------- vectors */

static void
vector_receiver_keys (SrtpBridgeReceiver *r, const char *text)
{
  g_autoptr(GBytes) k1 = test_hex_decode ("E1F97A0D3E018BE0D64FA32C06DE41390EC675AD498AFEEBB6960B3AABE6");
  g_autoptr(GBytes) k2 = test_hex_decode ("101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d");
  const guint8 mki1[] = { 0, 1, 0, 2, 0, 5 }, mki2[] = { 0, 1, 0, 2, 0, 6 };
  const guint8 *a = g_bytes_get_data (k1, NULL), *b = g_bytes_get_data (k2, NULL);
  SrtpBridgePolicy p;

  g_assert_nonnull (strstr (text, "K1 (30 octets) = E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6"));
  srtp_bridge_policy_init_default (&p);
  g_assert_true (srtp_bridge_receiver_add_key (r, mki1, a, 16, a + 16, 14, &p, NULL));
  g_assert_true (srtp_bridge_receiver_add_key (r, mki2, b, 16, b + 16, 14, &p, NULL));
}

static void
test_vectors_libsrtp2 (void)
{
  g_autofree char *text = test_vectors_read ("srtp-rfc3711.txt");
  g_autoptr(GBytes) plain = test_hex_decode ("8060123400000064cafebabe4d424d5320535254502074657374207061796c6f61642030313233343536373839");
  const char *labels[] = { "B2 MKI 000100020005", "B3 MKI 000100020006" };

  /* B2 and B3 share SSRC and SEQ: one receiver each, both MTKs in each */
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
      g_autoptr(GBytes) v = vector_after (text, labels[i]);
      guint8 buf[128];
      gsize len = g_bytes_get_size (v);

      vector_receiver_keys (r, text);
      memcpy (buf, g_bytes_get_data (v, NULL), len);
      g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_OK);
      g_assert_cmpmem (buf, len, g_bytes_get_data (plain, NULL), g_bytes_get_size (plain));
      /* the same packet again is a replay */
      len = g_bytes_get_size (v);
      memcpy (buf, g_bytes_get_data (v, NULL), len);
      g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_REPLAY);
      g_assert_cmpuint (srtp_bridge_receiver_get_counters (r)->rtp_ok, ==, 1);
      g_assert_cmpuint (srtp_bridge_receiver_get_counters (r)->replay, ==, 1);
    }
}

static void
test_vectors_rfc4771 (void)
{
  g_autofree char *text = test_vectors_read ("srtp-rfc3711.txt");
  g_autoptr(GBytes) plain = test_hex_decode ("8060123400000064cafebabe4d424d5320535254502074657374207061796c6f61642030313233343536373839");
  g_autoptr(GBytes) b2 = vector_after (text, "B2 MKI");
  g_autoptr(GBytes) b4 = vector_after (text, "B4 MKI");
  g_autoptr(GBytes) c2 = vector_after (text, "#   tag = 00000000 || 3223e6bdf452");
  const guint8 b4_tag[] = { 0, 0, 0, 1, 0x28, 0x98, 0xbc, 0xf9, 0x95, 0xa9 }; /* part C, B4 with ROC 1 */
  const guint8 rcc_sp[] = { 2, 1, 3, 11, 1, 10, 13, 1, 2 };                  /* RCCm2, tag 10, R = 2 */
  SrtpBridgePolicy policy;
  guint8 buf[128];
  gsize len;

  /* the sender's rule reproduces the derived vector (B2 -> C) */
  len = g_bytes_get_size (b2);
  memcpy (buf, g_bytes_get_data (b2, NULL), len);
  g_assert_true (rfc4771_put_roc (buf, &len, sizeof buf, 10, 0));
  g_assert_cmpmem (buf, len, g_bytes_get_data (c2, NULL), g_bytes_get_size (c2));

  /* a receiver that never saw ROC 0 decrypts B4 (ROC 1) from the ROC in its tag alone */
  g_assert_true (srtp_bridge_policy_parse (rcc_sp, sizeof rcc_sp, &policy, NULL));
  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
      g_autoptr(GBytes) k1 = test_hex_decode ("E1F97A0D3E018BE0D64FA32C06DE41390EC675AD498AFEEBB6960B3AABE6");
      const guint8 mki1[] = { 0, 1, 0, 2, 0, 5 };
      const guint8 *k = g_bytes_get_data (k1, NULL);

      g_assert_true (srtp_bridge_receiver_add_key (r, mki1, k, 16, k + 16, 14, &policy, NULL));
      len = g_bytes_get_size (b4);
      memcpy (buf, g_bytes_get_data (b4, NULL), len);
      g_assert_true (rfc4771_put_roc (buf, &len, sizeof buf, 10, 1));
      g_assert_cmpmem (buf + len - 10, 10, b4_tag, sizeof b4_tag);
      if (round == 1)
        buf[len - 7] ^= 1; /* claims ROC 0x00000101: the MAC over the ROC says no */
      g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==,
                       round == 0 ? SRTP_BRIDGE_OK : SRTP_BRIDGE_AUTH_FAIL);
      if (round == 0)
        g_assert_cmpmem (buf, len, g_bytes_get_data (plain, NULL), g_bytes_get_size (plain));
    }
}

/* ---------------------------------------------------------------- streams */

#define SSRC 0x5eed1234u

static void
test_mtk_changes_no_loss (void)
{
  g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
  SrtpBridgePolicy policy;
  Sender s;
  guint8 buf[1500], want[1500];

  srtp_bridge_policy_init_default (&policy);
  sender_init (&s, 6, 10, 10, SSRC);
  /* 6 MTKs, 500 packets each, across a SEQ wrap; each MTK arrives before its first use */
  for (guint i = 0; i < 3000; i++)
    {
      guint k = i / 500;
      guint16 seq = (guint16) (64000 + i);
      gsize len = plain_rtp (buf, seq, SSRC, 1200), plain_len = len;

      memcpy (want, buf, len);
      if (i % 500 == 0)
        add_key (r, &s, k, &policy);
      len = sender_protect (&s, k, buf, len, -1);
      g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_OK);
      g_assert_cmpmem (buf, len, want, plain_len);
    }
  g_assert_cmpuint (srtp_bridge_receiver_get_counters (r)->rtp_ok, ==, 3000);
  g_assert_cmpuint (srtp_bridge_receiver_get_counters (r)->held, ==, 0);
  sender_clear (&s);
}

static void
test_two_keys_around_change (void)
{
  g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
  SrtpBridgePolicy policy;
  Sender s;
  guint8 late[1500], buf[1500];
  gsize late_len, len;

  srtp_bridge_policy_init_default (&policy);
  sender_init (&s, 3, 10, 10, SSRC);
  add_key (r, &s, 0, &policy);
  add_key (r, &s, 1, &policy);
  /* a packet of the old MTK overtaken by one of the new: both decrypt (6.6.2: two MTKs) */
  late_len = sender_protect (&s, 0, late, plain_rtp (late, 10, SSRC, 100), -1);
  len = sender_protect (&s, 1, buf, plain_rtp (buf, 11, SSRC, 100), -1);
  g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_OK);
  g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, late, &late_len), ==, SRTP_BRIDGE_OK);
  /* a third MTK pushes the first out: its packets no longer decrypt */
  add_key (r, &s, 2, &policy);
  late_len = sender_protect (&s, 0, late, plain_rtp (late, 12, SSRC, 100), -1);
  g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, late, &late_len), ==, SRTP_BRIDGE_HELD);
  len = sender_protect (&s, 1, buf, plain_rtp (buf, 13, SSRC, 100), -1);
  g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_OK);
  /* the same MTK announced again changes nothing */
  add_key (r, &s, 2, &policy);
  len = sender_protect (&s, 1, buf, plain_rtp (buf, 14, SSRC, 100), -1);
  g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_OK);
  sender_clear (&s);
}

static void
test_tamper_and_replay (void)
{
  g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
  SrtpBridgePolicy policy;
  Sender s;
  guint8 buf[1500], copy[1500];
  gsize len, copy_len;
  const SrtpBridgeCounters *c = srtp_bridge_receiver_get_counters (r);

  srtp_bridge_policy_init_default (&policy);
  sender_init (&s, 1, 10, 10, SSRC);
  add_key (r, &s, 0, &policy);
  len = sender_protect (&s, 0, buf, plain_rtp (buf, 100, SSRC, 200), -1);
  memcpy (copy, buf, len);
  copy_len = len;
  buf[40] ^= 0x80; /* a payload bit */
  g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_AUTH_FAIL);
  memcpy (buf, copy, copy_len), len = copy_len;
  buf[len - 1] ^= 1; /* a tag bit */
  g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_AUTH_FAIL);
  memcpy (buf, copy, copy_len), len = copy_len;
  g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_OK);
  memcpy (buf, copy, copy_len), len = copy_len;
  g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_REPLAY);
  /* short and non-RTP datagrams */
  len = 10;
  g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, copy, &len), ==, SRTP_BRIDGE_MALFORMED);
  memcpy (buf, copy, copy_len), len = copy_len;
  buf[0] = 0x40;
  g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_MALFORMED);
  g_assert_cmpuint (c->auth_fail, ==, 2);
  g_assert_cmpuint (c->replay, ==, 1);
  g_assert_cmpuint (c->malformed, ==, 2);
  g_assert_cmpuint (c->rtp_ok, ==, 1);
  sender_clear (&s);
}

static void
test_srtcp (void)
{
  g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
  SrtpBridgePolicy policy;
  Sender s;
  /* a sender report: V=2, PT=200, length 6 words, SSRC, NTP, RTP ts, counts */
  guint8 sr[28 + 64] = { 0x80, 200, 0, 6, (guint8) (SSRC >> 24), (guint8) (SSRC >> 16), (guint8) (SSRC >> 8),
                         (guint8) SSRC, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x10, 0, 0, 0, 0, 42, 0, 0, 0x30, 0 };
  guint8 buf[128];
  int n = 28;
  gsize len;

  srtp_bridge_policy_init_default (&policy);
  sender_init (&s, 2, 10, 10, SSRC);
  add_key (r, &s, 0, &policy);
  add_key (r, &s, 1, &policy);
  memcpy (buf, sr, 28);
  g_assert_cmpint (srtp_protect_rtcp_mki (s.session, buf, &n, 1, 1), ==, srtp_err_status_ok);
  g_assert_cmpint (n, ==, 28 + 4 + MKI_LEN + 10);
  g_assert_cmpmem (buf + n - 10 - MKI_LEN, MKI_LEN, s.mkis[1], MKI_LEN);
  len = (gsize) n;
  g_assert_cmpint (srtp_bridge_receiver_unprotect_rtcp (r, buf, &len), ==, SRTP_BRIDGE_OK);
  g_assert_cmpmem (buf, len, sr, 28);
  /* tampered, then replayed */
  n = 28;
  memcpy (buf, sr, 28);
  g_assert_cmpint (srtp_protect_rtcp_mki (s.session, buf, &n, 1, 0), ==, srtp_err_status_ok);
  {
    guint8 copy[128];
    gsize copy_len = (gsize) n;
    memcpy (copy, buf, copy_len);
    buf[12] ^= 4;
    len = (gsize) n;
    g_assert_cmpint (srtp_bridge_receiver_unprotect_rtcp (r, buf, &len), ==, SRTP_BRIDGE_AUTH_FAIL);
    len = copy_len;
    g_assert_cmpint (srtp_bridge_receiver_unprotect_rtcp (r, copy, &len), ==, SRTP_BRIDGE_OK);
    memcpy (copy, buf, copy_len);
  }
  g_assert_cmpuint (srtp_bridge_receiver_get_counters (r)->rtcp_ok, ==, 2);
  sender_clear (&s);
}

/* SRTP and SRTCP tags of different lengths (SP 18 and 19, or RFC 4771's SRTP tag with the ROC
 * beside SRTCP's plain one): the MKI of SRTCP sits before the SRTCP tag. libsrtp2 2.5.0's
 * srtp_unprotect_rtcp_mki looks for it before the SRTP tag (fixed upstream in 2.7.0); the
 * receiver must find it all the same, both ways round. */
static void
test_srtcp_tag_lengths_differ (void)
{
  static const guint lengths[][2] = { { 4, 10 }, { 10, 4 } };

  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
      guint rtp_tag = lengths[i][0], rtcp_tag = lengths[i][1];
      SrtpBridgePolicy policy;
      guint8 sr[28] = { 0x80, 200, 0, 6, (guint8) (SSRC >> 24), (guint8) (SSRC >> 16), (guint8) (SSRC >> 8),
                        (guint8) SSRC, 9, 8, 7, 6, 5, 4, 3, 2, 0, 0, 0x20, 0, 0, 0, 0, 17, 0, 0, 0x40, 0 };
      guint8 buf[1500], plain[1500];
      Sender s;
      gsize len;
      int n;

      srtp_bridge_policy_init_default (&policy);
      policy.tag_len = (guint8) rtp_tag;
      policy.srtcp_tag_len = (guint8) rtcp_tag;
      sender_init (&s, 2, rtp_tag, rtcp_tag, SSRC);
      add_key (r, &s, 0, &policy);
      add_key (r, &s, 1, &policy);
      for (guint k = 0; k < 2; k++)
        {
          n = 28;
          memcpy (buf, sr, 28);
          g_assert_cmpint (srtp_protect_rtcp_mki (s.session, buf, &n, 1, k), ==, srtp_err_status_ok);
          g_assert_cmpint (n, ==, 28 + 4 + MKI_LEN + (int) rtcp_tag);
          len = (gsize) n;
          g_assert_cmpint (srtp_bridge_receiver_unprotect_rtcp (r, buf, &len), ==, SRTP_BRIDGE_OK);
          g_assert_cmpmem (buf, len, sr, 28);

          len = plain_rtp (plain, (guint16) (100 + k), SSRC, 200);
          memcpy (buf, plain, len);
          len = sender_protect (&s, k, buf, len, -1);
          g_assert_cmpuint (len, ==, 12 + 200 + MKI_LEN + rtp_tag);
          g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_OK);
          g_assert_cmpmem (buf, len, plain, 12 + 200);
        }
      /* a changed octet under the SRTCP tag still fails */
      n = 28;
      memcpy (buf, sr, 28);
      g_assert_cmpint (srtp_protect_rtcp_mki (s.session, buf, &n, 1, 1), ==, srtp_err_status_ok);
      buf[9] ^= 0x01;
      len = (gsize) n;
      g_assert_cmpint (srtp_bridge_receiver_unprotect_rtcp (r, buf, &len), ==, SRTP_BRIDGE_AUTH_FAIL);
      g_assert_cmpuint (srtp_bridge_receiver_get_counters (r)->rtcp_ok, ==, 2);
      sender_clear (&s);
    }
}

/* The receiver's own replay list: every distance inside the window, slides across its words,
 * too-old indices, and the RFC 3711 3.3.1 index guess around a SEQ wrap. */
static void
test_replay_window (void)
{
  ReplayWindow w = { 0 };

  g_assert_true (replay_window_check (&w, 5));
  replay_window_accept (&w, 1000);
  for (guint64 d = 1; d < REPLAY_WINDOW_SIZE; d++)
    g_assert_true (replay_window_check (&w, 1000 - d));
  g_assert_false (replay_window_check (&w, 1000));
  g_assert_false (replay_window_check (&w, 1000 - REPLAY_WINDOW_SIZE)); /* too old */
  replay_window_accept (&w, 1000 - 70);
  g_assert_false (replay_window_check (&w, 930));
  for (guint64 shift = 1; shift <= 130; shift += 1)
    {
      ReplayWindow v = w;
      replay_window_accept (&v, 1000 + shift);
      g_assert_false (replay_window_check (&v, 1000 + shift));
      g_assert_false (replay_window_check (&v, 1000)); /* seen, or too old */
      g_assert_false (replay_window_check (&v, 930));
      /* never seen: accepted while inside the window, refused once too old */
      g_assert_cmpint (replay_window_check (&v, 931), ==, 1000 + shift - 931 < REPLAY_WINDOW_SIZE);
    }
  /* index guesses: ROC 2, highest SEQ 65530; SEQ 3 is ROC 3, SEQ 65000 stays ROC 2 */
  w = (ReplayWindow) { 0 };
  replay_window_accept (&w, (guint64) 2 << 16 | 65530);
  g_assert_cmpuint (replay_window_rtp_index (&w, 3, 0), ==, (guint64) 3 << 16 | 3);
  g_assert_cmpuint (replay_window_rtp_index (&w, 65000, 0), ==, (guint64) 2 << 16 | 65000);
  w = (ReplayWindow) { 0 };
  replay_window_accept (&w, (guint64) 3 << 16 | 5);
  g_assert_cmpuint (replay_window_rtp_index (&w, 65534, 0), ==, (guint64) 2 << 16 | 65534);
  g_assert_cmpuint (replay_window_rtp_index (&w, 6, 0), ==, (guint64) 3 << 16 | 6);
}

/* RFC 3711 3.3.2 across MTK changes (TS 33.246 6.6.2): a packet index seen under any MTK of
 * the session is refused after a change, the previous MTK accepts only what it has not seen,
 * and SRTCP keeps its replay list too. A fresh libsrtp2 receiver (the oracle) accepts each
 * replayed packet, so every refusal below is the receiver's memory across the change. */
static gboolean
oracle_accepts (Sender *s, guint k, const guint8 *packet, gsize len, gboolean rtcp)
{
  srtp_policy_t p;
  srtp_master_key_t key = { .key = s->masters[k], .mki_id = s->mkis[k], .mki_size = MKI_LEN }, *ptr = &key;
  srtp_t fresh;
  guint8 copy[1500];
  int n = (int) len;
  srtp_err_status_t st;

  memset (&p, 0, sizeof p);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtcp);
  p.rtp.auth_tag_len = 10;
  p.rtcp.auth_tag_len = 10;
  p.keys = &ptr;
  p.num_master_keys = 1;
  p.ssrc.type = ssrc_any_inbound;
  p.window_size = 128;
  g_assert_cmpint (srtp_create (&fresh, &p), ==, srtp_err_status_ok);
  memcpy (copy, packet, len);
  st = rtcp ? srtp_unprotect_rtcp_mki (fresh, copy, &n, 1) : srtp_unprotect_mki (fresh, copy, &n, 1);
  srtp_dealloc (fresh);
  return st == srtp_err_status_ok;
}

static void
test_replay_across_mtk_changes (void)
{
  g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
  const SrtpBridgeCounters *c = srtp_bridge_receiver_get_counters (r);
  SrtpBridgePolicy policy;
  Sender s;
  guint8 old[60][1500], cur[1500], sr[128];
  gsize old_len[60], len;
  guint8 report[28] = { 0x80, 200, 0, 6, (guint8) (SSRC >> 24), (guint8) (SSRC >> 16), (guint8) (SSRC >> 8),
                        (guint8) SSRC };
  int n = 28;

  srtp_bridge_policy_init_default (&policy);
  sender_init (&s, 3, 10, 10, SSRC);
  add_key (r, &s, 0, &policy);
  /* 60 packets under MTK 0, all received, and one SRTCP report */
  for (guint i = 0; i < 60; i++)
    {
      guint8 buf[1500];
      gsize l = sender_protect (&s, 0, buf, plain_rtp (buf, (guint16) (1000 + i), SSRC, 300), -1);
      memcpy (old[i], buf, l);
      old_len[i] = l;
      g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &l), ==, SRTP_BRIDGE_OK);
    }
  memcpy (sr, report, sizeof report);
  g_assert_cmpint (srtp_protect_rtcp_mki (s.session, sr, &n, 1, 0), ==, srtp_err_status_ok);
  {
    guint8 buf[128];
    len = (gsize) n;
    memcpy (buf, sr, len);
    g_assert_cmpint (srtp_bridge_receiver_unprotect_rtcp (r, buf, &len), ==, SRTP_BRIDGE_OK);
  }
  /* the MTK changes; the old packets come again, each one a fresh receiver would take */
  add_key (r, &s, 1, &policy);
  for (guint i = 0; i < 60; i++)
    {
      guint8 buf[1500];
      len = old_len[i];
      memcpy (buf, old[i], len);
      g_assert_true (oracle_accepts (&s, 0, buf, len, FALSE));
      g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_REPLAY);
    }
  {
    guint8 buf[128];
    len = (gsize) n;
    memcpy (buf, sr, len);
    g_assert_true (oracle_accepts (&s, 0, buf, len, TRUE));
    g_assert_cmpint (srtp_bridge_receiver_unprotect_rtcp (r, buf, &len), ==, SRTP_BRIDGE_REPLAY);
  }
  /* the new MTK's packets pass once; a replay of one of them after the next change does not */
  len = sender_protect (&s, 1, cur, plain_rtp (cur, 1060, SSRC, 300), -1);
  {
    guint8 copy[1500];
    gsize copy_len = len;
    memcpy (copy, cur, len);
    g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, cur, &len), ==, SRTP_BRIDGE_OK);
    add_key (r, &s, 2, &policy);
    g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, copy, &copy_len), ==, SRTP_BRIDGE_REPLAY);
  }
  /* the previous MTK still takes what it has not sent before (a late packet, 6.6.2) */
  {
    guint8 buf[1500];
    len = sender_protect (&s, 1, buf, plain_rtp (buf, 1061, SSRC, 300), -1);
    g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_OK);
  }
  g_assert_cmpuint (c->replay, ==, 62);
  g_assert_cmpuint (c->rtp_ok, ==, 62);
  sender_clear (&s);
}

typedef struct {
  guint  missing;
  guint8 mki[MKI_LEN];
  GPtrArray *released;
} Calls;

static void
on_missing (const guint8 mki[MKI_LEN], gpointer data)
{
  Calls *c = data;
  c->missing++;
  memcpy (c->mki, mki, MKI_LEN);
}

static void
on_release (const guint8 *packet, gsize len, gboolean rtcp, gpointer data)
{
  Calls *c = data;
  g_ptr_array_add (c->released, g_bytes_new (packet, len));
}

static void
test_unknown_mki_held (void)
{
  Calls calls = { .released = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref) };
  g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (on_missing, &calls);
  SrtpBridgePolicy policy;
  Sender s;
  guint8 buf[1500], want[3][1500];
  gsize len;

  srtp_bridge_policy_init_default (&policy);
  srtp_bridge_receiver_set_release_func (r, on_release, &calls);
  sender_init (&s, 2, 10, 10, SSRC);
  add_key (r, &s, 0, &policy);
  /* three packets under an MTK still on its way: held, the key manager asked once */
  for (guint i = 0; i < 3; i++)
    {
      len = plain_rtp (buf, (guint16) (200 + i), SSRC, 300);
      memcpy (want[i], buf, len);
      len = sender_protect (&s, 1, buf, len, -1);
      g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_HELD);
    }
  g_assert_cmpuint (calls.missing, ==, 1);
  g_assert_cmpmem (calls.mki, MKI_LEN, s.mkis[1], MKI_LEN);
  g_assert_cmpuint (calls.released->len, ==, 0);
  /* the MTK arrives: the three come out decrypted, in order */
  add_key (r, &s, 1, &policy);
  g_assert_cmpuint (calls.released->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (calls.released, i), NULL),
                     g_bytes_get_size (g_ptr_array_index (calls.released, i)), want[i], 12 + 300);
  /* a key that never comes: the packet is dropped when the hold time is over */
  {
    Sender other;
    sender_init (&other, 3, 10, 10, SSRC);
    len = sender_protect (&other, 2, buf, plain_rtp (buf, 300, SSRC, 50), -1);
    g_assert_cmpint (srtp_bridge_receiver_unprotect_rtp (r, buf, &len), ==, SRTP_BRIDGE_HELD);
    srtp_bridge_receiver_expire (r, g_get_monotonic_time () + G_TIME_SPAN_SECOND);
    g_assert_cmpuint (srtp_bridge_receiver_get_counters (r)->unknown_mki, ==, 1);
    sender_clear (&other);
  }
  g_assert_cmpuint (srtp_bridge_receiver_get_counters (r)->released, ==, 3);
  g_ptr_array_unref (calls.released);
  sender_clear (&s);
}

/* RFC 4771 streams built from libsrtp2 output by the sender's rule: a receiver joining after
 * ROC > 0 and across a SEQ wrap decrypts everything from the first ROC-carrying packet on. */
static void
run_rcc (SrtpBridgeAuth mode, guint8 sp_mode, guint tag_len, guint16 rate)
{
  const guint8 sp[] = { 2, 1, sp_mode, 11, 1, (guint8) tag_len, 13, 2, (guint8) (rate >> 8), (guint8) rate };
  g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
  SrtpBridgePolicy policy;
  Sender full, none;
  guint32 roc = 7;
  guint16 seq = 65521;
  guint ok = 0, no_roc = 0, first_rcc = G_MAXUINT;

  g_assert_true (srtp_bridge_policy_parse (sp, sizeof sp, &policy, NULL));
  g_assert_cmpint (policy.auth, ==, mode);
  /* libsrtp2 makes the full tag; the RCC form keeps ROC || the first tag_len - 4 octets */
  sender_init (&full, 1, mode == SRTP_BRIDGE_AUTH_RCCM3 ? 0 : tag_len, 10, SSRC);
  sender_init (&none, 1, 0, 10, SSRC);
  add_key (r, &full, 0, &policy);
  for (guint i = 0; i < 60; i++, seq++)
    {
      guint8 buf[1500], want[1500];
      gsize len = plain_rtp (buf, seq, SSRC, 500), plain_len = len;
      gboolean rcc = seq % rate == 0;
      SrtpBridgeVerdict v;

      if (seq == 0)
        roc++;
      memcpy (want, buf, len);
      if (rcc && mode == SRTP_BRIDGE_AUTH_RCCM3)
        {
          len = sender_protect (&none, 0, buf, len, roc);
          buf[len] = 0, buf[len + 1] = 0, buf[len + 2] = 0, buf[len + 3] = 0;
          len += 4; /* a 4-octet tag for the ROC */
          g_assert_true (rfc4771_put_roc (buf, &len, sizeof buf, 4, roc));
        }
      else if (rcc)
        {
          len = sender_protect (&full, 0, buf, len, roc);
          g_assert_true (rfc4771_put_roc (buf, &len, sizeof buf, tag_len, roc));
        }
      else if (mode == SRTP_BRIDGE_AUTH_RCCM2)
        len = sender_protect (&full, 0, buf, len, roc);
      else
        len = sender_protect (&none, 0, buf, len, roc);
      if (rcc && first_rcc == G_MAXUINT)
        first_rcc = i;

      v = srtp_bridge_receiver_unprotect_rtp (r, buf, &len);
      if (v == SRTP_BRIDGE_OK)
        {
          g_assert_cmpmem (buf, len, want, plain_len);
          ok++;
        }
      else
        {
          g_assert_cmpint (v, ==, SRTP_BRIDGE_NO_ROC);
          g_assert_cmpuint (i, <, first_rcc); /* only before the first ROC */
          no_roc++;
        }
    }
  g_assert_cmpuint (ok + no_roc, ==, 60);
  g_assert_cmpuint (no_roc, ==, first_rcc);
  g_assert_cmpuint (no_roc, <, rate);
  sender_clear (&full);
  sender_clear (&none);
}

static void test_rccm1 (void) { run_rcc (SRTP_BRIDGE_AUTH_RCCM1, 2, 14, 4); }
static void test_rccm2 (void) { run_rcc (SRTP_BRIDGE_AUTH_RCCM2, 3, 10, 3); }
static void test_rccm2_every_packet (void) { run_rcc (SRTP_BRIDGE_AUTH_RCCM2, 3, 14, 1); }
static void test_rccm3 (void) { run_rcc (SRTP_BRIDGE_AUTH_RCCM3, 4, 4, 5); }

/* ---------------------------------------------------------------- forwarder */

static guint16
free_port_pair (void)
{
  /* an even port whose successor is free too (RTP, RTCP) */
  for (guint tries = 0; tries < 50; tries++)
    {
      g_autoptr(GSocket) a = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
      g_autoptr(GSocket) b = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
      g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      guint16 port = (guint16) g_random_int_range (20000, 30000) & ~1u;
      g_autoptr(GSocketAddress) pa = g_inet_socket_address_new (lo, port);
      g_autoptr(GSocketAddress) pb = g_inet_socket_address_new (lo, port + 1);
      if (g_socket_bind (a, pa, FALSE, NULL) && g_socket_bind (b, pb, FALSE, NULL))
        return port;
    }
  g_error ("no free port pair");
  return 0;
}

static GSocket *
bound (const char *address, guint16 port)
{
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (a, port);
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, NULL);

  g_assert_true (g_socket_bind (s, sa, TRUE, NULL));
  g_socket_set_timeout (s, 5);
  /* the test reads only after sending everything: room for all of it */
  g_socket_set_option (s, SOL_SOCKET, SO_RCVBUF, 4 * 1024 * 1024, NULL);
  return s;
}

static void
run_forwarder (const char *group, const char *iface)
{
  g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  guint16 in_port = free_port_pair (), out_port = free_port_pair ();
  g_autoptr(SrtpBridgeForwarder) f = NULL;
  g_autoptr(GSocket) tx = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
  g_autoptr(GSocket) rtp_sink = bound ("127.0.0.1", out_port);
  g_autoptr(GSocket) rtcp_sink = bound ("127.0.0.1", out_port + 1);
  g_autoptr(GInetAddress) dst = g_inet_address_new_from_string (group);
  g_autoptr(GSocketAddress) to_rtp = g_inet_socket_address_new (dst, in_port);
  g_autoptr(GSocketAddress) to_rtcp = g_inet_socket_address_new (dst, in_port + 1);
  SrtpBridgePolicy policy;
  Sender s;
  guint got = 0;

  srtp_bridge_policy_init_default (&policy);
  sender_init (&s, 2, 10, 10, SSRC);
  add_key (r, &s, 0, &policy);
  f = srtp_bridge_forwarder_new (r, group, in_port, 0, iface, "127.0.0.1", out_port, &error);
  g_assert_no_error (error);
  if (g_inet_address_get_is_multicast (dst))
    test_multicast_sender (g_socket_get_fd (tx), iface); /* out of iface, whatever the routes say */
  /* 100 packets, the MTK changing half way (announced first), one tampered, one SRTCP */
  for (guint i = 0; i < 100; i++)
    {
      guint8 buf[1500];
      gsize len = plain_rtp (buf, (guint16) i, SSRC, 1000);
      if (i == 50)
        add_key (r, &s, 1, &policy);
      len = sender_protect (&s, i < 50 ? 0 : 1, buf, len, -1);
      if (i == 70)
        buf[30] ^= 1;
      g_assert_cmpint (g_socket_send_to (tx, to_rtp, (char *) buf, len, NULL, NULL), ==, (gssize) len);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  {
    guint8 sr[64] = { 0x80, 200, 0, 6, (guint8) (SSRC >> 24), (guint8) (SSRC >> 16), (guint8) (SSRC >> 8), (guint8) SSRC };
    int n = 28;
    g_assert_cmpint (srtp_protect_rtcp_mki (s.session, sr, &n, 1, 1), ==, srtp_err_status_ok);
    g_socket_send_to (tx, to_rtcp, (char *) sr, (gsize) n, NULL, NULL);
  }
  for (guint spins = 0; spins < 200 && srtp_bridge_receiver_get_counters (r)->rtcp_ok == 0; spins++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  for (;;)
    {
      guint8 buf[2048], want[2048];
      gssize n = g_socket_receive (rtp_sink, (char *) buf, sizeof buf, NULL, NULL);
      gsize wl;
      guint16 seq;
      if (n <= 0)
        break;
      seq = (guint16) (buf[2] << 8 | buf[3]);
      wl = plain_rtp (want, seq, SSRC, 1000);
      g_assert_cmpmem (buf, n, want, wl);
      g_assert_cmpuint (seq, !=, 70);
      got++;
      if (got == 99)
        break;
    }
  {
    const SrtpBridgeCounters *c = srtp_bridge_receiver_get_counters (r);
    g_test_message ("ok %" G_GUINT64_FORMAT " auth %" G_GUINT64_FORMAT " replay %" G_GUINT64_FORMAT " held %" G_GUINT64_FORMAT " malformed %" G_GUINT64_FORMAT, c->rtp_ok, c->auth_fail, c->replay, c->held, c->malformed);
  }
  g_assert_cmpuint (got, ==, 99);
  {
    guint8 buf[128];
    gssize n = g_socket_receive (rtcp_sink, (char *) buf, sizeof buf, NULL, NULL);
    g_assert_cmpint (n, ==, 28);
    g_assert_cmpuint (buf[1], ==, 200);
  }
  g_assert_cmpuint (srtp_bridge_receiver_get_counters (r)->auth_fail, ==, 1);
  g_assert_cmpuint (srtp_bridge_forwarder_get_forwarded (f), ==, 100);
  sender_clear (&s);
}

static void test_forwarder_unicast (void) { run_forwarder ("127.0.0.1", NULL); }
static void
test_forwarder_multicast (void)
{
  g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
  g_autoptr(GSocketAddress) group = g_inet_socket_address_new_from_string ("239.255.42.77", 9);

  /* by route needs a route for the group (a machine without a default route has none) */
  if (!g_socket_connect (probe, group, NULL, NULL))
    {
      g_test_skip ("no route for multicast; the interface case still runs");
      return;
    }
  run_forwarder ("239.255.42.77", NULL);
}
/* the MBMS bearer's interface, not the routes' choice: joined on lo, sent out of lo */
static void test_forwarder_multicast_on_interface (void) { run_forwarder ("239.255.42.79", "lo"); }

static void
test_forwarder_missing_interface (void)
{
  g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SrtpBridgeForwarder) f = srtp_bridge_forwarder_new (r, "239.255.42.80", free_port_pair (), 0, "nosuch0",
                                                                "127.0.0.1", free_port_pair (), &error);

  g_assert_null (f);
  g_assert_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_SOCKET);
  g_assert_nonnull (strstr (error->message, "no network interface nosuch0"));
}

static void
test_forwarder_bad_address (void)
{
  g_autoptr(SrtpBridgeReceiver) r = srtp_bridge_receiver_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SrtpBridgeForwarder) f = srtp_bridge_forwarder_new (r, "not-an-address", 5004, 0, NULL, "127.0.0.1", 40000, &error);

  g_assert_null (f);
  g_assert_error (error, SRTP_BRIDGE_ERROR, SRTP_BRIDGE_ERROR_SOCKET);
  g_assert_nonnull (strstr (error->message, "not-an-address"));
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok); /* for the libsrtp2 senders */
  g_test_add_func ("/srtp-bridge/policy/parse", test_policy);
  g_test_add_func ("/srtp-bridge/policy/rejections-name-the-parameter", test_policy_rejections);
  g_test_add_func ("/srtp-bridge/vectors/libsrtp2-with-mki", test_vectors_libsrtp2);
  g_test_add_func ("/srtp-bridge/vectors/rfc4771-derived-late-join", test_vectors_rfc4771);
  g_test_add_func ("/srtp-bridge/mtk-changes-without-loss", test_mtk_changes_no_loss);
  g_test_add_func ("/srtp-bridge/two-mtks-around-a-change", test_two_keys_around_change);
  g_test_add_func ("/srtp-bridge/tampered-and-replayed", test_tamper_and_replay);
  g_test_add_func ("/srtp-bridge/srtcp", test_srtcp);
  g_test_add_func ("/srtp-bridge/srtcp/tag-lengths-differ", test_srtcp_tag_lengths_differ);
  g_test_add_func ("/srtp-bridge/replay-window", test_replay_window);
  g_test_add_func ("/srtp-bridge/replay-refused-across-mtk-changes", test_replay_across_mtk_changes);
  g_test_add_func ("/srtp-bridge/unknown-mki-held-until-the-key", test_unknown_mki_held);
  g_test_add_func ("/srtp-bridge/rfc4771/rccm1-late-join-across-wrap", test_rccm1);
  g_test_add_func ("/srtp-bridge/rfc4771/rccm2-late-join-across-wrap", test_rccm2);
  g_test_add_func ("/srtp-bridge/rfc4771/rccm2-r1", test_rccm2_every_packet);
  g_test_add_func ("/srtp-bridge/rfc4771/rccm3-late-join-across-wrap", test_rccm3);
  g_test_add_func ("/srtp-bridge/forwarder/unicast", test_forwarder_unicast);
  g_test_add_func ("/srtp-bridge/forwarder/multicast", test_forwarder_multicast);
  g_test_add_func ("/srtp-bridge/forwarder/multicast-on-interface", test_forwarder_multicast_on_interface);
  g_test_add_func ("/srtp-bridge/forwarder/missing-interface", test_forwarder_missing_interface);
  g_test_add_func ("/srtp-bridge/forwarder/bad-address", test_forwarder_bad_address);
  return g_test_run ();
}
