/* Watches the host's IP addresses (rtnetlink): TS 33.246 6.3.2.1A has the UE register again
 * when its address changes, so that the BM-SC pushes MSKs to the new one. */
#pragma once

#include <glib.h>

typedef void (*MbmsAddressFunc) (gpointer user_data);

typedef struct _MbmsAddressWatch MbmsAddressWatch;

/* func runs (debounced) when the set of local addresses differs from the last one seen. */
MbmsAddressWatch *mbms_address_watch_new (guint debounce_ms, MbmsAddressFunc func, gpointer user_data);
void              mbms_address_watch_free (MbmsAddressWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsAddressWatch, mbms_address_watch_free)

/* The local addresses, sorted, one per line (what is compared). */
char             *mbms_address_watch_snapshot (void);
