#!/usr/bin/python3
"""The virtual USIM through a real pcscd and vpcd, driven by a PC/SC client (ctypes over
libpcsclite), under T=0 and T=1. Expected values come from outside the card: TS 35.208 rows of
../shared/vectors, Debian's osmo-auc-gen (AUTN, RES, CK, IK, AUTS -> SQN_MS) and the GBA
worked example of ../shared/vectors/gba-kdf.txt (G6), with the BSF side of GBA_U (MAC*,
flipped RES) written here from TS 33.220 5.3.2.

Outer run: one private pcscd + card per protocol (with-pcscd). Inner run (--inner): the checks."""
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
VECTORS = os.environ.get("MBMS_VECTORS_DIR", os.path.join(HERE, "..", "..", "..", "shared", "vectors"))
PY = "/usr/bin/python3"


def ts35208(set_no):
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(VECTORS, "milenage-ts35208.tsv"))
            if l.strip() and not l.startswith("#")]
    head = rows[0]
    for r in rows[1:]:
        if r[0] == str(set_no):
            return {k: v for k, v in zip(head, r)}
    raise KeyError(set_no)


def gba_example():
    text = open(os.path.join(VECTORS, "gba-kdf.txt")).read()
    g6 = text[text.index("==== G6"):]
    def val(name):
        return re.search(rf"^{re.escape(name)}\s*=\s*(\S+)", g6, re.M).group(1)
    return {"Ks": val("Ks"), "RAND": val("RAND"), "Ks_NAF": val("Ks_NAF"), "Ks_int_NAF": val("Ks_int_NAF"),
            "IMPI": re.search(r'^IMPI\s*=\s*"([^"]+)"', g6, re.M).group(1)}


def osmo(k, opc, rand, sqn=None, amf="8000", auts=None):
    args = ["osmo-auc-gen", "-3", "-a", "milenage", "-k", k, "-o", opc, "-r", rand]
    if auts:
        args += ["-A", auts]
    else:
        args += ["-f", amf, "-s", str(sqn)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=30).stdout
    return {m.group(1): m.group(2) for m in re.finditer(r"^([A-Za-z. ]+):\s+(\S+)", out, re.M)}


def write_profile(path, vec, services="27,38,68"):
    with open(path, "w") as f:
        f.write(f"[usim]\nimsi=001010123456789\niccid=8988211000000000001\nmnc-length=2\n"
                f"k={vec['K']}\nopc={vec['OPc']}\nsqn=000000000000\nservices={services}\n"
                f"pin=1234\npin-state=disabled\n")


class Outer(unittest.TestCase):
    def run_inner(self, protocol):
        with tempfile.TemporaryDirectory() as tmp:
            prof = os.path.join(tmp, "card.conf")
            write_profile(prof, ts35208(1))
            r = subprocess.run([PY, os.path.join(HERE, "with-pcscd"), "--config", prof, "--protocol", protocol,
                                "--", PY, os.path.abspath(__file__), "--inner", protocol], timeout=240)
            self.assertEqual(r.returncode, 0, f"checks under {protocol} failed")

    def test_t0(self):
        self.run_inner("t0")

    def test_t1(self):
        self.run_inner("t1")


# ---------------------------------------------------------------- inner checks

def control(*words):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(os.environ["VUSIM_CONTROL"])
        s.sendall((" ".join(words) + "\n").encode())
        f = s.makefile()
        return json.loads(f.readline())


class Inner(unittest.TestCase):
    protocol = None

    @classmethod
    def setUpClass(cls):
        import pcsc_client
        cls.pc = pcsc_client
        cls.ctx = pcsc_client.Context()
        cls.vec = ts35208(1)
        cls.connect()

    @classmethod
    def connect(cls):
        cls.card = cls.pc.Card(cls.ctx, os.environ["VUSIM_READER"])

    def tx(self, hexapdu):
        return self.pc.transceive(self.card, bytes.fromhex(hexapdu.replace(" ", "")))

    def raw(self, hexapdu):
        r = self.card.transmit(bytes.fromhex(hexapdu.replace(" ", "")))
        return r[:-2], int.from_bytes(r[-2:], "big")

    def select_usim(self, cla=0x00):
        data, sw = self.tx("00A4000C022F00")      # EF_DIR under the MF
        self.assertEqual(sw, 0x9000)
        rec, sw = self.tx("00B2010420")           # record 1, 32 octets
        self.assertEqual(sw, 0x9000)
        self.assertEqual(rec[0], 0x61)
        self.assertEqual(rec[2], 0x4F)
        aid = rec[4:4 + rec[3]]
        self.assertTrue(aid.startswith(bytes.fromhex("A0000000871002")), aid.hex())
        fcp, sw = self.tx(f"{cla:02X}A40404{len(aid):02X}{aid.hex()}00")
        self.assertEqual(sw, 0x9000)
        self.assertEqual(fcp[0], 0x62)
        self.assertIn(b"\x84" + bytes([len(aid)]) + aid, fcp)
        return aid

    def read_ef(self, fid, cla=0x00):
        fcp, sw = self.tx(f"{cla:02X}A40004020{fid:03X}00" if fid < 0x1000 else f"{cla:02X}A4000402{fid:04X}00")
        self.assertEqual(sw, 0x9000, f"select {fid:04X}")
        size = int.from_bytes(fcp[fcp.index(b"\x80\x02") + 2:][:2], "big")
        data, sw = self.tx(f"{cla:02X}B00000{size:02X}")
        self.assertEqual(sw, 0x9000)
        return data

    def authenticate(self, rand, autn, p2=0x81, cla=0x00):
        body = bytes([16]) + bytes.fromhex(rand) + bytes([16]) + bytes.fromhex(autn)
        return self.tx(f"{cla:02X}8800{p2:02X}{len(body):02X}{body.hex()}00")

    def test_01_protocol_and_atr(self):
        self.assertEqual(self.card.protocol, self.protocol)

    def test_02_files(self):
        iccid = self.read_ef(0x2FE2)
        self.assertEqual(iccid.hex(), "988812010000000000f1")   # ETSI TS 102 221 13.2: swapped BCD, F pad
        self.select_usim()
        imsi = self.read_ef(0x6F07)
        self.assertEqual(imsi.hex(), "080910101032547698")   # TS 31.102 4.2.2 / TS 24.008 10.5.1.4
        ad = self.read_ef(0x6FAD)
        self.assertEqual(ad[3], 2)
        ust = self.read_ef(0x6F38)
        for n in (27, 38, 68):
            self.assertTrue(ust[(n - 1) // 8] & (1 << ((n - 1) % 8)), f"service {n}")
        self.assertFalse(ust[(69 - 1) // 8] & (1 << ((69 - 1) % 8)))

    def test_03_auth_3g_against_osmo_and_ts35208(self):
        self.select_usim()
        v = self.vec
        o = osmo(v["K"], v["OPc"], v["RAND"], sqn=int(v["SQN"], 16), amf=v["AMF"])
        data, sw = self.authenticate(v["RAND"], o["AUTN"])
        self.assertEqual(sw, 0x9000)
        self.assertEqual(data[0], 0xDB)
        res = data[2:2 + data[1]]
        p = 2 + data[1]
        ck = data[p + 1:p + 1 + data[p]]
        p += 1 + data[p]
        ik = data[p + 1:p + 1 + data[p]]
        p += 1 + data[p]
        kc = data[p + 1:p + 1 + data[p]]
        self.assertEqual(res.hex(), v["f2_RES"])
        self.assertEqual(ck.hex(), v["f3_CK"])
        self.assertEqual(ik.hex(), v["f4_IK"])
        self.assertEqual(res.hex(), o["RES"])
        self.assertEqual(kc.hex(), o["Kc"])            # service n°27: Kc after IK
        # the same AUTN again: synchronisation failure, AUTS that osmo-auc-gen accepts
        data, sw = self.authenticate(v["RAND"], o["AUTN"])
        self.assertEqual(sw, 0x9000)
        self.assertEqual(data[:2], b"\xdc\x0e")
        back = osmo(v["K"], v["OPc"], v["RAND"], auts=data[2:].hex())
        self.assertEqual(int(back["SQN.MS"]), int(v["SQN"], 16))
        # a flipped MAC bit: 9862, no data
        bad = o["AUTN"][:-1] + ("0" if o["AUTN"][-1] != "0" else "1")
        data, sw = self.authenticate(v["RAND"], bad)
        self.assertEqual((data, sw), (b"", 0x9862))

    def test_04_gsm_context(self):
        self.select_usim()
        v = self.vec
        o = osmo(v["K"], v["OPc"], v["RAND"], sqn=1)
        data, sw = self.tx("00880080" + "11" + "10" + v["RAND"] + "00")
        self.assertEqual(sw, 0x9000)
        self.assertEqual(data.hex(), "04" + o["SRES"] + "08" + o["Kc"])

    def test_05_injected_failures(self):
        self.select_usim()
        v = self.vec
        o = osmo(v["K"], v["OPc"], v["RAND"], sqn=int(v["SQN"], 16) + 32 * 5)
        control("set", "mac-failure", "on")
        try:
            self.assertEqual(self.authenticate(v["RAND"], o["AUTN"]), (b"", 0x9862))
        finally:
            control("set", "mac-failure", "off")
        control("set", "sync-failure", "on")
        try:
            data, sw = self.authenticate(v["RAND"], o["AUTN"])
        finally:
            control("set", "sync-failure", "off")
        self.assertEqual(data[:2], b"\xdc\x0e")
        self.assertIn("SQN.MS", osmo(v["K"], v["OPc"], v["RAND"], auts=data[2:].hex()))
        # the fresh SQN is still fresh afterwards: the injections changed nothing on the card
        data, sw = self.authenticate(v["RAND"], o["AUTN"])
        self.assertEqual((data[0], sw), (0xDB, 0x9000))
        control("set", "slow-ms", "150")
        try:
            self.assertEqual(self.tx("00A4000C022FE2")[1], 0x9000)
        finally:
            control("set", "slow-ms", "0")

    def test_06_t0_rules(self):
        if self.protocol != "t0":
            self.skipTest("T=0 only")
        data, sw = self.raw("00A40004023F00")            # case 4 under T=0: 61xx
        self.assertEqual(sw >> 8, 0x61)
        n = sw & 0xFF
        data, sw = self.raw(f"00C00000{n + 1:02X}")       # too long: 6Cxx with the exact length
        self.assertEqual(sw, 0x6C00 | n)
        data, sw = self.raw(f"00C00000{n:02X}")
        self.assertEqual((len(data), sw), (n, 0x9000))
        self.assertEqual(data[0], 0x62)
        self.assertEqual(self.raw("00C0000001")[1], 0x6985)   # nothing pending any more
        self.raw("00A4000C022FE2")
        data, sw = self.raw("00B0000000")                 # P3 = 00 means 256 under T=0
        self.assertEqual(sw, 0x6C0A)

    def test_07_pin(self):
        control("pin", "enabled")
        try:
            self.card.reconnect(reset=True)
            self.select_usim()
            self.assertEqual(self.tx("00A4000C026F07")[1], 0x9000)
            self.assertEqual(self.tx("00B0000009")[1], 0x6982)
            self.assertEqual(self.tx("0020000100")[1] if False else self.tx("00200001")[1], 0x63C3)
            self.assertEqual(self.tx("002000010831323335FFFFFFFF")[1], 0x63C2)
            self.assertEqual(self.tx("002000010831323334FFFFFFFF")[1], 0x9000)
            self.assertEqual(self.tx("00B0000009")[1], 0x9000)
            control("pin", "blocked")
            self.assertEqual(self.tx("00200001")[1], 0x6983)
        finally:
            control("pin", "disabled")
            self.card.reconnect(reset=True)

    def test_08_logical_channel(self):
        data, sw = self.tx("0070000001")
        self.assertEqual(sw, 0x9000)
        ch = data[0]
        self.assertTrue(1 <= ch <= 3)
        self.select_usim(cla=ch)
        v = ts35208(1)
        o = osmo(v["K"], v["OPc"], v["RAND"], sqn=int(v["SQN"], 16) + 32 * 9)
        data, sw = self.authenticate(v["RAND"], o["AUTN"], cla=ch)
        self.assertEqual((data[0], sw), (0xDB, 0x9000))
        self.assertEqual(self.tx(f"007080{ch:02X}")[1], 0x9000)
        self.assertEqual(self.tx(f"{ch:02X}A4000C022FE2")[1], 0x6881)   # closed

    def test_09_gba_u(self):
        """TS 33.220 5.3.2 from the BSF's side: AUTN* carries MAC* = MAC xor Trunc64(SHA-1(IK));
        the card answers RES with its last bit flipped and keeps Ks; NAF derivation returns
        Ks_ext_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id), the G6 worked example."""
        ex = gba_example()
        v = self.vec
        self.assertEqual(ex["Ks"], v["f3_CK"] + v["f4_IK"])
        self.assertEqual(ex["RAND"], v["RAND"])
        self.select_usim()
        o = osmo(v["K"], v["OPc"], v["RAND"], sqn=int(v["SQN"], 16) + 32 * 20)
        autn = bytes.fromhex(o["AUTN"])
        trunc = hashlib.sha1(bytes.fromhex(o["IK"])).digest()[:8]
        autn_star = autn[:8] + bytes(a ^ b for a, b in zip(autn[8:], trunc))
        # AUTN (not AUTN*) in the GBA context fails the MAC check
        body = b"\xdd\x10" + bytes.fromhex(v["RAND"]) + b"\x10" + autn
        self.assertEqual(self.tx(f"00880084{len(body):02X}{body.hex()}00"), (b"", 0x9862))
        body = b"\xdd\x10" + bytes.fromhex(v["RAND"]) + b"\x10" + autn_star
        data, sw = self.tx(f"00880084{len(body):02X}{body.hex()}00")
        self.assertEqual(sw, 0x9000)
        res = bytes.fromhex(o["RES"])
        self.assertEqual(data, b"\xdb\x08" + res[:-1] + bytes([res[-1] ^ 1]))
        # EF_GBABP holds RAND; the ME writes B-TID and key lifetime after it
        gbabp = self.read_ef(0x6FD6)
        self.assertEqual(gbabp[:17], b"\x10" + bytes.fromhex(v["RAND"]))
        import base64
        btid = base64.b64encode(bytes.fromhex(v["RAND"])) + b"@bsf.lab.mbmsd.test"
        lifetime = b"2026-12-31T23:59:59Z"
        tail = bytes([len(btid)]) + btid + bytes([len(lifetime)]) + lifetime
        self.assertEqual(self.tx(f"00D60011{len(tail):02X}{tail.hex()}")[1], 0x9000)
        naf_id = b"bmsc.home1.net" + bytes.fromhex("0100000001")
        impi = ex["IMPI"].encode()
        body = b"\xde" + bytes([len(naf_id)]) + naf_id + bytes([len(impi)]) + impi
        data, sw = self.tx(f"00880084{len(body):02X}{body.hex()}00")
        self.assertEqual(sw, 0x9000)
        self.assertEqual(data.hex(), "db20" + ex["Ks_NAF"])
        # EF_GBANL: NAF_ID and the B-TID the ME wrote (4.2.83)
        self.assertEqual(self.tx("00A4000C026FDA")[1], 0x9000)
        rec, sw = self.tx("00B2010400")
        if sw >> 8 == 0x6C:
            rec, sw = self.tx(f"00B20104{sw & 0xFF:02X}")
        self.assertEqual(sw, 0x9000)
        self.assertEqual(rec[:2 + len(naf_id)], b"\x80" + bytes([len(naf_id)]) + naf_id)
        rest = rec[2 + len(naf_id):]
        self.assertEqual(rest[:2 + len(btid)], b"\x81" + bytes([len(btid)]) + btid)

    def test_10_removal_mid_command(self):
        self.select_usim()
        control("set", "remove-on-ins", "88")
        v = self.vec
        o = osmo(v["K"], v["OPc"], v["RAND"], sqn=int(v["SQN"], 16) + 32 * 30)
        with self.assertRaises(self.pc.PcscError):
            self.authenticate(v["RAND"], o["AUTN"])
        self.assertTrue(self.ctx.wait_state(os.environ["VUSIM_READER"], False, 10))
        control("insert")
        self.assertTrue(self.ctx.wait_state(os.environ["VUSIM_READER"], True, 10))
        self.card.close()
        type(self).connect()
        self.select_usim()
        data, sw = self.authenticate(v["RAND"], o["AUTN"])   # the card never saw it: still fresh
        self.assertEqual((data[0], sw), (0xDB, 0x9000))


def inner(protocol):
    Inner.protocol = protocol
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Inner)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--inner":
        sys.exit(inner(sys.argv[2]))
    unittest.main(verbosity=2, defaultTest="Outer")
