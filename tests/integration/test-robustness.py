#!/usr/bin/env python3
"""Issue 14 (items 1, 4, 6 and the state directory of 7): mbmsd meets hostile files, huge
arguments, a lost bus and a damaged key store, on the private bus and lab network of
test-daemon.py (its fixture, none of its tests). Each case is one that hung, grew, lied or
refused to start before: every file read is bounded and non-blocking, D-Bus arguments are
bounded before use, a lost bus deregisters and exits with status 3, a damaged keys.mgv is set
aside and the keys come again from the BM-SC."""
import glob, importlib.util, os, re, signal, subprocess, time, unittest

_spec = importlib.util.spec_from_file_location(
    "test_daemon", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-daemon.py"))
td = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(td)

NAME, ROOT, SERVICE, USD_NS = td.NAME, td.ROOT, td.SERVICE, td.USD_NS
EXIT_BUS_LOST = 3  # mbmsd.8, EXIT STATUS
PROMPT = 5.0       # seconds: an answer, not a hang


class Robustness(td.Daemon):
    def log(self):
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            return f.read()

    def add_description(self, path):
        started = time.monotonic()
        r = self.gdbus("call", "--timeout", "20", "--object-path", ROOT, "--method",
                       f"{NAME}.Manager.AddServiceDescription", path, check=False)
        return r, time.monotonic() - started

    def assert_refused_promptly(self, path, *needles):
        r, took = self.add_description(path)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("org.mbmsd.Mbmsd1.Error.InvalidDescription", r.stderr)
        for needle in needles:
            self.assertIn(needle, r.stderr)
        self.assertLess(took, PROMPT, f"{path}: answered after {took:.1f} s")
        return r.stderr

    def assert_alive(self, daemon):
        self.assertIsNone(daemon.poll())
        self.assertEqual(self.gdbus("introspect", "--object-path", ROOT, check=False).returncode, 0)

    def run_refused(self, *args, needles=()):
        """mbmsd started on a hostile file must exit at once with status 1, naming the problem."""
        started = time.monotonic()
        r = subprocess.run([td.MBMSD, "--session-bus", "--config", os.path.join(self.dir, "mbmsd.conf"), *args],
                           env=self.env, capture_output=True, text=True, timeout=20)
        self.assertLess(time.monotonic() - started, PROMPT)
        self.assertEqual(r.returncode, 1, r.stderr)
        for needle in needles:
            self.assertIn(needle, r.stderr)
        return r.stderr

    def registered_then_stopped(self):
        daemon = self.start()
        self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{NAME}.Service.Register")
        td.wait_for(lambda: self.state() == "receiving", what="keys and MTKs")
        daemon.send_signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(timeout=15), 0)

    # ------------------------------------------------------------------ item 1

    def test_hostile_description_files_answer_promptly(self):
        """A FIFO, /dev/zero, a 1 GiB sparse file and a link loop, as the bundle or as the SDP
        beside it: the call answers at once with the file's own error and mbmsd goes on."""
        daemon = self.start()
        d = os.path.join(self.dir, "hostile")
        os.makedirs(d)
        fifo = os.path.join(d, "fifo.usd.xml")
        os.mkfifo(fifo)
        self.assert_refused_promptly(fifo, "a FIFO")
        self.assert_refused_promptly("/dev/zero", "a device")
        os.symlink("/dev/zero", os.path.join(d, "zero.usd.xml"))
        self.assert_refused_promptly(os.path.join(d, "zero.usd.xml"), "a device")
        huge = os.path.join(d, "huge.usd.xml")
        with open(huge, "w") as f:
            f.truncate(1 << 30)
        self.assert_refused_promptly(huge, "1073741824 octets")
        os.symlink("loop-b.usd.xml", os.path.join(d, "loop-a.usd.xml"))
        os.symlink("loop-a.usd.xml", os.path.join(d, "loop-b.usd.xml"))
        self.assert_refused_promptly(os.path.join(d, "loop-a.usd.xml"), "symbolic links")
        # the same as the session description a bundle names
        for name, make, needle in (("fifo.sdp", os.mkfifo, "a FIFO"),
                                   ("huge.sdp", lambda p: open(p, "w").truncate(1 << 30), "1073741824 octets"),
                                   ("zero.sdp", lambda p: os.symlink("/dev/zero", p), "symbolic link")):
            make(os.path.join(d, name))
            bundle = os.path.join(d, name + ".usd.xml")
            with open(bundle, "w") as f:
                f.write(td.usd(f"urn:test:{name}", f'<deliveryMethod sessionDescriptionURI="{name}"/>'))
            self.assert_refused_promptly(bundle, name, needle)
        self.assert_alive(daemon)
        self.assertIn(f"{ROOT}/Service/0", self.prop(ROOT, "Manager", "Services"))
        self.assertNotIn(f"{ROOT}/Service/1", self.prop(ROOT, "Manager", "Services"))  # nothing was added

    def test_empty_description_after_malformed_has_its_own_error(self):
        self.start()
        self.write("bad.usd.xml", f'<bundleDescription xmlns="{USD_NS}"><userServiceDescription')
        self.write("empty.usd.xml", "")
        first = self.assert_refused_promptly(os.path.join(self.dir, "bad.usd.xml"), "not well-formed")
        second = self.assert_refused_promptly(os.path.join(self.dir, "empty.usd.xml"), "empty.usd.xml")
        why_first = re.search(r"\(line \d+\): (.*)", first).group(1)
        self.assertNotIn(why_first, second)  # not the stale error of the malformed one
        self.assertRegex(second, r"[Ee]mpty|no root element")

    def test_sighup_with_a_fifo_in_the_service_directory(self):
        daemon = self.start()
        os.mkfifo(os.path.join(self.dir, "usd", "stuck.usd.xml"))
        daemon.send_signal(signal.SIGHUP)
        td.wait_for(lambda: "stuck.usd.xml: " in self.log(), timeout=PROMPT, what="the rescan's warning")
        self.assertIn("a FIFO", self.log())
        self.assert_alive(daemon)

    def test_hostile_state_and_config_files_refused_at_start(self):
        """What mbmsd reads at start: the configuration, the soft USIM's key file, keys.mgv,
        the registrations. Each as a FIFO, a device, 1 GiB of holes or a link loop."""
        state = os.path.join(self.dir, "state")
        os.makedirs(state, mode=0o700)
        fifo = os.path.join(self.dir, "conf.fifo")
        os.mkfifo(fifo)
        r = subprocess.run([td.MBMSD, "--session-bus", "--config", fifo], env=self.env, capture_output=True,
                           text=True, timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("conf.fifo: a FIFO, not a regular file", r.stderr)
        with open(os.path.join(self.dir, "mbmsd.conf")) as f:
            conf = f.read()
        self.write("mbmsd.conf", conf.replace(f"soft-usim={self.usim}", "soft-usim=/dev/zero"))
        self.run_refused(needles=("/dev/zero", "a device"))
        self.write("mbmsd.conf", conf)
        keys = os.path.join(state, "keys.mgv")
        os.mkfifo(keys)
        self.run_refused(needles=("keys.mgv", "a FIFO"))
        os.unlink(keys)
        os.symlink("keys.mgv", keys + ".tmp-loop")
        os.rename(keys + ".tmp-loop", keys)  # a link to itself
        self.run_refused(needles=("keys.mgv", "symbolic link"))
        os.unlink(keys)
        regs = os.path.join(state, "registrations")
        with open(regs, "w") as f:
            f.truncate(1 << 30)
        self.run_refused(needles=("registrations", "1073741824 octets"))

    # ------------------------------------------------------------------ item 7 (part)

    def test_state_directory_found_0777_is_set_0700(self):
        state = os.path.join(self.dir, "state")
        os.makedirs(state)
        os.chmod(state, 0o777)
        self.start()
        self.assertEqual(os.stat(state).st_mode & 0o7777, 0o700)
        self.assertIn("had mode 0777; set to 0700", self.log())

    def test_state_directory_of_another_user_refused(self):
        if os.getuid() != 0:
            self.skipTest("needs root to make a directory another user owns")
        state = os.path.join(self.dir, "state")
        os.makedirs(state)
        os.chmod(state, 0o777)
        os.chown(state, 65534, 65534)
        self.run_refused(needles=("owned by uid 65534",))
        self.assertEqual(os.stat(state).st_mode & 0o7777, 0o777)  # not ours to change

    # ------------------------------------------------------------------ item 4

    def call_with_gi(self, path, iface, method, signature, value):
        """A call with an argument too large for a command line, through GLib."""
        code = ("import sys\nfrom gi.repository import Gio, GLib\n"
                "bus = Gio.bus_get_sync(Gio.BusType.SESSION)\n"
                "try:\n"
                f"    bus.call_sync('{NAME}', '{path}', '{NAME}.{iface}', '{method}',"
                f" GLib.Variant('{signature}', ({value},)), None, 0, 60000, None)\n"
                "    print('ok')\n"
                "except GLib.Error as e:\n"
                "    print(Gio.DBusError.get_remote_error(e)); print(len(e.message)); print(e.message[:300])\n")
        r = subprocess.run([td.PYTHON_GI, "-c", code], env=self.env, capture_output=True, text=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.splitlines()

    def test_huge_arguments_get_bounded_errors(self):
        daemon = self.start()
        name, length, message = self.call_with_gi(ROOT, "Manager", "AddServiceDescription", "(s)",
                                                  "'/' + 'a' * (17 * 1024 * 1024)")
        self.assertEqual(name, "org.freedesktop.DBus.Error.InvalidArgs")
        self.assertLess(int(length), 400)  # the reply quotes 64 characters of 17 MB
        self.assertIn("path of 17825793 octets", message)
        self.assert_alive(daemon)
        name, _, _ = self.call_with_gi(ROOT, "Manager", "AddServiceDescription", "(s)", "'relative.usd.xml'")
        self.assertEqual(name, "org.freedesktop.DBus.Error.InvalidArgs")
        name, length, message = self.call_with_gi(f"{ROOT}/Session/0", "Session", "GetKeys", "(ay)",
                                                  "b'x' * (1024 * 1024)")
        self.assertEqual(name, "org.freedesktop.DBus.Error.InvalidArgs")
        self.assertIn("MKI of 1048576 octets", message)
        self.assert_alive(daemon)

    def test_bus_loss_deregisters_and_exits_with_its_status(self):
        daemon = self.start()
        self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{NAME}.Service.Register")
        td.wait_for(lambda: self.state() == "receiving", what="keys and MTKs")
        self.bus.kill()
        self.bus.wait(timeout=10)
        self.assertEqual(daemon.wait(timeout=5 + 10), EXIT_BUS_LOST, self.log()[-3000:])  # shutdown-timeout is 5 s
        log = self.log()
        self.assertIn("session bus closed", log)
        self.assertNotIn("cannot own", log)
        td.wait_for(lambda: f"deregistered {SERVICE}" in self.lab_log(), timeout=5, what="the deregistration")

    def test_no_bus_and_name_taken_say_so(self):
        env = dict(self.env, DBUS_SESSION_BUS_ADDRESS=f"unix:path={self.dir}/no-bus-here")
        r = subprocess.run([td.MBMSD, "--session-bus", "--config", os.path.join(self.dir, "mbmsd.conf")], env=env,
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no session bus", r.stderr)
        first = self.start()
        # a second daemon on the same bus (its own MIKEY port, so it gets as far as the name)
        with open(os.path.join(self.dir, "mbmsd.conf")) as f:
            conf = f.read()
        self.write("second.conf", re.sub(r"port=\d+\n", f"port={td.free_udp_port()}\n", conf, count=1)
                   .replace(f"{self.dir}/state", f"{self.dir}/state2"))
        r = subprocess.run([td.MBMSD, "--session-bus", "--config", os.path.join(self.dir, "second.conf")],
                           env=self.env, capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"name {NAME} not owned: another process has it", r.stderr)
        self.assertNotIn("no session bus", r.stderr)
        self.assert_alive(first)

    # ------------------------------------------------------------------ item 6

    def test_corrupt_key_store_lab_media_after_set_aside(self):
        """keys.mgv with one flipped byte: mbmsd starts, moves it aside, says what was lost,
        registers again from the kept intent, gets the MSK again and decrypts the lab's media."""
        self.registered_then_stopped()
        keys = os.path.join(self.dir, "state", "keys.mgv")
        with open(keys, "r+b") as f:
            data = bytearray(f.read())
            data[len(data) // 2] ^= 0x10
            f.seek(0)
            f.write(data)
        self.lab_media_without_loss()  # starts mbmsd, streams, checks every packet
        aside = glob.glob(keys + ".corrupt-*")
        self.assertEqual(len(aside), 1)
        with open(aside[0], "rb") as f:
            self.assertEqual(f.read(), bytes(data))
        log = self.log()
        self.assertRegex(log, r"WARNING.*keys\.mgv is corrupt.*moved to .*keys\.mgv\.corrupt-\d{8}T\d{6}Z")
        self.assertRegex(log, r"lost: \d+ octets; it seems to have held \d+ MSKs? \(00f110/0x[0-9a-f]{8}")
        self.assertIn("00f110", self.prop(f"{ROOT}/Service/0", "Service", "KeyGroups"))

    def test_truncated_and_garbage_key_stores_set_aside(self):
        self.registered_then_stopped()
        keys = os.path.join(self.dir, "state", "keys.mgv")
        with open(keys, "rb") as f:
            good = f.read()
        for damaged, lost in ((good[:len(good) // 3], "it seems to have held"),
                              (os.urandom(300), "not an mbmsd key store")):
            for old in glob.glob(keys + ".corrupt-*"):
                os.unlink(old)
            with open(keys, "wb") as f:
                f.write(damaged)
            daemon = self.start()
            td.wait_for(lambda: self.state() in ("keys-ready", "receiving"), what="keys fetched again")
            self.assertEqual(len(glob.glob(keys + ".corrupt-*")), 1)
            self.assertIn(lost, self.log())
            daemon.send_signal(signal.SIGTERM)
            self.assertEqual(daemon.wait(timeout=15), 0)


def load_tests(loader, tests, pattern):
    """This file's tests only, not the ones Robustness inherits from test-daemon.py."""
    return unittest.TestSuite(Robustness(name) for name in sorted(vars(Robustness)) if name.startswith("test_"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
