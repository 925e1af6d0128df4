/* Describing a MIKEY message: HDR, EXT Key IDs, T, RAND, IDs, SP, KEMAC, V, and, given the
 * MUK (MSK messages) or the MSK and its MIKEY-RAND (MTK messages), the MAC verdict and the
 * key data: key IDs, types and validity interval. Key bytes only on request. One model is
 * walk prints either JSON or indented text. */
#include "mikey-describe.h"

#include <string.h>

typedef struct {
  GString *out;
  gboolean json;
  guint    depth;
  gboolean first;
} Printer;

static void
json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) s; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if (*p < 0x20)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  g_string_append_c (out, '"');
}

static void
indent (Printer *pr)
{
  for (guint i = 0; i < pr->depth; i++)
    g_string_append (pr->out, "  ");
}

static void
begin (Printer *pr, const char *name)
{
  if (pr->json)
    {
      if (!pr->first)
        g_string_append_c (pr->out, ',');
      if (name != NULL)
        {
          json_string (pr->out, name);
          g_string_append_c (pr->out, ':');
        }
      g_string_append_c (pr->out, '{');
    }
  else
    {
      indent (pr);
      g_string_append_printf (pr->out, "%s\n", name);
    }
  pr->depth++;
  pr->first = TRUE;
}

static void
end (Printer *pr)
{
  pr->depth--;
  pr->first = FALSE;
  if (pr->json)
    g_string_append_c (pr->out, '}');
}

static void
field_str (Printer *pr, const char *name, const char *value)
{
  if (pr->json)
    {
      if (!pr->first)
        g_string_append_c (pr->out, ',');
      json_string (pr->out, name);
      g_string_append_c (pr->out, ':');
      json_string (pr->out, value);
    }
  else
    {
      indent (pr);
      g_string_append_printf (pr->out, "%-14s %s\n", name, value);
    }
  pr->first = FALSE;
}

static void
field_num (Printer *pr, const char *name, guint64 value)
{
  if (pr->json)
    {
      if (!pr->first)
        g_string_append_c (pr->out, ',');
      json_string (pr->out, name);
      g_string_append_printf (pr->out, ":%" G_GUINT64_FORMAT, value);
    }
  else
    {
      indent (pr);
      g_string_append_printf (pr->out, "%-14s %" G_GUINT64_FORMAT "\n", name, value);
    }
  pr->first = FALSE;
}

static void
field_hex (Printer *pr, const char *name, const guint8 *data, gsize len)
{
  g_autoptr(GString) hex = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", data[i]);
  field_str (pr, name, hex->str);
}

static const char *
payload_map_name (guint8 type)
{
  return type == MIKEY_MAP_SRTP_ID ? "SRTP-ID" : type == MIKEY_MAP_EMPTY ? "Empty" : "unknown";
}

static const char *
key_type_name (guint8 type)
{
  static const char *names[] = { "TGK", "TGK+SALT", "TEK", "TEK+SALT" };

  return type < G_N_ELEMENTS (names) ? names[type] : "unknown";
}

static void
describe_header (Printer *pr, const MikeyMessage *msg)
{
  begin (pr, "HDR");
  field_num (pr, "version", msg->version);
  field_str (pr, "data-type", msg->data_type == MIKEY_TYPE_PSK_INIT ? "pre-shared key" : "verification");
  field_str (pr, "v-bit", msg->v_bit ? "set" : "clear");
  {
    g_autofree char *csb = g_strdup_printf ("0x%08x", msg->csb_id);
    field_str (pr, "csb-id", csb);
  }
  field_str (pr, "cs-id-map", payload_map_name (msg->cs_id_map_type));
  for (guint i = 0; i < msg->srtp_ids->len; i++)
    {
      MikeySrtpIdEntry *e = &g_array_index (msg->srtp_ids, MikeySrtpIdEntry, i);
      g_autofree char *name = g_strdup_printf ("cs-%u", i + 1);
      g_autofree char *ssrc = g_strdup_printf ("0x%08x", e->ssrc);
      begin (pr, name);
      field_num (pr, "policy-no", e->policy_no);
      field_str (pr, "ssrc", ssrc);
      field_num (pr, "roc", e->roc);
      end (pr);
    }
  end (pr);
}

static void
describe_key_ids (Printer *pr, const MikeyMessage *msg)
{
  const MikeyKeyIds *ids = &msg->key_ids;

  if (!msg->has_key_ids)
    return;
  begin (pr, "key-ids");
  if (ids->has_domain)
    field_hex (pr, "key-domain-id", ids->domain, 3);
  if (ids->n_msk_ids > 0)
    {
      g_autofree char *msk = g_strdup_printf ("0x%08x", ids->msk_id);
      field_str (pr, "msk-id", msk);
      field_num (pr, "key-group", MGV_MSK_KEY_GROUP (ids->msk_id));
      field_num (pr, "key-number", MGV_MSK_KEY_NUMBER (ids->msk_id));
    }
  if (ids->has_mtk_id)
    field_num (pr, "mtk-id", ids->mtk_id);
  field_str (pr, "message",
             ids->has_mtk_id ? "MTK delivery"
             : MGV_MSK_KEY_NUMBER (ids->msk_id) == 0 ? "solicited pull" : "MSK delivery");
  end (pr);
}

static void
describe_payloads (Printer *pr, const MikeyMessage *msg)
{
  if (msg->has_t)
    {
      begin (pr, "T");
      field_str (pr, "type", msg->ts_type == MIKEY_TS_COUNTER ? "counter" : "NTP");
      field_num (pr, "value", msg->ts_value);
      end (pr);
    }
  if (msg->rand != NULL)
    field_hex (pr, "RAND", g_bytes_get_data (msg->rand, NULL), g_bytes_get_size (msg->rand));
  if (msg->idi != NULL)
    field_str (pr, "IDi", msg->idi);
  if (msg->idr != NULL)
    field_str (pr, "IDr", msg->idr);
  for (guint i = 0; i < msg->policies->len; i++)
    {
      MikeyPolicy *sp = g_ptr_array_index (msg->policies, i);
      begin (pr, "SP");
      field_num (pr, "policy-no", sp->policy_no);
      field_str (pr, "protocol", sp->prot_type == MIKEY_PROT_SRTP ? "SRTP" : "other");
      for (guint j = 0; j < sp->params->len; j++)
        {
          MikeySpParamValue *v = g_ptr_array_index (sp->params, j);
          g_autofree char *name = g_strdup_printf ("param-%u", v->type);
          field_hex (pr, name, g_bytes_get_data (v->value, NULL), g_bytes_get_size (v->value));
        }
      end (pr);
    }
  for (guint i = 0; i < msg->extensions->len; i++)
    {
      MikeyExtension *ext = g_ptr_array_index (msg->extensions, i);
      if (ext->type != MIKEY_EXT_KEY_ID)
        {
          g_autofree char *name = g_strdup_printf ("EXT-type-%u", ext->type);
          field_hex (pr, name, g_bytes_get_data (ext->data, NULL), g_bytes_get_size (ext->data));
        }
    }
}

static void
describe_key_data (Printer *pr, GPtrArray *kds, gboolean show_keys)
{
  for (guint i = 0; i < kds->len; i++)
    {
      MikeyKeyData *kd = g_ptr_array_index (kds, i);
      begin (pr, "key-data");
      field_str (pr, "type", key_type_name (kd->type));
      field_num (pr, "key-length", kd->key ? gba_secret_get_size (kd->key) : 0);
      if (kd->salt != NULL)
        field_num (pr, "salt-length", gba_secret_get_size (kd->salt));
      if (kd->valid_from != NULL && kd->valid_to != NULL)
        {
          guint64 lo = 0, hi = 0;
          for (gsize j = 0; j < g_bytes_get_size (kd->valid_from); j++)
            lo = lo << 8 | ((const guint8 *) g_bytes_get_data (kd->valid_from, NULL))[j];
          for (gsize j = 0; j < g_bytes_get_size (kd->valid_to); j++)
            hi = hi << 8 | ((const guint8 *) g_bytes_get_data (kd->valid_to, NULL))[j];
          field_num (pr, "seq-low", lo);
          field_num (pr, "seq-high", hi);
        }
      if (show_keys && kd->key != NULL)
        field_hex (pr, "key", gba_secret_get_data (kd->key, NULL), gba_secret_get_size (kd->key));
      if (show_keys && kd->salt != NULL)
        field_hex (pr, "salt", gba_secret_get_data (kd->salt, NULL), gba_secret_get_size (kd->salt));
      end (pr);
    }
}

/* Opens the KEMAC with whichever key fits the message; NULL when none was given. */
static void
describe_kemac (Printer *pr, const MikeyMessage *msg, const MikeyDescribeKeys *keys, int *mac_ok)
{
  const GbaSecret *psk = NULL;
  GBytes *rand = NULL;
  MikeyKemacKeys kk = { 0 };
  g_autoptr(GPtrArray) kds = NULL;
  g_autoptr(GError) error = NULL;

  *mac_ok = -1;
  if (!msg->has_kemac)
    return;
  begin (pr, "KEMAC");
  field_str (pr, "encryption", msg->encr_alg == MIKEY_ENCR_AES_CM_128 ? "AES-CM-128" : "other");
  field_num (pr, "encrypted-length", g_bytes_get_size (msg->encr_data));
  field_str (pr, "mac", "HMAC-SHA-1-160");
  if (msg->key_ids.has_mtk_id && keys->msk != NULL && keys->msk_rand != NULL)
    psk = keys->msk, rand = keys->msk_rand;
  else if (!msg->key_ids.has_mtk_id && keys->muk != NULL)
    psk = keys->muk, rand = msg->rand;
  if (psk == NULL)
    field_str (pr, "mac-check", keys->muk != NULL || keys->msk != NULL
                                  ? "not checked (the keys given do not fit this message)"
                                  : "not checked (no key given)");
  else
    {
      mikey_derive_kemac_keys (psk, msg->csb_id, rand, &kk);
      kds = mikey_kemac_open (msg, &kk, &error);
      mikey_kemac_keys_clear (&kk);
      *mac_ok = kds != NULL;
      field_str (pr, "mac-check", kds != NULL ? "valid" : "INVALID");
      if (kds != NULL)
        describe_key_data (pr, kds, keys->show_keys);
    }
  end (pr);
}

static char *
describe (const MikeyMessage *msg, const MikeyDescribeKeys *keys, int *mac_ok, gboolean json)
{
  Printer pr = { g_string_new (NULL), json, 0, TRUE };

  if (json)
    g_string_append_c (pr.out, '{');
  else
    pr.depth = 0;
  describe_header (&pr, msg);
  describe_key_ids (&pr, msg);
  describe_payloads (&pr, msg);
  describe_kemac (&pr, msg, keys, mac_ok);
  if (msg->has_v)
    field_str (&pr, "V", "HMAC-SHA-1-160 verification MAC");
  if (json)
    g_string_append (pr.out, "}\n");
  return g_string_free (pr.out, FALSE);
}

char *
mikey_describe_json (const MikeyMessage *msg, const MikeyDescribeKeys *keys, int *mac_ok)
{
  return describe (msg, keys, mac_ok, TRUE);
}

char *
mikey_describe_text (const MikeyMessage *msg, const MikeyDescribeKeys *keys, int *mac_ok)
{
  return describe (msg, keys, mac_ok, FALSE);
}
