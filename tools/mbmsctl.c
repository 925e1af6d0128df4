/* mbmsctl: the command-line face of mbmsd. Usage and each command's --help work without a
 * bus; misuse exits 2, a failure 1. The daemon commands live in mbmsctl-daemon.c and
 * mbmsctl-monitor.c; decode-mikey (field debugging, no daemon) is here. */
#include "config.h"
#include "mikey-describe.h"
#include "mbmsctl-daemon.h"

#include <locale.h>
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
  g_option_context_set_help_enabled (ctx, FALSE); /* main () answers --help */
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("mbmsctl decode-mikey: %s (see mbmsctl decode-mikey --help)\n",
                  error ? error->message : "give exactly one FILE");
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
  /* keys were given to check the message: a message they could not check is no success */
  if (mac_ok == -1 && (keys.muk != NULL || keys.msk != NULL))
    g_printerr ("mbmsctl decode-mikey: the keys given do not check this message (an MSK message needs --muk, "
                "an MTK message --msk and --rand)\n");
  if (mac_ok == -1 && keys.msk != NULL && keys.msk_rand == NULL)
    g_printerr ("mbmsctl decode-mikey: --msk needs --rand (the MIKEY-RAND of the MSK's message)\n");
  gba_secret_unref (keys.muk);
  gba_secret_unref (keys.msk);
  g_clear_pointer (&keys.msk_rand, g_bytes_unref);
  return mac_ok == 1 || (mac_ok == -1 && muk_hex == NULL && msk_hex == NULL) ? 0 : 1;
}

typedef struct {
  const char *name;
  const char *args;    /* synopsis of the arguments */
  int         min_args, max_args;
  const char *summary; /* one line for the command list */
  const char *help;    /* what --help adds */
} Command;

static const Command commands[] = {
  { "status", "", 0, 0, "the daemon: version, key management, bootstrap",
    "Prints mbmsd's version, the key management mode (ME or UICC), the GBA bootstrap state with\n"
    "its B-TID, and how many user services it knows." },
  { "services", "", 0, 0, "every user service with its state and keys",
    "Prints each user service: object path, service ID, state and reason, BM-SC, key groups with\n"
    "their MSK IDs and MTK ID ranges, and each protected session with its counters." },
  { "show", "SERVICE", 1, 1, "one service (object path, service ID or index)",
    "Like services, for one SERVICE: its object path, its service ID, or its index N\n"
    "(/org/mbmsd/Mbmsd1/Service/N)." },
  { "register", "SERVICE", 1, 1, "MBMS User Service Registration",
    "Registers SERVICE with its BM-SC (TS 33.246 6.3.2.1), bootstrapping first when needed. The\n"
    "registration is kept across restarts until deregister." },
  { "deregister", "SERVICE", 1, 1, "MBMS User Service Deregistration",
    "Deregisters SERVICE at its BM-SC (TS 33.246 6.3.2.1B); it stays deregistered after a restart." },
  { "request-keys", "SERVICE", 1, 1, "ask the BM-SC for the service's MSKs",
    "Sends an MSK request for SERVICE's key groups (TS 33.246 6.3.2.2.1); the MSKs come back in\n"
    "MIKEY messages. Requests are rate-limited per key group by mbmsd." },
  { "add-usd", "FILE", 1, 1, "read a User Service Description bundle",
    "Reads FILE, a TS 26.346 User Service Bundle Description with its SDP and security\n"
    "descriptions beside it, and prints the object paths of its services." },
  { "monitor", "", 0, 0, "print what the daemon does, as it happens",
    "Prints state changes, key changes, streams and counters in plain words, one line each;\n"
    "with --json one JSON object per line. Ctrl-C stops." },
  { "stream", "SERVICE", 1, 1, "start streaming, print the playback URI, hold until Ctrl-C",
    "Starts streaming SERVICE, prints the playback URI (an SDP of the decrypted streams) and holds\n"
    "the stream until interrupted." },
  { "decode-mikey", "[--muk HEX | --msk HEX --rand HEX] [--show-keys] FILE", 1, -1,
    "decode a MIKEY message; --muk or --msk/--rand verify it",
    "Decodes FILE (raw MIKEY octets or their hex; - reads standard input) without a daemon.\n"
    "--muk verifies and opens an MSK message, --msk with --rand (the MIKEY-RAND of the MSK's\n"
    "message) an MTK message. Key bytes only with --show-keys. Exit status 1 when the MAC is\n"
    "invalid or the keys given could not check the message." },
};

static const Command *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_strcmp0 (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static void
usage (FILE *to)
{
  fprintf (to, "usage: mbmsctl [--session-bus] [--json] COMMAND [ARGS]\n"
               "       mbmsctl COMMAND --help | help [COMMAND] | --version\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *left = g_strdup_printf ("%s %s", commands[i].name,
                                               commands[i].max_args < 0 ? "FILE" : commands[i].args);
      fprintf (to, "  %-22s %s\n", left, commands[i].summary);
    }
  fprintf (to, "\nOptions: --session-bus (or MBMSCTL_BUS=session) talks to mbmsd on the session bus;\n"
               "--json prints JSON. Exit status: 0 done, 1 failed, 2 misuse.\n");
}

static void
command_help (const Command *c)
{
  printf ("usage: mbmsctl [--session-bus] [--json] %s%s%s\n\n%s\n", c->name, *c->args ? " " : "", c->args, c->help);
}

static gboolean
asks_help (int argc, char **argv)
{
  for (int i = 0; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      return TRUE;
  return FALSE;
}

int
main (int argc, char **argv)
{
  gboolean json = FALSE, session = FALSE;
  const Command *c;

  setlocale (LC_ALL, ""); /* GLib's messages in the user's charset, not '?' for its quotes */
  g_log_writer_default_set_use_stderr (TRUE); /* stdout carries results */
  /* global options before the command */
  while (argc >= 2 && argv[1][0] == '-')
    {
      if (strcmp (argv[1], "--json") == 0)
        json = TRUE;
      else if (strcmp (argv[1], "--session-bus") == 0)
        session = TRUE;
      else if (strcmp (argv[1], "--version") == 0)
        {
          printf ("mbmsctl %s\n", MBMSD_VERSION);
          return 0;
        }
      else if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
        {
          usage (stdout);
          return 0;
        }
      else
        {
          g_printerr ("mbmsctl: unknown option %s\n\n", argv[1]);
          usage (stderr);
          return 2;
        }
      argv[1] = argv[0];
      argv++;
      argc--;
    }
  if (argc < 2)
    {
      usage (stderr);
      return 2;
    }
  if (strcmp (argv[1], "help") == 0)
    {
      if (argc == 2)
        {
          usage (stdout);
          return 0;
        }
      if ((c = find_command (argv[2])) == NULL)
        {
          g_printerr ("mbmsctl: no command %s\n\n", argv[2]);
          usage (stderr);
          return 2;
        }
      command_help (c);
      return 0;
    }
  if ((c = find_command (argv[1])) == NULL)
    {
      g_printerr ("mbmsctl: unknown command %s\n\n", argv[1]);
      usage (stderr);
      return 2;
    }
  if (asks_help (argc - 2, argv + 2))
    {
      command_help (c);
      return 0;
    }
  if (strcmp (c->name, "decode-mikey") == 0)
    {
      if (json)
        {
          /* keep decode-mikey's own --json */
          static char flag[] = "--json";
          g_autofree char **args = g_new0 (char *, argc + 2);
          args[0] = argv[1];
          args[1] = flag;
          for (int i = 2; i < argc; i++)
            args[i] = argv[i];
          return decode_mikey (argc, args);
        }
      return decode_mikey (argc - 1, argv + 1);
    }
  if (argc - 2 < c->min_args || argc - 2 > c->max_args)
    {
      g_printerr ("mbmsctl %s: %s\nusage: mbmsctl %s%s%s (mbmsctl %s --help)\n", c->name,
                  argc - 2 < c->min_args ? "missing argument" : "too many arguments", c->name, *c->args ? " " : "",
                  c->args, c->name);
      return 2;
    }
  if (strcmp (c->name, "monitor") == 0)
    return mbmsctl_monitor (json, session);
  if (strcmp (c->name, "stream") == 0)
    return mbmsctl_stream (argc - 2, argv + 2, json, session);
  return mbmsctl_daemon_command (c->name, argc - 2, argv + 2, json, session);
}
