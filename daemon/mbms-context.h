/* What a user service and its sessions need from the daemon, handed down by the manager when
 * it makes them (the way BoltManager hands each BoltDevice its parts): plain pointers, all
 * owned by the manager, which outlives its services. What travels back up goes by the
 * service's signals, never through this struct. */
#pragma once

#include "mbms-authorizer.h"
#include "mbms-clock.h"
#include "mbms-config.h"
#include "mbms-keymgmt.h"
#include "mbms-mikey-receiver.h"
#include "mbms-msk-requests.h"
#include "mbms-registrations.h"
#include "mbms-uicc-keys.h"
#include "mgv.h"

G_BEGIN_DECLS

typedef struct {
  const MbmsConfig         *config;
  MbmsClock                *clock;
  MgvStore                 *store;         /* MGV-S */
  MbmsKeymgmt              *keymgmt;       /* the BM-SC client */
  MbmsRegistrations        *registrations; /* the user's, kept across restarts (6.3.2.1A) */
  GDBusObjectManagerServer *objects;       /* exports the Service and Session objects */
  MbmsAuthorizer           *authorizer;
  MbmsMskRequests          *msk_requests;  /* what was asked of the BM-SCs, per key group */
  MbmsMikeyReceiver        *mikey;         /* MIKEY sockets: read for the sessions' drop counters */
  const char               *key_management; /* the card's mode, MBMS_KM_ME or MBMS_KM_UICC (mbms-km-mode.h) */
  MbmsUiccKeys             *uicc_keys;     /* UICC key management; NULL with "me" */
} MbmsContext;

G_END_DECLS
