/* The key lifetime deadline (TS 33.220 4.5.2) on a clock whose time and timers the test moves
 * by hand: "expired" exactly when the clock reaches the lifetime, never before, and a new
 * bootstrap's lifetime replaces the old one. */
#include "mbms-lifetime.h"

typedef struct {
  MbmsClock   base;
  GDateTime  *now;
  GSourceFunc func; /* the one pending timer */
  gpointer    data;
  guint       delay_ms, next_id, pending_id;
} HandClock;

static guint
hand_add_timeout (MbmsClock *clock, guint delay_ms, GSourceFunc func, gpointer data)
{
  HandClock *c = (HandClock *) clock;

  c->func = func, c->data = data, c->delay_ms = delay_ms;
  return c->pending_id = ++c->next_id;
}

static void
hand_cancel (MbmsClock *clock, guint id)
{
  HandClock *c = (HandClock *) clock;

  if (id == c->pending_id)
    c->pending_id = 0, c->func = NULL;
}

static GDateTime *
hand_now (MbmsClock *clock)
{
  return g_date_time_ref (((HandClock *) clock)->now);
}

/* Time passes by the pending timer's delay (or by ms when it is shorter), and the timer fires
 * when its time has come. */
static void
hand_advance (HandClock *c, guint ms)
{
  GDateTime *later = g_date_time_add (c->now, (GTimeSpan) ms * 1000);

  g_date_time_unref (c->now);
  c->now = later;
  if (c->func != NULL && ms >= c->delay_ms)
    {
      GSourceFunc func = c->func;
      c->func = NULL, c->pending_id = 0;
      func (c->data);
    }
  else if (c->func != NULL)
    c->delay_ms -= ms;
}

static void
count (gpointer data)
{
  (*(guint *) data)++;
}

static HandClock
hand_clock (void)
{
  return (HandClock) { .base = { .add_timeout = hand_add_timeout, .cancel = hand_cancel, .now = hand_now },
                       .now = g_date_time_new_utc (2026, 12, 2, 12, 0, 0) };
}

static void
test_expires_at_the_lifetime (void)
{
  HandClock c = hand_clock ();
  guint expired = 0;
  g_autoptr(MbmsLifetime) l = mbms_lifetime_new (&c.base, count, &expired);
  g_autoptr(GDateTime) until = g_date_time_add_seconds (c.now, 3600);

  mbms_lifetime_set (l, until);
  g_assert_false (mbms_lifetime_is_expired (l));
  hand_advance (&c, 3599 * 1000);
  g_assert_cmpuint (expired, ==, 0);
  g_assert_false (mbms_lifetime_is_expired (l));
  hand_advance (&c, 1000);
  g_assert_cmpuint (expired, ==, 1);
  g_assert_true (mbms_lifetime_is_expired (l));
  g_assert_null (c.func); /* once */
  g_date_time_unref (c.now);
}

static void
test_long_lifetime_in_steps (void)
{
  HandClock c = hand_clock ();
  guint expired = 0;
  g_autoptr(MbmsLifetime) l = mbms_lifetime_new (&c.base, count, &expired);
  g_autoptr(GDateTime) until = g_date_time_add_days (c.now, 60); /* more ms than a guint holds */

  mbms_lifetime_set (l, until);
  for (guint hour = 0; hour < 60 * 24 - 1; hour++)
    hand_advance (&c, 3600 * 1000);
  g_assert_cmpuint (expired, ==, 0);
  hand_advance (&c, 3600 * 1000);
  g_assert_cmpuint (expired, ==, 1);
  g_date_time_unref (c.now);
}

static void
test_new_bootstrap_replaces_the_deadline (void)
{
  HandClock c = hand_clock ();
  guint expired = 0;
  g_autoptr(MbmsLifetime) l = mbms_lifetime_new (&c.base, count, &expired);
  g_autoptr(GDateTime) first = g_date_time_add_seconds (c.now, 10);
  g_autoptr(GDateTime) past = g_date_time_add_seconds (c.now, -1);
  g_autoptr(GDateTime) second = NULL;

  mbms_lifetime_set (l, first);
  hand_advance (&c, 5000);
  second = g_date_time_add_seconds (c.now, 20);
  mbms_lifetime_set (l, second);
  hand_advance (&c, 5000); /* the first deadline passes: nothing */
  g_assert_cmpuint (expired, ==, 0);
  hand_advance (&c, 15000);
  g_assert_cmpuint (expired, ==, 1);
  /* a lifetime already over is expired at once */
  mbms_lifetime_set (l, past);
  g_assert_cmpuint (expired, ==, 2);
  g_date_time_unref (c.now);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/daemon/lifetime/expires-at-the-lifetime", test_expires_at_the_lifetime);
  g_test_add_func ("/daemon/lifetime/long-lifetime-in-steps", test_long_lifetime_in_steps);
  g_test_add_func ("/daemon/lifetime/new-bootstrap-replaces-the-deadline", test_new_bootstrap_replaces_the_deadline);
  return g_test_run ();
}
