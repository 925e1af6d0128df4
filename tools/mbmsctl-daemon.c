/* mbmsctl's daemon commands: status, services, show, register, deregister, request-keys,
 * add-usd, over org.mbmsd.Mbmsd1 (system bus, or the session bus with --session-bus
 * or MBMSCTL_BUS=session). Human-readable output, or JSON with --json. */
#include "config.h"
#include "mbmsctl-daemon.h"
#include "mbmsctl-bus.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* Service.KeyManagement as a reader says it: where the MSKs and MTKs are checked. */
static const char *
key_management_place (const char *mode)
{
  if (g_strcmp0 (mode, "uicc") == 0)
    return "the UICC (TS 33.246 Annex D)";
  if (g_strcmp0 (mode, "me") == 0)
    return "the ME";
  return "-";
}

static void
describe_service (GDBusConnection *bus, const char *path, gboolean json, GString *out)
{
  g_autoptr(MbmsDBusService) s = mbmsctl_service_proxy (bus, path);
  GVariant *groups = s ? mbms_dbus_service_get_key_groups (s) : NULL;
  const char *const *sessions = s ? mbms_dbus_service_get_sessions (s) : NULL;
  GVariantIter it;
  const char *domain;
  guint16 group;
  guint32 msk, lo, hi;

  if (s == NULL)
    return;
  if (json)
    {
      g_string_append (out, "{\"path\":");
      mbmsctl_json_string (out, path);
      g_string_append (out, ",\"service-id\":");
      mbmsctl_json_string (out, mbms_dbus_service_get_service_id (s));
      g_string_append_printf (out, ",\"protected\":%s,\"state\":", mbms_dbus_service_get_protected (s) ? "true" : "false");
      mbmsctl_json_string (out, mbms_dbus_service_get_state (s));
      g_string_append (out, ",\"reason\":");
      mbmsctl_json_string (out, mbms_dbus_service_get_state_reason (s));
      g_string_append (out, ",\"bmsc\":");
      mbmsctl_json_string (out, mbms_dbus_service_get_key_management_server (s));
      g_string_append (out, ",\"key-management\":");
      mbmsctl_json_string (out, mbms_dbus_service_get_key_management (s) ? mbms_dbus_service_get_key_management (s) : "");
      g_string_append (out, ",\"stream\":");
      mbmsctl_json_string (out, mbms_dbus_service_get_stream_state (s));
      g_string_append (out, ",\"playback-uri\":");
      mbmsctl_json_string (out, mbms_dbus_service_get_playback_uri (s));
      g_string_append (out, ",\"key-groups\":[");
    }
  else
    g_string_append_printf (out, "%s\n  service   %s\n  protected %s\n  state     %s%s%s%s\n  bm-sc     %s\n"
                            "  keys in   %s\n  stream    %s%s%s\n", path,
                            mbms_dbus_service_get_service_id (s), mbms_dbus_service_get_protected (s) ? "yes" : "no",
                            mbms_dbus_service_get_state (s), *mbms_dbus_service_get_state_reason (s) ? " (" : "",
                            mbms_dbus_service_get_state_reason (s), *mbms_dbus_service_get_state_reason (s) ? ")" : "",
                            *mbms_dbus_service_get_key_management_server (s) ? mbms_dbus_service_get_key_management_server (s) : "-",
                            key_management_place (mbms_dbus_service_get_key_management (s)),
                            mbms_dbus_service_get_stream_state (s), *mbms_dbus_service_get_playback_uri (s) ? ", " : "",
                            mbms_dbus_service_get_playback_uri (s));
  if (groups != NULL)
    {
      gboolean first = TRUE;
      g_variant_iter_init (&it, groups);
      while (g_variant_iter_next (&it, "(&squuu)", &domain, &group, &msk, &lo, &hi))
        {
          if (json)
            g_string_append_printf (out, "%s{\"key-domain\":\"%s\",\"key-group\":%u,\"msk-id\":%u,\"seq-low\":%u,"
                                         "\"seq-high\":%u}", first ? "" : ",", domain, group, msk, lo, hi);
          else
            g_string_append_printf (out, "  key group %s/%u: MSK 0x%08x, MTK IDs (%u, %u]\n", domain, group, msk, lo, hi);
          first = FALSE;
        }
    }
  if (json)
    g_string_append (out, "],\"sessions\":[");
  for (guint i = 0; sessions != NULL && sessions[i] != NULL; i++)
    {
      g_autoptr(MbmsDBusSession) ss = mbms_dbus_session_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE, MBMSCTL_NAME, sessions[i],
                                                                        NULL, NULL);
      if (ss == NULL)
        continue;
      if (json)
        {
          g_string_append_printf (out, "%s{\"path\":", i ? "," : "");
          mbmsctl_json_string (out, sessions[i]);
          g_string_append (out, ",\"destination\":");
          mbmsctl_json_string (out, mbms_dbus_session_get_destination_address (ss));
          g_string_append_printf (out, ",\"mtk-replays\":%" G_GUINT64_FORMAT ",\"mtk-auth-failures\":%" G_GUINT64_FORMAT,
                                  mbms_dbus_session_get_mtk_replays (ss), mbms_dbus_session_get_mtk_auth_failures (ss));
          g_string_append_printf (out, ",\"port\":%u,\"mtk-id\":%u,\"mtk-messages\":%" G_GUINT64_FORMAT
                                  ",\"forward-port\":%u,\"decrypted\":%" G_GUINT64_FORMAT ",\"auth-failures\":%"
                                  G_GUINT64_FORMAT ",\"replays\":%" G_GUINT64_FORMAT ",\"unknown-mki\":%"
                                  G_GUINT64_FORMAT "}",
                                  mbms_dbus_session_get_destination_port (ss), mbms_dbus_session_get_current_mtk_id (ss),
                                  mbms_dbus_session_get_mtk_messages (ss), mbms_dbus_session_get_forward_port (ss),
                                  mbms_dbus_session_get_packets_decrypted (ss),
                                  mbms_dbus_session_get_authentication_failures (ss),
                                  mbms_dbus_session_get_replays (ss), mbms_dbus_session_get_unknown_mki (ss));
        }
      else
        g_string_append_printf (out, "  session   %s %s:%u -> %s:%u, %" G_GUINT64_FORMAT " decrypted, %" G_GUINT64_FORMAT
                                " rejected, %" G_GUINT64_FORMAT " unknown MKI\n",
                                mbms_dbus_session_get_media (ss), mbms_dbus_session_get_destination_address (ss),
                                mbms_dbus_session_get_destination_port (ss), mbms_dbus_session_get_forward_address (ss),
                                mbms_dbus_session_get_forward_port (ss), mbms_dbus_session_get_packets_decrypted (ss),
                                mbms_dbus_session_get_authentication_failures (ss) + mbms_dbus_session_get_replays (ss),
                                mbms_dbus_session_get_unknown_mki (ss));
      if (!json)
        g_string_append_printf (out, "            MTK ID %u (%" G_GUINT64_FORMAT " MTK messages, %" G_GUINT64_FORMAT
                                " refused as replays, %" G_GUINT64_FORMAT " failing their MAC)\n",
                                mbms_dbus_session_get_current_mtk_id (ss), mbms_dbus_session_get_mtk_messages (ss),
                                mbms_dbus_session_get_mtk_replays (ss), mbms_dbus_session_get_mtk_auth_failures (ss));
    }
  if (json)
    g_string_append (out, "]}");
}

int
mbmsctl_daemon_command (const char *command, int argc, char **argv, gboolean json, gboolean session)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = mbmsctl_connect_bus (session, &error);
  g_autoptr(MbmsDBusManager) m = NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  if (bus == NULL || (m = mbmsctl_manager_proxy (bus, &error)) == NULL)
    return mbmsctl_fail (error);
  if (mbms_dbus_manager_get_version (m) == NULL)
    {
      g_printerr ("mbmsctl: mbmsd is not running on this bus\n");
      return 1;
    }
  if (g_strcmp0 (command, "status") == 0)
    {
      if (json)
        {
          g_string_append (out, "{\"version\":");
          mbmsctl_json_string (out, mbms_dbus_manager_get_version (m));
          g_string_append (out, ",\"key-management\":");
          mbmsctl_json_string (out, mbms_dbus_manager_get_key_management (m));
          g_string_append (out, ",\"bootstrap\":");
          mbmsctl_json_string (out, mbms_dbus_manager_get_bootstrap_state (m));
          g_string_append (out, ",\"btid\":");
          mbmsctl_json_string (out, mbms_dbus_manager_get_bootstrap_transaction_id (m));
          g_string_append_printf (out, ",\"expiry-us\":%" G_GINT64_FORMAT ",\"services\":%u",
                                  mbms_dbus_manager_get_bootstrap_expiry (m),
                                  g_strv_length ((char **) mbms_dbus_manager_get_services (m)));
          g_string_append (out, ",\"card\":{\"backend\":");
          mbmsctl_json_string (out, mbms_dbus_manager_get_card_backend (m));
          g_string_append (out, ",\"state\":");
          mbmsctl_json_string (out, mbms_dbus_manager_get_card_state (m));
          g_string_append (out, ",\"iccid\":");
          mbmsctl_json_string (out, mbms_dbus_manager_get_card_iccid (m));
          g_string_append (out, ",\"usim-services\":[");
          for (const char *const *v = mbms_dbus_manager_get_card_services (m); v != NULL && *v != NULL; v++)
            {
              if (v != mbms_dbus_manager_get_card_services (m))
                g_string_append_c (out, ',');
              mbmsctl_json_string (out, *v);
            }
          g_string_append (out, "]}}\n");
        }
      else
        {
          g_autofree char *mode = g_ascii_strup (mbms_dbus_manager_get_key_management (m), -1);
          g_string_append_printf (out, "mbmsd %s, key management in the %s\nbootstrap %s%s%s\nservices  %u\n",
                                mbms_dbus_manager_get_version (m), mode,
                                mbms_dbus_manager_get_bootstrap_state (m),
                                *mbms_dbus_manager_get_bootstrap_transaction_id (m) ? ", B-TID " : "",
                                mbms_dbus_manager_get_bootstrap_transaction_id (m),
                                g_strv_length ((char **) mbms_dbus_manager_get_services (m)));
          {
            const char *const *usim = mbms_dbus_manager_get_card_services (m);
            g_autofree char *list = usim != NULL && usim[0] != NULL ? g_strjoinv (", ", (char **) usim) : g_strdup ("none");
            const char *iccid = mbms_dbus_manager_get_card_iccid (m);

            g_string_append_printf (out, "card      %s, %s%s%s, USIM services used: %s\n",
                                    mbms_dbus_manager_get_card_backend (m), mbms_dbus_manager_get_card_state (m),
                                    iccid != NULL && *iccid ? ", ICCID " : "", iccid != NULL ? iccid : "", list);
          }
        }
    }
  else if (g_strcmp0 (command, "services") == 0 || g_strcmp0 (command, "show") == 0)
    {
      const char *const *paths = mbms_dbus_manager_get_services (m);
      g_autofree char *only = NULL;

      if (g_strcmp0 (command, "show") == 0)
        {
          if ((only = mbmsctl_resolve_service (bus, argv[0], &error)) == NULL)
            return mbmsctl_fail (error);
        }
      if (json && only == NULL)
        g_string_append_c (out, '[');
      for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
        {
          if (only != NULL && g_strcmp0 (only, paths[i]) != 0)
            continue;
          if (json && only == NULL && out->len > 1)
            g_string_append_c (out, ',');
          describe_service (bus, paths[i], json, out);
        }
      if (json && only == NULL)
        g_string_append_c (out, ']');
      if (json)
        g_string_append_c (out, '\n');
    }
  else if (g_strcmp0 (command, "register") == 0 || g_strcmp0 (command, "deregister") == 0
           || g_strcmp0 (command, "request-keys") == 0)
    {
      g_autofree char *path = mbmsctl_resolve_service (bus, argv[0], &error);
      g_autoptr(MbmsDBusService) s = NULL;
      gboolean ok;

      if (path == NULL)
        return mbmsctl_fail (error);
      s = mbmsctl_service_proxy (bus, path);
      if (g_strcmp0 (command, "register") == 0)
        ok = mbms_dbus_service_call_register_sync (s, NULL, &error);
      else if (g_strcmp0 (command, "deregister") == 0)
        ok = mbms_dbus_service_call_deregister_sync (s, NULL, &error);
      else
        ok = mbms_dbus_service_call_request_keys_sync (s, NULL, &error);
      if (!ok)
        return mbmsctl_fail (error);
      if (json)
        g_string_append (out, "{\"ok\":true}\n");
      else
        g_string_append_printf (out, "%s: %s\n", path,
                                g_strcmp0 (command, "request-keys") == 0 ? "MSK request sent" : 
                                g_strcmp0 (command, "register") == 0 ? "registered" : "deregistered");
    }
  else if (g_strcmp0 (command, "downloads") == 0)
    {
      g_autofree char *path = mbmsctl_resolve_service (bus, argv[0], &error);
      g_autoptr(MbmsDBusService) s = NULL;
      GVariant *files, *counters;
      GVariantIter it;
      const char *location, *file;
      guint64 size, delivered = 0, refused = 0, held = 0, dropped = 0;
      gboolean verified;
      gint64 at;

      if (path == NULL)
        return mbmsctl_fail (error);
      s = mbmsctl_service_proxy (bus, path);
      files = mbms_dbus_service_get_downloads (s);
      counters = mbms_dbus_service_get_download_counters (s);
      if (counters != NULL)
        g_variant_get (counters, "(tttt)", &delivered, &refused, &held, &dropped);
      if (json)
        g_string_append_printf (out, "{\"state\":\"%s\",\"delivered\":%" G_GUINT64_FORMAT ",\"refused\":%"
                                G_GUINT64_FORMAT ",\"held\":%" G_GUINT64_FORMAT ",\"dropped\":%" G_GUINT64_FORMAT
                                ",\"files\":[", mbms_dbus_service_get_download_state (s), delivered, refused, held,
                                dropped);
      else
        g_string_append_printf (out, "downloads %s: %" G_GUINT64_FORMAT " delivered, %" G_GUINT64_FORMAT
                                " refused, %" G_GUINT64_FORMAT " held, %" G_GUINT64_FORMAT " datagrams dropped\n",
                                mbms_dbus_service_get_download_state (s), delivered, refused, held, dropped);
      if (files != NULL)
        {
          gboolean first = TRUE;

          g_variant_iter_init (&it, files);
          while (g_variant_iter_next (&it, "(&s&stbx)", &location, &file, &size, &verified, &at))
            {
              if (json)
                {
                  g_string_append (out, first ? "{\"content-location\":" : ",{\"content-location\":");
                  mbmsctl_json_string (out, location);
                  g_string_append (out, ",\"path\":");
                  mbmsctl_json_string (out, file);
                  g_string_append_printf (out, ",\"size\":%" G_GUINT64_FORMAT ",\"verified\":%s,\"received-us\":%"
                                          G_GINT64_FORMAT "}", size, verified ? "true" : "false", at);
                }
              else
                g_string_append_printf (out, "  %-10s %10" G_GUINT64_FORMAT "  %s\n             %s\n",
                                        verified ? "verified" : "plain", size, location, file);
              first = FALSE;
            }
        }
      if (json)
        g_string_append (out, "]}\n");
    }
  else if (g_strcmp0 (command, "add-usd") == 0)
    {
      g_auto(GStrv) paths = NULL;
      g_autofree char *abs = g_canonicalize_filename (argv[0], NULL);

      if (!mbms_dbus_manager_call_add_service_description_sync (m, abs, &paths, NULL, &error))
        return mbmsctl_fail (error);
      for (guint i = 0; paths[i] != NULL; i++)
        g_string_append_printf (out, "%s\n", paths[i]);
    }
  else
    {
      g_printerr ("mbmsctl: unknown command %s\n", command);
      return 2;
    }
  fputs (out->str, stdout);
  return 0;
}
