#!/usr/bin/env python3
"""The main job's programs as a user runs them: mbms-labnet serves the BSF on loopback,
mbms-bootstrap bootstraps with the software USIM and prints the B-TID, the lifetime and the
key IDs, never key bytes. A second run reuses the persisted SQN; a USIM with the wrong K
fails with a clear message and exit status 1."""
import os, re, subprocess, sys, tempfile, time, unittest

BUILD = os.environ["MBMS_BUILD_DIR"]
SRC = os.environ["MBMS_SOURCE_DIR"]
LABNET = os.path.join(BUILD, "tools", "lab", "mbms-labnet")
BOOTSTRAP = os.path.join(BUILD, "tools", "mbms-bootstrap")
USIM = os.path.join(SRC, "data", "lab", "soft-usim.conf")
K_SET1 = "465b5ce8b199b49faa5f0a2ee238a6bc"


class BootstrapCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.labnet = subprocess.Popen([LABNET, "--config", os.path.join(SRC, "data", "lab", "labnet.conf")],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.labnet.stdout.readline()
        self.assertTrue(line.startswith("BSF "), f"labnet said {line!r}")
        self.bsf = line.split()[1]

    def tearDown(self):
        self.labnet.terminate()
        self.labnet.wait(timeout=10)
        self.labnet.stdout.close()
        self.labnet.stderr.close()
        self.tmp.cleanup()

    def bootstrap(self, usim=USIM, bmsc=("--bmsc", "bmsc.lab.mbmsd.test")):
        return subprocess.run([BOOTSTRAP, "--usim", usim, "--state-dir", self.tmp.name, "--bsf", self.bsf,
                               *bmsc], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, G_MESSAGES_DEBUG="all"))

    def test_bmsc_is_optional_as_the_man_page_says(self):
        with open(os.path.join(SRC, "data", "man", "mbms-bootstrap.1")) as f:
            self.assertIn(".RB [ \\-\\-bmsc", f.read())
        r = self.bootstrap(bmsc=())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"B-TID\s+\S+@bsf\.lab\.mbmsd\.test")
        self.assertNotIn("MBMS keys", r.stdout)

    def test_usage_errors_exit_2(self):
        r = subprocess.run([BOOTSTRAP], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--usim", r.stderr)

    def test_bootstrap_prints_ids_not_keys(self):
        r = self.bootstrap()
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"B-TID\s+(\S+@bsf\.lab\.mbmsd\.test)", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        self.assertRegex(r.stdout, r"key lifetime\s+\d{4}-\d\d-\d\dT")
        self.assertIn("IDi=bmsc.lab.mbmsd.test IDr=" + m.group(1), r.stdout)
        self.assertNotIn(K_SET1, r.stdout + r.stderr)
        sqn = os.path.join(self.tmp.name, "usim.sqn")
        self.assertTrue(os.path.exists(sqn))
        self.assertEqual(os.stat(sqn).st_mode & 0o777, 0o600)
        # the USIM's SQN state survives; a second run gets a new B-TID
        r2 = self.bootstrap()
        self.assertEqual(r2.returncode, 0, r2.stderr)
        m2 = re.search(r"B-TID\s+(\S+)", r2.stdout)
        self.assertNotEqual(m.group(1), m2.group(1))

    def test_wrong_k_fails_clearly(self):
        bad = os.path.join(self.tmp.name, "bad-usim.conf")
        with open(USIM) as f, open(bad, "w") as g:
            g.write(f.read().replace(K_SET1, "00112233445566778899aabbccddeeff"))
        r = self.bootstrap(bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("network authentication", r.stderr)
        self.assertNotIn("B-TID", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
