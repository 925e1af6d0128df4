/* Small helpers shared by the test programs: vectors from ../shared/vectors, hex. */
#pragma once

#include <glib.h>

/* g_test_init, with GLib's log output on stderr so it never mixes with TAP on stdout. */
void    test_init (int *argc, char ***argv);
/* Path of a file in the shared vectors directory (MBMS_VECTORS_DIR). */
char   *test_vectors_path (const char *name);
/* Contents of a vectors file; fails the test when it is missing. */
char   *test_vectors_read (const char *name);
/* Decodes hex (whitespace ignored); fails the test on bad input. */
GBytes *test_hex_decode (const char *hex);
/* Decodes hex into a fixed buffer of exactly len octets. */
void    test_hex_to (const char *hex, guint8 *out, gsize len);
char   *test_hex_encode (const guint8 *data, gsize len);
/* The value of "name = value" (or "name: value") in the part of text after the line that
 * contains section, up to the next "====" or "[" header; NULL when absent. */
char   *test_vectors_field (const char *text, const char *section, const char *name);
/* Contents of one of the specification's own example documents (tests/data/spec-examples,
 * under MBMS_SOURCE_DIR); fails the test when it is missing. */
char   *test_spec_example (const char *name);
/* A fresh temporary directory, removed by test_tmpdir_remove. */
char   *test_tmpdir_new (void);
void    test_tmpdir_remove (const char *path);
/* A UDP socket (fd) that sends to IPv4 multicast groups on this host only: looped back,
 * TTL 0, out of iface (NULL = the routes' choice). Fails the test if iface is not there. */
void    test_multicast_sender (int fd, const char *iface);
