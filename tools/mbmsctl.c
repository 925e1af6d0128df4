/* mbmsctl: the command-line face of mbmsd. For now it decodes MIKEY messages for field
 * debugging (decode-mikey); the daemon commands come with the D-Bus API. */
#include "config.h"
#include "mikey-describe.h"
#include "mbmsctl-daemon.h"

#include <stdio.h>
#include <string.h>

static GBytes *
bytes_from_hex (const char *hex, GError **error)
{
  return gba_hex_to_bytes (hex, error);
}

/* A message file holds raw MIKEY octets or their hex text ("-" = standard input). */
static GBytes *
read_message (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  gboolean is_hex = TRUE;

  if (g_strcmp0 (path, "-") == 0)
    {
      g_autoptr(GByteArray) in = g_byte_array_new ();
      guint8 buf[4096];
      size_t n;
      while ((n = fread (buf, 1, sizeof buf, stdin)) > 0 && in->len < MIKEY_MAX_MESSAGE_LEN * 3)
        g_byte_array_append (in, buf, (guint) n);
      len = in->len;
      g_byte_array_append (in, (const guint8 *) "", 1);
      contents = (char *) g_byte_array_free (g_steal_pointer (&in), FALSE);
    }
  else if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  for (gsize i = 0; i < len && is_hex; i++)
    is_hex = g_ascii_isxdigit (contents[i]) || g_ascii_isspace (contents[i]) || contents[i] == ':';
  if (is_hex && len > 0)
    return bytes_from_hex (contents, error);
  return g_bytes_new (contents, len);
}

static GbaSecret *
secret_from_hex (const char *hex, const char *what, GError **error)
{
  g_autoptr(GBytes) b = bytes_from_hex (hex, error);

  if (b == NULL)
    {
      g_prefix_error (error, "%s: ", what);
      return NULL;
    }
  return gba_secret_new (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
}

static int
decode_mikey (int argc, char **argv)
{
  g_autofree char *muk_hex = NULL;
  g_autofree char *msk_hex = NULL;
  g_autofree char *rand_hex = NULL;
  gboolean json = FALSE, show_keys = FALSE;
  GOptionEntry entries[] = {
    { "muk", 0, 0, G_OPTION_ARG_STRING, &muk_hex, "MUK (hex): verify and open an MSK message", "HEX" },
    { "msk", 0, 0, G_OPTION_ARG_STRING, &msk_hex, "MSK (hex): verify and open an MTK message", "HEX" },
    { "rand", 0, 0, G_OPTION_ARG_STRING, &rand_hex, "MIKEY-RAND of the MSK (hex), with --msk", "HEX" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { "show-keys", 0, 0, G_OPTION_ARG_NONE, &show_keys, "Print key bytes (never by default)", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("FILE - decode a MIKEY message (raw or hex; - = stdin)");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(MikeyMessage) msg = NULL;
  g_autofree char *out = NULL;
  MikeyDescribeKeys keys = { .show_keys = show_keys };
  int mac_ok = -1;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("mbmsctl decode-mikey: %s\n", error ? error->message : "give exactly one FILE");
      return 2;
    }
  keys.show_keys = show_keys;
  if ((muk_hex && !(keys.muk = secret_from_hex (muk_hex, "--muk", &error)))
      || (msk_hex && !(keys.msk = secret_from_hex (msk_hex, "--msk", &error)))
      || (rand_hex && !(keys.msk_rand = bytes_from_hex (rand_hex, &error))))
    {
      g_printerr ("mbmsctl decode-mikey: %s\n", error->message);
      return 2;
    }
  data = read_message (argv[1], &error);
  if (data != NULL)
    msg = mikey_message_parse (data, &error);
  if (msg == NULL)
    {
      g_printerr ("mbmsctl decode-mikey: %s\n", error->message);
      return 1;
    }
  out = json ? mikey_describe_json (msg, &keys, &mac_ok) : mikey_describe_text (msg, &keys, &mac_ok);
  fputs (out, stdout);
  gba_wipe (out, strlen (out));
  gba_secret_unref (keys.muk);
  gba_secret_unref (keys.msk);
  g_clear_pointer (&keys.msk_rand, g_bytes_unref);
  return mac_ok == 0 ? 1 : 0;
}

static void
usage (void)
{
  g_printerr ("usage: mbmsctl [--session-bus] [--json] COMMAND [ARGS]\n\n"
              "Commands:\n"
              "  status              the daemon: version, key management, bootstrap\n"
              "  services            every user service with its state and keys\n"
              "  show SERVICE        one service (object path, service ID or index)\n"
              "  register SERVICE    MBMS User Service Registration\n"
              "  deregister SERVICE  MBMS User Service Deregistration\n"
              "  add-usd FILE        read a User Service Description bundle\n"
              "  monitor             print the daemon's signals as they come\n"
              "  stream [--loopback] [--session N] SERVICE\n"
              "                      hold the stream until Ctrl-C: decrypted RTP on stdout\n"
              "                      (RFC 4571 framing), or --loopback: the playback URI\n"
              "  decode-mikey FILE   decode a MIKEY message; --muk or --msk/--rand verify it\n"
              "  --version           print the version\n");
}

int
main (int argc, char **argv)
{
  g_log_writer_default_set_use_stderr (TRUE); /* stdout carries results */
  gboolean json = FALSE, session = FALSE;

  /* global options before the command */
  while (argc >= 2 && argv[1][0] == '-' && argv[1][1] == '-' && strcmp (argv[1], "--version") != 0)
    {
      if (strcmp (argv[1], "--json") == 0)
        json = TRUE;
      else if (strcmp (argv[1], "--session-bus") == 0)
        session = TRUE;
      else
        break;
      argv[1] = argv[0];
      argv++;
      argc--;
    }
  if (argc >= 2 && strcmp (argv[1], "decode-mikey") == 0)
    {
      if (json)
        {
          /* keep decode-mikey's own --json */
          static char flag[] = "--json";
          char **args = g_new0 (char *, argc + 2);
          args[0] = argv[1];
          args[1] = flag;
          for (int i = 2; i < argc; i++)
            args[i] = argv[i];
          return decode_mikey (argc, args);
        }
      return decode_mikey (argc - 1, argv + 1);
    }
  if (argc >= 2 && strcmp (argv[1], "monitor") == 0)
    return mbmsctl_monitor (json, session);
  if (argc >= 2 && strcmp (argv[1], "stream") == 0)
    return mbmsctl_stream (argc - 2, argv + 2, json, session);
  if (argc >= 2 && argv[1][0] != '-')
    return mbmsctl_daemon_command (argv[1], argc - 2, argv + 2, json, session);
  if (argc >= 2 && strcmp (argv[1], "--version") == 0)
    {
      g_print ("mbmsctl %s\n", MBMSD_VERSION);
      return 0;
    }
  usage ();
  return 2;
}
