/* The deadline of a bootstrapped key lifetime on the injectable clock. */
#include "mbms-lifetime.h"

#define STEP_MS (3600u * 1000u) /* at most an hour per timer: the clock is asked again after it */

struct _MbmsLifetime {
  MbmsClock       *clock;
  MbmsLifetimeFunc expired;
  gpointer         data;
  GDateTime       *until;
  guint            timer;
  gboolean         is_expired;
};

MbmsLifetime *
mbms_lifetime_new (MbmsClock *clock, MbmsLifetimeFunc expired, gpointer data)
{
  MbmsLifetime *self = g_new0 (MbmsLifetime, 1);

  self->clock = clock;
  self->expired = expired;
  self->data = data;
  return self;
}

void
mbms_lifetime_free (MbmsLifetime *self)
{
  if (self == NULL)
    return;
  if (self->timer != 0)
    mbms_clock_cancel (self->clock, self->timer);
  g_clear_pointer (&self->until, g_date_time_unref);
  g_free (self);
}

static gboolean on_timer (gpointer data);

static void
arm (MbmsLifetime *self)
{
  g_autoptr(GDateTime) now = self->clock->now (self->clock);
  GTimeSpan left = g_date_time_difference (self->until, now);

  if (left <= 0)
    {
      self->is_expired = TRUE;
      self->expired (self->data);
      return;
    }
  /* whole milliseconds, rounded up: the timer never fires before the deadline */
  self->timer = mbms_clock_add_timeout (self->clock, (guint) MIN ((left + 999) / 1000, (GTimeSpan) STEP_MS), on_timer,
                                        self);
}

static gboolean
on_timer (gpointer data)
{
  MbmsLifetime *self = data;

  self->timer = 0;
  arm (self);
  return G_SOURCE_REMOVE;
}

void
mbms_lifetime_set (MbmsLifetime *self, GDateTime *until)
{
  if (self->timer != 0)
    mbms_clock_cancel (self->clock, self->timer);
  self->timer = 0;
  g_clear_pointer (&self->until, g_date_time_unref);
  self->until = g_date_time_ref (until);
  self->is_expired = FALSE;
  arm (self);
}

gboolean
mbms_lifetime_is_expired (MbmsLifetime *self)
{
  return self->is_expired;
}
