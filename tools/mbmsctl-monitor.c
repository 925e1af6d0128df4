/* mbmsctl monitor: what mbmsd does, as it happens, in plain words (one line per event) or as
 * one JSON object per line (--json). Services and sessions are named by their service ID. */
#include "config.h"
#include "mbmsctl-daemon.h"
#include "mbmsctl-bus.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  GDBusConnection *bus;
  gboolean         json;
  GHashTable      *service_ids; /* object path -> service ID (services and their sessions) */
} Monitor;

/* A GVariant as JSON: numbers, booleans, strings, arrays, dictionaries; byte arrays as hex. */
static void
json_value (GString *out, GVariant *v)
{
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (v);
      json_value (out, inner);
    }
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN))
    g_string_append (out, g_variant_get_boolean (v) ? "true" : "false");
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING) || g_variant_is_of_type (v, G_VARIANT_TYPE_OBJECT_PATH)
           || g_variant_is_of_type (v, G_VARIANT_TYPE_SIGNATURE))
    mbmsctl_json_string (out, g_variant_get_string (v, NULL));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_BYTESTRING))
    {
      gsize n;
      const guint8 *b = g_variant_get_fixed_array (v, &n, 1);
      g_string_append_c (out, '"');
      for (gsize i = 0; i < n; i++)
        g_string_append_printf (out, "%02x", b[i]);
      g_string_append_c (out, '"');
    }
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE ("a{s*}")))
    {
      GVariantIter it;
      const char *key;
      GVariant *value;
      gboolean first = TRUE;
      g_string_append_c (out, '{');
      g_variant_iter_init (&it, v);
      while (g_variant_iter_next (&it, "{&s@*}", &key, &value))
        {
          if (!first)
            g_string_append_c (out, ',');
          mbmsctl_json_string (out, key);
          g_string_append_c (out, ':');
          json_value (out, value);
          g_variant_unref (value);
          first = FALSE;
        }
      g_string_append_c (out, '}');
    }
  else if (g_variant_is_container (v))
    {
      g_string_append_c (out, '[');
      for (gsize i = 0; i < g_variant_n_children (v); i++)
        {
          g_autoptr(GVariant) child = g_variant_get_child_value (v, i);
          if (i > 0)
            g_string_append_c (out, ',');
          json_value (out, child);
        }
      g_string_append_c (out, ']');
    }
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_DOUBLE))
    g_string_append_printf (out, "%g", g_variant_get_double (v));
  else
    {
      /* the integer types print as plain numbers */
      g_autofree char *text = g_variant_print (v, FALSE);
      g_string_append (out, text);
    }
}

static GVariant *
get_property (Monitor *m, const char *path, const char *iface, const char *name)
{
  g_autoptr(GVariant) r = g_dbus_connection_call_sync (m->bus, MBMSCTL_NAME, path, "org.freedesktop.DBus.Properties",
                                                       "Get", g_variant_new ("(ss)", iface, name),
                                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 2000, NULL,
                                                       NULL);
  GVariant *v = NULL;

  if (r != NULL)
    g_variant_get (r, "(v)", &v);
  return v;
}

/* The service ID a service or session object stands for; its path when the daemon does not say. */
static const char *
service_id_of (Monitor *m, const char *path)
{
  const char *known = g_hash_table_lookup (m->service_ids, path);
  g_autoptr(GVariant) v = NULL;
  g_autofree char *id = NULL;

  if (known != NULL)
    return known;
  if (strstr (path, "/Session/") != NULL && (v = get_property (m, path, MBMSCTL_NAME ".Session", "Service")) != NULL)
    id = g_strdup (service_id_of (m, g_variant_get_string (v, NULL)));
  else if ((v = get_property (m, path, MBMSCTL_NAME ".Service", "ServiceId")) != NULL)
    id = g_variant_dup_string (v, NULL);
  if (id == NULL)
    return path;
  g_hash_table_insert (m->service_ids, g_strdup (path), id);
  return g_steal_pointer (&id);
}

/* One event: plain words, or {"time":..,"event":..,"path":..,"service":..,FIELDS} with --json.
 * fields is a{sv}; it is consumed. */
static void
emit (Monitor *m, const char *event, const char *path, const char *words, GVariant *fields)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GVariant) owned = fields ? g_variant_ref_sink (fields) : NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  if (m->json)
    {
      g_autofree char *stamp = g_date_time_format_iso8601 (now);
      g_string_append (out, "{\"time\":");
      mbmsctl_json_string (out, stamp);
      g_string_append (out, ",\"event\":");
      mbmsctl_json_string (out, event);
      if (path != NULL)
        {
          g_string_append (out, ",\"path\":");
          mbmsctl_json_string (out, path);
          if (strstr (path, "/Service/") != NULL || strstr (path, "/Session/") != NULL)
            {
              g_string_append (out, ",\"service\":");
              mbmsctl_json_string (out, service_id_of (m, path));
            }
        }
      if (owned != NULL && g_variant_n_children (owned) > 0)
        {
          g_autoptr(GString) f = g_string_new (NULL);
          json_value (f, owned); /* {"a":1,...}: its members join the event's object */
          g_string_append_c (out, ',');
          g_string_append_len (out, f->str + 1, (gssize) f->len - 2);
        }
      g_string_append (out, "}\n");
    }
  else
    {
      g_autofree char *clock = g_date_time_format (now, "%H:%M:%S");
      g_string_append_printf (out, "%s %s\n", clock, words);
    }
  fputs (out->str, stdout);
  fflush (stdout);
}

static char *
hex_of (GVariant *bytes)
{
  gsize n;
  const guint8 *b = g_variant_get_fixed_array (bytes, &n, 1);
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (out, "%02x", b[i]);
  return g_string_free (out, FALSE);
}

/* Key changes: MKI = MSK ID (4 octets) || MTK ID (2 octets), TS 33.246 6.6.2. */
static void
on_key_changed (Monitor *m, const char *path, GVariant *params)
{
  g_autoptr(GVariant) mki = NULL;
  guint16 mtk_id;
  g_autofree char *hex = NULL;
  g_autofree char *words = NULL;
  GVariantDict f;

  g_variant_get (params, "(@ayq)", &mki, &mtk_id);
  hex = hex_of (mki);
  words = strlen (hex) == 12 ? g_strdup_printf ("%s: new key, MSK ID 0x%.8s, MTK ID %u (MKI %s)",
                                                service_id_of (m, path), hex, mtk_id, hex)
                             : g_strdup_printf ("%s: new key, MTK ID %u (MKI %s)", service_id_of (m, path), mtk_id, hex);
  g_variant_dict_init (&f, NULL);
  g_variant_dict_insert (&f, "mki", "s", hex);
  g_variant_dict_insert (&f, "mtk-id", "q", mtk_id);
  emit (m, "key-changed", path, words, g_variant_dict_end (&f));
}

static void
on_stream_state_changed (Monitor *m, const char *path, GVariant *params)
{
  const char *state, *reason;
  g_autofree char *words = NULL;
  GVariantDict f;

  g_variant_get (params, "(&s&s)", &state, &reason);
  words = g_strdup_printf ("%s: stream %s (%s)", service_id_of (m, path), state, reason);
  g_variant_dict_init (&f, NULL);
  g_variant_dict_insert (&f, "state", "s", state);
  g_variant_dict_insert (&f, "reason", "s", reason);
  emit (m, "stream", path, words, g_variant_dict_end (&f));
}

/* FileReceived: a file of a download session in the download directory (TS 26.346 7). */
static void
on_file_received (Monitor *m, const char *path, GVariant *params)
{
  const char *location, *file;
  guint64 size;
  gboolean verified;
  g_autofree char *words = NULL;
  GVariantDict f;

  g_variant_get (params, "(&st&sb)", &location, &size, &file, &verified);
  words = g_strdup_printf ("%s: file %s, %" G_GUINT64_FORMAT " octets, %s, in %s", service_id_of (m, path), location,
                           size, verified ? "verified" : "not protected", file);
  g_variant_dict_init (&f, NULL);
  g_variant_dict_insert (&f, "content-location", "s", location);
  g_variant_dict_insert (&f, "size", "t", size);
  g_variant_dict_insert (&f, "file", "s", file);
  g_variant_dict_insert (&f, "verified", "b", verified);
  emit (m, "file-received", path, words, g_variant_dict_end (&f));
}

/* The counters a session shows, in the words people use for them. */
static const struct {
  const char *property, *words;
} counters[] = {
  { "PacketsDecrypted", "decrypted" },
  { "AuthenticationFailures", "authentication failures" },
  { "Replays", "replays" },
  { "UnknownMki", "unknown MKI" },
  { "MtkMessages", "MTK messages" },
  { "MtkReplays", "MTK messages refused as replays" },
  { "MtkAuthFailures", "MTK messages failing their MAC" },
};

static void
on_properties_changed (Monitor *m, const char *path, GVariant *params)
{
  const char *iface;
  g_autoptr(GVariant) changed = NULL;
  g_autoptr(GVariantIter) invalidated = NULL;
  g_autoptr(GString) words = g_string_new (NULL);
  GVariantDict d, f;
  const char *s1, *s2;
  guint64 n;

  g_variant_get (params, "(&s@a{sv}as)", &iface, &changed, &invalidated);
  g_variant_dict_init (&d, changed);
  g_variant_dict_init (&f, NULL);
  if (g_strcmp0 (iface, MBMSCTL_NAME ".Service") == 0
      && (g_variant_dict_contains (&d, "State") || g_variant_dict_contains (&d, "StateReason")))
    {
      g_autoptr(GVariant) state = g_variant_dict_lookup_value (&d, "State", G_VARIANT_TYPE_STRING);
      g_autoptr(GVariant) reason = g_variant_dict_lookup_value (&d, "StateReason", G_VARIANT_TYPE_STRING);
      if (state == NULL)
        state = get_property (m, path, iface, "State");
      if (reason == NULL)
        reason = get_property (m, path, iface, "StateReason");
      s1 = state ? g_variant_get_string (state, NULL) : "?";
      s2 = reason ? g_variant_get_string (reason, NULL) : "";
      g_string_printf (words, "%s: %s%s%s%s", service_id_of (m, path), s1, *s2 ? " (" : "", s2, *s2 ? ")" : "");
      g_variant_dict_insert (&f, "state", "s", s1);
      g_variant_dict_insert (&f, "reason", "s", s2);
      emit (m, "state", path, words->str, g_variant_dict_end (&f));
    }
  else if (g_strcmp0 (iface, MBMSCTL_NAME ".Service") == 0 && g_variant_dict_contains (&d, "DownloadCounters"))
    {
      guint64 delivered, refused, held, dropped;

      g_variant_dict_lookup (&d, "DownloadCounters", "(tttt)", &delivered, &refused, &held, &dropped);
      g_string_printf (words, "%s: downloads %" G_GUINT64_FORMAT " delivered, %" G_GUINT64_FORMAT " refused, %"
                       G_GUINT64_FORMAT " held", service_id_of (m, path), delivered, refused, held);
      g_variant_dict_insert (&f, "delivered", "t", delivered);
      g_variant_dict_insert (&f, "refused", "t", refused);
      g_variant_dict_insert (&f, "held", "t", held);
      g_variant_dict_insert (&f, "dropped", "t", dropped);
      emit (m, "downloads", path, words->str, g_variant_dict_end (&f));
    }
  else if (g_strcmp0 (iface, MBMSCTL_NAME ".Session") == 0)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (counters); i++)
        if (g_variant_dict_lookup (&d, counters[i].property, "t", &n))
          {
            g_string_append_printf (words, "%s%" G_GUINT64_FORMAT " %s", words->len ? ", " : "", n, counters[i].words);
            g_variant_dict_insert (&f, counters[i].words, "t", n);
          }
      if (words->len > 0)
        {
          g_string_prepend (words, ": ");
          g_string_prepend (words, service_id_of (m, path));
          emit (m, "counters", path, words->str, g_variant_dict_end (&f));
        }
      else
        g_variant_dict_clear (&f);
    }
  else if (g_strcmp0 (iface, MBMSCTL_NAME ".Manager") == 0 && g_variant_dict_lookup (&d, "BootstrapState", "&s", &s1))
    {
      g_autoptr(GVariant) btid = get_property (m, path, iface, "BootstrapTransactionId");
      s2 = btid ? g_variant_get_string (btid, NULL) : "";
      g_string_printf (words, "bootstrap %s%s%s", s1, *s2 ? ", B-TID " : "", s2);
      g_variant_dict_insert (&f, "state", "s", s1);
      g_variant_dict_insert (&f, "btid", "s", s2);
      emit (m, "bootstrap", path, words->str, g_variant_dict_end (&f));
    }
  else
    g_variant_dict_clear (&f);
  g_variant_dict_clear (&d);
}

static void
on_object_added (Monitor *m, GVariant *params)
{
  const char *path;
  g_autoptr(GVariant) ifaces = NULL;
  g_autofree char *words = NULL;
  const char *what;

  g_variant_get (params, "(&o@a{sa{sv}})", &path, &ifaces);
  what = strstr (path, "/Session/") ? "session" : strstr (path, "/Service/") ? "service" : "object";
  words = g_strdup_printf ("%s %s added (%s)", what, service_id_of (m, path), path);
  emit (m, "added", path, words, NULL);
}

static void
on_object_removed (Monitor *m, GVariant *params)
{
  const char *path;
  g_autoptr(GVariantIter) ifaces = NULL;
  g_autofree char *words = NULL;
  g_autofree char *id = NULL;

  g_variant_get (params, "(&oas)", &path, &ifaces);
  id = g_strdup (service_id_of (m, path));
  words = g_strdup_printf ("%s %s removed (%s)", strstr (path, "/Session/") ? "session" : "service", id, path);
  emit (m, "removed", path, words, NULL);
  g_hash_table_remove (m->service_ids, path);
}

static void
on_signal (GDBusConnection *bus, const char *sender, const char *path, const char *iface, const char *signal,
           GVariant *params, gpointer data)
{
  Monitor *m = data;

  if (g_strcmp0 (signal, "KeyChanged") == 0 && g_variant_is_of_type (params, G_VARIANT_TYPE ("(ayq)")))
    on_key_changed (m, path, params);
  else if (g_strcmp0 (signal, "FileReceived") == 0 && g_variant_is_of_type (params, G_VARIANT_TYPE ("(stsb)")))
    on_file_received (m, path, params);
  else if (g_strcmp0 (signal, "StreamStateChanged") == 0 && g_variant_is_of_type (params, G_VARIANT_TYPE ("(ss)")))
    on_stream_state_changed (m, path, params);
  else if (g_strcmp0 (signal, "PropertiesChanged") == 0
           && g_variant_is_of_type (params, G_VARIANT_TYPE ("(sa{sv}as)")))
    on_properties_changed (m, path, params);
  else if (g_strcmp0 (signal, "InterfacesAdded") == 0 && g_variant_is_of_type (params, G_VARIANT_TYPE ("(oa{sa{sv}})")))
    on_object_added (m, params);
  else if (g_strcmp0 (signal, "InterfacesRemoved") == 0 && g_variant_is_of_type (params, G_VARIANT_TYPE ("(oas)")))
    on_object_removed (m, params);
  else
    {
      /* a signal this mbmsctl does not know yet: say what it is */
      g_autofree char *args = g_variant_print (params, FALSE);
      g_autofree char *words = g_strdup_printf ("%s %s.%s %s", path, iface, signal, args);
      GVariantDict f;
      g_variant_dict_init (&f, NULL);
      g_variant_dict_insert (&f, "signal", "s", signal);
      g_variant_dict_insert (&f, "interface", "s", iface);
      g_variant_dict_insert_value (&f, "args", params);
      emit (m, "signal", path, words, g_variant_dict_end (&f));
    }
}

static void
on_daemon_appeared (GDBusConnection *bus, const char *name, const char *owner, gpointer data)
{
  emit (data, "daemon", NULL, "mbmsd is on the bus", g_variant_new_parsed ("{'running': <true>}"));
}

static void
on_daemon_vanished (GDBusConnection *bus, const char *name, gpointer data)
{
  Monitor *m = data;

  g_hash_table_remove_all (m->service_ids); /* a restarted daemon numbers its objects anew */
  emit (m, "daemon", NULL, "mbmsd is not on the bus", g_variant_new_parsed ("{'running': <false>}"));
}

int
mbmsctl_monitor (gboolean json, gboolean session)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = mbmsctl_connect_bus (session, &error);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Monitor m = { .json = json };

  if (bus == NULL)
    return mbmsctl_fail (error);
  m.bus = bus;
  m.service_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* every signal of the daemon: PropertiesChanged, KeyChanged, InterfacesAdded, ... */
  g_dbus_connection_signal_subscribe (bus, MBMSCTL_NAME, NULL, NULL, NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_signal,
                                      &m, NULL);
  g_bus_watch_name_on_connection (bus, MBMSCTL_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, on_daemon_appeared,
                                  on_daemon_vanished, &m, NULL);
  g_main_loop_run (loop);
  g_hash_table_unref (m.service_ids);
  return 0;
}
