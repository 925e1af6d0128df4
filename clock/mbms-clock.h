/* One injectable clock for the daemon: timers, wall time and the randomness of back-off, so
 * tests move time instead of sleeping (STYLE 3). */
#pragma once

#include <glib.h>

typedef struct _MbmsClock MbmsClock;

struct _MbmsClock {
  /* Calls func(data) after delay_ms; returns a source ID for mbms_clock_cancel. */
  guint      (*add_timeout) (MbmsClock *clock, guint delay_ms, GSourceFunc func, gpointer data);
  void       (*cancel) (MbmsClock *clock, guint id);
  GDateTime *(*now) (MbmsClock *clock);
  /* Uniform in [0, 1). */
  double     (*random) (MbmsClock *clock);
};

/* The real clock: GLib timeouts on the thread-default main context, the system time. */
MbmsClock *mbms_clock_get_system (void);

static inline guint
mbms_clock_add_timeout (MbmsClock *clock, guint delay_ms, GSourceFunc func, gpointer data)
{
  return clock->add_timeout (clock, delay_ms, func, data);
}

static inline void
mbms_clock_cancel (MbmsClock *clock, guint id)
{
  clock->cancel (clock, id);
}
