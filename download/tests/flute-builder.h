/* FLUTE packets built for the tests from RFC 5651 5.1, RFC 6726 3.4 and RFC 5445 3.4.1 (not
 * by download/ code): one object cut into Compact No-Code symbols by RFC 5052 9.1. */
#pragma once

#include <glib.h>

typedef struct {
  guint64  tsi;
  guint64  toi;
  guint32  fdt_instance;  /* TOI 0 */
  guint16  symbol_length;
  guint32  block_length;
  gboolean with_fti;      /* EXT_FTI in every packet (always for TOI 0) */
  gint     cenc;          /* EXT_CENC value, -1 for none */
  guint    symbols_per_packet;
} FluteObjectShape;

/* GBytes datagrams, in order; the last has the B flag. */
GPtrArray *flute_packets (const FluteObjectShape *shape, GBytes *object);
