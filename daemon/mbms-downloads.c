/* The download facet of a user service (TS 33.246 6.6.3): one MbmsDownload per FLUTE session
 * of its USD, the delivered files listed on the Service object, FileReceived for each, and
 * OpenFile, which hands a caller holding the keys action a read-only descriptor. */
#include "mbms-downloads.h"
#include "mbms-dbus-error.h"
#include "mbms-download.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <unistd.h>

#define MAX_LISTED 1024 /* files kept in Downloads; older ones stay on disk */

typedef struct {
  char    *location;
  char    *path;
  guint64  size;
  gboolean verified;
  gint64   at_us;
} Delivered;

struct _MbmsDownloads {
  const MbmsContext *ctx;
  MbmsDBusService   *iface;
  GPtrArray         *sessions;  /* MbmsDownload */
  GPtrArray         *files;     /* Delivered, oldest first */
};

static void
delivered_free (Delivered *d)
{
  g_free (d->location);
  g_free (d->path);
  g_free (d);
}

static void
update_counters (MbmsDownloads *self)
{
  guint64 delivered = 0, refused = 0, held = 0, dropped = 0;

  for (guint i = 0; i < self->sessions->len; i++)
    {
      DownloadStats st;

      mbms_download_get_stats (g_ptr_array_index (self->sessions, i), &st);
      delivered += st.files_delivered;
      refused += st.files_refused;
      held += st.held;
      dropped += st.dropped;
    }
  mbms_dbus_service_set_download_counters (self->iface, g_variant_new ("(tttt)", delivered, refused, held, dropped));
}

static void
update_list (MbmsDownloads *self)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sstbx)"));
  for (guint i = 0; i < self->files->len; i++)
    {
      Delivered *d = g_ptr_array_index (self->files, i);

      g_variant_builder_add (&b, "(sstbx)", d->location, d->path, d->size, d->verified, d->at_us);
    }
  mbms_dbus_service_set_downloads (self->iface, g_variant_builder_end (&b));
}

static void
on_file (const char *location, const char *path, guint64 size, gboolean verified, gpointer data)
{
  MbmsDownloads *self = data;
  Delivered *d = g_new0 (Delivered, 1);

  /* a newer copy of the same location replaces the entry */
  for (guint i = 0; i < self->files->len; i++)
    if (g_str_equal (((Delivered *) g_ptr_array_index (self->files, i))->location, location))
      {
        g_ptr_array_remove_index (self->files, i);
        break;
      }
  if (self->files->len >= MAX_LISTED)
    g_ptr_array_remove_index (self->files, 0);
  d->location = g_strdup (location);
  d->path = g_strdup (path);
  d->size = size;
  d->verified = verified;
  d->at_us = g_get_real_time ();
  g_ptr_array_add (self->files, d);
  update_list (self);
  update_counters (self);
  mbms_dbus_service_emit_file_received (self->iface, location, size, path, verified);
}

typedef struct {
  MbmsDownloads *self;
  char          *location;
} OpenRequest;

static void
open_request_free (OpenRequest *r)
{
  g_free (r->location);
  g_free (r);
}

static void
open_authorized (GDBusMethodInvocation *inv, gpointer data)
{
  OpenRequest *r = data;
  g_autoptr(GUnixFDList) fds = NULL;
  const Delivered *found = NULL;
  int fd;

  for (guint i = 0; i < r->self->files->len; i++)
    if (g_str_equal (((Delivered *) g_ptr_array_index (r->self->files, i))->location, r->location))
      found = g_ptr_array_index (r->self->files, i);
  if (found == NULL)
    {
      g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_NOT_FOUND,
                                             "no delivered file has the content location '%.200s'", r->location);
      return;
    }
  fd = open (found->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      g_dbus_method_invocation_return_error (inv, MBMS_DBUS_ERROR, MBMS_DBUS_ERROR_NOT_FOUND, "%s: %s",
                                             found->path, g_strerror (errno));
      return;
    }
  fds = g_unix_fd_list_new_from_array (&fd, 1); /* takes fd */
  mbms_dbus_service_complete_open_file (r->self->iface, inv, fds, g_variant_new_handle (0));
}

static gboolean
on_open_file (MbmsDBusService *iface, GDBusMethodInvocation *inv, GUnixFDList *in_fds, const char *location,
              gpointer data)
{
  OpenRequest *r = g_new0 (OpenRequest, 1);
  MbmsDownloads *self = data;

  r->self = self;
  r->location = g_strdup (location);
  mbms_authorizer_authorize (self->ctx->authorizer, inv, MBMS_AUTH_KEYS, open_authorized, r,
                             (GDestroyNotify) open_request_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* The directory of a service under the download directory: its service ID with anything
 * but [A-Za-z0-9._:-] replaced, never "." or "..". */
static char *
service_dir (const char *service_id)
{
  GString *s = g_string_new (NULL);

  for (const char *c = service_id; *c != '\0' && s->len < 200; c++)
    g_string_append_c (s, g_ascii_isalnum (*c) || strchr ("._:-", *c) != NULL ? *c : '_');
  if (s->len == 0 || s->str[0] == '.')
    g_string_prepend_c (s, '_');
  return g_string_free (s, FALSE);
}

static void
on_counters (gpointer data)
{
  update_counters (data);
}

gboolean
mbms_downloads_mtk_received (MbmsDownloads *self, const char *destination, const MgvMtk *mtk)
{
  for (guint i = 0; self != NULL && i < self->sessions->len; i++)
    if (mbms_download_mtk_received (g_ptr_array_index (self->sessions, i), destination, mtk))
      return TRUE;
  return FALSE;
}

gboolean
mbms_downloads_mtk_refused (MbmsDownloads *self, const char *destination, gboolean again)
{
  for (guint i = 0; self != NULL && i < self->sessions->len; i++)
    if (mbms_download_mtk_refused (g_ptr_array_index (self->sessions, i), destination, again))
      return TRUE;
  return FALSE;
}

MbmsDownloads *
mbms_downloads_new (const MbmsContext *ctx, const MbmsUserService *desc, MbmsDBusService *iface)
{
  MbmsDownloads *self = g_new0 (MbmsDownloads, 1);
  g_autofree char *dir = service_dir (desc->service_id);
  gboolean any = FALSE, failed = FALSE;

  self->ctx = ctx;
  self->iface = iface;
  self->sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) mbms_download_free);
  self->files = g_ptr_array_new_with_free_func ((GDestroyNotify) delivered_free);
  for (guint i = 0; i < desc->sessions->len; i++)
    {
      const MbmsRtpSession *r = g_ptr_array_index (desc->sessions, i);
      g_autoptr(GError) error = NULL;
      MbmsDownload *d;

      if (!r->flute)
        continue;
      any = TRUE;
      if (!r->has_tsi)
        {
          g_warning ("service %s: FLUTE session %s:%u without a=flute-tsi (TS 26.346 7.3.2.4)", desc->service_id,
                     r->address, r->port);
          failed = TRUE;
          continue;
        }
      d = mbms_download_new (ctx, dir, r, desc->protected, on_file, on_counters, self, &error);
      if (d == NULL)
        {
          g_warning ("service %s: %s", desc->service_id, error->message);
          failed = TRUE;
          continue;
        }
      g_ptr_array_add (self->sessions, d);
    }
  mbms_dbus_service_set_download_state (iface, !any ? "none" : failed ? "failed" : "receiving");
  update_list (self);
  update_counters (self);
  g_signal_connect (iface, "handle-open-file", G_CALLBACK (on_open_file), self);
  return self;
}

void
mbms_downloads_free (MbmsDownloads *self)
{
  if (self == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->iface, self);
  g_ptr_array_unref (self->sessions);
  g_ptr_array_unref (self->files);
  g_free (self);
}
