/* mbmsd.conf: defaults, the commented example (all defaults), values and errors. */
#include "mbms-config.h"
#include "test-util.h"

#include <string.h>

static void
test_defaults_and_example (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsConfig) d = mbms_config_load (NULL, &error);
  g_autofree char *example = g_build_filename (g_getenv ("MBMS_SOURCE_DIR"), "data", "mbmsd.conf", NULL);
  g_autoptr(MbmsConfig) e = mbms_config_load (example, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (d->mikey_port, ==, 2269);
  g_assert_cmpstr (d->uicc_backend, ==, "soft");
  g_assert_null (d->bsf_uri);
  g_assert_true (g_str_has_suffix (d->state_dir, "/lib/mbmsd"));
  /* the example documents the defaults: loading it changes nothing */
  g_assert_cmpuint (e->mikey_port, ==, d->mikey_port);
  g_assert_cmpstr (e->state_dir, ==, d->state_dir);
  g_assert_cmpuint (e->http_timeout_s, ==, d->http_timeout_s);
  g_assert_cmpuint (e->forward_port_base, ==, d->forward_port_base);
  g_assert_null (d->multicast_interface); /* groups joined where the routes say */
  g_assert_null (e->multicast_interface);
  g_assert_null (d->download_dir); /* runtime-directory/downloads */
  g_assert_null (e->download_dir);
  g_assert_cmpuint (d->download_max_object_mib, ==, 64);
  g_assert_cmpuint (e->download_max_session_mib, ==, d->download_max_session_mib);
  g_assert_cmpuint (e->download_max_held, ==, d->download_max_held);
  g_assert_true (d->gba_u); /* TS 33.220 5.2.1/5.3: GBA_U with a GBA-aware card */
  g_assert_true (e->gba_u);
}

static MbmsConfig *
load_text (const char *text, GError **error)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "c.conf", NULL);
  MbmsConfig *c;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  c = mbms_config_load (path, error);
  test_tmpdir_remove (dir);
  return c;
}

static void
test_values_and_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MbmsConfig) c = load_text ("[mikey]\nport=23000\nlisten=127.0.0.1\n[gba]\nbsf=http://127.0.0.1:8/\n",
                                       &error);

  g_assert_no_error (error);
  g_assert_cmpuint (c->mikey_port, ==, 23000);
  g_assert_cmpstr (c->bsf_uri, ==, "http://127.0.0.1:8/");
  g_assert_null (load_text ("[mikey]\nport=70000\n", &error));
  g_assert_nonnull (strstr (error->message, "[mikey] port"));
  g_clear_error (&error);
  g_assert_null (load_text ("[uicc]\nbackend=smoke-signals\n", &error));
  g_assert_nonnull (strstr (error->message, "not one of soft, pcsc, at"));
  g_clear_error (&error);
  g_assert_null (load_text ("[uicc]\nbackend=at\n", &error));
  g_assert_nonnull (strstr (error->message, "at-device"));
  g_clear_error (&error);
  g_assert_null (load_text ("[uicc]\npoll-interval=1\n", &error));
  g_clear_error (&error);
  {
    g_autoptr(MbmsConfig) pcsc = load_text ("[uicc]\nbackend=pcsc\npcsc-reader=Virtual PCD 00 00\n", &error);
    g_autoptr(MbmsConfig) at = load_text ("[uicc]\nbackend=at\nat-device=/dev/ttyUSB2\nat-timeout=2000\n", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (pcsc->pcsc_reader, ==, "Virtual PCD 00 00");
    g_assert_cmpstr (at->at_device, ==, "/dev/ttyUSB2");
    g_assert_cmpuint (at->at_timeout_ms, ==, 2000);
    g_assert_cmpuint (at->card_poll_ms, ==, 500);
  }
  g_assert_null (load_text ("[mikey]\nlisten=example.org\n", &error));
  g_clear_error (&error);
  {
    g_autoptr(MbmsConfig) m = load_text ("[mbmsd]\nmulticast-interface= wwan0 \n", &error);
    g_autoptr(MbmsConfig) empty = load_text ("[mbmsd]\nmulticast-interface=\n", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (m->multicast_interface, ==, "wwan0");
    g_assert_null (empty->multicast_interface);
  }
  g_assert_null (load_text ("[mbmsd]\nmulticast-interface=an-interface-name-too-long\n", &error));
  g_assert_nonnull (strstr (error->message, "[mbmsd] multicast-interface"));
  g_clear_error (&error);
  g_assert_null (load_text ("[mbmsd]\nmulticast-interface=../eth0\n", &error));
  g_clear_error (&error);
  {
    g_autoptr(MbmsConfig) dl = load_text ("[download]\ndirectory=/srv/mbms\ngroup=video\nmax-held=3\n", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (dl->download_dir, ==, "/srv/mbms");
    g_assert_cmpstr (dl->download_group, ==, "video");
    g_assert_cmpuint (dl->download_max_held, ==, 3);
  }
  g_assert_null (load_text ("[download]\ndirectory=relative/dir\n", &error));
  g_assert_nonnull (strstr (error->message, "[download] directory"));
  g_clear_error (&error);
  g_assert_null (load_text ("[download]\nmax-object-size=0\n", &error));
  g_clear_error (&error);
  {
    g_autoptr(MbmsConfig) me = load_text ("[gba]\ngba-u=false\n", &error);
    g_autoptr(MbmsConfig) u = load_text ("[gba]\ngba-u = true\n", &error);

    g_assert_no_error (error);
    g_assert_false (me->gba_u);
    g_assert_true (u->gba_u);
  }
  g_assert_null (load_text ("[gba]\ngba-u=maybe\n", &error));
  g_assert_nonnull (strstr (error->message, "[gba] gba-u = \"maybe\" is not true or false"));
  g_clear_error (&error);
  g_assert_null (load_text ("not a key file", &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/daemon/config/defaults-and-commented-example", test_defaults_and_example);
  g_test_add_func ("/daemon/config/values-and-errors", test_values_and_errors);
  return g_test_run ();
}
