/* mbms-bootstrap: run GBA_ME bootstrapping once with a software USIM and show what the UE
 * now holds: B-TID, key lifetime and, with --bmsc, the IDs of the MBMS keys for that BM-SC. Key bytes are
 * never printed. The daemon does this on its own; this tool is for the lab and for field
 * debugging of Ub. */
#include "config.h"
#include "gba.h"

#include <locale.h>
#include <stdlib.h>

typedef struct {
  GMainLoop  *loop;
  GbaContext *context;
  GError     *error;
} Run;

static void
on_bootstrapped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;

  run->context = gba_bootstrapper_run_finish (GBA_BOOTSTRAPPER (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

static void
print_result (const GbaContext *ctx, const char *bsf, const char *bmsc, const GbaMbmsKeys *keys)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *lifetime = g_date_time_format_iso8601 (ctx->lifetime);

  g_print ("Bootstrapped with %s as %s (GBA_ME)\n", bsf, ctx->impi);
  g_print ("  B-TID          %s\n", ctx->btid);
  g_print ("  key lifetime   %s (%" G_GINT64_FORMAT " s left)\n", lifetime,
           g_date_time_difference (ctx->lifetime, now) / G_TIME_SPAN_SECOND);
  g_print ("  Ks             CK || IK, %zu octets, in memory only\n", gba_secret_get_size (ctx->ks));
  if (bmsc == NULL)
    return;
  g_print ("MBMS keys for BM-SC %s (NAF_Id = FQDN || 01 00 00 00 01)\n", bmsc);
  g_print ("  MUK            Ks_NAF; MUK ID: IDi=%s IDr=%s\n", keys->muk_idi, keys->muk_idr);
  g_print ("  MRK            KDF(Ks_NAF, \"mbms-mrk\"); Digest password for B-TID %s\n", keys->muk_idr);
}

int
main (int argc, char **argv)
{
  g_autofree char *usim_path = NULL;
  g_autofree char *bsf = NULL;
  g_autofree char *bmsc = NULL;
  g_autofree char *state_dir = NULL;
  int timeout = 10;
  GOptionEntry entries[] = {
    { "usim", 'u', 0, G_OPTION_ARG_FILENAME, &usim_path, "Software USIM key file ([usim] group)", "FILE" },
    { "bsf", 'b', 0, G_OPTION_ARG_STRING, &bsf, "BSF URI (default: derived from the IMSI)", "URI" },
    { "bmsc", 'n', 0, G_OPTION_ARG_STRING, &bmsc, "Also derive MUK and MRK for this BM-SC FQDN", "FQDN" },
    { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &state_dir, "Where the USIM keeps its SQN", "DIR" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "Seconds per HTTP exchange (default 10)", "S" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) opts = g_option_context_new ("- GBA_ME bootstrapping with a software USIM");
  g_autoptr(GError) error = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GbaUicc) uicc = NULL;
  g_autoptr(GbaBootstrapper) bootstrapper = NULL;
  g_autoptr(GbaMbmsKeys) keys = NULL;
  g_autofree char *sqn_path = NULL;
  Run run = { 0 };

  setlocale (LC_ALL, ""); /* GLib's messages in the user's charset, not '?' for its quotes */
  g_log_writer_default_set_use_stderr (TRUE); /* stdout carries results */
  g_option_context_add_main_entries (opts, entries, NULL);
  if (!g_option_context_parse (opts, &argc, &argv, &error))
    {
      g_printerr ("mbms-bootstrap: %s\n", error->message);
      return 2;
    }
  if (usim_path == NULL)
    {
      g_printerr ("mbms-bootstrap: --usim is required (see mbms-bootstrap --help)\n");
      return 2;
    }
  if (state_dir != NULL)
    sqn_path = g_build_filename (state_dir, "usim.sqn", NULL);
  if (!g_key_file_load_from_file (kf, usim_path, G_KEY_FILE_NONE, &error)
      || (uicc = gba_uicc_soft_new_from_key_file (kf, "usim", sqn_path, &error)) == NULL)
    {
      g_printerr ("mbms-bootstrap: %s: %s\n", usim_path, error->message);
      return 1;
    }
  if (bsf == NULL)
    {
      g_autoptr(GbaUiccIdentity) id = gba_uicc_read_identity (uicc, NULL, &error);
      g_autofree char *host = id ? gba_bsf_host_from_imsi (id->imsi, id->mnc_len, &error) : NULL;
      if (host == NULL)
        {
          g_printerr ("mbms-bootstrap: no BSF address: %s\n", error->message);
          return 1;
        }
      bsf = g_strdup_printf ("http://%s/", host);
    }

  run.loop = g_main_loop_new (NULL, FALSE);
  bootstrapper = gba_bootstrapper_new (uicc, bsf, (guint) timeout);
  gba_bootstrapper_run_async (bootstrapper, NULL, on_bootstrapped, &run);
  g_main_loop_run (run.loop);
  g_main_loop_unref (run.loop);
  if (run.context == NULL)
    {
      g_printerr ("mbms-bootstrap: %s\n", run.error->message);
      g_error_free (run.error);
      return 1;
    }
  if (bmsc != NULL && (keys = gba_context_derive_mbms_keys (run.context, bmsc, &error)) == NULL)
    {
      g_printerr ("mbms-bootstrap: %s\n", error->message);
      gba_context_free (run.context);
      return 1;
    }
  print_result (run.context, bsf, bmsc, keys);
  gba_context_free (run.context);
  return 0;
}
