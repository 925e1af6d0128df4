/* MSK requests per key group (TS 33.246 6.3.2.2.3), limited by what was sent. */
#include "mbms-msk-requests.h"

typedef struct {
  MbmsMskRequests *owner;
  char            *key;
  guint            in_flight;   /* requests scheduled and not yet finished */
  guint            quiet_timer; /* running: the interval since the last request is not over */
} Group;

struct _MbmsMskRequests {
  MbmsClock  *clock;
  guint       interval_ms;
  GHashTable *groups; /* "domain/group" -> Group */
};

static void
group_free (Group *g)
{
  if (g->quiet_timer != 0)
    mbms_clock_cancel (g->owner->clock, g->quiet_timer);
  g_free (g->key);
  g_free (g);
}

MbmsMskRequests *
mbms_msk_requests_new (MbmsClock *clock, guint interval_s)
{
  MbmsMskRequests *self = g_rc_box_new0 (MbmsMskRequests);

  self->clock = clock;
  self->interval_ms = interval_s * 1000;
  self->groups = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) group_free);
  return self;
}

MbmsMskRequests *
mbms_msk_requests_ref (MbmsMskRequests *self)
{
  return g_rc_box_acquire (self);
}

static void
msk_requests_clear (MbmsMskRequests *self)
{
  g_hash_table_unref (self->groups);
}

void
mbms_msk_requests_unref (MbmsMskRequests *self)
{
  if (self != NULL)
    g_rc_box_release_full (self, (GDestroyNotify) msk_requests_clear);
}

static char *
group_key (const guint8 domain[3], guint16 key_group)
{
  return g_strdup_printf ("%02x%02x%02x/%u", domain[0], domain[1], domain[2], key_group);
}

/* Nothing left to remember about a group once it is quiet and idle. */
static void
forget_if_idle (MbmsMskRequests *self, Group *g)
{
  if (g->in_flight == 0 && g->quiet_timer == 0)
    g_hash_table_remove (self->groups, g->key);
}

static gboolean
on_quiet_over (gpointer data)
{
  Group *g = data;

  g->quiet_timer = 0;
  forget_if_idle (g->owner, g);
  return G_SOURCE_REMOVE;
}

gboolean
mbms_msk_requests_may_trigger (MbmsMskRequests *self, const guint8 domain[3], guint16 key_group)
{
  g_autofree char *key = group_key (domain, key_group);

  return !g_hash_table_contains (self->groups, key);
}

void
mbms_msk_requests_sent (MbmsMskRequests *self, const guint8 domain[3], guint16 key_group)
{
  g_autofree char *key = group_key (domain, key_group);
  Group *g = g_hash_table_lookup (self->groups, key);

  if (g == NULL)
    {
      g = g_new0 (Group, 1);
      g->owner = self;
      g->key = g_steal_pointer (&key);
      g_hash_table_insert (self->groups, g->key, g);
    }
  g->in_flight++;
  if (g->quiet_timer != 0)
    mbms_clock_cancel (self->clock, g->quiet_timer);
  g->quiet_timer = mbms_clock_add_timeout (self->clock, self->interval_ms, on_quiet_over, g);
}

void
mbms_msk_requests_done (MbmsMskRequests *self, const guint8 domain[3], guint16 key_group)
{
  g_autofree char *key = group_key (domain, key_group);
  Group *g = g_hash_table_lookup (self->groups, key);

  if (g == NULL || g->in_flight == 0)
    return;
  g->in_flight--;
  forget_if_idle (self, g);
}
