#!/usr/bin/env python3
"""Issue 14 item 3: a full state directory loses nothing silently. The state directory is a
64 KiB tmpfs in a mount namespace of this test's own (unshare), filled to the last block
while mbmsd runs: Register and Deregister that cannot be kept answer StorageFailed and change
nothing (the registrations file and the service agree, the BM-SC is not told), the warning
names the file and the errno, an MSK that cannot be stored is used from memory with a
warning, and once there is room again everything works and a restart restores what the user
last asked for."""
import errno, importlib.util, os, re, shutil, subprocess, sys, unittest

if os.environ.get("MBMS_FULL_DISK_NS") != "1":
    # a mount namespace of our own: the tmpfs is seen by this test and its children only, and
    # goes when they do. As root, `unshare -m`; otherwise a user namespace too (-r).
    unshare = shutil.which("unshare")
    flags = ["--mount", "--propagation", "private"] if os.getuid() == 0 else ["--map-root-user", "--mount"]
    if unshare is not None and subprocess.run([unshare, *flags, "true"], capture_output=True).returncode == 0:
        os.environ["MBMS_FULL_DISK_NS"] = "1"
        os.execv(unshare, [unshare, *flags, sys.executable, os.path.abspath(__file__), *sys.argv[1:]])
    print("SKIP: cannot make a mount namespace (neither root nor unprivileged user namespaces): "
          "the full-disk cases need a small tmpfs of their own")
    sys.exit(77)  # meson: skipped

_spec = importlib.util.spec_from_file_location(
    "test_daemon", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-daemon.py"))
td = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(td)

NAME, ROOT, SERVICE = td.NAME, td.ROOT, td.SERVICE


class FullDisk(td.Daemon):
    def setUp(self):
        super().setUp()
        self.state_dir = os.path.join(self.dir, "state")
        os.makedirs(self.state_dir, mode=0o700)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", self.state_dir], check=True)
        self.filler = os.path.join(self.state_dir, "filler")

    def tearDown(self):
        subprocess.run(["umount", "-l", self.state_dir])
        super().tearDown()

    def log(self):
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            return f.read()

    def fill(self):
        with open(self.filler, "ab", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
                    f.flush()
            except OSError as e:
                self.assertEqual(e.errno, errno.ENOSPC)

    def free(self):
        os.unlink(self.filler)

    def call(self, method):
        return self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{NAME}.Service.{method}",
                          check=False)

    def registrations(self):
        with open(os.path.join(self.state_dir, "registrations")) as f:
            return f.read()

    def acks(self):
        return self.lab_log().count("verified")

    def test_full_state_directory_fails_loudly_and_keeps_memory_as_disk(self):
        daemon = self.start()
        self.assertEqual(self.call("Register").returncode, 0)
        td.wait_for(lambda: self.state() == "receiving", what="keys and MTKs")
        self.assertIn(SERVICE, self.registrations())
        self.fill()

        # Deregister that cannot be written: refused, the service stays registered, the
        # BM-SC is not told, the file still says registered
        r = self.call("Deregister")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("org.mbmsd.Mbmsd1.Error.StorageFailed", r.stderr)
        self.assertIn("No space left on device", r.stderr)
        self.assertIn(self.state(), ("keys-ready", "receiving"))
        self.assertIn(SERVICE, self.registrations())
        self.assertNotIn(f"deregistered {SERVICE}", self.lab_log())
        self.assertRegex(self.log(), r"WARNING.*still registered: cannot write the registrations "
                                     + re.escape(os.path.join(self.state_dir, "registrations"))
                                     + r": .*No space left on device")

        # an MSK that cannot be stored: used from memory (the BM-SC gets its acknowledgement)
        acks = self.acks()
        self.assertEqual(self.call("RequestKeys").returncode, 0)
        td.wait_for(lambda: self.acks() > acks, what="the acknowledgement of the MSK kept in memory")
        log = self.log()
        self.assertRegex(log, r"WARNING.*MSK 0x00010001 is kept in memory for this session only: cannot write the "
                              r"key store " + re.escape(os.path.join(self.state_dir, "keys.mgv"))
                              + r": .*No space left on device")
        # MTK saves fail too, every 250 ms: one warning for the run of failures
        td.wait_for(lambda: "further failures not logged" in self.log(), what="the MTK save warning")
        self.assertEqual(self.log().count("further failures not logged"), 1)
        self.assertEqual(self.state(), "receiving")

        # room again: the deregistration works and is kept
        self.free()
        self.assertEqual(self.call("Deregister").returncode, 0)
        self.assertNotIn(SERVICE, self.registrations())
        td.wait_for(lambda: f"deregistered {SERVICE}" in self.lab_log(), what="the deregistration")
        td.wait_for(lambda: "is written again" in self.log(), what="the key store written again")

        # Register that cannot be kept: refused before the BM-SC hears of it
        registrations_at_bmsc = self.lab_log().count(f" registered {SERVICE}")
        self.fill()
        r = self.call("Register")
        self.assertIn("org.mbmsd.Mbmsd1.Error.StorageFailed", r.stderr)
        self.assertEqual(self.state(), "discovered")
        self.assertEqual(self.lab_log().count(f" registered {SERVICE}"), registrations_at_bmsc)
        self.assertNotIn(SERVICE, self.registrations())

        # a restart after space is freed: what the user last asked for (deregistered) holds
        self.free()
        daemon.terminate()
        self.assertEqual(daemon.wait(timeout=15), 0)
        self.start()
        self.assertEqual(self.state(), "discovered")
        self.assertEqual(self.lab_log().count(f" registered {SERVICE}"), registrations_at_bmsc)


def load_tests(loader, tests, pattern):
    """This file's tests only, not the ones FullDisk inherits from test-daemon.py."""
    return unittest.TestSuite(FullDisk(name) for name in sorted(vars(FullDisk)) if name.startswith("test_"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
