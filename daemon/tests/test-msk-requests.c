/* The spacing of MSK requests per key group (TS 33.246 6.3.2.2.3): counted from what was
 * sent, never reset by what arrived, on a clock whose timers the test fires by hand. */
#include "mbms-msk-requests.h"

typedef struct {
  MbmsClock   base;
  GSourceFunc func;    /* the one pending timer */
  gpointer    data;
  guint       delay_ms;
  guint       next_id, pending_id;
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

static void
hand_fire (HandClock *c)
{
  GSourceFunc func = c->func;

  g_assert_nonnull (func);
  c->func = NULL, c->pending_id = 0;
  func (c->data);
}

static const guint8 DOMAIN[3] = { 0x00, 0xf1, 0x10 };
static const guint8 OTHER[3] = { 0x00, 0xf1, 0x20 };

static void
test_interval_from_what_was_sent (void)
{
  HandClock c = { .base = { .add_timeout = hand_add_timeout, .cancel = hand_cancel } };
  g_autoptr(MbmsMskRequests) r = mbms_msk_requests_new (&c.base, 30);

  g_assert_true (mbms_msk_requests_may_trigger (r, DOMAIN, 1));
  mbms_msk_requests_sent (r, DOMAIN, 1);
  g_assert_cmpuint (c.delay_ms, ==, 30000);
  /* waiting (back-off) or in flight: no second one */
  g_assert_false (mbms_msk_requests_may_trigger (r, DOMAIN, 1));
  /* other groups and domains are counted on their own */
  g_assert_true (mbms_msk_requests_may_trigger (r, DOMAIN, 2));
  g_assert_true (mbms_msk_requests_may_trigger (r, OTHER, 1));
  /* answered (an MSK arrived): the interval still runs */
  mbms_msk_requests_done (r, DOMAIN, 1);
  g_assert_false (mbms_msk_requests_may_trigger (r, DOMAIN, 1));
  hand_fire (&c);
  g_assert_true (mbms_msk_requests_may_trigger (r, DOMAIN, 1));
}

static void
test_request_longer_than_interval (void)
{
  HandClock c = { .base = { .add_timeout = hand_add_timeout, .cancel = hand_cancel } };
  g_autoptr(MbmsMskRequests) r = mbms_msk_requests_new (&c.base, 5);

  mbms_msk_requests_sent (r, DOMAIN, 1);
  /* a back-off longer than the interval: the request is still to go out */
  hand_fire (&c);
  g_assert_false (mbms_msk_requests_may_trigger (r, DOMAIN, 1));
  mbms_msk_requests_done (r, DOMAIN, 1);
  g_assert_true (mbms_msk_requests_may_trigger (r, DOMAIN, 1));
  /* a done without a request changes nothing */
  mbms_msk_requests_done (r, DOMAIN, 1);
  g_assert_true (mbms_msk_requests_may_trigger (r, DOMAIN, 1));
  /* a pending timer is cancelled when the owner goes */
  mbms_msk_requests_sent (r, DOMAIN, 1);
  g_assert_cmpuint (c.pending_id, !=, 0);
  g_clear_pointer (&r, mbms_msk_requests_unref);
  g_assert_cmpuint (c.pending_id, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/daemon/msk-requests/interval-from-what-was-sent", test_interval_from_what_was_sent);
  g_test_add_func ("/daemon/msk-requests/request-longer-than-interval", test_request_longer_than_interval);
  return g_test_run ();
}
