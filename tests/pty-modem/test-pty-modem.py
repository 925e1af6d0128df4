#!/usr/bin/python3
"""The pty modem in front of the virtual USIM, spoken to as a TE would (TS 27.007): echo,
+CMEE, +CPIN?, +CCHO/+CGLA/+CCHC and +CSIM, AUTHENTICATE 3G through a logical channel checked
against osmo-auc-gen, URCs, card removal, and each modem variant switch.

Outer run: with-modem per variant. Inner run (--inner VARIANT): the checks."""
import json
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time
import tty
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "virtual-usim"))
PY = "/usr/bin/python3"
VECTORS = os.environ.get("MBMS_VECTORS_DIR", os.path.join(HERE, "..", "..", "..", "shared", "vectors"))
USIM_AID = "A0000000871002FF49FF0589000001FF"

VARIANTS = {
    "standard": [],
    "quirky": ["--ccho-prefix", "--refuse-csim-auth", "--session-base", "1465853795", "--max-line", "120",
               "--max-line-cme", "--urc-before-answer", "RING", "--sim-urc"],
    "raw-t0": ["--raw-t0", "--card", "--protocol", "--card", "t0"],
}


def set1():
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(VECTORS, "milenage-ts35208.tsv"))
            if l.strip() and not l.startswith("#")]
    return dict(zip(rows[0], rows[1]))


def osmo(k, opc, rand, sqn):
    out = subprocess.run(["osmo-auc-gen", "-3", "-a", "milenage", "-k", k, "-o", opc, "-r", rand, "-f", "8000",
                          "-s", str(sqn)], capture_output=True, text=True, timeout=30).stdout
    return {m.group(1): m.group(2) for m in re.finditer(r"^([A-Za-z. ]+):\s+(\S+)", out, re.M)}


class Outer(unittest.TestCase):
    def run_variant(self, name):
        v = set1()
        with tempfile.TemporaryDirectory() as tmp:
            prof = os.path.join(tmp, "card.conf")
            with open(prof, "w") as f:
                f.write(f"[usim]\nimsi=001010123456789\niccid=8988211000000000001\nk={v['K']}\nopc={v['OPc']}\n"
                        f"services=68\n")
            r = subprocess.run([PY, os.path.join(HERE, "with-modem")] + VARIANTS[name] +
                               ["--card", "--config", "--card", prof, "--",
                                PY, os.path.abspath(__file__), "--inner", name], timeout=240)
            self.assertEqual(r.returncode, 0, f"variant {name}")

    def test_standard(self):
        self.run_variant("standard")

    def test_quirky(self):
        self.run_variant("quirky")

    def test_raw_t0(self):
        self.run_variant("raw-t0")


def control(path, line):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall((line + "\n").encode())
        return json.loads(s.makefile().readline())


class Inner(unittest.TestCase):
    variant = None

    @classmethod
    def setUpClass(cls):
        cls.fd = os.open(os.environ["MODEM_TTY"], os.O_RDWR | os.O_NOCTTY)
        tty.setraw(cls.fd)
        cls.v = set1()
        cls.sqn = int(cls.v["SQN"], 16)

    def read_until_final(self, timeout=10):
        """Everything up to a final result code (OK, ERROR, +CME ERROR)."""
        buf = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                buf += os.read(self.fd, 65536).decode(errors="replace")
                # a URC may follow the final result code in the same read (the quirky modem
                # says +CPIN: READY unasked when the card comes back)
                if re.search(r"\r\n(OK|ERROR|\+CME ERROR: [^\r]*)\r\n", buf):
                    return buf
        self.fail(f"no final result code in {buf!r}")

    def at(self, cmd):
        os.write(self.fd, (cmd + "\r").encode())
        return self.read_until_final()

    def lines(self, text):
        return [l for l in text.split("\r\n") if l]

    def apdu(self, sid, hexapdu):
        out = self.at(f'AT+CGLA={sid},{len(hexapdu)},"{hexapdu}"')
        m = re.search(r'\+CGLA: (\d+),"([0-9A-F]*)"', out)
        self.assertIsNotNone(m, out)
        self.assertEqual(int(m.group(1)), len(m.group(2)))
        return bytes.fromhex(m.group(2))

    def open_session(self):
        out = self.at(f'AT+CCHO="{USIM_AID}"')
        lines = [l for l in self.lines(out) if l not in ("OK", "RING")]
        if self.variant == "quirky":
            m = re.fullmatch(r"\+CCHO: (\d+)", lines[0])
        else:
            m = re.fullmatch(r"(\d+)", lines[0])           # TS 27.007 8.45: the bare <sessionid>
        self.assertIsNotNone(m, out)
        return int(m.group(1))

    def test_01_echo_and_cmee(self):
        out = self.at("AT")
        self.assertTrue(out.startswith("AT\r"), out)           # echo is on after start (V.250 6.2.4)
        self.assertTrue(self.at("ATE0").endswith("\r\nOK\r\n"))
        out = self.at("AT")
        self.assertFalse(out.startswith("AT"), out)
        self.assertIn("\r\nERROR\r\n", self.at("AT+CCHC=99"))
        self.at("AT+CMEE=2")
        self.assertIn("+CME ERROR: invalid index", self.at("AT+CCHC=99"))
        self.at("AT+CMEE=1")
        self.assertIn("+CME ERROR: 21", self.at("AT+CCHC=99"))
        self.assertIn("+CMEE: 1", self.at("AT+CMEE?"))

    def test_02_cpin(self):
        self.at("ATE0")
        self.at("AT+CMEE=1")
        self.assertIn("+CPIN: READY", self.at("AT+CPIN?"))
        control(os.environ["VUSIM_CONTROL"], "pin enabled")
        try:
            self.assertIn("+CPIN: SIM PIN", self.at("AT+CPIN?"))
            self.assertIn("+CME ERROR: 16", self.at('AT+CPIN="9999"'))
            self.assertIn("OK", self.at('AT+CPIN="1234"'))
            self.assertIn("+CPIN: READY", self.at("AT+CPIN?"))
            control(os.environ["VUSIM_CONTROL"], "pin blocked")
            self.assertIn("+CPIN: SIM PUK", self.at("AT+CPIN?"))
        finally:
            control(os.environ["VUSIM_CONTROL"], "pin disabled")

    def test_03_authenticate_over_cgla(self):
        self.at("ATE0")
        self.at("AT+CMEE=1")
        sid = self.open_session()
        if self.variant == "quirky":
            self.assertEqual(sid, 1465853795)
        v = self.v
        o = osmo(v["K"], v["OPc"], v["RAND"], self.sqn)
        type(self).sqn += 32
        body = "10" + v["RAND"] + "10" + o["AUTN"]
        resp = self.apdu(sid, f"00880081{len(body) // 2:02X}{body}00")
        if self.variant == "raw-t0":
            self.assertEqual(resp[0], 0x61)          # the modem passed T=0's 61xx through
            resp = self.apdu(sid, f"00C00000{resp[1]:02X}")
        self.assertEqual(resp[-2:], b"\x90\x00")
        self.assertEqual(resp[:2], b"\xdb\x08")
        self.assertEqual(resp[2:10].hex(), o["RES"])
        self.assertEqual(resp[11:27].hex(), o["CK"])
        self.assertEqual(resp[28:44].hex(), o["IK"])
        self.assertIn("OK", self.at(f"AT+CCHC={sid}"))
        self.assertIn("+CME ERROR: 21", self.at(f'AT+CGLA={sid},14,"00A4000C022FE2"'))

    def test_04_csim(self):
        self.at("ATE0")
        self.at("AT+CMEE=1")
        sel = f"00A4040C{len(USIM_AID) // 2:02X}{USIM_AID}"
        out = self.at(f'AT+CSIM={len(sel)},"{sel}"')
        self.assertIn('+CSIM: 4,"9000"', out)
        v = self.v
        o = osmo(v["K"], v["OPc"], v["RAND"], self.sqn)
        type(self).sqn += 32
        body = "10" + v["RAND"] + "10" + o["AUTN"]
        apdu = f"00880081{len(body) // 2:02X}{body}00"
        out = self.at(f'AT+CSIM={len(apdu)},"{apdu}"')
        if self.variant == "quirky":
            self.assertIn("+CME ERROR:", out)          # this modem refuses AUTHENTICATE over +CSIM
        elif self.variant == "raw-t0":
            self.assertRegex(out, r'\+CSIM: 4,"61[0-9A-F]{2}"')
        else:
            self.assertRegex(out, r'\+CSIM: \d+,"DB08' + o["RES"].upper())

    def test_05_urcs(self):
        self.at("ATE0")
        control(os.environ["MODEM_CONTROL"], "urc +CREG: 1")
        time.sleep(0.2)
        r, _, _ = select.select([self.fd], [], [], 1)
        self.assertTrue(r)
        self.assertIn("+CREG: 1", os.read(self.fd, 4096).decode())
        out = self.at("AT")
        if self.variant == "quirky":
            self.assertEqual(self.lines(out), ["RING", "OK"])   # a URC before the final result

    def test_06_line_limit(self):
        self.at("ATE0")
        self.at("AT+CMEE=1")
        long = "00D60000" + "3C" + "00" * 60          # UPDATE BINARY with 60 octets: a 136-character line
        out = self.at(f'AT+CSIM={len(long)},"{long}"')
        if self.variant == "quirky":
            self.assertIn("+CME ERROR: 50", out)      # over this modem's 120-character limit
        else:
            self.assertRegex(out, r'\+CSIM: 4,"[0-9A-F]{4}"')   # reached the card (which refuses it)

    def test_07_card_removal(self):
        self.at("ATE0")
        self.at("AT+CMEE=1")
        control(os.environ["VUSIM_CONTROL"], "remove")
        deadline = time.monotonic() + 10
        out = ""
        while time.monotonic() < deadline:
            out = self.at("AT+CPIN?")
            if "+CME ERROR: 10" in out:
                break
            time.sleep(0.1)
        self.assertIn("+CME ERROR: 10", out)           # SIM not inserted (TS 27.007 9.2.1)
        control(os.environ["VUSIM_CONTROL"], "insert")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            out = self.at("AT+CPIN?")
            if "+CPIN: READY" in out:
                break
            time.sleep(0.1)
        self.assertIn("+CPIN: READY", out)


def inner(variant):
    Inner.variant = variant
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Inner)
    return 0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--inner":
        sys.exit(inner(sys.argv[2]))
    unittest.main(verbosity=2, defaultTest="Outer")
