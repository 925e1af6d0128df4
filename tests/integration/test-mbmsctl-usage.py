#!/usr/bin/env python3
"""mbmsctl without a daemon, as a new user meets it: usage and every command's --help answer
without a bus (exit 0), misuse exits 2 before the bus is tried, a missing daemon exits 1 with a
clear line, and the man page names every command mbmsctl has."""
import os, re, subprocess, unittest

BUILD = os.environ["MBMS_BUILD_DIR"]
SRC = os.environ["MBMS_SOURCE_DIR"]
MBMSCTL = os.path.join(BUILD, "tools", "mbmsctl")
# no bus anywhere: what needs none must not try one
ENV = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent/bus",
           DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus", LC_ALL="C.UTF-8")


def run(*args):
    return subprocess.run([MBMSCTL, *args], capture_output=True, text=True, timeout=30, env=ENV)


def commands():
    r = run("help")
    return re.findall(r"^  ([a-z-]+) ", r.stdout, re.M)


class Usage(unittest.TestCase):
    def test_help_lists_the_commands(self):
        r = run("help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("request-keys", commands())
        self.assertEqual(run("--help").stdout, r.stdout)

    def test_every_command_has_its_help_without_a_bus(self):
        for c in commands():
            for args in ((c, "--help"), ("help", c)):
                r = run(*args)
                self.assertEqual(r.returncode, 0, f"{args}: {r.stderr}")
                self.assertIn(f"usage: mbmsctl [--session-bus] [--json] {c}", r.stdout)
                self.assertNotIn("nonexistent", r.stderr)

    def test_misuse_exits_2_before_the_bus(self):
        for args, says in ((), "usage:"), (("bogus",), "unknown command bogus"), (("--bogus",), "unknown option"), \
                (("show",), "missing argument"), (("status", "extra"), "too many arguments"), \
                (("help", "bogus"), "no command bogus"), (("decode-mikey",), "give exactly one FILE"):
            r = run(*args)
            self.assertEqual(r.returncode, 2, f"{args}: {r.stdout} {r.stderr}")
            self.assertIn(says, r.stderr, args)
            self.assertNotIn("nonexistent", r.stderr, args)

    def test_no_daemon_is_a_failure_that_says_so(self):
        r = run("status")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith("mbmsctl: "), r.stderr)

    def test_man_page_names_every_command(self):
        with open(os.path.join(SRC, "data", "man", "mbmsctl.1")) as f:
            man = f.read().replace("\\-", "-")
        for c in commands():
            self.assertRegex(man, rf"\.BI? {re.escape(c)}\b", c)


if __name__ == "__main__":
    unittest.main()
