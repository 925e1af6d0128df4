/* The XML reading that every announcement document shares: hostile input stays inert (no
 * DTD, no entities, no network; size and depth limits) and elements are matched by namespace
 * and local name, since the TS 26.346 schemas are elementFormDefault="qualified". Private to
 * announcement/. */
#pragma once

#include "mbms-usd.h"

#include <libxml/tree.h>

/* Parses a whole document of at most max_len octets; what names it in errors. */
xmlDoc  *announcement_xml_read (const char *xml, gsize len, gsize max_len, const char *what, GError **error);
/* Elements nested at most max_depth deep. */
gboolean announcement_xml_check_depth (xmlNode *node, guint depth, guint max_depth, GError **error);
/* An element of namespace ns (NULL: no namespace) named local_name. */
gboolean announcement_xml_is (xmlNode *node, const char *ns, const char *local_name);
/* An element of namespace ns whose name none of the caller knows: the schemas allow other
 * namespaces anywhere (xs:any ##other) but no unknown name of their own. */
gboolean announcement_xml_in_ns (xmlNode *node, const char *ns);
/* Text content / unqualified attribute (attributeFormDefault unqualified), stripped. */
char    *announcement_xml_text (xmlNode *node);
char    *announcement_xml_attr (xmlNode *node, const char *name);
/* xs:boolean (XML Schema Part 2, 3.2.2): true, false, 1, 0. */
gboolean announcement_xml_parse_boolean (const char *text, gboolean *out);

gboolean announcement_fail (GError **error, MbmsUsdError code, xmlNode *node, const char *format, ...)
  G_GNUC_PRINTF (4, 5);
