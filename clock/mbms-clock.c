/* The system implementation of MbmsClock. */
#include "mbms-clock.h"

static guint
system_add_timeout (MbmsClock *clock, guint delay_ms, GSourceFunc func, gpointer data)
{
  return g_timeout_add (delay_ms, func, data);
}

static void
system_cancel (MbmsClock *clock, guint id)
{
  g_source_remove (id);
}

static GDateTime *
system_now (MbmsClock *clock)
{
  return g_date_time_new_now_utc ();
}

static double
system_random (MbmsClock *clock)
{
  return g_random_double ();
}

MbmsClock *
mbms_clock_get_system (void)
{
  static MbmsClock clock = { system_add_timeout, system_cancel, system_now, system_random };

  return &clock;
}
