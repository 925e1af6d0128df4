/* Describing a MIKEY message for people and for scripts (mbmsctl decode-mikey). */
#pragma once

#include "mgv.h"

typedef struct {
  GbaSecret *muk;       /* verifies and opens an MSK message */
  GbaSecret *msk;       /* with msk_rand: verifies and opens an MTK message */
  GBytes    *msk_rand;
  gboolean   show_keys; /* key bytes only when asked */
} MikeyDescribeKeys;

/* A JSON object describing msg; key bytes only with keys->show_keys. *mac_ok is set when
 * keys allowed a MAC check (1 = valid, 0 = invalid, -1 = not checked). */
char *mikey_describe_json (const MikeyMessage *msg, const MikeyDescribeKeys *keys, int *mac_ok);
/* The same as indented text. */
char *mikey_describe_text (const MikeyMessage *msg, const MikeyDescribeKeys *keys, int *mac_ok);
