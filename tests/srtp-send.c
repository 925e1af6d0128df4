/* srtp-send: an SRTP sender built on libsrtp2 alone (the independent implementation), for
 * tests that feed the daemon's bridge. Packets carry a payload a receiver can check:
 * octet i of packet SEQ is (SEQ + 13 i) mod 256.
 *   srtp-send ADDR PORT KEY_SALT_HEX MKI_HEX COUNT [FIRST_SEQ [TAMPER_SEQ]] */
#include <arpa/inet.h>
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
unhex (const char *hex, unsigned char *out, size_t len)
{
  if (strlen (hex) != 2 * len)
    return -1;
  for (size_t i = 0; i < len; i++)
    if (sscanf (hex + 2 * i, "%2hhx", &out[i]) != 1)
      return -1;
  return 0;
}

int
main (int argc, char **argv)
{
  unsigned char master[30], mki[6], pkt[1500];
  srtp_master_key_t key = { master, mki, sizeof mki }, *keys = &key;
  srtp_policy_t policy;
  srtp_t session;
  struct sockaddr_in to = { .sin_family = AF_INET };
  int fd, count, seq, tamper = -1;

  if (argc < 6 || inet_pton (AF_INET, argv[1], &to.sin_addr) != 1 || unhex (argv[3], master, sizeof master) != 0
      || unhex (argv[4], mki, sizeof mki) != 0)
    {
      fprintf (stderr, "usage: srtp-send ADDR PORT KEY_SALT_HEX(30 octets) MKI_HEX(6) COUNT [FIRST_SEQ [TAMPER_SEQ]]\n");
      return 2;
    }
  to.sin_port = htons ((unsigned short) atoi (argv[2]));
  count = atoi (argv[5]);
  seq = argc > 6 ? atoi (argv[6]) : 1;
  if (argc > 7)
    tamper = atoi (argv[7]);
  memset (&policy, 0, sizeof policy);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  policy.keys = &keys;
  policy.num_master_keys = 1;
  policy.ssrc.type = ssrc_any_outbound;
  policy.window_size = 128;
  if (srtp_init () != srtp_err_status_ok || srtp_create (&session, &policy) != srtp_err_status_ok)
    return 1;
  fd = socket (AF_INET, SOCK_DGRAM, 0);
  for (int n = 0; n < count; n++, seq++)
    {
      int len = 12 + 800;
      unsigned char *p = pkt;
      p[0] = 0x80, p[1] = 96, p[2] = (unsigned char) (seq >> 8), p[3] = (unsigned char) seq;
      p[4] = 0, p[5] = 0, p[6] = (unsigned char) (seq >> 8), p[7] = (unsigned char) seq;
      p[8] = 0x12, p[9] = 0x34, p[10] = 0x56, p[11] = 0x78;
      for (int i = 0; i < 800; i++)
        p[12 + i] = (unsigned char) (seq + 13 * i);
      if (srtp_protect_mki (session, pkt, &len, 1, 0) != srtp_err_status_ok)
        return 1;
      if (seq == tamper)
        pkt[20] ^= 1;
      if (sendto (fd, pkt, (size_t) len, 0, (struct sockaddr *) &to, sizeof to) != len)
        return 1;
      usleep (1000);
    }
  close (fd);
  srtp_dealloc (session);
  return 0;
}
