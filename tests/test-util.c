/* Helpers shared by the test programs. */
#include "test-util.h"

#include <glib/gstdio.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

void
test_init (int *argc, char ***argv)
{
  g_test_init (argc, argv, NULL);
  g_log_writer_default_set_use_stderr (TRUE);
}

char *
test_vectors_path (const char *name)
{
  const char *dir = g_getenv ("MBMS_VECTORS_DIR");

  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

char *
test_vectors_read (const char *name)
{
  g_autofree char *path = test_vectors_path (name);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

GBytes *
test_hex_decode (const char *hex)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  int hi = -1;

  for (const char *p = hex; *p != '\0'; p++)
    {
      int v;

      if (g_ascii_isspace (*p))
        continue;
      v = hex_value (*p);
      g_assert_cmpint (v, >=, 0);
      if (hi < 0)
        hi = v;
      else
        {
          guint8 b = (guint8) (hi << 4 | v);
          g_byte_array_append (out, &b, 1);
          hi = -1;
        }
    }
  g_assert_cmpint (hi, ==, -1);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

void
test_hex_to (const char *hex, guint8 *out, gsize len)
{
  g_autoptr(GBytes) bytes = test_hex_decode (hex);

  g_assert_cmpuint (g_bytes_get_size (bytes), ==, len);
  memcpy (out, g_bytes_get_data (bytes, NULL), len);
}

char *
test_hex_encode (const guint8 *data, gsize len)
{
  GString *s = g_string_sized_new (len * 2 + 1);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

char *
test_vectors_field (const char *text, const char *section, const char *name)
{
  const char *start = strstr (text, section);
  g_auto(GStrv) lines = NULL;
  gsize name_len = strlen (name);

  if (start == NULL)
    return NULL;
  start = strchr (start, '\n');
  if (start == NULL)
    return NULL;
  lines = g_strsplit (start + 1, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (g_str_has_prefix (line, "====") || g_str_has_prefix (line, "["))
        break;
      while (*line == ' ')
        line++;
      if (strncmp (line, name, name_len) == 0)
        {
          const char *rest = line + name_len;

          while (*rest == ' ')
            rest++;
          if (*rest != '=' && *rest != ':')
            continue;
          rest++;
          while (*rest == ' ')
            rest++;
          /* the value ends at two spaces or a comment */
          {
            const char *end = rest;
            while (*end != '\0' && !(end[0] == ' ' && (end[1] == ' ' || end[1] == '(' || end[1] == '#')))
              end++;
            return g_strndup (rest, end - rest);
          }
        }
    }
  return NULL;
}

char *
test_tmpdir_new (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("mbmsd-test-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

static void
remove_recursive (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;

      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_recursive (child);
        }
      g_dir_close (dir);
    }
  g_remove (path);
}

void
test_tmpdir_remove (const char *path)
{
  if (path != NULL)
    remove_recursive (path);
}

void
test_multicast_sender (int fd, const char *iface)
{
  int loop = 1, ttl = 0;
  struct ip_mreqn via = { .imr_ifindex = iface != NULL ? (int) if_nametoindex (iface) : 0 };

  g_assert_cmpint (setsockopt (fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop), ==, 0);
  g_assert_cmpint (setsockopt (fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl), ==, 0);
  if (iface == NULL)
    return;
  g_assert_cmpint (via.imr_ifindex, >, 0);
  g_assert_cmpint (setsockopt (fd, IPPROTO_IP, IP_MULTICAST_IF, &via, sizeof via), ==, 0);
}

char *
test_spec_example (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("MBMS_SOURCE_DIR"), "tests", "data", "spec-examples", name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, &error))
    g_error ("spec example %s: %s", name, error->message);
  return contents;
}
