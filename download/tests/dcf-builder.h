/* DCFs built for the tests from the box layouts (ISO/IEC 14496-12 Box/FullBox, the OMA DRM v2
 * DCF boxes, our reading of 'obki'), encrypted and signed with OpenSSL directly, not by
 * download/ code. */
#pragma once

#include <glib.h>

extern const guint8 dcf_test_encr_key[16];
extern const guint8 dcf_test_auth_key[20];
extern const guint8 dcf_test_key_id[9]; /* Key Domain ID 00 f1 10, MSK ID 0x00010002, MTK ID 7 */

typedef struct {
  guint8        method;
  guint8        padding;
  guint32       minor;
  guint8        key_id_type;
  guint8        obki_flags;
  const char   *key_id;       /* NULL: base64 of key_id_raw (or of the raw below) */
  const guint8 *key_id_raw;   /* NULL: dcf_test_key_id */
  gboolean      no_obki;
  gboolean      no_mdri;
  gboolean      after_mdri;   /* a box after mdri */
  gboolean      largesize;    /* odda with size 1 + largesize */
  guint8        sig_method;
  gint64        plaintext_length_delta;
  const guint8 *sign_key;     /* NULL: dcf_test_auth_key */
  const guint8 *encr_key;     /* NULL: dcf_test_encr_key */
  const char   *content_type; /* NULL: text/plain */
} DcfShape;

#define DCF_SHAPE(...) ((DcfShape) { .method = 1, .padding = 1, .minor = 2, .key_id_type = 2, .sig_method = 1, __VA_ARGS__ })

GBytes *dcf_build (const DcfShape *s, const guint8 *plaintext, gsize len);
