#!/usr/bin/env python3
"""mbmsctl decode-mikey, as a field engineer uses it: readable and JSON output of MSK, MTK and
verification messages, MAC verdicts with the MUK or the MSK + MIKEY-RAND, key bytes only with
--show-keys, and a clear error naming the payload and offset for a broken message."""
import json, os, subprocess, tempfile, unittest

BUILD = os.environ["MBMS_BUILD_DIR"]
MBMSCTL = os.path.join(BUILD, "tools", "mbmsctl")
SAMPLES = os.path.join(BUILD, "tests", "mikey-samples")
MUK = bytes(range(1, 33)).hex()            # the key mikey-samples uses
MSK = bytes(range(0xA0, 0xB0)).hex()
SALT = bytes(range(0x50, 0x5E)).hex()
RAND = b"0123456789abcdef".hex()


def run(*args, stdin=None):
    return subprocess.run([MBMSCTL, "decode-mikey", *args], capture_output=True, text=True, input=stdin, timeout=30)


class DecodeMikey(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out = subprocess.run([SAMPLES], check=True, capture_output=True, text=True).stdout.split()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.files = {}
        for name, hexdata in zip(out[0::2], out[1::2]):
            path = os.path.join(cls.tmp.name, name + ".bin")
            with open(path, "wb") as f:
                f.write(bytes.fromhex(hexdata))  # raw octets; hex text is accepted too
            cls.files[name] = path
            with open(path + ".hex", "w") as f:
                f.write(hexdata)

    def test_shipped_samples_are_what_the_builders_make(self):
        """data/examples/mikey (the README's examples) must not drift from mikey-samples."""
        for name, path in self.files.items():
            with open(os.path.join(os.environ["MBMS_SOURCE_DIR"], "data", "examples", "mikey", name + ".hex")) as f, \
                    open(path + ".hex") as g:
                self.assertEqual(f.read().strip(), g.read().strip(), name)

    def test_messages_in_the_users_charset(self):
        """setlocale: GLib's quotes reach a UTF-8 terminal as quotes, not as '?'."""
        r = subprocess.run([MBMSCTL, "decode-mikey", "/nonexistent/msg.bin"], capture_output=True, text=True,
                           timeout=30, env=dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("\u201c/nonexistent/msg.bin\u201d", r.stderr)

    def test_keys_that_do_not_fit_are_no_success(self):
        # an MTK message with only the MUK, an MSK message with only the MSK: nothing checked
        for args in (("--muk", MUK, self.files["mtk"]), ("--msk", MSK, "--rand", RAND, self.files["msk"]),
                     ("--msk", MSK, self.files["mtk"])):
            r = run(*args)
            self.assertEqual(r.returncode, 1, args)
            self.assertIn("not checked", r.stdout)
            self.assertIn("do not check this message", r.stderr)
        # no keys at all: decoding alone succeeds
        self.assertEqual(run(self.files["mtk"]).returncode, 0)

    def test_msk_verified_keys_hidden(self):
        r = run("--muk", MUK, self.files["msk"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"mac-check\s+valid")
        self.assertRegex(r.stdout, r"msk-id\s+0x00010002")
        self.assertRegex(r.stdout, r"seq-low\s+1")
        self.assertRegex(r.stdout, r"seq-high\s+100")
        self.assertNotIn(MSK, r.stdout)

    def test_show_keys(self):
        r = run("--muk", MUK, "--show-keys", self.files["msk"] + ".hex")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(MSK, r.stdout)

    def test_wrong_muk(self):
        r = run("--muk", "00" * 32, self.files["msk"])
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"mac-check\s+INVALID")
        self.assertNotIn("key-data", r.stdout)

    def test_mtk_json(self):
        r = run("--json", "--msk", MSK, "--rand", RAND, self.files["mtk"])
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["key-ids"]["mtk-id"], 5)
        self.assertEqual(doc["key-ids"]["message"], "MTK delivery")
        self.assertEqual(doc["HDR"]["cs-id-map"], "Empty")
        self.assertEqual(doc["KEMAC"]["mac-check"], "valid")
        self.assertEqual(doc["KEMAC"]["key-data"]["type"], "TEK+SALT")
        self.assertEqual(doc["KEMAC"]["key-data"]["salt-length"], 14)
        self.assertNotIn("key", doc["KEMAC"]["key-data"])
        self.assertNotIn(SALT, r.stdout)

    def test_verification_from_stdin(self):
        with open(self.files["verification"] + ".hex") as f:
            r = run("--json", "-", stdin=f.read())
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["HDR"]["data-type"], "verification")
        self.assertIn("V", doc)

    def test_broken_message(self):
        with open(self.files["msk"], "rb") as f:
            data = f.read()[:40]
        path = os.path.join(self.tmp.name, "cut.bin")
        with open(path, "wb") as f:
            f.write(data)
        r = run(path)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"MIKEY: .* at offset \d+")


if __name__ == "__main__":
    unittest.main(verbosity=2)
