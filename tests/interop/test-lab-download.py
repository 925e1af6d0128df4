#!/usr/bin/env python3
"""The lab's protected download sender (tools/lab: DCF writer, FLUTE sender, FDT) checked by
readers we did not write and by readers written here from the specifications, not from the
sender's code or mbmsd's receiver:

- a FLUTE/ALC/LCT receiver written from RFC 5651/5775/6726, RFC 5445 and RFC 5052 9.1 joins the
  session's multicast group on lo and reassembles every object, under loss, reordering and
  duplicates; the objects must equal the ones the lab wrote (--dump-dir);
- tshark's ALC/LCT dissector (Wireshark) reads a pcap of the packets: TSI, TOI, Codepoint,
  EXT_FDT (FLUTE version, FDT instance ID), EXT_FTI, the FEC payload ID, close flags;
- a DCF box reader written from the layout in docs/interpretations.md ("Lab: DCF writer"):
  ftyp odcf minor 2, odrm/odhe/ohdr, 'obki' KeyIDType 0x02 and KeyID, odda, mdri/odfs, the
  HMAC-SHA1 over the range before 'mdri' (Python's hmac), the forged file's signature wrong;
- openssl enc -d -aes-128-cbc / -aes-128-ctr opens the ciphertext to the plaintext;
- the keys: an RFC 3830 4.1.2/4.1.3 PRF written in Python from the RFC (cs_id 0, TS 33.246 6.5.4);
- the FDT: unwrapped from its DCF (integrity only) and valid for xmllint against
  data/schemas/FLUTE-FDT-Instance.xsd (RFC 6726 3.4.2)."""
import base64, configparser, gzip, hashlib, hmac, os, shutil, socket, struct, subprocess, sys, tempfile, time
import unittest
import xml.etree.ElementTree as ET

BUILD = os.environ["MBMS_BUILD_DIR"]
SOURCE = os.environ["MBMS_SOURCE_DIR"]
LABNET = os.path.join(BUILD, "tools", "lab", "mbms-labnet")
SCHEMA = os.path.join(SOURCE, "data", "schemas", "FLUTE-FDT-Instance.xsd")
FDT_NS = "{urn:ietf:params:xml:ns:fdt}"
MBMS09 = "{urn:3GPP:metadata:2009:MBMS:FLUTE:FDT_ext}"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- RFC 3830 4.1.2 / 4.1.3

def p_sha1(s, label, m):
    a, out = label, b""
    for _ in range(m):
        a = hmac.new(s, a, hashlib.sha1).digest()
        out += hmac.new(s, a + label, hashlib.sha1).digest()
    return out


def mikey_prf(inkey, label, outlen):
    m = (outlen + 19) // 20
    acc = bytes(20 * m)
    for i in range(0, len(inkey), 32):
        acc = bytes(x ^ y for x, y in zip(acc, p_sha1(inkey[i:i + 32], label, m)))
    return acc[:outlen]


def tgk_key(tgk, const, csb_id, rand, outlen):
    return mikey_prf(tgk, struct.pack("!IBI", const, 0, csb_id) + rand, outlen)


# ---------------------------------------------------------------- DCF boxes

def boxes(data, full_types=()):
    """(type, payload, start, end) of each box in data; FullBoxes have version/flags removed."""
    out, off = [], 0
    while off < len(data):
        assert len(data) - off >= 8, "truncated box header"
        size, = struct.unpack_from("!I", data, off)
        kind = data[off + 4:off + 8].decode("ascii")
        assert 8 <= size <= len(data) - off, f"box {kind} size {size}"
        body = data[off + 8:off + size]
        if kind in full_types:
            assert body[:4] == b"\0\0\0\0", f"{kind}: version 0, flags 0"
            body = body[4:]
        out.append((kind, body, off, off + size))
        off += size
    return out


FULL = ("odrm", "odhe", "ohdr", "odda", "odfs", "obki")


def read_dcf(data):
    top = boxes(data, FULL)
    assert [b[0] for b in top] == ["ftyp", "odrm", "mdri"], [b[0] for b in top]
    ftyp = top[0][1]
    dcf = {"major": ftyp[:4], "minor": struct.unpack("!I", ftyp[4:8])[0], "compatible": ftyp[8:]}
    odrm = boxes(top[1][1], FULL)
    assert [b[0] for b in odrm] == ["odhe", "odda"]
    odhe = odrm[0][1]
    n = odhe[0]
    dcf["content_type"] = odhe[1:1 + n].decode()
    inner = boxes(odhe[1 + n:], FULL)
    assert [b[0] for b in inner] == ["ohdr"]
    ohdr = inner[0][1]
    enc, pad, plen, cid_len, ri_len, th_len = struct.unpack_from("!BBQHHH", ohdr)
    off = 16
    dcf.update(method=enc, padding=pad, plaintext_length=plen,
               content_id=ohdr[off:off + cid_len].decode(), rights_issuer=ohdr[off + cid_len:off + cid_len + ri_len],
               textual=ohdr[off + cid_len + ri_len:off + cid_len + ri_len + th_len])
    ext = boxes(ohdr[off + cid_len + ri_len + th_len:], FULL)
    assert [b[0] for b in ext] == ["obki"]
    obki = ext[0][1]
    flags, key_id_type, key_id_len = struct.unpack_from("!BBH", obki)
    dcf.update(obki_flags=flags, key_id_type=key_id_type, key_id=obki[4:4 + key_id_len].decode("ascii"))
    rest = obki[4 + key_id_len:]
    if flags & 0x80:
        url_len, = struct.unpack_from("!H", rest)
        rest = rest[2 + url_len:]
    assert rest == b"", "nothing after KeyID / KeyIssuerURL"
    odda = odrm[1][1]
    data_len, = struct.unpack_from("!Q", odda)
    assert data_len == len(odda) - 8
    dcf["encrypted"] = odda[8:]
    mdri = boxes(top[2][1], FULL)
    assert [b[0] for b in mdri] == ["odfs"]
    dcf["signature_method"] = mdri[0][1][0]
    dcf["signature"] = mdri[0][1][1:]
    dcf["signed"] = data[:top[2][2]]
    return dcf


def openssl_decrypt(cipher, key, iv, ciphertext):
    args = ["openssl", "enc", "-d", cipher, "-K", key.hex(), "-iv", iv.hex()]
    if cipher == "-aes-128-ctr":
        args.append("-nopad")
    return subprocess.run(args, input=ciphertext, capture_output=True, check=True).stdout


# ---------------------------------------------------------------- FLUTE receiver (RFC 5651/5775/6726/5445)

def parse_lct(pkt):
    b0, b1, hdr_len, cp = pkt[0], pkt[1], pkt[2], pkt[3]
    v, c, s, o, h = b0 >> 4, (b0 >> 2) & 3, b1 >> 7, (b1 >> 5) & 3, (b1 >> 4) & 1
    assert v == 1 and cp == 0, "LCT version 1, FEC Encoding ID 0"
    off = 4 + 4 * (c + 1)
    tsi_len, toi_len = 4 * s + 2 * h, 4 * o + 2 * h
    tsi = int.from_bytes(pkt[off:off + tsi_len], "big"); off += tsi_len
    toi = int.from_bytes(pkt[off:off + toi_len], "big"); off += toi_len
    p = {"tsi": tsi, "toi": toi, "A": bool(b1 & 2), "B": bool(b1 & 1)}
    end = hdr_len * 4
    while off < end:
        het = pkt[off]
        if het >= 128:
            hel, body = 1, pkt[off + 1:off + 4]
        else:
            hel = pkt[off + 1]
            body = pkt[off + 2:off + 4 * hel]
        if het == 192:
            p["flute_version"] = body[0] >> 4
            p["fdt_id"] = int.from_bytes(body, "big") & 0xFFFFF
        elif het == 64:
            assert hel == 4
            p["L"] = int.from_bytes(body[0:6], "big")
            p["E"], = struct.unpack("!H", body[8:10])
            p["Bmax"], = struct.unpack("!I", body[10:14])
        off += 4 * hel
    p["sbn"], p["esi"] = struct.unpack_from("!HH", pkt, end)
    p["payload"] = pkt[end + 4:]
    return p


def reassemble(packets):
    """Objects by TOI from their packets; blocks per RFC 5052 9.1."""
    symbols, fti = {}, {}
    for p in packets:
        symbols.setdefault(p["toi"], {})[(p["sbn"], p["esi"])] = p["payload"]
        fti[p["toi"]] = (p["L"], p["E"], p["Bmax"])
    objects = {}
    for toi, syms in symbols.items():
        L, E, B = fti[toi]
        T = -(-L // E)
        N = -(-T // B)
        a_large, a_small = -(-T // N), T // N
        n_large = T - a_small * N
        parts = []
        for sbn in range(N):
            for esi in range(a_large if sbn < n_large else a_small):
                parts.append(syms.get((sbn, esi)))
        if None not in parts and sum(map(len, parts)) == L:
            objects[toi] = b"".join(parts)
    return objects


def pcap_of(datagrams, port):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)  # LINKTYPE_RAW (IPv4)
    for i, payload in enumerate(datagrams):
        udp = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 1, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([239, 255, 0, 1]))
        s = sum(struct.unpack("!10H", ip))
        s = (s & 0xFFFF) + (s >> 16)
        ip = ip[:10] + struct.pack("!H", ~s & 0xFFFF) + ip[12:]
        frame = ip + udp
        out += struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame
    return out


def run_session(cls, switches):
    """Runs the lab's download session with these switches, receiving it on its group."""
    cls.tmp = tempfile.mkdtemp(prefix="lab-download-")
    cls.dump = os.path.join(cls.tmp, "dump")
    cls.usd = os.path.join(cls.tmp, "usd")
    os.mkdir(cls.dump)
    cls.port = free_udp_port()
    cls.group = f"239.255.{os.getpid() % 250 + 1}.{cls.port % 250 + 1}"
    with open(os.path.join(SOURCE, "data", "lab", "labnet.conf")) as f:
        conf = f.read().replace("#multicast-interface=lo", "multicast-interface=lo")
    conf_path = os.path.join(cls.tmp, "labnet.conf")
    with open(conf_path, "w") as f:
        f.write(conf)

    # the receiver joins before the sender starts
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind((cls.group, cls.port))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                    socket.inet_aton(cls.group) + socket.inet_aton("127.0.0.1"))
    sock.settimeout(0.5)
    lab = subprocess.Popen([LABNET, "--config", conf_path, "--download-to", f"{cls.group}:{cls.port}",
                            "--download-tsi", "7", "--dump-dir", cls.dump, "--usd-dir", cls.usd] + switches,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cls.datagrams = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            try:
                d = sock.recv(65536)
            except socket.timeout:
                if lab.poll() is not None or (cls.datagrams and parse_lct(cls.datagrams[-1])["A"]):
                    break
                continue
            cls.datagrams.append(d)
            if parse_lct(d)["A"]:
                break
    finally:
        lab.terminate()
        out, err = lab.communicate(timeout=30)
        sock.close()
    cls.lab_out, cls.lab_err = out, err
    cls.packets = [parse_lct(d) for d in cls.datagrams]
    cls.info = configparser.ConfigParser()
    cls.info.read(os.path.join(cls.dump, "session.ini"))
    cls.keys = cls.info["keys"]


class LabDownload(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("tshark", "openssl", "xmllint"):
            if shutil.which(tool) is None:
                raise RuntimeError(f"{tool} is not installed: the lab suite needs it")
        run_session(cls, ["--rounds", "5", "--rate", "4000", "--loss", "3", "--reorder", "20", "--duplicate", "5"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def dump_file(self, name):
        with open(os.path.join(self.dump, name), "rb") as f:
            return f.read()

    def toi_sections(self):
        return {int(s.split()[1]): self.info[s] for s in self.info.sections() if s.startswith("toi ")}

    # ---- FLUTE
    def test_objects_reassemble_under_loss_reorder_duplicates(self):
        self.assertGreater(len(self.packets), 1000, self.lab_err[-2000:])
        objects = reassemble(self.packets)
        self.assertEqual(objects.get(0), self.dump_file("fdt.dcf"), "the FDT instance (TOI 0) is the FDT's DCF")
        self.assertEqual(objects.get(1), self.dump_file("mtk.mikey"), "TOI 1 is the MIKEY MTK message")
        for toi, sec in self.toi_sections().items():
            obj = objects.get(toi)
            self.assertIsNotNone(obj, f"TOI {toi} incomplete")
            if sec.getboolean("gzip"):
                self.assertEqual(obj[:2], b"\x1f\x8b", "gzip (RFC 1952)")
                obj = gzip.decompress(obj)
            self.assertEqual(obj, self.dump_file(f"{toi}.dcf"), f"TOI {toi}")
        # the switches did something: repeats (carousel and duplicates) and symbols out of order
        seen = [(p["toi"], p["sbn"], p["esi"]) for p in self.packets]
        self.assertLess(len(set(seen)), len(seen))
        backwards = sum(1 for a, b in zip(seen, seen[1:]) if a[0] == b[0] and a[1:] > b[1:])
        self.assertGreater(backwards, 0)

    def test_lct_headers(self):
        for p in self.packets:
            self.assertEqual(p["tsi"], 7)
            if p["toi"] == 0:
                self.assertEqual(p["flute_version"], 2)
                self.assertEqual(p["fdt_id"], 1)
            else:
                self.assertNotIn("fdt_id", p, "EXT_FDT on TOI 0 only")
            self.assertIn("L", p, "EXT_FTI on every packet")
        self.assertTrue(self.packets[-1]["A"], "the last packet closes the session")
        self.assertEqual(sum(p["A"] for p in self.packets), 1)
        # B on the packets of each object's last symbol only (RFC 5651 5.1): the last block's last ESI
        for p in self.packets:
            T = -(-p["L"] // p["E"])
            N = -(-T // p["Bmax"])
            last_len = T // N
            is_last = p["sbn"] == N - 1 and p["esi"] == last_len - 1
            self.assertEqual(p["B"], is_last, (p["toi"], p["sbn"], p["esi"]))

    def test_tshark_dissects_alc(self):
        port = self.port
        subset = [d for d, p in zip(self.datagrams, self.packets) if p["toi"] in (0, 1, 2)][:400]
        subset.append(self.datagrams[-1])
        with tempfile.NamedTemporaryFile(suffix=".pcap", delete=False) as f:
            f.write(pcap_of(subset, port))
        fields = ["rmt-lct.version", "rmt-lct.tsi", "rmt-lct.toi", "rmt-lct.codepoint", "rmt-lct.hlen",
                  "rmt-lct.flags.close_session", "rmt-lct.flags.close_object", "rmt-lct.flute_version",
                  "rmt-lct.fdt_instance_id", "rmt-fec.sbn", "rmt-fec.esi", "rmt-fec.fti.transfer_length",
                  "rmt-fec.fti.encoding_symbol_length", "rmt-fec.fti.max_source_block_length"]
        args = ["tshark", "-n", "-r", f.name, "-d", f"udp.port=={port},alc", "-T", "fields", "-E", "separator=|"]
        for x in fields:
            args += ["-e", x]
        res = subprocess.run(args, capture_output=True, text=True, timeout=120)
        os.unlink(f.name)
        self.assertEqual(res.returncode, 0, res.stderr)
        rows = [dict(zip(fields, r.split("|"))) for r in res.stdout.rstrip("\n").split("\n")]
        self.assertEqual(len(rows), len(subset))
        for row, d in zip(rows, subset):
            p = parse_lct(d)
            self.assertEqual(row["rmt-lct.version"], "1", row)
            self.assertEqual(int(row["rmt-lct.tsi"], 0), 7, row)
            self.assertEqual(int(row["rmt-lct.toi"], 0), p["toi"], row)
            self.assertEqual(int(row["rmt-lct.codepoint"], 0), 0, row)
            self.assertEqual(int(row["rmt-fec.sbn"], 0), p["sbn"], row)
            self.assertEqual(int(row["rmt-fec.esi"], 0), p["esi"], row)
            self.assertEqual(int(row["rmt-fec.fti.transfer_length"], 0), p["L"], row)
            self.assertEqual(int(row["rmt-fec.fti.encoding_symbol_length"], 0), p["E"], row)
            self.assertEqual(int(row["rmt-fec.fti.max_source_block_length"], 0), p["Bmax"], row)
            if p["toi"] == 0:
                self.assertEqual(int(row["rmt-lct.flute_version"], 0), 2, row)
                self.assertEqual(int(row["rmt-lct.fdt_instance_id"], 0), 1, row)
        self.assertEqual(rows[-1]["rmt-lct.flags.close_session"].lower() in ("1", "true"), True, rows[-1])

    # ---- keys and DCF
    def test_keys_are_rfc3830_4_1_3_with_cs_id_0(self):
        mtk = bytes.fromhex(self.keys["mtk"])
        rand = bytes.fromhex(self.keys["rand"])
        csb = int(self.keys["csb-id"])
        self.assertEqual(self.dump_file("mtk.mikey")[4:8], struct.pack("!I", csb), "CSB ID of the MTK message")
        self.assertEqual(tgk_key(mtk, 0x15798CEF, csb, rand, 16).hex(), self.keys["encr-key"])
        self.assertEqual(tgk_key(mtk, 0x1B5C7973, csb, rand, 20).hex(), self.keys["auth-key"])

    def test_dcf_files(self):
        encr = bytes.fromhex(self.keys["encr-key"])
        auth = bytes.fromhex(self.keys["auth-key"])
        key_id = bytes.fromhex(self.keys["key-domain"]) + struct.pack("!IH", int(self.keys["msk-id"]),
                                                                     int(self.keys["mtk-id"]))
        sizes = []
        methods = set()
        for toi, sec in self.toi_sections().items():
            with self.subTest(toi=toi):
                dcf = read_dcf(self.dump_file(f"{toi}.dcf"))
                plain = self.dump_file(f"{toi}.plain")
                sizes.append(len(plain))
                self.assertEqual((dcf["major"], dcf["minor"], dcf["compatible"]), (b"odcf", 2, b"odcf"))
                self.assertEqual(dcf["content_type"], sec["content-type"])
                self.assertEqual(dcf["plaintext_length"], len(plain))
                self.assertEqual(dcf["rights_issuer"], b"")
                self.assertEqual(dcf["key_id_type"], 0x02)
                self.assertEqual(dcf["obki_flags"] & 0x70, 0, "STKM, TBK, TBKIssuerURL absent")
                self.assertEqual(base64.b64decode(dcf["key_id"], validate=True), key_id)
                self.assertEqual(dcf["signature_method"], 0x01)
                good = hmac.new(auth, dcf["signed"], hashlib.sha1).digest()
                if sec.getboolean("bad-signature"):
                    self.assertNotEqual(dcf["signature"], good)
                else:
                    self.assertEqual(dcf["signature"], good)
                method = int(sec["method"])
                methods.add(method)
                iv, ct = dcf["encrypted"][:16], dcf["encrypted"][16:]
                if method == 1:
                    self.assertEqual(dcf["padding"], 1, "RFC 2630 padding")
                    self.assertEqual(len(ct) % 16, 0)
                    self.assertEqual(openssl_decrypt("-aes-128-cbc", encr, iv, ct), plain)
                else:
                    self.assertEqual(method, 2)
                    self.assertEqual(dcf["padding"], 0)
                    self.assertEqual(len(ct), len(plain))
                    self.assertEqual(openssl_decrypt("-aes-128-ctr", encr, iv, ct), plain)
                self.assertNotEqual(ct[:64], plain[:64])
        self.assertEqual(methods, {1, 2})
        self.assertGreater(max(sizes), 10 * 1024 * 1024, "one file over 10 MiB")

    def test_fdt_is_a_signed_dcf_and_valid(self):
        auth = bytes.fromhex(self.keys["auth-key"])
        dcf = read_dcf(self.dump_file("fdt.dcf"))
        self.assertEqual(dcf["method"], 0, "integrity only")
        self.assertEqual(dcf["signature"], hmac.new(auth, dcf["signed"], hashlib.sha1).digest())
        xml = dcf["encrypted"]
        self.assertEqual(xml, self.dump_file("fdt.xml"))
        res = subprocess.run(["xmllint", "--noout", "--schema", SCHEMA, "-"], input=xml, capture_output=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        bad = xml.replace(b'TOI="2"', b'TOI="two"')
        res = subprocess.run(["xmllint", "--noout", "--schema", SCHEMA, "-"], input=bad, capture_output=True)
        self.assertNotEqual(res.returncode, 0, "the schema refuses a bad TOI")
        root = ET.fromstring(xml)
        self.assertGreater(int(root.get("Expires")), int(time.time()) + 2208988800)
        files = {int(f.get("TOI")): f for f in root.iter(FDT_NS + "File")}
        self.assertEqual(files[1].get("Content-Type"), "application/mikey")
        mikey_uri = files[1].get("Content-Location")
        for toi in self.toi_sections():
            f = files[toi]
            data = self.dump_file(f"{toi}.dcf")
            self.assertEqual(int(f.get("Content-Length")), len(data))
            if self.toi_sections()[toi].getboolean("gzip"):
                self.assertEqual(f.get("Content-Encoding"), "gzip")
                on_air = {p["L"] for p in self.packets if p["toi"] == toi}
                self.assertEqual(on_air, {int(f.get("Transfer-Length"))}, "EXT_FTI carries the encoded length")
                self.assertIsNone(f.get("Content-MD5"))
            else:
                self.assertIsNone(f.get("Content-Encoding"))
                self.assertEqual(base64.b64decode(f.get("Content-MD5")), hashlib.md5(data).digest())
            self.assertEqual(f.get(MBMS09 + "Decryption-KEY-URI"), mikey_uri)
            self.assertEqual(f.get("Content-Location"), self.toi_sections()[toi]["content-location"])

    def test_usd_names_the_session(self):
        with open(os.path.join(self.usd, "podcasts.sdp")) as f:
            sdp = f.read()
        self.assertIn(f"c=IN IP4 {self.group}/1\n", sdp)
        self.assertIn("a=flute-tsi:7\n", sdp)
        self.assertIn(f"m=application {self.port} FLUTE/UDP 0\n", sdp)
        ET.parse(os.path.join(self.usd, "podcasts.usd.xml"))
        prot = ET.parse(os.path.join(self.usd, "podcasts.protection.xml")).getroot()
        ns = "{urn:3GPP:metadata:2005:MBMS:securityDescription}"
        self.assertEqual(prot.find(f"{ns}keyId/{ns}mediaFlow").get("flowID"), f"{self.group}/{self.port}")


class LateMtk(unittest.TestCase):
    """--mikey-from-round 1: the first round carries the FDT and the files but not the MIKEY
    object, so a receiver holds them until its MTK arrives (TS 33.246 6.6.3.1)."""
    @classmethod
    def setUpClass(cls):
        run_session(cls, ["--rounds", "2", "--rate", "8000", "--big-file-mib", "1", "--mikey-from-round", "1"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_mikey_object_only_in_the_second_round(self):
        tois = [p["toi"] for p in self.packets]
        self.assertIn(1, tois)
        first_mikey = tois.index(1)
        second_fdt = next(i for i in range(1, len(tois)) if tois[i] == 0 and tois[i - 1] != 0)
        self.assertGreater(first_mikey, second_fdt, "no MIKEY packet before the second round's FDT")
        self.assertTrue(set(range(2, 7)) <= set(tois[:second_fdt]), "every file in the first round")
        objects = reassemble(self.packets)
        with open(os.path.join(self.dump, "mtk.mikey"), "rb") as f:
            self.assertEqual(objects.get(1), f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
