#!/usr/bin/env python3
"""The Yocto recipe against what the build really installs: every installed file lands in a
package (the recipe's FILES or OpenEmbedded's defaults), every FILES entry of the recipe names
something installed, the unit and conffile exist, and LIC_FILES_CHKSUM is COPYING's md5. The
Debian package itself is built, linted and installed by tools/run-tests."""
import fnmatch, hashlib, json, os, re, subprocess, unittest

BUILD = os.environ["MBMS_BUILD_DIR"]
SRC = os.environ["MBMS_SOURCE_DIR"]
RECIPE = os.path.join(SRC, "packaging", "yocto", "mbmsd_0.1.0.bb")

# OpenEmbedded's layout (bitbake.conf) and default FILES (meta/conf/bitbake.conf).
OE = {"prefix": "/usr", "exec_prefix": "/usr", "bindir": "/usr/bin", "sbindir": "/usr/sbin",
      "libexecdir": "/usr/libexec", "sysconfdir": "/etc", "datadir": "/usr/share", "mandir": "/usr/share/man",
      "docdir": "/usr/share/doc", "localstatedir": "/var", "systemd_system_unitdir": "/lib/systemd/system",
      "BPN": "mbmsd", "PN": "mbmsd"}
OE_DEFAULT_FILES = ["${bindir}/*", "${sbindir}/*", "${libexecdir}/*", "${sysconfdir}", "${localstatedir}",
                    "${datadir}/${BPN}"]
OE_DOC_FILES = ["${docdir}", "${mandir}"]
# what bash-completion.bbclass puts in ${PN}-bash-completion when the recipe inherits it
OE_BASH_COMPLETION_FILES = ["${datadir}/bash-completion", "${sysconfdir}/bash_completion.d"]


def expand(text):
    return re.sub(r"\$\{([A-Za-z_]+)\}", lambda m: OE.get(m.group(1), m.group(0)), text)


def covered(path, patterns):
    for p in patterns:
        p = expand(p)
        if fnmatch.fnmatch(path, p) or path == p or path.startswith(p.rstrip("/") + "/"):
            return True
    return False


class Recipe(unittest.TestCase):
    def setUp(self):
        with open(RECIPE) as f:
            self.recipe = f.read().replace("\\\n", " ")
        options = json.loads(subprocess.run(["meson", "introspect", "--buildoptions", BUILD], capture_output=True,
                                            text=True, check=True).stdout)
        opt = {o["name"]: o["value"] for o in options}
        prefix = opt["prefix"]
        installed = json.loads(subprocess.run(["meson", "introspect", "--installed", BUILD], capture_output=True,
                                              text=True, check=True).stdout).values()
        sysconfdir = opt["sysconfdir"] if opt["sysconfdir"].startswith("/") else prefix + "/" + opt["sysconfdir"]
        # this build's prefix and sysconfdir, laid out as OpenEmbedded does it
        self.installed = sorted(p.replace(sysconfdir, "/etc").replace(prefix, "/usr") for p in installed)

    def var(self, name):
        return [expand(v) for m in re.finditer(rf'^{re.escape(name)}\s*\+?=\s*"([^"]*)"', self.recipe, re.M)
                for v in m.group(1).split()]

    def test_every_installed_file_is_packaged(self):
        files = self.var("FILES:${PN}") + OE_DEFAULT_FILES + OE_DOC_FILES
        if re.search(r"^inherit .*\bbash-completion\b", self.recipe, re.M):
            files += OE_BASH_COMPLETION_FILES
        self.assertTrue(self.installed)
        for path in self.installed:
            self.assertTrue(covered(path, files), f"{path} is in no package")

    def test_bash_completion_installed_where_bash_completion_loads_it(self):
        self.assertIn("/usr/share/bash-completion/completions/mbmsctl", self.installed)

    def test_every_files_entry_names_something_installed(self):
        for entry in self.var("FILES:${PN}"):
            self.assertTrue(any(covered(p, [entry]) for p in self.installed), f"FILES entry {entry} is stale")

    def test_unit_conffile_and_license(self):
        self.assertIn("inherit meson pkgconfig systemd", self.recipe)
        for unit in self.var("SYSTEMD_SERVICE:${PN}"):
            self.assertIn(f"/lib/systemd/system/{unit}", self.installed)
        for conf in self.var("CONFFILES:${PN}"):
            self.assertIn(conf, self.installed)
        with open(os.path.join(SRC, "COPYING"), "rb") as f:
            md5 = hashlib.md5(f.read()).hexdigest()
        self.assertIn(f"file://COPYING;md5={md5}", self.recipe)
        self.assertIn("LGPL-2.1-or-later", self.recipe)
        with open(os.path.join(SRC, "meson.build")) as f:
            self.assertIn("license: 'LGPL-2.1-or-later'", f.read())
        # every PACKAGECONFIG switch is a real meson option
        with open(os.path.join(SRC, "meson_options.txt")) as f:
            options = f.read()
        for flag in re.findall(r"-D([a-z_]+)=", self.recipe):
            self.assertIn(f"option('{flag}'", options)


if __name__ == "__main__":
    unittest.main(verbosity=2)
