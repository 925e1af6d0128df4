/* mbms-labnet: the lab network simulator: the BSF (Ub, and Zn on loopback) and, with a [bmsc]
 * group in the configuration, the BM-SC (key management, MSK pushes, MTK streams), and with a
 * [lab-media] group an SRTP sender under the BM-SC's MTKs, and with a [lab-download] group (or
 * --download-to) a protected download session (FLUTE, DCF, the MTK as a MIKEY object). */
#include "config.h"
#include "lab-bmsc.h"
#include "lab-download.h"
#include "lab-media.h"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* SIGUSR1: the BM-SC restarts (lab_bmsc_restart), for tests of a UE whose keys stop working. */
static gboolean
on_restart (gpointer user_data)
{
  if (user_data != NULL)
    lab_bmsc_restart (user_data);
  return G_SOURCE_CONTINUE;
}

/* SIGUSR2: the download session takes its next MTK into use (tests, tools/lab/README.md) */
static gboolean
on_change_mtk (gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (user_data != NULL && !lab_download_change_mtk (user_data, &error))
    g_warning ("%s", error->message);
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
  g_autofree char *download_to = NULL;
  g_autofree char *usd_dir = NULL;
  g_autofree char *dump_dir = NULL;
  int tsi = 0, loss = -1, reorder = -1, duplicate = -1, rounds = -1, rate = -1, big_mib = -1, mikey_round = -1;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Lab network configuration (key file)", "FILE" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Address to listen on (default 127.0.0.1)", "ADDR" },
    { "bsf-port", 'p', 0, G_OPTION_ARG_INT, &port, "BSF port (0 = any free port)", "PORT" },
    { "download-to", 0, 0, G_OPTION_ARG_STRING, &download_to,
      "Send the protected download session to this group (ADDR:PORT; [lab-download] destination)", "ADDR:PORT" },
    { "download-tsi", 0, 0, G_OPTION_ARG_INT, &tsi, "TSI of the download session (default 1)", "TSI" },
    { "loss", 0, 0, G_OPTION_ARG_INT, &loss, "Download: drop this share of packets", "PERCENT" },
    { "reorder", 0, 0, G_OPTION_ARG_INT, &reorder, "Download: send this share of packets out of order", "PERCENT" },
    { "duplicate", 0, 0, G_OPTION_ARG_INT, &duplicate, "Download: send this share of packets twice", "PERCENT" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Download: carousel rounds (0 = until stopped)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_INT, &rate, "Download: packets per second (default 2000)", "N" },
    { "big-file-mib", 0, 0, G_OPTION_ARG_INT, &big_mib, "Download: size of the large file (default 11)", "MIB" },
    { "mikey-from-round", 0, 0, G_OPTION_ARG_INT, &mikey_round,
      "Download: the MIKEY object only from this round on (files wait for their MTK)", "N" },
    { "usd-dir", 0, 0, G_OPTION_ARG_FILENAME, &usd_dir, "Download: write the session's USD here", "DIR" },
    { "dump-dir", 0, 0, G_OPTION_ARG_FILENAME, &dump_dir,
      "Download: write every object, plaintext and key here (tests)", "DIR" },
    G_OPTION_ENTRY_NULL
  };
  g_auto(LabDownloadOptions) dl = { 0 };
  g_autoptr(LabDownload) download = NULL;
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
  /* [lab-download] or --download-to: the protected download session, switches over the file */
  if (bmsc != NULL && (g_key_file_has_group (kf, "lab-download") || download_to != NULL))
    {
      const char *colon = download_to != NULL ? strrchr (download_to, ':') : NULL;
      if (download_to != NULL && (colon == NULL || atoi (colon + 1) <= 0 || atoi (colon + 1) > 0xffff))
        {
          g_printerr ("mbms-labnet: --download-to %s is not ADDR:PORT\n", download_to);
          return 2;
        }
      dl.usd_directory = g_strdup (usd_dir);
      dl.dump_directory = g_strdup (dump_dir);
      if (!lab_download_options_from_key_file (kf, &dl, &error))
        {
          g_printerr ("mbms-labnet: %s: %s\n", config, error->message);
          return 1;
        }
      if (download_to != NULL)
        {
          g_free (dl.address);
          dl.address = g_strndup (download_to, colon - download_to);
          dl.port = (guint16) atoi (colon + 1);
        }
      if (tsi > 0)
        dl.tsi = (guint32) tsi;
#define OVERRIDE(field, value) if ((value) >= 0) (field) = (guint) (value)
      OVERRIDE (dl.flute.loss_percent, loss);
      OVERRIDE (dl.flute.reorder_percent, reorder);
      OVERRIDE (dl.flute.duplicate_percent, duplicate);
      OVERRIDE (dl.flute.rounds, rounds);
      OVERRIDE (dl.flute.rate, rate);
      OVERRIDE (dl.big_mib, big_mib);
      OVERRIDE (dl.mikey_from_round, mikey_round);
#undef OVERRIDE
      if (dl.flute.loss_percent > 100 || dl.flute.reorder_percent > 100 || dl.flute.duplicate_percent > 100)
        {
          g_printerr ("mbms-labnet: --loss, --reorder and --duplicate are percentages (0-100)\n");
          return 2;
        }
      download = lab_download_new (bmsc, &dl, &error);
      if (download == NULL)
        {
          g_printerr ("mbms-labnet: %s\n", error->message);
          return 1;
        }
    }
  else if (download_to != NULL)
    {
      g_printerr ("mbms-labnet: --download-to needs a [bmsc] group in the configuration\n");
      return 2;
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
      if (download != NULL && !lab_download_write_usd (download, uri, &error))
        {
          g_printerr ("mbms-labnet: %s\n", error->message);
          return 1;
        }
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  if (download != NULL)
    {
      g_print ("DOWNLOAD %s:%u TSI %u\n", dl.address, dl.port, dl.tsi);
      lab_download_start (download);
    }
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGUSR1, on_restart, bmsc);
  g_unix_signal_add (SIGUSR2, on_change_mtk, download);
  g_main_loop_run (loop);
  if (media != NULL)
    g_message ("lab media: %" G_GUINT64_FORMAT " SRTP packets sent", lab_media_sent (media));
  return 0;
}
