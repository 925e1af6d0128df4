/* mbms-labnet: the lab network simulator: the BSF (Ub, and Zn on loopback) and, with a [bmsc]
 * group in the configuration, the BM-SC (key management, MSK pushes, MTK streams), and with a
 * [lab-media] group an SRTP sender under the BM-SC's MTKs. */
#include "config.h"
#include "lab-bmsc.h"
#include "lab-media.h"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>

/* SIGUSR1: the BM-SC restarts (lab_bmsc_restart), for tests of a UE whose keys stop working. */
static gboolean
on_restart (gpointer user_data)
{
  if (user_data != NULL)
    lab_bmsc_restart (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autofree char *config = NULL;
  g_autofree char *listen = NULL;
  int port = 0;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Lab network configuration (key file)", "FILE" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Address to listen on (default 127.0.0.1)", "ADDR" },
    { "bsf-port", 'p', 0, G_OPTION_ARG_INT, &port, "BSF port (0 = any free port)", "PORT" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- the mbmsd lab network");
  g_autoptr(GError) error = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(LabBsf) bsf = NULL;
  g_autoptr(LabBmsc) bmsc = NULL;
  g_autoptr(LabMedia) media = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GInetAddress) addr = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  GSList *uris;

  setlocale (LC_ALL, ""); /* GLib's messages in the user's charset, not '?' for its quotes */
  g_log_writer_default_set_use_stderr (TRUE); /* stdout carries results */
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("mbms-labnet: %s\n", error->message);
      return 2;
    }
  if (config == NULL)
    {
      g_printerr ("mbms-labnet: --config is required\n");
      return 2;
    }
  if (!g_key_file_load_from_file (kf, config, G_KEY_FILE_NONE, &error)
      || (bsf = lab_bsf_new_from_key_file (kf, &error)) == NULL)
    {
      g_printerr ("mbms-labnet: %s: %s\n", config, error->message);
      return 1;
    }

  /* Loopback only unless told otherwise: the lab hands out keys to whoever asks on /zn. */
  addr = g_inet_address_new_from_string (listen != NULL ? listen : "127.0.0.1");
  if (addr == NULL)
    {
      g_printerr ("mbms-labnet: --listen %s is not an IP address\n", listen);
      return 2;
    }
  sockaddr = g_inet_socket_address_new (addr, (guint16) port);
  server = soup_server_new ("server-header", "mbms-labnet/" MBMSD_VERSION, NULL);
  lab_bsf_attach (bsf, server);
  if (g_key_file_has_group (kf, "bmsc"))
    {
      bmsc = lab_bmsc_from_key_file (bsf, kf, &error);
      if (bmsc == NULL)
        {
          g_printerr ("mbms-labnet: %s: %s\n", config, error->message);
          return 1;
        }
      lab_bmsc_attach (bmsc, server);
      /* [lab-media]: SRTP under the MTKs the BM-SC announces */
      if (g_key_file_has_group (kf, "lab-media") && (media = lab_media_from_key_file (bmsc, kf, &error)) == NULL)
        {
          g_printerr ("mbms-labnet: %s: %s\n", config, error->message);
          return 1;
        }
    }
  if (!soup_server_listen (server, sockaddr, 0, &error))
    {
      g_printerr ("mbms-labnet: cannot listen: %s\n", error->message);
      return 1;
    }
  uris = soup_server_get_uris (server);
  if (uris != NULL)
    {
      g_autofree char *uri = g_uri_to_string (uris->data);
      /* The first line on stdout tells scripts where the BSF is. */
      g_print ("BSF %s\n", uri);
      if (bmsc != NULL)
        g_print ("BMSC %s\n", uri);
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGUSR1, on_restart, bmsc);
  g_main_loop_run (loop);
  if (media != NULL)
    g_message ("lab media: %" G_GUINT64_FORMAT " SRTP packets sent", lab_media_sent (media));
  return 0;
}
