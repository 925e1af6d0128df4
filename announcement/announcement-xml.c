/* XML reading shared by the announcement documents (announcement-xml.h). */
#include "announcement-xml.h"

#include <libxml/parser.h>
#include <string.h>

gboolean
announcement_fail (GError **error, MbmsUsdError code, xmlNode *node, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  if (node != NULL)
    g_set_error (error, MBMS_USD_ERROR, code, "<%s> (line %ld): %s", (const char *) node->name, xmlGetLineNo (node),
                 msg);
  else
    g_set_error (error, MBMS_USD_ERROR, code, "%s", msg);
  return FALSE;
}

xmlDoc *
announcement_xml_read (const char *xml, gsize len, gsize max_len, const char *what, GError **error)
{
  xmlParserCtxt *ctxt;
  xmlDoc *doc;

  if (len > max_len || len > G_MAXINT)
    {
      announcement_fail (error, MBMS_USD_ERROR_LIMIT, NULL, "%s of %zu octets exceeds %zu", what, len, max_len);
      return NULL;
    }
  /* a context of its own: its error is this document's, never a stale one of an earlier parse */
  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    {
      announcement_fail (error, MBMS_USD_ERROR_LIMIT, NULL, "%s: out of memory", what);
      return NULL;
    }
  doc = xmlCtxtReadMemory (ctxt, xml, (int) len, what, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL || xmlDocGetRootElement (doc) == NULL)
    {
      const xmlError *xe = xmlCtxtGetLastError (ctxt);
      g_autofree char *why = g_strdup (xe != NULL && xe->message != NULL ? xe->message : "no root element");
      announcement_fail (error, MBMS_USD_ERROR_PARSE, NULL, "%s is not well-formed XML (line %d): %s", what,
                         xe != NULL ? xe->line : 0, g_strchomp (why));
      if (doc != NULL)
        xmlFreeDoc (doc);
      xmlFreeParserCtxt (ctxt);
      return NULL;
    }
  xmlFreeParserCtxt (ctxt);
  if (doc->intSubset != NULL)
    {
      xmlFreeDoc (doc);
      announcement_fail (error, MBMS_USD_ERROR_PARSE, NULL, "%s: a document type declaration is not allowed", what);
      return NULL;
    }
  return doc;
}

gboolean
announcement_xml_check_depth (xmlNode *node, guint depth, guint max_depth, GError **error)
{
  if (depth > max_depth)
    return announcement_fail (error, MBMS_USD_ERROR_LIMIT, node, "nested deeper than %u elements", max_depth);
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && !announcement_xml_check_depth (c, depth + 1, max_depth, error))
      return FALSE;
  return TRUE;
}

gboolean
announcement_xml_in_ns (xmlNode *node, const char *ns)
{
  if (node->type != XML_ELEMENT_NODE)
    return FALSE;
  if (ns == NULL)
    return node->ns == NULL;
  return node->ns != NULL && node->ns->href != NULL && strcmp ((const char *) node->ns->href, ns) == 0;
}

gboolean
announcement_xml_is (xmlNode *node, const char *ns, const char *local_name)
{
  return announcement_xml_in_ns (node, ns) && strcmp ((const char *) node->name, local_name) == 0;
}

char *
announcement_xml_text (xmlNode *node)
{
  xmlChar *c = xmlNodeGetContent (node);
  char *t = g_strstrip (g_strdup (c != NULL ? (const char *) c : ""));

  xmlFree (c);
  return t;
}

char *
announcement_xml_attr (xmlNode *node, const char *name)
{
  /* unqualified attributes only: a prefixed one of the same name belongs to another schema */
  xmlChar *v = xmlGetNoNsProp (node, (const xmlChar *) name);
  char *out = v != NULL ? g_strstrip (g_strdup ((const char *) v)) : NULL;

  xmlFree (v);
  return out;
}

gboolean
announcement_xml_parse_boolean (const char *text, gboolean *out)
{
  if (g_strcmp0 (text, "true") == 0 || g_strcmp0 (text, "1") == 0)
    *out = TRUE;
  else if (g_strcmp0 (text, "false") == 0 || g_strcmp0 (text, "0") == 0)
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

gboolean
mbms_key_id_from_base64 (const char *text, guint8 *out, gsize len)
{
  g_autofree char *compact = NULL;
  g_autofree guchar *raw = NULL;
  gsize n = 0, got = 0;

  if (text == NULL)
    return FALSE;
  /* xs:base64Binary allows whitespace between the characters; none of g_base64's leniency */
  compact = g_strdup (text);
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      compact[n++] = *p;
  compact[n] = '\0';
  if (n == 0 || n % 4 != 0 || n > 64
      || strspn (compact, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n
      || (strchr (compact, '=') != NULL && strspn (strchr (compact, '='), "=") != strlen (strchr (compact, '='))))
    return FALSE;
  raw = g_base64_decode (compact, &got);
  if (got != len)
    return FALSE;
  memcpy (out, raw, len);
  return TRUE;
}
