/* GBA_ME bootstrapping over loopback against the lab BSF (TS 24.109 clause 4): success with
 * equal MRKs on both sides, resynchronisation, network authentication failure, BSF errors,
 * timeouts, malformed XML, bad rspauth, lifetime; and no key bytes in the debug log. */
#include "gba.h"
#include "lab-bsf.h"
#include "test-util.h"

#include <string.h>

#define IMSI "001010123456789"
#define IMPI IMSI "@ims.mnc001.mcc001.3gppnetwork.org"
#define BMSC "bmsc.lab.mbmsd.test"
/* TS 35.208 set 1 */
#define K_SET1   "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OPC_SET1 "cd63cb71954a9f4e48a5994e37a02baf"

typedef struct {
  char        *tmpdir;
  LabBsf      *bsf;
  SoupServer  *server;
  char        *bsf_uri;
  GbaUicc     *uicc;
  GPtrArray   *log;      /* every log line written during the test */
  GDateTime   *clock;    /* NULL = real time */
} Fixture;

/* Every log line of the process, whatever its level, for the current test (the writer can be
 * set only once per process). */
static GPtrArray *captured_log;
static GMutex captured_lock; /* the USIM logs from its worker thread */

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  g_mutex_lock (&captured_lock);
  for (gsize i = 0; i < n_fields && captured_log != NULL; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
      g_ptr_array_add (captured_log, g_strdup (fields[i].value));
  g_mutex_unlock (&captured_lock);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return g_log_writer_default (level, fields, n_fields, NULL);
  return G_LOG_WRITER_HANDLED;
}

static GbaUicc *
make_usim (Fixture *fx, const char *k_hex)
{
  GbaUiccSoftParams p = { .imsi = IMSI, .iccid = "8988211000000000001", .mnc_len = 2 };
  g_autofree char *sqn_path = g_build_filename (fx->tmpdir, "usim.sqn", NULL);
  g_autoptr(GError) error = NULL;
  GbaUicc *uicc;

  test_hex_to (k_hex, p.k, 16);
  test_hex_to (OPC_SET1, p.opc, 16);
  test_hex_to ("8000", p.amf, 2);
  p.sqn_path = sqn_path;
  uicc = gba_uicc_soft_new (&p, &error);
  g_assert_no_error (error);
  return uicc;
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  GSList *uris;

  fx->log = g_ptr_array_new_with_free_func (g_free);
  g_mutex_lock (&captured_lock);
  captured_log = fx->log;
  g_mutex_unlock (&captured_lock);
  fx->tmpdir = test_tmpdir_new ();
  g_key_file_set_string (kf, "bsf", "host", "bsf.lab.mbmsd.test");
  g_key_file_set_string (kf, "subscriber " IMPI, "k", K_SET1);
  g_key_file_set_string (kf, "subscriber " IMPI, "opc", OPC_SET1);
  g_key_file_set_string (kf, "subscriber " IMPI, "amf", "8000");
  fx->bsf = lab_bsf_new_from_key_file (kf, &error);
  g_assert_no_error (error);
  fx->server = soup_server_new (NULL, NULL);
  lab_bsf_attach (fx->bsf, fx->server);
  soup_server_listen_local (fx->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fx->server);
  fx->bsf_uri = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  fx->uicc = make_usim (fx, K_SET1);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  g_clear_object (&fx->uicc);
  g_clear_object (&fx->server);
  lab_bsf_free (fx->bsf);
  g_free (fx->bsf_uri);
  test_tmpdir_remove (fx->tmpdir);
  g_free (fx->tmpdir);
  g_clear_pointer (&fx->clock, g_date_time_unref);
  g_mutex_lock (&captured_lock);
  captured_log = NULL;
  g_mutex_unlock (&captured_lock);
  g_ptr_array_unref (fx->log);
}

static GDateTime *
fixture_clock (gpointer user_data)
{
  Fixture *fx = user_data;

  return fx->clock != NULL ? g_date_time_ref (fx->clock) : g_date_time_new_now_utc ();
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs one bootstrap to completion on the default main context, with a 20 s deadline. */
static GbaContext *
run_bootstrap (Fixture *fx, guint timeout_s, GError **error)
{
  g_autoptr(GbaBootstrapper) b = gba_bootstrapper_new (fx->uicc, fx->bsf_uri, timeout_s);
  g_autoptr(GAsyncResult) result = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  gba_bootstrapper_set_clock (b, fixture_clock, fx);
  gba_bootstrapper_run_async (b, NULL, on_done, &result);
  while (result == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (result);
  return gba_bootstrapper_run_finish (b, result, error);
}

static void
test_success_equal_mrk (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) ctx = run_bootstrap (fx, 10, &error);
  g_autoptr(GbaMbmsKeys) ue = NULL;
  g_autoptr(GBytes) naf_id = gba_naf_id_new (BMSC, GBA_UA_PROTOCOL_MBMS);
  g_autoptr(GbaSecret) bsf_ks_naf = NULL;
  g_autoptr(GbaSecret) bsf_mrk = NULL;
  g_autofree char *impi = NULL;
  g_autofree char *rand_b64 = NULL;
  g_autofree char *expected_btid = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  GTimeSpan left;

  g_assert_no_error (error);
  g_assert_nonnull (ctx);
  /* B-TID = base64(RAND)@BSF name, TS 33.220 4.5.2 */
  rand_b64 = g_base64_encode (ctx->rand, sizeof ctx->rand);
  expected_btid = g_strdup_printf ("%s@bsf.lab.mbmsd.test", rand_b64);
  g_assert_cmpstr (ctx->btid, ==, expected_btid);
  g_assert_cmpstr (ctx->impi, ==, IMPI);
  g_assert_cmpuint (gba_secret_get_size (ctx->ks), ==, 32);
  left = g_date_time_difference (ctx->lifetime, now);
  g_assert_cmpint (left, >, 3500 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (left, <=, 3601 * G_TIME_SPAN_SECOND);

  ue = gba_context_derive_mbms_keys (ctx, BMSC, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ue->muk_idr, ==, ctx->btid);
  g_assert_cmpstr (ue->muk_idi, ==, BMSC);

  /* the network side, through the Zn stand-in */
  bsf_ks_naf = lab_bsf_naf_key (fx->bsf, ctx->btid, naf_id, GBA_NAF_KEY_ME, &impi, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (impi, ==, IMPI);
  bsf_mrk = gba_derive_mrk (bsf_ks_naf, &error);
  g_assert_no_error (error);
  g_assert_true (gba_secret_equal (ue->muk, bsf_ks_naf));
  g_assert_true (gba_secret_equal (ue->mrk, bsf_mrk));
  g_assert_false (gba_secret_equal (ue->mrk, ue->muk));
}

/* TS 24.109 4.5: the USIM sees an old SQN, answers AUTS, the BSF resynchronises. */
static void
test_sync_failure_then_success (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) first = run_bootstrap (fx, 10, &error);
  g_autoptr(GbaContext) second = NULL;
  guint64 sqn_ms;

  g_assert_no_error (error);
  sqn_ms = gba_uicc_soft_get_sqn_ms (GBA_UICC_SOFT (fx->uicc));
  g_assert_cmpuint (sqn_ms, ==, lab_bsf_get_sqn (fx->bsf, IMPI));
  /* the HSS falls behind: its next challenge reuses an SQN the USIM has seen */
  lab_bsf_set_sqn (fx->bsf, IMPI, sqn_ms - 64);
  second = run_bootstrap (fx, 10, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
  g_assert_cmpstr (second->btid, !=, first->btid);
  g_assert_cmpuint (gba_uicc_soft_get_sqn_ms (GBA_UICC_SOFT (fx->uicc)), >, sqn_ms);
  g_assert_cmpuint (lab_bsf_count_btids (fx->bsf), ==, 2);
}

/* TS 24.109 4.4: a USIM with another K sees a MAC failure; nothing is stored anywhere. */
static void
test_wrong_k_network_auth_failure (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) ctx = NULL;

  g_clear_object (&fx->uicc);
  fx->uicc = make_usim (fx, "00112233445566778899aabbccddeeff");
  ctx = run_bootstrap (fx, 10, &error);
  g_assert_null (ctx);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_NETWORK_AUTH);
  g_assert_cmpuint (gba_uicc_soft_get_sqn_ms (GBA_UICC_SOFT (fx->uicc)), ==, 0);
  g_assert_cmpuint (lab_bsf_count_btids (fx->bsf), ==, 0);
}

static void
test_corrupted_autn (Fixture *fx, gconstpointer data)
{
  LabBsfFaults faults = { .bad_autn = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) ctx = NULL;

  lab_bsf_set_faults (fx->bsf, &faults);
  ctx = run_bootstrap (fx, 10, &error);
  g_assert_null (ctx);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_NETWORK_AUTH);
  g_assert_cmpuint (gba_uicc_soft_get_sqn_ms (GBA_UICC_SOFT (fx->uicc)), ==, 0);
}

static void
test_bsf_error_status (Fixture *fx, gconstpointer data)
{
  LabBsfFaults faults = { .fail_status = 500 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) ctx = NULL;

  lab_bsf_set_faults (fx->bsf, &faults);
  ctx = run_bootstrap (fx, 10, &error);
  g_assert_null (ctx);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "500"));
}

static void
test_bsf_timeout (Fixture *fx, gconstpointer data)
{
  LabBsfFaults faults = { .delay_ms = 2500 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) ctx = NULL;

  lab_bsf_set_faults (fx->bsf, &faults);
  ctx = run_bootstrap (fx, 1, &error);
  g_assert_null (ctx);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_TIMEOUT);
}

static void
test_garbage_xml (Fixture *fx, gconstpointer data)
{
  LabBsfFaults faults = { .garbage_xml = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) ctx = NULL;

  lab_bsf_set_faults (fx->bsf, &faults);
  ctx = run_bootstrap (fx, 10, &error);
  g_assert_null (ctx);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_PARSE);
}

static void
test_bad_rspauth (Fixture *fx, gconstpointer data)
{
  LabBsfFaults faults = { .bad_rspauth = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) ctx = NULL;

  lab_bsf_set_faults (fx->bsf, &faults);
  ctx = run_bootstrap (fx, 10, &error);
  g_assert_null (ctx);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_RSPAUTH);
}

static void
test_unknown_impi (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) ctx = NULL;
  GbaUiccSoftParams p = { .imsi = "001010000000042", .iccid = "8988211000000000002", .mnc_len = 2 };

  test_hex_to (K_SET1, p.k, 16);
  test_hex_to (OPC_SET1, p.opc, 16);
  test_hex_to ("8000", p.amf, 2);
  g_clear_object (&fx->uicc);
  fx->uicc = gba_uicc_soft_new (&p, &error);
  g_assert_no_error (error);
  ctx = run_bootstrap (fx, 10, &error);
  g_assert_null (ctx);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_USER_AUTH);
}

static void
test_unreachable_bsf (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) ctx = NULL;

  g_clear_object (&fx->server); /* nobody listens on the port any more */
  ctx = run_bootstrap (fx, 5, &error);
  g_assert_null (ctx);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_SERVER);
}

/* The key lifetime follows the BSF's duration even when the UE clock is off, expires,
 * and a new run gives a fresh B-TID. */
static void
test_lifetime_and_rebootstrap (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) first = NULL;
  g_autoptr(GbaContext) second = NULL;
  g_autoptr(GDateTime) skewed = g_date_time_new_utc (2030, 1, 1, 0, 0, 0);
  g_autoptr(GDateTime) before_end = g_date_time_add_seconds (skewed, 3590);
  g_autoptr(GDateTime) after_end = g_date_time_add_seconds (skewed, 3610);

  fx->clock = g_date_time_ref (skewed);
  first = run_bootstrap (fx, 10, &error);
  g_assert_no_error (error);
  g_assert_true (gba_context_is_valid_at (first, skewed));
  g_assert_true (gba_context_is_valid_at (first, before_end));
  g_assert_false (gba_context_is_valid_at (first, after_end));

  second = run_bootstrap (fx, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second->btid, !=, first->btid);
}

static void
test_zero_lifetime_rejected (Fixture *fx, gconstpointer data)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) ctx = NULL;

  g_key_file_set_string (kf, "bsf", "lifetime-seconds", "0");
  g_key_file_set_string (kf, "subscriber " IMPI, "k", K_SET1);
  g_key_file_set_string (kf, "subscriber " IMPI, "opc", OPC_SET1);
  g_key_file_set_string (kf, "subscriber " IMPI, "amf", "8000");
  g_clear_object (&fx->server);
  lab_bsf_free (fx->bsf);
  fx->bsf = lab_bsf_new_from_key_file (kf, &error);
  g_assert_no_error (error);
  fx->server = soup_server_new (NULL, NULL);
  lab_bsf_attach (fx->bsf, fx->server);
  {
    GSList *uris;
    soup_server_listen_local (fx->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
    g_assert_no_error (error);
    uris = soup_server_get_uris (fx->server);
    g_free (fx->bsf_uri);
    fx->bsf_uri = g_uri_to_string (uris->data);
    g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  }
  ctx = run_bootstrap (fx, 10, &error);
  g_assert_null (ctx);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_EXPIRED);
}

static void
assert_not_logged (Fixture *fx, const guint8 *data, gsize len, const char *what)
{
  g_autofree char *hex = test_hex_encode (data, len);
  g_autofree char *hex_upper = g_ascii_strup (hex, -1);
  g_autofree char *b64 = g_base64_encode (data, len);
  /* a shorter, unpadded base64 prefix still identifies the key */
  g_autofree char *b64_part = g_strndup (b64, 16);

  for (guint i = 0; i < fx->log->len; i++)
    {
      const char *line = g_ptr_array_index (fx->log, i);
      if (strstr (line, hex) || strstr (line, hex_upper) || strstr (line, b64_part))
        g_error ("%s appears in the log: %s", what, line);
    }
}

/* Debug level everywhere (G_MESSAGES_DEBUG=all in the test env): IDs only, never key bytes. */
static void
test_no_key_bytes_in_logs (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaContext) ctx = run_bootstrap (fx, 10, &error);
  g_autoptr(GbaMbmsKeys) keys = NULL;

  g_assert_no_error (error);
  keys = gba_context_derive_mbms_keys (ctx, BMSC, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fx->log->len, >, 3); /* the trace really was captured */
  assert_not_logged (fx, gba_secret_get_data (ctx->ks, NULL), 32, "Ks");
  assert_not_logged (fx, gba_secret_get_data (ctx->ks, NULL), 16, "CK");
  assert_not_logged (fx, gba_secret_get_data (ctx->ks, NULL) + 16, 16, "IK");
  assert_not_logged (fx, gba_secret_get_data (keys->muk, NULL), 32, "MUK");
  assert_not_logged (fx, gba_secret_get_data (keys->mrk, NULL), 32, "MRK");
  {
    g_autofree char *mrk_b64 = g_base64_encode (gba_secret_get_data (keys->mrk, NULL), 32);
    for (guint i = 0; i < fx->log->len; i++)
      g_assert_null (strstr (g_ptr_array_index (fx->log, i), mrk_b64));
  }
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_log_set_writer_func (capture_writer, NULL, NULL);
#define ADD(path, fn) g_test_add ("/gba/bootstrap/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("success-ue-and-bsf-derive-equal-mrk", test_success_equal_mrk);
  ADD ("sync-failure-auts-then-success", test_sync_failure_then_success);
  ADD ("wrong-k-network-auth-failure-nothing-stored", test_wrong_k_network_auth_failure);
  ADD ("corrupted-autn-network-auth-failure", test_corrupted_autn);
  ADD ("bsf-500-clear-error", test_bsf_error_status);
  ADD ("bsf-timeout-clear-error", test_bsf_timeout);
  ADD ("garbage-xml-clear-error", test_garbage_xml);
  ADD ("bad-rspauth-rejected", test_bad_rspauth);
  ADD ("unknown-impi-user-auth-error", test_unknown_impi);
  ADD ("unreachable-bsf", test_unreachable_bsf);
  ADD ("lifetime-expiry-and-rebootstrap", test_lifetime_and_rebootstrap);
  ADD ("lifetime-already-past-rejected", test_zero_lifetime_rejected);
  ADD ("debug-log-carries-no-key-bytes", test_no_key_bytes_in_logs);
#undef ADD
  return g_test_run ();
}
