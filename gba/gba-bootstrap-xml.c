/* The bootstrapping information body of the BSF's 200 OK: application/vnd.3gpp.bsf+xml,
 * TS 24.109 Annex C (B-TID, key lifetime, optional <Extension><currenttime>). */
#include "gba.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#define GBA_BSF_XML_NS        "uri:3gpp-gba" /* TS 24.109 C.2 targetNamespace */
#define GBA_BSF_XML_MAX_LEN   (64 * 1024)    /* a real body is a few hundred octets */
#define GBA_BSF_XML_MAX_BTID  1024           /* base64(RAND) "@" FQDN, TS 33.220 4.5.2 */

void
gba_bootstrap_info_free (GbaBootstrapInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->btid);
  g_clear_pointer (&info->lifetime, g_date_time_unref);
  g_clear_pointer (&info->current_time, g_date_time_unref);
  g_free (info);
}

static gboolean
fail (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, GBA_ERROR, GBA_ERROR_PARSE, "BSF XML: %s", msg);
  return FALSE;
}

static gboolean
is_element (xmlNode *node, const char *name)
{
  /* Unknown namespaces and elements are ignored (TS 24.109 C.1); ours must be in uri:3gpp-gba
   * or, leniently, in no namespace. */
  if (node->type != XML_ELEMENT_NODE || strcmp ((const char *) node->name, name) != 0)
    return FALSE;
  return node->ns == NULL || strcmp ((const char *) node->ns->href, GBA_BSF_XML_NS) == 0;
}

static char *
element_text (xmlNode *node)
{
  xmlChar *content = xmlNodeGetContent (node);
  char *text = g_strstrip (g_strdup ((const char *) content));

  xmlFree (content);
  return text;
}

/* xs:dateTime in UTC ("Z"). A value without a designator is read as UTC too. */
static GDateTime *
parse_datetime (xmlNode *node, GError **error)
{
  g_autofree char *text = element_text (node);
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  GDateTime *dt = g_date_time_new_from_iso8601 (text, utc);

  if (dt == NULL)
    {
      fail (error, "<%s> \"%.64s\" is not an xs:dateTime (line %ld)",
            (const char *) node->name, text, xmlGetLineNo (node));
      return NULL;
    }
  return dt;
}

static gboolean
parse_extension (xmlNode *ext, GbaBootstrapInfo *info, GError **error)
{
  for (xmlNode *child = ext->children; child != NULL; child = child->next)
    if (is_element (child, "currenttime") && info->current_time == NULL)
      {
        info->current_time = parse_datetime (child, error);
        if (info->current_time == NULL)
          return FALSE;
      }
  return TRUE;
}

static gboolean
parse_root (xmlNode *root, GbaBootstrapInfo *info, GError **error)
{
  if (root == NULL || !is_element (root, "BootstrappingInfo"))
    return fail (error, "root element is <%s>, expected <BootstrappingInfo>",
                 root != NULL ? (const char *) root->name : "(none)");

  for (xmlNode *child = root->children; child != NULL; child = child->next)
    {
      if (is_element (child, "btid"))
        {
          if (info->btid != NULL)
            return fail (error, "<btid> appears twice (line %ld)", xmlGetLineNo (child));
          info->btid = element_text (child);
        }
      else if (is_element (child, "lifetime"))
        {
          if (info->lifetime != NULL)
            return fail (error, "<lifetime> appears twice (line %ld)", xmlGetLineNo (child));
          info->lifetime = parse_datetime (child, error);
          if (info->lifetime == NULL)
            return FALSE;
        }
      else if (is_element (child, "Extension") && !parse_extension (child, info, error))
        return FALSE;
    }

  if (info->btid == NULL || info->btid[0] == '\0')
    return fail (error, "<btid> is missing or empty");
  if (strlen (info->btid) > GBA_BSF_XML_MAX_BTID || strchr (info->btid, '@') == NULL
      || !g_utf8_validate (info->btid, -1, NULL))
    return fail (error, "<btid> is not of the form base64(RAND)@BSF-name (TS 33.220 4.5.2)");
  if (info->lifetime == NULL)
    return fail (error, "<lifetime> is missing");
  return TRUE;
}

GbaBootstrapInfo *
gba_bootstrap_info_parse (const char *data, gsize len, GError **error)
{
  g_autoptr(GbaBootstrapInfo) info = g_new0 (GbaBootstrapInfo, 1);
  xmlParserCtxt *ctxt;
  xmlDoc *doc;
  gboolean ok;

  if (len == 0 || len > GBA_BSF_XML_MAX_LEN)
    {
      fail (error, "body of %zu octets (expected 1..%d)", len, GBA_BSF_XML_MAX_LEN);
      return NULL;
    }
  /* No network, no entity substitution, no DTD loading: hostile bodies stay inert. A parser
   * context of its own: the error is this body's, never a stale one of an earlier parse. */
  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    {
      fail (error, "out of memory");
      return NULL;
    }
  doc = xmlCtxtReadMemory (ctxt, data, (int) len, "bsf.xml", NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
  if (doc == NULL)
    {
      const xmlError *xe = xmlCtxtGetLastError (ctxt);
      g_autofree char *why = g_strdup (xe != NULL && xe->message != NULL ? xe->message : "unknown error");
      fail (error, "not well-formed XML at line %d: %s", xe != NULL ? xe->line : 0, g_strchomp (why));
      xmlFreeParserCtxt (ctxt);
      return NULL;
    }
  xmlFreeParserCtxt (ctxt);
  if (doc->intSubset != NULL)
    ok = fail (error, "a document type declaration is not allowed");
  else
    ok = parse_root (xmlDocGetRootElement (doc), info, error);
  xmlFreeDoc (doc);
  return ok ? g_steal_pointer (&info) : NULL;
}

/* xs:dateTime in UTC; the year always has four digits (GLib's %Y does not pad). */
static char *
format_utc (GDateTime *dt)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc (dt);

  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ", g_date_time_get_year (utc),
                          g_date_time_get_month (utc), g_date_time_get_day_of_month (utc),
                          g_date_time_get_hour (utc), g_date_time_get_minute (utc),
                          g_date_time_get_second (utc));
}

char *
gba_bootstrap_info_to_xml (const GbaBootstrapInfo *info)
{
  g_autofree char *lifetime = format_utc (info->lifetime);
  g_autofree char *btid = g_markup_escape_text (info->btid, -1);
  GString *xml = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

  g_string_append_printf (xml, "<BootstrappingInfo xmlns=\"" GBA_BSF_XML_NS "\">\n"
                          "  <btid>%s</btid>\n  <lifetime>%s</lifetime>\n", btid, lifetime);
  if (info->current_time != NULL)
    {
      g_autofree char *now = format_utc (info->current_time);
      g_string_append_printf (xml, "  <Extension><currenttime>%s</currenttime></Extension>\n", now);
    }
  g_string_append (xml, "</BootstrappingInfo>\n");
  return g_string_free (xml, FALSE);
}
