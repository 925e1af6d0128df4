/* Which of mbmsd's sockets may share an address and port, and which may not.
 *
 * Two uses of the same port conflict when their addresses are equal or either is the wildcard
 * of the other's family (the kernel treats a wildcard bind as covering every address).
 * Exceptions:
 *   - sessions whose MTK messages arrive on the same address: one MTK socket per destination;
 *   - a multicast MTK destination when the push socket listens on the wildcard: the group is
 *     joined on the push socket (mbms-mikey-receiver.c);
 *   - the same session (address, RTP and RTCP port) described by two user services: one
 *     broadcast session may belong to several services (TS 26.346 5.2.2). Only one of them
 *     streams it at a time on a unicast address (the other's StartStreaming gets EADDRINUSE);
 *     on a multicast group each gets its copy. */
#include "mbms-socket-plan.h"

typedef enum { USE_PUSH, USE_MTK, USE_SRTP } UseKind;

typedef struct {
  UseKind       kind;
  GInetAddress *address;
  guint16       port;
  char         *what;    /* for the error: "[mikey] listen 0.0.0.0:2269", "SRTP of urn:... at 239.1.1.1:5004" */
  char         *service; /* NULL for the push socket */
  guint32       session; /* SRTP: RTP port << 16 | RTCP port, the session it belongs to */
} Use;

struct _MbmsSocketPlan {
  GArray *uses; /* Use */
};

static void
use_clear (Use *u)
{
  g_clear_object (&u->address);
  g_free (u->what);
  g_free (u->service);
}

MbmsSocketPlan *
mbms_socket_plan_new (const char *mikey_listen, guint16 mikey_port)
{
  MbmsSocketPlan *plan = g_new0 (MbmsSocketPlan, 1);
  GInetAddress *inet = g_inet_address_new_from_string (mikey_listen);

  plan->uses = g_array_new (FALSE, TRUE, sizeof (Use));
  g_array_set_clear_func (plan->uses, (GDestroyNotify) use_clear);
  if (inet != NULL)
    {
      Use u = { USE_PUSH, inet, mikey_port, g_strdup_printf ("[mikey] listen %s:%u", mikey_listen, mikey_port), NULL,
                0 };
      g_array_append_val (plan->uses, u);
    }
  return plan;
}

void
mbms_socket_plan_free (MbmsSocketPlan *plan)
{
  if (plan == NULL)
    return;
  g_array_unref (plan->uses);
  g_free (plan);
}

static gboolean
conflict (const Use *a, const Use *b)
{
  gboolean same_family = g_inet_address_get_family (a->address) == g_inet_address_get_family (b->address);

  if (a->port != b->port || !same_family)
    return FALSE;
  if (!g_inet_address_equal (a->address, b->address) && !g_inet_address_get_is_any (a->address)
      && !g_inet_address_get_is_any (b->address))
    return FALSE;
  if (a->kind == USE_MTK && b->kind == USE_MTK && g_inet_address_equal (a->address, b->address))
    return FALSE; /* one MTK socket for both */
  if ((a->kind == USE_PUSH && b->kind == USE_MTK && g_inet_address_get_is_any (a->address)
       && g_inet_address_get_is_multicast (b->address))
      || (b->kind == USE_PUSH && a->kind == USE_MTK && g_inet_address_get_is_any (b->address)
          && g_inet_address_get_is_multicast (a->address)))
    return FALSE; /* joined on the wildcard push socket */
  if (a->kind == USE_SRTP && b->kind == USE_SRTP && a->session == b->session
      && g_inet_address_equal (a->address, b->address) && g_strcmp0 (a->service, b->service) != 0)
    return FALSE; /* the same session, described by another service */
  return TRUE;
}

static gboolean
add_use (GArray *uses, UseKind kind, const char *address, guint16 port, const char *what, const char *service,
         guint32 session, GError **error)
{
  Use u = { kind, g_inet_address_new_from_string (address), port, g_strdup (what), g_strdup (service), session };

  if (u.address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: \"%s\" is not an IP address", what, address);
      use_clear (&u);
      return FALSE;
    }
  for (guint i = 0; i < uses->len; i++)
    if (conflict (&g_array_index (uses, Use, i), &u))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                     "%s and %s would share UDP port %u: mbmsd binds its sockets exclusively", u.what,
                     g_array_index (uses, Use, i).what, port);
        use_clear (&u);
        return FALSE;
      }
  g_array_append_val (uses, u);
  return TRUE;
}

gboolean
mbms_socket_plan_add_service (MbmsSocketPlan *plan, const MbmsUserService *service, GError **error)
{
  g_autoptr(GArray) uses = g_array_copy (plan->uses);
  guint16 mikey_port = 0;
  guint known = plan->uses->len;

  /* the copy shares the entries' pointers: take references so either can be freed */
  g_array_set_clear_func (uses, (GDestroyNotify) use_clear);
  for (guint i = 0; i < uses->len; i++)
    {
      Use *u = &g_array_index (uses, Use, i);
      g_object_ref (u->address);
      u->what = g_strdup (u->what);
      u->service = g_strdup (u->service);
      if (u->kind == USE_PUSH)
        mikey_port = u->port;
    }
  for (guint i = 0; service->protected && i < service->sessions->len; i++)
    {
      const MbmsRtpSession *r = g_ptr_array_index (service->sessions, i);
      guint16 rtcp = r->rtcp_port ? r->rtcp_port : (guint16) (r->port + 1);
      guint32 id = (guint32) r->port << 16 | rtcp;
      g_autofree char *mtk = NULL, *rtp = NULL, *rtcp_what = NULL;

      if (!r->srtp)
        continue;
      mtk = g_strdup_printf ("MTK messages of %s at %s:%u", service->service_id, r->address, mikey_port);
      rtp = g_strdup_printf ("SRTP of %s at %s:%u", service->service_id, r->address, r->port);
      rtcp_what = g_strdup_printf ("SRTCP of %s at %s:%u", service->service_id, r->address, rtcp);
      if (!add_use (uses, USE_MTK, r->address, mikey_port, mtk, service->service_id, 0, error)
          || !add_use (uses, USE_SRTP, r->address, r->port, rtp, service->service_id, id, error)
          || !add_use (uses, USE_SRTP, r->address, rtcp, rtcp_what, service->service_id, id, error))
        return FALSE;
    }
  for (guint i = known; i < uses->len; i++)
    {
      Use u = g_array_index (uses, Use, i);
      g_object_ref (u.address);
      u.what = g_strdup (u.what);
      u.service = g_strdup (u.service);
      g_array_append_val (plan->uses, u);
    }
  return TRUE;
}
