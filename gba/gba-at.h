/* The AT side of the modem backend (TS 27.007, ITU-T V.250): lines and the answers of
 * +CSIM (8.17), +CGLA (8.43), +CCHO (8.45), +CPIN (8.3), parsed without a modem. Private to
 * gba/ (the AT transport, its tests and fuzz target). */
#pragma once

#include "gba.h"

G_BEGIN_DECLS

#define GBA_AT_MAX_LINE 4096 /* a line longer than this is garbage, not an answer */

typedef enum {
  GBA_AT_LINE_INFO,      /* an information text or an unsolicited result code */
  GBA_AT_LINE_OK,        /* final: OK */
  GBA_AT_LINE_ERROR,     /* final: ERROR, NO CARRIER, ... */
  GBA_AT_LINE_CME_ERROR, /* final: +CME ERROR: <err> (9.2) */
} GbaAtLineKind;

/* What kind of line this is; *cme the numeric +CME ERROR (-1 when verbose or absent). */
GbaAtLineKind gba_at_classify (const char *line, int *cme);

/* A line assembler: feed bytes as they come, take complete lines (CR and/or LF ended, empty
 * lines dropped). An overlong line is dropped and counted. */
typedef struct _GbaAtLines GbaAtLines;
GbaAtLines *gba_at_lines_new (void);
void        gba_at_lines_free (GbaAtLines *lines);
void        gba_at_lines_feed (GbaAtLines *lines, const guint8 *data, gsize len);
char       *gba_at_lines_pop (GbaAtLines *lines); /* NULL when no complete line is waiting */
guint       gba_at_lines_dropped (GbaAtLines *lines);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbaAtLines, gba_at_lines_free)

/* "+CSIM: <length>,"<hex>"" / "+CGLA: ..." (prefix without the colon): the response
 * APDU; <length> must count the hex characters. FALSE when the line is not that answer. */
gboolean gba_at_parse_apdu_answer (const char *line, const char *prefix, GBytes **apdu, GError **error);

/* +CCHO answers <sessionid> bare (27.007 8.45) or "+CCHO: <sessionid>" on many modems. */
gboolean gba_at_parse_ccho (const char *line, guint *session);

typedef enum {
  GBA_AT_CPIN_READY,
  GBA_AT_CPIN_LOCKED,   /* SIM PIN, SIM PUK, PH-SIM PIN, ... */
  GBA_AT_CPIN_UNKNOWN,
} GbaAtCpin;
/* "+CPIN: <code>" (8.3); FALSE when the line is not a +CPIN answer. */
gboolean gba_at_parse_cpin (const char *line, GbaAtCpin *state);

/* Builds AT+CSIM=<length>,"<hex>" or AT+CGLA=<session>,<length>,"<hex>" (session < 0: CSIM). */
char *gba_at_build_apdu_command (int session, GBytes *apdu);

/* +CME ERROR codes that mean the card is not there (27.007 9.2: 10 SIM not inserted,
 * 13 SIM failure) or wants a PIN (11 SIM PIN required, 12 SIM PUK required). */
#define GBA_AT_CME_SIM_NOT_INSERTED 10
#define GBA_AT_CME_SIM_PIN_REQUIRED 11
#define GBA_AT_CME_SIM_PUK_REQUIRED 12
#define GBA_AT_CME_SIM_FAILURE      13
#define GBA_AT_CME_SIM_BUSY         14
#define GBA_AT_CME_NOT_SUPPORTED    4

G_END_DECLS
