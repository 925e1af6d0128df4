/* srtp-bridge-tool: the bridge alone, for interop tests with foreign senders and players.
 *   srtp-bridge-tool LISTEN_ADDR PORT FORWARD_ADDR FORWARD_PORT MKI_HEX:KEY_SALT_HEX [...]
 * Decrypts SRTP/SRTCP on PORT/PORT+1 with the given MTKs (AES-CM-128, HMAC-SHA-1-80) and
 * forwards plain RTP/RTCP; prints "ready" when listening and the counters as JSON at SIGTERM. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srtp-bridge.h"

static gboolean
quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(SrtpBridgeReceiver) r = NULL;
  g_autoptr(SrtpBridgeForwarder) f = NULL;
  g_autoptr(GError) error = NULL;
  SrtpBridgePolicy policy;
  const SrtpBridgeCounters *c;

  /* stdout carries "ready" and the counters; the bridge's log goes to stderr */
  g_log_writer_default_set_use_stderr (TRUE);
  r = srtp_bridge_receiver_new (NULL, NULL);
  if (argc < 6)
    {
      fprintf (stderr, "usage: srtp-bridge-tool LISTEN PORT FORWARD FORWARD_PORT MKI:KEYSALT [...]\n");
      return 2;
    }
  srtp_bridge_policy_init_default (&policy);
  for (int i = 5; i < argc; i++)
    {
      g_auto(GStrv) parts = g_strsplit (argv[i], ":", 2);
      guint8 mki[6], master[30];
      if (parts[1] == NULL || strlen (parts[0]) != 12 || strlen (parts[1]) != 60)
        return 2;
      for (guint j = 0; j < 6; j++)
        sscanf (parts[0] + 2 * j, "%2hhx", &mki[j]);
      for (guint j = 0; j < 30; j++)
        sscanf (parts[1] + 2 * j, "%2hhx", &master[j]);
      if (!srtp_bridge_receiver_add_key (r, mki, master, 16, master + 16, 14, &policy, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
    }
  f = srtp_bridge_forwarder_new (r, argv[1], (guint16) atoi (argv[2]), 0, NULL, argv[3], (guint16) atoi (argv[4]), &error);
  if (f == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  g_unix_signal_add (SIGTERM, quit, loop);
  g_unix_signal_add (SIGINT, quit, loop);
  printf ("ready\n");
  fflush (stdout);
  g_main_loop_run (loop);
  c = srtp_bridge_receiver_get_counters (r);
  printf ("{\"rtp-ok\":%" G_GUINT64_FORMAT ",\"rtcp-ok\":%" G_GUINT64_FORMAT ",\"auth-fail\":%" G_GUINT64_FORMAT
          ",\"replay\":%" G_GUINT64_FORMAT ",\"unknown-mki\":%" G_GUINT64_FORMAT ",\"malformed\":%" G_GUINT64_FORMAT
          ",\"forwarded\":%" G_GUINT64_FORMAT "}\n",
          c->rtp_ok, c->rtcp_ok, c->auth_fail, c->replay, c->unknown_mki, c->malformed,
          srtp_bridge_forwarder_get_forwarded (f));
  return 0;
}
