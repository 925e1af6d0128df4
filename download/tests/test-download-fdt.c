/* FDT Instances (RFC 6726 3.4.2, TS 26.346 7.2.10): attributes read as the schema names them,
 * the instance's FEC-OTI inherited by its files, and broken or hostile documents refused with
 * an error that names the element. */
#include "download.h"
#include "test-util.h"

#include <string.h>

static const char fdt_xml[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<FDT-Instance xmlns=\"urn:IETF:metadata:2005:FLUTE:FDT\"\n"
  "    xmlns:mbms2007=\"urn:3GPP:metadata:2007:MBMS:FLUTE:FDT\"\n"
  "    Expires=\"3900000000\" Complete=\"true\"\n"
  "    FEC-OTI-FEC-Encoding-ID=\"0\" FEC-OTI-Maximum-Source-Block-Length=\"64\"\n"
  "    FEC-OTI-Encoding-Symbol-Length=\"1400\">\n"
  "  <File Content-Location=\"http://lab.example/news/today.dcf\" TOI=\"2\"\n"
  "      Content-Length=\"5000\" Content-Type=\"application/vnd.oma.drm.dcf\"\n"
  "      Content-MD5=\"Q2hlY2sgSW50ZWdyaXR5IQ==\"/>\n"
  "  <File Content-Location=\"key.mikey\" TOI=\"3\" Content-Length=\"120\"\n"
  "      Transfer-Length=\"100\" Content-Encoding=\"gzip\" Content-Type=\"application/mikey\"\n"
  "      FEC-OTI-Encoding-Symbol-Length=\"512\">\n"
  "    <mbms2007:Cache-Control><mbms2007:no-cache/></mbms2007:Cache-Control>\n"
  "  </File>\n"
  "</FDT-Instance>\n";

static void
test_instance (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DownloadFdt) fdt = download_fdt_parse (fdt_xml, strlen (fdt_xml), &error);
  const DownloadFdtFile *dcf, *key;

  g_assert_no_error (error);
  g_assert_cmpuint (fdt->expires, ==, 3900000000u);
  g_assert_true (fdt->complete);
  g_assert_cmpuint (fdt->files->len, ==, 2);
  dcf = download_fdt_lookup (fdt, 2);
  key = download_fdt_lookup (fdt, 3);
  g_assert_null (download_fdt_lookup (fdt, 4));
  g_assert_cmpstr (dcf->content_location, ==, "http://lab.example/news/today.dcf");
  g_assert_cmpstr (dcf->content_type, ==, "application/vnd.oma.drm.dcf");
  g_assert_cmpstr (dcf->content_md5, ==, "Q2hlY2sgSW50ZWdyaXR5IQ==");
  g_assert_null (dcf->content_encoding);
  g_assert_true (dcf->has_content_length);
  g_assert_cmpuint (dcf->content_length, ==, 5000);
  /* not encoded: the transfer length is the content length */
  g_assert_true (dcf->has_transfer_length);
  g_assert_cmpuint (dcf->oti.transfer_length, ==, 5000);
  g_assert_true (dcf->has_oti);
  g_assert_cmpuint (dcf->oti.symbol_length, ==, 1400);
  g_assert_cmpuint (dcf->oti.max_block_length, ==, 64);
  g_assert_cmpstr (key->content_encoding, ==, "gzip");
  g_assert_cmpuint (key->oti.transfer_length, ==, 100);
  g_assert_cmpuint (key->oti.symbol_length, ==, 512);   /* the File's own wins */
  g_assert_cmpuint (key->oti.max_block_length, ==, 64); /* inherited */
}

static void
test_refused (void)
{
  struct { const char *what; const char *xml; int code; } cases[] = {
    { "no Expires", "<FDT-Instance><File TOI=\"1\" Content-Location=\"a\"/></FDT-Instance>", DOWNLOAD_ERROR_MALFORMED },
    { "Expires not a number", "<FDT-Instance Expires=\"soon\"/>", DOWNLOAD_ERROR_MALFORMED },
    { "Expires beyond 32 bits", "<FDT-Instance Expires=\"4294967296\"/>", DOWNLOAD_ERROR_MALFORMED },
    { "File without TOI", "<FDT-Instance Expires=\"1\"><File Content-Location=\"a\"/></FDT-Instance>", DOWNLOAD_ERROR_MALFORMED },
    { "File without Content-Location", "<FDT-Instance Expires=\"1\"><File TOI=\"1\"/></FDT-Instance>", DOWNLOAD_ERROR_MALFORMED },
    { "TOI 0", "<FDT-Instance Expires=\"1\"><File TOI=\"0\" Content-Location=\"a\"/></FDT-Instance>", DOWNLOAD_ERROR_MALFORMED },
    { "TOI negative", "<FDT-Instance Expires=\"1\"><File TOI=\"-1\" Content-Location=\"a\"/></FDT-Instance>", DOWNLOAD_ERROR_MALFORMED },
    { "TOI twice", "<FDT-Instance Expires=\"1\"><File TOI=\"1\" Content-Location=\"a\"/><File TOI=\"1\" Content-Location=\"b\"/></FDT-Instance>",
      DOWNLOAD_ERROR_MALFORMED },
    { "symbol length beyond 16 bits", "<FDT-Instance Expires=\"1\" FEC-OTI-Encoding-Symbol-Length=\"65536\"/>", DOWNLOAD_ERROR_MALFORMED },
    { "wrong root", "<FDT Expires=\"1\"/>", DOWNLOAD_ERROR_MALFORMED },
    { "not XML", "<FDT-Instance Expires=\"1\">", DOWNLOAD_ERROR_MALFORMED },
    { "undefined entity", "<FDT-Instance Expires=\"1\"><File TOI=\"1\" Content-Location=\"&xxe;\"/></FDT-Instance>", DOWNLOAD_ERROR_MALFORMED },
    { "empty", "", DOWNLOAD_ERROR_MALFORMED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DownloadFdt) fdt = download_fdt_parse (cases[i].xml, strlen (cases[i].xml), &error);

      g_test_message ("%s", cases[i].what);
      g_assert_null (fdt);
      g_assert_error (error, DOWNLOAD_ERROR, cases[i].code);
    }
}

static void
test_limits (void)
{
  g_autoptr(GString) many = g_string_new ("<FDT-Instance Expires=\"1\">");
  g_autoptr(GString) deep = g_string_new ("<FDT-Instance Expires=\"1\">");
  g_autoptr(GError) error = NULL;
  g_autoptr(DownloadFdt) fdt = NULL;
  g_autofree char *huge = g_malloc0 (1024 * 1024 + 2);

  for (guint i = 1; i <= 1025; i++)
    g_string_append_printf (many, "<File TOI=\"%u\" Content-Location=\"f%u\"/>", i, i);
  g_string_append (many, "</FDT-Instance>");
  fdt = download_fdt_parse (many->str, many->len, &error);
  g_assert_null (fdt);
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_LIMIT);
  g_clear_error (&error);

  for (guint i = 0; i < 20; i++)
    g_string_append (deep, "<x>");
  fdt = download_fdt_parse (deep->str, deep->len, &error);
  g_assert_null (fdt);
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_LIMIT);
  g_clear_error (&error);

  memset (huge, ' ', 1024 * 1024 + 1);
  fdt = download_fdt_parse (huge, 1024 * 1024 + 1, &error);
  g_assert_null (fdt);
  g_assert_error (error, DOWNLOAD_ERROR, DOWNLOAD_ERROR_LIMIT);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/download/fdt/instance", test_instance);
  g_test_add_func ("/download/fdt/refused", test_refused);
  g_test_add_func ("/download/fdt/limits", test_limits);
  return g_test_run ();
}
