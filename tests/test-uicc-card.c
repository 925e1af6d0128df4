/* The USIM layer over a scripted transport: each test lists the command APDUs the layer must
 * send (hex, CLA without channel bits) and the card's answers, written from TS 31.102 7.1.2,
 * TS 102 221 (and its Annex M for ODD chaining); the layer's bytes are compared exactly. The
 * end-to-end path through a card peer is tests/integration/test-cards.py. */
#include "gba-apdu.h"
#include "gba-card.h"
#include "test-util.h"

#include <string.h>

/* ---------------------------------------------------------------- a scripted transport */

typedef struct {
  const char *command;  /* expected, hex; "*" any */
  const char *response; /* hex, data || SW; "RESET" / "ABSENT" for a transport error */
} Step;

#define SCRIPT_TYPE (script_get_type ())
G_DECLARE_FINAL_TYPE (Script, script, SCRIPT, TRANSPORT, GbaCardTransport)

struct _Script {
  GbaCardTransport parent_instance;
  const Step      *steps;
  guint            n_steps;
  guint            next;
  guint            connects;
  GString         *mismatch;
};

G_DEFINE_FINAL_TYPE (Script, script, GBA_TYPE_CARD_TRANSPORT)

static char *
to_hex (const guint8 *d, gsize len)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02X", d[i]);
  return g_string_free (s, FALSE);
}

static GBytes *
from_hex (const char *hex)
{
  g_autoptr(GError) error = NULL;
  GBytes *b = gba_hex_to_bytes (hex, &error);

  g_assert_no_error (error);
  return b;
}

static gboolean
script_connect (GbaCardTransport *t, GCancellable *c, GError **error)
{
  SCRIPT_TRANSPORT (t)->connects++;
  return TRUE;
}

static void
script_disconnect (GbaCardTransport *t)
{
}

static GBytes *
script_transmit (GbaCardTransport *t, guint channel, GBytes *apdu, GCancellable *c, GError **error)
{
  Script *self = SCRIPT_TRANSPORT (t);
  gsize len;
  const guint8 *d = g_bytes_get_data (apdu, &len);
  g_autofree char *hex = to_hex (d, len);
  const Step *step;

  if (self->next >= self->n_steps)
    {
      g_string_append_printf (self->mismatch, "unexpected command %s after the script; ", hex);
      g_set_error (error, GBA_ERROR, GBA_ERROR_UICC, "script ended");
      return NULL;
    }
  step = &self->steps[self->next++];
  if (strcmp (step->command, "*") != 0 && g_ascii_strcasecmp (step->command, hex) != 0)
    g_string_append_printf (self->mismatch, "step %u: sent %s, expected %s; ", self->next, hex, step->command);
  if (channel != 0 && channel != 1)
    g_string_append_printf (self->mismatch, "step %u on channel %u; ", self->next, channel);
  if (strcmp (step->response, "RESET") == 0)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_RESET, "card reset");
      return NULL;
    }
  if (strcmp (step->response, "ABSENT") == 0)
    {
      g_set_error (error, GBA_ERROR, GBA_ERROR_CARD_ABSENT, "card gone");
      return NULL;
    }
  return from_hex (step->response);
}

static void
script_finalize (GObject *o)
{
  g_string_free (SCRIPT_TRANSPORT (o)->mismatch, TRUE);
  G_OBJECT_CLASS (script_parent_class)->finalize (o);
}

static void
script_class_init (ScriptClass *klass)
{
  GbaCardTransportClass *t = GBA_CARD_TRANSPORT_CLASS (klass);

  t->backend = "script";
  t->connect = script_connect;
  t->disconnect = script_disconnect;
  t->transmit = script_transmit;
  G_OBJECT_CLASS (klass)->finalize = script_finalize;
}

static void
script_init (Script *self)
{
  self->mismatch = g_string_new (NULL);
}

static Script *
script_new (const Step *steps, guint n)
{
  Script *s = g_object_new (SCRIPT_TYPE, NULL);

  s->steps = steps;
  s->n_steps = n;
  return s;
}

static void
assert_script_done (Script *s)
{
  g_assert_cmpstr (s->mismatch->str, ==, "");
  g_assert_cmpuint (s->next, ==, s->n_steps);
}

/* ---------------------------------------------------------------- the USIM at start */

#define AID "A0000000871002FF49FF0589000001FF"
/* FCPs (TS 102 221 11.1.1.3): a DF, a linear fixed EF_DIR of 2 records of 32, transparent EFs */
#define FCP_DF "621A82027821830200008410" AID
#define FCP_DIR "620B820542210020028002" "0040"
#define FCP_T(size) "6207" "820141" "8002" size

/* EF_DIR record 1 (61 { 4F AID, 50 "USIM" }), record 2 empty */
#define DIR_REC1 "61184F10" AID "5004" "5553494D" "FFFFFFFFFFFF"
#define DIR_REC2 "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"

/* ICCID 8988211000000000001 in nibble-swapped BCD, F-padded; IMSI 001010123456789 (odd:
 * 15 digits, first byte 0x09 = digit 0, parity odd, type 1); EF_AD MNC 2; EF_UST n°68 + n°69 */
#define ICCID_EF "988812010000000000F1" "9000"
#define IMSI_EF "080910101032547698" "9000"
#define AD_EF "00000002" "9000"
#define UST_EF "0000000000000000" "18" "00000000000000" "9000"

#define START_STEPS(pin)                                                                                               \
  { "00A4000402" "3F00" "00", FCP_DF "9000" }, { "00A4000402" "2F00" "00", FCP_DIR "9000" },                            \
  { "00B2010420", DIR_REC1 "9000" },                                                                                    \
  { "00A4000402" "3F00" "00", FCP_DF "9000" }, { "00A4000402" "2FE2" "00", FCP_T ("000A") "9000" },                    \
  { "00B000000A", ICCID_EF }, { "0070000001", "019000" }, { "00A4040410" AID "00", FCP_DF "9000" },                    \
  { "00200001", pin }

#define FILE_STEPS                                                                                                     \
  { "00A4000402" "6F07" "00", FCP_T ("0009") "9000" }, { "00B0000009", IMSI_EF },                                       \
  { "00A4000402" "6FAD" "00", FCP_T ("0004") "9000" }, { "00B0000004", AD_EF },                                         \
  { "00A4000402" "6F38" "00", FCP_T ("0010") "9000" }, { "00B0000010", UST_EF }

static const Step start_steps[] = { START_STEPS ("9000"), FILE_STEPS };

static void
test_select_and_identity (void)
{
  g_autoptr(Script) s = script_new (start_steps, G_N_ELEMENTS (start_steps));
  g_autoptr(GbaUicc) uicc = gba_uicc_card_new (GBA_CARD_TRANSPORT (s));
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaUiccIdentity) id = gba_uicc_read_identity (uicc, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (id->iccid, ==, "8988211000000000001");
  g_assert_cmpstr (id->imsi, ==, "001010123456789");
  g_assert_cmpuint (id->mnc_len, ==, 2);
  g_assert_cmpstr (id->impi, ==, "001010123456789@ims.mnc001.mcc001.3gppnetwork.org");
  g_assert_cmpint (gba_uicc_get_capabilities (uicc), ==, GBA_UICC_CAP_GBA_U | GBA_UICC_CAP_MBMS);
  g_assert_cmpstr (gba_uicc_card_get_backend (GBA_UICC_CARD (uicc)), ==, "script");
  assert_script_done (s);
}

static void
test_pin_locked_never_verified (void)
{
  /* 63C3: verification needed, 3 tries left. Nothing follows: no VERIFY with data, ever. */
  static const Step steps[] = { START_STEPS ("63C3") };
  static const Step blocked[] = { START_STEPS ("6983") };
  g_autoptr(Script) s = script_new (steps, G_N_ELEMENTS (steps));
  g_autoptr(Script) b = script_new (blocked, G_N_ELEMENTS (blocked));
  g_autoptr(GbaUicc) uicc = gba_uicc_card_new (GBA_CARD_TRANSPORT (s));
  g_autoptr(GbaUicc) ub = gba_uicc_card_new (GBA_CARD_TRANSPORT (b));
  g_autoptr(GError) error = NULL;

  g_assert_false (gba_uicc_card_open (GBA_UICC_CARD (uicc), NULL, &error));
  g_assert_error (error, GBA_ERROR, GBA_ERROR_CARD_LOCKED);
  g_assert_nonnull (strstr (error->message, "3 tries left"));
  assert_script_done (s);
  g_clear_error (&error);
  g_assert_false (gba_uicc_card_open (GBA_UICC_CARD (ub), NULL, &error));
  g_assert_error (error, GBA_ERROR, GBA_ERROR_CARD_LOCKED);
  assert_script_done (b);
}

#define RAND "00112233445566778899AABBCCDDEEFF"
#define AUTN "FFEEDDCCBBAA99887766554433221100"
#define AUTH_3G "0088008122" "10" RAND "10" AUTN "00"
#define RES "0102030405060708"
#define CK "11111111111111111111111111111111"
#define IK "22222222222222222222222222222222"

static GbaAkaResult *
authenticate (GbaUicc *uicc, GError **error)
{
  guint8 rand[16], autn[16];

  g_assert_true (gba_hex_to_buf (RAND, rand, 16));
  g_assert_true (gba_hex_to_buf (AUTN, autn, 16));
  return gba_uicc_authenticate (uicc, rand, autn, NULL, error);
}

/* T=0: the answer comes as 61xx and GET RESPONSE (TS 102 221 7.3.1.1.5.1) */
static void
test_authenticate_t0_ok_sync_mac (void)
{
  static const Step steps[] = {
    START_STEPS ("9000"), FILE_STEPS,
    { AUTH_3G, "612C" }, { "00C000002C", "DB08" RES "10" CK "10" IK "9000" },
    { AUTH_3G, "6110" }, { "00C0000010", "DC0E" "0A0B0C0D0E0F" "1112131415161718" "9000" },
    { AUTH_3G, "9862" },
  };
  g_autoptr(Script) s = script_new (steps, G_N_ELEMENTS (steps));
  g_autoptr(GbaUicc) uicc = gba_uicc_card_new (GBA_CARD_TRANSPORT (s));
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaAkaResult) ok = authenticate (uicc, &error);
  g_autoptr(GbaAkaResult) sync = authenticate (uicc, &error);
  g_autoptr(GbaAkaResult) mac = authenticate (uicc, &error);
  guint8 want_auts[14];

  g_assert_no_error (error);
  g_assert_cmpint (ok->status, ==, GBA_AKA_OK);
  g_assert_cmpuint (gba_secret_get_size (ok->res), ==, 8);
  g_assert_cmpuint (gba_secret_get_data (ok->ck, NULL)[0], ==, 0x11);
  g_assert_cmpuint (gba_secret_get_data (ok->ik, NULL)[15], ==, 0x22);
  g_assert_cmpint (sync->status, ==, GBA_AKA_SYNC_FAILURE);
  g_assert_true (gba_hex_to_buf ("0A0B0C0D0E0F1112131415161718", want_auts, 14));
  g_assert_cmpmem (sync->auts, 14, want_auts, 14);
  g_assert_cmpint (mac->status, ==, GBA_AKA_MAC_FAILURE);
  assert_script_done (s);
}

/* A reset card: connected, selected and read again, then the command repeated once */
static void
test_reset_reconnects_and_reselects (void)
{
  static const Step steps[] = {
    START_STEPS ("9000"), FILE_STEPS,
    { AUTH_3G, "RESET" },
    START_STEPS ("9000"), FILE_STEPS,
    { AUTH_3G, "DB08" RES "10" CK "10" IK "9000" },
  };
  g_autoptr(Script) s = script_new (steps, G_N_ELEMENTS (steps));
  g_autoptr(GbaUicc) uicc = gba_uicc_card_new (GBA_CARD_TRANSPORT (s));
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaAkaResult) ok = NULL;

  g_assert_true (gba_uicc_card_open (GBA_UICC_CARD (uicc), NULL, &error));
  ok = authenticate (uicc, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ok->status, ==, GBA_AKA_OK);
  g_assert_cmpuint (s->connects, ==, 2);
  assert_script_done (s);
}

static void
test_removed_mid_command (void)
{
  static const Step steps[] = { START_STEPS ("9000"), FILE_STEPS, { AUTH_3G, "ABSENT" } };
  g_autoptr(Script) s = script_new (steps, G_N_ELEMENTS (steps));
  g_autoptr(GbaUicc) uicc = gba_uicc_card_new (GBA_CARD_TRANSPORT (s));
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaAkaResult) r = NULL;

  g_assert_true (gba_uicc_card_open (GBA_UICC_CARD (uicc), NULL, &error));
  g_assert_true (gba_uicc_card_is_present (GBA_UICC_CARD (uicc)));
  r = authenticate (uicc, &error);
  g_assert_null (r);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_CARD_ABSENT);
  g_assert_false (gba_uicc_card_is_present (GBA_UICC_CARD (uicc)));
  assert_script_done (s);
}

/* ---------------------------------------------------------------- GBA_U and MBMS */

static void
test_gba_u_bootstrap_naf_and_gbabp (void)
{
  /* EF_GBABP of 40 bytes holding the card's RAND, empty B-TID and lifetime (7.1.1.4) */
  static const Step steps[] = {
    START_STEPS ("9000"), FILE_STEPS,
    { "0088008423" "DD10" RAND "10" AUTN "00", "DB08" RES "9000" },
    { "00A4000402" "6FD6" "00", FCP_T ("0028") "9000" },
    { "00B0000028", "1000112233445566778899AABBCCDDEEFF0000FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF" "9000" },
    /* 4.2.79: 10 RAND, 05 "a@bsf", 04 "2026", then 'FF' to the end of the file */
    { "00D6000028" "1000112233445566778899AABBCCDDEEFF0561406273660432303236FFFFFFFFFFFFFFFFFFFFFFFF", "9000" },
  };
  g_autoptr(Script) s = script_new (steps, G_N_ELEMENTS (steps));
  g_autoptr(GbaUicc) uicc = gba_uicc_card_new (GBA_CARD_TRANSPORT (s));
  g_autoptr(GError) error = NULL;
  g_autoptr(GbaAkaResult) r = NULL;
  guint8 rand[16], autn[16];

  g_assert_true (gba_hex_to_buf (RAND, rand, 16));
  g_assert_true (gba_hex_to_buf (AUTN, autn, 16));
  r = gba_uicc_gba_bootstrap (uicc, rand, autn, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->status, ==, GBA_AKA_OK);
  g_assert_null (r->ck); /* the card keeps Ks */
  g_assert_true (gba_uicc_gba_store_btid (uicc, rand, "a@bsf", "2026", NULL, &error));
  g_assert_no_error (error);
  assert_script_done (s);
}

static void
test_gba_u_naf_derivation (void)
{
  static const Step steps[] = {
    START_STEPS ("9000"), FILE_STEPS,
    { "0088008415" "DE08" "6E61662E74657374" "0A" "696D70694068657265" "2E" "00",
      "DB20" "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F" "9000" },
    { "*", "6985" },
  };
  g_autoptr(Script) s = script_new (steps, G_N_ELEMENTS (steps));
  g_autoptr(GbaUicc) uicc = gba_uicc_card_new (GBA_CARD_TRANSPORT (s));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) naf_id = g_bytes_new_static ("naf.test", 8);
  g_autoptr(GbaSecret) ks_ext = gba_uicc_gba_naf_derive (uicc, naf_id, "impi@here.", NULL, &error);
  g_autoptr(GbaSecret) none = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (gba_secret_get_size (ks_ext), ==, 32);
  g_assert_cmpuint (gba_secret_get_data (ks_ext, NULL)[31], ==, 0x1F);
  /* 7.1.1.5: no bootstrapped key material on the card */
  none = gba_uicc_gba_naf_derive (uicc, naf_id, "impi@here.", NULL, &error);
  g_assert_null (none);
  g_assert_error (error, GBA_ERROR, GBA_ERROR_CARD_CONDITIONS);
  assert_script_done (s);
}

/* ODD AUTHENTICATE with a 300-byte MIKEY message: 53 82 01 2D 01 msg in two blocks (80, 00;
 * 63F1 between), 62F3, then the response in two blocks (A0, 20; 62F1 between) */
static void
test_mbms_chaining (void)
{
  g_autoptr(GString) msg = g_string_new (NULL);
  g_autoptr(GString) first = g_string_new ("00898085FF" "5382012D02");
  g_autoptr(GString) second = g_string_new ("0089008532");
  Step steps[9 + 6 + 4] = { START_STEPS ("9000"), FILE_STEPS };
  g_autoptr(Script) s = NULL;
  g_autoptr(GbaUicc) uicc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GBytes) answer = NULL;

  for (int i = 0; i < 300; i++)
    g_string_append_printf (msg, "%02X", i & 0xFF);
  g_string_append_len (first, msg->str, 250 * 2);
  g_string_append (second, msg->str + 250 * 2);
  steps[15] = (Step) { first->str, "63F1" };
  steps[16] = (Step) { second->str, "62F3" };
  steps[17] = (Step) { "0089A08500", "5314DBAABBCCDDEEFF0011223362F1" };
  steps[18] = (Step) { "0089208500", "445566778899AABBCC9000" };
  s = script_new (steps, G_N_ELEMENTS (steps));
  uicc = gba_uicc_card_new (GBA_CARD_TRANSPORT (s));
  payload = from_hex (msg->str);
  answer = gba_uicc_mbms_command (uicc, GBA_UICC_MBMS_MTK_GENERATION, payload, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (answer), ==, 19); /* MTK (16) || 3 more, DB dropped */
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (answer, NULL))[0], ==, 0xAA);
  assert_script_done (s);
}

static void
test_mbms_status_words (void)
{
  static const Step steps[] = {
    START_STEPS ("9000"), FILE_STEPS,
    { "0089808508" "530601" "00F1100001", "9865" },
    { "0089808508" "530603" "00F1100001", "6A88" },
  };
  g_autoptr(Script) s = script_new (steps, G_N_ELEMENTS (steps));
  g_autoptr(GbaUicc) uicc = gba_uicc_card_new (GBA_CARD_TRANSPORT (s));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = from_hex ("00F1100001");
  guint8 kd[3] = { 0x00, 0xF1, 0x10 };
  g_autoptr(GBytes) del = gba_apdu_build_msk_deletion (kd, 0x0001);

  g_assert_true (g_bytes_equal (data, del)); /* mode 03: Key Domain ID || Key Group */
  g_assert_null (gba_uicc_mbms_command (uicc, GBA_UICC_MBMS_MSK_UPDATE, data, NULL, &error));
  g_assert_error (error, GBA_ERROR, GBA_ERROR_CARD_KEY_FRESHNESS);
  g_clear_error (&error);
  g_assert_null (gba_uicc_mbms_command (uicc, GBA_UICC_MBMS_MSK_DELETION, del, NULL, &error));
  g_assert_error (error, GBA_ERROR, GBA_ERROR_CARD_NOT_FOUND);
  assert_script_done (s);
}

/* ---------------------------------------------------------------- parsers */

static void
test_parsers_reject (void)
{
  static const char *bad_auth[] = { "", "DB", "DB08010203", "DB0801020304050607081011", "DC0D" "00000000000000000000000000",
                                    "DE00", "DB0401020304" "10" CK "10" IK "FF" };
  static const char *bad_mbms[] = { "", "54", "5301", "5302DB", "5381", "538101DB", "5301DC", "5301DB00" };
  static const char *bad_imsi[] = { "", "08", "0909101001325476", "08F910100132547698", "080110100132547698" };
  g_autoptr(GError) error = NULL;
  GbaFcp fcp;
  gsize used, len;

  for (guint i = 0; i < G_N_ELEMENTS (bad_auth); i++)
    {
      g_autoptr(GBytes) b = from_hex (bad_auth[i]);
      g_autoptr(GbaAkaResult) r = gba_apdu_parse_auth_3g (g_bytes_get_data (b, NULL), g_bytes_get_size (b), &error);
      g_assert_null (r);
      g_assert_error (error, GBA_ERROR, GBA_ERROR_UICC);
      g_clear_error (&error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_mbms); i++)
    {
      g_autoptr(GBytes) b = from_hex (bad_mbms[i]);
      g_autoptr(GBytes) r = gba_apdu_parse_mbms_response (g_bytes_get_data (b, NULL), g_bytes_get_size (b), &error);
      g_assert_null (r);
      g_clear_error (&error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_imsi); i++)
    {
      g_autoptr(GBytes) b = from_hex (bad_imsi[i]);
      g_autofree char *r = gba_apdu_decode_imsi (g_bytes_get_data (b, NULL), g_bytes_get_size (b), &error);
      g_assert_null (r);
      g_clear_error (&error);
    }
  {
    g_autoptr(GBytes) ok = from_hex ("5301DB");
    g_autoptr(GBytes) r = gba_apdu_parse_mbms_response (g_bytes_get_data (ok, NULL), 3, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_bytes_get_size (r), ==, 0); /* MSK update without verification message */
  }
  /* BER lengths: shortest forms only */
  g_assert_false (gba_apdu_ber_length_decode ((const guint8 *) "\x81\x10", 2, &len, &used));
  g_assert_true (gba_apdu_ber_length_decode ((const guint8 *) "\x82\x01\x2D", 3, &len, &used));
  g_assert_cmpuint (len, ==, 301);
  g_assert_false (gba_apdu_parse_fcp ((const guint8 *) "\x62\x05\x80\x02", 4, &fcp, &error));
  g_clear_error (&error);
  g_assert_cmpuint (gba_apdu_cla (0), ==, 0x00);
  g_assert_cmpuint (gba_apdu_cla (3), ==, 0x03);
  g_assert_cmpuint (gba_apdu_cla (4), ==, 0x40);
  g_assert_cmpuint (gba_apdu_cla (19), ==, 0x4F);
  {
    g_autoptr(GBytes) t = gba_apdu_build_muk_id_tlv ((const guint8 *) "a@b", 3, (const guint8 *) "bmsc", 4, &error);
    g_autoptr(GBytes) want = from_hex ("A00B" "8003" "614062" "8204" "626D7363");
    g_assert_true (g_bytes_equal (t, want)); /* 4.2.81: A0 { 80 Idr, 82 Idi } */
  }
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/gba/card/select-usim-from-ef-dir-and-read-identity", test_select_and_identity);
  g_test_add_func ("/gba/card/pin-locked-reported-never-verified", test_pin_locked_never_verified);
  g_test_add_func ("/gba/card/authenticate-3g-t0-ok-sync-mac", test_authenticate_t0_ok_sync_mac);
  g_test_add_func ("/gba/card/reset-reconnects-and-reselects", test_reset_reconnects_and_reselects);
  g_test_add_func ("/gba/card/removed-mid-command", test_removed_mid_command);
  g_test_add_func ("/gba/card/gba-u-bootstrap-and-ef-gbabp", test_gba_u_bootstrap_naf_and_gbabp);
  g_test_add_func ("/gba/card/gba-u-naf-derivation", test_gba_u_naf_derivation);
  g_test_add_func ("/gba/card/mbms-odd-chaining", test_mbms_chaining);
  g_test_add_func ("/gba/card/mbms-status-words", test_mbms_status_words);
  g_test_add_func ("/gba/card/parsers-reject", test_parsers_reject);
  return g_test_run ();
}
