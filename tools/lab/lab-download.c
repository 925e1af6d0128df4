/* A protected MBMS download session of the lab network, TS 33.246 6.6.3 and 6.3.3.2.1. */
#include "lab-download.h"
#include "lab-dcf.h"
#include "lab-fdt.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#define MIKEY_CONTENT_TYPE "application/mikey" /* IANA, RFC 3830 10; 6.3.3.2.1 */
#define DCF_CONTENT_TYPE   "application/vnd.oma.drm.dcf"
#define LAB_BASE_URI       "http://lab.mbmsd.test/download/"
#define FDT_EXPIRES_S      3600
#define TOI_MIKEY          1
#define LAB_MAX_MTK_ID     60000 /* the lab BM-SC's MSK Key Validity: MTK IDs (0, 60000] */

typedef struct {
  const char      *location; /* under LAB_BASE_URI */
  const char      *type;     /* of the plaintext */
  LabDcfEncryption method;
  gboolean         bad_signature;
  gboolean         big;
  gboolean         gzip;     /* sent with Content-Encoding gzip (TS 26.346 7.2.x, RFC 6726 3.4.2) */
} FileSpec;

/* The session's files: each method, a large one, one that must be refused. */
static const FileSpec files[] = {
  { "news/bulletin.txt", "text/plain", LAB_DCF_AES_128_CBC, FALSE, FALSE, FALSE },
  { "clips/clip.bin", "application/octet-stream", LAB_DCF_AES_128_CTR, FALSE, FALSE, FALSE },
  { "updates/firmware.bin", "application/octet-stream", LAB_DCF_AES_128_CBC, FALSE, TRUE, FALSE },
  { "news/forged.txt", "text/plain", LAB_DCF_AES_128_CBC, TRUE, FALSE, FALSE },
  { "news/digest.txt", "text/plain", LAB_DCF_AES_128_CTR, FALSE, FALSE, TRUE },
};

struct _LabDownload {
  LabDownloadOptions o;
  LabFlute          *flute;
  guint32            msk_id;
  guint16            mtk_id;       /* the current MTK */
  GbaSecret         *msk;
  GBytes            *rand;         /* the MIKEY-RAND of the MSK (6.5.4) */
  guint32            csb_id;
  guint32            mtk_ts;       /* the MTK messages' counter (6.4.3) */
  LabDcfKeys         keys;         /* the current MTK's */
  LabDcfKeys         first_keys;   /* MTK ID 1's, for the stale file after two changes */
  char              *mikey_uri;    /* the current MIKEY object's Content-Location */
  GPtrArray         *entries;      /* Entry: what the FDT describes */
  guint32            next_toi;
  guint32            fdt_instance;
  GKeyFile          *info;         /* session.ini of the dump directory */
};

/* An FDT entry with the strings and bytes it points to. */
typedef struct {
  LabFdtFile f;
  char      *location;
  char      *key_uri;
  GBytes    *md5_of;
} Entry;

static void
entry_free (Entry *e)
{
  g_free (e->location);
  g_free (e->key_uri);
  g_clear_pointer (&e->md5_of, g_bytes_unref);
  g_free (e);
}

void
lab_download_options_clear (LabDownloadOptions *o)
{
  g_clear_pointer (&o->address, g_free);
  g_clear_pointer (&o->service_id, g_free);
  g_clear_pointer (&o->dump_directory, g_free);
  g_clear_pointer (&o->usd_directory, g_free);
}

static guint
get_uint (GKeyFile *kf, const char *key, guint dflt)
{
  return g_key_file_has_key (kf, "lab-download", key, NULL)
           ? (guint) MAX (0, g_key_file_get_integer (kf, "lab-download", key, NULL)) : dflt;
}

gboolean
lab_download_options_from_key_file (GKeyFile *kf, LabDownloadOptions *o, GError **error)
{
  g_autofree char *dest = g_key_file_get_string (kf, "lab-download", "destination", NULL);
  g_autofree char *domain = g_key_file_get_string (kf, "lab-download", "key-domain", NULL);

  if (dest != NULL)
    {
      const char *colon = strrchr (dest, ':');
      if (colon == NULL || atoi (colon + 1) <= 0 || atoi (colon + 1) > 0xffff)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "[lab-download] destination %s is not address:port", dest);
          return FALSE;
        }
      g_free (o->address);
      o->address = g_strndup (dest, colon - dest);
      o->port = (guint16) atoi (colon + 1);
    }
  if (!gba_hex_to_buf (domain != NULL ? domain : "00f110", o->domain, 3))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "[lab-download] key-domain is 6 hex digits");
      return FALSE;
    }
  o->tsi = get_uint (kf, "tsi", o->tsi != 0 ? o->tsi : 1);
  o->key_group = (guint16) get_uint (kf, "key-group", o->key_group != 0 ? o->key_group : 3);
  if (o->service_id == NULL)
    o->service_id = g_key_file_get_string (kf, "lab-download", "service-id", NULL);
  if (o->service_id == NULL)
    o->service_id = g_strdup ("urn:mbmsd:lab:service:podcasts");
  o->flute.loss_percent = get_uint (kf, "loss", o->flute.loss_percent);
  o->flute.reorder_percent = get_uint (kf, "reorder", o->flute.reorder_percent);
  o->flute.duplicate_percent = get_uint (kf, "duplicate", o->flute.duplicate_percent);
  o->flute.rounds = get_uint (kf, "rounds", o->flute.rounds);
  o->flute.rate = get_uint (kf, "rate", o->flute.rate);
  o->flute.symbol_length = get_uint (kf, "symbol-length", o->flute.symbol_length);
  o->big_mib = get_uint (kf, "big-file-mib", o->big_mib != 0 ? o->big_mib : 11);
  o->mikey_from_round = get_uint (kf, "mikey-from-round", o->mikey_from_round);
  if (o->dump_directory == NULL)
    o->dump_directory = g_key_file_get_string (kf, "lab-download", "dump-directory", NULL);
  if (o->usd_directory == NULL)
    o->usd_directory = g_key_file_get_string (kf, "lab-download", "usd-directory", NULL);
  if (o->flute.loss_percent > 100 || o->flute.reorder_percent > 100 || o->flute.duplicate_percent > 100
      || o->flute.symbol_length > 65535 || o->key_group == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "[lab-download] loss, reorder, duplicate are percentages; symbol-length at most 65535");
      return FALSE;
    }
  return TRUE;
}

/* The gzip encoding of data (RFC 1952), as FLUTE carries a content-encoded file. */
static GBytes *
gzip_of (GBytes *data)
{
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new (mem, G_CONVERTER (z));

  g_assert (g_output_stream_write_all (out, g_bytes_get_data (data, NULL), g_bytes_get_size (data), NULL, NULL,
                                       NULL));
  g_assert (g_output_stream_close (out, NULL, NULL));
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

/* Plaintexts a receiver can check octet by octet. */
static GBytes *
plaintext_of (const FileSpec *f, guint big_mib)
{
  if (f->big)
    {
      gsize len = (gsize) big_mib * 1024 * 1024 + 12345; /* not a multiple of anything */
      guint8 *p = g_malloc (len);
      for (gsize i = 0; i < len; i++)
        p[i] = (guint8) (i * 131 + (i >> 9) * 7 + 3);
      return g_bytes_new_take (p, len);
    }
  if (f->method == LAB_DCF_AES_128_CTR)
    {
      gsize len = 100000 + 7;
      guint8 *p = g_malloc (len);
      for (gsize i = 0; i < len; i++)
        p[i] = (guint8) (i * 29 + (i >> 11));
      return g_bytes_new_take (p, len);
    }
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < 200; i++)
    g_string_append_printf (s, "%s line %u: protected by the lab's MTK (TS 33.246 6.6.3)\n", f->location, i);
  return g_string_free_to_bytes (s);
}

static void
dump (const LabDownload *d, const char *name, GBytes *bytes)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (d->o.dump_directory == NULL)
    return;
  path = g_build_filename (d->o.dump_directory, name, NULL);
  if (!g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), &error))
    g_warning ("lab download: %s", error->message);
}

static char *
hex_of (const guint8 *p, gsize len)
{
  GString *s = g_string_new (NULL);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", p[i]);
  return g_string_free (s, FALSE);
}

/* A new entry of the FDT, for an object of content on the air as sent. */
static Entry *
add_entry (LabDownload *d, guint32 toi, const char *location, GBytes *content, GBytes *sent, const char *type,
           const char *encoding, const char *key_uri)
{
  Entry *e = g_new0 (Entry, 1);

  e->location = g_strdup (location);
  e->key_uri = g_strdup (key_uri);
  /* Content-Length is the file's, Transfer-Length the object's on the air (RFC 6726 3.4.2);
   * Content-MD5 only where they are one and the same (it is open which one it covers) */
  e->md5_of = encoding == NULL && key_uri != NULL ? g_bytes_ref (content) : NULL;
  e->f = (LabFdtFile) { .toi = toi, .content_location = e->location, .content_length = g_bytes_get_size (content),
                        .transfer_length = sent != NULL ? g_bytes_get_size (sent) : 0, .content_type = type,
                        .content_encoding = encoding, .md5_of = e->md5_of, .decryption_key_uri = e->key_uri,
                        .symbol_length = d->o.flute.symbol_length != 0 ? d->o.flute.symbol_length
                                                                        : LAB_FLUTE_DEFAULT_SYMBOL,
                        .max_block_length = LAB_FLUTE_DEFAULT_BLOCK };
  g_ptr_array_add (d->entries, e);
  return e;
}

/* The MIKEY MTK message of a new MTK (6.4.5.3: a TGK, no salt, under the group's MSK); the
 * keys of download protection derived from it (6.5.4) replace the current ones. */
static GBytes *
new_mtk (LabDownload *d)
{
  g_autoptr(GbaSecret) mtk = gba_secret_new_random (16);
  MikeyBuildParams mp = { .csb_id = d->csb_id, .ts_counter = ++d->mtk_ts, .streaming = FALSE, .msk_id = d->msk_id,
                          .mtk_id = d->mtk_id, .key = mtk };
  GBytes *mikey;

  memcpy (mp.domain, d->o.domain, 3);
  mikey = mikey_build_mtk_message (&mp, d->msk, d->rand);
  lab_dcf_keys_clear (&d->keys);
  lab_dcf_keys_derive (mtk, d->csb_id, d->rand, &d->keys);
  if (d->o.dump_directory != NULL)
    {
      g_autofree char *group = g_strdup_printf ("mtk %u", d->mtk_id);
      g_autofree char *mtk_hex = hex_of (gba_secret_get_data (mtk, NULL), 16);
      g_autofree char *auth_hex = hex_of (gba_secret_get_data (d->keys.auth_key, NULL), LAB_DCF_AUTH_KEY_LEN);

      g_key_file_set_string (d->info, group, "mtk", mtk_hex);
      g_key_file_set_string (d->info, group, "auth-key", auth_hex);
      if (d->mtk_id == 1)
        {
          g_autofree char *encr_hex = hex_of (gba_secret_get_data (d->keys.encr_key, NULL), LAB_DCF_ENCR_KEY_LEN);
          g_key_file_set_string (d->info, "keys", "mtk", mtk_hex);
          g_key_file_set_string (d->info, "keys", "encr-key", encr_hex);
          g_key_file_set_string (d->info, "keys", "auth-key", auth_hex);
        }
    }
  return mikey;
}

/* A DCF file of the session under keys (MTK ID mtk_id), on the carousel from now on. */
static void
add_file (LabDownload *d, const FileSpec *spec, const LabDcfKeys *keys, guint16 mtk_id, const char *key_uri)
{
  g_autoptr(GBytes) plain = plaintext_of (spec, d->o.big_mib);
  g_autofree char *cid = g_strdup_printf ("cid:%s@lab.mbmsd.test", spec->location);
  g_autofree char *location = g_strconcat (LAB_BASE_URI, spec->location, NULL);
  LabDcfParams p = { .method = spec->method, .content_type = spec->type, .content_id = cid,
                     .bad_signature = spec->bad_signature, .msk_id = d->msk_id, .mtk_id = mtk_id };
  g_autoptr(GBytes) dcf = NULL;
  g_autoptr(GBytes) sent = NULL;
  guint32 toi = d->next_toi++;

  memcpy (p.key_domain, d->o.domain, 3);
  dcf = lab_dcf_write (&p, keys, plain);
  sent = spec->gzip ? gzip_of (dcf) : g_bytes_ref (dcf);
  add_entry (d, toi, location, dcf, sent, DCF_CONTENT_TYPE, spec->gzip ? "gzip" : NULL, key_uri);
  lab_flute_add_object (d->flute, toi, sent, 0);
  if (d->o.dump_directory != NULL)
    {
      g_autofree char *obj = g_strdup_printf ("%u.dcf", toi);
      g_autofree char *pl = g_strdup_printf ("%u.plain", toi);
      g_autofree char *group = g_strdup_printf ("toi %u", toi);

      dump (d, obj, dcf);
      dump (d, pl, plain);
      g_key_file_set_string (d->info, group, "content-location", location);
      g_key_file_set_integer (d->info, group, "method", spec->method);
      g_key_file_set_boolean (d->info, group, "bad-signature", spec->bad_signature);
      g_key_file_set_string (d->info, group, "content-type", spec->type);
      g_key_file_set_boolean (d->info, group, "gzip", spec->gzip);
      g_key_file_set_integer (d->info, group, "mtk-id", mtk_id);
    }
}

/* The MIKEY object of the current MTK: an object of the FLUTE session with its own TOI and the
 * IANA type (6.3.3.2.1). */
static void
add_mikey (LabDownload *d, guint32 toi, GBytes *mikey, guint from_round)
{
  g_free (d->mikey_uri);
  d->mikey_uri = d->mtk_id == 1 ? g_strconcat (LAB_BASE_URI, "keys/mtk.mikey", NULL)
                                : g_strdup_printf ("%skeys/mtk-%u.mikey", LAB_BASE_URI, d->mtk_id);
  add_entry (d, toi, d->mikey_uri, mikey, NULL, MIKEY_CONTENT_TYPE, NULL, NULL);
  lab_flute_add_object (d->flute, toi, mikey, from_round);
  if (d->o.dump_directory != NULL)
    {
      g_autofree char *name = d->mtk_id == 1 ? g_strdup ("mtk.mikey") : g_strdup_printf ("mtk-%u.mikey", d->mtk_id);
      dump (d, name, mikey);
    }
}

/* A new FDT Instance describing every object so far, integrity protected by a DCF of its own
 * under the current MTK (6.6.3.2); it replaces the one on the air. */
static void
publish_fdt (LabDownload *d)
{
  g_autofree LabFdtFile *described = g_new0 (LabFdtFile, d->entries->len);
  g_autofree char *xml = NULL;
  g_autoptr(GBytes) fdt = NULL;
  g_autoptr(GBytes) fdt_dcf = NULL;
  LabDcfParams p = { .method = LAB_DCF_NULL, .content_type = "text/xml", .content_id = "cid:fdt@lab.mbmsd.test",
                     .msk_id = d->msk_id, .mtk_id = d->mtk_id };

  for (guint i = 0; i < d->entries->len; i++)
    described[i] = ((Entry *) g_ptr_array_index (d->entries, i))->f;
  memcpy (p.key_domain, d->o.domain, 3);
  xml = lab_fdt_instance (described, d->entries->len,
                          (guint64) g_get_real_time () / G_USEC_PER_SEC + LAB_NTP_UNIX_OFFSET + FDT_EXPIRES_S);
  fdt = g_bytes_new (xml, strlen (xml));
  fdt_dcf = lab_dcf_write (&p, &d->keys, fdt);
  lab_flute_set_fdt (d->flute, fdt_dcf, ++d->fdt_instance);
  if (d->o.dump_directory != NULL)
    {
      dump (d, d->fdt_instance == 1 ? "fdt.xml" : "fdt-latest.xml", fdt);
      dump (d, d->fdt_instance == 1 ? "fdt.dcf" : "fdt-latest.dcf", fdt_dcf);
    }
}

static void
dump_info (LabDownload *d)
{
  g_autofree char *ini = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (d->o.dump_directory == NULL)
    return;
  g_key_file_set_integer (d->info, "session", "mtk-id", d->mtk_id);
  g_key_file_set_integer (d->info, "session", "fdt-instance", d->fdt_instance);
  ini = g_key_file_to_data (d->info, NULL, NULL);
  bytes = g_bytes_new (ini, strlen (ini));
  dump (d, "session.ini", bytes);
}

LabDownload *
lab_download_new (LabBmsc *bmsc, const LabDownloadOptions *options, GError **error)
{
  g_autoptr(LabDownload) d = g_new0 (LabDownload, 1);
  g_autoptr(GBytes) mikey = NULL;

  d->o = *options;
  d->o.address = g_strdup (options->address);
  d->o.service_id = g_strdup (options->service_id);
  d->o.dump_directory = g_strdup (options->dump_directory);
  d->o.usd_directory = g_strdup (options->usd_directory);
  d->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  d->info = g_key_file_new ();
  if (d->o.address == NULL || d->o.port == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "lab download: no destination address:port");
      return NULL;
    }
  d->msk = lab_bmsc_current_msk (bmsc, d->o.domain, d->o.key_group, &d->msk_id, &d->rand);
  if (d->msk == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "lab download: the BM-SC has no key group %u (a [bmsc-service] with key-group=%u)",
                   d->o.key_group, d->o.key_group);
      return NULL;
    }
  d->flute = lab_flute_new (d->o.address, d->o.port, d->o.tsi, lab_bmsc_get_multicast_interface (bmsc), &d->o.flute,
                            error);
  if (d->flute == NULL)
    return NULL;

  d->csb_id = g_random_int ();
  d->mtk_id = 1;
  mikey = new_mtk (d);
  d->first_keys = (LabDcfKeys) { gba_secret_ref (d->keys.encr_key), gba_secret_ref (d->keys.auth_key) };
  d->next_toi = TOI_MIKEY + 1;
  {
    g_autofree char *mikey_uri = g_strconcat (LAB_BASE_URI, "keys/mtk.mikey", NULL);
    for (guint i = 0; i < G_N_ELEMENTS (files); i++)
      add_file (d, &files[i], &d->keys, d->mtk_id, mikey_uri);
  }
  /* the MIKEY object after the files of the first round: files wait for it (held) */
  add_mikey (d, TOI_MIKEY, mikey, d->o.mikey_from_round);
  g_ptr_array_insert (d->entries, 0, g_ptr_array_steal_index (d->entries, d->entries->len - 1)); /* listed first */
  publish_fdt (d);

  if (d->o.dump_directory != NULL)
    {
      g_autofree char *rand_hex = hex_of (g_bytes_get_data (d->rand, NULL), g_bytes_get_size (d->rand));
      g_autofree char *domain_hex = hex_of (d->o.domain, 3);

      g_key_file_set_uint64 (d->info, "keys", "csb-id", d->csb_id);
      g_key_file_set_string (d->info, "keys", "rand", rand_hex);
      g_key_file_set_string (d->info, "keys", "key-domain", domain_hex);
      g_key_file_set_uint64 (d->info, "keys", "msk-id", d->msk_id);
      g_key_file_set_integer (d->info, "keys", "mtk-id", 1);
      g_key_file_set_uint64 (d->info, "session", "tsi", d->o.tsi);
      g_key_file_set_string (d->info, "session", "mikey-location", d->mikey_uri);
      dump_info (d);
    }
  g_message ("lab download: TSI %u to %s:%u, MSK ID %08x, MTK ID %u, %u files", d->o.tsi, d->o.address, d->o.port,
             d->msk_id, d->mtk_id, (guint) G_N_ELEMENTS (files));
  return g_steal_pointer (&d);
}

gboolean
lab_download_change_mtk (LabDownload *d, GError **error)
{
  static const FileSpec stale = { "news/stale.txt", "text/plain", LAB_DCF_AES_128_CBC, FALSE, FALSE, FALSE };
  g_autoptr(GBytes) mikey = NULL;
  g_autofree char *location = NULL;
  FileSpec after;

  if (d->mtk_id >= LAB_MAX_MTK_ID)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "lab download: MTK ID %u is the last one", d->mtk_id);
      return FALSE;
    }
  /* 6.3.3.1: the next MTK ID is greater than the one before */
  d->mtk_id++;
  mikey = new_mtk (d);
  add_mikey (d, d->next_toi++, mikey, 0);
  location = g_strdup_printf ("news/under-mtk-%u.txt", d->mtk_id);
  after = (FileSpec) { location, "text/plain", d->mtk_id % 2 ? LAB_DCF_AES_128_CBC : LAB_DCF_AES_128_CTR,
                       FALSE, FALSE, FALSE };
  add_file (d, &after, &d->keys, d->mtk_id, d->mikey_uri);
  /* after two changes the ME keeps MTK IDs n and n-1 only (6.5.4), and MGV-F takes no MTK at or
   * below the current one (6.4.6.2 step 3): a file still under MTK ID 1 must be refused */
  if (d->mtk_id == 3)
    {
      g_autofree char *first_uri = g_strconcat (LAB_BASE_URI, "keys/mtk.mikey", NULL);
      add_file (d, &stale, &d->first_keys, 1, first_uri);
    }
  publish_fdt (d);
  dump_info (d);
  g_message ("lab download: TSI %u: MTK ID %u taken into use (MIKEY object and FDT Instance %u)", d->o.tsi,
             d->mtk_id, d->fdt_instance);
  return TRUE;
}

void
lab_download_free (LabDownload *d)
{
  if (d == NULL)
    return;
  g_clear_pointer (&d->flute, lab_flute_free);
  lab_dcf_keys_clear (&d->keys);
  lab_dcf_keys_clear (&d->first_keys);
  g_clear_pointer (&d->msk, gba_secret_unref);
  g_clear_pointer (&d->rand, g_bytes_unref);
  g_clear_pointer (&d->entries, g_ptr_array_unref);
  g_clear_pointer (&d->info, g_key_file_unref);
  g_free (d->mikey_uri);
  lab_download_options_clear (&d->o);
  g_free (d);
}

static gboolean
write_text (const char *dir, const char *name, const char *text, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return g_file_set_contents (path, text, -1, error);
}

gboolean
lab_download_write_usd (LabDownload *d, const char *bmsc_uri, GError **error)
{
  g_autofree char *base = g_path_get_basename (d->o.service_id);
  g_autofree char *stem = g_strdelimit (g_strdup (strrchr (d->o.service_id, ':') != NULL
                                                    ? strrchr (d->o.service_id, ':') + 1 : base), "/\\", '-');
  g_autofree char *bundle_name = g_strconcat (stem, ".usd.xml", NULL);
  g_autofree char *sdp_name = g_strconcat (stem, ".sdp", NULL);
  g_autofree char *prot_name = g_strconcat (stem, ".protection.xml", NULL);
  g_autofree char *uri = g_strdup (bmsc_uri);
  guint8 msk_id[4] = { d->o.key_group >> 8, d->o.key_group & 0xff, 0, 0 };
  g_autofree char *msk_b64 = g_base64_encode (msk_id, 4);
  g_autofree char *domain_b64 = g_base64_encode (d->o.domain, 3);
  g_autofree char *bundle = NULL;
  g_autofree char *sdp = NULL;
  g_autofree char *prot = NULL;
  gboolean ipv6 = strchr (d->o.address, ':') != NULL;
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (d->o.address);

  if (d->o.usd_directory == NULL)
    return TRUE;
  if (g_str_has_suffix (uri, "/"))
    uri[strlen (uri) - 1] = '\0';
  if (g_mkdir_with_parents (d->o.usd_directory, 0755) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make %s", d->o.usd_directory);
      return FALSE;
    }
  /* TS 26.346 11.2: a download delivery method with its session and protection descriptions */
  bundle = g_strdup_printf (
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<bundleDescription xmlns=\"urn:3GPP:metadata:2005:MBMS:userServiceDescription\">\n"
    "  <userServiceDescription serviceId=\"%s\">\n"
    "    <name lang=\"en\">Lab protected download</name>\n"
    "    <deliveryMethod sessionDescriptionURI=\"%s\" protectionDescriptionURI=\"%s\"/>\n"
    "  </userServiceDescription>\n"
    "</bundleDescription>\n", d->o.service_id, sdp_name, prot_name);
  /* TS 26.346 7.3: FLUTE/UDP, the TSI in a=flute-tsi; TTL on an IPv4 multicast c= line (RFC 4566) */
  sdp = g_strdup_printf ("v=0\n"
                         "o=bmsc %u 1 IN %s 127.0.0.1\n"
                         "s=Lab protected download\n"
                         "c=IN %s %s%s\n"
                         "t=0 0\n"
                         "a=flute-tsi:%u\n"
                         "m=application %u FLUTE/UDP 0\n",
                         d->o.tsi, "IP4", ipv6 ? "IP6" : "IP4", d->o.address,
                         !ipv6 && addr != NULL && g_inet_address_get_is_multicast (addr) ? "/1" : "", d->o.tsi,
                         d->o.port);
  /* TS 26.346 11.3: the flow's MSK (key group, key number 0) */
  prot = g_strdup_printf (
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<securityDescription xmlns=\"urn:3GPP:metadata:2005:MBMS:securityDescription\">\n"
    "  <keyManagement uiccKeyManagement=\"false\">\n"
    "    <serverURI>%s</serverURI>\n"
    "  </keyManagement>\n"
    "  <keyId>\n"
    "    <mediaFlow flowID=\"%s/%u\">\n"
    "      <MSK><keyDomainID>%s</keyDomainID><MSKID>%s</MSKID></MSK>\n"
    "    </mediaFlow>\n"
    "  </keyId>\n"
    "</securityDescription>\n", uri, d->o.address, d->o.port, domain_b64, msk_b64);
  return write_text (d->o.usd_directory, sdp_name, sdp, error)
         && write_text (d->o.usd_directory, prot_name, prot, error)
         && write_text (d->o.usd_directory, bundle_name, bundle, error);
}

void
lab_download_start (LabDownload *d)
{
  lab_flute_start (d->flute, NULL, NULL);
}

LabFlute *
lab_download_get_flute (LabDownload *d)
{
  return d->flute;
}
