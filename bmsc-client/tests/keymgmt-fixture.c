/* The key management fixture (keymgmt-fixture.h). */
#include "keymgmt-fixture.h"
#include "gba-u-card.h"
#include "test-util.h"

#include <string.h>

const guint8 DOMAIN[3] = { 0x00, 0xf1, 0x10 };


static guint
fake_add_timeout (MbmsClock *clock, guint delay_ms, GSourceFunc func, gpointer data)
{
  FakeClock *fc = (FakeClock *) clock;

  g_array_append_val (fc->delays, delay_ms);
  return g_idle_add (func, data);
}

static void
fake_cancel (MbmsClock *clock, guint id)
{
  g_source_remove (id);
}

static GDateTime *
fake_now (MbmsClock *clock)
{
  return g_date_time_new_now_utc ();
}

static double
fake_random (MbmsClock *clock)
{
  return ((FakeClock *) clock)->random;
}


static void
on_muk_ready (MbmsKeymgmt *km, const char *fqdn, GbaMbmsKeys *keys, gpointer data)
{
  Fx *fx = data;
  g_autofree char *idi = NULL;
  g_autofree char *idr = NULL;

  fx->muk_ready++;
  fx->registered_at_muk = lab_bmsc_registered (fx->bmsc);
  /* what the daemon does: a new MUK becomes MGV-S's last generated one (6.1) */
  if (mgv_store_get_muk_ids (fx->store, FALSE, &idi, &idr) && g_strcmp0 (idr, keys->muk_idr) == 0)
    return;
  g_assert_true (mgv_store_install_muk (fx->store, keys->muk_idi, keys->muk_idr, keys->muk, NULL));
}

void
fx_set_up (Fx *fx, gconstpointer data)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *store_path = NULL;
  const FxOptions *options = data;
  gboolean gba_u = options != NULL && options->gba_u;
  GbaUiccSoftParams p = { .imsi = IMSI, .iccid = "8988211000000000001", .mnc_len = 2 };
  GSList *uris;
  GUri *uri;

  fx->dir = test_tmpdir_new ();
  g_key_file_set_string (kf, "subscriber " IMPI, "k", K);
  g_key_file_set_string (kf, "subscriber " IMPI, "opc", OPC);
  g_key_file_set_string (kf, "subscriber " IMPI, "amf", "8000");
  g_key_file_set_boolean (kf, "subscriber " IMPI, "gba-u", gba_u);
  fx->bsf = lab_bsf_new_from_key_file (kf, &error);
  g_assert_no_error (error);
  fx->bmsc = lab_bmsc_new (fx->bsf, "127.0.0.1");
  lab_bmsc_add_service (fx->bmsc, NEWS, DOMAIN, 1, TRUE);
  lab_bmsc_add_service (fx->bmsc, FILM, DOMAIN, 2, TRUE);
  fx->server = soup_server_new (NULL, NULL);
  lab_bsf_attach (fx->bsf, fx->server);
  lab_bmsc_attach (fx->bmsc, fx->server);
  soup_server_listen_local (fx->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fx->server);
  uri = uris->data;
  fx->bmsc_uri = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uri));
  {
    g_autofree char *bsf_uri = g_uri_to_string (uri);
    test_hex_to (K, p.k, 16);
    test_hex_to (OPC, p.opc, 16);
    test_hex_to ("8000", p.amf, 2);
    fx->uicc = gba_uicc_soft_new (&p, &error);
    g_assert_no_error (error);
    if (gba_u)
      {
        g_autoptr(GbaUicc) usim = g_steal_pointer (&fx->uicc);
        fx->uicc = gba_u_card_new (usim, p.k, p.opc);
      }
    fx->bootstrapper = gba_bootstrapper_new (fx->uicc, bsf_uri, 10);
    gba_bootstrapper_set_gba_u (fx->bootstrapper, gba_u);
  }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  fake_clock_init (&fx->clock, 0.5);
  fx->km = mbms_keymgmt_new (fx->bootstrapper, &fx->clock.base, 5);
  store_path = g_build_filename (fx->dir, "keys.mgv", NULL);
  fx->store = mgv_store_open (store_path, "card", NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (fx->km, "muk-ready", G_CALLBACK (on_muk_ready), fx);
  fx->ue_socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_true (g_socket_bind (fx->ue_socket, any, FALSE, &error));
  bound = g_socket_get_local_address (fx->ue_socket, &error);
  lab_bmsc_set_ue_port (fx->bmsc, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_set_timeout (fx->ue_socket, 5);
}

void
fx_tear_down (Fx *fx, gconstpointer data)
{
  g_clear_object (&fx->km);
  g_clear_object (&fx->bootstrapper);
  g_clear_object (&fx->uicc);
  g_clear_object (&fx->server);
  g_clear_object (&fx->ue_socket);
  lab_bmsc_free (fx->bmsc);
  lab_bsf_free (fx->bsf);
  mgv_store_free (fx->store);
  g_array_unref (fx->clock.delays);
  g_free (fx->bmsc_uri);
  test_tmpdir_remove (fx->dir);
  g_free (fx->dir);
}

static void
on_done (GObject *source, GAsyncResult *res, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (res);
}

MbmsKeymgmtResult *
request (Fx *fx, const char *uri, MbmsKeymgmtRequest type, GBytes *body, guint offset, guint period, GError **error)
{
  g_autoptr(GAsyncResult) res = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  mbms_keymgmt_request_async (fx->km, uri ? uri : fx->bmsc_uri, type, body, offset, period, NULL, on_done, &res);
  while (res == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (res);
  return mbms_keymgmt_request_finish (fx->km, res, error);
}

MbmsKeymgmtResult *
register_services (Fx *fx, const char *const *ids, gboolean deregister, GError **error)
{
  g_autoptr(GBytes) body = mbms_keymgmt_build_register (ids, deregister);

  return request (fx, NULL, deregister ? MBMS_KEYMGMT_DEREGISTER : MBMS_KEYMGMT_REGISTER, body, 0, 0, error);
}

guint
item_status (MbmsKeymgmtResult *r, const char *service_id)
{
  const MbmsItemStatus *item = mbms_keymgmt_item_for_service (r->items, service_id);

  return item != NULL ? item->status : 0;
}

guint
msk_item_status (MbmsKeymgmtResult *r, const MbmsMskRef *ref)
{
  const MbmsItemStatus *item = mbms_keymgmt_item_for_msk (r->items, ref);

  return item != NULL ? item->status : 0;
}

/* Receives one MIKEY datagram on the UE's port, runs MGV-F, answers a verification. */
MgvMskOutcome
receive_msk (Fx *fx)
{
  guint8 buf[2048];
  GSocketAddress *from = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(MgvMskResult) r = NULL;
  gssize n;

  n = g_socket_receive_from (fx->ue_socket, &from, (char *) buf, sizeof buf, NULL, &error);
  g_assert_no_error (error);
  msg = g_bytes_new (buf, (gsize) n);
  r = mgv_process_msk (fx->store, msg, &error);
  g_assert_no_error (error);
  if (r->verification != NULL)
    g_socket_send_to (fx->ue_socket, from, g_bytes_get_data (r->verification, NULL),
                      g_bytes_get_size (r->verification), NULL, NULL);
  g_object_unref (from);
  return r->outcome;
}

void
wait_for_acks (Fx *fx, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (lab_bmsc_verified_acks (fx->bmsc) < n && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (lab_bmsc_verified_acks (fx->bmsc), ==, n);
}

void
fake_clock_init (FakeClock *fc, double random)
{
  *fc = (FakeClock) { { fake_add_timeout, fake_cancel, fake_now, fake_random },
                      g_array_new (FALSE, FALSE, sizeof (guint)), random };
}

void
fx_end_worker_threads (void)
{
  g_thread_pool_set_max_unused_threads (0);
  g_thread_pool_stop_unused_threads ();
  g_usleep (200 * 1000);
}
