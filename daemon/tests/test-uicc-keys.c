/* UICC key management in the daemon: the mode choice (TS 33.246 6.1, 6.3.2.1A), the MSK IDs
 * the ME tracks for the card (EF_MSK's two per group, TS 31.102 7.1.1.6), and MbmsUiccKeys
 * against a card double that answers the MBMS security context as told: MSK update with a
 * verification message sent back to the sender, MTK generation in order with MTK || salt
 * handed over, card errors mapped to the receiver's verdicts and the ME's reactions. */
#include "mbms-km-mode.h"
#include "mbms-uicc-keys.h"
#include "mbms-uicc-msks.h"

#include <string.h>

static const guint8 DOMAIN[3] = { 0x00, 0xf1, 0x10 };

static void
test_mode (void)
{
  GbaUiccCaps both = GBA_UICC_CAP_GBA_U | GBA_UICC_CAP_MBMS;

  g_assert_cmpstr (mbms_km_mode_of_card (both, TRUE), ==, "uicc");
  g_assert_cmpstr (mbms_km_mode_of_card (both, FALSE), ==, "me");  /* [gba] gba-u = false */
  g_assert_cmpstr (mbms_km_mode_of_card (GBA_UICC_CAP_GBA_U, TRUE), ==, "me"); /* no n°69 */
  g_assert_cmpstr (mbms_km_mode_of_card (GBA_UICC_CAP_MBMS, TRUE), ==, "me");  /* no GBA_U */
  g_assert_cmpstr (mbms_km_mode_of_card (GBA_UICC_CAP_NONE, TRUE), ==, "me");

  g_assert_cmpstr (mbms_km_mode_of_service ("uicc", FALSE, TRUE), ==, "");
  g_assert_cmpstr (mbms_km_mode_of_service ("me", FALSE, TRUE), ==, "");
  g_assert_cmpstr (mbms_km_mode_of_service ("uicc", TRUE, TRUE), ==, "uicc");
  g_assert_cmpstr (mbms_km_mode_of_service ("uicc", TRUE, FALSE), ==, "uicc"); /* 6.3.2.1A: shall */
  g_assert_cmpstr (mbms_km_mode_of_service ("me", TRUE, FALSE), ==, "me");
  g_assert_null (mbms_km_mode_of_service ("me", TRUE, TRUE)); /* unavailable */
  g_assert_null (mbms_km_mode_of_service (NULL, TRUE, TRUE));
}

static void
test_msks (void)
{
  g_autoptr(MbmsUiccMsks) m = mbms_uicc_msks_new ();
  g_autoptr(GBytes) rand1 = g_bytes_new_static ("r1", 2);
  g_autoptr(GBytes) pol = g_bytes_new_static ("\x0d\x01\x0a", 3);
  const guint8 other[3] = { 0x00, 0xf1, 0x20 };
  g_autoptr(GArray) list = NULL;
  g_autoptr(GBytes) got = NULL;

  g_assert_false (mbms_uicc_msks_holds (m, DOMAIN, 0x00010001));
  mbms_uicc_msks_add (m, DOMAIN, 0x00010001, rand1, pol);
  mbms_uicc_msks_add (m, DOMAIN, 0x00010002, NULL, NULL);
  mbms_uicc_msks_add (m, DOMAIN, 0x00020001, NULL, NULL);
  mbms_uicc_msks_add (m, other, 0x00010001, NULL, NULL);
  g_assert_true (mbms_uicc_msks_holds (m, DOMAIN, 0x00010001));
  g_assert_true (mbms_uicc_msks_holds (m, DOMAIN, 0x00010002));
  /* a third MSK ID in group 1 of the domain: the oldest goes, as from EF_MSK */
  mbms_uicc_msks_add (m, DOMAIN, 0x00010003, NULL, NULL);
  g_assert_false (mbms_uicc_msks_holds (m, DOMAIN, 0x00010001));
  g_assert_true (mbms_uicc_msks_holds (m, DOMAIN, 0x00010002));
  g_assert_true (mbms_uicc_msks_holds (m, DOMAIN, 0x00010003));
  g_assert_true (mbms_uicc_msks_holds (m, DOMAIN, 0x00020001));
  g_assert_true (mbms_uicc_msks_holds (m, other, 0x00010001)); /* another domain is another group */
  /* the same MSK ID again keeps what it had and becomes the newest */
  mbms_uicc_msks_add (m, DOMAIN, 0x00010002, rand1, pol);
  mbms_uicc_msks_add (m, DOMAIN, 0x00010002, NULL, NULL);
  got = mbms_uicc_msks_get_policy (m, DOMAIN, 0x00010002);
  g_assert_nonnull (got);
  g_assert_true (g_bytes_equal (got, pol));
  g_clear_pointer (&got, g_bytes_unref);
  got = mbms_uicc_msks_get_rand (m, DOMAIN, 0x00010002);
  g_assert_true (g_bytes_equal (got, rand1));
  mbms_uicc_msks_add (m, DOMAIN, 0x00010004, NULL, NULL);
  g_assert_true (mbms_uicc_msks_holds (m, DOMAIN, 0x00010002));
  g_assert_false (mbms_uicc_msks_holds (m, DOMAIN, 0x00010003));
  list = mbms_uicc_msks_list (m);
  g_assert_cmpuint (list->len, ==, 4);
  g_assert_cmphex (g_array_index (list, MgvMskInfo, 0).msk_id, ==, 0x00010004);
  g_assert_cmpuint (g_array_index (list, MgvMskInfo, 0).seq_high, ==, 0);
  mbms_uicc_msks_forget (m, DOMAIN, 0x00010004);
  g_assert_false (mbms_uicc_msks_holds (m, DOMAIN, 0x00010004));
  g_assert_cmpuint (mbms_uicc_msks_forget_group (m, DOMAIN, 1), ==, 1);
  g_assert_false (mbms_uicc_msks_holds (m, DOMAIN, 0x00010002));
  g_assert_true (mbms_uicc_msks_holds (m, DOMAIN, 0x00020001));
  g_assert_cmpuint (mbms_uicc_msks_forget_group (m, DOMAIN, -1), ==, 1);
  g_assert_true (mbms_uicc_msks_holds (m, other, 0x00010001));
}

/* ---------------------------------------------------------------- a card double */

#define TEST_TYPE_CARD (test_card_get_type ())
G_DECLARE_FINAL_TYPE (TestCard, test_card, TEST, CARD, GbaUicc)

struct _TestCard {
  GbaUicc   parent_instance;
  GMutex    lock;
  GPtrArray *modes;   /* GINT_TO_POINTER (mode), in the order the card saw them */
  GPtrArray *data;    /* GBytes of each command */
  GQueue    answers;  /* GBytes answer, or a GError * marked by error_mark */
  guint     delay_us; /* how long a command takes */
  gboolean  judge;    /* no answer queued: an MSK message from "bmsc.test" verifies, others not (98 62) */
  guint     judged_real, judged_forged;
};

G_DEFINE_FINAL_TYPE (TestCard, test_card, GBA_TYPE_UICC)

typedef struct {
  GBytes *answer;
  GError *error;
} Answer;

static GBytes *
card_mbms (GbaUicc *uicc, GbaUiccMbmsMode mode, GBytes *data, GCancellable *cancellable, GError **error)
{
  TestCard *self = TEST_CARD (uicc);
  Answer *a;
  GBytes *out = NULL;

  g_assert_false (g_main_context_is_owner (g_main_context_default ())); /* never the main loop */
  g_usleep (self->delay_us); /* a card takes its time: what queues behind must wait its turn */
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->modes, GINT_TO_POINTER (mode));
  g_ptr_array_add (self->data, g_bytes_ref (data));
  a = g_queue_pop_head (&self->answers);
  if (a == NULL && self->judge)
    {
      g_autoptr(MikeyMessage) msg = mikey_message_parse (data, NULL);
      a = g_new0 (Answer, 1);
      if (mode == GBA_UICC_MBMS_MSK_UPDATE && msg != NULL && g_strcmp0 (msg->idi, "bmsc.test") == 0)
        {
          a->answer = g_bytes_new (NULL, 0);
          self->judged_real++;
        }
      else
        {
          a->error = g_error_new (GBA_ERROR, GBA_ERROR_NETWORK_AUTH, "MAC (test)");
          self->judged_forged++;
        }
    }
  g_mutex_unlock (&self->lock);
  g_assert_nonnull (a);
  if (a->error != NULL)
    g_propagate_error (error, a->error);
  else
    out = a->answer;
  g_free (a);
  return out;
}

/* NAF derivation mode (TS 31.102 7.1.2.4): a fixed Ks_ext_NAF, after checking the NAF_Id. */
static GbaSecret *
card_naf_derive (GbaUicc *uicc, GBytes *naf_id, const char *impi, GCancellable *cancellable, GError **error)
{
  g_autoptr(GBytes) want = gba_naf_id_new ("bmsc.test", GBA_UA_PROTOCOL_MBMS);

  g_assert_false (g_main_context_is_owner (g_main_context_default ())); /* never the main loop */
  g_assert_true (g_bytes_equal (naf_id, want));
  g_assert_cmpstr (impi, ==, "001010123456789@ims.mnc001.mcc001.3gppnetwork.org");
  g_usleep (20000);
  return gba_secret_new ("Ks_ext_NAF-Ks_ext_NAF-Ks_ext_NA!", 32);
}

static GbaUiccCaps
card_caps (GbaUicc *uicc)
{
  return GBA_UICC_CAP_GBA_U | GBA_UICC_CAP_MBMS;
}

static void
test_card_finalize (GObject *object)
{
  TestCard *self = TEST_CARD (object);

  g_ptr_array_unref (self->modes);
  g_ptr_array_unref (self->data);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (test_card_parent_class)->finalize (object);
}

static void
test_card_class_init (TestCardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_card_finalize;
  GBA_UICC_CLASS (klass)->mbms_command = card_mbms;
  GBA_UICC_CLASS (klass)->get_capabilities = card_caps;
  GBA_UICC_CLASS (klass)->gba_naf_derive = card_naf_derive;
}

static void
test_card_init (TestCard *self)
{
  g_mutex_init (&self->lock);
  self->delay_us = 2000;
  self->modes = g_ptr_array_new ();
  self->data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_queue_init (&self->answers);
}

static void
answer (TestCard *card, const void *data, gsize len, gint error_code)
{
  Answer *a = g_new0 (Answer, 1);

  if (error_code >= 0)
    a->error = g_error_new (GBA_ERROR, error_code, "card answered an error (test)");
  else
    a->answer = g_bytes_new (data, len);
  g_mutex_lock (&card->lock);
  g_queue_push_tail (&card->answers, a);
  g_mutex_unlock (&card->lock);
}

/* ---------------------------------------------------------------- the owner */

typedef struct {
  guint      taken, pulls, wanted, full, mtks, mtk_errors;
  guint32    last_msk_id;
  gint       last_error;
  guint16    mtk_ids[8];
  guint8     last_key[16], last_salt[14];
  char      *muk_missing;
} Owner;

static void
owner_msk_taken (const guint8 domain[3], guint32 msk_id, gboolean pull, gpointer data)
{
  Owner *o = data;

  if (pull)
    o->pulls++;
  else
    o->taken++;
  o->last_msk_id = msk_id;
}

static void
owner_msk_wanted (const guint8 domain[3], guint16 key_group, const char *muk_missing, gpointer data)
{
  Owner *o = data;

  o->wanted++;
  g_free (o->muk_missing);
  o->muk_missing = g_strdup (muk_missing);
}

static void
owner_card_full (const guint8 domain[3], guint16 key_group, gpointer data)
{
  ((Owner *) data)->full++;
}

static void
owner_mtk_done (const char *destination, const MikeyKeyIds *ids, const MgvMtk *mtk, const GError *error,
                gpointer data)
{
  Owner *o = data;

  g_assert_true (g_str_equal (destination, "127.0.0.2") || g_str_equal (destination, "127.0.0.3"));
  if (mtk == NULL)
    {
      o->mtk_errors++;
      o->last_error = error->code;
      return;
    }
  g_assert_nonnull (mtk->salt);
  if (o->mtks < G_N_ELEMENTS (o->mtk_ids))
    o->mtk_ids[o->mtks] = mtk->mtk_id;
  o->mtks++;
  memcpy (o->last_key, gba_secret_get_data (mtk->mtk, NULL), 16);
  memcpy (o->last_salt, gba_secret_get_data (mtk->salt, NULL), 14);
}

static MbmsMikeyVerdict
no_datagrams (GBytes *datagram, GSocketAddress *source, const char *destination, gpointer user_data)
{
  g_assert_not_reached ();
}

static GBytes *
msk_message_from (const char *idi, guint32 msk_id, gboolean v_bit)
{
  g_autoptr(GbaSecret) muk = gba_secret_new ("0123456789abcdef0123456789abcdef", 32);
  g_autoptr(GbaSecret) msk = gba_secret_new ("MSK-MSK-MSK-MSK!", 16);
  g_autoptr(GBytes) rand = g_bytes_new_static ("0123456789abcdef", 16);
  MikeyBuildParams p = { .csb_id = 7, .v_bit = v_bit, .ts_counter = 1, .rand = rand, .idi = idi,
                         .idr = "btid@bsf", .msk_id = msk_id, .key = msk, .seq_low = 0, .seq_high = 100 };

  memcpy (p.domain, DOMAIN, 3);
  return mikey_build_msk_message (&p, muk);
}

static GBytes *
msk_message (guint32 msk_id, gboolean v_bit)
{
  return msk_message_from ("bmsc.test", msk_id, v_bit);
}

static GBytes *
mtk_message (guint32 msk_id, guint16 mtk_id)
{
  g_autoptr(GbaSecret) msk = gba_secret_new ("MSK-MSK-MSK-MSK!", 16);
  g_autoptr(GbaSecret) mtk = gba_secret_new ("MTK-MTK-MTK-MTK!", 16);
  g_autoptr(GbaSecret) salt = gba_secret_new ("salt-salt-salt", 14);
  g_autoptr(GBytes) rand = g_bytes_new_static ("0123456789abcdef", 16);
  MikeyBuildParams p = { .csb_id = 9, .ts_counter = mtk_id, .streaming = TRUE, .msk_id = msk_id, .mtk_id = mtk_id,
                         .key = mtk, .salt = salt };

  memcpy (p.domain, DOMAIN, 3);
  return mikey_build_mtk_message (&p, msk, rand);
}

static MbmsMikeyVerdict
submit (MbmsUiccKeys *keys, GBytes *datagram, GSocketAddress *from, const char *destination)
{
  g_autoptr(MikeyMessage) msg = mikey_message_parse (datagram, NULL);

  g_assert_nonnull (msg);
  return mbms_uicc_keys_submit (keys, datagram, msg, from, destination);
}

static void
spin_until (guint *counter, guint value)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (*counter < value && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (*counter, ==, value);
}

static void
test_card_path (void)
{
  g_autoptr(TestCard) card = g_object_new (TEST_TYPE_CARD, NULL);
  g_autoptr(GError) error = NULL;
  MbmsMikeyReceiver *rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 50, no_datagrams, NULL, &error);
  static const MbmsUiccKeysFuncs funcs = { owner_msk_taken, owner_msk_wanted, owner_card_full, owner_mtk_done };
  Owner o = { 0 };
  g_autoptr(MbmsUiccKeys) keys = NULL;
  g_autoptr(GSocket) bmsc = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(GBytes) m1 = msk_message (0x00010001, TRUE);
  g_autoptr(GBytes) pull = msk_message (0x00010000, FALSE);
  guint8 buf[256], key_salt[30];
  gssize n;
  MbmsMikeyCounters c;

  g_assert_no_error (error);
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "127.0.0.2", &error));
  g_assert_true (g_socket_bind (bmsc, any, FALSE, &error));
  from = g_socket_get_local_address (bmsc, &error);
  g_socket_set_timeout (bmsc, 5);
  keys = mbms_uicc_keys_new (GBA_UICC (card), rx, &funcs, &o);
  mbms_uicc_keys_set_muk (keys, "bmsc.test", "btid@bsf");

  /* MSK update with the V bit: the card's verification message goes back to the sender */
  answer (card, "VERIFICATION", 12, -1);
  g_assert_cmpint (submit (keys, m1, from, NULL), ==, MBMS_MIKEY_PENDING);
  spin_until (&o.taken, 1);
  g_assert_cmphex (o.last_msk_id, ==, 0x00010001);
  g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (card->modes, 0)), ==, GBA_UICC_MBMS_MSK_UPDATE);
  g_assert_true (g_bytes_equal (g_ptr_array_index (card->data, 0), m1)); /* the whole MIKEY message */
  n = g_socket_receive (bmsc, (gchar *) buf, sizeof buf, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (buf, n, "VERIFICATION", 12);
  g_assert_true (mbms_uicc_msks_holds (mbms_uicc_keys_get_msks (keys), DOMAIN, 0x00010001));
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.accepted, ==, 1);

  /* a solicited pull (Key Number 0): no MSK tracked, the owner asked to request */
  answer (card, "", 0, -1);
  g_assert_cmpint (submit (keys, pull, from, NULL), ==, MBMS_MIKEY_PENDING);
  spin_until (&o.pulls, 1);
  g_assert_false (mbms_uicc_msks_holds (mbms_uicc_keys_get_msks (keys), DOMAIN, 0x00010000));

  /* MTK messages in arrival order, MTK || salt handed over; errors mapped */
  for (guint i = 0; i < 30; i++)
    key_salt[i] = (guint8) (0xA0 + i);
  answer (card, key_salt, 30, -1);
  answer (card, NULL, 0, GBA_ERROR_CARD_KEY_FRESHNESS);
  answer (card, key_salt, 30, -1);
  answer (card, NULL, 0, GBA_ERROR_CARD_NOT_FOUND);
  answer (card, key_salt, 29, -1); /* not 16 or 30 octets: refused */
  for (guint16 id = 1; id <= 5; id++)
    {
      g_autoptr(GBytes) m = mtk_message (0x00010001, id);
      g_assert_cmpint (submit (keys, m, from, "127.0.0.2"), ==, MBMS_MIKEY_PENDING);
    }
  spin_until (&o.mtk_errors, 3);
  g_assert_cmpuint (o.mtks, ==, 2);
  g_assert_cmpuint (o.mtk_ids[0], ==, 1);
  g_assert_cmpuint (o.mtk_ids[1], ==, 3);
  g_assert_cmpmem (o.last_key, 16, key_salt, 16);
  g_assert_cmpmem (o.last_salt, 14, key_salt + 16, 14);
  g_assert_cmpint (o.last_error, ==, GBA_ERROR_PARSE);
  /* 6A88: the card lacks the MSK, and the ME no longer counts it held */
  g_assert_false (mbms_uicc_msks_holds (mbms_uicc_keys_get_msks (keys), DOMAIN, 0x00010001));
  c = mbms_mikey_receiver_get_counters (rx, "127.0.0.2");
  g_assert_cmpuint (c.accepted, ==, 2);
  g_assert_cmpuint (c.replay, ==, 1);
  g_assert_cmpuint (c.unknown_key, ==, 1);
  g_assert_cmpuint (c.malformed, ==, 1);
  for (guint i = 2; i < card->modes->len; i++)
    g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (card->modes, i)), ==, GBA_UICC_MBMS_MTK_GENERATION);

  /* the same MTK message to a second session of the group (6.3.3.2.2): the card once (a second
   * time its TS is not fresh), both sessions the MTK; a repeat to a session that has it goes to
   * the card, which refuses it */
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "127.0.0.3", &error));
  mbms_uicc_msks_add (mbms_uicc_keys_get_msks (keys), DOMAIN, 0x00010001, NULL, NULL); /* the card has it again */
  answer (card, key_salt, 30, -1);
  answer (card, NULL, 0, GBA_ERROR_CARD_KEY_FRESHNESS);
  {
    g_autoptr(GBytes) m = mtk_message (0x00010001, 6);
    guint calls = card->modes->len;

    g_assert_cmpint (submit (keys, m, from, "127.0.0.2"), ==, MBMS_MIKEY_PENDING);
    g_assert_cmpint (submit (keys, m, from, "127.0.0.3"), ==, MBMS_MIKEY_PENDING);
    spin_until (&o.mtks, 4);
    g_assert_cmpuint (card->modes->len, ==, calls + 1);
    g_assert_cmpuint (o.mtk_ids[3], ==, 6);
    c = mbms_mikey_receiver_get_counters (rx, "127.0.0.3");
    g_assert_cmpuint (c.accepted, ==, 1);
    g_assert_cmpint (submit (keys, m, from, "127.0.0.3"), ==, MBMS_MIKEY_PENDING);
    spin_until (&o.mtk_errors, 4);
    g_assert_cmpuint (card->modes->len, ==, calls + 2);
    g_assert_cmpuint (o.mtks, ==, 4);
  }

  /* an MTK message on the push socket is not one; an MSK message under an older MUK (98 65
   * with another IDr) asks for an MSK request */
  {
    g_autoptr(GBytes) m = mtk_message (0x00010001, 9);
    g_assert_cmpint (submit (keys, m, from, NULL), ==, MBMS_MIKEY_IGNORED);
  }
  mbms_uicc_keys_set_muk (keys, "bmsc.test", "newer-btid@bsf");
  answer (card, NULL, 0, GBA_ERROR_CARD_KEY_FRESHNESS);
  g_assert_cmpint (submit (keys, m1, from, NULL), ==, MBMS_MIKEY_PENDING);
  spin_until (&o.wanted, 1);
  g_assert_null (o.muk_missing); /* an older MUK: the card has the MUK */
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.replay, ==, 1);
  /* 69 85: no Ks_int_NAF for the IDi (6.1): a MUK we lack, and an MSK request derives it again */
  answer (card, NULL, 0, GBA_ERROR_CARD_CONDITIONS);
  g_assert_cmpint (submit (keys, m1, from, NULL), ==, MBMS_MIKEY_PENDING);
  spin_until (&o.wanted, 2);
  g_assert_cmpstr (o.muk_missing, ==, "bmsc.test"); /* derive the NAF keys of that BM-SC again */
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.unknown_key, ==, 1);
  /* 98 62: the MAC did not verify; nothing asked, nothing tracked */
  answer (card, NULL, 0, GBA_ERROR_NETWORK_AUTH);
  {
    g_autoptr(GBytes) m = msk_message (0x00010009, FALSE);
    g_assert_cmpint (submit (keys, m, from, NULL), ==, MBMS_MIKEY_PENDING);
    while (mbms_mikey_receiver_get_counters (rx, NULL).not_authenticated == 0)
      g_main_context_iteration (NULL, TRUE);
  }
  g_assert_cmpuint (o.wanted, ==, 2);
  g_assert_cmpuint (o.taken, ==, 1);
  /* 98 66: no room on the card; the owner hears it, the sender is not blamed */
  answer (card, NULL, 0, GBA_ERROR_CARD_NO_MEMORY);
  g_test_expect_message ("mbmsd", G_LOG_LEVEL_WARNING, "the card has no room for the MSK*");
  {
    g_autoptr(GBytes) m = msk_message (0x0001000a, FALSE);
    g_assert_cmpint (submit (keys, m, from, NULL), ==, MBMS_MIKEY_PENDING);
  }
  spin_until (&o.full, 1);
  g_test_assert_expected_messages ();
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.not_authenticated + c.replay + c.unknown_key + c.malformed, ==, 3);
  g_assert_false (mbms_uicc_msks_holds (mbms_uicc_keys_get_msks (keys), DOMAIN, 0x00010009));

  /* MSK deletion: Key Domain ID || Key Group, and the group forgotten at once */
  mbms_uicc_msks_add (mbms_uicc_keys_get_msks (keys), DOMAIN, 0x00010005, NULL, NULL);
  answer (card, "", 0, -1);
  mbms_uicc_keys_delete_group (keys, DOMAIN, 1);
  g_assert_false (mbms_uicc_msks_holds (mbms_uicc_keys_get_msks (keys), DOMAIN, 0x00010005));
  answer (card, "", 0, -1);
  mbms_uicc_keys_delete_muk (keys, "bmsc.test", "btid@bsf");
  {
    gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    guint want = card->modes->len + 2;
    while (card->modes->len < want && g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, FALSE);
    g_usleep (10000);
    while (g_main_context_iteration (NULL, FALSE))
      ;
    g_assert_cmpuint (card->modes->len, ==, want);
  }
  g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (card->modes, card->modes->len - 2)), ==,
                   GBA_UICC_MBMS_MSK_DELETION);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (card->data, card->data->len - 2), NULL), 5,
                   "\x00\xf1\x10\x00\x01", 5);
  g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (card->modes, card->modes->len - 1)), ==,
                   GBA_UICC_MBMS_MUK_DELETION);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (card->data, card->data->len - 1), NULL),
                   g_bytes_get_size (g_ptr_array_index (card->data, card->data->len - 1)),
                   "\xa0\x15\x80\x08" "btid@bsf" "\x82\x09" "bmsc.test", 23);

  /* a flood beyond the queue is BUSY, not an unbounded backlog */
  {
    guint busy = 0;
    for (guint i = 0; i < 40; i++)
      {
        g_autoptr(GBytes) m = mtk_message (0x00010001, (guint16) (10 + i));
        answer (card, NULL, 0, GBA_ERROR_CARD_NOT_FOUND);
        busy += submit (keys, m, from, "127.0.0.2") == MBMS_MIKEY_BUSY;
      }
    g_assert_cmpuint (busy, >=, 40 - 33);
  }
  mbms_uicc_keys_stop (keys);
  g_clear_object (&keys);
  g_usleep (200000); /* what the card still runs finishes unheard */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  mbms_mikey_receiver_free (rx);
  g_free (o.muk_missing);
  {
    Answer *a;
    while ((a = g_queue_pop_head (&card->answers)) != NULL)
      {
        g_clear_error (&a->error);
        g_clear_pointer (&a->answer, g_bytes_unref);
        g_free (a);
      }
  }
}

/* ---------------------------------------------------------------- through the receiver */

typedef struct {
  MbmsUiccKeys *keys;
} Via;

/* The daemon's on_datagram in UICC mode: every MIKEY message goes to the card (Annex D). */
static MbmsMikeyVerdict
via_card (GBytes *datagram, GSocketAddress *source, const char *destination, gpointer user_data)
{
  Via *v = user_data;
  g_autoptr(MikeyMessage) msg = mikey_message_parse (datagram, NULL);

  return mbms_uicc_keys_submit (v->keys, datagram, msg, source, destination);
}

static GSocket *
socket_at (const char *address)
{
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (a, 0);
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);

  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  return s;
}

static void
send_bytes (GSocket *s, const char *to, guint16 port, GBytes *b)
{
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new_from_string (to, port);

  g_assert_cmpint (g_socket_send_to (s, addr, g_bytes_get_data (b, NULL), g_bytes_get_size (b), NULL, NULL), ==,
                   (gssize) g_bytes_get_size (b));
}

static void
run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (500);
}

static void
free_answers (TestCard *card)
{
  Answer *a;

  while ((a = g_queue_pop_head (&card->answers)) != NULL)
    {
      g_clear_error (&a->error);
      g_clear_pointer (&a->answer, g_bytes_unref);
      g_free (a);
    }
}

/* Hostile review H2: forged MSK messages from eight addresses at 1600/s, the BM-SC's valid
 * ones among them every 200 ms, a card taking 10 ms a command: the forgeries take at most
 * their share of the card's queue, and every message of the BM-SC reaches the card. */
static void
test_flood_through_receiver (void)
{
  g_autoptr(TestCard) card = g_object_new (TEST_TYPE_CARD, NULL);
  g_autoptr(GError) error = NULL;
  Via via = { NULL };
  MbmsMikeyReceiver *rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 50, via_card, &via, &error);
  static const MbmsUiccKeysFuncs funcs = { owner_msk_taken, owner_msk_wanted, owner_card_full, owner_mtk_done };
  Owner o = { 0 };
  g_autoptr(GSocket) bmsc = socket_at ("127.0.0.1");
  GSocket *attackers[8];
  guint16 port;
  guint sent = 0, forged = 0;
  MbmsMikeyCounters c;

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  card->delay_us = 10000;
  card->judge = TRUE;
  via.keys = mbms_uicc_keys_new (GBA_UICC (card), rx, &funcs, &o);
  for (guint i = 0; i < G_N_ELEMENTS (attackers); i++)
    {
      g_autofree char *a = g_strdup_printf ("127.0.0.%u", 10 + i);
      attackers[i] = socket_at (a);
    }
  /* the BM-SC is heard once before the flood: trusted */
  {
    g_autoptr(GBytes) m = msk_message (0x00010000 + ++sent, FALSE);
    send_bytes (bmsc, "127.0.0.1", port, m);
    spin_until (&o.taken, 1);
  }
  for (guint tick = 0; tick < 300; tick++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (attackers); i++)
        for (guint j = 0; j < 2; j++)
          {
            g_autoptr(GBytes) f = msk_message_from ("evil.test", 0x00020000 + ++forged, FALSE);
            send_bytes (attackers[i], "127.0.0.1", port, f);
          }
      if (tick % 20 == 10)
        {
          g_autoptr(GBytes) m = msk_message (0x00010000 + ++sent, FALSE);
          send_bytes (bmsc, "127.0.0.1", port, m);
        }
      run_for (10);
    }
  g_assert_cmpuint (sent, ==, 16);
  spin_until (&o.taken, sent);
  c = mbms_mikey_receiver_get_counters (rx, NULL);
  g_assert_cmpuint (c.accepted, ==, sent);
  g_assert_cmpuint (c.rate_limited, >, 0); /* the forgeries, not the BM-SC */
  g_assert_cmpuint (card->judged_real, ==, sent);
  g_test_message ("%u forgeries sent, %u reached the card", forged, card->judged_forged);
  mbms_uicc_keys_stop (via.keys);
  g_clear_object (&via.keys);
  run_for (50);
  mbms_mikey_receiver_free (rx);
  for (guint i = 0; i < G_N_ELEMENTS (attackers); i++)
    g_object_unref (attackers[i]);
  free_answers (card);
  g_free (o.muk_missing);
}

/* Hostile review M2: the current MTK message, replayed by anyone to another session of its
 * group, gets that session the MTK (counted accepted), but does not make the replayer
 * trusted: its forgeries after it stay on its own budget. */
static void
test_copy_does_not_trust (void)
{
  g_autoptr(TestCard) card = g_object_new (TEST_TYPE_CARD, NULL);
  g_autoptr(GError) error = NULL;
  Via via = { NULL };
  MbmsMikeyReceiver *rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 2, via_card, &via, &error);
  static const MbmsUiccKeysFuncs funcs = { owner_msk_taken, owner_msk_wanted, owner_card_full, owner_mtk_done };
  Owner o = { 0 };
  g_autoptr(GSocket) bmsc = socket_at ("127.0.0.1");
  g_autoptr(GSocket) attacker = socket_at ("127.0.0.9");
  g_autoptr(GBytes) m = mtk_message (0x00010001, 1);
  guint8 key_salt[30] = { 1, 2, 3 };
  guint16 port;
  MbmsMikeyCounters c;

  g_assert_no_error (error);
  port = mbms_mikey_receiver_get_port (rx);
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "127.0.0.2", &error));
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "127.0.0.3", &error));
  via.keys = mbms_uicc_keys_new (GBA_UICC (card), rx, &funcs, &o);
  mbms_uicc_msks_add (mbms_uicc_keys_get_msks (via.keys), DOMAIN, 0x00010001, NULL, NULL);
  answer (card, key_salt, 30, -1);
  send_bytes (bmsc, "127.0.0.2", port, m);
  spin_until (&o.mtks, 1);
  send_bytes (attacker, "127.0.0.3", port, m);
  spin_until (&o.mtks, 2);
  g_assert_cmpuint (card->modes->len, ==, 1); /* the copy: without the card */
  c = mbms_mikey_receiver_get_counters (rx, "127.0.0.3");
  g_assert_cmpuint (c.accepted, ==, 1);
  /* ten forgeries, one at a time: two tokens (and what refills meanwhile), not the trusted
   * budget of 200 */
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(GBytes) f = mtk_message (0x00010001, (guint16) (100 + i));
      guint before = card->modes->len;
      guint64 limited = mbms_mikey_receiver_get_counters (rx, "127.0.0.3").rate_limited;
      gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

      answer (card, NULL, 0, GBA_ERROR_NETWORK_AUTH);
      send_bytes (attacker, "127.0.0.3", port, f);
      while (card->modes->len == before && mbms_mikey_receiver_get_counters (rx, "127.0.0.3").rate_limited == limited
             && g_get_monotonic_time () < end)
        g_main_context_iteration (NULL, FALSE);
      run_for (5);
    }
  g_assert_cmpuint (card->modes->len - 1, <=, 6); /* trusted: all 10 (slack for a slow machine's refill) */
  c = mbms_mikey_receiver_get_counters (rx, "127.0.0.3");
  g_assert_cmpuint (c.rate_limited, >=, 4);
  mbms_uicc_keys_stop (via.keys);
  g_clear_object (&via.keys);
  run_for (50);
  mbms_mikey_receiver_free (rx);
  free_answers (card);
  g_free (o.muk_missing);
}

/* Hostile review M4: the card's MTK goes to another session only while the card holds its
 * MSK; deleting the group, 6A 88, deleting the MUK, the card's removal each drop it, and
 * the copy goes to the card again (which judges it). */
static void
test_copies_dropped (void)
{
  g_autoptr(TestCard) card = g_object_new (TEST_TYPE_CARD, NULL);
  g_autoptr(GError) error = NULL;
  MbmsMikeyReceiver *rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 50, no_datagrams, NULL, &error);
  static const MbmsUiccKeysFuncs funcs = { owner_msk_taken, owner_msk_wanted, owner_card_full, owner_mtk_done };
  Owner o = { 0 };
  g_autoptr(MbmsUiccKeys) keys = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) from = g_inet_socket_address_new (lo, 4000);
  guint8 key_salt[30] = { 9 };
  MbmsUiccMsks *msks;

  g_assert_no_error (error);
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "127.0.0.2", &error));
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "127.0.0.3", &error));
  keys = mbms_uicc_keys_new (GBA_UICC (card), rx, &funcs, &o);
  msks = mbms_uicc_keys_get_msks (keys);
  for (guint round = 0; round < 6; round++)
    {
      g_autoptr(GBytes) m = mtk_message (0x00010001, (guint16) (1 + round));
      guint calls;

      mbms_uicc_msks_add (msks, DOMAIN, 0x00010001, NULL, NULL);
      answer (card, key_salt, 30, -1);
      g_assert_cmpint (submit (keys, m, from, "127.0.0.2"), ==, MBMS_MIKEY_PENDING);
      spin_until (&o.mtks, 2 * round + 1);
      calls = card->modes->len;
      switch (round)
        {
        case 0: /* the card holds it: the copy without the card */
          break;
        case 1: /* the ME no longer counts the MSK on the card */
          mbms_uicc_msks_forget (msks, DOMAIN, 0x00010001);
          break;
        case 2:
          answer (card, "", 0, -1);
          mbms_uicc_keys_delete_group (keys, DOMAIN, 1);
          mbms_uicc_msks_add (msks, DOMAIN, 0x00010001, NULL, NULL); /* as if it came again */
          calls++;
          break;
        case 3: /* 6A 88 to the next MTK message of that MSK */
          {
            g_autoptr(GBytes) next = mtk_message (0x00010001, 50);
            answer (card, NULL, 0, GBA_ERROR_CARD_NOT_FOUND);
            g_assert_cmpint (submit (keys, next, from, "127.0.0.2"), ==, MBMS_MIKEY_PENDING);
            spin_until (&o.mtk_errors, 1);
            mbms_uicc_msks_add (msks, DOMAIN, 0x00010001, NULL, NULL);
            calls++;
          }
          break;
        case 4:
          answer (card, "", 0, -1);
          mbms_uicc_keys_delete_muk (keys, "bmsc.test", "btid@bsf");
          calls++;
          break;
        case 5:
          mbms_uicc_keys_card_removed (keys);
          break;
        }
      if (round > 0)
        answer (card, key_salt, 30, -1);
      g_assert_cmpint (submit (keys, m, from, "127.0.0.3"), ==, MBMS_MIKEY_PENDING);
      spin_until (&o.mtks, 2 * round + 2);
      run_for (20); /* a deletion queued behind it is done too */
      /* round 0: without the card; then the card judges the copy */
      g_assert_cmpuint (card->modes->len, ==, calls + (round > 0));
    }
  mbms_uicc_keys_stop (keys);
  g_clear_object (&keys);
  run_for (50);
  mbms_mikey_receiver_free (rx);
  free_answers (card);
  g_free (o.muk_missing);
}

/* An answer that records, when freed, whether its octets were wiped first. */
typedef struct {
  guint8 *data;
  gsize   len;
  gint    freed, wiped;
} Watch;

static void
watch_free (gpointer p)
{
  Watch *w = p;
  gboolean zero = TRUE;

  for (gsize i = 0; i < w->len; i++)
    zero = zero && w->data[i] == 0;
  g_atomic_int_set (&w->wiped, zero);
  g_free (w->data);
  g_atomic_int_set (&w->freed, TRUE);
}

/* Hostile review M1: stopped while the card computes an MTK: MTK || salt is wiped all the
 * same (GTask frees the unread answer), and the owner hears nothing after the stop. */
static void
test_stop_wipes_answer (void)
{
  g_autoptr(TestCard) card = g_object_new (TEST_TYPE_CARD, NULL);
  g_autoptr(GError) error = NULL;
  MbmsMikeyReceiver *rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 50, no_datagrams, NULL, &error);
  static const MbmsUiccKeysFuncs funcs = { owner_msk_taken, owner_msk_wanted, owner_card_full, owner_mtk_done };
  Owner o = { 0 };
  g_autoptr(MbmsUiccKeys) keys = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) from = g_inet_socket_address_new (lo, 4000);
  g_autoptr(GBytes) m = mtk_message (0x00010001, 1);
  Watch w = { g_malloc (30), 30, FALSE, FALSE };
  Answer *a = g_new0 (Answer, 1);
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_assert_no_error (error);
  g_assert_true (mbms_mikey_receiver_add_destination (rx, "127.0.0.2", &error));
  memset (w.data, 0x5a, w.len);
  a->answer = g_bytes_new_with_free_func (w.data, w.len, watch_free, &w);
  g_queue_push_tail (&card->answers, a);
  card->delay_us = 200000;
  keys = mbms_uicc_keys_new (GBA_UICC (card), rx, &funcs, &o);
  g_assert_cmpint (submit (keys, m, from, "127.0.0.2"), ==, MBMS_MIKEY_PENDING);
  run_for (50); /* on the card now */
  mbms_uicc_keys_stop (keys);
  while (!g_atomic_int_get (&w.freed) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  run_for (50);
  g_assert_true (g_atomic_int_get (&w.freed));
  g_assert_true (g_atomic_int_get (&w.wiped));
  g_assert_cmpuint (o.mtks + o.mtk_errors, ==, 0);
  g_assert_cmpuint (mbms_mikey_receiver_get_counters (rx, "127.0.0.2").accepted, ==, 0);
  g_clear_object (&keys);
  mbms_mikey_receiver_free (rx);
}

/* Hostile review L1: MUK deletion (TS 31.102 7.1.1.10, 4.2.81) with a long B-TID and BM-SC
 * FQDN: BER-TLV lengths (ISO/IEC 8825-1 8.1.3) 81 xx for each ID, 82 hh ll for the whole. */
static void
test_muk_deletion_long_ids (void)
{
  g_autoptr(TestCard) card = g_object_new (TEST_TYPE_CARD, NULL);
  g_autoptr(GError) error = NULL;
  MbmsMikeyReceiver *rx = mbms_mikey_receiver_new ("127.0.0.1", 0, NULL, 50, no_datagrams, NULL, &error);
  static const MbmsUiccKeysFuncs funcs = { owner_msk_taken, owner_msk_wanted, owner_card_full, owner_mtk_done };
  Owner o = { 0 };
  g_autoptr(MbmsUiccKeys) keys = NULL;
  g_autofree char *idi = g_strnfill (250, 'f');
  g_autofree char *idr = g_strnfill (250, 'b');
  g_autoptr(GByteArray) want = g_byte_array_new ();
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GBytes *sent;

  g_assert_no_error (error);
  keys = mbms_uicc_keys_new (GBA_UICC (card), rx, &funcs, &o);
  answer (card, "", 0, -1);
  mbms_uicc_keys_delete_muk (keys, idi, idr);
  while (card->modes->len < 1 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (card->modes->len, ==, 1);
  g_byte_array_append (want, (const guint8 *) "\xa0\x82\x01\xfa" "\x80\x81\xfa", 7);
  g_byte_array_append (want, (const guint8 *) idr, 250);
  g_byte_array_append (want, (const guint8 *) "\x82\x81\xfa", 3);
  g_byte_array_append (want, (const guint8 *) idi, 250);
  sent = g_ptr_array_index (card->data, 0);
  g_assert_cmpmem (g_bytes_get_data (sent, NULL), g_bytes_get_size (sent), want->data, want->len);
  mbms_uicc_keys_stop (keys);
  g_clear_object (&keys);
  run_for (50);
  mbms_mikey_receiver_free (rx);
}

static void
on_derived (GObject *source, GAsyncResult *res, gpointer data)
{
  GbaMbmsKeys **out = data;
  g_autoptr(GError) error = NULL;

  *out = gba_context_derive_mbms_keys_finish (res, &error);
  g_assert_no_error (error);
}

/* GBA_U: the MUK and MRK of a BM-SC (TS 33.246 6.1) come from the card's NAF derivation, run
 * off the main loop; the context may go before the card answers. */
static void
test_naf_derivation_async (void)
{
  g_autoptr(TestCard) card = g_object_new (TEST_TYPE_CARD, NULL);
  GbaContext *context = g_new0 (GbaContext, 1);
  g_autoptr(GbaSecret) ks_ext = gba_secret_new ("Ks_ext_NAF-Ks_ext_NAF-Ks_ext_NA!", 32);
  GbaMbmsKeys *keys = NULL;
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  context->btid = g_strdup ("btid@bsf");
  context->impi = g_strdup ("001010123456789@ims.mnc001.mcc001.3gppnetwork.org");
  context->run = GBA_RUN_U;
  context->uicc = g_object_ref (GBA_UICC (card));
  gba_context_derive_mbms_keys_async (context, "bmsc.test", NULL, on_derived, &keys);
  gba_context_free (context);
  g_assert_null (keys); /* not before the main loop runs again */
  while (keys == NULL && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (keys);
  g_assert_true (keys->muk_on_uicc); /* n°69: the MUK is Ks_int_NAF, on the card */
  g_assert_null (keys->muk);
  g_assert_true (gba_secret_equal (keys->mrk, ks_ext)); /* 6.1: Ks_ext_NAF is the MRK */
  g_assert_cmpstr (keys->muk_idr, ==, "btid@bsf");
  g_assert_cmpstr (keys->muk_idi, ==, "bmsc.test");
  gba_mbms_keys_free (keys);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/uicc-keys/mode", test_mode);
  g_test_add_func ("/uicc-keys/msk-ids", test_msks);
  g_test_add_func ("/uicc-keys/card-path", test_card_path);
  g_test_add_func ("/uicc-keys/naf-derivation-async", test_naf_derivation_async);
  g_test_add_func ("/uicc-keys/flood-through-receiver", test_flood_through_receiver);
  g_test_add_func ("/uicc-keys/copy-does-not-trust", test_copy_does_not_trust);
  g_test_add_func ("/uicc-keys/copies-dropped", test_copies_dropped);
  g_test_add_func ("/uicc-keys/stop-wipes-answer", test_stop_wipes_answer);
  g_test_add_func ("/uicc-keys/muk-deletion-long-ids", test_muk_deletion_long_ids);
  return g_test_run ();
}
