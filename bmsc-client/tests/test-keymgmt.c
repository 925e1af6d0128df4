/* Key management over loopback against the lab BSF and BM-SC (TS 33.246 6.3.2, Annex G):
 * register -> MSK pushed, accepted by MGV-F and acknowledged -> deregister; each row of table
 * G.2.4 the UE must handle; renegotiation; back-off and Retry-After on an injected clock; a
 * tampered response refused; two services of which one is refused. */
#include "keymgmt-fixture.h"
#include "test-util.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>


static void
test_register_push_ack_deregister (Fx *fx, gconstpointer d)
{
  const char *ids[] = { NEWS, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) reg = register_services (fx, ids, FALSE, &error);
  g_autoptr(MbmsKeymgmtResult) again = NULL;
  g_autoptr(MbmsKeymgmtResult) dereg = NULL;
  g_autoptr(GArray) msks = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (reg->bootstraps, ==, 1);
  g_assert_cmpuint (item_status (reg, NEWS), ==, 200);
  g_assert_cmpuint (lab_bmsc_registered (fx->bmsc), ==, 1);
  /* the MUK was in MGV-S before the BM-SC took the registration (and pushed): issue 12 item 6 */
  g_assert_cmpuint (fx->muk_ready, ==, 1);
  g_assert_cmpuint (fx->registered_at_muk, ==, 0);
  /* the BM-SC pushes the MSK of the service's key group; MGV-F takes it and acknowledges */
  g_assert_cmpint (receive_msk (fx), ==, MGV_MSK_STORED);
  wait_for_acks (fx, 1);
  msks = mgv_store_list_msks (fx->store);
  g_assert_cmpuint (msks->len, ==, 1);
  g_assert_cmpuint (MGV_MSK_KEY_GROUP (g_array_index (msks, MgvMskInfo, 0).msk_id), ==, 1);
  /* the bootstrapped context is reused */
  again = register_services (fx, ids, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->bootstraps, ==, 0);
  g_assert_cmpint (receive_msk (fx), ==, MGV_MSK_STORED);
  dereg = register_services (fx, ids, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (item_status (dereg, NEWS), ==, 200);
  g_assert_cmpuint (lab_bmsc_registered (fx->bmsc), ==, 0);
}

/* 6.3.3.2.2: MTK messages on a schedule; MGV-F takes each under the pushed MSK. */
static void
test_mtk_stream_after_registration (Fx *fx, gconstpointer d)
{
  const char *ids[] = { NEWS, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) reg = register_services (fx, ids, FALSE, &error);
  g_autoptr(GSocketAddress) ue = g_socket_get_local_address (fx->ue_socket, NULL);
  guint16 last_id = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (item_status (reg, NEWS), ==, 200);
  g_assert_cmpint (receive_msk (fx), ==, MGV_MSK_STORED);
  lab_bmsc_start_mtk_stream (fx->bmsc, DOMAIN, 1, "127.0.0.1",
                             g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (ue)), 20);
  for (guint i = 0; i < 3; i++)
    {
      guint8 buf[2048];
      gssize n;
      g_autoptr(GBytes) msg = NULL;
      g_autoptr(MgvMtk) mtk = NULL;
      g_autoptr(GbaSecret) sent = NULL;
      g_autoptr(GbaSecret) sent_salt = NULL;
      guint16 sent_id = 0;

      /* the stream's timer runs on this main context: let it fire, then read */
      while (!g_socket_condition_check (fx->ue_socket, G_IO_IN))
        g_main_context_iteration (NULL, TRUE);
      n = g_socket_receive (fx->ue_socket, (char *) buf, sizeof buf, NULL, &error);
      g_assert_no_error (error);
      msg = g_bytes_new (buf, (gsize) n);
      mtk = mgv_process_mtk (fx->store, "news-video", msg, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (mtk->mtk_id, >, last_id);
      last_id = mtk->mtk_id;
      sent = lab_bmsc_current_mtk (fx->bmsc, DOMAIN, 1, &sent_id, &sent_salt);
      if (sent_id == mtk->mtk_id)
        {
          g_assert_true (gba_secret_equal (sent, mtk->mtk));
          g_assert_true (gba_secret_equal (sent_salt, mtk->salt));
        }
    }
  g_assert_cmpuint (lab_bmsc_mtk_messages (fx->bmsc), >=, 3);
}

/* 6.3.2.4: two services, one refused; the answer lists both. */
static void
test_two_services_one_refused (Fx *fx, gconstpointer d)
{
  const char *ids[] = { NEWS, FILM, NULL };
  LabBmscFaults faults = { .forbid_service = (char *) FILM };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) r = NULL;

  lab_bmsc_set_faults (fx->bmsc, &faults);
  r = register_services (fx, ids, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->items->len, ==, 2);
  g_assert_cmpuint (item_status (r, NEWS), ==, 200);
  g_assert_cmpuint (item_status (r, FILM), ==, 403);
  g_assert_cmpuint (lab_bmsc_pushes (fx->bmsc), ==, 1);
}

static void
on_request_done (GObject *source, GAsyncResult *res, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (res);
}

static void
count_bootstrapped (MbmsKeymgmt *km, gpointer context, gpointer data)
{
  (*(guint *) data)++;
}

/* Requests made while there is no context (many services at start, or recovering at once)
 * share one GBA run instead of each asking the BSF; a request that is cancelled while it
 * waits does not take the run of the others with it. */
static void
test_concurrent_requests_share_one_bootstrap (Fx *fx, gconstpointer d)
{
  const char *news[] = { NEWS, NULL }, *film[] = { FILM, NULL };
  g_autoptr(GBytes) news_body = mbms_keymgmt_build_register (news, FALSE);
  g_autoptr(GBytes) film_body = mbms_keymgmt_build_register (film, FALSE);
  g_autoptr(GCancellable) gone = g_cancellable_new ();
  g_autoptr(GAsyncResult) first = NULL, second = NULL, third = NULL;
  g_autoptr(MbmsKeymgmtResult) r1 = NULL, r2 = NULL, r3 = NULL;
  g_autoptr(GError) error = NULL;
  guint bootstrapped = 0;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_signal_connect (fx->km, "bootstrapped", G_CALLBACK (count_bootstrapped), &bootstrapped);
  /* the first in line is cancelled before its GBA run ends */
  mbms_keymgmt_request_async (fx->km, fx->bmsc_uri, MBMS_KEYMGMT_REGISTER, news_body, 0, 0, gone, on_request_done,
                              &first);
  mbms_keymgmt_request_async (fx->km, fx->bmsc_uri, MBMS_KEYMGMT_REGISTER, news_body, 0, 0, NULL, on_request_done,
                              &second);
  mbms_keymgmt_request_async (fx->km, fx->bmsc_uri, MBMS_KEYMGMT_REGISTER, film_body, 0, 0, NULL, on_request_done,
                              &third);
  g_cancellable_cancel (gone);
  while ((first == NULL || second == NULL || third == NULL) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (first);
  g_assert_nonnull (second);
  g_assert_nonnull (third);
  r1 = mbms_keymgmt_request_finish (fx->km, first, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (r1);
  g_clear_error (&error);
  r2 = mbms_keymgmt_request_finish (fx->km, second, &error);
  g_assert_no_error (error);
  r3 = mbms_keymgmt_request_finish (fx->km, third, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (item_status (r2, NEWS), ==, 200);
  g_assert_cmpuint (item_status (r3, FILM), ==, 200);
  g_assert_cmpuint (bootstrapped, ==, 1);
  g_assert_cmpuint (r2->bootstraps + r3->bootstraps, ==, 1); /* counted once, by the request that ran it */
}

/* G.2.4: codes the UE must not repeat end the procedure with the code surfaced. */
static void
test_g24_not_repeated (Fx *fx, gconstpointer d)
{
  const guint codes[] = { 400, 402, 403, 404, 405, 500, 501, 502, 504, 505 };
  const char *ids[] = { NEWS, NULL };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      LabBmscFaults faults = { .fail_status = codes[i] };
      g_autoptr(GError) error = NULL;
      g_autoptr(MbmsKeymgmtResult) r = NULL;
      guint before = lab_bmsc_requests (fx->bmsc);

      lab_bmsc_set_faults (fx->bmsc, &faults);
      r = register_services (fx, ids, FALSE, &error);
      g_assert_null (r);
      g_assert_error (error, MBMS_KEYMGMT_ERROR, (gint) codes[i]);
      /* challenge + one authenticated attempt, and nothing more */
      g_assert_cmpuint (lab_bmsc_requests (fx->bmsc) - before, ==, 2);
    }
}

/* G.2.4: 503 is repeated after Retry-After, on the injected clock. */
static void
test_g24_503_retry_after (Fx *fx, gconstpointer d)
{
  const char *ids[] = { NEWS, NULL };
  LabBmscFaults faults = { .unavailable_times = 2, .retry_after_s = 7 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) r = NULL;

  lab_bmsc_set_faults (fx->bmsc, &faults);
  r = register_services (fx, ids, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->retries_503, ==, 2);
  g_assert_cmpuint (fx->clock.delays->len, ==, 2);
  g_assert_cmpuint (g_array_index (fx->clock.delays, guint, 0), ==, 7000);
  g_assert_cmpuint (g_array_index (fx->clock.delays, guint, 1), ==, 7000);
  g_assert_cmpuint (item_status (r, NEWS), ==, 200);
}

static void
test_g24_503_gives_up (Fx *fx, gconstpointer d)
{
  const char *ids[] = { NEWS, NULL };
  LabBmscFaults faults = { .unavailable_times = 10, .retry_after_s = 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) r = NULL;

  lab_bmsc_set_faults (fx->bmsc, &faults);
  r = register_services (fx, ids, FALSE, &error);
  g_assert_error (error, MBMS_KEYMGMT_ERROR, 503);
  g_assert_cmpuint (fx->clock.delays->len, ==, 3);
}

/* G.2.4 401 / TS 24.109 5.2.5: the BM-SC refuses our B-TID; GBA runs again, then success. */
static void
test_g24_401_renegotiation (Fx *fx, gconstpointer d)
{
  const char *ids[] = { NEWS, NULL };
  LabBmscFaults faults = { .renegotiate_once = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) r = NULL;

  lab_bmsc_set_faults (fx->bmsc, &faults);
  r = register_services (fx, ids, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->bootstraps, ==, 2);
  g_assert_cmpuint (item_status (r, NEWS), ==, 200);
  /* the MSK comes under the MUK of the new B-TID */
  g_assert_cmpint (receive_msk (fx), ==, MGV_MSK_STORED);
}

static void
test_tampered_response_rejected (Fx *fx, gconstpointer d)
{
  const char *ids[] = { NEWS, NULL };
  LabBmscFaults faults = { .bad_rspauth = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) r = NULL;

  lab_bmsc_set_faults (fx->bmsc, &faults);
  r = register_services (fx, ids, FALSE, &error);
  g_assert_null (r);
  g_assert_error (error, MBMS_KEYMGMT_ERROR, MBMS_KEYMGMT_ERROR_RSPAUTH);
}

static void
test_unauthenticated_200_rejected (Fx *fx, gconstpointer d)
{
  const char *ids[] = { NEWS, NULL };
  LabBmscFaults faults = { .no_challenge = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) r = NULL;

  lab_bmsc_set_faults (fx->bmsc, &faults);
  r = register_services (fx, ids, FALSE, &error);
  g_assert_null (r);
  g_assert_error (error, MBMS_KEYMGMT_ERROR, MBMS_KEYMGMT_ERROR_RSPAUTH);
}

static void
test_realm_must_name_the_server (Fx *fx, gconstpointer d)
{
  const char *ids[] = { NEWS, NULL };
  g_autoptr(GBytes) body = mbms_keymgmt_build_register (ids, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *other = g_strdup_printf ("http://localhost:%s", strrchr (fx->bmsc_uri, ':') + 1);
  g_autoptr(MbmsKeymgmtResult) r = request (fx, other, MBMS_KEYMGMT_REGISTER, body, 0, 0, &error);

  g_assert_null (r);
  g_assert_error (error, MBMS_KEYMGMT_ERROR, MBMS_KEYMGMT_ERROR_REALM);
}

/* MSK request with back-off (6.3.2.2.1): offset + random * period before sending. */
static void
test_msk_request_backoff (Fx *fx, gconstpointer d)
{
  const char *ids[] = { NEWS, NULL };
  MbmsMskRef refs[2] = { { .msk_id = 0x00010000 }, { .msk_id = 0x00020000 } };
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) reg = register_services (fx, ids, FALSE, &error);
  g_autoptr(MbmsKeymgmtResult) r = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (item_status (reg, NEWS), ==, 200);
  g_assert_cmpint (receive_msk (fx), ==, MGV_MSK_STORED);
  memcpy (refs[0].domain, DOMAIN, 3);
  memcpy (refs[1].domain, DOMAIN, 3);
  body = mbms_keymgmt_build_msk_request (refs, 2);
  fx->clock.random = 0.5;
  g_array_set_size (fx->clock.delays, 0);
  r = request (fx, NULL, MBMS_KEYMGMT_MSK_REQUEST, body, 2, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->backoff_ms, ==, 3500);
  g_assert_cmpuint (g_array_index (fx->clock.delays, guint, 0), ==, 3500);
  g_assert_cmpuint (msk_item_status (r, &refs[0]), ==, 200);
  g_assert_cmpuint (msk_item_status (r, &refs[1]), ==, 403); /* not registered to a FILM service */
  g_assert_cmpint (receive_msk (fx), ==, MGV_MSK_STORED);
}

/* Connection failures: capped exponential back-off with jitter, then a clear error. */
static void
test_unreachable_backoff (Fx *fx, gconstpointer d)
{
  const char *ids[] = { NEWS, NULL };
  g_autoptr(GBytes) body = mbms_keymgmt_build_register (ids, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) r = NULL;
  const guint expected[] = { 750, 1500, 3000, 6000 }; /* random 0.5: 3/4 of 1, 2, 4, 8 s */

  r = register_services (fx, ids, FALSE, &error); /* bootstrap while the lab is up */
  g_assert_no_error (error);
  g_clear_pointer (&r, mbms_keymgmt_result_free);
  g_array_set_size (fx->clock.delays, 0);
  r = request (fx, "http://127.0.0.1:1", MBMS_KEYMGMT_REGISTER, body, 0, 0, &error);
  g_assert_null (r);
  g_assert_error (error, MBMS_KEYMGMT_ERROR, MBMS_KEYMGMT_ERROR_NETWORK);
  g_assert_cmpuint (fx->clock.delays->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpuint (g_array_index (fx->clock.delays, guint, i), ==, expected[i]);
}

/* https BM-SC URIs are verified against the system trust store: a self-signed server is
 * refused with a TLS error, not retried and not talked to. */
static void
test_https_untrusted_certificate_refused (Fx *fx, gconstpointer d)
{
  g_autofree char *key = g_build_filename (fx->dir, "key.pem", NULL);
  g_autofree char *cert = g_build_filename (fx->dir, "cert.pem", NULL);
  const char *argv[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                         "-days", "1", "-keyout", key, "-out", cert, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) tls = NULL;
  g_autoptr(SoupServer) https = NULL;
  g_autofree char *uri = NULL;
  const char *ids[] = { NEWS, NULL };
  g_autoptr(GBytes) body = mbms_keymgmt_build_register (ids, FALSE);
  g_autoptr(MbmsKeymgmtResult) r = NULL;
  GSList *uris;
  gint status = -1;
  guint before;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_cmpint (status, ==, 0);
  tls = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);
  https = soup_server_new ("tls-certificate", tls, NULL);
  lab_bmsc_attach (fx->bmsc, https);
  soup_server_listen_local (https, 0, SOUP_SERVER_LISTEN_IPV4_ONLY | SOUP_SERVER_LISTEN_HTTPS, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (https);
  uri = g_strdup_printf ("https://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  before = lab_bmsc_requests (fx->bmsc);
  r = request (fx, uri, MBMS_KEYMGMT_REGISTER, body, 0, 0, &error);
  g_assert_null (r);
  g_assert_error (error, MBMS_KEYMGMT_ERROR, MBMS_KEYMGMT_ERROR_TLS);
  g_assert_cmpuint (lab_bmsc_requests (fx->bmsc), ==, before);
  g_assert_cmpuint (fx->clock.delays->len, ==, 0);
}

/* A BM-SC slower than the timeout counts as a connection failure: retried, then an error. */
static void
test_slow_bmsc_times_out (Fx *fx, gconstpointer d)
{
  const char *ids[] = { NEWS, NULL };
  LabBmscFaults faults = { .delay_ms = 1500 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsKeymgmtResult) r = NULL;

  g_clear_object (&fx->km);
  fx->km = mbms_keymgmt_new (fx->bootstrapper, &fx->clock.base, 1);
  lab_bmsc_set_faults (fx->bmsc, &faults);
  r = register_services (fx, ids, FALSE, &error);
  g_assert_null (r);
  g_assert_error (error, MBMS_KEYMGMT_ERROR, MBMS_KEYMGMT_ERROR_NETWORK);
  g_assert_cmpuint (fx->clock.delays->len, ==, 4);
}

static void
test_choose_bmsc (void)
{
  const char *uris[] = { "http://a", "http://b", "http://c", NULL };
  FakeClock fc;

  fake_clock_init (&fc, 0.0);

  g_assert_cmpstr (mbms_keymgmt_choose_bmsc (uris, &fc.base), ==, "http://a");
  fc.random = 0.5;
  g_assert_cmpstr (mbms_keymgmt_choose_bmsc (uris, &fc.base), ==, "http://b");
  fc.random = 0.999;
  g_assert_cmpstr (mbms_keymgmt_choose_bmsc (uris, &fc.base), ==, "http://c");
  g_assert_null (mbms_keymgmt_choose_bmsc (NULL, &fc.base));
  g_array_unref (fc.delays);
}

int
main (int argc, char **argv)
{
  int ret;

  test_init (&argc, &argv);
#define ADD(path, fn) g_test_add ("/bmsc-client/keymgmt/" path, Fx, NULL, fx_set_up, fn, fx_tear_down)
  ADD ("register-msk-pushed-acked-deregister", test_register_push_ack_deregister);
  ADD ("concurrent-requests-share-one-bootstrap", test_concurrent_requests_share_one_bootstrap);
  ADD ("two-services-one-refused", test_two_services_one_refused);
  ADD ("mtk-messages-on-a-schedule", test_mtk_stream_after_registration);
  ADD ("g24-codes-not-repeated", test_g24_not_repeated);
  ADD ("g24-503-retry-after", test_g24_503_retry_after);
  ADD ("g24-503-gives-up", test_g24_503_gives_up);
  ADD ("g24-401-bootstrapping-renegotiation", test_g24_401_renegotiation);
  ADD ("tampered-response-rejected", test_tampered_response_rejected);
  ADD ("unauthenticated-200-rejected", test_unauthenticated_200_rejected);
  ADD ("realm-must-name-the-server", test_realm_must_name_the_server);
  ADD ("msk-request-backoff", test_msk_request_backoff);
  ADD ("unreachable-capped-exponential-backoff", test_unreachable_backoff);
  ADD ("https-untrusted-certificate-refused", test_https_untrusted_certificate_refused);
  ADD ("slow-bmsc-times-out-and-is-retried", test_slow_bmsc_times_out);
#undef ADD
  g_test_add_func ("/bmsc-client/keymgmt/choose-bmsc-at-random", test_choose_bmsc);
  ret = g_test_run ();
  fx_end_worker_threads ();
  return ret;
}
