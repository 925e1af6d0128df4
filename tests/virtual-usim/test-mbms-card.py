#!/usr/bin/python3
"""The card's MBMS security context (TS 31.102 7.1.1.6-7.1.1.10, 7.1.2.5; TS 33.246 6.4-6.5)
driven with APDUs (ODD instruction 89, chained blocks, 62F3 / 62F1 retrieval) under T=0 and
T=1, fed with the MIKEY messages mbmsd's builders make (tests/mikey-samples: the lab BM-SC
builds the same way), so the card's independent MGV-F is checked for interoperability: the
expected MSK/MTK/salt are the samples' inputs, the expected verification message is the
samples' own. The GBA_U key the MUK comes from is put on the card by a NAF derivation over a
bootstrapping whose Ks is chosen here (the card's GBA_U itself is tested through PC/SC)."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
BUILD = os.environ.get("MBMS_BUILD_DIR", "")
SAMPLES = os.path.join(BUILD, "tests", "mikey-samples")

import gba_u            # noqa: E402
import usim_card        # noqa: E402
import usim_profile     # noqa: E402

MUK = bytes(range(1, 33))
KEY = bytes(range(0xA0, 0xB0))
SALT = bytes(range(0x50, 0x5E))
IDI = b"bmsc.lab.mbmsd.test"
IDR = b"MDEyMzQ1Njc4OWFiY2RlZg==@bsf.lab.mbmsd.test"
UA = bytes.fromhex("0100000001")


def samples():
    out = subprocess.run([SAMPLES], capture_output=True, text=True, check=True).stdout
    return {name: bytes.fromhex(h) for name, h in (l.split() for l in out.splitlines())}


def ber(n):
    return bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82, n >> 8, n & 0xFF])


class MbmsCard(unittest.TestCase):
    protocol = "t1"

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(SAMPLES):
            raise RuntimeError(f"{SAMPLES} is not built")
        cls.s = samples()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        prof = os.path.join(self.tmp.name, "card.conf")
        write_profile(prof)
        self.card = usim_card.Card(usim_profile.Profile(prof), self.protocol)
        self.assertEqual(self.tx("00A4040C07A0000000871002")[1], 0x9000)
        # the MUK: Ks_int_NAF of a GBA_U NAF derivation for NAF_ID = IDi || Ua (0100000001)
        self.put_naf_key(MUK, IDR)

    def put_naf_key(self, key, btid):
        self.card.gba.naf[IDI + UA] = gba_u.NafKey(IDI + UA, key, btid, 1)

    def tearDown(self):
        self.tmp.cleanup()

    def transmit(self, apdu):
        return self.card.process(apdu)

    def tx(self, hexapdu):
        """One command; under T=0 the terminal's GET RESPONSE / resend-with-Le as ISO 7816-3 says."""
        apdu = bytes.fromhex(hexapdu) if isinstance(hexapdu, str) else hexapdu
        r = self.transmit(apdu)
        data, sw = r[:-2], int.from_bytes(r[-2:], "big")
        if sw >> 8 == 0x6C:
            r = self.transmit(apdu[:-1] + bytes([sw & 0xFF]))
            data, sw = r[:-2], int.from_bytes(r[-2:], "big")
        while sw >> 8 == 0x61:
            r = self.transmit(bytes([0x00, 0xC0, 0x00, 0x00, sw & 0xFF]))
            data, sw = data + r[:-2], int.from_bytes(r[-2:], "big")
        return data, sw

    def mbms(self, mode, payload, block=None):
        """7.1.2.5 through ODD INS 89 / P2 85: '53' L mode payload in blocks (P1 80, then 00),
        62F3, then the response in blocks (P1 A0, then 20 while 62F1)."""
        body = bytes([mode]) + payload
        do = b"\x53" + ber(len(body)) + body
        block = block or 255
        chunks = [do[i:i + block] for i in range(0, len(do), block)]
        for i, c in enumerate(chunks):
            data, sw = self.tx(bytes([0x00, 0x89, 0x80 if i == 0 else 0x00, 0x85, len(c)]) + c)
            if i < len(chunks) - 1:
                self.assertEqual((data, sw), (b"", 0x9000), f"block {i}")
        if sw != 0x62F3:
            return None, sw
        out, p1 = b"", 0xA0
        while True:
            data, sw = self.tx(bytes([0x00, 0x89, p1, 0x85, 0x00]))
            out += data
            if sw != 0x62F1:
                break
            p1 = 0x20
        self.assertEqual(sw, 0x9000)
        self.assertEqual(out[0], 0x53)
        return out, sw

    @staticmethod
    def unwrap(resp):
        n, pos = resp[1], 2
        if n == 0x81:
            n, pos = resp[2], 3
        elif n == 0x82:
            n, pos = int.from_bytes(resp[2:4], "big"), 4
        body = resp[pos:pos + n]
        assert len(body) == n and body[0] == 0xDB
        return body[1:]

    def test_msk_then_mtk(self):
        resp, sw = self.mbms(1, self.s["msk"], block=60)
        self.assertEqual(self.unwrap(resp), self.s["verification"])     # V bit: the card's verification message
        rec, sw = self.tx("00A4000C026FD7")
        rec, sw = self.tx("00B2010414")
        self.assertEqual(rec[:4], bytes.fromhex("00f11001"))              # Key Domain ID, one MSK ID
        self.assertEqual(rec[4:12], bytes.fromhex("00010002") + bytes(4))  # MSK ID, TS reset
        self.assertEqual(rec[12:20], b"\xff" * 8)
        self.tx("00A4000C026FD8")
        rec, _ = self.tx("00B2010460")
        self.assertEqual(rec[:4 + 2 + len(IDR) + 2 + len(IDI)][:2], bytes([0xA0, 4 + len(IDR) + len(IDI)]))
        self.assertIn(b"\x81\x04\x00\x00\x00\x07", rec)                     # TS of the MSK message
        resp, sw = self.mbms(2, self.s["mtk"])
        self.assertEqual(self.unwrap(resp), KEY + SALT)                    # MTK || salt
        rec, _ = self.tx("00A4000C026FD7")
        rec, _ = self.tx("00B2010414")
        self.assertEqual(rec[8:12], bytes.fromhex("00000009"))            # TS of the MTK message
        # the same MTK message again: replay (TS, and MTK ID not above SEQl) -> key freshness
        self.assertEqual(self.mbms(2, self.s["mtk"])[1], 0x9865)

    def test_msk_replay_and_tampering(self):
        self.mbms(1, self.s["msk"])
        self.assertEqual(self.mbms(1, self.s["msk"])[1], 0x9865)           # TS 7 again
        bad = bytearray(self.s["mtk"])
        bad[-1] ^= 1
        self.assertEqual(self.mbms(2, bytes(bad))[1], 0x9862)              # MAC
        bad = bytearray(self.s["msk"])
        bad[-5] ^= 1
        self.assertEqual(self.mbms(1, bytes(bad))[1], 0x9862)

    def test_mtk_without_msk_and_deletions(self):
        self.assertEqual(self.mbms(2, self.s["mtk"])[1], 0x6A88)           # no MSK yet
        self.mbms(1, self.s["msk"])
        resp, sw = self.mbms(3, bytes.fromhex("00f110") + bytes.fromhex("0001"))
        self.assertEqual(resp, b"\x53\x01\xdb")
        self.assertEqual(self.mbms(3, bytes.fromhex("00f1100001"))[1], 0x6A88)
        self.assertEqual(self.mbms(2, self.s["mtk"])[1], 0x6A88)
        muk_id = b"\xa0" + bytes([4 + len(IDR) + len(IDI)]) + b"\x80" + bytes([len(IDR)]) + IDR + \
            b"\x82" + bytes([len(IDI)]) + IDI
        self.assertEqual(self.mbms(4, muk_id)[0], b"\x53\x01\xdb")
        self.assertFalse(self.has_naf_key())                              # its Ks_int_NAF went too
        self.assertEqual(self.mbms(1, self.s["msk"])[1], 0x6985)           # no Ks_int_NAF any more
        self.assertEqual(self.mbms(4, muk_id)[1], 0x6A88)

    def test_unknown_muk_and_bad_data(self):
        self.put_naf_key(MUK, b"other@bsf")
        self.assertEqual(self.mbms(1, self.s["msk"])[1], 0x6A88)           # IDr is not the B-TID of the key
        self.assertEqual(self.mbms(1, b"\x01\x02\x03")[1], 0x6A80)
        self.assertEqual(self.mbms(9, b"")[1], 0x6A80)
        # a next block without a first, a response block with nothing pending
        self.assertEqual(self.tx("0089008503530101")[1], 0x6985)
        self.assertEqual(self.tx("0089A08500")[1], 0x6985)

    def test_small_response_blocks(self):
        self.set_switch("odd-block", "16")
        resp, sw = self.mbms(1, self.s["msk"])
        self.assertEqual(self.unwrap(resp), self.s["verification"])

    def has_naf_key(self):
        return IDI + UA in self.card.gba.naf

    def set_switch(self, name, value):
        self.card.switches.set(name, value)


class MbmsCardT0(MbmsCard):
    protocol = "t0"


def write_profile(path):
    with open(path, "w") as f:
        f.write("[usim]\nimsi=001010123456789\niccid=8988211000000000001\n"
                "k=465b5ce8b199b49faa5f0a2ee238a6bc\nopc=cd63cb71954a9f4e48a5994e37a02baf\nservices=68,69\n")


class OverPcsc(unittest.TestCase):
    """The same checks through pcscd and vpcd (a fresh card per protocol)."""

    def run_over(self, protocol):
        with tempfile.TemporaryDirectory() as tmp:
            prof = os.path.join(tmp, "card.conf")
            write_profile(prof)
            r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "with-pcscd"), "--config", prof, "--protocol",
                                protocol, "--", "/usr/bin/python3", os.path.abspath(__file__), "--pcsc", protocol],
                               timeout=240)
            self.assertEqual(r.returncode, 0)

    def test_t0(self):
        self.run_over("t0")

    def test_t1(self):
        self.run_over("t1")


class MbmsPcsc(MbmsCard):
    """MbmsCard's checks against the card behind pcscd; the MUK goes in through the card's test hook."""

    @classmethod
    def setUpClass(cls):
        import pcsc_client
        super().setUpClass()
        cls.pc = pcsc_client
        cls.ctx = pcsc_client.Context()

    def setUp(self):
        import json
        import socket
        self.json, self.socket = json, socket
        self.control("insert " + os.environ["MBMS_CARD_PROFILE"])   # a fresh card for each test
        self.assertTrue(self.ctx.wait_state(os.environ["VUSIM_READER"], True, 10))
        self.pcard = self.pc.Card(self.ctx, os.environ["VUSIM_READER"])
        self.pcard.reconnect(reset=True)
        self.assertEqual(self.tx("00A4040C07A0000000871002")[1], 0x9000)
        self.put_naf_key(MUK, IDR)

    def tearDown(self):
        self.pcard.close()

    def control(self, line):
        with self.socket.socket(self.socket.AF_UNIX) as s:
            s.connect(os.environ["VUSIM_CONTROL"])
            s.sendall((line + "\n").encode())
            reply = self.json.loads(s.makefile().readline())
        assert "error" not in reply, reply
        return reply

    def transmit(self, apdu):
        return self.pcard.transmit(apdu)

    def put_naf_key(self, key, btid):
        self.control(f"naf-key {(IDI + UA).hex()} {key.hex()} {btid.decode()}")

    def has_naf_key(self):
        return (IDI + UA).hex() in self.control("state")["gba"]["naf_ids"]

    def set_switch(self, name, value):
        self.control(f"set {name} {value}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--pcsc":
        prof = os.path.join(os.environ["WITH_PCSCD_DIR"], "mbms-card.conf")
        write_profile(prof)
        os.environ["MBMS_CARD_PROFILE"] = prof
        r = unittest.TextTestRunner(verbosity=2).run(unittest.defaultTestLoader.loadTestsFromTestCase(MbmsPcsc))
        sys.exit(0 if r.wasSuccessful() else 1)
    suite = unittest.TestSuite()
    for case in (MbmsCard, MbmsCardT0, OverPcsc):
        suite.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(case))
    sys.exit(0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1)
