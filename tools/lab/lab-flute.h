/* The lab's FLUTE sender (RFC 6726 over ALC, RFC 5775, and LCT, RFC 5651) with Compact No-Code
 * FEC (RFC 5445) as TS 26.346 7 and Annex A profile it for MBMS download: objects in carousel
 * rounds, the FDT instance as TOI 0, with switches for loss, reordering, duplicates and rate.
 * Written from the RFCs, apart from mbmsd's receiver. */
#pragma once

#include <gio/gio.h>

#define LAB_FLUTE_FDT_TOI        0     /* RFC 6726 3.3 */
#define LAB_FLUTE_DEFAULT_SYMBOL 1400  /* octets per encoding symbol */
#define LAB_FLUTE_DEFAULT_BLOCK  256   /* maximum source block length, in symbols */

/* One ALC/LCT packet, the fields as RFC 5651 5.1, RFC 6726 3.4 and RFC 5445 name them. */
typedef struct {
  guint32       tsi;
  guint32       toi;
  guint32       cci;
  gboolean      fdt;              /* EXT_FDT with fdt_instance_id (FLUTE version 2) */
  guint32       fdt_instance_id;  /* 20 bits */
  guint64       transfer_length;  /* EXT_FTI, 48 bits */
  guint16       symbol_length;
  guint32       max_block_length;
  guint16       sbn;              /* FEC Payload ID, Compact No-Code */
  guint16       esi;
  const guint8 *payload;
  gsize         payload_len;
  gboolean      close_object;     /* B */
  gboolean      close_session;    /* A */
} LabLctPacket;

GBytes *lab_lct_packet_build (const LabLctPacket *p);

/* RFC 5052 9.1: the number of source blocks and the symbols of block sbn. */
guint lab_flute_blocks (guint64 transfer_length, guint symbol_length, guint max_block, guint *large, guint *small,
                        guint *n_large);

typedef struct {
  guint   loss_percent;       /* packets dropped at random */
  guint   reorder_percent;    /* packets sent out of order (within a window of 32) */
  guint   duplicate_percent;  /* packets sent twice */
  guint   rounds;             /* carousel rounds; 0 = until stopped */
  guint   rate;               /* packets per second */
  guint   symbol_length;
  guint   max_block_length;
  guint32 seed;               /* of the loss, reordering and duplicate choices; 0 = random */
} LabFluteOptions;

typedef struct _LabFlute LabFlute;

LabFlute *lab_flute_new (const char *address, guint16 port, guint32 tsi, const char *iface,
                         const LabFluteOptions *options, GError **error);
void      lab_flute_free (LabFlute *flute);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabFlute, lab_flute_free)

/* An object of the session, sent from carousel round from_round (0 = the first) on. An FDT
 * instance goes as TOI 0 with EXT_FDT, first in each round; a later one replaces it. */
void     lab_flute_add_object (LabFlute *flute, guint32 toi, GBytes *content, guint from_round);
void     lab_flute_set_fdt (LabFlute *flute, GBytes *fdt_instance, guint32 fdt_instance_id);
/* Starts sending on the main loop; done (may be NULL) runs once the last round went out. */
void     lab_flute_start (LabFlute *flute, GCallback done, gpointer user_data);
guint64  lab_flute_packets_sent (LabFlute *flute);
guint    lab_flute_rounds_done (LabFlute *flute);
