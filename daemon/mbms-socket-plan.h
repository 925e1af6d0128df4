/* The UDP addresses and ports mbmsd's own sockets take (issue 13 item 2): the MIKEY push
 * socket ([mikey] listen and port), each protected session's MTK destination (its address on
 * the MIKEY port) and its SRTP and SRTCP ports. Sockets are bound exclusively, so a plan in
 * which two of ours would share an address and port is refused before anything is bound, with
 * an error naming both. */
#pragma once

#include "mbms-usd.h"

#include <gio/gio.h>

typedef struct _MbmsSocketPlan MbmsSocketPlan;

MbmsSocketPlan *mbms_socket_plan_new (const char *mikey_listen, guint16 mikey_port);
void            mbms_socket_plan_free (MbmsSocketPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MbmsSocketPlan, mbms_socket_plan_free)

/* Checks the protected sessions of service against the plan and against each other; on
 * success they join the plan. G_IO_ERROR_ADDRESS_IN_USE names both users of the port. */
gboolean mbms_socket_plan_add_service (MbmsSocketPlan *plan, const MbmsUserService *service, GError **error);
