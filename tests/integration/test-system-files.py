#!/usr/bin/env python3
"""The files a device maker installs: the systemd unit passes systemd-analyze verify and has
the hardening the design asks for; a real dbus-daemon accepts the D-Bus policy, lets mbmsd own
its name under it and lets anyone read its state."""
import os, re, shutil, subprocess, tempfile, time, unittest

BUILD = os.environ["MBMS_BUILD_DIR"]
SRC = os.environ["MBMS_SOURCE_DIR"]


def need(tool, package):
    if shutil.which(tool) is None:
        if os.environ.get("MBMS_ALLOW_MISSING_PEERS") == "1":
            raise unittest.SkipTest(f"{tool} missing")
        raise RuntimeError(f"{tool} is not installed (package {package})")


class SystemFiles(unittest.TestCase):
    def test_unit_verifies_and_is_hardened(self):
        need("systemd-analyze", "systemd")
        with open(os.path.join(BUILD, "data", "mbmsd.service")) as f:
            unit = f.read()
        for line in ("Type=dbus", "BusName=org.mbmsd.Mbmsd1", "StateDirectory=mbmsd", "ProtectSystem=strict",
                     "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK",
                     "CapabilityBoundingSet=", "DynamicUser=yes", "MemoryDenyWriteExecute=yes", "LimitCORE=0"):
            self.assertIn(line + "\n", unit)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "mbmsd.service")
            with open(path, "w") as f:
                # verify resolves ExecStart: point it at the binary of this build
                f.write(re.sub(r"ExecStart=\S+", "ExecStart=" + os.path.join(BUILD, "daemon", "mbmsd"), unit))
            # Documentation= must name man pages that exist: ours, found through MANPATH
            man = os.path.join(tmp, "man")
            for page in os.listdir(os.path.join(SRC, "data", "man")):
                os.makedirs(os.path.join(man, "man" + page[-1]), exist_ok=True)
                shutil.copy(os.path.join(SRC, "data", "man", page), os.path.join(man, "man" + page[-1], page))
            r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, MANPATH=man))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr.strip(), "", r.stderr)

    def test_man_pages_render_and_cover_everything(self):
        need("man", "man-db")
        pages = {}
        for page in ("mbmsd.8", "mbmsctl.1", "mbmsd.conf.5", "mbms-bootstrap.1"):
            path = os.path.join(SRC, "data", "man", page)
            r = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, MANWIDTH="80"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr.strip(), "", f"{page}: {r.stderr}")
            pages[page] = r.stdout.replace("\u2010", "-")
        # every option of mbmsd, every command of mbmsctl, every key of mbmsd.conf is documented
        usage = subprocess.run([os.path.join(BUILD, "daemon", "mbmsd"), "--help"], capture_output=True, text=True,
                               timeout=20).stdout
        for option in set(re.findall(r"\s(--[a-z][a-z-]+)", usage)):
            if option != "--help":
                self.assertIn(option, pages["mbmsd.8"])
        ctl = subprocess.run([os.path.join(BUILD, "tools", "mbmsctl")], capture_output=True, text=True, timeout=20)
        for command in re.findall(r"^  ([a-z-]+)", ctl.stdout + ctl.stderr, re.M):
            self.assertIn(command, pages["mbmsctl.1"])
        with open(os.path.join(SRC, "data", "mbmsd.conf")) as f:
            for key in re.findall(r"^#([a-z-]+)=", f.read(), re.M):
                self.assertIn(key, pages["mbmsd.conf.5"])

    def test_polkit_policy_valid_with_the_daemons_actions(self):
        """data/org.mbmsd.Mbmsd1.policy: valid against polkit's DTD (when polkitd is installed), the
        two actions the authoriser asks for, refused by default (the groups decide first)."""
        import xml.etree.ElementTree as ET
        policy = os.path.join(SRC, "data", "org.mbmsd.Mbmsd1.policy")
        dtd = "/usr/share/polkit-1/policyconfig-1.dtd"
        if os.path.exists(dtd) and shutil.which("xmllint"):
            r = subprocess.run(["xmllint", "--noout", "--dtdvalid", dtd, policy], capture_output=True, text=True,
                               timeout=20)
            self.assertEqual(r.returncode, 0, r.stderr)
        actions = {a.get("id"): a for a in ET.parse(policy).getroot().findall("action")}
        self.assertEqual(set(actions), {"org.mbmsd.Mbmsd1.control", "org.mbmsd.Mbmsd1.keys"})
        with open(os.path.join(SRC, "daemon", "mbms-authorizer.h")) as f:
            header = f.read()
        for action in actions.values():
            self.assertIn(f'"{action.get("id")}"', header)
            for default in ("allow_any", "allow_inactive", "allow_active"):
                self.assertEqual(action.find(f"defaults/{default}").text, "no")

    def test_pcscd_polkit_rule_grants_the_daemons_user_only(self):
        """data/polkit/50-mbmsd-pcscd.rules, run by a JavaScript engine (node; polkitd's is
        duktape, the rule uses nothing either lacks) against polkit's rule API: the user the
        unit runs as gets pcscd's two actions, nobody else and nothing else is decided."""
        need("node", "nodejs")
        with open(os.path.join(BUILD, "data", "mbmsd.service")) as f:
            unit = f.read()
        # DynamicUser= without User= names the user after the unit (systemd.exec(5))
        self.assertIn("DynamicUser=yes\n", unit)
        self.assertNotRegex(unit, r"(?m)^User=")
        harness = r"""
const fs = require("fs");
const rules = [];
const polkit = { Result: { YES: "yes", NO: "no", AUTH_SELF: "auth_self", NOT_HANDLED: null },
                 addRule: (f) => rules.push(f) };
new Function("polkit", fs.readFileSync(process.argv[1], "utf8"))(polkit);
const ask = (id, user) => {
  const subject = { user: user, isInGroup: () => false, local: false, active: false };
  for (const r of rules) { const v = r({ id: id, lookup: () => "Virtual PCD 00 00" }, subject);
                           if (v !== undefined && v !== null) return v; }
  return "not-handled";
};
const out = {};
for (const user of ["mbmsd", "nobody", "mbmsd2"])
  for (const id of ["org.debian.pcsc-lite.access_pcsc", "org.debian.pcsc-lite.access_card",
                    "org.freedesktop.login1.reboot", "org.mbmsd.Mbmsd1.keys"])
    out[user + " " + id] = ask(id, user);
console.log(JSON.stringify(out));
"""
        import json
        r = subprocess.run(["node", "-e", harness, "--", os.path.join(SRC, "data", "polkit", "50-mbmsd-pcscd.rules")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        for key, verdict in got.items():
            user, action = key.split()
            wanted = "yes" if user == "mbmsd" and action.startswith("org.debian.pcsc-lite.") else "not-handled"
            self.assertEqual(verdict, wanted, key)

    def test_dbus_policy_accepted(self):
        need("dbus-daemon", "dbus")
        with tempfile.TemporaryDirectory() as tmp:
            conf = os.path.join(tmp, "bus.conf")
            with open(conf, "w") as f:
                f.write('<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" '
                        '"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n<busconfig>'
                        f"<type>session</type><listen>unix:path={tmp}/bus</listen>"
                        '<policy context="default"><allow send_destination="*" eavesdrop="true"/>'
                        '<allow eavesdrop="true"/></policy>'
                        f'<include>{os.path.join(SRC, "data", "org.mbmsd.Mbmsd1.conf")}</include></busconfig>\n')
            bus = subprocess.Popen(["dbus-daemon", "--nofork", "--print-address", f"--config-file={conf}"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                address = bus.stdout.readline().strip()
                self.assertTrue(address.startswith("unix:"), bus.stderr.read() if bus.poll() is not None else "")
                env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
                env.pop("G_MESSAGES_DEBUG", None)
                r = subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path",
                                    "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.RequestName",
                                    "org.mbmsd.Mbmsd1", "0"], env=env, capture_output=True, text=True, timeout=20)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("uint32 1", r.stdout)  # primary owner
            finally:
                bus.terminate()
                bus.wait(timeout=10)
                bus.stdout.close()
                bus.stderr.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
