#!/usr/bin/env python3
"""Digest AKAv1-MD5 against SIPp (package sip-tester), a peer we did not write. SIPp registers
as a UAC with its own Milenage (K, OP, AMF); a small UAS here challenges it with a nonce built
from our Milenage (base64(RAND || AUTN), RFC 3310 3.2). SIPp only answers when its USIM model
accepts our AUTN; the UAS then checks SIPp's Digest response with our digest code (RES as the
password) and answers 200 only when they agree, which SIPp's scenario requires. Loopback only,
bounded in time.

SIPp 3.6 turns aka_K / aka_OP into raw bytes inside its scenario text and handles RAND,
AUTN and RES as C strings, so a NUL, white space, quote, comma or bracket among those octets breaks
SIPp, not us: the inputs are drawn at random from octets without them."""
import base64, os, re, secrets, shutil, socket, subprocess, tempfile, threading, unittest

BUILD = os.environ["MBMS_BUILD_DIR"]
TOOL = os.path.join(BUILD, "tests", "aka-tool")
USER, REALM = "user1@ims.example.org", "ims.example.org"

SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="aka-register">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:USER>;tag=[call_number]
To: <sip:USER>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:user1@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:USER>;tag=[call_number]
To: <sip:USER>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:user1@[local_ip]:[local_port]>
Max-Forwards: 70
[authentication username=USER aka_K=0xKEY aka_OP=0xOPVAL aka_AMF=0xAMFVAL]
Content-Type: application/mbms-register+xml
Content-Length: [len]

BODY]]></send>
  <recv response="200"/>
</scenario>
"""


SIPP_UNSAFE = set(b"\x00\t\n\x0b\x0c\r \"',=[]")


def sipp_safe_hex(n):
    while True:
        b = secrets.token_bytes(n)
        if not SIPP_UNSAFE.intersection(b):
            return b.hex()


def ours(*args):
    out = subprocess.run([TOOL, *args], check=True, capture_output=True, text=True).stdout
    return dict(line.split("\t", 1) for line in out.strip().split("\n"))


class Uas(threading.Thread):
    """Answers the first REGISTER with an AKA challenge, the second with 200 or 403."""

    def __init__(self, k, op, amf, qop):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(20)
        self.port = self.sock.getsockname()[1]
        self.k, self.op, self.amf, self.qop = k, op, amf, qop
        self.verdict = None

    def reply(self, request, addr, status, extra=""):
        head = {}
        for line in request.split("\r\n"):
            name = line.split(":", 1)[0].lower()
            if name in ("via", "from", "to", "call-id", "cseq"):
                head[name] = line
        to = head["to"] + (";tag=uas" if status != "401 Unauthorized" else "")
        msg = (f"SIP/2.0 {status}\r\n{head['via']}\r\n{head['from']}\r\n{to}\r\n{head['call-id']}\r\n"
               f"{head['cseq']}\r\n{extra}Content-Length: 0\r\n\r\n")
        self.sock.sendto(msg.encode(), addr)

    def run(self):
        while True:
            rand = sipp_safe_hex(16)
            vec = ours("vector", self.k, self.op, self.amf, f"{1 << 5:012x}", rand)
            if not SIPP_UNSAFE.intersection(bytes.fromhex(vec["AUTN"]) + bytes.fromhex(vec["RES"])):
                break
        nonce = base64.b64encode(bytes.fromhex(rand + vec["AUTN"])).decode()
        try:
            while self.verdict is None:
                data, addr = self.sock.recvfrom(65535)
                req = data.decode(errors="replace")
                auth = re.search(r"^Authorization:\s*Digest\s+(.*)$", req, re.M | re.I)
                if auth is None:
                    self.reply(req, addr, "401 Unauthorized",
                               f'WWW-Authenticate: Digest realm="{REALM}", nonce="{nonce}", '
                               f'algorithm=AKAv1-MD5, qop="{self.qop}"\r\n')
                    continue
                params = dict((m.group(1).lower(), m.group(2) or m.group(3)) for m in
                              re.finditer(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', auth.group(1)))
                body = req.split("\r\n\r\n", 1)[1].encode() if "\r\n\r\n" in req else b""
                mine = ours("digest", "AKAv1-MD5", params["username"], params["realm"], vec["RES"],
                            params["nonce"], params["nc"], params["cnonce"], params["qop"], "REGISTER",
                            params["uri"], body.hex())["RESPONSE"]
                self.verdict = (mine == params["response"], params, body)
                self.reply(req, addr, "200 OK" if self.verdict[0] else "403 Forbidden")
        except socket.timeout:
            self.verdict = (False, "timeout", b"")


class SippDigestAka(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("sipp") is None:
            if os.environ.get("MBMS_ALLOW_MISSING_PEERS") == "1":
                raise unittest.SkipTest("sipp missing")
            raise RuntimeError("sipp is not installed (package sip-tester)")

    def run_sipp(self, qop, body):
        k, op, amf = sipp_safe_hex(16), sipp_safe_hex(16), "8001"
        uas = Uas(k, op, amf, qop)
        uas.start()
        with tempfile.TemporaryDirectory() as tmp:
            scenario = os.path.join(tmp, "aka.xml")
            with open(scenario, "w") as f:
                f.write(SCENARIO.replace("USER", USER).replace("KEY", k).replace("OPVAL", op)
                        .replace("AMFVAL", amf).replace("BODY", body))
            res = subprocess.run(["sipp", "-sf", scenario, "-m", "1", "-i", "127.0.0.1", "-p", "0",
                                  "-timeout", "20s", "-timeout_error", "-nostdin", "-trace_err",
                                  f"127.0.0.1:{uas.port}"], cwd=tmp, capture_output=True, text=True, timeout=60)
        uas.join(timeout=5)
        uas.sock.close()
        self.assertIsNotNone(uas.verdict, "SIPp never answered the challenge")
        ok, params, seen_body = uas.verdict
        self.assertTrue(ok, f"our digest differs from SIPp's: {params}")
        self.assertEqual(res.returncode, 0, res.stdout[-2000:] + res.stderr[-2000:])
        return params, seen_body

    def test_aka_auth(self):
        params, _ = self.run_sipp("auth", "")
        self.assertEqual(params["qop"], "auth")
        self.assertEqual(params["algorithm"], "AKAv1-MD5")

    def test_aka_auth_int(self):
        params, body = self.run_sipp("auth-int", "<register><serviceId>urn:x</serviceId></register>")
        self.assertEqual(params["qop"], "auth-int")
        self.assertIn(b"<register>", body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
