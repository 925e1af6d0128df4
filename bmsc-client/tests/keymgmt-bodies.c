/* Writes the bodies the BM-SC client sends (TS 26.346 11.4-11.6) into a directory, for
 * test-bodies-schemas.py to validate with xmllint against schemas written from the
 * specification: register.xml, deregister.xml, msk-request.xml. */
#include "mbms-keymgmt-xml.h"

#include <stdio.h>

static int
put (const char *dir, const char *name, GBytes *body)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);

  if (!g_file_set_contents (path, data, (gssize) len, &error))
    {
      fprintf (stderr, "keymgmt-bodies: %s\n", error->message);
      return 1;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  const char *ids[] = { "urn:mbmsd:lab:service:news", "urn:3gpp:mbms:example:a&b<c>", NULL };
  MbmsMskRef refs[] = { { { 0x00, 0xf1, 0x10 }, 0x00010000 }, { { 0xb8, 0x70, 0x9d }, 0x68c90000 },
                        { { 0xff, 0xff, 0xff }, 0xffff0000 } };
  g_autoptr(GBytes) reg = mbms_keymgmt_build_register (ids, FALSE);
  g_autoptr(GBytes) dereg = mbms_keymgmt_build_register (ids, TRUE);
  g_autoptr(GBytes) msk = mbms_keymgmt_build_msk_request (refs, G_N_ELEMENTS (refs));

  if (argc != 2)
    {
      fprintf (stderr, "usage: keymgmt-bodies DIR\n");
      return 2;
    }
  return put (argv[1], "register.xml", reg) | put (argv[1], "deregister.xml", dereg)
         | put (argv[1], "msk-request.xml", msk);
}
