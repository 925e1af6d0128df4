/* The key management fixture: the lab BSF and BM-SC on a loopback HTTP server, a software
 * USIM, the BM-SC client on a fake clock, an MGV-S store fed by "muk-ready" and the UE's MIKEY
 * socket. Shared by the BM-SC client's tests and the daemon's registration tests. */
#pragma once

#include "mbms-keymgmt.h"
#include "lab-bmsc.h"
#include "mgv.h"

#include <libsoup/soup.h>

#define IMSI "001010123456789"
#define IMPI IMSI "@ims.mnc001.mcc001.3gppnetwork.org"
#define K    "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OPC  "cd63cb71954a9f4e48a5994e37a02baf"
#define NEWS "urn:mbmsd:lab:service:news"
#define FILM "urn:mbmsd:lab:service:film"

extern const guint8 DOMAIN[3];

/* Timers fire on the next main loop iteration; their delays are recorded. */
typedef struct {
  MbmsClock base;
  GArray   *delays;
  double    random;
} FakeClock;

typedef struct {
  char        *dir;
  LabBsf      *bsf;
  LabBmsc     *bmsc;
  SoupServer  *server;
  char        *bmsc_uri;
  GbaUicc     *uicc;
  GbaBootstrapper *bootstrapper;
  FakeClock    clock;
  MbmsKeymgmt *km;
  MgvStore    *store;
  GSocket     *ue_socket;
  guint        muk_ready;            /* "muk-ready" emissions */
  guint        registered_at_muk;    /* lab_bmsc_registered () at the last one */
} Fx;

/* fx_set_up's data: NULL, or options. gba_u: the subscriber runs GBA_U (lab BSF gba-u) on a
 * GbaUCard (gba-u-card.h), fx->uicc. */
typedef struct {
  gboolean gba_u;
} FxOptions;

void               fake_clock_init (FakeClock *fc, double random);
void               fx_set_up (Fx *fx, gconstpointer data);
void               fx_tear_down (Fx *fx, gconstpointer data);
MbmsKeymgmtResult *request (Fx *fx, const char *uri, MbmsKeymgmtRequest type, GBytes *body, guint offset,
                            guint period, GError **error);
MbmsKeymgmtResult *register_services (Fx *fx, const char *const *ids, gboolean deregister, GError **error);
/* The status the BM-SC gave one service / one MSK, 0 when it listed none. */
guint              item_status (MbmsKeymgmtResult *r, const char *service_id);
guint              msk_item_status (MbmsKeymgmtResult *r, const MbmsMskRef *ref);
MgvMskOutcome      receive_msk (Fx *fx);
void               wait_for_acks (Fx *fx, guint n);
/* At the end of main: GIO's TLS module, which the https case loads, has dynamic TLS that
 * crashes LeakSanitizer's thread walk (clang 14, glibc 2.36); the programs run with
 * use_tls=0 (tests/meson.build), and idle worker threads end first so that what they cache
 * is gone, not suppressed. */
void               fx_end_worker_threads (void);
