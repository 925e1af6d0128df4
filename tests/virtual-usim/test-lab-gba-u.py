#!/usr/bin/python3
"""The lab BSF's GBA_U (TS 33.220 5.3.2) against the virtual USIM: a Ub client written here
(TS 24.109 4, RFC 3310 Digest AKAv1-MD5 with qop=auth-int) bootstraps the card in the GBA
context through PC/SC; the B-TID's Ks_ext_NAF from the lab's Zn equals what the card's NAF
derivation answers, a GBA_U B-TID has a Ks_int_NAF and a GBA_ME one has none, and the 3G
context's unflipped RES is refused for a GBA_U subscriber."""
import base64
import hashlib
import http.client
import os
import re
import secrets
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
PY = "/usr/bin/python3"
BUILD = os.environ.get("MBMS_BUILD_DIR", "")
LABNET = os.path.join(BUILD, "tools", "lab", "mbms-labnet")
VECTORS = os.environ.get("MBMS_VECTORS_DIR", os.path.join(HERE, "..", "..", "..", "shared", "vectors"))
IMPI_U = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org"
IMPI_ME = "001010000000002@ims.mnc001.mcc001.3gppnetwork.org"
NAF_ID = b"bmsc.lab.mbmsd.test" + bytes.fromhex("0100000001")


def set1():
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(VECTORS, "milenage-ts35208.tsv"))
            if l.strip() and not l.startswith("#")]
    return dict(zip(rows[0], rows[1]))


class Outer(unittest.TestCase):
    def test_gba_u_with_the_lab(self):
        if not os.path.exists(LABNET):
            self.fail(f"{LABNET} is not built")
        v = set1()
        with tempfile.TemporaryDirectory() as tmp:
            card = os.path.join(tmp, "card.conf")
            with open(card, "w") as f:
                f.write(f"[usim]\nimsi=001010123456789\niccid=8988211000000000001\nk={v['K']}\nopc={v['OPc']}\n"
                        "services=68\n")
            lab = os.path.join(tmp, "labnet.conf")
            with open(lab, "w") as f:
                f.write("[bsf]\nhost=bsf.lab.mbmsd.test\nlifetime-seconds=3600\n"
                        f"[subscriber {IMPI_U}]\nk={v['K']}\nopc={v['OPc']}\namf=8000\nsqn=000000000000\n"
                        "gba-u=true\nuicc-mbms=true\n"
                        f"[subscriber {IMPI_ME}]\nk={v['K']}\nopc={v['OPc']}\namf=8000\nsqn=000000000000\n")
            env = dict(os.environ, LAB_CONF=lab)
            r = subprocess.run([PY, os.path.join(HERE, "with-pcscd"), "--config", card, "--",
                                PY, os.path.abspath(__file__), "--inner"], env=env, timeout=240)
            self.assertEqual(r.returncode, 0)


def md5(b):
    return hashlib.md5(b).hexdigest()


class Ub:
    """The ME's side of Ub (TS 24.109 4.2): GET / with Digest AKAv1-MD5, qop auth-int."""

    def __init__(self, host, port, impi):
        self.host, self.port, self.impi = host, port, impi
        self.realm = "bsf.lab.mbmsd.test"

    def request(self, auth):
        c = http.client.HTTPConnection(self.host, self.port, timeout=10)
        c.request("GET", "/", headers={"Authorization": auth, "User-Agent": "vusim-test 3gpp-gba-tmpi"})
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), body

    def challenge(self):
        status, h, _ = self.request(f'Digest username="{self.impi}", realm="{self.realm}", nonce="", uri="/", response=""')
        assert status == 401, status
        nonce = re.search(r'nonce="([^"]+)"', h["www-authenticate"]).group(1)
        raw = base64.b64decode(nonce)
        return nonce, raw[:16], raw[16:32]

    def resync(self, nonce, auts):
        """RFC 3310 3.4: AUTS in the auts parameter (the password is empty); a new challenge."""
        cnonce = secrets.token_hex(8)
        ha1 = md5(f"{self.impi}:{self.realm}:".encode())
        ha2 = md5(b"GET:/:" + md5(b"").encode())
        resp = md5(f"{ha1}:{nonce}:00000001:{cnonce}:auth-int:{ha2}".encode())
        auts_b64 = base64.b64encode(auts).decode()
        status, h, _ = self.request(f'Digest username="{self.impi}", realm="{self.realm}", nonce="{nonce}", uri="/", '
                                    f'qop=auth-int, nc=00000001, cnonce="{cnonce}", response="{resp}", '
                                    f'auts="{auts_b64}", algorithm=AKAv1-MD5')
        assert status == 401, status
        nonce = re.search(r'nonce="([^"]+)"', h["www-authenticate"]).group(1)
        raw = base64.b64decode(nonce)
        return nonce, raw[:16], raw[16:32]

    def answer(self, nonce, res):
        cnonce = secrets.token_hex(8)
        ha1 = md5(f"{self.impi}:{self.realm}:".encode() + res)
        ha2 = md5(b"GET:/:" + md5(b"").encode())
        resp = md5(f"{ha1}:{nonce}:00000001:{cnonce}:auth-int:{ha2}".encode())
        auth = (f'Digest username="{self.impi}", realm="{self.realm}", nonce="{nonce}", uri="/", '
                f'qop=auth-int, nc=00000001, cnonce="{cnonce}", response="{resp}", algorithm=AKAv1-MD5')
        return self.request(auth)


class Inner(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import pcsc_client
        cls.pc = pcsc_client
        log = open(os.environ["LAB_LOG"], "w") if "LAB_LOG" in os.environ else subprocess.DEVNULL
        cls.lab = subprocess.Popen([LABNET, "--config", os.environ["LAB_CONF"]], stdout=subprocess.PIPE,
                                   stderr=log, text=True)
        line = cls.lab.stdout.readline()
        u = urllib.parse.urlparse(line.split()[1])
        cls.host, cls.port = u.hostname, u.port
        cls.ctx = pcsc_client.Context()
        cls.card = pcsc_client.Card(cls.ctx, os.environ["VUSIM_READER"])
        aid = "A0000000871002"
        data, sw = pcsc_client.transceive(cls.card, bytes.fromhex(f"00A4040C07{aid}"))
        assert sw == 0x9000, hex(sw)

    @classmethod
    def tearDownClass(cls):
        cls.lab.terminate()
        cls.lab.wait(10)

    def tx(self, apdu):
        return self.pc.transceive(self.card, apdu)

    def run_aka(self, ub, p2, tag):
        """Challenge, card, and one resynchronisation when the card says its SQN is ahead."""
        nonce, rand, autn = ub.challenge()
        for _ in range(2):
            body = tag + b"\x10" + rand + b"\x10" + autn
            data, sw = self.tx(bytes([0x00, 0x88, 0x00, p2, len(body)]) + body + b"\x00")
            self.assertEqual(sw, 0x9000)
            if data[:2] != b"\xdc\x0e":
                return nonce, rand, data
            nonce, rand, autn = ub.resync(nonce, data[2:16])
        self.fail("still out of sync after AUTS")

    def zn(self, btid, kind=None):
        q = urllib.parse.urlencode({"btid": btid, "naf-id": NAF_ID.hex(), **({"kind": kind} if kind else {})})
        c = http.client.HTTPConnection(self.host, self.port, timeout=10)
        c.request("GET", "/zn?" + q)
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        return r.status, dict(l.split("=", 1) for l in body.splitlines() if "=" in l)

    def test_gba_u_bootstrap_and_naf_keys(self):
        ub = Ub(self.host, self.port, IMPI_U)
        nonce, rand, data = self.run_aka(ub, 0x84, b"\xdd")
        self.assertEqual(data[:2], b"\xdb\x08")     # the card accepted AUTN* (MAC* from the lab)
        status, _, xml = ub.answer(nonce, data[2:10])
        self.assertEqual(status, 200)
        btid = re.search(rb"<btid>([^<]+)</btid>", xml).group(1)
        self.assertEqual(btid, base64.b64encode(rand) + b"@bsf.lab.mbmsd.test")
        lifetime = re.search(rb"<lifetime>([^<]+)</lifetime>", xml).group(1)
        # the ME's part of EF_GBABP: B-TID and key lifetime after RAND (TS 31.102 4.2.79)
        tail = bytes([len(btid)]) + btid + bytes([len(lifetime)]) + lifetime
        self.assertEqual(self.tx(bytes.fromhex("00A4000C026FD6"))[1], 0x9000)
        self.assertEqual(self.tx(bytes([0x00, 0xD6, 0x00, 0x11, len(tail)]) + tail)[1], 0x9000)
        impi = IMPI_U.encode()
        body = b"\xde" + bytes([len(NAF_ID)]) + NAF_ID + bytes([len(impi)]) + impi
        data, sw = self.tx(bytes([0x00, 0x88, 0x00, 0x84, len(body)]) + body + b"\x00")
        self.assertEqual((data[:2], sw), (b"\xdb\x20", 0x9000))
        status, zn = self.zn(btid.decode())
        self.assertEqual(status, 200)
        self.assertEqual(zn["gba"], "GBA_U")
        self.assertEqual(base64.b64decode(zn["ks-naf"]), data[2:])    # Ks_ext_NAF agrees
        status, zint = self.zn(btid.decode(), "int")
        self.assertEqual(status, 200)
        self.assertNotEqual(zint["ks-naf"], zn["ks-naf"])

    def test_unflipped_res_refused_for_gba_u(self):
        ub = Ub(self.host, self.port, IMPI_U)
        nonce, rand, data = self.run_aka(ub, 0x84, b"\xdd")
        self.assertEqual(data[:2], b"\xdb\x08")
        res = data[2:10]
        unflipped = res[:-1] + bytes([res[-1] ^ 1])
        status, _, _ = ub.answer(nonce, unflipped)
        self.assertEqual(status, 403)

    def test_gba_me_subscriber(self):
        ub = Ub(self.host, self.port, IMPI_ME)
        nonce, rand, data = self.run_aka(ub, 0x81, b"")
        self.assertEqual(data[:2], b"\xdb\x08")
        status, _, xml = ub.answer(nonce, data[2:10])
        self.assertEqual(status, 200)
        btid = re.search(rb"<btid>([^<]+)</btid>", xml).group(1).decode()
        status, zn = self.zn(btid)
        self.assertEqual((status, zn["gba"]), (200, "GBA_ME"))
        self.assertEqual(self.zn(btid, "int")[0], 404)       # no Ks_int_NAF without GBA_U


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        r = unittest.TextTestRunner(verbosity=2).run(unittest.defaultTestLoader.loadTestsFromTestCase(Inner))
        sys.exit(0 if r.wasSuccessful() else 1)
    unittest.main(verbosity=2, defaultTest="Outer")
