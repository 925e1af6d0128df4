/* MGV-S internals shared by the store, MGV-F and the tests. */
#pragma once

#include "mgv.h"

/* The file: "MBMSMGVS" | version (2) | records: tag (1) | length (4) | value | SHA-256 */
#define MGV_STORE_MAGIC        "MBMSMGVS"
#define MGV_STORE_MAGIC_LEN    8
#define MGV_STORE_VERSION      1
#define MGV_STORE_HASH_LEN     32
#define MGV_STORE_MAX_LEN      (1024 * 1024)

enum {
  TAG_CARD = 1,
  TAG_NEXT_GENERATION = 2,
  TAG_MUK_LAST_GENERATED = 3,
  TAG_MUK_LAST_USED = 4,
  TAG_MSK = 5,
};

typedef struct {
  char      *idi;
  char      *idr;
  GbaSecret *key;
  guint64    generation;  /* order of installation: the higher, the newer MUK */
  gboolean   has_counter; /* no MSK message accepted yet under this MUK */
  guint32    counter;     /* TS of the last accepted MSK message, 6.4.3 */
} MgvMuk;

typedef struct {
  guint8     domain[MGV_KEY_DOMAIN_LEN];
  guint32    msk_id;
  GbaSecret *key;
  guint32    seq_low;
  guint32    seq_high;
  GBytes    *rand;            /* MIKEY-RAND of the MSK message, the PRF input for MTKs */
  gboolean   has_mtk_counter;
  guint32    mtk_counter;     /* TS of the last accepted MTK message under this MSK */
  guint64    muk_generation;  /* which MUK delivered it (newer MSK decision, 6.5.3) */
  guint32    ts;              /* TS of the MSK message that delivered or updated it */
  guint8     policy_no;
  GBytes    *policy;          /* SP params, or NULL */
} MgvMsk;

/* Atomic writes of serialised stores, now or in a worker thread (mgv-store-writer.c). */
typedef struct _MgvStoreWriter MgvStoreWriter;

gboolean        mgv_store_write_file (const char *path, GBytes *snapshot, GError **error);
MgvStoreWriter *mgv_store_writer_new (const char *path);
void            mgv_store_writer_submit (MgvStoreWriter *writer, GBytes *snapshot);
gboolean        mgv_store_writer_flush (MgvStoreWriter *writer, GError **error);
void            mgv_store_writer_free (MgvStoreWriter *writer);

struct _MgvStore {
  char       *path;
  MgvStoreWriter *writer;      /* background saves, created with the first */
  gboolean    defer_mtk_saves;
  char       *card;
  guint64     next_generation;
  MgvMuk     *last_generated;
  MgvMuk     *last_used;
  GPtrArray  *msks;     /* MgvMsk */
  GHashTable *sessions; /* session name -> GPtrArray of MgvMtk, newest first */
};

void     mgv_muk_free (MgvMuk *muk);
MgvMuk  *mgv_muk_copy (const MgvMuk *muk);
void     mgv_msk_free (MgvMsk *msk);
MgvMsk  *mgv_store_find_msk (MgvStore *store, const guint8 domain[3], guint32 msk_id);

/* A store that never touches the disk (fuzz targets). */
MgvStore *mgv_store_new_in_memory (const char *card_identity);

/* Serialisation, exposed for the fuzz target and the crash-safety test. */
GBytes   *mgv_store_serialize (MgvStore *store);
MgvStore *mgv_store_new_from_bytes (GBytes *data, const char *path, GError **error);
/* What a damaged store file seems to hold, for the log: counts and key IDs, never key bytes
 * (mgv-store-aside.c). Read leniently: the file is damaged, so the words say "seems". */
char     *mgv_store_describe_damaged (const guint8 *data, gsize len);
gboolean  mgv_fail (GError **error, MgvError code, const char *format, ...) G_GNUC_PRINTF (3, 4);
