/* The replay list of replay-window.h: a window of REPLAY_WINDOW_SIZE indices below the highest. */
#include "replay-window.h"

#include <string.h>

guint64
replay_window_rtp_index (const ReplayWindow *w, guint16 seq, guint64 first_guess)
{
  guint32 roc, s_l;
  gint64 v;

  if (!w->any)
    return first_guess;
  roc = (guint32) (w->top >> 16);
  s_l = (guint32) (w->top & 0xffff);
  /* RFC 3711 3.3.1: v = ROC - 1, ROC or ROC + 1 */
  if (s_l < 32768)
    v = (seq > s_l && seq - s_l > 32768) ? (gint64) roc - 1 : roc;
  else
    v = (s_l - 32768 > seq) ? (gint64) roc + 1 : roc;
  if (v < 0)
    v = 0;
  return (guint64) v << 16 | seq;
}

static gboolean
bit (const ReplayWindow *w, guint64 delta)
{
  return (w->bits[delta / 64] >> (delta % 64)) & 1;
}

gboolean
replay_window_check (const ReplayWindow *w, guint64 index)
{
  if (!w->any || index > w->top)
    return TRUE;
  if (w->top - index >= REPLAY_WINDOW_SIZE)
    return FALSE; /* too old to tell: refused, as RFC 3711 3.3.2 asks */
  return !bit (w, w->top - index);
}

/* Moves the window up by shift indices. */
static void
slide (ReplayWindow *w, guint64 shift)
{
  guint words = G_N_ELEMENTS (w->bits);

  if (shift >= REPLAY_WINDOW_SIZE)
    {
      memset (w->bits, 0, sizeof w->bits);
      return;
    }
  for (guint s = (guint) shift; s > 0;)
    {
      guint step = MIN (s, 63u);
      for (guint i = words; i-- > 0;)
        w->bits[i] = w->bits[i] << step | (i > 0 ? w->bits[i - 1] >> (64 - step) : 0);
      s -= step;
    }
}

void
replay_window_accept (ReplayWindow *w, guint64 index)
{
  if (!w->any)
    {
      memset (w, 0, sizeof *w);
      w->any = TRUE;
      w->top = index;
    }
  else if (index > w->top)
    {
      slide (w, index - w->top);
      w->top = index;
    }
  else if (w->top - index >= REPLAY_WINDOW_SIZE)
    return;
  w->bits[(w->top - index) / 64] |= G_GUINT64_CONSTANT (1) << ((w->top - index) % 64);
}
