/* GBA_U key management against the lab BSF and BM-SC with a card double (gba-u-card.h): the
 * NAF keys of a BM-SC are derived on the card once however many requests answer a challenge
 * at the same time (each derivation is a new MUK to the card, its MSK message counter back
 * to 0: TS 31.102 7.1.1.6); keys the card derived for a context that went meanwhile (forgotten,
 * or replaced by a new B-TID) are dropped, never announced by "muk-ready" (TS 33.220 4.4.11). */
#include "keymgmt-fixture.h"
#include "gba-u-card.h"
#include "test-util.h"

#include <string.h>

static const FxOptions GBA_U = { .gba_u = TRUE };

/* 401 challenges the client has read: each read goes on to answer_challenge at once. */
static gint challenges_read;

static GLogWriterOutput
count_challenges (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0
        && g_str_has_prefix (fields[i].value, "Ua: ") && g_str_has_suffix (fields[i].value, " answered 401"))
      g_atomic_int_inc (&challenges_read);
  return g_log_writer_default (level, fields, n_fields, data);
}

static void
on_done (GObject *source, GAsyncResult *res, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (res);
}

static void
record_btid (MbmsKeymgmt *km, const char *fqdn, GbaMbmsKeys *keys, gpointer data)
{
  g_ptr_array_add (data, g_strdup (keys->muk_idr));
}

static void
spin_until (gboolean (*done) (Fx *fx, gpointer data), Fx *fx, gpointer data)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!done (fx, data) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  g_assert_true (done (fx, data));
}

static gboolean
challenges_at_least (Fx *fx, gpointer n)
{
  return (guint) g_atomic_int_get (&challenges_read) >= GPOINTER_TO_UINT (n);
}

static gboolean
card_deriving (Fx *fx, gpointer n)
{
  return gba_u_card_derivations (GBA_U_CARD (fx->uicc)) >= GPOINTER_TO_UINT (n);
}

static gboolean
all_done (Fx *fx, gpointer results)
{
  for (GAsyncResult **r = results; *r != (GAsyncResult *) results; r++)
    if (*r == NULL)
      return FALSE;
  return TRUE;
}

/* Review M5: three requests (one of them cancelled meanwhile) read their challenges while the
 * card derives: one derivation, whose keys all of them use. */
static void
test_one_derivation_for_concurrent_requests (Fx *fx, gconstpointer d)
{
  const char *news[] = { NEWS, NULL }, *film[] = { FILM, NULL };
  g_autoptr(GBytes) news_body = mbms_keymgmt_build_register (news, FALSE);
  g_autoptr(GBytes) film_body = mbms_keymgmt_build_register (film, FALSE);
  MbmsMskRef ref = { .msk_id = 0x00010000 };
  g_autoptr(GBytes) msk_body = NULL;
  g_autoptr(GCancellable) gone = g_cancellable_new ();
  g_autoptr(GPtrArray) btids = g_ptr_array_new_with_free_func (g_free);
  GAsyncResult *res[4] = { NULL, NULL, NULL, (GAsyncResult *) res };
  g_autoptr(MbmsKeymgmtResult) a = NULL, b = NULL, c = NULL;
  g_autoptr(GError) error = NULL;
  const GbaContext *context;

  memcpy (ref.domain, DOMAIN, 3);
  msk_body = mbms_keymgmt_build_msk_request (&ref, 1);
  g_signal_connect (fx->km, "muk-ready", G_CALLBACK (record_btid), btids);
  g_atomic_int_set (&challenges_read, 0);
  gba_u_card_hold (GBA_U_CARD (fx->uicc), TRUE);
  /* one GBA run for the three; their challenges come back together */
  mbms_keymgmt_request_async (fx->km, fx->bmsc_uri, MBMS_KEYMGMT_REGISTER, news_body, 0, 0, gone, on_done, &res[0]);
  mbms_keymgmt_request_async (fx->km, fx->bmsc_uri, MBMS_KEYMGMT_REGISTER, film_body, 0, 0, NULL, on_done, &res[1]);
  mbms_keymgmt_request_async (fx->km, fx->bmsc_uri, MBMS_KEYMGMT_MSK_REQUEST, msk_body, 0, 0, NULL, on_done,
                              &res[2]);
  spin_until (challenges_at_least, fx, GUINT_TO_POINTER (3));
  spin_until (card_deriving, fx, GUINT_TO_POINTER (1));
  /* the request whose answer began the derivation goes: the card's keys still serve the rest */
  g_cancellable_cancel (gone);
  gba_u_card_hold (GBA_U_CARD (fx->uicc), FALSE);
  spin_until (all_done, fx, res);

  a = mbms_keymgmt_request_finish (fx->km, res[0], &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (a);
  g_clear_error (&error);
  b = mbms_keymgmt_request_finish (fx->km, res[1], &error);
  g_assert_no_error (error);
  g_assert_cmpuint (item_status (b, FILM), ==, 200);
  c = mbms_keymgmt_request_finish (fx->km, res[2], &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gba_u_card_derivations (GBA_U_CARD (fx->uicc)), ==, 1);
  g_assert_cmpuint (lab_bsf_count_btids (fx->bsf), ==, 1);
  context = mbms_keymgmt_get_context (fx->km);
  g_assert_nonnull (context);
  g_assert_true (context->run == GBA_RUN_U);
  g_assert_true (lab_bsf_btid_is_gba_u (fx->bsf, context->btid));
  g_assert_cmpuint (btids->len, ==, 2); /* B and C, with the one MUK */
  for (guint i = 0; i < btids->len; i++)
    g_assert_cmpstr (g_ptr_array_index (btids, i), ==, context->btid);
  /* a later request reuses them too */
  g_clear_pointer (&b, mbms_keymgmt_result_free);
  b = register_services (fx, news, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (item_status (b, NEWS), ==, 200);
  g_assert_cmpuint (gba_u_card_derivations (GBA_U_CARD (fx->uicc)), ==, 1);
  for (guint i = 0; i < 3; i++)
    g_clear_object (&res[i]);
}

/* Review L2: the context is forgotten (card removal, MUK deletion) while the card derives:
 * those keys are wiped unannounced and the request bootstraps again. */
static void
test_keys_of_a_forgotten_context_dropped (Fx *fx, gconstpointer d)
{
  const char *news[] = { NEWS, NULL };
  g_autoptr(GBytes) body = mbms_keymgmt_build_register (news, FALSE);
  g_autoptr(GPtrArray) btids = g_ptr_array_new_with_free_func (g_free);
  GAsyncResult *res[2] = { NULL, (GAsyncResult *) res };
  g_autoptr(MbmsKeymgmtResult) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dead = NULL;

  g_signal_connect (fx->km, "muk-ready", G_CALLBACK (record_btid), btids);
  gba_u_card_hold (GBA_U_CARD (fx->uicc), TRUE);
  mbms_keymgmt_request_async (fx->km, fx->bmsc_uri, MBMS_KEYMGMT_REGISTER, body, 0, 0, NULL, on_done, &res[0]);
  spin_until (card_deriving, fx, GUINT_TO_POINTER (1));
  dead = g_strdup (mbms_keymgmt_get_context (fx->km)->btid);
  mbms_keymgmt_forget_context (fx->km);
  gba_u_card_hold (GBA_U_CARD (fx->uicc), FALSE);
  spin_until (all_done, fx, res);

  r = mbms_keymgmt_request_finish (fx->km, res[0], &error);
  g_assert_no_error (error);
  g_assert_cmpuint (item_status (r, NEWS), ==, 200);
  g_assert_cmpuint (r->bootstraps, ==, 2);
  g_assert_cmpuint (lab_bsf_count_btids (fx->bsf), ==, 2);
  g_assert_cmpstr (mbms_keymgmt_get_context (fx->km)->btid, !=, dead);
  g_assert_cmpuint (gba_u_card_derivations (GBA_U_CARD (fx->uicc)), ==, 2);
  g_assert_cmpuint (btids->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (btids, 0), ==, mbms_keymgmt_get_context (fx->km)->btid);
  g_clear_object (&res[0]);
}

/* Review L2: a new B-TID replaces the context while the card derives for the old one (another
 * request bootstrapped, and read its challenge, meanwhile): the old keys are wiped unannounced,
 * and both requests go on with keys of the new B-TID, derived once. */
static void
test_keys_of_a_replaced_context_dropped (Fx *fx, gconstpointer d)
{
  const char *news[] = { NEWS, NULL }, *film[] = { FILM, NULL };
  g_autoptr(GBytes) news_body = mbms_keymgmt_build_register (news, FALSE);
  g_autoptr(GBytes) film_body = mbms_keymgmt_build_register (film, FALSE);
  g_autoptr(GPtrArray) btids = g_ptr_array_new_with_free_func (g_free);
  GAsyncResult *res[3] = { NULL, NULL, (GAsyncResult *) res };
  g_autoptr(MbmsKeymgmtResult) a = NULL, b = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dead = NULL;
  const char *now;

  g_signal_connect (fx->km, "muk-ready", G_CALLBACK (record_btid), btids);
  g_atomic_int_set (&challenges_read, 0);
  gba_u_card_hold (GBA_U_CARD (fx->uicc), TRUE);
  mbms_keymgmt_request_async (fx->km, fx->bmsc_uri, MBMS_KEYMGMT_REGISTER, news_body, 0, 0, NULL, on_done, &res[0]);
  spin_until (card_deriving, fx, GUINT_TO_POINTER (1));
  dead = g_strdup (mbms_keymgmt_get_context (fx->km)->btid);
  mbms_keymgmt_forget_context (fx->km);
  mbms_keymgmt_request_async (fx->km, fx->bmsc_uri, MBMS_KEYMGMT_REGISTER, film_body, 0, 0, NULL, on_done, &res[1]);
  spin_until (challenges_at_least, fx, GUINT_TO_POINTER (2));
  g_assert_nonnull (mbms_keymgmt_get_context (fx->km));
  g_assert_cmpstr (mbms_keymgmt_get_context (fx->km)->btid, !=, dead);
  gba_u_card_hold (GBA_U_CARD (fx->uicc), FALSE);
  spin_until (all_done, fx, res);

  a = mbms_keymgmt_request_finish (fx->km, res[0], &error);
  g_assert_no_error (error);
  g_assert_cmpuint (item_status (a, NEWS), ==, 200);
  b = mbms_keymgmt_request_finish (fx->km, res[1], &error);
  g_assert_no_error (error);
  g_assert_cmpuint (item_status (b, FILM), ==, 200);
  g_assert_cmpuint (lab_bsf_count_btids (fx->bsf), ==, 2);
  now = mbms_keymgmt_get_context (fx->km)->btid;
  for (guint i = 0; i < btids->len; i++)
    g_assert_cmpstr (g_ptr_array_index (btids, i), ==, now); /* never the dead B-TID */
  g_assert_cmpuint (btids->len, ==, 2);
  g_assert_cmpuint (gba_u_card_derivations (GBA_U_CARD (fx->uicc)), ==, 2);
  g_clear_object (&res[0]);
  g_clear_object (&res[1]);
}

int
main (int argc, char **argv)
{
  int ret;

  test_init (&argc, &argv);
  g_log_set_writer_func (count_challenges, NULL, NULL);
#define ADD(path, fn) g_test_add ("/bmsc-client/keymgmt-gba-u/" path, Fx, &GBA_U, fx_set_up, fn, fx_tear_down)
  ADD ("one-derivation-for-concurrent-requests", test_one_derivation_for_concurrent_requests);
  ADD ("keys-of-a-forgotten-context-dropped", test_keys_of_a_forgotten_context_dropped);
  ADD ("keys-of-a-replaced-context-dropped", test_keys_of_a_replaced_context_dropped);
#undef ADD
  ret = g_test_run ();
  fx_end_worker_threads ();
  return ret;
}
