#!/usr/bin/python3
"""The lab BM-SC's MIKEY to a card that enforces TS 33.246 6.5.3/6.5.4 itself: GBA_U with
UICC key management end to end, with a UE of this test's own (Ub and Annex G clients written
here) in front of the virtual USIM over PC/SC. The card bootstraps (AUTN*), derives Ks_ext_NAF
(the MRK: the BM-SC's Digest accepts it, TS 33.246 6.1) and keeps Ks_int_NAF (the MUK); the
MSK the BM-SC pushes after registration passes the card's MGV-F in MSK update mode and the
card's verification message is accepted by the BM-SC; the MTK stream's messages pass MTK
generation one after the other (key validity, MTK IDs and counters the card accepts), and a
replayed MTK message is refused."""
import base64
import hashlib
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
PY = "/usr/bin/python3"
BUILD = os.environ.get("MBMS_BUILD_DIR", "")
LABNET = os.path.join(BUILD, "tools", "lab", "mbms-labnet")
VECTORS = os.environ.get("MBMS_VECTORS_DIR", os.path.join(HERE, "..", "..", "..", "shared", "vectors"))
IMPI = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org"
SERVICE = "urn:mbmsd:lab:service:uicc"
UA = bytes.fromhex("0100000001")

spec = __import__("importlib.util").util.spec_from_file_location("gbatest", os.path.join(HERE, "test-lab-gba-u.py"))
gbatest = __import__("importlib.util").util.module_from_spec(spec)
spec.loader.exec_module(gbatest)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Outer(unittest.TestCase):
    def test_uicc_key_management_with_the_lab(self):
        if not os.path.exists(LABNET):
            self.fail(f"{LABNET} is not built")
        v = gbatest.set1()
        ue_port, mtk_port = free_udp_port(), free_udp_port()
        with tempfile.TemporaryDirectory() as tmp:
            card = os.path.join(tmp, "card.conf")
            with open(card, "w") as f:
                f.write(f"[usim]\nimsi=001010123456789\niccid=8988211000000000001\nk={v['K']}\nopc={v['OPc']}\n"
                        "services=68,69\n")
            lab = os.path.join(tmp, "labnet.conf")
            with open(lab, "w") as f:
                f.write("[bsf]\nhost=bsf.lab.mbmsd.test\nlifetime-seconds=3600\n"
                        f"[subscriber {IMPI}]\nk={v['K']}\nopc={v['OPc']}\namf=8000\nsqn=000000000000\n"
                        "gba-u=true\nuicc-mbms=true\n"
                        f"[bmsc]\nfqdn=127.0.0.1\nue-port={ue_port}\n"
                        f"[bmsc-service {SERVICE}]\nkey-domain=00f110\nkey-group=7\nstreaming=true\n"
                        f"mtk-to=127.0.0.1:{mtk_port}\nmtk-interval-ms=150\n")
            env = dict(os.environ, LAB_CONF=lab, UE_PORT=str(ue_port), MTK_PORT=str(mtk_port),
                       LAB_LOG=os.path.join(tmp, "labnet.log"))
            r = subprocess.run([PY, os.path.join(HERE, "with-pcscd"), "--config", card, "--",
                                PY, os.path.abspath(__file__), "--inner"], env=env, timeout=240)
            self.assertEqual(r.returncode, 0)


def md5(b):
    return hashlib.md5(b).hexdigest()


class Inner(gbatest.Inner):
    """Reuses the Ub client and the card set-up of test-lab-gba-u."""

    def setUp(self):
        self.ue = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.ue.bind(("127.0.0.1", int(os.environ["UE_PORT"])))
        self.ue.settimeout(10)
        self.mtks = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.mtks.bind(("127.0.0.1", int(os.environ["MTK_PORT"])))
        self.mtks.settimeout(10)

    def tearDown(self):
        self.ue.close()
        self.mtks.close()

    def mbms(self, mode, payload):
        body = bytes([mode]) + payload
        do = b"\x53" + (bytes([len(body)]) if len(body) < 0x80 else bytes([0x81, len(body)]) if len(body) < 0x100
                        else bytes([0x82, len(body) >> 8, len(body) & 0xFF])) + body
        chunks = [do[i:i + 255] for i in range(0, len(do), 255)]
        for i, c in enumerate(chunks):
            data, sw = self.tx(bytes([0x00, 0x89, 0x80 if i == 0 else 0x00, 0x85, len(c)]) + c)
        if sw != 0x62F3:
            return None, sw
        out, p1 = b"", 0xA0
        while True:
            data, sw = self.tx(bytes([0x00, 0x89, p1, 0x85, 0x00]))
            out += data
            if sw != 0x62F1:
                return out, sw
            p1 = 0x20

    def register(self, btid, mrk):
        uri = "/keymanagement?requesttype=register"
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<mbmsSecurityRegister '
                f'xmlns="urn:3GPP:metadata:2005:MBMS:securityRegistration"><serviceID>{SERVICE}</serviceID>'
                f'</mbmsSecurityRegister>').encode()
        headers = {"Content-Type": "application/mbms-register+xml"}

        def post(extra):
            c = http.client.HTTPConnection(self.host, self.port, timeout=10)
            c.request("POST", uri, body=body, headers={**headers, **extra})
            r = c.getresponse()
            data = r.read()
            c.close()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

        status, h, _ = post({})
        self.assertEqual(status, 401)
        chal = h["www-authenticate"]
        realm = re.search(r'realm="([^"]+)"', chal).group(1)
        nonce = re.search(r'nonce="([^"]+)"', chal).group(1)
        opaque = re.search(r'opaque="([^"]+)"', chal)
        self.assertEqual(realm, "3GPP-bootstrapping@127.0.0.1")
        password = base64.b64encode(mrk)                 # TS 33.246 6.2.1.3: MRK as the password
        cnonce = secrets.token_hex(8)
        ha1 = md5(btid.encode() + b":" + realm.encode() + b":" + password)
        ha2 = md5(b"POST:" + uri.encode() + b":" + md5(body).encode())
        resp = md5(f"{ha1}:{nonce}:00000001:{cnonce}:auth-int:{ha2}".encode())
        auth = (f'Digest username="{btid}", realm="{realm}", nonce="{nonce}", uri="{uri}", qop=auth-int, '
                f'nc=00000001, cnonce="{cnonce}", response="{resp}", algorithm=MD5'
                + (f', opaque="{opaque.group(1)}"' if opaque else ""))
        return post({"Authorization": auth})

    def test_gba_me_subscriber(self):
        self.skipTest("not this test's subject")

    def test_unflipped_res_refused_for_gba_u(self):
        self.skipTest("not this test's subject")

    def test_gba_u_bootstrap_and_naf_keys(self):
        self.skipTest("not this test's subject")

    def test_msk_push_and_mtk_stream_through_the_card(self):
        ub = gbatest.Ub(self.host, self.port, IMPI)
        nonce, rand, data = self.run_aka(ub, 0x84, b"\xdd")
        self.assertEqual(data[:2], b"\xdb\x08")
        status, _, xml = ub.answer(nonce, data[2:10])
        self.assertEqual(status, 200)
        btid = re.search(rb"<btid>([^<]+)</btid>", xml).group(1)
        lifetime = re.search(rb"<lifetime>([^<]+)</lifetime>", xml).group(1)
        tail = bytes([len(btid)]) + btid + bytes([len(lifetime)]) + lifetime
        self.assertEqual(self.tx(bytes.fromhex("00A4000C026FD6"))[1], 0x9000)
        self.assertEqual(self.tx(bytes([0x00, 0xD6, 0x00, 0x11, len(tail)]) + tail)[1], 0x9000)
        naf_id = b"127.0.0.1" + UA
        impi = IMPI.encode()
        body = b"\xde" + bytes([len(naf_id)]) + naf_id + bytes([len(impi)]) + impi
        data, sw = self.tx(bytes([0x00, 0x88, 0x00, 0x84, len(body)]) + body + b"\x00")
        self.assertEqual((data[:2], sw), (b"\xdb\x20", 0x9000))
        mrk = data[2:]                                   # GBA_U + UICC MBMS: MRK = Ks_ext_NAF (6.1)
        status, _, answer = self.register(btid.decode(), mrk)
        self.assertEqual(status, 200, answer)
        self.assertIn(b"200", answer)
        # the MSK push (6.3.2.3.1), into the card's MGV-F; its verification message back
        msg, bmsc = self.ue.recvfrom(4096)
        resp, sw = self.mbms(1, msg)
        self.assertEqual(sw, 0x9000, f"MSK update answered {sw:04X}")
        self.assertEqual(resp[0], 0x53)
        body = resp[2:] if resp[1] < 0x80 else resp[3:]
        self.assertEqual(body[0], 0xDB)
        verification = body[1:]
        self.assertEqual(verification[:2], b"\x01\x01")  # MIKEY version 1, PSK verification message
        self.ue.sendto(verification, bmsc)
        self.tx(bytes.fromhex("00A4000C026FD7"))
        rec, sw = self.tx(bytes.fromhex("00B2010414"))
        self.assertEqual(rec[:3], bytes.fromhex("00f110"))
        self.assertEqual(rec[4:6], b"\x00\x07")          # Key Group 7
        # the MTK stream: each message passes the card's checks, MTK IDs rise, keys differ
        seen, keys = [], set()
        deadline = time.monotonic() + 20
        while len(seen) < 3 and time.monotonic() < deadline:
            m, _ = self.mtks.recvfrom(4096)
            resp, sw = self.mbms(2, m)
            if sw == 0x6A88:
                continue                                  # sent under an MSK before ours arrived
            self.assertEqual(sw, 0x9000, f"MTK generation answered {sw:04X}")
            self.assertEqual(resp[2], 0xDB)
            keys.add(resp[3:])
            seen.append(m)
        self.assertEqual(len(seen), 3)
        self.assertEqual(len(keys), 3)
        self.assertEqual(len(next(iter(keys))), 16 + 14)  # MTK || salt
        self.assertEqual(self.mbms(2, seen[-1])[1], 0x9865)   # replayed: not fresh
        # the BM-SC verified the card's verification message (6.4.5.2) with the MUK it chose
        deadline = time.monotonic() + 5
        while "acknowledgement from " + btid.decode() + " verified" not in self.lab_log():
            self.assertLess(time.monotonic(), deadline, self.lab_log())
            time.sleep(0.1)

    def lab_log(self):
        with open(os.environ["LAB_LOG"]) as f:
            return f.read()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        r = unittest.TextTestRunner(verbosity=2).run(unittest.defaultTestLoader.loadTestsFromTestCase(Inner))
        sys.exit(0 if r.wasSuccessful() else 1)
    unittest.main(verbosity=2, defaultTest="Outer")
