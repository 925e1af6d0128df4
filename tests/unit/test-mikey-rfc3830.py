#!/usr/bin/env python3
"""RFC 3830 written a second time, in Python, straight from the RFC text (4.1.2 PRF, 4.1.4
keys from the pre-shared key, 4.2.3 AES-CM IV, 5.2 MAC, 6.13 Key data), checked against the
C code: no public MIKEY vectors with AES-CM KEMAC exist, so two separate implementations must
agree. The messages come from our builders; Python opens them on its own."""
import hashlib, hmac, os, secrets, struct, subprocess, unittest

BUILD = os.environ["MBMS_BUILD_DIR"]
TOOL = os.path.join(BUILD, "tests", "mikey-tool")
SAMPLES = os.path.join(BUILD, "tests", "mikey-samples")
MUK = bytes(range(1, 33))
MSK = bytes(range(0xA0, 0xB0))
SALT = bytes(range(0x50, 0x5E))
RAND = b"0123456789abcdef"


def prf(inkey, label, outlen):
    """RFC 3830 4.1.2: XOR of P(s_i, label, m) over the 256-bit pieces of inkey."""
    m = -(-outlen // 20)
    out = bytearray(m * 20)
    pieces = [inkey[i:i + 32] for i in range(0, len(inkey), 32)] or [b""]
    for s in pieces:
        a = label
        for j in range(m):
            a = hmac.new(s, a, hashlib.sha1).digest()
            block = hmac.new(s, a + label, hashlib.sha1).digest()
            for k in range(20):
                out[j * 20 + k] ^= block[k]
    return bytes(out[:outlen])


def psk_keys(psk, csb_id, rand):
    """RFC 3830 4.1.4: label = constant || 0xFF || csb_id || RAND."""
    def key(const, n):
        return prf(psk, struct.pack("!IBI", const, 0xFF, csb_id) + rand, n)
    return key(0x150533E1, 16), key(0x2D22AC75, 20), key(0x29B88916, 14)


def aes_cm(key, salt, csb_id, t, data):
    """RFC 3830 4.2.3: IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000; T = 32-bit counter
    widened to 64 bits (docs/interpretations.md)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    x = b"\x00\x00" + struct.pack("!IQ", csb_id, t)
    iv = bytes(a ^ b for a, b in zip(salt, x)) + b"\x00\x00"
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def walk(msg):
    """Payload offsets of a message (RFC 3830 6): yields (type, offset of its body)."""
    n_cs, map_type = msg[8], msg[9]
    off = 10 + (9 * n_cs if map_type == 0 else 0)
    nxt = msg[2]
    while nxt != 0:
        t, body = nxt, off + 1
        nxt = msg[off]
        yield t, body
        if t == 21:  # EXT
            off = body + 3 + struct.unpack("!H", msg[body + 1:body + 3])[0]
        elif t == 5:  # T, counter
            off = body + 5
        elif t == 11:
            off = body + 1 + msg[body]
        elif t == 6:
            off = body + 3 + struct.unpack("!H", msg[body + 1:body + 3])[0]
        elif t == 10:
            off = body + 4 + struct.unpack("!H", msg[body + 2:body + 4])[0]
        elif t in (1, 9):
            return


class Rfc3830(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out = subprocess.run([SAMPLES], check=True, capture_output=True, text=True).stdout.split()
        cls.msgs = {n: bytes.fromhex(h) for n, h in zip(out[0::2], out[1::2])}

    def test_prf_agrees(self):
        for inlen in (16, 20, 32, 33, 64, 70):
            for outlen in (14, 16, 20, 21, 40, 45):
                inkey, label = secrets.token_bytes(inlen), secrets.token_bytes(25)
                c = subprocess.run([TOOL, "prf", inkey.hex(), label.hex(), str(outlen)], check=True,
                                   capture_output=True, text=True).stdout.strip()
                self.assertEqual(c, prf(inkey, label, outlen).hex(), f"inkey {inlen} out {outlen}")

    def open_kemac(self, msg, psk, rand):
        csb_id = struct.unpack("!I", msg[4:8])[0]
        payloads = dict(walk(msg))
        t = struct.unpack("!I", msg[payloads[5] + 1:payloads[5] + 5])[0]
        k = payloads[1]
        enc_len = struct.unpack("!H", msg[k + 1:k + 3])[0]
        encr, auth, salt = psk_keys(psk, csb_id, rand)
        self.assertEqual(hmac.new(auth, msg[:-20], hashlib.sha1).digest(), msg[-20:], "MAC (RFC 3830 5.2)")
        return aes_cm(encr, salt, csb_id, t, msg[k + 3:k + 3 + enc_len])

    def test_msk_message_opens(self):
        plain = self.open_kemac(self.msgs["msk"], MUK, RAND)
        # Key data: next | type 2 (TEK) << 4 | KV 2 (interval) | len | key | VF len | VF | VT len | VT
        self.assertEqual(plain[0], 0)
        self.assertEqual(plain[1], 0x22)
        self.assertEqual(struct.unpack("!H", plain[2:4])[0], 16)
        self.assertEqual(plain[4:20], MSK)
        self.assertEqual(plain[20:], b"\x02\x00\x01\x02\x00\x64")

    def test_mtk_message_opens(self):
        plain = self.open_kemac(self.msgs["mtk"], MSK, RAND)
        # TEK+salt (3), KV NULL: next | 0x30 | 16 | MTK | 14 | salt
        self.assertEqual(plain[1], 0x30)
        self.assertEqual(plain[20:22], b"\x00\x0e")
        self.assertEqual(plain[22:36], SALT)
        self.assertEqual(len(plain), 36)

    def test_verification_mac(self):
        msg = self.msgs["verification"]
        _, auth, _ = psk_keys(MUK, 0x11223344, RAND)
        idi, idr = b"bmsc.lab.mbmsd.test", b"MDEyMzQ1Njc4OWFiY2RlZg==@bsf.lab.mbmsd.test"
        mac = hmac.new(auth, msg[:-20] + idi + idr + struct.pack("!I", 7), hashlib.sha1).digest()
        self.assertEqual(mac, msg[-20:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
