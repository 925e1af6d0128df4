/* Persisted registrations, TS 33.246 6.3.2.1A. A small key file in the state directory (no
 * key material in it), written atomically with mode 0600 and bound to the card identity. */
#include "mbms-registrations.h"
#include "mbms-fileio.h"

#include <string.h>

#define REG_GROUP_META "registrations"
#define REG_PREFIX     "service "
#define REG_VERSION    1
#define REG_MAX_LEN    (256 * 1024) /* 64 services of a bundle, a few bundles, long URIs */

struct _MbmsRegistrations {
  char       *path;
  char       *card;
  GHashTable *services; /* service ID -> BM-SC URI */
};

void
mbms_registrations_free (MbmsRegistrations *regs)
{
  if (regs == NULL)
    return;
  g_free (regs->path);
  g_free (regs->card);
  g_hash_table_unref (regs->services);
  g_free (regs);
}

static gboolean
save (MbmsRegistrations *regs, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *data = NULL;
  g_autoptr(GError) local = NULL;
  GHashTableIter it;
  gpointer k, v;
  gsize len;

  g_key_file_set_integer (kf, REG_GROUP_META, "version", REG_VERSION);
  g_key_file_set_string (kf, REG_GROUP_META, "card", regs->card);
  g_hash_table_iter_init (&it, regs->services);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      g_autofree char *group = g_strconcat (REG_PREFIX, (const char *) k, NULL);
      g_key_file_set_string (kf, group, "bmsc", v);
    }
  data = g_key_file_to_data (kf, &len, NULL);
  if (!g_file_set_contents_full (regs->path, data, (gssize) len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600, &local))
    {
      /* GLib names the temporary file; the user knows the real one */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write the registrations %s: %s", regs->path,
                   local->message);
      return FALSE;
    }
  return TRUE;
}

MbmsRegistrations *
mbms_registrations_open (const char *path, const char *card_identity, gboolean *wiped, GError **error)
{
  g_autoptr(MbmsRegistrations) regs = g_new0 (MbmsRegistrations, 1);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) groups = NULL;
  g_autofree char *card = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;

  if (wiped != NULL)
    *wiped = FALSE;
  regs->path = g_strdup (path);
  regs->card = g_strdup (card_identity);
  regs->services = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  text = mbms_fileio_read (path, REG_MAX_LEN, MBMS_FILEIO_NO_LINKS, &len, &local);
  if (text == NULL && g_error_matches (local, MBMS_FILEIO_ERROR, MBMS_FILEIO_ERROR_NOT_FOUND))
    return g_steal_pointer (&regs);
  if (text == NULL || !g_key_file_load_from_data (kf, text, len, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "registrations %s are unreadable: %s", path,
                   local->message);
      return NULL;
    }
  card = g_key_file_get_string (kf, REG_GROUP_META, "card", NULL);
  if (g_key_file_get_integer (kf, REG_GROUP_META, "version", NULL) != REG_VERSION || card == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "registrations %s are not a version %d file", path,
                   REG_VERSION);
      return NULL;
    }
  if (g_strcmp0 (card, card_identity) != 0)
    {
      /* 6.3.2.1A: a changed USIM ends the user's registrations */
      if (wiped != NULL)
        *wiped = TRUE;
      return save (regs, error) ? g_steal_pointer (&regs) : NULL;
    }
  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *bmsc = NULL;
      if (!g_str_has_prefix (groups[i], REG_PREFIX))
        continue;
      bmsc = g_key_file_get_string (kf, groups[i], "bmsc", NULL);
      if (bmsc != NULL)
        g_hash_table_replace (regs->services, g_strdup (groups[i] + strlen (REG_PREFIX)), g_steal_pointer (&bmsc));
    }
  return g_steal_pointer (&regs);
}

/* Memory follows the disk: a change that cannot be written is undone. */
gboolean
mbms_registrations_add (MbmsRegistrations *regs, const char *service_id, const char *bmsc_uri, GError **error)
{
  g_autofree char *before = g_strdup (g_hash_table_lookup (regs->services, service_id));

  if (before != NULL && g_strcmp0 (before, bmsc_uri) == 0)
    return TRUE;
  g_hash_table_replace (regs->services, g_strdup (service_id), g_strdup (bmsc_uri));
  if (save (regs, error))
    return TRUE;
  if (before != NULL)
    g_hash_table_replace (regs->services, g_strdup (service_id), g_steal_pointer (&before));
  else
    g_hash_table_remove (regs->services, service_id);
  return FALSE;
}

gboolean
mbms_registrations_remove (MbmsRegistrations *regs, const char *service_id, GError **error)
{
  char *bmsc = NULL;
  char *id = NULL;

  if (!g_hash_table_steal_extended (regs->services, service_id, (gpointer *) &id, (gpointer *) &bmsc))
    return TRUE;
  if (save (regs, error))
    {
      g_free (id);
      g_free (bmsc);
      return TRUE;
    }
  g_hash_table_insert (regs->services, id, bmsc);
  return FALSE;
}

const char *
mbms_registrations_get_bmsc (MbmsRegistrations *regs, const char *service_id)
{
  return g_hash_table_lookup (regs->services, service_id);
}

/* g_ptr_array_sort hands the comparison pointers to the elements, not the elements */
static gint
compare_ids (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char **
mbms_registrations_list (MbmsRegistrations *regs)
{
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (regs->services, NULL);
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; keys[i] != NULL; i++)
    g_ptr_array_add (out, g_strdup (keys[i]));
  g_ptr_array_sort (out, compare_ids);
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

typedef struct {
  GHashTable *statuses;
  guint       pending;
} Restore;

static void
restore_free (Restore *r)
{
  g_hash_table_unref (r->statuses);
  g_free (r);
}

static void
on_restored (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  Restore *r = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) result = mbms_keymgmt_request_finish (MBMS_KEYMGMT (source), res, &error);

  if (result != NULL)
    {
      GHashTableIter it;
      gpointer id;

      /* the item naming each service, first one counting, as for a registration (6.3.2.4) */
      g_hash_table_iter_init (&it, r->statuses);
      while (g_hash_table_iter_next (&it, &id, NULL))
        {
          const MbmsItemStatus *s = mbms_keymgmt_item_for_service (result->items, id);
          if (s == NULL)
            continue;
          if (s->problem != NULL)
            g_message ("re-registration of %s: the BM-SC's response item: %s", (const char *) id, s->problem);
          g_hash_table_iter_replace (&it, GUINT_TO_POINTER (s->status));
        }
    }
  else
    g_message ("re-registration failed: %s", error->message);
  if (--r->pending == 0)
    {
      g_task_return_pointer (task, g_hash_table_ref (r->statuses), (GDestroyNotify) g_hash_table_unref);
      g_object_unref (task);
    }
}

void
mbms_registrations_restore_async (MbmsRegistrations *regs, MbmsKeymgmt *km, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data); /* regs is no GObject */
  Restore *r = g_new0 (Restore, 1);
  g_autoptr(GHashTable) by_bmsc = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) g_ptr_array_unref);
  GHashTableIter it;
  gpointer k, v;

  r->statuses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_task_set_task_data (task, r, (GDestroyNotify) restore_free);
  g_hash_table_iter_init (&it, regs->services);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      GPtrArray *ids = g_hash_table_lookup (by_bmsc, v);
      if (ids == NULL)
        g_hash_table_insert (by_bmsc, v, ids = g_ptr_array_new ());
      g_ptr_array_add (ids, k);
      g_hash_table_insert (r->statuses, g_strdup (k), GUINT_TO_POINTER (0));
    }
  if (g_hash_table_size (by_bmsc) == 0)
    {
      g_task_return_pointer (task, g_hash_table_ref (r->statuses), (GDestroyNotify) g_hash_table_unref);
      g_object_unref (task);
      return;
    }
  g_hash_table_iter_init (&it, by_bmsc);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      GPtrArray *ids = v;
      g_autoptr(GBytes) body = NULL;

      g_ptr_array_add (ids, NULL);
      body = mbms_keymgmt_build_register ((const char *const *) ids->pdata, FALSE);
      r->pending++;
      mbms_keymgmt_request_async (km, k, MBMS_KEYMGMT_REGISTER, body, 0, 0, cancellable, on_restored, task);
    }
}

GHashTable *
mbms_registrations_restore_finish (MbmsRegistrations *regs, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
