/* Replay counters: RFC 1982 serial number arithmetic on 32 bits, as TS 33.246 6.4.3 asks. */
#include "mgv.h"

gboolean
mgv_serial_newer (guint32 a, guint32 b)
{
  guint32 diff = a - b;

  /* RFC 1982 3.2: a > b when 0 < (a - b) mod 2^32 < 2^31; at exactly 2^31 the relation is
   * undefined, which 6.4.3 treats as a replay. */
  return diff != 0 && diff < 0x80000000u;
}
