/* A sender's replay list that outlives its keys (private to srtp-bridge): RFC 3711 3.3.2 over
 * packet indices, kept by the receiver itself because libsrtp2 starts an empty window for
 * every srtp_update_stream, i.e. at every MTK change (TS 33.246 6.6.2). */
#pragma once

#include <glib.h>

#define REPLAY_WINDOW_SIZE 128 /* as the libsrtp2 contexts (RFC 3711 3.3.2: at least 64) */

typedef struct {
  gboolean any;     /* an index was accepted */
  guint64  top;     /* the highest accepted index */
  guint64  bits[REPLAY_WINDOW_SIZE / 64]; /* bit i: index top - i was accepted */
} ReplayWindow;

/* RFC 3711 3.3.1: the 48-bit index of an RTP packet with this SEQ, guessed from the highest
 * accepted one (the caller's first guess when the window is empty). */
guint64  replay_window_rtp_index (const ReplayWindow *w, guint16 seq, guint64 first_guess);
/* FALSE when index was accepted before or is too old for the window. */
gboolean replay_window_check (const ReplayWindow *w, guint64 index);
/* Records an authenticated index. */
void     replay_window_accept (ReplayWindow *w, guint64 index);
