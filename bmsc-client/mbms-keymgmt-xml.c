/* Key management bodies, TS 26.346 V16.11.1 11.4-11.8 (schemas SecurityRegistration.xsd,
 * SecurityDeregistration.xsd, mskRequest.xsd, securityRegistrationResponse.xsd,
 * mskResponse.xsd; all elementFormDefault="qualified"):
 *
 *   mbmsSecurityRegister    urn:3GPP:metadata:2005:MBMS:securityRegistration     serviceID 1..n
 *   mbmsSecurityDeregister  urn:3GPP:metadata:2005:MBMS:securityDeregistration   serviceID 1..n
 *   mbmsMSKRequest          urn:3GPP:metadata:2005:MBMS:mskRequest               MSK{keyDomainID, MSKID} 1..n
 *   mbmsSecurityRegisterResponse  urn:3GPP:metadata:2005:MBMS:securityRegistrationResponse
 *                                 Response{serviceID, ResponseCode} 1..n
 *   mbmsMSKResponse         urn:3GPP:metadata:2005:MBMS:mskResponse
 *                           Response{MSK{keyDomainID, MSKID}, ResponseCode} 1..n
 *
 * keyDomainID and MSKID are xs:base64Binary (3 and 4 octets). Responses are read per item:
 * ResponseCode by its leading status code, elements of other namespaces and stray text
 * passed over, an item that cannot be read kept with its problem (TS 33.246 6.3.2.4). */
#include "mbms-keymgmt-xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#define KM_NS_REGISTER          "urn:3GPP:metadata:2005:MBMS:securityRegistration"
#define KM_NS_DEREGISTER        "urn:3GPP:metadata:2005:MBMS:securityDeregistration"
#define KM_NS_MSK_REQUEST       "urn:3GPP:metadata:2005:MBMS:mskRequest"
#define KM_NS_REGISTER_RESPONSE "urn:3GPP:metadata:2005:MBMS:securityRegistrationResponse"
#define KM_NS_MSK_RESPONSE      "urn:3GPP:metadata:2005:MBMS:mskResponse"
#define KM_REGISTER             "mbmsSecurityRegister"
#define KM_DEREGISTER           "mbmsSecurityDeregister"
#define KM_MSK_REQUEST          "mbmsMSKRequest"
#define KM_REGISTER_RESPONSE    "mbmsSecurityRegisterResponse"
#define KM_MSK_RESPONSE         "mbmsMSKResponse"
#define KM_SERVICE_ID           "serviceID"
#define KM_MSK                  "MSK"
#define KM_KEY_DOMAIN           "keyDomainID"
#define KM_MSK_ID               "MSKID"
#define KM_RESPONSE             "Response"
#define KM_RESPONSE_CODE        "ResponseCode"
#define KM_MAX_BODY             (64 * 1024)
#define KM_MAX_ITEMS            256

void
mbms_item_status_clear (MbmsItemStatus *s)
{
  g_clear_pointer (&s->service_id, g_free);
  g_clear_pointer (&s->response_code, g_free);
  g_clear_pointer (&s->problem, g_free);
}

/* ------------------------------------------------------------------ requests */

GBytes *
mbms_keymgmt_build_register (const char *const *service_ids, gboolean deregister)
{
  GString *s = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  const char *root = deregister ? KM_DEREGISTER : KM_REGISTER;

  g_string_append_printf (s, "<%s xmlns=\"%s\">\n", root, deregister ? KM_NS_DEREGISTER : KM_NS_REGISTER);
  for (guint i = 0; service_ids[i] != NULL; i++)
    {
      g_autofree char *id = g_markup_escape_text (service_ids[i], -1);
      g_string_append_printf (s, "  <" KM_SERVICE_ID ">%s</" KM_SERVICE_ID ">\n", id);
    }
  g_string_append_printf (s, "</%s>\n", root);
  return g_string_free_to_bytes (s);
}

static void
append_msk (GString *s, const MbmsMskRef *ref, const char *indent)
{
  guint8 id[4] = { ref->msk_id >> 24, ref->msk_id >> 16, ref->msk_id >> 8, ref->msk_id };
  g_autofree char *domain = g_base64_encode (ref->domain, MBMS_KEY_DOMAIN_LEN);
  g_autofree char *msk = g_base64_encode (id, sizeof id);

  g_string_append_printf (s, "%s<" KM_MSK "><" KM_KEY_DOMAIN ">%s</" KM_KEY_DOMAIN "><" KM_MSK_ID ">%s</" KM_MSK_ID
                             "></" KM_MSK ">\n", indent, domain, msk);
}

GBytes *
mbms_keymgmt_build_msk_request (const MbmsMskRef *refs, guint n_refs)
{
  GString *s = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

  g_string_append (s, "<" KM_MSK_REQUEST " xmlns=\"" KM_NS_MSK_REQUEST "\">\n");
  for (guint i = 0; i < n_refs; i++)
    append_msk (s, &refs[i], "  ");
  g_string_append (s, "</" KM_MSK_REQUEST ">\n");
  return g_string_free_to_bytes (s);
}

/* ----------------------------------------------------------------- responses */

static gboolean
is (xmlNode *n, const char *ns, const char *name)
{
  return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL
         && strcmp ((const char *) n->ns->href, ns) == 0 && strcmp ((const char *) n->name, name) == 0;
}

static char *
content (xmlNode *n)
{
  xmlChar *c = xmlNodeGetContent (n);
  char *t = g_strstrip (g_strdup (c != NULL ? (const char *) c : ""));

  xmlFree (c);
  return t;
}

/* The first element of that name among n's children. */
static xmlNode *
child (xmlNode *n, const char *ns, const char *name)
{
  for (xmlNode *c = n->children; c != NULL; c = c->next)
    if (is (c, ns, name))
      return c;
  return NULL;
}

static char *
read_msk (xmlNode *msk, const char *ns, MbmsMskRef *out)
{
  xmlNode *d = child (msk, ns, KM_KEY_DOMAIN);
  xmlNode *m = child (msk, ns, KM_MSK_ID);
  g_autofree char *dt = d != NULL ? content (d) : NULL;
  g_autofree char *mt = m != NULL ? content (m) : NULL;
  guint8 id[4];

  if (dt == NULL || mt == NULL)
    return g_strdup_printf ("<%s> without <%s>", KM_MSK, dt == NULL ? KM_KEY_DOMAIN : KM_MSK_ID);
  if (!mbms_key_id_from_base64 (dt, out->domain, MBMS_KEY_DOMAIN_LEN))
    return g_strdup_printf ("<%s> \"%.16s\" is not 3 octets in base64", KM_KEY_DOMAIN, dt);
  if (!mbms_key_id_from_base64 (mt, id, sizeof id))
    return g_strdup_printf ("<%s> \"%.16s\" is not 4 octets in base64", KM_MSK_ID, mt);
  out->msk_id = (guint32) id[0] << 24 | (guint32) id[1] << 16 | (guint32) id[2] << 8 | id[3];
  return NULL;
}

/* "200 OK" -> 200: the Status-Code of an HTTP status line (RFC 2616 6.1.1), three digits,
 * then the end or a space before the reason phrase. */
static guint
leading_status (const char *code)
{
  if (!g_ascii_isdigit (code[0]) || !g_ascii_isdigit (code[1]) || !g_ascii_isdigit (code[2])
      || (code[3] != '\0' && code[3] != ' ' && code[3] != '\t'))
    return 0;
  if (code[0] < '1' || code[0] > '5')
    return 0;
  return (guint) ((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
}

static void
read_item (xmlNode *response, const char *ns, gboolean msk_response, MbmsItemStatus *st)
{
  xmlNode *code = child (response, ns, KM_RESPONSE_CODE);

  if (msk_response)
    {
      xmlNode *msk = child (response, ns, KM_MSK);
      st->problem = msk != NULL ? read_msk (msk, ns, &st->msk) : g_strdup ("no <" KM_MSK ">");
      st->has_msk = st->problem == NULL;
    }
  else
    {
      xmlNode *id = child (response, ns, KM_SERVICE_ID);
      st->service_id = id != NULL ? content (id) : NULL;
      if (st->service_id == NULL || st->service_id[0] == '\0' || !g_utf8_validate (st->service_id, -1, NULL))
        {
          g_clear_pointer (&st->service_id, g_free);
          st->problem = g_strdup ("no <" KM_SERVICE_ID ">");
        }
    }
  if (st->problem != NULL)
    return;
  if (code == NULL)
    {
      st->problem = g_strdup ("no <" KM_RESPONSE_CODE ">");
      return;
    }
  st->response_code = content (code);
  st->status = leading_status (st->response_code);
  if (st->status == 0)
    st->problem = g_strdup_printf ("<%s> \"%.32s\" has no status code", KM_RESPONSE_CODE, st->response_code);
}

GArray *
mbms_keymgmt_parse_response (const char *body, gsize len, gboolean msk_response, GError **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, TRUE, sizeof (MbmsItemStatus));
  const char *ns = msk_response ? KM_NS_MSK_RESPONSE : KM_NS_REGISTER_RESPONSE;
  const char *root_name = msk_response ? KM_MSK_RESPONSE : KM_REGISTER_RESPONSE;
  xmlParserCtxt *ctxt;
  xmlDoc *doc;
  xmlNode *root;

  g_array_set_clear_func (out, (GDestroyNotify) mbms_item_status_clear);
  if (len == 0 || len > KM_MAX_BODY)
    {
      g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_LIMIT, "response body of %zu octets", len);
      return NULL;
    }
  ctxt = xmlNewParserCtxt ();
  doc = ctxt != NULL ? xmlCtxtReadMemory (ctxt, body, (int) len, "response", NULL,
                                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
                     : NULL;
  xmlFreeParserCtxt (ctxt);
  root = doc != NULL ? xmlDocGetRootElement (doc) : NULL;
  if (root == NULL || doc->intSubset != NULL)
    {
      if (doc != NULL)
        xmlFreeDoc (doc);
      g_set_error_literal (error, MBMS_USD_ERROR, MBMS_USD_ERROR_PARSE,
                           "response body is not well-formed XML without a DTD");
      return NULL;
    }
  if (!is (root, ns, root_name))
    {
      g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_PARSE, "response root is <%s%s%s>, expected <%s> in %s",
                   root->ns != NULL && root->ns->prefix != NULL ? (const char *) root->ns->prefix : "",
                   root->ns != NULL && root->ns->prefix != NULL ? ":" : "", (const char *) root->name, root_name, ns);
      xmlFreeDoc (doc);
      return NULL;
    }
  for (xmlNode *c = root->children; c != NULL; c = c->next)
    {
      MbmsItemStatus st = { 0 };

      if (!is (c, ns, KM_RESPONSE))
        continue; /* stray text, comments, xs:any ##other */
      if (out->len >= KM_MAX_ITEMS)
        {
          g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_LIMIT, "more than %d response items", KM_MAX_ITEMS);
          xmlFreeDoc (doc);
          return NULL;
        }
      read_item (c, ns, msk_response, &st);
      g_array_append_val (out, st);
    }
  xmlFreeDoc (doc);
  return g_steal_pointer (&out);
}

const MbmsItemStatus *
mbms_keymgmt_item_for_service (GArray *items, const char *service_id)
{
  for (guint i = 0; items != NULL && i < items->len; i++)
    {
      const MbmsItemStatus *st = &g_array_index (items, MbmsItemStatus, i);
      if (g_strcmp0 (st->service_id, service_id) == 0)
        return st;
    }
  return NULL;
}

const MbmsItemStatus *
mbms_keymgmt_item_for_msk (GArray *items, const MbmsMskRef *ref)
{
  for (guint i = 0; items != NULL && i < items->len; i++)
    {
      const MbmsItemStatus *st = &g_array_index (items, MbmsItemStatus, i);
      if (st->has_msk && st->msk.msk_id == ref->msk_id && memcmp (st->msk.domain, ref->domain, MBMS_KEY_DOMAIN_LEN) == 0)
        return st;
    }
  return NULL;
}
