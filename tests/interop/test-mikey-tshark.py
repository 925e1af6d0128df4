#!/usr/bin/env python3
"""tshark's MIKEY dissector (Wireshark, an implementation we did not write) decodes the framing
of the messages our builders make, with the field values we set: HDR, EXT (Key ID), T, RAND,
IDi/IDr, SP, KEMAC and V. The messages travel in a pcap as UDP to port 2269 (TS 33.246 6.4.1)."""
import os, shutil, struct, subprocess, sys, tempfile, unittest

BUILD = os.environ["MBMS_BUILD_DIR"]
SAMPLES = os.path.join(BUILD, "tests", "mikey-samples")


def pcap(packets):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # LINKTYPE_ETHERNET
    for i, payload in enumerate(packets):
        udp = struct.pack("!HHHH", 40000, 2269, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
        # header checksum
        s = sum(struct.unpack("!10H", ip))
        s = (s & 0xFFFF) + (s >> 16)
        ip = ip[:10] + struct.pack("!H", ~s & 0xFFFF) + ip[12:]
        frame = b"\x00" * 12 + b"\x08\x00" + ip + udp
        out += struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame
    return out


FIELDS = ["mikey.version", "mikey.type", "mikey.v.set", "mikey.prf_func", "mikey.csb_id", "mikey.cs_count",
          "mikey.cs_id_map_type", "mikey.srtp_id.policy_no", "mikey.srtp_id.ssrc", "mikey.srtp_id.roc",
          "mikey.ext.type", "mikey.ext.len", "mikey.ext.data", "mikey.t.ts_type", "mikey.rand.len",
          "mikey.rand.data", "mikey.id.type", "mikey.id.data", "mikey.sp.no", "mikey.sp.proto_type",
          "mikey.sp.param.type", "mikey.kemac.encr_alg", "mikey.kemac.key_data_len", "mikey.kemac.mac_alg",
          "mikey.kemac.mac", "mikey.v.auth_alg", "mikey.v.ver_data", "mikey.next_payload"]


class TsharkFraming(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("tshark") is None:
            if os.environ.get("MBMS_ALLOW_MISSING_PEERS") == "1":
                raise unittest.SkipTest("tshark missing")
            raise RuntimeError("tshark is not installed (package tshark): the interop suite needs it")
        lines = subprocess.run([SAMPLES], check=True, capture_output=True, text=True).stdout.split()
        cls.hex = dict(zip(lines[0::2], lines[1::2]))
        names = ["msk", "mtk", "verification"]
        tmp = tempfile.NamedTemporaryFile(suffix=".pcap", delete=False)
        tmp.write(pcap([bytes.fromhex(cls.hex[n]) for n in names]))
        tmp.close()
        args = ["tshark", "-n", "-r", tmp.name, "-d", "udp.port==2269,mikey", "-T", "fields", "-E", "separator=|",
                "-E", "occurrence=a", "-E", "aggregator=,"]
        for f in FIELDS:
            args += ["-e", f]
        res = subprocess.run(args, capture_output=True, text=True, timeout=60)
        os.unlink(tmp.name)
        if res.returncode != 0:
            raise RuntimeError(res.stderr)
        rows = res.stdout.rstrip("\n").split("\n")
        assert len(rows) == 3, res.stdout
        cls.f = {n: dict(zip(FIELDS, row.split("|"))) for n, row in zip(names, rows)}

    def test_msk_header(self):
        f = self.f["msk"]
        self.assertEqual(f["mikey.version"], "1")
        self.assertEqual(f["mikey.type"], "0")  # pre-shared key init
        self.assertIn(f["mikey.v.set"], ("1", "True"))
        self.assertEqual(int(f["mikey.csb_id"], 0), 0x11223344)
        self.assertEqual(f["mikey.cs_count"], "1")
        self.assertEqual(f["mikey.cs_id_map_type"], "0")  # SRTP-ID
        self.assertEqual(f["mikey.srtp_id.policy_no"], "1")
        self.assertEqual(int(f["mikey.srtp_id.ssrc"], 0), 0xDEADBEEF)

    def test_msk_payload_chain(self):
        # HDR -> EXT(21) -> T(5) -> RAND(11) -> ID(6) -> ID(6) -> SP(10) -> KEMAC(1) -> last(0)
        self.assertEqual(self.f["msk"]["mikey.next_payload"].split(","), ["21", "5", "11", "6", "6", "10", "1", "0"])

    def test_msk_ext_key_ids(self):
        f = self.f["msk"]
        self.assertEqual(f["mikey.ext.type"], "3")  # RFC 4563 Key ID
        self.assertEqual(f["mikey.ext.len"], "11")
        self.assertEqual(f["mikey.ext.data"].replace(":", ""), "000300f110010400010002")

    def test_msk_t_rand_ids(self):
        f = self.f["msk"]
        self.assertEqual(f["mikey.t.ts_type"], "2")  # COUNTER
        self.assertEqual(f["mikey.rand.len"], "16")
        self.assertEqual(f["mikey.rand.data"].replace(":", ""), b"0123456789abcdef".hex())
        self.assertEqual(f["mikey.id.type"], "0,0")  # NAI for both
        ids = f["mikey.id.data"].split(",")
        self.assertEqual(ids[0], "bmsc.lab.mbmsd.test")
        self.assertEqual(ids[1], "MDEyMzQ1Njc4OWFiY2RlZg==@bsf.lab.mbmsd.test")

    def test_msk_sp(self):
        f = self.f["msk"]
        self.assertEqual(f["mikey.sp.no"], "1")
        self.assertEqual(f["mikey.sp.proto_type"], "0")  # SRTP
        self.assertEqual(f["mikey.sp.param.type"].split(","), ["0", "1", "2", "11"])

    def test_msk_kemac(self):
        f = self.f["msk"]
        self.assertEqual(f["mikey.kemac.encr_alg"], "1")  # AES-CM-128
        self.assertEqual(f["mikey.kemac.mac_alg"], "1")  # HMAC-SHA-1-160
        # TEK, KV interval: 1 + 1 + 2 + 16 + (1 + 2) * 2 = 26 octets of key data
        self.assertEqual(f["mikey.kemac.key_data_len"], "26")
        self.assertEqual(len(f["mikey.kemac.mac"].replace(":", "")), 40)
        self.assertTrue(self.hex["msk"].endswith(f["mikey.kemac.mac"].replace(":", "")))

    def test_mtk(self):
        f = self.f["mtk"]
        self.assertIn(f["mikey.v.set"], ("0", "False"))
        self.assertEqual(f["mikey.cs_count"], "0")
        self.assertEqual(f["mikey.cs_id_map_type"], "1")  # Empty map, RFC 4563
        self.assertEqual(f["mikey.next_payload"].split(","), ["21", "5", "1", "0"])
        self.assertEqual(f["mikey.ext.data"].replace(":", ""), "000300f1100104000100020202" + "0005")
        # TEK+salt, KV NULL: 1 + 1 + 2 + 16 + 2 + 14 = 36 octets
        self.assertEqual(f["mikey.kemac.key_data_len"], "36")

    def test_verification(self):
        f = self.f["verification"]
        self.assertEqual(f["mikey.type"], "1")  # pre-shared key verification
        self.assertEqual(int(f["mikey.csb_id"], 0), 0x11223344)
        self.assertEqual(f["mikey.cs_id_map_type"], "1")
        self.assertEqual(f["mikey.next_payload"].split(","), ["5", "6", "9", "0"])
        self.assertEqual(f["mikey.id.data"], "MDEyMzQ1Njc4OWFiY2RlZg==@bsf.lab.mbmsd.test")
        self.assertEqual(f["mikey.v.auth_alg"], "1")
        self.assertEqual(len(f["mikey.v.ver_data"].replace(":", "")), 40)


if __name__ == "__main__":
    unittest.main(verbosity=2)
