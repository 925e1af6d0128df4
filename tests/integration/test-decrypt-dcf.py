#!/usr/bin/env python3
"""mbmsctl decrypt-dcf, as a field engineer uses it: a DCF of MBMS download (TS 33.246 6.6.3.2)
built here from the box layouts with python3-cryptography, keys derived here from the MTK as
RFC 3830 4.1.2/4.1.3 says (cs_id 0, the CSB ID, the MSK's MIKEY-RAND), so that both the DCF
code and mgv's derivation meet an independent peer. Tampered or wrongly keyed files are
refused with nothing written."""
import base64, hashlib, hmac, math, os, struct, subprocess, tempfile, unittest

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BUILD = os.environ["MBMS_BUILD_DIR"]
MBMSCTL = os.path.join(BUILD, "tools", "mbmsctl")
MTK = bytes(range(0x30, 0x40))
RAND = b"0123456789abcdef"
CSB_ID = 0x55667788
KEY_ID = bytes([0x00, 0xF1, 0x10, 0x00, 0x01, 0x00, 0x02, 0x00, 0x07])


def p_sha1(s, label, m):
    """RFC 3830 4.1.2: P(s, label, m) = HMAC(s, A_1 || label) || ... with A_0 = label."""
    a, out = label, b""
    for _ in range(m):
        a = hmac.new(s, a, hashlib.sha1).digest()
        out += hmac.new(s, a + label, hashlib.sha1).digest()
    return out


def prf(inkey, label, length):
    m = math.ceil(length * 8 / 160)
    chunks = [inkey[i:i + 32] for i in range(0, len(inkey), 32)]
    out = bytes(m * 20)
    for c in chunks:
        out = bytes(x ^ y for x, y in zip(out, p_sha1(c, label, m)))
    return out[:length]


def tgk_key(constant, length):
    """RFC 3830 4.1.3: label = constant || cs_id || csb_id || RAND; cs_id 0 for download (6.5.4)."""
    return prf(MTK, struct.pack(">IBI", constant, 0, CSB_ID) + RAND, length)


ENCR = tgk_key(0x15798CEF, 16)
AUTH = tgk_key(0x1B5C7973, 20)


def box(t, body, full=False):
    if full:
        body = b"\0\0\0\0" + body
    return struct.pack(">I", 8 + len(body)) + t + body


def dcf(plain, method=1, auth=AUTH):
    iv = bytes(range(16))
    if method == 1:
        p = padding.PKCS7(128).padder()
        e = Cipher(algorithms.AES(ENCR), modes.CBC(iv)).encryptor()
        data = iv + e.update(p.update(plain) + p.finalize()) + e.finalize()
        pad = 1
    else:
        e = Cipher(algorithms.AES(ENCR), modes.CTR(iv)).encryptor()
        data = iv + e.update(plain) + e.finalize()
        pad = 0
    kid = base64.b64encode(KEY_ID)
    obki = box(b"obki", bytes([0, 2]) + struct.pack(">H", len(kid)) + kid, True)
    ohdr = box(b"ohdr", bytes([method, pad]) + struct.pack(">QHHH", len(plain), 0, 0, 0) + obki, True)
    odhe = box(b"odhe", bytes([10]) + b"text/plain" + ohdr, True)
    odda = box(b"odda", struct.pack(">Q", len(data)) + data, True)
    f = box(b"ftyp", b"odcf" + struct.pack(">I", 2)) + box(b"odrm", odhe + odda, True)
    sig = hmac.new(auth, f, hashlib.sha1).digest()
    return f + box(b"mdri", box(b"odfs", bytes([1]) + sig, True))


class DecryptDcf(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.plain = os.urandom(5000)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def run_ctl(self, *args):
        return subprocess.run([MBMSCTL, "decrypt-dcf", *args], capture_output=True, timeout=30)

    def test_mtk_cbc_and_ctr(self):
        for method in (1, 2):
            path = self.write("f%d.dcf" % method, dcf(self.plain, method))
            r = self.run_ctl("--mtk", MTK.hex(), "--csb-id", str(CSB_ID), "--rand", RAND.hex(), path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, self.plain)
            self.assertIn(b"MSK ID 0x00010002, MTK ID 7", r.stderr)
            self.assertIn(b"verified", r.stderr)

    def test_derived_keys_to_file(self):
        path = self.write("f.dcf", dcf(self.plain))
        out = os.path.join(self.tmp.name, "out.bin")
        r = self.run_ctl("--auth-key", AUTH.hex(), "--encr-key", ENCR.hex(), "-o", out, path)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), self.plain)

    def test_tampered_refused_nothing_written(self):
        data = bytearray(dcf(self.plain))
        data[len(data) // 2] ^= 1
        path = self.write("bad.dcf", bytes(data))
        out = os.path.join(self.tmp.name, "out.bin")
        r = self.run_ctl("--mtk", MTK.hex(), "--csb-id", str(CSB_ID), "--rand", RAND.hex(), "-o", out, path)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"does not verify", r.stderr)
        self.assertFalse(os.path.exists(out))

    def test_wrong_key_refused(self):
        path = self.write("f.dcf", dcf(self.plain, auth=bytes(20)))
        r = self.run_ctl("--mtk", MTK.hex(), "--csb-id", str(CSB_ID), "--rand", RAND.hex(), path)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, b"")

    def test_usage(self):
        self.assertEqual(self.run_ctl("x.dcf").returncode, 2)
        self.assertEqual(self.run_ctl("--mtk", "00", "x.dcf").returncode, 2)


if __name__ == "__main__":
    unittest.main()
