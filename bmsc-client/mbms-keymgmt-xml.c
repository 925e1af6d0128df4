/* Key management bodies, TS 33.246 G.2.1-G.2.3 and 6.3.2.4. The element names are those of
 * the table below (TS 26.346 11.4-11.8; docs/interpretations.md records which could not be
 * checked); responses are read by local name, liberally: a <status> (or <statusCode>) with a
 * code as text or code attribute, belonging to the serviceId or key IDs beside it. */
#include "mbms-keymgmt-xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#define KM_NS_REGISTER    "urn:3GPP:metadata:2005:MBMS:mbmsRegister"
#define KM_NS_DEREGISTER  "urn:3GPP:metadata:2005:MBMS:mbmsDeregister"
#define KM_NS_MSK_REQUEST "urn:3GPP:metadata:2005:MBMS:mskRequest"
#define KM_REGISTER       "mbmsRegister"
#define KM_DEREGISTER     "mbmsDeregister"
#define KM_SERVICE_ID     "serviceId"
#define KM_MSK_REQUEST    "mskRequest"
#define KM_KEY            "key"
#define KM_KEY_DOMAIN     "keyDomainID"
#define KM_MSK_ID         "MSKID"
#define KM_STATUS         "status"
#define KM_STATUS_ALT     "statusCode"
#define KM_CODE_ATTR      "code"
#define KM_MAX_BODY       (64 * 1024)
#define KM_MAX_ITEMS      256

void
mbms_item_status_clear (MbmsItemStatus *s)
{
  g_clear_pointer (&s->item, g_free);
}

char *
mbms_msk_ref_to_item (const MbmsMskRef *ref)
{
  return g_strdup_printf ("%02x%02x%02x/%08x", ref->domain[0], ref->domain[1], ref->domain[2], ref->msk_id);
}

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

GBytes *
mbms_keymgmt_build_msk_request (const MbmsMskRef *refs, guint n_refs)
{
  GString *s = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

  g_string_append (s, "<" KM_MSK_REQUEST " xmlns=\"" KM_NS_MSK_REQUEST "\">\n");
  for (guint i = 0; i < n_refs; i++)
    g_string_append_printf (s, "  <" KM_KEY "><" KM_KEY_DOMAIN ">%02x%02x%02x</" KM_KEY_DOMAIN "><" KM_MSK_ID
                               ">%08x</" KM_MSK_ID "></" KM_KEY ">\n",
                            refs[i].domain[0], refs[i].domain[1], refs[i].domain[2], refs[i].msk_id);
  g_string_append (s, "</" KM_MSK_REQUEST ">\n");
  return g_string_free_to_bytes (s);
}

static gboolean
is (xmlNode *n, const char *name)
{
  return n != NULL && n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0;
}

static char *
content (xmlNode *n)
{
  xmlChar *c = xmlNodeGetContent (n);
  char *t = g_strstrip (g_strdup ((const char *) c));

  xmlFree (c);
  return t;
}

static char *
prop (xmlNode *n, const char *name)
{
  xmlChar *v = xmlGetProp (n, (const xmlChar *) name);
  char *t = v ? g_strstrip (g_strdup ((const char *) v)) : NULL;

  xmlFree (v);
  return t;
}

/* The item a status belongs to: serviceId (attribute or sibling element), or the key IDs. */
static char *
item_of (xmlNode *status)
{
  xmlNode *parent = status->parent;
  g_autofree char *domain = NULL;
  g_autofree char *msk = NULL;
  char *id = prop (status, KM_SERVICE_ID);

  if (id != NULL)
    return id;
  for (xmlNode *c = parent ? parent->children : NULL; c != NULL; c = c->next)
    {
      if (is (c, KM_SERVICE_ID))
        return content (c);
      /* the first of each counts (found by fuzz-keymgmt-response: repeats leaked) */
      if (is (c, KM_KEY_DOMAIN) && domain == NULL)
        domain = content (c);
      if (is (c, KM_MSK_ID) && msk == NULL)
        msk = content (c);
    }
  if (domain != NULL && msk != NULL)
    {
      g_autofree char *d = g_ascii_strdown (domain, -1);
      g_autofree char *m = g_ascii_strdown (msk, -1);
      return g_strdup_printf ("%s/%s", d, m);
    }
  return NULL;
}

static gboolean
collect (xmlNode *node, GArray *out, guint depth, GError **error)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (is (c, KM_STATUS) || is (c, KM_STATUS_ALT))
        {
          g_autofree char *code = prop (c, KM_CODE_ATTR);
          guint64 v;
          MbmsItemStatus st = { 0 };

          if (code == NULL)
            code = content (c);
          if (!g_ascii_string_to_unsigned (code, 10, 100, 599, &v, NULL))
            {
              g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_PARSE, "<%s> (line %ld): \"%.16s\" is not a status code",
                           (const char *) c->name, xmlGetLineNo (c), code);
              return FALSE;
            }
          if (out->len >= KM_MAX_ITEMS)
            {
              g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_LIMIT, "more than %d status items", KM_MAX_ITEMS);
              return FALSE;
            }
          st.item = item_of (c);
          st.status = (guint) v;
          if (st.item == NULL)
            {
              g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_PARSE,
                           "<%s> (line %ld): no serviceId or key IDs for this status", (const char *) c->name,
                           xmlGetLineNo (c));
              return FALSE;
            }
          g_array_append_val (out, st);
        }
      else if (depth < 8 && !collect (c, out, depth + 1, error))
        return FALSE;
    }
  return TRUE;
}

GArray *
mbms_keymgmt_parse_response (const char *body, gsize len, GError **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, TRUE, sizeof (MbmsItemStatus));
  xmlDoc *doc;
  gboolean ok;

  g_array_set_clear_func (out, (GDestroyNotify) mbms_item_status_clear);
  if (len == 0 || len > KM_MAX_BODY)
    {
      g_set_error (error, MBMS_USD_ERROR, MBMS_USD_ERROR_LIMIT, "response body of %zu octets", len);
      return NULL;
    }
  doc = xmlReadMemory (body, (int) len, "response", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL || doc->intSubset != NULL || xmlDocGetRootElement (doc) == NULL)
    {
      if (doc != NULL)
        xmlFreeDoc (doc);
      g_set_error_literal (error, MBMS_USD_ERROR, MBMS_USD_ERROR_PARSE,
                           "response body is not well-formed XML without a DTD");
      return NULL;
    }
  ok = collect (xmlDocGetRootElement (doc), out, 0, error);
  xmlFreeDoc (doc);
  return ok ? g_steal_pointer (&out) : NULL;
}
