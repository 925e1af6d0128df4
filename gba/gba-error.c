/* The error domain of the gba component. */
#include "gba.h"

G_DEFINE_QUARK (gba-error-quark, gba_error)
